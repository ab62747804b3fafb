/*
 * Random-access playback: a recording's snapshot index and its segments
 * (see timeline.h), under the play right and the auditor's rules.
 *
 *   GET /api/recordings/REC/segments       the index
 *   GET /api/recordings/REC/segments/I     segment I
 *   GET /api/recordings/REC/seek?t=MS      the segment holding MS
 *   GET /api/recordings/REC/find?text=T    when T was on the screen
 */
#ifndef API_PLAY_H
#define API_PLAY_H

#include "call.h"

/* Longest segment number taken */
#define API_PLAY_SEGMENT_MAX 100000000LL
/* Latest position a seek takes, ms (about 10 years) */
#define API_PLAY_POS_MAX (1LL << 38)

/* GET /api/recordings/REC/segments (rec checked with request_rec_id()) */
enum MHD_Result api_play_index(struct call *c, const char *rec);

/* GET /api/recordings/REC/segments/I, i the text after the slash */
enum MHD_Result api_play_segment(struct call *c, const char *rec,
                                 const char *i);

/* GET /api/recordings/REC/seek?t=MS */
enum MHD_Result api_play_seek(struct call *c, const char *rec);

/* GET /api/recordings/REC/find?text=T */
enum MHD_Result api_play_find(struct call *c, const char *rec);

#endif
