#!/usr/bin/env bash
# Host check of the firmware's mbedTLS configuration against the test suite's Dovecot
# (and of src/fw_snprintf.c against the C library's snprintf):
# builds host-check/ (mbedTLS 3.6 with include/mbedtls_fw_config.h, the firmware's heap
# size, the POP3 core + TLS adapter on port/posix) and runs it:
#   POP3S and STLS: UIDL + RETR of every message, heap peak reported, nothing leaked;
#   wrong CA, wrong host name, a clock at 1970 or in 2100: the handshake must fail;
# and, with libslirp, runs the firmware's unchanged src/main.c on lwIP 2.2.1 (board_host.c
# as the board): POP3S and STLS, every message fetched once, none in the second session;
# POP3S with XOAUTH2 when the fixture has an OAuth token.
#
#   host-check.sh FIXTURE_DIR BUILD_DIR      (FIXTURE_DIR: test/integration/dovecot.sh start DIR)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/../../.." && pwd -P)
fix=${1:?usage: host-check.sh FIXTURE_DIR BUILD_DIR}
bdir=${2:?usage: host-check.sh FIXTURE_DIR BUILD_DIR}
deps=${POP3_DEPS_DIR:-$repo/.deps}
log() { printf 'host-check: %s\n' "$*" >&2; }

[ -s "$fix/env" ] || { log "fixture not started: $fix/env missing"; exit 1; }
# shellcheck source=/dev/null
. "$fix/env"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
for d in mbedtls-3.6 lwip-2.2.1; do
  [ -d "$deps/$d" ] || { mkdir -p "$deps"; flock "$deps/.fetch.lock" bash "$repo/test/deps/fetch-sources.sh" "$deps"; }
done
cmake -S "$here" -B "$bdir" "${generator[@]}" -DMBEDTLS_DIR="$deps/mbedtls-3.6" -DLWIP_DIR="$deps/lwip-2.2.1" \
  -DFW_HOST_POP3_PORT="$POP3_PORT" -DFW_HOST_POP3S_PORT="$POP3S_PORT" -DFW_HOST_CAFILE="$POP3_CAFILE" \
  -DFW_HOST_USER="$POP3_TEST_USER" -DFW_HOST_PASS="$POP3_TEST_PASSWORD" -DFW_HOST_EXPECT_MSGS="$MSG_COUNT" \
  -DFW_HOST_DELE_USER="$POP3_BOB_USER" -DFW_HOST_DELE_PASS="$POP3_BOB_PASSWORD" \
  -DFW_HOST_OAUTH2_TOKEN="${POP3_OAUTH2_TOKEN_ALICE:-}" \
  >"$bdir.configure.log" 2>&1 ||
  { cat "$bdir.configure.log" >&2; exit 1; }
cmake --build "$bdir" -j "$(nproc 2>/dev/null || echo 2)" >"$bdir.build.log" 2>&1 ||
  { tail -n 40 "$bdir.build.log" >&2; exit 1; }

"$bdir/fw-snprintf-check"
export POP3_PASSWORD=$POP3_TEST_PASSWORD
exe=$bdir/fw-host-check
"$exe" 127.0.0.1 "$POP3S_PORT" tls "$POP3_CAFILE" "$POP3_TEST_USER"
"$exe" localhost "$POP3_PORT" stls "$POP3_CAFILE" "$POP3_TEST_USER"
expect_refused() { # what args...   (FW_CLOCK from the environment)
  local what=$1 out
  shift
  if out=$("$exe" "$@" 2>&1); then
    log "FAIL: $what was accepted"; exit 1
  fi
  grep -q 'CONNECT: certificate verification failed' <<<"$out" ||
    { log "FAIL: $what: unexpected failure:"; printf '%s\n' "$out" >&2; exit 1; }
  echo "host-check: $what refused: $(grep -o '\[.*\]' <<<"$out" | head -n1)"
}
expect_refused "wrong CA" 127.0.0.1 "$POP3S_PORT" tls "$POP3_WRONG_CAFILE" "$POP3_TEST_USER"
expect_refused "wrong host name" 127.0.0.2 "$POP3S_PORT" tls "$POP3_CAFILE" "$POP3_TEST_USER"
# Certificate dates (FW_CERT_DATES=1): a board clock never set (0 = 1970) or far ahead fails closed.
FW_CLOCK=0 expect_refused "clock not set (1970)" 127.0.0.1 "$POP3S_PORT" tls "$POP3_CAFILE" "$POP3_TEST_USER"
FW_CLOCK=4102444800 expect_refused "clock in 2100" 127.0.0.1 "$POP3S_PORT" tls "$POP3_CAFILE" "$POP3_TEST_USER"

# The firmware's own src/main.c on Linux: lwIP through libslirp, board_host.c as the board.
if [ -x "$bdir/fw-host-run-tls" ]; then
  for mode in tls stls; do
    "$bdir/fw-host-run-$mode" 2>"$bdir.run-$mode.log" || { cat "$bdir.run-$mode.log" >&2; log "FAIL: firmware main loop ($mode)"; exit 1; }
    echo "host-check: firmware main.c over lwIP ($mode): $(grep 'host-run: OK' "$bdir.run-$mode.log")"
  done
  # XOAUTH2 with the fixture's OAuth token (its oauth2 passdb; absent in older fixtures).
  if [ -x "$bdir/fw-host-run-xoauth2" ]; then
    "$bdir/fw-host-run-xoauth2" 2>"$bdir.run-xoauth2.log" && grep -q '^login: AUTH XOAUTH2' "$bdir.run-xoauth2.log" ||
      { cat "$bdir.run-xoauth2.log" >&2; log "FAIL: firmware main loop (XOAUTH2)"; exit 1; }
    echo "host-check: firmware main.c over lwIP (POP3S, XOAUTH2): $(grep 'host-run: OK' "$bdir.run-xoauth2.log")"
  else
    log "no POP3_OAUTH2_TOKEN_ALICE in the fixture: firmware XOAUTH2 run skipped"
  fi
  # DELE after fetch, on bob's mailbox (reseeded before and after; ctest RESOURCE_LOCK
  # pop3_bob_mailbox): a first process fetches and deletes all 3, a fresh process (empty
  # seen table) then finds none.
  fixture=$repo/test/integration/dovecot.sh
  bash "$fixture" reseed-bob "$fix"
  rc=0
  FW_HOST_EXPECT=3 "$bdir/fw-host-run-dele" 2>"$bdir.run-dele.log" &&
    FW_HOST_EXPECT=0 "$bdir/fw-host-run-dele" 2>>"$bdir.run-dele.log" || rc=1
  bash "$fixture" reseed-bob "$fix" || rc=1
  [ "$rc" = 0 ] || { cat "$bdir.run-dele.log" >&2; log "FAIL: firmware main loop (DELE)"; exit 1; }
  echo "host-check: firmware main.c over lwIP (DELE): 3 messages fetched and deleted, none left"
else
  log "libslirp not found (Debian: libslirp-dev): firmware main loop not run on the host"
fi
