/*
 * Fuzz target: the configuration parser.  The input is JSON text (with
 * comments) applied to a table holding every key type; each value read
 * back afterwards must be within what its key allows.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const kinds[] = { "file", "journal", "es", NULL };

static const struct conf_key keys[] = {
    { .path = "flag", .type = CONF_BOOL, .def = "false" },
    { .path = "limit.rate", .type = CONF_INT, .def = "10", .min = -5,
      .max = 1000 },
    { .path = "limit.name", .type = CONF_STR, .def = "x" },
    { .path = "reader", .type = CONF_CHOICE, .def = "file",
      .choices = kinds },
    { .path = "match", .type = CONF_LIST, .def = "" },
    { .path = "rules", .type = CONF_JSON, .def = "[]" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conf *c = NULL;
    char err[512];
    char *text;
    long long v;
    const char *s;
    size_t i;

    text = malloc(size + 1);
    if (text == NULL || conf_new(keys, sizeof(keys) / sizeof(keys[0]),
                                 &c) < 0) {
        free(text);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    err[0] = '\0';
    if (conf_load_text(c, text, "fuzz", err, sizeof(err)) < 0 &&
        err[0] == '\0') {
        abort();        /* a refusal always says why */
    }
    v = conf_int(c, "limit.rate");
    if (v < -5 || v > 1000) {
        abort();
    }
    s = conf_str(c, "reader");
    for (i = 0; kinds[i] != NULL && strcmp(kinds[i], s) != 0; i++) {
    }
    if (kinds[i] == NULL) {
        abort();
    }
    (void)conf_bool(c, "flag");
    (void)strlen(conf_str(c, "limit.name"));
    (void)strlen(conf_str(c, "match"));
    (void)strlen(conf_str(c, "rules"));
    conf_free(c);
    free(text);
    return 0;
}
