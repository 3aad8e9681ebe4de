/* r16k_avx512.h — the few-token product over Q4_K, Q5_K and Q6_K matrices laid
 * out in groups of 16 rows (HONE_WTYPE_R16; the layouts and the repack:
 * r16_layout.h's X86_R16K_*, X86_R16Q5_* and X86_R16Q6_*, x86_r16k_repack).
 *
 * Why: the rows-as-stored decode (dec_k_avx512.h) unpacks each row's
 * scales with shuffles and reduces 16-lane sums across lanes per (row,
 * token): on Intel Xeon, with two 512-bit ports, that bounds Q4_K_M's
 * generation at 80-83 % of the read bandwidth. With rows in lanes a
 * sub-block is 4 (Q6_K) or 8 (Q4_K) vpdpbusd against broadcast
 * activation dwords, each lane ends holding its row's exact sum, the
 * scales unpack with shifts and masks per lane, and nothing crosses lanes.
 *
 * Numerics: per (row, token) the integer sums are exact and the float
 * steps are the tiles' (x86_tile_k4_run, x86_tile_q6_run): Q4_K per
 * super-block v = fma(-dmin, msum, d * isum), acc = fma(dy, v, acc); Q6_K
 * acc = fma(d * dy, isum, acc). So the bits equal matmul over the rows as
 * stored, and vec_dot's.
 *
 * Included by x86/avx512.c after tiles16_vnni.h and r16_avx512.h. */
#ifndef HONE_X86_R16K_AVX512_H
#define HONE_X86_R16K_AVX512_H

/* One token's activations: its blocks, and per super-block c[i]: Q4_K /
 * Q5_K the sums of sub-blocks 2c, 2c + 1 as an int16 pair (dword c, c < 4),
 * for the mins; Q6_K -32 times the sum of each 16-element sub-block, the
 * start of its chain (the weights are used as q + 32). */
typedef struct {
    const block_q8_K *a;
    int32_t c[X86_TILE_K_MAX_SB][16];
} x86_r16k_act;

/* Super-block bp of a group (Q4_K, or Q5_K if has_qh) against NT tokens'
 * super-block i: acc[t] += ... If spread, it fetches the super-block 8 KiB
 * ahead (below end) into L2, a piece before each of its 32 quant loads
 * (x86_r16k_group says why). */
X86_INLINE void x86_r16k_step(const uint8_t *bp, int has_qh, int i, const x86_r16k_act *a, int NT, __m512 *acc,
                              int spread, const uint8_t *end)
{
    const size_t blk = x86_r16k_block(has_qh ? X86_R16_Q5_K : X86_R16_Q4_K);
    __m512i sc[8], mn[8], isum[X86_R16_NT];
    x86_r16k_scales(bp, sc, mn);
    for (int t = 0; t < NT; t++) isum[t] = _mm512_setzero_si512();
    /* Q4_K's high nibbles are used in place, as 16 times their value (q &
     * 0xf0: no shift), and the low sub-blocks' scales times 16 to match, so
     * isum is 16 times the sum and d is taken / 16 below: both scalings
     * are by a power of two, so the product d * isum has the same bits
     * (|16 isum| < 2^29: no overflow). A 512-bit shift runs on one port
     * on Intel; an Intel Xeon, bench-1b Q4_K_M tg64 t=2, 8 interleaved
     * rounds: +2.2 % (7 of 8). Q5_K's fifth bit would carry the high
     * values past a byte: it shifts. */
    const __m512i m4 = _mm512_set1_epi8(0x0f), m4h = _mm512_set1_epi8((char)0xf0);
    if (!has_qh)
        for (int c = 0; c < 4; c++) sc[2 * c] = _mm512_slli_epi32(sc[2 * c], 4);
    for (int c = 0; c < 4; c++) {
        /* sub-blocks 2c (low nibbles) and 2c + 1 (high) */
        __m512i lo[8], hi[8];
        for (int k = 0; k < 8; k++) {
            if (spread) x86_prefetch_piece(bp, blk, 8192, end, 1, 8 * c + k, 32);
            const __m512i q = _mm512_loadu_si512(bp + (has_qh ? X86_R16Q5_QS : X86_R16K_QS) + 64 * (8 * c + k));
            lo[k] = _mm512_and_si512(q, m4);
            hi[k] = has_qh ? _mm512_and_si512(_mm512_srli_epi16(q, 4), m4) : _mm512_and_si512(q, m4h);
            if (has_qh) x86_r16k_fifth(bp, c, k, &lo[k], &hi[k]);
        }
        for (int t = 0; t < NT; t++) {
            const int8_t *qs = a[t].a[i].qs + 64 * c;
            __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
            for (int k = 0; k < 8; k++) {
                s0 = x86_dpbusd_b(s0, lo[k], qs + 4 * k);
                s1 = x86_dpbusd_b(s1, hi[k], qs + 32 + 4 * k);
            }
            isum[t] = _mm512_add_epi32(isum[t], _mm512_add_epi32(_mm512_mullo_epi32(s0, sc[2 * c]),
                                                                 _mm512_mullo_epi32(s1, sc[2 * c + 1])));
        }
    }
    __m512i mp[4]; /* (m 2c, m 2c+1) as int16 pairs */
    for (int c = 0; c < 4; c++) mp[c] = _mm512_or_si512(mn[2 * c], _mm512_slli_epi32(mn[2 * c + 1], 16));
    __m512 d, mnf;
    x86_r16k_d(bp, &d, &mnf);
    if (!has_qh) d = _mm512_mul_ps(d, _mm512_set1_ps(0.0625f)); /* isum is 16 times (above) */
    for (int t = 0; t < NT; t++) {
        __m512i ms = _mm512_setzero_si512();
        for (int c = 0; c < 4; c++) ms = _mm512_dpwssd_epi32(ms, mp[c], _mm512_set1_epi32(a[t].c[i][c]));
        const __m512 v = _mm512_fmadd_ps(mnf, _mm512_cvtepi32_ps(ms), _mm512_mul_ps(d, _mm512_cvtepi32_ps(isum[t])));
        acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(a[t].a[i].d), v, acc[t]);
    }
}

