/*
 * Counting failed logins.
 */
#include "config.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
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
    struct store *store;        /* NULL: counts kept here only */
    const char *index;
    pthread_mutex_t lock;
    struct slot *v;
};

int
throttle_new(long free_failures, long max_delay, struct store *store,
             const char *index, struct throttle **pt)
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
    t->store = store;
    t->index = index;
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

/* The id of key's document: its SHA-256 in hex; false if none */
static bool
key_id(const char *key, char *id)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char h[32];
    size_t i;

    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key, strlen(key), h) < 0) {
        return false;
    }
    for (i = 0; i < sizeof(h); i++) {
        id[2 * i] = digits[h[i] >> 4];
        id[2 * i + 1] = digits[h[i] & 15];
    }
    id[64] = 0;
    return true;
}

/*
 * The shared count of key: *failures and *last (0 when there is none).
 * 0, or -EIO when the store does not answer.  The lock is held.
 */
static int
shared_get(struct throttle *t, const char *id, long *failures, time_t *last)
{
    struct json_object *body = json_object_new_object(), *ids, *a = NULL;
    char path[512], err[256];
    int rc;

    ids = json_object_new_array();
    json_object_array_add(ids, json_object_new_string(id));
    json_object_object_add(body, "ids", ids);
    snprintf(path, sizeof(path), "%s/_mget", t->index);
    rc = store_post(t->store, path, body, &a, err, sizeof(err));
    json_object_put(body);
    *failures = 0;
    *last = 0;
    if (rc < 0) {
        /* no index yet: nobody failed */
        return strstr(err, "index_not_found") != NULL ? 0 : -EIO;
    }
    throttle_walk_doc(a, failures, last);
    json_object_put(a);
    return 0;
}

int
throttle_walk_doc(struct json_object *answer, long *failures, time_t *last)
{
    struct json_object *d, *src, *v;
    long f = 0;
    time_t l = 0;

    if (!json_object_object_get_ex(answer, "docs", &d) ||
        !json_object_is_type(d, json_type_array) ||
        json_object_array_length(d) != 1 ||
        !json_object_object_get_ex(json_object_array_get_idx(d, 0), "_source",
                                   &src)) {
        return -ENOENT;
    }
    /* bounded: the counts are added to and the times to delays */
    if (json_object_object_get_ex(src, "failures", &v)) {
        int64_t x = json_object_get_int64(v);

        f = x < 0 ? 0 : x > THROTTLE_FAILURES_MAX ? THROTTLE_FAILURES_MAX :
            (long)x;
    }
    if (json_object_object_get_ex(src, "last", &v)) {
        int64_t x = json_object_get_int64(v);

        l = x < 0 ? 0 : x > THROTTLE_LAST_MAX ? THROTTLE_LAST_MAX :
            (time_t)x;
    }
    *failures = f;
    *last = l;
    return 0;
}

/* Write the shared count of key (failures 0: delete it); errors leave
 * the local count alone in charge.  The lock is held. */
static void
shared_put(struct throttle *t, const char *id, long failures, time_t last)
{
    struct json_object *a = NULL;
    char path[512], err[256];

    if (failures > 0) {
        struct json_object *doc = json_object_new_object();

        json_object_object_add(doc, "failures",
                               json_object_new_int64(failures));
        json_object_object_add(doc, "last", json_object_new_int64(last));
        snprintf(path, sizeof(path), "%s/_doc/%s", t->index, id);
        store_post(t->store, path, doc, &a, err, sizeof(err));
        json_object_put(doc);
    } else {
        char line[600];

        snprintf(line, sizeof(line), "{\"delete\":{\"_index\":\"%s\","
                 "\"_id\":\"%s\"}}\n", t->index, id);
        store_post_text(t->store, "_bulk", line, &a, err, sizeof(err));
    }
    json_object_put(a);
}

bool
throttle_allows(struct throttle *t, const char *key, time_t now, long *wait)
{
    struct slot *s;
    bool ok = true;

    long failures = 0, left;
    time_t last = 0;
    char id[65];

    pthread_mutex_lock(&t->lock);
    s = find(t, key);
    if (s != NULL) {
        failures = s->failures;
        last = s->last;
    }
    if (t->store != NULL && key_id(key, id)) {
        long sf;
        time_t sl;

        /* the other instances' failures count too */
        if (shared_get(t, id, &sf, &sl) == 0 && sf > failures) {
            failures = sf;
            last = sl > last ? sl : last;
        }
    }
    left = failures > 0 ? (long)(last + delay(t, failures) - now) : 0;
    if (left > 0) {
        *wait = left;
        ok = false;
    }
    pthread_mutex_unlock(&t->lock);
    return ok;
}

void
throttle_failed(struct throttle *t, const char *key, time_t now)
{
    struct slot *s;
    char id[65];
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
    if (t->store != NULL && key_id(key, id)) {
        long sf;
        time_t sl;

        if (shared_get(t, id, &sf, &sl) == 0 && sf >= s->failures) {
            s->failures = sf + 1;
        }
        shared_put(t, id, s->failures, now);
    }
    pthread_mutex_unlock(&t->lock);
}

void
throttle_reset(struct throttle *t, const char *key)
{
    struct slot *s;

    char id[65];

    pthread_mutex_lock(&t->lock);
    s = find(t, key);
    if (s != NULL) {
        memset(s, 0, sizeof(*s));
    }
    if (t->store != NULL && key_id(key, id)) {
        shared_put(t, id, 0, 0);
    }
    pthread_mutex_unlock(&t->lock);
}
