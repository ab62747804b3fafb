/*
 * vt and snap: a snapshot written into a new terminal of the same size
 * recreates the screen, cell by cell, with the state apart from the
 * cells; output that follows lands on both alike.  The snapshot index
 * numbers events and takes snapshots at its thresholds.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snap.h"
#include "testlib.h"
#include "vt.h"

static struct vt *
mk(int rows, int cols)
{
    struct vt *v = NULL;

    ck_assert_int_eq(vt_new(rows, cols, &v), 0);
    return v;
}

static void
feed(struct vt *v, const char *s)
{
    vt_feed(v, (const uint8_t *)s, strlen(s));
}

static void
feed_both(struct vt *a, struct vt *b, const char *s)
{
    feed(a, s);
    feed(b, s);
}

/* The text of v, NUL-terminated, to free */
static char *
text(struct vt *v)
{
    struct buf b;
    char *s;

    buf_init(&b, 1 << 20);
    ck_assert_int_eq(vt_text(v, &b), 0);
    s = malloc(b.len + 1);
    memcpy(s, b.data, b.len);
    s[b.len] = 0;
    buf_fini(&b);
    return s;
}

/* A new terminal of v's size with v's snapshot written into it */
static struct vt *
replay(struct vt *v)
{
    struct vt_state st;
    struct buf b;
    struct vt *w;

    ck_assert_int_eq(vt_state(v, &st), 0);
    w = mk(st.rows, st.cols);
    buf_init(&b, SNAP_ESC_MAX);
    ck_assert_int_eq(vt_snapshot(v, &b, NULL), 0);
    vt_feed(w, b.data, b.len);
    buf_fini(&b);
    return w;
}

static void
color_same(const struct vt_color *a, const struct vt_color *b, int row,
           int col, const char *what)
{
    ck_assert_msg(a->type == b->type &&
                  (a->type != VT_COLOR_INDEXED || a->idx == b->idx) &&
                  (a->type != VT_COLOR_RGB ||
                   (a->r == b->r && a->g == b->g && a->b == b->b)),
                  "cell %d,%d: %s colour differs (type %d/%d idx %d/%d)",
                  row, col, what, a->type, b->type, a->idx, b->idx);
}

/* A blank cell whose foreground, bold, italic and blink cannot be seen */
static bool
unseen(const struct vt_cell *c)
{
    return c->nchars == 0 && c->width == 1 &&
           c->bg.type == VT_COLOR_DEFAULT && c->underline == 0 &&
           (c->attrs & (VT_ATTR_REVERSE | VT_ATTR_STRIKE)) == 0;
}

/* Every cell, the state, the text and the title of a and b agree; the
 * attributes of a blank cell only as far as they show */
static void
same(struct vt *a, struct vt *b)
{
    struct vt_state sa, sb;
    struct vt_cell ca, cb;
    char *ta, *tb;
    int row, col, i;

    ck_assert_int_eq(vt_state(a, &sa), 0);
    ck_assert_int_eq(vt_state(b, &sb), 0);
    ck_assert_int_eq(sa.rows, sb.rows);
    ck_assert_int_eq(sa.cols, sb.cols);
    for (row = 0; row < sa.rows; row++) {
        for (col = 0; col < sa.cols; col++) {
            ck_assert_int_eq(vt_cell(a, row, col, &ca), 0);
            ck_assert_int_eq(vt_cell(b, row, col, &cb), 0);
            ck_assert_msg(ca.nchars == cb.nchars && ca.width == cb.width,
                          "cell %d,%d: %d chars width %d vs %d chars "
                          "width %d", row, col, ca.nchars, ca.width,
                          cb.nchars, cb.width);
            for (i = 0; i < ca.nchars; i++) {
                ck_assert_msg(ca.chars[i] == cb.chars[i],
                              "cell %d,%d: U+%04X vs U+%04X", row, col,
                              ca.chars[i], cb.chars[i]);
            }
            if (unseen(&ca) && unseen(&cb)) {
                continue;
            }
            ck_assert_msg(ca.attrs == cb.attrs &&
                          ca.underline == cb.underline,
                          "cell %d,%d: attributes %#x/%d vs %#x/%d", row,
                          col, ca.attrs, ca.underline, cb.attrs,
                          cb.underline);
            color_same(&ca.fg, &cb.fg, row, col, "foreground");
            color_same(&ca.bg, &cb.bg, row, col, "background");
        }
    }
    ck_assert_int_eq(sa.cursor_row, sb.cursor_row);
    ck_assert_int_eq(sa.cursor_col, sb.cursor_col);
    ck_assert_int_eq(sa.cursor_visible, sb.cursor_visible);
    ck_assert_int_eq(sa.cursor_blink, sb.cursor_blink);
    ck_assert_int_eq(sa.cursor_shape, sb.cursor_shape);
    ck_assert_int_eq(sa.alt_screen, sb.alt_screen);
    ck_assert_int_eq(sa.app_cursor, sb.app_cursor);
    ck_assert_int_eq(sa.origin, sb.origin);
    ck_assert_int_eq(sa.autowrap, sb.autowrap);
    ck_assert_int_eq(sa.reverse, sb.reverse);
    ck_assert_int_eq(sa.bracketed_paste, sb.bracketed_paste);
    ck_assert_int_eq(sa.focus_events, sb.focus_events);
    ck_assert_int_eq(sa.mouse, sb.mouse);
    ck_assert_int_eq(sa.mouse_encoding, sb.mouse_encoding);
    ck_assert_int_eq(sa.scroll_top, sb.scroll_top);
    ck_assert_int_eq(sa.scroll_bottom, sb.scroll_bottom);
    ta = text(a);
    tb = text(b);
    ck_assert_str_eq(ta, tb);
    free(ta);
    free(tb);
    ck_assert_str_eq(vt_title(a), vt_title(b));
}

