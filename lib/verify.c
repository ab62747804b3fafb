/*
 * The verifier: a recording's messages and checkpoints in, a verdict
 * out.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "verify.h"

/* One message as taken */
struct vmsg {
    uint64_t id;
    bool end;
    uint8_t digest[SEAL_DIGEST_LEN];
};

struct verify {
    const struct seal_keyring *ring;
    struct vmsg *msgs;
    size_t nmsgs, cap;
    size_t distinct;            /* messages of distinct ids and contents */
    struct seal_cp *cps;
    size_t ncps;
};

static const uint8_t zero[SEAL_DIGEST_LEN];

int
verify_new(const struct seal_keyring *ring, struct verify **pv)
{
    struct verify *v = calloc(1, sizeof(*v));

    if (v == NULL) {
        return -ENOMEM;
    }
    v->ring = ring;
    *pv = v;
    return 0;
}

void
verify_free(struct verify *v)
{
    size_t k;

    if (v == NULL) {
        return;
    }
    for (k = 0; k < v->ncps; k++) {
        seal_cp_clear(&v->cps[k]);
    }
    free(v->cps);
    free(v->msgs);
    free(v);
}

int
verify_add_msg(struct verify *v, uint64_t id, bool end,
               const uint8_t *digest, char *err, size_t errsz)
{
    if (v->nmsgs == v->cap) {
        size_t ncap = v->cap ? v->cap * 2 : 1024;
        struct vmsg *nm = ncap <= VERIFY_MSGS_MAX ?
                          realloc(v->msgs, ncap * sizeof(*nm)) : NULL;

        if (nm == NULL) {
            snprintf(err, errsz, "more than %d messages", VERIFY_MSGS_MAX);
            return -E2BIG;
        }
        v->msgs = nm;
        v->cap = ncap;
    }
    v->msgs[v->nmsgs].id = id;
    v->msgs[v->nmsgs].end = end;
    memcpy(v->msgs[v->nmsgs].digest, digest, SEAL_DIGEST_LEN);
    v->nmsgs++;
    return 0;
}

int
verify_add_cp(struct verify *v, struct seal_cp *cp)
{
    struct seal_cp *ncps;

    ncps = v->ncps < VERIFY_CPS_MAX ?
           realloc(v->cps, (v->ncps + 1) * sizeof(*ncps)) : NULL;
    if (ncps == NULL) {
        seal_cp_clear(cp);
        return -ENOMEM;
    }
    v->cps = ncps;
    v->cps[v->ncps++] = *cp;
    memset(cp, 0, sizeof(*cp));
    return 0;
}

size_t
verify_messages(const struct verify *v)
{
    return v->distinct;
}

size_t
verify_checkpoints(const struct verify *v)
{
    return v->ncps;
}

/* By id, then digest */
static int
msg_full_cmp(const void *a, const void *b)
{
    const struct vmsg *x = a, *y = b;

    return x->id != y->id ? (x->id < y->id ? -1 : 1) :
           memcmp(x->digest, y->digest, SEAL_DIGEST_LEN);
}

/* Sort the messages taken and count the distinct ones (a document read
 * twice counts once) */
