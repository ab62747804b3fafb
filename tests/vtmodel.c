/*
 * A model of a terminal's input parser (see vtmodel.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vtmodel.h"

enum state {
    GROUND,
    ESCAPE,
    ESCAPE_INTER,
    CSI_ENTRY,
    CSI_PARAM,
    CSI_INTER,
    CSI_IGNORE,
    DCS_ENTRY,
    DCS_PARAM,
    DCS_INTER,
    DCS_PASS,
    DCS_IGNORE,
    OSC_STRING,
    SOS_STRING,
};

/* How a state is left */
enum leave {
    CUT,        /* CAN, SUB or a C1 control other than ST */
    BY_ESC,     /* ESC: ST if '\' follows */
    BY_ST,      /* C1 ST or, for OSC, BEL */
};

struct vtmodel {
    unsigned flags;
    vtmodel_fn *fn;
    void *ctx;
    enum state st;
    /* the UTF-8 character being decoded */
    int need;
    uint32_t cp;
    uint8_t lo;
    uint8_t hi;
    struct vtmodel_event seq;   /* escape, control sequence or DCS */
    struct vtmodel_event osc;   /* OSC string */
    bool osc_pending;           /* OSC ended by ESC; dispatched on '\' */
    struct vtmodel_event ctl;   /* a control being executed */
};

int
vtmodel_new(struct vtmodel **pm, unsigned flags, vtmodel_fn *fn, void *ctx)
{
    struct vtmodel *m = calloc(1, sizeof(*m));

    if (m == NULL) {
        return -ENOMEM;
    }
    m->flags = flags;
    m->fn = fn;
    m->ctx = ctx;
    m->st = GROUND;
    *pm = m;
    return 0;
}

void
vtmodel_free(struct vtmodel *m)
{
    free(m);
}

static void
execute(struct vtmodel *m, uint32_t c)
{
    m->ctl.kind = VTMODEL_EXECUTE;
    m->ctl.code = c;
    m->fn(m->ctx, &m->ctl);
}

static void
clear(struct vtmodel *m)
{
    m->seq.priv = 0;
    m->seq.inter[0] = '\0';
    m->seq.data[0] = '\0';
    m->seq.data_len = 0;
    m->seq.overflow = false;
}

static void
collect(struct vtmodel *m, uint32_t c)
{
    size_t n = strlen(m->seq.inter);

    if (n < VTMODEL_INTER_MAX) {
        m->seq.inter[n] = (char)c;
        m->seq.inter[n + 1] = '\0';
    }
}

static void
param(struct vtmodel *m, uint32_t c)
{
    if (m->seq.data_len < VTMODEL_DATA_MAX) {
        m->seq.data[m->seq.data_len++] = (char)c;
        m->seq.data[m->seq.data_len] = '\0';
    } else {
        m->seq.overflow = true;
    }
}

static void
dispatch(struct vtmodel *m, enum vtmodel_kind kind, uint32_t final)
{
    m->seq.kind = kind;
    m->seq.code = final;
    m->fn(m->ctx, &m->seq);
}

static void
osc_start(struct vtmodel *m)
{
    m->osc.kind = VTMODEL_OSC;
    m->osc.data_len = 0;
    m->osc.data[0] = '\0';
    m->osc.overflow = false;
    m->osc_pending = false;
}

static void
osc_byte(struct vtmodel *m, uint8_t b)
{
    if (m->osc.data_len < VTMODEL_DATA_MAX) {
        m->osc.data[m->osc.data_len++] = (char)b;
        m->osc.data[m->osc.data_len] = '\0';
    } else {
        m->osc.overflow = true;
    }
}

