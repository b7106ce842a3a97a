#!/usr/bin/env python3
"""A scripted POP3 server on 127.0.0.1 for pop3-cli's option tests (test_options.sh).

    fake_pop3.py DIR

Listens on a free port of 127.0.0.1 (written to DIR/port), serves connections one
after the other until killed. Every accepted connection appends a line to
DIR/connections, so the test can prove a usage error never connected. SASL
(RFC 5034): PLAIN, XOAUTH2 and OAUTHBEARER, with or without an initial response;
the secret it received is written to DIR/secret-N (N: connection number) for the
test to compare with what it gave the CLI. SCRAM-SHA-256 (RFC 7677) too: the
client's proof is checked and the client nonce written to DIR/nonce-N. What it accepts:
  user "alice", password the content of DIR/password, token the content of
  DIR/token. A wrong token gets the OAuth error challenge (base64 JSON with
  status and scope), then -ERR after the client's empty answer; a wrong
  password gets "-ERR [AUTH] ...".
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import sys

D = sys.argv[1]


def read(name):
    try:
        with open(os.path.join(D, name), "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def scram(n, first, challenge):
    """SCRAM-SHA-256 server side after client-first; True if the proof was right."""
    bare = first.split(b",", 2)[2]  # after the GS2 header "n,,"
    attrs = dict(x.split(b"=", 1) for x in bare.split(b","))
    with open(os.path.join(D, "nonce-%d" % n), "wb") as out:
        out.write(attrs[b"r"])
    salt, iters = os.urandom(16), 4096
    nonce = attrs[b"r"] + base64.b64encode(os.urandom(18))
    server_first = b"r=%s,s=%s,i=%d" % (nonce, base64.b64encode(salt), iters)
    final = challenge(server_first)
    without_proof, proof = final.rsplit(b",p=", 1)
    auth_msg = bare + b"," + server_first + b"," + without_proof
    salted = hashlib.pbkdf2_hmac("sha256", read("password"), salt, iters)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth_msg, "sha256").digest()
    want = bytes(a ^ b for a, b in zip(client_key, signature))
    if attrs[b"n"] != b"alice" or not without_proof.endswith(b",r=" + nonce) or \
            base64.b64decode(proof) != want:
        return False
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    challenge(b"v=" + base64.b64encode(hmac.new(server_key, auth_msg, "sha256").digest()))
    return True


def serve(conn, n):
    f = conn.makefile("rwb", buffering=0)

    def send(line):
        f.write(line + b"\r\n")

    def recv():
        line = f.readline(1 << 20)
        if not line:
            raise EOFError
        return line.rstrip(b"\r\n")

    def response(ir):
        if ir is not None:
            return b"" if ir == b"=" else base64.b64decode(ir, validate=True)
        send(b"+ ")
        return base64.b64decode(recv(), validate=True)

    send(b"+OK fake POP3 ready")
    logged_in = False
    while True:
        words = recv().split(b" ")
        verb = words[0].upper()
        if verb == b"CAPA":
            send(b"+OK")
            for cap in (b"USER", b"UIDL", b"SASL PLAIN SCRAM-SHA-256 XOAUTH2 OAUTHBEARER", b"."):
                send(cap)
        elif verb == b"QUIT":
            send(b"+OK bye")
            return
        elif verb == b"STAT" and logged_in:
            send(b"+OK 0 0")
        elif verb == b"AUTH" and len(words) in (2, 3) and not logged_in:
            mech = words[1].upper()
            raw = response(words[2] if len(words) == 3 else None)
            if mech == b"SCRAM-SHA-256":
                def challenge(data):
                    send(b"+ " + base64.b64encode(data))
                    return base64.b64decode(recv(), validate=True)
                logged_in = scram(n, raw, challenge)
                send(b"+OK logged in" if logged_in else b"-ERR [AUTH] wrong proof")
                continue
            if mech == b"PLAIN":
                _, user, secret = raw.split(b"\0")
                want = read("password")
            elif mech in (b"XOAUTH2", b"OAUTHBEARER"):
                fields = raw.split(b"\x01")
                if mech == b"XOAUTH2":
                    user = fields[0].split(b"user=")[1]
                else:  # GS2 header "n,a=USER," or "n,," (no authzid: the token names the user)
                    gs2 = fields[0].split(b",")
                    user = gs2[1][2:] if gs2[1].startswith(b"a=") else b"alice"
                secret = [x for x in fields if x.startswith(b"auth=Bearer ")][0][12:]
                want = read("token")
            else:
                send(b"-ERR unknown mechanism")
                continue
            with open(os.path.join(D, "secret-%d" % n), "wb") as out:
                out.write(secret)
            if user == b"alice" and secret == want:
                logged_in = True
                send(b"+OK logged in")
            elif mech == b"PLAIN":
                send(b"-ERR [AUTH] wrong password")
            else:
                err = {"status": "invalid_token", "scope": "https://mail.example/pop", "schemes": "bearer"}
                send(b"+ " + base64.b64encode(json.dumps(err).encode()))
                recv()  # the client's empty line (XOAUTH2) or AQ== (OAUTHBEARER)
                send(b"-ERR [AUTH] token expired")
        elif verb in (b"USER", b"PASS"):
            send(b"-ERR USER/PASS not used by this test")
        else:
            send(b"-ERR unexpected")


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    with open(os.path.join(D, "port.tmp"), "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(os.path.join(D, "port.tmp"), os.path.join(D, "port"))
    n = 0
    while True:
        conn, _ = s.accept()
        n += 1
        with open(os.path.join(D, "connections"), "a") as f:
            f.write("%d\n" % n)
        try:
            serve(conn, n)
        except (EOFError, ValueError, IndexError, OSError):
            pass
        conn.close()


main()
