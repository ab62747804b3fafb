/*
 * Fuzz target: the playback safety filter.  The first byte seeds the
 * sizes of the pieces the rest is cut into.  The output must never be
 * longer than the input, the same input must filter the same whole and
 * in pieces, and no terminal the model in tests/vtmodel.c stands for
 * (under any of its flags) may dispatch anything unsafe from the output.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtf.h"
#include "vtmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Filter data[0..size) in pieces of 1 to 64 bytes drawn from seed (or
 * whole if seed is 0) into out; returns the output length */
static size_t
filter(const uint8_t *data, size_t size, unsigned seed, uint8_t *out)
{
    struct vtf *f;
    size_t o = 0, i, k;

    if (vtf_new(&f) < 0) {
        abort();
    }
    for (i = 0; i < size; i += k) {
        k = size - i;
        if (seed != 0) {
            seed = seed * 1103515245u + 12345u;
            if ((seed >> 16) % 64 + 1 < k) {
                k = (seed >> 16) % 64 + 1;
            }
        }
        o += vtf_filter(f, data + i, k, out + o);
    }
    vtf_free(f);
    return o;
}

struct judge {
    unsigned flags;
};

static void
judge(void *ctx, const struct vtmodel_event *ev)
{
    const struct judge *j = ctx;
    const char *what = vtmodel_unsafe(ev);

    if (what != NULL) {
        fprintf(stderr, "fuzz_vtf: %s reaches the terminal (model flags "
                "%#x)\n", what, j->flags);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *a, *b;
    size_t na, nb;
    unsigned seed, fl;

    if (size < 1 || size > 65536) {
        return 0;
    }
    seed = 1u + data[0];
    data++;
    size--;
    a = malloc(size + VTF_SEQ_MAX);
    b = malloc(size + VTF_SEQ_MAX);
    if (a == NULL || b == NULL) {
        abort();
    }
    na = filter(data, size, 0, a);
    nb = filter(data, size, seed, b);
    if (na > size || na != nb || memcmp(a, b, na) != 0) {
        abort();
    }
    for (fl = 0; fl < VTMODEL_FLAGS_END; fl++) {
        struct judge j = { fl };
        struct vtmodel *m;

        if (vtmodel_new(&m, fl, judge, &j) < 0) {
            abort();
        }
        vtmodel_feed(m, a, na);
        vtmodel_free(m);
    }
    free(a);
    free(b);
    return 0;
}
