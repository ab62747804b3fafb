/*
 * tlog-seal: seal recordings as they are shipped.  rsyslog runs it as an
 * omprog action with confirmMessages: it reads one recording message a
 * line on standard input and answers OK on standard output once the
 * message is part of its recording's chain, saved in the state
 * directory.  Signed checkpoints (seal.h) go to Elasticsearch (_bulk,
 * created under the id HOST/REC/LAST, never overwritten) or to a file.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "es.h"
#include "es_keys.h"
#include "seal.h"

#define PROG "tlog-seal"

/* Buckets of the table of recordings */
#define RECS_BUCKETS 4096
/* Most messages held per recording while an earlier id is missing */
#define PEND_MAX 10000
/* How long the state of a recording sealed to its end is kept, seconds,
 * to recognise late copies of its messages */
#define DONE_KEEP (7 * 86400)
/* Largest outbox sent to Elasticsearch in one request, bytes */
#define OUTBOX_SEND_MAX (8 * 1024 * 1024)

static const struct conf_key keys[] = {
    { .path = "key", .type = CONF_STR, .def = SYSCONFDIR "/tlog/seal.key",
      .opt = "key", .short_opt = 'k', .arg = "FILE",
      .help = "The secret key signing checkpoints" },
    { .path = "state_dir", .type = CONF_STR, .def = "/var/lib/tlog-seal",
      .opt = "state-dir", .short_opt = 'd', .arg = "DIR",
      .help = "Where each recording's chain is kept across restarts" },
    { .path = "every", .type = CONF_INT, .def = "100", .min = 1,
      .max = SEAL_CP_MAX, .opt = "every", .short_opt = 'n', .arg = "N",
      .help = "A checkpoint after N messages of a recording" },
    { .path = "interval", .type = CONF_INT, .def = "10", .min = 1,
      .max = 86400, .opt = "interval", .short_opt = 't', .arg = "SECONDS",
      .help = "A checkpoint when messages waited this long for one" },
    { .path = "gap_wait", .type = CONF_INT, .def = "60", .min = 1,
      .max = 86400 * 7, .opt = "gap-wait", .arg = "SECONDS",
      .help = "Seal ids missing this long as lost" },
    { .path = "es.baseurl", .type = CONF_STR, .def = "", .opt = "es-baseurl",
      .arg = "URL",
      .help = "Elasticsearch bulk URL (http://HOST:9200/_bulk)" },
    { .path = "es.index", .type = CONF_STR, .def = "tlog_seal-",
      .opt = "es-index", .arg = "PREFIX",
      .help = "Checkpoint index name, before the date" },
    { .path = "checkpoint_file", .type = CONF_STR, .def = "",
      .opt = "checkpoint-file", .short_opt = 'o', .arg = "FILE",
      .help = "Append checkpoints to FILE instead" },
    { .path = "generate_key", .type = CONF_STR, .def = "",
      .opt = "generate-key", .arg = "PREFIX",
      .help = "Write a new key pair as PREFIX.key and PREFIX.pub, exit" },
};

/* A message that came before an id still missing */
struct pend {
    uint64_t id;
    bool end;
    uint8_t digest[SEAL_DIGEST_LEN];
};

/* One recording being sealed */
struct rec {
    struct rec *next;           /* in its bucket */
    char *host;
    char *rec;
    int fd;                     /* its state file */
    bool done;                  /* sealed to its end message */
    uint64_t next_id;           /* the first id not in the chain */
    uint64_t count;             /* messages in the chain (lost ones not) */
    uint64_t seg_first;         /* the first id of the open segment */
    uint8_t *seg;               /* digests of seg_first..next_id-1 */
    size_t seg_n;
    int64_t seg_since;          /* ms: the segment's first message came */
    struct seal_chain chain;
    struct pend *pend;          /* grown as needed, up to PEND_MAX */
    size_t npend, pend_cap;
    int64_t pend_since;         /* ms: when the oldest held one came */
};

