#!/usr/bin/env bash
# Private Dovecot 2.3 POP3 server for integration tests (Debian dovecot-pop3d).
#
#   dovecot.sh start DIR     create DIR, certificates, mailboxes, config; start
#                            Dovecot on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (the
#                            strict face, below), free high ports;
#                            print the environment (tokens masked; all of it
#                            is in DIR/env)
#   dovecot.sh stop DIR      stop it and the token-introspection service
#                            (works after a half-failed start as well)
#   dovecot.sh env DIR       print DIR/env
#   dovecot.sh reseed-bob DIR   reset user bob's mailbox (for DELE tests)
#   dovecot.sh reseed-carol DIR reset user carol's mailbox (for fetch tests)
#
# Everything lives in DIR: dovecot.conf, dovecot.log, state/, mail/, tls/,
# ca.pem (trust anchor for the server certificate), wrong-ca.pem (an unrelated
# CA), expected/N.eml (exact bytes RETR N delivers, unstuffed, CRLF),
# expected/N.top0 (TOP N 0), expected/list, expected/uidl, expected/stat
# (as the CLI prints them), expected/capa-plain, capa-tls (= capa-pop3s) and
# capa-auth (the server's CAPA before TLS, after TLS, after login; one
# capability per line), big-msg (number of the 20 MB message).
# Messages: small, dot-heavy (incl. a last body line "." and a bare CR),
# empty body, long headers (folded and one 2700-octet line), 256 KiB and
# 20 MiB generated dot-heavy bodies; Maildir files use CRLF, so RETR output must equal them.
# Before returning, start fetches every message with curl and checks it
# against expected/ (and LIST against the computed sizes).
# User bob (mailbox of 3 messages) is for tests that delete; carol (6 messages:
# small, dots, empty, longhdr, mid, bob-1) for the fetch tests.
# DIR/env holds shell assignments:
#   POP3_PORT (plain + STLS), POP3S_PORT (implicit TLS),
#   POP3_STRICT_HOST, POP3_STRICT_PORT, POP3S_STRICT_PORT (the strict face:
#   the address and its two ports, today the same ports), POP3_TEST_USER,
#   POP3_TEST_PASSWORD, POP3_BOB_USER, POP3_BOB_PASSWORD, POP3_CAROL_USER,
#   POP3_CAROL_PASSWORD, MSG_COUNT,
#   MSG_BIG, MSG_MID, MSG_SMALL, MSG_DOTS, MSG_EMPTY, MSG_LONGHDR
#   (message numbers in alice's mailbox),
#   POP3_OAUTH2_TOKEN_ALICE (47 octets, valid for alice), POP3_OAUTH2_TOKEN_LONG
#   (4,000 octets, valid for alice), POP3_OAUTH2_TOKEN_EXPIRED (known, expired
#   an hour ago), POP3_OAUTH2_TOKEN_UNKNOWN (never issued), POP3_OAUTH2_PORT.
#   The same tokens, one line each: DIR/tokens/{alice,long,expired,unknown}.token.
#   Fresh random URL-safe tokens on every start.
#
# The strict face: on 127.0.0.3 (same ports) a "local" block sets
# disable_plaintext_auth = yes, so USER (and plaintext SASL) before STLS is
# refused there, as on a well set-up server; its certificate
# (tls/server-strict.pem, same CA) is CN=127.0.0.3, SAN IP:127.0.0.3.  The
# other addresses keep the lax set-up below and the certificate
# DNS:localhost, IP:127.0.0.1 (127.0.0.2 is the wrong-name address).
# SASL: auth_mechanisms PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2
# OAUTHBEARER (and APOP, USER/PASS), also before TLS (disable_plaintext_auth =
# no: the client's own policy is under test).  Passwords are stored in
# plaintext so Dovecot can derive CRAM-MD5 and SCRAM secrets.  XOAUTH2 and
# OAUTHBEARER go to the oauth2 passdb, which POSTs each token to
# oauth2_introspect.py (RFC 7662, on 127.0.0.1, started and stopped with
# Dovecot; DIR/oauth2/introspect.log records each verdict).  After the curl
# check, start runs sasl_probe.py (DIR/sasl-probe.log): every mechanism over
# STLS and POP3S, wrong password and expired/unknown token refused.
# What Dovecot 2.3.19 sends (seen by the probe; the client depends on it):
#   - CAPA (before and after TLS): "SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1
#     SCRAM-SHA-256 XOAUTH2 OAUTHBEARER"; no APOP there.
#   - an empty challenge is "+ " (with the space); LOGIN prompts with
#     "Username:" then "Password:".
#   - SCRAM: the server-final "v=..." comes as a "+ " continuation; the
#     client answers an empty line, then "+OK".  A wrong password gets -ERR
#     in reply to client-final (no server-final).
#   - a rejected token (expired or unknown alike): "+ " base64 of
#     XOAUTH2:     {"status":"401","schemes":"bearer","scope":"mail",
#                   "openid-configuration":"http://127.0.0.1:PORT/.well-known/openid-configuration"}
#     OAUTHBEARER: {"status":"invalid_token","openid-configuration":"..."}
#     then any answer (the probe sends "" resp. "AQ==") gets
#     "-ERR [AUTH] Authentication failed."; so does every failed login.
#   - OAUTHBEARER: the user name comes only from the GS2 header's a=; a valid
#     token with "n,," (no a=) gets "-ERR [AUTH] Authentication failed."
#     at once, no error continuation (log: "Missing username or token").
#   - "*" gets "-ERR Authentication aborted by client."
#   - introspection service unreachable: "-ERR [SYS/TEMP] Temporary
#     authentication failure. [...]" right after the token (no continuation).
#   - an initial response on the AUTH line is read like a continuation
#     response (up to 8,192 octets): even the 4,000-octet token's 5,381-octet
#     AUTH line is taken.  The 255-octet limit (RFC 5034) is the client's.
# Needs root (Dovecot's master runs as root; login processes as dovenull,
# mail processes as the dovecot user).  Two instances in different DIRs can
# run at the same time.
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd -P)
PYTHON=/usr/bin/python3 # Debian's (test/install-deps.sh)
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
# tokens and the introspection service: gen_oauth2, start/stop_introspect
# shellcheck source=dovecot_oauth2.sh
. "$HERE/dovecot_oauth2.sh"

