/*
 * timing: every event type, white space, and malformed strings.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "timing.h"

START_TEST(test_all_events)
{
    const char *s = "=80x24+8>7 +476<6\n]2/3[1/1+0>0";
    const char *p = s, *end = s + strlen(s), *why = NULL;
    static const struct timing_ev want[] = {
        { '=', 80, 24 }, { '+', 8, 0 }, { '>', 7, 0 }, { '+', 476, 0 },
        { '<', 6, 0 }, { ']', 2, 3 }, { '[', 1, 1 }, { '+', 0, 0 },
        { '>', 0, 0 },
    };
    struct timing_ev ev;
    size_t i;

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_int_eq(timing_next(&p, end, &ev, &why), 1);
        ck_assert_int_eq(ev.type, want[i].type);
        ck_assert_uint_eq(ev.a, want[i].a);
        ck_assert_uint_eq(ev.b, want[i].b);
    }
    ck_assert_int_eq(timing_next(&p, end, &ev, &why), 0);
    ck_assert_ptr_eq(p, end);
}
END_TEST

static void
bad(const char *s, const char *why_part, size_t at)
{
    const char *p = s, *end = s + strlen(s), *why = NULL;
    struct timing_ev ev;
    int rc;

    while ((rc = timing_next(&p, end, &ev, &why)) == 1) {
    }
    ck_assert_int_eq(rc, -EINVAL);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, why_part) != NULL, "\"%s\": %s", s, why);
    ck_assert_uint_eq((size_t)(p - s), at);
}

START_TEST(test_malformed)
{
    bad(">", "count", 0);
    bad(">5x", "unknown event", 2);
    bad("]1", "'/' missing", 0);
    bad("]1/", "byte count", 0);
    bad("=80", "'x' missing", 0);
    bad("=65536x24", "width", 0);
    bad("=80x65536", "height", 0);
    bad("+4294967296", "delay", 0);
    bad(">99999999999999999999999", "count", 0);
    bad(">-1", "count", 0);
    bad("> 1", "count", 0);
}
END_TEST

START_TEST(test_limits_accepted)
{
    const char *s = "=65535x65535+4294967295";
    const char *p = s, *end = s + strlen(s), *why = NULL;
    struct timing_ev ev;

    ck_assert_int_eq(timing_next(&p, end, &ev, &why), 1);
    ck_assert_uint_eq(ev.a, 65535);
    ck_assert_int_eq(timing_next(&p, end, &ev, &why), 1);
    ck_assert_uint_eq(ev.a, 4294967295u);
}
END_TEST

static Suite *
timing_suite(void)
{
    Suite *s = suite_create("timing");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_all_events);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_limits_accepted);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(timing_suite());
}
