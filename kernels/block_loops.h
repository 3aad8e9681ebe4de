/* block_loops.h — the per-block float loops of the quantized dot products
 * of the 128-bit SIMD sets (arm/neon_body.h, ppc/power10.c), written once.
 *
 * Each set computes a block's exact integer sum its own way and includes
 * this header after defining these (static inline, int results):
 *   simd_q4_0_isum(const block_q4_0 *, const block_q8_0 *)   sum q*a
 *   simd_q8_0_isum(const block_q8_0 *, const block_q8_0 *)
 *   simd_q5_0_isum(const block_q5_0 *, const block_q8_0 *)
 *   simd_q4_1_isum(const block_q4_1 *, const block_q8_1 *)   sum q*a, q unsigned
 *   simd_q5_1_isum(const block_q5_1 *, const block_q8_1 *)
 *   simd_q2_K_isum(const block_q2_K *, const block_q8_K *)   sum_j sc_j <q_j, a_j>
 *   simd_q3_K_isum(const block_q3_K *, const int8_t sc[16], const block_q8_K *)
 *   simd_kq_isum(qs, qh, const uint8_t sc[8], const int8_t *a)  Q4_K (qh NULL) / Q5_K
 *   simd_kq_min_term(const uint8_t m[8], const int16_t *bsums)   sum_j m_j sum(a_j)
 *   simd_q6_K_isum(const block_q6_K *, const block_q8_K *)
 * The float steps here are generic's, in generic's order (one scalar sum
 * over blocks, no FP contraction under -std=c11), so the sets' results are
 * generic's bits; the sets' 4x4 matmul tiles (tile4x4.h) repeat them lane
 * by lane. Everything is static: each set gets its own copy, built with
 * its own flags. */
#ifndef HONE_KERNELS_BLOCK_LOOPS_H
#define HONE_KERNELS_BLOCK_LOOPS_H

#include "generic/generic.h"

/* --- 32-element blocks ----------------------------------------------------- */

static void blk_vec_dot_q4_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_0; i++)
        sum += (float)simd_q4_0_isum(&x[i], &y[i]) * (hone_gen_h2f(x[i].d) * hone_gen_h2f(y[i].d));
    *s = sum;
}

static void blk_vec_dot_q8_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q8_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_0; i++)
        sum += (float)simd_q8_0_isum(&x[i], &y[i]) * (hone_gen_h2f(x[i].d) * hone_gen_h2f(y[i].d));
    *s = sum;
}

static void blk_vec_dot_q5_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_0; i++)
        sum += (float)simd_q5_0_isum(&x[i], &y[i]) * (hone_gen_h2f(x[i].d) * hone_gen_h2f(y[i].d));
    *s = sum;
}

/* x = d*q + m: d*dy*sum(q*a) + m*s, s = dy*sum(a) precomputed by Q8_1. */
static void blk_vec_dot_q4_1(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_1 *x = vx;
    const block_q8_1 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / 32; i++)
        sum += (hone_gen_h2f(x[i].d) * hone_gen_h2f(y[i].d)) * (float)simd_q4_1_isum(&x[i], &y[i]) +
               hone_gen_h2f(x[i].m) * hone_gen_h2f(y[i].s);
    *s = sum;
}

static void blk_vec_dot_q5_1(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_1 *x = vx;
    const block_q8_1 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / 32; i++)
        sum += (hone_gen_h2f(x[i].d) * hone_gen_h2f(y[i].d)) * (float)simd_q5_1_isum(&x[i], &y[i]) +
               hone_gen_h2f(x[i].m) * hone_gen_h2f(y[i].s);
    *s = sum;
}

/* --- K-quants (layouts in generic/kquants.c) ------------------------------ */

/* Q3_K's 16 six-bit scales (stored + 32), as generic/kquants.c unpacks them. */
static inline void blk_q3_K_scales(const uint8_t *p, int8_t sc[16])
{
    for (int j = 0; j < 16; j++) {
        const int lo = j < 8 ? p[j] & 0x0f : p[j - 8] >> 4;
        const int hi = (p[8 + j % 4] >> (2 * (j / 4))) & 3;
        sc[j] = (int8_t)((lo | hi << 4) - 32);
    }
}

/* Q2_K: d * sum_j (sc_j & 15) <q_j, a_j> - dmin * sum_j (sc_j >> 4) sum(a_j). */
static void blk_vec_dot_q2_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q2_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        const int sumi = simd_q2_K_isum(&x[i], &y[i]);
        int summ = 0;
        for (int j = 0; j < QK_K / 16; j++) summ += (x[i].scales[j] >> 4) * y[i].bsums[j];
        sum += y[i].d * hone_gen_h2f(x[i].d) * (float)sumi -
               y[i].d * hone_gen_h2f(x[i].dmin) * (float)summ;
    }
    *s = sum;
}

