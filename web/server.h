/*
 * The HTTP side of tlog-web: the JSON API under /api, its sessions,
 * CSRF checks, login throttling and access events.
 *
 *   POST /api/login                      {"user","password"} -> session
 *   POST /api/logout
 *   GET  /api/session
 *   GET  /api/recordings                 search
 *   GET  /api/recordings/REC             one recording's facts
 *   GET  /api/recordings/REC/messages    its messages, in id order
 *   GET  /api/recordings/REC/segments    random-access playback
 *                                        (api_play.h)
 *   GET  /api/recordings/REC/live        its new messages, as they come
 *   GET  /api/recordings/REC/export      asciicast v2, text or tlog JSON
 *   GET  /api/recordings/REC/seal        its verification state (seals.h)
 *   GET  /, /NAME                        the console page (static.h)
 */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "privsep.h"
#include "rules.h"
#include "sessions.h"
#include "store.h"
#include "throttle.h"

/* Largest request body, URL, and query parameter value taken */
#define SERVER_BODY_MAX 4096
#define SERVER_URL_MAX 1024
#define SERVER_PARAM_MAX 256
/* Most query parameters in one request */
#define SERVER_PARAMS_MAX 16
/* Longest recording id */
#define SERVER_REC_MAX 128
/* Most simultaneous connections, and threads answering them (a slow
 * PAM or Elasticsearch answer holds up one thread only) */
#define SERVER_CONNECTIONS_MAX 256
#define SERVER_THREADS 4

/* What the server works with; everything is owned by the caller and must
 * outlive the server */
struct timeline_cache;
struct static_files;
struct seals;

struct server_conf {
    struct store *store;
    struct timeline_cache *timelines;   /* snapshot indexes (timeline.h) */
    struct seals *seals;        /* verification states (seals.h) */
    struct sessions *sessions;
    struct throttle *throttle;
    struct privsep *privsep;
    const struct rules *rules;
    const char *access_prefix;  /* "tlog-access-" */
    const char *audit_index;    /* "aushape-*": aushape's audit events */
    const char *es_search;      /* "NODE/PATTERN/_search", comma-joined,
                                   for the players' source (lib/src.h) */
    bool https;                 /* cookies marked Secure */
    const char *cert_pem;       /* HTTPS certificate and key, or NULL */
    const char *key_pem;
    struct static_files *ui;    /* the console page's files (static.h), or
                                   NULL: the API only */
};

struct server;

/*
 * Serve on the listening socket fd (bound and listening).  Stores the
 * server in *ps (stop with server_stop()).  0 or a negative errno value
 * with err saying why.
 */
int server_start(const struct server_conf *conf, int fd,
                 struct server **ps, char *err, size_t errsz);

/* Stop serving; server_stop(NULL) does nothing */
void server_stop(struct server *s);

#endif
