/* libm_expf.h — expf with the C library's bits, vector-wide (kernels.h
 * expf_n), for both x86 sets.
 *
 * Why: llama.cpp's flash attention for decode (the VEC / SPLIT paths)
 * calls libm's expf once per (head, cached position); hone reproduces
 * those paths bit for bit, so it called expf the same way, and at a 4096
 * token context that scalar call was 11 % of a token's time (perf,
 * bench-1b Q4_K_M tg @ d4096, Zen 5).
 *
 * What: glibc (2.27 on; Debian 12 has 2.36) computes expf in double: with
 * N = 32, k = round(x N / ln 2), r = x N / ln 2 - k, e^x = 2^(k/N) *
 * (1 + C2 r + C1 r^2 + C0 r^3), 2^(k/N) from a table of 32 doubles whose
 * exponent field takes k / N's integer part, then one rounding to float.
 * On x86-64 its ifunc takes the variant built with -mfma wherever the CPU
 * has FMA (every CPU the avx2 and avx512 sets need), and there GCC fused
 * the steps as below: kd = fma(x, InvLn2N, SHIFT) (rounding to an integer
 * by the magic constant), r = fma(x, InvLn2N, -k) (no rounding of the
 * product in between), z = fma(r, C0, C1), y = fma(z, r^2, fma(r, C2, 1)),
 * float(y * s). The same operations, lane by lane, give the same bits:
 * equal to expf on all 2^32 float inputs (an exhaustive run, both forms
 * below); test_kernels_isa compares a stride of ~540 k bit patterns over
 * the whole line and the special values on every set. Lanes outside glibc's fast path (below
 * -0x1.9fe368p6 the result is 0; above 0x1.62e42ep6, inf and NaN) take
 * those results (0 directly, the others through expf itself).
 *
 * The constants are glibc's (from its __exp2f_data); the table is
 * tab[i] = bits(2^(i/32)) - (i << 47), so that adding k << 47 puts k / 32's
 * integer part into the exponent. */
#ifndef HONE_X86_LIBM_EXPF_H
#define HONE_X86_LIBM_EXPF_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

static const uint64_t X86_EXPF_TAB[32] __attribute__((aligned(64))) = {
    0x3ff0000000000000ull, 0x3fefd9b0d3158574ull, 0x3fefb5586cf9890full, 0x3fef9301d0125b51ull,
    0x3fef72b83c7d517bull, 0x3fef54873168b9aaull, 0x3fef387a6e756238ull, 0x3fef1e9df51fdee1ull,
    0x3fef06fe0a31b715ull, 0x3feef1a7373aa9cbull, 0x3feedea64c123422ull, 0x3feece086061892dull,
    0x3feebfdad5362a27ull, 0x3feeb42b569d4f82ull, 0x3feeab07dd485429ull, 0x3feea47eb03a5585ull,
    0x3feea09e667f3bcdull, 0x3fee9f75e8ec5f74ull, 0x3feea11473eb0187ull, 0x3feea589994cce13ull,
    0x3feeace5422aa0dbull, 0x3feeb737b0cdc5e5ull, 0x3feec49182a3f090ull, 0x3feed503b23e255dull,
    0x3feee89f995ad3adull, 0x3feeff76f2fb5e47ull, 0x3fef199bdd85529cull, 0x3fef3720dcef9069ull,
    0x3fef5818dcfba487ull, 0x3fef7c97337b9b5full, 0x3fefa4afa2a490daull, 0x3fefd0765b6e4540ull,
};
#define X86_EXPF_INVLN2N 0x1.71547652b82fep+5 /* N / ln 2 */
#define X86_EXPF_SHIFT 0x1.8p+52
#define X86_EXPF_C0 0x1.c6af84b912394p-20
#define X86_EXPF_C1 0x1.ebfce50fac4f3p-13
#define X86_EXPF_C2 0x1.62e42ff0c52d6p-6
#define X86_EXPF_LO (-0x1.9fe368p6f) /* below: 0 */
#define X86_EXPF_HI 0x1.62e42ep6f    /* above (or NaN): expf itself */

