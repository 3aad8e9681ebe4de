/* tiles8_k_avx2.h — Q4_K / Q5_K / Q6_K weights x Q8_K activations on AVX2 without
 * VNNI, for prompt batches: a strip of 8 rows repacked per super-block with
 * rows in the 8 int32 lanes (x86_k45_rows8), as rows8_avx2.h does for
 * Q4_0 / Q8_0. Included only by x86/avx2.c, after body256.h.
 *
 * Per sub-block j, 8 vpmaddubsw against 4 broadcast activation bytes each
 * sum exactly in int16 (Q4_K: eight pair sums of at most 2 * 15 * 128 =
 * 3840; Q5_K in two halves of four, 2 * 31 * 128 = 7936 each), one vpmaddwd
 * weights them by the rows' scales; the mins term is one vpmaddwd per
 * sub-block against the Q8_K group sums. The one-row kernel computes the
 * same integers one lane layout over, and both take the same float steps
 * per (row, token): exact super-block sums, v = -dmin * msum + d * isum,
 * acc += dy * v (q45_K_multi), so a result has vec_dot's bits whatever the
 * batch.
 *
 * Why: the one-row kernel spends three vector operations per 32 products
 * (vpmaddubsw, vpmaddwd, vpaddd); here it is about 2.25 per 32. */
#ifndef HONE_X86_TILES8_K_AVX2_H
#define HONE_X86_TILES8_K_AVX2_H

#if defined(HONE_X86_VNNI)
#error "x86/tiles8_k_avx2.h is the AVX2 build's (x86/avx2.c): the VNNI build has x86/tiles16_vnni.h"
#endif

#include "x86/r16_layout.h" /* the K-quant R16 layouts, transposed with x86_tr8x4 */

enum {
    X86_T8K_MIN_TOK = 5, /* fewer tokens: the group kernels (4 tokens: one
                          * group pass, weights from memory once; the tile
                          * packs a strip for one pass: bench-1b Q4_K_M pp4
                          * +24 %, pp5 and up the tiles win) */
    X86_T8K_MAX_SB = 32, /* super-blocks per row of the packed strip (84 KiB) */
    X86_T8K_T = 4,       /* tokens per pass over the strip */
};
_Static_assert((int)X86_T8K_MAX_SB >= (int)X86_R16K_MAX_SB, "the tiles take every repacked row");

typedef struct {
    int32_t w[8][8][8]; /* sub-block j, dword k, row r */
    int32_t sc2[8][8];  /* scale of sub-block j, row r, in both int16 halves */
    int32_t m2[8][8];   /* min of sub-block j, row r, in both int16 halves */
    float d[8], mn[8];  /* d and -dmin per row */
} x86_t8k_block;

/* Byte j of the 8 qwords v[0] (rows 0-3), v[1] (rows 4-7) as int32 lanes,
 * in both int16 halves. */
X86_INLINE __m256i x86_qword_byte8x2(const __m256i v[2], int j)
{
    const __m256i ff = _mm256_set1_epi64x(0xff);
    const __m256i lo = _mm256_and_si256(_mm256_srli_epi64(v[0], 8 * j), ff);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi64(v[1], 8 * j), ff);
    /* dwords r0, r4, r1, r5, ... -> r0 .. r7 */
    const __m256i x = _mm256_permutevar8x32_epi32(_mm256_or_si256(lo, _mm256_slli_epi64(hi, 32)),
                                                  _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
    return _mm256_or_si256(x, _mm256_slli_epi32(x, 16));
}

/* x86_t8k_pack for 8 rows that all exist: each 32-byte chunk of nibbles
 * (sub-blocks 2c, 2c + 1) transposed 16 bytes at a time (x86_tr8x4), the
 * 5th bits likewise, the scales and mins as columns of per-row qwords
 * (as tiles16_vnni.h's x86_tile_k4_pack16). Against x86_k45_rows8's
 * eight 8x8 transposes and scalar scale stores: bench-1b Q4_K_M pp512
 * +2.4 % (portable, HONE_KERNELS=avx2). */
