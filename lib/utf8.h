/*
 * UTF-8 classification on byte runs.
 *
 * A byte stream is cut into units: complete valid characters, and
 * invalid sequences.  An invalid sequence is a "maximal subpart" in the
 * Unicode sense: the longest prefix of a well-formed sequence that was
 * cut short, or a single byte that can start no sequence.  This is how
 * tlog decides which bytes become one U+FFFD in recorded text.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Longest valid UTF-8 sequence, in bytes. */
#define UTF8_MAX_LEN 4

enum utf8_kind {
    UTF8_VALID,      /* a complete, valid character */
    UTF8_INVALID,    /* an invalid sequence (maximal subpart) */
    UTF8_SHORT,      /* a valid prefix that the run ends inside */
};

/*
 * Classify the unit at the start of buf[0..len), len > 0.  Writes its
 * length in bytes to *unit_len: for UTF8_SHORT that is len itself.
 */
enum utf8_kind utf8_unit(const uint8_t *buf, size_t len, size_t *unit_len);

/*
 * Return the length of the longest prefix of buf[0..len) that consists
 * of complete valid characters.  ASCII runs are scanned a word at a time.
 */
size_t utf8_valid_prefix(const uint8_t *buf, size_t len);

/*
 * Return the number of characters in valid UTF-8 text buf[0..len): the
 * bytes that are not continuation bytes.
 */
size_t utf8_count(const uint8_t *buf, size_t len);

/*
 * Advance over n characters of valid UTF-8 text buf[0..len).  Returns
 * the byte length of those characters, or (size_t)-1 if the text holds
 * fewer than n characters.
 */
size_t utf8_skip(const uint8_t *buf, size_t len, size_t n);

#endif
