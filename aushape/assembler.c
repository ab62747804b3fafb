/*
 * Event assembly.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assembler.h"

struct assembler {
    struct assembler_event slot[ASSEMBLER_SLOTS];
    size_t open;            /* used slots */
    uint64_t seq;
    int64_t newest;         /* newest record time seen */
    assembler_fn fn;
    void *data;
};

/* Set up an assembler calling fn(data, event) for each event. */
void assembler_init(struct assembler *a, assembler_fn fn, void *data);

int
assembler_new(assembler_fn fn, void *data, struct assembler **pa,
              char *err, size_t errsz)
{
    struct assembler *a = calloc(1, sizeof(*a));
    size_t i;

    if (a == NULL) {
        snprintf(err, errsz, "out of memory for the event assembler");
        return -ENOMEM;
    }
    for (i = 0; i < ASSEMBLER_SLOTS; i++) {
        buf_init(&a->slot[i].text, ASSEMBLER_EVENT_MAX);
    }
    a->fn = fn;
    a->data = data;
    *pa = a;
    return 0;
}

void
assembler_free(struct assembler *a)
{
    size_t i;

    if (a == NULL) {
        return;
    }
    for (i = 0; i < ASSEMBLER_SLOTS; i++) {
        buf_fini(&a->slot[i].text);
    }
    free(a);
}

size_t
assembler_open(const struct assembler *a)
{
    return a->open;
}

/* Hand over one event and free its slot */
static void
emit(struct assembler *a, struct assembler_event *e)
{
    a->fn(a->data, e);
    e->used = false;
    e->text.len = 0;
    /* Do not keep a huge event's memory for the next one */
    if (e->text.cap > 65536) {
        buf_fini(&e->text);
    }
    a->open--;
}

/* The open event with the smallest arrival number, or NULL */
static struct assembler_event *
oldest(struct assembler *a)
{
    struct assembler_event *o = NULL;
    size_t i;

    for (i = 0; i < ASSEMBLER_SLOTS; i++) {
        struct assembler_event *e = &a->slot[i];

        if (e->used && (o == NULL || e->seq < o->seq)) {
            o = e;
        }
    }
    return o;
}

void
assembler_flush(struct assembler *a)
{
    struct assembler_event *e;

    while ((e = oldest(a)) != NULL) {
        emit(a, e);
    }
}

/* Hand over, oldest first, events the stream has left behind */
static void
expire(struct assembler *a)
{
    for (;;) {
        struct assembler_event *o = NULL;
        size_t i;

        for (i = 0; i < ASSEMBLER_SLOTS; i++) {
            struct assembler_event *e = &a->slot[i];

            if (e->used && e->sec + ASSEMBLER_TIMEOUT < a->newest &&
                (o == NULL || e->seq < o->seq)) {
                o = e;
            }
        }
        if (o == NULL) {
            return;
        }
        emit(a, o);
    }
}

static bool
same(const struct assembler_event *e, const struct record *r)
{
    size_t nl = r->node == NULL ? 0 : r->node_len;

    return e->serial == r->serial && e->sec == r->sec && e->ms == r->ms &&
           strlen(e->node) == nl &&
           (nl == 0 || memcmp(e->node, r->node, nl) == 0);
}

int
assembler_add(struct assembler *a, const struct record *r, const char *line,
              size_t n, const char *damage, char *err, size_t errsz)
{
    struct assembler_event *e = NULL;
    struct assembler_event *free_slot = NULL;
    size_t i;
    int rc;

    if (r->sec > a->newest) {
        a->newest = r->sec;
        expire(a);
    }
    for (i = 0; i < ASSEMBLER_SLOTS; i++) {
        struct assembler_event *s = &a->slot[i];

        if (s->used && same(s, r)) {
            e = s;
            break;
        }
        if (!s->used && free_slot == NULL) {
            free_slot = s;
        }
    }
    if (r->type_num == AUDIT_EOE) {
        /* The end of an event; one never seen has nothing to end */
        if (e != NULL) {
            emit(a, e);
        }
        return 0;
    }
    if (e == NULL) {
        if (free_slot == NULL) {
            free_slot = oldest(a);
            emit(a, free_slot);
        }
        e = free_slot;
        e->used = true;
        e->seq = a->seq++;
        e->serial = r->serial;
        e->sec = r->sec;
        e->ms = r->ms;
        e->records = 0;
        e->lost = 0;
        e->damage[0] = '\0';
        memcpy(e->node, r->node == NULL ? "" : r->node,
               r->node == NULL ? 0 : r->node_len);
        e->node[r->node == NULL ? 0 : r->node_len] = '\0';
        a->open++;
    }
    if (damage != NULL && e->damage[0] == '\0') {
        snprintf(e->damage, sizeof(e->damage), "record %zu: %s",
                 e->records + e->lost, damage);
    }
    if (e->text.len + n + 1 > ASSEMBLER_EVENT_MAX) {
        e->lost++;
    } else {
        rc = buf_reserve(&e->text, n + 1);
        if (rc < 0) {
            snprintf(err, errsz, "out of memory for the records of event "
                     "%" PRIu64, r->serial);
            return rc;
        }
        memcpy(e->text.data + e->text.len, line, n);
        e->text.data[e->text.len + n] = '\n';
        e->text.len += n + 1;
        e->records++;
    }
    if (e->records + e->lost == 1 && record_single(r->type_num)) {
        emit(a, e);
    }
    return 0;
}
