#!/usr/bin/env bash
# pop3-cli fetch against fake_pop3.py (ctest: cli_fetch); the real-server runs,
# kills and the full disk are in test/integration/fetch_test.sh.
#
#   test_fetch.sh CLI WORKDIR HOOKS_CLI
#
# HOOKS_CLI: the same program built with the crash points of cli_fetch.c
# (pop3-cli-testhooks: POP3_CLI_TEST_CRASH=STAGE:K kills it with SIGKILL there).
#
# - usage errors (exit 2, no connection): fetch without --maildir or --user,
#   fetch with another command, fetch options without fetch;
# - a server without UIDL: refused (exit 6, says --all) before any RETR;
#   --all fetches every message, on every run;
# - the connection lost in the body of message K (K = 1..3): exit 3, the K-1
#   before it stored, no partial file in new/ or tmp/, no QUIT (so no DELE
#   committed); a rerun stores the rest, each message once;
# - UIDs that are not letters and digits (hex in the names), the state file lost
#   (rebuilt from the names), a damaged state file (exit 10, no connection);
# - CRs that end no line (inside, doubled, leading, trailing) stored as they came,
#   each CRLF as LF;
# - RETR K refused: exit 6, no DELE K, no QUIT;
# - --keep killed (SIGKILL) at every stage of every message (body, stored,
#   recorded), then a rerun: each message stored exactly once, no DELE ever sent.
# POP3_CLI_WRAPPER runs every pop3-cli under that command (as test_options.sh).
# Exit: 0 pass, 1 fail.
set -uo pipefail
CLI=${1:?usage: test_fetch.sh CLI WORKDIR HOOKS_CLI}
W=${2:?usage: test_fetch.sh CLI WORKDIR HOOKS_CLI}
HOOKS=${3:?usage: test_fetch.sh CLI WORKDIR HOOKS_CLI}
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=fake_env.sh
. "$here/fake_env.sh"
printf 'pw-%s' "$RANDOM$RANDOM" >"$W/password"
echo 3 >"$W/mailbox"
export POP3_PASSWORD
POP3_PASSWORD=$(cat "$W/password")
LOGIN=(-H 127.0.0.1 -p "$PORT" --plain --allow-plaintext-login --timeout 5000 -u alice)

# What fake_pop3.py's RETR K delivers, as fetch stores it (LF line ends).
msg() { printf 'Subject: message %d\n\nbody line 1 of %d\nbody line 2 of %d\n' "$1" "$1" "$1"; }
# new/ holds exactly messages FIRST..LAST, each once.
holds() { # LABEL DIR FIRST LAST
  local k f n=0 want
  checks=$((checks + 1))
  for k in $(seq "$3" "$4"); do
    want=$(msg "$k" | md5sum)
    n=$((n + 1))
    [ "$(for f in "$2"/new/*; do md5sum <"$f"; done | grep -cxF -- "$want")" = 1 ] ||
      { fail "$1: message $k not exactly once in new/"; return; }
  done
  [ "$(find "$2/new" -type f | wc -l)" = "$n" ] || fail "$1: new/ holds $(ls "$2/new" | wc -l) files, want $n"
  [ -z "$(ls -A "$2/tmp")" ] || fail "$1: tmp/ not empty: $(ls "$2/tmp")"
}

# ---- usage ----------------------------------------------------------------------
usage fetch_nodir "${LOGIN[@]}" fetch
expect_err fetch_nodir "fetch needs --maildir"
usage fetch_nouser -H 127.0.0.1 -p "$PORT" --plain fetch --maildir "$W/x"
expect_err fetch_nouser "needs a login"
usage fetch_more "${LOGIN[@]}" fetch --maildir "$W/x" stat
expect_err fetch_more "fetch runs alone"
usage fetch_after "${LOGIN[@]}" stat fetch --maildir "$W/x"
expect_err fetch_after "fetch runs alone"
usage keep_alone "${LOGIN[@]}" --keep stat
expect_err keep_alone "belong to the fetch command"
usage fetch_json "${LOGIN[@]}" --json fetch --maildir "$W/x"
checks=$((checks + 1)); [ ! -e "$W/x" ] || fail "a usage error created the Maildir"

# ---- no UIDL --------------------------------------------------------------------
echo nouidl >"$W/mode"
run nouidl 6 "${LOGIN[@]}" fetch --maildir "$W/nouidl"
expect_err nouidl "refused UIDL.*--all"
checks=$((checks + 1)); ! last_cmds | grep -q '^RETR' || fail "nouidl: RETR sent without --all"
run nouidl_all 0 "${LOGIN[@]}" fetch --all --keep --maildir "$W/nouidl"
holds nouidl_all "$W/nouidl" 1 3
run nouidl_all2 0 "${LOGIN[@]}" fetch --all --keep --maildir "$W/nouidl"
checks=$((checks + 1)); [ "$(ls "$W/nouidl/new" | wc -l)" = 6 ] || fail "--all: the second run did not fetch all again"
checks=$((checks + 1)); grep -q "3 new messages" "$W/nouidl_all2.out" || fail "--all summary: $(cat "$W/nouidl_all2.out")"

