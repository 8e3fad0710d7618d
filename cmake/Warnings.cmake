# Warnings applied to every target of the project through llt_warnings.
add_library(llt_warnings INTERFACE)
target_compile_options(llt_warnings INTERFACE -Wall -Wextra -Wpedantic)
option(LLT_WERROR "Treat warnings as errors" OFF)
if(LLT_WERROR)
  target_compile_options(llt_warnings INTERFACE -Werror)
endif()
