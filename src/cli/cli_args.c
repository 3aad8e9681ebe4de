/* cli_args.c — shared option parsing and engine loading (cli_args.h). */
#include "cli_args.h"

#include "hone.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>

int cli_error(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* one line, whatever the message holds */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    fprintf(stderr, "hone %s: %s\n", cmd, msg);
    return -1;
}

const char *cli_value(const char *cmd, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        cli_error(cmd, "option %s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int cli_int(const char *cmd, const char *opt, const char *s, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno == ERANGE)
        return cli_error(cmd, "%s: '%s' is not an integer", opt, s);
    if (v < min || v > max)
        return cli_error(cmd, "%s: %ld is out of range %ld..%ld", opt, v, min, max);
    *out = (int)v;
    return 0;
}

int cli_float(const char *cmd, const char *opt, const char *s, double min, double max,
              float *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno == ERANGE || !isfinite(v))
        return cli_error(cmd, "%s: '%s' is not a number", opt, s);
    if (v < min || v > max)
        return cli_error(cmd, "%s: %g is out of range %g..%g", opt, v, min, max);
    *out = (float)v;
    return 0;
}

int cli_int_arg(const char *cmd, int argc, char **argv, int *i, long min, long max, int *out)
{
    const char *opt = argv[*i];
    const char *v = cli_value(cmd, argc, argv, i);
    return v ? cli_int(cmd, opt, v, min, max, out) : -1;
}

int cli_float_arg(const char *cmd, int argc, char **argv, int *i, double min, double max,
                  float *out)
{
    const char *opt = argv[*i];
    const char *v = cli_value(cmd, argc, argv, i);
    return v ? cli_float(cmd, opt, v, min, max, out) : -1;
}

/* Read fp to its end into a NUL-terminated buffer, never holding more than
 * max bytes: the buffer grows with what arrives (size_hint: a regular file's
 * size), so /dev/zero or an endless pipe is refused at max, not at ENOMEM. */
