#!/usr/bin/env bash
# pop3-cli's interactive session through a pipe (ctest: cli_shell).
#
#   test_shell.sh CLI WORKDIR
#
# Commands are piped into `pop3-cli -H 127.0.0.1 ...` (no command: the shell) against
# fake_pop3.py with a mailbox of 3 messages; stdout is compared in full with what the
# server holds, and the server's log of the command lines it received (cmds-N) is
# checked: CRLF whatever ended the typed line, one command at a time (a command line
# that came before a multi-line reply ended is logged "EARLY" by the server in "split"
# mode, where each multi-line reply comes in four pieces), bodies unstuffed or raw,
# commands sent as typed (single- and multi-line), typed USER/PASS with the password in
# neither the -v trace nor stdout/stderr, typed STLS answered with injected bytes
# (refused, nothing sent after it), AUTH PLAIN and APOP typed, message ranges (a STAT
# first, one command per message, refused past the last), end of input sending QUIT, a
# connection lost during a command and while idle, local refusals.
# POP3_CLI_WRAPPER runs every pop3-cli under that command (as test_options.sh).
# Exit: 0 pass, 1 fail.
set -uo pipefail
CLI=${1:?usage: test_shell.sh CLI WORKDIR}
W=${2:?usage: test_shell.sh CLI WORKDIR}
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=fake_env.sh
. "$here/fake_env.sh"
PW="pw-$RANDOM$RANDOM"
printf '%s' "$PW" >"$W/password"
echo 3 >"$W/mailbox"
unset POP3_OAUTH2_TOKEN POP3_PASSWORD
export LC_ALL=C # non-ASCII shows as '?' (UTF-8 only with a UTF-8 locale: checked below)
PLAIN=(-H 127.0.0.1 -p "$PORT" --plain --allow-plaintext-login --timeout 5000)
CR=$'\r'
TAB=$'\t'

