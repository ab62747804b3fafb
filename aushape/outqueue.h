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

struct outqueue_opts {
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
 * Open the output and start the writer.  Returns 0 and the queue in *pq,
 * or a negative errno value with a message in err.
 */
int outqueue_new(struct outqueue **pq, const struct outqueue_opts *o,
             char *err, size_t errlen);

/*
 * Queue a copy of event p[0..n).  Returns 0, -ENOBUFS if the queue is
 * full (the event is not queued; with wait set it waits for room
 * instead), or the writer's error if writing has failed for good.
 */
int outqueue_push(struct outqueue *q, const uint8_t *p, size_t n);

/* True if a full queue would refuse an event now (never with wait) */
bool outqueue_full(struct outqueue *q);

/* Ask the writer to reopen a file output before its next write */
void outqueue_reopen(struct outqueue *q);

/*
 * Write what is queued, close the last document and stop the writer,
 * waiting at most timeout_ms.  Returns 0, -ETIMEDOUT (the number of
 * events left unwritten in *left), or the writer's error with a
 * message in err.  Free the queue with outqueue_free() after.
 */
int outqueue_finish(struct outqueue *q, int timeout_ms, uint64_t *left,
                char *err, size_t errlen);

/* Free the queue; it must be finished or never started. */
void outqueue_free(struct outqueue *q);

#endif
