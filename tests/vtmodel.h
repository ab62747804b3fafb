/*
 * A model of a terminal's input parser, for testing the playback safety
 * filter against something it does not share code with.
 *
 * Bytes are decoded as UTF-8 (strictly: an invalid byte ends a partial
 * character and is read again on its own) and the code points go
 * through the state machine of Paul Williams' "A parser for DEC's
 * ANSI-compatible video terminals", with xterm's additions: BEL ends an
 * OSC string, and ':' is a parameter byte.  The model reports every
 * control function it dispatches; it draws nothing.
 *
 * Terminals disagree where the standards are silent, so a few choices
 * are flags, and a test runs the model under every combination of them.
 */
#ifndef VTMODEL_H
#define VTMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* U+0080-U+009F decoded from UTF-8 are C1 controls (else ignored) */
#define VTMODEL_C1_UTF8     0x01u
/* A byte 0x80-0x9F outside any UTF-8 character is a C1 control (else
 * it is U+FFFD, a printable character) */
#define VTMODEL_C1_RAW      0x02u
/* As xterm: in escape and control sequences U+00A0-U+00FF count as
 * their 7-bit counterparts, larger code points cancel the sequence
 * (else anything past 7 bits is ignored there) */
#define VTMODEL_GR_AS_GL    0x04u
/* As xterm: string bodies keep 7 bits of U+0080-U+00FF and read larger
 * code points as '?' (else they keep the characters) */
#define VTMODEL_FOLD        0x08u
/* As Williams: a string cut short by CAN, SUB, ESC or a C1 control is
 * still dispatched (else only ST or BEL dispatch it) */
#define VTMODEL_CUT_DISPATCH 0x10u
/* Every combination of the flags is below this */
#define VTMODEL_FLAGS_END   0x20u

/* Intermediates kept; more are left out */
#define VTMODEL_INTER_MAX   8
/* Parameter and string bytes kept; past this the event says overflow */
#define VTMODEL_DATA_MAX    16384

enum vtmodel_kind {
    VTMODEL_EXECUTE,    /* a C0 or C1 control; code is the control */
    VTMODEL_ESC,        /* an escape sequence; code is the final byte */
    VTMODEL_CSI,        /* a control sequence; code is the final byte */
    VTMODEL_DCS,        /* a device control string, at its final byte
                           (hook); code is that byte */
    VTMODEL_OSC,        /* an operating system command, at its end; data
                           is the whole string */
    VTMODEL_SOS_PM_APC, /* the start of an SOS, PM or APC string; code
                           is its C1 form (0x98, 0x9E or 0x9F) */
};

struct vtmodel_event {
    enum vtmodel_kind kind;
    uint32_t code;
    char priv;                          /* CSI, DCS: private marker or 0 */
    char inter[VTMODEL_INTER_MAX + 1];  /* intermediates, NUL-terminated */
    char data[VTMODEL_DATA_MAX + 1];    /* CSI, DCS: the parameters; OSC:
                                           the string; NUL-terminated, but
                                           an OSC string may hold NULs */
    size_t data_len;
    bool overflow;                      /* more than the model keeps */
};

/* Called for each dispatched function; ev is valid during the call */
typedef void vtmodel_fn(void *ctx, const struct vtmodel_event *ev);

struct vtmodel;

/* A parser with the given VTMODEL_* flags, calling fn(ctx, event).
 * Stores it in *pm; 0 or -ENOMEM */
int vtmodel_new(struct vtmodel **pm, unsigned flags, vtmodel_fn *fn,
                void *ctx);

/* vtmodel_free(NULL) does nothing */
void vtmodel_free(struct vtmodel *m);

/* Parse buf[0..len); state carries over between calls */
void vtmodel_feed(struct vtmodel *m, const uint8_t *buf, size_t len);

/*
 * Whether a terminal answers ev or leaves the parser this model is of:
 * the name of the function (a static string), or NULL if ev is safe to
 * play.  The list is the one the safety filter promises to drop.
 */
const char *vtmodel_unsafe(const struct vtmodel_event *ev);

#endif
