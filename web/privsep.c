/*
 * The privileged PAM process.
 *
 * Both sides send one SOCK_SEQPACKET message per request and answer, of
 * the exact size of its struct; anything else ends the conversation.
 * The privileged side parses nothing but the three lengths it checks.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privsep.h"

struct request {
    uint32_t seq;               /* echoed in the answer */
    uint32_t user_len;
    uint32_t password_len;
    uint32_t addr_len;
    char user[PRIVSEP_USER_MAX];
    char password[PRIVSEP_PASSWORD_MAX];
    char addr[PRIVSEP_ADDR_MAX];
};

struct answer {
    uint32_t seq;
    uint32_t ok;
    uint32_t ngroups;
    char groups[PRIVSEP_GROUPS_MAX][PRIVSEP_GROUP_MAX];
};

/* The PAM service, in the privileged process */
static const char *pam_service;

struct privsep {
    int fd;
    pid_t pid;
    uint32_t seq;
    pthread_mutex_t lock;
};

/* PAM's questions: the password for those asked without echo, nothing
 * for the others */
static int
converse(int n, const struct pam_message **msg, struct pam_response **resp,
         void *data)
{
    struct pam_response *r;
    int i;

    if (n <= 0 || n > PAM_MAX_NUM_MSG) {
        return PAM_CONV_ERR;
    }
    r = calloc((size_t)n, sizeof(*r));
    if (r == NULL) {
        return PAM_BUF_ERR;
    }
    for (i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
            r[i].resp = strdup((const char *)data);
            if (r[i].resp == NULL) {
                goto fail;
            }
        } else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            /* only a password is known here */
            goto fail;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
fail:
    for (i = 0; i < n; i++) {
        if (r[i].resp != NULL) {
            explicit_bzero(r[i].resp, strlen(r[i].resp));
            free(r[i].resp);
        }
    }
    free(r);
    return PAM_CONV_ERR;
}

/* Whether s[0..len) is a string of len bytes without NUL in a field of
 * size max */
static bool
field_ok(const char *s, uint32_t len, size_t max)
{
    return len < max && memchr(s, 0, len) == NULL && s[len] == 0;
}

/* The groups of a user known to the system; none for one unknown */
static void
groups_of(const char *user, struct answer *a)
{
    struct passwd *pw = getpwnam(user);
    gid_t gids[PRIVSEP_GROUPS_MAX];
    int n = PRIVSEP_GROUPS_MAX, i;

    if (pw == NULL) {
        return;
    }
    /* a user in more groups reports the first PRIVSEP_GROUPS_MAX */
    if (getgrouplist(user, pw->pw_gid, gids, &n) < 0) {
        n = PRIVSEP_GROUPS_MAX;
    }
    for (i = 0; i < n && a->ngroups < PRIVSEP_GROUPS_MAX; i++) {
        struct group *g = getgrgid(gids[i]);

        if (g != NULL && strlen(g->gr_name) < PRIVSEP_GROUP_MAX) {
            strcpy(a->groups[a->ngroups++], g->gr_name);
        }
    }
}

static void
check(const struct request *q, struct answer *a)
{
    struct pam_conv conv = { converse, (void *)q->password };
    pam_handle_t *h = NULL;
    int rc;

    rc = pam_start(pam_service, q->user, &conv, &h);
    if (rc == PAM_SUCCESS) {
        rc = pam_set_item(h, PAM_RHOST, q->addr);
    }
    if (rc == PAM_SUCCESS) {
        rc = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    }
    if (rc == PAM_SUCCESS) {
        rc = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    }
    if (h != NULL) {
        pam_end(h, rc);
    }
    if (rc == PAM_SUCCESS) {
        a->ok = 1;
        groups_of(q->user, a);
    }
}

