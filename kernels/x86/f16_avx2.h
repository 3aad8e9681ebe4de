/* f16_avx2.h — F16 and BF16 weights on AVX2 + F16C: the avx2 set's F16 and
 * BF16 vec_dot and matmul (F16 / BF16 models' prompts and decode steps,
 * attention's products). BF16 is converted by a shift where F16 takes
 * vcvtph2ps; the rest is one kernel.
 * Included only by x86/avx2.c, after body256.h.
 *
 * The order of an F16 or BF16 dot in this set (vec_dot and every matmul
 * shape, so a result never depends on the batch): two chains of 8 lanes, A
 * over the elements 16i..16i+7, B over 16i+8..16i+15 (BF16: the two halves
 * of an unpack, see x86_f16a_half); an 8-element step after them
 * feeds A; A + B summed as hsum_ps; the last n % 8 products added one by
 * one.
 *
 * Why two chains: one decode row then has two independent FMA chains (one
 * 8-lane chain would stall on the FMA latency below the memory's speed),
 * and prompts lose nothing: the chains are independent, so F16's 4-row x
 * 3-token tile runs one chain over the row, then the other, 12
 * accumulators at a time (x86_f16a_tile4). */
#ifndef HONE_X86_F16_AVX2_H
#define HONE_X86_F16_AVX2_H

#if defined(HONE_X86_VNNI)
#error "x86/f16_avx2.h is the AVX2 build's (x86/avx2.c): the AVX-512 build has x86/f16_avx512.h"
#endif

enum { X86_F16A_MAX_R = 2, X86_F16A_MAX_T = 6 };

/* R weight rows (w, wrb bytes apart) x T token rows y[t] (F16):
 * out[t * ldy + r]. R * T <= 6; R and T constant in every instance. One
 * row at a time (decode) fetches 8 KiB ahead: the next rows, contiguous. */
X86_INLINE __m256 x86_f16a_ld(bool bf16, const void *p, int i)
{
    return bf16 ? load_bf16x8((const uint16_t *)p + i) : load_f16x8((const uint16_t *)p + i);
}

/* Half h of a 16-element step i: F16 elements i + 8h..i + 8h + 7; BF16 the
 * words one unpack of the 16 gives (h = 0: elements 0-3, 8-11; h = 1: 4-7,
 * 12-15 of the step), one operation instead of a widen and a shift. */
X86_INLINE __m256 x86_f16a_half(bool bf16, const void *p, int i, int h)
{
    if (!bf16) return load_f16x8((const uint16_t *)p + i + 8 * h);
    const __m256i v = _mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i)), z = _mm256_setzero_si256();
    return _mm256_castsi256_ps(h ? _mm256_unpackhi_epi16(z, v) : _mm256_unpacklo_epi16(z, v));
}

X86_INLINE float x86_f16a_1(bool bf16, const void *p, int i)
{
    const uint16_t h = ((const uint16_t *)p)[i];
    return bf16 ? hone_bf16_to_f32(h) : hone_f16_to_f32(h);
}

X86_INLINE void x86_f16a_tile(bool bf16, int n, const char *w, size_t wrb, const void *const *y, float *out,
                              int ldy, int R, int T)
{
    __m256 A[X86_F16A_MAX_R][X86_F16A_MAX_T], B[X86_F16A_MAX_R][X86_F16A_MAX_T];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) A[r][t] = B[r][t] = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        if (R == 1 && (i & 31) == 0) _mm_prefetch(w + 2 * (size_t)i + 8192, _MM_HINT_T0);
        __m256 wa[X86_F16A_MAX_R];
        for (int r = 0; r < R; r++) wa[r] = x86_f16a_half(bf16, w + (size_t)r * wrb, i, 0);
        for (int t = 0; t < T; t++) {
            const __m256 ya = x86_f16a_half(bf16, y[t], i, 0);
            for (int r = 0; r < R; r++) A[r][t] = _mm256_fmadd_ps(wa[r], ya, A[r][t]);
        }
        for (int r = 0; r < R; r++) wa[r] = x86_f16a_half(bf16, w + (size_t)r * wrb, i, 1);
        for (int t = 0; t < T; t++) {
            const __m256 yb = x86_f16a_half(bf16, y[t], i, 1);
            for (int r = 0; r < R; r++) B[r][t] = _mm256_fmadd_ps(wa[r], yb, B[r][t]);
        }
    }
    if (i + 8 <= n) {
        for (int r = 0; r < R; r++) {
            const __m256 wv = x86_f16a_ld(bf16, w + (size_t)r * wrb, i);
            for (int t = 0; t < T; t++) A[r][t] = _mm256_fmadd_ps(wv, x86_f16a_ld(bf16, y[t], i), A[r][t]);
        }
        i += 8;
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            float v = hsum_ps(_mm256_add_ps(A[r][t], B[r][t]));
            for (int j = i; j < n; j++) v += x86_f16a_1(bf16, w + (size_t)r * wrb, j) * x86_f16a_1(bf16, y[t], j);
            out[(size_t)t * (size_t)ldy + (size_t)r] = v;
        }
}

