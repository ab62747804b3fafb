/*
 * tlog-verify: check one recording against the checkpoints tlog-seal
 * signed, and say whether it is sealed and complete, or the first thing
 * that is wrong with it.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "conf.h"
#include "es.h"
#include "seal.h"

#define PROG "tlog-verify"

/* Most messages and checkpoints of one recording taken */
#define MSGS_MAX (64 * 1024 * 1024)
#define CPS_MAX (1024 * 1024)

static const char *const readers[] = { "file", "journal", "es", NULL };

static const struct conf_key keys[] = {
    { "reader", CONF_CHOICE, "file", 0, 0, readers, "reader", 'r', "STRING",
      "Read the recording from file, journal or es" },
    { "file.path", CONF_STR, "", 0, 0, NULL, "file-path", 'i', "FILE",
      "The recording's file (- for standard input)" },
    { "rec", CONF_STR, "", 0, 0, NULL, "rec", 'm', "REC",
      "The id of the recording to check" },
    { "host", CONF_STR, "", 0, 0, NULL, "host", 'H', "HOST",
      "Its host, when several hold a recording of that id" },
    { "es.baseurl", CONF_STR, "", 0, 0, NULL, "es-baseurl", 0, "URL",
      "Elasticsearch URL of the recordings, up to _search" },
    { "es.cacert", CONF_STR, "", 0, 0, NULL, "es-cacert", 0, "FILE",
      "CA certificates for an https Elasticsearch" },
    { "es.cert", CONF_STR, "", 0, 0, NULL, "es-cert", 0, "FILE",
      "Client certificate for Elasticsearch" },
    { "es.key", CONF_STR, "", 0, 0, NULL, "es-key", 0, "FILE",
      "Client certificate key for Elasticsearch" },
    { "journal.namespace", CONF_STR, "", 0, 0, NULL, "journal-namespace",
      'N', "STRING", "Read this journal namespace" },
    { "es.page", CONF_INT, "10000", 1, 10000, NULL, "es-page", 0, "N",
      "Documents asked of Elasticsearch a request" },
    { "seal.baseurl", CONF_STR, "", 0, 0, NULL, "seal-baseurl", 0, "URL",
      "Elasticsearch URL of the checkpoints, up to _search" },
    { "seal.file", CONF_STR, "", 0, 0, NULL, "seal-file", 'c', "FILE",
      "Read the checkpoints from FILE instead" },
    { "key", CONF_LIST, "", 0, 0, NULL, "key", 'k', "PATH",
      "A trusted public key file, or a directory of *.pub files" },
    { "json", CONF_BOOL, "false", 0, 0, NULL, "json", 'j', "BOOL",
      "Say the verdict as JSON" },
};

/* One message as read */
struct vmsg {
    uint64_t id;
    bool end;
    uint8_t digest[SEAL_DIGEST_LEN];
};

struct verifier {
    struct conf *conf;
    char *host;                 /* of the recording, once known */
    char *rec;
    bool rec_given;             /* --rec said which; else the file's one */
    struct vmsg *msgs;
    size_t nmsgs, cap;
    size_t distinct;            /* messages of distinct ids and contents */
    struct seal_cp *cps;
    size_t ncps;
    struct seal_keyring *ring;
};

/* What is found */
struct verdict {
    const char *name;
    int status;
    uint64_t id;                /* the message or checkpoint named, or 0 */
    char detail[1024];
};

static const uint8_t zero[SEAL_DIGEST_LEN];

