/*
 * Growable byte buffers with a hard maximum.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "buf.h"

/* Buffers this large are backed by huge pages where the system allows:
 * filling tens of megabytes (an Elasticsearch answer) then takes a few
 * page faults instead of thousands */
#define HUGE_FROM (4u << 20)
#define HUGE_PAGE (2u << 20)

static void
advise_huge(uint8_t *p, size_t cap)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t e = ((uintptr_t)p + cap) & ~(uintptr_t)(HUGE_PAGE - 1);

    if (cap >= HUGE_FROM && e > a) {
        (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
    }
#else
    (void)p;
    (void)cap;
#endif
}

void
buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void
buf_fini(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int
buf_reserve(struct buf *b, size_t extra)
{
    size_t want;
    size_t cap;
    uint8_t *p;

    if (extra > b->max || b->len > b->max - extra) {
        return -EMSGSIZE;
    }
    want = b->len + extra;
    if (want <= b->cap) {
        return 0;
    }
    cap = b->cap ? b->cap : 256;
    while (cap < want) {
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    }
    if (cap > b->max) {
        cap = b->max;
    }
    if (cap < HUGE_FROM) {
        p = realloc(b->data, cap);
        if (p == NULL) {
            return -ENOMEM;
        }
    } else {
        /* advised before the copy touches it */
        p = malloc(cap);
        if (p == NULL) {
            return -ENOMEM;
        }
        advise_huge(p, cap);
        if (b->len > 0) {
            memcpy(p, b->data, b->len);
        }
        free(b->data);
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
    int rc;

    if (n == 0) {
        return 0;
    }
    rc = buf_reserve(b, n);
    if (rc < 0) {
        return rc;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}
