/*
 * Checking a recording against its checkpoints: the verifier behind
 * tlog-verify and tlog-web.
 *
 * A verifier is fed a recording's messages (id, end mark, digest as
 * seal_msg_parse() gives them, in any order, copies allowed) and the
 * checkpoints signed for it (seal_cp_parse()), then asked once for its
 * verdict: sealed and complete, or the first thing that is wrong.  The
 * checkpoints are checked first (a trusted key, a good signature, a
 * chain without gap or overlap whose digests give the signed hash), then
 * the messages against the digests they hold, id by id.  Reading the
 * recording and choosing which messages belong to it is the caller's
 * business.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seal.h"

/* Most messages and checkpoints of one recording taken */
#define VERIFY_MSGS_MAX (64 * 1024 * 1024)
#define VERIFY_CPS_MAX (1024 * 1024)
/* Longest verdict text, with its terminating zero */
#define VERIFY_DETAIL_MAX 1024

/* A verdict's status: tlog-verify's exit status */
enum verify_status {
    VERIFY_CLEAN = 0,           /* sealed and complete */
    VERIFY_CUT_SHORT = 3,       /* the end, or messages, lost before
                                   sealing, or not come yet */
    VERIFY_UNSEALED = 4,        /* messages past the last checkpoint */
    VERIFY_MESSAGE = 5,         /* a message missing, altered, reordered
                                   or added */
    VERIFY_CHECKPOINT = 6,      /* a checkpoint missing, altered, badly
                                   signed or of an unknown key */
};

/* What a verifier found */
struct verify_verdict {
    /* "clean", "cut-short", "unsealed", "unsealed-tail", "missing",
     * "altered", "reordered", "added", "checkpoint-missing",
     * "checkpoint-altered", "bad-signature" or "unknown-key": static */
    const char *name;
    enum verify_status status;
    uint64_t id;                /* the message or checkpoint (its last id)
                                   named, or 0 */
    uint64_t upto;              /* messages 1..upto are those sealed (0
                                   when the checkpoints do not hold, or
                                   when a message id is there twice) */
    char detail[VERIFY_DETAIL_MAX];     /* one sentence */
};

struct verify;

/*
 * A verifier trusting the keys of ring (borrowed: it must outlive the
 * verifier).  Stores it in *pv (free with verify_free()).  0 or -ENOMEM.
 */
int verify_new(const struct seal_keyring *ring, struct verify **pv);

/* verify_free(NULL) does nothing */
void verify_free(struct verify *v);

/*
 * Take message id (from 1), its end mark and its SEAL_DIGEST_LEN-byte
 * digest.  0, or -E2BIG past VERIFY_MSGS_MAX messages with err saying
 * so.
 */
int verify_add_msg(struct verify *v, uint64_t id, bool end,
                   const uint8_t *digest, char *err, size_t errsz);

/*
 * Take checkpoint cp: what it owns becomes the verifier's and *cp is
 * zeroed, whatever the outcome.  0, or -ENOMEM (past VERIFY_CPS_MAX
 * too).
 */
int verify_add_cp(struct verify *v, struct seal_cp *cp);

/*
 * Take the checkpoint document text[0..len) if it is one of recording
 * rec of host (one of another recording is passed over).  0, or a
 * negative errno value with err saying what is wrong with it.
 */
int verify_add_cp_text(struct verify *v, const char *text, size_t len,
                       const char *host, const char *rec, char *err,
                       size_t errsz);

/*
 * The verdict on recording rec of host from what was taken, into *vd.
 * Called once: the verifier is spent after it.  0, or -ENOMEM with err
 * saying so.
 */
int verify_run(struct verify *v, const char *host, const char *rec,
               struct verify_verdict *vd, char *err, size_t errsz);

/* After verify_run(): the messages of distinct ids and contents taken,
 * and the checkpoints of the chain (one made twice counts once) */
size_t verify_messages(const struct verify *v);
size_t verify_checkpoints(const struct verify *v);

#endif
