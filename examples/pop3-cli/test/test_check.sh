#!/usr/bin/env bash
# pop3-cli check against the test Dovecot (test/integration/dovecot.sh), text
# and --json (parsed with python3), without and with credentials.
# The fixture allows plaintext logins on purpose (disable_plaintext_auth = no:
# other tests exercise the client's own policy), so the USER probe finds USER
# accepted before STLS: that warning (exit 11) is expected and must be the only
# one; everything else must be ok or info.
#
#   test_check.sh CLI FIXTURE_DIR OUT_DIR
set -uo pipefail
CLI=$1
FIX=$2
OUT=$3
[ -s "$FIX/env" ] || { echo "fixture not started: $FIX/env missing" >&2; exit 1; }
# shellcheck disable=SC1091
. "$FIX/env"
rm -rf "$OUT"; mkdir -p "$OUT"
FAILS=0
CHECKS=0
fail() { FAILS=$((FAILS + 1)); echo "FAIL: $*" >&2; }
ARGS=(-H localhost --port-tls "$POP3S_PORT" --port-stls "$POP3_PORT" --cafile "$POP3_CAFILE" --timeout 10000)

run() { # NAME WANT_RC ARG...
  local name=$1 want=$2; shift 2
  timeout 120 "$CLI" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  local rc=$?
  CHECKS=$((CHECKS + 1))
  [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want: $(head -c 1500 "$OUT/$name.out") $(head -c 500 "$OUT/$name.err")"
}

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

if [ "$FAILS" -gt 0 ]; then
  echo "cli_check: $FAILS failure(s) in $CHECKS checks (outputs in $OUT)"
  exit 1
fi
echo "cli_check: $CHECKS checks passed"
