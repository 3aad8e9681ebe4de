/* kernels.c — placeholder until the kernel table lands. */
#include "kernels.h"
typedef int hone_kernels_placeholder;
