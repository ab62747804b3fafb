/*
 * Verification states: the cache, the key searches, and a check reading
 * a whole recording into lib/verify.c.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es.h"
#include "seals.h"
#include "verify.h"

struct entry {
    char *host;                 /* NULL: a free entry */
    char *rec;
    struct seals_key key;
    uint64_t used;              /* when last asked for, in asks */
    struct verify_verdict vd;
    size_t messages, checkpoints;
};

struct seals {
    struct store *store;
    char *cp_search;            /* "INDEX/_search" of the checkpoints */
    struct seal_keyring *ring;
    pthread_mutex_t lock;
    struct entry *cache;        /* SEALS_CACHE_MAX of them */
    uint64_t asks;
    int running;
};

int
seals_new(struct store *store, const char *index, struct seal_keyring *ring,
          struct seals **ps)
{
    struct seals *s = calloc(1, sizeof(*s));

    if (s == NULL || (s->cache = calloc(SEALS_CACHE_MAX,
                                        sizeof(*s->cache))) == NULL ||
        asprintf(&s->cp_search, "%s/_search", index) < 0) {
        if (s != NULL) {
            free(s->cache);
            free(s);
        }
        seal_keyring_free(ring);
        return -ENOMEM;
    }
    s->store = store;
    s->ring = ring;
    pthread_mutex_init(&s->lock, NULL);
    *ps = s;
    return 0;
}

