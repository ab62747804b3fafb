/*
 * codec: drive the format core from the command line.
 *
 *   codec encode [-p PAYLOAD] [-o FILE]   packet script on stdin -> messages
 *   codec encode-raw [-p PAYLOAD] [-o FILE]  raw stdin as output -> messages
 *   codec decode [--lax] [--packets] FILE  messages -> output bytes / packets
 *
 * A packet script has one packet per line:
 *   o MS HEX      output bytes at MS ms
 *   i MS HEX      input bytes
 *   w MS W H      window size
 *   e MS          end of recording
 * "decode --packets" prints the same form, so streams compare as text.
 * Tests use it to make exact recordings for the reference player, and
 * to decode the reference recorder's messages.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dec.h"
#include "enc.h"
#include "reader.h"
#include "writer.h"

#define LINE_MAX_LEN (4 * 1024 * 1024)

static int
stdout_emit(void *ctx, const char *json, size_t len, uint64_t id)
{
    (void)ctx;
    (void)id;
    if (fwrite(json, 1, len, stdout) != len || fputc('\n', stdout) == EOF) {
        return -EIO;
    }
    return 0;
}

static struct timespec
ts_of(unsigned long ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
    return ts;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static int
encode(struct enc *e, bool raw)
{
    static char line[LINE_MAX_LEN];
    static uint8_t data[LINE_MAX_LEN / 2];
    unsigned long lineno = 0;
    struct timespec now;
    struct pkt p;
    int rc = 0;

    if (raw) {
        size_t n;

        memset(&p, 0, sizeof(p));
        p.type = PKT_OUTPUT;
        p.data = data;
        while ((n = fread(data, 1, 65536, stdin)) > 0) {
            clock_gettime(CLOCK_MONOTONIC, &p.ts);
            p.len = n;
            rc = enc_write(e, &p);
            if (rc < 0) {
                return rc;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        return enc_finish(e, &now);
    }
    while (fgets(line, sizeof(line), stdin) != NULL) {
        char kind;
        unsigned long ms;
        unsigned int w, h;
        int off = 0;

        lineno++;
        memset(&p, 0, sizeof(p));
        if (sscanf(line, " %c %lu %n", &kind, &ms, &off) < 2) {
            fprintf(stderr, "codec: stdin line %lu: expected KIND MS ...\n",
                    lineno);
            return -EINVAL;
        }
        p.ts = ts_of(ms);
        if (kind == 'e') {
            return enc_finish(e, &p.ts);
        } else if (kind == 'w') {
            if (sscanf(line + off, "%u %u", &w, &h) != 2) {
                fprintf(stderr, "codec: stdin line %lu: expected w MS W H\n",
                        lineno);
                return -EINVAL;
            }
            p.type = PKT_WINDOW;
            p.width = (unsigned short)w;
            p.height = (unsigned short)h;
        } else if (kind == 'o' || kind == 'i') {
            const char *s = line + off;
            size_t n = 0;

            while (hexval(s[0]) >= 0 && hexval(s[1]) >= 0) {
                data[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
                s += 2;
            }
            p.type = kind == 'o' ? PKT_OUTPUT : PKT_INPUT;
            p.data = data;
            p.len = n;
        } else {
            fprintf(stderr, "codec: stdin line %lu: unknown kind '%c'\n",
                    lineno, kind);
            return -EINVAL;
        }
        rc = enc_write(e, &p);
        if (rc < 0) {
            return rc;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    return enc_finish(e, &p.ts);
}

static int
decode(const char *path, bool lax, bool packets)
{
    struct reader *r = NULL;
    struct dec *d = NULL;
    const char *json, *where;
    size_t len;
    struct pkt p;
    char err[1024];
    size_t i;
    int rc;

    rc = reader_open_file(path, &r, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "codec: %s\n", err);
        return rc;
    }
    rc = dec_new(lax, &d);
    while (rc == 0 && (rc = reader_read(r, &json, &len, &where,
                                        err, sizeof(err))) > 0) {
        rc = dec_feed(d, json, len, where, err, sizeof(err));
        while (rc == 0 && (rc = dec_next(d, &p, err, sizeof(err))) > 0) {
            unsigned long ms = (unsigned long)p.ts.tv_sec * 1000 +
                               (unsigned long)p.ts.tv_nsec / 1000000;

            rc = 0;
            if (!packets) {
                if (p.type == PKT_OUTPUT) {
                    fwrite(p.data, 1, p.len, stdout);
                }
                continue;
            }
            if (p.type == PKT_WINDOW) {
                printf("w %lu %u %u\n", ms, p.width, p.height);
                continue;
            }
            printf("%c %lu ", p.type == PKT_OUTPUT ? 'o' : 'i', ms);
            for (i = 0; i < p.len; i++) {
                printf("%02x", p.data[i]);
            }
            putchar('\n');
        }
    }
    if (rc < 0) {
        fprintf(stderr, "codec: %s\n", err);
    }
    dec_free(d);
    reader_free(r);
    if (fflush(stdout) != 0) {
        return -EIO;
    }
    return rc;
}

static void
usage(FILE *f)
{
    fprintf(f,
            "Usage: codec encode [-p PAYLOAD] [-o FILE]\n"
            "       codec encode-raw [-p PAYLOAD] [-o FILE]\n"
            "       codec decode [--lax] [--packets] FILE\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "payload", required_argument, NULL, 'p' },
        { "output", required_argument, NULL, 'o' },
        { "lax", no_argument, NULL, 'l' },
        { "packets", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct enc_conf conf;
    struct enc *e = NULL;
    struct writer *w = NULL;
    const char *out = NULL;
    const char *cmd;
    bool lax = false, packets = false;
    char err[1024];
    int c, rc;

    memset(&conf, 0, sizeof(conf));
    while ((c = getopt_long(argc, argv, "p:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            conf.payload = strtoul(optarg, NULL, 10);
            break;
        case 'o':
            out = optarg;
            break;
        case 'l':
            lax = true;
            break;
        case 'k':
            packets = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    cmd = argv[optind];
    if (strcmp(cmd, "decode") == 0) {
        if (optind + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        return decode(argv[optind + 1], lax, packets) < 0;
    }
    if (strcmp(cmd, "encode") != 0 && strcmp(cmd, "encode-raw") != 0) {
        usage(stderr);
        return 2;
    }
    conf.host = "codec.test";
    conf.rec = "codec-rec-1";
    conf.user = getenv("USER") ? getenv("USER") : "user";
    conf.term = "xterm";
    conf.session = 1;
    if (strcmp(cmd, "encode-raw") == 0) {
        clock_gettime(CLOCK_MONOTONIC, &conf.start);
    }
    clock_gettime(CLOCK_REALTIME, &conf.real_start);
    if (out != NULL) {
        rc = writer_open_file(out, &w, err, sizeof(err));
        if (rc < 0) {
            fprintf(stderr, "codec: %s\n", err);
            return 1;
        }
        conf.emit = writer_emit;
        conf.emit_ctx = w;
    } else {
        conf.emit = stdout_emit;
    }
    rc = enc_new(&conf, &e, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "codec: %s\n", err);
        writer_free(w);
        return 1;
    }
    rc = encode(e, strcmp(cmd, "encode-raw") == 0);
    if (rc < 0) {
        fprintf(stderr, "codec: %s\n", w ? writer_error(w) : strerror(-rc));
    }
    enc_free(e);
    writer_free(w);
    if (fflush(stdout) != 0) {
        rc = -EIO;
    }
    return rc < 0;
}
