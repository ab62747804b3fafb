/*
 * Message writers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "writer.h"

enum kind { W_FILE, W_SYSLOG, W_JOURNAL };

/*
 * A syslog daemon takes datagrams without a word back: those in its
 * socket's buffer, or in its memory on their way to its queue, are gone
 * when it dies.  So the messages sent in the last RESEND_MS, and any it
 * has not read yet (at most RESEND_MAX bytes), are kept, and sent again once the daemon is found to
 * have gone (a send refused) or to have been started again (its socket
 * is another file).  A store that keeps each message id once (the
 * project's rsyslog configuration does) takes the copies as duplicates.
 */
#define RESEND_MS 2000
#define RESEND_MAX (1024 * 1024)

struct sent {
    struct sent *next;
    uint64_t at_ms;
    uint64_t id;
    size_t len;
    char json[];
};

struct writer {
    enum kind kind;
    int fd;
    char *name;
    char error[512];
    /* syslog */
    struct sockaddr_un addr;
    char ident[64];
    int pri;
    struct sent *sent;          /* the last messages sent, oldest first */
    struct sent *sent_tail;
    struct sent *resend;        /* the first of them to send again */
    size_t sent_bytes;
    bool lost;                  /* the daemon was found gone */
    uint64_t last_ms;           /* when the last message was sent */
    bool sock_known;            /* the socket file it was last sent to: */
    struct stat sock;
    /* journal */
    struct writer_journal_conf jc;
    char *jrec;
    char *juser;
};

const char *const writer_facility_names[] = {
    "auth", "authpriv", "cron", "daemon", "ftp", "kern", "local0", "local1",
    "local2", "local3", "local4", "local5", "local6", "local7", "lpr", "mail",
    "news", "syslog", "user", "uucp", NULL,
};
static const int facility_values[] = {
    LOG_AUTH, LOG_AUTHPRIV, LOG_CRON, LOG_DAEMON, LOG_FTP, LOG_KERN,
    LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5,
    LOG_LOCAL6, LOG_LOCAL7, LOG_LPR, LOG_MAIL, LOG_NEWS, LOG_SYSLOG,
    LOG_USER, LOG_UUCP,
};
const char *const writer_priority_names[] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
    NULL,
};

int
writer_facility(const char *name)
{
    int i;

    for (i = 0; writer_facility_names[i] != NULL; i++) {
        if (strcmp(writer_facility_names[i], name) == 0) {
            return facility_values[i];
        }
    }
    return -1;
}

int
writer_priority(const char *name)
{
    int i;

    for (i = 0; writer_priority_names[i] != NULL; i++) {
        if (strcmp(writer_priority_names[i], name) == 0) {
            return i;       /* LOG_EMERG is 0 ... LOG_DEBUG is 7 */
        }
    }
    return -1;
}

