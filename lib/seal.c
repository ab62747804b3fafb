/*
 * Sealing recordings: canonical digests, chains, keys and checkpoints.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "seal.h"

/* Deepest nesting of a message's JSON taken */
#define CANON_DEPTH 32

int
seal_init(char *err, size_t errsz)
{
    if (sodium_init() < 0) {
        snprintf(err, errsz, "cannot start libsodium");
        return -EIO;
    }
    return 0;
}

void
seal_hex(char *out, const uint8_t *p, size_t n)
{
    sodium_bin2hex(out, n * 2 + 1, p, n);
}

/* Read exactly n bytes of hex from s into p; 0 or -EINVAL */
static int
unhex(const char *s, size_t slen, uint8_t *p, size_t n)
{
    size_t got = 0;

    if (slen != n * 2 ||
        sodium_hex2bin(p, n, s, slen, NULL, &got, NULL) != 0 || got != n) {
        return -EINVAL;
    }
    return 0;
}

/* Append string s[0..n) as a JSON string: " \ and C0 controls escaped
 * (\" \\ \uXXXX only), every other byte as it is */
static int
canon_str(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    int rc;

    if ((rc = buf_reserve(b, n + 2)) < 0) {
        return rc;
    }
    b->data[b->len++] = '"';
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[6];
        size_t elen;

        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            continue;
        }
        if ((rc = buf_append(b, s + run, i - run)) < 0) {
            return rc;
        }
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            elen = 2;
        } else {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            elen = 6;
        }
        if ((rc = buf_append(b, esc, elen)) < 0) {
            return rc;
        }
        run = i + 1;
    }
    if ((rc = buf_append(b, s + run, n - run)) < 0) {
        return rc;
    }
    return buf_append(b, "\"", 1);
}

struct canon_key {
    const char *k;
    struct json_object *v;
};

static int
canon_key_cmp(const void *a, const void *b)
{
    return strcmp(((const struct canon_key *)a)->k,
                  ((const struct canon_key *)b)->k);
}

/* Append the canonical form of o; at depth 0 "id" and "x_tlog_sender"
 * are left out */
static int
canon(struct buf *b, struct json_object *o, int depth)
{
    struct canon_key *keys;
    size_t n, i, k;
    const char *t;
    int rc = 0;

    if (depth > CANON_DEPTH) {
        return -EINVAL;
    }
    switch (json_object_get_type(o)) {
    case json_type_string:
        return canon_str(b, json_object_get_string(o),
                         (size_t)json_object_get_string_len(o));
    case json_type_array:
        n = json_object_array_length(o);
        if ((rc = buf_append(b, "[", 1)) < 0) {
            return rc;
        }
        for (i = 0; i < n && rc == 0; i++) {
            if (i > 0) {
                rc = buf_append(b, ",", 1);
            }
            if (rc == 0) {
                rc = canon(b, json_object_array_get_idx(o, i), depth + 1);
            }
        }
        return rc < 0 ? rc : buf_append(b, "]", 1);
    case json_type_object:
        n = (size_t)json_object_object_length(o);
        keys = calloc(n ? n : 1, sizeof(*keys));
        if (keys == NULL) {
            return -ENOMEM;
        }
        k = 0;
        {
            json_object_object_foreach(o, key, val) {
                if (depth == 0 && (!strcmp(key, "id") ||
                                   !strcmp(key, "x_tlog_sender"))) {
                    continue;
                }
                keys[k].k = key;
                keys[k].v = val;
                k++;
            }
        }
        qsort(keys, k, sizeof(*keys), canon_key_cmp);
        rc = buf_append(b, "{", 1);
        for (i = 0; i < k && rc == 0; i++) {
            if (i > 0) {
                rc = buf_append(b, ",", 1);
            }
            if (rc == 0) {
                rc = canon_str(b, keys[i].k, strlen(keys[i].k));
            }
            if (rc == 0) {
                rc = buf_append(b, ":", 1);
            }
            if (rc == 0) {
                rc = canon(b, keys[i].v, depth + 1);
            }
        }
        free(keys);
        return rc < 0 ? rc : buf_append(b, "}", 1);
    default:
        /* null, booleans and numbers as json-c writes them: a number
         * parsed from text keeps that text */
        t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        return buf_append(b, t, strlen(t));
    }
}