/* Add code point c to the OSC string, as UTF-8 */
static void
osc_put(struct vtmodel *m, uint32_t c)
{
    if (c < 0x80) {
        osc_byte(m, (uint8_t)c);
    } else if (c < 0x800) {
        osc_byte(m, (uint8_t)(0xC0 | (c >> 6)));
        osc_byte(m, (uint8_t)(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        osc_byte(m, (uint8_t)(0xE0 | (c >> 12)));
        osc_byte(m, (uint8_t)(0x80 | ((c >> 6) & 0x3F)));
        osc_byte(m, (uint8_t)(0x80 | (c & 0x3F)));
    } else {
        osc_byte(m, (uint8_t)(0xF0 | (c >> 18)));
        osc_byte(m, (uint8_t)(0x80 | ((c >> 12) & 0x3F)));
        osc_byte(m, (uint8_t)(0x80 | ((c >> 6) & 0x3F)));
        osc_byte(m, (uint8_t)(0x80 | (c & 0x3F)));
    }
}

static void
osc_end(struct vtmodel *m)
{
    m->osc_pending = false;
    m->fn(m->ctx, &m->osc);
}

/* The exit action of the current state */
static void
leave(struct vtmodel *m, enum leave how)
{
    if (m->st != OSC_STRING) {
        return;
    }
    if (how == BY_ST || (m->flags & VTMODEL_CUT_DISPATCH)) {
        osc_end(m);
    } else if (how == BY_ESC) {
        m->osc_pending = true;
    }
}

/* The transitions from any state; true if c took one */
static bool
anywhere(struct vtmodel *m, uint32_t c, bool c1)
{
    if (!c1) {
        if (c == 0x18 || c == 0x1A) {
            leave(m, CUT);
            m->osc_pending = false;
            execute(m, c);
            m->st = GROUND;
            return true;
        }
        if (c == 0x1B) {
            /* a string's ST may still come after ESC ESC, as in xterm */
            if (m->st == OSC_STRING) {
                leave(m, BY_ESC);
            } else if (m->st != ESCAPE) {
                m->osc_pending = false;
            }
            m->st = ESCAPE;
            clear(m);
            return true;
        }
        return false;
    }
    leave(m, c == 0x9C ? BY_ST : CUT);
    m->osc_pending = false;
    clear(m);
    switch (c) {
    case 0x90:
        m->st = DCS_ENTRY;
        break;
    case 0x9B:
        m->st = CSI_ENTRY;
        break;
    case 0x9D:
        m->st = OSC_STRING;
        osc_start(m);
        break;
    case 0x98:
    case 0x9E:
    case 0x9F:
        m->st = SOS_STRING;
        dispatch(m, VTMODEL_SOS_PM_APC, c);
        break;
    case 0x9C:
        m->st = GROUND;
        break;
    default:
        execute(m, c);
        m->st = GROUND;
        break;
    }
    return true;
}

static void
esc_dispatch(struct vtmodel *m, uint32_t c)
{
    if (m->osc_pending && c == '\\' && m->seq.inter[0] == '\0') {
        osc_end(m);
    }
    m->osc_pending = false;
    dispatch(m, VTMODEL_ESC, c);
    m->st = GROUND;
}

/* Code point c past 7 bits in state st: its 7-bit stand-in, or 0 if it
 * is ignored there (or, as xterm does, cancels the sequence) */
static uint32_t
narrow(struct vtmodel *m, uint32_t c)
{
    switch (m->st) {
    case ESCAPE:
    case ESCAPE_INTER:
    case CSI_ENTRY:
    case CSI_PARAM:
    case CSI_INTER:
    case CSI_IGNORE:
        if (!(m->flags & VTMODEL_GR_AS_GL)) {
            return 0;
        }
        if (c > 0xFF) {
            m->osc_pending = false;
            m->st = GROUND;
            return 0;
        }
        return c - 0x80;
    case DCS_ENTRY:
    case DCS_PARAM:
    case DCS_INTER:
        if (!(m->flags & VTMODEL_FOLD)) {
            return 0;
        }
        return c > 0xFF ? '?' : (c & 0x7F);
    default:
        return 0;
    }
}

/* One code point; c1 says it is a C1 control */
static void
parse(struct vtmodel *m, uint32_t c, bool c1)
{
    if (anywhere(m, c, c1)) {
        return;
    }
    if (c >= 0x80) {
        if (m->st == OSC_STRING) {
            if (m->flags & VTMODEL_FOLD) {
                osc_put(m, c > 0xFF ? '?' : (c & 0x7F));
            } else {
                osc_put(m, c);
            }
            return;
        }
        c = narrow(m, c);
        if (c == 0 || c == 0x7F) {
            return;
        }
    }
    switch (m->st) {
    case GROUND:
        if (c < 0x20) {
            execute(m, c);
        }
        break;
    case ESCAPE:
        if (c < 0x20) {
            execute(m, c);
        } else if (c == 0x7F) {
            /* ignored */
        } else if (c < 0x30) {
            collect(m, c);
            m->osc_pending = false;
            m->st = ESCAPE_INTER;
        } else if (c == '[') {
            m->osc_pending = false;
            m->st = CSI_ENTRY;
        } else if (c == ']') {
            m->st = OSC_STRING;
            osc_start(m);
        } else if (c == 'P') {
            m->osc_pending = false;
            m->st = DCS_ENTRY;
        } else if (c == 'X' || c == '^' || c == '_') {
            m->osc_pending = false;
            m->st = SOS_STRING;
            dispatch(m, VTMODEL_SOS_PM_APC, c + 0x40);
        } else {
            esc_dispatch(m, c);
        }
        break;
    case ESCAPE_INTER:
        if (c < 0x20) {
            execute(m, c);
        } else if (c < 0x30) {
            collect(m, c);
        } else if (c < 0x7F) {
            esc_dispatch(m, c);
        }
        break;
    case CSI_ENTRY:
    case CSI_PARAM:
    case CSI_INTER:
        if (c < 0x20) {
            execute(m, c);
        } else if (c < 0x30) {
            collect(m, c);
            m->st = CSI_INTER;
        } else if (c < 0x40) {
            if (m->st == CSI_INTER) {
                m->st = CSI_IGNORE;
            } else if (c <= 0x3B) {
                param(m, c);
                m->st = CSI_PARAM;
            } else if (m->st == CSI_ENTRY) {
                m->seq.priv = (char)c;
                m->st = CSI_PARAM;
            } else {
                m->st = CSI_IGNORE;
            }
        } else if (c < 0x7F) {
            dispatch(m, VTMODEL_CSI, c);
            m->st = GROUND;
        }
        break;
    case CSI_IGNORE:
        if (c < 0x20) {
            execute(m, c);
        } else if (c >= 0x40 && c < 0x7F) {
            m->st = GROUND;
        }
        break;
    case DCS_ENTRY:
    case DCS_PARAM:
    case DCS_INTER:
        if (c < 0x20 || c == 0x7F) {
            /* ignored */
        } else if (c < 0x30) {
            collect(m, c);
            m->st = DCS_INTER;
        } else if (c < 0x40) {
            if (m->st == DCS_INTER || c == ':') {
                m->st = DCS_IGNORE;
            } else if (c <= 0x3B) {
                param(m, c);
                m->st = DCS_PARAM;
            } else if (m->st == DCS_ENTRY) {
                m->seq.priv = (char)c;
                m->st = DCS_PARAM;
            } else {
                m->st = DCS_IGNORE;
            }
        } else {
            dispatch(m, VTMODEL_DCS, c);
            m->st = DCS_PASS;
        }
        break;
    case OSC_STRING:
        if (c == 0x07) {
            leave(m, BY_ST);
            m->st = GROUND;
        } else if (c >= 0x20) {
            osc_put(m, c);
        }
        break;
    case DCS_PASS:
    case DCS_IGNORE:
    case SOS_STRING:
        break;
    }
}

/* A decoded code point */
static void
deliver(struct vtmodel *m, uint32_t c)
{
    if (c >= 0x80 && c <= 0x9F) {
        if (m->flags & VTMODEL_C1_UTF8) {
            parse(m, c, true);
        }
        return;     /* otherwise ignored, as xterm does */
    }
    parse(m, c, false);
}

void
vtmodel_feed(struct vtmodel *m, const uint8_t *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        uint8_t b = buf[i];

        if (m->need > 0) {
            if (b >= m->lo && b <= m->hi) {
                m->cp = (m->cp << 6) | (b & 0x3F);
                m->lo = 0x80;
                m->hi = 0xBF;
                if (--m->need == 0) {
                    deliver(m, m->cp);
                }
                continue;
            }
            /* the character is cut short; b is read on its own */
            m->need = 0;
            parse(m, 0xFFFD, false);
        }
        m->lo = 0x80;
        m->hi = 0xBF;
        if (b < 0x80) {
            parse(m, b, false);
        } else if (b >= 0xC2 && b <= 0xDF) {
            m->need = 1;
            m->cp = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            m->need = 2;
            m->cp = b & 0x0F;
            if (b == 0xE0) {
                m->lo = 0xA0;       /* no overlong forms */
            } else if (b == 0xED) {
                m->hi = 0x9F;       /* no surrogates */
            }
        } else if (b >= 0xF0 && b <= 0xF4) {
            m->need = 3;
            m->cp = b & 0x07;
            if (b == 0xF0) {
                m->lo = 0x90;
            } else if (b == 0xF4) {
                m->hi = 0x8F;       /* nothing past U+10FFFF */
            }
        } else if (b >= 0x80 && b <= 0x9F && (m->flags & VTMODEL_C1_RAW)) {
            parse(m, b, true);
        } else {
            parse(m, 0xFFFD, false);
        }
    }
}

/* Whether the parameter list p holds the number v */
static bool
has_param(const char *p, long v)
{
    long n = -1;

    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            n = (n < 0 ? 0 : n) * 10 + (*p - '0');
            if (n > 1000000) {
                n = 1000000;
            }
        } else {
            if (n == v) {
                return true;
            }
            if (*p == '\0') {
                return false;
            }
            n = -1;
        }
    }
}

