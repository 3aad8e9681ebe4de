/* tokenizer_decode.c — token ids back to text: each token's piece
 * rendered once at load as llama_token_to_piece does (GPT-2 chars back to
 * bytes, U+2581 back to spaces, <0xXX> to its byte), then tok_piece,
 * tok_piece_ref and tok_decode (llama_detokenize: leading-space removal,
 * BOS/EOS removal, BPE space clean-up) copy from that cache.
 *
 * Why a cache: detokenization runs once per generated token, and the
 * rendering rules (UTF-8 decoding, hex for unknown chars) cost more than a
 * copy; the pieces are immutable, so threads share them.
 */
#include "tokenizer_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- pieces, at load ---- */

/* Tokens longer than this render their chars that are no byte without the
 * copy of the whole token text llama.cpp appends to each: that copy makes a
 * piece grow with the square of the token (a 54 KB token of such chars
 * rendered to ~1 GB), and real vocabularies have no such tokens at all, so
 * short ones keep llama.cpp's exact piece and long ones stay linear. */
#define UNK_BYTE_COPY_MAX 256

/* llama.cpp's llama_decode_text: GPT-2 chars back to bytes; a char that is
 * no byte becomes "[UNK_BYTE_0x<hex><whole token text>]" (without the
 * token text when it is longer than UNK_BYTE_COPY_MAX). With out NULL only
 * the length is computed. At most 12 + 8 + UNK_BYTE_COPY_MAX + 1 bytes per
 * input byte. */
static size_t decode_bpe_text(const char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const size_t copy = n <= UNK_BYTE_COPY_MAX ? n : 0;
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
            if (copy)
                memcpy(out + o + 12 + 2 * (size_t)k, s, copy);
            out[o + 12 + 2 * (size_t)k + copy] = ']';
        }
        o += 12 + 2 * (size_t)k + copy + 1;
    }
    return o;
}

/* The piece of one token as llama.cpp renders it with special = true
 * (out NULL: only its length). */
static size_t render_piece(const hone_tokenizer *t, int32_t id, char *out)
{
    uint32_t a = t->attrs[id];
    const char *s = tok_str(&t->str, id);
    size_t n = t->str.len[id];
    if (a & (HONE_TOK_ATTR_UNKNOWN | HONE_TOK_ATTR_CONTROL | HONE_TOK_ATTR_USER_DEFINED)) {
        if (out)
            memcpy(out, s, n);
        return n;
    }
    if (a & HONE_TOK_ATTR_NORMAL) {
        if (t->type == HONE_TOK_TYPE_BPE && !t->escape_ws)
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
    if (a & HONE_TOK_ATTR_BYTE) {
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

hone_status tok_pieces_build(hone_tokenizer *t, hone_error *err)
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

/* ---- detokenization ---- */

int32_t hone_tok_piece(const hone_tokenizer *t, int32_t id, char *buf, size_t size, bool special)
{
    if (id < 0 || id >= t->n_vocab)
        return 0;
    if (!special && (t->attrs[id] & (HONE_TOK_ATTR_UNKNOWN | HONE_TOK_ATTR_CONTROL)))
        return 0;
    size_t n = t->piece_len[id];
    if (n > size)
        return -(int32_t)n;
    memcpy(buf, t->piece_pool + t->piece_off[id], n);
    return (int32_t)n;
}

const char *hone_tok_piece_ref(const hone_tokenizer *t, int32_t id, size_t *len)
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

hone_status hone_tok_decode(const hone_tokenizer *t, const int32_t *ids, size_t n, bool remove_special,
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
        int32_t k = hone_tok_piece(t, ids[i], out + o, total - o, unparse_special);
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
