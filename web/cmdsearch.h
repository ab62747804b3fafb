/*
 * Searching recordings by a command run in them: the commands are in
 * aushape's audit events, not in the recordings, so the search first
 * finds the audit sessions (host and session id) in which a matching
 * command ran, then becomes a filter on the recordings' host and
 * session fields, put beside the others in the recordings' query.
 */
#ifndef CMDSEARCH_H
#define CMDSEARCH_H

#include <json-c/json.h>
#include <stddef.h>

#include "store.h"

/* Most audit sessions a command search looks at */
#define CMDSEARCH_SESSIONS_MAX 500
/* Longest host name taken from an audit event */
#define CMDSEARCH_HOST_MAX 255

/*
 * The filter clause matching the recordings of the audit sessions in
 * which a command whose argv holds every word of command ran, from the
 * events in audit_index (a pattern), in *filter (owned by the caller; it
 * matches nothing when no command matched).  0 or a negative errno value
 * with err saying why.
 */
/*
 * The filter clause of the audit sessions in answer, an Elasticsearch
 * search answer holding execve events (host and data.syscall.ses in
 * each _source), each session once and at most CMDSEARCH_SESSIONS_MAX,
 * in *filter (owned by the caller; matching nothing without a session).
 * Returns the number of sessions; any JSON is walked safely.
 */
int cmdsearch_walk(struct json_object *answer, struct json_object **filter);

int cmdsearch_filter(struct store *s, const char *audit_index,
                     const char *command, struct json_object **filter,
                     char *err, size_t errsz);

#endif
