/*
 * The agent's relay: one poll loop over bounded, non-blocking channels.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "recd_proto.h"
#include "recording.h"
#include "relay.h"

/* One read's worth, and the most a channel holds for a slow reader */
#define RELAY_CHUNK 65536
/* Once the session's side is gone, how long its last output may take to
 * reach a slow terminal */
#define RELAY_FLUSH_MS 2000
/* Without the terminal as our controlling one (nested sessions), window
 * changes are looked for this often */
#define RELAY_WINSZ_POLL_MS 500
/* Once the shell has ended, its output is over when the PTY has been
 * quiet this long (background jobs may keep it open) */
#define RELAY_QUIET_MS 200
/* Once the session's side has closed, how long the client may take to
 * say how the shell ended */
#define RELAY_WORD_MS 1000

enum { CH_IN, CH_OUT, CH_ERR, CH_N };

/* Bytes on their way from one descriptor to another */
struct chan {
    int from;               /* -1 once it has ended */
    int to;                 /* -1 once it is gone */
    enum pkt_type type;
    bool log;
    size_t len, off;        /* buf[off..len) waits for to */
    uint8_t buf[RELAY_CHUNK];
};

struct relay {
    const struct relay_conf *c;
    struct recording *rec;
    struct chan ch[CH_N];
    int sigfd;
    int ctl;
    int master;             /* PTY: the master, -1 once hung up */
    bool ctty;              /* the user's terminal is our controlling one */
    struct winsize ws;
    bool hangup;            /* the user or a signal ended the session */
    struct timespec next_winsz;
    bool exited;            /* the client said the shell ended */
    int wstatus;            /* how, as its wait status */
    int stopped;            /* the signal that ended the session, or 0 */
    struct timespec last_out;   /* when the session last wrote */
};

static void
set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
}

static void
chan_init(struct chan *ch, int from, int to, enum pkt_type type, bool log)
{
    ch->from = from;
    ch->to = to;
    ch->type = type;
    ch->log = log;
    ch->len = ch->off = 0;
}

static void
close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Follow the user's window: give it to the PTY and record it */
static void
window(struct relay *r, bool force)
{
    struct winsize ws;

    if (!r->c->pty || r->master < 0 ||
        ioctl(r->c->user_in, TIOCGWINSZ, &ws) != 0) {
        return;
    }
    if (!force && ws.ws_col == r->ws.ws_col && ws.ws_row == r->ws.ws_row) {
        return;
    }
    r->ws = ws;
    ioctl(r->master, TIOCSWINSZ, &ws);
    if (r->c->rec->log_window) {
        recording_packet(r->rec, PKT_WINDOW, NULL, 0, ws.ws_col, ws.ws_row);
    }
}

/* The session's master, or its pipes, closed: the shell gets its hangup */
static void
hang_up(struct relay *r)
{
    r->hangup = true;
    if (r->c->pty) {
        /* closing the master is what a hangup is to the shell */
        r->ch[CH_IN].to = -1;
        r->ch[CH_OUT].from = -1;
        close_fd(&r->master);
    } else {
        close_fd(&r->ch[CH_IN].to);
        close_fd(&r->ch[CH_OUT].from);
        close_fd(&r->ch[CH_ERR].from);
    }
}

static void
on_signal(struct relay *r)
{
    struct signalfd_siginfo si;

    while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGWINCH) {
            window(r, false);
        } else {
            if (r->stopped == 0) {
                r->stopped = (int)si.ssi_signo;
            }
            hang_up(r);     /* TERM, INT, HUP */
        }
    }
}

/*
 * The client: it let go of the terminal (make it ours, so that its
 * window changes and its hangup reach us as signals), or the shell ended
 * (say when its output is shown), or it is gone.
 */
static void
on_ctl(struct relay *r)
{
    struct recd_request q;

    if (recd_recv(r->ctl, &q, sizeof(q), NULL, NULL) != 0 ||
        q.magic != RECD_MAGIC) {
        close_fd(&r->ctl);
        return;
    }
    if (q.kind == RECD_RELEASED && r->c->pty && !r->ctty &&
        ioctl(r->c->user_in, TIOCSCTTY, 0) == 0) {
        r->ctty = true;
        window(r, false);
    } else if (q.kind == RECD_EXITED) {
        r->exited = true;
        r->wstatus = (int)q.flags;
    }
}

/* Once the shell ended and its output reached the user: tell the client,
 * which then ends as the shell did */
static void
answer_exit(struct relay *r, const struct timespec *now)
{
    struct recd_reply a;
    struct chan *out = &r->ch[CH_OUT];

    if (!r->exited || r->ctl < 0 || (out->len > 0 && out->to >= 0) ||
        r->ch[CH_ERR].len > 0 ||
        (out->from >= 0 && recording_ms(&r->last_out, now) < RELAY_QUIET_MS)) {
        return;
    }
    memset(&a, 0, sizeof(a));
    a.magic = RECD_MAGIC;
    recd_send(r->ctl, &a, sizeof(a), NULL, 0);
    close_fd(&r->ctl);
}

