/*
 * Fuzz target: aushape's converter, from audit record text (headers,
 * event assembly, libauparse, layout, trimming) to JSON.  Every event
 * it writes must be one JSON object with a serial, and within the size
 * limit when there is one.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>

#include "convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t limit;

static int
check(void *ctx, const uint8_t *p, size_t n, char *err, size_t errsz)
{
    json_tokener *tok = json_tokener_new();
    json_object *o;
    json_object *serial;

    (void)ctx;
    (void)err;
    (void)errsz;
    if (tok == NULL) {
        abort();
    }
    o = json_tokener_parse_ex(tok, (const char *)p, (int)n);
    if (o == NULL || json_tokener_get_parse_end(tok) != n ||
        !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, "serial", &serial) ||
        (limit != SIZE_MAX && n > limit)) {
        abort();
    }
    json_object_put(o);
    json_tokener_free(tok);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct render_conf o = { .fold = 0, .indent = 4 };
    struct convert *c;
    char err[256];
    size_t split;

    if (size < 2) {
        return 0;
    }
    /* The first byte picks the options and where the input is cut */
    o.with_text = data[0] & 1;
    o.max_event = data[0] & 2 ? RENDER_EVENT_MIN : SIZE_MAX;
    o.fold = data[0] & 4 ? 3 : 0;
    o.base = data[0] & 8 ? 1 : 0;
    limit = o.max_event;
    split = (size_t)data[1] % size;
    data += 2;
    size -= 2;
    if (split > size) {
        split = size;
    }
    if (convert_new(&o, check, NULL, &c, err, sizeof(err)) != 0) {
        abort();
    }
    convert_feed(c, data, split, err, sizeof(err));
    convert_feed(c, data + split, size - split, err, sizeof(err));
    convert_flush(c, err, sizeof(err));
    convert_free(c);
    return 0;
}
