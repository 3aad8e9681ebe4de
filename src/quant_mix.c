/* quant_mix.c — the per-tensor type plan of `hone quantize` (see
 * quant_mix.h), following llama.cpp's llama-quant.cpp rule by rule for
 * the kinds hone produces. */
#include "quant_mix.h"

#include "types.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* llama_ftype values (llama.h) */
enum {
    FT_ALL_F32 = 0, FT_F16 = 1, FT_Q4_0 = 2, FT_Q4_1 = 3, FT_Q8_0 = 7, FT_Q5_0 = 8,
    FT_Q5_1 = 9, FT_Q2_K = 10, FT_Q3_K_S = 11, FT_Q3_K_M = 12, FT_Q3_K_L = 13,
    FT_Q4_K_S = 14, FT_Q4_K_M = 15, FT_Q5_K_S = 16, FT_Q5_K_M = 17, FT_Q6_K = 18,
    FT_BF16 = 32
};

static const hone_quant_kind KINDS[] = {
    {"Q4_0", FT_Q4_0, HONE_TYPE_Q4_0, " 4.34G, +0.4685 ppl @ Llama-3-8B"},
    {"Q4_1", FT_Q4_1, HONE_TYPE_Q4_1, " 4.78G, +0.4511 ppl @ Llama-3-8B"},
    {"Q5_0", FT_Q5_0, HONE_TYPE_Q5_0, " 5.21G, +0.1316 ppl @ Llama-3-8B"},
    {"Q5_1", FT_Q5_1, HONE_TYPE_Q5_1, " 5.65G, +0.1062 ppl @ Llama-3-8B"},
    {"Q2_K", FT_Q2_K, HONE_TYPE_Q2_K, " 2.96G, +3.5199 ppl @ Llama-3-8B"},
    {"Q3_K", FT_Q3_K_M, HONE_TYPE_Q3_K, "alias for Q3_K_M"},
    {"Q3_K_S", FT_Q3_K_S, HONE_TYPE_Q3_K, " 3.41G, +1.6321 ppl @ Llama-3-8B"},
    {"Q3_K_M", FT_Q3_K_M, HONE_TYPE_Q3_K, " 3.74G, +0.6569 ppl @ Llama-3-8B"},
    {"Q3_K_L", FT_Q3_K_L, HONE_TYPE_Q3_K, " 4.03G, +0.5562 ppl @ Llama-3-8B"},
    {"Q4_K", FT_Q4_K_M, HONE_TYPE_Q4_K, "alias for Q4_K_M"},
    {"Q4_K_S", FT_Q4_K_S, HONE_TYPE_Q4_K, " 4.37G, +0.2689 ppl @ Llama-3-8B"},
    {"Q4_K_M", FT_Q4_K_M, HONE_TYPE_Q4_K, " 4.58G, +0.1754 ppl @ Llama-3-8B"},
    {"Q5_K", FT_Q5_K_M, HONE_TYPE_Q5_K, "alias for Q5_K_M"},
    {"Q5_K_S", FT_Q5_K_S, HONE_TYPE_Q5_K, " 5.21G, +0.1049 ppl @ Llama-3-8B"},
    {"Q5_K_M", FT_Q5_K_M, HONE_TYPE_Q5_K, " 5.33G, +0.0569 ppl @ Llama-3-8B"},
    {"Q6_K", FT_Q6_K, HONE_TYPE_Q6_K, " 6.14G, +0.0217 ppl @ Llama-3-8B"},
    {"Q8_0", FT_Q8_0, HONE_TYPE_Q8_0, " 7.96G, +0.0026 ppl @ Llama-3-8B"},
    {"F16", FT_F16, HONE_TYPE_F16, "14.00G, +0.0020 ppl @ Mistral-7B"},
    {"BF16", FT_BF16, HONE_TYPE_BF16, "14.00G, -0.0050 ppl @ Mistral-7B"},
    {"F32", FT_ALL_F32, HONE_TYPE_F32, "26.00G              @ 7B"},
    /* after F32, so that ftype 0 names F32 */
    {"COPY", FT_ALL_F32, HONE_TYPE_COUNT, "only copy tensors, no quantizing"},
};

