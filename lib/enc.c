/*
 * The message encoder.
 *
 * A message is built in five buffers (timing, in_txt, in_bin, out_txt,
 * out_bin) holding exactly the bytes that will be written, so the
 * payload size is the sum of their lengths plus the timing entry still
 * open.  That entry ("<N", ">N", "[R/B" or "]R/B") grows while events of
 * one kind follow each other with no delay, and is written out when the
 * kind changes, time passes, or the message ends.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "enc.h"
#include "jesc.h"
#include "utf8.h"

/* Room past the payload for the one unit an empty message always takes */
#define SLACK 64

/* U+FFFD REPLACEMENT CHARACTER stands for each invalid sequence */
static const char REPL[] = "\xEF\xBF\xBD";
#define REPL_LEN 3

struct stream {
    char txt_type;          /* '<' or '>' */
    char bin_type;          /* '[' or ']' */
    struct buf txt;         /* escaped text */
    struct buf bin;         /* "N," per byte */
    uint8_t pend[UTF8_MAX_LEN];
    size_t npend;           /* bytes of an incomplete character held */
};

struct enc {
    size_t payload;
    enc_emit_fn emit;
    void *emit_ctx;
    struct timespec start;
    uint64_t real_start_ms;
    char *head;             /* {"ver":...,"session":N,"id": */
    size_t head_len;

    uint64_t next_id;
    struct buf timing;      /* closed timing entries */
    char run_type;          /* open entry type, 0 if none */
    uint64_t run_chars;
    uint64_t run_bytes;
    struct stream in;
    struct stream out;

    bool msg_open;
    bool msg_io;            /* the message holds more than its window */
    uint64_t msg_pos;       /* ms */
    uint64_t last_ms;       /* time of the last event */
    struct timespec msg_since;

    bool have_window;
    unsigned short width;
    unsigned short height;

    const char *end;        /* the end message's x_tlog_end, while written */
    struct buf json;        /* the message being written out */
};

