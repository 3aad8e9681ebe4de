/* test_tokenizer_reference.c — the tokenizers of the shared models against
 * llama.cpp's reference runs: for every $HONE_SHARED/reference/M.json, the
 * prompt must tokenize to its prompt_tokens (with BOS as the run did) and
 * the greedy tokens must detokenize to its greedy_text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "tokenizer.h"

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    if (buf)
        buf[n] = 0;
    return buf;
}

static int32_t *int_array(const cJSON *a, size_t *n)
{
    assert_true(cJSON_IsArray(a));
    *n = (size_t)cJSON_GetArraySize(a);
    int32_t *v = malloc((*n + 1) * sizeof *v);
    assert_non_null(v);
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) v[i++] = (int32_t)e->valuedouble;
    return v;
}

/* The reference texts went through a UTF-8 decoder that replaces each
 * maximal invalid subsequence with U+FFFD (Unicode's recommended practice,
 * Python's "replace"); apply the same to hone's bytes before comparing. */
static char *replace_invalid(const char *s, size_t n)
{
    char *out = malloc(n * 3 + 1);
    assert_non_null(out);
    size_t o = 0, i = 0;
    const uint8_t *u = (const uint8_t *)s;
    while (i < n) {
        uint8_t c = u[i];
        size_t need = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                      : c >= 0xF0 && c <= 0xF4 ? 3 : 99;
        if (need == 0) {
            out[o++] = (char)c;
            i++;
            continue;
        }
        size_t k = 1;
        if (need != 99) {
            for (; k <= need && i + k < n; k++) {
                uint8_t lo = 0x80, hi = 0xBF;
                if (k == 1 && c == 0xE0) lo = 0xA0;
                if (k == 1 && c == 0xED) hi = 0x9F;
                if (k == 1 && c == 0xF0) lo = 0x90;
                if (k == 1 && c == 0xF4) hi = 0x8F;
                if (u[i + k] < lo || u[i + k] > hi)
                    break;
            }
            if (k == need + 1) { /* complete and valid */
                memcpy(out + o, s + i, k);
                o += k;
                i += k;
                continue;
            }
        }
        memcpy(out + o, "\xEF\xBF\xBD", 3);
        o += 3;
        i += k;
    }
    out[o] = 0;
    return out;
}

static void check_one(const char *shared, const char *json_name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/reference/%s", shared, json_name);
    char *txt = slurp(path);
    assert_non_null(txt);
    cJSON *doc = cJSON_Parse(txt);
    assert_non_null(doc);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(doc, "model");
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(doc, "prompt");
    const cJSON *add_bos = cJSON_GetObjectItemCaseSensitive(doc, "add_bos");
    const cJSON *gtext = cJSON_GetObjectItemCaseSensitive(doc, "greedy_text");
    assert_true(cJSON_IsString(model) && cJSON_IsString(prompt) && cJSON_IsString(gtext));
    size_t np, ng;
    int32_t *want = int_array(cJSON_GetObjectItemCaseSensitive(doc, "prompt_tokens"), &np);
    int32_t *greedy = int_array(cJSON_GetObjectItemCaseSensitive(doc, "greedy_tokens"), &ng);

    snprintf(path, sizeof path, "%s/models/%s", shared, model->valuestring);
    hone_gguf_file *f = NULL;
    hone_tokenizer *t = NULL;
    hone_error err = {0};
    if (hone_gguf_open(path, NULL, &f, &err) != HONE_OK || hone_tok_load(f, &t, &err) != HONE_OK)
        fail_msg("%s: %s", path, err.msg);
    hone_gguf_close(f);

    int32_t *ids = NULL;
    size_t n = 0;
    const char *p = prompt->valuestring;
    assert_int_equal(hone_tok_encode(t, p, strlen(p), !cJSON_IsFalse(add_bos), true, &ids, &n, &err),
                     HONE_OK);
    bool ok = n == np && !memcmp(ids, want, n * sizeof *ids);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(hone_tok_decode(t, greedy, ng, false, false, &text, &len, &err), HONE_OK);
    char *clean = replace_invalid(text, len);
    free(text);
    text = clean;
    bool tok = !strcmp(text, gtext->valuestring);
    printf("%-28s prompt ids %s, greedy text %s\n", json_name, ok ? "match" : "DIFFER",
           tok ? "matches" : "DIFFERS");
    if (!tok)
        printf("  hone:  '%s'\n  llama: '%s'\n", text, gtext->valuestring);
    free(text);
    free(ids);
    free(want);
    free(greedy);
    hone_tok_free(t);
    cJSON_Delete(doc);
    free(txt);
    assert_true(ok && tok);
}

static void test_reference_runs(void **state)
{
    (void)state;
    const char *shared = getenv("HONE_SHARED");
    assert_non_null(shared);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/reference", shared);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) {
            check_one(shared, e->d_name);
            n++;
        }
    }
    closedir(d);
    assert_true(n > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_reference_runs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