/* A screen with colours of every kind, attributes, wide and combining
 * characters */
static void
paint(struct vt *v)
{
    feed(v, "plain \033[1mbold\033[0m \033[3mitalic\033[23m \033[4munder"
            "\033[24m \033[7mrev\033[27m \033[9mstrike\033[29m "
            "\033[5mblink\033[25m\r\n");
    feed(v, "\033[31mred\033[42mon green\033[0m \033[91;104mbright\033[0m "
            "\033[38;5;200mc200\033[48;5;17mb17\033[0m "
            "\033[38;2;1;2;3m\033[48;2;250;128;7mrgb\033[0m\r\n");
    feed(v, "wide \xe4\xb8\xad\xe6\x96\x87 e\xcc\x81 combining\r\n");
    feed(v, "\033[44m\033[K\033[0m blue line\r\n");
    feed(v, "\033[12;30Hmiddle\033[1;33m");
}

START_TEST(test_cells)
{
    struct vt *v = mk(24, 80), *w;
    struct vt_cell c;

    paint(v);
    w = replay(v);
    same(v, w);

    /* the wide character is one cell of width 2 and its right half */
    ck_assert_int_eq(vt_cell(w, 2, 5, &c), 0);
    ck_assert_int_eq(c.chars[0], 0x4e2d);
    ck_assert_int_eq(c.width, 2);
    ck_assert_int_eq(vt_cell(w, 2, 6, &c), 0);
    ck_assert_int_eq(c.width, 0);
    /* the combining mark stays with its base */
    ck_assert_int_eq(vt_cell(w, 2, 10, &c), 0);
    ck_assert_int_eq(c.nchars, 2);
    ck_assert_int_eq(c.chars[1], 0x301);
    /* colours of each kind */
    ck_assert_int_eq(vt_cell(w, 1, 0, &c), 0);
    ck_assert_int_eq(c.fg.type, VT_COLOR_INDEXED);
    ck_assert_int_eq(c.fg.idx, 1);
    ck_assert_int_eq(vt_cell(w, 1, 27, &c), 0);
    ck_assert_int_eq(c.fg.type, VT_COLOR_RGB);
    ck_assert_int_eq(c.bg.r, 250);
    /* the erased line keeps its background */
    ck_assert_int_eq(vt_cell(w, 3, 70, &c), 0);
    ck_assert_int_eq(c.bg.type, VT_COLOR_INDEXED);
    ck_assert_int_eq(c.bg.idx, 4);

    /* the pen set last is carried: later text is bold yellow on both */
    feed_both(v, w, "after");
    same(v, w);
    ck_assert_int_eq(vt_cell(w, 11, 35, &c), 0);
    ck_assert_int_eq(c.attrs, VT_ATTR_BOLD);
    ck_assert_int_eq(c.fg.idx, 3);
    vt_free(v);
    vt_free(w);
}
END_TEST

