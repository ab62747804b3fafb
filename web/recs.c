/*
 * Recordings from Elasticsearch.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esrec.h"
#include "recs.h"
#include "es.h"

/* {kind: {field: {"value": value}}} */
static struct json_object *
field_query(const char *kind, const char *field, const char *value)
{
    return es_pair(kind, es_pair(field, es_pair(kind[0] == 'm' ? "query" : "value",
                                       json_object_new_string(value))));
}

/* {"bool": {"filter": filters}} */
static struct json_object *
all_of(struct json_object *filters)
{
    return es_pair("bool", es_pair("filter", filters));
}

/* What is asked of each recording found */
enum aggs {
    AGGS_START,         /* its start, to order by */
    AGGS_KEYS,          /* what a search sorts by */
    AGGS_FACTS,         /* all that the API gives */
};

/* The statistics of one recording, as aggregations under a bucket:
 * tlog-play's listing's (esrec.h) and, with AGGS_FACTS, whether anything
 * was typed; with AGGS_KEYS without the x_tlog_end of the last message
 * (a search of its own for each bucket) */
static struct json_object *
rec_aggs(enum aggs kind)
{
    struct json_object *a = esrec_aggs("");

    if (kind == AGGS_FACTS) {
        /* typed text leaves words in in_txt */
        json_object_object_add(a, "input", es_pair("filter",
                               field_query("wildcard", "in_txt", "*")));
    } else {
        json_object_object_del(a, "last");
    }
    /* whether it is running: no end message, a recent last message */
    json_object_object_add(a, "ended", es_pair("filter", es_pair("exists",
                           es_pair("field",
                                   json_object_new_string("x_tlog_end")))));
    json_object_object_add(a, "last_time", es_pair("max", es_pair("field",
                           json_object_new_string("time"))));
    return a;
}

/* Whether a message of the recording of bucket b ends it */
static bool
rec_ended(struct json_object *b)
{
    struct json_object *o;

    return json_object_object_get_ex(b, "ended", &o) &&
           json_object_object_get_ex(o, "doc_count", &o) &&
           json_object_get_int64(o) > 0;
}

/* Whether the recording of bucket b is running at now_ms: no message of
 * it ends it, and its last one is at most RECS_LIVE_SECONDS old */
static bool
rec_live(struct json_object *b, long long now_ms)
{
    struct json_object *o;
    double last;

    if (rec_ended(b) ||
        !json_object_object_get_ex(b, "last_time", &o) ||
        !json_object_object_get_ex(o, "value", &o) ||
        json_object_is_type(o, json_type_null)) {
        return false;
    }
    /* "time" mapped as a date aggregates in ms, as a number in s */
    last = json_object_get_double(o);
    if (last < 1e11) {
        last *= 1000;
    }
    return last >= (double)(now_ms - RECS_LIVE_SECONDS * 1000LL);
}

