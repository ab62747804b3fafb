/*
 * The recording agent's privileged operations.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utmpx.h>

#include "recd_priv.h"

/* Unix98 PTY slaves; virtual consoles and serial lines */
#define PTS_MAJOR_FIRST 136
#define PTS_MAJOR_LAST 143
#define TTY_MAJOR 4

int
recd_priv_take_tty(int fd, uid_t agent_uid, struct recd_tty *t, char *err,
                   size_t errsz)
{
    struct termios raw;
    struct stat st;
    unsigned int ma;

    if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
        snprintf(err, errsz, "standard input is not a terminal device");
        return -ENOTTY;
    }
    ma = major(st.st_rdev);
    /* /dev/tty (5,0), the console (5,1) and ptmx (5,2) are shared by
     * everyone: never change their owner */
    if (!((ma >= PTS_MAJOR_FIRST && ma <= PTS_MAJOR_LAST) ||
          (ma == TTY_MAJOR && minor(st.st_rdev) >= 1))) {
        snprintf(err, errsz, "terminal %u:%u is not a login terminal (log in"
                 " on a pseudo-terminal or a console, not through /dev/tty)",
                 ma, minor(st.st_rdev));
        return -ENOTTY;
    }
    memset(t, 0, sizeof(*t));
    if (tcgetattr(fd, &t->saved) != 0 || ioctl(fd, TIOCGWINSZ, &t->ws) != 0) {
        snprintf(err, errsz, "cannot read the terminal settings: %s",
                 strerror(errno));
        return -errno;
    }
    t->fd = fd;
    t->uid = st.st_uid;
    t->gid = st.st_gid;
    t->mode = st.st_mode & 07777;
    if (fchmod(fd, 0600) != 0 || fchown(fd, agent_uid, (gid_t)-1) != 0) {
        int e = errno;

        snprintf(err, errsz, "cannot take the terminal: %s", strerror(e));
        fchmod(fd, t->mode);
        return -e;
    }
    raw = t->saved;
    cfmakeraw(&raw);
    /* TCSANOW: what the user typed ahead is kept, and reaches the shell */
    tcsetattr(fd, TCSANOW, &raw);
    return 0;
}

/* Whether pid leads its session, and its controlling terminal is dev
 * (fields 6 and 7 of /proc/PID/stat: TIOCGSID answers only in-session) */
static bool
leads_session_of(pid_t pid, dev_t dev)
{
    char path[64], line[1024];
    const char *p;
    long sid = 0;
    unsigned long tty = 0;
    FILE *f;
    bool ok;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (f == NULL) {
        return false;
    }
    ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    /* the command name may hold anything: count after its ')' */
    p = ok ? strrchr(line, ')') : NULL;
    if (p == NULL || sscanf(p + 1, " %*c %*d %*d %ld %lu", &sid, &tty) != 2) {
        return false;
    }
    return sid == (long)pid && (dev_t)tty == dev;
}

int
recd_priv_reopen_tty(struct recd_tty *t, pid_t caller, char *err,
                     size_t errsz)
{
    char name[64];
    struct stat st, again;
    pid_t pid;
    struct termios raw;
    int status, fd;

    if (fstat(t->fd, &st) != 0 || ttyname_r(t->fd, name, sizeof(name)) != 0) {
        snprintf(err, errsz, "cannot name the terminal: %s", strerror(errno));
        return -errno;
    }
    if (leads_session_of(caller, st.st_rdev)) {
        pid = fork();
        if (pid < 0) {
            snprintf(err, errsz, "cannot fork: %s", strerror(errno));
            return -errno;
        }
        if (pid == 0) {
            /* take the terminal from the caller's session as root may,
             * and hang up every description of it there is */
            signal(SIGHUP, SIG_IGN);
            if (setsid() < 0 || ioctl(t->fd, TIOCSCTTY, 1) != 0 ||
                vhangup() != 0) {
                _exit(1);
            }
            _exit(0);
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            snprintf(err, errsz, "cannot revoke the terminal %s", name);
            return -EIO;
        }
    }
    /* the name is devpts' or the console's, which no user can make; the
     * device number says it is the same terminal */
    fd = open(name, O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &again) != 0 || !S_ISCHR(again.st_mode) ||
        again.st_rdev != st.st_rdev) {
        snprintf(err, errsz, "cannot open the terminal %s again", name);
        if (fd >= 0) {
            close(fd);
        }
        return -EIO;
    }
    raw = t->saved;
    cfmakeraw(&raw);
    tcsetattr(fd, TCSANOW, &raw);
    t->fd = fd;
    return 0;
}