ALICE_PASS=secret
BOB_PASS=hunter2
CAROL_PASS=carol-fetch-pw
# the strict face's address (Dovecot's "local" block; see write_conf)
STRICT_IP=127.0.0.3
# as Dovecot lists them in CAPA (APOP is not a SASL mechanism there)
SASL_MECHS="PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER"

absdir() { mkdir -p "$1" && (cd "$1" && pwd -P); }

# port_in_use, pick_port, gen_tls
# shellcheck source=fixture_lib.sh
. "$HERE/fixture_lib.sh"

# ------------------------------------------------------------- messages ----
# gen_body, hdr, msg_small/dots/empty/longhdr/mid/big, msg_bob
# shellcheck source=messages.sh
. "$HERE/messages.sh"

# Maildir order: Dovecot assigns UIDs to new files sorted by the timestamp
# prefix of the file name, so names carry increasing timestamps.
ALICE_SEEDS=(small dots empty longhdr mid big)

seed_maildir() { # maildir-path generator-fn...
  local md=$1; shift
  rm -rf "$md"
  mkdir -p "$md/cur" "$md/new" "$md/tmp"
  local i=0 fn
  for fn in "$@"; do
    i=$((i + 1))
    # Stored with CRLF line ends, as RFC 1939 transmits them: RETR must then
    # deliver each file byte for byte (Dovecot leaves CRLF files alone).
    "$fn" | sed 's/$/\r/' >"$md/tmp/seed"
    mv "$md/tmp/seed" "$md/cur/$((1700000000 + i)).M${i}P1.pop3test:2,"
  done
  chown -R dovecot:dovecot "$md"
}

msg_bob1() { msg_bob 1; }
msg_bob2() { msg_bob 2; }
msg_bob3() { msg_bob 3; }

seed_bob() { seed_maildir "$1/mail/bob" msg_bob1 msg_bob2 msg_bob3; }
seed_carol() { seed_maildir "$1/mail/carol" msg_small msg_dots msg_empty msg_longhdr msg_mid msg_bob1; }

