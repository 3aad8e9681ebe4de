/* tiles16_vnni.h — the AVX-512 VNNI matmul paths: Q4_0 / Q8_0, Q4_K /
 * Q5_K and Q6_K weights repacked into 16-row tiles (rows in the 16 int32
 * lanes of a zmm register) for prompt batches, and the Q4_0 / Q8_0 decode
 * rows (two blocks per vpdpbusd). Included only by x86/avx512.c, after
 * x86/body256.h, whose helpers (x86_pack8, x86_act_recs, transpose8_epi32,
 * ...) it uses; avx512_matmul there picks a path.
 *
 * Every path keeps the float steps the one-row kernels of body256.h take
 * per (row, token) in the VNNI build, so a result has vec_dot's bits
 * whatever the batch. */
#ifndef HONE_X86_TILES16_VNNI_H
#define HONE_X86_TILES16_VNNI_H

#if !defined(HONE_X86_VNNI)
#error "x86/tiles16_vnni.h is the AVX-512 VNNI build's (x86/avx512.c)"
#endif

/* --- Q4_0 / Q8_0 matmul in 16-row tiles (AVX-512 VNNI) -------------------
 *
 * A strip of 16 weight rows is repacked (per thread, on the stack) so
 * that vector lane r holds row r: dword k of a block's entry is bytes
 * 4k..4k+3 of each row, as unsigned bytes (q + off, off = 8 for Q4_0,
 * 128 for Q8_0). One vpdpbusd with 4 broadcast activation bytes then does
 * 64 multiply-adds, and sum((q + off) * a) - off * sum(a) is each row's
 * exact block sum; off * sum(a) is precomputed per activation block. The
 * float steps per (row, token) are those of the one-row kernels above. */
/* Stack: each tiled product keeps its packed strip (up to ~180 KiB) in its
 * own frame, Q4_0 / Q8_0 also their activation records (640 KiB: chunks
 * of half as many tokens, repacking each strip twice as often, ran Q4_0
 * pp512 3 % slower); the drivers are noinline so only one frame is live
 * at once. */
enum { X86_TILE_MAX_NB = 256, X86_TILE_ACT = 16384, X86_TILE_T = 8 };
_Static_assert((int)X86_TILE_T == (int)X86_REC_T, "a token group is one activation record");

typedef struct {
    int32_t w[8][16]; /* dword k of the block, row r in lane r */
    float d[16];      /* row scales */
} x86_tile_block;

/* The 16 bytes at p[r] + at of rows r = 0..15 as four dword columns:
 * lane r of o[k] is dword k of row r's 16 bytes. A 4x4 dword transpose
 * inside each 128-bit lane of a[0..3] (a[i]'s lane g holds row 4g + i, so
 * the result's lane 4g + i is row 4g + i). */
X86_INLINE void x86_tr16x4(const char *const *p, size_t at, __m512i o[4])
{
    __m512i a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(p[i] + at)));
        a[i] = _mm512_inserti32x4(a[i], _mm_loadu_si128((const __m128i *)(p[4 + i] + at)), 1);
        a[i] = _mm512_inserti32x4(a[i], _mm_loadu_si128((const __m128i *)(p[8 + i] + at)), 2);
        a[i] = _mm512_inserti32x4(a[i], _mm_loadu_si128((const __m128i *)(p[12 + i] + at)), 3);
    }
    const __m512i t0 = _mm512_unpacklo_epi32(a[0], a[1]), t1 = _mm512_unpackhi_epi32(a[0], a[1]);
    const __m512i t2 = _mm512_unpacklo_epi32(a[2], a[3]), t3 = _mm512_unpackhi_epi32(a[2], a[3]);
    o[0] = _mm512_unpacklo_epi64(t0, t2);
    o[1] = _mm512_unpackhi_epi64(t0, t2);
    o[2] = _mm512_unpacklo_epi64(t1, t3);
    o[3] = _mm512_unpackhi_epi64(t1, t3);
}

#include "x86/r16_layout.h" /* the R16 layouts, transposed with x86_tr16x4 */
_Static_assert((int)X86_TILE_MAX_NB >= (int)X86_R16_MAX_NB, "the tiles take every repacked Q4_0 / Q8_0 matrix");

/* Repack rows [rs, min(rs + 16, r1)) (missing rows: zero weights). A full
 * strip is transposed 16 rows at once (x86_tr16x4). The packing had taken
 * ~9 % of a Q4_0 prompt's time (packing each strip twice: pp512 -9 %) as
 * two 8-row halves (x86_pack8), each with its own transpose and a scalar
 * conversion per scale: 16 rows at once, Q4_0 pp512 +5.6 %, +3 % more
 * with the scales loaded one by one instead of gathered. */
static void x86_tile_pack(uint32_t wtype, const char *wb, size_t w_row_bytes, int rs, int r1,
                          int nb, x86_tile_block *pk)
{
    const bool q4 = wtype == HONE_TYPE_Q4_0;
    if (rs + 16 > r1) {
        const __m256i flip = _mm256_set1_epi8(q4 ? 0 : (char)0x80);
        for (int b = 0; b < nb; b++)
            for (int h = 0; h < 2; h++)
                x86_pack8(wtype, wb, w_row_bytes, rs + 8 * h, r1, b, &pk[b].w[0][8 * h], 16,
                          &pk[b].d[8 * h], flip);
        return;
    }
    /* both block types start with the F16 scale, quants from byte 2 */
    const size_t bsz = q4 ? sizeof(block_q4_0) : sizeof(block_q8_0);
    _Static_assert(offsetof(block_q4_0, qs) == 2 && offsetof(block_q8_0, qs) == 2, "scale, then quants");
    const char *p[16];
    for (int r = 0; r < 16; r++) p[r] = wb + (size_t)(rs + r) * w_row_bytes;
    const __m512i m4 = _mm512_set1_epi8(0x0f), flip = _mm512_set1_epi8((char)0x80);
    for (int b = 0; b < nb; b++) {
        x86_tile_block *o = &pk[b];
        /* the scales: 16 loads (a gather of them: pp512 -3 %) */
        uint16_t h[16];
        for (int r = 0; r < 16; r++) memcpy(&h[r], p[r] + (size_t)b * bsz, 2);
        _mm512_storeu_ps(o->d, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)h)));
        __m512i c[4];
        x86_tr16x4(p, (size_t)b * bsz + 2, c);
        if (q4) {
            /* dwords 0-3: low nibbles of quant bytes 0..15 (elements
             * 0..15), 4-7: their high nibbles (elements 16..31) */
            for (int k = 0; k < 4; k++) {
                _mm512_storeu_si512(o->w[k], _mm512_and_si512(c[k], m4));
                _mm512_storeu_si512(o->w[k + 4], _mm512_and_si512(_mm512_srli_epi16(c[k], 4), m4));
            }
        } else {
            for (int k = 0; k < 4; k++) _mm512_storeu_si512(o->w[k], _mm512_xor_si512(c[k], flip));
            x86_tr16x4(p, (size_t)b * bsz + 18, c);
            for (int k = 0; k < 4; k++) _mm512_storeu_si512(o->w[k + 4], _mm512_xor_si512(c[k], flip));
        }
    }
}

/* Blocks of a group of 16 Q4_0 / Q8_0 rows in the R16 layout
 * (r16_layout.h: per block 16 F16 scales, then the dword columns of the
 * quant bytes) as a packed strip: x86_tile_pack's output without its
 * transposes. */
static void x86_tile_pack_r16(bool q8, const uint8_t *gp, int nb, x86_tile_block *pk)
{
    const __m512i m4 = _mm512_set1_epi8(0x0f), flip = _mm512_set1_epi8((char)0x80);
    const size_t blk = q8 ? 16 * sizeof(block_q8_0) : X86_R16_BLOCK;
    for (int b = 0; b < nb; b++) {
        const uint8_t *bp = gp + (size_t)b * blk;
        _mm512_storeu_ps(pk[b].d, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)bp)));
        for (int k = 0; k < 4; k++) {
            const __m512i c = _mm512_loadu_si512(bp + 32 + 64 * k);
            if (q8) {
                _mm512_storeu_si512(pk[b].w[k], _mm512_xor_si512(c, flip));
                _mm512_storeu_si512(pk[b].w[k + 4], _mm512_xor_si512(_mm512_loadu_si512(bp + 288 + 64 * k), flip));
            } else {
                _mm512_storeu_si512(pk[b].w[k], _mm512_and_si512(c, m4));
                _mm512_storeu_si512(pk[b].w[k + 4], _mm512_and_si512(_mm512_srli_epi16(c, 4), m4));
            }
        }
    }
}

