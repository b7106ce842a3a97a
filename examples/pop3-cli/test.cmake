# Included from test/CMakeLists.txt: pop3-cli against a scripted POP3 server on 127.0.0.1
# (examples/pop3-cli/test/fake_pop3.py). No root.
# cli_options (~2 s): the login options (usage errors exit 2 before any connection, no
# secret on the command line, tokens of any length, the refused-token message).
# cli_output (~3 s): --json, message ranges, errors that say what to do, --version.
# cli_utf8 (~1 s): --utf8 (RFC 6856) with UTF8 advertised, not advertised, refused.
# Run alone: ctest -R 'cli_' --output-on-failure
find_program(POP3_PYTHON3_EXE python3)
if(TARGET pop3-cli AND POP3_PYTHON3_EXE)
  add_test(NAME cli_options
    COMMAND bash ${PROJECT_SOURCE_DIR}/examples/pop3-cli/test/test_options.sh
            $<TARGET_FILE:pop3-cli> ${CMAKE_BINARY_DIR}/examples/pop3-cli/test-options)
  set_tests_properties(cli_options PROPERTIES LABELS "unit;cli" TIMEOUT 120)
  add_test(NAME cli_output
    COMMAND bash ${PROJECT_SOURCE_DIR}/examples/pop3-cli/test/test_output.sh
            $<TARGET_FILE:pop3-cli> ${CMAKE_BINARY_DIR}/examples/pop3-cli/test-output)
  set_tests_properties(cli_output PROPERTIES LABELS "unit;cli" TIMEOUT 120)
  add_test(NAME cli_utf8
    COMMAND bash ${PROJECT_SOURCE_DIR}/examples/pop3-cli/test/test_utf8.sh
            $<TARGET_FILE:pop3-cli> ${CMAKE_BINARY_DIR}/examples/pop3-cli/test-utf8)
  set_tests_properties(cli_utf8 PROPERTIES LABELS "unit;cli" TIMEOUT 120)
endif()