/* The same for Q6_K: per half h and dwords kk .. kk + 3 of its four
 * quarters, whose 16 elements each are sub-block 8h + 2q + kk / 4. If
 * spread, two pieces of the fetch ahead before each of its 16 quarter
 * loads. */
X86_INLINE void x86_r16q6_step(const uint8_t *bp, int i, const x86_r16k_act *a, int NT, __m512 *acc, int spread,
                               const uint8_t *end)
{
    __m512i sc[16], isum[X86_R16_NT];
    x86_r16q6_scales(bp, sc);
    for (int t = 0; t < NT; t++) isum[t] = _mm512_setzero_si512();
    /* unrolled whole, so sc[j] stays in registers (GCC left the loops,
     * indexing sc on the stack: bench_kernels --few, one token, from L2
     * +14 %, from memory +6 %) */
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++)
#pragma GCC unroll 2
        for (int kk = 0; kk < 8; kk += 4) {
            __m512i w[4][4]; /* [k - kk][quarter] */
            for (int k = 0; k < 4; k++) {
                /* two pieces a call (3 lines): bench_kernels --few, one
                 * thread, from memory, 13.6-13.8 GB/s against 12.9-13.2
                 * with one */
                if (spread) x86_prefetch_piece(bp, X86_R16Q6_BLOCK, 8192, end, 1, 2 * (8 * h + kk + k), 32);
                if (spread) x86_prefetch_piece(bp, X86_R16Q6_BLOCK, 8192, end, 1, 2 * (8 * h + kk + k) + 1, 32);
                x86_r16q6_quarters(bp, h, kk + k, w[k]);
            }
#pragma GCC unroll 4
            for (int t = 0; t < NT; t++) {
                const int8_t *qs = a[t].a[i].qs + 128 * h + 4 * kk;
#pragma GCC unroll 4
                for (int q = 0; q < 4; q++) {
                    const int j = 8 * h + 2 * q + kk / 4;
                    __m512i s = _mm512_set1_epi32(a[t].c[i][j]);
                    for (int k = 0; k < 4; k++)
                        s = x86_dpbusd_b(s, w[k][q], qs + 32 * q + 4 * k);
                    isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(s, sc[j]));
                }
            }
        }
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)bp));
    for (int t = 0; t < NT; t++)
        acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(a[t].a[i].d)), _mm512_cvtepi32_ps(isum[t]), acc[t]);
}

/* One group (gp, rows rs .. rs + 15; lanes m stored) of type kind
 * (X86_R16_Q4_K, _Q5_K, _Q6_K) against NT (<= X86_R16_NT) tokens, fetched 8 KiB ahead
 * (below end), as r16_avx512.h's groups are, into L1, or into L2.
 * Which is faster depends on the CPU, by a lot: Intel Xeon (round eleven)
 * bench-1b Q4_K_M tg64 t=2 L2 +4-7 %; Zen 5 (round fifteen) L1 +42 %;
 * Zen 4 (round twenty-eight) spread L2 wins. kernels.c picks the table by
 * vendor and family. pf, how:
 * - X86_PF_L1 (Zen 5), X86_PF_L2: a super-block's lines at once, at its start;
 * - X86_PF_SPREAD (Intel, Zen 4; a call's only pass over the group, up to
 *   X86_R16_NT tokens): into L2, spread over the step, a piece before
 *   each quant load. A burst of 36 lines holds the fill buffers the
 *   step's own loads wait for: an Intel Xeon with AMX (round
 *   twenty-one), bench-1b Q4_K_M tg64 t=2 +14 %; bench_kernels --few,
 *   one thread, from memory, one token Q4_K/r +25-35 %. Where a second
 *   pass follows (5+ tokens) the step is arithmetic-bound and the
 *   pieces' own cost shows: 8 tokens Q4_K/r 6.1 GB/s against 6.5 at
 *   once, so those calls keep X86_PF_L2. */
