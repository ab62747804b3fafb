/*
 * Where the player's packets come from.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dec.h"
#include "reader.h"
#include "src.h"

/* Most recordings one file may hold for listing them */
#define LIST_MAX 10000

struct src {
    struct reader *r;
    struct dec *d;
    bool in_msg;            /* a message is being drained */
};

struct rec_info {
    char *rec;
    char *host;
    char *user;
    uint32_t session;
    int64_t start_ms;       /* wall clock of the first message */
    uint64_t end_pos;       /* ms, the latest message position */
    uint64_t messages;
};

struct rec_list {
    struct rec_info *v;
    size_t n;
};

static void
list_free(struct rec_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i].rec);
        free(l->v[i].host);
        free(l->v[i].user);
    }
    free(l->v);
}

/*
 * The value of "name":"..." in a message header as tlog writers order it
 * (before "timing"), copied to out; false if not there in plain form
 * (escaped, or elsewhere): the caller then parses the message.
 */
static bool
header_field(const char *json, size_t len, const char *name, char *out,
             size_t outsz)
{
    const char *end = memmem(json, len, "\"timing\":\"", 10);
    char key[32];
    const char *p, *q;
    size_t klen = (size_t)snprintf(key, sizeof(key), "\"%s\":\"", name);

    if (end == NULL) {
        return false;
    }
    p = memmem(json, (size_t)(end - json), key, klen);
    if (p == NULL) {
        return false;
    }
    p += klen;
    q = memchr(p, '"', (size_t)(end - p));
    if (q == NULL || memchr(p, '\\', (size_t)(q - p)) != NULL ||
        (size_t)(q - p) >= outsz) {
        return false;
    }
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = 0;
    return true;
}

/*
 * Read every message header of a file into l.  Unless full, the rec,
 * host and user are taken from the header text where they are plain (the
 * decoder parses and checks every message again when playing), and the
 * other fields are left out.
 */
static int
scan(const char *path, bool full, struct rec_list *l, char *err,
     size_t errsz)
{
    char rec[MSG_FIELD_MAX + 1], host[MSG_FIELD_MAX + 1];
    char user[MSG_FIELD_MAX + 1];
    struct reader *r = NULL;
    struct msg m;
    const char *json, *where;
    char why[512];
    size_t len, i;
    int rc;

    memset(l, 0, sizeof(*l));
    msg_init(&m);
    rc = reader_open_file(path, &r, err, errsz);
    while (rc == 0 && (rc = reader_read(r, &json, &len, &where, err,
                                        errsz)) > 0) {
        bool light = !full &&
                     header_field(json, len, "rec", rec, sizeof(rec)) &&
                     header_field(json, len, "host", host, sizeof(host)) &&
                     header_field(json, len, "user", user, sizeof(user));

        if (!light) {
            rc = msg_parse(&m, json, len, why, sizeof(why));
            if (rc < 0) {
                snprintf(err, errsz, "%s: %s", where, why);
                break;
            }
            snprintf(rec, sizeof(rec), "%s", (char *)m.rec.data);
            snprintf(host, sizeof(host), "%s", (char *)m.host.data);
            snprintf(user, sizeof(user), "%s", (char *)m.user.data);
        }
        for (i = 0; i < l->n; i++) {
            if (!strcmp(l->v[i].rec, rec) && !strcmp(l->v[i].host, host)) {
                break;
            }
        }
        if (i == l->n) {
            struct rec_info *v;

            if (l->n == LIST_MAX) {
                snprintf(err, errsz, "%s: more than %d recordings", path,
                         LIST_MAX);
                rc = -E2BIG;
                break;
            }
            v = realloc(l->v, (l->n + 1) * sizeof(*v));
            if (v == NULL) {
                rc = -ENOMEM;
                break;
            }
            l->v = v;
            memset(&v[i], 0, sizeof(v[i]));
            v[i].rec = strdup(rec);
            v[i].host = strdup(host);
            v[i].user = strdup(user);
            v[i].session = light ? 0 : m.session;
            v[i].start_ms = !light && m.has_time ?
                            m.time_ms - (int64_t)m.pos : -1;
            l->n++;
            if (!v[i].rec || !v[i].host || !v[i].user) {
                rc = -ENOMEM;
                break;
            }
        }
        l->v[i].messages++;
        if (!light && m.pos > l->v[i].end_pos) {
            l->v[i].end_pos = m.pos;
        }
        rc = 0;
    }
    reader_free(r);
    msg_fini(&m);
    if (rc < 0) {
        list_free(l);
    }
    return rc;
}

