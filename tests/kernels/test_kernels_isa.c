/* test_kernels_isa.c — every ISA kernel set this CPU can run, against the
 * generic set on random inputs: conversions and quantizers bit for bit,
 * dot products and matmul within real float-reordering bounds, odd sizes
 * and tails included, outputs pre-filled with NaN (or a byte pattern) so
 * an element left unwritten, or one written past the end, fails. Sets the
 * CPU cannot run are skipped with a message. */
#include "test_util.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpu_features/cpuinfo_x86.h>
#endif

static const char *const ISA_SETS[] = {"avx2", "avx512"};

/* The set by name, or NULL (with a message) if this build or CPU lacks it. */
static const hone_kernels *get_set(const char *name)
{
    if (!strstr(hone_kernels_choices(), name)) {
        print_message("[ SKIP     ] %s: not in this build (%s)\n", name, hone_kernels_choices());
        return NULL;
    }
    const hone_kernels *k = NULL;
    hone_error err = {0};
    if (hone_kernels_select(name, &k, &err) != HONE_OK) {
        assert_int_equal(err.status, HONE_ERR_CPU);
        assert_false(hone_kernels_can_run(name));
        print_message("[ SKIP     ] %s: %s\n", name, err.msg);
        return NULL;
    }
    assert_string_equal(k->name, name);
    return k;
}

static const uint32_t TYPES[] = {
    HONE_TYPE_F32,  HONE_TYPE_F16,  HONE_TYPE_BF16, HONE_TYPE_Q4_0, HONE_TYPE_Q4_1,
    HONE_TYPE_Q5_0, HONE_TYPE_Q5_1, HONE_TYPE_Q8_0, HONE_TYPE_Q8_1, HONE_TYPE_Q2_K,
    HONE_TYPE_Q3_K, HONE_TYPE_Q4_K, HONE_TYPE_Q5_K, HONE_TYPE_Q6_K, HONE_TYPE_Q8_K,
};
#define N_TYPES (sizeof TYPES / sizeof TYPES[0])

/* Element counts to try for type t: odd ones for the plain types (vector
 * tails), 1..17 blocks otherwise. */
static int sizes_for(uint32_t t, int *out)
{
    const uint32_t bs = hone_type_get(t)->blck_size;
    if (bs == 1) {
        static const int S[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 257, 1000, 4096};
        memcpy(out, S, sizeof S);
        return (int)(sizeof S / sizeof S[0]);
    }
    static const int B[] = {1, 2, 3, 5, 8, 17};
    for (size_t i = 0; i < sizeof B / sizeof B[0]; i++) out[i] = B[i] * (int)bs;
    return (int)(sizeof B / sizeof B[0]);
}

/* Inputs with awkward values: zeros, huge, tiny, a block with one spike. */
static float *awkward_floats(int n, uint64_t seed, int with_specials)
{
    float *x = hone_test_floats(n, seed, 3.0f);
    for (int i = 0; i < n; i++) {
        switch (i % 37) {
        case 5: x[i] = 0.0f; break;
        case 11: x[i] *= 1e4f; break;
        case 19: x[i] *= 1e-6f; break;
        case 23: x[i] = -x[i] * 50.0f; break;
        case 29: if (with_specials) x[i] = 1e-40f; break; /* f32 denormal */
        case 31: if (with_specials) x[i] = (i & 1) ? INFINITY : NAN; break;
        default: break;
        }
    }
    if (n >= 64) memset(x + 32, 0, 32 * sizeof(float)); /* an all-zero block */

    return x;
}

