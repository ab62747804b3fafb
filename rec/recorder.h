/*
 * tlog-rec's recording engine (sessions that must not escape it are
 * recorded by the agent, rec/relay.c): runs a command under a new PTY
 * (when standard input is a terminal) or pipes, passes its I/O through,
 * and records it.
 */
#ifndef RECORDER_H
#define RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "sink.h"
#include "writer.h"

struct recorder_conf {
    const char *prog;           /* program name for messages */
    const char *path;           /* file to execute */
    char *const *argv;          /* its arguments, argv[0] included */
    const char *notice;         /* shown before the command starts, or NULL */
    const char *semaphore;      /* file to write "READY" to, or NULL */
    const struct ident *ident;
    unsigned int latency;       /* seconds */
    size_t payload;
    bool log_input;
    bool log_output;
    bool log_window;
    struct writer *writer;      /* not owned */
    enum sink_action action;
    uint64_t rate;
    uint64_t burst;
    const char *spool_dir;      /* the agent's spool, or NULL for none */
    uint64_t spool_max;         /* bytes */
};

/*
 * Record the command.  Stores its exit status, shell style (128 + signal
 * for a signal), in *status.  Returns 0, or a negative errno value with
 * err saying what failed; the terminal is restored on every path.
 * Problems with writing the recording do not stop the command: they are
 * reported in err after it ends (returning -EIO).
 */
int recorder_run(const struct recorder_conf *cfg, int *status,
                 char *err, size_t errsz);

#endif
