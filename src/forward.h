/* forward.h — the transformer forward pass over a micro-batch of tokens.
 *
 * hone_forward holds every buffer the pass needs, sized once for at most
 * n_ubatch tokens and n_ctx positions: evaluating allocates nothing.
 * The engine (engine.h) splits batches into micro-batches and checks
 * positions and token ids before calling here.
 */
#ifndef HONE_FORWARD_H
#define HONE_FORWARD_H

#include "status.h"
#include "kernels.h"
#include "kv_cache.h"
#include "model_impl.h"
#include "threadpool.h"

typedef struct hone_forward hone_forward;

/* Buffers for micro-batches of up to n_ubatch tokens attending to up to
 * n_ctx positions, run by n_threads threads (flash attention's results
 * depend on it, as llama.cpp's do), storing keys/values of type
 * cache_type; flash_attn: llama.cpp's flash attention, whose caches store
 * V in rows (hone_kv_cache.v_trans false), else its attention without it
 * (V transposed). */
hone_status hone_forward_create(const hone_model *m, const hone_kernels *k,
                                int n_ubatch, int n_ctx, int n_threads,
                                uint32_t cache_type, bool flash_attn, hone_forward **out,
                                hone_error *err);
void hone_forward_free(hone_forward *f);
/* Bytes of scratch buffers (for memory reports). */
size_t hone_forward_bytes(const hone_forward *f);

/* Evaluate tokens[0..n) (n <= n_ubatch, valid ids) at positions kv->n_past
 * onwards (kv->n_past + n <= n_ctx), append their keys/values to kv and
 * advance kv->n_past. Logits of tokens [out_first, n) go to `logits`, one
 * row of n_vocab floats each (out_first == n: none). */
void hone_forward_eval(hone_forward *f, hone_kv_cache *kv, hone_threadpool *pool,
                       const int32_t *tokens, int n, int out_first, float *logits);

/* One sequence's part of a multi-sequence pass. */
typedef struct {
    hone_kv_cache *kv;      /* its own cache: the tokens go at kv->n_past.. */
    const int32_t *tokens;
    int n;                  /* >= 1 */
    int out_first;          /* logits of tokens [out_first, n) wanted */
} hone_fwd_seq;

/* Continuous batching: the tokens of n_seqs sequences (prompt chunks and
 * single decode tokens alike, sum of n <= n_ubatch) in one pass, so every
 * weight matrix is read once for all of them; attention runs per sequence
 * on its own cache. Each sequence's logits rows come out as if it had been
 * evaluated alone (the kernels' matmul gives every (row, token) vec_dot's
 * bits whatever the batch), in order: seqs[0]'s [out_first, n), then
 * seqs[1]'s, ... Every kv->n_past advances by its n. */
void hone_forward_eval_seqs(hone_forward *f, hone_threadpool *pool, const hone_fwd_seq *seqs,
                            int n_seqs, float *logits);

#endif
