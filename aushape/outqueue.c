/*
 * The output queue and its writer thread.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "outqueue.h"
#include "writer.h"

#define PROG "aushape"

/* Notices from the writer kept for the main thread to print */
#define NOTICES 16
#define NOTICE_MAX 256

struct item {
    struct item *next;
    size_t len;
    uint8_t data[];
};

struct outqueue {
    struct outqueue_conf o;
    int fd;                     /* -1 for syslog */
    bool own_fd;
    struct writer *w;           /* syslog */
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* items or the end for the writer */
    pthread_cond_t done_cv;     /* the writer has stopped */
    pthread_cond_t room;        /* the writer took an item out */
    struct item *head;
    struct item *tail;
    size_t bytes;               /* queued */
    uint64_t count;             /* queued events */
    bool ending;                /* no more items will come */
    bool done;                  /* the writer has stopped */
    bool waiting;               /* the writer waits for items */
    int error;                  /* the writer's error */
    char errmsg[256];
    char notice[NOTICES][NOTICE_MAX];   /* oldest at notice_first */
    size_t notice_first;
    size_t notices;
    uint64_t notices_lost;      /* posted while all were taken */
    atomic_bool reopen;
    /* Writer-only state */
    struct buf doc;             /* output gathered for a write(), or
                                   for syslog the document being built */
    long in_doc;                /* events in the open document */
    size_t doc_bytes;
    bool doc_open;
};

static int
open_file(struct outqueue *q, char *err, size_t errsz)
{
    int fd;

    if (strcmp(q->o.path, "-") == 0) {
        q->fd = STDOUT_FILENO;
        q->own_fd = false;
        return 0;
    }
    fd = open(q->o.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;

        snprintf(err, errsz, "cannot open output file %s: %s (check the"
                 " directory and its permissions, or name another with -f)",
                 q->o.path, strerror(e));
        return -e;
    }
    q->fd = fd;
    q->own_fd = true;
    return 0;
}

/* Bytes gathered before a write() to a file */
#define OUT_CHUNK (64u << 10)

/* Write out what put() gathered for a file */
static int
flush_out(struct outqueue *q)
{
    int rc = 0;

    if (q->fd >= 0 && q->doc.len > 0) {
        rc = fdio_write_all(q->fd, q->doc.data, q->doc.len);
        q->doc.len = 0;
    }
    return rc;
}

/*
 * Write p[0..n) to the output: gathered into chunks for a file, into
 * the document for syslog.
 */
static int
put(struct outqueue *q, const void *p, size_t n)
{
    int rc = buf_append(&q->doc, p, n);

    if (rc == 0 && q->fd >= 0 && q->doc.len >= OUT_CHUNK) {
        rc = flush_out(q);
    }
    return rc;
}

/* Line break and one level of indentation, as the layout wants */
static int
put_break(struct outqueue *q, size_t level)
{
    char sp[64];
    size_t n = level * q->o.indent;
    int rc;

    if (q->o.fold == 0) {
        return 0;
    }
    rc = put(q, "\n", 1);
    while (rc == 0 && n > 0) {
        size_t k = n > sizeof(sp) ? sizeof(sp) : n;

        memset(sp, ' ', k);
        rc = put(q, sp, k);
        n -= k;
    }
    return rc;
}

/* Leave a notice for the main thread, which prints it */
static void
post_notice(struct outqueue *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
post_notice(struct outqueue *q, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&q->lock);
    if (q->notices == NOTICES) {
        q->notices_lost++;
    } else {
        va_start(ap, fmt);
        vsnprintf(q->notice[(q->notice_first + q->notices) % NOTICES],
                  NOTICE_MAX, fmt, ap);
        va_end(ap);
        q->notices++;
        /* A push waiting for room returns to let it be printed */
        pthread_cond_broadcast(&q->room);
    }
    pthread_mutex_unlock(&q->lock);
}

