/*
 * One recording message, parsed from its JSON text.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jtok.h"
#include "msg.h"

enum field {
    F_VER, F_HOST, F_REC, F_USER, F_TERM, F_SESSION, F_ID, F_POS, F_TIME,
    F_TIMING, F_IN_TXT, F_IN_BIN, F_OUT_TXT, F_OUT_BIN, F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "ver", "host", "rec", "user", "term", "session", "id", "pos", "time",
    "timing", "in_txt", "in_bin", "out_txt", "out_bin",
};

/* Fields a message must have; the others are optional */
static const bool field_required[F_COUNT] = {
    [F_VER] = true, [F_HOST] = true, [F_USER] = true, [F_TERM] = true,
    [F_SESSION] = true, [F_ID] = true, [F_POS] = true, [F_TIMING] = true,
    [F_IN_BIN] = true, [F_OUT_BIN] = true,
};

void
msg_init(struct msg *m)
{
    memset(m, 0, sizeof(*m));
    buf_init(&m->host, MSG_FIELD_MAX + 1);
    buf_init(&m->rec, MSG_FIELD_MAX + 1);
    buf_init(&m->user, MSG_FIELD_MAX + 1);
    buf_init(&m->term, MSG_FIELD_MAX + 1);
    buf_init(&m->timing, MSG_LEN_MAX);
    buf_init(&m->in_txt, MSG_LEN_MAX);
    buf_init(&m->in_bin, MSG_LEN_MAX);
    buf_init(&m->out_txt, MSG_LEN_MAX);
    buf_init(&m->out_bin, MSG_LEN_MAX);
}

void
msg_fini(struct msg *m)
{
    buf_fini(&m->host);
    buf_fini(&m->rec);
    buf_fini(&m->user);
    buf_fini(&m->term);
    buf_fini(&m->timing);
    buf_fini(&m->in_txt);
    buf_fini(&m->in_bin);
    buf_fini(&m->out_txt);
    buf_fini(&m->out_bin);
}

static enum field
field_find(const struct buf *key)
{
    int f;

    /* the first byte rules out most names: this runs for every key of
     * every message */
    for (f = 0; key->len > 0 && f < F_COUNT; f++) {
        if (field_names[f][0] == (char)key->data[0] &&
            strlen(field_names[f]) == key->len &&
            memcmp(field_names[f], key->data, key->len) == 0) {
            return (enum field)f;
        }
    }
    return F_COUNT;
}

/* Read a string field into b with a terminating NUL */
static int
read_cstr(struct jtok *t, struct buf *b, const char **why)
{
    int rc = jtok_string(t, b);

    if (rc == 0) {
        rc = buf_append(b, "", 1);
    }
    if (rc == -EMSGSIZE) {
        *why = "too long";
    }
    if (rc == 0 && memchr(b->data, 0, b->len - 1) != NULL) {
        *why = "holds a NUL character";
        rc = -EINVAL;
    }
    return rc;
}

/* Read an array of integers 0-255 into b */
static int
read_bytes(struct jtok *t, struct buf *b, const char **why)
{
    bool is_int;
    int64_t v;
    uint8_t byte;
    int rc;

    if (jtok_peek(t) != JTOK_ARRAY) {
        *why = "must be an array of integers 0-255";
        return -EINVAL;
    }
    rc = jtok_expect(t, '[');
    if (rc < 0 || jtok_accept(t, ']')) {
        return rc;
    }
    do {
        if (jtok_peek(t) != JTOK_NUMBER) {
            *why = "holds something other than a number";
            return -EINVAL;
        }
        rc = jtok_number(t, &is_int, &v, NULL);
        if (rc < 0 || !is_int || v < 0 || v > 255) {
            *why = "holds a number that is not a byte (0-255)";
            return -EINVAL;
        }
        byte = (uint8_t)v;
        rc = buf_append(b, &byte, 1);
        if (rc < 0) {
            return rc;
        }
    } while (jtok_accept(t, ','));
    return jtok_expect(t, ']');
}

