/* neon_body.h — the AArch64 Advanced SIMD kernels, written once and built
 * three times: arm/neon.c (ARMv8.0: int8 products via SMULL + SADALP),
 * arm/neon_dotprod.c (HONE_NEON_DOTPROD: one SDOT per 16 bytes) and
 * arm/neon_i8mm.c (plus HONE_NEON_I8MM: SMMLA tiles in matmul).
 *
 * Integer dots are exact, so per block they equal generic's sums; the
 * float accumulation keeps generic's order (one scalar sum over blocks,
 * and for F16/BF16 eight float lanes summed in double), so most results
 * are bit-identical to generic. The activation quantizers are bit-identical
 * by construction: same multiply, same round-to-nearest-even (FCVTNS is
 * lrintf's rounding), same f16 scale conversion.
 *
 * Shared with the POWER10 set (ppc/power10.c): the per-block float loops
 * of the quantized dots (block_loops.h: this file gives each block's
 * integer sum), the 4x4 matmul driver (tile4x4.h: this file gives the
 * tiles) and the table building (table.h).
 *
 * NEON_GETTER names the table getter this inclusion defines. */
#ifndef HONE_KERNELS_NEON_BODY_H
#define HONE_KERNELS_NEON_BODY_H

#include "arm/arm.h"
#include "generic/generic.h"
#include "table.h"
#include "tile4x4.h"

#include <arm_neon.h>
#include <math.h>
#include <string.h>

#ifndef HONE_NEON_DOTPROD
#define HONE_NEON_DOTPROD 0
#endif
#ifndef HONE_NEON_I8MM
#define HONE_NEON_I8MM 0
#endif

/* acc + the 16 products a[i] * b[i], four per lane. */
static inline int32x4_t neon_dot16(int32x4_t acc, int8x16_t a, int8x16_t b)
{
#if HONE_NEON_DOTPROD
    return vdotq_s32(acc, a, b);
#else
    /* |a*b| <= 128*128 fits int16; pairs are widened into int32 */
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
#endif
}

/* --- plain types --------------------------------------------------------- */

static void neon_vec_dot_f32(int n, float *s, const void *vx, const void *vy)
{
    const float *x = vx, *y = vy;
    float32x4_t a0 = vdupq_n_f32(0), a1 = vdupq_n_f32(0), a2 = vdupq_n_f32(0),
                a3 = vdupq_n_f32(0);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = vfmaq_f32(a0, vld1q_f32(x + i), vld1q_f32(y + i));
        a1 = vfmaq_f32(a1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
        a2 = vfmaq_f32(a2, vld1q_f32(x + i + 8), vld1q_f32(y + i + 8));
        a3 = vfmaq_f32(a3, vld1q_f32(x + i + 12), vld1q_f32(y + i + 12));
    }
    for (; i + 4 <= n; i += 4) a0 = vfmaq_f32(a0, vld1q_f32(x + i), vld1q_f32(y + i));
    const float32x4_t t = vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3));
    double sum = (double)vgetq_lane_f32(t, 0) + (double)vgetq_lane_f32(t, 1) +
          (double)vgetq_lane_f32(t, 2) + (double)vgetq_lane_f32(t, 3);
    for (; i < n; i++) sum += (double)(x[i] * y[i]);
    *s = (float)sum;
}

/* F16 / BF16: products are exact in float, so eight float lanes summed in
 * double, in generic's order, give generic's bits. */
static inline float32x4_t neon_h2f(const uint16_t *p)
{
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}

static inline float32x4_t neon_bf2f(const uint16_t *p)
{
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
}

#define NEON_HALF_DOT(fname, LOAD, CONV)                                          \
    static void fname(int n, float *s, const void *vx, const void *vy)          \
    {                                                                            \
        const uint16_t *x = vx, *y = vy;                                         \
        float32x4_t lo = vdupq_n_f32(0), hi = vdupq_n_f32(0);                    \
        int i = 0;                                                               \
        for (; i + 8 <= n; i += 8) {                                             \
            lo = vaddq_f32(lo, vmulq_f32(LOAD(x + i), LOAD(y + i)));             \
            hi = vaddq_f32(hi, vmulq_f32(LOAD(x + i + 4), LOAD(y + i + 4)));     \
        }                                                                        \
        float lane[8];                                                           \
        vst1q_f32(lane, lo);                                                     \
        vst1q_f32(lane + 4, hi);                                                 \
        double sum = 0.0;                                                        \
        for (int j = 0; j < 8; j++) sum += (double)lane[j];                      \
        for (; i < n; i++) sum += (double)(CONV(x[i]) * CONV(y[i]));             \
        *s = (float)sum;                                                         \
    }

NEON_HALF_DOT(neon_vec_dot_f16, neon_h2f, hone_gen_h2f)
NEON_HALF_DOT(neon_vec_dot_bf16, neon_bf2f, hone_bf16_to_f32)

/* --- activation quantizers (bit-identical to generic) ---------------------- */

