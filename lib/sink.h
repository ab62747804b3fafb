/*
 * The sink: what stands between the encoder and a writer.
 *
 * - Rate limit: a token bucket of message bytes (rate per second, burst).
 *   "pass" ignores it; "delay" holds messages until the bucket allows
 *   them and tells the recorder to stop reading (sink_backlogged()), so
 *   the recorded program slows down; "drop" drops what does not fit.
 * - Writer failures: messages wait in a bounded queue and are retried
 *   with a growing interval; past the bound the oldest are dropped.
 * - With a spool (the agent's), what the writer does not take goes to
 *   disk instead, in order, and is delivered from there first; the
 *   memory queue then only holds messages for the rate limit.
 * - No silent loss: a dropped message leaves a gap in the ids, and the
 *   next message written or spooled carries
 *   "x_tlog_drop":{"messages":N,"bytes":B} counting everything dropped
 *   since.
 */
#ifndef SINK_H
#define SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "spool.h"
#include "writer.h"

/* Default bound of messages held while the writer fails, in bytes */
#define SINK_QUEUE_MAX_DEFAULT (4 * 1024 * 1024)

enum sink_action { SINK_PASS, SINK_DELAY, SINK_DROP };

struct sink_conf {
    struct writer *writer;      /* not owned */
    enum sink_action action;
    uint64_t rate;              /* bytes per second */
    uint64_t burst;             /* bytes */
    size_t queue_max;           /* 0 means SINK_QUEUE_MAX_DEFAULT */
    struct spool *spool;        /* or NULL; not owned */
};

struct sink_stats {
    uint64_t written;           /* messages */
    uint64_t dropped;           /* messages */
    uint64_t dropped_bytes;
    uint64_t retries;           /* failed write attempts */
    uint64_t spooled;           /* messages that went to the spool */
};

struct sink;

/* Create a sink; stores it in *ps (free with sink_free()).  0 or -ENOMEM */
int sink_new(const struct sink_conf *conf, struct sink **ps);

/* sink_free(NULL) does nothing; queued messages are lost: see sink_drain */
void sink_free(struct sink *s);

/* Give the sink a spool (not owned) once it exists */
void sink_set_spool(struct sink *s, struct spool *sp);

/* An enc_emit_fn: takes a message from the encoder.  Returns 0 or -ENOMEM */
int sink_emit(void *ctx, const char *json, size_t len, uint64_t id);

/* Write what the rate and the writer allow now */
void sink_poll(struct sink *s);

/*
 * When sink_poll() should run next, if messages are waiting: stores the
 * monotonic time in *when and returns true.
 */
bool sink_deadline(const struct sink *s, struct timespec *when);

/* Whether the recorder should stop reading until the rate allows more */
bool sink_backlogged(const struct sink *s);

/*
 * At the end of a recording: keep writing queued messages for at most
 * wait_ms; with a spool, put what the writer does not take at once
 * there instead of waiting.  Returns 0 when everything was written or
 * spooled; otherwise -EIO with err saying how many messages were lost
 * and the writer's last error.
 */
int sink_drain(struct sink *s, int wait_ms, char *err, size_t errsz);

void sink_get_stats(const struct sink *s, struct sink_stats *st);

#endif
