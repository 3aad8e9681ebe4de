/* tok_strings.c — the interned string table (pool, ids, open-addressing
 * hash) and the BPE merge table keyed by pairs of interned ids (helper
 * layer, see tok_helpers.h).
 *
 * Why interning: SPM looks substrings of the input up by text, BPE merges
 * pairs of ids; with every vocabulary token and every merge half/result
 * interned once at load, both hot loops are hash probes on ints or short
 * byte runs, with no string building.
 */
#include "tok_helpers.h"

#include <stdlib.h>
#include <string.h>

uint64_t tok_hash(const char *s, size_t n)
{
    const uint64_t m = 0x9E3779B97F4A7C15ull;
    uint64_t h = 0xcbf29ce484222325ull ^ (n * m);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * m;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    if (n)
        memcpy(&w, s, n);
    h = (h ^ w) * m;
    h ^= h >> 32;
    return h * m;
}

static uint64_t pow2_at_least(uint64_t n)
{
    uint64_t p = 16;
    while (p < n)
        p *= 2;
    return p;
}

/* ---- the string table ---- */

int32_t tok_str_lookup(const tok_strtab *st, const char *s, size_t n)
{
    uint64_t h = tok_hash(s, n);
    uint32_t h32 = (uint32_t)(h >> 32);
    uint64_t i = h & st->mask;
    for (;;) {
        const tok_slot *sl = &st->slots[i];
        if (sl->id < 0)
            return -1;
        if (sl->h == h32 && st->len[sl->id] == n && !memcmp(tok_str(st, sl->id), s, n))
            return sl->id;
        i = (i + 1) & st->mask;
    }
}

static void slot_put(tok_slot *slots, uint64_t mask, const tok_strtab *st, int32_t id)
{
    const char *s = tok_str(st, id);
    size_t n = st->len[id];
    uint64_t h = tok_hash(s, n);
    uint32_t h32 = (uint32_t)(h >> 32);
    uint64_t i = h & mask;
    while (slots[i].id >= 0) {
        int32_t o = slots[i].id;
        if (slots[i].h == h32 && st->len[o] == n && !memcmp(tok_str(st, o), s, n))
            break; /* duplicate text: the later id wins (llama.cpp) */
        i = (i + 1) & mask;
    }
    slots[i].id = id;
    slots[i].h = h32;
}

static int rehash(tok_strtab *st, uint64_t nslots)
{
    tok_slot *slots = malloc(nslots * sizeof *slots);
    if (!slots)
        return -1;
    for (uint64_t i = 0; i < nslots; i++)
        slots[i].id = -1;
    for (int32_t id = 0; id < st->n; id++)
        slot_put(slots, nslots - 1, st, id);
    free(st->slots);
    st->slots = slots;
    st->mask = nslots - 1;
    return 0;
}

/* Append a string; with dedup it returns the existing id if present. */
static int32_t add_string(tok_strtab *st, const char *s, size_t n, bool dedup)
{
    if (dedup && st->slots) {
        int32_t id = tok_str_lookup(st, s, n);
        if (id >= 0)
            return id;
    }
    if (n > UINT32_MAX || st->n == INT32_MAX)
        return -1;
    size_t cs = (size_t)st->cap;
    if (tok_grow((void **)&st->off, &cs, (size_t)st->n + 1, sizeof(uint64_t)))
        return -1;
    cs = (size_t)st->cap;
    if (tok_grow((void **)&st->len, &cs, (size_t)st->n + 1, sizeof(uint32_t)))
        return -1;
    st->cap = (int32_t)(cs > INT32_MAX ? INT32_MAX : cs);
    if (tok_grow((void **)&st->pool, &st->pool_cap, st->pool_len + n + 1, 1))
        return -1;
    memcpy(st->pool + st->pool_len, s, n);
    st->pool[st->pool_len + n] = 0;
    st->off[st->n] = st->pool_len;
    st->len[st->n] = (uint32_t)n;
    st->pool_len += n + 1;
    int32_t id = st->n++;
    if (st->slots) {
        if ((uint64_t)st->n * 2 > st->mask + 1) {
            if (rehash(st, (st->mask + 1) * 2))
                return -1;
        } else {
            slot_put(st->slots, st->mask, st, id);
        }
    }
    return id;
}

int32_t tok_str_add(tok_strtab *st, const char *s, size_t n)
{
    return add_string(st, s, n, false);
}

int32_t tok_str_intern(tok_strtab *st, const char *s, size_t n)
{
    return add_string(st, s, n, true);
}

int tok_str_index(tok_strtab *st)
{
    return rehash(st, pow2_at_least((uint64_t)st->n * 2 + 16));
}

void tok_str_free(tok_strtab *st)
{
    free(st->pool);
    free(st->off);
    free(st->len);
    free(st->slots);
}

/* ---- the merge table ---- */

static uint64_t pair_slot(uint64_t key, uint64_t mask)
{
    return ((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static uint64_t pair_key(int32_t a, int32_t b)
{
    return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
}

int tok_merges_init(tok_merges *m, uint64_t n)
{
    m->mask = pow2_at_least(n + n / 2 + 16) - 1;
    m->slots = malloc((m->mask + 1) * sizeof *m->slots);
    if (!m->slots)
        return -1;
    for (uint64_t i = 0; i <= m->mask; i++)
        m->slots[i].key = UINT64_MAX;
    return 0;
}

void tok_merges_add(tok_merges *m, int32_t a, int32_t b, int32_t rank, int32_t res)
{
    uint64_t key = pair_key(a, b);
    uint64_t i = pair_slot(key, m->mask);
    while (m->slots[i].key != UINT64_MAX && m->slots[i].key != key)
        i = (i + 1) & m->mask;
    if (m->slots[i].key == key)
        return; /* first (lowest) rank wins */
    m->slots[i] = (tok_merge){key, rank, res};
}

int32_t tok_merge_find(const tok_merges *m, int32_t a, int32_t b, int32_t *res)
{
    if (!m->slots)
        return -1;
    uint64_t key = pair_key(a, b);
    uint64_t i = pair_slot(key, m->mask);
    for (;;) {
        const tok_merge *e = &m->slots[i];
        if (e->key == key) {
            *res = e->res;
            return e->rank;
        }
        if (e->key == UINT64_MAX)
            return -1;
        i = (i + 1) & m->mask;
    }
}

void tok_merges_free(tok_merges *m)
{
    free(m->slots);
}
