/* tokenizer_load.c — tok_load and tok_free: building a tokenizer from a
 * GGUF's tokenizer.ggml.* metadata with llama.cpp's llama-vocab.cpp rules:
 * model type and pre-tokenizer family with their defaults, the vocabulary
 * (texts, scores, types) and BPE merges, the byte tables, special token ids
 * (from the keys, then recognised by text as llama.cpp does: EOT, FIM,
 * end-of-generation), and per-model strip attributes.
 *
 * Everything a tokenizer holds is computed here once, so encoding and
 * decoding only read it (see tokenizer.h on thread safety).
 */
#include "tokenizer_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_key(const hone_gguf_file *f, const char *key)
{
    return hone_gguf_find(f, key) != NULL;
}

/* Optional string key into buf ("" when absent). */
static hone_status opt_str(const hone_gguf_file *f, const char *key, char *buf, size_t size,
                           hone_error *err)
{
    buf[0] = 0;
    if (!has_key(f, key))
        return HONE_OK;
    hone_gguf_str s;
    hone_status st = hone_gguf_get_str(f, key, &s, err);
    if (st != HONE_OK)
        return st;
    size_t n = s.len < size - 1 ? (size_t)s.len : size - 1;
    memcpy(buf, s.ptr, n);
    buf[n] = 0;
    return HONE_OK;
}

static hone_status opt_bool(const hone_gguf_file *f, const char *key, bool *v, hone_error *err)
{
    return has_key(f, key) ? hone_gguf_get_bool(f, key, v, err) : HONE_OK;
}

static hone_status load_tokens(hone_tokenizer *t, const hone_gguf_file *f, hone_error *err)
{
    const hone_gguf_kv *tk;
    hone_status st = hone_gguf_get_arr(f, "tokenizer.ggml.tokens", HONE_GGUF_TYPE_STRING, &tk, err);
    if (st != HONE_OK)
        return st;
    if (tk->arr_n == 0 || tk->arr_n > INT32_MAX / 4)
        return hone_fail(err, HONE_ERR_FORMAT, "tokenizer.ggml.tokens has %llu entries",
                         (unsigned long long)tk->arr_n);
    int32_t n = (int32_t)tk->arr_n;
    t->n_vocab = n;

    const hone_gguf_kv *sc = hone_gguf_find(f, "tokenizer.ggml.scores");
    if (sc && (sc->type != HONE_GGUF_TYPE_ARRAY ||
               (sc->arr_type != HONE_GGUF_TYPE_FLOAT32 && sc->arr_type != HONE_GGUF_TYPE_INT32) ||
               sc->arr_n < (uint64_t)n))
        return hone_fail(err, HONE_ERR_FORMAT,
                         "tokenizer.ggml.scores must be an f32/i32 array of at least %d entries", n);
    const hone_gguf_kv *ty = hone_gguf_find(f, "tokenizer.ggml.token_type");
    if (ty && (ty->type != HONE_GGUF_TYPE_ARRAY || ty->arr_type != HONE_GGUF_TYPE_INT32 ||
               ty->arr_n < (uint64_t)n))
        return hone_fail(err, HONE_ERR_FORMAT,
                         "tokenizer.ggml.token_type must be an i32 array of at least %d entries", n);

    t->scores = calloc((size_t)n, sizeof *t->scores);
    t->attrs = calloc((size_t)n, sizeof *t->attrs);
    t->eog = calloc((size_t)n, 1);
    if (!t->scores || !t->attrs || !t->eog)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for %d tokens", n);

    for (int32_t i = 0; i < n; i++) {
        hone_gguf_str s = hone_gguf_arr_str(tk, (uint64_t)i);
        char empty[32];
        if (s.len == 0) { /* llama.cpp renames empty tokens */
            snprintf(empty, sizeof empty, "[EMPTY_%d]", i);
            s.ptr = empty;
            s.len = strlen(empty);
        }
        if (tok_str_add(&t->str, s.ptr, (size_t)s.len) != i)
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory for token %d", i);
        if (sc)
            t->scores[i] = sc->arr_type == HONE_GGUF_TYPE_FLOAT32 ? hone_gguf_arr_f32(sc, (uint64_t)i)
                                                             : (float)hone_gguf_arr_i32(sc, (uint64_t)i);
        uint32_t a = HONE_TOK_ATTR_NORMAL;
        if (ty) {
            static const uint32_t map[7] = {HONE_TOK_ATTR_UNDEFINED, HONE_TOK_ATTR_NORMAL,
                                            HONE_TOK_ATTR_UNKNOWN,   HONE_TOK_ATTR_CONTROL,
                                            HONE_TOK_ATTR_USER_DEFINED, HONE_TOK_ATTR_UNUSED,
                                            HONE_TOK_ATTR_BYTE};
            int32_t v = hone_gguf_arr_i32(ty, (uint64_t)i);
            a = v >= 0 && v < 7 ? map[v] : HONE_TOK_ATTR_UNDEFINED;
        }
        t->attrs[i] = a;
    }
    if (tok_str_index(&t->str))
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory hashing %d tokens", n);
    return HONE_OK;
}

