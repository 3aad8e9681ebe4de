/* tokenizer_impl.h — internals shared by tokenizer*.c (not a public API).
 *
 * Strings are interned: ids 0..n_vocab-1 are the vocabulary tokens, ids from
 * n_vocab on are BPE merge halves/results that are not tokens themselves.
 * BPE then merges pairs of interned ids (no string building in the hot
 * loop), and SPM looks substrings of the input up in the same hash table.
 */
#ifndef HONE_TOKENIZER_IMPL_H
#define HONE_TOKENIZER_IMPL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer.h"

#define TOK_MAX_REGEX 8

/* Pre-tokenizer family flags (llama.cpp's per-family settings). */
enum {
    PRE_IGNORE_MERGES = 1 << 0, /* a word that is a token is kept whole */
    PRE_ADD_BOS = 1 << 1,       /* family default add_bos = true */
    PRE_KEEP_SPACES = 1 << 2,   /* clean_spaces = false when detokenizing */
    PRE_NO_BOS_ID = 1 << 3,     /* family default bos id = none */
    PRE_RAW_UTF8 = 1 << 4,      /* no GPT-2 byte encoding; <0xXX> fallback */
    PRE_ESCAPE_WS = 1 << 5,     /* spaces become U+2581 before BPE */
    PRE_NL_WORDS = 1 << 6,      /* newline-only words kept whole (gemma4) */
    PRE_FORCE_BOS = 1 << 7,     /* add_bos even if the file says false (gemma4) */
};

typedef struct {
    const char *name;  /* the family's canonical name */
    unsigned flags;
    int n_re;
    pcre2_code *re[TOK_MAX_REGEX];
    unsigned digit_groups; /* bit i: regex i is llama.cpp's custom digit
                              grouping (afmoe, tiny_aya), re[i] = \p{N}+ */
} tok_pretok;

typedef struct { size_t off, len; } tok_seg;

/* Per-call scratch: every buffer grows on demand and is freed at the end of
 * the call, so the tokenizer itself is never written during encoding. */
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

/* One BPE merge: (left id << 32 | right id) -> rank and merged id, packed
 * so a lookup touches one cache line. */
typedef struct {
    uint64_t key;
    int32_t rank, res;
} tok_merge;

/* A hash slot keeps 32 bits of the hash so most misses skip the string. */
typedef struct {
    int32_t id;
    uint32_t h;
} tok_slot;

struct hone_tokenizer {
    tok_type type;
    char model[32];
    char pre[64];
    int32_t n_vocab;

    /* interned strings */
    char *pool;
    size_t pool_len, pool_cap;
    uint64_t *str_off; /* offset into pool */
    uint32_t *str_len;
    int32_t n_str, cap_str;
    tok_slot *hslots; /* open addressing, id -1 = empty */
    uint64_t hmask;

    float *scores;
    uint32_t *attrs;
    uint8_t *eog;    /* 1 if end-of-generation */

    /* BPE merges: (left id, right id) -> rank, merged id */
    tok_merge *merges; /* open addressing, key UINT64_MAX = empty */
    uint64_t mmask;
    int32_t byte_sym[256]; /* interned id of the GPT-2 char of each byte */
    int32_t byte_tok[256]; /* SPM byte fallback: token of <0xXX>, or -1 */
    uint8_t spm_glue[256]; /* SPM: some token has this byte right before a U+2581 */
    int32_t *spec_first;   /* [257]: specials bucketed by first byte ... */
    int32_t *spec_bucket;  /* ... indices into specials */

    /* detokenization cache: each token's piece rendered with special = true */
    char *piece_pool;
    uint64_t *piece_off;
    uint32_t *piece_len;

    /* special tokens (control / user-defined / unknown), longest first */
    int32_t *specials;
    int32_t n_specials;

    int32_t bos, eos, eot, eom, unk, sep, pad, mask, nl;
    int32_t fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;
    bool add_bos, add_eos, add_sep, add_space_prefix, remove_extra_ws;
    bool clean_spaces, ignore_merges, escape_ws, byte_encode;

    tok_pretok pretok;
};