# ---------------------------------------------------------------- config ---
write_conf() { # dir base_dir port port_s
  local d=$1 base=$2 p=$3 ps=$4 dh=""
  [ -r /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
  local uid gid
  uid=$(id -u dovecot) gid=$(id -g dovecot)
  cat >"$d/passwd" <<EOF
alice:{PLAIN}$ALICE_PASS:$uid:$gid::$d/mail/alice::
bob:{PLAIN}$BOB_PASS:$uid:$gid::$d/mail/bob::
carol:{PLAIN}$CAROL_PASS:$uid:$gid::$d/mail/carol::
EOF
  chgrp dovecot "$d/passwd"; chmod 640 "$d/passwd"
  cat >"$d/dovecot.conf" <<EOF
# generated by $PROG for integration tests; private instance
instance_name = pop3test-$(printf '%s' "$d" | md5sum | cut -c1-8)
base_dir = $base
state_dir = $d/state
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
protocols = pop3
listen = 127.0.0.1, 127.0.0.2, $STRICT_IP
shutdown_clients = yes

default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = $uid
last_valid_uid = 0
first_valid_gid = 1

disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256 xoauth2 oauthbearer apop
auth_failure_delay = 0
auth_verbose = yes
# tokens: checked by the introspection service (oauth2_introspect.py)
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $d/oauth2/dovecot-oauth2.conf.ext
}
# passwords in plaintext, so Dovecot can derive CRAM-MD5 and SCRAM secrets
passdb {
  driver = passwd-file
  mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256 apop
  args = scheme=PLAIN $d/passwd
}
userdb {
  driver = passwd-file
  args = $d/passwd
}

mail_location = maildir:$d/mail/%u
pop3_uidl_format = %08Xu%08Xv
protocol pop3 {
  mail_max_userip_connections = 100
}

ssl = yes
ssl_cert = <$d/tls/server.pem
ssl_key = <$d/tls/server.key
$dh

# The strict face: the same server and ports as a production set-up would
# have it, no login before TLS (pop3-cli check's all-good run).  Clients on
# loopback reach $STRICT_IP from 127.0.0.1; Dovecot treats a connection as
# secure when both ends have the same address, so this address must not be
# the one the client sends from.  ssl stays "yes": STLS must remain possible.
local $STRICT_IP {
  disable_plaintext_auth = yes
  ssl_cert = <$d/tls/server-strict.pem
  ssl_key = <$d/tls/server-strict.key
}

service pop3-login {
  inet_listener pop3 {
    port = $p
  }
  inet_listener pop3s {
    port = $ps
    ssl = yes
  }
}
# no auth penalty: tests fail logins on purpose and must not slow each other
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
}

# --------------------------------------------------------------- helpers ---
master_pid() { # dir -> pid of a running master, or fail
  local d=$1 f pid
  for f in "$d/dovecot.pid" "$(cat "$d/base_dir" 2>/dev/null || echo /nonexistent)/master.pid"; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then echo "$pid"; return 0; fi
  done
  return 1
}

tcp_ok() { # port [expect-greeting]
  if [ -n "${2:-}" ]; then
    timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"' && head -c 3 <&3 | grep -q "+OK"' 2>/dev/null
  else
    timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1" 2>/dev/null
  fi
}

# ------------------------------------------------------- expected files ----
write_expected() { # dir port
  local d=$1 p=$2 ex=$1/expected i=0 tag f
  rm -rf "$ex"; mkdir -p "$ex"
  : >"$ex/list"
  local total=0 sz
  for tag in "${ALICE_SEEDS[@]}"; do
    i=$((i + 1))
    f=$(ls "$d/mail/alice/cur/$((1700000000 + i)).M${i}P1."* 2>/dev/null | head -n1)
    [ -n "$f" ] || f=$(ls "$d/mail/alice/new/$((1700000000 + i)).M${i}P1."* | head -n1)
    cp "$f" "$ex/$i.eml" # the Maildir file itself is the expected RETR output
    # TOP n 0: header lines up to and including the first empty line
    awk '{ print } /^\r$/ { exit }' "$ex/$i.eml" >"$ex/$i.top0"
    sz=$(stat -c %s "$ex/$i.eml")
    total=$((total + sz))
    printf '%s %s\n' "$i" "$sz" >>"$ex/list"
    printf 'MSG_%s=%s\n' "$(printf '%s' "$tag" | tr a-z A-Z)" "$i" >>"$d/env.new"
  done
  printf '%s %s\n' "$i" "$total" >"$ex/stat"
  printf 'MSG_COUNT=%s\n' "$i" >>"$d/env.new"
  printf '%s\n' "$(grep '^MSG_BIG=' "$d/env.new" | cut -d= -f2)" >"$d/big-msg"

  # Cross-check with what Dovecot really sends, via curl (a second client).
  if command -v curl >/dev/null 2>&1; then
    local url="pop3://alice:$ALICE_PASS@127.0.0.1:$p"
    curl -sS --max-time 60 "$url/" | tr -d '\r' >"$ex/curl-list" || die "curl LIST failed"
    curl -sS --max-time 60 -X UIDL "$url/" | tr -d '\r' >"$ex/uidl" || die "curl UIDL failed"
    cmp -s "$ex/curl-list" "$ex/list" || {
      diff "$ex/list" "$ex/curl-list" >&2 || true; die "LIST from Dovecot differs from computed sizes"; }
    [ "$(wc -l <"$ex/uidl")" -eq "$i" ] || die "UIDL line count mismatch"
    local n
    for n in $(seq 1 "$i"); do
      curl -sS --max-time 120 "$url/$n" >"$ex/curl-$n.eml" || die "curl RETR $n failed"
      if ! cmp -s "$ex/curl-$n.eml" "$ex/$n.eml"; then
        cmp "$ex/curl-$n.eml" "$ex/$n.eml" >&2 || true
        die "RETR $n from Dovecot (via curl) differs from expected/$n.eml"
      fi
      rm -f "$ex/curl-$n.eml"
    done
    rm -f "$ex/curl-list"
  else
    log "curl not installed: expected files not cross-checked, no expected/uidl"
  fi
}

