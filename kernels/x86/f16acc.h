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

/* kernels.h fma_chains: 64 chains at a time in registers (4 vectors of
 * 16 lanes on AVX-512, of 8 on AVX2 then twice), tails masked / generic. */
static void x86_fma_chains(float *acc, const float *x, size_t x_ld, const float *w, int n_terms, int n,
                           bool skip_zero)
{
    int l0 = 0;
#if defined(__AVX512F__)
    for (; l0 < n; l0 += 64) {
        __m512 a[4];
        __mmask16 m[4];
        for (int c = 0; c < 4; c++) {
            const int left = n - l0 - 16 * c;
            m[c] = left >= 16 ? (__mmask16)0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1u);
            a[c] = _mm512_maskz_loadu_ps(m[c], acc + l0 + 16 * c);
        }
        for (int t = 0; t < n_terms; t++) {
            if (skip_zero && w[t] == 0.0f) continue;
            const __m512 wv = _mm512_set1_ps(w[t]);
            const float *xt = x + (size_t)t * x_ld + l0;
            for (int c = 0; c < 4; c++) a[c] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m[c], xt + 16 * c), wv, a[c]);
        }
        for (int c = 0; c < 4; c++) _mm512_mask_storeu_ps(acc + l0 + 16 * c, m[c], a[c]);
    }
#else
    for (; l0 + 32 <= n; l0 += 32) {
        __m256 a[4];
        for (int c = 0; c < 4; c++) a[c] = _mm256_loadu_ps(acc + l0 + 8 * c);
        for (int t = 0; t < n_terms; t++) {
            if (skip_zero && w[t] == 0.0f) continue;
            const __m256 wv = _mm256_set1_ps(w[t]);
            const float *xt = x + (size_t)t * x_ld + l0;
            for (int c = 0; c < 4; c++) a[c] = _mm256_fmadd_ps(_mm256_loadu_ps(xt + 8 * c), wv, a[c]);
        }
        for (int c = 0; c < 4; c++) _mm256_storeu_ps(acc + l0 + 8 * c, a[c]);
    }
    if (l0 < n) hone_gen_fma_chains(acc + l0, x + l0, x_ld, w, n_terms, n - l0, skip_zero);
#endif
}

/* The entries both x86 sets lay over X86_OWN (table.h's `more`); lanes is
 * llama.cpp's GGML_F32_EPR for the ISA. */
#define X86_FA_MORE(lanes) \
    {.f16_mad = x86_f16_mad, .f16_scale = x86_f16_scale, .fma_chains = x86_fma_chains, .f32_lanes = (lanes)}

#endif
