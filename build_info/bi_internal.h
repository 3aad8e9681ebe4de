/* bi_internal.h — helpers shared inside build_info/ only.
 * build_info/ is compiled for the architecture baseline and must not call
 * into libhone (compiled for the variant's ISA) before the ISA guard has
 * passed, so it formats its own errors. */
#ifndef HONE_BI_INTERNAL_H
#define HONE_BI_INTERNAL_H

#include "hone.h"

#include <stdarg.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4))) static inline hone_status
bi_fail(hone_error *err, hone_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = st;
    }
    return st;
}

/* Directory of the running binary (/proc/self/exe), "" if unknown. */
void bi_exe_dir(char *out, size_t cap);

#endif
