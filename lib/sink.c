/*
 * The sink between the encoder and a writer.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sink.h"

#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 2000
/* Spooled messages delivered at most per poll */
#define UNSPOOL_BATCH 256

struct qmsg {
    struct qmsg *next;
    uint64_t id;
    size_t len;
    char json[];
};

struct sink {
    struct sink_conf conf;
    struct qmsg *head;
    struct qmsg *tail;
    size_t queued;              /* bytes */
    double tokens;
    uint64_t last_ms;           /* when tokens were last refilled */
    bool waiting_rate;          /* the head waits for tokens */
    uint64_t retry_at_ms;       /* the head waits for the writer */
    unsigned int retry_ms;
    uint64_t drop_msgs;         /* not yet reported in a message */
    uint64_t drop_bytes;
    struct qmsg *last_drop;     /* the latest dropped message */
    struct sink_stats stats;
    char last_error[512];
    struct buf note;            /* a message with the drop note added */
};

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
refill(struct sink *s, uint64_t now)
{
    if (now > s->last_ms) {
        s->tokens += (double)s->conf.rate * (double)(now - s->last_ms) / 1000.0;
        if (s->tokens > (double)s->conf.burst) {
            s->tokens = (double)s->conf.burst;
        }
        s->last_ms = now;
    }
}

/* Whether the bucket holds len bytes; a message larger than the burst
 * fits once the bucket is full */
static bool
rate_allows(const struct sink *s, size_t len)
{
    double need = (double)len < (double)s->conf.burst ?
                  (double)len : (double)s->conf.burst;

    return s->tokens >= need;
}

int
sink_new(const struct sink_conf *conf, struct sink **ps)
{
    struct sink *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        return -ENOMEM;
    }
    s->conf = *conf;
    if (s->conf.queue_max == 0) {
        s->conf.queue_max = SINK_QUEUE_MAX_DEFAULT;
    }
    s->tokens = (double)conf->burst;
    s->last_ms = now_ms();
    s->retry_ms = RETRY_MIN_MS;
    buf_init(&s->note, SIZE_MAX / 2);
    *ps = s;
    return 0;
}

void
sink_free(struct sink *s)
{
    struct qmsg *q, *next;

    if (s == NULL) {
        return;
    }
    for (q = s->head; q != NULL; q = next) {
        next = q->next;
        free(q);
    }
    free(s->last_drop);
    buf_fini(&s->note);
    free(s);
}

static struct qmsg *
qmsg_new(const char *json, size_t len, uint64_t id)
{
    struct qmsg *q = malloc(sizeof(*q) + len);

    if (q != NULL) {
        q->next = NULL;
        q->id = id;
        q->len = len;
        memcpy(q->json, json, len);
    }
    return q;
}

/*
 * Count a dropped message, and keep the latest: if nothing is written
 * after it, sink_drain() writes it at the end so the loss is still seen.
 */
static void
drop(struct sink *s, const char *json, size_t len, uint64_t id)
{
    struct qmsg *q = json ? qmsg_new(json, len, id) : NULL;

    s->drop_msgs++;
    s->drop_bytes += len;
    s->stats.dropped++;
    s->stats.dropped_bytes += len;
    if (q != NULL) {
        free(s->last_drop);
        s->last_drop = q;
    }
}

static void
pop(struct sink *s)
{
    struct qmsg *q = s->head;

    s->head = q->next;
    if (s->head == NULL) {
        s->tail = NULL;
    }
    s->queued -= q->len;
    free(q);
}

/*
 * Message q as it goes out: with the drop note if anything was dropped
 * since the last message that went out.  Returns 0 or -ENOMEM.
 */
static int
noted(struct sink *s, const struct qmsg *q, const char **json, size_t *len)
{
    char tail[128];
    int n, rc;

    *json = q->json;
    *len = q->len;
    if (s->drop_msgs > 0 && q->len > 0 && q->json[q->len - 1] == '}') {
        n = snprintf(tail, sizeof(tail),
                     ",\"x_tlog_drop\":{\"messages\":%" PRIu64 ",\"bytes\":%"
                     PRIu64 "}}", s->drop_msgs, s->drop_bytes);
        s->note.len = 0;
        rc = buf_append(&s->note, q->json, q->len - 1);
        if (rc == 0) {
            rc = buf_append(&s->note, tail, (size_t)n);
        }
        if (rc < 0) {
            return rc;
        }
        *json = (const char *)s->note.data;
        *len = s->note.len;
    }
    return 0;
}

