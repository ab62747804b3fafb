/*
 * Speed of the snapshot index against libvterm alone, on the same
 * terminal output, in the same run.
 *
 * Usage: snap_bench [-s MB] [-r RUNS] [-g ROWSxCOLS] [-c CHUNK] [-o WHICH]
 *                   [-f FACTOR]
 *
 * The output is made up here, the same for every run and seed: shell
 * lines and listings in colour (16, 256 and RGB), wide characters,
 * scrolling, and full-screen redraws with cursor motion, a scroll
 * region and erasing, like top or an editor.  It is fed in CHUNK-byte
 * events (2048 by default, a message's worth), 1 ms apart, to:
 *   vterm   libvterm's screen alone (vterm_input_write), no snapshots;
 *   snap    the index at its defaults (a snapshot every 5 s or 16 KiB).
 *   feed    the index with snapshots off (its terminal alone).
 * Prints the best MB/s of RUNS runs for each and the ratios to vterm.
 * -o vterm, -o snap or -o feed runs only that one (for a profiler).
 * -f sets the index's size factor (snap.h; tlog-web uses 2).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vterm.h>

#include "snap.h"

static uint32_t seed = 12345;

static uint32_t
rnd(uint32_t n)
{
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % n;
}

static void
add(struct buf *b, const char *s)
{
    if (buf_append(b, s, strlen(s)) < 0) {
        fprintf(stderr, "snap_bench: out of memory making the output\n");
        exit(1);
    }
}

static const char *const words[] = {
    "total", "drwxr-xr-x", "root", "README.md", "Makefile", "src",
    "include", "-rw-r--r--", "1024", "Nov", "12:05", "config.status",
    "\xe4\xb8\xad\xe6\x96\x87", "\xe6\x97\xa5\xe6\x9c\xac",
    "caf\xc3\xa9", "na\xc3\xafve", "PID", "USER", "%CPU", "COMMAND",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void
colour(struct buf *b)
{
    char s[64];

    switch (rnd(4)) {
    case 0:
        snprintf(s, sizeof(s), "\033[%u;%um", rnd(2), 30 + rnd(8));
        break;
    case 1:
        snprintf(s, sizeof(s), "\033[38;5;%um", rnd(256));
        break;
    case 2:
        snprintf(s, sizeof(s), "\033[38;2;%u;%u;%u;48;5;%um", rnd(256),
                 rnd(256), rnd(256), rnd(256));
        break;
    default:
        snprintf(s, sizeof(s), "\033[1;4;%um", 90 + rnd(8));
        break;
    }
    add(b, s);
}

/* Lines of a shell session: a prompt, then a listing in colour */
static void
shell(struct buf *b, int cols)
{
    int lines = 5 + (int)rnd(40), i, w;

    add(b, "\033[1;32muser@host\033[0m:\033[1;34m~/src\033[0m$ ls -l\r\n");
    for (i = 0; i < lines; i++) {
        for (w = 0; w < cols - 12; ) {
            const char *word = words[rnd(NWORDS)];

            if (rnd(3) == 0) {
                colour(b);
            }
            add(b, word);
            add(b, rnd(3) == 0 ? "\033[0m " : " ");
            w += (int)strlen(word) + 1;
        }
        add(b, "\033[0m\r\n");
    }
}

/* A full-screen program redrawing: header, scroll region, cells */
static void
screen(struct buf *b, int rows, int cols)
{
    char s[64];
    int i, k;

    add(b, "\033[?1049h\033[H\033[2J\033[7m  top - 12:05:00 up 1 day  "
           "\033[0m\033[K");
    snprintf(s, sizeof(s), "\033[3;%dr", rows - 1);
    add(b, s);
    for (k = 0; k < 20; k++) {
        for (i = 0; i < rows / 2; i++) {
            snprintf(s, sizeof(s), "\033[%u;%uH", 3 + rnd((unsigned)rows - 3),
                     1 + rnd((unsigned)cols - 20));
            add(b, s);
            colour(b);
            add(b, words[rnd(NWORDS)]);
            add(b, "\033[0m\033[K");
        }
        snprintf(s, sizeof(s), "\033[%d;1H\n\n\n", rows - 1);
        add(b, s);
    }
    add(b, "\033[r\033[?1049l");
}