static void neon_q8_0_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        float32x4_t v[8], m = vdupq_n_f32(0);
        for (int j = 0; j < 8; j++) {
            v[j] = vld1q_f32(x + 4 * j);
            m = vmaxnmq_f32(m, vabsq_f32(v[j])); /* NaN-ignoring, as fmaxf */
        }
        const float amax = vmaxnmvq_f32(m);
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        y[i].d = hone_f32_to_f16(d);
        for (int j = 0; j < 8; j += 2) {
            /* FCVTNS: round to nearest, ties to even, as lrintf */
            const int32x4_t q0 = vcvtnq_s32_f32(vmulq_n_f32(v[j], id));
            const int32x4_t q1 = vcvtnq_s32_f32(vmulq_n_f32(v[j + 1], id));
            /* |q| <= 127: the narrowing loses nothing */
            const int16x8_t h = vcombine_s16(vmovn_s32(q0), vmovn_s32(q1));
            vst1_s8(y[i].qs + 4 * j, vmovn_s16(h));
        }
    }
}

static void neon_q8_K_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_K *y = vy;
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float32x4_t m = vdupq_n_f32(0);
        for (int j = 0; j < QK_K; j += 4) m = vmaxnmq_f32(m, vabsq_f32(vld1q_f32(x + j)));
        const float amax = vmaxnmvq_f32(m);
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        /* the first element of largest magnitude gives the sign */
        float max = 0.0f;
        for (int j = 0; j < QK_K; j++) {
            if (fabsf(x[j]) == amax) {
                max = x[j];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const int32x4_t lim = vdupq_n_s32(127);
        for (int g = 0; g < QK_K / 16; g++) {
            int32x4_t q[4];
            for (int j = 0; j < 4; j++)
                q[j] = vminq_s32(vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 16 * g + 4 * j), iscale)), lim);
            const int16x8_t h0 = vcombine_s16(vmovn_s32(q[0]), vmovn_s32(q[1]));
            const int16x8_t h1 = vcombine_s16(vmovn_s32(q[2]), vmovn_s32(q[3]));
            const int8x16_t b = vcombine_s8(vmovn_s16(h0), vmovn_s16(h1));
            vst1q_s8(y[i].qs + 16 * g, b);
            y[i].bsums[g] = (int16_t)vaddlvq_s8(b);
        }
        y[i].d = 1.0f / iscale;
    }
}

/* --- quantized dots: each block's exact integer sum (block_loops.h
 * does the float steps) --------------------------------------------------- */

static inline int simd_q4_0_isum(const block_q4_0 *x, const block_q8_0 *y)
{
    const uint8x16_t q = vld1q_u8(x->qs);
    const int8x16_t eight = vdupq_n_s8(8);
    const int8x16_t wl = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0f))), eight);
    const int8x16_t wh = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
    const int32x4_t acc = neon_dot16(vdupq_n_s32(0), wl, vld1q_s8(y->qs));
    return vaddvq_s32(neon_dot16(acc, wh, vld1q_s8(y->qs + 16)));
}

static inline int simd_q8_0_isum(const block_q8_0 *x, const block_q8_0 *y)
{
    const int32x4_t acc = neon_dot16(vdupq_n_s32(0), vld1q_s8(x->qs), vld1q_s8(y->qs));
    return vaddvq_s32(neon_dot16(acc, vld1q_s8(x->qs + 16), vld1q_s8(y->qs + 16)));
}

/* The 5th bits of a Q5_0 / Q5_1 block as 0x10 bytes: bit j of qh (little
 * endian) goes to element j; *lo gets elements 0..15, *hi 16..31. */
static inline void neon_q5_high(const uint8_t qh4[4], uint8x16_t *lo, uint8x16_t *hi)
{
    static const uint8_t BIT[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t bit = vld1q_u8(BIT), b5 = vdupq_n_u8(0x10);
    const uint8x16_t q01 = vcombine_u8(vdup_n_u8(qh4[0]), vdup_n_u8(qh4[1]));
    const uint8x16_t q23 = vcombine_u8(vdup_n_u8(qh4[2]), vdup_n_u8(qh4[3]));
    *lo = vandq_u8(vtstq_u8(q01, bit), b5);
    *hi = vandq_u8(vtstq_u8(q23, bit), b5);
}

/* sum (q - offset) * a over the 32 quants of a 4-bit (plus optional 5th
 * bit) block. */
static inline int neon_dot_nibbles(const uint8_t *qs, const uint8x16_t *h5, int offset,
                                   const int8_t *a)
{
    const uint8x16_t q = vld1q_u8(qs);
    uint8x16_t lo = vandq_u8(q, vdupq_n_u8(0x0f)), hi = vshrq_n_u8(q, 4);
    if (h5) {
        lo = vorrq_u8(lo, h5[0]);
        hi = vorrq_u8(hi, h5[1]);
    }
    const int8x16_t off = vdupq_n_s8((int8_t)offset);
    const int32x4_t acc = neon_dot16(vdupq_n_s32(0), vsubq_s8(vreinterpretq_s8_u8(lo), off), vld1q_s8(a));
    return vaddvq_s32(neon_dot16(acc, vsubq_s8(vreinterpretq_s8_u8(hi), off), vld1q_s8(a + 16)));
}

static inline int simd_q5_0_isum(const block_q5_0 *x, const block_q8_0 *y)
{
    uint8x16_t h5[2];
    neon_q5_high(x->qh, &h5[0], &h5[1]);
    return neon_dot_nibbles(x->qs, h5, 16, y->qs);
}

static inline int simd_q4_1_isum(const block_q4_1 *x, const block_q8_1 *y)
{
    return neon_dot_nibbles(x->qs, NULL, 0, y->qs);
}

static inline int simd_q5_1_isum(const block_q5_1 *x, const block_q8_1 *y)
{
    uint8x16_t h5[2];
    neon_q5_high(x->qh, &h5[0], &h5[1]);
    return neon_dot_nibbles(x->qs, h5, 0, y->qs);
}

/* Q2_K / Q3_K low 2 bits: in half h, shift k (0..3), 16-byte chunk c of
 * qs[32h..] holds the quants of sub-block 8h + 2k + c (layout in
 * generic/kquants.c). */
static inline int simd_q2_K_isum(const block_q2_K *x, const block_q8_K *y)
{
    const uint8x16_t three = vdupq_n_u8(3);
    int32x4_t acc = vdupq_n_s32(0);
    for (int h = 0; h < 2; h++) {
        for (int c = 0; c < 2; c++) {
            const uint8x16_t q = vld1q_u8(x->qs + 32 * h + 16 * c);
            const uint8x16_t w[4] = {vandq_u8(q, three), vandq_u8(vshrq_n_u8(q, 2), three),
                                     vandq_u8(vshrq_n_u8(q, 4), three), vshrq_n_u8(q, 6)};
            for (int k = 0; k < 4; k++) {
                const int sb = 8 * h + 2 * k + c;
                const int32x4_t d = neon_dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(w[k]),
                                               vld1q_s8(y->qs + 16 * sb));
                acc = vmlaq_n_s32(acc, d, x->scales[sb] & 0x0f);
            }
        }
    }
    return vaddvq_s32(acc);
}