static struct writer *
writer_alloc(enum kind kind, const char *name)
{
    struct writer *w = calloc(1, sizeof(*w));

    if (w == NULL) {
        return NULL;
    }
    w->kind = kind;
    w->fd = -1;
    w->name = strdup(name);
    if (w->name == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

int
writer_open_file(const char *path, struct writer **pw, char *err, size_t errsz)
{
    struct writer *w = writer_alloc(W_FILE, path);
    int rc;

    if (w == NULL) {
        snprintf(err, errsz, "out of memory opening %s", path);
        return -ENOMEM;
    }
    w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        rc = -errno;
        snprintf(err, errsz, "cannot open %s for writing: %s", path,
                 strerror(-rc));
        writer_free(w);
        return rc;
    }
    *pw = w;
    return 0;
}

int
writer_open_syslog(const struct writer_syslog_conf *sc, struct writer **pw,
                   char *err, size_t errsz)
{
    struct writer *w;
    int rc;

    if (strlen(sc->socket) >= sizeof(w->addr.sun_path)) {
        snprintf(err, errsz, "syslog socket path %s is too long", sc->socket);
        return -EINVAL;
    }
    w = writer_alloc(W_SYSLOG, sc->socket);
    if (w == NULL) {
        snprintf(err, errsz, "out of memory opening the syslog socket"
                 " %s", sc->socket);
        return -ENOMEM;
    }
    w->addr.sun_family = AF_UNIX;
    strcpy(w->addr.sun_path, sc->socket);
    snprintf(w->ident, sizeof(w->ident), "%s", sc->ident);
    w->pri = sc->facility | sc->priority;
    w->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (w->fd < 0) {
        rc = -errno;
        snprintf(err, errsz, "cannot make a syslog socket: %s", strerror(-rc));
        writer_free(w);
        return rc;
    }
    *pw = w;
    return 0;
}

int
writer_open_journal(const struct writer_journal_conf *jc, struct writer **pw,
                    char *err, size_t errsz)
{
    struct writer *w = writer_alloc(W_JOURNAL, "the journal");

    if (w == NULL) {
        snprintf(err, errsz, "out of memory opening the journal");
        return -ENOMEM;
    }
    w->jc = *jc;
    w->jrec = strdup(jc->rec ? jc->rec : "");
    w->juser = strdup(jc->user ? jc->user : "");
    if (w->jrec == NULL || w->juser == NULL) {
        writer_free(w);
        snprintf(err, errsz, "out of memory opening the journal");
        return -ENOMEM;
    }
    *pw = w;
    return 0;
}

static int
fail(struct writer *w, int e, const char *what)
{
    snprintf(w->error, sizeof(w->error), "%s: %s failed: %s", w->name, what,
             strerror(e));
    return -e;
}

/* Bytes in the file before a write, or -1 if it is not a regular file
 * (a pipe, a terminal: nothing there to take back) */
static off_t
file_end(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        return -1;
    }
    return st.st_size;
}

/*
 * Write one line whole or not at all.  The file is locked for the write
 * (flock, which every file writer takes), so its end is where this line
 * starts: after a failure (a full disk) the file is cut back there, and
 * the sink retries the whole message later.  Going on after a failed
 * partial write instead would put the rest on the partial line and fuse
 * two messages into one line no reader can take.  A line left unfinished
 * by a writer that died in the middle of it is ended first, so that this
 * one starts a line of its own.
 */
static int
write_file(struct writer *w, const char *json, size_t len)
{
    struct iovec iov[3];
    int i = 1, rc;
    bool locked;
    off_t start;
    ssize_t n;
    char last;

    while ((rc = flock(w->fd, LOCK_EX)) < 0 && errno == EINTR) {
    }
    /* without locks (some network file systems) lines stay whole as long
     * as one writer at a time fails */
    locked = rc == 0;
    rc = 0;
    start = file_end(w->fd);
    if (start > 0 && pread(w->fd, &last, 1, start - 1) == 1 && last != '\n') {
        i = 0;
    }
    iov[0].iov_base = (void *)"\n";
    iov[0].iov_len = 1;
    iov[1].iov_base = (void *)json;
    iov[1].iov_len = len;
    iov[2].iov_base = (void *)"\n";
    iov[2].iov_len = 1;
    while (i < 3) {
        n = writev(w->fd, iov + i, 3 - i);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = fail(w, errno, "write");
            break;
        }
        /* A short write (a signal, or the disk filling up) goes on where
         * it stopped; if the disk is full, the next write says so */
        while (i < 3 && (size_t)n >= iov[i].iov_len) {
            n -= (ssize_t)iov[i].iov_len;
            i++;
        }
        if (i < 3) {
            iov[i].iov_base = (char *)iov[i].iov_base + n;
            iov[i].iov_len -= (size_t)n;
        }
    }
    if (rc < 0 && start >= 0) {
        while (ftruncate(w->fd, start) < 0 && errno == EINTR) {
        }
    }
    if (locked) {
        flock(w->fd, LOCK_UN);
    }
    return rc;
}

