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

#endif
