/*
 * Where the players' packets come from: the messages of one recording,
 * read from a file (or standard input), the systemd journal or
 * Elasticsearch, decoded in order; and what recordings a source holds.
 */
#ifndef SRC_H
#define SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ending.h"
#include "msg.h"
#include "pkt.h"

struct src;

/* The kinds of source a recording is read from */
enum src_kind {
    SRC_FILE,       /* a file of messages, one per line, or standard input */
    SRC_JOURNAL,    /* the systemd journal */
    SRC_ES,         /* Elasticsearch */
};

/* What to read from a file */
struct src_file_conf {
    const char *path;       /* "-": standard input */
    const char *match;      /* the id of the recording to play, or NULL:
                               a file holding several is an error listing
                               them */
};

/* What to read from the systemd journal */
struct src_journal_conf {
    const char *matches;    /* FIELD=VALUE, OR, AND; newline-separated */
    uint64_t since;         /* seconds since the epoch; 0: the start */
    uint64_t until;         /* 0: no end */
    const char *ns;         /* a journal namespace, or NULL */
    const char *sender;     /* the user (name or uid) whose entries are
                               played: the recording agent's */
};

/* What to read from Elasticsearch */
struct src_es_conf {
    const char *baseurl;    /* .../INDEX/_search; several, for the nodes
                               of a cluster, separated by commas (see
                               es.h) */
    const char *query;      /* query-string syntax, naming one recording */
    const char *filter;     /* an Elasticsearch query (JSON text) every
                               document read must match as well, or NULL:
                               what a reader may see of the recording */
    bool verbose;           /* libcurl's trace on stderr */
    const char *userpwd;    /* USER:PASSWORD, or NULL */
    const char *cacert;     /* CA file for https, or NULL */
    const char *cert;       /* client certificate, or NULL */
    const char *key;        /* its key, or NULL */
    int first_page;         /* documents in the first page asked for, so
                               that the first ones come sooner; 0: 1000
                               (the pages after it hold about 4 MB) */
};

/* A source: kind says which of file, journal and es is read; the others
 * are not looked at */
struct src_conf {
    enum src_kind kind;
    bool lax;               /* play on past id gaps and lines that are not
                               messages (see src_note()); without it such
                               a line stops playing there with an error,
                               one cut short at the end of a file too */
    struct src_file_conf file;
    struct src_journal_conf journal;
    struct src_es_conf es;
};

/*
 * Open the one recording the source holds or its configuration picks.
 * A file is read once first to check that; the journal entries played
 * are only those stamped with the sender's uid (_UID), the others are
 * skipped and counted (see src_note()); Elasticsearch is read in pages
 * sorted by id (search_after, so no 10000-document ceiling).  Several
 * recordings matching, where nothing picks one, is an error listing
 * them.  Stores the source, freed with src_free(), in *ps.  Returns 0 or
 * a negative errno value with err filled (Elasticsearch's own reason
 * included).  conf is not kept.
 */
int src_open(const struct src_conf *conf, struct src **ps, char *err,
             size_t errsz);

/* One recording a source holds, as src_list() finds it */
struct src_rec {
    char *rec;              /* its id */
    char *host;
    char *user;
    uint32_t session;       /* audit session; 0 when not read */
    int64_t start_ms;       /* wall clock of its start, ms since the
                               epoch, or -1 when not known */
    uint64_t first_pos;     /* ms, the earliest message position (0 but
                               where the first messages are left out) */
    uint64_t end_pos;       /* ms, the latest message position */
    uint64_t messages;
    struct ending end;      /* how it ends (ending_field() says it) */
};

/*
 * The recordings the source holds: for a file and the journal from
 * reading every message, for Elasticsearch from one aggregation over the
 * matching documents (how each recording ends then comes from its lowest
 * and highest id, its number of documents and the x_tlog_end of its last
 * one).  file.match and conf->lax are not looked at.  Stores a malloc'ed
 * array, freed with src_recs_free(), in *recs and its length in *n.
 * note gets what was left out, one line each: lines that are not
 * messages, journal entries of other uids than the sender's; or "".
 * Returns 0 or a negative errno value with err filled.
 */
int src_list(const struct src_conf *conf, struct src_rec **recs, size_t *n,
             char *note, size_t notesz, char *err, size_t errsz);

/* Free what src_list() stored; (NULL, 0) does nothing */
void src_recs_free(struct src_rec *recs, size_t n);

/*
 * Print one line for r: id, user, host, audit session, start time,
 * duration, messages, and how it ended ("end exit 0", "end signal
 * SIGHUP", "end agent stopped", "end recorder lost after N", or "end cut
 * short").
 */
void src_rec_print(FILE *out, const struct src_rec *r);

/*
 * Follow the source as it grows: at its end src_next() returns 0, and
 * again later, instead of ending the pass.  A file's last line without
 * its newline is then not taken yet (see reader_follow()); the journal
 * and Elasticsearch are asked again for what came after.
 */
void src_follow(struct src *s, bool follow);

/*
 * The next packet, its data valid until the next call.  Returns 1, 0 at
 * the end (for now, when following), or a negative errno value with err
 * filled.
 */
int src_next(struct src *s, struct pkt *p, char *err, size_t errsz);

/*
 * Start again from the recording's beginning.  Returns 0, or a negative
 * errno value with err filled (standard input cannot go back).
 */
int src_rewind(struct src *s, char *err, size_t errsz);

/*
 * A descriptor readable when more may have come: a file's (see
 * reader_wait_fd()), the journal's; or -1 where there is none to wait
 * on (Elasticsearch, a file inotify cannot watch): poll with a timeout.
 */
int src_wait_fd(struct src *s);

/* Take note that the descriptor of src_wait_fd() woke the caller */
void src_waited(struct src *s);

/*
 * What the user should know once the recording has played, one line
 * each: how many journal entries for it came from another uid than the
 * sender's and were skipped, which lines --lax skipped as no messages
 * (both in the pass that read furthest), and, if a pass read to the end,
 * whether the recording was cut short (see ending.h) or its recorder was
 * lost.  Fills note and returns true, or returns false with note "" when
 * there is nothing to say.
 */
bool src_note(const struct src *s, char *note, size_t notesz);

/*
 * Whether the recording was cut short: no end message after its last
 * message, or ids missing.  Known only once a pass read to the end of
 * the source (not when following); false before.
 */
bool src_cut_short(const struct src *s);

/* The header fields of the last message read (term, host, ...) */
const struct msg *src_msg(const struct src *s);

/* src_free(NULL) does nothing */
void src_free(struct src *s);

#endif
