/* r16k_avx2.h — the avx2 set's products over Q4_K, Q5_K and Q6_K matrices in the
 * R16 layouts (r16_layout.h, HONE_WTYPE_R16): a few tokens (a decode step,
 * a server's busy slots) straight from the layout, 8 rows in the 8 int32
 * lanes (a group's two halves), and prompt batches through the tiles of
 * tiles8_k_avx2.h, whose strips are then unpacked from the layout instead
 * of transposed from rows.
 *
 * Why: the one-row decode (q45_K_one, k16_multi) reduces each row's sums
 * across lanes and unpacks each row's scales apart, per (row, token): on
 * an Intel Xeon, with HONE_KERNELS=avx2, that ran bench-1b Q4_K_M's
 * generation at 53 % of the read bandwidth (81 % with this file: kernels/
 * README.md, round thirteen). Here a Q4_K sub-block is 8 vpmaddubsw
 * against broadcast activation dwords summed exactly in int16 (8 pair sums
 * of at most 2 * 15 * 128: 30720), one vpmaddwd by the 8 rows' scales;
 * Q5_K the same in sums of 4 dwords (its values reach 31); Q6_K (q + 32,
 * at most 63) two vpmaddubsw per vpmaddwd (2 * 2 * 63 * 128 = 32256). The
 * scales unpack with one vpshufb per sub-block for 8 rows, and nothing
 * crosses lanes.
 *
 * Numerics: per (row, token) and super-block the integer sums are exact and
 * the float steps are the tiles' (x86_t8k_run, x86_t8q6_run) and the
 * one-row kernels': Q4_K v = fma(-dmin, msum, d * isum), acc = fma(dy, v,
 * acc); Q6_K acc = fma(d * dy, isum, acc). So the bits equal matmul over
 * the rows as stored, and vec_dot's (test_kernels_isa test_repack).
 *
 * Included by x86/avx2.c after tiles8_k_avx2.h. */
#ifndef HONE_X86_R16K_AVX2_H
#define HONE_X86_R16K_AVX2_H

enum {
    X86_R16A_NT = 2,                        /* tokens per pass over a group (16 ymm registers; r16_avx2.h too) */
    X86_R16A_MAX_TOK = X86_T8K_MIN_TOK - 1, /* more: the tiles, packed from the layout */
};

/* A vpshufb pattern that puts byte j0 of each dword in its low int16 and
 * byte j1 in its high one, at byte `at` of the int16 (0: zero-extended;
 * 1: times 256, for a sign-extending vpsraw by 8). Constants once inlined. */
X86_INLINE __m256i x86_pick2(int j0, int j1, int at)
{
    char b[16];
    for (int d = 0; d < 4; d++) {
        b[4 * d + at] = (char)(4 * d + j0);
        b[4 * d + 1 - at] = -1;
        b[4 * d + 2 + at] = (char)(4 * d + j1);
        b[4 * d + 3 - at] = -1;
    }
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)b));
}

/* Q4_K: each lane's 8 scales and 8 mins as bytes, from the packed dwords
 * D0 (bytes 0-3), D1, D2 as hone_kquant_scale_min unpacks them: v[0]
 * scales 0-3, v[1] scales 4-7 (D2's low nibbles, D0's top bits), v[2]
 * mins 0-3, v[3] mins 4-7 (D2's high nibbles, D1's top bits). 11
 * operations, then one vpshufb per int16 pair (x86_r16a_6bit), where
 * unpacking each pair from the packed bytes took 2-7 (llvm-mca, Zen 3:
 * the two-half decode group of a super-block 188 -> 180 cycles). The
 * 16-bit shifts pull the next byte's bits in; the masks drop them. */
