/* generic.h — the portable C kernels, by name.
 *
 * Internal to kernels/: the ISA tables reuse these for whatever they do not
 * specialise, and the unit tests call them directly as the reference. */
#ifndef HONE_KERNELS_GENERIC_H
#define HONE_KERNELS_GENERIC_H

#include "kernels.h"
#include "quant_blocks.h"

#include <string.h>

/* F16 bits to float with selects instead of branches, so loops over it
 * vectorize (bit-identical to hone_f16_to_f32): normals move their 15
 * bits up 13 and add 112 to the exponent (inf / NaN 224, to reach 255);
 * subnormals come out exactly as (0.5 with mant in the low bits) - 0.5,
 * i.e. mant * 2^-24. */
static inline float hone_gen_h2f(uint16_t h)
{
    const uint32_t bits = h & 0x7fffu;
    const uint32_t is_sub = 0u - (uint32_t)(bits < 0x0400u);  /* all ones if so */
    const uint32_t is_inf = 0u - (uint32_t)(bits >= 0x7c00u);
    const uint32_t nu = (bits << 13) + (112u << 23) + (is_inf & (112u << 23));
    const uint32_t du0 = bits | 0x3f000000u; /* 0.5 with mant in the low bits */
    float df;
    memcpy(&df, &du0, 4);
    df -= 0.5f; /* exact: mant * 2^-24 */
    uint32_t du;
    memcpy(&du, &df, 4);
    const uint32_t u = (du & is_sub) | (nu & ~is_sub) | (uint32_t)(h & 0x8000u) << 16;
    float out;
    memcpy(&out, &u, 4);
    return out;
}

/* --- plain types (convert.c) --- */
void hone_gen_f32_to_float(const void *x, float *y, int64_t n);
void hone_gen_f32_from_float(const float *x, void *y, int64_t n);
void hone_gen_f16_to_float(const void *x, float *y, int64_t n);
void hone_gen_f16_from_float(const float *x, void *y, int64_t n);
void hone_gen_bf16_to_float(const void *x, float *y, int64_t n);
void hone_gen_bf16_from_float(const float *x, void *y, int64_t n);
void hone_gen_vec_dot_f32(int n, float *s, const void *x, const void *y);
void hone_gen_vec_dot_f16(int n, float *s, const void *x, const void *y);
void hone_gen_vec_dot_bf16(int n, float *s, const void *x, const void *y);

/* --- 32-element block quants (quants.c) --- */
void hone_gen_q4_0_to_float(const void *x, float *y, int64_t n);
void hone_gen_q4_1_to_float(const void *x, float *y, int64_t n);
void hone_gen_q5_0_to_float(const void *x, float *y, int64_t n);
void hone_gen_q5_1_to_float(const void *x, float *y, int64_t n);
void hone_gen_q8_0_to_float(const void *x, float *y, int64_t n);
void hone_gen_q8_0_from_float(const float *x, void *y, int64_t n);
void hone_gen_q4_0_from_float(const float *x, void *y, int64_t n);
void hone_gen_vec_dot_q4_0_q8_0(int n, float *s, const void *x, const void *y);
void hone_gen_vec_dot_q5_0_q8_0(int n, float *s, const void *x, const void *y);
void hone_gen_vec_dot_q8_0_q8_0(int n, float *s, const void *x, const void *y);
void hone_gen_q8_1_to_float(const void *x, float *y, int64_t n);
void hone_gen_q8_1_from_float(const float *x, void *y, int64_t n);
void hone_gen_vec_dot_q4_1_q8_1(int n, float *s, const void *x, const void *y);
void hone_gen_vec_dot_q5_1_q8_1(int n, float *s, const void *x, const void *y);

/* --- K-quants (kquants.c) --- */
void hone_gen_q2_K_to_float(const void *x, float *y, int64_t n);
void hone_gen_q3_K_to_float(const void *x, float *y, int64_t n);
void hone_gen_vec_dot_q2_K_q8_K(int n, float *s, const void *x, const void *y);
void hone_gen_vec_dot_q3_K_q8_K(int n, float *s, const void *x, const void *y);
void hone_gen_q4_K_to_float(const void *x, float *y, int64_t n);
void hone_gen_q5_K_to_float(const void *x, float *y, int64_t n);
void hone_gen_q6_K_to_float(const void *x, float *y, int64_t n);
void hone_gen_q8_K_to_float(const void *x, float *y, int64_t n);
void hone_gen_q8_K_from_float(const float *x, void *y, int64_t n);
void hone_gen_vec_dot_q4_K_q8_K(int n, float *s, const void *x, const void *y);
void hone_gen_vec_dot_q5_K_q8_K(int n, float *s, const void *x, const void *y);
void hone_gen_vec_dot_q6_K_q8_K(int n, float *s, const void *x, const void *y);
/* The 6-bit scale and min of sub-block j (0..7) of a q4_K / q5_K block. */
void hone_kquant_scale_min(int j, const uint8_t *scales, uint8_t *sc, uint8_t *m);

/* --- row operations (ops.c) --- */
void hone_gen_matmul(const hone_kernels *k, uint32_t wtype, const void *w,
                     size_t w_row_bytes, const void *act, size_t act_row_bytes,
                     int n, int r0, int r1, int n_tok, float *y, int ldy);
void hone_gen_rmsnorm(float *out, const float *x, const float *w, int n, float eps);
void hone_gen_softmax(float *x, int n);
void hone_gen_silu_mul(float *out, const float *gate, const float *up, int n);
void hone_gen_fma_chains(float *const *acc, const float *x, size_t x_ld, const float *const *w, int rows,
                         int n_terms, int n, bool skip_zero);
/* One row of fma_chains (what the sets' tails use). */
void hone_gen_fma_row(float *acc, const float *x, size_t x_ld, const float *w, int n_terms, int n,
                      bool skip_zero);
void hone_gen_fa_exp(float *x, int n, float max);
void hone_gen_expf_n(float *x, int n);
void hone_gen_f16_mad(uint16_t *y, size_t y_stride, const uint16_t *x, const float *v, int rows, int n);
void hone_gen_f16_scale(uint16_t *y, float v, int n);

#endif
