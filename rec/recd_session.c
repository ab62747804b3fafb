/*
 * Serving one connection to the recording agent.
 *
 * The process that accepts a connection runs as root and does only what
 * needs root (rec/recd_priv.c): it checks who called, takes the terminal,
 * makes the PTY.  The recording itself, which reads everything the
 * session shows, runs in a child as the agent's user (rec/relay.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "ident.h"
#include "jesc.h"
#include "rec_conf.h"
#include "recd_priv.h"
#include "recd_proto.h"
#include "recd_session.h"
#include "relay.h"
#include "writer.h"

#define PROG "tlog-recd"
/* How long a caller has to send its request */
#define REQUEST_TIMEOUT_S 10
/* How long a finished session's messages may take to leave */
#define DRAIN_MS 30000

static void
reply(int conn, int status, const char *rec, const char *msg,
      const int *fds, int nfds)
{
    struct recd_reply r;

    memset(&r, 0, sizeof(r));
    r.magic = RECD_MAGIC;
    r.status = status;
    snprintf(r.rec, sizeof(r.rec), "%s", rec ? rec : "");
    snprintf(r.msg, sizeof(r.msg), "%s", msg ? msg : "");
    recd_send(conn, &r, sizeof(r), fds, nfds);
}

/* Show tlog-rec-session's notice on the terminal, as its own settings
 * (now raw) would have: newlines become CR LF where they did */
static void
show_notice(const struct recd_tty *t, const char *text)
{
    bool crlf = (t->saved.c_oflag & OPOST) && (t->saved.c_oflag & ONLCR);
    const char *p;

    for (p = text; *p; p++) {
        if (*p == '\n' && crlf) {
            fdio_write_all(t->fd, "\r\n", 2);
        } else {
            fdio_write_all(t->fd, p, 1);
        }
    }
}

/* Whether process pid runs the program the agent trusts to hand over */
static bool
runs_program(const struct recd_agent *a, pid_t pid)
{
    char path[64];
    struct stat st, prog;

    /* the program is looked up now, not at start: an upgrade replaces it */
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    return stat(a->prog, &prog) == 0 && stat(path, &st) == 0 &&
           st.st_dev == prog.st_dev && st.st_ino == prog.st_ino;
}

/*
 * Whether process pid runs in secure-execution mode (AT_SECURE in its
 * auxiliary vector): tlog-rec-session's file capability puts it there,
 * and without it the user's environment steers the dynamic loader.
 */
static bool
runs_secure(pid_t pid)
{
    unsigned long v[2];
    char path[64];
    bool secure = false;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    while (read(fd, v, sizeof(v)) == (ssize_t)sizeof(v) && v[0] != AT_NULL) {
        if (v[0] == AT_SECURE) {
            secure = v[1] != 0;
            break;
        }
    }
    close(fd);
    return secure;
}

/* state_dir/KIND-SESSION */
static void
state_path(const struct recd_agent *a, const char *kind, uint32_t session,
           char *out, size_t outsz)
{
    snprintf(out, outsz, "%s/%s-%u", a->state_dir, kind, (unsigned)session);
}

static void
state_mark(const struct recd_agent *a, const char *kind, uint32_t session,
           const char *text)
{
    char path[4096];
    int fd;

    if (session == IDENT_SESSION_UNSET) {
        return;
    }
    state_path(a, kind, session, path, sizeof(path));
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd >= 0) {
        if (text != NULL && write(fd, text, strlen(text)) < 0) {
            /* the mark itself is what counts */
        }
        close(fd);
    }
}

/* Open the configured writer and fill the recording settings */
static int
open_writer(const struct recd_agent *a, struct recorder_conf *cfg,
            const struct ident *id, char *err, size_t errsz)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->prog = PROG;
    cfg->ident = id;
    return rec_conf_apply(a->conf, cfg, true, err, errsz);
}

/* The child that records: the agent's user from here on */
static int
record(const struct recd_agent *a, int conn, const struct ident *id,
       struct relay_conf *rl, const int *give, int ngive)
{
    struct recorder_conf cfg;
    char err[1024];
    int r, i;

