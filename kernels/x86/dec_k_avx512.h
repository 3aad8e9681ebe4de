/* dec_k_avx512.h — Q4_K / Q5_K / Q6_K weights against few tokens (decode,
 * and the 2..15-token batches of a server's busy slots) on AVX-512 VNNI.
 * Included only by x86/avx512.c, after x86/body256.h and tiles16_vnni.h.
 *
 * Why a path of its own: the 16-row tiles repack a strip before use, which
 * costs about four one-row passes and only pays from ~16 tokens; the
 * 256-bit one-row kernel spends most of its time on per-(row, token)
 * horizontal sums. Here a row's super-block is unpacked once, with its
 * elements in vector lanes in their natural order (K in lanes), and used
 * for every token of the group; the exact integer sums of NR rows x NT
 * tokens are then reduced together, one tree for all pairs, and the float
 * steps run with the pairs in lanes.
 *
 * Per (row, token) the float steps are those of q45_K_multi (VNNI build)
 * and x86_tile_k4_run: per super-block the exact sums isum (scales applied)
 * and msum (mins), v = fma(mx, msum, dx * isum), acc = fma(dy, v, acc).
 * So the result has vec_dot's bits whatever the batch and the grouping. */
#ifndef HONE_X86_DEC_K45_AVX512_H
#define HONE_X86_DEC_K45_AVX512_H

#if !defined(HONE_X86_VNNI)
#error "x86/dec_k_avx512.h is the AVX-512 VNNI build's (x86/avx512.c)"
#endif

/* The high 256 bits of a float vector with AVX512F alone (the set is built
 * without DQ, whose _mm512_extractf32x8_ps this is). */
