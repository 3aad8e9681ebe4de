/* cmd_run.c — `hone run`: generate text from a prompt, or chat (-cnv).
 *
 * Text is streamed to stdout as it is generated (flushed per token; an
 * incomplete UTF-8 sequence or the start of a possible stop string is held
 * back until it is complete); timings go to stderr at the end, like
 * llama.cpp's llama-completion / llama-cli.
 *
 * Default -n is -1: generate until an end-of-generation token or until the
 * context is full (llama.cpp's default, without its context shifting).
 */
#include "cli_args.h"
#include "commands.h"

#include "hone.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "run"
#define MAX_STOPS 16

typedef struct {
    cli_engine_opts eng;
    const char *prompt;
    const char *prompt_file;
    bool escape;
    bool display_prompt;
    int n_predict;
    bool ignore_eos;
    hone_sampler_params sp;
    int repeat_last_n;          /* -1: context size */
    bool chat;
    bool no_chat;               /* -no-cnv */
    const char *chat_template;
    const char *system_prompt;
    const char *stops[MAX_STOPS];
    int n_stops;
    bool no_timings;
} run_opts;

/* Ctrl-C count in a chat (run_chat installs the handler) */
static volatile sig_atomic_t g_sigint;

typedef struct {
    double prompt_ms, gen_ms;
    int n_prompt, n_gen;
} run_stats;

static void usage(FILE *out)
{
    /* the defaults shown are the ones used: the library's, llama.cpp's */
    const hone_sampler_params d = hone_sampler_default_params();
    fprintf(out,
            "usage: hone run -m MODEL (-p PROMPT | -f FILE) [options]\n"
            "       hone run -m MODEL -cnv [options]\n\n"
            "Generate text from a prompt (streamed to stdout, timings to stderr),\n"
            "or chat interactively with the model's chat template.\n\n"
            "options:\n"
            "%s"
            "  -p, --prompt TEXT       prompt\n"
            "  -f, --file FILE         read the prompt from FILE (at most %d MiB)\n"
            "  -e, --escape            process \\n \\t \\\" \\\\ \\xHH... in the prompt\n"
            "  --no-display-prompt     do not echo the prompt\n"
            "  -n, --n-predict N       tokens to generate; -1 = until end of text or\n"
            "                          full context (default -1)\n"
            "  --ignore-eos            never stop at (and never pick) end-of-text tokens\n"
            "  --stop TEXT             stop when TEXT is generated (repeatable)\n"
            "sampling (llama.cpp's defaults; the order is llama.cpp's: penalties, top-k,\n"
            "top-p, min-p, temperature):\n"
            "  --temp T                temperature; 0 = greedy (default %.2f)\n"
            "  --top-k N               keep the N most likely tokens (default %d; 0 = off)\n"
            "  --top-p P               nucleus sampling (default %.2f; 1 = off)\n"
            "  --min-p P               drop tokens below P x the best (default %.2f; 0 = off)\n"
            "  --repeat-penalty X      penalize repeated tokens (default %.2f = off)\n"
            "  --repeat-last-n N       tokens the penalties look at (default %d; 0 = off,\n"
            "                          -1 = context size)\n"
            "  --frequency-penalty X   (default %.2f = off)\n"
            "  --presence-penalty X    (default %.2f = off)\n"
            "  -s, --seed N            random seed (default -1: random)\n"
            "chat (llama-cli's conversation mode):\n"
            "  -cnv, --conversation    interactive chat: one user message per stdin line\n"
            "  (also --chat)           (-p TEXT / -f FILE: the first one); /exit or EOF ends\n"
            "                          the session, /regen writes the last answer again,\n"
            "                          /clear forgets the conversation (not -sys); Ctrl-C\n"
            "                          stops an answer, at the prompt it quits. A full\n"
            "                          context drops the oldest turns (not -sys)\n"
            "  -no-cnv, --no-conversation  no chat (the default; wins over -cnv)\n"
            "  -sys, --system-prompt TEXT  system message for the chat\n"
            "  -r, --reverse-prompt TEXT   end the answer when TEXT is generated (as --stop)\n"
            "  --chat-template NAME    override the template the model's metadata names\n"
            "                          (a model without one gets chatml, like llama.cpp);\n"
            "                          one of: %s\n"
            "output:\n"
            "  --no-timings            do not print timings\n"
            "  -h, --help              this help\n",
            CLI_ENGINE_HELP, (int)(CLI_MAX_TEXT >> 20), (double)d.temp, (int)d.top_k, (double)d.top_p, (double)d.min_p,
            (double)d.repeat_penalty, (int)d.repeat_last_n, (double)d.freq_penalty,
            (double)d.presence_penalty, hone_chat_template_names());
}

