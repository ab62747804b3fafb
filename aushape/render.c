/*
 * The renderer: an event from libauparse to aushape's JSON, within the
 * size budget.
 */
#include "config.h"

#include <auparse.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libaudit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fieldcache.h"
#include "jsonfmt.h"
#include "render.h"

/* Longest "error" text kept for one event */
#define ERR_MAX 1024
/* Paths kept in "trimmed"; more become "" (the event itself) */
#define TRIM_MAX 8
/* Room first kept free under --max-event-size for what follows "data" */
#define TAIL_ROOM 768
/* Longest "error" text in a trimmed event */
#define ERR_TRIMMED 96
/* Records of one event that are looked at */
#define REC_MAX 4096
/* Fields of one record checked for repeated names */
#define FIELD_MAX 256

struct render {
    struct render_conf o;
    auparse_state_t *au;            /* the event being laid out */
    struct buf ev;                  /* the event's JSON */
    struct jsonfmt *j;
    size_t limit;                   /* budget for data and text */
    bool full;                      /* the budget ran out */
    bool trimming;                  /* second try at an event too big */
    char *trim[TRIM_MAX];
    size_t ntrim;
    struct buf err;                 /* "error" text */
    struct buf arg;                 /* an execve argument being joined */
    struct fieldcache *cache;       /* interpretations; NULL: none */
    uint64_t ctx;                   /* cache context of the event */
    uint64_t dropped;               /* events dropped before this one */
    int64_t tsec;                   /* cached second for time stamps */
    char tprefix[32];               /* "YYYY-MM-DDTHH:MM:SS" */
    char tzone[8];                  /* "+HH:MM" */
    unsigned recs[REC_MAX];         /* record numbers, sorted per key */
    char keys[REC_MAX][64];         /* data key of each record */
    const char *names[FIELD_MAX];   /* field names of one record */
};

/* Add a note to the event's error text */
static void
add_err(struct render *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_err(struct render *r, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof(tmp)) {
        n = sizeof(tmp) - 1;
    }
    if (r->err.len > 0 && r->err.len + 2 <= ERR_MAX) {
        buf_append(&r->err, "; ", 2);
    }
    if (r->err.len + (size_t)n <= ERR_MAX) {
        buf_append(&r->err, tmp, (size_t)n);
    }
}

/*
 * Note that a container lost contents; its JSONPath is top, then .sub
 * if sub is not NULL, then [idx] if idx >= 0.
 */
static void
add_trim(struct render *r, const char *top, const char *sub, long idx)
{
    char path[160];
    size_t i;

    snprintf(path, sizeof(path), "%s%s%s", top, sub ? "." : "",
             sub ? sub : "");
    if (idx >= 0) {
        size_t n = strlen(path);

        snprintf(path + n, sizeof(path) - n, "[%ld]", idx);
    }
    for (i = 0; i < r->ntrim; i++) {
        if (strcmp(r->trim[i], path) == 0) {
            return;
        }
    }
    if (r->ntrim == TRIM_MAX) {
        /* Too many places: say "the event itself" instead */
        for (i = 0; i < r->ntrim; i++) {
            if (r->trim[i][0] == '\0') {
                return;
            }
        }
        path[0] = '\0';
        free(r->trim[TRIM_MAX - 1]);
        r->ntrim--;
    }
    r->trim[r->ntrim] = strdup(path);
    if (r->trim[r->ntrim] != NULL) {
        r->ntrim++;
    }
}

/*
 * After appending an item: true if it fits.  If not, the item is taken
 * back, path is noted as trimmed and the budget is spent.
 */
static bool
fits(struct render *r, const struct jsonfmt_mark *m, int rc,
     const char *top, const char *sub, long idx)
{
    if (rc == 0 && r->ev.len <= r->limit) {
        return true;
    }
    jsonfmt_rewind(r->j, m);
    r->full = true;
    add_trim(r, top, sub, idx);
    return false;
}

