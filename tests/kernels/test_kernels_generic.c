/* test_kernels_generic.c — the portable kernel set against first principles:
 * exhaustive F16/BF16 conversion checks, hand-built blocks of every quant
 * type with known values (so a layout slip fails), quantization error
 * bounds, dot products against double-precision dots of dequantized rows,
 * row ops against double math, and the set chooser's errors. */
#include "test_util.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- block layouts ----------------------------------------------------- */

static void test_block_sizes(void **state)
{
    (void)state;
    static const struct { uint32_t t; size_t size; } B[] = {
        {HONE_TYPE_Q4_0, sizeof(block_q4_0)}, {HONE_TYPE_Q4_1, sizeof(block_q4_1)},
        {HONE_TYPE_Q5_0, sizeof(block_q5_0)}, {HONE_TYPE_Q5_1, sizeof(block_q5_1)},
        {HONE_TYPE_Q8_0, sizeof(block_q8_0)}, {HONE_TYPE_Q8_1, sizeof(block_q8_1)},
        {HONE_TYPE_Q2_K, sizeof(block_q2_K)}, {HONE_TYPE_Q3_K, sizeof(block_q3_K)},
        {HONE_TYPE_Q4_K, sizeof(block_q4_K)}, {HONE_TYPE_Q5_K, sizeof(block_q5_K)},
        {HONE_TYPE_Q6_K, sizeof(block_q6_K)}, {HONE_TYPE_Q8_K, sizeof(block_q8_K)},
    };
    for (size_t i = 0; i < sizeof B / sizeof B[0]; i++)
        assert_int_equal(hone_type_get(B[i].t)->type_size, B[i].size);
    assert_int_equal(offsetof(block_q4_K, qs), 16);
    assert_int_equal(offsetof(block_q6_K, d), 208);
    assert_int_equal(offsetof(block_q8_K, bsums), 260);
}

/* --- F16 / BF16 -------------------------------------------------------- */

static void test_f16_roundtrip_exhaustive(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = hone_f16_to_f32((uint16_t)h);
        const uint16_t back = hone_f32_to_f16(f);
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) {
            assert_true(isnan(f));
            assert_int_equal(back, h | 0x200); /* NaN stays NaN, made quiet */
        } else {
            assert_int_equal(back, h);
        }
    }
}

static void test_f16_values(void **state)
{
    (void)state;
    assert_true(hone_f16_to_f32(0x3c00) == 1.0f);
    assert_true(hone_f16_to_f32(0xc000) == -2.0f);
    assert_true(hone_f16_to_f32(0x7bff) == 65504.0f);
    assert_true(hone_f16_to_f32(0x0001) == 0x1p-24f);
    assert_true(hone_f16_to_f32(0x0400) == 0x1p-14f);
    assert_true(isinf(hone_f16_to_f32(0xfc00)) && hone_f16_to_f32(0xfc00) < 0);
    assert_int_equal(hone_f32_to_f16(-0.0f), 0x8000);
    assert_int_equal(hone_f32_to_f16(65519.0f), 0x7bff);
    assert_int_equal(hone_f32_to_f16(65520.0f), 0x7c00); /* tie -> even = inf */
    assert_int_equal(hone_f32_to_f16(1e9f), 0x7c00);
    assert_int_equal(hone_f32_to_f16(-INFINITY), 0xfc00);
    assert_true((hone_f32_to_f16(NAN) & 0x7e00) == 0x7e00);
    assert_int_equal(hone_f32_to_f16(1.0f + 0x1p-11f), 0x3c00);      /* tie, even down */
    assert_int_equal(hone_f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);  /* tie, even up */
    assert_int_equal(hone_f32_to_f16(0x1p-25f), 0x0000);             /* tie -> 0 */
    assert_int_equal(hone_f32_to_f16(0x1.8p-25f), 0x0001);
    assert_int_equal(hone_f32_to_f16(0x1.8p-24f), 0x0002);           /* tie -> even */
    assert_int_equal(hone_f32_to_f16(0x1.ffcp-15f), 0x0400);         /* carry into normal */
}

