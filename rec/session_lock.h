/*
 * One recorder per process tree of an audit session.
 *
 * A recorder leaves a lock file SESSION_LOCK_DIR/SESSION-PID.lock with its
 * start time.  A new recorder skips recording only when one of its own
 * ancestors, in the same audit session, holds such a lock with matching
 * start time and owned by that ancestor's user: that recorder already
 * sees everything.  A lock that is
 * stale (its process gone or its pid reused), planted by a user, or held
 * by a sibling (a second channel of a multiplexed SSH connection) never
 * counts, so the failure mode is recording twice, never not at all.
 */
#ifndef SESSION_LOCK_H
#define SESSION_LOCK_H

#include <stddef.h>
#include <stdint.h>

/* World-writable and sticky, like /tmp (contrib/tmpfiles.d makes it);
 * not /run/tlog, which the reference package keeps for itself */
#define SESSION_LOCK_DIR "/run/tlog-sessions"

struct session_lock;

/*
 * Check and take the lock for this process in audit session session.
 * Returns -EEXIST if an ancestor recorder holds one (do not record);
 * 0 with *pl set (NULL when the session id is unset: every process
 * outside a login shares that id, so no lock applies); or another
 * negative errno value with err saying why no lock could be made (record
 * anyway).
 */
int session_lock_take(uint32_t session, struct session_lock **pl,
                      char *err, size_t errsz);

/* Remove the lock; session_lock_free(NULL) does nothing */
void session_lock_free(struct session_lock *l);

#endif
