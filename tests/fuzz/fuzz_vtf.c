/*
 * Fuzz target: the playback safety filter.  The first byte picks a split
 * size; the output must never be longer than the input, and the same
 * input must filter the same whole and split.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
filter(const uint8_t *data, size_t size, size_t split, uint8_t *out)
{
    struct vtf *f;
    size_t o = 0, i;

    if (vtf_new(&f) < 0) {
        abort();
    }
    for (i = 0; i < size; i += split) {
        size_t k = size - i < split ? size - i : split;

        o += vtf_filter(f, data + i, k, out + o);
    }
    vtf_free(f);
    return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *a, *b;
    size_t split, na, nb;

    if (size < 1 || size > 65536) {
        return 0;
    }
    split = 1 + data[0] % 16;
    data++;
    size--;
    a = malloc(size + VTF_SEQ_MAX);
    b = malloc(size + VTF_SEQ_MAX);
    na = filter(data, size, size ? size : 1, a);
    nb = filter(data, size, split, b);
    if (na > size || na != nb || memcmp(a, b, na) != 0) {
        abort();
    }
    free(a);
    free(b);
    return 0;
}
