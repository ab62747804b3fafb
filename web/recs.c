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

/* The statistics of one recording, as aggregations under a bucket:
 * tlog-play's listing's (esrec.h) and whether anything was typed */
static struct json_object *
rec_aggs(void)
{
    struct json_object *a = esrec_aggs("");

    /* typed text leaves words in in_txt */
    json_object_object_add(a, "input", es_pair("filter",
                           field_query("wildcard", "in_txt", "*")));
    return a;
}

/* A recording's facts from its bucket */
static struct json_object *
rec_info(struct json_object *b)
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
          bool oldest_first, bool stats, struct json_object **answer,
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
    if (stats) {
        json_object_object_add(recs, "aggs", rec_aggs());
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

int
recs_search(struct store *s, struct json_object *filter,
            struct json_object *input_filter, const struct recs_query *q,
            struct json_object **result, char *err, size_t errsz)
{
    struct json_object *f = json_object_new_array(), *a = NULL, *b = NULL;
    struct json_object *bs, *page, *ids, *r, *o;
    long long total = 0;
    size_t i, n, nids;
    int rc;

    json_object_array_add(f, json_object_get(filter));
    if (q->user != NULL) {
        json_object_array_add(f, field_query("wildcard", "user", q->user));
    }
    if (q->host != NULL) {
        json_object_array_add(f, field_query("wildcard", "host", q->host));
    }
    if (q->from >= 0 || q->to >= 0) {
        struct json_object *t = json_object_new_object();

        if (q->from >= 0) {
            json_object_object_add(t, "gte", json_object_new_int64(q->from));
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
    /* the recordings with a matching message, then their whole facts */
    rc = aggregate(s, all_of(f), q->offset + q->size, q->oldest_first,
                   false, &a, err, errsz);
    if (rc < 0) {
        return rc;
    }
    bs = buckets(a, err, errsz);
    if (bs == NULL) {
        json_object_put(a);
        return -EIO;
    }
    if (json_object_object_get_ex(a, "aggregations", &o) &&
        json_object_object_get_ex(o, "total", &o) &&
        json_object_object_get_ex(o, "value", &o)) {
        total = json_object_get_int64(o);
    }
    ids = json_object_new_array();
    n = json_object_array_length(bs);
    for (i = q->offset; i < n; i++) {
        json_object_object_get_ex(json_object_array_get_idx(bs, i), "key",
                                  &o);
        json_object_array_add(ids, json_object_get(o));
    }
    json_object_put(a);
    page = json_object_new_array();
    nids = json_object_array_length(ids);
    if (nids > 0) {
        f = json_object_new_array();
        json_object_array_add(f, json_object_get(filter));
        json_object_array_add(f, es_pair("terms", es_pair("rec", ids)));
        rc = aggregate(s, all_of(f), nids, q->oldest_first, true, &b, err,
                       errsz);
        bs = rc == 0 ? buckets(b, err, errsz) : NULL;
        if (bs == NULL) {
            json_object_put(b);
            json_object_put(page);
            return rc < 0 ? rc : -EIO;
        }
        for (i = 0; i < json_object_array_length(bs); i++) {
            json_object_array_add(page,
                                  rec_info(json_object_array_get_idx(bs, i)));
        }
        json_object_put(b);
    } else {
        json_object_put(ids);
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
    rc = aggregate(s, all_of(f), 1, false, true, &a, err, errsz);
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
                                                                      0));

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
recs_walk_bucket(struct json_object *b)
{
    return rec_info(b);
}