START_TEST(test_alt_screen)
{
    struct vt *v = mk(24, 80), *w;
    struct vt_state st;

    feed(v, "$ vi file\r\nnormal screen line\r\n$ ");
    feed(v, "\033[?1049h\033[H\033[2J\033[7mtitle bar\033[0m\r\n~\r\n~"
            "\033[5;3H\033[32mx");
    w = replay(v);
    ck_assert_int_eq(vt_state(w, &st), 0);
    ck_assert(st.alt_screen);
    same(v, w);

    /* leaving it shows the normal screen and the cursor saved on entry */
    feed_both(v, w, "\033[?1049l");
    ck_assert_int_eq(vt_state(w, &st), 0);
    ck_assert(!st.alt_screen);
    ck_assert_int_eq(st.cursor_row, 2);
    ck_assert_int_eq(st.cursor_col, 2);
    same(v, w);
    vt_free(v);
    vt_free(w);
}
END_TEST

START_TEST(test_after_resize)
{
    struct vt *v = mk(24, 80), *w;
    char *t;

    paint(v);
    ck_assert_int_eq(vt_resize(v, 30, 100), 0);
    feed(v, "\033[28;90H\033[35mgrown\xe4\xb8\xad");
    w = replay(v);
    same(v, w);
    vt_free(w);

    ck_assert_int_eq(vt_resize(v, 10, 20), 0);
    feed(v, "\r\nsmall");
    w = replay(v);
    same(v, w);
    t = text(w);
    ck_assert_ptr_nonnull(strstr(t, "small"));
    free(t);

    /* a resize while the alternate screen shows cuts the normal one */
    feed_both(v, w, "\033[?1049h\033[2Jalt");
    ck_assert_int_eq(vt_resize(v, 12, 15), 0);
    ck_assert_int_eq(vt_resize(w, 12, 15), 0);
    vt_free(w);
    w = replay(v);
    same(v, w);
    vt_free(v);
    vt_free(w);
}
END_TEST

START_TEST(test_modes)
{
    struct vt *v = mk(24, 80), *w;
    struct vt_state st;
    int i;

    for (i = 0; i < 24; i++) {
        char line[32];

        snprintf(line, sizeof(line), "line %d\r\n", i);
        feed(v, line);
    }
    feed(v, "\033[5;10r\033[?6h\033[?1h\033[?2004h\033[?1002h\033[?1006h"
            "\033[?1004h\033[?25l\033[4 q\033[?5h\033[3;4Hin region");
    w = replay(v);
    ck_assert_int_eq(vt_state(w, &st), 0);
    ck_assert(st.origin && st.app_cursor && st.bracketed_paste &&
              st.focus_events && st.reverse && !st.cursor_visible);
    ck_assert_int_eq(st.scroll_top, 4);
    ck_assert_int_eq(st.scroll_bottom, 9);
    ck_assert_int_eq(st.mouse, VT_MOUSE_DRAG);
    ck_assert_int_eq(st.mouse_encoding, 1006);
    ck_assert_int_eq(st.cursor_shape, VT_CURSOR_UNDERLINE);
    ck_assert_int_eq(st.cursor_row, 6);
    same(v, w);

    /* output scrolls the region alike and lands where origin mode says */
    feed_both(v, w, "\n\n\n\n\n\n\nscrolled\033[1;1Htop of region");
    same(v, w);

    /* autowrap off: text at the margin overwrites the last column */
    feed_both(v, w, "\033[r\033[?6l\033[?7l\033[20;75Habcdefghij");
    vt_free(w);
    w = replay(v);
    ck_assert_int_eq(vt_state(w, &st), 0);
    ck_assert(!st.autowrap);
    feed_both(v, w, "XYZ");
    same(v, w);
    vt_free(v);
    vt_free(w);
}
END_TEST

START_TEST(test_wrap_pending)
{
    struct vt *v = mk(5, 10), *w;

    /* the cursor waits at the margin: the next character wraps */
    feed(v, "0123456789");
    w = replay(v);
    same(v, w);
    feed_both(v, w, "X");
    same(v, w);
    vt_free(w);

    /* the same with a wide character at the margin, at the bottom */
    feed(v, "\033[5;1H12345678\xe4\xb8\xad");
    w = replay(v);
    same(v, w);
    feed_both(v, w, "Y");
    same(v, w);
    vt_free(w);

    /* a cursor moved to the margin does not wrap */
    feed(v, "\033[2;10H");
    w = replay(v);
    feed_both(v, w, "Z");
    same(v, w);
    vt_free(v);
    vt_free(w);
}
END_TEST

