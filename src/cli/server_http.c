/* server_http.c — the HTTP side of `hone serve` (libmicrohttpd, one thread
 * per connection): routing, API keys, body limits, the OpenAI and llama.cpp
 * request/response shapes (cJSON), server-sent events (see server.h). */
#include "server.h"

#ifdef HONE_HAVE_MHD
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { API_CHAT, API_COMPLETIONS, API_LLAMA } api_kind;

/* One request: its body while it arrives, then its task and what of the
 * answer is still to be sent. */
typedef struct {
    srv *s;
    char *body;
    size_t len;
    bool too_big;
    srv_task *task;
    api_kind kind;
    bool stream, include_usage;
    char id[48];
    long created;
    char *out;                /* bytes ready to go, out[off..len) */
    size_t out_len, out_off, out_cap;
    size_t sent;              /* of task->text, already in events */
    int tp_sent;              /* of task->probs, already in events */
    size_t cp_byte, cp_count; /* text_offset's walk: characters before cp_byte */
    struct MHD_Connection *conn;
    bool started, finished;
    bool answering;           /* a callback response owns this request */
} request;

/* ---------------------------------------------------------- responses */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type,
                                 const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    if (status == 503) MHD_add_response_header(r, "Retry-After", "1");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, cJSON *j)
{
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!t) return MHD_NO;
    enum MHD_Result ret = send_text(c, status, "application/json", t);
    free(t);
    return ret;
}

/* OpenAI's error shape: {"error": {"code", "message", "type"}}. */
static cJSON *error_json(unsigned status, const char *msg)
{
    const char *type = status == 401 ? "authentication_error"
                       : status == 404 ? "not_found_error"
                       : status == 503 ? "unavailable_error"
                       : status >= 500 ? "server_error"
                                       : "invalid_request_error";
    cJSON *j = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(j, "error");
    cJSON_AddNumberToObject(e, "code", status);
    cJSON_AddStringToObject(e, "message", msg);
    cJSON_AddStringToObject(e, "type", type);
    return j;
}

__attribute__((format(printf, 3, 4))) static enum MHD_Result
send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return send_json(c, status, error_json(status, msg));
}

/* ------------------------------------------------------ request fields */

/* A number field: absent leaves *v; present but not a number is an error. */
static bool num_field(const cJSON *o, const char *key, double lo, double hi, double *v,
                      char *why, size_t cap)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!f || cJSON_IsNull(f)) return true;
    if (!cJSON_IsNumber(f) || f->valuedouble < lo || f->valuedouble > hi) {
        snprintf(why, cap, "'%s' must be a number in [%g, %g]", key, lo, hi);
        return false;
    }
    *v = f->valuedouble;
    return true;
}

/* An integer field in [lo, hi]: absent leaves *v. */
static bool int_field(const cJSON *o, const char *key, int lo, int hi, int *v, char *why, size_t cap)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!f || cJSON_IsNull(f)) return true;
    if (!cJSON_IsNumber(f) || !(f->valuedouble >= lo && f->valuedouble <= hi) ||
        f->valuedouble != (double)(int)f->valuedouble) {
        snprintf(why, cap, "'%s' must be an integer in [%d, %d]", key, lo, hi);
        return false;
    }
    *v = (int)f->valuedouble;
    return true;
}

static bool bool_field(const cJSON *o, const char *key, bool *v, char *why, size_t cap)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!f || cJSON_IsNull(f)) return true;
    if (!cJSON_IsBool(f)) {
        snprintf(why, cap, "'%s' must be true or false", key);
        return false;
    }
    *v = cJSON_IsTrue(f);
    return true;
}

/* The text of a message's content: a string, or an array of parts whose
 * "text" parts are joined. NULL if it is neither. */
static char *content_text(const cJSON *content)
{
    if (cJSON_IsString(content)) return strdup(content->valuestring);
    if (!cJSON_IsArray(content)) return NULL;
    size_t n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, content)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
        if (cJSON_IsString(t)) n += strlen(t->valuestring);
    }
    char *s = malloc(n + 1);
    if (!s) return NULL;
    s[0] = '\0';
    cJSON_ArrayForEach(p, content)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
        if (cJSON_IsString(t)) strcat(s, t->valuestring);
    }
    return s;
}

/* The prompt the chat template makes of a "messages" array; false with a
 * message on a client error. */
static bool chat_prompt(const srv *s, const cJSON *msgs, char **prompt, char *why, size_t cap)
{
    const int n = cJSON_GetArraySize(msgs);
    if (!cJSON_IsArray(msgs) || n < 1) {
        snprintf(why, cap, "'messages' must be a non-empty array");
        return false;
    }
    hone_chat_msg *m = calloc((size_t)n, sizeof *m);
    int k = 0;
    bool ok = m != NULL;
    const cJSON *msg;
    cJSON_ArrayForEach(msg, msgs)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
        char *text = ok ? content_text(cJSON_GetObjectItemCaseSensitive(msg, "content")) : NULL;
        if (!cJSON_IsString(role) || !text) {
            free(text);
            snprintf(why, cap, "messages[%d] needs a string 'role' and a 'content'", k);
            ok = false;
            break;
        }
        m[k].role = role->valuestring;
        m[k++].content = text;
    }
    hone_error err = {0};
    if (ok && hone_chat_apply(s->tmpl, m, (size_t)k, true, prompt, &err)) {
        snprintf(why, cap, "%.500s", err.msg);
        ok = false;
    }
    for (int i = 0; i < k; i++) free((char *)m[i].content);
    free(m);
    return ok;
}

