/* quantize_kref.c — the reference weight quantizers of the K-quants
 * Q2_K..Q6_K (see kernels/quant_ref.h): ggml's scale searches without an
 * importance matrix, step for step, so the bytes match llama-quantize's.
 *
 * A super-block of 256 is cut into sub-blocks (16 of 16 for Q2_K, Q3_K,
 * Q6_K; 8 of 32 for Q4_K, Q5_K). Each sub-block gets its own best scale
 * (and min) by a small search; the scales are then quantized against the
 * super-block's largest (6 or 8 bits, 4 for Q2_K), and finally the
 * elements are re-quantized with the scales as stored. Every expression
 * keeps ggml's order of float operations: reordering a sum changes the
 * last bits of a scale, and so a level here and there. */
#include "generic.h"
#include "quant_ref.h"

#include <math.h>
#include <string.h>

#define GROUP_EPS 1e-15f /* below this a group is all zero (ggml's GROUP_MAX_EPS) */

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

/* Round to nearest, ties to even, by adding 1.5 * 2^23 (valid for
 * |f| < 2^22): the float adder does the rounding, as ggml's nearest_int. */
static int round_even(float f)
{
    const float v = f + 12582912.0f;
    int32_t i;
    memcpy(&i, &v, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

/* The maxima of scales and mins start at +0 and only a larger value
 * replaces them, so an all-zero super-block keeps +0 even though its
 * mins are -0. GCC for POWER10 turns those loops into max instructions
 * that return -0 there (a -0 dmin: one byte off llama-quantize's file);
 * adding +0 maps -0 to +0 and changes nothing else (x + 0 cannot be
 * folded away, as it would lose exactly this). */
static float plus_zero(float f)
{
    return f + 0.0f;
}

/* Q3_K's sub-blocks (ggml's make_q3_quants with rmse): levels from the
 * signed absmax, then up to 5 passes moving single levels where that
 * improves the x^2-weighted fit. L gets level + nmax. */
static float fit_q3(int n, int nmax, const float *x, int8_t *L)
{
    float max = 0.0f, amax = 0.0f;
    for (int i = 0; i < n; i++) {
        const float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < GROUP_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    const float iscale = (float)-nmax / max;
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; i++) {
        const int l = imax(-nmax, imin(nmax - 1, round_even(iscale * x[i])));
        L[i] = (int8_t)l;
        const float w = x[i] * x[i];
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    for (int itry = 0; itry < 5; itry++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            const float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * (float)L[i];
            if (slx > 0.0f) {
                float sl2 = suml2 - w * (float)L[i] * (float)L[i];
                const int nl = imax(-nmax, imin(nmax - 1, round_even(x[i] * sl2 / slx)));
                if (nl != L[i]) {
                    slx += w * x[i] * (float)nl;
                    sl2 += w * (float)nl * (float)nl;
                    if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = (int8_t)nl;
                        sumlx = slx;
                        suml2 = sl2;
                        changed++;
                    }
                }
            }
        }
        if (!changed) break;
    }
    for (int i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* The searches below run 8 sub-blocks at once, lane j being sub-block j:
 * within a lane, the float operations of ggml's scalar code in the same
 * order (sums run over i, one accumulator per lane), its branches turned
 * into per-lane selects, so every lane's result is bit for bit ggml's. The
 * lanes are GCC vector extensions (portable: lowered to whatever vectors a
 * target has) because left to itself the compiler vectorizes over i
 * instead, with in-order reductions that win nothing. */
#define LANES 8
/* The helpers below take and return vectors by value. Where 32 bytes are
 * wider than the target's registers (POWER, ARM, x86 before AVX) GCC warns
 * that such an ABI is its own: irrelevant for static functions, which it
 * inlines anyway. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
/* always inlined: a function that takes or returns one of these vectors
 * by value, left out of line (GCC clones it for constant arguments), has
 * an ABI that depends on -mavx, which GCC reports as -Wpsabi errors */
#define KQ_V8 static inline __attribute__((always_inline))
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

KQ_V8 v8f v8_set(float f) { return (v8f){f, f, f, f, f, f, f, f}; }
KQ_V8 v8i v8i_set(int32_t v) { return (v8i){v, v, v, v, v, v, v, v}; }
/* m ? a : b per lane (m all ones or all zeros) */
KQ_V8 v8f v8_sel(v8i m, v8f a, v8f b) { return (v8f)(((v8i)a & m) | ((v8i)b & ~m)); }
KQ_V8 v8f v8_abs(v8f a) { return (v8f)((v8i)a & v8i_set(0x7fffffff)); }
/* round_even per lane, clamped to [lo_v, hi_v], as float */
KQ_V8 v8f v8_clamped(v8f f, int lo_v, int hi_v)
{
    const v8i bits = (v8i)(f + v8_set(12582912.0f));
    v8i l = (bits & v8i_set(0x007fffff)) - v8i_set(0x00400000);
    const v8i lo = v8i_set(lo_v), hi = v8i_set(hi_v);
    l = ((l < lo) & lo) | (~(l < lo) & l);
    l = ((l > hi) & hi) | (~(l > hi) & l);
    return __builtin_convertvector(l, v8f);
}

KQ_V8 v8f v8_level(v8f f, int nmax)
{
    return v8_clamped(f, 0, nmax);
}

/* Asymmetric levels in [0, nmax] with x ~ scale * l - min (ggml's
 * make_qkx2_quants): start from the range, then try nstep + 1 scales
 * (rmin + rdelta * is + nmax) / range, each with its weighted
 * least-squares scale and min, keeping the smallest weighted error
 * (absolute when mad, squared otherwise). x[i], w[i]: element i of the 8
 * sub-blocks (n <= 32); *the_min gets -min (>= 0). */
KQ_V8 void fit_scale_min_x8(int n, int nmax, const v8f *x, const v8f *w, v8f *L,
                             v8f *scale_out, v8f *the_min, float rmin, float rdelta, int nstep,
                             int mad)
{
    v8f min = x[0], max = x[0], sum_w = w[0];
    const v8f sum_x0 = sum_w * x[0];
    v8f sum_x = sum_x0;
    for (int i = 1; i < n; i++) {
        min = v8_sel(x[i] < min, x[i], min);
        max = v8_sel(x[i] > max, x[i], max);
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    const v8f zero = v8_set(0.0f);
    min = v8_sel(min > zero, zero, min);
    const v8i flat = max == min; /* scalar: returns here, L = 0, scale 0 */
    const v8f flat_min = min;
    v8f iscale = v8_set((float)nmax) / (max - min); /* flat lanes: discarded */
    v8f scale = v8_set(1.0f) / iscale;
    v8f best = zero;
    for (int i = 0; i < n; i++) {
        L[i] = v8_level(iscale * (x[i] - min), nmax);
        v8f diff = scale * L[i] + min - x[i];
        diff = mad ? v8_abs(diff) : diff * diff;
        best += w[i] * diff;
    }
    v8f laux[32];
    for (int is = 0; is <= nstep; is++) {
        iscale = v8_set(rmin + rdelta * (float)is + (float)nmax) / (max - min);
        v8f sum_l = zero, sum_l2 = zero, sum_xl = zero;
        for (int i = 0; i < n; i++) {
            const v8f l = v8_level(iscale * (x[i] - min), nmax);
            laux[i] = l;
            sum_l += w[i] * l;
            sum_l2 += w[i] * l * l;
            sum_xl += w[i] * l * x[i];
        }
        const v8f D = sum_w * sum_l2 - sum_l * sum_l;
        v8f ts = (sum_w * sum_xl - sum_x * sum_l) / D;
        v8f tm = (sum_l2 * sum_x - sum_l * sum_xl) / D;
        const v8i pos = tm > zero;
        tm = v8_sel(pos, zero, tm);
        ts = v8_sel(pos, sum_xl / sum_l2, ts);
        v8f err = v8_sel(D > zero, zero, v8_set(INFINITY)); /* D <= 0: never better */
        for (int i = 0; i < n; i++) {
            v8f diff = ts * laux[i] + tm - x[i];
            diff = mad ? v8_abs(diff) : diff * diff;
            err += w[i] * diff;
        }
        const v8i better = err < best;
        best = v8_sel(better, err, best);
        scale = v8_sel(better, ts, scale);
        min = v8_sel(better, tm, min);
        for (int i = 0; i < n; i++) L[i] = v8_sel(better, laux[i], L[i]);
    }
    *the_min = -v8_sel(flat, flat_min, min);
    *scale_out = v8_sel(flat, zero, scale);
    for (int i = 0; i < n; i++) L[i] = v8_sel(flat, zero, L[i]);
}

/* Symmetric levels in [-nmax, nmax) for Q6_K's sub-blocks (ggml's
 * make_qx_quants with the x^2 weights, rmse_type 1): a first scale from the
 * signed absmax, then 18 scales around it, keeping the one with the best
 * weighted least-squares fit. L[i] gets level + nmax (n <= 32). */
KQ_V8 v8f fit_symmetric_x8(int n, int nmax, const v8f *x, v8f *L)
{
    const v8f zero = v8_set(0.0f);
    v8f amax = zero, max = zero;
    for (int i = 0; i < n; i++) {
        const v8f ax = v8_abs(x[i]);
        const v8i m = ax > amax;
        amax = v8_sel(m, ax, amax);
        max = v8_sel(m, x[i], max);
    }
    const v8i empty = amax < v8_set(GROUP_EPS); /* scalar: L = 0, scale 0 */
    v8f iscale = v8_set((float)-nmax) / max;
    v8f sumlx = zero, suml2 = zero;
    for (int i = 0; i < n; i++) {
        const v8f l = v8_clamped(iscale * x[i], -nmax, nmax - 1);
        L[i] = l;
        const v8f w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    v8f scale = v8_sel(suml2 != zero, sumlx / suml2, zero);
    v8f best = scale * sumlx;
    for (int is = -9; is <= 9; is++) {
        if (is == 0) continue;
        iscale = -v8_set((float)nmax + 0.1f * (float)is) / max;
        v8f lv[32];
        sumlx = suml2 = zero;
        for (int i = 0; i < n; i++) {
            lv[i] = v8_clamped(iscale * x[i], -nmax, nmax - 1);
            const v8f w = x[i] * x[i];
            sumlx += w * x[i] * lv[i];
            suml2 += w * lv[i] * lv[i];
        }
        const v8i better = (suml2 > zero) & (sumlx * sumlx > best * suml2);
        for (int i = 0; i < n; i++) L[i] = v8_sel(better, lv[i], L[i]);
        scale = v8_sel(better, sumlx / suml2, scale);
        best = v8_sel(better, scale * sumlx, best);
    }
    for (int i = 0; i < n; i++) L[i] = v8_sel(empty, zero, L[i] + v8_set((float)nmax));
    return v8_sel(empty, zero, scale);
}

/* Four 2-bit levels per byte: element j + 32k of each 128 in bits 2k. */
static void pack_2bit(const uint8_t *L, uint8_t *qs)
{
    for (int j = 0; j < QK_K; j += 128)
        for (int l = 0; l < 32; l++)
            qs[j / 4 + l] = (uint8_t)(L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 |
                                      L[j + l + 96] << 6);
}

void hone_qref_q2_K(const float *x, void *vy, int64_t n)
{
    block_q2_K *y = vy;
    uint8_t L[QK_K];
    float mins[QK_K / 16], scales[QK_K / 16];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        for (int half = 0; half < 2; half++) {
            v8f xt[16], wt[16], lt[16], sc, mn;
            for (int j = 0; j < LANES; j++)
                for (int l = 0; l < 16; l++) {
                    xt[l][j] = x[16 * (8 * half + j) + l];
                    wt[l][j] = fabsf(xt[l][j]);
                }
            fit_scale_min_x8(16, 3, xt, wt, lt, &sc, &mn, -0.5f, 0.1f, 15, 1);
            for (int j = 0; j < LANES; j++) {
                scales[8 * half + j] = sc[j];
                mins[8 * half + j] = mn[j];
                for (int l = 0; l < 16; l++) L[16 * (8 * half + j) + l] = (uint8_t)lt[l][j];
            }
        }
        float max_scale = 0.0f, max_min = 0.0f;
        for (int j = 0; j < QK_K / 16; j++) {
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        max_scale = plus_zero(max_scale);
        max_min = plus_zero(max_min);
        if (max_scale > 0.0f) {
            const float iscale = 15.0f / max_scale;
            for (int j = 0; j < QK_K / 16; j++) y[i].scales[j] = (uint8_t)round_even(iscale * scales[j]);
            y[i].d = hone_f32_to_f16(max_scale / 15.0f);
        } else {
            memset(y[i].scales, 0, sizeof y[i].scales);
            y[i].d = hone_f32_to_f16(0.0f);
        }
        if (max_min > 0.0f) {
            const float iscale = 15.0f / max_min;
            for (int j = 0; j < QK_K / 16; j++)
                y[i].scales[j] = (uint8_t)(y[i].scales[j] | round_even(iscale * mins[j]) << 4);
            y[i].dmin = hone_f32_to_f16(max_min / 15.0f);
        } else {
            y[i].dmin = hone_f32_to_f16(0.0f);
        }
        for (int j = 0; j < QK_K / 16; j++) {
            const float d = hone_f16_to_f32(y[i].d) * (float)(y[i].scales[j] & 0xF);
            if (d == 0.0f) continue;
            const float dm = hone_f16_to_f32(y[i].dmin) * (float)(y[i].scales[j] >> 4);
            for (int l = 0; l < 16; l++)
                L[16 * j + l] = (uint8_t)imax(0, imin(3, round_even((x[16 * j + l] + dm) / d)));
        }
        pack_2bit(L, y[i].qs);
    }
}

void hone_qref_q3_K(const float *x, void *vy, int64_t n)
{
    block_q3_K *y = vy;
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float max_scale = 0.0f, amax = 0.0f;
        for (int j = 0; j < QK_K / 16; j++) {
            scales[j] = fit_q3(16, 4, x + 16 * j, L + 16 * j);
            if (fabsf(scales[j]) > amax) {
                amax = fabsf(scales[j]);
                max_scale = scales[j];
            }
        }
        /* 6-bit scales + 32: low nibbles in bytes 0..7 (j and j + 8), the
         * two high bits of scale j in byte 8 + j % 4 at bit 2 * (j / 4) */
        memset(y[i].scales, 0, 12);
        if (max_scale != 0.0f) {
            const float iscale = -32.0f / max_scale;
            for (int j = 0; j < QK_K / 16; j++) {
                int8_t l = (int8_t)round_even(iscale * scales[j]);
                l = (int8_t)(imax(-32, imin(31, l)) + 32);
                if (j < 8)
                    y[i].scales[j] = (uint8_t)(l & 0xF);
                else
                    y[i].scales[j - 8] = (uint8_t)(y[i].scales[j - 8] | (l & 0xF) << 4);
                l = (int8_t)(l >> 4);
                y[i].scales[j % 4 + 8] = (uint8_t)(y[i].scales[j % 4 + 8] | l << (2 * (j / 4)));
            }
            y[i].d = hone_f32_to_f16(1.0f / iscale);
        } else {
            y[i].d = hone_f32_to_f16(0.0f);
        }
        for (int j = 0; j < QK_K / 16; j++) {
            int sc = j < 8 ? y[i].scales[j] & 0xF : y[i].scales[j - 8] >> 4;
            sc = (sc | ((y[i].scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4) - 32;
            const float d = hone_f16_to_f32(y[i].d) * (float)sc;
            if (d == 0.0f) continue;
            for (int l = 0; l < 16; l++)
                L[16 * j + l] = (int8_t)(imax(-4, imin(3, round_even(x[16 * j + l] / d))) + 4);
        }
        /* high bit of element j in hmask[j % 32], bit j / 32 */
        memset(y[i].hmask, 0, QK_K / 8);
        uint8_t lo[QK_K];
        for (int j = 0; j < QK_K; j++) {
            int l = L[j];
            if (l > 3) {
                y[i].hmask[j % 32] = (uint8_t)(y[i].hmask[j % 32] | 1u << (j / 32));
                l -= 4;
            }
            lo[j] = (uint8_t)l;
        }
        pack_2bit(lo, y[i].qs);
    }
}

/* Q4_K / Q5_K: 8 sub-blocks of 32 with a 6-bit scale and min each. The
 * weights of the fit are rms(x) + |x_i|. */
static void scales_mins_k(const float *x, int nmax, float rmin, int nstep, uint8_t *L,
                          float *scales, float *mins)
{
    v8f xt[32], wt[32], lt[32], sc, mn;
    for (int j = 0; j < QK_K / 32; j++) {
        float sum_x2 = 0.0f;
        for (int l = 0; l < 32; l++) sum_x2 += x[32 * j + l] * x[32 * j + l];
        const float av_x = sqrtf(sum_x2 / 32.0f);
        for (int l = 0; l < 32; l++) {
            xt[l][j] = x[32 * j + l];
            wt[l][j] = av_x + fabsf(x[32 * j + l]);
        }
    }
    fit_scale_min_x8(32, nmax, xt, wt, lt, &sc, &mn, rmin, 0.1f, nstep, 0);
    for (int j = 0; j < QK_K / 32; j++) {
        scales[j] = sc[j];
        mins[j] = mn[j];
        for (int l = 0; l < 32; l++) L[32 * j + l] = (uint8_t)lt[l][j];
    }
}

/* Quantize the scales and mins against their maxima (6 bits) into the
 * 12-byte layout hone_kquant_scale_min reads, set d and dmin, then the
 * levels in [0, nmax] with the stored scales. */
static void finish_k(const float *x, int nmax, uint8_t *L, const float *scales,
                     const float *mins, uint8_t packed[12], hone_half *d_out, hone_half *dmin_out)
{
    float max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < QK_K / 32; j++) {
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    max_scale = plus_zero(max_scale);
    max_min = plus_zero(max_min);
    const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
    const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
    for (int j = 0; j < QK_K / 32; j++) {
        /* ggml keeps these in a uint8_t before the cap of 63 */
        uint8_t ls = (uint8_t)round_even(inv_scale * scales[j]);
        uint8_t lm = (uint8_t)round_even(inv_min * mins[j]);
        ls = ls < 63 ? ls : 63;
        lm = lm < 63 ? lm : 63;
        if (j < 4) {
            packed[j] = ls;
            packed[j + 4] = lm;
        } else {
            packed[j + 4] = (uint8_t)((ls & 0xF) | (lm & 0xF) << 4);
            packed[j - 4] = (uint8_t)(packed[j - 4] | (ls >> 4) << 6);
            packed[j] = (uint8_t)(packed[j] | (lm >> 4) << 6);
        }
    }
    *d_out = hone_f32_to_f16(max_scale / 63.0f);
    *dmin_out = hone_f32_to_f16(max_min / 63.0f);
    for (int j = 0; j < QK_K / 32; j++) {
        uint8_t sc, m;
        hone_kquant_scale_min(j, packed, &sc, &m);
        const float d = hone_f16_to_f32(*d_out) * (float)sc;
        if (d == 0.0f) continue;
        const float dm = hone_f16_to_f32(*dmin_out) * (float)m;
        for (int l = 0; l < 32; l++)
            L[32 * j + l] = (uint8_t)imax(0, imin(nmax, round_even((x[32 * j + l] + dm) / d)));
    }
}

void hone_qref_q4_K(const float *x, void *vy, int64_t n)
{
    block_q4_K *y = vy;
    uint8_t L[QK_K];
    float scales[QK_K / 32], mins[QK_K / 32];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        scales_mins_k(x, 15, -1.0f, 20, L, scales, mins);
        finish_k(x, 15, L, scales, mins, y[i].scales, &y[i].d, &y[i].dmin);
        /* per 64 elements: the first 32 in low nibbles, the next in high */
        uint8_t *q = y[i].qs;
        for (int j = 0; j < QK_K; j += 64, q += 32)
            for (int l = 0; l < 32; l++) q[l] = (uint8_t)(L[j + l] | L[j + l + 32] << 4);
    }
}

void hone_qref_q5_K(const float *x, void *vy, int64_t n)
{
    block_q5_K *y = vy;
    uint8_t L[QK_K];
    float scales[QK_K / 32], mins[QK_K / 32];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        scales_mins_k(x, 31, -0.5f, 15, L, scales, mins);
        finish_k(x, 31, L, scales, mins, y[i].scales, &y[i].d, &y[i].dmin);
        /* as Q4_K, plus the fifth bit of element 64k + j in qh[j] bit 2k
         * (+1 for the upper 32) */
        memset(y[i].qh, 0, QK_K / 8);
        uint8_t *ql = y[i].qs;
        for (int b = 0; b < QK_K / 64; b++, ql += 32) {
            for (int j = 0; j < 32; j++) {
                int l1 = L[64 * b + j], l2 = L[64 * b + j + 32];
                if (l1 > 15) {
                    l1 -= 16;
                    y[i].qh[j] = (uint8_t)(y[i].qh[j] | 1u << (2 * b));
                }
                if (l2 > 15) {
                    l2 -= 16;
                    y[i].qh[j] = (uint8_t)(y[i].qh[j] | 2u << (2 * b));
                }
                ql[j] = (uint8_t)(l1 | l2 << 4);
            }
        }
    }
}

void hone_qref_q6_K(const float *x, void *vy, int64_t n)
{
    block_q6_K *y = vy;
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float max_scale = 0.0f, max_abs = 0.0f;
        for (int half = 0; half < 2; half++) {
            v8f xt[16], lt[16];
            for (int j = 0; j < LANES; j++)
                for (int l = 0; l < 16; l++) xt[l][j] = x[16 * (8 * half + j) + l];
            const v8f sc = fit_symmetric_x8(16, 32, xt, lt);
            for (int j = 0; j < LANES; j++) {
                scales[8 * half + j] = sc[j];
                for (int l = 0; l < 16; l++) L[16 * (8 * half + j) + l] = (int8_t)lt[l][j];
            }
        }
        for (int ib = 0; ib < QK_K / 16; ib++) {
            if (fabsf(scales[ib]) > max_abs) {
                max_abs = fabsf(scales[ib]);
                max_scale = scales[ib];
            }
        }
        if (max_abs < GROUP_EPS) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -128.0f / max_scale;
        y[i].d = hone_f32_to_f16(1.0f / iscale);
        for (int ib = 0; ib < QK_K / 16; ib++)
            y[i].scales[ib] = (int8_t)imin(127, round_even(iscale * scales[ib]));
        for (int j = 0; j < QK_K / 16; j++) {
            const float d = hone_f16_to_f32(y[i].d) * (float)y[i].scales[j];
            if (d == 0.0f) continue;
            for (int l = 0; l < 16; l++)
                L[16 * j + l] = (int8_t)(imax(-32, imin(31, round_even(x[16 * j + l] / d))) + 32);
        }
        /* per 128: low nibbles of j, j + 64 in ql[j], of j + 32, j + 96 in
         * ql[j + 32]; the four high 2-bit pairs in qh[j] */
        uint8_t *ql = y[i].ql, *qh = y[i].qh;
        for (int j = 0; j < QK_K; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; l++) {
                const uint8_t a = (uint8_t)L[j + l], b = (uint8_t)L[j + l + 32];
                const uint8_t c = (uint8_t)L[j + l + 64], e = (uint8_t)L[j + l + 96];
                ql[l] = (uint8_t)((a & 0xF) | (c & 0xF) << 4);
                ql[l + 32] = (uint8_t)((b & 0xF) | (e & 0xF) << 4);
                qh[l] = (uint8_t)(a >> 4 | (b >> 4) << 2 | (c >> 4) << 4 | (e >> 4) << 6);
            }
        }
    }
}
