/*
 * aushape's converter on stored audit logs: argv over several EXECVE
 * records, hex-encoded arguments, path records, interleaved events,
 * damaged input, the size limit, layout, and the interpretation cache.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convert.h"
#include "testlib.h"

/* Converted events: the JSON texts and their parsed objects */
struct events {
    char *text[4096];
    json_object *obj[4096];
    size_t n;
    int refuse;         /* refuse this many events from the second on */
};

static int
collect(void *data, const uint8_t *p, size_t n, char *err, size_t errsz)
{
    struct events *e = data;

    (void)err;
    (void)errsz;
    if (e->refuse > 0 && e->n == 1) {
        e->refuse--;
        return -ENOBUFS;
    }
    ck_assert_uint_lt(e->n, 4096);
    e->text[e->n] = strndup((const char *)p, n);
    e->obj[e->n] = json_tokener_parse(e->text[e->n]);
    ck_assert_msg(e->obj[e->n] != NULL, "not JSON: %s", e->text[e->n]);
    e->n++;
    return 0;
}

static void
events_free(struct events *e)
{
    size_t i;

    for (i = 0; i < e->n; i++) {
        free(e->text[i]);
        json_object_put(e->obj[i]);
    }
    e->n = 0;
}

/* Read a stored log from tests/aushape */
static char *
slurp(const char *name, size_t *len)
{
    const char *top = getenv("top_srcdir");
    char path[4096];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/tests/aushape/%s",
             top != NULL ? top : "..", name);
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static const struct render_conf ndjson = {
    .base = 0, .fold = 0, .indent = 4, .max_event = SIZE_MAX,
};

/* Convert text[0..n) fed in pieces of split bytes (0: whole) */
static void
convert(const char *text, size_t n, const struct render_conf *o,
        size_t split, struct events *e)
{
    struct convert *c;
    char err[256];
    size_t i;

    ck_assert_int_eq(convert_new(o, collect, e, &c, err, sizeof(err)), 0);
    if (split == 0) {
        ck_assert_int_eq(convert_feed(c, text, n, err, sizeof(err)), 0);
    } else {
        for (i = 0; i < n; i += split) {
            ck_assert_int_eq(convert_feed(c, text + i,
                                          n - i < split ? n - i : split,
                                          err, sizeof(err)), 0);
        }
    }
    ck_assert_int_eq(convert_flush(c, err, sizeof(err)), 0);
    convert_free(c);
}

static void
convert_file(const char *name, const struct render_conf *o, struct events *e)
{
    size_t n;
    char *text = slurp(name, &n);

    convert(text, n, o, 0, e);
    free(text);
}

/* The event with this serial, or NULL */
static json_object *
by_serial(struct events *e, int64_t serial)
{
    size_t i;
    json_object *v;

    for (i = 0; i < e->n; i++) {
        if (json_object_object_get_ex(e->obj[i], "serial", &v) &&
            json_object_get_int64(v) == serial) {
            return e->obj[i];
        }
    }
    return NULL;
}

/* Member at a dotted path of object keys, or NULL */
static json_object *
get(json_object *o, const char *path)
{
    char tmp[256];
    char *save = NULL;
    char *k;

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (k = strtok_r(tmp, ".", &save); k != NULL && o != NULL;
         k = strtok_r(NULL, ".", &save)) {
        if (!json_object_object_get_ex(o, k, &o)) {
            return NULL;
        }
    }
    return o;
}

static const char *
str_at(json_object *a, size_t i)
{
    return json_object_get_string(json_object_array_get_idx(a, i));
}

static void
assert_argv(json_object *ev, const char **want, size_t n)
{
    json_object *argv = get(ev, "data.execve");
    size_t i;

    ck_assert_ptr_nonnull(argv);
    ck_assert_uint_eq(json_object_array_length(argv), n);
    for (i = 0; i < n; i++) {
        ck_assert_str_eq(str_at(argv, i), want[i]);
    }
    ck_assert_ptr_null(get(ev, "error"));
}

