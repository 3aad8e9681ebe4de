/* test_sampler.c — each sampler on hand-made logits, the RNG against
 * libstdc++, the whole chain against token streams from llama.cpp, and
 * statistical agreement of the draws with the softmax. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static hone_cand_array make_cands(hone_token_cand *buf, const float *logits, int n)
{
    hone_cand_array c = { buf, 0, false };
    hone_cands_from_logits(&c, logits, n);
    return c;
}

/* a neutral chain: plain softmax sampling at temperature 1 */
static hone_sampler_params plain_params(uint32_t seed)
{
    hone_sampler_params p = hone_sampler_default_params();
    p.temp = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.seed = seed;
    return p;
}

/* ------------------------------------------------------------------ rng */

static void test_mt19937_standard_value(void **state)
{
    (void)state;
    hone_mt19937 r;
    hone_mt19937_seed(&r, 5489u);
    uint32_t v = 0;
    for (int i = 0; i < 10000; i++) v = hone_mt19937_next(&r);
    /* the C++ standard's check value for mt19937 */
    assert_int_equal(v, 4123659995u);
}

static void test_uniform_matches_libstdcxx(void **state)
{
    (void)state;
    /* std::uniform_real_distribution<double>(0,1) on std::mt19937(42),
     * printed by g++ 12 / libstdc++ */
    static const double want[] = {
        0.79654298428784598, 0.18343478789336848, 0.77969099761266125,
        0.59685016158005655, 0.44583275754843343,
    };
    hone_mt19937 r;
    hone_mt19937_seed(&r, 42u);
    for (size_t i = 0; i < N_OF(want); i++) {
        double u = hone_rng_uniform(&r);
        assert_true(u == want[i]);
    }
}

/* ------------------------------------------------------------- sorting */

