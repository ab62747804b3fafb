/*
 * Snapshot indexes of recordings, built in threads and cached; their
 * segments read again from Elasticsearch by id range.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "snap.h"
#include "src.h"
#include "activity.h"
#include "timeline.h"

/* Where the first event after a snapshot is: packet pkt of message id;
 * id 0 means after the last event */
struct mark {
    uint64_t id;
    uint64_t pkt;
    uint64_t input_end;     /* bytes typed before it */
};

enum gap_kind {
    GAP_MISSING_IDS,
    GAP_DROP,
    GAP_TIME_BACK,
    GAP_CUT_SHORT,
};

/* An event of segment 0, kept by the build: its bytes at off in the
 * timeline's head_data */
struct held {
    enum pkt_type type;
    uint64_t pos_ms;
    size_t off, len;
    unsigned short width, height;
};

struct gap {
    enum gap_kind kind;
    uint64_t pos_ms;
    uint64_t a, b;          /* ids before and after; messages and bytes
                               dropped */
    char note[256];
};

struct timeline {
    struct timeline_cache *cache;
    char *host, *rec;
    char *filter;           /* what the readers may see, or "" */
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* under lock */
    struct snap *snap;
    struct mark *marks;     /* one per snapshot whose mark is known */
    size_t marks_n, marks_cap;
    struct gap *gaps;
    size_t gaps_n, gaps_cap;
    uint64_t duration_ms;
    struct activity *activity;  /* output per stretch of time */
    struct buf input;       /* everything typed, up to TIMELINE_INPUT_MAX */
    uint64_t input_n;       /* bytes typed */
    struct buf final;       /* the screen's text at the end */
    struct held *head;      /* segment 0's events, read once only */
    size_t head_n, head_cap;
    struct buf head_data;
    bool head_kept;         /* all of them are in head */
    bool head_dropped;      /* too many: read again when asked for */
    struct buf segs_text;   /* the index's segments as JSON text, built
                               as they are asked for */
    size_t segs_text_n;     /* segments in it */
    bool done;              /* read to the end, or failed */
    int error;              /* the failure, or 0 */
    char err[512];
    bool stop;
    size_t mem;
    /* handing the lock over: the build takes it for every packet, and a
     * mutex is not fair (a request could wait for it for long) */
    atomic_uint waiting;    /* requests about to take the lock */
    unsigned sleepers;      /* requests in wait_for(); under lock */
    atomic_uint wakes;      /* times those woke up */
    unsigned wake_due;      /* the build's: sleepers woken by its last */
    unsigned wake_base;     /* broadcast, and wakes then */
    /* under the cache's lock */
    unsigned refs;
    uint64_t used;
    struct timeline *next;
};

struct timeline_cache {
    char *urls;
    struct store *store;
    size_t max;
    pthread_mutex_t lock;
    struct timeline *list;
    uint64_t clock;
};

int
timeline_cache_new(const char *search_urls, struct store *store, size_t max,
                   struct timeline_cache **pc)
{
    struct timeline_cache *c = calloc(1, sizeof(*c));

    if (c == NULL || (c->urls = strdup(search_urls)) == NULL) {
        free(c);
        return -ENOMEM;
    }
    c->store = store;
    c->max = max;
    pthread_mutex_init(&c->lock, NULL);
    *pc = c;
    return 0;
}

static void
timeline_free(struct timeline *t)
{
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_mutex_unlock(&t->lock);
    if (t->started) {
        pthread_join(t->thread, NULL);
    }
    snap_free(t->snap);
    activity_free(t->activity);
    buf_fini(&t->input);
    buf_fini(&t->final);
    buf_fini(&t->head_data);
    buf_fini(&t->segs_text);
    free(t->head);
    free(t->marks);
    free(t->gaps);
    free(t->host);
    free(t->rec);
    free(t->filter);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t);
}

void
timeline_cache_free(struct timeline_cache *c)
{
    struct timeline *t, *next;

    if (c == NULL) {
        return;
    }
    for (t = c->list; t != NULL; t = next) {
        next = t->next;
        timeline_free(t);
    }
    pthread_mutex_destroy(&c->lock);
    free(c->urls);
    free(c);
}

/* Query-string text of value inside double quotes, into out */
static void
quote(const char *value, char *out, size_t outsz)
{
    size_t n = 0;

    for (; *value != 0 && n + 3 < outsz; value++) {
        if (*value == '"' || *value == '\\') {
            out[n++] = '\\';
        }
        out[n++] = *value;
    }
    out[n] = 0;
}

/* The query string naming t's recording, ids from first to last (0: no
 * bound) */
