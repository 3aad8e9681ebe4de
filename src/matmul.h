/* matmul.h — the matmul scheduler: every product of weight matrices with a
 * batch of activation rows goes through here, and nothing else in the
 * forward pass knows about threads or activation formats.
 *
 * One call (hone_mm_run) takes up to HONE_MM_MAX_JOBS matrices that share
 * one input (q/k/v, gate/up, or a single matrix) and:
 *   1. converts the input rows once per distinct vec_dot_type of those
 *      matrices (8-bit blocks for quantized weights, F16 for F16, ...),
 *      tokens split between threads;
 *   2. concatenates the matrices' rows and splits them evenly between the
 *      pool's threads (multiples of HONE_MM_ROW_ALIGN rows: kernels tile
 *      rows), each thread calling the kernel table's matmul on its rows, or
 *      the table's BLAS gemm for F16 weights in prompt batches; on a few
 *      tokens (decode, up to 16) a thread done with its part takes pieces off
 *      the back of a part still running, so a slower core does not hold
 *      up the product;
 *   3. adds the optional biases on the same rows.
 *
 * Buffers (converted activations, per-thread BLAS strips) are sized once
 * from a plan of every product the caller will run, so running allocates
 * nothing. A scheduler is used by one thread at a time.
 */
#ifndef HONE_MATMUL_H
#define HONE_MATMUL_H

#include "kernels.h"
#include "model_impl.h"
#include "status.h"
#include "threadpool.h"

#define HONE_MM_MAX_JOBS 3
/* Per-thread row ranges are multiples of this (kernels may tile rows). */
#define HONE_MM_ROW_ALIGN 8

/* One matrix of a product: y[t * ldy + r] = x_t · W_r (+ bias[r]). */
typedef struct {
    const hone_weight *w;
    const hone_weight *bias; /* NULL or data NULL: no bias */
    float *y;
    int ldy;
} hone_mm_out;

/* What the scheduler must hold buffers for: filled by hone_mm_plan_add
 * for every group of matrices the caller will run. Zero-initialise. */
typedef struct {
    size_t act_bytes;  /* largest converted input, over all groups */
    int n_act;         /* most distinct vec_dot_types in one group */
    int64_t f16_cols;  /* widest F16 matrix (BLAS strips), 0: none */
} hone_mm_plan;

/* Plan for the group ws[0..n) (a NULL entry or one without data is
 * skipped) run on up to max_tok tokens at once. */
void hone_mm_plan_add(hone_mm_plan *p, const hone_weight *const *ws, int n, int max_tok);

typedef struct hone_mm hone_mm;

/* A scheduler for kernel table k, run by up to n_threads threads. */
hone_status hone_mm_create(const hone_kernels *k, int n_threads, const hone_mm_plan *p,
                           hone_mm **out, hone_error *err);
void hone_mm_free(hone_mm *s);
/* Bytes of its buffers (for memory reports). */
size_t hone_mm_bytes(const hone_mm *s);

/* The matrices of the product the caller runs next (a decode step's
 * order is fixed: q|k|v, o, gate|up, down, the next layer's q|k|v). */
typedef struct {
    const hone_weight *w[HONE_MM_MAX_JOBS];
    int n;
} hone_mm_next;

/* outs[j].y = src · W_j (+ b_j) for j < n_outs (1..HONE_MM_MAX_JOBS
 * matrices with the same number of columns, planned), over n_tok input
 * rows of src, ld_src floats apart. next (NULL: unknown): on a few tokens
 * each thread, done with its rows, fetches the start of its part of that
 * product into L2, so the next product does not begin cold. */
void hone_mm_run(hone_mm *s, hone_threadpool *pool, const float *src, int ld_src, int n_tok,
                 const hone_mm_out *outs, int n_outs, const hone_mm_next *next);

/* Chunks for `units` independent pieces of work: a few per thread, so
 * threads that start late or run slow are balanced by the others. */
int hone_mm_chunks(const hone_threadpool *pool, int64_t units);

#endif
