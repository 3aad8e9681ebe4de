/* chat_template.c — built-in chat templates (see chat_template.h).
 *
 * Detection and formatting follow llama.cpp's src/llama-chat.cpp rule for
 * rule, in the same order, so a model's template maps to the same format
 * in both. Simple "role header + content + end marker" templates are rows
 * of a table; the others are small functions.
 */
#include "chat_template.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ names */

static const char *const tmpl_names[HONE_CHAT_COUNT] = {
    [HONE_CHAT_UNKNOWN] = "unknown",
    [HONE_CHAT_CHATML] = "chatml",
    [HONE_CHAT_LLAMA2] = "llama2",
    [HONE_CHAT_LLAMA2_SYS] = "llama2-sys",
    [HONE_CHAT_LLAMA2_SYS_BOS] = "llama2-sys-bos",
    [HONE_CHAT_LLAMA2_SYS_STRIP] = "llama2-sys-strip",
    [HONE_CHAT_MISTRAL_V1] = "mistral-v1",
    [HONE_CHAT_MISTRAL_V3] = "mistral-v3",
    [HONE_CHAT_MISTRAL_V3_TEKKEN] = "mistral-v3-tekken",
    [HONE_CHAT_MISTRAL_V7] = "mistral-v7",
    [HONE_CHAT_MISTRAL_V7_TEKKEN] = "mistral-v7-tekken",
    [HONE_CHAT_PHI3] = "phi3",
    [HONE_CHAT_PHI4] = "phi4",
    [HONE_CHAT_FALCON3] = "falcon3",
    [HONE_CHAT_ZEPHYR] = "zephyr",
    [HONE_CHAT_MONARCH] = "monarch",
    [HONE_CHAT_GEMMA] = "gemma",
    [HONE_CHAT_ORION] = "orion",
    [HONE_CHAT_OPENCHAT] = "openchat",
    [HONE_CHAT_VICUNA] = "vicuna",
    [HONE_CHAT_VICUNA_ORCA] = "vicuna-orca",
    [HONE_CHAT_DEEPSEEK] = "deepseek",
    [HONE_CHAT_DEEPSEEK2] = "deepseek2",
    [HONE_CHAT_DEEPSEEK3] = "deepseek3",
    [HONE_CHAT_DEEPSEEK_OCR] = "deepseek-ocr",
    [HONE_CHAT_COMMAND_R] = "command-r",
    [HONE_CHAT_LLAMA3] = "llama3",
    [HONE_CHAT_CHATGLM3] = "chatglm3",
    [HONE_CHAT_CHATGLM4] = "chatglm4",
    [HONE_CHAT_GLMEDGE] = "glmedge",
    [HONE_CHAT_MINICPM] = "minicpm",
    [HONE_CHAT_EXAONE3] = "exaone3",
    [HONE_CHAT_EXAONE4] = "exaone4",
    [HONE_CHAT_EXAONE_MOE] = "exaone-moe",
    [HONE_CHAT_RWKV_WORLD] = "rwkv-world",
    [HONE_CHAT_GRANITE] = "granite",
    [HONE_CHAT_GRANITE_4_0] = "granite-4.0",
    [HONE_CHAT_GRANITE_4_1] = "granite-4.1",
    [HONE_CHAT_GIGACHAT] = "gigachat",
    [HONE_CHAT_MEGREZ] = "megrez",
    [HONE_CHAT_YANDEX] = "yandex",
    [HONE_CHAT_BAILING] = "bailing",
    [HONE_CHAT_BAILING_THINK] = "bailing-think",
    [HONE_CHAT_BAILING2] = "bailing2",
    [HONE_CHAT_LLAMA4] = "llama4",
    [HONE_CHAT_SMOLVLM] = "smolvlm",
    [HONE_CHAT_DOTS1] = "dots1",
    [HONE_CHAT_HUNYUAN_MOE] = "hunyuan-moe",
    [HONE_CHAT_GPT_OSS] = "gpt-oss",
    [HONE_CHAT_HUNYUAN_DENSE] = "hunyuan-dense",
    [HONE_CHAT_HUNYUAN_VL] = "hunyuan-vl",
    [HONE_CHAT_KIMI_K2] = "kimi-k2",
    [HONE_CHAT_SEED_OSS] = "seed_oss",
    [HONE_CHAT_GROK2] = "grok-2",
    [HONE_CHAT_PANGU_EMBED] = "pangu-embedded",
    [HONE_CHAT_SOLAR_OPEN] = "solar-open",
};

/* Same order as the enum; the unit test checks the two agree. */
static const char all_names[] =
    "chatml, llama2, llama2-sys, llama2-sys-bos, llama2-sys-strip, mistral-v1, "
    "mistral-v3, mistral-v3-tekken, mistral-v7, mistral-v7-tekken, phi3, phi4, "
    "falcon3, zephyr, monarch, gemma, orion, openchat, vicuna, vicuna-orca, "
    "deepseek, deepseek2, deepseek3, deepseek-ocr, command-r, llama3, chatglm3, "
    "chatglm4, glmedge, minicpm, exaone3, exaone4, exaone-moe, rwkv-world, "
    "granite, granite-4.0, granite-4.1, gigachat, megrez, yandex, bailing, "
    "bailing-think, bailing2, llama4, smolvlm, dots1, hunyuan-moe, gpt-oss, "
    "hunyuan-dense, hunyuan-vl, kimi-k2, seed_oss, grok-2, pangu-embedded, "
    "solar-open";

