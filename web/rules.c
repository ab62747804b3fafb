/*
 * Access rules as Elasticsearch filters.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules.h"

struct rule {
    struct json_object *groups;     /* arrays of strings, or NULL */
    struct json_object *auditors;
    struct json_object *users;
    struct json_object *hosts;
    long long days;
    unsigned rights;
};

struct rules {
    size_t n;
    struct rule v[RULES_MAX];
    struct json_object *root;       /* owns the arrays */
};

static const char *const right_names[] = {
    "search", "play", "live", "export", "input", NULL
};

const char *
rules_right_name(enum rules_right right)
{
    size_t i;

    for (i = 0; right_names[i] != NULL; i++) {
        if (right == 1u << i) {
            return right_names[i];
        }
    }
    return NULL;
}

/* Check that o is an array of at most RULES_LIST_MAX short strings */
static int
strings(struct json_object *o, size_t rule, const char *key, char *err,
        size_t errsz)
{
    size_t i, n;

    if (json_object_get_type(o) != json_type_array ||
        (n = json_object_array_length(o)) > RULES_LIST_MAX) {
        snprintf(err, errsz, "rule %zu: \"%s\" must be an array of at most"
                 " %d strings", rule, key, RULES_LIST_MAX);
        return -EINVAL;
    }
    for (i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(o, i);

        if (json_object_get_type(e) != json_type_string ||
            json_object_get_string_len(e) == 0 ||
            json_object_get_string_len(e) >= RULES_NAME_MAX) {
            snprintf(err, errsz, "rule %zu: \"%s\" element %zu must be a"
                     " string of 1 to %d bytes", rule, key, i + 1,
                     RULES_NAME_MAX - 1);
            return -EINVAL;
        }
    }
    return 0;
}

static int
parse_rule(struct json_object *o, size_t no, struct rule *r, char *err,
           size_t errsz)
{
    int rc = 0;

    if (json_object_get_type(o) != json_type_object) {
        snprintf(err, errsz, "rule %zu must be an object ({\"groups\": [...],"
                 " \"users\": [...], \"rights\": [...]})", no);
        return -EINVAL;
    }
    json_object_object_foreach(o, key, val) {
        if (!strcmp(key, "groups") || !strcmp(key, "auditors") ||
            !strcmp(key, "users") || !strcmp(key, "hosts")) {
            rc = strings(val, no, key, err, errsz);
            if (rc < 0) {
                return rc;
            }
            *(!strcmp(key, "groups") ? &r->groups :
              !strcmp(key, "auditors") ? &r->auditors :
              !strcmp(key, "users") ? &r->users : &r->hosts) = val;
        } else if (!strcmp(key, "days")) {
            if (json_object_get_type(val) != json_type_int ||
                json_object_get_int64(val) < 0 ||
                json_object_get_int64(val) > 100000) {
                snprintf(err, errsz, "rule %zu: \"days\" must be an integer"
                         " from 0 (no limit) to 100000", no);
                return -EINVAL;
            }
            r->days = json_object_get_int64(val);
        } else if (!strcmp(key, "rights")) {
            size_t i, k;

            rc = strings(val, no, key, err, errsz);
            if (rc < 0) {
                return rc;
            }
            for (i = 0; i < json_object_array_length(val); i++) {
                const char *s = json_object_get_string(
                    json_object_array_get_idx(val, i));

                for (k = 0; right_names[k] && strcmp(right_names[k], s); k++) {
                }
                if (right_names[k] == NULL) {
                    snprintf(err, errsz, "rule %zu: unknown right \"%.64s\""
                             " (known: search, play, live, export, input)",
                             no, s);
                    return -EINVAL;
                }
                r->rights |= 1u << k;
            }
        } else {
            snprintf(err, errsz, "rule %zu: unknown key \"%.64s\" (known:"
                     " groups, auditors, users, hosts, days, rights)", no,
                     key);
            return -EINVAL;
        }
    }
    if (r->groups == NULL && r->auditors == NULL) {
        snprintf(err, errsz, "rule %zu names no auditor: give \"groups\" or"
                 " \"auditors\"", no);
        return -EINVAL;
    }
    return 0;
}

