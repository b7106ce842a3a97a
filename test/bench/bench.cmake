# The benchmark suite's smoke run (test/bench/run.sh --smoke, see the README's
# "Benchmarks"): its helpers build and every client's output (pop3-cli, curl,
# the bare loop, poplib) is byte-identical to the served messages. It prints
# the tables at small sizes but asserts no timing.
if(TARGET pop3-cli)
  add_test(NAME bench_suite COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run.sh --smoke
    --cli $<TARGET_FILE:pop3-cli> --work ${CMAKE_CURRENT_BINARY_DIR}/bench-work)
  set_tests_properties(bench_suite PROPERTIES LABELS bench TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
