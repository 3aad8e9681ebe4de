/* r16_avx2.h — the avx2 set's few-token product over Q4_0 and Q8_0
 * matrices in the R16 layout (r16_layout.h, HONE_WTYPE_R16): a decode
 * step, or a server's few busy slots, straight from the layout with 8 rows
 * in the 8 int32 lanes (a group's two halves). Larger batches take
 * rows8_avx2.h's strips, packed from the layout (x86_t8_pack_r16).
 *
 * Why: rows8_avx2.h's decode over rows as stored transposes each Q4_0
 * block of 8 rows as it loads it (8 half-register loads, 8 unpacks and 8
 * word inserts for the scales per block), and reads 8 short interleaved
 * streams; on an Intel Xeon with HONE_KERNELS=avx2 that ran bench-1b
 * Q4_0's generation at 72 % of the read bandwidth (kernels/README.md,
 * round thirteen). Here a group is one run of memory in order, and a
 * block of 8 rows is 4 loads, 4 shifts and 8 ands, then per token 8
 * vpmaddubsw against broadcast activation dwords summed exactly in int16
 * (rows8_avx2.h: at most 30720), one vpmaddwd. Q8_0 keeps rows8's sign
 * trick: |w| per column once, then per token vpsignb, vpmaddubsw and a
 * vpmaddwd per step (two steps could overflow int16).
 *
 * Numerics: per (row, token) the block sums are exact integers and the
 * float steps are those of rows8_avx2.h and the one-row kernels: p = dx *
 * dy, acc = fma(sum, p, acc) with acc0 over the even blocks and acc1 over
 * the odd, then acc0 + acc1. So the bits equal matmul over the rows as
 * stored (test_kernels_isa test_repack).
 *
 * Included by x86/avx2.c after rows8_avx2.h and r16k_avx2.h. */
#ifndef HONE_X86_R16_AVX2_H
#define HONE_X86_R16_AVX2_H

/* Up to X86_R16Q_MAX_TOK tokens (Q4_0: X86_R16Q_Q4_MAX_TOK) this beats
 * rows8_avx2.h's strips, packed per strip and chunk: bench_kernels --few,
 * one thread, ns per row x token x 256 weights from L2 / memory, Q4_0 at
 * 8 tokens 3.6 / 4.0 against 4.1 / 5.6, at 12 even, at 16 3.6 / 3.8
 * against 3.3 / 3.7; Q8_0 at 16 5.5 / 5.9 against 6.0 / 6.5 (Intel Xeon,
 * HONE_KERNELS=avx2). */
enum {
    X86_R16Q_MAX_TOK = 16,
    X86_R16Q_Q4_MAX_TOK = 12,
};

/* Block b of a group (bp), rows 8h .. 8h + 7 (nh 1) or both halves (nh
 * 2: acc[u] for half u), against NT tokens: acc[t] += sum * dx * dy. Both
 * halves in one pass share each activation broadcast (r16k_avx2.h's
 * x86_r16a_k4_step); two tokens keep a pass per half. */