/* Take one message text, if it belongs to the recording */
static int
add_msg(struct verifier *v, const char *text, size_t len, const char *where,
        char *err, size_t errsz)
{
    struct json_object *o = NULL;
    struct seal_msg m;
    char why[512];
    int rc;

    rc = seal_msg_parse(text, len, &o, &m, why, sizeof(why));
    if (rc < 0) {
        snprintf(err, errsz, "%s: %s", where, why);
        return rc;
    }
    if ((*v->rec && strcmp(m.rec, v->rec) != 0) ||
        (v->host && strcmp(m.host, v->host) != 0)) {
        if (!v->rec_given) {
            snprintf(err, errsz, "%s: recordings %s and %s: give --rec",
                     where, v->rec, m.rec);
            json_object_put(o);
            return -EINVAL;
        }
        json_object_put(o);
        return 0;
    }
    if (!*v->rec) {
        free(v->rec);
        v->rec = strdup(m.rec);
    }
    if (v->host == NULL) {
        v->host = strdup(m.host);
    }
    if (v->nmsgs == v->cap) {
        size_t ncap = v->cap ? v->cap * 2 : 1024;
        struct vmsg *nm = ncap <= MSGS_MAX ?
                          realloc(v->msgs, ncap * sizeof(*nm)) : NULL;

        if (nm == NULL) {
            snprintf(err, errsz, "more than %d messages", MSGS_MAX);
            json_object_put(o);
            return -E2BIG;
        }
        v->msgs = nm;
        v->cap = ncap;
    }
    v->msgs[v->nmsgs].id = m.id;
    v->msgs[v->nmsgs].end = m.end;
    memcpy(v->msgs[v->nmsgs].digest, m.digest, SEAL_DIGEST_LEN);
    v->nmsgs++;
    json_object_put(o);
    if (v->host == NULL || v->rec == NULL) {
        snprintf(err, errsz, "%s: out of memory", where);
        return -ENOMEM;
    }
    return 0;
}

/* Call fn on each line of path ("-": standard input) */
static int
each_line(struct verifier *v, const char *path,
          int (*fn)(struct verifier *, const char *, size_t, const char *,
                    char *, size_t), char *err, size_t errsz)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
    char *line = NULL, where[4200];
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;

    if (f == NULL) {
        snprintf(err, errsz, "cannot open %s: %s", path, strerror(errno));
        return -errno;
    }
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            n--;
        }
        if (n == 0) {
            continue;
        }
        snprintf(where, sizeof(where), "%s line %zu", path, lineno);
        rc = fn(v, line, (size_t)n, where, err, errsz);
    }
    free(line);
    if (f != stdin) {
        fclose(f);
    }
    return rc;
}

/* The bool filter on rec (and host) as JSON text, malloc'ed */
static char *
query(const char *host, const char *rec, const char *sort, long long after,
      bool paged, int page)
{
    struct json_object *q = json_object_new_object(), *b, *f, *t, *s;
    char *text;

    b = json_object_new_object();
    f = json_object_new_array();
    t = json_object_new_object();
    json_object_object_add(t, "rec", json_object_new_string(rec));
    s = json_object_new_object();
    json_object_object_add(s, "term", t);
    json_object_array_add(f, s);
    if (host != NULL && *host) {
        t = json_object_new_object();
        json_object_object_add(t, "host", json_object_new_string(host));
        s = json_object_new_object();
        json_object_object_add(s, "term", t);
        json_object_array_add(f, s);
    }
    json_object_object_add(b, "filter", f);
    s = json_object_new_object();
    json_object_object_add(s, "bool", b);
    json_object_object_add(q, "query", s);
    json_object_object_add(q, "size", json_object_new_int(page));
    s = json_object_new_array();
    t = json_object_new_object();
    json_object_object_add(t, sort, json_object_new_string("asc"));
    json_object_array_add(s, t);
    json_object_object_add(q, "sort", s);
    if (paged) {
        s = json_object_new_array();
        json_object_array_add(s, json_object_new_int64(after));
        json_object_object_add(q, "search_after", s);
    }
    text = strdup(json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN));
    json_object_put(q);
    return text;
}

static int
es_client(struct verifier *v, const char *url, struct es **pe, char *err,
          size_t errsz)
{
    struct es_conf ec;

    memset(&ec, 0, sizeof(ec));
    ec.baseurl = url;
    ec.userpwd = getenv("TLOG_CURL_USERPWD");
    ec.cacert = conf_str(v->conf, "es.cacert");
    ec.cert = conf_str(v->conf, "es.cert");
    ec.key = conf_str(v->conf, "es.key");
    return es_new(&ec, pe, err, errsz);
}

