/*
 * The spool: messages of one recording that its writer could not take
 * yet, kept on disk until it can, across the end of the recording and
 * the death of the process that wrote them.
 *
 * One file per recording, DIR/REC.spool, mode 0600.  Its first part is a
 * header the recording process keeps current through a shared mapping
 * (no system call per message): who is recorded, the highest message id
 * made and the highest one written or spooled, and which records are
 * still to be delivered.  The records follow: id, length, the message.
 *
 * The recording process holds an exclusive lock on its file for its
 * whole life.  A file whose lock is free belongs to nobody: whoever
 * takes the lock (the agent's courier) delivers what it holds and, if
 * the recording never ended, writes the end message that says so.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Default bound of every spool file in a directory together, in bytes */
#define SPOOL_MAX_DEFAULT (1024ULL * 1024 * 1024)

/* Who a spool file is of */
struct spool_ident {
    const char *rec;
    const char *user;
    unsigned int session;
    const char *head;           /* the messages' start: {"ver":...,"id": */
    size_t head_len;
    uint64_t real_start_ms;     /* wall-clock time of position 0 */
    struct timespec start;      /* monotonic time of position 0 */
};

struct spool;

/*
 * Make the spool file of a recording in dir, locked for this process,
 * whose files together may hold max bytes.  Stores it in *ps.  Returns 0
 * or a negative errno value with err naming the file and what to check.
 */
int spool_create(const char *dir, const struct spool_ident *id,
                 uint64_t max, struct spool **ps, char *err, size_t errsz);

/*
 * Take the spool file path if its recording process is gone.  Returns 0,
 * -EWOULDBLOCK while that process lives, or another negative errno value
 * with err filled (a file that is no spool: -EINVAL).
 */
int spool_adopt(const char *path, struct spool **ps, char *err, size_t errsz);

/* Add a message at the end.  0, or -ENOSPC when the bound (unless
 * last: the recording's last message may pass it) or the disk is full,
 * or another negative errno value; nothing is half added */
int spool_push(struct spool *s, const char *json, size_t len, uint64_t id,
               bool last);

/* Whether every record has been delivered */
bool spool_empty(const struct spool *s);

/*
 * The first record not yet delivered: *json (valid until the next call),
 * *len and *id.  Returns 0, -ENOENT when empty, or -EIO for a damaged
 * record (the rest of the file is then given up: spool_pop() skips it).
 */
int spool_peek(struct spool *s, const char **json, size_t *len,
               uint64_t *id);

/* The first record is delivered */
void spool_pop(struct spool *s);

/*
 * Read the record at offset *at (the first not delivered if *at is
 * before it; start with 0) as spool_peek() does, and move *at past it.
 * Nothing is taken as delivered until spool_done_to(s, at) says so.
 */
int spool_read(struct spool *s, uint64_t *at, const char **json,
               size_t *len, uint64_t *id);
void spool_done_to(struct spool *s, uint64_t at);

/* The encoder made message id now; id was written or spooled */
void spool_made(struct spool *s, uint64_t id);
void spool_safe(struct spool *s, uint64_t id);

/* The end message is written or spooled */
void spool_ended(struct spool *s);

/* What the header says */
bool spool_has_ended(const struct spool *s);
uint64_t spool_made_id(const struct spool *s);
uint64_t spool_safe_id(const struct spool *s);
/* The position, in ms, when the last message was made: past its events */
uint64_t spool_last_pos(const struct spool *s);
const struct spool_ident *spool_ident(const struct spool *s);
const char *spool_path(const struct spool *s);

/*
 * Let go of the file: remove it if nothing is left to deliver and the
 * recording ended, else leave it to the courier.  spool_close(NULL) does
 * nothing.
 */
void spool_close(struct spool *s);

#endif
