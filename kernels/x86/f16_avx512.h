/* f16_avx512.h — F16 weights on AVX-512: the set's F16 vec_dot and matmul,
 * for F16 models (prompts and decode steps) and attention's products (K · q
 * for a KV head's query rows, V^T · p). Included only by x86/avx512.c, after
 * body256.h.
 *
 * The order of an F16 dot in this set (vec_dot and every matmul shape
 * compute exactly it, so a result never depends on the batch): one chain of
 * 16 lanes over the row's 16-element steps; an 8-element step after them
 * feeds the low 8 lanes (masked fma); the 16 lanes are summed by halves,
 * lane i with i + 8, then i + 4, i + 2, i + 1 (hsum_ps's association on the
 * top 8); the last n % 8 products are added one by one. tinyBLAS, which
 * llama.cpp runs for F16 weights on AVX-512, also keeps one 16-lane chain
 * per output.
 *
 * Why one chain: it lets a register tile of 4 weight rows x 6 tokens hold
 * its 24 accumulators and convert 10 vectors per 24 FMAs. The 256-bit
 * body's order (4 chains of 8 lanes, two 16-lane accumulators per output)
 * fits at most 4 x 3 and converts 14 per 24; F16 -> F32 conversion is the
 * bottleneck (one per cycle from memory on Zen 5 against two FMAs).
 * Measured in isolation, 1 thread, 256 rows x 512 tokens: 4 x 6 one chain
 * 210-230 GFLOP/s, 4 x 3 two chains 189-191, the former 1 x 8 rows ~133. */
#ifndef HONE_X86_F16_AVX512_H
#define HONE_X86_F16_AVX512_H

#include "x86/ftile_avx512.h"

/* 16 / 8 elements of token row y from i: F16, or floats converted before
 * (yf: the same values, f16 -> f32 being exact; rows 64-byte aligned). */
/* 16 / 8 / 1 16-bit elements from i as floats: F16, or BF16 (bf16: its
 * bits moved up, exact). */
X86_INLINE __m512 x86_h16(const void *p, int i, bool bf16)
{
    const __m256i v = _mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i));
    return bf16 ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(v), 16)) : _mm512_cvtph_ps(v);
}

X86_INLINE __m256 x86_h8(const void *p, int i, bool bf16)
{
    return bf16 ? load_bf16x8((const uint16_t *)p + i) : load_f16x8((const uint16_t *)p + i);
}

X86_INLINE float x86_h1(const void *p, int i, bool bf16)
{
    const uint16_t h = ((const uint16_t *)p)[i];
    return bf16 ? hone_bf16_to_f32(h) : hone_f16_to_f32(h);
}

X86_INLINE __m512 x86_f16_y16(const void *y, int i, bool yf, bool bf16)
{
    return yf ? _mm512_load_ps((const float *)y + i) : x86_h16(y, i, bf16);
}

X86_INLINE __m256 x86_f16_y8(const void *y, int i, bool yf, bool bf16)
{
    return yf ? _mm256_load_ps((const float *)y + i) : x86_h8(y, i, bf16);
}

X86_INLINE float x86_f16_y1(const void *y, int i, bool yf, bool bf16)
{
    return yf ? ((const float *)y)[i] : x86_h1(y, i, bf16);
}

enum { X86_F16_MAX_R = 4, X86_F16_MAX_T = 8 };

/* R weight rows (w, w_row_bytes apart) x T token rows y[t]: out[t * ldy + r]
 * = row r . token t in the set's order. R * T <= 24 (the accumulators stay
 * in registers); a constant R and T in every instance. */
