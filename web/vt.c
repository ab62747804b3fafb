/*
 * A terminal screen kept by libvterm, and its snapshot as a string of
 * escape sequences.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vterm.h>

#include "vt.h"
#include "vtesc.h"

/* Where the output fed so far ends, as a terminal's parser sees it */
enum seq {
    SEQ_GROUND,     /* between sequences */
    SEQ_ESC,        /* after ESC */
    SEQ_ESC_INTER,  /* after ESC and an intermediate byte */
    SEQ_CSI,        /* inside a control sequence */
    SEQ_STRING,     /* inside OSC, DCS, APC, PM or SOS */
};

/* Longest answer to the snapshot's own queries kept */
#define REPLY_MAX 512

/* The modes libvterm answers DECRQM for, and what a snapshot sets */
static const int query_modes[] = { 1, 6, 7, 1004, 1005, 1006, 1015, 2004 };
#define NQUERY (sizeof(query_modes) / sizeof(query_modes[0]))

struct vt {
    VTerm *term;
    VTermState *state;
    VTermScreen *screen;
    int rows, cols;

    /* properties libvterm reports as they change */
    bool cursor_visible;
    bool cursor_blink;
    int cursor_shape;           /* VTERM_PROP_CURSORSHAPE_* */
    bool alt_screen;
    bool reverse;
    int mouse;                  /* VTERM_PROP_MOUSE_* */
    char title[VT_TITLE_MAX + 1];

    /* The normal screen as it was when the alternate one was shown,
     * and the cursor then (which DECSET 1049 saves) */
    VTermScreenCell *normal;
    int normal_rows, normal_cols;
    /* and what DECSET 1049 saved with the cursor (as libvterm does):
     * its position, the pen (as a blank cell), visibility and shape */
    int normal_row, normal_col;
    VTermScreenCell normal_pen;
    bool normal_visible, normal_blink;
    int normal_shape;
    bool saved;                 /* DECSET 1049 saved a cursor */
    bool copying;               /* switching screens to read the normal */

    /* A glyph was drawn at the right margin, at edge_row, edge_col (its
     * width reaching the margin), and the cursor has not moved since:
     * with autowrap on, the next character wraps first */
    bool edge;
    int edge_row, edge_col, edge_width;

    /* the parser's place at the end of the output, and its last bytes */
    enum seq seq;
    uint8_t last[3];
    size_t nlast;

    /* answers to the snapshot's queries */
    bool capture;
    char reply[REPLY_MAX];
    size_t reply_len;
};

/* A cell as stored: libvterm reports it reversed when the whole screen
 * is (DECSCNM), which a snapshot sets on its own */
static void
get_screen_cell(const void *ctx, int row, int col, VTermScreenCell *cell)
{
    const struct vt *v = ctx;
    VTermPos pos = { row, col };

    if (vterm_screen_get_cell(v->screen, pos, cell)) {
        if (v->reverse) {
            cell->attrs.reverse = !cell->attrs.reverse;
        }
    } else {
        memset(cell, 0, sizeof(*cell));
        cell->width = 1;
        cell->fg.type = VTERM_COLOR_DEFAULT_FG;
        cell->bg.type = VTERM_COLOR_DEFAULT_BG;
    }
}

static void
get_normal_cell(const void *ctx, int row, int col, VTermScreenCell *cell)
{
    const struct vt *v = ctx;

    *cell = v->normal[(size_t)row * (size_t)v->normal_cols + (size_t)col];
}

/* --- libvterm's callbacks --- */

static int
on_damage(VTermRect rect, void *user)
{
    struct vt *v = user;
    VTermScreenCell c;
    VTermPos pos = { rect.start_row, rect.start_col };

    /*
     * A glyph at the right margin damages its own cells only.  libvterm
     * then waits to wrap until the cursor moves; erasing, scrolling or
     * another glyph's damage elsewhere do not end the wait, so they
     * leave the flag as it is.
     */
    if (rect.end_row - rect.start_row == 1 && rect.end_col == v->cols &&
        rect.start_col >= v->cols - 2 &&
        vterm_screen_get_cell(v->screen, pos, &c) && c.chars[0] != 0) {
        v->edge = true;
        v->edge_row = rect.start_row;
        v->edge_col = rect.start_col;
        v->edge_width = rect.end_col - rect.start_col;
    }
    return 1;
}

