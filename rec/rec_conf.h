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

/* Keys of tlog-rec, with command-line options */
extern const struct conf_key rec_conf_keys[];
extern const size_t rec_conf_nkeys;

/* Keys of tlog-rec-session: the shell, the notice and the agent; it
 * records nothing itself */
extern const struct conf_key rec_session_conf_keys[];
extern const size_t rec_session_conf_nkeys;

/* Keys of tlog-recd: the recording keys, with options, and its own */
extern const struct conf_key recd_conf_keys[];
extern const size_t recd_conf_nkeys;

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
