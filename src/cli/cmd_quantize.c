/* cmd_quantize.c — `hone quantize`: not implemented yet. */
#include "commands.h"

#include <stdio.h>

int cmd_quantize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "hone quantize: not implemented yet\n");
    return 1;
}
