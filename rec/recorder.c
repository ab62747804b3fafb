/*
 * The recording engine: one poll loop over the signal descriptor, the
 * user's input, and the command's terminal or pipes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <utempter.h>

#include "fdio.h"
#include "recorder.h"
#include "recording.h"

#define IO_CHUNK 65536
/* After the command exits, output still coming is read until the
 * terminal is quiet this long (background jobs may keep it open) */
#define DRAIN_QUIET_MS 200
/* How long queued messages may take to go out at the end */
#define DRAIN_WRITER_MS 5000
/* After INT, TERM or HUP, how long the command has to exit on its hangup
 * before it is killed */
#define HANGUP_GRACE_MS 2000

struct rec {
    const struct recorder_conf *cfg;
    bool pty;
    int master;             /* PTY master, or -1 */
    int to_child;           /* child's input: master or a pipe */
    int from_child[2];      /* child's output: master, or its stdout and
                             * stderr pipes */
    int sigfd;
    pid_t child;
    bool child_done;
    int status;
    bool tty_saved;
    struct termios saved;
    bool utmp;
    struct recording *recording;
    /* input read from the user, not yet taken by the child */
    uint8_t inbuf[IO_CHUNK];
    size_t in_len;
    size_t in_off;
    bool stdin_open;
    int end_signal;         /* a signal that ended the recording */
    int wstatus;            /* the command's wait status, once reaped */
    struct timespec end_at; /* when it came */
};

/* Record a packet; a failure is kept for the end, never shown mid-session */
static void
record(struct rec *r, enum pkt_type type, const uint8_t *data, size_t len,
       unsigned short w, unsigned short h)
{
    recording_packet(r->recording, type, data, len, w, h);
}

static void
record_window(struct rec *r)
{
    struct winsize ws;

    if (!r->pty || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0) {
        return;
    }
    ioctl(r->master, TIOCSWINSZ, &ws);
    if (r->cfg->log_window) {
        record(r, PKT_WINDOW, NULL, 0, ws.ws_col, ws.ws_row);
    }
}

static void
child_exec(const struct recorder_conf *cfg, const sigset_t *old)
{
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, old, NULL);
    execv(cfg->path, cfg->argv);
    fprintf(stderr, "%s: cannot run %s: %s\r\n", cfg->prog, cfg->path,
            strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

static int
start_pty(struct rec *r, const sigset_t *old, char *err, size_t errsz)
{
    struct termios raw;
    struct winsize ws;
    int slave;

    if (tcgetattr(STDIN_FILENO, &r->saved) != 0 ||
        ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0) {
        snprintf(err, errsz, "cannot read the terminal settings: %s",
                 strerror(errno));
        return -errno;
    }
    /* the new terminal starts as the user's */
    if (openpty(&r->master, &slave, NULL, &r->saved, &ws) != 0) {
        snprintf(err, errsz, "cannot open a pseudo-terminal: %s",
                 strerror(errno));
        return -errno;
    }
    fcntl(r->master, F_SETFD, FD_CLOEXEC);
    r->child = fork();
    if (r->child < 0) {
        snprintf(err, errsz, "cannot fork: %s", strerror(errno));
        close(slave);
        return -errno;
    }
    if (r->child == 0) {
        setsid();
        ioctl(slave, TIOCSCTTY, 0);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        if (slave > 2) {
            close(slave);
        }
        child_exec(r->cfg, old);
    }
    close(slave);
    /* who(1) shows the session; failure to add it is not fatal */
    r->utmp = utempter_add_record(r->master, NULL) == 1;
    raw = r->saved;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0) {
        r->tty_saved = true;
    }
    r->to_child = r->master;
    r->from_child[0] = r->master;
    r->from_child[1] = -1;
    if (r->cfg->log_window) {
        record(r, PKT_WINDOW, NULL, 0, ws.ws_col, ws.ws_row);
    }
    return 0;
}

static int
start_pipes(struct rec *r, const sigset_t *old, char *err, size_t errsz)
{
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };

    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
        snprintf(err, errsz, "cannot make pipes: %s", strerror(errno));
        return -errno;
    }
    r->child = fork();
    if (r->child < 0) {
        snprintf(err, errsz, "cannot fork: %s", strerror(errno));
        return -errno;
    }
    if (r->child == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(er[1], 2);
        child_exec(r->cfg, old);
    }
    close(in[0]);
    close(out[1]);
    close(er[1]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    r->to_child = in[1];
    r->from_child[0] = out[0];
    r->from_child[1] = er[0];
    return 0;
}

