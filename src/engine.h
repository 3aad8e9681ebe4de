/* engine.h — the inference engine: a loaded model (model.h) plus a context
 * that evaluates tokens against a KV cache and exposes logits.
 *
 *     hone_model *m;   hone_model_load(path, NULL, &m, &err);
 *     hone_context_params cp = hone_context_default_params();
 *     hone_context *ctx; hone_context_create(m, &cp, &ctx, &err);
 *     hone_decode(ctx, prompt, n_prompt, &err);      // one batch
 *     const float *logits = hone_get_logits(ctx, -1); // last token
 *     ... hone_decode(ctx, &next, 1, &err) ...
 *     hone_context_free(ctx); hone_model_free(m);
 *
 * A context is used by one thread at a time. Every buffer is allocated at
 * hone_context_create; hone_decode allocates nothing.
 */
#ifndef HONE_ENGINE_H
#define HONE_ENGINE_H

#include "status.h"
#include "kernels.h"
#include "model.h"
#include "threadpool.h"

/* Every setting is a value: the library reads no environment variable and
 * no file. Front-ends (the CLI, the server) resolve the user's settings
 * (flags, HONE_THREADS, HONE_KERNELS, build_info.json) and pass them in. */
typedef struct {
    int n_ctx;            /* positions in the KV cache; 0:
                             hone_model_default_n_ctx */
    int n_batch;          /* most tokens per hone_decode call (2048) */
    int n_ubatch;         /* tokens per forward pass (512) */
    int n_threads;        /* >= 1, used when pool is NULL (1) */
    uint32_t cache_type;  /* HONE_TYPE_F16 (default) or HONE_TYPE_F32 */
    bool flash_attn;      /* llama.cpp's flash attention (true, the default:
                             what its CPU backend makes of -fa auto), else
                             its attention without it (-fa off); the two
                             round differently (flash_attn.h) */
    bool logits_all;      /* keep the logits of every token of a batch
                             (perplexity, tests); else only the last one */
    const hone_kernels *kernels; /* NULL: the best set this CPU runs */
    hone_threadpool *pool;       /* NULL: the context starts its own */
    int n_seq;            /* sequences (a server's slots), each with a KV
                             cache of n_ctx / n_seq positions (1) */
} hone_context_params;

typedef struct hone_context hone_context;

hone_context_params hone_context_default_params(void);

/* Check params against the model (every type computable, sizes sane) and
 * allocate the KV cache and forward buffers. n_ubatch is capped at n_batch
 * and n_batch at n_ctx. */
hone_status hone_context_create(const hone_model *m, const hone_context_params *p,
                                hone_context **out, hone_error *err);
void hone_context_free(hone_context *ctx);

/* Evaluate tokens[0..n) at the next positions (1 <= n <= n_batch). Fails
 * without side effects (HONE_ERR_RANGE) when a token id is out of the
 * vocabulary or the context would overflow. */
hone_status hone_decode(hone_context *ctx, const int32_t *tokens, int n,
                        hone_error *err);

/* Logits (n_vocab floats) of token i of the last hone_decode; i = -1 is the
 * last token. Without logits_all only the last token has logits (any i
 * gives them). Valid until the next hone_decode. */
const float *hone_get_logits(const hone_context *ctx, int i);

/* Positions evaluated so far (the next token goes at this position). */
int hone_n_past(const hone_context *ctx);
/* Forget positions [n_past, end): later decodes overwrite them (chat
 * rewinds to the common prefix). n_past larger than the current is ignored. */
void hone_context_rewind(hone_context *ctx, int n_past);

/* ---- several sequences (n_seq > 1): continuous batching ----
 * The calls above work on sequence 0. hone_decode_batch evaluates the
 * tokens of several sequences in one forward pass: prompt chunks and single
 * decode tokens alike, so the weights are read once for all of them. Every
 * sequence's results are bit for bit what evaluating it alone gives. */
typedef struct {
    int seq;              /* 0 .. n_seq-1, at most once per batch */
    const int32_t *tokens;
    int n;                /* >= 1 */
    bool logits;          /* keep the logits of its last token */
} hone_batch_item;

/* Evaluate items[0..n_items) (their tokens together at most n_ubatch),
 * each at its sequence's next positions. Fails without side effects
 * (HONE_ERR_ARG / HONE_ERR_RANGE) on a bad sequence, token id, or a full
 * sequence, naming the item. */
hone_status hone_decode_batch(hone_context *ctx, const hone_batch_item *items, int n_items,
                              hone_error *err);
/* Logits (n_vocab floats) of item i's last token after hone_decode_batch
 * (items with .logits; NULL otherwise). Valid until the next decode. */
const float *hone_batch_logits(const hone_context *ctx, int i);
int hone_n_seq(const hone_context *ctx);
/* Positions of one sequence's cache (n_ctx / n_seq). */
int hone_seq_n_ctx(const hone_context *ctx);
int hone_seq_n_past(const hone_context *ctx, int seq);
/* Forget a sequence's positions [n_past, end) (prompt-cache reuse). */
void hone_seq_rewind(hone_context *ctx, int seq, int n_past);

int hone_n_ctx(const hone_context *ctx);
int hone_n_batch(const hone_context *ctx);
/* Tokens one forward pass takes (-ub): the most a hone_decode_batch may carry. */
int hone_n_ubatch(const hone_context *ctx);
int hone_n_vocab(const hone_context *ctx);
int hone_n_threads(const hone_context *ctx);
const hone_kernels *hone_context_kernels(const hone_context *ctx);
const hone_model *hone_context_model(const hone_context *ctx);
/* Bytes of the KV cache and of the scratch buffers. */
size_t hone_context_kv_bytes(const hone_context *ctx);
size_t hone_context_scratch_bytes(const hone_context *ctx);

#endif