/* Format the event time: local time with milliseconds and offset */
static void
format_time(struct render *r, int64_t sec, unsigned ms, char *out,
            size_t outlen)
{
    if (sec != r->tsec || r->tprefix[0] == '\0') {
        time_t t = (time_t)sec;
        struct tm tm;
        char z[8];

        localtime_r(&t, &tm);
        strftime(r->tprefix, sizeof(r->tprefix), "%Y-%m-%dT%H:%M:%S", &tm);
        strftime(z, sizeof(z), "%z", &tm);
        snprintf(r->tzone, sizeof(r->tzone), "%.3s:%.2s", z, z + 3);
        r->tsec = sec;
    }
    snprintf(out, outlen, "%s.%03u%s", r->tprefix, ms % 1000, r->tzone);
}

/* The data key of a record type: lowercased, [a-z0-9_] only */
static void
type_key(auparse_state_t *au, char *out, size_t outlen)
{
    const char *name = auparse_get_type_name(au);
    char num[32];
    size_t i;
    size_t n = 0;

    if (name == NULL) {
        const char *f;

        snprintf(num, sizeof(num), "unknown_%d", auparse_get_type(au));
        name = num;
        /* A type name libaudit does not know: use it as written */
        if (auparse_first_field(au) > 0) {
            f = auparse_get_field_name(au);
            if (f != NULL && strcmp(f, "node") == 0) {
                auparse_next_field(au);
                f = auparse_get_field_name(au);
            }
            if (f != NULL && strcmp(f, "type") == 0 &&
                auparse_get_type(au) < 0 &&
                auparse_get_field_str(au) != NULL) {
                name = auparse_get_field_str(au);
            }
        }
    }
    for (i = 0; name[i] != '\0' && n + 1 < outlen; i++) {
        unsigned char ch = (unsigned char)name[i];

        if (isalnum(ch)) {
            out[n++] = (char)tolower(ch);
        } else if (n > 0 && out[n - 1] != '_') {
            out[n++] = '_';
        }
    }
    while (n > 0 && out[n - 1] == '_') {
        n--;
    }
    if (n == 0) {
        snprintf(out, outlen, "unknown");
        return;
    }
    out[n] = '\0';
}

/* Types whose records form an array of objects */
static bool
repeated_type(int type)
{
    return type == AUDIT_AVC || type == AUDIT_PATH ||
           type == AUDIT_NETFILTER_CFG || type == AUDIT_OBJ_PID;
}

/* Fields not written: event-level, pseudo and enrichment fields */
static bool
skip_field(const char *name, bool path)
{
    switch (name[0]) {
    case 't':
        return strcmp(name, "type") == 0;
    case 'n':
        return strcmp(name, "node") == 0;
    case 'i':
        return path && strcmp(name, "item") == 0;
    default:
        /* Enrichment (log_format = ENRICHED): already interpreted */
        return name[0] >= 'A' && name[0] <= 'Z';
    }
}

/* Names written in one record, with a bit mask to skip most compares */
struct names {
    size_t n;
    uint64_t mask;
};

/* True if name was already written in this record; else notes it */
static bool
repeated_name(struct render *r, struct names *seen, const char *name)
{
    size_t len = strlen(name);
    uint64_t bit = 1ull << ((name[0] * 7u + name[len > 0 ? len - 1 : 0] +
                             len) & 63);
    size_t i;

    if (seen->mask & bit) {
        for (i = 0; i < seen->n; i++) {
            if (strcmp(r->names[i], name) == 0) {
                return true;
            }
        }
    }
    seen->mask |= bit;
    if (seen->n < FIELD_MAX) {
        r->names[seen->n++] = name;
    }
    return false;
}

/* Whether fields of this type are strings the kernel escapes: quoted
 * when plain, hex-encoded otherwise (paths, command names, proctitle) */
