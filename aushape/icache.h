/*
 * A cache of field interpretations.  libauparse's interpretation (user
 * and group names, syscall names, modes, errno names) is most of the
 * cost of converting audit records, and the same values come back
 * again and again.  An entry is keyed by record type, field name, raw
 * value and a context (the node, and for SYSCALL records the arch and
 * syscall, which change what the arguments mean).  Fields whose values
 * rarely repeat (pids, inodes, addresses) stop being cached after a
 * trial, so they do not push out the ones that do.
 */
#ifndef ICACHE_H
#define ICACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries; a power of two */
#define ICACHE_SLOTS 8192
/* Longest name, value and interpretation kept, with the NUL */
#define ICACHE_NAME 24
#define ICACHE_VALUE 40
#define ICACHE_INTERP 64
/* Name statistics slots, and the trial length */
#define ICACHE_NAME_SLOTS 1024
#define ICACHE_TRIAL 256

struct icache_entry {
    uint64_t hash;
    int rtype;
    bool show_raw;          /* raw value shown beside the interpretation */
    char name[ICACHE_NAME];
    char value[ICACHE_VALUE];
    char interp[ICACHE_INTERP];
};

struct icache_name {
    uint64_t hash;          /* of record type and name; 0: free */
    uint32_t lookups;
    uint32_t hits;
};

struct icache {
    struct icache_entry slot[ICACHE_SLOTS];
    struct icache_name names[ICACHE_NAME_SLOTS];
    uint64_t lookups;
    uint64_t hits;
};

/* Start an empty cache (it is large: allocate it, do not put it on the
 * stack). */
void icache_init(struct icache *c);

/* Mix s into a context hash (start from 0) */
uint64_t icache_mix(uint64_t ctx, const char *s);

/*
 * Look up (rtype, name, value, ctx).  Returns the entry, or NULL on a
 * miss; *worth says whether icache_put() should be called after.
 */
const struct icache_entry *icache_get(struct icache *c, int rtype,
                                      const char *name, const char *value,
                                      uint64_t ctx, bool *worth);

/* Remember an interpretation; ignored if any string is too long. */
void icache_put(struct icache *c, int rtype, const char *name,
                const char *value, uint64_t ctx, const char *interp,
                bool show_raw);

#endif
