/*
 * tlog-recd: the recording agent.
 *
 * Started by the system as root (a service, or by hand), it listens on a
 * Unix socket.  tlog-rec-session, the recorded user's login shell, hands
 * it the session's terminal and gets back a new PTY to run the shell on;
 * the agent takes the terminal away from the user, relays and records as
 * its own system user, and writes the messages itself, so the logger
 * stamps them with the agent's uid, which no user can imitate.  pam_tlog
 * tells it when a recorded user's login session opens and closes, so a
 * session that never starts a shell still leaves a record.
 *
 * Each connection is served by a process of its own; stopping the
 * listener leaves running sessions recorded to their end.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "conf.h"
#include "courier.h"
#include "rec_conf.h"
#include "recd_proto.h"
#include "recd_session.h"

#define PROG "tlog-recd"
#define LISTEN_BACKLOG 128

/* mkdir -p for the socket's and the state's directories, root's */
static int
make_dir(const char *path, mode_t mode, char *err, size_t errsz)
{
    char tmp[4096], *p;
    struct stat st;

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST) {
        snprintf(err, errsz, "cannot make %s: %s (check the file system it"
                 " is on, or set state_dir or socket to another place)", path,
                 strerror(errno));
        return -errno;
    }
    if (lstat(tmp, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
        chmod(tmp, mode) != 0) {
        snprintf(err, errsz, "%s is not a directory of root's: remove it,"
                 " or set state_dir or socket to another place", path);
        return -EPERM;
    }
    return 0;
}

/* The spool directory: the agent user's alone, never a link */
static int
make_spool_dir(const char *path, uid_t uid, gid_t gid, char *err,
               size_t errsz)
{
    struct stat st;
    char parent[4096], *slash;
    int r;

    snprintf(parent, sizeof(parent), "%s", path);
    slash = strrchr(parent, '/');
    if (slash != NULL && slash != parent) {
        *slash = 0;
        if (stat(parent, &st) != 0 &&
            (r = make_dir(parent, 0755, err, errsz)) < 0) {
            return r;
        }
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errsz, "cannot make the spool directory %s: %s (set"
                 " spool.dir to another place, or \"\" for none)", path,
                 strerror(errno));
        return -errno;
    }
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
        (st.st_uid != uid && st.st_uid != 0) || chown(path, uid, gid) != 0 ||
        chmod(path, 0700) != 0) {
        snprintf(err, errsz, "spool directory %s is not a directory of"
                 " root's or the agent user's: remove it, or set spool.dir",
                 path);
        return -EPERM;
    }
    return 0;
}

static int
listen_on(const char *path, int *psock, char *err, size_t errsz)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    char dir[sizeof(a.sun_path)], *slash;
    int fd, r;

    if (strlen(path) >= sizeof(a.sun_path)) {
        snprintf(err, errsz, "socket path %s is too long (at most %zu"
                 " bytes): set a shorter socket", path, sizeof(a.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = 0;
        r = make_dir(dir, 0755, err, errsz);
        if (r < 0) {
            return r;
        }
    }
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errsz, "cannot make a socket: %s (check the open file"
                 " limit)", strerror(errno));
        return -errno;
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        chmod(path, 0666) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        r = -errno;
        snprintf(err, errsz, "cannot listen on %s: %s (is another agent"
                 " running? stop it, or set another socket)", path,
                 strerror(-r));
        close(fd);
        return r;
    }
    *psock = fd;
    return 0;
}

/* Resolve the configuration into what each connection needs */
static int
resolve(const struct conf *c, struct recd_agent *a, char *err, size_t errsz)
{
    const char *user = conf_str(c, "user");
    const char *prog = conf_str(c, "session_program");
    struct passwd *pw;
    struct group *gr;
    struct stat st;

    memset(a, 0, sizeof(*a));
    a->conf = c;
    pw = getpwnam(user);
    if (pw == NULL) {
        snprintf(err, errsz, "no user %s to record as: create it (useradd"
                 " --system %s) or set \"user\"", user, user);
        return -ENOENT;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errsz, "user %s is root: the agent must record as a"
                 " user of its own", user);
        return -EPERM;
    }
    a->uid = pw->pw_uid;
    a->gid = pw->pw_gid;
    gr = getgrnam("tty");
    a->tty_gid = gr != NULL ? gr->gr_gid : pw->pw_gid;
    if (stat(prog, &st) != 0) {
        snprintf(err, errsz, "session program %s: %s (install"
                 " tlog-rec-session there, or set session_program)", prog,
                 strerror(errno));
        return -errno;
    }
    a->prog = prog;
    a->state_dir = conf_str(c, "state_dir");
    a->spool_dir = *conf_str(c, "spool.dir") ? conf_str(c, "spool.dir") :
                   NULL;
    a->spool_max = (uint64_t)conf_int(c, "spool.max");
    if (a->spool_dir != NULL &&
        make_spool_dir(a->spool_dir, a->uid, a->gid, err, errsz) < 0) {
        return -EPERM;
    }
    return make_dir(a->state_dir, 0700, err, errsz);
}

static const struct conf_prog prog = {
    .name = PROG,
    .files = true,
    .usage = "Usage: " PROG " [OPTION...]\n"
             "The recording agent: record the sessions that tlog-rec-session"
             " hands over.\n",
};

int
main(int argc, char **argv)
{
    struct sigaction sa;
    struct recd_agent a;
    struct conf *c = NULL;
    char err[1024] = "";
    int status = 1, lsock = -1, r;

    if (rec_conf_new(REC_PROG_AGENT, &c) < 0) {
        fprintf(stderr, PROG ": out of memory\n");
        return 1;
    }
    r = conf_start(c, &prog, argc, argv, NULL);
    if (r != CONF_GO_ON) {
        status = r;
        goto out;
    }
    if (geteuid() != 0) {
        fprintf(stderr, PROG ": must be started as root (it records as the"
                " user \"%s\")\n", conf_str(c, "user"));
        goto out;
    }
    r = resolve(c, &a, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    if (sd_listen_fds(1) == 1) {
        lsock = SD_LISTEN_FDS_START;
    } else {
        r = listen_on(conf_str(c, "socket"), &lsock, err, sizeof(err));
        if (r < 0) {
            fprintf(stderr, PROG ": %s\n", err);
            goto out;
        }
    }

    /* connection processes reap themselves; TERM ends the listener only */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (a.spool_dir != NULL) {
        pid_t listener = getpid();

        /* what ended or died sessions left waits for it */
        if (fork() == 0) {
            close(lsock);
            courier_run(&a, listener);
            _exit(1);
        }
    }
    sd_notify(0, "READY=1");
    for (;;) {
        int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
        pid_t pid;

        if (conn < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
                sleep(1);
            }
            continue;
        }
        pid = fork();
        if (pid == 0) {
            close(lsock);
            _exit(recd_session_serve(&a, conn));
        }
        close(conn);
    }
out:
    conf_free(c);
    return status;
}
