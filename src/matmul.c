/* matmul.c — the matmul scheduler (see matmul.h). */
#include "matmul.h"

#include "blas_gemm.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* F16 prompt batches: BLAS sgemm on F32 row strips beats the F16 kernel
 * from this many tokens (measured, bench-1b-f16 t=2: pp16 even, pp32 +32%). */
#define BLAS_MIN_TOK 32
/* Below this many weight bytes x tokens a product runs on the calling
 * thread alone: waking the pool costs more than it saves. */
#define MIN_PARALLEL_BYTES (64 * 1024)
/* Decode (up to this many tokens): each thread fetches the start of its
 * part of the next product when done with its rows. bench-1b tg64 t=2,
 * interleaved pairs in fast hours: 32 KiB +0.8 %, 128 KiB +1.5 % (Q4_0)
 * and +1.9 % (Q4_K_M), 384 KiB the same as 128. */
#define NEXT_FETCH_MAX_TOK 4
#define NEXT_FETCH_BYTES ((size_t)128 * 1024)
/* Decode and a server's few-token steps (up to STEAL_MAX_TOK tokens: the
 * few-token kernels' reach): a thread done with its own part takes pieces
 * of about this many weight bytes off the back of a part still running
 * (in whole 16-row groups: the repacked layouts' unit). */
#define STEAL_MAX_TOK 16
#define STEAL_BYTES ((size_t)64 * 1024)
#define STEAL_ROWS 16

/* One thread's part of a decode product, front << 32 | back (rows of the
 * concatenated outputs): its owner takes pieces off the front, others off
 * the back. A line each, as the owners' claims would otherwise contend. */
typedef struct {
    _Alignas(64) _Atomic uint64_t fb;
} mm_part;

struct hone_mm {
    const hone_kernels *k;
    int n_threads;
    mm_part *parts;                 /* [n_threads] */
    uint8_t *act[HONE_MM_MAX_JOBS]; /* the input in each vec_dot_type */
    float *blas;                    /* per thread [HONE_BLAS_STRIP][f16_cols] */
    size_t blas_floats;             /* per thread; 0: no BLAS */
    size_t bytes;
};

/* ------------------------------------------------------------- planning */

/* Distinct vec_dot_types among ws[0..n): *types gets them in first-seen
 * order, the count is returned. */
static int distinct_types(const hone_weight *const *ws, int n, uint32_t *types)
{
    int nt = 0;
    for (int i = 0; i < n; i++) {
        if (!ws[i] || !ws[i]->data) continue;
        const uint32_t vt = hone_vec_dot_type(ws[i]->type);
        int j = 0;
        while (j < nt && types[j] != vt) j++;
        if (j == nt) types[nt++] = vt;
    }
    return nt;
}

void hone_mm_plan_add(hone_mm_plan *p, const hone_weight *const *ws, int n, int max_tok)
{
    uint32_t types[HONE_MM_MAX_JOBS];
    const int nt = distinct_types(ws, n, types);
    if (nt > p->n_act) p->n_act = nt;
    for (int i = 0; i < n; i++) {
        const hone_weight *w = ws[i];
        if (!w || !w->data) continue;
        uint64_t rb;
        if (hone_row_bytes(hone_vec_dot_type(w->type), (uint64_t)w->cols, &rb) &&
            rb * (uint64_t)max_tok > p->act_bytes)
            p->act_bytes = (size_t)(rb * (uint64_t)max_tok);
        if (w->type == HONE_TYPE_F16 && w->cols > p->f16_cols) p->f16_cols = w->cols;
    }
}

/* Not zeroed: every element is written before it is read, and untouched
 * pages of a large buffer then cost no memory. */
static void *mm_alloc(hone_mm *s, size_t bytes)
{
    bytes = (bytes + 63) & ~(size_t)63;
    if (bytes == 0) bytes = 64;
    s->bytes += bytes;
    return aligned_alloc(64, bytes);
}

