/* engine.c — contexts: KV cache + forward buffers + logits (engine.h). */
#include "engine.h"

#include "forward.h"
#include "kv_cache.h"
#include "model_impl.h"

#include <stdlib.h>
#include <string.h>

struct hone_context {
    const hone_model *model;
    const hone_kernels *k;
    hone_threadpool *pool;
    bool own_pool;
    int n_seq;
    hone_kv_cache *kv;    /* [n_seq], each n_ctx / n_seq positions */
    hone_forward *fwd;
    int n_ctx, n_batch, n_ubatch;
    bool logits_all;
    float *logits;        /* [max(n_batch or 1, n_seq)][n_vocab] */
    int n_logits;         /* rows filled by the last decode */
    hone_fwd_seq *seqs;   /* [n_seq] a batch's forward-pass parts */
    int *batch_row;       /* [n_seq] logits row of batch item i, or -1 */
    int n_batch_items;
};

hone_context_params hone_context_default_params(void)
{
    return (hone_context_params){
        .n_ctx = 0,
        .n_batch = 2048,
        .n_ubatch = 512,
        .n_threads = 1,
        .cache_type = HONE_TYPE_F16,
        .flash_attn = true,
        .logits_all = false,
        .kernels = NULL,
        .pool = NULL,
        .n_seq = 1,
    };
}

hone_status hone_context_create(const hone_model *m, const hone_context_params *p,
                                hone_context **out, hone_error *err)
{
    *out = NULL;
    hone_context_params cp = p ? *p : hone_context_default_params();
    if (cp.n_ctx < 0 || cp.n_batch < 1 || cp.n_ubatch < 1 || (!cp.pool && cp.n_threads < 1) ||
        cp.n_seq < 1 || cp.n_seq > 4096)
        return hone_fail(err, HONE_ERR_ARG,
                         "invalid context parameters (ctx %d, batch %d, ubatch %d, threads %d, "
                         "sequences %d)",
                         cp.n_ctx, cp.n_batch, cp.n_ubatch, cp.n_threads, cp.n_seq);
    if (cp.n_ctx == 0) cp.n_ctx = hone_model_default_n_ctx(m);
    if (cp.n_ctx / cp.n_seq < 1)
        return hone_fail(err, HONE_ERR_ARG, "a context of %d positions cannot hold %d sequences",
                         cp.n_ctx, cp.n_seq);
    if (cp.n_batch > cp.n_ctx) cp.n_batch = cp.n_ctx;
    if (cp.n_ubatch > cp.n_batch) cp.n_ubatch = cp.n_batch;
    if (cp.cache_type != HONE_TYPE_F16 && cp.cache_type != HONE_TYPE_F32)
        return hone_fail(err, HONE_ERR_ARG, "KV cache type %s is not supported (f16, f32)",
                         hone_type_name(cp.cache_type));

    hone_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return hone_fail(err, HONE_ERR_NOMEM, "out of memory (context)");
    ctx->model = m;
    ctx->n_seq = cp.n_seq;
    ctx->n_ctx = cp.n_ctx;
    ctx->n_batch = cp.n_batch;
    ctx->n_ubatch = cp.n_ubatch;
    ctx->logits_all = cp.logits_all;
    hone_status st = HONE_OK;
    ctx->k = cp.kernels;
    if (!ctx->k) st = hone_kernels_select("auto", &ctx->k, err);
    if (!st && cp.pool) {
        ctx->pool = cp.pool;
    } else if (!st) {
        ctx->own_pool = true;
        st = hone_threadpool_create(cp.n_threads, &ctx->pool, err);
    }
    const int seq_ctx = cp.n_ctx / cp.n_seq;
    if (!st) {
        ctx->kv = calloc((size_t)cp.n_seq, sizeof *ctx->kv);
        ctx->seqs = calloc((size_t)cp.n_seq, sizeof *ctx->seqs);
        ctx->batch_row = calloc((size_t)cp.n_seq, sizeof *ctx->batch_row);
        if (!ctx->kv || !ctx->seqs || !ctx->batch_row)
            st = hone_fail(err, HONE_ERR_NOMEM, "out of memory (%d sequences)", cp.n_seq);
    }
    for (int s = 0; !st && s < cp.n_seq; s++)
        st = hone_kv_cache_init(&ctx->kv[s], cp.cache_type, m->hp.n_layer, seq_ctx,
                                m->hp.n_head_kv * m->hp.head_dim, m->hp.head_dim, !cp.flash_attn, err);
    if (!st)
        st = hone_forward_create(m, ctx->k, cp.n_ubatch, seq_ctx,
                                 hone_threadpool_n_threads(ctx->pool), cp.cache_type,
                                 cp.flash_attn, &ctx->fwd, err);
    if (!st) {
        size_t rows = cp.logits_all ? (size_t)cp.n_batch : 1;
        if (rows < (size_t)cp.n_seq) rows = (size_t)cp.n_seq;
        ctx->logits = calloc(rows * (size_t)m->hp.n_vocab, sizeof(float));
        if (!ctx->logits)
            st = hone_fail(err, HONE_ERR_NOMEM, "out of memory for %zu rows of logits", rows);
    }
    if (st) {
        hone_context_free(ctx);
        return st;
    }
    *out = ctx;
    return HONE_OK;
}

