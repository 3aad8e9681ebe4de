/* tokenizer.c — vocabulary loading from GGUF metadata, special tokens,
 * encoding (special-token partition, then SPM or BPE per fragment),
 * detokenization and the accessors. Follows llama.cpp's llama-vocab.cpp
 * rules (defaults per model type and pre-tokenizer family, end-of-generation
 * tokens recognised by text, piece rendering, space clean-up).
 */
/* memmem needs _GNU_SOURCE, which the build defines */
#include "tokenizer_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small utilities ---- */

int tok_grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / sz)
            return -1;
        nc *= 2;
    }
    void *q = realloc(*p, nc * sz);
    if (!q)
        return -1;
    *p = q;
    *cap = nc;
    return 0;
}

hone_status tok_push_id(tok_scratch *s, int32_t id)
{
    if (s->n_ids == s->cap_ids &&
        tok_grow((void **)&s->ids, &s->cap_ids, s->n_ids + 1, sizeof(int32_t)))
        return HONE_ERR_NOMEM;
    s->ids[s->n_ids++] = id;
    return HONE_OK;
}

struct tok_wc_slot {
    uint64_t h; /* 0 = empty */
    uint32_t key_off, key_len, ids_off, ids_n;
};

#define WC_MAX_ENTRIES (1u << 16) /* bounds the cache on huge inputs */

bool tok_wc_get(tok_scratch *s, const char *w, size_t n, uint64_t h)
{
    if (!s->wc_n)
        return false;
    h |= 1;
    for (size_t i = h & (s->wc_cap - 1);; i = (i + 1) & (s->wc_cap - 1)) {
        const struct tok_wc_slot *e = &s->wc[i];
        if (!e->h)
            return false;
        if (e->h == h && e->key_len == n && !memcmp(s->wc_keys + e->key_off, w, n)) {
            if (!e->ids_n)
                return true;
            if (tok_grow((void **)&s->ids, &s->cap_ids, s->n_ids + e->ids_n, sizeof(int32_t)))
                return false;
            memcpy(s->ids + s->n_ids, s->wc_ids + e->ids_off, e->ids_n * sizeof(int32_t));
            s->n_ids += e->ids_n;
            return true;
        }
    }
}

void tok_wc_put(tok_scratch *s, const char *w, size_t n, uint64_t h, size_t first)
{
    size_t k = s->n_ids - first;
    if (s->wc_n >= WC_MAX_ENTRIES || n > TOK_WC_MAX_WORD)
        return;
    if (!s->wc) {
        s->wc = calloc(1024, sizeof *s->wc);
        if (!s->wc)
            return;
        s->wc_cap = 1024;
    } else if ((s->wc_n + 1) * 2 > s->wc_cap) {
        size_t nc = s->wc_cap * 2;
        struct tok_wc_slot *nw = calloc(nc, sizeof *nw);
        if (!nw)
            return;
        for (size_t i = 0; i < s->wc_cap; i++) {
            if (!s->wc[i].h)
                continue;
            size_t j = s->wc[i].h & (nc - 1);
            while (nw[j].h)
                j = (j + 1) & (nc - 1);
            nw[j] = s->wc[i];
        }
        free(s->wc);
        s->wc = nw;
        s->wc_cap = nc;
    }
    if (tok_grow((void **)&s->wc_keys, &s->wc_keys_cap, s->wc_keys_len + n, 1) ||
        tok_grow((void **)&s->wc_ids, &s->wc_ids_cap, s->wc_ids_len + k, sizeof(int32_t)))
        return;
    h |= 1;
    size_t i = h & (s->wc_cap - 1);
    while (s->wc[i].h)
        i = (i + 1) & (s->wc_cap - 1);
    s->wc[i] = (struct tok_wc_slot){h, (uint32_t)s->wc_keys_len, (uint32_t)n,
                                    (uint32_t)s->wc_ids_len, (uint32_t)k};
    if (n)
        memcpy(s->wc_keys + s->wc_keys_len, w, n);
    s->wc_keys_len += n;
    if (k) /* a word may give no ids (bytes that are no tokens) */
        memcpy(s->wc_ids + s->wc_ids_len, s->ids + first, k * sizeof(int32_t));
    s->wc_ids_len += k;
    s->wc_n++;
}

uint64_t tok_hash(const char *s, size_t n)
{
    const uint64_t m = 0x9E3779B97F4A7C15ull;
    uint64_t h = 0xcbf29ce484222325ull ^ (n * m);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * m;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    if (n)
        memcpy(&w, s, n);
    h = (h ^ w) * m;
    h ^= h >> 32;
    return h * m;
}

static const char *str_ptr(const hone_tokenizer *t, int32_t id)
{
    return t->pool + t->str_off[id];
}