int
seal_msg_parse(const char *text, size_t len, struct json_object **obj,
               struct seal_msg *m, char *err, size_t errsz)
{
    struct json_tokener *tok;
    struct json_object *o, *v;
    struct buf b;
    int64_t id;
    int rc;

    if (len > SEAL_LINE_MAX) {
        snprintf(err, errsz, "a message of %zu bytes (at most %d taken)",
                 len, SEAL_LINE_MAX);
        return -EMSGSIZE;
    }
    tok = json_tokener_new_ex(CANON_DEPTH);
    if (tok == NULL) {
        snprintf(err, errsz, "out of memory reading a message");
        return -ENOMEM;
    }
    o = json_tokener_parse_ex(tok, text, (int)len);
    if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
        snprintf(err, errsz, "not JSON: %s",
                 json_tokener_error_desc(json_tokener_get_error(tok)));
        json_tokener_free(tok);
        json_object_put(o);
        return -EINVAL;
    }
    json_tokener_free(tok);
    memset(m, 0, sizeof(*m));
    if (json_object_get_type(o) != json_type_object ||
        !json_object_object_get_ex(o, "host", &v) ||
        !json_object_is_type(v, json_type_string) ||
        (m->host = json_object_get_string(v)) == NULL ||
        !json_object_object_get_ex(o, "rec", &v) ||
        !json_object_is_type(v, json_type_string) ||
        (m->rec = json_object_get_string(v)) == NULL ||
        !json_object_object_get_ex(o, "id", &v) ||
        !json_object_is_type(v, json_type_int) ||
        (id = json_object_get_int64(v)) < 1) {
        snprintf(err, errsz, "not a recording message (no host, rec or"
                 " id from 1)");
        json_object_put(o);
        return -EINVAL;
    }
    if (strlen(m->host) > SEAL_NAME_MAX || strlen(m->rec) > SEAL_NAME_MAX ||
        strpbrk(m->host, "\n/") != NULL || strpbrk(m->rec, "\n/") != NULL) {
        snprintf(err, errsz, "a host or recording id that is too long or"
                 " holds a newline or slash");
        json_object_put(o);
        return -EINVAL;
    }
    m->id = (uint64_t)id;
    m->end = json_object_object_get_ex(o, "x_tlog_end", NULL);
    buf_init(&b, 2 * (size_t)SEAL_LINE_MAX);
    rc = buf_reserve(&b, len + 64);
    if (rc == 0) {
        rc = canon(&b, o, 0);
    }
    if (rc < 0) {
        snprintf(err, errsz, "message id %" PRIu64 " cannot be written in"
                 " canonical form: %s", m->id, strerror(-rc));
        buf_fini(&b);
        json_object_put(o);
        return rc == -ENOMEM ? rc : -EINVAL;
    }
    crypto_generichash(m->digest, SEAL_DIGEST_LEN, b.data, b.len, NULL, 0);
    buf_fini(&b);
    *obj = o;
    return 0;
}

void
seal_chain_start(struct seal_chain *c, const char *host, const char *rec)
{
    crypto_generichash_init(&c->st, NULL, 0, SEAL_HASH_LEN);
    crypto_generichash_update(&c->st, (const uint8_t *)"tlog-seal 1", 12);
    crypto_generichash_update(&c->st, (const uint8_t *)host,
                              strlen(host) + 1);
    crypto_generichash_update(&c->st, (const uint8_t *)rec, strlen(rec) + 1);
}

void
seal_chain_add(struct seal_chain *c, uint64_t id, const uint8_t *digest)
{
    uint8_t b[8 + SEAL_DIGEST_LEN];
    int i;

    for (i = 0; i < 8; i++) {
        b[i] = (uint8_t)(id >> (8 * i));
    }
    memcpy(b + 8, digest, SEAL_DIGEST_LEN);
    crypto_generichash_update(&c->st, b, sizeof(b));
}

void
seal_chain_value(const struct seal_chain *c, uint8_t *hash)
{
    crypto_generichash_state copy = c->st;

    crypto_generichash_final(&copy, hash, SEAL_HASH_LEN);
}

static void
key_id(struct seal_key *k)
{
    uint8_t h[SEAL_KEYID_LEN];

    crypto_generichash(h, sizeof(h), k->pk, sizeof(k->pk), NULL, 0);
    seal_hex(k->id, h, sizeof(h));
}

