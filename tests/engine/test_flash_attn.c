/* test_flash_attn.c — flash attention (src/flash_attn.c) against a plain
 * scalar model of llama.cpp's CPU recurrences, written here from ggml-cpu's
 * ops.cpp, on random K, V and queries, with every kernel set this CPU runs.
 *
 * The model and hone must agree bit for bit: they make the same roundings
 * in the same order (the q·k dot of the VEC path is the kernel set's
 * vec_dot in both: what is checked is everything around it). Both are also
 * checked against attention in double precision, within what an F16 (VEC,
 * SPLIT) or F32 (TILED) running sum allows, and the F16 accumulator rows
 * of each set against the scalar expression.
 */
#include "flash_attn.h"
#include "kernels.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *const SETS[] = {"generic", "avx2", "avx512"};

static uint32_t rng_state = 12345u;
static float frand(float lo, float hi)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)(rng_state >> 8) / (float)(1u << 24);
}

/* ------------------------------------------------ the scalar model */

static float f16r(float x) { return hone_f16_to_f32(hone_f32_to_f16(x)); }

/* one_chunk over [c0, c1): M, S and the F32 V sum (acc) of one row */
static void model_chunk(const hone_kernels *k, const uint16_t *K, const uint16_t *V, int hd,
                        const uint16_t *qq, float scale, int c0, int c1, float *M, float *S,
                        float *acc)
{
    float m = -INFINITY, s_sum = 0;
    float *a16 = calloc((size_t)hd, sizeof *a16); /* F16 values held in floats */
    for (int ic = c0; ic < c1; ic++) {
        float s;
        k->type[HONE_TYPE_F16].vec_dot(hd, &s, K + (size_t)ic * (size_t)hd, qq);
        s *= scale;
        float ms = 1, vs = 1;
        if (s > m) {
            ms = expf(m - s);
            m = s;
            for (int d = 0; d < hd; d++) a16[d] = f16r(a16[d] * ms);
        } else {
            vs = expf(s - m);
        }
        for (int d = 0; d < hd; d++)
            a16[d] = f16r(fmaf(hone_f16_to_f32(V[(size_t)ic * (size_t)hd + d]), vs, a16[d]));
        s_sum = fmaf(s_sum, ms, vs);
    }
    memcpy(acc, a16, sizeof *acc * (size_t)hd);
    free(a16);
    *M = m;
    *S = s_sum;
}

static void model_vec(const hone_kernels *k, const uint16_t *K, const uint16_t *V, int hd,
                      const float *q, float scale, int n_vis, int n_kv, int n_chunks, float *out)
{
    uint16_t *qq = malloc(sizeof *qq * (size_t)hd);
    for (int d = 0; d < hd; d++) qq[d] = hone_f32_to_f16(q[d]);
    float *acc = malloc(sizeof *acc * (size_t)hd), *fin = calloc((size_t)hd, sizeof *fin);
    float M, S;
    if (n_chunks == 0) {
        model_chunk(k, K, V, hd, qq, scale, 0, n_vis, &M, &S, acc);
        for (int d = 0; d < hd; d++) out[d] = acc[d] * (S == 0 ? 0 : 1.0f / S);
    } else {
        /* partials of each thread's chunk, then reduce_partials */
        const int cs = (n_kv + n_chunks - 1) / n_chunks;
        float mf = -INFINITY, sf = 0;
        for (int c = 0; c < n_chunks; c++) {
            int c0 = c * cs, c1 = c0 + cs > n_kv ? n_kv : c0 + cs;
            if (c0 >= n_kv) continue;
            if (c1 > n_vis) c1 = n_vis;
            model_chunk(k, K, V, hd, qq, scale, c0, c1 > c0 ? c1 : c0, &M, &S, acc);
            if (S == 0) continue;
            const float mn = fmaxf(mf, M), so = expf(mf - mn), sn = expf(M - mn);
            for (int d = 0; d < hd; d++) fin[d] = fmaf(fin[d], so, acc[d] * sn);
            sf = fmaf(sf, so, S * sn);
            mf = mn;
        }
        for (int d = 0; d < hd; d++) out[d] = sf != 0 ? fin[d] * (1.0f / sf) : fin[d];
    }
    free(qq);
    free(acc);
    free(fin);
}

