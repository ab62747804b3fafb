/*
 * A small Elasticsearch client.
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "es.h"

/* Longest URL made of a node's and a path (es_post()) */
#define ES_URL_MAX 4096
/* Bytes read from the connection at once */
#define ES_READ_SIZE (256L * 1024)

struct es {
    struct es_conf conf;
    char *urls[ES_URLS_MAX];    /* the nodes to ask, in turn */
    size_t nurls;
    size_t cur;                 /* the one that answered last */
    char failed[1024];          /* the others' failures in the last
                                   request, or "" */
    CURL *curl;
    struct curl_slist *headers;
    struct buf answer;
};

/* Whether p starts a URL of its own: http:// or https:// */
static bool
url_start(const char *p)
{
    return !strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8);
}

/*
 * Split the list of base URLs into e->urls.  A comma ends a URL only
 * where the next one starts (http:// or https://): a comma inside a
 * path names several indices, as in /tlog-a,tlog-b/_search.
 */
static int
split_urls(struct es *e, const char *list, char *err, size_t errsz)
{
    const char *p = list, *q;

    while (*p) {
        size_t n;

        p += strspn(p, " \t");
        for (q = strchr(p, ','); q != NULL && !url_start(q + 1 +
                                                        strspn(q + 1, " \t"));
             q = strchr(q + 1, ',')) {
        }
        n = q ? (size_t)(q - p) : strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
            n--;
        }
        if (n == 0) {
            snprintf(err, errsz, "Elasticsearch URL list \"%s\": an empty"
                     " URL (separate URLs with single commas)", list);
            return -EINVAL;
        }
        if (e->nurls == ES_URLS_MAX) {
            snprintf(err, errsz, "Elasticsearch URL list: more than %d URLs",
                     ES_URLS_MAX);
            return -E2BIG;
        }
        e->urls[e->nurls] = strndup(p, n);
        if (e->urls[e->nurls] == NULL) {
            snprintf(err, errsz, "out of memory reading the Elasticsearch URL"
                     " list");
            return -ENOMEM;
        }
        if (strpbrk(e->urls[e->nurls], "?#") != NULL) {
            snprintf(err, errsz, "Elasticsearch URL %s must have no query or"
                     " fragment part", e->urls[e->nurls]);
            e->nurls++;
            return -EINVAL;
        }
        e->nurls++;
        p = q ? q + 1 : p + n;
    }
    return 0;
}

int
es_new(const struct es_conf *conf, struct es **pe, char *err, size_t errsz)
{
    struct es *e;
    int rc;

    if (conf->baseurl == NULL || conf->baseurl[strspn(conf->baseurl,
                                                      " \t")] == 0) {
        snprintf(err, errsz, "no Elasticsearch URL: give --es-baseurl, for"
                 " example http://localhost:9200/tlog/_search");
        return -EINVAL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        snprintf(err, errsz, "cannot start libcurl");
        return -EIO;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        snprintf(err, errsz, "out of memory setting up the Elasticsearch"
                 " client");
        return -ENOMEM;
    }
    e->conf = *conf;
    /* kept as copies, for the caller's to go */
    e->conf.baseurl = NULL;
    e->conf.userpwd = conf->userpwd ? strdup(conf->userpwd) : NULL;
    e->conf.cacert = conf->cacert ? strdup(conf->cacert) : NULL;
    e->conf.cert = conf->cert ? strdup(conf->cert) : NULL;
    e->conf.key = conf->key ? strdup(conf->key) : NULL;
    if ((conf->userpwd && !e->conf.userpwd) ||
        (conf->cacert && !e->conf.cacert) || (conf->cert && !e->conf.cert) ||
        (conf->key && !e->conf.key)) {
        es_free(e);
        snprintf(err, errsz, "out of memory setting up the Elasticsearch"
                 " client");
        return -ENOMEM;
    }
    rc = split_urls(e, conf->baseurl, err, errsz);
    if (rc < 0) {
        es_free(e);
        return rc;
    }
    e->curl = curl_easy_init();
    e->headers = curl_slist_append(NULL, "Content-Type: application/json");
    buf_init(&e->answer, ES_RESPONSE_MAX);
    if (e->curl == NULL || e->headers == NULL) {
        es_free(e);
        snprintf(err, errsz, "out of memory setting up the Elasticsearch"
                 " client");
        return -ENOMEM;
    }
    *pe = e;
    return 0;
}