/* Write text to path, created with mode (never over a file there) */
static int
write_new(const char *path, const char *text, mode_t mode, char *err,
          size_t errsz)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  mode);
    size_t n = strlen(text);

    if (fd < 0) {
        snprintf(err, errsz, "cannot create %s: %s", path, strerror(errno));
        return -errno;
    }
    if (write(fd, text, n) != (ssize_t)n || fsync(fd) != 0) {
        snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        return -EIO;
    }
    close(fd);
    return 0;
}

int
seal_key_generate(const char *prefix, struct seal_key *k, char *err,
                  size_t errsz)
{
    char path[4096], text[crypto_sign_SECRETKEYBYTES * 2 + 2];
    int rc;

    memset(k, 0, sizeof(*k));
    crypto_sign_keypair(k->pk, k->sk);
    k->has_secret = true;
    key_id(k);
    seal_hex(text, k->sk, sizeof(k->sk));
    strcat(text, "\n");
    snprintf(path, sizeof(path), "%s.key", prefix);
    rc = write_new(path, text, 0600, err, errsz);
    sodium_memzero(text, sizeof(text));
    if (rc < 0) {
        return rc;
    }
    seal_hex(text, k->pk, sizeof(k->pk));
    strcat(text, "\n");
    snprintf(path, sizeof(path), "%s.pub", prefix);
    return write_new(path, text, 0644, err, errsz);
}

int
seal_key_load(const char *path, struct seal_key *k, char *err, size_t errsz)
{
    char text[crypto_sign_SECRETKEYBYTES * 2 + 8];
    ssize_t n;
    size_t len;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    memset(k, 0, sizeof(*k));
    if (fd < 0) {
        snprintf(err, errsz, "cannot open the key %s: %s", path,
                 strerror(errno));
        return -errno;
    }
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n < 0) {
        snprintf(err, errsz, "cannot read the key %s: %s", path,
                 strerror(errno));
        return -EIO;
    }
    text[n] = 0;
    len = strcspn(text, "\r\n");
    if (unhex(text, len, k->sk, sizeof(k->sk)) == 0) {
        k->has_secret = true;
        crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
    } else if (unhex(text, len, k->pk, sizeof(k->pk)) != 0) {
        snprintf(err, errsz, "%s is not a key written by tlog-seal"
                 " --generate-key (%zu or %zu hex digits)", path,
                 sizeof(k->sk) * 2, sizeof(k->pk) * 2);
        sodium_memzero(text, sizeof(text));
        return -EINVAL;
    }
    sodium_memzero(text, sizeof(text));
    key_id(k);
    return 0;
}

struct seal_keyring {
    struct seal_key *keys;
    size_t n;
};

static int
ring_add(struct seal_keyring *r, const char *path, char *err, size_t errsz)
{
    struct seal_key k, *nk;
    int rc = seal_key_load(path, &k, err, errsz);

    if (rc < 0) {
        return rc;
    }
    sodium_memzero(k.sk, sizeof(k.sk));
    k.has_secret = false;
    nk = realloc(r->keys, (r->n + 1) * sizeof(*nk));
    if (nk == NULL) {
        snprintf(err, errsz, "out of memory adding the key in %s", path);
        return -ENOMEM;
    }
    r->keys = nk;
    r->keys[r->n++] = k;
    return 0;
}

int
seal_keyring_new(const char *paths, struct seal_keyring **pr, char *err,
                 size_t errsz)
{
    struct seal_keyring *r = calloc(1, sizeof(*r));
    const char *p = paths;
    char path[4096], file[4096 + 256];
    struct dirent *de;
    struct stat st;
    int rc = 0;
    DIR *d;

    if (r == NULL) {
        return -ENOMEM;
    }
    while (*p && rc == 0) {
        size_t n = strcspn(p, "\n");

        snprintf(path, sizeof(path), "%.*s", (int)n, p);
        p += n + (p[n] == '\n');
        if (*path == 0) {
            continue;
        }
        if (stat(path, &st) != 0) {
            snprintf(err, errsz, "cannot read the key %s: %s", path,
                     strerror(errno));
            rc = -errno;
        } else if (!S_ISDIR(st.st_mode)) {
            rc = ring_add(r, path, err, errsz);
        } else if ((d = opendir(path)) == NULL) {
            snprintf(err, errsz, "cannot read the key directory %s: %s",
                     path, strerror(errno));
            rc = -errno;
        } else {
            while (rc == 0 && (de = readdir(d)) != NULL) {
                size_t l = strlen(de->d_name);

                if (l > 4 && !strcmp(de->d_name + l - 4, ".pub")) {
                    snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
                    rc = ring_add(r, file, err, errsz);
                }
            }
            closedir(d);
        }
    }
    if (rc == 0 && r->n == 0) {
        snprintf(err, errsz, "no public key: give --key FILE or DIRECTORY");
        rc = -ENOKEY;
    }
    if (rc < 0) {
        seal_keyring_free(r);
        return rc;
    }
    *pr = r;
    return 0;
}

