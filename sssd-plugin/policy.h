/*
 * Who is recorded: the [session_recording] section of SSSD's
 * configuration, read with SSSD's meaning, for hosts with or without
 * SSSD.
 *
 *     scope = none | some | all      (default none)
 *     users = a, b                   (scope = some)
 *     groups = g, h                  (scope = some)
 *     exclude_users = a, b           (scope = all)
 *     exclude_groups = g, h          (scope = all)
 *
 * Group membership counts the primary group and every supplementary
 * group.  A policy that cannot be read or makes no sense fails safe:
 * everyone is recorded, and the reason is kept for syslog.  So does a
 * group lookup that fails: nobody goes unrecorded because the group
 * database could not be read.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum policy_scope {
    POLICY_NONE,
    POLICY_SOME,
    POLICY_ALL,
};

/* A comma-separated list, split */
struct policy_list {
    char **name;
    size_t n;
};

struct policy {
    enum policy_scope scope;
    struct policy_list users;
    struct policy_list groups;
    struct policy_list exclude_users;
    struct policy_list exclude_groups;
    bool failsafe;          /* the files were bad: everyone recorded */
    char error[512];        /* why, when failsafe */
};

/* Longest line and file read */
#define POLICY_LINE_MAX 4096
#define POLICY_FILE_MAX (1u << 20)

/*
 * Buffers for NSS lookups start at POLICY_ENTRY_START bytes and double
 * on ERANGE up to POLICY_ENTRY_MAX: the largest passwd or group entry
 * (glibc's files source needs every line up to the one it finds to
 * fit).  A user in more than POLICY_GROUPS_MAX groups cannot be told.
 */
#define POLICY_ENTRY_START (16u << 10)
#define POLICY_ENTRY_MAX (16u << 20)
#define POLICY_GROUPS_MAX 65536

/*
 * Load the policy from conf (sssd.conf) and then dir/\*.conf in name
 * order, later keys replacing earlier ones as SSSD does.  A missing
 * conf or dir is no error (no policy: scope none).  A file that is not
 * root's, or writable by others, or malformed makes the policy fail
 * safe (returns -EINVAL; p->error says why); so does one this process
 * may not read (returns -EACCES).  Returns 0 otherwise, or -ENOMEM.
 * Free with policy_fini().
 */
int policy_load(struct policy *p, const char *conf, const char *dir);

/*
 * One step of a get*_r() lookup into a growing buffer: given what the
 * call returned (errno set to 0 before it), 0 if it answered, 1 to call
 * again with *buf (*size bytes, malloc'd) doubled on ERANGE, or a
 * negative errno value (-EFBIG past POLICY_ENTRY_MAX).
 */
int policy_lookup_step(int rc, char **buf, size_t *size);

/*
 * Parse one file's text into p (merging), name for messages.  Returns 0
 * or -EINVAL with p->error set (p is then fail-safe), or -ENOMEM.
 */
int policy_parse(struct policy *p, const char *text, size_t len,
                 const char *name);

/* Release a policy's lists; it is an empty scope = none policy after. */
void policy_fini(struct policy *p);

/*
 * Decide whether user, whose primary group is gid, is recorded; true if
 * so.  Writes the reason to why.
 *
 * Only the groups the deciding key names (groups for scope = some,
 * exclude_groups for scope = all) are looked up, each by name
 * (getgrnam_r()); the user belongs to one if it is the primary group,
 * lists the user as a member, or is among the user's groups
 * (getgrouplist()), which are asked for only when the first two do not
 * settle it.  A group that does not exist is no member's.  Any other
 * failure of a lookup (an unavailable source, an entry over
 * POLICY_ENTRY_MAX, no memory) leans to recording: a group that cannot
 * be looked up counts as the user's for scope = some, and as excluding
 * nobody for scope = all.  *forced is set
 * when such a failure, or an unusable policy, is why the user is
 * recorded, for the caller to report.
 */
bool policy_selects(const struct policy *p, const char *user, gid_t gid,
                    char *why, size_t whylen, bool *forced);

#endif