const char *hone_chat_template_names(void) { return all_names; }

const char *hone_chat_template_name(hone_chat_template t)
{
    if ((unsigned)t >= HONE_CHAT_COUNT) return "unknown";
    return tmpl_names[t];
}

static hone_chat_template lookup_name(const char *name)
{
    for (int t = 1; t < HONE_CHAT_COUNT; t++)
        if (strcmp(name, tmpl_names[t]) == 0) return (hone_chat_template)t;
    return HONE_CHAT_UNKNOWN;
}

hone_status hone_chat_template_by_name(const char *name, hone_chat_template *out,
                                       hone_error *err)
{
    hone_chat_template t = name ? lookup_name(name) : HONE_CHAT_UNKNOWN;
    if (t == HONE_CHAT_UNKNOWN)
        return hone_fail(err, HONE_ERR_ARG, "unknown chat template '%s' (choices: %s)",
                         name ? name : "(null)", all_names);
    *out = t;
    return HONE_OK;
}

/* ------------------------------------------------------------ detection */

static bool has(const char *s, const char *needle) { return strstr(s, needle) != NULL; }

/* Templates using [INST]: mistral's official ones, then llama-2 variants. */
static hone_chat_template detect_inst(const char *s)
{
    if (has(s, "[SYSTEM_PROMPT]")) return HONE_CHAT_MISTRAL_V7;
    if (has(s, "' [INST] ' + system_message") || has(s, "[AVAILABLE_TOOLS]")) {
        if (has(s, " [INST]")) return HONE_CHAT_MISTRAL_V1;
        if (has(s, "\"[INST]\"")) return HONE_CHAT_MISTRAL_V3_TEKKEN;
        return HONE_CHAT_MISTRAL_V3;
    }
    if (has(s, "content.strip()")) return HONE_CHAT_LLAMA2_SYS_STRIP;
    if (has(s, "bos_token + '[INST]")) return HONE_CHAT_LLAMA2_SYS_BOS;
    if (has(s, "<<SYS>>")) return HONE_CHAT_LLAMA2_SYS;
    return HONE_CHAT_LLAMA2;
}

/* The first half of llama.cpp's chain of checks. */
static hone_chat_template detect_a(const char *s)
{
    if (has(s, "<|im_start|>")) {
        if (has(s, "<|im_sep|>")) return HONE_CHAT_PHI4;
        /* SmolVLM uses <|im_start|> as BOS but is not chatml */
        if (has(s, "<end_of_utterance>")) return HONE_CHAT_SMOLVLM;
        return HONE_CHAT_CHATML;
    }
    if (strncmp(s, "mistral", 7) == 0 || has(s, "[INST]")) return detect_inst(s);
    if (has(s, "<|assistant|>") && has(s, "<|end|>")) return HONE_CHAT_PHI3;
    if (has(s, "[gMASK]<sop>")) return HONE_CHAT_CHATGLM4;
    if (has(s, "<|assistant|>") && has(s, "<|user|>")) {
        if (has(s, "<|tool_declare|>")) return HONE_CHAT_EXAONE_MOE;
        return has(s, "</s>") ? HONE_CHAT_FALCON3 : HONE_CHAT_GLMEDGE;
    }
    if (has(s, "<|{{ item['role'] }}|>") && has(s, "<|begin_of_image|>")) return HONE_CHAT_GLMEDGE;
    if (has(s, "<|user|>") && has(s, "<|endoftext|>")) return HONE_CHAT_ZEPHYR;
    if (has(s, "bos_token + message['role']")) return HONE_CHAT_MONARCH;
    if (has(s, "<start_of_turn>")) return HONE_CHAT_GEMMA;
    if (has(s, "'\\n\\nAssistant: ' + eos_token")) return HONE_CHAT_ORION;
    if (has(s, "GPT4 Correct ")) return HONE_CHAT_OPENCHAT;
    if (has(s, "USER: ") && has(s, "ASSISTANT: "))
        return has(s, "SYSTEM: ") ? HONE_CHAT_VICUNA_ORCA : HONE_CHAT_VICUNA;
    if (has(s, "### Instruction:") && has(s, "<|EOT|>")) return HONE_CHAT_DEEPSEEK;
    if (has(s, "<|START_OF_TURN_TOKEN|>") && has(s, "<|USER_TOKEN|>")) return HONE_CHAT_COMMAND_R;
    if (has(s, "<|start_header_id|>") && has(s, "<|end_header_id|>")) return HONE_CHAT_LLAMA3;
    if (has(s, "[gMASK]sop")) return HONE_CHAT_CHATGLM3;
    if (has(s, "<用户>")) return HONE_CHAT_MINICPM;
    if (has(s, "'Assistant: ' + message['content'] + eos_token")) return HONE_CHAT_DEEPSEEK2;
    if (has(s, "<｜Assistant｜>") && has(s, "<｜User｜>") && has(s, "<｜end▁of▁sentence｜>"))
        return HONE_CHAT_DEEPSEEK3;
    return HONE_CHAT_UNKNOWN;
}