static bool
escaped_type(int type)
{
    return type == AUPARSE_TYPE_ESCAPED || type == AUPARSE_TYPE_ESCAPED_KEY ||
           type == AUPARSE_TYPE_ESCAPED_FILE ||
           type == AUPARSE_TYPE_PROCTITLE;
}

/*
 * Whether an escaped value is quoted (or a word in parentheses, such as
 * "(null)"), or else an even run of hex digits: the two forms the kernel
 * writes.  libauparse decodes hex without checking it, and a value of
 * neither form can come back without its terminating NUL (found by
 * fuzzing); such a value is shown raw, as the record has it, with an
 * error.
 */
static bool
decodable(const char *raw)
{
    size_t n;

    if (raw[0] == '"' || raw[0] == '(') {
        return true;
    }
    n = strspn(raw, "0123456789abcdefABCDEF");
    return raw[n] == '\0' && n % 2 == 0;
}

/*
 * Write the current field as "name":[interpreted] or [interpreted, raw].
 * The raw value follows when it differs, except for a quoted escaped
 * value, whose raw form is only the decoded one in quotes; a
 * hex-encoded one keeps its raw form (proctitle's shows where the
 * arguments part, at its NUL bytes).  Field interpretations come from
 * the cache when they can.
 */

static int
write_field(struct render *r, const char *name, int rtype, uint64_t ctx)
{
    const char *raw = auparse_get_field_str(r->au);
    const struct fieldcache_entry *e = NULL;
    const char *in;
    bool show_raw;
    bool worth = false;
    int rc;

    if (raw == NULL) {
        raw = "";
    }
    if (r->cache != NULL) {
        e = fieldcache_get(r->cache, rtype, name, raw, ctx, &worth);
    }
    if (e != NULL) {
        in = e->interp;
        show_raw = e->show_raw;
    } else {
        bool escaped = escaped_type(auparse_get_field_type(r->au));

        if (escaped && !decodable(raw)) {
            add_err(r, "%s: neither quoted nor hex digits in pairs, "
                    "shown as recorded", name);
            in = raw;
            worth = false;
        } else {
            in = auparse_interpret_field(r->au);
            if (in == NULL) {
                in = raw;
            }
        }
        show_raw = strcmp(raw, in) != 0 && !(escaped && raw[0] == '"');
        if (worth) {
            fieldcache_put(r->cache, rtype, name, raw, ctx, in, show_raw);
        }
    }
    rc = jsonfmt_key(r->j, name);
    if (rc == 0) {
        rc = jsonfmt_open(r->j, '[');
    }
    if (rc == 0) {
        rc = jsonfmt_cstr(r->j, in);
    }
    if (rc == 0 && show_raw) {
        rc = jsonfmt_cstr(r->j, raw);
    }
    if (rc == 0) {
        rc = jsonfmt_close(r->j);
    }
    return rc;
}

/*
 * Write the current record's fields as an object, under key if not
 * NULL.  The object is data.tkey, or data.tkey[tidx] if tidx >= 0.
 */
static int
write_record(struct render *r, const char *key, const char *tkey, long tidx,
             bool is_path)
{
    struct jsonfmt_mark m;
    struct names seen = { 0, 0 };
    int rtype = auparse_get_type(r->au);
    uint64_t ctx = r->ctx;
    int rc = 0;

    jsonfmt_mark(r->j, &m);
    if (key != NULL) {
        rc = jsonfmt_key(r->j, key);
    }
    if (rc == 0) {
        rc = jsonfmt_open(r->j, '{');
    }
    if (!fits(r, &m, rc, "data", NULL, -1)) {
        return 0;
    }
    if (auparse_first_field(r->au) > 0) {
        do {
            const char *name = auparse_get_field_name(r->au);

            if (name == NULL || skip_field(name, is_path)) {
                continue;
            }
            if (repeated_name(r, &seen, name)) {
                add_err(r, "%s: field \"%s\" repeated, first kept",
                        tkey, name);
                continue;
            }
            if (rtype == AUDIT_SYSCALL && (name[0] == 'a' || name[0] == 's') &&
                (strcmp(name, "arch") == 0 || strcmp(name, "syscall") == 0)) {
                /* What the arguments and exit code mean depends on them */
                const char *v = auparse_get_field_str(r->au);

                ctx = fieldcache_mix(ctx, v != NULL ? v : "");
            }
            jsonfmt_mark(r->j, &m);
            rc = write_field(r, name, rtype, ctx);
            if (!fits(r, &m, rc, "data", tkey, tidx)) {
                break;
            }
        } while (auparse_next_field(r->au) > 0);
    }
    return jsonfmt_close(r->j);
}

