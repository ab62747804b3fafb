/*
 * The console page's files, served from one directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static.h"

struct static_files {
    int dirfd;
};

/* The kinds of file served, by the end of their name */
static const struct {
    const char *ext;
    const char *type;
} types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".map", "application/json" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".woff2", "font/woff2" },
    { ".txt", "text/plain; charset=utf-8" },
};

int
static_new(const char *dir, struct static_files **out, char *err,
           size_t errsz)
{
    struct static_files *f;
    int fd;

    *out = NULL;
    if (*dir == 0) {
        snprintf(err, errsz, "ui.directory is empty: the console page is"
                 " not served, only the API");
        return 0;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        snprintf(err, errsz, "ui.directory %s does not exist: the console"
                 " page is not served, only the API", dir);
        return 0;
    }
    if (fd < 0) {
        int rc = -errno;

        snprintf(err, errsz, "ui.directory %s: %s", dir, strerror(errno));
        return rc;
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        close(fd);
        return -ENOMEM;
    }
    f->dirfd = fd;
    *out = f;
    return 0;
}

void
static_free(struct static_files *f)
{
    if (f == NULL) {
        return;
    }
    close(f->dirfd);
    free(f);
}

bool
static_path(const char *url)
{
    size_t i;

    if (url[0] != '/') {
        return false;
    }
    if (url[1] == 0) {
        return true;
    }
    if (url[1] == '.' || strlen(url + 1) > STATIC_NAME_MAX) {
        return false;
    }
    for (i = 1; url[i]; i++) {
        char ch = url[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
              ch == '_')) {
            return false;
        }
    }
    return true;
}

static const char *
type_of(const char *name)
{
    size_t i, n = strlen(name), e;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        e = strlen(types[i].ext);
        if (n > e && !strcmp(name + n - e, types[i].ext)) {
            return types[i].type;
        }
    }
    return NULL;
}

static void
headers(struct MHD_Response *r, const char *type, bool https)
{
    MHD_add_response_header(r, "Content-Type", type);
    /* the page is small; revalidating keeps a new build in use at once */
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy", STATIC_CSP);
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy",
                            "same-origin");
    if (https) {
        MHD_add_response_header(r, "Strict-Transport-Security",
                                "max-age=31536000");
    }
}

static enum MHD_Result
not_found(struct MHD_Connection *con, bool https)
{
    static const char body[] = "{\"error\": \"no such file: the console"
                               " page is at /\"}";
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
                                        MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        return MHD_NO;
    }
    headers(r, "application/json", https);
    ret = MHD_queue_response(con, MHD_HTTP_NOT_FOUND, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result
static_serve(struct static_files *f, struct MHD_Connection *con,
             const char *url, bool https)
{
    const char *name = url[1] ? url + 1 : "index.html";
    const char *type = type_of(name);
    struct MHD_Response *r;
    enum MHD_Result ret;
    struct stat st;
    int fd;

    if (f == NULL || type == NULL) {
        return not_found(con, https);
    }
    /* a link in the page's directory is not followed out of it */
    fd = openat(f->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return not_found(con, https);
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_size > STATIC_FILE_MAX) {
        close(fd);
        return not_found(con, https);
    }
    /* libmicrohttpd owns fd from here, and closes it */
    r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (r == NULL) {
        close(fd);
        return MHD_NO;
    }
    headers(r, type, https);
    ret = MHD_queue_response(con, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}
