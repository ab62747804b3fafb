/*
 * tlog-rec-session: a login shell that has its session recorded.
 *
 * Installed as a user's shell (directly, or handed out by SSSD), it hands
 * its terminal, or its pipes, to the recording agent tlog-recd, gets a new
 * PTY (or new pipes) back, makes it its own and executes the real shell
 * in its own process, so the login program sees the shell's exit status.
 * The agent, not this program, records: nothing the recorded user
 * controls runs with the terminal afterwards.
 *
 * It has no setuid bit.  It carries one file capability, CAP_AUDIT_WRITE
 * (to note the recording in the kernel's audit trail), which also makes
 * the kernel run it in secure-execution mode: the dynamic loader ignores
 * LD_PRELOAD and its kind, and the user may not trace it.  It reads its
 * settings from one root-owned file and none from the environment.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <libgen.h>
#include <signal.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "rec_conf.h"
#include "recd_proto.h"

#define PROG "tlog-rec-session"
#define SHELL_PREFIX "tlog-rec-session-shell"
/* Most arguments passed on to the shell */
#define SHELL_ARGS_MAX 4096

struct shell_args {
    bool login;
    bool interactive;
    bool command;
    int first;          /* first argument after the options */
    int action;         /* 'h', 'v', 'c' (--configuration) or 0 */
};

/* Shell options: -l, -i, -c, in any combination, as a shell takes them */
static int
parse_args(int argc, char **argv, struct shell_args *a, char *err,
           size_t errsz)
{
    int i;

    memset(a, 0, sizeof(*a));
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != 0; i++) {
        const char *s = argv[i];

        if (!strcmp(s, "--")) {
            i++;
            break;
        } else if (!strcmp(s, "--login")) {
            a->login = true;
        } else if (!strcmp(s, "--interactive")) {
            a->interactive = true;
        } else if (!strcmp(s, "--command")) {
            a->command = true;
        } else if (!strcmp(s, "--help")) {
            a->action = 'h';
        } else if (!strcmp(s, "--version")) {
            a->action = 'v';
        } else if (!strcmp(s, "--configuration")) {
            a->action = 'c';
        } else if (s[1] == '-') {
            snprintf(err, errsz, "unknown option %s", s);
            return -EINVAL;
        } else {
            for (s++; *s; s++) {
                switch (*s) {
                case 'l': a->login = true; break;
                case 'i': a->interactive = true; break;
                case 'c': a->command = true; break;
                case 'h': a->action = 'h'; break;
                case 'v': a->action = 'v'; break;
                default:
                    snprintf(err, errsz, "unknown option -%c", *s);
                    return -EINVAL;
                }
            }
        }
    }
    if (a->command && i >= argc && a->action == 0) {
        snprintf(err, errsz, "option -c needs a command string");
        return -EINVAL;
    }
    a->first = i;
    return 0;
}

/*
 * The shell to run, in order: the configuration's "shell", the
 * TLOG_REC_SESSION_SHELL variable (SSSD sets it), the program name
 * (tlog-rec-session-shell-bin-zsh runs /bin/zsh), /bin/bash.
 */
static const char *
pick_shell(const struct conf *c, const char *argv0, char *buf, size_t bufsz)
{
    const char *s = conf_str(c, "shell");
    const char *name;
    char tmp[PATH_MAX];
    char *p;

    if (*s) {
        return s;
    }
    s = getenv("TLOG_REC_SESSION_SHELL");
    if (s != NULL && *s) {
        return s;
    }
    snprintf(tmp, sizeof(tmp), "%s", argv0[0] == '-' ? argv0 + 1 : argv0);
    name = basename(tmp);
    if (strncmp(name, SHELL_PREFIX "-", strlen(SHELL_PREFIX) + 1) == 0) {
        /* the rest is the path with '-' for '/' */
        snprintf(buf, bufsz, "/%s", name + strlen(SHELL_PREFIX) + 1);
        for (p = buf; *p; p++) {
            if (*p == '-') {
                *p = '/';
            }
        }
        return buf;
    }
    return "/bin/bash";
}

/* Build the shell's argv: [-]name [-i] [-c STRING] [ARG...] */
static int
shell_argv(const char *shell, const struct shell_args *a, bool login,
           int argc, char **argv, char **out, char *name0, size_t name0sz)
{
    char tmp[PATH_MAX];
    int n = 0, i;

    snprintf(tmp, sizeof(tmp), "%s", shell);
    /* a login shell is told by a '-' before its name, as login(1) does */
    snprintf(name0, name0sz, "%s%s", login ? "-" : "", basename(tmp));
    out[n++] = name0;
    if (a->interactive) {
        out[n++] = (char *)"-i";
    }
    if (a->command) {
        out[n++] = (char *)"-c";
    }
    for (i = a->first; i < argc && n < SHELL_ARGS_MAX - 1; i++) {
        out[n++] = argv[i];
    }
    out[n] = NULL;
    return i < argc ? -E2BIG : 0;
}