/*
 * Syslog: send the document built so far as one datagram.  A busy or
 * absent daemon is waited for, and said so once in a notice: meanwhile
 * the queue fills and, past its bound, whole events are dropped and
 * counted.  Waiting ends with the process (outqueue_finish's time limit).
 * A document too large for a datagram is an error.
 */
static int
send_doc(struct outqueue *q)
{
    const struct timespec pause = { 0, 50000000 };
    bool told = false;
    int rc;

    if (q->w == NULL || q->doc.len == 0) {
        return 0;
    }
    while ((rc = writer_write(q->w, (const char *)q->doc.data, q->doc.len,
                              0)) < 0) {
        if (rc == -EMSGSIZE) {
            post_notice(q, "an event of %zu bytes is too large for the "
                        "syslog socket and is lost; limit events with "
                        "--max-event-size", q->doc.len);
            rc = 0;
            break;
        }
        if (rc == -EINVAL || rc == -ENOTSOCK) {
            break;
        }
        if (!told) {
            post_notice(q, "%s; trying again", writer_error(q->w));
            told = true;
        }
        nanosleep(&pause, NULL);
    }
    if (rc == 0 && told) {
        post_notice(q, "the syslog daemon takes events again");
    }
    q->doc.len = 0;
    return rc;
}

static int
close_doc(struct outqueue *q)
{
    int rc = 0;

    if (!q->doc_open) {
        return 0;
    }
    if (q->in_doc > 0) {
        rc = put_break(q, 0);
    }
    if (rc == 0) {
        rc = put(q, "]", 1);
    }
    if (rc == 0 && q->fd >= 0) {
        rc = put(q, "\n", 1);
    }
    if (rc == 0) {
        rc = send_doc(q);
    }
    q->doc_open = false;
    return rc;
}

/* Write one event with the document framing around it */
static int
write_event(struct outqueue *q, const struct item *it)
{
    long per = q->o.per_doc;
    int rc = 0;

    if (per == 0) {
        rc = put(q, it->data, it->len);
        if (rc == 0 && q->fd >= 0) {
            rc = put(q, "\n", 1);
        }
        return rc == 0 ? send_doc(q) : rc;
    }
    if (q->doc_open && per < 0 && q->in_doc > 0 &&
        q->doc_bytes + it->len + 2 > (size_t)-per) {
        rc = close_doc(q);
    }
    if (rc == 0 && !q->doc_open) {
        rc = put(q, "[", 1);
        q->doc_open = true;
        q->in_doc = 0;
        q->doc_bytes = 2;
    }
    if (rc == 0 && q->in_doc > 0) {
        rc = put(q, ",", 1);
    }
    if (rc == 0) {
        rc = put_break(q, 1);
    }
    if (rc == 0) {
        rc = put(q, it->data, it->len);
    }
    q->in_doc++;
    q->doc_bytes += it->len + 2 + q->o.indent;
    if (rc == 0 && per > 0 && per != LONG_MAX && q->in_doc >= per) {
        rc = close_doc(q);
    }
    return rc;
}

/* Record a writing error for the main thread */
static void
set_error(struct outqueue *q, const char *msg, int rc)
{
    pthread_mutex_lock(&q->lock);
    if (msg != NULL) {
        snprintf(q->errmsg, sizeof(q->errmsg), "%s", msg);
    } else if (rc == -ENOMEM) {
        snprintf(q->errmsg, sizeof(q->errmsg), "out of memory gathering"
                 " output");
    } else {
        snprintf(q->errmsg, sizeof(q->errmsg), "cannot write output: %s"
                 " (is its disk full, or its reader gone?)", strerror(-rc));
    }
    pthread_mutex_unlock(&q->lock);
}

