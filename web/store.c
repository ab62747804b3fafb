/*
 * Elasticsearch nodes, through play/es.c's client.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es.h"
#include "store.h"

struct store {
    size_t n;
    char *urls[STORE_URLS_MAX];
    struct es *search[STORE_URLS_MAX];  /* one client per node */
    pthread_mutex_t lock;
};

int
store_new(const char *urls, const char *pattern, struct store **ps,
          char *err, size_t errsz)
{
    struct store *s = calloc(1, sizeof(*s));
    const char *p = urls, *nl;
    int rc = 0;

    if (s == NULL) {
        return -ENOMEM;
    }
    pthread_mutex_init(&s->lock, NULL);
    while (p != NULL && *p && rc == 0) {
        char url[STORE_URL_MAX];
        size_t len;
        struct es_conf c = { 0 };

        nl = strchr(p, '\n');
        len = nl ? (size_t)(nl - p) : strlen(p);
        while (len > 0 && p[len - 1] == '/') {
            len--;
        }
        if (s->n == STORE_URLS_MAX) {
            snprintf(err, errsz, "es.urls: at most %d URLs are taken",
                     STORE_URLS_MAX);
            rc = -EINVAL;
            break;
        }
        if (len + strlen(pattern) + 16 >= sizeof(url)) {
            snprintf(err, errsz, "es.urls: URL longer than %d bytes",
                     STORE_URL_MAX - 64);
            rc = -EINVAL;
            break;
        }
        s->urls[s->n] = strndup(p, len);
        if (s->urls[s->n] == NULL) {
            rc = -ENOMEM;
            break;
        }
        snprintf(url, sizeof(url), "%s/%s/_search", s->urls[s->n], pattern);
        c.baseurl = url;
        rc = es_new(&c, &s->search[s->n], err, errsz);
        s->n++;
        p = nl ? nl + 1 : NULL;
    }
    if (rc == 0 && s->n == 0) {
        snprintf(err, errsz, "es.urls is empty: give the Elasticsearch"
                 " node(s), for example [\"http://localhost:9200\"]");
        rc = -EINVAL;
    }
    if (rc < 0) {
        store_free(s);
        return rc;
    }
    *ps = s;
    return 0;
}

void
store_free(struct store *s)
{
    size_t i;

    if (s == NULL) {
        return;
    }
    for (i = 0; i < s->n; i++) {
        es_free(s->search[i]);
        free(s->urls[i]);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int
store_search(struct store *s, struct json_object *body,
             struct json_object **answer, char *err, size_t errsz)
{
    const char *text = json_object_to_json_string_ext(body,
                           JSON_C_TO_STRING_PLAIN);
    size_t i;
    int rc = -EIO;

    pthread_mutex_lock(&s->lock);
    for (i = 0; i < s->n; i++) {
        rc = es_search(s->search[i], text, answer, err, errsz);
        /* an answer from Elasticsearch itself ends the round */
        if (rc == 0 || strstr(err, "Elasticsearch says") != NULL) {
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int
store_post(struct store *s, const char *path, struct json_object *body,
           struct json_object **answer, char *err, size_t errsz)
{
    return store_post_text(s, path, json_object_to_json_string_ext(body,
                           JSON_C_TO_STRING_PLAIN), answer, err, errsz);
}

int
store_post_text(struct store *s, const char *path, const char *text,
                struct json_object **answer, char *err, size_t errsz)
{
    size_t i;
    int rc = -EIO;

    for (i = 0; i < s->n; i++) {
        char url[STORE_URL_MAX + 256];
        struct es_conf c = { 0 };
        struct es *e = NULL;

        snprintf(url, sizeof(url), "%s/%s", s->urls[i], path);
        c.baseurl = url;
        rc = es_new(&c, &e, err, errsz);
        if (rc == 0) {
            rc = es_search(e, text, answer, err, errsz);
        }
        es_free(e);
        /* an answer from Elasticsearch itself ends the round */
        if (rc == 0 || strstr(err, "Elasticsearch says") != NULL) {
            break;
        }
    }
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
