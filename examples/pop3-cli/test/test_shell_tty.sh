#!/usr/bin/env bash
# pop3-cli's interactive session in a real terminal (ctest: cli_shell_tty).
#
#   test_shell_tty.sh CLI WORKDIR
#
# pop3-cli runs in a tmux pane (a private tmux server on its own socket, killed at
# the end) against fake_pop3.py in "split" mode (each multi-line reply in four pieces,
# 0.15 s apart). Keys are typed with `tmux send-keys`, the screen is read with
# `tmux capture-pane -p`. Checked: the prompt comes back only after a multi-line
# reply ended (never inside or before it); PASS alone asks without echo and the
# password never appears on the screen, while the next command is echoed again;
# Ctrl-D sends QUIT and exits 0; -u with no other password source asks at the
# terminal without echo; so does APOP NAME typed alone (the server checks the digest). Exit: 0 pass, 1 fail, 77 tmux missing (skipped).
set -uo pipefail
CLI=${1:?usage: test_shell_tty.sh CLI WORKDIR}
W=${2:?usage: test_shell_tty.sh CLI WORKDIR}
here=$(cd "$(dirname "$0")" && pwd -P)
if ! command -v tmux >/dev/null 2>&1; then
  echo "SKIP: tmux is not installed (bash test/install-deps.sh)"
  exit 77
fi
# shellcheck source=fake_env.sh
. "$here/fake_env.sh"
PW="pw-$RANDOM$RANDOM"
printf '%s' "$PW" >"$W/password"
echo 3 >"$W/mailbox"
echo split >"$W/mode"
# A short socket path of our own (sun_path is 108 octets; the build dir may be deep).
TD=$(mktemp -d /tmp/pop3-cli-tty.XXXXXX)
T=(tmux -S "$TD/sock" -f /dev/null)
trap '"${T[@]}" kill-server 2>/dev/null; rm -rf "$TD"; kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null' EXIT
PLAIN="-H 127.0.0.1 -p $PORT --plain --allow-plaintext-login --timeout 5000"

screen() { "${T[@]}" capture-pane -p -t "$1"; }
wait_for() { # PANE REGEX [SECONDS]: until the screen matches
  local i
  for i in $(seq 1 $((${3:-10} * 20))); do
    screen "$1" | grep -qE -e "$2" && return 0
    sleep 0.05
  done
  fail "$1: the screen never matched /$2/:
$(screen "$1")"
  return 1
}
prompts() { screen "$1" | grep -c '^pop3>'; }
wait_prompts() { # PANE N: until N prompts are on the screen, the last one on the last line
  local i
  for _ in $(seq 1 200); do
    [ "$(prompts "$1")" -ge "$2" ] && [ "$(screen "$1" | grep . | tail -n 1)" = "pop3>" ] && return 0
    sleep 0.05
  done
  fail "$1: prompt $2 never came:
$(screen "$1")"
}
type_line() { "${T[@]}" send-keys -t "$1" -l "$2"; "${T[@]}" send-keys -t "$1" Enter; }
start() { # NAME COMMAND...: a pane of 100x40 running COMMAND, then "EXIT=status"
  local name=$1
  shift
  "${T[@]}" new-session -d -s "$name" -x 100 -y 40 \
    "env -u POP3_PASSWORD -u POP3_OAUTH2_TOKEN TERM=xterm $*; echo EXIT=\$?; sleep 600"
}

