/*
 * recd_proto: the agent's messages and the descriptors that go with them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recd_proto.h"
#include "testlib.h"

static void
pair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
                                sv), 0);
}

/* Whether fd is open */
static bool
is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

START_TEST(test_round_trip_with_descriptors)
{
    struct recd_request q, got;
    int sv[2], p[2], fds[RECD_FDS_MAX], nfds = -1;
    struct stat a, b;

    pair(sv);
    ck_assert_int_eq(pipe(p), 0);
    recd_request_init(&q, RECD_SESSION);
    snprintf(q.term, sizeof(q.term), "xterm-256color");
    ck_assert_int_eq(recd_send(sv[0], &q, sizeof(q), p, 2), 0);
    ck_assert_int_eq(recd_recv(sv[1], &got, sizeof(got), fds, &nfds), 0);
    ck_assert_int_eq(nfds, 2);
    ck_assert_uint_eq(got.magic, RECD_MAGIC);
    ck_assert_uint_eq(got.kind, RECD_SESSION);
    ck_assert_str_eq(got.term, "xterm-256color");
    /* the same pipe, close-on-exec on this side */
    ck_assert_int_eq(fstat(fds[0], &a), 0);
    ck_assert_int_eq(fstat(p[0], &b), 0);
    ck_assert_uint_eq(a.st_ino, b.st_ino);
    ck_assert_int_eq(fcntl(fds[1], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    close(fds[0]);
    close(fds[1]);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_wrong_size_is_refused_and_fds_closed)
{
    struct recd_request q;
    char small[16] = { 0 };
    int sv[2], p[2], fds[RECD_FDS_MAX], nfds = -1, before;

    pair(sv);
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(recd_send(sv[0], small, sizeof(small), p, 1), 0);
    /* the descriptor that arrives takes the lowest free number */
    before = dup(0);
    close(before);
    ck_assert_int_eq(recd_recv(sv[1], &q, sizeof(q), fds, &nfds), -EPROTO);
    ck_assert_int_eq(nfds, -1);
    ck_assert(!is_open(before));
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_too_many_descriptors)
{
    struct recd_request q;
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } ctl;
    struct iovec iov = { &q, sizeof(q) };
    struct msghdr m;
    struct cmsghdr *c;
    int sv[2], four[4] = { 0, 0, 0, 0 }, fds[RECD_FDS_MAX], nfds = -1;

    pair(sv);
    recd_request_init(&q, RECD_SESSION);
    ck_assert_int_eq(recd_send(sv[0], &q, sizeof(q), four, 4), -EINVAL);
    /* a peer of its own that sends four */
    memset(&m, 0, sizeof(m));
    memset(&ctl, 0, sizeof(ctl));
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof(ctl.buf);
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(four));
    memcpy(CMSG_DATA(c), four, sizeof(four));
    ck_assert_int_eq(sendmsg(sv[0], &m, 0), (ssize_t)sizeof(q));
    ck_assert_int_lt(recd_recv(sv[1], &q, sizeof(q), fds, &nfds), 0);
    ck_assert_int_eq(nfds, -1);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_end_of_file)
{
    struct recd_request q;
    int sv[2];

    pair(sv);
    close(sv[0]);
    ck_assert_int_eq(recd_recv(sv[1], &q, sizeof(q), NULL, NULL),
                     -ECONNRESET);
    close(sv[1]);
}
END_TEST

START_TEST(test_connect_to_nothing)
{
    int fd = -1;

    ck_assert_int_eq(recd_connect("/nonexistent/recd.sock", &fd), -ENOENT);
    ck_assert_int_eq(fd, -1);
}
END_TEST

static Suite *
recd_suite(void)
{
    Suite *s = suite_create("recd_proto");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_round_trip_with_descriptors);
    tcase_add_test(tc, test_wrong_size_is_refused_and_fds_closed);
    tcase_add_test(tc, test_too_many_descriptors);
    tcase_add_test(tc, test_end_of_file);
    tcase_add_test(tc, test_connect_to_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(recd_suite());
}
