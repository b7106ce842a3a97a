#!/usr/bin/env bash
# pop3-cli check against the test Dovecot (test/integration/dovecot.sh), text
# and --json (parsed with python3), without and with credentials.
# Its lax face (localhost) allows plaintext logins on purpose
# (disable_plaintext_auth = no: other tests exercise the client's own policy),
# so the USER probe finds USER accepted before STLS: that warning (exit 11) is
# expected and must be the only one; everything else must be ok or info.
# Its strict face (POP3_STRICT_HOST, 127.0.0.3) refuses logins before TLS: there
# check must find nothing to warn about (exit 0), USER refused reported as ok.
# --utf8 (UTF8 advertised and accepted, refused) against fake_pop3.py over STLS,
# as Dovecot 2.3 does not offer UTF8; and the options check refuses (exit 2,
# no connection made).
#
#   test_check.sh CLI FIXTURE_DIR OUT_DIR
set -uo pipefail
CLI=$1
FIX=$2
OUT=$3
here=$(cd "$(dirname "$0")" && pwd -P)
RUN_TIMEOUT=120
# shellcheck source=dovecot_env.sh
. "$here/dovecot_env.sh"
ARGS=(-H localhost --port-tls "$POP3S_PORT" --port-stls "$POP3_PORT" --cafile "$POP3_CAFILE" --timeout 10000)


# JSON checks: python3 prints one problem per line.
json_check() { # NAME PYTHON-ASSERTIONS (doc = the object, lv = {id: level})
  local name=$1 code=$2 msgs
  CHECKS=$((CHECKS + 1))
  msgs=$(python3 - "$OUT/$name.out" "$code" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
lv = {f["id"]: f["level"] for f in doc["findings"]}
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
exec(sys.argv[2])
print("\n".join(bad))
PY
  ) || msgs="json does not parse: $(head -c 300 "$OUT/$name.out")"
  [ -z "$msgs" ] || fail "$name: $msgs"
}

COMMON='
want(doc["host"] == "localhost", "host")
for i in ("pop3s", "stls", "certificate", "tls-versions"):
    want(lv.get(i) == "ok", "%s is %r" % (i, lv.get(i)))
want(lv.get("user-before-tls") == "warn", "user-before-tls %r" % lv.get("user-before-tls"))
others = [f for f in doc["findings"] if f["level"] in ("warn", "fail") and f["id"] != "user-before-tls"]
want(not others, "unexpected findings: %r" % others)
want(doc["result"] == "warn" and doc["exit"] == 11, "result %r exit %r" % (doc["result"], doc["exit"]))
want("STLS" in doc["capa"]["before_stls"], "no STLS before STLS")
want("STLS" not in doc["capa"]["after_stls"], "STLS after STLS")
want(any(c.startswith("SASL ") and "SCRAM-SHA-256" in c for c in doc["capa"]["after_stls"]), "SASL after STLS")
want("PIPELINING" in doc["capa"]["pop3s"], "PIPELINING")
t = doc["tls"]["pop3s"]
want(t["ok"] and t["version"] in ("TLSv1.2", "TLSv1.3") and t["cipher"].startswith("TLS"), "pop3s tls %r" % t)
c = t["certificates"][0]
want(c["subject"] == "CN=localhost" and c["san"] == "DNS:localhost, IP:127.0.0.1" and c["verify"] == "ok",
     "certificate %r" % c)
want(c["days_left"] > 3000, "days_left %r" % c["days_left"])
want(doc["tls"]["TLSv1.2"] == "accepted", "TLS 1.2 %r" % doc["tls"]["TLSv1.2"])
want(doc["tls"]["TLSv1.3"] in ("accepted", "unsupported"), "TLS 1.3 %r" % doc["tls"]["TLSv1.3"])
want(isinstance(doc["rtt_ms"], float) and 0 <= doc["rtt_ms"] < 5000, "rtt %r" % doc["rtt_ms"])
'

