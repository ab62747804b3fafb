/*
 * The snapshot index of one recording, built as its events are read.
 *
 * The caller hands over every event of the recording in order (output,
 * window changes, and input, which only counts); each gets the next
 * sequence number, 0 for the first.  Output and window changes run
 * through a terminal (struct vt); after an event, once interval_ms of
 * recording time or bytes of output (or size_factor times the last
 * snapshot's size, if more) have passed since the last snapshot, a
 * snapshot is taken.  A snapshot at position 0, sequence 0,
 * holds the blank screen before any event.
 *
 * A snapshot's seq is the sequence number of the first event after it:
 * to show the screen at time T, write the snapshot snap_find(T) into a
 * terminal of its size, then play the events numbered seq and on whose
 * position is at most T.
 *
 * A snapshot waits, past its threshold, for the end of an escape
 * sequence or UTF-8 character that the output has left open.
 */
#ifndef SNAP_H
#define SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "vt.h"

#define SNAP_INTERVAL_MS_DEFAULT 5000
#define SNAP_BYTES_DEFAULT 16384

/* Longest snapshot string kept; larger ones fail with -EMSGSIZE */
#define SNAP_ESC_MAX (32u << 20)
/* Longest screen text kept */
#define SNAP_TEXT_MAX (8u << 20)

struct snap_conf {
    uint64_t interval_ms;   /* 0: no snapshot on time alone */
    size_t bytes;           /* 0: no snapshot on output size alone */
    unsigned size_factor;   /* with bytes: the output waited for is at
                               least this many times the last snapshot's
                               size, so that snapshots hold at most
                               about 1/size_factor of the output they
                               cover (large windows); 0: bytes alone */
    int rows, cols;         /* the window before the first window event */
};

/* One snapshot; owned by its struct snap */
struct snap_entry {
    uint64_t pos_ms;        /* the recording's time it shows */
    uint64_t seq;           /* number of the first event after it */
    int rows, cols;         /* the window size it needs */
    char *esc;              /* escape sequences recreating the screen */
    size_t esc_len;
    char *text;             /* the screen's text (see vt_text()) */
    size_t text_len;
};

struct snap;

/*
 * Fill *conf with the defaults: 5000 ms, 16384 bytes, no size factor,
 * 24 x 80.
 */
void snap_conf_default(struct snap_conf *conf);

/*
 * Start an index; stores it in *ps, owned by the caller (snap_free()).
 * The window size is limited to 1..VT_DIM_MAX.  Returns 0, -EINVAL
 * for a size out of range, or -ENOMEM.
 */
int snap_new(const struct snap_conf *conf, struct snap **ps);

/* snap_free(NULL) does nothing */
void snap_free(struct snap *s);

/*
 * An output event at pos_ms (ms from the recording's start) of len
 * bytes.  Positions never go back.  Returns 0, -EINVAL for a position
 * earlier than the previous event's (nothing done, no number used),
 * -ENOMEM or -EMSGSIZE when a snapshot could not be kept (the event
 * counts: the index lacks that snapshot only).
 */
int snap_add_output(struct snap *s, uint64_t pos_ms, const uint8_t *data,
                    size_t len);

/*
 * A window change event to rows x cols.  A size of 0 in either (no size
 * known) leaves the terminal as it is; a size past VT_DIM_MAX is cut to
 * it.  Returns as snap_add_output().
 */
int snap_add_window(struct snap *s, uint64_t pos_ms, int rows, int cols);

/*
 * An input event: counted, not shown.  Returns 0 or -EINVAL as
 * snap_add_output().
 */
int snap_add_input(struct snap *s, uint64_t pos_ms);

/* Number of snapshots (at least 1) */
size_t snap_count(const struct snap *s);

/* Snapshot i (0 to snap_count() - 1), or NULL past the end */
const struct snap_entry *snap_get(const struct snap *s, size_t i);

/*
 * The index of the last snapshot at or before pos_ms: the one to seek
 * from (0, the blank screen, when none is later).
 */
size_t snap_find(const struct snap *s, uint64_t pos_ms);

/* Events seen so far: the sequence number the next one gets */
uint64_t snap_events(const struct snap *s);

/* Bytes of memory the index holds, its terminal included roughly */
size_t snap_memory(const struct snap *s);

/* The terminal the index runs (owned by s), e.g. for the live screen */
struct vt *snap_vt(struct snap *s);

#endif
