/*
 * Checking what a request carries, before anything acts on it: the
 * login body, recording ids, numbers in query parameters.  Pure
 * functions over byte ranges, so that they can be fuzzed alone.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "privsep.h"

/* Deepest JSON nesting taken in a body */
#define REQUEST_DEPTH_MAX 4

/*
 * Parse a login body p[0..n): a JSON object with exactly the strings
 * "user" (1 to PRIVSEP_USER_MAX - 1 bytes) and "password" (up to
 * PRIVSEP_PASSWORD_MAX - 1 bytes), neither holding a NUL or a control
 * character in the user name.  Fills user and password (sized by those
 * maximums).  0, or -EINVAL with err saying what is wrong.
 */
int request_login(const char *p, size_t n, char *user, char *password,
                  char *err, size_t errsz);

/* Whether s is a recording id: 1 to max bytes of letters, digits and
 * "-_.:" */
bool request_rec_id(const char *s, size_t max);

/*
 * Parse s as a decimal integer in [min, max] into *out.  0, or -EINVAL
 * with err naming the parameter name and the range.
 */
int request_int(const char *name, const char *s, long long min,
                long long max, long long *out, char *err, size_t errsz);

#endif