static void check_from_float(const hone_kernels *k, const hone_kernels *g)
{
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const uint32_t t = TYPES[ti];
        if (!k->type[t].from_float) continue;
        assert_non_null(g->type[t].from_float);
        int sizes[32];
        const int ns = sizes_for(t, sizes);
        for (int si = 0; si < ns; si++) {
            const int n = sizes[si];
            uint64_t bytes = 0;
            assert_true(hone_row_bytes(t, (uint64_t)n, &bytes));
            const int specials = hone_type_get(t)->blck_size == 1;
            float *x = awkward_floats(n, 1000 + (uint64_t)si, specials);
            if (n >= 512) {
                /* equal magnitudes of opposite sign: Q8_K takes the first
                 * one's sign, in both orders */
                x[10] = -1e5f;
                x[200] = 1e5f;
                x[256 + 7] = 2e5f;
                x[256 + 100] = -2e5f;
            }
            uint8_t *a = malloc(bytes + 32), *b = malloc(bytes + 32);
            memset(a, 0xab, bytes + 32);
            memset(b, 0xcd, bytes + 32);
            k->type[t].from_float(x, a, n);
            g->type[t].from_float(x, b, n);
            if (memcmp(a, b, bytes) != 0)
                fail_msg("%s %s from_float n=%d differs from generic", k->name, hone_type_name(t), n);
            for (uint64_t i = bytes; i < bytes + 32; i++)
                if (a[i] != 0xab) fail_msg("%s %s from_float n=%d wrote past the row", k->name, hone_type_name(t), n);
            free(x);
            free(a);
            free(b);
        }
    }
}

static void check_to_float(const hone_kernels *k, const hone_kernels *g)
{
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const uint32_t t = TYPES[ti];
        /* activation types: no random-bits generator; covered via from_float */
        if (t == HONE_TYPE_Q8_K || t == HONE_TYPE_Q8_1) continue;
        int sizes[32];
        const int ns = sizes_for(t, sizes);
        for (int si = 0; si < ns; si++) {
            const int n = sizes[si];
            hone_test_row w = hone_test_make_row(t, n, 2000 + (uint64_t)si);
            float *a = malloc(sizeof(float) * (size_t)(n + 8)), *b = malloc(sizeof(float) * (size_t)n);
            for (int i = 0; i < n + 8; i++) a[i] = NAN;
            k->type[t].to_float(w.data, a, n);
            g->type[t].to_float(w.data, b, n);
            for (int i = 0; i < n; i++)
                if (!(a[i] == b[i]) && !(fabsf(a[i] - b[i]) <= 1e-6f * fabsf(b[i])))
                    fail_msg("%s %s to_float n=%d [%d]: %g vs generic %g", k->name, hone_type_name(t), n, i, a[i], b[i]);
            for (int i = n; i < n + 8; i++) assert_true(isnan(a[i]));
            free(a);
            free(b);
            free(w.data);
        }
    }
}

/* Sum of |w_i * a_i| over the dequantized rows: the scale of the rounding
 * error any summation order can make. */
static double dot_magnitude(const hone_kernels *g, uint32_t t, uint32_t vt, const void *w, const void *a, int n)
{
    float *wf = malloc(sizeof(float) * (size_t)n), *af = malloc(sizeof(float) * (size_t)n);
    g->type[t].to_float(w, wf, n);
    g->type[vt].to_float(a, af, n);
    double mag = 0;
    for (int i = 0; i < n; i++) mag += fabs((double)wf[i] * af[i]);
    free(wf);
    free(af);
    return mag;
}

static void check_vec_dot(const hone_kernels *k, const hone_kernels *g)
{
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const uint32_t t = TYPES[ti];
        if (!g->type[t].vec_dot) continue;
        assert_non_null(k->type[t].vec_dot);
        const uint32_t vt = hone_vec_dot_type(t);
        int sizes[32];
        const int ns = sizes_for(t, sizes);
        for (int si = 0; si < ns; si++) {
            for (int rep = 0; rep < 3; rep++) {
                const int n = sizes[si];
                hone_test_row w = hone_test_make_row(t, n, 3000 + (uint64_t)(si * 7 + rep));
                float *x = awkward_floats(n, 4000 + (uint64_t)(si * 7 + rep), 0);
                hone_test_row a = hone_test_quantize(g, vt, x, n);
                float sk = NAN, sg = NAN;
                k->type[t].vec_dot(n, &sk, w.data, a.data);
                g->type[t].vec_dot(n, &sg, w.data, a.data);
                const double mag = dot_magnitude(g, t, vt, w.data, a.data, n);
                /* float sums in another order: a few ulps of the magnitude */
                const double tol = 4e-6 * mag + 1e-30;
                if (!(fabs((double)sk - sg) <= tol))
                    fail_msg("%s %s vec_dot n=%d: %.9g vs generic %.9g (mag %g)", k->name,
                             hone_type_name(t), n, sk, sg, mag);
                free(x);
                free(w.data);
                free(a.data);
            }
        }
    }
}

