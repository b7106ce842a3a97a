# Helpers shared by the server fixtures (dovecot.sh, mailutils.sh): free
# ports on 127.0.0.1 and a private test CA with server certificates.
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
# gen_server_cert DIR NAME CN SAN: DIR/tls/NAME.pem and NAME.key (subject CN,
# subjectAltName SAN), signed by the test CA that gen_tls made in DIR/tls.
gen_server_cert() {
  local d=$1/tls name=$2 cn=$3 san=$4
  cat >"$d/$name.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=$cn" \
    -keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null ||
    die "openssl: cannot create $name key"
  openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
    -days 3650 -sha256 -extfile "$d/$name.ext" -out "$d/$name.pem" 2>/dev/null ||
    die "openssl: cannot sign $name certificate"
  openssl verify -CAfile "$d/ca.pem" "$d/$name.pem" >/dev/null ||
    die "$name certificate does not verify"
  chmod 600 "$d/$name.key"
}

# gen_tls DIR: the test CA, an unrelated CA (DIR/ca.pem, DIR/wrong-ca.pem) and
# the server certificate DIR/tls/server.pem (DNS:localhost, IP:127.0.0.1).
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
  local name
  for name in ca wrong-ca; do
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$d/$name.key" -out "$d/$name.pem" \
      -config "$d/$name.cnf" -extensions v3_ca 2>/dev/null ||
      die "openssl: cannot create $name"
  done
  gen_server_cert "$1" server localhost "DNS:localhost, IP:127.0.0.1"
  chmod 600 "$d"/*.key
  cp "$d/ca.pem" "$1/ca.pem"
  cp "$d/wrong-ca.pem" "$1/wrong-ca.pem"
}
