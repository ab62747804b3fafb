/*
 * Where the player's packets come from.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "buf.h"
#include "dec.h"
#include "ending.h"
#include "es.h"
#include "esrec.h"
#include "reader.h"
#include "src.h"

/*
 * Documents asked for at once.  The first page is ES_PAGE_FIRST, so that
 * playing starts soon; the pages after it hold about ES_PAGE_BYTES, as
 * many documents as the last page's size per document says, from
 * ES_PAGE_FIRST up to ES_PAGE (Elasticsearch's default result window).
 * A page is decoded while the next is fetched, each into the buffer of
 * the page before the last: pages of a few megabytes keep reusing the
 * same memory, where larger ones would have the kernel clear fresh
 * pages for every answer (that was most of the time spent), and fewer
 * would ask Elasticsearch to run the query and sort again more often.
 */
#define ES_PAGE 10000
#define ES_PAGE_FIRST 1000
#define ES_PAGE_BYTES (4 << 20)

/* Most recordings one file may hold for listing them */
#define LIST_MAX 10000

/* Malformed lines named in the note about the lines skipped; each
 * named in at most SKIP_NOTE_MAX bytes */
#define SKIP_NOTES 8
#define SKIP_NOTE_MAX 320

/* Other senders' uids named in the note about skipped journal entries */
#define FOREIGN_UIDS 4
/* Longest user name taken for the journal sender */
#define SENDER_NAME_MAX 64
/* _UID of an entry without one (journald's own, the kernel's) */
#define NO_UID ((uint64_t)-1)

static bool header_field(const char *json, size_t len, const char *name,
                         char *out, size_t outsz);

/* The next page of an Elasticsearch answer, fetched by a thread of its
 * own while the current one plays */
struct ahead {
    pthread_t thread;
    bool running;
    struct es *es;              /* its own client: the page lives in it */
    char *body;
    int size;                   /* documents asked for */
    const uint8_t *page;
    size_t len;
    struct es_hit *hits;
    size_t nhits;
    int rc;
    char err[1024];
};

/*
 * Journal entries skipped because another uid than the sender's wrote
 * them.  Each pass over the journal (a rewind starts one) counts again;
 * the pass that read furthest counted them all.
 */
struct foreign {
    uint64_t count;             /* the most any pass counted */
    uint64_t pass;              /* counted in this pass */
    uint64_t uids[FOREIGN_UIDS];
    size_t nuids;
    bool more_uids;             /* others beyond uids[] */
};

/*
 * Lines skipped because they are not messages (--lax, or listing).  As
 * for foreign entries, the pass that read furthest counted them all.
 */
struct skipped {
    uint64_t count;
    uint64_t pass;
    char notes[SKIP_NOTES][SKIP_NOTE_MAX];
};

/* Messages as text, one at a time, from a file, the journal or
 * Elasticsearch */
struct lines {
    enum src_kind kind;
    struct reader *r;           /* SRC_FILE */
    sd_journal *j;              /* SRC_JOURNAL */
    struct es *es;              /* SRC_ES */
    struct es_conf es_conf;
    struct ahead ahead;
    int page_size;              /* documents to ask for next */
    int first_page;             /* documents in the first page */
    char *query;                /* the query object's JSON text: the
                                   query string, and the filter if any */
    const char *kw;             /* "" or ".keyword": where the keyword
                                   fields of the index are */
    bool count_recs;            /* the next page counts recordings too */
    size_t hit_bytes;           /* the last page's bytes per hit */
    size_t nrecs;               /* up to 2: the recordings and hosts */
    size_t nhosts;              /* the first page counted */
    const uint8_t *page;        /* the current answer's text */
    size_t page_len;
    struct es_hit *hits;        /* its hits */
    size_t nhits;
    size_t page_i;
    bool have_page;
    bool short_page;            /* the last page was not full */
    bool have_last;
    int64_t last_id;            /* sort value of the last hit taken */
    bool follow;
    uint64_t since_us;
    uint64_t until_us;          /* 0: no end */
    bool past_until;
    uid_t sender;               /* the journal: whose entries are read */
    char sender_name[SENDER_NAME_MAX + 1];
    char *rec;                  /* the recording chosen, or NULL: only
                                   skipped entries of it are counted */
    struct foreign foreign;
    struct skipped skipped;
    char where[512];
};

struct src {
    struct lines l;
    struct dec *d;
    bool lax;
    bool in_msg;            /* a message is being drained */
    struct msg check;       /* a line the decoder refused, parsed again */
    char *rec;              /* the recording played, once a message came */
    struct ending pass;     /* how the messages read in this pass end */
    struct ending final;    /* of the pass that read to the end */
    bool ended;             /* a pass read to the end */
};

static int
lines_open_file(struct lines *l, const char *path, char *err, size_t errsz)
{
    memset(l, 0, sizeof(*l));
    l->kind = SRC_FILE;
    return reader_open_file(path, &l->r, err, errsz);
}

static int
lines_seek(struct lines *l, char *err, size_t errsz)
{
    int rc = l->since_us ? sd_journal_seek_realtime_usec(l->j, l->since_us)
                         : sd_journal_seek_head(l->j);

    if (rc < 0) {
        snprintf(err, errsz, "cannot seek in the journal: %s", strerror(-rc));
    }
    l->past_until = false;
    l->foreign.pass = 0;
    return rc;
}

