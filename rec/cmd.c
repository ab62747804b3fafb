/*
 * Finding the program a recorder runs.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

static int
check(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        return -ENOENT;
    }
    if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
        return -EACCES;
    }
    return 0;
}

int
cmd_find(const char *name, char *out, size_t outsz)
{
    const char *path = getenv("PATH");
    const char *p, *end;
    int rc, best = -ENOENT;

    if (*name == 0) {
        return -ENOENT;
    }
    if (strchr(name, '/') != NULL) {
        snprintf(out, outsz, "%s", name);
        return check(name);
    }
    if (path == NULL) {
        path = "/bin:/usr/bin";
    }
    for (p = path; ; p = end + 1) {
        size_t len;

        end = strchr(p, ':');
        len = end ? (size_t)(end - p) : strlen(p);
        /* an empty entry means the current directory */
        snprintf(out, outsz, "%.*s%s%s", (int)len, p, len ? "/" : "", name);
        rc = check(out);
        if (rc == 0) {
            return 0;
        }
        if (rc == -EACCES) {
            best = rc;
        }
        if (end == NULL) {
            break;
        }
    }
    return best;
}

const char *
cmd_user_shell(void)
{
    const char *s = getenv("SHELL");
    struct passwd *pw;

    if (s != NULL && *s) {
        return s;
    }
    pw = getpwuid(getuid());
    if (pw != NULL && pw->pw_shell != NULL && *pw->pw_shell) {
        return pw->pw_shell;
    }
    return "/bin/sh";
}
