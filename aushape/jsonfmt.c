/*
 * JSON writing with aushape's layout.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfmt.h"
#include "jesc.h"

struct jsonfmt {
    struct buf *b;          /* output, not owned */
    size_t fold;            /* depth from which containers stay inline */
    size_t indent;          /* spaces per level */
    size_t depth;           /* current depth: open containers + base */
    size_t base;            /* depth of the outermost value */
    bool after_key;         /* a key was written, its value comes next */
    bool first[JSONFMT_MAX_DEPTH];  /* no member written yet at depth */
    char close[JSONFMT_MAX_DEPTH];  /* closing bracket at depth */
};

int
jsonfmt_new(size_t fold, size_t indent, struct jsonfmt **pj, char *err,
            size_t errsz)
{
    struct jsonfmt *j = calloc(1, sizeof(*j));

    if (j == NULL) {
        snprintf(err, errsz, "out of memory for the JSON writer");
        return -ENOMEM;
    }
    j->fold = fold;
    j->indent = indent;
    *pj = j;
    return 0;
}

void
jsonfmt_free(struct jsonfmt *j)
{
    free(j);
}

void
jsonfmt_start(struct jsonfmt *j, struct buf *b, size_t base)
{
    j->b = b;
    j->depth = base;
    j->base = base;
    j->after_key = false;
    j->first[base] = true;
}

void
jsonfmt_mark(const struct jsonfmt *j, struct jsonfmt_mark *m)
{
    m->len = j->b->len;
    m->depth = j->depth;
    m->after_key = j->after_key;
    m->first = j->first[j->depth];
}

void
jsonfmt_rewind(struct jsonfmt *j, const struct jsonfmt_mark *m)
{
    /* An item only changes the state at its own depth and deeper, and
     * deeper levels are set up again when a container opens there */
    j->b->len = m->len;
    j->depth = m->depth;
    j->after_key = m->after_key;
    j->first[m->depth] = m->first;
}

/* Line break and indentation for depth d */
static int
newline(struct jsonfmt *j, size_t d)
{
    size_t n = d * j->indent;
    int rc = buf_reserve(j->b, n + 1);

    if (rc < 0) {
        return rc;
    }
    j->b->data[j->b->len++] = '\n';
    memset(j->b->data + j->b->len, ' ', n);
    j->b->len += n;
    return 0;
}

/* Separator and layout before a member at the current depth */
static int
member(struct jsonfmt *j)
{
    int rc;

    if (j->after_key) {
        j->after_key = false;
        return 0;
    }
    if (j->depth == j->base) {
        return 0;
    }
    if (!j->first[j->depth]) {
        rc = buf_append(j->b, ",", 1);
        if (rc < 0) {
            return rc;
        }
    }
    j->first[j->depth] = false;
    /* Members of a container at depth - 1 */
    if (j->depth - 1 < j->fold) {
        return newline(j, j->depth);
    }
    return 0;
}

int
jsonfmt_open(struct jsonfmt *j, char bracket)
{
    int rc;

    if (j->depth + 1 >= JSONFMT_MAX_DEPTH) {
        return -E2BIG;
    }
    rc = member(j);
    if (rc < 0) {
        return rc;
    }
    rc = buf_append(j->b, &bracket, 1);
    if (rc < 0) {
        return rc;
    }
    j->depth++;
    j->first[j->depth] = true;
    j->close[j->depth] = bracket == '{' ? '}' : ']';
    return 0;
}

int
jsonfmt_close(struct jsonfmt *j)
{
    char bracket = j->close[j->depth];
    bool empty = j->first[j->depth];
    int rc;

    j->depth--;
    if (!empty && j->depth < j->fold) {
        rc = newline(j, j->depth);
        if (rc < 0) {
            return rc;
        }
    }
    return buf_append(j->b, &bracket, 1);
}

int
jsonfmt_key(struct jsonfmt *j, const char *key)
{
    size_t n = strlen(key);
    int rc = member(j);

    if (rc < 0) {
        return rc;
    }
    /* Room for the worst case: every byte escaped */
    rc = buf_reserve(j->b, n * 6 + 3);
    if (rc < 0) {
        return rc;
    }
    j->b->data[j->b->len++] = '"';
    rc = jsonfmt_escape(j->b, (const uint8_t *)key, n);
    j->b->data[j->b->len++] = '"';
    j->b->data[j->b->len++] = ':';
    j->after_key = true;
    return rc;
}

int
jsonfmt_escape(struct buf *b, const uint8_t *p, size_t n)
{
    return jesc_str(b, p, n);
}

int
jsonfmt_str(struct jsonfmt *j, const void *p, size_t n)
{
    int rc = member(j);

    if (rc < 0) {
        return rc;
    }
    rc = buf_reserve(j->b, n * 6 + 2);
    if (rc < 0) {
        return rc;
    }
    j->b->data[j->b->len++] = '"';
    rc = jsonfmt_escape(j->b, p, n);
    j->b->data[j->b->len++] = '"';
    return rc;
}

int
jsonfmt_cstr(struct jsonfmt *j, const char *s)
{
    return jsonfmt_str(j, s, strlen(s));
}

int
jsonfmt_u64(struct jsonfmt *j, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
    int rc = member(j);

    if (rc < 0) {
        return rc;
    }
    return buf_append(j->b, tmp, (size_t)n);
}
