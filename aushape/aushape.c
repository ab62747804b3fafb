/*
 * aushape: convert audit records to JSON, from a log file or, as an
 * auditd plugin, from the stream auditd hands over on stdin.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "conv.h"
#include "evasm.h"
#include "outq.h"

#define PROG "aushape"

/* Default queue between conversion and output */
#define QUEUE_DEFAULT (8u << 20)
/* How long output may take to drain at the end */
#define DRAIN_MS 5000

static const char usage[] =
"Usage: " PROG " [OPTION]... [INPUT]\n"
"Convert audit log records to JSON, one object per audit event.\n"
"\n"
"Arguments:\n"
"    INPUT                      Audit log file, or \"-\" for stdin"
" (default)\n"
"\n"
"General options:\n"
"    -h, --help                 Print this help and exit\n"
"    -v, --version              Print the version and exit\n"
"\n"
"Formatting options:\n"
"    -l, --lang=json            Output language; only \"json\": XML output\n"
"                               is not supported\n"
"    --events-per-doc=VALUE     Events in each output document:\n"
"                                 none  one event per line, no document\n"
"                                       (newline-delimited JSON, for"
" shippers)\n"
"                                 N     arrays of at most N events\n"
"                                 -N    arrays of at most N bytes\n"
"                                 all   one array (default)\n"
"    --max-event-size=SIZE      Trim events larger than SIZE bytes\n"
"                               (N, Nk, Nm, at least 1024, or \"unlimited\","
"\n"
"                               the default); \"trimmed\" lists what was"
" cut\n"
"    --fold=LEVEL               Put containers nested LEVEL deep or more on"
"\n"
"                               one line: \"all\" (0), N, or \"none\""
" (default 4;\n"
"                               with --events-per-doc=none always one"
" line)\n"
"    --indent=N                 Indent each level by N spaces (default 4)\n"
"    --with-text                Add the records' text to each event\n"
"\n"
"Output options:\n"
"    -o, --output=TYPE          \"file\" (default) or \"syslog\"\n"
"    -f, --file=PATH            Append to PATH with file output, \"-\" for\n"
"                               stdout (default); SIGHUP reopens it\n"
"    --syslog-facility=NAME     Facility with syslog output (default"
" authpriv)\n"
"    --syslog-priority=NAME     Priority with syslog output (default info)\n"
"    --syslog-socket=PATH       The syslog daemon's datagram socket (default\n"
"                               /dev/log); while it is away or busy,\n"
"                               events wait in the queue\n"
"    --queue-size=SIZE          Bytes of events waiting for the output"
" before\n"
"                               the queue is full (default 8m)\n"
"    --overflow=drop|wait       With a full queue, drop whole events or wait"
"\n"
"                               (default: drop when reading a pipe or"
" socket,\n"
"                               as an auditd plugin does; wait for files)\n"
"\n"
"When events are dropped so that a stalled output does not slow auditd\n"
"down, stderr says how many, and the next event written carries the\n"
"count in \"dropped\".\n";

enum {
    OPT_EVENTS_PER_DOC = 0x100,
    OPT_MAX_EVENT_SIZE,
    OPT_FOLD,
    OPT_INDENT,
    OPT_WITH_TEXT,
    OPT_SYSLOG_FACILITY,
    OPT_SYSLOG_PRIORITY,
    OPT_SYSLOG_SOCKET,
    OPT_QUEUE_SIZE,
    OPT_OVERFLOW,
};

static const struct option longopts[] = {
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'v' },
    { "lang", required_argument, NULL, 'l' },
    { "output", required_argument, NULL, 'o' },
    { "file", required_argument, NULL, 'f' },
    { "events-per-doc", required_argument, NULL, OPT_EVENTS_PER_DOC },
    { "max-event-size", required_argument, NULL, OPT_MAX_EVENT_SIZE },
    { "fold", required_argument, NULL, OPT_FOLD },
    { "indent", required_argument, NULL, OPT_INDENT },
    { "with-text", no_argument, NULL, OPT_WITH_TEXT },
    { "syslog-facility", required_argument, NULL, OPT_SYSLOG_FACILITY },
    { "syslog-priority", required_argument, NULL, OPT_SYSLOG_PRIORITY },
    { "syslog-socket", required_argument, NULL, OPT_SYSLOG_SOCKET },
    { "queue-size", required_argument, NULL, OPT_QUEUE_SIZE },
    { "overflow", required_argument, NULL, OPT_OVERFLOW },
    { NULL, 0, NULL, 0 },
};