/* Q3_K: q = low2 - 4, plus 4 where the element's hmask bit is set: element
 * 128h + 32k + l uses bit 4h + k of hmask[l]. */
static inline int simd_q3_K_isum(const block_q3_K *x, const int8_t sc[16], const block_q8_K *y)
{
    const uint8x16_t three = vdupq_n_u8(3), four = vdupq_n_u8(4);
    int32x4_t acc = vdupq_n_s32(0);
    for (int h = 0; h < 2; h++) {
        for (int c = 0; c < 2; c++) {
            const uint8x16_t q = vld1q_u8(x->qs + 32 * h + 16 * c);
            const uint8x16_t hm = vld1q_u8(x->hmask + 16 * c);
            for (int k = 0; k < 4; k++) {
                const int sb = 8 * h + 2 * k + c;
                const uint8x16_t low = vandq_u8(vshlq_u8(q, vdupq_n_s8((int8_t)(-2 * k))), three);
                const uint8x16_t hb = vtstq_u8(hm, vdupq_n_u8((uint8_t)(1u << (4 * h + k))));
                /* low2 + 4 * hbit - 4 */
                const int8x16_t w = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(low, vandq_u8(hb, four))),
                                             vreinterpretq_s8_u8(four));
                const int32x4_t d = neon_dot16(vdupq_n_s32(0), w, vld1q_s8(y->qs + 16 * sb));
                acc = vmlaq_n_s32(acc, d, sc[sb]);
            }
        }
    }
    return vaddvq_s32(acc);
}

/* sum_j m[j] * (bsums[2j] + bsums[2j+1]): the Q4_K / Q5_K min term. */
static inline int simd_kq_min_term(const uint8_t m[8], const int16_t *bsums)
{
    const int16x8_t b = vpaddq_s16(vld1q_s16(bsums), vld1q_s16(bsums + 8));
    const int16x8_t mm = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(m)));
    int32x4_t p = vmull_s16(vget_low_s16(b), vget_low_s16(mm));
    p = vmlal_high_s16(p, b, mm);
    return vaddvq_s32(p);
}

/* One Q4_K / Q5_K super-block: sum_j sc[j] * <q_j, a_j>, where the 4-bit
 * (plus 5th bit when qh) quants of 64-element group g are qs[32g..] low
 * nibbles (sub-block 2g) and high nibbles (sub-block 2g + 1). */
static inline int simd_kq_isum(const uint8_t *qs, const uint8_t *qh, const uint8_t sc[8],
                               const int8_t *a)
{
    const uint8x16_t lo4 = vdupq_n_u8(0x0f), b5 = vdupq_n_u8(0x10);
    uint8x16_t h0 = vdupq_n_u8(0), h1 = vdupq_n_u8(0);
    if (qh) {
        h0 = vld1q_u8(qh);
        h1 = vld1q_u8(qh + 16);
    }
    int32x4_t acc = vdupq_n_s32(0);
    for (int g = 0; g < 4; g++) {
        const uint8x16_t q0 = vld1q_u8(qs + 32 * g), q1 = vld1q_u8(qs + 32 * g + 16);
        uint8x16_t l0 = vandq_u8(q0, lo4), l1 = vandq_u8(q1, lo4);
        uint8x16_t u0 = vshrq_n_u8(q0, 4), u1 = vshrq_n_u8(q1, 4);
        if (qh) {
            const uint8x16_t bl = vdupq_n_u8((uint8_t)(1u << (2 * g)));
            const uint8x16_t bu = vdupq_n_u8((uint8_t)(2u << (2 * g)));
            l0 = vorrq_u8(l0, vandq_u8(vtstq_u8(h0, bl), b5));
            l1 = vorrq_u8(l1, vandq_u8(vtstq_u8(h1, bl), b5));
            u0 = vorrq_u8(u0, vandq_u8(vtstq_u8(h0, bu), b5));
            u1 = vorrq_u8(u1, vandq_u8(vtstq_u8(h1, bu), b5));
        }
        const int8_t *ag = a + 64 * g;
        int32x4_t dl = neon_dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(l0), vld1q_s8(ag));
        dl = neon_dot16(dl, vreinterpretq_s8_u8(l1), vld1q_s8(ag + 16));
        int32x4_t du = neon_dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(u0), vld1q_s8(ag + 32));
        du = neon_dot16(du, vreinterpretq_s8_u8(u1), vld1q_s8(ag + 48));
        acc = vmlaq_n_s32(acc, dl, sc[2 * g]);
        acc = vmlaq_n_s32(acc, du, sc[2 * g + 1]);
    }
    return vaddvq_s32(acc);
}

