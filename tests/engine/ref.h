/* ref.h — llama.cpp reference outputs for the models in $HONE_SHARED
 * (see /work/shared/README.md): M.json + M.logits.f32. */
#ifndef HONE_TEST_REF_H
#define HONE_TEST_REF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char model_path[1024];
    int n_vocab;
    int n_positions;
    int32_t *prompt;      /* prompt_tokens (with BOS) */
    int n_prompt;
    int32_t *greedy;      /* greedy_tokens */
    int n_greedy;
    float *top1_gap;      /* [n_positions] */
    float *logits;        /* [n_positions][n_vocab] */
    double ppl, ppl_stderr;
    int ppl_ctx, ppl_batch;
    char ppl_text[1024];  /* path of the perplexity text */
} hone_ref;

/* $HONE_SHARED, or the build's default; never NULL. */
const char *ref_shared_dir(void);
/* Load the reference of model file `model` (a path ending in NAME.gguf):
 * reads reference/NAME.json and its logits. Returns 0 on success, -1 when
 * there is no reference, -2 on a malformed one (message on stderr). */
int ref_load(const char *model, hone_ref *r);
void ref_free(hone_ref *r);
/* The sorted list of models in $HONE_SHARED/models that have a reference
 * (malloc'ed paths; free with ref_list_free). */
char **ref_list_models(int *n);
void ref_list_free(char **list, int n);
/* The models named on the command line, else ref_list_models(). */
char **ref_models_from_args(int argc, char **argv, int *n);
/* Whole file, NUL-terminated, malloc'ed (NULL if unreadable). */
char *ref_read_file(const char *path, size_t *len);
/* KL(softmax(p) || softmax(q)) over n values, in nats. */
double ref_kl(const float *p, const float *q, int n);
int ref_argmax(const float *x, int n);

#endif
