/*
 * The on-disk spool of one recording.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

/* The header's size: the records start here */
#define SPOOL_HDR 8192
#define SPOOL_MAGIC "tlog-spool 1\n"
/* The directory's use is counted again after this many bytes added */
#define SPOOL_RECOUNT (1024 * 1024)

/* The file's header, shared with the file through the mapping; a field
 * is one aligned store, so a process killed at any point leaves each
 * either old or new */
struct hdr {
    char magic[16];
    uint64_t made;              /* highest id the encoder made */
    uint64_t safe;              /* highest id written or spooled */
    uint64_t head;              /* offset of the first record to deliver */
    uint64_t tail;              /* offset past the last whole record */
    uint64_t ended;             /* 1: the end message is out or spooled */
    uint64_t real_start_ms;
    uint64_t last_pos;          /* position when the last was made, ms */
    uint32_t session;
    uint32_t rec_len;
    uint32_t user_len;
    uint32_t head_len;
    char strings[];             /* rec, user, head, unterminated */
};

/* A record's start; the message follows */
struct rec_hdr {
    uint64_t id;
    uint32_t len;
    uint32_t zero;
};

struct spool {
    int fd;
    char *path;
    char *dir;
    struct hdr *h;
    uint64_t max;
    uint64_t used;              /* the directory's use, as last counted */
    uint64_t added;             /* bytes added since */
    struct spool_ident id;
    char *strings;              /* id's strings, NUL-terminated */
    char *buf;                  /* the record spool_peek() read */
    size_t bufsz;
};

/* Bytes the directory's files take on disk */
static uint64_t
dir_use(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat st;
    uint64_t sum = 0;

    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.' &&
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode)) {
            sum += (uint64_t)st.st_blocks * 512;
        }
    }
    closedir(d);
    return sum;
}

static void
spool_free(struct spool *s)
{
    if (s->h != NULL) {
        munmap(s->h, SPOOL_HDR);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    free(s->path);
    free(s->dir);
    free(s->strings);
    free(s->buf);
    free(s);
}

/* Copy the header's strings out, and point id at them */
static int
take_strings(struct spool *s)
{
    const struct hdr *h = s->h;
    size_t r = h->rec_len, u = h->user_len, m = h->head_len;

    s->strings = malloc(r + u + m + 3);
    if (s->strings == NULL) {
        return -ENOMEM;
    }
    memcpy(s->strings, h->strings, r);
    s->strings[r] = 0;
    memcpy(s->strings + r + 1, h->strings + r, u);
    s->strings[r + 1 + u] = 0;
    memcpy(s->strings + r + u + 2, h->strings + r + u, m);
    s->strings[r + u + 2 + m] = 0;
    s->id.rec = s->strings;
    s->id.user = s->strings + r + 1;
    s->id.head = s->strings + r + u + 2;
    s->id.head_len = m;
    s->id.session = h->session;
    s->id.real_start_ms = h->real_start_ms;
    return 0;
}

static int
map_header(struct spool *s)
{
    void *p = mmap(NULL, SPOOL_HDR, PROT_READ | PROT_WRITE, MAP_SHARED,
                   s->fd, 0);

    if (p == MAP_FAILED) {
        return -errno;
    }
    s->h = p;
    return 0;
}

int
spool_create(const char *dir, const struct spool_ident *id, uint64_t max,
             struct spool **ps, char *err, size_t errsz)
{
    size_t r = strlen(id->rec), u = strlen(id->user);
    struct spool *s;
    char *tmp;
    int rc;

    if (sizeof(struct hdr) + r + u + id->head_len > SPOOL_HDR) {
        snprintf(err, errsz, "recording %s: its identity is too long for"
                 " a spool file", id->rec);
        return -ENAMETOOLONG;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL || (s->dir = strdup(dir)) == NULL ||
        asprintf(&s->path, "%s/%s.spool", dir, id->rec) < 0) {
        if (s != NULL) {
            s->path = NULL;
            s->fd = -1;
            spool_free(s);
        }
        snprintf(err, errsz, "out of memory");
        return -ENOMEM;
    }
    s->max = max;
    /* made under another name, and named a spool file once whole and
     * locked: the courier never sees it half made */
    if (asprintf(&tmp, "%s.new", s->path) < 0) {
        snprintf(err, errsz, "out of memory");
        spool_free(s);
        return -ENOMEM;
    }
    s->fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                 0600);
    if (s->fd < 0) {
        rc = -errno;
        snprintf(err, errsz, "cannot make the spool file %s: %s (check that"
                 " the spool directory exists and belongs to the agent's"
                 " user)", tmp, strerror(-rc));
        free(tmp);
        spool_free(s);
        return rc;
    }
    rc = 0;
    if (flock(s->fd, LOCK_EX) != 0 || ftruncate(s->fd, SPOOL_HDR) != 0) {
        rc = -errno;
    }
    if (rc == 0) {
        rc = map_header(s);
    }
    if (rc == 0) {
        memcpy(s->h->magic, SPOOL_MAGIC, sizeof(SPOOL_MAGIC) - 1);
        s->h->head = s->h->tail = SPOOL_HDR;
        s->h->real_start_ms = id->real_start_ms;
        s->h->session = id->session;
        s->h->rec_len = (uint32_t)r;
        s->h->user_len = (uint32_t)u;
        s->h->head_len = (uint32_t)id->head_len;
        memcpy(s->h->strings, id->rec, r);
        memcpy(s->h->strings + r, id->user, u);
        memcpy(s->h->strings + r + u, id->head, id->head_len);
        rc = take_strings(s);
        s->id.start = id->start;
    }
    if (rc == 0 && rename(tmp, s->path) != 0) {
        rc = -errno;
    }
    if (rc < 0) {
        snprintf(err, errsz, "cannot set up the spool file %s: %s (check"
                 " the space left on its file system)", s->path,
                 strerror(-rc));
        unlink(tmp);
        free(tmp);
        spool_free(s);
        return rc;
    }
    free(tmp);
    s->used = dir_use(dir);
    *ps = s;
    return 0;
}

