/* bench_kernels.c — kernel micro-benchmark (built, not a CTest test).
 *
 *   bench_kernels [MB] [set...]
 *
 * For every kernel set this CPU can run (or the named ones) and every
 * weight type: vec_dot throughput as GB/s of weight bytes, single thread,
 * (a) on a matrix that stays in L2 (compute bound) and (b) on an MB-sized
 * one (default 64 MB) streamed from memory (decode-like); then a prompt-
 * like matmul of 64 tokens (GFLOP/s) and activation quantization (GB/s of
 * floats). Times are thread CPU time, best of several passes. Speed is
 * measured here, never asserted in tests.
 *
 *   bench_kernels --few [MB] [set...]
 *
 * Instead: the K-quant weights streamed from an MB-sized matrix against
 * 1, 2, 3, 4 and 8 tokens (a server step's busy slots), as weight GB/s
 * and ns per (row, token) super-block; and 64 and 256 tokens (a prompt's
 * batch: the tiles, or AMX). BENCH_FEW=q4_0,q8_0:1,2 in the
 * environment limits the run to those types and token counts (for quick
 * interleaved A/B runs; the attention lines are left out then). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Thread CPU time, not wall time: on a shared, loaded machine the time
 * this thread is descheduled does not count against the kernel. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const uint32_t TYPES[] = {HONE_TYPE_F32,  HONE_TYPE_F16,  HONE_TYPE_BF16, HONE_TYPE_Q8_0,
                                 HONE_TYPE_Q4_0, HONE_TYPE_Q4_1, HONE_TYPE_Q5_0, HONE_TYPE_Q5_1,
                                 HONE_TYPE_Q2_K, HONE_TYPE_Q3_K, HONE_TYPE_Q4_K, HONE_TYPE_Q5_K,
                                 HONE_TYPE_Q6_K};

enum { N = 4096 }; /* row length */

/* Seconds per pass of matmul over rows x n_tok (best of several samples). */
static double time_matmul(const hone_kernels *k, uint32_t t, const hone_test_row *w, int rows,
                          const hone_test_row *a, int n_tok, float *y, double min_time)
{
    const size_t wrb = w->bytes / (size_t)rows, arb = a->bytes / (size_t)n_tok;
    /* each sample repeats the pass until it lasts >= 2 ms, so a coarse
     * thread CPU clock cannot round a sample to zero */
    int reps = 1;
    for (;;) {
        const double t0 = now();
        for (int i = 0; i < reps; i++)
            k->matmul(k, t, w->data, wrb, a->data, arb, N, 0, rows, n_tok, y, rows);
        if (now() - t0 >= 2e-3 || reps >= (1 << 20)) break;
        reps *= 2;
    }
    double best = 1e30, spent = 0;
    int samples = 0;
    while (spent < min_time || samples < 3) {
        const double t0 = now();
        for (int i = 0; i < reps; i++)
            k->matmul(k, t, w->data, wrb, a->data, arb, N, 0, rows, n_tok, y, rows);
        const double dt = (now() - t0) / reps;
        best = dt < best ? dt : best;
        spent += dt * reps;
        samples++;
    }
    return best;
}

