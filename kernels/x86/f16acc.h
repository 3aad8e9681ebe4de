/* f16acc.h — flash attention's F16 accumulator rows (kernels.h: f16_mad,
 * f16_scale) on F16C + FMA, for both x86 sets.
 *
 * llama.cpp's x86 builds compute ggml_vec_mad_f16 as: F16 -> F32
 * (vcvtph2ps), one FMA, F32 -> F16 rounding to nearest even (vcvtps2ph
 * with imm 0); its leftover loop does the same through scalar code (the
 * compiler contracts it to an FMA). 8 lanes here, the tail through the
 * generic row: every element gets the same bits as generic's, so the lane
 * count is free. */
#ifndef HONE_X86_F16ACC_H
#define HONE_X86_F16ACC_H

#include "generic/generic.h"

#include <immintrin.h>

static void x86_f16_mad(uint16_t *y, const uint16_t *x, float v, int n)
{
    const __m256 vv = _mm256_set1_ps(v);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i)));
        const __m256 b = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)));
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm256_cvtps_ph(_mm256_fmadd_ps(b, vv, a), _MM_FROUND_TO_NEAREST_INT));
    }
    if (i < n) hone_gen_f16_mad(y + i, x + i, v, n - i);
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

/* The entries both x86 sets lay over X86_OWN (table.h's `more`); lanes is
 * llama.cpp's GGML_F32_EPR for the ISA. */
#define X86_FA_MORE(lanes) \
    {.f16_mad = x86_f16_mad, .f16_scale = x86_f16_scale, .f32_lanes = (lanes)}

#endif
