/*
 * The session recording policy: SSSD's meaning for every scope and key,
 * group membership, later files overriding earlier ones, and failing
 * safe (everyone recorded) on files that are bad or not root's, and on
 * group lookups that fail.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "select.h"
#include "testlib.h"

/*
 * The group database of these tests, a group file in order.  The
 * definitions of getgrnam_r(), getgrgid_r(), getgrouplist() and
 * getgrent() below stand in for the C library's, which the policy code
 * calls.  Like glibc's files source, a lookup parses each line up to
 * the one it wants into the caller's buffer, so a line too long for it
 * fails the lookup with ERANGE even when the group wanted comes later;
 * and each function counts its calls.
 */
#define FAKE_MAX 8

struct fake_group {
    char name[32];
    gid_t gid;
    char *members;          /* comma-separated; owned */
    int err;                /* every lookup of the group fails so */
    bool endless;           /* no buffer is large enough for it */
};

static struct fake_group fake[FAKE_MAX];
static size_t nfake;
static bool fake_endless_list;  /* getgrouplist(): always one more */
static unsigned fake_by_name;   /* getgrnam_r() calls */
static unsigned fake_other;     /* by gid, or enumerating */

static void
fake_add(const char *name, gid_t gid, const char *members, int err)
{
    ck_assert_uint_lt(nfake, FAKE_MAX);
    snprintf(fake[nfake].name, sizeof(fake[nfake].name), "%s", name);
    fake[nfake].gid = gid;
    fake[nfake].members = strdup(members);
    ck_assert_ptr_nonnull(fake[nfake].members);
    fake[nfake].err = err;
    fake[nfake].endless = false;
    nfake++;
}

/* An empty database; each test starts with one */
static void
fake_reset(void)
{
    while (nfake > 0) {
        free(fake[--nfake].members);
    }
    fake_endless_list = false;
    fake_by_name = 0;
    fake_other = 0;
}

/* Members "m0000,m0001,..." n of them, then last: one long group line */
static char *
many_members(size_t n, const char *last)
{
    char *s = malloc(n * 6 + strlen(last) + 1);
    char *p = s;
    size_t i;

    ck_assert_ptr_nonnull(s);
    for (i = 0; i < n; i++) {
        p += sprintf(p, "m%04zu,", i % 10000);
    }
    strcpy(p, last);
    return s;
}

static bool
fake_has(const struct fake_group *f, const char *user)
{
    size_t n = strlen(user);
    const char *m = f->members;

    while (*m != '\0') {
        size_t len = strcspn(m, ",");

        if (len == n && strncmp(m, user, n) == 0) {
            return true;
        }
        m += len;
        m += *m == ',';
    }
    return false;
}

static size_t
fake_nmem(const struct fake_group *f)
{
    size_t n = f->members[0] == '\0' ? 0 : 1;
    const char *p;

    for (p = f->members; *p != '\0'; p++) {
        n += *p == ',';
    }
    return n;
}

/* Does f fit in buf[0..len)?  The member pointers come first, aligned */
static bool
fake_fits(const struct fake_group *f, const char *buf, size_t len)
{
    size_t pad = (size_t)(-(uintptr_t)buf % sizeof(char *));

    return !f->endless &&
           pad + (fake_nmem(f) + 1) * sizeof(char *) + strlen(f->name) +
           1 + 2 + strlen(f->members) + 1 <= len;
}

static void
fake_pack(const struct fake_group *f, struct group *gr, char *buf)
{
    size_t pad = (size_t)(-(uintptr_t)buf % sizeof(char *));
    size_t nmem = fake_nmem(f);
    size_t i;
    char **vec = (void *)(buf + pad);
    char *p = buf + pad + (nmem + 1) * sizeof(char *);

    gr->gr_name = strcpy(p, f->name);
    p += strlen(p) + 1;
    gr->gr_passwd = strcpy(p, "x");
    p += 2;
    strcpy(p, f->members);
    for (i = 0; i < nmem; i++) {
        vec[i] = p;
        p += strcspn(p, ",");
        *p++ = '\0';
    }
    vec[nmem] = NULL;
    gr->gr_mem = vec;
    gr->gr_gid = f->gid;
}

