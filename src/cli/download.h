/* download.h — fetching a file over HTTP(S) for `hone pull`, with the
 * behaviour of `make install-fast` (ci/install-fast.sh): resume of a
 * partial download, retries, a stall timeout, progress on a terminal, the
 * sha256 checked before the file gets its name, never a half-written file
 * under the final name.
 *
 * libcurl (and OpenSSL's libcrypto, for SHA-256) are loaded with dlopen
 * when a download starts, not linked: the release artifacts run on a bare
 * Debian root where only `hone pull` needs them, and a machine without them
 * gets one line naming the package to install.
 */
#ifndef HONE_CLI_DOWNLOAD_H
#define HONE_CLI_DOWNLOAD_H

#include "hone.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *url;
    const char *dest;          /* final path; DEST.part while downloading */
    const char *bearer;        /* Authorization: Bearer (HF_TOKEN) or NULL */
    const char *want_sha256;   /* 64 hex digits to check, or NULL */
    int stall_seconds;         /* give up a try after this long at 0 B/s */
    int tries;                 /* attempts, each resuming the last */
    bool progress;             /* a progress line on stderr */
    /* out */
    char server_sha256[65];    /* from X-Linked-ETag (Hugging Face LFS), or "" */
    char sha256[65];           /* of the downloaded file */
    long long bytes;
} hone_download;

/* Download d->url to d->dest.part (resuming it if present), compute its
 * sha256 and check it against want_sha256, else the server's X-Linked-ETag
 * when it sent one. The caller validates the content, then renames the
 * part file (hone_download_commit). Errors name the URL and the cause. */
hone_status hone_download_run(hone_download *d, hone_error *err);
/* Rename DEST.part to DEST (atomic). */
hone_status hone_download_commit(const hone_download *d, hone_error *err);
/* The part file's path. */
void hone_download_part_path(const hone_download *d, char *out, size_t cap);

#endif
