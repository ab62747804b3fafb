/*
 * JSON writing with aushape's layout: containers nested less deep than
 * the fold level put each member on its own line, indented; deeper ones
 * stay on one line.  The writer appends to a caller's buffer; where it
 * stands can be marked and gone back to, so a caller can append an
 * item, find it too big, and take it back.
 */
#ifndef JSONFMT_H
#define JSONFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Deepest nesting the writer supports */
#define JSONFMT_MAX_DEPTH 16

struct jsonfmt;

/*
 * Where the writer stood: what jsonfmt_mark() saves and
 * jsonfmt_rewind() goes back to.  Plain data, for the caller to keep.
 */
struct jsonfmt_mark {
    size_t len;             /* bytes in the output */
    size_t depth;
    bool after_key;
    bool first;             /* no member written yet at depth */
};

/*
 * Make a writer with the layout of --fold and --indent.  Stores it,
 * owned by the caller (free with jsonfmt_free()), in *pj.  Returns 0,
 * or -ENOMEM with err filled.
 */
int jsonfmt_new(size_t fold, size_t indent, struct jsonfmt **pj,
                char *err, size_t errsz);

/* Free a writer; NULL does nothing.  Its output buffer is not touched. */
void jsonfmt_free(struct jsonfmt *j);

/*
 * Start writing one value, appending to b (not owned; it must outlive
 * the value), at nesting depth base (1 when values sit inside a
 * document array).
 */
void jsonfmt_start(struct jsonfmt *j, struct buf *b, size_t base);

/* Save where the writer stands, before an item that may not fit */
void jsonfmt_mark(const struct jsonfmt *j, struct jsonfmt_mark *m);

/*
 * Take back everything written since m was saved (at the same depth
 * or deeper): the output is cut back and the layout state restored.
 */
void jsonfmt_rewind(struct jsonfmt *j, const struct jsonfmt_mark *m);

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
