/* test_util.h — random rows of any type for the kernel tests. */
#ifndef HONE_TEST_KERNELS_UTIL_H
#define HONE_TEST_KERNELS_UTIL_H

#include "generic/generic.h"
#include "kernels.h"
#include "quant_blocks.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

static inline uint64_t hone_test_rand(uint64_t *s)
{
    /* splitmix64: deterministic, good enough for test data */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static inline float hone_test_uniform(uint64_t *s)
{
    return (float)((double)(hone_test_rand(s) >> 11) * 0x1p-52 - 1.0);
}

/* n floats uniform in [-scale, scale) (malloc'ed, caller frees). */
static inline float *hone_test_floats(int64_t n, uint64_t seed, float scale)
{
    float *x = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) x[i] = scale * hone_test_uniform(&seed);
    return x;
}

typedef struct {
    void *data;
    size_t bytes;
} hone_test_row;

/* A scale as stored (f16) of magnitude 2^-9 .. 2^-5, random sign. */
static inline hone_half hone_test_scale(uint64_t *s, int positive)
{
    const float v = (float)(0x1p-9 + (hone_test_uniform(s) + 1.0f) * 0x1p-6);
    return hone_f32_to_f16(positive || (hone_test_rand(s) & 1) ? v : -v);
}

/* n elements of type t: random bits everywhere (every quant pattern,
 * including extremes), then sane random scales so values stay finite. */
static inline hone_test_row hone_test_make_row(uint32_t t, int64_t n, uint64_t seed)
{
    hone_test_row r = {0};
    uint64_t bytes = 0;
    if (!hone_row_bytes(t, (uint64_t)n, &bytes)) abort();
    r.bytes = (size_t)bytes;
    r.data = NULL;
#ifdef MADV_HUGEPAGE
    /* as the engine reads a model by default (load_plan.h): 2 MiB pages,
     * so bench_kernels' from-memory numbers are what decode meets */
    if (r.bytes >= (2u << 20) && posix_memalign(&r.data, 2u << 20, r.bytes + 64) == 0)
        madvise(r.data, r.bytes + 64, MADV_HUGEPAGE);
#endif
    if (!r.data) r.data = malloc(r.bytes + 64);
    uint8_t *p = r.data;
    for (size_t i = 0; i < r.bytes; i++) p[i] = (uint8_t)hone_test_rand(&seed);
    const int64_t nb = n / (int64_t)hone_type_get(t)->blck_size;
    for (int64_t i = 0; i < nb; i++) {
        switch (t) {
        case HONE_TYPE_F32: ((float *)p)[i] = hone_test_uniform(&seed); break;
        case HONE_TYPE_F16: ((uint16_t *)p)[i] = hone_f32_to_f16(hone_test_uniform(&seed)); break;
        case HONE_TYPE_BF16: ((uint16_t *)p)[i] = hone_f32_to_bf16(hone_test_uniform(&seed)); break;
        case HONE_TYPE_Q4_0: ((block_q4_0 *)p)[i].d = hone_test_scale(&seed, 0); break;
        case HONE_TYPE_Q4_1:
            ((block_q4_1 *)p)[i].d = hone_test_scale(&seed, 1);
            ((block_q4_1 *)p)[i].m = hone_test_scale(&seed, 0);
            break;
        case HONE_TYPE_Q5_0: ((block_q5_0 *)p)[i].d = hone_test_scale(&seed, 0); break;
        case HONE_TYPE_Q5_1:
            ((block_q5_1 *)p)[i].d = hone_test_scale(&seed, 1);
            ((block_q5_1 *)p)[i].m = hone_test_scale(&seed, 0);
            break;
        case HONE_TYPE_Q8_0: ((block_q8_0 *)p)[i].d = hone_test_scale(&seed, 0); break;
        case HONE_TYPE_Q4_K:
            ((block_q4_K *)p)[i].d = hone_test_scale(&seed, 1);
            ((block_q4_K *)p)[i].dmin = hone_test_scale(&seed, 1);
            break;
        case HONE_TYPE_Q5_K:
            ((block_q5_K *)p)[i].d = hone_test_scale(&seed, 1);
            ((block_q5_K *)p)[i].dmin = hone_test_scale(&seed, 1);
            break;
        case HONE_TYPE_Q6_K: ((block_q6_K *)p)[i].d = hone_test_scale(&seed, 0); break;
        case HONE_TYPE_Q2_K:
            ((block_q2_K *)p)[i].d = hone_test_scale(&seed, 1);
            ((block_q2_K *)p)[i].dmin = hone_test_scale(&seed, 1);
            break;
        case HONE_TYPE_Q3_K: ((block_q3_K *)p)[i].d = hone_test_scale(&seed, 0); break;
        default: abort();
        }
    }
    return r;
}

/* x (n floats) converted to type t with k's from_float. */
static inline hone_test_row hone_test_quantize(const hone_kernels *k, uint32_t t,
                                               const float *x, int64_t n)
{
    hone_test_row r = {0};
    uint64_t bytes = 0;
    if (!hone_row_bytes(t, (uint64_t)n, &bytes) || !k->type[t].from_float) abort();
    r.bytes = (size_t)bytes;
    r.data = malloc(r.bytes + 64);
    k->type[t].from_float(x, r.data, n);
    return r;
}

#endif
