/* test_engine.c — the engine API's contracts: micro-batching and thread
 * count do not change a single bit of the results, the context refuses overflow and bad token
 * ids without side effects, rewinding works, the thread pool runs every
 * thread exactly once per job. */
#include "engine.h"
#include "model_impl.h"
#include "ref.h"
#include "threadpool.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N_TOK 24

static const int32_t TOKENS[N_TOK] = {1,   403, 407, 261, 378, 432, 383, 286, 261, 376, 270, 30,
                                      309, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 12};

static char *model_path(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/models/%s", ref_shared_dir(), name);
    return buf;
}

static hone_model *load(const char *name)
{
    hone_model *m = NULL;
    hone_error err = {0};
    if (hone_model_load(model_path(name), NULL, &m, &err)) fail_msg("load: %s", err.msg);
    return m;
}

/* A context on kernel set k (NULL: the one this CPU picks). */
static hone_context *ctx_new_on(hone_model *m, int n_ctx, int n_ubatch, int threads, uint32_t cache, bool all,
                                const hone_kernels *k)
{
    hone_context_params cp = hone_context_default_params();
    cp.kernels = k;
    cp.n_ctx = n_ctx;
    cp.n_ubatch = n_ubatch;
    cp.n_threads = threads;
    cp.cache_type = cache;
    cp.logits_all = all;
    hone_context *c = NULL;
    hone_error err = {0};
    if (hone_context_create(m, &cp, &c, &err)) fail_msg("context: %s", err.msg);
    return c;
}

static hone_context *ctx_new(hone_model *m, int n_ctx, int n_ubatch, int threads, uint32_t cache, bool all)
{
    return ctx_new_on(m, n_ctx, n_ubatch, threads, cache, all, NULL);
}

/* Logits of TOKENS fed in pieces of `step` tokens into c: out[N_TOK][V]. */
static void run_steps(hone_context *c, int step, float *out)
{
    hone_error err = {0};
    const int v = hone_n_vocab(c);
    for (int i = 0; i < N_TOK; i += step) {
        int n = N_TOK - i < step ? N_TOK - i : step;
        if (hone_decode(c, TOKENS + i, n, &err)) fail_msg("decode: %s", err.msg);
        for (int j = 0; j < n; j++)
            memcpy(out + (size_t)(i + j) * v, hone_get_logits(c, j), sizeof(float) * v);
    }
}

static double max_rel_diff(const float *a, const float *b, size_t n)
{
    double scale = 0, d = 0;
    for (size_t i = 0; i < n; i++) {
        scale = fmax(scale, fabs(a[i]));
        d = fmax(d, fabs((double)a[i] - b[i]));
    }
    return d / (scale > 0 ? scale : 1);
}

static void check_batching(const char *name)
{
    hone_model *m = load(name);
    const int v = m->hp.n_vocab;
    float *ref = malloc(sizeof(float) * N_TOK * v), *got = malloc(sizeof(float) * N_TOK * v);
    hone_context *c = ctx_new(m, 64, 512, 1, HONE_TYPE_F16, true);
    run_steps(c, N_TOK, ref);
    hone_context_free(c);
    /* micro-batches of 5 inside one decode; one token per decode; 3 threads */
    const int cfg[][3] = {{5, N_TOK, 1}, {512, 1, 1}, {512, N_TOK, 3}, {7, 7, 2}};
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        c = ctx_new(m, 64, cfg[k][0], cfg[k][2], HONE_TYPE_F16, true);
        run_steps(c, cfg[k][1], got);
        double d = max_rel_diff(ref, got, (size_t)N_TOK * v);
        printf("%s: ubatch %d, step %d, %d threads: max rel diff %.3g\n", name, cfg[k][0],
               cfg[k][1], cfg[k][2], d);
        /* kernels.h promises batch-invariant matmul and attention pads
         * p·V to a fixed bucket: results are bit-identical */
        assert_true(d == 0.0);
        hone_context_free(c);
    }
    /* an F32 cache is close to the F16 one */
    c = ctx_new(m, 64, 512, 1, HONE_TYPE_F32, true);
    run_steps(c, N_TOK, got);
    double kl = 0;
    for (int i = 0; i < N_TOK; i++) kl = fmax(kl, ref_kl(ref + i * v, got + i * v, v));
    printf("%s: f32 vs f16 cache: max KL %.3g\n", name, kl);
    assert_true(kl < 1e-2);
    hone_context_free(c);
    free(ref);
    free(got);
    hone_model_free(m);
}

