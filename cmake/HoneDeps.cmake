# Dependencies, all from Debian packages. A missing one stops configure with
# the package to install.
find_package(PkgConfig REQUIRED)

# Cross builds and release artifacts prefer static archives (PCRE2,
# cpu_features), so the binary needs little from the target but libc
# (toolchains/cross-common.cmake). Set here: the platform module resets it
# after the toolchain file.
if(CMAKE_CROSSCOMPILING OR HONE_RELEASE)
  set(CMAKE_FIND_LIBRARY_SUFFIXES .a .so)
endif()

function(hone_require_pkg target module debpkg)
  pkg_check_modules(${target} IMPORTED_TARGET ${module})
  if(NOT ${target}_FOUND AND CMAKE_CROSSCOMPILING)
    message(FATAL_ERROR "hone needs ${module} (${debpkg}) in the sysroot ${HONE_SYSROOT}: "
                        "make it again with ci/cross-sysroot.sh ${HONE_CROSS_ARCH} ${HONE_SYSROOT}")
  elseif(NOT ${target}_FOUND)
    message(FATAL_ERROR "hone needs ${module}: apt-get install ${debpkg}")
  endif()
endfunction()

find_package(CpuFeatures QUIET CONFIG)
if(NOT CpuFeatures_FOUND)
  message(FATAL_ERROR "hone needs Google's cpu_features: apt-get install libcpu-features-dev")
endif()
hone_require_pkg(CJSON libcjson libcjson-dev)
hone_require_pkg(PCRE2 libpcre2-8 libpcre2-dev)
find_package(Threads REQUIRED)

# libcurl is never linked (hone pull loads it with dlopen). Cross builds
# skip it: their sysroot has no libcurl, and without its header their
# `hone pull` says the build has no download support.
if(NOT HONE_VARIANT STREQUAL "cross")
  hone_require_pkg(CURL libcurl libcurl4-openssl-dev)
  set_property(TARGET PkgConfig::CURL APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS HONE_HAVE_CURL)
endif()
# libmicrohttpd (hone serve), every variant (cross ones from the sysroot),
# is linked as a shared library, also in release artifacts: Debian's
# archive of it needs GnuTLS's, which Debian does not ship, so the artifact
# bundles the .so and its dependencies instead (ci/release.sh). Code using
# it guards with #ifdef HONE_HAVE_MHD.
set(_suffixes "${CMAKE_FIND_LIBRARY_SUFFIXES}")
set(CMAKE_FIND_LIBRARY_SUFFIXES .so)
hone_require_pkg(MHD libmicrohttpd libmicrohttpd-dev)
set(CMAKE_FIND_LIBRARY_SUFFIXES "${_suffixes}")
set_property(TARGET PkgConfig::MHD APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS HONE_HAVE_MHD)
if(CMAKE_CROSSCOMPILING)
  # libmicrohttpd.so's own dependencies (GnuTLS and its chain) are beside it
  # in the sysroot, outside the cross linker's search path: -rpath-link lets
  # ld find them to check the link (it records nothing in the binary).
  foreach(_dir IN LISTS MHD_LIBRARY_DIRS)
    set_property(TARGET PkgConfig::MHD APPEND PROPERTY INTERFACE_LINK_OPTIONS "LINKER:-rpath-link,${_dir}")
  endforeach()
endif()

set(HONE_BLAS_NAME "")
if(HONE_USE_BLAS)
  pkg_check_modules(OPENBLAS IMPORTED_TARGET openblas)
  if(NOT OPENBLAS_FOUND)
    message(FATAL_ERROR "the native build uses OpenBLAS, which is missing: apt-get install libopenblas-dev")
  endif()
  set(HONE_BLAS_NAME "openblas ${OPENBLAS_VERSION}")
endif()
if(HONE_USE_OPENMP)
  find_package(OpenMP REQUIRED COMPONENTS C)
endif()

if(HONE_BUILD_TESTS AND NOT HONE_VARIANT STREQUAL "cross")
  hone_require_pkg(CMOCKA cmocka libcmocka-dev)
endif()
