/* f16acc.h — flash attention's F16 accumulator rows (kernels.h: f16_mad,
 * f16_scale) on F16C + FMA, for both x86 sets.
 *
 * llama.cpp's x86 builds compute ggml_vec_mad_f16 as: F16 -> F32
 * (vcvtph2ps), one FMA, F32 -> F16 rounding to nearest even (vcvtps2ph
 * with imm 0); its leftover loop does the same through scalar code (the
 * compiler contracts it to an FMA). 16 lanes in the AVX-512 set, 8 in
 * AVX2's, the tail through the generic row: every element gets the same
 * bits as generic's, so the lane count is free. */
#ifndef HONE_X86_F16ACC_H
#define HONE_X86_F16ACC_H

#include "generic/generic.h"
#include "x86/libm_expf.h"

#include <immintrin.h>

static void x86_f16_mad(uint16_t *y, size_t y_stride, const uint16_t *x, const float *v, int rows, int n)
{
    int i = 0;
#if defined(__AVX512F__)
    /* 16 lanes: x converted once per 16 elements for every row */
    for (; i + 16 <= n; i += 16) {
        const __m512 b = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i)));
        for (int r = 0; r < rows; r++) {
            uint16_t *yr = y + (size_t)r * y_stride + i;
            const __m512 a = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)yr));
            _mm256_storeu_si256((__m256i *)yr, _mm512_cvtps_ph(_mm512_fmadd_ps(b, _mm512_set1_ps(v[r]), a),
                                                               _MM_FROUND_TO_NEAREST_INT));
        }
    }
#endif
    for (; i + 8 <= n; i += 8) {
        const __m256 b = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)));
        for (int r = 0; r < rows; r++) {
            uint16_t *yr = y + (size_t)r * y_stride + i;
            const __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)yr));
            _mm_storeu_si128((__m128i *)yr,
                             _mm256_cvtps_ph(_mm256_fmadd_ps(b, _mm256_set1_ps(v[r]), a), _MM_FROUND_TO_NEAREST_INT));
        }
    }
    if (i < n) hone_gen_f16_mad(y + i, y_stride, x + i, v, rows, n - i);
}

static void x86_f16_scale(uint16_t *y, float v, int n)
{
    const __m256 vv = _mm256_set1_ps(v);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i)));
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm256_cvtps_ph(_mm256_mul_ps(a, vv), _MM_FROUND_TO_NEAREST_INT));
    }
    if (i < n) hone_gen_f16_scale(y + i, v, n - i);
}

/* kernels.h fma_chains: 64 chains per row at a time in registers (4
 * vectors of 16 lanes on AVX-512, R <= 4 rows; 4 of 8 on AVX2, R <= 2),
 * each term's x vectors loaded once for the R rows; tails masked /
 * generic. R and skip_zero are constants in every instance.
 *
 * skip_zero: whether a term's weight is zero is found for a block of
 * terms (X86_FMA_TERMS) and all R rows at once, by vector compares; a term
 * every row keeps runs its FMAs with no test, one some row skips goes row
 * by row. A compare and branch per row and term (the loop before) cost the
 * tiled V sums a quarter of their time.
 *
 * One body for both sets over these: a vector of X86_FV floats, loads and
 * stores of its first `lanes` (AVX-512 masks a row's last block; AVX2 runs
 * whole 32-float blocks only and leaves the tail to generic). */
#if defined(__AVX512F__)
typedef __m512 x86_fv;
typedef __mmask16 x86_fv_lanes;
enum { X86_FV = 16, X86_FMA_TERMS = 16, X86_FMA_ROWS = 4 };
X86_INLINE x86_fv_lanes x86_fv_part(int left)
{
    return left >= 16 ? (__mmask16)0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1u);
}
X86_INLINE x86_fv x86_fv_load(const float *p, x86_fv_lanes m) { return _mm512_maskz_loadu_ps(m, p); }
X86_INLINE void x86_fv_store(float *p, x86_fv v, x86_fv_lanes m) { _mm512_mask_storeu_ps(p, m, v); }
X86_INLINE x86_fv x86_fv_set1(float v) { return _mm512_set1_ps(v); }
X86_INLINE x86_fv x86_fv_fma(x86_fv a, x86_fv b, x86_fv c) { return _mm512_fmadd_ps(a, b, c); }
#else
typedef __m256 x86_fv;
typedef int x86_fv_lanes; /* always all 8 */
enum { X86_FV = 8, X86_FMA_TERMS = 8, X86_FMA_ROWS = 2 };
X86_INLINE x86_fv_lanes x86_fv_part(int left) { return left; }
X86_INLINE x86_fv x86_fv_load(const float *p, x86_fv_lanes m)
{
    (void)m;
    return _mm256_loadu_ps(p);
}
X86_INLINE void x86_fv_store(float *p, x86_fv v, x86_fv_lanes m)
{
    (void)m;
    _mm256_storeu_ps(p, v);
}
X86_INLINE x86_fv x86_fv_set1(float v) { return _mm256_set1_ps(v); }
X86_INLINE x86_fv x86_fv_fma(x86_fv a, x86_fv b, x86_fv c) { return _mm256_fmadd_ps(a, b, c); }
#endif

