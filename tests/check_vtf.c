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

/*
 * in is an attack (some modelled terminal dispatches something unsafe
 * from it as it is), and the filter's output is safe for every modelled
 * terminal, whatever the splits.
 */
static void
defused(const char *in, size_t n)
{
    static uint8_t out[65536];
    const char *what;
    unsigned flags;
    size_t split, len;

    what = unsafe_in((const uint8_t *)in, n, &flags);
    ck_assert_msg(what != NULL, "the model sees nothing unsafe in the input");
    for (split = 0; split <= n; split++) {
        len = run(in, n, split, out);
        what = unsafe_in(out, len, &flags);
        ck_assert_msg(what == NULL, "split %zu: %s reaches the terminal "
                      "(model flags %#x)", split, what, flags);
    }
}

#define SAFE(in) defused(in, sizeof(in) - 1)

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

/* Reports that xterm, DEC terminals and kitty also answer */
START_TEST(test_drops_other_reports)
{
    F("a\x1b[1$wb\x1b[2$w", "ab");                 /* DECRQPSR */
    F("a\x1b[1$ub\x1b[&u", "ab");                  /* DECRQTSR, DECRQUPSS */
    F("a\x1b[?1;1;0Sb\x1b[#S", "ab");              /* XTSMGRAPHICS, XTTITLEPOS */
    F("a\x1b[#Rb\x1b[\"v", "ab");                  /* XTREPORTCOLORS, DECRQDE */
    F("a\x1b[1;1;1;1;2;2*yb", "ab");                /* DECRQCRA */
    F("a\x1b[1;1;2;2#|b\x1b['|\x1b[?0g", "ab");    /* XTREPORTSGR, DECRQLP,
                                                       XTQFMTKEYS */
    F("a\x1b]60\x07" "b\x1b]61;allowColorOps\x1b\\\x1b]62;x\x07", "ab");
    F("a\x1b]46;/tmp/log\x07" "b", "ab");          /* xterm's log file */
    F("a\x1b]5522;type=read\x1b\\b", "ab");        /* kitty's clipboard */
    F("a\x1b]21;foreground=?\x1b\\b", "ab");       /* kitty's colours */
    F("a\x1b]052;c;aGk=\x07" "b\x1b]99999999;x\x07\x1b];0\x07", "ab");
    /* the sequences nearby that only set things pass */
    F("\x1b[1 q\x1b[2$}\x1b[62;1\"p\x1b[>4;2m\x1b[u\x1b[1 u",
      "\x1b[1 q\x1b[2$}\x1b[62;1\"p\x1b[>4;2m\x1b[u\x1b[1 u");
}
END_TEST

/* Modes that take the terminal out of the parser the filter models */
START_TEST(test_keeps_the_parser)
{
    SAFE("\x1b%@\xc5\x9b" "6n");    /* out of UTF-8, 0x9B is CSI */
    F("a\x1b%@b\x1b%8\x1b%/Gc\x1b%G", "abc\x1b%G");
    F("a\x1b[?38hb\x1b[?1;038h", "ab");             /* Tektronix */
    F("a\x1b[?2lb\x1b[?25;2l", "ab");                /* VT52 */
    F("\x1b[?25l\x1b[2l\x1b[?38l", "\x1b[?25l\x1b[2l\x1b[?38l");
}
END_TEST

