/*
 * Answers, access events and query parameters of API requests.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "access.h"
#include "call.h"

void
call_addr(struct MHD_Connection *con, char *out, size_t outsz)
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

void
call_record(struct call *c, const char *user, const char *action,
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
enum MHD_Result
call_reply(struct call *c, unsigned status, struct json_object *o,
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
    call_headers(c, r, "application/json; charset=utf-8");
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

enum MHD_Result
call_error(struct call *c, unsigned status, const char *what,
           long retry_after)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "error", json_object_new_string(what));
    return call_reply(c, status, o, NULL, retry_after);
}

/* The one answer for a recording that is not there or not visible */
enum MHD_Result
call_no_recording(struct call *c)
{
    return call_error(c, MHD_HTTP_NOT_FOUND, "no such recording: check the id"
                      " (GET /api/recordings lists those you may see)", 0);
}

enum MHD_Result
call_store_failed(struct call *c, const char *action, const char *rec,
                  const char *why)
{
    fprintf(stderr, "tlog-web: %s: %s\n", action, why);
    call_record(c, NULL, action, rec, NULL, "error");
    return call_error(c, MHD_HTTP_BAD_GATEWAY, "the recording store did not"
                      " answer as expected: try again, and see the server's"
                      " log if it persists", 0);
}

static enum MHD_Result
take_value(void *cls, enum MHD_ValueKind kind, const char *key,
           const char *value)
{
    struct call_query *p = cls;
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

int
call_query_get(struct call *c, struct call_query *p,
               const char *const *names)
{
    memset(p, 0, sizeof(*p));
    p->names = names;
    MHD_get_connection_values(c->con, MHD_GET_ARGUMENT_KIND, take_value, p);
    return p->err[0] ? -EINVAL : 0;
}

enum MHD_Result
call_bad_request(struct call *c, const char *what, const char *hint)
{
    char msg[700];

    snprintf(msg, sizeof(msg), "%s: %s", what, hint);
    call_record(c, NULL, "denied", NULL, c->url, "bad-request");
    return call_error(c, MHD_HTTP_BAD_REQUEST, msg, 0);
}

void
call_headers(struct call *c, struct MHD_Response *r, const char *type)
{
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; frame-ancestors 'none'");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    if (c->s->conf.https) {
        MHD_add_response_header(r, "Strict-Transport-Security",
                                "max-age=31536000");
    }
}
