/*
 * A small JSON scanner working on byte ranges.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "jtok.h"
#include "utf8.h"

/* Whether byte b stands for itself inside a string (ASCII only: other
 * bytes are checked as UTF-8) */
static inline bool
plain_byte(uint8_t b)
{
    return b >= 0x20 && b < 0x80 && b != '"' && b != '\\';
}

/* The first byte from p on that does not stand for itself, or end */
static const uint8_t *
plain_run(const uint8_t *p, const uint8_t *end)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);

    /* 16 bytes at a time; compared as signed, bytes of 0x80 and above
     * are negative, so "below 0x20" catches them with the controls */
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                 _mm_cmpeq_epi8(v, bslash)),
                                    _mm_cmplt_epi8(v, space));
        unsigned m = (unsigned)_mm_movemask_epi8(stop);

        if (m != 0) {
            return p + __builtin_ctz(m);
        }
        p += 16;
    }
#endif
    while (p < end && plain_byte(*p)) {
        p++;
    }
    return p;
}

void
jtok_init(struct jtok *t, const void *p, size_t n)
{
    t->start = p;
    t->p = p;
    t->end = t->start + n;
    t->why = NULL;
}

size_t
jtok_offset(const struct jtok *t)
{
    return (size_t)(t->p - t->start);
}

static int
fail(struct jtok *t, const char *why)
{
    t->why = why;
    return -EINVAL;
}

static void
skip_ws(struct jtok *t)
{
    while (t->p < t->end &&
           (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r')) {
        t->p++;
    }
}

enum jtok_type
jtok_peek(struct jtok *t)
{
    skip_ws(t);
    if (t->p >= t->end) {
        return JTOK_END;
    }
    switch (*t->p) {
    case '"':
        return JTOK_STRING;
    case '{':
        return JTOK_OBJECT;
    case '[':
        return JTOK_ARRAY;
    case 't':
        return JTOK_TRUE;
    case 'f':
        return JTOK_FALSE;
    case 'n':
        return JTOK_NULL;
    default:
        if (*t->p == '-' || (*t->p >= '0' && *t->p <= '9')) {
            return JTOK_NUMBER;
        }
        return JTOK_BAD;
    }
}

int
jtok_expect(struct jtok *t, char c)
{
    static const char *const whys[] = {
        ['{'] = "expected '{'", ['}'] = "expected '}'",
        ['['] = "expected '['", [']'] = "expected ']'",
        [':'] = "expected ':'", [','] = "expected ','",
    };

    if (jtok_accept(t, c)) {
        return 0;
    }
    return fail(t, (unsigned char)c < sizeof(whys) / sizeof(whys[0]) &&
                   whys[(unsigned char)c] ? whys[(unsigned char)c] :
                   "unexpected character");
}

bool
jtok_accept(struct jtok *t, char c)
{
    skip_ws(t);
    if (t->p < t->end && *t->p == (uint8_t)c) {
        t->p++;
        return true;
    }
    return false;
}

static int
hex4(const uint8_t *p, unsigned int *v)
{
    unsigned int r = 0;
    int i;

    for (i = 0; i < 4; i++) {
        uint8_t c = p[i];

        r <<= 4;
        if (c >= '0' && c <= '9') {
            r |= c - '0';
        } else if (c >= 'a' && c <= 'f') {
            r |= c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            r |= c - 'A' + 10;
        } else {
            return -1;
        }
    }
    *v = r;
    return 0;
}

static size_t
utf8_put(uint8_t *o, unsigned int cp)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    } else if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Read an escape sequence at t->p (just after the backslash) */
static int
escape(struct jtok *t, uint8_t *o, size_t *olen)
{
    unsigned int cp, lo;

    if (t->p >= t->end) {
        return fail(t, "string ends inside an escape");
    }
    switch (*t->p) {
    case '"':  o[0] = '"'; break;
    case '\\': o[0] = '\\'; break;
    case '/':  o[0] = '/'; break;
    case 'b':  o[0] = '\b'; break;
    case 'f':  o[0] = '\f'; break;
    case 'n':  o[0] = '\n'; break;
    case 'r':  o[0] = '\r'; break;
    case 't':  o[0] = '\t'; break;
    case 'u':
        if (t->end - t->p < 5 || hex4(t->p + 1, &cp) < 0) {
            return fail(t, "bad \\u escape");
        }
        t->p += 5;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            t->p -= 6;
            return fail(t, "unpaired low surrogate escape");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (t->end - t->p < 6 || t->p[0] != '\\' || t->p[1] != 'u' ||
                hex4(t->p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF) {
                t->p -= 6;
                return fail(t, "unpaired high surrogate escape");
            }
            t->p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        *olen = utf8_put(o, cp);
        return 0;
    default:
        return fail(t, "unknown escape");
    }
    t->p++;
    *olen = 1;
    return 0;
}

int
jtok_string(struct jtok *t, struct buf *out)
{
    const uint8_t *q;
    uint8_t tmp[4];
    size_t n;
    int rc;

    skip_ws(t);
    if (t->p >= t->end || *t->p != '"') {
        return fail(t, "expected a string");
    }
    t->p++;
    for (;;) {
        q = plain_run(t->p, t->end);
        if (out != NULL && q > t->p) {
            rc = buf_append(out, t->p, (size_t)(q - t->p));
            if (rc < 0) {
                return rc;
            }
        }
        t->p = q;
        if (q >= t->end) {
            return fail(t, "string not terminated");
        }
        if (*q == '"') {
            t->p++;
            return 0;
        }
        if (*q == '\\') {
            t->p++;
            rc = escape(t, tmp, &n);
        } else if (*q < 0x20) {
            return fail(t, "control character not escaped in string");
        } else if (utf8_unit(q, (size_t)(t->end - q), &n) == UTF8_VALID) {
            memcpy(tmp, q, n);
            t->p += n;
            rc = 0;
        } else {
            return fail(t, "invalid UTF-8 in string");
        }
        if (rc < 0) {
            return rc;
        }
        if (out != NULL) {
            rc = buf_append(out, tmp, n);
            if (rc < 0) {
                return rc;
            }
        }
    }
}

static bool
is_digit(const struct jtok *t, const uint8_t *q)
{
    return q < t->end && *q >= '0' && *q <= '9';
}

int
jtok_number(struct jtok *t, bool *is_int, int64_t *ival, int64_t *milli)
{
    const uint8_t *q;
    bool neg = false;
    uint64_t mant = 0;      /* significant digits, up to 18 of them */
    int mant_digits = 0;
    int exp10 = 0;          /* value = mant * 10^exp10 */
    int e = 0;
    bool e_neg = false;
    bool integer = true;
    bool overflow = false;

    skip_ws(t);
    q = t->p;
    if (q < t->end && *q == '-') {
        neg = true;
        q++;
    }
    if (!is_digit(t, q)) {
        return fail(t, "bad number");
    }
    if (*q == '0' && is_digit(t, q + 1)) {
        return fail(t, "number with a leading zero");
    }
    for (; is_digit(t, q); q++) {
        if (mant_digits < 18) {
            mant = mant * 10 + (uint64_t)(*q - '0');
            if (mant != 0) {
                mant_digits++;
            }
        } else {
            exp10++;
            overflow = true;
        }
    }
    if (q < t->end && *q == '.') {
        integer = false;
        q++;
        if (!is_digit(t, q)) {
            return fail(t, "bad number");
        }
        for (; is_digit(t, q); q++) {
            if (mant_digits < 18) {
                mant = mant * 10 + (uint64_t)(*q - '0');
                exp10--;
                if (mant != 0) {
                    mant_digits++;
                }
            }
        }
    }
    if (q < t->end && (*q == 'e' || *q == 'E')) {
        integer = false;
        q++;
        if (q < t->end && (*q == '+' || *q == '-')) {
            e_neg = *q == '-';
            q++;
        }
        if (!is_digit(t, q)) {
            return fail(t, "bad number");
        }
        for (; is_digit(t, q); q++) {
            if (e < 10000) {
                e = e * 10 + (*q - '0');
            }
        }
        exp10 += e_neg ? -e : e;
    }
    t->p = q;
    *is_int = integer;
    if (integer) {
        if (overflow || mant > (uint64_t)INT64_MAX) {
            return -ERANGE;
        }
        *ival = neg ? -(int64_t)mant : (int64_t)mant;
    }
    if (milli != NULL) {
        int x = exp10 + 3;
        uint64_t v = mant;

        for (; x > 0 && v != 0; x--) {
            if (v > (uint64_t)INT64_MAX / 10) {
                return -ERANGE;
            }
            v *= 10;
        }
        for (; x < 0 && v != 0; x++) {
            v /= 10;
        }
        *milli = neg ? -(int64_t)v : (int64_t)v;
    }
    return 0;
}

static int
literal(struct jtok *t, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(t->end - t->p) < n || memcmp(t->p, word, n) != 0) {
        return fail(t, "unknown literal");
    }
    t->p += n;
    return 0;
}

