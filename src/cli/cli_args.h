/* cli_args.h — option parsing shared by the commands that run a model
 * (run, perplexity, bench): strict number parsing with one-line errors, the
 * common engine options (-m -c -b -ub -t --cache-type -lm --mlock --no-mmap)
 * and loading model + tokenizer + context from them.
 *
 * Every helper that fails prints exactly one line, "hone CMD: message", to
 * stderr and returns a negative value; callers just return 1.
 */
#ifndef HONE_CLI_ARGS_H
#define HONE_CLI_ARGS_H

#include "hone.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Print "hone CMD: <message>\n" to stderr. Returns -1. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The value of option argv[*i] (argv[*i + 1]), advancing *i; NULL (after
 * printing) when it is missing. */
const char *cli_value(const char *cmd, int argc, char **argv, int *i);

/* Whole-string integer / float in [min, max]; 0 on success. */
int cli_int(const char *cmd, const char *opt, const char *s, long min, long max, int *out);
int cli_float(const char *cmd, const char *opt, const char *s, double min, double max,
              float *out);
/* Next option value parsed as an int / float (cli_value + cli_int). */
int cli_int_arg(const char *cmd, int argc, char **argv, int *i, long min, long max, int *out);
int cli_float_arg(const char *cmd, int argc, char **argv, int *i, double min, double max,
                  float *out);

/* The most text a command reads (-f, --stdin, a chat line): refused beyond,
 * before it is allocated. A prompt beyond 64 MiB is far beyond any
 * context; a perplexity text may be a whole corpus (wikitext-103's training
 * split is 540 MB). */
#define CLI_MAX_TEXT ((size_t)64 << 20)
#define CLI_MAX_TEXT_PPL ((size_t)1 << 30)

/* Whole file into a NUL-terminated malloc'ed buffer (*len bytes), at most
 * max bytes: a larger regular file is refused before it is read, a stream
 * (pipe, device) once it passes max. A directory is refused as such. */
int cli_read_file(const char *cmd, const char *path, size_t max, char **buf, size_t *len);
/* The same for an open stream (standard input); name is used in messages. */
int cli_read_stream(const char *cmd, FILE *fp, const char *name, size_t max, char **buf,
                    size_t *len);
/* One line of fp (with its '\n', if any) into *line (grown, *cap bytes),
 * at most max bytes. 0: a line, -1: end of input, -2: too long or out of
 * memory (printed). */
int cli_read_line(const char *cmd, FILE *fp, size_t max, char **line, size_t *cap, size_t *len);
/* llama.cpp's escape processing (\n \r \t \' \" \\ \xHH) in place; returns
 * the new length (the text may contain NUL bytes from \x00). */
size_t cli_unescape(char *s, size_t len);

/* Options every model-running command shares. */
typedef struct {
    const char *model;   /* -m */
    int n_ctx;           /* -c (0: hone_model_default_n_ctx) */
    int n_batch;         /* -b */
    int n_ubatch;        /* -ub */
    int n_threads;       /* -t (0: not given) */
    uint32_t cache_type; /* --cache-type f16|f32 */
    int flash_attn;      /* -fa: CLI_FA_AUTO (default), CLI_FA_ON, CLI_FA_OFF */
    bool mlock;          /* --mlock, -lm mlock|mmap+mlock */
    int load_mode;       /* hone_load_mode: -lm, --mmap, --no-mmap (default auto) */
    int n_seq;           /* sequences of the context (serve -np; 0: 1) */
    unsigned cache_given; /* 1: -ctk given, 2: -ctv given (they must agree) */
    bool quiet;          /* --log-disable: no informational lines on stderr */
    bool verbose;        /* -v: the settings in use, on stderr */
} cli_engine_opts;

void cli_engine_defaults(cli_engine_opts *o);
/* Whether the model at path is read into memory (true) or mapped, by
 * hone_load_plan from this machine's THP setting and MemAvailable
 * (cli_load.c); why (cap bytes) says which rule decided. */