/* The privileged process: answer requests until the server goes away */
static void __attribute__((noreturn))
serve(int fd)
{
    struct request q;
    struct answer a;
    ssize_t n;

    for (;;) {
        n = recv(fd, &q, sizeof(q), MSG_TRUNC);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n != (ssize_t)sizeof(q)) {
            /* the server is gone (0) or broken: nothing more to do */
            explicit_bzero(&q, sizeof(q));
            _exit(n == 0 ? 0 : 1);
        }
        memset(&a, 0, sizeof(a));
        a.seq = q.seq;
        if (field_ok(q.user, q.user_len, sizeof(q.user)) &&
            field_ok(q.password, q.password_len, sizeof(q.password)) &&
            field_ok(q.addr, q.addr_len, sizeof(q.addr)) &&
            q.user_len > 0) {
            check(&q, &a);
        }
        explicit_bzero(&q, sizeof(q));
        if (send(fd, &a, sizeof(a), MSG_NOSIGNAL) != (ssize_t)sizeof(a)) {
            _exit(1);
        }
    }
}

int
privsep_start(const char *service, struct privsep **pp, char *err,
              size_t errsz)
{
    struct privsep *p;
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        snprintf(err, errsz, "cannot make the socket pair for the PAM"
                 " process: %s", strerror(errno));
        return -errno;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        close(sv[0]);
        close(sv[1]);
        return -ENOMEM;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errsz, "cannot start the PAM process: %s",
                 strerror(errno));
        close(sv[0]);
        close(sv[1]);
        free(p);
        return -EAGAIN;
    }
    if (pid == 0) {
        /* ends with the server, whatever ends it */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == 1) {
            _exit(1);
        }
        signal(SIGINT, SIG_IGN);
        if (dup2(sv[1], 3) < 0) {
            _exit(1);
        }
        close_range(4, ~0U, 0);
        pam_service = service;
        serve(3);
    }
    close(sv[1]);
    p->fd = sv[0];
    p->pid = pid;
    pthread_mutex_init(&p->lock, NULL);
    *pp = p;
    return 0;
}

void
privsep_free(struct privsep *p)
{
    int st;

    if (p == NULL) {
        return;
    }
    /* the process ends when its socket closes */
    close(p->fd);
    while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR) {
    }
    pthread_mutex_destroy(&p->lock);
    free(p);
}

pid_t
privsep_pid(const struct privsep *p)
{
    return p->pid;
}

int
privsep_auth(struct privsep *p, const char *user, const char *password,
             const char *addr, struct privsep_answer *ans, char *err,
             size_t errsz)
{
    struct request q;
    struct answer a;
    size_t ul = strlen(user), pl = strlen(password), al = strlen(addr), i;
    ssize_t n;
    int rc = 0;

    if (ul >= sizeof(q.user) || pl >= sizeof(q.password) ||
        al >= sizeof(q.addr)) {
        snprintf(err, errsz, "user name, password or address too long");
        return -ENAMETOOLONG;
    }
    memset(&q, 0, sizeof(q));
    q.user_len = (uint32_t)ul;
    q.password_len = (uint32_t)pl;
    q.addr_len = (uint32_t)al;
    memcpy(q.user, user, ul);
    memcpy(q.password, password, pl);
    memcpy(q.addr, addr, al);

    pthread_mutex_lock(&p->lock);
    q.seq = ++p->seq;
    n = send(p->fd, &q, sizeof(q), MSG_NOSIGNAL);
    explicit_bzero(&q, sizeof(q));
    if (n == (ssize_t)sizeof(q)) {
        do {
            n = recv(p->fd, &a, sizeof(a), MSG_TRUNC);
        } while (n < 0 && errno == EINTR);
    }
    /* an answer to another request would be another user's */
    if (n == (ssize_t)sizeof(a) && a.seq != p->seq) {
        n = -1;
    }
    pthread_mutex_unlock(&p->lock);
    if (n != (ssize_t)sizeof(a)) {
        snprintf(err, errsz, "the PAM process (pid %ld) does not answer:"
                 " restart tlog-web and see its log", (long)p->pid);
        return -EIO;
    }
    memset(ans, 0, sizeof(*ans));
    ans->ok = a.ok == 1;
    for (i = 0; ans->ok && i < a.ngroups && i < PRIVSEP_GROUPS_MAX; i++) {
        a.groups[i][PRIVSEP_GROUP_MAX - 1] = 0;
        strcpy(ans->groups[ans->ngroups++], a.groups[i]);
    }
    return rc;
}
