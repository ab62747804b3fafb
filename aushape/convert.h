/*
 * The converter: audit log text in, one JSON object per audit event
 * out.  Input is cut into lines; each line's header is read (record),
 * records are grouped into events (assembler), each whole event is
 * parsed and interpreted by libauparse and laid out by the renderer
 * (render).  Lines that are not audit records, damaged records and
 * unknown types do not stop the conversion: the event carries an
 * "error" and its raw text.
 */
#ifndef CONVERT_H
#define CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "render.h"

/* Longest input line; longer ones are cut and reported */
#define CONVERT_LINE_MAX (64u << 10)

/*
 * Receives each event, n bytes of JSON at p, no newline.  Returns 0 if
 * the event was taken, -ENOBUFS if it had to be dropped (it is counted
 * and the next event taken says how many were dropped before it), or
 * another negative errno value, with err filled, to stop the
 * conversion.
 */
typedef int (*convert_out_fn)(void *data, const uint8_t *p, size_t n,
                              char *err, size_t errsz);

struct convert;

/*
 * Make a converter laying events out as conf says (copied) and writing
 * them through out(data, ...).  Stores it, owned by the caller (free
 * with convert_free()), in *pc.  Returns 0, or a negative errno value
 * (-ENOMEM, or -EIO if libauparse cannot be set up) with err filled.
 */
int convert_new(const struct render_conf *conf, convert_out_fn out,
                void *data, struct convert **pc, char *err, size_t errsz);

/*
 * Make the converter ask full(data) before parsing each event, and
 * again before laying it out: a true answer drops the event (counted as
 * out() refusing it) without the cost of what is left to do.
 */
void convert_set_full(struct convert *c, bool (*full)(void *data));

/* Free a converter; NULL does nothing.  Open events are not flushed. */
void convert_free(struct convert *c);

/*
 * Feed n bytes of input (any split).  Complete events go out during the
 * call.  Returns 0, or the first error that stopped the conversion (out()
 * failing other than with -ENOBUFS, or memory running out) with err
 * filled; every later call returns it again, with err filled again.
 */
int convert_feed(struct convert *c, const void *p, size_t n,
                 char *err, size_t errsz);

/*
 * Write out everything pending: the partial last line (as a record)
 * and every open event.  For the end of input, or when input has been
 * quiet for the end-of-event timeout.  Returns as convert_feed().
 */
int convert_flush(struct convert *c, char *err, size_t errsz);

/* Whether events are open or a partial line is pending */
bool convert_pending(const struct convert *c);

/* Events dropped so far */
uint64_t convert_dropped(const struct convert *c);

#endif
