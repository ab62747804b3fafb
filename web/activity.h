/*
 * A recording's activity: the bytes of output in each stretch of time,
 * for the seek bar's heatmap.  The stretches (buckets) are of one width,
 * ACTIVITY_WIDTH_MIN_MS at first; when the recording outgrows
 * ACTIVITY_BUCKETS of them the width doubles and neighbouring buckets
 * are added together, so that the memory is fixed and a recording of
 * any length is covered.
 */
#ifndef ACTIVITY_H
#define ACTIVITY_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define ACTIVITY_BUCKETS 512
#define ACTIVITY_WIDTH_MIN_MS 100

struct activity;

/* A new, empty activity in *out (free with activity_free()); 0 or
 * -ENOMEM */
int activity_new(struct activity **out);

void activity_free(struct activity *a);

/* Count bytes of output at pos_ms (ms from the recording's start) */
void activity_add(struct activity *a, uint64_t pos_ms, size_t bytes);

/* The width of a bucket now, in ms */
uint64_t activity_width(const struct activity *a);

/* The bytes of bucket i (0 past the last one used) */
uint64_t activity_bytes(const struct activity *a, size_t i);

/* {"bucket_ms": width, "bytes": [bytes of each bucket up to the last
 * one used]}, owned by the caller; NULL when out of memory */
struct json_object *activity_json(const struct activity *a);

#endif