/* Log-probabilities, asked for each API's way: chat "logprobs": true with
 * "top_logprobs": N (OpenAI: 0 when absent; llama-server's default of 20
 * is not OpenAI's); completions "logprobs": N (the legacy shape);
 * llama-server's "n_probs": N (or its alias "logprobs"), where 0 means
 * none. N is at most SRV_MAX_PROBS. */
static bool logprobs_fields(const request *q, const cJSON *j, srv_task *t, char *why, size_t cap)
{
    int n = -1;
    if (q->kind == API_CHAT) {
        bool on = false;
        const cJSON *top = cJSON_GetObjectItemCaseSensitive(j, "top_logprobs");
        if (!bool_field(j, "logprobs", &on, why, cap)) return false;
        if (!on && top && !cJSON_IsNull(top)) {
            snprintf(why, cap, "'top_logprobs' requires 'logprobs': true");
            return false;
        }
        if (on) n = 0;
        if (!int_field(j, "top_logprobs", 0, SRV_MAX_PROBS, &n, why, cap)) return false;
    } else if (q->kind == API_COMPLETIONS) {
        if (!int_field(j, "logprobs", 0, SRV_MAX_PROBS, &n, why, cap)) return false;
    } else {
        const char *key = cJSON_GetObjectItemCaseSensitive(j, "n_probs") ? "n_probs" : "logprobs";
        if (!int_field(j, key, 0, SRV_MAX_PROBS, &n, why, cap)) return false;
        if (n == 0) n = -1;
    }
    /* they are of the raw logits; the sampler chain's probabilities
     * (llama-server's post_sampling_probs) are refused rather than
     * silently replaced */
    bool post = false;
    if (!bool_field(j, "post_sampling_probs", &post, why, cap)) return false;
    if (post) {
        snprintf(why, cap, "'post_sampling_probs' is not supported (log-probabilities are of the raw logits)");
        return false;
    }
    const int n_vocab = hone_n_vocab(q->s->eng.ctx);
    t->n_probs = n > n_vocab ? n_vocab : n;
    return true;
}

/* Fill the task from the request body; false with a message on a client
 * error (400). */
static bool parse_task(request *q, const cJSON *j, srv_task *t, char *why, size_t cap)
{
    srv *s = q->s;
    char *prompt = NULL;
    if (q->kind == API_CHAT) {
        if (!chat_prompt(s, cJSON_GetObjectItemCaseSensitive(j, "messages"), &prompt, why, cap))
            return false;
    } else {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "prompt");
        if (cJSON_IsArray(p) && cJSON_GetArraySize(p) == 1) p = cJSON_GetArrayItem(p, 0);
        if (!cJSON_IsString(p)) {
            snprintf(why, cap, "'prompt' must be a string");
            return false;
        }
        prompt = strdup(p->valuestring);
    }
    if (!prompt) {
        snprintf(why, cap, "out of memory");
        return false;
    }
    /* tokens: BOS as the model says, special tokens parsed (llama-server) */
    hone_error err = {0};
    size_t n_tok = 0;
    const bool tok_ok = !hone_tok_encode(s->eng.tok, prompt, strlen(prompt), true, true,
                                         &t->prompt, &n_tok, &err);
    free(prompt);
    if (!tok_ok) {
        snprintf(why, cap, "tokenizing the prompt: %.500s", err.msg);
        return false;
    }
    t->n_prompt = (int)n_tok;
    const int seq_ctx = hone_seq_n_ctx(s->eng.ctx);
    if (t->n_prompt < 1) {
        snprintf(why, cap, "the prompt is empty");
        return false;
    }
    if (t->n_prompt >= seq_ctx) {
        snprintf(why, cap, "the prompt is %d token%s, more than a slot's context of %d (-c / -np)",
                 t->n_prompt, t->n_prompt == 1 ? "" : "s", seq_ctx);
        return false;
    }
    /* samplers: llama-server's defaults */
    t->sp = hone_sampler_default_params();
    double v, n_predict = -1;
    bool ok = true;
    v = t->sp.temp, ok = ok && num_field(j, "temperature", 0, 100, &v, why, cap), t->sp.temp = (float)v;
    v = t->sp.top_p, ok = ok && num_field(j, "top_p", 0, 1, &v, why, cap), t->sp.top_p = (float)v;
    v = t->sp.min_p, ok = ok && num_field(j, "min_p", 0, 1, &v, why, cap), t->sp.min_p = (float)v;
    v = t->sp.top_k, ok = ok && num_field(j, "top_k", -1, 1e6, &v, why, cap), t->sp.top_k = (int32_t)v;
    v = t->sp.presence_penalty, ok = ok && num_field(j, "presence_penalty", -2, 2, &v, why, cap),
    t->sp.presence_penalty = (float)v;
    v = t->sp.freq_penalty, ok = ok && num_field(j, "frequency_penalty", -2, 2, &v, why, cap),
    t->sp.freq_penalty = (float)v;
    v = t->sp.repeat_penalty, ok = ok && num_field(j, "repeat_penalty", 1e-6, 1e6, &v, why, cap),
    t->sp.repeat_penalty = (float)v;
    v = -1, ok = ok && num_field(j, "seed", -1, 4294967295.0, &v, why, cap);
    if (ok && v >= 0) t->sp.seed = (uint32_t)v;
    ok = ok && num_field(j, "max_tokens", -1, 1e9, &n_predict, why, cap) &&
         num_field(j, "max_completion_tokens", -1, 1e9, &n_predict, why, cap) &&
         num_field(j, "n_predict", -1, 1e9, &n_predict, why, cap);
    double n_choices = 1;
    ok = ok && num_field(j, "n", 1, 1, &n_choices, why, cap);
    t->cache_prompt = true;
    ok = ok && bool_field(j, "ignore_eos", &t->ignore_eos, why, cap) &&
         bool_field(j, "cache_prompt", &t->cache_prompt, why, cap) &&
         bool_field(j, "stream", &q->stream, why, cap);
    if (!ok) return false;
    t->n_predict = (int)n_predict;
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(j, "stream_options");
    if (so && !bool_field(so, "include_usage", &q->include_usage, why, cap)) return false;
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(j, "stop");
    if (cJSON_IsString(stop) && stop->valuestring[0]) {
        t->stop[t->n_stop++] = strdup(stop->valuestring);
    } else if (cJSON_IsArray(stop)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, stop)
        {
            if (!cJSON_IsString(e) || t->n_stop >= SRV_MAX_STOP) {
                snprintf(why, cap, "'stop' must be a string or up to %d strings", SRV_MAX_STOP);
                return false;
            }
            if (e->valuestring[0]) t->stop[t->n_stop++] = strdup(e->valuestring);
        }
    } else if (stop && !cJSON_IsNull(stop)) {
        snprintf(why, cap, "'stop' must be a string or an array of strings");
        return false;
    }
    return logprobs_fields(q, j, t, why, cap);
}

