/*
 * The auditors' trail.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>

#include "access.h"

void
access_open(void)
{
    openlog("tlog-web", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

static void
add(struct json_object *o, const char *key, const char *value)
{
    if (value != NULL) {
        json_object_object_add(o, key, json_object_new_string(value));
    }
}

int
access_record(struct store *store, const char *prefix,
              const struct access_event *ev, char *err, size_t errsz)
{
    struct json_object *doc = json_object_new_object();
    char stamp[64], index[256], query[ACCESS_QUERY_MAX + 8];
    struct timeval tv;
    struct tm tm;
    int rc = 0;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp),
             ".%03ldZ", (long)(tv.tv_usec / 1000));
    json_object_object_add(doc, "@timestamp", json_object_new_string(stamp));
    add(doc, "user", ev->user);
    add(doc, "action", ev->action);
    add(doc, "rec", ev->rec);
    if (ev->query != NULL) {
        snprintf(query, sizeof(query), "%.*s%s", ACCESS_QUERY_MAX, ev->query,
                 strlen(ev->query) > ACCESS_QUERY_MAX ? "..." : "");
        add(doc, "query", query);
    }
    add(doc, "addr", ev->addr);
    add(doc, "result", ev->result);
    /* JSON keeps whatever an auditor typed on one line */
    syslog(LOG_AUTHPRIV | LOG_INFO, "%s",
           json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
                                          JSON_C_TO_STRING_NOSLASHESCAPE));
    if (store != NULL) {
        strftime(index + snprintf(index, sizeof(index) - 16, "%.200s",
                                  prefix),
                 16, "%Y.%m.%d", &tm);
        rc = store_add(store, index, doc, err, errsz);
    }
    json_object_put(doc);
    return rc;
}
