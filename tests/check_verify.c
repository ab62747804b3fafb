/*
 * verify: a recording sealed in checkpoints verifies clean whatever the
 * order and copies of its messages; each change to its messages or its
 * checkpoints gives its own verdict, status and message id.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"
#include "testlib.h"

/* Messages of the recording, and the sealer's checkpoint period */
#define N 30
#define EVERY 10

static char dir[64], other_dir[64];
static struct seal_key key, other_key;
static struct seal_keyring *ring, *other_ring;

/* The digest of message id as sealed */
static void
digest(uint64_t id, uint8_t *d)
{
    memset(d, 0x5a, SEAL_DIGEST_LEN);
    memcpy(d, &id, sizeof(id));
}

static void
make_ring(char *d, struct seal_key *k, struct seal_keyring **r)
{
    char prefix[96], err[256];

    strcpy(d, "/tmp/check_verify.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    snprintf(prefix, sizeof(prefix), "%s/k", d);
    ck_assert_int_eq(seal_key_generate(prefix, k, err, sizeof(err)), 0);
    ck_assert_int_eq(seal_keyring_new(d, r, err, sizeof(err)), 0);
}

static void
setup(void)
{
    char err[256];

    ck_assert_int_eq(seal_init(err, sizeof(err)), 0);
    make_ring(dir, &key, &ring);
    make_ring(other_dir, &other_key, &other_ring);
}

static void
teardown(void)
{
    char cmd[160];

    seal_keyring_free(ring);
    seal_keyring_free(other_ring);
    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, other_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The checkpoints of ids 1..last, EVERY ids each, signed with k; the
 * last one marks the end when end */
static size_t
checkpoints(uint64_t last, bool end, const struct seal_key *k,
            struct seal_cp *cps)
{
    struct seal_chain c;
    uint64_t id;
    size_t n = 0;

    seal_chain_start(&c, "h", "r");
    for (id = 1; id <= last; id += EVERY) {
        struct seal_cp *cp = &cps[n++];
        uint64_t i;

        memset(cp, 0, sizeof(*cp));
        cp->host = strdup("h");
        cp->rec = strdup("r");
        cp->first = id;
        cp->last = id + EVERY - 1 < last ? id + EVERY - 1 : last;
        cp->count = cp->last;
        cp->end = end && cp->last == last;
        cp->time_ms = 1795321501554 + (int64_t)id;
        cp->digests = malloc((cp->last - id + 1) * SEAL_DIGEST_LEN);
        for (i = id; i <= cp->last; i++) {
            uint8_t *d = cp->digests + (i - id) * SEAL_DIGEST_LEN;

            digest(i, d);
            seal_chain_add(&c, i, d);
        }
        seal_chain_value(&c, cp->hash);
        seal_cp_sign(cp, k);
    }
    return n;
}

/* A copy of cp the verifier can take */
static struct seal_cp
cp_copy(const struct seal_cp *cp)
{
    struct seal_cp c = *cp;
    size_t len = (cp->last - cp->first + 1) * SEAL_DIGEST_LEN;

    c.host = strdup(cp->host);
    c.rec = strdup(cp->rec);
    c.digests = malloc(len);
    memcpy(c.digests, cp->digests, len);
    return c;
}

/* What is fed: the checkpoints, and messages 1..nmsgs as sealed, but
 * for the changes asked for */
struct feed {
    struct seal_cp cps[2 * (N / EVERY) + 2];
    size_t ncps;
    uint64_t nmsgs;
    uint64_t skip;          /* a message left out, or 0 */
    uint64_t alter;         /* a message whose content changed, or 0 */
    uint64_t swap;          /* messages swap and swap + 1 exchanged */
    uint64_t again;         /* a second message of this id, different */
    bool end_msg;           /* message nmsgs is the end */
    bool reverse;           /* fed last first, each twice */
    const struct seal_keyring *ring;
};

static void
run(struct feed *f, struct verify_verdict *vd, size_t *msgs, size_t *cps)
{
    struct verify *v = NULL;
    char err[256];
    size_t k, t;
    uint64_t j;

    ck_assert_int_eq(verify_new(f->ring ? f->ring : ring, &v), 0);
    for (k = 0; k < f->ncps; k++) {
        struct seal_cp c = cp_copy(&f->cps[k]);

        ck_assert_int_eq(verify_add_cp(v, &c), 0);
        ck_assert_ptr_null(c.digests);
    }
    for (t = 0; t < (f->reverse ? 2u : 1u); t++) {
        for (j = 1; j <= f->nmsgs; j++) {
            uint64_t id = f->reverse ? f->nmsgs + 1 - j : j;
            uint8_t d[SEAL_DIGEST_LEN];

            if (id == f->skip) {
                continue;
            }
            digest(f->swap && id == f->swap ? id + 1 :
                   f->swap && id == f->swap + 1 ? id - 1 : id, d);
            if (id == f->alter) {
                d[SEAL_DIGEST_LEN - 1] ^= 1;
            }
            ck_assert_int_eq(verify_add_msg(v, id, f->end_msg &&
                                            id == f->nmsgs, d, err,
                                            sizeof(err)), 0);
            if (id == f->again) {
                d[SEAL_DIGEST_LEN - 2] ^= 1;
                ck_assert_int_eq(verify_add_msg(v, id, false, d, err,
                                                sizeof(err)), 0);
            }
        }
    }
    ck_assert_int_eq(verify_run(v, "h", "r", vd, err, sizeof(err)), 0);
    *msgs = verify_messages(v);
    *cps = verify_checkpoints(v);
    verify_free(v);
    for (k = 0; k < f->ncps; k++) {
        seal_cp_clear(&f->cps[k]);
    }
}

/* A sealed recording of N messages ending in its end message */
static void
sealed(struct feed *f)
{
    memset(f, 0, sizeof(*f));
    f->ncps = checkpoints(N, true, &key, f->cps);
    f->nmsgs = N;
    f->end_msg = true;
}

#define EXPECT(f, name_, status_, id_, upto_) do { \
        struct verify_verdict vd_; \
        size_t m_, c_; \
        run(f, &vd_, &m_, &c_); \
        ck_assert_msg(!strcmp(vd_.name, name_) && \
                      vd_.status == (status_) && vd_.id == (id_) && \
                      vd_.upto == (upto_), \
                      "expected %s %d at %d up to %d, got %s %d at %llu" \
                      " up to %llu: %s", name_, status_, (int)(id_), \
                      (int)(upto_), vd_.name, (int)vd_.status, \
                      (unsigned long long)vd_.id, \
                      (unsigned long long)vd_.upto, vd_.detail); \
    } while (0)

START_TEST(test_clean)
{
    struct feed f;
    struct verify_verdict vd;
    size_t msgs, cps;

    sealed(&f);
    run(&f, &vd, &msgs, &cps);
    ck_assert_str_eq(vd.name, "clean");
    ck_assert_int_eq(vd.status, VERIFY_CLEAN);
    ck_assert_uint_eq(vd.upto, N);
    ck_assert_uint_eq(msgs, N);
    ck_assert_uint_eq(cps, N / EVERY);
    /* in any order, each read twice: the same, counted once */
    sealed(&f);
    f.reverse = true;
    run(&f, &vd, &msgs, &cps);
    ck_assert_str_eq(vd.name, "clean");
    ck_assert_uint_eq(msgs, N);
    /* each checkpoint made twice counts once */
    sealed(&f);
    f.ncps += checkpoints(N, true, &key, f.cps + f.ncps);
    run(&f, &vd, &msgs, &cps);
    ck_assert_str_eq(vd.name, "clean");
    ck_assert_uint_eq(cps, N / EVERY);
}
END_TEST

START_TEST(test_messages_changed)
{
    struct feed f;

    sealed(&f);
    f.alter = 17;
    EXPECT(&f, "altered", VERIFY_MESSAGE, 17, 16);
    sealed(&f);
    f.skip = 23;
    EXPECT(&f, "missing", VERIFY_MESSAGE, 23, 22);
    sealed(&f);
    f.swap = 14;
    EXPECT(&f, "reordered", VERIFY_MESSAGE, 14, 13);
    sealed(&f);
    f.again = 5;
    EXPECT(&f, "added", VERIFY_MESSAGE, 5, 0);
    /* a message past the sealed end */
    sealed(&f);
    f.nmsgs = N + 1;
    f.end_msg = false;
    EXPECT(&f, "added", VERIFY_MESSAGE, N + 1, N);
}
END_TEST

START_TEST(test_cut_short_and_unsealed)
{
    struct feed f;

    /* the end message gone */
    sealed(&f);
    f.skip = N;
    EXPECT(&f, "cut-short", VERIFY_CUT_SHORT, N, N - 1);
    /* sealed to its last message, which is no end */
    memset(&f, 0, sizeof(f));
    f.ncps = checkpoints(N, false, &key, f.cps);
    f.nmsgs = N;
    EXPECT(&f, "cut-short", VERIFY_CUT_SHORT, N, N);
    /* messages past the last checkpoint */
    memset(&f, 0, sizeof(f));
    f.ncps = checkpoints(20, false, &key, f.cps);
    f.nmsgs = 25;
    EXPECT(&f, "unsealed-tail", VERIFY_UNSEALED, 21, 20);
    /* no checkpoint at all */
    memset(&f, 0, sizeof(f));
    f.nmsgs = 5;
    EXPECT(&f, "unsealed", VERIFY_UNSEALED, 0, 0);
}
END_TEST

START_TEST(test_checkpoints_changed)
{
    struct feed f;

    /* the middle checkpoint gone */
    sealed(&f);
    seal_cp_clear(&f.cps[1]);
    f.cps[1] = f.cps[2];
    f.ncps = 2;
    EXPECT(&f, "checkpoint-missing", VERIFY_CHECKPOINT, EVERY + 1, 0);
    /* its signature broken */
    sealed(&f);
    f.cps[1].sig[0] ^= 1;
    EXPECT(&f, "bad-signature", VERIFY_CHECKPOINT, 2 * EVERY, 0);
    /* a digest in it changed: the chain no longer gives its hash */
    sealed(&f);
    f.cps[1].digests[SEAL_DIGEST_LEN] ^= 1;
    EXPECT(&f, "checkpoint-altered", VERIFY_CHECKPOINT, 2 * EVERY, 0);
    /* signed by a key the verifier does not trust */
    sealed(&f);
    f.ring = other_ring;
    EXPECT(&f, "unknown-key", VERIFY_CHECKPOINT, EVERY, 0);
    /* signed anew by another key, trusted: clean again */
    memset(&f, 0, sizeof(f));
    f.ncps = checkpoints(N, true, &other_key, f.cps);
    f.nmsgs = N;
    f.end_msg = true;
    f.ring = other_ring;
    EXPECT(&f, "clean", VERIFY_CLEAN, 0, N);
}
END_TEST

static Suite *
verify_suite(void)
{
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_clean);
    tcase_add_test(tc, test_messages_changed);
    tcase_add_test(tc, test_cut_short_and_unsealed);
    tcase_add_test(tc, test_checkpoints_changed);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(verify_suite());
}
