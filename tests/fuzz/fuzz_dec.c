/*
 * Fuzz target: the recording decoder.  The input is a file of messages;
 * each line goes through the decoder, strict and lax, and every packet
 * is drained.  Nothing may crash, leak or read out of bounds.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
run(const uint8_t *data, size_t size, bool lax)
{
    struct dec *d;
    struct pkt p;
    char err[512];
    size_t off = 0;

    if (dec_new(lax, &d) < 0) {
        return;
    }
    while (off < size) {
        const uint8_t *nl = memchr(data + off, '\n', size - off);
        size_t len = nl ? (size_t)(nl - (data + off)) : size - off;

        if (dec_feed(d, (const char *)data + off, len, "fuzz", err,
                     sizeof(err)) == 0) {
            while (dec_next(d, &p, err, sizeof(err)) > 0) {
                /* touch every byte handed out */
                volatile uint8_t sink = 0;
                size_t i;

                for (i = 0; i < p.len; i++) {
                    sink ^= p.data[i];
                }
                (void)sink;
            }
        }
        off += len + 1;
    }
    dec_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, false);
    run(data, size, true);
    return 0;
}
