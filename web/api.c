/*
 * The recordings API: search, one recording's facts, its messages.  Each
 * handler builds the auditor's rule filter for the right it needs and
 * hands it to recs.c, which puts it inside the query.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "audit.h"
#include "audit_query.h"
#include "cmdsearch.h"
#include "recs.h"
#include "request.h"
#include "seals.h"

struct json_object *
api_visible(struct call *c, unsigned need, const char *host)
{
    struct json_object *f = rules_filter(c->s->conf.rules, c->sess.user,
                                         c->sess.groups, need);
    struct json_object *all, *t, *b, *o;

    if (host == NULL) {
        return f;
    }
    t = json_object_new_object();
    json_object_object_add(t, "host", json_object_new_string(host));
    o = json_object_new_object();
    json_object_object_add(o, "term", t);
    all = json_object_new_array();
    json_object_array_add(all, f);
    json_object_array_add(all, o);
    b = json_object_new_object();
    json_object_object_add(b, "filter", all);
    o = json_object_new_object();
    json_object_object_add(o, "bool", b);
    return o;
}

/* Add the recording's cached verification state to its facts r */
static void
api_seal_row(struct call *c, struct json_object *r)
{
    struct json_object *one = json_object_new_array();
    char err[512] = "";

    json_object_array_add(one, json_object_get(r));
    if (seals_rows(c->s->conf.seals, one, err, sizeof(err)) < 0) {
        fprintf(stderr, "tlog-web: verification state: %s\n", err);
    }
    json_object_put(one);
}

/* The sort and live parameters of a search (values 10 and 11 of p)
 * into q; -EINVAL with err saying why */
static int
search_order(const struct call_query *p, struct recs_query *q, char *err,
             size_t errsz)
{
    static const char *const keys[] = {
        [RECS_SORT_START] = "start", [RECS_SORT_USER] = "user",
        [RECS_SORT_HOST] = "host", [RECS_SORT_DURATION] = "duration",
        [RECS_SORT_GAPS] = "gaps", [RECS_SORT_LIVE] = "live",
    };
    const char *v = p->values[10];
    size_t i;

    if (v != NULL) {
        if (p->values[8] != NULL) {
            snprintf(err, errsz, "give \"sort\" or \"order\", not both");
            return -EINVAL;
        }
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            if (!strcmp(v + (v[0] == '-'), keys[i])) {
                break;
            }
        }
        if (i == sizeof(keys) / sizeof(keys[0])) {
            snprintf(err, errsz, "parameter \"sort\" must be one of user,"
                     " host, start, duration, gaps, live, or one of them"
                     " after a -");
            return -EINVAL;
        }
        q->sort = (enum recs_sort)i;
        q->ascending = v[0] != '-';
    }
    v = p->values[11];
    if (v != NULL) {
        if (strcmp(v, "0") && strcmp(v, "1")) {
            snprintf(err, errsz, "parameter \"live\" must be 1 or 0");
            return -EINVAL;
        }
        q->live = v[0] == '1';
    }
    return 0;
}

