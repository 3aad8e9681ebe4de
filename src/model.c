/* model.c — hyper-parameters and weight views per architecture (model.h).
 *
 * Key and tensor names follow llama.cpp (src/llama-arch.cpp); the tensors
 * each architecture needs follow its loader (src/models/{llama,qwen2,qwen3,phi3}).
 */
#include "model_impl.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper bounds that keep every size computation far from overflow while
 * admitting any real model. */
#define MAX_DIM (1 << 20)
#define MAX_LAYERS 4096
#define MAX_VOCAB (1 << 24)

static const struct {
    const char *name;
    hone_arch arch;
    hone_rope_type rope;        /* as llama.cpp's llama_model_rope_type */
    bool scale_q_before_attn;
} ARCHS[] = {
    {"llama", HONE_ARCH_LLAMA, HONE_ROPE_NORM, false},
    {"qwen2", HONE_ARCH_QWEN2, HONE_ROPE_NEOX, false},
    {"qwen3", HONE_ARCH_QWEN3, HONE_ROPE_NEOX, false},
    {"phi3", HONE_ARCH_PHI3, HONE_ROPE_NEOX, true},
};
#define N_ARCHS (sizeof ARCHS / sizeof ARCHS[0])

/* ---------------------------------------------------------------- metadata */

/* "{arch}.suffix" into buf. */
static const char *akey(char *buf, size_t n, const char *arch, const char *suffix)
{
    snprintf(buf, n, "%s.%s", arch, suffix);
    return buf;
}

/* Required positive integer key, at most max. */
static hone_status get_dim(const hone_gguf_file *f, const char *arch, const char *suffix,
                           int max, int *out, hone_error *err)
{
    char key[160];
    akey(key, sizeof key, arch, suffix);
    const hone_gguf_kv *kv = hone_gguf_find(f, key);
    if (kv && kv->type == HONE_GGUF_TYPE_ARRAY)
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "metadata key '%s' is a per-layer array; hone needs one value",
                         key);
    uint32_t v;
    hone_status st = hone_gguf_get_u32(f, key, &v, err);
    if (st) return st;
    if (v == 0 || v > (uint32_t)max)
        return hone_fail(err, HONE_ERR_FORMAT, "metadata key '%s' = %u is out of range 1..%d",
                         key, v, max);
    *out = (int)v;
    return HONE_OK;
}

/* Optional positive integer key: *out unchanged when absent. */
static hone_status get_dim_opt(const hone_gguf_file *f, const char *arch, const char *suffix,
                               int max, int *out, hone_error *err)
{
    char key[160];
    if (!hone_gguf_find(f, akey(key, sizeof key, arch, suffix))) return HONE_OK;
    return get_dim(f, arch, suffix, max, out, err);
}

static hone_status get_f32_opt(const hone_gguf_file *f, const char *arch, const char *suffix,
                               float *out, hone_error *err)
{
    char key[160];
    akey(key, sizeof key, arch, suffix);
    if (!hone_gguf_find(f, key)) return HONE_OK;
    return hone_gguf_get_f32(f, key, out, err);
}

static hone_status load_rope_scaling(const hone_gguf_file *f, const char *arch,
                                     hone_hparams *hp, hone_error *err)
{
    char key[160];
    akey(key, sizeof key, arch, "rope.scaling.type");
    if (hone_gguf_find(f, key)) {
        hone_gguf_str s;
        hone_status st = hone_gguf_get_str(f, key, &s, err);
        if (st) return st;
        /* 'longrope' is linear scaling plus the factor tensors (llama.cpp
         * treats it so: no YaRN extrapolation) */
        char e[64];
        if (!hone_gguf_str_eq(s, "none") && !hone_gguf_str_eq(s, "linear") &&
            !hone_gguf_str_eq(s, "longrope"))
            return hone_fail(err, HONE_ERR_UNSUPPORTED,
                             "metadata key '%s': RoPE scaling '%s' is not supported (hone supports none, linear, longrope)",
                             key, hone_escape(s.ptr, (size_t)s.len, e, sizeof e));
        if (hone_gguf_str_eq(s, "none")) return HONE_OK;
    }
    float factor = 0.0f;
    hone_status st = get_f32_opt(f, arch, "rope.scaling.factor", &factor, err);
    if (!st && factor == 0.0f) st = get_f32_opt(f, arch, "rope.scale_linear", &factor, err);
    if (st) return st;
    if (factor < 0.0f || factor != factor || factor > 1e6f)
        return hone_fail(err, HONE_ERR_FORMAT, "metadata: RoPE scaling factor %g is invalid",
                         (double)factor);
    hp->rope_freq_scale = factor == 0.0f ? 1.0f : 1.0f / factor;
    return HONE_OK;
}

