/*
 * Bytes of output per stretch of time, in buckets whose width doubles as
 * the recording grows.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "activity.h"

struct activity {
    uint64_t width;                     /* ms */
    size_t used;                        /* buckets up to the last one
                                           counted in */
    uint64_t bytes[ACTIVITY_BUCKETS];
};

int
activity_new(struct activity **out)
{
    struct activity *a = calloc(1, sizeof(*a));

    if (a == NULL) {
        return -ENOMEM;
    }
    a->width = ACTIVITY_WIDTH_MIN_MS;
    *out = a;
    return 0;
}

void
activity_free(struct activity *a)
{
    free(a);
}

/* Twice as wide buckets: each pair added into one */
static void
widen(struct activity *a)
{
    size_t i;

    for (i = 0; i < ACTIVITY_BUCKETS / 2; i++) {
        a->bytes[i] = a->bytes[2 * i] + a->bytes[2 * i + 1];
    }
    for (; i < ACTIVITY_BUCKETS; i++) {
        a->bytes[i] = 0;
    }
    a->used = (a->used + 1) / 2;
    a->width *= 2;
}

void
activity_add(struct activity *a, uint64_t pos_ms, size_t bytes)
{
    uint64_t i;

    /* the width doubles at most 64 times: pos_ms / width shrinks */
    while ((i = pos_ms / a->width) >= ACTIVITY_BUCKETS) {
        widen(a);
    }
    a->bytes[i] += bytes;
    if (i + 1 > a->used) {
        a->used = (size_t)i + 1;
    }
}

uint64_t
activity_width(const struct activity *a)
{
    return a->width;
}

uint64_t
activity_bytes(const struct activity *a, size_t i)
{
    return i < a->used ? a->bytes[i] : 0;
}

struct json_object *
activity_json(const struct activity *a)
{
    struct json_object *o = json_object_new_object();
    struct json_object *b = json_object_new_array();
    size_t i;

    if (o == NULL || b == NULL) {
        json_object_put(o);
        json_object_put(b);
        return NULL;
    }
    for (i = 0; i < a->used; i++) {
        json_object_array_add(b, json_object_new_int64(
                              (int64_t)a->bytes[i]));
    }
    json_object_object_add(o, "bucket_ms",
                           json_object_new_int64((int64_t)a->width));
    json_object_object_add(o, "bytes", b);
    return o;
}
