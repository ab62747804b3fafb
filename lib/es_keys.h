/*
 * The configuration keys of an Elasticsearch client's TLS (es.cacert,
 * es.cert, es.key), added to a program's table with conf_add(), and
 * read back into the client's settings.
 */
#ifndef ES_KEYS_H
#define ES_KEYS_H

#include <stddef.h>

#include "conf.h"
#include "es.h"

#define ES_TLS_NKEYS 3
extern const struct conf_key es_tls_keys[ES_TLS_NKEYS];

/* The TLS files of c into ec (borrowed from c: valid while it lives) */
void es_keys_tls(const struct conf *c, struct es_conf *ec);

#endif