hone_status hone_mm_create(const hone_kernels *k, int n_threads, const hone_mm_plan *p,
                           hone_mm **out, hone_error *err)
{
    *out = NULL;
    hone_mm *s = calloc(1, sizeof *s);
    if (!s) return hone_fail(err, HONE_ERR_NOMEM, "out of memory (matmul scheduler)");
    s->k = k;
    s->n_threads = n_threads;
    bool ok = (s->parts = mm_alloc(s, sizeof(mm_part) * (size_t)n_threads)) != NULL;
    for (int i = 0; i < p->n_act && i < HONE_MM_MAX_JOBS; i++)
        ok = (s->act[i] = mm_alloc(s, p->act_bytes)) && ok;
    if (k->gemm_f16 && p->f16_cols > 0) {
        s->blas_floats = (size_t)HONE_BLAS_STRIP * (size_t)p->f16_cols;
        ok = (s->blas = mm_alloc(s, (size_t)n_threads * s->blas_floats * sizeof(float))) && ok;
    }
    if (!ok) {
        size_t b = s->bytes;
        hone_mm_free(s);
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for %zu MiB of matmul buffers",
                         b >> 20);
    }
    *out = s;
    return HONE_OK;
}

void hone_mm_free(hone_mm *s)
{
    if (!s) return;
    for (int i = 0; i < HONE_MM_MAX_JOBS; i++) free(s->act[i]);
    free(s->parts);
    free(s->blas);
    free(s);
}

size_t hone_mm_bytes(const hone_mm *s) { return s ? s->bytes : 0; }

/* per_thread parts per pool thread, at most one per unit, at least one. */
static int pool_parts(const hone_threadpool *pool, int64_t units, int per_thread)
{
    int64_t c = (int64_t)hone_threadpool_n_threads(pool) * per_thread;
    if (units < c) c = units;
    return c < 1 ? 1 : (int)c;
}

int hone_mm_chunks(const hone_threadpool *pool, int64_t units) { return pool_parts(pool, units, 4); }

/* -------------------------------------------------------------- running */

/* One call's work: the outputs, each with its converted input. */
typedef struct {
    hone_mm *s;
    const hone_mm_out *outs;
    int n_outs;
    int n_tok;
    const float *src;            /* the F32 input (BLAS reads it) */
    int ld_src;
    const uint8_t *act[HONE_MM_MAX_JOBS]; /* per output: converted input */
    size_t act_rb[HONE_MM_MAX_JOBS];
    /* the conversions: one per distinct vec_dot_type */
    int n_conv;
    hone_from_float_fn conv_fn[HONE_MM_MAX_JOBS];
    uint8_t *conv_dst[HONE_MM_MAX_JOBS];
    size_t conv_rb[HONE_MM_MAX_JOBS];
    int cols;
    const hone_mm_next *next;    /* fetch its start when done (decode) */
    int64_t total;               /* rows of all outputs */
    int64_t steal;               /* rows of a stolen piece; 0: no stealing
                                    (parts in HONE_MM_ROW_ALIGN rows, else
                                    in STEAL_ROWS) */
} mm_call;

/* Thread ith's part of nth of the concatenated rows of total, in
 * multiples of align rows. */
static void part_of(int64_t total, int align, int ith, int nth, int64_t *a, int64_t *b)
{
    int64_t per = (total + nth - 1) / nth;
    per = (per + align - 1) / align * align;
    *a = per * ith < total ? per * ith : total;
    *b = *a + per < total ? *a + per : total;
}

/* The first NEXT_FETCH_BYTES of thread ith's part of the next product
 * (split as mm_worker will split it), into L2: the thread would otherwise wait at the join or while the main
 * thread does the steps between products, and then start the next product
 * on rows from memory before its fetch-ahead has caught up. */
static void prefetch_next(const mm_call *c, int ith, int nth)
{
    const hone_mm_next *nx = c->next;
    int64_t total = 0;
    for (int j = 0; j < nx->n; j++) total += nx->w[j]->rows;
    int64_t a, b;
    part_of(total, STEAL_ROWS, ith, nth, &a, &b);
    int64_t base = 0;
    for (int j = 0; j < nx->n; j++) {
        const hone_weight *w = nx->w[j];
        if (a < base + w->rows) {
            const char *p = (const char *)w->data + (size_t)(a - base) * w->row_bytes;
            size_t left = (size_t)(base + w->rows - a) * w->row_bytes;
            size_t n = NEXT_FETCH_BYTES < left ? NEXT_FETCH_BYTES : left;
            for (size_t o = 0; o < n; o += 64) __builtin_prefetch(p + o, 0, 2);
            return;
        }
        base += w->rows;
    }
}