/* A model whose matrices a kernel set repacked at load (avx512 and avx2:
 * Q4_0, Q8_0, Q4_K, Q5_K, Q6_K; hone_model_opts.repack, read into
 * memory) gives the same logits, bit for bit, one token per decode and in
 * one batch, as the file mapped with rows as stored; a context on another
 * set is refused. Checked with the set this CPU picks and with avx2. */
static void check_repacked_model(const char *name, const char *set);

static void test_repacked_model(void **s)
{
    (void)s;
    static const char *const SETS[] = {"auto", "avx2"};
    for (size_t i = 0; i < sizeof SETS / sizeof SETS[0]; i++) {
        check_repacked_model("syn-llama-q4_0.gguf", SETS[i]);
        check_repacked_model("syn-llama-q8_0.gguf", SETS[i]);
        check_repacked_model("syn-llama-q4_k_m.gguf", SETS[i]);
        check_repacked_model("syn-llama-q5_k_m.gguf", SETS[i]);
    }
}

static void check_repacked_model(const char *name, const char *set)
{
    const hone_kernels *k = NULL, *g = NULL;
    hone_error err = {0};
    if (strcmp(set, "auto") && !hone_kernels_can_run(set)) {
        print_message("[ SKIP     ] kernel set %s: not on this CPU\n", set);
        return;
    }
    assert_int_equal(hone_kernels_select(set, &k, &err), HONE_OK);
    assert_int_equal(hone_kernels_select("generic", &g, &err), HONE_OK);
    if (!k->repack) {
        print_message("[ SKIP     ] kernel set %s has no repack\n", k->name);
        return;
    }
    hone_model *mapped = load(name), *m = NULL;
    const hone_weight *wq = &mapped->layers[0].wq;
    if (!k->repack(wq->type, NULL, 0, wq->row_bytes)) {
        print_message("[ SKIP     ] kernel set %s does not repack %s (%s)\n", k->name, hone_type_name(wq->type), name);
        hone_model_free(mapped);
        return;
    }
    const hone_model_opts mo = {.no_mmap = true, .read_threads = 2, .repack = k};
    if (hone_model_load(model_path(name), &mo, &m, &err)) fail_msg("load: %s", err.msg);
    int n_repacked = 0;
    for (int il = 0; il < m->hp.n_layer; il++) n_repacked += m->layers[il].wq.repacked + m->layers[il].ffn_up.repacked;
    assert_int_equal(n_repacked, 2 * m->hp.n_layer);
    assert_false(mapped->layers[0].wq.repacked);
    const int v = m->hp.n_vocab;
    float *ref = malloc(sizeof(float) * N_TOK * v), *got = malloc(sizeof(float) * N_TOK * v);
    for (int step = 1; step <= N_TOK; step += N_TOK - 1) {
        hone_context *c = ctx_new_on(mapped, 64, 512, 2, HONE_TYPE_F16, true, k);
        run_steps(c, step, ref);
        hone_context_free(c);
        c = ctx_new_on(m, 64, 512, 2, HONE_TYPE_F16, true, k);
        run_steps(c, step, got);
        hone_context_free(c);
        assert_memory_equal(ref, got, sizeof(float) * N_TOK * v);
    }
    hone_context_params cp = hone_context_default_params();
    cp.n_ctx = 64;
    cp.kernels = g;
    hone_context *c = NULL;
    assert_int_not_equal(hone_context_create(m, &cp, &c, &err), HONE_OK);
    assert_null(c);
    assert_non_null(strstr(err.msg, "laid out for kernel set"));
    free(ref);
    free(got);
    hone_model_free(m);
    hone_model_free(mapped);
}

static void test_batching_llama(void **s)
{
    (void)s;
    check_batching("stories260K-q8_0.gguf");
}

static void test_batching_phi3(void **s)
{
    (void)s;
    check_batching("syn-phi3-q4_k_m.gguf");
}

static void test_batching_qwen3(void **s)
{
    (void)s;
    check_batching("syn-qwen3-q8_0.gguf");
}

/* LongRoPE picks its factor set once per context, from the context size
 * padded to 256 as llama.cpp pads it: short up to the original length
 * (256 here), long above it, for every position alike. */
