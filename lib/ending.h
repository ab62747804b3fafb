/*
 * How a recording ended.  The recorders end every recording with an end
 * message: the next id, no events, and "x_tlog_end" saying how the
 * session ended ({"exit":N}, {"signal":"SIGHUP"}, {"agent":"stopped"},
 * {"hangup":"terminal"}, {"session":"closed"}, {"session":"unrecorded"},
 * or, written later by the agent, {"recorder":"lost","after":N}).  A
 * recording is complete when its ids run 1, 2, ... N without a gap and
 * message N carries x_tlog_end, other than the agent's note of a dead
 * recorder; otherwise it was cut short.
 */
#ifndef ENDING_H
#define ENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Longest description of an end message ("cut short (recorder lost
 * after N)") */
#define ENDING_HOW_MAX 64

struct ending {
    bool started;           /* a message was taken */
    uint64_t last_id;
    bool gap;               /* the ids did not run 1, 2, 3, ... */
    uint64_t gap_after;     /* the first gap: the id before it, */
    uint64_t gap_next;      /* and the id after it */
    bool end_last;          /* the last message taken has x_tlog_end */
    char how[ENDING_HOW_MAX];   /* what it says: "exit 0", "signal SIGHUP",
                                   "agent stopped", "hangup terminal",
                                   "session closed", "session unrecorded",
                                   "cut short (recorder lost after N)" */
};

/* Start with no message taken */
void ending_init(struct ending *e);

/*
 * Take the next message of the recording: its id and its text
 * json[0..len), which must have parsed as a message.  Cheap for messages
 * without x_tlog_end (one memmem); those with it are parsed again.
 */
void ending_take(struct ending *e, uint64_t id, const char *json,
                 size_t len);

/*
 * Describe an x_tlog_end value in how ("exit 0", ...).  Returns false,
 * how untouched, if v is not an object; a form this player does not know
 * is described as "unknown".  Only plain names reach how, so a recording
 * cannot put control characters into a listing.
 */
bool ending_describe(struct json_object *v, char *how, size_t howsz);

/* Whether the messages taken make a complete recording */
bool ending_complete(const struct ending *e);

/* The --list value: e->how when complete or when it says why it is cut
 * short, else "cut short" (static) */
const char *ending_field(const struct ending *e);

/*
 * What the user should know about the recording rec once it has played:
 * that it was cut short, where and what that means, or that its
 * recorder was lost.  Fills note and returns true, or returns false with
 * note "" when there is nothing to say.
 */
bool ending_note(const struct ending *e, const char *rec, char *note,
                 size_t notesz);

#endif
