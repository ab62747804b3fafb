/*
 * JSON writing with aushape's layout: containers nested less deep than
 * the fold level put each member on its own line, indented; deeper ones
 * stay on one line.  The writer appends to a caller's buffer and keeps
 * a small state that can be saved and restored, so a caller can append
 * an item, find it too big, and take it back.
 */
#ifndef JSONFMT_H
#define JSONFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Deepest nesting the writer supports */
#define JSONFMT_MAX_DEPTH 16

struct jsonfmt {
    struct buf *b;          /* output, not owned */
    size_t fold;            /* depth from which containers stay inline */
    size_t indent;          /* spaces per level */
    size_t depth;           /* current depth: open containers + base */
    size_t base;            /* depth of the outermost value */
    bool after_key;         /* a key was written, its value comes next */
    bool first[JSONFMT_MAX_DEPTH];    /* no member written yet at depth */
    char close[JSONFMT_MAX_DEPTH];    /* closing bracket at depth */
};

/*
 * Start writing one value into b at nesting depth base (1 when values
 * sit inside a document array).  fold and indent as --fold, --indent.
 */
void jsonfmt_init(struct jsonfmt *j, struct buf *b, size_t base,
                size_t fold, size_t indent);

/* Open an object ('{') or array ('[') as the next value. */
int jsonfmt_open(struct jsonfmt *j, char bracket);

/* Close the innermost container. */
int jsonfmt_close(struct jsonfmt *j);

/* Write an object key; the next call writes its value. */
int jsonfmt_key(struct jsonfmt *j, const char *key);

/*
 * Write a string value from bytes p[0..n): invalid UTF-8 becomes
 * U+FFFD, control characters \u escapes.
 */
int jsonfmt_str(struct jsonfmt *j, const void *p, size_t n);

/* Write a NUL-terminated string value. */
int jsonfmt_cstr(struct jsonfmt *j, const char *s);

/* Write an unsigned integer value. */
int jsonfmt_u64(struct jsonfmt *j, uint64_t v);

/* Append p[0..n) as JSON string content (no quotes) to b. */
int jsonfmt_escape(struct buf *b, const uint8_t *p, size_t n);

#endif