void hone_context_free(hone_context *ctx)
{
    if (!ctx) return;
    hone_forward_free(ctx->fwd);
    for (int s = 0; ctx->kv && s < ctx->n_seq; s++) hone_kv_cache_free(&ctx->kv[s]);
    free(ctx->kv);
    free(ctx->seqs);
    free(ctx->batch_row);
    if (ctx->own_pool) hone_threadpool_free(ctx->pool);
    free(ctx->logits);
    free(ctx);
}

hone_status hone_decode(hone_context *ctx, const int32_t *tokens, int n, hone_error *err)
{
    if (n < 1 || n > ctx->n_batch)
        return hone_fail(err, HONE_ERR_ARG, "batch of %d tokens (allowed 1..%d)", n,
                         ctx->n_batch);
    if (n > ctx->kv[0].n_ctx - ctx->kv[0].n_past)
        return hone_fail(err, HONE_ERR_RANGE,
                         "context full: %d tokens at position %d exceed the context size %d",
                         n, ctx->kv[0].n_past, ctx->kv[0].n_ctx);
    const int n_vocab = ctx->model->hp.n_vocab;
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= n_vocab)
            return hone_fail(err, HONE_ERR_RANGE, "token id %d at batch index %d is not in 0..%d",
                             tokens[i], i, n_vocab - 1);
    for (int i0 = 0; i0 < n; i0 += ctx->n_ubatch) {
        const int nu = n - i0 < ctx->n_ubatch ? n - i0 : ctx->n_ubatch;
        const bool last = i0 + nu == n;
        int out_first = nu;
        float *dst = ctx->logits;
        if (ctx->logits_all) {
            out_first = 0;
            dst = ctx->logits + (size_t)i0 * (size_t)n_vocab;
        } else if (last) {
            out_first = nu - 1;
        }
        hone_forward_eval(ctx->fwd, &ctx->kv[0], ctx->pool, tokens + i0, nu, out_first, dst);
    }
    ctx->n_logits = ctx->logits_all ? n : 1;
    return HONE_OK;
}

const float *hone_get_logits(const hone_context *ctx, int i)
{
    if (!ctx->logits_all || ctx->n_logits == 0) return ctx->logits;
    if (i < 0 || i >= ctx->n_logits) i = ctx->n_logits - 1;
    return ctx->logits + (size_t)i * (size_t)ctx->model->hp.n_vocab;
}

int hone_n_past(const hone_context *ctx) { return ctx->kv[0].n_past; }

void hone_context_rewind(hone_context *ctx, int n_past)
{
    if (n_past >= 0 && n_past < ctx->kv[0].n_past) ctx->kv[0].n_past = n_past;
}

int hone_n_ctx(const hone_context *ctx) { return ctx->n_ctx; }
int hone_n_seq(const hone_context *ctx) { return ctx->n_seq; }
int hone_seq_n_ctx(const hone_context *ctx) { return ctx->kv[0].n_ctx; }

int hone_seq_n_past(const hone_context *ctx, int seq)
{
    return seq >= 0 && seq < ctx->n_seq ? ctx->kv[seq].n_past : 0;
}

