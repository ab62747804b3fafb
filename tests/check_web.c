/*
 * tlog-web's modules that need no network: access rules as
 * Elasticsearch filters, login throttling, sessions and their timeouts,
 * request checks.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "request.h"
#include "rules.h"
#include "sessions.h"
#include "static.h"
#include "testlib.h"
#include "throttle.h"

static const char *const rules_text =
    "[{\"groups\": [\"aud\"], \"users\": [\"alice\", \"ops-*\"],"
    "  \"hosts\": [\"host1\"], \"days\": 7, \"rights\": [\"search\"]},"
    " {\"auditors\": [\"carol\"], \"rights\": [\"search\", \"play\","
    "  \"input\"]}]";

static struct rules *
load(const char *text)
{
    struct rules *r = NULL;
    char err[256] = "";

    ck_assert_msg(rules_parse(text, &r, err, sizeof(err)) == 0, "%s", err);
    return r;
}

static const char *
text_of(struct json_object *o)
{
    return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

START_TEST(test_rules_filter_of_a_group)
{
    struct rules *r = load(rules_text);
    struct json_object *f = rules_filter(r, "dave", "staff\naud",
                                         RULES_SEARCH);
    const char *t = text_of(f);

    ck_assert_ptr_nonnull(strstr(t, "{\"wildcard\":{\"user\":{\"value\":"
                                    "\"alice\"}}}"));
    ck_assert_ptr_nonnull(strstr(t, "{\"wildcard\":{\"user\":{\"value\":"
                                    "\"ops-*\"}}}"));
    ck_assert_ptr_nonnull(strstr(t, "{\"wildcard\":{\"host\":{\"value\":"
                                    "\"host1\"}}}"));
    ck_assert_ptr_nonnull(strstr(t, "{\"range\":{\"time\":{\"gte\":"
                                    "\"now-7d\"}}}"));
    ck_assert_ptr_null(strstr(t, "match_all"));
    ck_assert_uint_eq(rules_rights(r, "dave", "staff\naud"), RULES_SEARCH);
    json_object_put(f);
    rules_free(r);
}
END_TEST

START_TEST(test_rules_without_the_right_match_nothing)
{
    struct rules *r = load(rules_text);
    struct json_object *f;

    /* the group's rule gives no play right; the name alone no rule */
    f = rules_filter(r, "dave", "aud", RULES_PLAY);
    ck_assert_str_eq(text_of(f), "{\"match_none\":{}}");
    json_object_put(f);
    f = rules_filter(r, "aud", "", RULES_SEARCH);
    ck_assert_str_eq(text_of(f), "{\"match_none\":{}}");
    json_object_put(f);
    /* a group name is matched whole, not as a prefix */
    f = rules_filter(r, "dave", "audit", RULES_SEARCH);
    ck_assert_str_eq(text_of(f), "{\"match_none\":{}}");
    json_object_put(f);
    /* carol: everything, with input */
    f = rules_filter(r, "carol", "", RULES_PLAY | RULES_INPUT);
    ck_assert_ptr_nonnull(strstr(text_of(f), "match_all"));
    json_object_put(f);
    ck_assert_uint_eq(rules_rights(r, "carol", ""),
                      RULES_SEARCH | RULES_PLAY | RULES_INPUT);
    rules_free(r);
}
END_TEST

/* The starts of the windows of 7 and 30 days at 1700000000 */
#define WEEK_MS ((1700000000LL - 7 * 86400) * 1000)
#define MONTH_MS ((1700000000LL - 30 * 86400) * 1000)

/* The rules judged for one recording, as Elasticsearch judges the
 * filter: wildcard patterns (a "?" is one character, UTF-8 or not; "\\"
 * escapes) and the days back from now */