/* Read an integer field within [min, max] */
static int
read_int(struct jtok *t, int64_t min, int64_t max, int64_t *v,
         const char **why)
{
    bool is_int;
    int rc;

    if (jtok_peek(t) != JTOK_NUMBER) {
        *why = "must be an integer";
        return -EINVAL;
    }
    rc = jtok_number(t, &is_int, v, NULL);
    if (rc == -EINVAL) {
        return rc;
    }
    if (rc < 0 || !is_int || *v < min || *v > max) {
        *why = "is not an integer in the allowed range";
        return -EINVAL;
    }
    return 0;
}

static int
read_ver(struct jtok *t, struct msg *m, const char **why)
{
    struct buf s;
    unsigned long major = 0, minor = 0;
    const uint8_t *p, *end;
    int64_t v;
    int rc;

    if (jtok_peek(t) == JTOK_NUMBER) {
        rc = read_int(t, 0, 2, &v, why);
        m->ver_major = (unsigned int)v;
        m->ver_minor = 0;
        if (rc < 0) {
            *why = "is not a supported version (this reader knows up to 2.x)";
        }
        return rc;
    }
    buf_init(&s, 32);
    rc = jtok_string(t, &s);
    if (rc == -EMSGSIZE || (rc == 0 && s.len == 0)) {
        *why = "must be MAJOR or MAJOR.MINOR";
        rc = -EINVAL;
    }
    if (rc < 0) {
        goto out;
    }
    p = s.data;
    end = s.data + s.len;
    for (; p < end && *p >= '0' && *p <= '9' && major < 1000; p++) {
        major = major * 10 + (unsigned long)(*p - '0');
    }
    if (p < end && *p == '.' && p + 1 < end) {
        for (p++; p < end && *p >= '0' && *p <= '9' && minor < 1000; p++) {
            minor = minor * 10 + (unsigned long)(*p - '0');
        }
    }
    if (p != end || s.data[0] < '0' || s.data[0] > '9') {
        *why = "must be MAJOR or MAJOR.MINOR";
        rc = -EINVAL;
    } else if (major > 2) {
        *why = "is not a supported version (this reader knows up to 2.x)";
        rc = -EINVAL;
    }
    m->ver_major = (unsigned int)major;
    m->ver_minor = (unsigned int)minor;
out:
    buf_fini(&s);
    return rc;
}

static int
read_field(struct jtok *t, struct msg *m, enum field f, const char **why)
{
    int64_t v;
    bool is_int;
    int rc;

    switch (f) {
    case F_VER:
        return read_ver(t, m, why);
    case F_HOST:
    case F_REC:
    case F_USER:
    case F_TERM:
    case F_TIMING:
    case F_IN_TXT:
    case F_OUT_TXT:
        if (jtok_peek(t) != JTOK_STRING) {
            *why = "must be a string";
            return -EINVAL;
        }
        switch (f) {
        case F_HOST:    return read_cstr(t, &m->host, why);
        case F_REC:     return read_cstr(t, &m->rec, why);
        case F_USER:    return read_cstr(t, &m->user, why);
        case F_TERM:    return read_cstr(t, &m->term, why);
        case F_TIMING:  return jtok_string(t, &m->timing);
        case F_IN_TXT:  return jtok_string(t, &m->in_txt);
        default:        return jtok_string(t, &m->out_txt);
        }
    case F_SESSION:
        rc = read_int(t, 1, UINT32_MAX, &v, why);
        m->session = (uint32_t)v;
        return rc;
    case F_ID:
        rc = read_int(t, 0, INT64_MAX, &v, why);
        m->id = (uint64_t)v;
        return rc;
    case F_POS:
        rc = read_int(t, 0, INT64_MAX / 2, &v, why);
        m->pos = (uint64_t)v;
        return rc;
    case F_TIME:
        if (jtok_peek(t) != JTOK_NUMBER) {
            *why = "must be a number";
            return -EINVAL;
        }
        rc = jtok_number(t, &is_int, &v, &m->time_ms);
        if (rc == -ERANGE || (rc == 0 && m->time_ms < 0)) {
            *why = "is out of range";
            return -EINVAL;
        }
        m->has_time = true;
        return rc;
    case F_IN_BIN:
        return read_bytes(t, &m->in_bin, why);
    case F_OUT_BIN:
        return read_bytes(t, &m->out_bin, why);
    default:
        return jtok_skip(t);
    }
}

