/*
 * The recording decoder.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"
#include "timing.h"
#include "utf8.h"

#define WHERE_MAX 256

/* Where the decoder stands in one direction's text and bytes */
struct cursor {
    const struct buf *txt;
    const struct buf *bin;
    size_t txt_off;
    size_t bin_off;
};

struct dec {
    bool lax;
    struct msg msg;
    char where[WHERE_MAX];
    bool started;           /* a message was taken */
    uint64_t last_id;
    uint64_t last_pos;      /* position of the last event */
    struct buf first_rec;   /* rec and host of the first message */
    struct buf first_host;
    char *match;            /* the recording to decode, or NULL */

    /* Reading the current message */
    bool active;
    const char *tp;         /* timing cursor */
    const char *tend;
    size_t event_no;        /* for errors: events read so far */
    uint64_t pos;
    struct cursor in;
    struct cursor out;
    struct buf io;          /* packet data gathered from several pieces */
};

int
dec_new(bool lax, struct dec **pd)
{
    struct dec *d = calloc(1, sizeof(*d));

    if (d == NULL) {
        return -ENOMEM;
    }
    d->lax = lax;
    msg_init(&d->msg);
    buf_init(&d->first_rec, MSG_FIELD_MAX + 1);
    buf_init(&d->first_host, MSG_FIELD_MAX + 1);
    buf_init(&d->io, MSG_LEN_MAX);
    d->in.txt = &d->msg.in_txt;
    d->in.bin = &d->msg.in_bin;
    d->out.txt = &d->msg.out_txt;
    d->out.bin = &d->msg.out_bin;
    *pd = d;
    return 0;
}

int
dec_set_match(struct dec *d, const char *rec)
{
    char *copy = NULL;

    if (rec != NULL && *rec) {
        copy = strdup(rec);
        if (copy == NULL) {
            return -ENOMEM;
        }
    }
    free(d->match);
    d->match = copy;
    return 0;
}

void
dec_reset(struct dec *d)
{
    d->started = false;
    d->active = false;
    d->last_id = 0;
    d->last_pos = 0;
}

void
dec_free(struct dec *d)
{
    if (d == NULL) {
        return;
    }
    free(d->match);
    msg_fini(&d->msg);
    buf_fini(&d->first_rec);
    buf_fini(&d->first_host);
    buf_fini(&d->io);
    free(d);
}

const struct msg *
dec_msg(const struct dec *d)
{
    return &d->msg;
}

static int
check_order(struct dec *d, char *err, size_t errsz)
{
    const struct msg *m = &d->msg;

    if (!d->started) {
        if (m->id != 1 && !d->lax) {
            snprintf(err, errsz, "%s: the first message has id %" PRIu64
                     ", not 1 (%" PRIu64 " messages missing at the start;"
                     " --lax plays on)", d->where, m->id, m->id - 1);
            return -EINVAL;
        }
        return 0;
    }
    if (strcmp((const char *)m->rec.data, (const char *)d->first_rec.data) ||
        strcmp((const char *)m->host.data, (const char *)d->first_host.data)) {
        snprintf(err, errsz, "%s: message of recording \"%s\" on host \"%s\""
                 " in recording \"%s\" on host \"%s\" (choose one recording:"
                 " --file-match=REC)",
                 d->where, m->rec.data, m->host.data, d->first_rec.data,
                 d->first_host.data);
        return -EINVAL;
    }
    if (m->id <= d->last_id) {
        snprintf(err, errsz, "%s: message id %" PRIu64 " follows id %" PRIu64
                 " (ids must increase: a message repeated, or two copies"
                 " joined?)", d->where, m->id, d->last_id);
        return -EINVAL;
    }
    if (m->id != d->last_id + 1 && !d->lax) {
        snprintf(err, errsz, "%s: message id %" PRIu64 " follows id %" PRIu64
                 " (%" PRIu64 " messages missing; --lax plays on)", d->where,
                 m->id, d->last_id, m->id - d->last_id - 1);
        return -EINVAL;
    }
    if (m->pos < d->last_pos) {
        snprintf(err, errsz, "%s: message position %" PRIu64 " ms is before"
                 " the previous event at %" PRIu64 " ms (time goes back)",
                 d->where, m->pos, d->last_pos);
        return -EINVAL;
    }
    return 0;
}

int
dec_feed(struct dec *d, const char *json, size_t len, const char *where,
         char *err, size_t errsz)
{
    char why[512];
    size_t n;
    int rc;

    /* (by hand: once per message, and printf is slow) */
    if (where == NULL) {
        where = "message";
    }
    n = strnlen(where, sizeof(d->where) - 1);
    memcpy(d->where, where, n);
    d->where[n] = '\0';
    d->active = false;
    rc = msg_parse(&d->msg, json, len, why, sizeof(why));
    if (rc < 0) {
        snprintf(err, errsz, "%s: %s", d->where, why);
        return rc;
    }
    if (d->match != NULL && strcmp((const char *)d->msg.rec.data, d->match)) {
        return 1;
    }
    rc = check_order(d, err, errsz);
    if (rc < 0) {
        return rc;
    }
    if (!d->started) {
        d->first_rec.len = 0;
        d->first_host.len = 0;
        rc = buf_append(&d->first_rec, d->msg.rec.data, d->msg.rec.len);
        if (rc == 0) {
            rc = buf_append(&d->first_host, d->msg.host.data, d->msg.host.len);
        }
        if (rc < 0) {
            snprintf(err, errsz, "%s: cannot keep the recording's id and"
                     " host: %s", d->where, strerror(-rc));
            return rc;
        }
        d->started = true;
    }
    d->last_id = d->msg.id;
    d->active = true;
    d->tp = (const char *)d->msg.timing.data;
    d->tend = d->tp + d->msg.timing.len;
    d->event_no = 0;
    d->pos = d->msg.pos;
    d->last_pos = d->pos;
    d->in.txt_off = d->in.bin_off = 0;
    d->out.txt_off = d->out.bin_off = 0;
    return 0;
}