START_TEST(test_execve_split_over_records)
{
    struct events e = { .n = 0 };
    char x9000[9001];
    char sp[9004];
    const char *want1[] = { "/bin/echo", x9000 };
    const char *want2[] = { "/bin/echo", sp, "second", "third" };

    memset(x9000, 'x', 9000);
    x9000[9000] = '\0';
    memset(sp, ' ', 9000);
    memcpy(sp + 9000, "end", 4);
    convert_file("real.log", &ndjson, &e);
    /* a1_len=18000 a1[0]=... a1[1]=... a1[2]=... over three records */
    assert_argv(by_serial(&e, 17745), want1, 2);
    /* The split argument is followed by more in a later record */
    assert_argv(by_serial(&e, 17749), want2, 4);
    events_free(&e);
}
END_TEST

START_TEST(test_execve_hex_arguments)
{
    struct events e = { .n = 0 };
    const char *want[] = {
        "/bin/echo", "hello world", "quo\"te", "\xc3\xbcn\xc3\xaf", "plain"
    };

    convert_file("real.log", &ndjson, &e);
    assert_argv(by_serial(&e, 17746), want, 5);
    events_free(&e);
}
END_TEST

START_TEST(test_paths_ordered_by_item)
{
    struct events e = { .n = 0 };
    const char *names[] = {
        "watched/", "watched/", "watched/newfile", "watched/renamed"
    };
    const char *types[] = { "PARENT", "PARENT", "DELETE", "CREATE" };
    json_object *paths;
    size_t i;

    /* The PATH records come item 3, 2, 1, 0 */
    convert_file("paths-reversed.log", &ndjson, &e);
    ck_assert_uint_eq(e.n, 1);
    paths = get(e.obj[0], "data.path");
    ck_assert_ptr_nonnull(paths);
    ck_assert_uint_eq(json_object_array_length(paths), 4);
    for (i = 0; i < 4; i++) {
        json_object *p = json_object_array_get_idx(paths, i);

        ck_assert_str_eq(str_at(get(p, "name"), 0), names[i]);
        ck_assert_str_eq(str_at(get(p, "nametype"), 0), types[i]);
        /* The item number is the position, not a field */
        ck_assert_ptr_null(get(p, "item"));
        /* Interpreted and raw */
        ck_assert_str_eq(str_at(get(p, "ouid"), 0), "root");
        ck_assert_str_eq(str_at(get(p, "ouid"), 1), "0");
    }
    ck_assert_str_eq(str_at(get(e.obj[0], "data.syscall.syscall"), 0),
                     "renameat2");
    events_free(&e);
}
END_TEST

/* Sort the events' texts so two conversions can be compared */
static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_interleaved_events_stay_whole)
{
    struct events a = { .n = 0 };
    struct events b = { .n = 0 };
    size_t i;

    /* Twelve events, their records dealt out in turn */
    convert_file("interleaved.log", &ndjson, &a);
    convert_file("interleaved-plain.log", &ndjson, &b);
    ck_assert_uint_eq(a.n, 12);
    ck_assert_uint_eq(b.n, 12);
    qsort(a.text, a.n, sizeof(char *), cmp_str);
    qsort(b.text, b.n, sizeof(char *), cmp_str);
    for (i = 0; i < a.n; i++) {
        ck_assert_str_eq(a.text[i], b.text[i]);
        ck_assert_ptr_null(strstr(a.text[i], "\"error\""));
    }
    events_free(&a);
    events_free(&b);
}
END_TEST

START_TEST(test_any_split_same_output)
{
    struct events whole = { .n = 0 };
    struct events cut = { .n = 0 };
    size_t n;
    char *text = slurp("real.log", &n);
    size_t split;
    size_t i;

    convert(text, n, &ndjson, 0, &whole);
    for (split = 1; split < 200; split += 37) {
        convert(text, n, &ndjson, split, &cut);
        ck_assert_uint_eq(cut.n, whole.n);
        for (i = 0; i < cut.n; i++) {
            ck_assert_str_eq(cut.text[i], whole.text[i]);
        }
        events_free(&cut);
    }
    events_free(&whole);
    free(text);
}
END_TEST

