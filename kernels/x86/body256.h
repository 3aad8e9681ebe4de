/* body256.h — x86 kernels on 256-bit vectors, written once and compiled
 * per ISA: avx2.c builds them with AVX2+FMA+F16C, avx512.c with AVX-512
 * VL + VNNI on top (HONE_X86_VNNI), where each u8*s8 or s16*s16
 * multiply-add-accumulate step becomes one vpdpbusd / vpdpwssd.
 *
 * Included only by those files; everything here is static, so each
 * includer gets its own copy built with its own flags. The conversions and
 * quantizers give bit-identical results to kernels/generic (same operations
 * in the same order); the dot products differ from it only in float
 * summation order. */
#ifndef HONE_X86_BODY256_H
#define HONE_X86_BODY256_H

#include "generic/generic.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

/* --- helpers ----------------------------------------------------------- */

static inline float h2f(hone_half h)
{
    return _cvtsh_ss(h);
}

static inline float hsum_ps(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline int hsum_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

/* acc + (each int32 lane: sum of its 4 u8*s8 products). Callers keep every
 * pair sum within int16 (maddubs saturates there; vpdpbusd does not), which
 * every quant range used here does. */
static inline __m256i dot_u8s8_acc(__m256i acc, __m256i u, __m256i s)
{
#if defined(HONE_X86_VNNI)
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s),
                                                   _mm256_set1_epi16(1)));
#endif
}

/* acc + (each int32 lane: a16[2i]*b16[2i] + a16[2i+1]*b16[2i+1]). */
static inline __m256i madd16_acc(__m256i acc, __m256i a, __m256i b)
{
#if defined(HONE_X86_VNNI)
    return _mm256_dpwssd_epi32(acc, a, b);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
#endif
}

/* Signed bytes x * y, 4 per int32 lane (sign moved onto y so x is >= 0;
 * x = -128 works as |x| = 128 unsigned). */
static inline __m256i dot_s8s8(__m256i x, __m256i y)
{
    return dot_u8s8_acc(_mm256_setzero_si256(), _mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

static inline __m256 load_f16x8(const uint16_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

static inline __m256 load_bf16x8(const uint16_t *p)
{
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

/* --- plain float types ------------------------------------------------- */

static void x86_f16_to_float(const void *vx, float *y, int64_t n)
{
    const uint16_t *x = vx;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, load_f16x8(x + i));
    for (; i < n; i++) y[i] = hone_f16_to_f32(x[i]);
}

static void x86_f16_from_float(const float *x, void *vy, int64_t n)
{
    uint16_t *y = vy;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = hone_f32_to_f16(x[i]);
}

static void x86_bf16_to_float(const void *vx, float *y, int64_t n)
{
    const uint16_t *x = vx;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, load_bf16x8(x + i));
    for (; i < n; i++) y[i] = hone_bf16_to_f32(x[i]);
}

/* Same rounding as hone_f32_to_bf16: nearest-even, NaN made quiet. */
static void x86_bf16_from_float(const float *x, void *vy, int64_t n)
{
    uint16_t *y = vy;
    int64_t i = 0;
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff);
    const __m256i inf = _mm256_set1_epi32(0x7f800000);
    for (; i + 8 <= n; i += 8) {
        const __m256i u = _mm256_castps_si256(_mm256_loadu_ps(x + i));
        const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, abs_mask), inf);
        const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        const __m256i bias = _mm256_add_epi32(_mm256_set1_epi32(0x7fff), odd);
        const __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, bias), 16);
        const __m256i q = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
        const __m256i v = _mm256_blendv_epi8(r, q, is_nan);
        _mm_storeu_si128((__m128i *)(y + i), _mm_packus_epi32(_mm256_castsi256_si128(v),
                                                              _mm256_extracti128_si256(v, 1)));
    }
    for (; i < n; i++) y[i] = hone_f32_to_bf16(x[i]);
}

