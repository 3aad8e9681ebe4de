/* cmd_perplexity.c — `hone perplexity`: not implemented yet. */
#include "commands.h"

#include <stdio.h>

int cmd_perplexity(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "hone perplexity: not implemented yet\n");
    return 1;
}
