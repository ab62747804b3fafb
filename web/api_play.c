/*
 * The playback API: each handler checks that the recording is visible
 * to the auditor under the play right (the same 404 as for one that
 * does not exist), then answers from the cached snapshot index.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "api_play.h"
#include "recs.h"
#include "request.h"
#include "store.h"
#include "timeline.h"
#include "es.h"

/*
 * The host of recording rec as its facts (recs_get()) name it, the host
 * of most of its messages visible through filter, from a search that
 * computes nothing else: the index is asked for again and again while
 * it is built, and the facts aggregate all the recording's messages.
 * 0 with host filled, -ENOENT when no message is visible, or another
 * negative errno value with err filled.
 */
static int
visible_host(struct store *st, struct json_object *filter, const char *rec,
             char *host, size_t hostsz, char *err, size_t errsz)
{
    struct json_object *body, *f, *terms, *a = NULL;
    int rc;

    f = json_object_new_array();
    json_object_array_add(f, json_object_get(filter));
    json_object_array_add(f, es_pair("term", es_pair("rec", es_pair("value",
                                  json_object_new_string(rec)))));
    terms = es_pair("field", json_object_new_string("host"));
    json_object_object_add(terms, "size", json_object_new_int(1));
    body = es_pair("size", json_object_new_int(0));
    json_object_object_add(body, "query", es_pair("bool", es_pair("filter", f)));
    json_object_object_add(body, "aggs", es_pair("host", es_pair("terms", terms)));
    rc = store_search(st, body, &a, err, errsz);
    json_object_put(body);
    if (rc < 0) {
        return rc;
    }
    rc = store_first_key(a, "host", host, hostsz, err, errsz);
    json_object_put(a);
    return rc;
}

/*
 * The index of rec for this call, once the recording is visible: 0 with
 * *pt (timeline_put() it), or an answer already given in *ret (-1).
 * With with_input (answers holding events), *with_input says whether
 * typed input may be shown; otherwise it is left alone (one search
 * less before an index is answered).
 */
static int
open_timeline(struct call *c, const char *rec, const char *host,
              const char *action, const char *query, struct timeline **pt,
              bool *cached, bool *with_input, enum MHD_Result *ret)
{
    struct json_object *filter;
    char err[512], h[256];
    int rc;

    filter = api_visible(c, RULES_PLAY, host);
    rc = visible_host(c->s->conf.store, filter, rec, h, sizeof(h), err,
                      sizeof(err));
    json_object_put(filter);
    if (rc == -ENOENT) {
        call_record(c, NULL, action, rec, query, "not-found");
        *ret = call_no_recording(c);
        return -1;
    }
    if (rc < 0) {
        *ret = call_store_failed(c, action, rec, err);
        return -1;
    }
    if (with_input != NULL) {
        filter = api_visible(c, RULES_PLAY | RULES_INPUT, h);
        rc = recs_visible(c->s->conf.store, filter, rec, err, sizeof(err));
        json_object_put(filter);
        if (rc < 0) {
            *ret = call_store_failed(c, action, rec, err);
            return -1;
        }
        *with_input = rc > 0;
    }
    /* the index holds what the rules let this auditor play, no more */
    filter = api_visible(c, RULES_PLAY, h);
    rc = timeline_get(c->s->conf.timelines, h, rec,
                      json_object_to_json_string_ext(filter,
                                                     JSON_C_TO_STRING_PLAIN),
                      pt, cached);
    json_object_put(filter);
    if (rc < 0) {
        fprintf(stderr, "tlog-web: %s: indexing recording %s: %s\n", action,
                rec, strerror(-rc));
        call_record(c, NULL, action, rec, query, "error");
        *ret = call_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, rc == -EAGAIN ?
                          "other recordings are being indexed: try again"
                          " shortly" : "cannot index the recording now: try"
                          " again shortly", 5);
        return -1;
    }
    return 0;
}

/* The answer for a failure of the index or a segment read */
static enum MHD_Result
failed(struct call *c, int rc, const char *action, const char *rec,
       const char *query, const char *err)
{
    if (rc == -EAGAIN) {
        call_record(c, NULL, action, rec, query, "not-ready");
        return call_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the recording"
                          " is still being indexed up to there: ask again"
                          " shortly", 2);
    }
    if (rc == -ENOENT) {
        call_record(c, NULL, action, rec, query, "no-such-segment");
        return call_error(c, MHD_HTTP_NOT_FOUND, "no such segment: GET"
                          " /api/recordings/REC/segments lists them", 0);
    }
    return call_store_failed(c, action, rec, err);
}

