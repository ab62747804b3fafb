/*
 * tlog-verify: check one recording against the checkpoints tlog-seal
 * signed, and say whether it is sealed and complete, or the first thing
 * that is wrong with it.  The reading is done here, the checking by
 * lib/verify.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "conf.h"
#include "es.h"
#include "es_keys.h"
#include "seal.h"
#include "verify.h"

#define PROG "tlog-verify"

static const char *const readers[] = { "file", "journal", "es", NULL };

static const struct conf_key keys[] = {
    { .path = "reader", .type = CONF_CHOICE, .def = "file",
      .choices = readers, .opt = "reader", .short_opt = 'r', .arg = "STRING",
      .help = "Read the recording from file, journal or es" },
    { .path = "file.path", .type = CONF_STR, .def = "", .opt = "file-path",
      .short_opt = 'i', .arg = "FILE",
      .help = "The recording's file (- for standard input)" },
    { .path = "rec", .type = CONF_STR, .def = "", .opt = "rec",
      .short_opt = 'm', .arg = "REC",
      .help = "The id of the recording to check" },
    { .path = "host", .type = CONF_STR, .def = "", .opt = "host",
      .short_opt = 'H', .arg = "HOST",
      .help = "Its host, when several hold a recording of that id" },
    { .path = "es.baseurl", .type = CONF_STR, .def = "", .opt = "es-baseurl",
      .arg = "URL",
      .help = "Elasticsearch URL of the recordings, up to _search" },
    { .path = "journal.namespace", .type = CONF_STR, .def = "",
      .opt = "journal-namespace", .short_opt = 'N', .arg = "STRING",
      .help = "Read this journal namespace" },
    { .path = "es.page", .type = CONF_INT, .def = "10000", .min = 1,
      .max = 10000, .opt = "es-page", .arg = "N",
      .help = "Documents asked of Elasticsearch a request" },
    { .path = "seal.baseurl", .type = CONF_STR, .def = "",
      .opt = "seal-baseurl", .arg = "URL",
      .help = "Elasticsearch URL of the checkpoints, up to _search" },
    { .path = "seal.file", .type = CONF_STR, .def = "", .opt = "seal-file",
      .short_opt = 'c', .arg = "FILE",
      .help = "Read the checkpoints from FILE instead" },
    { .path = "key", .type = CONF_LIST, .def = "", .opt = "key",
      .short_opt = 'k', .arg = "PATH",
      .help = "A trusted public key file, or a directory of *.pub files" },
    { .path = "json", .type = CONF_BOOL, .def = "false", .opt = "json",
      .short_opt = 'j', .arg = "BOOL", .help = "Say the verdict as JSON" },
};

struct verifier {
    struct conf *conf;
    char *host;                 /* of the recording, once known */
    char *rec;
    bool rec_given;             /* --rec said which; else the file's one */
    struct verify *vf;
    struct seal_keyring *ring;
};

/* Take one message text, if it belongs to the recording */
static int
add_msg(struct verifier *v, const char *text, size_t len, const char *where,
        char *err, size_t errsz)
{
    struct json_object *o = NULL;
    struct seal_msg m;
    char why[512];
    int rc;

    rc = seal_msg_parse(text, len, &o, &m, why, sizeof(why));
    if (rc < 0) {
        snprintf(err, errsz, "%s: %s", where, why);
        return rc;
    }
    if ((*v->rec && strcmp(m.rec, v->rec) != 0) ||
        (v->host && strcmp(m.host, v->host) != 0)) {
        if (!v->rec_given) {
            snprintf(err, errsz, "%s: recordings %s and %s: give --rec",
                     where, v->rec, m.rec);
            json_object_put(o);
            return -EINVAL;
        }
        json_object_put(o);
        return 0;
    }
    if (!*v->rec) {
        free(v->rec);
        v->rec = strdup(m.rec);
    }
    if (v->host == NULL) {
        v->host = strdup(m.host);
    }
    if (v->host == NULL || v->rec == NULL) {
        json_object_put(o);
        snprintf(err, errsz, "%s: out of memory", where);
        return -ENOMEM;
    }
    rc = verify_add_msg(v->vf, m.id, m.end, m.digest, err, errsz);
    json_object_put(o);
    return rc;
}

/* Call fn on each line of path ("-": standard input) */
static int
each_line(struct verifier *v, const char *path,
          int (*fn)(struct verifier *, const char *, size_t, const char *,
                    char *, size_t), char *err, size_t errsz)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
    char *line = NULL, where[4200];
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;

    if (f == NULL) {
        snprintf(err, errsz, "cannot open %s: %s", path, strerror(errno));
        return -errno;
    }
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            n--;
        }
        if (n == 0) {
            continue;
        }
        snprintf(where, sizeof(where), "%s line %zu", path, lineno);
        rc = fn(v, line, (size_t)n, where, err, errsz);
    }
    free(line);
    if (f != stdin) {
        fclose(f);
    }
    return rc;
}