/* The lanes of rows [lo, hi) in the 16-row strip or group at rs (lo, hi
 * absolute rows, clipped to the strip). */
X86_INLINE __mmask16 x86_r16_lanes(int rs, int lo, int hi)
{
    if (lo < rs) lo = rs;
    if (hi > rs + 16) hi = rs + 16;
    return (__mmask16)(((1u << (hi - lo)) - 1u) << (lo - rs));
}

static inline __m512i bcast32(const int8_t *p)
{
    return _mm512_set1_epi32(load_i32(p));
}

/* acc + vpdpbusd(w, the int8 dword at p in every lane), the dword taken
 * by the instruction's own broadcast ({1to16}). GCC 12 keeps
 * _mm512_set1_epi32(load) apart as a vpbroadcastd, one more operation per
 * product, and on a Zen 5 the products waited on those. bench-1b, t=2,
 * interleaved: the K-quant decode steps (r16k_avx512.h; q4_K/r from L2
 * best of 8 50 -> 55 GB/s) Q4_K_M tg64 +1.5 % and +1.7 %; the prompt
 * tiles here pp512 Q4_K_M +9.2 % (5 of 5 rounds), Q4_0 +4.0 %, Q8_0
 * +3.5 %. The R16 Q4_0 / Q8_0 decode steps showed no gain (tg64 Q4_0
 * 0.97x, the noise) and keep the intrinsics. The sums are the same. */
X86_INLINE __m512i x86_dpbusd_b(__m512i acc, __m512i w, const int8_t *p)
{
    __asm__("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(w), "m"(*(const int32_t *)p));
    return acc;
}

/* The tiled products pack a strip of 16 rows, then run every token over it:
 * the next strip's rows are fetched into L2 meanwhile, slice gi of ngr per
 * token group. Without it the packing waits on 16 row streams from memory:
 * bench-1b Q4_0 pp512 t=2 415 -> 530 t/s. */
X86_INLINE void x86_tile_prefetch(const void *w, size_t w_row_bytes, int rs, int r1, int gi, int ngr)
{
    const int p0 = rs + 16, p1 = rs + 32 < r1 ? rs + 32 : r1;
    if (p0 >= p1) return;
    x86_prefetch_l2_slice((const char *)w + (size_t)p0 * w_row_bytes, (size_t)(p1 - p0) * w_row_bytes, gi, ngr);
}

/* One activation block of tokens u0 .. u0 + nt of a record against a
 * packed block: acc += ... */
X86_INLINE void x86_tile_step(const x86_tile_block *pk, const x86_act_rec *ar, int u0, __m512 *acc, int nt)
{
    __m512i w[8];
    for (int k = 0; k < 8; k++) w[k] = _mm512_loadu_si512(pk->w[k]);
    const __m512 dxv = _mm512_loadu_ps(pk->d);
    /* two tokens' chains side by side: Q4_0 pp512 +1.7 % (four: -2 %; the
     * same pairs written as a loop over a 2-vector array compiled 7 %
     * slower) */
    int t = 0;
    for (; t + 2 <= nt; t += 2) {
        __m512i s0 = _mm512_set1_epi32(ar->corr[u0 + t]), s1 = _mm512_set1_epi32(ar->corr[u0 + t + 1]);
        for (int k = 0; k < 8; k++) {
            s0 = x86_dpbusd_b(s0, w[k], (const int8_t *)&ar->q[u0 + t][k]);
            s1 = x86_dpbusd_b(s1, w[k], (const int8_t *)&ar->q[u0 + t + 1][k]);
        }
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s0), _mm512_mul_ps(dxv, _mm512_set1_ps(ar->dy[u0 + t])), acc[t]);
        acc[t + 1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s1), _mm512_mul_ps(dxv, _mm512_set1_ps(ar->dy[u0 + t + 1])), acc[t + 1]);
    }
    for (; t < nt; t++) {
        __m512i s = _mm512_set1_epi32(ar->corr[u0 + t]);
        for (int k = 0; k < 8; k++) s = x86_dpbusd_b(s, w[k], (const int8_t *)&ar->q[u0 + t][k]);
        const __m512 p = _mm512_mul_ps(dxv, _mm512_set1_ps(ar->dy[u0 + t]));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), p, acc[t]);
    }
}

/* Tokens [t0, t0 + nt) (nt <= X86_TILE_T, compile-time, all in one
 * record group; t0 counted from the chunk's first token) x one packed
 * strip. */
X86_INLINE void x86_tile_run(const x86_tile_block *pk, int nb, const x86_act_rec *act, int t0, int tc,
                             float *y, int ldy, int rs, __mmask16 rows, int nt)
{
    __m512 acc0[X86_TILE_T], acc1[X86_TILE_T];
    for (int t = 0; t < nt; t++) acc0[t] = acc1[t] = _mm512_setzero_ps();
    const x86_act_rec *ar = act + (size_t)(t0 / X86_TILE_T) * (size_t)nb;
    const int u0 = t0 % X86_TILE_T;
    int b = 0;
    for (; b + 2 <= nb; b += 2) {
        x86_tile_step(&pk[b], &ar[b], u0, acc0, nt);
        x86_tile_step(&pk[b + 1], &ar[b + 1], u0, acc1, nt);
    }
    if (b < nb) x86_tile_step(&pk[b], &ar[b], u0, acc0, nt);
    for (int t = 0; t < nt; t++)
        _mm512_mask_storeu_ps(y + (size_t)(tc + t0 + t) * (size_t)ldy + rs, rows,
                              _mm512_add_ps(acc0[t], acc1[t]));
}

/* The whole product for Q4_0 / Q8_0 weights; false: shape not handled. */
/* r16: the R16 layout (whole groups of 16 rows: a group only
 * partly in [r0, r1) is run whole and stored masked). */
__attribute__((noinline)) static bool x86_tile_matmul(uint32_t wtype, bool r16, const void *w, size_t w_row_bytes,
                            const void *act, size_t act_row_bytes, int n, int r0, int r1, int n_tok,
                            float *y, int ldy)
{
    const int nb = n / 32;
    if ((wtype != HONE_TYPE_Q4_0 && wtype != HONE_TYPE_Q8_0) || nb > X86_TILE_MAX_NB || nb < 1)
        return false;
    const int off = wtype == HONE_TYPE_Q4_0 ? 8 : 128;
    /* chunk: a multiple of X86_TILE_T tokens whose records fit */
    int chunk = X86_TILE_ACT / nb / X86_TILE_T * X86_TILE_T;
    if (chunk > n_tok) chunk = n_tok;
    x86_tile_block pk[X86_TILE_MAX_NB];
    x86_act_rec ar[X86_TILE_ACT / X86_TILE_T];
    for (int tc = 0; tc < n_tok; tc += chunk) {
        const int nt = tc + chunk < n_tok ? chunk : n_tok - tc;
        x86_act_recs(act, act_row_bytes, tc, nt, nb, off, ar);
        for (int rs = r16 ? r0 / 16 * 16 : r0; rs < r1; rs += 16) {
            const __mmask16 rows = x86_r16_lanes(rs, r0, r1);
            if (r16) x86_tile_pack_r16(wtype == HONE_TYPE_Q8_0, (const uint8_t *)w + (size_t)rs * w_row_bytes, nb, pk);
            else x86_tile_pack(wtype, w, w_row_bytes, rs, r1, nb, pk);
            const int ngr = nt / X86_TILE_T > 0 ? nt / X86_TILE_T : 1;
            int t = 0;
            for (int gi = 0; t + X86_TILE_T <= nt; t += X86_TILE_T, gi++) {
                x86_tile_prefetch(w, w_row_bytes, rs, r1, gi, ngr);
                x86_tile_run(pk, nb, ar, t, tc, y, ldy, rs, rows, X86_TILE_T);
            }
            for (; t < nt; t++) x86_tile_run(pk, nb, ar, t, tc, y, ldy, rs, rows, 1);
        }
    }
    return true;
}