static void
make_output(struct buf *b, size_t size, int rows, int cols)
{
    while (b->len < size) {
        if (rnd(8) == 0) {
            screen(b, rows, cols);
        } else {
            shell(b, cols);
        }
    }
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
run_vterm(const struct buf *b, int rows, int cols, size_t chunk)
{
    VTerm *vt = vterm_new(rows, cols);
    VTermScreen *scr;
    double t0, t;
    size_t i, k;

    vterm_set_utf8(vt, 1);
    scr = vterm_obtain_screen(vt);
    vterm_screen_enable_altscreen(scr, 1);
    vterm_screen_reset(scr, 1);
    t0 = now();
    for (i = 0; i < b->len; i += k) {
        k = b->len - i < chunk ? b->len - i : chunk;
        vterm_input_write(vt, (const char *)b->data + i, k);
    }
    t = now() - t0;
    vterm_free(vt);
    return t;
}

static double
run_snap(const struct buf *b, int rows, int cols, size_t chunk, bool off,
         unsigned factor, size_t *count, size_t *memory)
{
    struct snap_conf conf;
    struct snap *s;
    double t0, t;
    size_t i, k;
    uint64_t ms = 0;
    int rc;

    snap_conf_default(&conf);
    conf.rows = rows;
    conf.cols = cols;
    conf.size_factor = factor;
    if (off) {
        conf.interval_ms = 0;
        conf.bytes = 0;
    }
    if ((rc = snap_new(&conf, &s)) < 0) {
        fprintf(stderr, "snap_bench: snap_new: %s\n", strerror(-rc));
        exit(1);
    }
    t0 = now();
    for (i = 0; i < b->len; i += k) {
        k = b->len - i < chunk ? b->len - i : chunk;
        rc = snap_add_output(s, ms++, b->data + i, k);
        if (rc < 0) {
            fprintf(stderr, "snap_bench: snap_add_output at byte %zu: %s\n",
                    i, strerror(-rc));
            exit(1);
        }
    }
    t = now() - t0;
    *count = snap_count(s);
    *memory = snap_memory(s);
    snap_free(s);
    return t;
}

int
main(int argc, char **argv)
{
    size_t mb = 100, chunk = 2048, count = 0, memory = 0, unused;
    int runs = 3, rows = 24, cols = 80, opt, r;
    unsigned factor = 0;
    double best_v = 1e9, best_s = 1e9, best_f = 1e9, t;
    const char *only = NULL;
    struct buf b;

    while ((opt = getopt(argc, argv, "s:r:g:c:o:f:")) != -1) {
        switch (opt) {
        case 's':
            mb = strtoul(optarg, NULL, 10);
            break;
        case 'r':
            runs = atoi(optarg);
            break;
        case 'g':
            if (sscanf(optarg, "%dx%d", &rows, &cols) != 2) {
                fprintf(stderr, "snap_bench: -g %s: ROWSxCOLS expected\n",
                        optarg);
                return 2;
            }
            break;
        case 'c':
            chunk = strtoul(optarg, NULL, 10);
            break;
        case 'o':
            only = optarg;
            break;
        case 'f':
            factor = (unsigned)strtoul(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr, "usage: snap_bench [-s MB] [-r RUNS] "
                    "[-g ROWSxCOLS] [-c CHUNK] [-o vterm|snap|feed] "
                    "[-f FACTOR]\n");
            return 2;
        }
    }
    if (mb == 0 || runs < 1 || chunk == 0 || rows < 4 || cols < 30 ||
        rows > VT_DIM_MAX || cols > VT_DIM_MAX) {
        fprintf(stderr, "snap_bench: -s, -r, -c at least 1, -g from 4x30 "
                "to %dx%d\n", VT_DIM_MAX, VT_DIM_MAX);
        return 2;
    }
    if (only != NULL && strcmp(only, "vterm") != 0 &&
        strcmp(only, "snap") != 0 && strcmp(only, "feed") != 0) {
        fprintf(stderr, "snap_bench: -o %s: vterm, snap or feed expected\n",
                only);
        return 2;
    }
    buf_init(&b, (mb + 1) << 20);
    make_output(&b, mb << 20, rows, cols);
    b.len = mb << 20;
    for (r = 0; r < runs; r++) {
        if (only == NULL || strcmp(only, "vterm") == 0) {
            t = run_vterm(&b, rows, cols, chunk);
            best_v = t < best_v ? t : best_v;
        }
        if (only == NULL || strcmp(only, "snap") == 0) {
            t = run_snap(&b, rows, cols, chunk, false, factor, &count,
                         &memory);
            best_s = t < best_s ? t : best_s;
        }
        if (only == NULL || strcmp(only, "feed") == 0) {
            t = run_snap(&b, rows, cols, chunk, true, 0, &unused, &unused);
            best_f = t < best_f ? t : best_f;
        }
    }
    printf("output: %zu MB, %dx%d, %zu-byte events, best of %d\n", mb, rows,
           cols, chunk, runs);
    if (only == NULL || strcmp(only, "vterm") == 0) {
        printf("vterm alone:     %6.1f MB/s\n", (double)b.len / 1e6 / best_v);
    }
    if (only == NULL || strcmp(only, "snap") == 0) {
        printf("snap:            %6.1f MB/s  (%zu snapshots, %zu KiB held)\n",
               (double)b.len / 1e6 / best_s, count, memory >> 10);
    }
    if (only == NULL || strcmp(only, "feed") == 0) {
        printf("snapshots off:   %6.1f MB/s\n", (double)b.len / 1e6 / best_f);
    }
    if (only == NULL) {
        printf("snap/vterm:      %6.2f\n", best_v / best_s);
        printf("off/vterm:       %6.2f\n", best_v / best_f);
    }
    buf_fini(&b);
    return 0;
}