static void
query_of(const struct timeline *t, uint64_t first, uint64_t last, char *out,
         size_t outsz)
{
    char host[2 * 256 + 1], rec[2 * 128 + 1];
    char lo[32] = "*", hi[32] = "*";

    quote(t->host, host, sizeof(host));
    quote(t->rec, rec, sizeof(rec));
    if (first > 0) {
        snprintf(lo, sizeof(lo), "%" PRIu64, first);
    }
    if (last > 0) {
        snprintf(hi, sizeof(hi), "%" PRIu64, last);
    }
    snprintf(out, outsz, "rec:\"%s\" AND host:\"%s\" AND id:[%s TO %s]",
             rec, host, lo, hi);
}

static int
open_src(const struct timeline *t, uint64_t first, uint64_t last,
         int first_page, struct src **ps, char *err, size_t errsz)
{
    struct src_conf sc;
    char query[1024];

    memset(&sc, 0, sizeof(sc));
    sc.kind = SRC_ES;
    /* gaps are reported, not refused */
    sc.lax = true;
    query_of(t, first, last, query, sizeof(query));
    sc.es.baseurl = t->cache->urls;
    sc.es.query = query;
    sc.es.filter = t->filter;
    sc.es.first_page = first_page;
    return src_open(&sc, ps, err, errsz);
}

/*
 * Whether err is the decoder's refusal of a position going back: the
 * recording plays up to there, and what follows cannot be placed in
 * time (lib/dec.c says "(time goes back)").
 */
static bool
time_back(int rc, const char *err)
{
    return rc == -EINVAL && strstr(err, "(time goes back)") != NULL;
}

static uint64_t
pkt_ms(const struct pkt *p)
{
    return (uint64_t)p->ts.tv_sec * 1000 + (uint64_t)p->ts.tv_nsec / 1000000;
}

/* Add a gap; under t->lock */
static void
gap_add(struct timeline *t, enum gap_kind kind, uint64_t pos_ms, uint64_t a,
        uint64_t b, const char *note)
{
    struct gap *g;
    size_t cap;

    if (t->gaps_n >= TIMELINE_GAPS_MAX) {
        return;
    }
    if (t->gaps_n == t->gaps_cap) {
        cap = t->gaps_cap ? 2 * t->gaps_cap : 8;
        g = realloc(t->gaps, cap * sizeof(*g));
        if (g == NULL) {
            return;
        }
        t->gaps = g;
        t->gaps_cap = cap;
    }
    g = &t->gaps[t->gaps_n++];
    g->kind = kind;
    g->pos_ms = pos_ms;
    g->a = a;
    g->b = b;
    snprintf(g->note, sizeof(g->note), "%s", note ? note : "");
}

/* A drop note as a gap of t (under t->lock) */
static void
drop_add(void *arg, uint64_t pos_ms, uint64_t messages, uint64_t bytes)
{
    gap_add(arg, GAP_DROP, pos_ms, messages, bytes, NULL);
}

/* The x_tlog_drop notes of the recording, from one search */
static int
read_drops(struct timeline *t, char *err, size_t errsz)
{
    struct json_object *body, *f, *o, *answer = NULL;
    int rc;

    f = json_object_new_array();
    o = json_object_new_object();
    json_object_object_add(o, "rec", json_object_new_string(t->rec));
    json_object_array_add(f, json_object_new_object());
    json_object_object_add(json_object_array_get_idx(f, 0), "term", o);
    o = json_object_new_object();
    json_object_object_add(o, "host", json_object_new_string(t->host));
    json_object_array_add(f, json_object_new_object());
    json_object_object_add(json_object_array_get_idx(f, 1), "term", o);
    o = json_object_new_object();
    json_object_object_add(o, "field",
                           json_object_new_string("x_tlog_drop"));
    json_object_array_add(f, json_object_new_object());
    json_object_object_add(json_object_array_get_idx(f, 2), "exists", o);
    if (t->filter[0] != 0) {
        json_object_array_add(f, json_tokener_parse(t->filter));
    }
    o = json_object_new_object();
    json_object_object_add(o, "filter", f);
    body = json_object_new_object();
    json_object_object_add(body, "query", json_object_new_object());
    json_object_object_add(json_object_object_get(body, "query"), "bool", o);
    json_object_object_add(body, "size",
                           json_object_new_int(TIMELINE_GAPS_MAX));
    json_object_object_add(body, "sort", json_object_new_array());
    json_object_array_add(json_object_object_get(body, "sort"),
                          json_object_new_string("id"));
    rc = store_search(t->cache->store, body, &answer, err, errsz);
    json_object_put(body);
    if (rc < 0) {
        return rc;
    }
    pthread_mutex_lock(&t->lock);
    timeline_walk_drops(answer, drop_add, t);
    pthread_mutex_unlock(&t->lock);
    json_object_put(answer);
    return 0;
}

