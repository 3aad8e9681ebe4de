/* forward.c — the transformer, top to bottom (see forward.h).
 *
 *   x = embed(tokens)
 *   for each layer:
 *       h = rmsnorm(x) * attn_norm
 *       q, k, v = h·Wq (+bq), h·Wk (+bk), h·Wv (+bv)   (or one fused Wqkv)
 *       q, k = rope(q, pos), rope(k, pos)               (NORM or NEOX pairs)
 *       cache k, v;  a = softmax(q·K / sqrt(d)) · V      (causal, GQA)
 *       x += a·Wo (+bo)
 *       h = rmsnorm(x) * ffn_norm
 *       x += (silu(h·Wgate) * (h·Wup)) · Wdown          (or fused [gate;up])
 *   logits = (rmsnorm(x) * output_norm) · Wout (+bout)
 *
 * Every product with a weight matrix goes through the kernel table: the
 * activations are first converted to the weight type's vec_dot_type (8-bit
 * blocks for quantized weights, F16 for F16...), exactly as llama.cpp does,
 * then k->matmul runs on a range of weight rows per thread.
 *
 * Numerics that mirror llama.cpp on purpose (reference: ggml-cpu without
 * flash attention): the RoPE angle is advanced by repeated multiplication
 * (theta *= base^(-2/n_rot)) in float; with an F16 cache, q is rounded to
 * F16 before q·K and the softmaxed scores are rounded to F16 before the
 * product with V (both via the cache type's from_float), accumulation in
 * F32. phi3 scales q before q·K, the others scale the scores.
 *
 * Where hone differs from llama.cpp on purpose (none changes the maths):
 *   - q·K is computed only for positions some query of the item can see
 *     (llama.cpp: every cell of its padded cache, then a -inf mask);
 *   - kernels may sum in a different order than ggml's (last-bit
 *     differences; quantized models can then round one activation to the
 *     neighbouring 8-bit value: see tests/engine/test_logits.c).
 */
#include "forward.h"
#include "blas_gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per-thread row ranges are multiples of this (kernels may tile rows). */
#define ROW_ALIGN 8
#define BLAS_MIN_TOK 32 /* measured, bench-1b-f16 t=2: pp16 even, pp32 +32% */
#define MAX_JOBS 3
/* The FFN runs on slices of at most this many tokens of a micro-batch: its
 * activations (2 x n_ff per token) are the largest, and 64 tokens already
 * reuse each weight row enough. Keeps scratch memory small (peak RSS within
 * 10 % of model + KV cache). */
#define FFN_CHUNK 64
/* Below this many weight bytes x tokens a product runs on the calling
 * thread alone: waking the pool costs more than it saves. */
#define MIN_PARALLEL_BYTES (64 * 1024)
/* Attention works on the query rows (tokens x heads) that share one KV head,
 * up to this many at a time, as two matrix products through the kernel
 * table (scores = K·q, out = V·p), like llama.cpp's mul_mat. */
#define ATT_ROWS 32
/* Per-token element-wise work goes to the pool from this many tokens on. */
#define ROWS_PARALLEL_MIN 8