/* The uid whose journal entries are read, from a user name or a uid */
static int
sender_uid(struct lines *l, const char *sender, char *err, size_t errsz)
{
    struct passwd pw, *found = NULL;
    char buf[4096], *end;
    unsigned long n;
    int rc;

    if (sender == NULL || *sender == 0) {
        snprintf(err, errsz, "no journal sender: name the user whose"
                 " entries are played (the recording agent's)");
        return -EINVAL;
    }
    if (strlen(sender) > SENDER_NAME_MAX) {
        snprintf(err, errsz, "journal sender \"%.20s...\": longer than %d"
                 " characters", sender, SENDER_NAME_MAX);
        return -EINVAL;
    }
    snprintf(l->sender_name, sizeof(l->sender_name), "%s", sender);
    rc = getpwnam_r(sender, &pw, buf, sizeof(buf), &found);
    if (found != NULL) {
        l->sender = found->pw_uid;
        return 0;
    }
    errno = 0;
    n = strtoul(sender, &end, 10);
    if (*sender >= '0' && *sender <= '9' && *end == 0 && errno == 0 &&
        n < (uid_t)-1) {
        l->sender = (uid_t)n;
        return 0;
    }
    /* these say "no such user" too, depending on the NSS module */
    if (rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM) {
        rc = 0;
    }
    snprintf(err, errsz, "journal sender %s: %s (--journal-sender names"
             " the user whose entries are played)", sender,
             rc != 0 ? strerror(rc) : "no such user");
    return rc != 0 ? -rc : -ENOENT;
}

/* The uid the journal stamped the current entry with, or NO_UID */
static uint64_t
entry_uid(sd_journal *j)
{
    const void *d;
    size_t n, i;
    uint64_t uid = 0;

    if (sd_journal_get_data(j, "_UID", &d, &n) < 0 || n <= 5 || n > 15) {
        return NO_UID;
    }
    for (i = 5; i < n; i++) {
        char c = ((const char *)d)[i];

        if (c < '0' || c > '9') {
            return NO_UID;
        }
        uid = uid * 10 + (uint64_t)(c - '0');
    }
    return uid;
}

/* Whether the current entry says it belongs to recording rec: its
 * TLOG_REC field, or else the rec of its message */
static bool
entry_of(sd_journal *j, const char *rec)
{
    char r[MSG_FIELD_MAX + 1];
    const void *d;
    size_t n;

    if (sd_journal_get_data(j, "TLOG_REC", &d, &n) >= 0 && n >= 9) {
        return n - 9 == strlen(rec) && !memcmp((const char *)d + 9, rec,
                                              n - 9);
    }
    return sd_journal_get_data(j, "MESSAGE", &d, &n) >= 0 && n > 8 &&
           header_field((const char *)d + 8, n - 8, "rec", r, sizeof(r)) &&
           !strcmp(r, rec);
}

/* Count an entry skipped for coming from uid */
static void
foreign_add(struct foreign *f, uint64_t uid)
{
    size_t i;

    if (++f->pass > f->count) {
        f->count = f->pass;
    }
    for (i = 0; i < f->nuids && f->uids[i] != uid; i++) {
    }
    if (i == f->nuids) {
        if (f->nuids < FOREIGN_UIDS) {
            f->uids[f->nuids++] = uid;
        } else {
            f->more_uids = true;
        }
    }
}

/* Say how many entries were skipped, of whom; what is "for this
 * recording" or "" */
static bool
foreign_note(const struct foreign *f, const char *what, char *note,
             size_t notesz)
{
    size_t used, i;

    if (notesz > 0) {
        note[0] = 0;
    }
    if (f->count == 0 || notesz == 0) {
        return false;
    }
    used = (size_t)snprintf(note, notesz, "%" PRIu64 " journal %s%s came"
                            " from uid%s", f->count,
                            f->count == 1 ? "entry" : "entries", what,
                            f->nuids > 1 || f->more_uids ? "s" : "");
    for (i = 0; i < f->nuids && used < notesz; i++) {
        if (f->uids[i] == NO_UID) {
            used += (size_t)snprintf(note + used, notesz - used, "%s none"
                                     " (no _UID)", i ? "," : "");
        } else {
            used += (size_t)snprintf(note + used, notesz - used, "%s %"
                                     PRIu64, i ? "," : "", f->uids[i]);
        }
    }
    if (used < notesz) {
        snprintf(note + used, notesz - used, "%s, not the recording agent:"
                 " ignored", f->more_uids ? " and others" : "");
    }
    return true;
}

/* Count a line skipped; why says where and what is wrong with it */
static void
skipped_add(struct skipped *k, const char *why)
{
    if (++k->pass > k->count) {
        if (k->count < SKIP_NOTES) {
            snprintf(k->notes[k->count], SKIP_NOTE_MAX, "%s", why);
        }
        k->count = k->pass;
    }
}

/* Add a line per skipped line named, and how many more, to note; what
 * says what became of them */