X86_INLINE __m256 x86_hi256_ps(__m512 v)
{
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

/* One row's super-block, unpacked: w[g] holds 64 elements as unsigned
 * bytes, in the order the activations are permuted to (x86_k45_act):
 * w[2h] sub-blocks 4h | 4h + 2, w[2h + 1] sub-blocks 4h + 1 | 4h + 3, one
 * per 256-bit half (the nibbles as stored, no shuffle); sc[h] the int16
 * scales matching _mm512_packs_epi32(p[2h], p[2h + 1]) of their dot
 * products; mp the mins as int16 pairs, (m 2c, m 2c+1) in every dword of
 * 128-bit chunk c (see x86_kq_reduce). */
typedef struct {
    __m512i w[4];
    __m512i sc[2];
    __m512i mp;
} x86_k45_sb;

/* vpshufb controls from the 16 bytes sc0..7, m0..7 (in every 128-bit
 * chunk) to int16 lanes (-1: a zero high byte). sc[h], chunk c: four of
 * the first sub-block of p[2h]'s chunk c (4h for chunks 0-1, 4h + 2 for
 * 2-3), then four of p[2h + 1]'s (4h + 1, 4h + 3). MP: the mins. */
#define X86_SCW(j) (j), -1, (j), -1, (j), -1, (j), -1
static const _Alignas(64) int8_t X86_K45_SC_CTRL[2][64] = {
    {X86_SCW(0), X86_SCW(1), X86_SCW(0), X86_SCW(1), X86_SCW(2), X86_SCW(3), X86_SCW(2), X86_SCW(3)},
    {X86_SCW(4), X86_SCW(5), X86_SCW(4), X86_SCW(5), X86_SCW(6), X86_SCW(7), X86_SCW(6), X86_SCW(7)},
};
#undef X86_SCW
#define X86_MPW(j) (j), -1, (j) + 1, -1, (j), -1, (j) + 1, -1, (j), -1, (j) + 1, -1, (j), -1, (j) + 1, -1
static const _Alignas(64) int8_t X86_K45_MP_CTRL[64] = {X86_MPW(8), X86_MPW(10), X86_MPW(12), X86_MPW(14)};
#undef X86_MPW

X86_INLINE void x86_k45_unpack(const uint8_t *b, int has_qh, x86_k45_sb *o)
{
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const uint8_t *qs = b + offsetof(block_q5_K, qh) + (has_qh ? QK_K / 8 : 0);
    for (int h = 0; h < 2; h++) {
        const __m512i q = _mm512_loadu_si512(qs + 64 * h);
        o->w[2 * h] = _mm512_and_si512(q, m4);
        o->w[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
    }
    if (has_qh) {
        /* element l of sub-block j has its 5th bit in bit j of qh[l] */
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + offsetof(block_q5_K, qh))));
        for (int g = 0; g < 4; g++) {
            const int j = 4 * (g / 2) + (g & 1); /* sub-blocks j | j + 2 */
            const __m512i bit = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << j)),
                                                   _mm256_set1_epi8((char)(1 << (j + 2))), 1);
            o->w[g] = _mm512_mask_add_epi8(o->w[g], _mm512_test_epi8_mask(qh, bit), o->w[g],
                                           _mm512_set1_epi8(16));
        }
    }
    /* the 12 packed bytes -> sc0..7, m0..7 (hone_kquant_scale_min) in
     * vector registers: scalar code and its moves to vector registers cost
     * a quarter of the whole kernel */
    const __m128i v = _mm_loadu_si128((const __m128i *)(b + offsetof(block_q5_K, scales)));
    const __m128i a = _mm_shuffle_epi8(v, _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11));
    const __m128i top = _mm_shuffle_epi8(v, _mm_setr_epi8(-1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, 4, 5, 6, 7));
    const __m128i low = _mm_or_si128(_mm_and_si128(a, _mm_setr_epi8(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 0, 0, 0, 0)),
                                     _mm_and_si128(_mm_srli_epi16(a, 4), _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 15, 15)));
    const __m128i r = _mm_or_si128(low, _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(top, 6), _mm_set1_epi8(3)), 4));
    const __m512i rb = _mm512_broadcast_i32x4(r);
    for (int h = 0; h < 2; h++) o->sc[h] = _mm512_shuffle_epi8(rb, _mm512_load_si512(X86_K45_SC_CTRL[h]));
    o->mp = _mm512_shuffle_epi8(rb, _mm512_load_si512(X86_K45_MP_CTRL));
}

/* The super-block's scaled dot products for one token (qs: its
 * activations in x86_k45_act's order), 16 lanes whose total is isum. */
X86_INLINE __m512i x86_k45_sums(const x86_k45_sb *x, const int8_t *qs)
{
    __m512i p[4];
    for (int g = 0; g < 4; g++)
        p[g] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), x->w[g], _mm512_load_si512(qs + 64 * g));
    /* |p| <= 4 * 31 * 128 fits int16: pack, then weight by the scales */
    __m512i s = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_packs_epi32(p[0], p[1]), x->sc[0]);
    return _mm512_dpwssd_epi32(s, _mm512_packs_epi32(p[2], p[3]), x->sc[1]);
}

/* Four pairs' 16-lane sums -> one vector: lane j of 128-bit chunk c is the
 * total of chunk c of z[j]. Two levels of a transposed tree. */
X86_INLINE __m512i x86_kq_tree4(const __m512i z[4])
{
    const __m512i t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(z[0], z[1]), _mm512_unpackhi_epi32(z[0], z[1]));
    const __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(z[2], z[3]), _mm512_unpackhi_epi32(z[2], z[3]));
    return _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
}

/* Chunk totals of four vectors laid out as x86_kq_tree4's: lanes 0-3 pair
 * j's total in a, 4-7 in b, 8-11 in c, 12-15 in d. */
