/* tokenizer.c — tok_encode and the accessors of tokenizer.h. Loading and
 * freeing are in tokenizer_load.c, detokenizing in tokenizer_decode.c.
 *
 * Encoding follows llama.cpp's llama_vocab::tokenize: the text is first cut
 * at special tokens (tokenizer_special.c), then each raw fragment goes to
 * the model's encoder (tokenizer_spm.c or tokenizer_bpe.c) with one
 * per-call scratch, so the tokenizer is only read.
 */
#include "tokenizer_impl.h"

#include <stdlib.h>

/* ---- encoding ---- */

static hone_status push_or_fail(tok_scratch *s, int32_t id, hone_error *err)
{
    if (tok_push_id(s, id) != HONE_OK)
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory tokenizing");
    return HONE_OK;
}

hone_status hone_tok_encode(const hone_tokenizer *t, const char *text, size_t len, bool add_special,
                       bool parse_special, int32_t **ids, size_t *n, hone_error *err)
{
    *ids = NULL;
    *n = 0;
    if (!text && len)
        return hone_fail(err, HONE_ERR_ARG, "tok_encode: NULL text");
    tok_scratch s = {0};
    tok_fragv fv = {0};
    hone_status st = HONE_OK;
    if (t->type == HONE_TOK_TYPE_BPE && !(s.md = pcre2_match_data_create(1, NULL)))
        st = hone_fail(err, HONE_ERR_NOMEM, "out of memory");
    if (st == HONE_OK)
        st = tok_specials_partition(t, text, len, parse_special, &fv, err);
    if (st == HONE_OK && add_special && t->add_bos && t->bos != HONE_TOK_NULL)
        st = push_or_fail(&s, t->bos, err);
    bool prev_special = true; /* SPM: a space prefix at the start */
    for (size_t i = 0; i < fv.n && st == HONE_OK; i++) {
        const tok_frag *fr = &fv.v[i];
        if (fr->token != HONE_TOK_NULL) {
            st = push_or_fail(&s, fr->token, err);
            prev_special = true;
        } else if (t->type == HONE_TOK_TYPE_SPM) {
            st = tok_spm_fragment(t, &s, text + fr->off, fr->len,
                                  t->add_space_prefix && prev_special, err);
            prev_special = false;
        } else {
            st = tok_bpe_fragment(t, &s, text + fr->off, fr->len, err);
        }
    }
    if (st == HONE_OK && add_special && t->add_eos && t->eos != HONE_TOK_NULL)
        st = push_or_fail(&s, t->eos, err);
    free(fv.v);
    if (st != HONE_OK) {
        tok_scratch_free(&s);
        return st;
    }
    *ids = s.ids;
    *n = s.n_ids;
    s.ids = NULL;
    tok_scratch_free(&s);
    return HONE_OK;
}

/* ---- accessors ---- */

hone_tok_type hone_tok_get_type(const hone_tokenizer *t) { return t->type; }
const char *hone_tok_model_name(const hone_tokenizer *t) { return t->model; }
const char *hone_tok_pre_name(const hone_tokenizer *t) { return t->pre[0] ? t->pre : "default"; }
int32_t hone_tok_n_vocab(const hone_tokenizer *t) { return t->n_vocab; }
int32_t hone_tok_bos(const hone_tokenizer *t) { return t->bos; }
int32_t hone_tok_eos(const hone_tokenizer *t) { return t->eos; }
int32_t hone_tok_eot(const hone_tokenizer *t) { return t->eot; }
int32_t hone_tok_eom(const hone_tokenizer *t) { return t->eom; }
int32_t hone_tok_unk(const hone_tokenizer *t) { return t->unk; }
int32_t hone_tok_pad(const hone_tokenizer *t) { return t->pad; }
int32_t hone_tok_sep(const hone_tokenizer *t) { return t->sep; }
int32_t hone_tok_nl(const hone_tokenizer *t) { return t->nl; }
bool hone_tok_add_bos(const hone_tokenizer *t) { return t->add_bos; }
bool hone_tok_add_eos(const hone_tokenizer *t) { return t->add_eos; }
bool hone_tok_add_space_prefix(const hone_tokenizer *t) { return t->add_space_prefix; }

bool hone_tok_is_eog(const hone_tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_vocab && t->eog[id];
}

bool hone_tok_is_control(const hone_tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_vocab && (t->attrs[id] & HONE_TOK_ATTR_CONTROL);
}

uint32_t hone_tok_attr(const hone_tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_vocab ? t->attrs[id] : 0;
}

float hone_tok_score(const hone_tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_vocab ? t->scores[id] : 0.0f;
}

const char *hone_tok_text(const hone_tokenizer *t, int32_t id, size_t *len)
{
    if (id < 0 || id >= t->n_vocab) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = t->str.len[id];
    return tok_str(&t->str, id);
}

int32_t hone_tok_find(const hone_tokenizer *t, const char *text, size_t len)
{
    int32_t id = tok_str_lookup(&t->str, text, len);
    return id >= 0 && id < t->n_vocab ? id : HONE_TOK_NULL;
}