typedef void (*x86_f16a_tile_fn)(bool bf16, int n, const char *w, size_t wrb, const void *const *y, float *out,
                                 int ldy);
#define X86_F16A_TILE(R, T)                                                                          \
    static void x86_f16a_tile_##R##x##T(bool bf16, int n, const char *w, size_t wrb,                \
                                        const void *const *y, float *out, int ldy)                   \
    {                                                                                                \
        if (bf16)                                                                                    \
            x86_f16a_tile(true, n, w, wrb, y, out, ldy, R, T);                                       \
        else                                                                                         \
            x86_f16a_tile(false, n, w, wrb, y, out, ldy, R, T);                                      \
    }
X86_F16A_TILE(1, 1)
X86_F16A_TILE(1, 2)
X86_F16A_TILE(1, 3)
X86_F16A_TILE(1, 4)
X86_F16A_TILE(2, 1)
X86_F16A_TILE(2, 2)
X86_F16A_TILE(2, 3)
#undef X86_F16A_TILE

static const x86_f16a_tile_fn X86_F16A_ONE[5] = {NULL, x86_f16a_tile_1x1, x86_f16a_tile_1x2, x86_f16a_tile_1x3,
                                                 x86_f16a_tile_1x4};
static const x86_f16a_tile_fn X86_F16A_TWO[4] = {NULL, x86_f16a_tile_2x1, x86_f16a_tile_2x2, x86_f16a_tile_2x3};

/* Prompt tiles of 4 rows x T <= 3 tokens. The order's two chains are
 * independent, so the tile runs chain A over the whole row, then chain B:
 * 12 accumulators each time (4 x 3 in 16 registers with the 3 token
 * vectors and one row vector), 7 conversions per 12 FMAs where the 2 x 3
 * tile, both chains live, converts 10. The same products in the same
 * order per chain: the same bits. Both passes read the row's 16-element
 * steps (half each), from L1. */
/* One chain (h = 0: A, with the 8-element step; h = 1: B) of a 4 x T
 * tile over the whole row; h is a constant in each call, so BF16's half
 * is one unpack, not a choice in the loop. */
X86_INLINE void x86_f16a_chain4(bool bf16, int n, const char *w, size_t wrb, const void *const *y, int h,
                                __m256 acc[4][3], int T)
{
    for (int r = 0; r < 4; r++)
        for (int t = 0; t < T; t++) acc[r][t] = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 yv[3];
        for (int t = 0; t < T; t++) yv[t] = x86_f16a_half(bf16, y[t], i, h);
        for (int r = 0; r < 4; r++) {
            const __m256 wv = x86_f16a_half(bf16, w + (size_t)r * wrb, i, h);
            for (int t = 0; t < T; t++) acc[r][t] = _mm256_fmadd_ps(wv, yv[t], acc[r][t]);
        }
    }
    if (h == 0 && i + 8 <= n)
        for (int r = 0; r < 4; r++) {
            const __m256 wv = x86_f16a_ld(bf16, w + (size_t)r * wrb, i);
            for (int t = 0; t < T; t++) acc[r][t] = _mm256_fmadd_ps(wv, x86_f16a_ld(bf16, y[t], i), acc[r][t]);
        }
}

X86_INLINE void x86_f16a_tile4(bool bf16, int n, const char *w, size_t wrb, const void *const *y, float *out,
                               int ldy, int T)
{
    __m256 a[4][3], b[4][3];
    x86_f16a_chain4(bf16, n, w, wrb, y, 0, a, T);
    x86_f16a_chain4(bf16, n, w, wrb, y, 1, b, T);
    const int i = n / 16 * 16 + (n % 16 >= 8 ? 8 : 0); /* the products left */
    for (int r = 0; r < 4; r++)
        for (int t = 0; t < T; t++) {
            float v = hsum_ps(_mm256_add_ps(a[r][t], b[r][t]));
            for (int j = i; j < n; j++) v += x86_f16a_1(bf16, w + (size_t)r * wrb, j) * x86_f16a_1(bf16, y[t], j);
            out[(size_t)t * (size_t)ldy + (size_t)r] = v;
        }
}

#define X86_F16A_TILE4(T)                                                                             \
    static void x86_f16a_tile_4x##T(bool bf16, int n, const char *w, size_t wrb, const void *const *y, \
                                    float *out, int ldy)                                               \
    {                                                                                                  \
        (void)bf16; /* F16 only: see x86_f16a_matmul */                                               \
        x86_f16a_tile4(false, n, w, wrb, y, out, ldy, T);                                              \
    }
X86_F16A_TILE4(1)
X86_F16A_TILE4(2)
X86_F16A_TILE4(3)
#undef X86_F16A_TILE4