int32_t tok_lookup(const hone_tokenizer *t, const char *s, size_t n)
{
    uint64_t h = tok_hash(s, n);
    uint32_t h32 = (uint32_t)(h >> 32);
    uint64_t i = h & t->hmask;
    for (;;) {
        const tok_slot *sl = &t->hslots[i];
        if (sl->id < 0)
            return -1;
        if (sl->h == h32 && t->str_len[sl->id] == n && !memcmp(str_ptr(t, sl->id), s, n))
            return sl->id;
        i = (i + 1) & t->hmask;
    }
}

static void slot_put(tok_slot *slots, uint64_t mask, const hone_tokenizer *t, int32_t id)
{
    const char *s = str_ptr(t, id);
    size_t n = t->str_len[id];
    uint64_t h = tok_hash(s, n);
    uint32_t h32 = (uint32_t)(h >> 32);
    uint64_t i = h & mask;
    while (slots[i].id >= 0) {
        int32_t o = slots[i].id;
        if (slots[i].h == h32 && t->str_len[o] == n && !memcmp(str_ptr(t, o), s, n))
            break; /* duplicate text: the later id wins (llama.cpp) */
        i = (i + 1) & mask;
    }
    slots[i].id = id;
    slots[i].h = h32;
}

static int rehash(hone_tokenizer *t, uint64_t nslots)
{
    tok_slot *slots = malloc(nslots * sizeof *slots);
    if (!slots)
        return -1;
    for (uint64_t i = 0; i < nslots; i++)
        slots[i].id = -1;
    for (int32_t id = 0; id < t->n_str; id++)
        slot_put(slots, nslots - 1, t, id);
    free(t->hslots);
    t->hslots = slots;
    t->hmask = nslots - 1;
    return 0;
}

/* Append a string; with dedup it returns the existing id if present. */
static int32_t add_string(hone_tokenizer *t, const char *s, size_t n, bool dedup)
{
    if (dedup && t->hslots) {
        int32_t id = tok_lookup(t, s, n);
        if (id >= 0)
            return id;
    }
    if (n > UINT32_MAX || t->n_str == INT32_MAX)
        return -1;
    size_t cs = (size_t)t->cap_str;
    if (tok_grow((void **)&t->str_off, &cs, (size_t)t->n_str + 1, sizeof(uint64_t)))
        return -1;
    cs = (size_t)t->cap_str;
    if (tok_grow((void **)&t->str_len, &cs, (size_t)t->n_str + 1, sizeof(uint32_t)))
        return -1;
    t->cap_str = (int32_t)(cs > INT32_MAX ? INT32_MAX : cs);
    if (tok_grow((void **)&t->pool, &t->pool_cap, t->pool_len + n + 1, 1))
        return -1;
    memcpy(t->pool + t->pool_len, s, n);
    t->pool[t->pool_len + n] = 0;
    t->str_off[t->n_str] = t->pool_len;
    t->str_len[t->n_str] = (uint32_t)n;
    t->pool_len += n + 1;
    int32_t id = t->n_str++;
    if (t->hslots) {
        if ((uint64_t)t->n_str * 2 > t->hmask + 1) {
            if (rehash(t, (t->hmask + 1) * 2))
                return -1;
        } else {
            slot_put(t->hslots, t->hmask, t, id);
        }
    }
    return id;
}

int32_t tok_intern(hone_tokenizer *t, const char *s, size_t n)
{
    return add_string(t, s, n, true);
}

