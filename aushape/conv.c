/*
 * The converter.
 */
#include "config.h"

#include <auparse.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonfmt.h"
#include "record.h"
#include "conv.h"
#include "assembler.h"
#include "fieldcache.h"

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

struct conv {
    auparse_state_t *au;
    struct conv_opts o;
    conv_out_fn out;
    bool (*full_fn)(void *data);
    void *data;
    int rc;                         /* first fatal out() error */
    struct assembler asmb;
    struct buf line;                /* partial input line */
    bool line_cut;                  /* the line in progress passed max */
    const struct assembler_event *cur;  /* event being fed to auparse */
    struct buf ev;                  /* the event being formatted */
    struct jsonfmt j;
    size_t limit;                   /* budget for data and text */
    bool full;                      /* the budget ran out */
    bool trimming;                  /* second try at an event too big */
    char *trim[TRIM_MAX];
    size_t ntrim;
    struct buf err;                 /* "error" text */
    struct buf arg;                 /* an execve argument being joined */
    struct fieldcache *cache;           /* interpretations; NULL: none */
    uint64_t ctx;                   /* cache context of the event */
    uint64_t dropped;
    uint64_t dropped_since;         /* dropped since the last one out */
    int64_t tsec;                   /* cached second for time stamps */
    char tprefix[32];               /* "YYYY-MM-DDTHH:MM:SS" */
    char tzone[8];                  /* "+HH:MM" */
    unsigned recs[REC_MAX];         /* record numbers, sorted per key */
    char keys[REC_MAX][64];         /* data key of each record */
    const char *names[FIELD_MAX];   /* field names of one record */
};

/* Add a note to the event's error text */
static void
add_err(struct conv *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_err(struct conv *c, const char *fmt, ...)
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
    if (c->err.len > 0 && c->err.len + 2 <= ERR_MAX) {
        buf_append(&c->err, "; ", 2);
    }
    if (c->err.len + (size_t)n <= ERR_MAX) {
        buf_append(&c->err, tmp, (size_t)n);
    }
}

/*
 * Note that a container lost contents; its JSONPath is top, then .sub
 * if sub is not NULL, then [idx] if idx >= 0.
 */
static void
add_trim(struct conv *c, const char *top, const char *sub, long idx)
{
    char path[160];
    size_t i;

    snprintf(path, sizeof(path), "%s%s%s", top, sub ? "." : "",
             sub ? sub : "");
    if (idx >= 0) {
        size_t n = strlen(path);

        snprintf(path + n, sizeof(path) - n, "[%ld]", idx);
    }
    for (i = 0; i < c->ntrim; i++) {
        if (strcmp(c->trim[i], path) == 0) {
            return;
        }
    }
    if (c->ntrim == TRIM_MAX) {
        /* Too many places: say "the event itself" instead */
        for (i = 0; i < c->ntrim; i++) {
            if (c->trim[i][0] == '\0') {
                return;
            }
        }
        path[0] = '\0';
        free(c->trim[TRIM_MAX - 1]);
        c->ntrim--;
    }
    c->trim[c->ntrim] = strdup(path);
    if (c->trim[c->ntrim] != NULL) {
        c->ntrim++;
    }
}

/* A place to go back to if an item does not fit */
struct mark {
    size_t len;
    struct jsonfmt j;
};

static void
mark_set(struct conv *c, struct mark *m)
{
    m->len = c->ev.len;
    m->j = c->j;
}

/*
 * After appending an item: true if it fits.  If not, the item is taken
 * back, path is noted as trimmed and the budget is spent.
 */
static bool
fits(struct conv *c, const struct mark *m, int rc, const char *top,
     const char *sub, long idx)
{
    if (rc == 0 && c->ev.len <= c->limit) {
        return true;
    }
    c->ev.len = m->len;
    c->j = m->j;
    c->j.b = &c->ev;
    c->full = true;
    add_trim(c, top, sub, idx);
    return false;
}