static hone_status load_merges(hone_tokenizer *t, const hone_gguf_file *f, hone_error *err)
{
    const hone_gguf_kv *mk;
    hone_status st = hone_gguf_get_arr(f, "tokenizer.ggml.merges", HONE_GGUF_TYPE_STRING, &mk, err);
    if (st != HONE_OK)
        return hone_fail_wrap(err, "BPE tokenizer needs its merges");
    if (mk->arr_n > INT32_MAX / 4)
        return hone_fail(err, HONE_ERR_FORMAT, "tokenizer.ggml.merges has too many entries");
    if (tok_merges_init(&t->merges, mk->arr_n))
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for the merges");
    char *tmp = NULL;
    size_t tmp_cap = 0;
    for (uint64_t r = 0; r < mk->arr_n; r++) {
        hone_gguf_str s = hone_gguf_arr_str(mk, r);
        /* "first second", split at the first space after position 0 */
        const char *sp = s.len > 1 ? memchr(s.ptr + 1, ' ', (size_t)s.len - 1) : NULL;
        if (!sp)
            continue; /* llama.cpp files it under ("", ""), which never matches */
        size_t la = (size_t)(sp - s.ptr), lb = (size_t)s.len - la - 1;
        if (tok_grow((void **)&tmp, &tmp_cap, la + lb + 1, 1)) {
            free(tmp);
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory for the merges");
        }
        memcpy(tmp, s.ptr, la);
        memcpy(tmp + la, sp + 1, lb);
        int32_t a = tok_str_intern(&t->str, s.ptr, la);
        int32_t b = tok_str_intern(&t->str, sp + 1, lb);
        int32_t m = tok_str_intern(&t->str, tmp, la + lb);
        if (a < 0 || b < 0 || m < 0) {
            free(tmp);
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory for the merges");
        }
        tok_merges_add(&t->merges, a, b, (int32_t)r, m); /* first (lowest) rank wins */
    }
    free(tmp);
    return HONE_OK;
}

static bool text_is(const hone_tokenizer *t, int32_t id, const char *s)
{
    size_t n = strlen(s);
    return t->str.len[id] == n && !memcmp(tok_str(&t->str, id), s, n);
}

static const char *const EOT_TEXTS[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
    "<end_of_utterance>", NULL};
static const char *const EOM_TEXTS[] = {"<|eom_id|>", NULL};
static const char *const FIM_PRE_TEXTS[] = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>",
    "▁<PRE>", "<|code_prefix|>", "<|prefix|>", NULL};
static const char *const FIM_SUF_TEXTS[] = {
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>",
    "▁<SUF>", "<|code_suffix|>", "<|suffix|>", NULL};
