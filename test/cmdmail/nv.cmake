# Command-mail tests of the cmd-block branch (included from test/CMakeLists.txt;
# test/cmdmail/CMakeLists.txt belongs to the module's unit tests):
#  - cmdmail_nv_powercut: NV faults and power cuts (test_nv_powercut.c), with the
#    module built here with an 8-entry seen-UID table so the overflow is reached
#    with a small mailbox and every cut point stays cheap, and again with the
#    module's default configuration (cmdmail_nv_powercut_default);
#  - cmdmail_verify: CLI (default configuration) for the daemon tests and vectors;
#  - cmdmail_verify_vectors: run_vectors.py over test/cmdmail/vectors/ (77 = none: skipped).
include(${PROJECT_SOURCE_DIR}/examples/cmdmail/sources.cmake)
set(_cm_dir ${CMDMAIL_DIR})
set(_cm_srcs ${CMDMAIL_SRCS})

# The module in its default configuration: its own target when already defined.
set(_cm_variants nv8)
if(TARGET cmdmail)
  set(_cm_default cmdmail)
else()
  list(APPEND _cm_variants default)
  set(_cm_default cmdmail_test_default)
endif()
foreach(_v ${_cm_variants})
  add_library(cmdmail_test_${_v} STATIC ${_cm_srcs})
  target_include_directories(cmdmail_test_${_v} PUBLIC ${_cm_dir})
  target_compile_options(cmdmail_test_${_v} PRIVATE -Wall -Wextra)
  target_link_libraries(cmdmail_test_${_v} PUBLIC pop3_mbedtls)
endforeach()
# PUBLIC: the test sees the same cmdmail_t layout as the module it links.
target_compile_definitions(cmdmail_test_nv8 PUBLIC CMDMAIL_SEEN_MAX=8U)

# Two builds of the test: against the 8-entry copy, and against the default
# configuration (64 UIDs: about 1,000 cut points, a few seconds).
foreach(_t nv8 default)
  add_executable(test_nv_powercut_${_t} ${CMAKE_CURRENT_LIST_DIR}/test_nv_powercut.c)
  target_include_directories(test_nv_powercut_${_t} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_compile_options(test_nv_powercut_${_t} PRIVATE -Wall -Wextra -Werror)
endforeach()
target_link_libraries(test_nv_powercut_nv8 PRIVATE cmdmail_test_nv8)
target_link_libraries(test_nv_powercut_default PRIVATE ${_cm_default})
add_test(NAME cmdmail_nv_powercut COMMAND test_nv_powercut_nv8)
add_test(NAME cmdmail_nv_powercut_default COMMAND test_nv_powercut_default)
set_tests_properties(cmdmail_nv_powercut cmdmail_nv_powercut_default PROPERTIES LABELS cmdmail TIMEOUT 300)

add_executable(cmdmail_verify ${CMAKE_CURRENT_LIST_DIR}/cmdmail_verify.c)
target_include_directories(cmdmail_verify PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_compile_options(cmdmail_verify PRIVATE -Wall -Wextra -Werror)
target_link_libraries(cmdmail_verify PRIVATE ${_cm_default})

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME cmdmail_verify_vectors COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/run_vectors.py
    $<TARGET_FILE:cmdmail_verify> ${CMAKE_CURRENT_LIST_DIR}/vectors)
  set_tests_properties(cmdmail_verify_vectors PROPERTIES LABELS cmdmail TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