# CAPA responses as the server sends them: capa-plain (before TLS, before
# login), capa-tls (after STLS / on pop3s, before login), capa-auth (after
# login).  One capability line per line, LF endings.
capa_blocks() { # which(first|last): CAPA reply blocks of a transcript
  tr -d '\r' | awk -v which="$1" '
    /^\+OK/ { inblk = 1; cur = ""; next }
    /^-ERR/  { inblk = 0; next }
    inblk && $0 == "." { last = cur; if (first == "") first = cur; inblk = 0; next }
    inblk { cur = cur $0 "\n" }
    END { printf "%s", (which == "first" ? first : last) }'
}

# tls_session OUTFILE CMD... -- s_client-args: send the commands (ending in
# QUIT) through openssl s_client; keep stdin open until the server said bye.
# The certificate must be valid for TLS_VERIFY (s_client options; default
# the name localhost).
TLS_VERIFY=(-verify_hostname localhost)
tls_session() {
  local out=$1; shift
  local cmds=()
  while [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; do cmds+=("$1"); shift; done
  : >"$out"
  {
    printf '%s\r\n' "${cmds[@]}"
    for _ in $(seq 1 100); do
      grep -q '^+OK Logging out' "$out" 2>/dev/null && break
      sleep 0.05
    done
  } | timeout 10 openssl s_client -quiet "${TLS_VERIFY[@]}" -verify_return_error "$@" \
      >"$out" 2>/dev/null || true
}

write_capa() { # dir port port_s
  local d=$1 p=$2 ps=$3 ex=$1/expected
  timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$p"'
    printf "CAPA\r\nQUIT\r\n" >&3; cat <&3' | capa_blocks first >"$ex/capa-plain"
  tls_session "$ex/capa-stls.raw" "CAPA" "USER alice" "PASS $ALICE_PASS" "CAPA" "QUIT" \
    -starttls pop3 -connect "127.0.0.1:$p" -CAfile "$d/ca.pem"
  capa_blocks first <"$ex/capa-stls.raw" >"$ex/capa-tls"
  capa_blocks last <"$ex/capa-stls.raw" >"$ex/capa-auth"
  tls_session "$ex/capa-pop3s.raw" "CAPA" "QUIT" -connect "127.0.0.1:$ps" -CAfile "$d/ca.pem"
  capa_blocks first <"$ex/capa-pop3s.raw" >"$ex/capa-pop3s"
  rm -f "$ex/capa-pop3s.raw"
  rm -f "$ex/capa-stls.raw"
  grep -qx STLS "$ex/capa-plain" || die "server CAPA before TLS lacks STLS"
  grep -qx USER "$ex/capa-tls" || die "could not read CAPA over STLS"
  grep -qx "SASL $SASL_MECHS" "$ex/capa-tls" || die "CAPA after TLS lacks 'SASL $SASL_MECHS'"
  ! grep -qx STLS "$ex/capa-tls" || die "server lists STLS after TLS"
  cmp -s "$ex/capa-tls" "$ex/capa-pop3s" || die "CAPA differs between STLS and pop3s"
  grep -qx UIDL "$ex/capa-auth" && ! grep -qx USER "$ex/capa-auth" ||
    die "could not read CAPA after login"
}

# The strict face ($STRICT_IP): USER refused and not advertised before STLS,
# STLS offered, and USER/PASS over STLS and POP3S with its own certificate
# (checked for IP $STRICT_IP).  expected/capa-strict-plain: its CAPA before TLS.
check_strict() { # dir port port_s
  local d=$1 p=$2 ps=$3 ex=$1/expected
  timeout 10 bash -c 'exec 3<>/dev/tcp/'"$STRICT_IP/$p"'
    printf "CAPA\r\nUSER alice\r\nQUIT\r\n" >&3; cat <&3' | tr -d '\r' >"$ex/strict-plain.raw"
  capa_blocks first <"$ex/strict-plain.raw" >"$ex/capa-strict-plain"
  grep -qx STLS "$ex/capa-strict-plain" || die "strict face: no STLS before TLS"
  ! grep -qx USER "$ex/capa-strict-plain" || die "strict face: USER advertised before TLS"
  grep -q '^-ERR .*[Pp]laintext' "$ex/strict-plain.raw" ||
    die "strict face: USER before TLS not refused: $(cat "$ex/strict-plain.raw")"
  rm -f "$ex/strict-plain.raw"
  local TLS_VERIFY=(-verify_ip "$STRICT_IP") m
  for m in stls pop3s; do
    if [ "$m" = stls ]; then
      tls_session "$ex/strict.raw" "USER alice" "PASS $ALICE_PASS" "STAT" "QUIT" \
        -starttls pop3 -connect "$STRICT_IP:$p" -CAfile "$d/ca.pem"
    else
      tls_session "$ex/strict.raw" "USER alice" "PASS $ALICE_PASS" "STAT" "QUIT" \
        -connect "$STRICT_IP:$ps" -CAfile "$d/ca.pem"
    fi
    grep -q "^+OK $(cat "$ex/stat")" "$ex/strict.raw" ||
      die "strict face: no login over $m: $(tr -d '\r' <"$ex/strict.raw")"
  done
  rm -f "$ex/strict.raw"
}

# ----------------------------------------------------------------- start ---
cmd_start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (Dovecot master)"
  command -v dovecot >/dev/null || die "dovecot not installed (test/install-deps.sh)"
  id dovecot >/dev/null 2>&1 && id dovenull >/dev/null 2>&1 || die "users dovecot/dovenull missing"
  local d
  d=$(absdir "$1")
  if master_pid "$d" >/dev/null; then log "stopping the instance left running in $d"; fi
  # any failure from here on stops whatever was started
  START_DIR=$d
  trap 'rc=$?; if [ "$rc" -ne 0 ]; then cmd_stop "$START_DIR"; fi' EXIT
  cmd_stop "$d" 2>/dev/null || true
  # Mail processes run as the dovecot user: it must reach DIR/mail.
  chmod 755 "$d"
  rm -rf "$d/state" "$d/mail" "$d/expected" "$d/env" "$d/env.new" "$d/dovecot.log" \
    "$d/dovecot.out" "$d/dovecot.pid" "$d/big-msg"
  mkdir -p "$d/state" "$d/mail"
  chmod 755 "$d/mail"

  # base_dir holds unix sockets (path limit 108 bytes): use DIR/run when short.
  local base=$d/run
  if [ "${#base}" -gt 60 ]; then base=$(mktemp -d /tmp/pop3dc.XXXXXX); fi
  mkdir -p "$base"; chmod 755 "$base"
  printf '%s\n' "$base" >"$d/base_dir"

  gen_tls "$d"
  gen_server_cert "$d" server-strict "$STRICT_IP" "IP:$STRICT_IP"
  seed_maildir "$d/mail/alice" $(printf 'msg_%s ' "${ALICE_SEEDS[@]}")
  seed_bob "$d"
  seed_carol "$d"
  setpriv --reuid=dovecot --regid=dovecot --clear-groups test -w "$d/mail/alice/cur" ||
    die "the dovecot user cannot write $d/mail/alice (a parent directory not searchable?)"
  gen_oauth2 "$d"
  start_introspect "$d"

  local attempt p ps pid ok
  for attempt in 1 2 3 4 5; do
    p=$(pick_port); ps=$(pick_port "$p")
    write_conf "$d" "$base" "$p" "$ps"
    dovecot -c "$d/dovecot.conf" -n >/dev/null 2>"$d/config-check.log" ||
      { cat "$d/config-check.log" >&2; die "bad dovecot config"; }
    setsid dovecot -F -c "$d/dovecot.conf" </dev/null >>"$d/dovecot.out" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$d/dovecot.pid"
    ok=0
    for _ in $(seq 1 150); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if tcp_ok "$p" greet && tcp_ok "$ps"; then ok=1; break; fi
      sleep 0.1
    done
    if [ "$ok" -eq 1 ]; then break; fi
    if kill -0 "$pid" 2>/dev/null; then
      cmd_stop "$d"; die "dovecot did not open ports $p/$ps (see $d/dovecot.log)"
    fi
    wait "$pid" 2>/dev/null || true
    if grep -q "Address already in use" "$d/dovecot.out" "$d/dovecot.log" 2>/dev/null; then
      log "port clash on $p/$ps, retrying"
      : >"$d/dovecot.out"; : >"$d/dovecot.log" 2>/dev/null || true
      continue
    fi
    cat "$d/dovecot.out" "$d/dovecot.log" >&2 2>/dev/null || true
    die "dovecot exited during start"
  done
  [ "$ok" -eq 1 ] || { cmd_stop "$d"; die "could not start dovecot (ports busy)"; }

  {
    printf 'POP3_DIR=%s\nPOP3_HOST=127.0.0.1\nPOP3_PORT=%s\nPOP3S_PORT=%s\n' "$d" "$p" "$ps"
    printf 'POP3_STRICT_HOST=%s\nPOP3_STRICT_PORT=%s\nPOP3S_STRICT_PORT=%s\n' "$STRICT_IP" "$p" "$ps"
    printf 'POP3_TEST_USER=alice\nPOP3_TEST_PASSWORD=%s\n' "$ALICE_PASS"
    printf 'POP3_BOB_USER=bob\nPOP3_BOB_PASSWORD=%s\n' "$BOB_PASS"
    printf 'POP3_CAROL_USER=carol\nPOP3_CAROL_PASSWORD=%s\n' "$CAROL_PASS"
    printf 'POP3_CAFILE=%s/ca.pem\nPOP3_WRONG_CAFILE=%s/wrong-ca.pem\n' "$d" "$d"
    local t
    for t in alice long expired unknown; do
      printf 'POP3_OAUTH2_TOKEN_%s=%s\n' "${t^^}" "$(cat "$d/tokens/$t.token")"
    done
    printf 'POP3_OAUTH2_PORT=%s\n' "$OAUTH2_PORT"
  } >"$d/env.new"
  write_expected "$d" "$p"
  write_capa "$d" "$p" "$ps"
  check_strict "$d" "$p" "$ps"
  "$PYTHON" "$HERE/sasl_probe.py" "$d/env.new" >"$d/sasl-probe.log" 2>&1 ||
    { cat "$d/sasl-probe.log" >&2; die "SASL probe failed (log: $d/sasl-probe.log)"; }
  mv "$d/env.new" "$d/env"
  # tokens stay out of the test log (they are in DIR/env and DIR/tokens/)
  sed 's/^\(POP3_OAUTH2_TOKEN_[A-Z]*\)=.*/\1=(see DIR\/env)/' "$d/env"
}

