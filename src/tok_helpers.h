/* tok_helpers.h — the tokenizer's bottom layer (not a public API): per-call
 * scratch and word cache (tok_scratch.c), the interned string table, its
 * hash and the BPE merge table (tok_strings.c), UTF-8, the GPT-2 byte map
 * and the U+2581 space escape (tok_utf8.c), and the candidate-pair heap
 * (inline, below).
 *
 * Why a layer: the pre-tokenizer, SPM and BPE (tokenizer_pre.c,
 * tokenizer_spm.c, tokenizer_bpe.c) and the top (loading, special tokens,
 * encode/decode) all need these, and none of them should call back up into
 * the file that loads the vocabulary. Nothing here knows hone_tokenizer:
 * the string and merge tables are their own structs, embedded in it.
 */
#ifndef HONE_TOK_HELPERS_H
#define HONE_TOK_HELPERS_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- tok_scratch.c: growable buffers, per-call scratch, word cache ---- */

/* Grow *p (elements of size sz) to hold at least need; 0 on success. */
int tok_grow(void **p, size_t *cap, size_t need, size_t sz);

typedef struct { size_t off, len; } tok_seg;

/* Per-call scratch: every buffer grows on demand and is freed at the end of
 * the call, so the tokenizer itself is never written during encoding (which
 * is what makes one tokenizer safe to share between threads). It holds the
 * buffers of every stage (pre-tokenizer regex state and words, SPM/BPE
 * symbols and heap, the word cache) so a call allocates each only once. */
typedef struct {
    int32_t *ids;
    size_t n_ids, cap_ids;
    tok_seg *seg, *seg2;
    size_t n_seg, cap_seg, cap_seg2;
    pcre2_match_data *md;
    pcre2_match_context *mctx; /* with a bigger JIT stack, made on demand */
    pcre2_jit_stack *jstack;
    size_t jstack_size;
    void *sym;   /* tok_sym[] (tokenizer_bpe.c / tokenizer_spm.c) */
    size_t cap_sym;
    void *heap;  /* bigram heap items */
    size_t cap_heap;
    char *norm;  /* UTF-8 normalized text (llama.cpp's bytes) */
    char *subj;  /* what the regexes see (see tok_pre_normalize) */
    size_t cap_norm;
    size_t *map; /* subject byte -> norm byte, when use_map */
    bool use_map;
    char *buf;   /* escaped fragment / encoded word */
    size_t cap_buf;
    /* word cache for this call: a word's ids depend only on its bytes */
    struct tok_wc_slot *wc;
    size_t wc_cap, wc_n;
    char *wc_keys;
    size_t wc_keys_len, wc_keys_cap;
    int32_t *wc_ids;
    size_t wc_ids_len, wc_ids_cap;
} tok_scratch;

/* Free every buffer of s (not s itself). */
void tok_scratch_free(tok_scratch *s);
hone_status tok_push_id(tok_scratch *s, int32_t id);
/* Word cache: if w[0..n) was tokenized before in this call, append its ids
 * and return true. h is tok_hash(w, n). */
bool tok_wc_get(tok_scratch *s, const char *w, size_t n, uint64_t h);
/* Remember that w[0..n) gave s->ids[first..]; best effort (on OOM or when
 * full it keeps nothing, which only costs a recomputation). */
void tok_wc_put(tok_scratch *s, const char *w, size_t n, uint64_t h, size_t first);
#define TOK_WC_MAX_WORD 48

/* ---- tok_strings.c: interned strings, their hash, BPE merges ----
 *
 * Strings are interned: ids 0..n_vocab-1 are the vocabulary tokens, ids from
 * n_vocab on are BPE merge halves/results that are not tokens themselves.
 * BPE then merges pairs of interned ids (no string building in the hot
 * loop), and SPM looks substrings of the input up in the same hash table. */

uint64_t tok_hash(const char *s, size_t n);

/* A hash slot keeps 32 bits of the hash so most misses skip the string. */
typedef struct {
    int32_t id;
    uint32_t h;
} tok_slot;

typedef struct {
    char *pool;        /* the strings, each NUL-terminated */
    size_t pool_len, pool_cap;
    uint64_t *off;     /* offset into pool */
    uint32_t *len;
    int32_t n, cap;
    tok_slot *slots;   /* open addressing, id -1 = empty; NULL until indexed */
    uint64_t mask;
} tok_strtab;

