/* tokenizer_pre.h — the BPE pre-tokenizer (tokenizer_pre.c; not a public
 * API): the family named by tokenizer.ggml.pre, its compiled regexes, the
 * text normalization llama.cpp applies before them, and the word split.
 *
 * Its own header because it stands between the helpers and the top: it
 * needs only tok_helpers.h (scratch, UTF-8), never hone_tokenizer, and
 * tokenizer_bpe.c and the loader use it.
 */
#ifndef HONE_TOKENIZER_PRE_H
#define HONE_TOKENIZER_PRE_H

#include "tok_helpers.h"

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

#endif