X86_INLINE void x86_f16_tile(bool bf16, int n, const char *w, size_t wrb, const void *const *y, bool yf,
                             float *out, int ldy, int R, int T)
{
    /* One row at a time streams its weights (see x86_f16_rows): fetch
     * 8 KiB ahead, i.e. the next rows, which are contiguous. */
    const bool pf = R == 1;
    __m512 acc[X86_F16_MAX_R][X86_F16_MAX_T];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) acc[r][t] = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 wv[X86_F16_MAX_R];
        for (int r = 0; r < R; r++)
            wv[r] = x86_h16(w + (size_t)r * wrb, i, bf16);
        if (pf && (i & 31) == 0) _mm_prefetch(w + 2 * i + 8192, _MM_HINT_T0);
        for (int t = 0; t < T; t++) {
            const __m512 yv = x86_f16_y16(y[t], i, yf, bf16);
            for (int r = 0; r < R; r++) acc[r][t] = _mm512_fmadd_ps(wv[r], yv, acc[r][t]);
        }
    }
    if (i + 8 <= n) {
        __m512 wv[X86_F16_MAX_R];
        for (int r = 0; r < R; r++)
            wv[r] = _mm512_castps256_ps512(x86_h8(w + (size_t)r * wrb, i, bf16));
        for (int t = 0; t < T; t++) {
            const __m512 yv = _mm512_castps256_ps512(x86_f16_y8(y[t], i, yf, bf16));
            for (int r = 0; r < R; r++) acc[r][t] = _mm512_mask3_fmadd_ps(wv[r], yv, acc[r][t], 0x00FF);
        }
        i += 8;
    }
    float s[X86_F16_MAX_R * X86_F16_MAX_T];
    for (int g = 0; g < R * T; g += 16) {
        __m512 v[16];
        const int m = R * T - g < 16 ? R * T - g : 16;
        for (int j = 0; j < m; j++) v[j] = acc[(g + j) / T][(g + j) % T];
        x86_sum16_n(v, m, s + g);
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            float v = s[r * T + t];
            const uint16_t *x = (const uint16_t *)(w + (size_t)r * wrb);
            for (int j = i; j < n; j++) v += x86_h1(x, j, bf16) * x86_f16_y1(y[t], j, yf, bf16);
            out[(size_t)t * (size_t)ldy + (size_t)r] = v;
        }
}

/* Each shape for F16 and for BF16 (x86_bf16_tile_*: CPUs without
 * AVX512_BF16, whose BF16 rows are widened like F16 ones are converted). */
#define X86_F16_TILE(R, T)                                                                          \
    static void x86_f16_tile_##R##x##T(int n, const char *w, size_t wrb, const void *const *y,     \
                                       bool yf, float *out, int ldy)                               \
    {                                                                                               \
        if (yf)                                                                                     \
            x86_f16_tile(false, n, w, wrb, y, true, out, ldy, R, T);                                \
        else                                                                                        \
            x86_f16_tile(false, n, w, wrb, y, false, out, ldy, R, T);                               \
    }                                                                                               \
    static void x86_bf16_tile_##R##x##T(int n, const char *w, size_t wrb, const void *const *y,    \
                                        bool yf, float *out, int ldy)                              \
    {                                                                                               \
        if (yf)                                                                                     \
            x86_f16_tile(true, n, w, wrb, y, true, out, ldy, R, T);                                 \
        else                                                                                        \
            x86_f16_tile(true, n, w, wrb, y, false, out, ldy, R, T);                                \
    }
X86_F16_TILE(1, 1)
X86_F16_TILE(1, 2)
X86_F16_TILE(1, 3)
X86_F16_TILE(1, 4)
X86_F16_TILE(1, 5)
X86_F16_TILE(1, 6)
X86_F16_TILE(1, 7)
X86_F16_TILE(1, 8)
X86_F16_TILE(4, 1)
X86_F16_TILE(4, 2)
X86_F16_TILE(4, 3)
X86_F16_TILE(4, 4)
X86_F16_TILE(4, 5)
X86_F16_TILE(4, 6)
X86_F16_TILE(3, 7)
X86_F16_TILE(3, 8)
#undef X86_F16_TILE

/* By token count: one row, and the widest row group whose accumulators fit
 * (4 rows up to 6 tokens, 3 rows for 7 and 8). */
static const x86_ftile_fn X86_F16_ONE[X86_F16_MAX_T + 1] = {
    NULL, x86_f16_tile_1x1, x86_f16_tile_1x2, x86_f16_tile_1x3, x86_f16_tile_1x4,
    x86_f16_tile_1x5, x86_f16_tile_1x6, x86_f16_tile_1x7, x86_f16_tile_1x8};
static const x86_ftile_fn X86_F16_WIDE[X86_F16_MAX_T + 1] = {
    NULL, x86_f16_tile_4x1, x86_f16_tile_4x2, x86_f16_tile_4x3, x86_f16_tile_4x4,
    x86_f16_tile_4x5, x86_f16_tile_4x6, x86_f16_tile_3x7, x86_f16_tile_3x8};
static const x86_ftile_fn X86_BF16_ONE[X86_F16_MAX_T + 1] = {
    NULL, x86_bf16_tile_1x1, x86_bf16_tile_1x2, x86_bf16_tile_1x3, x86_bf16_tile_1x4,
    x86_bf16_tile_1x5, x86_bf16_tile_1x6, x86_bf16_tile_1x7, x86_bf16_tile_1x8};