static void conv_worker(void *arg, int ith, int nth, int tid)
{
    (void)tid;
    const mm_call *c = arg;
    for (int t = ith; t < c->n_tok; t += nth) {
        const float *src = c->src + (size_t)t * (size_t)c->ld_src;
        for (int i = 0; i < c->n_conv; i++)
            c->conv_fn[i](src, c->conv_dst[i] + (size_t)t * c->conv_rb[i], c->cols);
    }
}

/* Rows [a, b) of all outputs, concatenated. */
static void mm_rows(const mm_call *c, int64_t a, int64_t b, int tid)
{
    const hone_kernels *k = c->s->k;
    int64_t base = 0;
    for (int j = 0; j < c->n_outs; j++) {
        const hone_mm_out *o = &c->outs[j];
        const hone_weight *w = o->w;
        const int64_t lo = (a > base ? a : base) - base;
        const int64_t hi = (b < base + w->rows ? b : base + w->rows) - base;
        base += w->rows;
        if (lo >= hi) continue;
        if (w->type == HONE_TYPE_F16 && c->n_tok >= BLAS_MIN_TOK && c->s->blas)
            k->gemm_f16(k, w->data, w->row_bytes, c->src, c->ld_src, (int)w->cols, (int)lo,
                        (int)hi, c->n_tok, o->y, o->ldy,
                        c->s->blas + (size_t)tid * c->s->blas_floats);
        else
            k->matmul(k, w->type | (w->repacked ? HONE_WTYPE_R16 : 0), w->data, w->row_bytes, c->act[j], c->act_rb[j], (int)w->cols,
                      (int)lo, (int)hi, c->n_tok, o->y, o->ldy);
        if (!o->bias || !o->bias->data) continue;
        const float *bias = o->bias->data;
        for (int tk = 0; tk < c->n_tok; tk++) {
            float *y = o->y + (size_t)tk * (size_t)o->ldy;
            for (int64_t r = lo; r < hi; r++) y[r] += bias[r];
        }
    }
}

static uint64_t fb_pack(int64_t f, int64_t b) { return (uint64_t)f << 32 | (uint64_t)b; }

/* Decode: part ith runs front to back in a few pieces (three quarters of
 * what is left each time: each call carries on the last one's stream),
 * then its thread takes pieces off the back of the parts still running.
 * The two threads of a 2-core machine stream memory at unequal speeds (on
 * a Zen 5 guest one finished its even half 6 % of a product later in 82 %
 * of the products), which a fixed split leaves as a wait at the join. */
static void mm_steal(const mm_call *c, int ith, int nth, int tid)
{
    const int64_t al = STEAL_ROWS;
    mm_part *parts = c->s->parts;
    for (;;) {
        uint64_t w = atomic_load_explicit(&parts[ith].fb, memory_order_acquire);
        const int64_t f = (int64_t)(w >> 32), b = (int64_t)(uint32_t)w;
        if (f >= b) break;
        int64_t n = (b - f) * 3 / 4;
        if (n < c->steal) n = c->steal;
        int64_t e = (f + n + al - 1) / al * al;
        if (e > b) e = b;
        if (atomic_compare_exchange_weak_explicit(&parts[ith].fb, &w, fb_pack(e, b), memory_order_acq_rel,
                                                  memory_order_acquire))
            mm_rows(c, f, e, tid);
    }
    for (int d = 1; d < nth; d++) {
        mm_part *p = &parts[(ith + d) % nth];
        for (;;) {
            uint64_t w = atomic_load_explicit(&p->fb, memory_order_acquire);
            const int64_t f = (int64_t)(w >> 32), b = (int64_t)(uint32_t)w;
            if (f >= b) break;
            int64_t s = (b - c->steal) / al * al;
            if (s < f) s = f;
            if (atomic_compare_exchange_weak_explicit(&p->fb, &w, fb_pack(f, s), memory_order_acq_rel,
                                                      memory_order_acquire))
                mm_rows(c, s, b, tid);
        }
    }
}

/* The rows of all outputs, concatenated, split evenly between chunks
 * (one per thread: hone_mm_run). */