/* Each hit's _source of the search on url for the recording, in pages
 * sorted by the field sort, to fn */
static int
each_hit(struct verifier *v, const char *url, const char *sort,
         int (*fn)(struct verifier *, const char *, size_t, const char *,
                   char *, size_t), char *err, size_t errsz)
{
    struct es *e = NULL;
    struct es_hit *hits = NULL;
    const uint8_t *data;
    size_t len, n, i;
    long long after = 0;
    bool paged = false;
    size_t page = (size_t)conf_int(v->conf, "es.page");
    char *body;
    int rc;

    if ((rc = es_client(v, url, &e, err, errsz)) < 0) {
        return rc;
    }
    do {
        n = 0;
        body = query(v->host, v->rec, sort, after, paged, (int)page);
        if (body == NULL) {
            rc = -ENOMEM;
            break;
        }
        rc = es_search_raw(e, body, &data, &len, err, errsz);
        free(body);
        if (rc == 0) {
            rc = es_hits_parse(data, len, &hits, &n, err, errsz);
        }
        for (i = 0; rc == 0 && i < n; i++) {
            rc = fn(v, (const char *)data + hits[i].src_off,
                    hits[i].src_len, url, err, errsz);
        }
        /* The next page starts again at the last id of this one, unless
         * the whole page has that id: documents of one id split by the
         * page's end are all read (a document read twice is the same
         * message twice, which counts as one) */
        if (rc == 0 && n == page) {
            after = hits[0].sort == hits[n - 1].sort ? hits[n - 1].sort :
                    hits[n - 1].sort - 1;
        }
        free(hits);
        hits = NULL;
        paged = true;
    } while (rc == 0 && n == page);
    es_free(e);
    return rc;
}

static int
read_journal(struct verifier *v, char *err, size_t errsz)
{
    const char *ns = conf_str(v->conf, "journal.namespace");
    sd_journal *j = NULL;
    char match[SEAL_NAME_MAX + 16];
    const void *d;
    size_t len;
    int rc;

    rc = *ns ? sd_journal_open_namespace(&j, ns, 0) : sd_journal_open(&j, 0);
    if (rc < 0) {
        snprintf(err, errsz, "cannot open the journal: %s", strerror(-rc));
        return rc;
    }
    snprintf(match, sizeof(match), "TLOG_REC=%s", v->rec);
    rc = sd_journal_add_match(j, match, 0);
    while (rc >= 0 && (rc = sd_journal_next(j)) > 0) {
        if (sd_journal_get_data(j, "MESSAGE", &d, &len) < 0 || len < 8) {
            continue;
        }
        rc = add_msg(v, (const char *)d + 8, len - 8, "the journal", err,
                     errsz);
    }
    if (rc < 0 && !*err) {
        snprintf(err, errsz, "cannot read the journal: %s", strerror(-rc));
    }
    sd_journal_close(j);
    return rc < 0 ? rc : 0;
}

/* Take one checkpoint document, if it is the recording's */
static int
add_cp(struct verifier *v, const char *text, size_t len, const char *where,
       char *err, size_t errsz)
{
    struct json_object *o = json_tokener_parse(text);
    struct seal_cp cp, *ncps;
    char why[512];
    int rc;

    (void)len;
    if (o == NULL) {
        snprintf(err, errsz, "%s: a checkpoint that is not JSON", where);
        return -EINVAL;
    }
    rc = seal_cp_parse(o, &cp, why, sizeof(why));
    json_object_put(o);
    if (rc < 0) {
        snprintf(err, errsz, "%s: %s", where, why);
        return rc;
    }
    if (strcmp(cp.rec, v->rec) != 0 || strcmp(cp.host, v->host) != 0) {
        seal_cp_clear(&cp);
        return 0;
    }
    ncps = v->ncps < CPS_MAX ? realloc(v->cps, (v->ncps + 1) *
                                       sizeof(*ncps)) : NULL;
    if (ncps == NULL) {
        seal_cp_clear(&cp);
        snprintf(err, errsz, "out of memory keeping checkpoint %zu",
                 v->ncps + 1);
        return -ENOMEM;
    }
    v->cps = ncps;
    v->cps[v->ncps++] = cp;
    return 0;
}