static void check_matmul_n(const hone_kernels *k, const hone_kernels *g, int n);

static void check_matmul(const hone_kernels *k, const hone_kernels *g)
{
    check_matmul_n(k, g, 2 * QK_K);
    /* rows longer than the kernels' precomputed activation-scale buffers
     * (16384 elements) take the other path; same results required */
    check_matmul_n(k, g, 33 * 1024);
    /* 32-element types: a block count that is not a multiple of 8 (the
     * 8-block decode groups fall back to the one-row kernels) */
    check_matmul_n(k, g, 13 * 32);
    /* F16 / BF16 / F32 only: attention's 64-element rows; an 8-element
     * remainder step (88 = 2 x 32 + 3 x 8); a scalar tail (85) */
    check_matmul_n(k, g, 64);
    check_matmul_n(k, g, 88);
    check_matmul_n(k, g, 85);
}

static void check_matmul_n(const hone_kernels *k, const hone_kernels *g, int n)
{
        /* rows, tokens, first row: tails in both the row strips and the
     * 4-token groups */
    static const int SHAPES[][3] = {{1, 1, 1}, {5, 1, 3}, {16, 4, 9}, {3, 7, 2}, {33, 5, 17},
                                    {8, 8, 8}, {40, 13, 3}, {24, 20, 5}, {17, 35, 0}, {3, 13, 1},
                                    {20, 1, 2}, {12, 3, 4}, {8, 2, 0}};
    /* ({24, 20, 5}, {17, 35, 0} reach the K-quant tiles, used from 16
     * tokens; the last three the 8-row decode groups, with a tail group
     * overlapping the one before) */
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const uint32_t t = TYPES[ti];
        if (!g->type[t].vec_dot || n % (int)hone_type_get(t)->blck_size) continue;
        const uint32_t vt = hone_vec_dot_type(t);
        for (size_t si = 0; si < sizeof SHAPES / sizeof SHAPES[0]; si++) {
            if (n > 4096 && SHAPES[si][0] * SHAPES[si][1] > 100) continue; /* keep it quick */
            const int rows = SHAPES[si][0], tok = SHAPES[si][1], r0 = SHAPES[si][2] % rows;
            const int ldy = rows + 3;
            hone_test_row w = hone_test_make_row(t, (int64_t)n * rows, 5000 + si);
            float *x = awkward_floats(n * tok, 6000 + si, 0);
            hone_test_row a = hone_test_quantize(g, vt, x, (int64_t)n * tok);
            const size_t wrb = w.bytes / (size_t)rows, arb = a.bytes / (size_t)tok;
            float *yk = malloc(sizeof(float) * (size_t)(tok * ldy));
            float *yg = malloc(sizeof(float) * (size_t)(tok * ldy));
            for (int i = 0; i < tok * ldy; i++) yk[i] = yg[i] = NAN;
            k->matmul(k, t, w.data, wrb, a.data, arb, n, r0, rows, tok, yk, ldy);
            g->matmul(g, t, w.data, wrb, a.data, arb, n, r0, rows, tok, yg, ldy);
            for (int tk = 0; tk < tok; tk++) {
                for (int r = 0; r < ldy; r++) {
                    const float vk = yk[tk * ldy + r], vg = yg[tk * ldy + r];
                    if (r < r0 || r >= rows) {
                        if (!isnan(vk)) fail_msg("%s %s matmul wrote outside rows [%d,%d): y[%d][%d]", k->name, hone_type_name(t), r0, rows, tk, r);
                        continue;
                    }
                    /* a token's result must not depend on the batch it is in */
                    float single = NAN;
                    k->type[t].vec_dot(n, &single, (const char *)w.data + (size_t)r * wrb,
                                       (const char *)a.data + (size_t)tk * arb);
                    if (!(vk == single))
                        fail_msg("%s %s matmul y[%d][%d] = %.9g but vec_dot gives %.9g", k->name,
                                 hone_type_name(t), tk, r, vk, single);
                    const double mag = dot_magnitude(g, t, vt, (const char *)w.data + (size_t)r * wrb,
                                                     (const char *)a.data + (size_t)tk * arb, n);
                    if (!(fabs((double)vk - vg) <= 4e-6 * mag + 1e-30))
                        fail_msg("%s %s matmul rows=%d tok=%d y[%d][%d]: %.9g vs generic %.9g", k->name,
                                 hone_type_name(t), rows, tok, tk, r, vk, vg);
                }
            }
            free(yk);
            free(yg);
            free(x);
            free(w.data);
            free(a.data);
        }
    }
}

