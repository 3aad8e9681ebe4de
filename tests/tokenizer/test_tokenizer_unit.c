/* test_tokenizer_unit.c — tokenizer unit tests on small synthetic vocabs
 * (built in memory with the test GGUF writer) and on the shared vocabs:
 * merge order, byte fallback, special tokens, detokenization, load errors,
 * every pre-tokenizer family's regexes, a regex split, concurrent use, and
 * random/invalid bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_writer.h"
#include "tokenizer.h"
#include "tokenizer_impl.h"

/* ---- helpers ---- */

typedef struct {
    uint8_t *buf;
    hone_gguf_file *f;
} mem_gguf;

static hone_status load_mem(gguf_writer *w, mem_gguf *m, hone_tokenizer **t, hone_error *err)
{
    size_t n = 0;
    m->buf = gw_finish(w, &n);
    gw_free(w);
    m->f = NULL;
    hone_status st = hone_gguf_open_memory(m->buf, n, &m->f, err);
    assert_int_equal(st, HONE_OK);
    return hone_tok_load(m->f, t, err);
}

static void close_mem(mem_gguf *m)
{
    hone_gguf_close(m->f);
    free(m->buf);
}

static void encode(const hone_tokenizer *t, const char *s, bool add_special, bool parse_special,
                   int32_t **ids, size_t *n)
{
    hone_error err = {0};
    assert_int_equal(hone_tok_encode(t, s, strlen(s), add_special, parse_special, ids, n, &err),
                     HONE_OK);
}

static char *decode(const hone_tokenizer *t, const int32_t *ids, size_t n, bool remove_special,
                    bool unparse)
{
    char *s = NULL;
    size_t len = 0;
    hone_error err = {0};
    assert_int_equal(hone_tok_decode(t, ids, n, remove_special, unparse, &s, &len, &err), HONE_OK);
    assert_true(strlen(s) <= len); /* the text may hold NUL bytes */
    assert_int_equal(s[len], 0);
    return s;
}

static void assert_ids(const int32_t *got, size_t n, const int32_t *want, size_t nw)
{
    if (n != nw || memcmp(got, want, n * sizeof *got)) {
        fprintf(stderr, "ids:");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %d", got[i]);
        fprintf(stderr, "\nwant:");
        for (size_t i = 0; i < nw; i++)
            fprintf(stderr, " %d", want[i]);
        fprintf(stderr, "\n");
        fail();
    }
}

/* ---- a tiny GPT-2 style vocab ---- */

enum { ID_HE = 256, ID_LL, ID_HELL, ID_GW, ID_HELLO, ID_END, ID_UD, ID_EURO, N_BPE };

static gguf_writer *bpe_writer(const char *model, const char *pre, bool with_merges)
{
    static char bytes[256][4];
    const char *toks[N_BPE];
    int32_t types[N_BPE];
    for (int b = 0; b < 256; b++) {
        int k = tok_byte_to_utf8((uint8_t)b, bytes[b]);
        bytes[b][k] = 0;
        toks[b] = bytes[b];
        types[b] = 1;
    }
    toks[ID_HE] = "he";
    toks[ID_LL] = "ll";
    toks[ID_HELL] = "hell";
    toks[ID_GW] = "\xC4\xA0w"; /* "Ġw" */
    toks[ID_HELLO] = "hello";
    toks[ID_END] = "<|end|>";
    toks[ID_UD] = "<ud>";
    toks[ID_EURO] = "x\xE2\x82\xAC"; /* "x€": € is no GPT-2 byte char */
    for (int i = 256; i < N_BPE; i++)
        types[i] = 1;
    types[ID_END] = 3; /* control */
    types[ID_UD] = 4;  /* user-defined */
    static const char *merges[] = {"h e", "l l", "he ll", "\xC4\xA0 w", "hell o"};
    gguf_writer *w = gw_new();
    gw_str(w, "general.architecture", "gpt2");
    if (model)
        gw_str(w, "tokenizer.ggml.model", model);
    if (pre)
        gw_str(w, "tokenizer.ggml.pre", pre);
    gw_arr_str(w, "tokenizer.ggml.tokens", toks, N_BPE);
    gw_arr(w, "tokenizer.ggml.token_type", HONE_GGUF_TYPE_INT32, types, N_BPE);
    if (with_merges)
        gw_arr_str(w, "tokenizer.ggml.merges", merges, 5);
    gw_u32(w, "tokenizer.ggml.eos_token_id", ID_END);
    return w;
}

