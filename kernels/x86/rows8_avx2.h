/* rows8_avx2.h — Q4_0 / Q8_0 weights x Q8_0 activations on AVX2 without
 * VNNI, with 8 weight rows in the 8 int32 lanes of a ymm register.
 * Included only by x86/avx2.c, after x86/body256.h, whose helpers
 * (x86_pack8, x86_act_recs, hsum8_epi32, x86_tr8, ...) it uses.
 *
 * Prompt batches (x86_t8_matmul): a strip of 8 rows is repacked per block
 * so that dword k of lane r is bytes 4k..4k+3 of row r (x86_pack8); each
 * vpmaddubsw against 4 broadcast activation bytes then does 64
 * multiply-adds. Q4_0 nibbles stay unsigned (0..15): a block's 8 products
 * per int16 lane sum to at most 8 * 2 * 15 * 128 = 30720, so the int16 sums
 * of a whole block are exact, one vpmaddwd widens them, and -8 * sum(a)
 * (precomputed per activation block) makes them the signed block sums.
 * Q8_0 bytes are signed on both sides: |w| times sign(a, w), widened after
 * every step (two steps could overflow int16). A matrix repacked at load
 * (the R16 layout, r16_layout.h) gives its strips by a copy
 * (x86_t8_pack_r16); its few-token products are r16_avx2.h's.
 *
 * Decode over rows as stored (x86_d8_matmul; matrices the repack declined,
 * or a mapped model): repacking per call would cost as much as the
 * product. Q4_0 blocks of 8 rows are transposed into rows-in-lanes as they are
 * loaded (16 bytes of nibbles per row: a 4x4 dword transpose per 128-bit
 * half), 8 short interleaved streams, which the hardware prefetchers
 * follow badly: the next group is prefetched. Q8_0 rows are read one
 * after the other, each summing its blocks in its own vector (eight blocks
 * reduced together) into an L1 buffer, then 8x8 transposes put rows in
 * lanes for the float steps.
 *
 * Both keep the one-row kernels' float steps per (row, token): exact block
 * sum, acc0/acc1 fma chains over even/odd blocks, acc0 + acc1. */
#ifndef HONE_X86_ROWS8_AVX2_H
#define HONE_X86_ROWS8_AVX2_H

#if defined(HONE_X86_VNNI)
#error "x86/rows8_avx2.h is the AVX2 build's (x86/avx2.c): the VNNI build has x86/tiles16_vnni.h"
#endif

#include "x86/r16_layout.h" /* the R16 layouts, transposed with x86_tr8x4 */

enum {
    X86_T8_MIN_TOK = 4,     /* fewer tokens: decode path */
    X86_T8_MAX_NB = 256,    /* blocks per row of the packed strip (136 KiB) */
    X86_T8_ACT = 16384,     /* activation blocks per token chunk (records: 640 KiB of stack) */
    X86_T8_T = 4,           /* tokens per pass over the strip */
    X86_D8_MAX_NB = 512,    /* blocks per row, decode */
};
_Static_assert((int)X86_T8_MAX_NB >= (int)X86_R16_MAX_NB, "the strips take every repacked Q4_0 / Q8_0 matrix");

static inline int load_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

typedef struct {
    int32_t w[8][8];  /* dword k of the block, row r in lane r */
    float d[8];       /* row scales */
    int32_t aw[8][8]; /* Q8_0: |w|, once per packing instead of once per
                       * 4-token step: bench-1b Q8_0 pp512 +4 % */
} x86_t8_block;

/* The lanes [lo, hi) of 8 (either may lie outside 0 .. 8) as a maskstore
 * mask. */
X86_INLINE __m256i x86_lanes_range(int lo, int hi)
{
    const __m256i i = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), i), _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), i));
}

/* One activation block of tokens u0 .. u0 + nt of a record (x86_act_recs)
 * against a packed block. */
