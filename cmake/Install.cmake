# `cmake --install`: the executables, llt_common and the protocol headers as the package llt
# (find_package(llt), targets llt::common and llt::protocol). Headers keep their paths under
# include/llt (include/llt/common/..., include/llt/exchange/protocol/...) so they include each
# other as in the source tree; llt/version.h goes to include/llt/version.h. Using it:
# docs/operations.md, Install and use as a package.
include(CMakePackageConfigHelpers)

set(LLT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/llt)

foreach(exe exchange trading)
  if(TARGET ${exe})
    install(TARGETS ${exe} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

install(TARGETS llt_common llt_exchange_protocol EXPORT lltTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/common/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/llt/common
        FILES_MATCHING PATTERN "*.h")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/exchange/protocol/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/llt/exchange/protocol
        FILES_MATCHING PATTERN "*.h")
install(FILES ${LLT_GENERATED_INCLUDE_DIR}/llt/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/llt)

install(EXPORT lltTargets NAMESPACE llt:: FILE lltTargets.cmake
        DESTINATION ${LLT_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/lltConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/lltConfig.cmake
                              INSTALL_DESTINATION ${LLT_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lltConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lltConfig.cmake ${PROJECT_BINARY_DIR}/lltConfigVersion.cmake
        DESTINATION ${LLT_INSTALL_CMAKEDIR})