size_t
timeline_walk_drops(struct json_object *answer,
                    void (*fn)(void *arg, uint64_t pos_ms, uint64_t messages,
                               uint64_t bytes),
                    void *arg)
{
    struct json_object *hits, *h, *d, *v;
    size_t i, n = 0;

    if (!json_object_object_get_ex(answer, "hits", &hits) ||
        !json_object_object_get_ex(hits, "hits", &hits) ||
        !json_object_is_type(hits, json_type_array)) {
        return 0;
    }
    for (i = 0; i < json_object_array_length(hits); i++) {
        h = json_object_array_get_idx(hits, i);
        if (!json_object_object_get_ex(h, "_source", &h) ||
            !json_object_object_get_ex(h, "x_tlog_drop", &d)) {
            continue;
        }
        fn(arg, json_object_object_get_ex(h, "pos", &v) ?
           (uint64_t)json_object_get_int64(v) : 0,
           json_object_object_get_ex(d, "messages", &v) ?
           (uint64_t)json_object_get_int64(v) : 0,
           json_object_object_get_ex(d, "bytes", &v) ?
           (uint64_t)json_object_get_int64(v) : 0);
        n++;
    }
    return n;
}

/* Take t->lock for a request: the build lets it in first */
static void
lock_request(struct timeline *t)
{
    atomic_fetch_add(&t->waiting, 1);
    pthread_mutex_lock(&t->lock);
    atomic_fetch_sub(&t->waiting, 1);
}

/*
 * Before the build takes t->lock again: let the requests waiting for it
 * (or woken by the last broadcast) have it first, for a while at most.
 */
static void
let_requests_in(struct timeline *t)
{
    int n;

    for (n = 0; n < 1000; n++) {
        if (atomic_load(&t->waiting) == 0 &&
            atomic_load(&t->wakes) - t->wake_base >= t->wake_due) {
            break;
        }
        sched_yield();
    }
    t->wake_due = 0;
}

/* Wake the requests waiting in wait_for(); under t->lock */
static void
wake_requests(struct timeline *t)
{
    t->wake_due = t->sleepers;
    t->wake_base = atomic_load(&t->wakes);
    pthread_cond_broadcast(&t->cond);
}

/* Note the marks of the snapshots whose first event is event seq, at
 * packet pkt of message id; under t->lock */
static int
marks_take(struct timeline *t, uint64_t seq, uint64_t id, uint64_t pkt)
{
    const struct snap_entry *e;
    struct mark *m;
    size_t cap;
    bool any = false;

    while ((e = snap_get(t->snap, t->marks_n)) != NULL &&
           (id == 0 || e->seq == seq)) {
        if (t->marks_n == t->marks_cap) {
            cap = t->marks_cap ? 2 * t->marks_cap : 64;
            m = realloc(t->marks, cap * sizeof(*m));
            if (m == NULL) {
                return -ENOMEM;
            }
            t->marks = m;
            t->marks_cap = cap;
        }
        t->marks[t->marks_n].id = id;
        t->marks[t->marks_n].pkt = pkt;
        t->marks[t->marks_n].input_end = t->input_n;
        t->marks_n++;
        any = true;
    }
    if (any) {
        wake_requests(t);
    }
    return 0;
}

/* Forget the events of segment 0 kept so far: it is read again when
 * asked for; under t->lock */
static void
head_drop(struct timeline *t)
{
    free(t->head);
    t->head = NULL;
    t->head_n = t->head_cap = 0;
    buf_fini(&t->head_data);
    t->head_dropped = true;
}

/*
 * Keep packet p, at pos, while it is an event of segment 0 (its first
 * mark known, not the next); once the next is known, the segment is
 * all there.  Under t->lock.
 */
static void
head_keep(struct timeline *t, const struct pkt *p, uint64_t pos)
{
    struct held *h;
    size_t cap;

    if (t->head_kept || t->head_dropped || t->marks_n == 0) {
        return;
    }
    if (t->marks_n > 1) {
        t->head_kept = true;
        return;
    }
    if (t->head_n == t->head_cap) {
        cap = t->head_cap ? 2 * t->head_cap : 64;
        h = cap <= TIMELINE_HEAD_EVENTS_MAX ?
            realloc(t->head, cap * sizeof(*h)) : NULL;
        if (h == NULL) {
            head_drop(t);
            return;
        }
        t->head = h;
        t->head_cap = cap;
    }
    h = &t->head[t->head_n];
    h->type = p->type;
    h->pos_ms = pos;
    h->off = t->head_data.len;
    h->len = p->type == PKT_WINDOW ? 0 : p->len;
    h->width = p->width;
    h->height = p->height;
    if (h->len > 0 && buf_append(&t->head_data, p->data, h->len) < 0) {
        head_drop(t);
        return;
    }
    t->head_n++;
}

