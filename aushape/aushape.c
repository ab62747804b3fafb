/*
 * aushape: convert audit records to JSON, from a log file or, as an
 * auditd plugin, from the stream auditd hands over on stdin.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "assembler.h"
#include "convert.h"
#include "outqueue.h"
#include "writer.h"

#define PROG "aushape"

/* How long output may take to drain at the end */
#define DRAIN_MS 5000

static const char usage[] =
"Usage: " PROG " [OPTION]... [INPUT]\n"
"Convert audit log records to JSON, one object per audit event, from\n"
"INPUT, an audit log file, or \"-\" for stdin (the default).\n";

static const char notes[] =
"--events-per-doc: none (one event per line, no document: newline-\n"
"delimited JSON, for shippers), N (arrays of at most N events), -N\n"
"(arrays of at most N bytes) or all (one array).\n"
"--max-event-size: N, Nk or Nm, at least 1024, or unlimited; what a\n"
"trimmed event lost is listed in its \"trimmed\".\n"
"--fold: all (0), a level N, or none; with --events-per-doc=none every\n"
"event is one line.\n"
"--overflow: with a full queue, drop whole events or wait; by default\n"
"drop when reading a pipe or socket (as an auditd plugin does), wait\n"
"for files.  When events are dropped so that a stalled output does not\n"
"slow auditd down, stderr says how many, and the next event written\n"
"carries the count in \"dropped\".";

static const char *const langs[] = { "json", NULL };
static const char *const outputs[] = { "file", "syslog", NULL };
static const char *const overflows[] = { "auto", "drop", "wait", NULL };