void
seals_free(struct seals *s)
{
    size_t i;

    if (s == NULL) {
        return;
    }
    for (i = 0; i < SEALS_CACHE_MAX; i++) {
        free(s->cache[i].host);
        free(s->cache[i].rec);
    }
    free(s->cache);
    free(s->cp_search);
    seal_keyring_free(s->ring);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* The query of the documents of rec (of host, unless NULL) */
static struct json_object *
of_rec(const char *host, const char *rec)
{
    struct json_object *f = json_object_new_array();

    json_object_array_add(f, es_pair("term", es_pair("rec",
                                     json_object_new_string(rec))));
    if (host != NULL) {
        json_object_array_add(f, es_pair("term", es_pair("host",
                                         json_object_new_string(host))));
    }
    return es_pair("bool", es_pair("filter", f));
}

/* The search of each (rec, host) of recs' documents: how many, the sum
 * of their sequence numbers and, with last, their last id */
static struct json_object *
key_search(struct json_object *recs, bool last)
{
    struct json_object *body = json_object_new_object(), *sub, *h, *r;
    size_t n = json_object_array_length(recs);

    json_object_object_add(body, "size", json_object_new_int(0));
    json_object_object_add(body, "query", es_pair("terms",
                           es_pair("rec", json_object_get(recs))));
    sub = es_pair("seq", es_pair("sum", es_pair("field",
                  json_object_new_string("_seq_no"))));
    if (last) {
        json_object_object_add(sub, "last", es_pair("max", es_pair("field",
                               json_object_new_string("id"))));
    }
    h = es_pair("terms", es_pair("field", json_object_new_string("host")));
    json_object_object_add(json_object_object_get(h, "terms"), "size",
                           json_object_new_int(SEALS_HOSTS_MAX));
    json_object_object_add(h, "aggs", sub);
    r = es_pair("terms", es_pair("field", json_object_new_string("rec")));
    json_object_object_add(json_object_object_get(r, "terms"), "size",
                           json_object_new_int64((int64_t)(n ? n : 1)));
    json_object_object_add(r, "aggs", es_pair("h", h));
    json_object_object_add(body, "aggs", es_pair("r", r));
    return body;
}

/* The bucket of key in the terms aggregation name of o, or NULL */
static struct json_object *
bucket(struct json_object *o, const char *name, const char *key)
{
    struct json_object *bs, *b, *k;
    size_t i;

    if (!json_object_object_get_ex(o, name, &bs) ||
        !json_object_object_get_ex(bs, "buckets", &bs) ||
        !json_object_is_type(bs, json_type_array)) {
        return NULL;
    }
    for (i = 0; i < json_object_array_length(bs); i++) {
        b = json_object_array_get_idx(bs, i);
        /* (a key of null has no text) */
        if (json_object_object_get_ex(b, "key", &k) &&
            json_object_get_string(k) != NULL &&
            !strcmp(json_object_get_string(k), key)) {
            return b;
        }
    }
    return NULL;
}

/*
 * A metric's value in bucket b, or 0.  Only a number up to
 * SEALS_METRIC_MAX counts: a key must equal itself (NaN would not) and
 * last converts to an integer.
 */
#define SEALS_METRIC_MAX 1e18

static double
metric(struct json_object *b, const char *name)
{
    struct json_object *o;
    double d;

    if (!json_object_object_get_ex(b, name, &o) ||
        !json_object_object_get_ex(o, "value", &o)) {
        return 0;
    }
    d = json_object_get_double(o);
    return d >= -SEALS_METRIC_MAX && d <= SEALS_METRIC_MAX ? d : 0;
}

/* The bucket of (rec, host) in answer a */
static struct json_object *
pair_bucket(struct json_object *a, const char *rec, const char *host)
{
    struct json_object *o;

    if (!json_object_object_get_ex(a, "aggregations", &o)) {
        return NULL;
    }
    o = bucket(o, "r", rec);
    return o ? bucket(o, "h", host) : NULL;
}

/* The two key searches for the (rec, host) pairs named by recs, into
 * *msgs and *cps */
static int
key_answers(struct seals *s, struct json_object *recs,
            struct json_object **msgs, struct json_object **cps, char *err,
            size_t errsz)
{
    struct json_object *body = key_search(recs, true);
    int rc = store_search(s->store, body, msgs, err, errsz);

    json_object_put(body);
    if (rc < 0) {
        return rc;
    }
    body = key_search(recs, false);
    rc = store_post(s->store, s->cp_search, body, cps, err, errsz);
    json_object_put(body);
    if (rc < 0) {
        json_object_put(*msgs);
        *msgs = NULL;
    }
    return rc;
}

void
seals_walk_key(struct json_object *msgs, struct json_object *cps,
               const char *rec, const char *host, struct seals_key *k)
{
    struct json_object *b = pair_bucket(msgs, rec, host), *o;

    memset(k, 0, sizeof(*k));
    if (b != NULL) {
        k->msgs = json_object_object_get_ex(b, "doc_count", &o) ?
                  json_object_get_int64(o) : 0;
        k->last = (int64_t)metric(b, "last");
        k->msg_seq = metric(b, "seq");
    }
    b = pair_bucket(cps, rec, host);
    if (b != NULL) {
        k->cps = json_object_object_get_ex(b, "doc_count", &o) ?
                 json_object_get_int64(o) : 0;
        k->cp_seq = metric(b, "seq");
    }
}

static bool
key_same(const struct seals_key *a, const struct seals_key *b)
{
    return a->msgs == b->msgs && a->last == b->last &&
           a->msg_seq == b->msg_seq && a->cps == b->cps &&
           a->cp_seq == b->cp_seq;
}

/* One line for the page */
static void
summary(const struct verify_verdict *vd, char *out, size_t outsz)
{
    const char *n = vd->name;

    if (!strcmp(n, "clean")) {
        snprintf(out, outsz, "Sealed and complete");
    } else if (!strcmp(n, "cut-short") && vd->id == 0) {
        snprintf(out, outsz, "Cut short: messages lost before sealing");
    } else if (!strcmp(n, "cut-short")) {
        snprintf(out, outsz, "Cut short after message %" PRIu64, vd->upto);
    } else if (!strcmp(n, "unsealed-tail")) {
        snprintf(out, outsz, "Unsealed tail after message %" PRIu64,
                 vd->upto);
    } else if (!strcmp(n, "unsealed")) {
        snprintf(out, outsz, "Not sealed");
    } else if (!strcmp(n, "missing")) {
        snprintf(out, outsz, "Message %" PRIu64 " missing", vd->id);
    } else if (!strcmp(n, "altered")) {
        snprintf(out, outsz, "Altered at message %" PRIu64, vd->id);
    } else if (!strcmp(n, "reordered")) {
        snprintf(out, outsz, "Reordered at message %" PRIu64, vd->id);
    } else if (!strcmp(n, "added")) {
        snprintf(out, outsz, "Message added at %" PRIu64, vd->id);
    } else if (!strcmp(n, "checkpoint-missing")) {
        snprintf(out, outsz, "Checkpoint missing at message %" PRIu64,
                 vd->id);
    } else if (!strcmp(n, "checkpoint-altered")) {
        snprintf(out, outsz, "Checkpoint altered at message %" PRIu64,
                 vd->id);
    } else if (!strcmp(n, "bad-signature")) {
        snprintf(out, outsz, "Bad checkpoint signature at message %" PRIu64,
                 vd->id);
    } else {
        snprintf(out, outsz, "Checkpoint signed with an unknown key");
    }
}

/* The state of a cached verdict */
static struct json_object *
state_of(const struct entry *e)
{
    struct json_object *o = json_object_new_object();
    char line[256];

    summary(&e->vd, line, sizeof(line));
    json_object_object_add(o, "state", json_object_new_string(e->vd.name));
    json_object_object_add(o, "summary", json_object_new_string(line));
    json_object_object_add(o, "status", json_object_new_int(e->vd.status));
    json_object_object_add(o, "id", json_object_new_int64(
                           (int64_t)e->vd.id));
    json_object_object_add(o, "upto", json_object_new_int64(
                           (int64_t)e->vd.upto));
    json_object_object_add(o, "detail",
                           json_object_new_string(e->vd.detail));
    json_object_object_add(o, "messages", json_object_new_int64(
                           (int64_t)e->messages));
    json_object_object_add(o, "checkpoints", json_object_new_int64(
                           (int64_t)e->checkpoints));
    return o;
}

static struct json_object *
state_plain(const char *state, const char *line, const char *detail)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "state", json_object_new_string(state));
    json_object_object_add(o, "summary", json_object_new_string(line));
    json_object_object_add(o, "detail", json_object_new_string(detail));
    return o;
}

