/*
 * The playback safety filter.
 *
 * The filter reads its input as a terminal does: UTF-8 decoded strictly,
 * then the DEC/ANSI state machine (Paul Williams' "A parser for DEC's
 * ANSI-compatible video terminals", with xterm's BEL ending an OSC).
 * A sequence is held until it is complete and is then played whole or
 * not at all, so the terminal never sees part of one: what the filter
 * drops or finds cut short, the terminal never began.  Anything a
 * terminal might read another way is dropped or written in the form
 * every terminal reads alike:
 *
 * - CAN and SUB cancel a sequence or string, ESC starts a new one, and
 *   so does a C1 control; the cut sequence is not played, the control
 *   is.  Other C0 controls inside an escape or control sequence act at
 *   once (xterm, Williams), so they are played ahead of it; inside a
 *   string they are ignored, so they are not played.
 * - Bytes past 7 bits cut an escape or control sequence: xterm reads
 *   U+00A0-U+00FF there as their 7-bit counterparts ("ESC [ U+00E3" is
 *   DA), other terminals skip them.
 * - xterm keeps 7 bits of each character of an OSC or DCS string and
 *   reads larger ones as '?'; only titles may carry more than ASCII.
 * - ST in UTF-8 form is played as ESC \, since terminals that ignore C1
 *   controls in UTF-8 would read on; an 8-bit ST, which a UTF-8 decoder
 *   does not see, ends only a string an 8-bit C1 control began.
 * - A UTF-8 character cut short is dropped, so that the terminal is
 *   never left holding half a character when a sequence after it is
 *   dropped (C2 and a C1 byte played later would be a C1 control).
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
    STRING,     /* OSC, DCS, SOS, PM or APC body, up to ST (OSC: or BEL) */
    STRING_ESC, /* ESC inside a string (not held): ST if '\' follows */
};