static uint64_t pair_slot(uint64_t key, uint64_t mask)
{
    return ((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

int32_t tok_merge_find(const hone_tokenizer *t, int32_t a, int32_t b, int32_t *res)
{
    if (!t->merges)
        return -1;
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    uint64_t i = pair_slot(key, t->mmask);
    for (;;) {
        const tok_merge *e = &t->merges[i];
        if (e->key == key) {
            *res = e->res;
            return e->rank;
        }
        if (e->key == UINT64_MAX)
            return -1;
        i = (i + 1) & t->mmask;
    }
}

static uint64_t pow2_at_least(uint64_t n)
{
    uint64_t p = 16;
    while (p < n)
        p *= 2;
    return p;
}

/* ---- loading ---- */

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
        if (add_string(t, s.ptr, (size_t)s.len, false) != i)
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory for token %d", i);
        if (sc)
            t->scores[i] = sc->arr_type == HONE_GGUF_TYPE_FLOAT32 ? hone_gguf_arr_f32(sc, (uint64_t)i)
                                                             : (float)hone_gguf_arr_i32(sc, (uint64_t)i);
        uint32_t a = TOK_ATTR_NORMAL;
        if (ty) {
            static const uint32_t map[7] = {TOK_ATTR_UNDEFINED, TOK_ATTR_NORMAL,
                                            TOK_ATTR_UNKNOWN,   TOK_ATTR_CONTROL,
                                            TOK_ATTR_USER_DEFINED, TOK_ATTR_UNUSED,
                                            TOK_ATTR_BYTE};
            int32_t v = hone_gguf_arr_i32(ty, (uint64_t)i);
            a = v >= 0 && v < 7 ? map[v] : TOK_ATTR_UNDEFINED;
        }
        t->attrs[i] = a;
    }
    if (rehash(t, pow2_at_least((uint64_t)n * 2 + 16)))
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
    t->mmask = pow2_at_least(mk->arr_n + mk->arr_n / 2 + 16) - 1;
    t->merges = malloc((t->mmask + 1) * sizeof *t->merges);
    if (!t->merges)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for the merges");
    for (uint64_t i = 0; i <= t->mmask; i++)
        t->merges[i].key = UINT64_MAX;
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
        int32_t a = tok_intern(t, s.ptr, la);
        int32_t b = tok_intern(t, sp + 1, lb);
        int32_t m = tok_intern(t, tmp, la + lb);
        if (a < 0 || b < 0 || m < 0) {
            free(tmp);
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory for the merges");
        }
        uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
        uint64_t i = pair_slot(key, t->mmask);
        while (t->merges[i].key != UINT64_MAX && t->merges[i].key != key)
            i = (i + 1) & t->mmask;
        if (t->merges[i].key == key)
            continue; /* first (lowest) rank wins */
        t->merges[i] = (tok_merge){key, (int32_t)r, m};
    }
    free(tmp);
    return HONE_OK;
}

static bool text_is(const hone_tokenizer *t, int32_t id, const char *s)
{
    size_t n = strlen(s);
    return t->str_len[id] == n && !memcmp(str_ptr(t, id), s, n);
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
            *id = TOK_NULL;
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

/* The token with this exact text, TOK_NULL if none. */
static int32_t find_text(const hone_tokenizer *t, const char *s)
{
    int32_t id = tok_lookup(t, s, strlen(s));
    return id >= 0 && id < t->n_vocab ? id : TOK_NULL;
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
        if (*rules[r].id != TOK_NULL)
            continue;
        int32_t best = TOK_NULL;
        for (const char *const *s = rules[r].texts; *s; s++) {
            int32_t id = find_text(t, *s);
            if (id != TOK_NULL && (best == TOK_NULL || id < best))
                best = id;
        }
        if (best != TOK_NULL) {
            *rules[r].id = best;
            t->attrs[best] |= TOK_ATTR_CONTROL;
        }
    }
    for (int32_t id = 0; id < t->n_vocab; id++)
        if ((t->attrs[id] & TOK_ATTR_CONTROL) && strstr(str_ptr(t, id), "unused"))
            t->attrs[id] |= TOK_ATTR_UNUSED;

    int32_t fims[3] = {t->fim_pad, t->fim_rep, t->fim_sep};
    for (int i = 0; i < 3; i++)
        if (fims[i] != TOK_NULL)
            t->eog[fims[i]] = 1;
    for (const char *const *s = EOG_TEXTS; *s; s++) {
        int32_t id = find_text(t, *s);
        if (id != TOK_NULL) {
            t->eog[id] = 1;
            t->attrs[id] |= TOK_ATTR_CONTROL;
        }
    }
    for (const char *const *s = ALWAYS_RENDER_TEXTS; *s; s++) {
        int32_t id = find_text(t, *s);
        if (id != TOK_NULL)
            t->attrs[id] = TOK_ATTR_USER_DEFINED;
    }
    int32_t ends[3] = {t->eos, t->eot, t->eom};
    for (int i = 0; i < 3; i++)
        if (ends[i] != TOK_NULL)
            t->eog[ends[i]] = 1;

    /* o200k_harmony / solar-open: "<|end|>" is not EOG there; gemma4: "</s>" */
    int32_t end_id = TOK_NULL, s_id = TOK_NULL;
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
    if (end_id != TOK_NULL && ((has_return && has_call) || (has_call && has_flush))) {
        t->eog[end_id] = 0;
        t->attrs[end_id] = TOK_ATTR_USER_DEFINED;
    }
    if (has_tool && s_id != TOK_NULL) {
        t->eog[s_id] = 0;
        t->attrs[s_id] = TOK_ATTR_NORMAL;
    }
}

typedef struct {
    const char *s;
    uint32_t len;
    int32_t key; /* token id, then index into specials */
} spec_item;