static int ref_cmp(const void *pa, const void *pb)
{
    const hone_token_cand *a = pa, *b = pb;
    if (a->logit != b->logit) return a->logit > b->logit ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* every selection/sort path (heap select, quickselect, introsort) against
 * qsort, on random, tied, ascending and descending logits */
static void test_partial_sort(void **state)
{
    (void)state;
    enum { MAXN = 20000 };
    hone_token_cand *a = malloc(sizeof *a * MAXN), *ref = malloc(sizeof *ref * MAXN);
    const size_t ns[] = { 1, 5, 30, 100, 1000, 20000 };
    const size_t ks[] = { 1, 3, 40, 256, 600, 5000, 20000 };
    srand(99);
    for (int pattern = 0; pattern < 4; pattern++) {
        for (size_t in = 0; in < N_OF(ns); in++) {
            size_t n = ns[in];
            for (size_t i = 0; i < n; i++) {
                float l = pattern == 0 ? (float)(rand() % 1000000) / 1000.0f
                        : pattern == 1 ? (float)(rand() % 7)          /* many ties */
                        : pattern == 2 ? (float)i : -(float)i;
                a[i] = (hone_token_cand){ (int32_t)i, l, 0.0f };
            }
            memcpy(ref, a, sizeof *a * n);
            qsort(ref, n, sizeof *ref, ref_cmp);
            for (size_t ik = 0; ik < N_OF(ks); ik++) {
                hone_token_cand *b = malloc(sizeof *b * n);
                memcpy(b, a, sizeof *a * n);
                hone_cand_array c = { b, n, false };
                size_t k = ks[ik] < n ? ks[ik] : n;
                hone_cands_partial_sort(&c, ks[ik]);
                for (size_t i = 0; i < k; i++) {
                    if (b[i].id != ref[i].id)
                        fail_msg("pattern %d n %zu k %zu: slot %zu has id %d, want %d",
                                 pattern, n, k, i, (int)b[i].id, (int)ref[i].id);
                }
                /* the rest is a permutation of the others */
                long sum = 0;
                for (size_t i = 0; i < n; i++) sum += b[i].id;
                assert_int_equal(sum, (long)n * (long)(n - 1) / 2);
                free(b);
            }
        }
    }
    free(a);
    free(ref);
}

/* hone_logits_top against qsort (random, tied, ascending, descending,
 * NaN), hone_logsumexp against a direct double sum */
static void test_logits_top_logsumexp(void **state)
{
    (void)state;
    enum { N = 5000 };
    float *l = malloc(sizeof *l * N);
    hone_token_cand *ref = malloc(sizeof *ref * N), top[64];
    srand(5);
    for (int pattern = 0; pattern < 5; pattern++) {
        for (int i = 0; i < N; i++)
            l[i] = pattern == 0 ? (float)(rand() % 100000) / 1000.0f - 50.0f
                 : pattern == 1 ? (float)(rand() % 5)
                 : pattern == 2 ? (float)i / 100.0f
                 : pattern == 3 ? -(float)i / 100.0f
                 : (i % 7 == 0 ? NAN : (float)(i % 97));
        for (int i = 0; i < N; i++)
            ref[i] = (hone_token_cand){ i, isnan(l[i]) ? -INFINITY : l[i], 0.0f };
        qsort(ref, N, sizeof *ref, ref_cmp);
        const size_t ks[] = { 1, 3, 20, 64 };
        for (size_t ik = 0; ik < N_OF(ks); ik++) {
            assert_int_equal(hone_logits_top(l, N, ks[ik], top), ks[ik]);
            for (size_t i = 0; i < ks[ik]; i++)
                if (top[i].id != ref[i].id)
                    fail_msg("pattern %d k %zu: slot %zu has id %d, want %d", pattern, ks[ik],
                             i, (int)top[i].id, (int)ref[i].id);
        }
        double max = -INFINITY, sum = 0.0;
        for (int i = 0; i < N; i++)
            if (!isnan(l[i]) && l[i] > max) max = l[i];
        for (int i = 0; i < N; i++)
            if (!isnan(l[i])) sum += exp((double)l[i] - max);
        const double lse = hone_logsumexp(l, N);
        assert_true(fabs(lse - (max + log(sum))) < 1e-5);
        /* the log-probabilities: all <= 0, their exps sum to 1 */
        double total = 0.0;
        for (int i = 0; i < N; i++) {
            if (isnan(l[i])) continue;
            assert_true((double)l[i] - lse <= 0.0);
            total += exp((double)l[i] - lse);
        }
        assert_true(fabs(total - 1.0) < 1e-5);
    }
    /* k beyond the vocabulary, an empty one, all -inf */
    const float three[3] = { 1.0f, 3.0f, 2.0f };
    assert_int_equal(hone_logits_top(three, 3, 10, top), 3);
    assert_int_equal(top[0].id, 1);
    assert_int_equal(top[2].id, 0);
    assert_int_equal(hone_logits_top(three, 0, 5, top), 0);
    const float inf[2] = { -INFINITY, -INFINITY };
    assert_true(hone_logsumexp(inf, 2) == -INFINITY);
    free(l);
    free(ref);
}

/* ------------------------------------------------------------- samplers */

static void test_greedy_is_argmax(void **state)
{
    (void)state;
    enum { N = 300 };
    float logits[N];
    srand(7);
    for (int trial = 0; trial < 20; trial++) {
        int best = 0;
        for (int i = 0; i < N; i++) {
            logits[i] = (float)(rand() % 100000) / 1000.0f - 50.0f;
            if (logits[i] > logits[best]) best = i;
        }
        hone_sampler_params p = hone_sampler_default_params();
        p.temp = 0.0f;
        p.seed = (uint32_t)trial;
        hone_error err = { 0 };
        hone_sampler *s = hone_sampler_new(&p, N, &err);
        assert_non_null(s);
        for (int rep = 0; rep < 5; rep++) assert_int_equal(hone_sampler_sample(s, logits), best);
        p.temp = -1.0f; /* negative is greedy too */
        hone_sampler_free(s);
        s = hone_sampler_new(&p, N, &err);
        assert_int_equal(hone_sampler_sample(s, logits), best);
        hone_sampler_free(s);
    }
}

static void test_temperature_softmax(void **state)
{
    (void)state;
    const float logits[] = { 1.0f, 2.0f, 0.5f, -1.0f, 3.0f };
    const float temps[] = { 0.5f, 1.0f, 2.0f };
    hone_token_cand buf[N_OF(logits)];
    for (size_t t = 0; t < N_OF(temps); t++) {
        hone_cand_array c = make_cands(buf, logits, (int)N_OF(logits));
        hone_sample_temp(&c, temps[t]);
        hone_sample_softmax(&c);
        double z = 0.0;
        for (size_t i = 0; i < N_OF(logits); i++) z += exp(logits[i] / temps[t]);
        for (size_t i = 0; i < N_OF(logits); i++) {
            assert_int_equal(c.data[i].id, (int)i); /* order unchanged */
            assert_float_equal(c.data[i].p, exp(logits[i] / temps[t]) / z, 1e-6);
        }
    }
    /* temp <= 0 keeps only the best logit finite */
    hone_cand_array c = make_cands(buf, logits, (int)N_OF(logits));
    hone_sample_temp(&c, 0.0f);
    for (size_t i = 0; i < N_OF(logits); i++) {
        if (i == 4) assert_true(c.data[i].logit == 3.0f);
        else assert_true(isinf(c.data[i].logit) && c.data[i].logit < 0);
    }
}

static void test_top_k(void **state)
{
    (void)state;
    enum { N = 5000 };
    float *logits = malloc(sizeof *logits * N);
    hone_token_cand *buf = malloc(sizeof *buf * N);
    float *sorted = malloc(sizeof *sorted * N);
    srand(11);
    for (int i = 0; i < N; i++) logits[i] = (float)((rand() % 2000001) - 1000000) / 1e5f;
    memcpy(sorted, logits, sizeof *sorted * N);
    /* reference: descending order by brute-force selection of the top 100 */
    for (int i = 0; i < 100; i++)
        for (int j = i + 1; j < N; j++)
            if (sorted[j] > sorted[i]) { float t = sorted[i]; sorted[i] = sorted[j]; sorted[j] = t; }
    const int ks[] = { 1, 2, 40, 100 };
    for (size_t t = 0; t < N_OF(ks); t++) {
        hone_cand_array c = make_cands(buf, logits, N);
        hone_sample_top_k(&c, ks[t]);
        assert_int_equal(c.size, ks[t]);
        assert_true(c.sorted);
        for (int i = 0; i < ks[t]; i++) {
            assert_true(c.data[i].logit == sorted[i]);
            assert_true(logits[c.data[i].id] == c.data[i].logit);
        }
    }
    /* k larger than the array keeps all, sorted; k <= 0 is a no-op */
    hone_cand_array c = make_cands(buf, logits, 50);
    hone_sample_top_k(&c, 80);
    assert_int_equal(c.size, 50);
    for (int i = 1; i < 50; i++) assert_true(c.data[i - 1].logit >= c.data[i].logit);
    c = make_cands(buf, logits, 50);
    hone_sample_top_k(&c, 0);
    assert_int_equal(c.size, 50);
    assert_false(c.sorted);
    assert_int_equal(c.data[7].id, 7);
    free(logits);
    free(buf);
    free(sorted);
}

static void test_top_p(void **state)
{
    (void)state;
    /* probabilities 0.5, 0.3, 0.15, 0.05 in shuffled order */
    const float logits[] = { logf(0.15f), logf(0.5f), logf(0.05f), logf(0.3f) };
    hone_token_cand buf[4];
    struct { float p; size_t min_keep; size_t want; } cases[] = {
        { 0.4f, 0, 1 }, { 0.7f, 0, 2 }, { 0.85f, 0, 3 }, { 0.99f, 0, 4 },
        { 0.4f, 3, 3 }, { 1.0f, 0, 4 },
    };
    for (size_t t = 0; t < N_OF(cases); t++) {
        hone_cand_array c = make_cands(buf, logits, 4);
        hone_sample_top_p(&c, cases[t].p, cases[t].min_keep);
        assert_int_equal(c.size, cases[t].want);
    }
    hone_cand_array c = make_cands(buf, logits, 4);
    hone_sample_top_p(&c, 0.85f, 0);
    assert_int_equal(c.data[0].id, 1);
    assert_int_equal(c.data[1].id, 3);
    assert_int_equal(c.data[2].id, 0);
    assert_float_equal(c.data[0].p, 0.5, 1e-6);
    assert_float_equal(c.data[2].p, 0.15, 1e-6);
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* the > 1024 path sorts a prefix of 256 first and widens when needed */
static void test_top_p_large(void **state)
{
    (void)state;
    enum { N = 4000 };
    float *logits = malloc(sizeof *logits * N);
    hone_token_cand *buf = malloc(sizeof *buf * N);
    double *pr = malloc(sizeof *pr * N);
    srand(3);
    for (int i = 0; i < N; i++) logits[i] = (float)(rand() % 100000) / 50000.0f;
    const float ps[] = { 0.01f, 0.05f, 0.5f, 0.9f };
    for (size_t t = 0; t < N_OF(ps); t++) {
        /* brute force: probabilities in descending order, count to reach p */
        double z = 0.0;
        for (int i = 0; i < N; i++) z += exp(logits[i]);
        for (int i = 0; i < N; i++) pr[i] = exp(logits[i]) / z;
        qsort(pr, N, sizeof *pr, cmp_desc);
        size_t want = 0;
        double cum = 0.0;
        while (want < N && cum < ps[t]) cum += pr[want++];
        hone_cand_array c = make_cands(buf, logits, N);
        hone_sample_top_p(&c, ps[t], 0);
        /* float accumulation may shift the cut by a token at most */
        assert_in_range(c.size, want - 1, want + 1);
        for (size_t i = 1; i < c.size; i++) assert_true(c.data[i - 1].logit >= c.data[i].logit);
        assert_true(c.size > 256 || ps[t] < 0.5f); /* the widening path ran */
    }
    free(logits);
    free(buf);
    free(pr);
}

static void test_min_p(void **state)
{
    (void)state;
    /* probabilities 0.5, 0.3, 0.15, 0.05: min_p 0.2 cuts below 0.1 */
    const float logits[] = { logf(0.15f), logf(0.5f), logf(0.05f), logf(0.3f) };
    hone_token_cand buf[4];
    hone_cand_array c = make_cands(buf, logits, 4);
    hone_sample_min_p(&c, 0.2f, 0);
    assert_int_equal(c.size, 3);
    assert_false(c.sorted); /* unsorted input is filtered in place */
    assert_int_equal(c.data[0].id, 0);
    assert_int_equal(c.data[1].id, 1);
    assert_int_equal(c.data[2].id, 3);
    c = make_cands(buf, logits, 4);
    hone_sample_min_p(&c, 0.7f, 0); /* only 0.5 >= 0.35 */
    assert_int_equal(c.size, 1);
    assert_int_equal(c.data[0].id, 1);
    c = make_cands(buf, logits, 4);
    hone_sample_min_p(&c, 0.7f, 2); /* min_keep forces the sorted path */
    assert_int_equal(c.size, 2);
    assert_true(c.sorted);
    assert_int_equal(c.data[0].id, 1);
    assert_int_equal(c.data[1].id, 3);
    c = make_cands(buf, logits, 4);
    hone_sample_top_k(&c, 4); /* sorted input */
    hone_sample_min_p(&c, 0.2f, 0);
    assert_int_equal(c.size, 3);
    assert_int_equal(c.data[2].id, 0);
}

static void test_penalties(void **state)
{
    (void)state;
    const float logits[] = { 2.0f, -1.0f, 0.0f, 3.0f, -2.5f, 1.0f };
    int32_t counts[6] = { 1, 2, 1, 0, 3, 0 };
    hone_token_cand buf[6];
    hone_cand_array c = make_cands(buf, logits, 6);
    hone_sample_penalties(&c, counts, 1.25f, 0.0f, 0.0f);
    assert_true(c.data[0].logit == 2.0f / 1.25f);   /* positive: divided */
    assert_true(c.data[1].logit == -1.0f * 1.25f);  /* negative: multiplied */
    assert_true(c.data[2].logit == 0.0f);
    assert_true(c.data[3].logit == 3.0f);           /* not in history */
    assert_true(c.data[4].logit == -2.5f * 1.25f);
    assert_true(c.data[5].logit == 1.0f);
    c = make_cands(buf, logits, 6);
    hone_sample_penalties(&c, counts, 1.0f, 0.5f, 0.25f);
    assert_true(c.data[0].logit == 2.0f - 0.75f);
    assert_true(c.data[1].logit == -1.0f - 1.25f);
    assert_true(c.data[4].logit == -2.5f - 1.75f);
    assert_true(c.data[3].logit == 3.0f);
    assert_true(c.data[5].logit == 1.0f);
}

/* the history window: only the last repeat_last_n accepted tokens count */
static void test_penalty_window(void **state)
{
    (void)state;
    float logits[8];
    for (int i = 0; i < 8; i++) logits[i] = 1.0f;
    logits[0] = 1.5f; /* best unless penalized */
    hone_sampler_params p = plain_params(1);
    p.temp = 0.0f;
    p.repeat_penalty = 2.0f;
    p.repeat_last_n = 3;
    hone_error err = { 0 };
    hone_sampler *s = hone_sampler_new(&p, 8, &err);
    assert_non_null(s);
    hone_sampler_accept(s, 0);
    /* 1.5 / 2 = 0.75 < 1.0: the first unpenalized 1.0 wins (id 1) */
    assert_int_equal(hone_sampler_sample(s, logits), 1);
    hone_sampler_accept(s, 5);
    hone_sampler_accept(s, 6);
    assert_int_equal(hone_sampler_sample(s, logits), 1);
    hone_sampler_accept(s, 1); /* pushes token 0 out of the window */
    assert_int_equal(hone_sampler_sample(s, logits), 0);
    hone_sampler_accept(s, -3);   /* ignored */
    hone_sampler_accept(s, 999);  /* ignored */
    assert_int_equal(hone_sampler_sample(s, logits), 0);
    hone_sampler_reset(s);
    assert_int_equal(hone_sampler_sample(s, logits), 0);
    hone_sampler_free(s);
}

static void test_dist_draw(void **state)
{
    (void)state;
    const float logits[] = { logf(0.25f), logf(0.5f), logf(0.25f) };
    hone_token_cand buf[3];
    const struct { double u; int want; } cases[] = {
        { 0.0, 0 }, { 0.2, 0 }, { 0.26, 1 }, { 0.74, 1 }, { 0.76, 2 }, { 0.999, 2 },
    };
    for (size_t t = 0; t < N_OF(cases); t++) {
        hone_cand_array c = make_cands(buf, logits, 3);
        assert_int_equal(hone_sample_dist(&c, cases[t].u), cases[t].want);
        assert_float_equal(c.data[1].p, 0.5, 1e-6);
    }
}

/* --------------------------------------------------------------- chain */

static void draw_seq(uint32_t seed, int32_t *out, int n)
{
    enum { V = 64 };
    float logits[V];
    for (int i = 0; i < V; i++) logits[i] = sinf((float)i) * 2.0f;
    hone_sampler_params p = hone_sampler_default_params();
    p.seed = seed;
    p.top_k = 0;
    p.min_p = 0.0f;
    hone_error err = { 0 };
    hone_sampler *s = hone_sampler_new(&p, V, &err);
    assert_non_null(s);
    assert_int_equal(hone_sampler_seed(s), seed);
    for (int i = 0; i < n; i++) {
        out[i] = hone_sampler_sample(s, logits);
        hone_sampler_accept(s, out[i]);
    }
    /* reset restarts the same stream */
    hone_sampler_reset(s);
    assert_int_equal(hone_sampler_sample(s, logits), out[0]);
    hone_sampler_free(s);
}

static void test_seed_determinism(void **state)
{
    (void)state;
    enum { N = 200 };
    int32_t a[N], b[N], c[N];
    draw_seq(42, a, N);
    draw_seq(42, b, N);
    draw_seq(43, c, N);
    assert_memory_equal(a, b, sizeof a);
    int differ = 0;
    for (int i = 0; i < N; i++) differ += a[i] != c[i];
    assert_true(differ > N / 4);
}

static void test_distribution_matches_softmax(void **state)
{
    (void)state;
    enum { V = 8, DRAWS = 100000 };
    const float logits[V] = { 0.5f, 1.5f, -0.5f, 2.0f, 0.0f, 1.0f, -1.0f, 1.2f };
    const float temps[] = { 1.0f, 0.6f };
    for (size_t t = 0; t < N_OF(temps); t++) {
        hone_sampler_params p = plain_params(1000 + (uint32_t)t);
        p.temp = temps[t];
        hone_error err = { 0 };
        hone_sampler *s = hone_sampler_new(&p, V, &err);
        assert_non_null(s);
        int hist[V] = { 0 };
        for (int i = 0; i < DRAWS; i++) {
            int32_t tok = hone_sampler_sample(s, logits);
            assert_in_range(tok, 0, V - 1);
            hist[tok]++;
        }
        double z = 0.0;
        for (int i = 0; i < V; i++) z += exp(logits[i] / temps[t]);
        double chi2 = 0.0;
        for (int i = 0; i < V; i++) {
            double want = exp(logits[i] / temps[t]) / z;
            double got = (double)hist[i] / DRAWS;
            /* sigma <= 0.0016 for 1e5 draws: 0.008 is five sigma */
            assert_true(fabs(got - want) < 0.008);
            chi2 += (hist[i] - want * DRAWS) * (hist[i] - want * DRAWS) / (want * DRAWS);
        }
        /* 7 degrees of freedom: P(chi2 > 30) ~ 1e-4 */
        assert_true(chi2 < 30.0);
        hone_sampler_free(s);
    }
}

/* Same logits + params + seed as llama.cpp => same tokens. */
static void test_chain_matches_llamacpp(void **state)
{
    (void)state;
    FILE *f = fopen(HONE_SAMPLER_DATA "/llamacpp_chain.txt", "r");
    assert_non_null(f);
    enum { V = 2000 };
    float *logits = malloc(sizeof *logits * V);
    char line[4096];
    int n_cfg = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        hone_sampler_params p = hone_sampler_default_params();
        char order[128];
        int off = 0;
        int got = sscanf(line, "%f %d %f %f %f %d %f %f %u %127s | %n", &p.temp, &p.top_k,
                         &p.top_p, &p.min_p, &p.repeat_penalty, &p.repeat_last_n,
                         &p.freq_penalty, &p.presence_penalty, &p.seed, order, &off);
        assert_int_equal(got, 10);
        hone_error err = { 0 };
        assert_int_equal(hone_sampler_parse_order(order, &p, &err), HONE_OK);
        hone_sampler *s = hone_sampler_new(&p, V, &err);
        assert_non_null(s);
        int32_t hist[256];
        int nh = 0;
        for (int t = 0; t < 5; t++) {
            hone_sampler_accept(s, t * 37);
            hist[nh++] = t * 37;
        }
        uint32_t x = 12345u;
        const char *q = line + off;
        int steps = 0;
        for (;;) {
            char *end;
            long want = strtol(q, &end, 10);
            if (end == q) break;
            q = end;
            for (int i = 0; i < V; i++) {
                x = x * 1664525u + 1013904223u;
                logits[i] = (float)((int)((x >> 8) % 1000u) * 2000 + i - 1000000) / 100000.0f;
            }
            for (int j = 0; j < 8 && j < nh; j++)
                logits[hist[nh - 1 - j]] = 10.0f + 0.03125f * (float)j;
            int32_t tok = hone_sampler_sample(s, logits);
            if (tok != want)
                fail_msg("config %d step %d: hone picked %d, llama.cpp %ld", n_cfg, steps,
                         (int)tok, want);
            hone_sampler_accept(s, tok);
            assert_true(nh < 256);
            hist[nh++] = tok;
            steps++;
        }
        assert_int_equal(steps, 64);
        hone_sampler_free(s);
        n_cfg++;
    }
    assert_true(n_cfg >= 5);
    fclose(f);
    free(logits);
}

static void test_candidates_after_sample(void **state)
{
    (void)state;
    const float logits[] = { 0.0f, 3.0f, 2.5f, -4.0f, 2.9f };
    hone_sampler_params p = hone_sampler_default_params();
    p.seed = 5;
    p.top_k = 3;
    hone_error err = { 0 };
    hone_sampler *s = hone_sampler_new(&p, 5, &err);
    int32_t tok = hone_sampler_sample(s, logits);
    size_t n = 0;
    const hone_token_cand *cand = hone_sampler_candidates(s, &n);
    assert_in_range(n, 1, 3);
    double sum = 0.0;
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        sum += cand[i].p;
        found |= cand[i].id == tok;
    }
    assert_true(found);
    assert_float_equal(sum, 1.0, 1e-5);
    hone_sampler_free(s);
}

