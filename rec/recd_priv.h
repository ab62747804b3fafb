/*
 * What the recording agent does with privilege, and nothing else: take a
 * recorded user's terminal away from the user and give it back, make the
 * session's PTY for the user, keep utmp, drop to the agent's user.
 *
 * Each call works on descriptors it is given, never on names a user
 * could change, and checks what it holds before touching it.
 */
#ifndef RECD_PRIV_H
#define RECD_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>

/* A terminal taken from its user, with what to restore */
struct recd_tty {
    int fd;
    uid_t uid;
    gid_t gid;
    mode_t mode;
    struct termios saved;
    struct winsize ws;
};

/*
 * Take the terminal fd: it must be a PTY slave or a virtual console
 * (never /dev/tty, the console or a PTY master).  Makes it owned by
 * agent_uid, mode 0600, so no process of the user can open it again,
 * and puts it into raw mode.  Fills *t (t->fd is fd, still the
 * caller's).  Returns 0 or a negative errno value with err filled.
 */
int recd_priv_take_tty(int fd, uid_t agent_uid, struct recd_tty *t,
                       char *err, size_t errsz);

/*
 * Give the taken terminal a description of the agent's own, so that
 * nothing done to it (non-blocking mode) touches anyone else's.  When the
 * terminal is the controlling one of caller's own session (a fresh
 * login), first revoke every open description of it, as login(1) does
 * with vhangup(): a process that opened the terminal before it was taken
 * keeps a descriptor that no longer reads or writes.  A terminal of
 * another session, which a nested session shares with the shell above
 * it, is not revoked.  On success t->fd is the new descriptor (the
 * caller closes the old one).  Returns 0 or a negative errno value with
 * err filled.
 */
int recd_priv_reopen_tty(struct recd_tty *t, pid_t caller, char *err,
                         size_t errsz);

/* Give the terminal back: its settings, mode and owner as they were */
void recd_priv_give_tty(const struct recd_tty *t);

/*
 * Make the session's PTY: the master (close-on-exec) and the slave,
 * owned by uid and group tty_gid, mode 0620, with the settings and
 * window of t (or defaults if t is NULL).  Returns 0 or a negative errno
 * value with err filled.
 */
int recd_priv_open_pty(const struct recd_tty *t, uid_t uid, gid_t tty_gid,
                       int *pmaster, int *pslave, char *err, size_t errsz);

/* Add the login of user, process pid, on slave to utmp; its line
 * ("pts/3") goes to line, for recd_priv_utmp_remove() */
void recd_priv_utmp_add(int slave, const char *user, pid_t pid, char *line,
                        size_t linesz);
void recd_priv_utmp_remove(const char *line);

/*
 * Become uid/gid for good, with no supplementary groups and no
 * capabilities, and not dumpable (recorded screens stay out of core
 * files).  Returns 0 or a negative errno value with err filled.
 */
int recd_priv_drop(uid_t uid, gid_t gid, char *err, size_t errsz);

/* Put a USER record with text into the kernel's audit trail; silent if
 * there is none */
void recd_priv_audit(const char *text, const char *tty);

#endif
