/*
 * The audit event list: aushape's real output (the stored audit logs
 * run through aushape) walked into commands, files, logins and failed
 * authentications with their offsets; the queries; the walk over
 * answers of any shape; the limit on events.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_query.h"
#include "testlib.h"

/* The wall clock the stored logs' first events are at */
#define LOG_START 1795334624000LL

/* A search answer holding aushape's events for the log tests/DIR/NAME */
static struct json_object *
answer_of_log(const char *dir, const char *name)
{
    const char *top = getenv("top_srcdir"), *build = getenv("top_builddir");
    struct json_object *answer = json_object_new_object();
    struct json_object *outer = json_object_new_object();
    struct json_object *hits = json_object_new_array();
    char cmd[8192], line[1 << 20];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "'%s/aushape/aushape' --events-per-doc=none "
             "'%s/tests/%s/%s'", build ? build : ".", top ? top : "..", dir,
             name);
    p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    while (fgets(line, sizeof(line), p) != NULL) {
        struct json_object *hit = json_object_new_object();
        struct json_object *ev = json_tokener_parse(line);

        ck_assert_msg(ev != NULL, "aushape wrote no JSON: %s", line);
        json_object_object_add(hit, "_source", ev);
        json_object_array_add(hits, hit);
    }
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_uint_gt(json_object_array_length(hits), 0);
    json_object_object_add(outer, "hits", hits);
    json_object_object_add(answer, "hits", outer);
    return answer;
}

/* The events of an answer given as JSON text, walked from start */
static struct json_object *
walk_text(const char *json, long long start, int *rc)
{
    struct json_object *answer = json_tokener_parse(json);
    struct json_object *events = json_object_new_array();
    char err[256];

    *rc = audit_events_add(events, answer, start, err, sizeof(err));
    json_object_put(answer);
    return events;
}

static const char *
str(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v)) {
        return NULL;
    }
    return json_object_get_string(v);
}

static long long
num(struct json_object *o, const char *key)
{
    struct json_object *v;

    ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
                  json_object_to_json_string(o));
    return json_object_get_int64(v);
}

/* The first event of kind whose argv[0] (or "" for any) is arg0 */
static struct json_object *
find(struct json_object *events, const char *kind, const char *arg0)
{
    size_t i;

    for (i = 0; i < json_object_array_length(events); i++) {
        struct json_object *e = json_object_array_get_idx(events, i);
        struct json_object *argv;
        const char *a = "";

        if (strcmp(str(e, "kind"), kind) != 0) {
            continue;
        }
        if (json_object_object_get_ex(e, "argv", &argv)) {
            a = json_object_get_string(json_object_array_get_idx(argv, 0));
        }
        if (*arg0 == '\0' || strcmp(a, arg0) == 0) {
            return e;
        }
    }
    return NULL;
}

/* The command whose argv starts with arg0, arg1 */
static struct json_object *
find2(struct json_object *events, const char *arg0, const char *arg1)
{
    size_t i;

    for (i = 0; i < json_object_array_length(events); i++) {
        struct json_object *e = json_object_array_get_idx(events, i);
        struct json_object *argv = json_object_object_get(e, "argv");

        if (json_object_is_type(argv, json_type_array) &&
            json_object_array_length(argv) >= 2 &&
            !strcmp(json_object_get_string(json_object_array_get_idx(argv, 0)),
                    arg0) &&
            !strcmp(json_object_get_string(json_object_array_get_idx(argv, 1)),
                    arg1)) {
            return e;
        }
    }
    return NULL;
}

