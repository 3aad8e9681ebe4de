/* test_tokenizer_vocab.c — llama.cpp's tokenizer test vectors.
 *
 * Discovers every NAME.gguf.inp in $HONE_SHARED/vocab (no list: a new vocab
 * dropped there is picked up), splits it like llama.cpp's
 * tests/test-tokenizer-0.cpp (cases separated by "\n__ggml_vocab_test__\n",
 * expected ids one line per case in NAME.gguf.out), tokenizes each case with
 * add_special = false, parse_special = false and requires the exact ids, and
 * that detokenizing hone's ids gives the text the expected ids give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "tokenizer.h"

static char *slurp(const char *path, size_t *len)
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
    if (buf) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

/* Parse one line of space-separated ids (surrounding whitespace ignored). */
static size_t parse_ids(const char *line, size_t n, int32_t *out, size_t cap)
{
    size_t k = 0, i = 0;
    while (i < n) {
        while (i < n && isspace((unsigned char)line[i]))
            i++;
        if (i >= n)
            break;
        long v = strtol(line + i, NULL, 10);
        if (k < cap)
            out[k] = (int32_t)v;
        k++;
        while (i < n && !isspace((unsigned char)line[i]))
            i++;
    }
    return k;
}

static char *detok(const hone_tokenizer *t, const int32_t *ids, size_t n)
{
    char *s = NULL;
    size_t len;
    hone_error err = {0};
    assert_int_equal(hone_tok_decode(t, ids, n, false, true, &s, &len, &err), HONE_OK);
    return s;
}

static void print_ids(const char *label, const int32_t *ids, size_t n)
{
    fprintf(stderr, "  %s:", label);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %d", ids[i]);
    fprintf(stderr, "\n");
}

/* Returns the number of failed cases; prints the per-vocab count. */
static int run_vocab(const char *dir, const char *inp_name, int *n_cases)
{
    size_t base_len = strlen(inp_name) - 4; /* strip ".inp" */
    size_t plen = strlen(dir) + strlen(inp_name) + 8;
    char *path = malloc(plen), *pin = malloc(plen), *pout = malloc(plen);
    assert_true(path && pin && pout);
    memcpy(path, dir, strlen(dir));
    path[strlen(dir)] = '/';
    memcpy(path + strlen(dir) + 1, inp_name, base_len);
    path[strlen(dir) + 1 + base_len] = 0;
    strcat(strcpy(pin, path), ".inp");
    strcat(strcpy(pout, path), ".out");
    hone_error err = {0};
    hone_gguf_file *f = NULL;
    hone_tokenizer *t = NULL;
    if (hone_gguf_open(path, NULL, &f, &err) != HONE_OK || hone_tok_load(f, &t, &err) != HONE_OK) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        hone_gguf_close(f);
        free(path);
        free(pin);
        free(pout);
        *n_cases = 0;
        return 1;
    }
    hone_gguf_close(f);

    size_t inp_len = 0, out_len = 0;
    char *inp = slurp(pin, &inp_len), *out = slurp(pout, &out_len);
    assert_non_null(inp);
    assert_non_null(out);

    const char *sep = "\n__ggml_vocab_test__\n";
    const size_t sep_len = strlen(sep);
    size_t ip = 0, op = 0;
    int fails = 0, total = 0;
    int32_t *expect = malloc(sizeof(int32_t) * (out_len + 1));
    assert_non_null(expect);
    while (ip < inp_len) {
        const char *next = strstr(inp + ip, sep); /* .inp has no NUL bytes */
        size_t clen = next ? (size_t)(next - (inp + ip)) : inp_len - ip;
        const char *line_end = memchr(out + op, '\n', out_len - op);
        size_t llen = line_end ? (size_t)(line_end - (out + op)) : out_len - op;
        assert_true(op < out_len || llen == 0);
        size_t ne = parse_ids(out + op, llen, expect, out_len + 1);
        op += llen + (line_end ? 1 : 0);

        int32_t *ids = NULL;
        size_t n = 0;
        assert_int_equal(hone_tok_encode(t, inp + ip, clen, false, false, &ids, &n, &err), HONE_OK);
        bool ok = n == ne && (n == 0 || !memcmp(ids, expect, n * sizeof *ids));
        char *d1 = detok(t, ids, n), *d2 = detok(t, expect, ne);
        bool dok = !strcmp(d1, d2);
        if (!ok || !dok) {
            fails++;
            fprintf(stderr, "%s case %d FAILED (%s): '%.*s'\n", inp_name, total,
                    ok ? "detokenized text differs" : "ids differ", (int)clen, inp + ip);
            print_ids("expected", expect, ne);
            print_ids("hone    ", ids, n);
        }
        free(d1);
        free(d2);
        free(ids);
        total++;
        if (!next)
            break;
        ip = (size_t)(next - inp) + sep_len;
    }
    printf("%-32s %d/%d cases pass\n", inp_name, total - fails, total);
    free(expect);
    free(inp);
    free(out);
    free(path);
    free(pin);
    free(pout);
    hone_tok_free(t);
    *n_cases = total;
    return fails;
}

static void test_all_vocabs(void **state)
{
    (void)state;
    const char *shared = getenv("HONE_SHARED");
    assert_non_null(shared);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/vocab", shared);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    char **names = NULL;
    size_t nn = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 9 && !strcmp(e->d_name + l - 9, ".gguf.inp")) {
            names = realloc(names, (nn + 1) * sizeof *names);
            names[nn++] = strdup(e->d_name);
        }
    }
    closedir(d);
    assert_true(nn > 0);
    int fails = 0, cases = 0;
    for (size_t i = 0; i < nn; i++) {
        int nc = 0;
        fails += run_vocab(dir, names[i], &nc);
        cases += nc;
        free(names[i]);
    }
    free(names);
    printf("%zu vocabs, %d cases, %d failed\n", nn, cases, fails);
    assert_int_equal(fails, 0);
    assert_true(cases > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_all_vocabs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
