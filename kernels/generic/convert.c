/* convert.c — F16 / BF16 conversions and the dot products of the plain
 * float types, in portable C.
 *
 * The scalar conversions are written with integer bit operations so they
 * give the same bits on every CPU and compiler (no reliance on _Float16 or
 * F16C): round-to-nearest-even, as the hardware converters (and so ggml on
 * x86) do. */
#include "generic.h"

#include <string.h>

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float hone_f16_to_f32(uint16_t h)
{
    return hone_gen_h2f(h);
}

/* Shift m right by s (1..31) rounding to nearest, ties to even. */
static uint32_t shift_rne(uint32_t m, unsigned s)
{
    uint32_t q = m >> s;
    uint32_t rem = m & ((1u << s) - 1);
    uint32_t half = 1u << (s - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return q;
}

uint16_t hone_f32_to_f16(float f)
{
    uint32_t u = f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    u &= 0x7fffffffu;
    if (u > 0x7f800000u) /* NaN: keep the top payload bits, force quiet */
        return (uint16_t)(sign | 0x7e00 | ((u >> 13) & 0x3ff));
    if (u >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* >= 65520 -> inf */
    if (u < 0x38800000u) {
        /* below the smallest normal half (2^-14): a subnormal or zero.
         * value = mant * 2^(e-150); in units of 2^-24 that is
         * mant >> (126 - e). */
        uint32_t e = u >> 23;
        if (e < 102) return sign; /* < 2^-25: rounds to zero */
        uint32_t mant = (u & 0x7fffffu) | 0x800000u;
        return (uint16_t)(sign | shift_rne(mant, 126 - e));
    }
    /* normal: rebias the exponent, round the 13 dropped mantissa bits; a
     * carry out of the mantissa correctly bumps the exponent. */
    return (uint16_t)(sign | shift_rne(u - 0x38000000u, 13));
}

float hone_bf16_to_f32(uint16_t h)
{
    return bits_f32((uint32_t)h << 16);
}

uint16_t hone_f32_to_bf16(float f)
{
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    /* round to nearest even on the 16 dropped bits (like ggml); overflow
     * correctly carries into infinity. */
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

/* --- row converters ---------------------------------------------------- */

void hone_gen_f32_to_float(const void *x, float *y, int64_t n)
{
    memcpy(y, x, (size_t)n * sizeof(float));
}

void hone_gen_f32_from_float(const float *x, void *y, int64_t n)
{
    memcpy(y, x, (size_t)n * sizeof(float));
}

void hone_gen_f16_to_float(const void *x, float *y, int64_t n)
{
    const uint16_t *h = x;
    for (int64_t i = 0; i < n; i++) y[i] = hone_gen_h2f(h[i]);
}

void hone_gen_f16_from_float(const float *x, void *y, int64_t n)
{
    uint16_t *h = y;
    for (int64_t i = 0; i < n; i++) h[i] = hone_f32_to_f16(x[i]);
}

void hone_gen_bf16_to_float(const void *x, float *y, int64_t n)
{
    const uint16_t *h = x;
    for (int64_t i = 0; i < n; i++) y[i] = hone_bf16_to_f32(h[i]);
}

void hone_gen_bf16_from_float(const float *x, void *y, int64_t n)
{
    uint16_t *h = y;
    for (int64_t i = 0; i < n; i++) h[i] = hone_f32_to_bf16(x[i]);
}

/* --- dot products: products in float (exact for f16/bf16 inputs), summed
 * in 8 float lanes (which the compiler vectorizes) and the lanes in
 * double: the accurate, portable reference the SIMD sets are held to. --- */

#define GEN_DOT(fname, T, CONV)                                              \
    void fname(int n, float *s, const void *x, const void *y)                \
    {                                                                        \
        const T *a = x, *b = y;                                              \
        float lane[8] = {0};                                                 \
        int i = 0;                                                           \
        for (; i + 8 <= n; i += 8)                                           \
            for (int j = 0; j < 8; j++) lane[j] += CONV(a[i + j]) * CONV(b[i + j]); \
        double sum = 0.0;                                                    \
        for (int j = 0; j < 8; j++) sum += (double)lane[j];                  \
        for (; i < n; i++) sum += (double)(CONV(a[i]) * CONV(b[i]));         \
        *s = (float)sum;                                                     \
    }

#define GEN_ID(v) (v)
GEN_DOT(hone_gen_vec_dot_f32, float, GEN_ID)
GEN_DOT(hone_gen_vec_dot_f16, uint16_t, hone_gen_h2f)
GEN_DOT(hone_gen_vec_dot_bf16, uint16_t, hone_bf16_to_f32)
