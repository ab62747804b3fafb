/*
 * Fuzz target: the walk over Elasticsearch answers that makes the
 * console's audit event list.  Any JSON must be walked without a crash;
 * the list never grows past its maximum, every event in it has a kind
 * and an offset, and the list prints as valid UTF-8.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Events of the list with a serial and a time text: those never twice */
static size_t
identified(struct json_object *events)
{
    struct json_object *o;
    size_t i, n = 0;

    for (i = 0; i < json_object_array_length(events); i++) {
        o = json_object_array_get_idx(events, i);
        n += json_object_object_get_ex(o, "serial", NULL) &&
             json_object_object_get_ex(o, "time", NULL);
    }
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_tokener *tok;
    struct json_object *answer, *events, *k, *o;
    const char *out;
    char err[256];
    size_t i;
    int rc;

    if (size > 1024 * 1024) {
        return 0;
    }
    tok = json_tokener_new();
    if (tok == NULL) {
        return 0;
    }
    answer = json_tokener_parse_ex(tok, (const char *)data, (int)size);
    json_tokener_free(tok);
    events = json_object_new_array();
    /* twice: the second walk finds every event already there */
    rc = audit_events_add(events, answer, 1795334624000LL, err, sizeof(err));
    if (rc >= 0) {
        size_t n = identified(events);

        if (audit_events_add(events, answer, 0, err, sizeof(err)) < 0 ||
            identified(events) != n) {
            abort();
        }
    }
    audit_events_sort(events);
    if (json_object_array_length(events) > AUDIT_EVENTS_MAX) {
        abort();
    }
    for (i = 0; i < json_object_array_length(events); i++) {
        o = json_object_array_get_idx(events, i);
        if (!json_object_object_get_ex(o, "kind", &k) ||
            !json_object_is_type(k, json_type_string) ||
            !json_object_object_get_ex(o, "offset", &k) ||
            !json_object_is_type(k, json_type_int)) {
            abort();
        }
    }
    /* the list is printable, as valid UTF-8 whatever the answer held */
    out = json_object_to_json_string(events);
    if (out == NULL ||
        utf8_valid_prefix((const uint8_t *)out, strlen(out)) != strlen(out)) {
        abort();
    }
    json_object_put(events);
    json_object_put(answer);
    return 0;
}
