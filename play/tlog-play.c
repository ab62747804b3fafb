/*
 * tlog-play: play back, list or export recorded terminal sessions.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "conf.h"
#include "es_keys.h"
#include "export.h"
#include "player.h"
#include "src.h"

#define PROG "tlog-play"

/* Exit status when the recording played was cut short */
#define EXIT_CUT_SHORT 3

static const char *const readers[] = { "file", "journal", "es", NULL };
static const char *const exports[] = { "none", "asciicast", "text", NULL };

static const struct conf_key keys[] = {
    { .path = "reader", .type = CONF_CHOICE, .def = "file",
      .choices = readers, .opt = "reader", .short_opt = 'r', .arg = "STRING",
      .help = "Read from file, journal or es" },
    { .path = "file.path", .type = CONF_STR, .def = "", .opt = "file-path",
      .short_opt = 'i', .arg = "FILE",
      .help = "The recordings file (- for standard input)" },
    { .path = "file.match", .type = CONF_STR, .def = "", .opt = "file-match",
      .short_opt = 'm', .arg = "REC",
      .help = "Play the recording with this id" },
    { .path = "journal.since", .type = CONF_INT, .def = "0",
      .max = 1LL << 40, .opt = "journal-since", .short_opt = 'S',
      .arg = "SECONDS", .help = "Start at SECONDS since the epoch" },
    { .path = "journal.until", .type = CONF_INT, .def = "0",
      .max = 1LL << 40, .opt = "journal-until", .short_opt = 'U',
      .arg = "SECONDS", .help = "Stop at SECONDS since the epoch" },
    { .path = "journal.match", .type = CONF_LIST, .def = "",
      .opt = "journal-match", .short_opt = 'M', .arg = "STRING",
      .help = "Add FIELD=VALUE, OR or AND to the journal match" },
    { .path = "journal.namespace", .type = CONF_STR, .def = "",
      .opt = "journal-namespace", .short_opt = 'N', .arg = "STRING",
      .help = "Read this journal namespace" },
    { .path = "journal.sender", .type = CONF_STR, .def = "tlog-recd",
      .opt = "journal-sender", .arg = "USER",
      .help = "Play only journal entries this user wrote (name or uid)" },
    { .path = "es.baseurl", .type = CONF_STR, .def = "", .opt = "es-baseurl",
      .arg = "URL", .help = "Elasticsearch URL, up to _search" },
    { .path = "es.query", .type = CONF_STR, .def = "", .opt = "es-query",
      .arg = "QUERY", .help = "Elasticsearch query string" },
    { .path = "es.verbose", .type = CONF_BOOL, .def = "false",
      .opt = "es-verbose", .arg = "BOOL",
      .help = "Show Elasticsearch requests" },
    { .path = "speed", .type = CONF_STR, .def = "1", .opt = "speed",
      .short_opt = 's', .arg = "NUMBER",
      .help = "Playback speed, 1/16 to 16" },
    { .path = "follow", .type = CONF_BOOL, .def = "false", .opt = "follow",
      .short_opt = 'f', .arg = "BOOL",
      .help = "Wait for and play what is added" },
    { .path = "goto", .type = CONF_STR, .def = "", .opt = "goto",
      .short_opt = 'g', .arg = "TIME",
      .help = "Fast-forward to start, end or [[HH:]MM:]SS[.sss]" },
    { .path = "paused", .type = CONF_BOOL, .def = "false", .opt = "paused",
      .short_opt = 'p', .arg = "BOOL", .help = "Start paused" },
    { .path = "persist", .type = CONF_BOOL, .def = "false", .opt = "persist",
      .arg = "BOOL", .help = "Ignore the quit key and keyboard signals" },
    { .path = "lax", .type = CONF_BOOL, .def = "false", .opt = "lax",
      .arg = "BOOL",
      .help = "Play on past missing messages and lines that are not"
              " messages" },
    { .path = "max_idle", .type = CONF_INT, .def = "0", .max = 86400,
      .opt = "max-idle", .arg = "SECONDS",
      .help = "Play pauses longer than this as this long (0: as recorded)" },
    { .path = "raw", .type = CONF_BOOL, .def = "false", .opt = "raw",
      .arg = "BOOL",
      .help = "Pass everything to the terminal, queries and clipboard "
              "included" },
    { .path = "list", .type = CONF_BOOL, .def = "false", .opt = "list",
      .arg = "BOOL", .help = "List the recordings in the source and exit" },
    { .path = "export", .type = CONF_CHOICE, .def = "none",
      .choices = exports, .opt = "export", .arg = "FORMAT",
      .help = "Write the recording as asciicast or text and exit" },
};

static const struct conf_prog prog = {
    .name = PROG,
    .keys = keys,
    .nkeys = sizeof(keys) / sizeof(keys[0]),
    .shared = es_tls_keys,
    .nshared = ES_TLS_NKEYS,
    .files = true,
    .usage = "Usage: " PROG " [OPTION...]\n"
             "Play back a recorded terminal session.\n",
    .extra = "Keys: space or p pause, } and { double and halve the speed,"
             " backspace 1x,\n. step, digits then G go to a time (G alone:"
             " the end), left and right\narrows 10 s back and forward, /"
             " search, ? help, q quit.",
};

/* Print each line of text to standard error, after the program's name */
static void
say(const char *text)
{
    size_t n;

    while (*text) {
        n = strcspn(text, "\n");
        fprintf(stderr, PROG ": %.*s\n", (int)n, text);
        text += n + (text[n] == '\n');
    }
}

