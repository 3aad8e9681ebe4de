/* cmd_bench.c — `hone bench`: prompt processing (pp) and generation (tg)
 * speed, measured the way llama-bench does (tools/llama-bench): a warm-up
 * run, then -r repetitions from an empty KV cache with random tokens (BOS
 * first); pp evaluates -p tokens in batches of -b, tg decodes -n tokens
 * one at a time. Reports tokens/s as mean ± sample standard deviation, with
 * the kernel set, build variant and, for tg, the effective memory bandwidth
 * (weight bytes read per token x tokens/s).
 */
#include "cli_args.h"
#include "commands.h"

#include "hone.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "bench"
#define MAX_LIST 16

typedef struct {
    int v[MAX_LIST];
    int n;
} int_list;

typedef struct {
    cli_engine_opts eng;
    int_list n_prompt, n_gen, n_depth, threads;
    int_list fa;     /* -fa values (CLI_FA_*), llama-bench's list */
    int reps;
    const char *format;
} bench_opts;

typedef struct {
    const char *test_kind; /* "pp" or "tg" */
    int n_tokens, n_threads;
    int n_depth;           /* tokens already in the context (llama-bench -d) */
    double mean_ts, std_ts, mean_ns, std_ns;
    double samples_ts[64];
    int n_samples;
    double gbs;            /* tg: weight bytes x t/s; 0 for pp */
} bench_result;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hone bench -m MODEL [options]\n\n"
            "Prompt-processing (ppN) and generation (tgN) speed, like llama-bench.\n\n"
            "options:\n"
            "%s"
            "  -p, --n-prompt N[,N..]  prompt tokens per pp test (default 512; 0 = skip)\n"
            "  -n, --n-gen N[,N..]     generated tokens per tg test (default 128; 0 = skip)\n"
            "  -d, --n-depth N[,N..]   tokens already in the context when each test starts\n"
            "                          (default 0; filled once per test, not timed)\n"
            "  -t, --threads N[,N..]   thread counts to test (default: detected)\n"
            "  -fa, --flash-attn X[,X..] on|off|auto to test (default auto = on); the table\n"
            "                          gets llama-bench's fa column (1, 0, -1) when given\n"
            "  -r, --repetitions N     repetitions per test (default 5)\n"
            "  -o, --output FORMAT     md (default), json or csv\n"
            "  -h, --help              this help\n",
            CLI_ENGINE_HELP);
}

static int parse_list(const char *opt, const char *s, long min, long max, int_list *l)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    l->n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (l->n == MAX_LIST) return cli_error(CMD, "%s: at most %d values", opt, MAX_LIST);
        if (cli_int(CMD, opt, tok, min, max, &l->v[l->n++])) return -1;
    }
    if (l->n == 0) return cli_error(CMD, "%s: no value in '%s'", opt, s);
    return 0;
}

static int parse_args(int argc, char **argv, bench_opts *o)
{
    cli_engine_defaults(&o->eng);
    o->n_prompt = (int_list){{512}, 1};
    o->n_gen = (int_list){{128}, 1};
    o->n_depth = (int_list){{0}, 1};
    o->threads = (int_list){{0}, 1};
    o->fa = (int_list){{CLI_FA_AUTO}, 1};
    o->reps = 5;
    o->format = "md";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        }
        int_list *l = !strcmp(a, "-p") || !strcmp(a, "--n-prompt") ? &o->n_prompt
                    : !strcmp(a, "-n") || !strcmp(a, "--n-gen")    ? &o->n_gen
                    : !strcmp(a, "-d") || !strcmp(a, "--n-depth")  ? &o->n_depth
                    : !strcmp(a, "-t") || !strcmp(a, "--threads")  ? &o->threads
                                                                   : NULL;
        if (!strcmp(a, "-fa") || !strcmp(a, "--flash-attn")) {
            const char *v = cli_value(CMD, argc, argv, &i);
            if (!v) return -1;
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            o->fa.n = 0;
            for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save)) {
                if (o->fa.n == MAX_LIST) return cli_error(CMD, "%s: at most %d values", a, MAX_LIST);
                if ((o->fa.v[o->fa.n++] = cli_flash_attn(tok)) == CLI_FA_BAD)
                    return cli_error(CMD, "%s: '%s' is not on, off or auto", a, tok);
            }
            if (o->fa.n == 0) return cli_error(CMD, "%s: no value in '%s'", a, v);
            continue;
        }
        if (l) {
            const char *v = cli_value(CMD, argc, argv, &i);
            if (!v || parse_list(a, v, l == &o->threads ? 1 : 0,
                                  l == &o->threads ? CLI_MAX_THREADS : 1 << 20, l)) return -1;
            continue;
        }
        int rc = cli_engine_opt(CMD, argc, argv, &i, &o->eng);
        if (rc < 0) return -1;
        if (rc > 0) continue;
        if (!strcmp(a, "-r") || !strcmp(a, "--repetitions")) {
            if (cli_int_arg(CMD, argc, argv, &i, 1, 64, &o->reps)) return -1;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!(o->format = cli_value(CMD, argc, argv, &i))) return -1;
            if (strcmp(o->format, "md") && strcmp(o->format, "json") && strcmp(o->format, "csv"))
                return cli_error(CMD, "-o: '%s' is not md, json or csv", o->format);
        } else {
            return cli_error(CMD, "unknown option '%s' (try hone bench --help)", a);
        }
    }
    if (!o->eng.model) return cli_error(CMD, "no model given (-m FILE)");
    return 0;
}