static void
print_info(FILE *out, const struct rec_info *v)
{
    char when[64] = "unknown";
    uint64_t s = v->end_pos / 1000;

    if (v->start_ms >= 0) {
        time_t t = (time_t)(v->start_ms / 1000);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    fprintf(out, "%s  user %s  host %s  session %" PRIu32 "  start %s"
            "  duration %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64
            "  messages %" PRIu64 "\n", v->rec, v->user, v->host,
            v->session, when, s / 3600, s / 60 % 60, s % 60, v->messages);
}

int
src_list_file(const char *path, FILE *out, char *err, size_t errsz)
{
    struct rec_list l;
    size_t i;
    int rc = scan(path, true, &l, err, errsz);

    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < l.n; i++) {
        print_info(out, &l.v[i]);
    }
    list_free(&l);
    return 0;
}

int
src_open_file(const char *path, const char *match, bool lax,
              struct src **ps, char *err, size_t errsz)
{
    struct src *s = calloc(1, sizeof(*s));
    struct rec_list l;
    int rc;
    size_t i;

    if (s == NULL) {
        return -ENOMEM;
    }
    /* A file is read once first: several recordings need a choice, and a
     * chosen one must be there.  Standard input cannot be read twice; the
     * decoder stops at a second recording there. */
    if (strcmp(path, "-") != 0) {
        rc = scan(path, false, &l, err, errsz);
        if (rc < 0) {
            free(s);
            return rc;
        }
        if ((match == NULL || !*match) && l.n > 1) {
            size_t used = (size_t)snprintf(err, errsz, "%s holds %zu"
                                           " recordings; choose one with"
                                           " -m/--file-match:", path, l.n);
            for (i = 0; i < l.n && used < errsz; i++) {
                used += (size_t)snprintf(err + used, errsz - used, "\n  %s"
                                         " (user %s, host %s, %" PRIu64
                                         " messages)", l.v[i].rec,
                                         l.v[i].user, l.v[i].host,
                                         l.v[i].messages);
            }
            list_free(&l);
            free(s);
            return -EINVAL;
        }
        for (i = 0; match && *match && i < l.n; i++) {
            if (!strcmp(l.v[i].rec, match)) {
                break;
            }
        }
        if (match && *match && i == l.n) {
            snprintf(err, errsz, "%s holds no recording %s (--list shows"
                     " what it holds)", path, match);
            list_free(&l);
            free(s);
            return -ENOENT;
        }
        list_free(&l);
    }
    rc = reader_open_file(path, &s->r, err, errsz);
    if (rc == 0) {
        rc = dec_new(lax, &s->d);
    }
    if (rc == 0) {
        rc = dec_set_match(s->d, match);
    }
    if (rc < 0) {
        src_free(s);
        return rc;
    }
    *ps = s;
    return 0;
}

void
src_follow(struct src *s, bool follow)
{
    reader_follow(s->r, follow);
}

int
src_next(struct src *s, struct pkt *p, char *err, size_t errsz)
{
    const char *json, *where;
    size_t len;
    int rc;

    for (;;) {
        if (s->in_msg) {
            rc = dec_next(s->d, p, err, errsz);
            if (rc != 0) {
                return rc;
            }
            s->in_msg = false;
        }
        rc = reader_read(s->r, &json, &len, &where, err, errsz);
        if (rc <= 0) {
            return rc;
        }
        rc = dec_feed(s->d, json, len, where, err, errsz);
        if (rc < 0) {
            return rc;
        }
        s->in_msg = rc == 0;    /* 1: another recording's, skipped */
    }
}

int
src_rewind(struct src *s, char *err, size_t errsz)
{
    int rc = reader_rewind(s->r, err, errsz);

    if (rc == 0) {
        dec_reset(s->d);
        s->in_msg = false;
    }
    return rc;
}

int
src_wait_fd(struct src *s)
{
    return reader_wait_fd(s->r);
}

void
src_waited(struct src *s)
{
    reader_waited(s->r);
}

const struct msg *
src_msg(const struct src *s)
{
    return dec_msg(s->d);
}

void
src_free(struct src *s)
{
    if (s == NULL) {
        return;
    }
    reader_free(s->r);
    dec_free(s->d);
    free(s);
}
