/*
 * The Elasticsearch requests that find a recording's audit events.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_query.h"

/* The fields of login and authentication records that may name the
 * user */
static const char *const user_fields[] = { "acct", "auid", "id", "uid" };
#define USER_FIELDS (sizeof(user_fields) / sizeof(user_fields[0]))

/* {"term": {field: value}} */
static struct json_object *
term(const char *field, const char *value)
{
    struct json_object *t = json_object_new_object();
    struct json_object *f = json_object_new_object();

    if (t == NULL || f == NULL || audit_json_add(f, field,
                                      json_object_new_string(value)) < 0 ||
        audit_json_add(t, "term", f) < 0) {
        json_object_put(t);
        return NULL;
    }
    return t;
}

/*
 * The host clause.  rsyslog stamps aushape's events with its $hostname,
 * which is the short name unless preserveFQDN is on, while recordings
 * carry the fully qualified one: a dotted host matches either.
 */
static struct json_object *
host_clause(const char *host)
{
    const char *dot = strchr(host, '.');
    struct json_object *t, *f, *names;

    if (dot == NULL || dot == host) {
        return term("host", host);
    }
    t = json_object_new_object();
    f = json_object_new_object();
    names = json_object_new_array();
    if (t == NULL || f == NULL || names == NULL ||
        audit_json_push(names, json_object_new_string(host)) < 0 ||
        audit_json_push(names, json_object_new_string_len(host,
                                               (int)(dot - host))) < 0) {
        json_object_put(t);
        json_object_put(f);
        json_object_put(names);
        return NULL;
    }
    if (audit_json_add(f, "host", names) < 0 ||
        audit_json_add(t, "terms", f) < 0) {
        json_object_put(t);
        return NULL;
    }
    return t;
}

/* {"range": {"time": {"gte": from, "lte": to, "format": "epoch_millis"}}} */
static struct json_object *
time_range(long long from, long long to)
{
    struct json_object *r = json_object_new_object();
    struct json_object *t = json_object_new_object();
    struct json_object *b = json_object_new_object();

    if (r == NULL || t == NULL || b == NULL ||
        audit_json_add(b, "gte", json_object_new_int64(from)) < 0 ||
        audit_json_add(b, "lte", json_object_new_int64(to)) < 0 ||
        audit_json_add(b, "format",
                       json_object_new_string("epoch_millis")) < 0 ||
        audit_json_add(t, "time", b) < 0) {
        json_object_put(r);
        json_object_put(t);
        json_object_put(b);
        return NULL;
    }
    b = NULL;
    if (audit_json_add(r, "range", t) < 0) {
        json_object_put(r);
        return NULL;
    }
    return r;
}

/*
 * The request around filter clauses: {"size", "sort" by time,
 * "track_total_hits", "query": {"bool": {"filter": filter}}}; takes
 * filter.
 */
static int
request(struct json_object *filter, struct json_object **query)
{
    struct json_object *q = json_object_new_object();
    struct json_object *sort = json_object_new_array();
    struct json_object *by = json_object_new_object();
    struct json_object *time = json_object_new_object();
    struct json_object *b = json_object_new_object();
    struct json_object *qq = json_object_new_object();
    int rc = -ENOMEM;

    if (q == NULL || sort == NULL || by == NULL || time == NULL ||
        b == NULL || qq == NULL) {
        goto out;
    }
    if (audit_json_add(time, "order", json_object_new_string("asc")) < 0 ||
        audit_json_add(time, "unmapped_type",
                       json_object_new_string("date")) < 0) {
        goto out;
    }
    rc = audit_json_add(by, "time", time);
    time = NULL;
    if (rc == 0) {
        rc = audit_json_push(sort, by);
    }
    by = NULL;
    if (rc == 0) {
        rc = audit_json_add(b, "filter", filter);
    }
    filter = NULL;
    if (rc == 0) {
        rc = audit_json_add(qq, "bool", b);
    }
    b = NULL;
    if (rc == 0) {
        rc = audit_json_add(q, "size", json_object_new_int(AUDIT_EVENTS_MAX));
    }
    if (rc == 0) {
        rc = audit_json_add(q, "track_total_hits", json_object_new_boolean(1));
    }
    if (rc == 0) {
        rc = audit_json_add(q, "sort", sort);
    }
    sort = NULL;
    if (rc == 0) {
        rc = audit_json_add(q, "query", qq);
    }
    qq = NULL;
    if (rc == 0) {
        *query = q;
        q = NULL;
    }
out:
    json_object_put(q);
    json_object_put(sort);
    json_object_put(by);
    json_object_put(time);
    json_object_put(b);
    json_object_put(qq);
    json_object_put(filter);
    return rc;
}