static hone_status load_hparams(const hone_gguf_file *f, hone_hparams *hp, hone_error *err)
{
    hone_gguf_str as;
    hone_status st = hone_gguf_get_str(f, "general.architecture", &as, err);
    if (st) return st;
    size_t ai = 0;
    while (ai < N_ARCHS && !hone_gguf_str_eq(as, ARCHS[ai].name)) ai++;
    if (ai == N_ARCHS) {
        char e[96]; /* the whole name, NULs included: escaped */
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "architecture '%s' is not supported (hone runs llama, qwen2, qwen3, phi3)",
                         hone_escape(as.ptr, (size_t)as.len, e, sizeof e));
    }
    const char *arch = ARCHS[ai].name;
    hp->arch = ARCHS[ai].arch;
    hp->arch_name = arch;
    hp->rope_type = ARCHS[ai].rope;
    hp->scale_q_before_attn = ARCHS[ai].scale_q_before_attn;

    if ((st = get_dim(f, arch, "embedding_length", MAX_DIM, &hp->n_embd, err)) ||
        (st = get_dim(f, arch, "block_count", MAX_LAYERS, &hp->n_layer, err)) ||
        (st = get_dim(f, arch, "feed_forward_length", MAX_DIM, &hp->n_ff, err)) ||
        (st = get_dim(f, arch, "attention.head_count", MAX_DIM, &hp->n_head, err)))
        return st;
    hp->n_head_kv = hp->n_head;
    hp->n_ctx_train = 2048;
    if ((st = get_dim_opt(f, arch, "attention.head_count_kv", MAX_DIM, &hp->n_head_kv, err)) ||
        (st = get_dim_opt(f, arch, "context_length", 1 << 30, &hp->n_ctx_train, err)))
        return st;
    char key[160];
    if ((st = hone_gguf_get_f32(f, akey(key, sizeof key, arch, "attention.layer_norm_rms_epsilon"),
                           &hp->norm_eps, err)))
        return st;
    if (!(hp->norm_eps >= 0.0f && hp->norm_eps < 1.0f))
        return hone_fail(err, HONE_ERR_FORMAT, "metadata key '%s' = %g is out of range", key,
                         (double)hp->norm_eps);

    if (hp->n_head % hp->n_head_kv != 0)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "%s.attention.head_count %d is not a multiple of %s.attention.head_count_kv %d",
                         arch, hp->n_head, arch, hp->n_head_kv);
    hp->head_dim = hp->n_embd / hp->n_head;
    if (hp->n_embd % hp->n_head != 0 && !hone_gguf_find(f, akey(key, sizeof key, arch, "attention.key_length")))
        return hone_fail(err, HONE_ERR_FORMAT,
                         "%s.embedding_length %d is not a multiple of %s.attention.head_count %d",
                         arch, hp->n_embd, arch, hp->n_head);
    int kl = hp->head_dim, vl = -1;
    if ((st = get_dim_opt(f, arch, "attention.key_length", MAX_DIM, &kl, err))) return st;
    vl = kl;
    if ((st = get_dim_opt(f, arch, "attention.value_length", MAX_DIM, &vl, err))) return st;
    if (vl != kl)
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "attention.key_length %d != value_length %d is not supported", kl, vl);
    hp->head_dim = kl;
    if ((int64_t)hp->head_dim * hp->n_head > MAX_DIM)
        return hone_fail(err, HONE_ERR_FORMAT, "head_dim %d x head_count %d is too large",
                         hp->head_dim, hp->n_head);
    hp->n_rot = hp->head_dim;
    if ((st = get_dim_opt(f, arch, "rope.dimension_count", MAX_DIM, &hp->n_rot, err))) return st;
    if (hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "rope.dimension_count %d must be even and at most the head size %d",
                         hp->n_rot, hp->head_dim);
    hp->rope_freq_base = 10000.0f;
    if ((st = get_f32_opt(f, arch, "rope.freq_base", &hp->rope_freq_base, err))) return st;
    if (!(hp->rope_freq_base > 0.0f && hp->rope_freq_base < 1e30f))
        return hone_fail(err, HONE_ERR_FORMAT, "rope.freq_base %g is out of range",
                         (double)hp->rope_freq_base);
    hp->rope_freq_scale = 1.0f;
    hp->rope_attn_factor = 1.0f;
    if ((st = get_f32_opt(f, arch, "rope.scaling.attn_factor", &hp->rope_attn_factor, err)))
        return st;
    if (!(hp->rope_attn_factor > 0.0f && hp->rope_attn_factor < 1e3f))
        return hone_fail(err, HONE_ERR_FORMAT, "rope.scaling.attn_factor %g is out of range",
                         (double)hp->rope_attn_factor);
    hp->n_ctx_orig = hp->n_ctx_train;
    if ((st = get_dim_opt(f, arch, "rope.scaling.original_context_length", 1 << 30,
                          &hp->n_ctx_orig, err)))
        return st;
    return load_rope_scaling(f, arch, hp, err);
}

