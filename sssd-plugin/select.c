/*
 * Applying the policy to one user.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "policy.h"
#include "select.h"

const char *
select_conf(void)
{
    const char *v = secure_getenv("TLOG_SSSD_CONF");

    return v != NULL ? v : SYSCONFDIR "/sssd/sssd.conf";
}

const char *
select_conf_dir(void)
{
    const char *v = secure_getenv("TLOG_SSSD_CONF_DIR");

    return v != NULL ? v : SYSCONFDIR "/sssd/conf.d";
}

int
select_user(const char *user, gid_t gid, char *why, size_t whylen,
            bool *bad_policy)
{
    struct policy p;
    char **groups = NULL;
    size_t ngroups = 0;
    bool yes;
    int rc;

    rc = policy_load(&p, select_conf(), select_conf_dir());
    if (rc == -EACCES && geteuid() != 0) {
        snprintf(why, whylen, "cannot tell: %s (only root may read the "
                 "policy)", p.error);
        policy_fini(&p);
        *bad_policy = false;
        return -EACCES;
    }
    *bad_policy = p.failsafe;
    if (rc == -ENOMEM) {
        snprintf(why, whylen, "recorded: out of memory reading the policy");
        policy_fini(&p);
        return 1;
    }
    /* Groups only matter if the policy names some */
    if (!p.failsafe && ((p.scope == POLICY_SOME && p.groups.n > 0) ||
                        (p.scope == POLICY_ALL && p.exclude_groups.n > 0))) {
        rc = policy_user_groups(user, gid, &groups, &ngroups);
        if (rc < 0) {
            snprintf(why, whylen, "recorded: cannot list the groups of %s",
                     user);
            policy_fini(&p);
            return 1;
        }
    }
    yes = policy_selects(&p, user, (const char *const *)groups, ngroups,
                         why, whylen);
    policy_free_names(groups);
    policy_fini(&p);
    return yes ? 1 : 0;
}
