/* x86.h — the x86-64 kernel tables (internal to kernels/).
 *
 * Each lives in a file compiled with only its own ISA flags; calling a
 * getter is safe on any CPU, using the table is only safe once
 * kernels.c has checked the CPU (and OS) support that ISA. */
#ifndef HONE_KERNELS_X86_H
#define HONE_KERNELS_X86_H

#include "kernels.h"

/* AVX2 + FMA + F16C (x86-64-v3). */
const hone_kernels *hone_kernels_avx2(void);
/* The same for Zen 5 (and later AMD cores): the repacked decode fetches
 * ahead into L1, not into L2 spread (body256.h's X86_ROUTE_L2; Intel's
 * and Zen 3 / 4's). */
const hone_kernels *hone_kernels_avx2_zen5(void);
/* AVX-512 F/BW/VL + VNNI; the second also uses AVX512_BF16 for BF16 dots. */
const hone_kernels *hone_kernels_avx512(void);
const hone_kernels *hone_kernels_avx512_bf16(void);
/* The BF16 one for AMD's cores: the same kernels on another route
 * (body256.h's X86_ROUTE_*). Zen 4's decode fetches ahead into L2, spread,
 * in 512-bit steps throughout; Zen 5's (and later AMD cores') into L1. */
const hone_kernels *hone_kernels_avx512_zen4(void);
const hone_kernels *hone_kernels_avx512_zen5(void);
/* That, with the AMX-INT8 tiles for prompts (x86/amx_avx512.h): only once
 * the OS has let the process use AMX (kernels.c). */
const hone_kernels *hone_kernels_avx512_amx(void);

/* AVX512_BF16 dot product of two BF16 rows, and the BF16 matmul in the
 * same order (x86/avx512_bf16.c; hone_matmul_fn's rows, tokens and outputs). */
void hone_avx512_vec_dot_bf16(int n, float *s, const void *x, const void *y);
void hone_avx512_matmul_bf16(const void *w, size_t w_row_bytes, const void *act, size_t act_row_bytes, int n,
                             int r0, int r1, int n_tok, float *y, int ldy);

/* The avx2 set's few-token product over a repacked Q4_K / Q5_K / Q6_K
 * matrix (type), with Intel's fetch (x86/avx2.c); n_tok <= 4 (its
 * X86_R16A_MAX_TOK). */
void hone_avx2_r16k_decode(uint32_t type, const void *w, size_t w_row_bytes, const void *act, size_t act_row_bytes,
                           int n, int r0, int r1, int n_tok, float *y, int ldy);

#endif
