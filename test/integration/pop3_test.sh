#!/usr/bin/env bash
# Integration tests: pop3-cli against the private Dovecot of dovecot.sh.
#
#   pop3_test.sh CLI FIXTURE_DIR TEST [SANITIZE]
#
# CLI: path of the built pop3-cli.  FIXTURE_DIR: a DIR given to
# "dovecot.sh start".  TEST: one of the test_* functions below (without the
# prefix), or "all".  SANITIZE: ON/1/TRUE when the build uses ASan/UBSan
# (the valgrind tests are then skipped).
# Exit: 0 pass, 1 fail, 77 skipped.  Each run keeps its outputs in
# FIXTURE_DIR/../out/TEST/ for inspection.
set -uo pipefail

[ $# -ge 3 ] || { echo "usage: $0 CLI FIXTURE_DIR TEST [SANITIZE]" >&2; exit 2; }
CLI=$1
FIX=$(cd "$2" && pwd -P) || exit 1
TEST=$3
SANITIZE=${4:-OFF}
HERE=$(cd "$(dirname "$0")" && pwd -P)
[ -x "$CLI" ] || { echo "pop3-cli not found: $CLI" >&2; exit 1; }
[ -s "$FIX/env" ] || { echo "fixture not started: $FIX/env missing" >&2; exit 1; }
# shellcheck disable=SC1091
. "$FIX/env"
EX=$FIX/expected
CA=$FIX/ca.pem
WRONG_CA=$FIX/wrong-ca.pem
OUT_ROOT=$(dirname "$FIX")/out
export POP3_PASSWORD=$POP3_TEST_PASSWORD

# POP3_CLI_WRAPPER (e.g. "valgrind -q --error-exitcode=99 ...") runs every
# pop3-cli of the suite under that command: ctest's valgrind.* tests.
read -r -a WRAP <<<"${POP3_CLI_WRAPPER:-}"
# POP3_CLI_ARGS (e.g. "--no-pipelining") is put in front of the arguments of
# every pop3-cli run by cli(): ctest's integration.nopipe.* tests.
read -r -a XARGS <<<"${POP3_CLI_ARGS:-}"

FAILS=0
CHECKS=0
OUT=
RC=

fail() { FAILS=$((FAILS + 1)); printf 'FAIL [%s]: %s\n' "$TEST_NAME" "$*" >&2; }
note() { printf '  [%s] %s\n' "$TEST_NAME" "$*"; }

# shellcheck source=cli_lib.sh
. "$HERE/cli_lib.sh" # cli, cli_expect

# expect_text NAME FILE TEXT: FILE must be exactly TEXT plus a newline
expect_text() {
  local name=$1 file=$2 text=$3
  CHECKS=$((CHECKS + 1))
  if ! cmp -s "$file" <(printf '%s\n' "$text"); then
    fail "$name: got '$(head -c 300 "$file")', want '$text'"
    return 1
  fi
}

expect_empty() {
  CHECKS=$((CHECKS + 1))
  [ ! -s "$2" ] || { fail "$1: expected no output, got '$(head -c 300 "$2")'"; return 1; }
}

# no_secrets NAME: nothing resembling a credential reached the trace
expect_no_cred_cmd() { # name errfile
  CHECKS=$((CHECKS + 1))
  if grep -Eq '^C: (USER|PASS|APOP|AUTH)' "$2"; then
    fail "$1: credentials command sent: $(grep -E '^C: (USER|PASS|APOP|AUTH)' "$2" | head -n3)"
    return 1
  fi
}

# the server log must never have seen this user name
expect_user_not_seen() { # name user
  CHECKS=$((CHECKS + 1))
  sleep 0.3 # Dovecot logs the disconnect asynchronously
  if grep -qF "<$2>" "$FIX/dovecot.log"; then
    fail "$1: server saw user '$2': $(grep -F "<$2>" "$FIX/dovecot.log" | head -n2)"
    return 1
  fi
}

expected_line() { sed -n "${2}p" "$1"; } # file n

top_lines() { # eml n: headers, blank line, first n body lines
  awk -v n="$2" 'b == 0 { print; if ($0 == "\r") b = 1; next } c < n { print; c++ }' "$1"
}

# ------------------------------------------------------------------ modes ---
mode_args() { # mode host -> MODE_ARGS array
  case $1 in
    plain) MODE_ARGS=(-H "$2" -p "$POP3_PORT" --plain --allow-plaintext-login) ;;
    stls) MODE_ARGS=(-H "$2" -p "$POP3_PORT" --cafile "$CA") ;;
    starttls) MODE_ARGS=(-H "$2" -p "$POP3_PORT" --starttls --cafile "$CA") ;;
    tls) MODE_ARGS=(-H "$2" -p "$POP3S_PORT" --tls --cafile "$CA") ;;
    *) echo "bad mode $1" >&2; exit 2 ;;
  esac
}

