/*
 * The configuration keys of an Elasticsearch client's TLS, shared by the
 * programs that read or write the store.
 */
#include "config.h"

#include "es_keys.h"

const struct conf_key es_tls_keys[ES_TLS_NKEYS] = {
    { .path = "es.cacert", .type = CONF_STR, .def = "", .opt = "es-cacert",
      .arg = "FILE", .help = "CA certificates for an https Elasticsearch" },
    { .path = "es.cert", .type = CONF_STR, .def = "", .opt = "es-cert",
      .arg = "FILE", .help = "Client certificate for Elasticsearch" },
    { .path = "es.key", .type = CONF_STR, .def = "", .opt = "es-key",
      .arg = "FILE", .help = "Client certificate key for Elasticsearch" },
};

void
es_keys_tls(const struct conf *c, struct es_conf *ec)
{
    ec->cacert = conf_str(c, "es.cacert");
    ec->cert = conf_str(c, "es.cert");
    ec->key = conf_str(c, "es.key");
}
