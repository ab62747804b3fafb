/*
 * JSON escaping for recorded text and bytes, as tlog writes them:
 * '"' and '\' escaped, C0 controls as \b \f \n \r \t or \u00XX, DEL as
 * \u007f, everything else raw UTF-8; bytes as decimal "N,".
 */
#ifndef JESC_H
#define JESC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Escaped length of each byte of valid UTF-8 text (1 when raw) */
extern const uint8_t jesc_len[256];

/* Write the escape of byte b, jesc_len[b] bytes, to out */
void jesc_put(uint8_t *out, uint8_t b);

/* Length of "N," for each byte value */
extern const uint8_t jesc_byte_len[256];

/* Write "N," for byte b to out; returns its length */
size_t jesc_byte_put(uint8_t *out, uint8_t b);

/*
 * Append p[0..n) to b as JSON string content, each invalid UTF-8
 * sequence replaced by U+FFFD.  For names and other metadata, not for
 * recorded text.  Returns 0 or a buf_reserve() error.
 */
int jesc_str(struct buf *b, const uint8_t *p, size_t n);

#endif