X86_INLINE void x86_r16q_step(bool q8, const uint8_t *bp, int h, int nh, int b, const x86_r16_act *a, int NT,
                              __m256 *const *acc, bool spread, const uint8_t *end)
{
    const __m256i ones16 = _mm256_set1_epi16(1);
    const uint8_t *cp[2];
    for (int u = 0; u < nh; u++) cp[u] = bp + 32 + 32 * (nh == 2 ? u : h);
    __m256i s[2][X86_R16A_NT];
    const int8_t *qs[X86_R16A_NT];
    for (int t = 0; t < NT; t++) {
        s[0][t] = s[1][t] = _mm256_setzero_si256();
        qs[t] = a[t].a[b].qs;
        /* opaque, so the two blocks' steps do not share (and spill) the
         * activation broadcasts (r16k_avx2.h) */
        __asm__ volatile("" : "+r"(qs[t]));
    }
    if (q8) {
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            __m256i wk[2], aw[2];
            if (spread) x86_prefetch_piece(bp, X86_R16_Q8_BLOCK, 8192, end, 1, k, 8);
            for (int u = 0; u < nh; u++) {
                wk[u] = _mm256_loadu_si256((const __m256i *)(cp[u] + 64 * k));
                X86_IN_ORDER(wk[u]); /* one load, not one per use */
                aw[u] = _mm256_sign_epi8(wk[u], wk[u]);
            }
            for (int t = 0; t < NT; t++) {
                const __m256i at = _mm256_set1_epi32(load_i32(qs[t] + 4 * k));
                for (int u = 0; u < nh; u++) {
                    const __m256i ak = _mm256_sign_epi8(at, wk[u]);
                    s[u][t] = _mm256_add_epi32(s[u][t], _mm256_madd_epi16(_mm256_maddubs_epi16(aw[u], ak), ones16));
                    X86_IN_ORDER(s[u][t]);
                }
            }
        }
    } else {
        const __m256i m4 = _mm256_set1_epi8(0x0f);
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            __m256i lo[2], hi[2];
            if (spread) x86_prefetch_piece(bp, X86_R16_BLOCK, 8192, end, 1, k, 4);
            for (int u = 0; u < nh; u++) {
                __m256i c = _mm256_loadu_si256((const __m256i *)(cp[u] + 64 * k));
                X86_IN_ORDER(c);
                lo[u] = _mm256_and_si256(c, m4);
                hi[u] = _mm256_and_si256(_mm256_srli_epi16(c, 4), m4);
            }
            for (int t = 0; t < NT; t++) {
                const __m256i al = _mm256_set1_epi32(load_i32(qs[t] + 4 * k)),
                              ah = _mm256_set1_epi32(load_i32(qs[t] + 16 + 4 * k));
                for (int u = 0; u < nh; u++) {
                    s[u][t] = _mm256_add_epi16(s[u][t], _mm256_maddubs_epi16(lo[u], al));
                    s[u][t] = _mm256_add_epi16(s[u][t], _mm256_maddubs_epi16(hi[u], ah));
                    X86_IN_ORDER(s[u][t]);
                }
            }
        }
        for (int u = 0; u < nh; u++)
            for (int t = 0; t < NT; t++)
                s[u][t] = _mm256_add_epi32(_mm256_madd_epi16(s[u][t], ones16), _mm256_set1_epi32(a[t].corr[b]));
    }
    for (int u = 0; u < nh; u++) {
        const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bp + 16 * (nh == 2 ? u : h))));
        for (int t = 0; t < NT; t++)
            acc[u][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[u][t]), _mm256_mul_ps(dx, _mm256_set1_ps(a[t].dy[b])), acc[u][t]);
    }
}

/* One group (gp, rows rs .. rs + 15) against NT tokens: both halves in
 * one pass over its lines (stored in the lanes of m0, m1), or only half h
 * (stored in m0); fetched 8 KiB ahead (below end) into L2, as the K-quant
 * groups of r16k_avx2.h: a block pair at once (Zen 5), or, where flag has
 * X86_R16A_PF_L2 (Intel, Zen 3 / 4), a piece before each quant load of the first
 * pass over a block (r16k_avx512.h says why; an Intel Xeon with AMX, round
 * twenty-one, the portable build's avx2 set, bench-1b tg64 t=2: Q4_0
 * +12 %, Q8_0 +9 %, 6 of 6 rounds each). flag: 1 for Q8_0 | that bit. */