START_TEST(test_unsettled)
{
    struct vt *v = mk(24, 80);
    struct buf b;

    buf_init(&b, SNAP_ESC_MAX);
    feed(v, "abc\033[3");
    ck_assert(!vt_settled(v));
    ck_assert_int_eq(vt_snapshot(v, &b, NULL), -EAGAIN);
    ck_assert_int_eq(b.len, 0);
    feed(v, "1mred");
    ck_assert(vt_settled(v));
    feed(v, "\033]0;a title");
    ck_assert(!vt_settled(v));
    feed(v, " going on");
    ck_assert(!vt_settled(v));
    feed(v, "\a");
    ck_assert(vt_settled(v));
    feed(v, "\xe4\xb8");
    ck_assert(!vt_settled(v));
    feed(v, "\xad");
    ck_assert(vt_settled(v));
    feed(v, "\033");
    ck_assert(!vt_settled(v));
    feed(v, "[1;2");
    ck_assert(!vt_settled(v));
    feed(v, "\030");        /* CAN: the sequence is cancelled */
    ck_assert(vt_settled(v));
    feed(v, "\033(");
    ck_assert(!vt_settled(v));
    feed(v, "B");
    ck_assert(vt_settled(v));
    ck_assert_int_eq(vt_snapshot(v, &b, NULL), 0);
    ck_assert_int_gt(b.len, 0);
    buf_fini(&b);
    vt_free(v);
}
END_TEST

START_TEST(test_text)
{
    struct vt *v = mk(4, 20);
    struct buf esc, tx;
    char *t;

    feed(v, "ab  \033[41m  \033[0m\r\n\r\n  \xe4\xb8\xad|e\xcc\x81   ");
    t = text(v);
    ck_assert_str_eq(t, "ab\n\n  \xe4\xb8\xad|e\xcc\x81\n");

    /* the text a snapshot gives along is the same */
    buf_init(&esc, SNAP_ESC_MAX);
    buf_init(&tx, SNAP_TEXT_MAX);
    ck_assert_int_eq(vt_snapshot(v, &esc, &tx), 0);
    ck_assert_int_eq(tx.len, strlen(t));
    ck_assert(memcmp(tx.data, t, tx.len) == 0);
    buf_fini(&esc);
    buf_fini(&tx);
    free(t);
    vt_free(v);
}
END_TEST

START_TEST(test_snapshot_is_inert)
{
    struct vt *v = mk(24, 80);
    const char *title;
    struct buf b;
    size_t i, bells = 0;

    /* a title with controls in it; queries that make a terminal answer */
    feed(v, "\033]2;ti\001tl\302\205e\a\033[c\033[6n\033[21t\033[>cafter");
    title = vt_title(v);
    for (i = 0; title[i] != 0; i++) {
        ck_assert_msg((uint8_t)title[i] >= 0x20 &&
                      !((uint8_t)title[i] == 0xc2 &&
                        (uint8_t)title[i + 1] < 0xa0),
                      "title byte %zu is a control", i);
    }
    buf_init(&b, SNAP_ESC_MAX);
    ck_assert_int_eq(vt_snapshot(v, &b, NULL), 0);
    /* no control but ESC, and one BEL ending the title */
    for (i = 0; i < b.len; i++) {
        ck_assert_msg(b.data[i] >= 0x20 || b.data[i] == 0x1b ||
                      b.data[i] == 0x07, "byte %#x at %zu", b.data[i], i);
        bells += b.data[i] == 0x07;
    }
    ck_assert_int_eq(bells, 1);
    ck_assert_ptr_nonnull(memmem(b.data, b.len, "\033]2;title\a", 10));
    ck_assert_ptr_null(memmem(b.data, b.len, "\033[c", 3));
    ck_assert_ptr_null(memmem(b.data, b.len, "\033[>c", 4));
    ck_assert_ptr_null(memmem(b.data, b.len, "\033[6n", 4));
    ck_assert_ptr_null(memmem(b.data, b.len, "\033[21t", 5));
    ck_assert_ptr_nonnull(memmem(b.data, b.len, "after", 5));
    buf_fini(&b);
    vt_free(v);
}
END_TEST

