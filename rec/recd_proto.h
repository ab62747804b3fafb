/*
 * The messages between the recording agent tlog-recd and those who call
 * it: tlog-rec-session handing its terminal over, and pam_tlog saying
 * that a recorded user's login session opened or closed.
 *
 * One fixed-size message each way on a SOCK_SEQPACKET Unix socket, with
 * descriptors passed beside it (SCM_RIGHTS).  Who calls is never taken
 * from a message: the agent asks the kernel (SO_PEERCRED, /proc).
 */
#ifndef RECD_PROTO_H
#define RECD_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Where the agent listens, its system user and its private state */
#define RECD_SOCKET "/run/tlog-recd/socket"
#define RECD_USER "tlog-recd"
#define RECD_STATE_DIR "/run/tlog-recd/state"
/* Where messages wait for the logger: kept across restarts and boots */
#define RECD_SPOOL_DIR "/var/lib/tlog-recd/spool"

#define RECD_MAGIC 0x746c6f67u          /* "tlog" */
#define RECD_VERSION 3
/* Most descriptors passed with one message */
#define RECD_FDS_MAX 3

enum recd_kind {
    RECD_SESSION = 1,   /* client: record my session (agent: go on) */
    RECD_TERMINAL,      /* client: here are my fds 0, 1, 2 */
    RECD_RELEASED,      /* client: I let go of my terminal */
    RECD_EXITED,        /* client: the shell ended (wait status in flags);
                         * the agent answers once its output is shown */
    RECD_PAM_OPEN,      /* pam_tlog: a recorded user's session opened */
    RECD_PAM_CLOSE,     /* pam_tlog: it closed */
};

struct recd_request {
    uint32_t magic;
    uint16_t version;
    uint16_t kind;          /* enum recd_kind */
    uint32_t session;       /* PAM: the login's audit session id */
    uint32_t flags;         /* RECD_EXITED: the shell's wait status */
    char term[64];          /* RECD_SESSION: $TERM */
    char user[256];         /* PAM: the user */
    char service[64];       /* PAM: the service, e.g. sshd */
    char tty[64];           /* PAM: PAM_TTY */
    char rhost[256];        /* PAM: PAM_RHOST */
    char notice[1024];      /* RECD_TERMINAL: shown on the terminal first */
};

struct recd_reply {
    uint32_t magic;
    int32_t status;         /* 0 or a negative errno value */
    char rec[128];          /* RECD_SESSION: the recording id */
    char msg[256];          /* why, when status < 0 */
};

/*
 * Send msg[0..len) with nfds descriptors from fds (none if nfds is 0).
 * Returns 0 or a negative errno value.
 */
int recd_send(int sock, const void *msg, size_t len, const int *fds,
              int nfds);

/*
 * Receive one message of exactly len bytes into msg and up to
 * RECD_FDS_MAX descriptors into fds (close-on-exec), their number into
 * *nfds.  A message of another size, or one with more descriptors, is
 * -EPROTO (descriptors that came with it are closed).  End of file is
 * -ECONNRESET.  Returns 0 or a negative errno value.
 */
int recd_recv(int sock, void *msg, size_t len, int *fds, int *nfds);

/* How long a caller waits for the agent to take or answer a message */
#define RECD_TIMEOUT_S 30
/* How long, after the shell, the client waits for its last output */
#define RECD_DRAIN_S 5

/*
 * Connect to the agent at path; stores the socket (close-on-exec, its
 * sends and receives given up after RECD_TIMEOUT_S with -EAGAIN) in
 * *psock.  Returns 0 or a negative errno value.
 */
int recd_connect(const char *path, int *psock);

/* A request of kind, its header filled and the rest zero */
void recd_request_init(struct recd_request *q, enum recd_kind kind);

#endif
