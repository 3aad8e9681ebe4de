/* cmd_pull.c — `hone pull`: download a GGUF model into the models cache.
 *
 * The file is written as NAME.part (resumed when a download is run again),
 * its sha256 checked (--sha256, or the server's: Hugging Face sends it as
 * X-Linked-ETag for LFS files), the GGUF header and tensor table validated
 * like any model hone opens, and only then renamed to NAME. `hone run -m
 * NAME` finds it there by name. */
#include "cli_args.h"
#include "commands.h"
#include "download.h"
#include "hone.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD "pull"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hone pull URL|hf://OWNER/REPO/FILE.gguf [options]\n\n"
            "Downloads a GGUF model into the models folder; `hone run -m FILE.gguf`\n"
            "then finds it by name.\n\n"
            "  -o, --output DIR   where to put it (default: $HONE_MODELS, else\n"
            "                     ~/.cache/hone/models)\n"
            "  --sha256 HEX       the file's sha256, checked before it gets its name\n"
            "                     (Hugging Face sends it itself for LFS files)\n"
            "  --timeout S        give up a try after S seconds without data (30)\n"
            "  -h, --help         this text\n\n"
            "hf://OWNER/REPO/FILE is $HF_ENDPOINT/OWNER/REPO/resolve/main/FILE\n"
            "(HF_ENDPOINT default https://huggingface.co); HF_TOKEN is sent for gated\n"
            "models. An interrupted download resumes when run again; the file never\n"
            "appears under its name until it is complete, checked and valid.\n");
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int cmd_pull(int argc, char **argv)
{
    const char *src = NULL, *outdir = NULL, *sha = NULL;
    int timeout = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!(outdir = cli_value(CMD, argc, argv, &i))) return 1;
        } else if (!strcmp(a, "--sha256")) {
            if (!(sha = cli_value(CMD, argc, argv, &i))) return 1;
            if (strlen(sha) != 64 || strspn(sha, "0123456789abcdefABCDEF") != 64)
                return cli_error(CMD, "--sha256: '%s' is not 64 hex digits", sha), 1;
        } else if (!strcmp(a, "--timeout")) {
            if (cli_int_arg(CMD, argc, argv, &i, 1, 3600, &timeout)) return 1;
        } else if (a[0] == '-') {
            return cli_error(CMD, "unknown option '%s' (try hone pull --help)", a), 1;
        } else if (src) {
            return cli_error(CMD, "one model at a time (got '%s' and '%s')", src, a), 1;
        } else {
            src = a;
        }
    }
    if (!src) return cli_error(CMD, "no URL given (try hone pull --help)"), 1;

    /* hf://OWNER/REPO/FILE -> $HF_ENDPOINT/OWNER/REPO/resolve/main/FILE */
    char url[4096];
    const char *token = NULL;
    if (!strncmp(src, "hf://", 5)) {
        const char *rest = src + 5, *s1 = strchr(rest, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        if (!s1 || !s2 || !s2[1])
            return cli_error(CMD, "'%s' is not hf://OWNER/REPO/FILE.gguf", src), 1;
        const char *ep = getenv("HF_ENDPOINT");
        if (!ep || !*ep) ep = "https://huggingface.co";
        snprintf(url, sizeof url, "%s/%.*s/resolve/main/%s", ep, (int)(s2 - rest), rest, s2 + 1);
        token = getenv("HF_TOKEN");
    } else if (strstr(src, "://")) {
        snprintf(url, sizeof url, "%s", src);
        if (strstr(src, "huggingface.co/")) token = getenv("HF_TOKEN");
    } else {
        return cli_error(CMD, "'%s' is not a URL (https://..., hf://OWNER/REPO/FILE.gguf)", src), 1;
    }
    /* the file name: the URL path's last component */
    char name[256];
    size_t plen = strcspn(url, "?#");
    const char *slash = url + plen;
    while (slash > url && slash[-1] != '/') slash--;
    snprintf(name, sizeof name, "%.*s", (int)(url + plen - slash), slash);
    size_t nlen = strlen(name);
    if (nlen < 6 || strcmp(name + nlen - 5, ".gguf") != 0)
        return cli_error(CMD, "'%s' does not name a .gguf file", src), 1;

    char dir[PATH_MAX], dest[PATH_MAX + 300];
    cli_models_dir(outdir, dir, sizeof dir);
    if (make_dirs(dir) != 0) return cli_error(CMD, "cannot create %s: %s", dir, strerror(errno)), 1;
    snprintf(dest, sizeof dest, "%s/%s", dir, name);
    if (access(dest, F_OK) == 0 && !sha) {
        fprintf(stderr, "hone pull: %s is already there (remove it to download it again)\n", dest);
        printf("%s\n", dest);
        return 0;
    }

    hone_download d = {.url = url, .dest = dest, .bearer = token, .want_sha256 = sha,
                       .stall_seconds = timeout, .tries = 4, .progress = isatty(2)};
    hone_error err = {0};
    fprintf(stderr, "hone pull: %s -> %s\n", url, dest);
    if (hone_download_run(&d, &err)) return cli_error(CMD, "%s", err.msg), 1;
    char part[PATH_MAX + 320];
    hone_download_part_path(&d, part, sizeof part);
    /* a model only gets its name if hone can open it */
    hone_gguf_file *g = NULL;
    if (hone_gguf_open(part, NULL, &g, &err) != HONE_OK) {
        unlink(part);
        return cli_error(CMD, "%s is not a usable GGUF model: %s", url, err.msg), 1;
    }
    hone_gguf_close(g);
    if (hone_download_commit(&d, &err)) return cli_error(CMD, "%s", err.msg), 1;
    fprintf(stderr, "hone pull: %s: %.1f MiB, sha256 %s%s\n", dest, (double)d.bytes / 1048576.0,
            d.sha256, sha || d.server_sha256[0] ? " (checked)" : " (the server sent none to check)");
    printf("%s\n", dest);
    return 0;
}
