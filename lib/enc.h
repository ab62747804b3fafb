/*
 * The message encoder: turns a stream of packets into tlog 2.3 JSON
 * messages (see FORMAT.md), one complete JSON object per message.
 *
 * Text is encoded on byte runs: valid UTF-8 is escaped into in_txt or
 * out_txt, invalid sequences go to in_bin or out_bin with one U+FFFD in
 * the text each.  A character split across two packets is held back
 * until the rest arrives; enc_finish() writes what is left as bytes.
 */
#ifndef ENC_H
#define ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pkt.h"

/* Limits of the payload setting, in bytes */
#define ENC_PAYLOAD_MIN 32
#define ENC_PAYLOAD_MAX (1024 * 1024)
#define ENC_PAYLOAD_DEFAULT 2048

/* Longest host, rec, user or term string accepted */
#define ENC_FIELD_MAX 1024

/*
 * Called with each finished message: json[0..len) is one JSON object,
 * no newline, valid until the callback returns.  id is the message's id.
 * A negative return is passed back to the encoder's caller; the message
 * is gone and its id stays used, so the gap shows the loss.
 */
typedef int (*enc_emit_fn)(void *ctx, const char *json, size_t len,
                           uint64_t id);

struct enc_conf {
    const char *host;
    const char *rec;
    const char *user;
    const char *term;
    unsigned int session;
    size_t payload;             /* 0 means ENC_PAYLOAD_DEFAULT */
    struct timespec start;      /* monotonic time of position 0 */
    struct timespec real_start; /* wall-clock time of position 0 */
    enc_emit_fn emit;
    void *emit_ctx;
};

struct enc;

/*
 * Create an encoder.  The strings in conf are copied.  On success stores
 * the encoder, owned by the caller (free with enc_free()), in *pe.
 * Returns 0, -EINVAL (err says which setting and why) or -ENOMEM.
 */
int enc_new(const struct enc_conf *conf, struct enc **pe,
            char *err, size_t errsz);

/* Free an encoder without flushing it.  enc_free(NULL) does nothing. */
void enc_free(struct enc *e);

/*
 * Add a packet.  Messages that fill up are emitted on the way.  Returns
 * 0 or the first negative value from the emit callback.
 */
int enc_write(struct enc *e, const struct pkt *p);

/*
 * Emit the message being built, if any, whatever its size: the latency
 * timer calls this.  A character still incomplete is kept for later.
 */
int enc_flush(struct enc *e);

/*
 * End the recording at monotonic time ts: write incomplete characters as
 * invalid bytes and emit the last message.
 */
int enc_finish(struct enc *e, const struct timespec *ts);

/*
 * End the recording at monotonic time ts as enc_finish() does, then emit
 * the end message: the next id, no event, and "x_tlog_end":how, where
 * how is a JSON object saying how the recording ended ({"exit":0}).
 */
int enc_end(struct enc *e, const struct timespec *ts, const char *how);

/*
 * If a message is being built, store the monotonic time its first event
 * happened (when the latency period started) in *since and return true.
 */
bool enc_pending(const struct enc *e, struct timespec *since);

/* What every message starts with, up to its id: {"ver":...,"id": */
const char *enc_head(const struct enc *e, size_t *len);

/* The id the next emitted message will carry. */
uint64_t enc_next_id(const struct enc *e);

#endif
