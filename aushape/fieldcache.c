/*
 * The cache of field interpretations.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fieldcache.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

struct fieldcache_name {
    uint64_t hash;          /* of record type and name; 0: free */
    uint32_t lookups;
    uint32_t hits;
};

struct fieldcache {
    struct fieldcache_entry slot[FIELDCACHE_SLOTS];
    struct fieldcache_name names[FIELDCACHE_NAME_SLOTS];
    uint64_t lookups;
    uint64_t hits;
};

int
fieldcache_new(struct fieldcache **pc, char *err, size_t errsz)
{
    struct fieldcache *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        snprintf(err, errsz, "out of memory for the interpretation cache");
        return -ENOMEM;
    }
    *pc = c;
    return 0;
}

void
fieldcache_free(struct fieldcache *c)
{
    free(c);
}

static uint64_t
fnv(uint64_t h, const char *s)
{
    for (; *s != '\0'; s++) {
        h = (h ^ (uint8_t)*s) * FNV_PRIME;
    }
    return (h ^ 0xff) * FNV_PRIME;
}

uint64_t
fieldcache_mix(uint64_t ctx, const char *s)
{
    return fnv(ctx == 0 ? FNV_OFFSET : ctx, s);
}

/* The statistics slot of (rtype, name) */
static struct fieldcache_name *
name_slot(struct fieldcache *c, uint64_t nh)
{
    struct fieldcache_name *n = &c->names[nh & (FIELDCACHE_NAME_SLOTS - 1)];

    if (n->hash != nh) {
        /* A new name (or a clash): start its trial again */
        n->hash = nh;
        n->lookups = 0;
        n->hits = 0;
    }
    return n;
}

/* Key hashes: of the name alone, and of everything */
static void
hashes(int rtype, const char *name, const char *value, uint64_t ctx,
       uint64_t *nh, uint64_t *h)
{
    *nh = fnv(FNV_OFFSET ^ (uint64_t)(unsigned)rtype, name) | 1;
    *h = fnv(*nh ^ ctx, value) | 1;
}

const struct fieldcache_entry *
fieldcache_get(struct fieldcache *c, int rtype, const char *name,
               const char *value, uint64_t ctx, bool *worth)
{
    uint64_t nh;
    uint64_t h;
    struct fieldcache_name *n;
    struct fieldcache_entry *e;

    *worth = false;
    if (strlen(value) >= FIELDCACHE_VALUE || strlen(name) >= FIELDCACHE_NAME) {
        return NULL;
    }
    hashes(rtype, name, value, ctx, &nh, &h);
    n = name_slot(c, nh);
    /* After the trial, names that seldom hit are left alone */
    if (n->lookups >= FIELDCACHE_TRIAL && n->hits * 4 < n->lookups) {
        return NULL;
    }
    if (n->lookups < UINT32_MAX / 2) {
        n->lookups++;
    }
    c->lookups++;
    e = &c->slot[h & (FIELDCACHE_SLOTS - 1)];
    if (e->hash == h && e->rtype == rtype && strcmp(e->name, name) == 0 &&
        strcmp(e->value, value) == 0) {
        n->hits++;
        c->hits++;
        return e;
    }
    *worth = true;
    return NULL;
}

void
fieldcache_put(struct fieldcache *c, int rtype, const char *name,
               const char *value, uint64_t ctx, const char *interp,
               bool show_raw)
{
    uint64_t nh;
    uint64_t h;
    struct fieldcache_entry *e;
    size_t il = strlen(interp);

    if (strlen(value) >= FIELDCACHE_VALUE ||
        strlen(name) >= FIELDCACHE_NAME || il >= FIELDCACHE_INTERP) {
        return;
    }
    hashes(rtype, name, value, ctx, &nh, &h);
    e = &c->slot[h & (FIELDCACHE_SLOTS - 1)];
    e->hash = h;
    e->rtype = rtype;
    e->show_raw = show_raw;
    strcpy(e->name, name);
    strcpy(e->value, value);
    memcpy(e->interp, interp, il + 1);
}
