/* model_impl.h — the layout of a loaded model, for the code that computes
 * with it (model.c, forward.c, engine.c, the matmul scheduler) and white-box
 * tests. Front-ends see hone_model as an opaque handle (model.h).
 *
 * Architectures: llama (Llama 1/2/3, Mistral, TinyLlama, SmolLM), qwen2
 * (q/k/v biases, tied embeddings), phi3 (fused qkv, fused gate+up). Their
 * differences are data in hone_hparams / hone_layer, read by forward.c.
 */
#ifndef HONE_MODEL_IMPL_H
#define HONE_MODEL_IMPL_H

#include "model.h"

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

struct hone_model {
    hone_gguf_file *gguf;
    hone_hparams hp;
    hone_weight tok_embd;    /* [n_vocab rows][n_embd] */
    hone_weight output_norm;
    hone_weight output;      /* == tok_embd when tied */
    hone_weight output_b;    /* optional */
    const float *rope_freqs; /* optional per-pair divisors [n_rot/2] (llama3) */
    hone_layer *layers;      /* n_layer entries */
    /* aligned copies of the tensors the file leaves misaligned for their
     * type (model.c tensor_data); usually none */
    struct hone_tensor_copy {
        const hone_gguf_tensor *src;
        void *data;
    } *copies;
    size_t n_copies;
};

#endif