static int by_len_desc_id(const void *a, const void *b)
{
    const spec_item *x = a, *y = b;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

static int by_bytes(const void *a, const void *b)
{
    const spec_item *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Special tokens (control / user-defined / unknown) longest first, ties by
 * id (llama.cpp's order among equal lengths is unspecified; this one is
 * deterministic); spec_bucket lists them in byte order of their text (a
 * prefix before its extensions) and spec_first says where each first byte
 * starts, for the occurrence scan. */
static hone_status build_specials(hone_tokenizer *t, hone_error *err)
{
    const uint32_t mask = TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN;
    int32_t n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        n += (t->attrs[id] & mask) != 0;
    t->specials = malloc(((size_t)n + 1) * sizeof *t->specials);
    t->spec_first = calloc(257, sizeof *t->spec_first);
    t->spec_bucket = malloc(((size_t)n + 1) * sizeof *t->spec_bucket);
    spec_item *items = malloc(((size_t)n + 1) * sizeof *items);
    if (!t->specials || !t->spec_first || !t->spec_bucket || !items) {
        free(items);
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for special tokens");
    }
    n = 0;
    for (int32_t id = 0; id < t->n_vocab; id++)
        if (t->attrs[id] & mask)
            items[n++] = (spec_item){str_ptr(t, id), t->str_len[id], id};
    t->n_specials = n;
    qsort(items, (size_t)n, sizeof *items, by_len_desc_id);
    for (int32_t i = 0; i < n; i++) {
        t->specials[i] = items[i].key;
        items[i].key = i;
    }
    qsort(items, (size_t)n, sizeof *items, by_bytes);
    for (int32_t i = 0; i < n; i++)
        t->spec_bucket[i] = items[i].key;
    free(items);
    for (int32_t i = 0; i < n; i++)
        t->spec_first[(uint8_t)str_ptr(t, t->specials[i])[0] + 1]++;
    for (int b = 0; b < 256; b++)
        t->spec_first[b + 1] += t->spec_first[b];
    return HONE_OK;
}

/* llama.cpp's llama_decode_text: GPT-2 chars back to bytes; a char that is
 * no byte becomes "[UNK_BYTE_0x<hex><whole token text>]". With out NULL
 * only the length is computed. */
static size_t decode_bpe_text(const char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i = 0;
    while (i < n) {
        uint32_t cp = tok_utf8_next(s, n, &i);
        int b = tok_utf8_to_byte(cp);
        if (b >= 0) {
            if (out)
                out[o] = (char)b;
            o++;
            continue;
        }
        char u[4];
        int k = tok_utf8_put(cp, u);
        if (out) {
            memcpy(out + o, "[UNK_BYTE_0x", 12);
            for (int j = 0; j < k; j++) {
                out[o + 12 + 2 * (size_t)j] = hex[(uint8_t)u[j] >> 4];
                out[o + 13 + 2 * (size_t)j] = hex[(uint8_t)u[j] & 15];
            }
            memcpy(out + o + 12 + 2 * (size_t)k, s, n);
            out[o + 12 + 2 * (size_t)k + n] = ']';
        }
        o += 12 + 2 * (size_t)k + n + 1;
    }
    return o;
}

/* The piece of one token as llama.cpp renders it with special = true
 * (out NULL: only its length). */
static size_t render_piece(const hone_tokenizer *t, int32_t id, char *out)
{
    uint32_t a = t->attrs[id];
    const char *s = str_ptr(t, id);
    size_t n = t->str_len[id];
    if (a & (TOK_ATTR_UNKNOWN | TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED)) {
        if (out)
            memcpy(out, s, n);
        return n;
    }
    if (a & TOK_ATTR_NORMAL) {
        if (t->type == TOK_TYPE_BPE && !t->escape_ws)
            return decode_bpe_text(s, n, out);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            if (i + 2 < n && !memcmp(s + i, "\xE2\x96\x81", 3)) {
                c = ' ';
                i += 2;
            }
            if (out)
                out[o] = c;
            o++;
        }
        return o;
    }
    if (a & TOK_ATTR_BYTE) {
        char hx[3] = {n > 3 ? s[3] : 0, n > 4 ? s[4] : 0, 0};
        if (out)
            out[0] = (char)strtol(hx, NULL, 16);
        return 1;
    }
    return 0;
}

/* Pieces are bounded to keep a hostile vocabulary (long tokens of chars
 * that are no bytes) from asking for absurd memory. */
#define MAX_PIECE_POOL ((size_t)1 << 30)

static hone_status build_pieces(hone_tokenizer *t, hone_error *err)
{
    t->piece_off = malloc((size_t)t->n_vocab * sizeof *t->piece_off);
    t->piece_len = malloc((size_t)t->n_vocab * sizeof *t->piece_len);
    if (!t->piece_off || !t->piece_len)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for token pieces");
    size_t total = 0;
    for (int32_t id = 0; id < t->n_vocab; id++) {
        size_t k = render_piece(t, id, NULL);
        if (k > UINT32_MAX || k > MAX_PIECE_POOL - total)
            return hone_fail(err, HONE_ERR_FORMAT,
                             "token %d's text renders to too many bytes", id);
        t->piece_off[id] = total;
        t->piece_len[id] = (uint32_t)k;
        total += k;
    }
    t->piece_pool = malloc(total + 1);
    if (!t->piece_pool)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for token pieces");
    for (int32_t id = 0; id < t->n_vocab; id++)
        render_piece(t, id, t->piece_pool + t->piece_off[id]);
    return HONE_OK;
}

static void set_attr_by_text(hone_tokenizer *t, const char *text, uint32_t attr, bool on)
{
    int32_t id = tok_lookup(t, text, strlen(text));
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
        set_attr_by_text(t, "<mask>", TOK_ATTR_LSTRIP, true);
    } else if (icontains(name, "phi-3") || icontains(name, "phi3")) {
        for (int32_t i = 0; i < t->n_specials; i++)
            t->attrs[t->specials[i]] |= TOK_ATTR_RSTRIP;
        set_attr_by_text(t, "</s>", TOK_ATTR_RSTRIP, true);
        set_attr_by_text(t, "<unk>", TOK_ATTR_RSTRIP, false);
        set_attr_by_text(t, "<s>", TOK_ATTR_RSTRIP, false);
        set_attr_by_text(t, "<|endoftext|>", TOK_ATTR_RSTRIP, false);
    } else if (icontains(name, "modern-bert")) {
        set_attr_by_text(t, "[MASK]", TOK_ATTR_LSTRIP, true);
    }
    return HONE_OK;
}

