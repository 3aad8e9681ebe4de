/* status.h — errors as values, the convention every layer of hone follows.
 *
 * core/ is hone's bottom layer: it depends on nothing, and kernels/,
 * build_info/ and libhone (src/) all build on it. It is compiled for the
 * architecture baseline, because build_info/'s CPU check uses it before we
 * know the CPU can run anything newer.
 *
 * Error convention: every fallible function returns a hone_status and, on
 * failure, fills the caller's hone_error with a one-line message naming what
 * is wrong and where. Library code never prints and never exits; the CLI
 * prints the message once, at the edge.
 */
#ifndef HONE_STATUS_H
#define HONE_STATUS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    HONE_OK = 0,
    HONE_ERR_ARG,         /* bad argument or option value */
    HONE_ERR_IO,          /* open/read/write/mmap failed */
    HONE_ERR_FORMAT,      /* malformed or hostile input file / JSON */
    HONE_ERR_UNSUPPORTED, /* valid input we cannot handle (type, arch) */
    HONE_ERR_NOMEM,       /* allocation failed or would be unbounded */
    HONE_ERR_RANGE,       /* context overflow, index out of range */
    HONE_ERR_CPU,         /* this CPU cannot run this binary / kernel set */
    HONE_ERR_INTERNAL
} hone_status;

typedef struct {
    hone_status status;
    char msg[512];
} hone_error;

/* Record a failure in err (may be NULL) and return st. printf-style. */
hone_status hone_fail(hone_error *err, hone_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix an existing message with context ("loading x.gguf: ..."). */
hone_status hone_fail_wrap(hone_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *hone_status_name(hone_status st);

/* Strings from a model file (names, templates, metadata) as one printable
 * line for messages and terminals, so a file cannot move the cursor, clear
 * the screen or fake output lines: the bytes of s[0..n) (NULs included)
 * with the C0 controls and DEL as \n, \r, \t or \xNN, and the C1 controls
 * U+0080..U+009F (UTF-8 C2 80..C2 9F) as \xc2\xNN; everything else as is.
 * Writes at most cap - 1 bytes and a NUL into buf (cap >= 4), ending in
 * "..." when s does not fit; returns buf, for use as a printf argument. */
const char *hone_escape(const char *s, size_t n, char *buf, size_t cap);
/* hone_escape of a NUL-terminated string. */
const char *hone_escape_str(const char *s, char *buf, size_t cap);

/* Version string, e.g. "0.1.0". */
const char *hone_version(void);

#ifdef __cplusplus
}
#endif
#endif
