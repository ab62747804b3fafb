/*
 * Program configuration.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"

struct val {
    bool b;
    long long i;
    char *s;
};

struct conf {
    struct conf_key *keys;      /* copies of the tables' entries */
    size_t n;
    struct val *v;
};

static int
key_index(const struct conf *c, const char *path)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        if (strcmp(c->keys[i].path, path) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Whether some key lies under prefix ("limit" for "limit.rate") */
static bool
is_section(const struct conf *c, const char *prefix)
{
    size_t len = strlen(prefix);
    size_t i;

    for (i = 0; i < c->n; i++) {
        if (strncmp(c->keys[i].path, prefix, len) == 0 &&
            c->keys[i].path[len] == '.') {
            return true;
        }
    }
    return false;
}

/* Describe what a key accepts, for error messages */
static void
allowed(const struct conf_key *k, char *out, size_t outsz)
{
    size_t i, used;

    switch (k->type) {
    case CONF_BOOL:
        snprintf(out, outsz, "true or false");
        break;
    case CONF_INT:
        snprintf(out, outsz, "an integer from %lld to %lld", k->min, k->max);
        break;
    case CONF_STR:
        snprintf(out, outsz, "a string");
        break;
    case CONF_LIST:
        snprintf(out, outsz, "an array of strings without newlines");
        break;
    case CONF_JSON:
        snprintf(out, outsz, "JSON text");
        break;
    case CONF_CHOICE:
        used = (size_t)snprintf(out, outsz, "one of");
        for (i = 0; k->choices[i] != NULL && used < outsz; i++) {
            used += (size_t)snprintf(out + used, outsz - used, "%s \"%s\"",
                                     i ? "," : "", k->choices[i]);
        }
        break;
    }
}

/*
 * Say which key of which source is wrong, what it must be and what was
 * given instead (given: "\"blue\"", "0", "a string").
 */
static int
bad_value(const struct conf_key *k, const char *origin, const char *given,
          char *err, size_t errsz)
{
    char what[256];

    allowed(k, what, sizeof(what));
    snprintf(err, errsz, "%s: key \"%s\" must be %s, not %s", origin, k->path,
             what, given);
    return -EINVAL;
}

/* A value given as text, for bad_value(): quoted, and cut if long */
static int
bad_text(const struct conf_key *k, const char *origin, const char *value,
         char *err, size_t errsz)
{
    char given[80];
    char *p;

    snprintf(given, sizeof(given), "\"%.64s%s\"", value,
             strlen(value) > 64 ? "..." : "");
    /* the message stays one line */
    for (p = given; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }
    return bad_value(k, origin, given, err, errsz);
}

/* What a JSON value is, for bad_value() */
static const char *
type_name(enum json_type t)
{
    switch (t) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
    case json_type_int:
        return "a number";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "something else";
}

/* Store a copy of s as k's value; -ENOMEM with err filled */
static int
set_str(struct val *v, const char *s, const struct conf_key *k, char *err,
        size_t errsz)
{
    char *copy = strdup(s);

    if (copy == NULL) {
        snprintf(err, errsz, "out of memory keeping the value of %s",
                 k->path);
        return -ENOMEM;
    }
    free(v->s);
    v->s = copy;
    return 0;
}

int
conf_set(struct conf *c, const char *path, const char *value,
         const char *origin, char *err, size_t errsz)
{
    int idx = key_index(c, path);
    const struct conf_key *k;
    struct val *v;
    char *end;
    size_t i;

    if (idx < 0) {
        snprintf(err, errsz, "%s: unknown key \"%s\" (see --help and the"
                 " configuration manual page for the known keys)", origin,
                 path);
        return -EINVAL;
    }
    k = &c->keys[idx];
    v = &c->v[idx];
    switch (k->type) {
    case CONF_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "yes") ||
            !strcmp(value, "on") || !strcmp(value, "1")) {
            v->b = true;
        } else if (!strcmp(value, "false") || !strcmp(value, "no") ||
                   !strcmp(value, "off") || !strcmp(value, "0")) {
            v->b = false;
        } else {
            return bad_text(k, origin, value, err, errsz);
        }
        return 0;
    case CONF_INT: {
        long long n;

        errno = 0;
        n = strtoll(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0') {
            return bad_text(k, origin, value, err, errsz);
        }
        if (n < k->min || n > k->max) {
            /* a number, shown as one; the value in effect stays */
            return bad_value(k, origin, value, err, errsz);
        }
        v->i = n;
        return 0;
    }
    case CONF_CHOICE:
        for (i = 0; k->choices[i] != NULL; i++) {
            if (strcmp(k->choices[i], value) == 0) {
                return set_str(v, value, k, err, errsz);
            }
        }
        return bad_text(k, origin, value, err, errsz);
    case CONF_STR:
        return set_str(v, value, k, err, errsz);
    case CONF_JSON: {
        struct json_object *o;
        enum json_tokener_error e;

        o = json_tokener_parse_verbose(value, &e);
        if (o == NULL && strcmp(value, "null") != 0) {
            return bad_text(k, origin, value, err, errsz);
        }
        json_object_put(o);
        return set_str(v, value, k, err, errsz);
    }
    case CONF_LIST:
        if (strchr(value, '\n') != NULL) {
            return bad_value(k, origin, "a string with a newline", err,
                             errsz);
        }
        if (v->s != NULL && *v->s) {
            char *joined = malloc(strlen(v->s) + strlen(value) + 2);

            if (joined == NULL) {
                snprintf(err, errsz, "%s: out of memory adding to %s",
                         origin, k->path);
                return -ENOMEM;
            }
            sprintf(joined, "%s\n%s", v->s, value);
            free(v->s);
            v->s = joined;
            return 0;
        }
        return set_str(v, value, k, err, errsz);
    }
    return -EINVAL;
}