static int parse_seed(const char *s, uint32_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < -1 || v > 0xFFFFFFFFLL)
        return cli_error(CMD, "--seed: '%s' is not -1 or an integer in 0..4294967295", s);
    *out = v == -1 ? HONE_SEED_RANDOM : (uint32_t)v;
    return 0;
}

/* Sampling options; 1 consumed, 0 not one, -1 error. */
static int sampler_opt(int argc, char **argv, int *i, run_opts *o)
{
    const char *a = argv[*i];
    hone_sampler_params *sp = &o->sp;
    int rc;
    if (!strcmp(a, "--temp")) rc = cli_float_arg(CMD, argc, argv, i, -1e9, 1e9, &sp->temp);
    else if (!strcmp(a, "--top-k")) rc = cli_int_arg(CMD, argc, argv, i, 0, 1 << 30, &sp->top_k);
    else if (!strcmp(a, "--top-p")) rc = cli_float_arg(CMD, argc, argv, i, 0, 1, &sp->top_p);
    else if (!strcmp(a, "--min-p")) rc = cli_float_arg(CMD, argc, argv, i, 0, 1, &sp->min_p);
    else if (!strcmp(a, "--repeat-penalty"))
        rc = cli_float_arg(CMD, argc, argv, i, 1e-6, 1e6, &sp->repeat_penalty);
    else if (!strcmp(a, "--repeat-last-n"))
        rc = cli_int_arg(CMD, argc, argv, i, -1, 1 << 24, &o->repeat_last_n);
    else if (!strcmp(a, "--frequency-penalty"))
        rc = cli_float_arg(CMD, argc, argv, i, -1e6, 1e6, &sp->freq_penalty);
    else if (!strcmp(a, "--presence-penalty"))
        rc = cli_float_arg(CMD, argc, argv, i, -1e6, 1e6, &sp->presence_penalty);
    else if (!strcmp(a, "-s") || !strcmp(a, "--seed")) {
        const char *v = cli_value(CMD, argc, argv, i);
        rc = v ? parse_seed(v, &sp->seed) : -1;
    } else
        return 0;
    return rc ? -1 : 1;
}

