/*
 * Fuzz target: the timing string parser.  Every event it returns must
 * lie within the input, and it must always make progress or stop.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "timing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *end = p + size;
    const char *why = NULL;
    struct timing_ev ev;
    int rc;

    while ((rc = timing_next(&p, end, &ev, &why)) == 1) {
        if (p > end) {
            abort();
        }
    }
    if (rc < 0 && why == NULL) {
        abort();
    }
    return 0;
}