# ------------------------------------------------------------------ stop ---
cmd_stop() {
  local d=$1 pid base
  [ -d "$d" ] || return 0
  d=$(cd "$d" && pwd -P)
  base=$(cat "$d/base_dir" 2>/dev/null || true)
  local pids=""
  for f in "$d/dovecot.pid" ${base:+"$base/master.pid"}; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    # only a dovecot master started with this DIR's config
    if kill -0 "$pid" 2>/dev/null &&
       tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$d/dovecot.conf"; then
      pids="$pids $pid"
    fi
  done
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $pids; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  rm -f "$d/dovecot.pid"
  stop_introspect "$d"
  if [ -n "$base" ] && [ "$base" != "$d/run" ] && [ -d "$base" ]; then
    case $base in /tmp/pop3dc.*) rm -rf "$base" ;; esac
  fi
  return 0
}

cmd_reseed_bob() {
  local d
  d=$(cd "$1" && pwd -P)
  seed_bob "$d"
}

cmd_reseed_carol() {
  local d
  d=$(cd "$1" && pwd -P)
  seed_carol "$d"
}

[ $# -ge 2 ] || { echo "usage: $PROG start|stop|env|reseed-bob|reseed-carol DIR" >&2; exit 2; }
case $1 in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  env) cat "$2/env" ;;
  reseed-bob) cmd_reseed_bob "$2" ;;
  reseed-carol) cmd_reseed_carol "$2" ;;
  *) echo "usage: $PROG start|stop|env|reseed-bob|reseed-carol DIR" >&2; exit 2 ;;
esac