static void blk_vec_dot_q3_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q3_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        int8_t sc[16];
        blk_q3_K_scales(x[i].scales, sc);
        sum += hone_gen_h2f(x[i].d) * y[i].d * (float)simd_q3_K_isum(&x[i], sc, &y[i]);
    }
    *s = sum;
}

/* Super-block b of a Q4_K / Q5_K row: quant pointers (qh NULL for Q4_K),
 * the 8 scales and mins, d and dmin (the matmul tiles' view of a block). */
static inline void blk_kq_header(uint32_t wtype, const char *row, int b, const uint8_t **qs,
                                 const uint8_t **qh, uint8_t sc[8], uint8_t m[8], float *d,
                                 float *dmin)
{
    const uint8_t *scales;
    if (wtype == HONE_TYPE_Q4_K) {
        const block_q4_K *x = (const block_q4_K *)row + b;
        *qs = x->qs;
        *qh = NULL;
        scales = x->scales;
        *d = hone_gen_h2f(x->d);
        *dmin = hone_gen_h2f(x->dmin);
    } else {
        const block_q5_K *x = (const block_q5_K *)row + b;
        *qs = x->qs;
        *qh = x->qh;
        scales = x->scales;
        *d = hone_gen_h2f(x->d);
        *dmin = hone_gen_h2f(x->dmin);
    }
    for (int j = 0; j < 8; j++) hone_kquant_scale_min(j, scales, &sc[j], &m[j]);
}

/* Q4_K / Q5_K: d * sum_j sc_j <q_j, a_j> - dmin * sum_j m_j sum(a_j). */
static inline void blk_vec_dot_kq(uint32_t wtype, int n, float *s, const void *vx, const void *vy)
{
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        const uint8_t *qs, *qh;
        uint8_t sc[8], m[8];
        float d, dmin;
        blk_kq_header(wtype, vx, i, &qs, &qh, sc, m, &d, &dmin);
        const int sumi = simd_kq_isum(qs, qh, sc, y[i].qs);
        const int summ = simd_kq_min_term(m, y[i].bsums);
        sum += d * y[i].d * (float)sumi - dmin * y[i].d * (float)summ;
    }
    *s = sum;
}

static void blk_vec_dot_q4_K(int n, float *s, const void *vx, const void *vy)
{
    blk_vec_dot_kq(HONE_TYPE_Q4_K, n, s, vx, vy);
}

static void blk_vec_dot_q5_K(int n, float *s, const void *vx, const void *vy)
{
    blk_vec_dot_kq(HONE_TYPE_Q5_K, n, s, vx, vy);
}

static void blk_vec_dot_q6_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q6_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++)
        sum += hone_gen_h2f(x[i].d) * y[i].d * (float)simd_q6_K_isum(&x[i], &y[i]);
    *s = sum;
}

/* The table entries (table.h) of the dots above plus the set's Q8_0 / Q8_K
 * activation quantizers: a list of designated initializers for the set's
 * .own.type, so a macro (one entry per type: no override warnings). */
#define BLK_TYPE_ENTRIES(q8_0_from_float, q8_K_from_float)                                 \
    [HONE_TYPE_Q4_0] = {.vec_dot = blk_vec_dot_q4_0},                                      \
    [HONE_TYPE_Q8_0] = {.vec_dot = blk_vec_dot_q8_0, .from_float = (q8_0_from_float)},     \
    [HONE_TYPE_Q5_0] = {.vec_dot = blk_vec_dot_q5_0},                                      \
    [HONE_TYPE_Q4_1] = {.vec_dot = blk_vec_dot_q4_1},                                      \
    [HONE_TYPE_Q5_1] = {.vec_dot = blk_vec_dot_q5_1},                                      \
    [HONE_TYPE_Q2_K] = {.vec_dot = blk_vec_dot_q2_K},                                      \
    [HONE_TYPE_Q3_K] = {.vec_dot = blk_vec_dot_q3_K},                                      \
    [HONE_TYPE_Q4_K] = {.vec_dot = blk_vec_dot_q4_K},                                      \
    [HONE_TYPE_Q5_K] = {.vec_dot = blk_vec_dot_q5_K},                                      \
    [HONE_TYPE_Q6_K] = {.vec_dot = blk_vec_dot_q6_K},                                      \
    [HONE_TYPE_Q8_K] = {.from_float = (q8_K_from_float)}

#endif
