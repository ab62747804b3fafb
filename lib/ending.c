/*
 * How a recording ended.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ending.h"

#define END_KEY "\"x_tlog_end\""
/* How an end message written for a dead recorder is described */
#define LOST "cut short ("

void
ending_init(struct ending *e)
{
    memset(e, 0, sizeof(*e));
}

/* Whether s is a short plain name, safe to print anywhere */
static bool
plain(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++) {
        char c = s[n];

        if (n >= 32 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                         c == '+')) {
            return false;
        }
    }
    return n > 0;
}

bool
ending_describe(struct json_object *v, char *how, size_t howsz)
{
    struct json_object *a, *b;
    const char *s;

    if (v == NULL || !json_object_is_type(v, json_type_object)) {
        return false;
    }
    snprintf(how, howsz, "unknown");
    if (json_object_object_get_ex(v, "exit", &a) &&
        json_object_is_type(a, json_type_int)) {
        snprintf(how, howsz, "exit %" PRId64, json_object_get_int64(a));
    } else if (json_object_object_get_ex(v, "signal", &a) &&
               json_object_is_type(a, json_type_string) &&
               plain(s = json_object_get_string(a))) {
        snprintf(how, howsz, "signal %s", s);
    } else if (json_object_object_get_ex(v, "agent", &a) &&
               json_object_is_type(a, json_type_string) &&
               plain(s = json_object_get_string(a))) {
        snprintf(how, howsz, "agent %s", s);
    } else if (json_object_object_get_ex(v, "recorder", &a) &&
               json_object_is_type(a, json_type_string) &&
               plain(s = json_object_get_string(a))) {
        /* the agent ended it for a recorder that died: cut short */
        if (json_object_object_get_ex(v, "after", &b) &&
            json_object_is_type(b, json_type_int)) {
            snprintf(how, howsz, LOST "recorder %s after %" PRId64 ")", s,
                     json_object_get_int64(b));
        } else {
            snprintf(how, howsz, LOST "recorder %s)", s);
        }
    } else if (json_object_object_get_ex(v, "hangup", &a) &&
               json_object_is_type(a, json_type_string) &&
               plain(s = json_object_get_string(a))) {
        snprintf(how, howsz, "hangup %s", s);
    } else if (json_object_object_get_ex(v, "session", &a) &&
               json_object_is_type(a, json_type_string) &&
               plain(s = json_object_get_string(a))) {
        snprintf(how, howsz, "session %s", s);
    }
    return true;
}

/* The x_tlog_end of a message, described in e->how; false if none */
static bool
find_end(struct ending *e, const char *json, size_t len)
{
    const char *p = memmem(json, len, END_KEY, sizeof(END_KEY) - 1);
    struct json_tokener *tok;
    struct json_object *o, *v;
    bool found = false;

    /* Inside a string every quote is escaped, so this is a key; only
     * then is the message parsed as a whole (rarely: once a recording) */
    if (p == NULL) {
        return false;
    }
    tok = json_tokener_new();
    if (tok == NULL) {
        return false;
    }
    o = json_tokener_parse_ex(tok, json, (int)len);
    if (o != NULL && json_object_object_get_ex(o, "x_tlog_end", &v)) {
        found = ending_describe(v, e->how, sizeof(e->how));
    }
    json_object_put(o);
    json_tokener_free(tok);
    return found;
}

void
ending_take(struct ending *e, uint64_t id, const char *json, size_t len)
{
    if (!e->gap && id != (e->started ? e->last_id + 1 : 1)) {
        e->gap = true;
        e->gap_after = e->started ? e->last_id : 0;
        e->gap_next = id;
    }
    e->started = true;
    e->last_id = id;
    e->end_last = len < (size_t)INT32_MAX && find_end(e, json, len);
}

/* The end message says the recorder died */
static bool
lost(const struct ending *e)
{
    return strncmp(e->how, LOST, sizeof(LOST) - 1) == 0;
}

bool
ending_complete(const struct ending *e)
{
    return e->started && !e->gap && e->end_last && !lost(e);
}

const char *
ending_field(const struct ending *e)
{
    if (ending_complete(e) || (e->started && !e->gap && e->end_last)) {
        return e->how;      /* complete, or cut short with the reason */
    }
    return "cut short";
}

bool
ending_note(const struct ending *e, const char *rec, char *note,
            size_t notesz)
{
    int n = 0;

    if (notesz > 0) {
        note[0] = 0;
    }
    if (!e->started || notesz == 0) {
        return false;
    }
    if (ending_complete(e)) {
        return false;
    }
    if (!e->gap && e->end_last) {
        /* the agent closed the recording for a recorder that died */
        snprintf(note, notesz, "recording %s is %s: its recorder process"
                 " died before the session ended, and what it recorded"
                 " after that message was lost (look for why in the"
                 " recording host's logs: a kill, a crash, the machine"
                 " going down)", rec, e->how);
        return true;
    }
    if (e->gap) {
        n = e->gap_after == 0 && e->gap_next == 2 ?
            snprintf(note, notesz, "recording %s is cut short: message 1"
                     " is missing at its start", rec) :
            e->gap_after == 0 ?
            snprintf(note, notesz, "recording %s is cut short: messages"
                     " 1 to %" PRIu64 " are missing at its start", rec,
                     e->gap_next - 1) :
            snprintf(note, notesz, "recording %s is cut short: messages"
                     " are missing after message %" PRIu64 " (the next"
                     " is %" PRIu64 "; --lax played past the gap)", rec,
                     e->gap_after, e->gap_next);
        if (n < 0 || (size_t)n >= notesz || e->end_last) {
            return true;
        }
        snprintf(note + n, notesz - (size_t)n, ", and it has no end"
                 " message after message %" PRIu64, e->last_id);
        return true;
    }
    snprintf(note, notesz, "recording %s is cut short: it has no end"
             " message after message %" PRIu64 ": its recorder was killed"
             " or its machine went down before the session ended, or the"
             " last messages were lost on the way (check the recording"
             " host's logs and the store); recordings made by other"
             " recorders, such as the reference tlog, have no end message",
             rec, e->last_id);
    return true;
}
