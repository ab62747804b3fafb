/*
 * The session recording policy.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"

/* Make the policy fail safe, with the reason */
static int
fail(struct policy *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct policy *p, const char *fmt, ...)
{
    va_list ap;

    if (!p->failsafe) {
        va_start(ap, fmt);
        vsnprintf(p->error, sizeof(p->error), fmt, ap);
        va_end(ap);
    }
    p->failsafe = true;
    return -EINVAL;
}

static void
list_free(struct policy_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->name[i]);
    }
    free(l->name);
    l->name = NULL;
    l->n = 0;
}

/* Replace l with the comma-separated names in v[0..n) */
static int
list_set(struct policy_list *l, const char *v, size_t n)
{
    const char *end = v + n;

    list_free(l);
    while (v < end) {
        const char *s;
        const char *e;
        char **grown;

        while (v < end && (*v == ',' || isspace((unsigned char)*v))) {
            v++;
        }
        s = v;
        while (v < end && *v != ',') {
            v++;
        }
        e = v;
        while (e > s && isspace((unsigned char)e[-1])) {
            e--;
        }
        if (e == s) {
            continue;
        }
        grown = realloc(l->name, (l->n + 1) * sizeof(*grown));
        if (grown == NULL) {
            return -ENOMEM;
        }
        l->name = grown;
        l->name[l->n] = strndup(s, (size_t)(e - s));
        if (l->name[l->n] == NULL) {
            return -ENOMEM;
        }
        l->n++;
    }
    return 0;
}

static bool
list_has(const struct policy_list *l, const char *name)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (strcmp(l->name[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* Trim spaces from both ends of s[0..*n) */
static const char *
trim(const char *s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)*s)) {
        s++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)s[*n - 1])) {
        (*n)--;
    }
    return s;
}

static bool
is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

int
policy_parse(struct policy *p, const char *text, size_t len,
             const char *name)
{
    const char *line = text;
    const char *end = text + len;
    size_t lineno = 0;
    bool in_section = false;
    int rc;

    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl == NULL ? (size_t)(end - line) : (size_t)(nl - line);
        const char *l = trim(line, &n);
        const char *eq;
        const char *key;
        const char *val;
        size_t kn;
        size_t vn;

        lineno++;
        line += (nl == NULL ? (size_t)(end - line) : (size_t)(nl - line) + 1);
        if (n == 0 || l[0] == '#' || l[0] == ';') {
            continue;
        }
        if (memchr(l, '\0', n) != NULL) {
            return fail(p, "%s line %zu: a NUL byte (is it a text file?)",
                        name, lineno);
        }
        if (l[0] == '[') {
            if (l[n - 1] != ']') {
                return fail(p, "%s line %zu: a section name without ']'"
                            " (write it as [name])", name, lineno);
            }
            kn = n - 2;
            key = trim(l + 1, &kn);
            in_section = is(key, kn, "session_recording");
            continue;
        }
        eq = memchr(l, '=', n);
        if (eq == NULL) {
            return fail(p, "%s line %zu: expected \"key = value\", a"
                        " [section] or a comment ('#' or ';')", name,
                        lineno);
        }
        if (!in_section) {
            continue;
        }
        kn = (size_t)(eq - l);
        key = trim(l, &kn);
        vn = n - (size_t)(eq - l) - 1;
        val = trim(eq + 1, &vn);
        rc = 0;
        if (is(key, kn, "scope")) {
            if (is(val, vn, "none")) {
                p->scope = POLICY_NONE;
            } else if (is(val, vn, "some")) {
                p->scope = POLICY_SOME;
            } else if (is(val, vn, "all")) {
                p->scope = POLICY_ALL;
            } else {
                return fail(p, "%s line %zu: scope \"%.*s\": use none, some "
                            "or all", name, lineno, (int)vn, val);
            }
        } else if (is(key, kn, "users")) {
            rc = list_set(&p->users, val, vn);
        } else if (is(key, kn, "groups")) {
            rc = list_set(&p->groups, val, vn);
        } else if (is(key, kn, "exclude_users")) {
            rc = list_set(&p->exclude_users, val, vn);
        } else if (is(key, kn, "exclude_groups")) {
            rc = list_set(&p->exclude_groups, val, vn);
        } else {
            return fail(p, "%s line %zu: unknown key \"%.*s\" in "
                        "[session_recording] (use scope, users, groups, "
                        "exclude_users or exclude_groups)", name, lineno,
                        (int)kn, key);
        }
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* Read and parse one file; a missing one is no error if optional */
static int
load_file(struct policy *p, const char *path, bool optional)
{
    struct stat st;
    char *text;
    ssize_t got;
    int fd;
    int rc;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int err = errno;

        if (err == ENOENT && optional) {
            return 0;
        }
        rc = fail(p, "cannot read %s: %s%s", path, strerror(err),
                  err == ELOOP ? " (a symbolic link is not followed: put"
                  " the file itself there)" : "");
        return err == EACCES ? -EACCES : rc;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(p, "%s is not a regular file (the policy is read from"
                    " files only)", path);
    }
    /* Whoever can change the policy can switch recording off */
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        close(fd);
        return fail(p, "%s is not root's alone (owner %u, mode %04o: chown"
                    " root and chmod go-w it)", path, (unsigned)st.st_uid,
                    (unsigned)(st.st_mode & 07777));
    }
    if (st.st_size > POLICY_FILE_MAX) {
        close(fd);
        return fail(p, "%s is larger than %u bytes (is it the right file?)",
                    path, POLICY_FILE_MAX);
    }
    text = malloc((size_t)st.st_size + 1);
    if (text == NULL) {
        close(fd);
        return -ENOMEM;
    }
    got = read(fd, text, (size_t)st.st_size);
    close(fd);
    if (got != st.st_size) {
        free(text);
        return fail(p, "cannot read %s", path);
    }
    rc = policy_parse(p, text, (size_t)got, path);
    free(text);
    return rc;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
