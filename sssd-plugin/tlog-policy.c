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

#include "select.h"

#define PROG "tlog-policy"

static const char usage[] =
"Usage: " PROG " USER...\n"
"Say whether each USER would be recorded, and why, under the\n"
"[session_recording] section of " SYSCONFDIR "/sssd/sssd.conf and\n"
SYSCONFDIR "/sssd/conf.d/*.conf.  Exits 0 if every USER is recorded,\n"
"1 if one is not, 2 for an unknown user, a usage error or a policy\n"
"this user may not read (run it as root).\n";

int
main(int argc, char **argv)
{
    int status = 0;
    int i;

    if (argc < 2) {
        fprintf(stderr, PROG ": no user given\n"
                "Try '" PROG " --help' for more information.\n");
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0) {
        printf(PROG " " PACKAGE_VERSION "\n");
        return 0;
    }
    for (i = 1; i < argc; i++) {
        struct passwd *pw = getpwnam(argv[i]);
        char why[768];
        bool bad = false;
        int rc;

        if (pw == NULL) {
            fprintf(stderr, PROG ": %s: no such user\n", argv[i]);
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
