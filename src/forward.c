/* forward.c — the transformer, top to bottom (see forward.h).
 *
 *   x = embed(tokens)
 *   for each layer:
 *       h = rmsnorm(x) * attn_norm
 *       q, k, v = h·Wq (+bq), h·Wk (+bk), h·Wv (+bv)   (or one fused Wqkv)
 *       q, k = rmsnorm(q_h) * q_norm, rmsnorm(k_h) * k_norm per head (qwen3)
 *       q, k = rope(q, pos), rope(k, pos)               (NORM or NEOX pairs)
 *       cache k, v;  a = softmax(q·K / sqrt(d)) · V      (causal, GQA)
 *       x += a·Wo (+bo)
 *       h = rmsnorm(x) * ffn_norm
 *       x += (silu(h·Wgate) * (h·Wup)) · Wdown          (or fused [gate;up])
 *   logits = (rmsnorm(x) * output_norm) · Wout (+bout)
 *
 * Every product with a weight matrix goes through the matmul scheduler
 * (matmul.h): the activations are converted to the weight type's
 * vec_dot_type (8-bit blocks for quantized weights, F16 for F16...),
 * exactly as llama.cpp does, then each thread runs the kernel table's
 * matmul on its range of weight rows. This file only says which products
 * run, in which order, on which buffers.
 *
 * Numerics that mirror llama.cpp on purpose (reference: ggml-cpu): the
 * RoPE angle is advanced by repeated multiplication
 * (theta *= base^(-2/n_rot)) in float, divided by the pair's frequency
 * factor (llama3 rope_freqs, LongRoPE short or long: one set per context),
 * and cos/sin are multiplied by the attention factor. Attention is one of
 * llama.cpp's two: without flash attention (-fa off), with an F16 cache, q
 * is rounded to F16 before q·K and the softmaxed scores are rounded to F16
 * before the product with V (both via the cache type's from_float),
 * accumulation in F32; with flash attention (-fa on, llama.cpp's default)
 * its CPU kernels' online softmax, the V sum kept in F16 (flash_attn.h).
 * phi3 scales q before q·K, the others scale the scores.
 *
 * Where hone differs from llama.cpp on purpose (none changes the maths):
 *   - q·K is computed only for positions some query of the item can see
 *     (llama.cpp: every cell of its padded cache, then a -inf mask);
 *   - kernels may sum in a different order than ggml's (last-bit
 *     differences; quantized models can then round one activation to the
 *     neighbouring 8-bit value: see tests/engine/test_logits.c).
 */
#include "forward.h"
#include "flash_attn.h"
#include "matmul.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The FFN runs on slices of at most this many tokens of a micro-batch: its
 * activations (3 x n_ff floats per token: 17 MB at 128 for n_ff 11008)
 * are the largest. Keeps scratch memory small (peak RSS within 10 % of
 * model + KV cache). 64 tokens reuse each weight row enough for the
 * vector tiles, but a kernel that lays each group of weight rows out
 * afresh per product (the AMX K-quant pack) spent a quarter of an FFN
 * product on that at 64: bench-1b pp512 t=2 on an Intel Xeon with AMX,
 * 128 against 64, interleaved: Q4_K_M 1.11x, Q4_0 1.04x, Q8_0 1.03x, the
 * avx2 set's Q4_K_M 1.02x (256: no better than 128). */
#define FFN_CHUNK 128
/* Below this many bytes x positions attention runs on the calling thread
 * alone: waking the pool costs more than it saves. */
#define MIN_PARALLEL_BYTES (64 * 1024)
/* Attention works on the query rows (tokens x heads) that share one KV head,
 * up to this many at a time, as two matrix products through the kernel
 * table (scores = K·q, out = V·p), like llama.cpp's mul_mat. */
#define ATT_ROWS 32
/* Query tokens per item on flash attention's tiled path: each item converts
 * and transposes its KV tiles once for all its rows, so items are larger
 * there (bench-1b Q4_0 pp512: ATT_ROWS' 4 tokens x 8 heads spent ~5 % of
 * the pass rebuilding tiles). */
#define ATT_TILED_QB 64
/* Per-token element-wise work goes to the pool from this many tokens on. */
#define ROWS_PARALLEL_MIN 8

