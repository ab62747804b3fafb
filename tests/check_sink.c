/*
 * sink: rate limits, the retry queue against a real datagram socket that
 * comes and goes, and the drop note.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "sink.h"
#include "testlib.h"
#include "writer.h"

static char dir[64];
static char sock_path[128];

static void
setup(void)
{
    strcpy(dir, "/tmp/check_sink.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock_path, sizeof(sock_path), "%s/log", dir);
}

static void
teardown(void)
{
    unlink(sock_path);
    rmdir(dir);
}

static int
listen_dgram(void)
{
    return testlib_dgram_bind(sock_path);
}

/* Receive one datagram's JSON part (after "IDENT[PID]: ") into out */
static int
recv_msg(int fd, char *out, size_t outsz)
{
    char buf[8192];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    char *p;

    if (n <= 0) {
        return -1;
    }
    buf[n] = 0;
    p = strstr(buf, "]: ");
    ck_assert_ptr_nonnull(p);
    snprintf(out, outsz, "%s", p + 3);
    return 0;
}

static struct writer *
syslog_writer(void)
{
    return testlib_syslog_writer(sock_path);
}

static void
msg(char *out, uint64_t id)
{
    sprintf(out, "{\"id\":%llu,\"pad\":\"%0200d\"}", (unsigned long long)id, 0);
}

START_TEST(test_retry_until_daemon_appears)
{
    struct writer *w = syslog_writer();
    struct sink_conf sc = { w, SINK_PASS, 1000, 1000, 0, NULL };
    struct sink *s;
    struct sink_stats st;
    struct timespec when;
    char m[512], got[8192], err[256];
    int fd, i;

    ck_assert_int_eq(sink_new(&sc, &s), 0);
    /* no daemon yet: messages wait, and the sink asks to be polled */
    for (i = 1; i <= 3; i++) {
        msg(m, (uint64_t)i);
        ck_assert_int_eq(sink_emit(s, m, strlen(m), (uint64_t)i), 0);
    }
    ck_assert(sink_deadline(s, &when));
    fd = listen_dgram();
    ck_assert_int_eq(sink_drain(s, 3000, err, sizeof(err)), 0);
    for (i = 1; i <= 3; i++) {
        char want[512];

        ck_assert_int_eq(recv_msg(fd, got, sizeof(got)), 0);
        msg(want, (uint64_t)i);
        ck_assert_str_eq(got, want);
    }
    sink_get_stats(s, &st);
    ck_assert_uint_eq(st.written, 3);
    ck_assert_uint_eq(st.dropped, 0);
    ck_assert_uint_ge(st.retries, 1);
    sink_free(s);
    writer_free(w);
    close(fd);
}
END_TEST

START_TEST(test_queue_bound_drops_oldest_with_note)
{
    struct writer *w = syslog_writer();
    struct sink_conf sc = { w, SINK_PASS, 1000, 1000, 2000, NULL };
    struct sink *s;
    char m[512], got[8192], err[256];
    int fd, i;

    ck_assert_int_eq(sink_new(&sc, &s), 0);
    for (i = 1; i <= 20; i++) {
        msg(m, (uint64_t)i);
        ck_assert_int_eq(sink_emit(s, m, strlen(m), (uint64_t)i), 0);
    }
    fd = listen_dgram();
    ck_assert_int_eq(sink_drain(s, 3000, err, sizeof(err)), 0);
    /* the queue held about 2000 bytes: the newest messages survive, and
     * the first one written says how many went before it */
    ck_assert_int_eq(recv_msg(fd, got, sizeof(got)), 0);
    ck_assert_msg(strstr(got, ",\"x_tlog_drop\":{\"messages\":") != NULL,
                  "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\"id\":"));
    ck_assert_str_eq(got + strlen(got) - 2, "}}");
    sink_free(s);
    writer_free(w);
    close(fd);
}
END_TEST

START_TEST(test_drop_action_and_final_note)
{
    struct writer *w;
    struct sink_conf sc = { NULL, SINK_DROP, 10, 500, 0, NULL };
    struct sink *s;
    struct sink_stats st;
    char m[512], got[8192], err[256];
    int fd = listen_dgram(), i, n = 0;
    char last[8192] = "";

    w = syslog_writer();
    sc.writer = w;
    ck_assert_int_eq(sink_new(&sc, &s), 0);
    for (i = 1; i <= 10; i++) {
        msg(m, (uint64_t)i);
        ck_assert_int_eq(sink_emit(s, m, strlen(m), (uint64_t)i), 0);
    }
    ck_assert_int_eq(sink_drain(s, 1000, err, sizeof(err)), 0);
    while (recv_msg(fd, got, sizeof(got)) == 0) {
        n++;
        strcpy(last, got);
    }
    /* two fit the burst; the last one is written at the end with the
     * note for the seven between */
    ck_assert_int_eq(n, 3);
    ck_assert_ptr_nonnull(strstr(last, "{\"id\":10,"));
    ck_assert_ptr_nonnull(strstr(last, "\"x_tlog_drop\":{\"messages\":7,"));
    sink_get_stats(s, &st);
    ck_assert_uint_eq(st.dropped, 7);
    sink_free(s);
    writer_free(w);
    close(fd);
}
END_TEST

