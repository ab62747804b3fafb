/*
 * Round-trip property test: random packet streams encode to messages
 * and decode back to the identical bytes, each byte at the millisecond
 * the model says, the same window changes, no message over its payload,
 * and ids without gaps.
 *
 * ROUNDTRIP_SEED sets the first seed (default 1); a failure names the
 * seed of the stream that broke, so it can be replayed alone.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "testlib.h"

#define STREAMS_PER_LOOP 1000
#define LOOPS 10
#define PKTS_MAX 4096

static uint64_t rng;

static uint64_t
rnd(void)
{
    /* xorshift64*: small, fast, reproducible from the seed */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static size_t
rnd_to(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

/* Append one random piece of a byte stream to b */
static void
gen_piece(struct buf *b)
{
    static const uint8_t *const samples[] = {
        (const uint8_t *)"\xc3\xa9", (const uint8_t *)"\xe2\x82\xac",
        (const uint8_t *)"\xf0\x9f\x98\x80", (const uint8_t *)"\xef\xbf\xbd",
        (const uint8_t *)"\xf4\x8f\xbf\xbf", (const uint8_t *)"\xed\x9f\xbf",
        /* invalid: cut sequences, stray bytes, surrogates, overlongs */
        (const uint8_t *)"\xe2\x82", (const uint8_t *)"\xf0\x9f\x98",
        (const uint8_t *)"\xff", (const uint8_t *)"\xfe", (const uint8_t *)"\x80",
        (const uint8_t *)"\xc0\xaf", (const uint8_t *)"\xed\xa0\x80",
        (const uint8_t *)"\xf4\x90\x80\x80", (const uint8_t *)"\xe0\x80\xaf",
        (const uint8_t *)"\xc2", (const uint8_t *)"\xf5",
    };
    static const size_t sample_len[] = {
        2, 3, 4, 3, 4, 3, 2, 3, 1, 1, 1, 2, 3, 4, 3, 1, 1,
    };
    uint8_t tmp[64];
    size_t n, i;

    switch (rnd_to(6)) {
    case 0:     /* base64-like text */
        n = 1 + rnd_to(60);
        for (i = 0; i < n; i++) {
            tmp[i] = (uint8_t)("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                               "qrstuvwxyz0123456789+/"[rnd_to(64)]);
        }
        buf_append(b, tmp, n);
        break;
    case 1:     /* controls and characters JSON escapes */
        n = 1 + rnd_to(8);
        for (i = 0; i < n; i++) {
            static const uint8_t esc[] = { '"', '\\', '\n', '\r', '\t', 0x1b,
                                           0x00, 0x7f, 0x08, 0x0c, 0x01 };
            tmp[i] = esc[rnd_to(sizeof(esc))];
        }
        buf_append(b, tmp, n);
        break;
    case 2:     /* a sample sequence, valid or not */
        i = rnd_to(sizeof(sample_len) / sizeof(sample_len[0]));
        buf_append(b, samples[i], sample_len[i]);
        break;
    case 3:     /* raw random bytes */
        n = 1 + rnd_to(12);
        for (i = 0; i < n; i++) {
            tmp[i] = (uint8_t)rnd();
        }
        buf_append(b, tmp, n);
        break;
    case 4:     /* random code points, 1 to 4 bytes */
        n = 1 + rnd_to(6);
        for (i = 0; i < n; i++) {
            uint32_t cp;
            do {
                cp = (uint32_t)rnd_to(0x110000);
            } while (cp >= 0xD800 && cp <= 0xDFFF);
            if (cp < 0x80) {
                tmp[0] = (uint8_t)cp;
                buf_append(b, tmp, 1);
            } else if (cp < 0x800) {
                tmp[0] = (uint8_t)(0xC0 | cp >> 6);
                tmp[1] = (uint8_t)(0x80 | (cp & 0x3F));
                buf_append(b, tmp, 2);
            } else if (cp < 0x10000) {
                tmp[0] = (uint8_t)(0xE0 | cp >> 12);
                tmp[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
                tmp[2] = (uint8_t)(0x80 | (cp & 0x3F));
                buf_append(b, tmp, 3);
            } else {
                tmp[0] = (uint8_t)(0xF0 | cp >> 18);
                tmp[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
                tmp[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
                tmp[3] = (uint8_t)(0x80 | (cp & 0x3F));
                buf_append(b, tmp, 4);
            }
        }
        break;
    default:    /* plain ASCII words */
        buf_append(b, "hello world ", 1 + rnd_to(12));
        break;
    }
}

/*
 * The model of when each byte is recorded, written from the format's
 * rules and independent of the encoder: a stream is cut into units
 * (valid characters and maximal invalid subparts); a unit is recorded
 * when the byte that decides it arrives.  A valid character is decided
 * by its last byte; a cut-short prefix by the byte after it (or the end
 * of the recording); a byte that can start nothing by itself.
 */
static int
seq_need(uint8_t b)
{
    if (b >= 0xC2 && b <= 0xDF) {
        return 1;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        return 2;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        return 3;
    }
    return b < 0x80 ? 0 : -1;
}

static int
cont_ok(uint8_t lead, int i, uint8_t c)
{
    if (i == 1) {
        if (lead == 0xE0) return c >= 0xA0 && c <= 0xBF;
        if (lead == 0xED) return c >= 0x80 && c <= 0x9F;
        if (lead == 0xF0) return c >= 0x90 && c <= 0xBF;
        if (lead == 0xF4) return c >= 0x80 && c <= 0x8F;
    }
    return c >= 0x80 && c <= 0xBF;
}

static void
model_times(const uint8_t *s, const uint64_t *at, size_t n, uint64_t end_ms,
            uint64_t *want)
{
    size_t i = 0;

    while (i < n) {
        int need = seq_need(s[i]);
        size_t len = 1, k;
        uint64_t t;

        if (need <= 0) {
            t = at[i];
        } else {
            while ((int)len <= need && i + len < n &&
                   cont_ok(s[i], (int)len, s[i + len])) {
                len++;
            }
            if ((int)len == need + 1) {
                t = at[i + len - 1];                /* complete */
            } else if (i + len < n) {
                t = at[i + len];                    /* broken by next byte */
            } else {
                t = end_ms;                         /* cut by the end */
            }
        }
        for (k = 0; k < len; k++) {
            want[i + k] = t;
        }
        i += len;
    }
}

/* Sum of the payload fields' sizes, as written, in a message we encoded */
static size_t
payload_of(const char *json)
{
    static const char *const keys[][2] = {
        { "\"timing\":\"", "\",\"in_txt\"" },
        { "\"in_txt\":\"", "\",\"in_bin\"" },
        { "\"in_bin\":[", "],\"out_txt\"" },
        { "\"out_txt\":\"", "\",\"out_bin\"" },
        { "\"out_bin\":[", "]}" },
    };
    size_t total = 0;
    size_t k;

    for (k = 0; k < 5; k++) {
        const char *a = strstr(json, keys[k][0]);
        const char *b;

        ck_assert_ptr_nonnull(a);
        a += strlen(keys[k][0]);
        b = strstr(a, keys[k][1]);
        ck_assert_ptr_nonnull(b);
        total += (size_t)(b - a);
        /* bin arrays: each byte counts with its comma */
        if (keys[k][0][strlen(keys[k][0]) - 1] == '[' && b > a) {
            total++;
        }
    }
    return total;
}

struct gen_pkt {
    enum pkt_type type;
    uint64_t ms;
    size_t off;         /* into the direction's stream */
    size_t len;
    unsigned short w, h;
};

static void
one_stream(uint64_t seed)
{
    static struct gen_pkt pk[PKTS_MAX];
    struct buf src[2];              /* 0 input, 1 output */
    uint64_t *at[2] = { NULL, NULL };
    uint64_t *want = NULL;
    size_t npk = 0, i, k;
    size_t payload;
    uint64_t ms = (uint64_t)rnd_to(3) * 1000;
    uint64_t end_ms;
    unsigned short cur_w = 0, cur_h = 0;
    struct enc *e = NULL;
    struct msgs m = { 0 };
    struct flat f;
    char err[512];
    int rc;

    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    payload = rnd_to(4) == 0 ? 32 + rnd_to(200) :
              rnd_to(3) == 0 ? 32 + rnd_to(65536 - 32 + 1) :
              ENC_PAYLOAD_DEFAULT;
    buf_init(&src[0], SIZE_MAX / 2);
    buf_init(&src[1], SIZE_MAX / 2);

    /* Build two byte streams, then cut them into packets at random points:
     * often every byte apart, so every sequence is split every way. */
    {
        size_t pieces = 1 + rnd_to(rnd_to(8) == 0 ? 400 : 40);
        int dir;

        for (i = 0; i < pieces; i++) {
            gen_piece(&src[rnd_to(3) == 0 ? 0 : 1]);
        }
        for (dir = 0; dir < 2; dir++) {
            at[dir] = calloc(src[dir].len + 1, sizeof(uint64_t));
        }
        size_t off[2] = { 0, 0 };
        bool bytewise = rnd_to(4) == 0;

        if (rnd_to(5) != 0) {
            cur_w = (unsigned short)(1 + rnd_to(300));
            cur_h = (unsigned short)(1 + rnd_to(100));
            pk[npk++] = (struct gen_pkt){ PKT_WINDOW, ms, 0, 0, cur_w, cur_h };
        }
        while ((off[0] < src[0].len || off[1] < src[1].len) &&
               npk < PKTS_MAX - 2) {
            size_t r = rnd_to(20);

            /* time: often the same ms, sometimes a long pause */
            if (r < 8) {
                ms += 0;
            } else if (r < 18) {
                ms += rnd_to(50);
            } else {
                ms += rnd_to(100000);
            }
            if (rnd_to(30) == 0) {
                cur_w = (unsigned short)rnd_to(65536);
                cur_h = (unsigned short)rnd_to(65536);
                pk[npk++] = (struct gen_pkt){ PKT_WINDOW, ms, 0, 0,
                                              cur_w, cur_h };
                continue;
            }
            dir = off[0] >= src[0].len ? 1 :
                  off[1] >= src[1].len ? 0 : (int)rnd_to(2);
            size_t left = src[dir].len - off[dir];
            size_t n = bytewise ? 1 : 1 + rnd_to(rnd_to(2) ? 4 : 300);

            if (n > left) {
                n = left;
            }
            pk[npk++] = (struct gen_pkt){ dir ? PKT_OUTPUT : PKT_INPUT, ms,
                                          off[dir], n, 0, 0 };
            for (k = 0; k < n; k++) {
                at[dir][off[dir] + k] = ms;
            }
            off[dir] += n;
        }
        /* packets the cap cut off are dropped from the expected stream */
        src[0].len = off[0];
        src[1].len = off[1];
    }
    end_ms = ms + rnd_to(3);

    e = testlib_enc(payload, &m);
    for (i = 0; i < npk; i++) {
        struct pkt p;

        memset(&p, 0, sizeof(p));
        p.type = pk[i].type;
        p.ts = ms_ts(pk[i].ms);
        if (p.type == PKT_WINDOW) {
            p.width = pk[i].w;
            p.height = pk[i].h;
        } else {
            const struct buf *b = &src[p.type == PKT_OUTPUT];
            p.data = b->data + pk[i].off;
            p.len = pk[i].len;
        }
        ck_assert_int_eq(enc_write(e, &p), 0);
    }
    {
        struct timespec end = ms_ts(end_ms);
        ck_assert_int_eq(enc_finish(e, &end), 0);
    }
    enc_free(e);

    /* ids without gaps; payload within bounds */
    for (i = 0; i < m.n; i++) {
        size_t size = payload_of(m.text[i]);

        ck_assert_msg(m.id[i] == i + 1, "seed %llu: id %llu at %zu",
                      (unsigned long long)seed,
                      (unsigned long long)m.id[i], i);
        /* Only a message that holds a single unit may pass the payload */
        ck_assert_msg(size <= payload || size <= 64,
                      "seed %llu: message %zu payload %zu > %zu",
                      (unsigned long long)seed, i + 1, size, payload);
    }

    flat_init(&f);
    rc = flat_decode(&m, false, &f, err, sizeof(err));
    ck_assert_msg(rc == 0, "seed %llu: decode: %s",
                  (unsigned long long)seed, err);

    /* bytes identical, each at the modelled millisecond */
    for (k = 0; k < 2; k++) {
        const struct flow *got = k ? &f.out : &f.in;

        ck_assert_msg(got->bytes.len == src[k].len &&
                      (src[k].len == 0 ||
                       memcmp(got->bytes.data, src[k].data, src[k].len) == 0),
                      "seed %llu: %s bytes differ (%zu vs %zu)",
                      (unsigned long long)seed, k ? "output" : "input",
                      got->bytes.len, src[k].len);
        want = realloc(want, (src[k].len + 1) * sizeof(*want));
        model_times(src[k].data, at[k], src[k].len, end_ms, want);
        for (i = 0; i < src[k].len; i++) {
            ck_assert_msg(got->ms[i] == want[i],
                          "seed %llu: %s byte %zu at %llu ms, want %llu",
                          (unsigned long long)seed, k ? "output" : "input",
                          i, (unsigned long long)got->ms[i],
                          (unsigned long long)want[i]);
        }
    }

    /* window changes: the same sequence once repeats are folded */
    {
        size_t gi = 0;
        int have = 0;
        unsigned short lw = 0, lh = 0, dw = 0, dh = 0;

        for (i = 0; i < npk; i++) {
            if (pk[i].type != PKT_WINDOW ||
                (have && pk[i].w == lw && pk[i].h == lh)) {
                continue;
            }
            have = 1;
            lw = pk[i].w;
            lh = pk[i].h;
            /* next decoded window that differs from the last decoded one */
            while (gi < f.windows && gi < FLAT_WINDOWS_MAX && gi > 0 &&
                   f.width[gi] == dw && f.height[gi] == dh) {
                gi++;
            }
            if (gi >= f.windows || gi >= FLAT_WINDOWS_MAX) {
                break;      /* beyond what the flat view keeps */
            }
            ck_assert_msg(f.width[gi] == lw && f.height[gi] == lh &&
                          f.window_ms[gi] == pk[i].ms,
                          "seed %llu: window %ux%u at %llu ms decoded as "
                          "%ux%u at %llu ms", (unsigned long long)seed,
                          lw, lh, (unsigned long long)pk[i].ms,
                          f.width[gi], f.height[gi],
                          (unsigned long long)f.window_ms[gi]);
            dw = f.width[gi];
            dh = f.height[gi];
            gi++;
        }
    }

    flat_fini(&f);
    msgs_free(&m);
    free(want);
    free(at[0]);
    free(at[1]);
    buf_fini(&src[0]);
    buf_fini(&src[1]);
}

START_TEST(test_random_streams)
{
    const char *s = getenv("ROUNDTRIP_SEED");
    uint64_t base = s ? strtoull(s, NULL, 10) : 1;
    uint64_t i;

    for (i = 0; i < STREAMS_PER_LOOP; i++) {
        one_stream(base + (uint64_t)_i * STREAMS_PER_LOOP + i);
    }
}
END_TEST

/* The same property at the payload extremes, on one long stream each */
START_TEST(test_every_split_of_four_byte_sequences)
{
    /* Every way to cut "a" U+1F600 "b" into packets: the bytes come back */
    static const uint8_t s[] = "a\xf0\x9f\x98\x80" "b";
    unsigned int mask;

    for (mask = 0; mask < 64; mask++) {
        struct enc *e;
        struct msgs m = { 0 };
        struct flat f;
        struct pkt p;
        char err[256];
        size_t i, start = 0;

        e = testlib_enc(32, &m);
        memset(&p, 0, sizeof(p));
        p.type = PKT_OUTPUT;
        for (i = 1; i <= 6; i++) {
            if (i == 6 || (mask & (1u << (i - 1)))) {
                p.ts = ms_ts(i);
                p.data = s + start;
                p.len = i - start;
                ck_assert_int_eq(enc_write(e, &p), 0);
                start = i;
            }
        }
        p.ts = ms_ts(10);
        ck_assert_int_eq(enc_finish(e, &p.ts), 0);
        enc_free(e);
        flat_init(&f);
        ck_assert_int_eq(flat_decode(&m, false, &f, err, sizeof(err)), 0);
        ck_assert_uint_eq(f.out.bytes.len, 6);
        ck_assert_mem_eq(f.out.bytes.data, s, 6);
        /* the emoji is never written as invalid bytes */
        for (i = 0; i < m.n; i++) {
            ck_assert_ptr_nonnull(strstr(m.text[i], "\"out_bin\":[]"));
        }
        flat_fini(&f);
        msgs_free(&m);
    }
}
END_TEST

static Suite *
roundtrip_suite(void)
{
    Suite *s = suite_create("roundtrip");
    TCase *tc = tcase_create("random");

    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_random_streams, 0, LOOPS);
    suite_add_tcase(s, tc);
    tc = tcase_create("splits");
    tcase_add_test(tc, test_every_split_of_four_byte_sequences);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(roundtrip_suite());
}
