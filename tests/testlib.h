/*
 * Helpers shared by the Check suites: a message sink in memory, and a
 * flattened view of a decoded recording for comparing streams.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pkt.h"
#include "writer.h"

/* Messages collected from an encoder */
struct msgs {
    char **text;
    size_t *len;
    uint64_t *id;
    size_t n;
    size_t cap;
};

/* An enc_emit_fn storing copies of messages in the struct msgs at ctx */
int msgs_emit(void *ctx, const char *json, size_t len, uint64_t id);
void msgs_free(struct msgs *m);

/* One direction of a recording: its bytes, and the ms each arrived at */
struct flow {
    struct buf bytes;
    uint64_t *ms;
    size_t ms_cap;
};

/* Window changes a flat view keeps; more are counted only */
#define FLAT_WINDOWS_MAX 8192

struct flat {
    struct flow in;
    struct flow out;
    size_t windows;
    uint64_t window_ms[FLAT_WINDOWS_MAX];
    unsigned short width[FLAT_WINDOWS_MAX];
    unsigned short height[FLAT_WINDOWS_MAX];
};

void flat_init(struct flat *f);
void flat_fini(struct flat *f);
void flat_add(struct flat *f, const struct pkt *p);

/*
 * Decode messages into f.  Returns 0, or the decoder's error with its
 * text in err.
 */
int flat_decode(const struct msgs *m, bool lax, struct flat *f,
                char *err, size_t errsz);

/* A timespec for ms milliseconds */
struct timespec ms_ts(uint64_t ms);



#include <check.h>

struct enc;

/*
 * An encoder for tests: host "host.example", rec "rec-1", user "user",
 * term "xterm", session 7, the given payload, start at 0 ms, wall clock
 * at 1000000000.000, messages into m.
 */
struct enc *testlib_enc(size_t payload, struct msgs *m);

/* Run a suite and return the process exit status for automake */
int testlib_run(Suite *s);
/* A syslog daemon stand-in: a datagram socket bound to path */
int testlib_dgram_bind(const char *path);

/* A syslog writer (ident "test", authpriv.info) to the socket path */
struct writer *testlib_syslog_writer(const char *path);

#endif