static const char *
csi_unsafe(const struct vtmodel_event *ev)
{
    char priv = ev->priv;
    const char *in = ev->inter;

    switch (ev->code) {
    case 'n':
        return priv == '>' ? NULL : "DSR";
    case 'c':
        return in[0] == '\0' ? "DA" : NULL;
    case 'x':
        return priv == 0 && in[0] == '\0' ? "DECREQTPARM" : NULL;
    case 't':
        return priv == 0 && in[0] == '\0' ? "XTWINOPS" : NULL;
    case 'p':
        return strcmp(in, "$") == 0 ? "DECRQM" : NULL;
    case 'q':
        return priv == '>' && in[0] == '\0' ? "XTVERSION" : NULL;
    case 'u':
        if (priv == '?') {
            return "keyboard protocol query";
        }
        if (strcmp(in, "&") == 0) {
            return "DECRQUPSS";
        }
        return strcmp(in, "$") == 0 ? "DECRQTSR" : NULL;
    case 'm':
        return priv == '?' ? "XTQMODKEYS" : NULL;
    case 'g':
        return priv == '?' ? "XTQFMTKEYS" : NULL;
    case 'S':
        if (priv == '?') {
            return "XTSMGRAPHICS";
        }
        return strcmp(in, "#") == 0 ? "XTTITLEPOS" : NULL;
    case 'R':
        return strcmp(in, "#") == 0 ? "XTREPORTCOLORS" : NULL;
    case 'v':
        return strcmp(in, "\"") == 0 ? "DECRQDE" : NULL;
    case 'w':
        return strcmp(in, "$") == 0 ? "DECRQPSR" : NULL;
    case 'y':
        return strcmp(in, "*") == 0 ? "DECRQCRA" : NULL;
    case '|':
        if (strcmp(in, "#") == 0) {
            return "XTREPORTSGR";
        }
        return strcmp(in, "'") == 0 ? "DECRQLP" : NULL;
    case 'h':
        return priv == '?' && in[0] == '\0' && has_param(ev->data, 38) ?
               "Tektronix mode" : NULL;
    case 'l':
        return priv == '?' && in[0] == '\0' && has_param(ev->data, 2) ?
               "VT52 mode" : NULL;
    default:
        return NULL;
    }
}