enum MHD_Result
api_search(struct call *c)
{
    static const char *const names[] = {
        "user", "host", "shown", "typed", "from", "to", "offset", "size",
        "order", "command", "sort", "live", NULL
    };
    struct recs_query q = { .from = -1, .to = -1, .size = 20 };
    struct json_object *filter, *input, *result = NULL;
    struct call_query p;
    char err[512];
    long long v;
    int rc;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: user, host, shown,"
                                " typed, from, to, offset, size, order,"
                                " command, sort, live");
    }
    q.user = p.values[0];
    q.host = p.values[1];
    q.shown = p.values[2];
    q.typed = p.values[3];
    if ((p.values[4] && request_int("from", p.values[4], 0, 1LL << 40,
                                    &q.from, err, sizeof(err)) < 0) ||
        (p.values[5] && request_int("to", p.values[5], 0, 1LL << 40, &q.to,
                                    err, sizeof(err)) < 0)) {
        return call_bad_request(c, err, "give seconds since the epoch");
    }
    if (p.values[6]) {
        if (request_int("offset", p.values[6], 0, RECS_SEARCH_MAX - 1, &v,
                        err, sizeof(err)) < 0) {
            return call_bad_request(c, err, "page through at most the first "
                                    "1000 results; narrow the search");
        }
        q.offset = (size_t)v;
    }
    if (p.values[7]) {
        if (request_int("size", p.values[7], 1, RECS_PAGE_MAX, &v, err,
                        sizeof(err)) < 0) {
            return call_bad_request(c, err, "ask for fewer per page");
        }
        q.size = (size_t)v;
    }
    if (q.offset + q.size > RECS_SEARCH_MAX) {
        q.size = RECS_SEARCH_MAX - q.offset;
    }
    if (p.values[8]) {
        if (strcmp(p.values[8], "newest") && strcmp(p.values[8], "oldest")) {
            return call_bad_request(c, "parameter \"order\" must be"
                                    " \"newest\" or \"oldest\"",
                                    "newest is the default");
        }
        q.ascending = !strcmp(p.values[8], "oldest");
    }
    if (search_order(&p, &q, err, sizeof(err)) < 0) {
        return call_bad_request(c, err, "sort by user, host, start,"
                                " duration, gaps or live, with a - before"
                                " it for the other way (sort=-duration:"
                                " the longest first); live is 1 or 0");
    }
    if (q.typed != NULL && !(rules_rights(c->s->conf.rules, c->sess.user,
                                          c->sess.groups) & RULES_INPUT)) {
        call_record(c, NULL, "search", NULL, p.text, "denied");
        return call_error(c, MHD_HTTP_FORBIDDEN, "searching typed text"
                          " needs the \"input\" right, which no rule gives"
                          " you: search shown text with \"shown\"", 0);
    }
    if (p.values[9] != NULL &&
        cmdsearch_filter(c->s->conf.store, c->s->conf.audit_index,
                         p.values[9], &q.also, err, sizeof(err)) < 0) {
        return call_store_failed(c, "search", NULL, err);
    }
    filter = rules_filter(c->s->conf.rules, c->sess.user, c->sess.groups,
                          RULES_SEARCH);
    input = rules_filter(c->s->conf.rules, c->sess.user, c->sess.groups,
                         RULES_SEARCH | RULES_INPUT);
    rc = recs_search(c->s->conf.store, filter, input, &q, &result, err,
                     sizeof(err));
    json_object_put(filter);
    json_object_put(input);
    json_object_put(q.also);
    if (rc < 0) {
        return call_store_failed(c, "search", NULL, err);
    }
    /* each row's verification state, as cached; on failure none */
    if (seals_rows(c->s->conf.seals, json_object_object_get(result,
                   "recordings"), err, sizeof(err)) < 0) {
        fprintf(stderr, "tlog-web: verification states: %s\n", err);
    }
    call_record(c, NULL, "search", NULL, p.text, "ok");
    return call_reply(c, MHD_HTTP_OK, result, NULL, 0);
}

enum MHD_Result
api_recording(struct call *c, const char *rec)
{
    static const char *const names[] = { "host", NULL };
    struct json_object *filter, *result = NULL, *input;
    struct call_query p;
    char err[512];
    int rc;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: host");
    }
    filter = api_visible(c, RULES_SEARCH, p.values[0]);
    rc = recs_get(c->s->conf.store, filter, rec, &result, err, sizeof(err));
    json_object_put(filter);
    if (rc == -ENOENT) {
        call_record(c, NULL, "view", rec, p.text, "not-found");
        return call_no_recording(c);
    }
    if (rc < 0) {
        return call_store_failed(c, "view", rec, err);
    }
    /* what this auditor may do with it */
    input = api_visible(c, RULES_PLAY | RULES_INPUT, p.values[0]);
    rc = recs_visible(c->s->conf.store, input, rec, err, sizeof(err));
    json_object_put(input);
    json_object_object_add(result, "input_visible",
                           json_object_new_boolean(rc > 0));
    api_seal_row(c, result);
    call_record(c, NULL, "view", rec, p.text, "ok");
    return call_reply(c, MHD_HTTP_OK, result, NULL, 0);
}

enum MHD_Result
api_messages(struct call *c, const char *rec)
{
    static const char *const names[] = { "from_id", "size", "host", NULL };
    struct json_object *filter, *input, *result = NULL;
    long long from_id = 1, size = 100;
    struct call_query p;
    char err[512];
    int rc, with_input;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: from_id, size, host");
    }
    if ((p.values[0] && request_int("from_id", p.values[0], 1,
                                    (1LL << 53), &from_id, err,
                                    sizeof(err)) < 0) ||
        (p.values[1] && request_int("size", p.values[1], 1,
                                    RECS_MESSAGES_MAX, &size, err,
                                    sizeof(err)) < 0)) {
        return call_bad_request(c, err, "from_id counts from 1; ask for fewer"
                                " messages at once");
    }
    input = api_visible(c, RULES_PLAY | RULES_INPUT, p.values[2]);
    with_input = recs_visible(c->s->conf.store, input, rec, err,
                              sizeof(err));
    json_object_put(input);
    if (with_input < 0) {
        return call_store_failed(c, "play", rec, err);
    }
    filter = api_visible(c, RULES_PLAY, p.values[2]);
    rc = recs_messages(c->s->conf.store, filter, rec, from_id, (size_t)size,
                       with_input > 0, &result, err, sizeof(err));
    json_object_put(filter);
    if (rc == -ENOENT) {
        call_record(c, NULL, "play", rec, p.text, "not-found");
        return call_no_recording(c);
    }
    if (rc < 0) {
        return call_store_failed(c, "play", rec, err);
    }
    call_record(c, NULL, "play", rec, p.text, "ok");
    return call_reply(c, MHD_HTTP_OK, result, NULL, 0);
}

