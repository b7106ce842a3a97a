#!/usr/bin/env bash
# Private GNU Mailutils pop3d (Debian mailutils-pop3d) for integration tests:
# a second real server beside Dovecot.
#
#   mailutils.sh start DIR       config, certificates, mailboxes in DIR; start
#                                pop3d on 127.0.0.1 (two free high ports)
#   mailutils.sh stop DIR        stop it (also after a half-failed start)
#   mailutils.sh reseed-bob DIR  reset bob's mailbox (for DELE tests), primed
# Exit 77 from start when pop3d is not installed (ctest SKIP_RETURN_CODE).
#
# pop3d runs as root in the foreground (its pidfile is DIR/pop3d.pid); each
# session's child switches to "nobody", the owner of DIR/mail/USER/INBOX
# (mbox).  Users come from a virtual domain: DIR/vd/localhost is a passwd file
# with crypt(3) hashes, so the login names are alice@localhost (the messages
# of messages.sh but the 20 MiB one), big@localhost (that one alone: every
# session reads the whole mbox), many@localhost (200 messages of 1-9 KiB) and
# bob@localhost (3 messages, reseeded by DELE tests).  DIR/apop.db (popauth)
# holds the same password for APOP.
# DIR/env: POP3_PORT (plain + STLS), POP3S_PORT, POP3_CAFILE, MU_ALICE,
# MU_MANY, MU_BOB, MU_BIG (login names), MU_PASSWORD (the same for all),
# MU_ALICE_COUNT, MU_MANY_COUNT.
# DIR/expected/USER/N.eml: RETR N as served; USER/N.top0: TOP N 0; USER/list,
# uidl, stat (as pop3-cli prints them); capa-plain, capa-tls, capa-auth,
# capa-auth-plain (CAPA before TLS, after TLS, after login over TLS and
# without; one capability per line).
#
# What Mailutils 3.15 (Debian 1:3.15-4) does, seen here; the tests depend on it:
#  - CAPA: TOP UIDL RESP-CODES PIPELINING AUTH-RESP-CODE EXPIRENEVER USER;
#    STLS on the plain port; IMPLEMENTATION GNU Mailutils 3.15 after login.
#    Misbehaviour: "EXPIRENEVER" is one word (RFC 2449: "EXPIRE NEVER"), and
#    after login on the plain port STLS is still listed (RFC 2595 allows
#    STLS only in the AUTHORIZATION state).  No SASL line (the build has
#    GSASL).  The greeting has an APOP timestamp, so curl logs in with APOP.
#  - It changes the messages it serves.  A session that answers UIDL adds an
#    X-UIDL header (an MD5 and the time) to each message, RETR marks a
#    message read, and QUIT rewrites the mbox with X-UIDL, X-UID, X-IMAPbase
#    (message 1), "Status: O" on every message and "Status: OR" on those
#    RETRieved; later sessions serve those headers too (the spaces after
#    "X-IMAPbase:" cut to one).  So the fixture first sends UIDL and RETRs
#    every message once, then takes what a second session receives as
#    expected/, checks that a third one (curl) serves the same bytes, and
#    that apart from those four headers the seeded message (CRLF) comes back
#    unchanged but for the next two points (mailutils_check.py).
#  - The rewrite stores a header whose value starts on a folded line
#    ("References:" then " <id>") as "References: " (a space added).
#  - A message with an empty body is served with one empty body line: the
#    blank line that separates it from the next message in the mbox.
#  - TOP N L with L > 0 sends an empty line more than RFC 1939 has between
#    the header's empty line and the first body line (TOP N 0 is right).
#  - LIST in the session that adds X-UIDL does not count that header; once
#    the mbox holds it, LIST is the octet count of RETR (checked).
#  - A mailbox is locked for the whole session: a second login to it gets
#    "-ERR [IN-USE] Mailbox in use" (RFC 1939 allows that), so the tests of
#    one mailbox take turns (RESOURCE_LOCK in CMakeLists.txt).
#  - It reads commands one byte per read() and writes each reply line with
#    its own write() (strace, plain port), so Nagle holds the second segment
#    of a reply until the client's delayed ACK: one command at a time, a RETR
#    costs ~50 ms on loopback, over TLS as well (200 in 9-12 s; pipelined,
#    1.4 s; Dovecot answers at once).  The default output-buffer-size is
#    kept, as a real server would run it.  PIPELINING works, even before login.
#  - USER gets a bare "+OK", PASS "+OK opened mailbox for USER".
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd -P)
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
# shellcheck source=fixture_lib.sh
. "$HERE/fixture_lib.sh" # port_in_use, pick_port, gen_tls
# shellcheck source=messages.sh
. "$HERE/messages.sh" # hdr, gen_body, msg_*

