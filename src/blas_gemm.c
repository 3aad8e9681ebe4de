/* blas_gemm.c — F16 weights times F32 activations via cblas_sgemm on row
 * strips (see blas_gemm.h). Without HONE_HAVE_BLAS every call declines. */
#include "blas_gemm.h"

#include <stdlib.h>

#ifdef HONE_HAVE_BLAS
#include <cblas.h>

/* Rows per strip: 64 rows of a 5632-wide matrix are 1.4 MB of F32, large
 * enough for sgemm's blocking, small enough to stay near L2/L3. */
enum { BLAS_STRIP = 64 };

void hone_blas_init(void)
{
    openblas_set_num_threads(1);
}

bool hone_blas_f16_matmul(hone_to_float_fn to_float, const void *w, size_t w_row_bytes,
                          const float *x, int ldx, int n, int r0, int r1, int n_tok, float *y,
                          int ldy)
{
    if (!to_float || r1 <= r0 || n_tok < 1) return false;
    float *buf = malloc((size_t)BLAS_STRIP * (size_t)n * sizeof(float));
    if (!buf) return false;
    for (int rs = r0; rs < r1; rs += BLAS_STRIP) {
        const int nr = r1 - rs < BLAS_STRIP ? r1 - rs : BLAS_STRIP;
        for (int i = 0; i < nr; i++)
            to_float((const char *)w + (size_t)(rs + i) * w_row_bytes, buf + (size_t)i * (size_t)n, n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_tok, nr, n, 1.0f, x, ldx, buf, n,
                    0.0f, y + rs, ldy);
    }
    free(buf);
    return true;
}
#else
void hone_blas_init(void)
{
}

bool hone_blas_f16_matmul(hone_to_float_fn to_float, const void *w, size_t w_row_bytes,
                          const float *x, int ldx, int n, int r0, int r1, int n_tok, float *y,
                          int ldy)
{
    (void)to_float, (void)w, (void)w_row_bytes, (void)x, (void)ldx, (void)n, (void)r0, (void)r1;
    (void)n_tok, (void)y, (void)ldy;
    return false;
}
#endif