static const char *const FIM_MID_TEXTS[] = {
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>",
    "▁<MID>", "<|code_middle|>", "<|middle|>", NULL};
static const char *const FIM_PAD_TEXTS[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>",
                                            "<PAD>", "[PAD]", NULL};
static const char *const FIM_REP_TEXTS[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                            "<REPO>", "<reponame>", NULL};
static const char *const FIM_SEP_TEXTS[] = {"<|file_sep|>", NULL};
static const char *const EOG_TEXTS[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
    "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
    "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>",
    "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[", NULL};
static const char *const ALWAYS_RENDER_TEXTS[] = {"<|channel|>", "<|message|>", "<|start|>",
                                                  "<|constrain|>", NULL};

/* Special ids: the type's defaults, then the GGUF keys (out-of-range values
 * are ignored, as llama.cpp does with a warning). */
static hone_status load_special_ids(hone_tokenizer *t, const hone_gguf_file *f, hone_error *err)
{
    struct {
        const char *key;
        int32_t *id;
    } keys[] = {
        {"tokenizer.ggml.bos_token_id", &t->bos},
        {"tokenizer.ggml.eos_token_id", &t->eos},
        {"tokenizer.ggml.eot_token_id", &t->eot},
        {"tokenizer.ggml.eom_token_id", &t->eom},
        {"tokenizer.ggml.unknown_token_id", &t->unk},
        {"tokenizer.ggml.seperator_token_id", &t->sep},
        {"tokenizer.ggml.padding_token_id", &t->pad},
        {"tokenizer.ggml.mask_token_id", &t->mask},
        {"tokenizer.ggml.fim_pre_token_id", &t->fim_pre},
        {"tokenizer.ggml.fim_suf_token_id", &t->fim_suf},
        {"tokenizer.ggml.fim_mid_token_id", &t->fim_mid},
        {"tokenizer.ggml.fim_pad_token_id", &t->fim_pad},
        {"tokenizer.ggml.fim_rep_token_id", &t->fim_rep},
        {"tokenizer.ggml.fim_sep_token_id", &t->fim_sep},
        {"tokenizer.ggml.prefix_token_id", &t->fim_pre},
        {"tokenizer.ggml.suffix_token_id", &t->fim_suf},
        {"tokenizer.ggml.middle_token_id", &t->fim_mid},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        int32_t *id = keys[i].id;
        if (*id >= t->n_vocab)
            *id = HONE_TOK_NULL;
        if (!has_key(f, keys[i].key))
            continue;
        uint32_t v;
        hone_status st = hone_gguf_get_u32(f, keys[i].key, &v, err);
        if (st != HONE_OK)
            return st;
        if (v < (uint32_t)t->n_vocab)
            *id = (int32_t)v;
    }
    return HONE_OK;
}

/* The token with this exact text, HONE_TOK_NULL if none. */
static int32_t find_text(const hone_tokenizer *t, const char *s)
{
    int32_t id = tok_str_lookup(&t->str, s, strlen(s));
    return id >= 0 && id < t->n_vocab ? id : HONE_TOK_NULL;
}