/* Item number of the current PATH record, or -1 */
static long
path_item(auparse_state_t *au)
{
    const char *v;
    char *end;
    long n;

    if (auparse_first_field(au) <= 0 ||
        auparse_find_field(au, "item") == NULL) {
        return -1;
    }
    v = auparse_get_field_str(au);
    if (v == NULL) {
        return -1;
    }
    n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < 0) {
        return -1;
    }
    return n;
}

/* Write "path": the PATH records, ordered by item */
static int
write_paths(struct render *r, const unsigned *recs, size_t n)
{
    long items[REC_MAX];
    unsigned order[REC_MAX];
    struct jsonfmt_mark m;
    size_t i;
    size_t k;
    int rc;

    for (i = 0; i < n; i++) {
        auparse_goto_record_num(r->au, recs[i]);
        items[i] = path_item(r->au);
        if (items[i] < 0) {
            add_err(r, "path record without a valid item number");
        }
        /* Insertion sort: events have a handful of paths */
        for (k = i; k > 0 && items[order[k - 1]] > items[i]; k--) {
            order[k] = order[k - 1];
        }
        order[k] = (unsigned)i;
    }
    for (i = 1; i < n; i++) {
        if (items[order[i]] >= 0 && items[order[i]] == items[order[i - 1]]) {
            add_err(r, "path item %ld appears twice", items[order[i]]);
        }
    }
    jsonfmt_mark(r->j, &m);
    rc = jsonfmt_key(r->j, "path");
    if (rc == 0) {
        rc = jsonfmt_open(r->j, '[');
    }
    if (!fits(r, &m, rc, "data", NULL, -1)) {
        return 0;
    }
    for (i = 0; i < n && !r->full; i++) {
        auparse_goto_record_num(r->au, recs[order[i]]);
        rc = write_record(r, NULL, "path", (long)i, true);
        if (rc < 0) {
            return rc;
        }
    }
    if (i < n) {
        add_trim(r, "data", "path", -1);
    }
    return jsonfmt_close(r->j);
}

/* Write one execve argument from r->arg */
static bool
put_arg(struct render *r)
{
    struct jsonfmt_mark m;
    int rc;

    jsonfmt_mark(r->j, &m);
    rc = jsonfmt_str(r->j, r->arg.data, r->arg.len);
    r->arg.len = 0;
    return fits(r, &m, rc, "data", "execve", -1);
}

/* Argument number in an EXECVE field name "aN", "aN_len", "aN[i]" */
static long
arg_number(const char *name, const char **rest)
{
    char *end;
    long n;

    if (name[0] != 'a' || name[1] < '0' || name[1] > '9') {
        return -1;
    }
    n = strtol(name + 1, &end, 10);
    *rest = end;
    /* The kernel allows far fewer arguments; more is damage */
    return n > (1L << 24) ? -1 : n;
}

/*
 * Write "execve": the whole argv, from every EXECVE record, arguments
 * split into pieces (aN_len, aN[i]) joined again.
 */
