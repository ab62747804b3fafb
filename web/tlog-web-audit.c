/*
 * tlog-web-audit: print the audit events of one recording as the
 * console's event list, from Elasticsearch.  Finds the recording's
 * first and last messages (host, audit session, user, start and end),
 * then its session's events and the logins before it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_query.h"
#include "conf.h"
#include "es.h"

#define PROG "tlog-web-audit"

/* Longest URL built from the options */
#define URL_MAX 4096

static const struct conf_key keys[] = {
    { .path = "es.url", .type = CONF_STR, .def = "", .opt = "es-url",
      .arg = "URL", .help = "Elasticsearch, e.g. http://localhost:9200" },
    { .path = "es.rec_index", .type = CONF_STR, .def = "tlog-*",
      .opt = "rec-index", .arg = "PATTERN",
      .help = "Indices of the recordings" },
    { .path = "es.audit_index", .type = CONF_STR, .def = "aushape-*",
      .opt = "audit-index", .arg = "PATTERN",
      .help = "Indices of aushape's events" },
    { .path = "host", .type = CONF_STR, .def = "", .opt = "host",
      .arg = "HOST",
      .help = "The recording's host, when REC_ID is not unique across"
              " hosts" },
    { .path = "margin", .type = CONF_INT, .def = "5000", .min = 0,
      .max = 86400000, .opt = "margin", .arg = "MS",
      .help = "Time around the recording searched for its session's"
              " events" },
    { .path = "login_before", .type = CONF_INT, .def = "600000",
      .min = 0, .max = 86400000LL * 366, .opt = "login-before",
      .arg = "MS", .help = "Time before its start searched for its login" },
};

struct opts {
    const char *url;
    const char *rec_index;
    const char *audit_index;
    const char *host;
    const char *rec;
    long long margin;
    long long before;
};

/* The recording as its first and last messages tell */
struct rec_info {
    char *host;
    char *user;
    long long session;
    long long start_ms;
    long long end_ms;
};

/* {"term": {field: value}} */
static struct json_object *
term(const char *field, const char *value)
{
    struct json_object *t = json_object_new_object();
    struct json_object *f = json_object_new_object();

    if (t == NULL || f == NULL) {
        json_object_put(t);
        json_object_put(f);
        return NULL;
    }
    json_object_object_add(f, field, json_object_new_string(value));
    json_object_object_add(t, "term", f);
    return t;
}

/* One message of the recording: the first (asc) or the last */
static int
message(struct es *e, const struct opts *o, const char *order,
        struct json_object **answer, char *err, size_t errsz)
{
    struct json_object *filter = json_object_new_array();
    char *body = NULL;
    const char *f;
    int rc = -ENOMEM;

    if (filter == NULL) {
        snprintf(err, errsz, "out of memory building the query");
        return -ENOMEM;
    }
    json_object_array_add(filter, term("rec", o->rec));
    if (o->host != NULL) {
        json_object_array_add(filter, term("host", o->host));
    }
    f = json_object_to_json_string_ext(filter, JSON_C_TO_STRING_PLAIN);
    if (f != NULL && asprintf(&body, "{\"size\":1,\"sort\":[{\"id\":\"%s\"}],"
                              "\"_source\":[\"host\",\"user\",\"session\","
                              "\"time\",\"pos\",\"timing\"],\"query\":"
                              "{\"bool\":{\"filter\":%s}}}", order, f) >= 0) {
        rc = es_search(e, body, answer, err, errsz);
        free(body);
    } else {
        snprintf(err, errsz, "out of memory building the query");
    }
    json_object_put(filter);
    return rc;
}

static int
rec_info_get(struct es *e, const struct opts *o, struct rec_info *ri,
             char *err, size_t errsz)
{
    struct json_object *first = NULL, *last = NULL;
    struct audit_rec r;
    int rc;

    rc = message(e, o, "asc", &first, err, errsz);
    if (rc == 0) {
        rc = message(e, o, "desc", &last, err, errsz);
    }
    if (rc < 0) {
        goto out;
    }
    rc = audit_rec_walk(first, last, o->rec, &r, err, errsz);
    if (rc == -ENOENT) {
        snprintf(err, errsz, "recording %s not found in %s/%s", o->rec,
                 o->url, o->rec_index);
    }
    if (rc < 0) {
        goto out;
    }
    ri->host = strdup(r.host);
    ri->user = strdup(r.user);
    if (ri->host == NULL || ri->user == NULL) {
        snprintf(err, errsz, "out of memory reading recording %s", o->rec);
        rc = -ENOMEM;
        goto out;
    }
    ri->session = r.session;
    ri->start_ms = r.start_ms;
    ri->end_ms = r.end_ms;
out:
    json_object_put(first);
    json_object_put(last);
    return rc;
}

/* Search the audit indices with query and add the events to events */
static int
search(struct es *e, struct json_object *query, struct json_object *events,
       long long start_ms, long long *dropped, char *err, size_t errsz)
{
    struct json_object *answer = NULL;
    int rc;

    rc = es_search(e, json_object_to_json_string_ext(
                       query, JSON_C_TO_STRING_PLAIN), &answer, err, errsz);
    if (rc == 0) {
        rc = audit_events_add(events, answer, start_ms, err, errsz);
    }
    json_object_put(answer);
    if (rc > 0) {
        *dropped += rc;
        rc = 0;
    }
    return rc;
}