struct vtf {
    enum state st;
    uint8_t kind;           /* ']' OSC, 'P' DCS, 'X' SOS, '^' PM, '_' APC */
    bool raw_intro;         /* the string began with an 8-bit C1 byte */
    uint8_t seq[VTF_SEQ_MAX];
    size_t len;             /* bytes of the sequence held */
    size_t body;            /* where the body starts, after the introducer */
    bool too_long;          /* the sequence passed VTF_SEQ_MAX: drop it */
    uint8_t ch[4];          /* a UTF-8 character being read (GROUND and
                               STRING) */
    size_t ch_len;
    int ch_need;            /* continuation bytes still to come */
    uint8_t ch_lo;          /* the range of the next one */
    uint8_t ch_hi;
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
    f->ch_len = 0;
    f->ch_need = 0;
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
 * Whether an escape sequence is harmful; p holds its intermediates and
 * final byte.  Besides DECID, ESC % other than ESC % G takes xterm and
 * the Linux console out of UTF-8, where every 0x9B is CSI.
 */
static bool
esc_harmful(const uint8_t *p, size_t n)
{
    if (n == 1) {
        return p[0] == 'Z';     /* DECID */
    }
    if (memchr(p, '%', n - 1) != NULL) {
        return !(n == 2 && p[1] == 'G');
    }
    return false;
}

/* Whether the numeric parameters in p[0..n) include v */
static bool
has_param(const uint8_t *p, size_t n, long v)
{
    long x = -1;
    size_t i;

    for (i = 0; i <= n; i++) {
        if (i < n && p[i] >= '0' && p[i] <= '9') {
            x = (x < 0 ? 0 : x * 10) + (p[i] - '0');
            if (x > 100000) {
                x = 100000;
            }
        } else {
            if (x == v) {
                return true;
            }
            x = -1;
        }
    }
    return false;
}

/*
 * Whether a complete CSI sequence is harmful.  body is what follows the
 * introducer: parameters, intermediates, final byte.  Private markers
 * and intermediates count wherever they are.
 */
static bool
csi_harmful(const uint8_t *body, size_t n)
{
    uint8_t final = body[n - 1];
    bool q = memchr(body, '?', n - 1) != NULL;
    bool gt = memchr(body, '>', n - 1) != NULL;
    bool eq = memchr(body, '=', n - 1) != NULL;
    bool lt = memchr(body, '<', n - 1) != NULL;
    bool dollar = memchr(body, '$', n - 1) != NULL;
    bool hash = memchr(body, '#', n - 1) != NULL;

    switch (final) {
    case 'n':       /* DSR: status and cursor position reports */
    case 'c':       /* DA1, DA2, DA3: device attributes */
    case 'x':       /* DECREQTPARM */
    case 't':       /* window reports, and moving or resizing the window */
        return true;
    case 'p':       /* DECRQM (mode report) */
    case 'w':       /* DECRQPSR (cursor and tab stop reports) */
        return dollar;
    case 'q':       /* XTVERSION */
        return gt;
    case 'u':       /* keyboard protocol query, DECRQUPSS, DECRQTSR */
        return q || gt || eq || lt || dollar ||
               memchr(body, '&', n - 1) != NULL;
    case 'm':       /* XTQMODKEYS */
    case 'g':       /* XTQFMTKEYS */
        return q;
    case 'S':       /* XTSMGRAPHICS, XTTITLEPOS */
        return q || hash;
    case 'R':       /* XTREPORTCOLORS */
        return hash;
    case 'v':       /* DECRQDE */
        return memchr(body, '"', n - 1) != NULL;
    case 'y':       /* DECRQCRA (checksum of an area of the screen) */
        return memchr(body, '*', n - 1) != NULL;
    case '|':       /* XTREPORTSGR, DECRQLP */
        return hash || memchr(body, '\'', n - 1) != NULL;
    case 'h':       /* Tektronix mode: another parser, which answers */
        return q && has_param(body, n - 1, 38);
    case 'l':       /* VT52 mode: likewise */
        return q && has_param(body, n - 1, 2);
    default:
        return false;
    }
}

/* Whether a complete OSC is harmful; body is what the terminal keeps */
static bool
osc_harmful(const uint8_t *body, size_t n)
{
    long ps = first_param(body, n);
    size_t i;

    if (ps < 0 || ps > 65535) {
        return true;        /* no command to play */
    }
    for (i = 0; i < n && body[i] >= '0' && body[i] <= '9'; i++) {
    }
    if (i < n && body[i] != ';') {
        return true;
    }
    switch (ps) {
    case 0:
    case 1:
    case 2:
        return false;       /* titles: any text */
    case 52:                /* clipboard */
    case 5522:              /* clipboard, kitty's */
    case 46:                /* xterm's log file */
    case 60:                /* xterm's feature queries */
    case 61:
    case 62:
        return true;
    default:
        break;
    }
    for (; i < n; i++) {
        if (body[i] >= 0x80) {
            return true;    /* xterm would read 7 bits of it, or '?' */
        }
        /* colour, font and other queries answer with a report: "...;?"
         * (xterm), "key=?" (kitty) */
        if (body[i] == '?' && (body[i - 1] == ';' || body[i - 1] == '=')) {
            return true;
        }
    }
    return false;
}

/* Whether a complete string sequence (OSC, DCS, ...) is harmful */
static bool
string_harmful(uint8_t kind, const uint8_t *body, size_t n)
{
    size_t i;

    if (kind == ']') {
        return osc_harmful(body, n);
    }
    if (kind == 'P') {
        /* keep only sixel graphics: parameters, then 'q', then ASCII */
        for (i = 0; i < n && ((body[i] >= '0' && body[i] <= '9') ||
                              body[i] == ';'); i++) {
        }
        if (i == n || body[i] != 'q') {
            return true;
        }
        for (; i < n; i++) {
            if (body[i] >= 0x80) {
                return true;
            }
        }
        return false;
    }
    return true;            /* SOS, PM, APC: nothing to play */
}

static void
hold(struct vtf *f, const uint8_t *p, size_t n)
{
    if (f->len + n <= VTF_SEQ_MAX) {
        memcpy(f->seq + f->len, p, n);
        f->len += n;
    } else {
        f->too_long = true;
    }
}

/* Hold introducer p[0..n) as the start of a sequence in state st */
static void
start(struct vtf *f, enum state st, const uint8_t *p, size_t n)
{
    memcpy(f->seq, p, n);
    f->len = n;
    f->body = n;
    f->too_long = false;
    f->st = st;
}

static void
start_string(struct vtf *f, uint8_t kind, bool raw)
{
    f->st = STRING;
    f->kind = kind;
    f->raw_intro = raw;
    f->body = f->len;
    f->ch_len = 0;
    f->ch_need = 0;
}

/* Drop the held sequence, cut short or harmful; the terminal never saw
 * any of it */
static void
drop(struct vtf *f)
{
    f->st = GROUND;
    f->len = 0;
    f->too_long = false;
    f->ch_len = 0;
    f->ch_need = 0;
    f->dropped++;
}

/* Pass or drop the complete held sequence; returns bytes written */
static size_t
finish(struct vtf *f, bool harmful, uint8_t *out)
{
    size_t n = f->len;

    if (harmful || f->too_long) {
        drop(f);
        return 0;
    }
    memcpy(out, f->seq, n);
    f->st = GROUND;
    f->len = 0;
    return n;
}

/* End the held string with terminator t[0..n); returns bytes written */
static size_t
end_string(struct vtf *f, const char *t, size_t n, uint8_t *out)
{
    bool bad = string_harmful(f->kind, f->seq + f->body, f->len - f->body);

    hold(f, (const uint8_t *)t, n);
    return finish(f, bad, out);
}

/*
 * Begin reading a UTF-8 character at lead byte b: the range of the byte
 * after it rules out overlong forms, surrogates and code points past
 * U+10FFFF, as a strict decoder does.  False if b cannot begin one.
 */
static bool
utf8_lead(struct vtf *f, uint8_t b)
{
    f->ch_lo = 0x80;
    f->ch_hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        f->ch_need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
        f->ch_need = 2;
        if (b == 0xE0) {
            f->ch_lo = 0xA0;
        } else if (b == 0xED) {
            f->ch_hi = 0x9F;
        }
    } else if (b >= 0xF0 && b <= 0xF4) {
        f->ch_need = 3;
        if (b == 0xF0) {
            f->ch_lo = 0x90;
        } else if (b == 0xF4) {
            f->ch_hi = 0x8F;
        }
    } else {
        return false;
    }
    f->ch[0] = b;
    f->ch_len = 1;
    return true;
}

