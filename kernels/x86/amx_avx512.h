/* amx_avx512.h — prompt products on Intel AMX (the TMUL's int8 tiles),
 * for matrices in the avx512 set's 16-row groups (r16_avx512.h,
 * r16k_avx512.h). Included by x86/avx512.c after those headers; its
 * table for CPUs with AMX-INT8 (and the OS's leave to use it:
 * kernels.c) routes batches of more than X86_R16_MAX_TOK tokens here.
 *
 * Why: the VNNI tiles (tiles16_vnni.h) spend 8 vpdpbusd per token per
 * 16 rows x 32 elements; one tdpbssd does 16 tokens x 16 rows x 32
 * elements on a unit of its own. What is left on the vector ports is the
 * float step per (token, 16 rows, block) that every path has.
 *
 * The layouts already are what the TMUL reads: a B tile (K/4 rows of 64
 * bytes, row k holding dword k of each of 16 output columns) is a group's
 * dword columns, so the weights' side needs no transposes (Q8_0: none of
 * anything, the tile loads from the layout). The A tile (16 tokens x K
 * bytes) is activation rows copied into tile order (Q4_0 / Q8_0: once
 * per chunk of tokens; the K-quants: once per call, with their d and
 * sums). C (16 tokens x
 * 16 rows of int32) goes to memory, and each of its rows is one token's
 * 16 row sums in lanes, as the VNNI tiles hold them.
 *
 * What bounds it on the Intel Xeon guest measured (2 cores): a product
 * with K = 32 costs as much TMUL time as one with 64, and a product plus
 * the store of its sums ~12 ns whatever the order (two, four sums tiles,
 * shared A or B). So the K-quants (Q4_K, Q5_K, Q6_K) take K = 64 products
 * with their sub-block scales folded into pre-scaled weights, summed over
 * a whole super-block before one store (a product per sub-block, K = 16
 * for Q6_K, had measured no faster than the VNNI tiles).
 *
 * Numerics: the integer sums are exact, so they equal the VNNI tiles'
 * (which add an offset and take it off again); the float steps after them
 * are the tiles' own, in their order. The bits equal matmul over the rows
 * as stored (test_kernels_isa test_repack). */
#ifndef HONE_X86_AMX_AVX512_H
#define HONE_X86_AMX_AVX512_H

/* Tuned for Sapphire Rapids whatever the build's -mtune: every CPU with
 * AMX is an Intel server core of that line or later, and the portable
 * build's -mtune=generic cost its AMX products ~3 %: an Intel Xeon with AMX
 * (round twenty-one), bench-1b Q4_0 pp512 t=2, portable / native 0.955x
 * -> 0.985x (6 interleaved rounds). */
#define X86_AMX __attribute__((target("amx-tile,amx-int8,tune=sapphirerapids")))

/* Tile configuration, palette 1 (Intel SDM, LDTILECFG): bytes per row and
 * rows of each of the 8 tiles. */
typedef struct {
    uint8_t palette, start_row, rsv[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} x86_amx_cfg;

/* Tiles, k64 false (x86_amx_q8_chain): sets (0, 4, 6) and (1, 5, 7) of
 * sums (C, 16 tokens x 16 rows), weights (B, 8 rows of 64 bytes: K = 32)
 * and activations (A, 32 bytes of 16 tokens), used in turn; 2 and 3 stay
 * unconfigured. k64 (x86_amx_ks_sb, x86_amx_k4_sb2): all 8 tiles 16
 * rows of 64 bytes; sums 0-2 (a pair of token tiles: 0, 1 and 2, 6),
 * activations 3 and 7 (K = 64), weights 4-6 (a pair: 4, 5). */
X86_AMX static void x86_amx_config(bool k64)
{
    x86_amx_cfg c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    if (k64)
        for (int i = 0; i < 8; i++) c.colsb[i] = 64, c.rows[i] = 16;
    else
        for (int i = 0; i < 2; i++) {
            c.colsb[i] = 64, c.rows[i] = 16;
            c.colsb[4 + i] = 64, c.rows[4 + i] = 8;
            c.colsb[6 + i] = 32, c.rows[6 + i] = 16;
        }
    /* GCC 12 does not count ldtilecfg as reading the 64 bytes: without
     * this it dropped the stores to colsb and rows (then a #GP) */
    __asm__ __volatile__("" : : "m"(c) : "memory");
    _tile_loadconfig(&c);
}

/* --- Q4_0 / Q8_0 ----------------------------------------------------------
 *
 * Per block b: B = the block's 8 dword columns as signed bytes (Q8_0: the
 * layout itself; Q4_0: its nibbles - 8, unpacked once per group into pk),
 * A = 32 quant bytes of 16 tokens, C = tdpbssd(A, B) the exact sums. Then
 * per token t: acc[b & 1][t] = fma(C[t], dx * dy[t], ...), with acc0 over
 * the even blocks and acc1 over the odd as x86_tile_run keeps them.
 *
 * The activations of a chunk of tokens are copied once into A tiles'
 * order (aq: per token tile and block, 16 rows of 32 bytes, zeros past the
 * last token), which also pads a last partial tile. (Against loads
 * straight from the rows: within the noise.) */
enum { X86_AMX_CH = 16384 };

/* A group's Q4_0 nibbles as signed B tiles: pk[b] is block b's 8 rows of
 * 64 bytes (dwords 0-3 the low nibbles, 4-7 the high, as the layout's
 * element order). */
static void x86_amx_q4_0_unpack(const uint8_t *gp, int nb, int8_t (*pk)[512])
{
    const __m512i m4 = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
    for (int b = 0; b < nb; b++) {
        const uint8_t *bp = gp + (size_t)b * X86_R16_BLOCK + 32;
        for (int k = 0; k < 4; k++) {
            const __m512i q = _mm512_loadu_si512(bp + 64 * k);
            _mm512_storeu_si512(pk[b] + 64 * k, _mm512_sub_epi8(_mm512_and_si512(q, m4), eight));
            _mm512_storeu_si512(pk[b] + 64 * (k + 4),
                                _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(q, 4), m4), eight));
        }
    }
}

