/*
 * Each recording's verification state, as the console shows it: the
 * recording checked by lib/verify.c against the checkpoints tlog-seal
 * stored, with the public keys configured.
 *
 * A check reads the whole recording (all its messages, whatever rule
 * limits what the auditor may see of them: the state tells nothing of
 * their content) and its checkpoints, so its verdict is cached under a
 * key that two aggregations tell cheaply: the number of the recording's
 * messages, their last id and the sum of their sequence numbers (a
 * document written again gets a new one), the number of its checkpoints
 * and the sum of theirs.  A recording that grew or changed is checked
 * again; one that did not is answered from the cache.  A list of
 * recordings gives each row's cached state where its key still holds and
 * "pending" elsewhere, in two searches whatever its length; the state of
 * one recording is computed on request (seals_check()).
 *
 * A state is a JSON object: "state" (a verdict name of verify.h,
 * "pending" or "not-checked" when no key is configured), "summary" (one
 * line for the page), and for a verdict "status", "id", "upto",
 * "detail", "messages" and "checkpoints" (verify.h).
 */
#ifndef SEALS_H
#define SEALS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "seal.h"
#include "store.h"

/* Most verdicts cached; the least recently used goes first */
#define SEALS_CACHE_MAX 4096
/* Most checks running at once (each reads a whole recording) */
#define SEALS_RUNNING_MAX 2
/* Messages and checkpoints asked of Elasticsearch a request */
#define SEALS_MSG_PAGE 1000
#define SEALS_CP_PAGE 100
/* Most hosts holding a recording of one id that are told apart */
#define SEALS_HOSTS_MAX 16

struct seals;

/*
 * Checking recordings of store (kept, not owned) against the checkpoints
 * in index (an index pattern, "tlog_seal-*", copied) with the keys of
 * ring (taken: freed with the seals; NULL: no key configured, every
 * state "not-checked").  Stores it in *ps (seals_free()).  0 or -ENOMEM.
 */
int seals_new(struct store *store, const char *index,
              struct seal_keyring *ring, struct seals **ps);

/* seals_free(NULL) does nothing */
void seals_free(struct seals *s);

/*
 * Add "seal", its cached state or "pending", to each object of the array
 * recordings (each with "rec" and "host").  0, or a negative errno value
 * with err filled (the rows are then left as they were).
 */
int seals_rows(struct seals *s, struct json_object *recordings, char *err,
               size_t errsz);

/*
 * The state of recording rec of host, checked unless cached under its
 * current key, in *state (owned by the caller).  0, -EBUSY when
 * SEALS_RUNNING_MAX checks are running, or another negative errno value
 * with err filled.
 */
int seals_check(struct seals *s, const char *host, const char *rec,
                struct json_object **state, char *err, size_t errsz);

/* What tells that a recording or its checkpoints changed */
struct seals_key {
    int64_t msgs;               /* messages */
    int64_t last;               /* their last id */
    double msg_seq;             /* the sum of their sequence numbers */
    int64_t cps;                /* checkpoints */
    double cp_seq;
};

/*
 * The key of (rec, host) from the answers of its two searches: msgs of
 * the recordings, cps of the checkpoints (owned by the caller; NULL or
 * any JSON is walked without harm), each an aggregation "r" by recording
 * with "h" by host under it, "doc_count", "seq" (a sum) and, in msgs,
 * "last" (a max).  Into *k: zeros where an answer has no bucket of the
 * pair; the sums finite.
 */
void seals_walk_key(struct json_object *msgs, struct json_object *cps,
                    const char *rec, const char *host,
                    struct seals_key *k);

#endif