START_TEST(test_damaged_input)
{
    struct events e = { .n = 0 };
    json_object *ev;
    size_t i;
    size_t bad = 0;

    convert_file("malformed.log", &ndjson, &e);
    /* Lines that are not records: serial 0, an error, the text */
    for (i = 0; i < e.n; i++) {
        ev = e.obj[i];
        if (json_object_get_int64(get(ev, "serial")) == 0) {
            ck_assert_ptr_nonnull(get(ev, "error"));
            ck_assert_uint_eq(json_object_array_length(get(ev, "text")), 1);
            bad++;
        }
    }
    ck_assert_uint_eq(bad, 3);
    /* A quoted value cut short */
    ev = by_serial(&e, 900);
    ck_assert_ptr_nonnull(ev);
    ck_assert_ptr_nonnull(strstr(json_object_get_string(get(ev, "error")),
                                 "never ends"));
    ck_assert_ptr_nonnull(get(ev, "text"));
    ck_assert_str_eq(str_at(get(ev, "data.syscall.syscall"), 0), "execve");
    /* An unknown type */
    ev = by_serial(&e, 901);
    ck_assert_ptr_nonnull(get(ev, "data.unknown_1999"));
    ck_assert_ptr_nonnull(strstr(json_object_get_string(get(ev, "error")),
                                 "unknown"));
    /* A good record with a node after all that */
    ev = by_serial(&e, 902);
    ck_assert_str_eq(json_object_get_string(get(ev, "node")), "h1");
    ck_assert_ptr_null(get(ev, "error"));
    ck_assert_ptr_null(get(ev, "text"));
    /* A missing argument and a repeated single record */
    ev = by_serial(&e, 903);
    ck_assert_ptr_nonnull(strstr(json_object_get_string(get(ev, "error")),
                                 "argument 1 missing"));
    ck_assert_ptr_nonnull(strstr(json_object_get_string(get(ev, "error")),
                                 "cwd repeated"));
    ck_assert_str_eq(str_at(get(ev, "data.cwd.cwd"), 0), "/root");
    /* The last line has no newline: still converted */
    ev = by_serial(&e, 905);
    ck_assert_str_eq(str_at(get(ev, "data.proctitle.proctitle"), 0), "ls");
    events_free(&e);
}
END_TEST

/* Escaped values: quoted ones decoded alone, hex ones with their raw
 * digits, others as recorded with an error; a NUL byte makes a line no
 * record at all, and is not cut at */
START_TEST(test_escaped_values)
{
    static const char log[] =
        "type=CWD msg=audit(1795334700.000:950): cwd=\"/root\"\n"
        "type=PATH msg=audit(1795334700.000:950): item=0 "
        "name=2F746D702F6120622F63 inode=1 dev=08:01 mode=0100644 "
        "ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 "
        "cap_fe=0 cap_fver=0 cap_frootid=0\n"
        "type=PROCTITLE msg=audit(1795334700.000:950): "
        "proctitle=6C73002D6C002F\n"
        "type=PROCTITLE msg=audit(1795334701.000:951): proctitle=\"ls\"\n"
        "type=PROCTITLE msg=audit(1795334702.000:952): proctitle=6C7\n"
        "type=CWD msg=audit(1795334703.000:953): cwd=\"/a\0b\"\n";
    struct events e = { .n = 0 };
    json_object *ev;
    json_object *a;
    size_t i;
    const char *err;

    convert(log, sizeof(log) - 1, &ndjson, 0, &e);
    ev = by_serial(&e, 950);
    ck_assert_ptr_nonnull(ev);
    a = get(ev, "data.cwd.cwd");
    ck_assert_uint_eq(json_object_array_length(a), 1);
    ck_assert_str_eq(str_at(a, 0), "/root");
    a = get(json_object_array_get_idx(get(ev, "data.path"), 0), "name");
    ck_assert_uint_eq(json_object_array_length(a), 2);
    ck_assert_str_eq(str_at(a, 0), "/tmp/a b/c");
    ck_assert_str_eq(str_at(a, 1), "2F746D702F6120622F63");
    a = get(ev, "data.proctitle.proctitle");
    ck_assert_uint_eq(json_object_array_length(a), 2);
    ck_assert_str_eq(str_at(a, 0), "ls -l /");
    ck_assert_str_eq(str_at(a, 1), "6C73002D6C002F");
    ck_assert_ptr_null(get(ev, "error"));
    a = get(by_serial(&e, 951), "data.proctitle.proctitle");
    ck_assert_uint_eq(json_object_array_length(a), 1);
    ck_assert_str_eq(str_at(a, 0), "ls");
    ev = by_serial(&e, 952);
    a = get(ev, "data.proctitle.proctitle");
    ck_assert_uint_eq(json_object_array_length(a), 1);
    ck_assert_str_eq(str_at(a, 0), "6C7");
    err = json_object_get_string(get(ev, "error"));
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "proctitle: neither quoted"));
    /* the line with a NUL: no event 953, a bad line with all of it */
    ck_assert_ptr_null(by_serial(&e, 953));
    ev = NULL;
    for (i = 0; i < e.n; i++) {
        if (json_object_get_int64(get(e.obj[i], "serial")) == 0) {
            ev = e.obj[i];
        }
    }
    ck_assert_ptr_nonnull(ev);
    ck_assert_ptr_nonnull(strstr(json_object_get_string(get(ev, "error")),
                                 "a NUL byte at offset 47"));
    a = json_object_array_get_idx(get(ev, "text"), 0);
    ck_assert_uint_eq(json_object_get_string_len(a), 50);
    ck_assert_int_eq(memcmp(json_object_get_string(a) + 45, "/a\0b\"", 5),
                     0);
    events_free(&e);
}
END_TEST