X86_INLINE void x86_t8k_pack8(const char *wb, size_t w_row_bytes, int has_qh, int rs, int nsb, x86_t8k_block *pk)
{
    const size_t bsize = has_qh ? sizeof(block_q5_K) : sizeof(block_q4_K);
    const size_t qs_at = offsetof(block_q5_K, qh) + (has_qh ? QK_K / 8 : 0);
    const __m256i m4 = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
    const char *p[8];
    for (int r = 0; r < 8; r++) p[r] = wb + (size_t)(rs + r) * w_row_bytes;
    for (int b = 0; b < nsb; b++) {
        x86_t8k_block *o = &pk[b];
        const size_t at = (size_t)b * bsize;
        _Alignas(32) uint64_t scq[8], mq[8];
        uint16_t dh[8], mh[8];
        kquant_rows_scales(p, 8, at, scq, mq, dh, mh);
        _mm256_storeu_ps(o->d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)dh)));
        /* -dmin: the sign flipped, as the unary minus does */
        _mm256_storeu_ps(o->mn, _mm256_xor_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)mh)),
                                              _mm256_set1_ps(-0.0f)));
        const __m256i sv[2] = {_mm256_load_si256((const __m256i *)scq), _mm256_load_si256((const __m256i *)(scq + 4))};
        const __m256i mv[2] = {_mm256_load_si256((const __m256i *)mq), _mm256_load_si256((const __m256i *)(mq + 4))};
        for (int j = 0; j < 8; j++) {
            _mm256_storeu_si256((__m256i *)o->sc2[j], x86_qword_byte8x2(sv, j));
            _mm256_storeu_si256((__m256i *)o->m2[j], x86_qword_byte8x2(mv, j));
        }
        __m256i h[8];
        if (has_qh) {
            x86_tr8x4(p, at + offsetof(block_q5_K, qh), h);
            x86_tr8x4(p, at + offsetof(block_q5_K, qh) + 16, h + 4);
        }
        for (int c = 0; c < 4; c++) {
            __m256i v[8];
            x86_tr8x4(p, at + qs_at + 32 * (size_t)c, v);
            x86_tr8x4(p, at + qs_at + 32 * (size_t)c + 16, v + 4);
            for (int k = 0; k < 8; k++) {
                __m256i lo = _mm256_and_si256(v[k], m4), hi = _mm256_and_si256(_mm256_srli_epi16(v[k], 4), m4);
                if (has_qh) {
                    /* bit 2c / 2c + 1 of element l's qh byte */
                    lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h[k], 2 * c), one), 4));
                    hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h[k], 2 * c + 1), one), 4));
                }
                _mm256_storeu_si256((__m256i *)o->w[2 * c][k], lo);
                _mm256_storeu_si256((__m256i *)o->w[2 * c + 1][k], hi);
            }
        }
    }
}

static void x86_t8k_pack(const char *wb, size_t w_row_bytes, int has_qh, int rs, int r1, int nsb,
                         x86_t8k_block *pk)
{
    if (rs + 8 <= r1) {
        /* two instances, so has_qh is a constant in each */
        if (has_qh) x86_t8k_pack8(wb, w_row_bytes, 1, rs, nsb, pk);
        else x86_t8k_pack8(wb, w_row_bytes, 0, rs, nsb, pk);
        return;
    }
    for (int b = 0; b < nsb; b++) {
        x86_t8k_block *o = &pk[b];
        __m256i q[8][8];
        uint8_t sc[8][8], m[8][8];
        x86_k45_rows8(wb, w_row_bytes, has_qh, rs, r1, b, q, sc, m, o->d, o->mn);
        for (int j = 0; j < 8; j++) {
            for (int k = 0; k < 8; k++) _mm256_storeu_si256((__m256i *)o->w[j][k], q[j][k]);
            for (int r = 0; r < 8; r++) {
                o->sc2[j][r] = (int32_t)((uint32_t)sc[r][j] | (uint32_t)sc[r][j] << 16);
                o->m2[j][r] = (int32_t)((uint32_t)m[r][j] | (uint32_t)m[r][j] << 16);
            }
        }
    }
}

/* Tokens [t0, t0 + nt) (nt compile-time) x one packed strip of rows
 * rs .. rs + 7, stored in the lanes of mask. */
