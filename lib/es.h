/*
 * A small Elasticsearch client: POST a JSON request to a search URL and
 * get the parsed answer, with Elasticsearch's own reason on failure.
 */
#ifndef ES_H
#define ES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Largest answer accepted, in bytes */
#define ES_RESPONSE_MAX (512 * 1024 * 1024)
/* Most base URLs (nodes of a cluster) one client asks */
#define ES_URLS_MAX 16

struct es_conf {
    const char *baseurl;    /* .../INDEX/_search; several, separated by
                               commas, each starting with http:// or
                               https:// (a comma elsewhere belongs to the
                               URL: /tlog-a,tlog-b/_search) */
    bool verbose;           /* libcurl's trace on stderr */
    const char *userpwd;    /* USER:PASSWORD, or NULL (.netrc is read too) */
    const char *cacert;     /* CA file for https, or NULL */
    const char *cert;       /* client certificate, or NULL */
    const char *key;        /* its key, or NULL */
};

struct es;

/*
 * Create a client; stores it in *pe.  0 or a negative errno value with
 * err saying what is wrong with the URLs.  conf is copied.  A request
 * goes to the URL that answered the last one (the first at the start);
 * when it cannot be reached or answers HTTP 5xx or 429, to the next one
 * in turn, until each was asked once.  Calls curl_global_init(): a
 * program with threads calls it first itself.
 */
int es_new(const struct es_conf *conf, struct es **pe, char *err,
           size_t errsz);

/*
 * Make room for an answer of about bytes before asking.  An answer sent
 * in chunks (as Elasticsearch 8 sends them) does not say its length
 * first: without room made, its buffer grows, copied each time.
 */
void es_expect(struct es *e, size_t bytes);

/*
 * Release the memory of the last answer when it holds more than keep
 * bytes, for a client kept idle (its answer's text is gone).
 */
void es_trim(struct es *e, size_t keep);

/* Start asking the URL from last answered, of a client made with the
 * same configuration */
void es_take_choice(struct es *e, const struct es *from);

/* es_free(NULL) does nothing */
void es_free(struct es *e);

/* One hit of a search answer, as byte ranges of the answer */
struct es_hit {
    size_t src_off;         /* the _source object's JSON text */
    size_t src_len;
    long long sort;         /* the first sort value */
    size_t id_off;          /* the _id string's content */
    size_t id_len;
};

/*
 * Find the hits of a search answer p[0..n) without building it as
 * objects: each hit's _source is left as the text Elasticsearch stored,
 * ready for the decoder.  Stores a malloc'ed array, owned by the caller,
 * in *hits and its length in *count.  Returns 0, or -EINVAL with err
 * saying where the answer is malformed.
 */
int es_hits_parse(const uint8_t *p, size_t n, struct es_hit **hits,
                  size_t *count, char *err, size_t errsz);

/*
 * The number of buckets of the aggregation name (a terms aggregation at
 * the top of "aggregations") in a search answer p[0..n), into *count.
 * The hits are stepped over by their structure alone.  Returns 0,
 * -ENOENT when the answer has no such aggregation, or -EINVAL when it is
 * malformed, with err saying so.
 */
int es_agg_buckets(const uint8_t *p, size_t n, const char *name,
                   size_t *count, char *err, size_t errsz);

/*
 * POST body to the search URL and keep the answer's text, valid until
 * the next request: *data and *len.  Errors as es_search().
 */
int es_search_raw(struct es *e, const char *body, const uint8_t **data,
                  size_t *len, char *err, size_t errsz);

/* es_search_raw() to path on the nodes, as es_post() */
int es_post_raw(struct es *e, const char *path, const char *body,
                const uint8_t **data, size_t *len, char *err, size_t errsz);

/*
 * POST body to the search URL.  On success stores the answer, owned by
 * the caller (json_object_put()), in *answer.  Returns 0, or a negative
 * errno value with err holding the URL and the transport's or
 * Elasticsearch's reason.
 */
int es_search(struct es *e, const char *body, struct json_object **answer,
              char *err, size_t errsz);

/*
 * POST body to path ("INDEX/_doc", "_mget", "_bulk") on the nodes of the
 * search URLs: each URL less its last two parts (INDEX/_search) and path
 * after it, asked in turn as for a search.  Answer and errors as
 * es_search().
 */
int es_post(struct es *e, const char *path, const char *body,
            struct json_object **answer, char *err, size_t errsz);

/*
 * Elasticsearch's reason for an error answer (owned by the caller; any
 * JSON, or NULL, is read without harm) from url with HTTP status code,
 * into err: its error's (or first root cause's) type and reason.
 */
void es_reason(struct json_object *answer, const char *url, long code,
               char *err, size_t errsz);

/* The object {key: value}, taking value (a step in building a query);
 * NULL, with value released, when out of memory */
struct json_object *es_pair(const char *key, struct json_object *value);

#endif
