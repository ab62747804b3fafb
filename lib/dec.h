/*
 * The recording decoder: takes the messages of one recording in order
 * and gives back its packets, checking what a player must be able to
 * trust.  Strict by default: a message id that skips (lost messages), a
 * position that goes back in time, a malformed timing string, counts past
 * the text or bytes, text left over, or a message of another recording
 * is an error.  Lax mode lets id gaps through.
 */
#ifndef DEC_H
#define DEC_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"
#include "pkt.h"

struct dec;

/* Create a decoder; store it in *pd (free with dec_free()).  0 or -ENOMEM */
int dec_new(bool lax, struct dec **pd);

/* dec_free(NULL) does nothing */
void dec_free(struct dec *d);

/*
 * Take the next message json[0..len).  where names its place for
 * errors (for example "rec.json line 12"); it is copied.  The previous
 * message's packets must all have been read.  Returns 0, 1 if the
 * message belongs to a recording other than the one matched (skipped),
 * or a negative errno value with err saying where, what field, what is
 * wrong, and how to go on where there is a way.
 */
int dec_feed(struct dec *d, const char *json, size_t len, const char *where,
             char *err, size_t errsz);

/*
 * Decode only the recording rec (a copy is kept); messages of others are
 * skipped: dec_feed() returns 1 for them.  NULL or "" decodes whatever
 * comes, and a second recording is an error.
 */
int dec_set_match(struct dec *d, const char *rec);

/*
 * Forget the messages taken so far, as for a new recording from its
 * start; the lax mode and the match stay.
 */
void dec_reset(struct dec *d);

/*
 * Give the next packet of the current message in *p; its data stays
 * valid until the next call.  Returns 1 for a packet, 0 when the message
 * is used up, or -EINVAL with err filled.  Packet times are positions
 * from the recording's start.
 */
int dec_next(struct dec *d, struct pkt *p, char *err, size_t errsz);

/* The current message's fields (host, rec, user, id, ...) */
const struct msg *dec_msg(const struct dec *d);

#endif