X86_INLINE void x86_t8_step(bool q4, const x86_t8_block *pk, const x86_act_rec *ar, int u0, __m256 *acc, int nt)
{
    const __m256i ones16 = _mm256_set1_epi16(1);
    __m256i s[X86_T8_T];
    if (q4) {
        for (int t = 0; t < nt; t++) s[t] = _mm256_setzero_si256();
        for (int k = 0; k < 8; k++) {
            const __m256i wk = _mm256_loadu_si256((const __m256i *)pk->w[k]);
            for (int t = 0; t < nt; t++) {
                s[t] = _mm256_add_epi16(s[t], _mm256_maddubs_epi16(wk, _mm256_set1_epi32(ar->q[u0 + t][k])));
                X86_IN_ORDER(s[t]);
            }
        }
        for (int t = 0; t < nt; t++)
            s[t] = _mm256_add_epi32(_mm256_madd_epi16(s[t], ones16), _mm256_set1_epi32(ar->corr[u0 + t]));
    } else {
        for (int t = 0; t < nt; t++) s[t] = _mm256_setzero_si256();
        for (int k = 0; k < 8; k++) {
            const __m256i wk = _mm256_loadu_si256((const __m256i *)pk->w[k]);
            const __m256i aw = _mm256_loadu_si256((const __m256i *)pk->aw[k]);
            for (int t = 0; t < nt; t++) {
                const __m256i ak = _mm256_sign_epi8(_mm256_set1_epi32(ar->q[u0 + t][k]), wk);
                s[t] = _mm256_add_epi32(s[t], _mm256_madd_epi16(_mm256_maddubs_epi16(aw, ak), ones16));
                X86_IN_ORDER(s[t]);
            }
        }
    }
    const __m256 dxv = _mm256_loadu_ps(pk->d);
    for (int t = 0; t < nt; t++) {
        const __m256 p = _mm256_mul_ps(dxv, _mm256_set1_ps(ar->dy[u0 + t]));
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[t]), p, acc[t]);
    }
}

/* Tokens [t0, t0 + nt) of the chunk (nt compile-time, within one record
 * group) x one packed strip of the rows rs .. rs + 7, stored in the lanes
 * of mask; the chunk starts at token tc. */
X86_INLINE void x86_t8_run(bool q4, const x86_t8_block *pk, int nb, const x86_act_rec *act, int t0, int tc,
                           float *y, int ldy, int rs, __m256i mask, int nt)
{
    __m256 acc0[X86_T8_T], acc1[X86_T8_T];
    for (int t = 0; t < nt; t++) acc0[t] = acc1[t] = _mm256_setzero_ps();
    const x86_act_rec *ar = act + (size_t)(t0 / X86_REC_T) * (size_t)nb;
    const int u0 = t0 % X86_REC_T;
    int b = 0;
    for (; b + 2 <= nb; b += 2) {
        x86_t8_step(q4, &pk[b], &ar[b], u0, acc0, nt);
        x86_t8_step(q4, &pk[b + 1], &ar[b + 1], u0, acc1, nt);
    }
    if (b < nb) x86_t8_step(q4, &pk[b], &ar[b], u0, acc0, nt);
    for (int t = 0; t < nt; t++)
        _mm256_maskstore_ps(y + (size_t)(tc + t0 + t) * (size_t)ldy + rs, mask, _mm256_add_ps(acc0[t], acc1[t]));
}

/* The chunk's nt tokens over one strip. pf / pf_bytes: the next strip's
 * rows, fetched into L2 a slice per pass (its packing would otherwise wait
 * on 8 row streams from memory). */
X86_INLINE void x86_t8_strip(bool q4, const x86_t8_block *pk, int nb, const x86_act_rec *act, int tc, int nt,
                             float *y, int ldy, int rs, __m256i mask, const char *pf, size_t pf_bytes)
{
    const int ngr = nt / X86_T8_T > 0 ? nt / X86_T8_T : 1;
    int t = 0;
    for (int gi = 0; t + X86_T8_T <= nt; t += X86_T8_T, gi++) {
        x86_prefetch_l2_slice(pf, pf_bytes, gi, ngr);
        x86_t8_run(q4, pk, nb, act, t, tc, y, ldy, rs, mask, X86_T8_T);
    }
    for (; t < nt; t++) x86_t8_run(q4, pk, nb, act, t, tc, y, ldy, rs, mask, 1);
}

/* Half h (rows 8h .. 8h + 7) of a group of 16 Q4_0 / Q8_0 rows in the R16
 * layout (r16_layout.h) as a packed strip: x86_pack8's output without its
 * transposes. */
