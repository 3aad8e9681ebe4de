/* build_info.h — what this binary is and what the running CPU can do. */
#ifndef HONE_BUILD_INFO_H
#define HONE_BUILD_INFO_H

#include "hone.h"

/* Check the running CPU has every feature this binary was compiled for
 * (and every feature build_info.json's target_isa lists). Compiled for the
 * architecture baseline: safe to call first thing in main. */
hone_status hone_isa_guard(hone_error *err);

#endif
