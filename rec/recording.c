/*
 * One recording in progress.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "enc.h"
#include "recording.h"
#include "sink.h"
#include "spool.h"
#include "writer.h"

/*
 * At its end a spooled recording waits, at most SETTLE_MS, until the
 * syslog daemon has read its last messages and had SETTLE_QUIET_MS to
 * queue them: a daemon killed before that throws them away.  What it may
 * not have taken is then spooled again, for the agent's courier (the
 * store keeps one copy of each message id).
 */
#define SETTLE_MS 10000
#define SETTLE_QUIET_MS 1000
#define SETTLE_POLL_MS 20

struct recording {
    unsigned int latency;       /* seconds */
    struct enc *enc;
    struct sink *sink;
    struct spool *spool;
    struct writer *writer;
    char werr[512];             /* first recording error */
};

struct timespec
recording_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

int64_t
recording_ms(const struct timespec *a, const struct timespec *b)
{
    return ((int64_t)b->tv_sec - (int64_t)a->tv_sec) * 1000 +
           ((int64_t)b->tv_nsec - (int64_t)a->tv_nsec) / 1000000;
}

int
recording_open(const struct recorder_conf *cfg, struct recording **pr,
               char *err, size_t errsz)
{
    struct recording *r;
    struct enc_conf ec;
    struct sink_conf sc;
    int ret;

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        snprintf(err, errsz, "out of memory");
        return -ENOMEM;
    }
    r->latency = cfg->latency;
    r->writer = cfg->writer;
    memset(&sc, 0, sizeof(sc));
    sc.writer = cfg->writer;
    sc.action = cfg->action;
    sc.rate = cfg->rate;
    sc.burst = cfg->burst;
    ret = sink_new(&sc, &r->sink);
    if (ret < 0) {
        snprintf(err, errsz, "%s", strerror(-ret));
        free(r);
        return ret;
    }
    memset(&ec, 0, sizeof(ec));
    ec.host = cfg->ident->host;
    ec.rec = cfg->ident->rec;
    ec.user = cfg->ident->user;
    ec.term = cfg->ident->term;
    ec.session = cfg->ident->session;
    ec.payload = cfg->payload;
    ec.emit = sink_emit;
    ec.emit_ctx = r->sink;
    clock_gettime(CLOCK_MONOTONIC, &ec.start);
    clock_gettime(CLOCK_REALTIME, &ec.real_start);
    ret = enc_new(&ec, &r->enc, err, errsz);
    if (ret < 0) {
        sink_free(r->sink);
        free(r);
        return ret;
    }
    if (cfg->spool_dir != NULL) {
        struct spool_ident si;
        char serr[1024];

        memset(&si, 0, sizeof(si));
        si.rec = cfg->ident->rec;
        si.user = cfg->ident->user;
        si.session = cfg->ident->session;
        si.head = enc_head(r->enc, &si.head_len);
        si.start = ec.start;
        si.real_start_ms = (uint64_t)ec.real_start.tv_sec * 1000 +
                           (uint64_t)ec.real_start.tv_nsec / 1000000;
        /* without it the recording goes on, held in memory as tlog-rec's */
        if (spool_create(cfg->spool_dir, &si, cfg->spool_max, &r->spool, serr,
                         sizeof(serr)) < 0) {
            fprintf(stderr, "%s: recording %s goes on without a spool: %s\n",
                    cfg->prog, cfg->ident->rec, serr);
        } else {
            sink_set_spool(r->sink, r->spool);
        }
    }
    *pr = r;
    return 0;
}

void
recording_packet(struct recording *r, enum pkt_type type, const uint8_t *data,
                 size_t len, unsigned short w, unsigned short h)
{
    struct pkt p;
    int rc;

    memset(&p, 0, sizeof(p));
    p.type = type;
    p.ts = recording_now();
    p.data = data;
    p.len = len;
    p.width = w;
    p.height = h;
    rc = enc_write(r->enc, &p);
    if (rc < 0 && r->werr[0] == 0) {
        snprintf(r->werr, sizeof(r->werr), "recording failed: %s",
                 strerror(-rc));
    }
}

