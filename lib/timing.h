/*
 * The timing string of a message: a run of events "+ms", "<n", ">n",
 * "[r/b", "]r/b" and "=wxh", white space allowed between them.
 */
#ifndef TIMING_H
#define TIMING_H

#include <stddef.h>
#include <stdint.h>

/* Largest delay accepted, in ms (about 49 days) */
#define TIMING_DELAY_MAX UINT32_MAX

struct timing_ev {
    char type;      /* one of + < > [ ] = */
    uint64_t a;     /* delay, characters, or width */
    uint64_t b;     /* bytes, or height; 0 for + < > */
};

/*
 * Read the event at *pp, before end, and move *pp past it.  Returns 1
 * with *ev filled, 0 at the end of the string, or -EINVAL with *why
 * saying what is wrong and *pp left at the offending event.
 */
int timing_next(const char **pp, const char *end, struct timing_ev *ev,
                const char **why);

#endif
