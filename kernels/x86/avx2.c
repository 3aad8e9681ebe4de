/* avx2.c — the AVX2 + FMA + F16C kernel set (x86-64-v3). Compiled with
 * exactly those -m flags (kernels/CMakeLists.txt): the shared 256-bit
 * kernels of body256.h, plus the 8-rows-in-lanes Q4_0 / Q8_0 matmul of
 * rows8_avx2.h, the K-quant prompt tiles of tiles8_k_avx2.h, the products
 * over the R16 layouts (after the repack at load: Q4_0 / Q8_0 in
 * r16_avx2.h and rows8_avx2.h's strips, Q4_K / Q5_K / Q6_K in r16k_avx2.h)
 * and the F16 kernel of f16_avx2.h. */
#include "x86/body256.h"
#include "x86/rows8_avx2.h"
#include "x86/tiles8_k_avx2.h"
#include "x86/r16k_avx2.h"
#include "x86/r16_avx2.h"
#include "x86/f16_avx2.h"
#include "x86/f16acc.h"
#include "x86/x86.h"
#include "table.h"

/* Matrices repacked at load (x86_repack): a few tokens straight from the
 * layout, more through the strips and tiles. Else Q4_0 / Q8_0 with 8 rows
 * in lanes (repacked strips for prompt batches, 8-row groups for decode)
 * where the shape suits them, and the group kernels. route & X86_ROUTE_L2
 * (Intel, Zen 3 / 4; body256.h): every repacked decode group fetches
 * ahead into L2, spread over its steps, not into L1 at once (Zen 5;
 * r16_avx2.h, r16k_avx2.h), and so do the decode rows as stored
 * (rows8_avx2.h). */
static void avx2_matmul_pf(const hone_kernels *k, int route, uint32_t wtype, const void *w, size_t w_row_bytes,
                           const void *act, size_t act_row_bytes, int n, int r0, int r1, int n_tok, float *y, int ldy)
{
    const bool pf_l2 = (route & X86_ROUTE_L2) != 0;
    if (wtype & HONE_WTYPE_R16) {
        const uint32_t t = wtype & ~HONE_WTYPE_R16;
        if (t == HONE_TYPE_Q4_0 || t == HONE_TYPE_Q8_0) { /* x86_r16_repack's */
            if (n_tok <= (t == HONE_TYPE_Q8_0 ? X86_R16Q_MAX_TOK : X86_R16Q_Q4_MAX_TOK))
                x86_r16q_dec_matmul(t == HONE_TYPE_Q8_0, pf_l2, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
            else
                x86_t8_matmul(t, true, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
            return;
        }
        const int kind = x86_r16k_kind(t); /* Q4_K, Q5_K or Q6_K: x86_r16k_repack's */
        if (n_tok <= X86_R16A_MAX_TOK)
            x86_r16a_dec_matmul(kind, pf_l2, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
        else
            x86_t8k_r16_matmul(kind, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
        return;
    }
    if (wtype == HONE_TYPE_F16 || wtype == HONE_TYPE_BF16) {
        x86_f16a_matmul(wtype == HONE_TYPE_BF16, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
        return;
    }
    if (n_tok >= X86_T8_MIN_TOK &&
        x86_t8_matmul(wtype, false, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy))
        return;
    if (n_tok >= X86_T8K_MIN_TOK &&
        x86_t8k_matmul(wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy))
        return;
    if (n_tok < X86_T8_MIN_TOK &&
        x86_d8_matmul(pf_l2, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy))
        return;
    x86_matmul_rows(k, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
}

X86_MATMUL_PF(avx2_matmul, avx2_matmul_pf, X86_ROUTE_INTEL)
X86_MATMUL_PF(avx2_zen5_matmul, avx2_matmul_pf, 0)

/* for the avx512 set's Intel tables (x86.h, avx512.c) */
void hone_avx2_r16k_decode(uint32_t type, const void *w, size_t w_row_bytes, const void *act, size_t act_row_bytes,
                           int n, int r0, int r1, int n_tok, float *y, int ldy)
{
    x86_r16a_dec_matmul(x86_r16k_kind(type), true, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
}

/* no_blas_f16: the 4 x 3 F16 tiles ran bench-1b-f16 pp512 t=2 at 112-114
 * t/s where OpenBLAS did 102 (HONE_KERNELS=avx2 on a Zen 5) */
static hone_kernels_slot AVX2 = {.own = X86_OWN("avx2", x86_avx2_vec_dot_f16, x86_avx2_vec_dot_bf16, avx2_matmul),
                                 .more = {X86_FA_MORE_FIELDS(8), .repack = x86_repack},
                                 .no_blas_f16 = true};

static hone_kernels_slot AVX2_ZEN5 = {
    .own = X86_OWN("avx2", x86_avx2_vec_dot_f16, x86_avx2_vec_dot_bf16, avx2_zen5_matmul),
    .more = {X86_FA_MORE_FIELDS(8), .repack = x86_repack},
    .no_blas_f16 = true};

const hone_kernels *hone_kernels_avx2(void)
{
    return hone_kernels_complete(&AVX2);
}

const hone_kernels *hone_kernels_avx2_zen5(void)
{
    return hone_kernels_complete(&AVX2_ZEN5);
}
