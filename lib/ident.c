/*
 * Who and what is being recorded.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ident.h"

/* Read the first line of a small /proc file into out */
static int
read_line(const char *path, char *out, size_t outsz)
{
    FILE *f = fopen(path, "re");
    int rc = 0;

    if (f == NULL) {
        return -errno;
    }
    if (fgets(out, (int)outsz, f) == NULL) {
        rc = -EIO;
    } else {
        out[strcspn(out, "\n")] = 0;
    }
    fclose(f);
    return rc;
}

int
ident_proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
    char path[64], line[1024];
    const char *p;
    int field;
    long pp;
    int rc;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    rc = read_line(path, line, sizeof(line));
    if (rc < 0) {
        return rc;
    }
    /* the command name (field 2) may hold spaces: count fields after its
     * closing parenthesis; state is field 3, the parent pid field 4 */
    p = strrchr(line, ')');
    if (p == NULL || sscanf(p + 1, " %*c %ld", &pp) != 1) {
        return -EIO;
    }
    for (field = 2; field < 22 && p != NULL; field++) {
        p = strchr(p + 1, ' ');
    }
    if (p == NULL || sscanf(p + 1, "%llu", start) != 1) {
        return -EIO;
    }
    *ppid = (pid_t)pp;
    return 0;
}

static void
host_name(char *out, size_t outsz)
{
    struct addrinfo hints, *res = NULL;

    if (gethostname(out, outsz) != 0) {
        snprintf(out, outsz, "localhost");
        return;
    }
    out[outsz - 1] = 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_CANONNAME;
    if (strchr(out, '.') == NULL &&
        getaddrinfo(out, NULL, &hints, &res) == 0 && res != NULL &&
        res->ai_canonname != NULL && strchr(res->ai_canonname, '.')) {
        snprintf(out, outsz, "%s", res->ai_canonname);
    }
    if (res != NULL) {
        freeaddrinfo(res);
    }
}

int
ident_get_for(pid_t pid, uid_t uid, const char *term, pid_t rec_pid,
              struct ident *id, char *err, size_t errsz)
{
    char boot[64], sess[32], path[64], *q;
    const char *p;
    unsigned long long ticks;
    pid_t ppid;
    struct passwd *pw;
    int rc;

    memset(id, 0, sizeof(*id));
    host_name(id->host, sizeof(id->host));

    pw = getpwuid(uid);
    if (pw != NULL) {
        snprintf(id->user, sizeof(id->user), "%s", pw->pw_name);
    } else {
        snprintf(id->user, sizeof(id->user), "%u", (unsigned int)uid);
    }
    snprintf(id->term, sizeof(id->term), "%s", term ? term : "");

    id->session = IDENT_SESSION_UNSET;
    snprintf(path, sizeof(path), "/proc/%d/sessionid", (int)pid);
    if (read_line(path, sess, sizeof(sess)) == 0) {
        unsigned long v = strtoul(sess, &q, 10);

        if (q != sess && *q == 0 && v > 0 && v <= IDENT_SESSION_UNSET) {
            id->session = (uint32_t)v;
        }
    }

    rc = read_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
    if (rc < 0) {
        snprintf(err, errsz, "cannot read the boot id from"
                 " /proc/sys/kernel/random/boot_id: %s (is /proc mounted?)",
                 strerror(-rc));
        return rc;
    }
    /* the boot id without its dashes */
    for (p = boot, q = boot; *p; p++) {
        if (*p != '-') {
            *q++ = *p;
        }
    }
    *q = 0;
    rc = ident_proc_stat(rec_pid, &ppid, &ticks);
    if (rc < 0) {
        snprintf(err, errsz, "cannot read the start time of process %d"
                 " from /proc/%d/stat: %s (is /proc mounted?)", (int)rec_pid,
                 (int)rec_pid, strerror(-rc));
        return rc;
    }
    snprintf(id->rec, sizeof(id->rec), "%s-%x-%llx", boot,
             (unsigned int)rec_pid, ticks);
    return 0;
}

int
ident_get(struct ident *id, char *err, size_t errsz)
{
    return ident_get_for(getpid(), getuid(), getenv("TERM"), getpid(), id,
                         err, errsz);
}