struct hone_forward {
    const hone_model *m;
    const hone_kernels *k;
    int n_ubatch, n_ctx, n_threads;
    int n_ctx_pad;   /* n_ctx rounded up to HONE_KV_PAD */
    uint32_t cache_type;
    bool flash_attn; /* llama.cpp's flash attention (flash_attn.h) */
    int q_dim, kv_dim, qkv_dim, ff_dim2;
    float *x;        /* [U][n_embd]  residual stream */
    float *xb;       /* [U][n_embd]  normed input / sub-block output */
    float *qkv;      /* [U][qkv_dim] q | k | v per token; the attention
                        output overwrites q (q is consumed first) */
    float *hb;       /* [C][2*n_ff]  gate | up per token (C = FFN_CHUNK) */
    float *hb2;      /* [C][n_ff]    silu(gate) * up */
    float *rope;     /* [U][n_rot]   cos, sin per rotated pair */
    const float *rope_factors; /* [n_rot/2] frequency divisors, or NULL */
    hone_mm *mm;     /* every weight product: threads, converted inputs */
    int att_qb;      /* query tokens per attention work item */
    int att_rows;    /* att_qb x heads per KV head: query rows per item */
    int att_qb_tiled; /* query tokens per item on flash attention's tiled path */
    int att_rows_max; /* the most rows an item has (either size) */
    float *scores;   /* per thread [att_rows][n_ctx_pad] */
    uint8_t *qconv;  /* per thread [att_rows][head_dim] in the cache type */
    uint8_t *pconv;  /* per thread [att_rows][n_ctx_pad] in the cache type */
    float *aout;     /* per thread [att_rows_max][head_dim] */
    float *fa;       /* flash attention: per thread hone_fa_scratch_floats */
    size_t fa_floats;
    /* the pass being evaluated: its sequences and, per token, which one
     * and where in it (a single-sequence pass is one sequence) */
    const hone_fwd_seq *seqs;
    int n_seqs;
    int *seq_off;    /* [U+1] first token of each sequence in the pass */
    int *seq_items;  /* [U+1] first attention item of each sequence */
    int *tok_seq;    /* [U]   sequence of each token */
    size_t bytes;
};

/* ------------------------------------------------------------ allocation */

/* Not zeroed: every element is written before it is read, and untouched
 * pages of a large buffer then cost no memory. */
static void *fwd_alloc(hone_forward *f, size_t n, size_t elt)
{
    size_t bytes = (n * elt + 63) & ~(size_t)63;
    if (bytes == 0) bytes = 64;
    void *p = aligned_alloc(64, bytes);
    f->bytes += bytes;
    return p;
}

/* The matrices that read one input, in the order of their outputs: q|k|v
 * (or the fused qkv) and gate|up (or the fused [gate; up]); biases in
 * step. Returns how many. The forward pass and its plan both use these. */
static int qkv_matrices(const hone_layer *L, const hone_weight **w, const hone_weight **b)
{
    if (L->wqkv.data) {
        w[0] = &L->wqkv, b[0] = &L->bqkv;
        return 1;
    }
    w[0] = &L->wq, w[1] = &L->wk, w[2] = &L->wv;
    b[0] = &L->bq, b[1] = &L->bk, b[2] = &L->bv;
    return 3;
}

static int gate_up_matrices(const hone_layer *L, const hone_weight **w, const hone_weight **b)
{
    if (!L->ffn_gate.data) {
        w[0] = &L->ffn_up, b[0] = &L->ffn_up_b;
        return 1;
    }
    w[0] = &L->ffn_gate, w[1] = &L->ffn_up;
    b[0] = &L->ffn_gate_b, b[1] = &L->ffn_up_b;
    return 2;
}

/* Every product the forward pass runs, with the most tokens it sees. */
static hone_mm_plan plan_products(const hone_model *m, int U)
{
    const int C = U < FFN_CHUNK ? U : FFN_CHUNK;
    hone_mm_plan p = {0};
    const hone_weight *w[HONE_MM_MAX_JOBS], *b[HONE_MM_MAX_JOBS];
    for (int il = 0; il < m->hp.n_layer; il++) {
        const hone_layer *L = &m->layers[il];
        hone_mm_plan_add(&p, w, qkv_matrices(L, w, b), U);
        hone_mm_plan_add(&p, (const hone_weight *[]){&L->wo}, 1, U);
        hone_mm_plan_add(&p, w, gate_up_matrices(L, w, b), C);
        hone_mm_plan_add(&p, (const hone_weight *[]){&L->ffn_down}, 1, C);
    }
    hone_mm_plan_add(&p, (const hone_weight *[]){&m->output}, 1, U);
    return p;
}