/* Float dots: four independent 8-lane FMA chains hide the FMA latency. */
#define X86_FLOAT_DOT(fname, T, LOAD, SCALAR)                                 \
    static void fname(int n, float *s, const void *vx, const void *vy)       \
    {                                                                         \
        const T *x = vx, *y = vy;                                             \
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;           \
        int i = 0;                                                            \
        for (; i + 32 <= n; i += 32) {                                        \
            a0 = _mm256_fmadd_ps(LOAD(x + i), LOAD(y + i), a0);               \
            a1 = _mm256_fmadd_ps(LOAD(x + i + 8), LOAD(y + i + 8), a1);       \
            a2 = _mm256_fmadd_ps(LOAD(x + i + 16), LOAD(y + i + 16), a2);     \
            a3 = _mm256_fmadd_ps(LOAD(x + i + 24), LOAD(y + i + 24), a3);     \
        }                                                                     \
        for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(LOAD(x + i), LOAD(y + i), a0); \
        float sum = hsum_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))); \
        for (; i < n; i++) sum += SCALAR(x[i]) * SCALAR(y[i]);                \
        *s = sum;                                                             \
    }

#define X86_ID(v) (v)
X86_FLOAT_DOT(x86_vec_dot_f32, float, _mm256_loadu_ps, X86_ID)
X86_FLOAT_DOT(x86_vec_dot_f16, uint16_t, load_f16x8, hone_f16_to_f32)
X86_FLOAT_DOT(x86_vec_dot_bf16, uint16_t, load_bf16x8, hone_bf16_to_f32)

/* --- activation quantizers (bit-identical to generic) ------------------ */

static inline float hmax_ps(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* 32 int32 (four vectors, in order) to 32 int8, saturating. */
static inline __m256i pack_i32x32(__m256i i0, __m256i i1, __m256i i2, __m256i i3)
{
    const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
    /* the packs work per 128-bit lane; this puts the dwords back in order */
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

static inline __m256i round_i32(__m256 v)
{
    return _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

static void x86_q8_0_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_0 *y = vy;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        __m256 v[4];
        __m256 amax = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(x + 8 * k);
            amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[k]));
        }
        const float am = hmax_ps(amax);
        const float id = am != 0.0f ? 127.0f / am : 0.0f;
        y[i].d = hone_f32_to_f16(am / 127.0f);
        const __m256 mul = _mm256_set1_ps(id);
        const __m256i q = pack_i32x32(round_i32(_mm256_mul_ps(v[0], mul)), round_i32(_mm256_mul_ps(v[1], mul)),
                                      round_i32(_mm256_mul_ps(v[2], mul)), round_i32(_mm256_mul_ps(v[3], mul)));
        _mm256_storeu_si256((__m256i *)y[i].qs, q);
    }
}

static void x86_q8_K_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_K *y = vy;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        __m256 am = _mm256_setzero_ps();
        for (int j = 0; j < QK_K; j += 8) am = _mm256_max_ps(am, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
        const float amax = hmax_ps(am);
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float max = 0.0f; /* the first element of largest magnitude, as generic */
        for (int j = 0; j < QK_K; j++) {
            if (fabsf(x[j]) == amax) {
                max = x[j];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const __m256 mul = _mm256_set1_ps(iscale);
        const __m256i top = _mm256_set1_epi32(127);
        for (int j = 0; j < QK_K; j += 32) {
            __m256i q[4];
            for (int k = 0; k < 4; k++)
                q[k] = _mm256_min_epi32(round_i32(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), mul)), top);
            y[i].bsums[j / 16] = (int16_t)hsum_epi32(_mm256_add_epi32(q[0], q[1]));
            y[i].bsums[j / 16 + 1] = (int16_t)hsum_epi32(_mm256_add_epi32(q[2], q[3]));
            _mm256_storeu_si256((__m256i *)(y[i].qs + j), pack_i32x32(q[0], q[1], q[2], q[3]));
        }
        y[i].d = 1.0f / iscale;
    }
}

/* --- 32-element block dots --------------------------------------------- */

static void x86_vec_dot_q4_0_q8_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_0 *x = vx;
    const block_q8_0 *y = vy;
    const __m256i m4 = _mm256_set1_epi8(0x0f), eight = _mm256_set1_epi8(8);
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n / QK8_0; i++) {
        const __m128i q = _mm_loadu_si128((const __m128i *)x[i].qs);
        /* low nibbles are elements 0..15, high nibbles 16..31 */
        __m256i xq = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), m4);
        xq = _mm256_sub_epi8(xq, eight);
        const __m256i yq = _mm256_loadu_si256((const __m256i *)y[i].qs);
        const __m256 p = _mm256_cvtepi32_ps(dot_s8s8(xq, yq));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), p, acc);
    }
    *s = hsum_ps(acc);
}

