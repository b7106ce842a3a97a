# shellcheck shell=bash
# SASL AUTH tests of pop3_test.sh (sourced by it; uses its cli, cli_expect,
# fail, mode_args, CHECKS, OUT, EX, FIX, HERE).  pop3-cli logs in to the
# fixture with --auth MECH over STLS (--starttls) and POP3S (--tls):
# passwords from POP3_PASSWORD, tokens from --oauth2-token-file or
# POP3_OAUTH2_TOKEN.  The login runs are -v, and their traces must reveal no
# secret (secret_scan.py: as is or in base64); with STLS, AUTH comes only
# after the server's +OK to STLS (and test_sasl_pretls checks the wire).

PASS_MECHS=(plain login cram-md5 scram-sha-1 scram-sha-256)
SASL_WRONG_PW=not-the-password-$$
OAUTH_MECHS=(xoauth2 oauthbearer)
PYTHON=/usr/bin/python3 # Debian's (test/install-deps.sh)
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)

sasl_mode_args() { # stls|tls -> MODE_ARGS (127.0.0.1 is in the certificate)
  case $1 in
    stls) MODE_ARGS=(-H 127.0.0.1 -p "$POP3_PORT" --starttls --cafile "$CA") ;;
    tls) MODE_ARGS=(-H 127.0.0.1 -p "$POP3S_PORT" --tls --cafile "$CA") ;;
  esac
}

# no_secret NAME: the -v trace of run NAME reveals none of the secrets
no_secret() {
  CHECKS=$((CHECKS + 1))
  local found
  if ! found=$(SCAN_PW=$POP3_TEST_PASSWORD SCAN_WRONG=$SASL_WRONG_PW \
    SCAN_T1=$POP3_OAUTH2_TOKEN_ALICE SCAN_T2=$POP3_OAUTH2_TOKEN_LONG \
    SCAN_T3=$POP3_OAUTH2_TOKEN_EXPIRED SCAN_T4=$POP3_OAUTH2_TOKEN_UNKNOWN \
    "$PYTHON" "$HERE/secret_scan.py" "$OUT/$1.err" SCAN_PW SCAN_WRONG SCAN_T1 SCAN_T2 SCAN_T3 SCAN_T4); then
    fail "$1: secret in the -v trace: $found"
  fi
}

# trace_auth NAME MODE WIRE: the trace has "C: AUTH WIRE" (the mechanism used),
# and with STLS only after the server's +OK to STLS
trace_auth() {
  local name=$1 mode=$2 wire=$3 first_auth stls_ok
  CHECKS=$((CHECKS + 1))
  first_auth=$(grep -n '^C: AUTH ' "$OUT/$name.err" | head -n1)
  case ${first_auth#*:} in
    "C: AUTH $wire" | "C: AUTH $wire "*) ;;
    *) fail "$name: first AUTH in the trace is '${first_auth#*:}', want AUTH $wire"; return 1 ;;
  esac
  if [ "$mode" = stls ]; then
    CHECKS=$((CHECKS + 1))
    stls_ok=$(grep -n '^S: +OK' "$OUT/$name.err" | awk -F: -v s="$(grep -n '^C: STLS$' "$OUT/$name.err" | head -n1 | cut -d: -f1)" \
      's != "" && $1 > s { print $1; exit }')
    [ -n "$stls_ok" ] && [ "${first_auth%%:*}" -gt "$stls_ok" ] ||
      fail "$name: AUTH before the +OK to STLS (or no STLS) in the trace"
  fi
}

wire_name() { printf '%s' "$1" | tr '[:lower:]' '[:upper:]'; }

