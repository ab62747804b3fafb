/*
 * Live streams: the polling thread and the connections it resumes.
 *
 * Locking: l->lock guards the stream list and each stream's waiting
 * bytes and flags (buf, len, off, suspended, done, gone).  What only the
 * polling thread uses (next id, index, times) is not locked.  Only the
 * polling thread frees a stream, once libmicrohttpd has let go of it
 * (gone), so its pointer stays good while the thread works unlocked.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live.h"
#include "es.h"

/* Longest wait at stop for the streams to send their end */
#define LIVE_STOP_WAIT_MS 2000

struct live_stream {
    struct live *l;
    struct MHD_Connection *con;
    char rec[256];
    char host[256];
    char token[SESSIONS_TOKEN_LEN + 1];
    struct json_object *filter;
    const struct rules *rules;      /* judge the documents read by id */
    char *user, *groups;            /* the auditor's */
    struct live_want want;          /* rec, host, rules, user, groups:
                                       the members above */
    bool with_input;
    /* the polling thread's */
    long long next_id;
    char index[LIVE_INDEX_MAX];     /* of the last message seen, or "" */
    long long searched_ms;          /* last search, 0: none yet */
    long long sent_ms;              /* last bytes appended */
    long long checked_ms;           /* last session check */
    bool failing;                   /* the last round failed */
    /* under l->lock */
    char *buf;
    size_t len, off, cap;
    bool suspended;                 /* by the reader, to be resumed */
    bool done;                      /* nothing more after buf */
    bool gone;                      /* libmicrohttpd let go of it */
};

struct live {
    struct store *store;
    struct sessions *sessions;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool running;
    bool stopping;
    struct live_stream *streams[LIVE_STREAMS_MAX];
    int n;
    /* the polling thread's */
    char newest[LIVE_INDEX_MAX];    /* of the newest message, or "" */
    long long newest_ms;            /* when it was last asked for */
};

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libmicrohttpd asks for the next bytes of st */
static ssize_t
reader(void *cls, uint64_t pos, char *out, size_t max)
{
    struct live_stream *st = cls;
    ssize_t n;

    (void)pos;
    pthread_mutex_lock(&st->l->lock);
    if (st->len > st->off) {
        n = (ssize_t)(st->len - st->off < max ? st->len - st->off : max);
        memcpy(out, st->buf + st->off, (size_t)n);
        st->off += (size_t)n;
        if (st->off == st->len) {
            st->off = st->len = 0;
        }
    } else if (st->done) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        /* nothing yet: off the event loop until the poller has some */
        st->suspended = true;
        MHD_suspend_connection(st->con);
        n = 0;
    }
    pthread_mutex_unlock(&st->l->lock);
    return n;
}

/* libmicrohttpd destroyed the response: the connection is closed */
static void
reader_done(void *cls)
{
    struct live_stream *st = cls;

    pthread_mutex_lock(&st->l->lock);
    st->gone = true;
    st->con = NULL;
    pthread_mutex_unlock(&st->l->lock);
}

static void
stream_free(struct live_stream *st)
{
    if (st != NULL) {
        json_object_put(st->filter);
        free(st->user);
        free(st->groups);
        free(st->buf);
        free(st);
    }
}

/* Append text to st's waiting bytes and wake its connection; under the
 * lock.  Past LIVE_PENDING_MAX the stream ends: the client reads too
 * slowly to follow. */
static void
stream_add(struct live_stream *st, const char *text, size_t n)
{
    if (st->gone || st->done) {
        return;
    }
    if (st->len + n > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        char *b;

        while (cap < st->len + n) {
            cap *= 2;
        }
        if (cap > LIVE_PENDING_MAX ||
            (b = realloc(st->buf, cap)) == NULL) {
            st->done = true;
            goto wake;
        }
        st->buf = b;
        st->cap = cap;
    }
    memcpy(st->buf + st->len, text, n);
    st->len += n;
wake:
    if (st->suspended && st->con != NULL) {
        st->suspended = false;
        MHD_resume_connection(st->con);
    }
}

