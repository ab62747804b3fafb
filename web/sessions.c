/*
 * Auditors' sessions, in Elasticsearch with a short cache, or in memory.
 */
#include "config.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sessions.h"

/* Seconds between clean-ups of ended sessions in the store, and most
 * sessions deleted by one */
#define PURGE_EVERY 60
#define PURGE_BATCH 1000

struct entry {
    bool used;
    char id[65];                /* hex SHA-256 of the token */
    struct session s;
    time_t checked;             /* last read from the store */
    time_t written;             /* last use written to the store */
};

struct sessions {
    long idle;
    long absolute;
    struct store *store;        /* NULL: memory only */
    const char *index;
    long cache;
    time_t purged;
    pthread_mutex_t lock;
    struct entry *v;            /* SESSIONS_MAX of them */
};

int
sessions_new(long idle, long absolute, struct store *store,
             const char *index, long cache, struct sessions **ps)
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
    s->store = store;
    s->index = index;
    s->cache = cache;
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

static void
hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

int
sessions_random_hex(char *out, size_t n)
{
    uint8_t b[64];
    size_t got = 0;
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
    hex(b, n, out);
    explicit_bzero(b, sizeof(b));
    return 0;
}

/* The id under which token's session is kept: its SHA-256, in hex */
static int
token_id(const char *token, char *id)
{
    uint8_t h[32];

    if (strlen(token) != SESSIONS_TOKEN_LEN ||
        gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), h) < 0) {
        return -ENOENT;
    }
    hex(h, sizeof(h), id);
    return 0;
}

static bool
expired(const struct sessions *s, const struct session *x, time_t now)
{
    return now - x->last >= s->idle || now - x->created >= s->absolute ||
           now < x->created;
}

/* The entry of id, or NULL; the lock is held */
static struct entry *
lookup(struct sessions *s, const char *id)
{
    size_t i;

    for (i = 0; i < SESSIONS_MAX; i++) {
        if (s->v[i].used && strcmp(s->v[i].id, id) == 0) {
            return &s->v[i];
        }
    }
    return NULL;
}

/* A place for a new entry: a free or ended one, else the least recently
 * used (in memory only, that session ends); the lock is held */
static struct entry *
place(struct sessions *s, time_t now)
{
    struct entry *e = NULL;
    size_t i;

    for (i = 0; i < SESSIONS_MAX; i++) {
        struct entry *x = &s->v[i];

        if (!x->used || expired(s, &x->s, now)) {
            return x;
        }
        if (e == NULL || x->s.last < e->s.last) {
            e = x;
        }
    }
    return e;
}

/* POST body to INDEX/what/id of the store; the answer is dropped */
static int
post(struct sessions *s, const char *what, const char *id,
     struct json_object *body, char *err, size_t errsz)
{
    struct json_object *a = NULL;
    char path[512];
    int rc;

    snprintf(path, sizeof(path), "%s/%s%s%s", s->index, what,
             id ? "/" : "", id ? id : "");
    rc = store_post(s->store, path, body, &a, err, errsz);
    json_object_put(a);
    json_object_put(body);
    return rc;
}

/*
 * Delete the documents of ids (n of them) in one _bulk request.  *gone
 * (may be NULL) gets how many were there.  0 or -EIO.
 */
static int
delete_ids(struct sessions *s, const char *const *ids, size_t n,
           size_t *gone, char *err, size_t errsz)
{
    struct json_object *a = NULL;
    char *text, *p;
    size_t i, cap = n * (strlen(s->index) + 128) + 1;
    int rc;

    text = p = malloc(cap);
    if (text == NULL) {
        snprintf(err, errsz, "out of memory deleting sessions");
        return -ENOMEM;
    }
    /* the ids are hex digests, the index a configured name */
    for (i = 0; i < n; i++) {
        p += snprintf(p, cap - (size_t)(p - text), "{\"delete\":{\"_index\":"
                      "\"%s\",\"_id\":\"%s\"}}\n", s->index, ids[i]);
    }
    rc = store_post_text(s->store, "_bulk", text, &a, err, errsz);
    free(text);
    if (rc == 0 && gone != NULL) {
        *gone = sessions_walk_deleted(a);
    }
    json_object_put(a);
    return rc;
}

size_t
sessions_walk_deleted(struct json_object *answer)
{
    struct json_object *items, *it, *st;
    size_t i, gone = 0;

    if (json_object_object_get_ex(answer, "items", &items) &&
        json_object_is_type(items, json_type_array)) {
        for (i = 0; i < json_object_array_length(items); i++) {
            it = json_object_array_get_idx(items, i);
            if (json_object_object_get_ex(it, "delete", &it) &&
                json_object_object_get_ex(it, "status", &st) &&
                json_object_get_int(st) == 200) {
                gone++;
            }
        }
    }
    return gone;
}

