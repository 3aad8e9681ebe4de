/* test_matmul_sched.c — the matmul scheduler (src/matmul.c) gives every
 * row the same bits whatever the threads: 1 to 4 pool threads against the
 * caller alone, for decode and a few tokens (the parts and their stolen
 * pieces) and a prompt batch (a fixed split), on groups of 1 to 3
 * matrices with row counts that do not divide evenly, tiny products (run
 * on the caller) and matrices in the set's repacked layout. */
#include "matmul.h"
#include "threadpool.h"

#include "../kernels/test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

enum { COLS = 512, MAX_TOK = 20 };

typedef struct {
    uint32_t type;
    int rows[HONE_MM_MAX_JOBS];
    int n;
    bool repack;
} group;

static const group GROUPS[] = {
    {HONE_TYPE_Q4_0, {1200, 160, 160}, 3, false}, /* q|k|v shape */
    {HONE_TYPE_Q4_0, {1200, 160, 160}, 3, true},
    {HONE_TYPE_Q8_0, {2000, 2000}, 2, true},       /* gate|up shape */
    {HONE_TYPE_Q4_K, {1000, 37}, 2, false},       /* rows not in 8s */
    {HONE_TYPE_Q4_K, {1024}, 1, true},
    {HONE_TYPE_Q6_K, {4003}, 1, false},
    {HONE_TYPE_Q8_0, {24}, 1, false},             /* tiny: the caller alone */
};

/* y for each output of g with `threads` pool threads (0: no pool). */
static void run(const hone_kernels *k, const hone_weight *ws, int n, const float *x, int n_tok, int threads,
                float **y)
{
    hone_error err = {0};
    hone_threadpool *pool = NULL;
    if (threads > 0) assert_int_equal(hone_threadpool_create(threads, &pool, &err), HONE_OK);
    hone_mm_plan plan = {0};
    const hone_weight *wp[HONE_MM_MAX_JOBS];
    hone_mm_out outs[HONE_MM_MAX_JOBS];
    for (int j = 0; j < n; j++) {
        wp[j] = &ws[j];
        outs[j] = (hone_mm_out){.w = &ws[j], .y = y[j], .ldy = (int)ws[j].rows};
        memset(y[j], 0xff, sizeof(float) * (size_t)ws[j].rows * MAX_TOK); /* NaN: unwritten shows */
    }
    hone_mm_plan_add(&plan, wp, n, MAX_TOK);
    hone_mm *s = NULL;
    assert_int_equal(hone_mm_create(k, threads > 0 ? threads : 1, &plan, &s, &err), HONE_OK);
    /* a next product (decode fetches its start): this group again */
    const hone_mm_next next = {.w = {wp[0], wp[n > 1 ? 1 : 0], wp[n - 1]}, .n = n};
    hone_mm_run(s, pool, x, COLS, n_tok, outs, n, &next);
    hone_mm_free(s);
    hone_threadpool_free(pool);
}

static void one_set(const char *name)
{
    const hone_kernels *k = NULL;
    hone_error err = {0};
    if (hone_kernels_select(name, &k, &err) != HONE_OK) {
        print_message("[ SKIP     ] %s: %s\n", name, err.msg);
        return;
    }
    float *x = hone_test_floats((int64_t)COLS * MAX_TOK, 5, 1.0f);
    for (size_t gi = 0; gi < sizeof GROUPS / sizeof GROUPS[0]; gi++) {
        const group *g = &GROUPS[gi];
        hone_weight ws[HONE_MM_MAX_JOBS] = {0};
        hone_test_row data[HONE_MM_MAX_JOBS];
        float *want[HONE_MM_MAX_JOBS], *got[HONE_MM_MAX_JOBS];
        bool repacked = false;
        for (int j = 0; j < g->n; j++) {
            data[j] = hone_test_make_row(g->type, (int64_t)COLS * g->rows[j], 100 + gi * 3 + (size_t)j);
            ws[j] = (hone_weight){.name = "w", .data = data[j].data, .type = g->type, .cols = COLS,
                                  .rows = g->rows[j], .row_bytes = data[j].bytes / (size_t)g->rows[j]};
            if (g->repack && k->repack)
                ws[j].repacked = repacked = k->repack(g->type, data[j].data, g->rows[j], ws[j].row_bytes);
            want[j] = malloc(sizeof(float) * (size_t)g->rows[j] * MAX_TOK);
            got[j] = malloc(sizeof(float) * (size_t)g->rows[j] * MAX_TOK);
        }
        if (g->repack && !repacked) goto next; /* this set keeps rows for the type */
        static const int TOK[] = {1, 3, 8, 20};
        for (size_t ti = 0; ti < sizeof TOK / sizeof TOK[0]; ti++) {
            run(k, ws, g->n, x, TOK[ti], 0, want);
            for (int threads = 1; threads <= 4; threads++) {
                run(k, ws, g->n, x, TOK[ti], threads, got);
                for (int j = 0; j < g->n; j++)
                    for (int64_t i = 0; i < (int64_t)g->rows[j] * TOK[ti]; i++) {
                        const int64_t r = i % g->rows[j], t = i / g->rows[j];
                        if (memcmp(&want[j][i], &got[j][i], sizeof(float)) != 0)
                            fail_msg("%s %s%s group %zu out %d row %lld token %lld, %d tokens, %d threads: %.9g vs "
                                     "%.9g alone",
                                     name, hone_type_name(g->type), repacked ? "/r" : "", gi, j, (long long)r,
                                     (long long)t, TOK[ti], threads, (double)got[j][i], (double)want[j][i]);
                    }
            }
        }
    next:
        for (int j = 0; j < g->n; j++) free(data[j].data), free(want[j]), free(got[j]);
    }
    free(x);
}

static void same_bits_any_threads_generic(void **state)
{
    (void)state;
    one_set("generic");
}

static void same_bits_any_threads_best(void **state)
{
    (void)state;
    one_set("auto");
}

static void same_bits_any_threads_avx2(void **state)
{
    (void)state;
    if (strstr(hone_kernels_choices(), "avx2")) one_set("avx2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_bits_any_threads_generic),
        cmocka_unit_test(same_bits_any_threads_best),
        cmocka_unit_test(same_bits_any_threads_avx2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