static hone_chat_template detect_b(const char *s)
{
    if (has(s, "[|system|]") && has(s, "[|assistant|]") && has(s, "[|endofturn|]"))
        return has(s, "[|tool|]") ? HONE_CHAT_EXAONE4 : HONE_CHAT_EXAONE3;
    if (has(s, "rwkv-world") || has(s, "{{- 'User: ' + message['content']|trim + '\\n\\n' -}}"))
        return HONE_CHAT_RWKV_WORLD;
    if (has(s, "<|start_of_role|>")) {
        if (has(s, "<tool_call>") || has(s, "<tools>"))
            return has(s, "g4_default_system_message") ? HONE_CHAT_GRANITE_4_0
                                                       : HONE_CHAT_GRANITE_4_1;
        return HONE_CHAT_GRANITE;
    }
    if (has(s, "message['role'] + additional_special_tokens[0] + message['content'] + "
               "additional_special_tokens[1]"))
        return HONE_CHAT_GIGACHAT;
    if (has(s, "<|role_start|>")) return HONE_CHAT_MEGREZ;
    if (has(s, " Ассистент:")) return HONE_CHAT_YANDEX;
    if (has(s, "<role>ASSISTANT</role>")) {
        if (has(s, "'HUMAN'")) return HONE_CHAT_BAILING;
        if (has(s, "\"HUMAN\"") && has(s, "<think>")) return HONE_CHAT_BAILING_THINK;
        if (has(s, "<role>HUMAN</role>") && has(s, "<|role_end|>")) return HONE_CHAT_BAILING2;
    }
    if (has(s, "<|header_start|>") && has(s, "<|header_end|>")) return HONE_CHAT_LLAMA4;
    if (has(s, "<|endofuserprompt|>")) return HONE_CHAT_DOTS1;
    if (has(s, "<|extra_0|>") && has(s, "<|extra_4|>")) return HONE_CHAT_HUNYUAN_MOE;
    if (has(s, "<|start|>") && has(s, "<|channel|>")) return HONE_CHAT_GPT_OSS;
    if (has(s, "<｜hy_Assistant｜>") && has(s, "<｜hy_begin▁of▁sentence｜>")) return HONE_CHAT_HUNYUAN_VL;
    if (has(s, "<｜hy_Assistant｜>") && has(s, "<｜hy_place▁holder▁no▁3｜>"))
        return HONE_CHAT_HUNYUAN_DENSE;
    if (has(s, "<|im_assistant|>assistant<|im_middle|>")) return HONE_CHAT_KIMI_K2;
    if (has(s, "<seed:bos>")) return HONE_CHAT_SEED_OSS;
    if (has(s, "'Assistant: '  + message['content'] + '<|separator|>")) return HONE_CHAT_GROK2;
    if (has(s, "[unused9]系统：[unused10]")) return HONE_CHAT_PANGU_EMBED;
    if (has(s, "<|begin|>") && has(s, "<|end|>") && has(s, "<|content|>")) return HONE_CHAT_SOLAR_OPEN;
    return HONE_CHAT_UNKNOWN;
}

hone_status hone_chat_detect(const char *jinja_template, hone_chat_template *out,
                             hone_error *err)
{
    if (!jinja_template || !*jinja_template)
        return hone_fail(err, HONE_ERR_ARG, "no chat template to detect");
    hone_chat_template t = lookup_name(jinja_template); /* a bare name works too */
    if (t == HONE_CHAT_UNKNOWN) t = detect_a(jinja_template);
    if (t == HONE_CHAT_UNKNOWN) t = detect_b(jinja_template);
    if (t == HONE_CHAT_UNKNOWN) {
        /* show where it starts, on one line, control bytes escaped */
        char head[64];
        hone_escape_str(jinja_template, head, sizeof head);
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "chat template not recognised (starts \"%s\"); choose one by name: %s",
                         head, all_names);
    }
    *out = t;
    return HONE_OK;
}

/* ------------------------------------------------------------ output */

typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void put_n(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            if (cap > SIZE_MAX / 2) { b->oom = true; return; }
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p) { b->oom = true; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void put(sbuf *b, const char *s) { put_n(b, s, strlen(s)); }

/* C-locale isspace, as llama.cpp's trim() */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static void put_trim(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && is_space(*s)) { s++; n--; }
    while (n > 0 && is_space(s[n - 1])) n--;
    put_n(b, s, n);
}

static void put_content(sbuf *b, const char *s, bool trim)
{
    if (trim) put_trim(b, s);
    else put(b, s);
}

static bool is(const char *role, const char *name) { return strcmp(role, name) == 0; }

/* "prefix, then per message: open role close content end, then add". */
typedef struct {
    hone_chat_template t;
    const char *prefix, *open, *close, *end, *add;
    bool trim;
} wrap_row;

