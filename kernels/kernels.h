/* kernels.h — the kernel table: every loop that touches weights or
 * activations in bulk goes through one of these function pointers.
 *
 * One table per ISA (kernels/generic, kernels/x86/avx2, ...), chosen once at
 * start-up from the running CPU (hone_kernels_select). The generic table is
 * the reference each ISA table is tested against.
 *
 * Kernels neither allocate nor create threads: callers own buffers and the
 * thread pool, and hand each thread its slice (rows [r0, r1)).
 *
 * Quantized weights are consumed in place, block by block. Their dot
 * products take the activations already converted to the weight type's
 * vec_dot_type (as llama.cpp does: Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for
 * Q4_1/Q5_1, Q8_K for the K-quants Q2_K..Q6_K, F16 for F16, BF16 for BF16,
 * F32 for F32: core/types.h's traits), converted with
 * type[vec_dot_type].from_float; those
 * converters give the same bits as llama.cpp's on x86.
 *
 * Every set computes every type above; sets differ only in float
 * summation order. Within a set, matmul gives each (row, token) exactly
 * the bits vec_dot gives, whatever the batch. All functions are reentrant.
 */
#ifndef HONE_KERNELS_H
#define HONE_KERNELS_H

#include "types.h"
#include "status.h"

#include <stddef.h>
#include <stdint.h>

/* s = dot(x, y) over n elements; x is a row of the weight type, y a row of
 * its vec_dot_type. n is a multiple of the type's block size. */
typedef void (*hone_vec_dot_fn)(int n, float *s, const void *x, const void *y);
/* Dequantize / convert n elements of a row to float. */
typedef void (*hone_to_float_fn)(const void *x, float *y, int64_t n);
/* Quantize / convert n floats into a row of this type. */
typedef void (*hone_from_float_fn)(const float *x, void *y, int64_t n);

typedef struct {
    hone_vec_dot_fn vec_dot;     /* NULL: hone cannot compute this type;
                                    y is in hone_vec_dot_type(type) */
    hone_to_float_fn to_float;
    hone_from_float_fn from_float; /* NULL if hone cannot produce it */
} hone_type_kernels;

typedef struct hone_kernels hone_kernels;

/* y[t*ldy + r] = dot(W row r, act row t) for r in [r0, r1), t in [0, n_tok).
 * W rows are w_row_bytes apart, act rows act_row_bytes apart (act already in
 * the weight type's vec_dot_type); n is the row length in elements. */
typedef void (*hone_matmul_fn)(const hone_kernels *k, uint32_t wtype,
                               const void *w, size_t w_row_bytes,
                               const void *act, size_t act_row_bytes,
                               int n, int r0, int r1, int n_tok,
                               float *y, int ldy);

/* A flag on matmul's wtype: the weights are in the set's own layout, put
 * there by its repack (below), not in rows. Only ever passed to the set
 * that repacked them. */
#define HONE_WTYPE_R16 0x10000u

/* Rearrange a matrix of `rows` rows (row_bytes apart) of type `type` in
 * place into the layout the set's matmul reads fastest, given
 * HONE_WTYPE_R16. False: left as it was (the set has no such layout for
 * this type or shape). The layout works in groups of 16 rows that keep
 * their byte range, so any row range still names its bytes, and a matrix
 * may be repacked in parts of whole groups, by several threads at once:
 * whether it is taken depends only on type, row_bytes and rows % 16 (rows
 * = 0 asks without touching w). */
typedef bool (*hone_repack_fn)(uint32_t type, void *w, int64_t rows, size_t row_bytes);

/* Prompt batches of F16 weights through a BLAS sgemm (native builds with
 * OpenBLAS): y[t*ldy + r] = x_t · W_r for r in [r0, r1), t < n_tok, with x
 * in F32 (ldx floats apart); weight rows are converted to F32 a strip at a
 * time in the caller's scratch (HONE_BLAS_STRIP x n floats, blas_gemm.h). */
typedef void (*hone_gemm_f16_fn)(const hone_kernels *k, const void *w, size_t w_row_bytes,
                                 const float *x, int ldx, int n, int r0, int r1, int n_tok,
                                 float *y, int ldy, float *scratch);