/* Format the event time: local time with milliseconds and offset */
static void
format_time(struct conv *c, int64_t sec, unsigned ms, char *out,
            size_t outlen)
{
    if (sec != c->tsec || c->tprefix[0] == '\0') {
        time_t t = (time_t)sec;
        struct tm tm;
        char z[8];

        localtime_r(&t, &tm);
        strftime(c->tprefix, sizeof(c->tprefix), "%Y-%m-%dT%H:%M:%S", &tm);
        strftime(z, sizeof(z), "%z", &tm);
        snprintf(c->tzone, sizeof(c->tzone), "%.3s:%.2s", z, z + 3);
        c->tsec = sec;
    }
    snprintf(out, outlen, "%s.%03u%s", c->tprefix, ms % 1000, c->tzone);
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
repeated_name(struct conv *c, struct names *seen, const char *name)
{
    size_t len = strlen(name);
    uint64_t bit = 1ull << ((name[0] * 7u + name[len > 0 ? len - 1 : 0] +
                             len) & 63);
    size_t i;

    if (seen->mask & bit) {
        for (i = 0; i < seen->n; i++) {
            if (strcmp(c->names[i], name) == 0) {
                return true;
            }
        }
    }
    seen->mask |= bit;
    if (seen->n < FIELD_MAX) {
        c->names[seen->n++] = name;
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
write_field(struct conv *c, const char *name, int rtype, uint64_t ctx)
{
    const char *raw = auparse_get_field_str(c->au);
    const struct fieldcache_entry *e = NULL;
    const char *in;
    bool show_raw;
    bool worth = false;
    int rc;

    if (raw == NULL) {
        raw = "";
    }
    if (c->cache != NULL) {
        e = fieldcache_get(c->cache, rtype, name, raw, ctx, &worth);
    }
    if (e != NULL) {
        in = e->interp;
        show_raw = e->show_raw;
    } else {
        bool escaped = escaped_type(auparse_get_field_type(c->au));

        if (escaped && !decodable(raw)) {
            add_err(c, "%s: neither quoted nor hex digits in pairs, "
                    "shown as recorded", name);
            in = raw;
            worth = false;
        } else {
            in = auparse_interpret_field(c->au);
            if (in == NULL) {
                in = raw;
            }
        }
        show_raw = strcmp(raw, in) != 0 && !(escaped && raw[0] == '"');
        if (worth) {
            fieldcache_put(c->cache, rtype, name, raw, ctx, in, show_raw);
        }
    }
    rc = jsonfmt_key(&c->j, name);
    if (rc == 0) {
        rc = jsonfmt_open(&c->j, '[');
    }
    if (rc == 0) {
        rc = jsonfmt_cstr(&c->j, in);
    }
    if (rc == 0 && show_raw) {
        rc = jsonfmt_cstr(&c->j, raw);
    }
    if (rc == 0) {
        rc = jsonfmt_close(&c->j);
    }
    return rc;
}

/*
 * Write the current record's fields as an object, under key if not
 * NULL.  The object is data.tkey, or data.tkey[tidx] if tidx >= 0.
 */
static int
write_record(struct conv *c, const char *key, const char *tkey, long tidx,
             bool is_path)
{
    struct mark m;
    struct names seen = { 0, 0 };
    int rtype = auparse_get_type(c->au);
    uint64_t ctx = c->ctx;
    int rc = 0;

    mark_set(c, &m);
    if (key != NULL) {
        rc = jsonfmt_key(&c->j, key);
    }
    if (rc == 0) {
        rc = jsonfmt_open(&c->j, '{');
    }
    if (!fits(c, &m, rc, "data", NULL, -1)) {
        return 0;
    }
    if (auparse_first_field(c->au) > 0) {
        do {
            const char *name = auparse_get_field_name(c->au);

            if (name == NULL || skip_field(name, is_path)) {
                continue;
            }
            if (repeated_name(c, &seen, name)) {
                add_err(c, "%s: field \"%s\" repeated, first kept",
                        tkey, name);
                continue;
            }
            if (rtype == AUDIT_SYSCALL && (name[0] == 'a' || name[0] == 's') &&
                (strcmp(name, "arch") == 0 || strcmp(name, "syscall") == 0)) {
                /* What the arguments and exit code mean depends on them */
                const char *v = auparse_get_field_str(c->au);

                ctx = fieldcache_mix(ctx, v != NULL ? v : "");
            }
            mark_set(c, &m);
            rc = write_field(c, name, rtype, ctx);
            if (!fits(c, &m, rc, "data", tkey, tidx)) {
                break;
            }
        } while (auparse_next_field(c->au) > 0);
    }
    return jsonfmt_close(&c->j);
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
write_paths(struct conv *c, const unsigned *recs, size_t n)
{
    long items[REC_MAX];
    unsigned order[REC_MAX];
    struct mark m;
    size_t i;
    size_t k;
    int rc;

    for (i = 0; i < n; i++) {
        auparse_goto_record_num(c->au, recs[i]);
        items[i] = path_item(c->au);
        if (items[i] < 0) {
            add_err(c, "path record without a valid item number");
        }
        /* Insertion sort: events have a handful of paths */
        for (k = i; k > 0 && items[order[k - 1]] > items[i]; k--) {
            order[k] = order[k - 1];
        }
        order[k] = (unsigned)i;
    }
    for (i = 1; i < n; i++) {
        if (items[order[i]] >= 0 && items[order[i]] == items[order[i - 1]]) {
            add_err(c, "path item %ld appears twice", items[order[i]]);
        }
    }
    mark_set(c, &m);
    rc = jsonfmt_key(&c->j, "path");
    if (rc == 0) {
        rc = jsonfmt_open(&c->j, '[');
    }
    if (!fits(c, &m, rc, "data", NULL, -1)) {
        return 0;
    }
    for (i = 0; i < n && !c->full; i++) {
        auparse_goto_record_num(c->au, recs[order[i]]);
        rc = write_record(c, NULL, "path", (long)i, true);
        if (rc < 0) {
            return rc;
        }
    }
    if (i < n) {
        add_trim(c, "data", "path", -1);
    }
    return jsonfmt_close(&c->j);
}

/* Write one execve argument from c->arg */
static bool
put_arg(struct conv *c)
{
    struct mark m;
    int rc;

    mark_set(c, &m);
    rc = jsonfmt_str(&c->j, c->arg.data, c->arg.len);
    c->arg.len = 0;
    return fits(c, &m, rc, "data", "execve", -1);
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
write_execve(struct conv *c, const unsigned *recs, size_t n)
{
    struct mark m;
    long argc = -1;
    long next = 0;          /* number of the argument being built */
    bool open_arg = false;
    size_t i;
    int rc;

    mark_set(c, &m);
    rc = jsonfmt_key(&c->j, "execve");
    if (rc == 0) {
        rc = jsonfmt_open(&c->j, '[');
    }
    if (!fits(c, &m, rc, "data", NULL, -1)) {
        return 0;
    }
    for (i = 0; i < n && !c->full; i++) {
        auparse_goto_record_num(c->au, recs[i]);
        if (auparse_first_field(c->au) <= 0) {
            continue;
        }
        do {
            const char *name = auparse_get_field_name(c->au);
            const char *rest;
            const char *v;
            long a;

            if (name == NULL || skip_field(name, false)) {
                continue;
            }
            if (strcmp(name, "argc") == 0) {
                const char *av = auparse_get_field_str(c->au);

                argc = av != NULL ? strtol(av, NULL, 10) : -1;
                continue;
            }
            a = arg_number(name, &rest);
            if (a < 0) {
                add_err(c, "execve: unexpected field \"%s\"", name);
                continue;
            }
            if (open_arg && (a != next || *rest == '\0' ||
                             strcmp(rest, "_len") == 0)) {
                /* The previous split argument ends here */
                open_arg = false;
                next++;
                if (!put_arg(c)) {
                    break;
                }
            }
            if (a != next && !open_arg) {
                add_err(c, "execve: argument %ld missing", next);
                next = a;
            }
            if (strcmp(rest, "_len") == 0) {
                open_arg = true;
                continue;
            }
            v = auparse_interpret_field(c->au);
            if (v == NULL) {
                v = "";
            }
            if (buf_append(&c->arg, v, strlen(v)) < 0) {
                add_err(c, "execve: argument %ld too long", a);
                c->arg.len = 0;
            }
            if (*rest == '\0') {
                next++;
                if (!put_arg(c)) {
                    break;
                }
            }
        } while (auparse_next_field(c->au) > 0);
    }
    if (open_arg && !c->full) {
        next++;
        put_arg(c);
    }
    c->arg.len = 0;
    if (argc >= 0 && next != argc && !c->full) {
        add_err(c, "execve: argc is %ld but %ld arguments arrived",
                argc, next);
    }
    return jsonfmt_close(&c->j);
}

/* Record numbers of the current event with data key key, in order */
static size_t
collect(struct conv *c, const char *key, unsigned nrec, char (*keys)[64])
{
    size_t n = 0;
    unsigned r;

    for (r = 0; r < nrec && n < REC_MAX; r++) {
        if (strcmp(keys[r], key) == 0) {
            c->recs[n++] = r;
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
write_what_ran(struct conv *c, unsigned nrec)
{
    size_t keep = c->limit;
    size_t n;
    unsigned r;
    int rc = 0;

    for (r = 0; r < nrec; r++) {
        auparse_goto_record_num(c->au, r);
        if (auparse_get_type(c->au) == AUDIT_SYSCALL) {
            rc = write_record(c, c->keys[r], c->keys[r], -1, false);
            break;
        }
    }
    n = collect(c, "execve", nrec, c->keys);
    if (rc == 0 && n > 0 && c->ev.len < c->limit) {
        c->limit = c->ev.len + (c->limit - c->ev.len) / 2;
        rc = write_execve(c, c->recs, n);
        c->limit = keep;
        c->full = false;
    }
    return rc;
}

/* Write "data": one key per record type */
static int
write_data(struct conv *c)
{
    unsigned nrec = auparse_get_num_records(c->au);
    char (*keys)[64] = c->keys;
    struct mark m;
    unsigned r;
    size_t n;
    int rc;

    if (nrec > REC_MAX) {
        add_err(c, "%u records in one event, first %d kept", nrec, REC_MAX);
        nrec = REC_MAX;
    }
    for (r = 0; r < nrec; r++) {
        auparse_goto_record_num(c->au, r);
        keys[r][0] = '\0';
        if (auparse_get_type(c->au) == AUDIT_EOE) {
            continue;
        }
        type_key(c->au, keys[r], sizeof(keys[r]));
        if (auparse_get_type_name(c->au) == NULL) {
            add_err(c, "record type \"%s\" is unknown", keys[r]);
        }
    }
    rc = jsonfmt_key(&c->j, "data");
    if (rc == 0) {
        rc = jsonfmt_open(&c->j, '{');
    }
    if (rc == 0 && c->trimming) {
        rc = write_what_ran(c, nrec);
    }
    /* Small records first, execve last: it is the one that grows */
    for (r = 0; rc == 0 && r < nrec && !c->full; r++) {
        int type;
        unsigned k;

        if (keys[r][0] == '\0') {
            continue;
        }
        auparse_goto_record_num(c->au, r);
        type = auparse_get_type(c->au);
        if (type == AUDIT_EXECVE || (type == AUDIT_SYSCALL && c->trimming)) {
            continue;
        }
        /* Only the first record of a key writes it */
        for (k = 0; k < r && strcmp(keys[k], keys[r]) != 0; k++) {
        }
        if (k < r) {
            if (!repeated_type(type)) {
                add_err(c, "record %s repeated, only the first in data",
                        keys[r]);
            }
            continue;
        }
        if (type == AUDIT_PATH) {
            n = collect(c, keys[r], nrec, keys);
            rc = write_paths(c, c->recs, n);
            continue;
        }
        if (repeated_type(type)) {
            size_t i;

            n = collect(c, keys[r], nrec, keys);
            mark_set(c, &m);
            rc = jsonfmt_key(&c->j, keys[r]);
            if (rc == 0) {
                rc = jsonfmt_open(&c->j, '[');
            }
            if (!fits(c, &m, rc, "data", NULL, -1)) {
                break;
            }
            for (i = 0; rc == 0 && i < n && !c->full; i++) {
                auparse_goto_record_num(c->au, c->recs[i]);
                rc = write_record(c, NULL, keys[r], (long)i, false);
            }
            if (i < n) {
                add_trim(c, "data", keys[r], -1);
            }
            if (rc == 0) {
                rc = jsonfmt_close(&c->j);
            }
        } else {
            rc = write_record(c, keys[r], keys[r], -1, false);
        }
    }
    n = rc == 0 && !c->full && !c->trimming ?
        collect(c, "execve", nrec, keys) : 0;
    if (n > 0) {
        rc = write_execve(c, c->recs, n);
    }
    if (c->full) {
        add_trim(c, "data", NULL, -1);
    }
    if (rc == 0) {
        rc = jsonfmt_close(&c->j);
    }
    return rc;
}

/* Write "text": the event's lines as they came */
static int
write_text(struct conv *c, const struct assembler_event *ev,
           const char *line, size_t len)
{
    struct mark m;
    const uint8_t *p;
    const uint8_t *end;
    int rc;

    rc = jsonfmt_key(&c->j, "text");
    if (rc == 0) {
        rc = jsonfmt_open(&c->j, '[');
    }
    if (rc < 0) {
        return rc;
    }
    p = ev != NULL ? ev->text.data : (const uint8_t *)line;
    end = p + (ev != NULL ? ev->text.len : len);
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p);

        mark_set(c, &m);
        rc = jsonfmt_str(&c->j, p, n);
        if (!fits(c, &m, rc, "text", NULL, -1)) {
            break;
        }
        p += n + 1;
    }
    return jsonfmt_close(&c->j);
}

/*
 * Start an event: reset per-event state and write the header.  trim is
 * 0, or the room to keep free under --max-event-size for what follows
 * "data".
 */
static int
begin(struct conv *c, uint64_t serial, int64_t sec, unsigned ms,
      const char *node, size_t trim)
{
    char ts[64];
    int rc;

    c->ev.len = 0;
    c->err.len = 0;
    c->full = false;
    while (c->ntrim > 0) {
        free(c->trim[--c->ntrim]);
    }
    c->trimming = trim > 0;
    c->limit = trim > 0 ? c->o.max_event - trim : SIZE_MAX;
    jsonfmt_init(&c->j, &c->ev, c->o.base, c->o.fold, c->o.indent);
    format_time(c, sec, ms, ts, sizeof(ts));
    rc = jsonfmt_open(&c->j, '{');
    if (rc == 0) {
        rc = jsonfmt_key(&c->j, "serial");
    }
    if (rc == 0) {
        rc = jsonfmt_u64(&c->j, serial);
    }
    if (rc == 0) {
        rc = jsonfmt_key(&c->j, "time");
    }
    if (rc == 0) {
        rc = jsonfmt_cstr(&c->j, ts);
    }
    if (rc == 0 && node != NULL && node[0] != '\0') {
        rc = jsonfmt_key(&c->j, "node");
        if (rc == 0) {
            rc = jsonfmt_cstr(&c->j, node);
        }
    }
    return rc;
}

/* Finish an event: error, text, dropped, trimmed */
static int
finish(struct conv *c, const struct assembler_event *ev, const char *line,
       size_t len)
{
    int rc = 0;
    size_t i;

    if (c->err.len > 0 || c->o.with_text) {
        if (c->err.len > 0) {
            /* Under a size limit the error is kept short too */
            size_t n = c->trimming && c->err.len > ERR_TRIMMED ?
                       ERR_TRIMMED : c->err.len;

            rc = jsonfmt_key(&c->j, "error");
            if (rc == 0) {
                rc = jsonfmt_str(&c->j, c->err.data, n);
            }
        }
        if (rc == 0 && (ev != NULL || line != NULL)) {
            rc = write_text(c, ev, line, len);
        }
    }
    if (rc == 0 && c->dropped_since > 0) {
        rc = jsonfmt_key(&c->j, "dropped");
        if (rc == 0) {
            rc = jsonfmt_u64(&c->j, c->dropped_since);
        }
    }
    if (rc == 0 && c->ntrim > 0) {
        rc = jsonfmt_key(&c->j, "trimmed");
        if (rc == 0) {
            rc = jsonfmt_open(&c->j, '[');
        }
        for (i = 0; rc == 0 && i < c->ntrim; i++) {
            rc = jsonfmt_cstr(&c->j, c->trim[i]);
        }
        if (rc == 0) {
            rc = jsonfmt_close(&c->j);
        }
    }
    if (rc == 0) {
        rc = jsonfmt_close(&c->j);
    }
    return rc;
}

/* Hand the finished event out */
static int
emit(struct conv *c)
{
    int rc = c->out(c->data, c->ev.data, c->ev.len);

    if (rc == -ENOBUFS) {
        c->dropped++;
        c->dropped_since++;
        return 0;
    }
    if (rc == 0) {
        c->dropped_since = 0;
    }
    return rc;
}

/* Format the event libauparse holds; trim as begin() */
static int
render(struct conv *c, const au_event_t *e, const struct assembler_event *ev,
       size_t trim)
{
    int rc;

    c->ctx = e->host != NULL ? fieldcache_mix(0, e->host) : 0;
    rc = begin(c, e->serial, e->sec, e->milli, e->host, trim);
    if (rc == 0 && ev != NULL && ev->lost > 0) {
        add_err(c, "event too large: %zu records past %u bytes lost",
                ev->lost, ASSEMBLER_EVENT_MAX);
    }
    if (rc == 0 && ev != NULL && ev->damage[0] != '\0') {
        /* Damage libauparse would pass over silently */
        add_err(c, "%s", ev->damage);
    }
    if (rc == 0) {
        rc = write_data(c);
    }
    if (rc == 0) {
        rc = finish(c, ev, NULL, 0);
    }
    return rc;
}

/* The event's header alone, for when nothing else fits the limit */
static int
render_bare(struct conv *c, const au_event_t *e)
{
    int rc = begin(c, e->serial, e->sec, e->milli, e->host,
                   c->o.max_event);

    if (rc == 0) {
        add_err(c, "event over --max-event-size even with its data cut");
        add_trim(c, "", NULL, -1);
        rc = finish(c, NULL, NULL, 0);
    }
    return rc;
}

/* libauparse has a whole event */
static void
au_event(auparse_state_t *au, auparse_cb_event_t type, void *data)
{
    struct conv *c = data;
    const au_event_t *e;
    const struct assembler_event *ev = c->cur;
    unsigned nrec;
    size_t room;
    int rc;

    if (type != AUPARSE_CB_EVENT_READY || c->rc < 0) {
        return;
    }
    e = auparse_get_timestamp(au);
    nrec = auparse_get_num_records(au);
    if (e == NULL || nrec == 0) {
        return;
    }
    /* An event holding only an end-of-event record says nothing */
    auparse_first_record(au);
    if (nrec == 1 && auparse_get_type(au) == AUDIT_EOE) {
        return;
    }
    if (ev != NULL && ev->serial != e->serial) {
        ev = NULL;
    }
    if (c->full_fn != NULL && c->full_fn(c->data)) {
        /* It would be refused: do not spend time formatting it */
        c->dropped++;
        c->dropped_since++;
        return;
    }
    /* Whole first; an event over the limit is made again, trimmed,
     * keeping more room for the notes at its end each time */
    rc = render(c, e, ev, 0);
    room = TAIL_ROOM;
    while (rc == 0 && c->ev.len > c->o.max_event) {
        if (room + 128 > c->o.max_event) {
            rc = render_bare(c, e);
            break;
        }
        rc = render(c, e, ev, room);
        room += c->ev.len > c->o.max_event ?
                c->ev.len - c->o.max_event + 64 : 0;
    }
    if (rc == 0) {
        rc = emit(c);
    }
    if (rc < 0) {
        c->rc = rc;
    }
}

/*
 * The assembler has a whole event: let libauparse parse it.  The flush
 * makes libauparse hand the event over now, while it is the current
 * one (by itself it waits for the next record to arrive).
 */
static void
asm_event(void *data, const struct assembler_event *ev)
{
    struct conv *c = data;

    if (c->rc < 0) {
        return;
    }
    if (c->full_fn != NULL && c->full_fn(c->data)) {
        /* It would be refused: do not even parse it */
        c->dropped++;
        c->dropped_since++;
        return;
    }
    c->cur = ev;
    auparse_feed(c->au, (const char *)ev->text.data, ev->text.len);
    auparse_flush_feed(c->au);
    c->cur = NULL;
}

/* A line that is not an audit record becomes an event of its own */
static void
bad_line(struct conv *c, const char *line, size_t n, const char *why)
{
    struct timespec now;
    int rc;

    clock_gettime(CLOCK_REALTIME, &now);
    rc = begin(c, 0, now.tv_sec, (unsigned)(now.tv_nsec / 1000000), NULL,
               c->o.max_event != SIZE_MAX ? TAIL_ROOM : 0);
    if (rc == 0) {
        add_err(c, "not an audit record: %s", why);
        rc = finish(c, NULL, line, n);
    }
    if (rc == 0) {
        rc = emit(c);
    }
    if (rc < 0) {
        c->rc = rc;
    }
}

/* One whole input line, no newline */
static void
conv_line(struct conv *c, const char *line, size_t n, bool cut)
{
    struct record r;
    char why[160];

    const char *nul;

    if (n == 0) {
        return;
    }
    if (cut) {
        bad_line(c, line, n, "line longer than 64 KiB, cut");
        return;
    }
    nul = memchr(line, '\0', n);
    if (nul != NULL) {
        snprintf(why, sizeof(why), "a NUL byte at offset %zu",
                 (size_t)(nul - line));
        bad_line(c, line, n, why);
        return;
    }
    if (record_parse(line, n, &r, why, sizeof(why)) < 0) {
        bad_line(c, line, n, why);
        return;
    }
    if (assembler_add(&c->asmb, &r, line, n,
                  record_check_body(&r, why, sizeof(why)) < 0 ? why : NULL)
        < 0) {
        bad_line(c, line, n, "out of memory");
    }
}

int
conv_new(struct conv **pc, const struct conv_opts *o, conv_out_fn out,
         void *data)
{
    struct conv *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return -ENOMEM;
    }
    c->au = auparse_init(AUSOURCE_FEED, NULL);
    if (c->au == NULL) {
        free(c);
        return -EIO;
    }
    auparse_set_escape_mode(c->au, AUPARSE_ESC_RAW);
    auparse_add_callback(c->au, au_event, c, NULL);
    c->o = *o;
    if (c->o.max_event != SIZE_MAX && c->o.max_event < CONV_EVENT_MIN) {
        c->o.max_event = CONV_EVENT_MIN;
    }
    c->out = out;
    c->data = data;
    c->cache = o->no_cache ? NULL : malloc(sizeof(*c->cache));
    if (c->cache != NULL) {
        fieldcache_init(c->cache);
    }
    assembler_init(&c->asmb, asm_event, c);
    buf_init(&c->line, CONV_LINE_MAX);
    buf_init(&c->ev, SIZE_MAX);
    buf_init(&c->err, ERR_MAX + 512);
    buf_init(&c->arg, 4u << 20);
    *pc = c;
    return 0;
}

void
conv_set_full(struct conv *c, bool (*full)(void *data))
{
    c->full_fn = full;
}

void
conv_free(struct conv *c)
{
    if (c == NULL) {
        return;
    }
    auparse_destroy(c->au);
    assembler_fini(&c->asmb);
    buf_fini(&c->line);
    buf_fini(&c->ev);
    buf_fini(&c->err);
    buf_fini(&c->arg);
    free(c->cache);
    while (c->ntrim > 0) {
        free(c->trim[--c->ntrim]);
    }
    free(c);
}

int
conv_feed(struct conv *c, const void *buf, size_t n)
{
    const char *p = buf;
    const char *end = p + n;

    while (p < end && c->rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p);

        if (c->line.len == 0 && nl != NULL) {
            /* The common case: a whole line in the input buffer */
            conv_line(c, p, len, false);
        } else {
            size_t room = CONV_LINE_MAX - c->line.len;

            if (len > room) {
                c->line_cut = true;
            }
            buf_append(&c->line, p, len > room ? room : len);
            if (nl != NULL) {
                conv_line(c, (const char *)c->line.data, c->line.len,
                          c->line_cut);
                c->line.len = 0;
                c->line_cut = false;
            }
        }
        p += len + (nl != NULL);
    }
    return c->rc;
}

int
conv_flush(struct conv *c)
{
    if (c->line.len > 0 && c->rc == 0) {
        conv_line(c, (const char *)c->line.data, c->line.len, c->line_cut);
        c->line.len = 0;
        c->line_cut = false;
    }
    if (c->rc == 0) {
        assembler_flush(&c->asmb);
    }
    if (c->rc == 0) {
        auparse_flush_feed(c->au);
    }
    return c->rc;
}

bool
conv_pending(const struct conv *c)
{
    return c->line.len > 0 || assembler_open(&c->asmb) > 0;
}

uint64_t
conv_dropped(const struct conv *c)
{
    return c->dropped;
}