static void bench_set(const hone_kernels *k, size_t big_mb)
{
    printf("\n== kernel set: %s ==\n", k->name);
    printf("%-6s %12s %12s %14s\n", "type", "L2 GB/s", "mem GB/s", "pp64 GFLOP/s");
    for (size_t ti = 0; ti < sizeof TYPES / sizeof TYPES[0]; ti++) {
        const uint32_t t = TYPES[ti], vt = hone_vec_dot_type(t);
        uint64_t rb = 0;
        hone_row_bytes(t, N, &rb);
        const int small_rows = (int)(256 * 1024 / rb) > 0 ? (int)(256 * 1024 / rb) : 1;
        const int big_rows = (int)(big_mb * 1024 * 1024 / rb);
        hone_test_row wb = hone_test_make_row(t, (int64_t)N * big_rows, 1 + ti);
        hone_test_row ws = {wb.data, (size_t)rb * (size_t)small_rows};
        enum { TOK = 64 };
        float *x = hone_test_floats((int64_t)N * TOK, 99, 1.0f);
        hone_test_row a = hone_test_quantize(k, vt, x, (int64_t)N * TOK);
        float *y = malloc(sizeof(float) * (size_t)big_rows * TOK);
        const double t_small = time_matmul(k, t, &ws, small_rows, &a, 1, y, 0.2);
        const double t_big = time_matmul(k, t, &wb, big_rows, &a, 1, y, 0.5);
        const int pp_rows = big_rows < 512 ? big_rows : 512;
        hone_test_row wp = {wb.data, (size_t)rb * (size_t)pp_rows};
        const double t_pp = time_matmul(k, t, &wp, pp_rows, &a, TOK, y, 0.3);
        printf("%-6s %12.2f %12.2f %14.2f\n", hone_type_name(t), (double)ws.bytes / t_small * 1e-9,
               (double)wb.bytes / t_big * 1e-9, 2.0 * N * pp_rows * TOK / t_pp * 1e-9);
        free(y);
        free(x);
        free(a.data);
        free(wb.data);
    }
    static const uint32_t ACT[] = {HONE_TYPE_F16, HONE_TYPE_BF16, HONE_TYPE_Q8_0, HONE_TYPE_Q8_K};
    float *x = hone_test_floats(N * 16, 5, 2.0f);
    for (size_t i = 0; i < sizeof ACT / sizeof ACT[0]; i++) {
        hone_test_row a = hone_test_quantize(k, ACT[i], x, N * 16);
        int reps = 0;
        const double t0 = now();
        while (now() - t0 < 0.2) {
            k->type[ACT[i]].from_float(x, a.data, N * 16);
            reps++;
        }
        printf("from_float %-5s %8.2f GB/s of f32\n", hone_type_name(ACT[i]),
               (double)reps * N * 16 * 4 / (now() - t0) * 1e-9);
        free(a.data);
    }
    free(x);
}

/* Whether BENCH_FEW (types[:tokens], comma-separated) keeps this type
 * and token count; no BENCH_FEW keeps all. */
static bool few_keeps(const char *type, int tok)
{
    const char *f = getenv("BENCH_FEW");
    if (!f || !*f) return true;
    const char *colon = strchr(f, ':');
    const size_t tl = colon ? (size_t)(colon - f) : strlen(f);
    bool type_ok = false;
    for (const char *p = f; p < f + tl;) {
        const size_t n = strcspn(p, ",:");
        if (n == strlen(type) && strncmp(p, type, n) == 0) type_ok = true;
        p += n + 1;
    }
    if (!type_ok || tok == 0 || !colon) return type_ok;
    for (const char *p = colon + 1; *p;) {
        if (atoi(p) == tok) return true;
        p += strcspn(p, ",");
        if (*p) p++;
    }
    return false;
}

static void bench_few(const hone_kernels *k, size_t big_mb)
{
    static const uint32_t KT[] = {HONE_TYPE_Q4_K, HONE_TYPE_Q5_K, HONE_TYPE_Q6_K, HONE_TYPE_Q4_0, HONE_TYPE_Q8_0};
    static const int TOK[] = {1, 2, 3, 4, 8, 12, 16, 64, 256};
    printf("\n== kernel set: %s: GB/s of weights (ns per row x token x 256 weights) ==\n", k->name);
    printf("%-8s", "type");
    for (size_t j = 0; j < sizeof TOK / sizeof TOK[0]; j++) printf("      tok=%d       ", TOK[j]);
    printf("\n");
    for (size_t ti = 0; ti < sizeof KT / sizeof KT[0]; ti++) {
        const uint32_t t = KT[ti], vt = hone_vec_dot_type(t);
        if (!few_keeps(hone_type_name(t), 0)) continue;
        uint64_t rb = 0;
        hone_row_bytes(t, N, &rb);
        const int rows = (int)(big_mb * 1024 * 1024 / rb) / 16 * 16; /* whole groups (repack) */
        hone_test_row w = hone_test_make_row(t, (int64_t)N * rows, 1 + ti);
        enum { MAXT = 256 };
        float *x = hone_test_floats((int64_t)N * MAXT, 99, 1.0f);
        hone_test_row a = hone_test_quantize(k, vt, x, (int64_t)N * MAXT);
        float *y = malloc(sizeof(float) * (size_t)rows * MAXT);
        /* then, where the set repacks this type (at load, for a model read
         * into memory), the same matrix in its layout: row "q4_0/r" */
        const bool repack = k->repack && k->repack(t, NULL, 0, (size_t)rb);
        for (int pass = 0; pass < 1 + repack; pass++) {
            if (pass) k->repack(t, w.data, rows, (size_t)rb);
            printf("%-6s%s", hone_type_name(t), pass ? "/r" : "  ");
            for (size_t j = 0; j < sizeof TOK / sizeof TOK[0]; j++) {
                if (!few_keeps(hone_type_name(t), TOK[j])) {
                    printf(" %7s (%6s ns)", "-", "-");
                    continue;
                }
                const hone_test_row aj = {a.data, a.bytes / MAXT * (size_t)TOK[j]};
                const double s = time_matmul(k, t | (pass ? HONE_WTYPE_R16 : 0), &w, rows, &aj, TOK[j], y, 0.5);
                printf(" %7.2f (%6.2f ns)", (double)w.bytes / s * 1e-9,
                       s * 1e9 / ((double)rows * TOK[j] * (N / 256)));
            }
            printf("\n");
        }
        free(y);
        free(x);
        free(a.data);
        free(w.data);
    }
}

