/* tokenizer_special.c — special tokens in the input text: the index built
 * at load (specials longest first, plus a byte-sorted list bucketed by
 * first byte) and llama.cpp's tokenizer_st_partition, which cuts the text
 * into special-token fragments and raw fragments for SPM/BPE.
 *
 * Why the index: the partition tries every special token, longest first,
 * on every raw fragment; one trie-like scan of the text first finds which
 * specials occur at all, so the (often hundreds of) absent ones cost
 * nothing.
 */
/* memmem needs _GNU_SOURCE, which the build defines */
#include "tokenizer_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- the index, at load ---- */

typedef struct {
    const char *s;
    uint32_t len;
    int32_t key; /* token id, then index into specials */
} spec_item;

static int by_len_desc_id(const void *a, const void *b)
{
    const spec_item *x = a, *y = b;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

static int by_bytes(const void *a, const void *b)
{
    const spec_item *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Special tokens (control / user-defined / unknown) longest first, ties by
 * id (llama.cpp's order among equal lengths is unspecified; this one is
 * deterministic); spec_bucket lists them in byte order of their text (a
 * prefix before its extensions) and spec_first says where each first byte
 * starts, for the occurrence scan. */
hone_status tok_specials_build(hone_tokenizer *t, hone_error *err)
{
    const uint32_t mask = HONE_TOK_ATTR_CONTROL | HONE_TOK_ATTR_USER_DEFINED | HONE_TOK_ATTR_UNKNOWN;
    int32_t n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        n += (t->attrs[id] & mask) != 0;
    t->specials = malloc(((size_t)n + 1) * sizeof *t->specials);
    t->spec_first = calloc(257, sizeof *t->spec_first);
    t->spec_bucket = malloc(((size_t)n + 1) * sizeof *t->spec_bucket);
    spec_item *items = malloc(((size_t)n + 1) * sizeof *items);
    if (!t->specials || !t->spec_first || !t->spec_bucket || !items) {
        free(items);
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for special tokens");
    }
    n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        if (t->attrs[id] & mask)
            items[n++] = (spec_item){tok_str(&t->str, id), t->str.len[id], id};
    t->n_specials = n;
    qsort(items, (size_t)n, sizeof *items, by_len_desc_id);
    for (int32_t i = 0; i < n; i++) {
        t->specials[i] = items[i].key;
        items[i].key = i;
    }
    qsort(items, (size_t)n, sizeof *items, by_bytes);
    for (int32_t i = 0; i < n; i++)
        t->spec_bucket[i] = items[i].key;
    free(items);
    for (int32_t i = 0; i < n; i++)
        t->spec_first[(uint8_t)tok_str(&t->str, t->specials[i])[0] + 1]++;
    for (int b = 0; b < 256; b++)
        t->spec_first[b + 1] += t->spec_first[b];
    return HONE_OK;
}

/* ---- the partition ---- */

static int frag_push(tok_fragv *fv, int32_t token, size_t off, size_t len)
{
    if (fv->n == fv->cap && tok_grow((void **)&fv->v, &fv->cap, fv->n + 1, sizeof(tok_frag)))
        return -1;
    fv->v[fv->n++] = (tok_frag){token, off, len};
    return 0;
}

static bool c_isspace(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static uint8_t spec_byte(const hone_tokenizer *t, int32_t k, size_t d)
{
    return (uint8_t)tok_str(&t->str, t->specials[t->spec_bucket[k]])[d];
}

static uint32_t spec_len(const hone_tokenizer *t, int32_t k)
{
    return t->str.len[t->specials[t->spec_bucket[k]]];
}

/* Mark the specials that start at p (p[0..n)): walk the byte-sorted list,
 * narrowing the range of candidates one byte at a time (a trie walk).
 * Returns how many were newly marked. */
static size_t mark_present(const hone_tokenizer *t, const char *p, size_t n, uint8_t *present)
{
    int32_t lo = t->spec_first[(uint8_t)p[0]], hi = t->spec_first[(uint8_t)p[0] + 1];
    size_t marked = 0;
    for (size_t d = 1;; d++) {
        /* candidates share p[0..d); the ones of length d come first */
        while (lo < hi && spec_len(t, lo) == d) {
            int32_t si = t->spec_bucket[lo++];
            marked += !present[si];
            present[si] = 1;
        }
        if (lo >= hi || d >= n)
            return marked;
        uint8_t c = (uint8_t)p[d];
        int32_t a = lo, b = hi; /* first with byte d >= c */
        while (a < b) {
            int32_t m = a + (b - a) / 2;
            if (spec_byte(t, m, d) < c)
                a = m + 1;
            else
                b = m;
        }
        int32_t e = a, f = hi; /* first with byte d > c */
        while (e < f) {
            int32_t m = e + (f - e) / 2;
            if (spec_byte(t, m, d) <= c)
                e = m + 1;
            else
                f = m;
        }
        lo = a;
        hi = e;
    }
}

/* llama.cpp's tokenizer_st_partition: for each special token, longest
 * first, split every raw fragment at its occurrences (with the token's
 * lstrip/rstrip of neighbouring spaces). Tokens absent from the whole text
 * are skipped after one scan, which does not change the result. */
hone_status tok_specials_partition(const hone_tokenizer *t, const char *text, size_t len,
                                   bool parse_special, tok_fragv *out, hone_error *err)
{
    out->n = 0;
    if (len == 0)
        return HONE_OK;
    if (frag_push(out, HONE_TOK_NULL, 0, len))
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
    if (t->n_specials == 0)
        return HONE_OK;
    uint8_t *present = calloc((size_t)t->n_specials, 1);
    if (!present)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
    size_t n_present = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)text[i];
        if (t->spec_first[b] < t->spec_first[b + 1])
            n_present += mark_present(t, text + i, len - i, present);
    }
    tok_fragv tmp = {0};
    hone_status st = HONE_OK;
    for (int32_t si = 0; si < t->n_specials && n_present && st == HONE_OK; si++) {
        int32_t id = t->specials[si];
        uint32_t a = t->attrs[id];
        if (!present[si] || (!parse_special && (a & (HONE_TOK_ATTR_CONTROL | HONE_TOK_ATTR_UNKNOWN))))
            continue;
        const char *tt = tok_str(&t->str, id);
        size_t tl = t->str.len[id];
        tmp.n = 0;
        for (size_t fi = 0; fi < out->n && st == HONE_OK; fi++) {
            tok_frag fr = out->v[fi];
            if (fr.token != HONE_TOK_NULL) {
                if (frag_push(&tmp, fr.token, fr.off, fr.len))
                    st = HONE_ERR_NOMEM;
                continue;
            }
            size_t pos = fr.off, end = fr.off + fr.len;
            for (;;) {
                const char *m = tl <= end - pos ? memmem(text + pos, end - pos, tt, tl) : NULL;
                if (!m)
                    break;
                size_t ms = (size_t)(m - text), left = ms - pos;
                if (a & HONE_TOK_ATTR_LSTRIP)
                    while (left > 0 && c_isspace(text[pos + left - 1]))
                        left--;
                if ((left > 0 && frag_push(&tmp, HONE_TOK_NULL, pos, left)) ||
                    frag_push(&tmp, id, 0, 0)) {
                    st = HONE_ERR_NOMEM;
                    break;
                }
                pos = ms + tl;
                if (a & HONE_TOK_ATTR_RSTRIP)
                    while (pos < end && c_isspace(text[pos]))
                        pos++;
                if (pos >= end)
                    break;
            }
            if (st == HONE_OK && pos < end && frag_push(&tmp, HONE_TOK_NULL, pos, end - pos))
                st = HONE_ERR_NOMEM;
        }
        tok_fragv sw = *out;
        *out = tmp;
        tmp = sw;
    }
    free(tmp.v);
    free(present);
    if (st != HONE_OK)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory splitting special tokens");
    return HONE_OK;
}