/* The drop note went out */
static void
noted_out(struct sink *s)
{
    s->drop_msgs = 0;
    s->drop_bytes = 0;
    free(s->last_drop);
    s->last_drop = NULL;
}

/* Write message q, with the drop note if anything was dropped */
static int
write_msg(struct sink *s, const struct qmsg *q)
{
    const char *json;
    size_t len;
    int rc = noted(s, q, &json, &len);

    if (rc == 0) {
        rc = writer_write(s->conf.writer, json, len, q->id);
    }
    if (rc == 0) {
        noted_out(s);
        if (s->conf.spool != NULL) {
            spool_safe(s->conf.spool, q->id);
        }
    }
    return rc;
}

/* Put message q in the spool, with the drop note; or drop it */
static void
spool_msg(struct sink *s, const struct qmsg *q, bool last)
{
    const char *json;
    size_t len;

    if (noted(s, q, &json, &len) == 0 &&
        spool_push(s->conf.spool, json, len, q->id, last) == 0) {
        noted_out(s);
        s->stats.spooled++;
    } else {
        drop(s, q->json, q->len, q->id);
    }
}

/* The writer failed: what waits in memory goes to the spool, in order */
static void
spill(struct sink *s)
{
    while (s->head != NULL) {
        spool_msg(s, s->head, false);
        pop(s);
    }
}

/* The writer failed: try again later, a little later each time */
static void
retry_later(struct sink *s, uint64_t now)
{
    s->stats.retries++;
    snprintf(s->last_error, sizeof(s->last_error), "%s",
             writer_error(s->conf.writer));
    s->retry_at_ms = now + s->retry_ms;
    s->retry_ms = s->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
                                                   s->retry_ms * 2;
}

/* Deliver the spool, oldest first, a batch at a time (the recording
 * goes on meanwhile); false if the writer failed or the batch is done */
static bool
unspool(struct sink *s, uint64_t now)
{
    struct spool *sp = s->conf.spool;
    const char *json;
    size_t len;
    uint64_t id;
    int rc, batch = UNSPOOL_BATCH;

    while (sp != NULL && !spool_empty(sp)) {
        if (batch-- == 0) {
            s->retry_at_ms = now;       /* more at the next poll */
            return false;
        }
        rc = spool_peek(sp, &json, &len, &id);
        if (rc == -EIO) {
            spool_pop(sp);      /* damaged: the id gap shows it */
            continue;
        }
        if (rc == 0) {
            rc = writer_write(s->conf.writer, json, len, id);
        }
        if (rc < 0) {
            retry_later(s, now);
            return false;
        }
        spool_pop(sp);
        s->stats.written++;
        s->retry_at_ms = 0;
        s->retry_ms = RETRY_MIN_MS;
    }
    return true;
}

void
sink_poll(struct sink *s)
{
    uint64_t now = now_ms();
    int rc;

    s->waiting_rate = false;
    if (s->retry_at_ms > now) {
        return;
    }
    refill(s, now);
    if (!unspool(s, now)) {
        spill(s);       /* behind what waits on disk */
        return;
    }
    while (s->head != NULL) {
        /* "drop" charged the bucket when the message came */
        if (s->conf.action == SINK_DELAY && !rate_allows(s, s->head->len)) {
            s->waiting_rate = true;
            return;
        }
        rc = write_msg(s, s->head);
        if (rc < 0) {
            /* keep it, and try again later */
            retry_later(s, now);
            if (s->conf.spool != NULL) {
                spill(s);
            }
            return;
        }
        s->retry_at_ms = 0;
        s->retry_ms = RETRY_MIN_MS;
        if (s->conf.action == SINK_DELAY) {
            s->tokens -= (double)s->head->len;
        }
        s->stats.written++;
        pop(s);
    }
}

void
sink_set_spool(struct sink *s, struct spool *sp)
{
    s->conf.spool = sp;
}

