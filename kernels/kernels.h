/* kernels.h — the kernel table (placeholder). */
#ifndef HONE_KERNELS_H
#define HONE_KERNELS_H
#endif