/* ------------------------------------------------------------ answers */

static void out_add(request *q, const char *p, size_t n)
{
    if (q->out_len + n > q->out_cap) {
        size_t cap = (q->out_len + n) * 2 + 256;
        char *b = realloc(q->out, cap);
        if (!b) return;
        q->out = b;
        q->out_cap = cap;
    }
    memcpy(q->out + q->out_len, p, n);
    q->out_len += n;
}

static cJSON *usage_json(const srv_task *t)
{
    cJSON *u = cJSON_CreateObject();
    cJSON_AddNumberToObject(u, "prompt_tokens", t->n_prompt);
    cJSON_AddNumberToObject(u, "completion_tokens", t->n_gen);
    cJSON_AddNumberToObject(u, "total_tokens", t->n_prompt + t->n_gen);
    return u;
}

/* The skeleton every OpenAI answer shares. */
static cJSON *base_json(const request *q, const char *object)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", q->id);
    cJSON_AddStringToObject(j, "object", object);
    cJSON_AddNumberToObject(j, "created", (double)q->created);
    cJSON_AddStringToObject(j, "model", q->s->alias);
    cJSON_AddStringToObject(j, "system_fingerprint", q->s->fingerprint);
    return j;
}

/* The length of the UTF-8 character at p[i] (of n bytes), or 0 when the
 * byte there starts none (invalid, cut short, overlong, a surrogate, NUL). */
static size_t utf8_char(const unsigned char *p, size_t i, size_t n)
{
    const unsigned char c = p[i];
    const size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = len > 0 && i + len <= n && !(len == 2 && c < 0xC2) && !(len == 4 && c > 0xF4);
    for (size_t j = 1; ok && j < len; j++) ok = (p[i + j] & 0xC0) == 0x80;
    if (ok && len == 3) { /* no overlong forms, no surrogates */
        const unsigned cp = ((c & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6);
        ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok && len == 4) ok = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] > 0x8F);
    if (ok && len == 1 && c == 0) ok = false; /* cJSON strings end at NUL */
    return ok ? len : 0;
}

/* text[0..n) as valid UTF-8 (malloc'ed): JSON must be, and a model can
 * emit byte tokens that do not form characters (a stray continuation
 * byte, a sequence cut by a stop or the length limit). Each invalid byte
 * becomes U+FFFD, as llama-server's output does. */
static char *utf8_valid(const char *text, size_t n)
{
    char *o = malloc(n * 3 + 1);
    if (!o) return NULL;
    size_t k = 0;
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        const size_t len = utf8_char(p, i, n);
        if (!len) {
            memcpy(o + k, "\xEF\xBF\xBD", 3);
            k += 3;
            i++;
            continue;
        }
        memcpy(o + k, p + i, len);
        k += len;
        i += len;
    }
    o[k] = '\0';
    return o;
}

/* --------------------------------------------------------- logprobs */

/* What one event reports of the task's log-probabilities: the tokens
 * whose text it carries, and the whole text so far (for text_offset). */
typedef struct {
    const srv_tokprob *tp;
    const srv_alt *alts;      /* n_probs per token */
    int n;
    const char *text;
    size_t len;
} probs_view;

/* A float as the decimal that reads back as it (cJSON prints doubles with
 * 17 digits, which a float widened to double fills with noise). */
static double short_num(float f)
{
    char b[32];
    snprintf(b, sizeof b, "%.9g", (double)f);
    return strtod(b, NULL);
}