START_TEST(test_commands_from_aushape)
{
    struct json_object *answer = answer_of_log("aushape", "interleaved.log");
    struct json_object *events = json_object_new_array();
    struct json_object *e, *argv, *uid;
    char err[256];

    ck_assert_int_eq(audit_events_add(events, answer, LOG_START, err,
                                      sizeof(err)), 0);
    ck_assert_uint_eq(json_object_array_length(events), 12);
    audit_events_sort(events);
    /* arguments the audit log holds in hex come back as text */
    e = find2(events, "/bin/echo", "hello world");
    ck_assert_ptr_nonnull(e);
    argv = json_object_object_get(e, "argv");
    ck_assert_str_eq(json_object_to_json_string_ext(argv,
                                                    JSON_C_TO_STRING_PLAIN),
                     "[\"\\/bin\\/echo\",\"hello world\",\"quo\\\"te\","
                     "\"\xc3\xbcn\xc3\xaf\",\"plain\"]");
    ck_assert_str_eq(str(e, "argv_from"), "execve");
    ck_assert_str_eq(str(e, "cwd"), "/tmp/au");
    ck_assert_str_eq(str(e, "exe"), "/usr/bin/echo");
    ck_assert_str_eq(str(e, "syscall"), "execve");
    ck_assert_str_eq(str(e, "key"), "tlogtest");
    ck_assert(json_object_get_boolean(json_object_object_get(e, "success")));
    ck_assert_int_eq(num(e, "exit"), 0);
    ck_assert_int_eq(num(e, "serial"), 17746);
    /* msg=audit(1795334624.066:17746) */
    ck_assert_int_eq(num(e, "offset"), 66);
    uid = json_object_object_get(e, "uid");
    ck_assert_str_eq(str(uid, "name"), "root");
    ck_assert_int_eq(num(uid, "id"), 0);
    uid = json_object_object_get(e, "auid");
    ck_assert_str_eq(str(uid, "name"), "unset");
    ck_assert_int_eq(num(uid, "id"), 4294967295LL);
    /* a command cut in pieces (a1_len, a1[0]...) is whole again */
    e = find(events, "command", "/bin/echo");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(strlen(json_object_get_string(json_object_array_get_idx(
        json_object_object_get(e, "argv"), 1))), AUDIT_TEXT_MAX);
    json_object_put(events);
    json_object_put(answer);
}
END_TEST

START_TEST(test_file_event)
{
    struct json_object *answer = answer_of_log("aushape", "interleaved.log");
    struct json_object *events = json_object_new_array();
    struct json_object *e, *paths;
    char err[256];
    size_t i;

    ck_assert_int_eq(audit_events_add(events, answer, LOG_START, err,
                                      sizeof(err)), 0);
    e = NULL;
    for (i = 0; i < json_object_array_length(events); i++) {
        struct json_object *x = json_object_array_get_idx(events, i);

        if (!strcmp(str(x, "kind"), "file") && str(x, "key") != NULL &&
            !strcmp(str(x, "key"), "watched")) {
            e = x;
        }
    }
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(str(e, "syscall"), "openat");
    ck_assert_str_eq(str(e, "exe"), "/usr/bin/touch");
    ck_assert_int_eq(num(e, "exit"), 3);
    paths = json_object_object_get(e, "paths");
    ck_assert_uint_eq(json_object_array_length(paths), 2);
    ck_assert_str_eq(str(json_object_array_get_idx(paths, 0), "name"),
                     "watched/");
    ck_assert_str_eq(str(json_object_array_get_idx(paths, 0), "nametype"),
                     "PARENT");
    ck_assert_str_eq(str(json_object_array_get_idx(paths, 1), "name"),
                     "watched/newfile");
    ck_assert_str_eq(str(json_object_array_get_idx(paths, 1), "nametype"),
                     "CREATE");
    ck_assert_ptr_null(json_object_object_get(e, "argv"));
    json_object_put(events);
    json_object_put(answer);
}
END_TEST

/* Real records of a su to the user tlogjoin: a wrong password, then a
 * session (tests/audit/login.log, from the join test's audit log) */