/* ------------------------------------------------------------- measuring */

static uint32_t rng_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* One timed run of a test from an empty cache; returns ns or < 0. */
/* n random tokens in batches of n_batch (the first one `first` when >= 0),
 * appended to the context: a pp test, and the depth before a test. */
static int decode_random(cli_engine *e, int n, int32_t first, uint32_t *rng, int32_t *buf)
{
    hone_error err = {0};
    const int n_vocab = hone_n_vocab(e->ctx), nb = hone_n_batch(e->ctx);
    for (int done = 0; done < n;) {
        const int k = n - done < nb ? n - done : nb;
        for (int i = 0; i < k; i++) buf[i] = (int32_t)(rng_next(rng) % (uint32_t)n_vocab);
        if (done == 0 && first >= 0) buf[0] = first;
        if (hone_decode(e->ctx, buf, k, &err)) return cli_error(CMD, "%s", err.msg);
        done += k;
    }
    return 0;
}

/* One timed run of a test after `depth` tokens (already in the cache, see
 * fill_depth); returns ns or < 0. */
static double run_once(cli_engine *e, bool pp, int n, int depth, int32_t bos, uint32_t *rng, int32_t *buf)
{
    hone_error err = {0};
    const int n_vocab = hone_n_vocab(e->ctx);
    const int32_t first = depth == 0 ? bos : -1; /* BOS starts an empty context only */
    hone_context_rewind(e->ctx, depth);
    double t0 = cli_now_ms();
    if (pp) {
        if (decode_random(e, n, first, rng, buf)) return -1;
    } else {
        int32_t t = first >= 0 ? first : (int32_t)(rng_next(rng) % (uint32_t)n_vocab);
        for (int i = 0; i < n; i++) {
            if (hone_decode(e->ctx, &t, 1, &err)) return cli_error(CMD, "%s", err.msg);
            t = (int32_t)(rng_next(rng) % (uint32_t)n_vocab);
        }
    }
    return (cli_now_ms() - t0) * 1e6;
}

/* The depth: random tokens (BOS first) once per test; each repetition then
 * rewinds to it (llama-bench refills it per repetition: the same cache
 * contents, computed once). */
static int fill_depth(cli_engine *e, int depth, int32_t bos, uint32_t *rng, int32_t *buf)
{
    hone_context_rewind(e->ctx, 0);
    return decode_random(e, depth, bos, rng, buf);
}

static void stats(const double *x, int n, double *mean, double *sd)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) s += x[i];
    *mean = s / n;
    for (int i = 0; i < n; i++) s2 += (x[i] - *mean) * (x[i] - *mean);
    *sd = n > 1 ? sqrt(s2 / (n - 1)) : 0.0;
}