static int read_bounded(const char *cmd, FILE *fp, const char *name, size_t max,
                        size_t size_hint, char **buf, size_t *len)
{
    size_t cap = size_hint > 0 && size_hint < max ? size_hint + 2 : (size_t)1 << 16, n = 0;
    if (cap > max + 2) cap = max + 2;
    char *b = malloc(cap);
    if (!b) return cli_error(cmd, "out of memory reading %s", name);
    for (;;) {
        n += fread(b + n, 1, cap - 1 - n, fp);
        if (n > max) {
            free(b);
            return cli_error(cmd, "%s is more than %zu MiB, the most hone %s reads", name,
                             max >> 20, cmd);
        }
        if (n < cap - 1) break; /* end of file or error */
        size_t nc = cap * 2 > max + 2 ? max + 2 : cap * 2;
        char *nb = realloc(b, nc);
        if (!nb) {
            free(b);
            return cli_error(cmd, "out of memory reading %s", name);
        }
        b = nb;
        cap = nc;
    }
    if (ferror(fp)) {
        int e = errno;
        free(b);
        return cli_error(cmd, "cannot read %s: %s", name, strerror(e));
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

int cli_read_stream(const char *cmd, FILE *fp, const char *name, size_t max, char **buf,
                    size_t *len)
{
    struct stat sb;
    size_t hint = fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) ? (size_t)sb.st_size : 0;
    return read_bounded(cmd, fp, name, max, hint, buf, len);
}

int cli_read_file(const char *cmd, const char *path, size_t max, char **buf, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return cli_error(cmd, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0) {
        int e = errno;
        fclose(fp);
        return cli_error(cmd, "cannot read '%s': %s", path, strerror(e));
    }
    /* fopen opens a directory for reading; fread then fails with EISDIR */
    if (S_ISDIR(sb.st_mode)) {
        fclose(fp);
        return cli_error(cmd, "cannot read '%s': it is a directory, not a text file", path);
    }
    /* a regular file's size is known: refuse it before reading a byte */
    if (S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > max) {
        fclose(fp);
        return cli_error(cmd, "'%s' is %.1f MiB, more than %zu MiB, the most hone %s reads",
                         path, (double)sb.st_size / (1024.0 * 1024.0), max >> 20, cmd);
    }
    char name[PATH_MAX + 8];
    snprintf(name, sizeof name, "'%s'", path);
    int rc = read_bounded(cmd, fp, name, max, S_ISREG(sb.st_mode) ? (size_t)sb.st_size : 0, buf,
                          len);
    fclose(fp);
    return rc;
}

int cli_read_line(const char *cmd, FILE *fp, size_t max, char **line, size_t *cap, size_t *len)
{
    size_t n = 0;
    int c;
    while ((c = getc(fp)) != EOF) {
        if (n + 2 > *cap) {
            if (n >= max)
                return cli_error(cmd, "a line of standard input is more than %zu MiB, the most "
                                      "hone %s reads", max >> 20, cmd), -2;
            size_t nc = *cap ? *cap * 2 : 256;
            if (nc > max + 2) nc = max + 2;
            char *nl = realloc(*line, nc);
            if (!nl) return cli_error(cmd, "out of memory reading standard input"), -2;
            *line = nl;
            *cap = nc;
        }
        (*line)[n++] = (char)c;
        if (c == '\n') break;
    }
    if (c == EOF && n == 0) return -1;
    (*line)[n] = '\0';
    *len = n;
    return 0;
}

size_t cli_unescape(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\' || i + 1 >= len) {
            s[o++] = s[i];
            continue;
        }
        char c = s[++i];
        switch (c) {
        case 'n': s[o++] = '\n'; break;
        case 'r': s[o++] = '\r'; break;
        case 't': s[o++] = '\t'; break;
        case '\'': s[o++] = '\''; break;
        case '"': s[o++] = '"'; break;
        case '\\': s[o++] = '\\'; break;
        default:
            /* \xHH parsed with strtol, as llama.cpp does (so its quirks,
             * e.g. "\x+1", match llama-tokenize's stored outputs) */
            if (c == 'x' && i + 2 < len) {
                char hx[3] = {s[i + 1], s[i + 2], 0};
                char *end = NULL;
                long v = strtol(hx, &end, 16);
                if (end == hx + 2) {
                    i += 2;
                    s[o++] = (char)v;
                    break;
                }
            }
            s[o++] = '\\'; /* not an escape: keep it verbatim */
            s[o++] = c;
        }
    }
    s[o] = '\0';
    return o;
}

/* ------------------------------------------------------- engine options */

const char CLI_ENGINE_HELP[] =
    "  -m, --model FILE        GGUF model (required)\n"
    "  -c, --ctx-size N        context size in tokens (default: the model's, at most 4096)\n"
    "  -b, --batch-size N      most tokens per evaluation call (default 2048)\n"
    "  -ub, --ubatch-size N    tokens per forward pass (default 512)\n"
    "  -t, --threads N         threads (default: HONE_THREADS, build_info.json, or detected)\n"
    "  -ctk, --cache-type-k T  KV cache element type, f16 (default, as llama.cpp) or\n"
    "  -ctv, --cache-type-v T  f32; hone keeps K and V in one type, so the two must\n"
    "  --cache-type T          agree (--cache-type sets both)\n"
    "  -lm, --load-mode M      auto|none|mmap|mlock|mmap+mlock, as llama.cpp: none\n"
    "                          reads the model into memory (in huge pages: faster\n"
    "                          decode), mmap maps the file (fast start, pages shared);\n"
    "                          auto (default) reads it when transparent huge pages\n"
    "                          are on and it takes at most 3/4 of the free memory\n"
    "  --mlock                 lock the model in RAM\n"
    "  --mmap, --no-mmap       -lm mmap, -lm none\n"
    "  -fa, --flash-attn X     on|off|auto: llama.cpp's attention with or without\n"
    "                          flash attention, rounded as its CPU kernels do\n"
    "                          (default auto = on, as llama.cpp's CPU backend)\n"
    "  -ngl, --n-gpu-layers N  accepted for llama.cpp (also --gpu-layers); hone runs\n"
    "                          on the CPU, no layer is offloaded\n"
    "  --log-disable           no informational lines on stderr (timings, progress);\n"
    "                          warnings and errors are still printed\n"
    "  -v, --verbose           print the settings in use (context, batch, threads and\n"
    "                          where their number came from, kernels) on stderr\n"
    "                          (also --log-verbose)\n";