# ---- the connection lost in message K --------------------------------------------
for k in 1 2 3; do
  md=$W/cut-$k
  echo "cut-retr-$k" >"$W/mode"
  run cut$k 3 "${LOGIN[@]}" fetch --maildir "$md"
  if [ "$k" -gt 1 ]; then holds "cut$k" "$md" 1 $((k - 1)); else
    checks=$((checks + 1)); [ -z "$(find "$md/new" "$md/tmp" -type f)" ] || fail "cut1: a file left"
  fi
  checks=$((checks + 1)); ! last_cmds | grep -q '^QUIT' || fail "cut$k: QUIT sent after the connection broke"
  checks=$((checks + 1)); grep -q "none deleted" "$W/cut$k.out" || fail "cut$k summary: $(cat "$W/cut$k.out")"
  : >"$W/mode"
  run cut${k}_rerun 0 "${LOGIN[@]}" fetch --maildir "$md"
  holds "cut${k}_rerun" "$md" 1 3
  checks=$((checks + 1)); [ "$(last_cmds | grep -c '^DELE')" = 3 ] && last_cmds | grep -q '^QUIT' ||
    fail "cut${k}_rerun: not every message deleted: $(last_cmds | tr '\n' ' ')"
done

# ---- UIDs with other octets than letters and digits: hex in the file name ----------
echo quote-uid >"$W/mode"
run quote 0 "${LOGIN[@]}" fetch --keep --maildir "$W/quote"
holds quote "$W/quote" 1 3
checks=$((checks + 1)); [ "$(find "$W/quote/new" -type f -name '*,U=????????x7122315c78' | wc -l)" = 1 ] ||
  fail "quote: no hex-tagged name for UID q\"1\\x: $(ls "$W/quote/new")"
# The state file lost: the names alone keep the next run from storing again.
rm "$W/quote/pop3-cli-uidl.alice@127.0.0.1:$PORT"
run quote2 0 "${LOGIN[@]}" fetch --keep --maildir "$W/quote"
holds quote2 "$W/quote" 1 3
expect_err quote2 "3 messages stored by an interrupted run but not recorded"
checks=$((checks + 1)); [ "$(grep -c . "$W/quote/pop3-cli-uidl.alice@127.0.0.1:$PORT")" = 5 ] ||
  fail "quote2: the state file was not rebuilt"
: >"$W/mode"

# ---- CRs that end no line are kept; each CRLF becomes LF ---------------------------
echo lonecr >"$W/mode"
run lonecr 0 "${LOGIN[@]}" fetch --keep --maildir "$W/lonecr"
checks=$((checks + 1))
f=$(find "$W/lonecr/new" -type f -name '*x7569642d32' | head -n1) # uid-2, hex-tagged
[ -n "$f" ] && cmp -s "$f" <(printf 'Subject: message 2\n\na\rb\ntwo\r\r\n\rlead\nend\r\n') ||
  fail "lonecr: message 2 not stored as CRLF -> LF with its other CRs kept: $(od -c "${f:-/dev/null}" | head -5)"
: >"$W/mode"

# ---- a damaged state file: refused before connecting -----------------------------
printf 'pop3-cli-uidl 1\naccount alice@127.0.0.1:%s\nuid 1 with spaces\n' "$PORT" >"$W/quote/pop3-cli-uidl.alice@127.0.0.1:$PORT"
before=$(conns)
run damaged 10 "${LOGIN[@]}" fetch --keep --maildir "$W/quote"
expect_err damaged "state file .* is damaged .*line 3"
checks=$((checks + 1)); [ "$(conns)" = "$before" ] || fail "damaged: connected with a damaged state file"

# ---- RETR refused -----------------------------------------------------------------
echo "err-retr-2" >"$W/mode"
run err2 6 "${LOGIN[@]}" fetch --maildir "$W/err2"
expect_err err2 "RETR 2 failed: server said: -ERR message 2 is damaged"
holds err2 "$W/err2" 1 1
checks=$((checks + 1)); ! last_cmds | grep -qE '^(DELE 2|QUIT)' || fail "err2: DELE 2 or QUIT sent"
: >"$W/mode"

# ---- --keep killed at every stage of every message, then a rerun ------------------
# The kill comes in the body of message K, after it is stored in new/, or after its
# UID is recorded in the state file; --keep never sends DELE, killed or not (and a
# killed run sends no QUIT, so the fake server, like a real one, commits nothing).
for stage in body stored recorded; do
  for k in 1 2 3; do
    md=$W/keep-$stage-$k
    first=$(($(conns) + 1))
    checks=$((checks + 1))
    # (an inner shell, so that its "Killed" notice goes to /dev/null too)
    POP3_CLI_TEST_CRASH=$stage:$k timeout 60 bash -c '"$@"; exit $?' _ "$HOOKS" "${LOGIN[@]}" fetch --keep \
      --maildir "$md" >/dev/null 2>&1
    rc=$?
    [ "$rc" = 137 ] || { fail "keep $stage:$k: the crash point was not reached (exit $rc)"; continue; }
    checks=$((checks + 1)); ! last_cmds | grep -q '^QUIT' || fail "keep $stage:$k: QUIT sent by the killed run"
    run "keep_${stage}_${k}_rerun" 0 "${LOGIN[@]}" fetch --keep --maildir "$md"
    holds "keep $stage:$k rerun" "$md" 1 3
    checks=$((checks + 1)); last_cmds | grep -q '^QUIT' || fail "keep $stage:$k rerun: no QUIT"
    checks=$((checks + 1))
    for c in $(seq "$first" "$(conns)"); do cat "$W/cmds-$c"; done | grep -q '^DELE' &&
      fail "keep $stage:$k: DELE sent with --keep"
    # the rerun fetched only what the killed run had not stored (a stored file counts, recorded or not)
    if [ "$stage" = body ]; then want=$((4 - k)); else want=$((3 - k)); fi
    checks=$((checks + 1)); [ "$(last_cmds | grep -c '^RETR')" = "$want" ] ||
      fail "keep $stage:$k rerun: $(last_cmds | grep -c '^RETR') RETRs, want $want"
  done
done

echo "cli_fetch: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