/* Every f32 rounds to the nearest f16 (ties to even), checked against the
 * two neighbours in double on random bit patterns. */
static void test_f16_rne_random(void **state)
{
    (void)state;
    uint64_t rng = 12345;
    for (int i = 0; i < 2000000; i++) {
        uint32_t u = (uint32_t)hone_test_rand(&rng);
        /* stay in the finite f16 range: exponents 2^-26 .. 2^15 */
        u = (u & 0x807fffffu) | ((uint32_t)(101 + (u >> 23) % 42) << 23);
        float f;
        memcpy(&f, &u, 4);
        const uint16_t h = hone_f32_to_f16(f);
        const uint16_t mag = h & 0x7fff;
        if (mag == 0x7c00) { /* infinity exactly from the tie at 65520 up */
            assert_true(fabsf(f) >= 65520.0f);
            continue;
        }
        const double err = fabs((double)hone_f16_to_f32(h) - f);
        if (mag < 0x7bff) {
            const double up = fabs((double)hone_f16_to_f32((uint16_t)(h + 1)) - f);
            assert_true(err < up || (err == up && (h & 1) == 0));
        }
        if (mag > 0) {
            const double down = fabs((double)hone_f16_to_f32((uint16_t)(h - 1)) - f);
            assert_true(err < down || (err == down && (h & 1) == 0));
        }
    }
}

static void test_bf16(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = hone_bf16_to_f32((uint16_t)h);
        if ((h & 0x7f80) == 0x7f80 && (h & 0x7f))
            assert_int_equal(hone_f32_to_bf16(f), h | 0x40);
        else
            assert_int_equal(hone_f32_to_bf16(f), h);
    }
    assert_true(hone_bf16_to_f32(0x3f80) == 1.0f);
    assert_int_equal(hone_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);      /* tie, even down */
    assert_int_equal(hone_f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);  /* tie, even up */
    assert_int_equal(hone_f32_to_bf16(1.0f + 0x1.8p-8f), 0x3f81);
    assert_int_equal(hone_f32_to_bf16(3.4e38f), 0x7f80);            /* rounds to inf */
    assert_true((hone_f32_to_bf16(NAN) & 0x7fc0) == 0x7fc0);
}

/* --- hand-built blocks with known values ------------------------------- */

static void check_row(uint32_t t, const void *blocks, const float *want, int n)
{
    float got[2 * QK_K];
    hone_kernels_generic()->type[t].to_float(blocks, got, n);
    for (int i = 0; i < n; i++) {
        if (fabsf(got[i] - want[i]) > 1e-6f * (1.0f + fabsf(want[i])))
            fail_msg("%s element %d: got %g, want %g", hone_type_name(t), i, got[i], want[i]);
    }
}

static void test_known_q4_0_q8_0(void **state)
{
    (void)state;
    block_q4_0 b4 = {.d = hone_f32_to_f16(0.5f)};
    float want[32];
    for (int j = 0; j < 16; j++) {
        b4.qs[j] = (uint8_t)(j | (15 - j) << 4);
        want[j] = (float)(j - 8) * 0.5f;       /* low nibbles: elements 0..15 */
        want[j + 16] = (float)(7 - j) * 0.5f;  /* high nibbles: elements 16..31 */
    }
    check_row(HONE_TYPE_Q4_0, &b4, want, 32);

    block_q8_0 b8 = {.d = hone_f32_to_f16(0.25f)};
    for (int j = 0; j < 32; j++) {
        b8.qs[j] = (int8_t)(j * 8 - 128);
        want[j] = (float)(j * 8 - 128) * 0.25f;
    }
    check_row(HONE_TYPE_Q8_0, &b8, want, 32);
}

