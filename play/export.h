/*
 * Exporting a recording: asciicast v2 (for asciinema and web players) and
 * plain text (for grep and review).
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "src.h"

/*
 * Write the recording as asciicast v2: a header (width, height,
 * timestamp, env TERM), then output events "o", input events "i" and
 * window events "r", each [seconds, type, data].  asciicast holds text:
 * bytes that are not UTF-8 become U+FFFD.  Returns 0 or a negative errno
 * value with err filled.
 */
int export_asciicast(struct src *s, FILE *out, char *err, size_t errsz);

/*
 * Write the recorded output with control and escape sequences removed,
 * CR LF as LF.  Returns 0 or a negative errno value with err filled.
 */
int export_text(struct src *s, FILE *out, char *err, size_t errsz);

#endif