int
rules_parse(const char *text, struct rules **pr, char *err, size_t errsz)
{
    struct rules *r;
    enum json_tokener_error e;
    size_t i;
    int rc;

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        snprintf(err, errsz, "out of memory reading the access rules");
        return -ENOMEM;
    }
    r->root = json_tokener_parse_verbose(text, &e);
    if (r->root == NULL && strcmp(text, "null") != 0) {
        snprintf(err, errsz, "rules: %s", json_tokener_error_desc(e));
        rc = -EINVAL;
        goto fail;
    }
    if (r->root != NULL &&
        json_object_get_type(r->root) != json_type_array) {
        snprintf(err, errsz, "rules must be an array of rules ([{...},"
                 " ...])");
        rc = -EINVAL;
        goto fail;
    }
    r->n = r->root ? json_object_array_length(r->root) : 0;
    if (r->n > RULES_MAX) {
        snprintf(err, errsz, "%zu rules: at most %d are taken", r->n,
                 RULES_MAX);
        rc = -EINVAL;
        goto fail;
    }
    for (i = 0; i < r->n; i++) {
        rc = parse_rule(json_object_array_get_idx(r->root, i), i + 1,
                        &r->v[i], err, errsz);
        if (rc < 0) {
            goto fail;
        }
    }
    *pr = r;
    return 0;
fail:
    rules_free(r);
    return rc;
}

void
rules_free(struct rules *r)
{
    if (r == NULL) {
        return;
    }
    json_object_put(r->root);
    free(r);
}

