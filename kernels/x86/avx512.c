/* avx512.c — the AVX-512 kernel set: F + BW + VL + VNNI. Compiled with
 * exactly those -m flags (kernels/CMakeLists.txt). The shared 256-bit
 * kernels of body256.h are built here with HONE_X86_VNNI, so their integer
 * multiply-accumulate steps use vpdpbusd / vpdpwssd; tiles16_vnni.h adds
 * the 16-row tiles and the decode rows. A second table adds the
 * AVX512_BF16 dot (x86/avx512_bf16.c) for CPUs that have it. */
#define HONE_X86_VNNI 1
#define X86_MAX_NT 8 /* 32 vector registers: 8 rows' accumulators fit */
#include <stdlib.h> /* aligned_alloc: the AMX K-quant activation records */
#include "x86/body256.h"
#include "x86/tiles16_vnni.h"
#include "x86/r16_avx512.h"
#include "x86/r16k_avx512.h"
#include "x86/dec_k_avx512.h"
#include "x86/amx_avx512.h"
#include "x86/f16_avx512.h"
#include "x86/f16acc.h"
#include "x86/x86.h"
#include "table.h"

/* Few tokens (a decode step, a server's busy slots): the decode rows,
 * weights unpacked once per group of up to 4 tokens (Q4_0 / Q8_0 below
 * X86_DEC_Q8_MAX_TOK tokens, where the tiles take over: measured with
 * bench_kernels --few; Q4_K / Q5_K / Q6_K below X86_TILE_K_MIN_TOK). More
 * tokens: the 16-row tiles. F16: x86/f16_avx512.h, always. Else the group
 * kernels. route (body256.h's X86_ROUTE_*): where the decode fetches
 * ahead (the repacked groups of r16_avx512.h and r16k_avx512.h, the rows
 * as stored of tiles16_vnni.h and dec_k_avx512.h) and whether one or two
 * tokens take 256-bit steps. */
