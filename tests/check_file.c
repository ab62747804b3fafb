/*
 * reader and writer: files of messages.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "reader.h"
#include "testlib.h"
#include "writer.h"

static char dir[64];

static void
setup(void)
{
    strcpy(dir, "/tmp/check_file.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_write_then_read)
{
    char path[128], err[256];
    struct writer *w;
    struct reader *r;
    struct stat st;
    const char *json, *where;
    size_t len;

    snprintf(path, sizeof(path), "%s/rec.json", dir);
    ck_assert_int_eq(writer_open_file(path, &w, err, sizeof(err)), 0);
    ck_assert_int_eq(writer_write(w, "{\"a\":1}", 7, 1), 0);
    ck_assert_int_eq(writer_write(w, "{\"b\":2}", 7, 2), 0);
    writer_free(w);
    /* appends, never truncates */
    ck_assert_int_eq(writer_open_file(path, &w, err, sizeof(err)), 0);
    ck_assert_int_eq(writer_emit(w, "{\"c\":3}", 7, 3), 0);
    writer_free(w);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(st.st_size, 24);

    ck_assert_int_eq(reader_open_file(path, &r, err, sizeof(err)), 0);
    ck_assert_int_eq(reader_read(r, &json, &len, &where, err, sizeof(err)), 1);
    ck_assert_uint_eq(len, 7);
    ck_assert_mem_eq(json, "{\"a\":1}", 7);
    ck_assert_int_eq(reader_read(r, &json, &len, &where, err, sizeof(err)), 1);
    ck_assert_int_eq(reader_read(r, &json, &len, &where, err, sizeof(err)), 1);
    ck_assert_mem_eq(json, "{\"c\":3}", 7);
    ck_assert_ptr_nonnull(strstr(where, "rec.json line 3"));
    ck_assert_int_eq(reader_read(r, &json, &len, &where, err, sizeof(err)), 0);
    reader_free(r);
}
END_TEST

START_TEST(test_blank_lines_crlf_no_final_newline)
{
    char path[128], err[256];
    struct reader *r;
    const char *json, *where;
    size_t len;
    FILE *f;

    snprintf(path, sizeof(path), "%s/rec.json", dir);
    f = fopen(path, "w");
    fputs("\n{\"x\":1}\r\n\n\n{\"y\":2}", f);
    fclose(f);
    ck_assert_int_eq(reader_open_file(path, &r, err, sizeof(err)), 0);
    ck_assert_int_eq(reader_read(r, &json, &len, &where, err, sizeof(err)), 1);
    ck_assert_uint_eq(len, 7);
    ck_assert_ptr_nonnull(strstr(where, " line 2"));
    ck_assert_int_eq(reader_read(r, &json, &len, &where, err, sizeof(err)), 1);
    ck_assert_mem_eq(json, "{\"y\":2}", 7);
    ck_assert_ptr_nonnull(strstr(where, " line 5"));
    ck_assert_int_eq(reader_read(r, &json, &len, &where, err, sizeof(err)), 0);
    reader_free(r);
}
END_TEST

START_TEST(test_long_lines_in_chunks)
{
    char path[128], err[256];
    struct reader *r;
    const char *json, *where;
    size_t len, n = 3 * 1024 * 1024;
    char *big = malloc(n);
    FILE *f;
    int i;

    memset(big, 'a', n);
    snprintf(path, sizeof(path), "%s/rec.json", dir);
    f = fopen(path, "w");
    for (i = 0; i < 3; i++) {
        fwrite(big, 1, n - (size_t)i, f);
        fputc('\n', f);
    }
    fclose(f);
    ck_assert_int_eq(reader_open_file(path, &r, err, sizeof(err)), 0);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(reader_read(r, &json, &len, &where, err,
                                     sizeof(err)), 1);
        ck_assert_uint_eq(len, n - (size_t)i);
    }
    reader_free(r);

    /* past the maximum: an error naming the line, not endless growth */
    f = fopen(path, "a");
    for (i = 0; i < 3; i++) {
        fwrite(big, 1, n, f);
    }
    fclose(f);
    ck_assert_int_eq(reader_open_file(path, &r, err, sizeof(err)), 0);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(reader_read(r, &json, &len, &where, err,
                                     sizeof(err)), 1);
    }
    ck_assert_int_eq(reader_read(r, &json, &len, &where, err, sizeof(err)),
                     -EMSGSIZE);
    ck_assert_ptr_nonnull(strstr(err, "line 4: longer than"));
    reader_free(r);
    free(big);
}
END_TEST

START_TEST(test_open_errors)
{
    char err[256];
    struct reader *r = NULL;
    struct writer *w = NULL;

    ck_assert_int_eq(reader_open_file("/nonexistent/rec.json", &r, err,
                                      sizeof(err)), -ENOENT);
    ck_assert_str_eq(err, "cannot open /nonexistent/rec.json: "
                     "No such file or directory");
    ck_assert_int_eq(writer_open_file("/nonexistent/rec.json", &w, err,
                                      sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "for writing"));
    ck_assert_ptr_null(r);
    ck_assert_ptr_null(w);
}
END_TEST

START_TEST(test_write_failure_reported)
{
    char err[256];
    struct writer *w;

    if (access("/dev/full", W_OK) != 0) {
        return;
    }
    ck_assert_int_eq(writer_open_file("/dev/full", &w, err, sizeof(err)), 0);
    ck_assert_int_eq(writer_write(w, "{}", 2, 1), -ENOSPC);
    ck_assert_str_eq(writer_error(w),
                     "/dev/full: write failed: No space left on device");
    writer_free(w);
}
END_TEST

static Suite *
file_suite(void)
{
    Suite *s = suite_create("file");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_write_then_read);
    tcase_add_test(tc, test_blank_lines_crlf_no_final_newline);
    tcase_add_test(tc, test_long_lines_in_chunks);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_write_failure_reported);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(file_suite());
}
