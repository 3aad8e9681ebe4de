/* test_build_info.c — build_info.json generation, atomic write, lookup,
 * malformed files, the thread resolution order and the ISA guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "build_info.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/hone-bi-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void clear_env(void)
{
    unsetenv("HONE_THREADS");
    unsetenv("OMP_NUM_THREADS");
    unsetenv("HONE_THREAD_MODE");
    unsetenv("HONE_BUILD_INFO");
}

static const char *write_text(const char *name, const char *text)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void generated_document_has_the_contract(void **state)
{
    (void)state;
    cJSON *doc = hone_build_info_generate();
    assert_non_null(doc);
    const char *strings[] = {"hone_version", "build_type", "arch", "compiler", "cmake_flags",
                             "c_flags", "git_commit", "date", "cpu_model"};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, strings[i])));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "hone_version")->valuestring,
                        hone_version());
    assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(doc, "reproducible")));
    const cJSON *ot = cJSON_GetObjectItemCaseSensitive(doc, "optimal_threads");
    assert_true(cJSON_IsNumber(ot));
    assert_int_equal(ot->valueint, hone_detect_optimal_threads());
    /* no absolute path may leak into the flags (reproducibility) */
    assert_null(strchr(cJSON_GetObjectItemCaseSensitive(doc, "c_flags")->valuestring, '/'));

    /* target_isa is the compiled-in list, named as cpu_features names them */
    int n;
    const char *const *isa = hone_target_isa(&n);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "target_isa");
    assert_int_equal(cJSON_GetArraySize(arr), n);
    for (int i = 0; i < n; i++) {
        assert_string_equal(cJSON_GetArrayItem(arr, i)->valuestring, isa[i]);
        if (!hone_cpu_feature_known(isa[i])) fail_msg("target_isa '%s' is not a cpu_features name", isa[i]);
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(doc, "cpu_flags"))
        assert_true(hone_cpu_feature_known(f->valuestring));
    cJSON_Delete(doc);
}

static void this_cpu_has_the_target_isa(void **state)
{
    (void)state;
    /* this test runs, so the CPU executes the build's ISA: detection must agree */
    hone_cpu_info cpu;
    hone_cpu_detect(&cpu);
    assert_true(cpu.n_flags > 0);
    int n;
    const char *const *isa = hone_target_isa(&n);
    for (int i = 0; i < n; i++)
        if (!hone_cpu_has(&cpu, isa[i])) fail_msg("detection misses '%s'", isa[i]);
    assert_false(hone_cpu_has(&cpu, "no_such_feature"));
}

static void write_is_atomic_and_loads_back(void **state)
{
    (void)state;
    clear_env();
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/build_info.json", g_dir);
    hone_error err = {0};
    assert_int_equal(hone_build_info_write(path, &err), HONE_OK);
    /* no temp file left behind */
    DIR *d = opendir(g_dir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) fail_msg("left over: %s", e->d_name);
    closedir(d);

    setenv("HONE_BUILD_INFO", path, 1);
    char found[PATH_MAX];
    cJSON *doc = hone_build_info_load(found, sizeof found, &err);
    assert_non_null(doc);
    assert_string_equal(found, path);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(doc, "optimal_threads")->valueint,
                     hone_detect_optimal_threads());
    cJSON_Delete(doc);

    snprintf(path, sizeof path, "%s/no/such/dir/build_info.json", g_dir);
    assert_int_equal(hone_build_info_write(path, &err), HONE_ERR_IO);
    assert_non_null(strstr(err.msg, "no/such/dir"));
    clear_env();
}

static void load_reports_missing_and_malformed(void **state)
{
    (void)state;
    hone_error err = {0};
    char found[PATH_MAX];
    char missing[PATH_MAX];
    snprintf(missing, sizeof missing, "%s/absent.json", g_dir);
    setenv("HONE_BUILD_INFO", missing, 1);
    assert_null(hone_build_info_load(found, sizeof found, &err));
    assert_int_equal(err.status, HONE_ERR_IO);
    assert_non_null(strstr(err.msg, "absent.json"));

    const char *bad[] = {"{\"optimal_threads\": ", "[1, 2, 3]", "", "\"just a string\""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("HONE_BUILD_INFO", write_text("bad.json", bad[i]), 1);
        err = (hone_error){0};
        assert_null(hone_build_info_load(found, sizeof found, &err));
        assert_int_equal(err.status, HONE_ERR_FORMAT);
        assert_non_null(strstr(err.msg, "malformed"));
        assert_non_null(strstr(found, "bad.json"));
    }
    setenv("HONE_BUILD_INFO", "", 1); /* empty: lookup disabled */
    assert_null(hone_build_info_load(found, sizeof found, &err));
    assert_int_equal(err.status, HONE_ERR_IO);
    clear_env();
}

