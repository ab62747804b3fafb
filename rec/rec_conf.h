/*
 * The recording settings shared by tlog-rec and tlog-rec-session: their
 * configuration keys (the reference's, plus syslog.socket), and turning
 * a loaded configuration into a writer and recorder settings.
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

/* Keys of tlog-rec-session: shell and notice, and no recording options
 * on the command line */
extern const struct conf_key rec_session_conf_keys[];
extern const size_t rec_session_conf_nkeys;

/*
 * Load the configuration layers: sysfile (optional), the file named by
 * env_file (required if set), the text in env_text.  Returns 0 or a
 * negative errno value with err naming the source and key.
 */
int rec_conf_load(struct conf *c, const char *sysfile, const char *env_file,
                  const char *env_text, char *err, size_t errsz);

/*
 * Open the writer the configuration names, for program prog recording
 * as id.  With fallback, the journal writer becomes the syslog writer
 * when no journal daemon listens.  Stores it in *pw.  Returns 0 or a
 * negative errno value.
 */
int rec_conf_writer(const struct conf *c, const char *prog, bool fallback,
                    const struct ident *id, struct writer **pw,
                    char *err, size_t errsz);

/* Fill the recording settings of *rc from the configuration */
void rec_conf_recorder(const struct conf *c, struct recorder_conf *rc);

#endif
