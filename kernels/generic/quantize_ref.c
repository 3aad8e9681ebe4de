/* quantize_ref.c — the reference weight quantizers of the plain types and
 * the 32-element block types (see kernels/quant_ref.h), and the table of
 * all of them.
 *
 * The block rules are ggml's: the scale comes from the value of largest
 * magnitude (Q4_0 / Q5_0: that value maps to the most negative level) or
 * from min and max (Q4_1 / Q5_1); levels are truncations of x/d + offset
 * + 0.5 (round half up), Q8_0 rounds half away from zero. Every scale is
 * stored as F16, but the levels use the unrounded float one, as ggml does. */
#include "generic.h"
#include "quant_ref.h"

#include <float.h>
#include <math.h>
#include <string.h>

void hone_qref_f32(const float *x, void *y, int64_t n)
{
    memcpy(y, x, (size_t)n * sizeof(float));
}

void hone_qref_f16(const float *x, void *y, int64_t n)
{
    uint16_t *h = y;
    for (int64_t i = 0; i < n; i++) h[i] = hone_f32_to_f16(x[i]);
}

void hone_qref_bf16(const float *x, void *y, int64_t n)
{
    uint16_t *h = y;
    for (int64_t i = 0; i < n; i++) h[i] = hone_f32_to_bf16(x[i]);
}

/* The value of largest magnitude in b[0..32), with its sign (the first
 * one on ties, as ggml scans). */
static float signed_absmax32(const float *b)
{
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; j++) {
        if (amax < fabsf(b[j])) {
            amax = fabsf(b[j]);
            max = b[j];
        }
    }
    return max;
}

static void min_max32(const float *b, float *mn, float *mx)
{
    float lo = FLT_MAX, hi = -FLT_MAX;
    for (int j = 0; j < 32; j++) {
        if (b[j] < lo) lo = b[j];
        if (b[j] > hi) hi = b[j];
    }
    *mn = lo;
    *mx = hi;
}

/* ggml stores the level through an int8_t cast of the float; for the
 * in-range values these produce, truncation toward zero is the same. */
static int level(float v, int cap)
{
    const int q = (int8_t)v;
    return q < cap ? q : cap;
}

void hone_qref_q4_0(const float *x, void *vy, int64_t n)
{
    block_q4_0 *y = vy;
    for (int64_t i = 0; i < n / QK4_0; i++, x += QK4_0) {
        const float d = signed_absmax32(x) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = hone_f32_to_f16(d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            const int q0 = level(x[j] * id + 8.5f, 15);
            const int q1 = level(x[j + QK4_0 / 2] * id + 8.5f, 15);
            y[i].qs[j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

void hone_qref_q4_1(const float *x, void *vy, int64_t n)
{
    block_q4_1 *y = vy;
    for (int64_t i = 0; i < n / QK4_1; i++, x += QK4_1) {
        float mn, mx;
        min_max32(x, &mn, &mx);
        const float d = (mx - mn) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = hone_f32_to_f16(d);
        y[i].m = hone_f32_to_f16(mn);
        for (int j = 0; j < QK4_1 / 2; j++) {
            const int q0 = level((x[j] - mn) * id + 0.5f, 15);
            const int q1 = level((x[j + QK4_1 / 2] - mn) * id + 0.5f, 15);
            y[i].qs[j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

/* Low nibbles into qs (element j low, j + 16 high), fifth bits into qh. */
static void pack_q5(const int q[32], uint8_t qs[16], uint8_t qh_out[4])
{
    uint32_t qh = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((q[j] & 0xF) | (q[j + 16] & 0xF) << 4);
        qh |= (uint32_t)((q[j] >> 4) & 1) << j;
        qh |= (uint32_t)((q[j + 16] >> 4) & 1) << (j + 16);
    }
    for (int b = 0; b < 4; b++) qh_out[b] = (uint8_t)(qh >> (8 * b)); /* little endian */
}

void hone_qref_q5_0(const float *x, void *vy, int64_t n)
{
    block_q5_0 *y = vy;
    for (int64_t i = 0; i < n / QK5_0; i++, x += QK5_0) {
        const float d = signed_absmax32(x) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = hone_f32_to_f16(d);
        int q[32];
        for (int j = 0; j < 32; j++) q[j] = level(x[j] * id + 16.5f, 31);
        pack_q5(q, y[i].qs, y[i].qh);
    }
}

void hone_qref_q5_1(const float *x, void *vy, int64_t n)
{
    block_q5_1 *y = vy;
    for (int64_t i = 0; i < n / QK5_1; i++, x += QK5_1) {
        float mn, mx;
        min_max32(x, &mn, &mx);
        const float d = (mx - mn) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = hone_f32_to_f16(d);
        y[i].m = hone_f32_to_f16(mn);
        int q[32];
        /* no cap here in ggml: (x - min) * id + 0.5 <= 31.5 by construction */
        for (int j = 0; j < 32; j++) q[j] = (uint8_t)((x[j] - mn) * id + 0.5f);
        pack_q5(q, y[i].qs, y[i].qh);
    }
}

void hone_qref_q8_0(const float *x, void *vy, int64_t n)
{
    block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++) amax = amax > fabsf(x[j]) ? amax : fabsf(x[j]);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = hone_f32_to_f16(d);
        for (int j = 0; j < QK8_0; j++) y[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

hone_quantize_row_fn hone_quantize_ref(uint32_t t)
{
    switch (t) {
    case HONE_TYPE_F32: return hone_qref_f32;
    case HONE_TYPE_F16: return hone_qref_f16;
    case HONE_TYPE_BF16: return hone_qref_bf16;
    case HONE_TYPE_Q4_0: return hone_qref_q4_0;
    case HONE_TYPE_Q4_1: return hone_qref_q4_1;
    case HONE_TYPE_Q5_0: return hone_qref_q5_0;
    case HONE_TYPE_Q5_1: return hone_qref_q5_1;
    case HONE_TYPE_Q8_0: return hone_qref_q8_0;
    case HONE_TYPE_Q2_K: return hone_qref_q2_K;
    case HONE_TYPE_Q3_K: return hone_qref_q3_K;
    case HONE_TYPE_Q4_K: return hone_qref_q4_K;
    case HONE_TYPE_Q5_K: return hone_qref_q5_K;
    case HONE_TYPE_Q6_K: return hone_qref_q6_K;
    default: return NULL;
    }
}