/* Attention's F16 products for one KV head of 8 query heads over pos
 * positions, as a decode step meets them: K (pos x 64, rows 4 heads
 * apart) . q, then V^T (64 x pos) . p, for 22 layers' caches in turn (so
 * from memory, not cache, at long contexts). */
static void bench_attn(const hone_kernels *k, int pos)
{
    enum { LAYERS = 22, HEADS = 4, HD = 64 };
    printf("attention f16 x 8 heads, %4d positions, %d layers:", pos, LAYERS);
    const int64_t per = (int64_t)pos * HEADS * HD;
    hone_test_row K = hone_test_make_row(HONE_TYPE_F16, per * LAYERS, 7);
    hone_test_row V = hone_test_make_row(HONE_TYPE_F16, per * LAYERS, 8);
    float *x = hone_test_floats((int64_t)pos * 8, 17, 1.0f);
    hone_test_row q = hone_test_quantize(k, HONE_TYPE_F16, x, (int64_t)HD * 8);
    hone_test_row p = hone_test_quantize(k, HONE_TYPE_F16, x, (int64_t)pos * 8);
    float *y = malloc(sizeof(float) * (size_t)pos * 8);
    double best[2] = {1e30, 1e30};
    for (int s = 0; s < 5; s++)
        for (int i = 0; i < 2; i++) {
            const double t0 = now();
            for (int l = 0; l < LAYERS; l++) {
                const uint8_t *base = (const uint8_t *)(i == 0 ? K.data : V.data) + (size_t)(per * l) * 2;
                if (i == 0)
                    k->matmul(k, HONE_TYPE_F16, base, HEADS * HD * 2, q.data, HD * 2, HD, 0, pos, 8, y, pos);
                else
                    k->matmul(k, HONE_TYPE_F16, base, (size_t)pos * 2, p.data, (size_t)pos * 2, pos, 0, HD, 8, y, HD);
            }
            const double dt = (now() - t0) / LAYERS;
            best[i] = dt < best[i] ? dt : best[i];
        }
    printf("  K.q %.2f us  V.p %.2f us per layer\n", best[0] * 1e6, best[1] * 1e6);
    free(y), free(x), free(q.data), free(p.data), free(K.data), free(V.data);
}

int main(int argc, char **argv)
{
    size_t big_mb = 64;
    int first_set = 1;
    bool few = false;
    if (argc > 1 && strcmp(argv[1], "--few") == 0) {
        few = true;
        argv++;
        argc--;
    }
    if (argc > 1 && atoi(argv[1]) > 0) {
        big_mb = (size_t)atoi(argv[1]);
        first_set = 2;
    }
    static const char *const ALL[] = {"generic", "avx2", "avx512"};
    const char *const *names = first_set < argc ? (const char *const *)argv + first_set : ALL;
    const int n_names = first_set < argc ? argc - first_set : 3;
    printf("bench_kernels: row length %d, memory matrix %zu MB, 1 thread\n", N, big_mb);
    for (int i = 0; i < n_names; i++) {
        const hone_kernels *k = NULL;
        hone_error err = {0};
        if (hone_kernels_select(names[i], &k, &err) != HONE_OK) {
            printf("\n== kernel set: %s: skipped (%s)\n", names[i], err.msg);
            continue;
        }
        if (few) {
            bench_few(k, big_mb);
            if (!getenv("BENCH_FEW")) {
                bench_attn(k, 256);
                bench_attn(k, 4352);
            }
        }
        else
            bench_set(k, big_mb);
    }
    return 0;
}