/* Tokens [tc, tc + nt) of Q8_0 activation rows as A tiles (aq[tile * nb +
 * b] 16 x 32 bytes, zeros past nt) and their scales (dy[b * ch + t]). */
static void x86_amx_q8_act(const char *act, size_t arb, int tc, int nt, int nb, int ch, int8_t (*aq)[512],
                           float *dy)
{
    const int ntile = (nt + 15) / 16;
    for (int t = 0; t < 16 * ntile; t++) {
        const block_q8_0 *a = t < nt ? (const block_q8_0 *)(act + (size_t)(tc + t) * arb) : NULL;
        for (int b = 0; b < nb; b++) {
            int8_t *o = aq[(size_t)(t / 16) * (size_t)nb + (size_t)b] + 32 * (t % 16);
            if (!a) {
                memset(o, 0, 32);
                continue;
            }
            memcpy(o, a[b].qs, 32);
            dy[(size_t)b * (size_t)ch + t] = h2f(a[b].d);
        }
    }
}

/* One block's sums of a token tile into tile C (B tile BT, A tile AT:
 * literal tile numbers). */
#define X86_AMX_DP(C, BT, AT, bsrc, asrc)                                                                          \
    do {                                                                                                           \
        _tile_loadd(BT, bsrc, 64);                                                                                 \
        _tile_loadd(AT, asrc, 32);                                                                                 \
        _tile_zero(C);                                                                                             \
        _tile_dpbssd(C, AT, BT);                                                                                   \
    } while (0)

/* The pipeline of x86_amx_q8_chain, over steps 0 .. n - 1 whose products
 * DP(C, BT, AT, step) issues and whose sums go to the rows of c[step % 2]
 * (int32_t[2][16][16]): the start issues steps 0 and 1 and stores 0; step
 * i stores i + 1 and issues i + 2, before the caller's float steps of i. */
#define X86_AMX_PIPE_START(DP, n, c)                                                                               \
    do {                                                                                                           \
        DP(0, 4, 6, 0);                                                                                            \
        if ((n) > 1) DP(1, 5, 7, 1);                                                                               \
        _tile_stored(0, (c)[0], 64);                                                                               \
    } while (0)
#define X86_AMX_PIPE_STEP(DP, i, n, c)                                                                             \
    do {                                                                                                           \
        if ((i) & 1) {                                                                                             \
            if ((i) + 1 < (n)) _tile_stored(0, (c)[0], 64);                                                        \
            if ((i) + 2 < (n)) DP(1, 5, 7, (i) + 2);                                                               \
        } else {                                                                                                   \
            if ((i) + 1 < (n)) _tile_stored(1, (c)[1], 64);                                                        \
            if ((i) + 2 < (n)) DP(0, 4, 6, (i) + 2);                                                               \
        }                                                                                                          \
    } while (0)

/* Block b's B tile. */
X86_INLINE const void *x86_amx_q8_b(bool q8, const uint8_t *gp, const int8_t (*pk)[512], int b)
{
    return q8 ? (const void *)(gp + (size_t)b * 16 * sizeof(block_q8_0) + 32) : (const void *)pk[b];
}

