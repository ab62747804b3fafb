/*
 * Checking request input.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

/* Copy string o into out[size] if it fits and holds no NUL */
static bool
take(struct json_object *o, char *out, size_t size, bool controls_ok)
{
    const char *s = json_object_get_string(o);
    size_t len = (size_t)json_object_get_string_len(o), i;

    if (len >= size || memchr(s, 0, len) != NULL) {
        return false;
    }
    for (i = 0; !controls_ok && i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return false;
        }
    }
    memcpy(out, s, len);
    out[len] = 0;
    return true;
}

int
request_login(const char *p, size_t n, char *user, char *password,
              char *err, size_t errsz)
{
    struct json_tokener *tok = json_tokener_new_ex(REQUEST_DEPTH_MAX);
    struct json_object *o = NULL, *u, *pw;
    int rc = -EINVAL;

    if (tok == NULL) {
        snprintf(err, errsz, "out of memory reading the login request");
        return -ENOMEM;
    }
    if (n <= (size_t)0x7fffffff) {
        o = json_tokener_parse_ex(tok, p, (int)n);
    }
    if (o == NULL || json_tokener_get_parse_end(tok) != n) {
        snprintf(err, errsz, "the body is not one JSON object: send"
                 " {\"user\": \"NAME\", \"password\": \"PASSWORD\"}");
    } else if (json_object_get_type(o) != json_type_object ||
               json_object_object_length(o) != 2 ||
               !json_object_object_get_ex(o, "user", &u) ||
               !json_object_object_get_ex(o, "password", &pw) ||
               json_object_get_type(u) != json_type_string ||
               json_object_get_type(pw) != json_type_string) {
        snprintf(err, errsz, "the body must hold the strings \"user\" and"
                 " \"password\" and nothing else");
    } else if (json_object_get_string_len(u) == 0 ||
               !take(u, user, PRIVSEP_USER_MAX, false)) {
        snprintf(err, errsz, "\"user\" must be 1 to %d bytes without"
                 " control characters", PRIVSEP_USER_MAX - 1);
    } else if (!take(pw, password, PRIVSEP_PASSWORD_MAX, true)) {
        snprintf(err, errsz, "\"password\" must be at most %d bytes"
                 " without NUL", PRIVSEP_PASSWORD_MAX - 1);
        explicit_bzero(user, PRIVSEP_USER_MAX);
    } else {
        rc = 0;
    }
    if (o != NULL && json_object_is_type(o, json_type_object) &&
        json_object_object_get_ex(o, "password", &pw) &&
        json_object_is_type(pw, json_type_string)) {
        /* json-c owns the text: wipe it before it is freed */
        explicit_bzero((char *)json_object_get_string(pw),
                       (size_t)json_object_get_string_len(pw));
    }
    json_object_put(o);
    json_tokener_free(tok);
    return rc;
}

bool
request_rec_id(const char *s, size_t max)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        char c = s[i];

        if (i >= max || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || strchr("-_.:", c))) {
            return false;
        }
    }
    return i > 0;
}

int
request_int(const char *name, const char *s, long long min, long long max,
            long long *out, char *err, size_t errsz)
{
    long long v;
    char *end;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (*s < '0' || *s > '9' || errno != 0 || *end != 0 || v < min ||
        v > max) {
        snprintf(err, errsz, "parameter \"%s\" must be an integer from %lld"
                 " to %lld", name, min, max);
        return -EINVAL;
    }
    *out = v;
    return 0;
}
