/* r16_avx512.h — Q4_0 and Q8_0 matrices laid out in groups of 16 rows (the
 * avx512 set's repack, HONE_WTYPE_R16), and the products that read them.
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
 * Group layout (r16_layout.h, shared with the avx2 set): rows 16g .. 16g
 * + 15 keep their byte range; block b is the 16 rows' F16 scales, then
 * dword columns of the quant bytes as stored.
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

enum { X86_R16_NT = 4 };

/* Block bp (one group's block) against NT tokens' block b: acc[t] += ...
 * If spread, it fetches the block 8 KiB ahead (below end) into L2, a piece
 * before each of its quant loads (x86_r16_group says why). */
X86_INLINE void x86_r16_step(bool q8, const uint8_t *bp, int b, const x86_r16_act *a, int NT, __m512 *acc,
                             bool spread, const uint8_t *end)
{
    const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)bp));
    __m512i wq[8]; /* dword columns k = 0..7, as unsigned bytes */
    if (q8) {
        const __m512i flip = _mm512_set1_epi8((char)0x80);
        for (int k = 0; k < 8; k++) {
            if (spread) x86_prefetch_piece(bp, X86_R16_Q8_BLOCK, 8192, end, 1, k, 8);
            wq[k] = _mm512_xor_si512(_mm512_loadu_si512(bp + 32 + 64 * k), flip);
        }
    } else {
        const __m512i m4 = _mm512_set1_epi8(0x0f);
        for (int k = 0; k < 4; k++) {
            if (spread) x86_prefetch_piece(bp, X86_R16_BLOCK, 8192, end, 1, k, 4);
            const __m512i q = _mm512_loadu_si512(bp + 32 + 64 * k);
            wq[k] = _mm512_and_si512(q, m4);
            wq[k + 4] = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
        }
    }
    for (int t = 0; t < NT; t++) {
        const int8_t *qs = a[t].a[b].qs;
        /* two chains of four (the sums are exact, so any order) */
        __m512i s = _mm512_set1_epi32(a[t].corr[b]), s2 = _mm512_setzero_si512();
        for (int k = 0; k < 4; k++) {
            s = _mm512_dpbusd_epi32(s, wq[k], _mm512_set1_epi32(load_i32(qs + 4 * k)));
            s2 = _mm512_dpbusd_epi32(s2, wq[k + 4], _mm512_set1_epi32(load_i32(qs + 16 + 4 * k)));
        }
        const __m512 p = _mm512_mul_ps(dx, _mm512_set1_ps(a[t].dy[b]));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s, s2)), p, acc[t]);
    }
}

/* One group (gp, rows rs .. rs + 15; lanes m stored) against NT (<=
 * X86_R16_NT) tokens. A group is one run of memory in order, fetched
 * 8 KiB ahead (below end) into L2, as the avx2 set's groups (r16_avx2.h):
 * on a Zen 5, bench-1b Q4_0 tg64 t=2 +8.4 % (6 of 6 interleaved rounds),
 * Q8_0 +2.4 %, over L1, where the K-quants' groups gain from L1 instead
 * (r16k_avx512.h); on an Intel Xeon the hint made no difference to the
 * rows kernel (kernels/README.md, round ten). If spread (the L2 route:
 * Intel's and Zen 4's tables),
 * the fetch is spread over the steps, a piece before each quant load, as
 * the K-quant groups' (r16k_avx512.h): an Intel Xeon with AMX (round
 * twenty-one), bench-1b tg64 t=2, Q4_0 +3.2 %, Q8_0 +6.6 % (6 of 6
 * rounds each; Zen 4, round twenty-eight). Zen 5's tables keep a fetch
 * per block pair, as measured there. */
