/*
 * Audit record headers.
 */
#include "config.h"

#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

/* Parse decimal digits at *p (before end) into *v; 0 or -1 */
static int
digits(const char **p, const char *end, uint64_t *v, int max_digits)
{
    const char *s = *p;
    uint64_t x = 0;

    while (*p < end && **p >= '0' && **p <= '9' && *p - s < max_digits) {
        x = x * 10 + (uint64_t)(**p - '0');
        (*p)++;
    }
    if (*p == s) {
        return -1;
    }
    *v = x;
    return 0;
}

/* Skip the literal lit at *p; 0 or -1 */
static int
lit(const char **p, const char *end, const char *s)
{
    size_t n = strlen(s);

    if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0) {
        return -1;
    }
    *p += n;
    return 0;
}

/* Type names looked up lately: a few types make up most records */
#define NAME_CACHE 32
struct name_num {
    char name[32];
    int num;
};
static _Thread_local struct name_num name_cache[NAME_CACHE];

/* audit_name_to_msg_type() for t[0..n), through the cache; tmp has
 * room for n + 1 bytes */
static int
cached_number(const char *t, size_t n, char *tmp)
{
    unsigned h = (unsigned)(t[0] * 31 + t[n - 1] + n) % NAME_CACHE;
    struct name_num *e = &name_cache[h];

    if (n < sizeof(e->name) && strncmp(e->name, t, n) == 0 &&
        e->name[n] == '\0') {
        return e->num;
    }
    memcpy(tmp, t, n);
    tmp[n] = '\0';
    if (n < sizeof(e->name)) {
        memcpy(e->name, tmp, n + 1);
        e->num = audit_name_to_msg_type(tmp);
        return e->num;
    }
    return audit_name_to_msg_type(tmp);
}

/* Number of a type name: "SYSCALL", "UNKNOWN[1999]" */
static int
type_number(const char *t, size_t n)
{
    char tmp[64];
    const char *p;
    uint64_t v;

    if (n > 9 && memcmp(t, "UNKNOWN[", 8) == 0 && t[n - 1] == ']') {
        p = t + 8;
        if (digits(&p, t + n - 1, &v, 6) == 0 && p == t + n - 1) {
            return (int)v;
        }
        return -1;
    }
    if (n >= sizeof(tmp)) {
        return -1;
    }
    return cached_number(t, n, tmp);
}

int
record_parse(const char *line, size_t n, struct record *r,
             char *err, size_t errsz)
{
    const char *p = line;
    const char *end = line + n;
    const char *s;
    struct record x = { .node = NULL };
    uint64_t v;

    if (lit(&p, end, "node=") == 0) {
        s = p;
        while (p < end && *p != ' ') {
            p++;
        }
        if (p == end || p == s || (size_t)(p - s) > RECORD_NODE_MAX) {
            snprintf(err, errsz, "bad node name");
            return -EINVAL;
        }
        x.node = s;
        x.node_len = (size_t)(p - s);
        p++;
    }
    if (lit(&p, end, "type=") < 0) {
        snprintf(err, errsz, "no \"type=\" at the start");
        return -EINVAL;
    }
    s = p;
    while (p < end && *p != ' ') {
        p++;
    }
    if (p == s) {
        snprintf(err, errsz, "empty record type");
        return -EINVAL;
    }
    x.type = s;
    x.type_len = (size_t)(p - s);
    if (lit(&p, end, " msg=audit(") < 0) {
        snprintf(err, errsz, "no \"msg=audit(\" after the type");
        return -EINVAL;
    }
    if (digits(&p, end, &v, 12) < 0 || lit(&p, end, ".") < 0) {
        snprintf(err, errsz, "bad time stamp");
        return -EINVAL;
    }
    x.sec = (int64_t)v;
    if (digits(&p, end, &v, 3) < 0 || lit(&p, end, ":") < 0) {
        snprintf(err, errsz, "bad milliseconds in the time stamp");
        return -EINVAL;
    }
    x.ms = (unsigned)v;
    if (digits(&p, end, &v, 19) < 0 || lit(&p, end, "):") < 0) {
        snprintf(err, errsz, "bad event serial");
        return -EINVAL;
    }
    x.serial = v;
    if (p < end && *p == ' ') {
        p++;
    }
    x.body = p;
    x.body_len = (size_t)(end - p);
    x.type_num = type_number(x.type, x.type_len);
    *r = x;
    return 0;
}

int
record_check_body(const struct record *r, char *err, size_t errsz)
{
    const char *p = r->body;
    const char *end = r->body + r->body_len;

    while (p < end) {
        char q;
        const char *close;

        /* A quote opens a value only right after '=' */
        if (*p != '=' || p + 1 == end || (p[1] != '"' && p[1] != '\'')) {
            p++;
            continue;
        }
        q = p[1];
        close = memchr(p + 2, q, (size_t)(end - p - 2));
        if (close == NULL) {
            snprintf(err, errsz,
                     "quoted value at byte %zu never ends "
                     "(truncated record?)",
                     (size_t)(p + 1 - r->body));
            return -EINVAL;
        }
        /* msg='...' holds fields of its own: look inside it */
        p = q == '\'' ? p + 2 : close + 1;
    }
    return 0;
}

int
record_single(int type_num)
{
    /* User-space messages are one record each */
    return (type_num >= AUDIT_FIRST_USER_MSG &&
            type_num <= AUDIT_LAST_USER_MSG) ||
           (type_num >= AUDIT_FIRST_USER_MSG2 &&
            type_num <= AUDIT_LAST_USER_MSG2) ||
           type_num == AUDIT_DAEMON_START || type_num == AUDIT_DAEMON_END ||
           type_num == AUDIT_DAEMON_ABORT ||
           type_num == AUDIT_DAEMON_CONFIG ||
           type_num == AUDIT_DAEMON_ROTATE ||
           type_num == AUDIT_DAEMON_RESUME;
}
