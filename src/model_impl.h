/* model_impl.h — the layout of a loaded model, for the code that computes
 * with it (model.c, forward.c, engine.c, the matmul scheduler) and white-box
 * tests. Front-ends see hone_model as an opaque handle (model.h).
 *
 * Architectures: llama (Llama 1/2/3, Mistral, TinyLlama, SmolLM), qwen2
 * (q/k/v biases, tied embeddings), qwen3 (per-head RMSNorm of q and k,
 * head_dim from the metadata), phi3 (fused qkv, fused gate+up; Phi-3.5
 * LongRoPE factors). Their differences are data in hone_hparams /
 * hone_layer / hone_model, read by forward.c.
 */
#ifndef HONE_MODEL_IMPL_H
#define HONE_MODEL_IMPL_H

#include "model.h"

typedef enum {
    HONE_ARCH_LLAMA,
    HONE_ARCH_QWEN2,
    HONE_ARCH_QWEN3,
    HONE_ARCH_PHI3,
} hone_arch;

typedef enum {
    HONE_ROPE_NORM, /* rotate adjacent pairs (x[2i], x[2i+1]): llama */
    HONE_ROPE_NEOX, /* rotate halves (x[i], x[i + n_rot/2]): qwen2, qwen3, phi3 */
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
    bool repacked;    /* in the layout of the model's repack set, not rows
                         (hone_model_opts.repack): matmul gets HONE_WTYPE_R16 */
} hone_weight;

typedef struct {
    hone_weight attn_norm;               /* [n_embd] F32 */
    hone_weight wq, wk, wv;              /* separate projections, or ... */
    hone_weight wqkv;                    /* ... one fused [q;k;v] (phi3) */
    hone_weight bq, bk, bv, bqkv;        /* optional F32 biases (qwen2) */
    hone_weight attn_q_norm, attn_k_norm; /* optional [head_dim] F32: RMSNorm
                                            of each head of q / k before
                                            RoPE, shared by all heads (qwen3) */
    hone_weight wo, bo;
    hone_weight ffn_norm;
    hone_weight ffn_gate, ffn_up;        /* ffn_gate absent: ffn_up is the
                                            fused [gate; up] (phi3) */
    hone_weight ffn_down;
    hone_weight ffn_gate_b, ffn_up_b, ffn_down_b; /* optional biases */
} hone_layer;

typedef struct {
    hone_arch arch;
    const char *arch_name;   /* "llama", "qwen2", "qwen3", "phi3" */
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
    /* rope.scaling.attn_factor: cos and sin are multiplied by it (so q·k
     * by its square), as ggml's rope does with its mscale; 1 when absent */
    float rope_attn_factor;
    /* rope.scaling.original_context_length (default: n_ctx_train): a
     * context per sequence longer than this uses the long LongRoPE factors */
    int n_ctx_orig;
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
    /* Optional per-pair divisors of the rotary frequencies, [n_rot/2] F32.
     * rope_freqs (llama3) applies always; otherwise LongRoPE (Phi-3.5):
     * rope_short while the context is at most n_ctx_orig, rope_long above
     * (hone_model_rope_factors picks one per context). */
    const float *rope_freqs;
    const float *rope_long, *rope_short;
    hone_layer *layers;      /* n_layer entries */
    const hone_kernels *repack_set; /* the set that repacked matrices, or NULL */
    /* aligned copies of the tensors the file leaves misaligned for their
     * type (model.c tensor_data); usually none */
    struct hone_tensor_copy {
        const hone_gguf_tensor *src;
        void *data;
    } *copies;
    size_t n_copies;
};

#endif
