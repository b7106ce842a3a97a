#!/usr/bin/env bash
# pop3-cli's output and job list (ctest: cli_output).
#
#   test_output.sh CLI WORKDIR
#
# Against fake_pop3.py on 127.0.0.1 with a mailbox of 3 messages:
# - --json: capa, stat, list, uidl each print one JSON document per line, parsed with
#   json.loads and compared with what the server holds (UIDs with '"' and '\' survive
#   escaping; server text with control characters is sanitized); retr/top with --json
#   is a usage error; capa after a login shows the pre-login list too, labelled;
# - ranges: retr/top/list/uidl/dele FIRST-LAST and all, the STAT that sizes them, a
#   range past the last message refused before any command is sent, the first refused
#   message stopping the run (no DELE after it), bad ranges exit 2 without connecting;
# - errors that say what to do, --version, control characters in echoed arguments.
# POP3_CLI_WRAPPER runs every pop3-cli under that command (as test_options.sh).
# Exit: 0 pass, 1 fail.
set -uo pipefail
CLI=${1:?usage: test_output.sh CLI WORKDIR}
W=${2:?usage: test_output.sh CLI WORKDIR}
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=fake_env.sh
. "$here/fake_env.sh"
printf 'pw-%s' "$RANDOM$RANDOM" >"$W/password"
echo 3 >"$W/mailbox"
unset POP3_OAUTH2_TOKEN
export POP3_PASSWORD
POP3_PASSWORD=$(cat "$W/password")
PLAIN=(-H 127.0.0.1 -p "$PORT" --plain --allow-plaintext-login --timeout 5000)
LOGIN=("${PLAIN[@]}" -u alice)

expect_out() { # NAME EXPECTED-STDOUT
  checks=$((checks + 1))
  [ "$(cat "$W/$1.out")" = "$2" ] || fail "$1: stdout is '$(head -c 400 "$W/$1.out")', want '$2'"
}
expect_cmds() { # NAME EXPECTED (the commands after the login, one per line, QUIT excluded)
  local got
  checks=$((checks + 1))
  got=$(last_cmds | grep -vE '^(CAPA|USER|PASS|QUIT)' )
  [ "$got" = "$2" ] || fail "$1: the server received '$(echo $got)', want '$(echo $2)'"
}
json() { # NAME PYTHON-ASSERTIONS (d: the list of documents, one per stdout line)
  checks=$((checks + 1))
  python3 - "$W/$1.out" "$2" <<'PY' || fail "$1: JSON check failed: $2 -- $(head -c 300 "$W/$1.out")"
import json, sys
with open(sys.argv[1]) as f:
    d = [json.loads(line) for line in f]
if not eval(sys.argv[2]):
    sys.exit("got %r" % d)
PY
}

# ---- --json ------------------------------------------------------------------------
run json-stat 0 "${LOGIN[@]}" --json stat
json json-stat 'd == [{"command": "stat", "messages": 3, "octets": 306}]'
run json-list 0 "${LOGIN[@]}" --json list
json json-list 'd == [{"command": "list", "messages": [{"msg": k, "octets": 100 + k} for k in (1, 2, 3)], "complete": True}]'
echo 'quote-uid' >"$W/mode"
run json-uidl 0 "${LOGIN[@]}" --json uidl uidl 2
json json-uidl 'd[0]["messages"] == [{"msg": k, "uid": "q\"%d\\x" % k} for k in (1, 2, 3)] and d[1]["messages"] == [{"msg": 2, "uid": "q\"2\\x"}] and len(d) == 2'
run text-uidl 0 "${LOGIN[@]}" uidl 3
expect_out text-uidl '3 q"3\x'
rm -f "$W/mode"
# One document per command, one per line: a whole run parses line by line.
run json-multi 0 "${LOGIN[@]}" --json stat list 2 uidl dele 1 stat
json json-multi '[x["command"] for x in d] == ["stat", "list", "uidl", "stat"] and d[1]["messages"] == [{"msg": 2, "octets": 102}] and d[3]["messages"] == 2'
checks=$((checks + 1))
python3 -m json.tool "$W/json-stat.out" >/dev/null || fail "json-stat: python3 -m json.tool refuses it"
# capa: lines split into name and parameters; after a login the pre-login list too.
run json-capa 0 "${PLAIN[@]}" --json capa
json json-capa '"before_login" not in d[0] and {"name": "SASL", "params": ["PLAIN", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"]} in d[0]["capabilities"] and {"name": "IMPLEMENTATION", "params": ["fake", "\"pop3\"", "\\o/"]} in d[0]["capabilities"]'
run json-capa-login 0 "${LOGIN[@]}" --json capa
json json-capa-login '{"name": "USER", "params": []} in d[0]["before_login"] and {"name": "USER", "params": []} not in d[0]["capabilities"] and {"name": "UIDL", "params": []} in d[0]["capabilities"]'
run capa-login 0 "${LOGIN[@]}" capa
checks=$((checks + 1))
sed -n '/capabilities before login/,$p' "$W/capa-login.err" | grep -qx '  USER' &&
  ! grep -qx USER "$W/capa-login.out" && grep -qx UIDL "$W/capa-login.out" ||
  fail "capa-login: want USER in the labelled pre-login list on stderr only: $(cat "$W/capa-login.out" "$W/capa-login.err")"