/* What is saved of a recording, then host, rec, digests, held messages */
struct state_head {
    char magic[8];
    uint64_t next_id, count, seg_first, seg_n, npend;
    int64_t seg_since, pend_since;
    uint32_t host_len, rec_len;
    uint8_t done;
    struct seal_chain chain;
};

static const char state_magic[8] = "TLSEAL01";

struct sealer {
    struct conf *conf;
    struct seal_key key;
    struct rec *buckets[RECS_BUCKETS];
    int dirfd;
    int out_fd;                 /* checkpoint file or the outbox */
    bool to_es;
    struct es *es;
    size_t every;
    int64_t interval_ms, gap_ms;
    const char *index;
    struct buf line;
    struct buf save;
};

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
rec_hash(const char *host, const char *rec)
{
    uint32_t h = 2166136261u;
    const char *p;

    for (p = host; *p; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
    }
    h = (h ^ '/') * 16777619u;
    for (p = rec; *p; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
    }
    return h;
}

/* The state file name of a recording: hex of a hash of its names */
static void
state_name(const char *host, const char *rec, char *name)
{
    crypto_generichash_state st;
    uint8_t h[16];

    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const uint8_t *)host, strlen(host) + 1);
    crypto_generichash_update(&st, (const uint8_t *)rec, strlen(rec) + 1);
    crypto_generichash_final(&st, h, sizeof(h));
    seal_hex(name, h, sizeof(h));
    strcat(name, ".state");
}

static void
rec_free(struct rec *r)
{
    if (r != NULL) {
        if (r->fd >= 0) {
            close(r->fd);
        }
        free(r->host);
        free(r->rec);
        free(r->seg);
        free(r->pend);
        free(r);
    }
}

static int
rec_alloc(struct sealer *s, struct rec *r)
{
    r->seg = malloc(s->every * SEAL_DIGEST_LEN);
    return r->seg ? 0 : -ENOMEM;
}

/* Room for n held messages */
static int
pend_reserve(struct rec *r, size_t n)
{
    size_t cap = r->pend_cap ? r->pend_cap : 16;
    struct pend *p;

    if (n <= r->pend_cap) {
        return 0;
    }
    while (cap < n) {
        cap *= 2;
    }
    cap = cap > PEND_MAX ? PEND_MAX : cap;
    p = realloc(r->pend, cap * sizeof(*p));
    if (p == NULL) {
        return -ENOMEM;
    }
    r->pend = p;
    r->pend_cap = cap;
    return 0;
}

/* A recording sealed to its end keeps only what recognises late copies
 * of its messages: its names and done */
static void
rec_retire(struct rec *r)
{
    free(r->seg);
    free(r->pend);
    r->seg = NULL;
    r->pend = NULL;
    r->pend_cap = 0;
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
}

/* Save r's state in its file, in place (a crash of the program leaves
 * the kernel's copy whole) */
static int
rec_save(struct sealer *s, struct rec *r, char *err, size_t errsz)
{
    struct state_head h;
    struct buf *b = &s->save;
    char name[64];
    int rc;

    if (r->fd < 0) {
        state_name(r->host, r->rec, name);
        r->fd = openat(s->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC |
                       O_NOFOLLOW, 0600);
        if (r->fd < 0) {
            snprintf(err, errsz, "cannot create the state file %s: %s",
                     name, strerror(errno));
            return -errno;
        }
    }
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, state_magic, sizeof(h.magic));
    h.next_id = r->next_id;
    h.count = r->count;
    h.seg_first = r->seg_first;
    h.seg_n = r->seg_n;
    h.npend = r->npend;
    h.seg_since = r->seg_since;
    h.pend_since = r->pend_since;
    h.host_len = (uint32_t)strlen(r->host);
    h.rec_len = (uint32_t)strlen(r->rec);
    h.done = r->done;
    h.chain = r->chain;
    b->len = 0;
    if ((rc = buf_append(b, &h, sizeof(h))) < 0 ||
        (rc = buf_append(b, r->host, h.host_len)) < 0 ||
        (rc = buf_append(b, r->rec, h.rec_len)) < 0 ||
        (rc = buf_append(b, r->seg, r->seg_n * SEAL_DIGEST_LEN)) < 0 ||
        (rc = buf_append(b, r->pend, r->npend * sizeof(*r->pend))) < 0) {
        snprintf(err, errsz, "cannot save recording %s: %s", r->rec,
                 strerror(-rc));
        return rc;
    }
    if (pwrite(r->fd, b->data, b->len, 0) != (ssize_t)b->len) {
        snprintf(err, errsz, "cannot save recording %s: %s", r->rec,
                 strerror(errno));
        return -EIO;
    }
    return 0;
}

