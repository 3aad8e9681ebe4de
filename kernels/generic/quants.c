/* quants.c — 32-element block quants (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) in
 * portable C: dequantization, activation quantization, dot products.
 *
 * Dot products follow ggml: the integer sum of one block's products is
 * exact, then scaled by both blocks' scales and accumulated in float. */
#include "generic.h"

#include <math.h>
#include <string.h>

/* --- dequantization ---------------------------------------------------- */

void hone_gen_q4_0_to_float(const void *vx, float *y, int64_t n)
{
    const block_q4_0 *x = vx;
    for (int64_t i = 0; i < n / QK4_0; i++, y += QK4_0) {
        const float d = hone_gen_h2f(x[i].d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            y[j] = (float)((x[i].qs[j] & 0x0f) - 8) * d;
            y[j + QK4_0 / 2] = (float)((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void hone_gen_q4_1_to_float(const void *vx, float *y, int64_t n)
{
    const block_q4_1 *x = vx;
    for (int64_t i = 0; i < n / QK4_1; i++, y += QK4_1) {
        const float d = hone_gen_h2f(x[i].d);
        const float m = hone_gen_h2f(x[i].m);
        for (int j = 0; j < QK4_1 / 2; j++) {
            y[j] = (float)(x[i].qs[j] & 0x0f) * d + m;
            y[j + QK4_1 / 2] = (float)(x[i].qs[j] >> 4) * d + m;
        }
    }
}

static uint32_t load_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* The 5-bit quants of a q5_0 / q5_1 block: bit j of qh is the high bit of
 * element j, bit j + 16 of element j + 16. */
static void unpack_q5(const uint8_t *qs, const uint8_t *qh4, int q[32])
{
    const uint32_t qh = load_u32le(qh4);
    for (int j = 0; j < 16; j++) {
        q[j] = (qs[j] & 0x0f) | (int)(((qh >> j) & 1) << 4);
        q[j + 16] = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
    }
}

void hone_gen_q5_0_to_float(const void *vx, float *y, int64_t n)
{
    const block_q5_0 *x = vx;
    int q[32];
    for (int64_t i = 0; i < n / QK5_0; i++, y += QK5_0) {
        const float d = hone_gen_h2f(x[i].d);
        unpack_q5(x[i].qs, x[i].qh, q);
        for (int j = 0; j < 32; j++) y[j] = (float)(q[j] - 16) * d;
    }
}

void hone_gen_q5_1_to_float(const void *vx, float *y, int64_t n)
{
    const block_q5_1 *x = vx;
    int q[32];
    for (int64_t i = 0; i < n / QK5_1; i++, y += QK5_1) {
        const float d = hone_gen_h2f(x[i].d);
        const float m = hone_gen_h2f(x[i].m);
        unpack_q5(x[i].qs, x[i].qh, q);
        for (int j = 0; j < 32; j++) y[j] = (float)q[j] * d + m;
    }
}

void hone_gen_q8_0_to_float(const void *vx, float *y, int64_t n)
{
    const block_q8_0 *x = vx;
    for (int64_t i = 0; i < n / QK8_0; i++, y += QK8_0) {
        const float d = hone_gen_h2f(x[i].d);
        for (int j = 0; j < QK8_0; j++) y[j] = (float)x[i].qs[j] * d;
    }
}

/* --- quantization ------------------------------------------------------ */

/* Activations to Q8_0 the way llama.cpp does it on x86 (its AVX2 path, which
 * produced the reference logits): d = amax / 127, q = x * (127 / amax)
 * rounded to nearest with ties to even. (ggml's portable reference uses
 * 1/d and roundf; the two differ only in rare last-bit ties.) */
void hone_gen_q8_0_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        y[i].d = hone_f32_to_f16(d);
        for (int j = 0; j < QK8_0; j++) y[i].qs[j] = (int8_t)lrintf(x[j] * id);
    }
}

/* Weights to Q4_0 as ggml's reference quantizer does (the value of largest
 * magnitude maps to -8). Used for tests and `hone quantize`. */
void hone_gen_q4_0_from_float(const float *x, void *vy, int64_t n)
{
    block_q4_0 *y = vy;
    for (int64_t i = 0; i < n / QK4_0; i++, x += QK4_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK4_0; j++) {
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = hone_f32_to_f16(d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            /* truncation of x*id + 8.5 rounds half up, as ggml does */
            int q0 = (int)(x[j] * id + 8.5f);
            int q1 = (int)(x[j + QK4_0 / 2] * id + 8.5f);
            q0 = q0 > 15 ? 15 : q0;
            q1 = q1 > 15 ? 15 : q1;
            y[i].qs[j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

/* Activations for Q4_1 / Q5_1 weights: Q8_0's quantization plus
 * s = d * sum(q) (d before its f16 rounding), as llama.cpp's x86 path. */
void hone_gen_q8_1_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / 32; i++, x += 32) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            y[i].qs[j] = (int8_t)lrintf(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].d = hone_f32_to_f16(d);
        y[i].s = hone_f32_to_f16(d * (float)sum);
    }
}

void hone_gen_q8_1_to_float(const void *vx, float *y, int64_t n)
{
    const block_q8_1 *x = vx;
    for (int64_t i = 0; i < n / 32; i++, y += 32) {
        const float d = hone_gen_h2f(x[i].d);
        for (int j = 0; j < 32; j++) y[j] = (float)x[i].qs[j] * d;
    }
}

/* --- dot products ------------------------------------------------------ */

void hone_gen_vec_dot_q4_0_q8_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_0; i++) {
        int sumi = 0;
        for (int j = 0; j < QK4_0 / 2; j++) {
            sumi += ((x[i].qs[j] & 0x0f) - 8) * y[i].qs[j];
            sumi += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + QK4_0 / 2];
        }
        sum += (float)sumi * (hone_gen_h2f(x[i].d) * hone_gen_h2f(y[i].d));
    }
    *s = sum;
}

void hone_gen_vec_dot_q5_0_q8_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_0 *x = vx;
    const block_q8_0 *y = vy;
    int q[32];
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_0; i++) {
        unpack_q5(x[i].qs, x[i].qh, q);
        int sumi = 0;
        for (int j = 0; j < 32; j++) sumi += (q[j] - 16) * y[i].qs[j];
        sum += (float)sumi * (hone_gen_h2f(x[i].d) * hone_gen_h2f(y[i].d));
    }
    *s = sum;
}

