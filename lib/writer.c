/*
 * Message writers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "writer.h"

struct writer {
    int fd;
    char *name;
    char error[512];
};

int
writer_open_file(const char *path, struct writer **pw, char *err, size_t errsz)
{
    struct writer *w = calloc(1, sizeof(*w));
    int rc;

    if (w == NULL) {
        return -ENOMEM;
    }
    w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        rc = -errno;
        snprintf(err, errsz, "cannot open %s for writing: %s", path,
                 strerror(-rc));
        free(w);
        return rc;
    }
    w->name = strdup(path);
    if (w->name == NULL) {
        writer_free(w);
        return -ENOMEM;
    }
    *pw = w;
    return 0;
}

int
writer_write(struct writer *w, const char *json, size_t len, uint64_t id)
{
    struct iovec iov[2];
    int cnt = 2;
    ssize_t n;

    (void)id;
    iov[0].iov_base = (void *)json;
    iov[0].iov_len = len;
    iov[1].iov_base = (void *)"\n";
    iov[1].iov_len = 1;
    /* One writev, so that appends from several writers do not mix; go
     * on after a partial write (a full disk, a signal) */
    while (cnt > 0) {
        n = writev(w->fd, iov + (2 - cnt), cnt);
        if (n < 0) {
            int e = errno;

            if (e == EINTR) {
                continue;
            }
            snprintf(w->error, sizeof(w->error), "%s: write failed: %s",
                     w->name, strerror(e));
            return -e;
        }
        while (cnt > 0 && (size_t)n >= iov[2 - cnt].iov_len) {
            n -= (ssize_t)iov[2 - cnt].iov_len;
            cnt--;
        }
        if (cnt > 0) {
            iov[2 - cnt].iov_base = (char *)iov[2 - cnt].iov_base + n;
            iov[2 - cnt].iov_len -= (size_t)n;
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
    free(w->name);
    free(w);
}
