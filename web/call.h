/*
 * One API request being answered, and what every handler uses: the JSON
 * answers, the access events, the query parameters.  Internal to
 * tlog-web's HTTP side (server.c, auth.c, api.c).
 */
#ifndef CALL_H
#define CALL_H

#include <arpa/inet.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "server.h"
#include "sessions.h"

#define COOKIE "tlog_web_session"
#define CSRF_HEADER "X-CSRF-Token"

struct live;

struct server {
    struct server_conf conf;
    struct MHD_Daemon *mhd;
    struct live *live;          /* the live streams (live.h) */
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

/* The query parameters of a request, checked against the names allowed */
struct call_query {
    const char *const *names;
    const char *values[SERVER_PARAMS_MAX];
    size_t count;
    char text[SERVER_URL_MAX + 1];      /* "a=1&b=2", for the access event */
    char err[256];
};

/* The remote address of con, as text, into out */
void call_addr(struct MHD_Connection *con, char *out, size_t outsz);

/* An access event of the call: user (NULL: the session's), action, the
 * recording and query acted on (may be NULL), the result */
void call_record(struct call *c, const char *user, const char *action,
                 const char *rec, const char *query, const char *result);

/* Answer status with the JSON text of o (taken), the security headers,
 * and cookie and Retry-After if given (NULL, 0: not) */
enum MHD_Result call_reply(struct call *c, unsigned status,
                           struct json_object *o, const char *cookie,
                           long retry_after);

/* Add to r, an answer that is not JSON, its Content-Type and the
 * headers every answer carries (no caching, no sniffing, the CSP) */
void call_headers(struct call *c, struct MHD_Response *r, const char *type);

/* Answer status with {"error": what} */
enum MHD_Result call_error(struct call *c, unsigned status, const char *what,
                           long retry_after);

/* The one answer for a recording that is not there or not visible */
enum MHD_Result call_no_recording(struct call *c);

/* Answer that Elasticsearch failed at action (why goes to the log only) */
enum MHD_Result call_store_failed(struct call *c, const char *action,
                                  const char *rec, const char *why);

/* Answer 400 "what: hint", and record the refusal */
enum MHD_Result call_bad_request(struct call *c, const char *what,
                                 const char *hint);

/*
 * Take the request's query parameters into *p, allowing those of names
 * (NULL-terminated; p->values[i] is the value of names[i] or NULL).
 * 0, or -EINVAL with p->err saying what is wrong.
 */
int call_query_get(struct call *c, struct call_query *p,
                   const char *const *names);

#endif