POP3D=/usr/sbin/pop3d
PYTHON=/usr/bin/python3 # Debian's (test/install-deps.sh)
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)
PASS=mu-secret-42
DOMAIN=localhost
ALICE_SEEDS=(small dots empty longhdr mid)
MANY=200

# ------------------------------------------------------------ mailboxes ----
# mbox: each message after a "From " line, LF line ends, a blank line after
# it (the separator mbox readers expect).  No generated body line starts with
# "From ", so no ">From" quoting is involved.  Each message is also kept as
# generated in DIR/seed/USER/N, for the check of what the server changed.
msg_many() { # n: 1-9 KiB, a dot-heavy body, the number in the headers
  hdr "many-$1" "Message $1 of $MANY"
  printf '\n'
  gen_body $((1024 + ($1 * 397) % 8192)) "$1"
}

seed_user() { # dir user generator-fn...
  local md=$1/mail/$2 sd=$1/seed/$2 fn i=0
  rm -rf "$md" "$sd"; mkdir -p "$md" "$sd"
  shift 2
  for fn in "$@"; do
    i=$((i + 1))
    # shellcheck disable=SC2086 # "fn arg" pairs
    $fn >"$sd/$i"
    { printf 'From sender@example.org Mon Jan  1 00:00:00 2024\n'; cat "$sd/$i"; printf '\n'; }
  done >"$md/INBOX"
  chown -R nobody:nogroup "$md"
}

seed_alice() { seed_user "$1" alice $(printf 'msg_%s ' "${ALICE_SEEDS[@]}"); }
seed_many() {
  local i fns=()
  for i in $(seq 1 "$MANY"); do fns+=("msg_many $i"); done
  seed_user "$1" many "${fns[@]}"
}
seed_bob() { seed_user "$1" bob "msg_bob 1" "msg_bob 2" "msg_bob 3"; }
# apart, as every session reads the whole mbox (0.5 s for 20 MiB)
seed_big() { seed_user "$1" big msg_big; }

# ---------------------------------------------------------------- config ---
write_conf() { # dir port port_s
  local d=$1
  cat >"$d/pop3d.conf" <<EOF
# generated by $PROG for integration tests; private instance
pidfile $d/pop3d.pid;
max-children 64;
timeout 120;
logging { syslog no; };
tcp-wrappers { enable no; };
virtdomain { passwd-dir $d/vd; };
auth { authorization virtdomain; authentication generic; };
# APOP secrets (curl logs in with APOP whenever the greeting has a timestamp)
apop-database-file $d/apop.db;
apop-database-owner root;
tls {
  ssl-certificate-file $d/tls/server.pem;
  ssl-key-file $d/tls/server.key;
};
server 127.0.0.1:$2 { tls-mode ondemand; };
server 127.0.0.1:$3 { tls-mode connection; };
EOF
}

write_users() { # dir
  local d=$1 h u uid gid
  uid=$(id -u nobody) gid=$(id -g nobody)
  h=$(openssl passwd -6 "$PASS")
  mkdir -p "$d/vd"
  : >"$d/vd/$DOMAIN"
  for u in alice many bob big; do
    printf '%s:%s:%s:%s:%s:%s/mail/%s:/bin/false\n' "$u" "$h" "$uid" "$gid" "$u" "$d" "$u" >>"$d/vd/$DOMAIN"
  done
  chmod 644 "$d/vd/$DOMAIN"
  rm -f "$d/apop.db"
  for u in alice many bob big; do printf '%s@%s %s\n' "$u" "$DOMAIN" "$PASS"; done |
    popauth --create --output="$d/apop.db" --permissions=600 || die "popauth failed"
}