/* 0: run, 1: help printed, -1: error printed. */
static int parse_args(int argc, char **argv, run_opts *o)
{
    cli_engine_defaults(&o->eng);
    /* llama.cpp's sampler defaults (common/common.h), so that the same
     * command line gives the same text: penalties off */
    o->sp = hone_sampler_default_params();
    o->repeat_last_n = o->sp.repeat_last_n;
    o->n_predict = -1;
    o->display_prompt = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc = cli_engine_opt(CMD, argc, argv, &i, &o->eng);
        if (!rc) rc = sampler_opt(argc, argv, &i, o);
        if (rc < 0) return -1;
        if (rc > 0) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) {
            if (!(o->prompt = cli_value(CMD, argc, argv, &i))) return -1;
        } else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
            if (!(o->prompt_file = cli_value(CMD, argc, argv, &i))) return -1;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) {
            if (cli_int_arg(CMD, argc, argv, &i, -1, 1 << 30, &o->n_predict)) return -1;
        } else if (!strcmp(a, "-e") || !strcmp(a, "--escape")) {
            o->escape = true;
        } else if (!strcmp(a, "--no-display-prompt")) {
            o->display_prompt = false;
        } else if (!strcmp(a, "--ignore-eos")) {
            o->ignore_eos = true;
        } else if (!strcmp(a, "--no-timings")) {
            o->no_timings = true;
        } else if (!strcmp(a, "--stop")) {
            if (o->n_stops == MAX_STOPS) return cli_error(CMD, "at most %d --stop/-r strings", MAX_STOPS);
            if (!(o->stops[o->n_stops++] = cli_value(CMD, argc, argv, &i))) return -1;
        } else if (!strcmp(a, "-cnv") || !strcmp(a, "--chat") || !strcmp(a, "--conversation")) {
            o->chat = true;
        } else if (!strcmp(a, "-no-cnv") || !strcmp(a, "--no-conversation")) {
            o->no_chat = true; /* wins over -cnv, wherever it is */
        } else if (!strcmp(a, "-r") || !strcmp(a, "--reverse-prompt")) {
            /* llama-cli: hand the turn back to the user when the model
             * writes TEXT; here it ends the answer, as --stop does */
            if (o->n_stops == MAX_STOPS) return cli_error(CMD, "at most %d --stop/-r strings", MAX_STOPS);
            if (!(o->stops[o->n_stops++] = cli_value(CMD, argc, argv, &i))) return -1;
        } else if (!strcmp(a, "--chat-template")) {
            if (!(o->chat_template = cli_value(CMD, argc, argv, &i))) return -1;
        } else if (!strcmp(a, "-sys") || !strcmp(a, "--system-prompt")) {
            if (!(o->system_prompt = cli_value(CMD, argc, argv, &i))) return -1;
        } else {
            return cli_error(CMD, "unknown option '%s' (try hone run --help)", a);
        }
    }
    if (!o->eng.model) {
        static char dflt[4096];
        if (!cli_default_model(dflt, sizeof dflt))
            return cli_error(CMD, "no model given (-m FILE), and the built-in default model (%s) "
                                  "is not installed beside this binary", CLI_DEFAULT_MODEL);
        o->eng.model = dflt;
        if (!o->eng.quiet)
            fprintf(stderr, "hone run: no -m given: using the built-in default model %s (a tiny "
                            "story-telling toy; -m FILE.gguf for a real model)\n", dflt);
    }
    if (o->eng.quiet) o->no_timings = true;
    if (o->no_chat) o->chat = false;
    if (o->chat_template && !o->chat)
        return cli_error(CMD, "--chat-template formats a chat: add -cnv (without it the prompt "
                              "is given to the model as it is)");
    if (!o->chat && !o->prompt && !o->prompt_file)
        return cli_error(CMD, "no prompt given (-p TEXT or -f FILE; -cnv to chat)");
    if (o->prompt && o->prompt_file) return cli_error(CMD, "give -p or -f, not both");
    if (o->system_prompt && !o->chat)
        return cli_error(CMD, "-sys is the system message of a chat: add -cnv");
    return 0;
}

/* --------------------------------------------------------------- streaming */

typedef struct {
    char *buf;
    size_t len, cap;
    const char *const *stops;
    size_t n_stops;
    bool stopped;
    char *reply;          /* everything emitted (chat keeps it) */
    size_t reply_len, reply_cap;
} streamer;

static bool append(char **b, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t nc = (*cap ? *cap * 2 : 256);
        while (nc < *len + n + 1) nc *= 2;
        char *nb = realloc(*b, nc);
        if (!nb) return false;
        *b = nb;
        *cap = nc;
    }
    memcpy(*b + *len, s, n);
    *len += n;
    (*b)[*len] = '\0';
    return true;
}