/* acc[t] (t < nt) += the blocks b0, b0 + 2, ... of a token tile (A tiles
 * a0[b]) against a group: the even or the odd blocks' chain, in registers.
 * A three-stage pipeline over the chain's blocks j: the products of j + 2
 * are issued, the sums of j + 1 stored and the float steps of j taken in
 * one step, on two tile sets (0, 4, 6 and 1, 5, 7) in turn. The TMUL's
 * tiles are not renamed: with a product right ahead of its store and the
 * float steps right behind it, each waited for the last (bench-1b Q4_0
 * pp512 +10 %, interleaved; a step further ahead, four sums tiles sharing
 * the A and B tiles: -29 %). The two chains (even, odd blocks) run one
 * after the other, so each keeps its 16 tokens' sums in registers: two
 * token tiles at once, their sums in memory, were 25 % slower. */
#define X86_AMX_Q8_DP(C, BT, AT, j) X86_AMX_DP(C, BT, AT, x86_amx_q8_b(q8, gp, pk, b0 + 2 * (j)), a0[b0 + 2 * (j)])
X86_AMX X86_INLINE void x86_amx_q8_chain(bool q8, const uint8_t *gp, const int8_t (*pk)[512], int nb, int b0,
                                         const int8_t (*a0)[512], const float *dy, int ch, int nt, __m512 acc[16])
{
    _Alignas(64) int32_t c[2][16][16];
    const size_t blk = q8 ? 16 * sizeof(block_q8_0) : X86_R16_BLOCK;
    const int n = (nb - b0 + 1) / 2; /* blocks b0 + 2j, j < n */
    if (n < 1) return;
    X86_AMX_PIPE_START(X86_AMX_Q8_DP, n, c);
    for (int j = 0; j < n; j++) {
        X86_AMX_PIPE_STEP(X86_AMX_Q8_DP, j, n, c);
        const int b = b0 + 2 * j;
        const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(gp + (size_t)b * blk)));
        const float *dyb = dy + (size_t)b * (size_t)ch;
        const int32_t(*cj)[16] = (const int32_t(*)[16])c[j & 1];
        for (int t = 0; t < nt; t++)
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(cj[t])),
                                     _mm512_mul_ps(dx, _mm512_set1_ps(dyb[t])), acc[t]);
    }
}

/* Token tile tt of the chunk (nt <= 16 of its tokens valid) against a
 * group: y rows rs + lane (masked). */
X86_AMX X86_INLINE void x86_amx_q8_run(bool q8, const uint8_t *gp, const int8_t (*pk)[512], int nb,
                                       const int8_t (*aq)[512], const float *dy, int ch, int tt, int nt, float *y,
                                       int ldy, int rs, __mmask16 rows)
{
    const int8_t(*a0)[512] = aq + (size_t)tt * (size_t)nb;
    const float *dyt = dy + 16 * tt;
    __m512 acc[16];
    _Alignas(64) float even[16][16];
    for (int t = 0; t < 16; t++) acc[t] = _mm512_setzero_ps();
    x86_amx_q8_chain(q8, gp, pk, nb, 0, a0, dyt, ch, nt, acc);
    for (int t = 0; t < 16; t++) {
        _mm512_store_ps(even[t], acc[t]);
        acc[t] = _mm512_setzero_ps();
    }
    x86_amx_q8_chain(q8, gp, pk, nb, 1, a0, dyt, ch, nt, acc);
    for (int t = 0; t < nt; t++)
        _mm512_mask_storeu_ps(y + (size_t)(16 * tt + t) * (size_t)ldy + rs, rows,
                              _mm512_add_ps(_mm512_load_ps(even[t]), acc[t]));
}

/* The product for Q4_0 / Q8_0 groups (whole groups: one only partly in
 * [r0, r1) is run whole and stored masked), n_tok > 0 tokens. Stack:
 * ~720 KiB (the strip, the chunk's A tiles and scales), as the VNNI
 * tiles' frame. */