/* repack: a set that lays a matrix out its own way (HONE_WTYPE_R16) must
 * give, over any row range and batch, the bits its matmul gives over the
 * rows as stored; a matrix it declines must be left byte for byte. */
static void check_repack(const hone_kernels *k, const hone_kernels *g)
{
    (void)g;
    if (!k->repack) {
        print_message("[ SKIP     ] %s: no repack\n", k->name);
        return;
    }
    /* K-quants: 2, 9, 16 and 32 super-blocks (the tiles' most) are taken,
     * 33 declined */
    static const int NS[] = {13 * 32, 2 * QK_K, 9 * QK_K, 4096, 300 * 32, 32 * QK_K, 33 * QK_K};
    static const int ROWS[] = {16, 48, 40};
    /* first row, end row (relative to the end), tokens */
    static const int RANGES[][2] = {{0, 0}, {8, 8}, {3, 5}, {16, 0}, {17, 15}};
    /* up to 16 tokens the few-token kernels, above them the tiles (AMX:
     * 16-token tiles, a last partial one padded: 17, 27, 50; the
     * K-quants in pairs of tiles, and 530 tokens for their passes of 512,
     * K-quants only and n <= 4096 to keep it quick) */
    static const int TOKS[] = {1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 27, 32, 50, 530};
    int repacked = 0;
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const uint32_t t = TYPES[ti];
        const uint32_t vt = hone_vec_dot_type(t);
        for (size_t ni = 0; ni < sizeof NS / sizeof NS[0]; ni++) {
            const int n = NS[ni];
            if (!g->type[t].vec_dot || n % (int)hone_type_get(t)->blck_size) continue;
            for (size_t ri = 0; ri < sizeof ROWS / sizeof ROWS[0]; ri++) {
                const int rows = ROWS[ri];
                hone_test_row w = hone_test_make_row(t, (int64_t)n * rows, 7000 + ni * 7 + ri);
                const size_t wrb = w.bytes / (size_t)rows;
                void *rw = malloc(w.bytes);
                assert_non_null(rw);
                memcpy(rw, w.data, w.bytes);
                if (!k->repack(t, rw, rows, wrb)) {
                    if (memcmp(rw, w.data, w.bytes))
                        fail_msg("%s repack declined %s %dx%d but changed it", k->name, hone_type_name(t), rows, n);
                    free(rw);
                    free(w.data);
                    continue;
                }
                repacked++;
                if (rows % 16) fail_msg("%s repacked %s with %d rows (not whole groups of 16)", k->name, hone_type_name(t), rows);
                if (!k->repack(t, NULL, 0, wrb)) fail_msg("%s repack: asked with 0 rows, declines %s it takes", k->name, hone_type_name(t));
                /* in parts of whole groups (as the loader's threads do): the same bytes */
                void *parts = malloc(w.bytes);
                assert_non_null(parts);
                memcpy(parts, w.data, w.bytes);
                assert_true(k->repack(t, parts, 16, wrb));
                assert_true(k->repack(t, (char *)parts + 16 * wrb, rows - 16, wrb));
                if (memcmp(parts, rw, w.bytes)) fail_msg("%s repack of %s in parts differs from the whole", k->name, hone_type_name(t));
                free(parts);
                for (size_t ki = 0; ki < sizeof TOKS / sizeof TOKS[0]; ki++) {
                    const int tok = TOKS[ki], ldy = rows + 3;
                    if (tok > 512 && (n > 4096 || (t != HONE_TYPE_Q4_K && t != HONE_TYPE_Q5_K && t != HONE_TYPE_Q6_K)))
                        continue;
                    float *x = awkward_floats(n * tok, 8000 + ki, 0);
                    hone_test_row a = hone_test_quantize(g, vt, x, (int64_t)n * tok);
                    const size_t arb = a.bytes / (size_t)tok;
                    float *yr = malloc(sizeof(float) * (size_t)(tok * ldy));
                    float *yp = malloc(sizeof(float) * (size_t)(tok * ldy));
                    for (size_t gi = 0; gi < sizeof RANGES / sizeof RANGES[0]; gi++) {
                        const int r0 = RANGES[gi][0], r1 = rows - RANGES[gi][1];
                        if (r0 >= r1) continue;
                        for (int i = 0; i < tok * ldy; i++) yr[i] = yp[i] = NAN;
                        k->matmul(k, t, w.data, wrb, a.data, arb, n, r0, r1, tok, yr, ldy);
                        k->matmul(k, t | HONE_WTYPE_R16, rw, wrb, a.data, arb, n, r0, r1, tok, yp, ldy);
                        for (int i = 0; i < tok * ldy; i++)
                            if (!(yp[i] == yr[i]) && !(isnan(yp[i]) && isnan(yr[i])))
                                fail_msg("%s %s repacked matmul n=%d rows [%d,%d) of %d, %d tokens: y[%d][%d] = %.9g, "
                                         "rows as stored give %.9g", k->name, hone_type_name(t), n, r0, r1, rows, tok,
                                         i / ldy, i % ldy, yp[i], yr[i]);
                    }
                    free(yr);
                    free(yp);
                    free(x);
                    free(a.data);
                }
                free(rw);
                free(w.data);
            }
        }
    }
    if (!repacked) fail_msg("%s has a repack but took none of the matrices", k->name);
}