static const x86_f16a_tile_fn X86_F16A_FOUR[4] = {NULL, x86_f16a_tile_4x1, x86_f16a_tile_4x2, x86_f16a_tile_4x3};

static void x86_avx2_vec_dot_f16(int n, float *s, const void *x, const void *y)
{
    x86_f16a_tile_1x1(false, n, x, 0, &y, s, 1);
}

static void x86_avx2_vec_dot_bf16(int n, float *s, const void *x, const void *y)
{
    x86_f16a_tile_1x1(true, n, x, 0, &y, s, 1);
}

/* A prompt's token rows are walked in blocks of about this many bytes
 * (F16) while the slice's row groups pass over them: each row is read
 * once per block (HONE_KERNELS=avx2 on the Zen 5, bench-1b-f16 pp512 t=2,
 * 4 x 3 tiles: 256 KiB 109-112 t/s, 512 KiB 115-118, 1 MiB 117-119, 2 MiB
 * as 1; BF16's 2 x 3 tiles: 256 KiB 106, 1 MiB 114. With the 2 x 3 tiles
 * alone 256 KiB had been best: 64-128 KiB 100, 256 KiB 111, 512 KiB -
 * whole prompt 106-108). */
enum { X86_F16A_TOK_BLOCK_BYTES = 1024 * 1024 };

/* Groups of R rows from r (while R fit before r1) x tokens [t0, te) in
 * tiles of up to 3 tokens (fns[nt]), the next group fetched into L2;
 * returns the first row left. */
X86_INLINE int x86_f16a_rows(bool bf16, const char *wb, size_t wrb, const char *ab, size_t arb, int n, int r, int r1,
                             int t0, int te, float *y, int ldy, int R, const x86_f16a_tile_fn *fns)
{
    const void *yp[3];
    for (; r + R <= r1; r += R) {
        if (r + 2 * R <= r1) x86_prefetch_l2_slice(wb + (size_t)(r + R) * wrb, (size_t)R * wrb, 0, 1);
        for (int t = t0; t < te; t += 3) {
            const int nt = te - t < 3 ? te - t : 3;
            for (int j = 0; j < nt; j++) yp[j] = ab + (size_t)(t + j) * arb;
            fns[nt](bf16, n, wb + (size_t)r * wrb, wrb, yp, y + (size_t)t * (size_t)ldy + r, ldy);
        }
    }
    return r;
}

/* Rows [r0, r1) x n_tok tokens. Up to 8 tokens (decode steps, attention):
 * one row at a time against groups of up to 4 tokens (one memory stream
 * per thread). More (prompts): 4 x 3 tiles for F16, 2 x 3 for BF16 (and
 * the last rows), token blocks outermost. */
__attribute__((noinline)) static void x86_f16a_matmul(bool bf16, const void *w, size_t w_row_bytes, const void *act,
                                                      size_t act_row_bytes, int n, int r0, int r1, int n_tok,
                                                      float *y, int ldy)
{
    const char *wb = w, *ab = act;
    const void *yp[4];
    if (n_tok <= 8) {
        for (int t0 = 0; t0 < n_tok; t0 += 4) {
            const int nt = n_tok - t0 < 4 ? n_tok - t0 : 4;
            for (int j = 0; j < nt; j++) yp[j] = ab + (size_t)(t0 + j) * act_row_bytes;
            for (int r = r0; r < r1; r++)
                X86_F16A_ONE[nt](bf16, n, wb + (size_t)r * w_row_bytes, w_row_bytes, yp,
                                 y + (size_t)t0 * (size_t)ldy + r, ldy);
        }
        return;
    }
    int tb = X86_F16A_TOK_BLOCK_BYTES / (2 * (n > 0 ? n : 1)) / 3 * 3;
    if (tb < 3) tb = 3;
    for (int t0 = 0; t0 < n_tok; t0 += tb) {
        const int te = t0 + tb < n_tok ? t0 + tb : n_tok;
        /* 4 x 3 tiles for F16 only: BF16's widening needs a zero register,
         * the 17th, and the 4 x 3 tile then spills (BF16 pp512 103 -> 61) */
        int r = bf16 ? r0 : x86_f16a_rows(bf16, wb, w_row_bytes, ab, act_row_bytes, n, r0, r1, t0, te, y, ldy, 4,
                                          X86_F16A_FOUR);
        r = x86_f16a_rows(bf16, wb, w_row_bytes, ab, act_row_bytes, n, r, r1, t0, te, y, ldy, 2, X86_F16A_TWO);
        for (; r < r1; r++)
            for (int t = t0; t < te; t += 4) {
                const int nt = te - t < 4 ? te - t : 4;
                for (int j = 0; j < nt; j++) yp[j] = ab + (size_t)(t + j) * act_row_bytes;
                X86_F16A_ONE[nt](bf16, n, wb + (size_t)r * w_row_bytes, w_row_bytes, yp, y + (size_t)t * (size_t)ldy + r,
                                 ldy);
            }
    }
}

#endif