X86_AMX __attribute__((noinline)) static void x86_amx_q8_matmul(bool q8, const void *w, size_t w_row_bytes,
                                                                const void *act, size_t arb, int n, int r0,
                                                                int r1, int n_tok, float *y, int ldy)
{
    const int nb = n / 32; /* x86_r16_repack took 1 .. X86_TILE_MAX_NB */
    _Alignas(64) int8_t pk[X86_TILE_MAX_NB][512];
    _Alignas(64) int8_t aq[X86_AMX_CH / 16][512];
    float dy[X86_AMX_CH];
    int ch = X86_AMX_CH / nb / 16 * 16; /* >= 64 */
    if (ch > n_tok) ch = n_tok;
    const int8_t(*pkc)[512] = (const int8_t(*)[512])pk;
    const int8_t(*aqc)[512] = (const int8_t(*)[512])aq;
    x86_amx_config(false);
    for (int tc = 0; tc < n_tok; tc += ch) {
        const int nt = tc + ch < n_tok ? ch : n_tok - tc;
        x86_amx_q8_act((const char *)act, arb, tc, nt, nb, ch, aq, dy);
        float *yc = y + (size_t)tc * (size_t)ldy;
        for (int rs = r0 / 16 * 16; rs < r1; rs += 16) {
            const __mmask16 rows = x86_r16_lanes(rs, r0, r1);
            const uint8_t *gp = (const uint8_t *)w + (size_t)rs * w_row_bytes;
            if (!q8) x86_amx_q4_0_unpack(gp, nb, pk);
            const int ngr = (nt + 15) / 16;
            int t = 0;
            for (int gi = 0; t + 16 <= nt; t += 16, gi++) {
                x86_tile_prefetch(w, w_row_bytes, rs, r1, gi, ngr);
                x86_amx_q8_run(q8, gp, pkc, nb, aqc, dy, ch, t / 16, 16, yc, ldy, rs, rows);
            }
            if (t < nt) x86_amx_q8_run(q8, gp, pkc, nb, aqc, dy, ch, t / 16, nt - t, yc, ldy, rs, rows);
        }
    }
    _tile_release();
}

/* --- Q4_K / Q5_K ------------------------------------------------------------
 *
 * The scales go into the TMUL's integer sums:
 *   sum_j sc_j * dot_j = 8 * sum_j (sc_j >> 3) * dot_j + sum_j (sc_j & 7) * dot_j
 * and a value times a 3-bit part fits an unsigned byte (Q5_K: 31 * 7 =
 * 217), so each part is a B tile of pre-scaled weights, summed over all 8
 * sub-blocks in one C tile. Per super-block, 64 elements (two
 * sub-blocks) a product: 2 x 4 tdpbsud into 2 C tiles, two stores, then
 * per token a shift, an add and the float steps. The mins term, sum_j m_j
 * * (the sum of the sub-block's activations), is four vpdpwssd per token
 * on the vector ports: the Q8_K bsums added in pairs, against m_j in
 * int16 pairs. Every integer is exact (|sum| < 2^31), so isum and the
 * mins sum are those of the VNNI tiles' sub-block steps, and the float
 * steps are theirs, in order.
 *
 * Before (round twenty-four), a product per sub-block (K = 32) left the
 * vector ports a vpmulld per token and sub-block for the scale and eight
 * vpdpwssd per token and super-block for the mins: those, not the TMUL,
 * bounded it (bench-1b Q4_K_M pp512 t=2: 1.29x since). The mins were then
 * a third B tile (each row's m_j in every byte) and a third product per
 * 64 elements; four vpdpwssd per token cost less than that tile's loads
 * (round twenty-five: 1.13x). What bounds the products is their tile
 * loads, not the TMUL: see x86_amx_at. */
typedef struct {
    /* B tiles p (K = 64: sub-blocks 2p, 2p + 1): w[0] value * (sc >> 3),
     * w[1] value * (sc & 7) (Q6_K: value * digit i of the scale, below;
     * w[2] is Q6_K's only) */
    int32_t w[3][4][16][16];
    /* Q4_K / Q5_K: m_2p and m_2p+1 in the 16-bit halves of each row's lane */
    int32_t mp[4][16];
    float d[16], mn[16]; /* d and -dmin per row (Q6_K: d) */
} x86_amx_ks;

/* The low 16 bits of each int32 lane in both of its halves (a factor for
 * vpmullw on the lane's bytes). */
X86_INLINE __m512i x86_dup16(__m512i x)
{
    return _mm512_or_si512(_mm512_and_si512(x, _mm512_set1_epi32(0xffff)), _mm512_slli_epi32(x, 16));
}

/* Super-block bp of a group of Q4_K / Q5_K rows (the R16 layout,
 * r16_layout.h) as x86_amx_ks: x86_tile_k4_pack_r16's unpacking, each
 * value then times the two scale parts. Those multiply whole 16-bit
 * words: a byte times a part stays below 256, so nothing carries into the
 * next byte. */