static const wrap_row wrap_rows[] = {
    { HONE_CHAT_CHATML, "", "<|im_start|>", "\n", "<|im_end|>\n", "<|im_start|>assistant\n", false },
    { HONE_CHAT_PHI3, "", "<|", "|>\n", "<|end|>\n", "<|assistant|>\n", false },
    { HONE_CHAT_PHI4, "", "<|im_start|>", "<|im_sep|>", "<|im_end|>", "<|im_start|>assistant<|im_sep|>", false },
    { HONE_CHAT_FALCON3, "", "<|", "|>\n", "\n", "<|assistant|>\n", false },
    { HONE_CHAT_ZEPHYR, "", "<|", "|>\n", "<|endoftext|>\n", "<|assistant|>\n", false },
    { HONE_CHAT_LLAMA3, "", "<|start_header_id|>", "<|end_header_id|>\n\n", "<|eot_id|>",
      "<|start_header_id|>assistant<|end_header_id|>\n\n", true },
    { HONE_CHAT_LLAMA4, "", "<|header_start|>", "<|header_end|>\n\n", "<|eot|>",
      "<|header_start|>assistant<|header_end|>\n\n", true },
    { HONE_CHAT_CHATGLM3, "[gMASK]sop", "<|", "|>\n ", "", "<|assistant|>", false },
    { HONE_CHAT_CHATGLM4, "[gMASK]<sop>", "<|", "|>\n", "", "<|assistant|>\n", false },
    { HONE_CHAT_GLMEDGE, "", "<|", "|>\n", "", "<|assistant|>", false },
    { HONE_CHAT_MEGREZ, "", "<|role_start|>", "<|role_end|>", "<|turn_end|>",
      "<|role_start|>assistant<|role_end|>", false },
    { HONE_CHAT_SOLAR_OPEN, "", "<|begin|>", "<|content|>", "<|end|>", "<|begin|>assistant", false },
};

static const wrap_row *find_wrap(hone_chat_template t)
{
    for (size_t i = 0; i < sizeof wrap_rows / sizeof wrap_rows[0]; i++)
        if (wrap_rows[i].t == t) return &wrap_rows[i];
    return NULL;
}

static void fmt_wrap(sbuf *b, const wrap_row *w, const hone_chat_msg *m, size_t n, bool add)
{
    put(b, w->prefix);
    for (size_t i = 0; i < n; i++) {
        put(b, w->open);
        put(b, m[i].role);
        put(b, w->close);
        put_content(b, m[i].content, w->trim);
        put(b, w->end);
    }
    if (add) put(b, w->add);
}

static void fmt_mistral_v7(sbuf *b, hone_chat_template t, const hone_chat_msg *m, size_t n)
{
    const char *sp = t == HONE_CHAT_MISTRAL_V7 ? " " : "";
    for (size_t i = 0; i < n; i++) {
        if (is(m[i].role, "system")) {
            put(b, "[SYSTEM_PROMPT]"); put(b, sp); put(b, m[i].content); put(b, "[/SYSTEM_PROMPT]");
        } else if (is(m[i].role, "user")) {
            put(b, "[INST]"); put(b, sp); put(b, m[i].content); put(b, "[/INST]");
        } else {
            put(b, sp); put(b, m[i].content); put(b, "</s>");
        }
    }
}

static void fmt_mistral_v1_v3(sbuf *b, hone_chat_template t, const hone_chat_msg *m, size_t n)
{
    const char *lead = t == HONE_CHAT_MISTRAL_V1 ? " " : "";
    const char *trail = t == HONE_CHAT_MISTRAL_V3_TEKKEN ? "" : " ";
    bool trim_assistant = t == HONE_CHAT_MISTRAL_V3;
    bool in_turn = false;
    for (size_t i = 0; i < n; i++) {
        if (!in_turn) {
            put(b, lead); put(b, "[INST]"); put(b, trail);
            in_turn = true;
        }
        if (is(m[i].role, "system")) {
            put(b, m[i].content); put(b, "\n\n");
        } else if (is(m[i].role, "user")) {
            put(b, m[i].content); put(b, lead); put(b, "[/INST]");
        } else {
            put(b, trail); put_content(b, m[i].content, trim_assistant); put(b, "</s>");
            in_turn = false;
        }
    }
}

static void fmt_llama2(sbuf *b, hone_chat_template t, const hone_chat_msg *m, size_t n)
{
    bool sys = t != HONE_CHAT_LLAMA2;
    bool bos_inside = t == HONE_CHAT_LLAMA2_SYS_BOS;
    bool strip = t == HONE_CHAT_LLAMA2_SYS_STRIP;
    bool in_turn = true; /* the leading BOS is the tokenizer's job */
    put(b, "[INST] ");
    for (size_t i = 0; i < n; i++) {
        if (!in_turn) {
            in_turn = true;
            put(b, bos_inside ? "<s>[INST] " : "[INST] ");
        }
        if (is(m[i].role, "system")) {
            if (sys) put(b, "<<SYS>>\n");
            put_content(b, m[i].content, strip);
            /* without <<SYS>> support the system text still leads the turn */
            put(b, sys ? "\n<</SYS>>\n\n" : "\n");
        } else if (is(m[i].role, "user")) {
            put_content(b, m[i].content, strip); put(b, " [/INST]");
        } else {
            put_content(b, m[i].content, strip); put(b, "</s>");
            in_turn = false;
        }
    }
}