static int
bad_event(struct dec *d, const char *what, char *err, size_t errsz)
{
    size_t off = (size_t)(d->tp - (const char *)d->msg.timing.data);

    snprintf(err, errsz, "%s: field \"timing\" event %zu (character %zu): %s",
             d->where, d->event_no + 1, off + 1, what);
    d->active = false;
    return -EINVAL;
}

/* Check that the message used all its text and bytes */
static int
check_rest(struct dec *d, char *err, size_t errsz)
{
    static const char *const names[] = { "in_txt", "in_bin",
                                         "out_txt", "out_bin" };
    size_t left[4];
    int i;

    left[0] = d->in.txt->len - d->in.txt_off;
    left[1] = d->in.bin->len - d->in.bin_off;
    left[2] = d->out.txt->len - d->out.txt_off;
    left[3] = d->out.bin->len - d->out.bin_off;
    for (i = 0; i < 4; i++) {
        if (left[i] > 0) {
            snprintf(err, errsz, "%s: field \"%s\" has %zu bytes the timing"
                     " does not account for", d->where, names[i], left[i]);
            d->active = false;
            return -EINVAL;
        }
    }
    return 0;
}

int
dec_next(struct dec *d, struct pkt *p, char *err, size_t errsz)
{
    const uint8_t *first = NULL;    /* data of a packet of one piece */
    size_t first_len = 0;
    size_t pieces = 0;
    bool output = false;
    struct timing_ev ev;
    const char *why = "";
    int rc;

    if (!d->active) {
        return 0;
    }
    d->io.len = 0;
    for (;;) {
        const char *save = d->tp;
        struct cursor *c;
        const uint8_t *piece;
        size_t n, skip;

        rc = timing_next(&d->tp, d->tend, &ev, &why);
        if (rc < 0) {
            return bad_event(d, why, err, errsz);
        }
        if (rc == 0) {
            break;
        }
        if (ev.type == '+') {
            if (ev.a == 0) {
                d->event_no++;
                continue;
            }
            if (pieces > 0) {
                d->tp = save;   /* the delay starts the next packet */
                break;
            }
            d->pos += ev.a;
            d->last_pos = d->pos;
            d->event_no++;
            continue;
        }
        if (ev.type == '=') {
            if (pieces > 0) {
                d->tp = save;
                break;
            }
            d->event_no++;
            memset(p, 0, sizeof(*p));
            p->type = PKT_WINDOW;
            p->ts.tv_sec = (time_t)(d->pos / 1000);
            p->ts.tv_nsec = (long)(d->pos % 1000 * 1000000);
            p->width = (unsigned short)ev.a;
            p->height = (unsigned short)ev.b;
            return 1;
        }
        /* I/O: text, or replacement characters standing for bytes */
        if (pieces > 0 && output != (ev.type == '>' || ev.type == ']')) {
            d->tp = save;
            break;
        }
        output = ev.type == '>' || ev.type == ']';
        c = output ? &d->out : &d->in;
        skip = utf8_skip(c->txt->data + c->txt_off,
                         c->txt->len - c->txt_off, (size_t)ev.a);
        if (skip == (size_t)-1) {
            d->tp = save;
            return bad_event(d, output ? "more characters than out_txt holds" :
                             "more characters than in_txt holds", err, errsz);
        }
        if (ev.type == '<' || ev.type == '>') {
            piece = c->txt->data + c->txt_off;
            n = skip;
        } else {
            if (ev.b > c->bin->len - c->bin_off) {
                d->tp = save;
                return bad_event(d, output ?
                                 "more bytes than out_bin holds" :
                                 "more bytes than in_bin holds", err, errsz);
            }
            piece = c->bin->data + c->bin_off;
            n = (size_t)ev.b;
            c->bin_off += n;
        }
        c->txt_off += skip;
        d->event_no++;
        if (n == 0) {
            continue;
        }
        /* One piece is handed out in place; more are gathered */
        if (pieces == 0) {
            first = piece;
            first_len = n;
        } else {
            rc = pieces == 1 ? buf_append(&d->io, first, first_len) : 0;
            if (rc == 0) {
                rc = buf_append(&d->io, piece, n);
            }
            if (rc < 0) {
                snprintf(err, errsz, "%s: cannot gather the packet's"
                         " pieces: %s", d->where, strerror(-rc));
                return rc;
            }
        }
        pieces++;
    }
    if (pieces == 0) {
        d->active = false;
        return check_rest(d, err, errsz);
    }
    memset(p, 0, sizeof(*p));
    p->type = output ? PKT_OUTPUT : PKT_INPUT;
    p->ts.tv_sec = (time_t)(d->pos / 1000);
    p->ts.tv_nsec = (long)(d->pos % 1000 * 1000000);
    p->data = pieces == 1 ? first : d->io.data;
    p->len = pieces == 1 ? first_len : d->io.len;
    return 1;
}
