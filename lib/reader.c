/*
 * Message readers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "reader.h"

#define READ_CHUNK (256 * 1024)

struct reader {
    int fd;
    bool own_fd;
    char *name;
    struct buf data;        /* bytes read, not yet handed out */
    size_t off;             /* start of the next line in data */
    bool eof;
    bool follow;
    bool cut;               /* the line handed out last had no newline */
    int ino;                /* inotify descriptor while following, or -1 */
    unsigned long line;
    char where[512];
};

int
reader_open_file(const char *path, struct reader **pr, char *err, size_t errsz)
{
    struct reader *r = NULL;
    int rc;

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        snprintf(err, errsz, "out of memory opening %s", path);
        return -ENOMEM;
    }
    r->fd = -1;
    r->ino = -1;
    buf_init(&r->data, MSG_LEN_MAX + READ_CHUNK + 1);
    if (strcmp(path, "-") == 0) {
        r->fd = STDIN_FILENO;
        r->name = strdup("standard input");
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        r->own_fd = true;
        r->name = strdup(path);
        if (r->fd < 0) {
            rc = -errno;
            snprintf(err, errsz, "cannot open %s: %s", path, strerror(-rc));
            goto fail;
        }
    }
    if (r->name == NULL) {
        rc = -ENOMEM;
        snprintf(err, errsz, "out of memory opening %s", path);
        goto fail;
    }
    /* Allocated now, so the line scanner never works on a NULL buffer */
    rc = buf_reserve(&r->data, READ_CHUNK);
    if (rc < 0) {
        snprintf(err, errsz, "out of memory opening %s", path);
        goto fail;
    }
    *pr = r;
    return 0;
fail:
    reader_free(r);
    return rc;
}

/* Read more into the buffer; returns bytes read, 0 at EOF, or -errno */
static ssize_t
fill(struct reader *r)
{
    ssize_t n;
    int rc;

    /* Drop what was handed out already */
    if (r->off > 0) {
        memmove(r->data.data, r->data.data + r->off, r->data.len - r->off);
        r->data.len -= r->off;
        r->off = 0;
    }
    rc = buf_reserve(&r->data, READ_CHUNK);
    if (rc < 0) {
        return rc;
    }
    do {
        n = read(r->fd, r->data.data + r->data.len, READ_CHUNK);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    r->data.len += (size_t)n;
    return n;
}

int
reader_read(struct reader *r, const char **json, size_t *len,
            const char **where, char *err, size_t errsz)
{
    size_t scanned = 0;     /* bytes after off known to hold no newline */

    for (;;) {
        uint8_t *start = r->data.data + r->off;
        size_t avail = r->data.len - r->off;
        uint8_t *nl = avail > scanned ?
                      memchr(start + scanned, '\n', avail - scanned) : NULL;
        size_t n;

        if (nl == NULL && !r->eof) {
            ssize_t got;

            if (avail > MSG_LEN_MAX) {
                snprintf(err, errsz, "%s line %lu: longer than %d bytes",
                         r->name, r->line + 1, MSG_LEN_MAX);
                return -EMSGSIZE;
            }
            scanned = avail;
            got = fill(r);
            if (got < 0) {
                snprintf(err, errsz, "%s: read failed: %s", r->name,
                         strerror((int)-got));
                return (int)got;
            }
            if (got == 0) {
                r->eof = true;
            }
            continue;
        }
        if (nl == NULL && (avail == 0 || r->follow)) {
            /* at the end for now: a follower looks again later */
            r->eof = false;
            return 0;
        }
        n = nl ? (size_t)(nl - start) : avail;
        r->off += nl ? n + 1 : n;
        r->cut = nl == NULL;
        r->line++;
        scanned = 0;
        /* Skip blank lines, and the CR of CRLF line ends */
        if (n > 0 && start[n - 1] == '\r') {
            n--;
        }
        if (n == 0) {
            continue;
        }
        snprintf(r->where, sizeof(r->where), "%s line %lu", r->name, r->line);
        *json = (const char *)start;
        *len = n;
        *where = r->where;
        return 1;
    }
}

bool
reader_cut(const struct reader *r)
{
    return r->cut;
}

void
reader_follow(struct reader *r, bool follow)
{
    r->follow = follow;
}

int
reader_rewind(struct reader *r, char *err, size_t errsz)
{
    if (!r->own_fd || lseek(r->fd, 0, SEEK_SET) < 0) {
        snprintf(err, errsz, "%s: cannot go back to the start", r->name);
        return -ESPIPE;
    }
    r->data.len = 0;
    r->off = 0;
    r->eof = false;
    r->cut = false;
    r->line = 0;
    return 0;
}

int
reader_wait_fd(struct reader *r)
{
    if (r->ino < 0 && r->own_fd) {
        char path[64];

        /* watch the open file itself, wherever it is renamed to */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", r->fd);
        r->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (r->ino >= 0 && inotify_add_watch(r->ino, path, IN_MODIFY) < 0) {
            close(r->ino);
            r->ino = -1;
        }
    }
    return r->ino >= 0 ? r->ino : (r->own_fd ? -1 : r->fd);
}

void
reader_waited(struct reader *r)
{
    char buf[4096];

    if (r->ino >= 0) {
        while (read(r->ino, buf, sizeof(buf)) > 0) {
        }
    }
}

void
reader_free(struct reader *r)
{
    if (r == NULL) {
        return;
    }
    if (r->ino >= 0) {
        close(r->ino);
    }
    if (r->own_fd && r->fd >= 0) {
        close(r->fd);
    }
    buf_fini(&r->data);
    free(r->name);
    free(r);
}
