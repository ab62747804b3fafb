/*
 * The converter: audit log text in, one JSON object per audit event
 * out, in aushape's schema.  Lines are grouped into events (assembler),
 * each event is parsed and interpreted by libauparse, and the result is
 * laid out with jsonfmt.  Lines that are not audit records, damaged
 * records, and unknown types do not stop the conversion: the event
 * carries an "error" and its raw text.
 */
#ifndef CONV_H
#define CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest input line; longer ones are cut and reported */
#define CONV_LINE_MAX (64u << 10)
/* Smallest --max-event-size: room for the header, error and notes */
#define CONV_EVENT_MIN 1024

struct conv_opts {
    size_t base;            /* nesting depth of each event: 0 or 1 */
    size_t fold;            /* --fold */
    size_t indent;          /* --indent */
    bool with_text;         /* --with-text */
    size_t max_event;       /* --max-event-size, SIZE_MAX: unlimited */
    bool no_cache;          /* interpret every field afresh (tests) */
};

/*
 * Receives each event, n bytes of JSON at p, no newline.  Returns 0 if
 * the event was taken, -ENOBUFS if it had to be dropped (it is counted
 * and the next event taken says how many were dropped before it), or
 * another negative errno value to stop the conversion.
 */
typedef int (*conv_out_fn)(void *data, const uint8_t *p, size_t n);

struct conv;

/*
 * Create a converter writing through out(data, ...).  Returns 0 and
 * the converter in *pc (free with conv_free()), or -ENOMEM, or -EIO if
 * libauparse cannot be set up.
 */
int conv_new(struct conv **pc, const struct conv_opts *o,
             conv_out_fn out, void *data);

/*
 * Tell the converter to ask full(data) before formatting each event: a
 * true answer drops the event (counted as out() refusing it) without
 * the cost of formatting it.
 */
void conv_set_full(struct conv *c, bool (*full)(void *data));

/* Free a converter; NULL does nothing.  Open events are not flushed. */
void conv_free(struct conv *c);

/*
 * Feed n bytes of input (any split).  Complete events go out during the
 * call.  Returns 0 or the first error out() returned besides -ENOBUFS.
 */
int conv_feed(struct conv *c, const void *p, size_t n);

/*
 * Write out everything pending: the partial last line (as a record)
 * and every open event.  For the end of input, or when input has been
 * quiet for the end-of-event timeout.  Returns as conv_feed().
 */
int conv_flush(struct conv *c);

/* Events open or a partial line pending */
bool conv_pending(const struct conv *c);

/* Events dropped so far */
uint64_t conv_dropped(const struct conv *c);

#endif