static int measure(cli_engine *e, const bench_opts *o, bool pp, int n, int depth, bench_result *r)
{
    const int32_t bos = hone_tok_add_bos(e->tok) ? hone_tok_bos(e->tok) : -1;
    int32_t *buf = malloc(sizeof *buf * (size_t)hone_n_batch(e->ctx));
    if (!buf) return cli_error(CMD, "out of memory");
    uint32_t rng = 1234;
    double ns[64];
    int rc = fill_depth(e, depth, bos, &rng, buf);
    if (!rc) rc = run_once(e, pp, pp ? n : 1, depth, bos, &rng, buf) < 0 ? -1 : 0; /* warm-up */
    for (int i = 0; !rc && i < o->reps; i++) {
        ns[i] = run_once(e, pp, n, depth, bos, &rng, buf);
        if (ns[i] < 0) rc = -1;
        else r->samples_ts[i] = n / (ns[i] / 1e9);
    }
    free(buf);
    if (rc) return rc;
    r->n_samples = o->reps;
    r->test_kind = pp ? "pp" : "tg";
    r->n_tokens = n;
    r->n_depth = depth;
    r->n_threads = hone_n_threads(e->ctx);
    stats(ns, o->reps, &r->mean_ns, &r->std_ns);
    stats(r->samples_ts, o->reps, &r->mean_ts, &r->std_ts);
    r->gbs = pp ? 0.0 : (double)hone_model_weight_bytes(e->model) * r->mean_ts / 1e9;
    return 0;
}

/* ---------------------------------------------------------------- output */

/* llama-bench's model column, "llama 1B Q4_K - Medium": llama.cpp's
 * llama_model_desc (architecture, size class, file type). */

/* The file type's description; without general.file_type, guessed from the
 * most common tensor type (as llama.cpp's loader does: "(guessed) ..."). */