    setsid();
    r = recd_priv_drop(a->uid, a->gid, err, sizeof(err));
    if (r == 0) {
        r = open_writer(a, &cfg, id, err, sizeof(err));
    }
    if (r < 0) {
        reply(conn, r, NULL, err, NULL, 0);
        return 1;
    }
    if (!rl->pty) {
        cfg.log_input = conf_bool(a->conf, "log.piped_input");
    }
    cfg.spool_dir = a->spool_dir;
    cfg.spool_max = a->spool_max;
    rl->rec = &cfg;
    rl->drain_ms = DRAIN_MS;
    /* from here the session is recorded: hand the new terminal over */
    reply(conn, 0, id->rec, NULL, give, ngive);
    for (i = 0; i < ngive; i++) {
        close(give[i]);
    }
    rl->ctl = conn;
    r = relay_run(rl, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, PROG ": recording %s of %s: %s\n", id->rec, id->user,
                err);
    }
    writer_free(cfg.writer);
    return r < 0 ? 1 : 0;
}

/* The user's terminal back to its owner, and its utmp entry gone */
static void
give_back(struct recd_tty *tty, const int *fds, bool *taken, char *line)
{
    if (line[0]) {
        recd_priv_utmp_remove(line);
        line[0] = 0;
    }
    if (*taken) {
        recd_priv_give_tty(tty);
        if (tty->fd != fds[0]) {
            close(tty->fd);
        }
        *taken = false;
    }
}

static int
serve_session(const struct recd_agent *a, int conn, const struct ucred *cr,
              const struct recd_request *q)
{
    struct recd_request tq;
    int fds[RECD_FDS_MAX], nfds = 0;
    struct recd_tty tty;
    struct relay_conf rl;
    struct ident id;
    char err[1024], audit[512], line[64] = "";
    int give[3] = { -1, -1, -1 }, ngive = 0;
    int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
    int rel[2] = { -1, -1 };
    int slave = -1, status = 1, st, r, i;
    char done;
    bool taken = false;
    pid_t child;

    memset(&rl, 0, sizeof(rl));
    rl.master = rl.child_in = rl.child_out = rl.child_err = rl.user_err = -1;
    rl.release = -1;
    rl.pty = true;
    if (!runs_program(a, cr->pid)) {
        reply(conn, -EPERM, NULL, "only tlog-rec-session may hand a session"
              " over", NULL, 0);
        goto out;
    }
    /* root gains nothing from a file capability, and needs no guard */
    if (cr->uid != 0 && !runs_secure(cr->pid)) {
        reply(conn, -EPERM, NULL, "tlog-rec-session runs without its file"
              " capability (setcap cap_audit_write+ep on it, as make install"
              " does)", NULL, 0);
        goto out;
    }
    /* only a caller known to be tlog-rec-session, talking to a live
     * agent, gives its terminal up: a socket nobody serves keeps none */
    reply(conn, 0, NULL, NULL, NULL, 0);
    r = recd_recv(conn, &tq, sizeof(tq), fds, &nfds);
    if (r < 0 || tq.magic != RECD_MAGIC || tq.kind != RECD_TERMINAL ||
        nfds != 3) {
        reply(conn, -EPROTO, NULL, "want standard input, output and error",
              NULL, 0);
        goto out;
    }
    r = ident_get_for(cr->pid, cr->uid, q->term, getpid(), &id, err,
                      sizeof(err));
    if (r < 0) {
        reply(conn, r, NULL, err, NULL, 0);
        goto out;
    }
    rl.pty = isatty(fds[0]);
    rl.user_in = fds[0];
    rl.user_out = fds[1];
    if (rl.pty) {
        r = recd_priv_take_tty(fds[0], a->uid, &tty, err, sizeof(err));
        if (r < 0) {
            reply(conn, r, NULL, err, NULL, 0);
            goto out;
        }
        taken = true;
        r = recd_priv_reopen_tty(&tty, cr->pid, err, sizeof(err));
        if (r < 0) {
            reply(conn, r, NULL, err, NULL, 0);
            goto out;
        }
        rl.user_in = rl.user_out = tty.fd;
        tq.notice[sizeof(tq.notice) - 1] = 0;
        show_notice(&tty, tq.notice);
        r = recd_priv_open_pty(&tty, cr->uid, a->tty_gid, &rl.master, &slave,
                               err, sizeof(err));
        if (r < 0) {
            reply(conn, r, NULL, err, NULL, 0);
            goto out;
        }
        give[0] = slave;
        ngive = 1;
        recd_priv_utmp_add(slave, id.user, cr->pid, line, sizeof(line));
    } else {
        if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) ||
            pipe2(perr, O_CLOEXEC)) {
            reply(conn, -errno, NULL, "cannot make pipes", NULL, 0);
            goto out;
        }
        rl.user_err = fds[2];
        rl.child_in = pin[1];
        rl.child_out = pout[0];
        rl.child_err = perr[0];
        /* the session's ends are give[]'s from here, ours rl's */
        give[0] = pin[0];
        give[1] = pout[1];
        give[2] = perr[1];
        ngive = 3;
        pin[0] = pout[1] = perr[1] = -1;
    }
    state_mark(a, "rec", id.session, id.rec);
    snprintf(audit, sizeof(audit), "op=tlog-recording-start rec=%s user=%s",
             id.rec, id.user);
    recd_priv_audit(audit, NULL);

    if (pipe2(rel, O_CLOEXEC) != 0) {
        reply(conn, -errno, NULL, "cannot make a pipe", NULL, 0);
        goto out;
    }
    child = fork();
    if (child < 0) {
        reply(conn, -errno, NULL, "cannot fork", NULL, 0);
        goto out;
    }
    if (child == 0) {
        close(rel[0]);
        rl.release = rel[1];
        _exit(record(a, conn, &id, &rl, give, ngive));
    }
    close(rel[1]);
    rel[1] = -1;
    /* this process only waits, to give the terminal back: it holds
     * nothing of the session's, whose end is every holder closing it */
    for (i = 0; i < ngive; i++) {
        close(give[i]);
    }
    ngive = 0;
    slave = -1;
    if (rl.master >= 0) {
        close(rl.master);
        rl.master = -1;
    }
    if (!rl.pty) {
        close(pin[1]);
        close(pout[0]);
        close(perr[0]);
        pin[1] = pout[0] = perr[0] = -1;
    }
    close(conn);
    conn = -1;
    /* the terminal goes back once the recording lets go of it (a byte,
     * or its end), not after its last wait for the logger */
    while (read(rel[0], &done, 1) < 0 && errno == EINTR) {
    }
    give_back(&tty, fds, &taken, line);
    while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
    }
    snprintf(audit, sizeof(audit), "op=tlog-recording-end rec=%s user=%s",
             id.rec, id.user);
    recd_priv_audit(audit, NULL);
    status = 0;