/* fa_exp: hone_fa_expf's bits on every lane, over the whole range (the
 * results that underflow to subnormals or zero, overflow, NaN, -inf) */
static void check_fa_exp(const hone_kernels *k, const hone_kernels *g)
{
    enum { N = 4099 };
    float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) a[i] = -210.0f + 420.0f * (float)i / (float)N;
    a[5] = NAN;
    a[17] = -INFINITY;
    a[40] = INFINITY;
    a[41] = -87.5f;
    a[42] = -103.9f;
    a[43] = 88.7f;
    for (int rep = 0; rep < 2; rep++) {
        const float max = rep ? 3.25f : 0.0f;
        memcpy(b, a, sizeof(float) * N);
        float *c = malloc(sizeof(float) * N);
        memcpy(c, a, sizeof(float) * N);
        k->fa_exp(c, N, max);
        g->fa_exp(b, N, max);
        for (int i = 0; i < N; i++)
            if (memcmp(&b[i], &c[i], sizeof b[i]) && !(isnan(b[i]) && isnan(c[i])))
                fail_msg("%s fa_exp(%.9g - %g) = %.9g, generic %.9g", k->name, (double)a[i], (double)max,
                         (double)c[i], (double)b[i]);
        free(c);
    }
    free(a);
    free(b);
}