static int
run(const struct opts *o, char *err, size_t errsz)
{
    struct es_conf conf = { 0 };
    struct es *recs = NULL, *audit = NULL;
    struct rec_info ri = { 0 };
    struct audit_rec ar = { 0 };
    struct json_object *q = NULL, *events = NULL, *out = NULL;
    char url[URL_MAX];
    long long dropped = 0;
    int rc;

    conf.userpwd = getenv("TLOG_CURL_USERPWD");
    snprintf(url, sizeof(url), "%s/%s/_search", o->url, o->rec_index);
    conf.baseurl = url;
    rc = es_new(&conf, &recs, err, errsz);
    if (rc < 0) {
        goto out;
    }
    snprintf(url, sizeof(url), "%s/%s/_search", o->url, o->audit_index);
    rc = es_new(&conf, &audit, err, errsz);
    if (rc < 0) {
        goto out;
    }
    rc = rec_info_get(recs, o, &ri, err, errsz);
    if (rc < 0) {
        goto out;
    }
    ar.host = ri.host;
    ar.user = ri.user;
    ar.session = ri.session;
    ar.start_ms = ri.start_ms;
    ar.end_ms = ri.end_ms;
    events = json_object_new_array();
    if (events == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    /* a recording outside a login session still has its login events */
    if (ri.session >= 0 && ri.session < AUDIT_SESSION_UNSET) {
        rc = audit_query_session(&ar, o->margin, &q, err, errsz);
        if (rc == 0) {
            rc = search(audit, q, events, ri.start_ms, &dropped, err, errsz);
        }
        json_object_put(q);
        q = NULL;
        if (rc < 0) {
            goto out;
        }
    }
    rc = audit_query_login(&ar, o->before, o->margin, &q, err, errsz);
    if (rc == 0) {
        rc = search(audit, q, events, ri.start_ms, &dropped, err, errsz);
    }
    if (rc < 0) {
        goto out;
    }
    audit_events_sort(events);
    out = json_object_new_object();
    if (out == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    json_object_object_add(out, "rec", json_object_new_string(o->rec));
    json_object_object_add(out, "host", json_object_new_string(ri.host));
    json_object_object_add(out, "user", json_object_new_string(ri.user));
    json_object_object_add(out, "session", json_object_new_int64(ri.session));
    json_object_object_add(out, "start", json_object_new_int64(ri.start_ms));
    json_object_object_add(out, "end", json_object_new_int64(ri.end_ms));
    json_object_object_add(out, "dropped", json_object_new_int64(dropped));
    json_object_object_add(out, "events", events);
    events = NULL;
    printf("%s\n", json_object_to_json_string_ext(
               out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    if (fflush(stdout) != 0) {
        snprintf(err, errsz, "cannot write the event list: %s",
                 strerror(errno));
        rc = -EIO;
    }
out:
    json_object_put(q);
    json_object_put(events);
    json_object_put(out);
    free(ri.host);
    free(ri.user);
    es_free(recs);
    es_free(audit);
    return rc;
}

static const struct conf_prog prog = {
    .name = PROG,
    .keys = keys,
    .nkeys = sizeof(keys) / sizeof(keys[0]),
    .usage = "Usage: " PROG " [OPTION...] REC_ID\n"
             "Print the audit events of recording REC_ID as a JSON event"
             " list.\n",
    .extra = "Credentials: TLOG_CURL_USERPWD=USER:PASSWORD, or ~/.netrc.\n",
};

int
main(int argc, char **argv)
{
    struct conf *c = NULL;
    struct opts o;
    char err[1024] = "";
    int first = argc, status;

    status = conf_open(&prog, argc, argv, &c, &first);
    if (status != CONF_GO_ON) {
        return status;
    }
    status = 2;
    memset(&o, 0, sizeof(o));
    o.url = conf_str(c, "es.url");
    o.rec_index = conf_str(c, "es.rec_index");
    o.audit_index = conf_str(c, "es.audit_index");
    o.host = *conf_str(c, "host") ? conf_str(c, "host") : NULL;
    o.margin = conf_int(c, "margin");
    o.before = conf_int(c, "login_before");
    if (*o.url == 0) {
        conf_usage_error(stderr, PROG, "no Elasticsearch: give --es-url=URL");
        goto out;
    }
    if (first != argc - 1) {
        conf_usage_error(stderr, PROG, "give one recording id");
        goto out;
    }
    o.rec = argv[first];
    if (strlen(o.url) + strlen(o.rec_index) + strlen(o.audit_index) + 16 >
        URL_MAX) {
        conf_usage_error(stderr, PROG, "--es-url and the index patterns are"
                         " too long");
        goto out;
    }
    status = 0;
    if (run(&o, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s\n", err[0] ? err : "out of memory");
        status = 1;
    }
out:
    conf_free(c);
    return status;
}
