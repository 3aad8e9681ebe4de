/* avx512_bf16.c — BF16 dot product with vdpbf16ps (AVX512_BF16), in its
 * own file so only this code is built with -mavx512bf16. vdpbf16ps forms
 * each bf16 product exactly in f32 and accumulates in f32 (inputs and
 * outputs that are denormal are flushed to zero, as on every AVX512_BF16
 * CPU). */
#include "x86/x86.h"

#include <immintrin.h>

void hone_avx512_vec_dot_bf16(int n, float *s, const void *vx, const void *vy)
{
    const uint16_t *x = vx, *y = vy;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_loadu_si512(x + i),
                              (__m512bh)_mm512_loadu_si512(y + i));
        a1 = _mm512_dpbf16_ps(a1, (__m512bh)_mm512_loadu_si512(x + i + 32),
                              (__m512bh)_mm512_loadu_si512(y + i + 32));
    }
    for (; i + 32 <= n; i += 32)
        a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_loadu_si512(x + i),
                              (__m512bh)_mm512_loadu_si512(y + i));
    if (i < n) {
        /* the tail, with the lanes past n masked to zero */
        const __mmask32 m = (__mmask32)((1ull << (n - i)) - 1);
        a1 = _mm512_dpbf16_ps(a1, (__m512bh)_mm512_maskz_loadu_epi16(m, x + i),
                              (__m512bh)_mm512_maskz_loadu_epi16(m, y + i));
    }
    *s = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}