/* A token's text (its raw bytes, any length), malloc'ed; *n its length. */
static char *token_text(const srv *s, int32_t id, size_t *n)
{
    char small[256];
    int32_t len = hone_tok_piece(s->eng.tok, id, small, sizeof small, false);
    char *p = malloc(len >= 0 ? (size_t)len + 1 : (size_t)-len + 1);
    if (p && len < 0) len = hone_tok_piece(s->eng.tok, id, p, (size_t)-len, false);
    else if (p) memcpy(p, small, (size_t)len);
    *n = p && len > 0 ? (size_t)len : 0;
    return p;
}

/* {id, token, bytes, logprob}: the shape of OpenAI's chat logprobs and of
 * llama-server's completion_probabilities. "token" is valid UTF-8 (U+FFFD
 * for bytes that form no character), "bytes" the raw ones. */
static cJSON *token_json(const srv *s, int32_t id, float logprob)
{
    size_t n;
    char *p = token_text(s, id, &n), *v = p ? utf8_valid(p, n) : NULL;
    cJSON *o = cJSON_CreateObject(), *b = cJSON_CreateArray();
    cJSON_AddNumberToObject(o, "id", id);
    cJSON_AddStringToObject(o, "token", v ? v : "");
    for (size_t i = 0; p && i < n; i++)
        cJSON_AddItemToArray(b, cJSON_CreateNumber((unsigned char)p[i]));
    cJSON_AddItemToObject(o, "bytes", b);
    cJSON_AddNumberToObject(o, "logprob", short_num(logprob));
    free(p);
    free(v);
    return o;
}

/* [{id, token, bytes, logprob, top_logprobs: [{id, token, bytes, logprob}]}] */
static cJSON *probs_json(const request *q, const probs_view *v)
{
    const int k = q->task->n_probs;
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; v && i < v->n; i++) {
        cJSON *o = token_json(q->s, v->tp[i].id, v->tp[i].logprob),
              *top = cJSON_AddArrayToObject(o, "top_logprobs");
        for (int j = 0; j < k; j++) {
            const srv_alt *alt = &v->alts[(size_t)i * (size_t)k + (size_t)j];
            cJSON_AddItemToArray(top, token_json(q->s, alt->id, alt->logprob));
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

/* The legacy completions shape: {tokens, token_logprobs, top_logprobs:
 * [{token: logprob}], text_offset}. text_offset counts characters of the
 * completion's text (as sent: an invalid byte is one U+FFFD), from its
 * start across the events of a stream, as vLLM does (no echo of the
 * prompt). Two alternatives with the same text keep the better one: a
 * JSON object cannot hold both. */
static cJSON *legacy_logprobs_json(request *q, const probs_view *v)
{
    const int k = q->task->n_probs;
    cJSON *o = cJSON_CreateObject(), *toks = cJSON_AddArrayToObject(o, "tokens"),
          *lps = cJSON_AddArrayToObject(o, "token_logprobs"),
          *tops = cJSON_AddArrayToObject(o, "top_logprobs"),
          *offs = cJSON_AddArrayToObject(o, "text_offset");
    const unsigned char *text = (const unsigned char *)v->text;
    for (int i = 0; i < v->n; i++) {
        size_t n;
        char *p = token_text(q->s, v->tp[i].id, &n), *t = p ? utf8_valid(p, n) : NULL;
        cJSON_AddItemToArray(toks, cJSON_CreateString(t ? t : ""));
        free(p);
        free(t);
        cJSON_AddItemToArray(lps, cJSON_CreateNumber(short_num(v->tp[i].logprob)));
        cJSON *top = cJSON_CreateObject();
        for (int j = 0; j < k; j++) {
            const srv_alt *alt = &v->alts[(size_t)i * (size_t)k + (size_t)j];
            p = token_text(q->s, alt->id, &n);
            t = p ? utf8_valid(p, n) : NULL;
            if (t && !cJSON_GetObjectItemCaseSensitive(top, t))
                cJSON_AddNumberToObject(top, t, short_num(alt->logprob));
            free(p);
            free(t);
        }
        cJSON_AddItemToArray(tops, top);
        while (q->cp_byte < v->tp[i].off && q->cp_byte < v->len) {
            const size_t l = utf8_char(text, q->cp_byte, v->len);
            q->cp_byte += l ? l : 1;
            q->cp_count++;
        }
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)q->cp_count));
    }
    return o;
}