/* ---- tokenizer.c ---- */
uint64_t tok_hash(const char *s, size_t n);
/* Interned id of s[0..n) or -1. */
int32_t tok_lookup(const hone_tokenizer *t, const char *s, size_t n);
hone_status tok_push_id(tok_scratch *s, int32_t id);
/* Word cache: if w[0..n) was tokenized before in this call, append its ids
 * and return true. */
bool tok_wc_get(tok_scratch *s, const char *w, size_t n, uint64_t h);
/* Remember that w[0..n) gave s->ids[first..]; best effort (false = not kept). */
void tok_wc_put(tok_scratch *s, const char *w, size_t n, uint64_t h, size_t first);
#define TOK_WC_MAX_WORD 48
/* Grow *p (elements of size sz) to hold at least need; 0 on success. */
int tok_grow(void **p, size_t *cap, size_t need, size_t sz);

/* ---- tokenizer_pre.c ---- */
/* Look up tokenizer.ggml.pre, fill the family flags and compile its regexes.
 * Unknown names are HONE_ERR_UNSUPPORTED. */
hone_status tok_pre_init(tok_pretok *p, const char *pre_name, hone_error *err);
void tok_pre_free(tok_pretok *p);
/* Decode text as llama.cpp does (invalid bytes -> U+FFFD, re-encoded) into
 * *norm, and build the regex subject *subj (*subj_len bytes): non-ASCII
 * whitespace becomes \v as llama.cpp's regex paths see it, U+180E becomes
 * U+200B, surrogates U+FFFD. Plain valid UTF-8 is used as is (no copy);
 * otherwise s->map translates subject offsets to norm offsets. */
hone_status tok_pre_normalize(tok_scratch *s, const char *text, size_t len,
                              const char **norm, const char **subj,
                              size_t *subj_len, hone_error *err);
/* Split subj[0..len) into words with the family's regexes (matches and the
 * text between them are words, llama.cpp's unicode_regex_split). The words
 * are left in s->seg[0..s->n_seg), as offsets into norm. */
hone_status tok_pre_split(const tok_pretok *p, tok_scratch *s, const char *subj,
                          size_t len, hone_error *err);
/* GPT-2 byte <-> unicode char mapping. Writes the UTF-8 char of byte b to
 * out (2 bytes max) and returns its length. */
int tok_byte_to_utf8(uint8_t b, char out[4]);
/* Inverse: the byte whose char is the code point cp, or -1. */
int tok_utf8_to_byte(uint32_t cp);
/* llama.cpp's UTF-8 decoder (unicode_cpt_from_utf8 + its error path):
 * returns the code point at s[*i] (0xFFFD for an invalid lead byte, then
 * advancing by one) and advances *i. */
uint32_t tok_utf8_next(const char *s, size_t n, size_t *i);
int tok_utf8_put(uint32_t cp, char *out);
size_t tok_utf8_len(uint8_t lead); /* llama.cpp's unicode_len_utf8 */

/* ---- tokenizer_spm.c / tokenizer_bpe.c ---- */
/* Tokenize one raw-text fragment (no special tokens inside), appending ids. */
hone_status tok_spm_fragment(const hone_tokenizer *t, tok_scratch *s,
                             const char *text, size_t len, bool prefix_space,
                             hone_error *err);
hone_status tok_bpe_fragment(const hone_tokenizer *t, tok_scratch *s,
                             const char *text, size_t len, hone_error *err);
/* BPE merge table lookup: rank (or -1) and the merged id. */
int32_t tok_merge_find(const hone_tokenizer *t, int32_t a, int32_t b, int32_t *res);
/* Intern a string (for merge halves that are not tokens); -1 on OOM. */
int32_t tok_intern(hone_tokenizer *t, const char *s, size_t n);

/* ---- candidate-pair heap shared by the SPM and BPE merge loops ----
 * A min-heap on (key, left): BPE keys by merge rank, SPM by -score, so both
 * pop the best pair, leftmost on ties. a/b are the caller's staleness check
 * data (BPE: the two symbols' ids; SPM: the pair's byte size). */
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
