/* cmd_serve.c — `hone serve`: not implemented yet. */
#include "commands.h"

#include <stdio.h>

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "hone serve: not implemented yet\n");
    return 1;
}
