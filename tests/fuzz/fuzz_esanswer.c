/*
 * Fuzz target: the walks over Elasticsearch answers that have no target
 * of their own.  The first byte of the input picks the walk, the rest is
 * the answer:
 *
 *   a  es_agg_buckets(): the buckets of aggregation "recs", by structure
 *   r  esrec_list(): the recordings of a "recs" aggregation
 *   s  sessions_walk_doc(): a session from an _mget answer
 *   d  sessions_walk_deleted(): the deletes of a _bulk answer
 *   i  sessions_walk_ids(): the session ids of a search answer
 *   t  throttle_walk_doc(): a shared failure count from an _mget answer
 *
 * Any input must be walked without a crash, a leak or undefined
 * behaviour, and what a walk returns must agree with the answer as json-c
 * reads it: the counts with the arrays' lengths, the strings with their
 * bounds, the numbers with their ranges; a walk that fails stores
 * nothing.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es.h"
#include "esrec.h"
#include "src.h"
#include "sessions.h"
#include "throttle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Larger answers teach nothing more */
#define ANSWER_MAX (1024 * 1024)

/* The array at answer.k1.k2.k3 (k3 may be NULL), or NULL */
static struct json_object *
array_at(struct json_object *o, const char *k1, const char *k2,
         const char *k3)
{
    if (!json_object_object_get_ex(o, k1, &o) ||
        !json_object_object_get_ex(o, k2, &o) ||
        (k3 != NULL && !json_object_object_get_ex(o, k3, &o)) ||
        !json_object_is_type(o, json_type_array)) {
        return NULL;
    }
    return o;
}

/*
 * es_agg_buckets() over the bytes as they came, then over json-c's
 * writing of them (one value per key, as json-c keeps them): there the
 * count must be json-c's.
 */
static void
walk_agg(const uint8_t *p, size_t n, struct json_object *answer)
{
    struct json_object *bs;
    const char *text;
    size_t count = (size_t)-1;
    char err[256];
    int rc;

    err[0] = 0;
    rc = es_agg_buckets(p, n, "recs", &count, err, sizeof(err));
    if (rc == 0 ? count > n / 2 : (count != (size_t)-1 ||
        (rc != -ENOENT && rc != -EINVAL) || err[0] == 0)) {
        abort();
    }
    if (answer == NULL) {
        return;
    }
    text = json_object_to_json_string_ext(answer, JSON_C_TO_STRING_PLAIN);
    bs = array_at(answer, "aggregations", "recs", "buckets");
    count = (size_t)-1;
    rc = es_agg_buckets((const uint8_t *)text, strlen(text), "recs", &count,
                        err, sizeof(err));
    if (rc == 0 && (bs == NULL || count != json_object_array_length(bs))) {
        abort();
    }
}

/* esrec_list(): one recording per bucket, each complete */
static void
walk_recs(struct json_object *answer)
{
    struct json_object *bs = array_at(answer, "aggregations", "recs",
                                      "buckets");
    struct src_rec *v = (struct src_rec *)&v;
    size_t n = 12345, i;
    char err[256];
    FILE *out;
    int rc;

    err[0] = 0;
    rc = esrec_list(answer, &v, &n, err, sizeof(err));
    if (rc < 0) {
        if (v != (struct src_rec *)&v || n != 12345 || err[0] == 0 ||
            (rc == -EIO) != (bs == NULL)) {
            abort();
        }
        return;
    }
    if (bs == NULL || n != json_object_array_length(bs)) {
        abort();
    }
    out = fopen("/dev/null", "w");
    for (i = 0; i < n; i++) {
        if (v[i].rec == NULL || v[i].host == NULL || v[i].user == NULL ||
            strlen(v[i].end.how) >= sizeof(v[i].end.how) ||
            (v[i].end.started && v[i].end.last_id < 1)) {
            abort();
        }
        if (out != NULL) {
            src_rec_print(out, &v[i]);
        }
    }
    if (out != NULL) {
        fclose(out);
    }
    src_recs_free(v, n);
}

/* sessions_walk_doc(): a whole session, or nothing written */
static void
walk_session(struct json_object *answer)
{
    struct session x, untouched;

    memset(&x, 0xa5, sizeof(x));
    untouched = x;
    if (sessions_walk_doc(answer, &x) < 0) {
        if (memcmp(&x, &untouched, sizeof(x)) != 0) {
            abort();
        }
        return;
    }
    if (strnlen(x.user, sizeof(x.user)) == sizeof(x.user) ||
        strnlen(x.groups, sizeof(x.groups)) == sizeof(x.groups) ||
        strnlen(x.csrf, sizeof(x.csrf)) == sizeof(x.csrf) ||
        x.created <= 0 || x.last <= 0) {
        abort();
    }
}

/* sessions_walk_deleted(): no more deletes than items */
static void
walk_deleted(struct json_object *answer)
{
    struct json_object *items;
    size_t gone = sessions_walk_deleted(answer);

    if (gone > 0 &&
        (!json_object_object_get_ex(answer, "items", &items) ||
         !json_object_is_type(items, json_type_array) ||
         gone > json_object_array_length(items))) {
        abort();
    }
}

/* sessions_walk_ids(): at most max ids, each a hit's, each whole */
static void
walk_ids(struct json_object *answer)
{
    struct json_object *hits = array_at(answer, "hits", "hits", NULL);
    const char *ids[8];
    size_t n, i;

    n = sessions_walk_ids(answer, ids, 8);
    if (n > 8 || (n > 0 && (hits == NULL ||
                            n > json_object_array_length(hits)))) {
        abort();
    }
    for (i = 0; i < n; i++) {
        if (strlen(ids[i]) != SESSIONS_ID_LEN) {
            abort();
        }
    }
}

/* throttle_walk_doc(): counts in their range, or nothing written */
static void
walk_throttle(struct json_object *answer)
{
    long failures = -7;
    time_t last = -7;

    if (throttle_walk_doc(answer, &failures, &last) < 0) {
        if (failures != -7 || last != -7) {
            abort();
        }
        return;
    }
    if (failures < 0 || failures > THROTTLE_FAILURES_MAX || last < 0 ||
        last > THROTTLE_LAST_MAX) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_tokener *tok;
    struct json_object *answer;
    const uint8_t *p = data + 1;
    size_t n = size - 1;

    if (size < 1 || size > ANSWER_MAX) {
        return 0;
    }
    tok = json_tokener_new();
    if (tok == NULL) {
        return 0;
    }
    answer = json_tokener_parse_ex(tok, (const char *)p, (int)n);
    json_tokener_free(tok);
    switch (data[0]) {
    case 'a':
        walk_agg(p, n, answer);
        break;
    case 'r':
        walk_recs(answer);
        break;
    case 's':
        walk_session(answer);
        break;
    case 'd':
        walk_deleted(answer);
        break;
    case 'i':
        walk_ids(answer);
        break;
    case 't':
        walk_throttle(answer);
        break;
    default:
        break;
    }
    json_object_put(answer);
    return 0;
}
