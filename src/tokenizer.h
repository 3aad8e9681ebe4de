/* tokenizer.h — text <-> token ids, driven entirely by a GGUF's
 * tokenizer.ggml.* metadata, with llama.cpp's semantics.
 *
 * Models: "llama" (SentencePiece BPE: merges by score, byte fallback <0xXX>,
 * "▁" for spaces) and "gpt2" (byte-level BPE: merge ranks from
 * tokenizer.ggml.merges, pre-tokenizer regexes named by tokenizer.ggml.pre).
 * Anything else is a clear HONE_ERR_UNSUPPORTED at load.
 *
 * Thread safety: a loaded tokenizer is immutable (its PCRE2 regexes are
 * compiled and JIT-compiled once, in tok_load). tok_encode, tok_piece and
 * tok_decode only read it and allocate their own scratch (match data, JIT
 * stack, word cache) per call, so any number of threads may use one
 * tokenizer at the same time.
 *
 * Known difference from llama.cpp: character classes come from PCRE2's
 * Unicode 14 tables, so characters added in Unicode 15+ may split
 * differently (see tokenizer_pre.c).
 *
 * Lifetime: tok_load copies everything it needs; the hone_gguf_file may be closed
 * right after it returns.
 */
#ifndef HONE_TOKENIZER_H
#define HONE_TOKENIZER_H

#include "gguf.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hone_tokenizer hone_tokenizer;

#define HONE_TOK_NULL ((int32_t)-1) /* "no such token" (llama.cpp's LLAMA_TOKEN_NULL) */

typedef enum { HONE_TOK_TYPE_SPM = 1, HONE_TOK_TYPE_BPE = 2 } hone_tok_type;

/* Token attributes: llama.cpp's llama_token_attr bits. */
enum {
    HONE_TOK_ATTR_UNDEFINED = 0,
    HONE_TOK_ATTR_UNKNOWN = 1 << 0,
    HONE_TOK_ATTR_UNUSED = 1 << 1,
    HONE_TOK_ATTR_NORMAL = 1 << 2,
    HONE_TOK_ATTR_CONTROL = 1 << 3,
    HONE_TOK_ATTR_USER_DEFINED = 1 << 4,
    HONE_TOK_ATTR_BYTE = 1 << 5,
    HONE_TOK_ATTR_NORMALIZED = 1 << 6,
    HONE_TOK_ATTR_LSTRIP = 1 << 7,
    HONE_TOK_ATTR_RSTRIP = 1 << 8,
    HONE_TOK_ATTR_SINGLE_WORD = 1 << 9,
};

/* Build a tokenizer from f's tokenizer.ggml.* keys. Errors name the key. */
hone_status hone_tok_load(const hone_gguf_file *f, hone_tokenizer **out, hone_error *err);
void hone_tok_free(hone_tokenizer *t);

/* Tokenize text[0..len) (any bytes; invalid UTF-8 is handled like
 * llama.cpp). add_special: add BOS/EOS as the model's add_bos/add_eos flags
 * say (skipped when the model has no such token, where llama.cpp aborts).
 * parse_special: recognise control tokens written in the text (e.g.
 * "<|eot_id|>"); user-defined tokens are always recognised. On success *ids
 * is a malloc'ed array of *n ids (free() it; may be NULL when *n == 0).
 * Fails only on out-of-memory (or an internal regex error). Cost: linear in
 * the text (plus n log n merges per word); ~40-160 MB/s on one core. */
hone_status hone_tok_encode(const hone_tokenizer *t, const char *text, size_t len,
                       bool add_special, bool parse_special, int32_t **ids,
                       size_t *n, hone_error *err);

/* The text of one token (llama_token_to_piece with lstrip = 0): writes at
 * most size bytes to buf (no NUL) and returns the byte count, or minus the
 * size needed when buf is too small. Control/unknown tokens give "" unless
 * special. An id out of range gives 0. */
int32_t hone_tok_piece(const hone_tokenizer *t, int32_t id, char *buf, size_t size,
                  bool special);
/* The same piece (as with special = true) without copying; valid until
 * tok_free. Returns NULL (and *len = 0) for an id out of range. */
const char *hone_tok_piece_ref(const hone_tokenizer *t, int32_t id, size_t *len);

/* Detokenize a sequence (llama_detokenize): leading-space removal for
 * add_space_prefix models, remove_special drops a leading BOS / trailing EOS
 * the model adds, unparse_special renders control tokens, and BPE models'
 * clean-up of spaces before punctuation. *text is malloc'ed and
 * NUL-terminated (free() it); *len excludes the NUL. */
hone_status hone_tok_decode(const hone_tokenizer *t, const int32_t *ids, size_t n,
                       bool remove_special, bool unparse_special, char **text,
                       size_t *len, hone_error *err);

/* ---- accessors ---- */
hone_tok_type hone_tok_get_type(const hone_tokenizer *t);
const char *hone_tok_model_name(const hone_tokenizer *t); /* "llama", "gpt2" */
const char *hone_tok_pre_name(const hone_tokenizer *t);   /* "llama-bpe", "default"... */
int32_t hone_tok_n_vocab(const hone_tokenizer *t);
int32_t hone_tok_bos(const hone_tokenizer *t); /* HONE_TOK_NULL when the model has none */
int32_t hone_tok_eos(const hone_tokenizer *t);
int32_t hone_tok_eot(const hone_tokenizer *t);
int32_t hone_tok_eom(const hone_tokenizer *t);
int32_t hone_tok_unk(const hone_tokenizer *t);
int32_t hone_tok_pad(const hone_tokenizer *t);
int32_t hone_tok_sep(const hone_tokenizer *t);
int32_t hone_tok_nl(const hone_tokenizer *t); /* the newline token */
bool hone_tok_add_bos(const hone_tokenizer *t);
bool hone_tok_add_eos(const hone_tokenizer *t);
bool hone_tok_add_space_prefix(const hone_tokenizer *t);
/* End of generation: EOS, EOT, EOM and the other end-of-turn tokens
 * llama.cpp recognises by text (<|im_end|>, <|endoftext|>...). */
bool hone_tok_is_eog(const hone_tokenizer *t, int32_t id);
bool hone_tok_is_control(const hone_tokenizer *t, int32_t id);
uint32_t hone_tok_attr(const hone_tokenizer *t, int32_t id); /* 0 if out of range */
float hone_tok_score(const hone_tokenizer *t, int32_t id);
/* The token's raw vocabulary text (not NUL-terminated); NULL if out of range. */
const char *hone_tok_text(const hone_tokenizer *t, int32_t id, size_t *len);
/* The i-th tokenizer.ggml.pre name hone supports (NULL past the end). */
const char *hone_tok_pre_known_name(size_t i);
/* Exact lookup of a vocabulary string; HONE_TOK_NULL if absent. */
int32_t hone_tok_find(const hone_tokenizer *t, const char *text, size_t len);

#endif