hone_status hone_forward_create(const hone_model *m, const hone_kernels *k,
                                int n_ubatch, int n_ctx, int n_threads,
                                uint32_t cache_type, bool flash_attn, hone_forward **out,
                                hone_error *err)
{
    *out = NULL;
    hone_status st = hone_model_check_kernels(m, k, err);
    if (st) return st;
    const hone_type_kernels *kt = &k->type[cache_type];
    if (!kt->vec_dot || !kt->from_float || hone_vec_dot_type(cache_type) != cache_type)
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "kernel set '%s' cannot compute attention on a %s KV cache",
                         k->name, hone_type_name(cache_type));
    if (n_ubatch < 1 || n_ctx < 1 || n_threads < 1)
        return hone_fail(err, HONE_ERR_ARG, "forward buffers for %d tokens, %d positions, %d threads",
                         n_ubatch, n_ctx, n_threads);
    hone_forward *f = calloc(1, sizeof *f);
    if (!f) return hone_fail(err, HONE_ERR_NOMEM, "out of memory (forward)");
    const hone_hparams *hp = &m->hp;
    f->m = m;
    f->k = k;
    f->n_ubatch = n_ubatch;
    f->n_ctx = n_ctx;
    f->n_ctx_pad = (n_ctx + HONE_KV_PAD - 1) / HONE_KV_PAD * HONE_KV_PAD;
    f->n_threads = n_threads;
    f->cache_type = cache_type;
    f->flash_attn = flash_attn;
    f->rope_factors = hone_model_rope_factors(m, n_ctx);
    f->q_dim = hp->n_head * hp->head_dim;
    f->kv_dim = hp->n_head_kv * hp->head_dim;
    f->qkv_dim = f->q_dim + 2 * f->kv_dim;
    f->ff_dim2 = 2 * hp->n_ff;
    size_t U = (size_t)n_ubatch, elt = cache_type == HONE_TYPE_F16 ? 2 : 4;
    size_t C = U < FFN_CHUNK ? U : FFN_CHUNK;
    f->x = fwd_alloc(f, U * (size_t)hp->n_embd, sizeof(float));
    f->xb = fwd_alloc(f, U * (size_t)hp->n_embd, sizeof(float));
    f->qkv = fwd_alloc(f, U * (size_t)f->qkv_dim, sizeof(float));
    f->hb = fwd_alloc(f, C * (size_t)f->ff_dim2, sizeof(float));
    f->hb2 = fwd_alloc(f, C * (size_t)hp->n_ff, sizeof(float));
    f->rope = fwd_alloc(f, U * (size_t)hp->n_rot, sizeof(float));
    f->seq_off = fwd_alloc(f, U + 1, sizeof(int));
    f->seq_items = fwd_alloc(f, U + 1, sizeof(int));
    f->tok_seq = fwd_alloc(f, U, sizeof(int));
    bool ok = f->x && f->xb && f->qkv && f->hb && f->hb2 && f->rope && f->seq_off &&
              f->seq_items && f->tok_seq;
    const hone_mm_plan plan = plan_products(m, n_ubatch);
    if (ok && (st = hone_mm_create(k, n_threads, &plan, &f->mm, err))) {
        hone_forward_free(f);
        return st;
    }
    f->bytes += hone_mm_bytes(f->mm);
    const int group = hp->n_head / hp->n_head_kv;
    f->att_qb = group >= ATT_ROWS ? 1 : ATT_ROWS / group;
    if (f->att_qb > n_ubatch) f->att_qb = n_ubatch;
    f->att_rows = f->att_qb * group;
    f->att_qb_tiled = ATT_TILED_QB < n_ubatch ? ATT_TILED_QB : n_ubatch;
    if (f->att_qb_tiled < f->att_qb) f->att_qb_tiled = f->att_qb;
    f->att_rows_max = flash_attn ? f->att_qb_tiled * group : f->att_rows;
    const size_t R = (size_t)n_threads * (size_t)f->att_rows;
    /* scores over every position (flash attention: its VEC path's) */
    const size_t n_pos = flash_attn ? 0 : (size_t)f->n_ctx_pad;
    f->scores = fwd_alloc(f, R * (size_t)f->n_ctx_pad, sizeof(float));
    f->qconv = fwd_alloc(f, R * (size_t)hp->head_dim, elt);
    f->pconv = fwd_alloc(f, R * n_pos, elt);
    f->aout = fwd_alloc(f, (size_t)n_threads * (size_t)f->att_rows_max * (size_t)hp->head_dim, sizeof(float));
    f->fa_floats = flash_attn ? hone_fa_scratch_floats(f->att_rows_max, hp->head_dim) : 0;
    f->fa = fwd_alloc(f, (size_t)n_threads * f->fa_floats, sizeof(float));
    if (!ok || !f->scores || !f->qconv || !f->pconv || !f->aout || !f->fa) {
        size_t b = f->bytes;
        hone_forward_free(f);
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for %zu MiB of forward buffers",
                         b >> 20);
    }
    *out = f;
    return HONE_OK;
}

void hone_forward_free(hone_forward *f)
{
    if (!f) return;
    free(f->x);
    free(f->xb);
    free(f->qkv);
    free(f->hb);
    free(f->hb2);
    free(f->rope);
    hone_mm_free(f->mm);
    free(f->seq_off);
    free(f->seq_items);
    free(f->tok_seq);
    free(f->scores);
    free(f->qconv);
    free(f->pconv);
    free(f->aout);
    free(f->fa);
    free(f);
}

size_t hone_forward_bytes(const hone_forward *f) { return f ? f->bytes : 0; }

