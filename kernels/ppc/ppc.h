/* ppc.h — the POWER (ppc64le) kernel tables (internal to kernels/).
 *
 * Each lives in a file compiled with only its own -mcpu flags
 * (kernels/CMakeLists.txt); calling a getter is safe on any CPU, using the
 * table only once kernels.c has checked the CPU (AT_HWCAP2 ARCH_3_1).
 * Types not specialised here keep the generic entries. */
#ifndef HONE_KERNELS_PPC_H
#define HONE_KERNELS_PPC_H

#include "kernels.h"

/* POWER10 (ISA 3.1) VSX kernels. */
const hone_kernels *hone_kernels_power10(void);

#endif