/* {"range": {field: {"lt": before}}} */
static struct json_object *
older(const char *field, long long before)
{
    struct json_object *r = json_object_new_object(), *q, *o;

    json_object_object_add(r, "lt", json_object_new_int64(before));
    q = json_object_new_object();
    json_object_object_add(q, field, r);
    o = json_object_new_object();
    json_object_object_add(o, "range", q);
    return o;
}

/*
 * Delete the store's ended sessions, now and then (every PURGE_EVERY
 * seconds, or the idle time if shorter), PURGE_BATCH at a time; errors
 * are left for the next time.  The lock is held.
 */
static void
purge(struct sessions *s, time_t now)
{
    struct json_object *should, *b, *q, *body, *a = NULL;
    const char *ids[PURGE_BATCH];
    char path[512], err[256];
    size_t n;

    if (now - s->purged < (s->idle < PURGE_EVERY ? s->idle : PURGE_EVERY)) {
        return;
    }
    s->purged = now;
    should = json_object_new_array();
    json_object_array_add(should, older("last", now - s->idle));
    json_object_array_add(should, older("created", now - s->absolute));
    b = json_object_new_object();
    json_object_object_add(b, "should", should);
    q = json_object_new_object();
    json_object_object_add(q, "bool", b);
    body = json_object_new_object();
    json_object_object_add(body, "query", q);
    json_object_object_add(body, "size", json_object_new_int(PURGE_BATCH));
    json_object_object_add(body, "_source", json_object_new_boolean(0));
    snprintf(path, sizeof(path), "%s/_search", s->index);
    if (store_post(s->store, path, body, &a, err, sizeof(err)) == 0) {
        n = sessions_walk_ids(a, ids, PURGE_BATCH);
        if (n > 0) {
            delete_ids(s, ids, n, NULL, err, sizeof(err));
        }
    }
    json_object_put(a);
    json_object_put(body);
}

size_t
sessions_walk_ids(struct json_object *answer, const char **ids, size_t max)
{
    struct json_object *hits, *id;
    size_t i, n = 0;

    if (json_object_object_get_ex(answer, "hits", &hits) &&
        json_object_object_get_ex(hits, "hits", &hits) &&
        json_object_is_type(hits, json_type_array)) {
        for (i = 0; i < json_object_array_length(hits) && n < max; i++) {
            if (json_object_object_get_ex(json_object_array_get_idx(hits, i),
                                          "_id", &id) &&
                json_object_is_type(id, json_type_string) &&
                json_object_get_string_len(id) == SESSIONS_ID_LEN) {
                ids[n++] = json_object_get_string(id);
            }
        }
    }
    return n;
}

int
sessions_create(struct sessions *s, const char *user, const char *groups,
                time_t now, char *token, char *csrf, char *err,
                size_t errsz)
{
    struct entry *e;
    char t[SESSIONS_TOKEN_LEN + 1], c[SESSIONS_TOKEN_LEN + 1], id[65];
    int rc;

    if (strlen(user) >= SESSIONS_USER_MAX ||
        strlen(groups) >= SESSIONS_GROUPS_MAX) {
        snprintf(err, errsz, "user name or group list too long");
        return -ENAMETOOLONG;
    }
    rc = sessions_random_hex(t, SESSIONS_TOKEN_BYTES);
    if (rc == 0) {
        rc = sessions_random_hex(c, SESSIONS_TOKEN_BYTES);
    }
    if (rc == 0) {
        rc = token_id(t, id) < 0 ? -EIO : 0;
    }
    if (rc < 0) {
        snprintf(err, errsz, "cannot make a session token: %s",
                 strerror(-rc));
        return rc;
    }
    pthread_mutex_lock(&s->lock);
    if (s->store != NULL) {
        struct json_object *doc = json_object_new_object();

        json_object_object_add(doc, "user", json_object_new_string(user));
        json_object_object_add(doc, "groups", json_object_new_string(groups));
        json_object_object_add(doc, "csrf", json_object_new_string(c));
        json_object_object_add(doc, "created", json_object_new_int64(now));
        json_object_object_add(doc, "last", json_object_new_int64(now));
        /* _create: a session is never written over */
        rc = post(s, "_create", id, doc, err, errsz);
        if (rc == 0) {
            purge(s, now);
        }
    }
    if (rc == 0) {
        e = place(s, now);
        memset(e, 0, sizeof(*e));
        e->used = true;
        strcpy(e->id, id);
        strcpy(e->s.user, user);
        strcpy(e->s.groups, groups);
        strcpy(e->s.csrf, c);
        e->s.created = now;
        e->s.last = now;
        e->checked = now;
        e->written = now;
    }
    pthread_mutex_unlock(&s->lock);
    if (rc == 0) {
        memcpy(token, t, sizeof(t));
        memcpy(csrf, c, sizeof(c));
    }
    explicit_bzero(t, sizeof(t));
    return rc;
}

