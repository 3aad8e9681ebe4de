/* r16_layout.h — the R16 layouts (HONE_WTYPE_R16) that the avx512 and
 * avx2 sets share, the repacks that write them, and the per-token terms
 * their Q4_0 / Q8_0 products read. Included by x86/tiles16_vnni.h (after
 * x86_tr16x4) and x86/rows8_avx2.h (after body256.h's x86_tr8x4): each
 * set transposes with its own registers, the bytes written are the same.
 *
 * A matrix is laid out in groups of 16 rows; a group keeps its byte range
 * (so the scheduler's row split is unchanged), and holds per super-block
 * the 16 rows' F16 fields side by side, then 64-byte "dword columns": lane
 * r (4 bytes) of column k is dword k of row r's bytes. A 256-bit set reads
 * rows 0-7 from a column's first 32 bytes and rows 8-15 from its last.
 * - Q4_0 (X86_R16_BLOCK, 288 bytes): the 16 F16 scales, 4 columns of the
 *   nibbles (low nibbles: elements 4k .. 4k+3, high: 16 + 4k ..).
 * - Q8_0 (X86_R16_Q8_BLOCK, 544 bytes): the scales, 8 columns of the
 *   signed bytes (elements 4k .. 4k+3).
 * - Q4_K (X86_R16K_*, 2304 bytes): d, dmin, 3 columns of the 12 packed
 *   scale bytes, 32 of the nibbles.
 * - Q5_K (X86_R16Q5_*, 2816 bytes): Q4_K's, with 8 columns of qh (the
 *   fifth bits) before the nibbles.
 * - Q6_K (X86_R16Q6_*, 3360 bytes): d, 4 columns of the int8 scales, 32
 *   of ql, 16 of qh.
 * Why rows in lanes: a sub-block is then a few multiply-adds against
 * broadcast activation dwords, each lane ends holding its row's exact sum,
 * and nothing crosses lanes (r16_avx512.h, r16k_avx512.h, r16_avx2.h,
 * r16k_avx2.h). */
#ifndef HONE_X86_R16_LAYOUT_H
#define HONE_X86_R16_LAYOUT_H

enum { X86_R16_BLOCK = 16 * sizeof(block_q4_0), X86_R16_Q8_BLOCK = 16 * sizeof(block_q8_0) };
_Static_assert(X86_R16_BLOCK == 32 + 4 * 64 && X86_R16_Q8_BLOCK == 32 + 8 * 64, "16 blocks' bytes");
/* the most blocks a repacked Q4_0 / Q8_0 row has: every set's prompt tiles
 * take that many (X86_TILE_MAX_NB, X86_T8_MAX_NB) */
enum { X86_R16_MAX_NB = 256 };
enum { X86_R16K_BLOCK = 16 * sizeof(block_q4_K), X86_R16K_DMIN = 32, X86_R16K_SCALES = 64, X86_R16K_QS = 256 };
_Static_assert(X86_R16K_QS + 32 * 64 == X86_R16K_BLOCK, "16 super-blocks' bytes");
enum { X86_R16Q5_BLOCK = 16 * sizeof(block_q5_K), X86_R16Q5_QH = 256, X86_R16Q5_QS = 768 };
_Static_assert(X86_R16Q5_QS + 32 * 64 == X86_R16Q5_BLOCK, "16 super-blocks' bytes");
enum { X86_R16Q6_BLOCK = 16 * sizeof(block_q6_K), X86_R16Q6_SCALES = 32, X86_R16Q6_QL = 288, X86_R16Q6_QH = 2336 };
_Static_assert(X86_R16Q6_QH + 16 * 64 == X86_R16Q6_BLOCK, "16 super-blocks' bytes");
/* The K-quant types laid out (a product's kind), and a kind's bytes per
 * super-block of a group. */
enum { X86_R16_Q4_K, X86_R16_Q5_K, X86_R16_Q6_K };
X86_INLINE int x86_r16k_kind(uint32_t type)
{
    return type == HONE_TYPE_Q6_K ? X86_R16_Q6_K : type == HONE_TYPE_Q5_K ? X86_R16_Q5_K : X86_R16_Q4_K;
}
X86_INLINE size_t x86_r16k_block(int kind)
{
    return kind == X86_R16_Q6_K ? X86_R16Q6_BLOCK : kind == X86_R16_Q5_K ? X86_R16Q5_BLOCK : X86_R16K_BLOCK;
}
/* the most super-blocks a repacked row has: every set's prompt tiles take
 * that many (X86_TILE_K_MAX_SB, X86_T8K_MAX_SB) */