static void test_known_q5_0_q4_1(void **state)
{
    (void)state;
    block_q5_0 b = {.d = hone_f32_to_f16(2.0f)};
    float want[32];
    uint32_t qh = 0;
    for (int e = 0; e < 32; e++) {
        const int q = (e * 7) % 32; /* any 5-bit value per element */
        const int j = e % 16;
        b.qs[j] |= (uint8_t)((q & 15) << (e < 16 ? 0 : 4));
        qh |= (uint32_t)(q >> 4) << e;
        want[e] = (float)(q - 16) * 2.0f;
    }
    for (int i = 0; i < 4; i++) b.qh[i] = (uint8_t)(qh >> (8 * i));
    check_row(HONE_TYPE_Q5_0, &b, want, 32);

    block_q4_1 c = {.d = hone_f32_to_f16(0.5f), .m = hone_f32_to_f16(-1.0f)};
    for (int j = 0; j < 16; j++) {
        c.qs[j] = (uint8_t)(3 | j << 4);
        want[j] = 3 * 0.5f - 1.0f;
        want[j + 16] = (float)j * 0.5f - 1.0f;
    }
    check_row(HONE_TYPE_Q4_1, &c, want, 32);
}

/* Packs 8 six-bit scales and mins the way ggml lays them out. */
static void pack_k_scales(uint8_t out[12], const uint8_t sc[8], const uint8_t m[8])
{
    for (int j = 0; j < 4; j++) {
        out[j] = (uint8_t)(sc[j] | (sc[j + 4] >> 4) << 6);
        out[j + 4] = (uint8_t)(m[j] | (m[j + 4] >> 4) << 6);
        out[j + 8] = (uint8_t)((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
    }
}

static void test_known_q4_K_q5_K(void **state)
{
    (void)state;
    static const uint8_t sc[8] = {1, 63, 17, 32, 5, 48, 60, 33};
    static const uint8_t m[8] = {0, 2, 63, 40, 19, 31, 1, 50};
    const float d = 0.125f, dmin = 0.0625f;
    block_q4_K b4;
    block_q5_K b5;
    memset(&b4, 0, sizeof b4);
    memset(&b5, 0, sizeof b5);
    b4.d = b5.d = hone_f32_to_f16(d);
    b4.dmin = b5.dmin = hone_f32_to_f16(dmin);
    pack_k_scales(b4.scales, sc, m);
    pack_k_scales(b5.scales, sc, m);
    float want4[QK_K], want5[QK_K];
    for (int e = 0; e < QK_K; e++) {
        const int j = e / 32, l = e % 32; /* sub-block j of 32 */
        const int q = (e * 5 + j) % 32;   /* a 5-bit value */
        /* sub-blocks 2g and 2g+1 share bytes 32g..32g+31: low then high nibble */
        const int byte = 32 * (j / 2) + l, shift = (j % 2) * 4;
        b4.qs[byte] |= (uint8_t)((q & 15) << shift);
        b5.qs[byte] |= (uint8_t)((q & 15) << shift);
        b5.qh[l] |= (uint8_t)((q >> 4) << j); /* 5th bit: bit j of qh[l] */
        want4[e] = d * sc[j] * (float)(q & 15) - dmin * m[j];
        want5[e] = d * sc[j] * (float)q - dmin * m[j];
    }
    check_row(HONE_TYPE_Q4_K, &b4, want4, QK_K);
    check_row(HONE_TYPE_Q5_K, &b5, want5, QK_K);
}

static void test_known_q6_K(void **state)
{
    (void)state;
    block_q6_K b;
    memset(&b, 0, sizeof b);
    b.d = hone_f32_to_f16(0.03125f);
    for (int j = 0; j < 16; j++) b.scales[j] = (int8_t)(j * 17 - 128);
    float want[QK_K];
    for (int e = 0; e < QK_K; e++) {
        const int q = (e * 11 + 3) % 64; /* stored 6-bit value */
        const int h = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
        /* quarters 0,1 use the low nibbles of ql[l], ql[l+32]; 2,3 the high */
        b.ql[64 * h + l + 32 * (quarter & 1)] |= (uint8_t)((q & 15) << (quarter >= 2 ? 4 : 0));
        b.qh[32 * h + l] |= (uint8_t)((q >> 4) << (2 * quarter));
        want[e] = 0.03125f * b.scales[e / 16] * (float)(q - 32);
    }
    check_row(HONE_TYPE_Q6_K, &b, want, QK_K);
}

/* q2_K / q3_K: element 128h + 32k + l keeps its low 2 bits in byte
 * 32h + l at bits 2k; returns (byte index, shift). */
static void low2_pos(int e, int *byte, int *shift)
{
    *byte = 32 * (e / 128) + e % 32;
    *shift = 2 * ((e % 128) / 32);
}

static void test_known_q2_K_q3_K(void **state)
{
    (void)state;
    block_q2_K b2;
    block_q3_K b3;
    memset(&b2, 0, sizeof b2);
    memset(&b3, 0, sizeof b3);
    b2.d = hone_f32_to_f16(0.25f);
    b2.dmin = hone_f32_to_f16(0.125f);
    b3.d = hone_f32_to_f16(0.5f);
    int sc3[16];
    for (int j = 0; j < 16; j++) {
        b2.scales[j] = (uint8_t)((j * 5 % 16) | (15 - j) << 4); /* scale | min << 4 */
        sc3[j] = (j * 13) % 64 - 32;                          /* signed 6-bit */
        const int u = sc3[j] + 32;
        /* low nibbles: scales 0..7 in bytes 0..7 low, 8..15 in bytes 0..7
         * high; top bits: byte 8 + j % 4, bit pair j / 4 */
        b3.scales[j % 8] |= (uint8_t)((u & 15) << (j < 8 ? 0 : 4));
        b3.scales[8 + j % 4] |= (uint8_t)((u >> 4) << (2 * (j / 4)));
    }
    float want2[QK_K], want3[QK_K];
    for (int e = 0; e < QK_K; e++) {
        int byte, shift;
        low2_pos(e, &byte, &shift);
        const int q2 = (e * 7 + e / 16) % 4;
        b2.qs[byte] |= (uint8_t)(q2 << shift);
        b3.qs[byte] |= (uint8_t)(q2 << shift);
        const int high = (e / 3) % 2; /* q3 = q2 - 4 unless the high bit is set */
        b3.hmask[e % 32] |= (uint8_t)(high << (4 * (e / 128) + (e % 128) / 32));
        const int j = e / 16;
        want2[e] = 0.25f * (float)(b2.scales[j] & 15) * (float)q2 - 0.125f * (float)(b2.scales[j] >> 4);
        want3[e] = 0.5f * (float)sc3[j] * (float)(q2 - (high ? 0 : 4));
    }
    check_row(HONE_TYPE_Q2_K, &b2, want2, QK_K);
    check_row(HONE_TYPE_Q3_K, &b3, want3, QK_K);
}

/* --- quantization error bounds ----------------------------------------- */

static void test_q8_1_quantize(void **state)
{
    (void)state;
    const hone_kernels *k = hone_kernels_generic();
    enum { N = 32 * 16 };
    float *x = hone_test_floats(N, 11, 5.0f), y[N];
    block_q8_1 q[N / 32], q0[N / 32];
    k->type[HONE_TYPE_Q8_1].from_float(x, q, N);
    k->type[HONE_TYPE_Q8_0].from_float(x, q0, N);
    k->type[HONE_TYPE_Q8_1].to_float(q, y, N);
    for (int b = 0; b < N / 32; b++) {
        /* the quants and d are Q8_0's; s is d * sum(q) */
        assert_int_equal(q[b].d, ((block_q8_0 *)q0)[b].d);
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            assert_int_equal(q[b].qs[j], ((block_q8_0 *)q0)[b].qs[j]);
            sum += q[b].qs[j];
            assert_true(y[32 * b + j] == (float)q[b].qs[j] * hone_f16_to_f32(q[b].d));
        }
        const float d = hone_f16_to_f32(q[b].d);
        assert_true(fabsf(hone_f16_to_f32(q[b].s) - d * (float)sum) <= fabsf(d * (float)sum) * 0x1p-10f + 1e-6f);
    }
    free(x);
}


static void test_q8_0_quantize(void **state)
{
    (void)state;
    const hone_kernels *k = hone_kernels_generic();
    enum { N = 32 * 64 };
    float *x = hone_test_floats(N, 1, 3.0f), y[N];
    block_q8_0 q[N / 32];
    memset(&x[64], 0, 32 * sizeof(float)); /* an all-zero block */
    k->type[HONE_TYPE_Q8_0].from_float(x, q, N);
    k->type[HONE_TYPE_Q8_0].to_float(q, y, N);
    for (int b = 0; b < N / 32; b++) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[32 * b + j]));
        const float d = amax / 127;
        assert_true(fabsf(hone_f16_to_f32(q[b].d) - d) <= d * 0x1p-11f);
        for (int j = 0; j < 32; j++) {
            assert_true(q[b].qs[j] >= -127 && q[b].qs[j] <= 127);
            /* half a step of rounding plus the f16 error of d times 127 */
            assert_true(fabsf(y[32 * b + j] - x[32 * b + j]) <= 0.5f * d + 127 * d * 0x1p-11f + 1e-7f);
        }
    }
    free(x);
}