X86_INLINE void x86_r16_group(bool q8, bool spread, const uint8_t *gp, int nb, const uint8_t *end,
                              const x86_r16_act *a, int NT, float *y, int ldy, int rs, __mmask16 m)
{
    const size_t blk = q8 ? 16 * sizeof(block_q8_0) : X86_R16_BLOCK;
    __m512 acc0[X86_R16_NT], acc1[X86_R16_NT];
    for (int t = 0; t < NT; t++) acc0[t] = acc1[t] = _mm512_setzero_ps();
    int b = 0;
    for (; b + 2 <= nb; b += 2) {
        const uint8_t *bp = gp + (size_t)b * blk;
        if (!spread) x86_prefetch_run(bp, 2 * blk, 8192, end, 1);
        x86_r16_step(q8, bp, b, a, NT, acc0, spread, end);
        x86_r16_step(q8, bp + blk, b + 1, a, NT, acc1, spread, end);
    }
    if (b < nb) x86_r16_step(q8, gp + (size_t)b * blk, b, a, NT, acc0, spread, end);
    for (int t = 0; t < NT; t++) _mm512_mask_storeu_ps(y + (size_t)t * (size_t)ldy + rs, m, _mm512_add_ps(acc0[t], acc1[t]));
}

/* Q4_0, one or two tokens, on Intel: block bp as two 8-row halves in
 * 256-bit registers (acc[t][u]: token t, rows 8u .. 8u + 7), the same sums
 * and float steps as x86_r16_step's lanes. Why: on an Intel Xeon with AMX
 * both cores decoding in 512-bit integer code run slower than in 256-bit
 * (a probe: an imul chain with four vpdpbusd zmm beside it runs at 0.92x
 * of the same with ymm, a lower clock), and a few tokens' group is not
 * bound by its arithmetic: bench-1b Q4_0 tg64 t=2 +7.2 % (6 of 6
 * interleaved rounds), where Q8_0's the same way read 0.985x (it stays in
 * 512 bits; kernels/README.md, round twenty-two). Two tokens,
 * bench_kernels --few on both cores: +9 %; three even, four -5 % (round
 * twenty-three). */
X86_INLINE void x86_r16_step_y(const uint8_t *bp, int b, const x86_r16_act *a, int NT, __m256 acc[][2],
                               const uint8_t *end)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256i s[X86_R16_NT][2], s2[X86_R16_NT][2];
    for (int t = 0; t < NT; t++)
        for (int u = 0; u < 2; u++) {
            s[t][u] = _mm256_set1_epi32(a[t].corr[b]);
            s2[t][u] = _mm256_setzero_si256();
        }
    for (int k = 0; k < 4; k++) {
        x86_prefetch_piece(bp, X86_R16_BLOCK, 8192, end, 1, k, 4);
        __m256i lo[2], hi[2];
        for (int u = 0; u < 2; u++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(bp + 32 + 32 * u + 64 * k));
            lo[u] = _mm256_and_si256(q, m4);
            hi[u] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        }
        for (int t = 0; t < NT; t++) {
            const int8_t *qs = a[t].a[b].qs;
            const __m256i al = _mm256_set1_epi32(load_i32(qs + 4 * k)), ah = _mm256_set1_epi32(load_i32(qs + 16 + 4 * k));
            for (int u = 0; u < 2; u++) {
                s[t][u] = _mm256_dpbusd_epi32(s[t][u], lo[u], al);
                s2[t][u] = _mm256_dpbusd_epi32(s2[t][u], hi[u], ah);
            }
        }
    }
    __m256 dx[2];
    for (int u = 0; u < 2; u++) dx[u] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bp + 16 * u)));
    for (int t = 0; t < NT; t++) {
        const __m256 dy = _mm256_set1_ps(a[t].dy[b]);
        for (int u = 0; u < 2; u++)
            acc[t][u] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(s[t][u], s2[t][u])), _mm256_mul_ps(dx[u], dy),
                                        acc[t][u]);
    }
}

/* One Q4_0 group against NT tokens in 256-bit halves, the fetch spread
 * (Intel's): x86_r16_group's steps and order. The flag (Q8_0) is the
 * walk's; only Q4_0 comes here. */
