/*
 * enc: the exact messages the encoder writes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "testlib.h"

#define HEAD "{\"ver\":\"2.3\",\"host\":\"host.example\",\"rec\":\"rec-1\"," \
             "\"user\":\"user\",\"term\":\"xterm\",\"session\":7,"

static void
put(struct enc *e, enum pkt_type type, uint64_t ms, const char *data,
    size_t len)
{
    struct pkt p;

    memset(&p, 0, sizeof(p));
    p.type = type;
    p.ts = ms_ts(ms);
    p.data = (const uint8_t *)data;
    p.len = len;
    ck_assert_int_eq(enc_write(e, &p), 0);
}

static void
window(struct enc *e, uint64_t ms, unsigned short w, unsigned short h)
{
    struct pkt p;

    memset(&p, 0, sizeof(p));
    p.type = PKT_WINDOW;
    p.ts = ms_ts(ms);
    p.width = w;
    p.height = h;
    ck_assert_int_eq(enc_write(e, &p), 0);
}

static void
finish(struct enc *e, uint64_t ms)
{
    struct timespec ts = ms_ts(ms);

    ck_assert_int_eq(enc_finish(e, &ts), 0);
    enc_free(e);
}

START_TEST(test_one_message_exact)
{
    struct msgs m = { 0 };
    struct enc *e = testlib_enc(0, &m);

    window(e, 0, 80, 24);
    put(e, PKT_OUTPUT, 8, "hello\r\n", 7);
    put(e, PKT_INPUT, 484, "ls -l\r", 6);
    put(e, PKT_OUTPUT, 485, "caf\xc3\xa9 \"\\\x1b\x7f", 10);
    put(e, PKT_OUTPUT, 485, "bad:\xff\xfe end", 10);
    finish(e, 900);
    ck_assert_uint_eq(m.n, 1);
    ck_assert_str_eq(m.text[0], HEAD
        "\"id\":1,\"pos\":0,\"time\":1000000000.000,"
        "\"timing\":\"=80x24+8>7+476<6+1>13]2/2>4\","
        "\"in_txt\":\"ls -l\\r\",\"in_bin\":[],"
        "\"out_txt\":\"hello\\r\\ncaf\xc3\xa9 \\\"\\\\\\u001b\\u007f"
        "bad:\xef\xbf\xbd\xef\xbf\xbd end\","
        "\"out_bin\":[255,254]}");
    msgs_free(&m);
}
END_TEST

START_TEST(test_split_sequence_carried)
{
    struct msgs m = { 0 };
    struct enc *e = testlib_enc(0, &m);

    put(e, PKT_OUTPUT, 0, "a\xe2", 2);
    put(e, PKT_OUTPUT, 5, "\x82", 1);
    put(e, PKT_OUTPUT, 9, "\xac" "b", 2);
    finish(e, 10);
    ck_assert_uint_eq(m.n, 1);
    /* "€" is written whole, at the time its last byte came */
    ck_assert_ptr_nonnull(strstr(m.text[0],
        "\"timing\":\">1+9>2\",\"in_txt\":\"\",\"in_bin\":[],"
        "\"out_txt\":\"a\xe2\x82\xac" "b\",\"out_bin\":[]}"));
    msgs_free(&m);
}
END_TEST

START_TEST(test_split_sequence_broken)
{
    struct msgs m = { 0 };
    struct enc *e = testlib_enc(0, &m);

    put(e, PKT_OUTPUT, 0, "\xe2\x82", 2);
    put(e, PKT_OUTPUT, 3, "A", 1);
    finish(e, 4);
    /* nothing was recorded before 3 ms, so the message starts there */
    ck_assert_ptr_nonnull(strstr(m.text[0], "\"pos\":3,"));
    ck_assert_ptr_nonnull(strstr(m.text[0],
        "\"timing\":\"]1/2>1\",\"in_txt\":\"\",\"in_bin\":[],"
        "\"out_txt\":\"\xef\xbf\xbd" "A\",\"out_bin\":[226,130]}"));
    msgs_free(&m);
}
END_TEST

START_TEST(test_end_mid_sequence)
{
    struct msgs m = { 0 };
    struct enc *e = testlib_enc(0, &m);

    put(e, PKT_OUTPUT, 0, "x\xf0\x9f\x98", 4);
    finish(e, 7);
    ck_assert_ptr_nonnull(strstr(m.text[0],
        "\"timing\":\">1+7]1/3\",\"in_txt\":\"\",\"in_bin\":[],"
        "\"out_txt\":\"x\xef\xbf\xbd\",\"out_bin\":[240,159,152]}"));
    msgs_free(&m);
}
END_TEST

