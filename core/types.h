/* types.h — the type traits of every tensor type a GGUF file can hold:
 * the type ids (ggml's enum values, which are the file format's), the
 * storage layout (elements and bytes per block) and, for the types hone
 * computes with, the type the activations are converted to before a dot
 * product (vec_dot_type, as ggml's type traits say: Q8_0 for
 * Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, F16 for F16,
 * BF16 for BF16, F32 for F32). This is format and numerics knowledge only;
 * which code computes each type lives in the kernel table
 * (kernels/kernels.h), one per ISA. */
#ifndef HONE_TYPES_H
#define HONE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    HONE_TYPE_F32 = 0,
    HONE_TYPE_F16 = 1,
    HONE_TYPE_Q4_0 = 2,
    HONE_TYPE_Q4_1 = 3,
    /* 4, 5: Q4_2, Q4_3 (removed from ggml) */
    HONE_TYPE_Q5_0 = 6,
    HONE_TYPE_Q5_1 = 7,
    HONE_TYPE_Q8_0 = 8,
    HONE_TYPE_Q8_1 = 9,
    HONE_TYPE_Q2_K = 10,
    HONE_TYPE_Q3_K = 11,
    HONE_TYPE_Q4_K = 12,
    HONE_TYPE_Q5_K = 13,
    HONE_TYPE_Q6_K = 14,
    HONE_TYPE_Q8_K = 15,
    HONE_TYPE_IQ2_XXS = 16,
    HONE_TYPE_IQ2_XS = 17,
    HONE_TYPE_IQ3_XXS = 18,
    HONE_TYPE_IQ1_S = 19,
    HONE_TYPE_IQ4_NL = 20,
    HONE_TYPE_IQ3_S = 21,
    HONE_TYPE_IQ2_S = 22,
    HONE_TYPE_IQ4_XS = 23,
    HONE_TYPE_I8 = 24,
    HONE_TYPE_I16 = 25,
    HONE_TYPE_I32 = 26,
    HONE_TYPE_I64 = 27,
    HONE_TYPE_F64 = 28,
    HONE_TYPE_IQ1_M = 29,
    HONE_TYPE_BF16 = 30,
    /* 31..33: Q4_0_4_4, Q4_0_4_8, Q4_0_8_8 (removed) */
    HONE_TYPE_TQ1_0 = 34,
    HONE_TYPE_TQ2_0 = 35,
    /* 36..38: IQ4_NL_4_4, IQ4_NL_4_8, IQ4_NL_8_8 (removed) */
    HONE_TYPE_MXFP4 = 39,
    HONE_TYPE_COUNT = 40
} hone_type;

#define QK_K 256 /* super-block size of the K-quants */

typedef struct {
    const char *name;   /* "q4_K", as ggml names it; NULL for unused ids */
    uint32_t blck_size; /* elements per block (1 for plain types) */
    uint32_t type_size; /* bytes per block; 0 = removed type, no layout */
    uint32_t vec_dot_type; /* activations' type in a dot product with a row
                              of this type; left 0 where hone has no dot
                              product for the type (read it through
                              hone_vec_dot_type, which says "itself") */
} hone_type_info;

/* Info for id t, or NULL if t is not a ggml type id at all. Removed types
 * return an entry with type_size 0 (recognised, but no data layout). */
const hone_type_info *hone_type_get(uint32_t t);
/* Name for id t ("f16"), "removed(31)" style for removed, "?" for unknown. */
const char *hone_type_name(uint32_t t);
/* Bytes of a row of n elements; returns false if n is not a whole number of
 * blocks or the type has no layout. */
bool hone_row_bytes(uint32_t t, uint64_t n, uint64_t *bytes);
/* The alignment in bytes a pointer to data of type t needs for the kernels
 * to read it through typed pointers (float, uint16_t, the block structs of
 * quant_blocks.h): the element size of plain types, 2 for the quantized
 * blocks (their fp16 scales), 4 for Q8_K (a float); 1 for ids that are not
 * types. GGUF's general.alignment may be lower (any power of two). */
size_t hone_type_align(uint32_t t);
/* The vec_dot_type of t (t itself for ids that are not types). */
uint32_t hone_vec_dot_type(uint32_t t);

#endif
