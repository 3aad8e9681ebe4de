/* ref.h — llama.cpp reference outputs for the models in $HONE_SHARED
 * (see ../shared/README.md): reference/M.json + its logits, or, for models
 * whose reference depends on the context size (LongRoPE), one per context,
 * reference/M.ctxN.json (N = its n_ctx field). A reference is named by its
 * JSON file; its `model` field names the model file. */
#ifndef HONE_TEST_REF_H
#define HONE_TEST_REF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char name[1400];      /* the JSON's name without .json: "M" or "M.ctxN" */
    char model_path[1024];
    int n_ctx;            /* the context llama.cpp ran with (n_ctx; 512) */
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
/* Load a reference: `spec` is its JSON file (a path ending in .json), or
 * a model file NAME.gguf, meaning reference/NAME.json. Reads the JSON and
 * its logits. Returns 0 on success, -1 when there is no reference, -2 on a
 * malformed one (message on stderr). */
int ref_load(const char *spec, hone_ref *r);
void ref_free(hone_ref *r);
/* The sorted list of reference JSON paths in $HONE_SHARED/reference whose
 * model is in $HONE_SHARED/models (malloc'ed; free with ref_list_free). */
char **ref_list(int *n);
void ref_list_free(char **list, int n);
/* The references named on the command line (JSON paths; a model path
 * stands for every reference of that model: M.json and M.ctxN.json), else
 * ref_list(). */
char **ref_from_args(int argc, char **argv, int *n);
/* Whole file, NUL-terminated, malloc'ed (NULL if unreadable). */
char *ref_read_file(const char *path, size_t *len);
/* KL(softmax(p) || softmax(q)) over n values, in nats. */
double ref_kl(const float *p, const float *q, int n);
int ref_argmax(const float *x, int n);

#endif