X86_AMX static void x86_amx_k4s_pack(const uint8_t *bp, int has_qh, x86_amx_ks *o)
{
    const __m512i seven = _mm512_set1_epi32(7);
    __m512i sc[8], m[8], sh[8], sl[8];
    x86_r16k_head(bp, o->d, o->mn, sc, m);
    for (int j = 0; j < 8; j++) {
        /* the parts in both 16-bit halves of each lane */
        sh[j] = x86_dup16(_mm512_srli_epi32(sc[j], 3));
        sl[j] = x86_dup16(_mm512_and_si512(sc[j], seven));
    }
    for (int p = 0; p < 4; p++) _mm512_storeu_si512(o->mp[p], _mm512_or_si512(m[2 * p], _mm512_slli_epi32(m[2 * p + 1], 16)));
    /* 32-byte chunk c: sub-blocks 2c (low nibbles: rows 0-7 of B tile c)
     * and 2c + 1 (high: rows 8-15) */
    for (int c = 0; c < 4; c++)
        for (int k = 0; k < 8; k++) {
            __m512i lo, hi;
            x86_r16k_values(bp, has_qh, c, k, &lo, &hi);
            _mm512_storeu_si512(o->w[0][c][k], _mm512_mullo_epi16(lo, sh[2 * c]));
            _mm512_storeu_si512(o->w[1][c][k], _mm512_mullo_epi16(lo, sl[2 * c]));
            _mm512_storeu_si512(o->w[0][c][8 + k], _mm512_mullo_epi16(hi, sh[2 * c + 1]));
            _mm512_storeu_si512(o->w[1][c][8 + k], _mm512_mullo_epi16(hi, sl[2 * c + 1]));
        }
}

/* --- Q6_K ------------------------------------------------------------------
 *
 * The same folding, for signed values (q - 32, -32 .. 31) and signed
 * 8-bit scales per 16 elements: each scale in balanced base 7,
 *   sc = d0 + 7 * d1 + 49 * d2,  d_i in -3 .. 3 (any of -128 .. 127),
 * so a value times a digit is a signed byte (|v * d| <= 96) and
 *   sum_j sc_j * dot_j = C0 + 7 * (C1 + 7 * C2),  C_i = sum_j d_ij * dot_j
 * is three tdpbssd per 64 elements into three C tiles, with no offset
 * and no mins term (the VNNI tiles' q + 32 needs both). Exact integers
 * (|C_i| < 2^22, the sum < 2^28), so isum is the VNNI tiles', and so are
 * the float steps. */
/* Signed bytes v times d (int16 lanes, -3 .. 3, the same in both halves of
 * a dword): the even and odd bytes sign-extended, multiplied, put back. */
X86_INLINE __m512i x86_mul_i8_by_i16(__m512i v, __m512i d)
{
    const __m512i lo = _mm512_mullo_epi16(_mm512_srai_epi16(_mm512_slli_epi16(v, 8), 8), d);
    const __m512i hi = _mm512_mullo_epi16(_mm512_srai_epi16(v, 8), d);
    return _mm512_or_si512(_mm512_and_si512(lo, _mm512_set1_epi16(0xff)), _mm512_slli_epi16(hi, 8));
}

/* x / 7 rounded to nearest, for int32 lanes x in -128 .. 128: floor((x +
 * 129) / 7) - 18, the division a multiply by 9363 / 2^16 (exact for
 * these: its error stays below 1/256 of a step). */
X86_INLINE __m512i x86_round_div7(__m512i x)
{
    const __m512i y = _mm512_add_epi32(x, _mm512_set1_epi32(129));
    return _mm512_sub_epi32(_mm512_srli_epi32(_mm512_mullo_epi32(y, _mm512_set1_epi32(9363)), 16), _mm512_set1_epi32(18));
}

/* Super-block bp of a group of Q6_K rows (R16 layout) as x86_amx_ks. */
X86_AMX static void x86_amx_q6s_pack(const uint8_t *bp, x86_amx_ks *o)
{
    const __m512i k32 = _mm512_set1_epi8(32), seven = _mm512_set1_epi32(7);
    _mm512_storeu_ps(o->d, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)bp)));
    __m512i sc[16], dg[3][16];
    x86_r16q6_scales(bp, sc);
    for (int j = 0; j < 16; j++) {
        /* balanced base 7: d0 = sc - 7 * round(sc / 7), and so on */
        const __m512i q1 = x86_round_div7(sc[j]), d0 = _mm512_sub_epi32(sc[j], _mm512_mullo_epi32(q1, seven));
        const __m512i d2 = x86_round_div7(q1), d1 = _mm512_sub_epi32(q1, _mm512_mullo_epi32(d2, seven));
        dg[0][j] = x86_dup16(d0);
        dg[1][j] = x86_dup16(d1);
        dg[2][j] = x86_dup16(d2);
    }
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 8; k++) {
            __m512i u[4];
            x86_r16q6_quarters(bp, h, k, u);
            for (int q = 0; q < 4; q++) {
                /* group g = 4h + q: sub-block 2g + k / 4; tile g / 2, rows 8 (g % 2) + k */
                const int g = 4 * h + q, j = 2 * g + k / 4;
                const __m512i v = _mm512_sub_epi8(u[q], k32);
                for (int i = 0; i < 3; i++)
                    _mm512_storeu_si512(o->w[i][g / 2][8 * (g % 2) + k], x86_mul_i8_by_i16(v, dg[i][j]));
            }
        }
}