# Every command in one mode, each checked against exact expected bytes.
commands_in_mode() { # mode host
  local m=$1 h=$2 n
  mode_args "$m" "$h"
  local A=("${MODE_ARGS[@]}" -u "$POP3_TEST_USER")

  cli_expect "$m-stat" 0 "$EX/stat" "${A[@]}" stat
  cli_expect "$m-list" 0 "$EX/list" "${A[@]}" list
  cli_expect "$m-uidl" 0 "$EX/uidl" "${A[@]}" uidl
  for n in 1 "$MSG_COUNT"; do
    expected_line "$EX/list" "$n" >"$OUT/$m-list-$n.exp"
    cli_expect "$m-list-$n" 0 "$OUT/$m-list-$n.exp" "${A[@]}" list "$n"
    expected_line "$EX/uidl" "$n" >"$OUT/$m-uidl-$n.exp"
    cli_expect "$m-uidl-$n" 0 "$OUT/$m-uidl-$n.exp" "${A[@]}" uidl "$n"
  done
  for n in "$MSG_SMALL" "$MSG_DOTS" "$MSG_EMPTY" "$MSG_LONGHDR" "$MSG_MID"; do
    cli_expect "$m-retr-$n" 0 "$EX/$n.eml" "${A[@]}" retr "$n"
    cli_expect "$m-top-$n-0" 0 "$EX/$n.top0" "${A[@]}" top "$n" 0
  done
  cli_expect "$m-top-big-0" 0 "$EX/$MSG_BIG.top0" "${A[@]}" top "$MSG_BIG" 0
  for n in 1 3 100000; do
    top_lines "$EX/$MSG_DOTS.eml" "$n" >"$OUT/$m-top-dots-$n.exp"
    cli_expect "$m-top-dots-$n" 0 "$OUT/$m-top-dots-$n.exp" "${A[@]}" top "$MSG_DOTS" "$n"
  done
  top_lines "$EX/$MSG_MID.eml" 500 >"$OUT/$m-top-mid-500.exp"
  cli_expect "$m-top-mid-500" 0 "$OUT/$m-top-mid-500.exp" "${A[@]}" top "$MSG_MID" 500

  cli_expect "$m-noop" 0 "" "${A[@]}" noop && expect_empty "$m-noop" "$OUT/$m-noop.out"
  cli_expect "$m-rset" 0 "" "${A[@]}" rset && expect_empty "$m-rset" "$OUT/$m-rset.out"

  # capa after login: the server's post-login list; never STLS once in TLS
  cli_expect "$m-capa" 0 "$EX/capa-auth" "${A[@]}" capa
  # capa without login: what the server offers before login in this mode
  local pre=$EX/capa-tls
  [ "$m" = plain ] && pre=$EX/capa-plain
  cli_expect "$m-capa-nologin" 0 "$pre" "${MODE_ARGS[@]}" capa
  if [ "$m" != plain ]; then
    CHECKS=$((CHECKS + 1))
    ! grep -qx STLS "$OUT/$m-capa-nologin.out" || fail "$m-capa-nologin: STLS listed after TLS"
  fi

  # several commands in one session: outputs concatenated in order
  {
    cat "$EX/stat"; expected_line "$EX/list" 2; expected_line "$EX/uidl" 3
    cat "$EX/$MSG_DOTS.eml" "$EX/$MSG_EMPTY.top0" "$EX/$MSG_SMALL.eml"
    cat "$EX/list"
  } >"$OUT/$m-multi.exp"
  cli_expect "$m-multi" 0 "$OUT/$m-multi.exp" "${A[@]}" stat list 2 uidl 3 noop \
    retr "$MSG_DOTS" top "$MSG_EMPTY" 0 rset retr "$MSG_SMALL" list

  # a command that gets -ERR: output of the earlier ones, then exit 6
  cli_expect "$m-err" 6 "$EX/stat" "${A[@]}" stat retr 9999 noop
  cli_expect "$m-err-top" 6 "" "${A[@]}" top 9999 0
}

