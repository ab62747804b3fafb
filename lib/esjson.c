/*
 * Elasticsearch's answers and queries as JSON: the hits and buckets of a
 * search answer found without building it as objects, and a step in
 * building a query.  No transport here: these build without libcurl.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es.h"
#include "jtok.h"

/* Most hits one answer may hold */
#define ES_HITS_MAX 100000

static int
bad(struct jtok *t, const char *what, char *err, size_t errsz)
{
    snprintf(err, errsz, "Elasticsearch answer, byte %zu: %s",
             jtok_offset(t), t->why ? t->why : what);
    return -EINVAL;
}

/* Read a key of an object at t; its text goes to key (NUL-terminated) */
static int
key_of(struct jtok *t, char *key, size_t keysz)
{
    const uint8_t *k;
    size_t n;

    if (jtok_peek(t) != JTOK_STRING) {
        return -EINVAL;
    }
    k = t->p + 1;
    if (jtok_string(t, NULL) < 0) {
        return -EINVAL;
    }
    n = (size_t)(t->p - 1 - k);
    snprintf(key, keysz, "%.*s", (int)(n < keysz ? n : keysz - 1),
             (const char *)k);
    return jtok_expect(t, ':');
}

/*
 * Step over the object or array at t by its structure alone: strings and
 * nesting.  The decoder checks a _source fully later, so this only has to
 * find its end, fast.
 */
static int
skip_raw(struct jtok *t)
{
    const uint8_t *p = t->p, *end = t->end;
    int depth = 0;

    for (; p < end; p++) {
        switch (*p) {
        case '"':
            /* the text inside strings is most of a message: jump */
            for (p++; p < end; ) {
                const uint8_t *q = memchr(p, '"', (size_t)(end - p));
                const uint8_t *bs;

                if (q == NULL) {
                    p = end;
                    break;
                }
                bs = memchr(p, '\\', (size_t)(q - p));
                if (bs == NULL) {
                    p = q;
                    break;
                }
                p = bs + 2;     /* an escape: the next byte is not an end */
            }
            if (p >= end) {
                t->p = end;
                t->why = "string not terminated";
                return -EINVAL;
            }
            break;
        case '{':
        case '[':
            if (++depth > JTOK_DEPTH_MAX) {
                t->p = p;
                t->why = "nested too deep";
                return -EINVAL;
            }
            break;
        case '}':
        case ']':
            if (--depth == 0) {
                t->p = p + 1;
                return 0;
            }
            break;
        default:
            break;
        }
    }
    t->p = end;
    t->why = "value not closed";
    return -EINVAL;
}

/* One hit object: its _id, _source range and first sort value */
static int
hit_parse(struct jtok *t, struct es_hit *h)
{
    char key[32];
    bool is_int;
    int64_t v;
    int rc;

    memset(h, 0, sizeof(*h));
    rc = jtok_expect(t, '{');
    if (rc < 0 || jtok_accept(t, '}')) {
        return rc < 0 ? rc : -EINVAL;
    }
    do {
        rc = key_of(t, key, sizeof(key));
        if (rc < 0) {
            return rc;
        }
        if (!strcmp(key, "_source")) {
            if (jtok_peek(t) != JTOK_OBJECT) {
                return -EINVAL;
            }
            h->src_off = jtok_offset(t);
            rc = skip_raw(t);
            h->src_len = jtok_offset(t) - h->src_off;
        } else if (!strcmp(key, "_id") && jtok_peek(t) == JTOK_STRING) {
            h->id_off = jtok_offset(t) + 1;
            rc = jtok_string(t, NULL);
            h->id_len = jtok_offset(t) - 1 - h->id_off;
        } else if (!strcmp(key, "sort") && jtok_peek(t) == JTOK_ARRAY) {
            rc = jtok_expect(t, '[');
            if (rc == 0 && jtok_peek(t) == JTOK_NUMBER &&
                jtok_number(t, &is_int, &v, NULL) == 0 && is_int) {
                h->sort = v;
            } else {
                return -EINVAL;
            }
            while (rc == 0 && jtok_accept(t, ',')) {
                rc = jtok_skip(t);
            }
            if (rc == 0) {
                rc = jtok_expect(t, ']');
            }
        } else {
            rc = jtok_skip(t);
        }
        if (rc < 0) {
            return rc;
        }
    } while (jtok_accept(t, ','));
    rc = jtok_expect(t, '}');
    return rc < 0 ? rc : (h->src_len > 0 ? 0 : -EINVAL);
}