static int
on_movecursor(VTermPos pos, VTermPos oldpos, int visible, void *user)
{
    struct vt *v = user;

    (void)oldpos;
    (void)visible;
    /* libvterm moves the cursor once after a run of glyphs: a glyph at
     * the margin left it there.  (A move to the very cell the cursor is
     * already in is not reported; after a glyph at the margin that
     * leaves a wrap thought pending that is not.) */
    v->edge = v->edge && pos.row == v->edge_row && pos.col == v->edge_col;
    return 1;
}

/* A blank cell in the pen libvterm draws with now */
static void
pen_cell(const struct vt *v, VTermScreenCell *c)
{
    VTermValue val;

    memset(c, 0, sizeof(*c));
    c->width = 1;
    vterm_state_get_penattr(v->state, VTERM_ATTR_BOLD, &val);
    c->attrs.bold = val.boolean != 0;
    vterm_state_get_penattr(v->state, VTERM_ATTR_UNDERLINE, &val);
    c->attrs.underline = (unsigned)val.number & 3;
    vterm_state_get_penattr(v->state, VTERM_ATTR_ITALIC, &val);
    c->attrs.italic = val.boolean != 0;
    vterm_state_get_penattr(v->state, VTERM_ATTR_BLINK, &val);
    c->attrs.blink = val.boolean != 0;
    vterm_state_get_penattr(v->state, VTERM_ATTR_REVERSE, &val);
    c->attrs.reverse = val.boolean != 0;
    vterm_state_get_penattr(v->state, VTERM_ATTR_STRIKE, &val);
    c->attrs.strike = val.boolean != 0;
    vterm_state_get_penattr(v->state, VTERM_ATTR_FONT, &val);
    c->attrs.font = (unsigned)val.number & 15;
    vterm_state_get_penattr(v->state, VTERM_ATTR_FOREGROUND, &val);
    c->fg = val.color;
    vterm_state_get_penattr(v->state, VTERM_ATTR_BACKGROUND, &val);
    c->bg = val.color;
}

/* What DECSET 1049 is about to save with the cursor */
static void
save_cursor(struct vt *v)
{
    VTermPos pos;

    vterm_state_get_cursorpos(v->state, &pos);
    v->normal_row = pos.row;
    v->normal_col = pos.col;
    pen_cell(v, &v->normal_pen);
    v->normal_visible = v->cursor_visible;
    v->normal_blink = v->cursor_blink;
    v->normal_shape = v->cursor_shape;
    v->saved = true;
}

/*
 * The alternate screen is about to be shown, the normal one already
 * hidden (libvterm switches buffers before telling): show the normal
 * one again for a moment to copy it, then the alternate one (which
 * libvterm clears, as it does anyway).
 */
static void
copy_normal(struct vt *v)
{
    VTermValue off = { .boolean = 0 };
    VTermValue on = { .boolean = 1 };
    size_t n = (size_t)v->rows * (size_t)v->cols;
    VTermScreenCell *cells;
    int row, col;

    save_cursor(v);
    cells = realloc(v->normal, n * sizeof(*cells));
    if (cells == NULL) {
        /* the snapshot then shows the alternate screen on a blank one */
        free(v->normal);
        v->normal = NULL;
        v->normal_rows = v->normal_cols = 0;
        return;
    }
    v->normal = cells;
    v->normal_rows = v->rows;
    v->normal_cols = v->cols;
    v->copying = true;
    vterm_state_set_termprop(v->state, VTERM_PROP_ALTSCREEN, &off);
    for (row = 0; row < v->rows; row++) {
        for (col = 0; col < v->cols; col++) {
            get_screen_cell(v, row, col,
                            &cells[(size_t)row * (size_t)v->cols +
                                   (size_t)col]);
        }
    }
    vterm_state_set_termprop(v->state, VTERM_PROP_ALTSCREEN, &on);
    v->copying = false;
}

/* Keep a title fit to be written back into a terminal: no controls */
static void
set_title(struct vt *v, const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = 0;

    for (; *p != 0 && n < VT_TITLE_MAX; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            continue;
        }
        if (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) {
            p++;            /* a C1 control in UTF-8 */
            continue;
        }
        v->title[n++] = (char)*p;
    }
    /* never end inside a UTF-8 character cut short */
    while (n > 0 && ((uint8_t)v->title[n - 1] & 0xc0) == 0x80) {
        n--;
    }
    if (n > 0 && (uint8_t)v->title[n - 1] >= 0xc0) {
        n--;
    }
    v->title[n] = 0;
}

