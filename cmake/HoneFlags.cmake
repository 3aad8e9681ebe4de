# Compiler flags per build variant. Every variant: C11, -Wall -Wextra
# -Wpedantic (errors with HONE_WERROR, as CI builds).
#
#   portable  x86-64-v3 baseline, -O3, reproducible; never -march=native
#   native    -march=native -O3 + LTO, OpenBLAS and OpenMP
#   debug     -O1 -g, AddressSanitizer + UndefinedBehaviorSanitizer
#   cross     flags come from toolchains/*.cmake (aarch64, ppc64le)
#
# HONE_BASELINE_FLAGS: flags for the few files that must run on *any* CPU of
# the architecture (the ISA guard and main), so that the check for missing
# CPU features runs before any instruction the CPU may lack.

add_compile_options(-Wall -Wextra -Wpedantic)
if(HONE_WERROR)
  add_compile_options(-Werror)
endif()
add_compile_definitions(_GNU_SOURCE)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$")
  set(HONE_ARCH "x86_64")
  set(HONE_BASELINE_FLAGS -march=x86-64 -mtune=generic)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(HONE_ARCH "aarch64")
  set(HONE_BASELINE_FLAGS -march=armv8-a)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(ppc64le|powerpc64le)$")
  set(HONE_ARCH "ppc64le")
  set(HONE_BASELINE_FLAGS -mcpu=power8)
else()
  set(HONE_ARCH "${CMAKE_SYSTEM_PROCESSOR}")
  set(HONE_BASELINE_FLAGS "")
endif()

# The ISA flags this variant compiles everything else with.
set(HONE_ISA_FLAGS "")
if(HONE_VARIANT STREQUAL "portable")
  if(NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE Release)
  endif()
  # v3 (AVX2, FMA, F16C: Haswell, Zen 1 and later) is the zero-compile
  # artifact; v2 (SSE4.2, POPCNT) the one for older CPUs. Both carry every
  # x86 kernel set and pick one at start-up.
  set(HONE_X86_LEVEL "v3" CACHE STRING "portable x86-64 microarchitecture level: v3 or v2")
  set_property(CACHE HONE_X86_LEVEL PROPERTY STRINGS v3 v2)
  if(NOT HONE_X86_LEVEL MATCHES "^v[23]$")
    message(FATAL_ERROR "HONE_X86_LEVEL must be v3 or v2 (got '${HONE_X86_LEVEL}')")
  endif()
  if(HONE_ARCH STREQUAL "x86_64")
    set(HONE_ISA_FLAGS -march=x86-64-${HONE_X86_LEVEL} -mtune=generic)
  endif()
  add_compile_options(-O3)
elseif(HONE_VARIANT STREQUAL "native")
  if(NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE Release)
  endif()
  set(HONE_ISA_FLAGS -march=native)
  add_compile_options(-O3)
  set(CMAKE_INTERPROCEDURAL_OPTIMIZATION ON)
  set(HONE_USE_OPENMP ON)
  set(HONE_USE_BLAS ON)
elseif(HONE_VARIANT STREQUAL "debug")
  set(CMAKE_BUILD_TYPE Debug)
  set(HONE_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                          -fno-omit-frame-pointer)
  add_compile_options(-O1 -g ${HONE_SANITIZE_FLAGS})
  add_link_options(${HONE_SANITIZE_FLAGS})
  if(HONE_ARCH STREQUAL "x86_64")
    set(HONE_ISA_FLAGS -march=x86-64-v3)
  endif()
elseif(HONE_VARIANT STREQUAL "cross")
  if(NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE Release)
  endif()
  add_compile_options(-O3)
  set(HONE_ISA_FLAGS ${HONE_CROSS_ISA_FLAGS}) # from the toolchain file
else()
  message(FATAL_ERROR "HONE_VARIANT must be portable, native, debug or cross (got '${HONE_VARIANT}')")
endif()
# Release's default -O3 -DNDEBUG: keep asserts out, our -O3 above wins anyway.
add_compile_options(${HONE_ISA_FLAGS})

# Mark sources that must stay at the architecture baseline (see above).
function(hone_baseline_sources)
  set(flags ${HONE_BASELINE_FLAGS})
  if(CMAKE_INTERPROCEDURAL_OPTIMIZATION)
    list(APPEND flags -fno-lto)
  endif()
  # Source properties are per directory: set them in the caller's, where
  # the target using these sources is defined.
  set_source_files_properties(${ARGN} PROPERTIES COMPILE_OPTIONS "${flags}")
endfunction()

string(REPLACE ";" " " HONE_ISA_FLAGS_STR "${HONE_ISA_FLAGS}")