/* Q6_K: in half h, 16-byte chunk c of ql/qh gives the quants of sub-blocks
 * 8h + c, 8h + 2 + c, 8h + 4 + c, 8h + 6 + c (layout in generic/kquants.c). */
static inline int simd_q6_K_isum(const block_q6_K *x, const block_q8_K *y)
{
    const uint8x16_t lo4 = vdupq_n_u8(0x0f), three = vdupq_n_u8(3);
    const int8x16_t off = vdupq_n_s8(32);
    int32x4_t acc = vdupq_n_s32(0);
    for (int h = 0; h < 2; h++) {
        for (int c = 0; c < 2; c++) {
            const uint8x16_t la = vld1q_u8(x->ql + 64 * h + 16 * c);
            const uint8x16_t lb = vld1q_u8(x->ql + 64 * h + 32 + 16 * c);
            const uint8x16_t hb = vld1q_u8(x->qh + 32 * h + 16 * c);
            uint8x16_t q[4];
            q[0] = vorrq_u8(vandq_u8(la, lo4), vshlq_n_u8(vandq_u8(hb, three), 4));
            q[1] = vorrq_u8(vandq_u8(lb, lo4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 2), three), 4));
            q[2] = vorrq_u8(vshrq_n_u8(la, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 4), three), 4));
            q[3] = vorrq_u8(vshrq_n_u8(lb, 4), vshlq_n_u8(vshrq_n_u8(hb, 6), 4));
            for (int k = 0; k < 4; k++) {
                const int sb = 8 * h + 2 * k + c;
                const int8x16_t w = vsubq_s8(vreinterpretq_s8_u8(q[k]), off);
                const int32x4_t d = neon_dot16(vdupq_n_s32(0), w, vld1q_s8(y->qs + 16 * sb));
                acc = vmlaq_n_s32(acc, d, x->scales[sb]);
            }
        }
    }
    return vaddvq_s32(acc);
}

#include "block_loops.h"

/* --- matmul: 4 rows x 4 tokens tiles (driver: tile4x4.h) --------------------
 *
 * Without i8mm: Q4_0 / Q8_0 tiles of SDOT (or SMULL) dots. With i8mm:
 * vmmlaq_s32(acc, W, A) adds the 2x2 matrix of dots between W's two 8-byte
 * halves (two weight rows) and A's (two tokens): lanes (r0,t0) (r0,t1)
 * (r1,t0) (r1,t1); per 32 elements, 4 chunks x 4 row/token pairs = 16
 * SMMLAs give all 16 dots (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K). */

/* Block b of a row as 32 signed quants: lo = elements 0..15, hi = 16..31. */
static inline void neon_tile_weights(uint32_t wtype, const char *row, int b, int8x16_t *lo,
                                     int8x16_t *hi, float *d)
{
    if (wtype == HONE_TYPE_Q4_0) {
        const block_q4_0 *w = (const block_q4_0 *)row + b;
        const uint8x16_t q = vld1q_u8(w->qs);
        *lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0f))), vdupq_n_s8(8));
        *hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), vdupq_n_s8(8));
        *d = hone_gen_h2f(w->d);
    } else {
        const block_q8_0 *w = (const block_q8_0 *)row + b;
        *lo = vld1q_s8(w->qs);
        *hi = vld1q_s8(w->qs + 16);
        *d = hone_gen_h2f(w->d);
    }
}

/* The 16 signed quants of each Q6_K sub-block (8h + 2k + c) of a half h,
 * chunk c, as in simd_q6_K_isum. */
static inline void neon_q6_sub4(const block_q6_K *x, int h, int c, int8x16_t out[4])
{
    const uint8x16_t lo4 = vdupq_n_u8(0x0f), three = vdupq_n_u8(3);
    const uint8x16_t la = vld1q_u8(x->ql + 64 * h + 16 * c);
    const uint8x16_t lb = vld1q_u8(x->ql + 64 * h + 32 + 16 * c);
    const uint8x16_t hb = vld1q_u8(x->qh + 32 * h + 16 * c);
    const uint8x16_t q[4] = {
        vorrq_u8(vandq_u8(la, lo4), vshlq_n_u8(vandq_u8(hb, three), 4)),
        vorrq_u8(vandq_u8(lb, lo4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 2), three), 4)),
        vorrq_u8(vshrq_n_u8(la, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 4), three), 4)),
        vorrq_u8(vshrq_n_u8(lb, 4), vshlq_n_u8(vshrq_n_u8(hb, 6), 4))};
    for (int k = 0; k < 4; k++) out[k] = vsubq_s8(vreinterpretq_s8_u8(q[k]), vdupq_n_s8(32));
}