static void test_bpe_merges_and_specials(void **state)
{
    (void)state;
    mem_gguf m;
    hone_tokenizer *t = NULL;
    hone_error err = {0};
    assert_int_equal(load_mem(bpe_writer("gpt2", "gpt-2", true), &m, &t, &err), HONE_OK);
    assert_int_equal(hone_tok_get_type(t), HONE_TOK_TYPE_BPE);
    assert_int_equal(hone_tok_n_vocab(t), N_BPE);
    assert_false(hone_tok_add_bos(t));

    int32_t *ids;
    size_t n;
    encode(t, "hello world", true, false, &ids, &n);
    const int32_t want[] = {ID_HELLO, ID_GW, 'o', 'r', 'l', 'd'};
    assert_ids(ids, n, want, 6);
    char *s = decode(t, ids, n, false, false);
    assert_string_equal(s, "hello world");
    free(s);
    free(ids);

    /* control tokens only with parse_special; user-defined always */
    encode(t, "a<|end|>b", false, true, &ids, &n);
    const int32_t want2[] = {'a', ID_END, 'b'};
    assert_ids(ids, n, want2, 3);
    free(ids);
    encode(t, "a<|end|>b", false, false, &ids, &n);
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(ids[i], ID_END);
    free(ids);
    encode(t, "x<ud>y", false, false, &ids, &n);
    const int32_t want3[] = {'x', ID_UD, 'y'};
    assert_ids(ids, n, want3, 3);
    free(ids);

    char buf[16];
    assert_int_equal(hone_tok_piece(t, ID_END, buf, sizeof buf, false), 0);
    assert_int_equal(hone_tok_piece(t, ID_END, buf, sizeof buf, true), 7);
    assert_memory_equal(buf, "<|end|>", 7);
    assert_int_equal(hone_tok_piece(t, ID_END, buf, 3, true), -7);
    assert_int_equal(hone_tok_piece(t, ' ', buf, sizeof buf, false), 1); /* byte 0x20's char */
    assert_int_equal(hone_tok_piece(t, -1, buf, sizeof buf, true), 0);
    /* llama.cpp's rendering of a char that is no byte */
    char big[64];
    const char *unk = "x[UNK_BYTE_0xe282acx\xE2\x82\xAC]";
    assert_int_equal(hone_tok_piece(t, ID_EURO, big, sizeof big, false), (int32_t)strlen(unk));
    assert_memory_equal(big, unk, strlen(unk));
    assert_true(hone_tok_is_eog(t, ID_END));
    assert_false(hone_tok_is_eog(t, ID_HELLO));
    assert_int_equal(hone_tok_eos(t), ID_END);
    assert_int_equal(hone_tok_nl(t), '\n');
    hone_tok_free(t);
    close_mem(&m);
}

/* A 54 KB token of chars that are no GPT-2 byte (a hostile vocabulary):
 * its piece grows linearly with it (llama.cpp's rendering appends the whole
 * token per char: ~1 GB and seconds at load); a short one keeps
 * llama.cpp's piece (test_bpe_merges_and_specials). */