X86_INLINE __m512i x86_kq_chunks4(__m512i a, __m512i b, __m512i c, __m512i d)
{
    /* (a0+a2, a1+a3, b0+b2, b1+b3), the same for c, d; then the halves */
    const __m512i x = _mm512_add_epi32(_mm512_shuffle_i64x2(a, b, 0x44), _mm512_shuffle_i64x2(a, b, 0xEE));
    const __m512i y = _mm512_add_epi32(_mm512_shuffle_i64x2(c, d, 0x44), _mm512_shuffle_i64x2(c, d, 0xEE));
    return _mm512_add_epi32(_mm512_shuffle_i64x2(x, y, 0x88), _mm512_shuffle_i64x2(x, y, 0xDD));
}

/* A token group's activations as the group kernels read them. */
typedef struct {
    const block_q8_K *a[4];   /* the rows (d; qs and bsums for Q6_K) */
    const int8_t *qs[4];      /* per token: super-block i's quants at qs + 256 i */
    size_t qs_stride;         /* bytes between super-blocks in qs */
    const float *dy;          /* [i][8]: pair p's activation scale */
    const int16_t *ms;        /* [i][4][32]: see x86_k45_group, x86_q6_group */
} x86_kq_act;

/* Row scales of NR consecutive rows (the 32-bit word at off of block i,
 * f16 scale in its low half, and for Q4_K / Q5_K dmin in its high half),
 * one lane per (row, token) pair p = r * NT + t. */
X86_INLINE __m256i x86_kq_row_words(const uint8_t *row0, size_t w_row_bytes, size_t boff, int NR, int NT)
{
    uint32_t u[8] = {0};
    for (int r = 0; r < NR; r++) memcpy(&u[r], row0 + (size_t)r * w_row_bytes + boff, 4);
    const __m256i v = _mm256_setr_epi32((int)u[0], (int)u[1], (int)u[2], (int)u[3], (int)u[4], (int)u[5],
                                        (int)u[6], (int)u[7]);
    int ix[8];
    for (int p = 0; p < 8; p++) ix[p] = p / NT < NR ? p / NT : 0;
    return _mm256_permutexvar_epi32(_mm256_setr_epi32(ix[0], ix[1], ix[2], ix[3], ix[4], ix[5], ix[6], ix[7]), v);
}

/* NR consecutive rows from row0 x NT tokens (NR * NT <= 8) over the whole
 * row length: out[p] (a pointer per pair) gets dot(row r, token t).
 * Meanwhile pf_bytes from pf are prefetched, a slice per super-block: NR
 * interleaved row streams defeat the hardware prefetcher, so the caller
 * names the rows it will need next, and they are fetched linearly, into
 * L1, or into L2 with pf_l2 (body256.h's X86_ROUTE_L2: on a Zen 4,
 * bench-1b Q4_K_M tg128 t=2 from a mapped model +61 %; on a Zen 5, L1
 * was 5 % faster; kernels/README.md rounds four and twenty-eight). */
