/*
 * Exporting a recording.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "export.h"
#include "jesc.h"

#define DEFAULT_WIDTH 80
#define DEFAULT_HEIGHT 24

static double
seconds(const struct pkt *p)
{
    return (double)p->ts.tv_sec + (double)(p->ts.tv_nsec / 1000000) / 1000.0;
}

int
export_asciicast(struct src *s, FILE *out, char *err, size_t errsz)
{
    struct buf text;
    struct pkt p;
    bool header = false;
    int rc;

    buf_init(&text, SIZE_MAX / 2);
    while ((rc = src_next(s, &p, err, errsz)) > 0) {
        if (!header) {
            const struct msg *m = src_msg(s);
            int64_t start = m->has_time ? (m->time_ms - (int64_t)m->pos) / 1000
                                        : 0;

            text.len = 0;
            jesc_str(&text, m->term.data, m->term.len ? m->term.len - 1 : 0);
            fprintf(out, "{\"version\": 2, \"width\": %u, \"height\": %u, "
                    "\"timestamp\": %" PRId64 ", \"env\": {\"TERM\": "
                    "\"%.*s\"}}\n",
                    p.type == PKT_WINDOW ? p.width : DEFAULT_WIDTH,
                    p.type == PKT_WINDOW ? p.height : DEFAULT_HEIGHT,
                    start, (int)text.len, (const char *)text.data);
            header = true;
            if (p.type == PKT_WINDOW) {
                continue;   /* the header holds it */
            }
        }
        text.len = 0;
        if (p.type == PKT_WINDOW) {
            fprintf(out, "[%.3f, \"r\", \"%ux%u\"]\n", seconds(&p), p.width,
                    p.height);
            continue;
        }
        rc = jesc_str(&text, p.data, p.len);
        if (rc < 0) {
            snprintf(err, errsz, "cannot export a packet of %zu bytes: %s",
                     p.len, strerror(-rc));
            break;
        }
        fprintf(out, "[%.3f, \"%s\", \"%.*s\"]\n", seconds(&p),
                p.type == PKT_OUTPUT ? "o" : "i", (int)text.len,
                (const char *)text.data);
    }
    buf_fini(&text);
    return rc;
}

enum tstate { T_TEXT, T_ESC, T_CSI, T_STRING, T_STRING_ESC, T_CR };

int
export_text(struct src *s, FILE *out, char *err, size_t errsz)
{
    enum tstate st = T_TEXT;
    struct pkt p;
    size_t i;
    int rc;

    while ((rc = src_next(s, &p, err, errsz)) > 0) {
        if (p.type != PKT_OUTPUT) {
            continue;
        }
        for (i = 0; i < p.len; i++) {
            uint8_t b = p.data[i];

            if (st == T_CR) {
                /* CR LF is a line end; a lone CR is dropped */
                st = T_TEXT;
                if (b == '\n') {
                    fputc('\n', out);
                    continue;
                }
            }
            switch (st) {
            case T_CR:
            case T_TEXT:
                if (b == 0x1B) {
                    st = T_ESC;
                } else if (b == '\r') {
                    st = T_CR;
                } else if (b == '\n' || b == '\t' || b >= 0x20) {
                    if (b != 0x7F) {
                        fputc(b, out);
                    }
                }
                break;
            case T_ESC:
                if (b == '[') {
                    st = T_CSI;
                } else if (b == ']' || b == 'P' || b == 'X' || b == '^' ||
                           b == '_') {
                    st = T_STRING;
                } else if (b < 0x20 || (b >= 0x20 && b <= 0x2F)) {
                    /* intermediates: wait for the final byte */
                } else {
                    st = T_TEXT;
                }
                break;
            case T_CSI:
                if (b >= 0x40 && b <= 0x7E) {
                    st = T_TEXT;
                }
                break;
            case T_STRING:
                if (b == 0x07) {
                    st = T_TEXT;
                } else if (b == 0x1B) {
                    st = T_STRING_ESC;
                }
                break;
            case T_STRING_ESC:
                st = b == '\\' ? T_TEXT : T_STRING;
                break;
            }
        }
    }
    return rc;
}