/* By id, then digest */
static int
msg_full_cmp(const void *a, const void *b)
{
    const struct vmsg *x = a, *y = b;

    return x->id != y->id ? (x->id < y->id ? -1 : 1) :
           memcmp(x->digest, y->digest, SEAL_DIGEST_LEN);
}

/* Sort the messages read and count the distinct ones (a document read
 * twice counts once) */
static void
sort_msgs(struct verifier *v)
{
    size_t i;

    qsort(v->msgs, v->nmsgs, sizeof(*v->msgs), msg_full_cmp);
    for (i = 0; i < v->nmsgs; i++) {
        v->distinct += i == 0 || msg_full_cmp(&v->msgs[i - 1],
                                              &v->msgs[i]) != 0;
    }
}

static int
cp_cmp(const void *a, const void *b)
{
    const struct seal_cp *x = a, *y = b;

    return x->last < y->last ? -1 : x->last > y->last ? 1 :
           x->time_ms < y->time_ms ? -1 : x->time_ms > y->time_ms;
}

static void
say(struct verdict *vd, const char *name, int status, uint64_t id,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
say(struct verdict *vd, const char *name, int status, uint64_t id,
    const char *fmt, ...)
{
    va_list ap;

    vd->name = name;
    vd->status = status;
    vd->id = id;
    va_start(ap, fmt);
    vsnprintf(vd->detail, sizeof(vd->detail), fmt, ap);
    va_end(ap);
}

/* Check the checkpoints: signed by a trusted key, chained without gap or
 * overlap; their digests, id by id, into *sealed (1..*nsealed) */
static bool
check_cps(struct verifier *v, uint8_t **sealed, uint64_t *nsealed,
          bool *end, struct verdict *vd)
{
    struct seal_chain c;
    uint8_t h[SEAL_HASH_LEN], *d;
    uint64_t next = 1, count = 0, i;
    size_t k, n = 0;
    int rc;

    qsort(v->cps, v->ncps, sizeof(*v->cps), cp_cmp);
    /* the same checkpoint made twice (the sealer started again before
     * saving) is the same chain: keep the first */
    for (k = 0; k < v->ncps; k++) {
        if (n > 0 && v->cps[k].last == v->cps[n - 1].last &&
            v->cps[k].first == v->cps[n - 1].first &&
            !memcmp(v->cps[k].hash, v->cps[n - 1].hash, SEAL_HASH_LEN) &&
            seal_cp_check(&v->cps[k], v->ring) == 0) {
            seal_cp_clear(&v->cps[k]);
            continue;
        }
        v->cps[n++] = v->cps[k];
    }
    v->ncps = n;
    d = malloc(v->ncps ? (v->cps[v->ncps - 1].last + 1) * SEAL_DIGEST_LEN :
               1);
    if (d == NULL) {
        say(vd, "error", 1, 0, "out of memory");
        return false;
    }
    *sealed = d;
    seal_chain_start(&c, v->host, v->rec);
    for (k = 0; k < v->ncps; k++) {
        struct seal_cp *cp = &v->cps[k];

        rc = seal_cp_check(cp, v->ring);
        if (rc == -ENOKEY) {
            say(vd, "unknown-key", 6, cp->last, "the checkpoint of ids %"
                PRIu64 "..%" PRIu64 " is signed with key %s, not a trusted"
                " one", cp->first, cp->last, cp->key);
            return false;
        } else if (rc < 0) {
            say(vd, "bad-signature", 6, cp->last, "the checkpoint of ids %"
                PRIu64 "..%" PRIu64 " does not match its signature (key %s)",
                cp->first, cp->last, cp->key);
            return false;
        }
        if (cp->first > next) {
            say(vd, "checkpoint-missing", 6, next, "no checkpoint covers"
                " ids %" PRIu64 "..%" PRIu64, next, cp->first - 1);
            return false;
        }
        if (cp->first < next || (k > 0 && cp[-1].end)) {
            say(vd, "checkpoint-altered", 6, cp->last, "the checkpoint of"
                " ids %" PRIu64 "..%" PRIu64 " overlaps another or follows"
                " the end", cp->first, cp->last);
            return false;
        }
        for (i = cp->first; i <= cp->last; i++) {
            const uint8_t *di = cp->digests + (i - cp->first) *
                                SEAL_DIGEST_LEN;

            seal_chain_add(&c, i, di);
            memcpy(d + i * SEAL_DIGEST_LEN, di, SEAL_DIGEST_LEN);
            count += memcmp(di, zero, SEAL_DIGEST_LEN) != 0;
        }
        seal_chain_value(&c, h);
        if (memcmp(h, cp->hash, SEAL_HASH_LEN) != 0 || count != cp->count) {
            say(vd, "checkpoint-altered", 6, cp->last, "the digests of the"
                " checkpoint of ids %" PRIu64 "..%" PRIu64 " are not those"
                " signed", cp->first, cp->last);
            return false;
        }
        next = cp->last + 1;
    }
    *nsealed = next - 1;
    *end = v->ncps > 0 && v->cps[v->ncps - 1].end;
    return true;
}

/* The message of id k, or NULL; act[] is indexed by id */
#define ACT(k) ((k) <= maxid ? act[k] : NULL)
#define SEALED(k) (sealed + (k) * SEAL_DIGEST_LEN)
#define SAME(m, k) ((m) != NULL && (k) >= 1 && (k) <= nsealed && \
                    !memcmp((m)->digest, SEALED(k), SEAL_DIGEST_LEN))

