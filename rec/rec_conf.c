/*
 * The recording settings shared by tlog-rec and tlog-rec-session.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "enc.h"
#include "rec_conf.h"
#include "recd_proto.h"

/* Where the journal listens; without it the session recorder uses syslog */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static const char *const writers[] = { "file", "syslog", "journal", NULL };
static const char *const actions[] = { "pass", "delay", "drop", NULL };
static const char *const unreachable[] = { "refuse", "unrecorded", NULL };

#define PAYLOAD_RANGE ENC_PAYLOAD_MIN, ENC_PAYLOAD_MAX

/* One list of recording keys; tlog-rec-session's table leaves out the
 * options, so its command line cannot change how it records */
#define RECORDING_KEYS(o, s)                                                 \
    { "latency", CONF_INT, "10", 1, 86400, NULL, o("latency"), 0,           \
      "SECONDS", "Write partial messages after SECONDS" },                 \
    { "payload", CONF_INT, "2048", PAYLOAD_RANGE, NULL, o("payload"), 0,     \
      "BYTES", "Limit the recorded data in a message to BYTES" },          \
    { "writer", CONF_CHOICE, s, 0, 0, writers, o("writer"), 'w',            \
      "STRING", "Write to file, syslog or journal" },                      \
    { "log.input", CONF_BOOL, "false", 0, 0, NULL, o("log-input"), 0,       \
      "BOOL", "Record what the user types" },                              \
    { "log.output", CONF_BOOL, "true", 0, 0, NULL, o("log-output"), 0,      \
      "BOOL", "Record what the terminal shows" },                          \
    { "log.window", CONF_BOOL, "true", 0, 0, NULL, o("log-window"), 0,      \
      "BOOL", "Record window size changes" },                              \
    { "limit.rate", CONF_INT, "16384", 1, 1LL << 40, NULL, o("limit-rate"), \
      0, "NUMBER", "Rate limit in message bytes per second" },             \
    { "limit.burst", CONF_INT, "32768", 0, 1LL << 40, NULL,                 \
      o("limit-burst"), 0, "NUMBER", "Bytes the rate may be exceeded by" }, \
    { "limit.action", CONF_CHOICE, "pass", 0, 0, actions,                   \
      o("limit-action"), 0, "STRING",                                      \
      "Above the limit: pass, delay or drop" },                            \
    { "file.path", CONF_STR, "", 0, 0, NULL, o("file-path"), 'o', "FILE",   \
      "Write to FILE (the file writer)" },                                 \
    { "syslog.facility", CONF_CHOICE, "authpriv", 0, 0,                     \
      writer_facility_names, o("syslog-facility"), 0, "STRING",            \
      "Syslog facility" },                                                  \
    { "syslog.priority", CONF_CHOICE, "info", 0, 0, writer_priority_names,  \
      o("syslog-priority"), 0, "STRING", "Syslog priority" },              \
    { "syslog.socket", CONF_STR, "/dev/log", 0, 0, NULL,                    \
      o("syslog-socket"), 0, "PATH", "Syslog daemon's datagram socket" },   \
    { "journal.priority", CONF_CHOICE, "info", 0, 0, writer_priority_names, \
      o("journal-priority"), 0, "STRING", "Journal priority" },            \
    { "journal.augment", CONF_BOOL, "true", 0, 0, NULL,                     \
      o("journal-augment"), 0, "BOOL",                                      \
      "Add TLOG_REC, TLOG_USER, TLOG_SESSION and TLOG_ID fields" }

#define WITH_OPT(name) name
#define NO_OPT(name) NULL

const struct conf_key rec_conf_keys[] = {
    RECORDING_KEYS(WITH_OPT, "file"),
    { "semaphore", CONF_STR, "", 0, 0, NULL, "semaphore", 0, "FILE",
      "Write \"READY\" to FILE once recording has started" },
};
const size_t rec_conf_nkeys = sizeof(rec_conf_keys) / sizeof(rec_conf_keys[0]);

const struct conf_key rec_session_conf_keys[] = {
    /* empty: TLOG_REC_SESSION_SHELL, the program name, then /bin/bash */
    { "shell", CONF_STR, "", 0, 0, NULL, NULL, 0, "PATH",
      "The shell to start" },
    { "notice", CONF_STR, "\nATTENTION! Your session is being recorded!\n\n",
      0, 0, NULL, NULL, 0, "TEXT", "Shown before the shell starts" },
    { "agent.socket", CONF_STR, RECD_SOCKET, 0, 0, NULL, NULL, 0, "PATH",
      "The recording agent's socket" },
    { "agent.unreachable", CONF_CHOICE, "refuse", 0, 0, unreachable, NULL, 0,
      "STRING", "Without the agent: refuse the session, or run it"
      " unrecorded" },
    /* the reference's keys, so its file still loads; the agent's own
     * configuration says how sessions are recorded */
    RECORDING_KEYS(NO_OPT, "journal"),
};
const size_t rec_session_conf_nkeys =
    sizeof(rec_session_conf_keys) / sizeof(rec_session_conf_keys[0]);