# ------------------------------------------------------- expected files ----
curl_mu() { # user curl-args...: one curl session as USER@localhost
  local u=$1; shift
  curl -sS --max-time 120 -u "$u@$DOMAIN:$PASS" "$@"
}

# fetch_all USER OUTDIR N...: RETR each N in one curl session (then QUIT)
fetch_all() {
  local u=$1 o=$2 i args=()
  shift 2
  mkdir -p "$o"
  for i in "$@"; do args+=(-o "$o/$i.eml" "pop3://127.0.0.1:$POP3_PORT/$i"); done
  curl_mu "$u" "${args[@]}" || die "curl RETR of $u's messages failed"
}

# prime USER COUNT: UIDL and RETR of every message in one raw session, all
# commands sent at once (one at a time, each costs ~50 ms here: see above).
# fd 4: a background job's stdin would be /dev/null.
prime() {
  local i
  {
    printf 'USER %s@%s\r\nPASS %s\r\nUIDL\r\n' "$1" "$DOMAIN" "$PASS"
    for i in $(seq 1 "$2"); do printf 'RETR %s\r\n' "$i"; done
    printf 'QUIT\r\n'
  } | timeout 60 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$POP3_PORT"' 4<&0; cat <&4 >&3 & cat <&3' |
    tail -n 1 | grep -q '^+OK' || die "$1: priming session did not end with +OK"
}

# fetch_raw USER COUNT OUTDIR: RETR 1..COUNT in one raw pipelined session,
# each reply unstuffed into OUTDIR/N.eml (for many@: curl needs ~10 s there)
fetch_raw() {
  local i
  mkdir -p "$3"
  {
    printf 'USER %s@%s\r\nPASS %s\r\n' "$1" "$DOMAIN" "$PASS"
    for i in $(seq 1 "$2"); do printf 'RETR %s\r\n' "$i"; done
    printf 'QUIT\r\n'
  } | timeout 60 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$POP3_PORT"' 4<&0; cat <&4 >&3 & cat <&3' |
    awk -v d="$3" -v want="$2" '
      NR <= 3 { if ($0 !~ /^\+OK/) bad = 1; next }   # greeting, USER, PASS
      !body && n == want { if ($0 !~ /^\+OK/) bad = 1; quit = 1; next }
      !body { if ($0 !~ /^\+OK/) bad = 1; n++; f = d "/" n ".eml"; printf "" > f; body = 1; next }
      $0 == ".\r" { close(f); body = 0; next }
      { sub(/^\./, ""); print > f }
      END { exit (bad || !quit || body) }' || die "$1: raw RETR session failed"
}

write_expected_user() { # dir user count
  local d=$1 u=$2 n=$3 ex=$1/expected/$2 i url=pop3://127.0.0.1:$POP3_PORT/
  rm -rf "$ex"; mkdir -p "$ex"
  # first session: UIDL adds X-UIDL, RETR Status: OR; QUIT stores both
  prime "$u" "$n"
  if [ "$u" = many ]; then fetch_raw "$u" "$n" "$ex"; else fetch_all "$u" "$ex" $(seq 1 "$n"); fi
  curl_mu "$u" "$url" | tr -d '\r' >"$ex/list" || die "curl LIST failed"
  curl_mu "$u" -X UIDL "$url" | tr -d '\r' >"$ex/uidl" || die "curl UIDL failed"
  curl_mu "$u" -X "TOP 1 0" "$url" >"$ex/curl-top0" || die "curl TOP failed"
  # a later session (curl; for many@ three of the 200) serves the same bytes
  if [ "$u" = many ]; then fetch_all "$u" "$d/again/$u" 1 $((n / 2)) "$n"
  else fetch_all "$u" "$d/again/$u" $(seq 1 "$n"); fi
  [ "$(wc -l <"$ex/list")" -eq "$n" ] && [ "$(wc -l <"$ex/uidl")" -eq "$n" ] ||
    die "$u: LIST/UIDL do not list $n messages"
  printf '%s %s\n' "$n" "$(awk '{ s += $2 } END { print s }' "$ex/list")" >"$ex/stat"
  "$PYTHON" "$HERE/mailutils_check.py" "$d" "$u" "$n" || exit 1
  cmp -s "$ex/curl-top0" "$ex/1.top0" || die "$u: TOP 1 0 is not the header of RETR 1"
  rm -rf "$d/prime/$u" "$d/again/$u" "$ex/curl-top0"
}