/* the tiled kernel for one row: 64-position tiles, F32 everywhere */
static void model_tiled(const hone_kernels *k, const uint16_t *K, const uint16_t *V, int hd,
                        const float *q, float scale, int n_vis, float *out)
{
    const int L = k->f32_lanes;
    float M = -INFINITY, S = 0, kq[64];
    float *acc = calloc((size_t)hd, sizeof *acc);
    for (int t0 = 0; t0 < n_vis; t0 += 64) {
        float tmax = -INFINITY;
        for (int tk = 0; tk < 64; tk++) {
            float s = -INFINITY;
            if (t0 + tk < n_vis) {
                s = 0;
                for (int d = 0; d < hd; d++)
                    s = fmaf(q[d], hone_f16_to_f32(K[(size_t)(t0 + tk) * (size_t)hd + d]), s);
                s *= scale;
            }
            kq[tk] = s;
            tmax = tmax > s ? tmax : s;
        }
        const float mnew = fmaxf(M, tmax);
        if (mnew > M) {
            const float ms = expf(M - mnew);
            for (int d = 0; d < hd; d++) acc[d] *= ms;
            S *= ms;
        }
        M = mnew;
        double sum = 0;
        for (int c = 0; c < 64; c += L > 1 ? L : 1) {
            float t[16];
            const int n = L > 1 ? L : 1;
            for (int l = 0; l < n; l++)
                t[l] = kq[c + l] = L > 1 ? hone_fa_expf(kq[c + l] - mnew) : expf(kq[c + l] - mnew);
            for (int w = n / 2; w >= 1; w /= 2)
                for (int l = 0; l < w; l++) t[l] += t[l + w];
            sum += (double)t[0];
        }
        S = (float)((double)S + sum);
        for (int tk = 0; tk < 64 && t0 + tk < n_vis; tk++)
            for (int d = 0; d < hd; d++)
                acc[d] = fmaf(kq[tk], hone_f16_to_f32(V[(size_t)(t0 + tk) * (size_t)hd + d]), acc[d]);
    }
    for (int d = 0; d < hd; d++) out[d] = acc[d] * (S == 0 ? 0 : 1.0f / S);
    free(acc);
}

/* softmax(q·K * scale) · V in double, over the F16-rounded K and V */
static void exact(const uint16_t *K, const uint16_t *V, int hd, const float *q, float scale,
                  int n_vis, double *out)
{
    double *w = malloc(sizeof *w * (size_t)n_vis), mx = -INFINITY, sum = 0;
    for (int i = 0; i < n_vis; i++) {
        double s = 0;
        for (int d = 0; d < hd; d++) s += (double)q[d] * hone_f16_to_f32(K[(size_t)i * (size_t)hd + d]);
        w[i] = s * scale;
        mx = fmax(mx, w[i]);
    }
    for (int i = 0; i < n_vis; i++) sum += (w[i] = exp(w[i] - mx));
    for (int d = 0; d < hd; d++) {
        double a = 0;
        for (int i = 0; i < n_vis; i++) a += w[i] * hone_f16_to_f32(V[(size_t)i * (size_t)hd + d]);
        out[d] = a / sum;
    }
    free(w);
}

/* ------------------------------------------------------------ cases */

typedef struct {
    int hd, group, tokens, n_vis0, n_tok_pass, n_kv, n_chunks;
} fa_case;

