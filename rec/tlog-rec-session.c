/*
 * tlog-rec-session: a login shell that has its session recorded.
 *
 * Installed as a user's shell (directly, or handed out by SSSD), it hands
 * its terminal, or its pipes, to the recording agent tlog-recd, gets a new
 * PTY (or new pipes) back, and runs the real shell on it in a session of
 * its own.  It stays, holding nothing of the session, only to end as the
 * shell ends (its exit status or its signal, which the login program
 * sees) once the agent has put the session's last output on the user's
 * terminal: sshd stops reading a terminal when its child ends.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "rec_conf.h"
#include "recd_proto.h"

#define PROG "tlog-rec-session"
#define SHELL_PREFIX "tlog-rec-session-shell"

/* The program's settings */
#define CONF_FILE SYSCONFDIR "/tlog/tlog-rec-session.conf"

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
 * (tlog-rec-session-shell-bin-zsh runs /bin/zsh), /bin/bash.  Where it
 * came from goes to from, for the message if it cannot be run.
 */
static const char *
pick_shell(const struct conf *c, const char *argv0, char *buf, size_t bufsz,
           char *from, size_t fromsz)
{
    const char *s = conf_str(c, "shell");
    const char *name;
    char tmp[PATH_MAX];
    char *p;

    if (*s) {
        snprintf(from, fromsz, "it is \"shell\" in " CONF_FILE);
        return s;
    }
    s = getenv("TLOG_REC_SESSION_SHELL");
    if (s != NULL && *s) {
        snprintf(from, fromsz, "it is the user's shell in passwd, passed in"
                 " TLOG_REC_SESSION_SHELL by pam_tlog or SSSD");
        return s;
    }
    snprintf(tmp, sizeof(tmp), "%s", argv0[0] == '-' ? argv0 + 1 : argv0);
    name = basename(tmp);
    if (strncmp(name, SHELL_PREFIX "-", strlen(SHELL_PREFIX) + 1) == 0) {
        snprintf(from, fromsz, "the program name %.128s says so", name);
        /* the rest is the path with '-' for '/' */
        snprintf(buf, bufsz, "/%s", name + strlen(SHELL_PREFIX) + 1);
        for (p = buf; *p; p++) {
            if (*p == '-') {
                *p = '/';
            }
        }
        return buf;
    }
    snprintf(from, fromsz, "the default: set \"shell\" in " CONF_FILE);
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

/* The agent's answer: 0, or its refusal in err */
static int
answer(int sock, struct recd_reply *a, int *fds, int *nfds, char *err,
       size_t errsz)
{
    int r = recd_recv(sock, a, sizeof(*a), fds, nfds);

    if (r < 0) {
        snprintf(err, errsz, "the recording agent did not answer: %s (see"
                 " its log: journalctl -u tlog-recd)", strerror(-r));
        return r;
    }
    if (a->magic != RECD_MAGIC) {
        snprintf(err, errsz, "the recording agent answered nonsense (is"
                 " tlog-recd of the same version as tlog-rec-session?)");
        return -EPROTO;
    }
    if (a->status < 0) {
        a->msg[sizeof(a->msg) - 1] = 0;
        snprintf(err, errsz, "the recording agent refused: %s", a->msg);
        return a->status;
    }
    return 0;
}

/*
 * Hand the session to the agent: standard input, output and error go
 * over; the new terminal (one descriptor) or pipes (three) come back into
 * fds, their number into *nfds, the recording id into rec, and the
 * connection stays open in *psock.  Returns 0 or a negative errno value
 * with err filled.
 */
static int
hand_over(const char *path, const char *notice, int *psock, int *fds,
          int *nfds, char *rec, size_t recsz, char *err, size_t errsz)
{
    static const int std[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
    struct recd_request q;
    struct recd_reply a;
    const char *term = getenv("TERM");
    int sock = -1, r;

    r = recd_connect(path, &sock);
    if (r < 0) {
        snprintf(err, errsz, "cannot reach the recording agent at %s: %s%s",
                 path, strerror(-r), r == -EACCES ? " (the socket must be"
                 " open to all users)" : " (start it: systemctl start"
                 " tlog-recd.socket; the path is \"agent.socket\" in "
                 CONF_FILE ")");
        return r;
    }
    /* the terminal goes over only once the agent has answered */
    recd_request_init(&q, RECD_SESSION);
    snprintf(q.term, sizeof(q.term), "%s", term != NULL ? term : "");
    r = recd_send(sock, &q, sizeof(q), NULL, 0);
    if (r < 0) {
        snprintf(err, errsz, "cannot talk to the recording agent: %s (see"
                 " its log: journalctl -u tlog-recd)", strerror(-r));
    } else {
        r = answer(sock, &a, NULL, NULL, err, errsz);
    }
    if (r == 0) {
        recd_request_init(&q, RECD_TERMINAL);
        snprintf(q.notice, sizeof(q.notice), "%s", notice);
        r = recd_send(sock, &q, sizeof(q), std, 3);
        if (r < 0) {
            snprintf(err, errsz, "cannot hand the terminal over: %s (see"
                     " the agent's log: journalctl -u tlog-recd)",
                     strerror(-r));
        }
    }
    if (r == 0) {
        r = answer(sock, &a, fds, nfds, err, errsz);
    }
    if (r == 0 && *nfds != 1 && *nfds != 3) {
        snprintf(err, errsz, "the recording agent sent %d descriptors, not"
                 " 1 or 3 (is tlog-recd of the same version as"
                 " tlog-rec-session?)", *nfds);
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

/* The shell's pid, for the signals this process passes on */
static volatile pid_t shell_pid = -1;

static void
pass_on(int sig)
{
    if (shell_pid > 0) {
        kill(shell_pid, sig);
    }
}

/*
 * The shell's side of the fork: make what the agent sent its terminal
 * (a session of its own) or its standard descriptors, and run it.
 */
static void
run_shell(const char *shell, const char *from, char *const *argv,
          const int *fds, int nfds)
{
    int i;

    signal(SIGHUP, SIG_DFL);
    if (nfds == 1) {
        if (setsid() < 0 || ioctl(fds[0], TIOCSCTTY, 0) != 0) {
            fprintf(stderr, PROG ": cannot take the new terminal: %s\n",
                    strerror(errno));
            _exit(126);
        }
        for (i = 0; i < 3; i++) {
            dup2(fds[0], i);
        }
        close(fds[0]);
    } else {
        for (i = 0; i < 3; i++) {
            dup2(fds[i], i);
            close(fds[i]);
        }
    }
    execv(shell, argv);
    fprintf(stderr, PROG ": cannot run the shell %s: %s (%s)\n", shell,
            strerror(errno), from);
    _exit(errno == ENOENT ? 127 : 126);
}

/*
 * Run the shell on what the agent sent, and stay, holding nothing of the
 * session, until it ends: then tell the agent, and wait (a little) until
 * the agent has put the session's last output on the user's terminal, so
 * that a login program, which stops reading the terminal as soon as this
 * process ends, misses none of it.  Returns the shell's wait status, or
 * -1 with err filled.
 */
static int
run_recorded(int sock, const char *shell, const char *from,
             char *const *argv, const int *fds, int nfds, char *err,
             size_t errsz)
{
    static const int pass[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
                                SIGUSR2, SIGALRM, SIGCONT, SIGTSTP };
    struct recd_request q;
    struct recd_reply a;
    struct sigaction sa;
    struct timeval tv = { RECD_DRAIN_S, 0 };
    int st, i, null;
    pid_t child;

    /* let go of the login terminal: the agent takes it as its own (a
     * session leader letting go hangs up its foreground group: itself) */
    signal(SIGHUP, SIG_IGN);
    ioctl(STDIN_FILENO, TIOCNOTTY);
    child = fork();
    if (child < 0) {
        snprintf(err, errsz, "cannot fork: %s", strerror(errno));
        return -1;
    }
    if (child == 0) {
        close(sock);
        run_shell(shell, from, argv, fds, nfds);
    }
    shell_pid = child;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = pass_on;
    sa.sa_flags = SA_RESTART;
    for (i = 0; i < (int)(sizeof(pass) / sizeof(pass[0])); i++) {
        sigaction(pass[i], &sa, NULL);
    }
    for (i = 0; i < nfds; i++) {
        close(fds[i]);
    }
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (i = 0; i < 3 && null >= 0; i++) {
        dup2(null, i);
    }
    if (null > 2) {
        close(null);
    }
    recd_request_init(&q, RECD_RELEASED);
    recd_send(sock, &q, sizeof(q), NULL, 0);
    while (waitpid(child, &st, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, errsz, "cannot wait for the shell: %s",
                     strerror(errno));
            return -1;
        }
    }
    recd_request_init(&q, RECD_EXITED);
    q.flags = (uint32_t)st;
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (recd_send(sock, &q, sizeof(q), NULL, 0) == 0) {
        recd_recv(sock, &a, sizeof(a), NULL, NULL);     /* or time out */
    }
    return st;
}

/* End as the shell did: its exit status, or its signal */
static int
end_like(int st)
{
    struct rlimit none = { 0, 0 };
    int sig;

    if (!WIFSIGNALED(st)) {
        return WEXITSTATUS(st);
    }
    sig = WTERMSIG(st);
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    raise(sig);
    return 128 + sig;
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
    char err[1024] = "", shellbuf[PATH_MAX], name0[PATH_MAX], rec[128];
    char from[256];
    const char *shell, *notice;
    bool login;
    int fds[RECD_FDS_MAX], nfds = 0;
    int status = 1, sock = -1, r;

    /* Before anything else: the user may not trace or read this process */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    if (rec_conf_new(REC_PROG_SESSION, &c) < 0) {
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
    r = conf_load_file(c, CONF_FILE, true, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    if (a.action == 'c') {
        conf_action(c, 'c', PROG, NULL, NULL, stdout);
        status = 0;
        goto out;
    }

    shell = pick_shell(c, argv[0], shellbuf, sizeof(shellbuf), from,
                       sizeof(from));
    login = argv[0][0] == '-' || a.login;
    if (shell_argv(shell, &a, login, argc, argv, sargv, name0,
                   sizeof(name0)) < 0) {
        conf_usage_error(stderr, PROG, "too many arguments");
        status = 2;
        goto out;
    }
    if (access(shell, X_OK) != 0) {
        fprintf(stderr, PROG ": cannot run the shell %s: %s (%s)\n", shell,
                strerror(errno), from);
        status = 127;
        goto out;
    }
    /* Only to a terminal: on pipes it would corrupt scp and sftp.  It is
     * not part of the recording.  A terminal session's notice is the
     * agent's to show, once it has revoked the terminal (a hangup
     * throws away what the login program has not read yet). */
    notice = conf_str(c, "notice");
    if (*notice && !isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
        fdio_write_all(STDOUT_FILENO, notice, strlen(notice));
    }
    r = hand_over(conf_str(c, "agent.socket"), notice, &sock, fds, &nfds,
                  rec, sizeof(rec), err, sizeof(err));
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
            fprintf(stderr, PROG ": cannot run the shell %s: %s (%s)\n",
                    shell, strerror(errno), from);
            status = 127;
            goto out;
        }
        fprintf(stderr, PROG ": %s\n" PROG ": the session is refused: it"
                " must be recorded (is the tlog-recd service running?)\n",
                err);
        goto out;
    }
    audit_start(rec);
    r = run_recorded(sock, shell, from, sargv, fds, nfds, err,
                     sizeof(err));
    close(sock);
    if (r < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    status = end_like(r);
out:
    conf_free(c);
    return status;
}