/* Load one state file; a file not of ours is skipped */
static int
rec_load(struct sealer *s, const char *name, char *err, size_t errsz)
{
    struct state_head h;
    struct stat st;
    struct rec *r;
    uint8_t *p = NULL;
    size_t need;
    uint32_t b;
    int fd, rc = -EINVAL;

    fd = openat(s->dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(h) ||
        pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        memcmp(h.magic, state_magic, sizeof(h.magic)) != 0 ||
        h.host_len > SEAL_NAME_MAX || h.rec_len > SEAL_NAME_MAX ||
        h.seg_n > s->every || h.npend > PEND_MAX) {
        snprintf(err, errsz, "state file %s is not one of tlog-seal's,"
                 " or was made with a larger --every", name);
        goto out;
    }
    need = sizeof(h) + h.host_len + h.rec_len + h.seg_n * SEAL_DIGEST_LEN +
           h.npend * sizeof(struct pend);
    r = calloc(1, sizeof(*r));
    p = malloc(need);
    if (r == NULL || p == NULL || rec_alloc(s, r) < 0 ||
        pend_reserve(r, h.npend) < 0 ||
        pread(fd, p, need, 0) != (ssize_t)need) {
        rec_free(r);
        snprintf(err, errsz, "cannot read state file %s", name);
        goto out;
    }
    r->fd = fd;
    fd = -1;
    r->host = strndup((char *)p + sizeof(h), h.host_len);
    r->rec = strndup((char *)p + sizeof(h) + h.host_len, h.rec_len);
    memcpy(r->seg, p + sizeof(h) + h.host_len + h.rec_len,
           h.seg_n * SEAL_DIGEST_LEN);
    if (h.npend > 0) {
        memcpy(r->pend, p + sizeof(h) + h.host_len + h.rec_len +
               h.seg_n * SEAL_DIGEST_LEN, h.npend * sizeof(struct pend));
    }
    r->next_id = h.next_id;
    r->count = h.count;
    r->seg_first = h.seg_first;
    r->seg_n = h.seg_n;
    r->npend = h.npend;
    r->seg_since = h.seg_since;
    r->pend_since = h.pend_since;
    r->done = h.done;
    r->chain = h.chain;
    if (r->host == NULL || r->rec == NULL) {
        rec_free(r);
        rc = -ENOMEM;
        goto out;
    }
    rc = 0;
    if (r->done && time(NULL) - st.st_mtime > DONE_KEEP) {
        /* sealed to its end long ago: no copy of its messages comes now */
        unlinkat(s->dirfd, name, 0);
        rec_free(r);
        goto out;
    }
    if (r->done) {
        rec_retire(r);
    }
    b = rec_hash(r->host, r->rec) % RECS_BUCKETS;
    r->next = s->buckets[b];
    s->buckets[b] = r;
out:
    free(p);
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

/* Write one checkpoint where checkpoints go */
static int
emit(struct sealer *s, const struct seal_cp *cp, char *err, size_t errsz)
{
    char *doc = seal_cp_json(cp), *text = NULL, day[16];
    struct tm tm;
    time_t t = (time_t)(cp->time_ms / 1000);
    int n, rc = 0;

    if (doc == NULL) {
        snprintf(err, errsz, "out of memory writing a checkpoint");
        return -ENOMEM;
    }
    if (s->to_es) {
        gmtime_r(&t, &tm);
        strftime(day, sizeof(day), "%Y.%m.%d", &tm);
        n = asprintf(&text, "{\"create\":{\"_index\":\"%s%s\",\"_id\":"
                     "\"%s/%s/%" PRIu64 "\"}}\n%s\n", s->index, day,
                     cp->host, cp->rec, cp->last, doc);
    } else {
        n = asprintf(&text, "%s\n", doc);
    }
    free(doc);
    if (n < 0) {
        snprintf(err, errsz, "out of memory writing a checkpoint");
        return -ENOMEM;
    }
    if (write(s->out_fd, text, (size_t)n) != n) {
        snprintf(err, errsz, "cannot write a checkpoint: %s",
                 strerror(errno));
        rc = -EIO;
    }
    free(text);
    return rc;
}

/* Close the open segment with a signed checkpoint */
static int
checkpoint(struct sealer *s, struct rec *r, bool end, char *err,
           size_t errsz)
{
    struct seal_cp cp;
    int rc;

    if (r->seg_n == 0) {
        return 0;
    }
    memset(&cp, 0, sizeof(cp));
    cp.host = r->host;
    cp.rec = r->rec;
    cp.first = r->seg_first;
    cp.last = r->next_id - 1;
    cp.count = r->count;
    cp.end = end;
    cp.time_ms = now_ms();
    seal_chain_value(&r->chain, cp.hash);
    cp.digests = r->seg;
    seal_cp_sign(&cp, &s->key);
    rc = emit(s, &cp, err, errsz);
    if (rc == 0) {
        r->seg_first = r->next_id;
        r->seg_n = 0;
    }
    return rc;
}

/* Add the next id to the chain */
static int
add_one(struct sealer *s, struct rec *r, const uint8_t *digest, bool end,
        char *err, size_t errsz)
{
    static const uint8_t zero[SEAL_DIGEST_LEN];

    if (r->seg_n == 0) {
        r->seg_since = now_ms();
    }
    seal_chain_add(&r->chain, r->next_id, digest);
    memcpy(r->seg + r->seg_n * SEAL_DIGEST_LEN, digest, SEAL_DIGEST_LEN);
    r->seg_n++;
    r->next_id++;
    if (memcmp(digest, zero, SEAL_DIGEST_LEN) != 0) {
        r->count++;
    }
    if (end) {
        r->done = true;
        return checkpoint(s, r, true, err, errsz);
    }
    return r->seg_n >= s->every ? checkpoint(s, r, false, err, errsz) : 0;
}

/* Take the held messages that come next */
static int
drain(struct sealer *s, struct rec *r, char *err, size_t errsz)
{
    size_t i;
    int rc;

    for (i = 0; i < r->npend && !r->done;) {
        if (r->pend[i].id == r->next_id) {
            struct pend p = r->pend[i];

            r->pend[i] = r->pend[--r->npend];
            if ((rc = add_one(s, r, p.digest, p.end, err, errsz)) < 0) {
                return rc;
            }
            i = 0;
        } else if (r->pend[i].id < r->next_id) {
            r->pend[i] = r->pend[--r->npend];
        } else {
            i++;
        }
    }
    if (r->npend == 0 || r->done) {
        r->npend = 0;
        r->pend_since = 0;
    }
    return 0;
}

/* Seal the ids missing before the first held message as lost */
static int
seal_gap(struct sealer *s, struct rec *r, char *err, size_t errsz)
{
    static const uint8_t zero[SEAL_DIGEST_LEN];
    uint64_t low = UINT64_MAX;
    size_t i;
    int rc;

    for (i = 0; i < r->npend; i++) {
        low = r->pend[i].id < low ? r->pend[i].id : low;
    }
    while (r->next_id < low && !r->done) {
        if ((rc = add_one(s, r, zero, false, err, errsz)) < 0) {
            return rc;
        }
    }
    return drain(s, r, err, errsz);
}

/* One message line */
static int
take(struct sealer *s, const char *text, size_t len, char *err,
     size_t errsz)
{
    struct json_object *o = NULL;
    struct seal_msg m;
    struct rec *r;
    uint32_t b;
    size_t i;
    int rc;

    rc = seal_msg_parse(text, len, &o, &m, err, errsz);
    if (rc < 0) {
        /* not sealable: said, and passed over */
        fprintf(stderr, PROG ": %s\n", err);
        return rc == -ENOMEM ? rc : 0;
    }
    b = rec_hash(m.host, m.rec) % RECS_BUCKETS;
    for (r = s->buckets[b]; r != NULL; r = r->next) {
        if (!strcmp(r->host, m.host) && !strcmp(r->rec, m.rec)) {
            break;
        }
    }
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL || rec_alloc(s, r) < 0 ||
            (r->host = strdup(m.host)) == NULL ||
            (r->rec = strdup(m.rec)) == NULL) {
            rec_free(r);
            json_object_put(o);
            return -ENOMEM;
        }
        r->fd = -1;
        r->next_id = 1;
        r->seg_first = 1;
        seal_chain_start(&r->chain, r->host, r->rec);
        r->next = s->buckets[b];
        s->buckets[b] = r;
    }
    if (r->done || m.id < r->next_id) {
        json_object_put(o);
        return 0;       /* a copy of one sealed already */
    }
    if (m.id == r->next_id) {
        rc = add_one(s, r, m.digest, m.end, err, errsz);
        if (rc == 0) {
            rc = drain(s, r, err, errsz);
        }
    } else {
        for (i = 0; i < r->npend && r->pend[i].id != m.id; i++) {
        }
        if (i == r->npend) {
            if (r->npend == 0) {
                r->pend_since = now_ms();
            }
            if (pend_reserve(r, r->npend + 1) < 0) {
                json_object_put(o);
                return -ENOMEM;
            }
            r->pend[r->npend].id = m.id;
            r->pend[r->npend].end = m.end;
            memcpy(r->pend[r->npend].digest, m.digest, SEAL_DIGEST_LEN);
            r->npend++;
        }
        rc = r->npend >= PEND_MAX ? seal_gap(s, r, err, errsz) : 0;
    }
    json_object_put(o);
    if (rc == 0 && (rc = rec_save(s, r, err, errsz)) == 0 && r->done) {
        rec_retire(r);
    }
    return rc;
}