/* Length of the longest prefix of s[0..n) that does not end inside a
 * UTF-8 sequence. */
static size_t utf8_complete(const char *s, size_t n)
{
    for (size_t back = 1; back <= 4 && back <= n; back++) {
        unsigned char c = (unsigned char)s[n - back];
        if ((c & 0xC0) == 0x80) continue; /* continuation byte */
        size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                    : (c & 0xF8) == 0xF0 ? 4 : 1;
        return need > back ? n - back : n;
    }
    return n;
}

static void emit(streamer *s, size_t n)
{
    if (!n) return;
    fwrite(s->buf, 1, n, stdout);
    fflush(stdout);
    append(&s->reply, &s->reply_len, &s->reply_cap, s->buf, n);
    memmove(s->buf, s->buf + n, s->len - n);
    s->len -= n;
}

static void stream_push(streamer *s, const char *piece, size_t n)
{
    if (s->stopped || !append(&s->buf, &s->len, &s->cap, piece, n)) return;
    size_t pos;
    hone_stop_kind k = hone_stop_find(s->buf, s->len, s->stops, s->n_stops, &pos);
    if (k == HONE_STOP_FULL) {
        emit(s, pos);
        s->len = 0;
        s->stopped = true;
        return;
    }
    emit(s, utf8_complete(s->buf, k == HONE_STOP_PARTIAL ? pos : s->len));
}

/* End of a reply: print what was held back. */
static void stream_finish(streamer *s)
{
    if (!s->stopped) emit(s, s->len);
    s->len = 0;
    s->stopped = false;
}

/* ---------------------------------------------------------------- running */

typedef struct {
    run_opts *o;
    cli_engine e;
    hone_sampler *smp;
    float *logits;        /* copy, with EOG tokens masked for --ignore-eos */
    run_stats st;
    streamer out;
    int32_t *hist;        /* the tokens in the KV cache, in order (n_ctx) */
    int n_hist;
} runner;

/* Create the context and the token history it goes with. */
static int open_context(runner *r, int n_ubatch_cap)
{
    if (cli_engine_context(CMD, &r->o->eng, false, n_ubatch_cap, &r->e)) return -1;
    r->hist = malloc(sizeof *r->hist * (size_t)hone_n_ctx(r->e.ctx));
    return r->hist ? 0 : cli_error(CMD, "out of memory");
}

/* Evaluate toks[0..n) in batches of n_batch, accepting them into the
 * sampler's history. */
static int feed(runner *r, const int32_t *toks, int n)
{
    hone_error err = {0};
    double t0 = cli_now_ms();
    const int nb = hone_n_batch(r->e.ctx);
    for (int i = 0; i < n; i += nb) {
        int k = n - i < nb ? n - i : nb;
        if (hone_decode(r->e.ctx, toks + i, k, &err)) return cli_error(CMD, "%s", err.msg);
        memcpy(r->hist + r->n_hist, toks + i, sizeof *toks * (size_t)k);
        r->n_hist += k;
    }
    for (int i = 0; i < n; i++) hone_sampler_accept(r->smp, toks[i]);
    r->st.prompt_ms += cli_now_ms() - t0;
    r->st.n_prompt += n;
    return 0;
}

/* Sample and stream up to n_max tokens (-1: no limit) after the current
 * logits. Returns 0, or -1 on an error (printed). */
