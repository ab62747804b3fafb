/*
 * pam_tlog.so: a PAM session module.  For a user the recording policy
 * selects, it puts the user's real shell (from the passwd sources other
 * than the tlog NSS service) into TLOG_REC_SESSION_SHELL, where
 * tlog-rec-session, started as the login shell, finds it; and it tells
 * the recording agent that the user's login session opened and closed,
 * so a session that never starts a shell (port forwarding, internal-sftp)
 * still leaves a record.
 *
 *     session required pam_tlog.so [socket=PATH] [unreachable=allow]
 *
 * Without the agent the session is refused, unless unreachable=allow.
 * Problems go to syslog, never to the user.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "recd_proto.h"
#include "select.h"

/* pam_set_data() name: the audit session told to the agent */
#define DATA_SESSION "pam_tlog_session"

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

struct args {
    const char *socket;
    bool allow_unreachable;
};

static void
parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
    int i;

    a->socket = RECD_SOCKET;
    a->allow_unreachable = false;
    for (i = 0; i < argc; i++) {
        if (strncmp(argv[i], "socket=", 7) == 0) {
            a->socket = argv[i] + 7;
        } else if (strcmp(argv[i], "unreachable=allow") == 0) {
            a->allow_unreachable = true;
        } else {
            pam_syslog(pamh, LOG_ERR, "unknown argument %s (pam_tlog takes"
                       " socket=PATH and unreachable=allow)", argv[i]);
        }
    }
}

static uint32_t
audit_session(void)
{
    unsigned long v = 0;
    FILE *f = fopen("/proc/self/sessionid", "re");

    if (f != NULL) {
        if (fscanf(f, "%lu", &v) != 1) {
            v = 0;
        }
        fclose(f);
    }
    return v == 0 || v > 0xffffffffUL ? 0xffffffffU : (uint32_t)v;
}

static const char *
item(pam_handle_t *pamh, int type)
{
    const void *v = NULL;

    if (pam_get_item(pamh, type, &v) != PAM_SUCCESS || v == NULL) {
        return "";
    }
    return v;
}

/* Tell the agent; 0 or a negative errno value */
static int
tell_agent(pam_handle_t *pamh, const char *socket, enum recd_kind kind,
           const char *user, uint32_t session)
{
    struct recd_request q;
    struct recd_reply r;
    int fd = -1, rc;

    recd_request_init(&q, kind);
    q.session = session;
    snprintf(q.user, sizeof(q.user), "%s", user);
    snprintf(q.service, sizeof(q.service), "%s", item(pamh, PAM_SERVICE));
    snprintf(q.tty, sizeof(q.tty), "%s", item(pamh, PAM_TTY));
    snprintf(q.rhost, sizeof(q.rhost), "%s", item(pamh, PAM_RHOST));
    rc = recd_connect(socket, &fd);
    if (rc == 0) {
        rc = recd_send(fd, &q, sizeof(q), NULL, 0);
    }
    if (rc == 0) {
        rc = recd_recv(fd, &r, sizeof(r), NULL, NULL);
    }
    if (rc == 0 && (r.magic != RECD_MAGIC || r.status < 0)) {
        rc = r.magic != RECD_MAGIC ? -EPROTO : r.status;
    }
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

static void
forget(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh;
    (void)status;
    free(data);
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
    struct args a;
    uint32_t *sid;
    int rc;

    (void)flags;
    parse_args(pamh, argc, argv, &a);
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL) {
        return PAM_SESSION_ERR;
    }
    if (real_entry(user, &pw, buf, sizeof(buf)) < 0) {
        pam_syslog(pamh, LOG_ERR, "cannot find the passwd entry of %s (try:"
                   " getent passwd %s)", user, user);
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
    sid = malloc(sizeof(*sid));
    if (sid == NULL) {
        return PAM_SESSION_ERR;
    }
    *sid = audit_session();
    rc = tell_agent(pamh, a.socket, RECD_PAM_OPEN, user, *sid);
    if (rc < 0) {
        free(sid);
        pam_syslog(pamh, LOG_ERR, "%s: cannot tell the recording agent at %s"
                   " (%s): session %s (start it: systemctl start"
                   " tlog-recd.socket)", user, a.socket, strerror(-rc),
                   a.allow_unreachable ? "allowed" : "refused");
        return a.allow_unreachable ? PAM_SUCCESS : PAM_SESSION_ERR;
    }
    if (pam_set_data(pamh, DATA_SESSION, sid, forget) != PAM_SUCCESS) {
        free(sid);
    }
    return PAM_SUCCESS;
}

int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
                     const char **argv)
{
    const void *sid = NULL;
    const char *user = NULL;
    struct args a;
    int rc;

    (void)flags;
    parse_args(pamh, argc, argv, &a);
    if (pam_get_data(pamh, DATA_SESSION, &sid) != PAM_SUCCESS ||
        sid == NULL || pam_get_user(pamh, &user, NULL) != PAM_SUCCESS ||
        user == NULL) {
        return PAM_SUCCESS;     /* not a session this module told of */
    }
    rc = tell_agent(pamh, a.socket, RECD_PAM_CLOSE, user,
                    *(const uint32_t *)sid);
    if (rc < 0) {
        pam_syslog(pamh, LOG_ERR, "%s: cannot tell the recording agent the"
                   " session closed: %s (is tlog-recd running? see"
                   " journalctl -u tlog-recd)", user, strerror(-rc));
    }
    return PAM_SUCCESS;
}
