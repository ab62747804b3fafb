/*
 * dec: strict checks across messages, lax mode, timing errors, and the
 * packets a message gives.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"
#include "testlib.h"

/* A message of recording "r1" with the given id, pos, timing and text */
static char *
mk(uint64_t id, uint64_t pos, const char *timing, const char *out_txt,
   const char *out_bin)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];

    snprintf(b, 1024, "{\"ver\":\"2.3\",\"host\":\"h\",\"rec\":\"r1\","
             "\"user\":\"u\",\"term\":\"xterm\",\"session\":1,\"id\":%llu,"
             "\"pos\":%llu,\"timing\":\"%s\",\"in_txt\":\"\",\"in_bin\":[],"
             "\"out_txt\":\"%s\",\"out_bin\":[%s]}",
             (unsigned long long)id, (unsigned long long)pos, timing,
             out_txt, out_bin);
    return b;
}

/* Feed messages in order and drain them; return the first error */
static int
run(bool lax, char *err, size_t errsz, struct flat *f, int n, ...)
{
    struct dec *d;
    struct pkt p;
    va_list ap;
    char where[32];
    int i, rc = 0;

    ck_assert_int_eq(dec_new(lax, &d), 0);
    va_start(ap, n);
    for (i = 0; i < n && rc == 0; i++) {
        const char *m = va_arg(ap, const char *);

        snprintf(where, sizeof(where), "rec.json line %d", i + 1);
        rc = dec_feed(d, m, strlen(m), where, err, errsz);
        while (rc == 0 && (rc = dec_next(d, &p, err, errsz)) > 0) {
            if (f != NULL) {
                flat_add(f, &p);
            }
            rc = 0;
        }
    }
    va_end(ap);
    dec_free(d);
    return rc;
}

START_TEST(test_packets_and_positions)
{
    struct flat f;
    char err[256];

    flat_init(&f);
    ck_assert_int_eq(run(false, err, sizeof(err), &f, 2,
        mk(1, 100, "=80x24>2+5>1]1/2>1+0>1", "ab\xe2\x82\xac\xef\xbf\xbdxy",
           "255,254"),
        mk(2, 200, "=80x24+10>3", "end", "")), 0);
    ck_assert_uint_eq(f.out.bytes.len, 12);
    ck_assert_mem_eq(f.out.bytes.data, "ab\xe2\x82\xac\xff\xfexyend", 12);
    ck_assert_uint_eq(f.out.ms[0], 100);
    ck_assert_uint_eq(f.out.ms[2], 105);
    ck_assert_uint_eq(f.out.ms[8], 105);
    ck_assert_uint_eq(f.out.ms[9], 210);
    ck_assert_uint_eq(f.windows, 2);
    ck_assert_uint_eq(f.window_ms[1], 200);
    flat_fini(&f);
}
END_TEST

START_TEST(test_id_gap_strict_and_lax)
{
    char err[256];

    ck_assert_int_eq(run(false, err, sizeof(err), NULL, 2,
        mk(5, 0, ">1", "a", ""), mk(7, 0, ">1", "b", "")), -EINVAL);
    ck_assert_str_eq(err, "rec.json line 1: the first message has id 5, not 1"
                     " (4 messages missing at the start; --lax plays on)");
    ck_assert_int_eq(run(false, err, sizeof(err), NULL, 2,
        mk(1, 0, ">1", "a", ""), mk(4, 0, ">1", "b", "")), -EINVAL);
    ck_assert_str_eq(err, "rec.json line 2: message id 4 follows id 1"
                     " (2 messages missing; --lax plays on)");
    ck_assert_int_eq(run(true, err, sizeof(err), NULL, 2,
        mk(5, 0, ">1", "a", ""), mk(7, 0, ">1", "b", "")), 0);
    /* even lax, ids never go back */
    ck_assert_int_eq(run(true, err, sizeof(err), NULL, 2,
        mk(2, 0, ">1", "a", ""), mk(2, 0, ">1", "b", "")), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "ids must increase"));
}
END_TEST

START_TEST(test_time_going_back)
{
    char err[256];

    ck_assert_int_eq(run(false, err, sizeof(err), NULL, 2,
        mk(1, 100, ">1+50>1", "ab", ""), mk(2, 120, ">1", "c", "")), -EINVAL);
    ck_assert_str_eq(err, "rec.json line 2: message position 120 ms is before"
                     " the previous event at 150 ms (time goes back)");
}
END_TEST

START_TEST(test_timing_errors)
{
    char err[256];

    ck_assert_int_eq(run(false, err, sizeof(err), NULL, 1,
        mk(1, 0, ">1?3", "ab", "")), -EINVAL);
    ck_assert_str_eq(err, "rec.json line 1: field \"timing\" event 2"
                     " (character 3): unknown event type");
    ck_assert_int_eq(run(false, err, sizeof(err), NULL, 1,
        mk(1, 0, ">1>5", "ab", "")), -EINVAL);
    ck_assert_str_eq(err, "rec.json line 1: field \"timing\" event 2"
                     " (character 3): more characters than out_txt holds");
    ck_assert_int_eq(run(false, err, sizeof(err), NULL, 1,
        mk(1, 0, "]1/3", "\xef\xbf\xbd", "1,2")), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "more bytes than out_bin holds"));
    ck_assert_int_eq(run(false, err, sizeof(err), NULL, 1,
        mk(1, 0, ">1", "abc", "")), -EINVAL);
    ck_assert_str_eq(err, "rec.json line 1: field \"out_txt\" has 2 bytes"
                     " the timing does not account for");
}
END_TEST

START_TEST(test_other_recording)
{
    char err[512];
    char other[1024];

    snprintf(other, sizeof(other), "%s", mk(2, 0, ">1", "b", ""));
    memcpy(strstr(other, "\"r1\""), "\"r2\"", 4);
    ck_assert_int_eq(run(false, err, sizeof(err), NULL, 2,
        mk(1, 0, ">1", "a", ""), other), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "recording \"r2\""));
    ck_assert_ptr_nonnull(strstr(err, "choose one recording"));
}
END_TEST

START_TEST(test_parse_error_has_place)
{
    char err[256];

    ck_assert_int_eq(run(false, err, sizeof(err), NULL, 1,
        "{\"ver\":\"2.3\"}"), -EINVAL);
    ck_assert_str_eq(err, "rec.json line 1: field \"host\" is missing");
}
END_TEST

static Suite *
dec_suite(void)
{
    Suite *s = suite_create("dec");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_packets_and_positions);
    tcase_add_test(tc, test_id_gap_strict_and_lax);
    tcase_add_test(tc, test_time_going_back);
    tcase_add_test(tc, test_timing_errors);
    tcase_add_test(tc, test_other_recording);
    tcase_add_test(tc, test_parse_error_has_place);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(dec_suite());
}
