# hone_git_commit(SRC OUT): the commit SRC is checked out at, as 12 hex
# digits, with "-dirty" appended when a tracked file differs from it
# (untracked files do not count), so `hone info` never names a commit
# the binary was not built from; empty when SRC is not a git checkout.
# Read at configure time: an edit after it shows once CMake runs again
# (a commit moves HEAD, which re-runs it: HoneReproducible.cmake).
# tests/build_info/git_commit_test.cmake runs it in script mode.
function(hone_git_commit src out)
  execute_process(COMMAND git -C "${src}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0 OR NOT commit)
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  # status, not diff-index: it refreshes the index first, so a file only
  # touched (same contents) is not a change
  execute_process(COMMAND git -C "${src}" status --porcelain --untracked-files=no
                  OUTPUT_VARIABLE changes RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0 AND NOT changes STREQUAL "")
    string(APPEND commit "-dirty")
  endif()
  set(${out} "${commit}" PARENT_SCOPE)
endfunction()