/* End st after its waiting bytes; under the lock */
static void
stream_end(struct live_stream *st, const char *reason)
{
    char text[128];

    snprintf(text, sizeof(text), "event: end\ndata: {\"reason\":\"%s\"}\n\n",
             reason);
    stream_add(st, text, strlen(text));
    st->done = true;
    if (st->suspended && st->con != NULL) {
        st->suspended = false;
        MHD_resume_connection(st->con);
    }
}

/* The string of key in o, or "" */
static const char *
str_of(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) &&
           json_object_is_type(v, json_type_string) ?
           json_object_get_string(v) : "";
}

/*
 * Whether doc (a hit or an _mget doc) is a message of w's recording the
 * auditor may see; its id then.  An _mget has no query to carry the
 * rules' filter: the rules judge each document here, as the filter
 * would.
 */
static bool
doc_of(const struct live_want *w, struct json_object *doc,
       struct json_object **src, long long *id)
{
    struct json_object *s, *v, *t;
    long long n;

    if (!json_object_object_get_ex(doc, "_source", &s) ||
        strcmp(str_of(s, "rec"), w->rec) ||
        strcmp(str_of(s, "host"), w->host) ||
        !json_object_object_get_ex(s, "id", &v) ||
        !rules_admit(w->rules, w->user, w->groups, RULES_LIVE,
                     str_of(s, "user"), w->host,
                     json_object_object_get_ex(s, "time", &t) ?
                     json_object_get_double(t) : -1, time(NULL))) {
        return false;
    }
    /* ids are counted on from: none so large that they would overflow */
    n = (long long)json_object_get_int64(v);
    if (n < 0 || n > LIVE_ID_MAX) {
        return false;
    }
    *src = s;
    *id = n;
    return true;
}

void
live_walk_doc(struct json_object *doc, const struct live_want *w,
              long long next, struct live_found *f)
{
    struct json_object *src;
    long long id;
    size_t k;

    if (!doc_of(w, doc, &src, &id) || id < next || id - next >= LIVE_BATCH) {
        return;
    }
    k = (size_t)(id - next);
    if (f->msgs[k] == NULL) {
        f->msgs[k] = json_object_get(src);
        snprintf(f->index[k], LIVE_INDEX_MAX, "%s", str_of(doc, "_index"));
    }
}

/* Add the documents of st's next ids to docs, in the index of its last
 * message and in that of the newest message of all; owner gets w for
 * each */
static void
ask_ids(const struct live_stream *st, const char *newest,
        struct json_object *docs, int *owner, int w)
{
    const char *indices[2];
    size_t i, k, ni = 0;
    char id[768];

    if (st->index[0] != 0) {
        indices[ni++] = st->index;
    }
    if (newest[0] != 0 && strcmp(st->index, newest)) {
        indices[ni++] = newest;
    }
    for (k = 0; k < LIVE_BATCH; k++) {
        snprintf(id, sizeof(id), "%s/%s/%lld", st->host, st->rec,
                 st->next_id + (long long)k);
        for (i = 0; i < ni; i++) {
            struct json_object *o = es_pair("_index",
                                         json_object_new_string(indices[i]));

            json_object_object_add(o, "_id", json_object_new_string(id));
            owner[json_object_array_length(docs)] = w;
            json_object_array_add(docs, o);
        }
    }
}

/*
 * The index of the newest message of the searched indices, into
 * l->newest, asked for once every LIVE_INDEX_MS: new messages go there,
 * whatever the indices are named (one index, daily ones, a rollover
 * series).  A search sees what Elasticsearch has refreshed (every second
 * by default): asking more often finds nothing newer.
 */
static void
find_newest(struct live *l, long long now)
{
    struct json_object *body, *a = NULL, *by;
    char err[512];

    if (l->newest_ms != 0 && now - l->newest_ms < LIVE_INDEX_MS) {
        return;
    }
    l->newest_ms = now;
    by = es_pair("order", json_object_new_string("desc"));
    json_object_object_add(by, "unmapped_type",
                           json_object_new_string("date"));
    body = es_pair("size", json_object_new_int(1));
    json_object_object_add(body, "sort", json_object_new_array());
    json_object_array_add(json_object_object_get(body, "sort"),
                          es_pair("time", by));
    json_object_object_add(body, "_source", json_object_new_boolean(0));
    json_object_object_add(body, "track_total_hits",
                           json_object_new_boolean(0));
    /* a failure leaves the last one known: the search of each stream
     * says what failed */
    if (store_search(l->store, body, &a, err, sizeof(err)) == 0) {
        live_walk_newest(a, l->newest, sizeof(l->newest));
    }
    json_object_put(body);
    json_object_put(a);
}

