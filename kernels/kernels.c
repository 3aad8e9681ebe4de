/* kernels.c — choosing a kernel table for the running CPU.
 *
 * This file is compiled for the variant's baseline ISA and never contains
 * ISA-specific code: it only asks what the CPU can do (cpu_features on
 * x86-64, which also checks that the OS saves the wider registers; the
 * kernel's AT_HWCAP / AT_HWCAP2 bits on aarch64 and ppc64le), then hands
 * out a pointer to a table compiled elsewhere. */
#include "kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(HONE_KERNELS_X86)
#include "x86/x86.h"
#include <cpu_features/cpuinfo_x86.h>
#include <sys/syscall.h>
#include <unistd.h>
#elif defined(HONE_KERNELS_ARM)
#include "arm/arm.h"
#include <sys/auxv.h>
/* Asked of the kernel directly, not of cpu_features: on CPUs with no
 * AT_HWCAP2 bits (Neoverse N1, Graviton 2, ...) its GetAarch64Info prints
 * a debug line to stdout. Values from the Linux uapi asm/hwcap.h. */
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1UL << 13)
#endif
#elif defined(HONE_KERNELS_PPC)
#include "ppc/ppc.h"
#include <sys/auxv.h>
/* cpu_features has no ISA 3.1 flag: ask the kernel (asm/cputable.h). */
#ifndef PPC_FEATURE2_ARCH_3_1
#define PPC_FEATURE2_ARCH_3_1 0x00040000
#endif
#ifndef PPC_FEATURE2_MMA
#define PPC_FEATURE2_MMA 0x00020000
#endif
#endif

typedef struct {
    const char *name;
    const hone_kernels *(*get)(void);
    /* NULL if the set runs anywhere; else fills buf with what is missing */
    void (*missing)(char *buf, size_t size);
} kernel_set;

#if defined(HONE_KERNELS_X86) || defined(HONE_KERNELS_ARM) || defined(HONE_KERNELS_PPC)
/* Appends the names of the features in want[] the CPU lacks to buf
 * (", "-separated); buf stays "" when none is missing. */
typedef struct {
    const char *name;
    bool have;
} feature;

static void list_missing(const feature *want, size_t n, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (want[i].have) continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", want[i].name);
        if (w < 0 || (size_t)w >= size - len) break;
        len += (size_t)w;
    }
}
#endif

#if defined(HONE_KERNELS_X86)
static void avx2_missing(char *buf, size_t size)
{
    const X86Features f = GetX86Info().features;
    const feature want[] = {{"avx2", f.avx2}, {"fma", f.fma3}, {"f16c", f.f16c}};
    list_missing(want, sizeof want / sizeof want[0], buf, size);
}

static void avx512_missing(char *buf, size_t size)
{
    const X86Features f = GetX86Info().features;
    const feature want[] = {{"avx2", f.avx2},         {"fma", f.fma3},           {"f16c", f.f16c},
                            {"avx512f", f.avx512f},   {"avx512bw", f.avx512bw},  {"avx512vl", f.avx512vl},
                            {"avx512vnni", f.avx512vnni}};
    list_missing(want, sizeof want / sizeof want[0], buf, size);
}

/* Whether this process may use AMX tiles. Linux leaves the tile data
 * state off until a process asks (arch_prctl ARCH_REQ_XCOMP_PERM, Linux
 * 5.16+); asking again once granted is harmless, and a kernel or
 * hypervisor that does not offer it says no, so the answer is the
 * check that XCR0 and the OS agree. */
static bool amx_permitted(void)
{
#if defined(__linux__) && defined(SYS_arch_prctl)
    enum { ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 };
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
#else
    return false;
#endif
}

/* AMD's cores (and Hygon's, which are Zen). */
static bool x86_amd(void)
{
    const X86Info info = GetX86Info();
    return !strcmp(info.vendor, "AuthenticAMD") || !strcmp(info.vendor, "HygonGenuine");
}

/* Where the repacked decode fetches ahead (body256.h's X86_ROUTE_*) is
 * the CPU's choice, by a lot. A Zen 5 (family 0x1a) reads fastest with
 * the fetch into L1 (+42 % over a burst into L2; kernels/README.md round
 * fifteen); so do later AMD cores, unmeasured. Zen 3 and Zen 4 (family
 * 0x19) take Intel's fetch into L2, spread over a group's steps: on a Zen
 * 4, bench-1b tg128 t=2 Q4_K_M +15 % (avx512) and +36 % (avx2) over L1
 * (round twenty-eight); Zen 3, the same family, is unmeasured. */
