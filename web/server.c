/*
 * The JSON API over libmicrohttpd.
 *
 * Requests are answered by a pool of SERVER_THREADS threads; what they
 * share (sessions, throttle, PAM process, Elasticsearch clients) locks.
 * Nothing a request carries reaches Elasticsearch outside the query
 * objects built in recs.c, always beside the auditor's rule filter.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "recs.h"
#include "request.h"
#include "server.h"

#define COOKIE "tlog_web_session"
#define CSRF_HEADER "X-CSRF-Token"

struct server {
    struct server_conf conf;
    struct MHD_Daemon *mhd;
};

/* One request's state between libmicrohttpd's calls */
struct req {
    char body[SERVER_BODY_MAX + 1];
    size_t len;
    bool too_big;
    bool fatal;             /* the server ends once it is answered */
};

/* One request being answered */
struct call {
    struct server *s;
    struct MHD_Connection *con;
    const char *method;
    const char *url;
    char addr[INET6_ADDRSTRLEN];
    struct session sess;
    bool has_session;
};

static void
client_addr(struct MHD_Connection *con, char *out, size_t outsz)
{
    const union MHD_ConnectionInfo *ci;
    const struct sockaddr *sa;

    snprintf(out, outsz, "unknown");
    ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || (sa = ci->client_addr) == NULL) {
        return;
    }
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)
                  ->sin_addr, out, (socklen_t)outsz);
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)
                  ->sin6_addr, out, (socklen_t)outsz);
    }
}

static void
record(struct call *c, const char *user, const char *action,
       const char *rec, const char *query, const char *result)
{
    struct access_event ev = {
        .user = user ? user : (c->has_session ? c->sess.user : NULL),
        .action = action,
        .rec = rec,
        .query = query,
        .addr = c->addr,
        .result = result,
    };
    char err[512];

    if (access_record(c->s->conf.store, c->s->conf.access_prefix, &ev, err,
                      sizeof(err)) < 0) {
        fprintf(stderr, "tlog-web: access event not stored: %s\n", err);
    }
}

/* Answer status with the JSON text of o (taken) and headers */
static enum MHD_Result
reply(struct call *c, unsigned status, struct json_object *o,
      const char *cookie, long retry_after)
{
    const char *text = json_object_to_json_string_ext(o,
        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                        MHD_RESPMEM_MUST_COPY);
    json_object_put(o);
    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type",
                            "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; frame-ancestors 'none'");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    if (c->s->conf.https) {
        MHD_add_response_header(r, "Strict-Transport-Security",
                                "max-age=31536000");
    }
    if (cookie != NULL) {
        MHD_add_response_header(r, "Set-Cookie", cookie);
    }
    if (retry_after > 0) {
        char v[32];

        snprintf(v, sizeof(v), "%ld", retry_after);
        MHD_add_response_header(r, "Retry-After", v);
    }
    ret = MHD_queue_response(c->con, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
error(struct call *c, unsigned status, const char *what, long retry_after)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "error", json_object_new_string(what));
    return reply(c, status, o, NULL, retry_after);
}

/* The one answer for a recording that is not there or not visible */
static enum MHD_Result
no_recording(struct call *c)
{
    return error(c, MHD_HTTP_NOT_FOUND, "no such recording: check the id"
                 " (GET /api/recordings lists those you may see)", 0);
}

static enum MHD_Result
store_failed(struct call *c, const char *action, const char *rec,
             const char *why)
{
    fprintf(stderr, "tlog-web: %s: %s\n", action, why);
    record(c, NULL, action, rec, NULL, "error");
    return error(c, MHD_HTTP_BAD_GATEWAY, "the recording store did not"
                 " answer as expected: try again, and see the server's log"
                 " if it persists", 0);
}

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

