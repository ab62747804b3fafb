/*
 * jtok: strings, numbers, skipping unknown values, errors.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jtok.h"
#include "testlib.h"

static void
string_is(const char *json, const char *want, size_t want_len)
{
    struct jtok t;
    struct buf b;

    buf_init(&b, 4096);
    jtok_init(&t, json, strlen(json));
    ck_assert_msg(jtok_string(&t, &b) == 0, "%s: %s", json, t.why);
    ck_assert_uint_eq(b.len, want_len);
    ck_assert_mem_eq(b.data, want, want_len);
    buf_fini(&b);
}

START_TEST(test_strings)
{
    string_is("\"plain\"", "plain", 5);
    string_is("\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 7);
    string_is("\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5);
    string_is("\"\\u0000\\u001b\\u007f\"", "\0\x1b\x7f", 3);
    string_is("\"\\u00e9\\u20AC\"", "\xc3\xa9\xe2\x82\xac", 5);
    string_is("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
    string_is("\"caf\xc3\xa9 \xe2\x82\xac\"", "caf\xc3\xa9 \xe2\x82\xac", 9);
}
END_TEST

static void
string_bad(const char *json, const char *why_part)
{
    struct jtok t;

    jtok_init(&t, json, strlen(json));
    ck_assert_int_eq(jtok_string(&t, NULL), -EINVAL);
    ck_assert_msg(strstr(t.why, why_part) != NULL, "%s: %s", json, t.why);
}

START_TEST(test_bad_strings)
{
    string_bad("\"abc", "not terminated");
    string_bad("\"a\nb\"", "control character");
    string_bad("\"\\x\"", "unknown escape");
    string_bad("\"\\u12\"", "bad \\u");
    string_bad("\"\\ud800\"", "unpaired high");
    string_bad("\"\\udc00\"", "unpaired low");
    string_bad("\"\xff\"", "invalid UTF-8");
    string_bad("\"\xe2\x82\"", "invalid UTF-8");
    string_bad("42", "expected a string");
}
END_TEST

START_TEST(test_numbers)
{
    struct jtok t;
    bool is_int;
    int64_t v, milli;

    jtok_init(&t, "1795321501.554", 14);
    ck_assert_int_eq(jtok_number(&t, &is_int, &v, &milli), 0);
    ck_assert(!is_int);
    ck_assert_int_eq(milli, 1795321501554LL);

    jtok_init(&t, "4294967295", 10);
    ck_assert_int_eq(jtok_number(&t, &is_int, &v, &milli), 0);
    ck_assert(is_int);
    ck_assert_int_eq(v, 4294967295LL);
    ck_assert_int_eq(milli, 4294967295000LL);

    jtok_init(&t, "1.7953215e9", 11);
    ck_assert_int_eq(jtok_number(&t, &is_int, &v, &milli), 0);
    ck_assert_int_eq(milli, 1795321500000LL);

    jtok_init(&t, "-12", 3);
    ck_assert_int_eq(jtok_number(&t, &is_int, &v, NULL), 0);
    ck_assert_int_eq(v, -12);

    jtok_init(&t, "99999999999999999999", 20);
    ck_assert_int_eq(jtok_number(&t, &is_int, &v, NULL), -ERANGE);

    jtok_init(&t, "012", 3);
    ck_assert_int_eq(jtok_number(&t, &is_int, &v, NULL), -EINVAL);
    jtok_init(&t, "1.", 2);
    ck_assert_int_eq(jtok_number(&t, &is_int, &v, NULL), -EINVAL);
    jtok_init(&t, "-", 1);
    ck_assert_int_eq(jtok_number(&t, &is_int, &v, NULL), -EINVAL);
}
END_TEST

START_TEST(test_skip)
{
    static const char *const ok[] = {
        "{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false,\"e\":-1.5e3}",
        "[]", "{}", "\"s\"", "0", "[[[[]]]]",
    };
    static const char *const bad[] = {
        "{\"a\":}", "[1,]", "tru", "{\"a\" 1}", "[1 2]", "",
    };
    struct jtok t;
    char deep[200];
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        jtok_init(&t, ok[i], strlen(ok[i]));
        ck_assert_msg(jtok_skip(&t) == 0, "%s: %s", ok[i], t.why);
        ck_assert_int_eq(jtok_peek(&t), JTOK_END);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jtok_init(&t, bad[i], strlen(bad[i]));
        ck_assert_msg(jtok_skip(&t) < 0, "accepted %s", bad[i]);
    }
    /* nesting is bounded */
    memset(deep, '[', sizeof(deep));
    jtok_init(&t, deep, sizeof(deep));
    ck_assert_int_eq(jtok_skip(&t), -EINVAL);
    ck_assert_str_eq(t.why, "nested too deep");
}
END_TEST

static Suite *
jtok_suite(void)
{
    Suite *s = suite_create("jtok");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_bad_strings);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_skip);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(jtok_suite());
}
