# shellcheck shell=bash disable=SC2154
# The pop3-cli runner of the integration scripts (pop3_test.sh,
# mailutils_test.sh), sourced after CLI, OUT, CHECKS and fail() are set.
# WRAP (a command pop3-cli runs under, e.g. valgrind) and XARGS (arguments put
# before the caller's) are arrays the caller sets, empty for none; CLI_TIMEOUT
# bounds each run (seconds, default 600).

# cli NAME ARG...: run pop3-cli, stdout -> $OUT/NAME.out, stderr -> NAME.err,
# the command line -> NAME.cmd, exit status -> $RC. POP3_PASSWORD comes from the caller.
cli() {
  local name=$1; shift
  printf '%q ' "${WRAP[@]}" "$CLI" "${XARGS[@]}" "$@" >"$OUT/$name.cmd"; echo >>"$OUT/$name.cmd"
  timeout "${CLI_TIMEOUT:-600}" "${WRAP[@]}" "$CLI" "${XARGS[@]}" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  RC=$?
}

# cli_expect NAME WANT_RC EXPECTED_STDOUT_FILE ARG...: cli, then the exit status
# and (unless the file is "") stdout checked; returns 1 on a mismatch.
cli_expect() {
  local name=$1 want=$2 exp=$3; shift 3
  cli "$name" "$@"
  CHECKS=$((CHECKS + 1))
  if [ "$RC" != "$want" ]; then
    fail "$name: exit $RC, want $want: $(cat "$OUT/$name.cmd")stderr: $(head -c 600 "$OUT/$name.err")"
    return 1
  fi
  if [ -n "$exp" ] && ! cmp -s "$exp" "$OUT/$name.out"; then
    fail "$name: stdout differs from $exp ($(cmp "$exp" "$OUT/$name.out" 2>&1 | head -n1)): $(cat "$OUT/$name.cmd")"
    return 1
  fi
  return 0
}
