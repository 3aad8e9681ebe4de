/* tokenizer_pre.c — BPE pre-tokenizers: the family named by
 * tokenizer.ggml.pre, its regexes (the strings llama.cpp's llama-vocab.cpp
 * uses for that family), compiled once per tokenizer with PCRE2 (UTF + UCP,
 * JIT), and the word split of llama.cpp's unicode_regex_split.
 *
 * How PCRE2 is made to agree with llama.cpp:
 * - llama.cpp decodes text to code points first, turning each invalid byte
 *   into U+FFFD, and rebuilds words from the code points. tok_pre_normalize
 *   does the same; words are byte ranges of that normalized text.
 * - Several regexes are applied in turn, each one inside the pieces the
 *   previous ones produced (a lookahead cannot see past a piece), and the
 *   text between matches is a piece too ("isolated" split).
 * - llama.cpp runs std::regex (ECMAScript) where \d is ASCII only, so \d is
 *   rewritten to [0-9] before compiling. Case-insensitive groups are already
 *   spelled out as '[sS]... in the family strings (PCRE2's caseless mode
 *   would also match U+017F for 's').
 * - llama.cpp's std::regex paths see non-ASCII whitespace as \v (its
 *   custom splitters treat it as whitespace, which \v also is), so the
 *   PCRE2 subject holds \v there; literal ranges such as [ࠀ-一] then
 *   exclude it as in llama.cpp. U+180E, \s for PCRE2 but not for
 *   llama.cpp, becomes U+200B. Offsets map back to the real text.
 * - Known limit: categories follow PCRE2's Unicode tables (10.42: Unicode
 *   14), llama.cpp's its own newer generated tables, so characters added in
 *   Unicode 15+ (e.g. CJK Ext. H U+31350.., emoji such as U+1FAE8) are
 *   unassigned for hone and may split differently. Differential runs of
 *   random mixed-script text against llama-tokenize agree everywhere else.
 */
#include "tokenizer_pre.h"
#include "tokenizer.h" /* tok_pre_known_name */

#include <stdlib.h>
#include <string.h>

/* ---- the families ---- */

#define RE_LLAMA3 "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define RE_QWEN2 "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define RE_GPT2 "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
#define RE_DEEPSEEK3_MAIN "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"
#define RE_PORO " ?[^(\\s|.,!?…。，、।۔،)]+"
#define RE_CONTRACT "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
#define RE_GPT4O "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+" RE_CONTRACT "?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*" RE_CONTRACT "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define RE_NEWLINES "[^\\n]+|[\\n]+"
/* llama.cpp splits these with custom code (runs of \p{N} grouped by 3 from
 * the right); hone finds the runs with PCRE2 and groups them the same way.
 * tiny_aya's own regex, \d{1,3}(?=(?:\d{3})*\b), is handled the same. */
#define DIGIT_GROUPS "\\p{AFMoE_digits}"

typedef struct {
    const char *names[12]; /* tokenizer.ggml.pre values */
    unsigned flags;
    const char *re[TOK_MAX_REGEX];
} pre_family;

