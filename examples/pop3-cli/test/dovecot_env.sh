# shellcheck shell=bash disable=SC2034,SC2154 # sourced: CLI, FIX, OUT come from the caller; the counters are for it
# Sourced by the Dovecot-fixture tests of pop3-cli (test_tls.sh, test_check.sh)
# after CLI, FIX (the fixture directory) and OUT are set: the fixture's env
# (ports, CA, users), a fresh OUT, the counters, and run().
[ -s "$FIX/env" ] || { echo "fixture not started: $FIX/env missing" >&2; exit 1; }
# shellcheck disable=SC1091
. "$FIX/env"
rm -rf "$OUT"; mkdir -p "$OUT"
FAILS=0
CHECKS=0
fail() { FAILS=$((FAILS + 1)); echo "FAIL: $*" >&2; }

# run NAME WANT_RC ARG...: pop3-cli with stdout/stderr in $OUT/NAME.out/.err, exit
# checked (at most RUN_TIMEOUT s, default 60).
run() {
  local name=$1 want=$2; shift 2
  timeout "${RUN_TIMEOUT:-60}" "$CLI" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  local rc=$?
  CHECKS=$((CHECKS + 1))
  [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want: $(head -c 1500 "$OUT/$name.out") $(head -c 800 "$OUT/$name.err")"
}