static void run_case(const hone_kernels *k, const fa_case *c)
{
    const int hd = c->hd, rows = c->tokens * c->group, n_pos = c->n_vis0 + c->tokens;
    const float scale = 1.0f / sqrtf((float)hd);
    uint16_t *K = malloc(sizeof *K * (size_t)n_pos * (size_t)hd);
    uint16_t *V = malloc(sizeof *V * (size_t)n_pos * (size_t)hd);
    for (size_t i = 0; i < (size_t)n_pos * (size_t)hd; i++) {
        K[i] = hone_f32_to_f16(frand(-1, 1));
        V[i] = hone_f32_to_f16(frand(-1, 1));
    }
    const size_t q_ld = (size_t)c->group * (size_t)hd + 5; /* rows of a wider buffer */
    float *q = malloc(sizeof *q * q_ld * (size_t)c->tokens);
    for (size_t i = 0; i < q_ld * (size_t)c->tokens; i++) q[i] = frand(-3, 3);
    float *out = malloc(sizeof *out * (size_t)rows * (size_t)hd);
    for (size_t i = 0; i < (size_t)rows * (size_t)hd; i++) out[i] = NAN;
    hone_fa_job j = {
        .k = k, .type = HONE_TYPE_F16, .k_rows = (const uint8_t *)K, .v_rows = (const uint8_t *)V,
        .row_bytes = sizeof *K * (size_t)hd, .head_dim = hd, .scale = scale,
        .path = hone_fa_choose(k, hd, c->n_tok_pass, c->n_kv), .n_kv = c->n_kv,
        .n_chunks = c->n_chunks, .q = q, .q_ld = q_ld, .group = c->group, .rows = rows,
        .n_vis0 = c->n_vis0 + 1, .out = out,
    };
    float *scratch = aligned_alloc(64, (hone_fa_scratch_floats(rows, hd) * sizeof(float) + 63) & ~(size_t)63);
    hone_fa_run(&j, scratch);
    /* each row alone: the same bits (no dependence on the grouping) */
    float *one = malloc(sizeof *one * (size_t)hd), *want = malloc(sizeof *want * (size_t)hd);
    double *ex = malloc(sizeof *ex * (size_t)hd), worst = 0;
    for (int r = 0; r < rows; r++) {
        const float *qr = q + (size_t)(r / c->group) * q_ld + (size_t)(r % c->group) * (size_t)hd;
        const int n_vis = c->n_vis0 + 1 + r / c->group;
        hone_fa_job j1 = j;
        j1.q = qr;
        j1.group = 1;
        j1.rows = 1;
        j1.n_vis0 = n_vis;
        j1.out = one;
        hone_fa_run(&j1, scratch);
        if (j.path == HONE_FA_TILED) model_tiled(k, K, V, hd, qr, scale, n_vis, want);
        else
            model_vec(k, K, V, hd, qr, scale, n_vis, c->n_kv,
                      j.path == HONE_FA_SPLIT ? c->n_chunks : 0, want);
        exact(K, V, hd, qr, scale, n_vis, ex);
        for (int d = 0; d < hd; d++) {
            const float got = out[(size_t)r * (size_t)hd + d];
            if (memcmp(&got, &want[d], sizeof got) || memcmp(&got, &one[d], sizeof got))
                fail_msg("%s path %d hd %d row %d d %d: %.9g, model %.9g, alone %.9g", k->name,
                         (int)j.path, hd, r, d, (double)got, (double)want[d], (double)one[d]);
            worst = fmax(worst, fabs(got - ex[d]));
        }
    }
    if (j.path != HONE_FA_TILED) {
        /* as the forward pass runs it: every row's q.k from one matmul (F16
         * q, vec_dot's bits), then the rows of a token walked together;
         * the same bits as row by row with vec_dot */
        uint16_t *Q = malloc(sizeof *Q * (size_t)rows * (size_t)hd);
        const int ld = n_pos + 3;
        float *S = malloc(sizeof *S * (size_t)rows * (size_t)ld);
        float *out2 = malloc(sizeof *out2 * (size_t)rows * (size_t)hd);
        for (int r = 0; r < rows; r++)
            k->type[HONE_TYPE_F16].from_float(q + (size_t)(r / c->group) * q_ld + (size_t)(r % c->group) * (size_t)hd,
                                              Q + (size_t)r * (size_t)hd, hd);
        k->matmul(k, HONE_TYPE_F16, K, sizeof *K * (size_t)hd, Q, sizeof *Q * (size_t)hd, hd, 0, n_pos, rows, S, ld);
        hone_fa_job j2 = j;
        j2.scores = S;
        j2.scores_ld = (size_t)ld;
        j2.out = out2;
        hone_fa_run(&j2, scratch);
        for (size_t i = 0; i < (size_t)rows * (size_t)hd; i++)
            if (memcmp(&out[i], &out2[i], sizeof out[i]))
                fail_msg("%s path %d hd %d group %d: with scores [%zu] %.9g, row by row %.9g", k->name, (int)j.path,
                         hd, c->group, i, (double)out2[i], (double)out[i]);
        free(Q), free(S), free(out2);
    }
    /* the F16 running sum: ~2^-11 relative per step, a few hundred steps */
    const double bound = j.path == HONE_FA_TILED ? 1e-5 : 4e-3;
    printf("  %-8s %-5s hd %3d rows %3d positions %4d: max |err| vs double %.3g (bound %g)\n",
           k->name, j.path == HONE_FA_TILED ? "tiled" : j.path == HONE_FA_SPLIT ? "split" : "vec",
           hd, rows, n_pos, worst, bound);
    assert_true(worst <= bound);
    free(K), free(V), free(q), free(out), free(scratch), free(one), free(want), free(ex);
}