/* A token tile's activations for one super-block, as the products and
 * float steps read them (x86_amx_k_act): the quants as four A tiles (16
 * tokens x 64 bytes, contiguous), each token's d, and its sub-block sums
 * in int16 pairs for Q4_K / Q5_K's mins term, (s0 s1) (s2 s3) (s4 s5)
 * (s6 s7). Zeros past the last token.
 *
 * Why a copy: an A tile straight from the Q8_K rows is 16 rows of 64
 * bytes, nearly all across two cache lines (the 292-byte blocks), and with
 * the pack's B tiles those loads, not the TMUL, bound the products (a
 * tdpbsud alone 4.3 ns, a super-block's 8 with their 12 loads ~100 ns;
 * from contiguous records ~85, and ~62 when two token tiles share each B
 * tile: x86_amx_k4_sb2). The rows' bsums and d move into the records
 * too, so a product's float steps touch no row. */
typedef struct {
    int8_t q[4][16][64];
    float d[16];
    int32_t s[16][4];
} x86_amx_at;

/* Tokens [0, n_tok) of Q8_K rows (arb bytes apart) as records at[tile *
 * nsb + b]. */
static void x86_amx_k_act(const char *act, size_t arb, int n_tok, int nsb, x86_amx_at *at)
{
    const int ntt = (n_tok + 15) / 16;
    /* (a token's sums are its A row's alone, so this is only for reads
     * of defined memory) */
    if (n_tok % 16) memset(&at[(size_t)(ntt - 1) * (size_t)nsb], 0, (size_t)nsb * sizeof *at);
    for (int t = 0; t < n_tok; t++) {
        const block_q8_K *a = (const block_q8_K *)(act + (size_t)t * arb);
        x86_amx_at *r = &at[(size_t)(t / 16) * (size_t)nsb];
        const int i = t % 16;
        for (int b = 0; b < nsb; b++) {
            for (int p = 0; p < 4; p++) _mm512_store_si512(r[b].q[p][i], _mm512_loadu_si512(a[b].qs + 64 * p));
            r[b].d[i] = a[b].d;
            /* pairs of bsums added, the sums saturated to int16 (|s| <=
             * 32 * 128, exact) in each 128-bit half, the halves' low
             * 8 bytes together */
            const __m256i s32 = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)a[b].bsums), _mm256_set1_epi16(1));
            const __m256i s16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(s32, s32), 0x08);
            _mm_storeu_si128((__m128i *)r[b].s[i], _mm256_castsi256_si128(s16));
        }
    }
}

/* Q4_K / Q5_K: super-block o's float steps for nt tokens (record ar, C
 * tiles stored in c: 8 C0 + C1 is isum) into acc. The mins term: the
 * sub-blocks' sums in pairs times mp, four vpdpwssd; then as
 * x86_tile_k4_run. */
X86_INLINE void x86_amx_k4_steps(const x86_amx_ks *o, const x86_amx_at *ar, int32_t (*c)[16][16], int nt, bool first,
                                 __m512 *acc)
{
    const __m512 dv = _mm512_loadu_ps(o->d), mnv = _mm512_loadu_ps(o->mn);
    for (int t = 0; t < nt; t++) {
        const int32_t *s16 = ar->s[t];
        __m512i mins = _mm512_setzero_si512();
        for (int p = 0; p < 4; p++) mins = _mm512_dpwssd_epi32(mins, _mm512_set1_epi32(s16[p]), _mm512_loadu_si512(o->mp[p]));
        const __m512i isum = _mm512_add_epi32(_mm512_slli_epi32(_mm512_load_si512(c[0][t]), 3), _mm512_load_si512(c[1][t]));
        const __m512 v = _mm512_fmadd_ps(mnv, _mm512_cvtepi32_ps(mins), _mm512_mul_ps(dv, _mm512_cvtepi32_ps(isum)));
        acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(ar->d[t]), v, first ? _mm512_setzero_ps() : acc[t]);
    }
}

/* Q6_K: the same for its three sums, C0 + 7 (C1 + 7 C2) (x * 7 = (x <<
 * 3) - x); then as x86_tile_q6_run. */