START_TEST(test_login_and_failed_auth)
{
    struct json_object *answer = answer_of_log("audit", "login.log");
    struct json_object *events = json_object_new_array();
    struct json_object *e;
    char err[256];
    size_t i, failed = 0, start = 0;

    ck_assert_int_eq(audit_events_add(events, answer, LOG_START, err,
                                      sizeof(err)), 0);
    audit_events_sort(events);
    for (i = 0; i < json_object_array_length(events); i++) {
        e = json_object_array_get_idx(events, i);
        if (!strcmp(str(e, "kind"), "auth") &&
            !strcmp(str(e, "type"), "user_auth") &&
            !strcmp(str(e, "result"), "failed")) {
            ck_assert_str_eq(str(e, "account"), "tlogjoin");
            ck_assert_str_eq(str(e, "op"), "PAM:authentication");
            ck_assert_str_eq(str(e, "exe"), "/usr/bin/su");
            ck_assert_ptr_nonnull(str(e, "terminal"));
            failed++;
        }
        if (!strcmp(str(e, "kind"), "login") &&
            !strcmp(str(e, "type"), "user_start")) {
            ck_assert_str_eq(str(e, "account"), "tlogjoin");
            ck_assert_str_eq(str(e, "result"), "success");
            ck_assert_str_eq(str(e, "op"), "PAM:session_open");
            start++;
        }
    }
    ck_assert_uint_eq(failed, 1);
    ck_assert_uint_eq(start, 1);
    json_object_put(events);
    json_object_put(answer);
}
END_TEST

START_TEST(test_offsets_and_order)
{
    int rc;
    struct json_object *ev = walk_text(
        "{\"hits\":{\"hits\":["
        "{\"_source\":{\"serial\":3,\"time\":\"2026-11-22T08:03:45.500+01:00\","
        "\"data\":{\"user_login\":{\"op\":[\"login\"],\"id\":[\"al\",\"9\"],"
        "\"res\":[\"failed\"]}}}},"
        "{\"_source\":{\"serial\":2,\"time\":\"2026-11-22T07:03:44.000Z\","
        "\"data\":{\"syscall\":{\"syscall\":[\"execve\",\"59\"]},"
        "\"execve\":[\"ls\"]}}},"
        "{\"_source\":{\"serial\":1,\"time\":\"2026-11-22T07:03:44.000Z\","
        "\"data\":{\"execve\":[\"pwd\"]}}}]}}",
        1795331024000LL, &rc);

    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(json_object_array_length(ev), 3);
    audit_events_sort(ev);
    /* 08:03:45.500+01:00 is 07:03:45.500Z, 1500 ms after the start */
    ck_assert_int_eq(num(json_object_array_get_idx(ev, 2), "offset"), 1500);
    ck_assert_str_eq(str(json_object_array_get_idx(ev, 2), "kind"), "login");
    ck_assert_str_eq(str(json_object_array_get_idx(ev, 2), "account"), "al");
    ck_assert_str_eq(str(json_object_array_get_idx(ev, 2), "result"),
                     "failed");
    ck_assert_int_eq(num(json_object_array_get_idx(ev, 0), "serial"), 1);
    ck_assert_int_eq(num(json_object_array_get_idx(ev, 1), "serial"), 2);
    ck_assert_int_eq(num(json_object_array_get_idx(ev, 0), "offset"), 0);
    json_object_put(ev);

    /* before the start: negative */
    ev = walk_text("{\"hits\":{\"hits\":[{\"_source\":{\"time\":"
                   "\"2026-11-22T07:00:00Z\",\"data\":{\"user_auth\":"
                   "{\"res\":[\"failed\"]}}}}]}}", 1795331024000LL, &rc);
    ck_assert_int_eq(num(json_object_array_get_idx(ev, 0), "offset"),
                     -224000);
    ck_assert_str_eq(str(json_object_array_get_idx(ev, 0), "kind"), "auth");
    json_object_put(ev);
}
END_TEST

