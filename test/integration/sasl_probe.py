#!/usr/bin/env python3
"""SASL self-check of the Dovecot fixture, run by "dovecot.sh start".

    sasl_probe.py ENVFILE

ENVFILE: the fixture's DIR/env (shell assignments).  An independent POP3
client (Python 3 standard library only) logs in to the fixture with every
mechanism over STLS (POP3_PORT) and over POP3S (POP3S_PORT): USER/PASS, APOP,
PLAIN (initial response and two-line form), LOGIN, CRAM-MD5, SCRAM-SHA-1,
SCRAM-SHA-256 (server signature verified), XOAUTH2 and OAUTHBEARER (short
token as initial response, the 4,000-octet token after an empty
continuation); each login is followed by STAT, compared with expected/stat.
It checks that a wrong password is refused for every password mechanism, an
expired and an unknown token for both OAuth mechanisms (with the error
continuation and its JSON), that "*" cancels, and that the introspection
service saw each token with the right verdict.  Lines starting "FACT:" say
what Dovecot sent; no password or token is ever printed.  Exit 0 when all
checks pass, 1 otherwise.
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import sys

FAILS = []
FACTS = {}


def b64(data):
    return base64.b64encode(data).decode("ascii")


def fact(key, text):
    """Record an observation once per key, and fail if it differs between runs."""
    if key in FACTS and FACTS[key] != text:
        FAILS.append("inconsistent %s: %r then %r" % (key, FACTS[key], text))
    FACTS.setdefault(key, text)


class Pop3:
    """One connection: STLS on the plain port, or implicit TLS."""

    def __init__(self, env, mode):
        self.env = env
        self.buf = b""
        port = int(env["POP3_PORT" if mode == "stls" else "POP3S_PORT"])
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        ctx = ssl.create_default_context(cafile=env["POP3_CAFILE"])
        if mode == "pop3s":
            self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
            self.greeting = self.line()
        else:
            self.greeting = self.line()
            # nothing is buffered past a line before TLS (line() reads single octets)
            if self.cmd("STLS")[:3] != b"+OK":
                raise RuntimeError("STLS refused")
            self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.tls = True
        if not self.greeting.startswith(b"+OK"):
            raise RuntimeError("bad greeting %r" % self.greeting)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(4096 if isinstance(self.sock, ssl.SSLSocket) else 1)
            if not chunk:
                raise RuntimeError("connection closed (after %r)" % self.buf[:200])
            self.buf += chunk
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def send(self, text):
        self.sock.sendall(text.encode("ascii") + b"\r\n")

    def cmd(self, text):
        self.send(text)
        return self.line()

    def multi(self):
        lines = []
        while True:
            ln = self.line()
            if ln == b".":
                return lines
            lines.append(ln)

    def close(self):
        try:
            self.send("QUIT")
            self.line()
        except (OSError, RuntimeError):
            pass
        self.sock.close()


def capa_sasl(c):
    if c.cmd("CAPA")[:3] != b"+OK":
        raise RuntimeError("CAPA refused")
    for ln in c.multi():
        if ln.startswith(b"SASL "):
            return ln.decode().split()[1:]
    return []


def cont(reply, what):
    """The payload of a "+ " continuation (decoded), or an error."""
    if not reply.startswith(b"+") or reply.startswith(b"+OK"):
        raise RuntimeError("%s: want a continuation, got %r" % (what, reply[:120]))
    return base64.b64decode(reply[2:], validate=True) if len(reply) > 2 else b""


# ----------------------------------------------------------- mechanisms ---
# Each returns the server's final reply line; steps that must have a given
# form raise RuntimeError.

def m_user(c, user, pw):
    if c.cmd("USER " + user)[:3] != b"+OK":
        raise RuntimeError("USER refused")
    return c.cmd("PASS " + pw)


def m_apop(c, user, pw):
    ts = c.greeting[c.greeting.index(b"<"):c.greeting.rindex(b">") + 1]
    return c.cmd("APOP %s %s" % (user, hashlib.md5(ts + pw.encode()).hexdigest()))


def m_plain(c, user, pw, two_line=False):
    resp = b64(b"\0" + user.encode() + b"\0" + pw.encode())
    if not two_line:
        return c.cmd("AUTH PLAIN " + resp)
    r = c.cmd("AUTH PLAIN")
    fact("empty continuation", repr(r))
    cont(r, "AUTH PLAIN")
    return c.cmd(resp)


def m_login(c, user, pw):
    r = c.cmd("AUTH LOGIN")
    fact("LOGIN prompts", "%r" % cont(r, "LOGIN user prompt"))
    r = c.cmd(b64(user.encode()))
    fact("LOGIN prompt 2", "%r" % cont(r, "LOGIN password prompt"))
    return c.cmd(b64(pw.encode()))


def m_cram(c, user, pw):
    chal = cont(c.cmd("AUTH CRAM-MD5"), "CRAM-MD5 challenge")
    digest = hmac.new(pw.encode(), chal, hashlib.md5).hexdigest()
    return c.cmd(b64(("%s %s" % (user, digest)).encode()))


def m_scram(c, user, pw, hname):
    h = getattr(hashlib, hname)
    mech = {"sha1": "SCRAM-SHA-1", "sha256": "SCRAM-SHA-256"}[hname]
    cnonce = b64(os.urandom(18))
    first_bare = "n=%s,r=%s" % (user, cnonce)
    r = c.cmd("AUTH %s %s" % (mech, b64(("n,," + first_bare).encode())))
    server_first = cont(r, mech + " server-first").decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    if not attrs["r"].startswith(cnonce):
        raise RuntimeError(mech + ": server nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac(hname, pw.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    final_bare = "c=biws,r=" + attrs["r"]
    auth_msg = ",".join((first_bare, server_first, final_bare)).encode()
    ckey = hmac.new(salted, b"Client Key", h).digest()
    csig = hmac.new(h(ckey).digest(), auth_msg, h).digest()
    proof = bytes(a ^ b for a, b in zip(ckey, csig))
    ssig = hmac.new(hmac.new(salted, b"Server Key", h).digest(), auth_msg, h).digest()
    r = c.cmd(b64(("%s,p=%s" % (final_bare, b64(proof))).encode()))
    if r.startswith(b"-ERR"):
        fact("SCRAM wrong proof", "-ERR in reply to client-final (no server-final): %r" % r)
        return r
    if r.startswith(b"+OK"):
        raise RuntimeError(mech + ": +OK without a server signature: %r" % r)
    server_final = cont(r, mech + " server-final").decode()
    if server_final != "v=" + b64(ssig):
        raise RuntimeError(mech + ": wrong server signature")
    r = c.cmd("")
    fact("SCRAM server-final", "a '+ ' continuation carrying v=<ServerSignature>; "
         "the empty response to it gets %r" % r[:3])
    return r


def oauth_payload(mech, user, token, port):
    if mech == "XOAUTH2":
        return "user=%s\x01auth=Bearer %s\x01\x01" % (user, token)
    if user is None:  # RFC 7628 allows a GS2 header without authzid
        return "n,,\x01host=127.0.0.1\x01port=%s\x01auth=Bearer %s\x01\x01" % (port, token)
    return "n,a=%s,\x01host=127.0.0.1\x01port=%s\x01auth=Bearer %s\x01\x01" % (user, port, token)


def m_oauth(c, mech, user, token, port):
    """Returns (final reply, error JSON or None)."""
    resp = b64(oauth_payload(mech, user, token, port).encode())
    line = "AUTH %s %s" % (mech, resp)
    if len(line) + 2 <= 255:  # RFC 5034 section 4: initial response only if it fits
        r = c.cmd(line)
    else:
        r = c.cmd("AUTH " + mech)
        fact("empty continuation", repr(r))
        cont(r, "AUTH " + mech)
        r = c.cmd(resp)
    if not r.startswith(b"+") or r.startswith(b"+OK"):
        return r, None
    raw = cont(r, mech + " error").decode()
    fact(mech + " error continuation", "'+ ' then base64 of %s" % raw)
    err = json.loads(raw)
    # the client's answer to the error continuation (RFC 7628 3.2.3: 0x01)
    r = c.cmd("" if mech == "XOAUTH2" else "AQ==")
    fact(mech + " answer to the error continuation", repr(r))
    return r, err


# ---------------------------------------------------------------- checks ---

def check(name, ok, detail=""):
    print("%s %s%s" % ("ok  " if ok else "FAIL", name, (": " + detail) if detail else ""))
    if not ok:
        FAILS.append(name)


def session(env, mode, name, fn, want_ok, stat):
    """Run one login on a fresh connection; on success STAT must match."""
    c = None
    try:
        c = Pop3(env, mode)
        r = fn(c)
        err = None
        if isinstance(r, tuple):
            r, err = r
        if want_ok:
            ok = r.startswith(b"+OK")
            detail = "" if ok else "refused: %r" % r[:200]
            if ok:
                got = c.cmd("STAT")
                ok = got == b"+OK " + stat
                detail = "" if ok else "STAT %r, want %r" % (got, stat)
            check("%s %s" % (mode, name), ok, detail)
        else:
            ok = r.startswith(b"-ERR")
            check("%s %s refused" % (mode, name), ok, "got %r" % r[:200])
            fact("-ERR on a failed login", repr(r))
        return err
    except (OSError, RuntimeError, ValueError, KeyError) as e:
        check("%s %s" % (mode, name), False, "%s: %s" % (type(e).__name__, e))
        return None
    finally:
        if c is not None:
            c.close()


def read_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for ln in f:
            if "=" in ln:
                k, v = ln.rstrip("\n").split("=", 1)
                env[k] = v
    return env


def main():
    env = read_env(sys.argv[1])
    d = env["POP3_DIR"]
    with open(os.path.join(d, "expected", "stat"), encoding="ascii") as f:
        stat = f.read().strip().encode()
    user, pw = env["POP3_TEST_USER"], env["POP3_TEST_PASSWORD"]
    bad = pw + "-wrong"
    tok = {k: env["POP3_OAUTH2_TOKEN_" + k.upper()] for k in ("alice", "long", "expired", "unknown")}
    for k, v in tok.items():
        with open(os.path.join(d, "tokens", k + ".token"), encoding="ascii") as f:
            check("tokens/%s.token matches env" % k, f.read() == v + "\n")
    check("long token is 4000 octets", len(tok["long"]) == 4000)
    ilog = os.path.join(d, "oauth2", "introspect.log")
    want_mechs = "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER".split()

    for mode in ("stls", "pop3s"):
        port = env["POP3_PORT" if mode == "stls" else "POP3S_PORT"]
        c = Pop3(env, mode)
        mechs = capa_sasl(c)
        c.close()
        check(mode + " CAPA SASL lists every mechanism", set(want_mechs) <= set(mechs), " ".join(mechs))
        fact("CAPA SASL", " ".join(mechs))
        runs = [
            ("USER/PASS", lambda c: m_user(c, user, pw), lambda c: m_user(c, user, bad)),
            ("APOP", lambda c: m_apop(c, user, pw), lambda c: m_apop(c, user, bad)),
            ("PLAIN", lambda c: m_plain(c, user, pw), lambda c: m_plain(c, user, bad)),
            ("PLAIN two-line", lambda c: m_plain(c, user, pw, True), None),
            ("LOGIN", lambda c: m_login(c, user, pw), lambda c: m_login(c, user, bad)),
            ("CRAM-MD5", lambda c: m_cram(c, user, pw), lambda c: m_cram(c, user, bad)),
            ("SCRAM-SHA-1", lambda c: m_scram(c, user, pw, "sha1"),
             lambda c: m_scram(c, user, bad, "sha1")),
            ("SCRAM-SHA-256", lambda c: m_scram(c, user, pw, "sha256"),
             lambda c: m_scram(c, user, bad, "sha256")),
        ]
        for name, good, wrong in runs:
            session(env, mode, name, good, True, stat)
            if wrong:
                session(env, mode, name + " wrong password", wrong, False, stat)
        for mech in ("XOAUTH2", "OAUTHBEARER"):
            for t in ("alice", "long"):
                with open(ilog, encoding="utf-8") as f:
                    seen = len(f.readlines())
                session(env, mode, "%s %s token" % (mech, t),
                        lambda c, t=t: m_oauth(c, mech, user, tok[t], port), True, stat)
                with open(ilog, encoding="utf-8") as f:
                    new = f.readlines()[seen:]
                check("%s %s %s: introspected as active" % (mode, mech, t),
                      any(ln.startswith("introspect %s (%d octets) -> active" % (t, len(tok[t])))
                          for ln in new), "".join(new).strip())
            for t in ("expired", "unknown"):
                with open(ilog, encoding="utf-8") as f:
                    seen = len(f.readlines())
                err = session(env, mode, "%s %s token" % (mech, t),
                              lambda c, t=t: m_oauth(c, mech, user, tok[t], port), False, stat)
                check("%s %s %s: error continuation with JSON" % (mode, mech, t),
                      isinstance(err, dict) and "status" in err, repr(err))
                with open(ilog, encoding="utf-8") as f:
                    new = f.readlines()[seen:]
                check("%s %s %s: introspected as %s" % (mode, mech, t, t),
                      any(("-> %s" % t) in ln for ln in new), "".join(new).strip())
        # OAUTHBEARER with a valid token but no a= in the GS2 header
        c = Pop3(env, mode)
        r = c.cmd("AUTH OAUTHBEARER " + b64(oauth_payload("OAUTHBEARER", None, tok["alice"], port).encode()))
        check(mode + " OAUTHBEARER without a=<user> refused", r.startswith(b"-ERR"), repr(r[:100]))
        fact("OAUTHBEARER without a=", "valid token, GS2 header 'n,,': %r (no error continuation)" % r)
        c.close()
        # "*" cancels an exchange
        c = Pop3(env, mode)
        cont(c.cmd("AUTH PLAIN"), "AUTH PLAIN")
        r = c.cmd("*")
        check(mode + " '*' cancels", r.startswith(b"-ERR"), repr(r))
        fact("-ERR after '*'", repr(r))
        c.close()

    for k in sorted(FACTS):
        print("FACT: %s: %s" % (k, FACTS[k]))
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    print("all SASL checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