X86_INLINE void x86_k45_group(const uint8_t *row0, size_t w_row_bytes, size_t bsize, int has_qh, int nsb,
                              const x86_kq_act *act, float *const *out, const char *pf,
                              size_t pf_bytes, bool pf_l2, int NR, int NT)
{
    const int np = NR * NT;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < nsb; i++) {
        x86_prefetch_slice(pf, pf_bytes, i, nsb, pf_l2);
        __m512i z[8], mp[8];
        for (int r = 0; r < NR; r++) {
            x86_k45_sb x;
            x86_k45_unpack(row0 + (size_t)r * w_row_bytes + (size_t)i * bsize, has_qh, &x);
            mp[r] = x.mp;
            for (int t = 0; t < NT; t++) z[r * NT + t] = x86_k45_sums(&x, act->qs[t] + (size_t)i * act->qs_stride);
        }
        for (int p = np; p < 8; p++) z[p] = _mm512_setzero_si512();
        /* The min terms come out in the trees' layout directly: lane j of
         * chunk c is m 2c * S 2c + m 2c+1 * S 2c+1 of pair 4h + j, its row's
         * mins (mp, merged per lane) against its token's sub-block sums
         * (act->ms, laid out so by the driver). */
        __m512i m[2];
        for (int h = 0; h < 2; h++) {
            __m512i mr = mp[(4 * h) / NT < NR ? (4 * h) / NT : 0];
            for (int j = 1; j < 4; j++) {
                const int p = 4 * h + j;
                if (p < np && p / NT != (4 * h) / NT) mr = _mm512_mask_mov_epi32(mr, (__mmask16)(0x1111 << j), mp[p / NT]);
            }
            m[h] = 4 * h < np ? _mm512_madd_epi16(mr, _mm512_load_si512(act->ms + (size_t)(4 * i + h) * 32))
                              : _mm512_setzero_si512();
        }
        const __m512i zb = np > 4 ? x86_kq_tree4(z + 4) : _mm512_setzero_si512();
        /* lanes: isum of pairs 0..7, then msum of pairs 0..7 */
        const __m512 f = _mm512_cvtepi32_ps(x86_kq_chunks4(x86_kq_tree4(z), zb, m[0], m[1]));
        const __m256 isf = _mm512_castps512_ps256(f), msf = x86_hi256_ps(f);
        /* d and dmin of each pair's row, converted exactly (as h2f) */
        const __m256i dd = x86_kq_row_words(row0 + (size_t)i * bsize, w_row_bytes, offsetof(block_q5_K, d), NR, NT);
        const __m256 dx = _mm256_cvtph_ps(_mm256_cvtepi32_epi16(dd));
        const __m256 mx = _mm256_xor_ps(_mm256_cvtph_ps(_mm256_cvtepi32_epi16(_mm256_srli_epi32(dd, 16))),
                                        _mm256_set1_ps(-0.0f));
        const __m256 vv = _mm256_fmadd_ps(mx, msf, _mm256_mul_ps(dx, isf));
        acc = _mm256_fmadd_ps(_mm256_load_ps(act->dy + 8 * i), vv, acc);
    }
    float s[8];
    _mm256_storeu_ps(s, acc);
    for (int p = 0; p < NR * NT; p++) *out[p] = s[p];
}

/* --- Q6_K ---------------------------------------------------------------- */

/* One Q6_K super-block, unpacked: w[g] holds elements 64g .. 64g + 63 as
 * unsigned bytes (q + 32); sc[h] the int16 scales matching
 * _mm512_packs_epi32(p[2h], p[2h + 1]); so[k] the scales as int16 pairs
 * (sc 4c+2k, sc 4c+2k+1) in every dword of 128-bit chunk c, for the
 * -32 * sum_j sc_j * sum(a_j) term (see x86_q6_group). */
typedef struct {
    __m512i w[4];
    __m512i sc[2];
    __m512i so[2];
} x86_q6_sb;

X86_INLINE void x86_q6_unpack(const uint8_t *blk, x86_q6_sb *o)
{
    const block_q6_K *b = (const void *)blk;
    const __m512i m4 = _mm512_set1_epi8(0x0f), m30 = _mm512_set1_epi8(0x30);
    for (int h = 0; h < 2; h++) {
        /* ql bytes 0..31 hold elements 128h + l (low nibble) and
         * 128h + 64 + l (high); bytes 32..63 elements 128h + 32 + l and
         * 128h + 96 + l; their top two bits are bit pairs 0, 1, 2, 3 of qh[l] */
        const __m512i ql = _mm512_loadu_si512(b->ql + 64 * h);
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b->qh + 32 * h)));
        const __m512i top0 = _mm512_sllv_epi16(qh, _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1));
        const __m512i top1 = _mm512_srlv_epi16(qh, _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1));
        o->w[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_and_si512(top0, m30));
        o->w[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4), _mm512_and_si512(top1, m30));
    }
    const __m512i sc16 = _mm512_castsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales)));
    /* packs(p[2h], p[2h + 1]) per 128-bit chunk c: four sums of sub-block
     * 8h + c, then four of 8h + 4 + c */
    for (int h = 0; h < 2; h++) {
        short ix[32];
        for (int c = 0; c < 4; c++)
            for (int e = 0; e < 8; e++) ix[8 * c + e] = (short)(8 * h + c + (e < 4 ? 0 : 4));
        o->sc[h] = _mm512_permutexvar_epi16(_mm512_loadu_si512(ix), sc16);
    }
    for (int k = 0; k < 2; k++) {
        short ix[32];
        for (int w = 0; w < 32; w++) ix[w] = (short)(4 * (w / 8) + 2 * k + (w & 1));
        o->so[k] = _mm512_permutexvar_epi16(_mm512_loadu_si512(ix), sc16);
    }
}