static void free_scratch(tok_scratch *s)
{
    free(s->ids);
    free(s->seg);
    free(s->seg2);
    if (s->md)
        pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_jit_stack_free(s->jstack);
    free(s->sym);
    free(s->heap);
    free(s->norm);
    free(s->subj);
    free(s->map);
    free(s->wc);
    free(s->wc_keys);
    free(s->wc_ids);
    free(s->buf);
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
    t->eot = t->eom = t->sep = t->pad = t->mask = TOK_NULL;
    t->fim_pre = t->fim_suf = t->fim_mid = t->fim_pad = t->fim_rep = t->fim_sep = TOK_NULL;
    if (!strcmp(t->model, "llama")) {
        t->type = TOK_TYPE_SPM;
        t->bos = 1, t->eos = 2, t->unk = 0;
        t->add_space_prefix = true;
        t->add_bos = true;
        t->escape_ws = true;
    } else if (!strcmp(t->model, "gpt2")) {
        t->type = TOK_TYPE_BPE;
        t->bos = 11, t->eos = 11, t->unk = TOK_NULL;
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
            t->bos = TOK_NULL;
        if (fl & PRE_RAW_UTF8)
            t->byte_encode = false;
        if (fl & PRE_ESCAPE_WS)
            t->escape_ws = true;
    } else {
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "unsupported tokenizer.ggml.model '%s' (hone supports 'llama' and 'gpt2')",
                         t->model);
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
    if (st == HONE_OK && t->type == TOK_TYPE_BPE)
        st = load_merges(t, f, err);
    if (st != HONE_OK)
        return st;

    for (int b = 0; b < 256; b++) {
        char u[4];
        int k = tok_byte_to_utf8((uint8_t)b, u);
        t->byte_sym[b] = t->type == TOK_TYPE_BPE ? tok_intern(t, u, (size_t)k) : -1;
        static const char hex[] = "0123456789ABCDEF";
        char h[6] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
        int32_t id = tok_lookup(t, h, 6);
        if (id < 0 || id >= t->n_vocab) {
            char c = (char)b;
            id = tok_lookup(t, &c, 1);
        }
        t->byte_tok[b] = id >= 0 && id < t->n_vocab ? id : -1;
        if (t->type == TOK_TYPE_BPE && t->byte_sym[b] < 0)
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory for the byte table");
    }

    /* SPM splits its input at spaces no token can reach across (see
     * tokenizer_spm.c): record the bytes that occur right before a U+2581
     * inside some token */
    if (t->type == TOK_TYPE_SPM)
        for (int32_t id = 0; id < t->n_vocab; id++) {
            const char *s = str_ptr(t, id);
            for (uint32_t i = 1; i + 3 <= t->str_len[id]; i++)
                if (!memcmp(s + i, "\xE2\x96\x81", 3))
                    t->spm_glue[(uint8_t)s[i - 1]] = 1;
        }

    /* the newline token: SPM's <0x0A>; BPE's first token of "\n" */
    t->nl = TOK_NULL;
    if (t->type == TOK_TYPE_SPM) {
        t->nl = t->byte_tok['\n'];
    } else {
        tok_scratch s = {0};
        s.md = pcre2_match_data_create(1, NULL);
        if (!s.md)
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
        st = tok_bpe_fragment(t, &s, "\n", 1, err);
        if (st == HONE_OK && s.n_ids > 0)
            t->nl = s.ids[0];
        free_scratch(&s);
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
    if (t->type == TOK_TYPE_SPM && t->nl == TOK_NULL)
        t->nl = t->pad;
    if (t->type == TOK_TYPE_BPE && t->nl == TOK_NULL)
        t->nl = t->pad;
    detect_by_text(t);
    st = build_specials(t, err);
    if (st == HONE_OK)
        st = build_pieces(t, err);
    if (st == HONE_OK)
        st = model_attrs(t, f, err);
    return st;
}

hone_status tok_load(const hone_gguf_file *f, hone_tokenizer **out, hone_error *err)
{
    *out = NULL;
    hone_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for the tokenizer");
    hone_status st = load_all(t, f, err);
    if (st != HONE_OK) {
        tok_free(t);
        return hone_fail_wrap(err, "loading the tokenizer");
    }
    *out = t;
    return HONE_OK;
}

void tok_free(hone_tokenizer *t)
{
    if (!t)
        return;
    free(t->pool);
    free(t->str_off);
    free(t->str_len);
    free(t->hslots);
    free(t->scores);
    free(t->attrs);
    free(t->eog);
    free(t->merges);
    free(t->piece_pool);
    free(t->piece_off);
    free(t->piece_len);
    free(t->specials);
    free(t->spec_first);
    free(t->spec_bucket);
    tok_pre_free(&t->pretok);
    free(t);
}

/* ---- encoding ---- */

typedef struct {
    int32_t token; /* TOK_NULL for raw text */
    size_t off, len;
} frag;

typedef struct {
    frag *v;
    size_t n, cap;
} fragv;

static int frag_push(fragv *fv, int32_t token, size_t off, size_t len)
{
    if (fv->n == fv->cap && tok_grow((void **)&fv->v, &fv->cap, fv->n + 1, sizeof(frag)))
        return -1;
    fv->v[fv->n++] = (frag){token, off, len};
    return 0;
}

static bool c_isspace(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static uint8_t spec_byte(const hone_tokenizer *t, int32_t k, size_t d)
{
    return (uint8_t)str_ptr(t, t->specials[t->spec_bucket[k]])[d];
}

static uint32_t spec_len(const hone_tokenizer *t, int32_t k)
{
    return t->str_len[t->specials[t->spec_bucket[k]]];
}

/* Mark the specials that start at p (p[0..n)): walk the byte-sorted list,
 * narrowing the range of candidates one byte at a time (a trie walk).
 * Returns how many were newly marked. */
static size_t mark_present(const hone_tokenizer *t, const char *p, size_t n, uint8_t *present)
{
    int32_t lo = t->spec_first[(uint8_t)p[0]], hi = t->spec_first[(uint8_t)p[0] + 1];
    size_t marked = 0;
    for (size_t d = 1;; d++) {
        /* candidates share p[0..d); the ones of length d come first */
        while (lo < hi && spec_len(t, lo) == d) {
            int32_t si = t->spec_bucket[lo++];
            marked += !present[si];
            present[si] = 1;
        }
        if (lo >= hi || d >= n)
            return marked;
        uint8_t c = (uint8_t)p[d];
        int32_t a = lo, b = hi; /* first with byte d >= c */
        while (a < b) {
            int32_t m = a + (b - a) / 2;
            if (spec_byte(t, m, d) < c)
                a = m + 1;
            else
                b = m;
        }
        int32_t e = a, f = hi; /* first with byte d > c */
        while (e < f) {
            int32_t m = e + (f - e) / 2;
            if (spec_byte(t, m, d) <= c)
                e = m + 1;
            else
                f = m;
        }
        lo = a;
        hi = e;
    }
}

/* llama.cpp's tokenizer_st_partition: for each special token, longest
 * first, split every raw fragment at its occurrences (with the token's
 * lstrip/rstrip of neighbouring spaces). Tokens absent from the whole text
 * are skipped after one scan, which does not change the result. */
static hone_status partition(const hone_tokenizer *t, const char *text, size_t len,
                             bool parse_special, fragv *out, hone_error *err)
{
    out->n = 0;
    if (len == 0)
        return HONE_OK;
    if (frag_push(out, TOK_NULL, 0, len))
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
    if (t->n_specials == 0)
        return HONE_OK;
    uint8_t *present = calloc((size_t)t->n_specials, 1);
    if (!present)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
    size_t n_present = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)text[i];
        if (t->spec_first[b] < t->spec_first[b + 1])
            n_present += mark_present(t, text + i, len - i, present);
    }
    fragv tmp = {0};
    hone_status st = HONE_OK;
    for (int32_t si = 0; si < t->n_specials && n_present && st == HONE_OK; si++) {
        int32_t id = t->specials[si];
        uint32_t a = t->attrs[id];
        if (!present[si] || (!parse_special && (a & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN))))
            continue;
        const char *tt = str_ptr(t, id);
        size_t tl = t->str_len[id];
        tmp.n = 0;
        for (size_t fi = 0; fi < out->n && st == HONE_OK; fi++) {
            frag fr = out->v[fi];
            if (fr.token != TOK_NULL) {
                if (frag_push(&tmp, fr.token, fr.off, fr.len))
                    st = HONE_ERR_NOMEM;
                continue;
            }
            size_t pos = fr.off, end = fr.off + fr.len;
            for (;;) {
                const char *m = tl <= end - pos ? memmem(text + pos, end - pos, tt, tl) : NULL;
                if (!m)
                    break;
                size_t ms = (size_t)(m - text), left = ms - pos;
                if (a & TOK_ATTR_LSTRIP)
                    while (left > 0 && c_isspace(text[pos + left - 1]))
                        left--;
                if ((left > 0 && frag_push(&tmp, TOK_NULL, pos, left)) ||
                    frag_push(&tmp, id, 0, 0)) {
                    st = HONE_ERR_NOMEM;
                    break;
                }
                pos = ms + tl;
                if (a & TOK_ATTR_RSTRIP)
                    while (pos < end && c_isspace(text[pos]))
                        pos++;
                if (pos >= end)
                    break;
            }
            if (st == HONE_OK && pos < end && frag_push(&tmp, TOK_NULL, pos, end - pos))
                st = HONE_ERR_NOMEM;
        }
        fragv sw = *out;
        *out = tmp;
        tmp = sw;
    }
    free(tmp.v);
    free(present);
    if (st != HONE_OK)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory splitting special tokens");
    return HONE_OK;
}