X86_INLINE void x86_r16a_k4_bytes(__m256i d0, __m256i d1, __m256i d2, __m256i v[4])
{
    const __m256i m63 = _mm256_set1_epi8(63), m15 = _mm256_set1_epi8(15), m30 = _mm256_set1_epi8(0x30);
    v[0] = _mm256_and_si256(d0, m63);
    v[1] = _mm256_or_si256(_mm256_and_si256(d2, m15), _mm256_and_si256(_mm256_srli_epi16(d0, 2), m30));
    v[2] = _mm256_and_si256(d1, m63);
    v[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(d2, 4), m15), _mm256_and_si256(_mm256_srli_epi16(d1, 2), m30));
}

/* Values j0 (low) and j1 (high) of each lane as an int16 pair, both
 * scales (mins 0) or both mins (mins 1), both below 4 or both 4 or more,
 * from x86_r16a_k4_bytes' v. */
X86_INLINE __m256i x86_r16a_6bit(const __m256i v[4], int j0, int j1, int mins)
{
    return _mm256_shuffle_epi8(v[2 * mins + (j0 >= 4)], x86_pick2(j0 & 3, j1 & 3, 0));
}

/* Q6_K: scales j0 (low) and j1 (high) of each lane, from the same scale
 * column, as sign-extended int16. */
X86_INLINE __m256i x86_r16a_q6_sc(__m256i col, int j0, int j1)
{
    return _mm256_srai_epi16(_mm256_shuffle_epi8(col, x86_pick2(j0 & 3, j1 & 3, 1)), 8);
}

/* Q6_K: dword k of quarter q of half hh (elements 128 hh + 32 q + 4 k ..)
 * of rows 8h .. 8h + 7 of a group's super-block, q + 32 as unsigned
 * bytes (tiles16_vnni.h's x86_r16q6_quarters, 8 lanes). */
X86_INLINE __m256i x86_r16a_q6_quarter(const uint8_t *bp, int h, int hh, int q, int k)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
    const __m256i l = _mm256_loadu_si256((const __m256i *)(bp + X86_R16Q6_QL + 64 * (16 * hh + 8 * (q & 1) + k) + 32 * h));
    const __m256i qh = _mm256_loadu_si256((const __m256i *)(bp + X86_R16Q6_QH + 64 * (8 * hh + k) + 32 * h));
    const __m256i v = _mm256_and_si256(q < 2 ? l : _mm256_srli_epi16(l, 4), m4);
    const __m256i hb = q == 0 ? _mm256_slli_epi16(qh, 4) : q == 1 ? _mm256_slli_epi16(qh, 2) : q == 2 ? qh : _mm256_srli_epi16(qh, 2);
    return _mm256_or_si256(v, _mm256_and_si256(hb, m30));
}

/* Q5_K: the fifth bits of dword k of the nibbles of sub-blocks 2c (lo)
 * and 2c + 1 (hi), rows 8h .. 8h + 7: bits 2c and 2c + 1 of the qh bytes
 * of the same elements (qh column k), moved to bit 4 (tiles16_vnni.h's
 * x86_r16k_fifth, 8 lanes). */
X86_INLINE void x86_r16a_fifth(const uint8_t *bp, int h, int c, int k, __m256i *lo, __m256i *hi)
{
    const __m256i qh = _mm256_loadu_si256((const __m256i *)(bp + X86_R16Q5_QH + 64 * k + 32 * h)), b4 = _mm256_set1_epi8(0x10);
    const __m256i l = c < 2 ? _mm256_slli_epi16(qh, 4 - 2 * c) : _mm256_srli_epi16(qh, 2 * c - 4);
    const __m256i u = c < 2 ? _mm256_slli_epi16(qh, 3 - 2 * c) : _mm256_srli_epi16(qh, 2 * c - 3);
    *lo = _mm256_or_si256(*lo, _mm256_and_si256(l, b4));
    *hi = _mm256_or_si256(*hi, _mm256_and_si256(u, b4));
}