/* Q4_K / Q5_K in 16-row tiles: per sub-block j, eight vpdpbusd give each row's
 * exact dot (nibbles unsigned, no offset), one vpmulld weights it by the
 * row's scale; the mins term is one vpdpwssd per sub-block against the
 * Q8_K group sums. Float steps as q45_K_multi's VNNI path. */
enum { X86_TILE_K_MAX_SB = 32 };
_Static_assert((int)X86_TILE_K_MAX_SB >= (int)X86_R16K_MAX_SB, "the tiles take every repacked row");

typedef struct {
    int32_t w[8][8][16]; /* sub-block j, dword k, row r */
    int32_t sc[8][16];   /* scale of sub-block j, row r */
    int32_t m2[8][16];   /* min of sub-block j in both int16 halves */
    float d[16], mn[16]; /* d and -dmin per row */
} x86_tile_k4;

/* Byte j of the 16 qwords v[0] (rows 0-7), v[1] (rows 8-15), as int32
 * lanes. */
X86_INLINE __m512i x86_qword_byte16(const __m512i v[2], int j)
{
    const __m512i ff = _mm512_set1_epi64(0xff);
    const __m256i lo = _mm512_cvtepi64_epi32(_mm512_and_si512(_mm512_srli_epi64(v[0], 8 * (unsigned)j), ff));
    const __m256i hi = _mm512_cvtepi64_epi32(_mm512_and_si512(_mm512_srli_epi64(v[1], 8 * (unsigned)j), ff));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

/* x86_tile_k4_pack for 16 rows that all exist: each 32-byte chunk of
 * nibbles (sub-blocks 2c, 2c + 1) transposed 16 bytes at a time
 * (x86_tr16x4), the 5th bits likewise, the scales and mins as columns of
 * per-row qwords. Packing in two 8-row halves (x86_k45_rows8: eight 8x8
 * transposes per half and a scalar store per scale) had taken 10 % of a
 * Q4_K_M prompt's time: bench-1b Q4_K_M pp512 +4.8 %. */
X86_INLINE void x86_tile_k4_pack16(const char *wb, size_t w_row_bytes, int has_qh, int rs, int nsb,
                                   x86_tile_k4 *pk)
{
    const size_t bsize = has_qh ? sizeof(block_q5_K) : sizeof(block_q4_K);
    const size_t qs_at = offsetof(block_q5_K, qh) + (has_qh ? QK_K / 8 : 0);
    const __m512i m4 = _mm512_set1_epi8(0x0f), one = _mm512_set1_epi8(1);
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    const char *p[16];
    for (int r = 0; r < 16; r++) p[r] = wb + (size_t)(rs + r) * w_row_bytes;
    for (int b = 0; b < nsb; b++) {
        x86_tile_k4 *o = &pk[b];
        const size_t at = (size_t)b * bsize;
        _Alignas(64) uint64_t scq[16], mq[16];
        uint16_t dh[16], mh[16];
        kquant_rows_scales(p, 16, at, scq, mq, dh, mh);
        _mm512_storeu_ps(o->d, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)dh)));
        /* -dmin: the sign flipped, as the unary minus does */
        _mm512_storeu_si512(o->mn, _mm512_xor_si512(_mm512_castps_si512(_mm512_cvtph_ps(
                                                        _mm256_loadu_si256((const __m256i *)mh))),
                                                    sign));
        const __m512i sv[2] = {_mm512_load_si512(scq), _mm512_load_si512(scq + 8)};
        const __m512i mv[2] = {_mm512_load_si512(mq), _mm512_load_si512(mq + 8)};
        for (int j = 0; j < 8; j++) {
            _mm512_storeu_si512(o->sc[j], x86_qword_byte16(sv, j));
            const __m512i mj = x86_qword_byte16(mv, j);
            _mm512_storeu_si512(o->m2[j], _mm512_or_si512(mj, _mm512_slli_epi32(mj, 16)));
        }
        __m512i h[8];
        if (has_qh) {
            x86_tr16x4(p, at + offsetof(block_q5_K, qh), h);
            x86_tr16x4(p, at + offsetof(block_q5_K, qh) + 16, h + 4);
        }
        for (int c = 0; c < 4; c++) {
            __m512i v[8];
            x86_tr16x4(p, at + qs_at + 32 * (size_t)c, v);
            x86_tr16x4(p, at + qs_at + 32 * (size_t)c + 16, v + 4);
            for (int k = 0; k < 8; k++) {
                __m512i lo = _mm512_and_si512(v[k], m4), hi = _mm512_and_si512(_mm512_srli_epi16(v[k], 4), m4);
                if (has_qh) {
                    /* bit 2c / 2c + 1 of element l's qh byte */
                    lo = _mm512_or_si512(lo, _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h[k], 2 * (unsigned)c), one), 4));
                    hi = _mm512_or_si512(hi, _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h[k], 2 * (unsigned)c + 1), one), 4));
                }
                _mm512_storeu_si512(o->w[2 * c][k], lo);
                _mm512_storeu_si512(o->w[2 * c + 1][k], hi);
            }
        }
    }
}

/* has_qh: Q5_K (bit 2g / 2g + 1 of qh is the 5th bit of group g's low /
 * high nibbles); otherwise Q4_K, whose blocks are Q5_K's without qh. */
static void x86_tile_k4_pack(const char *wb, size_t w_row_bytes, int has_qh, int rs, int r1,
                             int nsb, x86_tile_k4 *pk)
{
    if (rs + 16 <= r1) {
        /* two instances, so has_qh is a constant in each */
        if (has_qh) x86_tile_k4_pack16(wb, w_row_bytes, 1, rs, nsb, pk);
        else x86_tile_k4_pack16(wb, w_row_bytes, 0, rs, nsb, pk);
        return;
    }
    for (int b = 0; b < nsb; b++) {
        x86_tile_k4 *o = &pk[b];
        for (int h = 0; h < 2; h++) {
            __m256i q[8][8];
            uint8_t sc[8][8], m[8][8];
            x86_k45_rows8(wb, w_row_bytes, has_qh, rs + 8 * h, r1, b, q, sc, m, &o->d[8 * h], &o->mn[8 * h]);
            for (int j = 0; j < 8; j++) {
                for (int k = 0; k < 8; k++) _mm256_storeu_si256((__m256i *)&o->w[j][k][8 * h], q[j][k]);
                for (int r = 0; r < 8; r++) {
                    o->sc[j][8 * h + r] = sc[r][j];
                    o->m2[j][8 * h + r] = (int32_t)((uint32_t)m[r][j] | (uint32_t)m[r][j] << 16);
                }
            }
        }
    }
}


/* The scales and mins of a group's super-block (bp) as int32 lanes, one
 * lane per row: the 6-bit unpacking of hone_kquant_scale_min on the
 * packed bytes' dwords D0 (bytes 0-3), D1, D2, per lane. Sub-block j < 4:
 * sc = byte j of D0 & 63, m = byte j of D1 & 63; j = 4 + i: the low
 * (sc) or high (m) nibble of byte i of D2, with the top two bits of byte
 * i of D0 (sc) or D1 (m) above it. */
X86_INLINE void x86_r16k_scales(const uint8_t *bp, __m512i sc[8], __m512i mn[8])
{
    const __m512i d0 = _mm512_loadu_si512(bp + X86_R16K_SCALES), d1 = _mm512_loadu_si512(bp + X86_R16K_SCALES + 64),
                  d2 = _mm512_loadu_si512(bp + X86_R16K_SCALES + 128);
    const __m512i m6 = _mm512_set1_epi32(63), m4 = _mm512_set1_epi32(15), top = _mm512_set1_epi32(0x30);
    for (unsigned i = 0; i < 4; i++) {
        sc[i] = _mm512_and_si512(_mm512_srli_epi32(d0, 8 * i), m6);
        mn[i] = _mm512_and_si512(_mm512_srli_epi32(d1, 8 * i), m6);
        sc[4 + i] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(d2, 8 * i), m4),
                                    _mm512_and_si512(_mm512_srli_epi32(d0, 8 * i + 2), top));
        mn[4 + i] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(d2, 8 * i + 4), m4),
                                    _mm512_and_si512(_mm512_srli_epi32(d1, 8 * i + 2), top));
    }
}

/* d and -dmin of a group's super-block as float lanes (-dmin: the sign
 * flipped, as the unary minus does). */