static hone_status push_or_fail(tok_scratch *s, int32_t id, hone_error *err)
{
    if (tok_push_id(s, id) != HONE_OK)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing");
    return HONE_OK;
}

hone_status tok_encode(const hone_tokenizer *t, const char *text, size_t len, bool add_special,
                       bool parse_special, int32_t **ids, size_t *n, hone_error *err)
{
    *ids = NULL;
    *n = 0;
    if (!text && len)
        return hone_fail(err, HONE_ERR_ARG, "tok_encode: NULL text");
    tok_scratch s = {0};
    fragv fv = {0};
    hone_status st = HONE_OK;
    if (t->type == TOK_TYPE_BPE && !(s.md = pcre2_match_data_create(1, NULL)))
        st = hone_fail(err, HONE_ERR_NOMEM, "out of memory");
    if (st == HONE_OK)
        st = partition(t, text, len, parse_special, &fv, err);
    if (st == HONE_OK && add_special && t->add_bos && t->bos != TOK_NULL)
        st = push_or_fail(&s, t->bos, err);
    bool prev_special = true; /* SPM: a space prefix at the start */
    for (size_t i = 0; i < fv.n && st == HONE_OK; i++) {
        const frag *fr = &fv.v[i];
        if (fr->token != TOK_NULL) {
            st = push_or_fail(&s, fr->token, err);
            prev_special = true;
        } else if (t->type == TOK_TYPE_SPM) {
            st = tok_spm_fragment(t, &s, text + fr->off, fr->len,
                                  t->add_space_prefix && prev_special, err);
            prev_special = false;
        } else {
            st = tok_bpe_fragment(t, &s, text + fr->off, fr->len, err);
        }
    }
    if (st == HONE_OK && add_special && t->add_eos && t->eos != TOK_NULL)
        st = push_or_fail(&s, t->eos, err);
    free(fv.v);
    if (st != HONE_OK) {
        free_scratch(&s);
        return st;
    }
    *ids = s.ids;
    *n = s.n_ids;
    s.ids = NULL;
    free_scratch(&s);
    return HONE_OK;
}