run capa-nologin 0 "${PLAIN[@]}" capa
checks=$((checks + 1))
! grep -q 'before login' "$W/capa-nologin.err" && grep -qx USER "$W/capa-nologin.out" ||
  fail "capa-nologin: labels without a login, or no USER"
usage json-retr "${LOGIN[@]}" --json stat retr 1
expect_err json-retr "--json: 'retr' writes message data"
usage json-top "${LOGIN[@]}" --json top 1 0

# ---- ranges --------------------------------------------------------------------------
msg() { printf 'Subject: message %d\r\n\r\nbody line 1 of %d\r\nbody line 2 of %d\r\n' "$1" "$1" "$1"; }
run retr-range 0 "${LOGIN[@]}" retr 2-3
checks=$((checks + 1))
cmp -s "$W/retr-range.out" <(msg 2; msg 3) || fail "retr-range: stdout is not messages 2 and 3"
expect_cmds retr-range $'STAT\nRETR 2\nRETR 3'
run retr-all 0 "${LOGIN[@]}" --no-pipelining retr all
checks=$((checks + 1))
cmp -s "$W/retr-all.out" <(msg 1; msg 2; msg 3) || fail "retr-all: stdout is not the 3 messages"
run top-all 0 "${LOGIN[@]}" top ALL 0
checks=$((checks + 1))
cmp -s "$W/top-all.out" <(for k in 1 2 3; do printf 'Subject: message %d\r\n\r\n' "$k"; done) ||
  fail "top-all: not the 3 headers"
run list-range 0 "${LOGIN[@]}" --json list 1-2
json list-range 'd == [{"command": "list", "messages": [{"msg": 1, "octets": 101}, {"msg": 2, "octets": 102}], "complete": True}]'
run list-all 0 "${LOGIN[@]}" list all uidl all
expect_out list-all $'1 101\n2 102\n3 103\n1 uid-1\n2 uid-2\n3 uid-3'
expect_cmds list-all $'LIST\nUIDL'
run dele-range 0 "${LOGIN[@]}" dele 1-2 stat
expect_out dele-range '1 103'
expect_cmds dele-range $'STAT\nDELE 1\nDELE 2\nSTAT'
# Past the end: refused before anything runs, nothing deleted.
run range-past 6 "${LOGIN[@]}" retr 1 dele 2-5
expect_err range-past 'dele 2-5: the mailbox has 3 messages \(1-3\); no command was run'
expect_cmds range-past 'STAT'
checks=$((checks + 1))
[ ! -s "$W/range-past.out" ] || fail "range-past: output on stdout"
echo 0 >"$W/mailbox"
run range-empty 0 "${LOGIN[@]}" retr all dele all stat
expect_out range-empty '0 0'
run range-empty-explicit 6 "${LOGIN[@]}" retr 1-1
expect_err range-empty-explicit 'the mailbox is empty'
echo 3 >"$W/mailbox"
# The first refused message stops the run: RETR 2 (deleted) fails, message 3 is not
# shown even if pipelined, and no DELE is ever sent after the failure.
run range-refused 6 "${LOGIN[@]}" dele 2 retr all dele all
expect_err range-refused 'RETR 2 failed: server said: -ERR no such message'
checks=$((checks + 1))
cmp -s "$W/range-refused.out" <(msg 1) || fail "range-refused: stdout is not message 1 alone"
checks=$((checks + 1))
[ "$(last_cmds | grep -c '^DELE')" = 1 ] || fail "range-refused: DELE sent after the failure: $(last_cmds | tr '\n' ' ')"
# Pipelined: the RETRs of a range go out together (the server sees them in order anyway).
run retr-pipelined 0 "${LOGIN[@]}" retr 1-3 dele 3
expect_cmds retr-pipelined $'STAT\nRETR 1\nRETR 2\nRETR 3\nDELE 3'
for bad in 3-1 0-2 1- -2 a-b 1-2-3 1-99999999999; do
  usage "range-bad$bad" "${LOGIN[@]}" retr "$bad"
