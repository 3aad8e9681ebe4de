/* test_kernels_models.c — block layouts against data llama.cpp wrote.
 *
 * For every model family in $HONE_SHARED/models with an F32 file
 * ("X-f32.gguf"), each sibling "X-<type>.gguf" holds the same weights
 * converted / quantized by llama.cpp. Dequantizing each of its tensors with
 * hone's to_float must land close to the F32 original: a layout mistake
 * (nibble order, scale packing) gives errors of the order of the values
 * themselves, far above any type's quantization error. Files are
 * discovered, not listed; without $HONE_SHARED the test is skipped. */
#include "test_util.h"
#include "gguf.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Worst relative RMS error allowed per tensor, a few times what these
 * types give on Gaussian weights (Q4_0 ~0.1, Q4_K ~0.07, Q8_0 ~0.004). */
static double max_rel_rms(uint32_t t)
{
    switch (t) {
    case HONE_TYPE_F16: return 1e-3;
    case HONE_TYPE_BF16: return 5e-3;
    case HONE_TYPE_Q8_0: return 0.02;
    case HONE_TYPE_Q6_K: return 0.04;
    case HONE_TYPE_Q5_0: case HONE_TYPE_Q5_1: case HONE_TYPE_Q5_K: return 0.1;
    default: return 0.2; /* 4-bit and below */
    }
}

static const char *models_dir(char *buf, size_t size)
{
    const char *shared = getenv("HONE_SHARED");
    if (!shared) return NULL;
    snprintf(buf, size, "%s/models", shared);
    return buf;
}

/* Compares every tensor of qpath with its F32 twin in fpath; returns the
 * number of tensors checked. */
static int compare_files(const char *fpath, const char *qpath, int *n_types_seen)
{
    hone_gguf_file *ff = NULL, *qf = NULL;
    hone_error err = {0};
    if (hone_gguf_open(fpath, NULL, &ff, &err) != HONE_OK) fail_msg("%s", err.msg);
    if (hone_gguf_open(qpath, NULL, &qf, &err) != HONE_OK) fail_msg("%s", err.msg);
    const hone_kernels *k = hone_kernels_generic();
    int checked = 0;
    for (uint64_t i = 0; i < hone_gguf_n_tensors(qf); i++) {
        const hone_gguf_tensor *qt = hone_gguf_tensor_at(qf, i);
        const hone_gguf_tensor *ft = hone_gguf_find_tensor(ff, qt->name);
        if (!ft || ft->type != HONE_TYPE_F32 || qt->type == HONE_TYPE_F32) continue;
        assert_int_equal(ft->n_elements, qt->n_elements);
        if (!k->type[qt->type].to_float) fail_msg("%s: %s has type %s, which hone cannot read",
                                                  qpath, qt->name, hone_type_name(qt->type));
        const int64_t n = (int64_t)qt->n_elements;
        float *deq = malloc(sizeof(float) * (size_t)n);
        k->type[qt->type].to_float(qt->data, deq, n);
        const float *ref = ft->data;
        double se = 0, ss = 0;
        for (int64_t j = 0; j < n; j++) {
            se += ((double)deq[j] - ref[j]) * ((double)deq[j] - ref[j]);
            ss += (double)ref[j] * ref[j];
        }
        const double rel = sqrt(se / (ss > 0 ? ss : 1));
        if (!(rel <= max_rel_rms(qt->type)))
            fail_msg("%s: %s (%s) dequantizes with relative RMS error %.4f (limit %.4f)",
                     qpath, qt->name, hone_type_name(qt->type), rel, max_rel_rms(qt->type));
        n_types_seen[qt->type]++;
        free(deq);
        checked++;
    }
    hone_gguf_close(ff);
    hone_gguf_close(qf);
    return checked;
}

static void test_dequantize_vs_f32(void **state)
{
    (void)state;
    char dir[4096];
    if (!models_dir(dir, sizeof dir)) skip();
    DIR *d = opendir(dir);
    if (!d) skip();
    int n_types_seen[HONE_TYPE_COUNT] = {0}, files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        const char *dash = strrchr(name, '-');
        const size_t len = strlen(name);
        if (!dash || len < 5 || strcmp(name + len - 5, ".gguf") != 0) continue;
        if (strcmp(dash, "-f32.gguf") == 0) continue;
        char fpath[8192], qpath[8192];
        snprintf(fpath, sizeof fpath, "%s/%.*s-f32.gguf", dir, (int)(dash - name), name);
        snprintf(qpath, sizeof qpath, "%s/%s", dir, name);
        FILE *probe = fopen(fpath, "rb");
        if (!probe) continue;
        fclose(probe);
        if (compare_files(fpath, qpath, n_types_seen) > 0) files++;
    }
    closedir(d);
    print_message("compared %d files; tensors per type:", files);
    for (int t = 0; t < HONE_TYPE_COUNT; t++)
        if (n_types_seen[t]) print_message(" %s=%d", hone_type_name((uint32_t)t), n_types_seen[t]);
    print_message("\n");
    if (files == 0) skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dequantize_vs_f32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
