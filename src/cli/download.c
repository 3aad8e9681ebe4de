/* download.c — HTTP(S) downloads through a dlopen'ed libcurl (download.h). */
#include "download.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HONE_HAVE_CURL_H
#include <curl/curl.h>

/* The libcurl functions we use, resolved at run time. */
typedef struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl_api;

/* OpenSSL's EVP digest API (libcrypto: libcurl4's own dependency). */
typedef struct {
    void *(*md_ctx_new)(void);
    void (*md_ctx_free)(void *);
    const void *(*sha256)(void);
    int (*init)(void *, const void *, void *);
    int (*update)(void *, const void *, size_t);
    int (*final)(void *, unsigned char *, unsigned int *);
} crypto_api;

static void *sym(void *lib, const char *name, bool *ok)
{
    void *p = dlsym(lib, name);
    if (!p) *ok = false;
    return p;
}

/* Function pointers come back from dlsym as void *: POSIX guarantees the
 * conversion works, ISO C does not say so, hence the memcpy. */
#define LOAD(lib, dst, name, ok)                                                             \
    do {                                                                                     \
        void *p_ = sym((lib), (name), (ok));                                                 \
        memcpy(&(dst), &p_, sizeof(dst));                                                    \
    } while (0)

static hone_status load_curl(curl_api *c, hone_error *err)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "downloading needs libcurl, which is not installed (apt-get install libcurl4)");
    bool ok = true;
    LOAD(lib, c->global_init, "curl_global_init", &ok);
    LOAD(lib, c->easy_init, "curl_easy_init", &ok);
    LOAD(lib, c->easy_setopt, "curl_easy_setopt", &ok);
    LOAD(lib, c->easy_perform, "curl_easy_perform", &ok);
    LOAD(lib, c->easy_getinfo, "curl_easy_getinfo", &ok);
    LOAD(lib, c->easy_cleanup, "curl_easy_cleanup", &ok);
    LOAD(lib, c->easy_strerror, "curl_easy_strerror", &ok);
    LOAD(lib, c->slist_append, "curl_slist_append", &ok);
    LOAD(lib, c->slist_free_all, "curl_slist_free_all", &ok);
    if (!ok) return hone_fail(err, HONE_ERR_UNSUPPORTED, "libcurl.so.4 lacks a function hone needs");
    c->global_init(CURL_GLOBAL_DEFAULT);
    return HONE_OK;
}

static hone_status load_crypto(crypto_api *c, hone_error *err)
{
    void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libcrypto.so.1.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "checking a download needs OpenSSL's libcrypto (apt-get install libssl3)");
    bool ok = true;
    LOAD(lib, c->md_ctx_new, "EVP_MD_CTX_new", &ok);
    LOAD(lib, c->md_ctx_free, "EVP_MD_CTX_free", &ok);
    LOAD(lib, c->sha256, "EVP_sha256", &ok);
    LOAD(lib, c->init, "EVP_DigestInit_ex", &ok);
    LOAD(lib, c->update, "EVP_DigestUpdate", &ok);
    LOAD(lib, c->final, "EVP_DigestFinal_ex", &ok);
    if (!ok) return hone_fail(err, HONE_ERR_UNSUPPORTED, "libcrypto lacks a function hone needs");
    return HONE_OK;
}

static hone_status file_sha256(const crypto_api *c, const char *path, char out[65],
                               long long *bytes, hone_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return hone_fail(err, HONE_ERR_IO, "%s: %s", path, strerror(errno));
    void *ctx = c->md_ctx_new();
    unsigned char buf[1 << 16], md[32];
    unsigned int mdlen = 0;
    size_t n;
    bool ok = ctx && c->init(ctx, c->sha256(), NULL) == 1;
    *bytes = 0;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        ok = c->update(ctx, buf, n) == 1;
        *bytes += (long long)n;
    }
    ok = ok && !ferror(f) && c->final(ctx, md, &mdlen) == 1 && mdlen == 32;
    if (ctx) c->md_ctx_free(ctx);
    fclose(f);
    if (!ok) return hone_fail(err, HONE_ERR_IO, "%s: cannot compute its sha256", path);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
    return HONE_OK;
}

