/* avx512.c — the AVX-512 kernel set: F + BW + VL + VNNI. Compiled with
 * exactly those -m flags (kernels/CMakeLists.txt). The shared 256-bit body
 * is built here with HONE_X86_VNNI, so its integer multiply-accumulate
 * steps use vpdpbusd / vpdpwssd. A second table adds the AVX512_BF16 dot
 * (x86/avx512_bf16.c) for CPUs that have it. */
#define HONE_X86_VNNI 1
#define X86_MAX_NT 8 /* 32 vector registers: 8 rows' accumulators fit */
#include "x86/body256.h"
#include "x86/x86.h"

#define AVX512_TABLE(set_name, bf16_dot)                                  \
    {                                                                     \
        .name = set_name,                                                 \
        .type = {X86_TYPE_TABLE(bf16_dot)},                               \
        .matmul = x86_matmul,                                        \
        .rmsnorm = x86_rmsnorm,                                      \
        .softmax = x86_softmax,                                      \
        .silu_mul = x86_silu_mul,                                    \
    }

static const hone_kernels AVX512 = AVX512_TABLE("avx512", x86_vec_dot_bf16);
static const hone_kernels AVX512_BF16 = AVX512_TABLE("avx512", hone_avx512_vec_dot_bf16);

const hone_kernels *hone_kernels_avx512(void)
{
    return &AVX512;
}

const hone_kernels *hone_kernels_avx512_bf16(void)
{
    return &AVX512_BF16;
}