/* Copy string field key of o into out[size]; false if missing or long */
static bool
str_field(struct json_object *o, const char *key, char *out, size_t size)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v) ||
        json_object_get_type(v) != json_type_string ||
        (size_t)json_object_get_string_len(v) >= size) {
        return false;
    }
    strcpy(out, json_object_get_string(v));
    return true;
}

/*
 * Read session id from the store into *x: 0, -ENOENT (not there), or
 * -EIO.  The lock is held.
 */
static int
fetch(struct sessions *s, const char *id, struct session *x, char *err,
      size_t errsz)
{
    struct json_object *body = json_object_new_object(), *ids, *a = NULL;
    char path[512];
    int rc;

    ids = json_object_new_array();
    json_object_array_add(ids, json_object_new_string(id));
    json_object_object_add(body, "ids", ids);
    snprintf(path, sizeof(path), "%s/_mget", s->index);
    rc = store_post(s->store, path, body, &a, err, errsz);
    json_object_put(body);
    if (rc < 0) {
        /* no index yet: no session was ever made */
        return strstr(err, "index_not_found") != NULL ? -ENOENT : rc;
    }
    rc = sessions_walk_doc(a, x);
    json_object_put(a);
    return rc;
}

int
sessions_walk_doc(struct json_object *answer, struct session *out)
{
    struct json_object *docs, *d, *src, *v;
    struct session x;

    memset(&x, 0, sizeof(x));
    if (json_object_object_get_ex(answer, "docs", &docs) &&
        json_object_is_type(docs, json_type_array) &&
        json_object_array_length(docs) == 1 &&
        (d = json_object_array_get_idx(docs, 0)) != NULL &&
        json_object_object_get_ex(d, "_source", &src) &&
        str_field(src, "user", x.user, sizeof(x.user)) &&
        str_field(src, "groups", x.groups, sizeof(x.groups)) &&
        str_field(src, "csrf", x.csrf, sizeof(x.csrf)) &&
        json_object_object_get_ex(src, "created", &v) &&
        (x.created = (time_t)json_object_get_int64(v)) > 0 &&
        json_object_object_get_ex(src, "last", &v) &&
        (x.last = (time_t)json_object_get_int64(v)) > 0) {
        *out = x;
        return 0;
    }
    return -ENOENT;
}

int
sessions_find(struct sessions *s, const char *token, time_t now,
              struct session *out, char *err, size_t errsz)
{
    struct entry *e;
    struct session x;
    char id[65];
    int rc = 0;

    if (token_id(token, id) < 0) {
        return -ENOENT;
    }
    pthread_mutex_lock(&s->lock);
    e = lookup(s, id);
    if (s->store != NULL && (e == NULL || now - e->checked >= s->cache)) {
        rc = fetch(s, id, &x, err, errsz);
        if (rc == 0) {
            if (e == NULL) {
                e = place(s, now);
                memset(e, 0, sizeof(*e));
                e->used = true;
                strcpy(e->id, id);
                e->written = x.last;
            }
            /* this instance may know of a later use than the store */
            if (e->s.last > x.last) {
                x.last = e->s.last;
            }
            e->s = x;
            e->checked = now;
        } else if (rc == -ENOENT && e != NULL) {
            memset(e, 0, sizeof(*e));
            e = NULL;
        }
    }
    if (rc == 0 && e == NULL) {
        rc = -ENOENT;
    }
    if (rc == 0 && expired(s, &e->s, now)) {
        memset(e, 0, sizeof(*e));
        rc = -ENOENT;
    }
    if (rc == 0) {
        e->s.last = now;
        *out = e->s;
        if (s->store != NULL && now - e->written >= s->cache) {
            struct json_object *doc = json_object_new_object(), *body;

            json_object_object_add(doc, "last", json_object_new_int64(now));
            body = json_object_new_object();
            json_object_object_add(body, "doc", doc);
            /* a failed write costs the session some idle time only */
            if (post(s, "_update", id, body, err, errsz) == 0) {
                e->written = now;
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int
sessions_remove(struct sessions *s, const char *token, char *err,
                size_t errsz)
{
    struct entry *e;
    char id[65];
    int rc = -ENOENT;

    if (token_id(token, id) < 0) {
        return -ENOENT;
    }
    pthread_mutex_lock(&s->lock);
    e = lookup(s, id);
    if (e != NULL) {
        memset(e, 0, sizeof(*e));
        rc = 0;
    }
    if (s->store != NULL) {
        const char *ids[1] = { id };
        size_t gone = 0;

        rc = delete_ids(s, ids, 1, &gone, err, errsz);
        if (rc == 0 && gone == 0) {
            rc = -ENOENT;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