static uint64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
send_syslog(struct writer *w, const char *json, size_t len)
{
    struct msghdr mh;
    struct iovec iov[2];
    char head[128];
    struct tm tm;
    time_t now = time(NULL);
    int n;

    /* "<PRI>Mmm dd hh:mm:ss IDENT[PID]: " then the message */
    localtime_r(&now, &tm);
    n = snprintf(head, sizeof(head), "<%d>", w->pri);
    n += (int)strftime(head + n, sizeof(head) - (size_t)n, "%b %e %H:%M:%S ",
                       &tm);
    n += snprintf(head + n, sizeof(head) - (size_t)n, "%s[%d]: ", w->ident,
                  (int)getpid());
    iov[0].iov_base = head;
    iov[0].iov_len = (size_t)n;
    iov[1].iov_base = (void *)json;
    iov[1].iov_len = len;
    memset(&mh, 0, sizeof(mh));
    mh.msg_name = &w->addr;
    mh.msg_namelen = sizeof(w->addr);
    mh.msg_iov = iov;
    mh.msg_iovlen = 2;
    while (sendmsg(w->fd, &mh, MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) {
            /* refused or missing: whatever the daemon held is gone */
            if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) {
                w->lost = true;
            }
            return fail(w, errno, "send");
        }
    }
    w->last_ms = mono_ms();
    return 0;
}

/* Keep a copy of a message sent; let go of those too old to matter
 * that the daemon has read (a datagram counts against its sender until
 * then, and they are read in order) */
static void
keep_sent(struct writer *w, const char *json, size_t len, uint64_t id)
{
    struct sent *e = malloc(sizeof(*e) + len), *old;
    uint64_t now = mono_ms();
    int outq = 0;

    if (e != NULL) {
        e->next = NULL;
        e->at_ms = now;
        e->id = id;
        e->len = len;
        memcpy(e->json, json, len);
        if (w->sent_tail != NULL) {
            w->sent_tail->next = e;
        } else {
            w->sent = e;
        }
        w->sent_tail = e;
        w->sent_bytes += len;
    }
    if (ioctl(w->fd, SIOCOUTQ, &outq) != 0) {
        outq = 0;
    }
    while ((old = w->sent) != NULL && old != w->resend && old != e &&
           ((old->at_ms + RESEND_MS < now &&
             w->sent_bytes - old->len >= (size_t)outq) ||
            w->sent_bytes > RESEND_MAX)) {
        w->sent = old->next;
        w->sent_bytes -= old->len;
        free(old);
    }
    if (w->sent == NULL) {
        w->sent_tail = NULL;
    }
}

/* Whether the daemon's socket is another file than the one last sent to
 * (the daemon was started again); *st gets the file's state, *have
 * whether there is one */
static bool
sock_changed(struct writer *w, struct stat *st, bool *have)
{
    *have = stat(w->addr.sun_path, st) == 0;
    return *have && w->sock_known &&
           (st->st_dev != w->sock.st_dev || st->st_ino != w->sock.st_ino ||
            st->st_ctim.tv_sec != w->sock.st_ctim.tv_sec ||
            st->st_ctim.tv_nsec != w->sock.st_ctim.tv_nsec);
}

static int
write_syslog(struct writer *w, const char *json, size_t len, uint64_t id)
{
    struct stat st;
    bool have, changed = sock_changed(w, &st, &have);
    int rc;

    if ((w->lost || changed) && w->resend == NULL) {
        w->resend = w->sent;    /* what the daemon may not have taken */
    }
    w->lost = false;
    while (w->resend != NULL) {
        rc = send_syslog(w, w->resend->json, w->resend->len);
        if (rc < 0) {
            return rc;          /* the sink tries again later */
        }
        w->resend = w->resend->next;
    }
    rc = send_syslog(w, json, len);
    if (rc < 0) {
        return rc;
    }
    if (have) {
        w->sock = st;
        w->sock_known = true;
    }
    keep_sent(w, json, len, id);
    return 0;
}