struct hone_forward {
    const hone_model *m;
    const hone_kernels *k;
    int n_ubatch, n_ctx, n_threads;
    int n_ctx_pad;   /* n_ctx rounded up to HONE_KV_PAD */
    uint32_t cache_type;
    int q_dim, kv_dim, qkv_dim, ff_dim2;
    float *x;        /* [U][n_embd]  residual stream */
    float *xb;       /* [U][n_embd]  normed input / sub-block output */
    float *qkv;      /* [U][qkv_dim] q | k | v per token; the attention
                        output overwrites q (q is consumed first) */
    float *hb;       /* [C][2*n_ff]  gate | up per token (C = FFN_CHUNK) */
    float *hb2;      /* [C][n_ff]    silu(gate) * up */
    float *rope;     /* [U][n_rot]   cos, sin per rotated pair */
    uint8_t *act[MAX_JOBS]; /* activations converted to vec_dot types */
    int att_qb;      /* query tokens per attention work item */
    int att_rows;    /* att_qb x heads per KV head: query rows per item */
    float *scores;   /* per thread [att_rows][n_ctx_pad] */
    uint8_t *qconv;  /* per thread [att_rows][head_dim] in the cache type */
    uint8_t *pconv;  /* per thread [att_rows][n_ctx_pad] in the cache type */
    float *aout;     /* per thread [att_rows][head_dim] */
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

static const hone_weight *layer_matrices(const hone_layer *L, int i)
{
    const hone_weight *ws[] = {&L->wq, &L->wk, &L->wv, &L->wqkv,
                               &L->wo, &L->ffn_gate, &L->ffn_up, &L->ffn_down};
    return i < 8 ? ws[i] : NULL;
}

/* Bytes of one activation buffer: the largest input, over all matrices, in
 * its vec_dot_type, for the tokens that matrix sees at once (the FFN
 * matrices (i >= 5) see FFN_CHUNK tokens, the others the micro-batch). */
static size_t act_bytes(const hone_model *m, size_t U)
{
    const size_t C = U < FFN_CHUNK ? U : FFN_CHUNK;
    size_t best = 0;
    uint64_t rb;
    for (int il = 0; il < m->hp.n_layer; il++)
        for (int i = 0; i < 8; i++) {
            const hone_weight *w = layer_matrices(&m->layers[il], i);
            if (w->data && hone_row_bytes(hone_vec_dot_type(w->type), (uint64_t)w->cols, &rb) &&
                rb * (i >= 5 ? C : U) > best)
                best = (size_t)rb * (i >= 5 ? C : U);
        }
    if (hone_row_bytes(hone_vec_dot_type(m->output.type), (uint64_t)m->output.cols, &rb) &&
        rb * U > best)
        best = (size_t)rb * U;
    return best;
}

static int distinct(const hone_weight *a, const hone_weight *b,
                    const hone_weight *c)
{
    const hone_weight *ws[3] = {a, b, c};
    uint32_t seen[3];
    int n = 0;
    for (int i = 0; i < 3; i++) {
        if (!ws[i] || !ws[i]->data) continue;
        uint32_t vt = hone_vec_dot_type(ws[i]->type);
        int j = 0;
        while (j < n && seen[j] != vt) j++;
        if (j == n) seen[n++] = vt;
    }
    return n;
}

/* Most distinct vec_dot_types among matrices sharing one input. */
static int max_distinct_types(const hone_model *m)
{
    int best = 1;
    for (int il = 0; il < m->hp.n_layer; il++) {
        const hone_layer *L = &m->layers[il];
        int a = distinct(&L->wq, &L->wk, &L->wv), b = distinct(&L->ffn_gate, &L->ffn_up, NULL);
        best = a > best ? a : best;
        best = b > best ? b : best;
    }
    return best;
}

hone_status hone_forward_create(const hone_model *m, const hone_kernels *k,
                                int n_ubatch, int n_ctx, int n_threads,
                                uint32_t cache_type, hone_forward **out,
                                hone_error *err)
{
    *out = NULL;
    hone_blas_init();
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
    bool ok = f->x && f->xb && f->qkv && f->hb && f->hb2 && f->rope;
    /* one buffer per distinct vec_dot_type a group of matrices needs */
    const size_t ab = act_bytes(m, U);
    for (int i = 0; i < max_distinct_types(m); i++) ok = (f->act[i] = fwd_alloc(f, ab, 1)) && ok;
    const int group = hp->n_head / hp->n_head_kv;
    f->att_qb = group >= ATT_ROWS ? 1 : ATT_ROWS / group;
    if (f->att_qb > n_ubatch) f->att_qb = n_ubatch;
    f->att_rows = f->att_qb * group;
    const size_t R = (size_t)n_threads * (size_t)f->att_rows;
    f->scores = fwd_alloc(f, R * (size_t)f->n_ctx_pad, sizeof(float));
    f->qconv = fwd_alloc(f, R * (size_t)hp->head_dim, elt);
    f->pconv = fwd_alloc(f, R * (size_t)f->n_ctx_pad, elt);
    f->aout = fwd_alloc(f, R * (size_t)hp->head_dim, sizeof(float));
    if (!ok || !f->scores || !f->qconv || !f->pconv || !f->aout) {
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
    for (int i = 0; i < MAX_JOBS; i++) free(f->act[i]);
    free(f->scores);
    free(f->qconv);
    free(f->pconv);
    free(f->aout);
    free(f);
}

size_t hone_forward_bytes(const hone_forward *f) { return f ? f->bytes : 0; }

/* ------------------------------------------------ matrix products (threads) */

/* Chunks for `units` independent pieces of work: a few per thread, so
 * threads that start late or run slow are balanced by the others. */
static int n_chunks(const hone_forward *f, int64_t units)
{
    int64_t c = (int64_t)f->n_threads * 4;
    if (units < c) c = units;
    return c < 1 ? 1 : (int)c;
}

/* One weight matrix applied to n_tok activation rows: y[t*ldy + r]. */
typedef struct {
    const hone_weight *w;
    const float *bias;  /* [w->rows] or NULL */
    float *y;
    int ldy;
    const void *act;    /* n_tok rows of act_rb bytes, in vec_dot_type */
    size_t act_rb;
} mm_job;

/* Up to MAX_JOBS matrices sharing one input (q/k/v, gate/up): their rows are
 * concatenated and the whole range is split evenly between threads. */
typedef struct {
    const hone_kernels *k;
    int n_tok;
    int n_jobs;
    mm_job job[MAX_JOBS];
    /* conversion of the input, done first by every thread on its tokens */
    const float *src;
    int ld_src;
} mm_task;

static void mm_worker(void *arg, int ith, int nth, int tid)
{
    (void)tid;
    const mm_task *t = arg;
    const hone_kernels *k = t->k;
    int64_t total = 0;
    for (int j = 0; j < t->n_jobs; j++) total += t->job[j].w->rows;
    int64_t per = (total + nth - 1) / nth;
    per = (per + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
    const int64_t a = per * ith, b = a + per < total ? a + per : total;
    int64_t base = 0;
    for (int j = 0; j < t->n_jobs; j++) {
        const mm_job *jb = &t->job[j];
        const int64_t rows = jb->w->rows;
        const int64_t lo = (a > base ? a : base) - base;
        const int64_t hi = (b < base + rows ? b : base + rows) - base;
        base += rows;
        if (lo >= hi) continue;
        /* F16 prompt batches: OpenBLAS sgemm on F32 row strips beats the
         * F16 kernel from BLAS_MIN_TOK tokens (native build only) */
        const bool blas = jb->w->type == HONE_TYPE_F16 && t->n_tok >= BLAS_MIN_TOK &&
                          hone_blas_f16_matmul(k->type[HONE_TYPE_F16].to_float, jb->w->data,
                                               jb->w->row_bytes, t->src, t->ld_src,
                                               (int)jb->w->cols, (int)lo, (int)hi, t->n_tok,
                                               jb->y, jb->ldy);
        if (!blas)
            k->matmul(k, jb->w->type, jb->w->data, jb->w->row_bytes, jb->act, jb->act_rb,
                      (int)jb->w->cols, (int)lo, (int)hi, t->n_tok, jb->y, jb->ldy);
        if (!jb->bias) continue;
        for (int tk = 0; tk < t->n_tok; tk++) {
            float *y = jb->y + (size_t)tk * (size_t)jb->ldy;
            for (int64_t r = lo; r < hi; r++) y[r] += jb->bias[r];
        }
    }
}

/* Convert the input rows of every job to its vec_dot_type (jobs with the
 * same type share one buffer); tokens are split between threads. */
typedef struct {
    mm_task *mm;
    hone_from_float_fn fn[MAX_JOBS];
    uint8_t *dst[MAX_JOBS];
    size_t rb[MAX_JOBS];
    int n_conv;
    int cols;
} conv_task;

static void conv_worker(void *arg, int ith, int nth, int tid)
{
    (void)tid;
    const conv_task *c = arg;
    for (int t = ith; t < c->mm->n_tok; t += nth) {
        const float *src = c->mm->src + (size_t)t * (size_t)c->mm->ld_src;
        for (int i = 0; i < c->n_conv; i++)
            c->fn[i](src, c->dst[i] + (size_t)t * c->rb[i], c->cols);
    }
}

/* y_j = src · W_j (+ b_j) for the n_jobs matrices listed in mm->job
 * (w, bias, y, ldy filled by the caller); all W_j have the same cols. */
static void matmul_group(hone_forward *f, hone_threadpool *pool, mm_task *mm)
{
    const hone_kernels *k = f->k;
    conv_task c = {.mm = mm, .cols = (int)mm->job[0].w->cols};
    uint32_t types[MAX_JOBS] = {0};
    for (int j = 0; j < mm->n_jobs; j++) {
        mm_job *jb = &mm->job[j];
        uint32_t vt = hone_vec_dot_type(jb->w->type);
        int i = 0;
        while (i < c.n_conv && types[i] != vt) i++;
        if (i == c.n_conv) {
            uint64_t rb = 0;
            hone_row_bytes(vt, (uint64_t)c.cols, &rb); /* checked at load */
            types[i] = vt;
            c.fn[i] = k->type[vt].from_float;
            c.dst[i] = f->act[i];
            c.rb[i] = (size_t)rb;
            c.n_conv++;
        }
        jb->act = c.dst[i];
        jb->act_rb = c.rb[i];
    }
    if (mm->n_tok == 1) conv_worker(&c, 0, 1, 0);
    else hone_threadpool_run(pool, conv_worker, &c, n_chunks(f, mm->n_tok));
    mm->k = k;
    /* tiny products (small models, one token) are not worth a wake-up */
    size_t work = 0;
    for (int j = 0; j < mm->n_jobs; j++)
        work += mm->job[j].w->row_bytes * (size_t)mm->job[j].w->rows;
    int64_t rows = 0;
    for (int j = 0; j < mm->n_jobs; j++) rows += mm->job[j].w->rows;
    if (work * (size_t)mm->n_tok < MIN_PARALLEL_BYTES) mm_worker(mm, 0, 1, 0);
    else hone_threadpool_run(pool, mm_worker, mm, n_chunks(f, rows / ROW_ALIGN));
}

static void mm_set(mm_task *mm, const hone_weight *w, const hone_weight *b, float *y, int ldy)
{
    mm_job *jb = &mm->job[mm->n_jobs++];
    jb->w = w;
    jb->bias = b && b->data ? b->data : NULL;
    jb->y = y;
    jb->ldy = ldy;
}

/* ------------------------------------------------------------------ RoPE */

/* cos/sin of every rotated pair for the positions pos0.. of the batch. */
static void rope_table(hone_forward *f, int pos0, int n)
{
    const hone_hparams *hp = &f->m->hp;
    const int half = hp->n_rot / 2;
    const float theta_scale = powf(hp->rope_freq_base, -2.0f / (float)hp->n_rot);
    for (int t = 0; t < n; t++) {
        float *cs = f->rope + (size_t)t * (size_t)hp->n_rot;
        float theta = (float)(pos0 + t);
        for (int i = 0; i < half; i++) {
            const float ff = f->m->rope_freqs ? f->m->rope_freqs[i] : 1.0f;
            const float th = hp->rope_freq_scale * (theta / ff);
            cs[2 * i] = cosf(th);
            cs[2 * i + 1] = sinf(th);
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
    const hone_kv_cache *kv;
    int layer, n_tok, pos0;
    int t_first;       /* queries of tokens [t_first, n_tok) */
    float kq_scale;
} attn_task;

/* One work item: KV head kvh for query tokens [t0, t0 + nt) and the heads
 * of its group. Rows i = token * group + g. Scratch belongs to the thread. */
static void attn_item(const attn_task *a, int kvh, int t0, int nt, int tid)
{
    hone_forward *f = a->f;
    const hone_hparams *hp = &f->m->hp;
    const hone_kernels *k = f->k;
    const uint32_t ct = f->cache_type;
    const hone_type_kernels *kt = &k->type[ct];
    const int hd = hp->head_dim, group = hp->n_head / hp->n_head_kv, ld = f->n_ctx_pad;
    const size_t elt = a->kv->elt, R = (size_t)f->att_rows;
    float *S = f->scores + (size_t)tid * R * (size_t)ld;
    uint8_t *Q = f->qconv + (size_t)tid * R * (size_t)hd * elt;
    uint8_t *P = f->pconv + (size_t)tid * R * (size_t)ld * elt;
    float *O = f->aout + (size_t)tid * R * (size_t)hd;
    const int rows = nt * group, n_kv_max = a->pos0 + t0 + nt;
    /* p·V runs over a padded length, a function of n_kv_max's bucket only:
     * trailing zero weights then leave each row's sum bit-identical however
     * the tokens were grouped into micro-batches and items */
    const int n_pad = (n_kv_max + HONE_KV_PAD - 1) / HONE_KV_PAD * HONE_KV_PAD;

    for (int tl = 0; tl < nt; tl++)
        for (int g = 0; g < group; g++) {
            const float *q = f->qkv + (size_t)(t0 + tl) * (size_t)f->qkv_dim +
                             (size_t)(kvh * group + g) * (size_t)hd;
            kt->from_float(q, Q + (size_t)(tl * group + g) * (size_t)hd * elt, hd);
        }
    /* S[i][j] = K[j] · q_i over every position any of these rows sees */
    k->matmul(k, ct, (const uint8_t *)hone_kv_k(a->kv, a->layer, 0) + (size_t)kvh * (size_t)hd * elt,
              (size_t)f->kv_dim * elt, Q, (size_t)hd * elt, hd, 0, n_kv_max, rows, S, ld);
    for (int i = 0; i < rows; i++) {
        float *s = S + (size_t)i * (size_t)ld;
        const int n_kv = a->pos0 + t0 + i / group + 1; /* causal: positions 0..pos */
        if (a->kq_scale != 1.0f)
            for (int j = 0; j < n_kv; j++) s[j] *= a->kq_scale;
        k->softmax(s, n_kv);
        for (int j = n_kv; j < n_pad; j++) s[j] = 0.0f; /* masked: weight 0 */
        kt->from_float(s, P + (size_t)i * (size_t)ld * elt, n_pad);
    }
    /* O[i][d] = V^T[d] · p_i */
    k->matmul(k, ct, hone_kv_v(a->kv, a->layer, kvh * hd), (size_t)a->kv->v_stride * elt, P,
              (size_t)ld * elt, n_pad, 0, hd, rows, O, hd);
    /* q (already converted) is overwritten by the output */
    for (int tl = 0; tl < nt; tl++)
        for (int g = 0; g < group; g++)
            memcpy(f->qkv + (size_t)(t0 + tl) * (size_t)f->qkv_dim +
                       (size_t)(kvh * group + g) * (size_t)hd,
                   O + (size_t)(tl * group + g) * (size_t)hd, sizeof(float) * (size_t)hd);
}

/* Items (KV head, block of query tokens) are dealt round-robin to the
 * chunks so the longer causal rows of late tokens spread evenly. */
static void attn_worker(void *arg, int ith, int nth, int tid)
{
    const attn_task *a = arg;
    const int qb = a->f->att_qb, n_kvh = a->f->m->hp.n_head_kv;
    const int items = n_kvh * ((a->n_tok - a->t_first + qb - 1) / qb);
    for (int it = ith; it < items; it += nth) {
        const int t0 = a->t_first + it / n_kvh * qb;
        attn_item(a, it % n_kvh, t0, a->n_tok - t0 < qb ? a->n_tok - t0 : qb, tid);
    }
}

/* RoPE q and k of token t, then append its k and v to the cache. */
static void rope_and_store(hone_forward *f, hone_kv_cache *kv, int il, int t)
{
    const hone_hparams *hp = &f->m->hp;
    const hone_type_kernels *kt = &f->k->type[f->cache_type];
    const int hd = hp->head_dim;
    float *q = f->qkv + (size_t)t * (size_t)f->qkv_dim;
    float *kk = q + f->q_dim, *v = kk + f->kv_dim;
    const float *cs = f->rope + (size_t)t * (size_t)hp->n_rot;
    for (int h = 0; h < hp->n_head; h++) rope_head(q + h * hd, cs, hp->n_rot, hp->rope_type);
    for (int h = 0; h < hp->n_head_kv; h++) rope_head(kk + h * hd, cs, hp->n_rot, hp->rope_type);
    if (hp->scale_q_before_attn) {
        const float qscale = 1.0f / sqrtf((float)hd);
        for (int i = 0; i < f->q_dim; i++) q[i] *= qscale;
    }
    const int pos = kv->n_past + t;
    kt->from_float(kk, hone_kv_k(kv, il, pos), f->kv_dim);
    for (int d = 0; d < f->kv_dim; d++)
        kt->from_float(&v[d], (uint8_t *)hone_kv_v(kv, il, d) + (size_t)pos * kv->elt, 1);
}

/* ---------------------------------------------------------------- forward */

/* Per-token work of a batch (norms, RoPE + cache writes, SwiGLU, residual
 * adds), split over the tokens. */
typedef enum { ROWS_NORM, ROWS_ROPE, ROWS_SILU, ROWS_ADD } rows_op;

typedef struct {
    hone_forward *f;
    rows_op op;
    int n;
    float *out;          /* NORM: out = rmsnorm(x) * w;  ADD: out += x */
    const float *x;
    const float *w;
    hone_kv_cache *kv;   /* ROPE */
    int layer;
} rows_task;

static void rows_one(const rows_task *r, int t)
{
    hone_forward *f = r->f;
    const size_t e = (size_t)f->m->hp.n_embd, ff = (size_t)f->m->hp.n_ff, tt = (size_t)t;
    switch (r->op) {
    case ROWS_NORM:
        f->k->rmsnorm(r->out + tt * e, r->x + tt * e, r->w, (int)e, f->m->hp.norm_eps);
        break;
    case ROWS_ROPE:
        rope_and_store(f, r->kv, r->layer, t);
        break;
    case ROWS_SILU: {
        const float *g = f->hb + tt * (size_t)f->ff_dim2;
        f->k->silu_mul(f->hb2 + tt * ff, g, g + ff, (int)ff);
        break;
    }
    case ROWS_ADD:
        for (size_t i = 0; i < e; i++) r->out[tt * e + i] += r->x[tt * e + i];
        break;
    }
}

static void rows_worker(void *arg, int ith, int nth, int tid)
{
    (void)tid;
    const rows_task *r = arg;
    const int a = (int)((int64_t)r->n * ith / nth), b = (int)((int64_t)r->n * (ith + 1) / nth);
    for (int t = a; t < b; t++) rows_one(r, t);
}

static void for_rows(hone_forward *f, hone_threadpool *pool, rows_task r)
{
    r.f = f;
    if (r.n < ROWS_PARALLEL_MIN) rows_worker(&r, 0, 1, 0);
    else hone_threadpool_run(pool, rows_worker, &r, n_chunks(f, r.n));
}

static void rmsnorm_rows(hone_forward *f, hone_threadpool *pool, float *out, const float *x,
                         const hone_weight *w, int n)
{
    for_rows(f, pool, (rows_task){.op = ROWS_NORM, .n = n, .out = out, .x = x, .w = w->data});
}

static void add_rows(hone_forward *f, hone_threadpool *pool, float *x, const float *y, int n)
{
    for_rows(f, pool, (rows_task){.op = ROWS_ADD, .n = n, .out = x, .x = y});
}

/* Attention of layer il: keys and values of all n tokens go to the cache;
 * outputs (and the residual) are computed for tokens [tf, n) only. */
static void attention_block(hone_forward *f, hone_kv_cache *kv, hone_threadpool *pool,
                            int il, int n, int tf)
{
    const hone_hparams *hp = &f->m->hp;
    const hone_layer *L = &f->m->layers[il];
    rmsnorm_rows(f, pool, f->xb, f->x, &L->attn_norm, n);

    mm_task mm = {.n_tok = n, .src = f->xb, .ld_src = hp->n_embd};
    if (L->wqkv.data) {
        mm_set(&mm, &L->wqkv, &L->bqkv, f->qkv, f->qkv_dim);
    } else {
        mm_set(&mm, &L->wq, &L->bq, f->qkv, f->qkv_dim);
        mm_set(&mm, &L->wk, &L->bk, f->qkv + f->q_dim, f->qkv_dim);
        mm_set(&mm, &L->wv, &L->bv, f->qkv + f->q_dim + f->kv_dim, f->qkv_dim);
    }
    matmul_group(f, pool, &mm);

    for_rows(f, pool, (rows_task){.op = ROWS_ROPE, .n = n, .kv = kv, .layer = il});
    if (tf >= n) return;
    attn_task at = {.f = f, .kv = kv, .layer = il, .n_tok = n, .pos0 = kv->n_past, .t_first = tf,
                    .kq_scale = hp->scale_q_before_attn ? 1.0f : 1.0f / sqrtf((float)hp->head_dim)};
    const size_t work = (size_t)(n - tf) * (size_t)(kv->n_past + n) * (size_t)f->q_dim * kv->elt * 2;
    if (work < MIN_PARALLEL_BYTES) attn_worker(&at, 0, 1, 0);
    else hone_threadpool_run(pool, attn_worker, &at,
                             n_chunks(f, hp->n_head_kv * ((n - tf + f->att_qb - 1) / f->att_qb)));

    const size_t e = (size_t)hp->n_embd;
    mm_task mo = {.n_tok = n - tf, .src = f->qkv + (size_t)tf * (size_t)f->qkv_dim,
                  .ld_src = f->qkv_dim};
    mm_set(&mo, &L->wo, &L->bo, f->xb + (size_t)tf * e, hp->n_embd);
    matmul_group(f, pool, &mo);
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
    mm_task mm = {.n_tok = n, .src = xb, .ld_src = e};
    if (L->ffn_gate.data) {
        mm_set(&mm, &L->ffn_gate, &L->ffn_gate_b, f->hb, f->ff_dim2);
        mm_set(&mm, &L->ffn_up, &L->ffn_up_b, f->hb + ff, f->ff_dim2);
    } else {
        mm_set(&mm, &L->ffn_up, &L->ffn_up_b, f->hb, f->ff_dim2);
    }
    matmul_group(f, pool, &mm);
    for_rows(f, pool, (rows_task){.op = ROWS_SILU, .n = n});

    mm_task md = {.n_tok = n, .src = f->hb2, .ld_src = ff};
    mm_set(&md, &L->ffn_down, &L->ffn_down_b, xb, e);
    matmul_group(f, pool, &md);
    add_rows(f, pool, x, xb, n);
}

void hone_forward_eval(hone_forward *f, hone_kv_cache *kv, hone_threadpool *pool,
                       const int32_t *tokens, int n, int out_first, float *logits)
{
    const hone_model *m = f->m;
    const hone_hparams *hp = &m->hp;
    const int e = hp->n_embd;

    /* embeddings: dequantize only the rows of the tokens */
    const hone_type_kernels *te = &f->k->type[m->tok_embd.type];
    for (int t = 0; t < n; t++)
        te->to_float((const uint8_t *)m->tok_embd.data +
                         (size_t)tokens[t] * m->tok_embd.row_bytes,
                     f->x + (size_t)t * e, e);
    rope_table(f, kv->n_past, n);

    for (int il = 0; il < hp->n_layer; il++) {
        /* after the last layer's keys and values, only the tokens whose
         * logits are wanted matter */
        const int tf = il == hp->n_layer - 1 ? out_first : 0;
        attention_block(f, kv, pool, il, n, tf);
        for (int t0 = tf; t0 < n; t0 += FFN_CHUNK)
            ffn_block(f, pool, il, t0, n - t0 < FFN_CHUNK ? n - t0 : FFN_CHUNK);
    }
    kv->n_past += n;

    const int n_out = n - out_first;
    if (n_out <= 0) return;
    rmsnorm_rows(f, pool, f->xb, f->x + (size_t)out_first * e, &m->output_norm, n_out);
    mm_task mm = {.n_tok = n_out, .src = f->xb, .ld_src = e};
    mm_set(&mm, &m->output, &m->output_b, logits, hp->n_vocab);
    matmul_group(f, pool, &mm);
}
