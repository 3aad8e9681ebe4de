/* neon_dotprod.c — the "neon" kernel set with ARMv8.2 SDOT int8 dot products
 * (HWCAP_ASIMDDP). Compiled with -march=armv8.2-a+dotprod only
 * (kernels/CMakeLists.txt); kernels.c uses it when the CPU has dotprod. */
#define HONE_NEON_DOTPROD 1
#define NEON_GETTER hone_kernels_neon_dotprod
#include "arm/neon_body.h"