START_TEST(test_connection_and_proctitle)
{
    int rc;
    struct json_object *e, *ev = walk_text(
        "{\"hits\":{\"hits\":["
        "{\"_source\":{\"serial\":5,\"time\":\"2026-11-22T07:03:44.000Z\","
        "\"data\":{\"syscall\":{\"syscall\":[\"connect\",\"42\"],"
        "\"success\":[\"no\"],\"exit\":[\"ECONNREFUSED(Connection refused)\","
        "\"-111\"]},\"sockaddr\":{\"saddr\":[\"{ saddr_fam=inet "
        "laddr=127.0.0.1 lport=8080 }\",\"02001F907F0000010000000000000000\"]}"
        "}}},"
        "{\"_source\":{\"serial\":6,\"time\":\"2026-11-22T07:03:44.000Z\","
        "\"data\":{\"sockaddr\":{\"saddr\":[\"x\",\"0A000016000000000000000000"
        "0000000000000000000001\"]}}}},"
        "{\"_source\":{\"serial\":7,\"time\":\"2026-11-22T07:03:44.000Z\","
        "\"data\":{\"sockaddr\":{\"saddr\":[\"x\",\"01002F72756E2F78\"]}}}},"
        "{\"_source\":{\"serial\":8,\"time\":\"2026-11-22T07:03:44.000Z\","
        "\"trimmed\":[\"data.execve\"],\"data\":{\"syscall\":{\"syscall\":"
        "[\"execve\",\"59\"]},\"proctitle\":{\"proctitle\":[\"ls -l /\","
        "\"6C73002D6C002F00FF41\"]}}}}]}}", 1795331024000LL, &rc);

    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(json_object_array_length(ev), 4);
    e = json_object_array_get_idx(ev, 0);
    ck_assert_str_eq(str(e, "kind"), "connection");
    ck_assert_str_eq(str(e, "family"), "inet");
    ck_assert_str_eq(str(e, "address"), "127.0.0.1");
    ck_assert_int_eq(num(e, "port"), 8080);
    ck_assert(!json_object_get_boolean(json_object_object_get(e, "success")));
    ck_assert_int_eq(num(e, "exit"), -111);
    ck_assert_str_eq(str(e, "error"), "ECONNREFUSED(Connection refused)");
    e = json_object_array_get_idx(ev, 1);
    ck_assert_str_eq(str(e, "family"), "inet6");
    ck_assert_str_eq(str(e, "address"), "::1");
    ck_assert_int_eq(num(e, "port"), 22);
    e = json_object_array_get_idx(ev, 2);
    ck_assert_str_eq(str(e, "family"), "local");
    ck_assert_str_eq(str(e, "address"), "/run/x");
    e = json_object_array_get_idx(ev, 3);
    ck_assert_str_eq(str(e, "kind"), "command");
    ck_assert_str_eq(str(e, "argv_from"), "proctitle");
    ck_assert_str_eq(json_object_to_json_string_ext(
        json_object_object_get(e, "argv"), JSON_C_TO_STRING_PLAIN |
        JSON_C_TO_STRING_NOSLASHESCAPE),
        "[\"ls\",\"-l\",\"/\",\"\xef\xbf\xbd" "A\"]");
    json_object_put(ev);
}
END_TEST

