/*
 * Elasticsearch nodes, through lib/es.c's client: one client per thread
 * at a time, taken from a pool of idle ones, so that each keeps its
 * connection open from one request to the next and no thread waits for
 * another's request.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es.h"
#include "store.h"

/* Most idle clients kept; more threads at once get clients of their own,
 * freed once used */
#define STORE_IDLE_MAX 32
/* Most bytes of answer an idle client keeps room for */
#define STORE_IDLE_BYTES (1 << 20)

struct store {
    char *searches;             /* NODE/PATTERN/_search, comma-joined */
    pthread_mutex_t lock;
    struct es *idle[STORE_IDLE_MAX];
    size_t nidle;
};

/*
 * The search URLs of the newline-joined node URLs for pattern, into *out
 * (the caller frees it).  0 or a negative errno value with err saying
 * which URL is wrong.
 */
static int
search_urls(const char *urls, const char *pattern, char **out, char *err,
            size_t errsz)
{
    size_t len = strlen(urls), n = 0, at = 0;
    const char *u, *end;
    char *s;

    s = malloc(len + (len + 1) * (strlen(pattern) + 10) + 1);
    if (s == NULL) {
        return -ENOMEM;
    }
    for (u = urls; *u != 0; u = *end ? end + 1 : end) {
        size_t ulen;

        end = strchr(u, '\n');
        end = end ? end : u + strlen(u);
        ulen = (size_t)(end - u);
        if (ulen == 0) {
            continue;
        }
        if (++n > STORE_URLS_MAX) {
            snprintf(err, errsz, "es.urls: at most %d URLs are taken",
                     STORE_URLS_MAX);
            free(s);
            return -EINVAL;
        }
        if (memchr(u, ',', ulen) != NULL) {
            snprintf(err, errsz, "es.urls: \"%.*s\" holds a comma: give"
                     " each node as its own URL", (int)ulen, u);
            free(s);
            return -EINVAL;
        }
        /* "http://h:9200/" and "http://h:9200" alike */
        while (ulen > 0 && u[ulen - 1] == '/') {
            ulen--;
        }
        if (ulen + strlen(pattern) + 16 >= STORE_URL_MAX) {
            snprintf(err, errsz, "es.urls: URL longer than %d bytes",
                     STORE_URL_MAX - 64);
            free(s);
            return -EINVAL;
        }
        at += (size_t)sprintf(s + at, "%s%.*s/%s/_search", at ? "," : "",
                              (int)ulen, u, pattern);
    }
    if (n == 0) {
        snprintf(err, errsz, "es.urls is empty: give the Elasticsearch"
                 " node(s), for example [\"http://localhost:9200\"]");
        free(s);
        return -EINVAL;
    }
    s[at] = 0;
    *out = s;
    return 0;
}