/* One choice (or stream delta) carrying text; finish may be NULL. */
static cJSON *answer_json(request *q, const char *text, size_t n, const char *finish,
                          bool first, bool stream, const probs_view *pv)
{
    const srv_task *t = q->task;
    char *s = utf8_valid(text, n);
    cJSON *j;
    if (q->kind == API_LLAMA) {
        j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "content", s ? s : "");
        cJSON_AddBoolToObject(j, "stop", finish != NULL);
        if (finish) {
            cJSON_AddStringToObject(j, "model", q->s->alias);
            cJSON_AddNumberToObject(j, "tokens_predicted", t->n_gen);
            cJSON_AddNumberToObject(j, "tokens_evaluated", t->n_prompt);
            cJSON_AddNumberToObject(j, "tokens_cached", t->n_cached);
            cJSON_AddStringToObject(j, "stop_type", !strcmp(finish, "length") ? "limit" : "eos");
            cJSON_AddItemToObject(j, "usage", usage_json(t));
        }
        if (t->n_probs >= 0 && pv && pv->n)
            cJSON_AddItemToObject(j, "completion_probabilities", probs_json(q, pv));
        free(s);
        return j;
    }
    const bool chat = q->kind == API_CHAT;
    j = base_json(q, chat ? (stream ? "chat.completion.chunk" : "chat.completion")
                          : "text_completion");
    cJSON *choices = cJSON_AddArrayToObject(j, "choices"), *c = cJSON_CreateObject();
    cJSON_AddItemToArray(choices, c);
    cJSON_AddNumberToObject(c, "index", 0);
    /* logprobs: every answer when asked for, every stream event that
     * carries tokens; null otherwise (OpenAI's) */
    const bool lp = t->n_probs >= 0 && pv && (!stream || pv->n);
    if (chat) {
        cJSON *m = cJSON_AddObjectToObject(c, stream ? "delta" : "message");
        if (!stream || first) cJSON_AddStringToObject(m, "role", "assistant");
        if (!stream || n || !finish) cJSON_AddStringToObject(m, "content", s ? s : "");
        if (lp) cJSON_AddItemToObject(cJSON_AddObjectToObject(c, "logprobs"), "content", probs_json(q, pv));
        else cJSON_AddNullToObject(c, "logprobs");
    } else {
        cJSON_AddStringToObject(c, "text", s ? s : "");
        if (lp) cJSON_AddItemToObject(c, "logprobs", legacy_logprobs_json(q, pv));
        else cJSON_AddNullToObject(c, "logprobs");
    }
    if (finish) cJSON_AddStringToObject(c, "finish_reason", finish);
    else cJSON_AddNullToObject(c, "finish_reason");
    if (!stream && finish) cJSON_AddItemToObject(j, "usage", usage_json(t));
    free(s);
    return j;
}

static void add_event(request *q, cJSON *j)
{
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!t) return;
    out_add(q, "data: ", 6);
    out_add(q, t, strlen(t));
    out_add(q, "\n\n", 2);
    free(t);
}

/* A token belongs to the event that carries all of its text (upto: the
 * bytes sent so far). At the end, also one that a stop string cut
 * (it began before the cut); tokens wholly inside the stop string are
 * not reported, as their text is not. */
static bool token_sent(const srv_tokprob *p, size_t upto, bool done)
{
    return p->off + p->len <= upto || (done && p->off < upto);
}

/* The connection's idle timeout (--timeout) is for the client: off while
 * the answer waits for the engine (a long prompt, a full queue, a long
 * non-streamed generation), on again, from now, once there is something
 * to send, so a client that stops reading is still dropped. */
static void client_timeout(request *q, bool on)
{
    MHD_set_connection_option(q->conn, MHD_CONNECTION_OPTION_TIMEOUT,
                              on ? (unsigned)q->s->timeout_s : 0u);
}

/* Whether the client has closed its side (or the socket failed), seen
 * without reading: an answer that sends nothing while it waits for the
 * engine (not streamed, or a stream's prompt) learns of a client that
 * left at once, instead of when the whole answer is done. */