/* {"bool": {"should": should, "minimum_should_match": 1}}; takes should */
static struct json_object *
any_of(struct json_object *should)
{
    struct json_object *o = json_object_new_object();
    struct json_object *b = json_object_new_object();

    if (o == NULL || b == NULL) {
        json_object_put(o);
        json_object_put(b);
        json_object_put(should);
        return NULL;
    }
    if (audit_json_add(b, "should", should) < 0 ||
        audit_json_add(b, "minimum_should_match",
                       json_object_new_int(1)) < 0 ||
        audit_json_add(o, "bool", b) < 0) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/*
 * The request for the events of r's host between from and to (ms; no
 * earlier than r->since_ms) matching any of should: what both kinds of
 * search end with.  Takes should.
 */
static int
around(const struct audit_rec *r, long long from, long long to,
       struct json_object *should, struct json_object **query)
{
    struct json_object *filter = json_object_new_array();
    int rc;

    if (filter == NULL) {
        json_object_put(should);
        return -ENOMEM;
    }
    rc = audit_json_push(filter, host_clause(r->host));
    if (rc == 0) {
        rc = audit_json_push(filter, time_range(from > r->since_ms ? from :
                                                r->since_ms, to));
    }
    if (rc == 0) {
        rc = audit_json_push(filter, any_of(should));
    } else {
        json_object_put(should);
    }
    if (rc < 0) {
        json_object_put(filter);
        return rc;
    }
    return request(filter, query);
}

int
audit_query_session(const struct audit_rec *r, long long margin_ms,
                    struct json_object **query, char *err, size_t errsz)
{
    struct json_object *should;
    char ses[32], field[64];
    size_t i;
    int rc;

    if (r->host == NULL || *r->host == '\0') {
        snprintf(err, errsz, "the recording has no host: its audit events"
                 " cannot be told from other hosts'");
        return -EINVAL;
    }
    if (r->session < 0 || r->session >= AUDIT_SESSION_UNSET) {
        snprintf(err, errsz, "the recording has no audit session (session"
                 " %lld): it was not made in a login session; only its"
                 " login events can be looked for", r->session);
        return -EINVAL;
    }
    snprintf(ses, sizeof(ses), "%lld", r->session);
    should = json_object_new_array();
    if (should == NULL) {
        snprintf(err, errsz, "out of memory building the audit query");
        return -ENOMEM;
    }
    /* the commands, and the session's own user-space events */
    rc = audit_json_push(should, term("data.syscall.ses", ses));
    for (i = 0; rc == 0 && audit_login_type(i) != NULL; i++) {
        snprintf(field, sizeof(field), "data.%s.ses", audit_login_type(i));
        rc = audit_json_push(should, term(field, ses));
    }
    if (rc < 0) {
        json_object_put(should);
        return rc;
    }
    return around(r, r->start_ms - margin_ms, r->end_ms + margin_ms, should,
                  query);
}

int
audit_query_login(const struct audit_rec *r, long long before_ms,
                  long long margin_ms, struct json_object **query,
                  char *err, size_t errsz)
{
    struct json_object *should;
    char field[64];
    size_t i, k;
    int rc = 0;

    if (r->host == NULL || *r->host == '\0' || r->user == NULL ||
        *r->user == '\0') {
        snprintf(err, errsz, "the recording has no %s: its login events"
                 " cannot be found", r->host == NULL || *r->host == '\0' ?
                 "host" : "user");
        return -EINVAL;
    }
    should = json_object_new_array();
    if (should == NULL) {
        snprintf(err, errsz, "out of memory building the audit query");
        return -ENOMEM;
    }
    for (i = 0; rc == 0 && audit_login_type(i) != NULL; i++) {
        for (k = 0; rc == 0 && k < USER_FIELDS; k++) {
            snprintf(field, sizeof(field), "data.%s.%s", audit_login_type(i),
                     user_fields[k]);
            rc = audit_json_push(should, term(field, r->user));
        }
    }
    if (rc < 0) {
        json_object_put(should);
        return rc;
    }
    return around(r, r->start_ms - before_ms, r->start_ms + margin_ms,
                  should, query);
}

/* The milliseconds of delay in a timing string ("+N" events) */
static long long
timing_ms(const char *t)
{
    long long sum = 0;

    for (; t != NULL && *t; t++) {
        if (*t == '+') {
            long long n = strtoll(t + 1, NULL, 10);

            /* bounded: the sum stays within the times added to it */
            if (n > 0 && n < 1000LL * 86400 * 365 &&
                sum < AUDIT_TIME_MAX_MS) {
                sum += n;
            }
        }
    }
    return sum < AUDIT_TIME_MAX_MS ? sum : AUDIT_TIME_MAX_MS;
}

/* The _source of the first hit of answer, or NULL */
static struct json_object *
source_of(struct json_object *answer)
{
    struct json_object *h, *hits, *hit, *src;

    if (!json_object_object_get_ex(answer, "hits", &h) ||
        !json_object_object_get_ex(h, "hits", &hits) ||
        !json_object_is_type(hits, json_type_array) ||
        json_object_array_length(hits) == 0) {
        return NULL;
    }
    hit = json_object_array_get_idx(hits, 0);
    if (!json_object_object_get_ex(hit, "_source", &src) ||
        !json_object_is_type(src, json_type_object)) {
        return NULL;
    }
    return src;
}

/* The string of key in src, or NULL */
static const char *
str_of(struct json_object *src, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(src, key, &v) &&
           json_object_is_type(v, json_type_string) ?
           json_object_get_string(v) : NULL;
}

/* Milliseconds of a message's time and pos, false when it lacks them or
 * they are past AUDIT_TIME_MAX_MS */
static bool
msg_time(struct json_object *src, long long *time_ms, long long *pos)
{
    struct json_object *t, *p;
    double d;
    int64_t n;

    if (!json_object_object_get_ex(src, "time", &t) ||
        !(json_object_is_type(t, json_type_double) ||
          json_object_is_type(t, json_type_int)) ||
        !json_object_object_get_ex(src, "pos", &p) ||
        !json_object_is_type(p, json_type_int)) {
        return false;
    }
    d = json_object_get_double(t) * 1000.0;
    n = json_object_get_int64(p);
    if (!(d >= 0 && d <= (double)AUDIT_TIME_MAX_MS) || n < 0 ||
        n > AUDIT_TIME_MAX_MS) {
        return false;
    }
    *time_ms = llround(d);
    *pos = n;
    return true;
}

int
audit_rec_walk(struct json_object *first, struct json_object *last,
               const char *rec, struct audit_rec *r, char *err,
               size_t errsz)
{
    struct json_object *s1 = source_of(first), *s2 = source_of(last), *v;
    long long t1, p1, t2, p2;

    if (s1 == NULL || s2 == NULL) {
        snprintf(err, errsz, "recording %s not found", rec);
        return -ENOENT;
    }
    if (str_of(s1, "host") == NULL || str_of(s1, "user") == NULL ||
        !msg_time(s1, &t1, &p1) || !msg_time(s2, &t2, &p2) ||
        !json_object_object_get_ex(s1, "session", &v) ||
        !json_object_is_type(v, json_type_int)) {
        snprintf(err, errsz, "recording %s: its first or last message lacks"
                 " host, user, session, time or pos (or has them out of"
                 " range)", rec);
        return -EINVAL;
    }
    r->host = str_of(s1, "host");
    r->user = str_of(s1, "user");
    r->session = json_object_get_int64(v);
    r->start_ms = t1 - p1;
    r->end_ms = t2 + timing_ms(str_of(s2, "timing"));
    r->since_ms = 0;
    return 0;
}