/* The bool filter on rec (and host) as JSON text, malloc'ed */
static char *
query(const char *host, const char *rec, const char *sort, long long after,
      bool paged, int page)
{
    struct json_object *q = json_object_new_object(), *b, *f, *t, *s;
    char *text;

    b = json_object_new_object();
    f = json_object_new_array();
    t = json_object_new_object();
    json_object_object_add(t, "rec", json_object_new_string(rec));
    s = json_object_new_object();
    json_object_object_add(s, "term", t);
    json_object_array_add(f, s);
    if (host != NULL && *host) {
        t = json_object_new_object();
        json_object_object_add(t, "host", json_object_new_string(host));
        s = json_object_new_object();
        json_object_object_add(s, "term", t);
        json_object_array_add(f, s);
    }
    json_object_object_add(b, "filter", f);
    s = json_object_new_object();
    json_object_object_add(s, "bool", b);
    json_object_object_add(q, "query", s);
    json_object_object_add(q, "size", json_object_new_int(page));
    s = json_object_new_array();
    t = json_object_new_object();
    json_object_object_add(t, sort, json_object_new_string("asc"));
    json_object_array_add(s, t);
    json_object_object_add(q, "sort", s);
    if (paged) {
        s = json_object_new_array();
        json_object_array_add(s, json_object_new_int64(after));
        json_object_object_add(q, "search_after", s);
    }
    text = strdup(json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN));
    json_object_put(q);
    return text;
}

static int
es_client(struct verifier *v, const char *url, struct es **pe, char *err,
          size_t errsz)
{
    struct es_conf ec;

    memset(&ec, 0, sizeof(ec));
    ec.baseurl = url;
    ec.userpwd = getenv("TLOG_CURL_USERPWD");
    es_keys_tls(v->conf, &ec);
    return es_new(&ec, pe, err, errsz);
}

/* Each hit's _source of the search on url for the recording, in pages
 * sorted by the field sort, to fn */
static int
each_hit(struct verifier *v, const char *url, const char *sort,
         int (*fn)(struct verifier *, const char *, size_t, const char *,
                   char *, size_t), char *err, size_t errsz)
{
    struct es *e = NULL;
    struct es_hit *hits = NULL;
    const uint8_t *data;
    size_t len, n, i;
    long long after = 0;
    bool paged = false;
    size_t page = (size_t)conf_int(v->conf, "es.page");
    char *body;
    int rc;

    if ((rc = es_client(v, url, &e, err, errsz)) < 0) {
        return rc;
    }
    do {
        n = 0;
        body = query(v->host, v->rec, sort, after, paged, (int)page);
        if (body == NULL) {
            rc = -ENOMEM;
            break;
        }
        rc = es_search_raw(e, body, &data, &len, err, errsz);
        free(body);
        if (rc == 0) {
            rc = es_hits_parse(data, len, &hits, &n, err, errsz);
        }
        for (i = 0; rc == 0 && i < n; i++) {
            rc = fn(v, (const char *)data + hits[i].src_off,
                    hits[i].src_len, url, err, errsz);
        }
        /* The next page starts again at the last id of this one, unless
         * the whole page has that id: documents of one id split by the
         * page's end are all read (a document read twice is the same
         * message twice, which counts as one) */
        if (rc == 0 && n == page) {
            after = hits[0].sort == hits[n - 1].sort ? hits[n - 1].sort :
                    hits[n - 1].sort - 1;
        }
        free(hits);
        hits = NULL;
        paged = true;
    } while (rc == 0 && n == page);
    es_free(e);
    return rc;
}

static int
read_journal(struct verifier *v, char *err, size_t errsz)
{
    const char *ns = conf_str(v->conf, "journal.namespace");
    sd_journal *j = NULL;
    char match[SEAL_NAME_MAX + 16];
    const void *d;
    size_t len;
    int rc;

    rc = *ns ? sd_journal_open_namespace(&j, ns, 0) : sd_journal_open(&j, 0);
    if (rc < 0) {
        snprintf(err, errsz, "cannot open the journal: %s", strerror(-rc));
        return rc;
    }
    snprintf(match, sizeof(match), "TLOG_REC=%s", v->rec);
    rc = sd_journal_add_match(j, match, 0);
    while (rc >= 0 && (rc = sd_journal_next(j)) > 0) {
        if (sd_journal_get_data(j, "MESSAGE", &d, &len) < 0 || len < 8) {
            continue;
        }
        rc = add_msg(v, (const char *)d + 8, len - 8, "the journal", err,
                     errsz);
    }
    if (rc < 0 && !*err) {
        snprintf(err, errsz, "cannot read the journal: %s", strerror(-rc));
    }
    sd_journal_close(j);
    return rc < 0 ? rc : 0;
}

/* Take one checkpoint document, if it is the recording's */
static int
add_cp(struct verifier *v, const char *text, size_t len, const char *where,
       char *err, size_t errsz)
{
    char why[512];
    int rc = verify_add_cp_text(v->vf, text, len, v->host, v->rec, why,
                                sizeof(why));

    if (rc < 0) {
        snprintf(err, errsz, "%s: %s", where, why);
    }
    return rc;
}