static void
skipped_note(const struct skipped *k, const char *what, char *note,
             size_t notesz)
{
    size_t used = strlen(note);
    uint64_t i;

    for (i = 0; i < k->count && i < SKIP_NOTES && used < notesz; i++) {
        used += (size_t)snprintf(note + used, notesz - used, "%s%s: %s",
                                 used ? "\n" : "", k->notes[i], what);
    }
    if (k->count > SKIP_NOTES && used < notesz) {
        snprintf(note + used, notesz - used, "\n%" PRIu64 " more lines"
                 " skipped", k->count - SKIP_NOTES);
    }
}

static int
lines_open_journal(struct lines *l, const struct src_journal_conf *jc,
                   char *err, size_t errsz)
{
    const char *m = jc->matches ? jc->matches : "";
    char tok[1024];
    int rc;

    memset(l, 0, sizeof(*l));
    l->kind = SRC_JOURNAL;
    rc = sender_uid(l, jc->sender, err, errsz);
    if (rc < 0) {
        return rc;
    }
    rc = jc->ns && *jc->ns ?
         sd_journal_open_namespace(&l->j, jc->ns, 0) :
         sd_journal_open(&l->j, 0);
    if (rc < 0) {
        snprintf(err, errsz, "cannot open the journal%s%s: %s",
                 jc->ns && *jc->ns ? " namespace " : "",
                 jc->ns ? jc->ns : "", strerror(-rc));
        return rc;
    }
    /* FIELD=VALUE terms, joined by OR and AND as journalctl takes them */
    while (*m) {
        size_t n = strcspn(m, "\n");

        snprintf(tok, sizeof(tok), "%.*s", (int)n, m);
        m += n + (m[n] == '\n');
        if (!strcmp(tok, "OR")) {
            rc = sd_journal_add_disjunction(l->j);
        } else if (!strcmp(tok, "AND")) {
            rc = sd_journal_add_conjunction(l->j);
        } else if (strchr(tok, '=') == NULL || tok[0] == '=') {
            rc = -EINVAL;
        } else {
            rc = sd_journal_add_match(l->j, tok, 0);
        }
        if (rc < 0) {
            snprintf(err, errsz, "journal match \"%s\": %s (want FIELD=VALUE,"
                     " OR or AND)", tok, strerror(-rc));
            return rc;
        }
    }
    l->since_us = jc->since * 1000000ULL;
    l->until_us = jc->until * 1000000ULL;
    return lines_seek(l, err, errsz);
}

static int
lines_open_es(struct lines *l, const struct src_es_conf *ec, char *err,
              size_t errsz)
{
    struct es_conf conf = {
        .baseurl = ec->baseurl, .verbose = ec->verbose,
        .userpwd = ec->userpwd, .cacert = ec->cacert, .cert = ec->cert,
        .key = ec->key,
    };
    struct json_object *q;
    int rc;

    memset(l, 0, sizeof(*l));
    l->kind = SRC_ES;
    if (ec->query == NULL || *ec->query == 0) {
        snprintf(err, errsz, "no Elasticsearch query: give --es-query, for"
                 " example 'rec:\"ID\"'");
        return -EINVAL;
    }
    l->es_conf = conf;
    l->first_page = ec->first_page > 0 ? ec->first_page : ES_PAGE_FIRST;
    l->page_size = l->first_page;
    l->kw = "";
    rc = es_new(&conf, &l->es, err, errsz);
    if (rc == 0) {
        rc = es_new(&conf, &l->ahead.es, err, errsz);
    }
    if (rc < 0) {
        return rc;
    }
    q = json_object_new_string(ec->query);
    if (q == NULL) {
        return -ENOMEM;
    }
    /* the filter is taken as it is: Elasticsearch judges it */
    rc = ec->filter != NULL && *ec->filter ?
         asprintf(&l->query, "{\"bool\":{\"must\":{\"query_string\":{"
                  "\"query\":%s}},\"filter\":%s}}",
                  json_object_to_json_string(q), ec->filter) :
         asprintf(&l->query, "{\"query_string\":{\"query\":%s}}",
                  json_object_to_json_string(q));
    json_object_put(q);
    if (rc < 0) {
        l->query = NULL;
        return -ENOMEM;
    }
    return 0;
}

/*
 * The request for size documents after the one sorted at after.  With
 * count, it also asks how many recordings and hosts match (up to 2 of
 * each): counted in the same pass over the documents, it costs next to
 * nothing, where an aggregation of its own would run the query again.
 */
static char *
page_body(const struct lines *l, bool have_after, int64_t after, int size,
          bool count)
{
    char a[64] = "", aggs[256] = "";
    char *body;

    if (have_after) {
        snprintf(a, sizeof(a), ",\"search_after\":[%lld]", (long long)after);
    }
    if (count) {
        snprintf(aggs, sizeof(aggs), ",\"aggs\":{\"recs\":{\"terms\":{"
                 "\"field\":\"rec%s\",\"size\":2}},\"hosts\":{\"terms\":{"
                 "\"field\":\"host%s\",\"size\":2}}}", l->kw, l->kw);
    }
    if (asprintf(&body, "{\"query\":%s,"
                 "\"sort\":[{\"id\":{\"order\":\"asc\"}}],\"size\":%d,"
                 "\"track_total_hits\":false%s%s}", l->query, size, a,
                 aggs) < 0) {
        return NULL;
    }
    return body;
}

