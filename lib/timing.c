/*
 * The timing string of a message.
 */
#include "config.h"

#include <errno.h>

#include "timing.h"

/* Read decimal digits at *pp into *v; -1 if none or too large */
static int
number(const char **pp, const char *end, uint64_t max, uint64_t *v)
{
    const char *p = *pp;
    uint64_t r = 0;

    if (p >= end || *p < '0' || *p > '9') {
        return -1;
    }
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (r > (max - (uint64_t)(*p - '0')) / 10) {
            return -1;
        }
        r = r * 10 + (uint64_t)(*p - '0');
    }
    *pp = p;
    *v = r;
    return 0;
}

int
timing_next(const char **pp, const char *end, struct timing_ev *ev,
            const char **why)
{
    const char *p = *pp;
    uint64_t max = SIZE_MAX;
    char sep = 0;

    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
                       *p == '\r' || *p == '\f' || *p == '\v')) {
        p++;
    }
    *pp = p;
    if (p >= end) {
        return 0;
    }
    ev->type = *p;
    ev->b = 0;
    switch (*p) {
    case '+':
        max = TIMING_DELAY_MAX;
        break;
    case '<':
    case '>':
        break;
    case '[':
    case ']':
        sep = '/';
        break;
    case '=':
        sep = 'x';
        max = UINT16_MAX;
        break;
    default:
        *why = "unknown event type";
        return -EINVAL;
    }
    p++;
    if (number(&p, end, max, &ev->a) < 0) {
        *why = max == TIMING_DELAY_MAX ? "bad or too large delay" :
               max == UINT16_MAX ? "bad or too large window width" :
               "bad or too large count";
        return -EINVAL;
    }
    if (sep != 0) {
        if (p >= end || *p != sep) {
            *why = sep == '/' ? "'/' missing in a binary event" :
                                "'x' missing in a window event";
            return -EINVAL;
        }
        p++;
        if (number(&p, end, max, &ev->b) < 0) {
            *why = sep == '/' ? "bad or too large byte count" :
                                "bad or too large window height";
            return -EINVAL;
        }
    }
    *pp = p;
    return 1;
}
