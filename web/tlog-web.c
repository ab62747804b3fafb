/*
 * tlog-web: the auditors' console server.  Started as root, it binds its
 * socket, reads its TLS files, forks the PAM process (privsep.c) and
 * becomes its unprivileged user before serving any request.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "buf.h"
#include "conf.h"
#include "privsep.h"
#include "rules.h"
#include "server.h"
#include "static.h"
#include "seal.h"
#include "seals.h"
#include "sessions.h"
#include "store.h"
#include "throttle.h"
#include "timeline.h"

#define PROG "tlog-web"
#define CONF_FILE SYSCONFDIR "/tlog/tlog-web.conf"
/* Largest certificate or key file read */
#define PEM_MAX (256 * 1024)

static const char *const session_stores[] = {
    "elasticsearch", "memory", NULL
};

static const struct conf_key keys[] = {
    { .path = "listen.address", .type = CONF_STR, .def = "127.0.0.1",
      .opt = "listen-address", .short_opt = 'a', .arg = "ADDRESS",
      .help = "Listen on this IPv4 or IPv6 address" },
    { .path = "listen.port", .type = CONF_INT, .def = "8443", .min = 1,
      .max = 65535, .opt = "listen-port", .short_opt = 'p', .arg = "PORT",
      .help = "Listen on this TCP port" },
    { .path = "tls.cert", .type = CONF_STR, .def = "", .opt = "tls-cert",
      .arg = "FILE",
      .help = "HTTPS certificate (PEM); none: plain HTTP, on loopback only" },
    { .path = "tls.key", .type = CONF_STR, .def = "", .opt = "tls-key",
      .arg = "FILE", .help = "HTTPS private key (PEM)" },
    { .path = "es.urls", .type = CONF_LIST, .def = "http://localhost:9200",
      .opt = "es-url", .arg = "URL",
      .help = "Add an Elasticsearch node (tried in order)" },
    { .path = "es.index", .type = CONF_STR, .def = "tlog-2*",
      .opt = "es-index", .arg = "PATTERN",
      .help = "Index pattern of the recordings" },
    { .path = "access.index_prefix", .type = CONF_STR, .def = "tlog-access-",
      .opt = "access-index-prefix", .arg = "PREFIX",
      .help = "Index prefix of the access events (+ YYYY.MM.DD)" },
    { .path = "audit.index", .type = CONF_STR, .def = "aushape-*",
      .opt = "audit-index", .arg = "PATTERN",
      .help = "Index pattern of aushape's audit events" },
    { .path = "pam.service", .type = CONF_STR, .def = "tlog-web",
      .opt = "pam-service", .arg = "NAME",
      .help = "PAM service checking the auditors' passwords" },
    { .path = "session.idle", .type = CONF_INT, .def = "900", .min = 1,
      .max = 86400, .opt = "session-idle", .arg = "SECONDS",
      .help = "A session ends after this long unused" },
    { .path = "session.absolute", .type = CONF_INT, .def = "28800", .min = 1,
      .max = 604800, .opt = "session-absolute", .arg = "SECONDS",
      .help = "A session ends this long after login" },
    { .path = "session.store", .type = CONF_CHOICE, .def = "elasticsearch",
      .choices = session_stores, .opt = "session-store", .arg = "STORE",
      .help = "Where sessions live: elasticsearch (shared) or memory" },
    { .path = "session.index", .type = CONF_STR, .def = "tlog_web_sessions",
      .opt = "session-index", .arg = "INDEX",
      .help = "Elasticsearch index of the sessions" },
    { .path = "session.cache", .type = CONF_INT, .def = "5", .min = 1,
      .max = 60, .opt = "session-cache", .arg = "SECONDS",
      .help = "How long a session read from the store is trusted" },
    { .path = "login.free_failures", .type = CONF_INT, .def = "3",
      .max = 1000, .opt = "login-free-failures", .arg = "COUNT",
      .help = "Failed logins per user and address before waits start" },
    { .path = "login.max_delay", .type = CONF_INT, .def = "300", .min = 1,
      .max = 86400, .opt = "login-max-delay", .arg = "SECONDS",
      .help = "Longest wait imposed after failed logins" },
    { .path = "login.index", .type = CONF_STR, .def = "tlog_web_logins",
      .opt = "login-index", .arg = "INDEX",
      .help = "Elasticsearch index of the failed logins' counts" },
    { .path = "user", .type = CONF_STR, .def = "tlog-web", .opt = "user",
      .short_opt = 'u', .arg = "USER",
      .help = "Unprivileged user to serve as (when started as root)" },
    { .path = "ui.directory", .type = CONF_STR, .def = DATADIR "/tlog/web",
      .opt = "ui-directory", .arg = "DIR",
      .help = "Directory of the console page's files (\"\": the API only)" },
    { .path = "seal.keys", .type = CONF_LIST, .def = "", .opt = "seal-key",
      .arg = "PATH",
      .help = "A trusted public key of tlog-seal, or a directory of *.pub "
              "files (none: recordings are not checked)" },
    { .path = "seal.index", .type = CONF_STR, .def = "tlog_seal-*",
      .opt = "seal-index", .arg = "PATTERN",
      .help = "Index pattern of tlog-seal's checkpoints" },
    { .path = "rules", .type = CONF_JSON, .def = "[]",
      .help = "Access rules (configuration file only)" },
};

