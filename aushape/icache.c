/*
 * The cache of field interpretations.
 */
#include "config.h"

#include <string.h>

#include "icache.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

void
icache_init(struct icache *c)
{
    memset(c, 0, sizeof(*c));
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
icache_mix(uint64_t ctx, const char *s)
{
    return fnv(ctx == 0 ? FNV_OFFSET : ctx, s);
}

/* The statistics slot of (rtype, name) */
static struct icache_name *
name_slot(struct icache *c, uint64_t nh)
{
    struct icache_name *n = &c->names[nh & (ICACHE_NAME_SLOTS - 1)];

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

const struct icache_entry *
icache_get(struct icache *c, int rtype, const char *name,
           const char *value, uint64_t ctx, bool *worth)
{
    uint64_t nh;
    uint64_t h;
    struct icache_name *n;
    struct icache_entry *e;

    *worth = false;
    if (strlen(value) >= ICACHE_VALUE || strlen(name) >= ICACHE_NAME) {
        return NULL;
    }
    hashes(rtype, name, value, ctx, &nh, &h);
    n = name_slot(c, nh);
    /* After the trial, names that seldom hit are left alone */
    if (n->lookups >= ICACHE_TRIAL && n->hits * 4 < n->lookups) {
        return NULL;
    }
    if (n->lookups < UINT32_MAX / 2) {
        n->lookups++;
    }
    c->lookups++;
    e = &c->slot[h & (ICACHE_SLOTS - 1)];
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
icache_put(struct icache *c, int rtype, const char *name, const char *value,
           uint64_t ctx, const char *interp, bool show_raw)
{
    uint64_t nh;
    uint64_t h;
    struct icache_entry *e;
    size_t il = strlen(interp);

    if (strlen(value) >= ICACHE_VALUE || strlen(name) >= ICACHE_NAME ||
        il >= ICACHE_INTERP) {
        return;
    }
    hashes(rtype, name, value, ctx, &nh, &h);
    e = &c->slot[h & (ICACHE_SLOTS - 1)];
    e->hash = h;
    e->rtype = rtype;
    e->show_raw = show_raw;
    strcpy(e->name, name);
    strcpy(e->value, value);
    memcpy(e->interp, interp, il + 1);
}