/* A group's half h as a tiles8 strip: Q4_K, or Q5_K if has_qh. */
static void x86_t8k_pack_r16(const uint8_t *gp, int h, int has_qh, int nsb, x86_t8k_block *pk)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int b = 0; b < nsb; b++) {
        const uint8_t *bp = gp + (size_t)b * (has_qh ? X86_R16Q5_BLOCK : X86_R16K_BLOCK),
                      *sp = bp + X86_R16K_SCALES + 32 * h;
        x86_t8k_block *o = &pk[b];
        _mm256_storeu_ps(o->d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bp + 16 * h))));
        _mm256_storeu_ps(o->mn, _mm256_xor_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bp + X86_R16K_DMIN + 16 * h))),
                                              _mm256_set1_ps(-0.0f)));
        __m256i v[4];
        x86_r16a_k4_bytes(_mm256_loadu_si256((const __m256i *)sp), _mm256_loadu_si256((const __m256i *)(sp + 64)),
                          _mm256_loadu_si256((const __m256i *)(sp + 128)), v);
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            _mm256_storeu_si256((__m256i *)o->sc2[j], x86_r16a_6bit(v, j, j, 0));
            _mm256_storeu_si256((__m256i *)o->m2[j], x86_r16a_6bit(v, j, j, 1));
        }
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++)
            for (int k = 0; k < 8; k++) {
                const __m256i q = _mm256_loadu_si256(
                    (const __m256i *)(bp + (has_qh ? X86_R16Q5_QS : X86_R16K_QS) + 64 * (8 * c + k) + 32 * h));
                __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
                if (has_qh) x86_r16a_fifth(bp, h, c, k, &lo, &hi);
                _mm256_storeu_si256((__m256i *)o->w[2 * c][k], lo);
                _mm256_storeu_si256((__m256i *)o->w[2 * c + 1][k], hi);
            }
    }
}

/* The same for Q6_K. */
static void x86_t8q6_pack_r16(const uint8_t *gp, int h, int nsb, x86_t8q6_block *pk)
{
    for (int b = 0; b < nsb; b++) {
        const uint8_t *bp = gp + (size_t)b * X86_R16Q6_BLOCK;
        x86_t8q6_block *o = &pk[b];
        _mm256_storeu_ps(o->d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bp + 16 * h))));
        __m256i sv[4];
        for (int k = 0; k < 4; k++) sv[k] = _mm256_loadu_si256((const __m256i *)(bp + X86_R16Q6_SCALES + 64 * k + 32 * h));
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) _mm256_storeu_si256((__m256i *)o->sc2[j], x86_r16a_q6_sc(sv[j / 4], j, j));
#pragma GCC unroll 8
        for (int p = 0; p < 8; p++) _mm256_storeu_si256((__m256i *)o->sp[p], x86_r16a_q6_sc(sv[p / 2], 2 * p, 2 * p + 1));
#pragma GCC unroll 2
        for (int hh = 0; hh < 2; hh++)
#pragma GCC unroll 4
            for (int q = 0; q < 4; q++)
                for (int k = 0; k < 8; k++)
                    _mm256_storeu_si256((__m256i *)o->w[4 * hh + q][k], x86_r16a_q6_quarter(bp, h, hh, q, k));
    }
}

/* Prompt batches: each half of each group holding rows [r0, r1) unpacked
 * into a strip, every token run over it (x86_t8k_strip), the next group
 * fetched into L2 meanwhile. */
