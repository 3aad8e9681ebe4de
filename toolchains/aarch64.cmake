# aarch64 (ARMv8.2-A with FP16 and dot product: Neoverse N1/V1, Graviton 2+,
# Ampere Altra, Apple M*, Cortex-A76+). Debian: gcc-aarch64-linux-gnu,
# qemu-user-static. Usage: cmake --preset aarch64
set(HONE_CROSS_ARCH aarch64)
set(HONE_CROSS_TRIPLE aarch64-linux-gnu)
set(HONE_CROSS_ISA_FLAGS -march=armv8.2-a+fp16+dotprod)
include("${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake")