static size_t
digits(uint64_t v)
{
    size_t n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* Length of a timing entry of the given type and counts */
static size_t
entry_len(char type, uint64_t chars, uint64_t bytes)
{
    if (type == 0) {
        return 0;
    }
    if (type == '<' || type == '>') {
        return 1 + digits(chars);
    }
    return 2 + digits(chars) + digits(bytes);
}

static size_t
used(const struct enc *e)
{
    return e->timing.len + entry_len(e->run_type, e->run_chars, e->run_bytes) +
           e->in.txt.len + e->in.bin.len + e->out.txt.len + e->out.bin.len;
}

/* Append c and the decimal digits of v; the timing always has room */
static void
timing_put(struct enc *e, char c, uint64_t v)
{
    uint8_t *o = e->timing.data + e->timing.len;
    size_t n = digits(v);
    size_t i;

    o[0] = (uint8_t)c;
    for (i = n; i > 0; i--) {
        o[i] = (uint8_t)('0' + v % 10);
        v /= 10;
    }
    e->timing.len += n + 1;
}

static void
run_close(struct enc *e)
{
    if (e->run_type == 0) {
        return;
    }
    timing_put(e, e->run_type, e->run_chars);
    if (e->run_type == '[' || e->run_type == ']') {
        timing_put(e, '/', e->run_bytes);
    }
    e->run_type = 0;
    e->run_chars = 0;
    e->run_bytes = 0;
}

static uint64_t
ms_of(const struct enc *e, const struct timespec *ts)
{
    int64_t sec = (int64_t)ts->tv_sec - (int64_t)e->start.tv_sec;
    int64_t nsec = (int64_t)ts->tv_nsec - (int64_t)e->start.tv_nsec;
    int64_t ms = sec * 1000 + nsec / 1000000;

    if (nsec < 0 && nsec % 1000000 != 0) {
        ms--;       /* floor, not truncation toward zero */
    }
    return ms < 0 ? 0 : (uint64_t)ms;
}

static void
msg_open(struct enc *e, uint64_t ms, const struct timespec *ts,
         bool window_event)
{
    e->msg_open = true;
    e->msg_io = false;
    e->msg_pos = ms;
    e->last_ms = ms;
    e->msg_since = *ts;
    if (e->have_window && !window_event) {
        timing_put(e, '=', e->width);
        timing_put(e, 'x', e->height);
    }
}

static void
bin_trim(struct buf *b)
{
    /* Each byte is written "N,"; the array drops the last comma */
    if (b->len > 0) {
        b->len--;
    }
}

static int
msg_emit(struct enc *e)
{
    struct buf *j = &e->json;
    uint64_t t;
    char num[96];
    int n;
    int rc;

    if (!e->msg_open) {
        return 0;
    }
    run_close(e);
    bin_trim(&e->in.bin);
    bin_trim(&e->out.bin);

    t = e->real_start_ms + e->msg_pos;
    j->len = 0;
    n = snprintf(num, sizeof(num),
                 "%" PRIu64 ",\"pos\":%" PRIu64 ",\"time\":%" PRIu64 ".%03u,"
                 "\"timing\":\"", e->next_id, e->msg_pos,
                 t / 1000, (unsigned int)(t % 1000));
    rc = buf_reserve(j, e->head_len + (size_t)n + used(e) + 64 +
                     (e->end != NULL ? strlen(e->end) + 16 : 0));
    if (rc < 0) {
        return rc;
    }
#define PUT(p, l) (memcpy(j->data + j->len, (p), (l)), j->len += (l))
#define PUTS(s) PUT(s, sizeof(s) - 1)
    PUT(e->head, e->head_len);
    PUT(num, (size_t)n);
    PUT(e->timing.data, e->timing.len);
    PUTS("\",\"in_txt\":\"");
    PUT(e->in.txt.data, e->in.txt.len);
    PUTS("\",\"in_bin\":[");
    PUT(e->in.bin.data, e->in.bin.len);
    PUTS("],\"out_txt\":\"");
    PUT(e->out.txt.data, e->out.txt.len);
    PUTS("\",\"out_bin\":[");
    PUT(e->out.bin.data, e->out.bin.len);
    PUTS("]");
    if (e->end != NULL) {
        PUTS(",\"x_tlog_end\":");
        PUT(e->end, strlen(e->end));
    }
    PUTS("}");
#undef PUTS
#undef PUT

    e->timing.len = 0;
    e->in.txt.len = 0;
    e->in.bin.len = 0;
    e->out.txt.len = 0;
    e->out.bin.len = 0;
    e->msg_open = false;
    e->msg_io = false;
    return e->emit(e->emit_ctx, (const char *)j->data, j->len, e->next_id++);
}

/*
 * Bytes the timing needs before an event at ms of the given type: the
 * delay entry, and whether the open run can be extended.
 */
static size_t
delay_len(const struct enc *e, uint64_t ms)
{
    return ms > e->last_ms ? 1 + digits(ms - e->last_ms) : 0;
}

static void
event_commit(struct enc *e, uint64_t ms, char type)
{
    if (ms > e->last_ms) {
        run_close(e);
        timing_put(e, '+', ms - e->last_ms);
        e->last_ms = ms;
    }
    if (e->run_type != type) {
        run_close(e);
        e->run_type = type;
    }
    e->msg_io = true;
}

/*
 * Escape whole characters of valid text p[0..n) into t while the
 * escaped size stays within budget.  Returns the bytes consumed and adds
 * the characters to *chars.
 */
static size_t
text_put(struct buf *t, const uint8_t *p, size_t n, size_t budget,
         uint64_t *chars)
{
    uint8_t *out = t->data + t->len;
    size_t o = 0;
    size_t i = 0;
    size_t c = 0;

    while (i < n) {
        uint8_t b = p[i];
        size_t l = jesc_len[b];

        if (o + l > budget) {
            break;
        }
        if (l == 1) {
            out[o] = b;
        } else {
            jesc_put(out + o, b);
        }
        o += l;
        c += (b & 0xC0) != 0x80;
        i++;
    }
    /* Stopped inside a multi-byte character: give it back whole */
    if (i < n && (p[i] & 0xC0) == 0x80) {
        size_t lead = i;

        while ((p[lead] & 0xC0) == 0x80) {
            lead--;
        }
        o -= i - lead;
        i = lead;
        c--;
    }
    t->len += o;
    *chars += c;
    return i;
}

static int
put_text(struct enc *e, struct stream *s, uint64_t ms,
         const struct timespec *ts, const uint8_t *p, size_t n)
{
    int rc;

    while (n > 0) {
        size_t u, avail, reserve, budget, took;
        bool extend;
        uint64_t chars = 0;

        if (!e->msg_open) {
            msg_open(e, ms, ts, false);
        }
        u = used(e) + delay_len(e, ms);
        avail = u < e->payload ? e->payload - u : 0;
        extend = ms <= e->last_ms && e->run_type == s->txt_type;
        /* The entry's count can grow by at most one per byte of room */
        reserve = extend ?
                  entry_len(s->txt_type, e->run_chars + avail, 0) -
                  entry_len(s->txt_type, e->run_chars, 0) :
                  entry_len(s->txt_type, avail, 0);
        budget = avail > reserve ? avail - reserve : 0;
        if (!e->msg_io && budget < UTF8_MAX_LEN * 6) {
            budget = UTF8_MAX_LEN * 6;      /* an empty message takes one */
        }
        took = text_put(&s->txt, p, n, budget, &chars);
        if (took == 0) {
            rc = msg_emit(e);
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        /* text_put() wrote the text; now account for it in the timing */
        event_commit(e, ms, s->txt_type);
        e->run_chars += chars;
        p += took;
        n -= took;
        if (n > 0) {
            rc = msg_emit(e);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* Add one invalid sequence p[0..n) as one U+FFFD and its bytes */
static int
put_bin(struct enc *e, struct stream *s, uint64_t ms,
        const struct timespec *ts, const uint8_t *p, size_t n)
{
    size_t cost = REPL_LEN;
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        cost += jesc_byte_len[p[i]];
    }
    for (;;) {
        size_t u, entry;
        bool extend;

        if (!e->msg_open) {
            msg_open(e, ms, ts, false);
        }
        extend = ms <= e->last_ms && e->run_type == s->bin_type;
        u = used(e) + delay_len(e, ms) + cost;
        if (extend) {
            u -= entry_len(e->run_type, e->run_chars, e->run_bytes);
            entry = entry_len(s->bin_type, e->run_chars + 1, e->run_bytes + n);
        } else {
            entry = entry_len(s->bin_type, 1, n);
        }
        if (u + entry <= e->payload || !e->msg_io) {
            break;
        }
        rc = msg_emit(e);
        if (rc < 0) {
            return rc;
        }
    }
    memcpy(s->txt.data + s->txt.len, REPL, REPL_LEN);
    s->txt.len += REPL_LEN;
    for (i = 0; i < n; i++) {
        s->bin.len += jesc_byte_put(s->bin.data + s->bin.len, p[i]);
    }
    event_commit(e, ms, s->bin_type);
    e->run_chars += 1;
    e->run_bytes += n;
    return 0;
}

static int
put_unit(struct enc *e, struct stream *s, uint64_t ms,
         const struct timespec *ts, enum utf8_kind kind,
         const uint8_t *p, size_t n)
{
    return kind == UTF8_VALID ? put_text(e, s, ms, ts, p, n) :
                                put_bin(e, s, ms, ts, p, n);
}

static int
put_io(struct enc *e, struct stream *s, const struct timespec *ts,
       const uint8_t *p, size_t n)
{
    uint64_t ms = ms_of(e, ts);
    size_t v, ul;
    enum utf8_kind kind;
    int rc;

    if (ms < e->last_ms) {
        ms = e->last_ms;        /* time never goes back in a recording */
    }
    /* Complete a character held back from an earlier packet */
    if (s->npend > 0 && n > 0) {
        uint8_t tmp[UTF8_MAX_LEN * 2];
        size_t take = n < UTF8_MAX_LEN ? n : UTF8_MAX_LEN;

        memcpy(tmp, s->pend, s->npend);
        memcpy(tmp + s->npend, p, take);
        kind = utf8_unit(tmp, s->npend + take, &ul);
        if (kind == UTF8_SHORT) {
            memcpy(s->pend + s->npend, p, n);
            s->npend += n;
            return 0;
        }
        rc = put_unit(e, s, ms, ts, kind, tmp, ul);
        if (rc < 0) {
            return rc;
        }
        /* The held bytes are a valid prefix, so the unit covers them all */
        p += ul - s->npend;
        n -= ul - s->npend;
        s->npend = 0;
    }
    while (n > 0) {
        v = utf8_valid_prefix(p, n);
        if (v > 0) {
            rc = put_text(e, s, ms, ts, p, v);
            if (rc < 0) {
                return rc;
            }
            p += v;
            n -= v;
            if (n == 0) {
                break;
            }
        }
        kind = utf8_unit(p, n, &ul);
        if (kind == UTF8_SHORT) {
            memcpy(s->pend, p, n);
            s->npend = n;
            break;
        }
        rc = put_bin(e, s, ms, ts, p, ul);
        if (rc < 0) {
            return rc;
        }
        p += ul;
        n -= ul;
    }
    return 0;
}

static int
put_window(struct enc *e, const struct timespec *ts,
           unsigned short width, unsigned short height)
{
    uint64_t ms = ms_of(e, ts);
    size_t need;
    int rc;

    if (ms < e->last_ms) {
        ms = e->last_ms;
    }
    e->have_window = true;
    e->width = width;
    e->height = height;
    if (e->msg_open) {
        /* An open message holds at least one event, so it may go out */
        need = used(e) + delay_len(e, ms) + 2 + digits(width) + digits(height);
        if (need > e->payload) {
            rc = msg_emit(e);
            if (rc < 0) {
                return rc;
            }
        }
    }
    if (!e->msg_open) {
        msg_open(e, ms, ts, true);
    } else if (ms > e->last_ms) {
        run_close(e);
        timing_put(e, '+', ms - e->last_ms);
        e->last_ms = ms;
    }
    run_close(e);
    timing_put(e, '=', width);
    timing_put(e, 'x', height);
    return 0;
}

int
enc_write(struct enc *e, const struct pkt *p)
{
    switch (p->type) {
    case PKT_INPUT:
        return put_io(e, &e->in, &p->ts, p->data, p->len);
    case PKT_OUTPUT:
        return put_io(e, &e->out, &p->ts, p->data, p->len);
    case PKT_WINDOW:
        return put_window(e, &p->ts, p->width, p->height);
    }
    return -EINVAL;
}

int
enc_flush(struct enc *e)
{
    return msg_emit(e);
}

int
enc_finish(struct enc *e, const struct timespec *ts)
{
    uint64_t ms = ms_of(e, ts);
    struct stream *s[2] = { &e->in, &e->out };
    int i;
    int rc;

    if (ms < e->last_ms) {
        ms = e->last_ms;
    }
    for (i = 0; i < 2; i++) {
        if (s[i]->npend > 0) {
            rc = put_bin(e, s[i], ms, ts, s[i]->pend, s[i]->npend);
            if (rc < 0) {
                return rc;
            }
            s[i]->npend = 0;
        }
    }
    return msg_emit(e);
}

int
enc_end(struct enc *e, const struct timespec *ts, const char *how)
{
    uint64_t ms;
    int rc = enc_finish(e, ts);

    if (rc < 0) {
        return rc;
    }
    ms = ms_of(e, ts);
    /* the end message holds no event, not even the window */
    e->msg_open = true;
    e->msg_io = false;
    e->msg_pos = ms < e->last_ms ? e->last_ms : ms;
    e->end = how;
    rc = msg_emit(e);
    e->end = NULL;
    return rc;
}

bool
enc_pending(const struct enc *e, struct timespec *since)
{
    if (!e->msg_open) {
        return false;
    }
    *since = e->msg_since;
    return true;
}

const char *
enc_head(const struct enc *e, size_t *len)
{
    *len = e->head_len;
    return e->head;
}

uint64_t
enc_next_id(const struct enc *e)
{
    return e->next_id;
}

static int
stream_init(struct stream *s, char txt_type, char bin_type, size_t cap)
{
    int rc;

    s->txt_type = txt_type;
    s->bin_type = bin_type;
    s->npend = 0;
    buf_init(&s->txt, cap);
    buf_init(&s->bin, cap);
    rc = buf_reserve(&s->txt, cap);
    if (rc == 0) {
        rc = buf_reserve(&s->bin, cap);
    }
    return rc;
}

/* Append field "name":"value" with value escaped as JSON text */
static int
head_add(struct buf *h, const char *name, const char *value,
         char *err, size_t errsz)
{
    size_t n = value ? strlen(value) : 0;
    int rc;

    if (n > ENC_FIELD_MAX) {
        if (err != NULL) {
            snprintf(err, errsz, "%s is %zu bytes long, the most is %d",
                     name, n, ENC_FIELD_MAX);
        }
        return -EINVAL;
    }
    rc = buf_append(h, "\"", 1);
    if (rc == 0) {
        rc = buf_append(h, name, strlen(name));
    }
    if (rc == 0) {
        rc = buf_append(h, "\":\"", 3);
    }
    if (rc == 0) {
        rc = jesc_str(h, (const uint8_t *)(value ? value : ""), n);
    }
    if (rc == 0) {
        rc = buf_append(h, "\",", 2);
    }
    return rc;
}

int
enc_new(const struct enc_conf *conf, struct enc **pe, char *err, size_t errsz)
{
    struct enc *e = NULL;
    struct buf head;
    size_t payload = conf->payload ? conf->payload : ENC_PAYLOAD_DEFAULT;
    size_t cap;
    char num[64];
    int rc;

    buf_init(&head, ENC_FIELD_MAX * 8 + 256);
    if (payload < ENC_PAYLOAD_MIN || payload > ENC_PAYLOAD_MAX) {
        if (err != NULL) {
            snprintf(err, errsz, "payload %zu is out of range %d-%d bytes",
                     payload, ENC_PAYLOAD_MIN, ENC_PAYLOAD_MAX);
        }
        rc = -EINVAL;
        goto out;
    }
    if (conf->emit == NULL) {
        if (err != NULL) {
            snprintf(err, errsz, "no message writer given");
        }
        rc = -EINVAL;
        goto out;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    cap = payload + SLACK;
    buf_init(&e->timing, cap);
    buf_init(&e->json, cap * 2 + ENC_FIELD_MAX * 8 + 512);
    rc = buf_reserve(&e->timing, cap);
    if (rc == 0) {
        rc = stream_init(&e->in, '<', '[', cap);
    }
    if (rc == 0) {
        rc = stream_init(&e->out, '>', ']', cap);
    }
    if (rc < 0) {
        goto out;
    }

    rc = buf_append(&head, "{\"ver\":\"2.3\",", 13);
    if (rc == 0) {
        rc = head_add(&head, "host", conf->host, err, errsz);
    }
    if (rc == 0) {
        rc = head_add(&head, "rec", conf->rec, err, errsz);
    }
    if (rc == 0) {
        rc = head_add(&head, "user", conf->user, err, errsz);
    }
    if (rc == 0) {
        rc = head_add(&head, "term", conf->term, err, errsz);
    }
    if (rc == 0) {
        int n = snprintf(num, sizeof(num), "\"session\":%u,\"id\":",
                         conf->session);
        rc = buf_append(&head, num, (size_t)n);
    }
    if (rc < 0) {
        goto out;
    }
    e->head = (char *)head.data;
    e->head_len = head.len;
    head.data = NULL;

    e->payload = payload;
    e->emit = conf->emit;
    e->emit_ctx = conf->emit_ctx;
    e->start = conf->start;
    e->real_start_ms = (uint64_t)conf->real_start.tv_sec * 1000 +
                       (uint64_t)conf->real_start.tv_nsec / 1000000;
    e->next_id = 1;
    *pe = e;
    e = NULL;
    rc = 0;
out:
    /* The checks above say what they refused; the rest is memory */
    if (rc < 0 && rc != -EINVAL && err != NULL) {
        snprintf(err, errsz, "cannot set up the encoder: %s",
                 strerror(-rc));
    }
    buf_fini(&head);
    enc_free(e);
    return rc;
}

void
enc_free(struct enc *e)
{
    if (e == NULL) {
        return;
    }
    free(e->head);
    buf_fini(&e->timing);
    buf_fini(&e->in.txt);
    buf_fini(&e->in.bin);
    buf_fini(&e->out.txt);
    buf_fini(&e->out.bin);
    buf_fini(&e->json);
    free(e);
}