int
live_walk_newest(struct json_object *answer, char *index, size_t indexsz)
{
    struct json_object *o;

    if (!json_object_object_get_ex(answer, "hits", &o) ||
        !json_object_object_get_ex(o, "hits", &o) ||
        !json_object_is_type(o, json_type_array) ||
        json_object_array_length(o) == 0) {
        return -ENOENT;
    }
    snprintf(index, indexsz, "%s",
             str_of(json_object_array_get_idx(o, 0), "_index"));
    return 0;
}

/*
 * One realtime _mget of the ids after the last one of each of the n
 * streams work, by document id, for all of them at once: what it finds
 * goes to found[i] of work[i].
 */
static int
fetch_by_id(struct live *l, struct live_stream **work,
            struct live_found **found,
            int n, long long now, char *err, size_t errsz)
{
    int owner[LIVE_STREAMS_MAX * LIVE_BATCH * 2];
    struct json_object *docs = json_object_new_array(), *a = NULL, *o;
    size_t i, asked;
    int w, rc;

    find_newest(l, now);
    for (w = 0; w < n; w++) {
        ask_ids(work[w], l->newest, docs, owner, w);
    }
    asked = json_object_array_length(docs);
    if (asked == 0) {
        /* no index known yet: the searches find the first messages */
        json_object_put(docs);
        return 0;
    }
    o = es_pair("docs", docs);
    /* _mget is realtime: it sees documents not yet refreshed */
    rc = store_post(l->store, "_mget", o, &a, err, errsz);
    json_object_put(o);
    if (rc < 0) {
        return rc;
    }
    /* the answer keeps the order of the question */
    if (json_object_object_get_ex(a, "docs", &docs) &&
        json_object_is_type(docs, json_type_array)) {
        for (i = 0; i < json_object_array_length(docs) && i < asked; i++) {
            live_walk_doc(json_object_array_get_idx(docs, i),
                          &work[owner[i]]->want, work[owner[i]]->next_id,
                          found[owner[i]]);
        }
    }
    json_object_put(a);
    return 0;
}

/* A search for the ids from the next one on (refreshed documents only,
 * whatever their document id) */
static int
fetch_by_search(struct live *l, struct live_stream *st,
                struct live_found *f, long long *first, char *err,
                size_t errsz)
{
    struct json_object *fl = json_object_new_array(), *body, *a = NULL;
    struct json_object *t;
    int rc;

    json_object_array_add(fl, json_object_get(st->filter));
    json_object_array_add(fl, es_pair("term", es_pair("rec",
                          json_object_new_string(st->rec))));
    json_object_array_add(fl, es_pair("term", es_pair("host",
                          json_object_new_string(st->host))));
    t = es_pair("gte", json_object_new_int64(st->next_id));
    json_object_array_add(fl, es_pair("range", es_pair("id", t)));
    body = es_pair("query", es_pair("bool", es_pair("filter", fl)));
    json_object_object_add(body, "size", json_object_new_int(LIVE_BATCH));
    json_object_object_add(body, "sort", json_object_new_array());
    json_object_array_add(json_object_object_get(body, "sort"),
                          es_pair("id", es_pair("order",
                               json_object_new_string("asc"))));
    rc = store_search(l->store, body, &a, err, errsz);
    json_object_put(body);
    if (rc < 0) {
        return rc;
    }
    *first = live_walk_hits(a, &st->want, st->next_id, f);
    json_object_put(a);
    return 0;
}

long long
live_walk_hits(struct json_object *answer, const struct live_want *w,
               long long next, struct live_found *f)
{
    struct json_object *hits, *t, *src;
    long long id, first = -1;
    size_t i;

    if (json_object_object_get_ex(answer, "hits", &hits) &&
        json_object_object_get_ex(hits, "hits", &hits) &&
        json_object_is_type(hits, json_type_array)) {
        for (i = 0; i < json_object_array_length(hits); i++) {
            t = json_object_array_get_idx(hits, i);
            if (doc_of(w, t, &src, &id)) {
                if (first < 0) {
                    first = id;
                }
                live_walk_doc(t, w, next, f);
            }
        }
    }
    return first;
}