X86_INLINE void x86_r16k_d(const uint8_t *bp, __m512 *d, __m512 *mn)
{
    *d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)bp));
    *mn = _mm512_castsi512_ps(_mm512_xor_si512(
        _mm512_castps_si512(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(bp + X86_R16K_DMIN)))),
        _mm512_set1_epi32((int)0x80000000u)));
}

/* The fifth bits of dword k of the nibbles of sub-blocks 2c (lo) and
 * 2c + 1 (hi) of a Q5_K group's super-block bp: bits 2c and 2c + 1 of the
 * qh bytes of the same elements (qh column k), moved to bit 4. */
X86_INLINE void x86_r16k_fifth(const uint8_t *bp, int c, int k, __m512i *lo, __m512i *hi)
{
    const __m512i qh = _mm512_loadu_si512(bp + X86_R16Q5_QH + 64 * k), b4 = _mm512_set1_epi8(0x10);
    const __m512i l = c < 2 ? _mm512_slli_epi16(qh, 4 - 2 * (unsigned)c) : _mm512_srli_epi16(qh, 2 * (unsigned)c - 4);
    const __m512i h = c < 2 ? _mm512_slli_epi16(qh, 3 - 2 * (unsigned)c) : _mm512_srli_epi16(qh, 2 * (unsigned)c - 3);
    *lo = _mm512_or_si512(*lo, _mm512_and_si512(l, b4));
    *hi = _mm512_or_si512(*hi, _mm512_and_si512(h, b4));
}

/* Dword k of the values of sub-blocks 2c (lo) and 2c + 1 (hi) of a
 * group's Q4_K (Q5_K if has_qh: with their fifth bits) super-block bp,
 * as unsigned bytes. */
X86_INLINE void x86_r16k_values(const uint8_t *bp, int has_qh, int c, int k, __m512i *lo, __m512i *hi)
{
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const __m512i q = _mm512_loadu_si512(bp + (has_qh ? X86_R16Q5_QS : X86_R16K_QS) + 64 * (8 * c + k));
    *lo = _mm512_and_si512(q, m4);
    *hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
    if (has_qh) x86_r16k_fifth(bp, c, k, lo, hi);
}

/* Super-block bp of a group of 16 Q4_K / Q5_K rows in that layout: its d
 * and -dmin per row into d16 / mn16, its scales and mins as int32 lanes. */
X86_INLINE void x86_r16k_head(const uint8_t *bp, float *d16, float *mn16, __m512i sc[8], __m512i m[8])
{
    __m512 d, mn;
    x86_r16k_d(bp, &d, &mn);
    _mm512_storeu_ps(d16, d);
    _mm512_storeu_ps(mn16, mn);
    x86_r16k_scales(bp, sc, m);
}

/* A group of 16 Q4_K (Q5_K if has_qh) rows in that layout as a packed
 * strip: unpacking without transposes. */
static void x86_tile_k4_pack_r16(const uint8_t *gp, int has_qh, int nsb, x86_tile_k4 *pk)
{
    for (int b = 0; b < nsb; b++) {
        x86_tile_k4 *o = &pk[b];
        __m512i sc[8], m[8];
        const uint8_t *bp = gp + (size_t)b * (has_qh ? X86_R16Q5_BLOCK : X86_R16K_BLOCK);
        x86_r16k_head(bp, o->d, o->mn, sc, m);
        for (int j = 0; j < 8; j++) {
            _mm512_storeu_si512(o->sc[j], sc[j]);
            _mm512_storeu_si512(o->m2[j], _mm512_or_si512(m[j], _mm512_slli_epi32(m[j], 16)));
        }
        for (int c = 0; c < 4; c++)
            for (int k = 0; k < 8; k++) {
                __m512i lo, hi;
                x86_r16k_values(bp, has_qh, c, k, &lo, &hi);
                _mm512_storeu_si512(o->w[2 * c][k], lo);
                _mm512_storeu_si512(o->w[2 * c + 1][k], hi);
            }
    }
}

X86_INLINE void x86_tile_k4_run(const x86_tile_k4 *pk, int nsb, const char *ab, size_t act_row_bytes,
                                int t0, float *y, int ldy, int rs, __mmask16 rows, int nt)
{
    __m512 acc[X86_TILE_T];
    const block_q8_K *a[X86_TILE_T];
    for (int t = 0; t < nt; t++) {
        acc[t] = _mm512_setzero_ps();
        a[t] = (const block_q8_K *)(ab + (size_t)(t0 + t) * act_row_bytes);
    }
    for (int b = 0; b < nsb; b++) {
        const x86_tile_k4 *o = &pk[b];
        __m512i isum[X86_TILE_T];
        for (int t = 0; t < nt; t++) isum[t] = _mm512_setzero_si512();
        for (int j = 0; j < 8; j++) {
            __m512i w[8];
            for (int k = 0; k < 8; k++) w[k] = _mm512_loadu_si512(o->w[j][k]);
            const __m512i sc = _mm512_loadu_si512(o->sc[j]);
            for (int t = 0; t < nt; t++) {
                const int8_t *q = a[t][b].qs + 32 * j;
                /* two chains of four, not one of eight (on Intel the
                 * 8-deep chain's latency showed: bench_kernels --few q4_K
                 * 16 tokens from L2, best of 6, 2.45 -> 2.30 ns) */
                __m512i sa = _mm512_setzero_si512(), sb = _mm512_setzero_si512();
                for (int k = 0; k < 4; k++) {
                    sa = x86_dpbusd_b(sa, w[k], q + 4 * k);
                    sb = x86_dpbusd_b(sb, w[k + 4], q + 16 + 4 * k);
                }
                isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(_mm512_add_epi32(sa, sb), sc));
            }
        }
        const __m512 dv = _mm512_loadu_ps(o->d), mnv = _mm512_loadu_ps(o->mn);
        for (int t = 0; t < nt; t++) {
            __m512i ms = _mm512_setzero_si512();
            for (int j = 0; j < 8; j++)
                ms = _mm512_dpwssd_epi32(ms, _mm512_loadu_si512(o->m2[j]),
                                         bcast32((const int8_t *)&a[t][b].bsums[2 * j]));
            const __m512 v = _mm512_fmadd_ps(mnv, _mm512_cvtepi32_ps(ms),
                                             _mm512_mul_ps(dv, _mm512_cvtepi32_ps(isum[t])));
            acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(a[t][b].d), v, acc[t]);
        }
    }
    for (int t = 0; t < nt; t++)
        _mm512_mask_storeu_ps(y + (size_t)(t0 + t) * (size_t)ldy + rs, rows, acc[t]);
}

/* r16: Q4_K / Q5_K in the R16 layout (whole groups, as x86_tile_matmul's). */
__attribute__((noinline)) static bool x86_tile_k4_matmul(const void *w, size_t w_row_bytes, int has_qh, bool r16,
                               const void *act, size_t act_row_bytes, int n, int r0, int r1, int n_tok, float *y,
                               int ldy)
{
    const int nsb = n / QK_K;
    if (nsb > X86_TILE_K_MAX_SB || nsb < 1) return false;
    x86_tile_k4 pk[X86_TILE_K_MAX_SB];
    for (int rs = r16 ? r0 / 16 * 16 : r0; rs < r1; rs += 16) {
        const __mmask16 rows = x86_r16_lanes(rs, r0, r1);
        if (r16) x86_tile_k4_pack_r16((const uint8_t *)w + (size_t)rs * w_row_bytes, has_qh, nsb, pk);
        else x86_tile_k4_pack(w, w_row_bytes, has_qh, rs, r1, nsb, pk);
        const int ngr = n_tok / X86_TILE_T > 0 ? n_tok / X86_TILE_T : 1;
        int t = 0;
        for (int gi = 0; t + X86_TILE_T <= n_tok; t += X86_TILE_T, gi++) {
            x86_tile_prefetch(w, w_row_bytes, rs, r1, gi, ngr);
            x86_tile_k4_run(pk, nsb, act, act_row_bytes, t, y, ldy, rs, rows, X86_TILE_T);
        }
        for (; t < n_tok; t++) x86_tile_k4_run(pk, nsb, act, act_row_bytes, t, y, ldy, rs, rows, 1);
    }
    return true;
}