static void mm_worker(void *arg, int ith, int nth, int tid)
{
    const mm_call *c = arg;
    if (c->steal) {
        mm_steal(c, ith, nth, tid);
    } else {
        int64_t a, b;
        part_of(c->total, HONE_MM_ROW_ALIGN, ith, nth, &a, &b);
        mm_rows(c, a, b, tid);
    }
    if (c->next) prefetch_next(c, ith, nth);
}

void hone_mm_run(hone_mm *s, hone_threadpool *pool, const float *src, int ld_src, int n_tok,
                 const hone_mm_out *outs, int n_outs, const hone_mm_next *next)
{
    const hone_kernels *k = s->k;
    mm_call c = {.s = s, .outs = outs, .n_outs = n_outs, .n_tok = n_tok, .src = src,
                 .ld_src = ld_src, .cols = (int)outs[0].w->cols,
                 .next = n_tok <= NEXT_FETCH_MAX_TOK ? next : NULL};
    uint32_t types[HONE_MM_MAX_JOBS];
    for (int j = 0; j < n_outs; j++) {
        const uint32_t vt = hone_vec_dot_type(outs[j].w->type);
        int i = 0;
        while (i < c.n_conv && types[i] != vt) i++;
        if (i == c.n_conv) {
            uint64_t rb = 0;
            hone_row_bytes(vt, (uint64_t)c.cols, &rb); /* checked at load */
            types[i] = vt;
            c.conv_fn[i] = k->type[vt].from_float;
            c.conv_dst[i] = s->act[i];
            c.conv_rb[i] = (size_t)rb;
            c.n_conv++;
        }
        c.act[j] = c.conv_dst[i];
        c.act_rb[j] = c.conv_rb[i];
    }
    if (n_tok == 1) conv_worker(&c, 0, 1, 0);
    else hone_threadpool_run(pool, conv_worker, &c, hone_mm_chunks(pool, n_tok));
    /* tiny products (small models, one token) are not worth a wake-up */
    size_t work = 0;
    int64_t rows = 0;
    for (int j = 0; j < n_outs; j++) {
        work += outs[j].w->row_bytes * (size_t)outs[j].w->rows;
        rows += outs[j].w->rows;
    }
    c.total = rows;
    if (work * (size_t)n_tok < MIN_PARALLEL_BYTES) mm_worker(&c, 0, 1, 0);
    /* One contiguous part per thread. Each extra part costs a cold start
     * (its first rows come from memory before any fetch-ahead) and the
     * kernels' per-call setup (activations laid out, scales): against 4
     * parts per thread, bench-1b Q4_K_M tg t=2 +5 %, Q4_0 pp512 +2 %
     * (with 4 per thread whose first took 3/4 of the rows: tg +0 %).
     * Decode then balances the parts by stealing (mm_steal): bench-1b tg64
     * t=2 on a Zen 5 guest, interleaved, Q4_0 +4.5-5.1 %, Q4_K_M +3.6 %,
     * Q8_0 +4.6 % (pieces of 32 KiB: +0 %, 128 KiB: +3.9 %; halves
     * instead of three quarters: +4.7 %); up to 16 tokens too: pp8
     * Q4_K_M +7 %, pp12 Q4_0 +3.2 %. On prompts it gained nothing
     * measurable (pp512 +0.2-0.4 %), so they keep the fixed split. */
    else {
        const int nth = pool_parts(pool, rows / HONE_MM_ROW_ALIGN, 1);
        if (n_tok <= STEAL_MAX_TOK && nth <= s->n_threads && rows < ((int64_t)1 << 31)) {
            const size_t rb = outs[0].w->row_bytes ? outs[0].w->row_bytes : 1;
            c.steal = (int64_t)((STEAL_BYTES / rb + STEAL_ROWS - 1) / STEAL_ROWS * STEAL_ROWS);
            if (c.steal < STEAL_ROWS) c.steal = STEAL_ROWS;
            for (int i = 0; i < nth; i++) {
                int64_t a, b;
                part_of(rows, STEAL_ROWS, i, nth, &a, &b);
                atomic_store_explicit(&s->parts[i].fb, fb_pack(a, b), memory_order_relaxed);
            }
        }
        hone_threadpool_run(pool, mm_worker, &c, nth);
    }
}