enum MHD_Result
api_play_index(struct call *c, const char *rec)
{
    static const char *const names[] = { "host", NULL };
    struct json_object *result = NULL;
    struct timeline *t;
    struct call_query p;
    enum MHD_Result ret;
    bool cached;
    char err[512];
    int rc;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: host");
    }
    if (open_timeline(c, rec, p.values[0], "play-index", p.text, &t,
                      &cached, NULL, &ret) < 0) {
        return ret;
    }
    rc = timeline_index(t, TIMELINE_WAIT_MS, &result, err, sizeof(err));
    timeline_put(c->s->conf.timelines, t);
    if (rc < 0) {
        return failed(c, rc, "play-index", rec, p.text, err);
    }
    json_object_object_add(result, "cached",
                           json_object_new_boolean(cached));
    call_record(c, NULL, "play-index", rec, p.text, "ok");
    return call_reply(c, MHD_HTTP_OK, result, NULL, 0);
}

/* Answer segment i of rec from t (given back) */
static enum MHD_Result
segment(struct call *c, const char *rec, struct timeline *t, bool with_input,
        size_t i, const char *action, const char *query)
{
    struct json_object *result = NULL;
    char err[512];
    int rc;

    rc = timeline_segment(t, i, with_input, TIMELINE_WAIT_MS, &result, err,
                          sizeof(err));
    timeline_put(c->s->conf.timelines, t);
    if (rc < 0) {
        return failed(c, rc, action, rec, query, err);
    }
    call_record(c, NULL, action, rec, query, "ok");
    return call_reply(c, MHD_HTTP_OK, result, NULL, 0);
}

enum MHD_Result
api_play_segment(struct call *c, const char *rec, const char *is)
{
    static const char *const names[] = { "host", NULL };
    struct timeline *t;
    struct call_query p;
    enum MHD_Result ret;
    bool cached, with_input;
    char err[256];
    long long i;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: host");
    }
    if (request_int("segment", is, 0, API_PLAY_SEGMENT_MAX, &i, err,
                    sizeof(err)) < 0) {
        return call_bad_request(c, err, "segments count from 0 (see"
                                " /api/recordings/REC/segments)");
    }
    if (open_timeline(c, rec, p.values[0], "play-segment", p.text, &t,
                      &cached, &with_input, &ret) < 0) {
        return ret;
    }
    return segment(c, rec, t, with_input, (size_t)i, "play-segment", p.text);
}

enum MHD_Result
api_play_seek(struct call *c, const char *rec)
{
    static const char *const names[] = { "t", "host", NULL };
    struct timeline *t;
    struct call_query p;
    enum MHD_Result ret;
    bool cached, with_input;
    char err[512];
    long long pos;
    size_t i = 0;
    int rc;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: t, host");
    }
    if (p.values[0] == NULL ||
        request_int("t", p.values[0], 0, API_PLAY_POS_MAX, &pos, err,
                    sizeof(err)) < 0) {
        return call_bad_request(c, p.values[0] ? err : "parameter \"t\""
                                " missing", "give t, ms from the"
                                " recording's start");
    }
    if (open_timeline(c, rec, p.values[1], "play-seek", p.text, &t,
                      &cached, &with_input, &ret) < 0) {
        return ret;
    }
    rc = timeline_seek(t, (uint64_t)pos, TIMELINE_WAIT_MS, &i, err,
                       sizeof(err));
    if (rc < 0) {
        timeline_put(c->s->conf.timelines, t);
        return failed(c, rc, "play-seek", rec, p.text, err);
    }
    /* the same index: the recording's visibility was checked once */
    return segment(c, rec, t, with_input, i, "play-seek", p.text);
}

enum MHD_Result
api_play_find(struct call *c, const char *rec)
{
    static const char *const names[] = { "text", "host", NULL };
    struct json_object *result = NULL;
    struct timeline *t;
    struct call_query p;
    enum MHD_Result ret;
    bool cached;
    char err[512];
    int rc;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: text, host");
    }
    if (p.values[0] == NULL || *p.values[0] == 0 ||
        strlen(p.values[0]) > TIMELINE_FIND_TEXT_MAX) {
        return call_bad_request(c, "parameter \"text\" missing, empty or"
                                " too long", "give 1 to 256 bytes of text");
    }
    if (open_timeline(c, rec, p.values[1], "play-find", p.text, &t,
                      &cached, NULL, &ret) < 0) {
        return ret;
    }
    /* the whole recording is searched once it is indexed */
    rc = timeline_seek(t, API_PLAY_POS_MAX, TIMELINE_WAIT_MS, &(size_t){0},
                       err, sizeof(err));
    if (rc == 0 || rc == -EAGAIN) {
        rc = timeline_find(t, p.values[0], &result);
    }
    timeline_put(c->s->conf.timelines, t);
    if (rc < 0) {
        return failed(c, rc, "play-find", rec, p.text, err);
    }
    call_record(c, NULL, "play-find", rec, p.text, "ok");
    return call_reply(c, MHD_HTTP_OK, result, NULL, 0);
}
