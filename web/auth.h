/*
 * Auditors' login and logout, and the session and CSRF checks of every
 * other API request.
 */
#ifndef AUTH_H
#define AUTH_H

#include "call.h"

/* POST /api/login with the body in q: checks the password through the
 * PAM process, slowed after failures; starts a session */
enum MHD_Result auth_login(struct call *c, struct req *q);

/*
 * Find the request's session (into c->sess), and check its CSRF token if
 * the method changes state.  Returns true, or false with the refusal
 * answered (its result in *ret).
 */
bool auth_check(struct call *c, enum MHD_Result *ret);

/* POST /api/logout: ends the session, clears the cookie */
enum MHD_Result auth_logout(struct call *c);

/* GET /api/session: who, groups, rights, CSRF token */
enum MHD_Result auth_session(struct call *c);

#endif
