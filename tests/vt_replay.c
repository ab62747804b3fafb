/*
 * Run a stream of events through a snapshot index and print what it
 * kept, for tests/vt_test.py.
 *
 * Input (standard input), one item a line:
 *   c INTERVAL_MS BYTES ROWS COLS   the index's settings (first line)
 *   o MS HEX                        output bytes at MS
 *   i MS                            an input event at MS
 *   w MS ROWS COLS                  a window change at MS
 *   q MS                            after all events: which snapshot
 *                                   to seek from to show MS
 * Output:
 *   s INDEX POS_MS SEQ ROWS COLS ESC_HEX TEXT_HEX   each snapshot
 *   f MS INDEX                                      each q line
 *   n EVENTS
 * Exit status 0, or 1 with a message naming the bad line.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snap.h"

/* Longest input line: output events are a few KiB in hex */
#define LINE_MAX_LEN (4u << 20)

static int
unhex(const char *s, uint8_t *out, size_t *len)
{
    size_t n = 0;
    unsigned v;

    while (s[0] != 0 && s[0] != '\n') {
        if (sscanf(s, "%2x", &v) != 1 || s[1] == 0 || s[1] == '\n') {
            return -1;
        }
        out[n++] = (uint8_t)v;
        s += 2;
    }
    *len = n;
    return 0;
}

static void
print_hex(const char *p, size_t n)
{
    size_t i;

    if (n == 0) {
        fputs("-", stdout);
    }
    for (i = 0; i < n; i++) {
        printf("%02x", (uint8_t)p[i]);
    }
}

int
main(void)
{
    static char line[LINE_MAX_LEN];
    static uint8_t data[LINE_MAX_LEN / 2];
    struct snap_conf conf;
    struct snap *s = NULL;
    uint64_t *queries = NULL;
    size_t nq = 0, i, len;
    unsigned long lineno = 0;
    static char hex[LINE_MAX_LEN];
    uint64_t ms, interval;
    int rows, cols, rc = 0;
    size_t bytes;

    snap_conf_default(&conf);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        lineno++;
        if (line[0] == 'c' && s == NULL &&
            sscanf(line, "c %" SCNu64 " %zu %d %d", &interval, &bytes,
                   &rows, &cols) == 4) {
            conf.interval_ms = interval;
            conf.bytes = bytes;
            conf.rows = rows;
            conf.cols = cols;
            continue;
        }
        if (s == NULL && (rc = snap_new(&conf, &s)) < 0) {
            fprintf(stderr, "vt_replay: line %lu: index not made: %s\n",
                    lineno, strerror(-rc));
            return 1;
        }
        if (line[0] == 'o' &&
            sscanf(line, "o %" SCNu64 " %s", &ms, hex) == 2 &&
            unhex(hex, data, &len) == 0) {
            rc = snap_add_output(s, ms, data, len);
        } else if (line[0] == 'o' &&
                   sscanf(line, "o %" SCNu64, &ms) == 1) {
            rc = snap_add_output(s, ms, data, 0);
        } else if (line[0] == 'i' && sscanf(line, "i %" SCNu64, &ms) == 1) {
            rc = snap_add_input(s, ms);
        } else if (line[0] == 'w' &&
                   sscanf(line, "w %" SCNu64 " %d %d", &ms, &rows,
                          &cols) == 3) {
            rc = snap_add_window(s, ms, rows, cols);
        } else if (line[0] == 'q' && sscanf(line, "q %" SCNu64, &ms) == 1) {
            queries = realloc(queries, (nq + 1) * sizeof(*queries));
            if (queries == NULL) {
                fprintf(stderr, "vt_replay: out of memory\n");
                return 1;
            }
            queries[nq++] = ms;
        } else {
            fprintf(stderr, "vt_replay: line %lu: not an event "
                    "(c, o, i, w or q line expected)\n", lineno);
            return 1;
        }
        if (rc < 0) {
            fprintf(stderr, "vt_replay: line %lu: event refused: %s\n",
                    lineno, strerror(-rc));
            return 1;
        }
    }
    if (s == NULL && (rc = snap_new(&conf, &s)) < 0) {
        fprintf(stderr, "vt_replay: index not made: %s\n", strerror(-rc));
        return 1;
    }
    for (i = 0; i < snap_count(s); i++) {
        const struct snap_entry *e = snap_get(s, i);

        printf("s %zu %" PRIu64 " %" PRIu64 " %d %d ", i, e->pos_ms, e->seq,
               e->rows, e->cols);
        print_hex(e->esc, e->esc_len);
        putchar(' ');
        print_hex(e->text, e->text_len);
        putchar('\n');
    }
    for (i = 0; i < nq; i++) {
        printf("f %" PRIu64 " %zu\n", queries[i], snap_find(s, queries[i]));
    }
    printf("n %" PRIu64 "\n", snap_events(s));
    free(queries);
    snap_free(s);
    return 0;
}