static int generate(runner *r, int n_max)
{
    const hone_tokenizer *tok = r->e.tok;
    const int n_vocab = hone_n_vocab(r->e.ctx);
    hone_error err = {0};
    char piece[256];
    for (int n = 0; n_max < 0 || n < n_max; n++) {
        double t0 = cli_now_ms();
        memcpy(r->logits, hone_get_logits(r->e.ctx, -1), sizeof(float) * (size_t)n_vocab);
        if (r->o->ignore_eos)
            for (int v = 0; v < n_vocab; v++)
                if (hone_tok_is_eog(tok, v)) r->logits[v] = -INFINITY;
        int32_t t = hone_sampler_sample(r->smp, r->logits);
        hone_sampler_accept(r->smp, t);
        if (hone_tok_is_eog(tok, t)) break;
        int32_t len = hone_tok_piece(tok, t, piece, sizeof piece, false);
        if (len > 0) {
            stream_push(&r->out, piece, (size_t)len);
        } else if (len < 0) { /* a piece longer than the stack buffer */
            char *big = malloc((size_t)-len);
            int32_t l2 = big ? hone_tok_piece(tok, t, big, (size_t)-len, false) : 0;
            if (l2 > 0) stream_push(&r->out, big, (size_t)l2);
            free(big);
        }
        if (r->out.stopped) break;
        if (g_sigint) break; /* Ctrl-C in a chat: stop this answer */
        if (hone_n_past(r->e.ctx) >= hone_n_ctx(r->e.ctx)) {
            fprintf(stderr, "\nhone run: context full (%d tokens), stopping\n",
                    hone_n_ctx(r->e.ctx));
            break;
        }
        if (hone_decode(r->e.ctx, &t, 1, &err)) return cli_error(CMD, "%s", err.msg);
        r->hist[r->n_hist++] = t;
        r->st.gen_ms += cli_now_ms() - t0;
        r->st.n_gen++;
    }
    stream_finish(&r->out);
    return 0;
}

static int tokenize(runner *r, const char *text, size_t len, int32_t **ids, int *n)
{
    hone_error err = {0};
    size_t nn;
    if (hone_tok_encode(r->e.tok, text, len, true, true, ids, &nn, &err))
        return cli_error(CMD, "tokenizing: %s", err.msg);
    *n = (int)nn;
    return 0;
}

static int ctx_size(const run_opts *o, const hone_model *m)
{
    if (o->eng.n_ctx > 0) return o->eng.n_ctx;
    return hone_model_default_n_ctx(m);
}

static int run_prompt(runner *r)
{
    run_opts *o = r->o;
    char *text = NULL;
    size_t len;
    if (o->prompt_file) {
        if (cli_read_file(CMD, o->prompt_file, CLI_MAX_TEXT, &text, &len)) return -1;
        if (len > 0 && text[len - 1] == '\n') text[--len] = '\0'; /* as llama.cpp's -f */
    } else {
        len = strlen(o->prompt);
        text = malloc(len + 1);
        if (!text) return cli_error(CMD, "out of memory");
        memcpy(text, o->prompt, len + 1);
    }
    if (o->escape) len = cli_unescape(text, len);
    int32_t *ids = NULL;
    int n = 0, rc = tokenize(r, text, len, &ids, &n);
    const int n_ctx = ctx_size(o, r->e.model);
    if (!rc && n == 0) rc = cli_error(CMD, "the prompt is empty");
    if (!rc && n >= n_ctx)
        rc = cli_error(CMD, "the prompt is %d token%s, too long for the context of %d (-c)", n,
                       CLI_PLURAL(n), n_ctx);
    if (!rc) rc = open_context(r, n);
    if (!rc && o->display_prompt) {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
    }
    if (!rc) rc = feed(r, ids, n);
    if (!rc) rc = generate(r, o->n_predict);
    if (!rc) putchar('\n');
    free(ids);
    free(text);
    return rc;
}

/* ------------------------------------------------------------------- chat */

typedef struct {
    hone_chat_msg *msgs;
    size_t n, cap;
} chat_state;

static int chat_add(chat_state *c, const char *role, const char *content, size_t len)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        hone_chat_msg *nm = realloc(c->msgs, nc * sizeof *nm);
        if (!nm) return cli_error(CMD, "out of memory");
        c->msgs = nm;
        c->cap = nc;
    }
    char *dup = strndup(content, len);
    if (!dup) return cli_error(CMD, "out of memory");
    c->msgs[c->n++] = (hone_chat_msg){.role = role, .content = dup};
    return 0;
}