__attribute__((noinline)) static void x86_t8k_r16_matmul(int kind, const void *w, size_t w_row_bytes, const void *act,
                                                         size_t act_row_bytes, int n, int r0, int r1, int n_tok,
                                                         float *y, int ldy)
{
    const int nsb = n / QK_K; /* x86_r16k_repack took 1 .. X86_R16K_MAX_SB */
    const int q6 = kind == X86_R16_Q6_K, has_qh = kind == X86_R16_Q5_K;
    const size_t gbytes = 16 * w_row_bytes;
    const int g1 = (r1 + 15) / 16;
    x86_t8k_strip_buf pk;
    for (int s = r0 / 8; 8 * s < r1; s++) {
        const int g = s / 2, h = s % 2;
        const uint8_t *gp = (const uint8_t *)w + (size_t)g * gbytes;
        if (q6) x86_t8q6_pack_r16(gp, h, nsb, pk.q6);
        else if (has_qh) x86_t8k_pack_r16(gp, h, 1, nsb, pk.k);
        else x86_t8k_pack_r16(gp, h, 0, nsb, pk.k);
        /* both halves live on the same lines: half the next group each */
        const size_t pfb = g + 1 < g1 ? gbytes / 2 : 0;
        x86_t8k_strip(&pk, q6, has_qh, nsb, act, act_row_bytes, n_tok, y, ldy, 8 * s, x86_lanes_range(r0 - 8 * s, r1 - 8 * s),
                      (const char *)gp + gbytes + (size_t)h * (gbytes / 2), pfb);
    }
}

/* One token's activations: its super-blocks, and for Q4_K / Q5_K per
 * super-block c[i][c] the sums of sub-blocks 2c and 2c + 1 as an int16 pair (for the
 * mins; Q6_K pairs the Q8_K group sums as they are). */
typedef struct {
    const block_q8_K *a;
    int32_t c[X86_R16K_MAX_SB][4];
} x86_r16a_act;

/* Q4_K (Q5_K if has_qh) super-block bp, rows 8h .. 8h + 7 (nh 1) or
 * both halves, rows 0 .. 15 (nh 2: acc[u] for half u), against NT tokens'
 * super-block i: acc[t] += ... Q5_K's values reach 31, so its int16 sums
 * take 4 dwords each (4 x 2 x 31 x 128 = 31744), two per sub-block.
 * Both halves in one pass share each activation broadcast: on a Zen 5 the
 * broadcasts, not the arithmetic, were what a step waited on (taking them
 * out of the loop, a measurement: 31 -> 41 GB/s from L2; fewer
 * operations, 0). Two tokens keep a pass per half: their sums would not
 * fit the 16 registers. */
