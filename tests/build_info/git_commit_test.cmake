# cmake -DMODULE_DIR=cmake -DWORK=DIR -P git_commit_test.cmake
# hone_git_commit on a scratch repository: clean, a tracked file edited,
# the edit undone but the file touched, an untracked file, a new file
# staged, and a folder that is not a checkout.
list(APPEND CMAKE_MODULE_PATH "${MODULE_DIR}")
include(HoneGitCommit)

find_program(GIT git REQUIRED)
# WORK sits in the build tree, often inside hone's own checkout: git must
# not look above it for a repository
set(ENV{GIT_CEILING_DIRECTORIES} "${WORK}")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/repo" "${WORK}/plain")
function(git)
  execute_process(COMMAND "${GIT}" -C "${WORK}/repo" -c user.name=hone -c user.email=hone@localhost
                          -c commit.gpgsign=false ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "git ${ARGN}: ${err}")
  endif()
endfunction()
function(expect what want)
  hone_git_commit("${WORK}/${ARGN}" got)
  if(NOT got MATCHES "${want}")
    message(FATAL_ERROR "${what}: got '${got}', want /${want}/")
  endif()
  message(STATUS "ok: ${what}: '${got}'")
endfunction()

git(init -q)
file(WRITE "${WORK}/repo/a.c" "int a;\n")
git(add a.c)
git(commit -q -m one)
expect("clean checkout" "^[0-9a-f]+$" repo)
file(WRITE "${WORK}/repo/a.c" "int b;\n")
expect("tracked file edited" "^[0-9a-f]+-dirty$" repo)
file(WRITE "${WORK}/repo/a.c" "int a;\n")
expect("edit undone (file touched)" "^[0-9a-f]+$" repo)
file(WRITE "${WORK}/repo/new.c" "int c;\n")
expect("untracked file only" "^[0-9a-f]+$" repo)
git(add new.c)
expect("new file staged" "^[0-9a-f]+-dirty$" repo)
expect("not a checkout" "^$" plain)
file(REMOVE_RECURSE "${WORK}")
