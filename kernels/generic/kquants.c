/* kquants.c — K-quants (super-blocks of 256) in portable C: Q2_K, Q3_K,
 * Q4_K, Q5_K, Q6_K weights against Q8_K activations.
 *
 * Each weight super-block is first unpacked into plain integer quants and
 * per-sub-block scales (the layout knowledge lives in the unpack functions
 * only); dequantization and the dot products then share that. Within a
 * super-block the dot product is exact integer arithmetic; one float
 * multiply-add per super-block follows, as in ggml. */
#include "generic.h"

#include <math.h>
#include <string.h>

void hone_kquant_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m)
{
    /* 8 six-bit scales and 8 six-bit mins in 12 bytes: sub-blocks 0..3 use
     * the low 6 bits of bytes 0..3 (scale) / 4..7 (min); sub-blocks 4..7 put
     * their low 4 bits in bytes 8..11 and their top 2 bits in the spare top
     * bits of bytes 0..3 (scale) / 4..7 (min). */
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/* q4_K: 8 sub-blocks of 32; byte l of each 32-byte group g holds element
 * 64g + l in its low nibble and 64g + 32 + l in its high nibble. */
static void unpack_q4_K(const block_q4_K *b, uint8_t q[QK_K], uint8_t sc[8], uint8_t m[8])
{
    for (int g = 0; g < 4; g++) {
        for (int l = 0; l < 32; l++) {
            q[64 * g + l] = b->qs[32 * g + l] & 0x0f;
            q[64 * g + 32 + l] = b->qs[32 * g + l] >> 4;
        }
    }
    for (int j = 0; j < 8; j++) hone_kquant_scale_min(j, b->scales, &sc[j], &m[j]);
}

/* q5_K: q4_K plus qh: bit 2g of qh[l] is the 5th bit of element 64g + l,
 * bit 2g + 1 that of element 64g + 32 + l. */
static void unpack_q5_K(const block_q5_K *b, uint8_t q[QK_K], uint8_t sc[8], uint8_t m[8])
{
    for (int g = 0; g < 4; g++) {
        for (int l = 0; l < 32; l++) {
            const uint8_t h = b->qh[l];
            q[64 * g + l] = (uint8_t)((b->qs[32 * g + l] & 0x0f) | (((h >> (2 * g)) & 1) << 4));
            q[64 * g + 32 + l] = (uint8_t)((b->qs[32 * g + l] >> 4) | (((h >> (2 * g + 1)) & 1) << 4));
        }
    }
    for (int j = 0; j < 8; j++) hone_kquant_scale_min(j, b->scales, &sc[j], &m[j]);
}

/* q6_K: two halves of 128; in half h, for l in 0..31, ql[64h + l] holds
 * elements l (low nibble) and l + 64 (high), ql[64h + 32 + l] elements
 * l + 32 and l + 96, and qh[32h + l] their top 2 bits in bit pairs
 * 0, 2, 4, 6 for l, l + 32, l + 64, l + 96. Quants are stored + 32. */
static void unpack_q6_K(const block_q6_K *b, int8_t q[QK_K])
{
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = b->ql + 64 * h;
        const uint8_t *qh = b->qh + 32 * h;
        int8_t *o = q + 128 * h;
        for (int l = 0; l < 32; l++) {
            o[l] = (int8_t)(((ql[l] & 0x0f) | ((qh[l] & 3) << 4)) - 32);
            o[l + 32] = (int8_t)(((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32);
            o[l + 64] = (int8_t)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            o[l + 96] = (int8_t)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

/* q2_K / q3_K low 2 bits: two halves of 128; in half h, byte l (0..31) of
 * qs[32h..] holds elements 128h + 32k + l at bits 2k..2k+1, k = 0..3. */
static int low2(const uint8_t *qs, int e)
{
    const int h = e / 128, r = e % 128;
    return (qs[32 * h + r % 32] >> (2 * (r / 32))) & 3;
}

/* q3_K: q = low2 - 4 unless the element's bit in hmask is set; element
 * 128h + 32k + l uses bit 4h + k of hmask[l]. */
static void unpack_q3_K(const block_q3_K *b, int8_t q[QK_K], int8_t sc[16])
{
    for (int e = 0; e < QK_K; e++) {
        const int h = e / 128, r = e % 128;
        const int hbit = (b->hmask[r % 32] >> (4 * h + r / 32)) & 1;
        q[e] = (int8_t)(low2(b->qs, e) - (hbit ? 0 : 4));
    }
    /* 16 six-bit scales stored + 32: low 4 bits in the nibbles of bytes
     * 0..7 (scales 0..7 low nibbles, 8..15 high nibbles), top 2 bits in
     * bytes 8..11 (scale j: byte 8 + j % 4, bits 2 * (j / 4)). */
    const uint8_t *p = b->scales;
    for (int j = 0; j < 16; j++) {
        const int lo = j < 8 ? p[j] & 0x0f : p[j - 8] >> 4;
        const int hi = (p[8 + j % 4] >> (2 * (j / 4))) & 3;
        sc[j] = (int8_t)((lo | hi << 4) - 32);
    }
}

/* --- dequantization ---------------------------------------------------- */

void hone_gen_q2_K_to_float(const void *vx, float *y, int64_t n)
{
    const block_q2_K *x = vx;
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        const float d = hone_gen_h2f(x[i].d), dmin = hone_gen_h2f(x[i].dmin);
        for (int e = 0; e < QK_K; e++) {
            const uint8_t sc = x[i].scales[e / 16];
            y[e] = d * (float)(sc & 0x0f) * (float)low2(x[i].qs, e) - dmin * (float)(sc >> 4);
        }
    }
}

void hone_gen_q3_K_to_float(const void *vx, float *y, int64_t n)
{
    const block_q3_K *x = vx;
    int8_t q[QK_K], sc[16];
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        const float d = hone_gen_h2f(x[i].d);
        unpack_q3_K(&x[i], q, sc);
        for (int e = 0; e < QK_K; e++) y[e] = d * (float)sc[e / 16] * (float)q[e];
    }
}


void hone_gen_q4_K_to_float(const void *vx, float *y, int64_t n)
{
    const block_q4_K *x = vx;
    uint8_t q[QK_K], sc[8], m[8];
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        const float d = hone_gen_h2f(x[i].d);
        const float dmin = hone_gen_h2f(x[i].dmin);
        unpack_q4_K(&x[i], q, sc, m);
        for (int j = 0; j < 8; j++) {
            const float d1 = d * sc[j], m1 = dmin * m[j];
            for (int l = 0; l < 32; l++) y[32 * j + l] = d1 * q[32 * j + l] - m1;
        }
    }
}

void hone_gen_q5_K_to_float(const void *vx, float *y, int64_t n)
{
    const block_q5_K *x = vx;
    uint8_t q[QK_K], sc[8], m[8];
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        const float d = hone_gen_h2f(x[i].d);
        const float dmin = hone_gen_h2f(x[i].dmin);
        unpack_q5_K(&x[i], q, sc, m);
        for (int j = 0; j < 8; j++) {
            const float d1 = d * sc[j], m1 = dmin * m[j];
            for (int l = 0; l < 32; l++) y[32 * j + l] = d1 * q[32 * j + l] - m1;
        }
    }
}

void hone_gen_q6_K_to_float(const void *vx, float *y, int64_t n)
{
    const block_q6_K *x = vx;
    int8_t q[QK_K];
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        const float d = hone_gen_h2f(x[i].d);
        unpack_q6_K(&x[i], q);
        for (int j = 0; j < QK_K; j++) y[j] = d * x[i].scales[j / 16] * q[j];
    }
}