static int
on_settermprop(VTermProp prop, VTermValue *val, void *user)
{
    struct vt *v = user;

    switch (prop) {
    case VTERM_PROP_CURSORVISIBLE:
        v->cursor_visible = val->boolean;
        break;
    case VTERM_PROP_CURSORBLINK:
        v->cursor_blink = val->boolean;
        break;
    case VTERM_PROP_ALTSCREEN:
        if (v->copying) {
            break;
        }
        if (val->boolean && !v->alt_screen) {
            copy_normal(v);
        } else if (val->boolean) {
            /* shown again: DECSET 1049 saves the cursor again */
            save_cursor(v);
        }
        v->alt_screen = val->boolean;
        break;
    case VTERM_PROP_TITLE:
        set_title(v, val->string != NULL ? val->string : "");
        break;
    case VTERM_PROP_REVERSE:
        v->reverse = val->boolean;
        break;
    case VTERM_PROP_CURSORSHAPE:
        v->cursor_shape = val->number;
        break;
    case VTERM_PROP_MOUSE:
        v->mouse = val->number;
        break;
    default:
        break;
    }
    return 1;
}

static void
on_output(const char *s, size_t len, void *user)
{
    struct vt *v = user;

    /* answers to the recording's own queries go nowhere */
    if (v->capture && len <= REPLY_MAX - v->reply_len) {
        memcpy(v->reply + v->reply_len, s, len);
        v->reply_len += len;
    }
}

static const VTermScreenCallbacks screen_callbacks = {
    .damage = on_damage,
    .movecursor = on_movecursor,
    .settermprop = on_settermprop,
};

/* --- the terminal --- */

static bool
dims_ok(int rows, int cols)
{
    return rows >= 1 && rows <= VT_DIM_MAX && cols >= 1 && cols <= VT_DIM_MAX;
}

int
vt_new(int rows, int cols, struct vt **pv)
{
    struct vt *v;

    if (!dims_ok(rows, cols)) {
        return -EINVAL;
    }
    v = calloc(1, sizeof(*v));
    if (v == NULL) {
        return -ENOMEM;
    }
    v->term = vterm_new(rows, cols);
    if (v->term == NULL) {
        free(v);
        return -ENOMEM;
    }
    v->rows = rows;
    v->cols = cols;
    v->cursor_visible = true;
    v->cursor_blink = true;
    v->cursor_shape = VTERM_PROP_CURSORSHAPE_BLOCK;
    vterm_set_utf8(v->term, 1);
    vterm_output_set_callback(v->term, on_output, v);
    v->state = vterm_obtain_state(v->term);
    v->screen = vterm_obtain_screen(v->term);
    vterm_screen_enable_altscreen(v->screen, 1);
    vterm_screen_set_callbacks(v->screen, &screen_callbacks, v);
    vterm_screen_reset(v->screen, 1);
    *pv = v;
    return 0;
}

void
vt_free(struct vt *v)
{
    if (v == NULL) {
        return;
    }
    vterm_free(v->term);
    free(v->normal);
    free(v);
}

/*
 * Follow the parser from p to end, starting in v->seq.  Only the tail
 * after the last ESC comes here, so no ESC is met in it.
 */
static void
follow(struct vt *v, const uint8_t *p, const uint8_t *end)
{
    enum seq s = v->seq;

    for (; p < end && s != SEQ_GROUND; p++) {
        uint8_t c = *p;

        if (c == 0x18 || c == 0x1a) {       /* CAN, SUB: cancelled */
            s = SEQ_GROUND;
            break;
        }
        switch (s) {
        case SEQ_ESC:
            if (c == '[') {
                s = SEQ_CSI;
            } else if (c == ']' || c == 'P' || c == '_' || c == '^' ||
                       c == 'X') {
                s = SEQ_STRING;
            } else if (c >= 0x20 && c < 0x30) {
                s = SEQ_ESC_INTER;
            } else if (c >= 0x30) {
                s = SEQ_GROUND;
            }
            break;
        case SEQ_ESC_INTER:
            if (c >= 0x30) {
                s = SEQ_GROUND;
            }
            break;
        case SEQ_CSI:
            if (c >= 0x40) {
                s = SEQ_GROUND;
            }
            break;
        case SEQ_STRING:
            if (c == 0x07) {
                s = SEQ_GROUND;
            }
            break;
        case SEQ_GROUND:
            break;
        }
    }
    v->seq = s;
}