# ------------------------------------------------------------------ tests ---
test_commands_plain() { commands_in_mode plain 127.0.0.1; }
test_commands_stls() { commands_in_mode stls localhost; }
test_commands_starttls_ip() { commands_in_mode starttls 127.0.0.1; }
test_commands_tls() { commands_in_mode tls localhost; }
test_commands_tls_ip() { commands_in_mode tls 127.0.0.1; }

# A mailbox command without --user cannot work (AUTHORIZATION state): a
# usage error (2), or 6 if the CLI lets the server refuse it; never 0 or 1.
test_nologin_state() {
  local m
  for m in plain stls tls; do
    mode_args "$m" localhost
    cli "$m-stat-nologin" "${MODE_ARGS[@]}" stat
    CHECKS=$((CHECKS + 1))
    [ "$RC" = 2 ] || [ "$RC" = 6 ] ||
      fail "$m-stat-nologin: exit $RC, want 2 (usage) or 6 (-ERR): $(head -c 300 "$OUT/$m-stat-nologin.err")"
    expect_empty "$m-stat-nologin" "$OUT/$m-stat-nologin.out"
  done
}

# --pass-file and APOP
test_login_variants() {
  local m
  printf '%s\n' "$POP3_TEST_PASSWORD" >"$OUT/pass"
  for m in stls tls; do
    mode_args "$m" localhost
    POP3_PASSWORD= cli_expect "$m-passfile" 0 "$EX/stat" "${MODE_ARGS[@]}" -u alice --pass-file "$OUT/pass" stat
    cli_expect "$m-apop" 0 "$EX/stat" "${MODE_ARGS[@]}" -u alice --apop stat
    POP3_PASSWORD=wrong cli_expect "$m-apop-wrong" 5 "" "${MODE_ARGS[@]}" -u alice --apop stat
    CHECKS=$((CHECKS + 1))
    cli "$m-apop-trace" -v "${MODE_ARGS[@]}" -u alice --apop noop
    CHECKS=$((CHECKS + 1))
    grep -q '^C: APOP alice ' "$OUT/$m-apop-trace.err" || fail "$m-apop: no APOP command in the trace"
    # -v masks the password
    cli "$m-trace" -v "${MODE_ARGS[@]}" -u alice noop
    CHECKS=$((CHECKS + 1))
    [ "$RC" = 0 ] && grep -q '^C: PASS' "$OUT/$m-trace.err" && grep -q '^C: USER alice' "$OUT/$m-trace.err" ||
      fail "$m-trace: exit $RC or no USER/PASS in the trace"
    CHECKS=$((CHECKS + 1))
    ! grep -qF "$POP3_TEST_PASSWORD" "$OUT/$m-trace.err" "$OUT/$m-apop-trace.err" ||
      fail "$m-trace: the password appears in the -v trace"
  done
  mode_args plain 127.0.0.1
  cli_expect plain-apop 0 "$EX/stat" "${MODE_ARGS[@]}" -u alice --apop stat
}