static struct json_object *
not_checked(void)
{
    return state_plain("not-checked", "Not checked", "no public key is"
                       " configured (seal.keys in tlog-web.conf)");
}

/* The cached state of (host, rec) under key k, or NULL; lock held */
static struct json_object *
cached(struct seals *s, const char *host, const char *rec,
       const struct seals_key *k)
{
    size_t i;

    for (i = 0; i < SEALS_CACHE_MAX; i++) {
        struct entry *e = &s->cache[i];

        if (e->host != NULL && !strcmp(e->rec, rec) &&
            !strcmp(e->host, host)) {
            if (!key_same(&e->key, k)) {
                return NULL;
            }
            e->used = ++s->asks;
            return state_of(e);
        }
    }
    return NULL;
}

/* Keep a verdict: in the entry of (host, rec), a free one or the least
 * recently used; lock held */
static void
keep(struct seals *s, const char *host, const char *rec,
     const struct seals_key *k, const struct verify_verdict *vd,
     size_t messages, size_t checkpoints)
{
    struct entry *e = NULL;
    size_t i;

    for (i = 0; i < SEALS_CACHE_MAX && e == NULL; i++) {
        if (s->cache[i].host != NULL && !strcmp(s->cache[i].rec, rec) &&
            !strcmp(s->cache[i].host, host)) {
            e = &s->cache[i];
        }
    }
    for (i = 0; i < SEALS_CACHE_MAX && e == NULL; i++) {
        if (s->cache[i].host == NULL) {
            e = &s->cache[i];
        }
    }
    if (e == NULL) {
        e = &s->cache[0];
        for (i = 1; i < SEALS_CACHE_MAX; i++) {
            e = s->cache[i].used < e->used ? &s->cache[i] : e;
        }
    }
    if (e->host == NULL || strcmp(e->host, host) || strcmp(e->rec, rec)) {
        char *h = strdup(host), *r = strdup(rec);

        if (h == NULL || r == NULL) {
            free(h);
            free(r);
            return;         /* not kept: checked again next time */
        }
        free(e->host);
        free(e->rec);
        e->host = h;
        e->rec = r;
    }
    e->key = *k;
    e->vd = *vd;
    e->messages = messages;
    e->checkpoints = checkpoints;
    e->used = ++s->asks;
}

