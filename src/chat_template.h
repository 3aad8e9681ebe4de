/* chat_template.h — turning a conversation into a prompt string.
 *
 * GGUF files carry `tokenizer.chat_template`, a Jinja template. hone has no
 * Jinja engine: like llama.cpp's llm_chat_detect_template /
 * llm_chat_apply_template (src/llama-chat.cpp), it recognises the common
 * templates by distinctive substrings and formats them in C. The names, the
 * detection order and the output match llama.cpp's built-in (non-Jinja)
 * path byte for byte.
 *
 * Typical use:
 *
 *     hone_chat_template t;
 *     const char *jinja = <the model's tokenizer.chat_template, or NULL>;
 *     if (user_gave_name) st = hone_chat_template_by_name(name, &t, &err);
 *     else if (jinja)     st = hone_chat_detect(jinja, &t, &err);
 *     else                t = HONE_CHAT_CHATML;        // llama.cpp's fallback
 *     hone_chat_msg msgs[] = { {"system", "Be brief."}, {"user", "Hi"} };
 *     char *prompt;
 *     st = hone_chat_apply(t, msgs, 2, true, &prompt, &err);
 *     ... tokenize prompt (with BOS, parsing special tokens) ...
 *     free(prompt);
 *
 * The formatted prompt never starts with the BOS token: the tokenizer adds
 * it. Templates that repeat BOS inside the history (llama2-sys-bos, monarch,
 * gigachat) write it as text ("<s>"), so tokenize with special-token
 * parsing on. Message contents are copied verbatim except where a template
 * trims them (as llama.cpp does: gemma, llama3, command-r, ...).
 */
#ifndef HONE_CHAT_TEMPLATE_H
#define HONE_CHAT_TEMPLATE_H

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    HONE_CHAT_UNKNOWN = 0,
    HONE_CHAT_CHATML,
    HONE_CHAT_LLAMA2,
    HONE_CHAT_LLAMA2_SYS,
    HONE_CHAT_LLAMA2_SYS_BOS,
    HONE_CHAT_LLAMA2_SYS_STRIP,
    HONE_CHAT_MISTRAL_V1,
    HONE_CHAT_MISTRAL_V3,
    HONE_CHAT_MISTRAL_V3_TEKKEN,
    HONE_CHAT_MISTRAL_V7,
    HONE_CHAT_MISTRAL_V7_TEKKEN,
    HONE_CHAT_PHI3,
    HONE_CHAT_PHI4,
    HONE_CHAT_FALCON3,
    HONE_CHAT_ZEPHYR,
    HONE_CHAT_MONARCH,
    HONE_CHAT_GEMMA,
    HONE_CHAT_ORION,
    HONE_CHAT_OPENCHAT,
    HONE_CHAT_VICUNA,
    HONE_CHAT_VICUNA_ORCA,
    HONE_CHAT_DEEPSEEK,
    HONE_CHAT_DEEPSEEK2,
    HONE_CHAT_DEEPSEEK3,
    HONE_CHAT_DEEPSEEK_OCR,
    HONE_CHAT_COMMAND_R,
    HONE_CHAT_LLAMA3,
    HONE_CHAT_CHATGLM3,
    HONE_CHAT_CHATGLM4,
    HONE_CHAT_GLMEDGE,
    HONE_CHAT_MINICPM,
    HONE_CHAT_EXAONE3,
    HONE_CHAT_EXAONE4,
    HONE_CHAT_EXAONE_MOE,
    HONE_CHAT_RWKV_WORLD,
    HONE_CHAT_GRANITE,
    HONE_CHAT_GRANITE_4_0,
    HONE_CHAT_GRANITE_4_1,
    HONE_CHAT_GIGACHAT,
    HONE_CHAT_MEGREZ,
    HONE_CHAT_YANDEX,
    HONE_CHAT_BAILING,
    HONE_CHAT_BAILING_THINK,
    HONE_CHAT_BAILING2,
    HONE_CHAT_LLAMA4,
    HONE_CHAT_SMOLVLM,
    HONE_CHAT_DOTS1,
    HONE_CHAT_HUNYUAN_MOE,
    HONE_CHAT_GPT_OSS,
    HONE_CHAT_HUNYUAN_DENSE,
    HONE_CHAT_HUNYUAN_VL,
    HONE_CHAT_KIMI_K2,
    HONE_CHAT_SEED_OSS,
    HONE_CHAT_GROK2,
    HONE_CHAT_PANGU_EMBED,
    HONE_CHAT_SOLAR_OPEN,
    HONE_CHAT_COUNT
} hone_chat_template;

/* One message. role is usually "system", "user", "assistant" or "tool";
 * templates handle other roles the way llama.cpp does (often as the
 * assistant, sometimes by dropping them). Both strings are UTF-8, NUL
 * terminated, not NULL. */
typedef struct {
    const char *role;
    const char *content;
} hone_chat_msg;

/* Recognise a Jinja chat template (or a template name, as llama.cpp
 * accepts). HONE_ERR_UNSUPPORTED when no built-in template matches (the
 * message says to pick one by name and lists the choices); HONE_ERR_ARG
 * for NULL or empty input. */
hone_status hone_chat_detect(const char *jinja_template, hone_chat_template *out,
                             hone_error *err);

/* Look a template up by its llama.cpp name ("chatml", "llama3",
 * "mistral-v7", ...). An unknown name is an HONE_ERR_ARG listing the
 * choices. */
hone_status hone_chat_template_by_name(const char *name, hone_chat_template *out,
                                       hone_error *err);

/* The name of t ("chatml"...), or "unknown". */
const char *hone_chat_template_name(hone_chat_template t);

/* All names, comma-separated, for help texts and error messages. */
const char *hone_chat_template_names(void);

/* Format n messages. With add_assistant_prompt the result ends with
 * whatever opens the assistant's turn (for templates that have one). On
 * success *out is a NUL-terminated string the caller frees with free().
 * Errors: HONE_ERR_ARG for an unknown template or a NULL message field,
 * HONE_ERR_NOMEM. */
hone_status hone_chat_apply(hone_chat_template t, const hone_chat_msg *msgs, size_t n,
                            bool add_assistant_prompt, char **out, hone_error *err);

#ifdef __cplusplus
}
#endif
#endif
