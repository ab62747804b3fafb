/*
 * Recordings as the API shows them: search, one recording's facts, its
 * messages.  Every request carries the caller's visibility filter (from
 * rules.h) inside the Elasticsearch query.
 */
#ifndef RECS_H
#define RECS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* Most recordings a search considers, and returns in one page */
#define RECS_SEARCH_MAX 1000
#define RECS_PAGE_MAX 100
/* Most messages returned at once */
#define RECS_MESSAGES_MAX 1000

/* A recording without its end message is running if its last message is
 * this recent */
#define RECS_LIVE_SECONDS 600

/* What a search's recordings are sorted by */
enum recs_sort {
    RECS_SORT_START,        /* the default, newest first */
    RECS_SORT_USER,
    RECS_SORT_HOST,
    RECS_SORT_DURATION,
    RECS_SORT_GAPS,         /* messages missing, then no clean end, then
                               neither */
    RECS_SORT_LIVE,         /* running or not */
};

/* A search; NULL or -1 for criteria not given */
struct recs_query {
    const char *user;       /* wildcard pattern on the recorded user */
    const char *host;       /* wildcard pattern on the host */
    const char *shown;      /* a phrase of output text */
    const char *typed;      /* a phrase of input text */
    long long from;         /* seconds since the epoch: messages from */
    long long to;           /* ... up to */
    size_t offset;          /* first result of the page */
    size_t size;            /* results in the page */
    enum recs_sort sort;    /* with ascending: other than the start, or
                               with live, the newest RECS_SEARCH_MAX
                               matching are sorted and paged here */
    bool ascending;
    bool live;              /* running ones only (RECS_LIVE_SECONDS) */
    struct json_object *also;   /* another filter clause, or NULL
                                   (cmdsearch.h); not taken */
};

/*
 * Search the recordings visible through filter; typed text is matched
 * only in those visible through input_filter.  Stores
 * {"total": N, "offset": N, "recordings": [...]} (the caller owns it) in
 * *result; each recording says whether it is running ("live").
 * 0 or a negative errno value with err saying why.
 */
int recs_search(struct store *s, struct json_object *filter,
                struct json_object *input_filter, const struct recs_query *q,
                struct json_object **result, char *err, size_t errsz);

/*
 * The facts of recording rec if visible through filter, in *result
 * (owned by the caller).  -ENOENT when it is not there or not visible:
 * the two are one answer.
 */
int recs_get(struct store *s, struct json_object *filter, const char *rec,
             struct json_object **result, char *err, size_t errsz);

/*
 * Whether recording rec is visible through filter (without counting
 * anything else): 1, 0, or a negative errno value.
 */
int recs_visible(struct store *s, struct json_object *filter,
                 const char *rec, char *err, size_t errsz);

/*
 * Up to size messages of rec from message id from_id on, in id order,
 * if visible through filter; typed input (in_txt, in_bin) left out
 * unless with_input.  {"messages": [...]} in *result.  -ENOENT as
 * recs_get().
 */
int recs_messages(struct store *s, struct json_object *filter,
                  const char *rec, long long from_id, size_t size,
                  bool with_input, struct json_object **result, char *err,
                  size_t errsz);

/*
 * The walks over Elasticsearch's answers, apart from the requests so
 * that they run without a store (answer and b owned by the caller; any
 * JSON is walked without harm).
 *
 * recs_walk_bucket(): the recording a bucket of the recordings'
 * aggregation describes, as recs_get() answers it, running or not at
 * now (ms since the epoch): a new object owned by the caller, or NULL
 * when out of memory.
 */
struct json_object *recs_walk_bucket(struct json_object *b, long long now);

/* The _source of each hit of a search answer, in order: a new array
 * owned by the caller (NULL when out of memory) */
struct json_object *recs_walk_messages(struct json_object *answer);

#endif
