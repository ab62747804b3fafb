/*
 * conf: defaults, layering, JSON with comments, command-line options,
 * and errors that name the source, the key and what is allowed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "testlib.h"

static const char *const colours[] = { "red", "green", NULL };

static const struct conf_key keys[] = {
    { .path = "latency", .type = CONF_INT, .def = "10", .min = 1, .max = 100,
      .opt = "latency", .arg = "SECONDS", .help = "latency" },
    { .path = "writer", .type = CONF_CHOICE, .def = "red",
      .choices = colours, .opt = "writer", .short_opt = 'w', .arg = "STRING",
      .help = "colour" },
    { .path = "log.input", .type = CONF_BOOL, .def = "false",
      .opt = "log-input", .arg = "BOOL", .help = "input" },
    { .path = "file.path", .type = CONF_STR, .def = "", .opt = "file-path",
      .short_opt = 'o', .arg = "FILE", .help = "path" },
    { .path = "notice", .type = CONF_STR, .def = "hi", .arg = "TEXT",
      .help = "no option" },
};

static struct conf *
mk(void)
{
    struct conf *c = NULL;

    ck_assert_int_eq(conf_new(keys, sizeof(keys) / sizeof(keys[0]), &c), 0);
    return c;
}

START_TEST(test_defaults)
{
    struct conf *c = mk();

    ck_assert_int_eq(conf_int(c, "latency"), 10);
    ck_assert_str_eq(conf_str(c, "writer"), "red");
    ck_assert(!conf_bool(c, "log.input"));
    ck_assert_str_eq(conf_str(c, "file.path"), "");
    conf_free(c);
}
END_TEST

START_TEST(test_layers_override_in_order)
{
    struct conf *c = mk();
    char path[] = "/tmp/check_conf.XXXXXX";
    char err[256];
    int fd = mkstemp(path);
    static const char text[] =
        "// a comment\n{\n  /* another */ \"latency\": 20,\n"
        "  \"log\": { \"input\": true },\n  \"writer\": \"green\"\n}\n";

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
    close(fd);
    ck_assert_msg(conf_load_file(c, path, false, err, sizeof(err)) == 0,
                  "%s", err);
    ck_assert_int_eq(conf_int(c, "latency"), 20);
    ck_assert(conf_bool(c, "log.input"));
    ck_assert_int_eq(conf_load_text(c, "{\"latency\": 30}", "TEXT", err,
                                    sizeof(err)), 0);
    ck_assert_int_eq(conf_int(c, "latency"), 30);
    ck_assert_str_eq(conf_str(c, "writer"), "green");
    unlink(path);
    /* a missing optional file is no error; a missing required one is */
    ck_assert_int_eq(conf_load_file(c, path, true, err, sizeof(err)), 0);
    ck_assert_int_eq(conf_load_file(c, path, false, err, sizeof(err)),
                     -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, path));
    conf_free(c);
}
END_TEST

static void
text_fails(const char *text, const char *want)
{
    struct conf *c = mk();
    char err[256] = "";

    ck_assert_int_lt(conf_load_text(c, text, "/etc/x.conf", err, sizeof(err)),
                     0);
    ck_assert_msg(strcmp(err, want) == 0, "\"%s\": got \"%s\", want \"%s\"",
                  text, err, want);
    conf_free(c);
}

START_TEST(test_errors_name_source_and_key)
{
    text_fails("{\"latency\": 0}",
               "/etc/x.conf: key \"latency\" must be an integer from 1 to 100,"
               " not 0");
    text_fails("{\"latency\": \"5\"}",
               "/etc/x.conf: key \"latency\" must be an integer from 1 to 100,"
               " not a string");
    text_fails("{\"writer\": \"blue\"}",
               "/etc/x.conf: key \"writer\" must be one of \"red\", \"green\","
               " not \"blue\"");
    text_fails("{\"log\": {\"input\": 1}}",
               "/etc/x.conf: key \"log.input\" must be true or false, not a"
               " number");
    text_fails("{\"log\": 1}",
               "/etc/x.conf: key \"log\" must be an object (\"log\": {...}),"
               " not a number");
    text_fails("{\"lag\": 1}", "/etc/x.conf: unknown key \"lag\" (see --help"
               " and the configuration manual page for the known keys)");
    text_fails("{\n\"latency\": 1,\n,}", "/etc/x.conf line 3: quoted"
               " object property name expected (check the JSON syntax there"
               " and just before)");
    text_fails("[1]", "/etc/x.conf: the configuration must be a JSON object"
               " ({\"key\": value, ...}), not an array");
    text_fails("{\"latency\": 1", "/etc/x.conf line 1: text ends too early"
               " (a '}', ']' or '\"' missing?)");
}
END_TEST

/* Errors say what to do: which variable named a missing file, what to
 * check for a file that is not one, what a value must be instead */
