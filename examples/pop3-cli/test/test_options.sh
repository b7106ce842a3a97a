#!/usr/bin/env bash
# pop3-cli's login options (ctest: cli_options).
#
#   test_options.sh CLI WORKDIR
#
# Against fake_pop3.py on 127.0.0.1 (a scripted server that counts connections):
# - usage errors exit 2 and never connect: unknown mechanism, an OAuth mechanism
#   without a token, CR/LF/NUL in a token or password, --auth with --apop, --auth
#   without --user, and no option takes a secret on the command line;
# - the counter itself works: valid runs do connect, log in with XOAUTH2 (a token of
#   5,000 octets from a file, and one from POP3_OAUTH2_TOKEN), OAUTHBEARER, PLAIN and
#   SCRAM-SHA-256 (proof checked, a fresh client nonce each time), the server receives
#   the token intact, and neither stdout nor the -v trace shows a secret;
# - a refused token exits 5 with the token message, its JSON status and scope; a
#   refused password exits 5 with the server's text.
# POP3_CLI_WRAPPER (e.g. "valgrind -q --error-exitcode=99 --leak-check=full") runs every
# pop3-cli under that command.
# Exit: 0 pass, 1 fail.
set -uo pipefail
CLI=${1:?usage: test_options.sh CLI WORKDIR}
W=${2:?usage: test_options.sh CLI WORKDIR}
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=fake_env.sh
. "$here/fake_env.sh"

# Secrets of the test run: the server accepts exactly these.
printf 'pw-%s' "$RANDOM$RANDOM" >"$W/password"
head -c 3750 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$W/token" # 5,000 octets
printf 'short-%s' "$RANDOM$RANDOM" >"$W/token2"
TOKEN=$(cat "$W/token")
printf '%s\n' "$TOKEN" >"$W/token.file"
printf 'wrong-token\r\n' >"$W/wrong.file"
PASSWORD=$(cat "$W/password")
PLAIN=(-H 127.0.0.1 -p "$PORT" --plain --allow-plaintext-login --timeout 5000)