/* ----------------------------------------------------------------- tensors */

/* Map tensor `name` as `rows` rows of `cols` (rows == 0: any row count,
 * reported back; used for the vocabulary). A missing optional tensor leaves
 * w zeroed and returns HONE_OK. */
/* The tensor's data where the kernels can read it: in the mapping, or,
 * when general.alignment leaves it at an address its element type does not
 * allow (alignment 1 is valid GGUF, llama.cpp loads it), in a copy made
 * once here and owned by the model. Reading misaligned float / uint16_t /
 * block structs is undefined behaviour (and a fault on some CPUs); copying
 * is cheaper than teaching every kernel unaligned loads, and costs nothing
 * for the files converters write (32-byte alignment). */
static hone_status tensor_data(hone_model *m, const hone_gguf_tensor *t, const void **out,
                               hone_error *err)
{
    size_t need = hone_type_align(t->type);
    if ((uintptr_t)t->data % need == 0) {
        *out = t->data;
        return HONE_OK;
    }
    for (size_t i = 0; i < m->n_copies; i++) /* a tensor is read once or twice */
        if (m->copies[i].src == t) {
            *out = m->copies[i].data;
            return HONE_OK;
        }
    if (m->n_copies % 16 == 0) {
        void *p = realloc(m->copies, (m->n_copies + 16) * sizeof *m->copies);
        if (!p) return hone_fail(err, HONE_ERR_NOMEM, "out of memory (tensor copies)");
        m->copies = p;
    }
    /* 64: a cache line, and every vector width the kernels use */
    size_t size = (size_t)t->size, alloc = (size + 63) / 64 * 64;
    void *d = aligned_alloc(64, alloc ? alloc : 64);
    if (!d)
        return hone_fail(err, HONE_ERR_NOMEM,
                         "out of memory copying tensor '%s' (%zu bytes) to an aligned address",
                         t->name, size);
    memcpy(d, t->data, size);
    m->copies[m->n_copies++] = (struct hone_tensor_copy){t, d};
    *out = d;
    return HONE_OK;
}

