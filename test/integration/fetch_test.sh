#!/usr/bin/env bash
# pop3-cli fetch --maildir against the test Dovecot (user carol, reseeded by
# dovecot.sh reseed-carol: 6 messages). ctest integration.fetch.
#
#   fetch_test.sh CLI HOOKS_CLI FIXTURE_DIR WORK_DIR
#
# $POP3_CLI_WRAPPER (e.g. valgrind) runs every CLI except the killed ones;
# POP3_FETCH_QUICK=1 (valgrind.fetch) kills and cuts at message 5 only.
# HOOKS_CLI is the same program built with the crash points of cli_fetch.c
# (POP3_CLI_TEST_CRASH=STAGE:K kills it with SIGKILL there).
# Checks: first run fetches all (files = what the server holds, CRLF -> LF),
# second run nothing, a new message only it; --keep keeps, delete empties the
# server; pipelined unless --no-pipelining; a SIGKILL at every stage of every
# message, then a rerun: no loss, no duplicate, no partial file; the connection
# cut (cut_proxy.py) in and after every message: nothing deleted, a rerun
# completes; a full disk (tmpfs in a private mount
# namespace): exit 10, nothing partial in new/, nothing deleted, and a rerun
# with room completes; progress only on a terminal; refusals (not a Maildir,
# a second run holding the lock, --state of another account).
set -u
CLI=$1 HOOKS=$2 FIX=$3 W=$4
HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$FIX/env" ] || { echo "no fixture env in $FIX (dovecot.sh start)"; exit 77; }
# shellcheck disable=SC1091
. "$FIX/env"
[ -n "${POP3_CAROL_USER:-}" ] || { echo "fixture has no user carol (restart it)"; exit 1; }
rm -rf "$W"; mkdir -p "$W"; W=$(cd "$W" && pwd -P)
SRV=$POP3_DIR/mail/carol
export POP3_PASSWORD=$POP3_CAROL_PASSWORD
OPTS=(-H localhost -p "$POP3_PORT" --cafile "$POP3_CAFILE" -u "$POP3_CAROL_USER")
fails=0 checks=0
KS="1 2 3 4 5 6"; [ "${POP3_FETCH_QUICK:-0}" = 1 ] && KS=5
read -r -a WRAP <<<"${POP3_CLI_WRAPPER:-}"
fail() { fails=$((fails + 1)); printf 'FAIL: %s\n' "$*" >&2; }
check() { checks=$((checks + 1)); }