static void test_q8_K_quantize(void **state)
{
    (void)state;
    const hone_kernels *k = hone_kernels_generic();
    enum { N = QK_K * 8 };
    float *x = hone_test_floats(N, 2, 10.0f), y[N];
    block_q8_K q[N / QK_K];
    memset(&x[QK_K], 0, QK_K * sizeof(float));
    k->type[HONE_TYPE_Q8_K].from_float(x, q, N);
    k->type[HONE_TYPE_Q8_K].to_float(q, y, N);
    for (int b = 0; b < N / QK_K; b++) {
        float amax = 0;
        for (int j = 0; j < QK_K; j++) amax = fmaxf(amax, fabsf(x[QK_K * b + j]));
        assert_true(fabsf(fabsf(q[b].d) - amax / 127) <= amax * 1e-6f);
        for (int g = 0; g < QK_K / 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += q[b].qs[16 * g + l];
            assert_int_equal(q[b].bsums[g], sum);
        }
        for (int j = 0; j < QK_K; j++)
            assert_true(fabsf(y[QK_K * b + j] - x[QK_K * b + j]) <= 0.5f * amax / 127 * 1.0001f + 1e-7f);
    }
    free(x);
}

static void test_q4_0_quantize(void **state)
{
    (void)state;
    const hone_kernels *k = hone_kernels_generic();
    enum { N = 32 * 32 };
    float *x = hone_test_floats(N, 3, 1.0f), y[N];
    block_q4_0 q[N / 32];
    k->type[HONE_TYPE_Q4_0].from_float(x, q, N);
    k->type[HONE_TYPE_Q4_0].to_float(q, y, N);
    for (int b = 0; b < N / 32; b++) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[32 * b + j]));
        const float d = amax / 8;
        /* the largest maps to -8 exactly; the other side is clamped at 7,
         * so the worst error is one step */
        for (int j = 0; j < 32; j++)
            assert_true(fabsf(y[32 * b + j] - x[32 * b + j]) <= d * 1.001f);
    }
    free(x);
}

