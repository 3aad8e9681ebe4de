/* sampler.h — turning a row of logits into the next token.
 *
 * A fixed-order sampler chain with llama.cpp's common-sampler semantics
 * (common/sampling.cpp + src/llama-sampler.cpp), default order:
 *
 *     penalties -> top_k -> top_p -> min_p -> temperature -> dist
 *
 * Note that top_p/min_p see the logits *before* temperature, as in llama.cpp.
 * `temp <= 0` is greedy: the chain still runs, then everything but the best
 * remaining token is set to -inf, so the pick is the argmax after penalties.
 *
 * The random draw reproduces libstdc++'s std::mt19937 +
 * std::uniform_real_distribution<double>(0,1), which is what llama.cpp's
 * `dist` sampler uses: for the same logits, parameters and seed, hone picks
 * the same tokens as llama.cpp (ties between exactly equal logits may be
 * ordered differently: hone breaks them by lower token id).
 *
 * Typical use (the caller owns stopping at EOS / n tokens):
 *
 *     hone_sampler_params sp = hone_sampler_default_params();
 *     sp.seed = 42;
 *     hone_sampler *s = hone_sampler_new(&sp, n_vocab, &err);  // NULL on error
 *     for (each prompt token t) hone_sampler_accept(s, t);      // penalty history
 *     for (;;) {
 *         const float *logits = ...;                            // n_vocab floats
 *         int32_t tok = hone_sampler_sample(s, logits);
 *         hone_sampler_accept(s, tok);                          // sample does NOT accept
 *         ...
 *     }
 *     hone_sampler_free(s);
 *
 * A hone_sampler preallocates everything in hone_sampler_new: sampling and
 * accepting never allocate. It is not thread-safe; use one per sequence.
 */
#ifndef HONE_SAMPLER_H
#define HONE_SAMPLER_H

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Seed value meaning "pick a fresh random seed" (llama.cpp's
 * LLAMA_DEFAULT_SEED). hone_sampler_seed() tells which one was used. */
#define HONE_SEED_RANDOM 0xFFFFFFFFu

typedef enum {
    HONE_SAMPLER_PENALTIES = 0,
    HONE_SAMPLER_TOP_K,
    HONE_SAMPLER_TOP_P,
    HONE_SAMPLER_MIN_P,
    HONE_SAMPLER_TEMPERATURE,
    HONE_SAMPLER_KIND_COUNT
} hone_sampler_kind;

#define HONE_SAMPLER_MAX_ORDER 8

typedef struct {
    float temp;             /* 0.8; <= 0: greedy */
    int32_t top_k;          /* 40; <= 0: disabled */
    float top_p;            /* 0.95; >= 1: disabled */
    float min_p;            /* 0.05; <= 0: disabled */
    int32_t min_keep;       /* 0; top_p/min_p keep at least this many */
    float repeat_penalty;   /* 1.0 (llama.cpp's default; 1.1 was its old one);
                               1: disabled. Positive logits are divided by it,
                               non-positive ones multiplied. */
    int32_t repeat_last_n;  /* 64: penalties look at the last n accepted
                               tokens; 0 disables all penalties. llama.cpp's
                               -1 ("context size") must be resolved by the
                               caller. */
    float freq_penalty;     /* 0; subtracted count times */
    float presence_penalty; /* 0; subtracted once if count > 0 */
    uint32_t seed;          /* HONE_SEED_RANDOM */
    /* Chain order, without the final draw. n_order == 0 means the default
     * order above. A kind may appear at most once. */
    int n_order;
    hone_sampler_kind order[HONE_SAMPLER_MAX_ORDER];
} hone_sampler_params;

/* llama.cpp's defaults (see the field comments). */
hone_sampler_params hone_sampler_default_params(void);

/* Parse a chain order like llama.cpp's --samplers: names separated by ';'
 * or ',' among "penalties", "top_k", "top_p", "min_p", "temperature"
 * (also "temp"). Unknown or repeated names are an HONE_ERR_ARG naming the
 * choices. */
hone_status hone_sampler_parse_order(const char *spec, hone_sampler_params *p,
                                     hone_error *err);

typedef struct hone_sampler hone_sampler;

/* Validates params (finite values, repeat_penalty > 0, repeat_last_n >= 0,
 * n_vocab > 0) and preallocates. Returns NULL and fills err on failure. */
hone_sampler *hone_sampler_new(const hone_sampler_params *p, int32_t n_vocab,
                               hone_error *err);
void hone_sampler_free(hone_sampler *s);