/* Scan the file for name, or for gid if name is NULL */
static int
fake_scan(const char *name, gid_t gid, struct group *gr, char *buf,
          size_t len, struct group **res)
{
    size_t i;

    *res = NULL;
    for (i = 0; i < nfake; i++) {
        const struct fake_group *f = &fake[i];

        if (!fake_fits(f, buf, len)) {
            return ERANGE;
        }
        if (name != NULL ? strcmp(f->name, name) == 0 : f->gid == gid) {
            if (f->err != 0) {
                return f->err;
            }
            fake_pack(f, gr, buf);
            *res = gr;
            return 0;
        }
    }
    return 0;
}

int
getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
           struct group **res)
{
    fake_by_name++;
    return fake_scan(name, 0, gr, buf, len, res);
}

int
getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
           struct group **res)
{
    fake_other++;
    return fake_scan(NULL, gid, gr, buf, len, res);
}

struct group *
getgrent(void)
{
    fake_other++;
    return NULL;
}

int
getgrent_r(struct group *gr, char *buf, size_t len, struct group **res)
{
    (void)gr;
    (void)buf;
    (void)len;
    fake_other++;
    *res = NULL;
    return ENOENT;
}

/* As glibc: the primary group first; a group whose source fails is
 * silently left out */
int
getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
    int n = 0;
    size_t i;

    if (fake_endless_list) {
        *ngroups += 1;
        return -1;
    }
    if (n < *ngroups) {
        groups[n] = group;
    }
    n++;
    for (i = 0; i < nfake; i++) {
        if (fake[i].err == 0 && fake[i].gid != group &&
            fake_has(&fake[i], user)) {
            if (n < *ngroups) {
                groups[n] = fake[i].gid;
            }
            n++;
        }
    }
    if (n > *ngroups) {
        *ngroups = n;
        return -1;
    }
    *ngroups = n;
    return n;
}

static void
parse(struct policy *p, const char *text)
{
    memset(p, 0, sizeof(*p));
    ck_assert_int_eq(policy_parse(p, text, strlen(text), "test.conf"), 0);
}

/*
 * Is user recorded, as a member of groups (NULL-terminated: the primary
 * group, then supplementary ones)?  The group database holds just those.
 */
static bool
sel(const struct policy *p, const char *user, const char **groups)
{
    char why[768];
    bool forced;
    size_t i;

    fake_reset();
    for (i = 0; groups != NULL && groups[i] != NULL; i++) {
        fake_add(groups[i], (gid_t)(5000 + i), i == 0 ? "" : user, 0);
    }
    return policy_selects(p, user, 5000, why, sizeof(why), &forced);
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

START_TEST(test_unknown_key_names_the_known)
{
    static const char text[] = "[session_recording]\nscope = some\n"
                               "user = alice\n";
    struct policy p;

    memset(&p, 0, sizeof(p));
    ck_assert_int_eq(policy_parse(&p, text, strlen(text), "x.conf"), -EINVAL);
    ck_assert_str_eq(p.error, "x.conf line 3: unknown key \"user\" in"
                     " [session_recording] (use scope, users, groups,"
                     " exclude_users or exclude_groups)");
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
        /* and what to write instead */
        ck_assert_msg(strstr(p.error, " (") != NULL ||
                      strstr(p.error, ": use ") != NULL, "%s", p.error);
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
        ck_assert_msg(strstr(p.error, "chown root and chmod go-w") != NULL,
                      "%s", p.error);
        ck_assert(sel(&p, "bob", NULL));
        policy_fini(&p);
    }
    snprintf(conf, sizeof(conf), "rm -rf %s", dir);
    ck_assert_int_eq(system(conf), 0);
}
END_TEST

/*
 * The decision the modules and tlog-policy make, with the policy text
 * in a file of root's (select_user() insists): 1 recorded, 0 not.
 * Each test runs in its own process, so the environment is its own.
 */
