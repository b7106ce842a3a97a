# Included from test/CMakeLists.txt: pop3-cli's login options (usage errors exit 2 before
# any connection, no secret on the command line, tokens of any length, the refused-token
# message) against a scripted POP3 server on 127.0.0.1 (test/fake_pop3.py). No root, ~2 s.
# Run alone: ctest -R cli_options --output-on-failure
find_program(POP3_PYTHON3_EXE python3)
if(TARGET pop3-cli AND POP3_PYTHON3_EXE)
  add_test(NAME cli_options
    COMMAND bash ${PROJECT_SOURCE_DIR}/examples/pop3-cli/test/test_options.sh
            $<TARGET_FILE:pop3-cli> ${CMAKE_BINARY_DIR}/examples/pop3-cli/test-options)
  set_tests_properties(cli_options PROPERTIES LABELS "unit;cli" TIMEOUT 120)
endif()