void hone_seq_rewind(hone_context *ctx, int seq, int n_past)
{
    if (seq >= 0 && seq < ctx->n_seq && n_past >= 0 && n_past < ctx->kv[seq].n_past)
        ctx->kv[seq].n_past = n_past;
}

hone_status hone_decode_batch(hone_context *ctx, const hone_batch_item *items, int n_items,
                              hone_error *err)
{
    if (n_items < 1 || n_items > ctx->n_seq)
        return hone_fail(err, HONE_ERR_ARG, "a batch of %d items (allowed 1..%d)", n_items,
                         ctx->n_seq);
    const int n_vocab = ctx->model->hp.n_vocab;
    int total = 0;
    for (int i = 0; i < n_items; i++) {
        const hone_batch_item *it = &items[i];
        if (it->seq < 0 || it->seq >= ctx->n_seq || it->n < 1 || !it->tokens)
            return hone_fail(err, HONE_ERR_ARG, "batch item %d: sequence %d, %d tokens", i,
                             it->seq, it->n);
        for (int j = 0; j < i; j++)
            if (items[j].seq == it->seq)
                return hone_fail(err, HONE_ERR_ARG, "batch items %d and %d are both sequence %d", j,
                                 i, it->seq);
        const hone_kv_cache *kv = &ctx->kv[it->seq];
        if (it->n > kv->n_ctx - kv->n_past)
            return hone_fail(err, HONE_ERR_RANGE,
                             "sequence %d full: %d tokens at position %d exceed its context of %d",
                             it->seq, it->n, kv->n_past, kv->n_ctx);
        for (int t = 0; t < it->n; t++)
            if (it->tokens[t] < 0 || it->tokens[t] >= n_vocab)
                return hone_fail(err, HONE_ERR_RANGE, "batch item %d: token id %d is not in 0..%d", i,
                                 it->tokens[t], n_vocab - 1);
        total += it->n;
    }
    if (total > ctx->n_ubatch)
        return hone_fail(err, HONE_ERR_ARG, "a batch of %d tokens exceeds the micro-batch of %d",
                         total, ctx->n_ubatch);
    int rows = 0;
    for (int i = 0; i < n_items; i++) {
        const hone_batch_item *it = &items[i];
        ctx->seqs[i] = (hone_fwd_seq){.kv = &ctx->kv[it->seq], .tokens = it->tokens, .n = it->n,
                                      .out_first = it->logits ? it->n - 1 : it->n};
        ctx->batch_row[i] = it->logits ? rows++ : -1;
    }
    hone_forward_eval_seqs(ctx->fwd, ctx->pool, ctx->seqs, n_items, ctx->logits);
    ctx->n_batch_items = n_items;
    ctx->n_logits = 0; /* the single-sequence view has no logits now */
    return HONE_OK;
}

const float *hone_batch_logits(const hone_context *ctx, int i)
{
    if (i < 0 || i >= ctx->n_batch_items || ctx->batch_row[i] < 0) return NULL;
    return ctx->logits + (size_t)ctx->batch_row[i] * (size_t)ctx->model->hp.n_vocab;
}
int hone_n_batch(const hone_context *ctx) { return ctx->n_batch; }
int hone_n_ubatch(const hone_context *ctx) { return ctx->n_ubatch; }
int hone_n_vocab(const hone_context *ctx) { return ctx->model->hp.n_vocab; }
int hone_n_threads(const hone_context *ctx) { return hone_threadpool_n_threads(ctx->pool); }
const hone_kernels *hone_context_kernels(const hone_context *ctx) { return ctx->k; }
const hone_model *hone_context_model(const hone_context *ctx) { return ctx->model; }
size_t hone_context_kv_bytes(const hone_context *ctx)
{
    size_t b = 0;
    for (int s = 0; s < ctx->n_seq; s++) b += hone_kv_cache_bytes(&ctx->kv[s]);
    return b;
}

size_t hone_context_scratch_bytes(const hone_context *ctx)
{
    size_t rows = ctx->logits_all ? (size_t)ctx->n_batch : 1;
    return hone_forward_bytes(ctx->fwd) + rows * (size_t)ctx->model->hp.n_vocab * sizeof(float);
}