int
spool_adopt(const char *path, struct spool **ps, char *err, size_t errsz)
{
    struct spool *s = calloc(1, sizeof(*s));
    struct stat st;
    int rc;

    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        snprintf(err, errsz, "out of memory");
        return -ENOMEM;
    }
    s->fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (s->fd < 0) {
        rc = -errno;
        snprintf(err, errsz, "cannot open the spool file %s: %s", path,
                 strerror(-rc));
        spool_free(s);
        return rc;
    }
    if (flock(s->fd, LOCK_EX | LOCK_NB) != 0) {
        rc = -errno;
        snprintf(err, errsz, "spool file %s: %s", path, strerror(-rc));
        spool_free(s);
        return rc;
    }
    rc = fstat(s->fd, &st) != 0 ? -errno : 0;
    if (rc == 0 && (!S_ISREG(st.st_mode) || st.st_size < SPOOL_HDR)) {
        rc = -EINVAL;
    }
    if (rc == 0) {
        rc = map_header(s);
    }
    if (rc == 0 &&
        (memcmp(s->h->magic, SPOOL_MAGIC, sizeof(SPOOL_MAGIC) - 1) != 0 ||
         sizeof(struct hdr) + (uint64_t)s->h->rec_len + s->h->user_len +
         s->h->head_len > SPOOL_HDR || s->h->head < SPOOL_HDR ||
         s->h->head > s->h->tail || s->h->tail > (uint64_t)st.st_size)) {
        rc = -EINVAL;
    }
    if (rc == 0) {
        rc = take_strings(s);
    }
    if (rc < 0) {
        snprintf(err, errsz, "%s is not a spool file the agent can read"
                 " (%s): move it away and look at it by hand", path,
                 strerror(-rc));
        spool_free(s);
        return rc;
    }
    *ps = s;
    return 0;
}

int
spool_push(struct spool *s, const char *json, size_t len, uint64_t id,
           bool last)
{
    struct rec_hdr rh = { id, (uint32_t)len, 0 };
    uint64_t at = s->h->tail, size = sizeof(rh) + len;
    ssize_t n;

    if (len > UINT32_MAX) {
        return -EFBIG;
    }
    if (s->added >= SPOOL_RECOUNT) {
        s->used = dir_use(s->dir);
        s->added = 0;
    }
    if (!last && s->used + s->added + size > s->max) {
        return -ENOSPC;
    }
    n = pwrite(s->fd, &rh, sizeof(rh), (off_t)at);
    if (n == (ssize_t)sizeof(rh)) {
        n = pwrite(s->fd, json, len, (off_t)(at + sizeof(rh)));
        n = n == (ssize_t)len ? (ssize_t)size : -1;
    }
    if (n != (ssize_t)size) {
        int e = n < 0 ? errno : ENOSPC;

        /* nothing half added: a later record starts where this one did */
        if (ftruncate(s->fd, (off_t)at) != 0) {
            /* the tail in the header still says where records end */
        }
        return -e;
    }
    s->h->tail = at + size;
    s->added += size;
    spool_safe(s, id);
    return 0;
}