enum { X86_R16K_MAX_SB = 32 };

/* Group g's rows are copied aside (rows16; p[r] is row r there) and the
 * layout is written over the group in place. */
X86_INLINE uint8_t *x86_r16_aside(void *w, int64_t g, size_t row_bytes, uint8_t *rows16, const char *p[16])
{
    uint8_t *gp = (uint8_t *)w + (size_t)g * 16 * row_bytes;
    memcpy(rows16, gp, 16 * row_bytes);
    for (int r = 0; r < 16; r++) p[r] = (const char *)rows16 + (size_t)r * row_bytes;
    return gp;
}

/* The 16 rows' 2-byte fields (an F16) at byte at, side by side at o. */
X86_INLINE void x86_r16_halves(const char *const *p, size_t at, uint8_t *o)
{
    for (int r = 0; r < 16; r++) memcpy(o + 2 * r, p[r] + at, 2);
}

/* The 16 rows' n 16-byte chunks from byte at as dword columns at o: 4n
 * 64-byte vectors, lane r of vector k holding dword k of row r's bytes;
 * only the first `keep` of the last chunk's 4 are stored (the Q4_K scales:
 * 12 bytes). */
X86_INLINE void x86_r16_cols_keep(const char *const *p, size_t at, int n, int keep, uint8_t *o)
{
    for (int h = 0; h < n; h++) {
        const int nk = h == n - 1 ? keep : 4;
#if defined(HONE_X86_VNNI)
        __m512i c[4];
        x86_tr16x4(p, at + 16 * (size_t)h, c);
        for (int k = 0; k < nk; k++) _mm512_storeu_si512(o + 64 * (4 * h + k), c[k]);
#else
        __m256i c[4], c8[4];
        x86_tr8x4(p, at + 16 * (size_t)h, c);
        x86_tr8x4(p + 8, at + 16 * (size_t)h, c8);
        for (int k = 0; k < nk; k++) {
            _mm256_storeu_si256((__m256i *)(o + 64 * (4 * h + k)), c[k]);
            _mm256_storeu_si256((__m256i *)(o + 64 * (4 * h + k) + 32), c8[k]);
        }
#endif
    }
}

X86_INLINE void x86_r16_cols(const char *const *p, size_t at, int n, uint8_t *o)
{
    x86_r16_cols_keep(p, at, n, 4, o);
}

/* One token's per-block terms, for the sets' few-token Q4_0 / Q8_0
 * products over the layout: its blocks, -off sum(a) (the set's own
 * offset: 8 for Q4_0's unsigned nibbles, 0 or 128 for Q8_0) and the
 * scale. */
typedef struct {
    const block_q8_0 *a;
    int32_t corr[X86_R16_MAX_NB];
    float dy[X86_R16_MAX_NB];
} x86_r16_act;

/* The terms of tokens 0 .. n_tok - 1 (nb blocks each, at most
 * X86_R16_MAX_NB) into a. */
X86_INLINE void x86_r16_acts(const void *act, size_t act_row_bytes, int n_tok, int nb, int off, x86_r16_act *a)
{
    for (int t = 0; t < n_tok; t++) {
        a[t].a = (const block_q8_0 *)((const char *)act + (size_t)t * act_row_bytes);
        x86_tile_act(act, act_row_bytes, t, 1, nb, off, a[t].corr, a[t].dy);
    }
}

/* The sets' Q4_0 / Q8_0 repack (hone_repack_fn): matrices whose rows come
 * in whole groups of 16 and whose blocks the tiles take (X86_R16_MAX_NB);
 * anything else stays in rows. */