X86_INLINE void x86_t8k_run(const x86_t8k_block *pk, int nsb, int has_qh, const char *ab,
                            size_t act_row_bytes, int t0, float *y, int ldy, int rs, __m256i mask, int nt)
{
    __m256 acc[X86_T8K_T];
    const block_q8_K *a[X86_T8K_T];
    for (int t = 0; t < nt; t++) {
        acc[t] = _mm256_setzero_ps();
        a[t] = (const block_q8_K *)(ab + (size_t)(t0 + t) * act_row_bytes);
    }
    for (int b = 0; b < nsb; b++) {
        const x86_t8k_block *o = &pk[b];
        __m256i isum[X86_T8K_T];
        for (int t = 0; t < nt; t++) isum[t] = _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) {
            __m256i w[8];
            for (int k = 0; k < 8; k++) w[k] = _mm256_loadu_si256((const __m256i *)o->w[j][k]);
            const __m256i scj = _mm256_loadu_si256((const __m256i *)o->sc2[j]);
            for (int t = 0; t < nt; t++) {
                const int8_t *q = a[t][b].qs + 32 * j;
                for (int h = 0; h < (has_qh ? 2 : 1); h++) {
                    const int k0 = has_qh ? 4 * h : 0, k1 = has_qh ? k0 + 4 : 8;
                    __m256i s = _mm256_maddubs_epi16(w[k0], _mm256_set1_epi32(load_i32(q + 4 * k0)));
                    for (int k = k0 + 1; k < k1; k++) {
                        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(w[k], _mm256_set1_epi32(load_i32(q + 4 * k))));
                        X86_IN_ORDER(s);
                    }
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(s, scj));
                }
            }
        }
        const __m256 dv = _mm256_loadu_ps(o->d), mnv = _mm256_loadu_ps(o->mn);
        for (int t = 0; t < nt; t++) {
            __m256i ms = _mm256_setzero_si256();
            for (int j = 0; j < 8; j++)
                ms = _mm256_add_epi32(ms, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)o->m2[j]),
                                                            _mm256_set1_epi32(load_i32((const int8_t *)&a[t][b].bsums[2 * j]))));
            const __m256 v = _mm256_fmadd_ps(mnv, _mm256_cvtepi32_ps(ms), _mm256_mul_ps(dv, _mm256_cvtepi32_ps(isum[t])));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(a[t][b].d), v, acc[t]);
        }
    }
    for (int t = 0; t < nt; t++) _mm256_maskstore_ps(y + (size_t)(t0 + t) * (size_t)ldy + rs, mask, acc[t]);
}

/* Q6_K: the quants + 32 unsigned (at most 63: two vpmaddubsw pair sums,
 * 2 * 2 * 63 * 128 = 32256, still fit int16), per 16-element sub-block two
 * such pairs weighted by the rows' scales, minus 32 * sum_j sc_j * sum(a_j)
 * from the Q8_K group sums; float steps as k16_multi's: acc += d * dy *
 * (float)isum. */
typedef struct {
    int32_t w[8][8][8]; /* 32-element group g (sub-blocks 2g, 2g + 1), dword k, row r */
    int32_t sc2[16][8]; /* scale of sub-block j, row r, in both int16 halves */
    int32_t sp[8][8];   /* scales 2p, 2p + 1 of row r as an int16 pair */
    float d[8];
} x86_t8q6_block;

/* x86_t8q6_pack for 8 rows that all exist: ql and qh transposed 16 bytes
 * at a time (x86_tr8x4), then unpacked as k16_unpack_half does (as
 * tiles16_vnni.h's x86_tile_q6_pack16). */
