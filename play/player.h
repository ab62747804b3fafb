/*
 * The playback engine: plays a source's packets at their times, with the
 * auditor's keys for pause, speed, stepping, seeking and search.
 */
#ifndef PLAYER_H
#define PLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src.h"

/* A goto target meaning the end of the recording */
#define PLAYER_END INT64_MAX

struct player_conf {
    double speed;           /* 1.0 is real time */
    bool paused;            /* start paused */
    bool follow;            /* wait for more at the end */
    bool persist;           /* ignore 'q' and keyboard signals */
    bool raw;               /* no safety filter */
    int64_t goto_ms;        /* fast-forward to this position; -1: none */
    int64_t max_idle_ms;    /* longest pause played; 0: no cap */
    int key_fd;             /* the auditor's keys, or -1 */
    int out_fd;
    bool tty;               /* out_fd is a terminal: filter, status line */
};

/*
 * Play s to pc->out_fd.  Returns 0 at the end of the recording or on
 * 'q', or a negative errno value with err filled.  The caller sets up
 * the key terminal (raw mode) and restores it.
 */
int player_run(struct src *s, const struct player_conf *pc, char *err,
               size_t errsz);

/*
 * Parse a position: "start", "end", or [[HH:]MM:]SS[.sss] with empty
 * parts meaning 0 ("30:" is 30 minutes).  Stores ms (PLAYER_END for end)
 * in *ms.  Returns 0 or -EINVAL.
 */
int player_parse_time(const char *s, int64_t *ms);

#endif
