#!/usr/bin/env bash
# Demo: start a private Dovecot with test mail on 127.0.0.1 and read it with
# pop3-cli over STLS (port 110 style) and implicit TLS (POP3S).
#
#   examples/demo.sh [BUILD_DIR]      (default ./build; needs root for Dovecot)
#
# Build first:  test/install-deps.sh && cmake -S . -B build -G Ninja && ninja -C build
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
BUILD=${1:-./build}
[ -d "$BUILD" ] || [ $# -gt 0 ] || BUILD=$ROOT/build
CLI=$BUILD/examples/pop3-cli/pop3-cli
FIXTURE=$ROOT/test/integration/dovecot.sh

if [ ! -x "$CLI" ]; then
  echo "demo: $CLI not found; build first:" >&2
  echo "  cmake -S $ROOT -B $BUILD -G Ninja && ninja -C $BUILD pop3-cli" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: run as root (the local Dovecot needs it)" >&2
  exit 1
fi

TMP=$(mktemp -d /tmp/pop3-demo.XXXXXX)
chmod 755 "$TMP" # the dovecot user must reach the mailboxes inside
cleanup() {
  "$FIXTURE" stop "$TMP/dovecot" || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "==> starting a private Dovecot in $TMP/dovecot (test CA, user alice, a few messages)"
"$FIXTURE" start "$TMP/dovecot" >/dev/null
# shellcheck disable=SC1091
. "$TMP/dovecot/env"
CA=$TMP/dovecot/ca.pem
export POP3_PASSWORD=$POP3_TEST_PASSWORD
echo "    plain/STLS port $POP3_PORT, POP3S port $POP3S_PORT, CA $CA"

run() { # title args...
  local title=$1; shift
  printf '\n==> %s\n$ pop3-cli %s\n' "$title" "$*"
  local rc=0
  "$CLI" "$@" || rc=$?
  echo "(exit status $rc)"
}

STLS=(-H localhost -p "$POP3_PORT" --cafile "$CA" -u "$POP3_TEST_USER")
POP3S=(-H localhost -p "$POP3S_PORT" --tls --cafile "$CA" -u "$POP3_TEST_USER")

run "STLS: capabilities in force after login (no STLS any more)" "${STLS[@]}" capa
run "STLS: mailbox status and listing" "${STLS[@]}" stat list uidl
run "STLS: fetch message $MSG_SMALL" "${STLS[@]}" retr "$MSG_SMALL"
run "STLS: a protocol trace (password masked) of a NOOP session" -v "${STLS[@]}" noop
run "POP3S: headers of message $MSG_DOTS (TOP $MSG_DOTS 0)" "${POP3S[@]}" top "$MSG_DOTS" 0
run "POP3S: fetch message $MSG_DOTS (lines starting with dots, unstuffed)" "${POP3S[@]}" retr "$MSG_DOTS"
printf '\n==> POP3S: fetch the %s-octet message %s and compare with the server copy\n' \
  "$(sed -n "${MSG_BIG}p" "$TMP/dovecot/expected/list" | cut -d' ' -f2)" "$MSG_BIG"
"$CLI" "${POP3S[@]}" retr "$MSG_BIG" >"$TMP/big.eml"
if cmp -s "$TMP/big.eml" "$TMP/dovecot/expected/$MSG_BIG.eml"; then
  echo "    identical ($(wc -c <"$TMP/big.eml") octets)"
else
  echo "    DIFFERENT"
fi
run "POP3S: a host name that is not in the certificate is refused (expect exit 4)" \
  -H 127.0.0.2 -p "$POP3S_PORT" --tls --cafile "$CA" -u "$POP3_TEST_USER" stat
run "plaintext login without --allow-plaintext-login is refused (expect exit 9)" \
  -H 127.0.0.1 -p "$POP3_PORT" --plain -u "$POP3_TEST_USER" stat
echo
echo "==> stopping Dovecot"
