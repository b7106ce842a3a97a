# shellcheck shell=bash
# Sourced by dovecot.sh: OAuth 2.0 tokens for the fixture and the token-
# introspection service (oauth2_introspect.py) that Dovecot's oauth2 passdb
# asks.  Uses dovecot.sh's die, HERE and PYTHON.

# URL-safe random text of exactly N octets (the character set of real tokens)
rand_token() { head -c $(($1 * 3 / 4 + 3)) /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=' | head -c "$1"; }

# Tokens and the introspection service's table (Dovecot's oauth2 settings
# need the service's port: start_introspect writes them).
gen_oauth2() { # dir
  local d=$1 now name tok
  now=$(date +%s)
  rm -rf "$d/tokens" "$d/oauth2"
  mkdir -p "$d/tokens" "$d/oauth2"
  chmod 700 "$d/tokens"; chmod 755 "$d/oauth2"
  printf 'ya29.a0%s\n' "$(rand_token 40)" >"$d/tokens/alice.token"
  printf 'eyJ%s\n' "$(rand_token 3997)" >"$d/tokens/long.token"
  printf 'ya29.x0%s\n' "$(rand_token 40)" >"$d/tokens/expired.token"
  printf 'ya29.u0%s\n' "$(rand_token 40)" >"$d/tokens/unknown.token" # not in the table
  [ "$(head -n1 "$d/tokens/long.token" | tr -d '\n' | wc -c)" -eq 4000 ] || die "long token not 4000 octets"
  OAUTH2_SECRET=$(rand_token 24)
  {
    printf '{"client_id": "pop3test", "client_secret": "%s",\n' "$OAUTH2_SECRET"
    printf ' "issuer": "http://127.0.0.1/pop3test", "tokens": {\n'
    for name in alice long expired; do
      tok=$(cat "$d/tokens/$name.token")
      # alice and long: valid for a day; expired: an hour ago
      printf '  "%s": {"name": "%s", "username": "alice", "scope": "mail", "exp": %s}%s\n' \
        "$tok" "$name" "$([ "$name" = expired ] && echo $((now - 3600)) || echo $((now + 86400)))" \
        "$([ "$name" = expired ] || echo ,)"
    done
    printf '}}\n'
  } >"$d/oauth2/table.json"
  chgrp dovecot "$d/oauth2/table.json"; chmod 640 "$d/oauth2/table.json"
}

# Start the service as the dovecot user; it prints its port to DIR/oauth2/port.
start_introspect() { # dir
  local d=$1 o=$1/oauth2 pid
  : >"$o/port"; : >"$o/introspect.log"; chown dovecot "$o/introspect.log"
  # a copy the dovecot user can surely read, run by the system interpreter
  # (a per-user one, e.g. pyenv's under /root, is not reachable for it)
  cp "$HERE/oauth2_introspect.py" "$o/"; chmod 644 "$o/oauth2_introspect.py"
  setsid setpriv --reuid=dovecot --regid=dovecot --clear-groups \
    "$PYTHON" "$o/oauth2_introspect.py" "$o/table.json" "$o/introspect.log" \
    </dev/null >"$o/port" 2>>"$o/introspect.log" &
  pid=$!
  printf '%s\n' "$pid" >"$o/pid"
  for _ in $(seq 1 100); do
    [ -s "$o/port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$o/introspect.log" >&2; die "introspection service exited"; }
    sleep 0.05
  done
  OAUTH2_PORT=$(head -n1 "$o/port")
  [ -n "$OAUTH2_PORT" ] || die "introspection service did not report its port"
  cat >"$o/dovecot-oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = http://127.0.0.1:$OAUTH2_PORT/introspect
client_id = pop3test
client_secret = $OAUTH2_SECRET
username_attribute = username
active_attribute = active
active_value = true
scope = mail
openid_configuration_url = http://127.0.0.1:$OAUTH2_PORT/.well-known/openid-configuration
timeout_msecs = 10000
EOF
  chgrp dovecot "$o/dovecot-oauth2.conf.ext"; chmod 640 "$o/dovecot-oauth2.conf.ext"
}

stop_introspect() { # dir
  local f=$1/oauth2/pid pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  # only the service started for this DIR
  if kill -0 "$pid" 2>/dev/null &&
     tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$1/oauth2/table.json"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