static void detect_by_text(hone_tokenizer *t)
{
    struct {
        int32_t *id;
        const char *const *texts;
    } rules[] = {
        {&t->eot, EOT_TEXTS},         {&t->eom, EOM_TEXTS},         {&t->fim_pre, FIM_PRE_TEXTS},
        {&t->fim_suf, FIM_SUF_TEXTS}, {&t->fim_mid, FIM_MID_TEXTS}, {&t->fim_pad, FIM_PAD_TEXTS},
        {&t->fim_rep, FIM_REP_TEXTS}, {&t->fim_sep, FIM_SEP_TEXTS},
    };
    /* llama.cpp takes the first match in hash-map order; hone the lowest id */
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        if (*rules[r].id != HONE_TOK_NULL)
            continue;
        int32_t best = HONE_TOK_NULL;
        for (const char *const *s = rules[r].texts; *s; s++) {
            int32_t id = find_text(t, *s);
            if (id != HONE_TOK_NULL && (best == HONE_TOK_NULL || id < best))
                best = id;
        }
        if (best != HONE_TOK_NULL) {
            *rules[r].id = best;
            t->attrs[best] |= HONE_TOK_ATTR_CONTROL;
        }
    }
    for (int32_t id = 0; id < t->n_vocab; id++)
        if ((t->attrs[id] & HONE_TOK_ATTR_CONTROL) && strstr(tok_str(&t->str, id), "unused"))
            t->attrs[id] |= HONE_TOK_ATTR_UNUSED;

    int32_t fims[3] = {t->fim_pad, t->fim_rep, t->fim_sep};
    for (int i = 0; i < 3; i++)
        if (fims[i] != HONE_TOK_NULL)
            t->eog[fims[i]] = 1;
    for (const char *const *s = EOG_TEXTS; *s; s++) {
        int32_t id = find_text(t, *s);
        if (id != HONE_TOK_NULL) {
            t->eog[id] = 1;
            t->attrs[id] |= HONE_TOK_ATTR_CONTROL;
        }
    }
    for (const char *const *s = ALWAYS_RENDER_TEXTS; *s; s++) {
        int32_t id = find_text(t, *s);
        if (id != HONE_TOK_NULL)
            t->attrs[id] = HONE_TOK_ATTR_USER_DEFINED;
    }
    int32_t ends[3] = {t->eos, t->eot, t->eom};
    for (int i = 0; i < 3; i++)
        if (ends[i] != HONE_TOK_NULL)
            t->eog[ends[i]] = 1;

    /* o200k_harmony / solar-open: "<|end|>" is not EOG there; gemma4: "</s>" */
    int32_t end_id = HONE_TOK_NULL, s_id = HONE_TOK_NULL;
    bool has_return = false, has_call = false, has_flush = false, has_tool = false;
    for (int32_t id = 0; id < t->n_vocab; id++) {
        if (!t->eog[id])
            continue;
        has_return |= text_is(t, id, "<|return|>");
        has_call |= text_is(t, id, "<|call|>") || text_is(t, id, "<|calls|>");
        has_flush |= text_is(t, id, "<|flush|>");
        has_tool |= text_is(t, id, "<|tool_response>");
        if (text_is(t, id, "<|end|>"))
            end_id = id;
        if (text_is(t, id, "</s>"))
            s_id = id;
    }
    if (end_id != HONE_TOK_NULL && ((has_return && has_call) || (has_call && has_flush))) {
        t->eog[end_id] = 0;
        t->attrs[end_id] = HONE_TOK_ATTR_USER_DEFINED;
    }
    if (has_tool && s_id != HONE_TOK_NULL) {
        t->eog[s_id] = 0;
        t->attrs[s_id] = HONE_TOK_ATTR_NORMAL;
    }
}

static void set_attr_by_text(hone_tokenizer *t, const char *text, uint32_t attr, bool on)
{
    int32_t id = tok_str_lookup(&t->str, text, strlen(text));
    if (id < 0 || id >= t->n_vocab)
        return;
    t->attrs[id] = on ? t->attrs[id] | attr : t->attrs[id] & ~attr;
}

static bool icontains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == needle[i])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