/* Q6_K in 16-row tiles: q stored + 32 is used unsigned; per 16-element
 * sub-block four vpdpbusd and one vpmulld by the row's scale, minus
 * 32 * sum_j sc_j * sum(a_j) (vpdpwssd on the Q8_K group sums). */
typedef struct {
    int32_t w[8][8][16];  /* 32-element group g (sub-blocks 2g, 2g+1), dword k, row r */
    int32_t sc[16][16];   /* scale of sub-block j, row r */
    int32_t sc2[8][16];   /* scales 2p and 2p + 1 as int16 pair */
    float d[16];
} x86_tile_q6;

/* x86_tile_q6_pack for 16 rows that all exist: ql and qh transposed 16
 * bytes at a time (x86_tr16x4), then unpacked as k16_unpack_half does
 * (its steps are the same for every byte position, so they commute with
 * moving whole dwords); the scales likewise, sign-extended per byte.
 * bench_kernels pp64 Q6_K 535 -> 620 GFLOP/s (with the strip's w[] cut
 * from 16 groups, of which 8 were used, to 8); bench-1b Q4_K_M pp512
 * +1.1 %. */
X86_INLINE void x86_tile_q6_pack16(const char *wb, size_t w_row_bytes, int rs, int nsb, x86_tile_q6 *pk)
{
    const __m512i m4 = _mm512_set1_epi8(0x0f), m30 = _mm512_set1_epi8(0x30);
    const __m512i lo16 = _mm512_set1_epi32(0xffff);
    const char *p[16];
    for (int r = 0; r < 16; r++) p[r] = wb + (size_t)(rs + r) * w_row_bytes;
    for (int b = 0; b < nsb; b++) {
        x86_tile_q6 *o = &pk[b];
        const size_t at = (size_t)b * sizeof(block_q6_K);
        uint16_t dh[16];
        for (int r = 0; r < 16; r++) memcpy(&dh[r], p[r] + at + offsetof(block_q6_K, d), 2);
        _mm512_storeu_ps(o->d, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)dh)));
        __m512i sk[4];
        x86_tr16x4(p, at + offsetof(block_q6_K, scales), sk);
        __m512i sc[16];
        for (int j = 0; j < 16; j++) {
            sc[j] = _mm512_srai_epi32(_mm512_slli_epi32(sk[j / 4], 24 - 8 * (unsigned)(j % 4)), 24);
            _mm512_storeu_si512(o->sc[j], sc[j]);
        }
        for (int p2 = 0; p2 < 8; p2++)
            _mm512_storeu_si512(o->sc2[p2], _mm512_or_si512(_mm512_and_si512(sc[2 * p2], lo16),
                                                            _mm512_slli_epi32(sc[2 * p2 + 1], 16)));
        for (int h = 0; h < 2; h++) {
            __m512i l0[8], l1[8], qh[8];
            const size_t ql = at + offsetof(block_q6_K, ql) + 64 * (size_t)h;
            const size_t hb = at + offsetof(block_q6_K, qh) + 32 * (size_t)h;
            x86_tr16x4(p, ql, l0);
            x86_tr16x4(p, ql + 16, l0 + 4);
            x86_tr16x4(p, ql + 32, l1);
            x86_tr16x4(p, ql + 48, l1 + 4);
            x86_tr16x4(p, hb, qh);
            x86_tr16x4(p, hb + 16, qh + 4);
            for (int k = 0; k < 8; k++) {
                _mm512_storeu_si512(o->w[4 * h][k], _mm512_or_si512(_mm512_and_si512(l0[k], m4),
                                                                    _mm512_and_si512(_mm512_slli_epi16(qh[k], 4), m30)));
                _mm512_storeu_si512(o->w[4 * h + 1][k], _mm512_or_si512(_mm512_and_si512(l1[k], m4),
                                                                        _mm512_and_si512(_mm512_slli_epi16(qh[k], 2), m30)));
                _mm512_storeu_si512(o->w[4 * h + 2][k], _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l0[k], 4), m4),
                                                                        _mm512_and_si512(qh[k], m30)));
                _mm512_storeu_si512(o->w[4 * h + 3][k], _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l1[k], 4), m4),
                                                                        _mm512_and_si512(_mm512_srli_epi16(qh[k], 2), m30)));
            }
        }
    }
}

static void x86_tile_q6_pack(const char *wb, size_t w_row_bytes, int rs, int r1, int nsb,
                             x86_tile_q6 *pk)
{
    if (rs + 16 <= r1) {
        x86_tile_q6_pack16(wb, w_row_bytes, rs, nsb, pk);
        return;
    }
    for (int b = 0; b < nsb; b++) {
        x86_tile_q6 *o = &pk[b];
        for (int h8 = 0; h8 < 2; h8++) {
            __m256i q[8][8];
            int8_t sc[8][16];
            x86_q6_rows8(wb, w_row_bytes, rs + 8 * h8, r1, b, q, sc, &o->d[8 * h8]);
            for (int g = 0; g < 8; g++)
                for (int k = 0; k < 8; k++) _mm256_storeu_si256((__m256i *)&o->w[g][k][8 * h8], q[g][k]);
            for (int r = 0; r < 8; r++) {
                const int lane = 8 * h8 + r;
                for (int sj = 0; sj < 16; sj++) o->sc[sj][lane] = sc[r][sj];
                for (int p2 = 0; p2 < 8; p2++)
                    o->sc2[p2][lane] = (int32_t)((uint32_t)(uint16_t)sc[r][2 * p2] |
                                                 (uint32_t)(uint16_t)sc[r][2 * p2 + 1] << 16);
            }
        }
    }
}


/* The 16 scales of a group's super-block as int32 lanes (sign-extended
 * bytes), one lane per row. */
X86_INLINE void x86_r16q6_scales(const uint8_t *bp, __m512i sc[16])
{
    for (int k = 0; k < 4; k++) {
        const __m512i v = _mm512_loadu_si512(bp + X86_R16Q6_SCALES + 64 * k);
        for (int b = 0; b < 4; b++) sc[4 * k + b] = _mm512_srai_epi32(_mm512_slli_epi32(v, 24 - 8 * (unsigned)b), 24);
    }
}

/* Dword k (0..7) of the four 32-element quarters of half h of a group's
 * super-block, q + 32 as unsigned bytes: quarter 2g + c's values are
 * ql dword 16h + 8c + k's low (g = 0) or high (g = 1) nibbles, with bit
 * pair 2g + c of each byte of qh dword 8h + k above them (as
 * x86_tile_q6_pack16's steps on transposed bytes). */
X86_INLINE void x86_r16q6_quarters(const uint8_t *bp, int h, int k, __m512i w[4])
{
    const __m512i m4 = _mm512_set1_epi8(0x0f), m30 = _mm512_set1_epi8(0x30);
    const __m512i l0 = _mm512_loadu_si512(bp + X86_R16Q6_QL + 64 * (16 * h + k));
    const __m512i l1 = _mm512_loadu_si512(bp + X86_R16Q6_QL + 64 * (16 * h + 8 + k));
    const __m512i qh = _mm512_loadu_si512(bp + X86_R16Q6_QH + 64 * (8 * h + k));
    w[0] = _mm512_or_si512(_mm512_and_si512(l0, m4), _mm512_and_si512(_mm512_slli_epi16(qh, 4), m30));
    w[1] = _mm512_or_si512(_mm512_and_si512(l1, m4), _mm512_and_si512(_mm512_slli_epi16(qh, 2), m30));
    w[2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l0, 4), m4), _mm512_and_si512(qh, m30));
    w[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l1, 4), m4), _mm512_and_si512(_mm512_srli_epi16(qh, 2), m30));
}

/* A group of 16 Q6_K rows in that layout as a packed strip. */
static void x86_tile_q6_pack_r16(const uint8_t *gp, int nsb, x86_tile_q6 *pk)
{
    const __m512i lo16 = _mm512_set1_epi32(0xffff);
    for (int b = 0; b < nsb; b++) {
        const uint8_t *bp = gp + (size_t)b * X86_R16Q6_BLOCK;
        x86_tile_q6 *o = &pk[b];
        _mm512_storeu_ps(o->d, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)bp)));
        __m512i sc[16];
        x86_r16q6_scales(bp, sc);
        for (int j = 0; j < 16; j++) _mm512_storeu_si512(o->sc[j], sc[j]);
        for (int p2 = 0; p2 < 8; p2++)
            _mm512_storeu_si512(o->sc2[p2], _mm512_or_si512(_mm512_and_si512(sc[2 * p2], lo16),
                                                            _mm512_slli_epi32(sc[2 * p2 + 1], 16)));
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 8; k++) {
                __m512i w[4];
                x86_r16q6_quarters(bp, h, k, w);
                for (int q = 0; q < 4; q++) _mm512_storeu_si512(o->w[4 * h + q][k], w[q]);
            }
    }
}