/* Pick the next token from logits (n_vocab floats, not modified). NaN
 * logits count as -inf. Does not record the token: call
 * hone_sampler_accept() with whatever token the caller actually keeps. */
int32_t hone_sampler_sample(hone_sampler *s, const float *logits);

/* Record a token in the penalty history (prompt tokens too, as llama.cpp's
 * tools do). Ids outside [0, n_vocab) are ignored. */
void hone_sampler_accept(hone_sampler *s, int32_t token);

/* Forget the history and reseed the RNG (a fresh random seed if the
 * params' seed is HONE_SEED_RANDOM). */
void hone_sampler_reset(hone_sampler *s);

/* The seed actually in use (resolved if HONE_SEED_RANDOM was asked for). */
uint32_t hone_sampler_seed(const hone_sampler *s);

/* ---- the building blocks (public for tests and for probability output) */

typedef struct {
    int32_t id;
    float logit;
    float p;   /* probability, where a step computed it */
} hone_token_cand;

typedef struct {
    hone_token_cand *data;
    size_t size;
    bool sorted;   /* data is in descending logit order */
} hone_cand_array;

/* The candidates left after the last hone_sampler_sample, with their
 * probabilities (p, summing to 1) in chain order; valid until the next
 * sample/reset/free. *n gets the count. */
const hone_token_cand *hone_sampler_candidates(const hone_sampler *s, size_t *n);

/* Each step works in place on a candidate array, like a llama.cpp sampler. */
void hone_cands_from_logits(hone_cand_array *c, const float *logits, int32_t n_vocab);
/* counts[id] = occurrences of id in the history (n_vocab entries). */
void hone_sample_penalties(hone_cand_array *c, const int32_t *counts,
                           float repeat, float freq, float presence);
void hone_sample_top_k(hone_cand_array *c, int32_t k);
void hone_sample_top_p(hone_cand_array *c, float p, size_t min_keep);
void hone_sample_min_p(hone_cand_array *c, float p, size_t min_keep);
void hone_sample_temp(hone_cand_array *c, float temp);
/* Fill p with the softmax of the logits (order unchanged). */
void hone_sample_softmax(hone_cand_array *c);
/* The final draw: softmax, then the first index whose running sum reaches
 * u * total (u uniform in [0,1)). Returns an index into c->data, or -1 when
 * c is empty. */
ptrdiff_t hone_sample_dist(hone_cand_array *c, double u);
/* Sort the k best candidates (logit descending, then id ascending) to the
 * front, in order; the rest follow in unspecified order. */
void hone_cands_partial_sort(hone_cand_array *c, size_t k);

/* ---- log-probabilities of raw logits (the server's logprobs / n_probs)
 *
 * log-softmax: logprob(i) = logits[i] - hone_logsumexp(logits, n).
 * NaN logits count as -inf; all -inf gives -inf. Summed in double, so a
 * token's logprob is never above 0. */
double hone_logsumexp(const float *logits, int32_t n_vocab);
/* The k best tokens of logits into top[0..k), best first (logit
 * descending, then id ascending), p = 0: one pass against a heap of k,
 * O(n log k) at worst, without ordering the rest of the vocabulary.
 * Returns how many it wrote: min(k, n_vocab). */
size_t hone_logits_top(const float *logits, int32_t n_vocab, size_t k, hone_token_cand *top);

/* ---- random numbers: std::mt19937 and libstdc++'s
 * uniform_real_distribution<double>(0,1) (two 32-bit draws per double). */
typedef struct {
    uint32_t mt[624];
    int idx;
} hone_mt19937;

void hone_mt19937_seed(hone_mt19937 *r, uint32_t seed);
uint32_t hone_mt19937_next(hone_mt19937 *r);
double hone_rng_uniform(hone_mt19937 *r);

/* ---- stop strings (for streaming) */

typedef enum {
    HONE_STOP_NONE = 0, /* no stop string here: all text may be emitted */
    HONE_STOP_PARTIAL,  /* text ends with a proper prefix of a stop string:
                           hold back text[*pos..len) until more arrives */
    HONE_STOP_FULL      /* a stop string starts at *pos: emit text[0..*pos)
                           and stop */
} hone_stop_kind;

/* Look for stop strings in text[0..len). A full match wins over a partial
 * one; among full matches the earliest start wins; a partial match is the
 * longest tail of the text that begins some stop string. *pos is len for
 * HONE_STOP_NONE. Empty or NULL stop strings are ignored. */
hone_stop_kind hone_stop_find(const char *text, size_t len,
                              const char *const *stops, size_t n_stops,
                              size_t *pos);

#ifdef __cplusplus
}
#endif
#endif
