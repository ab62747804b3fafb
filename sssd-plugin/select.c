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
            bool *report)
{
    struct policy p;
    bool forced = false;
    bool yes;
    int rc;

    rc = policy_load(&p, select_conf(), select_conf_dir());
    if (rc == -EACCES && geteuid() != 0) {
        snprintf(why, whylen, "cannot tell: %s (only root may read the "
                 "policy)", p.error);
        policy_fini(&p);
        *report = false;
        return -EACCES;
    }
    if (rc == -ENOMEM) {
        snprintf(why, whylen, "recorded: out of memory reading the policy");
        policy_fini(&p);
        *report = true;
        return 1;
    }
    yes = policy_selects(&p, user, gid, why, whylen, &forced);
    policy_fini(&p);
    *report = forced;
    return yes ? 1 : 0;
}
