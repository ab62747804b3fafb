/*
 * The agent's side of a recorded session: relays between the user's
 * terminal (or pipes) and the session's PTY (or pipes), and records.
 *
 * Runs as the agent's unprivileged user, in a process of its own, after
 * the privileged part has taken the terminal away from the recorded user.
 * Every descriptor is non-blocking and every buffer bounded: a program
 * that stops reading its input never stops its output, or the recording.
 */
#ifndef RELAY_H
#define RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "recorder.h"

struct relay_conf {
    bool pty;               /* a terminal session, else pipes */
    int user_in;            /* the user's terminal, or stdin pipe */
    int user_out;           /* where output goes: terminal or stdout */
    int user_err;           /* pipes: the user's stderr; -1 with a PTY */
    int master;             /* PTY: its master; else -1 */
    int child_in;           /* pipes: the session's stdin (write end) */
    int child_out;          /* pipes: its stdout (read end) */
    int child_err;          /* pipes: its stderr (read end) */
    int ctl;                /* the client's connection (RECD_RELEASED), or -1 */
    const struct recorder_conf *rec;    /* settings, identity, writer */
    int drain_ms;           /* at the end, time the writer gets */
    int release;            /* -1, or where to say the user's terminal and
                             * the PTY are let go, before the recording's
                             * last wait for its writer (they are closed) */
};

/*
 * Relay and record until the session's side closes (every holder of the
 * PTY or of the output pipes is gone), the user's terminal hangs up, or
 * TERM, INT or HUP arrives, which hang the session up.  The descriptors
 * in *c stay the caller's: the recording process ends after this, and its
 * end closes them (the PTY master last, hanging up what still holds the
 * session's terminal).  Returns 0, or a negative errno value
 * with err saying what failed (recording problems: -EIO, after the end).
 */
int relay_run(const struct relay_conf *c, char *err, size_t errsz);

#endif
