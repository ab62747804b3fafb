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
 *   n  live_walk_newest(): the index of the newest message
 *   l  live_walk_hits(): the messages of a followed recording in a search
 *      answer, then from the first one found on, as the poller goes on
 *   m  live_walk_doc(): the same in the docs of an _mget answer
 *   k  seals_walk_key(): the key of a recording's verification state,
 *      the answer standing for both searches
 *   h  store_first_key(): the host of a recording, from an aggregation
 *   w  audit_rec_walk(): a recording's host, user, session and times
 *      from its first and last message (here the same answer)
 *   e  es_reason(): Elasticsearch's reason for an error answer
 *   b  seal_walk_bulk(): the checkpoints refused in a _bulk answer
 *   g  recs_walk_bucket(): each recording of a "recs" aggregation as
 *      the API answers it
 *   M  recs_walk_messages(): the messages of a search answer
 *   D  timeline_walk_drops(): the drop notes of a search answer
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
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_query.h"
#include "es.h"
#include "esrec.h"
#include "src.h"
#include "live.h"
#include "recs.h"
#include "rules.h"
#include "seal.h"
#include "seals.h"
#include "sessions.h"
#include "store.h"
#include "throttle.h"
#include "timeline.h"

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

/* The index of a live_found: written, never NUL-less */
static void
check_index(const char *index, size_t size)
{
    if (strnlen(index, size) == size) {
        abort();
    }
}

/* live_walk_newest(): an index cut to fit, or nothing written */
static void
walk_newest(struct json_object *answer)
{
    char index[16];

    memset(index, 'x', sizeof(index));
    if (live_walk_newest(answer, index, sizeof(index)) < 0) {
        if (index[0] != 'x' || index[sizeof(index) - 1] != 'x') {
            abort();
        }
        return;
    }
    check_index(index, sizeof(index));
}

/* What a followed recording's walks keep: only its messages, each at
 * its id's place, each admitted by the rules */
static void
check_found(const struct live_found *f, long long next)
{
    struct json_object *v;
    size_t k;

    for (k = 0; k < LIVE_BATCH; k++) {
        if (f->msgs[k] == NULL) {
            continue;
        }
        if (!json_object_object_get_ex(f->msgs[k], "rec", &v) ||
            !json_object_is_type(v, json_type_string) ||
            strcmp(json_object_get_string(v), "r1") != 0 ||
            !json_object_object_get_ex(f->msgs[k], "host", &v) ||
            !json_object_is_type(v, json_type_string) ||
            strcmp(json_object_get_string(v), "h1") != 0 ||
            !json_object_object_get_ex(f->msgs[k], "user", &v) ||
            !json_object_is_type(v, json_type_string) ||
            strcmp(json_object_get_string(v), "alice") != 0 ||
            !json_object_object_get_ex(f->msgs[k], "id", &v) ||
            json_object_get_int64(v) != next + (long long)k) {
            abort();
        }
        check_index(f->index[k], sizeof(f->index[k]));
    }
}

/* The rules of the live walks: auditor carol follows alice's
 * recordings, on any host, of any time */
static const struct rules *
live_rules(void)
{
    static struct rules *r;
    char err[256];

    if (r == NULL &&
        rules_parse("[{\"auditors\": [\"carol\"], \"users\": [\"alice\"],"
                    " \"rights\": [\"search\", \"play\", \"live\"]}]",
                    &r, err, sizeof(err)) < 0) {
        abort();
    }
    return r;
}

/* live_walk_hits(): from id 1, then from the first id found */
static void
walk_live_hits(struct json_object *answer)
{
    struct live_want w = {
        .rec = "r1", .host = "h1", .rules = live_rules(), .user = "carol",
        .groups = "", .from_id = 1,
    };
    struct live_found f;
    long long first, again;
    size_t k;

    memset(&f, 0, sizeof(f));
    first = live_walk_hits(answer, &w, 1, &f);
    check_found(&f, 1);
    for (k = 0; k < LIVE_BATCH && f.msgs[k] == NULL; k++) {
    }
    if (first < -1 || first > LIVE_ID_MAX || (k < LIVE_BATCH && first < 0)) {
        abort();
    }
    live_found_release(&f);
    if (first > 1) {
        memset(&f, 0, sizeof(f));
        again = live_walk_hits(answer, &w, first, &f);
        /* the first message found is in the window that starts at it */
        if (again != first || f.msgs[0] == NULL) {
            abort();
        }
        check_found(&f, first);
        live_found_release(&f);
    }
}