static void x86_vec_dot_q8_0_q8_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q8_0 *x = vx;
    const block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n / QK8_0; i++) {
        const __m256i xq = _mm256_loadu_si256((const __m256i *)x[i].qs);
        const __m256i yq = _mm256_loadu_si256((const __m256i *)y[i].qs);
        const __m256 p = _mm256_cvtepi32_ps(dot_s8s8(xq, yq));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d)), p, acc);
    }
    *s = hsum_ps(acc);
}

/* --- K-quants ----------------------------------------------------------- */

/* The 8 six-bit scales (out[0]) and mins (out[1]) of a q4_K / q5_K block
 * as 8 bytes each (see hone_kquant_scale_min for the packing). */
static inline void kquant_scales(const uint8_t *packed, uint32_t sc[2], uint32_t m[2])
{
    uint32_t u[3];
    memcpy(u, packed, 12);
    sc[0] = u[0] & 0x3f3f3f3fu;
    m[0] = u[1] & 0x3f3f3f3fu;
    sc[1] = (u[2] & 0x0f0f0f0fu) | ((u[0] >> 6) & 0x03030303u) << 4;
    m[1] = ((u[2] >> 4) & 0x0f0f0f0fu) | ((u[1] >> 6) & 0x03030303u) << 4;
}

/* Broadcast 16-bit element k of each 128-bit lane to the whole lane. */
static inline __m256i bcast16(__m256i v, int k)
{
    return _mm256_shuffle_epi8(v, _mm256_set1_epi16((short)((2 * k + 1) << 8 | 2 * k)));
}

/* Shared tail of q4_K / q5_K: the per-sub-block scales as int16 in both
 * lanes, and the min term dmin * sum_j m_j * (sum of a_j) added to accm. */
static inline __m256i kquant_prepare(const uint8_t *packed, const block_q8_K *a, float dmin,
                                     __m256 *accm)
{
    uint32_t sc[2], m[2];
    kquant_scales(packed, sc, m);
    const __m128i m8 = _mm_set_epi32(0, 0, (int)m[1], (int)m[0]);
    /* each min twice, matching the pairs of 16-element group sums */
    const __m256i m16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m8, m8));
    const __m256i bs = _mm256_loadu_si256((const __m256i *)a->bsums);
    *accm = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(_mm256_madd_epi16(m16, bs)), *accm);
    return _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)sc[1], (int)sc[0])));
}

static void x86_vec_dot_q4_K_q8_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_K *x = vx;
    const block_q8_K *y = vy;
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    for (int i = 0; i < n / QK_K; i++) {
        const float d = y[i].d * h2f(x[i].d), dmin = -y[i].d * h2f(x[i].dmin);
        const __m256i sc16 = kquant_prepare(x[i].scales, &y[i], dmin, &accm);
        __m256i sumi = _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * g));
            const __m256i lo = _mm256_and_si256(q, m4);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            const __m256i y0 = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * g));
            const __m256i y1 = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * g + 32));
            sumi = madd16_acc(sumi, _mm256_maddubs_epi16(lo, y0), bcast16(sc16, 2 * g));
            sumi = madd16_acc(sumi, _mm256_maddubs_epi16(hi, y1), bcast16(sc16, 2 * g + 1));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    *s = hsum_ps(_mm256_add_ps(acc, accm));
}

static void x86_vec_dot_q5_K_q8_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_K *x = vx;
    const block_q8_K *y = vy;
    const __m256i m4 = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    for (int i = 0; i < n / QK_K; i++) {
        const float d = y[i].d * h2f(x[i].d), dmin = -y[i].d * h2f(x[i].dmin);
        const __m256i sc16 = kquant_prepare(x[i].scales, &y[i], dmin, &accm);
        const __m256i qh = _mm256_loadu_si256((const __m256i *)x[i].qh);
        __m256i sumi = _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * g));
            /* 5th bits: bit 2g of qh[l] for the low nibbles, 2g+1 for the high */
            const __m256i h0 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), one);
            const __m256i h1 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * g + 1), one);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, m4), _mm256_slli_epi16(h0, 4));
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4),
                                               _mm256_slli_epi16(h1, 4));
            const __m256i y0 = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * g));
            const __m256i y1 = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * g + 32));
            sumi = madd16_acc(sumi, _mm256_maddubs_epi16(lo, y0), bcast16(sc16, 2 * g));
            sumi = madd16_acc(sumi, _mm256_maddubs_epi16(hi, y1), bcast16(sc16, 2 * g + 1));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    *s = hsum_ps(_mm256_add_ps(acc, accm));
}

