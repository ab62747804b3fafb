/*
 * One connection to the recording agent, served in a process of its own:
 * a recorded session handed over by tlog-rec-session, or pam_tlog's word
 * that a login session opened or closed.
 */
#ifndef RECD_SESSION_H
#define RECD_SESSION_H

#include <stdint.h>
#include <sys/types.h>

#include "conf.h"

/* The agent's settings, resolved once at its start */
struct recd_agent {
    const struct conf *conf;
    uid_t uid;                  /* the agent's user */
    gid_t gid;
    gid_t tty_gid;              /* group of session terminals */
    const char *prog;           /* the one program that may hand over */
    const char *state_dir;      /* root's: which sessions opened, recorded */
    const char *spool_dir;      /* the agent user's, or NULL for none */
    uint64_t spool_max;         /* bytes */
};

/*
 * Serve the connection conn (taken) as root; returns the process's exit
 * status.  A session is recorded by a child process running as the
 * agent's user; this process waits for it and then gives the terminal
 * back.
 */
int recd_session_serve(const struct recd_agent *a, int conn);

#endif