/* Answers of the wrong shape: skipped, or refused as no answer at all */
START_TEST(test_any_shape)
{
    static const char *const bad_hits[] = {
        "{\"hits\":{\"hits\":[1,\"x\",null,[],{},{\"_source\":5},"
        "{\"_source\":{\"time\":7,\"data\":{}}},"
        "{\"_source\":{\"data\":{}}},"
        "{\"_source\":{\"time\":\"garbage\",\"data\":{\"execve\":[1]}}}]}}",
        "{\"hits\":{\"hits\":[{\"_source\":{\"time\":1,\"data\":{"
        "\"execve\":{\"a\":1},\"syscall\":[1,2],\"path\":\"x\","
        "\"sockaddr\":{\"saddr\":[1,[2]]},\"cwd\":[[[]]]}}}]}}",
        "{\"hits\":{\"hits\":[{\"_source\":{\"time\":1,\"serial\":\"s\","
        "\"data\":{\"user_auth\":[[],{\"res\":[[]],\"acct\":{}}],"
        "\"syscall\":{\"exit\":[{},\"-\",\"99999999999999999999\"],"
        "\"uid\":[[],7],\"euid\":\"0\"},\"path\":[1,{\"name\":[2]}],"
        "\"sockaddr\":{\"saddr\":[\"\",\"0200\"]},\"proctitle\":"
        "{\"proctitle\":[\"a\",\"ZZ\"]}}}}]}}",
    };
    static const char *const no_hits[] = {
        "[]", "{}", "{\"hits\":[]}", "{\"hits\":{\"hits\":{}}}", "7",
    };
    struct json_object *ev;
    size_t i;
    int rc;

    for (i = 0; i < sizeof(bad_hits) / sizeof(bad_hits[0]); i++) {
        ev = walk_text(bad_hits[i], 0, &rc);
        ck_assert_int_eq(rc, 0);
        ck_assert_ptr_nonnull(json_object_to_json_string(ev));
        json_object_put(ev);
    }
    ev = walk_text(bad_hits[0], 0, &rc);
    /* only the hit with a time and data is an event */
    ck_assert_uint_eq(json_object_array_length(ev), 1);
    ck_assert_str_eq(str(json_object_array_get_idx(ev, 0), "kind"), "other");
    json_object_put(ev);
    for (i = 0; i < sizeof(no_hits) / sizeof(no_hits[0]); i++) {
        ev = walk_text(no_hits[i], 0, &rc);
        ck_assert_int_eq(rc, -EINVAL);
        json_object_put(ev);
    }
}
END_TEST

/* More hits than the list holds, and more than the answer sent */
START_TEST(test_limit_and_duplicates)
{
    struct json_object *answer = json_object_new_object();
    struct json_object *outer = json_object_new_object();
    struct json_object *hits = json_object_new_array();
    struct json_object *events = json_object_new_array();
    char err[256], text[256];
    size_t i;

    for (i = 0; i < AUDIT_EVENTS_MAX + 10; i++) {
        snprintf(text, sizeof(text), "{\"_source\":{\"serial\":%zu,\"time\":"
                 "\"2026-11-22T07:03:44.000Z\",\"data\":{\"execve\":"
                 "[\"x\"]}}}", i);
        json_object_array_add(hits, json_tokener_parse(text));
    }
    json_object_object_add(outer, "total", json_tokener_parse(
        "{\"value\":5030,\"relation\":\"eq\"}"));
    json_object_object_add(outer, "hits", hits);
    json_object_object_add(answer, "hits", outer);
    /* 10 over the limit, and 20 the store did not send */
    ck_assert_int_eq(audit_events_add(events, answer, 0, err, sizeof(err)),
                     30);
    ck_assert_uint_eq(json_object_array_length(events), AUDIT_EVENTS_MAX);
    json_object_put(events);
    /* the same events twice are listed once */
    json_object_object_del(outer, "total");
    json_object_array_del_idx(hits, 10, AUDIT_EVENTS_MAX);
    events = json_object_new_array();
    ck_assert_int_eq(audit_events_add(events, answer, 0, err, sizeof(err)),
                     0);
    ck_assert_int_eq(audit_events_add(events, answer, 0, err, sizeof(err)),
                     0);
    ck_assert_uint_eq(json_object_array_length(events), 10);
    json_object_put(events);
    json_object_put(answer);
}
END_TEST

