/*
 * Fuzz target: the verifier against an oracle.  The input describes a
 * recording sealed in checkpoints (how many messages, the checkpoint
 * period, whether the last one is the end) and then changes to what the
 * verifier is fed: messages left out, altered, swapped, doubled with
 * other contents or added past the end, checkpoints dropped or with a
 * digest or signature byte flipped.  The verdict must be clean exactly
 * when what is fed is still the sealed recording, and one of the known
 * verdicts otherwise.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MSGS_MAX 64
#define OPS_MAX 16

struct fmsg {
    uint64_t id;
    uint8_t d[SEAL_DIGEST_LEN];
};

static struct seal_key key;
static struct seal_keyring *ring;
static char dir[64];

static void
cleanup(void)
{
    char cmd[96];

    seal_keyring_free(ring);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz_verify: cannot remove %s\n", dir);
    }
}

static void
ready(void)
{
    char prefix[96], err[256];

    strcpy(dir, "/tmp/fuzz_verify.XXXXXX");
    if (seal_init(err, sizeof(err)) < 0 || mkdtemp(dir) == NULL) {
        abort();
    }
    snprintf(prefix, sizeof(prefix), "%s/k", dir);
    if (seal_key_generate(prefix, &key, err, sizeof(err)) < 0 ||
        seal_keyring_new(dir, &ring, err, sizeof(err)) < 0) {
        abort();
    }
    atexit(cleanup);
}

static void
digest(uint64_t id, uint8_t *d)
{
    memset(d, 0xa5, SEAL_DIGEST_LEN);
    memcpy(d, &id, sizeof(id));
}

/* Checkpoints of 1..n, every ids each, into cps; how many */
static size_t
seal_all(uint64_t n, uint64_t every, bool end, struct seal_cp *cps)
{
    struct seal_chain c;
    uint64_t id, i;
    size_t k = 0;

    seal_chain_start(&c, "h", "r");
    for (id = 1; id <= n; id += every) {
        struct seal_cp *cp = &cps[k++];

        memset(cp, 0, sizeof(*cp));
        cp->host = strdup("h");
        cp->rec = strdup("r");
        cp->first = id;
        cp->last = id + every - 1 < n ? id + every - 1 : n;
        cp->count = cp->last;
        cp->end = end && cp->last == n;
        cp->digests = malloc((cp->last - id + 1) * SEAL_DIGEST_LEN);
        if (cp->host == NULL || cp->rec == NULL || cp->digests == NULL) {
            abort();
        }
        for (i = id; i <= cp->last; i++) {
            digest(i, cp->digests + (i - id) * SEAL_DIGEST_LEN);
            seal_chain_add(&c, i, cp->digests + (i - id) * SEAL_DIGEST_LEN);
        }
        seal_chain_value(&c, cp->hash);
        seal_cp_sign(cp, &key);
    }
    return k;
}