static void *
writer(void *arg)
{
    struct outqueue *q = arg;
    int rc = 0;

    for (;;) {
        struct item *batch;
        size_t bytes = 0;
        uint64_t count = 0;

        /* Take everything queued at once: one wake-up, one write() per
         * chunk, however many events came in meanwhile */
        pthread_mutex_lock(&q->lock);
        while (q->head == NULL && !q->ending) {
            q->waiting = true;
            pthread_cond_wait(&q->wake, &q->lock);
            q->waiting = false;
        }
        if (q->head != NULL && q->bytes < OUT_CHUNK &&
            !q->ending) {
            /* A little more time gathers a bigger batch: fewer
             * wake-ups while events pour in, 2 ms of delay at worst */
            struct timespec ts = { 0, 2000000 };

            pthread_mutex_unlock(&q->lock);
            nanosleep(&ts, NULL);
            pthread_mutex_lock(&q->lock);
        }
        batch = q->head;
        q->head = NULL;
        q->tail = NULL;
        pthread_mutex_unlock(&q->lock);
        if (batch == NULL) {
            break;
        }

        if (atomic_exchange(&q->reopen, false) && q->own_fd) {
            char err[256];

            close(q->fd);
            rc = open_file(q, err, sizeof(err));
            if (rc < 0) {
                set_error(q, err, rc);
                break;
            }
        }
        /* Events stay counted in the queue's bound until written */
        while (batch != NULL && rc == 0) {
            struct item *it = batch;

            batch = it->next;
            rc = write_event(q, it);
            bytes += it->len;
            count++;
            free(it);
        }
        if (rc == 0) {
            rc = flush_out(q);
        }
        pthread_mutex_lock(&q->lock);
        q->bytes -= bytes;
        q->count -= count;
        pthread_cond_broadcast(&q->room);
        pthread_mutex_unlock(&q->lock);
        if (rc < 0) {
            /* What is left of the batch was never written */
            while (batch != NULL) {
                struct item *it = batch;

                batch = it->next;
                free(it);
            }
            set_error(q, NULL, rc);
            break;
        }
    }
    if (rc == 0) {
        if (q->o.per_doc == LONG_MAX && !q->doc_open) {
            /* One document even when there are no events */
            rc = put(q, "[", 1);
            q->doc_open = true;
            q->in_doc = 0;
        }
        if (rc == 0) {
            rc = close_doc(q);
        }
        if (rc == 0) {
            rc = flush_out(q);
        }
        if (rc < 0) {
            set_error(q, NULL, rc);
        }
    }
    pthread_mutex_lock(&q->lock);
    q->error = rc;
    q->done = true;
    pthread_cond_broadcast(&q->done_cv);
    pthread_cond_broadcast(&q->room);
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

int
outqueue_new(const struct outqueue_conf *o, struct outqueue **pq, char *err,
             size_t errsz)
{
    struct outqueue *q = calloc(1, sizeof(*q));
    sigset_t all;
    sigset_t old;
    int rc;

    if (q == NULL) {
        snprintf(err, errsz, "out of memory for the output queue");
        return -ENOMEM;
    }
    q->o = *o;
    q->fd = -1;
    buf_init(&q->doc, SIZE_MAX);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    pthread_cond_init(&q->done_cv, NULL);
    pthread_cond_init(&q->room, NULL);
    atomic_init(&q->reopen, false);
    if (o->path != NULL) {
        rc = open_file(q, err, errsz);
    } else {
        struct writer_syslog_conf sc = {
            .socket = o->syslog_socket, .ident = PROG,
            .facility = o->syslog_facility, .priority = o->syslog_prio,
        };

        rc = writer_open_syslog(&sc, &q->w, err, errsz);
    }
    if (rc < 0) {
        outqueue_free(q);
        return rc;
    }
    /* Signals are for the main thread: it is the one in read() */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = -pthread_create(&q->thread, NULL, writer, q);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0) {
        snprintf(err, errsz, "cannot start the writer thread: %s",
                 strerror(-rc));
        outqueue_free(q);
        return rc;
    }
    q->started = true;
    *pq = q;
    return 0;
}

