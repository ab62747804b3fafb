/*
 * Writing a libvterm screen as escape sequences and as text.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vtesc.h"

/* Most bytes one cell takes: a cursor move, an SGR, its characters */
#define CELL_MAX 128
/* Most bytes of a cell's text */
#define CELL_TEXT_MAX (VT_CELL_CHARS * 4)

void
vtesc_color(const VTermColor *c, bool fg, struct vt_color *out)
{
    memset(out, 0, sizeof(*out));
    if (fg ? VTERM_COLOR_IS_DEFAULT_FG(c) : VTERM_COLOR_IS_DEFAULT_BG(c)) {
        out->type = VT_COLOR_DEFAULT;
    } else if (VTERM_COLOR_IS_INDEXED(c)) {
        out->type = VT_COLOR_INDEXED;
        out->idx = c->indexed.idx;
    } else {
        out->type = VT_COLOR_RGB;
        out->r = c->rgb.red;
        out->g = c->rgb.green;
        out->b = c->rgb.blue;
    }
}

void
vtesc_pen_of(const VTermScreenCell *c, struct vtesc_pen *p)
{
    p->attrs = (c->attrs.bold ? VT_ATTR_BOLD : 0) |
               (c->attrs.italic ? VT_ATTR_ITALIC : 0) |
               (c->attrs.blink ? VT_ATTR_BLINK : 0) |
               (c->attrs.reverse ? VT_ATTR_REVERSE : 0) |
               (c->attrs.strike ? VT_ATTR_STRIKE : 0);
    p->underline = c->attrs.underline;
    p->font = c->attrs.font;
    vtesc_color(&c->fg, true, &p->fg);
    vtesc_color(&c->bg, false, &p->bg);
}

static bool
color_eq(const struct vt_color *a, const struct vt_color *b)
{
    if (a->type != b->type) {
        return false;
    }
    switch (a->type) {
    case VT_COLOR_DEFAULT:
        return true;
    case VT_COLOR_INDEXED:
        return a->idx == b->idx;
    case VT_COLOR_RGB:
        return a->r == b->r && a->g == b->g && a->b == b->b;
    }
    return false;
}

static bool
pen_eq(const struct vtesc_pen *a, const struct vtesc_pen *b)
{
    return a->attrs == b->attrs && a->underline == b->underline &&
           a->font == b->font && color_eq(&a->fg, &b->fg) &&
           color_eq(&a->bg, &b->bg);
}

static bool
chars_blank(const VTermScreenCell *c)
{
    return c->chars[0] == 0 || (c->chars[0] == ' ' && c->chars[1] == 0);
}

/*
 * Whether a cell with nothing in it (not even a space) in pen p shows
 * nothing: on the default background, with nothing that draws the
 * foreground colour (reverse, underline, strike); its foreground, bold,
 * italic, blink and font cannot be seen, and it is skipped
 */
static bool
pen_unseen(const struct vtesc_pen *p)
{
    return p->bg.type == VT_COLOR_DEFAULT && p->underline == 0 &&
           (p->attrs & (VT_ATTR_REVERSE | VT_ATTR_STRIKE)) == 0;
}

void
vtesc_put(struct vtesc *e, const void *p, size_t n)
{
    if (e->rc == 0) {
        e->rc = buf_append(e->b, p, n);
    }
}

void
vtesc_puts(struct vtesc *e, const char *s)
{
    vtesc_put(e, s, strlen(s));
}

void
vtesc_printf(struct vtesc *e, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof(tmp)) {
        vtesc_put(e, tmp, (size_t)n);
    }
}

/*
 * A cell's characters as UTF-8 into s (room for CELL_TEXT_MAX); any
 * that is not printable (libvterm stores none, but a snapshot must
 * never carry one) as U+FFFD, none as a space.  Returns the length.
 */