# Every mechanism logs in; stat is exactly the expected output.
sasl_logins() { # stls|tls
  local m=$1 mech name
  sasl_mode_args "$m"
  local A=("${MODE_ARGS[@]}" -u "$POP3_TEST_USER")
  for mech in "${PASS_MECHS[@]}"; do
    name=$m-$mech
    cli_expect "$name" 0 "$EX/stat" -v "${A[@]}" --auth "$mech" stat &&
      trace_auth "$name" "$m" "$(wire_name "$mech")"
    no_secret "$name"
  done
  # best with a password: the strongest the server offers
  cli_expect "$m-best-password" 0 "$EX/stat" -v "${A[@]}" --auth best stat &&
    trace_auth "$m-best-password" "$m" SCRAM-SHA-256
  no_secret "$m-best-password"
  for mech in "${OAUTH_MECHS[@]}"; do
    # the 4,000-octet token from a file (it cannot go on the AUTH line)
    name=$m-$mech-long-file
    cli_expect "$name" 0 "$EX/stat" -v "${A[@]}" --auth "$mech" --oauth2-token-file "$FIX/tokens/long.token" stat &&
      trace_auth "$name" "$m" "$(wire_name "$mech")"
    no_secret "$name"
    # the 4,000-octet token from the environment, no password needed
    name=$m-$mech-long-env
    POP3_PASSWORD='' POP3_OAUTH2_TOKEN=$POP3_OAUTH2_TOKEN_LONG \
      cli_expect "$name" 0 "$EX/stat" -v "${A[@]}" --auth "$mech" stat
    no_secret "$name"
    # a short token (its initial response fits on the AUTH line)
    name=$m-$mech-short
    POP3_OAUTH2_TOKEN=$POP3_OAUTH2_TOKEN_ALICE cli_expect "$name" 0 "$EX/stat" -v "${A[@]}" --auth "$mech" stat
    no_secret "$name"
  done
  # best with a token: an OAuth mechanism, never a password one
  cli_expect "$m-best-token" 0 "$EX/stat" -v "${A[@]}" --auth best --oauth2-token-file "$FIX/tokens/alice.token" stat &&
    trace_auth "$m-best-token" "$m" OAUTHBEARER
  no_secret "$m-best-token"
}

# A wrong password for each password mechanism and an expired and an unknown
# token for each OAuth mechanism: exit 5, nothing on stdout, and for a token a
# message of its own that names the token.
sasl_refused() { # stls|tls
  local m=$1 mech name t
  sasl_mode_args "$m"
  local A=("${MODE_ARGS[@]}" -u "$POP3_TEST_USER")
  for mech in "${PASS_MECHS[@]}" best; do
    name=$m-$mech-wrongpass
    POP3_PASSWORD=$SASL_WRONG_PW cli_expect "$name" 5 "" -v "${A[@]}" --auth "$mech" stat
    expect_empty "$name" "$OUT/$name.out"
    CHECKS=$((CHECKS + 1))
    grep -v '^[CS]: ' "$OUT/$name.err" >"$OUT/$name.msg"
    grep -qi 'failed' "$OUT/$name.msg" && ! grep -qi 'token' "$OUT/$name.msg" ||
      fail "$name: want a login failure that does not blame a token: $(grep -v '^[CS]: ' "$OUT/$name.err" | head -c 300)"
    no_secret "$name"
  done
  for mech in "${OAUTH_MECHS[@]}"; do
    for t in expired unknown; do
      name=$m-$mech-$t
      cli_expect "$name" 5 "" -v "${A[@]}" --auth "$mech" --oauth2-token-file "$FIX/tokens/$t.token" stat
      expect_empty "$name" "$OUT/$name.out"
      CHECKS=$((CHECKS + 1))
      grep -v '^[CS]: ' "$OUT/$name.err" | grep -qi 'rejected the OAuth token' ||
        fail "$name: no message about the rejected token: $(grep -v '^[CS]: ' "$OUT/$name.err" | head -c 300)"
      no_secret "$name"
    done
  done
}

test_sasl_stls() { sasl_logins stls; }
test_sasl_tls() { sasl_logins tls; }
test_sasl_refused_stls() { sasl_refused stls; }
test_sasl_refused_tls() { sasl_refused tls; }

