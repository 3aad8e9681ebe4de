/* cmd_run.c — `hone run`: not implemented yet. */
#include "commands.h"

#include <stdio.h>

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "hone run: not implemented yet\n");
    return 1;
}
