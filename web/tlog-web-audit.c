/*
 * tlog-web-audit: print the audit events of one recording as the
 * console's event list, from Elasticsearch.  Finds the recording's
 * first and last messages (host, audit session, user, start and end),
 * then its session's events and the logins before it.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_query.h"
#include "es.h"

#define PROG "tlog-web-audit"

/* Longest URL built from the options */
#define URL_MAX 4096

static const char usage_text[] =
    "Usage: " PROG " [OPTION]... REC_ID\n"
    "Print the audit events of recording REC_ID as a JSON event list.\n"
    "\n"
    "    --es-url=URL          Elasticsearch, e.g. http://localhost:9200\n"
    "    --rec-index=PATTERN   indices of the recordings (default tlog-*)\n"
    "    --audit-index=PATTERN indices of aushape's events\n"
    "                          (default aushape-*)\n"
    "    --host=HOST           the recording's host, when REC_ID is not\n"
    "                          unique across hosts\n"
    "    --margin=MS           time around the recording searched for its\n"
    "                          session's events (default 5000)\n"
    "    --login-before=MS     time before its start searched for its\n"
    "                          login (default 600000)\n"
    "    -h, --help            print this help and exit\n"
    "    -v, --version         print the version and exit\n"
    "\n"
    "Credentials: TLOG_CURL_USERPWD=USER:PASSWORD, or ~/.netrc.\n";

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

static int
usage_error(const char *what)
{
    fprintf(stderr, PROG ": %s\nTry '" PROG " --help' for more.\n", what);
    return 2;
}

/* A millisecond count option */
static int
ms_arg(const char *name, const char *v, long long *out)
{
    char *end;
    long long n;

    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno != 0 || *v == '\0' || *end != '\0' || n < 0) {
        fprintf(stderr, PROG ": --%s=%s: not a number of milliseconds\n"
                "Try '" PROG " --help' for more.\n", name, v);
        return -1;
    }
    *out = n;
    return 0;
}

/* The milliseconds of delay in a timing string ("+N" events) */
static long long
timing_ms(const char *t)
{
    long long sum = 0;

    for (; t != NULL && *t; t++) {
        if (*t == '+') {
            long long n = strtoll(t + 1, NULL, 10);

            if (n > 0 && n < 1000LL * 86400 * 365) {
                sum += n;
            }
        }
    }
    return sum;
}

static struct json_object *
source_of(struct json_object *answer)
{
    struct json_object *h, *hits, *hit, *src;

    if (!json_object_object_get_ex(answer, "hits", &h) ||
        !json_object_object_get_ex(h, "hits", &hits) ||
        !json_object_is_type(hits, json_type_array) ||
        json_object_array_length(hits) == 0) {
        return NULL;
    }
    hit = json_object_array_get_idx(hits, 0);
    if (!json_object_object_get_ex(hit, "_source", &src) ||
        !json_object_is_type(src, json_type_object)) {
        return NULL;
    }
    return src;
}

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

static const char *
str_of(struct json_object *src, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(src, key, &v) &&
           json_object_is_type(v, json_type_string) ?
           json_object_get_string(v) : NULL;
}

/* Milliseconds of a message's time and pos, false when it lacks them */
static bool
msg_time(struct json_object *src, long long *time_ms, long long *pos)
{
    struct json_object *t, *p;

    if (!json_object_object_get_ex(src, "time", &t) ||
        !(json_object_is_type(t, json_type_double) ||
          json_object_is_type(t, json_type_int)) ||
        !json_object_object_get_ex(src, "pos", &p) ||
        !json_object_is_type(p, json_type_int)) {
        return false;
    }
    *time_ms = llround(json_object_get_double(t) * 1000.0);
    *pos = json_object_get_int64(p);
    return true;
}

static int
rec_info_get(struct es *e, const struct opts *o, struct rec_info *ri,
             char *err, size_t errsz)
{
    struct json_object *first = NULL, *last = NULL, *s1, *s2, *v;
    long long t1, p1, t2, p2;
    int rc;

    rc = message(e, o, "asc", &first, err, errsz);
    if (rc == 0) {
        rc = message(e, o, "desc", &last, err, errsz);
    }
    if (rc < 0) {
        goto out;
    }
    s1 = source_of(first);
    s2 = source_of(last);
    rc = -ENOENT;
    if (s1 == NULL || s2 == NULL) {
        snprintf(err, errsz, "recording %s not found in %s/%s", o->rec,
                 o->url, o->rec_index);
        goto out;
    }
    if (str_of(s1, "host") == NULL || str_of(s1, "user") == NULL ||
        !msg_time(s1, &t1, &p1) || !msg_time(s2, &t2, &p2) ||
        !json_object_object_get_ex(s1, "session", &v) ||
        !json_object_is_type(v, json_type_int)) {
        snprintf(err, errsz, "recording %s: its first or last message lacks"
                 " host, user, session, time or pos", o->rec);
        rc = -EINVAL;
        goto out;
    }
    ri->host = strdup(str_of(s1, "host"));
    ri->user = strdup(str_of(s1, "user"));
    if (ri->host == NULL || ri->user == NULL) {
        snprintf(err, errsz, "out of memory reading recording %s", o->rec);
        rc = -ENOMEM;
        goto out;
    }
    ri->session = json_object_get_int64(v);
    ri->start_ms = t1 - p1;
    ri->end_ms = t2 + timing_ms(str_of(s2, "timing"));
    rc = 0;
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

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "es-url", required_argument, NULL, 'u' },
        { "rec-index", required_argument, NULL, 'r' },
        { "audit-index", required_argument, NULL, 'a' },
        { "host", required_argument, NULL, 'H' },
        { "margin", required_argument, NULL, 'm' },
        { "login-before", required_argument, NULL, 'b' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    struct opts o = {
        .rec_index = "tlog-*", .audit_index = "aushape-*",
        .margin = AUDIT_MARGIN_MS, .before = AUDIT_LOGIN_BEFORE_MS,
    };
    char err[1024] = "";
    int c;

    while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            o.url = optarg;
            break;
        case 'r':
            o.rec_index = optarg;
            break;
        case 'a':
            o.audit_index = optarg;
            break;
        case 'H':
            o.host = optarg;
            break;
        case 'm':
            if (ms_arg("margin", optarg, &o.margin) < 0) {
                return 2;
            }
            break;
        case 'b':
            if (ms_arg("login-before", optarg, &o.before) < 0) {
                return 2;
            }
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'v':
            printf(PROG " " PACKAGE_VERSION "\n");
            return 0;
        default:
            fprintf(stderr, "Try '" PROG " --help' for more.\n");
            return 2;
        }
    }
    if (o.url == NULL) {
        return usage_error("no Elasticsearch: give --es-url=URL");
    }
    if (optind != argc - 1) {
        return usage_error("give one recording id");
    }
    o.rec = argv[optind];
    if (strlen(o.url) + strlen(o.rec_index) + strlen(o.audit_index) + 16 >
        URL_MAX) {
        return usage_error("--es-url and the index patterns are too long");
    }
    if (run(&o, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s\n", err[0] ? err : "out of memory");
        return 1;
    }
    return 0;
}