policy_load(struct policy *p, const char *conf, const char *dir)
{
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    size_t i;
    DIR *d;
    int rc;

    memset(p, 0, sizeof(*p));
    rc = load_file(p, conf, true);
    if (rc < 0) {
        return rc;
    }
    d = opendir(dir);
    if (d == NULL) {
        int err = errno;

        if (err == ENOENT) {
            return 0;
        }
        rc = fail(p, "cannot read %s: %s", dir, strerror(err));
        return err == EACCES ? -EACCES : rc;
    }
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        char **grown;

        if (de->d_name[0] == '.' || len < 6 ||
            strcmp(de->d_name + len - 5, ".conf") != 0) {
            continue;
        }
        grown = realloc(names, (n + 1) * sizeof(*grown));
        if (grown != NULL) {
            names = grown;
        }
        if (grown == NULL || (names[n] = strdup(de->d_name)) == NULL) {
            rc = -ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof(*names), by_name);
    }
    for (i = 0; i < n && rc == 0; i++) {
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        rc = load_file(p, path, false);
    }
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return rc;
}

void
policy_fini(struct policy *p)
{
    list_free(&p->users);
    list_free(&p->groups);
    list_free(&p->exclude_users);
    list_free(&p->exclude_groups);
    p->scope = POLICY_NONE;
}

int
policy_lookup_step(int rc, char **buf, size_t *size)
{
    char *grown;

    /* POSIX returns the error; some implementations (nss_wrapper among
     * them) return -1 and leave it in errno */
    if (rc < 0) {
        rc = errno != 0 ? errno : EIO;
    }
    if (rc == 0) {
        return 0;
    }
    if (rc != ERANGE) {
        return -rc;
    }
    if (*size >= POLICY_ENTRY_MAX) {
        return -EFBIG;
    }
    grown = realloc(*buf, *size * 2);
    if (grown == NULL) {
        return -ENOMEM;
    }
    *buf = grown;
    *size *= 2;
    return 1;
}

