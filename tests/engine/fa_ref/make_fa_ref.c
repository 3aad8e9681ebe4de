/* make_fa_ref.c — llama.cpp's logits with flash attention on (its CPU
 * default), for hone's test engine_fa_logits. Not built by CMake: llama.cpp
 * is not available in CI; the outputs are committed beside this file.
 *
 *   L=~/.cache/hone-ref/llama.cpp
 *   gcc -O2 -o /tmp/make_fa_ref make_fa_ref.c -I$L/include -I$L/ggml/include \
 *       -L$L/build/bin -lllama -Wl,-rpath,$L/build/bin
 *   /tmp/make_fa_ref MODEL.gguf NAME N_CTX N_THREADS N_GREEDY "PROMPT" > NAME.json
 *
 * As the shared references (../shared/README.md) but with flash attention:
 * the prompt (with BOS) evaluated as one batch, then greedy decoding one
 * token at a time, F16 KV cache, n_ctx as given, N_THREADS threads (the
 * split-KV path past 256 cached positions depends on it). Writes NAME.json
 * (stdout) and NAME.logits.f32: the logits after the last prompt token and
 * after each greedy token fed, N_GREEDY rows of n_vocab floats (the rows
 * "rows" of the JSON: positions in prompt ++ greedy), and each row's top-1
 * margin.
 */
#include "llama.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quiet(enum ggml_log_level level, const char *text, void *ud)
{
    (void)level, (void)text, (void)ud;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s MODEL NAME N_CTX N_THREADS N_GREEDY PROMPT\n", argv[0]);
        return 2;
    }
    const char *name = argv[2], *prompt = argv[6];
    const int n_ctx = atoi(argv[3]), n_threads = atoi(argv[4]), n_greedy = atoi(argv[5]);
    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) return 1;
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)n_ctx;
    cp.n_threads = cp.n_threads_batch = n_threads;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_ENABLED;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) return 1;
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);
    llama_token toks[4096];
    const int n_prompt = llama_tokenize(vocab, prompt, (int)strlen(prompt), toks, 4096, true, false);
    if (n_prompt <= 0 || n_prompt + n_greedy > 4096) return 1;
    char path[4096];
    snprintf(path, sizeof path, "%s.logits.f32", name);
    FILE *bin = fopen(path, "wb");
    if (!bin) return 1;
    float *gap = calloc((size_t)n_greedy, sizeof *gap);
    int n = n_prompt;
    for (int g = 0; g < n_greedy; g++) {
        struct llama_batch b = g == 0 ? llama_batch_get_one(toks, n_prompt)
                                      : llama_batch_get_one(toks + n - 1, 1);
        if (llama_decode(ctx, b)) return 1;
        const float *l = llama_get_logits_ith(ctx, -1);
        fwrite(l, sizeof *l, (size_t)n_vocab, bin);
        int best = 0, second = -1;
        for (int v = 1; v < n_vocab; v++) {
            if (l[v] > l[best]) second = best, best = v;
            else if (second < 0 || l[v] > l[second]) second = v;
        }
        gap[g] = l[best] - l[second];
        toks[n++] = best;
    }
    fclose(bin);
    printf("{\n  \"model\": \"%s\",\n  \"llama_cpp\": \"de3ff81, CPU, -fa on, F16 KV cache\",\n"
           "  \"n_ctx\": %d,\n  \"n_threads\": %d,\n  \"n_vocab\": %d,\n  \"prompt\": \"",
           strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1], n_ctx, n_threads, n_vocab);
    for (const char *c = prompt; *c; c++) {
        if (*c == '"' || *c == '\\') putchar('\\');
        putchar(*c);
    }
    printf("\",\n  \"prompt_tokens\": [");
    for (int i = 0; i < n_prompt; i++) printf("%s%d", i ? ", " : "", toks[i]);
    printf("],\n  \"greedy_tokens\": [");
    for (int i = n_prompt; i < n; i++) printf("%s%d", i > n_prompt ? ", " : "", toks[i]);
    printf("],\n  \"rows\": [");
    for (int g = 0; g < n_greedy; g++) printf("%s%d", g ? ", " : "", n_prompt - 1 + g);
    printf("],\n  \"top1_gap\": [");
    for (int g = 0; g < n_greedy; g++) printf("%s%.6f", g ? ", " : "", (double)gap[g]);
    printf("]\n}\n");
    free(gap);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
