/*
 * Auditors' sessions, in this process's memory.
 */
#include "config.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sessions.h"

struct entry {
    bool used;
    uint8_t hash[32];
    struct session s;
};

struct sessions {
    long idle;
    long absolute;
    pthread_mutex_t lock;
    struct entry *v;            /* SESSIONS_MAX of them */
};

int
sessions_new(long idle, long absolute, struct sessions **ps)
{
    struct sessions *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        return -ENOMEM;
    }
    s->v = calloc(SESSIONS_MAX, sizeof(*s->v));
    if (s->v == NULL) {
        free(s);
        return -ENOMEM;
    }
    s->idle = idle;
    s->absolute = absolute;
    pthread_mutex_init(&s->lock, NULL);
    *ps = s;
    return 0;
}

void
sessions_free(struct sessions *s)
{
    if (s == NULL) {
        return;
    }
    explicit_bzero(s->v, SESSIONS_MAX * sizeof(*s->v));
    free(s->v);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int
sessions_random_hex(char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[64];
    size_t got = 0, i;
    ssize_t r;

    if (n > sizeof(b)) {
        return -EINVAL;
    }
    while (got < n) {
        r = getrandom(b + got, n - got, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return -errno;
        }
        got += (size_t)r;
    }
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = 0;
    explicit_bzero(b, sizeof(b));
    return 0;
}

static int
hash(const char *token, uint8_t *out)
{
    return gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), out) < 0
           ? -EIO : 0;
}

static bool
expired(const struct sessions *s, const struct entry *e, time_t now)
{
    return now - e->s.last >= s->idle || now - e->s.created >= s->absolute ||
           now < e->s.created;
}

int
sessions_create(struct sessions *s, const char *user, const char *groups,
                time_t now, char *token, char *csrf)
{
    struct entry *e = NULL;
    char t[SESSIONS_TOKEN_LEN + 1], c[SESSIONS_TOKEN_LEN + 1];
    uint8_t h[32];
    size_t i;
    int rc;

    if (strlen(user) >= SESSIONS_USER_MAX ||
        strlen(groups) >= SESSIONS_GROUPS_MAX) {
        return -ENAMETOOLONG;
    }
    rc = sessions_random_hex(t, SESSIONS_TOKEN_BYTES);
    if (rc == 0) {
        rc = sessions_random_hex(c, SESSIONS_TOKEN_BYTES);
    }
    if (rc == 0) {
        rc = hash(t, h);
    }
    if (rc < 0) {
        return rc;
    }
    pthread_mutex_lock(&s->lock);
    /* a free or ended place, else the least recently used */
    for (i = 0; i < SESSIONS_MAX; i++) {
        struct entry *x = &s->v[i];

        if (!x->used || expired(s, x, now)) {
            e = x;
            break;
        }
        if (e == NULL || x->s.last < e->s.last) {
            e = x;
        }
    }
    memset(e, 0, sizeof(*e));
    e->used = true;
    memcpy(e->hash, h, sizeof(h));
    strcpy(e->s.user, user);
    strcpy(e->s.groups, groups);
    strcpy(e->s.csrf, c);
    e->s.created = now;
    e->s.last = now;
    pthread_mutex_unlock(&s->lock);
    memcpy(token, t, sizeof(t));
    memcpy(csrf, c, sizeof(c));
    explicit_bzero(t, sizeof(t));
    return 0;
}

/* The entry of token's hash h; the lock is held */
static struct entry *
lookup(struct sessions *s, const uint8_t *h)
{
    size_t i;

    for (i = 0; i < SESSIONS_MAX; i++) {
        if (s->v[i].used && memcmp(s->v[i].hash, h, 32) == 0) {
            return &s->v[i];
        }
    }
    return NULL;
}

int
sessions_find(struct sessions *s, const char *token, time_t now,
              struct session *out)
{
    struct entry *e;
    uint8_t h[32];
    int rc = -ENOENT;

    if (strlen(token) != SESSIONS_TOKEN_LEN || hash(token, h) < 0) {
        return -ENOENT;
    }
    pthread_mutex_lock(&s->lock);
    e = lookup(s, h);
    if (e != NULL && expired(s, e, now)) {
        memset(e, 0, sizeof(*e));
    } else if (e != NULL) {
        e->s.last = now;
        *out = e->s;
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int
sessions_remove(struct sessions *s, const char *token)
{
    struct entry *e;
    uint8_t h[32];
    int rc = -ENOENT;

    if (strlen(token) != SESSIONS_TOKEN_LEN || hash(token, h) < 0) {
        return -ENOENT;
    }
    pthread_mutex_lock(&s->lock);
    e = lookup(s, h);
    if (e != NULL) {
        memset(e, 0, sizeof(*e));
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