static void fmt_monarch(sbuf *b, const hone_chat_msg *m, size_t n, bool add)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0) put(b, "<s>"); /* BOS inside the history only */
        put(b, m[i].role); put(b, "\n"); put(b, m[i].content); put(b, "</s>\n");
    }
    if (add) put(b, "<s>assistant\n");
}

/* gemma has no system role: system text is merged into the next user turn */
static void fmt_gemma(sbuf *b, const hone_chat_msg *m, size_t n, bool add)
{
    sbuf sys = { 0 };
    for (size_t i = 0; i < n; i++) {
        if (is(m[i].role, "system")) {
            put_trim(&sys, m[i].content);
            continue;
        }
        const char *role = is(m[i].role, "assistant") ? "model" : m[i].role;
        put(b, "<start_of_turn>"); put(b, role); put(b, "\n");
        if (sys.len > 0 && !is(role, "model")) {
            put_n(b, sys.p, sys.len); put(b, "\n\n");
            sys.len = 0;
        }
        put_trim(b, m[i].content); put(b, "<end_of_turn>\n");
    }
    if (add) put(b, "<start_of_turn>model\n");
    b->oom |= sys.oom;
    free(sys.p);
}

static void fmt_orion(sbuf *b, const hone_chat_msg *m, size_t n)
{
    sbuf sys = { 0 };
    for (size_t i = 0; i < n; i++) {
        if (is(m[i].role, "system")) {
            put(&sys, m[i].content);
        } else if (is(m[i].role, "user")) {
            put(b, "Human: ");
            if (sys.len > 0) {
                put_n(b, sys.p, sys.len); put(b, "\n\n");
                sys.len = 0;
            }
            put(b, m[i].content); put(b, "\n\nAssistant: </s>");
        } else {
            put(b, m[i].content); put(b, "</s>");
        }
    }
    b->oom |= sys.oom;
    free(sys.p);
}

static void fmt_openchat(sbuf *b, const hone_chat_msg *m, size_t n, bool add)
{
    for (size_t i = 0; i < n; i++) {
        if (is(m[i].role, "system")) {
            put(b, m[i].content);
        } else {
            char c = m[i].role[0];
            char up = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
            put(b, "GPT4 Correct ");
            if (c) { put_n(b, &up, 1); put(b, m[i].role + 1); }
            put(b, ": "); put(b, m[i].content);
        }
        put(b, "<|end_of_turn|>");
    }
    if (add) put(b, "GPT4 Correct Assistant:");
}

static void fmt_vicuna(sbuf *b, hone_chat_template t, const hone_chat_msg *m, size_t n, bool add)
{
    for (size_t i = 0; i < n; i++) {
        if (is(m[i].role, "system")) {
            if (t == HONE_CHAT_VICUNA_ORCA) { put(b, "SYSTEM: "); put(b, m[i].content); put(b, "\n"); }
            else { put(b, m[i].content); put(b, "\n\n"); }
        } else if (is(m[i].role, "user")) {
            put(b, "USER: "); put(b, m[i].content); put(b, "\n");
        } else if (is(m[i].role, "assistant")) {
            put(b, "ASSISTANT: "); put(b, m[i].content); put(b, "</s>\n");
        }
    }
    if (add) put(b, "ASSISTANT:");
}

/* Templates that map each known role to a (prefix, suffix) pair and drop
 * other roles. */
typedef struct {
    const char *role, *pre, *post;
    bool trim;
} role_fmt;

static void fmt_roles(sbuf *b, const role_fmt *rf, size_t nrf, const hone_chat_msg *m,
                      size_t n, bool add, const char *add_str)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < nrf; k++) {
            if (!is(m[i].role, rf[k].role)) continue;
            put(b, rf[k].pre); put_content(b, m[i].content, rf[k].trim); put(b, rf[k].post);
            break;
        }
    }
    if (add && add_str) put(b, add_str);
}

#define NROLES(a) (sizeof(a) / sizeof((a)[0]))