static void x86_t8_pack_r16(bool q4, const uint8_t *gp, int h, int nb, x86_t8_block *pk)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const size_t blk = q4 ? X86_R16_BLOCK : X86_R16_Q8_BLOCK;
    for (int b = 0; b < nb; b++) {
        const uint8_t *bp = gp + (size_t)b * blk, *cp = bp + 32 + 32 * h;
        _mm256_storeu_ps(pk[b].d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bp + 16 * h))));
        for (int k = 0; k < 4; k++) {
            const __m256i c = _mm256_loadu_si256((const __m256i *)(cp + 64 * k));
            if (q4) {
                _mm256_storeu_si256((__m256i *)pk[b].w[k], _mm256_and_si256(c, m4));
                _mm256_storeu_si256((__m256i *)pk[b].w[k + 4], _mm256_and_si256(_mm256_srli_epi16(c, 4), m4));
                continue;
            }
            const __m256i c4 = _mm256_loadu_si256((const __m256i *)(cp + 64 * (k + 4)));
            _mm256_storeu_si256((__m256i *)pk[b].w[k], c);
            _mm256_storeu_si256((__m256i *)pk[b].w[k + 4], c4);
            _mm256_storeu_si256((__m256i *)pk[b].aw[k], _mm256_sign_epi8(c, c));
            _mm256_storeu_si256((__m256i *)pk[b].aw[k + 4], _mm256_sign_epi8(c4, c4));
        }
    }
}

/* The whole product for Q4_0 / Q8_0 weights, as stored or (r16) in the
 * R16 layout; false: shape not handled. Of an R16 group only partly in
 * rows [r0, r1), the halves holding any of them, stored masked. */
__attribute__((noinline)) static bool x86_t8_matmul(uint32_t wtype, bool r16, const void *w, size_t w_row_bytes,
                                                    const void *act, size_t act_row_bytes, int n, int r0, int r1,
                                                    int n_tok, float *y, int ldy)
{
    const int nb = n / 32;
    if ((wtype != HONE_TYPE_Q4_0 && wtype != HONE_TYPE_Q8_0) || nb > X86_T8_MAX_NB || nb < 1)
        return false;
    const bool q4 = wtype == HONE_TYPE_Q4_0;
    /* chunk: whole record groups (a multiple of X86_T8_T too) */
    int chunk = X86_T8_ACT / nb / X86_REC_T * X86_REC_T;
    if (chunk > n_tok) chunk = n_tok;
    x86_t8_block pk[X86_T8_MAX_NB];
    x86_act_rec ar[X86_T8_ACT / X86_REC_T];
    const size_t gbytes = 16 * w_row_bytes;
    const int g1 = (r1 + 15) / 16;
    for (int tc = 0; tc < n_tok; tc += chunk) {
        const int nt = tc + chunk < n_tok ? chunk : n_tok - tc;
        x86_act_recs(act, act_row_bytes, tc, nt, nb, q4 ? 8 : 0, ar);
        for (int rs = r16 ? r0 / 8 * 8 : r0; rs < r1; rs += 8) {
            const char *pf;
            size_t pfb;
            if (r16) {
                const int g = rs / 16, h = rs / 8 % 2;
                const uint8_t *gp = (const uint8_t *)w + (size_t)g * gbytes;
                x86_t8_pack_r16(q4, gp, h, nb, pk);
                /* both halves live on the same lines: half the next group each */
                pf = (const char *)gp + gbytes + (size_t)h * (gbytes / 2);
                pfb = g + 1 < g1 ? gbytes / 2 : 0;
            } else {
                for (int b = 0; b < nb; b++) {
                    x86_pack8(wtype, w, w_row_bytes, rs, r1, b, &pk[b].w[0][0], 8, pk[b].d,
                              _mm256_setzero_si256());
                    for (int k = 0; k < 8 && !q4; k++) {
                        const __m256i wk = _mm256_loadu_si256((const __m256i *)pk[b].w[k]);
                        _mm256_storeu_si256((__m256i *)pk[b].aw[k], _mm256_sign_epi8(wk, wk));
                    }
                }
                const int p0 = rs + 8, p1 = rs + 16 < r1 ? rs + 16 : r1;
                pfb = p0 < p1 ? (size_t)(p1 - p0) * w_row_bytes : 0;
                pf = (const char *)w + (size_t)p0 * w_row_bytes;
            }
            const __m256i mask = x86_lanes_range(r0 - rs, r1 - rs);
            /* two instances, so q4 is a constant in each */
            if (q4) x86_t8_strip(true, pk, nb, ar, tc, nt, y, ldy, rs, mask, pf, pfb);
            else x86_t8_strip(false, pk, nb, ar, tc, nt, y, ldy, rs, mask, pf, pfb);
        }
    }
    return true;
}