static hone_status get_weight(hone_model *m, const char *name, int64_t cols,
                              int64_t rows, bool required, hone_weight *w,
                              hone_error *err)
{
    const hone_gguf_file *f = m->gguf;
    memset(w, 0, sizeof *w);
    const hone_gguf_tensor *t = hone_gguf_find_tensor(f, name);
    if (!t) {
        if (!required) return HONE_OK;
        return hone_fail(err, HONE_ERR_FORMAT, "tensor '%s' is missing", name);
    }
    uint64_t r = t->ne[1] * t->ne[2] * t->ne[3];
    if ((int64_t)t->ne[0] != cols || (rows && (int64_t)r != rows) || t->ne[2] != 1 ||
        t->ne[3] != 1)
    {
        char want[64];
        if (rows) snprintf(want, sizeof want, "[%lld, %lld]", (long long)cols, (long long)rows);
        else snprintf(want, sizeof want, "[%lld, n_vocab]", (long long)cols);
        return hone_fail(err, HONE_ERR_FORMAT,
                         "tensor '%s' has shape [%llu, %llu, %llu, %llu]; the metadata implies %s",
                         name, (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
                         (unsigned long long)t->ne[2], (unsigned long long)t->ne[3], want);
    }
    uint64_t rb;
    if (!hone_row_bytes(t->type, t->ne[0], &rb))
        return hone_fail(err, HONE_ERR_FORMAT,
                         "tensor '%s': rows of %llu elements do not fit type %s", name,
                         (unsigned long long)t->ne[0], hone_type_name(t->type));
    hone_status st = tensor_data(m, t, &w->data, err);
    if (st) return st;
    w->name = t->name;
    w->type = t->type;
    w->cols = cols;
    w->rows = (int64_t)r;
    w->row_bytes = (size_t)rb;
    return HONE_OK;
}

/* A 1-D F32 vector of n elements (norm weights, biases). */
static hone_status get_vector(hone_model *m, const char *name, int64_t n,
                              bool required, hone_weight *w, hone_error *err)
{
    hone_status st = get_weight(m, name, n, 1, required, w, err);
    if (st || !w->data) return st;
    if (w->type != HONE_TYPE_F32)
        return hone_fail(err, HONE_ERR_UNSUPPORTED, "tensor '%s' has type %s; hone needs f32",
                         name, hone_type_name(w->type));
    return HONE_OK;
}

static hone_status load_layer(hone_model *m, int il, hone_layer *L, hone_error *err)
{
    const hone_gguf_file *f = m->gguf;
    const hone_hparams *hp = &m->hp;
    const int64_t e = hp->n_embd, q = (int64_t)hp->n_head * hp->head_dim;
    const int64_t kv = (int64_t)hp->n_head_kv * hp->head_dim, ff = hp->n_ff;
    char n[128];
    hone_status st;
#define NAME(s) (snprintf(n, sizeof n, "blk.%d." s, il), n)
    if ((st = get_vector(m, NAME("attn_norm.weight"), e, true, &L->attn_norm, err)) ||
        (st = get_weight(m, NAME("attn_qkv.weight"), e, q + 2 * kv, false, &L->wqkv, err)))
        return st;
    if (L->wqkv.data) {
        if ((st = get_vector(m, NAME("attn_qkv.bias"), q + 2 * kv, false, &L->bqkv, err)))
            return st;
    } else if ((st = get_weight(m, NAME("attn_q.weight"), e, q, true, &L->wq, err)) ||
               (st = get_weight(m, NAME("attn_k.weight"), e, kv, true, &L->wk, err)) ||
               (st = get_weight(m, NAME("attn_v.weight"), e, kv, true, &L->wv, err)) ||
               (st = get_vector(m, NAME("attn_q.bias"), q, false, &L->bq, err)) ||
               (st = get_vector(m, NAME("attn_k.bias"), kv, false, &L->bk, err)) ||
               (st = get_vector(m, NAME("attn_v.bias"), kv, false, &L->bv, err))) {
        return st;
    }
    /* qwen3's per-head q/k norms are part of its graph: required there;
     * the other graphs (llama.cpp's too) have no place for them */
    const bool qk_norm = hp->arch == HONE_ARCH_QWEN3;
    if ((st = get_vector(m, NAME("attn_q_norm.weight"), hp->head_dim, qk_norm, &L->attn_q_norm,
                         err)) ||
        (st = get_vector(m, NAME("attn_k_norm.weight"), hp->head_dim, qk_norm, &L->attn_k_norm,
                         err)))
        return st;
    if (!qk_norm && (L->attn_q_norm.data || L->attn_k_norm.data))
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "tensor '%s': QK-norm is not supported for the %s architecture",
                         L->attn_q_norm.data ? L->attn_q_norm.name : L->attn_k_norm.name,
                         hp->arch_name);
    if ((st = get_weight(m, NAME("attn_output.weight"), q, e, true, &L->wo, err)) ||
        (st = get_vector(m, NAME("attn_output.bias"), e, false, &L->bo, err)) ||
        (st = get_vector(m, NAME("ffn_norm.weight"), e, true, &L->ffn_norm, err)) ||
        (st = get_weight(m, NAME("ffn_down.weight"), ff, e, true, &L->ffn_down, err)) ||
        (st = get_vector(m, NAME("ffn_down.bias"), e, false, &L->ffn_down_b, err)))
        return st;
    if (hp->arch == HONE_ARCH_PHI3) {
        /* one matrix [gate; up]: 2*n_ff rows (llama.cpp LLM_FFN_SWIGLU) */
        if ((st = get_weight(m, NAME("ffn_up.weight"), e, 2 * ff, true, &L->ffn_up, err)))
            return st;
    } else if ((st = get_weight(m, NAME("ffn_gate.weight"), e, ff, true, &L->ffn_gate, err)) ||
               (st = get_weight(m, NAME("ffn_up.weight"), e, ff, true, &L->ffn_up, err)) ||
               (st = get_vector(m, NAME("ffn_gate.bias"), ff, false, &L->ffn_gate_b, err)) ||
               (st = get_vector(m, NAME("ffn_up.bias"), ff, false, &L->ffn_up_b, err))) {
        return st;
    }
    /* llama.cpp's converters write one global factor tensor; per-layer
     * ones would need per-layer RoPE tables */
    if (hone_gguf_find_tensor(f, NAME("rope_factors_long.weight")) ||
        hone_gguf_find_tensor(f, NAME("rope_factors_short.weight")) ||
        hone_gguf_find_tensor(f, NAME("rope_freqs.weight")))
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "tensor '%s': per-layer RoPE factors are not supported", n);
#undef NAME
    return HONE_OK;
}

