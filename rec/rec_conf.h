/*
 * The recording settings of tlog-rec and the agent tlog-recd: their
 * configuration keys (the reference's, plus syslog.socket), tlog-rec-
 * session's own keys, and turning a loaded configuration into a writer
 * and recorder settings.
 */
#ifndef REC_CONF_H
#define REC_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "ident.h"
#include "recorder.h"
#include "writer.h"

/* Whose configuration */
enum rec_prog {
    REC_PROG_REC,       /* tlog-rec: the recording keys, with options */
    REC_PROG_SESSION,   /* tlog-rec-session: its own keys; the recording
                           keys from its file only */
    REC_PROG_AGENT,     /* tlog-recd: the recording keys, with options,
                           and its own */
};

/* Make the configuration of prog holding the defaults into *pc (free
 * with conf_free()); 0 or -ENOMEM */
int rec_conf_new(enum rec_prog prog, struct conf **pc);

/*
 * Fill the recording settings of *cfg from the configuration and open the
 * writer it names into cfg->writer (owned by the caller: writer_free()).
 * With fallback, the journal writer becomes the syslog writer when no
 * journal daemon listens.  Returns 0 or a negative errno value with err
 * filled.
 */
int rec_conf_apply(const struct conf *c, struct recorder_conf *cfg,
                   bool fallback, char *err, size_t errsz);

/*
 * Record: fill the recording settings of *cfg (whose prog, path, argv,
 * ident, notice and semaphore the caller sets) from the configuration,
 * open the writer it names (with fallback, the journal writer becomes
 * the syslog writer when no journal daemon listens), run the recorder,
 * close the writer.  Stores the exit status in *status: the command's,
 * or 1 if it never ran.  Returns 0 or a negative errno value with err
 * filled, to be printed once the terminal is back, which it is by then.
 */
int rec_conf_run(const struct conf *c, struct recorder_conf *cfg,
                 bool fallback, int *status, char *err, size_t errsz);

#endif
