/*
 * Who may see which recordings: rules from the configuration, each
 * naming auditors (by group or by name), the recordings (recorded user
 * and host patterns, a time window) and the rights given on them.  A
 * rule set becomes an Elasticsearch query filter added to every request,
 * so that nothing outside it is ever fetched.
 *
 * A rule, in JSON:
 *   {"groups": ["auditors"], "auditors": ["carol"],
 *    "users": ["alice", "ops-*"], "hosts": ["*.example.com"],
 *    "days": 30, "rights": ["search", "play", "input"]}
 * "users" and "hosts" are Elasticsearch wildcard patterns (missing: all);
 * "days" limits recordings to the last N days (missing or 0: no limit).
 */
#ifndef RULES_H
#define RULES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Most rules, patterns in a list, and the longest pattern or name */
#define RULES_MAX 256
#define RULES_LIST_MAX 64
#define RULES_NAME_MAX 256

enum rules_right {
    RULES_SEARCH = 1 << 0,
    RULES_PLAY = 1 << 1,
    RULES_LIVE = 1 << 2,
    RULES_EXPORT = 1 << 3,
    RULES_INPUT = 1 << 4,
};

struct rules;

/*
 * Parse text (a JSON array of rules).  Stores the rules in *pr (free with
 * rules_free()).  Returns 0, or -EINVAL with err naming the rule (from
 * 1), the key and what is allowed.
 */
int rules_parse(const char *text, struct rules **pr, char *err,
                size_t errsz);

/* rules_free(NULL) does nothing */
void rules_free(struct rules *r);

/* The rights that some rule gives auditor user of groups (newline-joined) */
unsigned rules_rights(const struct rules *r, const char *user,
                      const char *groups);

/*
 * The Elasticsearch filter selecting the messages of the recordings on
 * which the rules give auditor user of groups every right of need: a new
 * object owned by the caller ("match_none" when no rule applies).
 */
struct json_object *rules_filter(const struct rules *r, const char *user,
                                 const char *groups, unsigned need);

/*
 * What rules_filter() lets through of a recording made by rec_user on
 * rec_host, judged here: the earliest time of its messages auditor user
 * of groups may see with every right of need at now, in ms since the
 * epoch; 0 when no day limit applies, -1 when no rule lets any through.
 */
long long rules_since_ms(const struct rules *r, const char *user,
                         const char *groups, unsigned need,
                         const char *rec_user, const char *rec_host,
                         time_t now);

/*
 * Whether rules_filter() lets through a message of rec_user on rec_host
 * stamped time_s (seconds since the epoch), at now: for messages read
 * by document id, where no query filter applies.
 */
bool rules_admit(const struct rules *r, const char *user, const char *groups,
                 unsigned need, const char *rec_user, const char *rec_host,
                 double time_s, time_t now);

/* The name of a right ("search"), or NULL */
const char *rules_right_name(enum rules_right right);

#endif