static void fmt_by_roles(sbuf *b, hone_chat_template t, const hone_chat_msg *m, size_t n, bool add)
{
    static const role_fmt deepseek[] = {
        { "system", "", "", false },
        { "user", "### Instruction:\n", "\n", false },
        { "assistant", "### Response:\n", "\n<|EOT|>\n", false },
    };
    static const role_fmt command_r[] = {
        { "system", "<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>", "<|END_OF_TURN_TOKEN|>", true },
        { "user", "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", "<|END_OF_TURN_TOKEN|>", true },
        { "assistant", "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", "<|END_OF_TURN_TOKEN|>", true },
    };
    static const role_fmt deepseek2[] = {
        { "system", "", "\n\n", false },
        { "user", "User: ", "\n\n", false },
        { "assistant", "Assistant: ", "<｜end▁of▁sentence｜>", false },
    };
    static const role_fmt deepseek3[] = {
        { "system", "", "\n\n", false },
        { "user", "<｜User｜>", "", false },
        { "assistant", "<｜Assistant｜>", "<｜end▁of▁sentence｜>", false },
    };
    static const role_fmt exaone[] = {
        { "system", "[|system|]", "[|endofturn|]\n", true },
        { "user", "[|user|]", "\n", true },
        { "assistant", "[|assistant|]", "[|endofturn|]\n", true },
        { "tool", "[|tool|]", "[|endofturn|]\n", true }, /* exaone4 only */
    };
    static const role_fmt exaone_moe[] = {
        { "system", "<|system|>\n", "<|endofturn|>\n", true },
        { "user", "<|user|>\n", "<|endofturn|>\n", true },
        { "assistant", "<|assistant|>\n", "<|endofturn|>\n", true },
        { "tool", "<|tool|>\n", "<|endofturn|>\n", true },
    };
    static const role_fmt yandex[] = {
        { "user", " Пользователь: ", "\n\n", false },
        { "assistant", " Ассистент: ", "\n\n", false },
    };
    static const role_fmt grok2[] = {
        { "system", "System: ", "<|separator|>\n\n", true },
        { "user", "Human: ", "<|separator|>\n\n", true },
        { "assistant", "Assistant: ", "<|separator|>\n\n", false },
    };
    switch (t) {
    case HONE_CHAT_DEEPSEEK: fmt_roles(b, deepseek, NROLES(deepseek), m, n, add, "### Response:\n"); break;
    case HONE_CHAT_COMMAND_R:
        fmt_roles(b, command_r, NROLES(command_r), m, n, add, "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
        break;
    case HONE_CHAT_DEEPSEEK2: fmt_roles(b, deepseek2, NROLES(deepseek2), m, n, add, "Assistant:"); break;
    case HONE_CHAT_DEEPSEEK3: fmt_roles(b, deepseek3, NROLES(deepseek3), m, n, add, "<｜Assistant｜>"); break;
    case HONE_CHAT_EXAONE3: fmt_roles(b, exaone, 3, m, n, add, "[|assistant|]"); break;
    case HONE_CHAT_EXAONE4: fmt_roles(b, exaone, 4, m, n, add, "[|assistant|]"); break;
    case HONE_CHAT_EXAONE_MOE: fmt_roles(b, exaone_moe, NROLES(exaone_moe), m, n, add, "<|assistant|>\n"); break;
    case HONE_CHAT_YANDEX: fmt_roles(b, yandex, NROLES(yandex), m, n, add, " Ассистент:[SEP]"); break;
    case HONE_CHAT_GROK2: fmt_roles(b, grok2, NROLES(grok2), m, n, add, "Assistant:"); break;
    default: break;
    }
}

/* Templates with one (prefix, suffix) for system, one for user and one
 * for every other role. */
static void fmt_three(sbuf *b, const char *const f[6], const hone_chat_msg *m, size_t n,
                      const char *start, const char *add_str, bool add)
{
    put(b, start);
    for (size_t i = 0; i < n; i++) {
        int k = is(m[i].role, "system") ? 0 : is(m[i].role, "user") ? 2 : 4;
        put(b, f[k]); put(b, m[i].content); put(b, f[k + 1]);
    }
    if (add && add_str) put(b, add_str);
}

static void fmt_minicpm(sbuf *b, const hone_chat_msg *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool user = is(m[i].role, "user");
        if (user) put(b, "<用户>");
        put_trim(b, m[i].content);
        if (user) put(b, "<AI>");
    }
}

static void fmt_rwkv(sbuf *b, const hone_chat_msg *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (is(m[i].role, "system")) {
            put(b, "System: "); put_trim(b, m[i].content); put(b, "\n\n");
        } else if (is(m[i].role, "user")) {
            put(b, "User: "); put_trim(b, m[i].content); put(b, "\n\n");
            /* "\n\n" is the EOT token: the last user turn always opens the reply */
            if (i == n - 1) put(b, "Assistant:");
        } else if (is(m[i].role, "assistant")) {
            put(b, "Assistant: "); put_trim(b, m[i].content); put(b, "\n\n");
        }
    }
}

static void fmt_granite(sbuf *b, hone_chat_template t, const hone_chat_msg *m, size_t n, bool add)
{
    for (size_t i = 0; i < n; i++) {
        bool tool_call = is(m[i].role, "assistant_tool_call");
        put(b, "<|start_of_role|>");
        /* 3.x keeps the role name; 4.x writes it as an assistant turn */
        put(b, tool_call && t != HONE_CHAT_GRANITE ? "assistant" : m[i].role);
        put(b, "<|end_of_role|>");
        if (tool_call) put(b, "<|tool_call|>");
        put(b, m[i].content); put(b, "<|end_of_text|>\n");
    }
    if (add) put(b, "<|start_of_role|>assistant<|end_of_role|>");
}

static void fmt_gigachat(sbuf *b, const hone_chat_msg *m, size_t n, bool add)
{
    bool has_sys = n > 0 && is(m[0].role, "system");
    put(b, "<s>");
    if (has_sys) { put(b, m[0].content); put(b, "<|message_sep|>"); }
    for (size_t i = has_sys ? 1 : 0; i < n; i++) {
        if (is(m[i].role, "user")) {
            put(b, "user<|role_sep|>"); put(b, m[i].content);
            put(b, "<|message_sep|>available functions<|role_sep|>[]<|message_sep|>");
        } else if (is(m[i].role, "assistant")) {
            put(b, "assistant<|role_sep|>"); put(b, m[i].content); put(b, "<|message_sep|>");
        }
    }
    if (add) put(b, "assistant<|role_sep|>");
}