int
sink_emit(void *ctx, const char *json, size_t len, uint64_t id)
{
    struct sink *s = ctx;
    struct qmsg *q;

    if (s->conf.spool != NULL) {
        spool_made(s->conf.spool, id);
    }
    if (s->conf.action == SINK_DROP) {
        refill(s, now_ms());
        if (!rate_allows(s, len)) {
            drop(s, json, len, id);
            return 0;
        }
        s->tokens -= (double)len;
    }
    q = qmsg_new(json, len, id);
    if (q == NULL) {
        drop(s, NULL, len, id);
        return -ENOMEM;
    }
    if (s->conf.spool != NULL && !spool_empty(s->conf.spool)) {
        /* behind what waits on disk */
        spool_msg(s, q, false);
        free(q);
        sink_poll(s);
        return 0;
    }
    if (s->tail != NULL) {
        s->tail->next = q;
    } else {
        s->head = q;
    }
    s->tail = q;
    s->queued += len;
    /* past the bound, the oldest go: the id gap and the note show it */
    while (s->queued > s->conf.queue_max && s->head != q) {
        drop(s, s->head->json, s->head->len, s->head->id);
        pop(s);
    }
    sink_poll(s);
    return 0;
}

bool
sink_deadline(const struct sink *s, struct timespec *when)
{
    uint64_t at;

    if (s->head == NULL &&
        (s->conf.spool == NULL || spool_empty(s->conf.spool))) {
        return false;
    }
    if (s->retry_at_ms > 0 || s->head == NULL) {
        at = s->retry_at_ms;
    } else {
        /* when the bucket will hold enough for the head */
        double need = (double)s->head->len < (double)s->conf.burst ?
                      (double)s->head->len : (double)s->conf.burst;
        double missing = need - s->tokens;

        at = s->last_ms + (missing > 0 && s->conf.rate > 0 ?
                           (uint64_t)(missing * 1000.0 /
                                      (double)s->conf.rate) + 1 : 1);
    }
    when->tv_sec = (time_t)(at / 1000);
    when->tv_nsec = (long)(at % 1000) * 1000000;
    return true;
}

bool
sink_backlogged(const struct sink *s)
{
    return s->conf.action == SINK_DELAY && s->waiting_rate;
}

int
sink_drain(struct sink *s, int wait_ms, char *err, size_t errsz)
{
    uint64_t end = now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
    struct timespec when, pause;
    uint64_t at, now;
    size_t left = 0;
    struct qmsg *q;

    if (s->conf.spool != NULL) {
        /* what the writer does not take now waits on disk */
        sink_poll(s);
        spill(s);
        end = 0;
    }
    for (;;) {
        sink_poll(s);
        if (s->head == NULL || !sink_deadline(s, &when)) {
            break;
        }
        now = now_ms();
        at = (uint64_t)when.tv_sec * 1000 + (uint64_t)when.tv_nsec / 1000000;
        if (at > end || now >= end) {
            break;
        }
        if (at > now) {
            pause.tv_sec = (time_t)((at - now) / 1000);
            pause.tv_nsec = (long)((at - now) % 1000) * 1000000;
            nanosleep(&pause, NULL);
        }
    }
    /* Messages dropped at the very end would leave no gap to see: write
     * the last of them, whatever the rate, carrying the note */
    if (s->head == NULL && s->last_drop != NULL) {
        q = s->last_drop;
        s->last_drop = NULL;
        s->drop_msgs--;
        s->drop_bytes -= q->len;
        if ((s->conf.spool == NULL || spool_empty(s->conf.spool)) &&
            write_msg(s, q) == 0) {
            s->stats.dropped--;
            s->stats.dropped_bytes -= q->len;
            s->stats.written++;
        } else if (s->conf.spool != NULL) {
            /* behind what waits on disk, or instead of the writer */
            spool_msg(s, q, true);
            /* spooled, or counted again as dropped */
            s->stats.dropped--;
            s->stats.dropped_bytes -= q->len;
            left += s->last_drop != NULL;
        } else {
            left++;
        }
        free(q);
    }
    for (q = s->head; q != NULL; q = q->next) {
        left++;
    }
    if (left == 0) {
        return 0;
    }
    snprintf(err, errsz, "%zu messages could not be written before the"
             " recording ended%s%s (check that the logger runs and takes"
             " messages, or record to a file with the file writer)", left,
             s->last_error[0] ? "; last error: " : "", s->last_error);
    return -EIO;
}

void
sink_get_stats(const struct sink *s, struct sink_stats *st)
{
    *st = s->stats;
}
