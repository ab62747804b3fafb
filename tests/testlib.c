/*
 * Helpers shared by the Check suites.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>

#include "dec.h"
#include "enc.h"
#include "testlib.h"

int
msgs_emit(void *ctx, const char *json, size_t len, uint64_t id)
{
    struct msgs *m = ctx;

    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->text = realloc(m->text, m->cap * sizeof(*m->text));
        m->len = realloc(m->len, m->cap * sizeof(*m->len));
        m->id = realloc(m->id, m->cap * sizeof(*m->id));
    }
    m->text[m->n] = malloc(len + 1);
    memcpy(m->text[m->n], json, len);
    m->text[m->n][len] = 0;
    m->len[m->n] = len;
    m->id[m->n] = id;
    m->n++;
    return 0;
}

void
msgs_free(struct msgs *m)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        free(m->text[i]);
    }
    free(m->text);
    free(m->len);
    free(m->id);
    memset(m, 0, sizeof(*m));
}

static void
flow_init(struct flow *f)
{
    buf_init(&f->bytes, SIZE_MAX / 2);
    f->ms = NULL;
    f->ms_cap = 0;
}

void
flat_init(struct flat *f)
{
    memset(f, 0, sizeof(*f));
    flow_init(&f->in);
    flow_init(&f->out);
}

void
flat_fini(struct flat *f)
{
    buf_fini(&f->in.bytes);
    buf_fini(&f->out.bytes);
    free(f->in.ms);
    free(f->out.ms);
}

void
flat_add(struct flat *f, const struct pkt *p)
{
    uint64_t ms = (uint64_t)p->ts.tv_sec * 1000 +
                  (uint64_t)p->ts.tv_nsec / 1000000;
    struct flow *w;
    size_t i;

    if (p->type == PKT_WINDOW) {
        if (f->windows < FLAT_WINDOWS_MAX) {
            f->window_ms[f->windows] = ms;
            f->width[f->windows] = p->width;
            f->height[f->windows] = p->height;
        }
        f->windows++;
        return;
    }
    w = p->type == PKT_INPUT ? &f->in : &f->out;
    if (w->bytes.len + p->len > w->ms_cap) {
        w->ms_cap = (w->bytes.len + p->len) * 2;
        w->ms = realloc(w->ms, w->ms_cap * sizeof(*w->ms));
    }
    for (i = 0; i < p->len; i++) {
        w->ms[w->bytes.len + i] = ms;
    }
    buf_append(&w->bytes, p->data, p->len);
}

int
flat_decode(const struct msgs *m, bool lax, struct flat *f,
            char *err, size_t errsz)
{
    struct dec *d;
    struct pkt p;
    char where[64];
    size_t i;
    int rc;

    rc = dec_new(lax, &d);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < m->n && rc == 0; i++) {
        snprintf(where, sizeof(where), "message %zu", i + 1);
        rc = dec_feed(d, m->text[i], m->len[i], where, err, errsz);
        while (rc == 0 && (rc = dec_next(d, &p, err, errsz)) > 0) {
            flat_add(f, &p);
            rc = 0;
        }
    }
    dec_free(d);
    return rc;
}

struct timespec
ms_ts(uint64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
    return ts;
}

int
testlib_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

struct enc *
testlib_enc(size_t payload, struct msgs *m)
{
    struct enc_conf conf;
    struct enc *e = NULL;
    char err[256];

    memset(&conf, 0, sizeof(conf));
    conf.host = "host.example";
    conf.rec = "rec-1";
    conf.user = "user";
    conf.term = "xterm";
    conf.session = 7;
    conf.payload = payload;
    conf.real_start.tv_sec = 1000000000;
    conf.emit = msgs_emit;
    conf.emit_ctx = m;
    ck_assert_msg(enc_new(&conf, &e, err, sizeof(err)) == 0, "%s", err);
    return e;
}

int
testlib_dgram_bind(const char *path)
{
    struct sockaddr_un a;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

struct writer *
testlib_syslog_writer(const char *path)
{
    struct writer_syslog_conf sc = { path, "test", LOG_AUTHPRIV, LOG_INFO };
    struct writer *w = NULL;
    char err[256];

    ck_assert_msg(writer_open_syslog(&sc, &w, err, sizeof(err)) == 0, "%s",
                  err);
    return w;
}