/* ------------------------------------------------------------------ RoPE */

/* Position of token t of the pass in its sequence. */
static int tok_pos(const hone_forward *f, int t)
{
    const int s = f->tok_seq[t];
    return f->seqs[s].kv->n_past + t - f->seq_off[s];
}

/* cos/sin of every rotated pair for the position of every token. */
static void rope_table(hone_forward *f, int n)
{
    const hone_hparams *hp = &f->m->hp;
    const int half = hp->n_rot / 2;
    const float theta_scale = powf(hp->rope_freq_base, -2.0f / (float)hp->n_rot);
    const float *factors = f->rope_factors, mscale = hp->rope_attn_factor;
    for (int t = 0; t < n; t++) {
        float *cs = f->rope + (size_t)t * (size_t)hp->n_rot;
        float theta = (float)tok_pos(f, t);
        for (int i = 0; i < half; i++) {
            const float ff = factors ? factors[i] : 1.0f;
            const float th = hp->rope_freq_scale * (theta / ff);
            cs[2 * i] = cosf(th) * mscale;
            cs[2 * i + 1] = sinf(th) * mscale;
            theta *= theta_scale;
        }
    }
}

static void rope_head(float *v, const float *cs, int n_rot, hone_rope_type type)
{
    const int half = n_rot / 2;
    /* NORM rotates (v[2i], v[2i+1]); NEOX rotates (v[i], v[i + half]). */
    const int stride = type == HONE_ROPE_NORM ? 2 : 1;
    const int off = type == HONE_ROPE_NORM ? 1 : half;
    for (int i = 0; i < half; i++) {
        float *a = v + i * stride, *b = a + off;
        const float c = cs[2 * i], s = cs[2 * i + 1];
        const float x0 = *a, x1 = *b;
        *a = x0 * c - x1 * s;
        *b = x0 * s + x1 * c;
    }
}

/* -------------------------------------------------------------- attention */

typedef struct {
    hone_forward *f;
    int layer;
    int t_first;       /* one sequence: queries of tokens [t_first, n) only */
    float kq_scale;
} attn_task;

/* The flash attention of one work item (as attn_item): llama.cpp's path
 * for this sequence's part of the pass, then the outputs over q. */
static void flash_item(const attn_task *a, int seq, int kvh, int t0, int nt, int tid)
{
    hone_forward *f = a->f;
    const hone_fwd_seq *sq = &f->seqs[seq];
    const hone_kv_cache *kv = sq->kv;
    const hone_hparams *hp = &f->m->hp;
    const int hd = hp->head_dim, group = hp->n_head / hp->n_head_kv;
    float *q = f->qkv + (size_t)(f->seq_off[seq] + t0) * (size_t)f->qkv_dim +
               (size_t)kvh * (size_t)group * (size_t)hd;
    float *O = f->aout + (size_t)tid * (size_t)f->att_rows_max * (size_t)hd;
    /* the path from all of the sequence's tokens in the pass, as llama.cpp
     * chooses from its ubatch (its last layer too runs every query) */
    const int n_kv = hone_fa_n_kv(kv->n_past + sq->n);
    const hone_fa_path path = hone_fa_choose(f->k, hd, sq->n, n_kv);
    const int rows = nt * group, ld = f->n_ctx_pad;
    const uint8_t *k_rows = hone_kv_k(kv, a->layer, kvh, 0);
    float *S = NULL;
    if (path != HONE_FA_TILED) {
        /* every row's q·k at once, as the non-flash path does: the kernel
         * set's matmul gives vec_dot's bits per (position, row) */
        const size_t elt = kv->elt;
        uint8_t *Q = f->qconv + (size_t)tid * (size_t)f->att_rows * (size_t)hd * elt;
        S = f->scores + (size_t)tid * (size_t)f->att_rows * (size_t)ld;
        for (int i = 0; i < rows; i++)
            f->k->type[f->cache_type].from_float(q + (size_t)(i / group) * (size_t)f->qkv_dim +
                                                     (size_t)(i % group) * (size_t)hd,
                                                 Q + (size_t)i * (size_t)hd * elt, hd);
        f->k->matmul(f->k, f->cache_type, k_rows, (size_t)hd * elt, Q, (size_t)hd * elt, hd,
                     0, kv->n_past + t0 + nt, rows, S, ld);
    }
    const hone_fa_job j = {
        .k = f->k, .type = f->cache_type,
        .k_rows = k_rows,
        .v_rows = hone_kv_v_row(kv, a->layer, kvh, 0),
        .row_bytes = (size_t)hd * kv->elt,
        .head_dim = hd, .scale = a->kq_scale,
        .path = path,
        .n_kv = n_kv, .n_chunks = f->n_threads,
        .q = q, .q_ld = (size_t)f->qkv_dim, .scores = S, .scores_ld = (size_t)ld,
        .group = group, .rows = rows,
        .n_vis0 = kv->n_past + t0 + 1, .out = O,
    };
    hone_fa_run(&j, f->fa + (size_t)tid * f->fa_floats);
    for (int tl = 0; tl < nt; tl++)
        memcpy(q + (size_t)tl * (size_t)f->qkv_dim, O + (size_t)tl * (size_t)group * (size_t)hd,
               sizeof(float) * (size_t)group * (size_t)hd);
}

