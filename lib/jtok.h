/*
 * A small JSON scanner working on byte ranges, for reading recording
 * messages fast and with precise errors.  It reads one value at a time
 * from a cursor; on error the cursor stays where the problem is and
 * "why" says what it is.
 */
#ifndef JTOK_H
#define JTOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Deepest nesting of arrays and objects skipped in unknown fields */
#define JTOK_DEPTH_MAX 64

struct jtok {
    const uint8_t *start;
    const uint8_t *p;
    const uint8_t *end;
    const char *why;        /* set on error */
};

enum jtok_type {
    JTOK_END,
    JTOK_STRING,
    JTOK_NUMBER,
    JTOK_OBJECT,
    JTOK_ARRAY,
    JTOK_TRUE,
    JTOK_FALSE,
    JTOK_NULL,
    JTOK_BAD,
};

/* Start scanning p[0..n) */
void jtok_init(struct jtok *t, const void *p, size_t n);

/* Skip white space; return the type of the value that starts there */
enum jtok_type jtok_peek(struct jtok *t);

/*
 * Expect character c (after white space) and step over it.  Returns 0,
 * or -EINVAL with why set.
 */
int jtok_expect(struct jtok *t, char c);

/* Step over c if it comes next (after white space); return whether it did */
bool jtok_accept(struct jtok *t, char c);

/*
 * Read a string; append its unescaped content to out, or drop it if out
 * is NULL.  The content is checked to be valid UTF-8.  Returns 0,
 * -EINVAL or a buf error.
 */
int jtok_string(struct jtok *t, struct buf *out);

/*
 * Read a number.  *is_int says whether it was written as an integer;
 * integers in range go to *ival (else -ERANGE), and every number's value
 * times 1000, truncated, to *milli when milli is not NULL (for "time").
 */
int jtok_number(struct jtok *t, bool *is_int, int64_t *ival, int64_t *milli);

/* Skip any value, nested at most JTOK_DEPTH_MAX deep. */
int jtok_skip(struct jtok *t);

/* Byte offset of the cursor from the start */
size_t jtok_offset(const struct jtok *t);

#endif