X86_INLINE void x86_tile_q6_run(const x86_tile_q6 *pk, int nsb, const char *ab, size_t act_row_bytes,
                                int t0, float *y, int ldy, int rs, __mmask16 rows, int nt)
{
    __m512 acc[X86_TILE_T];
    const block_q8_K *a[X86_TILE_T];
    for (int t = 0; t < nt; t++) {
        acc[t] = _mm512_setzero_ps();
        a[t] = (const block_q8_K *)(ab + (size_t)(t0 + t) * act_row_bytes);
    }
    for (int b = 0; b < nsb; b++) {
        const x86_tile_q6 *o = &pk[b];
        __m512i isum[X86_TILE_T];
        for (int t = 0; t < nt; t++) {
            __m512i cs = _mm512_setzero_si512();
            for (int p2 = 0; p2 < 8; p2++)
                cs = _mm512_dpwssd_epi32(cs, _mm512_loadu_si512(o->sc2[p2]),
                                         bcast32((const int8_t *)&a[t][b].bsums[2 * p2]));
            isum[t] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(cs, 5));
        }
        for (int g = 0; g < 8; g++) {
            __m512i w[8];
            for (int k = 0; k < 8; k++) w[k] = _mm512_loadu_si512(o->w[g][k]);
            const __m512i s0 = _mm512_loadu_si512(o->sc[2 * g]), s1 = _mm512_loadu_si512(o->sc[2 * g + 1]);
            for (int t = 0; t < nt; t++) {
                const int8_t *q = a[t][b].qs + 32 * g;
                __m512i p0 = _mm512_setzero_si512(), p1 = _mm512_setzero_si512();
                for (int k = 0; k < 4; k++) {
                    p0 = x86_dpbusd_b(p0, w[k], q + 4 * k);
                    p1 = x86_dpbusd_b(p1, w[k + 4], q + 16 + 4 * k);
                }
                isum[t] = _mm512_add_epi32(isum[t], _mm512_add_epi32(_mm512_mullo_epi32(p0, s0),
                                                                     _mm512_mullo_epi32(p1, s1)));
            }
        }
        const __m512 dv = _mm512_loadu_ps(o->d);
        for (int t = 0; t < nt; t++)
            acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(dv, _mm512_set1_ps(a[t][b].d)),
                                     _mm512_cvtepi32_ps(isum[t]), acc[t]);
    }
    for (int t = 0; t < nt; t++)
        _mm512_mask_storeu_ps(y + (size_t)(t0 + t) * (size_t)ldy + rs, rows, acc[t]);
}

/* r16: the R16 layout (whole groups, as x86_tile_matmul's). */
__attribute__((noinline)) static bool x86_tile_q6_matmul(const void *w, size_t w_row_bytes, bool r16, const void *act,
                               size_t act_row_bytes, int n, int r0, int r1, int n_tok, float *y,
                               int ldy)
{
    const int nsb = n / QK_K;
    if (nsb > X86_TILE_K_MAX_SB || nsb < 1) return false;
    x86_tile_q6 pk[X86_TILE_K_MAX_SB];
    for (int rs = r16 ? r0 / 16 * 16 : r0; rs < r1; rs += 16) {
        const __mmask16 rows = x86_r16_lanes(rs, r0, r1);
        if (r16) x86_tile_q6_pack_r16((const uint8_t *)w + (size_t)rs * w_row_bytes, nsb, pk);
        else x86_tile_q6_pack(w, w_row_bytes, rs, r1, nsb, pk);
        const int ngr = n_tok / X86_TILE_T > 0 ? n_tok / X86_TILE_T : 1;
        int t = 0;
        for (int gi = 0; t + X86_TILE_T <= n_tok; t += X86_TILE_T, gi++) {
            x86_tile_prefetch(w, w_row_bytes, rs, r1, gi, ngr);
            x86_tile_q6_run(pk, nsb, act, act_row_bytes, t, y, ldy, rs, rows, X86_TILE_T);
        }
        for (; t < n_tok; t++) x86_tile_q6_run(pk, nsb, act, act_row_bytes, t, y, ldy, rs, rows, 1);
    }
    return true;
}

/* Q4_0 / Q8_0 decode (few tokens): 8 rows at a time, two blocks (Q8_0) or
 * four blocks' halves (Q4_0) per vpdpbusd, a row's blocks unpacked once for
 * a group of up to 4 tokens. Each token's activations are copied once per
 * call (Q8_0 in 32-byte blocks, Q4_0 as x86_dec_q4_act1 lays them out)
 * with a per-lane offset correction, so a row's weights are
 * used unsigned (q + off) and unpacked with no sign steps. Same float steps
 * per (row, token) as the one-row kernels: exact block sums, then acc0 /
 * acc1 fma chains over even / odd blocks. */
enum { X86_DEC_MAX_NB = 512, X86_DEC_NT = 4 };

/* One token's activations as x86_dec_blk8 reads them. */
typedef struct {
    _Alignas(64) int8_t aq[X86_DEC_MAX_NB * 32];
    _Alignas(64) int32_t init[X86_DEC_MAX_NB * 8]; /* -off * sum(a), per lane */
    float dy[X86_DEC_MAX_NB], dyp[X86_DEC_MAX_NB]; /* dyp: in reduced-lane order */
} x86_dec_act;

/* A lone row's fma chains over one 8-block step (fs, ps in x86_dec_blk8's
 * lane order: the even blocks, then the odd). */
X86_INLINE void x86_dec_chain8(__m256 fv, __m256 pv, float *acc0, float *acc1)
{
    float fs[8], ps[8];
    _mm256_storeu_ps(fs, fv);
    _mm256_storeu_ps(ps, pv);
    for (int j = 0; j < 4; j++) {
        *acc0 = fmaf(fs[j], ps[j], *acc0);
        *acc1 = fmaf(fs[4 + j], ps[4 + j], *acc1);
    }
}

/* Q4_0: a row's 8 blocks b..b+7 (144 bytes) against NT tokens -> fs, ps
 * as x86_dec_blk8's (same lanes, same values). Two word permutes gather
 * four blocks' 16 quant bytes each into one register (block c + 4h in
 * 128-bit chunk c of q[h]; the quants start at even offsets, 18 c + 2)
 * from three loads of the 144 bytes, so the nibbles need no 128-bit
 * inserts, and a block's sum is the 4 lanes of one chunk: two levels of
 * adds and one dword permute put the 8 sums in order. The activations are
 * laid out to match (x86_dec_q4_act1): per 4 blocks their elements 0..15
 * (low nibbles), then 16..31. Against x86_dec_blk8's step (each block's 16
 * bytes inserted, 8-lane sums reduced in three levels), `bench_kernels
 * --few`, one thread: one token from L2 37 -> 45 GB/s, from memory 32 ->
 * 34-37 (the probe: 40); from memory 2 tokens 22 -> 28, 4 tokens 13 -> 17.
 * Four overlapping 64-byte loads (+0, +16, +64, +80) instead of three ran
 * 26-28 from memory with one token. */
static const _Alignas(64) int16_t X86_Q4_GATHER[2][32] = {
#define X86_Q4W(o) (o), (o) + 1, (o) + 2, (o) + 3, (o) + 4, (o) + 5, (o) + 6, (o) + 7
    {X86_Q4W(1), X86_Q4W(10), X86_Q4W(19), X86_Q4W(28)},  /* blocks 0-3 from (p, p + 64) */
    {X86_Q4W(5), X86_Q4W(14), X86_Q4W(23), X86_Q4W(32)}, /* blocks 4-7 from (p + 64, p + 128) */
#undef X86_Q4W
};