static size_t
chars_utf8(const uint32_t *chars, char *s)
{
    size_t len = 0;
    int i;

    for (i = 0; i < VT_CELL_CHARS && chars[i] != 0 &&
                chars[i] != (uint32_t)-1; i++) {
        uint32_t c = chars[i];

        if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c >= 0x110000 ||
            (c >= 0xd800 && c < 0xe000)) {
            c = 0xfffd;
        }
        if (c < 0x80) {
            s[len++] = (char)c;
        } else if (c < 0x800) {
            s[len++] = (char)(0xc0 | (c >> 6));
            s[len++] = (char)(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
            s[len++] = (char)(0xe0 | (c >> 12));
            s[len++] = (char)(0x80 | ((c >> 6) & 0x3f));
            s[len++] = (char)(0x80 | (c & 0x3f));
        } else {
            s[len++] = (char)(0xf0 | (c >> 18));
            s[len++] = (char)(0x80 | ((c >> 12) & 0x3f));
            s[len++] = (char)(0x80 | ((c >> 6) & 0x3f));
            s[len++] = (char)(0x80 | (c & 0x3f));
        }
    }
    if (len == 0) {
        s[len++] = ' ';
    }
    return len;
}

void
vtesc_chars(struct vtesc *e, const uint32_t *chars)
{
    char s[CELL_TEXT_MAX];

    vtesc_put(e, s, chars_utf8(chars, s));
}

static int
sgr_color(char *s, const struct vt_color *c, bool fg)
{
    switch (c->type) {
    case VT_COLOR_DEFAULT:
        return 0;
    case VT_COLOR_INDEXED:
        if (c->idx < 8) {
            return sprintf(s, ";%d", (fg ? 30 : 40) + c->idx);
        }
        /* the bright eight too: some terminals make 90-97 bold */
        return sprintf(s, ";%d;5;%d", fg ? 38 : 48, c->idx);
    case VT_COLOR_RGB:
        return sprintf(s, ";%d;2;%d;%d;%d", fg ? 38 : 48, c->r, c->g, c->b);
    }
    return 0;
}

/* SGR for pen p into s (room for CELL_MAX); returns the length */
static size_t
sgr_into(char *s, const struct vtesc_pen *p)
{
    int n = 3;

    memcpy(s, "\033[0", 3);
    if (p->attrs & VT_ATTR_BOLD) {
        memcpy(s + n, ";1", 2);
        n += 2;
    }
    if (p->attrs & VT_ATTR_ITALIC) {
        memcpy(s + n, ";3", 2);
        n += 2;
    }
    switch (p->underline) {
    case VTERM_UNDERLINE_OFF:
        break;
    case VTERM_UNDERLINE_SINGLE:
        memcpy(s + n, ";4", 2);
        n += 2;
        break;
    case VTERM_UNDERLINE_DOUBLE:
        memcpy(s + n, ";21", 3);
        n += 3;
        break;
    default:
        memcpy(s + n, ";4:3", 4);
        n += 4;
        break;
    }
    if (p->attrs & VT_ATTR_BLINK) {
        memcpy(s + n, ";5", 2);
        n += 2;
    }
    if (p->attrs & VT_ATTR_REVERSE) {
        memcpy(s + n, ";7", 2);
        n += 2;
    }
    if (p->attrs & VT_ATTR_STRIKE) {
        memcpy(s + n, ";9", 2);
        n += 2;
    }
    if (p->font > 0 && p->font < 10) {
        n += sprintf(s + n, ";%d", 10 + p->font);
    }
    n += sgr_color(s + n, &p->fg, true);
    n += sgr_color(s + n, &p->bg, false);
    s[n++] = 'm';
    return (size_t)n;
}

void
vtesc_sgr(struct vtesc *e, const struct vtesc_pen *p)
{
    char s[CELL_MAX];

    vtesc_put(e, s, sgr_into(s, p));
}