static hone_status load_tensors(hone_model *m, hone_error *err)
{
    const hone_gguf_file *f = m->gguf;
    hone_hparams *hp = &m->hp;
    hone_status st = get_weight(m, "token_embd.weight", hp->n_embd, 0, true, &m->tok_embd, err);
    if (st) return st;
    if (m->tok_embd.rows < 1 || m->tok_embd.rows > MAX_VOCAB)
        return hone_fail(err, HONE_ERR_FORMAT, "tensor 'token_embd.weight' has %lld rows",
                         (long long)m->tok_embd.rows);
    hp->n_vocab = (int)m->tok_embd.rows;
    const hone_gguf_kv *toks = hone_gguf_find(f, "tokenizer.ggml.tokens");
    if (toks && toks->type == HONE_GGUF_TYPE_ARRAY && toks->arr_n != (uint64_t)hp->n_vocab)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "tensor 'token_embd.weight' has %d rows but the vocabulary has %llu tokens",
                         hp->n_vocab, (unsigned long long)toks->arr_n);
    if ((st = get_vector(m, "output_norm.weight", hp->n_embd, true, &m->output_norm, err)) ||
        (st = get_weight(m, "output.weight", hp->n_embd, hp->n_vocab, false, &m->output, err)) ||
        (st = get_vector(m, "output.bias", hp->n_vocab, false, &m->output_b, err)))
        return st;
    hp->tied_output = m->output.data == NULL;
    if (hp->tied_output) m->output = m->tok_embd;

    hone_weight rf;
    if ((st = get_vector(m, "rope_freqs.weight", hp->n_rot / 2, false, &rf, err))) return st;
    m->rope_freqs = rf.data;
    /* LongRoPE (Phi-3 128k, Phi-3.5): llama.cpp's phi3 graph passes the
     * factors to RoPE; the others would silently ignore them: refuse. */
    hone_weight rl, rs;
    if ((st = get_vector(m, "rope_factors_long.weight", hp->n_rot / 2, false, &rl, err)) ||
        (st = get_vector(m, "rope_factors_short.weight", hp->n_rot / 2, false, &rs, err)))
        return st;
    if ((rl.data || rs.data) && hp->arch != HONE_ARCH_PHI3)
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "tensor '%s': LongRoPE is supported for phi3 only, not %s",
                         rl.data ? rl.name : rs.name, hp->arch_name);
    if (!rl.data != !rs.data)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "tensor '%s' without '%s': LongRoPE needs both factor sets",
                         rl.data ? rl.name : rs.name,
                         rl.data ? "rope_factors_short.weight" : "rope_factors_long.weight");
    m->rope_long = rl.data;
    m->rope_short = rs.data;

    m->layers = calloc((size_t)hp->n_layer, sizeof *m->layers);
    if (!m->layers) return hone_fail(err, HONE_ERR_NOMEM, "out of memory (layers)");
    for (int il = 0; il < hp->n_layer; il++)
        if ((st = load_layer(m, il, &m->layers[il], err))) return st;
    return HONE_OK;
}

