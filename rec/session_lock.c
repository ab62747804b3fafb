/*
 * One recorder per process tree of an audit session.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ident.h"
#include "session_lock.h"

struct session_lock {
    char path[256];
};

static uint32_t
proc_session(pid_t pid)
{
    char path[64];
    unsigned long v = IDENT_SESSION_UNSET;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/sessionid", (int)pid);
    f = fopen(path, "re");
    if (f != NULL) {
        if (fscanf(f, "%lu", &v) != 1) {
            v = IDENT_SESSION_UNSET;
        }
        fclose(f);
    }
    return (uint32_t)v;
}

/* Real uid of pid, from /proc/PID/status (readable for any process) */
static int
proc_uid(pid_t pid, uid_t *uid)
{
    char path[64], line[256];
    unsigned long v;
    FILE *f;
    int rc = -EIO;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "re");
    if (f == NULL) {
        return -errno;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "Uid: %lu", &v) == 1) {
            *uid = (uid_t)v;
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

/*
 * Whether path is the lock of process pid: it holds pid's start time and
 * belongs to pid's user, so nobody else can have planted it.
 */
static int
lock_matches(const char *path, pid_t pid, unsigned long long start)
{
    unsigned long long v;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    char buf[64];
    uid_t uid = 0;
    ssize_t n;

    if (fd < 0) {
        return 0;
    }
    if (fstat(fd, &st) != 0 || proc_uid(pid, &uid) != 0 || st.st_uid != uid) {
        close(fd);
        return 0;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    buf[n] = 0;
    return sscanf(buf, "%llu", &v) == 1 && v == start;
}

int
session_lock_take(uint32_t session, struct session_lock **pl,
                  char *err, size_t errsz)
{
    struct session_lock *l;
    unsigned long long start;
    pid_t pid = getppid(), ppid;
    char path[256], text[32];
    int fd, n, tries;

    *pl = NULL;
    if (session == IDENT_SESSION_UNSET) {
        return 0;
    }
    /* Walk up through our ancestors that share the audit session */
    while (pid > 1 && proc_session(pid) == session &&
           ident_proc_stat(pid, &ppid, &start) == 0) {
        snprintf(path, sizeof(path), SESSION_LOCK_DIR "/%u-%d.lock",
                 session, (int)pid);
        if (lock_matches(path, pid, start)) {
            return -EEXIST;
        }
        pid = ppid;
    }

    if (mkdir(SESSION_LOCK_DIR, 01777) == 0) {
        chmod(SESSION_LOCK_DIR, 01777);     /* past the umask */
    }
    if (ident_proc_stat(getpid(), &ppid, &start) < 0) {
        snprintf(err, errsz, "cannot read this process's start time");
        return -EIO;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return -ENOMEM;
    }
    snprintf(l->path, sizeof(l->path), SESSION_LOCK_DIR "/%u-%d.lock",
             session, (int)getpid());
    for (tries = 0; tries < 2; tries++) {
        fd = open(l->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                  O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST) {
            break;
        }
        unlink(l->path);    /* left by a process that had our pid */
    }
    if (fd < 0) {
        snprintf(err, errsz, "cannot make the lock %s: %s", l->path,
                 strerror(errno));
        free(l);
        return -errno;
    }
    n = snprintf(text, sizeof(text), "%llu\n", start);
    if (write(fd, text, (size_t)n) != n) {
        close(fd);
        unlink(l->path);
        free(l);
        snprintf(err, errsz, "cannot write the session lock");
        return -EIO;
    }
    close(fd);
    *pl = l;
    return 0;
}

void
session_lock_free(struct session_lock *l)
{
    if (l == NULL) {
        return;
    }
    unlink(l->path);
    free(l);
}