/* Try to pass on what a channel holds; false if its reader is gone */
static void
flush(struct chan *ch)
{
    while (ch->len > ch->off && ch->to >= 0) {
        ssize_t n = write(ch->to, ch->buf + ch->off, ch->len - ch->off);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                /* the reader is gone for good: what it would have
                 * read is recorded already */
                ch->len = ch->off = 0;
                if (ch->type == PKT_INPUT) {
                    ch->to = -1;
                }
            }
            return;
        }
        ch->off += (size_t)n;
    }
    if (ch->off == ch->len) {
        ch->len = ch->off = 0;
    }
}

/* Read into an empty channel, record, pass on; false at its end */
static bool
fill(struct relay *r, struct chan *ch)
{
    ssize_t n = read(ch->from, ch->buf, sizeof(ch->buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return true;
    }
    if (n <= 0) {
        /* EIO on a PTY master: every holder of the terminal closed it */
        return false;
    }
    if (ch->log) {
        recording_packet(r->rec, ch->type, ch->buf, (size_t)n, 0, 0);
    }
    if (ch->type == PKT_OUTPUT) {
        r->last_out = recording_now();
    }
    if (ch->to < 0) {
        return true;        /* nobody to show it to: recorded all the same */
    }
    ch->len = (size_t)n;
    ch->off = 0;
    flush(ch);
    return true;
}

/* The user's input ended: a terminal hung up, or a pipe's end */
static void
input_ended(struct relay *r)
{
    r->ch[CH_IN].from = -1;
    if (r->c->pty) {
        hang_up(r);
    } else if (r->ch[CH_IN].len == 0) {
        close_fd(&r->ch[CH_IN].to);     /* the command sees end of file */
    }
}

/* Whether the session's side has ended and what it wrote is out */
static bool
done(const struct relay *r)
{
    int i;

    for (i = CH_OUT; i < CH_N; i++) {
        if (r->ch[i].from >= 0 || (r->ch[i].len > 0 && r->ch[i].to >= 0)) {
            return false;
        }
    }
    return true;
}

static void
loop(struct relay *r)
{
    struct timespec flush_by = { 0, 0 };
    bool flushing = false;

    while (!done(r)) {
        struct pollfd p[2 * CH_N + 2];
        int idx_from[CH_N], idx_to[CH_N], i_sig, i_ctl = -1;
        bool hold = recording_held(r->rec);
        int np = 0, i, n, t;
        struct timespec now;

        i_sig = np;
        p[np++] = (struct pollfd){ r->sigfd, POLLIN, 0 };
        if (r->ctl >= 0) {
            i_ctl = np;
            p[np++] = (struct pollfd){ r->ctl, POLLIN, 0 };
        }
        for (i = 0; i < CH_N; i++) {
            struct chan *ch = &r->ch[i];

            idx_from[i] = idx_to[i] = -1;
            /* "delay": while the rate holds messages back, read nothing,
             * so the session waits on its terminal */
            if (ch->from >= 0 && ch->len == 0 && !hold) {
                idx_from[i] = np;
                p[np++] = (struct pollfd){ ch->from, POLLIN, 0 };
            }
            if (ch->len > 0 && ch->to >= 0) {
                idx_to[i] = np;
                p[np++] = (struct pollfd){ ch->to, POLLOUT, 0 };
            }
        }
        t = recording_timeout(r->rec);
        if (r->c->pty && !r->ctty) {
            t = t < 0 || t > RELAY_WINSZ_POLL_MS ? RELAY_WINSZ_POLL_MS : t;
        }
        if (!flushing && r->ch[CH_OUT].from < 0) {
            flushing = true;
            flush_by = recording_now();
            flush_by.tv_sec += RELAY_FLUSH_MS / 1000;
        }
        if (flushing || (r->exited && r->ctl >= 0)) {
            t = t < 0 || t > 50 ? 50 : t;
        }
        n = poll(p, (nfds_t)np, t);
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (n > 0 && p[i_sig].revents) {
            on_signal(r);
        }
        if (i_ctl >= 0 && p[i_ctl].revents) {
            on_ctl(r);
        }
        for (i = 0; n > 0 && i < CH_N; i++) {
            struct chan *ch = &r->ch[i];

            if (idx_to[i] >= 0 && ch->to >= 0 && p[idx_to[i]].revents) {
                flush(ch);
                if (i == CH_IN && ch->len == 0 && ch->from < 0 &&
                    !r->c->pty) {
                    close_fd(&ch->to);
                }
            }
            if (idx_from[i] >= 0 && ch->from >= 0 && p[idx_from[i]].revents &&
                !fill(r, ch)) {
                if (i == CH_IN) {
                    input_ended(r);
                } else if (r->c->pty) {
                    ch->from = -1;  /* the master stays open for writing */
                } else {
                    close_fd(&ch->from);
                }
            }
        }
        now = recording_now();
        if (r->c->pty && !r->ctty && r->master >= 0 &&
            recording_ms(&r->next_winsz, &now) >= 0) {
            window(r, false);
            r->next_winsz = now;
            r->next_winsz.tv_nsec += RELAY_WINSZ_POLL_MS * 1000000L;
            if (r->next_winsz.tv_nsec >= 1000000000L) {
                r->next_winsz.tv_sec++;
                r->next_winsz.tv_nsec -= 1000000000L;
            }
        }
        if (flushing && recording_ms(&flush_by, &now) >= 0) {
            break;      /* the terminal does not take the last output */
        }
        answer_exit(r, &now);
        recording_tick(r->rec);
    }
}

/*
 * How the session ended, for the end message.  The client says what
 * became of the shell; if the session's side closed before it did, wait
 * a little for its word.
 */
static void
how_ended(struct relay *r, char *how, size_t howsz)
{
    struct timespec start = recording_now(), now = start;
    struct pollfd p;

    while (!r->exited && r->stopped == 0 && r->ctl >= 0 &&
           recording_ms(&start, &now) < RELAY_WORD_MS) {
        p = (struct pollfd){ r->ctl, POLLIN, 0 };
        if (poll(&p, 1, RELAY_WORD_MS - (int)recording_ms(&start, &now)) > 0) {
            on_ctl(r);
        }
        now = recording_now();
    }
    if (r->exited) {
        recording_how_wait(r->wstatus, how, howsz);
    } else if (r->stopped != 0) {
        snprintf(how, howsz, "{\"agent\":\"stopped\"}");
    } else if (r->hangup) {
        snprintf(how, howsz, "{\"hangup\":\"terminal\"}");
    } else {
        snprintf(how, howsz, "{\"session\":\"closed\"}");
    }
}

/* Let go of the user's terminal and the PTY (which hangs up whatever
 * still holds it), and say so on c->release */
static void
release(const struct relay_conf *c, const int *user_fd)
{
    const char done = 1;
    int i, k;

    for (i = 0; i < 3; i++) {
        for (k = 0; k < i && user_fd[k] != user_fd[i]; k++) {
        }
        if (user_fd[i] >= 0 && k == i) {
            close(user_fd[i]);
        }
    }
    if (c->master >= 0) {
        close(c->master);
    }
    while (write(c->release, &done, 1) < 0 && errno == EINTR) {
    }
    close(c->release);
}

int
relay_run(const struct relay_conf *c, char *err, size_t errsz)
{
    struct relay *r;
    sigset_t mask;
    char rerr[512], how[64] = "{\"session\":\"closed\"}";
    const int user_fd[3] = { c->user_in, c->user_out, c->user_err };
    int user_fl[3];
    int ret, i;

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        snprintf(err, errsz, "out of memory");
        return -ENOMEM;
    }
    r->c = c;
    r->ctl = c->ctl;
    r->master = c->master;
    r->sigfd = -1;
    ret = recording_open(c->rec, &r->rec, err, errsz);
    if (ret < 0) {
        goto out;
    }
    sigemptyset(&mask);
    sigaddset(&mask, SIGWINCH);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    r->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (r->sigfd < 0) {
        ret = -errno;
        snprintf(err, errsz, "cannot watch signals: %s (check the open"
                 " file limit of the agent)", strerror(errno));
        goto out;
    }

    for (i = 0; i < 3; i++) {
        user_fl[i] = user_fd[i] >= 0 ? fcntl(user_fd[i], F_GETFL) : -1;
    }
    /* field by field: the buffers stay untouched, and unmapped, until
     * they carry something (an idle session costs little) */
    chan_init(&r->ch[CH_IN], c->user_in, c->pty ? c->master : c->child_in,
              PKT_INPUT, c->rec->log_input);
    chan_init(&r->ch[CH_OUT], c->pty ? c->master : c->child_out, c->user_out,
              PKT_OUTPUT, c->rec->log_output);
    chan_init(&r->ch[CH_ERR], c->pty ? -1 : c->child_err, c->user_err,
              PKT_OUTPUT, c->rec->log_output);
    for (i = 0; i < CH_N; i++) {
        if (r->ch[i].from >= 0) {
            set_nonblock(r->ch[i].from);
        }
        if (r->ch[i].to >= 0) {
            set_nonblock(r->ch[i].to);
        }
    }
    window(r, true);
    r->next_winsz = recording_now();
    loop(r);
    how_ended(r, how, sizeof(how));
    /* a pipe's description may be shared with processes outside the
     * session (a terminal is reopened by the agent for itself) */
    for (i = 0; i < 3; i++) {
        if (user_fd[i] >= 0 && user_fl[i] >= 0) {
            fcntl(user_fd[i], F_SETFL, user_fl[i]);
        }
    }
    if (c->release >= 0) {
        release(c, user_fd);
    }

out:
    if (recording_close(r->rec, c->drain_ms, how, rerr, sizeof(rerr)) < 0 &&
        ret == 0) {
        snprintf(err, errsz, "%s", rerr);
        ret = -EIO;
    }
    /* descriptors are all closed by the process's end; the master last,
     * which hangs up whatever still holds the PTY */
    if (r->sigfd >= 0) {
        close(r->sigfd);
    }
    free(r);
    return ret;
}