static bool x86_r16_repack(uint32_t type, void *w, int64_t rows, size_t row_bytes)
{
    if ((type != HONE_TYPE_Q4_0 && type != HONE_TYPE_Q8_0) || rows % 16) return false;
    const bool q8 = type == HONE_TYPE_Q8_0;
    const size_t bsz = q8 ? sizeof(block_q8_0) : sizeof(block_q4_0), cols = q8 ? 8 : 4;
    _Static_assert(offsetof(block_q4_0, qs) == 2 && offsetof(block_q8_0, qs) == 2, "scale, then quants");
    const size_t nb = row_bytes / bsz;
    if (row_bytes % bsz || nb < 1 || nb > X86_R16_MAX_NB) return false;
    /* a copy of the group's rows (cannot fail: a part of a matrix repacked
     * by one thread must be repacked like the rest) */
    _Alignas(64) uint8_t rows16[16 * X86_R16_MAX_NB * sizeof(block_q8_0)];
    for (int64_t g = 0; g < rows / 16; g++) {
        const char *p[16];
        uint8_t *gp = x86_r16_aside(w, g, row_bytes, rows16, p);
        for (size_t b = 0; b < nb; b++) {
            uint8_t *o = gp + b * 16 * bsz;
            x86_r16_halves(p, b * bsz, o);
            x86_r16_cols(p, b * bsz + 2, (int)cols / 4, o + 32);
        }
    }
    return true;
}

/* The sets' K-quant repack (hone_repack_fn): Q4_K, Q5_K and Q6_K matrices
 * whose rows come in whole groups of 16 and whose super-blocks the tiles
 * take (X86_R16K_MAX_SB, for prompt batches); anything else stays in rows. */
static bool x86_r16k_repack(uint32_t type, void *w, int64_t rows, size_t row_bytes)
{
    if ((type != HONE_TYPE_Q4_K && type != HONE_TYPE_Q5_K && type != HONE_TYPE_Q6_K) || rows % 16) return false;
    const bool q6 = type == HONE_TYPE_Q6_K, q5 = type == HONE_TYPE_Q5_K;
    const size_t bsz = q6 ? sizeof(block_q6_K) : q5 ? sizeof(block_q5_K) : sizeof(block_q4_K), nsb = row_bytes / bsz;
    if (row_bytes % bsz || nsb < 1 || nsb > X86_R16K_MAX_SB) return false;
    _Static_assert(offsetof(block_q4_K, dmin) == 2 && offsetof(block_q4_K, scales) == 4 &&
                       offsetof(block_q4_K, qs) == 16, "d, dmin, 12 scale bytes, nibbles");
    _Static_assert(offsetof(block_q5_K, dmin) == 2 && offsetof(block_q5_K, scales) == 4 &&
                       offsetof(block_q5_K, qh) == 16 && offsetof(block_q5_K, qs) == 48,
                   "Q4_K's fields, with 32 bytes of qh before the nibbles");
    _Static_assert(offsetof(block_q6_K, qh) == 128 && offsetof(block_q6_K, scales) == 192 &&
                       offsetof(block_q6_K, d) == 208, "ql, qh, 16 scales, d");
    _Alignas(64) uint8_t rows16[16 * X86_R16K_MAX_SB * sizeof(block_q6_K)];
    for (int64_t g = 0; g < rows / 16; g++) {
        const char *p[16];
        uint8_t *gp = x86_r16_aside(w, g, row_bytes, rows16, p);
        for (size_t b = 0; b < nsb; b++) {
            uint8_t *o = gp + b * (q6 ? X86_R16Q6_BLOCK : q5 ? X86_R16Q5_BLOCK : X86_R16K_BLOCK);
            const size_t at = b * bsz;
            if (q6) {
                x86_r16_halves(p, at + offsetof(block_q6_K, d), o);
                x86_r16_cols(p, at + offsetof(block_q6_K, scales), 1, o + X86_R16Q6_SCALES);
                x86_r16_cols(p, at, 12, o + X86_R16Q6_QL); /* ql (8 chunks), then qh (4), in order */
                continue;
            }
            x86_r16_halves(p, at, o);
            x86_r16_halves(p, at + 2, o + X86_R16K_DMIN);
            /* the 12 scale bytes: 3 dword columns (a 4th would be the
             * first nibbles, and overrun the space) */
            x86_r16_cols_keep(p, at + 4, 1, 3, o + X86_R16K_SCALES);
            if (q5) {
                x86_r16_cols(p, at + 16, 2, o + X86_R16Q5_QH);
                x86_r16_cols(p, at + 48, 8, o + X86_R16Q5_QS);
            } else {
                x86_r16_cols(p, at + 16, 8, o + X86_R16K_QS);
            }
        }
    }
    return true;
}

/* Both x86 sets' repack (hone_repack_fn): Q4_0 / Q8_0, then the
 * K-quants; each declines, untouched, what it does not take. */
static bool x86_repack(uint32_t type, void *w, int64_t rows, size_t row_bytes)
{
    return x86_r16_repack(type, w, rows, row_bytes) || x86_r16k_repack(type, w, rows, row_bytes);
}

#endif