/* Repacking (hone_model_opts.repack): every matrix that only the forward
 * pass's products read (so not a tied output, which is the token
 * embeddings), in parts of whole 16-row groups shared by threads: the copy
 * runs at memory speed, ~0.1 s for a 600 MB model on one thread. */
enum { REPACK_PART_ROWS = 1024 };

typedef struct {
    hone_weight *const *ws;
    int n_ws;
    const hone_kernels *k;
    int64_t n_parts;
    _Atomic int64_t next; /* parts handed out, over all matrices in order */
} repack_job;

/* Part i of the matrices in order: matrix *wi, rows [*r0, *r1). */
static bool repack_part(const repack_job *j, int64_t i, int *wi, int64_t *r0, int64_t *r1)
{
    for (int w = 0; w < j->n_ws; w++) {
        const int64_t parts = (j->ws[w]->rows + REPACK_PART_ROWS - 1) / REPACK_PART_ROWS;
        if (i < parts) {
            *wi = w;
            *r0 = i * REPACK_PART_ROWS;
            *r1 = *r0 + REPACK_PART_ROWS < j->ws[w]->rows ? *r0 + REPACK_PART_ROWS : j->ws[w]->rows;
            return true;
        }
        i -= parts;
    }
    return false;
}

static void *repack_run(void *arg)
{
    repack_job *j = arg;
    int64_t i;
    while ((i = atomic_fetch_add(&j->next, 1)) < j->n_parts) {
        int wi;
        int64_t r0, r1;
        if (!repack_part(j, i, &wi, &r0, &r1)) break;
        const hone_weight *w = j->ws[wi];
        j->k->repack(w->type, (char *)w->data + (size_t)r0 * w->row_bytes, r1 - r0, w->row_bytes);
    }
    return NULL;
}

static void repack_matrices(hone_model *m, const hone_kernels *k, int n_threads)
{
    const int per_layer = 8;
    hone_weight **ws = malloc(sizeof *ws * ((size_t)m->hp.n_layer * per_layer + 1));
    if (!ws) return; /* rows as stored: slower, not wrong */
    int n = 0;
    for (int il = 0; il < m->hp.n_layer; il++) {
        hone_layer *L = &m->layers[il];
        hone_weight *lw[] = {&L->wq, &L->wk, &L->wv, &L->wqkv, &L->wo, &L->ffn_gate, &L->ffn_up, &L->ffn_down};
        for (int i = 0; i < per_layer; i++) ws[n++] = lw[i];
    }
    if (!m->hp.tied_output) ws[n++] = &m->output;
    /* which matrices the set takes: it decides from type, row length and
     * whole groups alone, so each part of one is repacked alike (a zero
     * row count asks without touching anything) */
    int taken = 0;
    for (int i = 0; i < n; i++) {
        hone_weight *w = ws[i];
        if (w->data && w->rows % 16 == 0 && k->repack(w->type, NULL, 0, w->row_bytes)) ws[taken++] = w;
    }
    repack_job j = {.ws = ws, .n_ws = taken, .k = k};
    for (int i = 0; i < taken; i++) j.n_parts += (ws[i]->rows + REPACK_PART_ROWS - 1) / REPACK_PART_ROWS;
    atomic_init(&j.next, 0);
    if (n_threads > 8) n_threads = 8;
    pthread_t th[8];
    int started = 0;
    for (int i = 1; i < n_threads && j.n_parts > i; i++, started++)
        if (pthread_create(&th[started], NULL, repack_run, &j) != 0) break;
    repack_run(&j);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < taken; i++) ws[i]->repacked = true;
    if (taken) m->repack_set = k;
    free(ws);
}

/* ------------------------------------------------------------- public API */