#define USAGE "Usage: " PROG " [OPTION...]\nServe the auditors' console" \
              " (the recordings API) over HTTPS."

/* Read a whole PEM file into a malloc'ed string */
static int
read_pem(const char *key, const char *path, char **out, char *err,
         size_t errsz)
{
    struct buf b;
    ssize_t n;
    int fd, rc = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errsz, "%s %s: %s (check the path and that root can"
                 " read it)", key, path, strerror(errno));
        return rc;
    }
    buf_init(&b, PEM_MAX + 1);
    for (;;) {
        rc = buf_reserve(&b, 4096);
        if (rc < 0) {
            snprintf(err, errsz, "%s %s: larger than %d bytes (is it a PEM"
                     " file?)", key, path, PEM_MAX);
            break;
        }
        n = read(fd, b.data + b.len, b.cap - b.len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = -errno;
            snprintf(err, errsz, "%s %s: %s", key, path, strerror(errno));
            break;
        }
        if (n == 0) {
            b.data[b.len] = 0;
            *out = strdup((char *)b.data);
            rc = *out ? 0 : -ENOMEM;
            break;
        }
        b.len += (size_t)n;
    }
    close(fd);
    explicit_bzero(b.data, b.cap);
    buf_fini(&b);
    return rc;
}

static bool
loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;

        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;

        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return false;
}

/* Bind the listening socket; plain HTTP only on a loopback address */
static int
listen_on(const char *addr, long long port, bool tls, int *pfd, char *err,
          size_t errsz)
{
    struct addrinfo hints = { 0 }, *ai = NULL;
    char service[16];
    int fd, one = 1, rc;

    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(service, sizeof(service), "%lld", port);
    rc = getaddrinfo(addr, service, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errsz, "listen.address \"%s\" is not an IP address"
                 " (%s): give one such as 127.0.0.1 or ::1", addr,
                 gai_strerror(rc));
        return -EINVAL;
    }
    if (!tls && !loopback(ai->ai_addr)) {
        snprintf(err, errsz, "listen.address %s is not a loopback address,"
                 " and plain HTTP is served only on loopback: set tls.cert"
                 " and tls.key, or listen on 127.0.0.1 or ::1", addr);
        freeaddrinfo(ai);
        return -EINVAL;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
                             sizeof(one)) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
        rc = -errno;
        snprintf(err, errsz, "cannot listen on %s port %lld: %s", addr, port,
                 strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(ai);
        return rc;
    }
    freeaddrinfo(ai);
    *pfd = fd;
    return 0;
}

/* Become user for good, and check that there is no way back */
static int
drop_to(const char *user, char *err, size_t errsz)
{
    struct passwd *pw = getpwnam(user);

    if (pw == NULL) {
        snprintf(err, errsz, "user \"%s\" does not exist: create it (see"
                 " tlog-web(8)) or name another unprivileged user in"
                 " \"user\"", user);
        return -ENOENT;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errsz, "user \"%s\" is root: name an unprivileged"
                 " user in \"user\"", user);
        return -EINVAL;
    }
    if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
        setuid(pw->pw_uid) < 0) {
        snprintf(err, errsz, "cannot become user %s: %s", user,
                 strerror(errno));
        return -EPERM;
    }
    if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != pw->pw_uid ||
        geteuid() != pw->pw_uid || getgid() != pw->pw_gid ||
        getegid() != pw->pw_gid) {
        snprintf(err, errsz, "privileges not dropped to user %s", user);
        return -EPERM;
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    return 0;
}

static const struct conf_prog prog = {
    .name = PROG,
    .keys = keys,
    .nkeys = sizeof(keys) / sizeof(keys[0]),
    .files = true,
    .usage = USAGE,
    .extra = "The configuration is read from " CONF_FILE ", then"
             " TLOG_WEB_CONF_FILE and TLOG_WEB_CONF_TEXT; see"
             " tlog-web.conf(5).",
};