/* Bit i set: term t0 + i (i < nt) has a non-zero weight in each of the R
 * rows (a NaN weight is kept, as `w != 0` keeps it). */
X86_INLINE unsigned x86_fma_kept(const float *const *w, int t0, int nt, int R)
{
#if defined(__AVX512F__)
    const __mmask16 in = x86_fv_part(nt);
    __mmask16 k = in;
    for (int r = 0; r < R; r++)
        k &= _mm512_mask_cmp_ps_mask(in, _mm512_maskz_loadu_ps(in, w[r] + t0), _mm512_setzero_ps(), _CMP_NEQ_UQ);
    return k;
#else
    unsigned k = nt >= 8 ? 0xFFu : (1u << nt) - 1u;
    if (nt < 8) {
        for (int r = 0; r < R; r++)
            for (int i = 0; i < nt; i++)
                if (w[r][t0 + i] == 0.0f) k &= ~(1u << i);
        return k;
    }
    for (int r = 0; r < R; r++)
        k &= (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(w[r] + t0), _mm256_setzero_ps(), _CMP_NEQ_UQ));
    return k;
#endif
}

X86_INLINE void x86_fma_rows(float *const *acc, const float *x, size_t x_ld, const float *const *w,
                             int n_terms, int n, bool skip_zero, int R)
{
    enum { B = 4 * X86_FV }; /* chains per row in registers */
#if defined(__AVX512F__)
    const int whole = n;
#else
    const int whole = n / B * B;
#endif
    int l0 = 0;
    for (; l0 < whole; l0 += B) {
        x86_fv a[X86_FMA_ROWS][4];
        x86_fv_lanes m[4];
        for (int c = 0; c < 4; c++) m[c] = x86_fv_part(n - l0 - X86_FV * c);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < 4; c++) a[r][c] = x86_fv_load(acc[r] + l0 + X86_FV * c, m[c]);
        for (int t0 = 0; t0 < n_terms; t0 += X86_FMA_TERMS) {
            const int nt = n_terms - t0 < X86_FMA_TERMS ? n_terms - t0 : X86_FMA_TERMS;
            const unsigned kept = skip_zero ? x86_fma_kept(w, t0, nt, R) : 0;
            for (int t = t0; t < t0 + nt; t++) {
                const float *xt = x + (size_t)t * x_ld + l0;
                x86_fv xv[4];
                for (int c = 0; c < 4; c++) xv[c] = x86_fv_load(xt + X86_FV * c, m[c]);
                const bool all = !skip_zero || (kept >> (t - t0) & 1u);
                for (int r = 0; r < R; r++) {
                    if (!all && w[r][t] == 0.0f) continue;
                    const x86_fv wv = x86_fv_set1(w[r][t]);
                    for (int c = 0; c < 4; c++) a[r][c] = x86_fv_fma(xv[c], wv, a[r][c]);
                }
            }
        }
        for (int r = 0; r < R; r++)
            for (int c = 0; c < 4; c++) x86_fv_store(acc[r] + l0 + X86_FV * c, a[r][c], m[c]);
    }
    if (l0 < n)
        for (int r = 0; r < R; r++) hone_gen_fma_row(acc[r] + l0, x + l0, x_ld, w[r], n_terms, n - l0, skip_zero);
}

/* The rows X86_FMA_ROWS at a time, then one by one; skip_zero a constant
 * in each instance (x86_fma_chains picks). */