void
recd_priv_give_tty(const struct recd_tty *t)
{
    tcsetattr(t->fd, TCSANOW, &t->saved);
    fchown(t->fd, t->uid, t->gid);
    fchmod(t->fd, t->mode);
}

int
recd_priv_open_pty(const struct recd_tty *t, uid_t uid, gid_t tty_gid,
                   int *pmaster, int *pslave, char *err, size_t errsz)
{
    struct winsize ws = { 24, 80, 0, 0 };
    int m, s, e;

    m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || unlockpt(m) != 0) {
        e = errno;
        goto fail;
    }
    /* the slave through the master, not by its name */
    s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        e = errno;
        goto fail;
    }
    if (fchmod(s, 0620) != 0 || fchown(s, uid, tty_gid) != 0) {
        e = errno;
        close(s);
        goto fail;
    }
    if (t != NULL) {
        tcsetattr(s, TCSANOW, &t->saved);
        ws = t->ws;
    }
    ioctl(s, TIOCSWINSZ, &ws);
    *pmaster = m;
    *pslave = s;
    return 0;
fail:
    snprintf(err, errsz, "cannot open a pseudo-terminal: %s%s", strerror(e),
             e == ENOSPC || e == EAGAIN ? " (all in use? see"
             " /proc/sys/kernel/pty/max)" : "");
    if (m >= 0) {
        close(m);
    }
    return -e;
}

/* The utmp line of a terminal: "pts/3" */
static bool
utmp_line(int fd, char *line, size_t linesz)
{
    char name[64];

    if (ttyname_r(fd, name, sizeof(name)) != 0 ||
        strncmp(name, "/dev/", 5) != 0) {
        return false;
    }
    snprintf(line, linesz, "%s", name + 5);
    return true;
}

void
recd_priv_utmp_add(int slave, const char *user, pid_t pid, char *line,
                   size_t linesz)
{
    struct utmpx u;
    struct timespec now;
    size_t n;

    memset(&u, 0, sizeof(u));
    if (!utmp_line(slave, line, linesz)) {
        line[0] = 0;
        return;
    }
    u.ut_type = USER_PROCESS;
    u.ut_pid = pid;
    strncpy(u.ut_line, line, sizeof(u.ut_line));
    /* the id is the line's tail, as login(1) makes it */
    n = strlen(line);
    strncpy(u.ut_id, line + (n > sizeof(u.ut_id) ? n - sizeof(u.ut_id) : 0),
            sizeof(u.ut_id));
    strncpy(u.ut_user, user, sizeof(u.ut_user));
    clock_gettime(CLOCK_REALTIME, &now);
    u.ut_tv.tv_sec = (int32_t)now.tv_sec;
    u.ut_tv.tv_usec = (int32_t)(now.tv_nsec / 1000);
    setutxent();
    pututxline(&u);
    endutxent();
}

void
recd_priv_utmp_remove(const char *line)
{
    struct utmpx u, *e;

    memset(&u, 0, sizeof(u));
    strncpy(u.ut_line, line, sizeof(u.ut_line));
    setutxent();
    e = getutxline(&u);
    if (e != NULL) {
        u = *e;
        u.ut_type = DEAD_PROCESS;
        memset(u.ut_user, 0, sizeof(u.ut_user));
        memset(u.ut_host, 0, sizeof(u.ut_host));
        pututxline(&u);
    }
    endutxent();
}

int
recd_priv_drop(uid_t uid, gid_t gid, char *err, size_t errsz)
{
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(uid, uid, uid) != 0) {
        snprintf(err, errsz, "cannot become uid %u: %s (tlog-recd must"
                 " start as root)", (unsigned int)uid, strerror(errno));
        return -errno;
    }
    /* a uid that could go back would mean the drop did not happen */
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errsz, "could regain root after dropping it");
        return -EPERM;
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return 0;
}

void
recd_priv_audit(const char *text, const char *tty)
{
    int fd = audit_open();

    if (fd < 0) {
        return;
    }
    audit_log_user_message(fd, AUDIT_USER, text, NULL, NULL, tty, 1);
    audit_close(fd);
}