enum { X86_PF_L1, X86_PF_L2, X86_PF_SPREAD };
X86_INLINE void x86_r16k_group(int kind, int pf, const uint8_t *gp, int nsb, const uint8_t *end,
                               const x86_r16k_act *a, int NT, float *y, int ldy, int rs, __mmask16 m)
{
    const bool q6 = kind == X86_R16_Q6_K;
    const size_t blk = x86_r16k_block(kind);
    __m512 acc[X86_R16_NT];
    const int spread = pf == X86_PF_SPREAD;
    for (int t = 0; t < NT; t++) acc[t] = _mm512_setzero_ps();
    for (int i = 0; i < nsb; i++) {
        const uint8_t *bp = gp + (size_t)i * blk;
        if (!spread) x86_prefetch_run(bp, blk, 8192, end, pf == X86_PF_L2);
        if (q6) x86_r16q6_step(bp, i, a, NT, acc, spread, end);
        else x86_r16k_step(bp, kind == X86_R16_Q5_K, i, a, NT, acc, spread, end);
    }
    for (int t = 0; t < NT; t++) _mm512_mask_storeu_ps(y + (size_t)t * (size_t)ldy + rs, m, acc[t]);
}

/* the flag of x86_r16_walk's tables: Q6_K or not; Q5_K's own table; each
 * fetching into L1, into L2 (_l2), or spread into L2 (_spread) */
#define X86_R16K_GROUPS(NAME, PF_L2)                                                                           \
    X86_INLINE void x86_r16k46##NAME(bool q6, const uint8_t *gp, int nsb, const uint8_t *end,                   \
                                     const x86_r16k_act *a, int NT, float *y, int ldy, int rs, __mmask16 m)     \
    {                                                                                                          \
        x86_r16k_group(q6 ? X86_R16_Q6_K : X86_R16_Q4_K, PF_L2, gp, nsb, end, a, NT, y, ldy, rs, m);          \
    }                                                                                                          \
    X86_INLINE void x86_r16k5##NAME(bool unused, const uint8_t *gp, int nsb, const uint8_t *end,                \
                                    const x86_r16k_act *a, int NT, float *y, int ldy, int rs, __mmask16 m)      \
    {                                                                                                          \
        (void)unused;                                                                                          \
        x86_r16k_group(X86_R16_Q5_K, PF_L2, gp, nsb, end, a, NT, y, ldy, rs, m);                               \
    }                                                                                                          \
    X86_R16_SHAPES(x86_r16k46##NAME)                                                                           \
    X86_R16_SHAPES(x86_r16k5##NAME)
X86_R16K_GROUPS(_group, X86_PF_L1)
X86_R16K_GROUPS(_l2_group, X86_PF_L2)
X86_R16K_GROUPS(_spread_group, X86_PF_SPREAD)

/* Few tokens (up to X86_R16_MAX_TOK), as x86_r16_dec_matmul: per group,
 * X86_R16_NT tokens at a time; a group only partly in rows [r0, r1) is
 * computed whole and stored masked. pf_l2: fetch ahead into L2, not L1
 * (x86_r16k_group: spread if one pass). Intel's one- and two-token
 * products do not come here: avx512.c gives them to the avx2 set's 256-bit
 * groups (X86_ROUTE_NARROW), so there the spread groups run 3 and 4
 * tokens; on Zen 4 they run 1 to 4. */
__attribute__((noinline)) static void x86_r16k_dec_matmul(int kind, bool pf_l2, const void *w, size_t w_row_bytes,
                                                          const void *act, size_t act_row_bytes, int n, int r0, int r1,
                                                          int n_tok, float *y, int ldy)
{
    const int nsb = n / QK_K;
    const bool q6 = kind == X86_R16_Q6_K;
    x86_r16k_act a[X86_R16_MAX_TOK];
    for (int t = 0; t < n_tok; t++) {
        a[t].a = (const block_q8_K *)((const char *)act + (size_t)t * act_row_bytes);
        for (int i = 0; i < nsb; i++) {
            const int16_t *bs = a[t].a[i].bsums;
            if (q6) {
                for (int j = 0; j < 16; j++) a[t].c[i][j] = -32 * bs[j];
                continue;
            }
            for (int c = 0; c < 4; c++) {
                /* a sub-block's sum is at most 32 * 128 in size: int16 */
                const uint32_t lo = (uint16_t)(bs[4 * c] + bs[4 * c + 1]), hi = (uint16_t)(bs[4 * c + 2] + bs[4 * c + 3]);
                a[t].c[i][c] = (int32_t)(lo | hi << 16);
            }
        }
    }
    static const x86_r16_group_fn *const GROUP[3][2] = {{x86_r16k46_group_TABLE, x86_r16k5_group_TABLE},
                                                        {x86_r16k46_l2_group_TABLE, x86_r16k5_l2_group_TABLE},
                                                        {x86_r16k46_spread_group_TABLE, x86_r16k5_spread_group_TABLE}};
    const int pf = !pf_l2 ? X86_PF_L1 : n_tok <= X86_R16_NT ? X86_PF_SPREAD : X86_PF_L2;
    x86_r16_walk(GROUP[pf][kind == X86_R16_Q5_K], q6, w, w_row_bytes, nsb, a, sizeof a[0], r0, r1, n_tok, y, ldy);
}

#endif