/* ---- detokenization ---- */

int32_t tok_piece(const hone_tokenizer *t, int32_t id, char *buf, size_t size, bool special)
{
    if (id < 0 || id >= t->n_vocab)
        return 0;
    if (!special && (t->attrs[id] & (TOK_ATTR_UNKNOWN | TOK_ATTR_CONTROL)))
        return 0;
    size_t n = t->piece_len[id];
    if (n > size)
        return -(int32_t)n;
    memcpy(buf, t->piece_pool + t->piece_off[id], n);
    return (int32_t)n;
}

const char *tok_piece_ref(const hone_tokenizer *t, int32_t id, size_t *len)
{
    if (id < 0 || id >= t->n_vocab) {
        *len = 0;
        return NULL;
    }
    *len = t->piece_len[id];
    return t->piece_pool + t->piece_off[id];
}

/* BPE models' clean_up_tokenization_spaces, three passes as llama.cpp. */
static size_t clean_spaces(char *text, size_t total)
{
    size_t n = total ? 1 : 0;
    for (size_t i = 1; i < total; i++) { /* " ?", " !", " .", " ," */
        char x = text[i];
        if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ','))
            n--;
        text[n++] = x;
    }
    total = n;
    n = total ? 1 : 0;
    for (size_t i = 1; i < total; i++) { /* " ' " */
        char x = text[i];
        if (x == '\'' && i + 1 < total && text[i - 1] == ' ' && text[i + 1] == ' ') {
            n--;
            text[++i] = 0;
        }
        text[n++] = x;
    }
    total = n;
    n = total ? 1 : 0;
    for (size_t i = 1; i < total; i++) { /* " 's", " 'm", " 're", " 've" */
        char x = text[i];
        if (text[i - 1] == ' ' && x == '\'' && i + 1 < total) {
            char x1 = text[i + 1];
            if (x1 == 's' || x1 == 'm')
                n--;
            else if (i + 2 < total && text[i + 2] == 'e' && (x1 == 'r' || x1 == 'v'))
                n--;
        }
        text[n++] = x;
    }
    return n;
}

