/*
 * The recordings API handlers, for an authenticated call (auth_check()
 * passed).
 */
#ifndef API_H
#define API_H

#include "call.h"

/* GET /api/recordings */
enum MHD_Result api_search(struct call *c);

/* GET /api/recordings/REC (rec checked with request_rec_id()) */
enum MHD_Result api_recording(struct call *c, const char *rec);

/* GET /api/recordings/REC/messages */
enum MHD_Result api_messages(struct call *c, const char *rec);

/* GET /api/recordings/REC/audit: the audit events of its session and
 * the logins before it, each with its offset into the recording */
enum MHD_Result api_audit(struct call *c, const char *rec);

/* The auditor's rule filter for the rights need, narrowed to host when
 * not NULL: a new object, the caller's */
struct json_object *api_filter(struct call *c, unsigned need,
                               const char *host);

#endif