int
seals_rows(struct seals *s, struct json_object *recordings, char *err,
           size_t errsz)
{
    struct json_object *recs, *msgs = NULL, *cps = NULL, *row, *o, *st;
    struct seals_key k;
    const char *rec, *host;
    size_t i, n;
    int rc;

    if (!json_object_is_type(recordings, json_type_array)) {
        return 0;
    }
    n = json_object_array_length(recordings);
    if (s->ring == NULL) {
        for (i = 0; i < n; i++) {
            json_object_object_add(json_object_array_get_idx(recordings, i),
                                   "seal", not_checked());
        }
        return 0;
    }
    if (n == 0) {
        return 0;
    }
    recs = json_object_new_array();
    for (i = 0; i < n; i++) {
        if (json_object_object_get_ex(json_object_array_get_idx(recordings,
                                                                i),
                                      "rec", &o)) {
            json_object_array_add(recs, json_object_get(o));
        }
    }
    rc = key_answers(s, recs, &msgs, &cps, err, errsz);
    json_object_put(recs);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        row = json_object_array_get_idx(recordings, i);
        rec = json_object_object_get_ex(row, "rec", &o) ?
              json_object_get_string(o) : "";
        host = json_object_object_get_ex(row, "host", &o) ?
               json_object_get_string(o) : "";
        seals_walk_key(msgs, cps, rec, host, &k);
        pthread_mutex_lock(&s->lock);
        st = cached(s, host, rec, &k);
        pthread_mutex_unlock(&s->lock);
        json_object_object_add(row, "seal", st ? st :
                               state_plain("pending", "Not checked yet",
                                           "checked on request"));
    }
    json_object_put(msgs);
    json_object_put(cps);
    return 0;
}

/* What a check reads into */
struct reading {
    struct verify *v;
    const char *host;
    const char *rec;
};

/* One checkpoint document, if it is the recording's */
static int
add_cp(void *arg, const char *text, size_t len, char *err, size_t errsz)
{
    const struct reading *r = arg;
    char why[512];
    int rc = verify_add_cp_text(r->v, text, len, r->host, r->rec, why,
                                sizeof(why));

    if (rc < 0) {
        snprintf(err, errsz, "a checkpoint of %s: %s", r->rec, why);
    }
    return rc;
}

/* One message, if it is the recording's */
static int
add_msg(void *arg, const char *text, size_t len, char *err, size_t errsz)
{
    struct reading *r = arg;
    struct json_object *o = NULL;
    struct seal_msg m;
    char why[512];
    int rc;

    rc = seal_msg_parse(text, len, &o, &m, why, sizeof(why));
    if (rc < 0) {
        snprintf(err, errsz, "a message of %s: %s", r->rec, why);
        return rc;
    }
    if (strcmp(m.rec, r->rec) == 0 && strcmp(m.host, r->host) == 0) {
        rc = verify_add_msg(r->v, m.id, m.end, m.digest, err, errsz);
    }
    json_object_put(o);
    return rc;
}

