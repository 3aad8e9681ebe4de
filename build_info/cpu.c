/* cpu.c — the running CPU's ISA features and model, via Google's
 * cpu_features. Feature names are cpu_features' own ("avx2", "fma3",
 * "asimddp", "arch300"); where cpu_features 0.7 lags the hardware (POWER10)
 * the kernel's hwcaps fill the gap under the names "arch31" and "mma".
 * Compiled for the architecture baseline (the ISA guard calls it). */
#include "build_info.h"

#include <cpu_features_macros.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(CPU_FEATURES_ARCH_X86)
#include <cpuinfo_x86.h>
#elif defined(CPU_FEATURES_ARCH_AARCH64)
#include <cpuinfo_aarch64.h>
#include <fcntl.h>
#include <unistd.h>
#elif defined(CPU_FEATURES_ARCH_PPC)
#include <cpuinfo_ppc.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <unistd.h>
#endif

#if !defined(CPU_FEATURES_ARCH_X86)
/* Debian's cpu_features 0.7 prints "Parsing /proc/self/auxv to extract ELF
 * hwcaps!" on stdout on ppc64el, and on aarch64 CPUs with no AT_HWCAP2 bits
 * (Neoverse N1), which would corrupt `hone info --json` and `hone run`'s
 * output: its queries run with stdout pointed at /dev/null. */
static int stdout_mute(void)
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0) dup2(null, STDOUT_FILENO);
    if (null >= 0) close(null);
    return saved;
}

static void stdout_unmute(int saved)
{
    fflush(stdout);
    if (saved >= 0) {
        dup2(saved, STDOUT_FILENO);
        close(saved);
    }
}
#endif

#if defined(CPU_FEATURES_ARCH_PPC)
static void ppc_query(PPCInfo *info, PPCPlatformStrings *ps)
{
    int saved = stdout_mute();
    *info = GetPPCInfo();
    *ps = GetPPCPlatformStrings();
    stdout_unmute(saved);
}

/* Linux AT_HWCAP2 bits cpu_features 0.7 does not know (asm/cputable.h). */
#define HONE_PPC_FEATURE2_ARCH_3_1 0x00040000UL
#define HONE_PPC_FEATURE2_MMA 0x00020000UL
#endif

static void add_flag(hone_cpu_info *out, const char *name)
{
    if (out->n_flags >= HONE_MAX_FEATURES) return;
    snprintf(out->flags[out->n_flags], HONE_FEATURE_LEN, "%s", name);
    out->n_flags++;
}

void hone_cpu_detect(hone_cpu_info *out)
{
    memset(out, 0, sizeof *out);
#if defined(CPU_FEATURES_ARCH_X86)
    snprintf(out->arch, sizeof out->arch, "%s", "x86_64");
    X86Info info = GetX86Info();
    /* brand strings are often padded with spaces */
    const char *b = info.brand_string;
    while (*b == ' ') b++;
    snprintf(out->model, sizeof out->model, "%s", *b ? b : info.vendor);
    size_t n = strlen(out->model);
    while (n > 0 && out->model[n - 1] == ' ') out->model[--n] = '\0';
    for (int f = 0; f < X86_LAST_; f++)
        if (GetX86FeaturesEnumValue(&info.features, (X86FeaturesEnum)f))
            add_flag(out, GetX86FeaturesEnumName((X86FeaturesEnum)f));
#elif defined(CPU_FEATURES_ARCH_AARCH64)
    snprintf(out->arch, sizeof out->arch, "%s", "aarch64");
    int saved = stdout_mute();
    Aarch64Info info = GetAarch64Info();
    stdout_unmute(saved);
    snprintf(out->model, sizeof out->model,
             "implementer 0x%02x part 0x%03x variant %d revision %d",
             info.implementer, info.part, info.variant, info.revision);
    for (int f = 0; f < AARCH64_LAST_; f++)
        if (GetAarch64FeaturesEnumValue(&info.features, (Aarch64FeaturesEnum)f))
            add_flag(out, GetAarch64FeaturesEnumName((Aarch64FeaturesEnum)f));
#elif defined(CPU_FEATURES_ARCH_PPC)
    snprintf(out->arch, sizeof out->arch, "%s", "ppc64le");
    PPCInfo info;
    PPCPlatformStrings ps;
    ppc_query(&info, &ps);
    snprintf(out->model, sizeof out->model, "%s",
             ps.cpu[0] ? ps.cpu : ps.type.platform[0] ? ps.type.platform : "POWER");
    for (int f = 0; f < PPC_LAST_; f++)
        if (GetPPCFeaturesEnumValue(&info.features, (PPCFeaturesEnum)f))
            add_flag(out, GetPPCFeaturesEnumName((PPCFeaturesEnum)f));
    unsigned long hw2 = getauxval(AT_HWCAP2);
    if (hw2 & HONE_PPC_FEATURE2_ARCH_3_1) add_flag(out, "arch31");
    if (hw2 & HONE_PPC_FEATURE2_MMA) add_flag(out, "mma");
#else
    snprintf(out->arch, sizeof out->arch, "%s", "unknown");
    snprintf(out->model, sizeof out->model, "%s", "unknown");
#endif
}