static void test_long_unknown_token(void **state)
{
    (void)state;
    enum { N_CHARS = 18000 };
    static char bytes[256][4];
    const char *toks[258];
    int32_t types[258];
    for (int b = 0; b < 256; b++) {
        int k = tok_byte_to_utf8((uint8_t)b, bytes[b]);
        bytes[b][k] = 0;
        toks[b] = bytes[b];
        types[b] = 1;
    }
    char *longtok = malloc(3 * N_CHARS + 1);
    assert_non_null(longtok);
    for (int i = 0; i < N_CHARS; i++)
        memcpy(longtok + 3 * i, "\xE4\xB8\x80", 3); /* U+4E00 */
    longtok[3 * N_CHARS] = 0;
    toks[256] = longtok;
    types[256] = 1;
    toks[257] = "<|end|>";
    types[257] = 3;
    static const char *merges[] = {"h e"};
    gguf_writer *w = gw_new();
    gw_str(w, "tokenizer.ggml.model", "gpt2");
    gw_arr_str(w, "tokenizer.ggml.tokens", toks, 258);
    gw_arr(w, "tokenizer.ggml.token_type", HONE_GGUF_TYPE_INT32, types, 258);
    gw_arr_str(w, "tokenizer.ggml.merges", merges, 1);
    free(longtok);
    mem_gguf m;
    hone_tokenizer *t = NULL;
    hone_error err = {0};
    assert_int_equal(load_mem(w, &m, &t, &err), HONE_OK);
    const size_t want = (size_t)N_CHARS * strlen("[UNK_BYTE_0xe4b880]");
    size_t len = 0;
    const char *p = hone_tok_piece_ref(t, 256, &len);
    assert_non_null(p);
    assert_int_equal(len, want);
    assert_memory_equal(p, "[UNK_BYTE_0xe4b880][UNK_BYTE_0xe4b880]", 38);
    hone_tok_free(t);
    close_mem(&m);
}

static void test_load_errors(void **state)
{
    (void)state;
    struct {
        const char *model, *pre;
        bool merges;
        hone_status st;
        const char *needle;
    } cases[] = {
        {"t5", "gpt-2", true, HONE_ERR_UNSUPPORTED, "'t5'"},
        {"gpt2", "no-such-pre", true, HONE_ERR_UNSUPPORTED, "'no-such-pre'"},
        {"gpt2", "kimi-k2", true, HONE_ERR_UNSUPPORTED, "kimi-k2"},
        {NULL, NULL, true, HONE_ERR_FORMAT, "tokenizer.ggml.model"},
        {"gpt2", "gpt-2", false, HONE_ERR_FORMAT, "merges"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mem_gguf m;
        hone_tokenizer *t = NULL;
        hone_error err = {0};
        hone_status st = load_mem(bpe_writer(cases[i].model, cases[i].pre, cases[i].merges), &m,
                                  &t, &err);
        assert_int_equal(st, cases[i].st);
        assert_null(t);
        if (!strstr(err.msg, cases[i].needle))
            fail_msg("message '%s' does not name '%s'", err.msg, cases[i].needle);
        close_mem(&m);
    }
    /* tokens of the wrong type */
    gguf_writer *w = gw_new();
    gw_str(w, "tokenizer.ggml.model", "llama");
    uint32_t v[3] = {1, 2, 3};
    gw_arr(w, "tokenizer.ggml.tokens", HONE_GGUF_TYPE_UINT32, v, 3);
    mem_gguf m;
    hone_tokenizer *t = NULL;
    hone_error err = {0};
    assert_int_equal(load_mem(w, &m, &t, &err), HONE_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "tokenizer.ggml.tokens"));
    close_mem(&m);
}

/* Odd but loadable metadata: empty tokens, merges without a space or with
 * strings that are no tokens, out-of-range ids and token types, i32 scores. */
