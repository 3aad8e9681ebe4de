/* ftile_avx512.h — what the avx512 set's F16 and BF16 kernels share
 * (f16_avx512.h, avx512_bf16.c): horizontal sums of 16-lane float chains,
 * and the prompt driver over their register tiles.
 *
 * Sums: one association for all, lane i with i + 8, then i + 4, i + 2,
 * i + 1 (body256.h's hsum_ps on the top 8). x86_sum16x16 sums 16 chains at
 * once, each with exactly that association, so an output computed in a
 * register tile has the bits of the same chain summed alone. */
#ifndef HONE_X86_FTILE_AVX512_H
#define HONE_X86_FTILE_AVX512_H

#include "x86/prefetch.h"

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>

static inline float x86_sum16(__m512 v)
{
    /* (AVX512F alone: the set is built without DQ's extractf32x8) */
    const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    const __m256 t8 = _mm256_add_ps(_mm512_castps512_ps256(v), hi);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(t8), _mm256_extractf128_ps(t8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Lane j of the result is v[j]'s sum. Every step adds two vectors' halves
 * side by side: (i, i + 8) -> 8 sums per vector, (i, i + 4) -> 4,
 * (i, i + 2) -> 2, (i, i + 1) -> 1, leaving v[4m + k] in lane 4k + m, put
 * back in order by the final permute. */
static inline __m512 x86_sum16x16(const __m512 v[16])
{
    __m512 c[8], d[4], e[2];
    for (int p = 0; p < 8; p++) /* 128-bit quarters: v0 q0+q2, q1+q3 | v1 ... */
        c[p] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    for (int p = 0; p < 4; p++) /* quarter q: vector 4p + q's 4 sums */
        d[p] = _mm512_add_ps(_mm512_shuffle_f32x4(c[2 * p], c[2 * p + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(c[2 * p], c[2 * p + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    for (int p = 0; p < 2; p++) /* quarter q: vectors 8p + q, 8p + 4 + q, 2 sums each */
        e[p] = _mm512_add_ps(_mm512_shuffle_ps(d[2 * p], d[2 * p + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(d[2 * p], d[2 * p + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    const __m512 f = _mm512_add_ps(_mm512_shuffle_ps(e[0], e[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_ps(e[0], e[1], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), f);
}

/* The sums of n <= 16 chains (v[n..15] unused) into s[0..n). */
static inline void x86_sum16_n(const __m512 *v, int n, float *s)
{
    if (n == 1) {
        s[0] = x86_sum16(v[0]);
        return;
    }
    __m512 w[16];
    for (int j = 0; j < 16; j++) w[j] = j < n ? v[j] : _mm512_setzero_ps();
    float o[16];
    _mm512_storeu_ps(o, x86_sum16x16(w));
    for (int j = 0; j < n; j++) s[j] = o[j];
}

/* A tile: R weight rows (w, wrb bytes apart) x T token rows y[t] into
 * out[t * ldy + r]; yf: the token rows are floats (the F16 kernel's
 * pre-converted rows; the BF16 kernel ignores it). */
typedef void (*x86_ftile_fn)(int n, const char *w, size_t wrb, const void *const *y, bool yf, float *out,
                             int ldy);

/* A prompt's token rows are walked in blocks of about this many bytes
 * (16-bit elements), which stay in L2 while every 4-row group of the slice
 * passes over them. bench-1b-f16 pp512 t=2 by block: 64 KiB 158 t/s,
 * 192 KiB 163, 384 KiB 171, 512 KiB - 1 MiB 171-174, whole prompt 172. */
enum { X86_FTILE_TOK_BLOCK_BYTES = 512 * 1024 };

/* Rows [r0, r1) x n_tok (> 8) tokens of 16-bit rows: 4-row tiles (wide[T],
 * T = 1..6 tokens) over token blocks, the slice's last rows one at a time
 * (one[T], T = 1..8). */
static inline void x86_ftile_prompt(const x86_ftile_fn *wide, const x86_ftile_fn *one, const char *wb,
                                    size_t w_row_bytes, const char *ab, size_t act_row_bytes, int n, int r0,
                                    int r1, int n_tok, float *y, int ldy)
{
    const void *yp[8];
    int tb = X86_FTILE_TOK_BLOCK_BYTES / (2 * (n > 0 ? n : 1)) / 6 * 6;
    if (tb < 6) tb = 6;
    for (int t0 = 0; t0 < n_tok; t0 += tb) {
        const int te = t0 + tb < n_tok ? t0 + tb : n_tok;
        /* the block's tokens in tiles of 5 or 6, not 6s and a small rest */
        const int ntl = (te - t0 + 5) / 6;
        int r = r0;
        for (; r + 4 <= r1; r += 4)
            for (int k = 0, t = t0; k < ntl; k++) {
                /* the next 4 rows into L2, a slice per token tile (as the
                 * quantized tiles fetch their next strip) */
                if (r + 8 <= r1) x86_prefetch_l2_slice(wb + (size_t)(r + 4) * w_row_bytes, 4 * w_row_bytes, k, ntl);
                const int nt = (te - t0) * (k + 1) / ntl - (t - t0);
                for (int j = 0; j < nt; j++) yp[j] = ab + (size_t)(t + j) * act_row_bytes;
                wide[nt](n, wb + (size_t)r * w_row_bytes, w_row_bytes, yp, false, y + (size_t)t * (size_t)ldy + r,
                         ldy);
                t += nt;
            }
        for (; r < r1; r++)
            for (int t = t0; t < te; t += 8) {
                const int nt = te - t < 8 ? te - t : 8;
                for (int j = 0; j < nt; j++) yp[j] = ab + (size_t)(t + j) * act_row_bytes;
                one[nt](n, wb + (size_t)r * w_row_bytes, w_row_bytes, yp, false, y + (size_t)t * (size_t)ldy + r, ldy);
            }
    }
}

#endif