X86_INLINE void x86_t8q6_pack8(const char *wb, size_t w_row_bytes, int rs, int nsb, x86_t8q6_block *pk)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
    const __m256i lo16 = _mm256_set1_epi32(0xffff);
    const char *p[8];
    for (int r = 0; r < 8; r++) p[r] = wb + (size_t)(rs + r) * w_row_bytes;
    for (int b = 0; b < nsb; b++) {
        x86_t8q6_block *o = &pk[b];
        const size_t at = (size_t)b * sizeof(block_q6_K);
        uint16_t dh[8];
        for (int r = 0; r < 8; r++) memcpy(&dh[r], p[r] + at + offsetof(block_q6_K, d), 2);
        _mm256_storeu_ps(o->d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)dh)));
        __m256i sk[4], sc[16];
        x86_tr8x4(p, at + offsetof(block_q6_K, scales), sk);
        for (int j = 0; j < 16; j++) {
            sc[j] = _mm256_srai_epi32(_mm256_slli_epi32(sk[j / 4], 24 - 8 * (j % 4)), 24);
            _mm256_storeu_si256((__m256i *)o->sc2[j],
                                _mm256_or_si256(_mm256_and_si256(sc[j], lo16), _mm256_slli_epi32(sc[j], 16)));
        }
        for (int p2 = 0; p2 < 8; p2++)
            _mm256_storeu_si256((__m256i *)o->sp[p2], _mm256_or_si256(_mm256_and_si256(sc[2 * p2], lo16),
                                                                     _mm256_slli_epi32(sc[2 * p2 + 1], 16)));
        for (int h = 0; h < 2; h++) {
            __m256i l0[8], l1[8], qh[8];
            const size_t ql = at + offsetof(block_q6_K, ql) + 64 * (size_t)h;
            const size_t hb = at + offsetof(block_q6_K, qh) + 32 * (size_t)h;
            x86_tr8x4(p, ql, l0);
            x86_tr8x4(p, ql + 16, l0 + 4);
            x86_tr8x4(p, ql + 32, l1);
            x86_tr8x4(p, ql + 48, l1 + 4);
            x86_tr8x4(p, hb, qh);
            x86_tr8x4(p, hb + 16, qh + 4);
            for (int k = 0; k < 8; k++) {
                _mm256_storeu_si256((__m256i *)o->w[4 * h][k],
                                    _mm256_or_si256(_mm256_and_si256(l0[k], m4), _mm256_and_si256(_mm256_slli_epi16(qh[k], 4), m30)));
                _mm256_storeu_si256((__m256i *)o->w[4 * h + 1][k],
                                    _mm256_or_si256(_mm256_and_si256(l1[k], m4), _mm256_and_si256(_mm256_slli_epi16(qh[k], 2), m30)));
                _mm256_storeu_si256((__m256i *)o->w[4 * h + 2][k],
                                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0[k], 4), m4), _mm256_and_si256(qh[k], m30)));
                _mm256_storeu_si256((__m256i *)o->w[4 * h + 3][k],
                                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1[k], 4), m4),
                                                    _mm256_and_si256(_mm256_srli_epi16(qh[k], 2), m30)));
            }
        }
    }
}

static void x86_t8q6_pack(const char *wb, size_t w_row_bytes, int rs, int r1, int nsb, x86_t8q6_block *pk)
{
    if (rs + 8 <= r1) {
        x86_t8q6_pack8(wb, w_row_bytes, rs, nsb, pk);
        return;
    }
    for (int b = 0; b < nsb; b++) {
        x86_t8q6_block *o = &pk[b];
        __m256i q[8][8];
        int8_t sc[8][16];
        x86_q6_rows8(wb, w_row_bytes, rs, r1, b, q, sc, o->d);
        for (int g = 0; g < 8; g++)
            for (int k = 0; k < 8; k++) _mm256_storeu_si256((__m256i *)o->w[g][k], q[g][k]);
        for (int r = 0; r < 8; r++) {
            for (int j = 0; j < 16; j++)
                o->sc2[j][r] = (int32_t)((uint32_t)(uint16_t)sc[r][j] | (uint32_t)(uint16_t)sc[r][j] << 16);
            for (int p2 = 0; p2 < 8; p2++)
                o->sp[p2][r] = (int32_t)((uint32_t)(uint16_t)sc[r][2 * p2] | (uint32_t)(uint16_t)sc[r][2 * p2 + 1] << 16);
        }
    }
}

X86_INLINE void x86_t8q6_run(const x86_t8q6_block *pk, int nsb, const char *ab, size_t act_row_bytes, int t0,
                             float *y, int ldy, int rs, __m256i mask, int nt)
{
    __m256 acc[X86_T8K_T];
    const block_q8_K *a[X86_T8K_T];
    for (int t = 0; t < nt; t++) {
        acc[t] = _mm256_setzero_ps();
        a[t] = (const block_q8_K *)(ab + (size_t)(t0 + t) * act_row_bytes);
    }
    for (int b = 0; b < nsb; b++) {
        const x86_t8q6_block *o = &pk[b];
        __m256i isum[X86_T8K_T];
        for (int t = 0; t < nt; t++) {
            __m256i cs = _mm256_setzero_si256();
            for (int p2 = 0; p2 < 8; p2++)
                cs = _mm256_add_epi32(cs, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)o->sp[p2]),
                                                            _mm256_set1_epi32(load_i32((const int8_t *)&a[t][b].bsums[2 * p2]))));
            isum[t] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(cs, 5));
        }
        for (int g = 0; g < 8; g++) {
            __m256i w[8];
            for (int k = 0; k < 8; k++) w[k] = _mm256_loadu_si256((const __m256i *)o->w[g][k]);
            for (int t = 0; t < nt; t++) {
                const int8_t *q = a[t][b].qs + 32 * g;
                for (int h = 0; h < 4; h++) { /* dwords 2h, 2h + 1: sub-block 2g + h / 2 */
                    const __m256i s = _mm256_add_epi16(_mm256_maddubs_epi16(w[2 * h], _mm256_set1_epi32(load_i32(q + 8 * h))),
                                                       _mm256_maddubs_epi16(w[2 * h + 1], _mm256_set1_epi32(load_i32(q + 8 * h + 4))));
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(s, _mm256_loadu_si256((const __m256i *)o->sc2[2 * g + h / 2])));
                }
            }
        }
        const __m256 dv = _mm256_loadu_ps(o->d);
        for (int t = 0; t < nt; t++)
            acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(dv, _mm256_set1_ps(a[t][b].d)), _mm256_cvtepi32_ps(isum[t]), acc[t]);
    }
    for (int t = 0; t < nt; t++) _mm256_maskstore_ps(y + (size_t)(t0 + t) * (size_t)ldy + rs, mask, acc[t]);
}