X86_INLINE void x86_r16_y_group(bool q8, const uint8_t *gp, int nb, const uint8_t *end, const x86_r16_act *a, int NT,
                                float *y, int ldy, int rs, __mmask16 m)
{
    (void)q8;
    __m256 acc0[X86_R16_NT][2], acc1[X86_R16_NT][2];
    for (int t = 0; t < NT; t++)
        for (int u = 0; u < 2; u++) acc0[t][u] = acc1[t][u] = _mm256_setzero_ps();
    int b = 0;
    for (; b + 2 <= nb; b += 2) {
        const uint8_t *bp = gp + (size_t)b * X86_R16_BLOCK;
        x86_r16_step_y(bp, b, a, NT, acc0, end);
        x86_r16_step_y(bp + X86_R16_BLOCK, b + 1, a, NT, acc1, end);
    }
    if (b < nb) x86_r16_step_y(gp + (size_t)b * X86_R16_BLOCK, b, a, NT, acc0, end);
    for (int t = 0; t < NT; t++) {
        const __m512 r = _mm512_castpd_ps(
            _mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm256_add_ps(acc0[t][0], acc1[t][0]))),
                               _mm256_castps_pd(_mm256_add_ps(acc0[t][1], acc1[t][1])), 1));
        _mm512_mask_storeu_ps(y + (size_t)t * (size_t)ldy + rs, m, r);
    }
}

/* One group against NT tokens, for x86_r16_walk: the kind flag (here
 * q8), the group, its blocks, the end of the fetch, the first token's
 * activation record (the kernel's own type), y, ldy, the group's first
 * row and its stored lanes. */
typedef void (*x86_r16_group_fn)(bool, const uint8_t *, int, const uint8_t *, const void *, float *, int, int, __mmask16);

/* The four instances of a group kernel GROUP (NT = 1..4, each with the
 * flag a constant) as GROUP##_TABLE, for x86_r16_walk; r16k_avx512.h
 * uses it too. */
#define X86_R16_SHAPE(GROUP, NT)                                                                              \
    static void GROUP##_##NT(bool flag, const uint8_t *gp, int nb, const uint8_t *end, const void *a, float *y, \
                             int ldy, int rs, __mmask16 m)                                                    \
    {                                                                                                         \
        if (flag) GROUP(true, gp, nb, end, a, NT, y, ldy, rs, m);                                             \
        else GROUP(false, gp, nb, end, a, NT, y, ldy, rs, m);                                                 \
    }
#define X86_R16_SHAPES(GROUP)                                                                                 \
    X86_R16_SHAPE(GROUP, 1)                                                                                   \
    X86_R16_SHAPE(GROUP, 2)                                                                                   \
    X86_R16_SHAPE(GROUP, 3)                                                                                   \
    X86_R16_SHAPE(GROUP, 4)                                                                                   \
    static const x86_r16_group_fn GROUP##_TABLE[X86_R16_NT + 1] = {NULL, GROUP##_1, GROUP##_2, GROUP##_3,       \
                                                                   GROUP##_4};
/* the flag: Q8_0 or not; each fetching at once (Zen 5) or spread (the L2
 * route) */
X86_INLINE void x86_r16_burst_group(bool q8, const uint8_t *gp, int nb, const uint8_t *end, const x86_r16_act *a,
                                    int NT, float *y, int ldy, int rs, __mmask16 m)
{
    x86_r16_group(q8, false, gp, nb, end, a, NT, y, ldy, rs, m);
}
X86_INLINE void x86_r16_spread_group(bool q8, const uint8_t *gp, int nb, const uint8_t *end, const x86_r16_act *a,
                                     int NT, float *y, int ldy, int rs, __mmask16 m)
{
    x86_r16_group(q8, true, gp, nb, end, a, NT, y, ldy, rs, m);
}
X86_R16_SHAPES(x86_r16_burst_group)
X86_R16_SHAPES(x86_r16_spread_group)
/* Q4_0, one and two tokens, Intel (x86_r16_y_group): the walk's table
 * entries; functions apart from the others, which they left at 0.985x
 * (Q8_0 tg64) when it was a branch in theirs */
