/*
 * The playback engine.
 *
 * Time: a packet at recording position P is due at
 * anchor_wall + (P - anchor_pos) / speed; pausing, speed changes and
 * seeks move the anchor.  Fast-forwarding (a goto, a seek, a search)
 * writes packets without waiting until the target is reached.  Seeking
 * back replays the recording from its start, after resetting the screen.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "player.h"
#include "vtf.h"

#define SPEED_MAX 16.0
#define SPEED_MIN (1.0 / 16)
#define SEEK_STEP_MS 10000
#define ENTRY_MAX 64            /* typed goto times and search text */

/* Output collected before a write when not playing to a terminal */
#define OUT_BUF 65536

struct play {
    const struct player_conf *pc;
    uint8_t obuf[OUT_BUF];
    size_t olen;
    struct src *s;
    struct vtf *vtf;
    uint8_t *fbuf;              /* filtered output */
    size_t fcap;
    double speed;
    bool paused;
    int64_t pos;                /* position of the last packet played */
    int64_t anchor_pos;
    int64_t anchor_wall;        /* monotonic ms */
    int64_t ff_to;              /* fast-forward target, or -1 */
    bool have;                  /* pk holds the next packet */
    struct pkt pk;
    uint8_t *pk_data;
    size_t pk_cap;
    bool at_end;                /* the source has nothing more for now */
    bool step;                  /* '.': play the next packet now */
    bool quit;
    /* typing: a goto time (digits and ':') or a search ('/') */
    char entry[ENTRY_MAX + 1];
    size_t entry_len;
    bool searching;             /* typing a search */
    char pattern[ENTRY_MAX + 1];
    bool find;                  /* fast-forwarding to the pattern */
    int64_t find_from;
    uint8_t tail[ENTRY_MAX];    /* last output bytes, for hits across packets */
    size_t tail_len;
    uint8_t keybuf[16];
    size_t keylen;
    bool window_noted;
    int sigfd;
    int64_t poll_ms;            /* follow interval for sources polled */
};

/* Polling a source for more: quick after news, slower while idle */
#define POLL_MIN_MS 100
#define POLL_MAX_MS 2000

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
pkt_ms(const struct pkt *p)
{
    return (int64_t)p->ts.tv_sec * 1000 + p->ts.tv_nsec / 1000000;
}

static void
anchor(struct play *pl)
{
    pl->anchor_pos = pl->pos;
    pl->anchor_wall = now_ms();
}