static int
skip_depth(struct jtok *t, int depth)
{
    bool is_int;
    int64_t v;
    int rc;

    if (depth > JTOK_DEPTH_MAX) {
        return fail(t, "nested too deep");
    }
    switch (jtok_peek(t)) {
    case JTOK_STRING:
        return jtok_string(t, NULL);
    case JTOK_NUMBER:
        rc = jtok_number(t, &is_int, &v, NULL);
        return rc == -ERANGE ? 0 : rc;
    case JTOK_TRUE:
        return literal(t, "true");
    case JTOK_FALSE:
        return literal(t, "false");
    case JTOK_NULL:
        return literal(t, "null");
    case JTOK_ARRAY:
        t->p++;
        if (jtok_accept(t, ']')) {
            return 0;
        }
        do {
            rc = skip_depth(t, depth + 1);
            if (rc < 0) {
                return rc;
            }
        } while (jtok_accept(t, ','));
        return jtok_expect(t, ']');
    case JTOK_OBJECT:
        t->p++;
        if (jtok_accept(t, '}')) {
            return 0;
        }
        do {
            rc = jtok_string(t, NULL);
            if (rc == 0) {
                rc = jtok_expect(t, ':');
            }
            if (rc == 0) {
                rc = skip_depth(t, depth + 1);
            }
            if (rc < 0) {
                return rc;
            }
        } while (jtok_accept(t, ','));
        return jtok_expect(t, '}');
    case JTOK_END:
        return fail(t, "value missing");
    default:
        return fail(t, "unexpected character");
    }
}

int
jtok_skip(struct jtok *t)
{
    return skip_depth(t, 0);
}