out:
    give_back(&tty, fds, &taken, line);
    for (i = 0; i < 2; i++) {
        if (rel[i] >= 0) {
            close(rel[i]);
        }
    }
    for (i = 0; i < ngive; i++) {
        close(give[i]);
    }
    for (i = 0; i < nfds; i++) {
        close(fds[i]);
    }
    if (rl.master >= 0) {
        close(rl.master);
    }
    if (!rl.pty) {
        for (i = 0; i < 2; i++) {
            if (pin[i] >= 0) close(pin[i]);
            if (pout[i] >= 0) close(pout[i]);
            if (perr[i] >= 0) close(perr[i]);
        }
    }
    if (conn >= 0) {
        close(conn);
    }
    return status;
}

static void
json_raw(struct buf *b, const char *text)
{
    buf_append(b, text, strlen(text));
}

/* A JSON string field: ,"name":"value" */
static void
json_field(struct buf *b, const char *name, const char *value)
{
    json_raw(b, ",\"");
    json_raw(b, name);
    json_raw(b, "\":\"");
    jesc_str(b, (const uint8_t *)value, strlen(value));
    json_raw(b, "\"");
}

/*
 * A login session of a recorded user closed without ever handing a
 * terminal over (port forwarding, internal-sftp, a client that never
 * called): one message in the recording format, with no data and an
 * x_tlog_unrecorded field saying so.  Written as the agent's user.
 */