bool
spool_empty(const struct spool *s)
{
    return s->h->head >= s->h->tail;
}

int
spool_read(struct spool *s, uint64_t *at, const char **json, size_t *len,
           uint64_t *id)
{
    struct rec_hdr rh;
    uint64_t o = *at < s->h->head ? s->h->head : *at;

    if (o >= s->h->tail) {
        return -ENOENT;
    }
    if (pread(s->fd, &rh, sizeof(rh), (off_t)o) != (ssize_t)sizeof(rh) ||
        rh.zero != 0 || o + sizeof(rh) + rh.len > s->h->tail) {
        *at = s->h->tail;       /* damaged: the rest is given up */
        return -EIO;
    }
    *at = o + sizeof(rh) + rh.len;
    if (rh.len > s->bufsz) {
        char *b = realloc(s->buf, rh.len);

        if (b == NULL) {
            *at = o;
            return -ENOMEM;
        }
        s->buf = b;
        s->bufsz = rh.len;
    }
    if (pread(s->fd, s->buf, rh.len, (off_t)(o + sizeof(rh))) !=
        (ssize_t)rh.len) {
        return -EIO;
    }
    *json = s->buf;
    *len = rh.len;
    *id = rh.id;
    return 0;
}

void
spool_done_to(struct spool *s, uint64_t at)
{
    if (at > s->h->head) {
        s->h->head = at < s->h->tail ? at : s->h->tail;
    }
    if (s->h->head >= s->h->tail) {
        /* all delivered: the space goes back */
        s->h->head = s->h->tail = SPOOL_HDR;
        if (ftruncate(s->fd, SPOOL_HDR) != 0) {
            /* kept until the file goes */
        }
    }
}

int
spool_peek(struct spool *s, const char **json, size_t *len, uint64_t *id)
{
    uint64_t at = s->h->head;

    return spool_read(s, &at, json, len, id);
}

void
spool_pop(struct spool *s)
{
    const char *json;
    size_t len;
    uint64_t id, at = s->h->head;

    if (spool_read(s, &at, &json, &len, &id) != -ENOMEM) {
        spool_done_to(s, at);
    }
}

void
spool_made(struct spool *s, uint64_t id)
{
    struct timespec now;
    int64_t ms;

    if (id > s->h->made) {
        s->h->made = id;
    }
    /* made after its events: its end message may come no earlier */
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = ((int64_t)now.tv_sec - (int64_t)s->id.start.tv_sec) * 1000 +
         ((int64_t)now.tv_nsec - (int64_t)s->id.start.tv_nsec) / 1000000;
    if (ms > (int64_t)s->h->last_pos) {
        s->h->last_pos = (uint64_t)ms;
    }
}

void
spool_safe(struct spool *s, uint64_t id)
{
    if (id > s->h->safe) {
        s->h->safe = id;
    }
}

void
spool_ended(struct spool *s)
{
    s->h->ended = 1;
}

bool
spool_has_ended(const struct spool *s)
{
    return s->h->ended != 0;
}

uint64_t
spool_made_id(const struct spool *s)
{
    return s->h->made;
}

uint64_t
spool_last_pos(const struct spool *s)
{
    return s->h->last_pos;
}

uint64_t
spool_safe_id(const struct spool *s)
{
    return s->h->safe;
}

const struct spool_ident *
spool_ident(const struct spool *s)
{
    return &s->id;
}

const char *
spool_path(const struct spool *s)
{
    return s->path;
}

void
spool_close(struct spool *s)
{
    if (s == NULL) {
        return;
    }
    if (s->h != NULL && s->h->ended && spool_empty(s)) {
        unlink(s->path);
    }
    spool_free(s);
}
