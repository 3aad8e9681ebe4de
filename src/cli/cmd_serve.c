/* cmd_serve.c — `hone serve`: an OpenAI- and llama-server-compatible HTTP
 * server with continuous batching (server.h). Flags are llama-server's.
 * One model per process: several models are several processes on several
 * ports. */
#include "cli_args.h"
#include "commands.h"
#include "hone.h"
#include "server.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "serve"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hone serve [-m MODEL] [options]\n\n"
            "An HTTP server for one model: the OpenAI API (/v1/chat/completions,\n"
            "/v1/completions, /v1/models) and llama-server's (/completion, /tokenize,\n"
            "/detokenize, /props, /slots, /health, /metrics). Every step evaluates the\n"
            "tokens of all busy slots together (continuous batching). SIGTERM/SIGINT:\n"
            "stop accepting, end what runs, exit 0. Several models: one process each,\n"
            "on its own --port.\n\n"
            "  -m, --model FILE        GGUF model (default: the built-in one)\n"
            "  --host ADDR             IPv4 address to listen on (127.0.0.1)\n"
            "  --port N                port (8080)\n"
            "  -np, --parallel N       slots: requests served at once (1); each gets a\n"
            "                          KV cache of c / N tokens\n"
            "  --api-key KEY[,KEY]     require 'Authorization: Bearer KEY' (not /health)\n"
            "  --api-key-file F        keys, one per line\n"
            "  -to, --timeout S        drop a client idle this long (600); waiting for\n"
            "                          the engine does not count\n"
            "  --queue N               requests waiting for a slot before 503 (64)\n"
            "  -a, --alias NAME        the model's id in /v1/models (the file name)\n"
            "  --metrics               enable /metrics (Prometheus text)\n"
            "%s"
            "  -h, --help              this help\n",
            CLI_ENGINE_HELP);
}

#ifdef HONE_HAVE_MHD
static int add_keys(srv *s, const char *list)
{
    char *copy = strdup(list);
    for (char *k = strtok(copy, ",\n\r"); k; k = strtok(NULL, ",\n\r")) {
        if (!*k) continue;
        char **a = realloc(s->api_keys, sizeof *a * (size_t)(s->n_api_keys + 1));
        if (!a) break;
        s->api_keys = a;
        s->api_keys[s->n_api_keys++] = strdup(k);
    }
    free(copy);
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    cli_engine_opts eo;
    cli_engine_defaults(&eo);
    const char *host = "127.0.0.1";
    int port = 8080, n_par = 1, timeout = 600, queue = 64, rc = 1;
    srv s = {.metrics = false, .body_cap = (size_t)8 << 20};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_engine_opt(CMD, argc, argv, &i, &eo);
        if (r < 0) return 1;
        if (r > 0) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--host")) {
            if (!(host = cli_value(CMD, argc, argv, &i))) return 1;
        } else if (!strcmp(a, "--port")) {
            if (cli_int_arg(CMD, argc, argv, &i, 1, 65535, &port)) return 1;
        } else if (!strcmp(a, "-np") || !strcmp(a, "--parallel")) {
            if (cli_int_arg(CMD, argc, argv, &i, 1, 256, &n_par)) return 1;
        } else if (!strcmp(a, "--timeout") || !strcmp(a, "-to")) {
            if (cli_int_arg(CMD, argc, argv, &i, 1, 86400, &timeout)) return 1;
        } else if (!strcmp(a, "--queue")) {
            if (cli_int_arg(CMD, argc, argv, &i, 1, 4096, &queue)) return 1;
        } else if (!strcmp(a, "--alias") || !strcmp(a, "-a")) {
            if (!(s.alias = cli_value(CMD, argc, argv, &i))) return 1;
        } else if (!strcmp(a, "--metrics")) {
            s.metrics = true;
        } else if (!strcmp(a, "--api-key")) {
            const char *v = cli_value(CMD, argc, argv, &i);
            if (!v) return 1;
            add_keys(&s, v);
        } else if (!strcmp(a, "--api-key-file")) {
            const char *f = cli_value(CMD, argc, argv, &i);
            char *text;
            size_t len;
            if (!f || cli_read_file(CMD, f, CLI_MAX_TEXT, &text, &len)) return 1;
            add_keys(&s, text);
            free(text);
            if (!s.n_api_keys) return cli_error(CMD, "%s holds no key", f), 1;
        } else {
            return cli_error(CMD, "unknown option '%s' (try hone serve --help)", a), 1;
        }
    }
    static char dflt[4096];
    if (!eo.model) {
        if (!cli_default_model(dflt, sizeof dflt))
            return cli_error(CMD, "no model given (-m FILE)"), 1;
        eo.model = dflt;
    }
    if (!s.alias) {
        const char *slash = strrchr(eo.model, '/');
        s.alias = slash ? slash + 1 : eo.model;
    }
    s.n_slots = n_par;
    s.queue_cap = queue;
    s.timeout_s = timeout;
    eo.n_seq = n_par;
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.work, NULL);
    pthread_cond_init(&s.progress, NULL);

    /* SIGTERM / SIGINT go to sigwait below: block them in every thread */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* listen first: /health says 503 while the model loads */
    void *http = srv_http_start(&s, host, port);
    if (!http) return 1;
    if (cli_engine_open(CMD, &eo, &s.eng) || cli_engine_context(CMD, &eo, false, 0, &s.eng) ||
        cli_chat_template(CMD, NULL, s.eng.model, &s.tmpl))
        goto out;
    snprintf(s.fingerprint, sizeof s.fingerprint, "hone-%s-%s", hone_version(),
             hone_context_kernels(s.eng.ctx)->name);
    if (srv_sched_start(&s)) {
        cli_error(CMD, "cannot start the scheduler");
        goto out;
    }
    pthread_mutex_lock(&s.lock);
    s.loaded = true;
    pthread_mutex_unlock(&s.lock);
    fprintf(stderr,
            "hone serve: %s on http://%s:%d: %d slot%s of %d tokens each (-c %d), kernels %s, "
            "%d threads, chat template %s%s\n",
            s.alias, host, port, n_par, n_par == 1 ? "" : "s", hone_seq_n_ctx(s.eng.ctx),
            hone_n_ctx(s.eng.ctx), hone_context_kernels(s.eng.ctx)->name, hone_n_threads(s.eng.ctx),
            hone_chat_template_name(s.tmpl), s.n_api_keys ? ", API key required" : "");
    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "hone serve: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    srv_sched_stop(&s);
    rc = 0;
out:
    srv_http_stop(http);
    cli_engine_close(&s.eng);
    for (int i = 0; i < s.n_api_keys; i++) free(s.api_keys[i]);
    free(s.api_keys);
    return rc;
}
#else
int cmd_serve(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
    return cli_error(CMD, "this build of hone has no HTTP server (built without libmicrohttpd)"), 1;
}
#endif