static bool ts_before(struct timespec a, struct timespec b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static bool client_gone(request *q)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci) return false;
    struct pollfd p = {.fd = ci->connect_fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* libmicrohttpd asks for the next bytes of an answer: wait for the
 * scheduler, then hand out events (stream) or the whole JSON (not). */
static ssize_t answer_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    request *q = cls;
    srv *s = q->s;
    srv_task *t = q->task;
    if (q->out_off == q->out_len && !q->finished) client_timeout(q, false);
    while (q->out_off == q->out_len) {
        if (q->finished) return MHD_CONTENT_READER_END_OF_STREAM;
        q->out_off = q->out_len = 0;
        pthread_mutex_lock(&s->lock);
        /* a stream gets a comment line when nothing came for SRV_PING_MS
         * (queued, or a long prompt), so proxies and clients with a read
         * timeout keep it open; the deadline is fixed before the loop, as
         * the other slots' steps wake this thread all the time */
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_nsec += (long)(SRV_PING_MS % 1000) * 1000000L;
        dl.tv_sec += SRV_PING_MS / 1000 + dl.tv_nsec / 1000000000L;
        dl.tv_nsec %= 1000000000L;
        bool ping = false;
        /* the client is looked at every SRV_POLL_MS while this waits
         * (by the clock: the slots' steps wake this thread all the time) */
        struct timespec check;
        clock_gettime(CLOCK_REALTIME, &check);
        for (;;) {
            if (t->state == TASK_DONE || (q->stream && t->ready > q->sent)) break;
            struct timespec now, until = check;
            until.tv_nsec += SRV_POLL_MS * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            if (q->stream && ts_before(dl, until)) until = dl;
            const int rc = pthread_cond_timedwait(&s->progress, &s->lock, &until);
            clock_gettime(CLOCK_REALTIME, &now);
            if (rc == ETIMEDOUT || !ts_before(now, until)) {
                if (client_gone(q)) {
                    pthread_mutex_unlock(&s->lock);
                    return MHD_CONTENT_READER_END_WITH_ERROR; /* answer_done cancels the task */
                }
                check = now;
                if (q->stream && !ts_before(now, dl)) {
                    ping = true;
                    break;
                }
            }
        }
        const bool done = t->state == TASK_DONE;
        const size_t ready = t->ready, upto = done ? t->len : ready;
        char *text = NULL;
        if (!ping) text = strndup(t->text ? t->text : "", t->len);
        /* the log-probabilities of the tokens this event carries */
        probs_view pv = {.text = text, .len = t->len};
        srv_tokprob *tp = NULL;
        srv_alt *alts = NULL;
        if (text && t->n_probs >= 0) {
            int n = 0;
            while (q->tp_sent + n < t->n_tp && token_sent(&t->probs[q->tp_sent + n], upto, done)) n++;
            const size_t k = (size_t)t->n_probs;
            tp = n ? malloc(sizeof *tp * (size_t)n) : NULL;
            alts = n && k ? malloc(sizeof *alts * k * (size_t)n) : NULL;
            if (tp && (alts || !k)) {
                memcpy(tp, t->probs + q->tp_sent, sizeof *tp * (size_t)n);
                if (k) memcpy(alts, t->alts + k * (size_t)q->tp_sent, sizeof *alts * k * (size_t)n);
                pv.n = n;
            }
            q->tp_sent += n;
            pv.tp = tp;
            pv.alts = alts;
        }
        pthread_mutex_unlock(&s->lock);
        if (ping) {
            out_add(q, ": ping\n\n", 8);
            continue;
        }
        if (!text) {
            q->finished = true; /* out of memory: end the answer */
        } else if (done && t->error[0] && !t->n_gen) {
            cJSON *e = error_json(500, t->error);
            if (q->stream) add_event(q, e);
            else {
                char *p = cJSON_PrintUnformatted(e);
                cJSON_Delete(e);
                if (p) out_add(q, p, strlen(p));
                free(p);
            }
            q->finished = true;
        } else if (!q->stream) {
            cJSON *a = answer_json(q, text, t->len, t->finish, true, false, &pv);
            char *p = cJSON_PrintUnformatted(a);
            cJSON_Delete(a);
            out_add(q, p ? p : "", p ? strlen(p) : 0);
            free(p);
            q->finished = true;
        } else {
            if (upto > q->sent || !q->started || pv.n)
                add_event(q, answer_json(q, text + q->sent, upto - q->sent, NULL, !q->started, true, &pv));
            q->started = true;
            q->sent = upto;
            if (done) {
                add_event(q, answer_json(q, "", 0, t->finish ? t->finish : "stop", false, true, NULL));
                if (q->include_usage && q->kind != API_LLAMA) {
                    cJSON *u = base_json(q, q->kind == API_CHAT ? "chat.completion.chunk" : "text_completion");
                    cJSON_AddArrayToObject(u, "choices");
                    cJSON_AddItemToObject(u, "usage", usage_json(t));
                    add_event(q, u);
                }
                if (q->kind != API_LLAMA) out_add(q, "data: [DONE]\n\n", 14);
                q->finished = true;
            }
        }
        free(tp);
        free(alts);
        free(text);
    }
    client_timeout(q, true);
    size_t n = q->out_len - q->out_off < max ? q->out_len - q->out_off : max;
    memcpy(buf, q->out + q->out_off, n);
    q->out_off += n;
    return (ssize_t)n;
}

static void request_free(request *q)
{
    if (q->task) srv_task_release(q->s, q->task); /* a client gone mid-way cancels it */
    free(q->body);
    free(q->out);
    free(q);
}

/* The answer's response is gone (sent, or the client left): it owned q. */
static void answer_done(void *cls) { request_free(cls); }

/* ------------------------------------------------------------- routes */

