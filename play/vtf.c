/*
 * The playback safety filter.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vtf.h"

enum state {
    GROUND,
    ESC,        /* after ESC */
    ESC_INT,    /* ESC and intermediates, waiting for the final byte */
    CSI,        /* parameters and intermediates, waiting for the final */
    STRING,     /* OSC, DCS, SOS, PM or APC body, up to ST or BEL */
    STRING_ESC, /* ESC inside a string: ST if '\' follows */
};

struct vtf {
    enum state st;
    uint8_t kind;           /* ']' OSC, 'P' DCS, 'X' SOS, '^' PM, '_' APC */
    uint8_t seq[VTF_SEQ_MAX];
    size_t len;             /* bytes of the sequence held */
    bool too_long;          /* the sequence passed VTF_SEQ_MAX: drop it */
    int utf8_left;          /* continuation bytes expected in GROUND */
    unsigned long dropped;
};

int
vtf_new(struct vtf **pf)
{
    struct vtf *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return -ENOMEM;
    }
    *pf = f;
    return 0;
}

void
vtf_free(struct vtf *f)
{
    free(f);
}

void
vtf_reset(struct vtf *f)
{
    f->st = GROUND;
    f->len = 0;
    f->too_long = false;
    f->utf8_left = 0;
}

unsigned long
vtf_dropped(const struct vtf *f)
{
    return f->dropped;
}

/* The first numeric parameter of a CSI or OSC body, or -1 */
static long
first_param(const uint8_t *p, size_t n)
{
    long v = -1;
    size_t i;

    for (i = 0; i < n && p[i] >= '0' && p[i] <= '9' && v < 100000; i++) {
        v = (v < 0 ? 0 : v * 10) + (p[i] - '0');
    }
    return v;
}

/*
 * Whether a complete CSI sequence is harmful.  body is what follows the
 * introducer: parameters, intermediates, final byte.
 */
static bool
csi_harmful(const uint8_t *body, size_t n)
{
    uint8_t final = body[n - 1];
    bool private = n > 1 && (body[0] == '?' || body[0] == '>' ||
                             body[0] == '=');
    bool dollar = n > 1 && body[n - 2] == '$';

    switch (final) {
    case 'n':       /* DSR: status and cursor position reports */
    case 'c':       /* DA1, DA2, DA3: device attributes */
    case 'x':       /* DECREQTPARM */
    case 't':       /* window reports, and moving or resizing the window */
        return true;
    case 'p':       /* DECRQM (mode report) */
        return dollar;
    case 'q':       /* XTVERSION (CSI > q) */
        return body[0] == '>';
    case 'u':       /* keyboard protocol query (CSI ? u) */
        return private;
    case 'm':       /* XTQMODKEYS (CSI ? m) */
        return body[0] == '?';
    default:
        return false;
    }
}

/* Whether a complete string sequence (OSC, DCS, ...) is harmful */
static bool
string_harmful(uint8_t kind, const uint8_t *body, size_t n)
{
    long ps;
    size_t i;

    if (kind == ']') {
        ps = first_param(body, n);
        if (ps == 52) {
            return true;    /* clipboard */
        }
        /* colour and font queries answer with a report: "...;?" */
        for (i = 0; i < n; i++) {
            if (body[i] == '?' && (i == 0 || body[i - 1] == ';')) {
                return true;
            }
        }
        return false;
    }
    if (kind == 'P') {
        /* keep only sixel graphics: parameters, then 'q' */
        for (i = 0; i < n && ((body[i] >= '0' && body[i] <= '9') ||
                              body[i] == ';'); i++) {
        }
        return !(i < n && body[i] == 'q');
    }
    return true;            /* SOS, PM, APC: nothing to play */
}

/* Pass or drop the held sequence; returns bytes written to out */
static size_t
finish(struct vtf *f, bool harmful, uint8_t *out)
{
    size_t n = f->len;

    f->st = GROUND;
    f->len = 0;
    if (harmful || f->too_long) {
        f->too_long = false;
        f->dropped++;
        return 0;
    }
    memcpy(out, f->seq, n);
    return n;
}

static void
hold(struct vtf *f, uint8_t b)
{
    if (f->len < VTF_SEQ_MAX) {
        f->seq[f->len++] = b;
    } else {
        f->too_long = true;
    }
}

/* Length of the introducer held in seq: 1 (ESC or 8-bit C1), 2 (ESC x or
 * UTF-8 C1) */
static size_t
intro_len(const struct vtf *f)
{
    return f->seq[0] == 0x1B || f->seq[0] == 0xC2 ? 2 : 1;
}