# Credentials over plaintext without the opt-in: exit 9, nothing sent.
test_plaintext_refused() {
  local u=plaintext-refused-$$
  cli refused -v -H 127.0.0.1 -p "$POP3_PORT" --plain -u "$u" stat
  CHECKS=$((CHECKS + 1))
  [ "$RC" = 9 ] || fail "refused: exit $RC, want 9: $(cat "$OUT/refused.err")"
  expect_empty refused "$OUT/refused.out"
  expect_no_cred_cmd refused "$OUT/refused.err"
  POP3_PASSWORD=secret cli refused-apop -v -H 127.0.0.1 -p "$POP3_PORT" --plain --apop -u "$u" stat
  CHECKS=$((CHECKS + 1))
  [ "$RC" = 9 ] || fail "refused-apop: exit $RC, want 9: $(cat "$OUT/refused-apop.err")"
  expect_no_cred_cmd refused-apop "$OUT/refused-apop.err"
  expect_user_not_seen refused "$u"
  # and the password itself never appears in any trace
  CHECKS=$((CHECKS + 1))
  ! grep -qF "$POP3_TEST_PASSWORD" "$OUT"/*.err || fail "password appears in a trace"
  # without -u, --plain works (no credentials involved)
  cli_expect plain-capa-nouser 0 "$EX/capa-plain" -H 127.0.0.1 -p "$POP3_PORT" --plain capa
}

# STLS mode must not fall back to plaintext; TLS options need TLS
test_usage_errors() {
  # no command opens the shell (examples/pop3-cli/test/test_shell.sh); 'shell' takes no argument
  cli_expect no-command 2 "" -H localhost -p "$POP3_PORT" --cafile "$CA" shell stat
  cli_expect bad-command 2 "" -H localhost -p "$POP3_PORT" --cafile "$CA" frobnicate
  cli_expect retr-no-arg 2 "" -H localhost -p "$POP3_PORT" --cafile "$CA" -u alice retr
  cli_expect bad-number 2 "" -H localhost -p "$POP3_PORT" --cafile "$CA" -u alice retr x1
  cli_expect tls-and-plain 2 "" -H localhost -p "$POP3_PORT" --tls --plain stat
  cli_expect no-host 2 "" -p "$POP3_PORT" stat
  # usage errors must not touch the network: nothing on stdout
  expect_empty no-command "$OUT/no-command.out"
}

test_wrong_password() {
  local m
  for m in plain stls tls; do
    mode_args "$m" localhost
    POP3_PASSWORD=not-the-password cli_expect "$m-wrongpass" 5 "" "${MODE_ARGS[@]}" -u alice stat
    expect_empty "$m-wrongpass" "$OUT/$m-wrongpass.out"
    POP3_PASSWORD=secret cli_expect "$m-nouser" 5 "" "${MODE_ARGS[@]}" -u nosuchuser stat
  done
}

# Certificate from an unrelated CA: exit 4 and no credentials sent.
test_wrong_ca() {
  local u=wrong-ca-$$
  cli_expect tls-wrongca 4 "" -v -H localhost -p "$POP3S_PORT" --tls --cafile "$WRONG_CA" -u "$u" stat
  expect_no_cred_cmd tls-wrongca "$OUT/tls-wrongca.err"
  cli_expect stls-wrongca 4 "" -v -H localhost -p "$POP3_PORT" --cafile "$WRONG_CA" -u "$u" stat
  expect_no_cred_cmd stls-wrongca "$OUT/stls-wrongca.err"
  # the system CA bundle does not trust the test CA either
  cli_expect tls-systemca 4 "" -H localhost -p "$POP3S_PORT" --tls -u "$u" stat
  expect_user_not_seen wrong-ca "$u"
  # --insecure connects anyway, with a warning on stderr
  cli_expect tls-insecure 0 "$EX/stat" -H localhost -p "$POP3S_PORT" --tls --insecure -u alice stat
  CHECKS=$((CHECKS + 1))
  [ -s "$OUT/tls-insecure.err" ] || fail "tls-insecure: no warning on stderr"
  cli_expect stls-insecure 0 "$EX/stat" -H 127.0.0.2 -p "$POP3_PORT" --insecure -u alice stat
}

# Name not in the certificate (IP 127.0.0.2; the cert has 127.0.0.1, localhost)
test_wrong_host() {
  local u=wrong-host-$$
  cli_expect tls-wronghost 4 "" -v -H 127.0.0.2 -p "$POP3S_PORT" --tls --cafile "$CA" -u "$u" stat
  expect_no_cred_cmd tls-wronghost "$OUT/tls-wronghost.err"
  cli_expect stls-wronghost 4 "" -v -H 127.0.0.2 -p "$POP3_PORT" --cafile "$CA" -u "$u" stat
  expect_no_cred_cmd stls-wronghost "$OUT/stls-wronghost.err"
  expect_user_not_seen wrong-host "$u"
  # the same server is fine under a name that is in the certificate
  cli_expect tls-righthost 0 "$EX/stat" -H 127.0.0.1 -p "$POP3S_PORT" --tls --cafile "$CA" -u alice stat
}

# Nothing listening / TLS against the plain port / plain against TLS port
test_network_errors() {
  local p
  for p in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    ss -Hltn "sport = :$p" | grep -q . || break
  done
  cli_expect refused-conn 3 "" -H 127.0.0.1 -p "$p" --tls --cafile "$CA" -u alice stat
  # implicit TLS against the plaintext port: the greeting is no TLS record
  cli "tls-on-plain" -H localhost -p "$POP3_PORT" --tls --cafile "$CA" -u alice --timeout 5000 stat
  CHECKS=$((CHECKS + 1))
  case $RC in 4 | 3 | 7) ;; *) fail "tls-on-plain: exit $RC, want 4 (or 3/7)" ;; esac
  # POP3 against the TLS port: no greeting arrives, the reply timeout fires
  cli "plain-on-tls" -H 127.0.0.1 -p "$POP3S_PORT" --plain --timeout 1500 capa
  CHECKS=$((CHECKS + 1))
  case $RC in 8 | 7 | 3) ;; *) fail "plain-on-tls: exit $RC, want 8 (or 7/3)" ;; esac
}

# The 20 MB dot-heavy message, byte-identical, over all three transports
big_in_mode() { # mode
  mode_args "$1" localhost
  cli_expect "$1-big" 0 "$EX/$MSG_BIG.eml" "${MODE_ARGS[@]}" -u alice retr "$MSG_BIG"
  if command -v curl >/dev/null 2>&1; then
    local url
    case $1 in
      plain) url="pop3://127.0.0.1:$POP3_PORT/$MSG_BIG" ;;
      stls) url="pop3://localhost:$POP3_PORT/$MSG_BIG --ssl-reqd" ;;
      tls) url="pop3s://localhost:$POP3S_PORT/$MSG_BIG" ;;
    esac
    # shellcheck disable=SC2086
    curl -sS --max-time 120 --cacert "$CA" -u "alice:$POP3_TEST_PASSWORD" $url >"$OUT/$1-big.curl"
    CHECKS=$((CHECKS + 1))
    cmp -s "$OUT/$1-big.curl" "$OUT/$1-big.out" || fail "$1-big: differs from curl's RETR"
    rm -f "$OUT/$1-big.curl"
  fi
  [ "$FAILS" -gt 0 ] || rm -f "$OUT/$1-big.out"
}
test_big_plain() { big_in_mode plain; }
test_big_stls() { big_in_mode stls; }
test_big_tls() { big_in_mode tls; }

# --- tests that change a mailbox: they use bob, reseeded first -------------
bob_args() { mode_args "$1" localhost; BOB=("${MODE_ARGS[@]}" -u "$POP3_BOB_USER"); }

test_dele_quit() {
  export POP3_PASSWORD=$POP3_BOB_PASSWORD
  "$HERE/dovecot.sh" reseed-bob "$FIX" || { fail "reseed"; return; }
  bob_args stls
  cli_expect before-stat 0 "" "${BOB[@]}" stat
  cli_expect before-uidl 0 "" "${BOB[@]}" uidl
  cli_expect before-retr3 0 "" "${BOB[@]}" retr 3
  cli_expect before-list 0 "" "${BOB[@]}" list
  expect_text before-stat "$OUT/before-stat.out" "3 $(awk '{ s += $2 } END { print s }' "$OUT/before-list.out")"
  CHECKS=$((CHECKS + 1))
  [ "$(wc -l <"$OUT/before-uidl.out")" = 3 ] || fail "before: uidl '$(cat "$OUT/before-uidl.out")'"
  # delete message 2 and QUIT: gone in the next session
  cli_expect dele 0 "" "${BOB[@]}" dele 2
  expect_empty dele "$OUT/dele.out"
  cli_expect after-uidl 0 "" "${BOB[@]}" uidl
  { sed -n 1p "$OUT/before-uidl.out"; sed -n 3p "$OUT/before-uidl.out" | sed 's/^3 /2 /'; } >"$OUT/after-uidl.exp"
  CHECKS=$((CHECKS + 1))
  cmp -s "$OUT/after-uidl.exp" "$OUT/after-uidl.out" ||
    fail "after dele+quit: uidl '$(cat "$OUT/after-uidl.out")', want '$(cat "$OUT/after-uidl.exp")'"
  cli_expect after-stat 0 "" "${BOB[@]}" stat
  CHECKS=$((CHECKS + 1))
  [ "$(cut -d' ' -f1 <"$OUT/after-stat.out")" = 2 ] || fail "after dele+quit: stat '$(cat "$OUT/after-stat.out")'"
  cli_expect after-retr2 0 "$OUT/before-retr3.out" "${BOB[@]}" retr 2
  cli_expect after-retr3 6 "" "${BOB[@]}" retr 3
  # deleted in this session: further access is -ERR, stat shows it gone
  cli_expect dele-then-retr 6 "" "${BOB[@]}" dele 1 retr 1
  cli_expect after-dele-retr 0 "" "${BOB[@]}" stat
  CHECKS=$((CHECKS + 1))
  # the failed RETR ended the session without QUIT? Either way state is consistent:
  case $(cut -d' ' -f1 <"$OUT/after-dele-retr.out") in
    1) note "dele 1 + failing retr 1: CLI still sent QUIT, deletion committed" ;;
    2) note "dele 1 + failing retr 1: session aborted without QUIT, deletion not committed" ;;
    *) fail "after dele-then-retr: stat '$(cat "$OUT/after-dele-retr.out")'" ;;
  esac
}

test_dele_rset() {
  export POP3_PASSWORD=$POP3_BOB_PASSWORD
  "$HERE/dovecot.sh" reseed-bob "$FIX" || { fail "reseed"; return; }
  local m
  for m in stls tls plain; do
    bob_args "$m"
    cli_expect "$m-before" 0 "" "${BOB[@]}" stat uidl
    expect_text "$m-before-count" <(head -n1 "$OUT/$m-before.out" | cut -d' ' -f1) 3
    # within one session: after DELE, stat shows one message less; RSET restores it
    cli_expect "$m-dele-rset" 0 "" "${BOB[@]}" dele 1 dele 3 stat rset stat
    CHECKS=$((CHECKS + 1))
    [ "$(sed -n 1p "$OUT/$m-dele-rset.out" | cut -d' ' -f1)" = 1 ] &&
      [ "$(sed -n 2p "$OUT/$m-dele-rset.out")" = "$(head -n1 "$OUT/$m-before.out")" ] ||
      fail "$m-dele-rset: got '$(cat "$OUT/$m-dele-rset.out")'"
    cli_expect "$m-after" 0 "$OUT/$m-before.out" "${BOB[@]}" stat uidl
  done
}

# PIPELINING (the server advertises it): with -v the commands of a long job
# list go out several at once, before the first reply; with --no-pipelining
# every command waits for the reply to the one before.  Same output either way.
test_pipelining() {
  # 40 small RETRs and one of 256 KiB (light enough for the valgrind run)
  local m n i args=()
  for i in 1 2 3 4 5 6 7 8 9 10; do
    for n in "$MSG_SMALL" "$MSG_DOTS" "$MSG_EMPTY" "$MSG_LONGHDR"; do args+=(retr "$n"); done
  done
  args+=(retr "$MSG_MID")
  {
    cat "$EX/uidl"
    for i in 1 2 3 4 5 6 7 8 9 10; do
      for n in "$MSG_SMALL" "$MSG_DOTS" "$MSG_EMPTY" "$MSG_LONGHDR"; do cat "$EX/$n.eml"; done
    done
    cat "$EX/$MSG_MID.eml" "$EX/list"
  } >"$OUT/many.exp"
  for m in plain stls tls; do
    mode_args "$m" localhost
    cli_expect "$m-pipe" 0 "$OUT/many.exp" -v "${MODE_ARGS[@]}" -u alice uidl "${args[@]}" list
    CHECKS=$((CHECKS + 1))
    n=$(longest_c_run "$OUT/$m-pipe.err")
    [ "$n" -ge 4 ] || fail "$m-pipe: at most $n commands in a row before a reply: not pipelined"
    note "$m: up to $n commands on the wire before a reply ($(c_lines "$OUT/$m-pipe.err") sent)"
    cli_expect "$m-nopipe" 0 "$OUT/many.exp" -v --no-pipelining "${MODE_ARGS[@]}" -u alice uidl "${args[@]}" list
    CHECKS=$((CHECKS + 1))
    n=$(longest_c_run "$OUT/$m-nopipe.err")
    [ "$n" = 1 ] || fail "$m-nopipe: $n commands in a row before a reply with --no-pipelining"
    CHECKS=$((CHECKS + 1))
    [ "$(c_lines "$OUT/$m-pipe.err")" = "$(c_lines "$OUT/$m-nopipe.err")" ] ||
      fail "$m: $(c_lines "$OUT/$m-pipe.err") commands pipelined, $(c_lines "$OUT/$m-nopipe.err") without"
  done
  # a -ERR inside a batch fails its own command: the output of those before it, exit 6
  mode_args stls localhost
  cli_expect err-in-batch 6 "$EX/$MSG_SMALL.eml" -v "${MODE_ARGS[@]}" -u alice retr "$MSG_SMALL" retr 9999 retr "$MSG_DOTS" stat
  CHECKS=$((CHECKS + 1))
  [ "$(longest_c_run "$OUT/err-in-batch.err")" -ge 3 ] || fail "err-in-batch: the commands were not pipelined"
}

# Valgrind: full sessions (retr of the mid-size message) over TLS and STLS
test_valgrind() {
  case $SANITIZE in ON | on | 1 | TRUE | true | YES | yes)
    echo "sanitizer build: valgrind test skipped"; exit 77 ;;
  esac
  command -v valgrind >/dev/null || { echo "valgrind not installed: skipped"; exit 77; }
  local m
  for m in tls stls; do
    mode_args "$m" localhost
    printf '%q ' valgrind >"$OUT/vg-$m.cmd"
    timeout 600 valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
      --errors-for-leak-kinds=definite,indirect,possible \
      "$CLI" "${MODE_ARGS[@]}" -u alice capa stat uidl retr "$MSG_MID" top "$MSG_DOTS" 2 \
      >"$OUT/vg-$m.out" 2>"$OUT/vg-$m.err"
    RC=$?
    CHECKS=$((CHECKS + 1))
    [ "$RC" = 0 ] || fail "valgrind $m: exit $RC: $(head -c 3000 "$OUT/vg-$m.err")"
    { cat "$EX/capa-auth" "$EX/stat" "$EX/uidl" "$EX/$MSG_MID.eml"; top_lines "$EX/$MSG_DOTS.eml" 2; } >"$OUT/vg-$m.exp"
    CHECKS=$((CHECKS + 1))
    cmp -s "$OUT/vg-$m.exp" "$OUT/vg-$m.out" || fail "valgrind $m: output differs"
  done
  # an error path too: wrong CA
  timeout 600 valgrind -q --error-exitcode=99 --leak-check=full \
    "$CLI" -H localhost -p "$POP3S_PORT" --tls --cafile "$WRONG_CA" -u alice stat >/dev/null 2>"$OUT/vg-wrongca.err"
  RC=$?
  CHECKS=$((CHECKS + 1))
  [ "$RC" = 4 ] || fail "valgrind wrong CA: exit $RC (99 = valgrind error): $(head -c 3000 "$OUT/vg-wrongca.err")"
}

# shellcheck source=pop3_sasl_tests.sh
. "$HERE/pop3_sasl_tests.sh" # test_sasl_*
# shellcheck source=pipe_trace.sh
. "$HERE/pipe_trace.sh" # longest_c_run, c_lines

ALL_TESTS=(commands_plain commands_stls commands_starttls_ip commands_tls commands_tls_ip
  nologin_state login_variants plaintext_refused usage_errors wrong_password wrong_ca wrong_host
  network_errors big_plain big_stls big_tls dele_quit dele_rset valgrind pipelining
  sasl_stls sasl_tls sasl_refused_stls sasl_refused_tls sasl_pretls)

run_one() {
  TEST_NAME=$1
  OUT=$OUT_ROOT/$1${POP3_CLI_WRAPPER:+-wrapped}${POP3_CLI_ARGS:+-args}
  rm -rf "$OUT"; mkdir -p "$OUT"
  declare -F "test_$1" >/dev/null || { echo "unknown test $1" >&2; exit 2; }
  "test_$1"
}

if [ "$TEST" = all ]; then
  for t in "${ALL_TESTS[@]}"; do (FAILS=0; run_one "$t"; [ "$FAILS" -eq 0 ]) || FAILS=$((FAILS + 1)); done
  TEST_NAME=all
else
  run_one "$TEST"
fi
if [ "$FAILS" -gt 0 ]; then
  echo "$TEST_NAME: $FAILS failure(s) in $CHECKS checks (outputs in $OUT)"
  exit 1
fi
echo "$TEST_NAME: $CHECKS checks passed"
