/* main.c — entry point of the multi-call `hone` binary.
 *
 * This file is compiled for the architecture baseline (see HoneFlags.cmake):
 * the first thing it does is check that this CPU has every feature the rest
 * of the binary was compiled for, so an old CPU gets a message, not SIGILL.
 */
#include "hone.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} COMMANDS[] = {
    {"run", cmd_run, "generate text from a prompt, or chat (-cnv)"},
    {"serve", cmd_serve, "OpenAI- and llama.cpp-compatible HTTP server"},
    {"bench", cmd_bench, "measure prompt and generation speed (like llama-bench)"},
    {"tokenize", cmd_tokenize, "show how a model's tokenizer splits text"},
    {"perplexity", cmd_perplexity, "perplexity of a model on a text file"},
    {"quantize", cmd_quantize, "convert a model's tensors to another type, as llama-quantize does"},
    {"info", cmd_info, "this build and CPU (--json), or a model (-m FILE)"},
    {"pull", cmd_pull, "download a GGUF model (URL or hf://OWNER/REPO/FILE.gguf)"},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hone <command> [options]\n"
            "       hone --version | --help\n\n"
            "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-11s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\n'hone <command> --help' describes a command's options.\n");
}

/* `hone info --cpu-has FEATURE...`: whether this CPU has every feature
 * named (cpu_features' names, as in build_info.json's target_isa); prints
 * the missing ones. Answered before the CPU check, by baseline code, so any
 * hone binary of an architecture can tell whether this CPU runs another
 * (ci/install-fast.sh picks a release artifact with it). Exit 0: all
 * present, 1: some missing (listed on stdout). */
static int cpu_has(int argc, char **argv)
{
    hone_cpu_info cpu;
    hone_cpu_detect(&cpu);
    int missing = 0;
    for (int i = 0; i < argc; i++) {
        /* one argument may hold several, space- or comma-separated */
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", argv[i]);
        for (char *f = strtok(buf, " ,"); f; f = strtok(NULL, " ,")) {
            if (hone_cpu_has(&cpu, f)) continue;
            printf("%s%s", missing++ ? " " : "missing: ", f);
        }
    }
    if (missing) printf("\n");
    return missing ? 1 : 0;
}

int main(int argc, char **argv)
{
    hone_error err = {0};
    if (argc >= 3 && !strcmp(argv[1], "info") && !strcmp(argv[2], "--cpu-has"))
        return cpu_has(argc - 3, argv + 3);
    if (hone_isa_guard(&err) != HONE_OK) {
        fprintf(stderr, "hone: %s\n", err.msg);
        return 2;
    }
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-v")) {
        printf("hone %s\n", hone_version());
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(cmd, COMMANDS[i].name))
            return COMMANDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "hone: unknown command '%s' (try 'hone --help')\n", cmd);
    return 1;
}