X86_INLINE void x86_amx_q6_steps(const x86_amx_ks *o, const x86_amx_at *ar, int32_t (*c)[16][16], int nt, bool first,
                                 __m512 *acc)
{
    const __m512 dv = _mm512_loadu_ps(o->d);
    for (int t = 0; t < nt; t++) {
        const __m512i c0 = _mm512_load_si512(c[0][t]), c1 = _mm512_load_si512(c[1][t]);
        __m512i s = _mm512_load_si512(c[2][t]);
        s = _mm512_add_epi32(_mm512_sub_epi32(_mm512_slli_epi32(s, 3), s), c1);
        s = _mm512_add_epi32(_mm512_sub_epi32(_mm512_slli_epi32(s, 3), s), c0);
        acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(dv, _mm512_set1_ps(ar->d[t])), _mm512_cvtepi32_ps(s),
                                 first ? _mm512_setzero_ps() : acc[t]);
    }
}

/* Elements 64p .. 64p + 63 of super-block o (record ar) into the sums (A
 * tile AT: a literal tile number); Q6_K's values and digits are signed. */
#define X86_AMX_KS_DP(AT, p)                                                                                       \
    do {                                                                                                           \
        _tile_loadd(AT, ar->q[p], 64);                                                                             \
        _tile_loadd(4, o->w[0][p], 64);                                                                            \
        _tile_loadd(5, o->w[1][p], 64);                                                                            \
        if (q6) {                                                                                                  \
            _tile_loadd(6, o->w[2][p], 64);                                                                        \
            _tile_dpbssd(0, AT, 4);                                                                                \
            _tile_dpbssd(1, AT, 5);                                                                                \
            _tile_dpbssd(2, AT, 6);                                                                                \
        } else {                                                                                                   \
            _tile_dpbsud(0, AT, 4);                                                                                \
            _tile_dpbsud(1, AT, 5);                                                                                \
        }                                                                                                          \
    } while (0)

/* Super-block o of a packed strip (q6: Q6_K's, else Q4_K / Q5_K's)
 * against a token tile (record ar, nt of its tokens valid): its float
 * steps into acc. */
X86_AMX X86_INLINE void x86_amx_ks_sb(bool q6, const x86_amx_ks *o, const x86_amx_at *ar, int nt, bool first,
                                      __m512 *acc)
{
    _Alignas(64) int32_t c[3][16][16];
    _tile_zero(0);
    _tile_zero(1);
    if (q6) _tile_zero(2);
    /* the activations in tiles 3 and 7 in turn: one product's A loads
     * while the last one's run (+1.3 %) */
    for (int p = 0; p < 4; p += 2) {
        X86_AMX_KS_DP(3, p);
        X86_AMX_KS_DP(7, p + 1);
    }
    _tile_stored(0, c[0], 64);
    _tile_stored(1, c[1], 64);
    if (q6) {
        _tile_stored(2, c[2], 64);
        x86_amx_q6_steps(o, ar, c, nt, first, acc);
    } else {
        x86_amx_k4_steps(o, ar, c, nt, first, acc);
    }
}

/* Q4_K / Q5_K: super-block o against two token tiles (records a0, whole,
 * and a1, nt1 tokens valid) at once: each B tile loaded serves both, C
 * tiles (0, 1) and (2, 6), A tiles 3 and 7. (Q6_K's three sums a token
 * tile leave no tiles for this.) */
X86_AMX X86_INLINE void x86_amx_k4_sb2(const x86_amx_ks *o, const x86_amx_at *a0, const x86_amx_at *a1, int nt1,
                                       bool first, __m512 *acc)
{
    _Alignas(64) int32_t c[2][2][16][16];
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(6);
    for (int p = 0; p < 4; p++) {
        _tile_loadd(3, a0->q[p], 64);
        _tile_loadd(4, o->w[0][p], 64);
        _tile_loadd(5, o->w[1][p], 64);
        _tile_loadd(7, a1->q[p], 64);
        _tile_dpbsud(0, 3, 4);
        _tile_dpbsud(1, 3, 5);
        _tile_dpbsud(2, 7, 4);
        _tile_dpbsud(6, 7, 5);
    }
    _tile_stored(0, c[0][0], 64);
    _tile_stored(1, c[0][1], 64);
    _tile_stored(2, c[1][0], 64);
    _tile_stored(6, c[1][1], 64);
    x86_amx_k4_steps(o, a0, c[0], 16, first, acc);
    x86_amx_k4_steps(o, a1, c[1], nt1, first, acc + 16);
}

/* Super-block o against the cn tokens of a chunk (their records ar[0],
 * ar[nsb], ...): Q4_K / Q5_K two token tiles at a time. */