shell() { # NAME WANT_RC INPUT ARG...: INPUT piped into the shell
  local name=$1 want=$2 input=$3 rc
  shift 3
  checks=$((checks + 1))
  printf '%s' "$input" | timeout 60 "${WRAP[@]}" "$CLI" "$@" >"$W/$name.out" 2>"$W/$name.err"
  rc=$?
  [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want: $* -- $(head -c 600 "$W/$name.err")"
}
expect_out() { # NAME EXPECTED-STDOUT (CRs shown as \r in the message)
  checks=$((checks + 1))
  [ "$(cat "$W/$1.out")" = "$2" ] ||
    fail "$1: stdout is:
$(head -c 800 "$W/$1.out" | sed 's/\r/\\r/g')
--- want:
$(printf '%s' "$2" | sed 's/\r/\\r/g')"
}
expect_cmds() { # NAME EXPECTED: every line the server received in the last session
  local got
  checks=$((checks + 1))
  got=$(cat "$W/cmds-$(conns)")
  [ "$got" = "$2" ] || fail "$1: the server received '$(echo "$got" | tr '\n' ' ')', want '$(echo "$2" | tr '\n' ' ')'"
}
no_secret() { # NAME: the password appears in neither stdout nor stderr
  checks=$((checks + 1))
  ! grep -qF -e "$PW" "$W/$1.out" "$W/$1.err" || fail "$1: the password appears in the output"
}

CAPA_AFTER='+OK
UIDL
TOP
RESP-CODES
IMPLEMENTATION fake "pop3" \o/
PIPELINING
.'
MSG1='+OK
Subject: message 1

body line 1 of 1
body line 2 of 1'

# ---- the basic session: -u logs in first; the greeting, then each reply as received ------
export POP3_PASSWORD=$PW
shell basic 0 $'capa\nstat\nlist\nretr 1\nquit\n' "${PLAIN[@]}" -u alice
expect_out basic "+OK fake POP3 ready
$CAPA_AFTER
+OK 3 306
+OK
1 101
2 102
3 103
.
$MSG1
+OK bye"
expect_cmds basic 'CAPA
USER alice
PASS ***
CAPA
STAT
LIST
RETR 1
QUIT'
# the explicit command "shell", CRLF typed, top/uidl/dele/rset/noop; CRLF on the wire
shell explicit 0 $'uidl 2\r\ntop 2 0\r\nDELE 3\r\nlist 3\r\nrset\r\nNoOp\r\n' "${PLAIN[@]}" -u alice shell
expect_out explicit "+OK fake POP3 ready
+OK 2 uid-2
+OK
Subject: message 2

+OK deleted
-ERR no such message
+OK
+OK
+OK bye"
checks=$((checks + 1))
! grep -q BARE-LF "$W/cmds-$(conns)" || fail "explicit: a command line went out without CRLF"
unset POP3_PASSWORD

# ---- multi-line awareness: replies in pieces, nothing sent before the end ----------------
echo split >"$W/mode"
shell split 0 $'user alice\npass '"$PW"$'\nlist\nretr 3\ncapa\n+xmulti\nuidl\n' "${PLAIN[@]}"
expect_out split "+OK fake POP3 ready
+OK
+OK logged in
+OK
1 101
2 102
3 103
.
+OK
Subject: message 3

body line 1 of 3
body line 2 of 3
$CAPA_AFTER
+OK multi
first
.stuffed
+OK
1 uid-1
2 uid-2
3 uid-3
.
+OK bye"
checks=$((checks + 1))
! grep -q EARLY "$W/cmds-$(conns)" || fail "split: a command was sent before a multi-line reply ended"
checks=$((checks + 1))
[ "$(grep -c . "$W/cmds-$(conns)")" = 9 ] || fail "split: the server received $(grep -c . "$W/cmds-$(conns)") lines, want 9"

# ---- bodies: unstuffed by default, raw with .raw on / --raw ------------------------------
echo stuffed >"$W/mode"
shell stuffed 0 $'user alice\npass '"$PW"$'\nretr 1\n.raw on\nretr 1\n.raw off\ntop 1 1\n' "${PLAIN[@]}"
expect_out stuffed "+OK fake POP3 ready
+OK
+OK logged in
+OK
Subject: message 1

.hidden line
..two dots
.
tab${TAB}here esc?[2J
+OK
Subject: message 1$CR
$CR
..hidden line$CR
...two dots$CR
..$CR
tab${TAB}here esc?[2J$CR
.$CR
+OK
Subject: message 1

.hidden line
+OK bye"
expect_err stuffed 'raw on: bodies are shown dot-stuffed'
shell stuffed-opt 0 $'user alice\npass '"$PW"$'\ntop 2 1\n+xmulti\n' "${PLAIN[@]}" --raw
expect_out stuffed-opt "+OK fake POP3 ready
+OK
+OK logged in
+OK
Subject: message 2$CR
$CR
..hidden line$CR
.$CR
+OK multi
first$CR
..stuffed$CR
.$CR
+OK bye"
rm -f "$W/mode"

# server text with control characters: shown with '?' for them, no ESC reaches the terminal
echo badstat >"$W/mode"
POP3_PASSWORD=$PW shell badstat 7 $'stat\n' "${PLAIN[@]}" -u alice
expect_out badstat "+OK fake POP3 ready
+OK lots?[31m of mail"
checks=$((checks + 1))
! grep -q $'\x1b' "$W/badstat.out" "$W/badstat.err" "$W/stuffed.out" || fail "an ESC octet reached the output"
rm -f "$W/mode"

# UTF-8: shown with a UTF-8 locale, except C1 controls, bidi overrides, ill-formed sequences
LC_ALL=C.UTF-8 shell utf8 0 $'+xutf8\n' "${PLAIN[@]}"
expect_out utf8 $'+OK fake POP3 ready\n+OK caf\xc3\xa9\ncaf\xc3\xa9\nc1 ?[2J\nbidi ?\noverlong ??\ncut ?\nbad ?\nemoji \xf0\x9f\x93\xa8\n+OK bye'
shell utf8-c 0 $'+xutf8\n' "${PLAIN[@]}"
expect_out utf8-c $'+OK fake POP3 ready\n+OK caf??\ncaf??\nc1 ??[2J\nbidi ???\noverlong ??\ncut ??\nbad ?\nemoji ????\n+OK bye'

# UTF8 (RFC 6856): --utf8 before the login of -u, and typed
echo utf8 >"$W/mode"
POP3_PASSWORD=$PW shell utf8-opt 0 $'stat\n' "${PLAIN[@]}" --utf8 -u alice
expect_cmds utf8-opt 'CAPA
UTF8
USER alice
PASS ***
STAT
QUIT'
shell utf8-typed 0 $'utf8\n' "${PLAIN[@]}"
expect_out utf8-typed "+OK fake POP3 ready
+OK UTF8 enabled
+OK bye"
rm -f "$W/mode"

# ---- ranges as in one-shot runs: a STAT (not shown), one command per message -------------
echo split >"$W/mode"
POP3_PASSWORD=$PW shell range 0 $'retr 2-3\nlist 1-3\nuidl all\ntop 1-2 0\nlist all\n' "${PLAIN[@]}" -u alice
expect_out range "+OK fake POP3 ready
+OK
Subject: message 2

body line 1 of 2
body line 2 of 2
+OK
Subject: message 3

body line 1 of 3
body line 2 of 3
+OK 1 101
+OK 2 102
+OK 3 103
+OK
1 uid-1
2 uid-2
3 uid-3
.
+OK
Subject: message 1

+OK
Subject: message 2

+OK
1 101
2 102
3 103
.
+OK bye"
expect_cmds range 'CAPA
USER alice
PASS ***
STAT
RETR 2
RETR 3
STAT
LIST 1
LIST 2
LIST 3
UIDL
STAT
TOP 1 0
TOP 2 0
LIST
QUIT'
rm -f "$W/mode"
# past the last message or malformed: refused, nothing of it sent; numbers of deleted
# messages count (STAT leaves them out); a DELE range stops at its first -ERR, others go on
POP3_PASSWORD=$PW shell range-refused 0 $'retr 2-4\nretr 3-1\ntop 1-2\nlist all 2\ndele 2\ndele all\nrset\ndele 1\nretr all\nnoop\n' \
  "${PLAIN[@]}" -u alice
expect_out range-refused "+OK fake POP3 ready
+OK deleted
+OK deleted
-ERR no such message
+OK
+OK deleted
-ERR no such message
+OK
Subject: message 2

body line 1 of 2
body line 2 of 2
+OK
Subject: message 3

body line 1 of 3
body line 2 of 3
+OK
+OK bye"
expect_err range-refused "^pop3-cli: retr 2-4: the mailbox has 3 messages \\(1-3\\); no command was run"
expect_err range-refused "^pop3-cli: retr: invalid range '3-1'"
expect_err range-refused '^pop3-cli: TOP: usage: top FIRST-LAST LINES'
expect_err range-refused '^pop3-cli: LIST: usage: list \[N\]'
expect_err range-refused '^pop3-cli: DELE 2: the rest of the range \(1 more\) was not sent'
expect_cmds range-refused 'CAPA
USER alice
PASS ***
STAT
DELE 2
STAT
DELE 1
DELE 2
RSET
DELE 1
STAT
RETR 1
RETR 2
RETR 3
NOOP
QUIT'
# the mailbox empty: "all" runs nothing
echo 0 >"$W/mailbox"
POP3_PASSWORD=$PW shell range-empty 0 $'retr all\n' "${PLAIN[@]}" -u alice
expect_err range-empty '^pop3-cli: retr all: the mailbox is empty'
expect_cmds range-empty 'CAPA
USER alice
PASS ***
STAT
QUIT'
echo 3 >"$W/mailbox"
rm -f "$W/mode"

# ---- unknown commands: as typed, one line; +CMD multi-line; !CMD for odd arguments -------
shell unknown 0 $'xsingle with args\n  XYZZY  1\n!LIST 1 2\n+xmulti\nnoop\n' "${PLAIN[@]}"
expect_out unknown "+OK fake POP3 ready
+OK single line reply
-ERR unexpected
-ERR unexpected
+OK multi
first
.stuffed
+OK bye"
expect_cmds unknown 'CAPA
xsingle with args
  XYZZY  1
LIST 1 2
xmulti
QUIT'
expect_err unknown '^pop3-cli: NOOP: .*not logged in'

# ---- typed USER/PASS with -v: the password in no trace, no output -------------------------
shell pass 0 "user alice${CR}
pass $PW${CR}
stat
" "${PLAIN[@]}" -v
expect_out pass "+OK fake POP3 ready
+OK
+OK logged in
+OK 3 306
+OK bye"
no_secret pass
expect_err pass '^C: PASS \*\*\*$'
expect_err pass '^C: USER alice$'
expect_cmds pass 'CAPA
USER alice
PASS ***
STAT
QUIT'
# wrong password: -ERR shown, the session goes on (USER again), exit 0
shell pass-wrong 0 $'user alice\npass nope\nstat\nuser alice\npass '"$PW"$'\nstat\n' "${PLAIN[@]}"
expect_out pass-wrong "+OK fake POP3 ready
+OK
-ERR [AUTH] wrong password
+OK
+OK logged in
+OK 3 306
+OK bye"
expect_err pass-wrong '^pop3-cli: STAT: .*not logged in'
no_secret pass-wrong
# PASS alone, not at a terminal: $POP3_PASSWORD, else a message and nothing sent
POP3_PASSWORD=$PW shell pass-env 0 $'user alice\npass\nstat\n' "${PLAIN[@]}" -v
expect_out pass-env "+OK fake POP3 ready
+OK
+OK logged in
+OK 3 306
+OK bye"
no_secret pass-env
shell pass-none 0 $'user alice\npass\n' "${PLAIN[@]}"
expect_err pass-none 'POP3_PASSWORD'
expect_cmds pass-none 'CAPA
USER alice
QUIT'
shell pass-first 0 $'pass\n' "${PLAIN[@]}"
expect_err pass-first '^pop3-cli: PASS: type USER NAME first'
# without --allow-plaintext-login: refused before sending, with the way out
shell pass-plain 0 $'user alice\n' -H 127.0.0.1 -p "$PORT" --plain
expect_err pass-plain '^pop3-cli: USER: .*STLS'
expect_cmds pass-plain 'CAPA
QUIT'
# AUTH PLAIN typed: the secret from $POP3_PASSWORD reached the server, not the trace
POP3_PASSWORD=$PW shell auth 0 $'auth plain alice\nstat\n' "${PLAIN[@]}" -v
expect_out auth "+OK fake POP3 ready
+OK logged in
+OK 3 306
+OK bye"
checks=$((checks + 1))
[ "$(cat "$W/secret-$(conns)")" = "$PW" ] || fail "auth: the server got another secret"
no_secret auth
checks=$((checks + 1))
! grep -qF -e "$(printf '\0alice\0%s' "$PW" | base64 -w0)" "$W/auth.err" "$W/auth.out" ||
  fail "auth: the initial response is in the trace"
expect_err auth '^C: AUTH PLAIN'


# AUTH SCRAM-SHA-256 typed: its continuations ("+ " lines) shown as they come, then +OK
POP3_PASSWORD=$PW shell scram 0 $'auth scram-sha-256 alice\nstat\n' "${PLAIN[@]}"
checks=$((checks + 1))
[ "$(grep -c '^+ ' "$W/scram.out")" = 2 ] && grep -qx '+OK logged in' "$W/scram.out" ||
  fail "scram: not two continuations then +OK: $(cat "$W/scram.out")"
checks=$((checks + 1))
[ -s "$W/nonce-$(conns)" ] || fail "scram: the server did not check a proof"
no_secret scram
# APOP typed (RFC 1939 sec. 7): the server checks MD5(timestamp + secret); the secret from
# $POP3_PASSWORD, in neither the -v trace nor stdout/stderr; a wrong one gets -ERR, the
# session goes on; without a timestamp in the greeting nothing is sent
echo apop >"$W/mode"
POP3_PASSWORD=$PW shell apop 0 $'apop alice\nstat\n' "${PLAIN[@]}" -v
checks=$((checks + 1))
grep -qE '^\+OK fake POP3 ready <[0-9]+\.[0-9a-f]+@fake\.invalid>$' "$W/apop.out" ||
  fail "apop: no timestamp greeting: $(head -n 1 "$W/apop.out")"
checks=$((checks + 1))
[ "$(tail -n +2 "$W/apop.out")" = $'+OK logged in\n+OK 3 306\n+OK bye' ] ||
  fail "apop: stdout is: $(cat "$W/apop.out")"
no_secret apop
expect_err apop '^C: APOP alice \*\*\*$'
checks=$((checks + 1))
grep -qE '^APOP alice [0-9a-f]{32}$' "$W/cmds-$(conns)" || fail "apop: no digest sent: $(cat "$W/cmds-$(conns)")"
POP3_PASSWORD="not-$PW" shell apop-wrong 0 $'apop alice\nstat\n' "${PLAIN[@]}" -v
checks=$((checks + 1))
[ "$(tail -n +2 "$W/apop-wrong.out")" = $'-ERR [AUTH] wrong digest\n+OK bye' ] ||
  fail "apop-wrong: stdout is: $(cat "$W/apop-wrong.out")"
expect_err apop-wrong '^pop3-cli: STAT: .*not logged in'
checks=$((checks + 1))
! grep -qF -e "not-$PW" "$W/apop-wrong.out" "$W/apop-wrong.err" || fail "apop-wrong: the secret appears in the output"
rm -f "$W/mode"
POP3_PASSWORD=$PW shell apop-nostamp 0 $'apop alice\n' "${PLAIN[@]}"
expect_err apop-nostamp 'APOP'
expect_cmds apop-nostamp 'CAPA
QUIT'

# the login of -u refused: reported as in a one-shot run (exit 5), QUIT, no command read
POP3_PASSWORD=not-it shell login-refused 5 $'stat\n' "${PLAIN[@]}" -u alice
expect_err login-refused '^pop3-cli: login failed: server said: -ERR \[AUTH\] wrong password'
expect_cmds login-refused 'CAPA
USER alice
PASS ***
QUIT'

# ---- STLS typed in a --plain session, answered with injected bytes: refused --------------
echo stls-inject >"$W/mode"
shell stls 7 $'capa\nstls\ncapa\nuser alice\n' "${PLAIN[@]}"
expect_err stls 'protocol'
expect_cmds stls 'CAPA
CAPA
STLS'
rm -f "$W/mode"

# STLS typed and done: a fresh CAPA (shown), then the login needs no --allow-plaintext-login
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
     -addext "subjectAltName=IP:127.0.0.1" -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null &&
   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
     -addext "subjectAltName=IP:127.0.0.1" -keyout "$W/other.key" -out "$W/other.pem" 2>/dev/null; then
  echo stls-tls >"$W/mode"
  TLSPLAIN=(-H 127.0.0.1 -p "$PORT" --plain --timeout 5000)
  shell stls-ok 0 $'stls\ncapa\nuser alice\npass '"$PW"$'\nstat\nstls\n' "${TLSPLAIN[@]}" --cafile "$W/cert.pem"
  expect_out stls-ok "+OK fake POP3 ready
+OK Begin TLS
+OK
UIDL
TOP
RESP-CODES
IMPLEMENTATION fake \"pop3\" \\o/
USER
SASL PLAIN SCRAM-SHA-256 XOAUTH2 OAUTHBEARER
LOGIN-DELAY 900
PIPELINING
.
+OK
UIDL
TOP
RESP-CODES
IMPLEMENTATION fake \"pop3\" \\o/
USER
SASL PLAIN SCRAM-SHA-256 XOAUTH2 OAUTHBEARER
LOGIN-DELAY 900
PIPELINING
.
+OK
+OK logged in
+OK 3 306
+OK bye"
  expect_err stls-ok '^pop3-cli: STLS: .*once, before the login'
  expect_cmds stls-ok 'CAPA
STLS
TLS
CAPA
CAPA
USER alice
PASS ***
STAT
QUIT'
  no_secret stls-ok
  # a certificate from another CA: exit 4, nothing sent in clear after STLS
  shell stls-badcert 4 $'stls\nuser alice\n' "${TLSPLAIN[@]}" --cafile "$W/other.pem"
  expect_err stls-badcert 'STLS failed: .*certificate'
  expect_cmds stls-badcert 'CAPA
STLS'
  # --insecure (accepted with --plain in the shell, for STLS): the same CA mismatch goes through
  shell stls-insecure 0 $'stls\nnoop\n' "${TLSPLAIN[@]}" --cafile "$W/other.pem" --insecure
  expect_err stls-insecure 'WARNING: --insecure'
  expect_err stls-insecure '^pop3-cli: NOOP: .*not logged in'
  rm -f "$W/mode"
else
  fail "openssl could not make the test certificates"
fi

# ---- end of input: QUIT; a partial last line still runs ----------------------------------
export POP3_PASSWORD=$PW
shell eof 0 'stat' "${PLAIN[@]}" -u alice
expect_out eof "+OK fake POP3 ready
+OK 3 306
+OK bye"
expect_cmds eof 'CAPA
USER alice
PASS ***
STAT
QUIT'
# ---- a lost connection: during a command (exit 3, the rest not sent) and while idle ------
shell lost 3 $'stat\nxbye\nstat\n' "${PLAIN[@]}" -u alice
expect_err lost 'XBYE failed: .*closed'
expect_cmds lost 'CAPA
USER alice
PASS ***
STAT
xbye'
echo close-idle >"$W/mode"
checks=$((checks + 1))
(printf 'stat\n'; sleep 1.5; printf 'stat\n') | timeout 60 "${WRAP[@]}" "$CLI" "${PLAIN[@]}" -u alice \
  >"$W/idle.out" 2>"$W/idle.err"
rc=$?
[ "$rc" = 3 ] || fail "idle: exit $rc, want 3 -- $(cat "$W/idle.err")"
expect_err idle 'while waiting for a command'
rm -f "$W/mode"
# ---- local refusals: nothing sent ---------------------------------------------------------
shell local 0 $'retr\ntop 1\nlist x\n.raw maybe\n.nope\nutf8\n' "${PLAIN[@]}" -u alice
expect_err local '^pop3-cli: RETR: usage: retr N'
expect_err local '^pop3-cli: TOP: usage: top N LINES'
expect_err local '^pop3-cli: LIST: usage: list \[N\]'
expect_err local '^pop3-cli: \.raw: on or off'
expect_err local 'unknown directive'
expect_err local '^pop3-cli: UTF8: .*does not advertise'
expect_cmds local 'CAPA
USER alice
PASS ***
QUIT'
unset POP3_PASSWORD
# usage errors of the shell's options: exit 2, no connection
for args in "--raw stat" "--json" "shell stat"; do
  before=$(conns)
  # shellcheck disable=SC2086
  shell "usage-${args// /_}" 2 '' "${PLAIN[@]}" $args
  checks=$((checks + 1))
  [ "$(conns)" = "$before" ] || fail "usage $args: connected"
done
# --help shows the shell and examples
checks=$((checks + 1))
"$CLI" --help | grep -q '^Examples:' || fail "--help has no examples"
checks=$((checks + 1))
"$CLI" --help | grep -q 'raw on|off' || fail "--help does not describe the shell"

checks=$((checks + 1))
! grep -l BARE-LF "$W"/cmds-* || fail "a command line went out without CRLF"

echo "cli_shell: $checks checks, $fails failed"
[ "$fails" = 0 ]