static void test_odd_metadata(void **state)
{
    (void)state;
    const char *toks[] = {"", "a", "b", "ab", "", "<s>", "c"};
    int32_t types[] = {1, 1, 1, 1, 99, 3, -5};
    int32_t scores[] = {0, -1, -2, -3, 0, 0, 7};
    const char *merges[] = {"ab", "", " ", "a b", "x y", "a b", "ab c", "\xC4\xA0 "};
    gguf_writer *w = gw_new();
    gw_str(w, "tokenizer.ggml.model", "gpt2");
    gw_str(w, "tokenizer.ggml.pre", "qwen2");
    gw_arr_str(w, "tokenizer.ggml.tokens", toks, 7);
    gw_arr(w, "tokenizer.ggml.token_type", HONE_GGUF_TYPE_INT32, types, 7);
    gw_arr(w, "tokenizer.ggml.scores", HONE_GGUF_TYPE_INT32, scores, 7);
    gw_arr_str(w, "tokenizer.ggml.merges", merges, 8);
    gw_u32(w, "tokenizer.ggml.bos_token_id", 1000000);
    gw_u32(w, "tokenizer.ggml.eos_token_id", 5);
    gw_bool(w, "tokenizer.ggml.add_bos_token", true);
    mem_gguf m;
    hone_tokenizer *t = NULL;
    hone_error err = {0};
    assert_int_equal(load_mem(w, &m, &t, &err), HONE_OK);
    size_t len;
    const char *txt = hone_tok_text(t, 0, &len);
    assert_memory_equal(txt, "[EMPTY_0]", len);
    assert_int_equal(hone_tok_bos(t), HONE_TOK_NULL); /* default 11 is out of range, key too */
    assert_int_equal(hone_tok_eos(t), 5);
    assert_true(hone_tok_score(t, 6) == 7.0f);
    int32_t *ids;
    size_t n;
    encode(t, "abc ab<s>zz\xFF", true, true, &ids, &n);
    /* "abc" merges to a string that is no token: llama.cpp then emits the
     * tokens of its single bytes; " ab" -> "ab" (the space's char is no
     * token and is dropped, as are "zz\xFF"); no BOS since it is out of range */
    const int32_t want[] = {1, 2, 6, 3, 5};
    assert_ids(ids, n, want, 5);
    free(ids);
    hone_tok_free(t);
    close_mem(&m);
}

/* ---- a tiny SentencePiece vocab ---- */

static void test_spm(void **state)
{
    (void)state;
    enum { N = 3 + 256 + 5 };
    static char bytes[256][8];
    const char *toks[N];
    float scores[N];
    int32_t types[N];
    toks[0] = "<unk>", types[0] = 2;
    toks[1] = "<s>", types[1] = 3;
    toks[2] = "</s>", types[2] = 3;
    for (int b = 0; b < 256; b++) {
        snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
        toks[3 + b] = bytes[b];
        types[3 + b] = 6;
    }
    const char *extra[5] = {"\xE2\x96\x81", "h", "i", "\xE2\x96\x81h", "\xE2\x96\x81hi"};
    const float extra_sc[5] = {-1.0f, -2.0f, -2.0f, -1.5f, -0.5f};
    for (int i = 0; i < 5; i++) {
        toks[259 + i] = extra[i];
        types[259 + i] = 1;
        scores[259 + i] = extra_sc[i];
    }
    for (int i = 0; i < 259; i++)
        scores[i] = 0;
    gguf_writer *w = gw_new();
    gw_str(w, "tokenizer.ggml.model", "llama");
    gw_arr_str(w, "tokenizer.ggml.tokens", toks, N);
    gw_arr(w, "tokenizer.ggml.scores", HONE_GGUF_TYPE_FLOAT32, scores, N);
    gw_arr(w, "tokenizer.ggml.token_type", HONE_GGUF_TYPE_INT32, types, N);
    mem_gguf m;
    hone_tokenizer *t = NULL;
    hone_error err = {0};
    assert_int_equal(load_mem(w, &m, &t, &err), HONE_OK);
    assert_true(hone_tok_add_bos(t));
    assert_int_equal(hone_tok_bos(t), 1);
    assert_int_equal(hone_tok_nl(t), 3 + '\n');

    int32_t *ids;
    size_t n;
    encode(t, "hi", true, false, &ids, &n);
    const int32_t w1[] = {1, 263};
    assert_ids(ids, n, w1, 2);
    free(ids);
    /* "é" is no token: byte fallback */
    encode(t, "h\xC3\xA9", true, false, &ids, &n);
    const int32_t w2[] = {1, 262, 3 + 0xC3, 3 + 0xA9};
    assert_ids(ids, n, w2, 4);
    char *s = decode(t, ids + 1, n - 1, false, false);
    assert_string_equal(s, "h\xC3\xA9"); /* leading space removed (add_space_prefix) */
    free(s);
    s = decode(t, ids, n, true, false);
    assert_string_equal(s, " h\xC3\xA9"); /* llama.cpp keeps it once BOS is dropped */
    free(s);
    s = decode(t, ids, n, false, true);
    assert_string_equal(s, "<s> h\xC3\xA9");
    free(s);
    free(ids);
    /* a control token starts a new fragment with its own space prefix */
    encode(t, "hi</s>hi", false, true, &ids, &n);
    const int32_t w3[] = {263, 2, 263};
    assert_ids(ids, n, w3, 3);
    free(ids);
    encode(t, "", true, false, &ids, &n);
    const int32_t w4[] = {1};
    assert_ids(ids, n, w4, 1);
    free(ids);
    hone_tok_free(t);
    close_mem(&m);
}

