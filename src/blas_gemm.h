/* blas_gemm.h — F16-weight matmul through OpenBLAS sgemm (native build,
 * HONE_HAVE_BLAS): weight rows are converted to F32 a strip at a time in a
 * scratch buffer, so no whole-matrix copy is ever made. */
#ifndef HONE_BLAS_GEMM_H
#define HONE_BLAS_GEMM_H

#include "kernels.h"

#include <stdbool.h>
#include <stddef.h>

/* Call once before any hone_blas_f16_matmul: each caller thread runs its
 * own single-threaded sgemm (hone's thread pool splits the rows). */
void hone_blas_init(void);

/* y[t * ldy + r] = sum_c x[t * ldx + c] * W[r][c] for r in [r0, r1) and
 * t < n_tok; W holds F16 rows of w_row_bytes, n columns. to_float is the
 * F16 -> F32 converter. Returns false (y untouched) without BLAS or when
 * the scratch cannot be allocated; the caller then uses its own kernel. */
bool hone_blas_f16_matmul(hone_to_float_fn to_float, const void *w, size_t w_row_bytes,
                          const float *x, int ldx, int n, int r0, int r1, int n_tok, float *y,
                          int ldy);

#endif