static void ftype_desc(const hone_gguf_file *f, char *out, size_t cap)
{
    static const char *names[] = {[0] = "all F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1",
                                  [7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1", [10] = "Q2_K - Medium",
                                  [11] = "Q3_K - Small", [12] = "Q3_K - Medium", [13] = "Q3_K - Large",
                                  [14] = "Q4_K - Small", [15] = "Q4_K - Medium", [16] = "Q5_K - Small",
                                  [17] = "Q5_K - Medium", [18] = "Q6_K", [21] = "Q2_K - Small",
                                  [32] = "BF16"};
    enum { N_NAMES = (int)(sizeof names / sizeof *names) };
    uint32_t ft;
    if (!hone_gguf_get_u32(f, "general.file_type", &ft, NULL)) {
        snprintf(out, cap, "%s", ft < N_NAMES && names[ft] ? names[ft] : "unknown, may not work");
        return;
    }
    /* tensor type -> the file type llama.cpp guesses from it */
    static const int from_type[HONE_TYPE_COUNT] = {
        [HONE_TYPE_F32] = 0,   [HONE_TYPE_F16] = 1,   [HONE_TYPE_BF16] = 32, [HONE_TYPE_Q4_0] = 2,
        [HONE_TYPE_Q4_1] = 3,  [HONE_TYPE_Q5_0] = 8,  [HONE_TYPE_Q5_1] = 9,  [HONE_TYPE_Q8_0] = 7,
        [HONE_TYPE_Q2_K] = 10, [HONE_TYPE_Q3_K] = 12, [HONE_TYPE_Q4_K] = 15, [HONE_TYPE_Q5_K] = 17,
        [HONE_TYPE_Q6_K] = 18};
    uint64_t count[HONE_TYPE_COUNT] = {0}, best_n = 0;
    uint32_t best = HONE_TYPE_F32;
    for (uint64_t i = 0; i < hone_gguf_n_tensors(f); i++) {
        const uint32_t t = hone_gguf_tensor_at(f, i)->type;
        if (t < HONE_TYPE_COUNT && ++count[t] > best_n) best_n = count[t], best = t;
    }
    const int g = best == HONE_TYPE_F32 || from_type[best] ? from_type[best] : 0;
    snprintf(out, cap, "(guessed) %s", names[g]);
}

static uint32_t arch_u32(const hone_gguf_file *f, const char *arch, const char *key)
{
    char k[128];
    uint32_t v = 0;
    snprintf(k, sizeof k, "%s.%s", arch, key);
    if (hone_gguf_get_u32(f, k, &v, NULL)) v = 0;
    return v;
}

/* llama.cpp's size class (LLM_TYPE_*) for the architectures hone runs:
 * by layer count, as its per-architecture tables; "?B" when unknown. */
static const char *size_class(const hone_gguf_file *f, const char *arch, int n_vocab)
{
    const uint32_t nl = arch_u32(f, arch, "block_count"), embd = arch_u32(f, arch, "embedding_length");
    const uint32_t heads = arch_u32(f, arch, "attention.head_count");
    uint32_t kv = arch_u32(f, arch, "attention.head_count_kv");
    if (!kv) kv = heads;
    if (!strcmp(arch, "llama")) {
        switch (nl) {
        case 16: case 22: return "1B";
        case 26: case 28: return "3B";
        case 30: return "256M";
        case 32: return n_vocab == 49152 ? "3B" : n_vocab < 40000 ? "7B" : "8B";
        case 36: return "8B";
        case 40: return "13B";
        case 48: return "34B";
        case 60: return "30B";
        case 80: return heads == kv ? "65B" : "70B";
        }
    } else if (!strcmp(arch, "qwen2")) {
        switch (nl) {
        case 24: return embd == 1024 ? "0.5B" : "1B";
        case 28: return embd == 1536 ? "1.5B" : "7B";
        case 32: return "7B";
        case 36: return "3B";
        case 40: return heads == 20 ? "4B" : "13B";
        case 48: return "14B";
        case 64: return "32B";
        case 80: return "70B";
        }
    } else if (!strcmp(arch, "qwen3")) {
        switch (nl) {
        case 28: return embd == 1024 ? "0.6B" : "1.7B";
        case 36: return embd == 2560 ? "4B" : "8B";
        case 40: return "14B";
        case 64: return "32B";
        }
    } else if (!strcmp(arch, "phi3")) {
        switch (nl) {
        case 24: return "1B";
        case 32: return "3B";
        case 40: return "14B";
        }
    }
    return "?B";
}

typedef struct {
    char model[96], commit[48], variant[32], cpu[128];
    const char *path, *kernels;
    double size_mib, params_m;
    int n_batch, n_ubatch;
    const char *type_k;
    int fa;          /* the -fa value of these results (CLI_FA_*) */
    bool show_fa;    /* llama-bench's fa column: -fa given other than auto */
} bench_info;

static void fill_info(const cli_engine *e, const bench_opts *o, bench_info *bi)
{
    const hone_gguf_file *f = hone_model_gguf(e->model);
    const char *arch = hone_model_arch_name(e->model);
    char ft[64];
    ftype_desc(f, ft, sizeof ft);
    snprintf(bi->model, sizeof bi->model, "%s %s %s", arch, size_class(f, arch, hone_n_vocab(e->ctx)), ft);
    bi->path = o->eng.model;
    bi->size_mib = (double)hone_gguf_file_size(f) / (1024.0 * 1024.0);
    uint64_t params = 0;
    for (uint64_t i = 0; i < hone_gguf_n_tensors(f); i++)
        params += hone_gguf_tensor_at(f, i)->n_elements;
    bi->params_m = (double)params / 1e6;
    bi->kernels = hone_context_kernels(e->ctx)->name;
    bi->n_batch = hone_n_batch(e->ctx);
    bi->n_ubatch = o->eng.n_ubatch;
    bi->type_k = o->eng.cache_type == HONE_TYPE_F32 ? "f32" : "f16";
    bi->fa = o->eng.flash_attn;
    bi->show_fa = o->fa.n > 1 || o->fa.v[0] != CLI_FA_AUTO;
    snprintf(bi->commit, sizeof bi->commit, "unknown");
    snprintf(bi->variant, sizeof bi->variant, "unknown");
    snprintf(bi->cpu, sizeof bi->cpu, "unknown");
    cJSON *doc = hone_build_info_generate();
    const char *keys[] = {"git_commit", "build_type", "cpu_model"};
    char *dst[] = {bi->commit, bi->variant, bi->cpu};
    size_t cap[] = {sizeof bi->commit, sizeof bi->variant, sizeof bi->cpu};
    for (int i = 0; doc && i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, keys[i]);
        if (cJSON_IsString(v)) snprintf(dst[i], cap[i], "%s", v->valuestring);
    }
    cJSON_Delete(doc);
}

/* Markdown columns padded as llama-bench pads them (width < 0: left
 * aligned, its separator without the ':'), so the tables line up in a
 * terminal and sit side by side with llama-bench's. */
static const struct {
    const char *name;
    int width;
} MD_COLS[] = {{"model", -30}, {"size", 10},    {"params", 10}, {"kernels", -10}, {"variant", -10},
               {"threads", 7}, {"fa", 3},       {"test", 15},   {"t/s", 20},      {"GB/s", 10}};
enum { N_MD_COLS = (int)(sizeof MD_COLS / sizeof MD_COLS[0]), MD_FA = 6 };

/* The fa column is there only when -fa was given other than auto, as in
 * llama-bench. */
