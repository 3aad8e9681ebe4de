/* neon.c — the "neon" kernel set for AArch64 CPUs without the dot product
 * extension (ARMv8.0 Advanced SIMD, which every AArch64 CPU has). Compiled
 * with -march=armv8-a only (kernels/CMakeLists.txt). */
#define NEON_GETTER hone_kernels_neon
#include "arm/neon_body.h"