#if defined(__AVX512F__)
/* 8 lanes in double; the table lookup as two two-register permutes. */
static inline __m256 x86_expf8(__m256 x)
{
    const __m512d xd = _mm512_cvtps_pd(x), inv = _mm512_set1_pd(X86_EXPF_INVLN2N);
    const __m512d shift = _mm512_set1_pd(X86_EXPF_SHIFT);
    __m512d kd = _mm512_fmadd_pd(inv, xd, shift);
    const __m512i ki = _mm512_castpd_si512(kd);
    kd = _mm512_sub_pd(kd, shift);
    const __m512d r = _mm512_fmsub_pd(inv, xd, kd);
    const __m512i *tab = (const __m512i *)X86_EXPF_TAB;
    const __m512i lo = _mm512_permutex2var_epi64(_mm512_load_si512(tab), ki, _mm512_load_si512(tab + 1));
    const __m512i hi = _mm512_permutex2var_epi64(_mm512_load_si512(tab + 2), ki, _mm512_load_si512(tab + 3));
    const __mmask8 upper = _mm512_test_epi64_mask(ki, _mm512_set1_epi64(16));
    const __m512i t = _mm512_add_epi64(_mm512_mask_blend_epi64(upper, lo, hi), _mm512_slli_epi64(ki, 47));
    const __m512d z = _mm512_fmadd_pd(r, _mm512_set1_pd(X86_EXPF_C0), _mm512_set1_pd(X86_EXPF_C1));
    const __m512d r2 = _mm512_mul_pd(r, r);
    __m512d y = _mm512_fmadd_pd(r, _mm512_set1_pd(X86_EXPF_C2), _mm512_set1_pd(1.0));
    y = _mm512_fmadd_pd(z, r2, y);
    return _mm512_cvtpd_ps(_mm512_mul_pd(y, _mm512_castsi512_pd(t)));
}
#else
/* 4 lanes in double, twice; the table lookup as a gather. */
static inline __m128 x86_expf4(__m128 x)
{
    const __m256d xd = _mm256_cvtps_pd(x), inv = _mm256_set1_pd(X86_EXPF_INVLN2N);
    const __m256d shift = _mm256_set1_pd(X86_EXPF_SHIFT);
    __m256d kd = _mm256_fmadd_pd(inv, xd, shift);
    const __m256i ki = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    const __m256d r = _mm256_fmsub_pd(inv, xd, kd);
    const __m256i idx = _mm256_and_si256(ki, _mm256_set1_epi64x(31));
    const __m256i t = _mm256_add_epi64(_mm256_i64gather_epi64((const long long *)X86_EXPF_TAB, idx, 8),
                                       _mm256_slli_epi64(ki, 47));
    const __m256d z = _mm256_fmadd_pd(r, _mm256_set1_pd(X86_EXPF_C0), _mm256_set1_pd(X86_EXPF_C1));
    const __m256d r2 = _mm256_mul_pd(r, r);
    __m256d y = _mm256_fmadd_pd(r, _mm256_set1_pd(X86_EXPF_C2), _mm256_set1_pd(1.0));
    y = _mm256_fmadd_pd(z, r2, y);
    return _mm256_cvtpd_ps(_mm256_mul_pd(y, _mm256_castsi256_pd(t)));
}

static inline __m256 x86_expf8(__m256 x)
{
    return _mm256_set_m128(x86_expf4(_mm256_extractf128_ps(x, 1)), x86_expf4(_mm256_castps256_ps128(x)));
}
#endif

static void x86_libm_expf(float *x, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        /* lanes in the fast path: LO <= v <= HI (false for NaN) */
        const __m256 in = _mm256_and_ps(_mm256_cmp_ps(v, _mm256_set1_ps(X86_EXPF_LO), _CMP_GE_OQ),
                                        _mm256_cmp_ps(v, _mm256_set1_ps(X86_EXPF_HI), _CMP_LE_OQ));
        const __m256 e = x86_expf8(v);
        const int ok = _mm256_movemask_ps(in);
        if (ok == 0xFF) {
            _mm256_storeu_ps(x + i, e);
            continue;
        }
        /* below LO (-inf too) glibc returns 0; the rest (overflow, inf,
         * NaN) through expf itself */
        float in8[8];
        _mm256_storeu_ps(in8, v);
        _mm256_storeu_ps(x + i, _mm256_and_ps(e, in));
        for (int l = 0; l < 8; l++)
            if (!(ok >> l & 1) && !(in8[l] < X86_EXPF_LO)) x[i + l] = expf(in8[l]);
    }
    for (; i < n; i++) x[i] = expf(x[i]);
}

#endif
