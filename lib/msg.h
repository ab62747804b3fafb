/*
 * One recording message, parsed from its JSON text.
 *
 * A struct msg is reused from message to message: its buffers keep their
 * memory, so parsing a long recording allocates almost nothing.
 */
#ifndef MSG_H
#define MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Longest message text accepted by the parser, in bytes */
#define MSG_LEN_MAX (8 * 1024 * 1024)

/* Longest host, rec, user or term value */
#define MSG_FIELD_MAX 4096

struct msg {
    unsigned int ver_major;
    unsigned int ver_minor;
    struct buf host;        /* NUL-terminated */
    struct buf rec;         /* NUL-terminated; "" if absent */
    struct buf user;        /* NUL-terminated */
    struct buf term;        /* NUL-terminated */
    uint32_t session;
    uint64_t id;
    uint64_t pos;           /* ms from the recording's start */
    bool has_time;
    int64_t time_ms;        /* wall-clock ms since the epoch */
    struct buf timing;
    struct buf in_txt;      /* UTF-8 */
    struct buf in_bin;      /* bytes */
    struct buf out_txt;
    struct buf out_bin;
};

/* Set up an empty message; no allocation. */
void msg_init(struct msg *m);

/* Free what the message holds; it can be initialised again. */
void msg_fini(struct msg *m);

/*
 * Parse json[0..len) into m, replacing what m held.  Checks every field
 * the format requires and its type and range; unknown fields are
 * skipped.  Returns 0, or -EINVAL / -EMSGSIZE / -ENOMEM with err
 * naming the field or byte offset and the problem.
 */
int msg_parse(struct msg *m, const char *json, size_t len,
              char *err, size_t errsz);

#endif