int
es_hits_parse(const uint8_t *p, size_t n, struct es_hit **hits,
              size_t *count, char *err, size_t errsz)
{
    struct jtok t;
    struct es_hit *v = NULL;
    size_t nv = 0, cap = 0;
    char key[32];
    int depth, rc;

    jtok_init(&t, p, n);
    /* down two levels: {"hits": {"hits": [ ... ]}} */
    for (depth = 0; depth < 2; depth++) {
        if (jtok_expect(&t, '{') < 0) {
            return bad(&t, "expected an object", err, errsz);
        }
        for (;;) {
            if (key_of(&t, key, sizeof(key)) < 0) {
                return bad(&t, "no hits", err, errsz);
            }
            if (!strcmp(key, "hits") &&
                jtok_peek(&t) == (depth == 0 ? JTOK_OBJECT : JTOK_ARRAY)) {
                break;
            }
            if (jtok_skip(&t) < 0 || !jtok_accept(&t, ',')) {
                return bad(&t, "no hits", err, errsz);
            }
        }
    }
    if (jtok_expect(&t, '[') < 0) {
        return bad(&t, "hits is not an array", err, errsz);
    }
    if (!jtok_accept(&t, ']')) {
        do {
            if (nv == cap) {
                struct es_hit *b;

                if (cap >= ES_HITS_MAX) {
                    free(v);
                    return bad(&t, "too many hits", err, errsz);
                }
                cap = cap ? cap * 2 : 1024;
                b = realloc(v, cap * sizeof(*v));
                if (b == NULL) {
                    free(v);
                    snprintf(err, errsz, "out of memory reading the hits of"
                             " an Elasticsearch answer");
                    return -ENOMEM;
                }
                v = b;
            }
            rc = hit_parse(&t, &v[nv]);
            if (rc < 0) {
                free(v);
                return bad(&t, "a hit without _source or a numeric sort",
                           err, errsz);
            }
            nv++;
        } while (jtok_accept(&t, ','));
        if (jtok_expect(&t, ']') < 0) {
            free(v);
            return bad(&t, "hits not closed", err, errsz);
        }
    }
    *hits = v;
    *count = nv;
    return 0;
}

/* Step over the value at t: objects and arrays by their structure alone */
static int
skip_value(struct jtok *t)
{
    enum jtok_type k = jtok_peek(t);

    return k == JTOK_OBJECT || k == JTOK_ARRAY ? skip_raw(t) : jtok_skip(t);
}

/* Walk the object at t to its key name; false if it has none */
static bool
find_key(struct jtok *t, const char *name)
{
    char key[64];

    if (jtok_expect(t, '{') < 0 || jtok_accept(t, '}')) {
        return false;
    }
    do {
        if (key_of(t, key, sizeof(key)) < 0) {
            return false;
        }
        if (!strcmp(key, name)) {
            return true;
        }
        if (skip_value(t) < 0) {
            return false;
        }
    } while (jtok_accept(t, ','));
    return false;
}

int
es_agg_buckets(const uint8_t *p, size_t n, const char *name, size_t *count,
               char *err, size_t errsz)
{
    struct jtok t;
    size_t nb = 0;

    jtok_init(&t, p, n);
    if (!find_key(&t, "aggregations") || !find_key(&t, name) ||
        !find_key(&t, "buckets")) {
        snprintf(err, errsz, "Elasticsearch answered without the"
                 " aggregation %s asked for", name);
        return -ENOENT;
    }
    if (jtok_expect(&t, '[') < 0) {
        return bad(&t, "buckets is not an array", err, errsz);
    }
    if (!jtok_accept(&t, ']')) {
        do {
            if (skip_value(&t) < 0) {
                return bad(&t, "a bucket not closed", err, errsz);
            }
            nb++;
        } while (jtok_accept(&t, ','));
        if (jtok_expect(&t, ']') < 0) {
            return bad(&t, "buckets not closed", err, errsz);
        }
    }
    *count = nb;
    return 0;
}

void
es_reason(struct json_object *answer, const char *url, long code, char *err,
          size_t errsz)
{
    struct json_object *e, *r, *t, *rc;
    const char *what;

    if (json_object_object_get_ex(answer, "error", &e)) {
        if (json_object_get_type(e) == json_type_object) {
            if (json_object_object_get_ex(e, "root_cause", &rc) &&
                json_object_is_type(rc, json_type_array) &&
                json_object_array_length(rc) > 0) {
                e = json_object_array_get_idx(rc, 0);
            }
            json_object_object_get_ex(e, "reason", &r);
            json_object_object_get_ex(e, "type", &t);
            snprintf(err, errsz, "%s: Elasticsearch says (HTTP %ld) %s: %s",
                     url, code, t ? json_object_get_string(t) : "error",
                     r ? json_object_get_string(r) : "no reason given");
        } else {
            /* (json-c has no text for null) */
            what = json_object_get_string(e);
            snprintf(err, errsz, "%s: Elasticsearch says (HTTP %ld): %s", url,
                     code, what != NULL ? what : "null");
        }
        return;
    }
    snprintf(err, errsz, "%s: HTTP %ld", url, code);
}

struct json_object *
es_pair(const char *key, struct json_object *value)
{
    struct json_object *o = json_object_new_object();

    if (o != NULL) {
        json_object_object_add(o, key, value);
    } else {
        json_object_put(value);
    }
    return o;
}