START_TEST(test_rules_since_judges_as_the_filter)
{
    struct rules *r = load(
        "[{\"groups\": [\"aud\"], \"users\": [\"ops-*\", \"a?c\","
        "  \"x\\\\*y\", \"*-db-*\"], \"hosts\": [\"h*.example.com\"],"
        "  \"days\": 7, \"rights\": [\"search\", \"live\"]},"
        " {\"groups\": [\"aud\"], \"users\": [\"ops-root\"],"
        "  \"days\": 30, \"rights\": [\"search\"]},"
        " {\"auditors\": [\"carol\"], \"rights\": [\"search\"]}]");
    const time_t now = 1700000000;
    const long long week = WEEK_MS;
    static const struct {
        const char *user, *host;
        long long since;
    } cases[] = {
        { "ops-1", "h1.example.com", WEEK_MS },
        { "ops-", "h.example.com", WEEK_MS },
        { ("a\xc3\xa9" "c"), "h1.example.com", WEEK_MS },
        { "x*y", "h1.example.com", WEEK_MS },
        { "my-db-2", "h1.example.com", WEEK_MS },
        /* the longest window of the rules that match */
        { "ops-root", "h1.example.com", MONTH_MS },
        { "ops-root", "elsewhere", MONTH_MS },
        { "abbc", "h1.example.com", -1 },
        { "xzy", "h1.example.com", -1 },
        { "my-db", "h1.example.com", -1 },
        { "ops-1", "h1.example.org", -1 },
        { "Ops-1", "h1.example.com", -1 },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_msg(rules_since_ms(r, "dave", "staff\naud", RULES_SEARCH,
                                     cases[i].user, cases[i].host, now) ==
                      cases[i].since, "%s on %s", cases[i].user,
                      cases[i].host);
    }
    /* no days: no limit; the right missing: nothing */
    ck_assert_int_eq(rules_since_ms(r, "carol", "", RULES_SEARCH, "any",
                                    "where", now), 0);
    ck_assert_int_eq(rules_since_ms(r, "carol", "", RULES_LIVE, "any",
                                    "where", now), -1);
    ck_assert(rules_admit(r, "dave", "aud", RULES_LIVE, "ops-1",
                          "h1.example.com", (double)week / 1000, now));
    ck_assert(!rules_admit(r, "dave", "aud", RULES_LIVE, "ops-1",
                           "h1.example.com", (double)week / 1000 - 0.001,
                           now));
    ck_assert(!rules_admit(r, "dave", "aud", RULES_LIVE, "ops-root",
                           "elsewhere", (double)now, now));
    ck_assert(rules_admit(r, "carol", "", RULES_SEARCH, "any", "where", -1,
                          now));
    rules_free(r);
}
END_TEST

START_TEST(test_rules_errors_name_the_rule)
{
    static const struct {
        const char *text;
        const char *says;
    } bad[] = {
        { "{}", "array" },
        { "[{\"users\": [\"a\"]}]", "rule 1 names no auditor" },
        { "[{\"groups\": [\"g\"]}, {\"groups\": [\"g\"], \"rights\":"
          " [\"fly\"]}]", "rule 2: unknown right \"fly\"" },
        { "[{\"groups\": [\"g\"], \"days\": -1}]", "\"days\"" },
        { "[{\"groups\": [\"g\"], \"colour\": 1}]", "unknown key \"colour\"" },
        { "[{\"groups\": [1]}]", "\"groups\" element 1" },
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rules *r = NULL;
        char err[256] = "";

        ck_assert_int_eq(rules_parse(bad[i].text, &r, err, sizeof(err)),
                         -EINVAL);
        ck_assert_msg(strstr(err, bad[i].says) != NULL, "%s: %s",
                      bad[i].text, err);
        ck_assert_ptr_null(r);
    }
}
END_TEST