void hone_gen_q8_K_to_float(const void *vx, float *y, int64_t n)
{
    const block_q8_K *x = vx;
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K)
        for (int j = 0; j < QK_K; j++) y[j] = x[i].d * x[i].qs[j];
}

/* --- activation quantization ------------------------------------------- */

/* Round to nearest, ties to even, for |f| < 2^22 (ggml's nearest_int). */
static int nearest_int(float f)
{
    return (int)lrintf(f);
}

/* As ggml's quantize_row_q8_K_ref (which llama.cpp uses on every CPU): the
 * value of largest magnitude maps to -127 (so q = 127 can only come from
 * rounding and is clamped), d = 1 / iscale, plus the 16-element sums. */
void hone_gen_q8_K_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_K *y = vy;
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK_K; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < QK_K; j++) {
            const int v = nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)(v > 127 ? 127 : v);
        }
        for (int g = 0; g < QK_K / 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += y[i].qs[16 * g + l];
            y[i].bsums[g] = (int16_t)sum;
        }
        y[i].d = 1.0f / iscale;
    }
}

/* --- dot products ------------------------------------------------------ */

/* q4_K / q5_K: sum_j d*sc_j * <q_j, a_j> - dmin*m_j * sum(a_j), times the
 * activation scale; sum(a_j) comes from the Q8_K group sums. */