/* Send the outbox to Elasticsearch; kept for later when that fails */
static int
flush_outbox(struct sealer *s, char *err, size_t errsz)
{
    struct json_object *ans = NULL;
    struct stat sb;
    char *body;
    size_t n;
    int rc = 0;

    if (!s->to_es || fstat(s->out_fd, &sb) != 0 || sb.st_size == 0) {
        return 0;
    }
    n = (size_t)sb.st_size < OUTBOX_SEND_MAX ? (size_t)sb.st_size :
        OUTBOX_SEND_MAX;
    body = malloc(n + 1);
    if (body == NULL) {
        snprintf(err, errsz, "out of memory reading the outbox");
        return -ENOMEM;
    }
    if (pread(s->out_fd, body, n, 0) != (ssize_t)n) {
        free(body);
        snprintf(err, errsz, "cannot read the outbox: %s", strerror(errno));
        return -EIO;
    }
    /* whole pairs of lines only */
    while (n > 0 && body[n - 1] != '\n') {
        n--;
    }
    body[n] = 0;
    rc = es_search(s->es, body, &ans, err, errsz);
    free(body);
    if (rc < 0) {
        return rc;
    }
    rc = seal_walk_bulk(ans, err, errsz);
    json_object_put(ans);
    if (rc == 0 && (size_t)sb.st_size == n) {
        if (ftruncate(s->out_fd, 0) != 0) {
            rc = -errno;
        }
    } else if (rc == 0) {
        /* more came than one request takes: the rest next time, after
         * those sent (a repeat is refused as a duplicate) */
        size_t rest = (size_t)sb.st_size - n;
        char *tail = malloc(rest);

        if (tail == NULL || pread(s->out_fd, tail, rest, (off_t)n) !=
            (ssize_t)rest || pwrite(s->out_fd, tail, rest, 0) !=
            (ssize_t)rest || ftruncate(s->out_fd, (off_t)rest) != 0) {
            rc = -EIO;
        }
        free(tail);
    }
    return rc;
}

