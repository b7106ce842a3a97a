#!/usr/bin/env bash
# Integration tests: pop3-cli against the private GNU Mailutils pop3d of
# mailutils.sh (what that server does, and why the expected files come from
# what it serves: see the top of mailutils.sh).
#
#   mailutils_test.sh CLI FIXTURE_DIR TEST
#
# TEST: one of the test_* functions below (without the prefix).
# Exit: 0 pass, 1 fail, 77 skipped (fixture not started: pop3d absent).
# Outputs stay in FIXTURE_DIR/../out-mailutils/TEST/.
set -uo pipefail

[ $# -ge 3 ] || { echo "usage: $0 CLI FIXTURE_DIR TEST" >&2; exit 2; }
CLI=$1
TEST=$3
HERE=$(cd "$(dirname "$0")" && pwd -P)
[ -x "$CLI" ] || { echo "pop3-cli not found: $CLI" >&2; exit 1; }
[ -x /usr/sbin/pop3d ] || { echo "mailutils-pop3d not installed: skipped"; exit 77; }
FIX=$(cd "$2" && pwd -P) || exit 1
[ -s "$FIX/env" ] || { echo "fixture not started: $FIX/env missing" >&2; exit 1; }
# shellcheck disable=SC1091
. "$FIX/env"
# shellcheck source=pipe_trace.sh
. "$HERE/pipe_trace.sh" # longest_c_run, c_lines
EX=$FIX/expected
CA=$POP3_CAFILE
OUT=$(dirname "$FIX")/out-mailutils/$TEST
rm -rf "$OUT"; mkdir -p "$OUT"
export POP3_PASSWORD=$MU_PASSWORD
FAILS=0
CHECKS=0
RC=

fail() { FAILS=$((FAILS + 1)); printf 'FAIL [%s]: %s\n' "$TEST" "$*" >&2; }
note() { printf '  [%s] %s\n' "$TEST" "$*"; }

WRAP=() XARGS=() CLI_TIMEOUT=300
# shellcheck source=cli_lib.sh
. "$HERE/cli_lib.sh" # cli, cli_expect

mode_args() { # mode -> MODE_ARGS
  case $1 in
    plain) MODE_ARGS=(-H 127.0.0.1 -p "$POP3_PORT" --plain --allow-plaintext-login) ;;
    stls) MODE_ARGS=(-H localhost -p "$POP3_PORT" --cafile "$CA") ;;
    tls) MODE_ARGS=(-H localhost -p "$POP3S_PORT" --tls --cafile "$CA") ;;
    *) echo "bad mode $1" >&2; exit 2 ;;
  esac
}

line_of() { sed -n "${2}p" "$1"; } # file n

