# Reproducible output: the same source gives the same bytes whatever the build
# directory, the time or the host name. Two clean `portable` builds in
# different directories must be bit-identical (tests/repro checks it).

# No absolute paths in __FILE__, debug info or assertions.
add_compile_options(
  "-ffile-prefix-map=${PROJECT_SOURCE_DIR}=."
  "-ffile-prefix-map=${PROJECT_BINARY_DIR}=build")

# Deterministic static archives (no timestamps, uid or gid).
set(CMAKE_C_ARCHIVE_CREATE "<CMAKE_AR> qcD <TARGET> <LINK_FLAGS> <OBJECTS>")
set(CMAKE_C_ARCHIVE_APPEND "<CMAKE_AR> qD <TARGET> <LINK_FLAGS> <OBJECTS>")
set(CMAKE_C_ARCHIVE_FINISH "<CMAKE_RANLIB> -D <TARGET>")

# The build's date: SOURCE_DATE_EPOCH if set, else the commit time, else 0.
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  set(HONE_SOURCE_DATE_EPOCH "$ENV{SOURCE_DATE_EPOCH}")
else()
  execute_process(COMMAND git -C "${PROJECT_SOURCE_DIR}" log -1 --format=%ct
                  OUTPUT_VARIABLE HONE_SOURCE_DATE_EPOCH
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT HONE_SOURCE_DATE_EPOCH)
    set(HONE_SOURCE_DATE_EPOCH 0)
  endif()
endif()
# HONE_GIT_COMMIT_OVERRIDE: for builds of a source snapshot without .git
# (tests/repro builds one snapshot twice).
if(HONE_GIT_COMMIT_OVERRIDE)
  set(HONE_GIT_COMMIT "${HONE_GIT_COMMIT_OVERRIDE}")
else()
  include(HoneGitCommit)
  hone_git_commit("${PROJECT_SOURCE_DIR}" HONE_GIT_COMMIT)
endif()
if(NOT HONE_GIT_COMMIT)
  set(HONE_GIT_COMMIT "unknown")
endif()

# Re-configure when HEAD moves, so the commit and date baked into
# hone_build_config.h never go stale in an incremental build.
execute_process(COMMAND git -C "${PROJECT_SOURCE_DIR}" rev-parse --absolute-git-dir
                OUTPUT_VARIABLE _hone_git_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git -C "${PROJECT_SOURCE_DIR}" symbolic-ref -q HEAD
                OUTPUT_VARIABLE _hone_git_ref OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(_hone_git_dir)
  foreach(f HEAD "${_hone_git_ref}" packed-refs)
    if(f AND EXISTS "${_hone_git_dir}/${f}")
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_hone_git_dir}/${f}")
    endif()
  endforeach()
endif()
