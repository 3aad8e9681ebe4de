/* info_model.c — `hone info -m FILE [--json]`: what a GGUF model holds
 * (architecture, size, tensor types, hyper-parameters, tokenizer), the
 * architecture features it uses, whether hone runs it (if not, the loader's
 * refusal, which names the unsupported feature), its chat template and
 * which of its tensors this build cannot compute. Only metadata is read:
 * the file is mapped, never copied. */
#include "commands.h"
#include "hone.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t tensors, bytes;
} type_stat;

typedef struct {
    const hone_gguf_file *f;
    char arch[64];
    char name[128];
    char tok_model[64];
    uint64_t params;
    type_stat types[HONE_TYPE_COUNT];
    int64_t ctx, embd, layers, heads, kv_heads; /* -1 = absent */
    int64_t vocab;
    bool chat_template;
    char template_name[64];  /* the detected one, "" when none or unknown */
    uint64_t n_uncomputable;
    bool supported;          /* the loader accepts it */
    char features[512];      /* hone_model_features (when supported) */
    char refusal[sizeof ((hone_error *)0)->msg]; /* the loader's error otherwise */
} model_info;

/* A file string as one printable line: bounded, control bytes (NULs
 * included: the text is printed with its real length) escaped. */
static void get_line(const hone_gguf_file *f, const char *key, char *buf, size_t cap)
{
    hone_gguf_str s;
    buf[0] = '\0';
    if (hone_gguf_get_str(f, key, &s, NULL) == HONE_OK)
        hone_escape(s.ptr, s.len > SIZE_MAX ? SIZE_MAX : (size_t)s.len, buf, cap);
}

/* "<arch>.<suffix>" as an integer; -1 if absent or not a fitting integer
 * (per-layer arrays use their first element). */
static int64_t arch_int(const model_info *m, const char *suffix)
{
    char key[160];
    snprintf(key, sizeof key, "%s.%s", m->arch, suffix);
    uint64_t v;
    if (hone_gguf_get_u64(m->f, key, &v, NULL) == HONE_OK) return v > INT64_MAX ? -1 : (int64_t)v;
    const hone_gguf_kv *kv;
    if (hone_gguf_get_arr(m->f, key, HONE_GGUF_TYPE_COUNT, &kv, NULL) == HONE_OK && kv->arr_n &&
        kv->arr_type != HONE_GGUF_TYPE_STRING)
        return hone_gguf_arr_u32(kv, 0);
    return -1;
}

static void collect(const hone_gguf_file *f, model_info *m)
{
    memset(m, 0, sizeof *m);
    m->f = f;
    get_line(f, "general.architecture", m->arch, sizeof m->arch);
    get_line(f, "general.name", m->name, sizeof m->name);
    get_line(f, "tokenizer.ggml.model", m->tok_model, sizeof m->tok_model);
    const hone_kernels *k = hone_kernels_generic();
    for (uint64_t i = 0; i < hone_gguf_n_tensors(f); i++) {
        const hone_gguf_tensor *t = hone_gguf_tensor_at(f, i);
        m->params += t->n_elements;
        m->types[t->type].tensors++; /* type ids are validated by hone_gguf_open */
        m->types[t->type].bytes += t->size;
        if (!k->type[t->type].vec_dot) m->n_uncomputable++;
    }
    m->ctx = arch_int(m, "context_length");
    m->embd = arch_int(m, "embedding_length");
    m->layers = arch_int(m, "block_count");
    m->heads = arch_int(m, "attention.head_count");
    m->kv_heads = arch_int(m, "attention.head_count_kv");
    if (m->kv_heads < 0) m->kv_heads = m->heads; /* GGUF's default: no GQA */
    m->vocab = arch_int(m, "vocab_size");
    const hone_gguf_kv *toks;
    if (m->vocab < 0 &&
        hone_gguf_get_arr(f, "tokenizer.ggml.tokens", HONE_GGUF_TYPE_STRING, &toks, NULL) == HONE_OK)
        m->vocab = (int64_t)toks->arr_n;
    m->chat_template = hone_gguf_find(f, "tokenizer.chat_template") != NULL;
    hone_gguf_str tmpl;
    hone_chat_template t;
    if (hone_gguf_get_str(f, "tokenizer.chat_template", &tmpl, NULL) == HONE_OK) {
        char *s = strndup(tmpl.ptr, tmpl.len);
        if (s && hone_chat_detect(s, &t, NULL) == HONE_OK)
            snprintf(m->template_name, sizeof m->template_name, "%s", hone_chat_template_name(t));
        free(s);
    }
}

