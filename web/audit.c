/*
 * The audit events of a recording: the walk over Elasticsearch answers
 * that makes the console's event list.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "audit.h"
#include "utf8.h"

/* The record types of logins and authentications, and their kind */
static const struct {
    const char *type;
    const char *kind;
} login_types[] = {
    { "user_auth", "auth" },
    { "user_acct", "auth" },
    { "user_err", "auth" },
    { "user_chauthtok", "auth" },
    { "user_login", "login" },
    { "user_logout", "login" },
    { "user_start", "login" },
    { "user_end", "login" },
    { "cred_acq", "login" },
    { "cred_refr", "login" },
    { "cred_disp", "login" },
    { "login", "login" },
};
#define LOGIN_TYPES (sizeof(login_types) / sizeof(login_types[0]))

const char *
audit_login_type(size_t i)
{
    return i < LOGIN_TYPES ? login_types[i].type : NULL;
}

int
audit_json_add(struct json_object *o, const char *key, struct json_object *v)
{
    if (v == NULL) {
        return -ENOMEM;
    }
    if (json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

int
audit_json_push(struct json_object *a, struct json_object *v)
{
    if (v == NULL) {
        return -ENOMEM;
    }
    if (json_object_array_add(a, v) != 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

/* Member key of o, or NULL when o is no object or has none */
static struct json_object *
member(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, key, &v)) {
        return NULL;
    }
    return v;
}

/* The first object of v: v itself, or the first element of an array */
static struct json_object *
first_object(struct json_object *v)
{
    if (json_object_is_type(v, json_type_array) &&
        json_object_array_length(v) > 0) {
        v = json_object_array_get_idx(v, 0);
    }
    return json_object_is_type(v, json_type_object) ? v : NULL;
}

/*
 * Text idx of aushape field key of record rec: ["interpreted", "raw"],
 * or a plain string for idx 0.  NULL when there is none.
 */
static const char *
text_at(struct json_object *rec, const char *key, size_t idx)
{
    struct json_object *v = member(rec, key);

    if (json_object_is_type(v, json_type_array)) {
        if (idx >= json_object_array_length(v)) {
            return NULL;
        }
        v = json_object_array_get_idx(v, idx);
    } else if (idx > 0) {
        return NULL;
    }
    return json_object_is_type(v, json_type_string) ?
           json_object_get_string(v) : NULL;
}

/* The number in s (all of it), into *v */
static bool
number(const char *s, long long *v)
{
    char *end;

    if (s == NULL || *s == '\0') {
        return false;
    }
    errno = 0;
    *v = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0';
}

/* Length of s[0..n) cut to at most max bytes at a UTF-8 boundary */
static size_t
cut(const char *s, size_t n, size_t max)
{
    if (n <= max) {
        return n;
    }
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) {
        n--;
    }
    return n;
}

/*
 * A string of at most AUDIT_TEXT_MAX bytes of s[0..n), valid UTF-8:
 * each invalid sequence becomes one U+FFFD, as recordings show them
 */
static struct json_object *
text(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    struct json_object *o;
    size_t i, u, len = 0;
    char *b;

    if (utf8_valid_prefix(p, n) == n) {
        return json_object_new_string_len(s, (int)cut(s, n, AUDIT_TEXT_MAX));
    }
    b = malloc(AUDIT_TEXT_MAX);
    if (b == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i += u) {
        bool valid = utf8_unit(p + i, n - i, &u) == UTF8_VALID;
        size_t m = valid ? u : 3;

        if (len + m > AUDIT_TEXT_MAX) {
            break;
        }
        memcpy(b + len, valid ? s + i : "\xef\xbf\xbd", m);
        len += m;
    }
    o = json_object_new_string_len(b, (int)len);
    free(b);
    return o;
}

/* ev[key] = the text of field of rec, when it has one */
static int
put_text(struct json_object *ev, const char *key, struct json_object *rec,
         const char *field)
{
    const char *s = text_at(rec, field, 0);

    if (s == NULL) {
        return 0;
    }
    return audit_json_add(ev, key, text(s, strlen(s)));
}

/* put_text(), but not for "?": the record's word for "not known" */
static int
put_known(struct json_object *ev, const char *key, struct json_object *rec,
          const char *field)
{
    const char *s = text_at(rec, field, 0);

    return s != NULL && strcmp(s, "?") != 0 ?
           put_text(ev, key, rec, field) : 0;
}

/* ev[key] = {"name", "id"} of an id field (["root", "0"]) of rec */
static int
put_id(struct json_object *ev, const char *key, struct json_object *rec)
{
    const char *name = text_at(rec, key, 0);
    const char *raw = text_at(rec, key, 1);
    struct json_object *o;
    long long id;

    if (name == NULL) {
        return 0;
    }
    o = json_object_new_object();
    if (o == NULL) {
        return -ENOMEM;
    }
    if (raw == NULL && number(name, &id)) {
        /* only the number: no name known */
        if (audit_json_add(o, "id", json_object_new_int64(id)) < 0) {
            json_object_put(o);
            return -ENOMEM;
        }
        return audit_json_add(ev, key, o);
    }
    if (audit_json_add(o, "name", text(name, strlen(name))) < 0 ||
        (number(raw, &id) && audit_json_add(o, "id",
                                            json_object_new_int64(id)) < 0)) {
        json_object_put(o);
        return -ENOMEM;
    }
    return audit_json_add(ev, key, o);
}

/* The syscall record's fields every process event shows */
static int
put_process(struct json_object *ev, struct json_object *data)
{
    struct json_object *sc = member(data, "syscall");
    struct json_object *ex = member(sc, "exit");
    const char *s;
    long long v;
    size_t i, n;
    int rc = 0;

    s = text_at(sc, "success", 0);
    if (s != NULL && (!strcmp(s, "yes") || !strcmp(s, "no"))) {
        rc = audit_json_add(ev, "success",
                            json_object_new_boolean(!strcmp(s, "yes")));
    }
    /* exit: ["0"], or ["ENOENT(No such file or directory)", "-2"] */
    n = json_object_is_type(ex, json_type_array) ?
        json_object_array_length(ex) : 0;
    for (i = 0; rc == 0 && i < n && i < 2; i++) {
        s = text_at(sc, "exit", i);
        if (s == NULL) {
            continue;
        }
        if (number(s, &v)) {
            if (member(ev, "exit") == NULL) {
                rc = audit_json_add(ev, "exit", json_object_new_int64(v));
            }
        } else if (member(ev, "error") == NULL) {
            rc = audit_json_add(ev, "error", text(s, strlen(s)));
        }
    }
    if (rc == 0) {
        rc = put_text(ev, "syscall", sc, "syscall");
    }
    if (rc == 0) {
        rc = put_text(ev, "exe", sc, "exe");
    }
    if (rc == 0) {
        rc = put_id(ev, "uid", sc);
    }
    if (rc == 0) {
        rc = put_id(ev, "euid", sc);
    }
    if (rc == 0) {
        rc = put_id(ev, "auid", sc);
    }
    s = text_at(sc, "key", 0);
    if (rc == 0 && s != NULL && strcmp(s, "(null)") != 0) {
        rc = audit_json_add(ev, "key", text(s, strlen(s)));
    }
    if (rc == 0) {
        rc = put_text(ev, "cwd", first_object(member(data, "cwd")), "cwd");
    }
    return rc;
}

/* Value of hex digit c, or -1 */
static int
hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/*
 * Decode the hex text s into out[0..max): the number of bytes, or -1
 * when s is not an even run of hex digits or decodes to more than max.
 */
static long
unhex(const char *s, uint8_t *out, size_t max)
{
    size_t n = strlen(s), i;

    if (n == 0 || n % 2 != 0 || n / 2 > max) {
        return -1;
    }
    for (i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

/* Did the event's system call fail? */
static bool
failed(struct json_object *data)
{
    const char *s = text_at(member(data, "syscall"), "success", 0);

    return s != NULL && strcmp(s, "no") == 0;
}

/*
 * The command line, from the execve record (aushape's decoded argv: an
 * array of strings), or else from the proctitle record's hex text (the
 * arguments separated by NUL bytes) when execve was trimmed away, or
 * the program alone from the path record when the execve failed.
 */
static int
put_argv(struct json_object *ev, struct json_object *data)
{
    struct json_object *ex = member(data, "execve");
    struct json_object *argv = json_object_new_array();
    const char *from = "execve";
    size_t i, n, dropped = 0;
    int rc = 0;

    if (argv == NULL) {
        return -ENOMEM;
    }
    if (json_object_is_type(ex, json_type_array)) {
        n = json_object_array_length(ex);
        for (i = 0; rc == 0 && i < n; i++) {
            struct json_object *a = json_object_array_get_idx(ex, i);

            /* an argument as [interpreted, raw] takes the first */
            if (json_object_is_type(a, json_type_array) &&
                json_object_array_length(a) > 0) {
                a = json_object_array_get_idx(a, 0);
            }
            if (!json_object_is_type(a, json_type_string)) {
                continue;
            }
            if (json_object_array_length(argv) >= AUDIT_ARGV_MAX) {
                dropped++;
                continue;
            }
            rc = audit_json_push(argv, text(json_object_get_string(a),
                                 (size_t)json_object_get_string_len(a)));
        }
    } else if (failed(data)) {
        /*
         * An execve that failed has no execve record, and its proctitle
         * is still the caller's: the program it meant to run is the
         * first path record
         */
        struct json_object *p = first_object(member(data, "path"));
        const char *name = text_at(p, "name", 0);

        from = "path";
        if (name != NULL) {
            rc = audit_json_push(argv, text(name, strlen(name)));
        }
    } else {
        struct json_object *pt = first_object(member(data, "proctitle"));
        const char *raw = text_at(pt, "proctitle", 1);
        const char *in = text_at(pt, "proctitle", 0);
        /* the kernel keeps at most 128 bytes of a proctitle */
        uint8_t *bytes = malloc(AUDIT_TEXT_MAX);
        long len = raw != NULL && bytes != NULL ?
                   unhex(raw, bytes, AUDIT_TEXT_MAX) : -1;

        from = "proctitle";
        if (len >= 0) {
            long s = 0, e;

            for (e = 0; rc == 0 && e <= len; e++) {
                if (e < len && bytes[e] != 0) {
                    continue;
                }
                if (e > s || e < len) {
                    if (json_object_array_length(argv) >= AUDIT_ARGV_MAX) {
                        dropped++;
                    } else {
                        rc = audit_json_push(argv,
                                 text((const char *)bytes + s,
                                      (size_t)(e - s)));
                    }
                }
                s = e + 1;
            }
        } else if (in != NULL) {
            rc = audit_json_push(argv, text(in, strlen(in)));
        }
        free(bytes);
    }
    if (rc == 0 && json_object_array_length(argv) == 0) {
        json_object_put(argv);
        return 0;
    }
    if (rc == 0) {
        rc = audit_json_add(ev, "argv", argv);
    } else {
        json_object_put(argv);
    }
    if (rc == 0) {
        rc = audit_json_add(ev, "argv_from", json_object_new_string(from));
    }
    if (rc == 0 && dropped > 0) {
        rc = audit_json_add(ev, "argv_dropped",
                            json_object_new_int64((int64_t)dropped));
    }
    return rc;
}

/* The path records: [{"name", "nametype"}], at most AUDIT_PATHS_MAX */
static int
put_paths(struct json_object *ev, struct json_object *data)
{
    struct json_object *p = member(data, "path");
    struct json_object *out;
    size_t i, n;
    int rc = 0;

    if (json_object_is_type(p, json_type_object)) {
        n = 1;
    } else if (json_object_is_type(p, json_type_array)) {
        n = json_object_array_length(p);
    } else {
        return 0;
    }
    out = json_object_new_array();
    if (out == NULL) {
        return -ENOMEM;
    }
    for (i = 0; rc == 0 && i < n &&
         json_object_array_length(out) < AUDIT_PATHS_MAX; i++) {
        struct json_object *rec = json_object_is_type(p, json_type_object) ?
                                  p : json_object_array_get_idx(p, i);
        struct json_object *o;

        if (text_at(rec, "name", 0) == NULL) {
            continue;
        }
        o = json_object_new_object();
        rc = o == NULL ? -ENOMEM : put_text(o, "name", rec, "name");
        if (rc == 0) {
            rc = put_text(o, "nametype", rec, "nametype");
        }
        if (rc == 0) {
            rc = audit_json_push(out, o);
        } else {
            json_object_put(o);
        }
    }
    if (rc == 0) {
        rc = audit_json_add(ev, "paths", out);
    } else {
        json_object_put(out);
    }
    return rc;
}

/*
 * The socket address of the sockaddr record, from its raw hex (a struct
 * sockaddr as the kernel gave it, in the audited host's byte order:
 * little-endian family), into ev: family, address, port.  Returns 1
 * when it is an inet, inet6 or local address, 0 when not, or -ENOMEM.
 */
static int
put_sockaddr(struct json_object *ev, struct json_object *data)
{
    struct json_object *sa = first_object(member(data, "sockaddr"));
    const char *raw = text_at(sa, "saddr", 1);
    uint8_t b[128];
    char addr[INET6_ADDRSTRLEN];
    long n;
    unsigned fam;
    int rc;

    if (raw == NULL) {
        raw = text_at(sa, "saddr", 0);
    }
    n = raw != NULL ? unhex(raw, b, sizeof(b)) : -1;
    if (n < 2) {
        return 0;
    }
    fam = (unsigned)(b[0] | b[1] << 8);
    if (fam == AF_INET && n >= 8) {
        inet_ntop(AF_INET, b + 4, addr, sizeof(addr));
        rc = audit_json_add(ev, "family", json_object_new_string("inet"));
    } else if (fam == AF_INET6 && n >= 24) {
        inet_ntop(AF_INET6, b + 8, addr, sizeof(addr));
        rc = audit_json_add(ev, "family", json_object_new_string("inet6"));
    } else if (fam == AF_UNIX && n > 2) {
        /* an abstract name starts with a NUL byte; shown with '@' */
        size_t len = (size_t)n - 2, k;
        char path[128];

        for (k = 0; k < len && (k == 0 || b[2 + k] != 0); k++) {
            path[k] = b[2 + k] == 0 ? '@' : (char)b[2 + k];
        }
        rc = audit_json_add(ev, "family", json_object_new_string("local"));
        if (rc == 0) {
            rc = audit_json_add(ev, "address", text(path, k));
        }
        return rc < 0 ? rc : 1;
    } else {
        return 0;
    }
    if (rc == 0) {
        rc = audit_json_add(ev, "address", json_object_new_string(addr));
    }
    if (rc == 0) {
        rc = audit_json_add(ev, "port", json_object_new_int(b[2] << 8 | b[3]));
    }
    return rc < 0 ? rc : 1;
}

/* A login or authentication record rec of type t: its fields into ev */
static int
put_login(struct json_object *ev, struct json_object *rec, const char *t)
{
    const char *res = text_at(rec, "res", 0);
    int rc;

    rc = audit_json_add(ev, "type", json_object_new_string(t));
    if (rc == 0) {
        rc = put_text(ev, "op", rec, "op");
    }
    if (rc == 0) {
        /* USER_LOGIN names the account in "id" */
        rc = put_text(ev, "account", rec,
                      text_at(rec, "acct", 0) != NULL ? "acct" : "id");
    }
    if (rc == 0) {
        rc = put_known(ev, "address", rec, "addr");
    }
    if (rc == 0) {
        rc = put_known(ev, "hostname", rec, "hostname");
    }
    if (rc == 0) {
        rc = put_known(ev, "terminal", rec, "terminal");
    }
    if (rc == 0 && text_at(rec, "terminal", 0) == NULL) {
        rc = put_known(ev, "terminal", rec, "tty");
    }
    if (rc == 0) {
        rc = put_text(ev, "exe", rec, "exe");
    }
    if (rc == 0) {
        rc = put_id(ev, "uid", rec);
    }
    if (rc == 0) {
        rc = put_id(ev, "auid", rec);
    }
    if (rc == 0 && res != NULL) {
        /* "success"/"failed", or "yes"/"no", "1"/"0" in older records */
        bool ok = !strcmp(res, "success") || !strcmp(res, "yes") ||
                  !strcmp(res, "1");
        bool failed = !strcmp(res, "failed") || !strcmp(res, "no") ||
                      !strcmp(res, "0");

        rc = audit_json_add(ev, "result",
                            ok ? json_object_new_string("success") :
                            failed ? json_object_new_string("failed") :
                            text(res, strlen(res)));
    }
    return rc;
}

/* The record types of data, comma-separated, into ev's "type" */
static int
put_types(struct json_object *ev, struct json_object *data)
{
    char types[256];
    size_t len = 0;

    types[0] = '\0';
    json_object_object_foreach(data, key, val) {
        size_t k = strlen(key);

        (void)val;
        if (len + k + 2 > sizeof(types)) {
            break;
        }
        if (len > 0) {
            types[len++] = ',';
        }
        memcpy(types + len, key, k + 1);
        len += k;
    }
    return audit_json_add(ev, "type", text(types, len));
}

/* The time of an event: aushape's text, or milliseconds */
static bool
event_time(struct json_object *src, long long *ms)
{
    struct json_object *t = member(src, "time");

    if (json_object_is_type(t, json_type_string)) {
        return audit_time_parse(json_object_get_string(t), ms) == 0;
    }
    if (json_object_is_type(t, json_type_int)) {
        *ms = json_object_get_int64(t);
        return true;
    }
    return false;
}

/*
 * The list event of one aushape event src, into *out (NULL when src is
 * no event).  0 or -ENOMEM.
 */
static int
event_new(struct json_object *src, long long start_ms,
          struct json_object **out)
{
    struct json_object *data = member(src, "data");
    struct json_object *serial = member(src, "serial");
    struct json_object *ev, *rec = NULL;
    const char *kind = NULL, *type = NULL, *sc;
    long long ms;
    size_t i;
    int rc;

    *out = NULL;
    if (!json_object_is_type(data, json_type_object) ||
        !event_time(src, &ms)) {
        return 0;
    }
    ev = json_object_new_object();
    if (ev == NULL) {
        return -ENOMEM;
    }
    rc = audit_json_add(ev, "offset", json_object_new_int64(ms - start_ms));
    if (rc == 0 && json_object_is_type(member(src, "time"),
                                       json_type_string)) {
        const char *t = json_object_get_string(member(src, "time"));

        rc = audit_json_add(ev, "time", text(t, strlen(t)));
    }
    if (rc == 0 && json_object_is_type(serial, json_type_int)) {
        rc = audit_json_add(ev, "serial",
                 json_object_new_int64(json_object_get_int64(serial)));
    }
    for (i = 0; i < LOGIN_TYPES && rec == NULL; i++) {
        rec = first_object(member(data, login_types[i].type));
        kind = login_types[i].kind;
        type = login_types[i].type;
    }
    sc = text_at(member(data, "syscall"), "syscall", 0);
    if (rc < 0) {
        goto out;
    }
    if (rec != NULL) {
        rc = put_login(ev, rec, type);
    } else if (member(data, "execve") != NULL ||
               (sc != NULL && (!strcmp(sc, "execve") ||
                               !strcmp(sc, "execveat")))) {
        kind = "command";
        rc = put_argv(ev, data);
        if (rc == 0) {
            rc = put_process(ev, data);
        }
    } else {
        rc = put_sockaddr(ev, data);
        if (rc == 1) {
            kind = "connection";
            rc = 0;
        } else if (rc == 0 && member(data, "path") != NULL) {
            kind = "file";
            rc = put_paths(ev, data);
        } else if (rc == 0) {
            kind = "other";
            rc = put_types(ev, data);
        }
        if (rc == 0) {
            rc = put_process(ev, data);
        }
    }
    if (rc == 0) {
        rc = audit_json_add(ev, "kind", json_object_new_string(kind));
    }
out:
    if (rc < 0) {
        json_object_put(ev);
        return rc;
    }
    *out = ev;
    return 0;
}

/* Has events one with ev's serial and time? */
static bool
seen(struct json_object *events, struct json_object *ev)
{
    struct json_object *s = member(ev, "serial"), *t = member(ev, "time");
    size_t i, n = json_object_array_length(events);

    if (s == NULL || t == NULL) {
        return false;
    }
    for (i = 0; i < n; i++) {
        struct json_object *o = json_object_array_get_idx(events, i);
        struct json_object *os = member(o, "serial"), *ot = member(o, "time");

        if (os != NULL && ot != NULL &&
            json_object_get_int64(os) == json_object_get_int64(s) &&
            !strcmp(json_object_get_string(ot), json_object_get_string(t))) {
            return true;
        }
    }
    return false;
}

int
audit_events_add(struct json_object *events, struct json_object *answer,
                 long long start_ms, char *err, size_t errsz)
{
    struct json_object *outer = member(answer, "hits");
    struct json_object *hits = member(outer, "hits");
    struct json_object *total = member(outer, "total");
    size_t i, n, over = 0;
    long long all = -1;

    if (!json_object_is_type(events, json_type_array)) {
        snprintf(err, errsz, "the event list is not an array");
        return -EINVAL;
    }
    if (!json_object_is_type(hits, json_type_array)) {
        snprintf(err, errsz, "Elasticsearch answer without a hits.hits"
                 " array: not the answer to a search");
        return -EINVAL;
    }
    n = json_object_array_length(hits);
    for (i = 0; i < n; i++) {
        struct json_object *hit = json_object_array_get_idx(hits, i);
        struct json_object *ev;
        int rc;

        if (json_object_array_length(events) >= AUDIT_EVENTS_MAX) {
            over = n - i;
            break;
        }
        rc = event_new(member(hit, "_source"), start_ms, &ev);
        if (rc < 0) {
            snprintf(err, errsz, "cannot list audit event %zu: %s", i + 1,
                     strerror(-rc));
            return rc;
        }
        if (ev == NULL) {
            continue;
        }
        if (seen(events, ev)) {
            json_object_put(ev);
            continue;
        }
        if (audit_json_push(events, ev) < 0) {
            snprintf(err, errsz, "out of memory listing audit events");
            return -ENOMEM;
        }
    }
    /* hits the store found but did not send: more than the size asked */
    if (json_object_is_type(total, json_type_object)) {
        total = member(total, "value");
    }
    if (json_object_is_type(total, json_type_int)) {
        all = json_object_get_int64(total);
    }
    if (all > (long long)n) {
        over += (size_t)(all - (long long)n);
    }
    return over > INT32_MAX ? INT32_MAX : (int)over;
}

static long long
int_of(struct json_object *o, const char *key)
{
    struct json_object *v = member(o, key);

    return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) :
           0;
}

static int
by_offset(const void *a, const void *b)
{
    struct json_object *x = *(struct json_object *const *)a;
    struct json_object *y = *(struct json_object *const *)b;
    long long ox = int_of(x, "offset"), oy = int_of(y, "offset");
    long long sx = int_of(x, "serial"), sy = int_of(y, "serial");

    if (ox != oy) {
        return ox < oy ? -1 : 1;
    }
    return sx < sy ? -1 : sx > sy ? 1 : 0;
}

void
audit_events_sort(struct json_object *events)
{
    if (json_object_is_type(events, json_type_array)) {
        json_object_array_sort(events, by_offset);
    }
}

/* n digits of s as a number into *v; false when they are not digits */
static bool
digits(const char *s, int n, int *v)
{
    int i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

int
audit_time_parse(const char *s, long long *ms)
{
    struct tm tm;
    int year, mon, day, h, m, sec, oh = 0, om = 0, frac = 0, scale = 1000;
    long long sign = 0;
    time_t t;

    memset(&tm, 0, sizeof(tm));
    if (s == NULL || strlen(s) < 19 || !digits(s, 4, &year) ||
        s[4] != '-' || !digits(s + 5, 2, &mon) || s[7] != '-' ||
        !digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &m) ||
        s[16] != ':' || !digits(s + 17, 2, &sec)) {
        return -EINVAL;
    }
    s += 19;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++) {
            if (scale > 1) {
                scale /= 10;
                frac += (*s - '0') * scale;
            }
        }
    }
    if (*s == 'Z' && s[1] == '\0') {
        sign = 0;
    } else if ((*s == '+' || *s == '-') && digits(s + 1, 2, &oh) &&
               s[3] == ':' && digits(s + 4, 2, &om) && s[6] == '\0') {
        sign = *s == '+' ? 1 : -1;
    } else {
        return -EINVAL;
    }
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || h > 23 || m > 59 ||
        sec > 60 || oh > 23 || om > 59) {
        return -EINVAL;
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    t = timegm(&tm);
    *ms = ((long long)t - sign * (oh * 3600 + om * 60)) * 1000 + frac;
    return 0;
}