static void test_longrope_regime(void **s)
{
    (void)s;
    hone_model *m = load("syn-phi3-longrope-q8_0.gguf");
    assert_int_equal(m->hp.n_ctx_orig, 256);
    assert_int_equal(m->hp.n_ctx_train, 4096);
    assert_true(fabsf(m->hp.rope_attn_factor - 1.2247449f) < 1e-6f);
    assert_non_null(m->rope_short);
    assert_non_null(m->rope_long);
    assert_null(m->rope_freqs);
    assert_ptr_equal(hone_model_rope_factors(m, 1), m->rope_short);
    assert_ptr_equal(hone_model_rope_factors(m, 256), m->rope_short);
    assert_ptr_equal(hone_model_rope_factors(m, 257), m->rope_long);
    assert_ptr_equal(hone_model_rope_factors(m, 4096), m->rope_long);
    assert_ptr_equal(hone_model_rope_factors(m, 100000), m->rope_long);
    /* the same tokens at the same positions: equal logits within one
     * regime (a 64- and a 256-position context), different across */
    const int v = m->hp.n_vocab;
    float *a = malloc(sizeof(float) * N_TOK * v), *b = malloc(sizeof(float) * N_TOK * v);
    const int ctxs[3] = {64, 256, 257};
    float *out[3] = {a, b, a};
    double d[3] = {0};
    for (int k = 0; k < 3; k++) {
        hone_context *c = ctx_new(m, ctxs[k], 512, 1, HONE_TYPE_F16, true);
        if (k == 2) out[k] = malloc(sizeof(float) * N_TOK * v);
        run_steps(c, N_TOK, out[k]);
        hone_context_free(c);
    }
    d[1] = max_rel_diff(a, b, (size_t)N_TOK * v);
    d[2] = max_rel_diff(b, out[2], (size_t)N_TOK * v);
    printf("longrope: ctx 64 vs 256 (short, short): %.3g; 256 vs 257 (short, long): %.3g\n",
           d[1], d[2]);
    assert_true(d[1] == 0.0);
    assert_true(d[2] > 1e-3);
    free(out[2]);
    free(a);
    free(b);
    /* models without LongRoPE use no factors (or llama3's rope_freqs) */
    hone_model_free(m);
    m = load("syn-phi3-q8_0.gguf");
    assert_null(hone_model_rope_factors(m, 100000));
    assert_true(m->hp.rope_attn_factor == 1.0f);
    hone_model_free(m);
}

/* Continuous batching: three sequences fed together, prompt chunks and
 * single decode tokens in the same passes, give every logits row bit for
 * bit what each sequence gives alone. */