/* The search of q on the audit indices, its events added to events;
 * the number left out, or a negative errno value */
static int
audit_add(struct call *c, struct json_object *q, long long start_ms,
          struct json_object *events, char *err, size_t errsz)
{
    struct json_object *answer = NULL;
    char path[STORE_URL_MAX];
    int rc;

    snprintf(path, sizeof(path), "%s/_search", c->s->conf.audit_index);
    rc = store_post(c->s->conf.store, path, q, &answer, err, errsz);
    json_object_put(q);
    if (rc < 0) {
        return rc;
    }
    rc = audit_events_add(events, answer, start_ms, err, errsz);
    json_object_put(answer);
    return rc;
}

enum MHD_Result
api_audit(struct call *c, const char *rec)
{
    static const char *const names[] = { "host", NULL };
    struct json_object *filter, *facts = NULL, *o, *q, *events, *result;
    struct audit_rec ar;
    struct call_query p;
    long long dropped = 0;
    char err[512];
    int rc;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: host");
    }
    filter = api_visible(c, RULES_PLAY, p.values[0]);
    rc = recs_get(c->s->conf.store, filter, rec, &facts, err, sizeof(err));
    json_object_put(filter);
    if (rc == -ENOENT) {
        call_record(c, NULL, "audit", rec, p.text, "not-found");
        return call_no_recording(c);
    }
    if (rc < 0) {
        return call_store_failed(c, "audit", rec, err);
    }
    memset(&ar, 0, sizeof(ar));
    ar.host = json_object_object_get_ex(facts, "host", &o) ?
              json_object_get_string(o) : "";
    ar.user = json_object_object_get_ex(facts, "user", &o) ?
              json_object_get_string(o) : "";
    ar.session = json_object_object_get_ex(facts, "session", &o) ?
                 json_object_get_int64(o) : 0;
    ar.start_ms = json_object_object_get_ex(facts, "start_ms", &o) ?
                  json_object_get_int64(o) : 0;
    /* the last message's time: where the first messages are left out,
     * start_ms + duration_ms falls short of it */
    ar.end_ms = json_object_object_get_ex(facts, "end_ms", &o) ?
                json_object_get_int64(o) : ar.start_ms;
    /* the rules' time window holds for the events as for the messages */
    ar.since_ms = rules_since_ms(c->s->conf.rules, c->sess.user,
                                 c->sess.groups, RULES_PLAY, ar.user,
                                 ar.host, time(NULL));
    if (ar.since_ms < 0) {
        ar.since_ms = LLONG_MAX;
    }
    events = json_object_new_array();
    /* a recording made outside a login session (tlog-rec) has no audit
     * session: its own events cannot be asked for, its logins can */
    rc = 0;
    if (audit_query_session(&ar, AUDIT_MARGIN_MS, &q, err,
                            sizeof(err)) == 0) {
        rc = audit_add(c, q, ar.start_ms, events, err, sizeof(err));
        dropped += rc > 0 ? rc : 0;
    }
    if (rc >= 0 && audit_query_login(&ar, AUDIT_LOGIN_BEFORE_MS,
                                     AUDIT_MARGIN_MS, &q, err,
                                     sizeof(err)) == 0) {
        rc = audit_add(c, q, ar.start_ms, events, err, sizeof(err));
        dropped += rc > 0 ? rc : 0;
    }
    json_object_put(facts);
    if (rc < 0) {
        json_object_put(events);
        return call_store_failed(c, "audit", rec, err);
    }
    audit_events_sort(events);
    result = json_object_new_object();
    json_object_object_add(result, "rec", json_object_new_string(rec));
    json_object_object_add(result, "start_ms",
                           json_object_new_int64(ar.start_ms));
    json_object_object_add(result, "dropped", json_object_new_int64(dropped));
    json_object_object_add(result, "events", events);
    call_record(c, NULL, "audit", rec, p.text, "ok");
    return call_reply(c, MHD_HTTP_OK, result, NULL, 0);
}