int
outqueue_push(struct outqueue *q, const uint8_t *p, size_t n, char *err,
              size_t errsz)
{
    struct item *it;
    int rc = 0;

    pthread_mutex_lock(&q->lock);
    while (q->o.wait && !q->done && q->bytes + n > q->o.max_bytes &&
           q->count > 0) {
        if (q->notices > 0) {
            pthread_mutex_unlock(&q->lock);
            return -EAGAIN;
        }
        pthread_cond_wait(&q->room, &q->lock);
    }
    if (q->done) {
        rc = q->error < 0 ? q->error : -EPIPE;
        snprintf(err, errsz, "%s", q->error < 0 ? q->errmsg :
                 "the output's writer has stopped");
    } else if (q->bytes + n > q->o.max_bytes && q->count > 0) {
        rc = -ENOBUFS;
    }
    pthread_mutex_unlock(&q->lock);
    if (rc < 0) {
        return rc;
    }
    it = malloc(sizeof(*it) + n);
    if (it == NULL) {
        return -ENOBUFS;
    }
    it->next = NULL;
    it->len = n;
    memcpy(it->data, p, n);
    pthread_mutex_lock(&q->lock);
    if (q->tail != NULL) {
        q->tail->next = it;
    } else {
        q->head = it;
    }
    q->tail = it;
    q->bytes += n;
    q->count++;
    if (q->waiting) {
        pthread_cond_signal(&q->wake);
    }
    pthread_mutex_unlock(&q->lock);
    return 0;
}

bool
outqueue_full(struct outqueue *q)
{
    bool full;

    if (q->o.wait) {
        return false;
    }
    pthread_mutex_lock(&q->lock);
    full = q->count > 0 && q->bytes + 256 > q->o.max_bytes;
    pthread_mutex_unlock(&q->lock);
    return full;
}

int
outqueue_notice(struct outqueue *q, char *msg, size_t msgsz)
{
    int got = 0;

    pthread_mutex_lock(&q->lock);
    if (q->notices > 0) {
        snprintf(msg, msgsz, "%s", q->notice[q->notice_first]);
        q->notice_first = (q->notice_first + 1) % NOTICES;
        q->notices--;
        got = 1;
    } else if (q->notices_lost > 0) {
        snprintf(msg, msgsz, "%" PRIu64 " more notice(s) from the output "
                 "not shown", q->notices_lost);
        q->notices_lost = 0;
        got = 1;
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

void
outqueue_reopen(struct outqueue *q)
{
    atomic_store(&q->reopen, true);
}

int
outqueue_finish(struct outqueue *q, int timeout_ms, uint64_t *left, char *err,
                size_t errsz)
{
    struct timespec until;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&q->lock);
    q->ending = true;
    pthread_cond_signal(&q->wake);
    while (!q->done && rc == 0) {
        rc = -pthread_cond_timedwait(&q->done_cv, &q->lock, &until);
    }
    *left = q->count;
    if (q->done) {
        rc = q->error;
        if (rc < 0) {
            snprintf(err, errsz, "%s", q->errmsg);
        }
    }
    pthread_mutex_unlock(&q->lock);
    if (q->done && q->started) {
        pthread_join(q->thread, NULL);
        q->started = false;
    }
    return rc;
}

void
outqueue_free(struct outqueue *q)
{
    struct item *it;

    if (q == NULL) {
        return;
    }
    if (q->started) {
        /* A writer stuck in write(): leave it to the process's end */
        return;
    }
    while ((it = q->head) != NULL) {
        q->head = it->next;
        free(it);
    }
    if (q->own_fd) {
        close(q->fd);
    }
    writer_free(q->w);
    buf_fini(&q->doc);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->wake);
    pthread_cond_destroy(&q->done_cv);
    pthread_cond_destroy(&q->room);
    free(q);
}