# run NAME WANT_RC ARG...: pop3-cli with the test's environment (env set by the caller)
no_secret() { # NAME SECRET: not in stdout or stderr, nor any 16-octet piece of it
  local i piece
  checks=$((checks + 1))
  for ((i = 0; i + 16 <= ${#2}; i += 16)); do
    piece=${2:i:16}
    if grep -qF -- "$piece" "$W/$1.out" "$W/$1.err"; then
      fail "$1: a piece of the secret appears in the output"
      return
    fi
  done
}

unset POP3_PASSWORD POP3_OAUTH2_TOKEN
export POP3_PASSWORD=$PASSWORD

# ---- usage errors: exit 2, nothing connected --------------------------------------
usage unknown-mech "${PLAIN[@]}" -u alice --auth digest-md5 stat
expect_err unknown-mech "unknown SASL mechanism 'digest-md5'"
usage empty-mech "${PLAIN[@]}" -u alice --auth '' stat
usage xoauth2-no-token "${PLAIN[@]}" -u alice --auth xoauth2 stat
expect_err xoauth2-no-token 'needs an OAuth token'
POP3_OAUTH2_TOKEN='' usage oauthbearer-empty-env "${PLAIN[@]}" -u alice --auth OAuthBearer stat
usage auth-apop "${PLAIN[@]}" -u alice --auth plain --apop stat
expect_err auth-apop 'mutually exclusive'
usage auth-no-user "${PLAIN[@]}" --auth plain capa
expect_err auth-no-user '--auth needs --user'
usage token-file-no-auth "${PLAIN[@]}" -u alice --oauth2-token-file "$W/token.file" stat
usage token-file-missing "${PLAIN[@]}" -u alice --auth xoauth2 --oauth2-token-file "$W/nonexistent" stat
usage token-for-password-mech "${PLAIN[@]}" -u alice --auth scram-sha-256 --oauth2-token-file "$W/token.file" stat
usage pass-for-oauth-mech "${PLAIN[@]}" -u alice --auth xoauth2 --pass-file "$W/password" stat
printf 'abc\0def\n' >"$W/nul.file"
usage token-nul "${PLAIN[@]}" -u alice --auth xoauth2 --oauth2-token-file "$W/nul.file" stat
expect_err token-nul 'contains NUL'
printf 'abc\rdef\n' >"$W/cr.file"
usage token-cr "${PLAIN[@]}" -u alice --auth xoauth2 --oauth2-token-file "$W/cr.file" stat
printf 'abc def\n' >"$W/space.file"
usage token-space "${PLAIN[@]}" -u alice --auth oauthbearer --oauth2-token-file "$W/space.file" stat
expect_err token-space 'contains a space'
printf 'abc\001def\n' >"$W/ctl.file"
usage token-ctl "${PLAIN[@]}" -u alice --auth xoauth2 --oauth2-token-file "$W/ctl.file" stat
printf '\n%s\n' "$TOKEN" >"$W/emptyline.file"
usage token-first-line-empty "${PLAIN[@]}" -u alice --auth xoauth2 --oauth2-token-file "$W/emptyline.file" stat
POP3_OAUTH2_TOKEN=$'tok-secret-part\rmore' usage token-env-cr "${PLAIN[@]}" -u alice --auth xoauth2 stat
no_secret token-env-cr 'tok-secret-part'
POP3_OAUTH2_TOKEN=$'tok\nmore' usage token-env-lf "${PLAIN[@]}" -u alice --auth best stat
POP3_PASSWORD=$'pw\rmore' usage pass-env-cr "${PLAIN[@]}" -u alice --auth plain stat
printf 'pw\0more\n' >"$W/pass-nul.file"
usage pass-nul "${PLAIN[@]}" -u alice --auth plain --pass-file "$W/pass-nul.file" stat
# No option takes a secret on the command line (getopt refuses the lot).
for opt in --pass --password --token --oauth2-token --access-token; do
  usage "cmdline${opt//-/_}" "${PLAIN[@]}" -u alice --auth xoauth2 "$opt" "$TOKEN" stat
  no_secret "cmdline${opt//-/_}" "$TOKEN"
done
checks=$((checks + 1))
! "$CLI" --help | grep -qiE -- '--(pass|password|token|oauth2-token)[ =]' ||
  fail "--help names an option that takes a secret on the command line"
[ "$(conns)" = 0 ] || fail "usage errors made $(conns) connection(s)"

# ---- valid runs: they connect, the server gets the secret intact ------------------
n=$(conns)
run xoauth2-file 0 "${PLAIN[@]}" -v -u alice --auth XOAUTH2 --oauth2-token-file "$W/token.file" stat
n=$((n + 1))
[ "$(conns)" = "$n" ] || fail "xoauth2-file: no connection counted (the usage checks above prove nothing)"
cmp -s "$W/token" "$W/secret-$n" || fail "xoauth2-file: the server did not receive the 5,000-octet token intact"
expect_err xoauth2-file 'SASL mechanism XOAUTH2 .*logged in'
expect_err xoauth2-file '^C: AUTH XOAUTH2'
no_secret xoauth2-file "$TOKEN"
checks=$((checks + 1))
[ "$(cat "$W/xoauth2-file.out")" = "0 0" ] || fail "xoauth2-file: stat printed '$(cat "$W/xoauth2-file.out")'"

cp "$W/token2" "$W/token"
POP3_OAUTH2_TOKEN=$(cat "$W/token2") run best-env-token 0 "${PLAIN[@]}" -v -u alice --auth best stat
n=$((n + 1))
cmp -s "$W/token2" "$W/secret-$n" || fail "best-env-token: token from POP3_OAUTH2_TOKEN not received intact"
expect_err best-env-token 'SASL mechanism (OAUTHBEARER|XOAUTH2) \(asked: BEST\)'
no_secret best-env-token "$(cat "$W/token2")"

POP3_OAUTH2_TOKEN=$(cat "$W/token2") run oauthbearer 0 "${PLAIN[@]}" -u alice --auth oauthbearer stat
n=$((n + 1))
cmp -s "$W/token2" "$W/secret-$n" || fail "oauthbearer: token not received intact"

POP3_OAUTH2_TOKEN=$(cat "$W/token2") run best-password 0 "${PLAIN[@]}" -v -u alice --auth best --pass-file "$W/password" stat
n=$((n + 1))
[ -s "$W/nonce-$n" ] || fail "best-password: --pass-file with best: the password, via SCRAM-SHA-256"
expect_err best-password 'SASL mechanism SCRAM-SHA-256'
no_secret best-password "$PASSWORD"

run capa-verbose 0 "${PLAIN[@]}" -v capa
n=$((n + 1))
expect_err capa-verbose 'SASL mechanisms offered that pop3-cli supports \(--auth\): PLAIN SCRAM-SHA-256 XOAUTH2 OAUTHBEARER'
checks=$((checks + 1))
grep -qx 'SASL PLAIN SCRAM-SHA-256 XOAUTH2 OAUTHBEARER' "$W/capa-verbose.out" || fail "capa-verbose: SASL line not on stdout"

run plain 0 "${PLAIN[@]}" -u alice --auth Plain stat
n=$((n + 1))
cmp -s "$W/password" "$W/secret-$n" || fail "plain: the server did not receive the password"

# SCRAM: the server checks the proof; the client nonce comes from the seeded DRBG (two
# runs, two nonces), and best with a password picks SCRAM-SHA-256 over PLAIN.
run scram 0 "${PLAIN[@]}" -u alice --auth scram-sha-256 stat
n=$((n + 1))
run scram-best 0 "${PLAIN[@]}" -v -u alice --auth best stat
n=$((n + 1))
expect_err scram-best 'SASL mechanism SCRAM-SHA-256 \(asked: BEST\): logged in'
no_secret scram-best "$PASSWORD"
checks=$((checks + 1))
[ -s "$W/nonce-$((n - 1))" ] && [ -s "$W/nonce-$n" ] && ! cmp -s "$W/nonce-$((n - 1))" "$W/nonce-$n" ||
  fail "scram: the two client nonces are missing or equal"

# ---- refused: exit 5 ----------------------------------------------------------------
run token-refused 5 "${PLAIN[@]}" -u alice --auth xoauth2 --oauth2-token-file "$W/wrong.file" stat
n=$((n + 1))
expect_err token-refused 'rejected the OAuth token \(status "invalid_token", scope "https://mail.example/pop"\): refresh it'
POP3_PASSWORD=not-it run password-refused 5 "${PLAIN[@]}" -u alice --auth plain stat
n=$((n + 1))
expect_err password-refused 'login \(AUTH PLAIN\) failed: server said: -ERR \[AUTH\] wrong password'
[ "$(conns)" = "$n" ] || fail "expected $n connections in all, counted $(conns)"

if [ "$fails" -gt 0 ]; then
  echo "cli_options: $fails failure(s) in $checks checks (outputs in $W)"
  exit 1
fi
echo "cli_options: $checks checks passed"