# ---- the shell: prompt after the reply, PASS without echo, Ctrl-D ------------------------
checks=$((checks + 1))
start sh "${POP3_CLI_WRAPPER:-}" "$CLI" "$PLAIN"
wait_prompts sh 1
screen sh | head -n 1 | grep -qx '+OK fake POP3 ready' || fail "sh: no greeting first: $(screen sh)"
type_line sh "user alice"
wait_prompts sh 2
type_line sh "pass"
wait_for sh '^Password for alice:'
"${T[@]}" send-keys -t sh -l "$PW"
sleep 0.2
checks=$((checks + 1))
! screen sh | grep -qF -e "$PW" || fail "sh: the password is echoed while typed"
"${T[@]}" send-keys -t sh Enter
wait_for sh '^\+OK logged in'
wait_prompts sh 3
type_line sh "list"
sleep 0.1 # inside the reply (it takes 0.45 s): the prompt must not be back
checks=$((checks + 1))
[ "$(prompts sh)" = 3 ] || fail "sh: a prompt came back inside the LIST reply:
$(screen sh)"
wait_prompts sh 4
type_line sh "retr 2"
wait_prompts sh 5
checks=$((checks + 1))
got=$(screen sh | grep . | tail -n 17)
want="pop3> user alice
+OK
pop3> pass
Password for alice:
+OK logged in
pop3> list
+OK
1 101
2 102
3 103
.
pop3> retr 2
+OK
Subject: message 2
body line 1 of 2
body line 2 of 2
pop3>"
# (the blank line of the message is dropped by `grep .`; capture-pane drops trailing blanks)
[ "$got" = "$want" ] || fail "sh: the screen is:
$got
--- want:
$want"
checks=$((checks + 1))
! screen sh | grep -qF -e "$PW" || fail "sh: the password appears on the screen"
"${T[@]}" send-keys -t sh C-d
wait_for sh '^EXIT=0$'
checks=$((checks + 1))
[ "$(tail -n 1 "$W/cmds-$(conns)")" = QUIT ] || fail "sh: Ctrl-D did not send QUIT: $(cat "$W/cmds-$(conns)")"
checks=$((checks + 1))
! grep -q EARLY "$W/cmds-$(conns)" || fail "sh: a command was sent before a multi-line reply ended"

# ---- -u with no POP3_PASSWORD/--pass-file at a terminal: asked without echo ----------------
start once "${POP3_CLI_WRAPPER:-}" "$CLI" "$PLAIN" -u alice stat
wait_for once '^Password for alice:'
"${T[@]}" send-keys -t once -l "$PW"
"${T[@]}" send-keys -t once Enter
wait_for once '^EXIT=0$'
checks=$((checks + 1))
screen once | grep -qx '3 306' || fail "once: no STAT result: $(screen once)"
checks=$((checks + 1))
! screen once | grep -qF -e "$PW" || fail "once: the password appears on the screen"
# Ctrl-D at the password prompt: nothing typed, no login, exit 2 (no connection made)
before=$(conns)
start cancel "${POP3_CLI_WRAPPER:-}" "$CLI" "$PLAIN" -u alice stat
wait_for cancel '^Password for alice:'
"${T[@]}" send-keys -t cancel C-d
wait_for cancel '^EXIT=2$'
checks=$((checks + 1))
[ "$(conns)" = "$before" ] || fail "cancel: connected without a password"
# ---- APOP NAME alone in the shell: the secret asked without echo, the digest checked --------
echo apop >"$W/mode"
start apop "${POP3_CLI_WRAPPER:-}" "$CLI" "$PLAIN"
wait_prompts apop 1
type_line apop "apop alice"
wait_for apop '^Password for alice:'
"${T[@]}" send-keys -t apop -l "$PW"
sleep 0.2
checks=$((checks + 1))
! screen apop | grep -qF -e "$PW" || fail "apop: the password is echoed while typed"
"${T[@]}" send-keys -t apop Enter
wait_for apop '^\+OK logged in'
wait_prompts apop 2
type_line apop "stat"
wait_for apop '^\+OK 3 306'
"${T[@]}" send-keys -t apop C-d
wait_for apop '^EXIT=0$'
checks=$((checks + 1))
! screen apop | grep -qF -e "$PW" || fail "apop: the password appears on the screen"
echo "cli_shell_tty: $checks checks, $fails failed"
[ "$fails" = 0 ]