static int
write_journal(struct writer *w, const char *json, size_t len, uint64_t id)
{
    struct iovec iov[7];
    char *f[7] = { NULL };
    int n = 0, i, rc;

    /* MESSAGE= with its length, as the JSON may be long */
    f[n] = malloc(len + 9);
    if (f[n] == NULL) {
        return -ENOMEM;
    }
    memcpy(f[n], "MESSAGE=", 8);
    memcpy(f[n] + 8, json, len);
    iov[n].iov_base = f[n];
    iov[n].iov_len = len + 8;
    n++;
    rc = asprintf(&f[n], "PRIORITY=%d", w->jc.priority);
    rc = rc < 0 ? rc : asprintf(&f[++n], "SYSLOG_IDENTIFIER=%s", w->jc.ident);
    if (rc >= 0 && w->jc.augment) {
        rc = asprintf(&f[++n], "TLOG_REC=%s", w->jrec);
        rc = rc < 0 ? rc : asprintf(&f[++n], "TLOG_USER=%s", w->juser);
        rc = rc < 0 ? rc : asprintf(&f[++n], "TLOG_SESSION=%u", w->jc.session);
        rc = rc < 0 ? rc : asprintf(&f[++n], "TLOG_ID=%llu",
                                    (unsigned long long)id);
    }
    n++;
    if (rc < 0) {
        rc = -ENOMEM;
        goto out;
    }
    for (i = 1; i < n; i++) {
        iov[i].iov_base = f[i];
        iov[i].iov_len = strlen(f[i]);
    }
    rc = sd_journal_sendv(iov, n);
    if (rc < 0) {
        rc = fail(w, -rc, "send");
    }
out:
    for (i = 0; i < 7; i++) {
        free(f[i]);
    }
    return rc;
}

int
writer_write(struct writer *w, const char *json, size_t len, uint64_t id)
{
    switch (w->kind) {
    case W_FILE:
        return write_file(w, json, len);
    case W_SYSLOG:
        return write_syslog(w, json, len, id);
    case W_JOURNAL:
        return write_journal(w, json, len, id);
    }
    return -EINVAL;
}

/* Whether a daemon is bound to the syslog socket now */
static bool
daemon_there(const struct writer *w)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool there;

    if (fd < 0) {
        return true;            /* cannot tell */
    }
    there = connect(fd, (const struct sockaddr *)&w->addr,
                    sizeof(w->addr)) == 0;
    close(fd);
    return there;
}

int
writer_settled(struct writer *w, unsigned int quiet_ms)
{
    struct stat st;
    bool have;
    int outq = 0;

    if (w->kind != W_SYSLOG || w->last_ms == 0) {
        return 1;
    }
    /* a daemon that dies throws away what it had not yet queued: it must
     * still be the one the messages went to */
    if (w->lost || sock_changed(w, &st, &have) || !have ||
        !daemon_there(w)) {
        snprintf(w->error, sizeof(w->error), "%s: the syslog daemon was"
                 " stopped or started again before it took every message",
                 w->name);
        return -EAGAIN;
    }
    /* a datagram counts against its sender until the daemon reads it */
    if (ioctl(w->fd, SIOCOUTQ, &outq) == 0 && outq > 0) {
        return 0;
    }
    return mono_ms() - w->last_ms >= quiet_ms ? 1 : 0;
}

int
writer_each_unsettled(const struct writer *w,
                      int (*fn)(void *ctx, const char *json, size_t len,
                                uint64_t id), void *ctx)
{
    const struct sent *e;
    int r;

    for (e = w->sent; e != NULL; e = e->next) {
        r = fn(ctx, e->json, e->len, e->id);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

const char *
writer_error(const struct writer *w)
{
    return w->error;
}

int
writer_emit(void *ctx, const char *json, size_t len, uint64_t id)
{
    return writer_write(ctx, json, len, id);
}

void
writer_free(struct writer *w)
{
    if (w == NULL) {
        return;
    }
    if (w->fd >= 0) {
        close(w->fd);
    }
    while (w->sent != NULL) {
        struct sent *next = w->sent->next;

        free(w->sent);
        w->sent = next;
    }
    free(w->name);
    free(w->jrec);
    free(w->juser);
    free(w);
}