static const x86_ftile_fn X86_BF16_WIDE[X86_F16_MAX_T + 1] = {
    NULL, x86_bf16_tile_4x1, x86_bf16_tile_4x2, x86_bf16_tile_4x3, x86_bf16_tile_4x4,
    x86_bf16_tile_4x5, x86_bf16_tile_4x6, x86_bf16_tile_3x7, x86_bf16_tile_3x8};

static void x86_avx512_vec_dot_f16(int n, float *s, const void *x, const void *y)
{
    x86_f16_tile_1x1(n, x, 0, &y, false, s, 1);
}

/* BF16 on CPUs without AVX512_BF16 (avx512_bf16.c has the vdpbf16ps one). */
static void x86_avx512_vec_dot_bf16(int n, float *s, const void *x, const void *y)
{
    x86_bf16_tile_1x1(n, x, 0, &y, false, s, 1);
}

/* Rows [r0, r1) x the T tokens y[t] (T <= 8). */
static void x86_f16_rows(bool bf16, const char *w, size_t wrb, const void *const *y, bool yf, int n, int r0,
                         int r1, float *out, int ldy, int T)
{
    const x86_ftile_fn *one = bf16 ? X86_BF16_ONE : X86_F16_ONE, *wide = bf16 ? X86_BF16_WIDE : X86_F16_WIDE;
    /* Up to 4 tokens, one row at a time (T independent chains): decode
     * reads weights at the memory's speed only as one stream per thread.
     * bench-1b-f16 tg64 t=2: 4 rows at once 18-20 t/s, one row 25-26.6. */
    const int R = T <= 4 ? 1 : T <= 6 ? 4 : 3;
    /* Short rows (a KV cache's K rows of one head: 128 bytes each) are
     * too little work to hide the next one's miss, far apart or not: the
     * hardware's stream prefetch did not keep up with a head's 512 KiB of
     * contiguous K at a 4096 context (28 % of the tile's samples on the
     * FMA after the K load). Fetch 48 rows ahead. */
    const bool pf = n <= 128;
    for (int r = r0; r < r1;) {
        const int g = R > 1 && r + R <= r1 ? R : 1;
        if (pf && r + 48 + g <= r1)
            for (int j = 0; j < g; j++)
                for (int o = 0; o < n * 2; o += 64) _mm_prefetch(w + (size_t)(r + 48 + j) * wrb + o, _MM_HINT_T0);
        (g > 1 ? wide : one)[T](n, w + (size_t)r * wrb, wrb, y, yf, out + r, ldy);
        r += g;
    }
}

/* Token rows converted to floats up front when they fit this many floats
 * (attention's query rows, p over contexts up to 4096 positions, a decode
 * step's tokens): the inner loop then reads each with no conversion. */
enum { X86_F16_YF_MAX = 4096 * 8 };

/* Rows [r0, r1) x n_tok tokens. Up to 8 tokens (decode steps, attention):
 * one pass over the rows with every token. More (prompts): 4 x 6 tiles,
 * token blocks outermost. */
__attribute__((noinline)) static void x86_f16_matmul(bool bf16, const void *w, size_t w_row_bytes, const void *act,
                                                     size_t act_row_bytes, int n, int r0, int r1, int n_tok,
                                                     float *y, int ldy)
{
    const char *wb = w, *ab = act;
    const void *yp[X86_F16_MAX_T];
    if (n_tok <= X86_F16_MAX_T) {
        /* 128 KiB of stack: the function is noinline, its frame the only
         * one of this size alive */
        _Alignas(64) float yfb[X86_F16_YF_MAX];
        const size_t ld = (size_t)(n + 15) / 16 * 16; /* rows 64-byte aligned */
        const bool yf = ld * (size_t)n_tok <= X86_F16_YF_MAX;
        for (int t = 0; t < n_tok; t++) {
            const uint16_t *src = (const uint16_t *)(ab + (size_t)t * act_row_bytes);
            yp[t] = src;
            if (!yf) continue;
            float *dst = yfb + (size_t)t * ld;
            for (int i = 0; i + 8 <= n; i += 8) _mm256_store_ps(dst + i, x86_h8(src, i, bf16));
            for (int i = n & ~7; i < n; i++) dst[i] = x86_h1(src, i, bf16);
            yp[t] = dst;
        }
        x86_f16_rows(bf16, wb, w_row_bytes, yp, yf, n, r0, r1, y, ldy, n_tok);
        return;
    }
    x86_ftile_prompt(bf16 ? X86_BF16_WIDE : X86_F16_WIDE, bf16 ? X86_BF16_ONE : X86_F16_ONE, wb, w_row_bytes, ab,
                     act_row_bytes, n, r0, r1, n_tok, y, ldy);
}

#endif
