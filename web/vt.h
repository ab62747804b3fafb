/*
 * A terminal screen kept by libvterm, and its snapshot as a string of
 * escape sequences.
 *
 * tlog-web runs a recording's output through a vt and keeps snapshots
 * of it: a snapshot written into a fresh xterm-like terminal of the
 * same size (xterm, xterm.js, libvterm) recreates the screen as it was:
 * every cell with its characters (wide and combining ones included),
 * attributes and colours (16, 256 and RGB), the alternate screen with
 * the normal one under it, the scroll region, the modes that change how
 * later output lands or how keys are sent (origin, autowrap,
 * application cursor keys, bracketed paste, mouse reporting and its
 * encoding, focus events, reverse video), the cursor's position, shape
 * and visibility, the current pen, the window title, the cursor that
 * DECSET 1049 saved (with its pen and style), and a cursor left waiting
 * to wrap at the right margin.  Output that followed the snapshot then
 * plays on from it as it played on from the original.
 *
 * Not carried over (libvterm does not say): a cursor saved by DECSC or
 * CSI s, character sets (SCS, SO, SI), the keypad, insert (IRM) and
 * newline (LNM) modes, tab stops set by HTS or TBC, left and right
 * margins, double-width lines, the scrollback.  Whether the cursor
 * waits to wrap is read from libvterm's reports: a cursor motion that
 * does not move it (CUF at the margin, CUP to where it is) ends the
 * wait unseen, and a glyph drawn at the margin with autowrap off looks
 * like a wait once autowrap is back on.  Over a half of a wide
 * character libvterm keeps the other half, which no output recreates.
 *
 * After a window change the whole screen scrolls, as in xterm and
 * xterm.js: libvterm would keep a scroll region the change cut off
 * and later write out of its memory.
 *
 * A vt is not thread-safe; use one per thread.
 */
#ifndef VT_H
#define VT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Largest number of rows or columns a vt takes */
#define VT_DIM_MAX 512

/* Characters a cell holds at most: a base and its combining marks */
#define VT_CELL_CHARS 6

/* Longest window title carried into a snapshot, in bytes */
#define VT_TITLE_MAX 256

struct vt;

enum vt_color_type {
    VT_COLOR_DEFAULT,   /* the terminal's default foreground/background */
    VT_COLOR_INDEXED,   /* one of the 256 palette colours (0-15: ANSI) */
    VT_COLOR_RGB,       /* 24-bit colour */
};

struct vt_color {
    enum vt_color_type type;
    uint8_t idx;        /* VT_COLOR_INDEXED */
    uint8_t r, g, b;    /* VT_COLOR_RGB */
};

/* Attribute bits of struct vt_cell */
#define VT_ATTR_BOLD    0x01u
#define VT_ATTR_ITALIC  0x02u
#define VT_ATTR_BLINK   0x04u
#define VT_ATTR_REVERSE 0x08u
#define VT_ATTR_STRIKE  0x10u

/* One cell of the screen */
struct vt_cell {
    uint32_t chars[VT_CELL_CHARS];  /* code points; nchars of them */
    int nchars;         /* 0 for a blank cell (nothing, or a space) */
    int width;          /* 1, 2 for a wide character, 0 for the right
                           half of a wide character */
    unsigned attrs;     /* VT_ATTR_* */
    int underline;      /* 0 none, 1 single, 2 double, 3 curly */
    struct vt_color fg;
    struct vt_color bg;
};

/* Cursor shapes (DECSCUSR) */
enum vt_cursor_shape {
    VT_CURSOR_BLOCK = 1,
    VT_CURSOR_UNDERLINE = 2,
    VT_CURSOR_BAR = 3,
};

/* Mouse reporting (DECSET 1000, 1002, 1003) */
enum vt_mouse {
    VT_MOUSE_NONE,
    VT_MOUSE_CLICK,
    VT_MOUSE_DRAG,
    VT_MOUSE_MOVE,
};

/* The terminal's state apart from its cells */
struct vt_state {
    int rows, cols;
    int cursor_row, cursor_col;     /* 0-based, on the screen */
    bool cursor_visible;
    bool cursor_blink;
    enum vt_cursor_shape cursor_shape;
    bool alt_screen;        /* the alternate screen is shown */
    bool app_cursor;        /* DECCKM: cursor keys send ESC O x */
    bool origin;            /* DECOM */
    bool autowrap;          /* DECAWM */
    bool reverse;           /* DECSCNM: the whole screen reversed */
    bool bracketed_paste;   /* DECSET 2004 */
    bool focus_events;      /* DECSET 1004 */
    enum vt_mouse mouse;
    int mouse_encoding;     /* 0 (X10 bytes), 1005, 1006 or 1015 */
    int scroll_top;         /* scroll region, 0-based rows, inclusive; */
    int scroll_bottom;      /* 0 and rows - 1 when it is the whole screen */
};

/*
 * Make a terminal of rows x cols (1 to VT_DIM_MAX each), blank, UTF-8.
 * Stores it in *pv.  Returns 0, -EINVAL for a size out of range, or
 * -ENOMEM.  The caller owns it and frees it with vt_free().
 */
int vt_new(int rows, int cols, struct vt **pv);

/* vt_free(NULL) does nothing */
void vt_free(struct vt *v);

/*
 * Run len bytes of terminal output through the terminal.  Sequences
 * and UTF-8 characters may be split across calls.  Large chunks cost
 * less per byte than small ones.
 */
void vt_feed(struct vt *v, const uint8_t *data, size_t len);

/*
 * Resize to rows x cols (1 to VT_DIM_MAX each), as a terminal whose
 * window changed does.  Returns 0 or -EINVAL (size out of range: the
 * terminal is unchanged).
 */
int vt_resize(struct vt *v, int rows, int cols);

/*
 * Whether a snapshot may be taken now: false while the output fed so
 * far ends inside an escape sequence or a UTF-8 character, whose rest
 * is still to come.
 */
bool vt_settled(const struct vt *v);

/*
 * Append to out the escape sequences that recreate the terminal, as
 * described at the top, in an xterm-like terminal of the same size; if
 * text is not NULL, append the screen's text to it too, as vt_text()
 * does (at less cost than a call of it).  The string starts with a full
 * reset (RIS), holds only printable characters and escape sequences,
 * and never makes a terminal answer.  Returns 0, -EAGAIN if
 * !vt_settled() (out and text unchanged), or the buffers' errors
 * (-ENOMEM, -EMSGSIZE; they then hold partial strings to drop).  The
 * terminal is unchanged.
 */
int vt_snapshot(struct vt *v, struct buf *out, struct buf *text);

/*
 * Append to out the text on the screen: rows joined by "\n", each
 * without its trailing blanks, a wide character once, combining marks
 * after their base, UTF-8.  Returns 0 or out's errors.
 */
int vt_text(const struct vt *v, struct buf *out);

/*
 * The cell at row, col (0-based) into *cell: its attributes as stored
 * (vt_state()'s reverse says the whole screen shows reversed); the
 * right half of a wide character with the attributes of its left.
 * Returns 0 or -EINVAL outside the screen.
 */
int vt_cell(const struct vt *v, int row, int col, struct vt_cell *cell);

/*
 * The state apart from the cells into *st.  Returns 0, or -EAGAIN if
 * !vt_settled() (*st unchanged).  The terminal is unchanged.
 */
int vt_state(struct vt *v, struct vt_state *st);

/* The window title last set, NUL-terminated (owned by v; "" if none) */
const char *vt_title(const struct vt *v);

#endif