static void
sort_msgs(struct verify *v)
{
    size_t i;

    if (v->nmsgs > 0) {
        qsort(v->msgs, v->nmsgs, sizeof(*v->msgs), msg_full_cmp);
    }
    v->distinct = 0;
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
say(struct verify_verdict *vd, const char *name, enum verify_status status,
    uint64_t id, const char *fmt, ...)
__attribute__((format(printf, 5, 6)));

static void
say(struct verify_verdict *vd, const char *name, enum verify_status status,
    uint64_t id, const char *fmt, ...)
{
    va_list ap;

    vd->name = name;
    vd->status = status;
    vd->id = id;
    va_start(ap, fmt);
    vsnprintf(vd->detail, sizeof(vd->detail), fmt, ap);
    va_end(ap);
}

/*
 * Check the checkpoints: signed by a trusted key, chained without gap or
 * overlap; their digests, id by id, into *sealed (1..*nsealed, malloc'ed,
 * the caller's).  1 when they hold, 0 with *vd said when they do not,
 * -ENOMEM.
 */
static int
check_cps(struct verify *v, const char *host, const char *rec,
          uint8_t **sealed, uint64_t *nsealed, bool *end,
          struct verify_verdict *vd)
{
    struct seal_chain c;
    uint8_t h[SEAL_HASH_LEN], *d;
    uint64_t next = 1, count = 0, i;
    size_t k, n = 0;
    int rc;

    if (v->ncps > 0) {
        qsort(v->cps, v->ncps, sizeof(*v->cps), cp_cmp);
    }
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
        return -ENOMEM;
    }
    *sealed = d;
    seal_chain_start(&c, host, rec);
    for (k = 0; k < v->ncps; k++) {
        struct seal_cp *cp = &v->cps[k];

        rc = seal_cp_check(cp, v->ring);
        if (rc == -ENOKEY) {
            say(vd, "unknown-key", VERIFY_CHECKPOINT, cp->last, "the"
                " checkpoint of ids %" PRIu64 "..%" PRIu64 " is signed with"
                " key %s, not a trusted one", cp->first, cp->last, cp->key);
            return 0;
        } else if (rc < 0) {
            say(vd, "bad-signature", VERIFY_CHECKPOINT, cp->last, "the"
                " checkpoint of ids %" PRIu64 "..%" PRIu64 " does not match"
                " its signature (key %s)", cp->first, cp->last, cp->key);
            return 0;
        }
        if (cp->first > next) {
            say(vd, "checkpoint-missing", VERIFY_CHECKPOINT, next, "no"
                " checkpoint covers ids %" PRIu64 "..%" PRIu64, next,
                cp->first - 1);
            return 0;
        }
        if (cp->first < next || (k > 0 && cp[-1].end)) {
            say(vd, "checkpoint-altered", VERIFY_CHECKPOINT, cp->last, "the"
                " checkpoint of ids %" PRIu64 "..%" PRIu64 " overlaps"
                " another or follows the end", cp->first, cp->last);
            return 0;
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
            say(vd, "checkpoint-altered", VERIFY_CHECKPOINT, cp->last, "the"
                " digests of the checkpoint of ids %" PRIu64 "..%" PRIu64
                " are not those signed", cp->first, cp->last);
            return 0;
        }
        next = cp->last + 1;
    }
    *nsealed = next - 1;
    *end = v->ncps > 0 && v->cps[v->ncps - 1].end;
    return 1;
}

/* The message of id k, or NULL; act[] is indexed by id */
#define ACT(k) ((k) <= maxid ? act[k] : NULL)
#define SEALED(k) (sealed + (k) * SEAL_DIGEST_LEN)
#define SAME(m, k) ((m) != NULL && (k) >= 1 && (k) <= nsealed && \
                    !memcmp((m)->digest, SEALED(k), SEAL_DIGEST_LEN))

/* Compare the messages with what was sealed: 0 with *vd said, or
 * -ENOMEM */