/* Per-model strip attributes llama.cpp sets by model name. */
static hone_status model_attrs(hone_tokenizer *t, const hone_gguf_file *f, hone_error *err)
{
    char name[128], arch[64];
    hone_status st = opt_str(f, "general.name", name, sizeof name, err);
    if (st == HONE_OK)
        st = opt_str(f, "general.architecture", arch, sizeof arch, err);
    if (st != HONE_OK)
        return st;
    if (strstr(t->pre, "jina-v2-de") || strstr(t->pre, "jina-v2-es") ||
        strstr(t->pre, "jina-v2-code") || strstr(arch, "nomic-bert-moe") ||
        strstr(arch, "jina-bert-v3")) {
        set_attr_by_text(t, "<mask>", HONE_TOK_ATTR_LSTRIP, true);
    } else if (icontains(name, "phi-3") || icontains(name, "phi3")) {
        for (int32_t i = 0; i < t->n_specials; i++)
            t->attrs[t->specials[i]] |= HONE_TOK_ATTR_RSTRIP;
        set_attr_by_text(t, "</s>", HONE_TOK_ATTR_RSTRIP, true);
        set_attr_by_text(t, "<unk>", HONE_TOK_ATTR_RSTRIP, false);
        set_attr_by_text(t, "<s>", HONE_TOK_ATTR_RSTRIP, false);
        set_attr_by_text(t, "<|endoftext|>", HONE_TOK_ATTR_RSTRIP, false);
    } else if (icontains(name, "modern-bert")) {
        set_attr_by_text(t, "[MASK]", HONE_TOK_ATTR_LSTRIP, true);
    }
    return HONE_OK;
}

/* Model type, pre-tokenizer family and the flags that follow from them. */
static hone_status load_type(hone_tokenizer *t, const hone_gguf_file *f, hone_error *err)
{
    hone_status st = opt_str(f, "tokenizer.ggml.model", t->model, sizeof t->model, err);
    if (st == HONE_OK)
        st = opt_str(f, "tokenizer.ggml.pre", t->pre, sizeof t->pre, err);
    if (st != HONE_OK)
        return st;
    if (!t->model[0])
        return hone_fail(err, HONE_ERR_FORMAT, "no tokenizer.ggml.model key: the file has no tokenizer");
    t->eot = t->eom = t->sep = t->pad = t->mask = HONE_TOK_NULL;
    t->fim_pre = t->fim_suf = t->fim_mid = t->fim_pad = t->fim_rep = t->fim_sep = HONE_TOK_NULL;
    if (!strcmp(t->model, "llama")) {
        t->type = HONE_TOK_TYPE_SPM;
        t->bos = 1, t->eos = 2, t->unk = 0;
        t->add_space_prefix = true;
        t->add_bos = true;
        t->escape_ws = true;
    } else if (!strcmp(t->model, "gpt2")) {
        t->type = HONE_TOK_TYPE_BPE;
        t->bos = 11, t->eos = 11, t->unk = HONE_TOK_NULL;
        t->clean_spaces = true;
        t->byte_encode = true;
        const char *pre = t->pre[0] ? t->pre : "default";
        st = tok_pre_init(&t->pretok, pre, err);
        if (st != HONE_OK)
            return st;
        unsigned fl = t->pretok.flags;
        t->ignore_merges = fl & PRE_IGNORE_MERGES;
        t->add_bos = fl & PRE_ADD_BOS;
        if (fl & PRE_KEEP_SPACES)
            t->clean_spaces = false;
        if (fl & PRE_NO_BOS_ID)
            t->bos = HONE_TOK_NULL;
        if (fl & PRE_RAW_UTF8)
            t->byte_encode = false;
        if (fl & PRE_ESCAPE_WS)
            t->escape_ws = true;
    } else {
        char e[96];
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "unsupported tokenizer.ggml.model '%s' (hone supports 'llama' and 'gpt2')",
                         hone_escape_str(t->model, e, sizeof e));
    }
    st = opt_bool(f, "tokenizer.ggml.add_space_prefix", &t->add_space_prefix, err);
    if (st == HONE_OK)
        st = opt_bool(f, "tokenizer.ggml.remove_extra_whitespaces", &t->remove_extra_ws, err);
    return st;
}

