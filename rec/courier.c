/*
 * The agent's courier.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
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
 * Deliver one spool file nobody holds.  Returns 1 if it still waits
 * (the writer failed), 0 if it is done or not ours to take now.
 */
static int
deliver(const struct recd_agent *a, const char *path)
{
    struct recorder_conf rc;
    struct spool *sp;
    struct ident id;
    const char *json;
    char err[1024];
    size_t len;
    uint64_t mid, n = 0;
    int r;

    r = spool_adopt(path, &sp, err, sizeof(err));
    if (r == -EWOULDBLOCK) {
        return 0;           /* its recording process is alive */
    }
    if (r < 0) {
        if (r == -EINVAL) {
            char bad[4200];

            snprintf(bad, sizeof(bad), "%s.bad", path);
            rename(path, bad);
        }
        fprintf(stderr, PROG ": %s\n", err);
        return 0;
    }
    memset(&id, 0, sizeof(id));
    snprintf(id.rec, sizeof(id.rec), "%s", spool_ident(sp)->rec);
    snprintf(id.user, sizeof(id.user), "%s", spool_ident(sp)->user);
    id.session = spool_ident(sp)->session;
    memset(&rc, 0, sizeof(rc));
    rc.prog = PROG;
    rc.ident = &id;
    r = rec_conf_apply(a->conf, &rc, true, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, PROG ": spooled recording %s waits: %s\n", id.rec,
                err);
        spool_close(sp);
        return 1;
    }
    while ((r = spool_peek(sp, &json, &len, &mid)) != -ENOENT) {
        if (r == 0) {
            r = write_busy(rc.writer, json, len, mid);
            if (r < 0) {
                break;
            }
            n++;
        }
        spool_pop(sp);      /* delivered, or damaged: the id gap shows */
    }
    if (r == -ENOENT && !spool_has_ended(sp)) {
        r = write_lost(rc.writer, sp);
        if (r == 0) {
            spool_ended(sp);
            fprintf(stderr, PROG ": recording %s of %s was cut short: its"
                    " recording process ended without its end message;"
                    " messages after %" PRIu64 " are lost\n", id.rec,
                    id.user, spool_safe_id(sp));
        }
    }
    if (n > 0) {
        fprintf(stderr, PROG ": delivered %" PRIu64 " spooled messages of"
                " recording %s\n", n, id.rec);
    }
    if (r < 0 && r != -ENOENT) {
        fprintf(stderr, PROG ": spooled recording %s waits: %s\n", id.rec,
                writer_error(rc.writer));
    }
    writer_free(rc.writer);
    spool_close(sp);        /* removes it once delivered and ended */
    return r < 0 && r != -ENOENT ? 1 : 0;
}

int
courier_pass(const struct recd_agent *a)
{
    DIR *d = opendir(a->spool_dir);
    struct dirent *e;
    char path[4096];
    size_t n;
    int waiting = 0;

    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 7 ||
            strcmp(e->d_name + n - 6, ".spool") != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", a->spool_dir, e->d_name);
        waiting += deliver(a, path);
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
