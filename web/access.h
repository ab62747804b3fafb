/*
 * The auditors' own trail: every action (login, failed login, logout,
 * search, play, denied request) goes to syslog (ident "tlog-web",
 * facility authpriv) and, as a document, to the Elasticsearch index
 * PREFIX + "YYYY.MM.DD" of the day (UTC).
 */
#ifndef ACCESS_H
#define ACCESS_H

#include <stddef.h>

#include "store.h"

/* Longest query text kept in an event (longer ones are cut, and say so) */
#define ACCESS_QUERY_MAX 2048

/* One auditor action; NULL fields are left out */
struct access_event {
    const char *user;       /* the auditor, or the name tried */
    const char *action;     /* "login", "login-failed", "search", ... */
    const char *rec;        /* the recording acted on */
    const char *query;      /* the request's query or path */
    const char *addr;       /* the remote address */
    const char *result;     /* "ok", "denied", "not-found", "error", ... */
};

/* Open syslog; call once at the start */
void access_open(void);

/*
 * Record ev in syslog and in store (may be NULL) under index prefix.
 * Returns 0, or a negative errno value when the store did not take it
 * (err says why; syslog has it all the same).
 */
int access_record(struct store *store, const char *prefix,
                  const struct access_event *ev, char *err, size_t errsz);

#endif
