/*
 * spool: records kept in order across a process's death, the lock that
 * tells a live recording from a left one, the bound and its note, and a
 * sink that spools what a missing syslog daemon does not take.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "sink.h"
#include "spool.h"
#include "testlib.h"
#include "writer.h"

static char dir[64];
static char path[128];
static const char head[] = "{\"ver\":\"2.3\",\"rec\":\"r1\",\"id\":";

static void
setup(void)
{
    strcpy(dir, "/tmp/check_spool.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/r1.spool", dir);
}

static void
teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static struct spool *
make(uint64_t max)
{
    struct spool_ident id;
    struct spool *s = NULL;
    char err[256];

    memset(&id, 0, sizeof(id));
    id.rec = "r1";
    id.user = "alice";
    id.session = 7;
    id.head = head;
    id.head_len = strlen(head);
    id.real_start_ms = 1000;
    clock_gettime(CLOCK_MONOTONIC, &id.start);
    ck_assert_msg(spool_create(dir, &id, max, &s, err, sizeof(err)) == 0,
                  "%s", err);
    return s;
}

static void
msg(char *out, uint64_t id)
{
    sprintf(out, "%s%llu,\"pad\":\"%0300d\"}", head, (unsigned long long)id,
            0);
}

/* Check the next record is message id */
static void
next_is(struct spool *s, uint64_t id)
{
    const char *json;
    size_t len;
    uint64_t got;
    char want[512];

    msg(want, id);
    ck_assert_int_eq(spool_peek(s, &json, &len, &got), 0);
    ck_assert_uint_eq(got, id);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert(memcmp(json, want, len) == 0);
    spool_pop(s);
}

START_TEST(test_left_by_a_killed_process)
{
    struct spool *s;
    char m[512], err[256];
    pid_t pid;
    int st, i;

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        s = make(1 << 20);
        for (i = 1; i <= 5; i++) {
            msg(m, (uint64_t)i);
            spool_made(s, (uint64_t)i);
            if (i <= 4 && spool_push(s, m, strlen(m), (uint64_t)i,
                                     false) != 0) {
                _exit(2);
            }
        }
        kill(getpid(), SIGSTOP);
        _exit(3);
    }
    ck_assert_int_eq(waitpid(pid, &st, WUNTRACED), pid);
    ck_assert(WIFSTOPPED(st));
    /* alive: its lock keeps the file from the courier */
    ck_assert_int_eq(spool_adopt(path, &s, err, sizeof(err)), -EWOULDBLOCK);
    kill(pid, SIGKILL);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(spool_adopt(path, &s, err, sizeof(err)) == 0, "%s", err);
    /* what it said of itself survived it */
    ck_assert_str_eq(spool_ident(s)->rec, "r1");
    ck_assert_str_eq(spool_ident(s)->user, "alice");
    ck_assert_uint_eq(spool_ident(s)->session, 7);
    ck_assert_uint_eq(spool_ident(s)->head_len, strlen(head));
    ck_assert_uint_eq(spool_made_id(s), 5);
    ck_assert_uint_eq(spool_safe_id(s), 4);
    ck_assert(!spool_has_ended(s));
    for (i = 1; i <= 4; i++) {
        next_is(s, (uint64_t)i);
    }
    ck_assert(spool_empty(s));
    /* not ended: the file stays for the end message */
    spool_close(s);
    ck_assert_int_eq(access(path, F_OK), 0);
    ck_assert_int_eq(spool_adopt(path, &s, err, sizeof(err)), 0);
    spool_ended(s);
    spool_close(s);
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_a_cut_record_is_not_read)
{
    struct spool *s = make(1 << 20), *a;
    char m[512], err[256];
    int fd;

    msg(m, 1);
    ck_assert_int_eq(spool_push(s, m, strlen(m), 1, false), 0);
    /* a record whose writing was cut: past the tail, never seen */
    fd = open(path, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "\x02\0\0\0\0\0\0\0\xff", 9), 9);
    close(fd);
    ck_assert_int_eq(spool_adopt(path, &a, err, sizeof(err)), -EWOULDBLOCK);
    spool_close(s);
    ck_assert_int_eq(spool_adopt(path, &a, err, sizeof(err)), 0);
    next_is(a, 1);
    ck_assert(spool_empty(a));
    spool_ended(a);
    spool_close(a);
}
END_TEST