#if !HONE_NEON_I8MM
/* 4 rows x 4 tokens of Q6_K with 16-byte dots: exact int32 sums per row
 * and token (lanes = tokens), then vec_dot's float step. */
static void neon_dot_q6_tile(const char *const w[4], const char *const a[4], int nb, float *y,
                             int ldy)
{
    float32x4_t f[4];
    for (int r = 0; r < 4; r++) f[r] = vdupq_n_f32(0);
    for (int b = 0; b < nb; b++) {
        const block_q8_K *ab[4];
        for (int t = 0; t < 4; t++) ab[t] = (const block_q8_K *)a[t] + b;
        for (int r = 0; r < 4; r++) {
            const block_q6_K *x = (const block_q6_K *)w[r] + b;
            int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
            for (int h = 0; h < 2; h++) {
                for (int c = 0; c < 2; c++) {
                    int8x16_t wq[4];
                    neon_q6_sub4(x, h, c, wq);
                    for (int k = 0; k < 4; k++) {
                        const int sb = 8 * h + 2 * k + c;
                        for (int t = 0; t < 4; t++) {
                            const int32x4_t dot = neon_dot16(vdupq_n_s32(0), wq[k], vld1q_s8(ab[t]->qs + 16 * sb));
                            acc[t] = vmlaq_n_s32(acc[t], dot, x->scales[sb]);
                        }
                    }
                }
            }
            const int32x4_t sumi = vpaddq_s32(vpaddq_s32(acc[0], acc[1]), vpaddq_s32(acc[2], acc[3]));
            const float d = hone_gen_h2f(x->d);
            const float dd[4] = {d * ab[0]->d, d * ab[1]->d, d * ab[2]->d, d * ab[3]->d};
            f[r] = vaddq_f32(f[r], vmulq_f32(vld1q_f32(dd), vcvtq_f32_s32(sumi)));
        }
    }
    for (int r = 0; r < 4; r++) {
        float o[4];
        vst1q_f32(o, f[r]);
        for (int t = 0; t < 4; t++) y[(size_t)t * (size_t)ldy + (size_t)r] = o[t];
    }
}
#endif

#if !HONE_NEON_I8MM
/* 4 rows x 4 tokens of Q4_0 / Q8_0 with 16-byte dots (SDOT or SMULL). */
static void neon_dot_tile(uint32_t wtype, const char *const w[4], const char *const a[4], int nb,
                          float *y, int ldy)
{
    float32x4_t f[4]; /* f[r]: row r, lanes = tokens */
    for (int r = 0; r < 4; r++) f[r] = vdupq_n_f32(0);
    for (int b = 0; b < nb; b++) {
        int8x16_t al[4], ah[4];
        float dy[4];
        for (int t = 0; t < 4; t++) {
            const block_q8_0 *ab = (const block_q8_0 *)a[t] + b;
            al[t] = vld1q_s8(ab->qs);
            ah[t] = vld1q_s8(ab->qs + 16);
            dy[t] = hone_gen_h2f(ab->d);
        }
        for (int r = 0; r < 4; r++) {
            int8x16_t wl, wh;
            float dx;
            neon_tile_weights(wtype, w[r], b, &wl, &wh, &dx);
            int32x4_t acc[4];
            for (int t = 0; t < 4; t++)
                acc[t] = neon_dot16(neon_dot16(vdupq_n_s32(0), wl, al[t]), wh, ah[t]);
            /* lane t = the sum of acc[t]'s lanes (exact) */
            const int32x4_t sumi = vpaddq_s32(vpaddq_s32(acc[0], acc[1]), vpaddq_s32(acc[2], acc[3]));
            const float dd[4] = {dx * dy[0], dx * dy[1], dx * dy[2], dx * dy[3]};
            f[r] = vaddq_f32(f[r], vmulq_f32(vcvtq_f32_s32(sumi), vld1q_f32(dd)));
        }
    }
    for (int r = 0; r < 4; r++) {
        float o[4];
        vst1q_f32(o, f[r]);
        for (int t = 0; t < 4; t++) y[(size_t)t * (size_t)ldy + (size_t)r] = o[t];
    }
}
#endif

#if HONE_NEON_I8MM
/* The four 8-byte chunks of 32 quants (lo, hi) of two rows, paired. */
static inline void neon_pair_chunks(int8x16_t lo0, int8x16_t hi0, int8x16_t lo1, int8x16_t hi1,
                                    int8x16_t out[4])
{
    const int64x2_t l0 = vreinterpretq_s64_s8(lo0), l1 = vreinterpretq_s64_s8(lo1);
    const int64x2_t h0 = vreinterpretq_s64_s8(hi0), h1 = vreinterpretq_s64_s8(hi1);
    out[0] = vreinterpretq_s8_s64(vzip1q_s64(l0, l1));
    out[1] = vreinterpretq_s8_s64(vzip2q_s64(l0, l1));
    out[2] = vreinterpretq_s8_s64(vzip1q_s64(h0, h1));
    out[3] = vreinterpretq_s8_s64(vzip2q_s64(h0, h1));
}