START_TEST(test_window_starts_every_message)
{
    struct msgs m = { 0 };
    struct enc *e = testlib_enc(64, &m);
    char text[200];
    size_t i;

    memset(text, 'x', sizeof(text));
    window(e, 0, 132, 43);
    put(e, PKT_OUTPUT, 1000, text, sizeof(text));
    window(e, 2000, 80, 24);
    put(e, PKT_OUTPUT, 3000, text, sizeof(text));
    finish(e, 4000);
    ck_assert_uint_gt(m.n, 4);
    for (i = 0; i < m.n; i++) {
        char *t = strstr(m.text[i], "\"timing\":\"=");
        ck_assert_msg(t != NULL, "message %zu: %s", i + 1, m.text[i]);
        ck_assert_uint_eq(m.id[i], i + 1);
    }
    /* the second message starts at the time of its first output */
    ck_assert_ptr_nonnull(strstr(m.text[1], "\"pos\":1000,"));
    ck_assert_ptr_nonnull(strstr(m.text[1], "\"time\":1000000001.000,"));
    ck_assert_ptr_nonnull(strstr(m.text[1], "\"timing\":\"=132x43>"));
    ck_assert_ptr_nonnull(strstr(m.text[m.n - 1], "\"timing\":\"=80x24>"));
    msgs_free(&m);
}
END_TEST

START_TEST(test_payload_splits_on_characters)
{
    struct msgs m = { 0 };
    struct enc *e = testlib_enc(40, &m);
    /* 3-byte characters and escapes that do not divide 40 evenly */
    static const char s[] = "\xe2\x82\xac\n\xe2\x82\xac\"\xe2\x82\xac\x01"
                            "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac";
    size_t i, total = 0;
    int round;

    for (round = 0; round < 20; round++) {
        put(e, PKT_OUTPUT, 0, s, sizeof(s) - 1);
    }
    finish(e, 1);
    for (i = 0; i < m.n; i++) {
        const char *a = strstr(m.text[i], "\"out_txt\":\"") + 11;
        const char *b = strstr(a, "\",\"out_bin\"");
        const char *t = strstr(m.text[i], "\"timing\":\"") + 10;
        const char *te = strstr(t, "\",");

        ck_assert_uint_le((size_t)(b - a) + (size_t)(te - t), 40);
        ck_assert_ptr_nonnull(strstr(m.text[i], "\"out_bin\":[]"));
        total += (size_t)(b - a);
    }
    ck_assert_uint_gt(m.n, 10);
    ck_assert_uint_gt(total, 20 * (sizeof(s) - 1));
    msgs_free(&m);
}
END_TEST

START_TEST(test_same_ms_merges_and_delays)
{
    struct msgs m = { 0 };
    struct enc *e = testlib_enc(0, &m);
    struct pkt p;

    put(e, PKT_OUTPUT, 0, "ab", 2);
    put(e, PKT_OUTPUT, 0, "cd", 2);
    /* sub-millisecond times fold into the millisecond */
    memset(&p, 0, sizeof(p));
    p.type = PKT_OUTPUT;
    p.ts.tv_nsec = 999999;
    p.data = (const uint8_t *)"e";
    p.len = 1;
    ck_assert_int_eq(enc_write(e, &p), 0);
    put(e, PKT_INPUT, 1, "x", 1);
    put(e, PKT_OUTPUT, 1, "y", 1);
    put(e, PKT_OUTPUT, 70000, "z", 1);
    finish(e, 70001);
    ck_assert_ptr_nonnull(strstr(m.text[0], "\"timing\":\">5+1<1>1+69999>1\""));
    msgs_free(&m);
}
END_TEST

START_TEST(test_latency_pending)
{
    struct msgs m = { 0 };
    struct enc *e = testlib_enc(0, &m);
    struct timespec since;

    ck_assert(!enc_pending(e, &since));
    put(e, PKT_OUTPUT, 1234, "a", 1);
    put(e, PKT_OUTPUT, 2000, "b", 1);
    ck_assert(enc_pending(e, &since));
    ck_assert_int_eq(since.tv_sec, 1);
    ck_assert_int_eq(since.tv_nsec, 234000000);
    ck_assert_int_eq(enc_flush(e), 0);
    ck_assert(!enc_pending(e, &since));
    ck_assert_uint_eq(m.n, 1);
    ck_assert_uint_eq(enc_next_id(e), 2);
    /* a flush keeps an incomplete character for the next message */
    put(e, PKT_OUTPUT, 2100, "\xc3", 1);
    ck_assert(!enc_pending(e, &since));
    put(e, PKT_OUTPUT, 2200, "\xa9", 1);
    finish(e, 2300);
    ck_assert_uint_eq(m.n, 2);
    ck_assert_ptr_nonnull(strstr(m.text[1], "\"out_txt\":\"\xc3\xa9\""));
    msgs_free(&m);
}
END_TEST