static void print_md_row(const bench_info *bi, const char *const *cells)
{
    for (int i = 0; i < N_MD_COLS; i++) {
        if (i == MD_FA && !bi->show_fa) continue;
        /* widths are in characters: printf counts bytes ("±" is two) */
        int extra = 0;
        for (const char *c = cells[i]; *c; c++) extra += ((unsigned char)*c & 0xC0) == 0x80;
        const int w = MD_COLS[i].width;
        printf("| %*s ", w < 0 ? w - extra : w + extra, cells[i]);
    }
    printf("|\n");
}

static void print_md_header(const bench_info *bi)
{
    const char *names[N_MD_COLS];
    for (int i = 0; i < N_MD_COLS; i++) names[i] = MD_COLS[i].name;
    print_md_row(bi, names);
    for (int i = 0; i < N_MD_COLS; i++) {
        if (i == MD_FA && !bi->show_fa) continue;
        const int w = MD_COLS[i].width < 0 ? -MD_COLS[i].width : MD_COLS[i].width;
        printf("| ");
        for (int k = 0; k < w - 1; k++) putchar('-');
        printf("%c ", MD_COLS[i].width < 0 ? '-' : ':');
    }
    printf("|\n");
}

static void print_md(const bench_info *bi, const bench_result *r)
{
    char gbs[32] = "", test[48], size[32], params[32], threads[16], ts[48], fa[8];
    if (r->gbs > 0) snprintf(gbs, sizeof gbs, "%.2f", r->gbs);
    /* llama-bench's names: pp512, tg128 @ d4096 */
    if (r->n_depth) snprintf(test, sizeof test, "%s%d @ d%d", r->test_kind, r->n_tokens, r->n_depth);
    else snprintf(test, sizeof test, "%s%d", r->test_kind, r->n_tokens);
    snprintf(size, sizeof size, "%.2f MiB", bi->size_mib);
    /* params as llama-bench: M below a billion, else B */
    if (bi->params_m >= 1000.0) snprintf(params, sizeof params, "%.2f B", bi->params_m / 1000.0);
    else snprintf(params, sizeof params, "%.2f M", bi->params_m);
    snprintf(threads, sizeof threads, "%d", r->n_threads);
    snprintf(ts, sizeof ts, "%.2f ± %.2f", r->mean_ts, r->std_ts);
    snprintf(fa, sizeof fa, "%d", bi->fa); /* llama_flash_attn_type as a number */
    const char *cells[N_MD_COLS] = {bi->model, size,  params, bi->kernels, bi->variant,
                                    threads,   fa,    test,   ts,          gbs};
    print_md_row(bi, cells);
}

static void json_result(cJSON *arr, const bench_info *bi, const bench_result *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "build_commit", bi->commit);
    cJSON_AddStringToObject(o, "build_variant", bi->variant);
    cJSON_AddStringToObject(o, "hone_version", hone_version());
    cJSON_AddStringToObject(o, "cpu_info", bi->cpu);
    cJSON_AddStringToObject(o, "kernels", bi->kernels);
    cJSON_AddStringToObject(o, "model_filename", bi->path);
    cJSON_AddStringToObject(o, "model_type", bi->model);
    cJSON_AddNumberToObject(o, "model_size", bi->size_mib * 1024 * 1024);
    cJSON_AddNumberToObject(o, "model_n_params", bi->params_m * 1e6);
    cJSON_AddNumberToObject(o, "n_batch", bi->n_batch);
    cJSON_AddNumberToObject(o, "n_ubatch", bi->n_ubatch);
    cJSON_AddNumberToObject(o, "n_threads", r->n_threads);
    cJSON_AddStringToObject(o, "type_k", bi->type_k);
    cJSON_AddNumberToObject(o, "flash_attn", bi->fa);
    cJSON_AddNumberToObject(o, "n_prompt", r->test_kind[0] == 'p' ? r->n_tokens : 0);
    cJSON_AddNumberToObject(o, "n_gen", r->test_kind[0] == 't' ? r->n_tokens : 0);
    cJSON_AddNumberToObject(o, "n_depth", r->n_depth);
    cJSON_AddNumberToObject(o, "avg_ns", r->mean_ns);
    cJSON_AddNumberToObject(o, "stddev_ns", r->std_ns);
    cJSON_AddNumberToObject(o, "avg_ts", r->mean_ts);
    cJSON_AddNumberToObject(o, "stddev_ts", r->std_ts);
    cJSON_AddNumberToObject(o, "bandwidth_gbs", r->gbs);
    cJSON *s = cJSON_CreateArray();
    for (int i = 0; i < r->n_samples; i++)
        cJSON_AddItemToArray(s, cJSON_CreateNumber(r->samples_ts[i]));
    cJSON_AddItemToObject(o, "samples_ts", s);
    cJSON_AddItemToArray(arr, o);
}

