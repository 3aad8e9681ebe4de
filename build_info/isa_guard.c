/* isa_guard.c — placeholder, replaced by the real check. */
#include "build_info.h"

hone_status hone_isa_guard(hone_error *err)
{
    (void)err;
    return HONE_OK;
}