int
main(int argc, char **argv)
{
    struct conf *c = NULL;
    struct rules *rules = NULL;
    struct privsep *ps = NULL;
    struct store *store = NULL;
    struct sessions *sessions = NULL;
    struct throttle *throttle = NULL;
    struct server *server = NULL;
    struct timeline_cache *timelines = NULL;
    struct seal_keyring *ring = NULL;
    struct seals *seals = NULL;
    struct static_files *ui = NULL;
    struct server_conf sc = { 0 };
    char err[1024] = "", *cert = NULL, *key = NULL;
    const char *cert_path, *key_path;
    int rc, fd = -1, sig, status = 1;
    bool shared;
    sigset_t set;

    rc = conf_open(&prog, argc, argv, &c, NULL);
    if (rc != CONF_GO_ON) {
        return rc;
    }
    rc = rules_parse(conf_str(c, "rules"), &rules, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": configuration: %s\n", err);
        goto out;
    }
    cert_path = conf_str(c, "tls.cert");
    key_path = conf_str(c, "tls.key");
    if (!*cert_path != !*key_path) {
        fprintf(stderr, PROG ": configuration: tls.cert and tls.key go"
                " together: give both (HTTPS) or neither (plain HTTP on"
                " loopback)\n");
        goto out;
    }
    if (*cert_path &&
        (read_pem("tls.cert", cert_path, &cert, err, sizeof(err)) < 0 ||
         read_pem("tls.key", key_path, &key, err, sizeof(err)) < 0)) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    /* the public keys, read as root like the certificate */
    if (*conf_str(c, "seal.keys") &&
        (seal_init(err, sizeof(err)) < 0 ||
         seal_keyring_new(conf_str(c, "seal.keys"), &ring, err,
                          sizeof(err)) < 0)) {
        fprintf(stderr, PROG ": seal.keys: %s\n", err);
        goto out;
    }
    rc = listen_on(conf_str(c, "listen.address"), conf_int(c, "listen.port"),
                   cert != NULL, &fd, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    access_open();
    rc = privsep_start(conf_str(c, "pam.service"), &ps, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    if (geteuid() == 0) {
        rc = drop_to(conf_str(c, "user"), err, sizeof(err));
        if (rc < 0) {
            fprintf(stderr, PROG ": %s\n", err);
            goto out;
        }
    } else {
        fprintf(stderr, PROG ": not started as root: serving as uid %lu,"
                " the PAM process beside it as the same user\n",
                (unsigned long)geteuid());
    }
    /* the server's thread inherits the mask; signals are taken here */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    /* from the server: the PAM process is gone */
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* sessions and failed logins, shared by the instances or not */
    shared = !strcmp(conf_str(c, "session.store"), "elasticsearch");
    rc = store_new(conf_str(c, "es.urls"), conf_str(c, "es.index"), &store,
                   err, sizeof(err));
    if (rc == 0) {
        rc = sessions_new(conf_int(c, "session.idle"),
                          conf_int(c, "session.absolute"),
                          shared ? store : NULL, conf_str(c, "session.index"),
                          conf_int(c, "session.cache"), &sessions);
    }
    if (rc == 0) {
        rc = throttle_new(conf_int(c, "login.free_failures"),
                          conf_int(c, "login.max_delay"),
                          shared ? store : NULL, conf_str(c, "login.index"),
                          &throttle);
    }
    if (rc == 0) {
        rc = timeline_cache_new(store_search_urls(store), store,
                                TIMELINE_CACHE_MAX, &timelines);
    }
    if (rc == 0) {
        rc = seals_new(store, conf_str(c, "seal.index"), ring, &seals);
        ring = NULL;
    }
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", *err ? err : strerror(-rc));
        goto out;
    }
    /* opened as the user that serves: the files must be its to read */
    err[0] = 0;
    rc = static_new(conf_str(c, "ui.directory"), &ui, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    if (ui == NULL) {
        fprintf(stderr, PROG ": %s\n", err);
    }
    sc.ui = ui;
    sc.store = store;
    sc.timelines = timelines;
    sc.seals = seals;
    sc.sessions = sessions;
    sc.throttle = throttle;
    sc.privsep = ps;
    sc.rules = rules;
    sc.access_prefix = conf_str(c, "access.index_prefix");
    sc.audit_index = conf_str(c, "audit.index");
    sc.es_search = store_search_urls(store);
    sc.https = cert != NULL;
    sc.cert_pem = cert;
    sc.key_pem = key;
    rc = server_start(&sc, fd, &server, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    /* the server closes it when it stops */
    fd = -1;
    fprintf(stderr, PROG ": serving %s on %s port %lld\n",
            cert ? "HTTPS" : "HTTP", conf_str(c, "listen.address"),
            conf_int(c, "listen.port"));
    sigwait(&set, &sig);
    if (sig == SIGUSR1) {
        fprintf(stderr, PROG ": the PAM process has ended: tlog-web stops"
                " (its service manager starts it again)\n");
    } else {
        status = 0;
    }
out:
    server_stop(server);
    static_free(ui);
    timeline_cache_free(timelines);
    seals_free(seals);
    seal_keyring_free(ring);
    throttle_free(throttle);
    sessions_free(sessions);
    store_free(store);
    privsep_free(ps);
    if (fd >= 0) {
        close(fd);
    }
    if (key != NULL) {
        explicit_bzero(key, strlen(key));
    }
    free(key);
    free(cert);
    rules_free(rules);
    conf_free(c);
    return status;
}
