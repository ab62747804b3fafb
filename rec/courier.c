/*
 * The agent's courier.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "courier.h"
#include "ident.h"
#include "rec_conf.h"
#include "recd_priv.h"
#include "spool.h"
#include "writer.h"

#define PROG "tlog-recd"
/* How often the spool is looked at, and at most how long a failing
 * writer waits for its next try */
#define COURIER_PASS_MS 1000
#define COURIER_RETRY_MAX_MS 5000
/* A busy logger is waited for this often, this many times */
#define COURIER_BUSY_MS 10
#define COURIER_BUSY_TRIES 500
/* Sent messages leave the spool once the logger has read them and this
 * long has passed with it still the same (time to queue them) */
#define COURIER_QUIET_MS 5000
/* At most this many files are held at once (each writer keeps what it
 * sent lately, up to a MiB) */
#define COURIER_HELD_MAX 16

/* Write, waiting a little while the logger is only busy (its socket's
 * buffer full) */
static int
write_busy(struct writer *w, const char *json, size_t len, uint64_t id)
{
    struct timespec ts = { 0, COURIER_BUSY_MS * 1000000L };
    int tries = COURIER_BUSY_TRIES, r;

    while ((r = writer_write(w, json, len, id)) == -EAGAIN && --tries > 0) {
        nanosleep(&ts, NULL);
    }
    return r;
}

/* Write the end message of a recording whose process died */
static int
write_lost(struct writer *w, const struct spool *sp)
{
    const struct spool_ident *si = spool_ident(sp);
    uint64_t id = spool_made_id(sp) + 1, pos = spool_last_pos(sp);
    uint64_t t = si->real_start_ms + pos;
    char *msg;
    int n, r;

    n = asprintf(&msg, "%.*s%" PRIu64 ",\"pos\":%" PRIu64 ",\"time\":%"
                 PRIu64 ".%03u,\"timing\":\"\",\"in_txt\":\"\",\"in_bin\":[],"
                 "\"out_txt\":\"\",\"out_bin\":[],\"x_tlog_end\":{\"recorder\":"
                 "\"lost\",\"after\":%" PRIu64 "}}", (int)si->head_len,
                 si->head, id, pos, t / 1000, (unsigned int)(t % 1000),
                 spool_safe_id(sp));
    if (n < 0) {
        return -ENOMEM;
    }
    r = write_busy(w, msg, (size_t)n, id);
    free(msg);
    return r;
}

/*
 * A spool file being delivered.  Its records leave it only once the
 * writer's destination has surely taken them (writer_settled()): a
 * syslog daemon killed with messages in its socket or its memory
 * throws them away, and they are then sent again from the file.
 */
struct parcel {
    struct parcel *next;
    char *path;
    struct spool *sp;
    struct writer *w;
    struct ident id;
    uint64_t at;            /* the next record to send */
    uint64_t sent;          /* records sent, for the diagnostics */
    bool lost;              /* the recording never ended: it gets its end */
    bool all_sent;          /* every record and the end message */
};

static struct parcel *parcels;

/* Send what of p is not sent yet; 0, or a negative errno value */
static int
send_rest(struct parcel *p)
{
    const char *json;
    size_t len;
    uint64_t mid, at;
    int r;

    while (!p->all_sent) {
        at = p->at;
        r = spool_read(p->sp, &p->at, &json, &len, &mid);
        if (r == -ENOENT) {
            if (p->lost && (r = write_lost(p->w, p->sp)) < 0) {
                return r;
            }
            p->all_sent = true;
        } else if (r == -ENOMEM) {
            return r;
        } else if (r == 0) {
            /* a damaged record is skipped: the id gap shows */
            r = write_busy(p->w, json, len, mid);
            if (r < 0) {
                p->at = at;     /* sent again from this record */
                return r;
            }
            p->sent++;
        }
    }
    return 0;
}