X86_INLINE void x86_fma_chains_of(float *const *acc, const float *x, size_t x_ld, const float *const *w, int rows,
                                  int n_terms, int n, bool skip_zero)
{
    int r = 0;
    for (; r + X86_FMA_ROWS <= rows; r += X86_FMA_ROWS)
        x86_fma_rows(acc + r, x, x_ld, w + r, n_terms, n, skip_zero, X86_FMA_ROWS);
    for (; r < rows; r++) x86_fma_rows(acc + r, x, x_ld, w + r, n_terms, n, skip_zero, 1);
}

static void x86_fma_chains(float *const *acc, const float *x, size_t x_ld, const float *const *w, int rows,
                           int n_terms, int n, bool skip_zero)
{
    if (skip_zero) x86_fma_chains_of(acc, x, x_ld, w, rows, n_terms, n, true);
    else x86_fma_chains_of(acc, x, x_ld, w, rows, n_terms, n, false);
}

/* kernels.h fa_exp: ggml_v_expf's operations vector-wide. AVX-512: ggml's
 * own (vscalefps for the 2^n). AVX2: the same steps, 2^n by building the
 * power of two where it is a normal float; a vector with any |n| > 126
 * (results near or past the float range) is done lane by lane. Either way
 * hone_fa_expf's bits. */
static void x86_fa_exp(float *x, int n, float max)
{
    int i = 0;
#if defined(__AVX512F__)
    const __m512 vmax = _mm512_set1_ps(max), r = _mm512_set1_ps(0x1.8p23f);
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_sub_ps(_mm512_loadu_ps(x + i), vmax);
        const __m512 z = _mm512_fmadd_ps(v, _mm512_set1_ps(0x1.715476p+0f), r);
        const __m512 nn = _mm512_sub_ps(z, r);
        const __m512 b = _mm512_fnmadd_ps(nn, _mm512_set1_ps(0x1.7f7d1cp-20f),
                                          _mm512_fnmadd_ps(nn, _mm512_set1_ps(0x1.62e4p-1f), v));
        const __mmask16 d = _mm512_cmp_ps_mask(_mm512_abs_ps(nn), _mm512_set1_ps(192), _CMP_GT_OQ);
        const __m512 u = _mm512_mul_ps(b, b);
        const __m512 j = _mm512_fmadd_ps(
            _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                            _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
            u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
        __m512 res = _mm512_scalef_ps(j, nn);
        if (d) {
            const __m512 alt = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(nn, _mm512_setzero_ps(), _CMP_LE_OQ),
                                                    _mm512_set1_ps(INFINITY), _mm512_setzero_ps());
            res = _mm512_mask_blend_ps(d, res, alt);
        }
        _mm512_storeu_ps(x + i, res);
    }
#else
    const __m256 vmax = _mm256_set1_ps(max), r = _mm256_set1_ps(0x1.8p23f);
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_sub_ps(_mm256_loadu_ps(x + i), vmax);
        const __m256 z = _mm256_fmadd_ps(v, _mm256_set1_ps(0x1.715476p+0f), r);
        const __m256 nn = _mm256_sub_ps(z, r);
        /* |n| <= 126 in every lane (false for NaN: those go lane by lane) */
        const __m256 ok = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), nn), _mm256_set1_ps(126.0f), _CMP_LE_OQ);
        if (_mm256_movemask_ps(ok) != 0xFF) {
            for (int l = 0; l < 8; l++) x[i + l] = hone_fa_expf(x[i + l] - max);
            continue;
        }
        const __m256 b = _mm256_fnmadd_ps(nn, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                          _mm256_fnmadd_ps(nn, _mm256_set1_ps(0x1.62e4p-1f), v));
        const __m256 u = _mm256_mul_ps(b, b);
        const __m256 j = _mm256_fmadd_ps(
            _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                            _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
            u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
        const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(nn), _mm256_set1_epi32(127));
        _mm256_storeu_ps(x + i, _mm256_mul_ps(j, _mm256_castsi256_ps(_mm256_slli_epi32(e, 23))));
    }
#endif
    for (; i < n; i++) x[i] = hone_fa_expf(x[i] - max);
}

/* The entries both x86 sets lay over X86_OWN (table.h's `more`); lanes is
 * llama.cpp's GGML_F32_EPR for the ISA. */
#define X86_FA_MORE_FIELDS(lanes) \
    .f16_mad = x86_f16_mad, .f16_scale = x86_f16_scale, .fma_chains = x86_fma_chains, .fa_exp = x86_fa_exp, \
    .expf_n = x86_libm_expf, \
    .f32_lanes = (lanes)
#define X86_FA_MORE(lanes) {X86_FA_MORE_FIELDS(lanes)}

#endif
