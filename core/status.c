/* status.c — error values (see status.h for the convention). */
#include "status.h"

#include <stdio.h>
#include <string.h>

#ifndef HONE_VERSION
#define HONE_VERSION "0.0.0"
#endif

const char *hone_version(void) { return HONE_VERSION; }

hone_status hone_fail(hone_error *err, hone_status st, const char *fmt, ...)
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

hone_status hone_fail_wrap(hone_error *err, const char *fmt, ...)
{
    if (!err) return HONE_ERR_INTERNAL;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n < 0) return err->status;
    size_t plen = strlen(prefix) + 2; /* "prefix: " */
    size_t cap = sizeof err->msg;
    if (plen >= cap) plen = cap - 1;
    size_t old = strnlen(err->msg, cap - 1);
    if (old > cap - 1 - plen) old = cap - 1 - plen; /* truncate the tail */
    memmove(err->msg + plen, err->msg, old);
    memcpy(err->msg, prefix, plen - 2);
    memcpy(err->msg + plen - 2, ": ", 2);
    err->msg[plen + old] = '\0';
    return err->status;
}

const char *hone_status_name(hone_status st)
{
    switch (st) {
    case HONE_OK: return "ok";
    case HONE_ERR_ARG: return "bad argument";
    case HONE_ERR_IO: return "I/O error";
    case HONE_ERR_FORMAT: return "bad format";
    case HONE_ERR_UNSUPPORTED: return "unsupported";
    case HONE_ERR_NOMEM: return "out of memory";
    case HONE_ERR_RANGE: return "out of range";
    case HONE_ERR_CPU: return "CPU not supported";
    case HONE_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}