struct name_value {
    const char *name;
    int value;
};

static const struct name_value facilities[] = {
    { "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
    { "cron", LOG_CRON }, { "daemon", LOG_DAEMON }, { "ftp", LOG_FTP },
    { "kern", LOG_KERN }, { "lpr", LOG_LPR }, { "mail", LOG_MAIL },
    { "news", LOG_NEWS }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER },
    { "uucp", LOG_UUCP }, { "local0", LOG_LOCAL0 },
    { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
    { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
    { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
    { "local7", LOG_LOCAL7 }, { NULL, 0 },
};

static const struct name_value priorities[] = {
    { "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT },
    { "err", LOG_ERR }, { "warning", LOG_WARNING },
    { "notice", LOG_NOTICE }, { "info", LOG_INFO },
    { "debug", LOG_DEBUG }, { NULL, 0 },
};

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t hup;

static void
on_stop(int sig)
{
    stop_signal = sig;
}

static void
on_hup(int sig)
{
    (void)sig;
    hup = 1;
}

/* Parse a non-negative decimal number, all of s; 0 or -1 */
static int
parse_num(const char *s, unsigned long long *v)
{
    char *end;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno != 0 || *end != '\0' ? -1 : 0;
}

/* Parse N, Nk or Nm; 0 or -1 */
static int
parse_size(const char *s, size_t *v)
{
    char tmp[32];
    size_t n = strlen(s);
    unsigned long long x;
    unsigned shift = 0;

    if (n == 0 || n >= sizeof(tmp)) {
        return -1;
    }
    memcpy(tmp, s, n + 1);
    if (tmp[n - 1] == 'k' || tmp[n - 1] == 'K') {
        shift = 10;
        tmp[n - 1] = '\0';
    } else if (tmp[n - 1] == 'm' || tmp[n - 1] == 'M') {
        shift = 20;
        tmp[n - 1] = '\0';
    }
    if (parse_num(tmp, &x) < 0 || x > (SIZE_MAX >> 21)) {
        return -1;
    }
    *v = (size_t)x << shift;
    return 0;
}

static int
lookup(const struct name_value *t, const char *name)
{
    for (; t->name != NULL; t++) {
        if (strcasecmp(t->name, name) == 0) {
            return t->value;
        }
    }
    return -1;
}

struct opts {
    struct conv_opts conv;
    struct outq_opts out;
    int overflow;           /* 1: drop, 0: wait, -1: by the input */
    const char *input;
};

/* Parse the command line; 0, 1 (help/version done) or -1 (error done) */
static int
parse_args(int argc, char **argv, struct opts *o)
{
    char what[256];
    unsigned long long v;
    int opt;

    while ((opt = getopt_long(argc, argv, ":hvl:o:f:", longopts,
                              NULL)) != -1) {
        const char *a = optarg;

        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            return 1;
        case 'v':
            printf(PROG " " PACKAGE_VERSION "\n");
            return 1;
        case 'l':
            if (strcasecmp(a, "json") != 0) {
                snprintf(what, sizeof(what), "unsupported language "
                         "\"%s\": only json is built (no XML)", a);
                goto bad;
            }
            break;
        case 'o':
            if (strcasecmp(a, "file") == 0) {
                o->out.path = o->out.path != NULL ? o->out.path : "-";
            } else if (strcasecmp(a, "syslog") == 0) {
                o->out.path = NULL;
            } else {
                snprintf(what, sizeof(what), "invalid output type \"%s\": "
                         "use file or syslog", a);
                goto bad;
            }
            break;
        case 'f':
            o->out.path = a;
            break;
        case OPT_EVENTS_PER_DOC:
            if (strcasecmp(a, "none") == 0 || strcmp(a, "0") == 0) {
                o->out.per_doc = 0;
            } else if (strcasecmp(a, "all") == 0) {
                o->out.per_doc = LONG_MAX;
            } else if (parse_num(a + (a[0] == '-'), &v) == 0 && v > 0 &&
                       v < LONG_MAX) {
                o->out.per_doc = a[0] == '-' ? -(long)v : (long)v;
            } else {
                snprintf(what, sizeof(what), "invalid --events-per-doc "
                         "\"%s\": use none, N, -N or all", a);
                goto bad;
            }
            break;
        case OPT_MAX_EVENT_SIZE:
            if (strcasecmp(a, "unlimited") == 0) {
                o->conv.max_event = SIZE_MAX;
            } else if (parse_size(a, &o->conv.max_event) < 0 ||
                       o->conv.max_event < CONV_EVENT_MIN) {
                snprintf(what, sizeof(what), "invalid --max-event-size "
                         "\"%s\": use N, Nk or Nm of at least %u, or "
                         "unlimited", a, CONV_EVENT_MIN);
                goto bad;
            }
            break;
        case OPT_FOLD:
            if (strcasecmp(a, "all") == 0) {
                o->conv.fold = 0;
            } else if (strcasecmp(a, "none") == 0) {
                o->conv.fold = SIZE_MAX;
            } else if (parse_num(a, &v) == 0 && v < 1000) {
                o->conv.fold = (size_t)v;
            } else {
                snprintf(what, sizeof(what), "invalid --fold \"%s\": use "
                         "all, none or a level number", a);
                goto bad;
            }
            break;
        case OPT_INDENT:
            if (parse_num(a, &v) < 0 || v > 64) {
                snprintf(what, sizeof(what), "invalid --indent \"%s\": "
                         "use 0 to 64 spaces", a);
                goto bad;
            }
            o->conv.indent = (size_t)v;
            break;
        case OPT_WITH_TEXT:
            o->conv.with_text = true;
            break;
        case OPT_SYSLOG_FACILITY:
            o->out.syslog_facility = lookup(facilities, a);
            if (o->out.syslog_facility < 0) {
                snprintf(what, sizeof(what), "invalid --syslog-facility "
                         "\"%s\": use authpriv, daemon, local0..local7, "
                         "...", a);
                goto bad;
            }
            break;
        case OPT_SYSLOG_SOCKET:
            o->out.syslog_socket = a;
            break;
        case OPT_SYSLOG_PRIORITY:
            o->out.syslog_prio = lookup(priorities, a);
            if (o->out.syslog_prio < 0) {
                snprintf(what, sizeof(what), "invalid --syslog-priority "
                         "\"%s\": use emerg, alert, crit, err, warning, "
                         "notice, info or debug", a);
                goto bad;
            }
            break;
        case OPT_QUEUE_SIZE:
            if (parse_size(a, &o->out.max_bytes) < 0 ||
                o->out.max_bytes < 4096) {
                snprintf(what, sizeof(what), "invalid --queue-size \"%s\": "
                         "use N, Nk or Nm of at least 4096", a);
                goto bad;
            }
            break;
        case OPT_OVERFLOW:
            if (strcasecmp(a, "drop") == 0) {
                o->overflow = 1;
            } else if (strcasecmp(a, "wait") == 0) {
                o->overflow = 0;
            } else {
                snprintf(what, sizeof(what), "invalid --overflow \"%s\": "
                         "use drop or wait", a);
                goto bad;
            }
            break;
        case ':':
            snprintf(what, sizeof(what), "option %s needs a value",
                     argv[optind - 1]);
            goto bad;
        default:
            snprintf(what, sizeof(what), "unknown option %s",
                     argv[optind - 1]);
            goto bad;
        }
    }
    if (optind + 1 < argc) {
        snprintf(what, sizeof(what), "more than one input given");
        goto bad;
    }
    if (optind < argc) {
        o->input = argv[optind];
    }
    return 0;
bad:
    conf_usage_error(stderr, PROG, what);
    return -1;
}

/* Queue an event for the output */
static int
to_queue(void *data, const uint8_t *p, size_t n)
{
    return outq_push(data, p, n);
}

/* Is the queue too full to take an event? */
static bool
queue_full(void *data)
{
    return outq_full(data);
}

/* Handle SIGTERM, SIGINT and SIGHUP even if auditd blocked or ignored
 * them: plugins inherit auditd's signal state. */
static void
setup_signals(void)
{
    struct sigaction sa;
    sigset_t none;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a signal must end a blocked read or poll */
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Say on stderr how many events were dropped, at most once a second */
static void
report_drops(struct conv *c, uint64_t *reported, time_t *last, bool force)
{
    uint64_t d = conv_dropped(c);
    time_t now = time(NULL);

    if (d == *reported || (!force && now == *last)) {
        return;
    }
    fprintf(stderr, PROG ": output is not keeping up: %llu event(s) "
            "dropped so far (a larger --queue-size rides out bursts;"
            " --overflow=wait drops none but can stall auditd)\n",
            (unsigned long long)d);
    *reported = d;
    *last = now;
}

int
main(int argc, char **argv)
{
    struct opts o = {
        .conv = { .fold = 4, .indent = 4, .max_event = SIZE_MAX },
        .out = { .path = "-", .syslog_prio = LOG_INFO,
                 .syslog_facility = LOG_AUTHPRIV,
                 .syslog_socket = "/dev/log",
                 .per_doc = LONG_MAX, .max_bytes = QUEUE_DEFAULT },
        .overflow = -1,
        .input = "-",
    };
    struct conv *c = NULL;
    struct outq *q = NULL;
    char err[512];
    static char buf[1u << 16];
    uint64_t reported = 0;
    uint64_t left = 0;
    time_t last = 0;
    int fd = STDIN_FILENO;
    int status = 1;
    int rc;

    rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    setup_signals();
    if (o.out.per_doc == 0) {
        /* One event per line */
        o.conv.fold = 0;
    }
    o.conv.base = o.out.per_doc == 0 ? 0 : 1;
    o.out.fold = o.conv.fold;
    o.out.indent = o.conv.indent;
    if (strcmp(o.input, "-") != 0) {
        fd = open(o.input, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;

            fprintf(stderr, PROG ": cannot open input %s: %s%s\n", o.input,
                    strerror(e), e == EACCES ? " (audit logs are root's: run"
                    " it as root)" : e == ENOENT ? " (check the path; without"
                    " one, standard input is read)" : "");
            return 1;
        }
    }
    if (o.overflow < 0) {
        struct stat st;

        /* auditd hands records over through a pipe or a socket */
        o.overflow = fstat(fd, &st) == 0 &&
                     (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    }
    o.out.wait = o.overflow == 0;
    rc = outq_new(&q, &o.out, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    rc = conv_new(&c, &o.conv, to_queue, q);
    if (rc < 0) {
        fprintf(stderr, PROG ": cannot set up libauparse: %s\n",
                strerror(-rc));
        goto out;
    }
    conv_set_full(c, queue_full);
    while (!stop_signal) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;

        if (hup) {
            hup = 0;
            outq_reopen(q);
        }
        /* Events still open are complete once input has been quiet for
         * the end-of-event timeout.  The poll also bounds how long a
         * signal that lands just before it can go unnoticed. */
        rc = poll(&p, 1, conv_pending(c) ? EVASM_TIMEOUT * 1000 : 1000);
        if (rc < 0) {
            rc = 0;
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, PROG ": cannot wait for input: %s\n",
                    strerror(errno));
            goto out;
        }
        if (rc == 0) {
            if (conv_pending(c)) {
                rc = conv_flush(c);
                if (rc < 0) {
                    break;
                }
            }
            continue;
        }
        n = read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            fprintf(stderr, PROG ": cannot read %s: %s\n",
                    strcmp(o.input, "-") == 0 ? "stdin" : o.input,
                    strerror(errno));
            goto out;
        }
        if (n == 0) {
            break;
        }
        rc = conv_feed(c, buf, (size_t)n);
        if (rc < 0) {
            break;
        }
        report_drops(c, &reported, &last, false);
    }
    if (rc >= 0) {
        rc = conv_flush(c);
    }
    report_drops(c, &reported, &last, true);
    if (rc < 0) {
        /* The output failed for good: the queue has the reason */
        outq_finish(q, 0, &left, err, sizeof(err));
        fprintf(stderr, PROG ": %s\n", err[0] ? err : strerror(-rc));
        goto out;
    }
    err[0] = '\0';
    /* A live stream (auditd's) ends within seconds even if the output
     * is stuck; a file's conversion waits for its output, until a
     * signal says to stop waiting */
    for (;;) {
        bool live = stop_signal || o.overflow;

        rc = outq_finish(q, live ? DRAIN_MS : 1000, &left, err,
                         sizeof(err));
        if (rc != -ETIMEDOUT || live) {
            break;
        }
    }
    if (rc == -ETIMEDOUT) {
        fprintf(stderr, PROG ": output blocked: %llu event(s) not written "
                "at exit (is the syslog daemon or the output's reader"
                " running?)\n", (unsigned long long)left);
        goto out;
    }
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    status = conv_dropped(c) > 0 ? 1 : 0;
    if (stop_signal) {
        status = 0;
    }
out:
    conv_free(c);
    outq_free(q);
    if (fd > STDIN_FILENO) {
        close(fd);
    }
    return status;
}