static int
check_msgs(struct verify *v, const uint8_t *sealed, uint64_t nsealed,
           bool end, struct verify_verdict *vd)
{
    struct vmsg **act;
    uint64_t maxid = 0, k, j, lost = 0;
    size_t i;

    maxid = v->nmsgs ? v->msgs[v->nmsgs - 1].id : 0;
    if (maxid > VERIFY_MSGS_MAX) {
        say(vd, "added", VERIFY_MESSAGE, maxid, "a message of id %" PRIu64
            ", far past any recording", maxid);
        return 0;
    }
    act = calloc(maxid + 2, sizeof(*act));
    if (act == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < v->nmsgs; i++) {
        struct vmsg *m = &v->msgs[i];

        if (act[m->id] != NULL) {
            if (memcmp(act[m->id]->digest, m->digest, SEAL_DIGEST_LEN)) {
                say(vd, "added", VERIFY_MESSAGE, m->id, "message id %"
                    PRIu64 " is there twice, with different contents",
                    m->id);
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
                vd->upto = k - 1;
                say(vd, "added", VERIFY_MESSAGE, k, "message %" PRIu64
                    " was lost when the recording was sealed, and is there"
                    " now", k);
                goto out;
            }
            lost++;
            continue;
        }
        if (SAME(a, k)) {
            continue;
        }
        vd->upto = k - 1;
        if (a == NULL) {
            if (k == nsealed && end) {
                say(vd, "cut-short", VERIFY_CUT_SHORT, k, "the end message"
                    " (id %" PRIu64 ") is missing", k);
            } else {
                say(vd, "missing", VERIFY_MESSAGE, k, "message %" PRIu64
                    " is missing", k);
            }
            goto out;
        }
        for (j = 1; j <= nsealed && !SAME(a, j); j++) {
        }
        if (j <= nsealed && SAME(ACT(j), k)) {
            say(vd, "reordered", VERIFY_MESSAGE, k, "messages %" PRIu64
                " and %" PRIu64 " are swapped", k, j);
        } else if (SAME(a, k + 1) && !SAME(ACT(k + 1), k)) {
            say(vd, "missing", VERIFY_MESSAGE, k, "message %" PRIu64 " is"
                " missing (the later ones were numbered again)", k);
        } else if (SAME(ACT(k + 1), k)) {
            say(vd, "added", VERIFY_MESSAGE, k, "message %" PRIu64 " was"
                " added (the later ones were numbered again)", k);
        } else if (j <= nsealed) {
            say(vd, "reordered", VERIFY_MESSAGE, k, "message %" PRIu64
                " holds what was sealed as message %" PRIu64, k, j);
        } else {
            say(vd, "altered", VERIFY_MESSAGE, k, "message %" PRIu64
                " was altered", k);
        }
        goto out;
    }
    vd->upto = nsealed;
    if (maxid > nsealed) {
        for (k = nsealed + 1; act[k] == NULL; k++) {
        }
        if (end) {
            say(vd, "added", VERIFY_MESSAGE, k, "message %" PRIu64 " comes"
                " after the sealed end message %" PRIu64, k, nsealed);
        } else if (nsealed == 0) {
            say(vd, "unsealed", VERIFY_UNSEALED, 0, "no checkpoint for this"
                " recording");
        } else {
            say(vd, "unsealed-tail", VERIFY_UNSEALED, k, "messages %" PRIu64
                "..%" PRIu64 " come after the last checkpoint", nsealed + 1,
                maxid);
        }
        goto out;
    }
    if (nsealed == 0) {
        say(vd, "unsealed", VERIFY_UNSEALED, 0, "no checkpoint and no"
            " message for this recording");
    } else if (lost > 0) {
        say(vd, "cut-short", VERIFY_CUT_SHORT, 0, "%" PRIu64 " messages"
            " were lost before they were sealed", lost);
    } else if (!end) {
        say(vd, "cut-short", VERIFY_CUT_SHORT, nsealed, "no end message:"
            " sealed to message %" PRIu64 ", cut short or still running",
            nsealed);
    } else {
        say(vd, "clean", VERIFY_CLEAN, 0, "sealed and complete: %" PRIu64
            " messages, %zu checkpoints", nsealed, v->ncps);
    }
out:
    free(act);
    return 0;
}

int
verify_run(struct verify *v, const char *host, const char *rec,
           struct verify_verdict *vd, char *err, size_t errsz)
{
    uint8_t *sealed = NULL;
    uint64_t nsealed = 0;
    bool end = false;
    int rc;

    memset(vd, 0, sizeof(*vd));
    sort_msgs(v);
    rc = check_cps(v, host, rec, &sealed, &nsealed, &end, vd);
    if (rc > 0) {
        rc = check_msgs(v, sealed, nsealed, end, vd);
    }
    free(sealed);
    if (rc < 0) {
        snprintf(err, errsz, "out of memory checking recording %s", rec);
        return rc;
    }
    return 0;
}

int
verify_add_cp_text(struct verify *v, const char *text, size_t len,
                   const char *host, const char *rec, char *err,
                   size_t errsz)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o;
    struct seal_cp cp;
    int rc;

    if (tok == NULL) {
        snprintf(err, errsz, "out of memory reading a checkpoint");
        return -ENOMEM;
    }
    o = len <= (size_t)INT32_MAX ?
        json_tokener_parse_ex(tok, text, (int)len) : NULL;
    json_tokener_free(tok);
    if (o == NULL) {
        snprintf(err, errsz, "a checkpoint that is not JSON");
        return -EINVAL;
    }
    rc = seal_cp_parse(o, &cp, err, errsz);
    json_object_put(o);
    if (rc < 0) {
        return rc;
    }
    if (strcmp(cp.rec, rec) != 0 || strcmp(cp.host, host) != 0) {
        seal_cp_clear(&cp);
        return 0;
    }
    rc = verify_add_cp(v, &cp);
    if (rc < 0) {
        snprintf(err, errsz, "out of memory keeping a checkpoint");
    }
    return rc;
}