static void test_f16_bf16_rows(void **state)
{
    (void)state;
    const hone_kernels *k = hone_kernels_generic();
    enum { N = 1000 };
    float *x = hone_test_floats(N, 4, 100.0f), y[N];
    uint16_t h[N];
    k->type[HONE_TYPE_F16].from_float(x, h, N);
    k->type[HONE_TYPE_F16].to_float(h, y, N);
    for (int i = 0; i < N; i++) assert_true(fabsf(y[i] - x[i]) <= fabsf(x[i]) * 0x1p-11f + 0x1p-25f);
    k->type[HONE_TYPE_BF16].from_float(x, h, N);
    k->type[HONE_TYPE_BF16].to_float(h, y, N);
    for (int i = 0; i < N; i++) assert_true(fabsf(y[i] - x[i]) <= fabsf(x[i]) * 0x1p-8f);
    free(x);
}

/* --- dot products against double math ---------------------------------- */

static const uint32_t DOT_TYPES[] = {
    HONE_TYPE_F32,  HONE_TYPE_F16,  HONE_TYPE_BF16, HONE_TYPE_Q4_0, HONE_TYPE_Q4_1,
    HONE_TYPE_Q5_0, HONE_TYPE_Q5_1, HONE_TYPE_Q8_0, HONE_TYPE_Q2_K, HONE_TYPE_Q3_K,
    HONE_TYPE_Q4_K, HONE_TYPE_Q5_K, HONE_TYPE_Q6_K,
};