static int
fmsg_cmp(const void *a, const void *b)
{
    const struct fmsg *x = a, *y = b;

    return x->id != y->id ? (x->id < y->id ? -1 : 1) :
           memcmp(x->d, y->d, SEAL_DIGEST_LEN);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool started;
    struct seal_cp cps[MSGS_MAX], orig[MSGS_MAX];
    struct fmsg msgs[MSGS_MAX + 2 * OPS_MAX];
    struct verify_verdict vd;
    struct verify *v = NULL;
    uint64_t n, every, i, a, b;
    size_t ncps, norig, nmsgs, k, j, ops;
    bool end, clean_fed;
    char err[256];

    if (!started) {
        ready();
        started = true;
    }
    if (size < 3) {
        return 0;
    }
    n = 1 + data[0] % MSGS_MAX;
    every = 1 + data[1] % 16;
    end = data[2] & 1;
    ncps = seal_all(n, every, end, cps);
    norig = seal_all(n, every, end, orig);
    nmsgs = 0;
    for (i = 1; i <= n; i++) {
        msgs[nmsgs].id = i;
        digest(i, msgs[nmsgs++].d);
    }
    data += 3;
    size -= 3;
    for (ops = 0; ops < OPS_MAX && size >= 2; ops++, data += 2, size -= 2) {
        a = data[1] % n;            /* an index into the first n */
        switch (data[0] % 8) {
        case 0:     /* leave out one */
            if (a < nmsgs) {
                msgs[a] = msgs[--nmsgs];
            }
            break;
        case 1:     /* alter one */
            if (a < nmsgs) {
                msgs[a].d[SEAL_DIGEST_LEN - 1] ^= 1;
            }
            break;
        case 2:     /* swap two's contents */
            b = (a + 1) % n;
            if (a < nmsgs && b < nmsgs) {
                uint8_t t[SEAL_DIGEST_LEN];

                memcpy(t, msgs[a].d, SEAL_DIGEST_LEN);
                memcpy(msgs[a].d, msgs[b].d, SEAL_DIGEST_LEN);
                memcpy(msgs[b].d, t, SEAL_DIGEST_LEN);
            }
            break;
        case 3:     /* a second message of one id, other contents */
            if (a < nmsgs) {
                msgs[nmsgs] = msgs[a];
                msgs[nmsgs++].d[SEAL_DIGEST_LEN - 2] ^= 1;
            }
            break;
        case 4:     /* one past the end */
            msgs[nmsgs].id = n + 1 + data[1] % 4;
            digest(msgs[nmsgs].id, msgs[nmsgs].d);
            nmsgs++;
            break;
        case 5:     /* a checkpoint dropped */
            if (ncps > 0) {
                k = data[1] % ncps;
                seal_cp_clear(&cps[k]);
                memmove(&cps[k], &cps[k + 1], (ncps - k - 1) *
                        sizeof(*cps));
                ncps--;
            }
            break;
        case 6:     /* a digest byte of a checkpoint flipped */
            if (ncps > 0) {
                cps[data[1] % ncps].digests[data[1] % SEAL_DIGEST_LEN] ^= 1;
            }
            break;
        default:    /* a signature byte flipped */
            if (ncps > 0) {
                cps[data[1] % ncps].sig[data[1] % 64] ^= 1;
            }
            break;
        }
    }
    /* the oracle: the same checkpoints, and the same messages as a set */
    clean_fed = end && ncps == norig;
    for (k = 0; clean_fed && k < ncps; k++) {
        clean_fed = cps[k].first == orig[k].first &&
                    !memcmp(cps[k].sig, orig[k].sig, sizeof(cps[k].sig)) &&
                    !memcmp(cps[k].digests, orig[k].digests,
                            (cps[k].last - cps[k].first + 1) *
                            SEAL_DIGEST_LEN);
    }
    if (clean_fed) {
        struct fmsg s[MSGS_MAX + 2 * OPS_MAX];

        memcpy(s, msgs, nmsgs * sizeof(*s));
        qsort(s, nmsgs, sizeof(*s), fmsg_cmp);
        for (j = 0, k = 0; clean_fed && k < nmsgs; k++) {
            if (k > 0 && !fmsg_cmp(&s[k - 1], &s[k])) {
                continue;
            }
            j++;
            clean_fed = s[k].id == j;
            if (clean_fed) {
                uint8_t d[SEAL_DIGEST_LEN];

                digest(j, d);
                clean_fed = !memcmp(s[k].d, d, SEAL_DIGEST_LEN);
            }
        }
        clean_fed = clean_fed && j == n;
    }
    if (verify_new(ring, &v) < 0) {
        abort();
    }
    for (k = 0; k < ncps; k++) {
        if (verify_add_cp(v, &cps[k]) < 0) {
            abort();
        }
    }
    for (k = 0; k < nmsgs; k++) {
        if (verify_add_msg(v, msgs[k].id, end && msgs[k].id == n,
                           msgs[k].d, err, sizeof(err)) < 0) {
            abort();
        }
    }
    if (verify_run(v, "h", "r", &vd, err, sizeof(err)) < 0 ||
        vd.name == NULL || (!strcmp(vd.name, "clean")) != clean_fed ||
        (vd.status != VERIFY_CLEAN && vd.status != VERIFY_CUT_SHORT &&
         vd.status != VERIFY_UNSEALED && vd.status != VERIFY_MESSAGE &&
         vd.status != VERIFY_CHECKPOINT) ||
        (vd.status == VERIFY_CLEAN) != clean_fed) {
        fprintf(stderr, "fuzz_verify: %s (%d) at %llu, fed %s: %s\n",
                vd.name ? vd.name : "(none)", (int)vd.status,
                (unsigned long long)vd.id, clean_fed ? "clean" : "changed",
                vd.detail);
        abort();
    }
    verify_free(v);
    for (k = 0; k < norig; k++) {
        seal_cp_clear(&orig[k]);
    }
    return 0;
}
