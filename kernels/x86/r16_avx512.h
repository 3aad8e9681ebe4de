/* r16_avx512.h — Q4_0 matrices laid out in groups of 16 rows (the avx512
 * set's repack, HONE_WTYPE_R16), and the products that read them.
 *
 * Why: the one-token Q4_0 product over rows as stored has to gather each
 * block's nibbles, reduce each block's integer sum across lanes, and
 * transpose 8 rows' sums and scales into lanes for the float chains: on a
 * CPU with two 512-bit ports (Intel Xeon) that shuffling, not the read,
 * bounds it (bench_kernels --few from L2: 19.5 GB/s, from memory 10-13
 * against the one-thread probe's 14-16). With 16 rows in the 16 lanes of a
 * register a block is 8 vpdpbusd against broadcast activation dwords,
 * each lane ends holding its row's exact block sum, and the float chain
 * runs lane per row: no shuffles at all.
 *
 * Group layout (rows 16g .. 16g + 15 keep their byte range, 16 x 18 bytes
 * per block): block b is the 288 bytes at 288 b, the 16 rows' F16 scales
 * (32 bytes), then four 64-byte vectors: dword k of lane r = bytes
 * 4k .. 4k+3 of row r's 16 quant bytes, as stored (low nibbles: elements
 * 4k .. 4k+3, high nibbles: 16 + 4k ..).
 *
 * Numerics: per (row, token) the block sums are exact integers and the
 * float steps are those of the tiles (tiles16_vnni.h) and the one-row
 * kernels: p = dx * dy, acc = fma(sum, p, acc) with acc0 over the even
 * blocks and acc1 over the odd, in block order, then acc0 + acc1. So the
 * bits equal matmul over the rows as stored, and vec_dot's.
 *
 * Included by x86/avx512.c after tiles16_vnni.h. */
#ifndef HONE_X86_R16_AVX512_H
#define HONE_X86_R16_AVX512_H

enum { X86_R16_NT = 4 }; /* X86_R16_BLOCK: tiles16_vnni.h */
_Static_assert(16 * sizeof(block_q4_0) == 288, "16 Q4_0 blocks are 288 bytes");

/* The set's repack (hone_repack_fn): Q4_0 matrices whose rows come in
 * whole groups of 16 and whose blocks the tiles take (x86_tile_matmul's
 * X86_TILE_MAX_NB); anything else stays in rows. */
static bool x86_r16_repack(uint32_t type, void *w, int64_t rows, size_t row_bytes)
{
    if (type != HONE_TYPE_Q4_0 || rows % 16 || row_bytes % sizeof(block_q4_0)) return false;
    const size_t nb = row_bytes / sizeof(block_q4_0);
    if (nb < 1 || nb > X86_TILE_MAX_NB) return false;
    /* a copy of the group's rows (cannot fail: a part of a matrix repacked
     * by one thread must be repacked like the rest) */
    _Alignas(64) uint8_t rows16[16 * X86_TILE_MAX_NB * sizeof(block_q4_0)];
    for (int64_t g = 0; g < rows / 16; g++) {
        uint8_t *gp = (uint8_t *)w + (size_t)g * 16 * row_bytes;
        memcpy(rows16, gp, 16 * row_bytes);
        const char *p[16];
        for (int r = 0; r < 16; r++) p[r] = (const char *)rows16 + (size_t)r * row_bytes;
        for (size_t b = 0; b < nb; b++) {
            uint8_t *o = gp + b * X86_R16_BLOCK;
            for (int r = 0; r < 16; r++) memcpy(o + 2 * r, p[r] + b * sizeof(block_q4_0), 2);
            __m512i c[4];
            x86_tr16x4(p, b * sizeof(block_q4_0) + offsetof(block_q4_0, qs), c);
            for (int k = 0; k < 4; k++) _mm512_storeu_si512(o + 32 + 64 * k, c[k]);
        }
    }
    return true;
}

/* One token's per-block terms: its blocks, -8 sum(a) and the scale. */
typedef struct {
    const block_q8_0 *a;
    int32_t corr[X86_TILE_MAX_NB];
    float dy[X86_TILE_MAX_NB];
} x86_r16_act;

/* Block bp (one group's block) against NT tokens' block b: acc[t] += ... */
X86_INLINE void x86_r16_step(const uint8_t *bp, int b, const x86_r16_act *a, int NT, __m512 *acc)
{
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)bp));
    __m512i lo[4], hi[4];
    for (int k = 0; k < 4; k++) {
        const __m512i q = _mm512_loadu_si512(bp + 32 + 64 * k);
        lo[k] = _mm512_and_si512(q, m4);
        hi[k] = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
    }
    for (int t = 0; t < NT; t++) {
        const int8_t *qs = a[t].a[b].qs;
        /* two chains of four (the sums are exact, so any order) */
        __m512i s = _mm512_set1_epi32(a[t].corr[b]), s2 = _mm512_setzero_si512();
        for (int k = 0; k < 4; k++) {
            s = _mm512_dpbusd_epi32(s, lo[k], _mm512_set1_epi32(load_i32(qs + 4 * k)));
            s2 = _mm512_dpbusd_epi32(s2, hi[k], _mm512_set1_epi32(load_i32(qs + 16 + 4 * k)));
        }
        const __m512 p = _mm512_mul_ps(dx, _mm512_set1_ps(a[t].dy[b]));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s, s2)), p, acc[t]);
    }
}

