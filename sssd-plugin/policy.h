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
 * everyone is recorded, and the reason is kept for syslog.
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
 * Parse one file's text into p (merging), name for messages.  Returns 0
 * or -EINVAL with p->error set (p is then fail-safe), or -ENOMEM.
 */
int policy_parse(struct policy *p, const char *text, size_t len,
                 const char *name);

/* Release a policy's lists; it is an empty scope = none policy after. */
void policy_fini(struct policy *p);

/*
 * Decide whether user, member of groups[0..ngroups) (names: primary
 * and supplementary), is recorded.  Writes the reason to why.
 */
bool policy_selects(const struct policy *p, const char *user,
                    const char *const *groups, size_t ngroups,
                    char *why, size_t whylen);

/*
 * The names of user's groups (primary gid and supplementary), looked
 * up through NSS.  Returns 0 and a NULL-terminated array in *names
 * (free with policy_free_names()), or a negative errno value.
 */
int policy_user_groups(const char *user, gid_t gid, char ***names,
                       size_t *n);

void policy_free_names(char **names);

#endif