void hone_gen_vec_dot_q8_0_q8_0(int n, float *s, const void *vx, const void *vy)
{
    const block_q8_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_0; i++) {
        int sumi = 0;
        for (int j = 0; j < QK8_0; j++) sumi += x[i].qs[j] * y[i].qs[j];
        sum += (float)sumi * (hone_gen_h2f(x[i].d) * hone_gen_h2f(y[i].d));
    }
    *s = sum;
}

/* x = d*q + m against y = dy*a: d*dy*sum(q*a) + m*(dy*sum(a)), the last
 * factor being Q8_1's s. */
void hone_gen_vec_dot_q4_1_q8_1(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_1 *x = vx;
    const block_q8_1 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / 32; i++) {
        int sumi = 0;
        for (int j = 0; j < 16; j++) {
            sumi += (x[i].qs[j] & 0x0f) * y[i].qs[j];
            sumi += (x[i].qs[j] >> 4) * y[i].qs[j + 16];
        }
        sum += (hone_gen_h2f(x[i].d) * hone_gen_h2f(y[i].d)) * (float)sumi +
               hone_gen_h2f(x[i].m) * hone_gen_h2f(y[i].s);
    }
    *s = sum;
}

void hone_gen_vec_dot_q5_1_q8_1(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_1 *x = vx;
    const block_q8_1 *y = vy;
    int q[32];
    float sum = 0.0f;
    for (int i = 0; i < n / 32; i++) {
        unpack_q5(x[i].qs, x[i].qh, q);
        int sumi = 0;
        for (int j = 0; j < 32; j++) sumi += q[j] * y[i].qs[j];
        sum += (hone_gen_h2f(x[i].d) * hone_gen_h2f(y[i].d)) * (float)sumi +
               hone_gen_h2f(x[i].m) * hone_gen_h2f(y[i].s);
    }
    *s = sum;
}