/*
 * The cells are drawn as they were made: characters (spaces too) are
 * written, cells holding nothing are erased (ECH) in their pen, or left
 * blank after the reset.  libvterm tells the two apart (a row ends at
 * its last character when the window shrinks), as does a terminal's
 * selection of text.
 */
void
vtesc_cells(struct vtesc *e, struct buf *text, int rows, int cols,
            vtesc_get_fn *get, const void *ctx, struct vtesc_pen *cur)
{
    VTermScreenCell c, next;
    struct vtesc_pen pen, npen;
    char *p, *t = NULL, *tkeep = NULL;
    int row, col, at, k, rc;

    for (row = 0; row < rows && e->rc == 0; row++) {
        /* room for the whole row, written in place */
        rc = buf_reserve(e->b, (size_t)cols * CELL_MAX + 32);
        if (rc == 0 && text != NULL) {
            rc = buf_reserve(text, (size_t)cols * CELL_TEXT_MAX + 1);
        }
        if (rc < 0) {
            e->rc = rc;
            return;
        }
        p = (char *)e->b->data + e->b->len;
        if (text != NULL) {
            t = (char *)text->data + text->len;
            if (row > 0) {
                *t++ = '\n';
            }
            tkeep = t;
        }
        at = -1;            /* where the terminal's cursor is in the row */
        for (col = 0; col < cols; col += c.width > 1 ? c.width : 1) {
            get(ctx, row, col, &c);
            if (c.chars[0] == (uint32_t)-1) {
                continue;   /* a wide character's right half */
            }
            if (text != NULL) {
                if (chars_blank(&c)) {
                    *t++ = ' ';
                } else {
                    t += chars_utf8(c.chars, t);
                    tkeep = t;
                }
            }
            vtesc_pen_of(&c, &pen);
            if (c.chars[0] == 0 && pen_unseen(&pen) && at <= col) {
                continue;
            }
            if (at != col) {
                p += sprintf(p, "\033[%d;%dH", row + 1, col + 1);
            }
            if (!pen_eq(&pen, cur)) {
                p += sgr_into(p, &pen);
                *cur = pen;
            }
            if (c.chars[0] != 0) {
                p += chars_utf8(c.chars, p);
                at = col + (c.width > 1 ? c.width : 1);
                continue;
            }
            /* nothing in it: erased with the pen, with those after it
             * that are erased with the same (or cut from a wide
             * character drawn before) */
            for (k = 1; col + k < cols; k++) {
                get(ctx, row, col + k, &next);
                vtesc_pen_of(&next, &npen);
                if (next.chars[0] != 0 || !pen_eq(&npen, &pen)) {
                    break;
                }
                if (text != NULL) {
                    *t++ = ' ';
                }
            }
            p += sprintf(p, k > 1 ? "\033[%dX" : "\033[X", k);
            at = col;
            c.width = k;
        }
        e->b->len = (size_t)(p - (char *)e->b->data);
        if (text != NULL) {
            /* without the row's trailing blanks */
            text->len = (size_t)(tkeep - (char *)text->data);
        }
    }
}

int
vtesc_text(struct buf *text, int rows, int cols, vtesc_get_fn *get,
           const void *ctx)
{
    VTermScreenCell c;
    char *t, *tkeep;
    int row, col, rc;

    for (row = 0; row < rows; row++) {
        rc = buf_reserve(text, (size_t)cols * CELL_TEXT_MAX + 1);
        if (rc < 0) {
            return rc;
        }
        t = (char *)text->data + text->len;
        if (row > 0) {
            *t++ = '\n';
        }
        tkeep = t;
        for (col = 0; col < cols; col += c.width > 1 ? c.width : 1) {
            get(ctx, row, col, &c);
            if (c.chars[0] == (uint32_t)-1) {
                continue;
            }
            if (chars_blank(&c)) {
                *t++ = ' ';
            } else {
                t += chars_utf8(c.chars, t);
                tkeep = t;
            }
        }
        text->len = (size_t)(tkeep - (char *)text->data);
    }
    return 0;
}
