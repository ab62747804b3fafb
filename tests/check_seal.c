/*
 * seal: the canonical digest is the same for every spelling of one
 * message and differs for any change of its content; checkpoints sign,
 * travel as JSON and verify, and fail to once a field changes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seal.h"
#include "testlib.h"

static void
digest_of(const char *text, uint8_t *d)
{
    struct json_object *o = NULL;
    struct seal_msg m;
    char err[256];

    ck_assert_msg(seal_msg_parse(text, strlen(text), &o, &m, err,
                                 sizeof(err)) == 0, "%s: %s", text, err);
    memcpy(d, m.digest, SEAL_DIGEST_LEN);
    json_object_put(o);
}

static bool
same(const char *a, const char *b)
{
    uint8_t da[SEAL_DIGEST_LEN], db[SEAL_DIGEST_LEN];

    digest_of(a, da);
    digest_of(b, db);
    return memcmp(da, db, SEAL_DIGEST_LEN) == 0;
}

#define BASE "\"host\":\"h\",\"rec\":\"r\",\"id\":1"

START_TEST(test_spellings_agree)
{
    /* key order, spaces, escapes of the same characters */
    ck_assert(same("{" BASE ",\"out_txt\":\"caf\xc3\xa9 /\",\"pos\":5}",
                   "{ \"pos\" : 5, \"out_txt\" : \"caf\\u00e9 \\/\", "
                   "\"rec\":\"r\", \"id\":1, \"host\":\"h\" }"));
    ck_assert(same("{" BASE ",\"a\":{\"y\":1,\"x\":[1,2]}}",
                   "{" BASE ",\"a\":{\"x\":[1,2],\"y\":1}}"));
    ck_assert(same("{" BASE ",\"t\":\"\\n\\t\\\"\"}",
                   "{" BASE ",\"t\":\"\\u000a\\u0009\\u0022\"}"));
    /* the id (the chain's business) and the store's stamp are left out */
    ck_assert(same("{" BASE ",\"t\":\"x\"}",
                   "{\"host\":\"h\",\"rec\":\"r\",\"id\":9,\"t\":\"x\","
                   "\"x_tlog_sender\":{\"uid\":5}}"));
}
END_TEST

START_TEST(test_changes_differ)
{
    ck_assert(!same("{" BASE ",\"t\":\"x\"}", "{" BASE ",\"t\":\"y\"}"));
    ck_assert(!same("{" BASE ",\"t\":\"x\"}", "{" BASE ",\"t\":\"x\","
                    "\"u\":\"\"}"));
    ck_assert(!same("{" BASE ",\"p\":1}", "{" BASE ",\"p\":\"1\"}"));
    ck_assert(!same("{" BASE ",\"b\":[1,2]}", "{" BASE ",\"b\":[2,1]}"));
    /* the same key at depth: kept, unlike the top-level id */
    ck_assert(!same("{" BASE ",\"e\":{\"id\":1}}",
                    "{" BASE ",\"e\":{\"id\":2}}"));
    ck_assert(!same("{" BASE ",\"x_tlog_end\":{\"exit\":0}}",
                    "{" BASE ",\"x_tlog_end\":{\"exit\":1}}"));
}
END_TEST

START_TEST(test_not_messages)
{
    struct json_object *o = NULL;
    struct seal_msg m;
    char err[256];
    static const char *const bad[] = {
        "not json", "[1]", "{\"host\":\"h\",\"rec\":\"r\"}",
        "{\"host\":\"h\",\"rec\":\"r\",\"id\":0}",
        "{\"host\":\"h\",\"rec\":\"r\",\"id\":\"1\"}",
        "{\"host\":\"h/x\",\"rec\":\"r\",\"id\":1}",
        "{\"host\":\"h\",\"rec\":\"r\\n\",\"id\":1}",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(seal_msg_parse(bad[i], strlen(bad[i]), &o, &m, err,
                                     sizeof(err)) == -EINVAL, "%s", bad[i]);
    }
}
END_TEST

