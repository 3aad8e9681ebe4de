/* ops.c — the generic row operations and the generic kernel table. */
#include "generic.h"
#include "blas_gemm.h"

#include <math.h>

void hone_gen_matmul(const hone_kernels *k, uint32_t wtype, const void *w,
                     size_t w_row_bytes, const void *act, size_t act_row_bytes,
                     int n, int r0, int r1, int n_tok, float *y, int ldy)
{
    const hone_vec_dot_fn dot = k->type[wtype].vec_dot;
    const char *wb = w, *ab = act;
    for (int t = 0; t < n_tok; t++) {
        const void *a = ab + (size_t)t * act_row_bytes;
        for (int r = r0; r < r1; r++)
            dot(n, &y[(size_t)t * (size_t)ldy + (size_t)r], wb + (size_t)r * w_row_bytes, a);
    }
}

/* As ggml's rms_norm followed by the weight multiply: the mean square is
 * summed in double, x is scaled first and multiplied by w after. */
void hone_gen_rmsnorm(float *out, const float *x, const float *w, int n, float eps)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (int i = 0; i < n; i++) {
        const float v = x[i] * scale;
        out[i] = w ? v * w[i] : v;
    }
}

/* As ggml's soft_max: exponentials of x - max, their sum in double, then a
 * multiply by the float reciprocal. */
void hone_gen_softmax(float *x, int n)
{
    float max = -INFINITY;
    for (int i = 0; i < n; i++) max = fmaxf(max, x[i]);
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += (double)x[i];
    }
    const float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++) x[i] *= inv;
}

void hone_gen_silu_mul(float *out, const float *gate, const float *up, int n)
{
    for (int i = 0; i < n; i++) {
        const float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

/* Flash attention's F16 accumulator (kernels.h): each element through
 * float, one fused multiply-add (ggml's leftover loop is contracted to an
 * FMA, its SIMD body is one), then back to F16 rounding to nearest even. */
void hone_gen_f16_mad(uint16_t *y, size_t y_stride, const uint16_t *x, const float *v, int rows, int n)
{
    for (int r = 0; r < rows; r++) {
        uint16_t *yr = y + (size_t)r * y_stride;
        for (int i = 0; i < n; i++)
            yr[i] = hone_f32_to_f16(fmaf(hone_f16_to_f32(x[i]), v[r], hone_f16_to_f32(yr[i])));
    }
}

void hone_gen_fma_row(float *acc, const float *x, size_t x_ld, const float *w, int n_terms, int n,
                      bool skip_zero)
{
    for (int t = 0; t < n_terms; t++) {
        if (skip_zero && w[t] == 0.0f) continue;
        const float *xt = x + (size_t)t * x_ld;
        for (int l = 0; l < n; l++) acc[l] = fmaf(xt[l], w[t], acc[l]);
    }
}

void hone_gen_fma_chains(float *const *acc, const float *x, size_t x_ld, const float *const *w, int rows,
                         int n_terms, int n, bool skip_zero)
{
    for (int r = 0; r < rows; r++) hone_gen_fma_row(acc[r], x, x_ld, w[r], n_terms, n, skip_zero);
}

float hone_fa_expf(float x)
{
    /* ggml_v_expf (vec.h, __AVX512F__), written with the same FMAs in the
     * same order */
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                              fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                         u, fmaf(0x1.ffffecp-1f, b, 1.0f));
    if (fabsf(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
    if (n != n) return n; /* NaN in, NaN out (and no NaN to int below) */
    const int e = (int)n;
    /* j * 2^e in one rounding (vscalefps): a multiply by the exact power
     * of two where it is a normal float, ldexpf (also one rounding) below */
    if (e < -126 || e > 127) return ldexpf(j, e);
    union { uint32_t u; float f; } p = {.u = (uint32_t)(e + 127) << 23};
    return j * p.f;
}

void hone_gen_fa_exp(float *x, int n, float max)
{
    for (int i = 0; i < n; i++) x[i] = hone_fa_expf(x[i] - max);
}

void hone_gen_expf_n(float *x, int n)
{
    for (int i = 0; i < n; i++) x[i] = expf(x[i]);
}

void hone_gen_f16_scale(uint16_t *y, float v, int n)
{
    for (int i = 0; i < n; i++) y[i] = hone_f32_to_f16(hone_f16_to_f32(y[i]) * v);
}

#define TK(dot, to, from) \
    {.vec_dot = (dot), .to_float = (to), .from_float = (from)}

static const hone_kernels GENERIC = {
    .name = "generic",
    .type = {
        [HONE_TYPE_F32] = TK(hone_gen_vec_dot_f32, hone_gen_f32_to_float, hone_gen_f32_from_float),
        [HONE_TYPE_F16] = TK(hone_gen_vec_dot_f16, hone_gen_f16_to_float, hone_gen_f16_from_float),
        [HONE_TYPE_BF16] = TK(hone_gen_vec_dot_bf16, hone_gen_bf16_to_float, hone_gen_bf16_from_float),
        [HONE_TYPE_Q4_0] = TK(hone_gen_vec_dot_q4_0_q8_0, hone_gen_q4_0_to_float, hone_gen_q4_0_from_float),
        [HONE_TYPE_Q4_1] = TK(hone_gen_vec_dot_q4_1_q8_1, hone_gen_q4_1_to_float, NULL),
        [HONE_TYPE_Q5_0] = TK(hone_gen_vec_dot_q5_0_q8_0, hone_gen_q5_0_to_float, NULL),
        [HONE_TYPE_Q5_1] = TK(hone_gen_vec_dot_q5_1_q8_1, hone_gen_q5_1_to_float, NULL),
        [HONE_TYPE_Q8_1] = TK(NULL, hone_gen_q8_1_to_float,
                            hone_gen_q8_1_from_float),
        [HONE_TYPE_Q2_K] = TK(hone_gen_vec_dot_q2_K_q8_K, hone_gen_q2_K_to_float, NULL),
        [HONE_TYPE_Q3_K] = TK(hone_gen_vec_dot_q3_K_q8_K, hone_gen_q3_K_to_float, NULL),
        [HONE_TYPE_Q8_0] = TK(hone_gen_vec_dot_q8_0_q8_0, hone_gen_q8_0_to_float, hone_gen_q8_0_from_float),
        [HONE_TYPE_Q4_K] = TK(hone_gen_vec_dot_q4_K_q8_K, hone_gen_q4_K_to_float, NULL),
        [HONE_TYPE_Q5_K] = TK(hone_gen_vec_dot_q5_K_q8_K, hone_gen_q5_K_to_float, NULL),
        [HONE_TYPE_Q6_K] = TK(hone_gen_vec_dot_q6_K_q8_K, hone_gen_q6_K_to_float, NULL),
        [HONE_TYPE_Q8_K] = TK(NULL, hone_gen_q8_K_to_float,
                            hone_gen_q8_K_from_float),
    },
    .matmul = hone_gen_matmul,
    /* every set inherits it (table.h): BLAS is a build's, not an ISA's */
    .gemm_f16 = HONE_BLAS_GEMM_F16,
    .rmsnorm = hone_gen_rmsnorm,
    .softmax = hone_gen_softmax,
    .silu_mul = hone_gen_silu_mul,
    .f16_mad = hone_gen_f16_mad,
    .f16_scale = hone_gen_f16_scale,
    .fma_chains = hone_gen_fma_chains,
    .fa_exp = hone_gen_fa_exp,
    .expf_n = hone_gen_expf_n,
    .f32_lanes = 1,
};

const hone_kernels *hone_kernels_generic(void)
{
    return &GENERIC;
}
