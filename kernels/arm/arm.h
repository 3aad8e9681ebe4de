/* arm.h — the AArch64 kernel tables (internal to kernels/).
 *
 * Each lives in a file compiled with only its own -march flags
 * (kernels/CMakeLists.txt); calling a getter is safe on any CPU, using the
 * table only once kernels.c has checked the CPU has the extension. Both
 * tables are named "neon": the set is one, with the SDOT int8 dot where
 * the CPU has it. Types not specialised here keep the generic entries. */
#ifndef HONE_KERNELS_ARM_H
#define HONE_KERNELS_ARM_H

#include "kernels.h"

/* ARMv8.0 Advanced SIMD (every AArch64 CPU): int8 dots via SMULL/SADALP. */
const hone_kernels *hone_kernels_neon(void);
/* The same with ARMv8.2 dot product (SDOT, HWCAP_ASIMDDP). */
const hone_kernels *hone_kernels_neon_dotprod(void);
/* SDOT plus the int8 matrix multiply (SMMLA, HWCAP2_I8MM) in matmul. */
const hone_kernels *hone_kernels_neon_i8mm(void);

#endif