static bool
in_list(struct json_object *a, const char *s, size_t len)
{
    size_t i;

    for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
        struct json_object *e = json_object_array_get_idx(a, i);

        if ((size_t)json_object_get_string_len(e) == len &&
            memcmp(json_object_get_string(e), s, len) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether rule r names auditor user or one of groups */
static bool
applies(const struct rule *r, const char *user, const char *groups)
{
    const char *p = groups, *nl;

    if (in_list(r->auditors, user, strlen(user))) {
        return true;
    }
    while (p != NULL && *p) {
        nl = strchr(p, '\n');
        if (in_list(r->groups, p, nl ? (size_t)(nl - p) : strlen(p))) {
            return true;
        }
        p = nl ? nl + 1 : NULL;
    }
    return false;
}

unsigned
rules_rights(const struct rules *r, const char *user, const char *groups)
{
    unsigned rights = 0;
    size_t i;

    for (i = 0; i < r->n; i++) {
        if (applies(&r->v[i], user, groups)) {
            rights |= r->v[i].rights;
        }
    }
    return rights;
}

/* {"bool": {"should": [wildcard field pattern, ...], minimum 1}} */
static struct json_object *
any_of(const char *field, struct json_object *patterns)
{
    struct json_object *should = json_object_new_array(), *b, *o;
    size_t i;

    for (i = 0; i < json_object_array_length(patterns); i++) {
        struct json_object *w = json_object_new_object();
        struct json_object *v = json_object_new_object();

        /* a copy: the rules are shared by threads, and json-c's
         * reference counts are not atomic */
        json_object_object_add(v, "value", json_object_new_string(
            json_object_get_string(json_object_array_get_idx(patterns,
                                                              i))));
        json_object_object_add(w, field, v);
        o = json_object_new_object();
        json_object_object_add(o, "wildcard", w);
        json_object_array_add(should, o);
    }
    b = json_object_new_object();
    json_object_object_add(b, "should", should);
    json_object_object_add(b, "minimum_should_match",
                           json_object_new_int(1));
    o = json_object_new_object();
    json_object_object_add(o, "bool", b);
    return o;
}

struct json_object *
rules_filter(const struct rules *r, const char *user, const char *groups,
             unsigned need)
{
    struct json_object *should = json_object_new_array(), *o, *b;
    size_t i;

    for (i = 0; i < r->n; i++) {
        const struct rule *x = &r->v[i];
        struct json_object *filter;

        if (!applies(x, user, groups) || (x->rights & need) != need) {
            continue;
        }
        filter = json_object_new_array();
        if (x->users != NULL) {
            json_object_array_add(filter, any_of("user", x->users));
        }
        if (x->hosts != NULL) {
            json_object_array_add(filter, any_of("host", x->hosts));
        }
        if (x->days > 0) {
            char since[32];
            struct json_object *range = json_object_new_object();
            struct json_object *t = json_object_new_object();

            snprintf(since, sizeof(since), "now-%lldd", x->days);
            json_object_object_add(t, "gte", json_object_new_string(since));
            json_object_object_add(range, "time", t);
            o = json_object_new_object();
            json_object_object_add(o, "range", range);
            json_object_array_add(filter, o);
        }
        if (json_object_array_length(filter) == 0) {
            o = json_object_new_object();
            json_object_object_add(o, "match_all", json_object_new_object());
            json_object_array_add(filter, o);
        }
        b = json_object_new_object();
        json_object_object_add(b, "filter", filter);
        o = json_object_new_object();
        json_object_object_add(o, "bool", b);
        json_object_array_add(should, o);
    }
    o = json_object_new_object();
    if (json_object_array_length(should) == 0) {
        json_object_put(should);
        json_object_object_add(o, "match_none", json_object_new_object());
        return o;
    }
    b = json_object_new_object();
    json_object_object_add(b, "should", should);
    json_object_object_add(b, "minimum_should_match", json_object_new_int(1));
    json_object_object_add(o, "bool", b);
    return o;
}

/* Past the UTF-8 character at s */
static const char *
next_char(const char *s)
{
    for (s++; (*s & 0xc0) == 0x80; s++) {
    }
    return s;
}

/*
 * Whether s matches the Elasticsearch wildcard pattern p: "*" any run of
 * characters, "?" any one (a character, not a byte: Lucene matches code
 * points), "\\" takes the next character as it is.  The last "*" met is
 * tried again one character further on a mismatch, which is enough for
 * patterns with no other operators.
 */
static bool
wildcard(const char *p, const char *s)
{
    const char *star = NULL, *from = NULL;

    while (*s != 0) {
        if (*p == '?') {
            p++;
            s = next_char(s);
            continue;
        }
        if (*p == '*') {
            star = ++p;
            from = s;
            continue;
        }
        if (*p == '\\' && p[1] != 0 && p[1] == *s) {
            p += 2;
            s++;
            continue;
        }
        if (*p != 0 && *p != '\\' && *p == *s) {
            p++;
            s++;
            continue;
        }
        if (star == NULL) {
            return false;
        }
        p = star;
        s = from = next_char(from);
    }
    while (*p == '*') {
        p++;
    }
    return *p == 0;
}

/* Whether value matches a pattern of the array patterns (NULL: all) */
static bool
matches_any(struct json_object *patterns, const char *value)
{
    size_t i;

    if (patterns == NULL) {
        return true;
    }
    for (i = 0; i < json_object_array_length(patterns); i++) {
        if (wildcard(json_object_get_string(
                         json_object_array_get_idx(patterns, i)), value)) {
            return true;
        }
    }
    return false;
}

long long
rules_since_ms(const struct rules *r, const char *user, const char *groups,
               unsigned need, const char *rec_user, const char *rec_host,
               time_t now)
{
    long long since = -1;
    size_t i;

    for (i = 0; i < r->n; i++) {
        const struct rule *x = &r->v[i];
        long long t;

        if (!applies(x, user, groups) || (x->rights & need) != need ||
            !matches_any(x->users, rec_user) ||
            !matches_any(x->hosts, rec_host)) {
            continue;
        }
        /* "now-Nd" in Elasticsearch's date math: N times 24 hours */
        t = x->days > 0 ? ((long long)now - x->days * 86400) * 1000 : 0;
        if (since < 0 || t < since) {
            since = t;
        }
    }
    return since;
}

bool
rules_admit(const struct rules *r, const char *user, const char *groups,
            unsigned need, const char *rec_user, const char *rec_host,
            double time_s, time_t now)
{
    long long since = rules_since_ms(r, user, groups, need, rec_user,
                                     rec_host, now);

    return since == 0 || (since > 0 && time_s * 1000 >= (double)since);
}
