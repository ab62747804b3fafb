/*
 * The decision shared by the NSS and PAM modules and the check tool:
 * load the policy from its files and apply it to one user.
 */
#ifndef SELECT_H
#define SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Decide whether user (primary group gid) is recorded under the policy
 * in SSSD's configuration files.  Writes the reason to why.  When the
 * policy is unusable the user is recorded and *bad_policy set, for the
 * caller to report.
 */
bool select_user(const char *user, gid_t gid, char *why, size_t whylen,
                 bool *bad_policy);

/* The policy files: SSSD's, or for tests TLOG_SSSD_CONF and
 * TLOG_SSSD_CONF_DIR (ignored in set-user-id programs) */
const char *select_conf(void);
const char *select_conf_dir(void);

#endif
