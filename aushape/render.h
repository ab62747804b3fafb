/*
 * The renderer: one audit event, as libauparse holds it, laid out as a
 * JSON object in aushape's schema: "serial", "time", "node", "data" (one
 * key per record type, PATH records in item order, the EXECVE records'
 * argv joined again), and when needed "error", "text", "dropped" and
 * "trimmed".
 *
 * Under a size budget (--max-event-size) an event that comes out too
 * large is made again with its data cut: what ran (the syscall record
 * and argv) first, then the other records while they fit, each cut
 * listed in "trimmed"; when not even that fits, the header alone.
 */
#ifndef RENDER_H
#define RENDER_H

#include <auparse.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assembler.h"

/* Smallest --max-event-size: room for the header, error and notes */
#define RENDER_EVENT_MIN 1024

/* How events are laid out */
struct render_conf {
    size_t base;            /* nesting depth of each event: 0 or 1 */
    size_t fold;            /* --fold */
    size_t indent;          /* --indent */
    bool with_text;         /* --with-text */
    size_t max_event;       /* --max-event-size, SIZE_MAX: unlimited;
                               below RENDER_EVENT_MIN counts as that */
    bool no_cache;          /* interpret every field afresh (tests) */
};

struct render;

/*
 * Make a renderer with the settings in conf (copied).  Stores it, owned
 * by the caller (free with render_free()), in *pr.  Returns 0, or
 * -ENOMEM with err filled.
 */
int render_new(const struct render_conf *conf, struct render **pr,
               char *err, size_t errsz);

/* Free a renderer; NULL does nothing. */
void render_free(struct render *r);

/*
 * Lay out the event au holds, whose time stamp is e.  ev is the
 * assembled event it was parsed from (its raw text, records lost to the
 * size bound, damage found in its records), or NULL if not known.
 * dropped, if not 0, is written as the number of events dropped before
 * this one.  Returns 0 with the JSON (no newline) in *json and *len,
 * owned by the renderer and valid until its next call, or a negative
 * errno value (-ENOMEM) with err filled.
 */
int render_event(struct render *r, auparse_state_t *au, const au_event_t *e,
                 const struct assembler_event *ev, uint64_t dropped,
                 const uint8_t **json, size_t *len, char *err, size_t errsz);

/*
 * Lay out an event of its own for line[0..n), which is no audit record
 * for the reason why: serial 0, the current time, the error and the
 * line's text.  Returns as render_event().
 */
int render_bad_line(struct render *r, const char *line, size_t n,
                    const char *why, uint64_t dropped, const uint8_t **json,
                    size_t *len, char *err, size_t errsz);

#endif
