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

/* How a session is recorded: tlog-rec's keys, the agent's, and, from its
 * file only (its command line cannot change how it records), tlog-rec-
 * session's, which are the reference's, so that its file still loads */
static const struct conf_key recording_keys[] = {
    { .path = "latency", .type = CONF_INT, .def = "10", .min = 1,
      .max = 86400, .opt = "latency", .arg = "SECONDS",
      .help = "Write partial messages after SECONDS" },
    { .path = "payload", .type = CONF_INT, .def = "2048",
      .min = ENC_PAYLOAD_MIN, .max = ENC_PAYLOAD_MAX, .opt = "payload",
      .arg = "BYTES",
      .help = "Limit the recorded data in a message to BYTES" },
    { .path = "writer", .type = CONF_CHOICE, .def = "journal",
      .choices = writers, .opt = "writer", .short_opt = 'w',
      .arg = "STRING", .help = "Write to file, syslog or journal" },
    { .path = "log.input", .type = CONF_BOOL, .def = "false",
      .opt = "log-input", .arg = "BOOL",
      .help = "Record what the user types" },
    { .path = "log.output", .type = CONF_BOOL, .def = "true",
      .opt = "log-output", .arg = "BOOL",
      .help = "Record what the terminal shows" },
    { .path = "log.window", .type = CONF_BOOL, .def = "true",
      .opt = "log-window", .arg = "BOOL",
      .help = "Record window size changes" },
    { .path = "limit.rate", .type = CONF_INT, .def = "16384", .min = 1,
      .max = 1LL << 40, .opt = "limit-rate", .arg = "NUMBER",
      .help = "Rate limit in message bytes per second" },
    { .path = "limit.burst", .type = CONF_INT, .def = "32768",
      .max = 1LL << 40, .opt = "limit-burst", .arg = "NUMBER",
      .help = "Bytes the rate may be exceeded by" },
    { .path = "limit.action", .type = CONF_CHOICE, .def = "pass",
      .choices = actions, .opt = "limit-action", .arg = "STRING",
      .help = "Above the limit: pass, delay or drop" },
    { .path = "file.path", .type = CONF_STR, .def = "", .opt = "file-path",
      .short_opt = 'o', .arg = "FILE",
      .help = "Write to FILE (the file writer)" },
    { .path = "syslog.facility", .type = CONF_CHOICE, .def = "authpriv",
      .choices = writer_facility_names, .opt = "syslog-facility",
      .arg = "STRING", .help = "Syslog facility" },
    { .path = "syslog.priority", .type = CONF_CHOICE, .def = "info",
      .choices = writer_priority_names, .opt = "syslog-priority",
      .arg = "STRING", .help = "Syslog priority" },
    { .path = "syslog.socket", .type = CONF_STR, .def = "/dev/log",
      .opt = "syslog-socket", .arg = "PATH",
      .help = "Syslog daemon's datagram socket" },
    { .path = "journal.priority", .type = CONF_CHOICE, .def = "info",
      .choices = writer_priority_names, .opt = "journal-priority",
      .arg = "STRING", .help = "Journal priority" },
    { .path = "journal.augment", .type = CONF_BOOL, .def = "true",
      .opt = "journal-augment", .arg = "BOOL",
      .help = "Add TLOG_REC, TLOG_USER, TLOG_SESSION and TLOG_ID fields" },
};

/* tlog-rec's own */
static const struct conf_key rec_keys[] = {
    { .path = "semaphore", .type = CONF_STR, .def = "", .opt = "semaphore",
      .arg = "FILE",
      .help = "Write \"READY\" to FILE once recording has started" },
};

/* tlog-rec-session's own: the shell, the notice and the agent; it
 * records nothing itself */
static const struct conf_key session_keys[] = {
    /* empty: TLOG_REC_SESSION_SHELL, the program name, then /bin/bash */
    { .path = "shell", .type = CONF_STR, .def = "", .arg = "PATH",
      .help = "The shell to start" },
    { .path = "notice", .type = CONF_STR,
      .def = "\nATTENTION! Your session is being recorded!\n\n",
      .arg = "TEXT", .help = "Shown before the shell starts" },
    { .path = "agent.socket", .type = CONF_STR, .def = RECD_SOCKET,
      .arg = "PATH", .help = "The recording agent's socket" },
    { .path = "agent.unreachable", .type = CONF_CHOICE, .def = "refuse",
      .choices = unreachable, .arg = "STRING",
      .help = "Without the agent: refuse the session, or run it unrecorded" },
};

/* tlog-recd's own */
static const struct conf_key recd_keys[] = {
    { .path = "log.piped_input", .type = CONF_BOOL, .def = "true",
      .opt = "log-piped-input", .arg = "BOOL",
      .help = "Record the input of sessions without a terminal" },
    { .path = "user", .type = CONF_STR, .def = RECD_USER, .opt = "user",
      .short_opt = 'u', .arg = "NAME",
      .help = "Record as the system user NAME" },
    { .path = "socket", .type = CONF_STR, .def = RECD_SOCKET,
      .opt = "socket", .arg = "PATH",
      .help = "Listen on PATH (unless the service manager passes a socket)" },
    { .path = "state_dir", .type = CONF_STR, .def = RECD_STATE_DIR,
      .opt = "state-dir", .arg = "DIR",
      .help = "Keep the state of open sessions in DIR" },
    { .path = "session_program", .type = CONF_STR,
      .def = BINDIR "/tlog-rec-session", .opt = "session-program",
      .arg = "PATH", .help = "Take terminals only from the program PATH" },
    { .path = "spool.dir", .type = CONF_STR, .def = RECD_SPOOL_DIR,
      .opt = "spool-dir", .arg = "DIR",
      .help = "Keep messages the logger does not take yet in DIR (\"\": in "
              "memory only)" },
    { .path = "spool.max", .type = CONF_INT, .def = "1073741824",
      .max = 1LL << 50, .opt = "spool-max", .arg = "BYTES",
      .help = "Bound of the spool on disk; past it messages are dropped, "
              "with a note" },
};

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

int
rec_conf_new(enum rec_prog prog, struct conf **pc)
{
    struct conf *c = NULL;
    int rc;

    switch (prog) {
    case REC_PROG_REC:
        rc = conf_new(recording_keys, NKEYS(recording_keys), &c);
        if (rc == 0) {
            rc = conf_set_default(c, "writer", "file");
        }
        if (rc == 0) {
            rc = conf_add(c, rec_keys, NKEYS(rec_keys), false);
        }
        break;
    case REC_PROG_SESSION:
        rc = conf_new(session_keys, NKEYS(session_keys), &c);
        if (rc == 0) {
            rc = conf_add(c, recording_keys, NKEYS(recording_keys), true);
        }
        break;
    default:
        rc = conf_new(recording_keys, NKEYS(recording_keys), &c);
        if (rc == 0) {
            rc = conf_add(c, recd_keys, NKEYS(recd_keys), false);
        }
        break;
    }
    if (rc < 0) {
        conf_free(c);
        return rc;
    }
    *pc = c;
    return 0;
}

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