static void neon_i8mm_tile(uint32_t wtype, const char *const w[4], const char *const a[4], int nb,
                           float *y, int ldy)
{
    float32x4_t f[2][2];
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++) f[p][q] = vdupq_n_f32(0);
    for (int b = 0; b < nb; b++) {
        int8x16_t wl[4], wh[4], al[4], ah[4], W[2][4], A[2][4];
        float dx[4], dy[4];
        for (int i = 0; i < 4; i++) {
            neon_tile_weights(wtype, w[i], b, &wl[i], &wh[i], &dx[i]);
            const block_q8_0 *ab = (const block_q8_0 *)a[i] + b;
            al[i] = vld1q_s8(ab->qs);
            ah[i] = vld1q_s8(ab->qs + 16);
            dy[i] = hone_gen_h2f(ab->d);
        }
        for (int p = 0; p < 2; p++) {
            neon_pair_chunks(wl[2 * p], wh[2 * p], wl[2 * p + 1], wh[2 * p + 1], W[p]);
            neon_pair_chunks(al[2 * p], ah[2 * p], al[2 * p + 1], ah[2 * p + 1], A[p]);
        }
        for (int p = 0; p < 2; p++) {
            for (int q = 0; q < 2; q++) {
                int32x4_t acc = vdupq_n_s32(0);
                for (int c = 0; c < 4; c++) acc = vmmlaq_s32(acc, W[p][c], A[q][c]);
                const float dd[4] = {dx[2 * p] * dy[2 * q], dx[2 * p] * dy[2 * q + 1],
                                     dx[2 * p + 1] * dy[2 * q], dx[2 * p + 1] * dy[2 * q + 1]};
                f[p][q] = vaddq_f32(f[p][q], vmulq_f32(vcvtq_f32_s32(acc), vld1q_f32(dd)));
            }
        }
    }
    for (int p = 0; p < 2; p++) {
        for (int q = 0; q < 2; q++) {
            float o[4];
            vst1q_f32(o, f[p][q]);
            const size_t r = (size_t)(2 * p), t = (size_t)(2 * q), ld = (size_t)ldy;
            y[t * ld + r] = o[0];
            y[(t + 1) * ld + r] = o[1];
            y[t * ld + r + 1] = o[2];
            y[(t + 1) * ld + r + 1] = o[3];
        }
    }
}

#endif

/* Sub-block j (0..7) of a Q4_K / Q5_K super-block as 32 quants 0..31:
 * lo = elements 0..15, hi = 16..31 (layout in generic/kquants.c). */
static inline void neon_kq_sub(const uint8_t *qs, const uint8_t *qh, int j, int8x16_t *lo,
                               int8x16_t *hi)
{
    uint8x16_t v0 = vld1q_u8(qs + 32 * (j / 2)), v1 = vld1q_u8(qs + 32 * (j / 2) + 16);
    if (j & 1) {
        v0 = vshrq_n_u8(v0, 4);
        v1 = vshrq_n_u8(v1, 4);
    } else {
        v0 = vandq_u8(v0, vdupq_n_u8(0x0f));
        v1 = vandq_u8(v1, vdupq_n_u8(0x0f));
    }
    if (qh) {
        const uint8x16_t bit = vdupq_n_u8((uint8_t)(1u << j)), b5 = vdupq_n_u8(0x10);
        v0 = vorrq_u8(v0, vandq_u8(vtstq_u8(vld1q_u8(qh), bit), b5));
        v1 = vorrq_u8(v1, vandq_u8(vtstq_u8(vld1q_u8(qh + 16), bit), b5));
    }
    *lo = vreinterpretq_s8_u8(v0);
    *hi = vreinterpretq_s8_u8(v1);
}

#if !HONE_NEON_I8MM
/* 4 rows x 4 tokens of Q4_K / Q5_K with 16-byte dots: each row's quants
 * and scales are unpacked once for 4 tokens; exact int32 sums, then the
 * min term and float steps of vec_dot, lane by lane (lanes = tokens). */
static void neon_dot_kq_tile(uint32_t wtype, const char *const w[4], const char *const a[4],
                             int nb, float *y, int ldy)
{
    float32x4_t f[4];
    for (int r = 0; r < 4; r++) f[r] = vdupq_n_f32(0);
    for (int b = 0; b < nb; b++) {
        const block_q8_K *ab[4];
        for (int t = 0; t < 4; t++) ab[t] = (const block_q8_K *)a[t] + b;
        for (int r = 0; r < 4; r++) {
            const uint8_t *qs, *qh;
            uint8_t sc[8], m[8];
            float d, dmin;
            blk_kq_header(wtype, w[r], b, &qs, &qh, sc, m, &d, &dmin);
            int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
            for (int j = 0; j < 8; j++) {
                int8x16_t wl, wh;
                neon_kq_sub(qs, qh, j, &wl, &wh);
                for (int t = 0; t < 4; t++) {
                    const int32x4_t dot = neon_dot16(neon_dot16(vdupq_n_s32(0), wl, vld1q_s8(ab[t]->qs + 32 * j)),
                                                     wh, vld1q_s8(ab[t]->qs + 32 * j + 16));
                    acc[t] = vmlaq_n_s32(acc[t], dot, sc[j]);
                }
            }
            const int32x4_t sumi = vpaddq_s32(vpaddq_s32(acc[0], acc[1]), vpaddq_s32(acc[2], acc[3]));
            float dd[4], mm[4], sm[4];
            for (int t = 0; t < 4; t++) {
                dd[t] = d * ab[t]->d;
                mm[t] = dmin * ab[t]->d;
                sm[t] = (float)simd_kq_min_term(m, ab[t]->bsums);
            }
            const float32x4_t v = vsubq_f32(vmulq_f32(vld1q_f32(dd), vcvtq_f32_s32(sumi)),
                                            vmulq_f32(vld1q_f32(mm), vld1q_f32(sm)));
            f[r] = vaddq_f32(f[r], v);
        }
    }
    for (int r = 0; r < 4; r++) {
        float o[4];
        vst1q_f32(o, f[r]);
        for (int t = 0; t < 4; t++) y[(size_t)t * (size_t)ldy + (size_t)r] = o[t];
    }
}
#endif