X86_INLINE void x86_dec_q4_blk8(const uint8_t *row, int b, const x86_dec_act *a, int NT, __m256 *fs, __m256 *ps,
                                size_t stride)
{
    const uint8_t *p = row + (size_t)b * sizeof(block_q4_0);
    const __m512i l0 = _mm512_loadu_si512(p), l1 = _mm512_loadu_si512(p + 64);
    const __m512i l2 = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(p + 128))); /* to p + 144 */
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    __m512i w[4];
    for (int h = 0; h < 2; h++) {
        const __m512i q = _mm512_permutex2var_epi16(h ? l1 : l0, _mm512_load_si512(X86_Q4_GATHER[h]), h ? l2 : l1);
        w[2 * h] = _mm512_and_si512(q, m4);
        w[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
    }
    const __m512i idx = _mm512_castsi128_si512(_mm_setr_epi16(0, 18, 36, 54, 9, 27, 45, 63));
    const __m256 dx = _mm256_cvtph_ps(_mm512_castsi512_si128(_mm512_permutex2var_epi16(l0, idx, l1)));
    const __m512i order = _mm512_castsi256_si512(_mm256_setr_epi32(0, 8, 1, 9, 4, 12, 5, 13));
    for (int t = 0; t < NT; t++) {
        const int8_t *aq = a[t].aq + 32 * b;
        const int32_t *in = a[t].init + 4 * b;
        __m512i s[2];
        for (int h = 0; h < 2; h++) {
            s[h] = _mm512_dpbusd_epi32(_mm512_load_si512(in + 16 * h), w[2 * h], _mm512_load_si512(aq + 128 * h));
            s[h] = _mm512_dpbusd_epi32(s[h], w[2 * h + 1], _mm512_load_si512(aq + 128 * h + 64));
        }
        /* chunk c: blocks (b + c, b + c + 4), whose totals end in lanes 4c,
         * 4c + 1 */
        const __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(s[0], s[1]), _mm512_unpackhi_epi32(s[0], s[1]));
        const __m512i t2 = _mm512_add_epi32(t1, _mm512_shuffle_epi32(t1, _MM_PERM_BADC));
        fs[t * stride] = _mm256_cvtepi32_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi32(order, t2)));
        ps[t * stride] = _mm256_mul_ps(dx, _mm256_loadu_ps(a[t].dyp + b));
    }
}

/* One row's 8 blocks b..b+7 against NT tokens: per token the exact integer
 * block sums (as float) and dx * dy, lanes in block order b, b+2, b+4, b+6,
 * b+1, b+3, b+5, b+7. Q4_0: x86_dec_q4_blk8. */
X86_INLINE void x86_dec_blk8(bool q4, size_t bsz, const uint8_t *row, int b, const x86_dec_act *a, int NT,
                             __m256 *fs, __m256 *ps, size_t stride)
{
    if (q4) {
        x86_dec_q4_blk8(row, b, a, NT, fs, ps, stride);
        return;
    }
    __m512i wv[4];
    for (int p = 0; p < 4; p++) {
        const uint8_t *x0 = row + (size_t)(b + 2 * p) * bsz, *x1 = x0 + bsz;
        wv[p] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(x0 + 2))),
                                   _mm256_loadu_si256((const __m256i *)(x1 + 2)), 1);
        wv[p] = _mm512_xor_si512(wv[p], _mm512_set1_epi8((char)0x80));
    }
    /* the 8 scales from two 128-byte windows (34-byte blocks: blocks b..b+3
     * start at words 0, 17, 34, 51 of the first, b+4..b+7 of the second;
     * both end inside the 8 blocks' 272 bytes): two word permutes instead
     * of 8 scalar loads and inserts */
    const uint8_t *p = row + (size_t)b * bsz, *q = p + 4 * bsz;
    const __m512i ia = _mm512_castsi128_si512(_mm_setr_epi16(0, 34, 0, 0, 17, 51, 0, 0));
    const __m512i ib = _mm512_castsi128_si512(_mm_setr_epi16(0, 0, 0, 34, 0, 0, 17, 51));
    const __m512i lo = _mm512_permutex2var_epi16(_mm512_loadu_si512(p), ia, _mm512_loadu_si512(p + 64));
    const __m512i hi = _mm512_permutex2var_epi16(_mm512_loadu_si512(q), ib, _mm512_loadu_si512(q + 64));
    const __m256 dx = _mm256_cvtph_ps(_mm_blend_epi16(_mm512_castsi512_si128(lo), _mm512_castsi512_si128(hi), 0xCC));
    for (int t = 0; t < NT; t++) {
        __m512i v[4];
        for (int p = 0; p < 4; p++)
            v[p] = _mm512_dpbusd_epi32(_mm512_load_si512(a[t].init + 8 * (b + 2 * p)), wv[p],
                                       _mm512_load_si512(a[t].aq + 32 * (b + 2 * p)));
        /* per 128-bit chunk: [v0, v1, v2, v3] chunk sums; chunks 0-1 are
         * blocks b + 2p, chunks 2-3 blocks b + 2p + 1 */
        const __m512i t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(v[0], v[1]), _mm512_unpackhi_epi32(v[0], v[1]));
        const __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2], v[3]), _mm512_unpackhi_epi32(v[2], v[3]));
        const __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
        const __m512i uc = _mm512_shuffle_i64x2(u, u, 0xD8); /* chunks 0, 2, 1, 3 */
        const __m256i sum = _mm256_add_epi32(_mm512_castsi512_si256(uc), _mm512_extracti64x4_epi64(uc, 1));
        fs[t * stride] = _mm256_cvtepi32_ps(sum);
        ps[t * stride] = _mm256_mul_ps(dx, _mm256_loadu_ps(a[t].dyp + b));
    }
}