void hone_cpu_cache_fill(hone_topology *t)
{
#if defined(CPU_FEATURES_ARCH_X86)
    const CacheInfo c = GetX86CacheInfo();
    for (int i = 0; i < c.size && i < CPU_FEATURES_MAX_CACHE_LEVEL; i++) {
        const CacheLevelInfo *l = &c.levels[i];
        const long bytes = l->cache_size > 0 ? (long)l->cache_size : 0;
        if (l->level == 1 && l->cache_type == CPU_FEATURE_CACHE_DATA && !t->l1d_bytes) t->l1d_bytes = bytes;
        else if (l->level == 2 && l->cache_type == CPU_FEATURE_CACHE_UNIFIED && !t->l2_bytes) t->l2_bytes = bytes;
        else if (l->level == 3 && l->cache_type == CPU_FEATURE_CACHE_UNIFIED && !t->l3_bytes) t->l3_bytes = bytes;
    }
#endif
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE) && defined(_SC_LEVEL3_CACHE_SIZE)
    /* cpu_features 0.7 reads only Intel's cache leaves: on AMD it returns no
     * levels. glibc decodes AMD's leaves as well, so it fills what is left
     * (a Zen 5 guest with no sysfs cache folders needs it). */
    long v;
    if (!t->l1d_bytes && (v = sysconf(_SC_LEVEL1_DCACHE_SIZE)) > 0) t->l1d_bytes = v;
    if (!t->l2_bytes && (v = sysconf(_SC_LEVEL2_CACHE_SIZE)) > 0) t->l2_bytes = v;
    if (!t->l3_bytes && (v = sysconf(_SC_LEVEL3_CACHE_SIZE)) > 0) t->l3_bytes = v;
#else
    (void)t; /* sysfs (and cpu_features on x86) are the only sources there */
#endif
}

bool hone_cpu_has(const hone_cpu_info *cpu, const char *feature)
{
    for (int i = 0; i < cpu->n_flags; i++)
        if (!strcmp(cpu->flags[i], feature)) return true;
    return false;
}

bool hone_cpu_feature_known(const char *name)
{
#if defined(CPU_FEATURES_ARCH_X86)
    for (int f = 0; f < X86_LAST_; f++)
        if (!strcmp(GetX86FeaturesEnumName((X86FeaturesEnum)f), name)) return true;
#elif defined(CPU_FEATURES_ARCH_AARCH64)
    for (int f = 0; f < AARCH64_LAST_; f++)
        if (!strcmp(GetAarch64FeaturesEnumName((Aarch64FeaturesEnum)f), name)) return true;
#elif defined(CPU_FEATURES_ARCH_PPC)
    for (int f = 0; f < PPC_LAST_; f++)
        if (!strcmp(GetPPCFeaturesEnumName((PPCFeaturesEnum)f), name)) return true;
    if (!strcmp(name, "arch31") || !strcmp(name, "mma")) return true;
#else
    (void)name;
#endif
    return false;
}