/*
 * Hand the session to the agent: standard input, output and error go
 * over; the new terminal (one descriptor) or pipes (three) come back into
 * fds, their number into *nfds, the recording id into rec, and the
 * connection stays open in *psock.  Returns 0 or a negative errno value
 * with err filled.
 */
static int
hand_over(const char *path, int *psock, int *fds, int *nfds, char *rec,
          size_t recsz, char *err, size_t errsz)
{
    static const int std[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
    struct recd_request q;
    struct recd_reply a;
    const char *term = getenv("TERM");
    int sock = -1, r;

    r = recd_connect(path, &sock);
    if (r < 0) {
        snprintf(err, errsz, "cannot reach the recording agent at %s: %s",
                 path, strerror(-r));
        return r;
    }
    recd_request_init(&q, RECD_SESSION);
    snprintf(q.term, sizeof(q.term), "%s", term != NULL ? term : "");
    r = recd_send(sock, &q, sizeof(q), std, 3);
    if (r == 0) {
        r = recd_recv(sock, &a, sizeof(a), fds, nfds);
    }
    if (r < 0) {
        snprintf(err, errsz, "the recording agent did not answer: %s",
                 strerror(-r));
    } else if (a.magic != RECD_MAGIC) {
        snprintf(err, errsz, "the recording agent answered nonsense");
        r = -EPROTO;
    } else if (a.status < 0) {
        a.msg[sizeof(a.msg) - 1] = 0;
        snprintf(err, errsz, "the recording agent refused: %s", a.msg);
        r = a.status;
    } else if (*nfds != 1 && *nfds != 3) {
        snprintf(err, errsz, "the recording agent sent %d descriptors",
                 *nfds);
        r = -EPROTO;
    }
    if (r < 0) {
        close(sock);
        return r;
    }
    a.rec[sizeof(a.rec) - 1] = 0;
    snprintf(rec, recsz, "%s", a.rec);
    *psock = sock;
    return 0;
}

/*
 * Make what the agent sent this process's terminal, or its standard
 * descriptors, and tell the agent the old terminal is free.  The shell is
 * then executed in this process; a process group leader that is not a
 * session leader cannot start a session, and forks once for it.
 */
static int
adopt(int sock, const int *fds, int nfds, char *err, size_t errsz)
{
    struct recd_request q;
    int i, st;
    pid_t child;

    if (nfds == 3) {
        for (i = 0; i < 3; i++) {
            if (dup2(fds[i], i) < 0) {
                snprintf(err, errsz, "cannot take the pipes: %s",
                         strerror(errno));
                return -errno;
            }
            close(fds[i]);
        }
        return 0;
    }
    if (getsid(0) == getpid()) {
        /* a session leader letting go of its terminal hangs up its
         * foreground process group: this one */
        signal(SIGHUP, SIG_IGN);
        ioctl(STDIN_FILENO, TIOCNOTTY);
        signal(SIGHUP, SIG_DFL);
    } else {
        ioctl(STDIN_FILENO, TIOCNOTTY);
        if (setsid() < 0) {
            child = fork();
            if (child < 0) {
                snprintf(err, errsz, "cannot fork: %s", strerror(errno));
                return -errno;
            }
            if (child > 0) {
                close(fds[0]);
                close(sock);
                while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
                }
                exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            }
            setsid();
        }
    }
    if (ioctl(fds[0], TIOCSCTTY, 0) != 0) {
        snprintf(err, errsz, "cannot take the new terminal: %s",
                 strerror(errno));
        return -errno;
    }
    for (i = 0; i < 3; i++) {
        if (dup2(fds[0], i) < 0) {
            snprintf(err, errsz, "cannot take the new terminal: %s",
                     strerror(errno));
            return -errno;
        }
    }
    close(fds[0]);
    recd_request_init(&q, RECD_RELEASED);
    recd_send(sock, &q, sizeof(q), NULL, 0);
    return 0;
}

/* Note the recording in the kernel's audit trail (CAP_AUDIT_WRITE) */
static void
audit_start(const char *rec)
{
    char msg[256];
    int fd = audit_open();

    if (fd < 0) {
        return;
    }
    snprintf(msg, sizeof(msg), "op=tlog-recording-handover rec=%s", rec);
    audit_log_user_message(fd, AUDIT_USER, msg, NULL, NULL, NULL, 1);
    audit_close(fd);
}