/* ---------------------------------------------------------- one transfer */

typedef struct {
    FILE *f;
    hone_download *d;
    bool write_failed;
    int write_errno;
    long long base;  /* bytes already in the part file when this try began */
    double last_print;
} transfer;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    size_t w = fwrite(p, size, n, t->f);
    if (w != n) {
        t->write_failed = true;
        t->write_errno = errno;
    }
    return w * size;
}

/* Hugging Face's LFS files carry their sha256 as X-Linked-ETag: "hex". */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    size_t len = size * n;
    static const char key[] = "x-linked-etag:";
    if (len > sizeof key && !strncasecmp(p, key, sizeof key - 1)) {
        const char *v = p + sizeof key - 1;
        const char *end = p + len;
        while (v < end && (*v == ' ' || *v == '"')) v++;
        size_t k = 0;
        while (v + k < end && k < 64 && strchr("0123456789abcdef", v[k]) && v[k]) k++;
        if (k == 64) {
            memcpy(t->d->server_sha256, v, 64);
            t->d->server_sha256[64] = '\0';
        }
    }
    return len;
}

static int on_progress(void *arg, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
    (void)ut, (void)un;
    transfer *t = arg;
    if (!t->d->progress || now - t->last_print < (1 << 20)) return 0;
    t->last_print = (double)now;
    const double mib = 1024.0 * 1024.0;
    if (total > 0)
        fprintf(stderr, "\rhone pull: %8.1f / %.1f MiB (%3.0f %%)", (double)(t->base + now) / mib,
                (double)(t->base + total) / mib, 100.0 * (double)(t->base + now) / (double)(t->base + total));
    else
        fprintf(stderr, "\rhone pull: %8.1f MiB", (double)(t->base + now) / mib);
    return 0;
}

/* One attempt: append to the part file from its current size. Returns the
 * curl code; *http the HTTP status. */
static CURLcode attempt(const curl_api *c, hone_download *d, const char *part, long *http,
                        transfer *t, char *curl_err)
{
    struct stat st;
    long long have = stat(part, &st) == 0 ? (long long)st.st_size : 0;
    t->f = fopen(part, have ? "ab" : "wb");
    if (!t->f) return CURLE_WRITE_ERROR;
    t->base = have;
    t->write_failed = false;
    CURL *h = c->easy_init();
    struct curl_slist *hdr = NULL;
    if (!h) {
        fclose(t->f);
        return CURLE_FAILED_INIT;
    }
    char auth[600], agent[48];
    snprintf(agent, sizeof agent, "hone/%s", hone_version());
    if (d->bearer && *d->bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", d->bearer);
        hdr = c->slist_append(NULL, auth);
    }
    c->easy_setopt(h, CURLOPT_URL, d->url);
    c->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    c->easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    c->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    c->easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    c->easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)d->stall_seconds);
    c->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    c->easy_setopt(h, CURLOPT_WRITEDATA, t);
    c->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    c->easy_setopt(h, CURLOPT_HEADERDATA, t);
    c->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    c->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    c->easy_setopt(h, CURLOPT_XFERINFODATA, t);
    c->easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    c->easy_setopt(h, CURLOPT_USERAGENT, agent);
    if (hdr) c->easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    if (have) c->easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)have);
    curl_err[0] = '\0';
    CURLcode rc = c->easy_perform(h);
    *http = 0;
    c->easy_getinfo(h, CURLINFO_RESPONSE_CODE, http);
    c->easy_cleanup(h);
    if (hdr) c->slist_free_all(hdr);
    if (fclose(t->f) != 0 && !t->write_failed) {
        t->write_failed = true;
        t->write_errno = errno;
    }
    /* asked to resume, answered with the whole file: start over */
    if (have && rc == CURLE_OK && *http == 200) {
        if (truncate(part, 0) == 0) return CURLE_RANGE_ERROR;
    }
    return rc;
}

