/*
 * tlog-rec-session: a login shell that records the session.
 *
 * Installed as a user's shell (directly, or handed out by SSSD), it
 * starts the real shell under recording.  Nothing the recorded user
 * controls switches the recording off: the command line takes only shell
 * options, recording settings come from root-owned configuration, and
 * the recorder cannot be traced or read (it is not dumpable).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "ident.h"
#include "rec_conf.h"
#include "recorder.h"
#include "session_lock.h"

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

/*
 * Configuration from the environment is honoured only where the user
 * could not have written it: a file owned by root and writable by no
 * one else, text only when running as root.
 */
static int
load_conf(struct conf *c, char *err, size_t errsz)
{
    const char *file = getenv("TLOG_REC_SESSION_CONF_FILE");
    const char *text = getenv("TLOG_REC_SESSION_CONF_TEXT");
    struct stat st;
    int rc;

    rc = conf_load_file(c, SYSCONFDIR "/tlog/tlog-rec-session.conf", true,
                        err, errsz);
    if (rc == 0 && file != NULL && *file) {
        if (stat(file, &st) != 0 || st.st_uid != 0 ||
            (st.st_mode & (S_IWGRP | S_IWOTH))) {
            snprintf(err, errsz, "TLOG_REC_SESSION_CONF_FILE %s is not owned"
                     " by root or is writable by others: not used", file);
            return -EPERM;
        }
        rc = conf_load_file(c, file, false, err, errsz);
    }
    if (rc == 0 && text != NULL && *text) {
        if (getuid() != 0) {
            snprintf(err, errsz, "TLOG_REC_SESSION_CONF_TEXT is honoured"
                     " only for root: not used");
            return -EPERM;
        }
        rc = conf_load_text(c, text, "TLOG_REC_SESSION_CONF_TEXT", err, errsz);
    }
    return rc;
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

int
main(int argc, char **argv)
{
    static char *sargv[SHELL_ARGS_MAX];
    struct conf *c = NULL;
    struct session_lock *lock = NULL;
    struct shell_args a;
    struct ident id;
    struct recorder_conf rc;
    char err[1024], shellbuf[PATH_MAX], name0[PATH_MAX];
    const char *shell;
    bool login;
    int status = 1, r;

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
               "\nRecording settings come from " SYSCONFDIR
               "/tlog/tlog-rec-session.conf only; see"
               " tlog-rec-session.conf(5).\n");
        status = 0;
        goto out;
    }
    if (a.action == 'v') {
        conf_action(c, 'v', PROG, NULL, NULL, stdout);
        status = 0;
        goto out;
    }
    r = load_conf(c, err, sizeof(err));
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
    r = ident_get(&id, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }

    /* Already recorded in this audit session (su, a nested login): the
     * recorder higher up sees all of it, so just start the shell */
    r = session_lock_take(id.session, &lock, err, sizeof(err));
    if (r == -EEXIST) {
        /* shell points into the configuration: keep it until the exec */
        execv(shell, sargv);
        fprintf(stderr, PROG ": cannot run the shell %s: %s\n", shell,
                strerror(errno));
        conf_free(c);
        return 127;
    }
    if (r < 0) {
        /* no lock, still record: a missing lock must not stop recording */
        lock = NULL;
    }

    memset(&rc, 0, sizeof(rc));
    rc.prog = PROG;
    rc.path = shell;
    rc.argv = sargv;
    rc.ident = &id;
    rc.notice = conf_str(c, "notice");
    r = rec_conf_run(c, &rc, true, &status, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, PROG ": %s\n", err);
    }
out:
    session_lock_free(lock);
    conf_free(c);
    return status;
}
