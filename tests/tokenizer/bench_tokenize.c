/* bench_tokenize.c — tokenizer speed: tokenizes ~1 MB of English (stories.txt
 * repeated) with every vocab in $HONE_SHARED/vocab and prints MB/s.
 *
 *   bench_tokenize [SHARED_DIR] [--mb N] [--write FILE] [--only SUBSTRING]
 *
 * --write FILE also saves the text, to time llama-tokenize on the same
 * input:  time llama-tokenize -m VOCAB -f FILE --ids --log-disable >/dev/null
 * Settings are llama-tokenize's defaults: add_special per the model's
 * add_bos, parse_special = true. Best of 3 runs.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gguf.h"
#include "tokenizer.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU time too: the machine may be shared, and encoding is single-threaded */
static double cpu(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *shared = getenv("HONE_SHARED");
    const char *write_path = NULL, *only = NULL;
    double mb = 1.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mb") && i + 1 < argc)
            mb = atof(argv[++i]);
        else if (!strcmp(argv[i], "--write") && i + 1 < argc)
            write_path = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else
            shared = argv[i];
    }
    if (!shared)
        shared = "../shared";
    char path[2048];
    snprintf(path, sizeof path, "%s/reference/stories.txt", shared);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "bench_tokenize: cannot open %s\n", path);
        return 1;
    }
    fseek(fp, 0, SEEK_END);
    long sl = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *story = malloc((size_t)sl);
    if (!story || fread(story, 1, (size_t)sl, fp) != (size_t)sl || sl <= 0) {
        fprintf(stderr, "bench_tokenize: cannot read %s\n", path);
        return 1;
    }
    fclose(fp);
    size_t want = (size_t)(mb * 1024 * 1024), len = 0;
    char *text = malloc(want + (size_t)sl);
    if (!text)
        return 1;
    while (len < want) {
        memcpy(text + len, story, (size_t)sl);
        len += (size_t)sl;
    }
    if (write_path) {
        FILE *w = fopen(write_path, "wb");
        if (!w || fwrite(text, 1, len, w) != len || fclose(w)) {
            fprintf(stderr, "bench_tokenize: cannot write %s\n", write_path);
            return 1;
        }
    }

    snprintf(path, sizeof path, "%s/vocab", shared);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "bench_tokenize: cannot open %s\n", path);
        return 1;
    }
    char *names[256];
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 256) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".gguf") && (!only || strstr(e->d_name, only)))
            names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof *names, cmp_str);
    printf("%-28s %8s %8s %9s %9s %11s\n", "vocab", "MB", "tokens", "load ms", "MB/s", "MB/s (cpu)");
    for (int i = 0; i < nn; i++) {
        char vp[4096];
        snprintf(vp, sizeof vp, "%s/%s", path, names[i]);
        hone_error err = {0};
        hone_gguf_file *f = NULL;
        hone_tokenizer *t = NULL;
        double t0 = now();
        if (hone_gguf_open(vp, NULL, &f, &err) != HONE_OK || hone_tok_load(f, &t, &err) != HONE_OK) {
            fprintf(stderr, "%s: %s\n", names[i], err.msg);
            hone_gguf_close(f);
            continue;
        }
        double load_ms = (now() - t0) * 1e3;
        hone_gguf_close(f);
        double best = 1e30, best_cpu = 1e30;
        size_t n = 0;
        for (int r = 0; r < 3; r++) {
            int32_t *ids = NULL;
            double s = now(), c = cpu();
            if (hone_tok_encode(t, text, len, hone_tok_add_bos(t), true, &ids, &n, &err) != HONE_OK) {
                fprintf(stderr, "%s: %s\n", names[i], err.msg);
                break;
            }
            double el = now() - s, cl = cpu() - c;
            if (el < best)
                best = el;
            if (cl < best_cpu)
                best_cpu = cl;
            free(ids);
        }
        printf("%-28s %8.2f %8zu %9.1f %9.2f %11.2f\n", names[i], len / 1048576.0, n, load_ms,
               len / 1048576.0 / best, len / 1048576.0 / best_cpu);
        hone_tok_free(t);
        free(names[i]);
    }
    free(text);
    free(story);
    return 0;
}
