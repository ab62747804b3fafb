/*
 * Logging in and out, and the checks every other request passes first:
 * the session cookie, and the CSRF token of a state-changing request.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "request.h"

static void
session_cookie(const struct call *c, const char *token, char *out,
               size_t outsz)
{
    if (token != NULL) {
        snprintf(out, outsz, COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict"
                 "%s", token, c->s->conf.https ? "; Secure" : "");
    } else {
        snprintf(out, outsz, COOKIE "=; Path=/; Max-Age=0; HttpOnly;"
                 " SameSite=Strict%s", c->s->conf.https ? "; Secure" : "");
    }
}

/* The rights of the session's auditor, as names */
static struct json_object *
rights_of(struct call *c)
{
    unsigned r = rules_rights(c->s->conf.rules, c->sess.user,
                              c->sess.groups), bit;
    struct json_object *a = json_object_new_array();

    for (bit = 1; bit <= RULES_INPUT; bit <<= 1) {
        if (r & bit) {
            json_object_array_add(a, json_object_new_string(
                rules_right_name((enum rules_right)bit)));
        }
    }
    return a;
}

/* {"user", "groups", "csrf", "rights"} of the session */
static struct json_object *
session_json(struct call *c)
{
    struct json_object *o = json_object_new_object(), *g;
    const char *p = c->sess.groups, *nl;

    json_object_object_add(o, "user", json_object_new_string(c->sess.user));
    g = json_object_new_array();
    while (p != NULL && *p) {
        nl = strchr(p, '\n');
        json_object_array_add(g, json_object_new_string_len(p,
                              nl ? (int)(nl - p) : (int)strlen(p)));
        p = nl ? nl + 1 : NULL;
    }
    json_object_object_add(o, "groups", g);
    json_object_object_add(o, "csrf", json_object_new_string(c->sess.csrf));
    json_object_object_add(o, "rights", rights_of(c));
    return o;
}

enum MHD_Result
auth_login(struct call *c, struct req *q)
{
    const char *type = MHD_lookup_connection_value(c->con, MHD_HEADER_KIND,
                                                   "Content-Type");
    char user[PRIVSEP_USER_MAX], password[PRIVSEP_PASSWORD_MAX];
    char ukey[PRIVSEP_USER_MAX + 8], akey[INET6_ADDRSTRLEN + 8];
    char err[512], groups[SESSIONS_GROUPS_MAX] = "", cookie[256];
    char token[SESSIONS_TOKEN_LEN + 1];
    struct privsep_answer ans;
    time_t now = time(NULL);
    long wait = 0, wait2 = 0;
    bool user_ok, addr_ok;
    size_t i, used = 0;
    int rc;

    /* a form on another site cannot send this type without asking */
    if (type == NULL || strncmp(type, "application/json", 16) != 0) {
        return call_error(c, MHD_HTTP_BAD_REQUEST, "login: send the body as"
                          " Content-Type: application/json", 0);
    }
    if (q->too_big) {
        return call_error(c, MHD_HTTP_BAD_REQUEST, "login: body too large:"
                          " send {\"user\": \"NAME\", \"password\":"
                          " \"PASSWORD\"}", 0);
    }
    rc = request_login(q->body, q->len, user, password, err, sizeof(err));
    explicit_bzero(q->body, sizeof(q->body));
    if (rc < 0) {
        char msg[600];

        snprintf(msg, sizeof(msg), "login: %s", err);
        return call_error(c, MHD_HTTP_BAD_REQUEST, msg, 0);
    }
    snprintf(ukey, sizeof(ukey), "user:%s", user);
    snprintf(akey, sizeof(akey), "addr:%s", c->addr);
    /* both asked, so that the answer waits for the longer of the two */
    user_ok = throttle_allows(c->s->conf.throttle, ukey, now, &wait);
    addr_ok = throttle_allows(c->s->conf.throttle, akey, now, &wait2);
    if (!user_ok || !addr_ok) {
        explicit_bzero(password, sizeof(password));
        if (wait2 > wait) {
            wait = wait2;
        }
        snprintf(err, sizeof(err), "too many failed logins: try again in"
                 " %ld s", wait);
        call_record(c, user, "login-failed", NULL, NULL, "throttled");
        return call_error(c, MHD_HTTP_TOO_MANY_REQUESTS, err, wait);
    }
    rc = privsep_auth(c->s->conf.privsep, user, password, c->addr, &ans,
                      err, sizeof(err));
    explicit_bzero(password, sizeof(password));
    if (rc == -EIO) {
        /* it cannot be started again without root: the whole server
         * ends once this answer is sent, for its service manager to
         * start it afresh */
        fprintf(stderr, "tlog-web: login of %s: %s\n", user, err);
        q->fatal = true;
    }
    if (rc < 0) {
        call_record(c, user, "login-failed", NULL, NULL, "error");
        return call_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "login: the"
                          " password check is not available: see the"
                          " server's log", 0);
    }
    if (!ans.ok) {
        throttle_failed(c->s->conf.throttle, ukey, now);
        throttle_failed(c->s->conf.throttle, akey, now);
        call_record(c, user, "login-failed", NULL, NULL, "denied");
        /* one answer whether the user exists or not */
        return call_error(c, MHD_HTTP_UNAUTHORIZED, "login failed: wrong"
                          " user name or password, or the account may not"
                          " log in", 0);
    }
    throttle_reset(c->s->conf.throttle, ukey);
    throttle_reset(c->s->conf.throttle, akey);
    for (i = 0; i < ans.ngroups && used + PRIVSEP_GROUP_MAX + 1 <
                sizeof(groups); i++) {
        used += (size_t)snprintf(groups + used, sizeof(groups) - used,
                                 "%s%s", i ? "\n" : "", ans.groups[i]);
    }
    rc = sessions_create(c->s->conf.sessions, user, groups, now, token,
                         c->sess.csrf, err, sizeof(err));
    if (rc == 0) {
        rc = sessions_find(c->s->conf.sessions, token, now, &c->sess, err,
                           sizeof(err));
    }
    if (rc < 0) {
        fprintf(stderr, "tlog-web: session of %s: %s\n", user, err);
        call_record(c, user, "login-failed", NULL, NULL, "error");
        return call_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "login:"
                          " cannot start a session: see the server's log",
                          0);
    }
    c->has_session = true;
    session_cookie(c, token, cookie, sizeof(cookie));
    explicit_bzero(token, sizeof(token));
    call_record(c, user, "login", NULL, NULL, "ok");
    return call_reply(c, MHD_HTTP_OK, session_json(c), cookie, 0);
}

