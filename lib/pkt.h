/*
 * Packets: the terminal events a recording is made of.
 *
 * The encoder takes packets stamped with a monotonic clock; the decoder
 * gives packets stamped with their position from the recording's start.
 */
#ifndef PKT_H
#define PKT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum pkt_type {
    PKT_INPUT,      /* bytes typed at the terminal */
    PKT_OUTPUT,     /* bytes shown on the terminal */
    PKT_WINDOW,     /* the terminal window size changed */
};

struct pkt {
    enum pkt_type type;
    struct timespec ts;
    /* PKT_INPUT, PKT_OUTPUT: the bytes, not owned by the packet */
    const uint8_t *data;
    size_t len;
    /* PKT_WINDOW */
    unsigned short width;
    unsigned short height;
};

#endif