/* live_walk_doc() over the docs of an _mget answer, as the poller does */
static void
walk_live_docs(struct json_object *answer)
{
    struct live_want w = {
        .rec = "r1", .host = "h1", .rules = live_rules(), .user = "carol",
        .groups = "", .from_id = 5,
    };
    struct json_object *docs;
    struct live_found f;
    size_t i;

    if (!json_object_object_get_ex(answer, "docs", &docs) ||
        !json_object_is_type(docs, json_type_array)) {
        return;
    }
    memset(&f, 0, sizeof(f));
    for (i = 0; i < json_object_array_length(docs); i++) {
        live_walk_doc(json_object_array_get_idx(docs, i), &w, 5, &f);
    }
    check_found(&f, 5);
    live_found_release(&f);
}

/* seals_walk_key(): a key equal to itself, zero without aggregations */
static void
walk_seal_key(struct json_object *answer)
{
    struct seals_key k;

    memset(&k, 0xa5, sizeof(k));
    seals_walk_key(answer, answer, "r1", "h1", &k);
    if (!isfinite(k.msg_seq) || !isfinite(k.cp_seq) ||
        (!json_object_object_get_ex(answer, "aggregations", NULL) &&
         (k.msgs != 0 || k.last != 0 || k.msg_seq != 0 || k.cps != 0 ||
          k.cp_seq != 0))) {
        abort();
    }
    seals_walk_key(NULL, NULL, "r1", "h1", &k);
    if (k.msgs != 0 || k.last != 0 || k.msg_seq != 0 || k.cps != 0 ||
        k.cp_seq != 0) {
        abort();
    }
}

/* store_first_key(): a key cut to fit, or nothing written */
static void
walk_first_key(struct json_object *answer)
{
    char key[16], err[256];
    int rc;

    memset(key, 'x', sizeof(key));
    err[0] = 0;
    rc = store_first_key(answer, "host", key, sizeof(key), err, sizeof(err));
    if (rc < 0) {
        if (key[0] != 'x' || key[sizeof(key) - 1] != 'x' ||
            (rc != -ENOENT && rc != -EIO) || (rc == -EIO && err[0] == 0)) {
            abort();
        }
        return;
    }
    if (strnlen(key, sizeof(key)) == sizeof(key)) {
        abort();
    }
}

/* audit_rec_walk(): times in range, strings of the answer, or nothing
 * written */
static void
walk_audit_rec(struct json_object *answer)
{
    struct audit_rec r, untouched;
    char err[256];
    int rc;

    memset(&r, 0xa5, sizeof(r));
    untouched = r;
    err[0] = 0;
    rc = audit_rec_walk(answer, answer, "r1", &r, err, sizeof(err));
    if (rc < 0) {
        if (memcmp(&r, &untouched, sizeof(r)) != 0 || err[0] == 0 ||
            (rc != -ENOENT && rc != -EINVAL)) {
            abort();
        }
        return;
    }
    if (strlen(r.host) > (size_t)INT32_MAX || strlen(r.user) > INT32_MAX ||
        r.since_ms != 0 || r.start_ms < -AUDIT_TIME_MAX_MS ||
        r.start_ms > AUDIT_TIME_MAX_MS || r.end_ms < 0 ||
        r.end_ms > 2 * AUDIT_TIME_MAX_MS) {
        abort();
    }
}

/* es_reason(): one message naming the URL, cut to fit */
static void
walk_reason(struct json_object *answer)
{
    static const char url[] = "http://es1:9200/tlog-*/_search";
    char err[64];

    memset(err, 'x', sizeof(err));
    es_reason(answer, url, 400, err, sizeof(err));
    if (strnlen(err, sizeof(err)) == sizeof(err) ||
        strncmp(err, url, sizeof(url) - 1) != 0) {
        abort();
    }
}

/* seal_walk_bulk(): a refusal only from an array of items, said */
static void
walk_bulk(struct json_object *answer)
{
    struct json_object *items;
    char err[256];
    int rc;

    err[0] = 0;
    rc = seal_walk_bulk(answer, err, sizeof(err));
    if (rc != 0 && (rc != -EIO || err[0] == 0 ||
                    !json_object_object_get_ex(answer, "items", &items) ||
                    !json_object_is_type(items, json_type_array))) {
        abort();
    }
}