/* Whether err says a field is text, not keyword: it cannot be
 * aggregated, its .keyword field can */
static bool
text_field(const char *err)
{
    return strstr(err, "fielddata") != NULL ||
           strstr(err, "Text fields") != NULL;
}

/* Ask es; the page's text stays in es, its hits go to *hits */
static int
fetch_page(struct es *es, const char *body, const uint8_t **page,
           size_t *len, struct es_hit **hits, size_t *nhits, char *err,
           size_t errsz)
{
    int rc = es_search_raw(es, body, page, len, err, errsz);

    return rc < 0 ? rc : es_hits_parse(*page, *len, hits, nhits, err, errsz);
}

static void *
ahead_run(void *arg)
{
    struct ahead *a = arg;

    a->rc = fetch_page(a->es, a->body, &a->page, &a->len, &a->hits,
                       &a->nhits, a->err, sizeof(a->err));
    return NULL;
}

/* Make room in es for an answer of size hits like the last page's */
static void
expect(struct lines *l, struct es *es, int size)
{
    if (l->hit_bytes > 0) {
        es_expect(es, (size_t)size * (l->hit_bytes + l->hit_bytes / 16) +
                      65536);
    }
}

/* After a full page, start fetching the one after it */
static void
ahead_start(struct lines *l)
{
    struct ahead *a = &l->ahead;

    if (a->running || l->short_page || l->nhits == 0) {
        return;
    }
    a->size = l->page_size;
    es_take_choice(a->es, l->es);
    expect(l, a->es, a->size);
    a->body = page_body(l, true, l->hits[l->nhits - 1].sort, a->size, false);
    a->hits = NULL;
    a->nhits = 0;
    /* without a thread the page is fetched when it is needed */
    if (a->body != NULL &&
        pthread_create(&a->thread, NULL, ahead_run, a) == 0) {
        a->running = true;
    } else {
        free(a->body);
        a->body = NULL;
    }
}

/* Wait for the page being fetched ahead, and forget it */
static void
ahead_stop(struct lines *l)
{
    struct ahead *a = &l->ahead;

    if (a->running) {
        pthread_join(a->thread, NULL);
        a->running = false;
        free(a->hits);
        a->hits = NULL;
        free(a->body);
        a->body = NULL;
    }
}

/* The next page of hits after the last one taken: fetched ahead, when
 * the last page was full, or asked for now */
static int
es_fetch(struct lines *l, char *err, size_t errsz)
{
    struct ahead *a = &l->ahead;
    int size;
    int rc;

    free(l->hits);
    l->hits = NULL;
    l->nhits = 0;
    l->page_i = 0;
    l->have_page = false;
    if (a->running) {
        struct es *played = l->es;

        pthread_join(a->thread, NULL);
        a->running = false;
        free(a->body);
        a->body = NULL;
        /* the page fetched ahead becomes the current one, its client the
         * current client; the played page's client fetches the next */
        l->es = a->es;
        a->es = played;
        l->page = a->page;
        l->page_len = a->len;
        l->hits = a->hits;
        l->nhits = a->nhits;
        a->hits = NULL;
        size = a->size;
        rc = a->rc;
        if (rc < 0) {
            snprintf(err, errsz, "%s", a->err);
        }
    } else {
        char *body;

        size = l->page_size;
        expect(l, l->es, size);
        for (;;) {
            body = page_body(l, l->have_last, l->last_id, size,
                             l->count_recs);
            if (body == NULL) {
                snprintf(err, errsz, "out of memory asking Elasticsearch for"
                         " messages");
                return -ENOMEM;
            }
            rc = fetch_page(l->es, body, &l->page, &l->page_len, &l->hits,
                            &l->nhits, err, errsz);
            free(body);
            /* an index mapped dynamically has text fields, each with a
             * keyword field beside it */
            if (rc < 0 && l->count_recs && !*l->kw && text_field(err)) {
                l->kw = ".keyword";
                continue;
            }
            break;
        }
        if (rc == 0 && l->count_recs) {
            rc = es_agg_buckets(l->page, l->page_len, "recs", &l->nrecs,
                                err, errsz);
            if (rc == 0) {
                rc = es_agg_buckets(l->page, l->page_len, "hosts",
                                    &l->nhosts, err, errsz);
            }
            if (rc == -ENOENT) {
                /* not counted (a proxy's doing): the caller asks again */
                l->nrecs = l->nhosts = 2;
                rc = 0;
            }
            l->count_recs = false;
        }
    }
    if (rc < 0) {
        return rc;
    }
    l->have_page = true;
    l->short_page = l->nhits < (size_t)size;
    if (l->nhits > 0) {
        size_t n;

        l->hit_bytes = l->page_len / l->nhits;
        n = ES_PAGE_BYTES / (l->hit_bytes ? l->hit_bytes : 1);
        l->page_size = n < ES_PAGE_FIRST ? ES_PAGE_FIRST :
                       n > ES_PAGE ? ES_PAGE : (int)n;
    }
    ahead_start(l);
    return 0;
}

#define ES_WHERE "Elasticsearch document "

