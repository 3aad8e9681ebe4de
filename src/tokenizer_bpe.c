/* tokenizer_bpe.c — byte-level BPE (GPT-2 style, llama.cpp's
 * llm_tokenizer_bpe_session).
 *
 * Each pre-tokenizer word is split into symbols (one per byte, holding the
 * interned id of that byte's GPT-2 character; or one per UTF-8 character for
 * the raw-UTF-8 families), then adjacent pairs are merged lowest rank first
 * (ties: leftmost) with a binary heap over a linked list of symbols, so a
 * word costs O(n log n). A heap entry is stale when either side changed;
 * comparing interned ids is the same test as llama.cpp's string compare.
 */
#include "tokenizer_impl.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t prev, next;
    int32_t id;   /* interned string id, -1 if the text is unknown */
    uint32_t off; /* bytes of the word */
    uint32_t len;
} bsym;

static void try_pair(const hone_tokenizer *t, bsym *sym, tok_pair *heap, size_t *nh, int32_t l,
                     int32_t r)
{
    if (l < 0 || r < 0 || sym[l].id < 0 || sym[r].id < 0)
        return;
    int32_t res;
    int32_t rank = tok_merge_find(&t->merges, sym[l].id, sym[r].id, &res);
    if (rank < 0)
        return;
    tok_pair p = {rank, l, r, sym[l].id, sym[r].id};
    tok_heap_push(heap, nh, p);
}

/* Encoded text of raw bytes w[0..n) into buf (4 bytes per byte max). */
static size_t encode_bytes(const hone_tokenizer *t, const char *w, size_t n, char *buf)
{
    size_t o = 0;
    if (!t->byte_encode) {
        memcpy(buf, w, n);
        return n;
    }
    for (size_t i = 0; i < n; i++)
        o += (size_t)tok_byte_to_utf8((uint8_t)w[i], buf + o);
    return o;
}

/* A final symbol that is not a token: llama.cpp emits the tokens of its
 * single bytes (of the encoded text), skipping bytes that are not tokens. */
static hone_status emit_fallback(const hone_tokenizer *t, tok_scratch *s, const char *w,
                                 size_t n, hone_error *err)
{
    char enc[8];
    for (size_t i = 0; i < n; i++) {
        if (t->byte_encode) {
            int k = tok_byte_to_utf8((uint8_t)w[i], enc);
            for (int j = 0; j < k; j++) {
                int32_t id = tok_str_lookup(&t->str, enc + j, 1);
                if (id >= 0 && id < t->n_vocab && tok_push_id(s, id) != HONE_OK)
                    return hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing");
            }
        } else {
            char b[6];
            tok_byte_token_text((uint8_t)w[i], b);
            int32_t id = tok_str_lookup(&t->str, b, 6);
            if (id >= 0 && id < t->n_vocab && tok_push_id(s, id) != HONE_OK)
                return hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing");
        }
    }
    return HONE_OK;
}

static hone_status bpe_word(const hone_tokenizer *t, tok_scratch *s, const char *w, size_t n,
                            hone_error *err)
{
    const size_t need_buf = n * 4 + 8;
    if (tok_grow((void **)&s->buf, &s->cap_buf, need_buf, 1) ||
        tok_grow(&s->sym, &s->cap_sym, n + 1, sizeof(bsym)) ||
        tok_grow(&s->heap, &s->cap_heap, 3 * n + 4, sizeof(tok_pair)))
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing a %zu-byte word", n);

    if (t->ignore_merges || (t->pretok.flags & PRE_NL_WORDS)) {
        bool whole = t->ignore_merges;
        if (!whole) {
            whole = true;
            for (size_t i = 0; i < n && whole; i++)
                whole = w[i] == '\n';
        }
        if (whole) {
            size_t el = encode_bytes(t, w, n, s->buf);
            int32_t id = tok_str_lookup(&t->str, s->buf, el);
            if (id >= 0 && id < t->n_vocab)
                return tok_push_id(s, id) == HONE_OK
                           ? HONE_OK
                           : hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing");
        }
    }

    bsym *sym = s->sym;
    int32_t ns = 0;
    for (size_t i = 0; i < n;) {
        size_t cl = 1;
        int32_t id;
        if (t->byte_encode) {
            id = t->byte_sym[(uint8_t)w[i]];
        } else {
            cl = tok_utf8_len((uint8_t)w[i]);
            if (cl > n - i)
                cl = n - i;
            id = tok_str_lookup(&t->str, w + i, cl);
        }
        sym[ns] = (bsym){ns - 1, i + cl < n ? ns + 1 : -1, id, (uint32_t)i, (uint32_t)cl};
        ns++;
        i += cl;
    }

    /* n - 1 initial pairs plus at most 2 per merge: 3n bounds the heap */
    tok_pair *heap = s->heap;
    size_t nh = 0;
    for (int32_t i = 1; i < ns; i++)
        try_pair(t, sym, heap, &nh, i - 1, i);

    while (nh) {
        tok_pair p = tok_heap_pop(heap, &nh);
        bsym *l = &sym[p.left], *r = &sym[p.right];
        if (!l->len || !r->len || l->id != p.a || r->id != p.b)
            continue;
        int32_t res;
        tok_merge_find(&t->merges, p.a, p.b, &res);
        l->len += r->len;
        l->id = res;
        r->len = 0;
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = p.left;
        try_pair(t, sym, heap, &nh, l->prev, p.left);
        try_pair(t, sym, heap, &nh, p.left, l->next);
    }

    for (int32_t i = 0; i >= 0 && ns > 0; i = sym[i].next) {
        if (!sym[i].len)
            continue;
        int32_t id = sym[i].id;
        if (id >= 0 && id < t->n_vocab) {
            if (tok_push_id(s, id) != HONE_OK)
                return hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing");
        } else {
            hone_status st = emit_fallback(t, s, w + sym[i].off, sym[i].len, err);
            if (st != HONE_OK)
                return st;
        }
    }
    return HONE_OK;
}

hone_status tok_bpe_fragment(const hone_tokenizer *t, tok_scratch *s, const char *text,
                             size_t len, hone_error *err)
{
    char *esc = NULL;
    if (t->escape_ws) {
        /* SPM-style BPE families: every space becomes U+2581 first */
        esc = malloc(len + 2 * tok_count_spaces(text, len) + 1);
        if (!esc)
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing");
        len = tok_escape_spaces(text, len, esc);
        text = esc;
    }
    const char *norm, *subj;
    size_t n;
    hone_status st = tok_pre_normalize(s, text, len, &norm, &subj, &n, err);
    if (st == HONE_OK)
        st = tok_pre_split(&t->pretok, s, subj, n, err);
    for (size_t i = 0; i < s->n_seg && st == HONE_OK; i++) {
        const char *w = norm + s->seg[i].off;
        size_t wn = s->seg[i].len, first = s->n_ids;
        if (wn > TOK_WC_MAX_WORD) {
            st = bpe_word(t, s, w, wn, err);
            continue;
        }
        uint64_t h = tok_hash(w, wn);
        if (tok_wc_get(s, w, wn, h))
            continue;
        st = bpe_word(t, s, w, wn, err);
        if (st == HONE_OK)
            tok_wc_put(s, w, wn, h, first);
    }
    free(esc);
    return st;
}