START_TEST(test_errors_say_what_to_do)
{
    struct conf *c = mk();
    char dir[] = "/tmp/check_conf.XXXXXX";
    char path[64];
    char err[512];
    int fd;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/missing.conf", dir);
    setenv("CHECK_CONF_FILE", path, 1);
    ck_assert_int_eq(conf_load_layers(c, "/nonexistent/x.conf",
                                      "CHECK_CONF_FILE", "CHECK_CONF_TEXT",
                                      err, sizeof(err)), -ENOENT);
    ck_assert_msg(strstr(err, path) != NULL &&
                  strstr(err, "(named by CHECK_CONF_FILE: fix the path or"
                         " unset it)") != NULL, "%s", err);
    unsetenv("CHECK_CONF_FILE");

    ck_assert_int_eq(conf_load_file(c, dir, false, err, sizeof(err)),
                     -EISDIR);
    ck_assert_msg(strstr(err, "(it is a directory: name a file)") != NULL,
                  "%s", err);

    snprintf(path, sizeof(path), "%s/nul.conf", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "{}\0", 3), 3);
    close(fd);
    ck_assert_int_eq(conf_load_file(c, path, false, err, sizeof(err)),
                     -EINVAL);
    ck_assert_msg(strstr(err, "is it the right file?") != NULL, "%s", err);
    unlink(path);
    rmdir(dir);

    setenv("CHECK_CONF_TEXT", "{\"writer\": \"blue\"}", 1);
    ck_assert_int_eq(conf_load_layers(c, "/nonexistent/x.conf",
                                      "CHECK_CONF_FILE", "CHECK_CONF_TEXT",
                                      err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "CHECK_CONF_TEXT: key \"writer\" must be one of"
                     " \"red\", \"green\", not \"blue\"");
    unsetenv("CHECK_CONF_TEXT");

    ck_assert_int_eq(conf_set(c, "writer", "bl\nue", "option --writer", err,
                              sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "option --writer: key \"writer\" must be one of"
                     " \"red\", \"green\", not \"bl?ue\"");
    ck_assert_int_eq(conf_set(c, "colour", "red", "option --colour", err,
                              sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "(see --help"));
    conf_free(c);
}
END_TEST

/* Parse a NULL-terminated list of arguments, as main() would get them */
static int
parse(struct conf *c, const char *const *args, int *first, int *action,
      char *err, size_t errsz)
{
    char *argv[16];
    int argc = 0, rc, i;

    while (args[argc] != NULL && argc < 15) {
        argv[argc] = strdup(args[argc]);
        argc++;
    }
    argv[argc] = NULL;
    rc = conf_parse_args(c, argc, argv, first, action, err, errsz);
    for (i = 0; i < argc; i++) {
        free(argv[i]);
    }
    return rc;
}

START_TEST(test_args)
{
    struct conf *c = mk();
    static const char *const argv[] = { "prog", "-w", "green", "--log-input", "--latency=5",
                     "-o", "/tmp/f", "cmd", "--latency=99", NULL };
    char err[256];
    int first, action;

    ck_assert_int_eq(parse(c, argv, &first, &action, err,
                                     sizeof(err)), 0);
    ck_assert_int_eq(first, 7);     /* stops at the command */
    ck_assert_int_eq(action, 0);
    ck_assert_str_eq(conf_str(c, "writer"), "green");
    ck_assert(conf_bool(c, "log.input"));
    ck_assert_int_eq(conf_int(c, "latency"), 5);
    ck_assert_str_eq(conf_str(c, "file.path"), "/tmp/f");
    conf_free(c);
}
END_TEST

START_TEST(test_arg_errors_and_actions)
{
    struct conf *c = mk();
    static const char *const bad1[] = { "prog", "--nope", NULL };
    static const char *const bad2[] = { "prog", "--latency", NULL };
    static const char *const bad3[] = { "prog", "--log-input=maybe", NULL };
    static const char *const bad4[] = { "prog", "--notice=x", NULL };
    static const char *const help[] = { "prog", "--configuration", NULL };
    char err[256];
    int first, action;

    ck_assert_int_eq(parse(c, bad1, &first, &action, err,
                                     sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "unknown option --nope");
    ck_assert_int_eq(parse(c, bad2, &first, &action, err,
                                     sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "option --latency needs a value");
    ck_assert_int_eq(parse(c, bad3, &first, &action, err,
                                     sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "option --log-input: key \"log.input\" must be"
                     " true or false, not \"maybe\"");
    /* a key without an option cannot be set from the command line */
    ck_assert_int_eq(parse(c, bad4, &first, &action, err,
                                     sizeof(err)), -EINVAL);
    ck_assert_int_eq(parse(c, help, &first, &action, err,
                                     sizeof(err)), 0);
    ck_assert_int_eq(action, 'c');
    conf_free(c);
}
END_TEST

START_TEST(test_json_values)
{
    static const struct conf_key jkeys[] = {
        { "rules", CONF_JSON, "[]", 0, 0, NULL, NULL, 0, NULL, "rules" },
        { "web.port", CONF_INT, "1", 1, 9, NULL, NULL, 0, NULL, "port" },
    };
    struct conf *c = NULL;
    char err[256] = "";
    FILE *f;
    char *printed = NULL;
    size_t len = 0;

    ck_assert_int_eq(conf_new(jkeys, 2, &c), 0);
    ck_assert_str_eq(conf_str(c, "rules"), "[]");
    /* any JSON value, kept as text; a later source replaces it whole */
    ck_assert_int_eq(conf_load_text(c, "{\"rules\": [{\"a\": [1,"
                                    " \"x/y\"]}], \"web\": {\"port\": 3}}",
                                    "t1", err, sizeof(err)), 0);
    ck_assert_str_eq(conf_str(c, "rules"), "[{\"a\":[1,\"x/y\"]}]");
    ck_assert_int_eq(conf_load_text(c, "{\"rules\": {\"b\": true}}", "t2",
                                    err, sizeof(err)), 0);
    ck_assert_str_eq(conf_str(c, "rules"), "{\"b\":true}");
    /* set as text, it must parse */
    ck_assert_int_eq(conf_set(c, "rules", "[1,", "option", err,
                              sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, "key \"rules\" must be JSON text") != NULL,
                  "%s", err);
    ck_assert_str_eq(conf_str(c, "rules"), "{\"b\":true}");
    /* printed as JSON, not as a string */
    f = open_memstream(&printed, &len);
    conf_print(c, f);
    fclose(f);
    ck_assert_msg(strstr(printed, "\"rules\": {") != NULL, "%s", printed);
    free(printed);
    conf_free(c);
}
END_TEST

/* A shared table added from files only takes no option; another default
 * shows in --help and holds until a layer sets the key */
START_TEST(test_add_file_only_and_default)
{
    static const struct conf_key shared[] = {
        { .path = "limit.rate", .type = CONF_INT, .def = "7", .min = 1,
          .max = 100, .opt = "limit-rate", .short_opt = 'r',
          .arg = "NUMBER", .help = "rate" },
    };
    static const char *const argv[] = { "prog", "--limit-rate=9", NULL };
    struct conf *c = mk(), *d = mk();
    char err[512], *text = NULL;
    size_t len = 0;
    FILE *f;
    int first = 0, action = 0;

    ck_assert_int_eq(conf_add(c, shared, 1, true), 0);
    ck_assert_int_eq(conf_int(c, "limit.rate"), 7);
    ck_assert_int_eq(conf_parse_args(c, 2, (char **)argv, &first, &action,
                                     err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "limit-rate"));
    ck_assert_int_eq(conf_load_text(c, "{\"limit\": {\"rate\": 8}}", "T",
                                    err, sizeof(err)), 0);
    ck_assert_int_eq(conf_int(c, "limit.rate"), 8);
    /* with its options, the same table's option works */
    ck_assert_int_eq(conf_add(d, shared, 1, false), 0);
    ck_assert_int_eq(conf_parse_args(d, 2, (char **)argv, &first, &action,
                                     err, sizeof(err)), 0);
    ck_assert_int_eq(conf_int(d, "limit.rate"), 9);
    /* a key twice is refused */
    ck_assert_int_eq(conf_add(d, shared, 1, false), -EEXIST);
    /* another default */
    ck_assert_int_eq(conf_set_default(c, "writer", "green"), 0);
    ck_assert_str_eq(conf_str(c, "writer"), "green");
    ck_assert_int_eq(conf_set_default(c, "writer", "purple"), -EINVAL);
    ck_assert_int_eq(conf_set_default(c, "no.such", "1"), -ENOENT);
    f = open_memstream(&text, &len);
    conf_print_help(c, f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "(default: green)"));
    ck_assert_ptr_null(strstr(text, "--limit-rate"));
    free(text);
    conf_free(c);
    conf_free(d);
}
END_TEST

START_TEST(test_print_round_trips)
{
    struct conf *c = mk(), *d = mk();
    char err[256];
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    conf_set(c, "latency", "42", "test", err, sizeof(err));
    conf_set(c, "log.input", "true", "test", err, sizeof(err));
    conf_set(c, "notice", "a \"quoted\"\nline", "test", err, sizeof(err));
    conf_print(c, f);
    fclose(f);
    ck_assert_msg(conf_load_text(d, text, "printed", err, sizeof(err)) == 0,
                  "%s: %s", err, text);
    ck_assert_int_eq(conf_int(d, "latency"), 42);
    ck_assert(conf_bool(d, "log.input"));
    ck_assert_str_eq(conf_str(d, "notice"), "a \"quoted\"\nline");
    free(text);
    conf_free(c);
    conf_free(d);
}
END_TEST

static Suite *
conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_layers_override_in_order);
    tcase_add_test(tc, test_errors_name_source_and_key);
    tcase_add_test(tc, test_errors_say_what_to_do);
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_arg_errors_and_actions);
    tcase_add_test(tc, test_print_round_trips);
    tcase_add_test(tc, test_json_values);
    tcase_add_test(tc, test_add_file_only_and_default);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(conf_suite());
}