START_TEST(test_bad_sizes)
{
    struct vt *v = NULL;

    ck_assert_int_eq(vt_new(0, 80, &v), -EINVAL);
    ck_assert_int_eq(vt_new(24, VT_DIM_MAX + 1, &v), -EINVAL);
    ck_assert_ptr_null(v);
    v = mk(24, 80);
    ck_assert_int_eq(vt_resize(v, -1, 10), -EINVAL);
    vt_free(v);
    vt_free(NULL);
}
END_TEST

/* --- the index --- */

static struct snap *
mk_snap(uint64_t interval, size_t bytes)
{
    struct snap_conf conf;
    struct snap *s = NULL;

    snap_conf_default(&conf);
    conf.interval_ms = interval;
    conf.bytes = bytes;
    ck_assert_int_eq(snap_new(&conf, &s), 0);
    return s;
}

static int
out_s(struct snap *s, uint64_t ms, const char *str)
{
    return snap_add_output(s, ms, (const uint8_t *)str, strlen(str));
}

START_TEST(test_snap_first)
{
    struct snap *s = mk_snap(5000, 16384);
    const struct snap_entry *e;

    ck_assert_int_eq(snap_count(s), 1);
    e = snap_get(s, 0);
    ck_assert_int_eq(e->pos_ms, 0);
    ck_assert_int_eq(e->seq, 0);
    ck_assert_int_eq(e->rows, 24);
    ck_assert_int_eq(e->cols, 80);
    ck_assert_str_eq(e->text, "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n");
    ck_assert_ptr_null(snap_get(s, 1));
    ck_assert_int_eq(snap_find(s, 123456), 0);
    snap_free(s);
    snap_free(NULL);
}
END_TEST

START_TEST(test_snap_bytes)
{
    struct snap *s = mk_snap(0, 100);
    const struct snap_entry *e;
    char line[64];
    int i;

    /* 50 events of 20 bytes: a snapshot after every fifth */
    for (i = 0; i < 50; i++) {
        snprintf(line, sizeof(line), "line %03d 012345678\r\n", i);
        ck_assert_int_eq(strlen(line), 20);
        ck_assert_int_eq(out_s(s, (uint64_t)i * 10, line), 0);
    }
    ck_assert_int_eq(snap_events(s), 50);
    ck_assert_int_eq(snap_count(s), 11);
    e = snap_get(s, 3);
    ck_assert_int_eq(e->seq, 15);
    ck_assert_int_eq(e->pos_ms, 140);
    ck_assert_ptr_nonnull(strstr(e->text, "line 014"));
    ck_assert_ptr_null(strstr(e->text, "line 015"));
    ck_assert_int_eq(snap_find(s, 139), 2);
    ck_assert_int_eq(snap_find(s, 140), 3);
    ck_assert_int_eq(snap_find(s, 189), 3);
    ck_assert_int_eq(snap_find(s, 1000000), 10);
    ck_assert_uint_gt(snap_memory(s), 11 * 24);
    snap_free(s);
}
END_TEST

START_TEST(test_snap_interval)
{
    struct snap *s = mk_snap(1000, 0);
    const struct snap_entry *e;

    ck_assert_int_eq(out_s(s, 10, "a"), 0);
    ck_assert_int_eq(snap_add_input(s, 500), 0);
    ck_assert_int_eq(out_s(s, 999, "b"), 0);
    ck_assert_int_eq(snap_count(s), 1);
    ck_assert_int_eq(out_s(s, 1000, "c"), 0);
    ck_assert_int_eq(snap_count(s), 2);
    e = snap_get(s, 1);
    ck_assert_int_eq(e->seq, 4);
    ck_assert_int_eq(e->pos_ms, 1000);
    ck_assert_str_eq(strtok(e->text, "\n"), "abc");
    /* nothing new shown: no snapshot however long the wait */
    ck_assert_int_eq(snap_add_input(s, 9000), 0);
    ck_assert_int_eq(snap_count(s), 2);
    /* a window change is shown */
    ck_assert_int_eq(snap_add_window(s, 9500, 30, 100), 0);
    ck_assert_int_eq(snap_count(s), 3);
    e = snap_get(s, 2);
    ck_assert_int_eq(e->rows, 30);
    ck_assert_int_eq(e->cols, 100);
    ck_assert_int_eq(e->seq, 6);
    /* no size known: the terminal stays; too large: cut */
    ck_assert_int_eq(snap_add_window(s, 9600, 0, 0), 0);
    ck_assert_int_eq(snap_add_window(s, 20000, 70000, 70000), 0);
    e = snap_get(s, 3);
    ck_assert_int_eq(e->rows, VT_DIM_MAX);
    /* time never goes back, and a refused event takes no number */
    ck_assert_int_eq(out_s(s, 19999, "late"), -EINVAL);
    ck_assert_int_eq(snap_add_input(s, 100), -EINVAL);
    ck_assert_int_eq(snap_events(s), 8);
    snap_free(s);
}
END_TEST

