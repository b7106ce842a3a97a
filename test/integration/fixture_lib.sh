# Helpers shared by the server fixtures (dovecot.sh, mailutils.sh): free
# ports on 127.0.0.1 and a private test CA with a server certificate.
# Sourced; the caller defines die().

# ---------------------------------------------------------------- ports ----
port_in_use() {
  # listening anywhere on this port (any address)?
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
  return 1
}

pick_port() {
  local p tries=0 avoid=${1:-0}
  while :; do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    tries=$((tries + 1))
    [ "$p" -ne "$avoid" ] || continue
    if ! port_in_use "$p"; then echo "$p"; return 0; fi
    [ "$tries" -lt 200 ] || die "no free port found"
  done
}

# ----------------------------------------------------------------- tls -----
gen_tls() {
  local d=$1/tls
  mkdir -p "$d"
  cat >"$d/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = pop3 test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
  sed 's/pop3 test CA/pop3 unrelated wrong CA/' "$d/ca.cnf" >"$d/wrong-ca.cnf"
  cat >"$d/server.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  local name
  for name in ca wrong-ca; do
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$d/$name.key" -out "$d/$name.pem" \
      -config "$d/$name.cnf" -extensions v3_ca 2>/dev/null ||
      die "openssl: cannot create $name"
  done
  openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null ||
    die "openssl: cannot create server key"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
    -days 3650 -sha256 -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null ||
    die "openssl: cannot sign server certificate"
  openssl verify -CAfile "$d/ca.pem" "$d/server.pem" >/dev/null ||
    die "server certificate does not verify"
  chmod 600 "$d"/*.key
  cp "$d/ca.pem" "$1/ca.pem"
  cp "$d/wrong-ca.pem" "$1/wrong-ca.pem"
}