static int
es_next(struct lines *l, const char **json, size_t *len, const char **where,
        char *err, size_t errsz)
{
    size_t n;
    int rc;

    for (;;) {
        if (l->page_i < l->nhits) {
            const struct es_hit *h = &l->hits[l->page_i++];

            l->last_id = h->sort;
            l->have_last = true;
            /* (by hand: once per message, and printf is slow) */
            n = h->id_len < 200 ? h->id_len : 200;
            memcpy(l->where, ES_WHERE, sizeof(ES_WHERE) - 1);
            memcpy(l->where + sizeof(ES_WHERE) - 1, l->page + h->id_off, n);
            l->where[sizeof(ES_WHERE) - 1 + n] = '\0';
            /* the text Elasticsearch stored: the message as written */
            *json = (const char *)l->page + h->src_off;
            *len = h->src_len;
            *where = l->where;
            return 1;
        }
        /* a page that was not full was the end, unless following */
        if (l->have_page && l->short_page && !l->follow) {
            return 0;
        }
        rc = es_fetch(l, err, errsz);
        if (rc < 0) {
            return rc;
        }
        if (l->nhits == 0) {
            return 0;
        }
    }
}

static int
lines_next(struct lines *l, const char **json, size_t *len,
           const char **where, char *err, size_t errsz)
{
    const void *d;
    size_t n;
    uint64_t t, uid;
    char *cursor = NULL;
    int rc;

    switch (l->kind) {
    case SRC_FILE:
        return reader_read(l->r, json, len, where, err, errsz);
    case SRC_ES:
        return es_next(l, json, len, where, err, errsz);
    case SRC_JOURNAL:
        break;
    }
    for (;;) {
        if (l->past_until) {
            return 0;
        }
        rc = sd_journal_next(l->j);
        if (rc <= 0) {
            if (rc < 0) {
                snprintf(err, errsz, "cannot read the journal: %s",
                         strerror(-rc));
            }
            return rc;
        }
        if (l->until_us && sd_journal_get_realtime_usec(l->j, &t) >= 0 &&
            t > l->until_us) {
            l->past_until = true;
            return 0;
        }
        if (sd_journal_get_data(l->j, "MESSAGE", &d, &n) < 0 || n < 8) {
            continue;       /* an entry without a message: not ours */
        }
        /* Anyone can write to the journal, with any fields but those it
         * stamps itself: a recording is what the sender wrote */
        uid = entry_uid(l->j);
        if (uid != (uint64_t)l->sender) {
            if (l->rec == NULL || entry_of(l->j, l->rec)) {
                foreign_add(&l->foreign, uid);
            }
            continue;
        }
        sd_journal_get_cursor(l->j, &cursor);
        snprintf(l->where, sizeof(l->where), "journal entry %s",
                 cursor ? cursor : "?");
        free(cursor);
        *json = (const char *)d + 8;
        *len = n - 8;
        *where = l->where;
        return 1;
    }
}

static void
lines_close(struct lines *l)
{
    ahead_stop(l);
    es_free(l->ahead.es);
    es_free(l->es);
    free(l->query);
    free(l->hits);
    reader_free(l->r);
    if (l->j != NULL) {
        sd_journal_close(l->j);
    }
    free(l->rec);
    memset(l, 0, sizeof(*l));
}

struct rec_list {
    struct src_rec *v;
    size_t n;
};

void
src_recs_free(struct src_rec *recs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(recs[i].rec);
        free(recs[i].host);
        free(recs[i].user);
    }
    free(recs);
}