static void *
build(void *arg)
{
    struct timeline *t = arg;
    struct snap_conf sconf;
    struct src *src = NULL;
    struct snap *snap = NULL;
    struct pkt p;
    char err[512] = "", note[256];
    uint64_t cur_id = 0, pkt_n = 0, id, last_pos = 0, pos;
    bool drops_read = false;
    int rc;

    snap_conf_default(&sconf);
    sconf.size_factor = TIMELINE_SNAP_SIZE_FACTOR;
    rc = snap_new(&sconf, &snap);
    if (rc < 0) {
        snprintf(err, sizeof(err), "out of memory");
        goto out;
    }
    pthread_mutex_lock(&t->lock);
    t->snap = snap;
    pthread_mutex_unlock(&t->lock);
    /* a small first page: the first segment is known sooner */
    rc = open_src(t, 0, 0, TIMELINE_FIRST_PAGE, &src, err, sizeof(err));
    if (rc < 0) {
        goto out;
    }
    for (;;) {
        /* the drop notes once the first segment can be served, while
         * the next page is fetched */
        if (!drops_read && t->marks_n > 1) {
            drops_read = true;
            rc = read_drops(t, err, sizeof(err));
            if (rc < 0) {
                break;
            }
        }
        rc = src_next(src, &p, err, sizeof(err));
        if (rc <= 0) {
            break;
        }
        id = src_msg(src)->id;
        let_requests_in(t);
        pthread_mutex_lock(&t->lock);
        if (t->stop) {
            pthread_mutex_unlock(&t->lock);
            rc = -ECANCELED;
            snprintf(err, sizeof(err), "the server stops");
            break;
        }
        if (id != cur_id) {
            if (id > cur_id + 1) {
                gap_add(t, GAP_MISSING_IDS, src_msg(src)->pos, cur_id, id,
                        NULL);
            }
            cur_id = id;
            pkt_n = 0;
        }
        pos = pkt_ms(&p);
        /* the decoder refuses a position going back; kept for a
         * source that lets one through */
        if (pos < last_pos) {
            gap_add(t, GAP_TIME_BACK, last_pos, pos, last_pos, NULL);
            pos = last_pos;
        }
        last_pos = pos;
        rc = marks_take(t, snap_events(snap), id, pkt_n);
        head_keep(t, &p, pos);
        if (rc == 0) {
            switch (p.type) {
            case PKT_OUTPUT:
                activity_add(t->activity, pos, p.len);
                rc = snap_add_output(snap, pos, p.data, p.len);
                break;
            case PKT_INPUT:
                /* kept for the input before each segment; past the
                 * bound, later segments come without it */
                if (t->input_n == t->input.len &&
                    buf_append(&t->input, p.data, p.len) == 0) {
                    t->input_n = t->input.len;
                } else {
                    t->input_n += p.len;
                }
                rc = snap_add_input(snap, pos);
                break;
            case PKT_WINDOW:
                rc = snap_add_window(snap, pos, p.height, p.width);
                break;
            }
            /* a snapshot not kept leaves a longer segment, no error */
            if (rc == -ENOMEM || rc == -EMSGSIZE) {
                rc = 0;
            }
        }
        pkt_n++;
        t->duration_ms = pos;
        t->mem = snap_memory(snap) + ACTIVITY_BUCKETS * sizeof(uint64_t) +
                 t->input.cap +
                 t->marks_cap * sizeof(struct mark) +
                 t->head_cap * sizeof(struct held) + t->head_data.cap +
                 t->segs_text.cap;
        if (rc == 0 && t->mem > t->cache->max) {
            snprintf(err, sizeof(err), "recording %s of host %s needs more"
                     " than %zu bytes of snapshots: too large to index",
                     t->rec, t->host, t->cache->max);
            rc = -EFBIG;
        }
        pthread_mutex_unlock(&t->lock);
        if (rc < 0) {
            if (!*err) {
                snprintf(err, sizeof(err), "indexing recording %s: %s",
                         t->rec, strerror(-rc));
            }
            break;
        }
    }
out:
    /* a recording too short for a second segment */
    if (!drops_read && t->snap != NULL && (rc >= 0 || time_back(rc, err))) {
        char derr[512];
        int drc = read_drops(t, derr, sizeof(derr));

        if (drc < 0) {
            rc = drc;
            snprintf(err, sizeof(err), "%s", derr);
        }
    }
    pthread_mutex_lock(&t->lock);
    if (time_back(rc, err) && t->snap != NULL) {
        gap_add(t, GAP_TIME_BACK, t->duration_ms, 0, 0, err);
        rc = 0;
    }
    if (rc == 0 && t->snap != NULL) {
        rc = marks_take(t, 0, 0, 0);
        if (!t->head_dropped && t->marks_n > 1) {
            t->head_kept = true;
        }
        /* the screen after the last snapshot, for timeline_find() */
        if (vt_text(snap_vt(t->snap), &t->final) < 0) {
            t->final.len = 0;
        }
        t->mem += t->final.len;
        if (src != NULL && src_cut_short(src)) {
            src_note(src, note, sizeof(note));
            gap_add(t, GAP_CUT_SHORT, t->duration_ms, 0, 0, note);
        }
    }
    if (rc < 0) {
        t->error = rc;
        snprintf(t->err, sizeof(t->err), "%s", err);
    }
    t->done = true;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    src_free(src);
    return NULL;
}

