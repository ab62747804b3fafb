/*
 * Writing a libvterm screen as escape sequences and as text, for vt.c.
 *
 * A writer appends to a struct buf and keeps the first error, so that a
 * snapshot is written as a list of puts and checked once at the end.
 * The cells go out row by row with as few sequences as the pen changes
 * need; every character a cell holds is checked to be printable, so
 * that nothing from a recording reaches the string as a control.
 */
#ifndef VTESC_H
#define VTESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vterm.h>

#include "buf.h"
#include "vt.h"

/* The pen a cell is drawn with, in the terms SGR sets */
struct vtesc_pen {
    unsigned attrs;         /* VT_ATTR_* */
    int underline;          /* VTERM_UNDERLINE_* */
    int font;               /* 0 to 9 */
    struct vt_color fg;
    struct vt_color bg;
};

/* An escape string being written to b; rc holds the first error */
struct vtesc {
    struct buf *b;
    int rc;
};

/* Reads one cell of a screen (a libvterm one, or a copy of one) */
typedef void vtesc_get_fn(const void *ctx, int row, int col,
                          VTermScreenCell *cell);

/* libvterm's colour c, the foreground if fg, as a struct vt_color */
void vtesc_color(const VTermColor *c, bool fg, struct vt_color *out);

/* The pen of a cell */
void vtesc_pen_of(const VTermScreenCell *c, struct vtesc_pen *p);

/* Append n bytes, a string, or printf output (at most 63 bytes) */
void vtesc_put(struct vtesc *e, const void *p, size_t n);
void vtesc_puts(struct vtesc *e, const char *s);
void vtesc_printf(struct vtesc *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* SGR setting exactly pen p, from a reset */
void vtesc_sgr(struct vtesc *e, const struct vtesc_pen *p);

/* The characters of a cell (a space if none) */
void vtesc_chars(struct vtesc *e, const uint32_t *chars);

/*
 * Draw rows x cols cells read by get(ctx, ...) onto a blank screen, row
 * by row, skipping blank cells.  *cur is the terminal's pen, kept up to
 * date.  If text is not NULL, the screen's text is appended to it as
 * vt_text() describes.
 */
void vtesc_cells(struct vtesc *e, struct buf *text, int rows, int cols,
                 vtesc_get_fn *get, const void *ctx, struct vtesc_pen *cur);

/* Append the text of rows x cols cells to text (see vt_text()) */
int vtesc_text(struct buf *text, int rows, int cols, vtesc_get_fn *get,
               const void *ctx);

#endif
