/*
 * GET /api/recordings/REC/live: following a running recording.  The
 * checks happen here, in the pool thread; the stream itself is live.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "live.h"
#include "recs.h"
#include "request.h"

enum MHD_Result
api_live(struct call *c, const char *rec)
{
    static const char *const names[] = { "from_id", "host", NULL };
    struct json_object *filter, *input, *facts = NULL, *o;
    struct live_want w = { .rec = rec, .from_id = 1 };
    struct MHD_Response *r = NULL;
    struct call_query p;
    enum MHD_Result ret;
    char err[512];
    int rc;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: from_id, host");
    }
    if (p.values[0] && request_int("from_id", p.values[0], 1, (1LL << 53),
                                   &w.from_id, err, sizeof(err)) < 0) {
        return call_bad_request(c, err, "from_id counts from 1");
    }
    if (!(rules_rights(c->s->conf.rules, c->sess.user, c->sess.groups) &
          RULES_LIVE)) {
        call_record(c, NULL, "live", rec, p.text, "denied");
        return call_error(c, MHD_HTTP_FORBIDDEN, "following a recording"
                          " needs the \"live\" right, which no rule gives"
                          " you: play it once it has ended", 0);
    }
    filter = api_visible(c, RULES_LIVE, p.values[1]);
    rc = recs_get(c->s->conf.store, filter, rec, &facts, err, sizeof(err));
    if (rc == -ENOENT) {
        json_object_put(filter);
        call_record(c, NULL, "live", rec, p.text, "not-found");
        return call_no_recording(c);
    }
    if (rc < 0) {
        json_object_put(filter);
        return call_store_failed(c, "live", rec, err);
    }
    w.host = json_object_object_get_ex(facts, "host", &o) ?
             json_object_get_string(o) : "";
    input = api_visible(c, RULES_LIVE | RULES_INPUT, w.host);
    rc = recs_visible(c->s->conf.store, input, rec, err, sizeof(err));
    json_object_put(input);
    if (rc < 0) {
        json_object_put(filter);
        json_object_put(facts);
        return call_store_failed(c, "live", rec, err);
    }
    w.with_input = rc > 0;
    w.filter = filter;
    w.rules = c->s->conf.rules;
    w.user = c->sess.user;
    w.groups = c->sess.groups;
    w.token = MHD_lookup_connection_value(c->con, MHD_COOKIE_KIND, COOKIE);
    if (w.token == NULL) {
        w.token = "";
    }
    rc = live_open(c->s->live, c->con, &w, &r);
    json_object_put(filter);
    json_object_put(facts);
    if (rc == -EBUSY) {
        call_record(c, NULL, "live", rec, p.text, "busy");
        return call_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many live"
                          " streams open on this server: close one, or try"
                          " again later", 10);
    }
    if (rc < 0) {
        return MHD_NO;
    }
    call_headers(c, r, "text/event-stream; charset=utf-8");
    /* no proxy holds the events back */
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    call_record(c, NULL, "live", rec, p.text, "ok");
    ret = MHD_queue_response(c->con, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}
