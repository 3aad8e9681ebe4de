/* bi_internal.h — helpers shared inside build_info/ only.
 * build_info/ is compiled for the architecture baseline and must not call
 * into libhone (compiled for the variant's ISA) before the ISA guard has
 * passed; core/ (errors as values) is compiled for the baseline too. */
#ifndef HONE_BI_INTERNAL_H
#define HONE_BI_INTERNAL_H

#include "status.h"

#include <stddef.h>

#endif