/*
 * Look group name up into gr, its strings in *buf (*size bytes, doubled
 * on ERANGE up to POLICY_ENTRY_MAX).  Returns 0 with *found telling
 * whether the group exists, or a negative errno value: -EFBIG past the
 * maximum.
 */
static int
group_by_name(const char *name, struct group *gr, char **buf, size_t *size,
              bool *found)
{
    for (;;) {
        struct group *res = NULL;
        int rc;

        errno = 0;
        rc = policy_lookup_step(getgrnam_r(name, gr, *buf, *size, &res),
                                buf, size);
        /* Only "no error, no entry" means no such group: glibc fails
         * with the errno of a source that could not answer, often
         * ENOENT, and the group may be in that source */
        if (rc == 0) {
            *found = res != NULL;
        }
        if (rc <= 0) {
            return rc;
        }
    }
}

/*
 * The groups of user, primary group gid first (getgrouplist()).
 * Returns 0 with a malloc'd array in *gids and its length in *n, or a
 * negative errno value: -E2BIG past POLICY_GROUPS_MAX.
 */
static int
user_groups(const char *user, gid_t gid, gid_t **gids, int *n)
{
    gid_t *list = NULL;
    int size = 64;

    for (;;) {
        gid_t *grown = realloc(list, (size_t)size * sizeof(*list));
        int want = size;

        if (grown == NULL) {
            free(list);
            return -ENOMEM;
        }
        list = grown;
        /* On success glibc returns the count, and stores it in want
         * as well; other C libraries only store it */
        if (getgrouplist(user, gid, list, &want) >= 0) {
            *gids = list;
            *n = want < size ? want : size;
            return 0;
        }
        if (size >= POLICY_GROUPS_MAX) {
            free(list);
            return -E2BIG;
        }
        /* glibc says how many there are; not every C library does */
        size = want > size * 2 ? want : size * 2;
        if (size > POLICY_GROUPS_MAX) {
            size = POLICY_GROUPS_MAX;
        }
    }
}

/* How a user stands towards the groups of one list */
enum membership {
    NOT_MEMBER,
    MEMBER,
    UNKNOWN,        /* not a member of any group that could be read */
};

/* Why looking up group name failed with rc, into err */
static void
lookup_failed(char *err, size_t errlen, const char *name, int rc)
{
    if (rc == -EFBIG) {
        snprintf(err, errlen, "looking up group %s: the group database "
                 "has an entry over %u bytes (name its members one by one "
                 "instead)", name, POLICY_ENTRY_MAX);
    } else if (rc == -ENOENT) {
        snprintf(err, errlen, "looking up group %s: a source in "
                 "nsswitch.conf could not answer (%s; try: getent group %s)",
                 name, strerror(ENOENT), name);
    } else {
        snprintf(err, errlen, "looking up group %s: %s (try: getent group "
                 "%s)", name, strerror(-rc), name);
    }
}

/*
 * How user, primary group gid, stands towards the groups of l, each
 * looked up once, by name.  MEMBER names the group in *which; UNKNOWN
 * (a lookup failed, and no group that could be read holds the user)
 * puts the first failure in err.
 */