hone_status hone_model_from_gguf(hone_gguf_file *f, hone_model **out, hone_error *err)
{
    *out = NULL;
    hone_model *m = calloc(1, sizeof *m);
    if (!m) {
        hone_gguf_close(f);
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory (model)");
    }
    m->gguf = f;
    hone_status st = load_hparams(f, &m->hp, err);
    if (!st) st = load_tensors(m, err);
    if (st) {
        hone_model_free(m);
        return st;
    }
    *out = m;
    return HONE_OK;
}

hone_status hone_model_load(const char *path, const hone_model_opts *opts,
                            hone_model **out, hone_error *err)
{
    *out = NULL;
    hone_gguf_open_opts go = {0};
    if (opts) {
        go.no_mmap = opts->no_mmap;
        go.mlock = opts->mlock;
        go.populate = opts->populate;
        go.read_threads = opts->read_threads;
    }
    hone_gguf_file *f;
    hone_status st = hone_gguf_open(path, &go, &f, err);
    if (st) return st;
    st = hone_model_from_gguf(f, out, err);
    if (st) hone_fail_wrap(err, "%s", path);
    /* the read buffer is the model's own: the set may rearrange it */
    if (!st && opts && opts->no_mmap && opts->repack && opts->repack->repack) repack_matrices(*out, opts->repack, opts->read_threads);
    return st;
}

void hone_model_free(hone_model *m)
{
    if (!m) return;
    hone_gguf_close(m->gguf);
    for (size_t i = 0; i < m->n_copies; i++) free(m->copies[i].data);
    free(m->copies);
    free(m->layers);
    free(m);
}

/* Calls fn on every matrix the forward pass multiplies with. */
static void for_each_matrix(const hone_model *m, void (*fn)(const hone_weight *, void *),
                            void *ctx)
{
    for (int il = 0; il < m->hp.n_layer; il++) {
        const hone_layer *L = &m->layers[il];
        const hone_weight *ws[] = {&L->wq, &L->wk, &L->wv, &L->wqkv, &L->wo,
                                   &L->ffn_gate, &L->ffn_up, &L->ffn_down};
        for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
            if (ws[i]->data) fn(ws[i], ctx);
    }
    fn(&m->output, ctx);
}

static void count_repacked(const hone_weight *w, void *n) { *(int *)n += w->repacked; }

int hone_model_n_repacked(const hone_model *m, const char **set)
{
    int n = 0;
    if (m->repack_set) for_each_matrix(m, count_repacked, &n);
    *set = n ? m->repack_set->name : NULL;
    return n;
}

typedef struct {
    const hone_kernels *k;
    unsigned count[HONE_TYPE_COUNT];
} type_census;

static bool can_matmul(const hone_kernels *k, uint32_t t)
{
    if (t >= HONE_TYPE_COUNT || !k->type[t].vec_dot) return false;
    uint32_t vt = hone_vec_dot_type(t);
    return vt < HONE_TYPE_COUNT && k->type[vt].from_float;
}

static void census_fn(const hone_weight *w, void *p)
{
    type_census *c = p;
    uint64_t rb;
    if (!can_matmul(c->k, w->type) ||
        !hone_row_bytes(hone_vec_dot_type(w->type), (uint64_t)w->cols, &rb))
        c->count[w->type]++;
}

hone_status hone_model_check_kernels(const hone_model *m, const hone_kernels *k,
                                     hone_error *err)
{
    if (m->repack_set && m->repack_set != k)
        return hone_fail(err, HONE_ERR_ARG,
                         "the model's matrices were laid out for kernel set '%s' at load; this context "
                         "uses '%s'", m->repack_set->name, k->name);
    type_census c = {.k = k};
    for_each_matrix(m, census_fn, &c);
    uint32_t te = m->tok_embd.type;
    if (te >= HONE_TYPE_COUNT || !k->type[te].to_float) c.count[te]++;
    char list[400] = "";
    size_t len = 0;
    for (int t = 0; t < HONE_TYPE_COUNT; t++) {
        if (!c.count[t] || len >= sizeof list) continue;
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s (%u tensor%s)",
                                len ? ", " : "", hone_type_name((uint32_t)t), c.count[t],
                                c.count[t] == 1 ? "" : "s");
    }
    if (!len) return HONE_OK;
    return hone_fail(err, HONE_ERR_UNSUPPORTED,
                     "tensor types hone cannot compute with kernel set '%s': %s", k->name,
                     list);
}