/* The text of member key of o when it is a string, else NULL */
static const char *
string_of(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) &&
           json_object_is_type(v, json_type_string) ?
           json_object_get_string(v) : NULL;
}

/* recs_walk_bucket(): every recording complete, and its JSON (what the
 * API sends) reads back as JSON */
static void
walk_rec_buckets(struct json_object *answer)
{
    struct json_object *bs = array_at(answer, "aggregations", "recs",
                                      "buckets"), *r, *back, *v;
    const char *text, *start;
    size_t i;

    for (i = 0; bs != NULL && i < json_object_array_length(bs); i++) {
        /* at a fixed now: the walk, not the clock, is under test */
        r = recs_walk_bucket(json_object_array_get_idx(bs, i),
                             1700000000000LL);
        if (r == NULL) {
            continue;
        }
        start = string_of(r, "start");
        if (string_of(r, "rec") == NULL || string_of(r, "user") == NULL ||
            string_of(r, "host") == NULL || start == NULL ||
            strlen(start) >= 64 ||
            !json_object_object_get_ex(r, "session", &v) ||
            json_object_get_int64(v) < -1 ||
            json_object_get_int64(v) > UINT32_MAX ||
            !json_object_object_get_ex(r, "complete", &v) ||
            !json_object_is_type(v, json_type_boolean) ||
            !json_object_object_get_ex(r, "live", &v) ||
            !json_object_is_type(v, json_type_boolean)) {
            abort();
        }
        text = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
        back = text != NULL ? json_tokener_parse(text) : NULL;
        if (back == NULL) {
            abort();
        }
        json_object_put(back);
        json_object_put(r);
    }
}

/* recs_walk_messages(): the hits' own _source objects, in order */
static void
walk_messages(struct json_object *answer)
{
    struct json_object *hits = array_at(answer, "hits", "hits", NULL), *src;
    struct json_object *msgs = recs_walk_messages(answer);
    size_t i, k = 0, n;

    if (msgs == NULL) {
        return;
    }
    n = json_object_array_length(msgs);
    for (i = 0; hits != NULL && i < json_object_array_length(hits); i++) {
        if (json_object_object_get_ex(json_object_array_get_idx(hits, i),
                                      "_source", &src)) {
            if (k >= n || json_object_array_get_idx(msgs, k) != src) {
                abort();
            }
            k++;
        }
    }
    if (k != n) {
        abort();
    }
    json_object_put(msgs);
}

/* Counts the notes timeline_walk_drops() gives */
static void
count_drop(void *arg, uint64_t pos_ms, uint64_t messages, uint64_t bytes)
{
    (void)pos_ms;
    (void)messages;
    (void)bytes;
    (*(size_t *)arg)++;
}

/* timeline_walk_drops(): one call per note of a hit, and no more notes
 * than hits */
static void
walk_drops(struct json_object *answer)
{
    struct json_object *hits = array_at(answer, "hits", "hits", NULL), *h;
    size_t i, calls = 0, notes = 0, n;

    n = timeline_walk_drops(answer, count_drop, &calls);
    for (i = 0; hits != NULL && i < json_object_array_length(hits); i++) {
        h = json_object_array_get_idx(hits, i);
        notes += json_object_object_get_ex(h, "_source", &h) &&
                 json_object_object_get_ex(h, "x_tlog_drop", NULL);
    }
    if (n != calls || n != notes) {
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
    case 'n':
        walk_newest(answer);
        break;
    case 'l':
        walk_live_hits(answer);
        break;
    case 'm':
        walk_live_docs(answer);
        break;
    case 'k':
        walk_seal_key(answer);
        break;
    case 'h':
        walk_first_key(answer);
        break;
    case 'w':
        walk_audit_rec(answer);
        break;
    case 'e':
        walk_reason(answer);
        break;
    case 'b':
        walk_bulk(answer);
        break;
    case 'g':
        walk_rec_buckets(answer);
        break;
    case 'M':
        walk_messages(answer);
        break;
    case 'D':
        walk_drops(answer);
        break;
    default:
        break;
    }
    json_object_put(answer);
    return 0;
}
