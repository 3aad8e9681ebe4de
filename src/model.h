/* model.h — a GGUF file seen as a transformer: hyper-parameters from the
 * metadata and views of the weight tensors (pointers into the mapping; no
 * weight is copied or dequantized at load).
 *
 * Architectures: llama (Llama 1/2/3, Mistral, TinyLlama, SmolLM), qwen2
 * (q/k/v biases, tied embeddings), phi3 (fused qkv, fused gate+up). Their
 * differences are data in hone_hparams / hone_layer, read by forward.c.
 *
 * Everything is checked at load: a missing key, a head count that does not
 * divide, a tensor of the wrong shape is an error naming the key or tensor.
 */
#ifndef HONE_MODEL_H
#define HONE_MODEL_H

#include "gguf.h"
#include "status.h"
#include "kernels.h"

typedef enum {
    HONE_ARCH_LLAMA,
    HONE_ARCH_QWEN2,
    HONE_ARCH_PHI3,
} hone_arch;

typedef enum {
    HONE_ROPE_NORM, /* rotate adjacent pairs (x[2i], x[2i+1]): llama */
    HONE_ROPE_NEOX, /* rotate halves (x[i], x[i + n_rot/2]): qwen2, phi3 */
} hone_rope_type;

/* A weight matrix of `rows` rows of `cols` elements (GGUF ne[0] = cols,
 * ne[1] = rows), stored in the file. data == NULL: tensor absent. */
typedef struct {
    const char *name;
    const void *data;
    uint32_t type;    /* hone_type */
    int64_t cols;
    int64_t rows;
    size_t row_bytes;
} hone_weight;

typedef struct {
    hone_weight attn_norm;               /* [n_embd] F32 */
    hone_weight wq, wk, wv;              /* separate projections, or ... */
    hone_weight wqkv;                    /* ... one fused [q;k;v] (phi3) */
    hone_weight bq, bk, bv, bqkv;        /* optional F32 biases (qwen2) */
    hone_weight wo, bo;
    hone_weight ffn_norm;
    hone_weight ffn_gate, ffn_up;        /* ffn_gate absent: ffn_up is the
                                            fused [gate; up] (phi3) */
    hone_weight ffn_down;
    hone_weight ffn_gate_b, ffn_up_b, ffn_down_b; /* optional biases */
} hone_layer;

typedef struct {
    hone_arch arch;
    const char *arch_name;   /* "llama", "qwen2", "phi3" */
    int n_vocab;
    int n_embd;
    int n_layer;
    int n_head;
    int n_head_kv;
    int head_dim;            /* per-head size of q, k and v */
    int n_ff;
    int n_ctx_train;
    int n_rot;               /* leading dims of each head that get RoPE */
    float norm_eps;
    float rope_freq_base;
    float rope_freq_scale;   /* 1 / linear scaling factor */
    hone_rope_type rope_type;
    /* phi3 multiplies Q by 1/sqrt(head_dim) before Q·K; the others scale
     * the scores. Same maths, different F16 rounding of Q: mirrored. */
    bool scale_q_before_attn;
    bool tied_output;        /* output projection = token embedding */
} hone_hparams;

typedef struct hone_model {
    hone_gguf_file *gguf;
    hone_hparams hp;
    hone_weight tok_embd;    /* [n_vocab rows][n_embd] */
    hone_weight output_norm;
    hone_weight output;      /* == tok_embd when tied */
    hone_weight output_b;    /* optional */
    const float *rope_freqs; /* optional per-pair divisors [n_rot/2] (llama3) */
    hone_layer *layers;      /* n_layer entries */
} hone_model;

typedef struct {
    bool no_mmap;
    bool mlock;
} hone_model_opts;

/* Open path, read the hyper-parameters and map every tensor. opts may be
 * NULL. The model keeps the file open until hone_model_free. */
hone_status hone_model_load(const char *path, const hone_model_opts *opts,
                            hone_model **out, hone_error *err);
/* Same, on an already opened GGUF (the model takes ownership of f, also on
 * failure). */
hone_status hone_model_from_gguf(hone_gguf_file *f, hone_model **out, hone_error *err);
void hone_model_free(hone_model *m);

/* HONE_ERR_UNSUPPORTED listing every tensor type of the model that the
 * kernel table k cannot compute (e.g. "q5_0 (14 tensors), iq2_xs (2)"). */
hone_status hone_model_check_kernels(const hone_model *m, const hone_kernels *k,
                                     hone_error *err);

/* Bytes of weights the forward pass reads for one token (for bandwidth). */
uint64_t hone_model_weight_bytes(const hone_model *m);

#endif