/* Start a sequence from its C1 equivalent c (0x80-0x9F) */
static void
start_c1(struct vtf *f, uint8_t c)
{
    switch (c) {
    case 0x9B:
        f->st = CSI;
        break;
    case 0x9D:
        f->kind = ']';
        f->st = STRING;
        break;
    case 0x90:
        f->kind = 'P';
        f->st = STRING;
        break;
    case 0x98:
        f->kind = 'X';
        f->st = STRING;
        break;
    case 0x9E:
        f->kind = '^';
        f->st = STRING;
        break;
    case 0x9F:
        f->kind = '_';
        f->st = STRING;
        break;
    default:
        f->st = GROUND;     /* other C1 controls pass */
        break;
    }
}

size_t
vtf_filter(struct vtf *f, const uint8_t *in, size_t len, uint8_t *out)
{
    size_t o = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        uint8_t b = in[i];

        switch (f->st) {
        case GROUND:
            if (f->utf8_left > 0 && b >= 0x80 && b <= 0xBF) {
                f->utf8_left--;
                if (f->len == 1 && f->seq[0] == 0xC2 && b <= 0x9F) {
                    /* U+0080-U+009F: a C1 control in UTF-8 form */
                    f->seq[f->len++] = b;
                    f->utf8_left = 0;
                    start_c1(f, b);
                    if (f->st == GROUND) {
                        memcpy(out + o, f->seq, f->len);
                        o += f->len;
                        f->len = 0;
                    }
                    break;
                }
                if (f->len > 0) {
                    memcpy(out + o, f->seq, f->len);
                    o += f->len;
                    f->len = 0;
                }
                out[o++] = b;
                break;
            }
            if (f->len > 0) {       /* a held 0xC2 not followed by C1 */
                memcpy(out + o, f->seq, f->len);
                o += f->len;
                f->len = 0;
            }
            f->utf8_left = 0;
            if (b == 0x1B) {
                f->seq[f->len++] = b;
                f->st = ESC;
            } else if (b == 0x05) {
                f->dropped++;       /* ENQ: the answerback message */
            } else if (b == 0xC2) {
                f->seq[f->len++] = b;       /* held: C1 or Latin-1? */
                f->utf8_left = 1;
            } else if (b >= 0x80 && b <= 0x9F) {
                f->seq[f->len++] = b;       /* an 8-bit C1 control */
                start_c1(f, b);
                if (f->st == GROUND) {
                    out[o++] = b;
                    f->len = 0;
                }
            } else {
                if (b >= 0xC3 && b <= 0xDF) {
                    f->utf8_left = 1;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    f->utf8_left = 2;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    f->utf8_left = 3;
                }
                out[o++] = b;
            }
            break;
        case ESC:
            hold(f, b);
            if (b == '[') {
                f->st = CSI;
            } else if (b == ']' || b == 'P' || b == 'X' || b == '^' ||
                       b == '_') {
                f->kind = b;
                f->st = STRING;
            } else if (b >= 0x20 && b <= 0x2F) {
                f->st = ESC_INT;
            } else if (b == 0x1B) {
                /* ESC ESC: the first one stands alone */
                out[o++] = 0x1B;
                f->len = 1;
            } else {
                /* ESC Z (DECID) asks the terminal to identify itself */
                o += finish(f, b == 'Z', out + o);
            }
            break;
        case ESC_INT:
            hold(f, b);
            if (b >= 0x30 && b <= 0x7E) {
                o += finish(f, false, out + o);
            }
            break;
        case CSI:
            hold(f, b);
            if (b >= 0x40 && b <= 0x7E) {
                size_t il = intro_len(f);

                o += finish(f, csi_harmful(f->seq + il, f->len - il),
                            out + o);
            } else if (b == 0x18 || b == 0x1A) {
                o += finish(f, false, out + o);     /* CAN, SUB cancel */
            }
            break;
        case STRING:
            if (b == 0x07) {            /* BEL ends OSC */
                size_t il = intro_len(f);
                bool bad = string_harmful(f->kind, f->seq + il, f->len - il);

                hold(f, b);
                o += finish(f, bad, out + o);
            } else if (b == 0x1B) {
                hold(f, b);
                f->st = STRING_ESC;
            } else if (b == 0x9C) {     /* 8-bit ST */
                size_t il = intro_len(f);
                bool bad = string_harmful(f->kind, f->seq + il, f->len - il);

                hold(f, b);
                o += finish(f, bad, out + o);
            } else {
                hold(f, b);
            }
            break;
        case STRING_ESC:
            if (b == '\\') {
                size_t il = intro_len(f);
                /* the body ends before the ESC just held */
                bool bad = string_harmful(f->kind, f->seq + il,
                                          f->len - il - 1);

                hold(f, b);
                o += finish(f, bad, out + o);
            } else {
                /* ESC starts something new: the string was cut short and
                 * is dropped unless harmless */
                size_t il = intro_len(f);
                bool bad = string_harmful(f->kind, f->seq + il,
                                          f->len - il - 1);

                f->len--;
                o += finish(f, bad, out + o);
                f->seq[f->len++] = 0x1B;
                f->st = ESC;
                i--;        /* read b again, after the ESC */
            }
            break;
        }
    }
    return o;
}
