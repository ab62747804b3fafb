/*
 * pam_tlog.so: a PAM session module.  For a user the recording policy
 * selects, it puts the user's real shell (from the passwd sources other
 * than the tlog NSS service) into TLOG_REC_SESSION_SHELL, where
 * tlog-rec-session, started as the login shell, finds it.
 *
 *     session required pam_tlog.so
 *
 * Problems go to syslog, never to the user.
 */
#include "config.h"

#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "select.h"

#define EXPORT __attribute__((visibility("default")))

int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
                        const char **argv) EXPORT;
int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
                         const char **argv) EXPORT;


/* The real entry: looked up with the tlog service out of the way */
static int
real_entry(const char *user, struct passwd *pw, char *buf, size_t len)
{
    struct passwd *res = NULL;
    const char *shell;
    int rc;

    rc = getpwnam_r(user, pw, buf, len, &res);
    if (rc != 0 || res == NULL) {
        return -1;
    }
    shell = pw->pw_shell;
    if (strcmp(shell, TLOG_REC_SESSION) == 0) {
        /* The tlog NSS service answered: ask the files directly */
        FILE *f = fopen("/etc/passwd", "re");

        res = NULL;
        if (f != NULL) {
            while (fgetpwent_r(f, pw, buf, len, &res) == 0) {
                if (strcmp(pw->pw_name, user) == 0) {
                    break;
                }
                res = NULL;
            }
            fclose(f);
        }
        if (res == NULL) {
            return -1;
        }
    }
    return 0;
}

int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
                    const char **argv)
{
    const char *user = NULL;
    struct passwd pw;
    char buf[16384];
    char env[4200];
    char why[768];
    bool bad = false;

    (void)flags;
    (void)argc;
    (void)argv;
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL) {
        return PAM_SESSION_ERR;
    }
    if (real_entry(user, &pw, buf, sizeof(buf)) < 0) {
        pam_syslog(pamh, LOG_ERR, "cannot find the passwd entry of %s",
                   user);
        return PAM_SESSION_ERR;
    }
    if (select_user(user, pw.pw_gid, why, sizeof(why), &bad) != 1) {
        return PAM_IGNORE;
    }
    if (bad) {
        pam_syslog(pamh, LOG_WARNING, "%s: %s", user, why);
    }
    snprintf(env, sizeof(env), "TLOG_REC_SESSION_SHELL=%s",
             pw.pw_shell[0] != '\0' ? pw.pw_shell : "/bin/sh");
    if (pam_putenv(pamh, env) != PAM_SUCCESS) {
        pam_syslog(pamh, LOG_ERR, "cannot set TLOG_REC_SESSION_SHELL");
        return PAM_SESSION_ERR;
    }
    return PAM_SUCCESS;
}

int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
                     const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
