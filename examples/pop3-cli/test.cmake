# Included from test/CMakeLists.txt: pop3-cli against a scripted POP3 server on 127.0.0.1
# (examples/pop3-cli/test/fake_pop3.py). No root.
# cli_options (~2 s): the login options (usage errors exit 2 before any connection, no
# secret on the command line, tokens of any length, the refused-token message).
# cli_output (~3 s): --json, message ranges, errors that say what to do, --version.
# cli_shell (~12 s): the interactive session through a pipe (test_shell.sh).
# cli_shell_tty (~10 s): the same in a real terminal, tmux (test_shell_tty.sh; skipped
# only when tmux is missing).
# cli_utf8 (~1 s): --utf8 (RFC 6856) with UTF8 advertised, not advertised, refused.
# Run alone: ctest -L cli --output-on-failure
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
  add_test(NAME cli_shell
    COMMAND bash ${PROJECT_SOURCE_DIR}/examples/pop3-cli/test/test_shell.sh
            $<TARGET_FILE:pop3-cli> ${CMAKE_BINARY_DIR}/examples/pop3-cli/test-shell)
  set_tests_properties(cli_shell PROPERTIES LABELS "unit;cli" TIMEOUT 120)
  add_test(NAME cli_shell_tty
    COMMAND bash ${PROJECT_SOURCE_DIR}/examples/pop3-cli/test/test_shell_tty.sh
            $<TARGET_FILE:pop3-cli> ${CMAKE_BINARY_DIR}/examples/pop3-cli/test-shell-tty)
  set_tests_properties(cli_shell_tty PROPERTIES LABELS "unit;cli" TIMEOUT 120 SKIP_RETURN_CODE 77)
  add_test(NAME cli_utf8
    COMMAND bash ${PROJECT_SOURCE_DIR}/examples/pop3-cli/test/test_utf8.sh
            $<TARGET_FILE:pop3-cli> ${CMAKE_BINARY_DIR}/examples/pop3-cli/test-utf8)
  set_tests_properties(cli_utf8 PROPERTIES LABELS "unit;cli" TIMEOUT 120)
endif()
# cli_fetch (~4 s): fetch --maildir against the fake server: usage, no UIDL (--all), the
# connection lost in every message, a refused RETR, --keep killed at every stage of every
# message (test/integration: the real-server runs).
if(TARGET pop3-cli AND POP3_PYTHON3_EXE)
  add_test(NAME cli_fetch
    COMMAND bash ${PROJECT_SOURCE_DIR}/examples/pop3-cli/test/test_fetch.sh
            $<TARGET_FILE:pop3-cli> ${CMAKE_BINARY_DIR}/examples/pop3-cli/test-fetch
            $<TARGET_FILE:pop3-cli-testhooks>)
  set_tests_properties(cli_fetch PROPERTIES LABELS "unit;cli" TIMEOUT 120)
endif()
