/* blas_gemm.c — F16 weights times F32 activations via cblas_sgemm on row
 * strips (see blas_gemm.h). Empty without HONE_HAVE_BLAS. */
#include "blas_gemm.h"

#ifdef HONE_HAVE_BLAS
#include <cblas.h>
#include <pthread.h>

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

/* OpenBLAS would start its own threads inside each of ours. */
static void blas_single_thread(void) { openblas_set_num_threads(1); }

void hone_blas_gemm_f16(const hone_kernels *k, const void *w, size_t w_row_bytes, const float *x, int ldx, int n,
                        int r0, int r1, int n_tok, float *y, int ldy, float *scratch)
{
    pthread_once(&blas_once, blas_single_thread);
    const hone_to_float_fn to_float = k->type[HONE_TYPE_F16].to_float; /* the set's own */
    for (int rs = r0; rs < r1; rs += HONE_BLAS_STRIP) {
        const int nr = r1 - rs < HONE_BLAS_STRIP ? r1 - rs : HONE_BLAS_STRIP;
        for (int i = 0; i < nr; i++)
            to_float((const char *)w + (size_t)(rs + i) * w_row_bytes, scratch + (size_t)i * (size_t)n, n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_tok, nr, n, 1.0f, x, ldx, scratch,
                    n, 0.0f, y + rs, ldy);
    }
}
#else
/* ISO C forbids an empty translation unit. */
typedef int hone_blas_gemm_unused;
#endif