static void test_paths(void **state)
{
    (void)state;
    const fa_case cases[] = {
        /* decode and short batches: VEC */
        {8, 2, 1, 40, 1, 256, 2},
        {64, 4, 3, 10, 3, 256, 2},
        {72, 2, 5, 100, 5, 256, 1},
        {64, 20, 2, 30, 2, 256, 2}, /* a group wider than HONE_FA_ROWS */
        /* 64+ tokens in the pass: TILED where head_dim fits the lanes */
        {32, 2, 6, 70, 64, 512, 2},
        {64, 4, 4, 130, 100, 512, 2},
        {8, 2, 4, 63, 64, 256, 2},
        /* more rows than one product call carries (16), and row counts
         * that leave the kernels' row groups a tail; rows see different
         * numbers of a tile's positions */
        {64, 8, 5, 90, 64, 512, 2},
        {32, 1, 19, 63, 64, 512, 2},
        /* one token over 512+ cells: SPLIT, chunks by thread count */
        {64, 2, 1, 600, 1, 768, 2},
        {8, 4, 1, 300, 1, 512, 3},
        {32, 2, 1, 520, 1, 768, 4}, /* the last chunk sees nothing */
        {64, 8, 1, 700, 1, 768, 2},
    };
    int ran = 0;
    for (size_t s = 0; s < sizeof SETS / sizeof SETS[0]; s++) {
        const hone_kernels *k = NULL;
        hone_error err = {0};
        if (!hone_kernels_can_run(SETS[s]) || hone_kernels_select(SETS[s], &k, &err)) continue;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(k, &cases[i]);
        ran++;
    }
    assert_true(ran >= 1);
}

/* The path choice: llama.cpp's conditions. */
static void test_choose(void **state)
{
    (void)state;
    const hone_kernels *g = hone_kernels_generic();
    assert_int_equal(hone_fa_choose(g, 8, 1, 256), HONE_FA_VEC);
    assert_int_equal(hone_fa_choose(g, 8, 1, 512), HONE_FA_SPLIT);
    assert_int_equal(hone_fa_choose(g, 8, 2, 512), HONE_FA_VEC);
    assert_int_equal(hone_fa_choose(g, 8, 63, 256), HONE_FA_VEC);
    assert_int_equal(hone_fa_choose(g, 8, 64, 256), HONE_FA_TILED); /* no SIMD: any head_dim */
    assert_int_equal(hone_fa_n_kv(1), 256);
    assert_int_equal(hone_fa_n_kv(256), 256);
    assert_int_equal(hone_fa_n_kv(257), 512);
    const hone_kernels *k = NULL;
    hone_error err = {0};
    if (hone_kernels_can_run("avx512") && !hone_kernels_select("avx512", &k, &err)) {
        assert_int_equal(k->f32_lanes, 16);
        assert_int_equal(hone_fa_choose(k, 8, 64, 256), HONE_FA_VEC); /* 8 % 16 */
        assert_int_equal(hone_fa_choose(k, 32, 64, 256), HONE_FA_TILED);
    }
    if (hone_kernels_can_run("avx2") && !hone_kernels_select("avx2", &k, &err)) {
        assert_int_equal(k->f32_lanes, 8);
        assert_int_equal(hone_fa_choose(k, 8, 64, 256), HONE_FA_TILED);
    }
}

/* The F16 accumulator rows of every set: the scalar expression's bits
 * (f16_mad over R rows at once, each with its own scalar, a row stride
 * wider than n so a write past n or into the next row shows). */
static void test_f16_rows(void **state)
{
    (void)state;
    enum { N = 80, R = 5, LD = N + 3 };
    uint16_t x[N], y[R * LD], y0[R * LD];
    float v[R];
    for (size_t s = 0; s < sizeof SETS / sizeof SETS[0]; s++) {
        const hone_kernels *k = NULL;
        hone_error err = {0};
        if (!hone_kernels_can_run(SETS[s]) || hone_kernels_select(SETS[s], &k, &err)) continue;
        for (int n = 1; n <= N; n += n < 20 ? 1 : 13)
            for (int rows = 1; rows <= R; rows += 2) {
                for (int i = 0; i < N; i++) x[i] = hone_f32_to_f16(frand(-4, 4));
                for (int i = 0; i < R * LD; i++)
                    y[i] = y0[i] = hone_f32_to_f16(frand(-60000, 60000) * (i % 3 ? 1e-3f : 1));
                for (int r = 0; r < R; r++) v[r] = frand(0, 1.5f);
                k->f16_mad(y, LD, x, v, rows, n);
                for (int r = 0; r < R; r++)
                    for (int i = 0; i < LD; i++) {
                        const uint16_t o = y0[r * LD + i];
                        const uint16_t w = r < rows && i < n
                                               ? hone_f32_to_f16(fmaf(hone_f16_to_f32(x[i]), v[r], hone_f16_to_f32(o)))
                                               : o;
                        if (y[r * LD + i] != w)
                            fail_msg("%s f16_mad n %d rows %d [%d][%d]: %04x, want %04x", k->name, n, rows, r, i,
                                     y[r * LD + i], w);
                    }
                memcpy(y0, y, sizeof y);
                k->f16_scale(y, v[0], n);
                for (int i = 0; i < LD; i++) {
                    const uint16_t w = i < n ? hone_f32_to_f16(hone_f16_to_f32(y0[i]) * v[0]) : y0[i];
                    if (y[i] != w) fail_msg("%s f16_scale n %d i %d: %04x, want %04x", k->name, n, i, y[i], w);
                }
            }
    }
}