static int
write_execve(struct render *r, const unsigned *recs, size_t n)
{
    struct jsonfmt_mark m;
    long argc = -1;
    long next = 0;          /* number of the argument being built */
    bool open_arg = false;
    size_t i;
    int rc;

    jsonfmt_mark(r->j, &m);
    rc = jsonfmt_key(r->j, "execve");
    if (rc == 0) {
        rc = jsonfmt_open(r->j, '[');
    }
    if (!fits(r, &m, rc, "data", NULL, -1)) {
        return 0;
    }
    for (i = 0; i < n && !r->full; i++) {
        auparse_goto_record_num(r->au, recs[i]);
        if (auparse_first_field(r->au) <= 0) {
            continue;
        }
        do {
            const char *name = auparse_get_field_name(r->au);
            const char *rest;
            const char *v;
            long a;

            if (name == NULL || skip_field(name, false)) {
                continue;
            }
            if (strcmp(name, "argc") == 0) {
                const char *av = auparse_get_field_str(r->au);

                argc = av != NULL ? strtol(av, NULL, 10) : -1;
                continue;
            }
            a = arg_number(name, &rest);
            if (a < 0) {
                add_err(r, "execve: unexpected field \"%s\"", name);
                continue;
            }
            if (open_arg && (a != next || *rest == '\0' ||
                             strcmp(rest, "_len") == 0)) {
                /* The previous split argument ends here */
                open_arg = false;
                next++;
                if (!put_arg(r)) {
                    break;
                }
            }
            if (a != next && !open_arg) {
                add_err(r, "execve: argument %ld missing", next);
                next = a;
            }
            if (strcmp(rest, "_len") == 0) {
                open_arg = true;
                continue;
            }
            v = auparse_interpret_field(r->au);
            if (v == NULL) {
                v = "";
            }
            if (buf_append(&r->arg, v, strlen(v)) < 0) {
                add_err(r, "execve: argument %ld too long", a);
                r->arg.len = 0;
            }
            if (*rest == '\0') {
                next++;
                if (!put_arg(r)) {
                    break;
                }
            }
        } while (auparse_next_field(r->au) > 0);
    }
    if (open_arg && !r->full) {
        next++;
        put_arg(r);
    }
    r->arg.len = 0;
    if (argc >= 0 && next != argc && !r->full) {
        add_err(r, "execve: argc is %ld but %ld arguments arrived",
                argc, next);
    }
    return jsonfmt_close(r->j);
}

/* Record numbers of the current event with data key key, in order */
static size_t
collect(struct render *r, const char *key, unsigned nrec, char (*keys)[64])
{
    size_t n = 0;
    unsigned rec;

    for (rec = 0; rec < nrec && n < REC_MAX; rec++) {
        if (strcmp(keys[rec], key) == 0) {
            r->recs[n++] = rec;
        }
    }
    return n;
}

/*
 * For an event over the size limit, what ran comes first: the syscall
 * record, then as much of argv as half of the room left allows.  The
 * other records share the rest.
 */
static int
write_what_ran(struct render *r, unsigned nrec)
{
    size_t keep = r->limit;
    size_t n;
    unsigned rec;
    int rc = 0;

    for (rec = 0; rec < nrec; rec++) {
        auparse_goto_record_num(r->au, rec);
        if (auparse_get_type(r->au) == AUDIT_SYSCALL) {
            rc = write_record(r, r->keys[rec], r->keys[rec], -1, false);
            break;
        }
    }
    n = collect(r, "execve", nrec, r->keys);
    if (rc == 0 && n > 0 && r->ev.len < r->limit) {
        r->limit = r->ev.len + (r->limit - r->ev.len) / 2;
        rc = write_execve(r, r->recs, n);
        r->limit = keep;
        r->full = false;
    }
    return rc;
}

