/*
 * The privileged part of tlog-web: a process kept as root that checks
 * an auditor's password with PAM and looks up the auditor's groups, on
 * request from the unprivileged server over a socketpair.  It does that
 * one thing, with messages of one fixed size each way.
 */
#ifndef PRIVSEP_H
#define PRIVSEP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Longest user name, password and remote address taken (with the NUL) */
#define PRIVSEP_USER_MAX 256
#define PRIVSEP_PASSWORD_MAX 1024
#define PRIVSEP_ADDR_MAX 64
/* Most groups reported for one user, and the longest group name */
#define PRIVSEP_GROUPS_MAX 64
#define PRIVSEP_GROUP_MAX 64

struct privsep;

/* What the privileged process answers */
struct privsep_answer {
    bool ok;                                   /* password and account */
    size_t ngroups;
    char groups[PRIVSEP_GROUPS_MAX][PRIVSEP_GROUP_MAX];
};

/*
 * Fork the privileged process, which checks passwords with the PAM
 * service named service.  Call before dropping privileges and before any
 * thread starts.  Stores the handle in *pp (free with privsep_free()).
 * Returns 0 or a negative errno value with err saying why.
 */
int privsep_start(const char *service, struct privsep **pp, char *err,
                  size_t errsz);

/* End the privileged process and wait for it; privsep_free(NULL) does
 * nothing */
void privsep_free(struct privsep *p);

/* The privileged process's pid */
pid_t privsep_pid(const struct privsep *p);

/*
 * Ask whether user may log in with password from addr.  Fills *ans.
 * Returns 0 (whatever the answer), -ENAMETOOLONG when an argument is
 * longer than its maximum, or -EIO when the privileged process is gone
 * (err says so).  Safe to call from several threads.
 */
int privsep_auth(struct privsep *p, const char *user, const char *password,
                 const char *addr, struct privsep_answer *ans, char *err,
                 size_t errsz);

#endif
