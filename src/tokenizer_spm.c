/* tokenizer_spm.c — SentencePiece-style BPE ("llama" tokenizer model),
 * llama.cpp's llm_tokenizer_spm_session.
 *
 * Spaces become U+2581 ("▁"), the text is split into UTF-8 characters, and
 * adjacent symbols whose concatenation is a token are merged highest score
 * first (ties: leftmost), with a binary heap over a linked list. Adjacent
 * symbols are contiguous in the buffer, so a candidate pair is a substring
 * looked up directly in the token hash table. A heap entry is stale when
 * either side changed, which shows as a changed total length (symbols only
 * grow). Symbols that are not tokens at the end fall back to <0xXX> bytes.
 */
#include "tokenizer_impl.h"

#include <string.h>

typedef struct {
    int32_t prev, next;
    uint32_t off, len;
} ssym;

static void try_pair(const hone_tokenizer *t, const char *buf, const ssym *sym, tok_pair *heap,
                     size_t *nh, int32_t l, int32_t r)
{
    if (l < 0 || r < 0)
        return;
    uint32_t size = sym[l].len + sym[r].len;
    int32_t id = tok_str_lookup(&t->str, buf + sym[l].off, size);
    if (id < 0 || id >= t->n_vocab)
        return;
    tok_pair p = {-(double)t->scores[id], l, r, (int32_t)size, 0}; /* best score first */
    tok_heap_push(heap, nh, p);
}

/* The merge loop over one chunk buf[0..n). */
static hone_status merge_chunk(const hone_tokenizer *t, tok_scratch *s, const char *buf, size_t n,
                               hone_error *err)
{
    ssym *sym = s->sym;
    int32_t ns = 0;
    for (size_t i = 0; i < n;) {
        size_t cl = tok_utf8_len((uint8_t)buf[i]);
        if (cl > n - i)
            cl = n - i;
        sym[ns] = (ssym){ns - 1, i + cl < n ? ns + 1 : -1, (uint32_t)i, (uint32_t)cl};
        ns++;
        i += cl;
    }

    /* n - 1 initial pairs plus at most 2 per merge: 3n bounds the heap */
    tok_pair *heap = s->heap;
    size_t nh = 0;
    for (int32_t i = 1; i < ns; i++)
        try_pair(t, buf, sym, heap, &nh, i - 1, i);

    while (nh) {
        tok_pair p = tok_heap_pop(heap, &nh);
        ssym *l = &sym[p.left], *r = &sym[p.right];
        if (!l->len || !r->len || l->len + r->len != (uint32_t)p.a)
            continue;
        l->len += r->len;
        r->len = 0;
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = p.left;
        try_pair(t, buf, sym, heap, &nh, l->prev, p.left);
        try_pair(t, buf, sym, heap, &nh, p.left, l->next);
    }

    for (int32_t i = 0; i >= 0 && ns > 0; i = sym[i].next) {
        int32_t id = tok_str_lookup(&t->str, buf + sym[i].off, sym[i].len);
        if (id >= 0 && id < t->n_vocab) {
            if (tok_push_id(s, id) != HONE_OK)
                return hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing");
            continue;
        }
        /* not a token: its bytes as <0xXX> tokens (unknown token if the
         * vocabulary has no byte tokens, where llama.cpp would abort) */
        for (uint32_t j = 0; j < sym[i].len; j++) {
            int32_t b = t->byte_tok[(uint8_t)buf[sym[i].off + j]];
            if (b < 0)
                b = t->unk;
            if (b >= 0 && tok_push_id(s, b) != HONE_OK)
                return hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing");
        }
    }
    return HONE_OK;
}

hone_status tok_spm_fragment(const hone_tokenizer *t, tok_scratch *s, const char *text,
                             size_t len, bool prefix_space, hone_error *err)
{
    size_t spaces = prefix_space + tok_count_spaces(text, len);
    size_t n = len + prefix_space + 2 * spaces;
    if (n > UINT32_MAX - 8)
        return hone_fail(err, HONE_ERR_RANGE, "text fragment of %zu bytes is too long", len);
    if (tok_grow((void **)&s->buf, &s->cap_buf, n + 1, 1) ||
        tok_grow(&s->sym, &s->cap_sym, n + 1, sizeof(ssym)) ||
        tok_grow(&s->heap, &s->cap_heap, 3 * n + 4, sizeof(tok_pair)))
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing %zu bytes", len);

    char *buf = s->buf;
    size_t o = 0;
    if (prefix_space) {
        memcpy(buf, "\xE2\x96\x81", 3);
        o = 3;
    }
    tok_escape_spaces(text, len, buf + o);

    /* Chunks: a U+2581 symbol whose preceding byte never precedes U+2581
     * inside a token starts a new chunk. No merge can cross such a point,
     * and merges in different chunks do not affect each other, so merging
     * each chunk alone gives exactly the whole-text result with small heaps.
     * Boundaries are taken at the whole text's symbol starts. */
    size_t start = 0;
    while (start < n) {
        size_t end = start;
        for (;;) {
            size_t cl = tok_utf8_len((uint8_t)buf[end]);
            end += cl < n - end ? cl : n - end;
            if (end >= n)
                break;
            if (end + 3 <= n && !memcmp(buf + end, "\xE2\x96\x81", 3) &&
                !t->spm_glue[(uint8_t)buf[end - 1]])
                break;
        }
        size_t cn = end - start, first = s->n_ids;
        uint64_t h = cn <= TOK_WC_MAX_WORD ? tok_hash(buf + start, cn) : 0;
        if (h && tok_wc_get(s, buf + start, cn, h)) {
            start = end;
            continue;
        }
        hone_status st = merge_chunk(t, s, buf + start, cn, err);
        if (st == HONE_OK && h)
            tok_wc_put(s, buf + start, cn, h, first);
        if (st != HONE_OK)
            return st;
        start = end;
    }
    return HONE_OK;
}