static void chat_free(chat_state *c)
{
    for (size_t i = 0; i < c->n; i++) free((char *)c->msgs[i].content);
    free(c->msgs);
}

/* Drop the oldest message after the system prompt (a user message and the
 * answer to it go together) to make room: llama-cli shifts its context
 * instead of ending the chat. Returns false when nothing can go. */
static bool chat_drop_oldest(chat_state *c)
{
    size_t first = c->n && !strcmp(c->msgs[0].role, "system") ? 1 : 0;
    /* keep the last message: it is the one to answer */
    if (c->n - first < 2) return false;
    size_t k = first + 1 < c->n - 1 && !strcmp(c->msgs[first + 1].role, "assistant") ? 2 : 1;
    for (size_t i = first; i < first + k; i++) free((char *)c->msgs[i].content);
    memmove(c->msgs + first, c->msgs + first + k, (c->n - first - k) * sizeof *c->msgs);
    c->n -= k;
    return true;
}

/* Format the conversation, feed what the KV cache does not hold yet (the
 * cache keeps the longest common token prefix) and generate the reply.
 * When the conversation no longer fits (leaving a quarter of the context
 * for the answer), the oldest turns are dropped, the system prompt kept.
 * 0: answered (or this message refused, printed: the chat goes on);
 * -1: an error that ends the chat. */
static int chat_turn(runner *r, chat_state *c, hone_chat_template tmpl)
{
    hone_error err = {0};
    const int n_ctx = hone_n_ctx(r->e.ctx);
    const int room = n_ctx / 4 > 0 ? n_ctx / 4 : 1;
    int32_t *ids = NULL;
    int n = 0, dropped = 0;
    for (;;) {
        char *prompt = NULL;
        if (hone_chat_apply(tmpl, c->msgs, c->n, true, &prompt, &err))
            return cli_error(CMD, "%s", err.msg);
        int rc = tokenize(r, prompt, strlen(prompt), &ids, &n);
        free(prompt);
        if (rc) return rc;
        if (n + room <= n_ctx || (n < n_ctx && !chat_drop_oldest(c))) break;
        if (n >= n_ctx && !chat_drop_oldest(c)) {
            /* the message alone (with the system prompt) does not fit */
            free(ids);
            cli_error(CMD, "this message is %d token%s with the chat template, more than the "
                           "context of %d (-c): not sent", n, CLI_PLURAL(n), n_ctx);
            free((char *)c->msgs[c->n - 1].content);
            c->n--;
            return 0;
        }
        free(ids);
        ids = NULL;
        dropped++;
    }
    if (dropped)
        fprintf(stderr, "hone run: the context (%d tokens) is full: dropped the %d oldest "
                        "turn%s, kept the system prompt\n", n_ctx, dropped, dropped == 1 ? "" : "s");
    int k = 0;
    while (k < n && k < r->n_hist && ids[k] == r->hist[k]) k++;
    if (k == n) k--; /* re-feed the last token to get its logits */
    hone_context_rewind(r->e.ctx, k);
    r->n_hist = k;
    int rc = feed(r, ids + k, n - k);
    free(ids);
    if (rc) return rc;
    r->out.reply_len = 0;
    if ((rc = generate(r, r->o->n_predict))) return rc;
    putchar('\n');
    fflush(stdout);
    return chat_add(c, "assistant", r->out.reply ? r->out.reply : "", r->out.reply_len);
}

/* Ctrl-C in a chat, as llama-cli: the first stops the answer being
 * written (back to the prompt), one at the prompt (or a second one while
 * the first is not yet handled) ends the session. */
static void on_sigint(int sig)
{
    (void)sig;
    g_sigint++;
}

static void chat_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a read at the prompt returns EINTR */
    sigaction(SIGINT, &sa, NULL);
}