/* One work item of sequence `seq`: KV head kvh for its query tokens
 * [t0, t0 + nt) (positions in the sequence's part of the pass) and the
 * heads of the group. Rows i = token * group + g. Scratch belongs to the
 * thread. */
static void attn_item(const attn_task *a, int seq, int kvh, int t0, int nt, int tid)
{
    hone_forward *f = a->f;
    if (f->flash_attn) {
        flash_item(a, seq, kvh, t0, nt, tid);
        return;
    }
    const hone_kv_cache *kv = f->seqs[seq].kv;
    float *qkv = f->qkv + (size_t)f->seq_off[seq] * (size_t)f->qkv_dim;
    const int pos0 = kv->n_past;
    const hone_hparams *hp = &f->m->hp;
    const hone_kernels *k = f->k;
    const uint32_t ct = f->cache_type;
    const hone_type_kernels *kt = &k->type[ct];
    const int hd = hp->head_dim, group = hp->n_head / hp->n_head_kv, ld = f->n_ctx_pad;
    const size_t elt = kv->elt, R = (size_t)f->att_rows;
    float *S = f->scores + (size_t)tid * R * (size_t)ld;
    uint8_t *Q = f->qconv + (size_t)tid * R * (size_t)hd * elt;
    uint8_t *P = f->pconv + (size_t)tid * R * (size_t)ld * elt;
    float *O = f->aout + (size_t)tid * (size_t)f->att_rows_max * (size_t)hd;
    const int rows = nt * group, n_kv_max = pos0 + t0 + nt;
    /* p·V runs over a padded length, a function of n_kv_max's bucket only:
     * trailing zero weights then leave each row's sum bit-identical however
     * the tokens were grouped into micro-batches and items */
    const int n_pad = (n_kv_max + HONE_KV_PAD - 1) / HONE_KV_PAD * HONE_KV_PAD;

    for (int tl = 0; tl < nt; tl++)
        for (int g = 0; g < group; g++) {
            const float *q = qkv + (size_t)(t0 + tl) * (size_t)f->qkv_dim +
                             (size_t)(kvh * group + g) * (size_t)hd;
            kt->from_float(q, Q + (size_t)(tl * group + g) * (size_t)hd * elt, hd);
        }
    /* S[i][j] = K[j] · q_i over every position any of these rows sees */
    k->matmul(k, ct, hone_kv_k(kv, a->layer, kvh, 0), (size_t)hd * elt, Q, (size_t)hd * elt, hd, 0, n_kv_max,
              rows, S, ld);
    for (int i = 0; i < rows; i++) {
        float *s = S + (size_t)i * (size_t)ld;
        const int n_kv = pos0 + t0 + i / group + 1; /* causal: positions 0..pos */
        if (a->kq_scale != 1.0f)
            for (int j = 0; j < n_kv; j++) s[j] *= a->kq_scale;
        k->softmax(s, n_kv);
        for (int j = n_kv; j < n_pad; j++) s[j] = 0.0f; /* masked: weight 0 */
        kt->from_float(s, P + (size_t)i * (size_t)ld * elt, n_pad);
    }
    /* O[i][d] = V^T[d] · p_i */
    k->matmul(k, ct, hone_kv_v(kv, a->layer, kvh * hd), (size_t)kv->v_stride * elt, P,
              (size_t)ld * elt, n_pad, 0, hd, rows, O, hd);
    /* q (already converted) is overwritten by the output */
    for (int tl = 0; tl < nt; tl++)
        for (int g = 0; g < group; g++)
            memcpy(qkv + (size_t)(t0 + tl) * (size_t)f->qkv_dim +
                       (size_t)(kvh * group + g) * (size_t)hd,
                   O + (size_t)(tl * group + g) * (size_t)hd, sizeof(float) * (size_t)hd);
}

/* Query tokens per item of sequence q: more on flash attention's tiled
 * path (flash_item picks the path the same way). */
static int seq_qb(const hone_forward *f, const hone_fwd_seq *q)
{
    if (!f->flash_attn) return f->att_qb;
    const int n_kv = hone_fa_n_kv(q->kv->n_past + q->n);
    return hone_fa_choose(f->k, f->m->hp.head_dim, q->n, n_kv) == HONE_FA_TILED ? f->att_qb_tiled : f->att_qb;
}

/* Items (sequence, KV head, block of query tokens), numbered sequence
 * after sequence (f->seq_items), are dealt round-robin to the chunks so the
 * longer causal rows of late tokens spread evenly. */
