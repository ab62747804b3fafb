/*
 * Growable byte buffers with a hard maximum.
 *
 * Every buffer that holds data from outside the program has a named
 * maximum; growing past it fails with -EMSGSIZE instead of eating memory.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;     /* len never exceeds this */
};

/* Set up an empty buffer that may grow to max bytes.  No allocation. */
void buf_init(struct buf *b, size_t max);

/* Release the buffer's memory; it is empty and usable again after. */
void buf_fini(struct buf *b);

/*
 * Make room for extra more bytes.  Returns 0, -ENOMEM, or -EMSGSIZE if
 * len + extra would pass the maximum.
 */
int buf_reserve(struct buf *b, size_t extra);

/* Append n bytes; errors as buf_reserve(). */
int buf_append(struct buf *b, const void *p, size_t n);

#endif