/* Every token over one packed strip (pk: x86_t8k_block, or x86_t8q6_block
 * if q6) of rows rs .. rs + 7, stored in the lanes of mask, X86_T8K_T at a
 * time; meanwhile pfb bytes from pf (the next strip) into L2, a slice per
 * pass (as the AVX-512 tiles do). */
static void x86_t8k_strip(const void *pk, int q6, int has_qh, int nsb, const void *act, size_t act_row_bytes,
                          int n_tok, float *y, int ldy, int rs, __m256i mask, const char *pf, size_t pfb)
{
    const int ngr = n_tok / X86_T8K_T > 0 ? n_tok / X86_T8K_T : 1;
    int t = 0;
    for (int gi = 0; t + X86_T8K_T <= n_tok; t += X86_T8K_T, gi++) {
        x86_prefetch_l2_slice(pf, pfb, gi, ngr);
        /* an instance per type, so has_qh is a constant in each */
        if (q6) x86_t8q6_run(pk, nsb, act, act_row_bytes, t, y, ldy, rs, mask, X86_T8K_T);
        else if (has_qh) x86_t8k_run(pk, nsb, 1, act, act_row_bytes, t, y, ldy, rs, mask, X86_T8K_T);
        else x86_t8k_run(pk, nsb, 0, act, act_row_bytes, t, y, ldy, rs, mask, X86_T8K_T);
    }
    for (; t < n_tok; t++) {
        if (q6) x86_t8q6_run(pk, nsb, act, act_row_bytes, t, y, ldy, rs, mask, 1);
        else if (has_qh) x86_t8k_run(pk, nsb, 1, act, act_row_bytes, t, y, ldy, rs, mask, 1);
        else x86_t8k_run(pk, nsb, 0, act, act_row_bytes, t, y, ldy, rs, mask, 1);
    }
}

/* One buffer for either strip layout (84 KiB). */
typedef union {
    x86_t8k_block k[X86_T8K_MAX_SB];
    x86_t8q6_block q6[X86_T8K_MAX_SB];
} x86_t8k_strip_buf;

/* The whole product for Q4_K / Q5_K / Q6_K weights in rows; false: shape
 * not handled. */
__attribute__((noinline)) static bool x86_t8k_matmul(uint32_t wtype, const void *w, size_t w_row_bytes,
                                                     const void *act, size_t act_row_bytes, int n, int r0,
                                                     int r1, int n_tok, float *y, int ldy)
{
    const int nsb = n / QK_K;
    if ((wtype != HONE_TYPE_Q4_K && wtype != HONE_TYPE_Q5_K && wtype != HONE_TYPE_Q6_K) || nsb > X86_T8K_MAX_SB ||
        nsb < 1)
        return false;
    const int has_qh = wtype == HONE_TYPE_Q5_K, q6 = wtype == HONE_TYPE_Q6_K;
    x86_t8k_strip_buf pk;
    for (int rs = r0; rs < r1; rs += 8) {
        const int nr = r1 - rs < 8 ? r1 - rs : 8;
        if (q6) x86_t8q6_pack(w, w_row_bytes, rs, r1, nsb, pk.q6);
        else x86_t8k_pack(w, w_row_bytes, has_qh, rs, r1, nsb, pk.k);
        const int p0 = rs + 8, p1 = rs + 16 < r1 ? rs + 16 : r1;
        const size_t pfb = p0 < p1 ? (size_t)(p1 - p0) * w_row_bytes : 0;
        x86_t8k_strip(&pk, q6, has_qh, nsb, act, act_row_bytes, n_tok, y, ldy, rs, x86_lanes_range(0, nr),
                      (const char *)w + (size_t)p0 * w_row_bytes, pfb);
    }
    return true;
}

#endif
