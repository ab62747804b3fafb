/*
 * Where the player's packets come from: the messages of one recording,
 * read from a file (or standard input) or the systemd journal, decoded
 * in order.
 */
#ifndef SRC_H
#define SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "msg.h"
#include "pkt.h"

struct src;

/*
 * Open the recordings file path ("-": standard input).  match picks a
 * recording by id; without one, a file holding several recordings is an
 * error listing them.  lax lets id gaps through and skips lines that are
 * not messages (see src_note()); without it such a line stops playing
 * there with an error, one cut short at the end of the file included.
 * Stores the source in *ps.  Returns 0 or a negative errno value with
 * err filled.
 */
int src_open_file(const char *path, const char *match, bool lax,
                  struct src **ps, char *err, size_t errsz);

/* What to read from the systemd journal */
struct src_journal {
    const char *matches;    /* FIELD=VALUE, OR, AND; newline-separated */
    uint64_t since;         /* seconds since the epoch; 0: the start */
    uint64_t until;         /* 0: no end */
    const char *ns;         /* a journal namespace, or NULL */
    const char *sender;     /* the user (name or uid) whose entries are
                               played: the recording agent's */
};

/*
 * Open the recording selected by journal matches; several recordings
 * matching is an error listing them.  Only entries the journal stamped
 * with the sender's uid (_UID) are read; the others are skipped and
 * counted (see src_note()).  Returns 0 or a negative errno value with
 * err filled.
 */
int src_open_journal(const struct src_journal *jc, bool lax, struct src **ps,
                     char *err, size_t errsz);

/*
 * As src_list_file(), for the recordings of the sender's entries
 * matching in the journal.  note gets a line saying how many entries
 * came from other uids, or "" if none did.
 */
int src_list_journal(const struct src_journal *jc, FILE *out, char *note,
                     size_t notesz, char *err, size_t errsz);

/* What to read from Elasticsearch */
struct src_es {
    const char *baseurl;    /* .../INDEX/_search */
    const char *query;      /* query-string syntax, naming one recording */
    bool verbose;
    const char *userpwd;    /* USER:PASSWORD, or NULL */
    const char *cacert;
    const char *cert;
    const char *key;
};

/*
 * Open the recording the query selects, read in pages of 10000 documents
 * sorted by id (search_after, so no 10000-document ceiling).  Several
 * recordings matching is an error listing them.  Returns 0 or a negative
 * errno value with err filled (Elasticsearch's own reason included).
 */
int src_open_es(const struct src_es *ec, bool lax, struct src **ps,
                char *err, size_t errsz);

/*
 * As src_list_file(), from one aggregation over the matching documents;
 * how each recording ends comes from its lowest and highest id, its
 * number of documents, and the x_tlog_end of its last document.
 */
int src_list_es(const struct src_es *ec, FILE *out, char *note,
                size_t notesz, char *err, size_t errsz);

/* Follow the source as it grows (see reader_follow()) */
void src_follow(struct src *s, bool follow);

/*
 * The next packet, its data valid until the next call.  Returns 1, 0 at
 * the end (for now, when following), or a negative errno value with err
 * filled.
 */
int src_next(struct src *s, struct pkt *p, char *err, size_t errsz);

/* Start again from the recording's beginning */
int src_rewind(struct src *s, char *err, size_t errsz);

/* A descriptor readable when more may have come, or -1 */
int src_wait_fd(struct src *s);
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

/*
 * Print one line per recording in the file: id, user, host, audit
 * session, start time, duration, messages, and how it ended ("end exit
 * 0", "end signal SIGHUP", "end agent stopped", "end recorder lost after
 * N", or "end cut short").  Lines that are not messages are left out;
 * note gets one line naming each (or "").  Returns 0 or a negative errno
 * value with err filled.
 */
int src_list_file(const char *path, FILE *out, char *note, size_t notesz,
                  char *err, size_t errsz);

#endif
