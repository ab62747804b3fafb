/*
 * Message writers: where recorded messages go.  One interface for every
 * destination: a file, a syslog socket, or the systemd journal.
 */
#ifndef WRITER_H
#define WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct writer;

/*
 * Open path for appending messages, one per line, creating it with mode
 * 0600.  Each line is written whole or not at all: a write that fails
 * part way (a full disk) is taken back, under an flock(2) held for the
 * write, so a retry later starts a line of its own.  Stores the writer,
 * owned by the caller, in *pw.  Returns 0 or a negative errno value with
 * err naming the file and the reason.
 */
int writer_open_file(const char *path, struct writer **pw,
                     char *err, size_t errsz);

/* The syslog writer's settings */
struct writer_syslog_conf {
    const char *socket;     /* datagram socket path, e.g. /dev/log */
    const char *ident;      /* program name in each line */
    int facility;           /* LOG_AUTHPRIV and the like */
    int priority;           /* LOG_INFO and the like */
};

/*
 * Send messages to a syslog daemon's datagram socket, one datagram per
 * message.  Sending never blocks: a full or absent daemon is an error
 * the caller sees (-EAGAIN, -ECONNREFUSED, -ENOENT), unlike syslog(3).
 */
int writer_open_syslog(const struct writer_syslog_conf *sc,
                       struct writer **pw, char *err, size_t errsz);

/* The journal writer's settings */
struct writer_journal_conf {
    int priority;           /* LOG_INFO and the like */
    const char *ident;      /* SYSLOG_IDENTIFIER */
    bool augment;           /* add TLOG_REC, TLOG_USER, TLOG_SESSION, TLOG_ID */
    const char *rec;
    const char *user;
    unsigned int session;
};

/* Send messages to the systemd journal as MESSAGE= fields */
int writer_open_journal(const struct writer_journal_conf *jc,
                        struct writer **pw, char *err, size_t errsz);

/* Map a syslog facility or priority name ("authpriv", "info") to its
 * value; -1 if unknown.  The name lists for configuration tables: */
int writer_facility(const char *name);
int writer_priority(const char *name);
extern const char *const writer_facility_names[];
extern const char *const writer_priority_names[];

/*
 * Write one message json[0..len) with id.  Returns 0 or a negative errno
 * value; writer_error() then says what failed.
 */
int writer_write(struct writer *w, const char *json, size_t len, uint64_t id);

/*
 * Whether the destination has surely taken every message written: a
 * syslog daemon has read them all from its socket, quiet_ms have passed
 * since the last one (time to put them in its queues), and it is still
 * the daemon they were sent to.  1 yes, 0 not yet, -EAGAIN when it was
 * stopped or started again since (write them again).  Other writers
 * return 1.
 */
int writer_settled(struct writer *w, unsigned int quiet_ms);

/*
 * Call fn with each message a syslog writer keeps because its daemon may
 * not have taken it yet (the last ones sent, and every one it has not
 * read), oldest first; stops at fn's first negative value and returns
 * it, else 0.
 */
int writer_each_unsettled(const struct writer *w,
                          int (*fn)(void *ctx, const char *json,
                                    size_t len, uint64_t id), void *ctx);

/* The last error as text ("rec.json: write failed: No space left") */
const char *writer_error(const struct writer *w);

/* An enc_emit_fn that writes to the struct writer in ctx */
int writer_emit(void *ctx, const char *json, size_t len, uint64_t id);

/* writer_free(NULL) does nothing */
void writer_free(struct writer *w);

#endif