/* Write "data": one key per record type */
static int
write_data(struct render *r)
{
    unsigned nrec = auparse_get_num_records(r->au);
    char (*keys)[64] = r->keys;
    struct jsonfmt_mark m;
    unsigned rec;
    size_t n;
    int rc;

    if (nrec > REC_MAX) {
        add_err(r, "%u records in one event, first %d kept", nrec, REC_MAX);
        nrec = REC_MAX;
    }
    for (rec = 0; rec < nrec; rec++) {
        auparse_goto_record_num(r->au, rec);
        keys[rec][0] = '\0';
        if (auparse_get_type(r->au) == AUDIT_EOE) {
            continue;
        }
        type_key(r->au, keys[rec], sizeof(keys[rec]));
        if (auparse_get_type_name(r->au) == NULL) {
            add_err(r, "record type \"%s\" is unknown", keys[rec]);
        }
    }
    rc = jsonfmt_key(r->j, "data");
    if (rc == 0) {
        rc = jsonfmt_open(r->j, '{');
    }
    if (rc == 0 && r->trimming) {
        rc = write_what_ran(r, nrec);
    }
    /* Small records first, execve last: it is the one that grows */
    for (rec = 0; rc == 0 && rec < nrec && !r->full; rec++) {
        int type;
        unsigned k;

        if (keys[rec][0] == '\0') {
            continue;
        }
        auparse_goto_record_num(r->au, rec);
        type = auparse_get_type(r->au);
        if (type == AUDIT_EXECVE || (type == AUDIT_SYSCALL && r->trimming)) {
            continue;
        }
        /* Only the first record of a key writes it */
        for (k = 0; k < rec && strcmp(keys[k], keys[rec]) != 0; k++) {
        }
        if (k < rec) {
            if (!repeated_type(type)) {
                add_err(r, "record %s repeated, only the first in data",
                        keys[rec]);
            }
            continue;
        }
        if (type == AUDIT_PATH) {
            n = collect(r, keys[rec], nrec, keys);
            rc = write_paths(r, r->recs, n);
            continue;
        }
        if (repeated_type(type)) {
            size_t i;

            n = collect(r, keys[rec], nrec, keys);
            jsonfmt_mark(r->j, &m);
            rc = jsonfmt_key(r->j, keys[rec]);
            if (rc == 0) {
                rc = jsonfmt_open(r->j, '[');
            }
            if (!fits(r, &m, rc, "data", NULL, -1)) {
                break;
            }
            for (i = 0; rc == 0 && i < n && !r->full; i++) {
                auparse_goto_record_num(r->au, r->recs[i]);
                rc = write_record(r, NULL, keys[rec], (long)i, false);
            }
            if (i < n) {
                add_trim(r, "data", keys[rec], -1);
            }
            if (rc == 0) {
                rc = jsonfmt_close(r->j);
            }
        } else {
            rc = write_record(r, keys[rec], keys[rec], -1, false);
        }
    }
    n = rc == 0 && !r->full && !r->trimming ?
        collect(r, "execve", nrec, keys) : 0;
    if (n > 0) {
        rc = write_execve(r, r->recs, n);
    }
    if (r->full) {
        add_trim(r, "data", NULL, -1);
    }
    if (rc == 0) {
        rc = jsonfmt_close(r->j);
    }
    return rc;
}

/* Write "text": the event's lines as they came */
static int
write_text(struct render *r, const struct assembler_event *ev,
           const char *line, size_t len)
{
    struct jsonfmt_mark m;
    const uint8_t *p;
    const uint8_t *end;
    int rc;

    rc = jsonfmt_key(r->j, "text");
    if (rc == 0) {
        rc = jsonfmt_open(r->j, '[');
    }
    if (rc < 0) {
        return rc;
    }
    p = ev != NULL ? ev->text.data : (const uint8_t *)line;
    end = p + (ev != NULL ? ev->text.len : len);
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p);

        jsonfmt_mark(r->j, &m);
        rc = jsonfmt_str(r->j, p, n);
        if (!fits(r, &m, rc, "text", NULL, -1)) {
            break;
        }
        p += n + 1;
    }
    return jsonfmt_close(r->j);
}