static void attn_worker(void *arg, int ith, int nth, int tid)
{
    const attn_task *a = arg;
    const hone_forward *f = a->f;
    const int n_kvh = f->m->hp.n_head_kv;
    int s = 0;
    for (int it = ith; it < f->seq_items[f->n_seqs]; it += nth) {
        while (it >= f->seq_items[s + 1]) s++;
        const int n = f->seqs[s].n, local = it - f->seq_items[s], qb = seq_qb(f, &f->seqs[s]);
        const int t0 = a->t_first + local / n_kvh * qb;
        attn_item(a, s, local % n_kvh, t0, n - t0 < qb ? n - t0 : qb, tid);
    }
}

/* (qwen3: RMSNorm each head of q and k,) RoPE q and k of token t, then
 * append its k and v to its sequence's cache. */
static void rope_and_store(hone_forward *f, int il, int t)
{
    const hone_layer *L = &f->m->layers[il];
    hone_kv_cache *kv = f->seqs[f->tok_seq[t]].kv;
    const hone_hparams *hp = &f->m->hp;
    const hone_type_kernels *kt = &f->k->type[f->cache_type];
    const int hd = hp->head_dim;
    float *q = f->qkv + (size_t)t * (size_t)f->qkv_dim;
    float *kk = q + f->q_dim, *v = kk + f->kv_dim;
    const float *cs = f->rope + (size_t)t * (size_t)hp->n_rot;
    if (L->attn_q_norm.data) {
        for (int h = 0; h < hp->n_head; h++)
            f->k->rmsnorm(q + h * hd, q + h * hd, L->attn_q_norm.data, hd, hp->norm_eps);
        for (int h = 0; h < hp->n_head_kv; h++)
            f->k->rmsnorm(kk + h * hd, kk + h * hd, L->attn_k_norm.data, hd, hp->norm_eps);
    }
    for (int h = 0; h < hp->n_head; h++) rope_head(q + h * hd, cs, hp->n_rot, hp->rope_type);
    for (int h = 0; h < hp->n_head_kv; h++) rope_head(kk + h * hd, cs, hp->n_rot, hp->rope_type);
    if (hp->scale_q_before_attn) {
        const float qscale = 1.0f / sqrtf((float)hd);
        for (int i = 0; i < f->q_dim; i++) q[i] *= qscale;
    }
    const int pos = tok_pos(f, t);
    for (int h = 0; h < hp->n_head_kv; h++) {
        kt->from_float(kk + h * hd, hone_kv_k(kv, il, h, pos), hd);
        if (!kv->v_trans) kt->from_float(v + h * hd, hone_kv_v_row(kv, il, h, pos), hd);
    }
    if (kv->v_trans)
        for (int d = 0; d < f->kv_dim; d++)
            kt->from_float(&v[d], (uint8_t *)hone_kv_v(kv, il, d) + (size_t)pos * kv->elt, 1);
}

/* ---------------------------------------------------------------- forward */

/* Per-token work of a batch (norms, RoPE + cache writes, SwiGLU, residual
 * adds): fn(r, t) for every token t < n, tokens split between threads. */
typedef struct rows_job rows_job;
struct rows_job {
    void (*fn)(const rows_job *r, int t);
    hone_forward *f;
    int n;
    float *out;          /* norm: out = rmsnorm(x) * w;  add: out += x */
    const float *x;
    const float *w;
    int layer;           /* rope */
};

static void norm_row(const rows_job *r, int t)
{
    const hone_hparams *hp = &r->f->m->hp;
    const size_t off = (size_t)t * (size_t)hp->n_embd;
    r->f->k->rmsnorm(r->out + off, r->x + off, r->w, hp->n_embd, hp->norm_eps);
}

static void add_row(const rows_job *r, int t)
{
    const size_t e = (size_t)r->f->m->hp.n_embd, off = (size_t)t * e;
    for (size_t i = 0; i < e; i++) r->out[off + i] += r->x[off + i];
}

static void rope_row(const rows_job *r, int t) { rope_and_store(r->f, r->layer, t); }

static void silu_row(const rows_job *r, int t)
{
    hone_forward *f = r->f;
    const size_t ff = (size_t)f->m->hp.n_ff;
    const float *g = f->hb + (size_t)t * (size_t)f->ff_dim2;
    f->k->silu_mul(f->hb2 + (size_t)t * ff, g, g + ff, (int)ff);
}

static void rows_worker(void *arg, int ith, int nth, int tid)
{
    (void)tid;
    const rows_job *r = arg;
    const int a = (int)((int64_t)r->n * ith / nth), b = (int)((int64_t)r->n * (ith + 1) / nth);
    for (int t = a; t < b; t++) r->fn(r, t);
}