/* Scales of sub-blocks 2p (low lane) and 2p + 1 (high lane) as int16. */
static inline __m256i q6_scale_pair(__m256i sc16, int p)
{
    const __m256i pair = _mm256_permutevar8x32_epi32(sc16, _mm256_set1_epi32(p));
    return _mm256_shuffle_epi8(pair, _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                                                      2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3));
}

static void x86_vec_dot_q6_K_q8_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q6_K *x = vx;
    const block_q8_K *y = vy;
    const __m256i m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n / QK_K; i++) {
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x[i].scales));
        /* stored quants are q + 32: subtract 32 * sum_j sc_j * (sum of a_j) */
        const __m256i bs = _mm256_loadu_si256((const __m256i *)y[i].bsums);
        __m256i sumi = _mm256_sub_epi32(_mm256_setzero_si256(),
                                        _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(x[i].ql + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(x[i].ql + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(x[i].qh + 32 * h));
            /* quarter k of this half: low/high nibbles of ql0/ql1, top bits
             * from bit pair k of qh, moved to bits 4..5 */
            const __m256i q[4] = {
                _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30)),
                _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, m30)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30)),
            };
            for (int k = 0; k < 4; k++) {
                const __m256i a = _mm256_loadu_si256((const __m256i *)(y[i].qs + 128 * h + 32 * k));
                sumi = madd16_acc(sumi, _mm256_maddubs_epi16(q[k], a), q6_scale_pair(sc16, 4 * h + k));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * h2f(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
    }
    *s = hsum_ps(acc);
}

/* --- the table ---------------------------------------------------------- */

#define X86_TK(dot, dtype, to, from) \
    {.vec_dot = (dot), .vec_dot_type = (dtype), .to_float = (to), .from_float = (from)}

/* Entries shared by every x86 table; bf16_dot differs per set. */
#define X86_TYPE_TABLE(bf16_dot)                                                              \
    [GGML_TYPE_F32] = X86_TK(x86_vec_dot_f32, GGML_TYPE_F32, hone_gen_f32_to_float,           \
                             hone_gen_f32_from_float),                                        \
    [GGML_TYPE_F16] = X86_TK(x86_vec_dot_f16, GGML_TYPE_F16, x86_f16_to_float,                \
                             x86_f16_from_float),                                             \
    [GGML_TYPE_BF16] = X86_TK(bf16_dot, GGML_TYPE_BF16, x86_bf16_to_float,                    \
                              x86_bf16_from_float),                                           \
    [GGML_TYPE_Q4_0] = X86_TK(x86_vec_dot_q4_0_q8_0, GGML_TYPE_Q8_0, hone_gen_q4_0_to_float,  \
                              hone_gen_q4_0_from_float),                                      \
    [GGML_TYPE_Q4_1] = X86_TK(NULL, GGML_TYPE_Q8_1, hone_gen_q4_1_to_float, NULL),            \
    [GGML_TYPE_Q5_0] = X86_TK(hone_gen_vec_dot_q5_0_q8_0, GGML_TYPE_Q8_0,                     \
                              hone_gen_q5_0_to_float, NULL),                                  \
    [GGML_TYPE_Q5_1] = X86_TK(NULL, GGML_TYPE_Q8_1, hone_gen_q5_1_to_float, NULL),            \
    [GGML_TYPE_Q8_0] = X86_TK(x86_vec_dot_q8_0_q8_0, GGML_TYPE_Q8_0, hone_gen_q8_0_to_float,  \
                              x86_q8_0_from_float),                                           \
    [GGML_TYPE_Q4_K] = X86_TK(x86_vec_dot_q4_K_q8_K, GGML_TYPE_Q8_K, hone_gen_q4_K_to_float,  \
                              NULL),                                                          \
    [GGML_TYPE_Q5_K] = X86_TK(x86_vec_dot_q5_K_q8_K, GGML_TYPE_Q8_K, hone_gen_q5_K_to_float,  \
                              NULL),                                                          \
    [GGML_TYPE_Q6_K] = X86_TK(x86_vec_dot_q6_K_q8_K, GGML_TYPE_Q8_K, hone_gen_q6_K_to_float,  \
                              NULL),                                                          \
    [GGML_TYPE_Q8_K] = X86_TK(NULL, GGML_TYPE_Q8_K, hone_gen_q8_K_to_float, x86_q8_K_from_float)

#endif
