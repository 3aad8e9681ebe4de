/* avx512_bf16.c — BF16 weights with vdpbf16ps (AVX512_BF16): the avx512
 * set's BF16 vec_dot and matmul on CPUs that have it, in their own file so
 * only this code is built with -mavx512bf16. vdpbf16ps forms each bf16
 * product exactly in f32 and accumulates in f32 (inputs and outputs that
 * are denormal are flushed to zero, as on every AVX512_BF16 CPU).
 *
 * Order (vec_dot and every matmul shape, so a result never depends on the
 * batch): one chain of 16 lanes, vdpbf16ps over the row's 32-element steps,
 * the last n % 32 elements (masked loads, zeros past n) into the same
 * chain, the lanes summed as x86_sum16. One chain per output, as llama.cpp's
 * tinyBLAS keeps, lets the same 4-row x 6-token register tiles as the F16
 * kernel's (x86/f16_avx512.h) serve prompts; they need no conversion at all,
 * vdpbf16ps taking both operands as stored. */
#include "x86/ftile_avx512.h"
#include "x86/x86.h"

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BF16_INLINE static inline __attribute__((always_inline))

enum { BF16_MAX_R = 4, BF16_MAX_T = 8 };

BF16_INLINE __m512bh bf16_ld(const uint16_t *p, __mmask32 m, bool masked)
{
    return (__m512bh)(masked ? _mm512_maskz_loadu_epi16(m, p) : _mm512_loadu_si512(p));
}

/* R weight rows (w, wrb bytes apart) x T token rows y[t]: out[t * ldy + r].
 * R * T <= 24; R and T constant in every instance. One row at a time (the
 * decode shape) fetches 8 KiB ahead: the next rows, contiguous. */
BF16_INLINE void bf16_tile(int n, const char *w, size_t wrb, const void *const *y, float *out, int ldy, int R,
                           int T)
{
    __m512 acc[BF16_MAX_R][BF16_MAX_T];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) acc[r][t] = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512bh wv[BF16_MAX_R];
        for (int r = 0; r < R; r++) wv[r] = bf16_ld((const uint16_t *)(w + (size_t)r * wrb) + i, 0, false);
        if (R == 1) _mm_prefetch(w + 2 * (size_t)i + 8192, _MM_HINT_T0);
        for (int t = 0; t < T; t++) {
            const __m512bh yv = bf16_ld((const uint16_t *)y[t] + i, 0, false);
            for (int r = 0; r < R; r++) acc[r][t] = _mm512_dpbf16_ps(acc[r][t], wv[r], yv);
        }
    }
    if (i < n) {
        const __mmask32 m = (__mmask32)((1ull << (n - i)) - 1);
        __m512bh wv[BF16_MAX_R];
        for (int r = 0; r < R; r++) wv[r] = bf16_ld((const uint16_t *)(w + (size_t)r * wrb) + i, m, true);
        for (int t = 0; t < T; t++) {
            const __m512bh yv = bf16_ld((const uint16_t *)y[t] + i, m, true);
            for (int r = 0; r < R; r++) acc[r][t] = _mm512_dpbf16_ps(acc[r][t], wv[r], yv);
        }
    }
    float s[BF16_MAX_R * BF16_MAX_T];
    for (int g = 0; g < R * T; g += 16) {
        __m512 v[16];
        const int c = R * T - g < 16 ? R * T - g : 16;
        for (int j = 0; j < c; j++) v[j] = acc[(g + j) / T][(g + j) % T];
        x86_sum16_n(v, c, s + g);
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) out[(size_t)t * (size_t)ldy + (size_t)r] = s[r * T + t];
}

#define BF16_TILE(R, T)                                                                             \
    static void bf16_tile_##R##x##T(int n, const char *w, size_t wrb, const void *const *y, bool yf,   \
                                    float *out, int ldy)                                            \
    {                                                                                               \
        (void)yf; /* BF16 rows are used as stored */                                                \
        bf16_tile(n, w, wrb, y, out, ldy, R, T);                                                    \
    }
BF16_TILE(1, 1)
BF16_TILE(1, 2)
BF16_TILE(1, 3)
BF16_TILE(1, 4)
BF16_TILE(1, 5)
BF16_TILE(1, 6)
BF16_TILE(1, 7)
BF16_TILE(1, 8)
BF16_TILE(4, 1)
BF16_TILE(4, 2)
BF16_TILE(4, 3)
BF16_TILE(4, 4)
BF16_TILE(4, 5)
BF16_TILE(4, 6)
BF16_TILE(3, 7)
BF16_TILE(3, 8)
#undef BF16_TILE

/* By token count: one row; the widest row group whose accumulators fit. */
static const x86_ftile_fn BF16_ONE[BF16_MAX_T + 1] = {NULL,           bf16_tile_1x1, bf16_tile_1x2,
                                                      bf16_tile_1x3,  bf16_tile_1x4, bf16_tile_1x5,
                                                      bf16_tile_1x6,  bf16_tile_1x7, bf16_tile_1x8};
static const x86_ftile_fn BF16_WIDE[BF16_MAX_T + 1] = {NULL,          bf16_tile_4x1, bf16_tile_4x2,
                                                       bf16_tile_4x3, bf16_tile_4x4, bf16_tile_4x5,
                                                       bf16_tile_4x6, bf16_tile_3x7, bf16_tile_3x8};

void hone_avx512_vec_dot_bf16(int n, float *s, const void *vx, const void *vy)
{
    bf16_tile_1x1(n, vx, 0, &vy, false, s, 1);
}

void hone_avx512_matmul_bf16(const void *w, size_t w_row_bytes, const void *act, size_t act_row_bytes, int n,
                             int r0, int r1, int n_tok, float *y, int ldy)
{
    const char *wb = w, *ab = act;
    const void *yp[BF16_MAX_T];
    if (n_tok <= BF16_MAX_T) {
        /* decode steps: one row at a time up to 4 tokens (one memory
         * stream per thread, as the F16 kernel), else 4 or 3 rows */
        for (int t = 0; t < n_tok; t++) yp[t] = ab + (size_t)t * act_row_bytes;
        const int R = n_tok <= 4 ? 1 : n_tok <= 6 ? 4 : 3;
        for (int r = r0; r < r1;) {
            const int g = R > 1 && r + R <= r1 ? R : 1;
            (g > 1 ? BF16_WIDE : BF16_ONE)[n_tok](n, wb + (size_t)r * w_row_bytes, w_row_bytes, yp, false,
                                                  y + r, ldy);
            r += g;
        }
        return;
    }
    x86_ftile_prompt(BF16_WIDE, BF16_ONE, wb, w_row_bytes, ab, act_row_bytes, n, r0, r1, n_tok, y, ldy);
}
