/* neon_i8mm.c — the "neon" kernel set with SDOT dots and SMMLA (int8 matrix
 * multiply, HWCAP2_I8MM) tiles in matmul. Compiled with
 * -march=armv8.2-a+dotprod+i8mm only (kernels/CMakeLists.txt); kernels.c
 * uses it when the CPU has both extensions. */
#define HONE_NEON_DOTPROD 1
#define HONE_NEON_I8MM 1
#define NEON_GETTER hone_kernels_neon_i8mm
#include "arm/neon_body.h"
