# shellcheck shell=bash disable=SC2034,SC2154 # sourced: CLI, W, here come from the caller; PORT and the helpers are for it
# Sourced by the fake-server tests (test_options.sh, test_output.sh, test_fetch.sh,
# test_utf8.sh, test_shell*.sh) after CLI, W and `here` are set: a fresh work
# directory, the pass/fail counters, POP3_CLI_WRAPPER, fake_pop3.py started on
# 127.0.0.1 (PORT; conns counts its connections), and the checks they share.
rm -rf "$W"; mkdir -p "$W"
W=$(cd "$W" && pwd -P)
fails=0 checks=0
read -r -a WRAP <<<"${POP3_CLI_WRAPPER:-}"
fail() { fails=$((fails + 1)); printf 'FAIL: %s\n' "$*" >&2; }

python3 "$here/fake_pop3.py" "$W" &
srv=$!
trap 'kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.05; done
[ -s "$W/port" ] || { echo "fake server did not start" >&2; exit 1; }
PORT=$(cat "$W/port")
conns() { [ -f "$W/connections" ] && wc -l <"$W/connections" || echo 0; }

# run NAME WANT_RC ARG...: pop3-cli with stdout/stderr in $W/NAME.out/.err, exit checked.
run() {
  local name=$1 want=$2 rc
  shift 2
  checks=$((checks + 1))
  timeout 60 "${WRAP[@]}" "$CLI" "$@" >"$W/$name.out" 2>"$W/$name.err"
  rc=$?
  [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want: $* -- $(head -c 400 "$W/$name.err")"
}
# usage NAME ARG...: exit 2, no connection, nothing on stdout.
usage() {
  local name=$1 before
  shift
  before=$(conns)
  run "$name" 2 "$@"
  [ "$(conns)" = "$before" ] || fail "$name: a usage error connected to the server"
  [ ! -s "$W/$name.out" ] || fail "$name: output on stdout"
}
expect_err() { # NAME REGEX
  checks=$((checks + 1))
  grep -qE -e "$2" "$W/$1.err" || fail "$1: stderr does not match /$2/: $(head -c 400 "$W/$1.err")"
}
last_cmds() { cat "$W/cmds-$(conns)"; } # what the server received in the last session
