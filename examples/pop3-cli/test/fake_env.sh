# Sourced by test_options.sh and test_output.sh after CLI, W and `here` are set:
# a fresh work directory, the pass/fail counters, POP3_CLI_WRAPPER, and
# fake_pop3.py started on 127.0.0.1 (PORT; conns counts its connections).
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