static enum MHD_Result
login(struct call *c, struct req *q)
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
        return error(c, MHD_HTTP_BAD_REQUEST, "login: send the body as"
                     " Content-Type: application/json", 0);
    }
    if (q->too_big) {
        return error(c, MHD_HTTP_BAD_REQUEST, "login: body too large: send"
                     " {\"user\": \"NAME\", \"password\": \"PASSWORD\"}", 0);
    }
    rc = request_login(q->body, q->len, user, password, err, sizeof(err));
    explicit_bzero(q->body, sizeof(q->body));
    if (rc < 0) {
        char msg[600];

        snprintf(msg, sizeof(msg), "login: %s", err);
        return error(c, MHD_HTTP_BAD_REQUEST, msg, 0);
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
        record(c, user, "login-failed", NULL, NULL, "throttled");
        return error(c, MHD_HTTP_TOO_MANY_REQUESTS, err, wait);
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
        record(c, user, "login-failed", NULL, NULL, "error");
        return error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "login: the password"
                     " check is not available: see the server's log", 0);
    }
    if (!ans.ok) {
        throttle_failed(c->s->conf.throttle, ukey, now);
        throttle_failed(c->s->conf.throttle, akey, now);
        record(c, user, "login-failed", NULL, NULL, "denied");
        /* one answer whether the user exists or not */
        return error(c, MHD_HTTP_UNAUTHORIZED, "login failed: wrong user"
                     " name or password, or the account may not log in", 0);
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
        record(c, user, "login-failed", NULL, NULL, "error");
        return error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "login: cannot start"
                     " a session: see the server's log", 0);
    }
    c->has_session = true;
    session_cookie(c, token, cookie, sizeof(cookie));
    explicit_bzero(token, sizeof(token));
    record(c, user, "login", NULL, NULL, "ok");
    return reply(c, MHD_HTTP_OK, session_json(c), cookie, 0);
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
static bool
authorized(struct call *c, enum MHD_Result *ret)
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
        *ret = error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the session store"
                     " does not answer: try again, and see the server's log"
                     " if it persists", 0);
        return false;
    }
    if (rc < 0) {
        record(c, NULL, "denied", NULL, c->url, "no-session");
        *ret = error(c, MHD_HTTP_UNAUTHORIZED, "not logged in, or the"
                     " session has ended: log in with POST /api/login", 0);
        return false;
    }
    c->has_session = true;
    if (!safe) {
        csrf = MHD_lookup_connection_value(c->con, MHD_HEADER_KIND,
                                           CSRF_HEADER);
        if (csrf == NULL || !same(csrf, c->sess.csrf)) {
            record(c, NULL, "denied", NULL, c->url, "csrf");
            *ret = error(c, MHD_HTTP_FORBIDDEN, "missing or wrong "
                         CSRF_HEADER " header: send the \"csrf\" value that"
                         " login and GET /api/session return", 0);
            return false;
        }
    }
    return true;
}

/* The query parameters of a request, checked against the names allowed */
struct params {
    const char *const *names;
    const char *values[SERVER_PARAMS_MAX];
    size_t count;
    char text[SERVER_URL_MAX + 1];      /* "a=1&b=2", for the access event */
    char err[256];
};

static enum MHD_Result
take_param(void *cls, enum MHD_ValueKind kind, const char *key,
           const char *value)
{
    struct params *p = cls;
    size_t i, used = strlen(p->text);

    (void)kind;
    if (p->count++ >= SERVER_PARAMS_MAX) {
        snprintf(p->err, sizeof(p->err), "more than %d query parameters",
                 SERVER_PARAMS_MAX);
        return MHD_NO;
    }
    for (i = 0; p->names[i] != NULL && strcmp(p->names[i], key); i++) {
    }
    if (p->names[i] == NULL) {
        snprintf(p->err, sizeof(p->err), "unknown query parameter"
                 " \"%.64s\"", key);
        return MHD_NO;
    }
    if (value == NULL || strlen(value) > SERVER_PARAM_MAX) {
        snprintf(p->err, sizeof(p->err), "parameter \"%s\" needs a value of"
                 " at most %d bytes", key, SERVER_PARAM_MAX);
        return MHD_NO;
    }
    if (p->values[i] != NULL) {
        snprintf(p->err, sizeof(p->err), "parameter \"%s\" given twice", key);
        return MHD_NO;
    }
    p->values[i] = value;
    snprintf(p->text + used, sizeof(p->text) - used, "%s%s=%s",
             used ? "&" : "", key, value);
    return MHD_YES;
}

static int
get_params(struct call *c, struct params *p, const char *const *names)
{
    memset(p, 0, sizeof(*p));
    p->names = names;
    MHD_get_connection_values(c->con, MHD_GET_ARGUMENT_KIND, take_param, p);
    return p->err[0] ? -EINVAL : 0;
}