int
main(int argc, char **argv)
{
    static char *sargv[SHELL_ARGS_MAX];
    struct conf *c = NULL;
    struct shell_args a;
    char err[1024], shellbuf[PATH_MAX], name0[PATH_MAX], rec[128];
    const char *shell;
    bool login;
    int fds[RECD_FDS_MAX], nfds = 0;
    int status = 1, sock = -1, r;

    /* Before anything else: the user may not trace or read this process */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    if (conf_new(rec_session_conf_keys, rec_session_conf_nkeys, &c) < 0) {
        fprintf(stderr, PROG ": out of memory\n");
        return 1;
    }
    r = parse_args(argc, argv, &a, err, sizeof(err));
    if (r < 0) {
        conf_usage_error(stderr, PROG, err);
        status = 2;
        goto out;
    }
    if (a.action == 'h') {
        printf("Usage: " PROG " [-l] [-i] [CMD_FILE [CMD_ARG...]]\n"
               "   or: " PROG " [-l] [-i] -c CMD_STRING [CMD_NAME"
               " [CMD_ARG...]]\n"
               "Start the user's shell and record the session.\n\n"
               "    -h, --help           Print this help and exit\n"
               "    -v, --version        Print the version and exit\n"
               "    --configuration      Print the configuration as JSON"
               " and exit\n"
               "    -l, --login          Make the shell a login shell\n"
               "    -i, --interactive    Make the shell interactive\n"
               "    -c, --command        Run the shell command CMD_STRING\n"
               "\nThe session is recorded by the agent tlog-recd(8), with its"
               " settings.\nThe shell, the notice and the agent's socket come"
               " from " SYSCONFDIR "/tlog/\ntlog-rec-session.conf only; see"
               " tlog-rec-session.conf(5).\n");
        status = 0;
        goto out;
    }
    if (a.action == 'v') {
        conf_action(c, 'v', PROG, NULL, NULL, stdout);
        status = 0;
        goto out;
    }
    r = conf_load_file(c, SYSCONFDIR "/tlog/tlog-rec-session.conf", true,
                       err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    if (a.action == 'c') {
        conf_action(c, 'c', PROG, NULL, NULL, stdout);
        status = 0;
        goto out;
    }

    shell = pick_shell(c, argv[0], shellbuf, sizeof(shellbuf));
    login = argv[0][0] == '-' || a.login;
    if (shell_argv(shell, &a, login, argc, argv, sargv, name0,
                   sizeof(name0)) < 0) {
        conf_usage_error(stderr, PROG, "too many arguments");
        status = 2;
        goto out;
    }
    if (access(shell, X_OK) != 0) {
        fprintf(stderr, PROG ": cannot run the shell %s: %s\n", shell,
                strerror(errno));
        status = 127;
        goto out;
    }
    /* Only to a terminal: on pipes it would corrupt scp and sftp.  It
     * goes before the hand-over, so it is not part of the recording. */
    if (*conf_str(c, "notice") && isatty(STDOUT_FILENO)) {
        fdio_write_all(STDOUT_FILENO, conf_str(c, "notice"),
                       strlen(conf_str(c, "notice")));
    }
    r = hand_over(conf_str(c, "agent.socket"), &sock, fds, &nfds, rec,
                  sizeof(rec), err, sizeof(err));
    if (r < 0) {
        bool reached = r != -ENOENT && r != -ECONNREFUSED && r != -EACCES;

        if (!reached &&
            strcmp(conf_str(c, "agent.unreachable"), "unrecorded") == 0) {
            /* the configuration says so: run unrecorded, but say it */
            openlog(PROG, LOG_PID, LOG_AUTHPRIV);
            syslog(LOG_WARNING, "session of uid %u NOT RECORDED: %s",
                   (unsigned int)getuid(), err);
            closelog();
            execv(shell, sargv);
            fprintf(stderr, PROG ": cannot run the shell %s: %s\n", shell,
                    strerror(errno));
            status = 127;
            goto out;
        }
        fprintf(stderr, PROG ": %s\n" PROG ": the session is refused: it"
                " must be recorded (is the tlog-recd service running?)\n",
                err);
        goto out;
    }
    audit_start(rec);
    r = adopt(sock, fds, nfds, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    close(sock);
    execv(shell, sargv);
    fprintf(stderr, PROG ": cannot run the shell %s: %s\n", shell,
            strerror(errno));
    status = errno == ENOENT ? 127 : 126;
out:
    conf_free(c);
    return status;
}
