/*
 * tlog-policy: say whether users would be recorded, and why, under the
 * session recording policy in SSSD's configuration.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "select.h"

#define PROG "tlog-policy"

static const char usage[] =
"Usage: " PROG " USER...\n"
"Say whether each USER would be recorded, and why, under the\n"
"[session_recording] section of " SYSCONFDIR "/sssd/sssd.conf and\n"
SYSCONFDIR "/sssd/conf.d/*.conf.  Exits 0 if every USER is recorded,\n"
"1 if one is not, 2 for an unknown user, a usage error or a policy\n"
"this user may not read (run it as root).\n";

/* Say for users[0..n) whether each is recorded; the exit status */
static int
check_users(char **users, int n)
{
    int status = 0;
    int i;

    for (i = 0; i < n; i++) {
        struct passwd *pw = getpwnam(users[i]);
        char why[768];
        bool bad = false;
        int rc;

        if (pw == NULL) {
            fprintf(stderr, PROG ": %s: no such user\n", users[i]);
            status = 2;
            continue;
        }
        rc = select_user(pw->pw_name, pw->pw_gid, why, sizeof(why), &bad);
        if (rc < 0) {
            fprintf(stderr, PROG ": %s\nRun it as root.\n", why);
            return 2;
        }
        if (rc == 0 && status == 0) {
            status = 1;
        }
        printf("%s: %s\n", pw->pw_name, why);
    }
    return status;
}

static const struct conf_prog prog = {
    .name = PROG,
    .usage = usage,
};

int
main(int argc, char **argv)
{
    struct conf *c = NULL;
    int first = argc, status;

    /* No keys: the policy's files are SSSD's, read by the modules too */
    if (conf_new(NULL, 0, &c) < 0) {
        fprintf(stderr, PROG ": out of memory\n");
        return 2;
    }
    status = conf_start(c, &prog, argc, argv, &first);
    if (status != CONF_GO_ON) {
        /* said */
    } else if (first >= argc) {
        conf_usage_error(stderr, PROG, "no user given");
        status = 2;
    } else {
        status = check_users(argv + first, argc - first);
    }
    conf_free(c);
    return status;
}