/* The super-block's scaled dot products for one token, 16 lanes (the
 * offset term not yet subtracted). */
X86_INLINE __m512i x86_q6_sums(const x86_q6_sb *x, const int8_t *qs)
{
    __m512i p[4];
    for (int g = 0; g < 4; g++)
        p[g] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), x->w[g], _mm512_load_si512(qs + 64 * g));

    /* |p| <= 4 * 63 * 128 fits int16 */
    __m512i s = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_packs_epi32(p[0], p[1]), x->sc[0]);
    return _mm512_dpwssd_epi32(s, _mm512_packs_epi32(p[2], p[3]), x->sc[1]);
}

X86_INLINE void x86_q6_group(const uint8_t *row0, size_t w_row_bytes, size_t bsize, int has_qh, int nsb,
                             const x86_kq_act *act, float *const *out, const char *pf, size_t pf_bytes,
                             bool pf_l2, int NR, int NT)
{
    (void)has_qh;
    const int np = NR * NT;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < nsb; i++) {
        x86_prefetch_slice(pf, pf_bytes, i, nsb, pf_l2);
        __m512i z[8], so[8][2];
        for (int r = 0; r < NR; r++) {
            x86_q6_sb x;
            x86_q6_unpack(row0 + (size_t)r * w_row_bytes + (size_t)i * bsize, &x);
            so[r][0] = x.so[0];
            so[r][1] = x.so[1];
            for (int t = 0; t < NT; t++) z[r * NT + t] = x86_q6_sums(&x, act->qs[t] + (size_t)i * act->qs_stride);
        }
        for (int p = np; p < 8; p++) z[p] = _mm512_setzero_si512();
        /* Per half h of the pairs, in the tree's layout: isum partials minus
         * 32 * the offset partials, lane j of chunk c being sub-blocks
         * 4c .. 4c + 3 of pair 4h + j (scales merged per lane, the token's
         * 16-element sums laid out by the driver in act->ms). */
        __m512i zh[2];
        for (int h = 0; h < 2; h++) {
            if (4 * h >= np) {
                zh[h] = _mm512_setzero_si512();
                continue;
            }
            const int r0 = (4 * h) / NT;
            __m512i s0 = so[r0][0], s1 = so[r0][1];
            for (int j = 1; j < 4; j++) {
                const int p = 4 * h + j;
                if (p < np && p / NT != r0) {
                    s0 = _mm512_mask_mov_epi32(s0, (__mmask16)(0x1111 << j), so[p / NT][0]);
                    s1 = _mm512_mask_mov_epi32(s1, (__mmask16)(0x1111 << j), so[p / NT][1]);
                }
            }
            const int16_t *ms = act->ms + (size_t)(4 * i + 2 * h) * 32;
            const __m512i o = _mm512_dpwssd_epi32(_mm512_madd_epi16(s0, _mm512_load_si512(ms)), s1,
                                                  _mm512_load_si512(ms + 32));
            zh[h] = _mm512_sub_epi32(x86_kq_tree4(z + 4 * h), _mm512_slli_epi32(o, 5));
        }
        const __m256 isf = _mm256_cvtepi32_ps(_mm512_castsi512_si256(
            x86_kq_chunks4(zh[0], zh[1], _mm512_setzero_si512(), _mm512_setzero_si512())));
        /* d is the high half of the word that ends the block */
        const __m256i dd = x86_kq_row_words(row0 + (size_t)i * bsize, w_row_bytes, offsetof(block_q6_K, d) - 2, NR, NT);
        const __m256 dx = _mm256_cvtph_ps(_mm256_cvtepi32_epi16(_mm256_srli_epi32(dd, 16)));
        acc = _mm256_fmadd_ps(_mm256_mul_ps(dx, _mm256_load_ps(act->dy + 8 * i)), isf, acc);
    }
    float s[8];
    _mm256_storeu_ps(s, acc);
    for (int p = 0; p < NR * NT; p++) *out[p] = s[p];
}