static void test_bad_params(void **state)
{
    (void)state;
    hone_error err = { 0 };
    hone_sampler_params p = hone_sampler_default_params();
    assert_null(hone_sampler_new(&p, 0, &err));
    assert_int_equal(err.status, HONE_ERR_ARG);
    p.repeat_penalty = 0.0f;
    assert_null(hone_sampler_new(&p, 10, &err));
    assert_non_null(strstr(err.msg, "repeat penalty"));
    p = hone_sampler_default_params();
    p.temp = NAN;
    assert_null(hone_sampler_new(&p, 10, &err));
    p = hone_sampler_default_params();
    p.repeat_last_n = -1;
    assert_null(hone_sampler_new(&p, 10, &err));
    assert_non_null(strstr(err.msg, "context size"));
    p = hone_sampler_default_params();
    assert_int_equal(hone_sampler_parse_order("top_k;top-p; temp", &p, &err), HONE_OK);
    assert_int_equal(p.n_order, 3);
    assert_int_equal(p.order[1], HONE_SAMPLER_TOP_P);
    assert_int_equal(hone_sampler_parse_order("top_k;typo", &p, &err), HONE_ERR_ARG);
    assert_non_null(strstr(err.msg, "typo"));
    assert_non_null(strstr(err.msg, "min_p"));
    assert_int_equal(hone_sampler_parse_order("top_k,top_k", &p, &err), HONE_ERR_ARG);
    assert_int_equal(hone_sampler_parse_order("", &p, &err), HONE_ERR_ARG);
    /* NaN logits never win and never crash */
    float logits[4] = { NAN, 1.0f, NAN, 0.5f };
    p = hone_sampler_default_params();
    p.temp = 0.0f;
    hone_sampler *s = hone_sampler_new(&p, 4, &err);
    assert_int_equal(hone_sampler_sample(s, logits), 1);
    hone_sampler_free(s);
    /* a random seed is resolved and reported */
    p.seed = HONE_SEED_RANDOM;
    s = hone_sampler_new(&p, 4, &err);
    assert_non_null(s);
    hone_sampler_free(s);
}

