/*
 * Event assembly: audit records arrive one per line, records of
 * several events interleaved.  The assembler groups them by node and
 * serial and hands over each event once, whole: when its end-of-event
 * record arrives, when its type never has more than one record, when
 * the stream has moved on by the end-of-event timeout, when too many
 * events are open at once (the oldest goes), or at a flush.
 */
#ifndef ASSEMBLER_H
#define ASSEMBLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "buf.h"

/* Events open at once before the oldest is handed over */
#define ASSEMBLER_SLOTS 64
/* Bytes of record text kept for one event; the rest is counted */
#define ASSEMBLER_EVENT_MAX (8u << 20)
/* Seconds after which an open event is taken as complete */
#define ASSEMBLER_TIMEOUT 2

struct assembler_event {
    char node[RECORD_NODE_MAX + 1];   /* "" if none */
    uint64_t serial;
    int64_t sec;
    unsigned ms;
    struct buf text;        /* the records, each ending in '\n' */
    size_t records;         /* records in text */
    size_t lost;            /* records past ASSEMBLER_EVENT_MAX */
    uint64_t seq;           /* arrival order */
    char damage[192];       /* the first damaged record's problem, or "" */
    bool used;
};

/* Called with each complete event; the event is reused after return */
typedef void (*assembler_fn)(void *data, const struct assembler_event *ev);

struct assembler;

/*
 * Make an assembler calling fn(data, event) for each event.  Stores it,
 * owned by the caller (free with assembler_free()), in *pa.  Returns 0,
 * or -ENOMEM with err filled.
 */
int assembler_new(assembler_fn fn, void *data, struct assembler **pa,
                  char *err, size_t errsz);

/* Free an assembler; open events are dropped (flush first).  NULL does
 * nothing. */
void assembler_free(struct assembler *a);

/*
 * Add the record line[0..n) (no newline) whose header is r, damaged as
 * damage says unless that is NULL.  May hand over events.  Returns 0,
 * or -ENOMEM with err filled.
 */
int assembler_add(struct assembler *a, const struct record *r,
                  const char *line, size_t n, const char *damage,
                  char *err, size_t errsz);

/* Hand over every open event, oldest first. */
void assembler_flush(struct assembler *a);

/* Number of events open */
size_t assembler_open(const struct assembler *a);

#endif
