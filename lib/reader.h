/*
 * The message reader of files: recorded messages, one per line, from a
 * file or standard input.  It is the file kind of lib/src.h's sources,
 * beside the systemd journal and Elasticsearch, which are read there.
 */
#ifndef READER_H
#define READER_H

#include <stdbool.h>
#include <stddef.h>

struct reader;

/*
 * Open a file of messages, one per line; "-" is standard input.  Stores
 * the reader, owned by the caller (free with reader_free()), in *pr.
 * Returns 0 or a negative errno value with err naming the file and the
 * reason.
 */
int reader_open_file(const char *path, struct reader **pr,
                     char *err, size_t errsz);

/*
 * Read the next message: *json and *len give its text, *where its place
 * ("rec.json line 12"), both valid until the next call.  Blank lines are
 * skipped and the CR of a CRLF line end is dropped; a last line without
 * its newline is given as it is (see reader_cut()) unless following.
 * Returns 1, 0 at the end (when following, for as long as nothing more
 * has come), or a negative errno value with err filled (a read error, or
 * a line longer than MSG_LEN_MAX).
 */
int reader_read(struct reader *r, const char **json, size_t *len,
                const char **where, char *err, size_t errsz);

/*
 * Whether the line reader_read() gave last ended the file without a
 * newline: the writer stopped in the middle of it (a full disk, a crash),
 * or at least did not end it.  Such a line is often cut short.
 */
bool reader_cut(const struct reader *r);

/*
 * Follow a growing file: at its end, a last line without its newline is
 * not taken (the writer may be in the middle of it), and reader_read()
 * returns 0 each time nothing more is there yet.
 */
void reader_follow(struct reader *r, bool follow);

/*
 * Start again from the beginning.  Returns 0, or -ESPIPE with err filled
 * for a source that cannot go back (standard input).
 */
int reader_rewind(struct reader *r, char *err, size_t errsz);

/*
 * A descriptor that becomes readable when more may have come: for a file
 * an inotify descriptor watching it (-1 if none can be had: poll
 * instead), for standard input standard input itself.
 */
int reader_wait_fd(struct reader *r);

/* Consume the wake-ups of reader_wait_fd() */
void reader_waited(struct reader *r);

/* reader_free(NULL) does nothing */
void reader_free(struct reader *r);

#endif