#define N_SEQ 3
#define N_GEN 6
static void check_seq_batching(const char *name, int threads)
{
    hone_model *m = load(name);
    const int v = m->hp.n_vocab;
    /* three prompts of different lengths: TOKENS from different offsets */
    const int off[N_SEQ] = {0, 5, 11}, len[N_SEQ] = {13, 7, 9};
    /* alone: the prompt as one batch, then N_GEN greedy tokens one by one;
     * ref[s][step] = logits after step (0: the prompt) */
    float *ref = malloc(sizeof(float) * (size_t)N_SEQ * (N_GEN + 1) * (size_t)v);
    int32_t gen[N_SEQ][N_GEN + 1];
    hone_error err = {0};
    for (int s = 0; s < N_SEQ; s++) {
        hone_context *c = ctx_new(m, 64, 512, threads, HONE_TYPE_F16, false);
        int32_t tok = 0;
        for (int step = 0; step <= N_GEN; step++) {
            hone_status st = step == 0 ? hone_decode(c, TOKENS + off[s], len[s], &err)
                                       : hone_decode(c, &tok, 1, &err);
            if (st) fail_msg("decode: %s", err.msg);
            const float *l = hone_get_logits(c, -1);
            memcpy(ref + ((size_t)s * (N_GEN + 1) + (size_t)step) * (size_t)v, l, sizeof(float) * (size_t)v);
            tok = 0;
            for (int i = 1; i < v; i++)
                if (l[i] > l[tok]) tok = i;
            gen[s][step] = tok;
        }
        hone_context_free(c);
    }
    /* together: sequence s starts s passes late, so passes mix prompts and
     * decode tokens (and sequence 2's prompt goes in two chunks) */
    hone_context_params cp = hone_context_default_params();
    cp.n_ctx = 64 * N_SEQ;
    cp.n_seq = N_SEQ;
    cp.n_threads = threads;
    hone_context *c = NULL;
    if (hone_context_create(m, &cp, &c, &err)) fail_msg("context: %s", err.msg);
    assert_int_equal(hone_seq_n_ctx(c), 64);
    int step[N_SEQ] = {0}, chunk2 = 0, compared = 0;
    for (int pass = 0; pass < N_GEN + 1 + N_SEQ + 1; pass++) {
        hone_batch_item items[N_SEQ];
        int idx[N_SEQ], n = 0;
        for (int s = 0; s < N_SEQ; s++) {
            if (pass < s || step[s] > N_GEN) continue;
            hone_batch_item it = {.seq = s, .logits = true};
            if (step[s] == 0 && s == 2 && chunk2 == 0) { /* first chunk: no logits */
                it.tokens = TOKENS + off[s];
                it.n = 4;
                it.logits = false;
            } else if (step[s] == 0) {
                const int done = s == 2 ? 4 : 0;
                it.tokens = TOKENS + off[s] + done;
                it.n = len[s] - done;
            } else {
                it.tokens = &gen[s][step[s] - 1];
                it.n = 1;
            }
            idx[n] = s;
            items[n++] = it;
        }
        if (!n) break;
        if (hone_decode_batch(c, items, n, &err)) fail_msg("batch: %s", err.msg);
        for (int i = 0; i < n; i++) {
            const int s = idx[i];
            if (!items[i].logits) {
                assert_null(hone_batch_logits(c, i));
                chunk2 = 1;
                continue;
            }
            const float *l = hone_batch_logits(c, i);
            assert_non_null(l);
            const float *r = ref + ((size_t)s * (N_GEN + 1) + (size_t)step[s]) * (size_t)v;
            if (memcmp(l, r, sizeof(float) * (size_t)v) != 0)
                fail_msg("%s: sequence %d step %d differs in a batch of %d", name, s, step[s], n);
            step[s]++;
            compared++;
        }
    }
    assert_int_equal(compared, N_SEQ * (N_GEN + 1));
    for (int s = 0; s < N_SEQ; s++) assert_int_equal(hone_seq_n_past(c, s), len[s] + N_GEN);
    /* refusals, without side effects */
    int32_t bad = v;
    hone_batch_item twice[2] = {{.seq = 0, .tokens = TOKENS, .n = 1}, {.seq = 0, .tokens = TOKENS, .n = 1}};
    assert_int_equal(hone_decode_batch(c, twice, 2, &err), HONE_ERR_ARG);
    hone_batch_item badtok = {.seq = 1, .tokens = &bad, .n = 1};
    assert_int_equal(hone_decode_batch(c, &badtok, 1, &err), HONE_ERR_RANGE);
    hone_batch_item badseq = {.seq = N_SEQ, .tokens = TOKENS, .n = 1};
    assert_int_equal(hone_decode_batch(c, &badseq, 1, &err), HONE_ERR_ARG);
    hone_batch_item full = {.seq = 2, .tokens = TOKENS, .n = 64};
    assert_int_equal(hone_decode_batch(c, &full, 1, &err), HONE_ERR_RANGE);
    assert_int_equal(hone_seq_n_past(c, 2), len[2] + N_GEN);
    hone_seq_rewind(c, 1, 3);
    assert_int_equal(hone_seq_n_past(c, 1), 3);
    hone_context_free(c);
    free(ref);
    hone_model_free(m);
}

static void test_seq_batching(void **s)
{
    (void)s;
    check_seq_batching("stories260K-q8_0.gguf", 2);
    check_seq_batching("syn-llama-q4_k_m.gguf", 2);
    check_seq_batching("syn-qwen2-f32.gguf", 1);
    check_seq_batching("syn-phi3-q8_0.gguf", 2);
}

