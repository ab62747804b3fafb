/*
 * The output queue: events go in without waiting, a writer thread takes
 * them out and writes them, framed into documents, to a file descriptor
 * or to syslog.  The queue holds at most a set number of bytes; an
 * event that does not fit is refused, so a stalled output never stalls
 * whoever feeds the queue (auditd, in the end).
 */
#ifndef OUTQUEUE_H
#define OUTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where and how events are written */
struct outqueue_conf {
    const char *path;       /* file to write, "-" for stdout; NULL: syslog */
    const char *syslog_socket;  /* the syslog daemon's datagram socket */
    int syslog_facility;
    int syslog_prio;        /* priority for syslog output */
    long per_doc;           /* 0: one event per line; N > 0: N events per
                               document; -N: N bytes per document;
                               LONG_MAX: one document */
    size_t fold;            /* layout of documents, as the events */
    size_t indent;
    size_t max_bytes;       /* queue size */
    bool wait;              /* a full queue makes outqueue_push() wait */
};

struct outqueue;

/*
 * Open the output o names (o is copied; its strings must outlive the
 * queue) and start the writer thread.  Stores the queue, owned by the
 * caller (finish it with outqueue_finish(), then free it with
 * outqueue_free()), in *pq.  Returns 0, or a negative errno value with
 * err filled.
 */
int outqueue_new(const struct outqueue_conf *o, struct outqueue **pq,
                 char *err, size_t errsz);

/*
 * Queue a copy of event p[0..n).  Returns 0, -ENOBUFS if the queue is
 * full (the event is not queued; with wait set it waits for room
 * instead), -EAGAIN if, waiting for room, it finds a notice to print
 * (read them with outqueue_notice(), then push again), or the writer's
 * error, with err filled, if writing has failed for good.
 */
int outqueue_push(struct outqueue *q, const uint8_t *p, size_t n,
                  char *err, size_t errsz);

/* True if a full queue would refuse an event now (never with wait) */
bool outqueue_full(struct outqueue *q);

/*
 * The writer thread prints nothing: what it has to say while it goes on
 * (the syslog daemon is away, or back; an event too large for a
 * datagram was lost) waits here for the main thread.  Copies the
 * oldest notice into msg (msgsz bytes) and returns 1, or returns 0 when
 * there is none.
 */
int outqueue_notice(struct outqueue *q, char *msg, size_t msgsz);

/* Ask the writer to reopen a file output before its next write */
void outqueue_reopen(struct outqueue *q);

/*
 * Write what is queued, close the last document and stop the writer,
 * waiting at most timeout_ms.  Returns 0, -ETIMEDOUT (the number of
 * events left unwritten in *left), or the writer's error with a
 * message in err.  It may be called again after -ETIMEDOUT.  Free the
 * queue with outqueue_free() after.
 */
int outqueue_finish(struct outqueue *q, int timeout_ms, uint64_t *left,
                    char *err, size_t errsz);

/* Free the queue; it must be finished or never started. */
void outqueue_free(struct outqueue *q);

#endif
