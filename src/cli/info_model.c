/* info_model.c — `hone info -m FILE`: not implemented yet. */
#include "commands.h"

#include <stdio.h>

int info_model(const char *path, int json)
{
    (void)json;
    fprintf(stderr, "hone info: cannot describe %s yet\n", path);
    return 1;
}
