/*
 * jesc: escapes as the reference writes them, byte lists, metadata.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jesc.h"
#include "testlib.h"

static void
esc_is(uint8_t b, const char *want)
{
    uint8_t out[8] = { 0 };

    ck_assert_uint_eq(jesc_len[b], strlen(want));
    if (jesc_len[b] == 1) {
        return;
    }
    jesc_put(out, b);
    ck_assert_mem_eq(out, want, strlen(want));
}

START_TEST(test_escapes)
{
    esc_is('"', "\\\"");
    esc_is('\\', "\\\\");
    esc_is('\b', "\\b");
    esc_is('\f', "\\f");
    esc_is('\n', "\\n");
    esc_is('\r', "\\r");
    esc_is('\t', "\\t");
    esc_is(0x00, "\\u0000");
    esc_is(0x01, "\\u0001");
    esc_is(0x1b, "\\u001b");
    esc_is(0x1f, "\\u001f");
    esc_is(0x7f, "\\u007f");
    esc_is('a', "a");
    esc_is('/', "/");
    esc_is(0xc3, "x");      /* bytes of multi-byte characters stay raw */
}
END_TEST

START_TEST(test_bytes)
{
    uint8_t out[8];

    ck_assert_uint_eq(jesc_byte_put(out, 0), 2);
    ck_assert_mem_eq(out, "0,", 2);
    ck_assert_uint_eq(jesc_byte_put(out, 9), 2);
    ck_assert_uint_eq(jesc_byte_put(out, 42), 3);
    ck_assert_mem_eq(out, "42,", 3);
    ck_assert_uint_eq(jesc_byte_put(out, 255), 4);
    ck_assert_mem_eq(out, "255,", 4);
    ck_assert_uint_eq(jesc_byte_len[100], 4);
    ck_assert_uint_eq(jesc_byte_len[99], 3);
}
END_TEST

START_TEST(test_str_replaces_invalid)
{
    struct buf b;

    buf_init(&b, 1024);
    ck_assert_int_eq(jesc_str(&b, (const uint8_t *)"a\"\xff\xc3\xa9\n", 6), 0);
    ck_assert_uint_eq(b.len, strlen("a\\\"\xef\xbf\xbd\xc3\xa9\\n"));
    ck_assert_mem_eq(b.data, "a\\\"\xef\xbf\xbd\xc3\xa9\\n", b.len);
    buf_fini(&b);
}
END_TEST

static Suite *
jesc_suite(void)
{
    Suite *s = suite_create("jesc");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_escapes);
    tcase_add_test(tc, test_bytes);
    tcase_add_test(tc, test_str_replaces_invalid);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(jesc_suite());
}
