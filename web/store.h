/*
 * The Elasticsearch nodes tlog-web reads recordings from and writes its
 * access events to: a list of base URLs, each request going to the one
 * that answered last, the next in turn when it cannot be reached or
 * fails (lib/es.h), from any thread.
 */
#ifndef STORE_H
#define STORE_H

#include <json-c/json.h>
#include <stddef.h>

/* Most node URLs, and the longest URL made from one */
#define STORE_URLS_MAX 16
#define STORE_URL_MAX 2048

struct store;

/*
 * A store on urls (newline-joined base URLs, "http://host:9200"),
 * searching the indices of pattern ("tlog-2*").  Stores it in *ps (free
 * with store_free()).  0 or a negative errno value with err saying why.
 */
int store_new(const char *urls, const char *pattern, struct store **ps,
              char *err, size_t errsz);

/* store_free(NULL) does nothing */
void store_free(struct store *s);

/*
 * The search URLs, NODE/PATTERN/_search comma-joined, as lib/src.h's
 * Elasticsearch source takes them; owned by s.
 */
const char *store_search_urls(const struct store *s);

/*
 * Search the recordings with body.  Stores the answer, owned by the
 * caller, in *answer.  0 or a negative errno value with err holding the
 * reason (each node's when none answered).
 */
int store_search(struct store *s, struct json_object *body,
                 struct json_object **answer, char *err, size_t errsz);

/*
 * POST body to path ("INDEX/_mget") on the nodes, as a search.
 * Stores the answer, owned by the caller, in *answer.  0 or a negative
 * errno value with err holding the reason.
 */
int store_post(struct store *s, const char *path, struct json_object *body,
               struct json_object **answer, char *err, size_t errsz);

/*
 * Search path ("INDEX/_search"; NULL: the recordings) with body (JSON
 * text) and give fn each hit's _source as the text Elasticsearch stored
 * (valid while fn runs), with arg.  Stores the number of hits in *count
 * and the first and last hits' first sort values in *first and *last
 * (when there are hits).  0, fn's negative value (it fills err), or a
 * negative errno value with err holding the reason.
 */
int store_each_hit(struct store *s, const char *path, const char *body,
                   int (*fn)(void *arg, const char *src, size_t len,
                             char *err, size_t errsz),
                   void *arg, size_t *count, long long *first,
                   long long *last, char *err, size_t errsz);

/* store_post() with the body as text (NDJSON for _bulk) */
int store_post_text(struct store *s, const char *path, const char *text,
                    struct json_object **answer, char *err, size_t errsz);

/*
 * Add doc to index (created on the way).  0 or a negative errno value
 * with err holding the last node's reason.
 */
int store_add(struct store *s, const char *index, struct json_object *doc,
              char *err, size_t errsz);

/*
 * The key of the first bucket of the terms aggregation name in a search
 * answer (owned by the caller; any JSON is walked without harm), into
 * key (keysz bytes, cut to fit).  0, -ENOENT when the aggregation has no
 * bucket, or -EIO when the answer has no such aggregation or its first
 * bucket no key, with err saying so; key is left alone then.
 */
int store_first_key(struct json_object *answer, const char *name, char *key,
                    size_t keysz, char *err, size_t errsz);

#endif
