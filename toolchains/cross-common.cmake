# Shared part of the cross toolchain files (aarch64.cmake, ppc64le.cmake):
# Debian's cross gcc for libc, a private sysroot (ci/cross-sysroot.sh) for
# cpu_features, cJSON, PCRE2 and libmicrohttpd (with GnuTLS's chain),
# qemu-user as the emulator.
#
# Inputs: HONE_CROSS_ARCH, HONE_CROSS_TRIPLE, HONE_CROSS_ISA_FLAGS,
#         HONE_QEMU_CPU (optional).
# HONE_SYSROOT (cache or environment) overrides the sysroot location,
# default ~/.cache/hone/sysroot-<arch>; it is created on first use.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${HONE_CROSS_ARCH})
set(CMAKE_C_COMPILER ${HONE_CROSS_TRIPLE}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${HONE_CROSS_TRIPLE})
set(HONE_VARIANT cross CACHE STRING "build variant: portable | native | debug | cross")

if(NOT HONE_SYSROOT)
  if(DEFINED ENV{HONE_SYSROOT})
    set(HONE_SYSROOT "$ENV{HONE_SYSROOT}")
  else()
    set(HONE_SYSROOT "$ENV{HOME}/.cache/hone/sysroot-${HONE_CROSS_ARCH}")
  endif()
endif()
set(HONE_SYSROOT "${HONE_SYSROOT}" CACHE PATH "target-arch libraries (ci/cross-sysroot.sh)")
# try_compile projects read this file again: same sysroot, never made there
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES HONE_SYSROOT)
get_property(_hone_in_try_compile GLOBAL PROPERTY IN_TRY_COMPILE)
if(NOT _hone_in_try_compile)
  # made on first use, made again when made for another package set (the
  # script compares its marker file and returns at once when current)
  execute_process(COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/../ci/cross-sysroot.sh"
                          ${HONE_CROSS_ARCH} "${HONE_SYSROOT}"
                  RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "cannot create the ${HONE_CROSS_ARCH} sysroot: run "
                        "ci/cross-sysroot.sh ${HONE_CROSS_ARCH} ${HONE_SYSROOT}")
  endif()
endif()

set(CMAKE_FIND_ROOT_PATH "${HONE_SYSROOT}" "/usr/${HONE_CROSS_TRIPLE}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR}
    "${HONE_SYSROOT}/usr/lib/${HONE_CROSS_TRIPLE}/pkgconfig:${HONE_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${HONE_SYSROOT}")
set(ENV{PKG_CONFIG_PATH} "")

# qemu-user runs the cross-built binary (build_info.json, tests). -L gives
# the target's ld.so; LD_LIBRARY_PATH puts the cross toolchain's libc
# before any multiarch copy of a different version, then the sysroot's
# shared libraries (cJSON, libmicrohttpd, GnuTLS ...).
find_program(HONE_QEMU NAMES qemu-${HONE_CROSS_ARCH}-static qemu-${HONE_CROSS_ARCH})
if(HONE_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${HONE_QEMU}")
  if(HONE_QEMU_CPU)
    list(APPEND CMAKE_CROSSCOMPILING_EMULATOR -cpu ${HONE_QEMU_CPU})
  endif()
  list(APPEND CMAKE_CROSSCOMPILING_EMULATOR -L /usr/${HONE_CROSS_TRIPLE} -E
       "LD_LIBRARY_PATH=/usr/${HONE_CROSS_TRIPLE}/lib:${HONE_SYSROOT}/usr/lib/${HONE_CROSS_TRIPLE}")
endif()