/* Free the least recently used unreferenced complete indexes until the
 * cache holds at most its maximum; under c->lock */
static void
evict(struct timeline_cache *c)
{
    struct timeline *t, **pp, **oldest;
    size_t total;

    for (;;) {
        total = 0;
        oldest = NULL;
        for (pp = &c->list; *pp != NULL; pp = &(*pp)->next) {
            t = *pp;
            lock_request(t);
            total += t->mem;
            if (t->refs == 0 && t->done &&
                (oldest == NULL || t->used < (*oldest)->used)) {
                oldest = pp;
            }
            pthread_mutex_unlock(&t->lock);
        }
        if (total <= c->max || oldest == NULL) {
            return;
        }
        t = *oldest;
        *oldest = t->next;
        timeline_free(t);
    }
}

int
timeline_get(struct timeline_cache *c, const char *host, const char *rec,
             const char *filter, struct timeline **pt, bool *cached)
{
    struct timeline *t, **pp;
    size_t building;
    bool failed;

    pthread_mutex_lock(&c->lock);
    for (pp = &c->list; *pp != NULL; pp = &(*pp)->next) {
        t = *pp;
        if (strcmp(t->host, host) != 0 || strcmp(t->rec, rec) != 0 ||
            strcmp(t->filter, filter ? filter : "") != 0) {
            continue;
        }
        lock_request(t);
        failed = t->done && t->error < 0;
        pthread_mutex_unlock(&t->lock);
        if (failed && t->refs == 0) {
            /* read it again: Elasticsearch may answer now */
            *pp = t->next;
            timeline_free(t);
            break;
        }
        t->refs++;
        t->used = ++c->clock;
        pthread_mutex_unlock(&c->lock);
        *pt = t;
        *cached = true;
        return 0;
    }
    building = 0;
    for (t = c->list; t != NULL; t = t->next) {
        lock_request(t);
        building += !t->done;
        pthread_mutex_unlock(&t->lock);
    }
    if (building >= TIMELINE_BUILDS_MAX) {
        pthread_mutex_unlock(&c->lock);
        return -EAGAIN;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL || (t->host = strdup(host)) == NULL ||
        (t->rec = strdup(rec)) == NULL ||
        (t->filter = strdup(filter ? filter : "")) == NULL ||
        activity_new(&t->activity) < 0) {
        if (t != NULL) {
            free(t->host);
            free(t->rec);
            free(t->filter);
        }
        free(t);
        pthread_mutex_unlock(&c->lock);
        return -ENOMEM;
    }
    t->cache = c;
    buf_init(&t->final, SNAP_TEXT_MAX);
    buf_init(&t->head_data, TIMELINE_HEAD_BYTES_MAX);
    buf_init(&t->input, TIMELINE_INPUT_MAX);
    buf_init(&t->segs_text, SIZE_MAX);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    if (pthread_create(&t->thread, NULL, build, t) != 0) {
        t->started = false;
        timeline_free(t);
        pthread_mutex_unlock(&c->lock);
        return -EAGAIN;
    }
    t->started = true;
    t->refs = 1;
    t->used = ++c->clock;
    t->next = c->list;
    c->list = t;
    evict(c);
    pthread_mutex_unlock(&c->lock);
    *pt = t;
    *cached = false;
    return 0;
}

void
timeline_put(struct timeline_cache *c, struct timeline *t)
{
    if (t == NULL) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    t->refs--;
    evict(c);
    pthread_mutex_unlock(&c->lock);
}

/* Wait, under t->lock, up to wait_ms for ready(t, arg) or the end */
static void
wait_for(struct timeline *t, int wait_ms,
         bool (*ready)(const struct timeline *, uint64_t), uint64_t arg)
{
    struct timespec until;
    int rc;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    while (!t->done && !ready(t, arg)) {
        t->sleepers++;
        rc = pthread_cond_timedwait(&t->cond, &t->lock, &until);
        t->sleepers--;
        atomic_fetch_add(&t->wakes, 1);
        if (rc == ETIMEDOUT) {
            break;
        }
    }
}

/* Segment i can be served: the mark after it is known */
static bool
segment_ready(const struct timeline *t, uint64_t i)
{
    return t->marks_n > i + 1;
}