static bool x86_zen_l1(void)
{
    return x86_amd() && GetX86Info().family >= 0x1a;
}

static const hone_kernels *avx2_get(void)
{
    return x86_zen_l1() ? hone_kernels_avx2_zen5() : hone_kernels_avx2();
}

/* Intel's avx512 table without AMX (BF16 where the CPU has it). */
static const hone_kernels *avx512_intel_get(void)
{
    return GetX86Info().features.avx512_bf16 ? hone_kernels_avx512_bf16() : hone_kernels_avx512();
}

/* Same set, with the vdpbf16ps BF16 dot where the CPU has AVX512_BF16,
 * and the AMX-INT8 prompt tiles where it has those and the OS allows
 * them (every AMX CPU has AVX512_BF16). */
static const hone_kernels *avx512_get(void)
{
    const X86Features f = GetX86Info().features;
    if (f.avx512_bf16 && f.amx_tile && f.amx_int8 && amx_permitted()) return hone_kernels_avx512_amx();
    if (f.avx512_bf16 && x86_zen_l1()) return hone_kernels_avx512_zen5();
    if (f.avx512_bf16 && x86_amd()) return hone_kernels_avx512_zen4();
    return avx512_intel_get();
}

/* The tables named after the CPUs they were tuned for: "avx512:zen5"
 * runs Zen 5's decode fetch route on whatever CPU this is (the set's own
 * features still have to be there). The choice above goes by vendor and
 * family on measurements from one CPU of each; naming a table measures
 * another CPU's choice here with the same binary (`HONE_KERNELS=avx512:zen4
 * hone bench` against the default) and runs the engine's tests on it. */
static const struct {
    const char *name, *set;
    bool bf16; /* the table's BF16 dot needs AVX512_BF16 */
    const hone_kernels *(*get)(void);
} X86_TABLES[] = {
    {"avx2:intel", "avx2", false, hone_kernels_avx2},
    {"avx2:zen5", "avx2", false, hone_kernels_avx2_zen5},
    {"avx512:intel", "avx512", false, avx512_intel_get},
    {"avx512:zen4", "avx512", true, hone_kernels_avx512_zen4},
    {"avx512:zen5", "avx512", true, hone_kernels_avx512_zen5},
};
#define N_X86_TABLES (sizeof X86_TABLES / sizeof X86_TABLES[0])
#endif