static float dot_kquant_min(const uint8_t q[QK_K], const uint8_t sc[8], const uint8_t m[8],
                            float d, float dmin, const block_q8_K *a)
{
    int sumi = 0, summ = 0;
    for (int j = 0; j < 8; j++) {
        int dot = 0;
        for (int l = 0; l < 32; l++) dot += q[32 * j + l] * a->qs[32 * j + l];
        sumi += sc[j] * dot;
        summ += m[j] * (a->bsums[2 * j] + a->bsums[2 * j + 1]);
    }
    return d * a->d * (float)sumi - dmin * a->d * (float)summ;
}

void hone_gen_vec_dot_q4_K_q8_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q4_K *x = vx;
    const block_q8_K *y = vy;
    uint8_t q[QK_K], sc[8], m[8];
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_q4_K(&x[i], q, sc, m);
        sum += dot_kquant_min(q, sc, m, hone_gen_h2f(x[i].d),
                              hone_gen_h2f(x[i].dmin), &y[i]);
    }
    *s = sum;
}

void hone_gen_vec_dot_q5_K_q8_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q5_K *x = vx;
    const block_q8_K *y = vy;
    uint8_t q[QK_K], sc[8], m[8];
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_q5_K(&x[i], q, sc, m);
        sum += dot_kquant_min(q, sc, m, hone_gen_h2f(x[i].d),
                              hone_gen_h2f(x[i].dmin), &y[i]);
    }
    *s = sum;
}

void hone_gen_vec_dot_q6_K_q8_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q6_K *x = vx;
    const block_q8_K *y = vy;
    int8_t q[QK_K];
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_q6_K(&x[i], q);
        int sumi = 0;
        for (int j = 0; j < QK_K / 16; j++) {
            int dot = 0;
            for (int l = 0; l < 16; l++) dot += q[16 * j + l] * y[i].qs[16 * j + l];
            sumi += x[i].scales[j] * dot;
        }
        sum += hone_gen_h2f(x[i].d) * y[i].d * (float)sumi;
    }
    *s = sum;
}

void hone_gen_vec_dot_q2_K_q8_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q2_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        int sumi = 0, summ = 0;
        for (int j = 0; j < QK_K / 16; j++) {
            int dot = 0;
            for (int l = 0; l < 16; l++) dot += low2(x[i].qs, 16 * j + l) * y[i].qs[16 * j + l];
            sumi += (x[i].scales[j] & 0x0f) * dot;
            summ += (x[i].scales[j] >> 4) * y[i].bsums[j];
        }
        sum += y[i].d * hone_gen_h2f(x[i].d) * (float)sumi -
               y[i].d * hone_gen_h2f(x[i].dmin) * (float)summ;
    }
    *s = sum;
}

void hone_gen_vec_dot_q3_K_q8_K(int n, float *s, const void *vx, const void *vy)
{
    const block_q3_K *x = vx;
    const block_q8_K *y = vy;
    int8_t q[QK_K], sc[16];
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        unpack_q3_K(&x[i], q, sc);
        int sumi = 0;
        for (int j = 0; j < QK_K / 16; j++) {
            int dot = 0;
            for (int l = 0; l < 16; l++) dot += q[16 * j + l] * y[i].qs[16 * j + l];
            sumi += sc[j] * dot;
        }
        sum += hone_gen_h2f(x[i].d) * y[i].d * (float)sumi;
    }
    *s = sum;
}
