/* cmd_perplexity.c — `hone perplexity`: llama-perplexity's method and
 * output (see src/perplexity.h), so the numbers are comparable.
 * The running estimate per chunk and the final line go to stdout, progress
 * and timings to stderr. */
#include "cli_args.h"
#include "commands.h"

#include "hone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "perplexity"
/* llama-perplexity's -c default: its numbers are comparable only at the
 * same chunk size, whatever the model's context */
#define PPL_DEFAULT_CTX 512

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hone perplexity -m MODEL -f TEXTFILE [options]\n\n"
            "Perplexity of the model on a text, computed as llama.cpp's llama-perplexity\n"
            "does: chunks of -c tokens, each starting with BOS, the second half scored.\n\n"
            "options:\n"
            "%s"
            "  -f, --file FILE         the text (at least 2 x ctx-size tokens; at most %d MiB)\n"
            "  --chunks N              score at most N chunks (default: all)\n"
            "  -h, --help              this help\n\n"
            "-c defaults to %d here, as in llama-perplexity (not the model's context).\n",
            CLI_ENGINE_HELP, (int)(CLI_MAX_TEXT_PPL >> 20), PPL_DEFAULT_CTX);
}

typedef struct {
    double t0;
    bool quiet; /* --log-disable */
} progress_state;

static void progress(void *ud, int chunk, int n_chunk, double ppl)
{
    progress_state *p = ud;
    if (chunk == 1 && !p->quiet) {
        double s = (cli_now_ms() - p->t0) / 1e3;
        fprintf(stderr, "hone perplexity: %.2f seconds per pass - ETA %.2f minutes\n", s,
                s * n_chunk / 60.0);
    }
    printf("[%d]%.4f,", chunk, ppl);
    fflush(stdout);
}

int cmd_perplexity(int argc, char **argv)
{
    cli_engine_opts eo;
    cli_engine_defaults(&eo);
    const char *file = NULL;
    int n_chunks = -1;
    for (int i = 1; i < argc; i++) {
        int rc = cli_engine_opt(CMD, argc, argv, &i, &eo);
        if (rc < 0) return 1;
        if (rc > 0) continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--file")) {
            if (!(file = cli_value(CMD, argc, argv, &i))) return 1;
        } else if (!strcmp(argv[i], "--chunks")) {
            if (cli_int_arg(CMD, argc, argv, &i, 1, 1 << 30, &n_chunks)) return 1;
        } else {
            cli_error(CMD, "unknown option '%s' (try hone perplexity --help)", argv[i]);
            return 1;
        }
    }
    if (!eo.model) return cli_error(CMD, "no model given (-m FILE)"), 1;
    if (!file) return cli_error(CMD, "no text given (-f FILE)"), 1;
    if (eo.n_ctx == 0) eo.n_ctx = PPL_DEFAULT_CTX;
    if (eo.n_ctx < HONE_PPL_MIN_CTX)
        return cli_error(CMD, "-c %d scores no token: perplexity scores the second half of "
                              "each chunk but its last token, so it needs -c %d or more",
                         eo.n_ctx, HONE_PPL_MIN_CTX), 1;

    char *text = NULL;
    size_t len = 0;
    if (cli_read_file(CMD, file, CLI_MAX_TEXT_PPL, &text, &len)) return 1;
    if (len > 0 && text[len - 1] == '\n') text[--len] = '\0'; /* as llama.cpp's -f */
    cli_engine e;
    if (cli_engine_open(CMD, &eo, &e)) {
        free(text);
        return 1;
    }
    int rc = 1;
    int32_t *ids = NULL;
    size_t n = 0;
    hone_error err = {0};
    double t_tok = cli_now_ms();
    if (hone_tok_encode(e.tok, text, len, true, false, &ids, &n, &err)) {
        cli_error(CMD, "tokenizing %s: %s", file, err.msg);
        goto out;
    }
    t_tok = cli_now_ms() - t_tok;
    /* checked before the context (and its KV cache) is made */
    cli_warn_ctx_train(CMD, e.model, eo.n_ctx, 1);
    if (n < 2 * (size_t)eo.n_ctx) {
        if (n / 2 >= HONE_PPL_MIN_CTX)
            cli_error(CMD, "%s is %zu tokens; perplexity with a context of %d (-c) needs at "
                           "least %d: -c %zu or less would fit",
                      file, n, eo.n_ctx, 2 * eo.n_ctx, n / 2);
        else
            cli_error(CMD, "%s is %zu token%s; perplexity needs at least %d (two chunks of -c %d)",
                      file, n, CLI_PLURAL(n), 2 * HONE_PPL_MIN_CTX, HONE_PPL_MIN_CTX);
        goto out;
    }
    if (cli_engine_context(CMD, &eo, true, 0, &e)) goto out;
    const int n_ctx = hone_n_ctx(e.ctx);
    if (!eo.quiet) fprintf(stderr, "hone perplexity: tokenized %zu tokens in %.1f ms\n", n, t_tok);
    if (!eo.quiet) fprintf(stderr,
            "hone perplexity: calculating perplexity over %zu chunks, n_ctx=%d, batch_size=%d, %d threads, kernels %s\n",
            n_chunks > 0 && (size_t)n_chunks < n / (size_t)n_ctx ? (size_t)n_chunks
                                                                 : n / (size_t)n_ctx,
            n_ctx, hone_n_batch(e.ctx), hone_n_threads(e.ctx), hone_context_kernels(e.ctx)->name);
    progress_state ps = {.t0 = cli_now_ms(), .quiet = eo.quiet};
    hone_ppl_result res;
    int32_t bos = hone_tok_add_bos(e.tok) ? hone_tok_bos(e.tok) : -1;
    if (hone_perplexity(e.ctx, ids, n, bos, n_chunks, progress, &ps, &res, &err)) {
        cli_error(CMD, "%s", err.msg);
        goto out;
    }
    double ms = cli_now_ms() - ps.t0;
    printf("\nFinal estimate: PPL = %.4f +/- %.5f\n", res.ppl, res.ppl_stderr);
    if (!eo.quiet) fprintf(stderr, "hone perplexity: %d tokens scored in %.2f s (%.2f tokens per second evaluated)\n",
            res.count, ms / 1e3, ms > 0 ? 1e3 * res.n_chunk * n_ctx / ms : 0.0);
    rc = 0;
out:
    free(ids);
    free(text);
    cli_engine_close(&e);
    return rc;
}