START_TEST(test_throttle_doubles_then_forgives)
{
    struct throttle *t = NULL;
    long wait = 0;
    int i;

    ck_assert_int_eq(throttle_new(3, 10, NULL, NULL, &t), 0);
    for (i = 0; i < 3; i++) {
        ck_assert(throttle_allows(t, "user:a", 1000, &wait));
        throttle_failed(t, "user:a", 1000);
    }
    /* three free failures: the fourth try goes through */
    ck_assert(throttle_allows(t, "user:a", 1000, &wait));
    throttle_failed(t, "user:a", 1000);
    ck_assert(!throttle_allows(t, "user:a", 1000, &wait));
    ck_assert_int_eq(wait, 2);
    ck_assert(throttle_allows(t, "user:a", 1002, &wait));
    throttle_failed(t, "user:a", 1002);
    ck_assert(!throttle_allows(t, "user:a", 1002, &wait));
    ck_assert_int_eq(wait, 4);
    for (i = 0; i < 10; i++) {
        throttle_failed(t, "user:a", 2000);
    }
    ck_assert(!throttle_allows(t, "user:a", 2000, &wait));
    ck_assert_int_eq(wait, 10);
    /* others are not affected; success starts afresh */
    ck_assert(throttle_allows(t, "user:b", 2000, &wait));
    throttle_reset(t, "user:a");
    ck_assert(throttle_allows(t, "user:a", 2000, &wait));
    throttle_free(t);
}
END_TEST

static int
create(struct sessions *s, const char *user, const char *groups, time_t now,
       char *token, char *csrf)
{
    char err[256];

    return sessions_create(s, user, groups, now, token, csrf, err,
                           sizeof(err));
}

static int
find(struct sessions *s, const char *token, time_t now, struct session *x)
{
    char err[256];

    return sessions_find(s, token, now, x, err, sizeof(err));
}

START_TEST(test_sessions_timeouts)
{
    struct sessions *s = NULL;
    struct session x;
    char token[SESSIONS_TOKEN_LEN + 1], csrf[SESSIONS_TOKEN_LEN + 1];
    char token2[SESSIONS_TOKEN_LEN + 1];

    ck_assert_int_eq(sessions_new(10, 25, NULL, NULL, 5, &s), 0);
    ck_assert_int_eq(create(s, "ann", "g1\ng2", 100, token, csrf), 0);
    ck_assert_uint_eq(strlen(token), 64);
    ck_assert_str_ne(token, csrf);
    ck_assert_int_eq(find(s, token, 105, &x), 0);
    ck_assert_str_eq(x.user, "ann");
    ck_assert_str_eq(x.groups, "g1\ng2");
    ck_assert_str_eq(x.csrf, csrf);
    /* used at 105 and 114: still there; idle from 114 to 124: gone */
    ck_assert_int_eq(find(s, token, 114, &x), 0);
    ck_assert_int_eq(find(s, token, 124, &x), -ENOENT);
    ck_assert_int_eq(find(s, token, 125, &x), -ENOENT);
    /* used every 5 s, it still ends 25 s after its start */
    ck_assert_int_eq(create(s, "ann", "", 200, token2, csrf), 0);
    ck_assert_int_eq(find(s, token2, 205, &x), 0);
    ck_assert_int_eq(find(s, token2, 210, &x), 0);
    ck_assert_int_eq(find(s, token2, 215, &x), 0);
    ck_assert_int_eq(find(s, token2, 220, &x), 0);
    ck_assert_int_eq(find(s, token2, 225, &x), -ENOENT);
    sessions_free(s);
}
END_TEST

START_TEST(test_sessions_remove_and_wrong_tokens)
{
    struct sessions *s = NULL;
    struct session x;
    char token[SESSIONS_TOKEN_LEN + 1], csrf[SESSIONS_TOKEN_LEN + 1];
    char first;

    ck_assert_int_eq(sessions_new(100, 100, NULL, NULL, 5, &s), 0);
    ck_assert_int_eq(create(s, "ann", "", 1, token, csrf), 0);
    ck_assert_int_eq(find(s, csrf, 2, &x), -ENOENT);
    ck_assert_int_eq(find(s, "", 2, &x), -ENOENT);
    first = token[0];
    token[0] = first == 'a' ? 'b' : 'a';
    ck_assert_int_eq(find(s, token, 2, &x), -ENOENT);
    token[0] = first;
    ck_assert_int_eq(find(s, token, 2, &x), 0);
    ck_assert_int_eq(sessions_remove(s, token, NULL, 0), 0);
    ck_assert_int_eq(find(s, token, 3, &x), -ENOENT);
    ck_assert_int_eq(sessions_remove(s, token, NULL, 0), -ENOENT);
    sessions_free(s);
}
END_TEST

