/*
 * A small Elasticsearch client.
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "es.h"

struct es {
    struct es_conf conf;
    char *url;
    CURL *curl;
    struct curl_slist *headers;
    struct buf answer;
};

int
es_new(const struct es_conf *conf, struct es **pe, char *err, size_t errsz)
{
    struct es *e;

    if (conf->baseurl == NULL || *conf->baseurl == 0) {
        snprintf(err, errsz, "no Elasticsearch URL: give --es-baseurl, for"
                 " example http://localhost:9200/tlog/_search");
        return -EINVAL;
    }
    if (strpbrk(conf->baseurl, "?#") != NULL) {
        snprintf(err, errsz, "Elasticsearch URL %s must have no query or"
                 " fragment part", conf->baseurl);
        return -EINVAL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        snprintf(err, errsz, "cannot start libcurl");
        return -EIO;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return -ENOMEM;
    }
    e->conf = *conf;
    e->url = strdup(conf->baseurl);
    e->curl = curl_easy_init();
    e->headers = curl_slist_append(NULL, "Content-Type: application/json");
    buf_init(&e->answer, ES_RESPONSE_MAX);
    if (e->url == NULL || e->curl == NULL || e->headers == NULL) {
        es_free(e);
        return -ENOMEM;
    }
    *pe = e;
    return 0;
}

void
es_free(struct es *e)
{
    if (e == NULL) {
        return;
    }
    if (e->curl != NULL) {
        curl_easy_cleanup(e->curl);
    }
    curl_slist_free_all(e->headers);
    buf_fini(&e->answer);
    free(e->url);
    free(e);
}

static size_t
take(char *p, size_t size, size_t n, void *ctx)
{
    struct es *e = ctx;

    /* past the bound the transfer stops, and the error says why */
    return buf_append(&e->answer, p, size * n) == 0 ? size * n : 0;
}

/* Elasticsearch's reason for an error answer, into err */
static void
reason(struct json_object *o, const char *url, long code, char *err,
       size_t errsz)
{
    struct json_object *e, *r, *t, *rc;

    if (json_object_object_get_ex(o, "error", &e)) {
        if (json_object_get_type(e) == json_type_object) {
            if (json_object_object_get_ex(e, "root_cause", &rc) &&
                json_object_array_length(rc) > 0) {
                e = json_object_array_get_idx(rc, 0);
            }
            json_object_object_get_ex(e, "reason", &r);
            json_object_object_get_ex(e, "type", &t);
            snprintf(err, errsz, "%s: Elasticsearch says (HTTP %ld) %s: %s",
                     url, code, t ? json_object_get_string(t) : "error",
                     r ? json_object_get_string(r) : "no reason given");
        } else {
            snprintf(err, errsz, "%s: Elasticsearch says (HTTP %ld): %s", url,
                     code, json_object_get_string(e));
        }
        return;
    }
    snprintf(err, errsz, "%s: HTTP %ld", url, code);
}

int
es_search(struct es *e, const char *body, struct json_object **answer,
          char *err, size_t errsz)
{
    struct json_tokener *tok;
    struct json_object *o;
    long code = 0;
    CURLcode cc;

    e->answer.len = 0;
    curl_easy_reset(e->curl);
    curl_easy_setopt(e->curl, CURLOPT_URL, e->url);
    curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, e->headers);
    curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, take);
    curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, e);
    curl_easy_setopt(e->curl, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
    curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(e->curl, CURLOPT_VERBOSE, e->conf.verbose ? 1L : 0L);
    if (e->conf.userpwd != NULL && *e->conf.userpwd) {
        curl_easy_setopt(e->curl, CURLOPT_USERPWD, e->conf.userpwd);
    }
    if (e->conf.cacert != NULL && *e->conf.cacert) {
        curl_easy_setopt(e->curl, CURLOPT_CAINFO, e->conf.cacert);
    }
    if (e->conf.cert != NULL && *e->conf.cert) {
        curl_easy_setopt(e->curl, CURLOPT_SSLCERT, e->conf.cert);
    }
    if (e->conf.key != NULL && *e->conf.key) {
        curl_easy_setopt(e->curl, CURLOPT_SSLKEY, e->conf.key);
    }
    cc = curl_easy_perform(e->curl);
    if (cc != CURLE_OK) {
        snprintf(err, errsz, "%s: %s", e->url,
                 cc == CURLE_WRITE_ERROR ? "answer larger than the limit" :
                 curl_easy_strerror(cc));
        return -EIO;
    }
    curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &code);
    tok = json_tokener_new();
    if (tok == NULL) {
        return -ENOMEM;
    }
    o = json_tokener_parse_ex(tok, (const char *)e->answer.data,
                              (int)e->answer.len);
    json_tokener_free(tok);
    if (o == NULL || json_object_get_type(o) != json_type_object) {
        snprintf(err, errsz, "%s: HTTP %ld and an answer that is not a JSON"
                 " object", e->url, code);
        json_object_put(o);
        return -EIO;
    }
    if (code >= 300 || json_object_object_get_ex(o, "error", NULL)) {
        reason(o, e->url, code, err, errsz);
        json_object_put(o);
        return -EIO;
    }
    *answer = o;
    return 0;
}
