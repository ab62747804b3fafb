/*
 * vtf: the playback safety filter drops what makes a terminal answer or
 * touches the clipboard, passes everything else, whatever the splits.
 *
 * "Safe" below is judged by tests/vtmodel.c, a model of a terminal's
 * parser run under every combination of its flags: no terminal it
 * models may dispatch an unsafe function from the filter's output.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "vtf.h"
#include "vtmodel.h"

/* Filter s whole, or cut at every split point, into out; returns length */
static size_t
run(const char *s, size_t n, size_t split, uint8_t *out)
{
    struct vtf *f;
    size_t o = 0, i;

    ck_assert_int_eq(vtf_new(&f), 0);
    if (split == 0) {
        o = vtf_filter(f, (const uint8_t *)s, n, out);
    } else {
        for (i = 0; i < n; i += split) {
            size_t k = n - i < split ? n - i : split;

            o += vtf_filter(f, (const uint8_t *)s + i, k, out + o);
        }
    }
    vtf_free(f);
    return o;
}

static void
filters_to(const char *in, size_t n, const char *want, size_t wn)
{
    static uint8_t out[2][65536];
    size_t split, len;

    for (split = 0; split <= n; split++) {
        len = run(in, n, split, out[0]);
        ck_assert_msg(len == wn && memcmp(out[0], want, wn) == 0,
                      "split %zu: got %zu bytes", split, len);
    }
}

#define F(in, want) filters_to(in, sizeof(in) - 1, want, sizeof(want) - 1)

/* The first unsafe function the model saw */
struct verdict {
    const char *what;
};

static void
judge(void *ctx, const struct vtmodel_event *ev)
{
    struct verdict *v = ctx;
    const char *what = vtmodel_unsafe(ev);

    if (what != NULL && v->what == NULL) {
        v->what = what;
    }
}

/*
 * The first unsafe function a modelled terminal dispatches from s[0..n),
 * or NULL; *flags gets the model's flags.
 */
static const char *
unsafe_in(const uint8_t *s, size_t n, unsigned *flags)
{
    unsigned fl;

    for (fl = 0; fl < VTMODEL_FLAGS_END; fl++) {
        struct verdict v = { NULL };
        struct vtmodel *m;

        ck_assert_int_eq(vtmodel_new(&m, fl, judge, &v), 0);
        vtmodel_feed(m, s, n);
        vtmodel_free(m);
        if (v.what != NULL) {
            *flags = fl;
            return v.what;
        }
    }
    return NULL;
}

START_TEST(test_passes_ordinary_output)
{
    F("plain text\r\n", "plain text\r\n");
    F("\x1b[1;31mred\x1b[0m", "\x1b[1;31mred\x1b[0m");
    F("\x1b[2J\x1b[H\x1b[?25l\x1b[?1049h", "\x1b[2J\x1b[H\x1b[?25l\x1b[?1049h");
    F("\x1b]0;title\x07\x1b]2;t\x1b\\", "\x1b]0;title\x07\x1b]2;t\x1b\\");
    F("\x1b(B\x1b)0\x1b=\x1b>\x1b" "7\x1b" "8", "\x1b(B\x1b)0\x1b=\x1b>\x1b" "7\x1b" "8");
    F("caf\xc3\xa9 \xe2\x82\xac \xc2\xa0nbsp \xff", "caf\xc3\xa9 \xe2\x82\xac \xc2\xa0nbsp \xff");
    F("\x1bPq#0;2;0;0;0#0~~\x1b\\", "\x1bPq#0;2;0;0;0#0~~\x1b\\");   /* sixel */
    F("\x1b]8;;http://x/\x1b\\link\x1b]8;;\x1b\\",
      "\x1b]8;;http://x/\x1b\\link\x1b]8;;\x1b\\");
}
END_TEST