X86_R16_SHAPE(x86_r16_y_group, 1)
X86_R16_SHAPE(x86_r16_y_group, 2)
static const x86_r16_group_fn x86_r16_y_group_TABLE[X86_R16_NT + 1] = {NULL, x86_r16_y_group_1, x86_r16_y_group_2, NULL,
                                                                      NULL};

/* Few tokens (a decode step, a server's busy slots; up to
 * X86_R16_MAX_TOK): per group, X86_R16_NT tokens at a time, so a group is
 * read from memory once and its other token groups find it in L1 (a
 * group is 4.5 KiB (Q4_0) / 8.5 KiB per 256 columns). From 4 to 16 tokens
 * this beats the tiles, whose packing is per strip: bench_kernels --few,
 * one thread, from L2 ~1.8 ns per row x token x 256 weights against
 * 3.1-4.0. Rows [r0, r1): a group only partly in them is computed whole
 * and stored masked. */
enum { X86_R16_MAX_TOK = 16 };

/* The groups holding rows [r0, r1), each against the tokens X86_R16_NT at
 * a time: group[nt] with the flag, nb blocks a row, and the records a
 * (act_size bytes each, one per token). */
static void x86_r16_walk(const x86_r16_group_fn group[X86_R16_NT + 1], bool flag, const void *w,
                         size_t w_row_bytes, int nb, const void *a, size_t act_size, int r0, int r1, int n_tok,
                         float *y, int ldy)
{
    const size_t gbytes = 16 * w_row_bytes;
    const int g1 = (r1 + 15) / 16;
    const uint8_t *end = (const uint8_t *)w + (size_t)g1 * gbytes;
    for (int g = r0 / 16; g < g1; g++) {
        const uint8_t *gp = (const uint8_t *)w + (size_t)g * gbytes;
        const __mmask16 m = x86_r16_lanes(16 * g, r0, r1);
        for (int t0 = 0; t0 < n_tok; t0 += X86_R16_NT) {
            const int nt = n_tok - t0 < X86_R16_NT ? n_tok - t0 : X86_R16_NT;
            group[nt](flag, gp, nb, end, (const char *)a + (size_t)t0 * act_size, y + (size_t)t0 * (size_t)ldy, ldy,
                      16 * g, m);
        }
    }
}

/* spread: fetch into L2, spread (x86_r16_group; Intel's and Zen 4's);
 * narrow: Q4_0's one and two tokens in 256-bit steps (Intel's) */
__attribute__((noinline)) static void x86_r16_dec_matmul(bool q8, bool spread, bool narrow, const void *w,
                                                         size_t w_row_bytes, const void *act, size_t act_row_bytes,
                                                         int n, int r0, int r1, int n_tok, float *y, int ldy)
{
    const int nb = n / 32;
    x86_r16_act a[X86_R16_MAX_TOK];
    /* off 128 for Q8_0: x86_r16_step makes its bytes unsigned by adding it */
    x86_r16_acts(act, act_row_bytes, n_tok, nb, q8 ? 128 : 8, a);
    /* spread only where one pass reads the groups (x86_r16k_group says
     * why): 8 tokens from memory Q4_0/r 6.0 GB/s spread, 6.6 at once */
    const x86_r16_group_fn *group = !spread || n_tok > X86_R16_NT ? x86_r16_burst_group_TABLE
                                    : n_tok <= 2 && !q8 && narrow   ? x86_r16_y_group_TABLE
                                                                    : x86_r16_spread_group_TABLE;
    x86_r16_walk(group, q8, w, w_row_bytes, nb, a, sizeof a[0], r0, r1, n_tok, y, ldy);
}

#endif