static void test_vec_dot_vs_double(void **state)
{
    (void)state;
    const hone_kernels *k = hone_kernels_generic();
    for (size_t ti = 0; ti < sizeof DOT_TYPES / sizeof DOT_TYPES[0]; ti++) {
        const uint32_t t = DOT_TYPES[ti];
        const uint32_t vt = hone_vec_dot_type(t);
        assert_non_null(k->type[t].vec_dot);
        assert_non_null(k->type[vt].from_float);
        for (int rep = 0; rep < 20; rep++) {
            const int n = QK_K * (1 + rep % 5);
            hone_test_row w = hone_test_make_row(t, n, 100 + (uint64_t)rep);
            float *act = hone_test_floats(n, 200 + (uint64_t)rep, 2.0f);
            hone_test_row a = hone_test_quantize(k, vt, act, n);
            float *wf = malloc(sizeof(float) * (size_t)n), *af = malloc(sizeof(float) * (size_t)n);
            k->type[t].to_float(w.data, wf, n);
            k->type[vt].to_float(a.data, af, n);
            double ref = 0, mag = 0;
            for (int i = 0; i < n; i++) {
                ref += (double)wf[i] * af[i];
                mag += fabs((double)wf[i] * af[i]);
            }
            if (vt == HONE_TYPE_Q8_1) {
                /* Q8_1 carries d * sum(q) rounded to f16: the min term
                 * m * s is off by up to 2^-11 of itself, by design */
                const block_q8_1 *ab = a.data;
                for (int b = 0; b < n / 32; b++) {
                    /* q4_1 and q5_1 both start with d, m */
                    const hone_half *dm = (const hone_half *)((const char *)w.data + (size_t)b * hone_type_get(t)->type_size);
                    mag += fabs((double)hone_f16_to_f32(dm[1]) * hone_f16_to_f32(ab[b].s)) * 0x1p-11 / 2e-6;
                }
            }
            float s = NAN;
            k->type[t].vec_dot(n, &s, w.data, a.data);
            if (!(fabs(s - ref) <= 2e-6 * mag + 1e-6))
                fail_msg("%s n=%d: vec_dot %.9g, double %.9g (mag %g)", hone_type_name(t), n,
                         s, ref, mag);
            free(wf);
            free(af);
            free(act);
            free(w.data);
            free(a.data);
        }
    }
}

static void test_matmul_vs_vec_dot(void **state)
{
    (void)state;
    const hone_kernels *k = hone_kernels_generic();
    for (size_t ti = 0; ti < sizeof DOT_TYPES / sizeof DOT_TYPES[0]; ti++) {
        const uint32_t t = DOT_TYPES[ti], vt = hone_vec_dot_type(t);
        enum { N = 512, ROWS = 7, TOK = 3, LDY = 9 };
        hone_test_row w = hone_test_make_row(t, N * ROWS, 7 + ti);
        float *act = hone_test_floats(N * TOK, 8 + ti, 1.0f);
        hone_test_row a = hone_test_quantize(k, vt, act, N * TOK);
        const size_t wrb = w.bytes / ROWS, arb = a.bytes / TOK;
        float y[TOK * LDY];
        for (int i = 0; i < TOK * LDY; i++) y[i] = NAN;
        k->matmul(k, t, w.data, wrb, a.data, arb, N, 1, ROWS, TOK, y, LDY);
        for (int tk = 0; tk < TOK; tk++) {
            assert_true(isnan(y[tk * LDY])); /* row 0 is outside [1, ROWS) */
            for (int r = 1; r < ROWS; r++) {
                float s;
                k->type[t].vec_dot(N, &s, (const char *)w.data + r * wrb,
                                   (const char *)a.data + tk * arb);
                assert_true(y[tk * LDY + r] == s);
            }
            assert_true(isnan(y[tk * LDY + ROWS]));
        }
        free(act);
        free(w.data);
        free(a.data);
    }
}