hone_status tok_decode(const hone_tokenizer *t, const int32_t *ids, size_t n, bool remove_special,
                       bool unparse_special, char **text, size_t *len, hone_error *err)
{
    *text = NULL;
    *len = 0;
    bool remove_space = t->add_space_prefix;
    if (remove_special && t->add_bos && n > 0 && ids[0] == t->bos) {
        remove_space = false;
        ids++;
        n--;
    }
    if (remove_special && t->add_eos && n > 0 && ids[n - 1] == t->eos)
        n--;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < t->n_vocab)
            total += t->piece_len[ids[i]];
    char *out = malloc(total + 1);
    if (!out)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory detokenizing %zu tokens", n);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t k = tok_piece(t, ids[i], out + o, total - o, unparse_special);
        const char *p = out + o;
        if (remove_space && k > 0 && p[0] == ' ') {
            memmove(out + o, p + 1, (size_t)k - 1);
            k--;
        }
        remove_space = false;
        o += (size_t)(k > 0 ? k : 0);
    }
    if (t->clean_spaces)
        o = clean_spaces(out, o);
    out[o] = 0;
    *text = out;
    *len = o;
    return HONE_OK;
}

/* ---- accessors ---- */

tok_type tok_get_type(const hone_tokenizer *t) { return t->type; }
const char *tok_model_name(const hone_tokenizer *t) { return t->model; }
const char *tok_pre_name(const hone_tokenizer *t) { return t->pre[0] ? t->pre : "default"; }
int32_t tok_n_vocab(const hone_tokenizer *t) { return t->n_vocab; }
int32_t tok_bos(const hone_tokenizer *t) { return t->bos; }
int32_t tok_eos(const hone_tokenizer *t) { return t->eos; }
int32_t tok_eot(const hone_tokenizer *t) { return t->eot; }
int32_t tok_eom(const hone_tokenizer *t) { return t->eom; }
int32_t tok_unk(const hone_tokenizer *t) { return t->unk; }
int32_t tok_pad(const hone_tokenizer *t) { return t->pad; }
int32_t tok_sep(const hone_tokenizer *t) { return t->sep; }
int32_t tok_nl(const hone_tokenizer *t) { return t->nl; }
bool tok_add_bos(const hone_tokenizer *t) { return t->add_bos; }
bool tok_add_eos(const hone_tokenizer *t) { return t->add_eos; }
bool tok_add_space_prefix(const hone_tokenizer *t) { return t->add_space_prefix; }

bool tok_is_eog(const hone_tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_vocab && t->eog[id];
}

bool tok_is_control(const hone_tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_vocab && (t->attrs[id] & TOK_ATTR_CONTROL);
}

uint32_t tok_attr(const hone_tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_vocab ? t->attrs[id] : 0;
}

float tok_score(const hone_tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_vocab ? t->scores[id] : 0.0f;
}

const char *tok_text(const hone_tokenizer *t, int32_t id, size_t *len)
{
    if (id < 0 || id >= t->n_vocab) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = t->str_len[id];
    return str_ptr(t, id);
}

int32_t tok_find(const hone_tokenizer *t, const char *text, size_t len)
{
    int32_t id = tok_lookup(t, text, len);
    return id >= 0 && id < t->n_vocab ? id : TOK_NULL;
}
