/*
 * Recordings as one Elasticsearch aggregation lists them: a terms bucket
 * per recording id carrying the aggregations esrec_aggs() makes, read
 * back into a struct src_rec by esrec_read().  tlog-play's listing
 * (src_list()) and tlog-web's search both ask this way.
 */
#ifndef ESREC_H
#define ESREC_H

#include <json-c/json.h>

#include "src.h"

/*
 * The aggregations to put under the per-recording bucket ("aggs" of a
 * terms aggregation on rec): host, user, session, start (lowest time),
 * first and end (lowest and highest position), minid and maxid, and
 * last (the x_tlog_end of the highest id).  kw is "" or ".keyword",
 * where the keyword fields of the index are.  A new object owned by
 * the caller, or NULL when out of memory.
 */
struct json_object *esrec_aggs(const char *kw);

/*
 * The recording bucket b describes, into *v (its strings malloc'ed: free
 * them with src_recs_free() of the array v is in): rec, host, user,
 * session, start_ms, first_pos, end_pos, messages and how it ends (its
 * ids run from 1 without a gap when the lowest is 1 and it has as many
 * documents as ids; its last document says whether it is an end
 * message).  0 or -ENOMEM.
 */
int esrec_read(struct json_object *b, struct src_rec *v);

/*
 * The recordings of a search answer that asked for a terms aggregation
 * named "recs" with esrec_aggs() under it: each bucket read by
 * esrec_read().  Stores a malloc'ed array, freed with src_recs_free(),
 * in *recs and its length in *n.  0, -EIO when the answer has no such
 * aggregation, or -ENOMEM, with err saying so; nothing stored then.
 */
int esrec_list(struct json_object *answer, struct src_rec **recs, size_t *n,
               char *err, size_t errsz);

#endif