# Every command in one mode on alice's mailbox (the 20 MiB RETR: big_*).
# FULL=0: without the per-message LIST/UIDL/TOP runs (each TLS session costs
# ~0.3 s here; commands_tls has them).
commands_in_mode() { # mode [full]
  local m=$1 full=${2:-1} n E=$EX/alice
  mode_args "$m"
  local A=("${MODE_ARGS[@]}" -u "$MU_ALICE")
  # after login on the plain port the list still has STLS (see mailutils.sh)
  local auth=$EX/capa-auth
  [ "$m" = plain ] && auth=$EX/capa-auth-plain
  cli_expect "$m-capa" 0 "$auth" "${A[@]}" capa
  local pre=$EX/capa-tls
  [ "$m" = plain ] && pre=$EX/capa-plain
  cli_expect "$m-capa-nologin" 0 "$pre" "${MODE_ARGS[@]}" capa
  cli_expect "$m-stat" 0 "$E/stat" "${A[@]}" stat
  cli_expect "$m-list" 0 "$E/list" "${A[@]}" list
  cli_expect "$m-uidl" 0 "$E/uidl" "${A[@]}" uidl
  for n in 1 "$MU_ALICE_COUNT"; do
    [ "$full" = 1 ] || break
    line_of "$E/list" "$n" >"$OUT/$m-list-$n.exp"
    cli_expect "$m-list-$n" 0 "$OUT/$m-list-$n.exp" "${A[@]}" list "$n"
    line_of "$E/uidl" "$n" >"$OUT/$m-uidl-$n.exp"
    cli_expect "$m-uidl-$n" 0 "$OUT/$m-uidl-$n.exp" "${A[@]}" uidl "$n"
  done
  for n in $(seq 1 "$MU_ALICE_COUNT"); do
    cli_expect "$m-retr-$n" 0 "$E/$n.eml" "${A[@]}" retr "$n"
    [ "$full" = 1 ] || continue
    cli_expect "$m-top-$n-0" 0 "$E/$n.top0" "${A[@]}" top "$n" 0
  done
  cli_expect "$m-top-big-0" 0 "$EX/big/1.top0" "${MODE_ARGS[@]}" -u "$MU_BIG" top 1 0
  # TOP 2 3: the header, an empty line more than RFC 1939 has (a Mailutils
  # quirk, see mailutils.sh), then the first 3 body lines of what RETR serves
  awk 'b == 0 { print; if ($0 == "\r") { print; b = 1 }; next } c < 3 { print; c++ }' "$E/2.eml" >"$OUT/$m-top-2-3.exp"
  cli_expect "$m-top-2-3" 0 "$OUT/$m-top-2-3.exp" "${A[@]}" top 2 3
  cli_expect "$m-noop-rset" 0 "" "${A[@]}" noop rset
  # several commands in one session (pipelined: the server says PIPELINING)
  { cat "$E/stat"; line_of "$E/list" 2; line_of "$E/uidl" 3; cat "$E/2.eml" "$E/3.top0" "$E/1.eml" "$E/list"; } >"$OUT/$m-multi.exp"
  cli_expect "$m-multi" 0 "$OUT/$m-multi.exp" "${A[@]}" stat list 2 uidl 3 noop retr 2 top 3 0 rset retr 1 list
  cli_expect "$m-multi-nopipe" 0 "$OUT/$m-multi.exp" --no-pipelining "${A[@]}" stat list 2 uidl 3 noop retr 2 top 3 0 rset retr 1 list
  # -ERR: the output before it, exit 6
  cli_expect "$m-err" 6 "$E/stat" "${A[@]}" stat retr 9999 noop
  POP3_PASSWORD=wrong cli_expect "$m-wrongpass" 5 "" "${A[@]}" stat
}
test_commands_plain() { commands_in_mode plain; }
test_commands_stls() { commands_in_mode stls 0; }
test_commands_tls() { commands_in_mode tls; }

# APOP (the fixture gives pop3d a popauth database)
test_apop() {
  mode_args stls
  cli_expect apop 0 "$EX/alice/stat" "${MODE_ARGS[@]}" -u "$MU_ALICE" --apop stat
  POP3_PASSWORD=wrong cli_expect apop-wrong 5 "" "${MODE_ARGS[@]}" -u "$MU_ALICE" --apop stat
}

# The 20 MiB dot-heavy message, byte for byte what curl received
big_in_mode() {
  mode_args "$1"
  cli_expect "$1-big" 0 "$EX/big/1.eml" "${MODE_ARGS[@]}" -u "$MU_BIG" retr 1 &&
    rm -f "$OUT/$1-big.out"
}
test_big_plain() { big_in_mode plain; }
test_big_stls() { big_in_mode stls; }
test_big_tls() { big_in_mode tls; }

