/*
 * Following running recordings: each open stream answers Server-Sent
 * Events on a suspended libmicrohttpd connection, and one thread of its
 * own polls Elasticsearch for every stream, appends what came and
 * resumes the connections that have something to send.  No pool thread
 * of the server waits for a recording.
 *
 * New messages are fetched by document id ("HOST/REC/ID", as the
 * rsyslog configuration writes them) with a realtime _mget, which sees a
 * document as soon as it is indexed, in the index of the last message
 * seen and in the index of the newest message of all those searched
 * (es.index), whatever their names; every LIVE_SEARCH_MS a search for the
 * ids past the last one also finds documents indexed under other ids
 * (once Elasticsearch has refreshed).
 */
#ifndef LIVE_H
#define LIVE_H

#include <json-c/json.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "rules.h"
#include "sessions.h"
#include "store.h"

/* Most streams open at once; one more is refused */
#define LIVE_STREAMS_MAX 64
/* How often the ids after the last one are asked for, and how often a
 * search looks past them */
#define LIVE_POLL_MS 200
#define LIVE_SEARCH_MS 3000
/* A comment line goes out after this long without anything else; the
 * auditor's session is checked as often */
#define LIVE_KEEPALIVE_S 15
/* Most messages asked for in one round */
#define LIVE_BATCH 32
/* Most bytes waiting for a slow client; fetching pauses past half */
#define LIVE_PENDING_MAX (4 << 20)
/* How often the index of the newest message is asked for */
#define LIVE_INDEX_MS 1000
/* Longest index name kept */
#define LIVE_INDEX_MAX 256
/* Largest message id followed (ids past it are not messages of a
 * recording: counting on from them would overflow) */
#define LIVE_ID_MAX (INT64_MAX - 4 * LIVE_BATCH)

struct live;

/* What one stream follows */
struct live_want {
    const char *rec;            /* the recording and its host */
    const char *host;
    const char *token;          /* the auditor's session token */
    struct json_object *filter; /* the auditor's rule filter (a reference
                                   is taken) */
    const struct rules *rules;  /* the rules it comes from (kept: they
                                   outlive the streams), the auditor and
                                   groups (copied) */
    const char *user;
    const char *groups;
    long long from_id;          /* first message id sent */
    bool with_input;            /* typed input kept in the messages */
};

/*
 * Streams read from store, ended when their session is no longer found
 * in sessions (both must outlive the streams).  Starts the polling
 * thread; stores the streams in *pl.  0 or a negative errno value.
 */
int live_new(struct store *store, struct sessions *sessions,
             struct live **pl);

/*
 * End every stream and the polling thread, resuming the suspended
 * connections so that libmicrohttpd can close them: call before
 * MHD_stop_daemon(), and live_free() after it.  live_stop(NULL) does
 * nothing.
 */
void live_stop(struct live *l);

/* live_free(NULL) does nothing */
void live_free(struct live *l);

/*
 * A stream of w on connection con (whose server allows suspending): the
 * response to queue in *pr (the caller destroys its reference after
 * queueing).  0, -EBUSY with LIVE_STREAMS_MAX streams open, -ENOMEM.
 */
int live_open(struct live *l, struct MHD_Connection *con,
              const struct live_want *w, struct MHD_Response **pr);

/*
 * The walks over Elasticsearch's answers, apart from the requests so
 * that they run without a store.  Each reads answer or doc (owned by the
 * caller; any JSON is walked without harm).
 */

/* What one round found for a stream: the _source of its message id
 * next + k in msgs[k] (a reference, or NULL), from index index[k] */
struct live_found {
    struct json_object *msgs[LIVE_BATCH];
    char index[LIVE_BATCH][LIVE_INDEX_MAX];
};

/* Release the references of f (its members then dangle) */
void live_found_release(struct live_found *f);

/*
 * The index of the first hit of a search answer, into index (indexsz
 * bytes, cut to fit).  0, or -ENOENT when it has no hit (index left
 * alone).
 */
int live_walk_newest(struct json_object *answer, char *index,
                     size_t indexsz);

/*
 * Keep doc (an _mget doc or a search hit) in f when it is a message of
 * w's recording (rec, host) that w's rules let its auditor (user,
 * groups) follow, its id from next to next + LIVE_BATCH - 1, and f has
 * none of that id yet.
 */
void live_walk_doc(struct json_object *doc, const struct live_want *w,
                   long long next, struct live_found *f);

/*
 * live_walk_doc() for each hit of a search answer.  Returns the id of the
 * first hit that is such a message (of any id up to LIVE_ID_MAX), or -1.
 */
long long live_walk_hits(struct json_object *answer,
                         const struct live_want *w, long long next,
                         struct live_found *f);

#endif