static void
list_free(struct rec_list *l)
{
    src_recs_free(l->v, l->n);
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
scan(struct lines *src, bool full, struct rec_list *l, char *err,
     size_t errsz)
{
    char rec[MSG_FIELD_MAX + 1], host[MSG_FIELD_MAX + 1];
    char user[MSG_FIELD_MAX + 1];
    struct msg m;
    const char *json, *where;
    char why[512];
    size_t len, i;
    int rc = 0;

    memset(l, 0, sizeof(*l));
    msg_init(&m);
    while (rc == 0 && (rc = lines_next(src, &json, &len, &where, err,
                                       errsz)) > 0) {
        bool light = !full &&
                     header_field(json, len, "rec", rec, sizeof(rec)) &&
                     header_field(json, len, "host", host, sizeof(host)) &&
                     header_field(json, len, "user", user, sizeof(user));

        if (!light) {
            rc = msg_parse(&m, json, len, why, sizeof(why));
            if (rc == -ENOMEM) {
                break;
            }
            if (rc < 0) {
                /* Not a message (a line cut short by a full disk, say):
                 * a listing leaves it out and says so, playing meets it
                 * in order and stops there, or skips it with --lax */
                if (full) {
                    char note[SKIP_NOTE_MAX];

                    snprintf(note, sizeof(note), "%.200s: %.100s", where,
                             why);
                    skipped_add(&src->skipped, note);
                }
                rc = 0;
                continue;
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
            struct src_rec *v;

            if (l->n == LIST_MAX) {
                snprintf(err, errsz, "%s: more than %d recordings", where,
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
            ending_init(&v[i].end);
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
        if (full) {
            ending_take(&l->v[i].end, m.id, json, len);
        }
        rc = 0;
    }
    msg_fini(&m);
    if (rc < 0) {
        list_free(l);
    }
    return rc;
}

/*
 * The recordings matching the query, from one aggregation: one bucket per
 * recording id (esrec.h).  The fields are keywords in the project's index
 * template; an index mapped dynamically has them as text with .keyword
 * beside, which is tried next.
 */
static int
es_scan(struct lines *src, struct rec_list *l, char *err, size_t errsz)
{
    static const char *const suffix[] = { "", ".keyword" };
    struct json_object *a = NULL, *aggs, *recs;
    int rc = -EIO, k;

    memset(l, 0, sizeof(*l));
    for (k = 0; k < 2; k++) {
        struct json_object *body = json_object_new_object(), *terms;
        char field[32];

        terms = json_object_new_object();
        recs = json_object_new_object();
        aggs = json_object_new_object();
        if (body == NULL || terms == NULL || recs == NULL || aggs == NULL) {
            json_object_put(body);
            json_object_put(terms);
            json_object_put(recs);
            json_object_put(aggs);
            snprintf(err, errsz, "out of memory listing the recordings in"
                     " Elasticsearch");
            return -ENOMEM;
        }
        snprintf(field, sizeof(field), "rec%s", suffix[k]);
        json_object_object_add(terms, "field", json_object_new_string(field));
        json_object_object_add(terms, "size", json_object_new_int(LIST_MAX));
        json_object_object_add(recs, "terms", terms);
        json_object_object_add(recs, "aggs", esrec_aggs(suffix[k]));
        json_object_object_add(aggs, "recs", recs);
        json_object_object_add(body, "size", json_object_new_int(0));
        json_object_object_add(body, "query",
                               json_tokener_parse(src->query));
        json_object_object_add(body, "aggs", aggs);
        rc = es_search(src->es, json_object_to_json_string_ext(body,
                       JSON_C_TO_STRING_PLAIN), &a, err, errsz);
        json_object_put(body);
        /* text fields cannot be aggregated: try their keyword fields */
        if (rc == 0 || k == 1 || !text_field(err)) {
            break;
        }
    }
    if (rc < 0) {
        return rc;
    }
    rc = esrec_list(a, &l->v, &l->n, err, errsz);
    json_object_put(a);
    return rc;
}

void
src_rec_print(FILE *out, const struct src_rec *v)
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
            "  messages %" PRIu64 "  end %s\n", v->rec, v->user, v->host,
            v->session, when, s / 3600, s / 60 % 60, s % 60, v->messages,
            ending_field(&v->end));
}

int
src_list(const struct src_conf *conf, struct src_rec **recs, size_t *n,
         char *note, size_t notesz, char *err, size_t errsz)
{
    struct lines src;
    struct rec_list l;
    int rc = -EINVAL;

    memset(&src, 0, sizeof(src));

    if (notesz > 0) {
        note[0] = 0;
    }
    switch (conf->kind) {
    case SRC_FILE:
        rc = lines_open_file(&src, conf->file.path, err, errsz);
        break;
    case SRC_JOURNAL:
        rc = lines_open_journal(&src, &conf->journal, err, errsz);
        break;
    case SRC_ES:
        rc = lines_open_es(&src, &conf->es, err, errsz);
        break;
    }
    if (rc == 0) {
        rc = src.kind == SRC_ES ? es_scan(&src, &l, err, errsz) :
                                  scan(&src, true, &l, err, errsz);
    }
    foreign_note(&src.foreign, "", note, notesz);
    skipped_note(&src.skipped, "not a message, left out", note, notesz);
    lines_close(&src);
    if (rc < 0) {
        return rc;
    }
    *recs = l.v;
    *n = l.n;
    return 0;
}

/*
 * Check the source before playing: several recordings need a choice
 * (hint says how to make it), and a chosen one must be there.  The id of
 * the one recording there is, if any, goes to *chosen (the caller frees
 * it) when chosen is not NULL.
 */
static int
choose(struct lines *src, const char *name, const char *match,
       const char *hint, char **chosen, char *err, size_t errsz)
{
    struct rec_list l;
    size_t i;
    int rc = src->kind == SRC_ES ? es_scan(src, &l, err, errsz) :
                                   scan(src, false, &l, err, errsz);

    if (rc < 0) {
        return rc;
    }
    if (l.n == 0 && src->kind == SRC_ES) {
        snprintf(err, errsz, "%s matches no messages", name);
        rc = -ENOENT;
    } else if (l.n == 0 && src->foreign.count > 0) {
        char note[512];
        int n = snprintf(err, errsz, "%s holds no entries from the recording"
                         " agent (%s, uid %lu); ", name, src->sender_name,
                         (unsigned long)src->sender);

        foreign_note(&src->foreign, "", note, sizeof(note));
        if (n >= 0 && (size_t)n < errsz) {
            snprintf(err + n, errsz - (size_t)n, "%s (--journal-sender names"
                     " the user whose entries are played)", note);
        }
        rc = -ENOENT;
    } else if ((match == NULL || !*match) && l.n > 1) {
        size_t used = (size_t)snprintf(err, errsz, "%s holds %zu recordings;"
                                       " choose one with %s:", name, l.n,
                                       hint);

        for (i = 0; i < l.n && used < errsz; i++) {
            used += (size_t)snprintf(err + used, errsz - used, "\n  %s (user"
                                     " %s, host %s, %" PRIu64 " messages)",
                                     l.v[i].rec, l.v[i].user, l.v[i].host,
                                     l.v[i].messages);
        }
        rc = -EINVAL;
    } else if (match && *match) {
        for (i = 0; i < l.n && strcmp(l.v[i].rec, match); i++) {
        }
        if (i == l.n) {
            snprintf(err, errsz, "%s holds no recording %s (--list shows"
                     " what it holds)", name, match);
            rc = -ENOENT;
        }
    }
    if (rc == 0 && chosen != NULL && l.n == 1) {
        *chosen = strdup(l.v[0].rec);
        if (*chosen == NULL) {
            snprintf(err, errsz, "out of memory choosing the recording");
            rc = -ENOMEM;
        }
    }
    list_free(&l);
    return rc;
}

static int
src_start(struct src *s, const char *match, bool lax, struct src **ps,
          char *err, size_t errsz)
{
    int rc = dec_new(lax, &s->d);

    s->lax = lax;
    msg_init(&s->check);
    ending_init(&s->pass);

    if (rc == 0) {
        rc = dec_set_match(s->d, match);
    }
    if (rc < 0) {
        snprintf(err, errsz, "cannot set up the decoder: %s", strerror(-rc));
        src_free(s);
        return rc;
    }
    *ps = s;
    return 0;
}

static int
open_file(const char *path, const char *match, bool lax, struct src **ps,
          char *err, size_t errsz)
{
    struct src *s = calloc(1, sizeof(*s));
    struct lines pre;
    int rc;

    if (s == NULL) {
        snprintf(err, errsz, "out of memory opening %s", path);
        return -ENOMEM;
    }
    /* A file is read once first; standard input cannot be read twice,
     * and there the decoder stops at a second recording */
    if (strcmp(path, "-") != 0) {
        rc = lines_open_file(&pre, path, err, errsz);
        if (rc == 0) {
            rc = choose(&pre, path, match, "-m/--file-match", NULL, err,
                        errsz);
        }
        lines_close(&pre);
        if (rc < 0) {
            free(s);
            return rc;
        }
    }
    rc = lines_open_file(&s->l, path, err, errsz);
    if (rc < 0) {
        src_free(s);
        return rc;
    }
    return src_start(s, match, lax, ps, err, errsz);
}

static int
open_journal(const struct src_journal_conf *jc, bool lax, struct src **ps,
             char *err, size_t errsz)
{
    struct src *s = calloc(1, sizeof(*s));
    int rc;

    if (s == NULL) {
        snprintf(err, errsz, "out of memory opening the journal");
        return -ENOMEM;
    }
    rc = lines_open_journal(&s->l, jc, err, errsz);
    if (rc == 0) {
        rc = choose(&s->l, "the journal match", NULL,
                    "-M TLOG_REC=ID", &s->l.rec, err, errsz);
    }
    if (rc == 0) {
        /* from now on, count the entries skipped of this recording only */
        memset(&s->l.foreign, 0, sizeof(s->l.foreign));
        rc = lines_seek(&s->l, err, errsz);
    }
    if (rc < 0) {
        src_free(s);
        return rc;
    }
    return src_start(s, NULL, lax, ps, err, errsz);
}

static int
open_es(const struct src_es_conf *ec, bool lax, struct src **ps, char *err,
        size_t errsz)
{
    struct src *s = calloc(1, sizeof(*s));
    int rc;

    if (s == NULL) {
        snprintf(err, errsz, "out of memory opening Elasticsearch");
        return -ENOMEM;
    }
    rc = lines_open_es(&s->l, ec, err, errsz);
    /* The first page says how many recordings and hosts match: one of
     * each needs no more proof; otherwise the aggregation that lists
     * them says which */
    if (rc == 0) {
        s->l.count_recs = true;
        rc = es_fetch(&s->l, err, errsz);
    }
    if (rc == 0 && s->l.nhits == 0) {
        snprintf(err, errsz, "the Elasticsearch query matches no messages");
        rc = -ENOENT;
    }
    if (rc == 0 && (s->l.nrecs > 1 || s->l.nhosts > 1)) {
        /* The aggregation gets a client of its own: the first page stays
         * where it is, and the next one is being fetched meanwhile */
        struct es *page_es = s->l.es;
        struct es *agg = NULL;

        rc = es_new(&s->l.es_conf, &agg, err, errsz);
        if (rc == 0) {
            es_take_choice(agg, page_es);
            s->l.es = agg;
            rc = choose(&s->l, "the Elasticsearch query", NULL,
                        "a query naming one rec", NULL, err, errsz);
            s->l.es = page_es;
            es_free(agg);
        }
    }
    if (rc < 0) {
        src_free(s);
        return rc;
    }
    return src_start(s, NULL, lax, ps, err, errsz);
}

int
src_open(const struct src_conf *conf, struct src **ps, char *err,
         size_t errsz)
{
    switch (conf->kind) {
    case SRC_FILE:
        return open_file(conf->file.path, conf->file.match, conf->lax, ps,
                         err, errsz);
    case SRC_JOURNAL:
        return open_journal(&conf->journal, conf->lax, ps, err, errsz);
    case SRC_ES:
        return open_es(&conf->es, conf->lax, ps, err, errsz);
    }
    snprintf(err, errsz, "unknown kind of recording source %d",
             (int)conf->kind);
    return -EINVAL;
}

void
src_follow(struct src *s, bool follow)
{
    s->l.follow = follow;
    if (s->l.kind == SRC_FILE) {
        reader_follow(s->l.r, follow);
    }
}

/*
 * The decoder refused a line (err says why, rc is its value).  A line
 * that is no message at all is skipped under --lax; without it, the
 * error says how to go on, and a last line without its newline is
 * called what it most likely is: cut short as it was written.  Returns
 * 0 to go on, or the error.
 */
static int
refused(struct src *s, const char *json, size_t len, const char *where,
        int rc, char *err, size_t errsz)
{
    char why[SKIP_NOTE_MAX];
    bool cut = s->l.kind == SRC_FILE && reader_cut(s->l.r);
    size_t n;

    if (rc == -ENOMEM || msg_parse(&s->check, json, len, why,
                                   sizeof(why)) == 0) {
        return rc;      /* a message, refused for its place or content */
    }
    if (s->lax) {
        char note[SKIP_NOTE_MAX];

        snprintf(note, sizeof(note), "%.200s: %s%.100s", where,
                 cut ? "cut short: " : "", why);
        skipped_add(&s->l.skipped, note);
        return 0;
    }
    if (cut) {
        snprintf(err, errsz, "%s: the last line is cut short (%s): its"
                 " writer stopped in the middle of it, as at a full disk;"
                 " what came before it played (use --lax to skip it)",
                 where, why);
        return rc;
    }
    n = strlen(err);
    if (n < errsz) {
        snprintf(err + n, errsz - n, " (not a message; --lax skips it)");
    }
    return rc;
}

/* Keep the id of the recording played, once its first message came */
static int
taken(struct src *s)
{
    if (s->rec == NULL) {
        s->rec = strdup((const char *)dec_msg(s->d)->rec.data);
        if (s->rec == NULL) {
            return -ENOMEM;
        }
    }
    return 0;
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
        rc = lines_next(&s->l, &json, &len, &where, err, errsz);
        if (rc == 0 && !s->l.follow) {
            s->final = s->pass;
            s->ended = true;
        }
        if (rc <= 0) {
            return rc;
        }
        rc = dec_feed(s->d, json, len, where, err, errsz);
        if (rc < 0) {
            rc = refused(s, json, len, where, rc, err, errsz);
            if (rc == 0) {
                continue;
            }
            return rc;
        }
        s->in_msg = rc == 0;    /* 1: another recording's, skipped */
        if (rc == 0) {
            rc = taken(s);
            if (rc < 0) {
                snprintf(err, errsz, "%s: out of memory keeping the"
                         " recording's id", where);
                return rc;
            }
            ending_take(&s->pass, dec_msg(s->d)->id, json, len);
        }
    }
}

int
src_rewind(struct src *s, char *err, size_t errsz)
{
    int rc = 0;

    switch (s->l.kind) {
    case SRC_FILE:
        rc = reader_rewind(s->l.r, err, errsz);
        break;
    case SRC_ES:
        ahead_stop(&s->l);
        s->l.page_size = s->l.first_page;
        free(s->l.hits);
        s->l.hits = NULL;
        s->l.nhits = 0;
        s->l.page_i = 0;
        s->l.have_page = false;
        s->l.have_last = false;
        s->l.short_page = false;
        break;
    case SRC_JOURNAL:
        rc = lines_seek(&s->l, err, errsz);
        break;
    }

    if (rc == 0) {
        dec_reset(s->d);
        s->in_msg = false;
        ending_init(&s->pass);
        s->l.skipped.pass = 0;
    }
    return rc;
}

int
src_wait_fd(struct src *s)
{
    switch (s->l.kind) {
    case SRC_FILE:
        return reader_wait_fd(s->l.r);
    case SRC_JOURNAL:
        return sd_journal_get_fd(s->l.j);
    case SRC_ES:
        break;
    }
    return -1;      /* polled: Elasticsearch has nothing to wait on */
}

void
src_waited(struct src *s)
{
    switch (s->l.kind) {
    case SRC_FILE:
        reader_waited(s->l.r);
        break;
    case SRC_JOURNAL:
        sd_journal_process(s->l.j);
        break;
    case SRC_ES:
        break;
    }
}

bool
src_note(const struct src *s, char *note, size_t notesz)
{
    size_t n;

    foreign_note(&s->l.foreign, " for this recording", note, notesz);
    skipped_note(&s->l.skipped, "skipped (--lax)", note, notesz);
    n = strlen(note);
    if (s->ended && n + 1 < notesz) {
        if (n > 0) {
            note[n++] = '\n';
            note[n] = 0;
        }
        if (!ending_note(&s->final, s->rec ? s->rec : "?", note + n,
                         notesz - n) && n > 0) {
            note[n - 1] = 0;
        }
    }
    return note[0] != 0;
}

bool
src_cut_short(const struct src *s)
{
    return s->ended && s->final.started && !ending_complete(&s->final);
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
    lines_close(&s->l);
    dec_free(s->d);
    msg_fini(&s->check);
    free(s->rec);
    free(s);
}
