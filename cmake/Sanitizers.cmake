# LLT_SANITIZE applies to every target, dependencies found by find_package excepted.
if(LLT_SANITIZE)
  message(STATUS "Sanitizers: ${LLT_SANITIZE}")
  add_compile_options(-fsanitize=${LLT_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${LLT_SANITIZE})
  add_compile_definitions(LLT_SANITIZED=1)
endif()