static void for_rows(hone_forward *f, hone_threadpool *pool, rows_job r)
{
    r.f = f;
    if (r.n < ROWS_PARALLEL_MIN) rows_worker(&r, 0, 1, 0);
    else hone_threadpool_run(pool, rows_worker, &r, hone_mm_chunks(pool, r.n));
}

static void rmsnorm_rows(hone_forward *f, hone_threadpool *pool, float *out, const float *x,
                         const hone_weight *w, int n)
{
    for_rows(f, pool, (rows_job){.fn = norm_row, .n = n, .out = out, .x = x, .w = w->data});
}

static void add_rows(hone_forward *f, hone_threadpool *pool, float *x, const float *y, int n)
{
    for_rows(f, pool, (rows_job){.fn = add_row, .n = n, .out = x, .x = y});
}

/* y = src · W (+ b) for the group ws/bs[0..n), outputs side by side in
 * rows of ldy floats: the first matrix's rows at column 0, the next
 * right after, and so on (q|k|v, gate|up). */
static void matmul(hone_forward *f, hone_threadpool *pool, const float *src, int ld_src,
                   int n_tok, const hone_weight *const *ws, const hone_weight *const *bs,
                   int n, float *y, int ldy, const hone_mm_next *next)
{
    hone_mm_out outs[HONE_MM_MAX_JOBS];
    int64_t col = 0;
    for (int j = 0; j < n; j++) {
        outs[j] = (hone_mm_out){.w = ws[j], .bias = bs[j], .y = y + col, .ldy = ldy};
        col += ws[j]->rows;
    }
    hone_mm_run(f->mm, pool, src, ld_src, n_tok, outs, n, next);
}

/* The weights of the product after the one named: stage 0 qkv, 1 wo, 2
 * gate/up, 3 down (then the next layer's qkv, or the output layer). */
static hone_mm_next next_product(const hone_forward *f, int il, int stage)
{
    const hone_model *m = f->m;
    hone_mm_next nx = {.n = 0};
    const hone_weight *b[HONE_MM_MAX_JOBS];
    if (stage == 0) {
        nx.w[0] = &m->layers[il].wo;
        nx.n = 1;
    } else if (stage == 1) {
        nx.n = gate_up_matrices(&m->layers[il], nx.w, b);
    } else if (stage == 2) {
        nx.w[0] = &m->layers[il].ffn_down;
        nx.n = 1;
    } else if (il + 1 < m->hp.n_layer) {
        nx.n = qkv_matrices(&m->layers[il + 1], nx.w, b);
    } else {
        nx.w[0] = &m->output;
        nx.n = 1;
    }
    return nx;
}

/* Attention of layer il: keys and values of all n tokens go to their
 * caches; outputs (and the residual) are computed for tokens [tf, n) only
 * (tf > 0: a single sequence's last layer). */
static void attention_block(hone_forward *f, hone_threadpool *pool, int il, int n, int tf)
{
    const hone_hparams *hp = &f->m->hp;
    const hone_layer *L = &f->m->layers[il];
    rmsnorm_rows(f, pool, f->xb, f->x, &L->attn_norm, n);

    const hone_weight *w[HONE_MM_MAX_JOBS], *b[HONE_MM_MAX_JOBS];
    const int nw = qkv_matrices(L, w, b);
    const hone_mm_next n0 = next_product(f, il, 0), n1 = next_product(f, il, 1);
    matmul(f, pool, f->xb, hp->n_embd, n, w, b, nw, f->qkv, f->qkv_dim, &n0);

    for_rows(f, pool, (rows_job){.fn = rope_row, .n = n, .layer = il});
    if (tf >= n) return;
    attn_task at = {.f = f, .layer = il, .t_first = tf,
                    .kq_scale = hp->scale_q_before_attn ? 1.0f : 1.0f / sqrtf((float)hp->head_dim)};
    /* the items of every sequence, and the work they are (to decide
     * whether to wake the pool) */
    size_t work = 0;
    f->seq_items[0] = 0;
    for (int s = 0; s < f->n_seqs; s++) {
        const hone_fwd_seq *q = &f->seqs[s];
        const int nq = q->n - tf;
        const int qb = seq_qb(f, q);
        f->seq_items[s + 1] = f->seq_items[s] + hp->n_head_kv * ((nq + qb - 1) / qb);
        work += (size_t)nq * (size_t)(q->kv->n_past + q->n) * (size_t)f->q_dim * q->kv->elt * 2;
    }
    if (work < MIN_PARALLEL_BYTES) attn_worker(&at, 0, 1, 0);
    else hone_threadpool_run(pool, attn_worker, &at, hone_mm_chunks(pool, f->seq_items[f->n_seqs]));

    const size_t e = (size_t)hp->n_embd;
    matmul(f, pool, f->qkv + (size_t)tf * (size_t)f->qkv_dim, f->qkv_dim, n - tf,
           (const hone_weight *[]){&L->wo}, (const hone_weight *[]){&L->bo}, 1,
           f->xb + (size_t)tf * e, hp->n_embd, &n1);
    add_rows(f, pool, f->x + (size_t)tf * e, f->xb + (size_t)tf * e, n - tf);
}

