#!/usr/bin/env python3
"""A scripted POP3 server on 127.0.0.1 for pop3-cli's option tests (test_options.sh).

    fake_pop3.py DIR

Listens on a free port of 127.0.0.1 (or $FAKE_POP3_PORT; written to DIR/port), serves connections one
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
USER/PASS too (same password). A mailbox of DIR/mailbox messages (a number; 0 if
absent): STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP; every command line received
is appended to DIR/cmds-N. DIR/mode (read at each connection, words) changes the
script: "silent" (no greeting), "tlsrecord" (a TLS alert record instead of a
greeting), "tlsalert-lf" (the same with the alert unexpected_message, whose last octet is
a LF: a "line" with a NUL), "tlshandshake-lf" (a handshake record whose length octets
end in a LF: a "line" without a NUL), "login-delay" / "in-use" (PASS refused with that response code),
"badstat" (a STAT reply that breaks the protocol, with control characters),
"quote-uid" (UIDs with '"' and '\\'), "nopipe" (no PIPELINING), "stls" (STLS
advertised, refused with -ERR), "nouidl" (UIDL refused), "cut-retr-K" (RETR K: +OK, two
lines, then the connection closes), "err-retr-K" (RETR K refused with -ERR), "utf8" (UTF8
USER advertised before login, UTF8 answered +OK in AUTHORIZATION; without it UTF8 gets
-ERR), "utf8-refuse" (advertised, refused),
"stls-inject" (STLS advertised, its +OK followed by a fake reply in the same segment:
response injection), "split" (every multi-line reply sent in four pieces 0.15 s apart; a
command line arriving before its last piece is logged as "EARLY"), "stuffed" (message
bodies with lines that start with ".", and a TAB and an ESC), "lonecr" (bodies with
CRs that end no line: inside, doubled before CRLF, leading, trailing), "close-idle" (the
connection closed when no command came for 0.4 s), "stls-tls" (STLS advertised and done:
TLS with DIR/cert.pem and DIR/key.pem, "TLS" logged once it is up), "apop" (a greeting with a
fresh RFC 1939 timestamp; APOP alice DIGEST accepted only if DIGEST is the lower-case hex MD5 of
the timestamp and DIR/password; without this mode the greeting has none and APOP gets -ERR). CAPA after login is
a shorter list (no USER, SASL, UTF8), as Dovecot and Cyrus do. Commands the shell test
sends as typed: XSINGLE (a one-line +OK), XMULTI (+OK and a dot-stuffed block), XUTF8
(+OK and a block with good and bad UTF-8, a C1 control, a bidi override), XBYE (the
connection closed, no reply). A command line not ended by CRLF is logged as "BARE-LF".
"""
import base64
import hashlib
import hmac
import json
import os
import select
import socket
import ssl
import sys
import time

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
        if b"close-idle" in mode and not select.select([conn], [], [], 0.4)[0]:
            raise EOFError
        line = f.readline(1 << 20)
        if not line:
            raise EOFError
        if not line.endswith(b"\r\n"):
            log.write(b"BARE-LF\n")
        return line.rstrip(b"\r\n")

    def send_multi(first, lines):
        """A status line, dot-stuffed lines and the end marker; with "split" in pieces."""
        data = b"".join(x + b"\r\n" for x in [first] + [b"." + x if x.startswith(b".") else x
                                                        for x in lines] + [b"."])
        if b"split" not in mode:
            f.write(data)
            return
        cut = [0, 3, len(data) // 2, len(data) - 2, len(data)]
        for i in range(4):
            if i == 3 and select.select([conn], [], [], 0)[0]:
                log.write(b"EARLY\n")  # the client sent before the reply ended
            f.write(data[cut[i]:cut[i + 1]])
            time.sleep(0.15)

    def response(ir):
        if ir is not None:
            return b"" if ir == b"=" else base64.b64decode(ir, validate=True)
        send(b"+ ")
        return base64.b64decode(recv(), validate=True)

    mode = (read("mode") or b"").split()
    if b"silent" in mode:
        while f.read(1):
            pass
        return
    if b"tlsrecord" in mode or b"tlsalert-lf" in mode or b"tlshandshake-lf" in mode:
        if b"tlshandshake-lf" in mode:  # a handshake record of 266 octets: its length ends in a LF
            f.write(bytes([0x16, 0x03, 0x03, 0x01, 0x0A]) + b"\x41" * 266)
        else:  # alert: protocol_version, or unexpected_message (10: a LF)
            f.write(bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0A if b"tlsalert-lf" in mode else 0x46]))
        while f.read(1):
            pass
        return
    nmsg = int(read("mailbox") or b"0")
    deleted = set()

    def body(k):
        if b"stuffed" in mode:
            return [b"Subject: message %d" % k, b"", b".hidden line", b"..two dots", b".",
                    b"tab\there esc\x1b[2J"]
        if b"lonecr" in mode:
            return [b"Subject: message %d" % k, b"", b"a\rb", b"two\r\r", b"\rlead", b"end\r"]
        return [b"Subject: message %d" % k, b"", b"body line 1 of %d" % k, b"body line 2 of %d" % k]

    def uid(k):
        return (b'q"%d\\x' % k) if b"quote-uid" in mode else b"uid-%d" % k

    def msgno(w):
        try:
            k = int(w)
        except ValueError:
            return None
        return k if 1 <= k <= nmsg and k not in deleted else None

    log = open(os.path.join(D, "cmds-%d" % n), "ab", buffering=0)
    tls_on = False
    stamp = b"<%d.%s@fake.invalid>" % (os.getpid(), os.urandom(6).hex().encode())  # RFC 1939 sec. 7
    send(b"+OK fake POP3 ready " + stamp if b"apop" in mode else b"+OK fake POP3 ready")
    logged_in = False
    user_ok = False
    while True:
        line = recv()
        words = line.split(b" ")
        verb = words[0].upper()
        log.write((b"PASS ***" if verb == b"PASS" else line) + b"\n")
        live = [k for k in range(1, nmsg + 1) if k not in deleted]
        if verb == b"CAPA":
            caps = [b"UIDL", b"TOP", b"RESP-CODES", b'IMPLEMENTATION fake "pop3" \\o/']
            if not logged_in:
                caps += [b"USER", b"SASL PLAIN SCRAM-SHA-256 XOAUTH2 OAUTHBEARER", b"LOGIN-DELAY 900"]
                if b"stls" in mode or b"stls-inject" in mode or (b"stls-tls" in mode and not tls_on):
                    caps.append(b"STLS")
                if b"utf8" in mode or b"utf8-refuse" in mode:
                    caps.append(b"UTF8 USER")
            if b"nopipe" not in mode:
                caps.append(b"PIPELINING")
            send_multi(b"+OK", caps)
        elif verb == b"STLS" and b"stls-inject" in mode:
            f.write(b"+OK Begin TLS\r\n+OK injected\r\n")
        elif verb == b"STLS" and b"stls-tls" in mode and not tls_on and not logged_in:
            send(b"+OK Begin TLS")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(os.path.join(D, "cert.pem"), os.path.join(D, "key.pem"))
            conn = ctx.wrap_socket(conn, server_side=True)
            f = conn.makefile("rwb", buffering=0)
            tls_on = True
            log.write(b"TLS\n")
        elif verb == b"STLS":
            send(b"-ERR TLS not configured")
        elif verb == b"XSINGLE":
            send(b"+OK single line reply")
        elif verb == b"XMULTI":
            send_multi(b"+OK multi", [b"first", b".stuffed"])
        elif verb == b"XUTF8":
            send_multi(b"+OK caf\xc3\xa9", [b"caf\xc3\xa9", b"c1 \xc2\x9b[2J", b"bidi \xe2\x80\xae", b"overlong \xc0\xaf",
                                          b"cut \xe2\x82", b"bad \xff", b"emoji \xf0\x9f\x93\xa8"])
        elif verb == b"XBYE":
            return
        elif verb == b"UTF8":  # RFC 6856: AUTHORIZATION only, when advertised
            ok = b"utf8" in mode and not logged_in and len(words) == 1
            send(b"+OK UTF8 enabled" if ok else b"-ERR UTF8 not available")
        elif verb == b"USER" and not logged_in:
            user_ok = len(words) == 2 and words[1] == b"alice"
            send(b"+OK")
        elif verb == b"PASS" and not logged_in:
            if b"login-delay" in mode:
                send(b"-ERR [LOGIN-DELAY] wait 15 minutes between logins")
            elif b"in-use" in mode:
                send(b"-ERR [IN-USE] mailbox locked by another session")
            elif user_ok and line[5:] == read("password"):
                logged_in = True
                send(b"+OK logged in")
            else:
                send(b"-ERR [AUTH] wrong password")
        elif verb == b"APOP" and not logged_in and b"apop" in mode:
            want = hashlib.md5(stamp + (read("password") or b"")).hexdigest().encode()
            logged_in = len(words) == 3 and words[1] == b"alice" and words[2] == want
            send(b"+OK logged in" if logged_in else b"-ERR [AUTH] wrong digest")
        elif verb == b"STAT" and logged_in and b"badstat" in mode:
            send(b"+OK lots\x1b[31m of mail")
        elif verb == b"LIST" and logged_in and len(words) == 1:
            send_multi(b"+OK", [b"%d %d" % (k, 100 + k) for k in live])
        elif verb == b"UIDL" and logged_in and b"nouidl" in mode:
            send(b"-ERR UIDL not supported here")
        elif verb == b"UIDL" and logged_in and len(words) == 1:
            send_multi(b"+OK", [b"%d %s" % (k, uid(k)) for k in live])
        elif verb in (b"LIST", b"UIDL", b"RETR", b"TOP", b"DELE") and logged_in:
            k = msgno(words[1]) if len(words) > 1 else None
            if k is None:
                send(b"-ERR no such message")
            elif verb == b"LIST":
                send(b"+OK %d %d" % (k, 100 + k))
            elif verb == b"UIDL":
                send(b"+OK %d %s" % (k, uid(k)))
            elif verb == b"DELE":
                deleted.add(k)
                send(b"+OK deleted")
            elif verb == b"RETR" and b"err-retr-%d" % k in mode:
                send(b"-ERR message %d is damaged" % k)
            elif verb == b"RETR" and b"cut-retr-%d" % k in mode:
                send(b"+OK")
                send(body(k)[0])
                send(body(k)[1])
                # FIN, not RST: what was sent before must reach the client
                conn.shutdown(socket.SHUT_WR)
                while f.read(1):
                    pass
                return
            else:
                lines = body(k) if verb == b"RETR" else body(k)[:2 + int(words[2])]
                send_multi(b"+OK", lines)
        elif verb in (b"RSET", b"NOOP") and logged_in:
            if verb == b"RSET":
                deleted.clear()
            send(b"+OK")
        elif verb == b"QUIT":
            send(b"+OK bye")
            return
        elif verb == b"STAT" and logged_in:
            send(b"+OK %d %d" % (len(live), sum(100 + k for k in live)))
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
        else:
            send(b"-ERR unexpected")


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(os.environ.get("FAKE_POP3_PORT", "0"))))  # 0: a free port
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