void cli_engine_defaults(cli_engine_opts *o)
{
    hone_context_params cp = hone_context_default_params();
    *o = (cli_engine_opts){.n_ctx = 0, .n_batch = cp.n_batch, .n_ubatch = cp.n_ubatch,
                           .cache_type = cp.cache_type, .flash_attn = CLI_FA_AUTO};
}

#define MAX_CTX (1 << 24)

int cli_engine_opt(const char *cmd, int argc, char **argv, int *i, cli_engine_opts *o)
{
    const char *a = argv[*i];
    if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
        o->model = cli_value(cmd, argc, argv, i);
        return o->model ? 1 : -1;
    }
    if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size"))
        return cli_int_arg(cmd, argc, argv, i, 0, MAX_CTX, &o->n_ctx) ? -1 : 1;
    if (!strcmp(a, "-b") || !strcmp(a, "--batch-size"))
        return cli_int_arg(cmd, argc, argv, i, 1, MAX_CTX, &o->n_batch) ? -1 : 1;
    if (!strcmp(a, "-ub") || !strcmp(a, "--ubatch-size"))
        return cli_int_arg(cmd, argc, argv, i, 1, MAX_CTX, &o->n_ubatch) ? -1 : 1;
    if (!strcmp(a, "-t") || !strcmp(a, "--threads"))
        return cli_int_arg(cmd, argc, argv, i, 1, CLI_MAX_THREADS, &o->n_threads) ? -1 : 1;
    if (!strcmp(a, "--mlock")) return o->mlock = true, 1;
    if (!strcmp(a, "--no-mmap")) return o->load_mode = HONE_LOAD_READ, 1;
    if (!strcmp(a, "--mmap")) return o->load_mode = HONE_LOAD_MMAP, 1;
    if (!strcmp(a, "-lm") || !strcmp(a, "--load-mode")) {
        const char *v = cli_value(cmd, argc, argv, i);
        if (!v) return -1;
        if (!strcmp(v, "auto")) o->load_mode = HONE_LOAD_AUTO;
        else if (!strcmp(v, "none")) o->load_mode = HONE_LOAD_READ;
        else if (!strcmp(v, "mmap")) o->load_mode = HONE_LOAD_MMAP;
        else if (!strcmp(v, "mlock")) o->load_mode = HONE_LOAD_READ, o->mlock = true;
        else if (!strcmp(v, "mmap+mlock")) o->load_mode = HONE_LOAD_MMAP, o->mlock = true;
        else if (!strcmp(v, "dio"))
            return cli_error(cmd, "%s dio: direct I/O is not supported by hone; use none (read) or mmap", a);
        else return cli_error(cmd, "%s: '%s' is not auto, none, mmap, mlock or mmap+mlock", a, v);
        return 1;
    }
    const bool ck = !strcmp(a, "-ctk") || !strcmp(a, "--cache-type-k");
    const bool cv = !strcmp(a, "-ctv") || !strcmp(a, "--cache-type-v");
    if (ck || cv || !strcmp(a, "--cache-type")) {
        const char *v = cli_value(cmd, argc, argv, i);
        if (!v) return -1;
        uint32_t t;
        if (!strcmp(v, "f16")) t = HONE_TYPE_F16;
        else if (!strcmp(v, "f32")) t = HONE_TYPE_F32;
        else return cli_error(cmd, "%s: '%s' is not f16 or f32", a, v);
        /* one cache type for K and V: a -ctk/-ctv pair that differs cannot
         * be honoured, and silently using one would change the results */
        const unsigned given = ck ? 1u : cv ? 2u : 3u;
        if ((o->cache_given & ~given) && t != o->cache_type)
            return cli_error(cmd, "%s %s: hone keeps K and V in one type, and the other was "
                                  "given as %s", a, v,
                             o->cache_type == HONE_TYPE_F16 ? "f16" : "f32");
        o->cache_given |= given;
        o->cache_type = t;
        return 1;
    }
    if (!strcmp(a, "-fa") || !strcmp(a, "--flash-attn")) {
        const char *v = cli_value(cmd, argc, argv, i);
        if (!v) return -1;
        if ((o->flash_attn = cli_flash_attn(v)) == CLI_FA_BAD)
            return cli_error(cmd, "%s: '%s' is not on, off or auto", a, v);
        return 1;
    }
    if (!strcmp(a, "-ngl") || !strcmp(a, "--n-gpu-layers") || !strcmp(a, "--gpu-layers")) {
        const char *v = cli_value(cmd, argc, argv, i);
        if (!v) return -1;
        if (strcmp(v, "auto") && strcmp(v, "all")) {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", v);
            int n;
            for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
                if (cli_int(cmd, a, t, -1, INT_MAX, &n)) return -1;
        }
        cli_cpu_only_note(cmd);
        return 1;
    }
    if (!strcmp(a, "--log-disable")) return o->quiet = true, 1;
    if (!strcmp(a, "-v") || !strcmp(a, "--verbose") || !strcmp(a, "--log-verbose"))
        return o->verbose = true, 1;
    return 0;
}