static void test_limits(void **s)
{
    (void)s;
    hone_model *m = load("stories260K-f32.gguf");
    hone_context *c = ctx_new(m, 16, 512, 1, HONE_TYPE_F16, false);
    hone_error err = {0};
    assert_int_equal(hone_n_ctx(c), 16);
    assert_int_equal(hone_n_batch(c), 16); /* capped at n_ctx */
    assert_int_equal(hone_decode(c, TOKENS, 10, &err), HONE_OK);
    assert_int_equal(hone_decode(c, TOKENS, 7, &err), HONE_ERR_RANGE);
    assert_non_null(strstr(err.msg, "context"));
    assert_int_equal(hone_n_past(c), 10); /* no side effect */
    int32_t bad[2] = {5, m->hp.n_vocab};
    assert_int_equal(hone_decode(c, bad, 2, &err), HONE_ERR_RANGE);
    bad[1] = -1;
    assert_int_equal(hone_decode(c, bad, 2, &err), HONE_ERR_RANGE);
    assert_int_equal(hone_n_past(c), 10);
    assert_int_equal(hone_decode(c, TOKENS, 0, &err), HONE_ERR_ARG);
    assert_int_equal(hone_decode(c, TOKENS, 6, &err), HONE_OK);
    assert_int_equal(hone_n_past(c), 16);
    assert_int_equal(hone_decode(c, TOKENS, 1, &err), HONE_ERR_RANGE);
    hone_context_free(c);

    /* bad parameters */
    hone_context_params cp = hone_context_default_params();
    cp.n_batch = 0;
    assert_int_equal(hone_context_create(m, &cp, &c, &err), HONE_ERR_ARG);
    cp = hone_context_default_params();
    cp.cache_type = HONE_TYPE_Q8_0;
    assert_int_equal(hone_context_create(m, &cp, &c, &err), HONE_ERR_ARG);
    /* default context: the model's length (2048) capped at 4096 */
    c = ctx_new(m, 0, 512, 1, HONE_TYPE_F16, false);
    assert_int_equal(hone_n_ctx(c), 2048);
    hone_context_free(c);
    hone_model_free(m);
}

static void test_rewind(void **s)
{
    (void)s;
    hone_model *m = load("stories260K-q4_0.gguf");
    const int v = m->hp.n_vocab;
    hone_error err = {0};
    /* A = TOKENS[0..12); rewind to 6 and feed TOKENS[12..18) instead */
    int32_t seq[12];
    memcpy(seq, TOKENS, 6 * sizeof *seq);
    memcpy(seq + 6, TOKENS + 12, 6 * sizeof *seq);
    hone_context *fresh = ctx_new(m, 32, 512, 1, HONE_TYPE_F16, false);
    assert_int_equal(hone_decode(fresh, seq, 12, &err), HONE_OK);
    hone_context *c = ctx_new(m, 32, 512, 1, HONE_TYPE_F16, false);
    assert_int_equal(hone_decode(c, TOKENS, 12, &err), HONE_OK);
    hone_context_rewind(c, 6);
    assert_int_equal(hone_n_past(c), 6);
    hone_context_rewind(c, 9); /* cannot move forward */
    assert_int_equal(hone_n_past(c), 6);
    assert_int_equal(hone_decode(c, TOKENS + 12, 6, &err), HONE_OK);
    assert_true(max_rel_diff(hone_get_logits(fresh, -1), hone_get_logits(c, -1), v) < 1e-5);
    hone_context_free(c);
    hone_context_free(fresh);
    hone_model_free(m);
}