#if defined(HONE_KERNELS_ARM)
static void neon_missing(char *buf, size_t size)
{
    const feature want[] = {{"asimd", (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0}};
    list_missing(want, sizeof want / sizeof want[0], buf, size);
}

/* One set, with SDOT where the CPU has the dot product extension, and
 * SMMLA matmul tiles where it also has the int8 matrix multiply. */
static const hone_kernels *neon_get(void)
{
    const bool dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
    const bool i8mm = (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0;
    if (dotprod && i8mm) return hone_kernels_neon_i8mm();
    return dotprod ? hone_kernels_neon_dotprod() : hone_kernels_neon();
}
#endif

#if defined(HONE_KERNELS_PPC)
static void power10_missing(char *buf, size_t size)
{
    const unsigned long hw2 = getauxval(AT_HWCAP2);
    const feature want[] = {{"arch_3_1 (POWER10)", (hw2 & PPC_FEATURE2_ARCH_3_1) != 0},
                            {"mma", (hw2 & PPC_FEATURE2_MMA) != 0}};
    list_missing(want, sizeof want / sizeof want[0], buf, size);
}
#endif

/* Best first: the first runnable set is the default. */
static const kernel_set SETS[] = {
#if defined(HONE_KERNELS_X86)
    {"avx512", avx512_get, avx512_missing},
    {"avx2", avx2_get, avx2_missing},
#elif defined(HONE_KERNELS_ARM)
    {"neon", neon_get, neon_missing},
#elif defined(HONE_KERNELS_PPC)
    {"power10", hone_kernels_power10, power10_missing},
#endif
    {"generic", hone_kernels_generic, NULL},
};
#define N_SETS (sizeof SETS / sizeof SETS[0])

const char *hone_kernels_choices(void)
{
#if defined(HONE_KERNELS_X86)
    return "generic, avx2, avx512";
#elif defined(HONE_KERNELS_ARM)
    return "generic, neon";
#elif defined(HONE_KERNELS_PPC)
    return "generic, power10";
#else
    return "generic";
#endif
}

/* Whether set i runs here; if not, what it lacks goes to buf. */
static bool runnable(size_t i, char *buf, size_t size)
{
    buf[0] = 0;
    if (SETS[i].missing) SETS[i].missing(buf, size);
    return buf[0] == 0;
}

/* Set `name`'s index, or -1. */
static int set_index(const char *name)
{
    for (size_t i = 0; i < N_SETS; i++)
        if (strcmp(SETS[i].name, name) == 0) return (int)i;
    return -1;
}

#if defined(HONE_KERNELS_X86)
/* Table `name` ("avx512:zen4") as X86_TABLES' index, or -1. */
static int table_index(const char *name)
{
    for (size_t i = 0; i < N_X86_TABLES; i++)
        if (strcmp(X86_TABLES[i].name, name) == 0) return (int)i;
    return -1;
}

/* Whether table t runs here; if not, what it lacks goes to buf. */
static bool table_runnable(int t, char *buf, size_t size)
{
    if (!runnable((size_t)set_index(X86_TABLES[t].set), buf, size)) return false;
    if (X86_TABLES[t].bf16 && !GetX86Info().features.avx512_bf16) snprintf(buf, size, "avx512_bf16");
    return buf[0] == 0;
}
#endif

const char *hone_kernels_table(const hone_kernels *k)
{
#if defined(HONE_KERNELS_X86)
    char buf[256];
    for (int t = 0; k && t < (int)N_X86_TABLES; t++)
        if (table_runnable(t, buf, sizeof buf) && X86_TABLES[t].get() == k) return X86_TABLES[t].name;
#endif
    (void)k;
    return NULL;
}

bool hone_kernels_can_run(const char *name)
{
    char buf[256];
    const int i = set_index(name);
    if (i >= 0) return runnable((size_t)i, buf, sizeof buf);
#if defined(HONE_KERNELS_X86)
    const int t = table_index(name);
    if (t >= 0) return table_runnable(t, buf, sizeof buf);
#endif
    return false;
}

hone_status hone_kernels_select(const char *name, const hone_kernels **out,
                                hone_error *err)
{
    char missing[256];
    if (!name || !*name || strcmp(name, "auto") == 0) {
        for (size_t i = 0; i < N_SETS; i++) {
            if (runnable(i, missing, sizeof missing)) {
                *out = SETS[i].get();
                return HONE_OK;
            }
        }
        return hone_fail(err, HONE_ERR_INTERNAL, "no kernel set can run on this CPU");
    }
    const int i = set_index(name);
    if (i >= 0) {
        if (!runnable((size_t)i, missing, sizeof missing))
            return hone_fail(err, HONE_ERR_CPU, "kernel set '%s' needs CPU features this CPU lacks: %s",
                             name, missing);
        *out = SETS[i].get();
        return HONE_OK;
    }
#if defined(HONE_KERNELS_X86)
    const int t = table_index(name);
    if (t >= 0) {
        if (!table_runnable(t, missing, sizeof missing))
            return hone_fail(err, HONE_ERR_CPU, "kernel table '%s' needs CPU features this CPU lacks: %s",
                             name, missing);
        *out = X86_TABLES[t].get();
        return HONE_OK;
    }
    if (strchr(name, ':')) {
        char list[256] = "";
        for (size_t j = 0, len = 0; j < N_X86_TABLES && len < sizeof list; j++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "", X86_TABLES[j].name);
        return hone_fail(err, HONE_ERR_ARG, "kernel table '%s' is unknown (tables: %s)", name, list);
    }
#endif
    /* a set hone has for another CPU family is known, just not compiled in
     * here: say so rather than "unknown" */
    static const char *const ALL_SETS[] = {"generic", "avx2", "avx512", "neon", "power10"};
    for (size_t i = 0; i < sizeof ALL_SETS / sizeof ALL_SETS[0]; i++)
        if (strcmp(ALL_SETS[i], name) == 0)
            return hone_fail(err, HONE_ERR_ARG,
                             "kernel set '%s' is not in this build (this build has: auto, %s)",
                             name, hone_kernels_choices());
    return hone_fail(err, HONE_ERR_ARG, "kernel set '%s' is unknown (choices: auto, %s)",
                     name, hone_kernels_choices());
}