/* Once a second: checkpoints for segments that waited, gaps sealed,
 * the outbox sent */
static int
tick(struct sealer *s, bool all, char *err, size_t errsz)
{
    int64_t now = now_ms();
    struct rec *r;
    size_t b;
    int rc;

    for (b = 0; b < RECS_BUCKETS; b++) {
        for (r = s->buckets[b]; r != NULL; r = r->next) {
            bool changed = false;

            if (r->npend > 0 && now - r->pend_since >= s->gap_ms) {
                if ((rc = seal_gap(s, r, err, errsz)) < 0) {
                    return rc;
                }
                changed = true;
            }
            if (r->seg_n > 0 && (all || now - r->seg_since >=
                                 s->interval_ms)) {
                if ((rc = checkpoint(s, r, false, err, errsz)) < 0) {
                    return rc;
                }
                changed = true;
            }
            if (changed && (rc = rec_save(s, r, err, errsz)) < 0) {
                return rc;
            }
        }
    }
    rc = flush_outbox(s, err, errsz);
    if (rc < 0 && rc != -ENOMEM) {
        /* Elasticsearch away: the outbox waits */
        fprintf(stderr, PROG ": %s (checkpoints kept, sent later)\n", err);
        rc = 0;
    }
    return rc;
}

static int
load_states(struct sealer *s, char *err, size_t errsz)
{
    struct dirent *de;
    int fd = dup(s->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    int rc = 0;

    if (d == NULL) {
        snprintf(err, errsz, "cannot read the state directory: %s",
                 strerror(errno));
        return -errno;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);

        if (l > 6 && !strcmp(de->d_name + l - 6, ".state")) {
            rc = rec_load(s, de->d_name, err, errsz);
        }
    }
    closedir(d);
    return rc;
}

