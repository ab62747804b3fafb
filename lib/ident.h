/*
 * Who and what is being recorded: the values every message carries.
 */
#ifndef IDENT_H
#define IDENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The audit session id of a process outside any login session */
#define IDENT_SESSION_UNSET 4294967295u

struct ident {
    char host[256];     /* fully qualified when the resolver knows it */
    char user[256];     /* name of the real uid */
    char term[256];     /* $TERM, or "" */
    char rec[128];      /* BOOTID-PID-STARTTIME, all hex */
    uint32_t session;   /* /proc/self/sessionid */
};

/*
 * Read the parent pid and the start time (clock ticks since boot) of
 * process pid from /proc/PID/stat.  Returns 0 or a negative errno value.
 */
int ident_proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start);

/*
 * Fill *id for the calling process.  Returns 0, or a negative errno
 * value with err saying which value could not be found and why.
 */
int ident_get(struct ident *id, char *err, size_t errsz);

/*
 * Fill *id for the process pid running as uid on a terminal of type term
 * (NULL for none): its user name and audit session.  The recording id
 * is made from rec_pid, a process that lives as long as the recording
 * (the recording agent's own).  Returns 0 or a negative errno value with
 * err filled.
 */
int ident_get_for(pid_t pid, uid_t uid, const char *term, pid_t rec_pid,
                  struct ident *id, char *err, size_t errsz);

#endif