void
vt_feed(struct vt *v, const uint8_t *data, size_t len)
{
    const uint8_t *end = data + len;
    const uint8_t *esc;
    size_t keep;

    if (len == 0) {
        return;
    }
    vterm_input_write(v->term, (const char *)data, len);

    esc = memrchr(data, 0x1b, len);
    if (esc != NULL) {
        v->seq = SEQ_ESC;
        follow(v, esc + 1, end);
    } else if (v->seq != SEQ_GROUND) {
        follow(v, data, end);
    }
    keep = len < sizeof(v->last) ? len : sizeof(v->last);
    if (keep < sizeof(v->last)) {
        memmove(v->last, v->last + keep, sizeof(v->last) - keep);
    }
    memcpy(v->last + sizeof(v->last) - keep, end - keep, keep);
    v->nlast = v->nlast + keep > sizeof(v->last) ? sizeof(v->last) :
               v->nlast + keep;
}

static void reset_region(struct vt *v);

int
vt_resize(struct vt *v, int rows, int cols)
{
    VTermScreenCell *cells, blank;
    size_t n;
    int row, col;

    if (!dims_ok(rows, cols)) {
        return -EINVAL;
    }
    if (rows == v->rows && cols == v->cols) {
        return 0;
    }
    /* the normal screen under the alternate one: cut, or padded with
     * blanks in the current pen, as libvterm does its hidden screen */
    if (v->alt_screen && v->normal != NULL) {
        n = (size_t)rows * (size_t)cols;
        cells = malloc(n * sizeof(*cells));
        if (cells == NULL) {
            return -ENOMEM;
        }
        pen_cell(v, &blank);
        for (row = 0; row < rows; row++) {
            for (col = 0; col < cols; col++) {
                VTermScreenCell *c = &cells[(size_t)row * (size_t)cols +
                                            (size_t)col];

                if (row < v->normal_rows && col < v->normal_cols) {
                    get_normal_cell(v, row, col, c);
                } else {
                    *c = blank;
                }
            }
        }
        free(v->normal);
        v->normal = cells;
        v->normal_rows = rows;
        v->normal_cols = cols;
        if (v->normal_row >= rows) {
            v->normal_row = rows - 1;
        }
        if (v->normal_col >= cols) {
            v->normal_col = cols - 1;
        }
    }
    /* a cursor waiting to wrap moves on if the row grew (libvterm
     * reports the move, which ends the wait here too) */
    vterm_set_size(v->term, rows, cols);
    v->rows = rows;
    v->cols = cols;
    reset_region(v);
    return 0;
}

bool
vt_settled(const struct vt *v)
{
    size_t i, need;

    if (v->seq != SEQ_GROUND) {
        return false;
    }
    /* a UTF-8 character whose last bytes are still to come */
    for (i = 1; i <= v->nlast; i++) {
        uint8_t c = v->last[sizeof(v->last) - i];

        if ((c & 0xc0) == 0x80) {
            continue;
        }
        if (c < 0xc0) {
            return true;
        }
        need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        return i >= need;
    }
    return true;
}

/*
 * Ask libvterm what it keeps to itself (modes, scroll region) the way a
 * program asks a terminal, and read its answers into st.  Only when
 * settled: the queries must not land inside a sequence of the output.
 */