static void put_upper_role(sbuf *b, const char *role)
{
    if (is(role, "user")) { put(b, "HUMAN"); return; }
    for (const char *p = role; *p; p++) {
        char c = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
        put_n(b, &c, 1);
    }
}

static void fmt_bailing(sbuf *b, hone_chat_template t, const hone_chat_msg *m, size_t n, bool add)
{
    bool v2 = t == HONE_CHAT_BAILING2;
    if (v2 && !(n > 0 && is(m[0].role, "system")))
        put(b, "<role>SYSTEM</role>detailed thinking off<|role_end|>");
    for (size_t i = 0; i < n; i++) {
        put(b, "<role>"); put_upper_role(b, m[i].role); put(b, "</role>");
        put(b, m[i].content);
        if (v2) put(b, "<|role_end|>");
    }
    if (add) {
        put(b, "<role>ASSISTANT</role>");
        if (t == HONE_CHAT_BAILING_THINK) put(b, "<think>");
    }
}

static void fmt_hunyuan(sbuf *b, hone_chat_template t, const hone_chat_msg *m, size_t n)
{
    bool vl = t == HONE_CHAT_HUNYUAN_VL;
    if (vl) put(b, "<｜hy_begin▁of▁sentence｜>");
    for (size_t i = 0; i < n; i++) {
        if (i == 0 && is(m[i].role, "system")) {
            put(b, m[i].content); put(b, "<｜hy_place▁holder▁no▁3｜>");
            if (vl) continue;
        }
        if (vl) {
            if (is(m[i].role, "user")) { put(b, m[i].content); put(b, "<｜hy_User｜>"); }
            else if (is(m[i].role, "assistant")) { put(b, m[i].content); put(b, "<｜hy_Assistant｜>"); }
        } else if (is(m[i].role, "assistant")) {
            put(b, "<｜hy_Assistant｜>"); put(b, m[i].content); put(b, "<｜hy_place▁holder▁no▁2｜>");
        } else if (is(m[i].role, "user")) {
            put(b, "<｜hy_User｜>"); put(b, m[i].content); put(b, "<｜hy_Assistant｜>");
        }
    }
}

static void fmt_kimi(sbuf *b, const hone_chat_msg *m, size_t n, bool add)
{
    for (size_t i = 0; i < n; i++) {
        const char *r = m[i].role;
        if (is(r, "system")) put(b, "<|im_system|>system<|im_middle|>");
        else if (is(r, "user")) put(b, "<|im_user|>user<|im_middle|>");
        else if (is(r, "assistant")) put(b, "<|im_assistant|>assistant<|im_middle|>");
        else if (is(r, "tool")) put(b, "<|im_system|>tool<|im_middle|>");
        put(b, m[i].content); put(b, "<|im_end|>");
    }
    if (add) put(b, "<|im_assistant|>assistant<|im_middle|>");
}

static void fmt_pangu(sbuf *b, const hone_chat_msg *m, size_t n, bool add)
{
    static const char *const roles[][2] = {
        { "system", "系统" }, { "user", "用户" }, { "assistant", "助手" },
        { "tool", "工具" }, { "function", "方法" },
    };
    for (size_t i = 0; i < n; i++) {
        if (i == 0 && !is(m[i].role, "system")) put(b, "[unused9]系统：[unused10]");
        for (size_t k = 0; k < sizeof roles / sizeof roles[0]; k++) {
            if (!is(m[i].role, roles[k][0])) continue;
            put(b, "[unused9]"); put(b, roles[k][1]); put(b, "："); put(b, m[i].content);
            put(b, "[unused10]");
            break;
        }
    }
    if (add) put(b, "[unused9]助手：");
}

static void fmt_misc(sbuf *b, hone_chat_template t, const hone_chat_msg *m, size_t n, bool add)
{
    static const char *const smolvlm[6] = { "", "\n\n", "User: ", "<end_of_utterance>\n",
                                            "Assistant: ", "<end_of_utterance>\n" };
    static const char *const dots1[6] = { "<|system|>", "<|endofsystem|>", "<|userprompt|>",
                                          "<|endofuserprompt|>", "<|response|>", "<|endofresponse|>" };
    static const char *const hunyuan_moe[6] = { "<|startoftext|>", "<|extra_4|>", "<|startoftext|>",
                                                "<|extra_0|>", "", "<|eos|>" };
    switch (t) {
    case HONE_CHAT_SMOLVLM: fmt_three(b, smolvlm, m, n, "<|im_start|>", "Assistant:", add); break;
    case HONE_CHAT_DOTS1: fmt_three(b, dots1, m, n, "", "<|response|>", add); break;
    case HONE_CHAT_HUNYUAN_MOE: {
        /* here "other" is the user: only the assistant differs */
        for (size_t i = 0; i < n; i++) {
            int k = is(m[i].role, "system") ? 0 : is(m[i].role, "assistant") ? 4 : 2;
            put(b, hunyuan_moe[k]); put(b, m[i].content); put(b, hunyuan_moe[k + 1]);
        }
        break;
    }
    case HONE_CHAT_GPT_OSS:
        for (size_t i = 0; i < n; i++) {
            put(b, "<|start|>"); put(b, m[i].role); put(b, "<|message|>"); put(b, m[i].content);
            put(b, is(m[i].role, "assistant") ? "<|return|>" : "<|end|>");
        }
        if (add) put(b, "<|start|>assistant");
        break;
    case HONE_CHAT_SEED_OSS:
        for (size_t i = 0; i < n; i++) {
            put(b, "<seed:bos>"); put(b, m[i].role); put(b, "\n");
            put_content(b, m[i].content, is(m[i].role, "assistant")); put(b, "<seed:eos>");
        }
        if (add) put(b, "<seed:bos>assistant\n");
        break;
    case HONE_CHAT_DEEPSEEK_OCR:
        for (size_t i = 0; i < n; i++) put(b, m[i].content);
        break;
    default: break;
    }
}