/* Take the spool file path if nobody holds it */
static struct parcel *
adopt(const struct recd_agent *a, const char *path)
{
    struct recorder_conf cfg;
    struct parcel *p;
    struct spool *sp;
    char err[1024];
    int r;

    r = spool_adopt(path, &sp, err, sizeof(err));
    if (r == -EWOULDBLOCK) {
        return NULL;        /* its recording process is alive */
    }
    if (r < 0) {
        if (r == -EINVAL) {
            char bad[4200];

            snprintf(bad, sizeof(bad), "%s.bad", path);
            rename(path, bad);
        }
        fprintf(stderr, PROG ": %s\n", err);
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL || (p->path = strdup(path)) == NULL) {
        free(p);
        spool_close(sp);
        return NULL;
    }
    p->sp = sp;
    snprintf(p->id.rec, sizeof(p->id.rec), "%s", spool_ident(sp)->rec);
    snprintf(p->id.user, sizeof(p->id.user), "%s", spool_ident(sp)->user);
    p->id.session = spool_ident(sp)->session;
    p->lost = !spool_has_ended(sp);
    memset(&cfg, 0, sizeof(cfg));
    cfg.prog = PROG;
    cfg.ident = &p->id;
    if (rec_conf_apply(a->conf, &cfg, true, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": spooled recording %s waits: %s\n",
                p->id.rec, err);
        spool_close(sp);
        free(p->path);
        free(p);
        return NULL;
    }
    p->w = cfg.writer;
    return p;
}

/* Let go of p, its records delivered if done */
static void
finish(struct parcel *p, bool done)
{
    if (done) {
        spool_done_to(p->sp, p->at);
        if (p->lost) {
            spool_ended(p->sp);
            fprintf(stderr, PROG ": recording %s of %s was cut short: its"
                    " recording process ended without its end message;"
                    " messages after %" PRIu64 " are lost\n", p->id.rec,
                    p->id.user, spool_safe_id(p->sp));
        }
        if (p->sent > 0) {
            fprintf(stderr, PROG ": delivered %" PRIu64 " spooled messages"
                    " of recording %s\n", p->sent, p->id.rec);
        }
    }
    writer_free(p->w);
    spool_close(p->sp);     /* removes it once delivered and ended */
    free(p->path);
    free(p);
}

/* Send, or see taken, what p holds; 1 if its writer failed, else 0 */
static int
deliver(struct parcel **pp)
{
    struct parcel *p = *pp;
    int r = send_rest(p);

    if (r < 0) {
        fprintf(stderr, PROG ": spooled recording %s waits: %s\n",
                p->id.rec, writer_error(p->w));
        return 1;
    }
    r = writer_settled(p->w, COURIER_QUIET_MS);
    if (r < 0) {
        fprintf(stderr, PROG ": spooled recording %s is sent again: %s\n",
                p->id.rec, writer_error(p->w));
        p->at = 0;
        p->all_sent = false;
        p->sent = 0;
        return send_rest(p) < 0;
    }
    if (r > 0) {
        *pp = p->next;
        finish(p, true);
    }
    return 0;
}

int
courier_pass(const struct recd_agent *a)
{
    struct parcel **pp, *p;
    DIR *d;
    struct dirent *e;
    char path[4096];
    size_t n, held = 0;
    int waiting = 0;

    for (pp = &parcels; *pp != NULL;) {
        p = *pp;
        waiting += deliver(pp);
        if (*pp == p) {
            pp = &p->next;
            held++;
        }
    }
    d = opendir(a->spool_dir);
    if (d == NULL) {
        return waiting;
    }
    while (held < COURIER_HELD_MAX && (e = readdir(d)) != NULL) {
        n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 7 ||
            strcmp(e->d_name + n - 6, ".spool") != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", a->spool_dir, e->d_name);
        for (p = parcels; p != NULL && strcmp(p->path, path) != 0;
             p = p->next) {
        }
        if (p != NULL || (p = adopt(a, path)) == NULL) {
            continue;
        }
        p->next = parcels;
        parcels = p;
        waiting += deliver(&parcels);
        held += parcels == p;
    }
    closedir(d);
    return waiting;
}

void
courier_run(const struct recd_agent *a, pid_t listener)
{
    unsigned int wait_ms = COURIER_PASS_MS;
    struct timespec ts;
    char err[1024];

    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    if (recd_priv_drop(a->uid, a->gid, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": the courier cannot start: %s\n", err);
        return;
    }
    /* it ends with the listener, whose restart starts another (set after
     * the change of user, which clears it) */
    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
    if (getppid() != listener) {
        return;
    }
    for (;;) {
        /* a failing writer is tried less often, up to a limit */
        if (courier_pass(a) > 0) {
            wait_ms = wait_ms * 2 > COURIER_RETRY_MAX_MS ?
                      COURIER_RETRY_MAX_MS : wait_ms * 2;
        } else {
            wait_ms = COURIER_PASS_MS;
        }
        ts.tv_sec = wait_ms / 1000;
        ts.tv_nsec = (long)(wait_ms % 1000) * 1000000L;
        nanosleep(&ts, NULL);
    }
}
