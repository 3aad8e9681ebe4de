/* dec_f16_avx512.h — F16 weights against a few F16 rows on AVX-512: the
 * attention products (K · q for a KV head's query rows, V^T · p) and F16
 * models' decode steps. Included only by x86/avx512.c, after body256.h and
 * dec_k_avx512.h (x86_hi256_ps).
 *
 * Why a path of its own: the group kernel (f16_multi) converts each weight
 * row once per pair of tokens and ends every (row, token) dot in its own
 * horizontal sum, which for 64-element attention rows costs more than the
 * products. Here a row is converted once for up to 8 tokens, the products
 * run 16 lanes wide, and the 8 tokens' sums share one transposed tree.
 *
 * Bits: f16_multi's order is kept exactly. Its 4 chains of 8 lanes over
 * 32-element steps are the two halves of the accumulators A (chains 0 | 1)
 * and B (2 | 3) here; its 8-element remainder steps feed chain 0 (A's low
 * half, by a masked fma); the chains are summed ((0 + 1) + 2) + 3 and then
 * reduced as hsum_ps does, (l0 + l4) + (l2 + l6) + ((l1 + l5) + (l3 + l7)),
 * which the tree below reproduces for 8 tokens at once. Rows whose length
 * is not a multiple of 8 (a scalar tail) are left to the group kernel. */
#ifndef HONE_X86_DEC_F16_AVX512_H
#define HONE_X86_DEC_F16_AVX512_H

/* 8 tokens' 8-lane chain sums -> their 8 hsum_ps values, lane t = token t. */
X86_INLINE __m256 x86_f16_hsum8(const __m256 s[8])
{
    __m256 l[4], m[2];
    /* per token lo128 + hi128: l[k] holds tokens 2k (low) and 2k + 1 (high) */
    for (int k = 0; k < 4; k++)
        l[k] = _mm256_add_ps(_mm256_permute2f128_ps(s[2 * k], s[2 * k + 1], 0x20),
                             _mm256_permute2f128_ps(s[2 * k], s[2 * k + 1], 0x31));
    /* (x0 + x2, x1 + x3) per token: m[0] low: tokens 0, 2; high: 1, 3 */
    for (int k = 0; k < 2; k++)
        m[k] = _mm256_add_ps(_mm256_shuffle_ps(l[2 * k], l[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm256_shuffle_ps(l[2 * k], l[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    /* y0 + y1: low 128 tokens 0, 2, 4, 6; high 1, 3, 5, 7 */
    const __m256 f = _mm256_add_ps(_mm256_shuffle_ps(m[0], m[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm256_shuffle_ps(m[0], m[1], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm256_permutevar8x32_ps(f, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* 16 / 8 elements of token row y from i: F16, or floats converted before
 * (yf: the same values, f16 -> f32 being exact). */
X86_INLINE __m512 x86_f16_y16(const void *y, int i, bool yf)
{
    return yf ? _mm512_load_ps((const float *)y + i)
              : _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)y + i)));
}

X86_INLINE __m256 x86_f16_y8(const void *y, int i, bool yf)
{
    return yf ? _mm256_load_ps((const float *)y + i) : load_f16x8((const uint16_t *)y + i);
}

/* One weight row x against NT token rows y[t] (n elements, n % 8 == 0). */
X86_INLINE __m256 x86_f16_row(int n, const uint16_t *x, const void *const *y, bool yf, int NT)
{
    __m512 A[8], B[8];
    for (int t = 0; t < NT; t++) A[t] = B[t] = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512 xa = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i)));
        const __m512 xb = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i + 16)));
        for (int t = 0; t < NT; t++) {
            A[t] = _mm512_fmadd_ps(xa, x86_f16_y16(y[t], i, yf), A[t]);
            B[t] = _mm512_fmadd_ps(xb, x86_f16_y16(y[t], i + 16, yf), B[t]);
        }
    }
    for (; i + 8 <= n; i += 8) {
        const __m512 xv = _mm512_castps256_ps512(load_f16x8(x + i));
        for (int t = 0; t < NT; t++)
            A[t] = _mm512_mask3_fmadd_ps(xv, _mm512_castps256_ps512(x86_f16_y8(y[t], i, yf)), A[t], 0x00FF);
    }
    __m256 s[8];
    for (int t = 0; t < 8; t++) {
        if (t >= NT) {
            s[t] = _mm256_setzero_ps();
            continue;
        }
        const __m256 c01 = _mm256_add_ps(_mm512_castps512_ps256(A[t]), x86_hi256_ps(A[t]));
        s[t] = _mm256_add_ps(_mm256_add_ps(c01, _mm512_castps512_ps256(B[t])), x86_hi256_ps(B[t]));
    }
    return x86_f16_hsum8(s);
}