static hone_status load_all(hone_tokenizer *t, const hone_gguf_file *f, hone_error *err)
{
    hone_status st = load_type(t, f, err);
    if (st == HONE_OK)
        st = load_tokens(t, f, err);
    if (st == HONE_OK && t->type == HONE_TOK_TYPE_BPE)
        st = load_merges(t, f, err);
    if (st != HONE_OK)
        return st;

    for (int b = 0; b < 256; b++) {
        char u[4];
        int k = tok_byte_to_utf8((uint8_t)b, u);
        t->byte_sym[b] = t->type == HONE_TOK_TYPE_BPE ? tok_str_intern(&t->str, u, (size_t)k) : -1;
        char h[6];
        tok_byte_token_text((uint8_t)b, h);
        int32_t id = tok_str_lookup(&t->str, h, 6);
        if (id < 0 || id >= t->n_vocab) {
            char c = (char)b;
            id = tok_str_lookup(&t->str, &c, 1);
        }
        t->byte_tok[b] = id >= 0 && id < t->n_vocab ? id : -1;
        if (t->type == HONE_TOK_TYPE_BPE && t->byte_sym[b] < 0)
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory for the byte table");
    }

    /* SPM splits its input at spaces no token can reach across (see
     * tokenizer_spm.c): record the bytes that occur right before a U+2581
     * inside some token */
    if (t->type == HONE_TOK_TYPE_SPM)
        for (int32_t id = 0; id < t->n_vocab; id++) {
            const char *s = tok_str(&t->str, id);
            for (uint32_t i = 1; i + 3 <= t->str.len[id]; i++)
                if (!memcmp(s + i, "\xE2\x96\x81", 3))
                    t->spm_glue[(uint8_t)s[i - 1]] = 1;
        }

    /* the newline token: SPM's <0x0A>; BPE's first token of "\n" */
    t->nl = HONE_TOK_NULL;
    if (t->type == HONE_TOK_TYPE_SPM) {
        t->nl = t->byte_tok['\n'];
    } else {
        tok_scratch s = {0};
        s.md = pcre2_match_data_create(1, NULL);
        if (!s.md)
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
        st = tok_bpe_fragment(t, &s, "\n", 1, err);
        if (st == HONE_OK && s.n_ids > 0)
            t->nl = s.ids[0];
        tok_scratch_free(&s);
        if (st != HONE_OK)
            return st;
    }

    st = load_special_ids(t, f, err);
    if (st == HONE_OK)
        st = opt_bool(f, "tokenizer.ggml.add_bos_token", &t->add_bos, err);
    if (st == HONE_OK)
        st = opt_bool(f, "tokenizer.ggml.add_eos_token", &t->add_eos, err);
    if (st == HONE_OK)
        st = opt_bool(f, "tokenizer.ggml.add_sep_token", &t->add_sep, err);
    if (st != HONE_OK)
        return st;
    if (t->pretok.flags & PRE_FORCE_BOS)
        t->add_bos = true;
    if (t->type == HONE_TOK_TYPE_SPM && t->nl == HONE_TOK_NULL)
        t->nl = t->pad;
    if (t->type == HONE_TOK_TYPE_BPE && t->nl == HONE_TOK_NULL)
        t->nl = t->pad;
    detect_by_text(t);
    st = tok_specials_build(t, err);
    if (st == HONE_OK)
        st = tok_pieces_build(t, err);
    if (st == HONE_OK)
        st = model_attrs(t, f, err);
    return st;
}

hone_status hone_tok_load(const hone_gguf_file *f, hone_tokenizer **out, hone_error *err)
{
    *out = NULL;
    hone_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for the tokenizer");
    hone_status st = load_all(t, f, err);
    if (st != HONE_OK) {
        hone_tok_free(t);
        return hone_fail_wrap(err, "loading the tokenizer");
    }
    *out = t;
    return HONE_OK;
}

void hone_tok_free(hone_tokenizer *t)
{
    if (!t)
        return;
    tok_str_free(&t->str);
    free(t->scores);
    free(t->attrs);
    free(t->eog);
    tok_merges_free(&t->merges);
    free(t->piece_pool);
    free(t->piece_off);
    free(t->piece_len);
    free(t->specials);
    free(t->spec_first);
    free(t->spec_bucket);
    tok_pre_free(&t->pretok);
    free(t);
}
