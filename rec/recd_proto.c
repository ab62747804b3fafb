/*
 * The agent's wire messages: fixed-size records with descriptors.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "recd_proto.h"

int
recd_send(int sock, const void *msg, size_t len, const int *fds, int nfds)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * RECD_FDS_MAX)];
    } ctl;
    struct iovec iov = { (void *)msg, len };
    struct msghdr m;
    ssize_t n;

    if (nfds < 0 || nfds > RECD_FDS_MAX) {
        return -EINVAL;
    }
    memset(&m, 0, sizeof(m));
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (nfds > 0) {
        struct cmsghdr *c;

        memset(&ctl, 0, sizeof(ctl));
        m.msg_control = ctl.buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    do {
        n = sendmsg(sock, &m, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    return (size_t)n == len ? 0 : -EIO;
}

int
recd_recv(int sock, void *msg, size_t len, int *fds, int *nfds)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * RECD_FDS_MAX)];
    } ctl;
    struct iovec iov = { msg, len };
    struct msghdr m;
    struct cmsghdr *c;
    int got[RECD_FDS_MAX * 2];
    int ngot = 0, i, rc = 0;
    ssize_t n;

    memset(&m, 0, sizeof(m));
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof(ctl.buf);
    do {
        n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

            for (i = 0; i < (int)k && ngot < RECD_FDS_MAX * 2; i++) {
                memcpy(&got[ngot++], CMSG_DATA(c) + sizeof(int) * (size_t)i,
                       sizeof(int));
            }
        }
    }
    if (n == 0) {
        rc = -ECONNRESET;
    } else if ((size_t)n != len || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
               ngot > RECD_FDS_MAX) {
        rc = -EPROTO;
    }
    if (rc < 0 || fds == NULL) {
        for (i = 0; i < ngot; i++) {
            close(got[i]);
        }
        ngot = 0;
    }
    if (rc == 0) {
        if (fds != NULL) {
            memcpy(fds, got, sizeof(int) * (size_t)ngot);
        }
        if (nfds != NULL) {
            *nfds = ngot;
        }
    }
    return rc;
}

int
recd_connect(const char *path, int *psock)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    struct timeval tv = { RECD_TIMEOUT_S, 0 };
    int fd;

    if (strlen(path) >= sizeof(a.sun_path)) {
        return -ENAMETOOLONG;
    }
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    /* an agent that never answers (a service that failed to start
     * behind its socket) must not hang the login */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        int e = errno;

        close(fd);
        return -e;
    }
    *psock = fd;
    return 0;
}

void
recd_request_init(struct recd_request *q, enum recd_kind kind)
{
    memset(q, 0, sizeof(*q));
    q->magic = RECD_MAGIC;
    q->version = RECD_VERSION;
    q->kind = (uint16_t)kind;
}