/*
 * Continue the UTF-8 character being read with b: 1 if b completed it,
 * 0 if b was taken, -1 if b cut it short (it is forgotten; read b anew).
 */
static int
utf8_next(struct vtf *f, uint8_t b)
{
    if (b < f->ch_lo || b > f->ch_hi) {
        f->ch_len = 0;
        f->ch_need = 0;
        return -1;
    }
    f->ch[f->ch_len++] = b;
    f->ch_lo = 0x80;
    f->ch_hi = 0xBF;
    return --f->ch_need == 0 ? 1 : 0;
}

/* A C1 control c in ground state, raw (one byte) or in UTF-8 (C2 c) */
static size_t
c1(struct vtf *f, uint8_t c, bool raw, uint8_t *out)
{
    const uint8_t form[2] = { 0xC2, c };
    const uint8_t *p = raw ? form + 1 : form;
    size_t n = raw ? 1 : 2;

    switch (c) {
    case 0x9B:
        start(f, CSI, p, n);
        return 0;
    case 0x90:
    case 0x98:
    case 0x9D:
    case 0x9E:
    case 0x9F:
        start(f, STRING, p, n);
        start_string(f, (uint8_t)(c - 0x40), raw);
        return 0;
    case 0x9A:
        f->dropped++;       /* xterm takes it for DECID */
        return 0;
    default:
        memcpy(out, p, n);  /* other C1 controls pass */
        return n;
    }
}

static size_t
ground(struct vtf *f, uint8_t b, uint8_t *out)
{
    size_t n;

    if (f->ch_need > 0) {
        switch (utf8_next(f, b)) {
        case 1:
            if (f->ch_len == 2 && f->ch[0] == 0xC2 && b <= 0x9F) {
                f->ch_len = 0;
                return c1(f, b, false, out);
            }
            memcpy(out, f->ch, f->ch_len);
            n = f->ch_len;
            f->ch_len = 0;
            return n;
        case 0:
            return 0;
        default:
            break;
        }
    }
    if (b == 0x1B) {
        start(f, ESC, &b, 1);
        return 0;
    }
    if (b == 0x05) {
        f->dropped++;       /* ENQ: the answerback message */
        return 0;
    }
    if (b >= 0x80 && utf8_lead(f, b)) {
        return 0;
    }
    if (b >= 0x80 && b <= 0x9F) {
        return c1(f, b, true, out);     /* a byte outside UTF-8 */
    }
    out[0] = b;
    return 1;
}

/*
 * A C0 control or DEL inside an escape or control sequence: CAN and SUB
 * cancel the sequence, ESC starts a new one, DEL is ignored, the others
 * act at once and are played ahead of the held sequence.  Returns
 * whether b was one; *o advances by what was written.
 */
