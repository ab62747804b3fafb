/*
 * Fuzz target: tlog-web's request checks.  The first byte chooses the
 * parser (login body, recording id, integer parameter); the rest is its
 * input.  Whatever is accepted must fit the limits it promises.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char user[PRIVSEP_USER_MAX], password[PRIVSEP_PASSWORD_MAX], err[512];
    char *text;
    long long v;
    size_t i;

    if (size == 0) {
        return 0;
    }
    text = malloc(size);
    if (text == NULL) {
        return 0;
    }
    /* the rest, as the server gets it: bytes for a body, a C string for
     * a path or parameter */
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    switch (data[0] % 3) {
    case 0:
        if (request_login(text, size - 1, user, password, err,
                          sizeof(err)) == 0) {
            if (strlen(user) == 0 || strlen(user) >= PRIVSEP_USER_MAX ||
                strlen(password) >= PRIVSEP_PASSWORD_MAX) {
                abort();
            }
            for (i = 0; user[i]; i++) {
                if ((unsigned char)user[i] < 0x20) {
                    abort();
                }
            }
        } else if (err[0] == 0) {
            abort();
        }
        break;
    case 1:
        if (request_rec_id(text, 128) &&
            (strlen(text) > 128 || strpbrk(text, "/ \"\\*?") != NULL)) {
            abort();
        }
        break;
    default:
        err[0] = 0;
        if (request_int("n", text, 1, 1000, &v, err, sizeof(err)) == 0) {
            if (v < 1 || v > 1000) {
                abort();
            }
        } else if (err[0] == 0) {
            abort();
        }
        break;
    }
    free(text);
    return 0;
}
