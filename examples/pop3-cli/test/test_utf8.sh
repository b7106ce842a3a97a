#!/usr/bin/env bash
# pop3-cli --utf8 (RFC 6856) against fake_pop3.py on 127.0.0.1 (ctest: cli_utf8).
#
#   test_utf8.sh CLI WORKDIR
#
# - server advertises UTF8: UTF8 is sent once, after CAPA and before USER/PASS, and
#   the run succeeds; without --utf8 it is never sent;
# - not advertised: UTF8 is never sent, a note on stderr says so, the run succeeds;
# - advertised but refused (-ERR): a note with the server's text, the run succeeds;
# - also without a login (stat needs none here: capa), and --help documents it.
# POP3_CLI_WRAPPER runs every pop3-cli under that command (as test_options.sh).
# Exit: 0 pass, 1 fail.
set -uo pipefail
CLI=${1:?usage: test_utf8.sh CLI WORKDIR}
W=${2:?usage: test_utf8.sh CLI WORKDIR}
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=fake_env.sh
. "$here/fake_env.sh"
printf 'pw-%s' "$RANDOM$RANDOM" >"$W/password"
echo 2 >"$W/mailbox"
export POP3_PASSWORD
POP3_PASSWORD=$(cat "$W/password")
LOGIN=(-H 127.0.0.1 -p "$PORT" --plain --allow-plaintext-login --timeout 5000 -u alice)

cmds() { tr '\n' ' ' <"$W/cmds-$(conns)" | sed 's/ $//'; } # what the server got in the last session
expect_cmds() { # NAME EXPECTED
  checks=$((checks + 1))
  [ "$(cmds)" = "$2" ] || fail "$1: the server received '$(cmds)', want '$2'"
}
no_err() { # NAME REGEX
  checks=$((checks + 1))
  ! grep -qE -e "$2" "$W/$1.err" || fail "$1: stderr matches /$2/: $(head -c 400 "$W/$1.err")"
}

echo utf8 >"$W/mode"
run advertised 0 "${LOGIN[@]}" --utf8 stat
expect_cmds advertised "CAPA UTF8 USER alice PASS *** STAT QUIT"
no_err advertised 'note'
[ "$(cat "$W/advertised.out")" = "2 203" ] || fail "advertised: stdout '$(cat "$W/advertised.out")'"
run advertised_v 0 "${LOGIN[@]}" --utf8 -v stat
expect_err advertised_v '^C: UTF8$'
expect_err advertised_v '^S: \+OK UTF8 enabled$'
expect_err advertised_v 'UTF-8 mode on'
run not_asked 0 "${LOGIN[@]}" stat
expect_cmds not_asked "CAPA USER alice PASS *** STAT QUIT"
run no_login 0 -H 127.0.0.1 -p "$PORT" --plain --timeout 5000 --utf8 capa
expect_cmds no_login "CAPA UTF8 CAPA QUIT"

echo >"$W/mode"
run not_advertised 0 "${LOGIN[@]}" --utf8 stat
expect_cmds not_advertised "CAPA USER alice PASS *** STAT QUIT"
expect_err not_advertised 'note: --utf8: the server does not list UTF8 \(RFC 6856\) in its CAPA; going on without'

echo utf8-refuse >"$W/mode"
run refused 0 "${LOGIN[@]}" --utf8 stat
expect_cmds refused "CAPA UTF8 USER alice PASS *** STAT QUIT"
expect_err refused 'note: --utf8: the server refused UTF8 \(-ERR UTF8 not available\); going on'

run help 0 --help
checks=$((checks + 1))
grep -q -- '--utf8 ' "$W/help.out" || fail "help: --utf8 not documented"

if [ "$fails" -ne 0 ]; then
  echo "cli_utf8: $fails of $checks checks failed" >&2
  exit 1
fi
echo "cli_utf8: all $checks checks passed"
