/*
 * Random access into a recording: the snapshot index of one recording
 * (host, rec) read once from Elasticsearch, and its segments.
 *
 * The index is built in a thread of its own, reading the recording's
 * messages in id order through lib/src and running every packet through
 * a struct snap.  For each snapshot it keeps a mark: the message id and
 * packet number (within that message) of the first event after it.
 * Segment i is snapshot i and the events from its mark up to the next
 * snapshot's mark, read again from Elasticsearch by id range when asked
 * for (segment 0's events are kept by the build instead, up to a
 * bound: the first screen needs no second read); it can be served once
 * that next mark is known, so the first segments are there long before
 * the whole recording is read.  The recording's x_tlog_drop notes are
 * searched for once segment 0 is known.
 *
 * Indexes are kept in a cache shared by the server's threads, bounded by
 * the memory their snapshots hold; the least recently used unreferenced
 * complete index goes first.  Who may see a recording is decided before
 * an index is asked for, and what it may see of it is given with it: an
 * index is kept for each (host, rec, filter).
 */
#ifndef TIMELINE_H
#define TIMELINE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Memory all cached indexes may hold together; one index alone that
 * grows past it stops with an error */
#define TIMELINE_CACHE_MAX (64u << 20)
/* Most indexes being built at once (each may hold up to the cache's
 * maximum until it is complete) */
#define TIMELINE_BUILDS_MAX 4
/* Most gap facts kept for one recording */
#define TIMELINE_GAPS_MAX 1000
/* Most bytes of event data in one segment answer */
#define TIMELINE_SEGMENT_BYTES_MAX (8u << 20)
/* Longest text looked for, and most times answered, by timeline_find() */
#define TIMELINE_FIND_TEXT_MAX 256
#define TIMELINE_FIND_RESULTS_MAX 100
/* Output between snapshots at least this many times the last one's
 * size (see snap.h): at a large window, a recording's snapshots hold
 * at most about half its output */
#define TIMELINE_SNAP_SIZE_FACTOR 2
/* Messages in the first page read for an index (the pages after it
 * hold about 4 MB): the first segment is known sooner */
#define TIMELINE_FIRST_PAGE 64
/* Most bytes and events of segment 0 kept by the build, so that the
 * first screen needs no second read (a longer segment is read again) */
#define TIMELINE_HEAD_BYTES_MAX (1u << 20)
#define TIMELINE_HEAD_EVENTS_MAX 65536
/* Most typed input before a segment given with it ("input_before"), and
 * most kept by the build for all of a recording's segments */
#define TIMELINE_INPUT_BEFORE_MAX 4096
#define TIMELINE_INPUT_MAX (4u << 20)
/* Longest a request waits for the index to reach what it asks for */
#define TIMELINE_WAIT_MS 20000

struct timeline_cache;
struct timeline;

/*
 * A cache reading recordings through search_urls (comma-separated
 * ".../INDEX/_search" URLs, see lib/src.h) and x_tlog_drop notes through
 * store, both kept, not owned.  Stores it in *pc (timeline_cache_free()).
 * 0 or -ENOMEM.
 */
int timeline_cache_new(const char *search_urls, struct store *store,
                       size_t max, struct timeline_cache **pc);

/* Stop every index being built and free them all; NULL does nothing */
void timeline_cache_free(struct timeline_cache *c);

/*
 * The index of (host, rec) made of the messages filter (an Elasticsearch
 * query as JSON text, or NULL: all) lets through, started if not cached
 * (or if its last build failed).  *cached tells whether it was there
 * already.  The caller holds a reference, given back with timeline_put().  0 or -ENOMEM,
 * -EAGAIN when TIMELINE_BUILDS_MAX indexes are being built or no thread
 * could be started.
 */
int timeline_get(struct timeline_cache *c, const char *host, const char *rec,
                 const char *filter, struct timeline **pt, bool *cached);

/* Give back a reference from timeline_get() */
void timeline_put(struct timeline_cache *c, struct timeline *t);

/*
 * The index as the API shows it: {"complete", "duration_ms", "rows",
 * "cols", "segments": [{"i", "pos_ms", "rows", "cols"}], "gaps": [...]},
 * after waiting up to wait_ms for the first segment.  *out is the
 * caller's.  0, or a negative errno value with err saying why (the read
 * of the recording failed).
 */
int timeline_index(struct timeline *t, int wait_ms, struct json_object **out,
                   char *err, size_t errsz);

/*
 * Segment i: {"i", "pos_ms", "rows", "cols", "snapshot", "events":
 * [[pos_ms, "o"|"i"|"r", data]]}, output and input as base64, window
 * changes as "COLSxROWS"; with_input, also "input_before": the last
 * TIMELINE_INPUT_BEFORE_MAX bytes typed before the segment, as base64,
 * and "input_before_cut": whether more was typed before them (input is
 * left out otherwise; past TIMELINE_INPUT_MAX bytes typed in all,
 * "input_before" is left out of the later segments).  Waits up to
 * wait_ms for the segment to be known.  0; -ENOENT when the recording
 * has no segment i; -EAGAIN when it is not read that far yet; another
 * negative errno value with err saying why.
 */
int timeline_segment(struct timeline *t, size_t i, bool with_input,
                     int wait_ms, struct json_object **out, char *err,
                     size_t errsz);

/*
 * The number of the segment holding position pos_ms, in *i, waiting up
 * to wait_ms for the index to pass it.  0; -EAGAIN when not read that
 * far yet; another negative errno value with err saying why.
 */
int timeline_seek(struct timeline *t, uint64_t pos_ms, int wait_ms,
                  size_t *i, char *err, size_t errsz);

/*
 * The positions of the snapshots whose screen shows text, and the end
 * of the recording if its last screen shows it, at most
 * TIMELINE_FIND_RESULTS_MAX: {"complete", "truncated", "matches":
 * [{"i", "pos_ms"}]} (i the segment holding pos_ms), over the part
 * indexed so far.
 */
int timeline_find(struct timeline *t, const char *text,
                  struct json_object **out);

/*
 * Each x_tlog_drop note of a search answer (owned by the caller; any
 * JSON is walked without harm) to fn with arg: the hit's pos and the
 * note's messages and bytes (0 where missing), in order.  Returns how
 * many.
 */
size_t timeline_walk_drops(struct json_object *answer,
                           void (*fn)(void *arg, uint64_t pos_ms,
                                      uint64_t messages, uint64_t bytes),
                           void *arg);

#endif
