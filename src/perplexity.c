/* perplexity.c — llama.cpp-compatible perplexity (perplexity.h). */
#include "perplexity.h"

#include <math.h>
#include <stdlib.h>

/* -log softmax(logits)[tok], with llama.cpp's float max / double sum. */
static double nll_of(const float *logits, int n_vocab, int32_t tok)
{
    float mx = logits[0];
    for (int i = 1; i < n_vocab; i++) mx = logits[i] > mx ? logits[i] : mx;
    double sum = 0.0;
    for (int i = 0; i < n_vocab; i++) sum += expf(logits[i] - mx);
    return -((double)(logits[tok] - mx) - log(sum));
}

hone_status hone_perplexity(hone_context *ctx, const int32_t *tokens, size_t n_tokens,
                            int32_t bos, int n_chunks_max, hone_ppl_progress_fn progress,
                            void *ud, hone_ppl_result *out, hone_error *err)
{
    const int n_ctx = hone_n_ctx(ctx), n_batch = hone_n_batch(ctx);
    const int n_vocab = hone_n_vocab(ctx);
    /* the second half of each chunk but its last token is scored: a context
     * below 3 scores nothing, and the mean of nothing is NaN */
    if (n_ctx < HONE_PPL_MIN_CTX)
        return hone_fail(err, HONE_ERR_ARG,
                         "a context of %d scores no token; perplexity needs at least %d",
                         n_ctx, HONE_PPL_MIN_CTX);
    if (n_tokens < 2 * (size_t)n_ctx)
        return hone_fail(err, HONE_ERR_ARG,
                         "the text is %zu tokens; perplexity with a context of %d needs at least %d",
                         n_tokens, n_ctx, 2 * n_ctx);
    int n_chunk = (int)(n_tokens / (size_t)n_ctx);
    if (n_chunks_max >= 0 && n_chunks_max < n_chunk) n_chunk = n_chunks_max;
    int32_t *buf = malloc(sizeof *buf * (size_t)n_batch);
    if (!buf) return hone_fail(err, HONE_ERR_NOMEM, "out of memory");

    const int first = n_ctx / 2;
    double nll = 0.0, nll2 = 0.0;
    int count = 0;
    hone_status st = HONE_OK;
    for (int c = 0; c < n_chunk && !st; c++) {
        const int32_t *chunk = tokens + (size_t)c * (size_t)n_ctx;
        hone_context_rewind(ctx, 0);
        for (int b0 = 0; b0 < n_ctx && !st; b0 += n_batch) {
            const int nb = n_ctx - b0 < n_batch ? n_ctx - b0 : n_batch;
            for (int i = 0; i < nb; i++) buf[i] = chunk[b0 + i];
            if (b0 == 0 && bos >= 0) buf[0] = bos;
            if ((st = hone_decode(ctx, buf, nb, err))) break;
            /* score positions in [first, n_ctx - 1) that this batch holds */
            for (int i = 0; i < nb; i++) {
                const int pos = b0 + i;
                if (pos < first || pos >= n_ctx - 1) continue;
                const double v = nll_of(hone_get_logits(ctx, i), n_vocab, chunk[pos + 1]);
                nll += v;
                nll2 += v * v;
                count++;
            }
        }
        if (!st && progress) progress(ud, c + 1, n_chunk, exp(nll / count));
    }
    free(buf);
    if (st) return st;
    const double mean = nll / count, ppl = exp(mean);
    double var = nll2 / count - mean * mean;
    out->ppl = ppl;
    out->ppl_stderr = var > 0 && count > 1 ? sqrt(var / (count - 1)) * ppl : 0.0;
    out->n_chunk = n_chunk;
    out->count = count;
    return HONE_OK;
}