run text 11 "${ARGS[@]}" check
for w in "ok    POP3S port $POP3S_PORT: TLSv1." "ok    STLS on port $POP3_PORT: TLSv1." \
  "ok    certificate valid, name matches, chain trusted: POP3S: CN=localhost, issued by CN=pop3 test CA" \
  "warn  port $POP3_PORT accepts USER before STLS" "SASL mechanisms: PLAIN LOGIN CRAM-MD5" \
  "login not tested" "summary: " "1 warning, 0 failures (exit 11)"; do
  CHECKS=$((CHECKS + 1))
  grep -qF -- "$w" "$OUT/text.out" || fail "text: missing '$w': $(cat "$OUT/text.out")"
done
run json 11 "${ARGS[@]}" --json check
json_check json "$COMMON"'
want(doc["login"] is None, "login without --user")'

# With credentials: login, STAT, UIDL, TOP over POP3S; the password never on the command line.
POP3_PASSWORD=$POP3_TEST_PASSWORD run login 11 "${ARGS[@]}" --json -u "$POP3_TEST_USER" check
json_check login "$COMMON"'
g = doc["login"]
want(g and g["ok"] and g["via"] == "POP3S", "login %r" % g)
want(g and g["messages"] == '"$MSG_COUNT"' and g["uids"] == '"$MSG_COUNT"' and g["top"] is True, "commands %r" % g)
for i in ("login", "stat", "uidl-answer", "top"):
    want(lv.get(i) == "ok", "%s is %r" % (i, lv.get(i)))'
CHECKS=$((CHECKS + 1))
! grep -qF "$POP3_TEST_PASSWORD" "$OUT/login.out" "$OUT/login.err" || fail "login: password in the output"

# SASL login (--auth) and APOP take the same path.
POP3_PASSWORD=$POP3_TEST_PASSWORD run auth 11 "${ARGS[@]}" --json --auth scram-sha-256 -u "$POP3_TEST_USER" check
json_check auth 'want(doc["login"] and doc["login"]["ok"] and doc["login"]["uids"] == '"$MSG_COUNT"', "login %r" % doc["login"])'
POP3_PASSWORD=$POP3_TEST_PASSWORD run apop 11 "${ARGS[@]}" --json --apop -u "$POP3_TEST_USER" check
json_check apop 'want(doc["login"] and doc["login"]["ok"], "login %r" % doc["login"])'

# A wrong password is a failure (exit 12), reported as the login finding.
POP3_PASSWORD=wrong-$$ run badpass 12 "${ARGS[@]}" -u "$POP3_TEST_USER" check
CHECKS=$((CHECKS + 1))
grep -qE '^FAIL  login via POP3S failed: authentication' "$OUT/badpass.out" || fail "badpass: $(grep -i login "$OUT/badpass.out")"

# Usage: check wants its own port options.
run usage-p 2 -H localhost -p 995 check
run usage-tls 2 -H localhost --tls check
run usage-porttls 2 -H localhost --port-tls 995 capa

# ---- the strict face: all good --------------------------------------------
STRICT=(-H "$POP3_STRICT_HOST" --port-tls "$POP3S_STRICT_PORT" --port-stls "$POP3_STRICT_PORT"
  --cafile "$POP3_CAFILE" --timeout 10000)
STRICT_COMMON='
want(doc["host"] == "'"$POP3_STRICT_HOST"'", "host")
bad_levels = [f for f in doc["findings"] if f["level"] not in ("ok", "info")]
want(not bad_levels, "findings not ok or info: %r" % bad_levels)
for i in ("pop3s", "stls", "certificate", "tls-versions", "user-before-tls", "pipelining", "resp-codes"):
    want(lv.get(i) == "ok", "%s is %r" % (i, lv.get(i)))
want(doc["result"] == "ok" and doc["exit"] == 0, "result %r exit %r" % (doc["result"], doc["exit"]))
want(doc["user_before_stls"] == "refused", "user_before_stls %r" % doc["user_before_stls"])
u = [f["message"] for f in doc["findings"] if f["id"] == "user-before-tls"]
want(u and u[0].startswith("USER refused before STLS (-ERR [AUTH] Plaintext"), "user finding %r" % u)
want("STLS" in doc["capa"]["before_stls"] and "USER" not in doc["capa"]["before_stls"], "CAPA before STLS %r" % doc["capa"]["before_stls"])
want("USER" in doc["capa"]["after_stls"] and "STLS" not in doc["capa"]["after_stls"], "CAPA after STLS %r" % doc["capa"]["after_stls"])
for p in ("pop3s", "stls"):
    t = doc["tls"][p]
    want(t and t["ok"] and t["verified"] and t["verify"] == "ok", "%s tls %r" % (p, t))