/* ---- pre-tokenizers ---- */

static void test_every_family_compiles(void **state)
{
    (void)state;
    size_t k = 0;
    for (const char *name; (name = hone_tok_pre_known_name(k)); k++) {
        tok_pretok p;
        hone_error err = {0};
        if (tok_pre_init(&p, name, &err) != HONE_OK)
            fail_msg("%s: %s", name, err.msg);
        assert_true(p.n_re > 0);
        tok_pre_free(&p);
    }
    assert_true(k > 80);
}

static void test_llama3_split(void **state)
{
    (void)state;
    tok_pretok p;
    hone_error err = {0};
    assert_int_equal(tok_pre_init(&p, "llama-bpe", &err), HONE_OK);
    tok_scratch s = {0};
    s.md = pcre2_match_data_create(1, NULL);
    const char *text = "Hello  world's 12345\n\n  x'LL";
    assert_int_equal(tok_pre_split(&p, &s, text, strlen(text), &err), HONE_OK);
    const char *want[] = {"Hello", " ", " world", "'s", " ",  "123",
                          "45",    "\n\n", " ",  " x",   "'LL"};
    assert_int_equal(s.n_seg, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s.n_seg; i++) {
        assert_int_equal(s.seg[i].len, strlen(want[i]));
        assert_memory_equal(text + s.seg[i].off, want[i], s.seg[i].len);
    }
    pcre2_match_data_free(s.md);
    free(s.seg);
    free(s.seg2);
    tok_pre_free(&p);
}

/* A 200k-letter word through a regex with repeated lookahead groups needs
 * more than PCRE2's default 32 KiB JIT stack (llama.cpp's std::regex
 * crashes here); hone grows the stack and succeeds. */
static void test_long_word(void **state)
{
    (void)state;
    tok_pretok p;
    hone_error err = {0};
    assert_int_equal(tok_pre_init(&p, "tekken", &err), HONE_OK);
    tok_scratch s = {0};
    s.md = pcre2_match_data_create(1, NULL);
    size_t n = 200000;
    char *text = malloc(n + 2);
    assert_non_null(text);
    memset(text, 'x', n);
    memcpy(text + n, " y", 2);
    assert_int_equal(tok_pre_split(&p, &s, text, n + 2, &err), HONE_OK);
    assert_int_equal(s.n_seg, 2);
    assert_int_equal(s.seg[0].len, n);
    assert_int_equal(s.seg[1].len, 2);
    pcre2_match_data_free(s.md);
    pcre2_match_context_free(s.mctx);
    pcre2_jit_stack_free(s.jstack);
    free(s.seg);
    free(s.seg2);
    free(text);
    tok_pre_free(&p);
}

/* ---- shared vocabs: threads and random bytes ---- */