/* expf_n: the C library's expf, bit for bit, on every lane: float bit
 * patterns strided over the whole line (both signs: results from 0
 * through the subnormals to inf), each one at a different lane and tail
 * position, plus the special values and the edges of the fast path. */
static void check_expf_n(const hone_kernels *k)
{
    enum { N = 4096 + 5 };
    float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
    static const float special[] = {NAN, -INFINITY, INFINITY, 0.0f, -0.0f, 0x1p-149f, -0x1p-149f,
                                    -0x1.9fe368p6f, -0x1.9fe366p6f, -0x1.9fe36ap6f, 0x1.62e42ep6f,
                                    0x1.62e430p6f, -0x1.9d1d9ep6f, -87.33655f, 88.0f, -88.0f, 1.0f, -1.0f};
    uint32_t bits = 0;
    int n_checked = 0;
    for (int round = 0; bits < 0xFFFFF000u - 7919u * N; round++) {
        const int n = round % 2 ? N : N - 5 + round % 5; /* tails of 0-4 floats */
        for (int i = 0; i < n; i++, bits += 7919u) memcpy(&a[i], &bits, sizeof a[i]);
        if (round == 0) memcpy(a + 3, special, sizeof special);
        for (int i = 0; i < n; i++) b[i] = expf(a[i]);
        k->expf_n(a, n);
        for (int i = 0; i < n; i++)
            if (memcmp(&a[i], &b[i], sizeof a[i]) && !(isnan(a[i]) && isnan(b[i])))
                fail_msg("%s expf_n: %.9g, expf %.9g (input %d of round %d)", k->name, (double)a[i], (double)b[i],
                         i, round);
        n_checked += n;
    }
    assert_true(n_checked > 500000);
    free(a);
    free(b);
}

static void check_row_ops(const hone_kernels *k, const hone_kernels *g)
{
    check_fa_exp(k, g);
    check_expf_n(k);
    /* sizes with vector tails; scales from ordinary activations up to
     * exp overflow / underflow (|x| ~ 100: softmax terms below 1e-38,
     * silu of -100 needs e^100 = inf) */
    static const int S[] = {1, 7, 8, 9, 64, 333, 4096, 5, 77, 1000};
    for (size_t si = 0; si < sizeof S / sizeof S[0]; si++) {
        const int n = S[si];
        const float scale = si < 7 ? 6.0f : 100.0f;
        float *x = hone_test_floats(n, 7000 + si, scale), *w = hone_test_floats(n, 7100 + si, 1.5f);
        float *a = malloc(sizeof(float) * (size_t)(n + 4)), *b = malloc(sizeof(float) * (size_t)n);
        for (int i = 0; i < n + 4; i++) a[i] = NAN;
        k->rmsnorm(a, x, w, n, 1e-6f);
        g->rmsnorm(b, x, w, n, 1e-6f);
        for (int i = 0; i < n; i++) assert_true(fabsf(a[i] - b[i]) <= 1e-6f * (1 + fabsf(b[i])));
        for (int i = 0; i < n + 4; i++) a[i] = i < n ? x[i] : NAN;
        memcpy(b, x, sizeof(float) * (size_t)n);
        k->softmax(a, n);
        g->softmax(b, n);
        for (int i = 0; i < n; i++) assert_true(fabsf(a[i] - b[i]) <= 1e-6f * b[i] + 1e-12f);
        for (int i = 0; i < n + 4; i++) a[i] = NAN;
        k->silu_mul(a, x, w, n);
        g->silu_mul(b, x, w, n);
        for (int i = 0; i < n; i++) assert_true(fabsf(a[i] - b[i]) <= 1e-6f * (1 + fabsf(b[i])));
        for (int i = n; i < n + 4; i++) assert_true(isnan(a[i]));
        free(x);
        free(w);
        free(a);
        free(b);
    }
}

#if defined(__x86_64__)
#include "x86/x86.h"

