/*
 * Recordings by the commands run in them, through the audit events.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdsearch.h"
#include "es.h"

/* The request: execve events whose argv holds every word of command */
static struct json_object *
request(const char *command)
{
    struct json_object *body = json_object_new_object(), *m, *src;

    m = json_object_new_object();
    json_object_object_add(m, "query", json_object_new_string(command));
    json_object_object_add(m, "operator", json_object_new_string("and"));
    json_object_object_add(body, "size",
                           json_object_new_int(CMDSEARCH_SESSIONS_MAX));
    json_object_object_add(body, "query",
                           es_pair("match", es_pair("data.execve", m)));
    src = json_object_new_array();
    json_object_array_add(src, json_object_new_string("host"));
    json_object_array_add(src, json_object_new_string("data.syscall.ses"));
    json_object_object_add(body, "_source", es_pair("includes", src));
    return body;
}

/* The audit session of an event's data.syscall.ses ([raw, interpreted]
 * or a plain value): its number, or -1 when there is none */
static long long
session_of(struct json_object *src)
{
    struct json_object *o;
    const char *t;
    char *end;
    long long v;

    if (!json_object_object_get_ex(src, "data", &o) ||
        !json_object_object_get_ex(o, "syscall", &o) ||
        !json_object_object_get_ex(o, "ses", &o)) {
        return -1;
    }
    if (json_object_is_type(o, json_type_array)) {
        o = json_object_array_get_idx(o, 0);
    }
    if (o == NULL) {
        return -1;
    }
    t = json_object_get_string(o);
    errno = 0;
    v = strtoll(t, &end, 10);
    /* 4294967295 is "no session" */
    if (errno != 0 || end == t || *end != 0 || v < 0 || v >= 4294967295LL) {
        return -1;
    }
    return v;
}

/* {"bool": {"filter": [host, session]}}: the host as written or, for a
 * short name, any of its dotted names (rsyslog stamps audit events with
 * the short name, recordings carry the full one) */
static struct json_object *
session_clause(const char *host, long long ses)
{
    struct json_object *all = json_object_new_array(), *names, *b;
    char prefix[CMDSEARCH_HOST_MAX + 2];

    names = json_object_new_array();
    json_object_array_add(names, es_pair("term", es_pair("host",
                          json_object_new_string(host))));
    if (strchr(host, '.') == NULL) {
        snprintf(prefix, sizeof(prefix), "%s.", host);
        json_object_array_add(names, es_pair("prefix", es_pair("host",
                              json_object_new_string(prefix))));
    }
    b = json_object_new_object();
    json_object_object_add(b, "should", names);
    json_object_object_add(b, "minimum_should_match",
                           json_object_new_int(1));
    json_object_array_add(all, es_pair("bool", b));
    json_object_array_add(all, es_pair("term", es_pair("session",
                          json_object_new_int64(ses))));
    return es_pair("bool", es_pair("filter", all));
}

int
cmdsearch_walk(struct json_object *answer, struct json_object **filter)
{
    struct json_object *hits, *should, *b;
    /* the sessions taken, each once */
    struct {
        const char *host;
        long long ses;
    } seen[CMDSEARCH_SESSIONS_MAX];
    size_t i, k, n, nseen = 0;

    should = json_object_new_array();
    if (json_object_object_get_ex(answer, "hits", &hits) &&
        json_object_object_get_ex(hits, "hits", &hits) &&
        json_object_is_type(hits, json_type_array)) {
        n = json_object_array_length(hits);
        for (i = 0; i < n && nseen < CMDSEARCH_SESSIONS_MAX; i++) {
            struct json_object *src, *h;
            const char *host;
            long long ses;

            if (!json_object_object_get_ex(json_object_array_get_idx(hits,
                                           i), "_source", &src) ||
                !json_object_object_get_ex(src, "host", &h) ||
                !json_object_is_type(h, json_type_string)) {
                continue;
            }
            host = json_object_get_string(h);
            ses = session_of(src);
            if (ses < 0 || *host == 0 ||
                strlen(host) > CMDSEARCH_HOST_MAX) {
                continue;
            }
            for (k = 0; k < nseen; k++) {
                if (seen[k].ses == ses && !strcmp(seen[k].host, host)) {
                    break;
                }
            }
            if (k < nseen) {
                continue;
            }
            seen[nseen].host = host;
            seen[nseen++].ses = ses;
            json_object_array_add(should, session_clause(host, ses));
        }
    }
    if (json_object_array_length(should) == 0) {
        json_object_put(should);
        *filter = es_pair("match_none", json_object_new_object());
        return 0;
    }
    b = json_object_new_object();
    json_object_object_add(b, "should", should);
    json_object_object_add(b, "minimum_should_match",
                           json_object_new_int(1));
    *filter = es_pair("bool", b);
    return (int)nseen;
}

int
cmdsearch_filter(struct store *s, const char *audit_index,
                 const char *command, struct json_object **filter,
                 char *err, size_t errsz)
{
    struct json_object *body = request(command), *answer = NULL;
    char path[STORE_URL_MAX];
    int rc;

    snprintf(path, sizeof(path), "%s/_search", audit_index);
    rc = store_post(s, path, body, &answer, err, errsz);
    json_object_put(body);
    if (rc < 0) {
        return rc;
    }
    cmdsearch_walk(answer, filter);
    json_object_put(answer);
    return 0;
}