# CAPA as sent: before TLS, after STLS, after login (one capability per line)
capa_of() { # which(1|last)
  tr -d '\r' | awk -v which="$1" '
    /^\+OK Capability/ { inblk = 1; cur = ""; next }
    inblk && $0 == "." { k++; last = cur; if (k == 1) first = cur; inblk = 0; next }
    inblk { cur = cur $0 "\n" }
    END { printf "%s", (which == 1 ? first : last) }'
}

write_capa() { # dir
  local d=$1 ex=$1/expected
  timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$POP3_PORT"'
    printf "CAPA\r\nQUIT\r\n" >&3; cat <&3' | capa_of 1 >"$ex/capa-plain"
  {
    printf 'CAPA\r\nUSER alice@%s\r\nPASS %s\r\nCAPA\r\nQUIT\r\n' "$DOMAIN" "$PASS"
    # stdin stays open until the server said bye: s_client quits at EOF
    for _ in $(seq 1 100); do
      grep -q '^IMPLEMENTATION' "$ex/capa.raw" 2>/dev/null &&
        [ "$(tail -n 1 "$ex/capa.raw" | tr -d '\r')" = "+OK" ] && break
      sleep 0.05
    done
  } | timeout 10 openssl s_client -quiet -starttls pop3 -connect "127.0.0.1:$POP3_PORT" \
      -verify_hostname localhost -verify_return_error -CAfile "$d/ca.pem" 2>/dev/null >"$ex/capa.raw" || true
  capa_of 1 <"$ex/capa.raw" >"$ex/capa-tls"
  printf 'USER alice@%s\r\nPASS %s\r\nCAPA\r\nQUIT\r\n' "$DOMAIN" "$PASS" |
    timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$POP3_PORT"' 4<&0; cat <&4 >&3 & cat <&3' |
    capa_of 1 >"$ex/capa-auth-plain"
  capa_of last <"$ex/capa.raw" >"$ex/capa-auth"
  rm -f "$ex/capa.raw"
  grep -qx STLS "$ex/capa-plain" && grep -qx PIPELINING "$ex/capa-plain" ||
    die "CAPA before TLS lacks STLS or PIPELINING: $(tr '\n' ' ' <"$ex/capa-plain")"
  grep -qx USER "$ex/capa-tls" && ! grep -qx STLS "$ex/capa-tls" ||
    die "could not read CAPA after STLS: $(tr '\n' ' ' <"$ex/capa-tls")"
  grep -qx PIPELINING "$ex/capa-auth-plain" && grep -q '^IMPLEMENTATION' "$ex/capa-auth-plain" &&
    grep -qx PIPELINING "$ex/capa-auth" && grep -q '^IMPLEMENTATION' "$ex/capa-auth" ||
    die "could not read CAPA after login: $(tr '\n' ' ' <"$ex/capa-auth")"
}

# --------------------------------------------------------------- helpers ---
server_pid() { # dir: pid of a pop3d started with DIR's config
  local d=$1 pid
  [ -s "$d/pop3d.pid" ] || return 1
  pid=$(cat "$d/pop3d.pid")
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$d/pop3d.conf" || return 1
  echo "$pid"
}

greets() { # port
  timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"' && head -c 3 <&3 | grep -q "+OK"' 2>/dev/null
}

