/*
 * Fuzz target: the walk over an Elasticsearch answer that turns the
 * audit events of a command search into a filter on the recordings.
 * Any JSON must be walked without a crash; the filter holds each
 * session once, never more than the maximum, and matches nothing when
 * the walk took no session.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdsearch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_tokener *tok;
    struct json_object *answer, *filter = NULL, *o;
    int n;

    if (size > 1024 * 1024) {
        return 0;
    }
    tok = json_tokener_new();
    if (tok == NULL) {
        return 0;
    }
    answer = json_tokener_parse_ex(tok, (const char *)data, (int)size);
    json_tokener_free(tok);
    n = cmdsearch_walk(answer, &filter);
    if (n < 0 || n > CMDSEARCH_SESSIONS_MAX || filter == NULL) {
        abort();
    }
    if (n == 0 && !json_object_object_get_ex(filter, "match_none", NULL)) {
        abort();
    }
    if (n > 0 && (!json_object_object_get_ex(filter, "bool", &o) ||
                  !json_object_object_get_ex(o, "should", &o) ||
                  (int)json_object_array_length(o) != n)) {
        abort();
    }
    /* the filter prints: it goes into a query */
    if (json_object_to_json_string(filter) == NULL) {
        abort();
    }
    json_object_put(filter);
    json_object_put(answer);
    return 0;
}