static hone_tokenizer *load_shared(const char *name)
{
    const char *shared = getenv("HONE_SHARED");
    assert_non_null(shared);
    char path[4096];
    snprintf(path, sizeof path, "%s/vocab/%s", shared, name);
    hone_gguf_file *f = NULL;
    hone_tokenizer *t = NULL;
    hone_error err = {0};
    if (hone_gguf_open(path, NULL, &f, &err) != HONE_OK || hone_tok_load(f, &t, &err) != HONE_OK)
        fail_msg("%s: %s", path, err.msg);
    hone_gguf_close(f);
    return t;
}

typedef struct {
    const hone_tokenizer *t;
    const char *text;
    int32_t *ids;
    size_t n;
    int ok;
} job;

static void *encode_job(void *arg)
{
    job *j = arg;
    hone_error err = {0};
    for (int r = 0; r < 3; r++) {
        free(j->ids);
        j->ids = NULL;
        j->ok = hone_tok_encode(j->t, j->text, strlen(j->text), true, true, &j->ids, &j->n, &err) ==
                HONE_OK;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    const char *vocabs[] = {"ggml-vocab-llama-bpe.gguf", "ggml-vocab-llama-spm.gguf"};
    char text[8192];
    size_t o = 0;
    while (o + 120 < sizeof text)
        o += (size_t)snprintf(text + o, sizeof text - o,
                              "It's 12345 caf\xC3\xA9s, <|eot_id|>  \xE4\xBD\xA0\xE5\xA5\xBD\n\t x%zu ",
                              o);
    for (size_t v = 0; v < 2; v++) {
        hone_tokenizer *t = load_shared(vocabs[v]);
        job ref = {t, text, NULL, 0, 0};
        encode_job(&ref);
        assert_true(ref.ok);
        job jobs[4];
        pthread_t th[4];
        for (int i = 0; i < 4; i++) {
            jobs[i] = (job){t, text, NULL, 0, 0};
            assert_int_equal(pthread_create(&th[i], NULL, encode_job, &jobs[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            assert_true(jobs[i].ok);
            assert_ids(jobs[i].ids, jobs[i].n, ref.ids, ref.n);
            free(jobs[i].ids);
        }
        free(ref.ids);
        hone_tok_free(t);
    }
}

static void test_random_bytes(void **state)
{
    (void)state;
    const char *shared = getenv("HONE_SHARED");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/vocab", shared);
    DIR *d = opendir(dir);
    assert_non_null(d);
    static const uint8_t alphabet[] = {' ', '\n', '\t', 'a', 'Z', '0', '\'', '<', '|', '>',
                                       's', 0xC3, 0xA9, 0xE2, 0x96, 0x81, 0xF0, 0x9F, 0x98,
                                       0x80, 0xFF, 0xC0, 0xED, 0xA0, 0x00, 0x85, 0xE3};
    struct dirent *e;
    int vocabs = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 5, ".gguf"))
            continue;
        hone_tokenizer *t = load_shared(e->d_name);
        uint64_t x = 0x9E3779B97F4A7C15ull;
        for (int r = 0; r < 300; r++) {
            char buf[96];
            size_t n = (size_t)(r % 96);
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                buf[i] = (char)(r & 1 ? (uint8_t)x : alphabet[x % sizeof alphabet]);
            }
            int32_t *ids = NULL;
            size_t k = 0;
            hone_error err = {0};
            assert_int_equal(hone_tok_encode(t, buf, n, r & 2, r & 4, &ids, &k, &err), HONE_OK);
            for (size_t i = 0; i < k; i++)
                assert_true(ids[i] >= 0 && ids[i] < hone_tok_n_vocab(t));
            free(decode(t, ids, k, r & 8, r & 16));
            free(ids);
        }
        hone_tok_free(t);
        vocabs++;
    }
    closedir(d);
    assert_true(vocabs > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpe_merges_and_specials),
        cmocka_unit_test(test_long_unknown_token),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_spm),
        cmocka_unit_test(test_odd_metadata),
        cmocka_unit_test(test_every_family_compiles),
        cmocka_unit_test(test_llama3_split),
        cmocka_unit_test(test_long_word),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
