/*
 * Fuzz target: the parser of Elasticsearch search answers.  Every hit it
 * returns must lie within the answer.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "es.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct es_hit *hits = NULL;
    size_t n = 0, i;
    char err[256];

    if (es_hits_parse(data, size, &hits, &n, err, sizeof(err)) == 0) {
        for (i = 0; i < n; i++) {
            if (hits[i].src_off + hits[i].src_len > size ||
                hits[i].id_off + hits[i].id_len > size ||
                data[hits[i].src_off] != '{') {
                abort();
            }
        }
    }
    free(hits);
    return 0;
}