static enum MHD_Result start_completion(struct MHD_Connection *c, request *q, api_kind kind)
{
    srv *s = q->s;
    if (!s->loaded) return send_error(c, 503, "Loading model");
    cJSON *j = cJSON_ParseWithLength(q->body ? q->body : "", q->len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return send_error(c, 400, "the body is not a JSON object");
    }
    srv_task *t = srv_task_new();
    char why[640] = "";
    q->kind = kind;
    if (!t) {
        cJSON_Delete(j);
        return send_error(c, 500, "out of memory");
    }
    const bool ok = parse_task(q, j, t, why, sizeof why);
    cJSON_Delete(j);
    if (!ok) {
        t->refs = 1;
        srv_task_release(s, t);
        return send_error(c, 400, "%s", why);
    }
    q->task = t;
    q->conn = c;
    if (!srv_submit(s, t)) {
        t->refs = 1; /* the scheduler never saw it */
        srv_task_release(s, t);
        q->task = NULL;
        return send_error(c, 503, "the queue is full (%d requests): retry later", s->queue_cap);
    }
    static unsigned long counter;
    snprintf(q->id, sizeof q->id, "%s-%lx%lx", kind == API_CHAT ? "chatcmpl" : "cmpl",
             (unsigned long)time(NULL), __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    q->created = (long)time(NULL);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, answer_reader, q, answer_done);
    if (!r) return MHD_NO;
    q->answering = true;
    MHD_add_response_header(r, "Content-Type", q->stream ? "text/event-stream" : "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* POST /apply-template: the prompt the chat template makes of messages. */
static enum MHD_Result apply_template(struct MHD_Connection *c, request *q)
{
    srv *s = q->s;
    if (!s->loaded) return send_error(c, 503, "Loading model");
    cJSON *j = cJSON_ParseWithLength(q->body ? q->body : "", q->len);
    char *prompt = NULL, why[640] = "the body is not a JSON object";
    const bool ok = cJSON_IsObject(j) &&
                    chat_prompt(s, cJSON_GetObjectItemCaseSensitive(j, "messages"), &prompt, why,
                                sizeof why);
    cJSON_Delete(j);
    if (!ok) {
        free(prompt);
        return send_error(c, 400, "%s", why);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "prompt", prompt);
    free(prompt);
    return send_json(c, 200, out);
}

static enum MHD_Result tokenize(struct MHD_Connection *c, request *q, bool detok)
{
    srv *s = q->s;
    if (!s->loaded) return send_error(c, 503, "Loading model");
    cJSON *j = cJSON_ParseWithLength(q->body ? q->body : "", q->len);
    cJSON *out = cJSON_CreateObject();
    hone_error err = {0};
    unsigned status = 200;
    char why[640] = "";
    if (!cJSON_IsObject(j)) {
        status = 400, snprintf(why, sizeof why, "the body is not a JSON object");
    } else if (!detok) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(j, "content");
        bool special = false, pieces = false;
        bool_field(j, "add_special", &special, why, sizeof why);
        bool_field(j, "with_pieces", &pieces, why, sizeof why);
        int32_t *ids = NULL;
        size_t n = 0;
        if (!cJSON_IsString(text)) status = 400, snprintf(why, sizeof why, "'content' must be a string");
        else if (hone_tok_encode(s->eng.tok, text->valuestring, strlen(text->valuestring), special, true,
                                 &ids, &n, &err))
            status = 400, snprintf(why, sizeof why, "%s", err.msg);
        cJSON *arr = cJSON_AddArrayToObject(out, "tokens");
        for (size_t i = 0; status == 200 && i < n; i++) {
            if (!pieces) {
                cJSON_AddItemToArray(arr, cJSON_CreateNumber(ids[i]));
                continue;
            }
            char piece[256];
            int32_t len = hone_tok_piece(s->eng.tok, ids[i], piece, sizeof piece, true);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "id", ids[i]);
            char *p = utf8_valid(piece, len > 0 ? (size_t)len : 0);
            cJSON_AddStringToObject(o, "piece", p ? p : "");
            free(p);
            cJSON_AddItemToArray(arr, o);
        }
        free(ids);
    } else {
        const cJSON *toks = cJSON_GetObjectItemCaseSensitive(j, "tokens"), *e;
        const int n = cJSON_GetArraySize(toks), nv = hone_n_vocab(s->eng.ctx);
        int32_t *ids = calloc((size_t)n + 1, sizeof *ids);
        int k = 0;
        cJSON_ArrayForEach(e, toks)
        {
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= nv) break;
            ids[k++] = (int32_t)e->valuedouble;
        }
        char *text = NULL;
        size_t tl = 0;
        if (!cJSON_IsArray(toks) || k != n)
            status = 400, snprintf(why, sizeof why, "'tokens' must be an array of token ids (0..%d)", nv - 1);
        else if (hone_tok_decode(s->eng.tok, ids, (size_t)k, false, false, &text, &tl, &err))
            status = 400, snprintf(why, sizeof why, "%s", err.msg);
        else {
            char *v = utf8_valid(text, tl);
            cJSON_AddStringToObject(out, "content", v ? v : "");
            free(v);
        }
        free(text);
        free(ids);
    }
    cJSON_Delete(j);
    if (status != 200) {
        cJSON_Delete(out);
        return send_error(c, status, "%s", why);
    }
    return send_json(c, 200, out);
}

static enum MHD_Result info_route(struct MHD_Connection *c, srv *s, const char *url)
{
    if (!strcmp(url, "/health")) {
        if (!s->loaded) return send_error(c, 503, "Loading model");
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "status", "ok");
        return send_json(c, 200, j);
    }
    if (!s->loaded) return send_error(c, 503, "Loading model");
    if (!strcmp(url, "/v1/models") || !strcmp(url, "/models")) {
        cJSON *j = cJSON_CreateObject(), *d = cJSON_AddArrayToObject(j, "data"), *m = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "object", "list");
        cJSON_AddStringToObject(m, "id", s->alias);
        cJSON_AddStringToObject(m, "object", "model");
        cJSON_AddNumberToObject(m, "created", (double)time(NULL));
        cJSON_AddStringToObject(m, "owned_by", "hone");
        cJSON_AddItemToArray(d, m);
        return send_json(c, 200, j);
    }
    if (!strcmp(url, "/props")) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "model_alias", s->alias);
        cJSON_AddNumberToObject(j, "n_ctx", hone_n_ctx(s->eng.ctx));
        cJSON_AddNumberToObject(j, "n_ctx_slot", hone_seq_n_ctx(s->eng.ctx));
        cJSON_AddNumberToObject(j, "total_slots", s->n_slots);
        cJSON_AddStringToObject(j, "chat_template", hone_chat_template_name(s->tmpl));
        cJSON_AddStringToObject(j, "build", s->fingerprint);
        cJSON_AddStringToObject(j, "kernels", hone_context_kernels(s->eng.ctx)->name);
        return send_json(c, 200, j);
    }
    if (!strcmp(url, "/slots")) {
        cJSON *a = cJSON_CreateArray();
        pthread_mutex_lock(&s->lock);
        for (int i = 0; i < s->n_slots; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "id", i);
            cJSON_AddNumberToObject(o, "n_ctx", hone_seq_n_ctx(s->eng.ctx));
            cJSON_AddBoolToObject(o, "is_processing", s->slots[i].task != NULL);
            cJSON_AddNumberToObject(o, "n_cached", s->slots[i].n_cache);
            cJSON_AddItemToArray(a, o);
        }
        pthread_mutex_unlock(&s->lock);
        return send_json(c, 200, a);
    }
    if (!strcmp(url, "/metrics")) {
        if (!s->metrics) return send_error(c, 501, "metrics are off (start the server with --metrics)");
        char m[1536];
        pthread_mutex_lock(&s->lock);
        int busy = 0;
        for (int i = 0; i < s->n_slots; i++) busy += s->slots[i].task != NULL;
        snprintf(m, sizeof m,
                 "# HELP hone_requests_total Completion requests accepted.\n# TYPE hone_requests_total counter\nhone_requests_total %lld\n"
                 "# HELP hone_prompt_tokens_total Prompt tokens evaluated.\n# TYPE hone_prompt_tokens_total counter\nhone_prompt_tokens_total %lld\n"
                 "# HELP hone_tokens_predicted_total Tokens generated.\n# TYPE hone_tokens_predicted_total counter\nhone_tokens_predicted_total %lld\n"
                 "# HELP hone_tokens_per_second Tokens (prompt + generated) per second of engine time.\n# TYPE hone_tokens_per_second gauge\nhone_tokens_per_second %.2f\n"
                 "# HELP hone_requests_queued Requests waiting for a slot.\n# TYPE hone_requests_queued gauge\nhone_requests_queued %d\n"
                 "# HELP hone_slots_busy Slots serving a request.\n# TYPE hone_slots_busy gauge\nhone_slots_busy %d\n",
                 s->n_requests, s->n_prompt_tokens, s->n_gen_tokens,
                 s->gen_ms > 0 ? 1e3 * (double)(s->n_prompt_tokens + s->n_gen_tokens) / s->gen_ms : 0.0,
                 s->n_queue, busy);
        pthread_mutex_unlock(&s->lock);
        return send_text(c, 200, "text/plain; version=0.0.4", m);
    }
    return send_error(c, 404, "no such endpoint: %s", url);
}

