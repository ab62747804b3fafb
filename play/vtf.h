/*
 * The playback safety filter.
 *
 * A recording is untrusted input: played to a terminal as it is, it can
 * make the terminal answer (device status and attribute queries, window
 * reports, DECRQSS and other DCS queries, colour queries), and those
 * answers arrive on the player's input as if the auditor typed them; it
 * can also read or set the clipboard (OSC 52).  The filter passes the
 * output through and drops exactly those sequences, ENQ and DECID.
 *
 * It reads the output the way a terminal's parser does: CAN and SUB
 * cancel a sequence, ESC and C1 controls (8-bit or in UTF-8) cut it
 * short and start anew, BEL ends an OSC.  Each sequence is held until it
 * is complete and played whole or not at all, so a sequence cut short
 * is never played, and the terminal is never left inside one the filter
 * thinks over.  Sequences split across writes are handled.
 */
#ifndef VTF_H
#define VTF_H

#include <stddef.h>
#include <stdint.h>

/* Longest control sequence kept whole; longer ones are dropped */
#define VTF_SEQ_MAX 4096

struct vtf;

/* Create a filter; stores it in *pf.  0 or -ENOMEM */
int vtf_new(struct vtf **pf);

/* vtf_free(NULL) does nothing */
void vtf_free(struct vtf *f);

/* Forget any sequence in progress (after a seek) */
void vtf_reset(struct vtf *f);

/*
 * Filter in[0..len) into out, which has room for len + VTF_SEQ_MAX
 * bytes.  Returns the number of bytes written to out.  Bytes of a
 * sequence not yet complete are held until it is.
 */
size_t vtf_filter(struct vtf *f, const uint8_t *in, size_t len, uint8_t *out);

/* Sequences dropped so far, those cut short included */
unsigned long vtf_dropped(const struct vtf *f);

#endif