START_TEST(test_drops_queries)
{
    F("a\x1b[6nb", "ab");
    F("a\x1b[5nb", "ab");
    F("a\x1b[?6nb", "ab");
    F("a\x1b[cb\x1b[0c\x1b[>c\x1b[=c", "ab");
    F("a\x1b[21tb\x1b[14t\x1b[18t\x1b[8;100;200t", "ab");
    F("a\x1b[xb", "ab");
    F("a\x1b[?1$pb\x1b[4$p", "ab");
    F("a\x1b[>qb", "ab");
    F("a\x1b[?ub", "ab");
    F("a\x1bP$qm\x1b\\b", "ab");
    F("a\x1bP+q544e\x1b\\b", "ab");
    F("a\x1bP1|17/ab\x1b\\b", "ab");                 /* DECUDK */
    F("a\x1b]11;?\x07" "b\x1b]4;1;?\x1b\\\x1b]10;?\x07", "ab");
    F("a\x05" "b", "ab");
    F("a\x1bZb", "ab");
    F("a\x1b_Gi=1;a=q\x1b\\b", "ab");                /* APC query */
}
END_TEST

START_TEST(test_drops_clipboard)
{
    F("a\x1b]52;c;aGVsbG8=\x07" "b", "ab");
    F("a\x1b]52;c;?\x1b\\b", "ab");
}
END_TEST

START_TEST(test_c1_forms)
{
    /* 8-bit and UTF-8 forms of CSI and OSC */
    F("a\x9b" "6nb", "ab");
    F("a\xc2\x9b" "6nb", "ab");
    F("a\xc2\x9d" "52;c;eA==\x07" "b", "ab");
    F("a\x9b" "1mb", "a\x9b" "1mb");
    F("a\xc2\x85" "b", "a\xc2\x85" "b");             /* NEL passes */
}
END_TEST

START_TEST(test_too_long_is_dropped)
{
    static char in[VTF_SEQ_MAX * 3];
    size_t n;

    memcpy(in, "a\x1b]2;", 5);
    memset(in + 5, 'x', sizeof(in) - 10);
    memcpy(in + sizeof(in) - 5, "\x07" "bcd", 4);
    n = sizeof(in) - 1;
    {
        static uint8_t out[sizeof(in) + VTF_SEQ_MAX];
        size_t len = run(in, n, 0, out);

        ck_assert_uint_eq(len, 4);
        ck_assert_mem_eq(out, "abcd", 4);
    }
}
END_TEST

/* The model itself: it must see the functions the filter is there for */
START_TEST(test_model_sees_unsafe)
{
    static const char *const bad[] = {
        "\x1b[6n", "\x1b[c", "\x1b[>c", "\x1b[14t", "\x1b[?1$p",
        "\x1b[>q", "\x1bZ", "\x05", "\x1bP$qm\x1b\\", "\x1b_Gi=1\x1b\\",
        "\x1b]52;c;aGk=\x07", "\x1b]52;c;?\x1b\\", "\x1b]11;?\x07",
        "\xc2\x9b" "6n", "\xc2\x9a",
    };
    static const char *const good[] = {
        "plain", "\x1b[1m", "\x1b[2J", "\x1b]0;title\x07",
        "\x1bPq#0~\x1b\\", "\x1b(B", "\x1b[?25l", "\x1b]8;;http://x/?a\x07",
    };
    unsigned flags;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(unsafe_in((const uint8_t *)bad[i], strlen(bad[i]),
                                &flags) != NULL, "bad[%zu] not seen", i);
    }
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const char *what = unsafe_in((const uint8_t *)good[i],
                                     strlen(good[i]), &flags);

        ck_assert_msg(what == NULL, "good[%zu]: %s", i, what);
    }
}
END_TEST

static Suite *
vtf_suite(void)
{
    Suite *s = suite_create("vtf");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_passes_ordinary_output);
    tcase_add_test(tc, test_drops_queries);
    tcase_add_test(tc, test_drops_clipboard);
    tcase_add_test(tc, test_c1_forms);
    tcase_add_test(tc, test_too_long_is_dropped);
    tcase_add_test(tc, test_model_sees_unsafe);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(vtf_suite());
}