/* Rows [r0, r1) against the NT tokens of a (their outputs y + t * ldy). */
X86_INLINE void x86_dec_q8_rows(bool q4, bool pf_l2, const void *w, size_t w_row_bytes, int nb, int r0, int r1,
                                const x86_dec_act *a, int NT, float *y, int ldy)
{
    const size_t bsz = q4 ? sizeof(block_q4_0) : sizeof(block_q8_0);
    const int nb8 = nb / 8 * 8;
    int r = r0;
    /* One token: a group's 8 rows are read one after the other, a run of
     * memory in order, fetched 8 KiB ahead, their block sums and scale
     * products kept in L1; then the same fma chains as below, lane per
     * row. Against the 8 interleaved rows below, bench_kernels --few, one
     * thread from memory: Q8_0 25 -> 38 GB/s (the machine's probe: 40),
     * Q4_0 30 -> 33 (from L2: 37 -> 43); bench-1b tg t=2: Q8_0 +7 % in a
     * slow hour, +22 % in a fast one, Q4_0 +4.7 %. (1-2 KiB ahead: slower
     * than no fetch; 4 KiB: between; 16 KiB: as 8.) The K-quant groups
     * (dec_k_avx512.h) lost a sixth of their speed from L2 this way:
     * they keep the interleaved rows. The fetch goes into L1, or into L2
     * with pf_l2 (body256.h's X86_ROUTE_L2): on a Zen 4, bench-1b tg128
     * t=2 from a mapped model (-lm mmap), Q4_0 +35 %, Q8_0 +32 %
     * (kernels/README.md, round twenty-eight). */
    const void *end = (const uint8_t *)w + (size_t)r1 * w_row_bytes;
    for (; NT == 1 && r + 8 <= r1 && nb8 == nb; r += 8) {
        const uint8_t *row0 = (const uint8_t *)w + (size_t)r * w_row_bytes;
        __m256 fsb[X86_DEC_MAX_NB / 8][8], psb[X86_DEC_MAX_NB / 8][8];
        for (int i = 0; i < 8; i++)
            for (int b = 0; b < nb8; b += 8) {
                const uint8_t *blk = row0 + (size_t)i * w_row_bytes + (size_t)b * bsz;
                x86_prefetch_run(blk, 8 * bsz, 8192, end, pf_l2);
                x86_dec_blk8(q4, bsz, row0 + (size_t)i * w_row_bytes, b, a, 1, &fsb[b / 8][i], &psb[b / 8][i], 0);
            }
        _mm256_storeu_ps(y + r, x86_rows8_chains(fsb, psb, nb8 / 8, true));
    }
    /* 8 rows at once: each row's fma chains run in its own lane (same
     * per-row float steps), not as a latency-bound scalar chain */
    for (; r + 8 <= r1 && nb8 == nb; r += 8) {
        const uint8_t *row0 = (const uint8_t *)w + (size_t)r * w_row_bytes;
        __m256 acc0[X86_DEC_NT], acc1[X86_DEC_NT];
        for (int t = 0; t < NT; t++) acc0[t] = acc1[t] = _mm256_setzero_ps();
        /* 8 interleaved row streams defeat the hardware prefetcher:
         * fetch the next group's rows linearly, a slice per step */
        /* (always: a thread's slice of a matrix is often under 512 KiB,
         * and without the fetch it ran at 60 % of the bandwidth, 52 vs 69
         * t/s decode for bench-1b Q4_0) */
        const int nxt = r1 - r - 8 < 8 ? r1 - r - 8 : 8;
        const size_t pf_all = (size_t)nxt * w_row_bytes, nsteps = (size_t)nb8 / 8;
        for (int b = 0; b < nb8; b += 8) {
            const size_t s0 = pf_all * (size_t)(b / 8) / nsteps, s1 = pf_all * (size_t)(b / 8 + 1) / nsteps;
            for (size_t o = s0; o < s1; o += 64)
                _mm_prefetch((const char *)row0 + 8 * w_row_bytes + o, _MM_HINT_T0);
            __m256 fs[X86_DEC_NT][8], ps[X86_DEC_NT][8];
            for (int i = 0; i < 8; i++)
                x86_dec_blk8(q4, bsz, row0 + (size_t)i * w_row_bytes, b, a, NT, &fs[0][i], &ps[0][i], 8);
            for (int t = 0; t < NT; t++) {
                x86_tr8(fs[t]);
                x86_tr8(ps[t]);
                for (int j = 0; j < 4; j++) {
                    acc0[t] = _mm256_fmadd_ps(fs[t][j], ps[t][j], acc0[t]);
                    acc1[t] = _mm256_fmadd_ps(fs[t][4 + j], ps[t][4 + j], acc1[t]);
                }
            }
        }
        for (int t = 0; t < NT; t++) _mm256_storeu_ps(y + (size_t)t * (size_t)ldy + r, _mm256_add_ps(acc0[t], acc1[t]));
    }
    for (; r < r1; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * w_row_bytes;
        for (int t = 0; t < NT; t++) {
            float acc0 = 0.0f, acc1 = 0.0f;
            for (int b = 0; b < nb8; b += 8) {
                __m256 fv, pv;
                x86_dec_blk8(q4, bsz, row, b, a + t, 1, &fv, &pv, 0);
                x86_dec_chain8(fv, pv, &acc0, &acc1);
            }
            for (int b = nb8; b < nb; b++) {
                const uint8_t *xb = row + (size_t)b * bsz;
                /* Q8_0 only: Q4_0 rows come here with nb a multiple of 8 */
                const __m256i xq = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(xb + 2)),
                                                    _mm256_set1_epi8((char)0x80));
                const __m256i pv = _mm256_dpbusd_epi32(_mm256_load_si256((const __m256i *)(a[t].init + 8 * b)), xq,
                                                       _mm256_load_si256((const __m256i *)(a[t].aq + 32 * b)));
                hone_half d16;
                memcpy(&d16, xb, 2);
                float *acc = (b & 1) ? &acc1 : &acc0;
                *acc = fmaf((float)hsum_epi32(pv), h2f(d16) * a[t].dy[b], *acc);
            }
            y[(size_t)t * (size_t)ldy + r] = acc0 + acc1;
        }
    }
}

#define X86_DEC_Q8_SHAPE(NT)                                                                          \
    static void x86_dec_q8_rows_##NT(bool q4, bool pf_l2, const void *w, size_t w_row_bytes, int nb, int r0, \
                                     int r1, const x86_dec_act *a, float *y, int ldy)                 \
    {                                                                                                 \
        if (q4)                                                                                       \
            x86_dec_q8_rows(true, pf_l2, w, w_row_bytes, nb, r0, r1, a, NT, y, ldy);                  \
        else                                                                                          \
            x86_dec_q8_rows(false, pf_l2, w, w_row_bytes, nb, r0, r1, a, NT, y, ldy);                 \
    }
X86_DEC_Q8_SHAPE(1)
X86_DEC_Q8_SHAPE(2)
X86_DEC_Q8_SHAPE(3)
X86_DEC_Q8_SHAPE(4)
#undef X86_DEC_Q8_SHAPE

/* One token's Q4_0 activations (aq, init, dyp as x86_dec_q8_matmul first
 * stores them: blocks in order, -sum(a) in each of a block's 8 lanes) laid
 * out for x86_dec_q4_blk8: per 4 blocks, their elements 0..15, then
 * 16..31; and -8 sum(a) as -2 sum(a) in each of a block's 4 lanes. In
 * place, 4 blocks at a time. */
static void x86_dec_q4_act1(x86_dec_act *a, int nb)
{
    for (int g = 0; g < nb; g += 4) {
        int8_t t[128];
        int32_t c[16];
        for (int k = 0; k < 4; k++) {
            memcpy(t + 16 * k, a->aq + 32 * (g + k), 16);
            memcpy(t + 64 + 16 * k, a->aq + 32 * (g + k) + 16, 16);
            for (int l = 0; l < 4; l++) c[4 * k + l] = 2 * a->init[8 * (g + k)];
        }
        memcpy(a->aq + 32 * g, t, sizeof t);
        memcpy(a->init + 4 * g, c, sizeof c); /* behind what is still to be read */
    }
}

/* pf_l2: the one-token rows fetch ahead into L2 (x86_dec_q8_rows) */
__attribute__((noinline)) static bool x86_dec_q8_matmul(bool pf_l2, uint32_t wtype, const void *w, size_t w_row_bytes, const void *act,
                              size_t act_row_bytes, int n, int r0, int r1, int n_tok, float *y,
                              int ldy)
{
    const int nb = n / 32, nb8 = nb / 8 * 8;
    if ((wtype != HONE_TYPE_Q4_0 && wtype != HONE_TYPE_Q8_0) || nb > X86_DEC_MAX_NB || nb < 8)
        return false;
    const bool q4 = wtype == HONE_TYPE_Q4_0;
    if (q4 && nb8 != nb) return false; /* x86_dec_q4_blk8's layout: the group kernels take these */
    const int lane_off = q4 ? 1 : 16; /* off / 8: 8 lanes per block */
    static void (*const ROWS[X86_DEC_NT + 1])(bool, bool, const void *, size_t, int, int, int, const x86_dec_act *,
                                              float *, int) = {NULL, x86_dec_q8_rows_1, x86_dec_q8_rows_2,
                                                               x86_dec_q8_rows_3, x86_dec_q8_rows_4};
    /* ~150 KiB of stack, and the one-token rows' 32 KiB: the function is
     * noinline, its frame the only one of this size alive */
    x86_dec_act a[X86_DEC_NT];
    static const int PERM[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    const __m256i ones = _mm256_set1_epi8(1);
    for (int t0 = 0; t0 < n_tok; t0 += X86_DEC_NT) {
        const int nt = n_tok - t0 < X86_DEC_NT ? n_tok - t0 : X86_DEC_NT;
        for (int t = 0; t < nt; t++) {
            const block_q8_0 *ab = (const block_q8_0 *)((const char *)act + (size_t)(t0 + t) * act_row_bytes);
            for (int b = 0; b < nb; b++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)ab[b].qs);
                _mm256_store_si256((__m256i *)(a[t].aq + 32 * b), q);
                const int bs = hsum_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, q));
                _mm256_store_si256((__m256i *)(a[t].init + 8 * b), _mm256_set1_epi32(-lane_off * bs));
                a[t].dy[b] = h2f(ab[b].d);
            }
            if (q4) x86_dec_q4_act1(&a[t], nb);
            for (int b = 0; b < nb8; b++) a[t].dyp[b] = a[t].dy[b / 8 * 8 + PERM[b % 8]];
        }
        ROWS[nt](q4, pf_l2, w, w_row_bytes, nb, r0, r1, a, y + (size_t)t0 * (size_t)ldy, ldy);
    }
    return true;
}

/* Fewest tokens for which repacking a strip pays (packing a K-quant strip
 * costs about four one-row passes; measured by decode speed). */
enum { X86_TILE_MIN_TOK = 4, X86_TILE_K_MIN_TOK = 16 };

#endif