const struct conf_key recd_conf_keys[] = {
    RECORDING_KEYS(WITH_OPT, "journal"),
    { "log.piped_input", CONF_BOOL, "true", 0, 0, NULL, "log-piped-input", 0,
      "BOOL", "Record the input of sessions without a terminal" },
    { "user", CONF_STR, RECD_USER, 0, 0, NULL, "user", 'u', "NAME",
      "Record as the system user NAME" },
    { "socket", CONF_STR, RECD_SOCKET, 0, 0, NULL, "socket", 0, "PATH",
      "Listen on PATH (unless the service manager passes a socket)" },
    { "state_dir", CONF_STR, RECD_STATE_DIR, 0, 0, NULL, "state-dir", 0,
      "DIR", "Keep the state of open sessions in DIR" },
    { "session_program", CONF_STR, BINDIR "/tlog-rec-session", 0, 0, NULL,
      "session-program", 0, "PATH",
      "Take terminals only from the program PATH" },
    { "spool.dir", CONF_STR, RECD_SPOOL_DIR, 0, 0, NULL, "spool-dir", 0,
      "DIR", "Keep messages the logger does not take yet in DIR (\"\": in"
      " memory only)" },
    { "spool.max", CONF_INT, "1073741824", 0, 1LL << 50, NULL, "spool-max",
      0, "BYTES", "Bound of the spool on disk; past it messages are"
      " dropped, with a note" },
};
const size_t recd_conf_nkeys = sizeof(recd_conf_keys) / sizeof(recd_conf_keys[0]);

/* Whether a journal daemon listens: a socket file alone may be stale */
static bool
journal_listens(void)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool ok;

    if (fd < 0) {
        return false;
    }
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", JOURNAL_SOCKET);
    ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static int
rec_conf_writer(const struct conf *c, const char *prog, bool fallback,
                const struct ident *id, struct writer **pw,
                char *err, size_t errsz)
{
    const char *kind = conf_str(c, "writer");

    if (fallback && strcmp(kind, "journal") == 0 && !journal_listens()) {
        kind = "syslog";        /* no journal on this host */
    }
    if (strcmp(kind, "file") == 0) {
        const char *path = conf_str(c, "file.path");

        if (*path == 0) {
            snprintf(err, errsz, "the file writer needs a file: give -o FILE"
                     " or set \"file\": {\"path\": ...}");
            return -EINVAL;
        }
        return writer_open_file(path, pw, err, errsz);
    }
    if (strcmp(kind, "syslog") == 0) {
        struct writer_syslog_conf sc = {
            .socket = conf_str(c, "syslog.socket"),
            .ident = prog,
            .facility = writer_facility(conf_str(c, "syslog.facility")),
            .priority = writer_priority(conf_str(c, "syslog.priority")),
        };
        return writer_open_syslog(&sc, pw, err, errsz);
    } else {
        struct writer_journal_conf jc = {
            .priority = writer_priority(conf_str(c, "journal.priority")),
            .ident = prog,
            .augment = conf_bool(c, "journal.augment"),
            .rec = id->rec,
            .user = id->user,
            .session = id->session,
        };
        return writer_open_journal(&jc, pw, err, errsz);
    }
}

int
rec_conf_apply(const struct conf *c, struct recorder_conf *cfg, bool fallback,
               char *err, size_t errsz)
{
    const char *action = conf_str(c, "limit.action");
    struct writer *w = NULL;
    int r;

    cfg->latency = (unsigned int)conf_int(c, "latency");
    cfg->payload = (size_t)conf_int(c, "payload");
    cfg->log_input = conf_bool(c, "log.input");
    cfg->log_output = conf_bool(c, "log.output");
    cfg->log_window = conf_bool(c, "log.window");
    cfg->action = !strcmp(action, "delay") ? SINK_DELAY :
                 !strcmp(action, "drop") ? SINK_DROP : SINK_PASS;
    cfg->rate = (uint64_t)conf_int(c, "limit.rate");
    cfg->burst = (uint64_t)conf_int(c, "limit.burst");
    r = rec_conf_writer(c, cfg->prog, fallback, cfg->ident, &w, err, errsz);
    if (r < 0) {
        return r;
    }
    cfg->writer = w;
    return 0;
}

int
rec_conf_run(const struct conf *c, struct recorder_conf *cfg, bool fallback,
             int *status, char *err, size_t errsz)
{
    int r;

    *status = 1;
    r = rec_conf_apply(c, cfg, fallback, err, errsz);
    if (r < 0) {
        return r;
    }
    r = recorder_run(cfg, status, err, errsz);
    if (r < 0 && *status == 0) {
        *status = 1;    /* the command did well; the recording did not */
    }
    writer_free(cfg->writer);
    cfg->writer = NULL;
    return r;
}