START_TEST(test_delay_action_holds_back)
{
    struct writer *w = syslog_writer();
    struct sink_conf sc = { w, SINK_DELAY, 2000, 300, 0, NULL };
    struct sink *s;
    struct timespec t0, t1;
    char m[512], err[256];
    int fd = listen_dgram(), i;

    ck_assert_int_eq(sink_new(&sc, &s), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 1; i <= 6; i++) {
        msg(m, (uint64_t)i);
        ck_assert_int_eq(sink_emit(s, m, strlen(m), (uint64_t)i), 0);
    }
    ck_assert(sink_backlogged(s));
    ck_assert_int_eq(sink_drain(s, 5000, err, sizeof(err)), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* 6 x 214 bytes at 2000/s with a 300-byte burst: about 0.5 s */
    ck_assert_int_ge((t1.tv_sec - t0.tv_sec) * 1000 +
                     (t1.tv_nsec - t0.tv_nsec) / 1000000, 400);
    ck_assert(!sink_backlogged(s));
    sink_free(s);
    writer_free(w);
    close(fd);
}
END_TEST

START_TEST(test_drain_reports_what_is_lost)
{
    struct writer *w = syslog_writer();
    struct sink_conf sc = { w, SINK_PASS, 1000, 1000, 0, NULL };
    struct sink *s;
    char m[512], err[512];

    ck_assert_int_eq(sink_new(&sc, &s), 0);
    msg(m, 1);
    ck_assert_int_eq(sink_emit(s, m, strlen(m), 1), 0);
    ck_assert_int_eq(sink_drain(s, 200, err, sizeof(err)), -EIO);
    ck_assert_msg(strstr(err, "1 messages could not be written") &&
                  strstr(err, "No such file or directory"), "%s", err);
    sink_free(s);
    writer_free(w);
}
END_TEST

/* Receive the next datagram and check it is message id */
static void
recv_is(int fd, uint64_t id)
{
    char got[8192], want[512];

    ck_assert_int_eq(recv_msg(fd, got, sizeof(got)), 0);
    msg(want, id);
    ck_assert_str_eq(got, want);
}

/* A daemon that dies with messages unread, and one started again in its
 * place: what it may have lost is sent again, first */
START_TEST(test_daemon_gone_resends)
{
    struct writer *w = syslog_writer();
    char m[512], got[8192];
    int fd = listen_dgram(), i;

    for (i = 1; i <= 3; i++) {
        msg(m, (uint64_t)i);
        ck_assert_int_eq(writer_write(w, m, strlen(m), (uint64_t)i), 0);
    }
    /* it dies unread; a send meanwhile is refused */
    close(fd);
    unlink(sock_path);
    msg(m, 4);
    ck_assert_int_lt(writer_write(w, m, strlen(m), 4), 0);
    fd = listen_dgram();
    ck_assert_int_eq(writer_write(w, m, strlen(m), 4), 0);
    for (i = 1; i <= 4; i++) {
        recv_is(fd, (uint64_t)i);
    }
    /* started again unseen, between two sends */
    close(fd);
    unlink(sock_path);
    fd = listen_dgram();
    msg(m, 5);
    ck_assert_int_eq(writer_write(w, m, strlen(m), 5), 0);
    for (i = 1; i <= 5; i++) {
        recv_is(fd, (uint64_t)i);
    }
    /* the same daemon: nothing twice */
    msg(m, 6);
    ck_assert_int_eq(writer_write(w, m, strlen(m), 6), 0);
    recv_is(fd, 6);
    ck_assert_int_lt(recv_msg(fd, got, sizeof(got)), 0);
    writer_free(w);
    close(fd);
}
END_TEST

static int
collect_id(void *ctx, const char *json, size_t len, uint64_t id)
{
    uint64_t *ids = ctx;

    (void)json;
    (void)len;
    ids[++ids[0]] = id;
    return 0;
}

START_TEST(test_settled_only_once_read_by_the_same_daemon)
{
    struct writer *w = syslog_writer();
    struct timespec past_window = { 2, 200 * 1000000L };
    uint64_t ids[8] = { 0 };
    char m[512];
    int fd = listen_dgram(), i;

    for (i = 1; i <= 2; i++) {
        msg(m, (uint64_t)i);
        ck_assert_int_eq(writer_write(w, m, strlen(m), (uint64_t)i), 0);
    }
    /* unread messages are kept however old */
    nanosleep(&past_window, NULL);
    msg(m, 3);
    ck_assert_int_eq(writer_write(w, m, strlen(m), 3), 0);
    ck_assert_int_eq(writer_settled(w, 0), 0);
    ck_assert_int_eq(writer_each_unsettled(w, collect_id, ids), 0);
    ck_assert_int_eq(ids[0], 3);
    for (i = 1; i <= 3; i++) {
        ck_assert_int_eq(ids[i], i);
    }
    for (i = 1; i <= 3; i++) {
        recv_is(fd, (uint64_t)i);
    }
    /* read: settled once the quiet time has passed */
    ck_assert_int_eq(writer_settled(w, 60000), 0);
    ck_assert_int_eq(writer_settled(w, 0), 1);
    /* another daemon since: they must be sent again */
    close(fd);
    unlink(sock_path);
    fd = listen_dgram();
    ck_assert_int_eq(writer_settled(w, 0), -EAGAIN);
    writer_free(w);
    close(fd);
}
END_TEST

static Suite *
sink_suite(void)
{
    Suite *s = suite_create("sink");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_retry_until_daemon_appears);
    tcase_add_test(tc, test_queue_bound_drops_oldest_with_note);
    tcase_add_test(tc, test_drop_action_and_final_note);
    tcase_add_test(tc, test_delay_action_holds_back);
    tcase_add_test(tc, test_drain_reports_what_is_lost);
    tcase_add_test(tc, test_daemon_gone_resends);
    tcase_add_test(tc, test_settled_only_once_read_by_the_same_daemon);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(sink_suite());
}