/* Read and seal lines until the end of standard input */
static int
run(struct sealer *s, char *err, size_t errsz)
{
    struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
    char chunk[65536];
    int64_t last_tick = now_ms();
    size_t start, i;
    ssize_t n;
    int rc;

    /* omprog's confirmMessages: ready */
    fputs("OK\n", stdout);
    fflush(stdout);
    for (;;) {
        if (now_ms() - last_tick >= 1000) {
            if ((rc = tick(s, false, err, errsz)) < 0) {
                return rc;
            }
            last_tick = now_ms();
        }
        rc = poll(&pfd, 1, 1000);
        if (rc < 0 && errno != EINTR) {
            snprintf(err, errsz, "cannot wait for input: %s",
                     strerror(errno));
            return -errno;
        }
        if (rc <= 0) {
            continue;
        }
        n = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        start = 0;
        for (i = 0; i < (size_t)n; i++) {
            if (chunk[i] != '\n') {
                continue;
            }
            if ((rc = buf_append(&s->line, chunk + start, i - start)) < 0) {
                fprintf(stderr, PROG ": a line longer than %d bytes passed"
                        " over\n", SEAL_LINE_MAX);
            } else if ((rc = take(s, (char *)s->line.data, s->line.len,
                                  err, errsz)) < 0) {
                return rc;
            }
            s->line.len = 0;
            start = i + 1;
            fputs("OK\n", stdout);
        }
        if (buf_append(&s->line, chunk + start, (size_t)n - start) < 0) {
            s->line.len = 0;
        }
        fflush(stdout);
    }
    return tick(s, true, err, errsz);
}