static enum MHD_Result
bad_request(struct call *c, const char *what, const char *hint)
{
    char msg[700];

    snprintf(msg, sizeof(msg), "%s: %s", what, hint);
    record(c, NULL, "denied", NULL, c->url, "bad-request");
    return error(c, MHD_HTTP_BAD_REQUEST, msg, 0);
}

static enum MHD_Result
search(struct call *c)
{
    static const char *const names[] = {
        "user", "host", "shown", "typed", "from", "to", "offset", "size",
        "order", NULL
    };
    struct recs_query q = { .from = -1, .to = -1, .size = 20 };
    struct json_object *filter, *input, *result = NULL;
    struct params p;
    char err[512];
    long long v;
    int rc;

    if (get_params(c, &p, names) < 0) {
        return bad_request(c, p.err, "known: user, host, shown, typed, from,"
                           " to, offset, size, order");
    }
    q.user = p.values[0];
    q.host = p.values[1];
    q.shown = p.values[2];
    q.typed = p.values[3];
    if ((p.values[4] && request_int("from", p.values[4], 0, 1LL << 40,
                                    &q.from, err, sizeof(err)) < 0) ||
        (p.values[5] && request_int("to", p.values[5], 0, 1LL << 40, &q.to,
                                    err, sizeof(err)) < 0)) {
        return bad_request(c, err, "give seconds since the epoch");
    }
    if (p.values[6]) {
        if (request_int("offset", p.values[6], 0, RECS_SEARCH_MAX - 1, &v,
                        err, sizeof(err)) < 0) {
            return bad_request(c, err, "page through at most the first "
                               "1000 results; narrow the search");
        }
        q.offset = (size_t)v;
    }
    if (p.values[7]) {
        if (request_int("size", p.values[7], 1, RECS_PAGE_MAX, &v, err,
                        sizeof(err)) < 0) {
            return bad_request(c, err, "ask for fewer per page");
        }
        q.size = (size_t)v;
    }
    if (q.offset + q.size > RECS_SEARCH_MAX) {
        q.size = RECS_SEARCH_MAX - q.offset;
    }
    if (p.values[8]) {
        if (strcmp(p.values[8], "newest") && strcmp(p.values[8], "oldest")) {
            return bad_request(c, "parameter \"order\" must be \"newest\" or"
                               " \"oldest\"", "newest is the default");
        }
        q.oldest_first = !strcmp(p.values[8], "oldest");
    }
    if (q.typed != NULL && !(rules_rights(c->s->conf.rules, c->sess.user,
                                          c->sess.groups) & RULES_INPUT)) {
        record(c, NULL, "search", NULL, p.text, "denied");
        return error(c, MHD_HTTP_FORBIDDEN, "searching typed text needs the"
                     " \"input\" right, which no rule gives you: search"
                     " shown text with \"shown\"", 0);
    }
    filter = rules_filter(c->s->conf.rules, c->sess.user, c->sess.groups,
                          RULES_SEARCH);
    input = rules_filter(c->s->conf.rules, c->sess.user, c->sess.groups,
                         RULES_SEARCH | RULES_INPUT);
    rc = recs_search(c->s->conf.store, filter, input, &q, &result, err,
                     sizeof(err));
    json_object_put(filter);
    json_object_put(input);
    if (rc < 0) {
        return store_failed(c, "search", NULL, err);
    }
    record(c, NULL, "search", NULL, p.text, "ok");
    return reply(c, MHD_HTTP_OK, result, NULL, 0);
}

static enum MHD_Result
recording(struct call *c, const char *rec)
{
    static const char *const names[] = { NULL };
    struct json_object *filter, *result = NULL, *input;
    struct params p;
    char err[512];
    int rc;

    if (get_params(c, &p, names) < 0) {
        return bad_request(c, p.err, "this path takes no parameters");
    }
    filter = rules_filter(c->s->conf.rules, c->sess.user, c->sess.groups,
                          RULES_SEARCH);
    rc = recs_get(c->s->conf.store, filter, rec, &result, err, sizeof(err));
    json_object_put(filter);
    if (rc == -ENOENT) {
        record(c, NULL, "view", rec, NULL, "not-found");
        return no_recording(c);
    }
    if (rc < 0) {
        return store_failed(c, "view", rec, err);
    }
    /* what this auditor may do with it */
    input = rules_filter(c->s->conf.rules, c->sess.user, c->sess.groups,
                         RULES_PLAY | RULES_INPUT);
    rc = recs_visible(c->s->conf.store, input, rec, err, sizeof(err));
    json_object_put(input);
    json_object_object_add(result, "input_visible",
                           json_object_new_boolean(rc > 0));
    record(c, NULL, "view", rec, NULL, "ok");
    return reply(c, MHD_HTTP_OK, result, NULL, 0);
}