#if HONE_NEON_I8MM

/* 4 rows x 4 tokens of Q4_K / Q5_K: per sub-block of 32, 16 SMMLAs give
 * the 16 integer dots, scaled by each row's 6-bit scale into exact int32
 * sums; the min term and the float steps are vec_dot's, lane by lane. */
static void neon_i8mm_kq_tile(uint32_t wtype, const char *const w[4], const char *const a[4],
                              int nb, float *y, int ldy)
{
    float32x4_t f[2][2];
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++) f[p][q] = vdupq_n_f32(0);
    for (int b = 0; b < nb; b++) {
        const uint8_t *qs[4], *qh[4];
        uint8_t sc[4][8], m[4][8];
        float d[4], dmin[4];
        const block_q8_K *ab[4];
        for (int i = 0; i < 4; i++) {
            blk_kq_header(wtype, w[i], b, &qs[i], &qh[i], sc[i], m[i], &d[i], &dmin[i]);
            ab[i] = (const block_q8_K *)a[i] + b;
        }
        int32x4_t acc[2][2];
        for (int p = 0; p < 2; p++)
            for (int q = 0; q < 2; q++) acc[p][q] = vdupq_n_s32(0);
        for (int j = 0; j < 8; j++) {
            int8x16_t wl[4], wh[4], W[2][4], A[2][4];
            for (int i = 0; i < 4; i++) neon_kq_sub(qs[i], qh[i], j, &wl[i], &wh[i]);
            for (int p = 0; p < 2; p++) {
                neon_pair_chunks(wl[2 * p], wh[2 * p], wl[2 * p + 1], wh[2 * p + 1], W[p]);
                neon_pair_chunks(vld1q_s8(ab[2 * p]->qs + 32 * j), vld1q_s8(ab[2 * p]->qs + 32 * j + 16),
                                 vld1q_s8(ab[2 * p + 1]->qs + 32 * j),
                                 vld1q_s8(ab[2 * p + 1]->qs + 32 * j + 16), A[p]);
            }
            for (int p = 0; p < 2; p++) {
                const int32_t scl[4] = {sc[2 * p][j], sc[2 * p][j], sc[2 * p + 1][j], sc[2 * p + 1][j]};
                const int32x4_t scv = vld1q_s32(scl);
                for (int q = 0; q < 2; q++) {
                    int32x4_t dot = vdupq_n_s32(0);
                    for (int c = 0; c < 4; c++) dot = vmmlaq_s32(dot, W[p][c], A[q][c]);
                    acc[p][q] = vmlaq_s32(acc[p][q], dot, scv);
                }
            }
        }
        for (int p = 0; p < 2; p++) {
            for (int q = 0; q < 2; q++) {
                float dd[4], mm[4], sm[4];
                for (int l = 0; l < 4; l++) {
                    const int r = 2 * p + (l >> 1), t = 2 * q + (l & 1);
                    dd[l] = d[r] * ab[t]->d;
                    mm[l] = dmin[r] * ab[t]->d;
                    sm[l] = (float)simd_kq_min_term(m[r], ab[t]->bsums);
                }
                const float32x4_t v = vsubq_f32(vmulq_f32(vld1q_f32(dd), vcvtq_f32_s32(acc[p][q])),
                                                vmulq_f32(vld1q_f32(mm), vld1q_f32(sm)));
                f[p][q] = vaddq_f32(f[p][q], v);
            }
        }
    }
    for (int p = 0; p < 2; p++) {
        for (int q = 0; q < 2; q++) {
            float o[4];
            vst1q_f32(o, f[p][q]);
            const size_t r = (size_t)(2 * p), t = (size_t)(2 * q), ld = (size_t)ldy;
            y[t * ld + r] = o[0];
            y[(t + 1) * ld + r] = o[1];
            y[t * ld + r + 1] = o[2];
            y[(t + 1) * ld + r + 1] = o[3];
        }
    }
}

/* 4 rows x 4 tokens of Q6_K: per sub-block of 16, 8 SMMLAs, scaled by each
 * row's int8 scale into exact int32 sums; then vec_dot's float step. */
