/* blas_gemm.h — F16 weights times F32 activations through OpenBLAS sgemm
 * (native build, HONE_HAVE_BLAS), the kernel table's `gemm_f16` entry:
 * weight rows are converted to F32 a strip at a time into the caller's
 * scratch, so no whole-matrix copy is ever made and nothing is allocated
 * per call. Each caller thread runs its own single-threaded sgemm (hone's
 * thread pool splits the rows). */
#ifndef HONE_BLAS_GEMM_H
#define HONE_BLAS_GEMM_H

#include "kernels.h"

/* Rows per strip: 64 rows of a 5632-wide matrix are 1.4 MB of F32, large
 * enough for sgemm's blocking, small enough to stay near L2/L3. */
#define HONE_BLAS_STRIP 64

#ifdef HONE_HAVE_BLAS
/* See hone_gemm_f16_fn in kernels.h. Calls openblas_set_num_threads(1)
 * the first time. */
void hone_blas_gemm_f16(const hone_kernels *k, const void *w, size_t w_row_bytes, const float *x, int ldx, int n,
                        int r0, int r1, int n_tok, float *y, int ldy, float *scratch);
#define HONE_BLAS_GEMM_F16 hone_blas_gemm_f16
#else
#define HONE_BLAS_GEMM_F16 NULL
#endif

#endif