START_TEST(test_request_login)
{
    char user[PRIVSEP_USER_MAX], pw[PRIVSEP_PASSWORD_MAX], err[256];
    static const char *const bad[] = {
        "", "[]", "{\"user\": \"a\"}", "{\"user\": \"a\", \"password\": 1}",
        "{\"user\": \"\", \"password\": \"p\"}",
        "{\"user\": \"a\\nb\", \"password\": \"p\"}",
        "{\"user\": \"a\\u0000b\", \"password\": \"p\"}",
        "{\"user\": \"a\", \"password\": \"p\", \"x\": 1}",
        "{\"user\": \"a\", \"password\": \"p\"} {}",
        ("{\"user\": {\"a\": {\"b\": {\"c\": {\"d\": 1}}}},"
         " \"password\": \"\"}"),
    };
    char big[PRIVSEP_PASSWORD_MAX + 64];
    size_t i;

    static const char good[] =
        "{\"user\": \"ann\", \"password\": \"s\\u00e9cr\\\"et\"}";

    ck_assert_int_eq(request_login(good, strlen(good), user, pw, err,
                                   sizeof(err)), 0);
    ck_assert_str_eq(user, "ann");
    ck_assert_str_eq(pw, "s\xc3\xa9" "cr\"et");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(request_login(bad[i], strlen(bad[i]), user, pw, err,
                                    sizeof(err)) == -EINVAL, "%s", bad[i]);
    }
    snprintf(big, sizeof(big), "{\"user\": \"a\", \"password\": \"%0*d\"}",
             PRIVSEP_PASSWORD_MAX, 0);
    ck_assert_int_eq(request_login(big, strlen(big), user, pw, err,
                                   sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "password"));
}
END_TEST

START_TEST(test_request_ids_and_numbers)
{
    long long v = 0;
    char err[256];

    ck_assert(request_rec_id("3fc47ffc-6273-1bea5", 128));
    ck_assert(!request_rec_id("", 128));
    ck_assert(!request_rec_id("a b", 128));
    ck_assert(!request_rec_id("a\"b", 128));
    ck_assert(!request_rec_id("abcd", 3));
    ck_assert_int_eq(request_int("size", "20", 1, 100, &v, err, sizeof(err)),
                     0);
    ck_assert_int_eq(v, 20);
    ck_assert_int_eq(request_int("size", "101", 1, 100, &v, err,
                                 sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "\"size\" must be an integer from 1"
                                      " to 100"));
    ck_assert_int_eq(request_int("size", "-1", 0, 100, &v, err, sizeof(err)),
                     -EINVAL);
    ck_assert_int_eq(request_int("size", "1x", 0, 100, &v, err, sizeof(err)),
                     -EINVAL);
    ck_assert_int_eq(request_int("size", "99999999999999999999", 0, 100, &v,
                                 err, sizeof(err)), -EINVAL);
    ck_assert_int_eq(v, 20);
}
END_TEST

/* The page's files: plain names only, nothing outside the directory */
/* Bytes land in the bucket of their time; past the last bucket the width
 * doubles, pairs added together, no byte lost */
START_TEST(test_activity_buckets)
{
    struct activity *a = NULL;
    uint64_t total = 0, sum = 0, ms;
    size_t i;

    ck_assert_int_eq(activity_new(&a), 0);
    ck_assert_uint_eq(activity_width(a), ACTIVITY_WIDTH_MIN_MS);
    activity_add(a, 0, 5);
    activity_add(a, 250, 7);
    activity_add(a, 299, 1);
    ck_assert_uint_eq(activity_bytes(a, 0), 5);
    ck_assert_uint_eq(activity_bytes(a, 1), 0);
    ck_assert_uint_eq(activity_bytes(a, 2), 8);
    total = 13;
    /* a burst late in a long recording */
    for (ms = 0; ms < 3600 * 1000; ms += 997) {
        activity_add(a, ms, 1);
        total++;
    }
    activity_add(a, 3000 * 1000, 100000);
    total += 100000;
    ck_assert_uint_ge(activity_width(a), 3600 * 1000 / ACTIVITY_BUCKETS);
    ck_assert_uint_lt(activity_width(a), 2 * 3600 * 1000 / ACTIVITY_BUCKETS
                                         + ACTIVITY_WIDTH_MIN_MS);
    for (i = 0; i < ACTIVITY_BUCKETS; i++) {
        sum += activity_bytes(a, i);
    }
    ck_assert_uint_eq(sum, total);
    i = 3000 * 1000 / activity_width(a);
    ck_assert_uint_gt(activity_bytes(a, i), 100000);
    ck_assert_uint_lt(activity_bytes(a, i - 2), 1000);
    activity_free(a);
    activity_free(NULL);
}
END_TEST