done
expect_err range-bad3-1 "retr: invalid range '3-1'"

# ---- --version, arguments echoed with control characters neutralised ------------------
run version 0 --version
checks=$((checks + 1))
grep -qE '^pop3-cli [0-9]+\.[0-9]+\.[0-9]+ \(pop3 library [0-9.]+\)$' "$W/version.out" &&
  grep -qE '^mbedTLS [0-9]+\.[0-9]+\.[0-9]+ ' "$W/version.out" &&
  grep -qE 'SASL on .*APOP (on|off)' "$W/version.out" && grep -qE 'pipelining depth [0-9]+' "$W/version.out" ||
  fail "version: $(cat "$W/version.out")"
no_ctl() { # NAME: stderr has no control character but LF
  checks=$((checks + 1))
  ! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$W/$1.err" || fail "$1: a control character reached stderr"
}
usage echo-option "${LOGIN[@]}" $'--bogus\e[2J' stat
expect_err echo-option "option '--bogus\?\[2J'"
no_ctl echo-option
usage echo-command "${LOGIN[@]}" $'stat\rxx'
expect_err echo-command "unknown command 'stat\?xx'"
no_ctl echo-command
usage echo-cafile -H 127.0.0.1 -p "$PORT" --tls --cafile $'/nonexistent/\e]0;title\a' capa
expect_err echo-cafile '--cafile /nonexistent/\?\]0;title\?: No such file'
no_ctl echo-cafile
usage echo-range "${LOGIN[@]}" retr $'1-\x7f'
no_ctl echo-range
usage echo-short "${LOGIN[@]}" -Z stat
expect_err echo-short "unknown option '-Z'"

