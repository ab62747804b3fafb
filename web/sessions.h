/*
 * Auditors' sessions: a random token in the browser's cookie, its
 * SHA-256 hash here, with the auditor, the auditor's groups and a
 * second random token the page must send back on every state-changing
 * request (CSRF).  A session ends after an idle time and after an
 * absolute time, whichever comes first.
 *
 * Sessions live in an Elasticsearch index, one document per session
 * whose id is the hex SHA-256 of the token, so that every instance behind
 * a load balancer knows them; each instance keeps what it read for a few
 * seconds (the cache time), which is how late it learns of a logout
 * elsewhere.  Without a store they live in this process's memory only.
 */
#ifndef SESSIONS_H
#define SESSIONS_H

#include <stddef.h>
#include <time.h>

#include "store.h"

/* Random bytes of a token; a token is written as twice as many hex digits */
#define SESSIONS_TOKEN_BYTES 32
#define SESSIONS_TOKEN_LEN (2 * SESSIONS_TOKEN_BYTES)
/* Most sessions held; a new one past it pushes out the least recently used */
#define SESSIONS_MAX 4096
/* Longest auditor name and newline-joined group list kept */
#define SESSIONS_USER_MAX 256
#define SESSIONS_GROUPS_MAX 4096
/* A session's document id in the store: the hex digest of its token */
#define SESSIONS_ID_LEN 64

struct sessions;

/* A session as seen by a request (a copy) */
struct session {
    char user[SESSIONS_USER_MAX];
    char groups[SESSIONS_GROUPS_MAX];      /* newline-joined */
    char csrf[SESSIONS_TOKEN_LEN + 1];
    time_t created;
    time_t last;
};

/*
 * Sessions that end idle seconds after their last use and absolute
 * seconds after their start, kept in index of store (NULL: in memory),
 * read again from it when cache seconds old.  store and index must
 * outlive them.  0 or -ENOMEM.
 */
int sessions_new(long idle, long absolute, struct store *store,
                 const char *index, long cache, struct sessions **ps);

/* sessions_free(NULL) does nothing */
void sessions_free(struct sessions *s);

/*
 * Start a session for user with groups (newline-joined) at now.  Its
 * token goes to token and its CSRF token to csrf (each
 * SESSIONS_TOKEN_LEN + 1 bytes).  0, -ENAMETOOLONG, the error of
 * getrandom(), or -EIO when the store did not take it (err says why).
 */
int sessions_create(struct sessions *s, const char *user,
                    const char *groups, time_t now, char *token,
                    char *csrf, char *err, size_t errsz);

/*
 * Find the session of token at now and mark it used: a copy in *out.
 * Returns 0, -ENOENT for no such session or one that has ended, or -EIO
 * when the store does not answer (err says why).
 */
int sessions_find(struct sessions *s, const char *token, time_t now,
                  struct session *out, char *err, size_t errsz);

/* End the session of token; 0, -ENOENT or -EIO (err says why) */
int sessions_remove(struct sessions *s, const char *token, char *err,
                    size_t errsz);

/* Write n random bytes as 2n hex digits and a NUL into out;
 * 0 or a negative errno value */
int sessions_random_hex(char *out, size_t n);

/*
 * The walks over the store's answers, apart from the requests so that
 * they run without a store.  Each reads answer (owned by the caller;
 * NULL or any JSON is walked without harm).
 *
 * sessions_walk_doc(): the session of an _mget answer for one id, into
 * *out; 0, or -ENOENT when the answer holds no complete session (*out
 * left alone).
 */
int sessions_walk_doc(struct json_object *answer, struct session *out);

/* How many deletes of a _bulk answer found their document */
size_t sessions_walk_deleted(struct json_object *answer);

/*
 * The document ids (SESSIONS_ID_LEN long) of a search answer's hits,
 * at most max, into ids; pointers into answer, valid while it is.
 * Returns how many.
 */
size_t sessions_walk_ids(struct json_object *answer, const char **ids,
                         size_t max);

#endif
