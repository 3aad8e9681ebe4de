/* cmd_quantize.c — `hone quantize`: a placeholder until hone can write GGUF
 * files. It says so, in --help too, and exits 1 when asked to work. */
#include "commands.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hone quantize IN.gguf OUT.gguf TYPE   (not implemented yet)\n\n"
            "Will convert a model's tensors to another type, as llama.cpp's llama-quantize\n"
            "does. This build cannot: hone does not write GGUF files yet, so this command\n"
            "only says so (exit status 1). Use llama-quantize meanwhile; hone runs the\n"
            "files it writes.\n\n"
            "  -h, --help   this help\n");
}

int cmd_quantize(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
    fprintf(stderr, "hone quantize: not implemented yet (hone cannot write GGUF files; use "
                    "llama-quantize meanwhile)\n");
    return 1;
}
