/*
 * The converter: from input bytes to lines, records and whole events,
 * through libauparse to the renderer and out.
 */
#include "config.h"

#include <auparse.h>
#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assembler.h"
#include "buf.h"
#include "convert.h"
#include "record.h"
#include "render.h"

struct convert {
    auparse_state_t *au;
    struct assembler *asmb;
    struct render *render;
    convert_out_fn out;
    bool (*full_fn)(void *data);
    void *data;
    int rc;                         /* the error that stopped conversion */
    char errmsg[512];               /* and what it was */
    struct buf line;                /* partial input line */
    bool line_cut;                  /* the line in progress passed max */
    const struct assembler_event *cur;  /* event being fed to auparse */
    uint64_t dropped;
    uint64_t dropped_since;         /* dropped since the last one out */
};

/* Hand an event out; an error stops the conversion */
static void
emit(struct convert *c, int rc, const uint8_t *json, size_t len)
{
    if (rc == 0) {
        c->errmsg[0] = '\0';
        rc = c->out(c->data, json, len, c->errmsg, sizeof(c->errmsg));
        if (rc < 0 && rc != -ENOBUFS && c->errmsg[0] == '\0') {
            snprintf(c->errmsg, sizeof(c->errmsg), "cannot hand an event "
                     "out: %s", strerror(-rc));
        }
        if (rc == -ENOBUFS) {
            c->dropped++;
            c->dropped_since++;
            return;
        }
    }
    if (rc == 0) {
        c->dropped_since = 0;
    } else if (rc < 0) {
        c->rc = rc;
    }
}

/* Count an event dropped unseen because the output is full */
static bool
drop_if_full(struct convert *c)
{
    if (c->full_fn == NULL || !c->full_fn(c->data)) {
        return false;
    }
    c->dropped++;
    c->dropped_since++;
    return true;
}

/* libauparse has a whole event */
static void
au_event(auparse_state_t *au, auparse_cb_event_t type, void *data)
{
    struct convert *c = data;
    const au_event_t *e;
    const struct assembler_event *ev = c->cur;
    const uint8_t *json = NULL;
    size_t len = 0;
    unsigned nrec;
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
    /* It would be refused: do not spend time laying it out */
    if (drop_if_full(c)) {
        return;
    }
    rc = render_event(c->render, au, e, ev, c->dropped_since, &json, &len,
                      c->errmsg, sizeof(c->errmsg));
    emit(c, rc, json, len);
}

/*
 * The assembler has a whole event: let libauparse parse it.  The flush
 * makes libauparse hand the event over now, while it is the current
 * one (by itself it waits for the next record to arrive).
 */
static void
asm_event(void *data, const struct assembler_event *ev)
{
    struct convert *c = data;

    /* It would be refused: do not even parse it */
    if (c->rc < 0 || drop_if_full(c)) {
        return;
    }
    c->cur = ev;
    auparse_feed(c->au, (const char *)ev->text.data, ev->text.len);
    auparse_flush_feed(c->au);
    c->cur = NULL;
}

/* A line that is not an audit record becomes an event of its own */
static void
bad_line(struct convert *c, const char *line, size_t n, const char *why)
{
    const uint8_t *json = NULL;
    size_t len = 0;
    int rc;

    rc = render_bad_line(c->render, line, n, why, c->dropped_since, &json,
                         &len, c->errmsg, sizeof(c->errmsg));
    emit(c, rc, json, len);
}

/* One whole input line, no newline */
static void
one_line(struct convert *c, const char *line, size_t n, bool cut)
{
    struct record r;
    char why[160];
    char why_add[160];
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
    if (assembler_add(c->asmb, &r, line, n,
                      record_check_body(&r, why, sizeof(why)) < 0 ?
                      why : NULL, why_add, sizeof(why_add)) < 0) {
        /* A record that cannot be kept is reported, not fatal */
        bad_line(c, line, n, why_add);
    }
}

int
convert_new(const struct render_conf *conf, convert_out_fn out, void *data,
            struct convert **pc, char *err, size_t errsz)
{
    struct convert *c = calloc(1, sizeof(*c));
    int rc;

    if (c == NULL) {
        snprintf(err, errsz, "out of memory for the converter");
        return -ENOMEM;
    }
    c->out = out;
    c->data = data;
    buf_init(&c->line, CONVERT_LINE_MAX);
    rc = render_new(conf, &c->render, err, errsz);
    if (rc == 0) {
        rc = assembler_new(asm_event, c, &c->asmb, err, errsz);
    }
    if (rc == 0) {
        c->au = auparse_init(AUSOURCE_FEED, NULL);
        if (c->au == NULL) {
            rc = -EIO;
            snprintf(err, errsz, "cannot set up libauparse: %s",
                     strerror(EIO));
        }
    }
    if (rc < 0) {
        convert_free(c);
        return rc;
    }
    auparse_set_escape_mode(c->au, AUPARSE_ESC_RAW);
    auparse_add_callback(c->au, au_event, c, NULL);
    *pc = c;
    return 0;
}

void
convert_set_full(struct convert *c, bool (*full)(void *data))
{
    c->full_fn = full;
}

void
convert_free(struct convert *c)
{
    if (c == NULL) {
        return;
    }
    if (c->au != NULL) {
        auparse_destroy(c->au);
    }
    assembler_free(c->asmb);
    render_free(c->render);
    buf_fini(&c->line);
    free(c);
}

/* The conversion's state, as the public calls return it */
static int
result(const struct convert *c, char *err, size_t errsz)
{
    if (c->rc < 0) {
        snprintf(err, errsz, "%s", c->errmsg);
    }
    return c->rc;
}

int
convert_feed(struct convert *c, const void *buf, size_t n, char *err,
             size_t errsz)
{
    const char *p = buf;
    const char *end = p + n;

    while (p < end && c->rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p);

        if (c->line.len == 0 && nl != NULL) {
            /* The common case: a whole line in the input buffer */
            one_line(c, p, len, false);
        } else {
            size_t room = CONVERT_LINE_MAX - c->line.len;
            int rc;

            if (len > room) {
                c->line_cut = true;
            }
            rc = buf_append(&c->line, p, len > room ? room : len);
            if (rc < 0) {
                snprintf(c->errmsg, sizeof(c->errmsg), "cannot keep a"
                         " partial input line: %s", strerror(-rc));
                c->rc = rc;
                break;
            }
            if (nl != NULL) {
                one_line(c, (const char *)c->line.data, c->line.len,
                         c->line_cut);
                c->line.len = 0;
                c->line_cut = false;
            }
        }
        p += len + (nl != NULL);
    }
    return result(c, err, errsz);
}

int
convert_flush(struct convert *c, char *err, size_t errsz)
{
    if (c->line.len > 0 && c->rc == 0) {
        one_line(c, (const char *)c->line.data, c->line.len, c->line_cut);
        c->line.len = 0;
        c->line_cut = false;
    }
    if (c->rc == 0) {
        assembler_flush(c->asmb);
    }
    if (c->rc == 0) {
        auparse_flush_feed(c->au);
    }
    return result(c, err, errsz);
}

bool
convert_pending(const struct convert *c)
{
    return c->line.len > 0 || assembler_open(c->asmb) > 0;
}

uint64_t
convert_dropped(const struct convert *c)
{
    return c->dropped;
}