# ---- errors that say what to do -------------------------------------------------------
no_ctl_err() { checks=$((checks + 1)); ! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$W/$1.err" || fail "$1: a control character reached stderr"; }
echo badstat >"$W/mode"
run bad-reply 7 "${LOGIN[@]}" stat
expect_err bad-reply 'STAT failed: protocol violation by the server \(last line received: "\+OK lots\?\[31m of mail"\)'
no_ctl_err bad-reply
echo login-delay >"$W/mode"
run login-delay 6 "${LOGIN[@]}" stat
expect_err login-delay 'LOGIN-DELAY\] wait 15 minutes.*the credentials may be right: .*900 s .*\(LOGIN-DELAY 900\); wait and retry'
echo in-use >"$W/mode"
run in-use 6 "${LOGIN[@]}" stat
expect_err in-use 'IN-USE\] mailbox locked.*the credentials may be right: another session holds the mailbox'
rm -f "$W/mode"
POP3_PASSWORD=wrong run wrong-password 5 "${LOGIN[@]}" stat
checks=$((checks + 1))
! grep -q 'may be right' "$W/wrong-password.err" || fail "wrong-password: told the credentials may be right"
# STLS mode, no STLS in CAPA: what the server offered and the choices; STLS refused.
run no-stls 9 -H 127.0.0.1 -p "$PORT" --timeout 5000 -u alice stat
expect_err no-stls 'does not offer STLS on this port; its CAPA lists: USER SASL TOP UIDL .*Choices: --tls .*--plain --allow-plaintext-login'
echo stls >"$W/mode"
run stls-refused 9 -H 127.0.0.1 -p "$PORT" --timeout 5000 -u alice stat
expect_err stls-refused 'offered STLS but refused it: "-ERR TLS not configured"'
rm -f "$W/mode"
# --tls against a plaintext port: the first octets are "+OK".
run tls-on-plain 4 -H 127.0.0.1 -p "$PORT" --tls --insecure --timeout 5000 capa
expect_err tls-on-plain 'speaks plaintext POP3 on this port: it sent "\+OK\.\.\." .*--starttls \(STLS\) or --plain'
# STLS mode against a POP3S-like port: silence, then a TLS record at once.
echo silent >"$W/mode"
run silent 8 -H 127.0.0.1 -p "$PORT" --timeout 1500 capa
expect_err silent 'timed out \(connected, but no greeting came: the port may expect TLS from the first byte \(POP3S\); try --tls\)'
echo tlsrecord >"$W/mode"
t0=$(date +%s%N)
run tls-record 4 -H 127.0.0.1 -p "$PORT" --timeout 20000 capa
expect_err tls-record 'sent a TLS record where a POP3 greeting was due: .*use --tls'
checks=$((checks + 1))
[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ] || fail "tls-record: did not fail at once"
# The same when the record holds a LF: the core sees a bad greeting line, the advice still wins.
for m in tlsalert-lf tlshandshake-lf; do
  echo $m >"$W/mode"
  run $m 4 -H 127.0.0.1 -p "$PORT" --timeout 20000 capa
  expect_err $m 'sent a TLS record where a POP3 greeting was due: .*use --tls'
done
rm -f "$W/mode"
# Port 995 and silence: said after 2 s, not after the 20 s timeout. 995 needs a network
# namespace of its own (unshare -rn: no root needed where user namespaces are allowed).
if unshare -rn true 2>/dev/null; then
  mkdir -p "$W/ns"
  echo silent >"$W/ns/mode"
  checks=$((checks + 1))
  timeout 60 unshare -rn bash -c '
    ip link set lo up 2>/dev/null
    FAKE_POP3_PORT=995 python3 "$1/fake_pop3.py" "$2" & s=$!
    for _ in $(seq 1 100); do [ -s "$2/port" ] && break; sleep 0.05; done
    t0=$(date +%s%N)
    "$3" -H 127.0.0.1 -p 995 --timeout 20000 capa 2>"$2/err"; rc=$?
    echo "$rc $(( ($(date +%s%N) - t0) / 1000000 ))" >"$2/result"
    kill $s' _ "$here" "$W/ns" "$CLI"
  read -r rc ms <"$W/ns/result" 2>/dev/null || rc=none
  [ "$rc" = 8 ] && [ "$ms" -ge 1900 ] && [ "$ms" -lt 6000 ] &&
    grep -q 'no greeting within 2 s on the POP3S port: it expects TLS from the first byte; use --tls' "$W/ns/err" ||
    fail "silent-995: exit ${rc:-?} after ${ms:-?} ms: $(cat "$W/ns/err" 2>/dev/null)"
else
  echo "cli_output: SKIP silent-995 (unshare -rn not permitted here)"
fi
# --cafile with --plain: accepted (scripts share option sets), noted with -v; --insecure is not.
run cafile-plain 0 "${PLAIN[@]}" --cafile /etc/hosts -v capa
expect_err cafile-plain 'note: --cafile is not used: --plain makes no TLS connection'
usage insecure-plain "${PLAIN[@]}" --insecure capa
expect_err insecure-plain '--insecure needs TLS'

if [ "$fails" -gt 0 ]; then
  echo "cli_output: $fails failure(s) in $checks checks (outputs in $W)"
  exit 1
fi
echo "cli_output: $checks checks passed"
