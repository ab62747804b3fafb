/*
 * The recordings API handlers, for an authenticated call (auth_check()
 * passed).
 */
#ifndef API_H
#define API_H

#include "call.h"

/*
 * The auditor's filter for need (rules.h rights), narrowed to host when
 * given (a recording id is unique per host only): a new object.
 */
struct json_object *api_visible(struct call *c, unsigned need,
                                const char *host);

/* GET /api/recordings */
enum MHD_Result api_search(struct call *c);

/* GET /api/recordings/REC (rec checked with request_rec_id()) */
enum MHD_Result api_recording(struct call *c, const char *rec);

/* GET /api/recordings/REC/messages */
enum MHD_Result api_messages(struct call *c, const char *rec);

/* GET /api/recordings/REC/audit: the audit events of its session and
 * the logins before it, each with its offset into the recording */
enum MHD_Result api_audit(struct call *c, const char *rec);

/* GET /api/recordings/REC/live: its new messages as Server-Sent Events
 * (live.h) */
enum MHD_Result api_live(struct call *c, const char *rec);

/* GET /api/recordings/REC/seal: its verification state (seals.h) */
enum MHD_Result api_seal(struct call *c, const char *rec);

/* GET /api/recordings/REC/export: asciicast v2, text or tlog JSON */
enum MHD_Result api_export(struct call *c, const char *rec);

#endif
