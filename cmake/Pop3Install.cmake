# Install rules: `cmake --install BUILD --prefix P` puts into P
#   lib/libpop3_{core,tls,posix}.a, include/pop3/*.h (public headers),
#   lib/cmake/pop3/ (find_package(pop3 CONFIG): pop3::core, pop3::tls, pop3::posix),
#   lib/pkgconfig/pop3.pc, share/pop3/ (configuration templates).
# Both package files are relocatable (paths relative to their own location), except
# mbedTLS: pop3_tls_t embeds mbedTLS structures, so an application must compile against
# the very headers and link the libraries this build used, not whichever release it
# finds. Their absolute paths are recorded; pop3Config.cmake checks they still hold
# the same major.minor release.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(POP3_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/pop3)
set(POP3_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/pop3)

foreach(_c core tls posix)
  set_target_properties(pop3_${_c} PROPERTIES EXPORT_NAME ${_c})
endforeach()
# A sanitizer build's archives need the sanitizer runtimes wherever they are linked.
if(POP3_SANITIZE)
  set(POP3_SANITIZE_LINK_FLAGS -fsanitize=address,undefined)
  target_link_options(pop3_core INTERFACE $<INSTALL_INTERFACE:-fsanitize=address$<COMMA>undefined>)
endif()
install(TARGETS pop3_core pop3_tls pop3_posix EXPORT pop3Targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${POP3_INSTALL_INCLUDEDIR})
install(FILES core/include/pop3.h core/include/pop3_sasl.h config/pop3_config_defaults.h port/mbedtls/pop3_tls.h
  port/mbedtls/pop3_link.h
  port/posix/pop3_posix.h DESTINATION ${POP3_INSTALL_INCLUDEDIR})
# Templates for builds from source; the installed libraries keep the configuration they
# were compiled with (POP3_APOP_ENABLE, POP3_SASL_ENABLE and POP3_QUEUE_LEN travel with pop3::core and pop3.pc).
install(FILES config/pop3_config_sample.h config/pop3_config_minimal.h
  DESTINATION ${CMAKE_INSTALL_DATADIR}/pop3)

install(EXPORT pop3Targets NAMESPACE pop3:: DESTINATION ${POP3_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/pop3Config.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/pop3Config.cmake
  INSTALL_DESTINATION ${POP3_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/pop3ConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pop3Config.cmake ${CMAKE_CURRENT_BINARY_DIR}/pop3ConfigVersion.cmake
  DESTINATION ${POP3_INSTALL_CMAKEDIR})

# pop3.pc. The libraries are static only, so mbedTLS goes into Libs (Libs.private would
# be read only with --static): `cc app.c $(pkg-config --cflags --libs pop3)` links.
set(_pc_cflags "-DPOP3_APOP_ENABLE=${POP3_APOP_ENABLE} -DPOP3_SASL_ENABLE=${POP3_SASL_ENABLE} -DPOP3_QUEUE_LEN=${POP3_QUEUE_LEN}")
list(FIND CMAKE_C_IMPLICIT_INCLUDE_DIRECTORIES "${MBEDTLS_INCLUDE_DIR}" _i)
if(_i EQUAL -1)
  string(APPEND _pc_cflags " -I${MBEDTLS_INCLUDE_DIR}")
endif()
set(_pc_libs "")
set(_pc_libdirs "")
foreach(_l ${POP3_MBEDTLS_LIBRARIES})
  get_filename_component(_d "${_l}" DIRECTORY)
  get_filename_component(_n "${_l}" NAME_WE)
  string(REGEX REPLACE "^lib" "" _n "${_n}")
  list(FIND CMAKE_C_IMPLICIT_LINK_DIRECTORIES "${_d}" _i)
  list(FIND _pc_libdirs "${_d}" _j)
  if(_i EQUAL -1 AND _j EQUAL -1)
    list(APPEND _pc_libdirs "${_d}")
    string(APPEND _pc_libs " -L${_d}")
  endif()
  string(APPEND _pc_libs " -l${_n}")
endforeach()
if(POP3_SANITIZE)
  string(APPEND _pc_libs " ${POP3_SANITIZE_LINK_FLAGS}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(_pc_prefix "${CMAKE_INSTALL_PREFIX}")
  set(_pc_libdir "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _rel "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" _rel "${_rel}")
  set(_pc_prefix "\${pcfiledir}/${_rel}")
  set(_pc_libdir "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(_pc_includedir "${POP3_INSTALL_INCLUDEDIR}")
else()
  set(_pc_includedir "\${prefix}/${POP3_INSTALL_INCLUDEDIR}")
endif()
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/pop3.pc
"# POP3 client library: core, mbedTLS adapter, POSIX port (static archives).
# mbedTLS ${POP3_MBEDTLS_VERSION_STRING}, as this build used it (absolute paths: the
# application must use the same headers the library was compiled against).
prefix=${_pc_prefix}
libdir=${_pc_libdir}
includedir=${_pc_includedir}

Name: pop3
Description: Non-blocking, zero-malloc POP3 client (core, mbedTLS adapter, POSIX port)
Version: ${PROJECT_VERSION}
Cflags: -I\${includedir} ${_pc_cflags}
Libs: -L\${libdir} -lpop3_posix -lpop3_tls -lpop3_core${_pc_libs}
")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pop3.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
