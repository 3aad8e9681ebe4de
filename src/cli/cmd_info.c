/* cmd_info.c — `hone info`: not implemented yet. */
#include "commands.h"

#include <stdio.h>

int cmd_info(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "hone info: not implemented yet\n");
    return 1;
}