static void
query(struct vt *v, struct vt_state *st)
{
    static const char ask[] =
        "\033[?1$p\033[?6$p\033[?7$p\033[?1004$p\033[?1005$p\033[?1006$p"
        "\033[?1015$p\033[?2004$p\033P$qr\033\\";
    const char *p, *end;
    int mode, value, top, bottom;
    size_t i;

    v->reply_len = 0;
    v->capture = true;
    vterm_input_write(v->term, ask, sizeof(ask) - 1);
    v->capture = false;

    st->autowrap = true;
    st->scroll_top = 0;
    st->scroll_bottom = v->rows - 1;
    end = v->reply + v->reply_len;
    for (p = v->reply; p < end; p++) {
        if (*p != '\033') {
            continue;
        }
        if (sscanf(p, "\033[?%d;%d$y", &mode, &value) == 2) {
            for (i = 0; i < NQUERY && query_modes[i] != mode; i++) {
            }
            if (i == NQUERY || (value != 1 && value != 2)) {
                continue;
            }
            switch (mode) {
            case 1:
                st->app_cursor = value == 1;
                break;
            case 6:
                st->origin = value == 1;
                break;
            case 7:
                st->autowrap = value == 1;
                break;
            case 1004:
                st->focus_events = value == 1;
                break;
            case 2004:
                st->bracketed_paste = value == 1;
                break;
            default:
                if (value == 1) {
                    st->mouse_encoding = mode;
                }
                break;
            }
        } else if (sscanf(p, "\033P1$r%d;%dr", &top, &bottom) == 2 &&
                   top >= 1 && bottom <= v->rows && top <= bottom) {
            st->scroll_top = top - 1;
            st->scroll_bottom = bottom - 1;
        }
    }
}

/*
 * After a window change: the whole screen scrolls, as in xterm and
 * xterm.js, and the cursor is on the screen.  libvterm keeps a region
 * whose top the window cut off, and scrolling it then writes out of its
 * screen's memory; so does writing with the cursor it moved above the
 * screen when the window lost rows under text.  An escape
 * sequence the output left open is cancelled (CAN) first: the queries
 * and the reset must not land inside it.
 */
static void
reset_region(struct vt *v)
{
    static const char ask[] = "\033P$qr\033\\";
    VTermPos pos;
    char s[48];
    int n;

    if (!vt_settled(v)) {
        vterm_input_write(v->term, "\030", 1);
        v->seq = SEQ_GROUND;
        v->nlast = 0;
    }
    v->reply_len = 0;
    v->capture = true;
    vterm_input_write(v->term, ask, sizeof(ask) - 1);
    v->capture = false;
    n = snprintf(s, sizeof(s), "\033P1$r1;%dr\033\\", v->rows);
    vterm_state_get_cursorpos(v->state, &pos);
    if (v->reply_len == (size_t)n && memcmp(v->reply, s, (size_t)n) == 0 &&
        pos.row >= 0 && pos.col >= 0) {
        return;
    }
    /* DECSTBM homes the cursor: put it back (a wait to wrap ends).
     * libvterm may also have moved it above the screen, keeping the
     * rows under it: there it would write out of its memory */
    n = snprintf(s, sizeof(s), "\033[r\033[%d;%dH",
                 (pos.row > 0 ? pos.row : 0) + 1,
                 (pos.col > 0 ? pos.col : 0) + 1);
    vterm_input_write(v->term, s, (size_t)n);
    v->edge = false;
}

static void
fill_state(struct vt *v, struct vt_state *st)
{
    VTermPos pos;

    memset(st, 0, sizeof(*st));
    st->rows = v->rows;
    st->cols = v->cols;
    vterm_state_get_cursorpos(v->state, &pos);
    st->cursor_row = pos.row;
    st->cursor_col = pos.col;
    st->cursor_visible = v->cursor_visible;
    st->cursor_blink = v->cursor_blink;
    switch (v->cursor_shape) {
    case VTERM_PROP_CURSORSHAPE_UNDERLINE:
        st->cursor_shape = VT_CURSOR_UNDERLINE;
        break;
    case VTERM_PROP_CURSORSHAPE_BAR_LEFT:
        st->cursor_shape = VT_CURSOR_BAR;
        break;
    default:
        st->cursor_shape = VT_CURSOR_BLOCK;
        break;
    }
    st->alt_screen = v->alt_screen;
    st->reverse = v->reverse;
    switch (v->mouse) {
    case VTERM_PROP_MOUSE_CLICK:
        st->mouse = VT_MOUSE_CLICK;
        break;
    case VTERM_PROP_MOUSE_DRAG:
        st->mouse = VT_MOUSE_DRAG;
        break;
    case VTERM_PROP_MOUSE_MOVE:
        st->mouse = VT_MOUSE_MOVE;
        break;
    default:
        st->mouse = VT_MOUSE_NONE;
        break;
    }
    query(v, st);
}

int
vt_state(struct vt *v, struct vt_state *st)
{
    if (!vt_settled(v)) {
        return -EAGAIN;
    }
    fill_state(v, st);
    return 0;
}

