/*
 * Fuzz target: the session recording policy parser (SSSD's ini syntax,
 * its [session_recording] section).  A text is either taken, with a
 * scope and lists of plain names, or refused with a reason, failing
 * safe.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_list(const struct policy_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (l->name[i] == NULL || l->name[i][0] == '\0' ||
            strchr(l->name[i], ',') != NULL) {
            abort();
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct policy p;
    int rc;

    memset(&p, 0, sizeof(p));
    rc = policy_parse(&p, (const char *)data, size, "fuzz");
    if (rc == -EINVAL && (!p.failsafe || p.error[0] == '\0')) {
        abort();        /* a refusal fails safe and says why */
    }
    if (rc == 0) {
        check_list(&p.users);
        check_list(&p.groups);
        check_list(&p.exclude_users);
        check_list(&p.exclude_groups);
    }
    policy_fini(&p);
    return 0;
}