# Content hashes, one per line, sorted: Maildir files as stored; the server's
# files (CRLF on disk, as RETR sends them) with CRLF made LF as fetch stores them.
md_hashes() { local f; for f in "$1"/*; do [ -f "$f" ] && md5sum <"$f" | cut -c1-32; done | sort; }
srv_hashes() {
  local f; for f in "$SRV"/cur/* "$SRV"/new/*; do
    [ -f "$f" ] && sed 's/\r$//' "$f" | md5sum | cut -c1-32
  done | sort
}
reseed() { bash "$HERE/dovecot.sh" reseed-carol "$FIX" || { echo "reseed failed"; exit 1; }; }
fetch() { "${WRAP[@]}" "$CLI" "${OPTS[@]}" fetch --maildir "$@"; }

reseed
srv_hashes >"$W/expected"
[ "$(wc -l <"$W/expected")" -eq 6 ] && [ "$(sort -u "$W/expected" | wc -l)" -eq 6 ] ||
  { echo "carol's mailbox is not 6 distinct messages"; exit 1; }

# ---- first run, second run, a new message, --keep ----------------------------
MD=$W/keep
out=$(fetch "$MD" --keep 2>"$W/err1"); rc=$?
check; [ "$rc" -eq 0 ] || fail "first --keep run: exit $rc: $(cat "$W/err1")"
check; [ "$(md_hashes "$MD/new")" = "$(cat "$W/expected")" ] || fail "first run: new/ is not the server's 6 messages"
check; case $out in *"6 new messages"*"kept on the server"*) ;; *) fail "first run summary: $out" ;; esac
check; [ ! -s "$W/err1" ] || fail "stderr not a terminal, yet output: $(cat "$W/err1")"
check; [ "$(srv_hashes)" = "$(cat "$W/expected")" ] || fail "--keep: the server lost messages"
out=$(fetch "$MD" --keep 2>&1); rc=$?
check; [ "$rc" -eq 0 ] && case $out in *"0 new messages"*) true ;; *) false ;; esac ||
  fail "second run fetched again (exit $rc): $out"
check; [ "$(ls "$MD/new" | wc -l)" -eq 6 ] || fail "second run: new/ changed"
# A new message arrives (delivered into carol's new/, as an MDA would).
printf 'From: x@example.org\r\nSubject: fresh\r\nMessage-ID: <fresh@x>\r\n\r\nfresh mail\r\n' >"$W/fresh"
cp "$W/fresh" "$SRV/new/1800000000.fresh.pop3test"; chown dovecot:dovecot "$SRV/new/1800000000.fresh.pop3test"
before=$(ls "$MD/new")
out=$(fetch "$MD" --keep 2>&1); rc=$?
new=$(comm -13 <(printf '%s\n' "$before") <(ls "$MD/new"))
check; [ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$new" | grep -c .)" -eq 1 ] &&
  cmp -s <(sed 's/\r$//' "$W/fresh") "$MD/new/$new" || fail "new mail: not exactly the new message fetched ($out)"
# --keep off: what was stored is deleted, nothing fetched again; the server is empty after.
out=$(fetch "$MD" 2>&1); rc=$?
check; [ "$rc" -eq 0 ] && case $out in *"0 new messages"*"7 deleted"*) true ;; *) false ;; esac ||
  fail "delete run after --keep runs (exit $rc): $out"
check; [ -z "$(srv_hashes)" ] || fail "delete run: the server still has messages"
check; [ "$(ls "$MD/new" | wc -l)" -eq 7 ] || fail "delete run: new/ changed"
check; [ "$(grep -c . "$MD/pop3-cli-uidl.carol@localhost:$POP3_PORT")" -eq 9 ] || fail "state: 2 header lines + 7 UIDs expected"
out=$(fetch "$MD" 2>&1); rc=$?
check; [ "$(grep -c . "$MD/pop3-cli-uidl.carol@localhost:$POP3_PORT")" -eq 2 ] || fail "state keeps UIDs the server no longer has"

# ---- delete mode from scratch -------------------------------------------------
reseed
MD=$W/dele
out=$(fetch "$MD" 2>&1); rc=$?
check; [ "$rc" -eq 0 ] && case $out in *"6 new messages"*"6 deleted"*) true ;; *) false ;; esac ||
  fail "delete run (exit $rc): $out"
check; [ "$(md_hashes "$MD/new")" = "$(cat "$W/expected")" ] && [ -z "$(srv_hashes)" ] ||
  fail "delete run: the Maildir and the server do not add up"

# ---- pipelined: RETR 2 goes out before RETR 1 is answered (not with --no-pipelining)
retr2_before_reply() { # trace file: true if "C: RETR 2" precedes the first RETR reply
  awk '/C: RETR 2$/ { print "early"; exit } /S: \+OK [0-9]+ octets/ { exit }' "$1" | grep -q early
}
for p in pipe nopipe; do
  reseed
  extra=(); [ "$p" = pipe ] || extra=(--no-pipelining)
  fetch "$W/$p" -v "${extra[@]}" >/dev/null 2>"$W/$p.trace"; rc=$?
  check; [ "$rc" -eq 0 ] && [ "$(md_hashes "$W/$p/new")" = "$(cat "$W/expected")" ] || fail "$p run: exit $rc"
  check; if [ "$p" = pipe ]; then retr2_before_reply "$W/$p.trace" || fail "RETRs not pipelined"
         else ! retr2_before_reply "$W/$p.trace" || fail "--no-pipelining: RETRs pipelined"; fi
done

# ---- SIGKILL at every stage of every message, then a rerun ---------------------
# Right after a kill: every message is on the server or in new/ (no loss), new/
# holds no partial file and no message twice. After a normal rerun: new/ holds
# each message exactly once, tmp/ is empty, the server is empty.
agree_after_kill() { # label
  local l=$1 got
  got=$(md_hashes "$MD/new")
  check; [ -z "$(comm -23 "$W/expected" <(printf '%s\n' "$got" | cat - <(srv_hashes) | grep . | sort -u))" ] ||
    fail "$l: a message is neither on the server nor in new/"
  check; [ -z "$(printf '%s\n' "$got" | grep . | sort | uniq -d)" ] || fail "$l: a message twice in new/"
  check; [ -z "$(comm -13 "$W/expected" <(printf '%s\n' "$got" | grep . | sort -u))" ] ||
    fail "$l: new/ holds a file that is no message (partial?)"
}
for stage in body stored recorded deleted; do
  for k in $KS; do
    reseed
    MD=$W/kill-$stage-$k
    # (an inner shell, so that its "Killed" notice goes to /dev/null too)
    POP3_CLI_TEST_CRASH=$stage:$k bash -c '"$@"; exit $?' _ "$HOOKS" "${OPTS[@]}" fetch --maildir "$MD" \
      >/dev/null 2>&1; rc=$?
    check; [ "$rc" -eq 137 ] || { fail "$stage:$k: the crash point was not reached (exit $rc)"; continue; }
    agree_after_kill "killed at $stage:$k"
    out=$(fetch "$MD" 2>&1); rc=$?
    check; [ "$rc" -eq 0 ] || fail "rerun after $stage:$k: exit $rc: $out"
    check; [ "$(md_hashes "$MD/new")" = "$(cat "$W/expected")" ] ||
      fail "rerun after $stage:$k: new/ is not each message once"
    check; [ -z "$(ls -A "$MD/tmp")" ] || fail "rerun after $stage:$k: tmp/ not empty"
    check; [ -z "$(srv_hashes)" ] || fail "rerun after $stage:$k: the server still has messages"
  done
done

# ---- the connection lost inside and between messages (cut_proxy.py) ------------
# Plaintext through the relay, so that cuts fall at known places: in each RETR
# status line, in the middle of each body, right after each body. After a cut:
# exit 3, nothing deleted on the server (no QUIT), new/ holds whole messages
# only; a rerun through the relay without a cut completes. (All on one relay
# port: host and port are part of the account.)
PLAINOPTS=(-H localhost --plain --allow-plaintext-login -u "$POP3_CAROL_USER")
PXPORT=0
proxy_fetch() { # LIMIT MAILDIR LOG
  local px rc
  rm -f "$W/pport"
  python3 "$HERE/cut_proxy.py" "$PXPORT" "$W/pport" "$POP3_PORT" "$1" "$3" & px=$!
  for _ in $(seq 1 200); do [ -s "$W/pport" ] && break; sleep 0.02; done
  "${WRAP[@]}" "$CLI" "${PLAINOPTS[@]}" -p "$(cat "$W/pport")" fetch --maildir "$2" >"$W/cut.out" 2>"$W/cut.err"
  rc=$?
  wait "$px"
  PXPORT=$(cat "$W/pport")
  return "$rc"
}
reseed
proxy_fetch 0 "$W/cut-all" "$W/stream"; rc=$?
check; [ "$rc" -eq 0 ] && [ "$(md_hashes "$W/cut-all/new")" = "$(cat "$W/expected")" ] ||
  fail "fetch through the relay: exit $rc: $(cat "$W/cut.err")"
python3 - "$W/stream" >"$W/cuts" <<'PY'
import re, sys
s = open(sys.argv[1], "rb").read()
for m in re.finditer(rb"\+OK (\d+) octets\r\n", s):
    end = s.index(b"\r\n.\r\n", m.end() - 2) + 5
    print(m.start() + 3, (m.end() + end) // 2, end)
PY
check; [ "$(wc -l <"$W/cuts")" -eq 6 ] || fail "relay stream: $(wc -l <"$W/cuts") RETR replies found, want 6"
cuts=$(cat "$W/cuts"); [ "${POP3_FETCH_QUICK:-0}" = 1 ] && cuts=$(sed -n 5p "$W/cuts")
for cut in $cuts; do
  reseed
  MD=$W/cut-$cut
  proxy_fetch "$cut" "$MD" /dev/null; rc=$?
  check; [ "$rc" -eq 3 ] || fail "cut at $cut: exit $rc, want 3: $(cat "$W/cut.err")"
  check; [ "$(srv_hashes)" = "$(cat "$W/expected")" ] || fail "cut at $cut: the server deleted without QUIT"
  agree_after_kill "cut at $cut"
  check; [ -z "$(ls -A "$MD/tmp")" ] || fail "cut at $cut: a partial file left in tmp/"
  proxy_fetch 0 "$MD" /dev/null; rc=$?
  check; [ "$rc" -eq 0 ] && [ "$(md_hashes "$MD/new")" = "$(cat "$W/expected")" ] && [ -z "$(srv_hashes)" ] ||
    fail "rerun after the cut at $cut: exit $rc: $(cat "$W/cut.out" "$W/cut.err")"
done

# ---- a full disk ----------------------------------------------------------------
# tmpfs of 64 KiB: the four small messages fit, the 256 KiB one does not.
reseed
cat >"$W/disk.sh" <<'EOF'
set -u
mkdir -p "$W/small"
mount -t tmpfs -o size=64k tmpfs "$W/small" || exit 77
MD=$W/small/Maildir
"${WRAP[@]}" "$CLI" "${OPTS[@]}" fetch --maildir "$MD" >"$W/disk.out" 2>"$W/disk.err"; echo $? >"$W/disk.rc"
md_hashes "$MD/new" >"$W/disk.new1"; ls -A "$MD/tmp" >"$W/disk.tmp1"; srv_hashes >"$W/disk.srv1"
mount -o remount,size=4m "$W/small"
"${WRAP[@]}" "$CLI" "${OPTS[@]}" fetch --maildir "$MD" >"$W/disk.out2" 2>&1; echo $? >"$W/disk.rc2"
md_hashes "$MD/new" >"$W/disk.new2"; srv_hashes >"$W/disk.srv2"
umount "$W/small"
EOF
export W CLI SRV POP3_PASSWORD
export -f md_hashes srv_hashes
OPTS_STR=$(printf '%q ' "${OPTS[@]}")
WRAP_STR=""
[ "${#WRAP[@]}" -eq 0 ] || WRAP_STR=$(printf '%q ' "${WRAP[@]}")
unshare -m bash -c "OPTS=($OPTS_STR); WRAP=($WRAP_STR); . '$W/disk.sh'"; rc=$?
if [ "$rc" -eq 77 ] || [ ! -f "$W/disk.rc" ]; then
  fail "full disk: could not mount a tmpfs in a private mount namespace"
else
  check; [ "$(cat "$W/disk.rc")" -eq 10 ] && grep -q "No space left on device" "$W/disk.err" ||
    fail "full disk: exit $(cat "$W/disk.rc"), stderr: $(cat "$W/disk.err")"
  check; grep -q "nothing is deleted on the server" "$W/disk.err" || fail "full disk: message does not say nothing was deleted"
  check; [ -s "$W/disk.new1" ] && [ -z "$(comm -13 "$W/expected" "$W/disk.new1")" ] ||
    fail "full disk: new/ empty or holds a partial file"
  check; [ ! -s "$W/disk.tmp1" ] || fail "full disk: tmp/ not cleaned: $(cat "$W/disk.tmp1")"
  check; cmp -s "$W/expected" "$W/disk.srv1" || fail "full disk: something was deleted on the server"
  check; [ "$(cat "$W/disk.rc2")" -eq 0 ] && cmp -s "$W/expected" "$W/disk.new2" && [ ! -s "$W/disk.srv2" ] ||
    fail "full disk, rerun with room: exit $(cat "$W/disk.rc2"): $(cat "$W/disk.out2")"
fi

# ---- progress on a terminal ---------------------------------------------------
reseed
MD=$W/tty
script -qfec "$(printf '%q ' "$CLI" "${OPTS[@]}" fetch --keep --maildir "$MD")" /dev/null >"$W/tty.out" 2>&1
check; grep -q $'\rpop3-cli fetch: 6/6 messages, .*/s\e\[K' "$W/tty.out" ||
  fail "no progress line on a terminal: $(od -c "$W/tty.out" | head -5)"

# ---- refusals -------------------------------------------------------------------
mkdir -p "$W/notmd"; : >"$W/notmd/file"
out=$(fetch "$W/notmd" 2>&1); rc=$?
check; [ "$rc" -eq 10 ] && case $out in *"is not a Maildir"*) true ;; *) false ;; esac ||
  fail "a directory that is not a Maildir: exit $rc: $out"