c = doc["tls"]["pop3s"]["certificates"][0]
want(c["subject"] == "CN='"$POP3_STRICT_HOST"'" and c["san"] == "IP:'"$POP3_STRICT_HOST"'" and c["verify"] == "ok",
     "certificate %r" % c)
'
run strict-text 0 "${STRICT[@]}" check
for w in "ok    POP3S port $POP3S_STRICT_PORT: TLSv1." "ok    STLS on port $POP3_STRICT_PORT: TLSv1." \
  "ok    certificate valid, name matches, chain trusted: POP3S: CN=$POP3_STRICT_HOST, issued by CN=pop3 test CA" \
  "ok    USER refused before STLS (-ERR [AUTH] Plaintext authentication disallowed" \
  "login not tested" " 0 warnings, 0 failures (exit 0)"; do
  CHECKS=$((CHECKS + 1))
  grep -qF -- "$w" "$OUT/strict-text.out" || fail "strict-text: missing '$w': $(cat "$OUT/strict-text.out")"
done
CHECKS=$((CHECKS + 1))
! grep -qE '^(warn|FAIL) ' "$OUT/strict-text.out" || fail "strict-text: $(grep -E '^(warn|FAIL) ' "$OUT/strict-text.out")"
run strict-json 0 "${STRICT[@]}" --json check
json_check strict-json "$STRICT_COMMON"'
want(doc["login"] is None and doc["utf8"] is None, "login %r utf8 %r" % (doc["login"], doc["utf8"]))'
POP3_PASSWORD=$POP3_TEST_PASSWORD run strict-login 0 "${STRICT[@]}" --json -u "$POP3_TEST_USER" check
json_check strict-login "$STRICT_COMMON"'
g = doc["login"]
want(g and g["ok"] and g["via"] == "POP3S" and g["messages"] == '"$MSG_COUNT"' and g["uids"] == '"$MSG_COUNT"'
     and g["top"] is True, "login %r" % g)
for i in ("login", "stat", "uidl-answer", "top"):
    want(lv.get(i) == "ok", "%s is %r" % (i, lv.get(i)))'
# --utf8: Dovecot 2.3 does not list UTF8; that is information, not a warning.
run strict-utf8 0 "${STRICT[@]}" --json --utf8 check
json_check strict-utf8 "$STRICT_COMMON"'
want(lv.get("utf8") == "info", "utf8 finding %r" % lv.get("utf8"))
want(doc["utf8"] == {"via": "POP3S", "advertised": False, "result": "not advertised", "text": ""}, "utf8 %r" % doc["utf8"])'