int
main(int argc, char **argv)
{
    struct conf *c = NULL;
    struct src *s = NULL;
    struct player_conf pc;
    struct termios saved, out_saved, raw;
    bool keys_raw = false, out_raw = false;
    const char *path, *exp, *reader;
    struct src_conf sc;
    struct src_rec *recs = NULL;
    size_t nrecs = 0, i;
    char err[2048] = "", note[4096], *end;
    int status = 1, rc;

    rc = conf_open(&prog, argc, argv, &c, NULL);
    if (rc != CONF_GO_ON) {
        return rc;
    }

    memset(&pc, 0, sizeof(pc));
    pc.speed = strtod(conf_str(c, "speed"), &end);
    if (*end != 0 || !(pc.speed >= 1.0 / 16 && pc.speed <= 16)) {
        conf_usage_error(stderr, PROG,
                         "speed must be a number from 0.0625 to 16");
        status = 2;
        goto out;
    }
    pc.goto_ms = -1;
    if (*conf_str(c, "goto") &&
        player_parse_time(conf_str(c, "goto"), &pc.goto_ms) < 0) {
        conf_usage_error(stderr, PROG,
                         "goto must be start, end or [[HH:]MM:]SS[.sss]");
        status = 2;
        goto out;
    }
    reader = conf_str(c, "reader");
    path = conf_str(c, "file.path");
    memset(&sc, 0, sizeof(sc));
    sc.kind = !strcmp(reader, "file") ? SRC_FILE :
              !strcmp(reader, "es") ? SRC_ES : SRC_JOURNAL;
    sc.lax = conf_bool(c, "lax");
    sc.file.path = path;
    sc.file.match = conf_str(c, "file.match");
    sc.journal.matches = conf_str(c, "journal.match");
    sc.journal.since = (uint64_t)conf_int(c, "journal.since");
    sc.journal.until = (uint64_t)conf_int(c, "journal.until");
    sc.journal.ns = conf_str(c, "journal.namespace");
    sc.journal.sender = conf_str(c, "journal.sender");
    sc.es.baseurl = conf_str(c, "es.baseurl");
    sc.es.query = conf_str(c, "es.query");
    sc.es.verbose = conf_bool(c, "es.verbose");
    sc.es.userpwd = getenv("TLOG_CURL_USERPWD");
    sc.es.cacert = conf_str(c, "es.cacert");
    sc.es.cert = conf_str(c, "es.cert");
    sc.es.key = conf_str(c, "es.key");
    if (sc.kind == SRC_FILE && *path == 0) {
        conf_usage_error(stderr, PROG, "no recordings file: give -i FILE"
                         " (- for standard input)");
        status = 2;
        goto out;
    }
    if (conf_bool(c, "list")) {
        rc = src_list(&sc, &recs, &nrecs, note, sizeof(note), err,
                      sizeof(err));
        if (rc < 0) {
            fprintf(stderr, PROG ": %s\n", err);
            goto out;
        }
        for (i = 0; i < nrecs; i++) {
            src_rec_print(stdout, &recs[i]);
        }
        if (*note) {
            fflush(stdout);
            say(note);
        }
        status = 0;
        goto out;
    }
    rc = src_open(&sc, &s, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    exp = conf_str(c, "export");
    if (strcmp(exp, "none") != 0) {
        rc = !strcmp(exp, "asciicast") ?
             export_asciicast(s, stdout, err, sizeof(err)) :
             export_text(s, stdout, err, sizeof(err));
        if (fflush(stdout) != 0 && rc == 0) {
            snprintf(err, sizeof(err), "cannot write the export: %s",
                     strerror(errno));
            rc = -EIO;
        }
        if (rc < 0) {
            fprintf(stderr, PROG ": %s\n", err);
            goto out;
        }
        status = src_cut_short(s) ? EXIT_CUT_SHORT : 0;
        goto out;
    }

    pc.paused = conf_bool(c, "paused");
    pc.follow = conf_bool(c, "follow");
    pc.persist = conf_bool(c, "persist");
    pc.raw = conf_bool(c, "raw");
    pc.max_idle_ms = conf_int(c, "max_idle") * 1000;
    pc.out_fd = STDOUT_FILENO;
    pc.tty = isatty(STDOUT_FILENO);
    pc.key_fd = -1;
    src_follow(s, pc.follow);
    /* The recorded bytes are what the terminal got after its own output
     * processing: play them with that processing off, or CR LF would
     * come out as CR CR LF */
    if (pc.tty && tcgetattr(STDOUT_FILENO, &out_saved) == 0) {
        raw = out_saved;
        raw.c_oflag &= ~OPOST;
        out_raw = tcsetattr(STDOUT_FILENO, TCSADRAIN, &raw) == 0;
    }
    /* Keys only from a terminal, and only while playing to one: a dump
     * never reads, waits on or spins over its standard input */
    if (pc.tty && isatty(STDIN_FILENO) && strcmp(path, "-") != 0 &&
        tcgetattr(STDIN_FILENO, &saved) == 0) {
        raw = saved;
        cfmakeraw(&raw);
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0) {
            keys_raw = true;
            pc.key_fd = STDIN_FILENO;
        }
    }
    rc = player_run(s, &pc, err, sizeof(err));
    if (keys_raw) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    }
    if (out_raw) {
        tcsetattr(STDOUT_FILENO, TCSADRAIN, &out_saved);
    }
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    status = src_cut_short(s) ? EXIT_CUT_SHORT : 0;
out:
    /* Said last, with the terminal back as it was: what the source left
     * out (journal entries from other writers, lines --lax skipped), and
     * whether the recording was cut short */
    if (s != NULL && src_note(s, note, sizeof(note))) {
        fflush(stdout);
        say(note);
    }
    src_free(s);
    src_recs_free(recs, nrecs);
    conf_free(c);
    return status;
}