static bool authorized(struct MHD_Connection *c, const srv *s)
{
    if (s->n_api_keys == 0) return true;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0) return false;
    for (int i = 0; i < s->n_api_keys; i++)
        if (!strcmp(h + 7, s->api_keys[i])) return true;
    return false;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
    (void)version;
    srv *s = cls;
    request *q = *req_cls;
    if (!q) { /* first call: the headers */
        q = calloc(1, sizeof *q);
        if (!q) return MHD_NO;
        q->s = s;
        *req_cls = q;
        return MHD_YES;
    }
    if (*upload_size) { /* the body, bounded */
        if (!q->too_big && q->len + *upload_size <= s->body_cap) {
            char *b = realloc(q->body, q->len + *upload_size + 1);
            if (!b) return MHD_NO;
            q->body = b;
            memcpy(q->body + q->len, upload, *upload_size);
            q->len += *upload_size;
            q->body[q->len] = '\0';
        } else {
            q->too_big = true;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    const bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    if (!strcmp(method, "OPTIONS")) return send_text(c, 204, "text/plain", "");
    if (strcmp(url, "/health") != 0 && !authorized(c, s))
        return send_error(c, 401, "Invalid API Key");
    static const struct { const char *url; int post; } ROUTES[] = {
        {"/health", 0}, {"/v1/models", 0}, {"/models", 0}, {"/props", 0}, {"/slots", 0},
        {"/metrics", 0}, {"/v1/chat/completions", 1}, {"/chat/completions", 1},
        {"/v1/completions", 1}, {"/completions", 1}, {"/completion", 1}, {"/tokenize", 1},
        {"/detokenize", 1}, {"/apply-template", 1}};
    int r = -1;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++)
        if (!strcmp(url, ROUTES[i].url)) r = (int)i;
    if (r < 0) return send_error(c, 404, "no such endpoint: %s", url);
    if ((ROUTES[r].post && !post) || (!ROUTES[r].post && !get))
        return send_error(c, 405, "%s takes %s", url, ROUTES[r].post ? "POST" : "GET");
    if (q->too_big)
        return send_error(c, 413, "the body is larger than %zu bytes", s->body_cap);
    if (!ROUTES[r].post) return info_route(c, s, url);
    if (strstr(url, "chat/completions")) return start_completion(c, q, API_CHAT);
    if (strstr(url, "completions")) return start_completion(c, q, API_COMPLETIONS);
    if (!strcmp(url, "/completion")) return start_completion(c, q, API_LLAMA);
    if (!strcmp(url, "/apply-template")) return apply_template(c, q);
    return tokenize(c, q, !strcmp(url, "/detokenize"));
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)c, (void)why;
    request *q = *req_cls;
    if (q && !q->answering) request_free(q); /* else the response frees it */
    *req_cls = NULL;
}

static struct MHD_Daemon *http_start(srv *s, const char *host, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "hone serve: --host %s is not an IPv4 address\n", host);
        return NULL;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
        MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)(s->queue_cap + s->n_slots + 16),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)256 * 1024, MHD_OPTION_END);
    if (!d) fprintf(stderr, "hone serve: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
    return d;
}

void *srv_http_start(srv *s, const char *host, int port) { return http_start(s, host, port); }

void srv_http_stop(void *d)
{
    if (!d) return;
    MHD_quiesce_daemon(d);
    MHD_stop_daemon(d);
}

#endif