/* Lanes [lo, hi) of group rows rs .. rs + 15 (lo, hi absolute rows). */
X86_INLINE __mmask16 x86_r16_lanes(int rs, int lo, int hi)
{
    if (lo < rs) lo = rs;
    if (hi > rs + 16) hi = rs + 16;
    return (__mmask16)(((1u << (hi - lo)) - 1u) << (lo - rs));
}

/* Rows [r0, r1) of an R16 matrix against NT (<= X86_R16_NT) tokens. A
 * group is one run of memory in order, fetched 8 KiB ahead as the
 * one-token rows of tiles16_vnni.h are; a group only partly in [r0, r1)
 * is computed whole and stored masked. */
X86_INLINE void x86_r16_rows(const uint8_t *w, size_t w_row_bytes, int nb, int r0, int r1,
                             const x86_r16_act *a, int NT, float *y, int ldy)
{
    const size_t gbytes = 16 * w_row_bytes;
    const int g1 = (r1 + 15) / 16;
    const uint8_t *end = w + (size_t)g1 * gbytes;
    for (int g = r0 / 16; g < g1; g++) {
        const uint8_t *gp = w + (size_t)g * gbytes;
        __m512 acc0[X86_R16_NT], acc1[X86_R16_NT];
        for (int t = 0; t < NT; t++) acc0[t] = acc1[t] = _mm512_setzero_ps();
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            const uint8_t *bp = gp + (size_t)b * X86_R16_BLOCK;
            x86_prefetch_run(bp, 2 * X86_R16_BLOCK, 8192, end);
            x86_r16_step(bp, b, a, NT, acc0);
            x86_r16_step(bp + X86_R16_BLOCK, b + 1, a, NT, acc1);
        }
        if (b < nb) x86_r16_step(gp + (size_t)b * X86_R16_BLOCK, b, a, NT, acc0);
        const __mmask16 m = x86_r16_lanes(16 * g, r0, r1);
        for (int t = 0; t < NT; t++)
            _mm512_mask_storeu_ps(y + (size_t)t * (size_t)ldy + 16 * g, m, _mm512_add_ps(acc0[t], acc1[t]));
    }
}

#define X86_R16_SHAPE(NT)                                                                              \
    static void x86_r16_rows_##NT(const uint8_t *w, size_t w_row_bytes, int nb, int r0, int r1,        \
                                  const x86_r16_act *a, float *y, int ldy)                             \
    {                                                                                                  \
        x86_r16_rows(w, w_row_bytes, nb, r0, r1, a, NT, y, ldy);                                       \
    }
X86_R16_SHAPE(1)
X86_R16_SHAPE(2)
X86_R16_SHAPE(3)
X86_R16_SHAPE(4)
#undef X86_R16_SHAPE

/* Few tokens (a decode step, a server's busy slots): X86_R16_NT at a time. */
__attribute__((noinline)) static void x86_r16_dec_matmul(const void *w, size_t w_row_bytes, const void *act,
                                                         size_t act_row_bytes, int n, int r0, int r1, int n_tok,
                                                         float *y, int ldy)
{
    static void (*const ROWS[X86_R16_NT + 1])(const uint8_t *, size_t, int, int, int, const x86_r16_act *,
                                              float *, int) = {NULL, x86_r16_rows_1, x86_r16_rows_2,
                                                               x86_r16_rows_3, x86_r16_rows_4};
    const int nb = n / 32;
    const __m256i ones = _mm256_set1_epi8(1);
    x86_r16_act a[X86_R16_NT];
    for (int t0 = 0; t0 < n_tok; t0 += X86_R16_NT) {
        const int nt = n_tok - t0 < X86_R16_NT ? n_tok - t0 : X86_R16_NT;
        for (int t = 0; t < nt; t++) {
            a[t].a = (const block_q8_0 *)((const char *)act + (size_t)(t0 + t) * act_row_bytes);
            for (int b = 0; b < nb; b++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)a[t].a[b].qs);
                a[t].corr[b] = -8 * hsum_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, q));
                a[t].dy[b] = h2f(a[t].a[b].d);
            }
        }
        ROWS[nt]((const uint8_t *)w, w_row_bytes, nb, r0, r1, a, y + (size_t)t0 * (size_t)ldy, ldy);
    }
}

#endif