START_TEST(test_snap_waits_for_sequence_end)
{
    struct snap *s = mk_snap(0, 10);
    const struct snap_entry *e;
    struct vt *w;

    ck_assert_int_eq(out_s(s, 1, "0123456789\033[3"), 0);
    ck_assert_int_eq(snap_count(s), 1);
    ck_assert_int_eq(out_s(s, 2, "1"), 0);
    ck_assert_int_eq(snap_count(s), 1);
    ck_assert_int_eq(out_s(s, 3, "mred"), 0);
    ck_assert_int_eq(snap_count(s), 2);
    e = snap_get(s, 1);
    ck_assert_int_eq(e->seq, 3);

    /* the snapshot plus nothing is the live screen */
    w = mk(24, 80);
    vt_feed(w, (const uint8_t *)e->esc, e->esc_len);
    same(snap_vt(s), w);
    vt_free(w);
    snap_free(s);
}
END_TEST

/* Seeking: the snapshot before T plus the events after it gives the
 * screen that all events up to T give, for every T */
START_TEST(test_snap_seek)
{
    static const char *const parts[] = {
        "\033[1;32mgreen\033[0m\r\n", "\033[?1049h\033[2J\033[Hfull screen",
        "\033[10;5r\033[3;1Hregion", "\n\n\n\n\n\n\n\n\n", "\033[r\033[?1049l",
        "\xe4\xb8\xad\xe6\x96\x87 \033[38;5;99m256", "\033]2;t\a\033[?25l",
        "0123456789012345678901234567890123456789012345678901234567890123"
        "4567890123456789", "wrapped", "\033[?25h\033[H\033[2Jclear",
    };
    const size_t n = sizeof(parts) / sizeof(parts[0]);
    struct snap *s = mk_snap(0, 30);
    struct vt *all, *seek;
    size_t t, i, k;

    for (i = 0; i < n; i++) {
        ck_assert_int_eq(out_s(s, i * 100, parts[i]), 0);
    }
    ck_assert_int_gt(snap_count(s), 3);
    for (t = 0; t < n; t++) {
        const struct snap_entry *e = snap_get(s, snap_find(s, t * 100));

        all = mk(24, 80);
        for (i = 0; i <= t; i++) {
            feed(all, parts[i]);
        }
        seek = mk(e->rows, e->cols);
        vt_feed(seek, (const uint8_t *)e->esc, e->esc_len);
        for (k = e->seq; k <= t; k++) {
            feed(seek, parts[k]);
        }
        same(all, seek);
        vt_free(all);
        vt_free(seek);
    }
    snap_free(s);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("vt");
    TCase *tc = tcase_create("vt");

    tcase_add_test(tc, test_cells);
    tcase_add_test(tc, test_alt_screen);
    tcase_add_test(tc, test_after_resize);
    tcase_add_test(tc, test_modes);
    tcase_add_test(tc, test_wrap_pending);
    tcase_add_test(tc, test_unsettled);
    tcase_add_test(tc, test_text);
    tcase_add_test(tc, test_snapshot_is_inert);
    tcase_add_test(tc, test_bad_sizes);
    tcase_add_test(tc, test_snap_first);
    tcase_add_test(tc, test_snap_bytes);
    tcase_add_test(tc, test_snap_interval);
    tcase_add_test(tc, test_snap_waits_for_sequence_end);
    tcase_add_test(tc, test_snap_seek);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return testlib_run(suite());
}
