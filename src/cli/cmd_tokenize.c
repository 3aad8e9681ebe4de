/* cmd_tokenize.c — `hone tokenize`: show how a model's tokenizer splits
 * text, with llama-tokenize's options and output format (one
 * "%6d -> 'piece'" line per token, or a Python-style list with --ids). */
#include "cli_args.h"
#include "commands.h"
#include "hone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hone tokenize -m MODEL.gguf (-p TEXT | -f FILE | --stdin) [options]\n\n"
            "  -m, --model FILE   the GGUF model (a vocab-only file is enough)\n"
            "  -p, --prompt TEXT  the text to tokenize\n"
            "  -f, --file FILE    read the text from FILE (verbatim; wins over -p)\n"
            "  --stdin            read the text from standard input\n"
            "                     (-f and --stdin read at most %d MiB)\n"
            "  --ids              print only the ids, as a list: [1, 2, 3]\n"
            "  --no-bos           do not add BOS (and EOS) even if the model wants them\n"
            "  --parse-special    recognise control tokens written in the text (default,\n"
            "                     as llama-tokenize does)\n"
            "  --no-parse-special treat control-token text as plain text\n"
            "  --show-count       print the number of tokens at the end\n"
            "  --escape           process escapes (\\n, \\t, \\xHH...) in the text (default)\n"
            "  --no-escape        do not process them\n"
            "  --log-disable      accepted for llama-tokenize compatibility (no effect)\n"
            "  --list-pre         list the tokenizer.ggml.pre names hone supports\n"
            "  -h, --help         this help\n",
            (int)(CLI_MAX_TEXT >> 20));
}

typedef struct {
    const char *model, *prompt, *file;
    bool use_stdin, ids, no_bos, parse_special, show_count, escape;
} opts;

/* 0 ok, 1 error (printed), 2 help printed */
static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->escape = true;
    o->parse_special = true; /* llama-tokenize's default since it gained the flag */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 2;
        } else if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && has_val) {
            o->model = argv[++i];
        } else if ((!strcmp(a, "-p") || !strcmp(a, "--prompt")) && has_val) {
            o->prompt = argv[++i];
        } else if ((!strcmp(a, "-f") || !strcmp(a, "--file")) && has_val) {
            o->file = argv[++i];
        } else if (!strcmp(a, "--stdin")) {
            o->use_stdin = true;
        } else if (!strcmp(a, "--ids")) {
            o->ids = true;
        } else if (!strcmp(a, "--no-bos")) {
            o->no_bos = true;
        } else if (!strcmp(a, "--parse-special")) {
            o->parse_special = true;
        } else if (!strcmp(a, "--no-parse-special")) {
            o->parse_special = false;
        } else if (!strcmp(a, "--show-count")) {
            o->show_count = true;
        } else if (!strcmp(a, "--no-escape")) {
            o->escape = false;
        } else if (!strcmp(a, "--escape")) {
            o->escape = true;
        } else if (!strcmp(a, "--list-pre")) {
            for (size_t k = 0; hone_tok_pre_known_name(k); k++)
                puts(hone_tok_pre_known_name(k));
            return 2;
        } else if (!strcmp(a, "--log-disable")) {
            /* nothing to disable: hone prints no logs here */
        } else {
            fprintf(stderr, "hone tokenize: %s option '%s' (see --help)\n",
                    a[0] == '-' && !has_val ? "unknown or incomplete" : "unknown", a);
            return 1;
        }
    }
    if (!o->model) {
        fprintf(stderr, "hone tokenize: -m MODEL is required (see --help)\n");
        return 1;
    }
    if (!o->use_stdin && !o->file && (!o->prompt || !o->prompt[0])) { /* as llama-tokenize */
        fprintf(stderr, "hone tokenize: one of --stdin, -f FILE or -p TEXT is required\n");
        return 1;
    }
    return 0;
}

static void print_tokens(const hone_tokenizer *tok, const int32_t *ids, size_t n, bool only_ids)
{
    if (only_ids) {
        putchar('[');
        for (size_t i = 0; i < n; i++)
            printf(i ? ", %d" : "%d", ids[i]);
        puts("]");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *p = hone_tok_piece_ref(tok, ids[i], &len);
        printf("%6d -> '", ids[i]);
        /* llama-tokenize prints the piece with %s: it stops at a NUL byte */
        fwrite(p, 1, p ? strnlen(p, len) : 0, stdout);
        fputs("'\n", stdout);
    }
}

int cmd_tokenize(int argc, char **argv)
{
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc == 2 ? 0 : 1;

    char *text = NULL;
    size_t len = 0;
    if (o.file && !o.use_stdin) {
        if (cli_read_file("tokenize", o.file, CLI_MAX_TEXT, &text, &len)) return 1;
    } else if (!o.use_stdin) {
        len = strlen(o.prompt);
        text = malloc(len + 1);
        if (!text) {
            fprintf(stderr, "hone tokenize: out of memory\n");
            return 1;
        }
        memcpy(text, o.prompt, len);
    }

    hone_error err = {0};
    hone_gguf_file *f = NULL;
    hone_tokenizer *tok = NULL;
    if (hone_gguf_open(o.model, NULL, &f, &err) != HONE_OK) {
        fprintf(stderr, "hone tokenize: %s\n", err.msg); /* names the file */
        free(text);
        return 1;
    }
    if (hone_tok_load(f, &tok, &err) != HONE_OK) {
        fprintf(stderr, "hone tokenize: %s: %s\n", o.model, err.msg);
        hone_gguf_close(f);
        free(text);
        return 1;
    }
    hone_gguf_close(f);

    if (o.use_stdin) {
        if (cli_read_stream("tokenize", stdin, "standard input", CLI_MAX_TEXT, &text, &len)) {
            hone_tok_free(tok);
            return 1;
        }
    }
    if (o.escape)
        len = cli_unescape(text, len); /* text has room for the NUL */

    /* as llama-tokenize: add_special follows the model's add_bos unless --no-bos */
    const bool add_special = hone_tok_add_bos(tok) && !o.no_bos;
    int32_t *ids = NULL;
    size_t n = 0;
    if (hone_tok_encode(tok, text, len, add_special, o.parse_special, &ids, &n, &err) != HONE_OK) {
        fprintf(stderr, "hone tokenize: %s\n", err.msg);
        free(text);
        hone_tok_free(tok);
        return 1;
    }
    print_tokens(tok, ids, n, o.ids);
    if (o.show_count)
        printf("Total number of tokens: %zu\n", n);
    free(ids);
    free(text);
    hone_tok_free(tok);
    return fflush(stdout) ? 1 : 0;
}