X86_INLINE void x86_r16a_k4_step(const uint8_t *bp, int has_qh, int h, int nh, int i, const x86_r16a_act *a, int NT,
                                 __m256 *const *acc, int spread, const uint8_t *end)
{
    const size_t blk = x86_r16k_block(has_qh ? X86_R16_Q5_K : X86_R16_Q4_K);
    __m256i v[2][4];
    const uint8_t *qp[2];
    for (int u = 0; u < nh; u++) {
        const int hu = nh == 2 ? u : h;
        const uint8_t *sp = bp + X86_R16K_SCALES + 32 * hu;
        x86_r16a_k4_bytes(_mm256_loadu_si256((const __m256i *)sp), _mm256_loadu_si256((const __m256i *)(sp + 64)),
                          _mm256_loadu_si256((const __m256i *)(sp + 128)), v[u]);
        qp[u] = bp + (has_qh ? X86_R16Q5_QS : X86_R16K_QS) + 32 * hu;
    }
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256i isum[2][X86_R16A_NT];
    const block_q8_K *ai[X86_R16A_NT];
    for (int t = 0; t < NT; t++) {
        isum[0][t] = isum[1][t] = _mm256_setzero_si256();
        ai[t] = a[t].a + i;
        __asm__ volatile("" : "+r"(ai[t])); /* as in x86_r16a_q6_step */
    }
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        /* sub-blocks 2c (low nibbles) and 2c + 1 (high) */
        __m256i s0[2][X86_R16A_NT], s1[2][X86_R16A_NT];
        for (int u = 0; u < nh; u++)
            for (int t = 0; t < NT; t++) s0[u][t] = s1[u][t] = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            __m256i lo[2], hi[2];
            if (spread) x86_prefetch_piece(bp, blk, 8192, end, 1, 8 * c + k, 32);
            for (int u = 0; u < nh; u++) {
                __m256i q = _mm256_loadu_si256((const __m256i *)(qp[u] + 64 * (8 * c + k)));
                X86_IN_ORDER(q); /* one load, not one per use */
                lo[u] = _mm256_and_si256(q, m4);
                hi[u] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
                if (has_qh) x86_r16a_fifth(bp, nh == 2 ? u : h, c, k, &lo[u], &hi[u]);
            }
            for (int t = 0; t < NT; t++) {
                const int8_t *qs = ai[t]->qs + 64 * c + 4 * k;
                const __m256i al = _mm256_set1_epi32(load_i32(qs)), ah = _mm256_set1_epi32(load_i32(qs + 32));
                for (int u = 0; u < nh; u++) {
                    s0[u][t] = _mm256_add_epi16(s0[u][t], _mm256_maddubs_epi16(lo[u], al));
                    s1[u][t] = _mm256_add_epi16(s1[u][t], _mm256_maddubs_epi16(hi[u], ah));
                    X86_IN_ORDER(s0[u][t]);
                    X86_IN_ORDER(s1[u][t]);
                    if (k == 7 || (has_qh && k == 3)) {
                        const __m256i sa = x86_r16a_6bit(v[u], 2 * c, 2 * c, 0),
                                      sb = x86_r16a_6bit(v[u], 2 * c + 1, 2 * c + 1, 0);
                        isum[u][t] = _mm256_add_epi32(
                            isum[u][t], _mm256_add_epi32(_mm256_madd_epi16(s0[u][t], sa), _mm256_madd_epi16(s1[u][t], sb)));
                        s0[u][t] = s1[u][t] = _mm256_setzero_si256();
                    }
                }
            }
        }
    }
    for (int u = 0; u < nh; u++) {
        const int hu = nh == 2 ? u : h;
        __m256i mp[4]; /* (m 2c, m 2c+1) as int16 pairs */
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++) mp[c] = x86_r16a_6bit(v[u], 2 * c, 2 * c + 1, 1);
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bp + 16 * hu)));
        const __m256 mn = _mm256_xor_ps(
            _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bp + X86_R16K_DMIN + 16 * hu))), _mm256_set1_ps(-0.0f));
        for (int t = 0; t < NT; t++) {
            __m256i ms = _mm256_madd_epi16(mp[0], _mm256_set1_epi32(a[t].c[i][0]));
            for (int c = 1; c < 4; c++)
                ms = _mm256_add_epi32(ms, _mm256_madd_epi16(mp[c], _mm256_set1_epi32(a[t].c[i][c])));
            const __m256 vf = _mm256_fmadd_ps(mn, _mm256_cvtepi32_ps(ms), _mm256_mul_ps(d, _mm256_cvtepi32_ps(isum[u][t])));
            acc[u][t] = _mm256_fmadd_ps(_mm256_set1_ps(a[t].a[i].d), vf, acc[u][t]);
        }
    }
}

/* The same for Q6_K: isum starts at -32 sum_j sc_j sum(a_j) (the weights
 * are used as q + 32), then per sub-block two dword pairs. */
X86_INLINE void x86_r16a_q6_step(const uint8_t *bp, int h, int i, const x86_r16a_act *a, int NT, __m256 *acc,
                                 int spread, const uint8_t *end)
{
    __m256i sv[4], isum[X86_R16A_NT];
    const block_q8_K *ai[X86_R16A_NT];
    for (int t = 0; t < NT; t++) {
        /* opaque, so the two halves' steps do not share (and spill) the
         * activation broadcasts */
        ai[t] = a[t].a + i;
        __asm__ volatile("" : "+r"(ai[t]));
    }
    for (int k = 0; k < 4; k++) sv[k] = _mm256_loadu_si256((const __m256i *)(bp + X86_R16Q6_SCALES + 64 * k + 32 * h));
    for (int t = 0; t < NT; t++) {
        const int8_t *bs = (const int8_t *)ai[t]->bsums;
        __m256i cs = _mm256_madd_epi16(x86_r16a_q6_sc(sv[0], 0, 1), _mm256_set1_epi32(load_i32(bs)));
#pragma GCC unroll 8
        for (int p = 1; p < 8; p++)
            cs = _mm256_add_epi32(cs, _mm256_madd_epi16(x86_r16a_q6_sc(sv[p / 2], 2 * p, 2 * p + 1),
                                                        _mm256_set1_epi32(load_i32(bs + 4 * p))));
        isum[t] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(cs, 5));
    }
