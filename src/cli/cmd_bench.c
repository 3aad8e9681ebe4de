/* cmd_bench.c — `hone bench`: not implemented yet. */
#include "commands.h"

#include <stdio.h>

int cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "hone bench: not implemented yet\n");
    return 1;
}