/* Architecture quirks arrive as data from the metadata and tensors. */
static void test_hparams(void **s)
{
    (void)s;
    hone_error err = {0};
    hone_model *m = load("stories260K-q4_0.gguf");
    assert_int_equal(m->hp.arch, HONE_ARCH_LLAMA);
    assert_int_equal(m->hp.rope_type, HONE_ROPE_NORM);
    assert_int_equal(m->hp.n_embd, 64);
    assert_int_equal(m->hp.n_head, 8);
    assert_int_equal(m->hp.n_head_kv, 4);
    assert_int_equal(m->hp.head_dim, 8);
    assert_int_equal(m->hp.n_rot, 8);
    assert_int_equal(m->hp.n_ff, 172);
    assert_int_equal(m->hp.n_vocab, 512);
    assert_false(m->hp.tied_output);
    assert_int_equal(m->layers[0].ffn_down.type, HONE_TYPE_F16); /* 172 % 32 != 0 */
    assert_int_equal(hone_model_check_kernels(m, hone_kernels_generic(), &err), HONE_OK);
    hone_model_free(m);

    m = load("syn-qwen2-q8_0.gguf");
    assert_int_equal(m->hp.arch, HONE_ARCH_QWEN2);
    assert_int_equal(m->hp.rope_type, HONE_ROPE_NEOX);
    assert_true(m->hp.tied_output);
    assert_ptr_equal(m->output.data, m->tok_embd.data);
    assert_non_null(m->layers[0].bq.data);
    assert_non_null(m->layers[0].bv.data);
    assert_int_equal(m->hp.n_head_kv, 2);
    hone_model_free(m);

    m = load("syn-phi3-q8_0.gguf");
    assert_int_equal(m->hp.arch, HONE_ARCH_PHI3);
    assert_int_equal(m->hp.rope_type, HONE_ROPE_NEOX);
    assert_true(m->hp.scale_q_before_attn);
    assert_non_null(m->layers[0].wqkv.data);
    assert_null(m->layers[0].wq.data);
    assert_null(m->layers[0].ffn_gate.data);
    assert_int_equal(m->layers[0].ffn_up.rows, 2 * m->hp.n_ff);
    hone_model_free(m);

    /* qwen3: head_dim from key_length (64), not n_embd / n_head (32) */
    m = load("syn-qwen3-q8_0.gguf");
    assert_int_equal(m->hp.arch, HONE_ARCH_QWEN3);
    assert_int_equal(m->hp.rope_type, HONE_ROPE_NEOX);
    assert_false(m->hp.scale_q_before_attn);
    assert_int_equal(m->hp.n_embd, 256);
    assert_int_equal(m->hp.n_head, 8);
    assert_int_equal(m->hp.n_head_kv, 2);
    assert_int_equal(m->hp.head_dim, 64);
    assert_int_equal(m->hp.n_rot, 64);
    assert_int_equal(m->layers[0].wq.rows, 512);
    assert_int_equal(m->layers[0].wo.cols, 512);
    assert_non_null(m->layers[0].attn_q_norm.data);
    assert_non_null(m->layers[0].attn_k_norm.data);
    assert_int_equal(m->layers[0].attn_k_norm.cols, 64);
    assert_null(m->layers[0].bq.data);
    hone_model_free(m);

    /* a file that is not a model */
    char path[1100];
    snprintf(path, sizeof path, "%s/reference/stories.txt", ref_shared_dir());
    assert_int_not_equal(hone_model_load(path, NULL, &m, &err), HONE_OK);
    assert_null(m);
    assert_non_null(strstr(err.msg, "stories.txt"));
}

typedef struct {
    atomic_int calls[8];
    atomic_int bad_nth;
    int nth_expected;
} pool_probe;

static void probe(void *arg, int chunk, int n_chunks, int tid)
{
    pool_probe *p = arg;
    if (n_chunks != p->nth_expected || tid < 0 || tid >= 4) atomic_fetch_add(&p->bad_nth, 1);
    atomic_fetch_add(&p->calls[chunk], 1);
}

static void test_threadpool(void **s)
{
    (void)s;
    hone_error err = {0};
    hone_threadpool *pool = NULL;
    assert_int_equal(hone_threadpool_create(0, &pool, &err), HONE_ERR_ARG);
    for (int n = 1; n <= 4; n++) {
        assert_int_equal(hone_threadpool_create(n, &pool, &err), HONE_OK);
        assert_int_equal(hone_threadpool_n_threads(pool), n);
        /* every chunk exactly once per job, whatever the thread count */
        for (int chunks = 1; chunks <= 8; chunks += 7) {
            pool_probe p = {.nth_expected = chunks};
            const int jobs = 2000;
            for (int j = 0; j < jobs; j++) hone_threadpool_run(pool, probe, &p, chunks);
            for (int i = 0; i < chunks; i++) assert_int_equal(atomic_load(&p.calls[i]), jobs);
            assert_int_equal(atomic_load(&p.bad_nth), 0);
        }
        hone_threadpool_free(pool);
    }
    hone_threadpool_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threadpool),  cmocka_unit_test(test_hparams),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_rewind),      cmocka_unit_test(test_batching_llama),
        cmocka_unit_test(test_batching_phi3), cmocka_unit_test(test_seq_batching),
        cmocka_unit_test(test_batching_qwen3), cmocka_unit_test(test_longrope_regime),
        cmocka_unit_test(test_repacked_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