/* The index has read past pos */
static bool
pos_ready(const struct timeline *t, uint64_t pos)
{
    return t->duration_ms > pos && t->marks_n > 1 &&
           snap_get(t->snap, t->marks_n - 1)->pos_ms > pos;
}

/* Segments fully known, under t->lock */
static size_t
segments_known(const struct timeline *t)
{
    if (t->done) {
        return t->marks_n;
    }
    return t->marks_n > 0 ? t->marks_n - 1 : 0;
}

static const char *const gap_kinds[] = {
    [GAP_MISSING_IDS] = "missing-ids",
    [GAP_DROP] = "drop",
    [GAP_TIME_BACK] = "time-back",
    [GAP_CUT_SHORT] = "cut-short",
};

static struct json_object *
gap_json(const struct gap *g)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "pos_ms", json_object_new_int64(
                           (int64_t)g->pos_ms));
    json_object_object_add(o, "kind", json_object_new_string(
                           gap_kinds[g->kind]));
    switch (g->kind) {
    case GAP_MISSING_IDS:
        json_object_object_add(o, "after_id", json_object_new_int64(
                               (int64_t)g->a));
        json_object_object_add(o, "next_id", json_object_new_int64(
                               (int64_t)g->b));
        break;
    case GAP_DROP:
        json_object_object_add(o, "messages", json_object_new_int64(
                               (int64_t)g->a));
        json_object_object_add(o, "bytes", json_object_new_int64(
                               (int64_t)g->b));
        break;
    case GAP_TIME_BACK:
    case GAP_CUT_SHORT:
        json_object_object_add(o, "note", json_object_new_string(g->note));
        break;
    }
    return o;
}

/*
 * The first n segments as a JSON array, its text kept in t->segs_text
 * and extended as segments become known: an index asked for again and
 * again while it is built (a page polling it) is not made of thousands
 * of objects each time.  Under t->lock; NULL when out of memory.
 */
static struct json_object *
segments_json(struct timeline *t, size_t n)
{
    const struct snap_entry *e;
    struct json_object *segs;
    char one[160], *text;
    size_t cap = t->segs_text.cap;
    int len;

    /* n never goes down: the text holds no segment past it */
    for (; t->segs_text_n < n; t->segs_text_n++) {
        e = snap_get(t->snap, t->segs_text_n);
        len = snprintf(one, sizeof(one), "%s{\"i\":%zu,\"pos_ms\":%" PRIu64
                       ",\"rows\":%d,\"cols\":%d}",
                       t->segs_text_n > 0 ? "," : "", t->segs_text_n,
                       e->pos_ms, e->rows, e->cols);
        if (buf_append(&t->segs_text, one, (size_t)len) < 0) {
            return NULL;
        }
    }
    /* the build counts it from then on; once done, it is counted here */
    if (t->done) {
        t->mem += t->segs_text.cap - cap;
    }
    text = malloc(t->segs_text.len + 3);
    segs = json_object_new_array();
    if (text == NULL || segs == NULL) {
        free(text);
        json_object_put(segs);
        return NULL;
    }
    text[0] = '[';
    memcpy(text + 1, t->segs_text.data, t->segs_text.len);
    text[1 + t->segs_text.len] = ']';
    text[2 + t->segs_text.len] = 0;
    json_object_set_serializer(segs, json_object_userdata_to_json_string,
                               text, json_object_free_userdata);
    return segs;
}