static inline const char *tok_str(const tok_strtab *st, int32_t id)
{
    return st->pool + st->off[id];
}

/* Interned id of s[0..n) or -1 (the table must be indexed). */
int32_t tok_str_lookup(const tok_strtab *st, const char *s, size_t n);
/* Append s[0..n) as the next id, even if the text is already there (the
 * vocabulary keeps its ids; of duplicate texts the later id is found).
 * Returns the id, -1 on OOM. */
int32_t tok_str_add(tok_strtab *st, const char *s, size_t n);
/* The id of s[0..n), appended if new (for merge halves that are not
 * tokens); -1 on OOM. */
int32_t tok_str_intern(tok_strtab *st, const char *s, size_t n);
/* Build the hash index over the strings so far (after the vocabulary);
 * later additions keep it up to date. 0 on success. */
int tok_str_index(tok_strtab *st);
void tok_str_free(tok_strtab *st);

/* One BPE merge: (left id << 32 | right id) -> rank and merged id, packed
 * so a lookup touches one cache line. */
typedef struct {
    uint64_t key;
    int32_t rank, res;
} tok_merge;

typedef struct {
    tok_merge *slots; /* open addressing, key UINT64_MAX = empty; NULL = none */
    uint64_t mask;
} tok_merges;

/* Room for n merges; 0 on success. */
int tok_merges_init(tok_merges *m, uint64_t n);
/* File a -> b as rank giving res; an existing (lower) rank wins. */
void tok_merges_add(tok_merges *m, int32_t a, int32_t b, int32_t rank, int32_t res);
/* Rank of the merge a b (or -1) and the merged id in *res. */
int32_t tok_merge_find(const tok_merges *m, int32_t a, int32_t b, int32_t *res);
void tok_merges_free(tok_merges *m);

/* ---- tok_utf8.c: UTF-8, GPT-2 bytes, byte tokens, space escape ---- */

/* llama.cpp's UTF-8 decoder (unicode_cpt_from_utf8 + its error path):
 * returns the code point at s[*i] (0xFFFD for an invalid lead byte, then
 * advancing by one) and advances *i. */
uint32_t tok_utf8_next(const char *s, size_t n, size_t *i);
int tok_utf8_put(uint32_t cp, char *out);
size_t tok_utf8_len(uint8_t lead); /* llama.cpp's unicode_len_utf8 */
/* GPT-2 byte <-> unicode char mapping. Writes the UTF-8 char of byte b to
 * out (2 bytes max) and returns its length. */
int tok_byte_to_utf8(uint8_t b, char out[4]);
/* Inverse: the byte whose char is the code point cp, or -1. */
int tok_utf8_to_byte(uint32_t cp);
/* The text of byte b's fallback token, "<0xXX>" (upper-case hex). */
void tok_byte_token_text(uint8_t b, char out[6]);
/* Number of ' ' in text[0..len). */
size_t tok_count_spaces(const char *text, size_t len);
/* Copy text[0..len) to out with each ' ' as U+2581 ("▁", SentencePiece's
 * space); out needs len + 2 * tok_count_spaces() bytes. Returns the length. */
size_t tok_escape_spaces(const char *text, size_t len, char *out);

/* ---- candidate-pair heap shared by the SPM and BPE merge loops ----
 * A min-heap on (key, left): BPE keys by merge rank, SPM by -score, so both
 * pop the best pair, leftmost on ties. a/b are the caller's staleness check
 * data (BPE: the two symbols' ids; SPM: the pair's byte size). Inline: it
 * is the merge loops' innermost step. */
typedef struct {
    double key; /* exact for float scores and any int32 rank */
    int32_t left, right;
    int32_t a, b;
} tok_pair;

static inline bool tok_pair_before(const tok_pair *x, const tok_pair *y)
{
    return x->key < y->key || (x->key == y->key && x->left < y->left);
}

static inline void tok_heap_push(tok_pair *h, size_t *n, tok_pair v)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!tok_pair_before(&v, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static inline tok_pair tok_heap_pop(tok_pair *h, size_t *n)
{
    tok_pair top = h[0];
    tok_pair last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && tok_pair_before(&h[c + 1], &h[c]))
            c++;
        if (!tok_pair_before(&h[c], &last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

#endif
