/*
 * JSON escaping for recorded text and bytes.
 */
#include "config.h"

#include <string.h>

#include "jesc.h"
#include "utf8.h"

const uint8_t jesc_len[256] = {
    6, 6, 6, 6, 6, 6, 6, 6, 2, 2, 2, 6, 2, 2, 6, 6,
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
    1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

const uint8_t jesc_byte_len[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

static const char HEX[] = "0123456789abcdef";

void
jesc_put(uint8_t *out, uint8_t b)
{
    out[0] = '\\';
    switch (b) {
    case '"':  out[1] = '"';  return;
    case '\\': out[1] = '\\'; return;
    case '\b': out[1] = 'b';  return;
    case '\f': out[1] = 'f';  return;
    case '\n': out[1] = 'n';  return;
    case '\r': out[1] = 'r';  return;
    case '\t': out[1] = 't';  return;
    default:
        memcpy(out + 1, "u00", 3);
        out[4] = (uint8_t)HEX[b >> 4];
        out[5] = (uint8_t)HEX[b & 0xF];
        return;
    }
}

size_t
jesc_byte_put(uint8_t *out, uint8_t b)
{
    size_t n = jesc_byte_len[b];

    out[n - 1] = ',';
    if (b >= 100) {
        out[0] = (uint8_t)('0' + b / 100);
        out[1] = (uint8_t)('0' + b / 10 % 10);
        out[2] = (uint8_t)('0' + b % 10);
    } else if (b >= 10) {
        out[0] = (uint8_t)('0' + b / 10);
        out[1] = (uint8_t)('0' + b % 10);
    } else {
        out[0] = (uint8_t)('0' + b);
    }
    return n;
}

int
jesc_str(struct buf *b, const uint8_t *p, size_t n)
{
    size_t i = 0;
    size_t ul;
    int rc;

    /* At most six bytes out for each byte in */
    rc = buf_reserve(b, n * 6);
    if (rc < 0) {
        return rc;
    }
    while (i < n) {
        size_t s = i;

        /* Runs of ASCII that needs no escape are copied whole */
        while (i < n && p[i] < 0x80 && jesc_len[p[i]] == 1) {
            i++;
        }
        memcpy(b->data + b->len, p + s, i - s);
        b->len += i - s;
        if (i == n) {
            break;
        }
        if (utf8_unit(p + i, n - i, &ul) != UTF8_VALID) {
            memcpy(b->data + b->len, "\xEF\xBF\xBD", 3);
            b->len += 3;
        } else if (ul == 1 && jesc_len[p[i]] > 1) {
            jesc_put(b->data + b->len, p[i]);
            b->len += jesc_len[p[i]];
        } else {
            memcpy(b->data + b->len, p + i, ul);
            b->len += ul;
        }
        i += ul;
    }
    return 0;
}
