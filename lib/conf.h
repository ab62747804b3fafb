/*
 * Program configuration: one table of keys per program drives defaults,
 * JSON files (with C and C++ comments), environment text, the command
 * line, --help and --configuration.
 *
 * Keys are JSON paths with dots ("limit.rate").  Sources are applied in
 * the order the program loads them; each overrides the ones before.  A
 * bad source names itself, the key and what is allowed.
 */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Largest configuration file or text read */
#define CONF_TEXT_MAX (1024 * 1024)

enum conf_type {
    CONF_BOOL,
    CONF_INT,       /* an integer within [min, max] */
    CONF_STR,
    CONF_CHOICE,    /* one of choices */
    CONF_LIST,      /* strings: each option adds one; JSON takes an array */
    CONF_JSON,      /* any JSON value, kept as its text (rule lists) */
};

struct conf_key {
    const char *path;           /* "limit.rate" */
    enum conf_type type;
    const char *def;            /* default, as text ("10", "true", "file") */
    long long min;
    long long max;
    const char *const *choices; /* NULL-terminated, for CONF_CHOICE */
    const char *opt;            /* long option, or NULL if none */
    char short_opt;             /* 0 if none */
    const char *arg;            /* argument name in --help ("SECONDS") */
    const char *help;
};

struct conf;

/*
 * Make a configuration from keys[0..n) holding the defaults.  The
 * entries are copied; the strings they point to must outlive it.  Stores
 * it in *pc (free with conf_free()); 0 or -ENOMEM.
 */
int conf_new(const struct conf_key *keys, size_t n, struct conf **pc);

/*
 * Add keys[0..n), a table shared by several programs, with their
 * defaults; file_only leaves out their command-line options (the keys
 * are then set by the configuration's files only).  0, -EEXIST when a
 * key is there already, or -ENOMEM.
 */
int conf_add(struct conf *c, const struct conf_key *keys, size_t n,
             bool file_only);

/* Give the key path another default, def (outliving the configuration),
 * for a program whose shared table's default is not its own: 0,
 * -ENOENT for no such key, or -EINVAL when def is not a valid value */
int conf_set_default(struct conf *c, const char *path, const char *def);

/* conf_free(NULL) does nothing */
void conf_free(struct conf *c);

/*
 * Apply a JSON file.  A missing file is not an error when optional is
 * true.  Returns 0 or a negative errno value with err naming the file,
 * the line or key, and the problem.
 */
int conf_load_file(struct conf *c, const char *path, bool optional,
                   char *err, size_t errsz);

/* Apply JSON text; origin names it in errors ("TLOG_REC_CONF_TEXT") */
int conf_load_text(struct conf *c, const char *text, const char *origin,
                   char *err, size_t errsz);

/*
 * Apply the usual layers: sysfile (optional), the file named by the
 * environment variable env_file (required if set), the text in env_text.
 * Returns 0 or a negative errno value with err naming the source and key.
 */
int conf_load_layers(struct conf *c, const char *sysfile,
                     const char *env_file, const char *env_text,
                     char *err, size_t errsz);

/*
 * Apply command-line options (the keys with an opt, plus --help,
 * --version and --configuration, reported in *action as 'h', 'v', 'c'
 * or 0).  Parsing stops at the first argument that is not an option;
 * its index goes to *first_arg.  Returns 0 or -EINVAL with err saying
 * which option and why.
 */
int conf_parse_args(struct conf *c, int argc, char **argv, int *first_arg,
                    int *action, char *err, size_t errsz);

/*
 * Do the action conf_parse_args() found: 'h' prints usage, the options
 * and extra (may be NULL) to out; 'v' the version; 'c' the
 * configuration.  Returns true if there was one: the program then exits 0.
 */
bool conf_action(const struct conf *c, int action, const char *prog,
                 const char *usage, const char *extra, FILE *out);

/* What a program is, for conf_open() and conf_start() */
struct conf_prog {
    const char *name;           /* "tlog-play", for messages */
    const struct conf_key *keys;    /* its own keys (conf_open()) */
    size_t nkeys;
    const struct conf_key *shared;  /* keys of a shared table, or NULL */
    size_t nshared;
    bool files;                 /* reads SYSCONFDIR/tlog/NAME.conf, then
                                   the files and text named by
                                   TLOG_X_CONF_FILE and TLOG_X_CONF_TEXT
                                   (X: NAME after "tlog-", in capitals);
                                   else options only */
    const char *usage;          /* --help's first lines */
    const char *extra;          /* --help's last lines, or NULL */
};

/* conf_start()'s "go on" */
#define CONF_GO_ON (-1)

/*
 * The start of every program: the usual layers (conf_load_layers()),
 * then the command line, then --help, --version or --configuration if
 * asked for.  With first NULL the program takes no argument but
 * options; else *first gets the index of the first one.  Says what is
 * wrong on stderr after the program's name.  Returns CONF_GO_ON, or the
 * status to exit with: 0 after --help and the like, 1 for a source that
 * cannot be read, 2 for a usage error.
 */
int conf_start(struct conf *c, const struct conf_prog *p, int argc,
               char **argv, int *first);

/*
 * conf_start() on a configuration of p's keys and shared keys, made
 * here and stored in *pc on CONF_GO_ON (free with conf_free()).  Out of
 * memory, it says so and returns 1.
 */
int conf_open(const struct conf_prog *p, int argc, char **argv,
              struct conf **pc, int *first);

/* Print "PROG: WHAT" and a hint to run --help, for usage errors */
void conf_usage_error(FILE *f, const char *prog, const char *what);

/* Print the options of the table, for --help */
void conf_print_help(const struct conf *c, FILE *f);

/* Print the configuration as JSON, for --configuration */
void conf_print(const struct conf *c, FILE *f);

/* Values; path must be a key of the table (checked: aborts otherwise).
 * A CONF_LIST value is its strings joined by newlines; a CONF_JSON
 * value is JSON text. */
bool conf_bool(const struct conf *c, const char *path);
long long conf_int(const struct conf *c, const char *path);
const char *conf_str(const struct conf *c, const char *path);

/* Set a value from text, as the command line would; for programs that
 * fill keys from other places.  Errors as conf_load_text(). */
int conf_set(struct conf *c, const char *path, const char *value,
             const char *origin, char *err, size_t errsz);

#endif