/* --- row ops ----------------------------------------------------------- */

static void test_row_ops(void **state)
{
    (void)state;
    const hone_kernels *k = hone_kernels_generic();
    enum { N = 333 };
    float *x = hone_test_floats(N, 9, 4.0f), *w = hone_test_floats(N, 10, 1.0f);
    float out[N];
    double ss = 0;
    for (int i = 0; i < N; i++) ss += (double)x[i] * x[i];
    const double sc = 1.0 / sqrt(ss / N + 1e-5);
    k->rmsnorm(out, x, w, N, 1e-5f);
    for (int i = 0; i < N; i++) assert_true(fabs(out[i] - x[i] * sc * w[i]) <= 1e-5 * (1 + fabs(x[i] * sc)));
    k->rmsnorm(out, x, NULL, N, 1e-5f);
    for (int i = 0; i < N; i++) assert_true(fabs(out[i] - x[i] * sc) <= 1e-5 * (1 + fabs(x[i] * sc)));

    memcpy(out, x, sizeof out);
    k->softmax(out, N);
    double mx = -1e300, sum = 0;
    for (int i = 0; i < N; i++) mx = fmax(mx, x[i]);
    for (int i = 0; i < N; i++) sum += exp(x[i] - mx);
    for (int i = 0; i < N; i++) assert_true(fabs(out[i] - exp(x[i] - mx) / sum) <= 1e-6 * (exp(x[i] - mx) / sum) + 1e-9);

    k->silu_mul(out, x, w, N);
    for (int i = 0; i < N; i++) {
        const double ref = x[i] / (1 + exp(-(double)x[i])) * w[i];
        assert_true(fabs(out[i] - ref) <= 1e-6 * (1 + fabs(ref)));
    }
    free(x);
    free(w);
}

/* --- choosing a set ------------------------------------------------------ */

static void test_select(void **state)
{
    (void)state;
    const hone_kernels *k = NULL;
    hone_error err = {0};
    unsetenv("HONE_KERNELS");
    assert_int_equal(hone_kernels_select(NULL, &k, &err), HONE_OK);
    assert_non_null(k);
    assert_true(hone_kernels_can_run(k->name));
    assert_int_equal(hone_kernels_select("generic", &k, &err), HONE_OK);
    assert_ptr_equal(k, hone_kernels_generic());
    assert_int_equal(hone_kernels_select("nope", &k, &err), HONE_ERR_ARG);
    assert_non_null(strstr(err.msg, "nope"));
    assert_non_null(strstr(err.msg, "generic"));
    /* the library reads no environment: HONE_KERNELS is the front-end's
     * (tests/engine: hone_kernels_env_*) */
    const hone_kernels *best = k;
    assert_int_equal(hone_kernels_select(NULL, &best, &err), HONE_OK);
    setenv("HONE_KERNELS", "bogus", 1);
    assert_int_equal(hone_kernels_select(NULL, &k, &err), HONE_OK);
    assert_ptr_equal(k, best);
    assert_int_equal(hone_kernels_select("", &k, &err), HONE_OK);
    assert_ptr_equal(k, best);
    unsetenv("HONE_KERNELS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_sizes),
        cmocka_unit_test(test_f16_roundtrip_exhaustive),
        cmocka_unit_test(test_f16_values),
        cmocka_unit_test(test_f16_rne_random),
        cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_known_q4_0_q8_0),
        cmocka_unit_test(test_known_q5_0_q4_1),
        cmocka_unit_test(test_known_q4_K_q5_K),
        cmocka_unit_test(test_known_q6_K),
        cmocka_unit_test(test_known_q2_K_q3_K),
        cmocka_unit_test(test_q8_1_quantize),
        cmocka_unit_test(test_q8_0_quantize),
        cmocka_unit_test(test_q8_K_quantize),
        cmocka_unit_test(test_q4_0_quantize),
        cmocka_unit_test(test_f16_bf16_rows),
        cmocka_unit_test(test_vec_dot_vs_double),
        cmocka_unit_test(test_matmul_vs_vec_dot),
        cmocka_unit_test(test_row_ops),
        cmocka_unit_test(test_select),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
