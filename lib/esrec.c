/*
 * Recordings from an Elasticsearch aggregation.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ending.h"
#include "esrec.h"
#include "es.h"

/* {kind: {"field": field}} */
static struct json_object *
metric(const char *kind, const char *field)
{
    return es_pair(kind, es_pair("field", json_object_new_string(field)));
}

/* {"terms": {"field": field + kw, "size": 1}} */
static struct json_object *
one_term(const char *field, const char *kw)
{
    struct json_object *t = json_object_new_object();
    char name[64];

    snprintf(name, sizeof(name), "%s%s", field, kw);
    if (t != NULL) {
        json_object_object_add(t, "field", json_object_new_string(name));
        json_object_object_add(t, "size", json_object_new_int(1));
    }
    return es_pair("terms", t);
}

struct json_object *
esrec_aggs(const char *kw)
{
    struct json_object *a = json_object_new_object(), *th, *sort, *src;

    th = json_object_new_object();
    sort = json_object_new_array();
    src = json_object_new_array();
    if (a == NULL || th == NULL || sort == NULL || src == NULL) {
        json_object_put(a);
        json_object_put(th);
        json_object_put(sort);
        json_object_put(src);
        return NULL;
    }
    json_object_object_add(a, "host", one_term("host", kw));
    json_object_object_add(a, "user", one_term("user", kw));
    json_object_object_add(a, "session", metric("max", "session"));
    json_object_object_add(a, "start", metric("min", "time"));
    json_object_object_add(a, "first", metric("min", "pos"));
    json_object_object_add(a, "end", metric("max", "pos"));
    json_object_object_add(a, "minid", metric("min", "id"));
    json_object_object_add(a, "maxid", metric("max", "id"));
    json_object_object_add(th, "size", json_object_new_int(1));
    json_object_array_add(sort, es_pair("id", es_pair("order",
                          json_object_new_string("desc"))));
    json_object_object_add(th, "sort", sort);
    json_object_array_add(src, json_object_new_string("x_tlog_end"));
    json_object_object_add(th, "_source", es_pair("includes", src));
    json_object_object_add(a, "last", es_pair("top_hits", th));
    return a;
}

/* The text of member key of o, or "" (when missing, or null: json-c
 * has no text for null) */
static const char *
text_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    const char *s;

    if (!json_object_object_get_ex(o, key, &v)) {
        return "";
    }
    s = json_object_get_string(v);
    return s != NULL ? s : "";
}

/* The key of the first bucket of aggregation name of b, or "" */
static const char *
agg_key(struct json_object *b, const char *name)
{
    struct json_object *a, *bs;

    if (json_object_object_get_ex(b, name, &a) &&
        json_object_object_get_ex(a, "buckets", &bs) &&
        json_object_is_type(bs, json_type_array) &&
        json_object_array_length(bs) > 0) {
        return text_of(json_object_array_get_idx(bs, 0), "key");
    }
    return "";
}

/*
 * The value of metric aggregation name of b, or -1.  Only a number up to
 * AGG_VALUE_MAX counts: the callers convert it to integers, and a larger
 * one (or NaN, or Infinity, which json-c reads too) would not convert.
 */
#define AGG_VALUE_MAX 1e18

static double
agg_value(struct json_object *b, const char *name)
{
    struct json_object *a, *v;
    double d;

    if (json_object_object_get_ex(b, name, &a) &&
        json_object_object_get_ex(a, "value", &v) &&
        json_object_get_type(v) != json_type_null) {
        d = json_object_get_double(v);
        return d >= -AGG_VALUE_MAX && d <= AGG_VALUE_MAX ? d : -1;
    }
    return -1;
}

/* How the recording of b ends, into v->end (v->messages set) */
static void
ending_of(struct json_object *b, struct src_rec *v)
{
    struct json_object *t, *hs, *h, *src, *x = NULL;
    double lo = agg_value(b, "minid"), hi = agg_value(b, "maxid");

    ending_init(&v->end);
    if (lo < 1 || hi < lo) {
        return;
    }
    v->end.started = true;
    v->end.last_id = (uint64_t)hi;
    v->end.gap = lo != 1 || (uint64_t)hi != v->messages;
    if (json_object_object_get_ex(b, "last", &t) &&
        json_object_object_get_ex(t, "hits", &hs) &&
        json_object_object_get_ex(hs, "hits", &hs) &&
        json_object_is_type(hs, json_type_array) &&
        json_object_array_length(hs) > 0 &&
        (h = json_object_array_get_idx(hs, 0)) != NULL &&
        json_object_object_get_ex(h, "_source", &src) &&
        json_object_object_get_ex(src, "x_tlog_end", &x)) {
        v->end.end_last = ending_describe(x, v->end.how, sizeof(v->end.how));
    }
}

int
esrec_read(struct json_object *b, struct src_rec *v)
{
    struct json_object *o;
    double start = agg_value(b, "start"), first = agg_value(b, "first");
    double session;

    memset(v, 0, sizeof(*v));
    v->rec = strdup(text_of(b, "key"));
    v->host = strdup(agg_key(b, "host"));
    v->user = strdup(agg_key(b, "user"));
    if (v->rec == NULL || v->host == NULL || v->user == NULL) {
        return -ENOMEM;
    }
    session = agg_value(b, "session");
    v->session = session > 0 && session <= UINT32_MAX ? (uint32_t)session : 0;
    v->first_pos = first > 0 ? (uint64_t)first : 0;
    /* "time" mapped as a date aggregates in ms, as a number in s */
    if (start >= 1e11) {
        start /= 1000;
    }
    v->start_ms = start < 0 ? -1 : (int64_t)(start * 1000) -
                  (int64_t)v->first_pos;
    v->end_pos = agg_value(b, "end") > 0 ? (uint64_t)agg_value(b, "end") : 0;
    if (json_object_object_get_ex(b, "doc_count", &o)) {
        v->messages = (uint64_t)json_object_get_int64(o);
    }
    ending_of(b, v);
    return 0;
}

int
esrec_list(struct json_object *answer, struct src_rec **recs, size_t *n,
           char *err, size_t errsz)
{
    struct json_object *aggs, *a, *buckets;
    struct src_rec *v;
    size_t i, nb, nv = 0;
    int rc = 0;

    if (!json_object_object_get_ex(answer, "aggregations", &aggs) ||
        !json_object_object_get_ex(aggs, "recs", &a) ||
        !json_object_object_get_ex(a, "buckets", &buckets) ||
        !json_object_is_type(buckets, json_type_array)) {
        snprintf(err, errsz, "Elasticsearch answered without the"
                 " aggregation asked for");
        return -EIO;
    }
    nb = json_object_array_length(buckets);
    v = calloc(nb ? nb : 1, sizeof(*v));
    if (v == NULL) {
        snprintf(err, errsz, "out of memory listing the recordings in"
                 " Elasticsearch");
        return -ENOMEM;
    }
    for (i = 0; i < nb && rc == 0; i++) {
        /* counted first: a bucket half read is freed with the others */
        rc = esrec_read(json_object_array_get_idx(buckets, i), &v[nv++]);
    }
    if (rc < 0) {
        src_recs_free(v, nv);
        snprintf(err, errsz, "cannot read the recordings Elasticsearch"
                 " listed: %s", strerror(-rc));
        return rc;
    }
    *recs = v;
    *n = nv;
    return 0;
}