static int
setup(struct sealer *s, char *err, size_t errsz)
{
    const char *dir = conf_str(s->conf, "state_dir");
    const char *file = conf_str(s->conf, "checkpoint_file");
    struct es_conf ec;
    int rc;

    if ((rc = seal_key_load(conf_str(s->conf, "key"), &s->key, err,
                            errsz)) < 0) {
        return rc;
    }
    if (!s->key.has_secret) {
        snprintf(err, errsz, "%s is a public key: the sealer signs with a"
                 " .key file", conf_str(s->conf, "key"));
        return -EINVAL;
    }
    s->every = (size_t)conf_int(s->conf, "every");
    s->interval_ms = conf_int(s->conf, "interval") * 1000;
    s->gap_ms = conf_int(s->conf, "gap_wait") * 1000;
    s->index = conf_str(s->conf, "es.index");
    mkdir(dir, 0700);
    s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        snprintf(err, errsz, "cannot open the state directory %s: %s", dir,
                 strerror(errno));
        return -errno;
    }
    if (*file) {
        s->out_fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                         0644);
    } else if (*conf_str(s->conf, "es.baseurl")) {
        s->to_es = true;
        memset(&ec, 0, sizeof(ec));
        ec.baseurl = conf_str(s->conf, "es.baseurl");
        ec.userpwd = getenv("TLOG_CURL_USERPWD");
        es_keys_tls(s->conf, &ec);
        if ((rc = es_new(&ec, &s->es, err, errsz)) < 0) {
            return rc;
        }
        file = "outbox";
        s->out_fd = openat(s->dirfd, "outbox", O_RDWR | O_CREAT | O_APPEND |
                           O_CLOEXEC | O_NOFOLLOW, 0600);
    } else {
        snprintf(err, errsz, "checkpoints go nowhere: give --es-baseurl or"
                 " --checkpoint-file");
        return -EINVAL;
    }
    if (s->out_fd < 0) {
        snprintf(err, errsz, "cannot open %s: %s", file, strerror(errno));
        return -errno;
    }
    buf_init(&s->line, SEAL_LINE_MAX);
    buf_init(&s->save, 64 + 2 * SEAL_NAME_MAX + SEAL_CP_MAX *
             SEAL_DIGEST_LEN + PEND_MAX * sizeof(struct pend) +
             sizeof(struct state_head));
    return load_states(s, err, errsz);
}

static const struct conf_prog prog = {
    .name = PROG,
    .keys = keys,
    .nkeys = sizeof(keys) / sizeof(keys[0]),
    .shared = es_tls_keys,
    .nshared = ES_TLS_NKEYS,
    .files = true,
    .usage = "Usage: " PROG " [OPTION...]\n"
             "Seal recording messages read on standard input with signed"
             " checkpoints.\n",
};

int
main(int argc, char **argv)
{
    static struct sealer s;
    struct rec *r, *next;
    char err[2048] = "";
    int status = 1, rc;
    size_t b;

    s.dirfd = -1;
    s.out_fd = -1;
    if (seal_init(err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s\n", err[0] ? err : "cannot start");
        return 1;
    }
    rc = conf_open(&prog, argc, argv, &s.conf, NULL);
    if (rc != CONF_GO_ON) {
        return rc;
    }
    if (*conf_str(s.conf, "generate_key")) {
        rc = seal_key_generate(conf_str(s.conf, "generate_key"), &s.key, err,
                               sizeof(err));
        if (rc < 0) {
            fprintf(stderr, PROG ": %s\n", err);
            goto out;
        }
        printf("%s\n", s.key.id);
        status = 0;
        goto out;
    }
    if ((rc = setup(&s, err, sizeof(err))) < 0 ||
        (rc = run(&s, err, sizeof(err))) < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    status = 0;
out:
    for (b = 0; b < RECS_BUCKETS; b++) {
        for (r = s.buckets[b]; r != NULL; r = next) {
            next = r->next;
            rec_free(r);
        }
    }
    sodium_memzero(&s.key, sizeof(s.key));
    buf_fini(&s.line);
    buf_fini(&s.save);
    es_free(s.es);
    if (s.dirfd >= 0) {
        close(s.dirfd);
    }
    if (s.out_fd >= 0) {
        close(s.out_fd);
    }
    conf_free(s.conf);
    return status;
}