/*
 * Start an event: reset per-event state and write the header.  trim is
 * 0, or the room to keep free under --max-event-size for what follows
 * "data".
 */
static int
begin(struct render *r, uint64_t serial, int64_t sec, unsigned ms,
      const char *node, size_t trim)
{
    char ts[64];
    int rc;

    r->ev.len = 0;
    r->err.len = 0;
    r->full = false;
    while (r->ntrim > 0) {
        free(r->trim[--r->ntrim]);
    }
    r->trimming = trim > 0;
    r->limit = trim > 0 ? r->o.max_event - trim : SIZE_MAX;
    jsonfmt_start(r->j, &r->ev, r->o.base);
    format_time(r, sec, ms, ts, sizeof(ts));
    rc = jsonfmt_open(r->j, '{');
    if (rc == 0) {
        rc = jsonfmt_key(r->j, "serial");
    }
    if (rc == 0) {
        rc = jsonfmt_u64(r->j, serial);
    }
    if (rc == 0) {
        rc = jsonfmt_key(r->j, "time");
    }
    if (rc == 0) {
        rc = jsonfmt_cstr(r->j, ts);
    }
    if (rc == 0 && node != NULL && node[0] != '\0') {
        rc = jsonfmt_key(r->j, "node");
        if (rc == 0) {
            rc = jsonfmt_cstr(r->j, node);
        }
    }
    return rc;
}

/* Finish an event: error, text, dropped, trimmed */
static int
finish(struct render *r, const struct assembler_event *ev, const char *line,
       size_t len)
{
    int rc = 0;
    size_t i;

    if (r->err.len > 0 || r->o.with_text) {
        if (r->err.len > 0) {
            /* Under a size limit the error is kept short too */
            size_t n = r->trimming && r->err.len > ERR_TRIMMED ?
                       ERR_TRIMMED : r->err.len;

            rc = jsonfmt_key(r->j, "error");
            if (rc == 0) {
                rc = jsonfmt_str(r->j, r->err.data, n);
            }
        }
        if (rc == 0 && (ev != NULL || line != NULL)) {
            rc = write_text(r, ev, line, len);
        }
    }
    if (rc == 0 && r->dropped > 0) {
        rc = jsonfmt_key(r->j, "dropped");
        if (rc == 0) {
            rc = jsonfmt_u64(r->j, r->dropped);
        }
    }
    if (rc == 0 && r->ntrim > 0) {
        rc = jsonfmt_key(r->j, "trimmed");
        if (rc == 0) {
            rc = jsonfmt_open(r->j, '[');
        }
        for (i = 0; rc == 0 && i < r->ntrim; i++) {
            rc = jsonfmt_cstr(r->j, r->trim[i]);
        }
        if (rc == 0) {
            rc = jsonfmt_close(r->j);
        }
    }
    if (rc == 0) {
        rc = jsonfmt_close(r->j);
    }
    return rc;
}


/* Lay out the event libauparse holds; trim as begin() */
static int
lay_out(struct render *r, const au_event_t *e,
        const struct assembler_event *ev, size_t trim)
{
    int rc;

    r->ctx = e->host != NULL ? fieldcache_mix(0, e->host) : 0;
    rc = begin(r, e->serial, e->sec, e->milli, e->host, trim);
    if (rc == 0 && ev != NULL && ev->lost > 0) {
        add_err(r, "event too large: %zu records past %u bytes lost",
                ev->lost, ASSEMBLER_EVENT_MAX);
    }
    if (rc == 0 && ev != NULL && ev->damage[0] != '\0') {
        /* Damage libauparse would pass over silently */
        add_err(r, "%s", ev->damage);
    }
    if (rc == 0) {
        rc = write_data(r);
    }
    if (rc == 0) {
        rc = finish(r, ev, NULL, 0);
    }
    return rc;
}