void
seal_keyring_free(struct seal_keyring *r)
{
    if (r != NULL) {
        free(r->keys);
        free(r);
    }
}

size_t
seal_keyring_count(const struct seal_keyring *r)
{
    return r->n;
}

/* The text signed: fixed fields, one a line; host and rec hold no
 * newline (seal_msg_parse() refuses them) */
static char *
signed_text(const struct seal_cp *cp, size_t *len)
{
    char hash[SEAL_HASH_LEN * 2 + 1], *t = NULL;
    int n;

    seal_hex(hash, cp->hash, sizeof(cp->hash));
    n = asprintf(&t, "tlog-seal 1\n%s\n%s\n%" PRIu64 "\n%" PRIu64 "\n%"
                 PRIu64 "\n%s\n%" PRId64 "\n%s\n%s\n", cp->host, cp->rec,
                 cp->first, cp->last, cp->count, cp->end ? "end" : "open",
                 cp->time_ms, cp->key, hash);
    if (n < 0) {
        return NULL;
    }
    *len = (size_t)n;
    return t;
}

void
seal_cp_sign(struct seal_cp *cp, const struct seal_key *k)
{
    size_t len = 0;
    char *t;

    memcpy(cp->key, k->id, sizeof(cp->key));
    t = signed_text(cp, &len);
    if (t == NULL) {
        /* out of memory: a signature that never verifies */
        memset(cp->sig, 0, sizeof(cp->sig));
        return;
    }
    crypto_sign_detached(cp->sig, NULL, (const uint8_t *)t, len, k->sk);
    free(t);
}

int
seal_cp_check(const struct seal_cp *cp, const struct seal_keyring *r)
{
    size_t i, len = 0;
    char *t;
    int rc;

    for (i = 0; i < r->n && strcmp(r->keys[i].id, cp->key) != 0; i++) {
    }
    if (i == r->n) {
        return -ENOKEY;
    }
    t = signed_text(cp, &len);
    if (t == NULL) {
        return -ENOMEM;
    }
    rc = crypto_sign_verify_detached(cp->sig, (const uint8_t *)t, len,
                                     r->keys[i].pk);
    free(t);
    return rc == 0 ? 0 : -EBADMSG;
}

char *
seal_cp_json(const struct seal_cp *cp)
{
    char hash[SEAL_HASH_LEN * 2 + 1], sig[crypto_sign_BYTES * 2 + 1];
    struct json_object *o = json_object_new_object();
    size_t nd = (size_t)(cp->last - cp->first + 1);
    char *digests, *t = NULL;

    digests = malloc(nd * SEAL_DIGEST_LEN * 2 + 1);
    if (o == NULL || digests == NULL) {
        json_object_put(o);
        free(digests);
        return NULL;
    }
    seal_hex(hash, cp->hash, sizeof(cp->hash));
    seal_hex(sig, cp->sig, sizeof(cp->sig));
    seal_hex(digests, cp->digests, nd * SEAL_DIGEST_LEN);
    json_object_object_add(o, "host", json_object_new_string(cp->host));
    json_object_object_add(o, "rec", json_object_new_string(cp->rec));
    json_object_object_add(o, "first", json_object_new_int64(
                               (int64_t)cp->first));
    json_object_object_add(o, "last", json_object_new_int64(
                               (int64_t)cp->last));
    json_object_object_add(o, "count", json_object_new_int64(
                               (int64_t)cp->count));
    json_object_object_add(o, "end", json_object_new_boolean(cp->end));
    json_object_object_add(o, "time", json_object_new_int64(cp->time_ms));
    json_object_object_add(o, "key", json_object_new_string(cp->key));
    json_object_object_add(o, "hash", json_object_new_string(hash));
    json_object_object_add(o, "digests", json_object_new_string(digests));
    json_object_object_add(o, "sig", json_object_new_string(sig));
    free(digests);
    t = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                              JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return t;
}