/* Now, in ms since the epoch */
static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A recording's facts from its bucket, running or not at now (ms) */
static struct json_object *
rec_info(struct json_object *b, long long now)
{
    struct json_object *r = json_object_new_object(), *o, *x = NULL;
    struct src_rec *v = calloc(1, sizeof(*v));
    char when[64] = "";

    if (r == NULL || v == NULL || esrec_read(b, v) < 0) {
        json_object_put(r);
        src_recs_free(v, 1);
        return NULL;
    }
    json_object_object_add(r, "rec", json_object_new_string(v->rec));
    json_object_object_add(r, "user", json_object_new_string(v->user));
    json_object_object_add(r, "host", json_object_new_string(v->host));
    json_object_object_add(r, "session", json_object_new_int64(
                           json_object_object_get_ex(b, "session", &o) &&
                           json_object_object_get_ex(o, "value", &o) &&
                           !json_object_is_type(o, json_type_null) ?
                           (int64_t)v->session : -1));
    if (v->start_ms >= 0) {
        time_t t = (time_t)(v->start_ms / 1000);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    json_object_object_add(r, "start", json_object_new_string(when));
    json_object_object_add(r, "start_ms", json_object_new_int64(v->start_ms));
    json_object_object_add(r, "duration_ms", json_object_new_int64(
                           (int64_t)(v->end_pos - v->first_pos)));
    json_object_object_add(r, "end_ms", json_object_new_int64(
                           v->start_ms >= 0 ? v->start_ms +
                           (int64_t)v->end_pos : -1));
    json_object_object_add(r, "messages",
                           json_object_new_int64((int64_t)v->messages));
    json_object_object_add(r, "input", json_object_new_boolean(
        json_object_object_get_ex(b, "input", &o) &&
        json_object_object_get_ex(o, "doc_count", &o) &&
        json_object_get_int64(o) > 0));
    /* complete: ids 1..N, each once */
    json_object_object_add(r, "complete", json_object_new_boolean(
                           v->end.started && !v->end.gap));
    if (json_object_object_get_ex(b, "last", &o) &&
        json_object_object_get_ex(o, "hits", &o) &&
        json_object_object_get_ex(o, "hits", &o) &&
        json_object_is_type(o, json_type_array) &&
        json_object_array_length(o) > 0 &&
        json_object_object_get_ex(json_object_array_get_idx(o, 0), "_source",
                                  &o)) {
        json_object_object_get_ex(o, "x_tlog_end", &x);
    }
    json_object_object_add(r, "end", json_object_get(x));
    json_object_object_add(r, "live", json_object_new_boolean(
                           rec_live(b, now)));
    src_recs_free(v, 1);
    return r;
}

/* The buckets of aggregation "recs" of answer a */
static struct json_object *
buckets(struct json_object *a, char *err, size_t errsz)
{
    struct json_object *o;

    if (json_object_object_get_ex(a, "aggregations", &o) &&
        json_object_object_get_ex(o, "recs", &o) &&
        json_object_object_get_ex(o, "buckets", &o) &&
        json_object_get_type(o) == json_type_array) {
        return o;
    }
    snprintf(err, errsz, "Elasticsearch answered without the aggregation"
             " asked for");
    return NULL;
}

/* Aggregate the recordings matching query, size of them, in order */
static int
aggregate(struct store *s, struct json_object *query, size_t size,
          bool oldest_first, enum aggs kind, struct json_object **answer,
          char *err, size_t errsz)
{
    struct json_object *body = json_object_new_object(), *terms, *recs;
    int rc;

    json_object_object_add(body, "size", json_object_new_int(0));
    json_object_object_add(body, "query", query);
    terms = json_object_new_object();
    json_object_object_add(terms, "field", json_object_new_string("rec"));
    json_object_object_add(terms, "size", json_object_new_int64(
                           (int64_t)(size ? size : 1)));
    json_object_object_add(terms, "order", es_pair("start",
                           json_object_new_string(oldest_first ? "asc" :
                                                  "desc")));
    recs = es_pair("terms", terms);
    if (kind != AGGS_START) {
        json_object_object_add(recs, "aggs", rec_aggs(kind));
    } else {
        json_object_object_add(recs, "aggs", es_pair("start", es_pair("min",
                               es_pair("field",
                                    json_object_new_string("time")))));
    }
    json_object_object_add(body, "aggs", json_object_new_object());
    json_object_object_add(json_object_object_get(body, "aggs"), "recs",
                           recs);
    json_object_object_add(json_object_object_get(body, "aggs"), "total",
                           es_pair("cardinality", es_pair("field",
                                json_object_new_string("rec"))));
    rc = store_search(s, body, answer, err, errsz);
    json_object_put(body);
    return rc;
}

/* The keys of the buckets of answer a from the first one on, as an
 * array (the caller's), or NULL with err set */
static struct json_object *
bucket_keys(struct json_object *a, size_t first, char *err, size_t errsz)
{
    struct json_object *bs = buckets(a, err, errsz), *ids, *o;
    size_t i, n;

    if (bs == NULL) {
        return NULL;
    }
    ids = json_object_new_array();
    n = json_object_array_length(bs);
    for (i = first; i < n; i++) {
        json_object_object_get_ex(json_object_array_get_idx(bs, i), "key",
                                  &o);
        json_object_array_add(ids, json_object_get(o));
    }
    return ids;
}

/* The whole facts of the recordings ids (taken) visible through filter,
 * into the array page, in the order of their start */
static int
facts_of(struct store *s, struct json_object *filter, struct json_object *ids,
         bool oldest_first, struct json_object *page, char *err, size_t errsz)
{
    struct json_object *f, *b = NULL, *bs;
    size_t i, n = json_object_array_length(ids);
    long long now = now_ms();
    int rc;

    if (n == 0) {
        json_object_put(ids);
        return 0;
    }
    f = json_object_new_array();
    json_object_array_add(f, json_object_get(filter));
    json_object_array_add(f, es_pair("terms", es_pair("rec", ids)));
    rc = aggregate(s, all_of(f), n, oldest_first, AGGS_FACTS, &b, err,
                   errsz);
    bs = rc == 0 ? buckets(b, err, errsz) : NULL;
    if (bs == NULL) {
        json_object_put(b);
        return rc < 0 ? rc : -EIO;
    }
    for (i = 0; i < json_object_array_length(bs); i++) {
        json_object_array_add(page, rec_info(json_object_array_get_idx(bs, i),
                                             now));
    }
    json_object_put(b);
    return 0;
}

/* One recording of a sorted search, with its sort keys */
struct sorted_rec {
    struct json_object *info;
    const char *rec;
    const char *text;       /* the user or the host, or NULL */
    long long num;          /* otherwise the number sorted by */
    long long start;
    int dir;                /* 1 ascending, -1 descending */
};

static const char *
info_str(struct json_object *info, const char *key)
{
    struct json_object *o;

    return json_object_object_get_ex(info, key, &o) ?
           json_object_get_string(o) : "";
}

static long long
info_int(struct json_object *info, const char *key)
{
    struct json_object *o;

    return json_object_object_get_ex(info, key, &o) ?
           json_object_get_int64(o) : 0;
}

static bool
info_bool(struct json_object *info, const char *key)
{
    struct json_object *o;

    return json_object_object_get_ex(info, key, &o) &&
           json_object_get_boolean(o);
}

/* By the key in its direction; ties newest first, then by id */
static int
sorted_cmp(const void *pa, const void *pb)
{
    const struct sorted_rec *x = pa, *y = pb;
    int c;

    if (x->text != NULL) {
        c = strcmp(x->text, y->text);
    } else {
        c = (x->num > y->num) - (x->num < y->num);
    }
    c *= x->dir;
    if (c == 0) {
        c = (x->start < y->start) - (x->start > y->start);
    }
    return c != 0 ? c : strcmp(x->rec, y->rec);
}

/* The keys of recording info (ended or not) for sort */
static void
sorted_keys(struct sorted_rec *r, struct json_object *info, bool ended,
            const struct recs_query *q)
{
    r->info = info;
    r->rec = info_str(info, "rec");
    r->start = info_int(info, "start_ms");
    r->dir = q->ascending ? 1 : -1;
    r->text = NULL;
    r->num = r->start;
    switch (q->sort) {
    case RECS_SORT_USER:
        r->text = info_str(info, "user");
        break;
    case RECS_SORT_HOST:
        r->text = info_str(info, "host");
        break;
    case RECS_SORT_DURATION:
        r->num = info_int(info, "duration_ms");
        break;
    case RECS_SORT_GAPS:
        /* as the page says it: messages missing, no clean end, none */
        if (!info_bool(info, "complete")) {
            r->num = 2;
        } else {
            r->num = !ended && !info_bool(info, "live");
        }
        break;
    case RECS_SORT_LIVE:
        r->num = info_bool(info, "live");
        break;
    case RECS_SORT_START:
        break;
    }
}

/* The keys (AGGS_KEYS) of the recordings ids (taken) visible through
 * filter, whole, in *answer */
static int
keys_of(struct store *s, struct json_object *filter, struct json_object *ids,
        struct json_object **answer, char *err, size_t errsz)
{
    struct json_object *f = json_object_new_array();
    size_t n = json_object_array_length(ids);

    json_object_array_add(f, json_object_get(filter));
    json_object_array_add(f, es_pair("terms", es_pair("rec", ids)));
    return aggregate(s, all_of(f), n, false, AGGS_KEYS, answer, err, errsz);
}

/* The page of q from the recordings of answer a (AGGS_KEYS; taken),
 * sorted (and the running ones only, with q->live) here on their keys,
 * with the facts of the page's recordings visible through filter; their
 * number after that into *total */
static int
sorted_page(struct store *s, struct json_object *filter,
            struct json_object *a, const struct recs_query *q,
            struct json_object *page, long long *total, char *err,
            size_t errsz)
{
    struct json_object *bs, *b, *infos, *facts, *pick, *o;
    struct sorted_rec *v = NULL;
    size_t i, j, n, kept = 0;
    long long now = now_ms();
    int rc = 0;

    bs = buckets(a, err, errsz);
    if (bs == NULL) {
        json_object_put(a);
        return -EIO;
    }
    n = json_object_array_length(bs);
    infos = json_object_new_array();
    if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
        rc = -ENOMEM;
    }
    for (i = 0; rc == 0 && i < n; i++) {
        struct json_object *info;

        b = json_object_array_get_idx(bs, i);
        info = rec_info(b, now);
        if (info == NULL) {
            rc = -ENOMEM;
        } else {
            json_object_array_add(infos, info);
            if (!q->live || info_bool(info, "live")) {
                sorted_keys(&v[kept++], info, rec_ended(b), q);
            }
        }
    }
    json_object_put(a);
    pick = json_object_new_array();
    if (rc == 0) {
        if (kept > 0) {
            qsort(v, kept, sizeof(*v), sorted_cmp);
        }
        for (i = q->offset; i < kept && i < q->offset + q->size; i++) {
            json_object_array_add(pick, json_object_new_string(v[i].rec));
        }
        *total = (long long)kept;
    }
    /* the page's facts, in the order sorted */
    facts = json_object_new_array();
    if (rc == 0) {
        rc = facts_of(s, filter, json_object_get(pick), false, facts, err,
                      errsz);
    }
    for (i = 0; rc == 0 && i < json_object_array_length(pick); i++) {
        const char *rec = json_object_get_string(
            json_object_array_get_idx(pick, i));

        for (j = 0; j < json_object_array_length(facts); j++) {
            o = json_object_array_get_idx(facts, j);
            if (o != NULL && !strcmp(info_str(o, "rec"), rec)) {
                json_object_array_add(page, json_object_get(o));
                break;
            }
        }
    }
    json_object_put(facts);
    json_object_put(pick);
    json_object_put(infos);
    free(v);
    return rc;
}

