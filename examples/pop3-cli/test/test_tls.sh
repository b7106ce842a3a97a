#!/usr/bin/env bash
# pop3-cli -v TLS details against the test Dovecot (test/integration/dovecot.sh):
# version, cipher suite and the presented certificate (subject, issuer, SAN,
# validity, days left) after POP3S and after STLS, each compared with what
# openssl reads from the fixture's own certificate; a wrong CA and a wrong
# name give the reason and the chain. Without -v nothing of it is printed.
#
#   test_tls.sh CLI FIXTURE_DIR OUT_DIR
set -uo pipefail
CLI=$1
FIX=$2
OUT=$3
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=dovecot_env.sh
. "$here/dovecot_env.sh"

has() { # NAME FIXED-STRING...: each string on some line of NAME.err
  local name=$1 s; shift
  for s in "$@"; do
    CHECKS=$((CHECKS + 1))
    grep -qF -- "$s" "$OUT/$name.err" || fail "$name: missing '$s' in stderr: $(grep 'TLS' "$OUT/$name.err" | head -20)"
  done
}

# What the certificate says, read independently of mbedTLS.
CERT=$FIX/tls/server.pem
SUBJ=$(openssl x509 -in "$CERT" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
ISS=$(openssl x509 -in "$CERT" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
END=$(openssl x509 -in "$CERT" -noout -enddate | sed 's/^notAfter=//')
END_S=$(date -u -d "$END" +%s)
NOW=$(date -u +%s)
DAYS=$(( (END_S - NOW) / 86400 ))
END_TXT=$(date -u -d "$END" '+%Y-%m-%d %H:%M:%S UTC')
# The count is taken a moment before pop3-cli runs: either value may be printed.
DAYS_RE="(${DAYS}|$((DAYS - 1))) days left"

expect_cert() { # NAME LABEL
  local name=$1 label=$2
  has "$name" "TLS $label: the server presented 1 certificate:" "subject: $SUBJ" "issuer:  $ISS" \
    "SAN:     DNS:localhost, IP:127.0.0.1" "to $END_TXT"
  CHECKS=$((CHECKS + 1))
  grep -qE "TLS $label: +valid: .*\($DAYS_RE\)" "$OUT/$name.err" ||
    fail "$name: days left not $DAYS: $(grep valid: "$OUT/$name.err")"
}

expect_ok_session() { # NAME LABEL
  local name=$1 label=$2
  CHECKS=$((CHECKS + 1))
  grep -qE "^pop3-cli: TLS $label: TLSv1\.[23], cipher suite TLS[-0-9A-Z]+$" "$OUT/$name.err" ||
    fail "$name: no version/cipher line: $(grep TLS "$OUT/$name.err" | head -3)"
  expect_cert "$name" "$label"
  has "$name" "verify:  ok (depth 0)" "CA file subject: $ISS"
}

run pop3s 0 -v -H localhost -p "$POP3S_PORT" --tls --cafile "$POP3_CAFILE" capa
expect_ok_session pop3s POP3S
run stls 0 -v -H localhost -p "$POP3_PORT" --starttls --cafile "$POP3_CAFILE" capa
expect_ok_session stls STLS
# The STLS details come after the STLS exchange and before the CAPA over TLS.
CHECKS=$((CHECKS + 1))
awk '/^S: \+OK Begin TLS/ {s=1} s && /TLS STLS: TLSv1/ {t=1} t && /^C: CAPA/ {ok=1} END {exit !ok}' \
  "$OUT/stls.err" || fail "stls: TLS details not between STLS and the second CAPA"

# Without -v: nothing of it.
run quiet 0 -H localhost -p "$POP3S_PORT" --tls --cafile "$POP3_CAFILE" capa
CHECKS=$((CHECKS + 1))
! grep -q 'TLS POP3S' "$OUT/quiet.err" || fail "quiet: TLS details without -v"

# Unknown CA: the reason, the flags in words, the chain as presented.
run wrongca 4 -v -H localhost -p "$POP3S_PORT" --tls --cafile "$POP3_WRONG_CAFILE" capa
has wrongca "TLS POP3S: handshake failed: certificate not trusted (unknown CA)" \
  "TLS POP3S: verification: unknown CA (not trusted)" "verify:  unknown CA (not trusted) (depth 0)"
expect_cert wrongca POP3S
run wrongca-stls 4 -v -H localhost -p "$POP3_PORT" --cafile "$POP3_WRONG_CAFILE" capa
has wrongca-stls "TLS STLS: handshake failed: certificate not trusted (unknown CA)"
expect_cert wrongca-stls STLS

# Wrong name (the certificate has localhost and 127.0.0.1, not 127.0.0.2).
run wrongname 4 -v -H 127.0.0.2 -p "$POP3S_PORT" --tls --cafile "$POP3_CAFILE" capa
has wrongname "TLS POP3S: handshake failed: certificate not valid for host '127.0.0.2'" \
  "TLS POP3S: verification: name mismatch" "verify:  name mismatch (depth 0)"
expect_cert wrongname POP3S

# --insecure: the chain is shown, marked as not verified.
run insecure 0 -v -H localhost -p "$POP3S_PORT" --tls --insecure capa
has insecure "(certificate NOT verified)" "verify:  NOT verified"
expect_cert insecure POP3S

if [ "$FAILS" -gt 0 ]; then
  echo "cli_tls_details: $FAILS failure(s) in $CHECKS checks (outputs in $OUT)"
  exit 1
fi
echo "cli_tls_details: $CHECKS checks passed"
