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

/* The escaped form of the byte at s[i] (and its length in s): "" if the
 * byte goes through as is. */
static size_t escape_one(const unsigned char *s, size_t n, size_t i, char out[9], size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = s[i];
    *used = 1;
    if (c == '\n' || c == '\r' || c == '\t') {
        out[0] = '\\';
        out[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        return 2;
    }
    if (c < 0x20 || c == 0x7f) {
        out[0] = '\\', out[1] = 'x', out[2] = hex[c >> 4], out[3] = hex[c & 15];
        return 4;
    }
    if (c == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
        memcpy(out, "\\xc2\\x", 6);
        out[6] = hex[s[i + 1] >> 4], out[7] = hex[s[i + 1] & 15];
        *used = 2;
        return 8;
    }
    return 0;
}

const char *hone_escape(const char *s, size_t n, char *buf, size_t cap)
{
    if (!buf || cap == 0) return "";
    const unsigned char *u = (const unsigned char *)s;
    if (!s) n = 0;
    char e[9];
    size_t used, total = 0;
    for (size_t i = 0; i < n && total < cap; i += used) {
        size_t k = escape_one(u, n, i, e, &used);
        total += k ? k : 1;
    }
    /* when it does not fit, keep room for the "..." */
    size_t room = total <= cap - 1 ? cap - 1 : (cap >= 4 ? cap - 4 : 0);
    size_t o = 0, i = 0;
    while (i < n) {
        size_t k = escape_one(u, n, i, e, &used);
        size_t w = k ? k : 1;
        if (o + w > room) break;
        if (k) memcpy(buf + o, e, k);
        else buf[o] = (char)u[i];
        o += w;
        i += used;
    }
    if (i < n) {
        /* no half UTF-8 sequence before the "...": drop a sequence whose
         * lead byte is there but not all its continuation bytes */
        size_t lead = o;
        while (lead > 0 && o - lead < 4 && ((unsigned char)buf[lead - 1] & 0xc0) == 0x80) lead--;
        if (lead > 0) {
            unsigned char c = (unsigned char)buf[lead - 1];
            size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            if (len > 1 && o - (lead - 1) < len) o = lead - 1;
        }
        if (cap >= 4) {
            memcpy(buf + o, "...", 3);
            o += 3;
        }
    }
    buf[o] = '\0';
    return buf;
}

const char *hone_escape_str(const char *s, char *buf, size_t cap)
{
    return hone_escape(s, s ? strlen(s) : 0, buf, cap);
}