/* Constant-time comparison of two NUL-terminated strings */
static bool
same(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i;
    unsigned char d = la != lb;

    for (i = 0; i < la && i < lb; i++) {
        d |= (unsigned char)(a[i] ^ b[i]);
    }
    return d == 0;
}

/*
 * Find the request's session, and check its CSRF token if the method
 * changes state.  Answers and returns false when either fails.
 */
bool
auth_check(struct call *c, enum MHD_Result *ret)
{
    const char *token = MHD_lookup_connection_value(c->con,
                                                    MHD_COOKIE_KIND, COOKIE);
    const char *csrf;
    bool safe = !strcmp(c->method, "GET") || !strcmp(c->method, "HEAD");
    char err[512];
    int rc = token == NULL ? -ENOENT :
             sessions_find(c->s->conf.sessions, token, time(NULL), &c->sess,
                           err, sizeof(err));

    if (rc == -EIO) {
        fprintf(stderr, "tlog-web: session store: %s\n", err);
        *ret = call_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the session"
                          " store does not answer: try again, and see the"
                          " server's log if it persists", 0);
        return false;
    }
    if (rc < 0) {
        call_record(c, NULL, "denied", NULL, c->url, "no-session");
        *ret = call_error(c, MHD_HTTP_UNAUTHORIZED, "not logged in, or the"
                          " session has ended: log in with POST"
                          " /api/login", 0);
        return false;
    }
    c->has_session = true;
    if (!safe) {
        csrf = MHD_lookup_connection_value(c->con, MHD_HEADER_KIND,
                                           CSRF_HEADER);
        if (csrf == NULL || !same(csrf, c->sess.csrf)) {
            call_record(c, NULL, "denied", NULL, c->url, "csrf");
            *ret = call_error(c, MHD_HTTP_FORBIDDEN, "missing or wrong "
                              CSRF_HEADER " header: send the \"csrf\" value"
                              " that login and GET /api/session return", 0);
            return false;
        }
    }
    return true;
}

enum MHD_Result
auth_logout(struct call *c)
{
    const char *token = MHD_lookup_connection_value(c->con, MHD_COOKIE_KIND,
                                                    COOKIE);
    char cookie[256], err[512];

    if (token != NULL && sessions_remove(c->s->conf.sessions, token, err,
                                         sizeof(err)) == -EIO) {
        fprintf(stderr, "tlog-web: logout: %s\n", err);
        call_record(c, NULL, "logout", NULL, NULL, "error");
        return call_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "logout: the"
                          " session store does not answer: try again", 0);
    }
    call_record(c, NULL, "logout", NULL, NULL, "ok");
    session_cookie(c, NULL, cookie, sizeof(cookie));
    return call_reply(c, MHD_HTTP_OK, json_object_new_object(), cookie, 0);
}

enum MHD_Result
auth_session(struct call *c)
{
    return call_reply(c, MHD_HTTP_OK, session_json(c), NULL, 0);
}
