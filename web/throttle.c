/*
 * Counting failed logins.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "throttle.h"

struct slot {
    char key[THROTTLE_KEY_MAX];
    long failures;
    time_t last;
};

struct throttle {
    long free_failures;
    long max_delay;
    pthread_mutex_t lock;
    struct slot *v;
};

int
throttle_new(long free_failures, long max_delay, struct throttle **pt)
{
    struct throttle *t = calloc(1, sizeof(*t));

    if (t == NULL) {
        return -ENOMEM;
    }
    t->v = calloc(THROTTLE_KEYS_MAX, sizeof(*t->v));
    if (t->v == NULL) {
        free(t);
        return -ENOMEM;
    }
    t->free_failures = free_failures;
    t->max_delay = max_delay;
    pthread_mutex_init(&t->lock, NULL);
    *pt = t;
    return 0;
}

void
throttle_free(struct throttle *t)
{
    if (t == NULL) {
        return;
    }
    pthread_mutex_destroy(&t->lock);
    free(t->v);
    free(t);
}

/* The slot of key, or NULL; the lock is held */
static struct slot *
find(struct throttle *t, const char *key)
{
    size_t i;

    for (i = 0; i < THROTTLE_KEYS_MAX; i++) {
        if (t->v[i].failures > 0 &&
            strncmp(t->v[i].key, key, THROTTLE_KEY_MAX - 1) == 0) {
            return &t->v[i];
        }
    }
    return NULL;
}

/* Seconds a key with failures must wait after its last one */
static long
delay(const struct throttle *t, long failures)
{
    long d = 1, n = failures - t->free_failures;

    if (n <= 0) {
        return 0;
    }
    /* 2 s at first: times are whole seconds, so the wait is at least 1 */
    while (n-- > 0 && d < t->max_delay) {
        d *= 2;
    }
    return d < t->max_delay ? d : t->max_delay;
}

bool
throttle_allows(struct throttle *t, const char *key, time_t now, long *wait)
{
    struct slot *s;
    bool ok = true;

    pthread_mutex_lock(&t->lock);
    s = find(t, key);
    if (s != NULL) {
        long left = (long)(s->last + delay(t, s->failures) - now);

        if (left > 0) {
            *wait = left;
            ok = false;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return ok;
}

void
throttle_failed(struct throttle *t, const char *key, time_t now)
{
    struct slot *s;
    size_t i;

    pthread_mutex_lock(&t->lock);
    s = find(t, key);
    if (s == NULL) {
        /* a free slot, else the one of the oldest failure */
        for (i = 0; i < THROTTLE_KEYS_MAX; i++) {
            if (t->v[i].failures == 0) {
                s = &t->v[i];
                break;
            }
            if (s == NULL || t->v[i].last < s->last) {
                s = &t->v[i];
            }
        }
        memset(s, 0, sizeof(*s));
        strncpy(s->key, key, THROTTLE_KEY_MAX - 1);
    }
    s->failures++;
    s->last = now;
    pthread_mutex_unlock(&t->lock);
}

void
throttle_reset(struct throttle *t, const char *key)
{
    struct slot *s;

    pthread_mutex_lock(&t->lock);
    s = find(t, key);
    if (s != NULL) {
        memset(s, 0, sizeof(*s));
    }
    pthread_mutex_unlock(&t->lock);
}