int
recs_search(struct store *s, struct json_object *filter,
            struct json_object *input_filter, const struct recs_query *q,
            struct json_object **result, char *err, size_t errsz)
{
    struct json_object *f = json_object_new_array(), *a = NULL;
    struct json_object *page, *ids, *r, *o;
    bool sorted = q->sort != RECS_SORT_START || q->live, whole;
    long long total = 0, sorted_total = 0;
    int rc;

    json_object_array_add(f, json_object_get(filter));
    if (q->user != NULL) {
        json_object_array_add(f, field_query("wildcard", "user", q->user));
    }
    if (q->host != NULL) {
        json_object_array_add(f, field_query("wildcard", "host", q->host));
    }
    if (q->from >= 0 || q->to >= 0 || q->live) {
        struct json_object *t = json_object_new_object();
        long long from = q->from;

        /* a running recording has a message in the last minutes */
        if (q->live && from < (long long)time(NULL) - RECS_LIVE_SECONDS) {
            from = (long long)time(NULL) - RECS_LIVE_SECONDS;
        }
        if (from >= 0) {
            json_object_object_add(t, "gte", json_object_new_int64(from));
        }
        if (q->to >= 0) {
            json_object_object_add(t, "lte", json_object_new_int64(q->to));
        }
        json_object_object_add(t, "format",
                               json_object_new_string("epoch_second"));
        json_object_array_add(f, es_pair("range", es_pair("time", t)));
    }
    if (q->shown != NULL) {
        json_object_array_add(f, field_query("match_phrase", "out_txt",
                                             q->shown));
    }
    if (q->also != NULL) {
        json_object_array_add(f, json_object_get(q->also));
    }
    if (q->typed != NULL) {
        json_object_array_add(f, field_query("match_phrase", "in_txt",
                                             q->typed));
        json_object_array_add(f, json_object_get(input_filter));
    }
    /* the recordings with a matching message (for a sort of another key,
     * the newest of them that a search considers), then their whole
     * facts; where every message of them matches (the criteria are the
     * recording's own), the keys to sort by come with the first answer */
    whole = q->from < 0 && q->to < 0 && q->shown == NULL &&
            q->typed == NULL && q->also == NULL && !q->live;
    rc = aggregate(s, all_of(f), sorted ? RECS_SEARCH_MAX :
                   q->offset + q->size,
                   q->sort == RECS_SORT_START && q->ascending,
                   sorted && whole ? AGGS_KEYS : AGGS_START, &a, err,
                   errsz);
    if (rc < 0) {
        return rc;
    }
    if (json_object_object_get_ex(a, "aggregations", &o) &&
        json_object_object_get_ex(o, "total", &o) &&
        json_object_object_get_ex(o, "value", &o)) {
        total = json_object_get_int64(o);
    }
    page = json_object_new_array();
    if (!sorted) {
        ids = bucket_keys(a, q->offset, err, errsz);
        json_object_put(a);
        rc = ids == NULL ? -EIO :
             facts_of(s, filter, ids, q->ascending, page, err, errsz);
    } else {
        if (!whole) {
            ids = bucket_keys(a, 0, err, errsz);
            json_object_put(a);
            a = NULL;
            rc = ids == NULL ? -EIO :
                 keys_of(s, filter, ids, &a, err, errsz);
        }
        if (rc == 0) {
            rc = sorted_page(s, filter, a, q, page, &sorted_total, err,
                             errsz);
        } else {
            json_object_put(a);
        }
        /* all of them when sorted here (fewer than a search considers),
         * or those running */
        if (q->live || total <= RECS_SEARCH_MAX) {
            total = sorted_total;
        }
    }
    if (rc < 0) {
        json_object_put(page);
        return rc;
    }
    r = json_object_new_object();
    json_object_object_add(r, "total", json_object_new_int64(total));
    json_object_object_add(r, "offset", json_object_new_int64(
                           (int64_t)q->offset));
    json_object_object_add(r, "recordings", page);
    *result = r;
    return 0;
}

