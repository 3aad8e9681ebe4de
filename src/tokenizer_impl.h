/* tokenizer_impl.h — the tokenizer object and the internals its files share
 * (not a public API).
 *
 * Layers, each including only the ones below it:
 *   tok_helpers.h    scratch, interned strings, merges, UTF-8, pair heap
 *   tokenizer_pre.h  the BPE pre-tokenizer (needs no hone_tokenizer)
 *   this header      struct hone_tokenizer, read by the SPM/BPE encoders
 *                    (tokenizer_spm.c, tokenizer_bpe.c) and by the top:
 *                    tokenizer_load.c, tokenizer_special.c,
 *                    tokenizer_decode.c, tokenizer.c.
 * SPM and BPE call only downwards (BPE into the pre-tokenizer and helpers);
 * nothing below the top calls the top.
 */
#ifndef HONE_TOKENIZER_IMPL_H
#define HONE_TOKENIZER_IMPL_H

#include "tok_helpers.h"
#include "tokenizer.h"
#include "tokenizer_pre.h"

struct hone_tokenizer {
    hone_tok_type type;
    char model[32];
    char pre[64];
    int32_t n_vocab;

    /* interned strings: ids 0..n_vocab-1 are the tokens */
    tok_strtab str;

    float *scores;
    uint32_t *attrs;
    uint8_t *eog;    /* 1 if end-of-generation */

    /* BPE merges: (left id, right id) -> rank, merged id */
    tok_merges merges;
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

/* ---- the encoders: tokenizer_spm.c / tokenizer_bpe.c ---- */
/* Tokenize one raw-text fragment (no special tokens inside), appending ids. */
hone_status tok_spm_fragment(const hone_tokenizer *t, tok_scratch *s,
                             const char *text, size_t len, bool prefix_space,
                             hone_error *err);
hone_status tok_bpe_fragment(const hone_tokenizer *t, tok_scratch *s,
                             const char *text, size_t len, hone_error *err);

/* ---- the top's own: tokenizer_special.c ---- */
/* A piece of the input: a special token, or raw text for SPM/BPE. */
typedef struct {
    int32_t token; /* HONE_TOK_NULL for raw text */
    size_t off, len;
} tok_frag;

typedef struct {
    tok_frag *v;
    size_t n, cap;
} tok_fragv;

/* Build t->specials and the first-byte index the partition scans with
 * (after the attributes are final). */
hone_status tok_specials_build(hone_tokenizer *t, hone_error *err);
/* llama.cpp's tokenizer_st_partition: cut text[0..len) at the special
 * tokens it holds (control/unknown ones only with parse_special) into
 * out->v[0..out->n) (out->v is the caller's to free). */
hone_status tok_specials_partition(const hone_tokenizer *t, const char *text,
                                   size_t len, bool parse_special,
                                   tok_fragv *out, hone_error *err);

/* ---- the top's own: tokenizer_decode.c ---- */
/* Render every token's piece once (llama_token_to_piece, special = true)
 * into t->piece_*, which tok_piece and tok_decode copy from. */
hone_status tok_pieces_build(hone_tokenizer *t, hone_error *err);

#endif
