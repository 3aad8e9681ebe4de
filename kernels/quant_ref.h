/* quant_ref.h — the weight quantizers `hone quantize` writes model files
 * with: for each type, the reference algorithm llama.cpp's llama-quantize
 * uses when no importance matrix is given (ggml's quantize_row_*_ref and
 * the K-quant scale searches), so hone's files hold the same bytes.
 *
 * These are not the activation converters of the kernel table
 * (kernels.h, type[].from_float): those follow llama.cpp's x86 path for
 * activations (Q8_0 there rounds ties to even with a multiply by 127/amax;
 * the reference here rounds half away from zero after a multiply by 1/d),
 * and the two must not be mixed up.
 *
 * Every function is portable C computed in float in a fixed order (hone
 * is built as ISO C11, so no multiply-add is contracted): the same bytes
 * on every CPU and build variant. Reentrant; rows are independent, so
 * callers split a tensor between threads by rows.
 */
#ifndef HONE_KERNELS_QUANT_REF_H
#define HONE_KERNELS_QUANT_REF_H

#include "types.h"

#include <stdint.h>

/* Quantize n floats (a multiple of the type's block size) into y. */
typedef void (*hone_quantize_row_fn)(const float *x, void *y, int64_t n);

/* The reference quantizer of type t: F32, F16, BF16, Q4_0, Q4_1, Q5_0,
 * Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K; NULL for any other type. */
hone_quantize_row_fn hone_quantize_ref(uint32_t t);

/* The individual quantizers (kernels/generic/quantize_ref.c, quantize_kref.c). */
void hone_qref_f32(const float *x, void *y, int64_t n);
void hone_qref_f16(const float *x, void *y, int64_t n);
void hone_qref_bf16(const float *x, void *y, int64_t n);
void hone_qref_q4_0(const float *x, void *y, int64_t n);
void hone_qref_q4_1(const float *x, void *y, int64_t n);
void hone_qref_q5_0(const float *x, void *y, int64_t n);
void hone_qref_q5_1(const float *x, void *y, int64_t n);
void hone_qref_q8_0(const float *x, void *y, int64_t n);
void hone_qref_q2_K(const float *x, void *y, int64_t n);
void hone_qref_q3_K(const float *x, void *y, int64_t n);
void hone_qref_q4_K(const float *x, void *y, int64_t n);
void hone_qref_q5_K(const float *x, void *y, int64_t n);
void hone_qref_q6_K(const float *x, void *y, int64_t n);

#endif