int
timeline_index(struct timeline *t, int wait_ms, struct json_object **out,
               char *err, size_t errsz)
{
    struct json_object *o, *segs, *gaps;
    const struct snap_entry *e = NULL;
    size_t i, n;

    lock_request(t);
    wait_for(t, wait_ms, segment_ready, 0);
    if (t->error < 0) {
        snprintf(err, errsz, "%s", t->err);
        pthread_mutex_unlock(&t->lock);
        return t->error;
    }
    n = segments_known(t);
    segs = segments_json(t, n);
    if (segs == NULL) {
        pthread_mutex_unlock(&t->lock);
        snprintf(err, errsz, "out of memory");
        return -ENOMEM;
    }
    gaps = json_object_new_array();
    for (i = 0; i < t->gaps_n; i++) {
        json_object_array_add(gaps, gap_json(&t->gaps[i]));
    }
    o = json_object_new_object();
    json_object_object_add(o, "complete", json_object_new_boolean(t->done));
    json_object_object_add(o, "duration_ms", json_object_new_int64(
                           (int64_t)t->duration_ms));
    e = t->snap != NULL && t->marks_n > 0 ?
        snap_get(t->snap, t->marks_n - 1) : NULL;
    json_object_object_add(o, "rows", json_object_new_int(e ? e->rows : 0));
    json_object_object_add(o, "cols", json_object_new_int(e ? e->cols : 0));
    json_object_object_add(o, "segments", segs);
    json_object_object_add(o, "gaps", gaps);
    json_object_object_add(o, "activity", activity_json(t->activity));
    pthread_mutex_unlock(&t->lock);
    *out = o;
    return 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* data[0..len) as base64, a new JSON string, or NULL */
static struct json_object *
base64(const uint8_t *data, size_t len)
{
    struct json_object *o;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    size_t i, n = 0;
    uint32_t v;

    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i < len; i += 3) {
        v = (uint32_t)data[i] << 16;
        if (i + 1 < len) {
            v |= (uint32_t)data[i + 1] << 8;
        }
        if (i + 2 < len) {
            v |= data[i + 2];
        }
        out[n++] = b64[v >> 18];
        out[n++] = b64[(v >> 12) & 63];
        out[n++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        out[n++] = i + 2 < len ? b64[v & 63] : '=';
    }
    o = json_object_new_string_len(out, (int)n);
    free(out);
    return o;
}

/* An event as a segment shows it: [pos_ms, "o"|"i"|"r", data] */
static struct json_object *
event_json(enum pkt_type type, uint64_t pos, const uint8_t *data, size_t len,
           unsigned short width, unsigned short height)
{
    struct json_object *ev = json_object_new_array();
    char size[32];

    json_object_array_add(ev, json_object_new_int64((int64_t)pos));
    switch (type) {
    case PKT_OUTPUT:
        json_object_array_add(ev, json_object_new_string("o"));
        json_object_array_add(ev, base64(data, len));
        break;
    case PKT_INPUT:
        json_object_array_add(ev, json_object_new_string("i"));
        json_object_array_add(ev, base64(data, len));
        break;
    case PKT_WINDOW:
        snprintf(size, sizeof(size), "%ux%u", width, height);
        json_object_array_add(ev, json_object_new_string("r"));
        json_object_array_add(ev, json_object_new_string(size));
        break;
    }
    return ev;
}

/* The events of segment 0 kept by the build into events; under t->lock */
static void
held_events(const struct timeline *t, bool with_input,
            struct json_object *events)
{
    const struct held *h;
    size_t i;

    for (i = 0; i < t->head_n; i++) {
        h = &t->head[i];
        if (h->type == PKT_INPUT && !with_input) {
            continue;
        }
        json_object_array_add(events, event_json(h->type, h->pos_ms,
                              t->head_data.data + h->off, h->len,
                              h->width, h->height));
    }
}

/* The events from mark from up to mark to (id 0: the end) into events */
static int
read_events(struct timeline *t, struct mark from, struct mark to,
            bool with_input, struct json_object *events, char *err,
            size_t errsz)
{
    struct src *src = NULL;
    struct pkt p;
    uint64_t cur_id = 0, pkt_n = 0, id, last_pos = 0, pos;
    size_t bytes = 0;
    int rc;

    if (from.id == 0) {
        return 0;
    }
    rc = open_src(t, from.id, to.id, 0, &src, err, errsz);
    if (rc < 0) {
        return rc;
    }
    for (;;) {
        rc = src_next(src, &p, err, errsz);
        if (rc <= 0) {
            break;
        }
        id = src_msg(src)->id;
        if (id != cur_id) {
            cur_id = id;
            pkt_n = 0;
        }
        pkt_n++;
        if (id == from.id && pkt_n - 1 < from.pkt) {
            continue;
        }
        if (to.id != 0 && (id > to.id ||
                           (id == to.id && pkt_n - 1 >= to.pkt))) {
            break;
        }
        pos = pkt_ms(&p);
        pos = pos < last_pos ? last_pos : pos;
        last_pos = pos;
        if (p.type == PKT_INPUT && !with_input) {
            continue;
        }
        bytes += p.len;
        if (bytes > TIMELINE_SEGMENT_BYTES_MAX) {
            snprintf(err, errsz, "recording %s: a segment holds more than"
                     " %u bytes of events", t->rec,
                     TIMELINE_SEGMENT_BYTES_MAX);
            rc = -EMSGSIZE;
            break;
        }
        json_object_array_add(events, event_json(p.type, pos, p.data, p.len,
                                                 p.width, p.height));
    }
    src_free(src);
    /* the index stops there too (a time-back gap) */
    return rc < 0 && !time_back(rc, err) ? rc : 0;
}

int
timeline_segment(struct timeline *t, size_t i, bool with_input, int wait_ms,
                 struct json_object **out, char *err, size_t errsz)
{
    const struct snap_entry *e;
    struct json_object *o, *events;
    struct mark from, to = { 0, 0, 0 };
    int rc;

    lock_request(t);
    wait_for(t, wait_ms, segment_ready, i);
    if (t->error < 0) {
        snprintf(err, errsz, "%s", t->err);
        rc = t->error;
        pthread_mutex_unlock(&t->lock);
        return rc;
    }
    if (i >= segments_known(t)) {
        pthread_mutex_unlock(&t->lock);
        return t->done ? -ENOENT : -EAGAIN;
    }
    e = snap_get(t->snap, i);
    from = t->marks[i];
    if (i + 1 < t->marks_n) {
        to = t->marks[i + 1];
    }
    o = json_object_new_object();
    json_object_object_add(o, "i", json_object_new_int64((int64_t)i));
    json_object_object_add(o, "pos_ms", json_object_new_int64(
                           (int64_t)e->pos_ms));
    json_object_object_add(o, "rows", json_object_new_int(e->rows));
    json_object_object_add(o, "cols", json_object_new_int(e->cols));
    json_object_object_add(o, "snapshot", json_object_new_string_len(
                           e->esc, (int)e->esc_len));
    /* what was typed before, that the segment's input goes on from */
    if (with_input && from.input_end <= t->input.len) {
        size_t n = from.input_end < TIMELINE_INPUT_BEFORE_MAX ?
                   (size_t)from.input_end : TIMELINE_INPUT_BEFORE_MAX;

        /* nothing typed yet: no buffer either */
        json_object_object_add(o, "input_before", n == 0 ?
                               json_object_new_string("") : base64(
                               t->input.data + from.input_end - n, n));
        json_object_object_add(o, "input_before_cut",
                               json_object_new_boolean(n < from.input_end));
    }
    events = json_object_new_array();
    json_object_object_add(o, "events", events);
    if (i == 0 && t->head_kept) {
        held_events(t, with_input, events);
        pthread_mutex_unlock(&t->lock);
        *out = o;
        return 0;
    }
    pthread_mutex_unlock(&t->lock);
    rc = read_events(t, from, to, with_input, events, err, errsz);
    if (rc < 0) {
        json_object_put(o);
        return rc;
    }
    *out = o;
    return 0;
}

int
timeline_seek(struct timeline *t, uint64_t pos_ms, int wait_ms, size_t *i,
              char *err, size_t errsz)
{
    size_t n;
    int rc = 0;

    lock_request(t);
    wait_for(t, wait_ms, pos_ready, pos_ms);
    if (t->error < 0) {
        snprintf(err, errsz, "%s", t->err);
        rc = t->error;
    } else if (!t->done && !pos_ready(t, pos_ms)) {
        rc = -EAGAIN;
    } else {
        n = snap_find(t->snap, pos_ms);
        /* a snapshot whose mark is not known yet is not served */
        if (n >= segments_known(t)) {
            n = segments_known(t) > 0 ? segments_known(t) - 1 : 0;
        }
        *i = n;
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int
timeline_find(struct timeline *t, const char *text, struct json_object **out)
{
    struct json_object *o, *matches, *m;
    const struct snap_entry *e;
    size_t i, n, len = strlen(text), found = 0;
    uint64_t last_pos = UINT64_MAX;
    bool truncated = false;

    matches = json_object_new_array();
    lock_request(t);
    n = t->snap != NULL ? segments_known(t) : 0;
    for (i = 0; i < n; i++) {
        e = snap_get(t->snap, i);
        if (len == 0 || e->text == NULL ||
            memmem(e->text, e->text_len, text, len) == NULL) {
            continue;
        }
        if (found == TIMELINE_FIND_RESULTS_MAX) {
            truncated = true;
            break;
        }
        m = json_object_new_object();
        json_object_object_add(m, "i", json_object_new_int64((int64_t)i));
        json_object_object_add(m, "pos_ms", json_object_new_int64(
                               (int64_t)e->pos_ms));
        json_object_array_add(matches, m);
        last_pos = e->pos_ms;
        found++;
    }
    /* the screen at the end, when no snapshot shows it */
    if (!truncated && t->done && n > 0 && len > 0 &&
        last_pos != t->duration_ms && t->final.len > 0 &&
        memmem(t->final.data, t->final.len, text, len) != NULL) {
        if (found == TIMELINE_FIND_RESULTS_MAX) {
            truncated = true;
        } else {
            m = json_object_new_object();
            json_object_object_add(m, "i", json_object_new_int64(
                                   (int64_t)(n - 1)));
            json_object_object_add(m, "pos_ms", json_object_new_int64(
                                   (int64_t)t->duration_ms));
            json_object_array_add(matches, m);
        }
    }
    o = json_object_new_object();
    json_object_object_add(o, "complete", json_object_new_boolean(t->done));
    pthread_mutex_unlock(&t->lock);
    json_object_object_add(o, "truncated",
                           json_object_new_boolean(truncated));
    json_object_object_add(o, "matches", matches);
    *out = o;
    return 0;
}