/* What the loader says of the file: the features, or why it refuses it. A
 * second mapping of the same file: the loader owns the one it opens. */
static void check_support(const char *path, model_info *m)
{
    hone_model *model = NULL;
    hone_error err = {0};
    m->supported = hone_model_load(path, NULL, &model, &err) == HONE_OK;
    if (m->supported) hone_model_features(model, m->features, sizeof m->features);
    else snprintf(m->refusal, sizeof m->refusal, "%s", err.msg);
    hone_model_free(model);
}

/* 1234567 -> "1.23M" */
static void human_count(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = {"", "K", "M", "B", "T"};
    double v = (double)n;
    int u = 0;
    while (v >= 1000 && u < 4) v /= 1000, u++;
    if (u == 0) snprintf(buf, cap, "%" PRIu64, n);
    else snprintf(buf, cap, "%.2f%s", v, units[u]);
}

static void human_bytes(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) v /= 1024, u++;
    if (u == 0) snprintf(buf, cap, "%" PRIu64 " B", n);
    else snprintf(buf, cap, "%.1f %s", v, units[u]);
}

static void print_int(const char *label, int64_t v)
{
    if (v < 0) printf("%-18s -\n", label);
    else printf("%-18s %" PRId64 "\n", label, v);
}

static void print_text(const model_info *m)
{
    const hone_gguf_file *f = m->f;
    char a[64], b[64];
    printf("%-18s %s\n", "file", hone_gguf_path(f));
    printf("%-18s %" PRIu32 "\n", "GGUF version", hone_gguf_version(f));
    printf("%-18s %s\n", "architecture", m->arch[0] ? m->arch : "-");
    printf("%-18s %s\n", "model name", m->name[0] ? m->name : "-");
    human_count(m->params, a, sizeof a);
    printf("%-18s %s (%" PRIu64 ")\n", "parameters", a, m->params);
    human_bytes(hone_gguf_file_size(f), a, sizeof a);
    printf("%-18s %s (%" PRIu64 " bytes)\n", "file size", a, hone_gguf_file_size(f));
    printf("%-18s %" PRIu64 " tensors, %" PRIu64 " keys\n", "contents", hone_gguf_n_tensors(f),
           hone_gguf_n_kv(f));
    printf("tensor types:\n");
    for (uint32_t t = 0; t < HONE_TYPE_COUNT; t++) {
        if (!m->types[t].tensors) continue;
        human_bytes(m->types[t].bytes, b, sizeof b);
        printf("  %-10s %6" PRIu64 " tensors %12s\n", hone_type_name(t), m->types[t].tensors, b);
    }
    print_int("context length", m->ctx);
    print_int("embedding length", m->embd);
    print_int("layers", m->layers);
    print_int("heads", m->heads);
    print_int("kv heads", m->kv_heads);
    print_int("vocab size", m->vocab);
    printf("%-18s %s\n", "tokenizer model", m->tok_model[0] ? m->tok_model : "-");
    printf("%-18s %s\n", "chat template",
           !m->chat_template ? "no" : m->template_name[0] ? m->template_name : "yes (not recognised)");
    if (hone_gguf_n_tensors(f) == 0) {
        /* a vocabulary file (tokenize works; run has nothing to compute) */
        printf("%-18s none (vocab only)\n", "weights");
        return;
    }
    if (m->supported) {
        printf("%-18s %s\n", "features", m->features);
        printf("%-18s yes\n", "supported");
    } else {
        printf("%-18s no: %s\n", "supported", m->refusal);
    }
    if (!m->n_uncomputable) {
        printf("%-18s all tensors\n", "can compute");
        return;
    }
    printf("cannot compute (%" PRIu64 " tensors):\n", m->n_uncomputable);
    const hone_kernels *k = hone_kernels_generic();
    for (uint64_t i = 0; i < hone_gguf_n_tensors(f); i++) {
        const hone_gguf_tensor *t = hone_gguf_tensor_at(f, i);
        char e[128];
        if (!k->type[t->type].vec_dot)
            printf("  %s (%s)\n", hone_escape_str(t->name, e, sizeof e), hone_type_name(t->type));
    }
}