void hone_download_part_path(const hone_download *d, char *out, size_t cap)
{
    snprintf(out, cap, "%s.part", d->dest);
}

hone_status hone_download_run(hone_download *d, hone_error *err)
{
    curl_api c = {0};
    crypto_api cr = {0};
    hone_status st = load_curl(&c, err);
    if (!st) st = load_crypto(&cr, err);
    if (st) return st;
    char part[4200];
    hone_download_part_path(d, part, sizeof part);
    d->server_sha256[0] = d->sha256[0] = '\0';
    char curl_err[CURL_ERROR_SIZE];
    CURLcode rc = CURLE_OK;
    long http = 0;
    transfer t = {.d = d};
    char why[CURL_ERROR_SIZE] = ""; /* the last failure worth reporting */
    for (int i = 0; i < (d->tries > 0 ? d->tries : 1); i++) {
        rc = attempt(&c, d, part, &http, &t, curl_err);
        if (d->progress) fprintf(stderr, "\n");
        if (t.write_failed)
            return hone_fail(err, HONE_ERR_IO, "writing %s: %s", part, strerror(t.write_errno));
        if (rc == CURLE_OK) break;
        /* the server cannot resume: start the file over on the next try */
        if (rc == CURLE_RANGE_ERROR) {
            if (truncate(part, 0) != 0)
                return hone_fail(err, HONE_ERR_IO, "%s: %s", part, strerror(errno));
            continue;
        }
        snprintf(why, sizeof why, "%s", curl_err[0] ? curl_err : c.easy_strerror(rc));
        /* an HTTP error (404, 401...) will not go away by asking again */
        if (rc == CURLE_HTTP_RETURNED_ERROR && http != 408 && http != 429 && http < 500) break;
        if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) break;
    }
    if (rc != CURLE_OK) {
        if (rc == CURLE_HTTP_RETURNED_ERROR)
            return hone_fail(err, HONE_ERR_IO, "%s: the server answered HTTP %ld%s", d->url, http,
                             http == 401 || http == 403 ? " (a gated model? set HF_TOKEN)" : "");
        return hone_fail(err, HONE_ERR_IO, "%s: %s", d->url,
                         why[0] ? why : curl_err[0] ? curl_err : c.easy_strerror(rc));
    }
    st = file_sha256(&cr, part, d->sha256, &d->bytes, err);
    if (st) return st;
    const char *want = d->want_sha256 && *d->want_sha256 ? d->want_sha256 : d->server_sha256;
    if (*want && strcasecmp(want, d->sha256) != 0) {
        unlink(part); /* a resumed file that went wrong must not be resumed */
        return hone_fail(err, HONE_ERR_FORMAT, "%s: sha256 %s, expected %s (%s): refusing it",
                         d->url, d->sha256, want,
                         d->want_sha256 && *d->want_sha256 ? "--sha256" : "the server's X-Linked-ETag");
    }
    return HONE_OK;
}
#else
hone_status hone_download_run(hone_download *d, hone_error *err)
{
    (void)d;
    return hone_fail(err, HONE_ERR_UNSUPPORTED, "this build of hone has no download support (built without curl/curl.h)");
}

void hone_download_part_path(const hone_download *d, char *out, size_t cap)
{
    snprintf(out, cap, "%s.part", d->dest);
}
#endif

hone_status hone_download_commit(const hone_download *d, hone_error *err)
{
    char part[4200];
    hone_download_part_path(d, part, sizeof part);
    if (rename(part, d->dest) != 0)
        return hone_fail(err, HONE_ERR_IO, "renaming %s to %s: %s", part, d->dest, strerror(errno));
    return HONE_OK;
}