bool cli_load_read(int load_mode, const char *path, char *why, size_t cap);
/* What -lm auto does on this machine, in a line (hone info). */
void cli_load_describe(char *out, size_t cap);
/* If argv[*i] is an engine option, parse it (advancing *i) and return 1;
 * return 0 if it is not one, -1 on a bad value (printed). */
int cli_engine_opt(const char *cmd, int argc, char **argv, int *i, cli_engine_opts *o);
/* Say once on stderr that hone runs on the CPU and ignores -ngl. */
void cli_cpu_only_note(const char *cmd);
/* -fa values, as llama.cpp's enum llama_flash_attn_type (llama-bench prints
 * these numbers in its fa column). */
enum { CLI_FA_AUTO = -1, CLI_FA_OFF = 0, CLI_FA_ON = 1, CLI_FA_BAD = 2 };
/* One -fa value: on|enabled|true|1, off|disabled|false|0, auto; else
 * CLI_FA_BAD. */
int cli_flash_attn(const char *v);
/* Help lines for the engine options. */
extern const char CLI_ENGINE_HELP[];

typedef struct {
    hone_model *model;
    hone_tokenizer *tok;
    hone_context *ctx;
    hone_threadpool *pool;
    double load_ms;      /* model + tokenizer (+ context once created) */
} cli_engine;

/* The settings the library takes as values, resolved here, once, from the
 * user's flags and environment (the server resolves them the same way):
 * threads: -t, HONE_THREADS, OMP_NUM_THREADS (capped at the CPUs this
 * process may use), detected (hone_choose_threads); kernel set: HONE_KERNELS (a set's name or
 * "auto"), else the best set this CPU runs. Return 0 or -1 (printed). */
int cli_kernels(const char *cmd, const hone_kernels **k);
/* The most threads -t takes (the thread pool's limit). */
#define CLI_MAX_THREADS 1024
/* The thread count (hone_choose_threads), printing its warnings. */
int cli_threads(const char *cmd, int t_flag);

/* The built-in default model (models/ in the source, installed to
 * share/hone/models/): a 260K-parameter toy that writes children's stories,
 * so `hone run -p TEXT` works with nothing downloaded. */
#define CLI_DEFAULT_MODEL "stories260K-q8_0.gguf"
/* Its path beside this binary (installed or in the build tree) into path;
 * false if it is not there. */
bool cli_default_model(char *path, size_t cap);

/* The chat template: by name if given, else detected from the model's
 * tokenizer.chat_template, else chatml (llama.cpp's fallback). */
int cli_chat_template(const char *cmd, const char *name, const hone_model *m,
                      hone_chat_template *t);

/* The models folder: dir if given, else $HONE_MODELS, else
 * ~/.cache/hone/models (where `hone pull` puts models). */
void cli_models_dir(const char *dir, char *out, size_t cap);

/* Load the model (-m required; a bare file name that is not in the current
 * folder is looked up in the models folder) and its tokenizer. */
int cli_engine_open(const char *cmd, const cli_engine_opts *o, cli_engine *e);
/* Resolve threads and kernel set, create the thread pool and context
 * (the model's default context when -c is not given). n_ubatch_cap > 0 lowers the
 * micro-batch to that many tokens (a short prompt needs no big buffers). */
int cli_engine_context(const char *cmd, const cli_engine_opts *o, bool logits_all,
                       int n_ubatch_cap, cli_engine *e);
void cli_engine_close(cli_engine *e);
/* Warn (once per process) when a context of n_ctx tokens for n_seq
 * sequences gives a sequence more than the model's trained context. */
void cli_warn_ctx_train(const char *cmd, const hone_model *m, int n_ctx, int n_seq);

/* "s" unless n is 1: "1 token", "2 tokens". */
#define CLI_PLURAL(n) ((n) == 1 ? "" : "s")

/* Milliseconds from a monotonic clock. */
double cli_now_ms(void);
/* Peak resident set size of this process in bytes (getrusage). */
size_t cli_peak_rss(void);

#endif