const hone_quant_kind *hone_quant_kinds(size_t *n)
{
    *n = sizeof KINDS / sizeof KINDS[0];
    return KINDS;
}

static bool str_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    return *a == *b;
}

const hone_quant_kind *hone_quant_kind_find(const char *name)
{
    size_t n;
    const hone_quant_kind *k = hone_quant_kinds(&n);
    for (size_t i = 0; i < n; i++)
        if (str_ieq(k[i].name, name)) return &k[i];
    /* a number is an ftype (llama-quantize takes "15" for Q4_K_M) */
    char *end;
    const long v = strtol(name, &end, 10);
    if (end == name || *end) return NULL;
    for (size_t i = 0; i < n; i++)
        if ((long)k[i].ftype == v) return &k[i];
    return NULL;
}

bool hone_quant_kind_is_copy(const hone_quant_kind *k)
{
    return k->type == HONE_TYPE_COUNT;
}

uint32_t hone_type_from_name(const char *name)
{
    for (uint32_t t = 0; t < HONE_TYPE_COUNT; t++) {
        const hone_type_info *ti = hone_type_get(t);
        if (ti && ti->type_size && str_ieq(ti->name, name)) return t;
    }
    return HONE_TYPE_COUNT;
}

/* --- the model facts the rules read ------------------------------------ */

typedef struct {
    char arch[32];
    uint32_t n_layer, n_head, n_head_kv, n_expert;
    bool is_70b, falcon;
} model_facts;

/* {arch}.key as u32: a scalar, or the first element of a per-layer array;
 * dflt when absent. */
static uint32_t arch_u32(const hone_gguf_file *f, const char *arch, const char *key, uint32_t dflt)
{
    char full[160];
    snprintf(full, sizeof full, "%s.%s", arch, key);
    const hone_gguf_kv *kv = hone_gguf_find(f, full);
    if (!kv) return dflt;
    if (kv->type == HONE_GGUF_TYPE_ARRAY) return kv->arr_n ? hone_gguf_arr_u32(kv, 0) : dflt;
    uint32_t v;
    return hone_gguf_get_u32(f, full, &v, NULL) == HONE_OK ? v : dflt;
}

static void read_facts(const hone_gguf_file *f, model_facts *m)
{
    memset(m, 0, sizeof *m);
    hone_gguf_str s;
    if (hone_gguf_get_str(f, "general.architecture", &s, NULL) == HONE_OK && s.len < sizeof m->arch) {
        memcpy(m->arch, s.ptr, (size_t)s.len);
        m->arch[s.len] = 0;
    }
    m->n_layer = arch_u32(f, m->arch, "block_count", 0);
    m->n_head = arch_u32(f, m->arch, "attention.head_count", 0);
    m->n_head_kv = arch_u32(f, m->arch, "attention.head_count_kv", m->n_head);
    m->n_expert = arch_u32(f, m->arch, "expert_count", 0);
    m->falcon = strcmp(m->arch, "falcon") == 0;
    /* llama.cpp's LLM_TYPE_70B: an 80-layer llama with grouped KV heads */
    m->is_70b = strcmp(m->arch, "llama") == 0 && m->n_layer == 80 && m->n_head != m->n_head_kv;
}

static uint32_t n_gqa(const model_facts *m)
{
    return m->n_head_kv ? m->n_head / m->n_head_kv : 0;
}

/* --- tensor order and categories --------------------------------------- */

/* The layer of "blk.N....", -1 for other tensors (llama.cpp's sscanf). */
static int layer_of(const char *name)
{
    int l = -1;
    if (sscanf(name, "blk.%d.", &l) != 1) return -1;
    return l;
}

static const hone_gguf_file *g_sort_file; /* qsort has no context argument */