#pragma GCC unroll 2
    for (int hh = 0; hh < 2; hh++)
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++)
#pragma GCC unroll 4
            for (int k = 0; k < 8; k += 2) {
                const int j = 8 * hh + 2 * q + k / 4; /* the sub-block of dwords k, k + 1 */
                if (spread) x86_prefetch_piece(bp, X86_R16Q6_BLOCK, 8192, end, 1, 16 * hh + 4 * q + k / 2, 32);
                const __m256i sc = x86_r16a_q6_sc(sv[j / 4], j, j);
                const __m256i w0 = x86_r16a_q6_quarter(bp, h, hh, q, k), w1 = x86_r16a_q6_quarter(bp, h, hh, q, k + 1);
                for (int t = 0; t < NT; t++) {
                    const int8_t *qs = ai[t]->qs + 128 * hh + 32 * q + 4 * k;
                    const __m256i s = _mm256_add_epi16(_mm256_maddubs_epi16(w0, _mm256_set1_epi32(load_i32(qs))),
                                                       _mm256_maddubs_epi16(w1, _mm256_set1_epi32(load_i32(qs + 4))));
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(s, sc));
                    X86_IN_ORDER(isum[t]); /* a chain, not a tree of spilled sums */
                }
            }
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bp + 16 * h)));
    for (int t = 0; t < NT; t++)
        acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a[t].a[i].d)), _mm256_cvtepi32_ps(isum[t]), acc[t]);
}

/* One group (gp, rows rs .. rs + 15) against NT tokens: both halves, in
 * one pass over its lines (stored in the lanes of m0, m1), or only half h
 * (stored in m0); fetched 8 KiB ahead (below end) into L1, or into L2
 * where flag has X86_R16A_PF_L2, as the avx512 set's groups (Intel, Zen 3
 * / 4: L2, on a Zen 4 +57 %, round twenty-eight; Zen 5: L1, bench-1b
 * Q4_K_M tg64 t=2 +6.8 %). flag: the kind (X86_R16_Q4_K, _Q5_K, _Q6_K) |
 * that bit. Into L1 a super-block is fetched at once at its start; into
 * L2 a piece before each quant
 * load of the first pass over it, as r16k_avx512.h says why: on an Intel
 * Xeon with AMX (round twenty-one), the portable build's avx2 set,
 * bench-1b Q4_K_M tg64 t=2 +26 % (6 of 6 rounds). */
enum { X86_R16A_PF_L2 = 4 };
X86_INLINE void x86_r16a_group(int flag, bool both, const uint8_t *gp, int h, int nsb, const uint8_t *end,
                               const x86_r16a_act *a, int NT, float *y, int ldy, int rs, __m256i m0, __m256i m1)
{
    const int kind = flag & 3;
    const size_t blk = x86_r16k_block(kind);
    __m256 acc0[X86_R16A_NT], acc1[X86_R16A_NT];
    for (int t = 0; t < NT; t++) acc0[t] = acc1[t] = _mm256_setzero_ps();
    const int spread = (flag & X86_R16A_PF_L2) != 0;
    for (int i = 0; i < nsb; i++) {
        const uint8_t *bp = gp + (size_t)i * blk;
        if (!spread) x86_prefetch_run(bp, blk, 8192, end, 0);
        /* one token: both halves of a Q4_K / Q5_K super-block in one step
         * (shared broadcasts; Q6_K's steps gained nothing from it: q6_K/r
         * from L2 30.4 against 31.3 GB/s, Zen 5) */
        __m256 *const acc[2] = {acc0, acc1}, *const acc_1[1] = {acc1};
        if (kind == X86_R16_Q6_K) {
            x86_r16a_q6_step(bp, both ? 0 : h, i, a, NT, acc0, spread, end);
            if (both) x86_r16a_q6_step(bp, 1, i, a, NT, acc1, 0, end);
        } else if (both && NT == 1) {
            x86_r16a_k4_step(bp, kind == X86_R16_Q5_K, 0, 2, i, a, NT, acc, spread, end);
        } else {
            x86_r16a_k4_step(bp, kind == X86_R16_Q5_K, both ? 0 : h, 1, i, a, NT, acc, spread, end);
            if (both) x86_r16a_k4_step(bp, kind == X86_R16_Q5_K, 1, 1, i, a, NT, acc_1, 0, end);
        }
    }
    for (int t = 0; t < NT; t++) {
        float *yt = y + (size_t)t * (size_t)ldy + rs;
        _mm256_maskstore_ps(yt + (both ? 0 : 8 * h), m0, acc0[t]);
        if (both) _mm256_maskstore_ps(yt + 8, m1, acc1[t]);
    }
}