/* ---------------------------------------------------------- stop strings */

static void test_stop_find(void **state)
{
    (void)state;
    const char *stops[] = { "</s>", "User:", "", NULL };
    size_t pos = 0;
    const char *t1 = "Hello there";
    assert_int_equal(hone_stop_find(t1, strlen(t1), stops, 4, &pos), HONE_STOP_NONE);
    assert_int_equal(pos, strlen(t1));
    const char *t2 = "Hello</s>more User: x";
    assert_int_equal(hone_stop_find(t2, strlen(t2), stops, 4, &pos), HONE_STOP_FULL);
    assert_int_equal(pos, 5);
    const char *t3 = "Hi. User";
    assert_int_equal(hone_stop_find(t3, strlen(t3), stops, 4, &pos), HONE_STOP_PARTIAL);
    assert_int_equal(pos, 4);
    const char *t4 = "a <";
    assert_int_equal(hone_stop_find(t4, strlen(t4), stops, 4, &pos), HONE_STOP_PARTIAL);
    assert_int_equal(pos, 2);
    /* the longest held-back tail wins across stop strings */
    const char *s2[] = { "ab", "xab!" };
    const char *t5 = "zzxab";
    assert_int_equal(hone_stop_find(t5, strlen(t5), s2, 2, &pos), HONE_STOP_FULL);
    assert_int_equal(pos, 3);
    const char *s3[] = { "b!", "xab!" };
    assert_int_equal(hone_stop_find(t5, strlen(t5), s3, 2, &pos), HONE_STOP_PARTIAL);
    assert_int_equal(pos, 2);
    assert_int_equal(hone_stop_find("", 0, s3, 2, &pos), HONE_STOP_NONE);
    assert_int_equal(pos, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mt19937_standard_value),
        cmocka_unit_test(test_uniform_matches_libstdcxx),
        cmocka_unit_test(test_partial_sort),
        cmocka_unit_test(test_logits_top_logsumexp),
        cmocka_unit_test(test_greedy_is_argmax),
        cmocka_unit_test(test_temperature_softmax),
        cmocka_unit_test(test_top_k),
        cmocka_unit_test(test_top_p),
        cmocka_unit_test(test_top_p_large),
        cmocka_unit_test(test_min_p),
        cmocka_unit_test(test_penalties),
        cmocka_unit_test(test_penalty_window),
        cmocka_unit_test(test_dist_draw),
        cmocka_unit_test(test_seed_determinism),
        cmocka_unit_test(test_distribution_matches_softmax),
        cmocka_unit_test(test_chain_matches_llamacpp),
        cmocka_unit_test(test_candidates_after_sample),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_stop_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