static enum MHD_Result
messages(struct call *c, const char *rec)
{
    static const char *const names[] = { "from_id", "size", NULL };
    struct json_object *filter, *input, *result = NULL;
    long long from_id = 1, size = 100;
    struct params p;
    char err[512];
    int rc, with_input;

    if (get_params(c, &p, names) < 0) {
        return bad_request(c, p.err, "known: from_id, size");
    }
    if ((p.values[0] && request_int("from_id", p.values[0], 1,
                                    (1LL << 53), &from_id, err,
                                    sizeof(err)) < 0) ||
        (p.values[1] && request_int("size", p.values[1], 1,
                                    RECS_MESSAGES_MAX, &size, err,
                                    sizeof(err)) < 0)) {
        return bad_request(c, err, "from_id counts from 1; ask for fewer"
                           " messages at once");
    }
    input = rules_filter(c->s->conf.rules, c->sess.user, c->sess.groups,
                         RULES_PLAY | RULES_INPUT);
    with_input = recs_visible(c->s->conf.store, input, rec, err,
                              sizeof(err));
    json_object_put(input);
    if (with_input < 0) {
        return store_failed(c, "play", rec, err);
    }
    filter = rules_filter(c->s->conf.rules, c->sess.user, c->sess.groups,
                          RULES_PLAY);
    rc = recs_messages(c->s->conf.store, filter, rec, from_id, (size_t)size,
                       with_input > 0, &result, err, sizeof(err));
    json_object_put(filter);
    if (rc == -ENOENT) {
        record(c, NULL, "play", rec, p.text, "not-found");
        return no_recording(c);
    }
    if (rc < 0) {
        return store_failed(c, "play", rec, err);
    }
    record(c, NULL, "play", rec, p.text, "ok");
    return reply(c, MHD_HTTP_OK, result, NULL, 0);
}