enum { X86_DEC_Q8_MAX_TOK = 8 };
static void avx512_matmul_pf(const hone_kernels *k, int route, uint32_t wtype, const void *w, size_t w_row_bytes,
                             const void *act, size_t act_row_bytes, int n, int r0, int r1, int n_tok, float *y,
                             int ldy)
{
    if (wtype & HONE_WTYPE_R16) { /* repacked by x86_repack (r16_layout.h) */
        const uint32_t t = wtype & ~HONE_WTYPE_R16;
        if (t == HONE_TYPE_Q4_K || t == HONE_TYPE_Q5_K || t == HONE_TYPE_Q6_K) {
            /* One or two tokens on Intel: the avx2 set's 256-bit groups
             * (same sums, same float steps). Both cores in 512-bit integer
             * code run at a lower clock there (r16_avx512.h's
             * x86_r16_step_y): an Intel Xeon with AMX, bench-1b Q4_K_M tg64
             * t=2 +7.9 % (6 of 6 interleaved rounds); two tokens,
             * bench_kernels --few on both cores, Q4_K +4 %, Q5_K +8 %, Q6_K
             * +1 %; three tokens -25 % (kernels/README.md, rounds
             * twenty-two and twenty-three). */
            if (n_tok <= 2 && (route & X86_ROUTE_NARROW))
                hone_avx2_r16k_decode(t, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
            else if (n_tok <= X86_R16_MAX_TOK)
                x86_r16k_dec_matmul(x86_r16k_kind(t), route & X86_ROUTE_L2, w, w_row_bytes, act, act_row_bytes, n,
                                    r0, r1, n_tok, y, ldy);
            else if (t != HONE_TYPE_Q6_K)
                x86_tile_k4_matmul(w, w_row_bytes, t == HONE_TYPE_Q5_K, true, act, act_row_bytes, n, r0, r1, n_tok, y,
                                   ldy);
            else
                x86_tile_q6_matmul(w, w_row_bytes, true, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
        } else if (n_tok <= X86_R16_MAX_TOK)
            x86_r16_dec_matmul(t == HONE_TYPE_Q8_0, route & X86_ROUTE_L2, route & X86_ROUTE_NARROW, w, w_row_bytes, act,
                               act_row_bytes, n, r0, r1, n_tok, y, ldy);
        else
            x86_tile_matmul(t, true, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
        return;
    }
    if (wtype == HONE_TYPE_F16 || wtype == HONE_TYPE_BF16) { /* BF16: CPUs without AVX512_BF16 */
        x86_f16_matmul(wtype == HONE_TYPE_BF16, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
        return;
    }
    if (n_tok < X86_DEC_Q8_MAX_TOK &&
        x86_dec_q8_matmul(route & X86_ROUTE_L2, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy))
        return;
    if (n_tok >= X86_TILE_MIN_TOK &&
        x86_tile_matmul(wtype, false, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy))
        return;
    if (n_tok >= X86_TILE_K_MIN_TOK && (wtype == HONE_TYPE_Q4_K || wtype == HONE_TYPE_Q5_K) &&
        x86_tile_k4_matmul(w, w_row_bytes, wtype == HONE_TYPE_Q5_K, false, act, act_row_bytes, n, r0, r1,
                           n_tok, y, ldy))
        return;
    if (n_tok >= 1 && n_tok < X86_TILE_K_MIN_TOK &&
        x86_dec_k_matmul(route & X86_ROUTE_L2, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy))
        return;
    if (n_tok >= X86_TILE_K_MIN_TOK && wtype == HONE_TYPE_Q6_K &&
        x86_tile_q6_matmul(w, w_row_bytes, false, act, act_row_bytes, n, r0, r1, n_tok, y, ldy))
        return;
    x86_matmul_rows(k, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
}

/* Intel's. */
X86_MATMUL_PF(avx512_matmul, avx512_matmul_pf, X86_ROUTE_INTEL)

/* The same on CPUs with AVX512_BF16, whose BF16 weights take the vdpbf16ps
 * kernel (x86/avx512_bf16.c): Intel's, Zen 4's (fetching into L2, 512-bit
 * steps) and Zen 5's (into L1). */
static void avx512_bf16_matmul_pf(const hone_kernels *k, int route, uint32_t wtype, const void *w,
                                  size_t w_row_bytes, const void *act, size_t act_row_bytes, int n, int r0, int r1,
                                  int n_tok, float *y, int ldy)
{
    if (wtype == HONE_TYPE_BF16) {
        hone_avx512_matmul_bf16(w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
        return;
    }
    avx512_matmul_pf(k, route, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
}
X86_MATMUL_PF(avx512_bf16_matmul, avx512_bf16_matmul_pf, X86_ROUTE_INTEL)
X86_MATMUL_PF(avx512_zen4_matmul, avx512_bf16_matmul_pf, X86_ROUTE_L2)
X86_MATMUL_PF(avx512_zen5_matmul, avx512_bf16_matmul_pf, 0)

/* The same on CPUs with AMX-INT8 (all of which have AVX512_BF16): prompt
 * batches over the repacked Q4_0 / Q8_0 / Q4_K / Q5_K / Q6_K groups take
 * the TMUL (x86/amx_avx512.h). */
static void avx512_amx_matmul(const hone_kernels *k, uint32_t wtype, const void *w, size_t w_row_bytes,
                              const void *act, size_t act_row_bytes, int n, int r0, int r1, int n_tok, float *y,
                              int ldy)
{
    const uint32_t t = wtype & ~HONE_WTYPE_R16;
    if ((wtype & HONE_WTYPE_R16) && n_tok > X86_R16_MAX_TOK) {
        if (t == HONE_TYPE_Q4_0 || t == HONE_TYPE_Q8_0) {
            x86_amx_q8_matmul(t == HONE_TYPE_Q8_0, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
            return;
        }
        /* (no memory for the activation records: the VNNI tiles, below) */
        if ((t == HONE_TYPE_Q4_K || t == HONE_TYPE_Q5_K || t == HONE_TYPE_Q6_K) &&
            x86_amx_k_matmul(t == HONE_TYPE_Q4_K ? 4 : t == HONE_TYPE_Q5_K ? 5 : 6, w, w_row_bytes, act, act_row_bytes,
                             n, r0, r1, n_tok, y, ldy))
            return;
    }
    avx512_bf16_matmul(k, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
}

static hone_kernels_slot AVX512 = {.own = X86_OWN("avx512", x86_avx512_vec_dot_f16, x86_avx512_vec_dot_bf16, avx512_matmul),
                                   .more = {X86_FA_MORE_FIELDS(16), .repack = x86_repack},
                                   .no_blas_f16 = true};
static hone_kernels_slot AVX512_BF16 = {
    .own = X86_OWN("avx512", x86_avx512_vec_dot_f16, hone_avx512_vec_dot_bf16, avx512_bf16_matmul),
    .more = {X86_FA_MORE_FIELDS(16), .repack = x86_repack},
    .no_blas_f16 = true};

static hone_kernels_slot AVX512_ZEN4 = {
    .own = X86_OWN("avx512", x86_avx512_vec_dot_f16, hone_avx512_vec_dot_bf16, avx512_zen4_matmul),
    .more = {X86_FA_MORE_FIELDS(16), .repack = x86_repack},
    .no_blas_f16 = true};

static hone_kernels_slot AVX512_ZEN5 = {
    .own = X86_OWN("avx512", x86_avx512_vec_dot_f16, hone_avx512_vec_dot_bf16, avx512_zen5_matmul),
    .more = {X86_FA_MORE_FIELDS(16), .repack = x86_repack},
    .no_blas_f16 = true};

static hone_kernels_slot AVX512_AMX = {
    .own = X86_OWN("avx512", x86_avx512_vec_dot_f16, hone_avx512_vec_dot_bf16, avx512_amx_matmul),
    .more = {X86_FA_MORE_FIELDS(16), .repack = x86_repack},
    .no_blas_f16 = true};

const hone_kernels *hone_kernels_avx512_amx(void)
{
    return hone_kernels_complete(&AVX512_AMX);
}

const hone_kernels *hone_kernels_avx512(void)
{
    return hone_kernels_complete(&AVX512);
}

const hone_kernels *hone_kernels_avx512_bf16(void)
{
    return hone_kernels_complete(&AVX512_BF16);
}

const hone_kernels *hone_kernels_avx512_zen4(void)
{
    return hone_kernels_complete(&AVX512_ZEN4);
}

const hone_kernels *hone_kernels_avx512_zen5(void)
{
    return hone_kernels_complete(&AVX512_ZEN5);
}