/* A key pair in a fresh temporary directory */
static void
make_key(char *dir, struct seal_key *k, char *prefix)
{
    char err[256];

    strcpy(dir, "/tmp/check_seal.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    sprintf(prefix, "%s/k", dir);
    ck_assert_int_eq(seal_key_generate(prefix, k, err, sizeof(err)), 0);
}

START_TEST(test_checkpoint_roundtrip)
{
    char dir[64], prefix[80], path[96], err[256], *text;
    struct seal_key k, other, loaded;
    struct seal_keyring *ring = NULL;
    struct seal_cp cp, back;
    struct json_object *o;
    struct seal_chain c;
    uint8_t digests[3 * SEAL_DIGEST_LEN];

    ck_assert_int_eq(seal_init(err, sizeof(err)), 0);
    make_key(dir, &k, prefix);
    /* a .key file gives back the same key and id; never overwritten */
    sprintf(path, "%s.key", prefix);
    ck_assert_int_eq(seal_key_load(path, &loaded, err, sizeof(err)), 0);
    ck_assert_str_eq(loaded.id, k.id);
    ck_assert(loaded.has_secret);
    ck_assert_int_lt(seal_key_generate(prefix, &other, err, sizeof(err)), 0);
    ck_assert_int_eq(seal_keyring_new(dir, &ring, err, sizeof(err)), 0);
    ck_assert_uint_eq(seal_keyring_count(ring), 1);

    memset(digests, 7, sizeof(digests));
    memset(&cp, 0, sizeof(cp));
    cp.host = strdup("h");
    cp.rec = strdup("r");
    cp.first = 1;
    cp.last = 3;
    cp.count = 3;
    cp.end = true;
    cp.time_ms = 1795321501554;
    cp.digests = malloc(sizeof(digests));
    memcpy(cp.digests, digests, sizeof(digests));
    seal_chain_start(&c, "h", "r");
    seal_chain_add(&c, 1, digests);
    seal_chain_add(&c, 2, digests + SEAL_DIGEST_LEN);
    seal_chain_add(&c, 3, digests + 2 * SEAL_DIGEST_LEN);
    seal_chain_value(&c, cp.hash);
    seal_cp_sign(&cp, &k);
    ck_assert_int_eq(seal_cp_check(&cp, ring), 0);

    text = seal_cp_json(&cp);
    o = json_tokener_parse(text);
    ck_assert_int_eq(seal_cp_parse(o, &back, err, sizeof(err)), 0);
    json_object_put(o);
    free(text);
    ck_assert_int_eq(seal_cp_check(&back, ring), 0);
    ck_assert_mem_eq(back.digests, digests, sizeof(digests));
    ck_assert_mem_eq(back.hash, cp.hash, SEAL_HASH_LEN);

    /* each signed field changed: the signature no longer matches */
    back.count = 2;
    ck_assert_int_eq(seal_cp_check(&back, ring), -EBADMSG);
    back.count = 3;
    back.end = false;
    ck_assert_int_eq(seal_cp_check(&back, ring), -EBADMSG);
    back.end = true;
    back.hash[0] ^= 1;
    ck_assert_int_eq(seal_cp_check(&back, ring), -EBADMSG);
    back.hash[0] ^= 1;
    back.last = 4;
    ck_assert_int_eq(seal_cp_check(&back, ring), -EBADMSG);
    back.last = 3;
    ck_assert_int_eq(seal_cp_check(&back, ring), 0);
    /* another key's signature: its id is not in the ring */
    crypto_sign_keypair(other.pk, other.sk);
    strcpy(other.id, "0123456789abcdef");
    seal_cp_sign(&back, &other);
    ck_assert_int_eq(seal_cp_check(&back, ring), -ENOKEY);
    /* under the trusted key's id: a bad signature */
    strcpy(back.key, k.id);
    ck_assert_int_eq(seal_cp_check(&back, ring), -EBADMSG);

    seal_cp_clear(&cp);
    seal_cp_clear(&back);
    seal_keyring_free(ring);
    sprintf(path, "rm -rf %s", dir);
    ck_assert_int_eq(system(path), 0);
}
END_TEST

static Suite *
seal_suite(void)
{
    Suite *s = suite_create("seal");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_spellings_agree);
    tcase_add_test(tc, test_changes_differ);
    tcase_add_test(tc, test_not_messages);
    tcase_add_test(tc, test_checkpoint_roundtrip);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(seal_suite());
}