/* Rows [r0, r1) against NT token rows y[t] (F16, or floats if yf). */
X86_INLINE void x86_f16_rows(const char *w, size_t w_row_bytes, const void *const *y, bool yf, int n, int r0,
                             int r1, float *out, int ldy, int NT)
{
    /* Short rows far apart (a KV cache's K rows of one head: 128 bytes
     * every kv_dim elements) defeat the hardware prefetcher, and a row's
     * work is too short to hide the next one's miss: fetch ahead. */
    const bool pf = n <= 128 && w_row_bytes > (size_t)n * 2;
    for (int r = r0; r < r1; r++) {
        if (pf && r + 48 < r1)
            for (int o = 0; o < n * 2; o += 64) _mm_prefetch(w + (size_t)(r + 48) * w_row_bytes + o, _MM_HINT_T0);
        float v[8];
        _mm256_storeu_ps(v, x86_f16_row(n, (const uint16_t *)(w + (size_t)r * w_row_bytes), y, yf, NT));
        for (int t = 0; t < NT; t++) out[(size_t)t * (size_t)ldy + (size_t)r] = v[t];
    }
}

#define X86_F16_SHAPE(NT)                                                                           \
    static void x86_f16_rows_##NT(const char *w, size_t wrb, const void *const *y, bool yf, int n, int r0, \
                                  int r1, float *out, int ldy)                                      \
    {                                                                                               \
        if (yf)                                                                                     \
            x86_f16_rows(w, wrb, y, true, n, r0, r1, out, ldy, NT);                                 \
        else                                                                                        \
            x86_f16_rows(w, wrb, y, false, n, r0, r1, out, ldy, NT);                                \
    }
X86_F16_SHAPE(1)
X86_F16_SHAPE(2)
X86_F16_SHAPE(3)
X86_F16_SHAPE(4)
X86_F16_SHAPE(5)
X86_F16_SHAPE(6)
X86_F16_SHAPE(7)
X86_F16_SHAPE(8)
#undef X86_F16_SHAPE

/* Token rows converted to floats up front when they fit this many floats
 * (attention's query rows, and p over contexts up to 4096 positions): the
 * inner loop then reads each once per 16 products with no conversion. */
enum { X86_F16_YF_MAX = 4096 * 8 };

/* Rows [r0, r1) x n_tok tokens: 16-row strips (in L1) that every group of
 * up to 8 tokens passes over. False (nothing done) for rows with a tail. */
__attribute__((noinline)) static bool x86_dec_f16_matmul(const void *w, size_t w_row_bytes, const void *act,
                                                         size_t act_row_bytes, int n, int r0, int r1, int n_tok,
                                                         float *y, int ldy)
{
    typedef void (*rows_fn)(const char *, size_t, const void *const *, bool, int, int, int, float *, int);
    static const rows_fn ROWS[9] = {NULL,          x86_f16_rows_1, x86_f16_rows_2, x86_f16_rows_3,
                                    x86_f16_rows_4, x86_f16_rows_5, x86_f16_rows_6, x86_f16_rows_7,
                                    x86_f16_rows_8};
    if (n % 8 != 0 || n < 8) return false;
    const int ng = (n_tok + 7) / 8;
    /* 128 KiB of stack: the function is noinline, its frame the only one
     * of this size alive */
    _Alignas(64) float yfb[X86_F16_YF_MAX];
    const size_t ld = (size_t)(n + 15) / 16 * 16; /* rows 64-byte aligned */
    const bool yf = ng == 1 && ld * (size_t)n_tok <= X86_F16_YF_MAX;
    const void *yp[8];
    for (int t = 0; t < n_tok && t < 8; t++) {
        const uint16_t *src = (const uint16_t *)((const char *)act + (size_t)t * act_row_bytes);
        if (!yf) {
            yp[t] = src;
            continue;
        }
        float *dst = yfb + (size_t)t * ld;
        for (int i = 0; i < n; i += 8) _mm256_store_ps(dst + i, load_f16x8(src + i));
        yp[t] = dst;
    }
    /* one token group: a single pass (so the fetch-ahead crosses strips) */
    if (ng == 1) {
        ROWS[n_tok](w, w_row_bytes, yp, yf, n, r0, r1, y, ldy);
        return true;
    }
    enum { STRIP = 16 };
    for (int rs = r0; rs < r1; rs += STRIP) {
        const int re = rs + STRIP < r1 ? rs + STRIP : r1;
        for (int g = 0; g < ng; g++) {
            const int t0 = 8 * g, nt = n_tok - t0 < 8 ? n_tok - t0 : 8;
            if (ng > 1)
                for (int t = 0; t < nt; t++) yp[t] = (const char *)act + (size_t)(t0 + t) * act_row_bytes;
            ROWS[nt](w, w_row_bytes, yp, yf, n, rs, re, y + (size_t)t0 * (size_t)ldy, ldy);
        }
    }
    return true;
}

#endif
