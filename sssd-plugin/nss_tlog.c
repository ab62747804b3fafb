/*
 * libnss_tlog.so.2: the NSS service "tlog".  Listed first for passwd in
 * /etc/nsswitch.conf ("passwd: tlog files systemd"), it answers for the
 * users the recording policy selects with their entry from the other
 * sources, the shell replaced by tlog-rec-session; for everyone else it
 * says "not found" and the other sources answer as before.
 *
 * Only the entry points are exported.  Problems go to syslog, never to
 * the user.
 */
#include "config.h"

#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "policy.h"
#include "select.h"

#define EXPORT __attribute__((visibility("default")))

enum nss_status _nss_tlog_getpwnam_r(const char *name, struct passwd *pw,
                                     char *buf, size_t buflen, int *errnop)
    EXPORT;
enum nss_status _nss_tlog_getpwuid_r(uid_t uid, struct passwd *pw,
                                     char *buf, size_t buflen, int *errnop)
    EXPORT;

/* Set while this thread looks the user up in the other sources */
static __thread bool looking;

/* Copy s into the caller's buffer; NULL if it does not fit */
static char *
put(char **b, size_t *left, const char *s)
{
    size_t n = strlen(s) + 1;
    char *r = *b;

    if (n > *left) {
        return NULL;
    }
    memcpy(r, s, n);
    *b += n;
    *left -= n;
    return r;
}

/* Answer with the real entry, shell replaced, if the policy says so */
static enum nss_status
answer(const struct passwd *real, struct passwd *pw, char *buf,
       size_t buflen, int *errnop)
{
    char why[768];
    bool bad = false;
    size_t left = buflen;
    char *b = buf;

    /* Not selected, or a user's own process that may not read the
     * policy: the other sources answer */
    if (select_user(real->pw_name, real->pw_gid, why, sizeof(why),
                    &bad) != 1) {
        return NSS_STATUS_NOTFOUND;
    }
    if (bad) {
        syslog(LOG_AUTHPRIV | LOG_WARNING, "nss_tlog: %s: %s",
               real->pw_name, why);
    }
    *pw = *real;
    if ((pw->pw_name = put(&b, &left, real->pw_name)) == NULL ||
        (pw->pw_passwd = put(&b, &left, real->pw_passwd)) == NULL ||
        (pw->pw_gecos = put(&b, &left, real->pw_gecos)) == NULL ||
        (pw->pw_dir = put(&b, &left, real->pw_dir)) == NULL ||
        (pw->pw_shell = put(&b, &left, TLOG_REC_SESSION)) == NULL) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }
    return NSS_STATUS_SUCCESS;
}

/*
 * The real entry of name (or of uid, name NULL) from the other sources,
 * its strings in *buf (*size bytes, doubled on ERANGE up to
 * POLICY_ENTRY_MAX).  Returns 0 with *found telling whether the user
 * exists, or a negative errno value.
 */
static int
real_entry(const char *name, uid_t uid, struct passwd *pw, char **buf,
           size_t *size, bool *found)
{
    for (;;) {
        struct passwd *res = NULL;
        int rc;

        errno = 0;
        rc = policy_lookup_step(name != NULL ?
                                getpwnam_r(name, pw, *buf, *size, &res) :
                                getpwuid_r(uid, pw, *buf, *size, &res),
                                buf, size);
        if (rc == 0) {
            *found = res != NULL;
        }
        if (rc <= 0) {
            return rc;
        }
    }
}

/* Look up by name or uid in the other sources, then answer */
static enum nss_status
lookup(const char *name, uid_t uid, struct passwd *pw, char *buf,
       size_t buflen, int *errnop)
{
    struct passwd real;
    size_t size = POLICY_ENTRY_START;
    char *tmp;
    bool found = false;
    enum nss_status st;
    int rc;

    if (looking) {
        /* Our own lookup came back through NSS: let the others answer */
        return NSS_STATUS_NOTFOUND;
    }
    tmp = malloc(size);
    if (tmp == NULL) {
        *errnop = ENOMEM;
        return NSS_STATUS_UNAVAIL;
    }
    looking = true;
    rc = real_entry(name, uid, &real, &tmp, &size, &found);
    looking = false;
    if (rc == -EFBIG || rc == -ENOMEM) {
        /* The user may be one to record, but there is no entry to give
         * tlog-rec-session to: say so where an administrator looks */
        char what[128];

        if (rc == -EFBIG) {
            snprintf(what, sizeof(what), "entry over %u bytes (no "
                     "tlog-rec-session from nss_tlog: shorten the entry)",
                     POLICY_ENTRY_MAX);
        } else {
            snprintf(what, sizeof(what), "out of memory");
        }
        if (name != NULL) {
            syslog(LOG_AUTHPRIV | LOG_WARNING, "nss_tlog: looking up user "
                   "%s: %s", name, what);
        } else {
            syslog(LOG_AUTHPRIV | LOG_WARNING, "nss_tlog: looking up uid "
                   "%u: %s", (unsigned)uid, what);
        }
    }
    if (rc < 0 || !found) {
        /* A source that failed is not found here; the other sources,
         * asked next, answer or fail as well */
        free(tmp);
        return NSS_STATUS_NOTFOUND;
    }
    st = answer(&real, pw, buf, buflen, errnop);
    free(tmp);
    return st;
}

enum nss_status
_nss_tlog_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                     size_t buflen, int *errnop)
{
    return lookup(name, 0, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tlog_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
                     int *errnop)
{
    return lookup(NULL, uid, pw, buf, buflen, errnop);
}