int cli_flash_attn(const char *v)
{
    /* common_arg_utils::is_truthy / is_falsey / is_autoy */
    static const struct {
        const char *s;
        int fa;
    } VALUES[] = {{"on", CLI_FA_ON},        {"enabled", CLI_FA_ON},   {"true", CLI_FA_ON},
                  {"1", CLI_FA_ON},         {"off", CLI_FA_OFF},      {"disabled", CLI_FA_OFF},
                  {"false", CLI_FA_OFF},    {"0", CLI_FA_OFF},        {"auto", CLI_FA_AUTO},
                  {"-1", CLI_FA_AUTO}};
    for (size_t i = 0; i < sizeof VALUES / sizeof VALUES[0]; i++)
        if (!strcmp(v, VALUES[i].s)) return VALUES[i].fa;
    return CLI_FA_BAD;
}

void cli_cpu_only_note(const char *cmd)
{
    /* once per process, whichever of the flags comes first */
    static bool said;
    if (said) return;
    said = true;
    fprintf(stderr, "hone %s: note: hone runs on the CPU: -ngl is accepted for llama.cpp "
                    "compatibility and changes nothing (no layer is offloaded)\n", cmd);
}

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

size_t cli_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru)) return 0;
    return (size_t)ru.ru_maxrss * 1024; /* Linux: kilobytes */
}

/* cli_threads, and where the number came from (-t, HONE_THREADS, ...) */
static int threads_from(const char *cmd, int t_flag, const char **source)
{
    const hone_thread_choice c = hone_choose_threads(t_flag);
    *source = c.source;
    if (c.warning[0]) fprintf(stderr, "hone %s: warning: %s\n", cmd, c.warning);
    if (c.over_limit)
        fprintf(stderr,
                "hone %s: warning: -t %d is more than the %d CPUs this process may use "
                "(affinity mask, cgroup quota): threads will wait for each other\n",
                cmd, c.n, c.limit);
    return c.n;
}

int cli_threads(const char *cmd, int t_flag)
{
    const char *source;
    return threads_from(cmd, t_flag, &source);
}

int cli_kernels(const char *cmd, const hone_kernels **k)
{
    const char *name = getenv("HONE_KERNELS");
    hone_error err = {0};
    if (hone_kernels_select(name, k, &err) == HONE_OK) return 0;
    return cli_error(cmd, "%s%s", name && *name ? "HONE_KERNELS: " : "", err.msg);
}

