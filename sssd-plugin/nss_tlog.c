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
#include <string.h>
#include <syslog.h>

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

/* Look up by name or uid in the other sources, then answer */
static enum nss_status
lookup(const char *name, uid_t uid, struct passwd *pw, char *buf,
       size_t buflen, int *errnop)
{
    struct passwd real;
    struct passwd *res = NULL;
    char tmp[16384];
    enum nss_status st;
    int rc;

    if (looking) {
        /* Our own lookup came back through NSS: let the others answer */
        return NSS_STATUS_NOTFOUND;
    }
    looking = true;
    rc = name != NULL ? getpwnam_r(name, &real, tmp, sizeof(tmp), &res) :
                        getpwuid_r(uid, &real, tmp, sizeof(tmp), &res);
    looking = false;
    if (rc != 0 || res == NULL) {
        return NSS_STATUS_NOTFOUND;
    }
    st = answer(&real, pw, buf, buflen, errnop);
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
