/*
 * The JSON API over libmicrohttpd: routing, request bodies, start and
 * stop.
 *
 * Requests are answered by a pool of SERVER_THREADS threads; what they
 * share (sessions, throttle, PAM process, Elasticsearch clients) locks.
 * Nothing a request carries reaches Elasticsearch outside the query
 * objects built in recs.c, always beside the auditor's rule filter.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "api_play.h"
#include "auth.h"
#include "call.h"
#include "live.h"
#include "request.h"
#include "server.h"
#include "static.h"

static enum MHD_Result
route(struct call *c, struct req *q)
{
    const char *m = c->method, *u = c->url, *rest;
    bool get = !strcmp(m, "GET"), post = !strcmp(m, "POST");
    enum MHD_Result ret;
    char rec[SERVER_REC_MAX + 1];
    size_t len;

    if (strlen(u) > SERVER_URL_MAX) {
        return call_error(c, MHD_HTTP_URI_TOO_LONG, "path too long", 0);
    }
    if (!strcmp(u, "/api/login")) {
        return post ? auth_login(c, q) :
               call_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST", 0);
    }
    if (strncmp(u, "/api/", 5) != 0 && static_path(u)) {
        return get || !strcmp(m, "HEAD") ?
               static_serve(c->s->conf.ui, c->con, u, c->s->conf.https) :
               call_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET", 0);
    }
    if (strncmp(u, "/api/", 5) != 0) {
        return call_error(c, MHD_HTTP_NOT_FOUND, "nothing here: the API is"
                          " under /api/ (see tlog-web(8))", 0);
    }
    if (q->too_big) {
        return call_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too"
                          " large", 0);
    }
    if (!auth_check(c, &ret)) {
        return ret;
    }
    if (!strcmp(u, "/api/logout")) {
        return post ? auth_logout(c) :
               call_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST", 0);
    }
    if (!strcmp(u, "/api/session")) {
        return get ? auth_session(c) :
               call_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET", 0);
    }
    if (!strcmp(u, "/api/recordings")) {
        return get ? api_search(c) :
               call_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET", 0);
    }
    if (!strncmp(u, "/api/recordings/", 16)) {
        rest = strchr(u + 16, '/');
        len = rest ? (size_t)(rest - (u + 16)) : strlen(u + 16);
        if (len > SERVER_REC_MAX) {
            return call_bad_request(c, "recording id too long",
                                    "ids have at most 128 characters");
        }
        memcpy(rec, u + 16, len);
        rec[len] = 0;
        if (!request_rec_id(rec, SERVER_REC_MAX)) {
            return call_bad_request(c, "malformed recording id", "ids hold"
                                    " letters, digits and -_.: only");
        }
        if (!get) {
            return call_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET", 0);
        }
        if (rest == NULL) {
            return api_recording(c, rec);
        }
        if (!strcmp(rest, "/messages")) {
            return api_messages(c, rec);
        }
        if (!strcmp(rest, "/audit")) {
            return api_audit(c, rec);
        }
        if (!strcmp(rest, "/segments")) {
            return api_play_index(c, rec);
        }
        if (!strncmp(rest, "/segments/", 10)) {
            return api_play_segment(c, rec, rest + 10);
        }
        if (!strcmp(rest, "/seek")) {
            return api_play_seek(c, rec);
        }
        if (!strcmp(rest, "/find")) {
            return api_play_find(c, rec);
        }
        if (!strcmp(rest, "/live")) {
            return api_live(c, rec);
        }
        if (!strcmp(rest, "/export")) {
            return api_export(c, rec);
        }
        if (!strcmp(rest, "/seal")) {
            return api_seal(c, rec);
        }
    }
    call_record(c, NULL, "denied", NULL, u, "no-such-path");
    return call_error(c, MHD_HTTP_NOT_FOUND, "no such API path (see"
                      " tlog-web(8) for the API)", 0);
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
    call_addr(con, c.addr, sizeof(c.addr));
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
    /* live streams wait suspended, not in a pool thread */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;

    if (s == NULL) {
        snprintf(err, errsz, "out of memory starting the HTTP server");
        return -ENOMEM;
    }
    s->conf = *conf;
    if (live_new(conf->store, conf->sessions, &s->live) < 0) {
        snprintf(err, errsz, "cannot start the live streams' thread");
        free(s);
        return -EAGAIN;
    }
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
        live_free(s->live);
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
    /* suspended connections first, or libmicrohttpd cannot close them */
    live_stop(s->live);
    MHD_stop_daemon(s->mhd);
    live_free(s->live);
    free(s);
}
