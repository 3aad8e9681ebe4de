/* quant_blocks.h — the in-memory layout of ggml's quantized blocks.
 *
 * Field order and sizes follow ggml-common.h byte for byte, because GGUF
 * tensor data is these structs laid end to end and hone reads it in place
 * from the mmap. Half-precision fields are raw IEEE binary16 bit patterns
 * (convert with hone_f16_to_f32). Every size is checked against the type
 * table in src/ggml_types.c, so a layout slip fails the build.
 */
#ifndef HONE_QUANT_BLOCKS_H
#define HONE_QUANT_BLOCKS_H

#include "types.h"

#include <stdint.h>

typedef uint16_t hone_half; /* IEEE binary16 bits */

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define K_SCALE_SIZE 12

/* x = d * (q - 8); qs[j] holds element j (low nibble) and j + 16 (high). */
typedef struct {
    hone_half d;
    uint8_t qs[QK4_0 / 2];
} block_q4_0;
_Static_assert(sizeof(block_q4_0) == 2 + QK4_0 / 2, "block_q4_0 size");

/* x = d * q + m, q in 0..15, nibbles as in q4_0. */
typedef struct {
    hone_half d;
    hone_half m;
    uint8_t qs[QK4_1 / 2];
} block_q4_1;
_Static_assert(sizeof(block_q4_1) == 4 + QK4_1 / 2, "block_q4_1 size");

/* x = d * (q - 16); the 5th bit of element j is bit j of qh (little endian). */
typedef struct {
    hone_half d;
    uint8_t qh[4];
    uint8_t qs[QK5_0 / 2];
} block_q5_0;
_Static_assert(sizeof(block_q5_0) == 2 + 4 + QK5_0 / 2, "block_q5_0 size");

typedef struct {
    hone_half d;
    hone_half m;
    uint8_t qh[4];
    uint8_t qs[QK5_1 / 2];
} block_q5_1;
_Static_assert(sizeof(block_q5_1) == 4 + 4 + QK5_1 / 2, "block_q5_1 size");

/* x = d * q */
typedef struct {
    hone_half d;
    int8_t qs[QK8_0];
} block_q8_0;
_Static_assert(sizeof(block_q8_0) == 2 + QK8_0, "block_q8_0 size");

/* Q8_0 with s = d * sum(qs), the activation type of Q4_1 / Q5_1. */
typedef struct {
    hone_half d;
    hone_half s;
    int8_t qs[32];
} block_q8_1;
_Static_assert(sizeof(block_q8_1) == 4 + 32, "block_q8_1 size");

/* --- K-quants: super-blocks of QK_K = 256 elements --------------------- */

/* 16 sub-blocks of 16: x = d * (scales & 0xF) * q - dmin * (scales >> 4). */
typedef struct {
    uint8_t scales[QK_K / 16];
    uint8_t qs[QK_K / 4];
    hone_half d;
    hone_half dmin;
} block_q2_K;
_Static_assert(sizeof(block_q2_K) == QK_K / 16 + QK_K / 4 + 4, "block_q2_K size");

/* 16 sub-blocks of 16, 6-bit signed scales packed into 12 bytes. */
typedef struct {
    uint8_t hmask[QK_K / 8];
    uint8_t qs[QK_K / 4];
    uint8_t scales[12];
    hone_half d;
} block_q3_K;
_Static_assert(sizeof(block_q3_K) == QK_K / 8 + QK_K / 4 + 12 + 2, "block_q3_K size");

/* 8 sub-blocks of 32: x = d * sc * q - dmin * m, 6-bit sc/m in scales. */
typedef struct {
    hone_half d;
    hone_half dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qs[QK_K / 2];
} block_q4_K;
_Static_assert(sizeof(block_q4_K) == 4 + K_SCALE_SIZE + QK_K / 2, "block_q4_K size");

/* q4_K plus a 5th bit per element in qh. */
typedef struct {
    hone_half d;
    hone_half dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
} block_q5_K;
_Static_assert(sizeof(block_q5_K) == 4 + K_SCALE_SIZE + QK_K / 8 + QK_K / 2, "block_q5_K size");

/* 16 sub-blocks of 16: x = d * scales[i] * (q - 32), q 6 bits (ql + qh). */
typedef struct {
    uint8_t ql[QK_K / 2];
    uint8_t qh[QK_K / 4];
    int8_t scales[QK_K / 16];
    hone_half d;
} block_q6_K;
_Static_assert(sizeof(block_q6_K) == QK_K / 2 + QK_K / 4 + QK_K / 16 + 2, "block_q6_K size");

/* Activations for K-quant dot products: x = d * q, with the sum of each
 * group of 16 quants precomputed (for the min terms). */
typedef struct {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
} block_q8_K;
_Static_assert(sizeof(block_q8_K) == 4 + QK_K + QK_K / 16 * 2, "block_q8_K size");

/* hone_type_align (types.c) promises these alignments: the model loader
 * copies a tensor whose file offset does not meet them. */
_Static_assert(_Alignof(block_q4_0) <= 2 && _Alignof(block_q8_0) <= 2 && _Alignof(block_q4_K) <= 2 &&
                   _Alignof(block_q5_K) <= 2 && _Alignof(block_q6_K) <= 2 && _Alignof(block_q2_K) <= 2 &&
                   _Alignof(block_q3_K) <= 2 && _Alignof(block_q8_1) <= 2,
               "quant block alignment");
_Static_assert(_Alignof(block_q8_K) <= 4, "block_q8_K alignment");

#endif