int
recs_get(struct store *s, struct json_object *filter, const char *rec,
         struct json_object **result, char *err, size_t errsz)
{
    struct json_object *f = json_object_new_array(), *a = NULL, *bs;
    int rc;

    json_object_array_add(f, json_object_get(filter));
    json_object_array_add(f, field_query("term", "rec", rec));
    rc = aggregate(s, all_of(f), 1, false, AGGS_FACTS, &a, err, errsz);
    if (rc < 0) {
        return rc;
    }
    bs = buckets(a, err, errsz);
    if (bs == NULL) {
        rc = -EIO;
    } else if (json_object_array_length(bs) == 0) {
        rc = -ENOENT;
    } else {
        struct json_object *info = rec_info(json_object_array_get_idx(bs,
                                                                      0),
                                            now_ms());

        if (info == NULL) {
            snprintf(err, errsz, "out of memory reading recording %s", rec);
            rc = -ENOMEM;
        } else {
            *result = info;
        }
    }
    json_object_put(a);
    return rc;
}

int
recs_visible(struct store *s, struct json_object *filter, const char *rec,
             char *err, size_t errsz)
{
    struct json_object *f = json_object_new_array(), *body, *a = NULL, *o;
    int rc;

    json_object_array_add(f, json_object_get(filter));
    json_object_array_add(f, field_query("term", "rec", rec));
    body = json_object_new_object();
    json_object_object_add(body, "size", json_object_new_int(0));
    json_object_object_add(body, "terminate_after", json_object_new_int(1));
    json_object_object_add(body, "query", all_of(f));
    rc = store_search(s, body, &a, err, errsz);
    json_object_put(body);
    if (rc < 0) {
        return rc;
    }
    rc = json_object_object_get_ex(a, "hits", &o) &&
         json_object_object_get_ex(o, "total", &o) &&
         json_object_object_get_ex(o, "value", &o) &&
         json_object_get_int64(o) > 0;
    json_object_put(a);
    return rc;
}

