# ppc64le for POWER10 (ISA 3.1, MMA). Debian: gcc-powerpc64le-linux-gnu,
# qemu-user-static (run with -cpu power10). Usage: cmake --preset ppc64le
set(HONE_CROSS_ARCH ppc64le)
set(HONE_CROSS_TRIPLE powerpc64le-linux-gnu)
set(HONE_CROSS_ISA_FLAGS -mcpu=power10)
set(HONE_QEMU_CPU power10)
include("${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake")