static void
close_to_child(struct rec *r)
{
    if (!r->pty && r->to_child >= 0) {
        close(r->to_child);
    }
    r->to_child = -1;
    r->in_len = r->in_off = 0;
}

static void
on_signal(struct rec *r)
{
    struct signalfd_siginfo si;
    int st;

    while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGCHLD:
            if (!r->child_done && waitpid(r->child, &st, WNOHANG) == r->child) {
                r->child_done = true;
                r->wstatus = st;
                r->status = WIFEXITED(st) ? WEXITSTATUS(st) :
                            128 + WTERMSIG(st);
            }
            break;
        case SIGWINCH:
            record_window(r);
            break;
        default:
            /* INT, TERM, HUP: end the session as a hangup would */
            if (r->end_signal == 0) {
                r->end_signal = (int)si.ssi_signo;
                r->end_at = recording_now();
                kill(r->pty ? -r->child : r->child, SIGHUP);
                kill(r->child, SIGCONT);
            }
            break;
        }
    }
}

/*
 * Read the user's input into inbuf, recording it if asked, for
 * to_child() to pass on.  At its end, a piped command's input is closed;
 * a terminal that cannot be read any more hangs the command up.
 */
static void
on_stdin(struct rec *r)
{
    ssize_t n = read(STDIN_FILENO, r->inbuf, sizeof(r->inbuf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        /* End of input alone does not end the recording: a piped
         * command still runs to its end.  A PTY is hung up instead. */
        r->stdin_open = false;
        if (r->pty) {
            if (n < 0) {
                kill(-r->child, SIGHUP);
            }
        } else {
            close_to_child(r);
        }
        return;
    }
    if (r->cfg->log_input) {
        record(r, PKT_INPUT, r->inbuf, (size_t)n, 0, 0);
    }
    r->in_len = (size_t)n;
    r->in_off = 0;
}

static void
to_child(struct rec *r)
{
    ssize_t n = write(r->to_child, r->inbuf + r->in_off, r->in_len - r->in_off);

    if (n < 0) {
        if (errno != EINTR && errno != EAGAIN) {
            close_to_child(r);  /* the command stopped reading for good */
        }
        return;
    }
    r->in_off += (size_t)n;
    if (r->in_off == r->in_len) {
        r->in_len = r->in_off = 0;
    }
}

/* Pass output on and record it; false once that output has ended */
static bool
from_child(struct rec *r, int i)
{
    static uint8_t buf[IO_CHUNK];
    ssize_t n = read(r->from_child[i], buf, sizeof(buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return true;
    }
    if (n <= 0) {
        /* EIO on a PTY master: every holder of the terminal closed it */
        return false;
    }
    if (r->cfg->log_output) {
        record(r, PKT_OUTPUT, buf, (size_t)n, 0, 0);
    }
    fdio_write_all(i == 0 ? STDOUT_FILENO : STDERR_FILENO, buf, (size_t)n);
    return true;
}

static int
poll_timeout(struct rec *r)
{
    int t = recording_timeout(r->recording);

    if (r->child_done || r->end_signal) {
        t = t < 0 || t > DRAIN_QUIET_MS ? DRAIN_QUIET_MS : t;
    }
    return t;
}

static void
loop(struct rec *r)
{
    bool open_out[2] = { r->from_child[0] >= 0, r->from_child[1] >= 0 };

    for (;;) {
        struct pollfd p[5];
        int np = 0, i_sig, i_in = -1, i_to = -1, i_out[2] = { -1, -1 };
        struct timespec now;
        bool hold = recording_held(r->recording);
        int i, n;

        if (!open_out[0] && !open_out[1] && (r->child_done || r->pty)) {
            break;
        }
        i_sig = np;
        p[np++] = (struct pollfd){ r->sigfd, POLLIN, 0 };
        /* "delay": while the rate holds messages back, read nothing, so
         * the command waits on its terminal */
        if (!hold && r->stdin_open && r->in_len == 0 && r->to_child >= 0) {
            i_in = np;
            p[np++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
        }
        if (r->in_len > 0 && r->to_child >= 0) {
            i_to = np;
            p[np++] = (struct pollfd){ r->to_child, POLLOUT, 0 };
        }
        for (i = 0; i < 2; i++) {
            if (open_out[i] && !hold) {
                i_out[i] = np;
                p[np++] = (struct pollfd){ r->from_child[i], POLLIN, 0 };
            }
        }
        n = poll(p, (nfds_t)np, poll_timeout(r));
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (n == 0 && r->child_done) {
            break;      /* the command is gone and its terminal is quiet */
        }
        if (n > 0 && p[i_sig].revents) {
            on_signal(r);
        }
        if (i_in >= 0 && p[i_in].revents) {
            on_stdin(r);
        }
        if (i_to >= 0 && p[i_to].revents) {
            to_child(r);
        }
        for (i = 0; i < 2; i++) {
            if (i_out[i] >= 0 && p[i_out[i]].revents &&
                !from_child(r, i)) {
                open_out[i] = false;
            }
        }
        now = recording_now();
        if (r->end_signal && !r->child_done &&
            recording_ms(&r->end_at, &now) > HANGUP_GRACE_MS) {
            kill(r->pty ? -r->child : r->child, SIGKILL);
            kill(r->child, SIGKILL);
        }
        recording_tick(r->recording);
    }
}

static void
semaphore(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd >= 0) {
        fdio_write_all(fd, (const uint8_t *)"READY", 5);
        close(fd);
    }
}

int
recorder_run(const struct recorder_conf *cfg, int *status, char *err,
             size_t errsz)
{
    struct rec r;
    sigset_t mask, old;
    char rerr[512], how[64];
    int st, ret = 0;

    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.master = r.to_child = -1;
    r.from_child[0] = r.from_child[1] = -1;
    r.sigfd = -1;
    r.child = -1;
    r.stdin_open = true;

    ret = recording_open(cfg, &r.recording, err, errsz);
    if (ret < 0) {
        goto out;
    }

    /* Signals arrive through a descriptor, handled in the loop */
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGWINCH);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, &old);
    signal(SIGPIPE, SIG_IGN);
    r.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (r.sigfd < 0) {
        ret = -errno;
        snprintf(err, errsz, "cannot watch signals: %s", strerror(errno));
        goto out;
    }

    /* Only to a terminal: on pipes it would corrupt scp and sftp */
    if (cfg->notice != NULL && *cfg->notice && isatty(STDOUT_FILENO)) {
        fdio_write_all(STDOUT_FILENO, (const uint8_t *)cfg->notice,
                  strlen(cfg->notice));
    }
    r.pty = isatty(STDIN_FILENO);
    ret = r.pty ? start_pty(&r, &old, err, errsz) :
                  start_pipes(&r, &old, err, errsz);
    if (ret < 0) {
        goto out;
    }
    if (cfg->semaphore != NULL) {
        semaphore(cfg->semaphore);
    }
    loop(&r);

out:
    if (r.child > 0 && !r.child_done) {
        /* the terminal closed before the command was reaped */
        if (waitpid(r.child, &st, 0) == r.child) {
            r.child_done = true;
            r.wstatus = st;
            r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
    }
    if (r.tty_saved) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &r.saved);
    }
    if (r.utmp) {
        utempter_remove_record(r.master);
    }
    if (r.child_done) {
        recording_how_wait(r.wstatus, how, sizeof(how));
    } else {
        /* never started, or not reaped: what stopped the recording */
        recording_how_wait(r.end_signal ? r.end_signal : 1 << 8, how,
                           sizeof(how));
    }
    if (recording_close(r.recording, DRAIN_WRITER_MS, how, rerr,
                        sizeof(rerr)) < 0 && ret == 0) {
        snprintf(err, errsz, "%s", rerr);
        ret = -EIO;
    }
    *status = r.end_signal ? 128 + r.end_signal : r.status;
    if (r.master >= 0) {
        close(r.master);
    }
    if (!r.pty) {
        if (r.to_child >= 0) {
            close(r.to_child);
        }
        if (r.from_child[0] >= 0) {
            close(r.from_child[0]);
        }
        if (r.from_child[1] >= 0) {
            close(r.from_child[1]);
        }
    }
    if (r.sigfd >= 0) {
        close(r.sigfd);
    }
    return ret;
}