/* Append the messages found, in id order from the next one, to st's
 * waiting bytes (under the lock) */
static void
found_send(struct live_stream *st, struct live_found *f, long long now)
{
    size_t k;

    for (k = 0; k < LIVE_BATCH && f->msgs[k] != NULL; k++) {
        struct json_object *m = f->msgs[k], *x;
        const char *text;
        char head[64];
        bool end = json_object_object_get_ex(m, "x_tlog_end", &x);

        if (!st->with_input) {
            json_object_object_del(m, "in_txt");
            json_object_object_del(m, "in_bin");
        }
        text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN |
                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        snprintf(head, sizeof(head), "id: %lld\ndata: ",
                 st->next_id + (long long)k);
        stream_add(st, head, strlen(head));
        stream_add(st, text, strlen(text));
        stream_add(st, "\n\n", 2);
        snprintf(st->index, sizeof(st->index), "%s", f->index[k]);
        st->sent_ms = now;
        if (end) {
            stream_end(st, "recording-ended");
            k++;
            break;
        }
    }
    st->next_id += (long long)k;
}

void
live_found_release(struct live_found *f)
{
    size_t k;

    for (k = 0; k < LIVE_BATCH; k++) {
        json_object_put(f->msgs[k]);
    }
}

/* The rest of a round for st, whose _mget found f (rc: how it went) */
static void
poll_one(struct live *l, struct live_stream *st, struct live_found *f,
         int rc, const char *mget_err, long long now)
{
    bool search = st->searched_ms == 0 ||
                  now - st->searched_ms >= LIVE_SEARCH_MS;
    bool expired = false;
    long long first = -1;
    char err[512];

    snprintf(err, sizeof(err), "%s", mget_err);
    if (rc == 0 && search && f->msgs[0] == NULL) {
        rc = fetch_by_search(l, st, f, &first, err, sizeof(err));
        st->searched_ms = now;
        /* ids missing from the recording: go on from the next there is */
        if (rc == 0 && first > st->next_id) {
            live_found_release(f);
            memset(f, 0, sizeof(*f));
            st->next_id = first;
            rc = fetch_by_search(l, st, f, &first, err, sizeof(err));
        }
    }
    /* once per failure, not once per round */
    if (rc < 0 && !st->failing) {
        fprintf(stderr, "tlog-web: live %s on %s: %s (tried again every"
                " %d ms)\n", st->rec, st->host, err, LIVE_POLL_MS);
    }
    st->failing = rc < 0;
    if (now - st->checked_ms >= LIVE_KEEPALIVE_S * 1000) {
        struct session sess;

        st->checked_ms = now;
        expired = sessions_find(l->sessions, st->token, time(NULL), &sess,
                                err, sizeof(err)) == -ENOENT;
    }
    pthread_mutex_lock(&l->lock);
    found_send(st, f, now);
    if (expired) {
        stream_end(st, "session-ended");
    } else if (now - st->sent_ms >= LIVE_KEEPALIVE_S * 1000) {
        stream_add(st, ": keep-alive\n\n", 14);
        st->sent_ms = now;
    }
    pthread_mutex_unlock(&l->lock);
}

