/*
 * utf8: unit classification against the reference's segmentation, and
 * the fast prefix scan against a plain code-point decoder.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "utf8.h"

static void
unit_is(const char *s, size_t len, enum utf8_kind kind, size_t ulen)
{
    size_t got;

    ck_assert_int_eq(utf8_unit((const uint8_t *)s, len, &got), kind);
    ck_assert_uint_eq(got, ulen);
}

START_TEST(test_unit_valid)
{
    unit_is("A", 1, UTF8_VALID, 1);
    unit_is("\xc3\xa9", 2, UTF8_VALID, 2);
    unit_is("\xe2\x82\xac", 3, UTF8_VALID, 3);
    unit_is("\xf0\x9f\x98\x80", 4, UTF8_VALID, 4);
    unit_is("\xf4\x8f\xbf\xbf", 4, UTF8_VALID, 4);     /* U+10FFFF */
    unit_is("\xed\x9f\xbf", 3, UTF8_VALID, 3);         /* U+D7FF */
    unit_is("\xef\xbf\xbd", 3, UTF8_VALID, 3);         /* U+FFFD */
}
END_TEST

START_TEST(test_unit_invalid_maximal_subparts)
{
    /* As the reference recorder splits them (checked against tlog-rec) */
    unit_is("\xe2\x82" "b", 3, UTF8_INVALID, 2);
    unit_is("\xff", 1, UTF8_INVALID, 1);
    unit_is("\xc0\xaf", 2, UTF8_INVALID, 1);          /* overlong lead */
    unit_is("\xed\xa0\x80", 3, UTF8_INVALID, 1);      /* surrogate */
    unit_is("\xf4\x90\x80\x80", 4, UTF8_INVALID, 1);  /* past U+10FFFF */
    unit_is("\xe0\x80\xaf", 3, UTF8_INVALID, 1);      /* overlong */
    unit_is("\x80", 1, UTF8_INVALID, 1);
    unit_is("\xf5\x80", 2, UTF8_INVALID, 1);
    unit_is("\xf0\x9f\x98" "A", 4, UTF8_INVALID, 3);
}
END_TEST

START_TEST(test_unit_short)
{
    unit_is("\xe2", 1, UTF8_SHORT, 1);
    unit_is("\xe2\x82", 2, UTF8_SHORT, 2);
    unit_is("\xf0\x9f\x98", 3, UTF8_SHORT, 3);
    /* a prefix that is already wrong is invalid, not short */
    unit_is("\xf0\x80", 2, UTF8_INVALID, 1);
}
END_TEST

/* A plain decoder written from the Unicode tables, for cross-checking */
static size_t
plain_prefix(const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint32_t cp;
        size_t len, k;

        if (s[i] < 0x80) {
            i++;
            continue;
        } else if ((s[i] & 0xE0) == 0xC0) {
            len = 2;
            cp = s[i] & 0x1F;
        } else if ((s[i] & 0xF0) == 0xE0) {
            len = 3;
            cp = s[i] & 0x0F;
        } else if ((s[i] & 0xF8) == 0xF0) {
            len = 4;
            cp = s[i] & 0x07;
        } else {
            break;
        }
        if (i + len > n) {
            break;
        }
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                break;
            }
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (k < len || (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
            (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            break;
        }
        i += len;
    }
    return i;
}

START_TEST(test_prefix_matches_plain_decoder)
{
    uint8_t s[96];
    uint64_t x = 88172645463325252ULL;
    int round;
    size_t i, n;

    for (round = 0; round < 200000; round++) {
        n = 1 + round % 95;
        for (i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* mostly ASCII, so the word-at-a-time path runs too */
            s[i] = (x & 7) ? (uint8_t)(x >> 8 & 0x7F) : (uint8_t)(x >> 16);
        }
        ck_assert_uint_eq(utf8_valid_prefix(s, n), plain_prefix(s, n));
    }
}
END_TEST

START_TEST(test_count_and_skip)
{
    const uint8_t *s = (const uint8_t *)"abc\xe2\x82\xac" "0123456789\xf0\x9f\x98\x80z";
    size_t n = strlen((const char *)s);

    ck_assert_uint_eq(utf8_count(s, n), 16);
    ck_assert_uint_eq(utf8_skip(s, n, 0), 0);
    ck_assert_uint_eq(utf8_skip(s, n, 3), 3);
    ck_assert_uint_eq(utf8_skip(s, n, 4), 6);
    ck_assert_uint_eq(utf8_skip(s, n, 14), 16);
    ck_assert_uint_eq(utf8_skip(s, n, 15), 20);
    ck_assert_uint_eq(utf8_skip(s, n, 16), n);
    ck_assert_uint_eq(utf8_skip(s, n, 17), (size_t)-1);
}
END_TEST

static Suite *
utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_unit_valid);
    tcase_add_test(tc, test_unit_invalid_maximal_subparts);
    tcase_add_test(tc, test_unit_short);
    tcase_add_test(tc, test_prefix_matches_plain_decoder);
    tcase_add_test(tc, test_count_and_skip);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(utf8_suite());
}
