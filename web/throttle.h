/*
 * Slowing down password guessing: failed logins are counted per key (a
 * user name, a remote address); past a number of free failures, each
 * further attempt must wait twice as long as the one before (2 s after
 * the first), up to a maximum, counted from the last failure.
 *
 * With a store, the counts are also kept in an Elasticsearch index (one
 * document per key, its id the key's SHA-256), so that instances behind
 * a load balancer count together; without one, or while the store does
 * not answer, each instance counts alone.
 */
#ifndef THROTTLE_H
#define THROTTLE_H

#include <stdbool.h>
#include <time.h>

#include "store.h"

/* Keys remembered; a new one past it replaces the oldest */
#define THROTTLE_KEYS_MAX 8192
/* Longest key kept whole (longer ones are cut: still one key each) */
#define THROTTLE_KEY_MAX 300
/* Largest failure count and time (s since the epoch, the end of year
 * 9999) read from the store; larger ones count as these */
#define THROTTLE_FAILURES_MAX 1000000L
#define THROTTLE_LAST_MAX 253402300799LL

struct throttle;

/* free_failures attempts fail without waiting; the wait then doubles from
 * 2 s up to max_delay seconds.  Counts are shared through index of store
 * (NULL: not shared); both must outlive the throttle.  0 or -ENOMEM */
int throttle_new(long free_failures, long max_delay, struct store *store,
                 const char *index, struct throttle **pt);

/* throttle_free(NULL) does nothing */
void throttle_free(struct throttle *t);

/* Whether key may try at now; if not, the seconds to wait go to *wait */
bool throttle_allows(struct throttle *t, const char *key, time_t now,
                     long *wait);

/* A failed attempt of key at now */
void throttle_failed(struct throttle *t, const char *key, time_t now);

/* A successful attempt: key starts afresh */
void throttle_reset(struct throttle *t, const char *key);

/*
 * The shared count of an _mget answer for one key's document (answer
 * owned by the caller; any JSON is walked without harm): *failures and
 * *last, each from 0 to its maximum above (0 when missing).  0, or
 * -ENOENT when the answer holds no such document (nothing stored).
 */
int throttle_walk_doc(struct json_object *answer, long *failures,
                      time_t *last);

#endif
