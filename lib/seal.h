/*
 * Sealing recordings: what tlog-seal writes and tlog-verify checks.
 *
 * Each message of a recording gets a digest: BLAKE2b-128 over its
 * canonical form (the parsed JSON written again with the keys of every
 * object sorted, no spaces, strings escaped one way only), leaving out
 * "id" (the position is the chain's business) and "x_tlog_sender"
 * (stamped by the store's rsyslog, absent from the journal's copy).  So
 * the same recording gives the same digests read from the shipped line,
 * from Elasticsearch's _source, from a file or from the journal.
 *
 * A recording's chain is a running BLAKE2b-256 over its host and id,
 * then over each message's id and digest in id order.  A checkpoint
 * covers the ids first..last: their digests (all zero for an id the
 * sealer never got, a lost message), the chain's value after last, how
 * many messages were sealed so far, whether last is the recording's end
 * message (x_tlog_end), the time, and an Ed25519 signature (libsodium)
 * over a fixed text of those fields, made with the key whose id it
 * names.
 */
#ifndef SEAL_H
#define SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <sodium.h>

/* Largest message line the sealer and the verifier take, bytes */
#define SEAL_LINE_MAX (1024 * 1024)
/* Sizes, bytes */
#define SEAL_DIGEST_LEN 16
#define SEAL_HASH_LEN 32
#define SEAL_KEYID_LEN 8
/* Most digests one checkpoint holds */
#define SEAL_CP_MAX 100000
/* Longest host or recording id sealed */
#define SEAL_NAME_MAX 512

/* Set libsodium up; 0 or -EIO with err filled */
int seal_init(char *err, size_t errsz);

/* What sealing takes of one message */
struct seal_msg {
    const char *host;   /* borrowed from the parsed object */
    const char *rec;    /* borrowed too */
    uint64_t id;
    bool end;           /* it carries x_tlog_end */
    uint8_t digest[SEAL_DIGEST_LEN];
};

/*
 * Parse one message text[0..len) and fill *m.  Stores the parsed
 * object, owned by the caller (json_object_put()) and holding what m
 * borrows, in *obj.  Returns 0, -EINVAL for what is not a message with
 * a host, rec and id (err says why), or -EMSGSIZE past SEAL_LINE_MAX.
 */
int seal_msg_parse(const char *text, size_t len, struct json_object **obj,
                   struct seal_msg *m, char *err, size_t errsz);

/* A recording's running hash: a plain value, copied and saved as bytes
 * by the sealer */
struct seal_chain {
    crypto_generichash_state st;
};

/* Start the chain of recording rec of host */
void seal_chain_start(struct seal_chain *c, const char *host,
                      const char *rec);
/* Add message id with its digest (all zero: lost before sealing) */
void seal_chain_add(struct seal_chain *c, uint64_t id,
                    const uint8_t *digest);
/* The value now, into hash; the chain goes on unchanged */
void seal_chain_value(const struct seal_chain *c, uint8_t *hash);

/* A key: the public half always, the secret half when has_secret */
struct seal_key {
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    bool has_secret;
    char id[SEAL_KEYID_LEN * 2 + 1];    /* hex of BLAKE2b-64(pk) */
};

/*
 * Make a key pair and write it as PREFIX.key (the secret key in hex,
 * mode 0600, never overwritten) and PREFIX.pub (the public key in hex).
 * Fills *k.  Returns 0 or a negative errno value with err filled.
 */
int seal_key_generate(const char *prefix, struct seal_key *k, char *err,
                      size_t errsz);

/* Read a .key file (the secret key, public key and id follow from it) or
 * a .pub file into *k; 0 or a negative errno value with err filled */
int seal_key_load(const char *path, struct seal_key *k, char *err,
                  size_t errsz);

struct seal_keyring;

/*
 * The public keys a verifier trusts: paths is newline-separated, each a
 * .pub (or .key) file or a directory whose *.pub files are all read.
 * Stores the ring, freed with seal_keyring_free(), in *pr.  Returns 0
 * or a negative errno value with err naming the file.
 */
int seal_keyring_new(const char *paths, struct seal_keyring **pr, char *err,
                     size_t errsz);
void seal_keyring_free(struct seal_keyring *r);
size_t seal_keyring_count(const struct seal_keyring *r);

/* One checkpoint */
struct seal_cp {
    char *host;             /* owned: malloc'ed */
    char *rec;
    uint64_t first;         /* ids covered: first..last */
    uint64_t last;
    uint64_t count;         /* messages sealed from id 1 to last */
    bool end;               /* last is the recording's end message */
    int64_t time_ms;        /* when it was made, ms since the epoch */
    char key[SEAL_KEYID_LEN * 2 + 1];
    uint8_t hash[SEAL_HASH_LEN];        /* the chain after last */
    uint8_t *digests;       /* owned: (last - first + 1) digests */
    uint8_t sig[crypto_sign_BYTES];
};

/* Sign cp (its key id set from k) with k's secret key */
void seal_cp_sign(struct seal_cp *cp, const struct seal_key *k);

/*
 * Check cp's signature against the ring: 0, -ENOKEY when no key of the
 * ring has its id, -EBADMSG when the signature does not match.
 */
int seal_cp_check(const struct seal_cp *cp, const struct seal_keyring *r);

/* The checkpoint as a JSON document on one line, malloc'ed (owned by the
 * caller), or NULL when out of memory */
char *seal_cp_json(const struct seal_cp *cp);

/*
 * Read a checkpoint document o into *cp (freed with seal_cp_clear()).
 * Returns 0 or -EINVAL with err saying which field is wrong.
 */
int seal_cp_parse(struct json_object *o, struct seal_cp *cp, char *err,
                  size_t errsz);

/* Free what cp owns; it is zeroed */
void seal_cp_clear(struct seal_cp *cp);

/* Lowercase hex of p[0..n) into out (2n + 1 bytes) */
void seal_hex(char *out, const uint8_t *p, size_t n);

/*
 * The answer of a _bulk request creating checkpoints (owned by the
 * caller; any JSON, or NULL, is walked without harm): 0 when each was
 * created or was there already, or -EIO with err holding the first
 * refused item.
 */
int seal_walk_bulk(struct json_object *answer, char *err, size_t errsz);

#endif
