/*
 * Fuzz target: the sealer's and verifier's parsers, a recording message
 * (its canonical digest) and a checkpoint document.  A checkpoint read
 * must write out as JSON that reads back to the same fields.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    struct json_object *o = NULL, *o2;
    struct seal_cp cp, back;
    struct seal_msg m;
    char err[256], *text;

    if (!ready) {
        if (seal_init(err, sizeof(err)) < 0) {
            abort();
        }
        ready = true;
    }
    if (seal_msg_parse((const char *)data, size, &o, &m, err,
                       sizeof(err)) == 0) {
        if (m.id < 1 || m.host == NULL || m.rec == NULL) {
            abort();
        }
        json_object_put(o);
    }
    text = strndup((const char *)data, size);
    o = text ? json_tokener_parse(text) : NULL;
    free(text);
    if (o != NULL && seal_cp_parse(o, &cp, err, sizeof(err)) == 0) {
        text = seal_cp_json(&cp);
        o2 = text ? json_tokener_parse(text) : NULL;
        if (o2 == NULL || seal_cp_parse(o2, &back, err, sizeof(err)) != 0 ||
            back.first != cp.first || back.last != cp.last ||
            back.count != cp.count || back.end != cp.end ||
            strcmp(back.host, cp.host) || strcmp(back.rec, cp.rec) ||
            memcmp(back.hash, cp.hash, SEAL_HASH_LEN) ||
            memcmp(back.sig, cp.sig, sizeof(cp.sig)) ||
            memcmp(back.digests, cp.digests, (size_t)(cp.last - cp.first +
                                                      1) * SEAL_DIGEST_LEN)) {
            abort();
        }
        seal_cp_clear(&back);
        json_object_put(o2);
        free(text);
        seal_cp_clear(&cp);
    }
    json_object_put(o);
    return 0;
}
