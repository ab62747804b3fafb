/*
 * The console page's files: tlog-web serves the built page (index.html,
 * its script and style) from one directory, with the Content-Type of
 * each kind and a Content-Security-Policy that lets the page load only
 * its own files and talk only to this server.
 */
#ifndef STATIC_H
#define STATIC_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* Largest file served, and longest file name */
#define STATIC_FILE_MAX (16 * 1024 * 1024)
#define STATIC_NAME_MAX 64

/* The policy every page file is served with */
#define STATIC_CSP "default-src 'self'; script-src 'self'; " \
    "style-src 'self'; img-src 'self'; font-src 'self'; " \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; " \
    "form-action 'self'; frame-ancestors 'none'"

struct static_files;

/*
 * Open the directory dir (held open: the files are opened under it, even
 * after the process has changed user).  Stores the files in *out (free
 * with static_free()), or NULL when dir is "" or does not exist (no page
 * is served; err then says so, for the log).  0 or a negative errno
 * value with err saying why.
 */
int static_new(const char *dir, struct static_files **out, char *err,
               size_t errsz);

/* Close the directory; static_free(NULL) does nothing */
void static_free(struct static_files *f);

/*
 * Whether url names a page file: "/" (index.html) or "/NAME" where NAME
 * is a file name of letters, digits and ".-_" not starting with a dot.
 */
bool static_path(const char *url);

/*
 * Answer the GET or HEAD of url (static_path(url) holds) on con: the file
 * with its type and the security headers, or a 404 for a file that is
 * not there or of a kind not served.  https adds Strict-Transport-Security.
 */
enum MHD_Result static_serve(struct static_files *f,
                             struct MHD_Connection *con, const char *url,
                             bool https);

#endif