static void status(struct play *pl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A message on the terminal's bottom row, leaving the screen as it was */
static void
status(struct play *pl, const char *fmt, ...)
{
    char text[256], line[512];
    struct winsize ws;
    va_list ap;
    int n;

    if (!pl->pc->tty) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (ioctl(pl->pc->out_fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) {
        ws.ws_row = 24;
    }
    n = snprintf(line, sizeof(line), "\0337\033[%u;1H\033[0;7m\033[2K%s"
                 "\033[0m\0338", ws.ws_row, text);
    fdio_write_all(pl->pc->out_fd, line, (size_t)n);
}

static bool
hit(struct play *pl, const uint8_t *data, size_t len)
{
    size_t plen = strlen(pl->pattern);
    uint8_t win[2 * ENTRY_MAX];
    size_t i, n;

    /* the pattern may span the previous packet's tail and this one */
    n = pl->tail_len;
    memcpy(win, pl->tail, n);
    i = len < plen ? len : plen;
    memcpy(win + n, data, i);
    n += i;
    if (plen <= n && memmem(win, n, pl->pattern, plen) != NULL) {
        return true;
    }
    if (memmem(data, len, pl->pattern, plen) != NULL) {
        return true;
    }
    if (len >= plen - 1) {
        pl->tail_len = plen - 1;
        memcpy(pl->tail, data + len - pl->tail_len, pl->tail_len);
    } else {
        size_t keep = plen - 1 - len < pl->tail_len ?
                      plen - 1 - len : pl->tail_len;

        memmove(pl->tail, pl->tail + pl->tail_len - keep, keep);
        memcpy(pl->tail + keep, data, len);
        pl->tail_len = keep + len;
    }
    return false;
}

/* Write what is collected */
static int
flush_out(struct play *pl)
{
    int rc = fdio_write_all(pl->pc->out_fd, pl->obuf, pl->olen);

    pl->olen = 0;
    return rc;
}

/*
 * Write to the output: at once to a terminal (it is being watched), in
 * large writes to a file or pipe, flushed before any wait.
 */
static int
put(struct play *pl, const uint8_t *data, size_t len)
{
    int rc;

    if (pl->pc->tty || len >= OUT_BUF) {
        rc = flush_out(pl);
        return rc < 0 ? rc : fdio_write_all(pl->pc->out_fd, data, len);
    }
    if (pl->olen + len > OUT_BUF) {
        rc = flush_out(pl);
        if (rc < 0) {
            return rc;
        }
    }
    memcpy(pl->obuf + pl->olen, data, len);
    pl->olen += len;
    return 0;
}

static int
output(struct play *pl, const struct pkt *p)
{
    const uint8_t *data = p->data;
    size_t len = p->len;

    if (p->type == PKT_WINDOW) {
        struct winsize ws;

        if (pl->pc->tty && !pl->window_noted &&
            ioctl(pl->pc->out_fd, TIOCGWINSZ, &ws) == 0 &&
            (ws.ws_col != p->width || ws.ws_row != p->height)) {
            pl->window_noted = true;
            status(pl, "recorded on a %ux%u terminal, playing on %ux%u: the"
                   " screen may look garbled", p->width, p->height,
                   ws.ws_col, ws.ws_row);
        }
        return 0;
    }
    if (p->type != PKT_OUTPUT) {
        return 0;
    }
    if (pl->find && hit(pl, data, len)) {
        pl->find = false;
        pl->ff_to = -1;
        pl->paused = true;
        pl->pos = pkt_ms(p);
        anchor(pl);
    }
    if (pl->pc->tty && !pl->pc->raw) {
        if (pl->fcap < len + VTF_SEQ_MAX) {
            uint8_t *b = realloc(pl->fbuf, len + VTF_SEQ_MAX);

            if (b == NULL) {
                return -ENOMEM;
            }
            pl->fbuf = b;
            pl->fcap = len + VTF_SEQ_MAX;
        }
        len = vtf_filter(pl->vtf, data, len, pl->fbuf);
        data = pl->fbuf;
    }
    return put(pl, data, len);
}

/* Go to position target: forward by fast-forwarding, back by replaying */
static int
seek(struct play *pl, int64_t target, char *err, size_t errsz)
{
    int rc;

    if (target < 0) {
        target = 0;
    }
    if (target < pl->pos) {
        rc = src_rewind(pl->s, err, errsz);
        if (rc < 0) {
            return rc;
        }
        vtf_reset(pl->vtf);
        /* a full reset of the screen, then everything up to the target */
        if (pl->pc->tty) {
            fdio_write_all(pl->pc->out_fd, "\033c", 2);
        }
        pl->pos = 0;
        pl->have = false;
        pl->at_end = false;
        pl->window_noted = false;
    }
    pl->ff_to = target;
    return 0;
}

/* Parse a typed goto time and go there; G alone goes to the end */
static int
typed_goto(struct play *pl, char *err, size_t errsz)
{
    int64_t ms = PLAYER_END;

    pl->entry[pl->entry_len] = 0;
    if (pl->entry_len > 0 && player_parse_time(pl->entry, &ms) < 0) {
        status(pl, "not a time: %s", pl->entry);
        pl->entry_len = 0;
        return 0;
    }
    pl->entry_len = 0;
    if (ms == PLAYER_END) {
        pl->ff_to = PLAYER_END;
        return 0;
    }
    return seek(pl, ms, err, errsz);
}

static const char HELP[] =
    "space/p pause  {/} speed  backspace 1x  . step  NG go to N  G end"
    "  <-/-> 10 s  / search  q quit";

/* Handle one key (or an arrow, as 'L' or 'R') */
static int
key(struct play *pl, int k, char *err, size_t errsz)
{
    if (pl->searching) {
        if (k == '\r' || k == '\n') {
            pl->searching = false;
            pl->entry[pl->entry_len] = 0;
            if (pl->entry_len > 0) {
                memcpy(pl->pattern, pl->entry, pl->entry_len + 1);
                pl->find = true;
                pl->find_from = pl->pos;
                pl->tail_len = 0;
                pl->ff_to = PLAYER_END;
                pl->paused = false;
            }
            pl->entry_len = 0;
        } else if (k == 0x1B) {
            pl->searching = false;
            pl->entry_len = 0;
        } else if ((k == 0x7F || k == 0x08) && pl->entry_len > 0) {
            pl->entry_len--;
        } else if (k >= 0x20 && k < 0x7F && pl->entry_len < ENTRY_MAX) {
            pl->entry[pl->entry_len++] = (char)k;
        }
        if (pl->searching) {
            pl->entry[pl->entry_len] = 0;
            status(pl, "/%s", pl->entry);
        }
        return 0;
    }
    if ((k >= '0' && k <= '9') || k == ':') {
        if (pl->entry_len < ENTRY_MAX) {
            pl->entry[pl->entry_len++] = (char)k;
        }
        return 0;
    }
    if (k != 'G') {
        pl->entry_len = 0;
    }
    switch (k) {
    case ' ':
    case 'p':
        pl->paused = !pl->paused;
        anchor(pl);
        break;
    case '}':
        anchor(pl);
        pl->speed = pl->speed * 2 > SPEED_MAX ? SPEED_MAX : pl->speed * 2;
        break;
    case '{':
        anchor(pl);
        pl->speed = pl->speed / 2 < SPEED_MIN ? SPEED_MIN : pl->speed / 2;
        break;
    case 0x7F:
    case 0x08:
        anchor(pl);
        pl->speed = 1.0;
        break;
    case '.':
        pl->step = true;
        break;
    case 'G':
        return typed_goto(pl, err, errsz);
    case 'R':
        return seek(pl, pl->pos + SEEK_STEP_MS, err, errsz);
    case 'L':
        return seek(pl, pl->pos - SEEK_STEP_MS, err, errsz);
    case '/':
        pl->searching = true;
        pl->entry_len = 0;
        status(pl, "/");
        break;
    case '?':
        status(pl, "%s", HELP);
        break;
    case 'q':
    case 0x03:      /* ^C: raw mode turns it into a key */
        if (!pl->pc->persist) {
            pl->quit = true;
        }
        break;
    default:
        break;
    }
    return 0;
}

/* Read keys; arrows come as ESC [ C / ESC [ D (or ESC O C / D) */
static int
read_keys(struct play *pl, char *err, size_t errsz)
{
    ssize_t n = read(pl->pc->key_fd, pl->keybuf + pl->keylen,
                     sizeof(pl->keybuf) - pl->keylen);
    size_t i = 0;
    int rc = 0;

    if (n <= 0) {
        return 0;
    }
    pl->keylen += (size_t)n;
    while (i < pl->keylen && rc == 0) {
        uint8_t *k = pl->keybuf + i;
        size_t left = pl->keylen - i;

        if (k[0] == 0x1B && left >= 3 && (k[1] == '[' || k[1] == 'O') &&
            (k[2] == 'C' || k[2] == 'D')) {
            rc = key(pl, k[2] == 'C' ? 'R' : 'L', err, errsz);
            i += 3;
        } else if (k[0] == 0x1B && left < 3 && !pl->searching) {
            break;      /* the rest of an arrow may follow */
        } else {
            rc = key(pl, k[0], err, errsz);
            i++;
        }
    }
    memmove(pl->keybuf, pl->keybuf + i, pl->keylen - i);
    pl->keylen -= i;
    return rc;
}

static int
take(struct play *pl, char *err, size_t errsz)
{
    int rc = src_next(pl->s, &pl->pk, err, errsz);

    if (rc <= 0) {
        if (rc == 0) {
            pl->at_end = true;
        }
        return rc;
    }
    /* keep the data: the source may reuse its buffer */
    if (pl->pk.len > pl->pk_cap) {
        uint8_t *b = realloc(pl->pk_data, pl->pk.len);

        if (b == NULL) {
            snprintf(err, errsz, "out of memory keeping a packet");
            return -ENOMEM;
        }
        pl->pk_data = b;
        pl->pk_cap = pl->pk.len;
    }
    if (pl->pk.len > 0) {
        memcpy(pl->pk_data, pl->pk.data, pl->pk.len);
    }
    pl->pk.data = pl->pk_data;
    pl->have = true;
    return 1;
}

/* When the pending packet is due, in ms from now (0: now, -1: never) */
static int64_t
due_in(struct play *pl)
{
    int64_t t = pkt_ms(&pl->pk);
    int64_t gap = t - pl->pos;

    if (pl->step || (pl->ff_to >= 0 && t <= pl->ff_to) ||
        pl->ff_to == PLAYER_END) {
        return 0;
    }
    if (pl->paused) {
        return -1;
    }
    /* a long pause plays as max_idle */
    if (pl->pc->max_idle_ms > 0 && gap > pl->pc->max_idle_ms) {
        pl->anchor_pos += gap - pl->pc->max_idle_ms;
        pl->pos = t - pl->pc->max_idle_ms;
    }
    t = pl->anchor_wall + (int64_t)((double)(t - pl->anchor_pos) / pl->speed);
    t -= now_ms();
    return t < 0 ? 0 : t;
}

static int
loop(struct play *pl, char *err, size_t errsz)
{
    int rc;

    while (!pl->quit) {
        struct pollfd p[3];
        int np = 0, ik = -1, iw = -1, is = -1;
        int64_t wait = -1;

        if (!pl->have && !pl->at_end) {
            rc = take(pl, err, errsz);
            if (rc < 0) {
                return rc;
            }
            if (rc > 0) {
                pl->poll_ms = POLL_MIN_MS;
            }
            continue;
        }
        if (pl->have) {
            wait = due_in(pl);
            if (wait == 0) {
                rc = output(pl, &pl->pk);
                if (rc < 0) {
                    snprintf(err, errsz, "cannot write the output: %s",
                             strerror(-rc));
                    return rc;
                }
                pl->have = false;
                /* a step goes on to the next output the auditor can see */
                if (pl->pk.type == PKT_OUTPUT && pl->pk.len > 0) {
                    pl->step = false;
                }
                pl->pos = pkt_ms(&pl->pk);
                if (pl->ff_to >= 0 && pl->ff_to != PLAYER_END &&
                    pl->pos >= pl->ff_to) {
                    pl->ff_to = -1;
                    anchor(pl);
                }
                continue;
            }
        } else {
            /* at the end */
            if (pl->find) {
                pl->find = false;
                rc = seek(pl, pl->find_from, err, errsz);
                if (rc < 0) {
                    return rc;
                }
                pl->paused = true;
                status(pl, "not found: %s", pl->pattern);
                continue;
            }
            if (pl->ff_to == PLAYER_END) {
                pl->ff_to = -1;
                anchor(pl);
            }
            if (!pl->pc->follow) {
                return 0;
            }
            iw = np;
            p[np++] = (struct pollfd){ src_wait_fd(pl->s), POLLIN, 0 };
            /* a source without a descriptor is asked again, more often
             * while a live session is producing */
            if (p[iw].fd < 0) {
                wait = pl->poll_ms;
                pl->poll_ms = pl->poll_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS :
                              pl->poll_ms * 2;
            } else {
                wait = 1000;
            }
        }
        if (pl->pc->key_fd >= 0) {
            ik = np;
            p[np++] = (struct pollfd){ pl->pc->key_fd, POLLIN, 0 };
        }
        if (pl->sigfd >= 0) {
            is = np;
            p[np++] = (struct pollfd){ pl->sigfd, POLLIN, 0 };
        }
        if (pl->olen > 0 && flush_out(pl) < 0) {
            snprintf(err, errsz, "cannot write the output: %s",
                     strerror(errno));
            return -EIO;
        }
        rc = poll(p, (nfds_t)np, wait > INT32_MAX ? INT32_MAX : (int)wait);
        if (rc < 0 && errno != EINTR) {
            snprintf(err, errsz, "poll failed: %s", strerror(errno));
            return -errno;
        }
        if (rc > 0 && is >= 0 && p[is].revents) {
            struct signalfd_siginfo si;

            if (read(pl->sigfd, &si, sizeof(si)) == sizeof(si) &&
                !(pl->pc->persist && si.ssi_signo == SIGINT)) {
                return 0;
            }
        }
        if (rc > 0 && ik >= 0 && p[ik].revents) {
            if (p[ik].revents & (POLLHUP | POLLERR | POLLNVAL)) {
                return 0;   /* the auditor's terminal went away */
            }
            rc = read_keys(pl, err, errsz);
            if (rc < 0) {
                return rc;
            }
        }
        if (iw >= 0) {
            if (p[iw].fd >= 0 && (p[iw].revents & POLLIN)) {
                src_waited(pl->s);
            }
            pl->at_end = false;     /* look again */
        }
    }
    return 0;
}

int
player_run(struct src *s, const struct player_conf *pc, char *err,
           size_t errsz)
{
    struct play pl;
    sigset_t mask;
    int rc;

    memset(&pl, 0, sizeof(pl));
    pl.pc = pc;
    pl.s = s;
    pl.speed = pc->speed > 0 ? pc->speed : 1.0;
    pl.paused = pc->paused;
    pl.ff_to = pc->goto_ms;
    pl.sigfd = -1;
    pl.poll_ms = POLL_MIN_MS;
    rc = vtf_new(&pl.vtf);
    if (rc < 0) {
        return rc;
    }
    if (pc->tty) {
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        pl.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    }
    anchor(&pl);
    rc = loop(&pl, err, errsz);
    if (pl.olen > 0 && flush_out(&pl) < 0 && rc == 0) {
        snprintf(err, errsz, "cannot write the output: %s", strerror(errno));
        rc = -EIO;
    }
    if (pc->tty) {
        /* leave the terminal usable whatever the recording did */
        fdio_write_all(pc->out_fd, "\033[0m\033[?25h\r\n", 12);
    }
    if (pl.sigfd >= 0) {
        close(pl.sigfd);
    }
    vtf_free(pl.vtf);
    free(pl.fbuf);
    free(pl.pk_data);
    return rc;
}

int
player_parse_time(const char *s, int64_t *ms)
{
    int64_t part[3] = { 0, 0, 0 }, v = 0, frac = 0;
    int nparts = 0, fdigits = 0;
    const char *p;

    if (!strcmp(s, "start")) {
        *ms = 0;
        return 0;
    }
    if (!strcmp(s, "end")) {
        *ms = PLAYER_END;
        return 0;
    }
    if (*s == 0) {
        return -EINVAL;
    }
    for (p = s; *p && *p != '.'; p++) {
        if (*p == ':') {
            if (nparts == 2) {
                return -EINVAL;
            }
            part[nparts++] = v;
            v = 0;
        } else if (*p >= '0' && *p <= '9' && v < 100000000) {
            v = v * 10 + (*p - '0');
        } else {
            return -EINVAL;
        }
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (fdigits < 3) {
                frac = frac * 10 + (*p - '0');
                fdigits++;
            }
        }
        if (*p != 0) {
            return -EINVAL;
        }
        for (; fdigits < 3; fdigits++) {
            frac *= 10;
        }
    }
    /* the parts before the seconds: minutes, then hours */
    if (nparts == 2) {
        v += part[1] * 60 + part[0] * 3600;
    } else if (nparts == 1) {
        v += part[0] * 60;
    }
    *ms = v * 1000 + frac;
    return 0;
}