START_TEST(test_size_limit)
{
    struct events e = { .n = 0 };
    struct events full = { .n = 0 };
    struct render_conf o = ndjson;
    json_object *ev;
    json_object *trimmed;
    size_t i;
    bool execve_trimmed = false;

    o.max_event = 2048;
    convert_file("real.log", &o, &e);
    convert_file("real.log", &ndjson, &full);
    ck_assert_uint_eq(e.n, full.n);
    for (i = 0; i < e.n; i++) {
        ck_assert_uint_le(strlen(e.text[i]), 2048);
        if (strlen(full.text[i]) <= 2048 - 768) {
            /* Small events are left alone */
            ck_assert_str_eq(e.text[i], full.text[i]);
        }
    }
    ev = by_serial(&e, 17745);
    trimmed = get(ev, "trimmed");
    ck_assert_ptr_nonnull(trimmed);
    for (i = 0; i < json_object_array_length(trimmed); i++) {
        execve_trimmed |= strcmp(str_at(trimmed, i), "data.execve") == 0;
    }
    ck_assert(execve_trimmed);
    /* What ran comes first: the syscall, the command name */
    ck_assert_str_eq(str_at(get(ev, "data.execve"), 0), "/bin/echo");
    ck_assert_uint_eq(json_object_array_length(get(ev, "data.execve")), 1);
    ck_assert_ptr_nonnull(get(ev, "data.syscall"));
    events_free(&e);
    events_free(&full);
}
END_TEST