/*
 * Each document of (host, rec) in path (NULL: the recordings), sorted by
 * field, to fn, a page at a time.  As tlog-verify reads them: the next
 * page starts again at the last sort value of this one unless the whole
 * page has that value, so documents of one value split by the page's
 * end are all read (a message or checkpoint read twice counts once).
 */
static int
read_all(struct seals *s, const char *path, const char *field, size_t page,
         struct reading *r,
         int (*fn)(void *, const char *, size_t, char *, size_t),
         char *err, size_t errsz)
{
    struct json_object *body;
    long long first = 0, last = 0, after = 0;
    bool paged = false;
    size_t n;
    int rc;

    do {
        body = json_object_new_object();
        json_object_object_add(body, "size",
                               json_object_new_int64((int64_t)page));
        json_object_object_add(body, "query", of_rec(r->host, r->rec));
        json_object_object_add(body, "sort", json_object_new_array());
        json_object_array_add(json_object_object_get(body, "sort"),
                              es_pair(field, json_object_new_string("asc")));
        if (paged) {
            json_object_object_add(body, "search_after",
                                   json_object_new_array());
            json_object_array_add(json_object_object_get(body,
                                                         "search_after"),
                                  json_object_new_int64(after));
        }
        n = 0;
        rc = store_each_hit(s->store, path, json_object_to_json_string_ext(
                            body, JSON_C_TO_STRING_PLAIN), fn, r, &n,
                            &first, &last, err, errsz);
        json_object_put(body);
        if (rc == 0 && n == page) {
            after = first == last ? last : last - 1;
        }
        paged = true;
    } while (rc == 0 && n == page);
    return rc;
}

int
seals_check(struct seals *s, const char *host, const char *rec,
            struct json_object **state, char *err, size_t errsz)
{
    struct json_object *recs, *msgs = NULL, *cps = NULL, *st;
    struct verify_verdict vd;
    struct reading r = { NULL, host, rec };
    struct seals_key k;
    size_t nmsgs, ncps;
    int rc;

    if (s->ring == NULL) {
        *state = not_checked();
        return 0;
    }
    recs = json_object_new_array();
    json_object_array_add(recs, json_object_new_string(rec));
    rc = key_answers(s, recs, &msgs, &cps, err, errsz);
    json_object_put(recs);
    if (rc < 0) {
        return rc;
    }
    seals_walk_key(msgs, cps, rec, host, &k);
    json_object_put(msgs);
    json_object_put(cps);
    pthread_mutex_lock(&s->lock);
    st = cached(s, host, rec, &k);
    if (st == NULL && s->running >= SEALS_RUNNING_MAX) {
        pthread_mutex_unlock(&s->lock);
        snprintf(err, errsz, "%d recordings are being checked already",
                 SEALS_RUNNING_MAX);
        return -EBUSY;
    }
    s->running += st == NULL;
    pthread_mutex_unlock(&s->lock);
    if (st != NULL) {
        *state = st;
        return 0;
    }
    /* the key was read before the recording: one that grows meanwhile is
     * checked again next time */
    rc = verify_new(s->ring, &r.v);
    if (rc == 0) {
        rc = read_all(s, s->cp_search, "last", SEALS_CP_PAGE, &r, add_cp,
                      err, errsz);
    }
    if (rc == 0) {
        rc = read_all(s, NULL, "id", SEALS_MSG_PAGE, &r, add_msg, err,
                      errsz);
    }
    if (rc == 0) {
        rc = verify_run(r.v, host, rec, &vd, err, errsz);
    }
    pthread_mutex_lock(&s->lock);
    s->running--;
    if (rc == 0) {
        nmsgs = verify_messages(r.v);
        ncps = verify_checkpoints(r.v);
        keep(s, host, rec, &k, &vd, nmsgs, ncps);
    }
    pthread_mutex_unlock(&s->lock);
    if (rc == 0) {
        struct entry e = { .vd = vd, .messages = nmsgs, .checkpoints = ncps };

        *state = state_of(&e);
    }
    verify_free(r.v);
    return rc;
}