struct hone_kernels {
    const char *name;                       /* "generic", "avx2", ... */
    hone_type_kernels type[HONE_TYPE_COUNT];
    hone_matmul_fn matmul;
    hone_gemm_f16_fn gemm_f16;              /* NULL: no BLAS in this build */
    hone_repack_fn repack;                  /* NULL: rows only */
    /* out = x / rms(x) * w  (w may be NULL for no weight; out may be x) */
    void (*rmsnorm)(float *out, const float *x, const float *w, int n, float eps);
    /* in-place softmax over n values */
    void (*softmax)(float *x, int n);
    /* out = silu(gate) * up */
    void (*silu_mul)(float *out, const float *gate, const float *up, int n);
    /* Flash attention's F16 accumulator row (llama.cpp's ggml_vec_mad_f16 /
     * ggml_vec_scale_f16 as its x86 builds compute them, SIMD body and
     * leftover loop alike):
     *   f16_mad:   for each of `rows` accumulators y_r = y + r * y_stride,
     *              y_r[i] = f16(fma(f32(x[i]), v[r], f32(y_r[i])))
     *   f16_scale: y[i] = f16(f32(y[i]) * v)
     * one float rounding, then round-to-nearest-even to F16. Every set
     * gives the same bits. f16_mad takes the rows (the heads that share a
     * KV head) together so x is converted once per position for them all. */
    void (*f16_mad)(uint16_t *y, size_t y_stride, const uint16_t *x, const float *v, int rows, int n);
    void (*f16_scale)(uint16_t *y, float v, int n);
    /* Independent FMA chains (flash attention's tiled products), for
     * `rows` rows that share x (a KV tile) at once:
     *   for each row r, for t in 0..n_terms: if (!skip_zero || w[r][t] != 0)
     *       acc[r][l] = fma(x[t * x_ld + l], w[r][t], acc[r][l])   for l < n
     * each acc[r][l] one chain in term order, so every set gives generic's
     * bits whatever its vector width or row grouping. skip_zero: a zero
     * weight's term is left out for that row (ggml skips them). */
    void (*fma_chains)(float *const *acc, const float *x, size_t x_ld, const float *const *w, int rows,
                       int n_terms, int n, bool skip_zero);
    /* x[i] = hone_fa_expf(x[i] - max) for i < n: flash attention's tile
     * softmax, llama.cpp's SIMD expf; every set gives the same bits. */
    void (*fa_exp)(float *x, int n, float max);
    /* x[i] = expf(x[i]) for i < n, the C library's bits: flash
     * attention's VEC / SPLIT paths (llama.cpp calls libm's expf there, a
     * value at a time). generic calls expf; the x86 sets run glibc's
     * x86-64 FMA expf (the one its ifunc picks on every CPU they need)
     * vector-wide, operation for operation (x86/libm_expf.h). */
    void (*expf_n)(float *x, int n);
    /* F32 lanes of the SIMD llama.cpp's CPU backend is built with on this
     * ISA (GGML_F32_EPR: avx512 16, avx2 8, neon/power 4; generic 1 = a
     * build without GGML_SIMD). Its flash attention takes the tiled path
     * only when head_dim is a multiple of it, and sums each tile's
     * exponentials with that many lanes (forward's flash attention). */
    int f32_lanes;
};

/* The portable C table (always available). */
const hone_kernels *hone_kernels_generic(void);
/* Table by name: "generic", "avx2", "avx512" (x86-64 builds). NULL, "" or
 * "auto" = the best set this CPU can run. On x86-64 "SET:CPU" names the
 * set's table for another CPU ("avx512:zen4", "avx2:intel": the decode's
 * fetch route is chosen by CPU), to measure one CPU's choice on another.
 * (No environment is read here: the front-end passes $HONE_KERNELS in.)
 * An unknown name is HONE_ERR_ARG (the message lists the choices); a set
 * this CPU cannot run is HONE_ERR_CPU (the message names what it lacks).
 * The returned table is static: valid for the life of the process. */
hone_status hone_kernels_select(const char *name, const hone_kernels **out,
                                hone_error *err);
/* The set names this build contains, "generic, avx2, avx512" style. */
const char *hone_kernels_choices(void);
/* The "SET:CPU" name of table k ("avx512:zen4"), or NULL: a set with one
 * table, or AMX's (hone info says which table a CPU gets). */
const char *hone_kernels_table(const hone_kernels *k);
/* Whether set (or table) `name` exists in this build and can run on this CPU. */
bool hone_kernels_can_run(const char *name);

/* ggml's SIMD expf (ggml_v_expf of its AVX-512 build) on one value, exact
 * same bits: x = n ln2 + b, e^b by a degree-5 polynomial, scaled by 2^n in
 * one rounding; |n| > 192 gives 0 or inf. The tiled flash attention's
 * exponential on every set (fa_exp). */
float hone_fa_expf(float x);

/* F16 / BF16 scalar conversions (round-to-nearest-even, like ggml). */
float hone_f16_to_f32(uint16_t h);
uint16_t hone_f32_to_f16(float f);
float hone_bf16_to_f32(uint16_t h);
uint16_t hone_f32_to_bf16(float f);

#endif