static enum membership
member_of(const struct policy_list *l, const char *user, gid_t gid,
          const char **which, char *err, size_t errlen)
{
    size_t size = POLICY_ENTRY_START;
    char *buf = NULL;
    gid_t *gids = NULL;         /* of the groups that exist */
    size_t *place = NULL;       /* their names' places in l */
    size_t ngids = 0;
    gid_t *mine = NULL;
    int nmine = 0;
    bool failed = false;
    enum membership m = NOT_MEMBER;
    size_t i;
    int j;
    int rc;

    if (l->n == 0) {
        return NOT_MEMBER;
    }
    buf = malloc(size);
    gids = calloc(l->n, sizeof(*gids));
    place = calloc(l->n, sizeof(*place));
    if (buf == NULL || gids == NULL || place == NULL) {
        snprintf(err, errlen, "out of memory");
        m = UNKNOWN;
        goto out;
    }
    for (i = 0; i < l->n; i++) {
        struct group gr;
        bool found = false;
        char **mem;

        rc = group_by_name(l->name[i], &gr, &buf, &size, &found);
        if (rc < 0) {
            if (!failed) {
                lookup_failed(err, errlen, l->name[i], rc);
            }
            failed = true;
            continue;
        }
        if (!found) {
            continue;
        }
        if (gr.gr_gid == gid) {
            *which = l->name[i];
            m = MEMBER;
            goto out;
        }
        for (mem = gr.gr_mem; mem != NULL && *mem != NULL; mem++) {
            if (strcmp(*mem, user) == 0) {
                *which = l->name[i];
                m = MEMBER;
                goto out;
            }
        }
        gids[ngids] = gr.gr_gid;
        place[ngids] = i;
        ngids++;
    }
    /* Sources that do not list every member (nested groups in LDAP or
     * Active Directory) still tell a user's groups */
    if (ngids > 0) {
        rc = user_groups(user, gid, &mine, &nmine);
        if (rc < 0) {
            if (!failed) {
                if (rc == -E2BIG) {
                    snprintf(err, errlen, "listing the groups of %s: more "
                             "than %d (name the user in users or "
                             "exclude_users instead)", user,
                             POLICY_GROUPS_MAX);
                } else {
                    snprintf(err, errlen, "listing the groups of %s: %s "
                             "(try: id %s)", user, strerror(-rc), user);
                }
            }
            failed = true;
        }
        for (j = 0; j < nmine; j++) {
            for (i = 0; i < ngids; i++) {
                if (mine[j] == gids[i]) {
                    *which = l->name[place[i]];
                    m = MEMBER;
                    goto out;
                }
            }
        }
    }
    m = failed ? UNKNOWN : NOT_MEMBER;
out:
    free(mine);
    free(place);
    free(gids);
    free(buf);
    return m;
}

bool
policy_selects(const struct policy *p, const char *user, gid_t gid,
               char *why, size_t whylen, bool *forced)
{
    const char *g = NULL;
    char err[384];

    *forced = false;
    if (p->failsafe) {
        snprintf(why, whylen, "recorded: the policy is unusable, so "
                 "everyone is (%s)", p->error);
        *forced = true;
        return true;
    }
    switch (p->scope) {
    case POLICY_NONE:
        snprintf(why, whylen, "not recorded: scope = none");
        return false;
    case POLICY_ALL:
        if (list_has(&p->exclude_users, user)) {
            snprintf(why, whylen, "not recorded: scope = all, but %s is "
                     "in exclude_users", user);
            return false;
        }
        switch (member_of(&p->exclude_groups, user, gid, &g, err,
                          sizeof(err))) {
        case MEMBER:
            snprintf(why, whylen, "not recorded: scope = all, but member "
                     "of %s, in exclude_groups", g);
            return false;
        case UNKNOWN:
            snprintf(why, whylen, "recorded: scope = all, and a group of "
                     "exclude_groups that cannot be looked up excludes "
                     "nobody; %s", err);
            *forced = true;
            return true;
        case NOT_MEMBER:
        default:
            break;
        }
        snprintf(why, whylen, "recorded: scope = all");
        return true;
    case POLICY_SOME:
    default:
        if (list_has(&p->users, user)) {
            snprintf(why, whylen, "recorded: scope = some, %s is in users",
                     user);
            return true;
        }
        switch (member_of(&p->groups, user, gid, &g, err, sizeof(err))) {
        case MEMBER:
            snprintf(why, whylen, "recorded: scope = some, member of %s, "
                     "in groups", g);
            return true;
        case UNKNOWN:
            snprintf(why, whylen, "recorded: scope = some, and a group of "
                     "groups that cannot be looked up may hold %s; %s",
                     user, err);
            *forced = true;
            return true;
        case NOT_MEMBER:
        default:
            break;
        }
        snprintf(why, whylen, "not recorded: scope = some, %s is neither "
                 "in users nor in a group of groups", user);
        return false;
    }
}