/* Compare the messages with what was sealed */
static void
check_msgs(struct verifier *v, const uint8_t *sealed, uint64_t nsealed,
           bool end, struct verdict *vd)
{
    struct vmsg **act;
    uint64_t maxid = 0, k, j, lost = 0;
    size_t i;

    maxid = v->nmsgs ? v->msgs[v->nmsgs - 1].id : 0;
    if (maxid > MSGS_MAX) {
        say(vd, "added", 5, maxid, "a message of id %" PRIu64 ", far past"
            " any recording", maxid);
        return;
    }
    act = calloc(maxid + 2, sizeof(*act));
    if (act == NULL) {
        say(vd, "error", 1, 0, "out of memory");
        return;
    }
    for (i = 0; i < v->nmsgs; i++) {
        struct vmsg *m = &v->msgs[i];

        if (act[m->id] != NULL) {
            if (memcmp(act[m->id]->digest, m->digest, SEAL_DIGEST_LEN)) {
                say(vd, "added", 5, m->id, "message id %" PRIu64 " is"
                    " there twice, with different contents", m->id);
                goto out;
            }
            continue;   /* a copy of the same message */
        }
        act[m->id] = m;
    }
    for (k = 1; k <= nsealed; k++) {
        struct vmsg *a = ACT(k);

        if (!memcmp(SEALED(k), zero, SEAL_DIGEST_LEN)) {
            if (a != NULL) {
                say(vd, "added", 5, k, "message %" PRIu64 " was lost when"
                    " the recording was sealed, and is there now", k);
                goto out;
            }
            lost++;
            continue;
        }
        if (SAME(a, k)) {
            continue;
        }
        if (a == NULL) {
            if (k == nsealed && end) {
                say(vd, "cut-short", 3, k, "the end message (id %" PRIu64
                    ") is missing", k);
            } else {
                say(vd, "missing", 5, k, "message %" PRIu64 " is missing",
                    k);
            }
            goto out;
        }
        for (j = 1; j <= nsealed && !SAME(a, j); j++) {
        }
        if (j <= nsealed && SAME(ACT(j), k)) {
            say(vd, "reordered", 5, k, "messages %" PRIu64 " and %" PRIu64
                " are swapped", k, j);
        } else if (SAME(a, k + 1) && !SAME(ACT(k + 1), k)) {
            say(vd, "missing", 5, k, "message %" PRIu64 " is missing (the"
                " later ones were numbered again)", k);
        } else if (SAME(ACT(k + 1), k)) {
            say(vd, "added", 5, k, "message %" PRIu64 " was added (the"
                " later ones were numbered again)", k);
        } else if (j <= nsealed) {
            say(vd, "reordered", 5, k, "message %" PRIu64 " holds what was"
                " sealed as message %" PRIu64, k, j);
        } else {
            say(vd, "altered", 5, k, "message %" PRIu64 " was altered", k);
        }
        goto out;
    }
    if (maxid > nsealed) {
        for (k = nsealed + 1; act[k] == NULL; k++) {
        }
        if (end) {
            say(vd, "added", 5, k, "message %" PRIu64 " comes after the"
                " sealed end message %" PRIu64, k, nsealed);
        } else if (nsealed == 0) {
            say(vd, "unsealed", 4, 0, "no checkpoint for this recording");
        } else {
            say(vd, "unsealed-tail", 4, k, "messages %" PRIu64 "..%" PRIu64
                " come after the last checkpoint", nsealed + 1, maxid);
        }
        goto out;
    }
    if (nsealed == 0) {
        say(vd, "unsealed", 4, 0, "no checkpoint and no message for this"
            " recording");
    } else if (lost > 0) {
        say(vd, "cut-short", 3, 0, "%" PRIu64 " messages were lost before"
            " they were sealed", lost);
    } else if (!end) {
        say(vd, "cut-short", 3, nsealed, "no end message: sealed to"
            " message %" PRIu64 ", cut short or still running", nsealed);
    } else {
        say(vd, "clean", 0, 0, "sealed and complete: %" PRIu64 " messages,"
            " %zu checkpoints", nsealed, v->ncps);
    }
out:
    free(act);
}