/* Every table of a set, not only the one a name picks on this CPU:
 * Intel's, Zen 4's and Zen 5's (they differ in where the decode fetches
 * ahead), the avx512 table without the AVX512_BF16 kernels, which CPUs
 * without that extension get, and the one without AMX. */

static const struct {
    const char *set;     /* runs where this set does */
    bool bf16;           /* and the CPU has AVX512_BF16 */
    const hone_kernels *(*get)(void);
    const char *what;
} VARIANTS[] = {
    {"avx2", false, hone_kernels_avx2, "avx2, Intel's and Zen 3 / 4's table"},
    {"avx2", false, hone_kernels_avx2_zen5, "avx2, Zen 5's table"},
    {"avx512", false, hone_kernels_avx512, "avx512 without AVX512_BF16"},
    {"avx512", true, hone_kernels_avx512_bf16, "avx512 without AMX, Intel's table"},
    {"avx512", true, hone_kernels_avx512_zen4, "avx512, Zen 4's table"},
    {"avx512", true, hone_kernels_avx512_zen5, "avx512, Zen 5's table"},
};
#endif

static void run_all(void (*check)(const hone_kernels *, const hone_kernels *))
{
    const hone_kernels *g = hone_kernels_generic();
    for (size_t i = 0; i < sizeof ISA_SETS / sizeof ISA_SETS[0]; i++) {
        const hone_kernels *k = get_set(ISA_SETS[i]);
        if (k) check(k, g);
    }
#if defined(__x86_64__)
    for (size_t i = 0; i < sizeof VARIANTS / sizeof VARIANTS[0]; i++) {
        if (!hone_kernels_can_run(VARIANTS[i].set) || (VARIANTS[i].bf16 && !GetX86Info().features.avx512_bf16) ||
            VARIANTS[i].get() == get_set(VARIANTS[i].set))
            continue;
        print_message("[ RUN      ] %s\n", VARIANTS[i].what);
        check(VARIANTS[i].get(), g);
    }
#endif
}

static void test_from_float(void **state) { (void)state; run_all(check_from_float); }
static void test_to_float(void **state) { (void)state; run_all(check_to_float); }
static void test_vec_dot(void **state) { (void)state; run_all(check_vec_dot); }
static void test_matmul(void **state) { (void)state; run_all(check_matmul); }
static void test_row_ops(void **state) { (void)state; run_all(check_row_ops); }
static void test_repack(void **state) { (void)state; run_all(check_repack); }

/* A name picks a set; the default is the best runnable one. */
static void test_env_choice(void **state)
{
    (void)state;
    const hone_kernels *k = NULL;
    hone_error err = {0};
    for (size_t i = 0; i < sizeof ISA_SETS / sizeof ISA_SETS[0]; i++) {
        if (!hone_kernels_can_run(ISA_SETS[i])) continue;
        assert_int_equal(hone_kernels_select(ISA_SETS[i], &k, &err), HONE_OK);
        assert_string_equal(k->name, ISA_SETS[i]);
    }
    assert_int_equal(hone_kernels_select(NULL, &k, &err), HONE_OK);
    const char *best = "generic";
    for (size_t i = 0; i < sizeof ISA_SETS / sizeof ISA_SETS[0]; i++)
        if (hone_kernels_can_run(ISA_SETS[i])) best = ISA_SETS[i];
    assert_string_equal(k->name, best);
    print_message("default kernel set here: %s\n", k->name);
}

/* The avx2 and avx512 names pick the table for this CPU's vendor and
 * family (kernels.c): Zen 5 and later AMD cores (family 0x1a up) their
 * own, other AMD cores (Zen 3 / 4) Zen 4's avx512 table and Intel's avx2
 * one. The avx512 choice is only checked on CPUs with AVX512_BF16 and
 * without AMX: which table AMX CPUs get depends on the OS as well. */