static void print_csv(const bench_info *bi, const bench_result *r, bool header)
{
    if (header)
        printf("build_commit,build_variant,cpu_info,kernels,model_filename,model_type,model_size,"
               "model_n_params,n_batch,n_ubatch,n_threads,type_k,flash_attn,n_prompt,n_gen,n_depth,"
               "avg_ns,stddev_ns,"
               "avg_ts,stddev_ts,bandwidth_gbs\n");
    printf("\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",%.0f,%.0f,%d,%d,%d,\"%s\",%d,%d,%d,%d,%.0f,%.0f,"
           "%.6f,%.6f,%.3f\n",
           bi->commit, bi->variant, bi->cpu, bi->kernels, bi->path, bi->model,
           bi->size_mib * 1024 * 1024, bi->params_m * 1e6, bi->n_batch, bi->n_ubatch,
           r->n_threads, bi->type_k, bi->fa, r->test_kind[0] == 'p' ? r->n_tokens : 0,
           r->test_kind[0] == 't' ? r->n_tokens : 0, r->n_depth, r->mean_ns, r->std_ns, r->mean_ts,
           r->std_ts, r->gbs);
}

int cmd_bench(int argc, char **argv)
{
    bench_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc > 0 ? 0 : 1;
    int max_tokens = 1;
    for (int i = 0; i < o.n_prompt.n; i++) max_tokens = o.n_prompt.v[i] > max_tokens ? o.n_prompt.v[i] : max_tokens;
    for (int i = 0; i < o.n_gen.n; i++) max_tokens = o.n_gen.v[i] > max_tokens ? o.n_gen.v[i] : max_tokens;
    int max_depth = 0;
    for (int i = 0; i < o.n_depth.n; i++) max_depth = o.n_depth.v[i] > max_depth ? o.n_depth.v[i] : max_depth;
    max_tokens += max_depth;
    if (o.eng.n_ctx == 0) o.eng.n_ctx = max_tokens;
    else if (o.eng.n_ctx < max_tokens)
        return cli_error(CMD, "-c %d is smaller than the longest test and depth (%d tokens)", o.eng.n_ctx,
                         max_tokens), 1;
    cli_engine e;
    if (cli_engine_open(CMD, &o.eng, &e)) return 1;
    cJSON *arr = cJSON_CreateArray();
    bench_info last = {0};
    bool first = true;
    rc = 0;
    for (int ci = 0; ci < o.threads.n * o.fa.n && !rc; ci++) {
        cli_engine_opts eo = o.eng;
        eo.n_threads = o.threads.v[ci / o.fa.n]; /* each thread count with each -fa */
        eo.flash_attn = o.fa.v[ci % o.fa.n];
        if (cli_engine_context(CMD, &eo, false, 0, &e)) {
            rc = -1;
            break;
        }
        bench_info bi;
        fill_info(&e, &o, &bi);
        bi.fa = eo.flash_attn;
        for (int kind = 0; kind < 2 && !rc; kind++) {
            const int_list *l = kind == 0 ? &o.n_prompt : &o.n_gen;
            for (int j = 0; j < l->n * o.n_depth.n && !rc; j++) {
                const int i = j / o.n_depth.n, di = j % o.n_depth.n; /* each size at each depth */
                if (l->v[i] == 0) continue;
                bench_result r = {0};
                if ((rc = measure(&e, &o, kind == 0, l->v[i], o.n_depth.v[di], &r))) break;
                if (!strcmp(o.format, "md")) {
                    if (first) print_md_header(&bi);
                    print_md(&bi, &r);
                } else if (!strcmp(o.format, "csv")) {
                    print_csv(&bi, &r, first);
                } else {
                    json_result(arr, &bi, &r);
                }
                fflush(stdout);
                first = false;
            }
        }
        last = bi;
        hone_context_free(e.ctx);
        hone_threadpool_free(e.pool);
        e.ctx = NULL;
        e.pool = NULL;
    }
    if (!rc && !first && !strcmp(o.format, "md"))
        printf("\nbuild: %s (hone %s, %s, CPU %s)\n", last.commit, hone_version(), last.variant,
               last.cpu);
    if (!rc && !strcmp(o.format, "json")) {
        char *s = cJSON_Print(arr);
        if (s) puts(s);
        free(s);
    }
    cJSON_Delete(arr);
    cli_engine_close(&e);
    return rc ? 1 : 0;
}