static void *
poller(void *arg)
{
    struct live *l = arg;
    struct live_stream *work[LIVE_STREAMS_MAX];
    struct live_found *found[LIVE_STREAMS_MAX];
    struct timespec until;
    int i, n;

    pthread_mutex_lock(&l->lock);
    while (!l->stopping) {
        /* free what libmicrohttpd let go of; take the others */
        for (i = n = 0; i < l->n; i++) {
            struct live_stream *st = l->streams[i];

            if (st->gone) {
                stream_free(st);
                continue;
            }
            l->streams[n++] = st;
        }
        l->n = n;
        for (i = n = 0; i < l->n; i++) {
            struct live_stream *st = l->streams[i];

            if (!st->done && st->len - st->off < LIVE_PENDING_MAX / 2) {
                work[n++] = st;
            }
        }
        pthread_mutex_unlock(&l->lock);
        if (n > 0) {
            long long now = now_ms();
            char err[512] = "";
            int rc;

            for (i = 0; i < n; i++) {
                found[i] = calloc(1, sizeof(*found[i]));
                if (found[i] == NULL) {
                    break;
                }
            }
            n = i;
            rc = fetch_by_id(l, work, found, n, now, err, sizeof(err));
            for (i = 0; i < n; i++) {
                poll_one(l, work[i], found[i], rc, err, now);
                live_found_release(found[i]);
                free(found[i]);
            }
        }
        pthread_mutex_lock(&l->lock);
        if (l->stopping) {
            break;
        }
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += LIVE_POLL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        /* a new stream wakes it early */
        pthread_cond_timedwait(&l->wake, &l->lock, &until);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

int
live_new(struct store *store, struct sessions *sessions, struct live **pl)
{
    struct live *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        return -ENOMEM;
    }
    l->store = store;
    l->sessions = sessions;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->wake, NULL);
    if (pthread_create(&l->thread, NULL, poller, l) != 0) {
        pthread_cond_destroy(&l->wake);
        pthread_mutex_destroy(&l->lock);
        free(l);
        return -EAGAIN;
    }
    l->running = true;
    *pl = l;
    return 0;
}

void
live_stop(struct live *l)
{
    int i, waited;

    if (l == NULL || !l->running) {
        return;
    }
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_cond_signal(&l->wake);
    for (i = 0; i < l->n; i++) {
        stream_end(l->streams[i], "server-stopping");
    }
    pthread_mutex_unlock(&l->lock);
    pthread_join(l->thread, NULL);
    l->running = false;
    /* let the resumed connections send their end before libmicrohttpd
     * is stopped and closes them */
    for (waited = 0; waited < LIVE_STOP_WAIT_MS; waited += 10) {
        struct timespec ts = { 0, 10 * 1000000L };
        int open = 0;

        pthread_mutex_lock(&l->lock);
        for (i = 0; i < l->n; i++) {
            open += !l->streams[i]->gone;
        }
        pthread_mutex_unlock(&l->lock);
        if (open == 0) {
            break;
        }
        nanosleep(&ts, NULL);
    }
}

void
live_free(struct live *l)
{
    int i;

    if (l == NULL) {
        return;
    }
    live_stop(l);
    for (i = 0; i < l->n; i++) {
        stream_free(l->streams[i]);
    }
    pthread_cond_destroy(&l->wake);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

int
live_open(struct live *l, struct MHD_Connection *con,
          const struct live_want *w, struct MHD_Response **pr)
{
    struct live_stream *st;
    struct MHD_Response *r;

    pthread_mutex_lock(&l->lock);
    if (l->n >= LIVE_STREAMS_MAX || l->stopping) {
        pthread_mutex_unlock(&l->lock);
        return -EBUSY;
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        pthread_mutex_unlock(&l->lock);
        return -ENOMEM;
    }
    st->l = l;
    st->con = con;
    snprintf(st->rec, sizeof(st->rec), "%s", w->rec);
    snprintf(st->host, sizeof(st->host), "%s", w->host);
    snprintf(st->token, sizeof(st->token), "%s", w->token);
    st->filter = json_object_get(w->filter);
    st->rules = w->rules;
    st->user = strdup(w->user);
    st->groups = strdup(w->groups);
    if (st->user == NULL || st->groups == NULL) {
        pthread_mutex_unlock(&l->lock);
        stream_free(st);
        return -ENOMEM;
    }
    st->want.rec = st->rec;
    st->want.host = st->host;
    st->want.rules = st->rules;
    st->want.user = st->user;
    st->want.groups = st->groups;
    st->with_input = w->with_input;
    st->next_id = w->from_id;
    st->sent_ms = st->checked_ms = now_ms();
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader,
                                          st, reader_done);
    if (r == NULL) {
        pthread_mutex_unlock(&l->lock);
        stream_free(st);
        return -ENOMEM;
    }
    l->streams[l->n++] = st;
    pthread_cond_signal(&l->wake);
    pthread_mutex_unlock(&l->lock);
    *pr = r;
    return 0;
}