# A second run for the account while one holds the lock (python holds it as fetch does).
python3 -c 'import fcntl,sys,time; f=open(sys.argv[1],"a"); fcntl.lockf(f,fcntl.LOCK_EX); open(sys.argv[2],"w").close(); time.sleep(5)' \
  "$MD/pop3-cli-uidl.carol@localhost:$POP3_PORT.lock" "$W/locked" & lk=$!
for _ in $(seq 1 100); do [ -f "$W/locked" ] && break; sleep 0.05; done
out=$(fetch "$MD" 2>&1); rc=$?
kill "$lk" 2>/dev/null; wait "$lk" 2>/dev/null
check; [ "$rc" -eq 10 ] && case $out in *"another pop3-cli fetch"*) true ;; *) false ;; esac ||
  fail "second concurrent run: exit $rc: $out"
out=$("${WRAP[@]}" "$CLI" -H 127.0.0.1 -p "$POP3_PORT" --cafile "$POP3_CAFILE" -u carol fetch --maildir "$MD" \
      --state "$MD/pop3-cli-uidl.carol@localhost:$POP3_PORT" 2>&1); rc=$?
check; [ "$rc" -eq 10 ] && case $out in *"is not for carol@127.0.0.1:$POP3_PORT"*) true ;; *) false ;; esac ||
  fail "--state of another account: exit $rc: $out"

echo "fetch: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
