/* tok_scratch.c — growable arrays, the per-call scratch and the per-call
 * word cache (helper layer, see tok_helpers.h).
 *
 * Encoding writes only to a tok_scratch owned by the call, never to the
 * tokenizer, so a loaded tokenizer can be shared by threads. The word cache
 * lives there too: text repeats words, and a word's ids depend only on its
 * bytes, so each distinct short word is merged once per call.
 */
#include "tok_helpers.h"

#include <stdlib.h>
#include <string.h>

int tok_grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / sz)
            return -1;
        nc *= 2;
    }
    void *q = realloc(*p, nc * sz);
    if (!q)
        return -1;
    *p = q;
    *cap = nc;
    return 0;
}

void tok_scratch_free(tok_scratch *s)
{
    free(s->ids);
    free(s->seg);
    free(s->seg2);
    if (s->md)
        pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_jit_stack_free(s->jstack);
    free(s->sym);
    free(s->heap);
    free(s->norm);
    free(s->subj);
    free(s->map);
    free(s->wc);
    free(s->wc_keys);
    free(s->wc_ids);
    free(s->buf);
}

hone_status tok_push_id(tok_scratch *s, int32_t id)
{
    if (s->n_ids == s->cap_ids &&
        tok_grow((void **)&s->ids, &s->cap_ids, s->n_ids + 1, sizeof(int32_t)))
        return HONE_ERR_NOMEM;
    s->ids[s->n_ids++] = id;
    return HONE_OK;
}

struct tok_wc_slot {
    uint64_t h; /* 0 = empty */
    uint32_t key_off, key_len, ids_off, ids_n;
};

#define WC_MAX_ENTRIES (1u << 16) /* bounds the cache on huge inputs */

bool tok_wc_get(tok_scratch *s, const char *w, size_t n, uint64_t h)
{
    if (!s->wc_n)
        return false;
    h |= 1;
    for (size_t i = h & (s->wc_cap - 1);; i = (i + 1) & (s->wc_cap - 1)) {
        const struct tok_wc_slot *e = &s->wc[i];
        if (!e->h)
            return false;
        if (e->h == h && e->key_len == n && !memcmp(s->wc_keys + e->key_off, w, n)) {
            if (!e->ids_n)
                return true;
            if (tok_grow((void **)&s->ids, &s->cap_ids, s->n_ids + e->ids_n, sizeof(int32_t)))
                return false;
            memcpy(s->ids + s->n_ids, s->wc_ids + e->ids_off, e->ids_n * sizeof(int32_t));
            s->n_ids += e->ids_n;
            return true;
        }
    }
}

void tok_wc_put(tok_scratch *s, const char *w, size_t n, uint64_t h, size_t first)
{
    size_t k = s->n_ids - first;
    if (s->wc_n >= WC_MAX_ENTRIES || n > TOK_WC_MAX_WORD)
        return;
    if (!s->wc) {
        s->wc = calloc(1024, sizeof *s->wc);
        if (!s->wc)
            return;
        s->wc_cap = 1024;
    } else if ((s->wc_n + 1) * 2 > s->wc_cap) {
        size_t nc = s->wc_cap * 2;
        struct tok_wc_slot *nw = calloc(nc, sizeof *nw);
        if (!nw)
            return;
        for (size_t i = 0; i < s->wc_cap; i++) {
            if (!s->wc[i].h)
                continue;
            size_t j = s->wc[i].h & (nc - 1);
            while (nw[j].h)
                j = (j + 1) & (nc - 1);
            nw[j] = s->wc[i];
        }
        free(s->wc);
        s->wc = nw;
        s->wc_cap = nc;
    }
    if (tok_grow((void **)&s->wc_keys, &s->wc_keys_cap, s->wc_keys_len + n, 1) ||
        tok_grow((void **)&s->wc_ids, &s->wc_ids_cap, s->wc_ids_len + k, sizeof(int32_t)))
        return;
    h |= 1;
    size_t i = h & (s->wc_cap - 1);
    while (s->wc[i].h)
        i = (i + 1) & (s->wc_cap - 1);
    s->wc[i] = (struct tok_wc_slot){h, (uint32_t)s->wc_keys_len, (uint32_t)n,
                                    (uint32_t)s->wc_ids_len, (uint32_t)k};
    if (n)
        memcpy(s->wc_keys + s->wc_keys_len, w, n);
    s->wc_keys_len += n;
    if (k) /* a word may give no ids (bytes that are no tokens) */
        memcpy(s->wc_ids + s->wc_ids_len, s->ids + first, k * sizeof(int32_t));
    s->wc_ids_len += k;
    s->wc_n++;
}