static void
report(const struct verifier *v, const struct verify_verdict *vd, bool json)
{
    struct json_object *o;

    if (!json) {
        printf("%s: %s/%s: %s: %s\n", PROG, v->host ? v->host : "",
               v->rec ? v->rec : "", vd->name, vd->detail);
        return;
    }
    o = json_object_new_object();
    json_object_object_add(o, "verdict", json_object_new_string(vd->name));
    json_object_object_add(o, "status", json_object_new_int(vd->status));
    json_object_object_add(o, "host", json_object_new_string(
                               v->host ? v->host : ""));
    json_object_object_add(o, "rec", json_object_new_string(
                               v->rec ? v->rec : ""));
    json_object_object_add(o, "id", json_object_new_int64(
                               (int64_t)vd->id));
    json_object_object_add(o, "detail", json_object_new_string(vd->detail));
    json_object_object_add(o, "messages", json_object_new_int64(
                               (int64_t)verify_messages(v->vf)));
    json_object_object_add(o, "checkpoints", json_object_new_int64(
                               (int64_t)verify_checkpoints(v->vf)));
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static int
verify(struct verifier *v, struct verify_verdict *vd, char *err, size_t errsz)
{
    const char *reader = conf_str(v->conf, "reader");
    const char *seal_url = conf_str(v->conf, "seal.baseurl");
    const char *seal_file = conf_str(v->conf, "seal.file");
    int rc;

    if ((rc = seal_keyring_new(conf_str(v->conf, "key"), &v->ring, err,
                               errsz)) < 0) {
        return rc;
    }
    if ((rc = verify_new(v->ring, &v->vf)) < 0) {
        return rc;
    }
    if (!strcmp(reader, "file")) {
        rc = each_line(v, conf_str(v->conf, "file.path"), add_msg, err,
                       errsz);
    } else if (!strcmp(reader, "es")) {
        rc = each_hit(v, conf_str(v->conf, "es.baseurl"), "id", add_msg,
                      err, errsz);
    } else {
        rc = read_journal(v, err, errsz);
    }
    if (rc < 0) {
        return rc;
    }
    if (v->host == NULL) {
        /* no message at all: the checkpoints may still say there were */
        v->host = strdup(conf_str(v->conf, "host"));
        if (v->host == NULL || !*v->host) {
            snprintf(err, errsz, "no message of recording %s found; give"
                     " --host to check its checkpoints alone", v->rec);
            return -ENOENT;
        }
    }
    rc = *seal_file ? each_line(v, seal_file, add_cp, err, errsz) :
         each_hit(v, seal_url, "last", add_cp, err, errsz);
    if (rc < 0) {
        return rc;
    }
    return verify_run(v->vf, v->host, v->rec, vd, err, errsz);
}

static const struct conf_prog prog = {
    .name = PROG,
    .keys = keys,
    .nkeys = sizeof(keys) / sizeof(keys[0]),
    .shared = es_tls_keys,
    .nshared = ES_TLS_NKEYS,
    .files = true,
    .usage = "Usage: " PROG " [OPTION...]\n"
             "Check a recording against its signed checkpoints.\n",
    .extra = "Exit status: 0 sealed and complete, 3 cut short, 4 unsealed"
             " (tail), 5 a message\nmissing, altered, reordered or added, 6"
             " a checkpoint missing, altered, badly\nsigned or signed with"
             " an unknown key, 1 an error, 2 a usage error.",
};

int
main(int argc, char **argv)
{
    static struct verifier v;
    struct verify_verdict vd;
    char err[2048] = "";
    int status = 1, rc;
    const char *reader;

    memset(&vd, 0, sizeof(vd));
    if (seal_init(err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s\n", err[0] ? err : "cannot start");
        return 1;
    }
    rc = conf_open(&prog, argc, argv, &v.conf, NULL);
    if (rc != CONF_GO_ON) {
        return rc;
    }
    reader = conf_str(v.conf, "reader");
    v.rec = strdup(conf_str(v.conf, "rec"));
    if (*conf_str(v.conf, "host")) {
        v.host = strdup(conf_str(v.conf, "host"));
    }
    if (v.rec == NULL) {
        goto out;
    }
    v.rec_given = *v.rec != 0;
    if (!*v.rec && strcmp(reader, "file") != 0) {
        conf_usage_error(stderr, PROG, "no recording: give --rec REC");
        status = 2;
        goto out;
    }
    if (!strcmp(reader, "file") && !*conf_str(v.conf, "file.path")) {
        conf_usage_error(stderr, PROG, "no recording file: give -i FILE");
        status = 2;
        goto out;
    }
    if (!*conf_str(v.conf, "seal.file") && !*conf_str(v.conf,
                                                      "seal.baseurl")) {
        conf_usage_error(stderr, PROG, "no checkpoints: give --seal-baseurl"
                         " or --seal-file");
        status = 2;
        goto out;
    }
    *err = 0;
    rc = verify(&v, &vd, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", *err ? err : strerror(-rc));
        goto out;
    }
    report(&v, &vd, conf_bool(v.conf, "json"));
    status = vd.status;
out:
    verify_free(v.vf);
    free(v.host);
    free(v.rec);
    seal_keyring_free(v.ring);
    conf_free(v.conf);
    return status;
}