/* The event's header alone, for when nothing else fits the limit */
static int
lay_out_bare(struct render *r, const au_event_t *e)
{
    int rc = begin(r, e->serial, e->sec, e->milli, e->host,
                   r->o.max_event);

    if (rc == 0) {
        add_err(r, "event over --max-event-size even with its data cut");
        add_trim(r, "", NULL, -1);
        rc = finish(r, NULL, NULL, 0);
    }
    return rc;
}

/* Hand the event out, or say why it could not be laid out */
static int
done(struct render *r, int rc, uint64_t serial, const uint8_t **json,
     size_t *len, char *err, size_t errsz)
{
    if (rc < 0) {
        snprintf(err, errsz, "cannot lay out event %" PRIu64 ": %s",
                 serial, strerror(-rc));
        return rc;
    }
    *json = r->ev.data;
    *len = r->ev.len;
    return 0;
}

int
render_event(struct render *r, auparse_state_t *au, const au_event_t *e,
             const struct assembler_event *ev, uint64_t dropped,
             const uint8_t **json, size_t *len, char *err, size_t errsz)
{
    size_t room;
    int rc;

    r->au = au;
    r->dropped = dropped;
    /* Whole first; an event over the limit is made again, trimmed,
     * keeping more room for the notes at its end each time */
    rc = lay_out(r, e, ev, 0);
    room = TAIL_ROOM;
    while (rc == 0 && r->ev.len > r->o.max_event) {
        if (room + 128 > r->o.max_event) {
            rc = lay_out_bare(r, e);
            break;
        }
        rc = lay_out(r, e, ev, room);
        room += r->ev.len > r->o.max_event ?
                r->ev.len - r->o.max_event + 64 : 0;
    }
    r->au = NULL;
    return done(r, rc, e->serial, json, len, err, errsz);
}

int
render_bad_line(struct render *r, const char *line, size_t n,
                const char *why, uint64_t dropped, const uint8_t **json,
                size_t *len, char *err, size_t errsz)
{
    struct timespec now;
    int rc;

    r->dropped = dropped;
    clock_gettime(CLOCK_REALTIME, &now);
    rc = begin(r, 0, now.tv_sec, (unsigned)(now.tv_nsec / 1000000), NULL,
               r->o.max_event != SIZE_MAX ? TAIL_ROOM : 0);
    if (rc == 0) {
        add_err(r, "not an audit record: %s", why);
        rc = finish(r, NULL, line, n);
    }
    return done(r, rc, 0, json, len, err, errsz);
}

int
render_new(const struct render_conf *conf, struct render **pr,
           char *err, size_t errsz)
{
    struct render *r = calloc(1, sizeof(*r));
    int rc;

    if (r == NULL) {
        snprintf(err, errsz, "out of memory for the event renderer");
        return -ENOMEM;
    }
    r->o = *conf;
    if (r->o.max_event != SIZE_MAX && r->o.max_event < RENDER_EVENT_MIN) {
        r->o.max_event = RENDER_EVENT_MIN;
    }
    buf_init(&r->ev, SIZE_MAX);
    buf_init(&r->err, ERR_MAX + 512);
    buf_init(&r->arg, 4u << 20);
    rc = jsonfmt_new(r->o.fold, r->o.indent, &r->j, err, errsz);
    if (rc == 0 && !r->o.no_cache) {
        rc = fieldcache_new(&r->cache, err, errsz);
    }
    if (rc < 0) {
        render_free(r);
        return rc;
    }
    *pr = r;
    return 0;
}

void
render_free(struct render *r)
{
    if (r == NULL) {
        return;
    }
    buf_fini(&r->ev);
    buf_fini(&r->err);
    buf_fini(&r->arg);
    jsonfmt_free(r->j);
    fieldcache_free(r->cache);
    while (r->ntrim > 0) {
        free(r->trim[--r->ntrim]);
    }
    free(r);
}
