/*
 * buf: growth and the hard maximum.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "testlib.h"

START_TEST(test_grows_and_keeps_data)
{
    struct buf b;
    int i;

    buf_init(&b, 100000);
    for (i = 0; i < 10000; i++) {
        uint8_t c = (uint8_t)i;
        ck_assert_int_eq(buf_append(&b, &c, 1), 0);
    }
    ck_assert_uint_eq(b.len, 10000);
    for (i = 0; i < 10000; i++) {
        ck_assert_uint_eq(b.data[i], (uint8_t)i);
    }
    buf_fini(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_maximum_is_hard)
{
    struct buf b;

    buf_init(&b, 10);
    ck_assert_int_eq(buf_append(&b, "0123456789", 10), 0);
    ck_assert_int_eq(buf_append(&b, "x", 1), -EMSGSIZE);
    ck_assert_uint_eq(b.len, 10);
    ck_assert_uint_le(b.cap, 10);
    ck_assert_int_eq(buf_reserve(&b, SIZE_MAX), -EMSGSIZE);
    buf_fini(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_grows_and_keeps_data);
    tcase_add_test(tc, test_maximum_is_hard);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(buf_suite());
}
