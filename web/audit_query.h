/*
 * The Elasticsearch requests for the audit events of a recording, as
 * aushape's events are stored (contrib/rsyslog/aushape.conf,
 * contrib/elasticsearch/aushape-template.json): its session's events,
 * and the logins before it.  Their answers go to audit_events_add().
 */
#ifndef AUDIT_QUERY_H
#define AUDIT_QUERY_H

#include <stddef.h>

#include <json-c/json.h>

/* Default margin around a recording's time for its session's events */
#define AUDIT_MARGIN_MS 5000
/* Default time before a recording's start searched for its login */
#define AUDIT_LOGIN_BEFORE_MS (10 * 60 * 1000)
/* An audit session id that says "no session" */
#define AUDIT_SESSION_UNSET 4294967295LL
/* Latest time a message may carry (the end of year 9999), in ms; its
 * position is no larger */
#define AUDIT_TIME_MAX_MS 253402300799999LL

/* What the join needs to know of a recording */
struct audit_rec {
    const char *host;       /* the recording's host */
    const char *user;       /* the recorded user's name */
    long long session;      /* its audit session id */
    long long start_ms;     /* wall clock of its start (pos 0), ms */
    long long end_ms;       /* wall clock of its end, ms */
    long long since_ms;     /* no event earlier than this is asked for
                               (the rules' time window), ms; 0: none */
};

/*
 * The search request for the audit events of recording r's session: the
 * events of host r->host (or of its short name, the one rsyslog stamps
 * by default, when r->host is dotted) whose audit session is
 * r->session, between start - margin_ms and end + margin_ms (not
 * before r->since_ms), in time order, at most AUDIT_EVENTS_MAX
 * (audit.h).  Stores the request, owned by the caller
 * (json_object_put()), in *query.  Returns 0, -EINVAL with err saying
 * why when r cannot be joined (no host, no session), or -ENOMEM.
 */
int audit_query_session(const struct audit_rec *r, long long margin_ms,
                        struct json_object **query, char *err,
                        size_t errsz);

/*
 * The search request for the logins and authentications around the
 * start of recording r, failures included: the login, authentication,
 * account and credential events of host r->host naming r->user (as the
 * account, the audit user or the user), between start - before_ms and
 * start + margin_ms (not before r->since_ms); host as for
 * audit_query_session().  These events often carry no session.  Stores and
 * returns as audit_query_session(); -EINVAL when r has no host or user.
 */
int audit_query_login(const struct audit_rec *r, long long before_ms,
                      long long margin_ms, struct json_object **query,
                      char *err, size_t errsz);

/*
 * The recording as the answers of two searches for its first and its
 * last message tell (each the first hit's _source: host, user, session,
 * time in s, pos in ms, timing), into *r: host and user point into first
 * (valid while it is), start_ms is the first message's time less its
 * pos, end_ms the last one's time and the delays of its timing, since_ms
 * 0; the times within 0 to AUDIT_TIME_MAX_MS and their differences.
 * first and last are owned by the caller; any JSON is walked without
 * harm.  0, -ENOENT when an answer has no message, or -EINVAL when a
 * message lacks a field or has one out of range, err naming rec; *r is
 * left alone then.
 */
int audit_rec_walk(struct json_object *first, struct json_object *last,
                   const char *rec, struct audit_rec *r, char *err,
                   size_t errsz);

#endif