/* A client for one request: an idle one, or a new one */
static int
take(struct store *s, struct es **pe, char *err, size_t errsz)
{
    struct es_conf c = { 0 };

    pthread_mutex_lock(&s->lock);
    if (s->nidle > 0) {
        *pe = s->idle[--s->nidle];
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    pthread_mutex_unlock(&s->lock);
    c.baseurl = s->searches;
    return es_new(&c, pe, err, errsz);
}

/* Give back a client taken */
static void
give(struct store *s, struct es *e)
{
    /* a large answer's room goes: idle clients hold little */
    es_trim(e, STORE_IDLE_BYTES);
    pthread_mutex_lock(&s->lock);
    if (s->nidle < STORE_IDLE_MAX) {
        s->idle[s->nidle++] = e;
        e = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    es_free(e);
}

int
store_new(const char *urls, const char *pattern, struct store **ps,
          char *err, size_t errsz)
{
    struct store *s = calloc(1, sizeof(*s));
    struct es *e = NULL;
    int rc;

    if (s == NULL) {
        snprintf(err, errsz, "out of memory setting up the store");
        return -ENOMEM;
    }
    pthread_mutex_init(&s->lock, NULL);
    rc = search_urls(urls, pattern, &s->searches, err, errsz);
    /* the first client here, before any thread: it checks the URLs, and
     * libcurl is set up once */
    if (rc == 0) {
        rc = take(s, &e, err, errsz);
    }
    if (rc < 0) {
        store_free(s);
        return rc;
    }
    give(s, e);
    *ps = s;
    return 0;
}

void
store_free(struct store *s)
{
    if (s == NULL) {
        return;
    }
    while (s->nidle > 0) {
        es_free(s->idle[--s->nidle]);
    }
    pthread_mutex_destroy(&s->lock);
    free(s->searches);
    free(s);
}

const char *
store_search_urls(const struct store *s)
{
    return s->searches;
}

/* body to path (NULL: the search URLs themselves) on the nodes */
static int
post(struct store *s, const char *path, const char *text,
     struct json_object **answer, char *err, size_t errsz)
{
    struct es *e = NULL;
    int rc = take(s, &e, err, errsz);

    if (rc < 0) {
        return rc;
    }
    rc = es_post(e, path, text, answer, err, errsz);
    give(s, e);
    return rc;
}

int
store_search(struct store *s, struct json_object *body,
             struct json_object **answer, char *err, size_t errsz)
{
    return post(s, NULL, json_object_to_json_string_ext(body,
                JSON_C_TO_STRING_PLAIN), answer, err, errsz);
}

int
store_post(struct store *s, const char *path, struct json_object *body,
           struct json_object **answer, char *err, size_t errsz)
{
    return post(s, path, json_object_to_json_string_ext(body,
                JSON_C_TO_STRING_PLAIN), answer, err, errsz);
}

int
store_post_text(struct store *s, const char *path, const char *text,
                struct json_object **answer, char *err, size_t errsz)
{
    return post(s, path, text, answer, err, errsz);
}

int
store_each_hit(struct store *s, const char *path, const char *body,
               int (*fn)(void *arg, const char *src, size_t len, char *err,
                         size_t errsz),
               void *arg, size_t *count, long long *first, long long *last,
               char *err, size_t errsz)
{
    struct es *e = NULL;
    struct es_hit *hits = NULL;
    const uint8_t *data;
    size_t len, n = 0, i;
    int rc = take(s, &e, err, errsz);

    if (rc < 0) {
        return rc;
    }
    rc = path == NULL ? es_search_raw(e, body, &data, &len, err, errsz) :
         es_post_raw(e, path, body, &data, &len, err, errsz);
    if (rc == 0) {
        rc = es_hits_parse(data, len, &hits, &n, err, errsz);
    }
    for (i = 0; rc == 0 && i < n; i++) {
        rc = fn(arg, (const char *)data + hits[i].src_off, hits[i].src_len,
                err, errsz);
    }
    if (rc == 0) {
        *count = n;
        if (n > 0) {
            *first = hits[0].sort;
            *last = hits[n - 1].sort;
        }
    }
    free(hits);
    give(s, e);
    return rc;
}

int
store_add(struct store *s, const char *index, struct json_object *doc,
          char *err, size_t errsz)
{
    struct json_object *a = NULL;
    char path[512];
    int rc;

    snprintf(path, sizeof(path), "%s/_doc", index);
    rc = store_post(s, path, doc, &a, err, errsz);
    json_object_put(a);
    return rc;
}

int
store_first_key(struct json_object *answer, const char *name, char *key,
                size_t keysz, char *err, size_t errsz)
{
    struct json_object *o;
    const char *k;

    if (!json_object_object_get_ex(answer, "aggregations", &o) ||
        !json_object_object_get_ex(o, name, &o) ||
        !json_object_object_get_ex(o, "buckets", &o) ||
        !json_object_is_type(o, json_type_array)) {
        snprintf(err, errsz, "Elasticsearch answered no %s aggregation",
                 name);
        return -EIO;
    }
    if (json_object_array_length(o) == 0) {
        return -ENOENT;
    }
    /* (a key of null has no text) */
    if (!json_object_object_get_ex(json_object_array_get_idx(o, 0), "key",
                                   &o) ||
        (k = json_object_get_string(o)) == NULL) {
        snprintf(err, errsz, "Elasticsearch answered a %s without key",
                 name);
        return -EIO;
    }
    snprintf(key, keysz, "%s", k);
    return 0;
}