int
recording_timeout(struct recording *r)
{
    struct timespec now = recording_now(), since, when;
    int64_t t = -1, d;

    if (enc_pending(r->enc, &since)) {
        t = (int64_t)r->latency * 1000 - recording_ms(&since, &now);
        if (t < 0) {
            t = 0;
        }
    }
    if (sink_deadline(r->sink, &when)) {
        d = recording_ms(&now, &when);
        d = d < 0 ? 0 : d;
        t = t < 0 || d < t ? d : t;
    }
    return t > 60000 ? 60000 : (int)t;
}

void
recording_tick(struct recording *r)
{
    struct timespec now = recording_now(), since;

    if (enc_pending(r->enc, &since) &&
        recording_ms(&since, &now) >= (int64_t)r->latency * 1000) {
        enc_flush(r->enc);
    }
    sink_poll(r->sink);
}

bool
recording_held(const struct recording *r)
{
    return sink_backlogged(r->sink);
}

void
recording_how_wait(int wstatus, char *how, size_t howsz)
{
    const char *name;

    if (WIFSIGNALED(wstatus)) {
        name = sigabbrev_np(WTERMSIG(wstatus));
        if (name != NULL) {
            snprintf(how, howsz, "{\"signal\":\"SIG%s\"}", name);
        } else {
            snprintf(how, howsz, "{\"signal\":\"%d\"}", WTERMSIG(wstatus));
        }
    } else {
        snprintf(how, howsz, "{\"exit\":%d}", WEXITSTATUS(wstatus));
    }
}

/* A writer_each_unsettled() callback: the message again in the spool */
static int
respool(void *ctx, const char *json, size_t len, uint64_t id)
{
    return spool_push(ctx, json, len, id, true);
}

/* Wait for the syslog daemon to take what was written (see SETTLE_MS);
 * spool again what it may not have.  0, or -EIO with err filled */
static int
settle(struct recording *r, char *err, size_t errsz)
{
    struct timespec start = recording_now(), now, pause;
    int st, ret;

    pause.tv_sec = 0;
    pause.tv_nsec = SETTLE_POLL_MS * 1000000L;
    for (;;) {
        st = writer_settled(r->writer, SETTLE_QUIET_MS);
        now = recording_now();
        if (st != 0 || recording_ms(&start, &now) >= SETTLE_MS) {
            break;
        }
        nanosleep(&pause, NULL);
    }
    if (st > 0) {
        return 0;
    }
    ret = writer_each_unsettled(r->writer, respool, r->spool);
    if (ret < 0) {
        snprintf(err, errsz, "the syslog daemon may not have taken the"
                 " recording's last messages, and they could not be"
                 " spooled again: %s (check the spool directory's disk)",
                 strerror(-ret));
        return -EIO;
    }
    return 0;
}

int
recording_close(struct recording *r, int drain_ms, const char *how,
                char *err, size_t errsz)
{
    struct timespec end;
    char serr[512];
    int ret = 0;

    if (r == NULL) {
        return 0;
    }
    end = recording_now();
    if (enc_end(r->enc, &end, how) < 0 && r->werr[0] == 0) {
        snprintf(r->werr, sizeof(r->werr), "recording failed: out of"
                 " memory at its end");
    }
    if (sink_drain(r->sink, drain_ms, serr, sizeof(serr)) < 0) {
        snprintf(err, errsz, "%s", serr);
        ret = -EIO;
    }
    if (r->spool != NULL) {
        if (r->writer != NULL && settle(r, serr, sizeof(serr)) < 0 &&
            ret == 0) {
            snprintf(err, errsz, "%s", serr);
            ret = -EIO;
        }
        /* the recorder did not die: what is left on disk is for the
         * agent's courier to deliver, with no note of its own */
        spool_ended(r->spool);
    }
    if (ret == 0 && r->werr[0]) {
        snprintf(err, errsz, "%s", r->werr);
        ret = -EIO;
    }
    enc_free(r->enc);
    sink_free(r->sink);
    spool_close(r->spool);
    free(r);
    return ret;
}