static enum MHD_Result
route(struct call *c, struct req *q)
{
    const char *m = c->method, *u = c->url, *rest;
    bool get = !strcmp(m, "GET"), post = !strcmp(m, "POST");
    enum MHD_Result ret;
    char rec[SERVER_REC_MAX + 1];
    size_t len;

    if (strlen(u) > SERVER_URL_MAX) {
        return error(c, MHD_HTTP_URI_TOO_LONG, "path too long", 0);
    }
    if (!strcmp(u, "/api/login")) {
        return post ? login(c, q) :
               error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST", 0);
    }
    if (strncmp(u, "/api/", 5) != 0) {
        return error(c, MHD_HTTP_NOT_FOUND, "nothing here: the API is under"
                     " /api/ (see tlog-web(8))", 0);
    }
    if (q->too_big) {
        return error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too"
                     " large", 0);
    }
    if (!authorized(c, &ret)) {
        return ret;
    }
    if (!strcmp(u, "/api/logout")) {
        const char *token;
        char cookie[256], err[512];

        if (!post) {
            return error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST", 0);
        }
        token = MHD_lookup_connection_value(c->con, MHD_COOKIE_KIND, COOKIE);
        if (sessions_remove(c->s->conf.sessions, token, err,
                            sizeof(err)) == -EIO) {
            fprintf(stderr, "tlog-web: logout: %s\n", err);
            record(c, NULL, "logout", NULL, NULL, "error");
            return error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "logout: the"
                         " session store does not answer: try again", 0);
        }
        record(c, NULL, "logout", NULL, NULL, "ok");
        session_cookie(c, NULL, cookie, sizeof(cookie));
        return reply(c, MHD_HTTP_OK, json_object_new_object(), cookie, 0);
    }
    if (!strcmp(u, "/api/session")) {
        return get ? reply(c, MHD_HTTP_OK, session_json(c), NULL, 0) :
               error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET", 0);
    }
    if (!strcmp(u, "/api/recordings")) {
        return get ? search(c) :
               error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET", 0);
    }
    if (!strncmp(u, "/api/recordings/", 16)) {
        rest = strchr(u + 16, '/');
        len = rest ? (size_t)(rest - (u + 16)) : strlen(u + 16);
        if (len > SERVER_REC_MAX) {
            return bad_request(c, "recording id too long", "ids have at most"
                               " 128 characters");
        }
        memcpy(rec, u + 16, len);
        rec[len] = 0;
        if (!request_rec_id(rec, SERVER_REC_MAX)) {
            return bad_request(c, "malformed recording id", "ids hold"
                               " letters, digits and -_.: only");
        }
        if (!get) {
            return error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET", 0);
        }
        if (rest == NULL) {
            return recording(c, rec);
        }
        if (!strcmp(rest, "/messages")) {
            return messages(c, rec);
        }
    }
    record(c, NULL, "denied", NULL, u, "no-such-path");
    return error(c, MHD_HTTP_NOT_FOUND, "no such API path (see tlog-web(8)"
                 " for the API)", 0);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *con, const char *url,
       const char *method, const char *version, const char *upload_data,
       size_t *upload_data_size, void **con_cls)
{
    struct req *q = *con_cls;
    struct call c;

    (void)version;
    if (q == NULL) {
        q = calloc(1, sizeof(*q));
        if (q == NULL) {
            return MHD_NO;
        }
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (q->len + *upload_data_size > SERVER_BODY_MAX) {
            q->too_big = true;
        } else {
            memcpy(q->body + q->len, upload_data, *upload_data_size);
            q->len += *upload_data_size;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    memset(&c, 0, sizeof(c));
    c.s = cls;
    c.con = con;
    c.method = method;
    c.url = url;
    client_addr(con, c.addr, sizeof(c.addr));
    return route(&c, q);
}

static void
completed(void *cls, struct MHD_Connection *con, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
    struct req *q = *con_cls;

    (void)cls;
    (void)con;
    (void)toe;
    if (q != NULL) {
        if (q->fatal) {
            kill(getpid(), SIGUSR1);
        }
        /* a login body held a password */
        explicit_bzero(q, sizeof(*q));
        free(q);
        *con_cls = NULL;
    }
}

/* libmicrohttpd's own messages; fmt is its format, not a request's */
static void __attribute__((format(printf, 2, 0)))
mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fprintf(stderr, "tlog-web: ");
    vfprintf(stderr, fmt, ap);
}

int
server_start(const struct server_conf *conf, int fd, struct server **ps,
             char *err, size_t errsz)
{
    struct server *s = calloc(1, sizeof(*s));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

    if (s == NULL) {
        return -ENOMEM;
    }
    s->conf = *conf;
    if (conf->cert_pem != NULL) {
        flags |= MHD_USE_TLS;
        s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
            MHD_OPTION_LISTEN_SOCKET, fd,
            MHD_OPTION_HTTPS_MEM_CERT, conf->cert_pem,
            MHD_OPTION_HTTPS_MEM_KEY, conf->key_pem,
            /* TLS 1.2 and 1.3 only */
            MHD_OPTION_HTTPS_PRIORITIES,
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
            MHD_OPTION_NOTIFY_COMPLETED, completed, s,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVER_CONNECTIONS_MAX,
            MHD_OPTION_CONNECTION_TIMEOUT, 30u,
            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVER_THREADS,
            MHD_OPTION_END);
    } else {
        s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
            MHD_OPTION_LISTEN_SOCKET, fd,
            MHD_OPTION_NOTIFY_COMPLETED, completed, s,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVER_CONNECTIONS_MAX,
            MHD_OPTION_CONNECTION_TIMEOUT, 30u,
            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVER_THREADS,
            MHD_OPTION_END);
    }
    if (s->mhd == NULL) {
        snprintf(err, errsz, "cannot start the HTTP%s server (libmicrohttpd"
                 " refused%s)", conf->cert_pem ? "S" : "",
                 conf->cert_pem ? ": check that tls.cert and tls.key are a"
                 " matching PEM certificate and key" : "");
        free(s);
        return -EINVAL;
    }
    *ps = s;
    return 0;
}

void
server_stop(struct server *s)
{
    if (s == NULL) {
        return;
    }
    MHD_stop_daemon(s->mhd);
    free(s);
}