/* Q8_0 decode: one row's blocks b..b+7 against one token: exact block sums
 * (as float, lanes in block order) and dx * dy. */
X86_INLINE void x86_d8_q8_blk8(const uint8_t *row, int b, const block_q8_0 *a, const float *dy,
                               __m256 *fs, __m256 *ps)
{
    const __m256i ones16 = _mm256_set1_epi16(1);
    __m256i p[8];
    uint16_t h[8];
    for (int j = 0; j < 8; j++) {
        const uint8_t *x = row + (size_t)(b + j) * sizeof(block_q8_0);
        memcpy(&h[j], x, 2);
        const __m256i aq = _mm256_loadu_si256((const __m256i *)a[b + j].qs);
        const __m256i xq = _mm256_loadu_si256((const __m256i *)(x + 2));
        p[j] = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(xq, xq), _mm256_sign_epi8(aq, xq)), ones16);
    }
    const __m128i dh = _mm_setr_epi16((short)h[0], (short)h[1], (short)h[2], (short)h[3], (short)h[4],
                                      (short)h[5], (short)h[6], (short)h[7]);
    *fs = _mm256_cvtepi32_ps(hsum8_epi32(p));
    *ps = _mm256_mul_ps(_mm256_cvtph_ps(dh), _mm256_loadu_ps(dy + b));
}

/* Q8_0 decode: the 8 rows at row0 into y[0..8). The rows are read one
 * after the other, a run of memory in order fetched 8 KiB ahead (below
 * end, where the call's rows end), their block sums and scale products
 * kept in L1; then rows in lanes for the fma chains (see tiles16_vnni.h's
 * one-token rows: side by side, 8 rows are 8 short streams). */
X86_INLINE void x86_d8_q8_rows(const uint8_t *row0, size_t rb, int nb, const block_q8_0 *a, const float *dy,
                               const void *end, bool pf_l2, float *y)
{
    __m256 fsb[X86_D8_MAX_NB / 8][8], psb[X86_D8_MAX_NB / 8][8];
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < nb; b += 8) {
            const uint8_t *blk = row0 + (size_t)i * rb + (size_t)b * sizeof(block_q8_0);
            x86_prefetch_run(blk, 8 * sizeof(block_q8_0), 8192, end, pf_l2);
            x86_d8_q8_blk8(row0 + (size_t)i * rb, b, a, dy, &fsb[b / 8][i], &psb[b / 8][i]);
        }
    _mm256_storeu_ps(y, x86_rows8_chains(fsb, psb, nb / 8, false));
}

/* Q4_0 decode: block b of the 8 rows at row0 (stride rb) with rows in
 * lanes, transposed as it is loaded: w[k] holds elements 4k..4k+3 of each
 * row (x86_pack8's order), unsigned; *dx the rows' scales. */
X86_INLINE void x86_q4_rows8(const uint8_t *row0, size_t rb, int b, __m256i w[8], __m256 *dx)
{
    const uint8_t *x = row0 + (size_t)b * sizeof(block_q4_0);
    __m256i v[4];
    for (int i = 0; i < 4; i++)
        v[i] = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(x + (size_t)(i + 4) * rb + 2)),
                                _mm_loadu_si128((const __m128i *)(x + (size_t)i * rb + 2)));
    const __m256i t0 = _mm256_unpacklo_epi32(v[0], v[1]), t1 = _mm256_unpackhi_epi32(v[0], v[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(v[2], v[3]), t3 = _mm256_unpackhi_epi32(v[2], v[3]);
    const __m256i c[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
                          _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3)};
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int k = 0; k < 4; k++) {
        w[k] = _mm256_and_si256(c[k], m4);
        w[4 + k] = _mm256_and_si256(_mm256_srli_epi16(c[k], 4), m4);
    }
    /* the scales (vpgatherdd is slower than eight word inserts) */
    __m128i h = _mm_cvtsi32_si128(load_u16(x));
    h = _mm_insert_epi16(h, load_u16(x + rb), 1);
    h = _mm_insert_epi16(h, load_u16(x + 2 * rb), 2);
    h = _mm_insert_epi16(h, load_u16(x + 3 * rb), 3);
    h = _mm_insert_epi16(h, load_u16(x + 4 * rb), 4);
    h = _mm_insert_epi16(h, load_u16(x + 5 * rb), 5);
    h = _mm_insert_epi16(h, load_u16(x + 6 * rb), 6);
    h = _mm_insert_epi16(h, load_u16(x + 7 * rb), 7);
    *dx = _mm256_cvtph_ps(h);
}