START_TEST(test_bound_but_the_last)
{
    struct spool *s = make(1);
    char m[512];

    msg(m, 1);
    ck_assert_int_eq(spool_push(s, m, strlen(m), 1, false), -ENOSPC);
    ck_assert(spool_empty(s));
    ck_assert_int_eq(spool_push(s, m, strlen(m), 1, true), 0);
    ck_assert(!spool_empty(s));
    next_is(s, 1);
    spool_ended(s);
    spool_close(s);
}
END_TEST

START_TEST(test_not_a_spool)
{
    struct spool *s;
    char err[256];
    int fd = open(path, O_WRONLY | O_CREAT, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 10000), 0);
    close(fd);
    ck_assert_int_eq(spool_adopt(path, &s, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, "move it away") != NULL, "%s", err);
}
END_TEST

/* A syslog writer to the socket dir/log, and that socket's path */
static struct writer *
writer_to(char *sock, size_t socksz)
{
    snprintf(sock, socksz, "%s/log", dir);
    return testlib_syslog_writer(sock);
}

/* Poll the sink until its spool is delivered (past its retry pause) */
static void
deliver(struct sink *s, struct spool *sp)
{
    int i;

    for (i = 0; i < 100 && !spool_empty(sp); i++) {
        usleep(50000);
        sink_poll(s);
    }
    ck_assert(spool_empty(sp));
}

/* Emit messages 1..n to a sink with spool sp and no daemon yet, end it */
static struct sink *
spooled_sink(struct writer *w, struct spool *sp, int n)
{
    struct sink_conf sc;
    struct sink *s;
    char m[512], err[256];
    int i;

    memset(&sc, 0, sizeof(sc));
    sc.writer = w;
    sc.action = SINK_PASS;
    sc.rate = sc.burst = 1000;
    ck_assert_int_eq(sink_new(&sc, &s), 0);
    sink_set_spool(s, sp);
    for (i = 1; i <= n; i++) {
        msg(m, (uint64_t)i);
        ck_assert_int_eq(sink_emit(s, m, strlen(m), (uint64_t)i), 0);
    }
    /* the end: nothing waits in memory, and nothing is reported lost */
    ck_assert_int_eq(sink_drain(s, 0, err, sizeof(err)), 0);
    return s;
}

/* The missing daemon's messages go to disk, and once it is there they
 * come out in order */
START_TEST(test_sink_spools_in_order)
{
    struct spool *sp = make(1 << 20);
    char sock[160], buf[8192], want[512];
    struct writer *w = writer_to(sock, sizeof(sock));
    struct sink *s = spooled_sink(w, sp, 10);
    struct sink_stats st;
    int fd, i;
    ssize_t n;

    sink_get_stats(s, &st);
    ck_assert_uint_eq(st.written, 0);
    ck_assert_uint_eq(st.spooled, 10);
    ck_assert_uint_eq(st.dropped, 0);
    fd = testlib_dgram_bind(sock);
    deliver(s, sp);
    for (i = 1; i <= 10; i++) {
        n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        ck_assert_int_gt(n, 0);
        buf[n] = 0;
        msg(want, (uint64_t)i);
        ck_assert_str_eq(strstr(buf, "]: ") + 3, want);
    }
    ck_assert(spool_empty(sp));
    spool_ended(sp);
    spool_close(sp);
    sink_free(s);
    writer_free(w);
    close(fd);
}
END_TEST

/* A full spool: what does not fit is dropped, and the last message,
 * which always fits, says how many */
START_TEST(test_sink_full_spool_notes)
{
    struct spool *sp = make(1);
    char sock[160], buf[8192];
    struct writer *w = writer_to(sock, sizeof(sock));
    struct sink *s = spooled_sink(w, sp, 10);
    int fd;
    ssize_t n;

    fd = testlib_dgram_bind(sock);
    deliver(s, sp);
    n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    ck_assert_int_gt(n, 0);
    buf[n] = 0;
    ck_assert_ptr_nonnull(strstr(buf, "\"id\":10,"));
    ck_assert_ptr_nonnull(strstr(buf, "\"x_tlog_drop\":{\"messages\":9,"));
    ck_assert_int_lt(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
    spool_ended(sp);
    spool_close(sp);
    sink_free(s);
    writer_free(w);
    close(fd);
}
END_TEST

static Suite *
spool_suite(void)
{
    Suite *s = suite_create("spool");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_left_by_a_killed_process);
    tcase_add_test(tc, test_a_cut_record_is_not_read);
    tcase_add_test(tc, test_bound_but_the_last);
    tcase_add_test(tc, test_not_a_spool);
    tcase_add_test(tc, test_sink_spools_in_order);
    tcase_add_test(tc, test_sink_full_spool_notes);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(spool_suite());
}