START_TEST(test_with_text)
{
    struct events e = { .n = 0 };
    struct render_conf o = ndjson;
    size_t n;
    char *log = slurp("paths-reversed.log", &n);
    json_object *text;
    char *line;
    char *save = NULL;
    size_t i = 0;

    o.with_text = true;
    convert(log, n, &o, 0, &e);
    text = get(e.obj[0], "text");
    ck_assert_uint_eq(json_object_array_length(text), 7);
    for (line = strtok_r(log, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        ck_assert_str_eq(str_at(text, i++), line);
    }
    events_free(&e);
    free(log);
}
END_TEST

START_TEST(test_event_time)
{
    struct events e = { .n = 0 };

    setenv("TZ", "Europe/Helsinki", 1);
    tzset();
    convert_file("paths-reversed.log", &ndjson, &e);
    /* 1795334624.074 is 2026-11-22 08:03:44.074 UTC */
    ck_assert_str_eq(json_object_get_string(get(e.obj[0], "time")),
                     "2026-11-22T10:03:44.074+02:00");
    events_free(&e);
    setenv("TZ", "UTC", 1);
    tzset();
}
END_TEST

START_TEST(test_layout)
{
    struct events e = { .n = 0 };
    struct render_conf o = ndjson;
    const char *t;

    /* Default layout: objects and arrays to depth 4 unfolded */
    o.fold = 4;
    o.indent = 2;
    o.base = 1;
    convert_file("paths-reversed.log", &o, &e);
    t = e.text[0];
    ck_assert_ptr_nonnull(strstr(t, "{\n    \"serial\":17753,\n"));
    ck_assert_ptr_nonnull(strstr(t, "\n      \"cwd\":{\n"
                                    "        \"cwd\":[\"/tmp/au\"]\n"
                                    "      },\n"));
    events_free(&e);
    /* Folded: one line */
    convert_file("paths-reversed.log", &ndjson, &e);
    ck_assert_ptr_null(strchr(e.text[0], '\n'));
    events_free(&e);
}
END_TEST

START_TEST(test_cache_changes_nothing)
{
    struct events a = { .n = 0 };
    struct events b = { .n = 0 };
    struct render_conf o = ndjson;
    size_t i;

    o.no_cache = true;
    convert_file("real.log", &ndjson, &a);
    convert_file("real.log", &o, &b);
    ck_assert_uint_eq(a.n, b.n);
    for (i = 0; i < a.n; i++) {
        ck_assert_str_eq(a.text[i], b.text[i]);
    }
    events_free(&a);
    events_free(&b);
}
END_TEST

START_TEST(test_dropped_count)
{
    struct events e = { .n = 0, .refuse = 2 };
    json_object *d;

    convert_file("real.log", &ndjson, &e);
    /* The first event went out, the next two were refused */
    ck_assert_ptr_null(get(e.obj[0], "dropped"));
    d = get(e.obj[1], "dropped");
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(json_object_get_int64(d), 2);
    ck_assert_ptr_null(get(e.obj[2], "dropped"));
    events_free(&e);
}
END_TEST

/* An output that takes two events, then fails for good */
struct failing {
    size_t taken;
    bool say;           /* fill the message buffer when failing */
};

static int
fail_third(void *data, const uint8_t *p, size_t n, char *err, size_t errsz)
{
    struct failing *f = data;

    (void)p;
    (void)n;
    if (f->taken == 2) {
        if (f->say) {
            snprintf(err, errsz, "the output is gone");
        }
        return -EIO;
    }
    f->taken++;
    return 0;
}

START_TEST(test_output_error)
{
    struct failing f = { .taken = 0, .say = _i == 0 };
    struct convert *c;
    char err[256];
    size_t n;
    char *text = slurp("real.log", &n);
    const char *want = _i == 0 ? "the output is gone" :
                       "cannot hand an event out: Input/output error";

    ck_assert_int_eq(convert_new(&ndjson, fail_third, &f, &c, err,
                                 sizeof(err)), 0);
    strcpy(err, "untouched");
    /* The conversion stops at the failure, and says why once per call */
    ck_assert_int_eq(convert_feed(c, text, n, err, sizeof(err)), -EIO);
    ck_assert_str_eq(err, want);
    ck_assert_uint_eq(f.taken, 2);
    strcpy(err, "untouched");
    ck_assert_int_eq(convert_flush(c, err, sizeof(err)), -EIO);
    ck_assert_str_eq(err, want);
    ck_assert_uint_eq(f.taken, 2);
    convert_free(c);
    free(text);
}
END_TEST

static Suite *
aushape_suite(void)
{
    Suite *s = suite_create("aushape");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_execve_split_over_records);
    tcase_add_test(tc, test_execve_hex_arguments);
    tcase_add_test(tc, test_paths_ordered_by_item);
    tcase_add_test(tc, test_interleaved_events_stay_whole);
    tcase_add_test(tc, test_any_split_same_output);
    tcase_add_test(tc, test_damaged_input);
    tcase_add_test(tc, test_escaped_values);
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_with_text);
    tcase_add_test(tc, test_event_time);
    tcase_add_test(tc, test_layout);
    tcase_add_test(tc, test_cache_changes_nothing);
    tcase_add_test(tc, test_dropped_count);
    tcase_add_loop_test(tc, test_output_error, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    return testlib_run(aushape_suite());
}
