/*
 * The Elasticsearch client of a build without it (configure
 * --disable-es, no libcurl): no client can be made, so a program given
 * an Elasticsearch source or store says how to get one, and the rest of
 * the interface is never reached.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "es.h"

int
es_new(const struct es_conf *conf, struct es **pe, char *err, size_t errsz)
{
    (void)conf;
    (void)pe;
    snprintf(err, errsz, "this program was built without Elasticsearch"
             " support (configure --disable-es): build it again without"
             " that option, with libcurl's development files installed");
    return -ENOTSUP;
}

void
es_expect(struct es *e, size_t bytes)
{
    (void)e;
    (void)bytes;
}

void
es_trim(struct es *e, size_t keep)
{
    (void)e;
    (void)keep;
}

void
es_take_choice(struct es *e, const struct es *from)
{
    (void)e;
    (void)from;
}

void
es_free(struct es *e)
{
    (void)e;
}

int
es_search_raw(struct es *e, const char *body, const uint8_t **data,
              size_t *len, char *err, size_t errsz)
{
    (void)e;
    (void)body;
    (void)data;
    (void)len;
    snprintf(err, errsz, "built without Elasticsearch support");
    return -ENOTSUP;
}

int
es_search(struct es *e, const char *body, struct json_object **answer,
          char *err, size_t errsz)
{
    (void)e;
    (void)body;
    (void)answer;
    snprintf(err, errsz, "built without Elasticsearch support");
    return -ENOTSUP;
}

int
es_post(struct es *e, const char *path, const char *body,
        struct json_object **answer, char *err, size_t errsz)
{
    (void)path;
    return es_search(e, body, answer, err, errsz);
}

int
es_post_raw(struct es *e, const char *path, const char *body,
            const uint8_t **data, size_t *len, char *err, size_t errsz)
{
    (void)path;
    return es_search_raw(e, body, data, len, err, errsz);
}