/* --- the driver ------------------------------------------------------------ */

typedef void (*x86_kq_group_fn)(const uint8_t *, size_t, size_t, int, int, const x86_kq_act *, float *const *,
                                const char *, size_t, bool);

/* One instance per (kind, rows, tokens) shape, so NR / NT are constants. */
#define X86_KQ_SHAPE(KIND, NR, NT)                                                                  \
    static void x86_##KIND##_group_##NR##x##NT(const uint8_t *row0, size_t w_row_bytes, size_t bsize, \
                                               int has_qh, int nsb, const x86_kq_act *act,           \
                                               float *const *out, const char *pf, size_t pf_bytes,   \
                                               bool pf_l2)                                           \
    {                                                                                               \
        if (has_qh)                                                                                 \
            x86_##KIND##_group(row0, w_row_bytes, bsize, 1, nsb, act, out, pf, pf_bytes, pf_l2, NR, NT); \
        else                                                                                        \
            x86_##KIND##_group(row0, w_row_bytes, bsize, 0, nsb, act, out, pf, pf_bytes, pf_l2, NR, NT); \
    }
#define X86_KQ_SHAPES(KIND)                                                                         \
    X86_KQ_SHAPE(KIND, 1, 1)                                                                        \
    X86_KQ_SHAPE(KIND, 1, 2)                                                                        \
    X86_KQ_SHAPE(KIND, 1, 3)                                                                        \
    X86_KQ_SHAPE(KIND, 1, 4)                                                                        \
    X86_KQ_SHAPE(KIND, 8, 1)                                                                        \
    X86_KQ_SHAPE(KIND, 4, 2)                                                                        \
    X86_KQ_SHAPE(KIND, 2, 3)                                                                        \
    X86_KQ_SHAPE(KIND, 2, 4)                                                                        \
    static const x86_kq_group_fn X86_##KIND##_ONE[5] = {NULL, x86_##KIND##_group_1x1,               \
                                                        x86_##KIND##_group_1x2, x86_##KIND##_group_1x3, \
                                                        x86_##KIND##_group_1x4};                    \
    static const x86_kq_group_fn X86_##KIND##_WIDE[5] = {NULL, x86_##KIND##_group_8x1,              \
                                                         x86_##KIND##_group_4x2, x86_##KIND##_group_2x3, \
                                                         x86_##KIND##_group_2x4};
X86_KQ_SHAPES(k45)
X86_KQ_SHAPES(q6)

/* Most super-blocks per row (rows up to 16384 elements) for the stack
 * copies of the activations below; longer rows take the one-row kernels. */
enum { X86_KQ_MAX_SB = 64 };

/* Rows [r0, r1) x n_tok tokens (2 <= n_tok < X86_TILE_K_MIN_TOK): 16-row
 * strips, which stay in L1 while each group of up to 4 tokens passes over
 * them. Per token group, Q4_K / Q5_K get the activations permuted once
 * (32-byte chunks 0, 2, 1, 3, 4, 6, 5, 7 of each super-block: the order of
 * the stored nibbles), and every kind the activation scales in pair order. */