START_TEST(test_static_paths)
{
    char long_name[STATIC_NAME_MAX + 3];

    ck_assert(static_path("/"));
    ck_assert(static_path("/app.js"));
    ck_assert(static_path("/index.html"));
    ck_assert(static_path("/a-b_c.1.css"));
    ck_assert(!static_path(""));
    ck_assert(!static_path("app.js"));
    ck_assert(!static_path("/.hidden"));
    ck_assert(!static_path("/.."));
    ck_assert(!static_path("/../etc/passwd"));
    ck_assert(!static_path("/x/app.js"));
    ck_assert(!static_path("/app.js?x=1"));
    ck_assert(!static_path("/a%2fb"));
    ck_assert(!static_path("/a b"));
    ck_assert(!static_path("//app.js"));
    long_name[0] = '/';
    memset(long_name + 1, 'a', STATIC_NAME_MAX + 1);
    long_name[STATIC_NAME_MAX + 2] = 0;
    ck_assert(!static_path(long_name));
    long_name[STATIC_NAME_MAX + 1] = 0;
    ck_assert(static_path(long_name));
}
END_TEST

/* No directory: no page, said once, and no error */
START_TEST(test_static_without_directory)
{
    struct static_files *f = (struct static_files *)1;
    char err[256] = "";

    ck_assert_int_eq(static_new("", &f, err, sizeof(err)), 0);
    ck_assert_ptr_null(f);
    ck_assert(strstr(err, "only the API") != NULL);
    f = (struct static_files *)1;
    ck_assert_int_eq(static_new("/nonexistent/tlog-web-ui", &f, err,
                                sizeof(err)), 0);
    ck_assert_ptr_null(f);
    ck_assert(strstr(err, "/nonexistent/tlog-web-ui") != NULL);
    /* a file is not a directory */
    ck_assert_int_eq(static_new("/dev/null", &f, err, sizeof(err)),
                     -ENOTDIR);
    ck_assert(strstr(err, "/dev/null") != NULL);
    ck_assert_int_eq(static_new("/", &f, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(f);
    static_free(f);
    static_free(NULL);
}
END_TEST

static Suite *
web_suite(void)
{
    Suite *s = suite_create("web");
    TCase *rules = tcase_create("rules");
    TCase *throttle = tcase_create("throttle");
    TCase *sessions = tcase_create("sessions");
    TCase *request = tcase_create("request");
    TCase *files = tcase_create("static");

    tcase_add_test(rules, test_rules_filter_of_a_group);
    tcase_add_test(rules, test_rules_without_the_right_match_nothing);
    tcase_add_test(rules, test_rules_since_judges_as_the_filter);
    tcase_add_test(rules, test_rules_errors_name_the_rule);
    tcase_add_test(throttle, test_throttle_doubles_then_forgives);
    tcase_add_test(sessions, test_sessions_timeouts);
    tcase_add_test(sessions, test_sessions_remove_and_wrong_tokens);
    tcase_add_test(request, test_request_login);
    tcase_add_test(request, test_request_ids_and_numbers);
    suite_add_tcase(s, rules);
    suite_add_tcase(s, throttle);
    suite_add_tcase(s, sessions);
    tcase_add_test(files, test_static_paths);
    tcase_add_test(files, test_static_without_directory);
    tcase_add_test(files, test_activity_buckets);
    suite_add_tcase(s, request);
    suite_add_tcase(s, files);
    return s;
}

int
main(void)
{
    return testlib_run(web_suite());
}