static int
decide(const char *policy, const char *user, gid_t gid, char *why,
       size_t whylen, bool *report)
{
    char dir[] = "/tmp/check_policy.XXXXXX";
    char path[600];
    int rc;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    write_file(dir, "sssd.conf", policy, 0600);
    snprintf(path, sizeof(path), "%s/sssd.conf", dir);
    setenv("TLOG_SSSD_CONF", path, 1);
    snprintf(path, sizeof(path), "%s/conf.d", dir);
    setenv("TLOG_SSSD_CONF_DIR", path, 1);
    *report = false;
    rc = select_user(user, gid, why, whylen, report);
    snprintf(path, sizeof(path), "%s/sssd.conf", dir);
    unlink(path);
    rmdir(dir);
    return rc;
}

/* The group database most tests use: carol is in ops (supplementary),
 * dave's primary group is admins, bob is in neither */
static void
fake_world(int ops_err)
{
    fake_add("bob", 2002, "", 0);
    fake_add("carol", 2003, "", 0);
    fake_add("ops", 3001, "carol", ops_err);
    fake_add("admins", 3000, "", 0);
}

/* Only root may hold the policy; elsewhere these tests cannot run */
static bool
as_root(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "check_policy: not root, a test skipped\n");
        return false;
    }
    return true;
}

START_TEST(test_group_line_40k)
{
    char why[768];
    bool report;
    char *members;

    if (!as_root()) {
        return;
    }
    /* carol is one of 7000 members: a group line of about 42 KB */
    members = many_members(7000, "carol");
    fake_world(0);
    fake_add("huge", 4001, members, 0);
    free(members);
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = huge\n", "carol", 2003, why,
                            sizeof(why), &report), 1);
    ck_assert_msg(strstr(why, "member of huge") != NULL, "%s", why);
    ck_assert(!report);
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = huge\n", "bob", 2002, why,
                            sizeof(why), &report), 0);
    /* The same group excludes its members */
    ck_assert_int_eq(decide("[session_recording]\nscope = all\n"
                            "exclude_groups = huge\n", "carol", 2003, why,
                            sizeof(why), &report), 0);
    ck_assert_msg(strstr(why, "member of huge") != NULL, "%s", why);
}
END_TEST

START_TEST(test_after_group_line_40k)
{
    char why[768];
    bool report;
    char *members;

    if (!as_root()) {
        return;
    }
    /* A long line before the policy's groups, carol not in it */
    members = many_members(7000, "bob");
    fake_add("big", 4000, members, 0);
    free(members);
    fake_world(0);
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = ops\n", "carol", 2003, why,
                            sizeof(why), &report), 1);
    ck_assert_msg(strstr(why, "member of ops") != NULL, "%s", why);
    ck_assert(!report);
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = admins\n", "dave", 3000, why,
                            sizeof(why), &report), 1);
    ck_assert_int_eq(decide("[session_recording]\nscope = all\n"
                            "exclude_groups = ops\n", "carol", 2003, why,
                            sizeof(why), &report), 0);
}
END_TEST

START_TEST(test_groups_by_name)
{
    char why[768];
    bool report;

    if (!as_root()) {
        return;
    }
    fake_world(0);
    fake_add("daemons", 3002, "", 0);
    /* Each group the policy names, looked up once by name; neither the
     * user's other groups nor the whole database */
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = ops, admins, daemons\n", "carol",
                            2003, why, sizeof(why), &report), 1);
    ck_assert_msg(strstr(why, "member of ops") != NULL, "%s", why);
    ck_assert_uint_le(fake_by_name, 3);
    ck_assert_uint_ge(fake_by_name, 1);
    ck_assert_uint_eq(fake_other, 0);
    fake_by_name = 0;
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = ops, admins, daemons\n", "bob",
                            2002, why, sizeof(why), &report), 0);
    ck_assert_uint_eq(fake_by_name, 3);
    ck_assert_uint_eq(fake_other, 0);
    /* A primary group counts */
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = admins\n", "dave", 3000, why,
                            sizeof(why), &report), 1);
    /* A group that does not exist is no failure */
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = nosuch\n", "carol", 2003, why,
                            sizeof(why), &report), 0);
    ck_assert(!report);
}
END_TEST