void
es_expect(struct es *e, size_t bytes)
{
    e->answer.len = 0;
    /* without the room, the answer is fetched all the same */
    (void)buf_reserve(&e->answer, bytes < ES_RESPONSE_MAX ? bytes :
                                                           ES_RESPONSE_MAX);
}

void
es_trim(struct es *e, size_t keep)
{
    if (e->answer.cap > keep) {
        buf_fini(&e->answer);
    }
}

void
es_take_choice(struct es *e, const struct es *from)
{
    if (e->nurls == from->nurls) {
        e->cur = from->cur;
    }
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
    while (e->nurls > 0) {
        free(e->urls[--e->nurls]);
    }
    free((char *)e->conf.userpwd);
    free((char *)e->conf.cacert);
    free((char *)e->conf.cert);
    free((char *)e->conf.key);
    free(e);
}

static int post_one(struct es *e, const char *url, const char *body,
                    long *code, char *err, size_t errsz);

/*
 * The URL of path on the node of search URL base: base less its last two
 * parts (INDEX/_search), then path, into out.  0, or -EINVAL with err
 * saying the URL has no such parts or the result is too long.
 */
static int
node_url(const char *base, const char *path, char *out, size_t outsz,
         char *err, size_t errsz)
{
    const char *host = strstr(base, "://");
    const char *end = base + strlen(base);
    int parts;

    host = host ? host + 3 : base;
    /* a trailing slash names no part */
    while (end > host && end[-1] == '/') {
        end--;
    }
    for (parts = 0; parts < 2 && end > host; parts++) {
        while (end > host && end[-1] != '/') {
            end--;
        }
        while (end > host && end[-1] == '/') {
            end--;
        }
    }
    if (parts < 2 || end == host) {
        snprintf(err, errsz, "Elasticsearch URL %s does not end in"
                 " INDEX/_search: no node to send %s to", base, path);
        return -EINVAL;
    }
    if ((size_t)snprintf(out, outsz, "%.*s/%s", (int)(end - base), base,
                         path) >= outsz) {
        snprintf(err, errsz, "Elasticsearch URL %s/%s longer than %zu"
                 " bytes", base, path, outsz - 1);
        return -EINVAL;
    }
    return 0;
}

static size_t
take(char *p, size_t size, size_t n, void *ctx)
{
    struct es *e = ctx;
    curl_off_t whole = -1;

    /* room for the whole answer at once, when its length is known */
    if (e->answer.len == 0 &&
        curl_easy_getinfo(e->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                          &whole) == CURLE_OK && whole > 0 &&
        (uint64_t)whole <= ES_RESPONSE_MAX) {
        (void)buf_reserve(&e->answer, (size_t)whole);
    }
    /* past the bound the transfer stops, and the error says why */
    return buf_append(&e->answer, p, size * n) == 0 ? size * n : 0;
}

/*
 * Send body to the node that answered last; one that cannot be reached,
 * or answers 5xx (failing) or 429 (too busy), passes the request to the
 * next in turn, until each was asked once.  The answer's text is left in
 * e->answer, and *code is its HTTP status: that of the last node asked
 * when none answered otherwise.
 */
static int
post(struct es *e, const char *path, const char *body, long *code,
     char *err, size_t errsz)
{
    char *failed = e->failed, other[ES_URL_MAX];
    size_t tried, used = 0;
    int rc;

    failed[0] = 0;
    for (tried = 0; tried < e->nurls; tried++) {
        const char *url = e->urls[e->cur];

        if (path != NULL) {
            rc = node_url(url, path, other, sizeof(other), err, errsz);
            if (rc < 0) {
                return rc;
            }
            url = other;
        }
        rc = post_one(e, url, body, code, err, errsz);
        if (rc == 0 && ((*code < 500 && *code != 429) ||
                        tried + 1 == e->nurls)) {
            return 0;
        }
        if (rc == -EFBIG || e->nurls == 1) {
            return rc;      /* as large from any node */
        }
        if (used < sizeof(e->failed)) {
            if (rc == 0) {
                used += (size_t)snprintf(failed + used,
                                         sizeof(e->failed) - used,
                                         "%s%s: HTTP %ld", used ? "; " : "",
                                         url, *code);
            } else {
                /* err is "URL: reason" */
                used += (size_t)snprintf(failed + used,
                                         sizeof(e->failed) - used,
                                         "%s%s", used ? "; " : "", err);
            }
        }
        e->cur = (e->cur + 1) % e->nurls;
    }
    snprintf(err, errsz, "none of the %zu Elasticsearch URLs answered: %s",
             e->nurls, failed);
    failed[0] = 0;
    return -EIO;
}