/* The chat's commands (llama-cli's): 1 handled, 0 not a command, -1 error,
 * 2 /exit. */
static int chat_command(runner *r, chat_state *c, hone_chat_template tmpl, const char *line)
{
    if (!strcmp(line, "/exit")) return 2;
    if (!strcmp(line, "/clear")) {
        size_t keep = c->n && !strcmp(c->msgs[0].role, "system") ? 1 : 0;
        for (size_t i = keep; i < c->n; i++) free((char *)c->msgs[i].content);
        c->n = keep;
        fprintf(stderr, "hone run: conversation cleared%s\n", keep ? " (the system prompt kept)" : "");
        return 1;
    }
    if (!strcmp(line, "/regen")) {
        if (c->n == 0 || strcmp(c->msgs[c->n - 1].role, "assistant")) {
            fprintf(stderr, "hone run: /regen: no answer to write again\n");
            return 1;
        }
        free((char *)c->msgs[c->n - 1].content);
        c->n--;
        return chat_turn(r, c, tmpl) ? -1 : 1;
    }
    return 0;
}

static int run_chat(runner *r)
{
    run_opts *o = r->o;
    hone_chat_template tmpl;
    if (cli_chat_template(CMD, o->chat_template, r->e.model, &tmpl)) return -1;
    if (open_context(r, 0)) return -1;
    chat_state c = {0};
    int rc = o->system_prompt ? chat_add(&c, "system", o->system_prompt, strlen(o->system_prompt)) : 0;
    /* -p / -f: the first user message, answered before stdin is read (as
     * llama-cli's conversation mode) */
    char *first = NULL;
    size_t first_len = 0;
    if (!rc && o->prompt_file) {
        rc = cli_read_file(CMD, o->prompt_file, CLI_MAX_TEXT, &first, &first_len);
        if (!rc && first_len > 0 && first[first_len - 1] == '\n') first[--first_len] = '\0';
    } else if (!rc && o->prompt) {
        first_len = strlen(o->prompt);
        if (!(first = strndup(o->prompt, first_len))) rc = cli_error(CMD, "out of memory");
    }
    if (!rc && first && o->escape) first_len = cli_unescape(first, first_len);
    chat_signals();
    if (!rc && first && first_len > 0) {
        if (o->display_prompt) printf("> %s\n", first);
        if (!(rc = chat_add(&c, "user", first, first_len))) rc = chat_turn(r, &c, tmpl);
    }
    free(first);
    char *line = NULL;
    size_t cap = 0;
    bool quit = false;
    while (!rc && !quit) {
        g_sigint = 0;
        fputs("> ", stdout);
        fflush(stdout);
        size_t len;
        int lr = cli_read_line(CMD, stdin, CLI_MAX_TEXT, &line, &cap, &len);
        if (g_sigint) break; /* Ctrl-C at the prompt: end of the session */
        if (lr == -1) break; /* EOF: end of the session */
        if (lr < 0) {
            rc = -1;
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0) continue;
        int cmd = chat_command(r, &c, tmpl, line);
        if (cmd < 0) rc = -1;
        else if (cmd == 2) quit = true;
        else if (cmd == 0 && !(rc = chat_add(&c, "user", line, len))) rc = chat_turn(r, &c, tmpl);
        if (g_sigint > 1) break; /* a second Ctrl-C during the answer: quit */
    }
    if (!rc) putchar('\n');
    free(line);
    chat_free(&c);
    return rc;
}

/* --------------------------------------------------------------- timings */