/* The model itself: it must see the functions the filter is there for */
START_TEST(test_model_sees_unsafe)
{
    static const char *const bad[] = {
        "\x1b[6n", "\x1b[c", "\x1b[>c", "\x1b[14t", "\x1b[?1$p",
        "\x1b[>q", "\x1bZ", "\x05", "\x1bP$qm\x1b\\", "\x1b_Gi=1\x1b\\",
        "\x1b]52;c;aGk=\x07", "\x1b]52;c;?\x1b\\", "\x1b]11;?\x07",
        ("\xc2\x9b" "6n"), "\xc2\x9a",
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

/* CAN and SUB cancel whatever sequence or string they fall in */
START_TEST(test_can_sub_cancel)
{
    /* the answer-back after a cancelled string is not part of it */
    SAFE("\x1b]0;t\x18\x05\x07");
    F("\x1b]0;t\x18\x05\x07", "\x18\x07");
    SAFE("\x1bPq\x1a\x05\x1b\\");
    F("\x1bPq\x1a\x05\x1b\\", "\x1a\x1b\\");
    SAFE("\x1b]0;t\x18\xc2\x9b" "6n\x07");
    SAFE("\x1b]0;t\x1a\x9b" "6n\x07");
    /* a query after a cancelled escape or control sequence */
    SAFE("\x1b(\x18\x1b[6n");
    F("\x1b(\x18\x1b[6n", "\x18");
    F("\x1b[1;\x18\x1b[5n", "\x18");
    F("\x1b[>\x1aq", "\x1aq");
    /* the cancelled string is not played, the one after it is judged */
    F("\x1b]0;\x18\x1b]52;c;aGk=\x07", "\x18");
    F("\x1bP\x1a\x1b[6n", "\x1a");
}
END_TEST

/* ESC starts a new sequence inside an escape or control sequence */
START_TEST(test_esc_restarts)
{
    SAFE("\x1b[\x1b[c");
    F("\x1b[\x1b[c", "");
    SAFE("\x1b[?1\x1b[>q");
    SAFE("\x1b(\x1b[6n");
    F("\x1b(\x1b[6nx", "x");
    /* ESC ESC: the first one does nothing, and is not left behind */
    SAFE("\x1b\x1bZ[6n");
    F("\x1b\x1bZ[6n", "[6n");
    F("\x1b\x1b[1m", "\x1b[1m");
}
END_TEST

/* ESC in a string: ST if '\' follows, otherwise the string is cut short */
START_TEST(test_esc_in_string)
{
    /* a cut string must not stay open in the terminal, to swallow what
     * follows the dropped sequence */
    SAFE("\x1b]5\x1bZ2;c;aGk=\x07");
    F("\x1b]5\x1bZ2;c;aGk=\x07", "2;c;aGk=\x07");
    SAFE("\x1b]4;1;red;2;\x1b[6n;3;?\x07");
    SAFE("\x1b]0;t\x1b[6n\x07");
    F("\x1b]0;t\x1b[1m", "\x1b[1m");
    F("\x1b]0;t\x1b\\", "\x1b]0;t\x1b\\");
}
END_TEST

/* C1 controls act like their ESC forms, inside sequences too */
START_TEST(test_c1_inside)
{
    SAFE("\x1b]0;t\xc2\x9b" "6n\x07");
    F("\x1b]0;t\xc2\x9b" "6n\x07", "\x07");
    SAFE("\x1b]0;t\x9b" "6n\x07");
    SAFE("\x1b[\xc2\x9b>q");
    F("\x1b[\xc2\x9b>q", "");
    SAFE("\x1b[\x9b>q");
    /* 0x9A is DECID to xterm, in a string as well */
    SAFE("a\xc2\x9a" "b");
    F("a\xc2\x9a" "b\x9a", "ab");
    SAFE("\x1b]0;t\xc2\x9a\x07");
    /* ST in UTF-8 form is played as ESC \, which every terminal reads */
    SAFE("\x1b]4;1;red;2;\xc2\x9c;3;?\x07");
    F("\x1b]4;1;red;2;\xc2\x9c;3;?\x07", "\x1b]4;1;red;2;\x1b\\;3;?\x07");
    /* an 8-bit ST ends only a string an 8-bit C1 began */
    SAFE("\x1b]4;1;red;2;\x9c;3;?\x07");
    F("\x1b]4;1;red;2;\x9c;3;?\x07", ";3;?\x07");
    F("\x9d" "0;t\x9c", "\x9d" "0;t\x9c");
}
END_TEST

/* A string's UTF-8 is decoded as the terminal decodes it */
START_TEST(test_utf8_in_strings)
{
    /* 0x9C inside a character is not ST */
    SAFE("\x1b]4;1;red;2;\xe2\x9c\x93;3;?\x07");
    F("\x1b]2;\xe2\x9c\x93 ok\x07", "\x1b]2;\xe2\x9c\x93 ok\x07");
    /* xterm keeps 7 bits of what is not a title: U+00B5 U+00B2 is
     * "52", U+2603 is '?' */
    SAFE("\x1b]\xc2\xb5\xc2\xb2;c;aGk=\x07");
    SAFE("\x1b]4;1;\xe2\x98\x83\x07");
    /* nor is a character cut short: the byte after it is read anew */
    SAFE("\xe0\x9b" "6n");
    SAFE("\x1b]0;t\xe0\x9b" "6n\x07");
}
END_TEST

/* Bytes past 7 bits in escape and control sequences: xterm reads
 * U+00A0-U+00FF as their 7-bit counterparts there */
START_TEST(test_8bit_in_sequences)
{
    SAFE("\x1b[\xc3\xa3" "A");
    F("\x1b[\xc3\xa3" "A", "\xc3\xa3" "A");
    SAFE("\x1b[6\xc3\xaem");
    SAFE("\x1b\xc3\x9a");
    F("\x1b\xc3\x9a", "\xc3\x9a");
    SAFE("\x1b[6\xe2\x98\x83n");
}
END_TEST

/* C0 controls inside a sequence act at once (and are played first);
 * inside a string they are ignored */
START_TEST(test_c0_inside)
{
    SAFE("\x1b[\n>q");
    F("\x1b[\n>q", "\n");
    SAFE("\x1b[?1\r$p");
    SAFE("\x1b\n[6n");
    F("\x1b\n[6n", "\n");
    F("\x1b[1\r;31mred", "\r\x1b[1;31mred");
    SAFE("\x1b]5\n2;c;aGk=\x07");
    F("\x1b]5\n2;c;aGk=\x07", "");
    F("\x1b]2;a\tb\x07", "\x1b]2;ab\x07");
    /* an ENQ inside a sequence is dropped as it is anywhere */
    F("\x1b[\x05" "1m", "\x1b[1m");
}
END_TEST

/* Whatever the filter drops, the terminal is left where the filter
 * thinks it is: a dropped sequence takes a character cut short before
 * it along */
START_TEST(test_nothing_left_open)
{
    SAFE("\xc2\x1b[6n\x9d" "4;1;red;2;\x9c;3;?\x07");
    F("\xe2\x82\x1b[6n\x82\xac", "\x82\xac");
    F("\xc3\x1b[1m", "\x1b[1m");
}
END_TEST

/* Benign sequences, split anywhere, pass byte for byte */
START_TEST(test_benign_byte_for_byte)
{
    static const char in[] =
        "\x1b[?1049h\x1b[1;1H\x1b[2J\x1b[38;2;10;20;30m"
        "\x1b[38:5:208mx\x1b[0m\x1b[?2004h\x1b[>4;1m\x1b[4:3m\x1b[ q"
        "\x1b]0;h\xc3\xa9llo \xe2\x9c\x93\x07\x1b]7;file://h/tmp\x1b\\"
        "\x1b]8;id=1;https://x/y?a=1\x1b\\l\x1b]8;;\x1b\\"
        "\x1b]133;A\x07\x1b]4;1;rgb:ff/00/00\x07\x1b]104\x07"
        "\x1bPq\"1;1;8;8#0;2;0;0;0#0!8~-\x1b\\"
        "\x1b(0lqk\x1b(B\x1b#8\x1b" "7\x1b" "8\x1b" "c\x1bM\x1b%G"
        "\xc2\x9b" "1m\x9b" "0m\x9d" "2;t\x07\xc2\x85\x0e\x0f\b\t\r\n";

    F(in, in);
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
    tcase_add_test(tc, test_drops_other_reports);
    tcase_add_test(tc, test_keeps_the_parser);
    tcase_add_test(tc, test_model_sees_unsafe);
    tcase_add_test(tc, test_can_sub_cancel);
    tcase_add_test(tc, test_esc_restarts);
    tcase_add_test(tc, test_esc_in_string);
    tcase_add_test(tc, test_c1_inside);
    tcase_add_test(tc, test_utf8_in_strings);
    tcase_add_test(tc, test_8bit_in_sequences);
    tcase_add_test(tc, test_c0_inside);
    tcase_add_test(tc, test_nothing_left_open);
    tcase_add_test(tc, test_benign_byte_for_byte);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(vtf_suite());
}
