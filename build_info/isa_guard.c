/* isa_guard.c — refuse to run on a CPU that lacks a feature this binary
 * was compiled for, with a message instead of SIGILL.
 *
 * Compiled for the architecture baseline, like everything it calls
 * (cpu.c, build_info_json.c; cpu_features and cJSON are system libraries
 * built for the baseline). The compiled-in target ISA is authoritative;
 * build_info.json's target_isa is checked too, so an installed file can
 * add requirements (and tests can inject a feature the CPU lacks). */
#include "bi_internal.h"
#include "build_info.h"
#include "hone_build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const TARGET_ISA[] = {HONE_BI_TARGET_ISA NULL};

const char *const *hone_target_isa(int *n)
{
    int i = 0;
    while (TARGET_ISA[i]) i++;
    if (n) *n = i;
    return TARGET_ISA;
}

/* Append name to the comma-separated list unless it is there already. */
static void add_missing(char *list, size_t cap, int *count, const char *name)
{
    size_t len = strlen(name), used = strlen(list);
    for (const char *p = list; (p = strstr(p, name)); p += len)
        if ((p == list || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0')) return;
    if (used + len + 3 >= cap) return;
    snprintf(list + used, cap - used, "%s%s", used ? ", " : "", name);
    (*count)++;
}

static const char *fix_for_variant(void)
{
    if (!strcmp(HONE_BI_VARIANT, "native"))
        return "this binary was built with -march=native on another machine: run "
               "`make install-fast` for the portable build, or `make install-optimized` "
               "on this machine";
    return "run `make install-optimized` to build hone for this CPU";
}

hone_status hone_isa_guard(hone_error *err)
{
    hone_cpu_info cpu;
    hone_cpu_detect(&cpu);
    char missing[300] = "";
    int n_missing = 0;
    for (int i = 0; TARGET_ISA[i]; i++)
        if (!hone_cpu_has(&cpu, TARGET_ISA[i]))
            add_missing(missing, sizeof missing, &n_missing, TARGET_ISA[i]);

    hone_error lerr = {0};
    cJSON *doc = hone_build_info_load(NULL, 0, &lerr);
    const char *env = getenv("HONE_BUILD_INFO");
    bool lookup_disabled = env && !env[0];
    if (doc) {
        /* a loaded document has passed the contract check: an array of strings */
        const cJSON *isa = cJSON_GetObjectItemCaseSensitive(doc, "target_isa"), *f;
        cJSON_ArrayForEach(f, isa)
        {
            if (!hone_cpu_has(&cpu, f->valuestring))
                add_missing(missing, sizeof missing, &n_missing, f->valuestring);
        }
        cJSON_Delete(doc);
    } else if (!lookup_disabled) {
        fprintf(stderr, "hone: warning: %s; using detected defaults\n", lerr.msg);
    }

    if (n_missing == 0) return HONE_OK;
    return hone_fail(err, HONE_ERR_CPU,
                   "this %s build needs %s; this CPU (%s) lacks %s: %s",
                   HONE_BI_VARIANT, missing, cpu.model, n_missing == 1 ? "it" : "them",
                   fix_for_variant());
}
