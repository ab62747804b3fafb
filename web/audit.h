/*
 * The audit events of a recording: the walk that turns Elasticsearch's
 * answers to the requests of audit_query.h (aushape's events, joined by
 * host, audit session and time) into the short event list the console
 * shows beside the player.
 *
 * An event of the list is a JSON object:
 *
 *   {"offset": ms from the recording's start (negative before it),
 *    "time": the event's own time text, "serial": the audit serial,
 *    "kind": "command" | "file" | "connection" | "login" | "auth" |
 *            "other",
 *    ...the fields of its kind, each present only when the event has it}
 *
 * command:    "argv" [strings], "argv_from" ("execve"; "proctitle"
 *             when the execve record was trimmed; "path" when the
 *             execve failed: the program alone), "cwd", "exe",
 *             "syscall", "success" (bool), "exit" (number), "error"
 *             (the exit code's name), "uid"/"euid"/"auid"
 *             ({"name": text, "id": number}), "key"
 * file:       the command fields but argv, and "paths":
 *             [{"name", "nametype"}]
 * connection: the command fields but argv, "family" ("inet", "inet6",
 *             "local"), "address", "port" (number, inet and inet6)
 * login/auth: "type" (the record type: "user_auth", "user_start"...),
 *             "op", "account", "address", "hostname", "terminal",
 *             "exe", "result" ("success" or "failed"), "uid", "auid";
 *             the address, hostname and terminal only when known (not
 *             the records' "?")
 * other:      "type" (the record types, comma-separated), and the
 *             command fields but argv
 * Limits: AUDIT_TEXT_MAX bytes of each text (cut at a character), every
 * text valid UTF-8 (an invalid sequence becomes U+FFFD),
 * AUDIT_ARGV_MAX arguments ("argv_dropped": how many more),
 * AUDIT_PATHS_MAX paths.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>

#include <json-c/json.h>

/* Most events one list holds, and so the most hits a query asks for */
#define AUDIT_EVENTS_MAX 5000
/* Most arguments kept of one command; the rest is counted in
 * "argv_dropped" */
#define AUDIT_ARGV_MAX 256
/* Longest text kept of one value (an argument, a path), in bytes */
#define AUDIT_TEXT_MAX 4096
/* Most path records kept of one event */
#define AUDIT_PATHS_MAX 16

/*
 * The record types of logins and authentications (aushape's data keys:
 * "user_auth", "user_start"...), i from 0: NULL past the last
 */
const char *audit_login_type(size_t i);

/*
 * Walk a search answer (any JSON: what is not an aushape event is
 * skipped) and append an event of the list above to the array events
 * for each hit, with its offset from start_ms.  A hit whose serial and
 * time are already in events is not added again.  Nothing is taken from
 * answer, which stays the caller's.  events holds at most
 * AUDIT_EVENTS_MAX; the hits past that are counted, not added.
 * Returns the number of hits not added for that limit (0 when all fit),
 * -EINVAL with err saying why when answer has no hits array, or
 * -ENOMEM.
 */
int audit_events_add(struct json_object *events,
                     struct json_object *answer, long long start_ms,
                     char *err, size_t errsz);

/*
 * Add v to object o as key, or to array a; v is taken even on failure.
 * 0, or -ENOMEM (v NULL: it could not be made).
 */
int audit_json_add(struct json_object *o, const char *key,
                   struct json_object *v);
int audit_json_push(struct json_object *a, struct json_object *v);

/* Sort events by offset, then serial (stable for equal ones) */
void audit_events_sort(struct json_object *events);

/*
 * The milliseconds since the epoch of an aushape time text
 * ("2026-11-22T08:03:44.058+00:00", "Z" or any offset, fraction
 * optional).  Returns 0 and stores them in *ms, or -EINVAL.
 */
int audit_time_parse(const char *text, long long *ms);

#endif
