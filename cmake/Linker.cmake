# Links with lld when the toolchain can (Debian's lld package): it links the suite's many test
# executables several times faster than the default bfd linker, which matters most for the
# sanitizer presets' large debug builds. LLT_LINKER=default keeps the compiler's own linker.
set(LLT_LINKER "lld" CACHE STRING "Linker: lld (when available) or default")
if(LLT_LINKER STREQUAL "lld")
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-fuse-ld=lld" LLT_HAVE_LLD)
  if(LLT_HAVE_LLD)
    add_link_options(-fuse-ld=lld)
  else()
    message(STATUS "lld not found: linking with the compiler's default linker")
  endif()
endif()
