/* perplexity.h — perplexity of a token sequence, computed the way
 * llama.cpp's llama-perplexity does (tools/perplexity/perplexity.cpp), so
 * the numbers are comparable:
 *   - the text is tokenized with BOS; it is cut into n_chunk = n_tokens /
 *     n_ctx chunks of n_ctx tokens (the tail is dropped);
 *   - each chunk is evaluated from an empty KV cache in batches of n_batch,
 *     its first token replaced by BOS (when the model adds one);
 *   - only the second half is scored: positions first = n_ctx/2 .. n_ctx-2
 *     predict the token after them; nll = -log softmax(logits)[next];
 *   - PPL = exp(mean nll); the error is sqrt(var(nll)/(count-1)) * PPL.
 * At least 2 * n_ctx tokens are needed (llama.cpp's rule).
 */
#ifndef HONE_PERPLEXITY_H
#define HONE_PERPLEXITY_H

#include "engine.h"

typedef struct {
    double ppl;
    double ppl_stderr;
    int n_chunk;
    int count;        /* scored tokens */
} hone_ppl_result;

/* The smallest context that scores a token (the second half of a chunk,
 * but its last token). */
#define HONE_PPL_MIN_CTX 3

/* Called after each chunk with the running estimate. */
typedef void (*hone_ppl_progress_fn)(void *ud, int chunk, int n_chunk, double ppl);

/* ctx must have been created with logits_all; its n_ctx is the chunk size
 * and its n_batch the batch size. bos < 0: the model adds no BOS.
 * n_chunks_max < 0: all chunks. The context's cache is cleared. */
hone_status hone_perplexity(hone_context *ctx, const int32_t *tokens, size_t n_tokens,
                            int32_t bos, int n_chunks_max, hone_ppl_progress_fn progress,
                            void *ud, hone_ppl_result *out, hone_error *err);

#endif
