/* ref.c — reading llama.cpp's reference outputs (ref.h). */
#include "ref.h"

#include <cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HONE_SHARED_DEFAULT
#define HONE_SHARED_DEFAULT "../shared"
#endif

const char *ref_shared_dir(void)
{
    const char *s = getenv("HONE_SHARED");
    return s && *s ? s : HONE_SHARED_DEFAULT;
}

char *ref_read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

static int32_t *int_array(const cJSON *a, int *n)
{
    if (!cJSON_IsArray(a)) return NULL;
    *n = cJSON_GetArraySize(a);
    int32_t *v = malloc(sizeof *v * (size_t)(*n + 1));
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) v[i++] = (int32_t)e->valuedouble;
    return v;
}

/* "dir/NAME.ext" -> "NAME" (everything before the last ".ext") */
static void file_stem(const char *path, const char *ext, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, n, "%s", b);
    size_t l = strlen(out), le = strlen(ext);
    if (l >= le && !strcmp(out + l - le, ext)) out[l - le] = '\0';
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t l = strlen(s), ls = strlen(suffix);
    return l >= ls && !strcmp(s + l - ls, suffix);
}

static bool file_exists(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp) fclose(fp);
    return fp != NULL;
}

int ref_load(const char *spec, hone_ref *r)
{
    memset(r, 0, sizeof *r);
    char path[1400];
    if (ends_with(spec, ".json")) {
        snprintf(path, sizeof path, "%s", spec);
    } else {
        char stem[512];
        file_stem(spec, ".gguf", stem, sizeof stem);
        snprintf(path, sizeof path, "%s/reference/%s.json", ref_shared_dir(), stem);
    }
    file_stem(path, ".json", r->name, sizeof r->name);
    size_t len;
    char *txt = ref_read_file(path, &len);
    if (!txt) return -1;
    cJSON *j = cJSON_Parse(txt);
    free(txt);
    int rc = -2;
    if (!j) goto out;
    const cJSON *model = cJSON_GetObjectItem(j, "model");
    if (!cJSON_IsString(model)) goto out;
    if (ends_with(spec, ".json"))
        snprintf(r->model_path, sizeof r->model_path, "%s/models/%s", ref_shared_dir(),
                 model->valuestring);
    else
        snprintf(r->model_path, sizeof r->model_path, "%s", spec);
    /* no n_ctx field: the context the reference set was made with */
    const cJSON *nc = cJSON_GetObjectItem(j, "n_ctx");
    r->n_ctx = cJSON_IsNumber(nc) ? nc->valueint : 512;
    r->n_vocab = cJSON_GetObjectItem(j, "n_vocab")->valueint;
    r->n_positions = cJSON_GetObjectItem(j, "n_positions")->valueint;
    r->prompt = int_array(cJSON_GetObjectItem(j, "prompt_tokens"), &r->n_prompt);
    r->greedy = int_array(cJSON_GetObjectItem(j, "greedy_tokens"), &r->n_greedy);
    const cJSON *gap = cJSON_GetObjectItem(j, "top1_gap");
    if (!r->prompt || !r->greedy || !cJSON_IsArray(gap) ||
        cJSON_GetArraySize(gap) != r->n_positions)
        goto out;
    r->top1_gap = malloc(sizeof(float) * (size_t)r->n_positions);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, gap) r->top1_gap[i++] = (float)e->valuedouble;
    const cJSON *ppl = cJSON_GetObjectItem(j, "perplexity");
    if (cJSON_IsObject(ppl)) {
        r->ppl = cJSON_GetObjectItem(ppl, "ppl")->valuedouble;
        r->ppl_stderr = cJSON_GetObjectItem(ppl, "ppl_stderr")->valuedouble;
        r->ppl_ctx = cJSON_GetObjectItem(ppl, "ctx")->valueint;
        r->ppl_batch = cJSON_GetObjectItem(ppl, "batch")->valueint;
        snprintf(r->ppl_text, sizeof r->ppl_text, "%s/reference/%s", ref_shared_dir(),
                 cJSON_GetObjectItem(ppl, "text")->valuestring);
    }
    const cJSON *lf = cJSON_GetObjectItem(j, "logits_file");
    snprintf(path, sizeof path, "%s/reference/%s", ref_shared_dir(),
             cJSON_IsString(lf) ? lf->valuestring : "");
    char *lg = ref_read_file(path, &len);
    if (!lg || len != (size_t)r->n_positions * (size_t)r->n_vocab * sizeof(float)) {
        fprintf(stderr, "%s: bad logits file size\n", path);
        free(lg);
        goto out;
    }
    r->logits = (float *)(void *)lg;
    rc = 0;
out:
    cJSON_Delete(j);
    if (rc) {
        fprintf(stderr, "malformed reference %s\n", spec);
        ref_free(r);
    }
    return rc;
}

void ref_free(hone_ref *r)
{
    free(r->prompt);
    free(r->greedy);
    free(r->top1_gap);
    free(r->logits);
    memset(r, 0, sizeof *r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends a copy of s to *list (n entries, capacity *cap). */
static void list_push(char ***list, int *n, int *cap, const char *s)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *list = realloc(*list, sizeof **list * (size_t)*cap);
    }
    (*list)[(*n)++] = strdup(s);
}

/* The reference JSONs in reference/ (sorted). With `model` (a stem M),
 * only M.json and M.ctxN.json; without, those whose model file exists. */
static char **list_refs(const char *model, int *n)
{
    *n = 0;
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/reference", ref_shared_dir());
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **list = NULL;
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".json")) continue;
        char stem[512], path[1700];
        file_stem(de->d_name, ".json", stem, sizeof stem);
        /* M.ctxN -> M */
        char *ctx = strstr(stem, ".ctx");
        if (ctx) *ctx = '\0';
        if (model && strcmp(stem, model)) continue;
        snprintf(path, sizeof path, "%s/models/%s.gguf", ref_shared_dir(), stem);
        if (!model && !file_exists(path)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        list_push(&list, n, &cap, path);
    }
    closedir(d);
    if (*n) qsort(list, (size_t)*n, sizeof *list, cmp_str);
    return list;
}

char **ref_list(int *n) { return list_refs(NULL, n); }

void ref_list_free(char **list, int n)
{
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
}

static void log_softmax(const float *x, double *out, int n)
{
    double mx = x[0];
    for (int i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    double s = 0;
    for (int i = 0; i < n; i++) s += exp(x[i] - mx);
    double ls = log(s);
    for (int i = 0; i < n; i++) out[i] = x[i] - mx - ls;
}

double ref_kl(const float *p, const float *q, int n)
{
    double *lp = malloc(sizeof(double) * (size_t)n * 2), *lq = lp + n;
    log_softmax(p, lp, n);
    log_softmax(q, lq, n);
    double kl = 0;
    for (int i = 0; i < n; i++) kl += exp(lp[i]) * (lp[i] - lq[i]);
    free(lp);
    return kl;
}

int ref_argmax(const float *x, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

char **ref_from_args(int argc, char **argv, int *n)
{
    if (argc <= 1) return ref_list(n);
    char **list = NULL;
    int cap = 0;
    *n = 0;
    for (int i = 1; i < argc; i++) {
        if (ends_with(argv[i], ".json")) {
            list_push(&list, n, &cap, argv[i]);
            continue;
        }
        char stem[512];
        file_stem(argv[i], ".gguf", stem, sizeof stem);
        int nm = 0;
        char **refs = list_refs(stem, &nm);
        for (int k = 0; k < nm; k++) list_push(&list, n, &cap, refs[k]);
        ref_list_free(refs, nm);
    }
    return list;
}