static int
failing_emit(void *ctx, const char *json, size_t len, uint64_t id)
{
    (void)json;
    (void)len;
    (void)id;
    (*(int *)ctx)++;
    return -EIO;
}

START_TEST(test_emit_failure_leaves_gap)
{
    struct enc_conf conf;
    struct enc *e;
    char err[128];
    int calls = 0;
    struct pkt p;

    memset(&conf, 0, sizeof(conf));
    conf.emit = failing_emit;
    conf.emit_ctx = &calls;
    ck_assert_int_eq(enc_new(&conf, &e, err, sizeof(err)), 0);
    memset(&p, 0, sizeof(p));
    p.type = PKT_OUTPUT;
    p.data = (const uint8_t *)"x";
    p.len = 1;
    ck_assert_int_eq(enc_write(e, &p), 0);
    ck_assert_int_eq(enc_flush(e), -EIO);
    ck_assert_int_eq(calls, 1);
    /* the lost message's id is not reused: readers see the gap */
    ck_assert_uint_eq(enc_next_id(e), 2);
    enc_free(e);
}
END_TEST

START_TEST(test_bad_settings)
{
    struct enc_conf conf;
    struct enc *e = NULL;
    char err[128] = "";
    char longname[ENC_FIELD_MAX + 2];
    struct msgs m = { 0 };

    memset(&conf, 0, sizeof(conf));
    conf.emit = msgs_emit;
    conf.emit_ctx = &m;
    conf.payload = 31;
    ck_assert_int_eq(enc_new(&conf, &e, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "payload 31 is out of range 32-1048576 bytes");
    conf.payload = ENC_PAYLOAD_MAX + 1;
    ck_assert_int_eq(enc_new(&conf, &e, err, sizeof(err)), -EINVAL);
    conf.payload = 0;
    memset(longname, 'h', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    conf.host = longname;
    ck_assert_int_eq(enc_new(&conf, &e, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "host is 1025 bytes long"));
    conf.host = "ok";
    conf.emit = NULL;
    ck_assert_int_eq(enc_new(&conf, &e, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_null(e);
}
END_TEST

START_TEST(test_metadata_escaped)
{
    struct enc_conf conf;
    struct enc *e = NULL;
    char err[128];
    struct msgs m = { 0 };
    struct timespec end = { 0, 0 };

    memset(&conf, 0, sizeof(conf));
    conf.host = "h\"q";
    conf.user = "u\\s";
    conf.term = "t\x01\xff";
    conf.session = 4294967295u;
    conf.emit = msgs_emit;
    conf.emit_ctx = &m;
    ck_assert_int_eq(enc_new(&conf, &e, err, sizeof(err)), 0);
    put(e, PKT_OUTPUT, 0, "x", 1);
    ck_assert_int_eq(enc_finish(e, &end), 0);
    enc_free(e);
    ck_assert_ptr_nonnull(strstr(m.text[0],
        "\"host\":\"h\\\"q\",\"rec\":\"\",\"user\":\"u\\\\s\","
        "\"term\":\"t\\u0001\xef\xbf\xbd\",\"session\":4294967295,"));
    msgs_free(&m);
}
END_TEST

static Suite *
enc_suite(void)
{
    Suite *s = suite_create("enc");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_one_message_exact);
    tcase_add_test(tc, test_split_sequence_carried);
    tcase_add_test(tc, test_split_sequence_broken);
    tcase_add_test(tc, test_end_mid_sequence);
    tcase_add_test(tc, test_window_starts_every_message);
    tcase_add_test(tc, test_payload_splits_on_characters);
    tcase_add_test(tc, test_same_ms_merges_and_delays);
    tcase_add_test(tc, test_latency_pending);
    tcase_add_test(tc, test_emit_failure_leaves_gap);
    tcase_add_test(tc, test_bad_settings);
    tcase_add_test(tc, test_metadata_escaped);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(enc_suite());
}
