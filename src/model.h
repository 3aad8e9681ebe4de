/* model.h — a GGUF file seen as a transformer: hyper-parameters from the
 * metadata and views of the weight tensors (pointers into the mapping; no
 * weight is copied or dequantized at load). An opaque handle here; its
 * layout, for the code that computes with it, is in model_impl.h.
 *
 * Everything is checked at load: a missing key, a head count that does not
 * divide, a tensor of the wrong shape is an error naming the key or tensor.
 */
#ifndef HONE_MODEL_H
#define HONE_MODEL_H

#include "gguf.h"
#include "status.h"
#include "kernels.h"

typedef struct hone_model hone_model; /* layout: model_impl.h */

typedef struct {
    bool no_mmap;
    bool mlock;
    bool populate; /* map every page at load (hone_gguf_open_opts) */
    int read_threads; /* no_mmap: threads reading the file (0 or 1: one) */
    /* no_mmap: lay the matrices out the way this kernel set's matmul reads
     * fastest (its repack; NULL or a set without one: rows as stored).
     * Contexts on the model must then use this set
     * (hone_model_check_kernels says so). */
    const hone_kernels *repack;
} hone_model_opts;

/* Open path, read the hyper-parameters and map every tensor. opts may be
 * NULL. The model keeps the file open until hone_model_free. */
hone_status hone_model_load(const char *path, const hone_model_opts *opts,
                            hone_model **out, hone_error *err);
/* Same, on an already opened GGUF (the model takes ownership of f, also on
 * failure). */
hone_status hone_model_from_gguf(hone_gguf_file *f, hone_model **out, hone_error *err);
void hone_model_free(hone_model *m);

/* How many matrices are in a kernel set's own layout (hone_model_opts
 * .repack), and that set's name in *set (NULL when none are). */
int hone_model_n_repacked(const hone_model *m, const char **set);

/* HONE_ERR_UNSUPPORTED listing every tensor type of the model that the
 * kernel table k cannot compute (e.g. "q5_0 (14 tensors), iq2_xs (2)"). */
hone_status hone_model_check_kernels(const hone_model *m, const hone_kernels *k,
                                     hone_error *err);

/* The architecture features the model uses, for people: a list separated
 * by ", " into buf (always NUL-terminated, truncated to cap), e.g. "GQA
 * 8/2, head_dim 64 (not 256/8), QK-norm, tied embeddings, RoPE neox".
 * Returns the length it needed (as snprintf). */
size_t hone_model_features(const hone_model *m, char *buf, size_t cap);

/* Bytes of weights the forward pass reads for one token (for bandwidth). */
uint64_t hone_model_weight_bytes(const hone_model *m);

/* What a front-end asks of a loaded model. */
const hone_gguf_file *hone_model_gguf(const hone_model *m);
const char *hone_model_arch_name(const hone_model *m); /* "llama", "qwen2", "qwen3", "phi3" */
int hone_model_n_vocab(const hone_model *m);
int hone_model_n_ctx_train(const hone_model *m);
/* The context a front-end uses when the user sets none: the trained one,
 * capped at HONE_DEFAULT_CTX_CAP positions (llama.cpp's -c 0 takes the
 * trained context, which for recent models is far more than a CPU needs). */
#define HONE_DEFAULT_CTX_CAP 4096
int hone_model_default_n_ctx(const hone_model *m);
/* The per-pair RoPE frequency divisors ([n_rot/2]) a context of n_ctx_seq
 * positions per sequence uses, or NULL for none: rope_freqs if present,
 * else LongRoPE's short factors while n_ctx_seq, padded to a multiple of
 * 256 as llama.cpp pads it, is at most the original context, and the long
 * ones above it. Chosen once per context from its size, never per
 * position (as llama.cpp's get_rope_factors). With several sequences
 * hone passes n_ctx / n_seq; llama.cpp (non-unified cache) pads n_ctx to
 * 256 before dividing, which can differ for n_seq > 1. */
const float *hone_model_rope_factors(const hone_model *m, int n_ctx_seq);

#endif