static const struct conf_key keys[] = {
    { .path = "lang", .type = CONF_CHOICE, .def = "json", .choices = langs,
      .opt = "lang", .short_opt = 'l', .arg = "LANG",
      .help = "Output language: only json (XML is not built)" },
    { .path = "events_per_doc", .type = CONF_STR, .def = "all",
      .opt = "events-per-doc", .arg = "VALUE",
      .help = "Events in each output document: none, N, -N or all" },
    { .path = "max_event_size", .type = CONF_STR, .def = "unlimited",
      .opt = "max-event-size", .arg = "SIZE",
      .help = "Trim events larger than SIZE bytes" },
    { .path = "fold", .type = CONF_STR, .def = "4", .opt = "fold",
      .arg = "LEVEL",
      .help = "Put containers nested LEVEL deep or more on one line" },
    { .path = "indent", .type = CONF_INT, .def = "4", .min = 0, .max = 64,
      .opt = "indent", .arg = "N", .help = "Indent each level by N spaces" },
    { .path = "with_text", .type = CONF_BOOL, .def = "false",
      .opt = "with-text", .arg = "BOOL",
      .help = "Add the records' text to each event" },
    { .path = "output", .type = CONF_CHOICE, .def = "file",
      .choices = outputs, .opt = "output", .short_opt = 'o', .arg = "TYPE",
      .help = "Write to a file or to syslog" },
    { .path = "file", .type = CONF_STR, .def = "-", .opt = "file",
      .short_opt = 'f', .arg = "PATH",
      .help = "Append to PATH with file output (- stdout); SIGHUP reopens" },
    { .path = "syslog.facility", .type = CONF_CHOICE, .def = "authpriv",
      .choices = writer_facility_names, .opt = "syslog-facility",
      .arg = "NAME", .help = "Facility with syslog output" },
    { .path = "syslog.priority", .type = CONF_CHOICE, .def = "info",
      .choices = writer_priority_names, .opt = "syslog-priority",
      .arg = "NAME", .help = "Priority with syslog output" },
    { .path = "syslog.socket", .type = CONF_STR, .def = "/dev/log",
      .opt = "syslog-socket", .arg = "PATH",
      .help = "The syslog daemon's socket; events wait while it is away" },
    { .path = "queue_size", .type = CONF_STR, .def = "8m",
      .opt = "queue-size", .arg = "SIZE",
      .help = "Bytes of events waiting for the output (N, Nk, Nm)" },
    { .path = "overflow", .type = CONF_CHOICE, .def = "auto",
      .choices = overflows, .opt = "overflow", .arg = "HOW",
      .help = "With a full queue: drop, wait, or auto (by the input)" },
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

struct settings {
    struct render_conf render;
    struct outqueue_conf out;
    int overflow;           /* 1: drop, 0: wait, -1: by the input */
    const char *input;
};

/* Turn the configuration's values into o; 0, or -1 with what wrong */
static int
take_values(const struct conf *c, struct settings *o, char *what, size_t n)
{
    const char *a;
    unsigned long long v;

    a = conf_str(c, "events_per_doc");
    if (strcmp(a, "none") == 0 || strcmp(a, "0") == 0) {
        o->out.per_doc = 0;
    } else if (strcmp(a, "all") == 0) {
        o->out.per_doc = LONG_MAX;
    } else if (parse_num(a + (a[0] == '-'), &v) == 0 && v > 0 &&
               v < LONG_MAX) {
        o->out.per_doc = a[0] == '-' ? -(long)v : (long)v;
    } else {
        snprintf(what, n, "invalid --events-per-doc \"%s\": use none, N, "
                 "-N or all", a);
        return -1;
    }
    a = conf_str(c, "max_event_size");
    if (strcmp(a, "unlimited") == 0) {
        o->render.max_event = SIZE_MAX;
    } else if (parse_size(a, &o->render.max_event) < 0 ||
               o->render.max_event < RENDER_EVENT_MIN) {
        snprintf(what, n, "invalid --max-event-size \"%s\": use N, Nk or "
                 "Nm of at least %u, or unlimited", a, RENDER_EVENT_MIN);
        return -1;
    }
    a = conf_str(c, "fold");
    if (strcmp(a, "all") == 0) {
        o->render.fold = 0;
    } else if (strcmp(a, "none") == 0) {
        o->render.fold = SIZE_MAX;
    } else if (parse_num(a, &v) == 0 && v < 1000) {
        o->render.fold = (size_t)v;
    } else {
        snprintf(what, n, "invalid --fold \"%s\": use all, none or a "
                 "level number", a);
        return -1;
    }
    a = conf_str(c, "queue_size");
    if (parse_size(a, &o->out.max_bytes) < 0 || o->out.max_bytes < 4096) {
        snprintf(what, n, "invalid --queue-size \"%s\": use N, Nk or Nm of "
                 "at least 4096", a);
        return -1;
    }
    o->render.indent = (size_t)conf_int(c, "indent");
    o->render.with_text = conf_bool(c, "with_text");
    o->out.path = strcmp(conf_str(c, "output"), "syslog") == 0 ? NULL :
                  conf_str(c, "file");
    o->out.syslog_facility = writer_facility(conf_str(c, "syslog.facility"));
    o->out.syslog_prio = writer_priority(conf_str(c, "syslog.priority"));
    o->out.syslog_socket = conf_str(c, "syslog.socket");
    a = conf_str(c, "overflow");
    o->overflow = strcmp(a, "drop") == 0 ? 1 : strcmp(a, "wait") == 0 ? 0 :
                  -1;
    return 0;
}

static const struct conf_prog prog = {
    .name = PROG,
    .keys = keys,
    .nkeys = sizeof(keys) / sizeof(keys[0]),
    .usage = usage,
    .extra = notes,
};

/*
 * Parse the command line into *pc and o; CONF_GO_ON, or the status to
 * exit with (help, version or configuration printed; usage error said)
 */
static int
parse_args(int argc, char **argv, struct conf **pc, struct settings *o)
{
    char what[512];
    int first = argc, rc;

    rc = conf_open(&prog, argc, argv, pc, &first);
    if (rc != CONF_GO_ON) {
        return rc;
    }
    if (first + 1 < argc) {
        snprintf(what, sizeof(what), "more than one input given");
        goto bad;
    }
    if (first < argc) {
        o->input = argv[first];
    }
    if (take_values(*pc, o, what, sizeof(what)) < 0) {
        goto bad;
    }
    return CONF_GO_ON;
bad:
    conf_usage_error(stderr, PROG, what);
    return 2;
}

/* Print what the output's writer has to say */
static void
print_notices(struct outqueue *q)
{
    char msg[512];

    while (outqueue_notice(q, msg, sizeof(msg))) {
        fprintf(stderr, PROG ": %s\n", msg);
    }
}

/* Queue an event for the output */
static int
to_queue(void *data, const uint8_t *p, size_t n, char *err, size_t errsz)
{
    int rc;

    while ((rc = outqueue_push(data, p, n, err, errsz)) == -EAGAIN) {
        print_notices(data);
    }
    return rc;
}

/*
 * Let the output drain for at most timeout_ms, printing the writer's
 * notices meanwhile.  Returns as outqueue_finish().
 */
static int
drain(struct outqueue *q, int timeout_ms, uint64_t *left, char *err,
      size_t errsz)
{
    int rc;

    for (;;) {
        int step = timeout_ms < 200 ? timeout_ms : 200;

        rc = outqueue_finish(q, step, left, err, errsz);
        print_notices(q);
        timeout_ms -= step;
        if (rc != -ETIMEDOUT || timeout_ms <= 0) {
            return rc;
        }
    }
}

/* Is the queue too full to take an event? */
static bool
queue_full(void *data)
{
    return outqueue_full(data);
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
report_drops(struct convert *c, uint64_t *reported, time_t *last, bool force)
{
    uint64_t d = convert_dropped(c);
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
    struct settings o = { .input = "-" };
    struct conf *cf = NULL;
    struct convert *c = NULL;
    struct outqueue *q = NULL;
    char err[512] = "";
    static char buf[1u << 16];
    uint64_t reported = 0;
    uint64_t left = 0;
    time_t last = 0;
    int fd = STDIN_FILENO;
    int status = 1;
    int rc;

    rc = parse_args(argc, argv, &cf, &o);
    if (rc != CONF_GO_ON) {
        conf_free(cf);
        return rc;
    }
    setup_signals();
    if (o.out.per_doc == 0) {
        /* One event per line */
        o.render.fold = 0;
    }
    o.render.base = o.out.per_doc == 0 ? 0 : 1;
    o.out.fold = o.render.fold;
    o.out.indent = o.render.indent;
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
    rc = outqueue_new(&o.out, &q, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    rc = convert_new(&o.render, to_queue, q, &c, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    convert_set_full(c, queue_full);
    while (!stop_signal) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;

        if (hup) {
            hup = 0;
            outqueue_reopen(q);
        }
        /* Events still open are complete once input has been quiet for
         * the end-of-event timeout.  The poll also bounds how long a
         * signal that lands just before it can go unnoticed. */
        rc = poll(&p, 1, convert_pending(c) ? ASSEMBLER_TIMEOUT * 1000 : 1000);
        print_notices(q);
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
            if (convert_pending(c)) {
                rc = convert_flush(c, err, sizeof(err));
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
        rc = convert_feed(c, buf, (size_t)n, err, sizeof(err));
        if (rc < 0) {
            break;
        }
        report_drops(c, &reported, &last, false);
    }
    if (rc >= 0) {
        rc = convert_flush(c, err, sizeof(err));
    }
    report_drops(c, &reported, &last, true);
    if (rc < 0) {
        char ignored[256];

        /* The conversion stopped (the output failed for good, or memory
         * ran out): err says why; stop the writer if it still runs */
        outqueue_finish(q, 0, &left, ignored, sizeof(ignored));
        print_notices(q);
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    /* A live stream (auditd's) ends within seconds even if the output
     * is stuck; a file's conversion waits for its output, until a
     * signal says to stop waiting */
    for (;;) {
        bool live = stop_signal || o.overflow;

        rc = drain(q, live ? DRAIN_MS : 1000, &left, err, sizeof(err));
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
    status = convert_dropped(c) > 0 ? 1 : 0;
    if (stop_signal) {
        status = 0;
    }
out:
    convert_free(c);
    outqueue_free(q);
    conf_free(cf);
    if (fd > STDIN_FILENO) {
        close(fd);
    }
    return status;
}