# ----------------------------------------------------------------- start ---
cmd_start() {
  [ -x "$POP3D" ] || { echo "$PROG: $POP3D not installed (mailutils-pop3d): skipped"; exit 77; }
  [ "$(id -u)" -eq 0 ] || die "must run as root (pop3d switches to the mailbox owner)"
  command -v curl >/dev/null || die "curl not installed (test/install-deps.sh)"
  local d
  d=$(cd "$(mkdir -p "$1" && echo "$1")" && pwd -P)
  START_DIR=$d
  trap 'rc=$?; if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then cmd_stop "$START_DIR"; fi' EXIT
  cmd_stop "$d"
  rm -rf "$d/mail" "$d/expected" "$d/env" "$d/pop3d.log" "$d/vd" "$d/apop.db" "$d/seed" "$d/prime" "$d/again"
  mkdir -p "$d/mail" "$d/expected"
  # the session children run as nobody: they must reach DIR/mail/USER
  chmod 755 "$d" "$d/mail"
  gen_tls "$d"
  write_users "$d"
  seed_alice "$d"; seed_many "$d"; seed_bob "$d"; seed_big "$d"
  setpriv --reuid=nobody --regid=nogroup --clear-groups test -w "$d/mail/alice/INBOX" ||
    die "user nobody cannot write $d/mail/alice (a parent directory not searchable?)"

  local attempt pid ok=0
  for attempt in 1 2 3 4 5; do
    POP3_PORT=$(pick_port); POP3S_PORT=$(pick_port "$POP3_PORT")
    write_conf "$d" "$POP3_PORT" "$POP3S_PORT"
    "$POP3D" --config-file="$d/pop3d.conf" --config-lint >"$d/lint.log" 2>&1 ||
      { cat "$d/lint.log" >&2; die "bad pop3d config"; }
    setsid "$POP3D" --config-file="$d/pop3d.conf" --daemon --foreground \
      </dev/null >>"$d/pop3d.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      if greets "$POP3_PORT" && timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$POP3S_PORT" 2>/dev/null; then
        ok=1; break
      fi
      sleep 0.1
    done
    [ "$ok" -eq 0 ] || break
    if kill -0 "$pid" 2>/dev/null; then
      cmd_stop "$d"; die "pop3d did not open ports $POP3_PORT/$POP3S_PORT (see $d/pop3d.log)"
    fi
    wait "$pid" 2>/dev/null || true
    grep -qi "in use" "$d/pop3d.log" || { cat "$d/pop3d.log" >&2; die "pop3d exited during start"; }
    log "port clash on $POP3_PORT/$POP3S_PORT, retrying"
  done
  [ "$ok" -eq 1 ] || die "could not start pop3d (ports busy)"
  server_pid "$d" >/dev/null || die "pop3d runs but $d/pop3d.pid does not name it"

  write_expected_user "$d" alice "${#ALICE_SEEDS[@]}"
  write_expected_user "$d" many "$MANY"
  write_expected_user "$d" big 1
  write_capa "$d"
  {
    printf 'POP3_DIR=%s\nPOP3_PORT=%s\nPOP3S_PORT=%s\nPOP3_CAFILE=%s/ca.pem\n' "$d" "$POP3_PORT" "$POP3S_PORT" "$d"
    printf 'MU_ALICE=alice@%s\nMU_MANY=many@%s\nMU_BOB=bob@%s\nMU_PASSWORD=%s\n' "$DOMAIN" "$DOMAIN" "$DOMAIN" "$PASS"
    printf 'MU_BIG=big@%s\nMU_ALICE_COUNT=%s\nMU_MANY_COUNT=%s\n' "$DOMAIN" "${#ALICE_SEEDS[@]}" "$MANY"
  } >"$d/env"
  cat "$d/env"
}

# ------------------------------------------------------------------ stop ---
cmd_stop() {
  local d=$1 pid
  [ -d "$d" ] || return 0
  d=$(cd "$d" && pwd -P)
  pid=$(server_pid "$d") || { rm -f "$d/pop3d.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$d/pop3d.pid"
  return 0
}

# a fresh mailbox for bob, primed like the others (the headers added, so
# later sessions serve the same bytes as the first one the test sees)
cmd_reseed_bob() {
  local d
  d=$(cd "$1" && pwd -P)
  POP3_PORT=$(sed -n 's/^POP3_PORT=//p' "$d/env")
  seed_bob "$d"
  prime bob 3
}

[ $# -ge 2 ] || { echo "usage: $PROG start|stop|reseed-bob DIR" >&2; exit 2; }
case $1 in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  reseed-bob) cmd_reseed_bob "$2" ;;
  *) echo "usage: $PROG start|stop|reseed-bob DIR" >&2; exit 2 ;;
esac
