# The generated version header, llt/version.h in the build tree (installed beside the other
# headers): PROJECT_VERSION and the git short commit of the source tree at configure time
# (empty when git or the repository is not there; the build never fails for it).
set(LLT_GIT_COMMIT "")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${PROJECT_SOURCE_DIR} rev-parse --short=7 HEAD
                  OUTPUT_VARIABLE LLT_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE LLT_GIT_RESULT ERROR_QUIET)
  if(NOT LLT_GIT_RESULT EQUAL 0)
    set(LLT_GIT_COMMIT "")
  endif()
endif()
set(LLT_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/generated)
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.h.in ${LLT_GENERATED_INCLUDE_DIR}/llt/version.h
               @ONLY)