bool cli_default_model(char *path, size_t cap)
{
    char dir[PATH_MAX];
    hone_exe_dir(dir, sizeof dir);
    /* installed: <prefix>/bin/hone + <prefix>/share/hone/models/; build
     * tree: the binary's directory holds models/ (src/CMakeLists.txt) */
    static const char *const where[] = {"%s/../share/hone/models/%s", "%s/models/%s"};
    for (size_t i = 0; dir[0] && i < sizeof where / sizeof where[0]; i++) {
        snprintf(path, cap, where[i], dir, CLI_DEFAULT_MODEL);
        if (access(path, R_OK) == 0) return true;
    }
    path[0] = '\0';
    return false;
}

int cli_chat_template(const char *cmd, const char *name, const hone_model *m,
                      hone_chat_template *t)
{
    hone_error err = {0};
    if (name) return hone_chat_template_by_name(name, t, &err) ? cli_error(cmd, "%s", err.msg) : 0;
    hone_gguf_str s;
    /* no template, or an empty one: llama.cpp's fallback, chatml (its
     * common_chat_templates_init treats "" as absent) */
    if (hone_gguf_get_str(hone_model_gguf(m), "tokenizer.chat_template", &s, NULL) != HONE_OK ||
        s.len == 0) {
        *t = HONE_CHAT_CHATML;
        return 0;
    }
    char *jinja = hone_gguf_str_dup(s);
    if (!jinja) return cli_error(cmd, "out of memory");
    hone_status st = hone_chat_detect(jinja, t, &err);
    free(jinja);
    return st ? cli_error(cmd, "%s", err.msg) : 0;
}

void cli_models_dir(const char *dir, char *out, size_t cap)
{
    const char *env = getenv("HONE_MODELS"), *home = getenv("HOME");
    if (dir && *dir) snprintf(out, cap, "%s", dir);
    else if (env && *env) snprintf(out, cap, "%s", env);
    else snprintf(out, cap, "%s/.cache/hone/models", home && *home ? home : ".");
}

int cli_engine_open(const char *cmd, const cli_engine_opts *o, cli_engine *e)
{
    memset(e, 0, sizeof *e);
    if (!o->model) return cli_error(cmd, "no model given (-m FILE)");
    double t0 = cli_now_ms();
    hone_error err = {0};
    /* `hone pull` keeps models in the models folder: -m NAME finds them */
    const char *path = o->model;
    char pulled[PATH_MAX + 300];
    if (!strchr(path, '/') && access(path, F_OK) != 0) {
        char dir[PATH_MAX];
        cli_models_dir(NULL, dir, sizeof dir);
        snprintf(pulled, sizeof pulled, "%s/%s", dir, path);
        if (access(pulled, F_OK) == 0) path = pulled;
    }
    char why[160];
    const bool read = cli_load_read(o->load_mode, path, why, sizeof why);
    /* mapped: every page mapped at load, as llama.cpp's loader prefetches:
     * the first forward pass would otherwise take a fault per 4 KiB page (a
     * 1.1B Q4_K_M model: ~0.55 s of a 5-token prompt, vs ~0.05 s here).
     * Read: by every CPU this process may use, a burst at load whose cost
     * is the copy and the first touch of the pages. */
    /* read: the kernel set may lay the matrices out its own way (the set
     * the contexts will use: cli_engine_context picks the same) */
    const hone_kernels *k = NULL;
    if (read && cli_kernels(cmd, &k)) return -1;
    hone_model_opts mo = {.no_mmap = read, .mlock = o->mlock, .populate = !read,
                          .read_threads = hone_choose_threads(0).limit, .repack = k};
    if (o->verbose)
        fprintf(stderr, "hone %s: model %s (%s)%s\n", cmd,
                read ? "read into memory, in huge pages where the kernel has them" : "mapped", why,
                o->mlock ? ", locked in RAM" : "");
    if (hone_model_load(path, &mo, &e->model, &err)) return cli_error(cmd, "%s", err.msg);
    const char *set;
    const int n_repacked = hone_model_n_repacked(e->model, &set);
    if (o->verbose && n_repacked)
        fprintf(stderr, "hone %s: %d matrices laid out for kernel set %s (16-row groups)\n", cmd, n_repacked, set);
    if (hone_tok_load(hone_model_gguf(e->model), &e->tok, &err)) {
        cli_error(cmd, "%s: %s", o->model, err.msg);
        cli_engine_close(e);
        return -1;
    }
    e->load_ms = cli_now_ms() - t0;
    return 0;
}