# No credential octet before TLS, seen on the wire: STLS sessions through
# stls_guard.py, which records the client's octets before its first TLS
# record; they must be "CAPA" and "STLS" and nothing else.  A plaintext login
# through the same relay is the control: there the relay must see AUTH.
# Also: TLS failing (wrong CA) or plaintext without the opt-in: no AUTH at
# all, and the server never saw the user.
test_sasl_pretls() {
  local mechs=(plain login cram-md5 scram-sha-256 xoauth2 oauthbearer) mech gpid gport tok
  local u=sasl-pretls-$$ want="tls=yes pretls=b'CAPA\\r\\nSTLS\\r\\n'" bad
  : >"$OUT/guard.log"
  "$PYTHON" "$HERE/stls_guard.py" "$POP3_PORT" "$OUT/guard.log" $((${#mechs[@]} + 1)) >"$OUT/guard.port" &
  gpid=$!
  for _ in $(seq 1 100); do [ -s "$OUT/guard.port" ] && break; sleep 0.05; done
  gport=$(head -n1 "$OUT/guard.port")
  [ -n "$gport" ] || { fail "stls_guard.py did not start"; kill "$gpid" 2>/dev/null; return; }
  for mech in "${mechs[@]}"; do
    tok=()
    case $mech in xoauth2 | oauthbearer) tok=(--oauth2-token-file "$FIX/tokens/long.token") ;; esac
    cli_expect "guard-$mech" 0 "$EX/stat" -H 127.0.0.1 -p "$gport" --starttls --cafile "$CA" \
      -u "$POP3_TEST_USER" --auth "$mech" "${tok[@]}" stat
  done
  # the control: without TLS the relay does see the credentials
  cli_expect guard-control 0 "$EX/stat" -H 127.0.0.1 -p "$gport" --plain --allow-plaintext-login \
    -u "$POP3_TEST_USER" --auth plain stat
  for _ in $(seq 1 100); do kill -0 "$gpid" 2>/dev/null || break; sleep 0.1; done
  kill "$gpid" 2>/dev/null; wait "$gpid" 2>/dev/null
  CHECKS=$((CHECKS + 1))
  [ "$(grep -c '^conn ' "$OUT/guard.log")" = $((${#mechs[@]} + 1)) ] ||
    fail "the relay saw $(grep -c '^conn ' "$OUT/guard.log") connections, want $((${#mechs[@]} + 1))"
  CHECKS=$((CHECKS + 1))
  bad=$(grep -v "^conn $((${#mechs[@]} + 1)) " "$OUT/guard.log" | sed 's/^conn [0-9]* //' | grep -vxF "$want")
  [ -z "$bad" ] || fail "octets other than CAPA and STLS before TLS: $(printf '%s' "$bad" | cut -c1-300)"
  CHECKS=$((CHECKS + 1))
  grep "^conn $((${#mechs[@]} + 1)) tls=no " "$OUT/guard.log" | grep -qF 'AUTH PLAIN' ||
    fail "control: the relay did not see the plaintext AUTH: $(tail -n1 "$OUT/guard.log" | cut -c1-200)"
  for mech in plain scram-sha-256 xoauth2; do
    tok=()
    [ "$mech" = xoauth2 ] && tok=(--oauth2-token-file "$FIX/tokens/alice.token")
    cli_expect "wrongca-$mech" 4 "" -v -H 127.0.0.1 -p "$POP3_PORT" --starttls --cafile "$WRONG_CA" \
      -u "$u" --auth "$mech" "${tok[@]}" stat
    expect_no_cred_cmd "wrongca-$mech" "$OUT/wrongca-$mech.err"
    cli_expect "plaintext-$mech" 9 "" -v -H 127.0.0.1 -p "$POP3_PORT" --plain \
      -u "$u" --auth "$mech" "${tok[@]}" stat
    expect_no_cred_cmd "plaintext-$mech" "$OUT/plaintext-$mech.err"
  done
  expect_user_not_seen sasl-pretls "$u"
}