/* After err, say how the URLs asked before the last one failed */
static void
add_failed(const struct es *e, char *err, size_t errsz)
{
    size_t n = strlen(err);

    if (e->failed[0] && n < errsz) {
        snprintf(err + n, errsz - n, " (before it: %s)", e->failed);
    }
}

/* One request to url, as post() */
static int
post_one(struct es *e, const char *url, const char *body, long *code,
         char *err, size_t errsz)
{
    CURLcode cc;

    e->answer.len = 0;
    curl_easy_reset(e->curl);
    curl_easy_setopt(e->curl, CURLOPT_URL, url);
    curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, e->headers);
    curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, take);
    curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, e);
    curl_easy_setopt(e->curl, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
    curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT, 30L);
    /* answers are megabytes: fewer, larger reads */
    curl_easy_setopt(e->curl, CURLOPT_BUFFERSIZE, ES_READ_SIZE);
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
        snprintf(err, errsz, "%s: %s", url,
                 cc == CURLE_WRITE_ERROR ? "answer larger than the limit" :
                 curl_easy_strerror(cc));
        return cc == CURLE_WRITE_ERROR ? -EFBIG : -EIO;
    }
    curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, code);
    return 0;
}

/* Parse the answer held in e->answer as a JSON object */
static int
parse(struct es *e, long code, struct json_object **answer, char *err,
      size_t errsz)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o;

    if (tok == NULL) {
        return -ENOMEM;
    }
    o = json_tokener_parse_ex(tok, (const char *)e->answer.data,
                              (int)e->answer.len);
    json_tokener_free(tok);
    if (o == NULL || json_object_get_type(o) != json_type_object) {
        /* not Elasticsearch's own answer: a proxy in front of it */
        snprintf(err, errsz, "%s: HTTP %ld and an answer that is not a JSON"
                 " object%s", e->urls[e->cur], code,
                 code == 401 ? " (the server asks for a user and password:"
                 " set TLOG_CURL_USERPWD=USER:PASSWORD or use ~/.netrc)" :
                 code == 400 || code == 495 || code == 496 ?
                 " (a server that asks for a client certificate refuses"
                 " a request without one: give --es-cert and --es-key)" :
                 "");
        json_object_put(o);
        return -EIO;
    }
    if (code >= 300 || json_object_object_get_ex(o, "error", NULL)) {
        es_reason(o, e->urls[e->cur], code, err, errsz);
        json_object_put(o);
        return -EIO;
    }
    *answer = o;
    return 0;
}

int
es_search(struct es *e, const char *body, struct json_object **answer,
          char *err, size_t errsz)
{
    return es_post(e, NULL, body, answer, err, errsz);
}

int
es_post(struct es *e, const char *path, const char *body,
        struct json_object **answer, char *err, size_t errsz)
{
    long code = 0;
    int rc = post(e, path, body, &code, err, errsz);

    if (rc == 0) {
        rc = parse(e, code, answer, err, errsz);
        if (rc < 0) {
            add_failed(e, err, errsz);
        }
    }
    return rc;
}

int
es_search_raw(struct es *e, const char *body, const uint8_t **data,
              size_t *len, char *err, size_t errsz)
{
    return es_post_raw(e, NULL, body, data, len, err, errsz);
}

int
es_post_raw(struct es *e, const char *path, const char *body,
            const uint8_t **data, size_t *len, char *err, size_t errsz)
{
    struct json_object *o = NULL;
    long code = 0;
    int rc = post(e, path, body, &code, err, errsz);

    if (rc < 0) {
        return rc;
    }
    if (code >= 300) {
        /* small, and Elasticsearch's reason is in it */
        rc = parse(e, code, &o, err, errsz);
        json_object_put(o);
        add_failed(e, err, errsz);
        return rc < 0 ? rc : -EIO;
    }
    *data = e->answer.data;
    *len = e->answer.len;
    return 0;
}