void cli_warn_ctx_train(const char *cmd, const hone_model *m, int n_ctx, int n_seq)
{
    /* as llama.cpp (llama_context: "n_ctx_seq > n_ctx_train -- possible
     * training context overflow"): allowed, but positions the model never saw
     * in training make worse text. Said once (bench makes many contexts). */
    static bool warned;
    const int n_train = hone_model_n_ctx_train(m), n_seq_ctx = n_ctx / (n_seq > 0 ? n_seq : 1);
    if (warned || n_train <= 0 || n_seq_ctx <= n_train) return;
    warned = true;
    if (n_seq > 1)
        fprintf(stderr, "hone %s: warning: a context of %d tokens per slot (-c %d / -np %d) is "
                        "more than the %d the model was trained on: expect worse text beyond "
                        "%d tokens\n", cmd, n_seq_ctx, n_ctx, n_seq, n_train, n_train);
    else
        fprintf(stderr, "hone %s: warning: -c %d is more than the %d tokens the model was "
                        "trained on: expect worse text beyond %d tokens\n", cmd, n_ctx,
                n_train, n_train);
}

int cli_engine_context(const char *cmd, const cli_engine_opts *o, bool logits_all,
                       int n_ubatch_cap, cli_engine *e)
{
    double t0 = cli_now_ms();
    hone_error err = {0};
    const hone_kernels *k;
    if (cli_kernels(cmd, &k)) return -1;
    const char *source;
    const int n_threads = threads_from(cmd, o->n_threads, &source);
    if (hone_threadpool_create(n_threads, &e->pool, &err)) /* say where the number came from */
        return cli_error(cmd, "%d threads (from %s): %s", n_threads, source, err.msg);
    hone_context_params cp = hone_context_default_params();
    cp.kernels = k;
    cp.n_seq = o->n_seq > 0 ? o->n_seq : 1;
    cp.n_ctx = o->n_ctx;
    cp.n_batch = o->n_batch;
    cp.n_ubatch = o->n_ubatch;
    if (n_ubatch_cap > 0 && cp.n_ubatch > n_ubatch_cap) cp.n_ubatch = n_ubatch_cap;
    cp.cache_type = o->cache_type;
    /* llama.cpp resolves auto per device: on when the CPU backend runs the
     * attention, which is always so here (llama_context::resolve_fused_ops) */
    cp.flash_attn = o->flash_attn != CLI_FA_OFF;
    cp.logits_all = logits_all;
    cp.pool = e->pool;
    if (hone_context_create(e->model, &cp, &e->ctx, &err))
        return cli_error(cmd, "%s: %s", o->model, err.msg);
    cli_warn_ctx_train(cmd, e->model, hone_n_ctx(e->ctx), cp.n_seq);
    if (o->verbose)
        fprintf(stderr, "hone %s: context %d tokens (%s)%s, batch %d, micro-batch %d, KV cache %s, "
                        "flash attention %s, %d threads (from %s), kernels %s\n", cmd,
                hone_n_ctx(e->ctx), o->n_ctx > 0 ? "-c" : "the model's, at most 4096",
                cp.n_seq > 1 ? " shared by the slots" : "", hone_n_batch(e->ctx), cp.n_ubatch,
                cp.cache_type == HONE_TYPE_F32 ? "f32" : "f16",
                !cp.flash_attn ? "off" : o->flash_attn == CLI_FA_AUTO ? "on (auto)" : "on",
                n_threads, source, hone_context_kernels(e->ctx)->name);
    e->load_ms += cli_now_ms() - t0;
    return 0;
}

void cli_engine_close(cli_engine *e)
{
    hone_context_free(e->ctx);
    hone_threadpool_free(e->pool);
    hone_tok_free(e->tok);
    hone_model_free(e->model);
    memset(e, 0, sizeof *e);
}