static void json_int(cJSON *o, const char *key, int64_t v)
{
    if (v < 0) cJSON_AddNullToObject(o, key);
    else cJSON_AddNumberToObject(o, key, (double)v);
}

static void json_str(cJSON *o, const char *key, const char *v)
{
    if (v[0]) cJSON_AddStringToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

static cJSON *to_json(const model_info *m)
{
    const hone_gguf_file *f = m->f;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "file", hone_gguf_path(f));
    cJSON_AddNumberToObject(o, "hone_gguf_version", hone_gguf_version(f));
    json_str(o, "architecture", m->arch);
    json_str(o, "name", m->name);
    cJSON_AddNumberToObject(o, "parameters", (double)m->params);
    cJSON_AddNumberToObject(o, "file_size", (double)hone_gguf_file_size(f));
    cJSON_AddNumberToObject(o, "n_tensors", (double)hone_gguf_n_tensors(f));
    cJSON_AddNumberToObject(o, "n_kv", (double)hone_gguf_n_kv(f));
    cJSON *types = cJSON_AddArrayToObject(o, "tensor_types");
    for (uint32_t t = 0; types && t < HONE_TYPE_COUNT; t++) {
        if (!m->types[t].tensors) continue;
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddStringToObject(e, "type", hone_type_name(t));
        cJSON_AddNumberToObject(e, "tensors", (double)m->types[t].tensors);
        cJSON_AddNumberToObject(e, "bytes", (double)m->types[t].bytes);
        cJSON_AddItemToArray(types, e);
    }
    json_int(o, "context_length", m->ctx);
    json_int(o, "embedding_length", m->embd);
    json_int(o, "layers", m->layers);
    json_int(o, "heads", m->heads);
    json_int(o, "kv_heads", m->kv_heads);
    json_int(o, "vocab_size", m->vocab);
    json_str(o, "tokenizer_model", m->tok_model);
    cJSON_AddBoolToObject(o, "chat_template", m->chat_template);
    json_str(o, "chat_template_name", m->template_name);
    cJSON_AddBoolToObject(o, "supported", m->supported);
    json_str(o, "unsupported", m->refusal);
    cJSON *feat = cJSON_AddArrayToObject(o, "features");
    for (const char *p = m->features; feat && *p;) {
        const char *e = strstr(p, ", ");
        /* a feature's own ", " would sit inside parentheses: none do */
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char item[160];
        snprintf(item, sizeof item, "%.*s", (int)n, p);
        cJSON_AddItemToArray(feat, cJSON_CreateString(item));
        p += n + (e ? 2 : 0);
    }
    cJSON_AddBoolToObject(o, "vocab_only", hone_gguf_n_tensors(f) == 0);
    cJSON *bad = cJSON_AddArrayToObject(o, "cannot_compute");
    const hone_kernels *k = hone_kernels_generic();
    for (uint64_t i = 0; bad && i < hone_gguf_n_tensors(f); i++) {
        const hone_gguf_tensor *t = hone_gguf_tensor_at(f, i);
        if (k->type[t->type].vec_dot) continue;
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddStringToObject(e, "name", t->name);
        cJSON_AddStringToObject(e, "type", hone_type_name(t->type));
        cJSON_AddItemToArray(bad, e);
    }
    return o;
}

int info_model(const char *path, int json)
{
    hone_gguf_file *f = NULL;
    hone_error err = {0};
    if (hone_gguf_open(path, NULL, &f, &err) != HONE_OK) {
        fprintf(stderr, "hone info: %s\n", err.msg);
        return 1;
    }
    model_info *m = malloc(sizeof *m);
    if (!m) {
        hone_gguf_close(f);
        fprintf(stderr, "hone info: out of memory\n");
        return 1;
    }
    collect(f, m);
    check_support(path, m);
    int rc = 0;
    if (json) {
        cJSON *o = to_json(m);
        char *s = o ? cJSON_Print(o) : NULL;
        if (s) printf("%s\n", s);
        else fprintf(stderr, "hone info: out of memory\n"), rc = 1;
        cJSON_free(s);
        cJSON_Delete(o);
    } else {
        print_text(m);
    }
    free(m);
    hone_gguf_close(f);
    return rc;
}
