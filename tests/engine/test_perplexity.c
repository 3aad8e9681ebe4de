/* test_perplexity.c — hone's perplexity on the reference text within 0.5 %
 * of llama-perplexity's, with the reference's -c and -b, for every reference
 * in $HONE_SHARED/reference (or those given as arguments: ref.h). */
#include "perplexity.h"
#include "ref.h"
#include "tokenizer.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define REL_TOL 0.005

static void test_ppl(void **state)
{
    hone_ref r;
    assert_int_equal(ref_load(*state, &r), 0);
    if (r.ppl <= 0) skip();
    size_t len = 0;
    char *text = ref_read_file(r.ppl_text, &len);
    assert_non_null(text);
    if (len > 0 && text[len - 1] == '\n') text[--len] = '\0'; /* llama.cpp's -f drops it */

    hone_error err = {0};
    hone_model *m = NULL;
    if (hone_model_load(r.model_path, NULL, &m, &err)) fail_msg("load: %s", err.msg);
    hone_tokenizer *tok = NULL;
    if (hone_tok_load(hone_model_gguf(m), &tok, &err)) fail_msg("tokenizer: %s", err.msg);
    int32_t *ids = NULL;
    size_t n = 0;
    if (hone_tok_encode(tok, text, len, true, false, &ids, &n, &err)) fail_msg("encode: %s", err.msg);

    hone_context_params cp = hone_context_default_params();
    cp.n_ctx = r.ppl_ctx;
    cp.n_batch = r.ppl_batch;
    cp.n_threads = 2;
    cp.logits_all = true;
    cp.flash_attn = false; /* llama-perplexity ran with -fa off */
    hone_context *ctx = NULL;
    if (hone_context_create(m, &cp, &ctx, &err)) fail_msg("context: %s", err.msg);
    hone_ppl_result res;
    int32_t bos = hone_tok_add_bos(tok) ? hone_tok_bos(tok) : -1;
    if (hone_perplexity(ctx, ids, n, bos, -1, NULL, NULL, &res, &err))
        fail_msg("perplexity: %s", err.msg);
    double rel = fabs(res.ppl - r.ppl) / r.ppl;
    printf("%s: PPL %.4f +/- %.5f over %d chunks, llama.cpp %.4f +/- %.5f (%.3f %%)\n",
           r.name, res.ppl, res.ppl_stderr, res.n_chunk, r.ppl, r.ppl_stderr,
           100 * rel);
    assert_true(rel <= REL_TOL);

    /* a text shorter than two chunks is refused, not mis-scored */
    assert_int_equal(hone_perplexity(ctx, ids, (size_t)(2 * r.ppl_ctx - 1), bos, -1, NULL,
                                     NULL, &res, &err),
                     HONE_ERR_ARG);

    hone_context_free(ctx);
    free(ids);
    hone_tok_free(tok);
    hone_model_free(m);
    free(text);
    ref_free(&r);
}

int main(int argc, char **argv)
{
    int n = 0;
    char **models = ref_from_args(argc, argv, &n);
    if (n == 0) {
        fprintf(stderr, "no models with a reference under %s\n", ref_shared_dir());
        return 1;
    }
    struct CMUnitTest *tests = calloc((size_t)n, sizeof *tests);
    for (int i = 0; i < n; i++)
        tests[i] = (struct CMUnitTest){.name = strrchr(models[i], '/') + 1,
                                       .test_func = test_ppl, .initial_state = models[i]};
    int rc = _cmocka_run_group_tests("engine_perplexity", tests, (size_t)n, NULL, NULL);
    free(tests);
    ref_list_free(models, n);
    return rc;
}