/* fma_chains of every set: generic's bits per chain, bit for bit, with
 * the weights the tiled V sums meet: zero runs (a row's masked tail, at
 * different lengths per row), a lone zero, -0, a NaN weight (kept: `w !=
 * 0`). A skipped term must leave its chain alone, so x holds an infinity
 * under one zero weight (fma(inf, 0, a) would be NaN) and the chains start
 * at -0 (-0 + 0 * x would turn +0). Row counts 1..7 cross the kernels'
 * row groups; term counts cross their blocks of 8 / 16 terms; n crosses
 * the 64-lane blocks and their tails. */
static void test_fma_chains(void **state)
{
    (void)state;
    enum { T = 70, N = 150, R = 7, LD = N + 5 };
    static float x[T * LD], w[R][T], acc[R][LD], want[R][LD];
    const hone_kernels *g = hone_kernels_generic();
    for (size_t s = 0; s < sizeof SETS / sizeof SETS[0]; s++) {
        const hone_kernels *k = NULL;
        hone_error err = {0};
        if (!hone_kernels_can_run(SETS[s]) || hone_kernels_select(SETS[s], &k, &err)) continue;
        for (int skip = 0; skip < 2; skip++)
            for (int rows = 1; rows <= R; rows++)
                for (int nt = 1; nt <= T; nt += nt < 20 ? 1 : 17)
                    for (int n = 1; n <= N; n += n < 20 ? 3 : 29) {
                        for (int i = 0; i < T * LD; i++) x[i] = frand(-2, 2);
                        for (int r = 0; r < R; r++) {
                            const int live = nt - r * 3; /* row r's last terms masked */
                            for (int t = 0; t < T; t++) w[r][t] = t < live ? frand(-1, 1) : 0.0f;
                            for (int l = 0; l < LD; l++) acc[r][l] = want[r][l] = l % 5 ? frand(-3, 3) : -0.0f;
                        }
                        w[0][nt / 2] = 0.0f;
                        x[(size_t)(nt / 2) * LD] = INFINITY;
                        if (nt > 3) w[rows - 1][3] = -0.0f;
                        if (nt > 5) w[rows / 2][5] = NAN;
                        float *ap[R], *wp[R];
                        const float *cw[R];
                        for (int r = 0; r < R; r++) {
                            ap[r] = acc[r];
                            wp[r] = want[r];
                            cw[r] = w[r];
                        }
                        g->fma_chains(wp, x, LD, cw, rows, nt, n, skip);
                        k->fma_chains(ap, x, LD, cw, rows, nt, n, skip);
                        if (memcmp(acc, want, sizeof acc))
                            for (int r = 0; r < R; r++)
                                for (int l = 0; l < LD; l++)
                                    if (memcmp(&acc[r][l], &want[r][l], sizeof(float)))
                                        fail_msg("%s fma_chains skip %d rows %d terms %d n %d [%d][%d]: %a, want %a",
                                                 k->name, skip, rows, nt, n, r, l, (double)acc[r][l],
                                                 (double)want[r][l]);
                    }
    }
}

/* ggml's SIMD expf: close to expf, 0 for -inf and far below, inf far above. */
static void test_expf(void **state)
{
    (void)state;
    assert_true(hone_fa_expf(-INFINITY) == 0.0f);
    assert_true(hone_fa_expf(-200.0f) == 0.0f);
    assert_true(isinf(hone_fa_expf(200.0f)));
    assert_true(hone_fa_expf(0.0f) == 1.0f);
    assert_true(isnan(hone_fa_expf(NAN)));
    for (int i = 0; i < 100000; i++) {
        const float x = frand(-100, 0);
        const double e = exp((double)x), got = hone_fa_expf(x);
        if (fabs(got - e) > 4e-7 * e + 1e-44) fail_msg("expf(%.9g) = %.9g, exp %.9g", (double)x, got, e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_f16_rows),
        cmocka_unit_test(test_fma_chains),
        cmocka_unit_test(test_expf),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
