/*
 * bench_codec: encoding and decoding speed of the format core on one
 * core, in MB/s of terminal data.
 *
 *   bench_codec [-s MB] [-r ROUNDS] [-w FILE]
 *
 * The data is base64-like text in lines of 76 characters with CR LF, fed
 * as 4096-byte packets (the size of a PTY read), one millisecond apart.
 * Messages are kept in memory, so no I/O is measured.  With -w the
 * messages are also written to FILE, for timing other decoders on them.
 * Prints the best of ROUNDS runs.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "enc.h"

#define PACKET 4096

struct store {
    struct buf all;         /* messages, each followed by a newline */
    size_t count;
};

static int
store_emit(void *ctx, const char *json, size_t len, uint64_t id)
{
    struct store *s = ctx;
    int rc;

    (void)id;
    rc = buf_append(&s->all, json, len);
    if (rc == 0) {
        rc = buf_append(&s->all, "\n", 1);
    }
    s->count++;
    return rc;
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
encode(const uint8_t *data, size_t size, struct store *st)
{
    struct enc_conf conf;
    struct enc *e;
    struct pkt p;
    char err[256];
    size_t off;
    int rc;

    memset(&conf, 0, sizeof(conf));
    conf.host = "bench.example";
    conf.rec = "bench-1";
    conf.user = "user";
    conf.term = "xterm";
    conf.session = 1;
    conf.emit = store_emit;
    conf.emit_ctx = st;
    rc = enc_new(&conf, &e, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "bench_codec: %s\n", err);
        return rc;
    }
    memset(&p, 0, sizeof(p));
    p.type = PKT_WINDOW;
    p.width = 80;
    p.height = 24;
    rc = enc_write(e, &p);
    p.type = PKT_OUTPUT;
    for (off = 0; rc == 0 && off < size; off += PACKET) {
        uint64_t ms = off / PACKET;

        p.ts.tv_sec = (time_t)(ms / 1000);
        p.ts.tv_nsec = (long)(ms % 1000) * 1000000;
        p.data = data + off;
        p.len = size - off < PACKET ? size - off : PACKET;
        rc = enc_write(e, &p);
    }
    if (rc == 0) {
        rc = enc_finish(e, &p.ts);
    }
    enc_free(e);
    return rc;
}

static int
decode(const struct store *st, size_t *out_bytes)
{
    struct dec *d;
    struct pkt p;
    char err[512];
    const uint8_t *line = st->all.data;
    const uint8_t *end = st->all.data + st->all.len;
    size_t total = 0;
    int rc;

    rc = dec_new(false, &d);
    while (rc == 0 && line < end) {
        const uint8_t *nl = memchr(line, '\n', (size_t)(end - line));

        rc = dec_feed(d, (const char *)line, (size_t)(nl - line), "bench",
                      err, sizeof(err));
        while (rc == 0 && (rc = dec_next(d, &p, err, sizeof(err))) > 0) {
            total += p.len;
            rc = 0;
        }
        line = nl + 1;
    }
    if (rc < 0) {
        fprintf(stderr, "bench_codec: %s\n", err);
    }
    dec_free(d);
    *out_bytes = total;
    return rc;
}

int
main(int argc, char **argv)
{
    size_t mb = 64;
    int rounds = 5;
    const char *write_to = NULL;
    double best_enc = 1e9, best_dec = 1e9;
    struct store st;
    uint8_t *data;
    size_t size, i, decoded = 0;
    int c, r;

    while ((c = getopt(argc, argv, "s:r:w:")) != -1) {
        switch (c) {
        case 's':
            mb = strtoul(optarg, NULL, 10);
            break;
        case 'r':
            rounds = atoi(optarg);
            break;
        case 'w':
            write_to = optarg;
            break;
        default:
            fprintf(stderr, "usage: bench_codec [-s MB] [-r ROUNDS] [-w FILE]\n");
            return 2;
        }
    }
    size = mb * 1000 * 1000;
    data = malloc(size);
    for (i = 0; i < size; i++) {
        static const char b64[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t col = i % 78;

        data[i] = col == 76 ? '\r' : col == 77 ? '\n' :
                  (uint8_t)b64[(i * 2654435761u >> 7) % 64];
    }
    buf_init(&st.all, size * 3 + (64 << 20));
    for (r = 0; r < rounds; r++) {
        double t0, t1, t2;

        st.all.len = 0;
        st.count = 0;
        t0 = now();
        if (encode(data, size, &st) < 0) {
            return 1;
        }
        t1 = now();
        if (decode(&st, &decoded) < 0) {
            return 1;
        }
        t2 = now();
        if (decoded != size) {
            fprintf(stderr, "bench_codec: decoded %zu bytes of %zu\n",
                    decoded, size);
            return 1;
        }
        if (t1 - t0 < best_enc) {
            best_enc = t1 - t0;
        }
        if (t2 - t1 < best_dec) {
            best_dec = t2 - t1;
        }
    }
    printf("data: %zu MB base64 text, %zu messages, %.1f MB of JSON\n",
           mb, st.count, (double)st.all.len / 1e6);
    printf("encode: %.0f MB/s\n", (double)size / 1e6 / best_enc);
    printf("decode: %.0f MB/s\n", (double)size / 1e6 / best_dec);
    if (write_to != NULL) {
        FILE *f = fopen(write_to, "w");

        if (f == NULL || fwrite(st.all.data, 1, st.all.len, f) != st.all.len ||
            fclose(f) != 0) {
            fprintf(stderr, "bench_codec: cannot write %s\n", write_to);
            return 1;
        }
    }
    buf_fini(&st.all);
    free(data);
    return 0;
}