static void print_timings(const runner *r)
{
    const run_stats *s = &r->st;
    const double mib = 1024.0 * 1024.0;
    fprintf(stderr, "\n");
    fprintf(stderr, "hone: load time        = %10.2f ms\n", r->e.load_ms);
    fprintf(stderr,
            "hone: prompt eval time = %10.2f ms / %5d tokens (%8.2f ms per token, %8.2f tokens per second)\n",
            s->prompt_ms, s->n_prompt, s->n_prompt ? s->prompt_ms / s->n_prompt : 0.0,
            s->prompt_ms > 0 ? 1e3 * s->n_prompt / s->prompt_ms : 0.0);
    fprintf(stderr,
            "hone: eval time        = %10.2f ms / %5d runs   (%8.2f ms per token, %8.2f tokens per second)\n",
            s->gen_ms, s->n_gen, s->n_gen ? s->gen_ms / s->n_gen : 0.0,
            s->gen_ms > 0 ? 1e3 * s->n_gen / s->gen_ms : 0.0);
    if (r->e.ctx) {
        /* the KV cache is reserved for the whole context, but only the rows
         * written are resident: say both, so a large -c does not read as a
         * peak above the resident size */
        const double kv = (double)hone_context_kv_bytes(r->e.ctx);
        const int n_ctx = hone_n_ctx(r->e.ctx), n_past = hone_n_past(r->e.ctx);
        fprintf(stderr,
                "hone: peak memory      = %10.2f MiB resident (model file %.2f MiB; KV cache %.2f MiB "
                "reserved, %.2f MiB written: %d of %d token%s; buffers %.2f MiB)\n",
                (double)cli_peak_rss() / mib, (double)hone_gguf_file_size(hone_model_gguf(r->e.model)) / mib,
                kv / mib, n_ctx > 0 ? kv * n_past / n_ctx / mib : 0.0, n_past, n_ctx,
                CLI_PLURAL(n_ctx), (double)hone_context_scratch_bytes(r->e.ctx) / mib);
        fprintf(stderr, "hone: kernels          = %s, %d threads\n",
                hone_context_kernels(r->e.ctx)->name, hone_n_threads(r->e.ctx));
    }
}

int cmd_run(int argc, char **argv)
{
    run_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc > 0 ? 0 : 1;
    runner r = {.o = &o};
    if (cli_engine_open(CMD, &o.eng, &r.e)) return 1;
    const int n_vocab = hone_model_n_vocab(r.e.model);
    hone_error err = {0};
    o.sp.repeat_last_n = o.repeat_last_n < 0 ? ctx_size(&o, r.e.model) : o.repeat_last_n;
    r.smp = hone_sampler_new(&o.sp, n_vocab, &err);
    if (o.eng.verbose)
        fprintf(stderr, "hone run: sampling: temp %.2f, top-k %d, top-p %.2f, min-p %.2f, repeat "
                        "penalty %.2f over %d tokens, frequency %.2f, presence %.2f, seed %s\n",
                (double)o.sp.temp, (int)o.sp.top_k, (double)o.sp.top_p, (double)o.sp.min_p,
                (double)o.sp.repeat_penalty, (int)o.sp.repeat_last_n, (double)o.sp.freq_penalty,
                (double)o.sp.presence_penalty, o.sp.seed == HONE_SEED_RANDOM ? "random" : "fixed");
    r.logits = malloc(sizeof(float) * (size_t)n_vocab);
    r.out.stops = o.stops;
    r.out.n_stops = (size_t)o.n_stops;
    if (!r.smp) rc = cli_error(CMD, "%s", err.msg);
    else if (!r.logits) rc = cli_error(CMD, "out of memory");
    else rc = o.chat ? run_chat(&r) : run_prompt(&r);
    if (!rc && !o.no_timings) print_timings(&r);
    /* quit by Ctrl-C: 130, as llama-cli (128 + SIGINT) */
    if (!rc && o.chat && g_sigint) rc = 130;
    free(r.out.buf);
    free(r.out.reply);
    free(r.logits);
    free(r.hist);
    hone_sampler_free(r.smp);
    cli_engine_close(&r.e);
    return rc == 130 ? 130 : rc ? 1 : 0;
}
