/*
 * The agent's courier: delivers what recordings left in the spool.
 *
 * A recording process puts on disk what its writer does not take (the
 * logger is stopped, full or restarting) and delivers it itself while it
 * lives.  What is left when it ends, or dies, is the courier's: it runs
 * as the agent's user beside the listener, looks at the spool every
 * second, and delivers each file whose recording process is gone, with
 * the same writer, oldest message first.  A recording whose process died
 * before its end message gets one from the courier, saying so:
 *
 *     "x_tlog_end":{"recorder":"lost","after":N}
 *
 * where N is the last message known delivered or spooled; messages the
 * process held in memory past N are lost, and their ids are missing.
 */
#ifndef COURIER_H
#define COURIER_H

#include <sys/types.h>

#include "recd_session.h"

/* Deliver every spool file nobody holds, once; returns how many files
 * still wait (the writer failed) */
int courier_pass(const struct recd_agent *a);

/* Run as the agent's user until the listener, the parent, ends */
void courier_run(const struct recd_agent *a, pid_t listener);

#endif
