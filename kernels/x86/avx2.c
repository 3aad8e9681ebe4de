/* avx2.c — the AVX2 + FMA + F16C kernel set (x86-64-v3). Compiled with
 * exactly those -m flags (kernels/CMakeLists.txt); the kernels themselves
 * are the shared 256-bit body. */
#include "x86/body256.h"
#include "x86/x86.h"

static const hone_kernels AVX2 = {
    .name = "avx2",
    .type = {X86_TYPE_TABLE(x86_vec_dot_bf16)},
    .matmul = x86_matmul,
    .rmsnorm = x86_rmsnorm,
    .softmax = x86_softmax,
    .silu_mul = x86_silu_mul,
};

const hone_kernels *hone_kernels_avx2(void)
{
    return &AVX2;
}