START_TEST(test_failed_lookup_records)
{
    char why[768];
    bool report;

    if (!as_root()) {
        return;
    }
    fake_world(EIO);
    /* scope = some: a group that cannot be read may hold the user */
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = ops\n", "carol", 2003, why,
                            sizeof(why), &report), 1);
    ck_assert_msg(strstr(why, "ops") != NULL &&
                  strstr(why, strerror(EIO)) != NULL, "%s", why);
    ck_assert(report);
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = ops\n", "bob", 2002, why,
                            sizeof(why), &report), 1);
    ck_assert(report);
    /* scope = all: it excludes nobody */
    ck_assert_int_eq(decide("[session_recording]\nscope = all\n"
                            "exclude_groups = ops\n", "carol", 2003, why,
                            sizeof(why), &report), 1);
    ck_assert_msg(strstr(why, "ops") != NULL &&
                  strstr(why, strerror(EIO)) != NULL, "%s", why);
    ck_assert(report);
    /* A group that was read still counts */
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = ops, admins\n", "dave", 3000, why,
                            sizeof(why), &report), 1);
    ck_assert_msg(strstr(why, "member of admins") != NULL, "%s", why);
    ck_assert_int_eq(decide("[session_recording]\nscope = all\n"
                            "exclude_groups = ops, admins\n", "dave", 3000,
                            why, sizeof(why), &report), 0);
}
END_TEST

START_TEST(test_oversized_group_records)
{
    char why[768];
    bool report;

    if (!as_root()) {
        return;
    }
    fake_world(0);
    fake[2].endless = true;     /* ops: larger than any buffer */
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = ops\n", "carol", 2003, why,
                            sizeof(why), &report), 1);
    ck_assert_msg(strstr(why, "ops") != NULL, "%s", why);
    ck_assert(report);
    ck_assert_int_eq(decide("[session_recording]\nscope = all\n"
                            "exclude_groups = ops\n", "carol", 2003, why,
                            sizeof(why), &report), 1);
    ck_assert(report);
}
END_TEST

START_TEST(test_group_list_fails_records)
{
    char why[768];
    bool report;

    if (!as_root()) {
        return;
    }
    /* In ops only as getgrouplist() says, which cannot list them all */
    fake_add("ops", 3001, "", 0);
    fake_endless_list = true;
    ck_assert_int_eq(decide("[session_recording]\nscope = some\n"
                            "groups = ops\n", "carol", 2003, why,
                            sizeof(why), &report), 1);
    ck_assert_msg(strstr(why, "listing the groups of carol") != NULL, "%s",
                  why);
    ck_assert(report);
    ck_assert_int_eq(decide("[session_recording]\nscope = all\n"
                            "exclude_groups = ops\n", "carol", 2003, why,
                            sizeof(why), &report), 1);
    ck_assert(report);
}
END_TEST

static Suite *
policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, fake_reset, fake_reset);
    tcase_add_test(tc, test_default_is_none);
    tcase_add_test(tc, test_scope_some);
    tcase_add_test(tc, test_scope_all);
    tcase_add_test(tc, test_later_keys_win);
    tcase_add_test(tc, test_bad_text_fails_safe);
    tcase_add_test(tc, test_unknown_key_names_the_known);
    tcase_add_test(tc, test_files);
    tcase_add_test(tc, test_group_line_40k);
    tcase_add_test(tc, test_after_group_line_40k);
    tcase_add_test(tc, test_groups_by_name);
    tcase_add_test(tc, test_failed_lookup_records);
    tcase_add_test(tc, test_oversized_group_records);
    tcase_add_test(tc, test_group_list_fails_records);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(policy_suite());
}