static void thread_resolution_order(void **state)
{
    (void)state;
    clear_env();
    const int lim = hone_cpu_limit(); /* this machine's: affinity, cgroup quota */
    assert_true(lim >= 1);
    const int big = lim + 62;
    /* build_info.json's optimal_threads is the build host's: never used */
    setenv("HONE_BUILD_INFO", write_text("bi.json", "{\"optimal_threads\": 64}"), 1);
    hone_thread_choice c = hone_choose_threads(0);
    assert_int_equal(c.n, hone_detect_optimal_threads());
    assert_string_equal(c.source, "detected");
    assert_true(c.n >= 1 && c.n <= lim);
    /* -t wins and is obeyed above the limit, flagged */
    c = hone_choose_threads(big);
    assert_int_equal(c.n, big);
    assert_string_equal(c.source, "-t");
    assert_true(c.over_limit);
    assert_false(hone_choose_threads(1).over_limit);
    /* OMP_NUM_THREADS (first level), then HONE_THREADS before it; both
     * capped at the limit, with a warning */
    setenv("OMP_NUM_THREADS", "1,2", 1);
    c = hone_choose_threads(0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.source, "OMP_NUM_THREADS");
    setenv("HONE_THREADS", "64000", 1);
    c = hone_choose_threads(0);
    assert_int_equal(c.n, lim);
    assert_string_equal(c.source, "HONE_THREADS");
    assert_non_null(strstr(c.warning, "HONE_THREADS=64000 is more than"));
    assert_int_equal(hone_resolve_threads(-1), lim); /* <= 0 means unset */
    assert_int_equal(hone_resolve_threads(2), 2);
    /* invalid values are ignored with a warning naming them */
    setenv("HONE_THREADS", "abc", 1);
    c = hone_choose_threads(0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.source, "OMP_NUM_THREADS");
    assert_non_null(strstr(c.warning, "HONE_THREADS='abc' is not a positive integer"));
    setenv("HONE_THREADS", "0", 1);
    setenv("OMP_NUM_THREADS", "-4", 1);
    c = hone_choose_threads(0);
    assert_string_equal(c.source, "detected");
    assert_non_null(strstr(c.warning, "HONE_THREADS='0'"));
    /* HONE_THREAD_MODE, after the explicit numbers */
    unsetenv("HONE_THREADS");
    unsetenv("OMP_NUM_THREADS");
    setenv("HONE_THREAD_MODE", "all", 1);
    c = hone_choose_threads(0);
    assert_string_equal(c.source, "HONE_THREAD_MODE");
    assert_int_equal(c.n, lim);
    setenv("HONE_THREAD_MODE", "cores", 1);
    c = hone_choose_threads(0);
    assert_true(c.n >= 1 && c.n <= lim);
    assert_true(c.n >= hone_detect_optimal_threads()); /* no N-1 */
    setenv("HONE_THREAD_MODE", "performance", 1);
    assert_true(hone_choose_threads(0).n >= 1);
    setenv("HONE_THREADS", "1", 1);
    assert_string_equal(hone_choose_threads(0).source, "HONE_THREADS");
    unsetenv("HONE_THREADS");
    setenv("HONE_THREAD_MODE", "most", 1);
    c = hone_choose_threads(0);
    assert_string_equal(c.source, "detected");
    assert_non_null(strstr(c.warning, "HONE_THREAD_MODE='most' is not auto, all, cores"));
    clear_env();
}

static void guard_refuses_an_injected_feature(void **state)
{
    (void)state;
    clear_env();
    hone_error err = {0};
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/build_info.json", g_dir);
    assert_int_equal(hone_build_info_write(path, &err), HONE_OK);
    setenv("HONE_BUILD_INFO", path, 1);
    assert_int_equal(hone_isa_guard(&err), HONE_OK); /* this CPU runs this build */

    setenv("HONE_BUILD_INFO",
           write_text("inject.json", "{\"schema_version\": 1, \"target_isa\": [\"avx2\", \"hone_fake_isa\", \"amx_fp99\"]}"),
           1);
    err = (hone_error){0};
    assert_int_equal(hone_isa_guard(&err), HONE_ERR_CPU);
    assert_non_null(strstr(err.msg, "hone_fake_isa"));
    assert_non_null(strstr(err.msg, "amx_fp99"));
    assert_non_null(strstr(err.msg, "make install"));
    clear_env();
}

/* Where sysfs has no cache folders (some VMs) the sizes come from CPUID
 * (cpu_features, then glibc, which also decodes AMD's leaves): only the
 * unknown ones, and sysfs's values stay. */
static void cache_sizes_from_the_cpu(void **state)
{
    (void)state;
    hone_topology t = {0};
    t.l2_bytes = 12345; /* as if sysfs had given it */
    hone_cpu_cache_fill(&t);
    assert_int_equal(t.l2_bytes, 12345);
#if defined(__x86_64__) || defined(__i386__)
    assert_true(t.l1d_bytes >= 8 * 1024 && t.l1d_bytes <= 1024 * 1024);
    hone_topology u = {0};
    hone_cpu_cache_fill(&u);
    assert_true(u.l2_bytes >= 64 * 1024);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_document_has_the_contract),
        cmocka_unit_test(cache_sizes_from_the_cpu),
        cmocka_unit_test(this_cpu_has_the_target_isa),
        cmocka_unit_test(write_is_atomic_and_loads_back),
        cmocka_unit_test(load_reports_missing_and_malformed),
        cmocka_unit_test(thread_resolution_order),
        cmocka_unit_test(guard_refuses_an_injected_feature),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
