/*
 * One recording in progress: the encoder and the sink behind it, shared
 * by tlog-rec's recorder and the agent's relay.  The caller feeds it
 * packets and calls it from its poll loop; it turns them into messages,
 * writes them after the latency at the latest, and keeps the rate limit.
 */
#ifndef RECORDING_H
#define RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pkt.h"
#include "recorder.h"

struct recording;

/*
 * Start a recording with the settings, identity and writer of *cfg (the
 * writer stays the caller's).  Stores it in *pr.  Returns 0 or a negative
 * errno value with err filled.
 */
int recording_open(const struct recorder_conf *cfg, struct recording **pr,
                   char *err, size_t errsz);

/* Record a packet now; a failure is kept for recording_close() */
void recording_packet(struct recording *r, enum pkt_type type,
                      const uint8_t *data, size_t len, unsigned short w,
                      unsigned short h);

/* Milliseconds until recording_tick() has work: -1 for none */
int recording_timeout(struct recording *r);

/* Write what waited its latency out; let the sink send what it holds */
void recording_tick(struct recording *r);

/* Whether the rate limit holds messages back ("delay": read nothing) */
bool recording_held(const struct recording *r);

/*
 * End the recording: write what is left and the end message, whose
 * x_tlog_end is how (a JSON object: {"exit":0}), give the writer up to
 * drain_ms to take queued messages, and free it.  A spooled recording
 * then waits, a few seconds at most, for its syslog daemon to take its
 * last messages, and spools again those it may not have.  Returns 0, or -EIO
 * with err saying what failed while recording.  recording_close(NULL,
 * ...) does nothing and returns 0.
 */
int recording_close(struct recording *r, int drain_ms, const char *how,
                    char *err, size_t errsz);

/* How a program that ended with wait status wstatus ended, as the end
 * message says it: {"exit":N} or {"signal":"SIGHUP"} */
void recording_how_wait(int wstatus, char *how, size_t howsz);

/* The monotonic clock now, and milliseconds from a to b */
struct timespec recording_now(void);
int64_t recording_ms(const struct timespec *a, const struct timespec *b);

#endif