static bool
seq_control(struct vtf *f, uint8_t b, uint8_t *out, size_t *o)
{
    if (b == 0x18 || b == 0x1A) {
        drop(f);
        out[(*o)++] = b;
    } else if (b == 0x1B) {
        drop(f);
        start(f, ESC, &b, 1);
    } else if (b == 0x05) {
        f->dropped++;
    } else if (b < 0x20) {
        out[(*o)++] = b;
    } else if (b != 0x7F) {
        return false;
    }
    return true;
}

/* A C1 control c inside a string, raw or in UTF-8 form */
static size_t
string_c1(struct vtf *f, uint8_t c, bool raw, uint8_t *out)
{
    if (c != 0x9C) {
        drop(f);            /* cut short; c acts as in ground state */
        return c1(f, c, raw, out);
    }
    if (!raw) {
        return end_string(f, "\x1b\\", 2, out);
    }
    if (f->raw_intro) {
        return end_string(f, "\x9c", 1, out);
    }
    /* a UTF-8 terminal would take this byte for a character and read
     * on: play none of it */
    drop(f);
    return 0;
}

static size_t
string(struct vtf *f, uint8_t b, uint8_t *out)
{
    if (f->ch_need > 0) {
        switch (utf8_next(f, b)) {
        case 1:
            if (f->ch_len == 2 && f->ch[0] == 0xC2 && b <= 0x9F) {
                f->ch_len = 0;
                return string_c1(f, b, false, out);
            }
            hold(f, f->ch, f->ch_len);
            f->ch_len = 0;
            return 0;
        case 0:
            return 0;
        default:
            break;
        }
    }
    if (b == 0x07 && f->kind == ']') {
        return end_string(f, "\x07", 1, out);
    }
    if (b == 0x1B) {
        f->st = STRING_ESC;
    } else if (b == 0x18 || b == 0x1A) {
        drop(f);
        out[0] = b;
        return 1;
    } else if (b >= 0x20 && b < 0x7F) {
        hold(f, &b, 1);
    } else if (b >= 0x80 && !utf8_lead(f, b) && b <= 0x9F) {
        return string_c1(f, b, true, out);
    }
    /* other C0 controls and DEL are ignored in a string, and a byte
     * outside UTF-8 is not worth a title: neither is played */
    return 0;
}

/*
 * Read b in the current state, writing to out + *o.  Returns true if b
 * must be read again, in the state it led to.
 */
static bool
step(struct vtf *f, uint8_t b, uint8_t *out, size_t *o)
{
    switch (f->st) {
    case GROUND:
        *o += ground(f, b, out + *o);
        return false;
    case ESC:
    case ESC_INT:
    case CSI:
        if (seq_control(f, b, out, o)) {
            return false;
        }
        if (b >= 0x80) {
            drop(f);
            return true;
        }
        hold(f, &b, 1);
        if (f->st == CSI) {
            if (b >= 0x40) {
                *o += finish(f, csi_harmful(f->seq + f->body,
                                            f->len - f->body), out + *o);
            }
        } else if (f->st == ESC && b == '[') {
            f->st = CSI;
            f->body = f->len;
        } else if (f->st == ESC && (b == ']' || b == 'P' || b == 'X' ||
                                    b == '^' || b == '_')) {
            start_string(f, b, false);
        } else if (b < 0x30) {
            f->st = ESC_INT;
        } else {
            *o += finish(f, esc_harmful(f->seq + 1, f->len - 1), out + *o);
        }
        return false;
    case STRING:
        *o += string(f, b, out + *o);
        return false;
    case STRING_ESC:
        if (b == '\\') {
            *o += end_string(f, "\x1b\\", 2, out + *o);
            return false;
        }
        if ((b < 0x20 && b != 0x18 && b != 0x1A && b != 0x1B) ||
            b == 0x7F) {
            /* the terminal is reading an escape sequence, where this
             * acts at once (DEL: nothing); ST may still follow */
            seq_control(f, b, out, o);
            return false;
        }
        /* the string is cut short, and the ESC begins what follows */
        drop(f);
        start(f, ESC, (const uint8_t *)"\x1b", 1);
        return true;
    }
    return false;
}

size_t
vtf_filter(struct vtf *f, const uint8_t *in, size_t len, uint8_t *out)
{
    size_t o = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        while (step(f, in[i], out, &o)) {
        }
    }
    return o;
}
