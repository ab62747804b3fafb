/*
 * msg: the fields of a message, their types and ranges, and the errors
 * that name them.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "testlib.h"

/* The reference recorder's own example message */
static const char REF[] =
    "{\"ver\":\"2.3\",\"host\":\"vm\",\"rec\":\"3fc47ffc417849db89f573e0d90be12e"
    "-6273-1bea5\",\"user\":\"root\",\"term\":\"xterm\",\"session\":4294967295,"
    "\"id\":1,\"pos\":0,\"time\":1795321501.554,\"timing\":\"=80x24+8>7+476<6"
    "+1>25+300>11]2/2>6\",\"in_txt\":\"ls -l\\r\",\"in_bin\":[],\"out_txt\":"
    "\"hello\\r\\nls -l\\r\\nyou typed: ls -l\\r\\ncaf\xc3\xa9 \xe2\x82\xac bad:"
    "\xef\xbf\xbd\xef\xbf\xbd end\\r\\n\",\"out_bin\":[255,254]}";

START_TEST(test_reference_message)
{
    struct msg m;
    char err[256];

    msg_init(&m);
    ck_assert_msg(msg_parse(&m, REF, strlen(REF), err, sizeof(err)) == 0,
                  "%s", err);
    ck_assert_uint_eq(m.ver_major, 2);
    ck_assert_uint_eq(m.ver_minor, 3);
    ck_assert_str_eq((char *)m.host.data, "vm");
    ck_assert_str_eq((char *)m.user.data, "root");
    ck_assert_str_eq((char *)m.term.data, "xterm");
    ck_assert_uint_eq(m.session, 4294967295u);
    ck_assert_uint_eq(m.id, 1);
    ck_assert_uint_eq(m.pos, 0);
    ck_assert(m.has_time);
    ck_assert_int_eq(m.time_ms, 1795321501554LL);
    ck_assert_uint_eq(m.in_txt.len, 6);
    ck_assert_mem_eq(m.in_txt.data, "ls -l\r", 6);
    ck_assert_uint_eq(m.out_bin.len, 2);
    ck_assert_uint_eq(m.out_bin.data[0], 255);
    ck_assert_uint_eq(m.out_bin.data[1], 254);
    msg_fini(&m);
}
END_TEST

/* Replace the first occurrence of from in REF with to, then parse */
static int
parse_edit(const char *from, const char *to, char *err, size_t errsz)
{
    char buf[2048];
    const char *at = strstr(REF, from);
    struct msg m;
    int rc;

    ck_assert_ptr_nonnull(at);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - REF), REF, to,
             at + strlen(from));
    msg_init(&m);
    rc = msg_parse(&m, buf, strlen(buf), err, errsz);
    msg_fini(&m);
    return rc;
}

static void
edit_fails(const char *from, const char *to, const char *err_part)
{
    char err[256] = "";

    ck_assert_msg(parse_edit(from, to, err, sizeof(err)) < 0,
                  "accepted %s -> %s", from, to);
    ck_assert_msg(strstr(err, err_part) != NULL,
                  "%s -> %s: error \"%s\" lacks \"%s\"", from, to, err,
                  err_part);
}

static void
edit_ok(const char *from, const char *to)
{
    char err[256] = "";

    ck_assert_msg(parse_edit(from, to, err, sizeof(err)) == 0,
                  "%s -> %s: %s", from, to, err);
}

START_TEST(test_required_fields)
{
    static const char *const req[] = {
        "\"ver\":\"2.3\",", "\"host\":\"vm\",", "\"user\":\"root\",",
        "\"term\":\"xterm\",", "\"session\":4294967295,", "\"id\":1,",
        "\"pos\":0,", "\"in_bin\":[],",
    };
    static const char *const names[] = {
        "\"ver\"", "\"host\"", "\"user\"", "\"term\"", "\"session\"",
        "\"id\"", "\"pos\"", "\"in_bin\"",
    };
    size_t i;

    for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
        char want[64];

        snprintf(want, sizeof(want), "field %s is missing", names[i]);
        edit_fails(req[i], "", want);
    }
    /* optional ones */
    edit_ok("\"rec\":\"3fc47ffc417849db89f573e0d90be12e-6273-1bea5\",", "");
    edit_ok("\"time\":1795321501.554,", "");
    edit_ok("\"in_txt\":\"ls -l\\r\",", "");
}
END_TEST

START_TEST(test_types_and_ranges)
{
    edit_fails("\"session\":4294967295", "\"session\":0", "\"session\"");
    edit_fails("\"session\":4294967295", "\"session\":4294967296", "\"session\"");
    edit_fails("\"session\":4294967295", "\"session\":\"1\"", "integer");
    edit_fails("\"id\":1", "\"id\":-1", "\"id\"");
    edit_fails("\"id\":1", "\"id\":1.5", "\"id\"");
    edit_fails("\"pos\":0", "\"pos\":-5", "\"pos\"");
    edit_fails("\"host\":\"vm\"", "\"host\":7", "\"host\" must be a string");
    edit_fails("\"out_bin\":[255,254]", "\"out_bin\":[256]", "\"out_bin\"");
    edit_fails("\"out_bin\":[255,254]", "\"out_bin\":[\"a\"]", "\"out_bin\"");
    edit_fails("\"out_bin\":[255,254]", "\"out_bin\":{}", "\"out_bin\"");
    edit_fails("\"time\":1795321501.554", "\"time\":\"x\"", "\"time\"");
    edit_fails("\"host\":\"vm\"", "\"host\":\"v\\u0000m\"", "NUL");
}
END_TEST

START_TEST(test_versions)
{
    edit_ok("\"ver\":\"2.3\"", "\"ver\":\"2\"");
    edit_ok("\"ver\":\"2.3\"", "\"ver\":2");
    edit_ok("\"ver\":\"2.3\"", "\"ver\":\"1.0\"");
    edit_fails("\"ver\":\"2.3\"", "\"ver\":\"3.0\"", "supported version");
    edit_fails("\"ver\":\"2.3\"", "\"ver\":3", "supported version");
    edit_fails("\"ver\":\"2.3\"", "\"ver\":\"2.x\"", "MAJOR");
    edit_fails("\"ver\":\"2.3\"", "\"ver\":\"\"", "MAJOR");
}
END_TEST

START_TEST(test_syntax_and_extras)
{
    char err[256];
    struct msg m;

    /* unknown fields of any shape are skipped */
    edit_ok("\"user\"", "\"x_extra\":{\"a\":[1,{\"b\":null}]},\"user\"");
    edit_fails("\"user\":\"root\"", "\"user\":\"root\",\"user\":\"x\"",
               "appears twice");
    edit_fails("\"id\":1,", "\"id\":1,,", "byte");
    edit_fails("[255,254]}", "[255,254]} x", "after the end");
    msg_init(&m);
    ck_assert_int_eq(msg_parse(&m, "[1]", 3, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "JSON object"));
    ck_assert_int_eq(msg_parse(&m, "{\"ver\":", 7, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "\"ver\""));
    msg_fini(&m);
}
END_TEST

static Suite *
msg_suite(void)
{
    Suite *s = suite_create("msg");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_reference_message);
    tcase_add_test(tc, test_required_fields);
    tcase_add_test(tc, test_types_and_ranges);
    tcase_add_test(tc, test_versions);
    tcase_add_test(tc, test_syntax_and_extras);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(msg_suite());
}