# ---- --utf8 against fake_pop3.py (STLS with its own certificate) -----------
F=$OUT/fake
mkdir -p "$F"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$F/key.pem" -out "$F/cert.pem" 2>/dev/null || { echo "openssl failed" >&2; exit 1; }
python3 "$(dirname "$0")/fake_pop3.py" "$F" &
FAKE=$!
# POP3S: a port held bound but never listening (connections refused at once)
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1]); time.sleep(600)' "$F/closed-port" &
HOLD=$!
trap 'kill "$FAKE" "$HOLD" 2>/dev/null; wait "$FAKE" "$HOLD" 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -s "$F/port" ] && [ -s "$F/closed-port" ] && break; sleep 0.05; done
if ! [ -s "$F/port" ] || ! [ -s "$F/closed-port" ]; then echo "fake server did not start" >&2; exit 1; fi
FPORT=$(cat "$F/port")
CLOSED=$(cat "$F/closed-port")
FAKE_ARGS=(-H 127.0.0.1 --port-tls "$CLOSED" --port-stls "$FPORT" --cafile "$F/cert.pem" --timeout 5000)
conns() { [ -f "$F/connections" ] && wc -l <"$F/connections" || echo 0; }
utf8_sent() { # NAME: the fake's command logs of the run; UTF8 only after TLS, once
  local n0=$1 n1 i sent=0
  n1=$(conns)
  for i in $(seq $((n0 + 1)) "$n1"); do
    if grep -qx UTF8 "$F/cmds-$i"; then
      sent=$((sent + 1))
      awk '$0 == "TLS" { t = 1 } $0 == "UTF8" && !t { exit 1 }' "$F/cmds-$i" || echo "UTF8 before TLS in session $i"
    fi
  done
  echo "sent $sent"
}
FAKE_COMMON='
want(lv.get("stls") == "ok" and lv.get("certificate") == "ok", "stls %r certificate %r" % (lv.get("stls"), lv.get("certificate")))'
for m in accepted refused plain; do
  case $m in
    accepted) echo "stls-tls utf8" >"$F/mode"; lvl=ok; res=accepted; text="UTF8 enabled"; flag=(--utf8); want_sent="sent 1" ;;
    refused) echo "stls-tls utf8-refuse" >"$F/mode"; lvl=warn; res=refused; text="UTF8 not available"; flag=(--utf8); want_sent="sent 1" ;;
    plain) echo "stls-tls utf8" >"$F/mode"; flag=(); want_sent="sent 0" ;;
  esac
  n0=$(conns)
  # exit 11 in all three: POP3S refused and USER accepted before STLS are warnings
  run "fake-$m" 11 "${FAKE_ARGS[@]}" --json "${flag[@]}" check
  CHECKS=$((CHECKS + 1))
  got=$(utf8_sent "$n0")
  [ "$got" = "$want_sent" ] || fail "fake-$m: UTF8 $got, want $want_sent"
  if [ "$m" = plain ]; then
    json_check "fake-$m" "$FAKE_COMMON"'
want("utf8" not in lv and doc["utf8"] is None, "utf8 without --utf8: %r" % doc["utf8"])'
  else
    json_check "fake-$m" "$FAKE_COMMON"'
want(lv.get("utf8") == "'"$lvl"'", "utf8 finding %r" % lv.get("utf8"))
want(doc["utf8"] == {"via": "STLS", "advertised": True, "result": "'"$res"'", "text": "'"$text"'"}, "utf8 %r" % doc["utf8"])'
  fi
done
run fake-text 11 "${FAKE_ARGS[@]}" --utf8 check
CHECKS=$((CHECKS + 1))
grep -qxF "ok    UTF8 (RFC 6856) advertised and accepted over STLS (+OK UTF8 enabled)" "$OUT/fake-text.out" ||
  fail "fake-text: $(grep -i utf8 "$OUT/fake-text.out")"
# UTF8 advertised in plaintext, but no TLS anywhere (no POP3S, no STLS): never sent.
echo "utf8" >"$F/mode"
n0=$(conns)
run fake-notls 12 "${FAKE_ARGS[@]}" --json --utf8 check
CHECKS=$((CHECKS + 1))
got=$(utf8_sent "$n0")
[ "$got" = "sent 0" ] || fail "fake-notls: UTF8 $got, want sent 0"
json_check fake-notls '
want(lv.get("stls") == "fail" and lv.get("utf8") == "info", "stls %r utf8 %r" % (lv.get("stls"), lv.get("utf8")))
want(doc["utf8"] == {"via": None, "advertised": None, "result": "untested", "text": ""}, "utf8 %r" % doc["utf8"])'

# Options check cannot use: exit 2, the option named, no connection made.
n0=$(conns)
for o in --raw --keep --all --no-pipelining "--maildir $OUT/md" "--state $OUT/st"; do
  name=usage${o%% *}
  # shellcheck disable=SC2086 # the option and its argument are two words
  run "$name" 2 "${FAKE_ARGS[@]}" $o check
  CHECKS=$((CHECKS + 1))
  grep -qE -- "^pop3-cli: .*${o%% *}( |$)" "$OUT/$name.err" || fail "$name: $(cat "$OUT/$name.err")"
done
CHECKS=$((CHECKS + 1))
[ "$(conns)" = "$n0" ] || fail "usage errors connected to the server"

if [ "$FAILS" -gt 0 ]; then
  echo "cli_check: $FAILS failure(s) in $CHECKS checks (outputs in $OUT)"
  exit 1
fi
echo "cli_check: $CHECKS checks passed"