static bool
get_str(struct json_object *o, const char *k, const char **v, size_t *len)
{
    struct json_object *f;

    if (!json_object_object_get_ex(o, k, &f) ||
        !json_object_is_type(f, json_type_string)) {
        return false;
    }
    *v = json_object_get_string(f);
    *len = (size_t)json_object_get_string_len(f);
    return true;
}

static bool
get_u64(struct json_object *o, const char *k, uint64_t *v)
{
    struct json_object *f;

    if (!json_object_object_get_ex(o, k, &f) ||
        !json_object_is_type(f, json_type_int) ||
        json_object_get_int64(f) < 0) {
        return false;
    }
    *v = (uint64_t)json_object_get_int64(f);
    return true;
}

int
seal_cp_parse(struct json_object *o, struct seal_cp *cp, char *err,
              size_t errsz)
{
    const char *s, *what;
    struct json_object *f;
    uint64_t t;
    size_t len, nd;

    memset(cp, 0, sizeof(*cp));
#define BAD(w) do { what = (w); goto bad; } while (0)
    if (!get_str(o, "host", &s, &len) || (cp->host = strdup(s)) == NULL) {
        BAD("host");
    }
    if (!get_str(o, "rec", &s, &len) || (cp->rec = strdup(s)) == NULL) {
        BAD("rec");
    }
    if (!get_u64(o, "first", &cp->first) || cp->first < 1) {
        BAD("first");
    }
    if (!get_u64(o, "last", &cp->last) || cp->last < cp->first ||
        cp->last - cp->first >= SEAL_CP_MAX) {
        BAD("last");
    }
    if (!get_u64(o, "count", &cp->count)) {
        BAD("count");
    }
    if (!json_object_object_get_ex(o, "end", &f) ||
        !json_object_is_type(f, json_type_boolean)) {
        BAD("end");
    }
    cp->end = json_object_get_boolean(f);
    if (!get_u64(o, "time", &t)) {
        BAD("time");
    }
    cp->time_ms = (int64_t)t;
    if (!get_str(o, "key", &s, &len) || len != sizeof(cp->key) - 1) {
        BAD("key");
    }
    memcpy(cp->key, s, sizeof(cp->key));
    if (!get_str(o, "hash", &s, &len) ||
        unhex(s, len, cp->hash, sizeof(cp->hash)) < 0) {
        BAD("hash");
    }
    if (!get_str(o, "sig", &s, &len) ||
        unhex(s, len, cp->sig, sizeof(cp->sig)) < 0) {
        BAD("sig");
    }
    nd = (size_t)(cp->last - cp->first + 1) * SEAL_DIGEST_LEN;
    cp->digests = malloc(nd);
    if (cp->digests == NULL || !get_str(o, "digests", &s, &len) ||
        unhex(s, len, cp->digests, nd) < 0) {
        BAD("digests");
    }
#undef BAD
    return 0;
bad:
    snprintf(err, errsz, "a checkpoint with no valid \"%s\"", what);
    seal_cp_clear(cp);
    return -EINVAL;
}

void
seal_cp_clear(struct seal_cp *cp)
{
    free(cp->host);
    free(cp->rec);
    free(cp->digests);
    memset(cp, 0, sizeof(*cp));
}

int
seal_walk_bulk(struct json_object *answer, char *err, size_t errsz)
{
    struct json_object *items, *it, *st;
    size_t i;

    if (!json_object_object_get_ex(answer, "items", &items) ||
        !json_object_is_type(items, json_type_array)) {
        return 0;
    }
    for (i = 0; i < json_object_array_length(items); i++) {
        it = json_object_array_get_idx(items, i);
        /* created, or there already (sent again after a failure) */
        if (json_object_object_get_ex(it, "create", &it) &&
            json_object_object_get_ex(it, "status", &st) &&
            json_object_get_int(st) != 201 &&
            json_object_get_int(st) != 409) {
            snprintf(err, errsz, "Elasticsearch refused a checkpoint: %s",
                     json_object_to_json_string(it));
            return -EIO;
        }
    }
    return 0;
}