int
msg_parse(struct msg *m, const char *json, size_t len, char *err, size_t errsz)
{
    struct jtok t;
    struct buf key;
    bool seen[F_COUNT] = { false };
    const char *why = NULL;
    enum field f = F_COUNT;
    int rc;
    int i;

    buf_init(&key, MSG_FIELD_MAX);
    m->host.len = m->rec.len = m->user.len = m->term.len = 0;
    m->timing.len = m->in_txt.len = m->in_bin.len = 0;
    m->out_txt.len = m->out_bin.len = 0;
    m->has_time = false;
    m->time_ms = 0;
    /* Readers walk these with pointer arithmetic: never leave one NULL,
     * even when its field is empty or absent */
    for (i = 0; i < 5; i++) {
        struct buf *b[] = { &m->timing, &m->in_txt, &m->in_bin,
                            &m->out_txt, &m->out_bin };

        rc = buf_reserve(b[i], 1);
        if (rc < 0) {
            goto out;
        }
    }

    if (len > MSG_LEN_MAX) {
        if (err != NULL) {
            snprintf(err, errsz, "message is %zu bytes long, the most is %d",
                     len, MSG_LEN_MAX);
        }
        rc = -EMSGSIZE;
        goto out;
    }
    jtok_init(&t, json, len);
    rc = jtok_expect(&t, '{');
    if (rc < 0) {
        t.why = "a message must be a JSON object";
        goto syntax;
    }
    if (!jtok_accept(&t, '}')) {
        do {
            key.len = 0;
            rc = jtok_string(&t, &key);
            if (rc == -EMSGSIZE) {
                t.why = "field name too long";
                rc = -EINVAL;
            }
            if (rc == 0) {
                rc = jtok_expect(&t, ':');
            }
            if (rc < 0) {
                goto syntax;
            }
            f = field_find(&key);
            if (f < F_COUNT && seen[f]) {
                why = "appears twice";
                rc = -EINVAL;
                goto field;
            }
            rc = read_field(&t, m, f, &why);
            if (rc < 0) {
                goto field;
            }
            if (f < F_COUNT) {
                seen[f] = true;
            }
        } while (jtok_accept(&t, ','));
        rc = jtok_expect(&t, '}');
        if (rc < 0) {
            t.why = "expected ',' or '}'";
            goto syntax;
        }
    }
    if (jtok_peek(&t) != JTOK_END) {
        t.why = "text after the end of the message";
        rc = -EINVAL;
        goto syntax;
    }
    for (i = 0; i < F_COUNT; i++) {
        if (field_required[i] && !seen[i]) {
            if (err != NULL) {
                snprintf(err, errsz, "field \"%s\" is missing", field_names[i]);
            }
            rc = -EINVAL;
            goto out;
        }
    }
    if (!seen[F_REC]) {
        buf_append(&m->rec, "", 1);
    }
    rc = 0;
    goto out;

field:
    if (err != NULL) {
        if (f == F_COUNT) {
            snprintf(err, errsz, "byte %zu: %s", jtok_offset(&t),
                     t.why ? t.why : "bad value");
        } else if (why != NULL) {
            snprintf(err, errsz, "field \"%s\" %s", field_names[f], why);
        } else if (rc == -EMSGSIZE) {
            snprintf(err, errsz, "field \"%s\" is too long", field_names[f]);
        } else {
            snprintf(err, errsz, "field \"%s\" at byte %zu: %s",
                     field_names[f], jtok_offset(&t),
                     t.why ? t.why : strerror(-rc));
        }
    }
    goto out;
syntax:
    if (err != NULL) {
        snprintf(err, errsz, "byte %zu: %s", jtok_offset(&t),
                 t.why ? t.why : strerror(-rc));
    }
out:
    buf_fini(&key);
    return rc;
}