static int cmp_order(const void *a, const void *b)
{
    const char *na = hone_gguf_tensor_at(g_sort_file, *(const uint64_t *)a)->name;
    const char *nb = hone_gguf_tensor_at(g_sort_file, *(const uint64_t *)b)->name;
    const int la = layer_of(na), lb = layer_of(nb);
    if (la != lb) return la < lb ? -1 : 1;
    return strcmp(na, nb);
}

typedef enum {
    CAT_TOKEN_EMBD, CAT_ATTN_Q, CAT_ATTN_V, CAT_ATTN_K, CAT_ATTN_QKV, CAT_ATTN_KV_B,
    CAT_ATTN_OUTPUT, CAT_FFN_UP, CAT_FFN_GATE, CAT_FFN_DOWN, CAT_OUTPUT, CAT_OTHER
} category;

static bool has(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

static category category_of(const char *name)
{
    if (!strcmp(name, "output.weight")) return CAT_OUTPUT;
    if (!strcmp(name, "token_embd.weight") || !strcmp(name, "per_layer_token_embd.weight"))
        return CAT_TOKEN_EMBD;
    if (has(name, "attn_qkv.weight")) return CAT_ATTN_QKV;
    if (has(name, "attn_kv_b.weight")) return CAT_ATTN_KV_B;
    if (has(name, "attn_v.weight")) return CAT_ATTN_V;
    if (has(name, "attn_k.weight")) return CAT_ATTN_K;
    if (has(name, "attn_q.weight")) return CAT_ATTN_Q;
    if (has(name, "attn_output.weight")) return CAT_ATTN_OUTPUT;
    if (has(name, "ffn_up")) return CAT_FFN_UP;
    if (has(name, "ffn_gate")) return CAT_FFN_GATE;
    if (has(name, "ffn_down")) return CAT_FFN_DOWN;
    return CAT_OTHER;
}

/* attn_v and the fused tensors holding it are the most sensitive */
static bool cat_attn_v(category c)
{
    return c == CAT_ATTN_V || c == CAT_ATTN_QKV || c == CAT_ATTN_KV_B;
}

static uint32_t n_dims_of(const hone_gguf_tensor *t)
{
    uint32_t nd = 1;
    for (uint32_t d = 0; d < HONE_GGUF_MAX_DIMS; d++)
        if (t->ne[d] > 1) nd = d + 1;
    return nd;
}

/* Names llama.cpp never quantizes: norms, routers, small or positional
 * tables (its tensor_allows_quantization). */
static const char *const KEEP_SUBSTR[] = {
    "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel",
    "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight",
    "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight",
    "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight",
    "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight",
    "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
    "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
    ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd",
    ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
};

static bool allows_quantization(const hone_gguf_tensor *t, const hone_quant_mix_opts *o)
{
    if (hone_quant_kind_is_copy(o->kind) || n_dims_of(t) < 2) return false;
    const char *name = t->name;
    const size_t len = strlen(name);
    if (len < 6 || strcmp(name + len - 6, "weight")) return false;
    if (o->leave_output && !strcmp(name, "output.weight")) return false;
    if (!strcmp(name, "position_embd.weight") || !strcmp(name, "token_types.weight")) return false;
    for (size_t i = 0; i < sizeof KEEP_SUBSTR / sizeof KEEP_SUBSTR[0]; i++)
        if (has(name, KEEP_SUBSTR[i])) return false;
    return true;
}

static bool is_quantized(uint32_t t)
{
    const hone_type_info *ti = hone_type_get(t);
    return ti && ti->blck_size > 1;
}

static uint32_t blck(uint32_t t)
{
    const hone_type_info *ti = hone_type_get(t);
    return ti && ti->blck_size ? ti->blck_size : 1;
}

static bool use_more_bits(int i, int n)
{
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

typedef struct {
    const model_facts *m;
    uint32_t ftype;
    int n_attn_v, i_attn_v, n_ffn_down, i_ffn_down, i_ffn_gate, i_ffn_up;
    bool tied; /* no output.weight: the token embeddings are the output */
} mix_state;

/* The layer a per-layer rule applies to: the running count, or for
 * mixtures of experts the number in the name (their tensors are not in
 * layer order). */
static hone_status layer_info(const mix_state *s, int counter, const char *name, int *layer,
                              hone_error *err)
{
    *layer = counter;
    if (s->m->n_expert > 1) {
        if (sscanf(name, "blk.%d.", layer) != 1)
            return hone_fail(err, HONE_ERR_FORMAT, "cannot tell the layer of tensor %s", name);
        if (*layer < 0 || *layer >= (int)s->m->n_layer)
            return hone_fail(err, HONE_ERR_FORMAT, "tensor %s: layer %d outside [0, %u)", name,
                             *layer, s->m->n_layer);
    }
    return HONE_OK;
}

/* llama_tensor_get_type_impl, for the file types hone produces. */
static hone_status mix_type(mix_state *s, const hone_quant_mix_opts *o, const hone_gguf_tensor *t,
                            category cat, uint32_t *type, hone_error *err)
{
    const model_facts *m = s->m;
    const uint32_t ft = s->ftype;
    uint32_t nt = *type;
    const int n_layer = s->n_ffn_down;
    if (cat == CAT_OUTPUT || (s->tied && cat == CAT_TOKEN_EMBD)) {
        if (o->output_type != HONE_TYPE_COUNT) nt = o->output_type;
        else if (m->falcon || t->ne[0] % blck(nt)) nt = HONE_TYPE_Q8_0;
        else if (nt != HONE_TYPE_Q8_0) nt = HONE_TYPE_Q6_K;
    } else if (cat == CAT_TOKEN_EMBD) {
        if (o->token_embd_type != HONE_TYPE_COUNT) nt = o->token_embd_type;
    } else if (cat_attn_v(cat)) {
        if (ft == FT_Q2_K) nt = n_gqa(m) >= 4 ? HONE_TYPE_Q4_K : HONE_TYPE_Q3_K;
        else if (ft == FT_Q3_K_M) nt = s->i_attn_v < 2 ? HONE_TYPE_Q5_K : HONE_TYPE_Q4_K;
        else if (ft == FT_Q3_K_L) nt = HONE_TYPE_Q5_K;
        else if ((ft == FT_Q4_K_M || ft == FT_Q5_K_M) && use_more_bits(s->i_attn_v, s->n_attn_v))
            nt = HONE_TYPE_Q6_K;
        else if (ft == FT_Q4_K_S && s->i_attn_v < 4) nt = HONE_TYPE_Q5_K;
        /* a 70B's attn_v is 8x smaller than attn_q: more bits cost little */
        if (m->is_70b && (nt == HONE_TYPE_Q3_K || nt == HONE_TYPE_Q4_K)) nt = HONE_TYPE_Q5_K;
        if (m->n_expert == 8) nt = HONE_TYPE_Q8_0;
        s->i_attn_v++;
    } else if (cat == CAT_ATTN_K) {
        if (m->n_expert == 8) nt = HONE_TYPE_Q8_0;
    } else if (cat == CAT_FFN_DOWN) {
        int il;
        hone_status st = layer_info(s, s->i_ffn_down, t->name, &il, err);
        if (st != HONE_OK) return st;
        if (ft == FT_Q2_K) nt = HONE_TYPE_Q3_K;
        else if (ft == FT_Q3_K_M)
            nt = il < n_layer / 16 ? HONE_TYPE_Q5_K
               : !m->falcon || use_more_bits(il, n_layer) ? HONE_TYPE_Q4_K : HONE_TYPE_Q3_K;
        else if (ft == FT_Q3_K_L) nt = m->falcon ? HONE_TYPE_Q4_K : HONE_TYPE_Q5_K;
        else if (ft == FT_Q4_K_M) {
            if (m->falcon)
                nt = il < n_layer / 16 ? HONE_TYPE_Q6_K
                   : use_more_bits(il, n_layer) ? HONE_TYPE_Q5_K : HONE_TYPE_Q4_K;
            else if (use_more_bits(il, n_layer)) nt = HONE_TYPE_Q6_K;
        } else if (ft == FT_Q5_K_M && use_more_bits(il, n_layer)) nt = HONE_TYPE_Q6_K;
        else if (ft == FT_Q4_K_S && !m->falcon && il < n_layer / 8) nt = HONE_TYPE_Q5_K;
        s->i_ffn_down++;
    } else if (cat == CAT_ATTN_OUTPUT) {
        if (!m->falcon) {
            if (m->n_expert == 8) {
                if (ft == FT_Q2_K || ft == FT_Q3_K_S || ft == FT_Q3_K_M || ft == FT_Q4_K_S ||
                    ft == FT_Q4_K_M)
                    nt = HONE_TYPE_Q5_K;
            } else if (ft == FT_Q2_K) nt = HONE_TYPE_Q3_K;
            else if (ft == FT_Q3_K_M) nt = HONE_TYPE_Q4_K;
            else if (ft == FT_Q3_K_L) nt = HONE_TYPE_Q5_K;
        } else if (ft == FT_Q3_K_L) nt = HONE_TYPE_Q4_K;
    } else if (cat == CAT_FFN_GATE || cat == CAT_FFN_UP) {
        int il; /* only checked: no rule of these kinds uses it */
        hone_status st = layer_info(s, cat == CAT_FFN_GATE ? s->i_ffn_gate : s->i_ffn_up,
                                    t->name, &il, err);
        if (st != HONE_OK) return st;
        if (cat == CAT_FFN_GATE) s->i_ffn_gate++;
        else s->i_ffn_up++;
    }
    *type = nt;
    return HONE_OK;
}

/* A type whose block does not divide the row length falls back to one
 * that does (llama.cpp's tensor_type_fallback), F16 as the last resort. */
static hone_status fallback_type(const hone_gguf_tensor *t, uint32_t *type, bool *fell,
                                 hone_error *err)
{
    const uint64_t ncols = t->ne[0];
    *fell = false;
    if (ncols % blck(*type) == 0) return HONE_OK;
    *fell = true;
    uint32_t r;
    switch (*type) {
    case HONE_TYPE_Q2_K: case HONE_TYPE_Q3_K: r = HONE_TYPE_Q4_0; break;
    case HONE_TYPE_Q4_K: r = HONE_TYPE_Q5_0; break;
    case HONE_TYPE_Q5_K: r = HONE_TYPE_Q5_1; break;
    case HONE_TYPE_Q6_K: r = HONE_TYPE_Q8_0; break;
    default:
        if (blck(*type) > 32)
            return hone_fail(err, HONE_ERR_UNSUPPORTED, "tensor %s: no fallback for type %s",
                             t->name, hone_type_name(*type));
        r = *type;
    }
    if (ncols % blck(r)) r = HONE_TYPE_F16;
    *type = r;
    return HONE_OK;
}

/* llama.cpp's guess of a file's type when general.file_type is absent: the
 * ftype of the most common tensor type, marked as guessed. */
static uint32_t guess_ftype(const hone_gguf_file *f, const uint64_t *order, uint64_t n)
{
    uint32_t count[HONE_TYPE_COUNT] = {0}, best = 0, best_type = HONE_TYPE_F32;
    for (uint64_t i = 0; i < n; i++) {
        const uint32_t t = hone_gguf_tensor_at(f, order[i])->type;
        if (t >= HONE_TYPE_COUNT) continue;
        if (best < ++count[t]) {
            best = count[t];
            best_type = t;
        }
    }
    uint32_t ft;
    switch (best_type) {
    case HONE_TYPE_F16: ft = FT_F16; break;
    case HONE_TYPE_BF16: ft = FT_BF16; break;
    case HONE_TYPE_Q4_0: ft = FT_Q4_0; break;
    case HONE_TYPE_Q4_1: ft = FT_Q4_1; break;
    case HONE_TYPE_Q5_0: ft = FT_Q5_0; break;
    case HONE_TYPE_Q5_1: ft = FT_Q5_1; break;
    case HONE_TYPE_Q8_0: ft = FT_Q8_0; break;
    case HONE_TYPE_Q2_K: ft = FT_Q2_K; break;
    case HONE_TYPE_Q3_K: ft = FT_Q3_K_M; break;
    case HONE_TYPE_Q4_K: ft = FT_Q4_K_M; break;
    case HONE_TYPE_Q5_K: ft = FT_Q5_K_M; break;
    case HONE_TYPE_Q6_K: ft = FT_Q6_K; break;
    default: ft = FT_ALL_F32; break; /* F32, and types hone has no ftype for */
    }
    return ft | HONE_FTYPE_GUESSED;
}

void hone_quant_plan_free(hone_quant_plan *p)
{
    free(p->order);
    free(p->type);
    free(p->fallback);
    memset(p, 0, sizeof *p);
}

hone_status hone_quant_plan_make(const hone_gguf_file *f, const hone_quant_mix_opts *o,
                                 hone_quant_plan *p, hone_error *err)
{
    memset(p, 0, sizeof *p);
    const uint64_t n = hone_gguf_n_tensors(f);
    p->n = n;
    p->order = malloc((n ? n : 1) * sizeof *p->order);
    p->type = malloc((n ? n : 1) * sizeof *p->type);
    p->fallback = calloc(n ? n : 1, 1);
    if (!p->order || !p->type || !p->fallback) {
        hone_quant_plan_free(p);
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for %" PRIu64 " tensors", n);
    }
    for (uint64_t i = 0; i < n; i++) p->order[i] = i;
    g_sort_file = f;
    qsort(p->order, (size_t)n, sizeof *p->order, cmp_order);

    model_facts m;
    read_facts(f, &m);
    mix_state s = {.m = &m, .ftype = o->kind->ftype, .tied = true, .n_ffn_down = (int)m.n_layer};
    for (uint64_t i = 0; i < n; i++) {
        const category c = category_of(hone_gguf_tensor_at(f, i)->name);
        if (cat_attn_v(c)) s.n_attn_v++;
        if (c == CAT_OUTPUT) s.tied = false;
    }

    if (hone_quant_kind_is_copy(o->kind)) {
        uint32_t ft;
        p->ftype = hone_gguf_get_u32(f, "general.file_type", &ft, NULL) == HONE_OK
                       ? ft : guess_ftype(f, p->order, n);
    } else {
        p->ftype = o->kind->ftype;
    }

    const uint32_t dflt = o->kind->type;
    for (uint64_t k = 0; k < n; k++) {
        const uint64_t i = p->order[k];
        const hone_gguf_tensor *t = hone_gguf_tensor_at(f, i);
        uint32_t nt = t->type;
        if (allows_quantization(t, o)) {
            const category c = category_of(t->name);
            if (o->token_embd_type != HONE_TYPE_COUNT && c == CAT_TOKEN_EMBD) {
                nt = o->token_embd_type;
            } else if (o->output_type != HONE_TYPE_COUNT && c == CAT_OUTPUT) {
                nt = o->output_type;
            } else {
                nt = dflt;
                if (is_quantized(dflt)) {
                    hone_status st;
                    if (!o->pure && (st = mix_type(&s, o, t, c, &nt, err)) != HONE_OK) {
                        hone_quant_plan_free(p);
                        return st;
                    }
                    bool fell;
                    if ((st = fallback_type(t, &nt, &fell, err)) != HONE_OK) {
                        hone_quant_plan_free(p);
                        return st;
                    }
                    p->fallback[i] = fell;
                    p->n_fallback += fell;
                }
            }
        }
        p->type[i] = nt;
    }
    return HONE_OK;
}