X86_AMX X86_INLINE void x86_amx_ks_tiles(int kind, const x86_amx_ks *o, const x86_amx_at *ar, int nsb, int cn,
                                         bool first, __m512 *acc)
{
    for (int t = 0; t < cn;) {
        const x86_amx_at *a = &ar[(size_t)(t / 16) * (size_t)nsb];
        const int nt = cn - t < 16 ? cn - t : 16;
        if (kind != 6 && nt == 16 && t + 16 < cn) {
            const int nt1 = cn - t - 16 < 16 ? cn - t - 16 : 16;
            x86_amx_k4_sb2(o, a, a + nsb, nt1, first, acc + t);
            t += 16 + nt1;
            continue;
        }
        /* two instances, so q6 is a constant in each */
        if (kind == 6) x86_amx_ks_sb(true, o, a, nt, first, acc + t);
        else x86_amx_ks_sb(false, o, a, nt, first, acc + t);
        t += nt;
    }
}

/* Tokens per pass over a group's super-blocks (their sums in acc, on
 * the stack: 32 KiB). */
enum { X86_AMX_K_CH = 512 };

/* The product for Q4_K / Q5_K (kind 4 / 5: their values are unsigned
 * bytes) or Q6_K (kind 6) groups (whole groups, as x86_amx_q8_matmul's),
 * n_tok > 0 tokens.
 *
 * Per group and chunk of up to X86_AMX_K_CH tokens, super-block by
 * super-block: the super-block packed (into one of two buffers, in turn:
 * 12.7 KiB each, so the pack's stores and the B tiles' loads stay in L1),
 * then all the chunk's token tiles against it; only the records come
 * from L2. Each token's float steps still run over the super-blocks in
 * order, so the bits are those of one tile at a time. (A chunk past the
 * first packs the group again: a batch over 512 tokens.)
 *
 * The activation records (4.3 KiB per 16 tokens and super-block: 1-3 MiB
 * for a 512-token batch, too much for a stack) come from the heap; the
 * kernel API passes no scratch, and glibc serves a call after the first
 * from its arena (bench-1b pp512: no more page faults in five runs than
 * in one). False, nothing done: no memory (the caller falls back to the
 * VNNI tiles). Stack: ~60 KiB (two packed super-blocks, the chunk's
 * sums). */
X86_AMX __attribute__((noinline)) static bool x86_amx_k_matmul(int kind, const void *w, size_t w_row_bytes,
                                                               const void *act, size_t arb, int n, int r0, int r1,
                                                               int n_tok, float *y, int ldy)
{
    const int nsb = n / QK_K; /* the repack took 1 .. X86_TILE_K_MAX_SB */
    const int ntt = (n_tok + 15) / 16;
    x86_amx_at *at = aligned_alloc(64, (size_t)ntt * (size_t)nsb * sizeof *at);
    if (!at) return false;
    x86_amx_k_act((const char *)act, arb, n_tok, nsb, at);
    const size_t bsz = kind == 6 ? X86_R16Q6_BLOCK : kind == 5 ? X86_R16Q5_BLOCK : X86_R16K_BLOCK;
    x86_amx_ks pk[2];
    __m512 acc[X86_AMX_K_CH];
    x86_amx_config(true);
    for (int rs = r0 / 16 * 16; rs < r1; rs += 16) {
        const __mmask16 rows = x86_r16_lanes(rs, r0, r1);
        const uint8_t *gp = (const uint8_t *)w + (size_t)rs * w_row_bytes;
        for (int c0 = 0; c0 < n_tok; c0 += X86_AMX_K_CH) {
            const int cn = n_tok - c0 < X86_AMX_K_CH ? n_tok - c0 : X86_AMX_K_CH;
            const x86_amx_at *ac = &at[(size_t)(c0 / 16) * (size_t)nsb];
            for (int b = 0; b < nsb; b++) {
                x86_amx_ks *o = &pk[b & 1];
                if (kind == 6) x86_amx_q6s_pack(gp + (size_t)b * bsz, o);
                else x86_amx_k4s_pack(gp + (size_t)b * bsz, kind == 5, o);
                if (c0 == 0) x86_tile_prefetch(w, w_row_bytes, rs, r1, b, nsb);
                /* the first super-block starts the sums from zero
                 * rather than a cleared acc (a 32 KiB rep stos a group:
                 * 2.5 % of a Q4_K_M prompt); one instance each way, so
                 * first is a constant in each */
                if (b == 0) x86_amx_ks_tiles(kind, o, &ac[b], nsb, cn, true, acc);
                else x86_amx_ks_tiles(kind, o, &ac[b], nsb, cn, false, acc);
            }
            for (int t = 0; t < cn; t++) _mm512_mask_storeu_ps(y + (size_t)(c0 + t) * (size_t)ldy + rs, rows, acc[t]);
        }
    }
    _tile_release();
    free(at);
    return true;
}

#endif