/* One group against NT tokens, for x86_r16a_walk: the group, the half h
 * (if not both), its blocks or super-blocks, the end of the fetch, the
 * first token's activation record (the kernel's own type), y, ldy, the
 * group's first row and the two halves' store masks. r16_avx2.h's Q4_0 /
 * Q8_0 groups take the same shape. */
typedef void (*x86_r16a_group_fn)(const uint8_t *, int, int, const uint8_t *, const void *, float *, int, int, __m256i,
                                  __m256i);
/* The instances of a group kernel GROUP (FLAG, both halves or one, NT = 1
 * or 2, all constants in each) as GROUP_FLAG_{01,02,11,12}, with the
 * activation record type ACT. */
#define X86_R16A_INSTANCE(GROUP, ACT, FLAG, BOTH, NT)                                                                 \
    static void GROUP##_##FLAG##_##BOTH##NT(const uint8_t *gp, int h, int nb, const uint8_t *end, const void *a,     \
                                            float *y, int ldy, int rs, __m256i m0, __m256i m1)                        \
    {                                                                                                                 \
        GROUP(FLAG, BOTH, gp, h, nb, end, (const ACT *)a, NT, y, ldy, rs, m0, m1);                                    \
    }
#define X86_R16A_SHAPES(GROUP, ACT, FLAG)                                                                             \
    X86_R16A_INSTANCE(GROUP, ACT, FLAG, 0, 1)                                                                         \
    X86_R16A_INSTANCE(GROUP, ACT, FLAG, 0, 2)                                                                         \
    X86_R16A_INSTANCE(GROUP, ACT, FLAG, 1, 1)                                                                         \
    X86_R16A_INSTANCE(GROUP, ACT, FLAG, 1, 2)
/* kinds: X86_R16_Q4_K 0, X86_R16_Q5_K 1, X86_R16_Q6_K 2; + 4: into L2 */
X86_R16A_SHAPES(x86_r16a_group, x86_r16a_act, 0)
X86_R16A_SHAPES(x86_r16a_group, x86_r16a_act, 1)
X86_R16A_SHAPES(x86_r16a_group, x86_r16a_act, 2)
X86_R16A_SHAPES(x86_r16a_group, x86_r16a_act, 4)
X86_R16A_SHAPES(x86_r16a_group, x86_r16a_act, 5)
X86_R16A_SHAPES(x86_r16a_group, x86_r16a_act, 6)
/* [into L2][kind][both][NT - 1] */
static const x86_r16a_group_fn X86_R16A_GROUP[2][3][2][X86_R16A_NT] = {
    {
        {{x86_r16a_group_0_01, x86_r16a_group_0_02}, {x86_r16a_group_0_11, x86_r16a_group_0_12}},
        {{x86_r16a_group_1_01, x86_r16a_group_1_02}, {x86_r16a_group_1_11, x86_r16a_group_1_12}},
        {{x86_r16a_group_2_01, x86_r16a_group_2_02}, {x86_r16a_group_2_11, x86_r16a_group_2_12}},
    },
    {
        {{x86_r16a_group_4_01, x86_r16a_group_4_02}, {x86_r16a_group_4_11, x86_r16a_group_4_12}},
        {{x86_r16a_group_5_01, x86_r16a_group_5_02}, {x86_r16a_group_5_11, x86_r16a_group_5_12}},
        {{x86_r16a_group_6_01, x86_r16a_group_6_02}, {x86_r16a_group_6_11, x86_r16a_group_6_12}},
    },
};
_Static_assert(X86_R16_Q4_K == 0 && X86_R16_Q5_K == 1 && X86_R16_Q6_K == 2, "the table's order");