int
conf_new(const struct conf_key *keys, size_t n, struct conf **pc)
{
    struct conf *c = calloc(1, sizeof(*c));
    int rc;

    if (c == NULL) {
        return -ENOMEM;
    }
    rc = conf_add(c, keys, n, false);
    if (rc < 0) {
        conf_free(c);
        return rc;
    }
    *pc = c;
    return 0;
}

int
conf_add(struct conf *c, const struct conf_key *keys, size_t n,
         bool file_only)
{
    struct conf_key *nk;
    struct val *nv;
    char err[256];
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        if (key_index(c, keys[i].path) >= 0) {
            return -EEXIST;
        }
    }
    nk = realloc(c->keys, (c->n + n + 1) * sizeof(*nk));
    if (nk == NULL) {
        return -ENOMEM;
    }
    c->keys = nk;
    nv = realloc(c->v, (c->n + n + 1) * sizeof(*nv));
    if (nv == NULL) {
        return -ENOMEM;
    }
    c->v = nv;
    for (i = 0; i < n; i++) {
        nk[c->n] = keys[i];
        if (file_only) {
            nk[c->n].opt = NULL;
            nk[c->n].short_opt = 0;
        }
        memset(&nv[c->n], 0, sizeof(nv[c->n]));
        c->n++;
        rc = conf_set(c, keys[i].path, keys[i].def, "default", err,
                      sizeof(err));
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

int
conf_set_default(struct conf *c, const char *path, const char *def)
{
    char err[256];
    int idx = key_index(c, path), rc;

    if (idx < 0) {
        return -ENOENT;
    }
    rc = conf_set(c, path, def, "default", err, sizeof(err));
    if (rc < 0) {
        return rc;
    }
    c->keys[idx].def = def;
    return 0;
}

void
conf_free(struct conf *c)
{
    size_t i;

    if (c == NULL) {
        return;
    }
    for (i = 0; c->v != NULL && i < c->n; i++) {
        free(c->v[i].s);
    }
    free(c->v);
    free(c->keys);
    free(c);
}

/* Set a key from a JSON value */
static int
set_json(struct conf *c, int idx, struct json_object *o, const char *origin,
         char *err, size_t errsz)
{
    const struct conf_key *k = &c->keys[idx];
    enum json_type t = json_object_get_type(o);

    switch (k->type) {
    case CONF_BOOL:
        if (t != json_type_boolean) {
            return bad_value(k, origin, type_name(t), err, errsz);
        }
        c->v[idx].b = json_object_get_boolean(o);
        return 0;
    case CONF_INT:
        if (t != json_type_int) {
            return bad_value(k, origin, type_name(t), err, errsz);
        }
        /* through text, so out-of-range values are caught the same way */
        return conf_set(c, k->path, json_object_get_string(o), origin,
                        err, errsz);
    case CONF_STR:
    case CONF_CHOICE:
        if (t != json_type_string) {
            return bad_value(k, origin, type_name(t), err, errsz);
        }
        return conf_set(c, k->path, json_object_get_string(o), origin,
                        err, errsz);
    case CONF_JSON:
        return set_str(&c->v[idx], json_object_to_json_string_ext(o,
                       JSON_C_TO_STRING_PLAIN |
                       JSON_C_TO_STRING_NOSLASHESCAPE), k, err, errsz);
    case CONF_LIST: {
        size_t i, n;
        char *old;
        int rc = 0;

        if (t != json_type_array) {
            return bad_value(k, origin, type_name(t), err, errsz);
        }
        n = json_object_array_length(o);
        for (i = 0; i < n; i++) {
            struct json_object *e = json_object_array_get_idx(o, i);

            if (json_object_get_type(e) != json_type_string) {
                char given[64];

                snprintf(given, sizeof(given), "an array holding %s",
                         type_name(json_object_get_type(e)));
                return bad_value(k, origin, given, err, errsz);
            }
        }
        /* a file's list replaces the one before it, once all of it is
         * taken; refused, the one before stays */
        old = c->v[idx].s;
        c->v[idx].s = NULL;
        for (i = 0; i < n && rc == 0; i++) {
            rc = conf_set(c, k->path,
                          json_object_get_string(json_object_array_get_idx(
                              o, i)), origin, err, errsz);
        }
        if (rc == 0 && c->v[idx].s == NULL) {
            rc = set_str(&c->v[idx], "", k, err, errsz);
        }
        if (rc < 0) {
            free(c->v[idx].s);
            c->v[idx].s = old;
            return rc;
        }
        free(old);
        return 0;
    }
    }
    return -EINVAL;
}

static int
walk(struct conf *c, struct json_object *obj, const char *prefix,
     const char *origin, char *err, size_t errsz)
{
    char path[256];
    int rc;

    json_object_object_foreach(obj, key, val) {
        int idx;

        snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
                 key);
        idx = key_index(c, path);
        if (idx >= 0) {
            rc = set_json(c, idx, val, origin, err, errsz);
        } else if (is_section(c, path)) {
            if (json_object_get_type(val) != json_type_object) {
                snprintf(err, errsz, "%s: key \"%s\" must be an object"
                         " (\"%s\": {...}), not %s", origin, path, key,
                         type_name(json_object_get_type(val)));
                return -EINVAL;
            }
            rc = walk(c, val, path, origin, err, errsz);
        } else {
            snprintf(err, errsz, "%s: unknown key \"%s\" (see --help and"
                     " the configuration manual page for the known keys)",
                     origin, path);
            return -EINVAL;
        }
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

int
conf_load_text(struct conf *c, const char *text, const char *origin,
               char *err, size_t errsz)
{
    struct json_tokener *tok;
    struct json_object *obj;
    size_t len = strlen(text);
    int rc;

    if (len > CONF_TEXT_MAX) {
        snprintf(err, errsz, "%s: longer than %d bytes", origin,
                 CONF_TEXT_MAX);
        return -EMSGSIZE;
    }
    tok = json_tokener_new();
    if (tok == NULL) {
        snprintf(err, errsz, "%s: out of memory", origin);
        return -ENOMEM;
    }
    obj = json_tokener_parse_ex(tok, text, (int)len);
    if (obj == NULL || json_tokener_get_parse_end(tok) < len) {
        size_t end = json_tokener_get_parse_end(tok);
        enum json_tokener_error e = json_tokener_get_error(tok);
        unsigned long line = 1;
        size_t i;

        for (i = 0; i < end && i < len; i++) {
            line += text[i] == '\n';
        }
        snprintf(err, errsz, "%s line %lu: %s", origin, line,
                 e == json_tokener_continue ? "text ends too early (a '}',"
                 " ']' or '\"' missing?)" :
                 e == json_tokener_success ? "text after the end (one JSON"
                 " object only: a '}' too many?)" :
                 json_tokener_error_desc(e));
        if (e != json_tokener_continue && e != json_tokener_success) {
            size_t used = strlen(err);

            snprintf(err + used, errsz - used, " (check the JSON syntax"
                     " there and just before)");
        }
        json_object_put(obj);
        json_tokener_free(tok);
        return -EINVAL;
    }
    json_tokener_free(tok);
    if (json_object_get_type(obj) != json_type_object) {
        snprintf(err, errsz, "%s: the configuration must be a JSON object"
                 " ({\"key\": value, ...}), not %s", origin,
                 type_name(json_object_get_type(obj)));
        json_object_put(obj);
        return -EINVAL;
    }
    rc = walk(c, obj, "", origin, err, errsz);
    json_object_put(obj);
    return rc;
}

/* What to check when a configuration file cannot be read */
static const char *
read_advice(int e, const char *named_by, char *buf, size_t bufsz)
{
    if (e == ENOENT && named_by != NULL) {
        snprintf(buf, bufsz, " (named by %s: fix the path or unset it)",
                 named_by);
        return buf;
    }
    switch (e) {
    case ENOENT:
        return " (check the path)";
    case EACCES:
    case EPERM:
        return " (this user may not read it: check its owner and mode)";
    case EISDIR:
        return " (it is a directory: name a file)";
    }
    return "";
}

/* conf_load_file(), naming the variable that named the file if any */
static int
load_file(struct conf *c, const char *path, bool optional,
          const char *named_by, char *err, size_t errsz)
{
    struct buf b;
    char advice[128];
    int fd;
    ssize_t n;
    int rc;

    buf_init(&b, CONF_TEXT_MAX + 1);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        if (optional && rc == -ENOENT) {
            return 0;
        }
        snprintf(err, errsz, "cannot read configuration %s: %s%s", path,
                 strerror(-rc), read_advice(-rc, named_by, advice,
                                            sizeof(advice)));
        return rc;
    }
    for (;;) {
        rc = buf_reserve(&b, 65536 < b.max - b.len ? 65536 : b.max - b.len);
        if (rc < 0 || b.cap == b.len) {
            snprintf(err, errsz, "%s: longer than %d bytes (is it a"
                     " configuration file?)", path, CONF_TEXT_MAX);
            rc = -EMSGSIZE;
            goto out;
        }
        n = read(fd, b.data + b.len, b.cap - b.len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = -errno;
            snprintf(err, errsz, "cannot read configuration %s: %s%s", path,
                     strerror(-rc), read_advice(-rc, named_by, advice,
                                                sizeof(advice)));
            goto out;
        }
        if (n == 0) {
            break;
        }
        b.len += (size_t)n;
    }
    b.data[b.len] = 0;
    if (strlen((char *)b.data) != b.len) {
        snprintf(err, errsz, "%s: holds a NUL byte (a configuration is JSON"
                 " text: is it the right file?)", path);
        rc = -EINVAL;
        goto out;
    }
    rc = conf_load_text(c, (char *)b.data, path, err, errsz);
out:
    close(fd);
    buf_fini(&b);
    return rc;
}

int
conf_load_file(struct conf *c, const char *path, bool optional,
               char *err, size_t errsz)
{
    return load_file(c, path, optional, NULL, err, errsz);
}

int
conf_load_layers(struct conf *c, const char *sysfile, const char *env_file,
                 const char *env_text, char *err, size_t errsz)
{
    const char *v;
    int rc;

    rc = conf_load_file(c, sysfile, true, err, errsz);
    if (rc == 0 && (v = getenv(env_file)) != NULL && *v) {
        rc = load_file(c, v, false, env_file, err, errsz);
    }
    if (rc == 0 && (v = getenv(env_text)) != NULL && *v) {
        rc = conf_load_text(c, v, env_text, err, errsz);
    }
    return rc;
}

int
conf_parse_args(struct conf *c, int argc, char **argv, int *first_arg,
                int *action, char *err, size_t errsz)
{
    struct option *opts;
    char shorts[128] = "+:hv";
    size_t i, no = 0, sl = strlen(shorts);
    int opt, idx, rc = 0;

    opts = calloc(c->n + 4, sizeof(*opts));
    if (opts == NULL) {
        snprintf(err, errsz, "out of memory reading the command line");
        return -ENOMEM;
    }
    for (i = 0; i < c->n; i++) {
        const struct conf_key *k = &c->keys[i];

        if (k->opt == NULL) {
            continue;
        }
        opts[no].name = k->opt;
        opts[no].has_arg = k->type == CONF_BOOL ? optional_argument :
                                                  required_argument;
        opts[no].val = 1000 + (int)i;
        no++;
        if (k->short_opt && sl + 3 < sizeof(shorts)) {
            shorts[sl++] = k->short_opt;
            shorts[sl++] = ':';
            if (k->type == CONF_BOOL) {
                shorts[sl++] = ':';
            }
        }
    }
    shorts[sl] = 0;
    opts[no++] = (struct option){ "help", no_argument, NULL, 'h' };
    opts[no++] = (struct option){ "version", no_argument, NULL, 'v' };
    opts[no++] = (struct option){ "configuration", no_argument, NULL, 'C' };

    *action = 0;
    optind = 1;
    opterr = 0;
    while (rc == 0 &&
           (opt = getopt_long(argc, argv, shorts, opts, &idx)) != -1) {
        const char *shown = argv[optind - 1];

        switch (opt) {
        case 'h':
            *action = 'h';
            break;
        case 'v':
            *action = 'v';
            break;
        case 'C':
            *action = 'c';
            break;
        case '?':
            if (optopt) {
                snprintf(err, errsz, "unknown option -%c", optopt);
            } else {
                snprintf(err, errsz, "unknown option %s", shown);
            }
            rc = -EINVAL;
            break;
        case ':':
            snprintf(err, errsz, "option %s needs a value", shown);
            rc = -EINVAL;
            break;
        default:
            if (opt < 1000) {
                /* a short option: find its key */
                for (i = 0; i < c->n && c->keys[i].short_opt != opt; i++) {
                }
            } else {
                i = (size_t)(opt - 1000);
            }
            {
                char origin[128];

                snprintf(origin, sizeof(origin), "option --%s",
                         c->keys[i].opt);
                rc = conf_set(c, c->keys[i].path, optarg ? optarg : "true",
                              origin, err, errsz);
            }
            break;
        }
    }
    *first_arg = optind;
    free(opts);
    return rc;
}

bool
conf_action(const struct conf *c, int action, const char *prog,
            const char *usage, const char *extra, FILE *out)
{
    switch (action) {
    case 'h':
        fprintf(out, "%s\n", usage);
        conf_print_help(c, out);
        if (extra != NULL) {
            fprintf(out, "\n%s\n", extra);
        }
        return true;
    case 'v':
        fprintf(out, "%s (%s) %s\n", prog, PACKAGE_NAME, PACKAGE_VERSION);
        return true;
    case 'c':
        conf_print(c, out);
        return true;
    default:
        return false;
    }
}

int
conf_start(struct conf *c, const struct conf_prog *p, int argc, char **argv,
           int *first)
{
    char err[2048], sysfile[256], env_file[64], env_text[64], x[32];
    int at = argc, action = 0;
    size_t i;

    if (p->files) {
        snprintf(x, sizeof(x), "%s", strncmp(p->name, "tlog-", 5) ?
                 p->name : p->name + 5);
        for (i = 0; x[i]; i++) {
            x[i] = x[i] == '-' ? '_' : (char)toupper((unsigned char)x[i]);
        }
        snprintf(sysfile, sizeof(sysfile), SYSCONFDIR "/tlog/%s.conf",
                 p->name);
        snprintf(env_file, sizeof(env_file), "TLOG_%s_CONF_FILE", x);
        snprintf(env_text, sizeof(env_text), "TLOG_%s_CONF_TEXT", x);
        if (conf_load_layers(c, sysfile, env_file, env_text, err,
                             sizeof(err)) < 0) {
            fprintf(stderr, "%s: %s\n", p->name, err);
            return 1;
        }
    }
    if (conf_parse_args(c, argc, argv, &at, &action, err,
                        sizeof(err)) < 0) {
        conf_usage_error(stderr, p->name, err);
        return 2;
    }
    if (conf_action(c, action, p->name, p->usage, p->extra, stdout)) {
        return 0;
    }
    if (first == NULL && at < argc) {
        snprintf(err, sizeof(err), "unexpected argument %s", argv[at]);
        conf_usage_error(stderr, p->name, err);
        return 2;
    }
    if (first != NULL) {
        *first = at;
    }
    return CONF_GO_ON;
}

int
conf_open(const struct conf_prog *p, int argc, char **argv,
          struct conf **pc, int *first)
{
    struct conf *c = NULL;
    int rc;

    if (conf_new(p->keys, p->nkeys, &c) < 0 ||
        (p->shared != NULL &&
         conf_add(c, p->shared, p->nshared, false) < 0)) {
        fprintf(stderr, "%s: out of memory\n", p->name);
        conf_free(c);
        return 1;
    }
    rc = conf_start(c, p, argc, argv, first);
    if (rc != CONF_GO_ON) {
        conf_free(c);
        return rc;
    }
    *pc = c;
    return CONF_GO_ON;
}

void
conf_usage_error(FILE *f, const char *prog, const char *what)
{
    fprintf(f, "%s: %s\nTry '%s --help' for more information.\n", prog,
            what, prog);
}

void
conf_print_help(const struct conf *c, FILE *f)
{
    size_t i;

    fprintf(f, "    -h, --help                     Print this help and exit\n"
               "    -v, --version                  Print the version and exit\n"
               "    --configuration                Print the configuration"
               " as JSON and exit\n");
    for (i = 0; i < c->n; i++) {
        const struct conf_key *k = &c->keys[i];
        char left[64];

        if (k->opt == NULL) {
            continue;
        }
        if (k->short_opt) {
            snprintf(left, sizeof(left), "-%c, --%s%s%s%s", k->short_opt,
                     k->opt, k->type == CONF_BOOL ? "[=" : "=", k->arg,
                     k->type == CONF_BOOL ? "]" : "");
        } else {
            snprintf(left, sizeof(left), "--%s%s%s%s", k->opt,
                     k->type == CONF_BOOL ? "[=" : "=", k->arg,
                     k->type == CONF_BOOL ? "]" : "");
        }
        fprintf(f, "    %-30s %s (default: %s)\n", left, k->help,
                *k->def ? k->def : "none");
    }
}

void
conf_print(const struct conf *c, FILE *f)
{
    struct json_object *root = json_object_new_object();
    size_t i;

    for (i = 0; i < c->n; i++) {
        const struct conf_key *k = &c->keys[i];
        struct json_object *parent = root, *o;
        char path[256], *p, *dot;

        snprintf(path, sizeof(path), "%s", k->path);
        /* make the sections on the way */
        for (p = path; (dot = strchr(p, '.')) != NULL; p = dot + 1) {
            *dot = 0;
            if (!json_object_object_get_ex(parent, p, &o)) {
                o = json_object_new_object();
                json_object_object_add(parent, p, o);
            }
            parent = o;
        }
        switch (k->type) {
        case CONF_BOOL:
            o = json_object_new_boolean(c->v[i].b);
            break;
        case CONF_INT:
            o = json_object_new_int64(c->v[i].i);
            break;
        case CONF_LIST: {
            const char *a = c->v[i].s, *nl;

            o = json_object_new_array();
            while (a != NULL && *a) {
                nl = strchr(a, '\n');
                json_object_array_add(o, json_object_new_string_len(a,
                                      nl ? (int)(nl - a) : (int)strlen(a)));
                a = nl ? nl + 1 : NULL;
            }
            break;
        }
        case CONF_JSON:
            o = json_tokener_parse(c->v[i].s);
            break;
        default:
            o = json_object_new_string(c->v[i].s);
            break;
        }
        json_object_object_add(parent, p, o);
    }
    fprintf(f, "%s\n", json_object_to_json_string_ext(root,
            JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
            JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
}

static int
must_index(const struct conf *c, const char *path)
{
    int idx = key_index(c, path);

    if (idx < 0) {
        /* a programming error: the table lacks a key the code uses */
        abort();
    }
    return idx;
}

bool
conf_bool(const struct conf *c, const char *path)
{
    return c->v[must_index(c, path)].b;
}

long long
conf_int(const struct conf *c, const char *path)
{
    return c->v[must_index(c, path)].i;
}

const char *
conf_str(const struct conf *c, const char *path)
{
    return c->v[must_index(c, path)].s;
}
