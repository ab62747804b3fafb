/*
 * The snapshot index of one recording, built as its events are read.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snap.h"

struct snap {
    struct snap_conf conf;
    struct vt *vt;
    int rows, cols;

    struct snap_entry *entries;
    size_t n, cap;
    size_t held;                /* bytes of the entries' strings */

    uint64_t seq;               /* the next event's number */
    uint64_t last_pos;          /* the previous event's position */
    size_t since_bytes;         /* output since the last snapshot */
    bool changed;               /* anything shown since the last one */

    struct buf esc;             /* scratch for building a snapshot */
    struct buf text;
};

void
snap_conf_default(struct snap_conf *conf)
{
    conf->interval_ms = SNAP_INTERVAL_MS_DEFAULT;
    conf->bytes = SNAP_BYTES_DEFAULT;
    conf->size_factor = 0;
    conf->rows = 24;
    conf->cols = 80;
}

static char *
copy_out(const struct buf *b)
{
    char *p = malloc(b->len + 1);

    if (p != NULL) {
        memcpy(p, b->data, b->len);
        p[b->len] = 0;
    }
    return p;
}

/* Take a snapshot of the terminal now, at pos_ms, before event seq */
static int
take(struct snap *s, uint64_t pos_ms)
{
    struct snap_entry *e;
    int rc;

    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;

        e = realloc(s->entries, cap * sizeof(*e));
        if (e == NULL) {
            return -ENOMEM;
        }
        s->entries = e;
        s->cap = cap;
    }
    s->esc.len = 0;
    s->text.len = 0;
    rc = vt_snapshot(s->vt, &s->esc, &s->text);
    if (rc < 0) {
        return rc;
    }
    e = &s->entries[s->n];
    e->pos_ms = pos_ms;
    e->seq = s->seq;
    e->rows = s->rows;
    e->cols = s->cols;
    e->esc = copy_out(&s->esc);
    e->text = copy_out(&s->text);
    if (e->esc == NULL || e->text == NULL) {
        free(e->esc);
        free(e->text);
        return -ENOMEM;
    }
    e->esc_len = s->esc.len;
    e->text_len = s->text.len;
    s->held += e->esc_len + e->text_len + 2;
    s->n++;
    s->since_bytes = 0;
    s->changed = false;
    return 0;
}

int
snap_new(const struct snap_conf *conf, struct snap **ps)
{
    struct snap *s;
    int rc;

    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return -ENOMEM;
    }
    s->conf = *conf;
    s->rows = conf->rows;
    s->cols = conf->cols;
    buf_init(&s->esc, SNAP_ESC_MAX);
    buf_init(&s->text, SNAP_TEXT_MAX);
    rc = vt_new(conf->rows, conf->cols, &s->vt);
    if (rc == 0) {
        rc = take(s, 0);
    }
    if (rc < 0) {
        snap_free(s);
        return rc;
    }
    *ps = s;
    return 0;
}

void
snap_free(struct snap *s)
{
    size_t i;

    if (s == NULL) {
        return;
    }
    for (i = 0; i < s->n; i++) {
        free(s->entries[i].esc);
        free(s->entries[i].text);
    }
    free(s->entries);
    buf_fini(&s->esc);
    buf_fini(&s->text);
    vt_free(s->vt);
    free(s);
}

/* Number the event at pos_ms; -EINVAL if it goes back in time */
static int
count(struct snap *s, uint64_t pos_ms)
{
    if (pos_ms < s->last_pos) {
        return -EINVAL;
    }
    s->last_pos = pos_ms;
    s->seq++;
    return 0;
}

/* After an event: a snapshot if one is due and the terminal allows */
static int
maybe_take(struct snap *s, uint64_t pos_ms)
{
    const struct snap_entry *last = &s->entries[s->n - 1];
    size_t bytes = s->conf.bytes, held;
    bool due;

    if (!s->changed) {
        return 0;
    }
    if (bytes != 0 && s->conf.size_factor != 0) {
        held = (last->esc_len + last->text_len) * s->conf.size_factor;
        bytes = held > bytes ? held : bytes;
    }
    due = (bytes != 0 && s->since_bytes >= bytes) ||
          (s->conf.interval_ms != 0 &&
           pos_ms - last->pos_ms >= s->conf.interval_ms);
    if (!due || !vt_settled(s->vt)) {
        return 0;
    }
    return take(s, pos_ms);
}

int
snap_add_output(struct snap *s, uint64_t pos_ms, const uint8_t *data,
                size_t len)
{
    int rc = count(s, pos_ms);

    if (rc < 0) {
        return rc;
    }
    if (len > 0) {
        vt_feed(s->vt, data, len);
        s->since_bytes += len;
        s->changed = true;
    }
    return maybe_take(s, pos_ms);
}

int
snap_add_window(struct snap *s, uint64_t pos_ms, int rows, int cols)
{
    int rc = count(s, pos_ms);

    if (rc < 0) {
        return rc;
    }
    if (rows > 0 && cols > 0) {
        rows = rows > VT_DIM_MAX ? VT_DIM_MAX : rows;
        cols = cols > VT_DIM_MAX ? VT_DIM_MAX : cols;
        if (rows != s->rows || cols != s->cols) {
            rc = vt_resize(s->vt, rows, cols);
            if (rc < 0) {
                return rc;
            }
            s->rows = rows;
            s->cols = cols;
            s->changed = true;
        }
    }
    return maybe_take(s, pos_ms);
}

int
snap_add_input(struct snap *s, uint64_t pos_ms)
{
    int rc = count(s, pos_ms);

    if (rc < 0) {
        return rc;
    }
    return maybe_take(s, pos_ms);
}

size_t
snap_count(const struct snap *s)
{
    return s->n;
}

const struct snap_entry *
snap_get(const struct snap *s, size_t i)
{
    return i < s->n ? &s->entries[i] : NULL;
}

size_t
snap_find(const struct snap *s, uint64_t pos_ms)
{
    size_t lo = 0, hi = s->n;

    /* the first entry past pos_ms, by halves; entry 0 is at 0 */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;

        if (s->entries[mid].pos_ms <= pos_ms) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

uint64_t
snap_events(const struct snap *s)
{
    return s->seq;
}

size_t
snap_memory(const struct snap *s)
{
    /* libvterm keeps two screens of cells of about 40 bytes each */
    return sizeof(*s) + s->cap * sizeof(*s->entries) + s->held +
           s->esc.cap + s->text.cap +
           (size_t)s->rows * (size_t)s->cols * 80;
}

struct vt *
snap_vt(struct snap *s)
{
    return s->vt;
}