int
recs_messages(struct store *s, struct json_object *filter, const char *rec,
              long long from_id, size_t size, bool with_input,
              struct json_object **result, char *err, size_t errsz)
{
    struct json_object *f = json_object_new_array(), *body, *a = NULL;
    struct json_object *msgs, *t, *ex;
    int rc = recs_visible(s, filter, rec, err, errsz);

    if (rc <= 0) {
        json_object_put(f);
        return rc < 0 ? rc : -ENOENT;
    }
    json_object_array_add(f, json_object_get(filter));
    json_object_array_add(f, field_query("term", "rec", rec));
    t = json_object_new_object();
    json_object_object_add(t, "gte", json_object_new_int64(from_id));
    json_object_array_add(f, es_pair("range", es_pair("id", t)));
    body = json_object_new_object();
    json_object_object_add(body, "size", json_object_new_int64(
                           (int64_t)size));
    json_object_object_add(body, "query", all_of(f));
    json_object_object_add(body, "sort", json_object_new_array());
    json_object_array_add(json_object_object_get(body, "sort"),
                          es_pair("id", es_pair("order",
                               json_object_new_string("asc"))));
    if (!with_input) {
        ex = json_object_new_array();
        json_object_array_add(ex, json_object_new_string("in_txt"));
        json_object_array_add(ex, json_object_new_string("in_bin"));
        json_object_object_add(body, "_source", es_pair("excludes", ex));
    }
    rc = store_search(s, body, &a, err, errsz);
    json_object_put(body);
    if (rc < 0) {
        return rc;
    }
    msgs = recs_walk_messages(a);
    json_object_put(a);
    *result = es_pair("messages", msgs);
    return 0;
}

struct json_object *
recs_walk_messages(struct json_object *answer)
{
    struct json_object *msgs = json_object_new_array(), *o, *src;
    size_t i;

    if (json_object_object_get_ex(answer, "hits", &o) &&
        json_object_object_get_ex(o, "hits", &o) &&
        json_object_is_type(o, json_type_array)) {
        for (i = 0; i < json_object_array_length(o); i++) {
            if (json_object_object_get_ex(json_object_array_get_idx(o, i),
                                          "_source", &src)) {
                json_object_array_add(msgs, json_object_get(src));
            }
        }
    }
    return msgs;
}

struct json_object *
recs_walk_bucket(struct json_object *b, long long now)
{
    return rec_info(b, now);
}