static const char *
osc_unsafe(const struct vtmodel_event *ev)
{
    const char *s = ev->data;
    const char *end = s + ev->data_len;
    const char *p;
    long n = 0;

    if (ev->overflow) {
        return "OSC too long to judge";
    }
    if (s == end || *s < '0' || *s > '9') {
        return NULL;
    }
    for (p = s; p < end && *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');
        if (n > 65535) {
            return NULL;    /* xterm ignores it */
        }
    }
    switch (n) {
    case 52:
    case 5522:
        return "clipboard";
    case 46:
        return "log file";
    case 60:
    case 61:
    case 62:
        return "feature query";
    case 0:
    case 1:
    case 2:
        return NULL;        /* titles */
    default:
        break;
    }
    for (; p < end; p++) {
        if (*p == '?' && (p[-1] == ';' || p[-1] == '=')) {
            return "OSC query";
        }
    }
    return NULL;
}

const char *
vtmodel_unsafe(const struct vtmodel_event *ev)
{
    switch (ev->kind) {
    case VTMODEL_EXECUTE:
        if (ev->code == 0x05) {
            return "ENQ";
        }
        return ev->code == 0x9A ? "DECID (C1)" : NULL;
    case VTMODEL_ESC:
        if (ev->inter[0] == '\0' && ev->code == 'Z') {
            return "DECID";
        }
        if (strchr(ev->inter, '%') != NULL &&
            !(strcmp(ev->inter, "%") == 0 && ev->code == 'G')) {
            return "leaving UTF-8";
        }
        return NULL;
    case VTMODEL_CSI:
        return ev->overflow ? "CSI too long to judge" : csi_unsafe(ev);
    case VTMODEL_DCS:
        if (ev->priv != 0 || ev->inter[0] != '\0' || ev->code != 'q') {
            return "DCS other than sixel";
        }
        return NULL;
    case VTMODEL_OSC:
        return osc_unsafe(ev);
    case VTMODEL_SOS_PM_APC:
        return "SOS, PM or APC";
    }
    return NULL;
}