static void neon_i8mm_q6_tile(const char *const w[4], const char *const a[4], int nb, float *y,
                              int ldy)
{
    float32x4_t f[2][2];
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++) f[p][q] = vdupq_n_f32(0);
    for (int b = 0; b < nb; b++) {
        const block_q6_K *x[4];
        const block_q8_K *ab[4];
        for (int i = 0; i < 4; i++) {
            x[i] = (const block_q6_K *)w[i] + b;
            ab[i] = (const block_q8_K *)a[i] + b;
        }
        int32x4_t acc[2][2];
        for (int p = 0; p < 2; p++)
            for (int q = 0; q < 2; q++) acc[p][q] = vdupq_n_s32(0);
        for (int h = 0; h < 2; h++) {
            for (int c = 0; c < 2; c++) {
                int8x16_t wq[4][4];
                for (int i = 0; i < 4; i++) neon_q6_sub4(x[i], h, c, wq[i]);
                for (int k = 0; k < 4; k++) {
                    const int sb = 8 * h + 2 * k + c;
                    for (int p = 0; p < 2; p++) {
                        const int64x2_t w0 = vreinterpretq_s64_s8(wq[2 * p][k]);
                        const int64x2_t w1 = vreinterpretq_s64_s8(wq[2 * p + 1][k]);
                        const int8x16_t W0 = vreinterpretq_s8_s64(vzip1q_s64(w0, w1));
                        const int8x16_t W1 = vreinterpretq_s8_s64(vzip2q_s64(w0, w1));
                        const int32_t scl[4] = {x[2 * p]->scales[sb], x[2 * p]->scales[sb],
                                                x[2 * p + 1]->scales[sb], x[2 * p + 1]->scales[sb]};
                        const int32x4_t scv = vld1q_s32(scl);
                        for (int q = 0; q < 2; q++) {
                            const int64x2_t a0 = vreinterpretq_s64_s8(vld1q_s8(ab[2 * q]->qs + 16 * sb));
                            const int64x2_t a1 = vreinterpretq_s64_s8(vld1q_s8(ab[2 * q + 1]->qs + 16 * sb));
                            int32x4_t dot = vmmlaq_s32(vdupq_n_s32(0), W0,
                                                       vreinterpretq_s8_s64(vzip1q_s64(a0, a1)));
                            dot = vmmlaq_s32(dot, W1, vreinterpretq_s8_s64(vzip2q_s64(a0, a1)));
                            acc[p][q] = vmlaq_s32(acc[p][q], dot, scv);
                        }
                    }
                }
            }
        }
        for (int p = 0; p < 2; p++) {
            for (int q = 0; q < 2; q++) {
                float dd[4];
                for (int l = 0; l < 4; l++)
                    dd[l] = hone_gen_h2f(x[2 * p + (l >> 1)]->d) * ab[2 * q + (l & 1)]->d;
                f[p][q] = vaddq_f32(f[p][q], vmulq_f32(vld1q_f32(dd), vcvtq_f32_s32(acc[p][q])));
            }
        }
    }
    for (int p = 0; p < 2; p++) {
        for (int q = 0; q < 2; q++) {
            float o[4];
            vst1q_f32(o, f[p][q]);
            const size_t r = (size_t)(2 * p), t = (size_t)(2 * q), ld = (size_t)ldy;
            y[t * ld + r] = o[0];
            y[(t + 1) * ld + r] = o[1];
            y[t * ld + r + 1] = o[2];
            y[(t + 1) * ld + r + 1] = o[3];
        }
    }
}

#endif

/* Tile wtype's 4 rows x 4 tokens of n elements; types without a tile here
 * never get here. */
static void neon_tile(uint32_t wtype, const char *const w[4], const char *const a[4], int n,
                      float *y, int ldy)
{
#if HONE_NEON_I8MM
    if (wtype == HONE_TYPE_Q6_K)
        neon_i8mm_q6_tile(w, a, n / QK_K, y, ldy);
    else if (wtype == HONE_TYPE_Q4_K || wtype == HONE_TYPE_Q5_K)
        neon_i8mm_kq_tile(wtype, w, a, n / QK_K, y, ldy);
    else
        neon_i8mm_tile(wtype, w, a, n / QK8_0, y, ldy);
#else
    if (wtype == HONE_TYPE_Q6_K)
        neon_dot_q6_tile(w, a, n / QK_K, y, ldy);
    else if (wtype == HONE_TYPE_Q4_K || wtype == HONE_TYPE_Q5_K)
        neon_dot_kq_tile(wtype, w, a, n / QK_K, y, ldy);
    else
        neon_dot_tile(wtype, w, a, n / QK8_0, y, ldy);
#endif
}

static void neon_matmul(const hone_kernels *k, uint32_t wtype, const void *w, size_t w_row_bytes,
                        const void *act, size_t act_row_bytes, int n, int r0, int r1, int n_tok,
                        float *y, int ldy)
{
    hone_tile4x4_matmul(neon_tile, k, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok,
                        y, ldy);
}

/* --- the table --------------------------------------------------------------- */

/* What this file vectorizes; the rest is generic's (table.h). */
static hone_kernels_slot NEON = {
    .own = {
        .name = "neon",
        .type = {
            [HONE_TYPE_F32] = {.vec_dot = neon_vec_dot_f32},
            [HONE_TYPE_F16] = {.vec_dot = neon_vec_dot_f16},
            [HONE_TYPE_BF16] = {.vec_dot = neon_vec_dot_bf16},
            BLK_TYPE_ENTRIES(neon_q8_0_from_float, neon_q8_K_from_float),
        },
        .matmul = neon_matmul, /* tiles where above, else generic's vec_dot loop */
        .f32_lanes = 4, /* llama.cpp's GGML_F32_EPR here (flash attention) */
    },
};

const hone_kernels *NEON_GETTER(void)
{
    return hone_kernels_complete(&NEON);
}

#endif