static int
write_unrecorded(const struct recd_agent *a, const struct ucred *cr,
                 const struct recd_request *q, const char *opened)
{
    struct recorder_conf cfg;
    struct ident id;
    struct timespec now;
    struct buf b;
    char err[1024], num[64];
    int r;

    r = ident_get_for(cr->pid, cr->uid, "", getpid(), &id, err, sizeof(err));
    if (r == 0) {
        snprintf(id.user, sizeof(id.user), "%s", q->user);
        id.session = q->session;
        r = recd_priv_drop(a->uid, a->gid, err, sizeof(err));
    }
    if (r == 0) {
        r = open_writer(a, &cfg, &id, err, sizeof(err));
    }
    if (r < 0) {
        fprintf(stderr, PROG ": unrecorded session of %s: %s\n", q->user, err);
        return 1;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    buf_init(&b, 16384);
    json_raw(&b, "{\"ver\":\"2.3\"");
    json_field(&b, "host", id.host);
    json_field(&b, "rec", id.rec);
    json_field(&b, "user", id.user);
    json_field(&b, "term", "");
    snprintf(num, sizeof(num), ",\"session\":%u,\"id\":1,\"pos\":0,"
             "\"time\":%lld.%03ld", (unsigned)id.session,
             (long long)now.tv_sec, now.tv_nsec / 1000000);
    json_raw(&b, num);
    json_raw(&b, ",\"timing\":\"\",\"in_txt\":\"\",\"in_bin\":[],"
             "\"out_txt\":\"\",\"out_bin\":[],\"x_tlog_unrecorded\":{"
             "\"why\":\"no recorder was started in this login session\"");
    json_field(&b, "service", q->service);
    json_field(&b, "tty", q->tty);
    json_field(&b, "rhost", q->rhost);
    json_field(&b, "opened", opened);
    json_raw(&b, "},\"x_tlog_end\":{\"session\":\"unrecorded\"}}");
    r = writer_write(cfg.writer, (const char *)b.data, b.len, 1);
    if (r < 0) {
        fprintf(stderr, PROG ": unrecorded session of %s: %s\n", q->user,
                writer_error(cfg.writer));
    }
    buf_fini(&b);
    writer_free(cfg.writer);
    return r < 0 ? 1 : 0;
}

static int
serve_pam(const struct recd_agent *a, int conn, const struct ucred *cr,
          const struct recd_request *q)
{
    char pam[4096], rec[4096], opened[64];
    struct stat st;
    struct tm tm;
    time_t t;
    int status = 0;

    if (cr->uid != 0) {
        reply(conn, -EPERM, NULL, "only root may report login sessions",
              NULL, 0);
        close(conn);
        return 1;
    }
    state_path(a, "pam", q->session, pam, sizeof(pam));
    state_path(a, "rec", q->session, rec, sizeof(rec));
    if (q->kind == RECD_PAM_OPEN) {
        t = time(NULL);
        gmtime_r(&t, &tm);
        strftime(opened, sizeof(opened), "%Y-%m-%dT%H:%M:%SZ", &tm);
        state_mark(a, "pam", q->session, opened);
    } else if (lstat(pam, &st) == 0) {
        if (lstat(rec, &st) != 0) {
            int fd = open(pam, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            ssize_t n = fd >= 0 ? read(fd, opened, sizeof(opened) - 1) : -1;
            pid_t child;

            opened[n > 0 ? n : 0] = 0;
            if (fd >= 0) {
                close(fd);
            }
            child = fork();
            if (child == 0) {
                _exit(write_unrecorded(a, cr, q, opened));
            }
            if (child > 0) {
                while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
                }
            }
        }
        unlink(pam);
        unlink(rec);
    }
    reply(conn, 0, NULL, NULL, NULL, 0);
    close(conn);
    return 0;
}

int
recd_session_serve(const struct recd_agent *a, int conn)
{
    struct timeval tv = { REQUEST_TIMEOUT_S, 0 };
    struct recd_request q;
    struct ucred cr;
    socklen_t len = sizeof(cr);
    int fds[RECD_FDS_MAX], nfds = 0, r, i, status;

    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
        close(conn);
        return 1;
    }
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    r = recd_recv(conn, &q, sizeof(q), fds, &nfds);
    if (r < 0 || q.magic != RECD_MAGIC || q.version != RECD_VERSION) {
        if (r == 0) {
            reply(conn, -EPROTO, NULL, "unknown request", NULL, 0);
        }
        status = 1;
        goto out;
    }
    /* the strings end inside their fields, whatever was sent */
    q.term[sizeof(q.term) - 1] = 0;
    q.user[sizeof(q.user) - 1] = 0;
    q.service[sizeof(q.service) - 1] = 0;
    q.tty[sizeof(q.tty) - 1] = 0;
    q.rhost[sizeof(q.rhost) - 1] = 0;
    switch (q.kind) {
    case RECD_SESSION:
        status = serve_session(a, conn, &cr, &q);
        break;
    case RECD_PAM_OPEN:
    case RECD_PAM_CLOSE:
        status = serve_pam(a, conn, &cr, &q);
        break;
    default:
        reply(conn, -EPROTO, NULL, "unknown request", NULL, 0);
        close(conn);
        status = 1;
        break;
    }
    conn = -1;
out:
    for (i = 0; i < nfds; i++) {
        close(fds[i]);
    }
    if (conn >= 0) {
        close(conn);
    }
    return status;
}