const char *
vt_title(const struct vt *v)
{
    return v->title;
}

/* The pen libvterm draws new characters with */
static void
current_pen(const struct vt *v, struct vtesc_pen *p)
{
    VTermValue val;

    memset(p, 0, sizeof(*p));
    vterm_state_get_penattr(v->state, VTERM_ATTR_BOLD, &val);
    p->attrs |= val.boolean ? VT_ATTR_BOLD : 0;
    vterm_state_get_penattr(v->state, VTERM_ATTR_ITALIC, &val);
    p->attrs |= val.boolean ? VT_ATTR_ITALIC : 0;
    vterm_state_get_penattr(v->state, VTERM_ATTR_BLINK, &val);
    p->attrs |= val.boolean ? VT_ATTR_BLINK : 0;
    vterm_state_get_penattr(v->state, VTERM_ATTR_REVERSE, &val);
    p->attrs |= val.boolean ? VT_ATTR_REVERSE : 0;
    vterm_state_get_penattr(v->state, VTERM_ATTR_STRIKE, &val);
    p->attrs |= val.boolean ? VT_ATTR_STRIKE : 0;
    vterm_state_get_penattr(v->state, VTERM_ATTR_UNDERLINE, &val);
    p->underline = val.number;
    vterm_state_get_penattr(v->state, VTERM_ATTR_FONT, &val);
    p->font = val.number;
    vterm_state_get_penattr(v->state, VTERM_ATTR_FOREGROUND, &val);
    vtesc_color(&val.color, true, &p->fg);
    vterm_state_get_penattr(v->state, VTERM_ATTR_BACKGROUND, &val);
    vtesc_color(&val.color, false, &p->bg);
}

/* Cursor position: with origin mode on, it counts from the region */
static void
put_cup(struct vtesc *e, const struct vt_state *st, int row, int col)
{
    vtesc_printf(e, "\033[%d;%dH",
                 (st->origin ? row - st->scroll_top : row) + 1, col + 1);
}

static void
put_mode(struct vtesc *e, int mode, bool on)
{
    vtesc_printf(e, "\033[?%d%c", mode, on ? 'h' : 'l');
}

/* Cursor shape (VTERM_PROP_CURSORSHAPE_*) and blinking (DECSCUSR), and
 * visibility */
static void
put_cursor_style(struct vtesc *e, int shape, bool blink, bool visible)
{
    int n = shape == VTERM_PROP_CURSORSHAPE_UNDERLINE ? 3 :
            shape == VTERM_PROP_CURSORSHAPE_BAR_LEFT ? 5 : 1;

    vtesc_printf(e, "\033[%d q\033[?25%c", n + (blink ? 0 : 1),
                 visible ? 'h' : 'l');
}

/* The cursor, pen and cursor style DECSET 1049 saved */
static void
put_saved(struct vtesc *e, const struct vt *v)
{
    struct vtesc_pen pen;

    vtesc_pen_of(&v->normal_pen, &pen);
    vtesc_sgr(e, &pen);
    put_cursor_style(e, v->normal_shape, v->normal_blink, v->normal_visible);
    vtesc_printf(e, "\033[%d;%dH", v->normal_row + 1, v->normal_col + 1);
}

/* The modes, scroll region, cursor shape and visibility, title */
static void
put_state(struct vtesc *e, const struct vt *v, const struct vt_state *st)
{
    if (st->scroll_top != 0 || st->scroll_bottom != v->rows - 1) {
        vtesc_printf(e, "\033[%d;%dr", st->scroll_top + 1,
                     st->scroll_bottom + 1);
    }
    if (st->app_cursor) {
        put_mode(e, 1, true);
    }
    if (st->reverse) {
        put_mode(e, 5, true);
    }
    if (st->origin) {
        put_mode(e, 6, true);
    }
    if (!st->autowrap) {
        put_mode(e, 7, false);
    }
    if (st->mouse != VT_MOUSE_NONE) {
        put_mode(e, st->mouse == VT_MOUSE_CLICK ? 1000 :
                 st->mouse == VT_MOUSE_DRAG ? 1002 : 1003, true);
    }
    if (st->mouse_encoding != 0) {
        put_mode(e, st->mouse_encoding, true);
    }
    if (st->focus_events) {
        put_mode(e, 1004, true);
    }
    if (st->bracketed_paste) {
        put_mode(e, 2004, true);
    }
    put_cursor_style(e, v->cursor_shape, st->cursor_blink,
                     st->cursor_visible);
    if (v->title[0] != 0) {
        vtesc_puts(e, "\033]2;");
        vtesc_puts(e, v->title);
        vtesc_puts(e, "\a");
    }
}

