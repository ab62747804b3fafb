/*
 * UTF-8 classification on byte runs.
 */
#include "config.h"

#include <string.h>

#include "utf8.h"

#define HIGH_BITS 0x8080808080808080ULL

/*
 * The range the second byte of a sequence must fall in, by lead byte;
 * the third and fourth bytes are always 0x80-0xBF.  Zero "need" marks a
 * byte that cannot start a sequence.
 */
struct lead {
    uint8_t need;   /* continuation bytes that follow */
    uint8_t lo;     /* second byte range */
    uint8_t hi;
};

static struct lead
lead_of(uint8_t b)
{
    struct lead l = { 0, 0x80, 0xBF };

    if (b >= 0xC2 && b <= 0xDF) {
        l.need = 1;
    } else if (b == 0xE0) {
        l.need = 2;
        l.lo = 0xA0;
    } else if (b == 0xED) {
        l.need = 2;
        l.hi = 0x9F;        /* no surrogates */
    } else if (b >= 0xE1 && b <= 0xEF) {
        l.need = 2;
    } else if (b == 0xF0) {
        l.need = 3;
        l.lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
        l.need = 3;
    } else if (b == 0xF4) {
        l.need = 3;
        l.hi = 0x8F;        /* nothing past U+10FFFF */
    }
    return l;
}

enum utf8_kind
utf8_unit(const uint8_t *buf, size_t len, size_t *unit_len)
{
    struct lead l;
    size_t i;

    if (buf[0] < 0x80) {
        *unit_len = 1;
        return UTF8_VALID;
    }
    l = lead_of(buf[0]);
    if (l.need == 0) {
        *unit_len = 1;
        return UTF8_INVALID;
    }
    for (i = 1; i <= l.need; i++) {
        uint8_t lo = i == 1 ? l.lo : 0x80;
        uint8_t hi = i == 1 ? l.hi : 0xBF;

        if (i >= len) {
            *unit_len = len;
            return UTF8_SHORT;
        }
        if (buf[i] < lo || buf[i] > hi) {
            *unit_len = i;
            return UTF8_INVALID;
        }
    }
    *unit_len = i;
    return UTF8_VALID;
}

size_t
utf8_valid_prefix(const uint8_t *buf, size_t len)
{
    size_t i = 0;
    size_t n;
    uint64_t w;

    while (i < len) {
        if (buf[i] < 0x80) {
            /* ASCII: skip on eight bytes at a time while it lasts */
            for (i++; i + 8 <= len; i += 8) {
                memcpy(&w, buf + i, 8);
                if (w & HIGH_BITS) {
                    break;
                }
            }
            continue;
        }
        if (utf8_unit(buf + i, len - i, &n) != UTF8_VALID) {
            break;
        }
        i += n;
    }
    return i;
}

size_t
utf8_count(const uint8_t *buf, size_t len)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        n += (buf[i] & 0xC0) != 0x80;
    }
    return n;
}

size_t
utf8_skip(const uint8_t *buf, size_t len, size_t n)
{
    size_t i = 0;
    uint64_t w;

    if (n == 0) {
        return 0;
    }
    /* Runs of ASCII are one character per byte */
    while (n > 8 && i + 8 <= len) {
        memcpy(&w, buf + i, 8);
        if (w & HIGH_BITS) {
            break;
        }
        i += 8;
        n -= 8;
    }
    for (; i < len; i++) {
        if ((buf[i] & 0xC0) != 0x80) {
            if (n == 0) {
                return i;
            }
            n--;
        }
    }
    return n == 0 ? i : (size_t)-1;
}