/* Decode: 8 rows at a time, rows whose blocks come in eights; false: the
 * caller's one-row kernels do it (same float steps). The fetch ahead goes
 * into L1, or into L2 with pf_l2 (body256.h's X86_ROUTE_L2; on a Zen 4,
 * HONE_KERNELS=avx2, from a mapped model: kernels/README.md, round
 * twenty-eight). */
__attribute__((noinline)) static bool x86_d8_matmul(bool pf_l2, uint32_t wtype, const void *w, size_t w_row_bytes,
                                                    const void *act, size_t act_row_bytes, int n,
                                                    int r0, int r1, int n_tok, float *y, int ldy)
{
    const int nb = n / 32;
    if ((wtype != HONE_TYPE_Q4_0 && wtype != HONE_TYPE_Q8_0) || nb > X86_D8_MAX_NB || nb % 8 ||
        r1 - r0 < 8)
        return false;
    const bool q4 = wtype == HONE_TYPE_Q4_0;
    int32_t corr[X86_D8_MAX_NB];
    float dy[X86_D8_MAX_NB];
    for (int t = 0; t < n_tok; t++) {
        const block_q8_0 *a = (const block_q8_0 *)((const char *)act + (size_t)t * act_row_bytes);
        x86_tile_act(act, act_row_bytes, t, 1, nb, q4 ? 8 : 0, corr, dy);
        float *yt = y + (size_t)t * (size_t)ldy;
        /* the last group overlaps the one before when the rows do not
         * come in eights: its rows are recomputed to the same values */
        for (int rg = r0; rg < r1; rg += 8) {
            const int r = rg + 8 <= r1 ? rg : r1 - 8;
            const uint8_t *row0 = (const uint8_t *)w + (size_t)r * w_row_bytes;
            if (!q4) {
                x86_d8_q8_rows(row0, w_row_bytes, nb, a, dy, (const uint8_t *)w + (size_t)r1 * w_row_bytes, pf_l2,
                               yt + r);
                continue;
            }
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
            /* eight interleaved short row streams starve the hardware
             * prefetchers: fetch the next group linearly, a slice per step */
            const int nxt = r1 - r - 8 < 8 ? r1 - r - 8 : 8;
            const size_t pf_all = nxt > 0 ? (size_t)nxt * w_row_bytes : 0;
            const size_t pf_step = (pf_all / ((size_t)nb / 8) + 63) / 64 * 64;
            const char *pf = (const char *)row0 + 8 * w_row_bytes, *pf_end = pf + pf_all;
            for (int b = 0; b < nb; b += 8) {
                for (const char *e = pf + pf_step < pf_end ? pf + pf_step : pf_end; pf < e; pf += 64) {
                    if (pf_l2) _mm_prefetch(pf, _MM_HINT_T1);
                    else _mm_prefetch(pf, _MM_HINT_T0);
                }
                /* Q4_0: rows in lanes straight from the rows */
                for (int j = 0; j < 8; j++) {
                    __m256i wq[8];
                    __m256 dx;
                    x86_q4_rows8(row0, w_row_bytes, b + j, wq, &dx);
                    __m256i s16 = _mm256_setzero_si256();
                    for (int k = 0; k < 8; k++)
                        s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(wq[k], _mm256_set1_epi32(load_i32(a[b + j].qs + 4 * k))));
                    const __m256i s = _mm256_add_epi32(_mm256_madd_epi16(s16, _mm256_set1_epi16(1)),
                                                       _mm256_set1_epi32(corr[b + j]));
                    const __m256 p = _mm256_mul_ps(dx, _mm256_set1_ps(dy[b + j]));
                    if (j & 1) acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), p, acc1);
                    else acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), p, acc0);
                }
            }
            _mm256_storeu_ps(yt + r, _mm256_add_ps(acc0, acc1));
        }
    }
    return true;
}

#endif
