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
#include "export.h"
#include "player.h"
#include "src.h"

#define PROG "tlog-play"

/* Exit status when the recording played was cut short */
#define EXIT_CUT_SHORT 3

static const char *const readers[] = { "file", "journal", "es", NULL };
static const char *const exports[] = { "none", "asciicast", "text", NULL };

static const struct conf_key keys[] = {
    { "reader", CONF_CHOICE, "file", 0, 0, readers, "reader", 'r', "STRING",
      "Read from file, journal or es" },
    { "file.path", CONF_STR, "", 0, 0, NULL, "file-path", 'i', "FILE",
      "The recordings file (- for standard input)" },
    { "file.match", CONF_STR, "", 0, 0, NULL, "file-match", 'm', "REC",
      "Play the recording with this id" },
    { "journal.since", CONF_INT, "0", 0, 1LL << 40, NULL, "journal-since",
      'S', "SECONDS", "Start at SECONDS since the epoch" },
    { "journal.until", CONF_INT, "0", 0, 1LL << 40, NULL, "journal-until",
      'U', "SECONDS", "Stop at SECONDS since the epoch" },
    { "journal.match", CONF_LIST, "", 0, 0, NULL, "journal-match", 'M',
      "STRING", "Add FIELD=VALUE, OR or AND to the journal match" },
    { "journal.namespace", CONF_STR, "", 0, 0, NULL, "journal-namespace",
      'N', "STRING", "Read this journal namespace" },
    { "journal.sender", CONF_STR, "tlog-recd", 0, 0, NULL, "journal-sender",
      0, "USER", "Play only journal entries this user wrote (name or uid)" },
    { "es.baseurl", CONF_STR, "", 0, 0, NULL, "es-baseurl", 0, "URL",
      "Elasticsearch URL, up to _search" },
    { "es.query", CONF_STR, "", 0, 0, NULL, "es-query", 0, "QUERY",
      "Elasticsearch query string" },
    { "es.verbose", CONF_BOOL, "false", 0, 0, NULL, "es-verbose", 0, "BOOL",
      "Show Elasticsearch requests" },
    { "es.cacert", CONF_STR, "", 0, 0, NULL, "es-cacert", 0, "FILE",
      "CA certificates for an https Elasticsearch" },
    { "es.cert", CONF_STR, "", 0, 0, NULL, "es-cert", 0, "FILE",
      "Client certificate for Elasticsearch" },
    { "es.key", CONF_STR, "", 0, 0, NULL, "es-key", 0, "FILE",
      "Client certificate key for Elasticsearch" },
    { "speed", CONF_STR, "1", 0, 0, NULL, "speed", 's', "NUMBER",
      "Playback speed, 1/16 to 16" },
    { "follow", CONF_BOOL, "false", 0, 0, NULL, "follow", 'f', "BOOL",
      "Wait for and play what is added" },
    { "goto", CONF_STR, "", 0, 0, NULL, "goto", 'g', "TIME",
      "Fast-forward to start, end or [[HH:]MM:]SS[.sss]" },
    { "paused", CONF_BOOL, "false", 0, 0, NULL, "paused", 'p', "BOOL",
      "Start paused" },
    { "persist", CONF_BOOL, "false", 0, 0, NULL, "persist", 0, "BOOL",
      "Ignore the quit key and keyboard signals" },
    { "lax", CONF_BOOL, "false", 0, 0, NULL, "lax", 0, "BOOL",
      "Play on past missing messages and lines that are not messages" },
    { "max_idle", CONF_INT, "0", 0, 86400, NULL, "max-idle", 0, "SECONDS",
      "Play pauses longer than this as this long (0: as recorded)" },
    { "raw", CONF_BOOL, "false", 0, 0, NULL, "raw", 0, "BOOL",
      "Pass everything to the terminal, queries and clipboard included" },
    { "list", CONF_BOOL, "false", 0, 0, NULL, "list", 0, "BOOL",
      "List the recordings in the source and exit" },
    { "export", CONF_CHOICE, "none", 0, 0, exports, "export", 0, "FORMAT",
      "Write the recording as asciicast or text and exit" },
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
    int action = 0, status = 1, rc;

    if (conf_new(keys, sizeof(keys) / sizeof(keys[0]), &c) < 0) {
        fprintf(stderr, PROG ": out of memory\n");
        return 1;
    }
    rc = conf_start(c, PROG, SYSCONFDIR "/tlog/tlog-play.conf",
                    "TLOG_PLAY_CONF_FILE", "TLOG_PLAY_CONF_TEXT", argc, argv,
                    &action);
    if (rc != 0) {
        status = rc;
        goto out;
    }
    if (conf_action(c, action, PROG,
                    "Usage: " PROG " [OPTION...]\n"
                    "Play back a recorded terminal session.\n",
                    "Keys: space or p pause, } and { double and halve the"
                    " speed, backspace 1x,\n. step, digits then G go to a"
                    " time (G alone: the end), left and right\narrows 10 s"
                    " back and forward, / search, ? help, q quit.",
                    stdout)) {
        status = 0;
        goto out;
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