typedef struct {
    char *buf;
    size_t cap, len;
} feature_list;

static void feature(feature_list *l, const char *fmt, ...)
{
    char item[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(item, sizeof item, fmt, ap);
    va_end(ap);
    const size_t off = l->len < l->cap ? l->len : l->cap;
    l->len += (size_t)snprintf(l->buf + off, l->cap - off, "%s%s", l->len ? ", " : "", item);
}

size_t hone_model_features(const hone_model *m, char *buf, size_t cap)
{
    static char none[1];
    feature_list l = {cap ? buf : none, cap ? cap : 1, 0};
    l.buf[0] = '\0';
    const hone_hparams *hp = &m->hp;
    const hone_layer *L = &m->layers[0]; /* every layer has the same tensors */
    if (hp->n_head_kv < hp->n_head) feature(&l, "GQA %d/%d", hp->n_head, hp->n_head_kv);
    if ((int64_t)hp->head_dim * hp->n_head != hp->n_embd)
        feature(&l, "head_dim %d (not %d/%d)", hp->head_dim, hp->n_embd, hp->n_head);
    if (L->wqkv.data) feature(&l, "fused QKV");
    if (L->bq.data || L->bk.data || L->bv.data || L->bqkv.data) feature(&l, "QKV biases");
    if (L->attn_q_norm.data) feature(&l, "QK-norm");
    if (L->bo.data) feature(&l, "attention output bias");
    if (!L->ffn_gate.data) feature(&l, "fused gate+up");
    if (L->ffn_gate_b.data || L->ffn_up_b.data || L->ffn_down_b.data) feature(&l, "FFN biases");
    if (hp->tied_output) feature(&l, "tied embeddings");
    if (m->output_b.data) feature(&l, "output bias");
    feature(&l, "RoPE %s", hp->rope_type == HONE_ROPE_NEOX ? "neox" : "norm");
    if (hp->n_rot < hp->head_dim) feature(&l, "partial RoPE (%d of %d)", hp->n_rot, hp->head_dim);
    if (hp->rope_freq_scale != 1.0f)
        feature(&l, "linear RoPE scaling x%g", (double)(1.0f / hp->rope_freq_scale));
    if (m->rope_freqs) feature(&l, "RoPE frequency factors");
    if (m->rope_long)
        feature(&l, "LongRoPE (original context %d, attention factor %.4g)", hp->n_ctx_orig,
                (double)hp->rope_attn_factor);
    else if (hp->rope_attn_factor != 1.0f)
        feature(&l, "RoPE attention factor %.4g", (double)hp->rope_attn_factor);
    return l.len;
}

static void bytes_fn(const hone_weight *w, void *p)
{
    *(uint64_t *)p += (uint64_t)w->row_bytes * (uint64_t)w->rows;
}

uint64_t hone_model_weight_bytes(const hone_model *m)
{
    uint64_t n = 0;
    for_each_matrix(m, bytes_fn, &n);
    return n;
}

const hone_gguf_file *hone_model_gguf(const hone_model *m) { return m->gguf; }
const char *hone_model_arch_name(const hone_model *m) { return m->hp.arch_name; }
int hone_model_n_vocab(const hone_model *m) { return m->hp.n_vocab; }
int hone_model_n_ctx_train(const hone_model *m) { return m->hp.n_ctx_train; }

const float *hone_model_rope_factors(const hone_model *m, int n_ctx_seq)
{
    if (m->rope_freqs || !m->rope_long) return m->rope_freqs;
    /* llama.cpp pads the context to a multiple of 256 before choosing
     * (llama_context: n_ctx_seq = GGML_PAD(n_ctx / n_seq, 256)) */
    const int64_t padded = ((int64_t)n_ctx_seq + 255) / 256 * 256;
    return padded > m->hp.n_ctx_orig ? m->rope_long : m->rope_short;
}

int hone_model_default_n_ctx(const hone_model *m)
{
    return m->hp.n_ctx_train < HONE_DEFAULT_CTX_CAP ? m->hp.n_ctx_train : HONE_DEFAULT_CTX_CAP;
}
