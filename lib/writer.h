/*
 * Message writers: where recorded messages go.  One interface for every
 * destination; a file for now.
 */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>
#include <stdint.h>

struct writer;

/*
 * Open path for appending messages, one per line, creating it with mode
 * 0600.  Stores the writer, owned by the caller, in *pw.  Returns 0 or a
 * negative errno value with err naming the file and the reason.
 */
int writer_open_file(const char *path, struct writer **pw,
                     char *err, size_t errsz);

/*
 * Write one message json[0..len) with id.  Returns 0 or a negative errno
 * value; writer_error() then says what failed.
 */
int writer_write(struct writer *w, const char *json, size_t len, uint64_t id);

/* The last error as text ("rec.json: write failed: No space left") */
const char *writer_error(const struct writer *w);

/* An enc_emit_fn that writes to the struct writer in ctx */
int writer_emit(void *ctx, const char *json, size_t len, uint64_t id);

/* writer_free(NULL) does nothing */
void writer_free(struct writer *w);

#endif