/* The groups holding rows [r0, r1), each against the tokens X86_R16A_NT
 * at a time (group[both][nt - 1]; a's records act_size bytes apart), so a
 * group is read from memory once and its other tokens find it in L1 / L2;
 * of a group only partly in the rows, the halves holding any of them,
 * stored masked. */
static void x86_r16a_walk(const x86_r16a_group_fn group[2][X86_R16A_NT], const void *w, size_t w_row_bytes, int nb,
                          const void *a, size_t act_size, int r0, int r1, int n_tok, float *y, int ldy)
{
    const size_t gbytes = 16 * w_row_bytes;
    const int g1 = (r1 + 15) / 16;
    const uint8_t *end = (const uint8_t *)w + (size_t)g1 * gbytes;
    for (int g = r0 / 16; g < g1; g++) {
        const uint8_t *gp = (const uint8_t *)w + (size_t)g * gbytes;
        const int lo = r0 - 16 * g, hi = r1 - 16 * g; /* the group's lanes [lo, hi), clipped below */
        const bool both = lo < 8 && hi > 8;
        const int h = lo >= 8;
        const __m256i m0 = x86_lanes_range(lo - 8 * h, hi - 8 * h), m1 = x86_lanes_range(lo - 8, hi - 8);
        for (int t0 = 0; t0 < n_tok; t0 += X86_R16A_NT) {
            const int nt = n_tok - t0 < X86_R16A_NT ? n_tok - t0 : X86_R16A_NT;
            group[both][nt - 1](gp, h, nb, end, (const char *)a + (size_t)t0 * act_size, y + (size_t)t0 * (size_t)ldy,
                                ldy, 16 * g, m0, m1);
        }
    }
}

/* A few tokens (up to X86_R16A_MAX_TOK), as x86_r16a_walk goes; pf_l2:
 * fetch ahead into L2, not L1. */
__attribute__((noinline)) static void x86_r16a_dec_matmul(int kind, bool pf_l2, const void *w, size_t w_row_bytes,
                                                          const void *act, size_t act_row_bytes, int n, int r0, int r1,
                                                          int n_tok, float *y, int ldy)
{
    const int nsb = n / QK_K;
    x86_r16a_act a[X86_R16A_MAX_TOK];
    for (int t = 0; t < n_tok; t++) {
        a[t].a = (const block_q8_K *)((const char *)act + (size_t)t * act_row_bytes);
        if (kind == X86_R16_Q6_K) continue;
        for (int i = 0; i < nsb; i++) {
            const int16_t *bs = a[t].a[i].bsums;
            for (int c = 0; c < 4; c++) {
                /* a sub-block's sum is at most 32 * 128 in size: int16 */
                const uint32_t lo = (uint16_t)(bs[4 * c] + bs[4 * c + 1]), hi = (uint16_t)(bs[4 * c + 2] + bs[4 * c + 3]);
                a[t].c[i][c] = (int32_t)(lo | hi << 16);
            }
        }
    }
    x86_r16a_walk(X86_R16A_GROUP[pf_l2][kind], w, w_row_bytes, nsb, a, sizeof a[0], r0, r1, n_tok, y, ldy);
}

#endif
