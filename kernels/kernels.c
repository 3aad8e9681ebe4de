/* kernels.c — choosing a kernel table for the running CPU.
 *
 * This file is compiled for the variant's baseline ISA and never contains
 * ISA-specific code: it only asks cpu_features (which also checks that the
 * OS saves the wider registers) what the CPU can do, then hands out a
 * pointer to a table compiled elsewhere. */
#include "kernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(HONE_KERNELS_X86)
#include "x86/x86.h"
#include <cpu_features/cpuinfo_x86.h>
#endif

typedef struct {
    const char *name;
    const hone_kernels *(*get)(void);
    /* NULL if runnable here, else the missing features, for the message */
    const char *(*missing)(void);
} kernel_set;

#if defined(HONE_KERNELS_X86)
static const char *avx2_missing(void)
{
    const X86Features f = GetX86Info().features;
    return (f.avx2 && f.fma3 && f.f16c) ? NULL : "avx2, fma, f16c";
}

static const char *avx512_missing(void)
{
    const X86Features f = GetX86Info().features;
    bool ok = f.avx2 && f.fma3 && f.f16c && f.avx512f && f.avx512bw && f.avx512vl &&
              f.avx512vnni;
    return ok ? NULL : "avx512f, avx512bw, avx512vl, avx512vnni (and avx2, fma, f16c)";
}

/* Same set, with the vdpbf16ps BF16 dot where the CPU has AVX512_BF16. */
static const hone_kernels *avx512_get(void)
{
    return GetX86Info().features.avx512_bf16 ? hone_kernels_avx512_bf16()
                                             : hone_kernels_avx512();
}
#endif

/* Best first: the first runnable set is the default. */
static const kernel_set SETS[] = {
#if defined(HONE_KERNELS_X86)
    {"avx512", avx512_get, avx512_missing},
    {"avx2", hone_kernels_avx2, avx2_missing},
#endif
    {"generic", hone_kernels_generic, NULL},
};
#define N_SETS (sizeof SETS / sizeof SETS[0])

const char *hone_kernels_choices(void)
{
#if defined(HONE_KERNELS_X86)
    return "generic, avx2, avx512";
#else
    return "generic";
#endif
}

bool hone_kernels_can_run(const char *name)
{
    for (size_t i = 0; i < N_SETS; i++)
        if (strcmp(SETS[i].name, name) == 0) return !SETS[i].missing || !SETS[i].missing();
    return false;
}

hone_status hone_kernels_select(const char *name, const hone_kernels **out,
                                hone_error *err)
{
    const char *origin = "kernel set";
    if (!name || !*name) {
        name = getenv("HONE_KERNELS");
        origin = "HONE_KERNELS";
    }
    if (!name || !*name || strcmp(name, "auto") == 0) {
        for (size_t i = 0; i < N_SETS; i++) {
            if (!SETS[i].missing || !SETS[i].missing()) {
                *out = SETS[i].get();
                return HONE_OK;
            }
        }
        return hone_fail(err, HONE_ERR_INTERNAL, "no kernel set can run on this CPU");
    }
    for (size_t i = 0; i < N_SETS; i++) {
        if (strcmp(SETS[i].name, name) != 0) continue;
        const char *missing = SETS[i].missing ? SETS[i].missing() : NULL;
        if (missing)
            return hone_fail(err, HONE_ERR_CPU,
                             "%s '%s' needs CPU features this CPU lacks: %s", origin,
                             name, missing);
        *out = SETS[i].get();
        return HONE_OK;
    }
    return hone_fail(err, HONE_ERR_ARG, "%s '%s' is unknown (choices: auto, %s)", origin,
                     name, hone_kernels_choices());
}