__attribute__((noinline)) static bool x86_dec_k_matmul(bool pf_l2, uint32_t wtype, const void *w, size_t w_row_bytes,
                                                       const void *act, size_t act_row_bytes, int n,
                                                       int r0, int r1, int n_tok, float *y, int ldy)
{
    static const int WIDE_NR[5] = {0, 8, 4, 2, 2}; /* rows per group by tokens: NR * NT <= 8 */
    const x86_kq_group_fn *wide, *one;
    size_t bsize;
    int has_qh = 0;
    switch (wtype) {
    case HONE_TYPE_Q4_K: wide = X86_k45_WIDE, one = X86_k45_ONE, bsize = sizeof(block_q4_K); break;
    case HONE_TYPE_Q5_K: wide = X86_k45_WIDE, one = X86_k45_ONE, bsize = sizeof(block_q5_K), has_qh = 1; break;
    case HONE_TYPE_Q6_K: wide = X86_q6_WIDE, one = X86_q6_ONE, bsize = sizeof(block_q6_K); break;
    default: return false;
    }
    const int nsb = n / QK_K;
    if (nsb < 1 || nsb > X86_KQ_MAX_SB) return false;
    const bool permute = wtype != HONE_TYPE_Q6_K;
    /* ~240 KiB of stack at most: the driver is noinline, its frame the
     * only one of this size alive */
    _Alignas(64) int8_t aq[X86_TILE_K_MIN_TOK][X86_KQ_MAX_SB][QK_K];
    _Alignas(64) float dy[4][2][X86_KQ_MAX_SB][8]; /* per group: [0] wide shape, [1] one row */
    /* per group, super-block and half h of the pairs: lane j of chunk c
     * holds sub-block sums 2c, 2c + 1 of pair 4h + j's token (wide shape;
     * the one-row shape's pairs are its first nt) */
    _Alignas(64) int16_t ms[4][X86_KQ_MAX_SB][4][32];
    x86_kq_act ag[4], a1[4];
    const char *wb = w, *ab = act;
    const int ng = (n_tok + 3) / 4;
    for (int g = 0; g < ng; g++) {
        const int t0 = 4 * g, nt = n_tok - t0 < 4 ? n_tok - t0 : 4;
        ag[g] = (x86_kq_act){.qs_stride = QK_K};
        for (int t = 0; t < nt; t++) {
            const block_q8_K *a = (const block_q8_K *)(ab + (size_t)(t0 + t) * act_row_bytes);
            ag[g].a[t] = a;
            ag[g].qs[t] = aq[t0 + t][0];
            /* Q6_K: copied as they are, so the kernel's loads are aligned
             * (a block_q8_K's quants start 4 bytes into it) */
            for (int i = 0; i < nsb; i++)
                for (int c = 0; c < 8; c++)
                    _mm256_store_si256((__m256i *)(aq[t0 + t][i] + 32 * c),
                                       _mm256_loadu_si256((const __m256i *)(a[i].qs + 32 * (permute ? (c & 4) | (c & 1) << 1 | (c & 2) >> 1 : c))));
        }
        for (int i = 0; i < nsb; i++)
            for (int p = 0; p < 8; p++) {
                dy[g][0][i][p] = p / nt < WIDE_NR[nt] ? ag[g].a[p % nt][i].d : 0.0f;
                dy[g][1][i][p] = p < nt ? ag[g].a[p][i].d : 0.0f;
            }
        /* Q4_K / Q5_K: [h] lane j of chunk c the sums of sub-blocks 2c,
         * 2c + 1; Q6_K: [2h + k] those of 16-element groups 4c + 2k,
         * 4c + 2k + 1 (of pair 4h + j's token): per token four dwords
         * (dword c: that pair of int16), transposed 4 x 4 into place */
        const int live = WIDE_NR[nt] * nt;
        for (int i = 0; i < nsb; i++) {
            __m128i d[2][4]; /* [k][t] */
            for (int t = 0; t < nt; t++) {
                const __m256i bs = _mm256_loadu_si256((const __m256i *)ag[g].a[t][i].bsums);
                if (permute) {
                    const __m256i sb = _mm256_madd_epi16(bs, _mm256_set1_epi16(1)); /* 8 sub-block sums */
                    d[0][t] = _mm_packs_epi32(_mm256_castsi256_si128(sb), _mm256_extracti128_si256(sb, 1));
                } else {
                    const __m256i e = _mm256_permutevar8x32_epi32(bs, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
                    d[0][t] = _mm256_castsi256_si128(e);
                    d[1][t] = _mm256_extracti128_si256(e, 1);
                }
            }
            for (int h = 0; h < 2; h++)
                for (int k = 0; k < (permute ? 1 : 2); k++) {
                    __m128i x[4];
                    for (int j = 0; j < 4; j++)
                        x[j] = 4 * h + j < live ? d[k][(4 * h + j) % nt] : _mm_setzero_si128();
                    const __m128i u0 = _mm_unpacklo_epi32(x[0], x[1]), u1 = _mm_unpackhi_epi32(x[0], x[1]);
                    const __m128i u2 = _mm_unpacklo_epi32(x[2], x[3]), u3 = _mm_unpackhi_epi32(x[2], x[3]);
                    const __m256i lo = _mm256_setr_m128i(_mm_unpacklo_epi64(u0, u2), _mm_unpackhi_epi64(u0, u2));
                    const __m256i hi = _mm256_setr_m128i(_mm_unpacklo_epi64(u1, u3), _mm_unpackhi_epi64(u1, u3));
                    _mm512_store_si512(ms[g][i][permute ? h : 2 * h + k], _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
                }
        }
        a1[g] = ag[g];
        ag[g].dy = dy[g][0][0];
        a1[g].dy = dy[g][1][0];
        ag[g].ms = a1[g].ms = ms[g][0][0];
    }
    enum { STRIP = 16 };
    for (int rs = r0; rs < r1; rs += STRIP) {
        const int re = rs + STRIP < r1 ? rs + STRIP : r1;
        for (int g = 0; g < ng; g++) {
            const int t0 = 4 * g, nt = n_tok - t0 < 4 ? n_tok - t0 : 4;
            for (int r = rs; r < re;) {
                const int nr = re - r >= WIDE_NR[nt] ? WIDE_NR[nt] : 1;
                float *out[8];
                for (int i = 0; i < nr; i++)
                    for (int t = 0; t < nt; t++) out[i * nt + t] = y + (size_t)(t0 + t) * (size_t)ldy + (size_t)(r + i);
                /* The first token group fetches the rows it reads next:
                 * with one group (decode) the next group of rows, else the
                 * same rows of the next strip. For decode, measured on
                 * bench-1b Q4_K_M tg t=2 against a strip ahead: the next
                 * group +6 %, two strips -1 %, the next group into L2
                 * only -5 %, an extra L2 fetch 48 rows ahead -12 %, no
                 * fetch -33 %. */
                const int ahead = ng == 1 ? nr : STRIP;
                const int pr0 = r + ahead < r1 ? r + ahead : r1, pr1 = pr0 + nr < r1 ? pr0 + nr : r1;
                const size_t pfb = g == 0 ? (size_t)(pr1 - pr0) * w_row_bytes : 0;
                const uint8_t *row0 = (const uint8_t *)wb + (size_t)r * w_row_bytes;
                (nr == 1 ? one[nt] : wide[nt])(row0, w_row_bytes, bsize, has_qh, nsb, nr == 1 ? &a1[g] : &ag[g],
                                               out, wb + (size_t)pr0 * w_row_bytes, pfb, pf_l2);
                r += nr;
            }
        }
    }
    return true;
}

#endif
