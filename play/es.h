/*
 * A small Elasticsearch client: POST a JSON request to a search URL and
 * get the parsed answer, with Elasticsearch's own reason on failure.
 */
#ifndef ES_H
#define ES_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* Largest answer accepted, in bytes */
#define ES_RESPONSE_MAX (512 * 1024 * 1024)

struct es_conf {
    const char *baseurl;    /* .../INDEX/_search */
    bool verbose;           /* libcurl's trace on stderr */
    const char *userpwd;    /* USER:PASSWORD, or NULL (.netrc is read too) */
    const char *cacert;     /* CA file for https, or NULL */
    const char *cert;       /* client certificate, or NULL */
    const char *key;        /* its key, or NULL */
};

struct es;

/* Create a client; stores it in *pe.  0 or a negative errno value */
int es_new(const struct es_conf *conf, struct es **pe, char *err,
           size_t errsz);

/* es_free(NULL) does nothing */
void es_free(struct es *e);

/*
 * POST body to the search URL.  On success stores the answer, owned by
 * the caller (json_object_put()), in *answer.  Returns 0, or a negative
 * errno value with err holding the URL and the transport's or
 * Elasticsearch's reason.
 */
int es_search(struct es *e, const char *body, struct json_object **answer,
              char *err, size_t errsz);

#endif
