/* cmd_info.c — `hone info`: this build and the running CPU (human summary
 * or --json), or a model file (-m FILE, see info_model.c).
 * The hidden `--write-build-info PATH` writes build_info.json at build time. */
#include "hone.h"
#include "cli_args.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hone info [--json]            this build and the running CPU\n"
            "       hone info -m FILE [--json]    a GGUF model\n"
            "       hone info --cpu-has F...      does this CPU have these features?\n\n"
            "  --json     print build_info.json (the installed one if found, else\n"
            "             the same fields detected now)\n"
            "  -m, --model FILE  describe a model instead\n"
            "  --cpu-has  features by cpu_features' names (e.g. avx2 fma3), as in\n"
            "             build_info.json's target_isa; exit 0 if the CPU has all,\n"
            "             1 (printing the missing ones) if not. Works on any CPU of\n"
            "             the architecture, even one this build cannot run.\n"
            "  -h, --help this help\n");
}

static const char *str_field(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static double num_field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_list(const char *label, const cJSON *arr)
{
    printf("  %-12s", label);
    const cJSON *f;
    int n = 0, col = 14;
    cJSON_ArrayForEach(f, arr)
    {
        if (!cJSON_IsString(f)) continue;
        int len = (int)strlen(f->valuestring);
        if (col + len + 1 > 78) {
            printf("\n  %-12s", "");
            col = 14;
        }
        printf(" %s", f->valuestring);
        col += len + 1;
        n++;
    }
    printf("%s\n", n ? "" : " (none)");
}

static void print_bytes(const char *name, double b)
{
    if (b <= 0) printf(" %s ?", name);
    else if (b >= 1048576) printf(" %s %.0f MiB", name, b / 1048576);
    else printf(" %s %.0f KiB", name, b / 1024);
}

static int print_summary(void)
{
    cJSON *doc = hone_build_info_generate();
    if (!doc) {
        fprintf(stderr, "hone info: out of memory\n");
        return 1;
    }
    char path[512];
    hone_error err = {0};
    cJSON *installed = hone_build_info_load(path, sizeof path, &err);
    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(doc, "topology");
    const cJSON *blas = cJSON_GetObjectItemCaseSensitive(doc, "blas");
    const cJSON *quota = cJSON_GetObjectItemCaseSensitive(topo, "cgroup_cpu_limit");
    const cJSON *hybrid = cJSON_GetObjectItemCaseSensitive(topo, "hybrid");

    printf("hone %s (%s build, %s, commit %s, %s)\n", str_field(doc, "hone_version", "?"),
           str_field(doc, "build_type", "?"), str_field(doc, "arch", "?"),
           str_field(doc, "git_commit", "?"), str_field(doc, "date", "?"));
    printf("  %-12s %s\n", "compiler", str_field(doc, "compiler", "?"));
    printf("  %-12s %s\n", "c flags", str_field(doc, "c_flags", "?"));
    print_list("target ISA", cJSON_GetObjectItemCaseSensitive(doc, "target_isa"));
    printf("  %-12s %s\n", "BLAS", cJSON_IsString(blas) ? blas->valuestring : "none");
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "blas_config")))
        printf("  %-12s %s\n", "", str_field(doc, "blas_config", ""));
    printf("  %-12s %s\n", "build_info", installed ? path : err.msg);
    printf("CPU\n");
    printf("  %-12s %s\n", "model", str_field(doc, "cpu_model", "?"));
    print_list("flags", cJSON_GetObjectItemCaseSensitive(doc, "cpu_flags"));
    printf("  %-12s %.0f physical cores, %.0f thread(s) per core, %.0f logical CPUs\n",
           "topology", num_field(topo, "physical_cores"), num_field(topo, "smt_per_core"),
           num_field(topo, "logical_cpus"));
    if (cJSON_IsTrue(hybrid))
        printf("  %-12s %.0f performance cores\n", "hybrid", num_field(topo, "performance_cores"));
    printf("  %-12s", "caches");
    print_bytes("L1d", num_field(topo, "l1d_bytes"));
    print_bytes("L2", num_field(topo, "l2_bytes"));
    print_bytes("L3", num_field(topo, "l3_bytes"));
    printf("\n");
    if (cJSON_IsNumber(quota)) printf("  %-12s %.2f CPUs\n", "cgroup quota", quota->valuedouble);
    printf("  %-12s %.0f CPUs\n", "affinity", num_field(topo, "affinity_cpus"));
    char load[256];
    cli_load_describe(load, sizeof load);
    printf("  %-12s %s\n", "loading", load);
    const hone_thread_choice tc = hone_choose_threads(0);
    printf("  %-12s this run uses %d (%s; at most %d CPUs here)", "threads", tc.n, tc.source,
           tc.limit);
    if (installed && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(installed, "optimal_threads")))
        printf("; the build host's optimum was %.0f", num_field(installed, "optimal_threads"));
    printf("\n");
    if (tc.warning[0]) printf("  %-12s %s\n", "", tc.warning);
    /* the kernel set `hone run` would pick now (HONE_KERNELS or the best) */
    const hone_kernels *k = NULL;
    hone_error kerr = {0};
    if (hone_kernels_select(getenv("HONE_KERNELS"), &k, &kerr) != HONE_OK) {
        printf("  %-12s %s\n", "kernels", kerr.msg);
    } else {
        /* which CPU's table: the decode's fetch route (kernels.c) */
        const char *table = hone_kernels_table(k);
        printf("  %-12s %s%s%s (this build has: %s)\n", "kernels", k->name, table ? ", table " : "",
               table ? table : "", hone_kernels_choices());
    }
    cJSON_Delete(installed);
    cJSON_Delete(doc);
    return 0;
}

static int print_json(void)
{
    /* what is in use: the installed file when it is valid (the ISA guard
     * has already warned about one that is not), else the detected values */
    cJSON *doc = hone_build_info_load(NULL, 0, NULL);
    if (!doc) doc = hone_build_info_generate();
    char *text = doc ? cJSON_Print(doc) : NULL;
    cJSON_Delete(doc);
    if (!text) {
        fprintf(stderr, "hone info: out of memory\n");
        return 1;
    }
    puts(text);
    cJSON_free(text);
    return 0;
}

int cmd_info(int argc, char **argv)
{
    const char *model = NULL, *write_path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            if (++i >= argc) {
                fprintf(stderr, "hone info: %s needs a file name\n", a);
                return 1;
            }
            model = argv[i];
        } else if (!strcmp(a, "--write-build-info")) {
            if (++i >= argc) {
                fprintf(stderr, "hone info: --write-build-info needs a path\n");
                return 1;
            }
            write_path = argv[i];
        } else {
            fprintf(stderr, "hone info: unknown option '%s' (try 'hone info --help')\n", a);
            return 1;
        }
    }
    if (write_path) {
        hone_error err = {0};
        if (hone_build_info_write(write_path, &err) != HONE_OK) {
            fprintf(stderr, "hone info: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    if (model) return info_model(model, json);
    return json ? print_json() : print_summary();
}