#define KS PRE_KEEP_SPACES
static const pre_family FAMILIES[] = {
    {{"default"}, 0,
     {"[\\p{P}\\$\\+<=>\\^~\\|]+", RE_GPT2, "\\p{N}+", "[0-9][0-9][0-9]"}},
    {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0",
      "lfm2", "jina-v5-nano"},
     PRE_IGNORE_MERGES | PRE_ADD_BOS, {RE_LLAMA3}},
    {{"dbrx", "smaug-bpe"}, 0, {RE_LLAMA3}},
    {{"glm4", "chatglm-bpe"}, PRE_NO_BOS_ID, {RE_LLAMA3}},
    {{"jais-2"}, 0,
     {RE_CONTRACT "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}"}},
    {{"deepseek-llm"}, KS,
     {"[\r\n]",
      "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
      "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$", "[一-龥ࠀ-一가-퟿]+", "\\p{N}+"}},
    {{"deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4"}, KS,
     {"\\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+", RE_DEEPSEEK3_MAIN}},
    {{"spark2_5"}, KS,
     {"\\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+",
      "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]|\\s+(?!\\S)|\\s+",
      "\\p{N}"}},
    {{"youtu"}, KS | PRE_IGNORE_MERGES,
     {"[가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+",
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+" RE_CONTRACT "?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*" RE_CONTRACT "?|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {{"deepseek-coder"}, KS,
     {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"}},
    {{"falcon"}, 0, {"[\\p{P}\\$\\+<=>\\^~\\|`]+", RE_GPT2, "[0-9][0-9][0-9]"}},
    {{"starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2"}, 0,
     {"\\p{N}", RE_GPT2}},
    {{"command-r", "smollm"}, KS, {"\\p{N}", RE_GPT2}},
    {{"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de",
      "a.x-4.0", "mellum", "modern-bert", "exaone4"},
     0, {RE_GPT2}},
    {{"jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais"}, 0, {RE_GPT2}},
    {{"trillion", "granite-docling"}, KS, {RE_GPT2}},
    {{"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open"}, KS,
     {RE_QWEN2}},
    {{"stablelm2", "megrez"}, 0, {RE_QWEN2}},
    {{"qwen35"}, KS,
     {RE_CONTRACT "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {{"poro-chat"}, KS, {RE_PORO}},
    {{"bloom", "gpt3-finnish"}, 0, {RE_PORO}},
    {{"viking"}, KS, {RE_PORO, "\\p{N}"}},
    {{"tekken"}, KS | PRE_IGNORE_MERGES | PRE_ADD_BOS,
     {"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {{"chameleon"}, KS | PRE_ADD_BOS,
     {"<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )",
      "\\p{N}", "[\\p{P}!-/:-@\\[-`{-~]", RE_GPT2}},
    {{"gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"}, KS, {RE_GPT4O}},
    {{"granite-embed-multi-97m"}, KS | PRE_IGNORE_MERGES,
     {"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))*((?=[\\p{L}\\p{M}])([^A-Z]))+" RE_CONTRACT "?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))+((?=[\\p{L}\\p{M}])([^A-Z]))*" RE_CONTRACT "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {{"tiny_aya", "cohere2moe"}, KS,
     {DIGIT_GROUPS,
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+" RE_CONTRACT "?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*" RE_CONTRACT "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {{"superbpe"}, KS, {"\\p{N}+", "(?=(\\d{3})+(?!\\d))"}},
    {{"bailingmoe", "bailingmoe2", "llada-moe"}, KS,
     {"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"}},
    {{"seed-coder"}, KS,
     {RE_CONTRACT "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {{"ufakzeka"}, KS,
     {"[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {{"grok-2"}, KS, {RE_QWEN2}},
    {{"laguna"}, KS, {RE_NEWLINES, RE_QWEN2}},
    {{"exaone-moe"}, 0,
     {RE_CONTRACT "|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"}},
    {{"minicpm5"}, PRE_IGNORE_MERGES,
     {"\\p{N}{1,3}",
      RE_CONTRACT "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {{"gemma4", "granite-embed-multi-311m"},
     PRE_RAW_UTF8 | PRE_ESCAPE_WS | PRE_NL_WORDS | PRE_FORCE_BOS,
     {RE_NEWLINES}},
    {{"sarvam-moe"}, PRE_RAW_UTF8 | PRE_ESCAPE_WS | KS, {RE_NEWLINES}},
    {{"afmoe"}, KS,
     {DIGIT_GROUPS, "[一-鿿㐀-䶿豈-﫿぀-ゟ゠-ヿ･-ﾟ⼀-⿟เ-๿຀-໿ក-៿က-႟ꩠ-ꩿꧠ-꧿가-힯ᄀ-ᇿ]+",
      "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
};
#undef KS

/* llama.cpp's std::regex has an ASCII-only \d: spell it [0-9] (0-9 inside
 * a character class). Returns a malloc'ed copy. */
static char *rewrite_digits(const char *re)
{
    size_t n = strlen(re);
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    bool in_class = false;
    for (size_t i = 0; i < n; i++) {
        if (re[i] == '\\' && i + 1 < n) {
            if (re[i + 1] == 'd') {
                const char *rep = in_class ? "0-9" : "[0-9]";
                memcpy(out + o, rep, strlen(rep));
                o += strlen(rep);
            } else {
                out[o++] = re[i];
                out[o++] = re[i + 1];
            }
            i++;
            continue;
        }
        if (re[i] == '[' && !in_class)
            in_class = true;
        else if (re[i] == ']' && in_class)
            in_class = false;
        out[o++] = re[i];
    }
    out[o] = 0;
    return out;
}

const char *hone_tok_pre_known_name(size_t i)
{
    for (size_t f = 0; f < sizeof FAMILIES / sizeof FAMILIES[0]; f++)
        for (size_t j = 0; j < 12 && FAMILIES[f].names[j]; j++)
            if (i-- == 0)
                return FAMILIES[f].names[j];
    return NULL;
}

hone_status tok_pre_init(tok_pretok *p, const char *pre_name, hone_error *err)
{
    memset(p, 0, sizeof *p);
    const pre_family *fam = NULL;
    for (size_t i = 0; i < sizeof FAMILIES / sizeof FAMILIES[0] && !fam; i++)
        for (size_t j = 0; j < 12 && FAMILIES[i].names[j]; j++)
            if (!strcmp(FAMILIES[i].names[j], pre_name)) {
                fam = &FAMILIES[i];
                break;
            }
    if (!fam) {
        if (!strcmp(pre_name, "kimi-k2") || !strcmp(pre_name, "whitespace"))
            return hone_fail(err, HONE_ERR_UNSUPPORTED,
                             "tokenizer.ggml.pre '%s' needs a custom splitter hone does not have",
                             pre_name);
        char e[96];
        return hone_fail(err, HONE_ERR_UNSUPPORTED, "unknown pre-tokenizer tokenizer.ggml.pre = '%s'",
                         hone_escape_str(pre_name, e, sizeof e));
    }
    p->name = fam->names[0];
    p->flags = fam->flags;
    for (int i = 0; i < TOK_MAX_REGEX && fam->re[i]; i++) {
        const char *re_src = fam->re[i];
        if (!strcmp(re_src, DIGIT_GROUPS)) {
            p->digit_groups |= 1u << i;
            re_src = "\\p{N}+";
        }
        char *src = rewrite_digits(re_src);
        if (!src) {
            tok_pre_free(p);
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory compiling pre-tokenizer regex");
        }
        int ec = 0;
        PCRE2_SIZE eoff = 0;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
                                       PCRE2_UTF | PCRE2_UCP, &ec, &eoff, NULL);
        free(src);
        if (!re) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(ec, msg, sizeof msg);
            tok_pre_free(p);
            return hone_fail(err, HONE_ERR_INTERNAL,
                             "pre-tokenizer '%s' regex %d does not compile at offset %zu: %s",
                             pre_name, i, (size_t)eoff, (const char *)msg);
        }
        /* JIT is an optimisation: the interpreter gives the same matches. */
        (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
        p->re[p->n_re++] = re;
    }
    return HONE_OK;
}

void tok_pre_free(tok_pretok *p)
{
    for (int i = 0; i < p->n_re; i++)
        pcre2_code_free(p->re[i]);
    p->n_re = 0;
}

/* ---- normalization ---- */

/* Strictly valid UTF-8 (what PCRE2 accepts): the common case, no copy. */
static bool utf8_strict(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* skip ASCII 8 bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
                return false;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80)
                return false;
            if (c == 0xE0 && s[i + 1] < 0xA0)
                return false; /* overlong */
            if (c == 0xED && s[i + 1] >= 0xA0)
                return false; /* surrogate */
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
                (s[i + 3] & 0xC0) != 0x80)
                return false;
            if (c == 0xF0 && s[i + 1] < 0x90)
                return false;
            if (c == 0xF4 && s[i + 1] >= 0x90)
                return false;
            i += 4;
        } else {
            return false;
        }
    }
    return true;
}

/* llama.cpp's whitespace table beyond ASCII (unicode_set_whitespace). Its
 * regex paths see these as \v (std::regex has no Unicode \s), so hone's
 * subject does too; U+180E is \s for PCRE2 but not for llama.cpp. */
static bool llama_ws(uint32_t cp)
{
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Does valid UTF-8 text hold a character the subject must change? */
static bool needs_subst(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)text[i];
        if (c != 0xC2 && (c < 0xE1 || c > 0xE3))
            continue;
        size_t j = i;
        uint32_t cp = tok_utf8_next(text, len, &j);
        if (llama_ws(cp) || cp == 0x180E)
            return true;
    }
    return false;
}

hone_status tok_pre_normalize(tok_scratch *s, const char *text, size_t len, const char **norm,
                              const char **subj, size_t *subj_len, hone_error *err)
{
    s->use_map = false;
    if (utf8_strict((const uint8_t *)text, len) && !needs_subst(text, len)) {
        *norm = *subj = text;
        *subj_len = len;
        return HONE_OK;
    }
    /* every input byte yields at most 3 output bytes (U+FFFD) */
    size_t cap = len * 3 + 4;
    if (len > SIZE_MAX / 3 / sizeof(size_t) - 4 || tok_grow((void **)&s->norm, &s->cap_norm, cap, 1) ||
        !(s->subj = realloc(s->subj, s->cap_norm)) ||
        !(s->map = realloc(s->map, (s->cap_norm + 1) * sizeof *s->map)))
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory normalizing %zu bytes of text", len);
    size_t i = 0, on = 0, os = 0;
    while (i < len) {
        uint32_t cp = tok_utf8_next(text, len, &i);
        int k = tok_utf8_put(cp, s->norm + on);
        size_t ks;
        if (cp > 0x7F && llama_ws(cp)) {
            s->subj[os] = '\v';
            ks = 1;
        } else if (cp == 0x180E) {
            ks = (size_t)tok_utf8_put(0x200B, s->subj + os);
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            ks = (size_t)tok_utf8_put(0xFFFD, s->subj + os);
        } else {
            memcpy(s->subj + os, s->norm + on, (size_t)k);
            ks = (size_t)k;
        }
        for (size_t b = 0; b < ks; b++)
            s->map[os + b] = on;
        os += ks;
        on += (size_t)k;
    }
    s->map[os] = on;
    s->use_map = true;
    *norm = s->norm;
    *subj = s->subj;
    *subj_len = os;
    return HONE_OK;
}

/* ---- the split ---- */

static hone_status push_seg(tok_seg **v, size_t *n, size_t *cap, size_t off, size_t len,
                            hone_error *err)
{
    if (*n == *cap && tok_grow((void **)v, cap, *n + 1, sizeof **v))
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory splitting text");
    (*v)[*n].off = off;
    (*v)[(*n)++].len = len;
    return HONE_OK;
}

/* pcre2_match, retried with a bigger JIT stack when a long word exhausts
 * the default 32 KiB one (the stack lives in the per-call scratch). */
static int match(const pcre2_code *re, tok_scratch *s, PCRE2_SPTR p, size_t len, size_t pos,
                 uint32_t opts)
{
    for (;;) {
        int rc = pcre2_match(re, p, len, pos, opts | PCRE2_NO_UTF_CHECK, s->md, s->mctx);
        if (rc != PCRE2_ERROR_JIT_STACKLIMIT || s->jstack_size >= ((size_t)1 << 30))
            return rc;
        size_t size = s->jstack_size ? s->jstack_size * 16 : (size_t)1 << 20;
        pcre2_jit_stack *js = pcre2_jit_stack_create(32 * 1024, size, NULL);
        if (!s->mctx)
            s->mctx = pcre2_match_context_create(NULL);
        if (!js || !s->mctx) {
            pcre2_jit_stack_free(js);
            return rc;
        }
        pcre2_jit_stack_assign(s->mctx, NULL, js);
        pcre2_jit_stack_free(s->jstack);
        s->jstack = js;
        s->jstack_size = size;
    }
}

/* Split one piece [off, off+len) of subj with re into out. */
static hone_status split_piece(const pcre2_code *re, tok_scratch *s, const char *subj, size_t off,
                               size_t len, tok_seg **out, size_t *n_out, size_t *cap_out,
                               hone_error *err)
{
    const PCRE2_SPTR p = (PCRE2_SPTR)(subj + off);
    size_t pos = 0, prev = 0;
    uint32_t opts = 0;
    while (pos <= len) {
        int rc = match(re, s, p, len, pos, opts);
        if (rc == PCRE2_ERROR_NOMATCH) {
            if (!opts)
                break;
            /* an empty match here and no non-empty one: step one character */
            opts = 0;
            if (pos >= len)
                break;
            pos++;
            while (pos < len && (p[pos] & 0xC0) == 0x80)
                pos++;
            continue;
        }
        if (rc < 0) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return hone_fail(err, HONE_ERR_INTERNAL, "pre-tokenizer regex failed: %s",
                             (const char *)msg);
        }
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
        size_t ms = ov[0], me = ov[1];
        hone_status st = HONE_OK;
        if (ms > prev)
            st = push_seg(out, n_out, cap_out, off + prev, ms - prev, err);
        if (st == HONE_OK && me > ms)
            st = push_seg(out, n_out, cap_out, off + ms, me - ms, err);
        if (st != HONE_OK)
            return st;
        prev = me;
        pos = me;
        opts = me == ms ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
        if (me == ms && me >= len)
            break;
    }
    if (prev < len)
        return push_seg(out, n_out, cap_out, off + prev, len - prev, err);
    return HONE_OK;
}

/* llama.cpp's custom digit split (unicode_regex_split_custom_afmoe): runs
 * of \p{N} are cut into groups of 3 counted from the right; the text before
 * a run is glued to the run's first group (its quirk, kept). */
static hone_status split_digit_groups(const pcre2_code *re, tok_scratch *s, const char *subj,
                                      size_t off, size_t len, tok_seg **out, size_t *n_out,
                                      size_t *cap_out, hone_error *err)
{
    const PCRE2_SPTR p = (PCRE2_SPTR)(subj + off);
    size_t pos = 0, prev = 0;
    while (pos < len) {
        int rc = match(re, s, p, len, pos, 0);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0)
            return hone_fail(err, HONE_ERR_INTERNAL, "pre-tokenizer digit regex failed (%d)", rc);
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
        size_t ms = ov[0], me = ov[1], chars = 0;
        for (size_t b = ms; b < me; b++)
            chars += (p[b] & 0xC0) != 0x80;
        size_t cur = ms, group = chars % 3 ? chars % 3 : 3;
        while (cur < me) {
            size_t end = cur, k = 0;
            while (end < me && k < group) { /* advance `group` characters */
                end++;
                while (end < me && (p[end] & 0xC0) == 0x80)
                    end++;
                k++;
            }
            hone_status st = push_seg(out, n_out, cap_out, off + prev, end - prev, err);
            if (st != HONE_OK)
                return st;
            prev = cur = end;
            group = 3;
        }
        pos = me;
    }
    if (prev < len)
        return push_seg(out, n_out, cap_out, off + prev, len - prev, err);
    return HONE_OK;
}

hone_status tok_pre_split(const tok_pretok *p, tok_scratch *s, const char *subj, size_t len,
                          hone_error *err)
{
    s->n_seg = 0;
    if (len == 0)
        return HONE_OK;
    hone_status st = push_seg(&s->seg, &s->n_seg, &s->cap_seg, 0, len, err);
    for (int r = 0; r < p->n_re && st == HONE_OK; r++) {
        size_t n2 = 0;
        for (size_t i = 0; i < s->n_seg && st == HONE_OK; i++)
            st = (p->digit_groups >> r & 1 ? split_digit_groups : split_piece)(
                p->re[r], s, subj, s->seg[i].off, s->seg[i].len, &s->seg2, &n2, &s->cap_seg2,
                err);
        tok_seg *tv = s->seg;
        size_t tc = s->cap_seg;
        s->seg = s->seg2;
        s->cap_seg = s->cap_seg2;
        s->seg2 = tv;
        s->cap_seg2 = tc;
        s->n_seg = n2;
    }
    if (st == HONE_OK && s->use_map)
        for (size_t i = 0; i < s->n_seg; i++) {
            size_t a = s->map[s->seg[i].off], b = s->map[s->seg[i].off + s->seg[i].len];
            s->seg[i].off = a;
            s->seg[i].len = b - a;
        }
    return st;
}
