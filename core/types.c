/* types.c — layouts and traits of every ggml tensor type (see types.h).
 * Sizes follow ggml-common.h; the K-quant sizes are checked where the block
 * structs are defined (core/quant_blocks.h). */
#include "types.h"

#include <stdio.h>

static const hone_type_info TYPES[HONE_TYPE_COUNT] = {
    [HONE_TYPE_F32] = {"f32", 1, 4, HONE_TYPE_F32},
    [HONE_TYPE_F16] = {"f16", 1, 2, HONE_TYPE_F16},
    [HONE_TYPE_Q4_0] = {"q4_0", 32, 2 + 16, HONE_TYPE_Q8_0},
    [HONE_TYPE_Q4_1] = {"q4_1", 32, 4 + 16, HONE_TYPE_Q8_1},
    [4] = {"q4_2", 0, 0},
    [5] = {"q4_3", 0, 0},
    [HONE_TYPE_Q5_0] = {"q5_0", 32, 2 + 4 + 16, HONE_TYPE_Q8_0},
    [HONE_TYPE_Q5_1] = {"q5_1", 32, 4 + 4 + 16, HONE_TYPE_Q8_1},
    [HONE_TYPE_Q8_0] = {"q8_0", 32, 2 + 32, HONE_TYPE_Q8_0},
    [HONE_TYPE_Q8_1] = {"q8_1", 32, 4 + 32},
    [HONE_TYPE_Q2_K] = {"q2_K", QK_K, QK_K / 16 + QK_K / 4 + 4, HONE_TYPE_Q8_K},
    [HONE_TYPE_Q3_K] = {"q3_K", QK_K, QK_K / 8 + QK_K / 4 + 12 + 2, HONE_TYPE_Q8_K},
    [HONE_TYPE_Q4_K] = {"q4_K", QK_K, 4 + 12 + QK_K / 2, HONE_TYPE_Q8_K},
    [HONE_TYPE_Q5_K] = {"q5_K", QK_K, 4 + 12 + QK_K / 8 + QK_K / 2, HONE_TYPE_Q8_K},
    [HONE_TYPE_Q6_K] = {"q6_K", QK_K, QK_K / 2 + QK_K / 4 + QK_K / 16 + 2, HONE_TYPE_Q8_K},
    [HONE_TYPE_Q8_K] = {"q8_K", QK_K, 4 + QK_K + QK_K / 16 * 2},
    [HONE_TYPE_IQ2_XXS] = {"iq2_xxs", QK_K, 2 + QK_K / 8 * 2},
    [HONE_TYPE_IQ2_XS] = {"iq2_xs", QK_K, 2 + QK_K / 8 * 2 + QK_K / 32},
    [HONE_TYPE_IQ3_XXS] = {"iq3_xxs", QK_K, 2 + 3 * QK_K / 8},
    [HONE_TYPE_IQ1_S] = {"iq1_s", QK_K, 2 + QK_K / 8 + QK_K / 16},
    [HONE_TYPE_IQ4_NL] = {"iq4_nl", 32, 2 + 16},
    [HONE_TYPE_IQ3_S] = {"iq3_s", QK_K, 2 + QK_K / 4 + QK_K / 32 + QK_K / 8 + QK_K / 64},
    [HONE_TYPE_IQ2_S] = {"iq2_s", QK_K, 2 + QK_K / 4 + QK_K / 32 + QK_K / 32},
    [HONE_TYPE_IQ4_XS] = {"iq4_xs", QK_K, 2 + 2 + QK_K / 64 + QK_K / 2},
    [HONE_TYPE_I8] = {"i8", 1, 1},
    [HONE_TYPE_I16] = {"i16", 1, 2},
    [HONE_TYPE_I32] = {"i32", 1, 4},
    [HONE_TYPE_I64] = {"i64", 1, 8},
    [HONE_TYPE_F64] = {"f64", 1, 8},
    [HONE_TYPE_IQ1_M] = {"iq1_m", QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32},
    [HONE_TYPE_BF16] = {"bf16", 1, 2, HONE_TYPE_BF16},
    [31] = {"q4_0_4_4", 0, 0},
    [32] = {"q4_0_4_8", 0, 0},
    [33] = {"q4_0_8_8", 0, 0},
    [HONE_TYPE_TQ1_0] = {"tq1_0", QK_K, (QK_K - 4 * QK_K / 64) / 5 + QK_K / 64 + 2},
    [HONE_TYPE_TQ2_0] = {"tq2_0", QK_K, QK_K / 4 + 2},
    [36] = {"iq4_nl_4_4", 0, 0},
    [37] = {"iq4_nl_4_8", 0, 0},
    [38] = {"iq4_nl_8_8", 0, 0},
    [HONE_TYPE_MXFP4] = {"mxfp4", 32, 1 + 16},
};

const hone_type_info *hone_type_get(uint32_t t)
{
    if (t >= HONE_TYPE_COUNT || !TYPES[t].name) return NULL;
    return &TYPES[t];
}

const char *hone_type_name(uint32_t t)
{
    const hone_type_info *ti = hone_type_get(t);
    return ti ? ti->name : "?";
}

uint32_t hone_vec_dot_type(uint32_t t)
{
    const hone_type_info *ti = hone_type_get(t);
    return ti && ti->vec_dot_type ? ti->vec_dot_type : t;
}

size_t hone_type_align(uint32_t t)
{
    const hone_type_info *ti = hone_type_get(t);
    if (!ti || ti->type_size == 0) return 1;
    if (ti->blck_size == 1) return ti->type_size; /* f32, f16, bf16, i8..i64, f64 */
    return t == HONE_TYPE_Q8_K ? 4 : 2;
}

bool hone_row_bytes(uint32_t t, uint64_t n, uint64_t *bytes)
{
    const hone_type_info *ti = hone_type_get(t);
    if (!ti || ti->type_size == 0 || n % ti->blck_size) return false;
    uint64_t blocks = n / ti->blck_size;
    if (blocks > UINT64_MAX / ti->type_size) return false;
    *bytes = blocks * ti->type_size;
    return true;
}
