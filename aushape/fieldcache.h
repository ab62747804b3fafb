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
#ifndef FIELDCACHE_H
#define FIELDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries; a power of two */
#define FIELDCACHE_SLOTS 8192
/* Longest name, value and interpretation kept, with the NUL */
#define FIELDCACHE_NAME 24
#define FIELDCACHE_VALUE 40
#define FIELDCACHE_INTERP 64
/* Name statistics slots, and the trial length */
#define FIELDCACHE_NAME_SLOTS 1024
#define FIELDCACHE_TRIAL 256

struct fieldcache_entry {
    uint64_t hash;
    int rtype;
    bool show_raw;          /* raw value shown beside the interpretation */
    char name[FIELDCACHE_NAME];
    char value[FIELDCACHE_VALUE];
    char interp[FIELDCACHE_INTERP];
};

struct fieldcache;

/*
 * Make an empty cache (about 1.2 MB).  Stores it, owned by the caller
 * (free with fieldcache_free()), in *pc.  Returns 0, or -ENOMEM with
 * err filled.
 */
int fieldcache_new(struct fieldcache **pc, char *err, size_t errsz);

/* Free a cache; NULL does nothing. */
void fieldcache_free(struct fieldcache *c);

/* Mix s into a context hash (start from 0) */
uint64_t fieldcache_mix(uint64_t ctx, const char *s);

/*
 * Look up (rtype, name, value, ctx).  Returns the entry (the cache's,
 * valid until the next fieldcache_put()), or NULL on a miss; *worth
 * says whether fieldcache_put() should be called after.
 */
const struct fieldcache_entry *fieldcache_get(struct fieldcache *c,
                                              int rtype, const char *name,
                                              const char *value,
                                              uint64_t ctx, bool *worth);

/* Remember an interpretation; ignored if any string is too long. */
void fieldcache_put(struct fieldcache *c, int rtype, const char *name,
                    const char *value, uint64_t ctx, const char *interp,
                    bool show_raw);

#endif
