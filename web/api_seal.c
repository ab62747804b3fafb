/*
 * GET /api/recordings/REC/seal: one recording's verification state
 * (seals.h), checked now unless cached.  The recording must be visible
 * to the auditor under the search right, as its facts are.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "recs.h"
#include "seals.h"

enum MHD_Result
api_seal(struct call *c, const char *rec)
{
    static const char *const names[] = { "host", NULL };
    struct json_object *filter, *facts = NULL, *state = NULL, *o;
    struct call_query p;
    char err[512] = "";
    int rc;

    if (call_query_get(c, &p, names) < 0) {
        return call_bad_request(c, p.err, "known: host");
    }
    filter = api_visible(c, RULES_SEARCH, p.values[0]);
    rc = recs_get(c->s->conf.store, filter, rec, &facts, err, sizeof(err));
    json_object_put(filter);
    if (rc == -ENOENT) {
        call_record(c, NULL, "seal", rec, p.text, "not-found");
        return call_no_recording(c);
    }
    if (rc < 0) {
        return call_store_failed(c, "seal", rec, err);
    }
    rc = seals_check(c->s->conf.seals,
                     json_object_object_get_ex(facts, "host", &o) ?
                     json_object_get_string(o) : "", rec, &state, err,
                     sizeof(err));
    json_object_put(facts);
    if (rc == -EBUSY) {
        return call_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "other"
                          " recordings are being checked: ask again in a"
                          " moment", 2);
    }
    if (rc < 0) {
        return call_store_failed(c, "seal", rec, *err ? err :
                                 strerror(-rc));
    }
    call_record(c, NULL, "seal", rec, p.text, "ok");
    return call_reply(c, MHD_HTTP_OK, state, NULL, 0);
}