static void
report(const struct verifier *v, const struct verdict *vd, bool json)
{
    struct json_object *o;

    if (!json) {
        printf("%s: %s/%s: %s: %s\n", PROG, v->host ? v->host : "",
               v->rec ? v->rec : "", vd->name, vd->detail);
        return;
    }
    o = json_object_new_object();
    json_object_object_add(o, "verdict", json_object_new_string(vd->name));
    json_object_object_add(o, "status", json_object_new_int(vd->status));
    json_object_object_add(o, "host", json_object_new_string(
                               v->host ? v->host : ""));
    json_object_object_add(o, "rec", json_object_new_string(
                               v->rec ? v->rec : ""));
    json_object_object_add(o, "id", json_object_new_int64(
                               (int64_t)vd->id));
    json_object_object_add(o, "detail", json_object_new_string(vd->detail));
    json_object_object_add(o, "messages", json_object_new_int64(
                               (int64_t)v->distinct));
    json_object_object_add(o, "checkpoints", json_object_new_int64(
                               (int64_t)v->ncps));
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static int
verify(struct verifier *v, struct verdict *vd, char *err, size_t errsz)
{
    const char *reader = conf_str(v->conf, "reader");
    const char *seal_url = conf_str(v->conf, "seal.baseurl");
    const char *seal_file = conf_str(v->conf, "seal.file");
    uint8_t *sealed = NULL;
    uint64_t nsealed = 0;
    bool end = false;
    int rc;

    if ((rc = seal_keyring_new(conf_str(v->conf, "key"), &v->ring, err,
                               errsz)) < 0) {
        return rc;
    }
    if (!strcmp(reader, "file")) {
        rc = each_line(v, conf_str(v->conf, "file.path"), add_msg, err,
                       errsz);
    } else if (!strcmp(reader, "es")) {
        rc = each_hit(v, conf_str(v->conf, "es.baseurl"), "id", add_msg,
                      err, errsz);
    } else {
        rc = read_journal(v, err, errsz);
    }
    if (rc < 0) {
        return rc;
    }
    if (v->host == NULL) {
        /* no message at all: the checkpoints may still say there were */
        v->host = strdup(conf_str(v->conf, "host"));
        if (v->host == NULL || !*v->host) {
            snprintf(err, errsz, "no message of recording %s found; give"
                     " --host to check its checkpoints alone", v->rec);
            return -ENOENT;
        }
    }
    rc = *seal_file ? each_line(v, seal_file, add_cp, err, errsz) :
         each_hit(v, seal_url, "last", add_cp, err, errsz);
    if (rc < 0) {
        return rc;
    }
    sort_msgs(v);
    if (check_cps(v, &sealed, &nsealed, &end, vd)) {
        check_msgs(v, sealed, nsealed, end, vd);
    }
    free(sealed);
    if (vd->status == 1) {
        snprintf(err, errsz, "%s", vd->detail);
        return -ENOMEM;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static struct verifier v;
    struct verdict vd;
    char err[2048] = "";
    int action = 0, status = 1, rc;
    const char *reader;
    size_t k;

    memset(&vd, 0, sizeof(vd));
    if (conf_new(keys, sizeof(keys) / sizeof(keys[0]), &v.conf) < 0 ||
        seal_init(err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": cannot start\n");
        return 1;
    }
    rc = conf_start(v.conf, PROG, SYSCONFDIR "/tlog/tlog-verify.conf",
                    "TLOG_VERIFY_CONF_FILE", "TLOG_VERIFY_CONF_TEXT", argc,
                    argv, &action);
    if (rc != 0) {
        status = rc;
        goto out;
    }
    if (conf_action(v.conf, action, PROG,
                    "Usage: " PROG " [OPTION...]\n"
                    "Check a recording against its signed checkpoints.\n",
                    "Exit status: 0 sealed and complete, 3 cut short, 4"
                    " unsealed (tail), 5 a message\nmissing, altered,"
                    " reordered or added, 6 a checkpoint missing, altered,"
                    " badly\nsigned or signed with an unknown key, 1 an"
                    " error, 2 a usage error.", stdout)) {
        status = 0;
        goto out;
    }
    reader = conf_str(v.conf, "reader");
    v.rec = strdup(conf_str(v.conf, "rec"));
    if (*conf_str(v.conf, "host")) {
        v.host = strdup(conf_str(v.conf, "host"));
    }
    if (v.rec == NULL) {
        goto out;
    }
    v.rec_given = *v.rec != 0;
    if (!*v.rec && strcmp(reader, "file") != 0) {
        conf_usage_error(stderr, PROG, "no recording: give --rec REC");
        status = 2;
        goto out;
    }
    if (!strcmp(reader, "file") && !*conf_str(v.conf, "file.path")) {
        conf_usage_error(stderr, PROG, "no recording file: give -i FILE");
        status = 2;
        goto out;
    }
    if (!*conf_str(v.conf, "seal.file") && !*conf_str(v.conf,
                                                      "seal.baseurl")) {
        conf_usage_error(stderr, PROG, "no checkpoints: give --seal-baseurl"
                         " or --seal-file");
        status = 2;
        goto out;
    }
    *err = 0;
    rc = verify(&v, &vd, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", *err ? err : strerror(-rc));
        goto out;
    }
    report(&v, &vd, conf_bool(v.conf, "json"));
    status = vd.status;
out:
    for (k = 0; k < v.ncps; k++) {
        seal_cp_clear(&v.cps[k]);
    }
    free(v.cps);
    free(v.msgs);
    free(v.host);
    free(v.rec);
    seal_keyring_free(v.ring);
    conf_free(v.conf);
    return status;
}
