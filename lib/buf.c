/*
 * Growable byte buffers with a hard maximum.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

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
    p = realloc(b->data, cap);
    if (p == NULL) {
        return -ENOMEM;
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
