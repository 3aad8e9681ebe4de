/* ggml_types.h — the tensor type ids used by GGUF files (ggml's enum) and
 * their storage layout: elements per block and bytes per block.
 * This is file-format knowledge only; what hone can *compute* lives in the
 * kernel table (kernels/kernels.h). */
#ifndef HONE_GGML_TYPES_H
#define HONE_GGML_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    GGML_TYPE_F32 = 0,
    GGML_TYPE_F16 = 1,
    GGML_TYPE_Q4_0 = 2,
    GGML_TYPE_Q4_1 = 3,
    /* 4, 5: Q4_2, Q4_3 (removed from ggml) */
    GGML_TYPE_Q5_0 = 6,
    GGML_TYPE_Q5_1 = 7,
    GGML_TYPE_Q8_0 = 8,
    GGML_TYPE_Q8_1 = 9,
    GGML_TYPE_Q2_K = 10,
    GGML_TYPE_Q3_K = 11,
    GGML_TYPE_Q4_K = 12,
    GGML_TYPE_Q5_K = 13,
    GGML_TYPE_Q6_K = 14,
    GGML_TYPE_Q8_K = 15,
    GGML_TYPE_IQ2_XXS = 16,
    GGML_TYPE_IQ2_XS = 17,
    GGML_TYPE_IQ3_XXS = 18,
    GGML_TYPE_IQ1_S = 19,
    GGML_TYPE_IQ4_NL = 20,
    GGML_TYPE_IQ3_S = 21,
    GGML_TYPE_IQ2_S = 22,
    GGML_TYPE_IQ4_XS = 23,
    GGML_TYPE_I8 = 24,
    GGML_TYPE_I16 = 25,
    GGML_TYPE_I32 = 26,
    GGML_TYPE_I64 = 27,
    GGML_TYPE_F64 = 28,
    GGML_TYPE_IQ1_M = 29,
    GGML_TYPE_BF16 = 30,
    /* 31..33: Q4_0_4_4, Q4_0_4_8, Q4_0_8_8 (removed) */
    GGML_TYPE_TQ1_0 = 34,
    GGML_TYPE_TQ2_0 = 35,
    /* 36..38: IQ4_NL_4_4, IQ4_NL_4_8, IQ4_NL_8_8 (removed) */
    GGML_TYPE_MXFP4 = 39,
    GGML_TYPE_COUNT = 40
} ggml_type;

#define QK_K 256 /* super-block size of the K-quants */

typedef struct {
    const char *name;   /* "q4_K", as ggml names it; NULL for unused ids */
    uint32_t blck_size; /* elements per block (1 for plain types) */
    uint32_t type_size; /* bytes per block; 0 = removed type, no layout */
} ggml_type_info;

/* Info for id t, or NULL if t is not a ggml type id at all. Removed types
 * return an entry with type_size 0 (recognised, but no data layout). */
const ggml_type_info *ggml_type_get(uint32_t t);
/* Name for id t ("f16"), "removed(31)" style for removed, "?" for unknown. */
const char *ggml_type_name(uint32_t t);
/* Bytes of a row of n elements; returns false if n is not a whole number of
 * blocks or the type has no layout. */
bool ggml_row_bytes(uint32_t t, uint64_t n, uint64_t *bytes);

#endif
