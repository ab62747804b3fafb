/*
 * The session recording policy: SSSD's meaning for every scope and key,
 * group membership, later files overriding earlier ones, and failing
 * safe (everyone recorded) on files that are bad or not root's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "testlib.h"

static void
parse(struct policy *p, const char *text)
{
    memset(p, 0, sizeof(*p));
    ck_assert_int_eq(policy_parse(p, text, strlen(text), "test.conf"), 0);
}

/* Is user (in groups, NULL-terminated) recorded? */
static bool
sel(const struct policy *p, const char *user, const char **groups)
{
    char why[768];
    size_t n = 0;

    while (groups != NULL && groups[n] != NULL) {
        n++;
    }
    return policy_selects(p, user, groups, n, why, sizeof(why));
}

START_TEST(test_default_is_none)
{
    struct policy p;

    parse(&p, "[sssd]\nservices = nss, pam\n");
    ck_assert(!sel(&p, "root", NULL));
    parse(&p, "[session_recording]\nscope = none\nusers = root\n");
    ck_assert(!sel(&p, "root", NULL));
    policy_fini(&p);
}
END_TEST

START_TEST(test_scope_some)
{
    struct policy p;
    const char *admins[] = { "alice", "admins", NULL };
    const char *plain[] = { "bob", "users", NULL };

    parse(&p, "# comment\n[session_recording]\n"
              "scope = some\n"
              "users = root ,  contractor1,contractor2\n"
              "groups = admins, wheel\n"
              "exclude_users = root\n");
    ck_assert(sel(&p, "root", NULL));          /* excludes: only for all */
    ck_assert(sel(&p, "contractor1", NULL));
    ck_assert(sel(&p, "contractor2", NULL));
    ck_assert(sel(&p, "alice", admins));       /* supplementary group */
    ck_assert(!sel(&p, "bob", plain));
    ck_assert(!sel(&p, "contractor", NULL));   /* whole names only */
    policy_fini(&p);
}
END_TEST

START_TEST(test_scope_all)
{
    struct policy p;
    const char *svc[] = { "svc", "daemons", NULL };
    const char *dev[] = { "dev", "developers", NULL };

    parse(&p, "[session_recording]\nscope = all\n"
              "exclude_users = backup\nexclude_groups = daemons\n"
              "users = nobody-in-particular\n");
    ck_assert(sel(&p, "root", NULL));
    ck_assert(sel(&p, "dev", dev));
    ck_assert(!sel(&p, "backup", NULL));
    ck_assert(!sel(&p, "svc", svc));
    policy_fini(&p);
}
END_TEST

START_TEST(test_later_keys_win)
{
    struct policy p;
    const char *more = "[session_recording]\nscope = some\nusers = bob\n";

    parse(&p, "[session_recording]\nscope = all\n");
    ck_assert_int_eq(policy_parse(&p, more, strlen(more), "10.conf"), 0);
    ck_assert(!sel(&p, "alice", NULL));
    ck_assert(sel(&p, "bob", NULL));
    policy_fini(&p);
}
END_TEST

START_TEST(test_bad_text_fails_safe)
{
    static const char *bad[] = {
        "[session_recording]\nscope = most\n",
        "[session_recording]\nscope = some\nuser = alice\n",
        "[session_recording\nscope = none\n",
        "[session_recording]\nscope none\n",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct policy p;

        memset(&p, 0, sizeof(p));
        ck_assert_int_eq(policy_parse(&p, bad[i], strlen(bad[i]), "x.conf"),
                         -EINVAL);
        ck_assert(p.failsafe);
        ck_assert_ptr_nonnull(strstr(p.error, "x.conf line"));
        /* Everyone is recorded, whatever the rest said */
        ck_assert(sel(&p, "anyone", NULL));
        policy_fini(&p);
    }
}
END_TEST

/* Write a policy file in dir with mode */
static void
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(test_files)
{
    char dir[] = "/tmp/check_policy.XXXXXX";
    char conf[600];
    char confd[600];
    struct policy p;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(conf, sizeof(conf), "%s/sssd.conf", dir);
    snprintf(confd, sizeof(confd), "%s/conf.d", dir);
    /* Nothing at all: no policy */
    ck_assert_int_eq(policy_load(&p, conf, confd), 0);
    ck_assert(!sel(&p, "alice", NULL));
    policy_fini(&p);
    /* conf.d files in name order, after sssd.conf */
    ck_assert_int_eq(mkdir(confd, 0755), 0);
    write_file(dir, "sssd.conf", "[session_recording]\nscope = all\n", 0600);
    write_file(confd, "20-b.conf", "[session_recording]\nusers = carol\n",
               0600);
    write_file(confd, "10-a.conf", "[session_recording]\nscope = some\n"
               "users = bob\n", 0600);
    write_file(confd, "ignored.txt", "garbage", 0600);
    ck_assert_int_eq(policy_load(&p, conf, confd), 0);
    ck_assert(!sel(&p, "bob", NULL));
    ck_assert(sel(&p, "carol", NULL));
    policy_fini(&p);
    if (geteuid() == 0) {
        /* Writable by others: whoever can change it could switch
         * recording off, so everyone is recorded */
        write_file(confd, "20-b.conf", "[session_recording]\nscope = none\n",
                   0666);
        ck_assert_int_eq(policy_load(&p, conf, confd), -EINVAL);
        ck_assert(p.failsafe);
        ck_assert_ptr_nonnull(strstr(p.error, "not root's alone"));
        ck_assert(sel(&p, "bob", NULL));
        policy_fini(&p);
    }
    snprintf(conf, sizeof(conf), "rm -rf %s", dir);
    ck_assert_int_eq(system(conf), 0);
}
END_TEST

static Suite *
policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_default_is_none);
    tcase_add_test(tc, test_scope_some);
    tcase_add_test(tc, test_scope_all);
    tcase_add_test(tc, test_later_keys_win);
    tcase_add_test(tc, test_bad_text_fails_safe);
    tcase_add_test(tc, test_files);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(policy_suite());
}