static void format(sbuf *b, hone_chat_template t, const hone_chat_msg *m, size_t n, bool add)
{
    const wrap_row *w = find_wrap(t);
    if (w) { fmt_wrap(b, w, m, n, add); return; }
    switch (t) {
    case HONE_CHAT_MISTRAL_V7:
    case HONE_CHAT_MISTRAL_V7_TEKKEN: fmt_mistral_v7(b, t, m, n); break;
    case HONE_CHAT_MISTRAL_V1:
    case HONE_CHAT_MISTRAL_V3:
    case HONE_CHAT_MISTRAL_V3_TEKKEN: fmt_mistral_v1_v3(b, t, m, n); break;
    case HONE_CHAT_LLAMA2:
    case HONE_CHAT_LLAMA2_SYS:
    case HONE_CHAT_LLAMA2_SYS_BOS:
    case HONE_CHAT_LLAMA2_SYS_STRIP: fmt_llama2(b, t, m, n); break;
    case HONE_CHAT_MONARCH: fmt_monarch(b, m, n, add); break;
    case HONE_CHAT_GEMMA: fmt_gemma(b, m, n, add); break;
    case HONE_CHAT_ORION: fmt_orion(b, m, n); break;
    case HONE_CHAT_OPENCHAT: fmt_openchat(b, m, n, add); break;
    case HONE_CHAT_VICUNA:
    case HONE_CHAT_VICUNA_ORCA: fmt_vicuna(b, t, m, n, add); break;
    case HONE_CHAT_MINICPM: fmt_minicpm(b, m, n); break;
    case HONE_CHAT_RWKV_WORLD: fmt_rwkv(b, m, n); break;
    case HONE_CHAT_GRANITE:
    case HONE_CHAT_GRANITE_4_0:
    case HONE_CHAT_GRANITE_4_1: fmt_granite(b, t, m, n, add); break;
    case HONE_CHAT_GIGACHAT: fmt_gigachat(b, m, n, add); break;
    case HONE_CHAT_BAILING:
    case HONE_CHAT_BAILING_THINK:
    case HONE_CHAT_BAILING2: fmt_bailing(b, t, m, n, add); break;
    case HONE_CHAT_HUNYUAN_DENSE:
    case HONE_CHAT_HUNYUAN_VL: fmt_hunyuan(b, t, m, n); break;
    case HONE_CHAT_KIMI_K2: fmt_kimi(b, m, n, add); break;
    case HONE_CHAT_PANGU_EMBED: fmt_pangu(b, m, n, add); break;
    case HONE_CHAT_DEEPSEEK:
    case HONE_CHAT_COMMAND_R:
    case HONE_CHAT_DEEPSEEK2:
    case HONE_CHAT_DEEPSEEK3:
    case HONE_CHAT_EXAONE3:
    case HONE_CHAT_EXAONE4:
    case HONE_CHAT_EXAONE_MOE:
    case HONE_CHAT_YANDEX:
    case HONE_CHAT_GROK2: fmt_by_roles(b, t, m, n, add); break;
    default: fmt_misc(b, t, m, n, add); break;
    }
}

hone_status hone_chat_apply(hone_chat_template t, const hone_chat_msg *msgs, size_t n,
                            bool add_assistant_prompt, char **out, hone_error *err)
{
    if (!out) return hone_fail(err, HONE_ERR_ARG, "chat: no output pointer");
    *out = NULL;
    if ((unsigned)t >= HONE_CHAT_COUNT || t == HONE_CHAT_UNKNOWN)
        return hone_fail(err, HONE_ERR_ARG, "chat: unknown template id %d (choices: %s)",
                         (int)t, all_names);
    if (n > 0 && !msgs) return hone_fail(err, HONE_ERR_ARG, "chat: no messages");
    for (size_t i = 0; i < n; i++)
        if (!msgs[i].role || !msgs[i].content)
            return hone_fail(err, HONE_ERR_ARG, "chat: message %zu has no %s", i,
                             msgs[i].role ? "content" : "role");
    sbuf b = { 0 };
    put(&b, ""); /* an empty conversation still yields a string */
    format(&b, t, msgs, n, add_assistant_prompt);
    if (b.oom) {
        free(b.p);
        return hone_fail(err, HONE_ERR_NOMEM, "chat: out of memory formatting %zu messages", n);
    }
    *out = b.p;
    return HONE_OK;
}