START_TEST(test_queries)
{
    struct audit_rec r = { "vm1", "alice", 42, 1000000, 2000000, 0 };
    struct json_object *q = NULL;
    const char *t;
    char err[256];

    ck_assert_int_eq(audit_query_session(&r, 5000, &q, err, sizeof(err)), 0);
    t = json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN);
    ck_assert_ptr_nonnull(strstr(t, "{\"term\":{\"host\":\"vm1\"}}"));
    ck_assert_ptr_nonnull(strstr(t, "{\"term\":{\"data.syscall.ses\":\"42\"}}"));
    ck_assert_ptr_nonnull(strstr(t, "{\"term\":{\"data.user_end.ses\":\"42\"}}"));
    ck_assert_ptr_nonnull(strstr(t, "\"gte\":995000,\"lte\":2005000"));
    ck_assert_ptr_nonnull(strstr(t, "\"size\":5000"));
    json_object_put(q);
    ck_assert_int_eq(audit_query_login(&r, 600000, 5000, &q, err,
                                       sizeof(err)), 0);
    t = json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN);
    ck_assert_ptr_nonnull(strstr(t, "{\"term\":{\"host\":\"vm1\"}}"));
    ck_assert_ptr_nonnull(strstr(t, "{\"term\":{\"data.user_auth.acct\":"
                                    "\"alice\"}}"));
    ck_assert_ptr_nonnull(strstr(t, "{\"term\":{\"data.user_start.auid\":"
                                    "\"alice\"}}"));
    ck_assert_ptr_nonnull(strstr(t, "\"gte\":400000,\"lte\":1005000"));
    ck_assert_ptr_null(strstr(t, ".ses"));
    json_object_put(q);
    /* the rules' window cuts the searches' starts */
    r.since_ms = 1500000;
    ck_assert_int_eq(audit_query_session(&r, 5000, &q, err, sizeof(err)), 0);
    t = json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN);
    ck_assert_ptr_nonnull(strstr(t, "\"gte\":1500000,\"lte\":2005000"));
    json_object_put(q);
    ck_assert_int_eq(audit_query_login(&r, 600000, 5000, &q, err,
                                       sizeof(err)), 0);
    t = json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN);
    ck_assert_ptr_nonnull(strstr(t, "\"gte\":1500000,\"lte\":1005000"));
    json_object_put(q);
    r.since_ms = 0;
    /* a fully qualified host matches its short name too */
    r.host = "db1.example.org";
    ck_assert_int_eq(audit_query_login(&r, 600000, 5000, &q, err,
                                       sizeof(err)), 0);
    t = json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN);
    ck_assert_ptr_nonnull(strstr(t, "{\"terms\":{\"host\":"
                                    "[\"db1.example.org\",\"db1\"]}}"));
    json_object_put(q);
    /* no session, no host: refused with a reason */
    r.session = AUDIT_SESSION_UNSET;
    err[0] = '\0';
    ck_assert_int_eq(audit_query_session(&r, 0, &q, err, sizeof(err)),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "no audit session"));
    r.host = "";
    ck_assert_int_eq(audit_query_login(&r, 0, 0, &q, err, sizeof(err)),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "no host"));
}
END_TEST

START_TEST(test_time_parse)
{
    long long ms = 0;

    ck_assert_int_eq(audit_time_parse("2026-11-22T08:03:44.058+00:00", &ms),
                     0);
    ck_assert_int_eq(ms, 1795334624058LL);
    ck_assert_int_eq(audit_time_parse("2026-11-22T10:03:44.5+02:00", &ms), 0);
    ck_assert_int_eq(ms, 1795334624500LL);
    ck_assert_int_eq(audit_time_parse("2026-11-22T03:03:44-05:00", &ms), 0);
    ck_assert_int_eq(ms, 1795334624000LL);
    ck_assert_int_eq(audit_time_parse("2026-11-22T08:03:44Z", &ms), 0);
    ck_assert_int_eq(audit_time_parse("2026-11-22T08:03:44", &ms), -EINVAL);
    ck_assert_int_eq(audit_time_parse("2026-13-22T08:03:44Z", &ms), -EINVAL);
    ck_assert_int_eq(audit_time_parse("2026-11-22T08:03:44+0000", &ms),
                     -EINVAL);
    ck_assert_int_eq(audit_time_parse("", &ms), -EINVAL);
}
END_TEST

static Suite *
audit_suite(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_commands_from_aushape);
    tcase_add_test(tc, test_file_event);
    tcase_add_test(tc, test_login_and_failed_auth);
    tcase_add_test(tc, test_offsets_and_order);
    tcase_add_test(tc, test_connection_and_proctitle);
    tcase_add_test(tc, test_any_shape);
    tcase_add_test(tc, test_limit_and_duplicates);
    tcase_add_test(tc, test_queries);
    tcase_add_test(tc, test_time_parse);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(audit_suite());
}
