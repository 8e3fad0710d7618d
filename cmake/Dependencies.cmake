# Every dependency is a Debian package (scripts/install_deps.sh); nothing is downloaded.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(fmt REQUIRED)
# liburing (liburing-dev): the io_uring back end of TcpServer. Linked by name, so the installed
# package's users link it the same way.
find_library(LIBURING_LIBRARY uring REQUIRED)
find_path(LIBURING_INCLUDE_DIR liburing.h REQUIRED)

if(LLT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

if(LLT_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
  find_package(spdlog REQUIRED)
  # moodycamel::ReaderWriterQueue ships headers only (libreaderwriterqueue-dev).
  find_path(READERWRITERQUEUE_INCLUDE_DIR readerwriterqueue/readerwriterqueue.h REQUIRED)
  add_library(llt_readerwriterqueue INTERFACE)
  target_include_directories(llt_readerwriterqueue SYSTEM INTERFACE ${READERWRITERQUEUE_INCLUDE_DIR})
endif()
