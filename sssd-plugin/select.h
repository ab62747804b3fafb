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
 * in SSSD's configuration files: 1 recorded, 0 not.  Writes the reason
 * to why.  When the policy is unusable, or a lookup the decision needs
 * fails, the user is recorded and *report set, for the caller to pass
 * the reason on (policy_selects() says which lookups).
 *
 * The policy is root's alone (SSSD insists on it).  A process that is
 * not root and may not read it cannot tell: -EACCES, *report clear.
 * Logins run as root and always can.
 */
int select_user(const char *user, gid_t gid, char *why, size_t whylen,
                bool *report);

/* The policy files: SSSD's, or for tests TLOG_SSSD_CONF and
 * TLOG_SSSD_CONF_DIR (ignored in set-user-id programs) */
const char *select_conf(void);
const char *select_conf_dir(void);

#endif
