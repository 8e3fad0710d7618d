# The generated version header, llt/version.h in the build tree (installed beside the other
# headers): PROJECT_VERSION and the git short commit of the source tree (empty when git or the
# repository is not there; the build never fails for it). A commit or checkout writes the
# repository's HEAD log, which the configure step depends on, so the next build configures
# again and the header follows HEAD.
set(LLT_GIT_COMMIT "")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${PROJECT_SOURCE_DIR} rev-parse --short=7 HEAD
                  OUTPUT_VARIABLE LLT_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE LLT_GIT_RESULT ERROR_QUIET)
  if(NOT LLT_GIT_RESULT EQUAL 0)
    set(LLT_GIT_COMMIT "")
  endif()
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${PROJECT_SOURCE_DIR} rev-parse --absolute-git-dir
                  OUTPUT_VARIABLE LLT_GIT_DIR OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE LLT_GIT_DIR_RESULT ERROR_QUIET)
  if(LLT_GIT_DIR_RESULT EQUAL 0 AND EXISTS ${LLT_GIT_DIR}/logs/HEAD)
    set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                                                               ${LLT_GIT_DIR}/logs/HEAD)
  endif()
endif()
set(LLT_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/generated)
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.h.in ${LLT_GENERATED_INCLUDE_DIR}/llt/version.h
               @ONLY)