int
vt_snapshot(struct vt *v, struct buf *out, struct buf *text)
{
    struct vtesc e = { out, 0 };
    struct vt_state st;
    struct vtesc_pen cur, pen;
    VTermScreenCell c;
    bool wrap_pending;

    if (!vt_settled(v)) {
        return -EAGAIN;
    }
    fill_state(v, &st);

    /* a reset, then the size the screen had (a terminal may follow it) */
    vtesc_puts(&e, "\033c");
    vtesc_printf(&e, "\033[8;%d;%dt", v->rows, v->cols);
    memset(&cur, 0, sizeof(cur));

    if (v->alt_screen) {
        if (v->normal != NULL) {
            vtesc_cells(&e, NULL, v->normal_rows, v->normal_cols,
                        get_normal_cell, v, &cur);
        }
        /* what DECSET 1049 saves, as it was when the program set it;
         * then the alternate screen cleared with a plain pen */
        put_saved(&e, v);
        vtesc_puts(&e, "\033[?1049h\033[0m\033[2J");
        memset(&cur, 0, sizeof(cur));
    } else if (v->saved) {
        /* the cursor 1049 saved stays saved after the alternate screen
         * is left, for another DECRST 1049 or DECRC to restore: save it
         * the same way (DECSC) */
        put_saved(&e, v);
        vtesc_puts(&e, "\0337\033[0m");
    }
    vtesc_cells(&e, text, v->rows, v->cols, get_screen_cell, v, &cur);
    put_state(&e, v, &st);

    /* A cursor waiting at the right margin to wrap: draw the glyph
     * there again, which leaves the terminal waiting the same way */
    wrap_pending = false;
    if (v->edge && st.autowrap && st.cursor_row == v->edge_row &&
        st.cursor_col == v->edge_col) {
        get_screen_cell(v, v->edge_row, v->edge_col, &c);
        wrap_pending = c.chars[0] != (uint32_t)-1 &&
                       (c.width > 1 ? c.width : 1) == v->edge_width;
    }
    if (wrap_pending) {
        put_cup(&e, &st, v->edge_row, v->edge_col);
        vtesc_pen_of(&c, &pen);
        vtesc_sgr(&e, &pen);
        vtesc_chars(&e, c.chars);
    }
    current_pen(v, &pen);
    vtesc_sgr(&e, &pen);
    if (!wrap_pending) {
        put_cup(&e, &st, st.cursor_row, st.cursor_col);
    }
    return e.rc;
}

int
vt_text(const struct vt *v, struct buf *out)
{
    return vtesc_text(out, v->rows, v->cols, get_screen_cell, v);
}

int
vt_cell(const struct vt *v, int row, int col, struct vt_cell *cell)
{
    VTermScreenCell c;
    struct vtesc_pen p;
    int i;

    if (row < 0 || row >= v->rows || col < 0 || col >= v->cols) {
        return -EINVAL;
    }
    get_screen_cell(v, row, col, &c);
    memset(cell, 0, sizeof(*cell));
    if (c.chars[0] == (uint32_t)-1) {
        /* the right half of a wide character, shown with its pen (its
         * own is what the cell held before) */
        cell->width = 0;
        if (col > 0) {
            get_screen_cell(v, row, col - 1, &c);
        }
    } else {
        cell->width = c.width > 1 ? c.width : 1;
        for (i = 0; i < VT_CELL_CHARS && i < VTERM_MAX_CHARS_PER_CELL &&
                    c.chars[i] != 0; i++) {
            cell->chars[i] = c.chars[i];
        }
        cell->nchars = i;
        if (i == 1 && c.chars[0] == ' ') {
            cell->nchars = 0;   /* a space shows as a blank */
            cell->chars[0] = 0;
        }
    }
    vtesc_pen_of(&c, &p);
    cell->attrs = p.attrs;
    cell->underline = p.underline;
    cell->fg = p.fg;
    cell->bg = p.bg;
    return 0;
}
