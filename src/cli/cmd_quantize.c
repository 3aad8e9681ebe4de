/* cmd_quantize.c — `hone quantize [options] IN.gguf [OUT.gguf] TYPE
 * [THREADS]`: llama-quantize's command line (argument order, type names,
 * options) over hone_quantize_file. The output is written atomically; an
 * interrupt (Ctrl-C, SIGTERM) stops it and leaves no file behind. */
#include "cli_args.h"
#include "commands.h"
#include "hone.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "quantize"

static volatile sig_atomic_t g_cancel;

static void on_signal(int sig)
{
    (void)sig;
    g_cancel = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hone quantize [options] IN.gguf [OUT.gguf] TYPE [THREADS]\n\n"
            "Quantize a GGUF model as llama.cpp's llama-quantize does (same per-tensor\n"
            "types, same bytes). OUT defaults to ggml-model-TYPE.gguf beside IN; it is\n"
            "written to a temporary file and renamed into place when complete.\n"
            "THREADS defaults to HONE_THREADS, else the detected best.\n\n"
            "options:\n"
            "  --allow-requantize        allow requantizing tensors that are already\n"
            "                            quantized (this loses quality compared to\n"
            "                            quantizing from F32/F16/BF16)\n"
            "  --leave-output-tensor     leave output.weight un(re)quantized\n"
            "  --pure                    no K-quant mixture: every tensor gets TYPE\n"
            "  --output-tensor-type T    type of output.weight (ggml name, e.g. q8_0)\n"
            "  --token-embedding-type T  type of token_embd.weight\n"
            "  -h, --help                this text\n\n"
            "types (TYPE, or its llama_ftype number):\n");
    size_t n;
    const hone_quant_kind *k = hone_quant_kinds(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %2u  or  %-8s: %s\n", k[i].ftype, k[i].name, k[i].desc);
}

static double mib(uint64_t b)
{
    return (double)b / (1024.0 * 1024.0);
}

/* One line per tensor, on a terminal only (a log gets the summary). */
static void progress(void *ud, const hone_quantize_progress *p)
{
    (void)ud;
    if (!p->done) return;
    char shape[96];
    int len = snprintf(shape, sizeof shape, "[%" PRIu64, p->ne[0]);
    for (uint32_t d = 1; d < p->n_dims && len > 0 && (size_t)len < sizeof shape; d++)
        len += snprintf(shape + len, sizeof shape - (size_t)len, " x %" PRIu64, p->ne[d]);
    if (len > 0 && (size_t)len + 1 < sizeof shape) snprintf(shape + len, sizeof shape - (size_t)len, "]");
    fprintf(stderr, "[%4" PRIu64 "/%4" PRIu64 "] %-36s %-20s %6s -> %-6s %9.3f MiB -> %9.3f MiB%s\n",
            p->index + 1, p->count, p->name, shape, hone_type_name(p->type_in),
            hone_type_name(p->type_out), mib(p->bytes_in), mib(p->bytes_out),
            p->fallback ? " (fallback: row length)" : "");
}

/* A ggml type name for --output-tensor-type / --token-embedding-type. */
static int type_arg(int argc, char **argv, int *i, uint32_t *out)
{
    const char *v = cli_value(CMD, argc, argv, i);
    if (!v) return -1;
    *out = hone_type_from_name(v);
    if (*out == HONE_TYPE_COUNT)
        return cli_error(CMD, "%s: unknown tensor type '%s' (ggml names: q4_0, q8_0, q6_K, f16...)",
                         argv[*i - 1], v);
    return 0;
}

int cmd_quantize(int argc, char **argv)
{
    hone_quantize_params p = {0};
    p.mix.output_type = HONE_TYPE_COUNT;
    p.mix.token_embd_type = HONE_TYPE_COUNT;
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "-", 1) && strcmp(argv[i], "-"); i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--allow-requantize")) {
            p.allow_requantize = true;
        } else if (!strcmp(a, "--leave-output-tensor")) {
            p.mix.leave_output = true;
        } else if (!strcmp(a, "--pure")) {
            p.mix.pure = true;
        } else if (!strcmp(a, "--output-tensor-type")) {
            if (type_arg(argc, argv, &i, &p.mix.output_type)) return 1;
        } else if (!strcmp(a, "--token-embedding-type")) {
            if (type_arg(argc, argv, &i, &p.mix.token_embd_type)) return 1;
        } else {
            cli_error(CMD, "unknown option %s (see hone quantize --help)", a);
            return 1;
        }
    }
    if (argc - i < 2) {
        cli_error(CMD, "need IN.gguf [OUT.gguf] TYPE [THREADS] (see hone quantize --help)");
        return 1;
    }
    const char *in = argv[i++];
    char out_buf[4096];
    const char *out;
    /* llama-quantize: IN TYPE [THREADS] writes ggml-model-TYPE.gguf beside IN */
    const hone_quant_kind *kind = hone_quant_kind_find(argv[i]);
    if (kind) {
        const char *slash = strrchr(in, '/');
        snprintf(out_buf, sizeof out_buf, "%.*sggml-model-%s.gguf",
                 slash ? (int)(slash - in + 1) : 0, in, kind->name);
        out = out_buf;
        i++;
    } else {
        out = argv[i++];
        if (i >= argc) {
            cli_error(CMD, "missing TYPE after %s (see hone quantize --help)", out);
            return 1;
        }
        if (!(kind = hone_quant_kind_find(argv[i]))) {
            cli_error(CMD, "unknown type '%s' (hone quantize --help lists the types)", argv[i]);
            return 1;
        }
        i++;
    }
    int t_flag = 0;
    if (i < argc && cli_int(CMD, "THREADS", argv[i++], 1, 1024, &t_flag)) return 1;
    if (i < argc) {
        cli_error(CMD, "unexpected argument '%s'", argv[i]);
        return 1;
    }
    p.mix.kind = kind;

    const int n_threads = cli_threads(CMD, t_flag);
    hone_error err = {0};
    hone_threadpool *pool = NULL;
    if (hone_threadpool_create(n_threads, &pool, &err) != HONE_OK)
        return cli_error(CMD, "%s", err.msg), 1;
    p.pool = pool;
    p.cancel = &g_cancel;
    if (isatty(STDERR_FILENO)) p.progress = progress;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    const double t0 = cli_now_ms();
    hone_quantize_stats s;
    const hone_status st = hone_quantize_file(in, out, &p, &s, &err);
    hone_threadpool_free(pool);
    if (st != HONE_OK) {
        cli_error(CMD, "%s", err.msg);
        return g_cancel ? 130 : 1;
    }
    const double secs = (cli_now_ms() - t0) / 1000.0;
    const double n = s.n_elements ? (double)s.n_elements : 1.0;
    printf("hone quantize: %s -> %s as %s (file type %u), %d thread%s\n", in, out, kind->name,
           s.ftype, n_threads, n_threads == 1 ? "" : "s");
    printf("  model size: %10.2f MiB (%.2f BPW)\n", mib(s.bytes_in), (double)s.bytes_in * 8.0 / n);
    printf("  quant size: %10.2f MiB (%.2f BPW)\n", mib(s.bytes_out), (double)s.bytes_out * 8.0 / n);
    printf("  %" PRIu64 " tensors in %.2f s", s.n_tensors, secs);
    if (s.n_fallback) printf(", %d with a fallback type for their row length", s.n_fallback);
    printf("\n");
    return 0;
}