static void test_x86_table_choice(void **state)
{
    (void)state;
#if defined(__x86_64__)
    const X86Info info = GetX86Info();
    const bool amd = !strcmp(info.vendor, "AuthenticAMD") || !strcmp(info.vendor, "HygonGenuine");
    const bool zen5 = amd && info.family >= 0x1a;
    print_message("%s family 0x%x\n", info.vendor, info.family);
    const hone_kernels *avx2 = get_set("avx2"), *avx512 = get_set("avx512");
    if (avx2) assert_ptr_equal(avx2, zen5 ? hone_kernels_avx2_zen5() : hone_kernels_avx2());
    if (avx512 && info.features.avx512_bf16 && !info.features.amx_tile) {
        const hone_kernels *want = !amd ? hone_kernels_avx512_bf16() : zen5 ? hone_kernels_avx512_zen5()
                                                                          : hone_kernels_avx512_zen4();
        assert_ptr_equal(avx512, want);
        print_message("avx512: %s\n", !amd ? "Intel's table" : zen5 ? "Zen 5's table" : "Zen 4's table");
    }
#endif
}

/* "SET:CPU" names one CPU's table on any CPU that runs the set (and,
 * for the AMD avx512 tables, has AVX512_BF16); elsewhere the name is
 * refused as HONE_ERR_CPU. A name with a colon that is no table is
 * HONE_ERR_ARG, and the message lists the tables. */
static void test_x86_table_names(void **state)
{
    (void)state;
#if defined(__x86_64__)
    const bool bf16 = GetX86Info().features.avx512_bf16;
    static const struct {
        const char *name, *set;
        bool bf16;
        const hone_kernels *(*get)(void);
    } T[] = {
        {"avx2:intel", "avx2", false, hone_kernels_avx2},
        {"avx2:zen5", "avx2", false, hone_kernels_avx2_zen5},
        {"avx512:intel", "avx512", false, NULL}, /* by the CPU's BF16 */
        {"avx512:zen4", "avx512", true, hone_kernels_avx512_zen4},
        {"avx512:zen5", "avx512", true, hone_kernels_avx512_zen5},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        const hone_kernels *k = NULL;
        hone_error err = {0};
        const bool runs = hone_kernels_can_run(T[i].set) && (!T[i].bf16 || bf16);
        assert_int_equal(hone_kernels_can_run(T[i].name), runs);
        const hone_status st = hone_kernels_select(T[i].name, &k, &err);
        print_message("%s: %s\n", T[i].name, st ? err.msg : "selected");
        if (!runs) {
            assert_int_equal(st, HONE_ERR_CPU);
            assert_non_null(strstr(err.msg, T[i].name));
            continue;
        }
        assert_int_equal(st, HONE_OK);
        const hone_kernels *want = T[i].get ? T[i].get() : bf16 ? hone_kernels_avx512_bf16() : hone_kernels_avx512();
        assert_ptr_equal(k, want);
        assert_string_equal(k->name, T[i].set);
        assert_string_equal(hone_kernels_table(k), T[i].name); /* what hone info shows */
    }
    assert_null(hone_kernels_table(hone_kernels_generic()));
    static const char *const bad[] = {"avx512:zen9", "avx2:zen4", "avx512:", ":zen4", "generic:intel"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const hone_kernels *k = NULL;
        hone_error err = {0};
        assert_false(hone_kernels_can_run(bad[i]));
        assert_int_equal(hone_kernels_select(bad[i], &k, &err), HONE_ERR_ARG);
        assert_non_null(strstr(err.msg, bad[i]));
        assert_non_null(strstr(err.msg, "tables: avx2:intel, avx2:zen5, avx512:intel, avx512:zen4, avx512:zen5"));
    }
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_float),
        cmocka_unit_test(test_to_float),
        cmocka_unit_test(test_vec_dot),
        cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_row_ops),
        cmocka_unit_test(test_repack),
        cmocka_unit_test(test_env_choice),
        cmocka_unit_test(test_x86_table_choice),
        cmocka_unit_test(test_x86_table_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