# 200 messages in one session, pipelined and not: the same bytes, and the
# -v trace shows the commands going out back to back only when pipelining.
# NOPIPE=0: the pipelined run only (one at a time takes ~10 s here).
test_many() {
  local m=${1:-stls} nopipe=${2:-1} n args=() t0 t1 t2
  mode_args "$m"
  for n in $(seq 1 "$MU_MANY_COUNT"); do args+=(retr "$n"); done
  { cat "$EX/many/uidl"; for n in $(seq 1 "$MU_MANY_COUNT"); do cat "$EX/many/$n.eml"; done; } >"$OUT/many.exp"
  t0=$(date +%s%N)
  cli_expect pipe 0 "$OUT/many.exp" -v "${MODE_ARGS[@]}" -u "$MU_MANY" uidl "${args[@]}"
  t1=$(date +%s%N)
  CHECKS=$((CHECKS + 1))
  n=$(longest_c_run "$OUT/pipe.err")
  [ "$n" -ge 4 ] || fail "pipe: at most $n commands in a row before a reply: not pipelined"
  if [ "$nopipe" = 0 ]; then
    note "$m: $MU_MANY_COUNT RETRs in $(((t1 - t0) / 1000000)) ms pipelined (up to $n on the wire)"
    return
  fi
  cli_expect nopipe 0 "$OUT/many.exp" -v --no-pipelining "${MODE_ARGS[@]}" -u "$MU_MANY" uidl "${args[@]}"
  t2=$(date +%s%N)
  CHECKS=$((CHECKS + 1))
  [ "$(longest_c_run "$OUT/nopipe.err")" = 1 ] || fail "nopipe: commands sent back to back with --no-pipelining"
  CHECKS=$((CHECKS + 1))
  [ "$(c_lines "$OUT/pipe.err")" = "$(c_lines "$OUT/nopipe.err")" ] ||
    fail "pipe sent $(c_lines "$OUT/pipe.err") commands, nopipe $(c_lines "$OUT/nopipe.err")"
  note "$m: $MU_MANY_COUNT RETRs in $(((t1 - t0) / 1000000)) ms pipelined (up to $n on the wire), $(((t2 - t1) / 1000000)) ms one at a time"
}
test_many_tls() { test_many tls 0; }

# DELE + QUIT on bob's (reseeded) mailbox: gone in the next session, the
# other messages keep their UIDs; DELE + RSET deletes nothing.
test_dele() {
  "$HERE/mailutils.sh" reseed-bob "$FIX" || { fail "reseed"; return; }
  mode_args stls
  local B=("${MODE_ARGS[@]}" -u "$MU_BOB")
  cli_expect before 0 "" "${B[@]}" uidl
  cli_expect before-retr3 0 "" "${B[@]}" retr 3
  CHECKS=$((CHECKS + 1))
  [ "$(wc -l <"$OUT/before.out")" = 3 ] || fail "before: uidl '$(cat "$OUT/before.out")'"
  cli_expect dele-rset 0 "" "${B[@]}" dele 1 dele 3 stat rset stat
  CHECKS=$((CHECKS + 1))
  [ "$(sed -n 1p "$OUT/dele-rset.out" | cut -d' ' -f1)" = 1 ] &&
    [ "$(sed -n 2p "$OUT/dele-rset.out" | cut -d' ' -f1)" = 3 ] || fail "dele-rset: got '$(cat "$OUT/dele-rset.out")'"
  cli_expect after-rset 0 "$OUT/before.out" "${B[@]}" uidl
  cli_expect dele 0 "" "${B[@]}" dele 2
  { sed -n 1p "$OUT/before.out"; sed -n 3p "$OUT/before.out" | sed 's/^3 /2 /'; } >"$OUT/after.exp"
  cli_expect after 0 "$OUT/after.exp" "${B[@]}" uidl
  cli_expect after-retr2 0 "$OUT/before-retr3.out" "${B[@]}" retr 2
  cli_expect after-retr3 6 "" "${B[@]}" retr 3
  # a RETR then DELE of the same message in one pipelined session
  cli_expect retr-dele 0 "$OUT/before-retr3.out" "${B[@]}" retr 2 dele 2
  cli_expect after-retr-dele 0 "" "${B[@]}" stat
  CHECKS=$((CHECKS + 1))
  [ "$(cut -d' ' -f1 <"$OUT/after-retr-dele.out")" = 1 ] || fail "after retr+dele: stat '$(cat "$OUT/after-retr-dele.out")'"
}

declare -F "test_$TEST" >/dev/null || { echo "unknown test $TEST" >&2; exit 2; }
"test_$TEST"
if [ "$FAILS" -gt 0 ]; then
  echo "$TEST: $FAILS failure(s) in $CHECKS checks (outputs in $OUT)"
  exit 1
fi
echo "$TEST: $CHECKS checks passed"