/* The FFN of tokens [t0, t0 + n) (n <= FFN_CHUNK). */
static void ffn_block(hone_forward *f, hone_threadpool *pool, int il, int t0, int n)
{
    const hone_hparams *hp = &f->m->hp;
    const hone_layer *L = &f->m->layers[il];
    const int ff = hp->n_ff, e = hp->n_embd;
    float *x = f->x + (size_t)t0 * e, *xb = f->xb + (size_t)t0 * e;
    rmsnorm_rows(f, pool, xb, x, &L->ffn_norm, n);

    /* hb rows hold [gate | up]: a fused ffn_up (phi3) writes both halves */
    const hone_weight *w[HONE_MM_MAX_JOBS], *b[HONE_MM_MAX_JOBS];
    const int nw = gate_up_matrices(L, w, b);
    const hone_mm_next n2 = next_product(f, il, 2), n3 = next_product(f, il, 3);
    matmul(f, pool, xb, e, n, w, b, nw, f->hb, f->ff_dim2, &n2);
    for_rows(f, pool, (rows_job){.fn = silu_row, .n = n});

    matmul(f, pool, f->hb2, ff, n, (const hone_weight *[]){&L->ffn_down},
           (const hone_weight *[]){&L->ffn_down_b}, 1, xb, e, &n3);
    add_rows(f, pool, x, xb, n);
}

/* The pass over seqs: with one sequence its last layer runs only for the
 * tokens whose logits are wanted; with several, every token runs every
 * layer and the wanted rows are gathered for the output layer. */
void hone_forward_eval_seqs(hone_forward *f, hone_threadpool *pool, const hone_fwd_seq *seqs,
                            int n_seqs, float *logits)
{
    const hone_model *m = f->m;
    const hone_hparams *hp = &m->hp;
    const int e = hp->n_embd;
    f->seqs = seqs;
    f->n_seqs = n_seqs;
    int n = 0;
    for (int s = 0; s < n_seqs; s++) {
        f->seq_off[s] = n;
        for (int t = 0; t < seqs[s].n; t++) f->tok_seq[n + t] = s;
        n += seqs[s].n;
    }
    f->seq_off[n_seqs] = n;

    /* embeddings: dequantize only the rows of the tokens */
    const hone_type_kernels *te = &f->k->type[m->tok_embd.type];
    for (int s = 0; s < n_seqs; s++)
        for (int t = 0; t < seqs[s].n; t++)
            te->to_float((const uint8_t *)m->tok_embd.data +
                             (size_t)seqs[s].tokens[t] * m->tok_embd.row_bytes,
                         f->x + (size_t)(f->seq_off[s] + t) * e, e);
    rope_table(f, n);

    const int last_tf = n_seqs == 1 ? seqs[0].out_first : 0;
    for (int il = 0; il < hp->n_layer; il++) {
        /* after the last layer's keys and values, only the tokens whose
         * logits are wanted matter */
        const int tf = il == hp->n_layer - 1 ? last_tf : 0;
        attention_block(f, pool, il, n, tf);
        for (int t0 = tf; t0 < n; t0 += FFN_CHUNK)
            ffn_block(f, pool, il, t0, n - t0 < FFN_CHUNK ? n - t0 : FFN_CHUNK);
    }
    for (int s = 0; s < n_seqs; s++) seqs[s].kv->n_past += seqs[s].n;

    int n_out = 0;
    if (n_seqs == 1) {
        n_out = n - last_tf;
        if (n_out <= 0) return;
        rmsnorm_rows(f, pool, f->xb, f->x + (size_t)last_tf * e, &m->output_norm, n_out);
    } else {
        for (int s = 0; s < n_seqs; s++)
            for (int t = seqs[s].out_first; t < seqs[s].n; t++, n_out++)
                f->k->rmsnorm(f->xb + (size_t)n_out * e, f->x + (size_t)(f->seq_off[s] + t) * e,
                              m->output_norm.data, e, hp->norm_eps);
        if (n_out == 0) return;
    }
    matmul(f, pool, f->xb, e, n_out, (const hone_weight *[]){&m->output},
           (const hone_weight *[]){&m->output_b}, 1, logits, hp->n_vocab, NULL);
}

void hone_forward_eval(hone_forward *f, hone_kv_cache *kv, hone_threadpool *pool,
                       const int32_t *tokens, int n, int out_first, float *logits)
{
    const hone_fwd_seq one = {.kv = kv, .tokens = tokens, .n = n, .out_first = out_first};
    hone_forward_eval_seqs(f, pool, &one, 1, logits);
}