X86_INLINE void x86_r16q_group(int flag, bool both, const uint8_t *gp, int h, int nb, const uint8_t *end,
                               const x86_r16_act *a, int NT, float *y, int ldy, int rs, __m256i m0, __m256i m1)
{
    const bool q8 = flag & 1, spread = (flag & X86_R16A_PF_L2) != 0;
    const size_t blk = q8 ? X86_R16_Q8_BLOCK : X86_R16_BLOCK;
    const int h0 = both ? 0 : h;
    /* [half][token]: even blocks, odd blocks */
    __m256 e0[X86_R16A_NT], o0[X86_R16A_NT], e1[X86_R16A_NT], o1[X86_R16A_NT];
    for (int t = 0; t < NT; t++) e0[t] = o0[t] = e1[t] = o1[t] = _mm256_setzero_ps();
    int b = 0;
    /* per half: the even blocks' sums, the odd blocks' */
    __m256 *const ev[2] = {e0, e1}, *const od[2] = {o0, o1}, *const ev1[1] = {e1}, *const od1[1] = {o1};
    const bool share = both && NT == 1;
    for (; b + 2 <= nb; b += 2) {
        const uint8_t *bp = gp + (size_t)b * blk;
        if (!spread) x86_prefetch_run(bp, 2 * blk, 8192, end, 1);
        if (share) {
            x86_r16q_step(q8, bp, 0, 2, b, a, NT, ev, spread, end);
            x86_r16q_step(q8, bp + blk, 0, 2, b + 1, a, NT, od, spread, end);
            continue;
        }
        x86_r16q_step(q8, bp, h0, 1, b, a, NT, ev, spread, end);
        if (both) x86_r16q_step(q8, bp, 1, 1, b, a, NT, ev1, false, end);
        x86_r16q_step(q8, bp + blk, h0, 1, b + 1, a, NT, od, spread, end);
        if (both) x86_r16q_step(q8, bp + blk, 1, 1, b + 1, a, NT, od1, false, end);
    }
    if (b < nb) {
        const uint8_t *bp = gp + (size_t)b * blk;
        if (share) {
            x86_r16q_step(q8, bp, 0, 2, b, a, NT, ev, spread, end);
        } else {
            x86_r16q_step(q8, bp, h0, 1, b, a, NT, ev, spread, end);
            if (both) x86_r16q_step(q8, bp, 1, 1, b, a, NT, ev1, false, end);
        }
    }
    for (int t = 0; t < NT; t++) {
        float *yt = y + (size_t)t * (size_t)ldy + rs;
        _mm256_maskstore_ps(yt + 8 * h0, m0, _mm256_add_ps(e0[t], o0[t]));
        if (both) _mm256_maskstore_ps(yt + 8, m1, _mm256_add_ps(e1[t], o1[t]));
    }
}

/* The instances x86_r16a_walk takes (r16k_avx2.h) */
X86_R16A_SHAPES(x86_r16q_group, x86_r16_act, 0)
X86_R16A_SHAPES(x86_r16q_group, x86_r16_act, 1)
X86_R16A_SHAPES(x86_r16q_group, x86_r16_act, 4)
X86_R16A_SHAPES(x86_r16q_group, x86_r16_act, 5)
/* [spread][q8][both][NT - 1] */
static const x86_r16a_group_fn X86_R16Q_GROUP[2][2][2][X86_R16A_NT] = {
    {
        {{x86_r16q_group_0_01, x86_r16q_group_0_02}, {x86_r16q_group_0_11, x86_r16q_group_0_12}},
        {{x86_r16q_group_1_01, x86_r16q_group_1_02}, {x86_r16q_group_1_11, x86_r16q_group_1_12}},
    },
    {
        {{x86_r16q_group_4_01, x86_r16q_group_4_02}, {x86_r16q_group_4_11, x86_r16q_group_4_12}},
        {{x86_r16q_group_5_01, x86_r16q_group_5_02}, {x86_r16q_group_5_11, x86_r16q_group_5_12}},
    },
};

/* A few tokens (up to X86_R16Q_MAX_TOK), as x86_r16a_walk goes; spread:
 * Intel's fetch (x86_r16q_group). */
__attribute__((noinline)) static void x86_r16q_dec_matmul(bool q8, bool spread, const void *w, size_t w_row_bytes,
                                                          const void *act, size_t act_row_bytes, int n, int r0, int r1,
                                                          int n_tok, float *y, int ldy)
{
    const int nb = n / 32; /* x86_r16_repack took 1 .. X86_R16_MAX_NB */
    x86_r16_act a[X86_R16Q_MAX_TOK];
    /* off 0 for Q8_0: its products take the sign trick, not an offset */
    x86_r16_acts(act, act_row_bytes, n_tok, nb, q8 ? 0 : 8, a);
    x86_r16a_walk(X86_R16Q_GROUP[spread][q8], w, w_row_bytes, nb, a, sizeof a[0], r0, r1, n_tok, y, ldy);
}

#endif
