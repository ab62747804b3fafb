/*
 * The header of one audit record in the string format auditd writes to
 * its log and hands to plugins:
 *
 *     [node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): FIELDS
 */
#ifndef RECORD_H
#define RECORD_H

#include <stddef.h>
#include <stdint.h>

/* Longest node name kept; longer ones are an error */
#define RECORD_NODE_MAX 255

struct record {
    const char *node;       /* node name, node_len bytes; NULL if none */
    size_t node_len;
    const char *type;       /* type name as written, type_len bytes */
    size_t type_len;
    int type_num;           /* record type number, -1 if unknown */
    int64_t sec;            /* event time */
    unsigned ms;
    uint64_t serial;        /* event serial */
    const char *body;       /* fields after "): ", body_len bytes */
    size_t body_len;
};

/*
 * Parse the header of line[0..n) (no newline) into *r, which points
 * into line.  Returns 0, or -EINVAL with a reason in err (errsz bytes)
 * when the line is not an audit record.
 */
int record_parse(const char *line, size_t n, struct record *r,
                 char *err, size_t errsz);

/*
 * Check the fields of a parsed record for damage a parser would
 * silently swallow: a quoted value that never ends.  Returns 0, or
 * -EINVAL with a reason in err.
 */
int record_check_body(const struct record *r, char *err, size_t errsz);

/* True for types whose events always have exactly one record */
int record_single(int type_num);

#endif
