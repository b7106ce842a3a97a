"""Hostile-server cases for SASL AUTH (RFC 5034, pop3_auth() in core/include/pop3.h).

Run on the core through hostile_client (-A MECH), not pop3-cli. Extra case keys
(see cases.py for the others):
  auth          mechanism name given to -A ("best" included); auth_wire: the one
                expected on the wire (default: auth upper-cased)
  token         the OAuth token (-k, from POP3_TOKEN) instead of the password
  authzid, read_secret (-r: secret through read_secret), txlen (-T),
                cancel_ms (-X: pop3_auth_cancel() that long after CONNECT)
  sent_lines    every line the client sent, exactly, in order (bytes, or B64/Re
                matchers); sent_lines_prefix: a prefix of them (the cut cases)
  out_re        regexes on the driver's stdout (AUTHINFO line: mech, code,
                oauth_status, oauth_scope)
  variants      list of dicts: the case runs once per dict (fields overridden)
Always checked for an "auth" case (run_cases.check_auth): AUTH reported exactly
once; neither the secret nor any response line the client sent appears in its
trace (-v), and the trace shows "AUTH <MECH>".

The SCRAM server below is real (hashlib/hmac): it checks the client's proof and
only then sends its signature, so a wrong proof or nonce ends as -ERR.
"""

import base64
import hashlib
import hmac
import re

PASSWORD = "secret"  # run_cases.PASSWORD, the default password
USER = "alice"


def b64(x):
    return base64.b64encode(x)


class B64:
    """A client line: [prefix] + base64 whose decoding equals `payload` (bytes)
    or full-matches it (a compiled bytes regex)."""

    def __init__(self, payload, prefix=b""):
        self.payload, self.prefix = payload, prefix

    def match(self, line):
        if not line.startswith(self.prefix):
            return False
        try:
            d = base64.b64decode(line[len(self.prefix):], validate=True)
        except ValueError:
            return False
        if b64(d) != line[len(self.prefix):]:
            return False  # not canonical (padding, line breaks)
        return d == self.payload if isinstance(self.payload, bytes) else self.payload.fullmatch(d) is not None

    def __repr__(self):
        p = getattr(self.payload, "pattern", self.payload)
        return "%s<base64 of %r>" % (self.prefix.decode(), p[:100])


class Re:
    def __init__(self, rx):
        self.rx = re.compile(rx)

    def match(self, line):
        return self.rx.fullmatch(line) is not None

    def __repr__(self):
        return "/%r/" % self.rx.pattern


# ---- server-side dialogues --------------------------------------------------
def reply_cancel(conn, resp):
    """What a server does with the client's answer "*": -ERR (RFC 5034 section 4)."""
    if resp == b"*":
        conn.send(b"-ERR AUTH cancelled\r\n")
        return True
    return False


def script(*steps):
    """A fixed dialogue: bytes are sent, None reads one client line (answering
    "*" with -ERR and stopping there), a float pauses that many seconds."""
    def fn(conn, line):
        for st in steps:
            if st is None:
                if reply_cancel(conn, conn.readline()):
                    return
            elif isinstance(st, float):
                conn.do([("sleep", st)])
            else:
                conn.send(st)
    return fn


SCRAM_SALT = b"NaCl-pop3-hostile"
SCRAM_SNONCE = b"3rfcNHYJY1ZVvWVs7j"
SCRAM_HASH = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}


def scram_messages(hname, password, client_first_bare, nonce, salt=SCRAM_SALT, iters=4096):
    """(server_first, keys) for a SCRAM exchange."""
    sfirst = b"r=%s,s=%s,i=%d" % (nonce, b64(salt), iters)
    salted = hashlib.pbkdf2_hmac(hname, password, salt, iters)
    return sfirst, salted


def scram_proofs(hname, salted, auth_msg):
    h = lambda k, m: hmac.new(k, m, hname).digest()  # noqa: E731
    ck = h(salted, b"Client Key")
    sig = h(hashlib.new(hname, ck).digest(), auth_msg)
    proof = bytes(a ^ b for a, b in zip(ck, sig))
    return proof, h(h(salted, b"Server Key"), auth_msg)


def scram_server(mech, password=PASSWORD, fault=None, iters=4096, final_ok=b"+OK logged in\r\n"):
    """A real SCRAM server (RFC 5802/7677). fault: None, "badsig" (wrong
    ServerSignature), "ok_early" (+OK instead of server-first), "ok_before_sig"
    (+OK instead of server-final), "err_first" (-ERR [SYS/TEMP] instead of
    server-first), "junk_first" (invalid base64), "garbage_first" (valid base64,
    not a SCRAM message), "long_first" (a 2,000-octet challenge), "nonce" (server
    nonce not extending the client's), "extra" (another continuation after the
    client's final empty response)."""
    hname = SCRAM_HASH[mech]

    def fn(conn, line):
        words = line.split(b" ")
        if len(words) >= 3:
            cfirst = base64.b64decode(words[2])
        else:
            conn.send(b"+ \r\n")  # no initial response: ask for it
            resp = conn.readline()
            if reply_cancel(conn, resp):
                return
            cfirst = base64.b64decode(resp)
        m = re.fullmatch(rb"n,,(n=[^,]*,r=([\x21-\x2b\x2d-\x7e]+))", cfirst)
        if m is None:
            conn.note("scram: bad client-first %r" % cfirst)
            conn.send(b"-ERR [AUTH] bad client-first\r\n")
            return
        bare, cnonce = m.group(1), m.group(2)
        nonce = (b"X" + cnonce[1:] if fault == "nonce" else cnonce) + SCRAM_SNONCE
        sfirst, salted = scram_messages(hname, password.encode(), bare, nonce, iters=iters)
        first = {"ok_early": b"+OK logged in\r\n", "err_first": b"-ERR [SYS/TEMP] try later\r\n",
                 "junk_first": b"+ cj1!!!notbase64***\r\n", "garbage_first": b"+ " + b64(b"hello world") + b"\r\n",
                 "long_first": b"+ " + b"QUFB" * 500 + b"\r\n"}.get(fault, b"+ " + b64(sfirst) + b"\r\n")
        conn.send(first)
        if fault in ("ok_early", "err_first", "long_first"):
            return
        resp = conn.readline()
        if reply_cancel(conn, resp):
            return
        cfinal = base64.b64decode(resp)
        without_proof, _, proof = cfinal.rpartition(b",p=")
        if without_proof != b"c=biws,r=" + nonce:
            conn.note("scram: bad client-final %r" % cfinal)
            conn.send(b"-ERR [AUTH] bad client-final\r\n")
            return
        want, server_sig = scram_proofs(hname, salted, bare + b"," + sfirst + b"," + without_proof)
        if proof != b64(want):
            conn.note("scram: wrong proof")
            conn.send(b"-ERR [AUTH] authentication failed\r\n")
            return
        if fault == "ok_before_sig":
            conn.send(b"+OK logged in\r\n")
            return
        if fault == "badsig":
            server_sig = bytes([server_sig[0] ^ 1]) + server_sig[1:]
        conn.send(b"+ " + b64(b"v=" + b64(server_sig)) + b"\r\n")
        resp = conn.readline()
        if reply_cancel(conn, resp):
            return
        if resp != b"":
            conn.note("scram: final response %r, expected empty" % resp)
            conn.send(b"-ERR [AUTH] expected an empty response\r\n")
            return
        if fault == "extra":
            conn.send(b"+ " + b64(b"v=more") + b"\r\n")
            if reply_cancel(conn, conn.readline()):
                return
        conn.send(final_ok)
    return fn


def scram_server_bytes(mech):
    """Octets the SCRAM server sends in a successful exchange (the client nonce
    is POP3_SCRAM_CNONCE_LEN = 24 characters)."""
    hname = SCRAM_HASH[mech]
    nonce = b"N" * 24 + SCRAM_SNONCE
    sfirst, _ = scram_messages(hname, b"x", b"", nonce)
    return (len(b"+ " + b64(sfirst) + b"\r\n") + len(b"+ " + b64(b"v=" + b64(b"\0" * hashlib.new(hname).digest_size))
            + b"\r\n") + len(b"+OK logged in\r\n"))


# ---- expected client lines -----------------------------------------------------
def scram_lines(mech, user=USER, cancel=None):
    """CAPA, AUTH with client-first, client-final, the empty answer to server-final.
    cancel: "first" / "final": the client's "*" replaces its client-final / its
    empty answer."""
    n = re.escape(user.replace("=", "=3D").replace(",", "=2C").encode())
    cfirst = B64(re.compile(rb"n,,n=" + n + rb",r=[\x21-\x2b\x2d-\x7e]{24}"), b"AUTH " + mech.encode() + b" ")
    plen = 28 if mech == "SCRAM-SHA-1" else 44
    cfinal = B64(re.compile(rb"c=biws,r=[\x21-\x2b\x2d-\x7e]{24}" + re.escape(SCRAM_SNONCE) +
                            rb",p=[A-Za-z0-9+/]{%d}" % (plen - 1) + rb"="))
    if cancel == "first":
        return [b"CAPA", cfirst, b"*"]
    if cancel == "final":
        return [b"CAPA", cfirst, cfinal, b"*"]
    return [b"CAPA", cfirst, cfinal, b""]


def xoauth2(user, token):
    return b"user=%s\x01auth=Bearer %s\x01\x01" % (user.encode(), token.encode())


def oauthbearer(token, authzid=None):
    """RFC 7628 client response; without an authzid the gs2 header names the user
    as a= (pop3_sasl.h: as Gmail and Dovecot expect)."""
    return b"n,a=%s,\x01auth=Bearer %s\x01\x01" % ((authzid or USER).encode(), token.encode())


def plain(user, password, authzid=b""):
    return authzid + b"\0" + user.encode() + b"\0" + password.encode()


def ir_fits(mech, payload):
    """RFC 5034 section 4: the initial response rides on the AUTH line when the
    whole line, CRLF included, is at most 255 octets."""
    return len(b"AUTH %s %s\r\n" % (mech.encode(), b64(payload))) <= 255


TOKEN = "ya29.a0AfH6SMBx-hostile-test-token_0123456789"
GOOGLE_ERR = b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'
MS_ERR = b'{"status":"invalid_token","scope":"https://outlook.office.com/POP.AccessAsUser.All"}'
OB_ERR = b'{"status":"invalid_token","scope":"example_scope",' \
         b'"openid-configuration":"https://example.com/.well-known/openid-configuration"}'
OK = b"+OK logged in\r\n"
CONT = b"+ \r\n"


def long_token(n):
    """An n-octet token of the characters real ones use (no CR/LF/NUL)."""
    base = "eyJ0eXAiOiJKV1QiLCJub25jZSI6Ii1ob3N0aWxlLXRlc3QtIiwiYWxnIjoiUlMyNTYifQ.abc_DEF-123"
    return (base * (n // len(base) + 1))[:n]


SASL_CASES = []


def sasl_case(**kw):
    kw.setdefault("sec", "plain")
    kw.setdefault("cmds", [])
    kw.setdefault("clients", ("posix",))
    kw.setdefault("auth_wire", kw["auth"].upper())
    SASL_CASES.append(kw)


def after_auth_ok(lines):
    return lines + [b"QUIT"]


ALL_MECHS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"]

# ===========================================================================
# Each mechanism, well-behaved server
# ===========================================================================
sasl_case(name="sasl_plain_ir", doc="PLAIN, initial response on the AUTH line", auth="PLAIN",
          sasl=["PLAIN"], replies={"AUTH": OK},
          sent_lines=[b"CAPA", B64(plain(USER, PASSWORD), b"AUTH PLAIN "), b"QUIT"],
          exit=0, lib={"AUTH": "OK"}, lwip=True)
sasl_case(name="sasl_plain_authzid", doc="PLAIN with an authorisation identity", auth="PLAIN",
          authzid="boss", sasl=["PLAIN"], replies={"AUTH": OK},
          sent_lines=[b"CAPA", B64(plain(USER, PASSWORD, b"boss"), b"AUTH PLAIN "), b"QUIT"],
          exit=0, lib={"AUTH": "OK"})
sasl_case(name="sasl_login", doc="LOGIN: user and password each answer a challenge", auth="LOGIN",
          sasl=["LOGIN"],
          replies={"AUTH": [("call", script(b"+ " + b64(b"Username:") + b"\r\n", None,
                                            b"+ " + b64(b"Password:") + b"\r\n", None, OK))]},
          sent_lines=[b"CAPA", b"AUTH LOGIN", b64(USER.encode()), b64(PASSWORD.encode()), b"QUIT"],
          exit=0, lib={"AUTH": "OK"})
sasl_case(name="sasl_cram_md5_rfc2195", doc="CRAM-MD5 with the RFC 2195 example (exact digest)",
          auth="CRAM-MD5", user="tim", password="tanstaaftanstaaf", sasl=["CRAM-MD5"],
          replies={"AUTH": [("call", script(b"+ " + b64(b"<1896.697170952@postoffice.reston.mci.net>") + b"\r\n",
                                            None, OK))]},
          sent_lines=[b"CAPA", b"AUTH CRAM-MD5", b64(b"tim b913a602c7eda7a495b4e6e7334d3890"), b"QUIT"],
          exit=0, lib={"AUTH": "OK"})
for _m in ("SCRAM-SHA-1", "SCRAM-SHA-256"):
    sasl_case(name="sasl_%s" % _m.lower().replace("-", "_"), doc="%s against a real SCRAM server" % _m,
              auth=_m, sasl=[_m], replies={"AUTH": [("call", scram_server(_m))]},
              sent_lines=after_auth_ok(scram_lines(_m)), exit=0, lib={"AUTH": "OK"}, lwip=_m == "SCRAM-SHA-256")
sasl_case(name="sasl_scram_user_escaped", doc="SCRAM user name with ',' and '=' goes out as =2C / =3D",
          auth="SCRAM-SHA-256", user="al,i=ce", sasl=["SCRAM-SHA-256"],
          replies={"AUTH": [("call", scram_server("SCRAM-SHA-256"))]},
          sent_lines=after_auth_ok(scram_lines("SCRAM-SHA-256", user="al,i=ce")), exit=0, lib={"AUTH": "OK"})
sasl_case(name="sasl_scram_stls", doc="SCRAM-SHA-256 after STLS: no AUTH before TLS", sec="stls",
          auth="SCRAM-SHA-256", sasl=["SCRAM-SHA-256"], replies={"AUTH": [("call", scram_server("SCRAM-SHA-256"))]},
          sent_lines=[b"CAPA", b"STLS", b"CAPA"] + scram_lines("SCRAM-SHA-256")[1:] + [b"QUIT"],
          exit=0, lib={"AUTH": "OK"})
sasl_case(name="sasl_xoauth2_ir", doc="XOAUTH2, short token: initial response on the line", auth="XOAUTH2",
          token=TOKEN, sasl=["PLAIN", "XOAUTH2"], replies={"AUTH": OK},
          sent_lines=[b"CAPA", B64(xoauth2(USER, TOKEN), b"AUTH XOAUTH2 "), b"QUIT"], exit=0, lib={"AUTH": "OK"})
sasl_case(name="sasl_oauthbearer_ir", doc="OAUTHBEARER (RFC 7628), short token", auth="OAUTHBEARER",
          token=TOKEN, sasl=["OAUTHBEARER"], replies={"AUTH": OK},
          sent_lines=[b"CAPA", B64(oauthbearer(TOKEN), b"AUTH OAUTHBEARER "), b"QUIT"], exit=0, lib={"AUTH": "OK"})
sasl_case(name="sasl_oauthbearer_authzid", doc="OAUTHBEARER with an authzid: gs2 header n,a=ID,",
          auth="OAUTHBEARER", token=TOKEN, authzid="boss", sasl=["OAUTHBEARER"], replies={"AUTH": OK},
          sent_lines=[b"CAPA", B64(oauthbearer(TOKEN, "boss"), b"AUTH OAUTHBEARER "), b"QUIT"], exit=0,
          lib={"AUTH": "OK"})

# ===========================================================================
# Continuation forms, the 255-octet rule, long tokens streamed
# ===========================================================================
T700 = long_token(700)
assert not ir_fits("XOAUTH2", xoauth2(USER, T700))
sasl_case(name="sasl_xoauth2_continuation_forms",
          doc="700-octet token: AUTH XOAUTH2 alone, then the base64 after '+' or '+ ' (Exchange Online sends "
              "either), through a minimal tx_buf (the line is longer than tx_buf: it streamed in pieces)",
          auth="XOAUTH2", token=T700, txlen=0, sasl=["XOAUTH2"],
          replies={"AUTH": [("call", script(CONT, None, OK))]},
          variants=[{"variant": "plus_space"},
                    {"variant": "plus", "replies": {"AUTH": [("call", script(b"+\r\n", None, OK))]}}],
          sent_lines=[b"CAPA", b"AUTH XOAUTH2", B64(xoauth2(USER, T700)), b"QUIT"], exit=0, lib={"AUTH": "OK"},
          lwip=True)
T4000 = long_token(4000)
sasl_case(name="sasl_xoauth2_token_4000_read_secret",
          doc="4,000-octet token read through read_secret, minimal tx_buf: one exact base64 line",
          auth="XOAUTH2", token=T4000, read_secret=True, txlen=0, sasl=["XOAUTH2"],
          replies={"AUTH": [("call", script(b"+\r\n", None, OK))]},
          sent_lines=[b"CAPA", b"AUTH XOAUTH2", B64(xoauth2(USER, T4000)), b"QUIT"], exit=0, lib={"AUTH": "OK"},
          out_re=[rb"(?m)^SECRET reads=[1-9]"], lwip=True)
sasl_case(name="sasl_oauthbearer_token_4000", doc="OAUTHBEARER, 4,000-octet token from caller memory",
          auth="OAUTHBEARER", token=T4000, txlen=0, sasl=["OAUTHBEARER"],
          replies={"AUTH": [("call", script(CONT, None, OK))]},
          sent_lines=[b"CAPA", b"AUTH OAUTHBEARER", B64(oauthbearer(T4000)), b"QUIT"], exit=0, lib={"AUTH": "OK"})
# The 255-octet boundary: "AUTH XOAUTH2 " + base64 + CRLF.
T_FIT = "t" * 155
T_OVER = "t" * 156
assert len(b"AUTH XOAUTH2 " + b64(xoauth2(USER, T_FIT)) + b"\r\n") == 255 and ir_fits("XOAUTH2", xoauth2(USER, T_FIT))
assert not ir_fits("XOAUTH2", xoauth2(USER, T_OVER))
sasl_case(name="sasl_ir_255_fits", doc="AUTH line of exactly 255 octets with CRLF: initial response on it",
          auth="XOAUTH2", token=T_FIT, sasl=["XOAUTH2"], replies={"AUTH": OK},
          sent_lines=[b"CAPA", B64(xoauth2(USER, T_FIT), b"AUTH XOAUTH2 "), b"QUIT"], exit=0, lib={"AUTH": "OK"})
sasl_case(name="sasl_ir_too_long", doc="AUTH line would be 259 octets: no initial response, it follows '+ '",
          auth="XOAUTH2", token=T_OVER, sasl=["XOAUTH2"], replies={"AUTH": [("call", script(CONT, None, OK))]},
          sent_lines=[b"CAPA", b"AUTH XOAUTH2", B64(xoauth2(USER, T_OVER)), b"QUIT"], exit=0, lib={"AUTH": "OK"})
PW200 = "p" * 200
sasl_case(name="sasl_plain_long_password", doc="PLAIN with a 200-octet password: continuation form",
          auth="PLAIN", password=PW200, sasl=["PLAIN"], replies={"AUTH": [("call", script(b"+\r\n", None, OK))]},
          sent_lines=[b"CAPA", b"AUTH PLAIN", B64(plain(USER, PW200)), b"QUIT"], exit=0, lib={"AUTH": "OK"})

# ===========================================================================
# A rejected OAuth token
# ===========================================================================
sasl_case(name="sasl_xoauth2_error_continuation",
          doc="XOAUTH2: '+ <base64 JSON>' error challenge, the client answers an empty line, then -ERR: "
              "POP3_ERR_AUTH_TOKEN with the JSON's status and scope; the session stays usable (QUIT)",
          auth="XOAUTH2", token=TOKEN, sasl=["XOAUTH2"],
          replies={"AUTH": [("call", script(b"+ " + b64(GOOGLE_ERR) + b"\r\n", None,
                                            b"-ERR [AUTH] Invalid credentials\r\n"))]},
          variants=[{"variant": "google"},
                    {"variant": "microsoft", "token": T700,
                     "replies": {"AUTH": [("call", script(b"+\r\n", None, b"+ " + b64(MS_ERR) + b"\r\n", None,
                                                          b"-ERR Authentication failure\r\n"))]},
                     "sent_lines": [b"CAPA", b"AUTH XOAUTH2", B64(xoauth2(USER, T700)), b"", b"QUIT"],
                     "out_re": [rb"(?m)^AUTHINFO mech=XOAUTH2 .*oauth_status=invalid_token "
                                rb"oauth_scope=https://outlook.office.com/POP.AccessAsUser.All "]}],
          sent_lines=[b"CAPA", B64(xoauth2(USER, TOKEN), b"AUTH XOAUTH2 "), b"", b"QUIT"],
          out_re=[rb"(?m)^AUTHINFO mech=XOAUTH2 .*oauth_status=401 oauth_scope=https://mail.google.com/ "],
          exit=5, quit=True, lib={"AUTH": "ERR_AUTH_TOKEN"})
sasl_case(name="sasl_oauthbearer_error_continuation",
          doc="OAUTHBEARER: error challenge answered with AQ== (one 0x01), then -ERR: POP3_ERR_AUTH_TOKEN",
          auth="OAUTHBEARER", token=TOKEN, sasl=["OAUTHBEARER"],
          replies={"AUTH": [("call", script(b"+ " + b64(OB_ERR) + b"\r\n", None, b"-ERR [AUTH] bad token\r\n"))]},
          sent_lines=[b"CAPA", B64(oauthbearer(TOKEN), b"AUTH OAUTHBEARER "), b"AQ==", b"QUIT"],
          out_re=[rb"(?m)^AUTHINFO mech=OAUTHBEARER .*oauth_status=invalid_token oauth_scope=example_scope "],
          exit=5, quit=True, lib={"AUTH": "ERR_AUTH_TOKEN"})
sasl_case(name="sasl_oauth_err_no_challenge",
          doc="-ERR [AUTH] right after the token: POP3_ERR_AUTH_TOKEN, no status or scope; a bare -ERR "
              "(no code) is only POP3_ERR_AUTH",
          auth="XOAUTH2", token=TOKEN, sasl=["XOAUTH2"], replies={"AUTH": b"-ERR [AUTH] invalid token\r\n"},
          variants=[{"variant": "auth_code"},
                    {"variant": "no_code", "replies": {"AUTH": b"-ERR invalid token\r\n"}, "lib": {"AUTH": "ERR_AUTH"}}],
          sent_lines=[b"CAPA", B64(xoauth2(USER, TOKEN), b"AUTH XOAUTH2 "), b"QUIT"],
          out_re=[rb"(?m)^AUTHINFO mech=XOAUTH2 .*oauth_status=- oauth_scope=- "],
          exit=5, quit=True, lib={"AUTH": "ERR_AUTH_TOKEN"})
sasl_case(name="sasl_oauth_err_sys_temp", doc="-ERR [SYS/TEMP] after the token is not a refused token: ERR_AUTH",
          auth="OAUTHBEARER", token=TOKEN, sasl=["OAUTHBEARER"], replies={"AUTH": b"-ERR [SYS/TEMP] later\r\n"},
          sent_lines=[b"CAPA", B64(oauthbearer(TOKEN), b"AUTH OAUTHBEARER "), b"QUIT"],
          out_re=[rb"(?m)^AUTHINFO mech=OAUTHBEARER code=3 "], exit=5, quit=True, lib={"AUTH": "ERR_AUTH"})
LONG_SCOPE = "https://scope.example/" + "s" * 100
sasl_case(name="sasl_oauth_json_truncated",
          doc="status and scope longer than POP3_OAUTH_STATUS_MAX_LEN (24) / _SCOPE_MAX_LEN (72): cut to them",
          auth="XOAUTH2", token=TOKEN, sasl=["XOAUTH2"],
          replies={"AUTH": [("call", script(b"+ " + b64(b'{"status":"%s","scope":"%s"}' % (
              b"x" * 40, LONG_SCOPE.encode())) + b"\r\n", None, b"-ERR\r\n"))]},
          sent_lines=[b"CAPA", B64(xoauth2(USER, TOKEN), b"AUTH XOAUTH2 "), b"", b"QUIT"],
          out_re=[rb"(?m)^AUTHINFO .*oauth_status=x{24} oauth_scope=" + re.escape(LONG_SCOPE[:72].encode()) + b" "],
          exit=5, lib={"AUTH": "ERR_AUTH_TOKEN"})

# ===========================================================================
# SCRAM faults: nothing credential-bearing after them
# ===========================================================================
S256 = "SCRAM-SHA-256"


def scram_fault(name, doc, fault, lines, status, exit_, quit_, **kw):
    sasl_case(name=name, doc=doc, auth=S256, sasl=[S256], replies={"AUTH": [("call", scram_server(S256, fault=fault))]},
              sent_lines=lines, lib={"AUTH": status}, exit=exit_, quit=quit_, **kw)


scram_fault("sasl_scram_bad_server_signature",
            "wrong ServerSignature: the client answers '*', AUTH fails ERR_SECURITY, the session ends",
            "badsig", scram_lines(S256, cancel="final"), "ERR_SECURITY", 9, False)
scram_fault("sasl_scram_ok_before_first", "+OK instead of server-first: before the signature, ERR_SECURITY",
            "ok_early", scram_lines(S256)[:2], "ERR_SECURITY", 9, False)
scram_fault("sasl_scram_ok_before_signature", "+OK instead of server-final (signature never seen): ERR_SECURITY",
            "ok_before_sig", scram_lines(S256)[:3], "ERR_SECURITY", 9, False)
scram_fault("sasl_scram_err_mid", "-ERR [SYS/TEMP] after client-first: ERR_AUTH with the code, session usable",
            "err_first", scram_lines(S256)[:2] + [b"QUIT"], "ERR_AUTH", 5, True,
            out_re=[rb"(?m)^AUTHINFO mech=SCRAM-SHA-256 code=3 .*text=\[SYS/TEMP\] try later"])
scram_fault("sasl_scram_junk_base64", "server-first not valid base64: '*', ERR_PROTOCOL",
            "junk_first", scram_lines(S256, cancel="first"), "ERR_PROTOCOL", 7, False)
scram_fault("sasl_scram_garbage_message", "server-first valid base64 but no SCRAM message: '*', ERR_PROTOCOL",
            "garbage_first", scram_lines(S256, cancel="first"), "ERR_PROTOCOL", 7, False)
scram_fault("sasl_scram_overlong_challenge", "2,000-octet challenge (over line_buf): ERR_PROTOCOL at once, no '*'",
            "long_first", scram_lines(S256)[:2], "ERR_PROTOCOL", 7, False)
scram_fault("sasl_scram_nonce_mismatch", "server nonce does not extend the client's: '*', ERR_SECURITY",
            "nonce", scram_lines(S256, cancel="first"), "ERR_SECURITY", 9, False)
sasl_case(name="sasl_scram_iterations_refused",
          doc="iteration count 1024 (< POP3_SCRAM_MIN_ITERATIONS) or 200,000 (> _MAX): '*', ERR_SECURITY",
          auth=S256, sasl=[S256], replies={"AUTH": [("call", scram_server(S256, iters=1024))]},
          variants=[{"variant": "low"},
                    {"variant": "high", "replies": {"AUTH": [("call", scram_server(S256, iters=200000))]}}],
          sent_lines=scram_lines(S256, cancel="first"), lib={"AUTH": "ERR_SECURITY"}, exit=9, quit=False)
scram_fault("sasl_scram_continuation_after_final",
            "another '+' after the client's final empty response: '*', ERR_PROTOCOL",
            "extra", scram_lines(S256) + [b"*"], "ERR_PROTOCOL", 7, False)

# ===========================================================================
# Other bad input
# ===========================================================================
sasl_case(name="sasl_plain_continuation_after_final",
          doc="PLAIN sent its only message on the AUTH line; a '+ ' after it: '*', ERR_PROTOCOL",
          auth="PLAIN", sasl=["PLAIN"], replies={"AUTH": [("call", script(CONT, None, OK))]},
          sent_lines=[b"CAPA", B64(plain(USER, PASSWORD), b"AUTH PLAIN "), b"*"], lib={"AUTH": "ERR_PROTOCOL"},
          exit=7, quit=False)
sasl_case(name="sasl_login_continuation_after_final", doc="LOGIN: a third challenge after the password: '*'",
          auth="LOGIN", sasl=["LOGIN"],
          replies={"AUTH": [("call", script(b"+ " + b64(b"Username:") + b"\r\n", None, b"+ " + b64(b"Password:") +
                                            b"\r\n", None, b"+ " + b64(b"More:") + b"\r\n", None, OK))]},
          sent_lines=[b"CAPA", b"AUTH LOGIN", b64(USER.encode()), b64(PASSWORD.encode()), b"*"],
          lib={"AUTH": "ERR_PROTOCOL"}, exit=7, quit=False)
sasl_case(name="sasl_xoauth2_second_error_challenge",
          doc="XOAUTH2: a second challenge after the error challenge was answered: '*', ERR_PROTOCOL",
          auth="XOAUTH2", token=TOKEN, sasl=["XOAUTH2"],
          replies={"AUTH": [("call", script(b"+ " + b64(GOOGLE_ERR) + b"\r\n", None, b"+ " + b64(GOOGLE_ERR) + b"\r\n",
                                            None, b"-ERR\r\n"))]},
          sent_lines=[b"CAPA", B64(xoauth2(USER, TOKEN), b"AUTH XOAUTH2 "), b"", b"*"], lib={"AUTH": "ERR_PROTOCOL"},
          exit=7, quit=False)
sasl_case(name="sasl_plain_challenge_not_empty",
          doc="a mechanism that takes no challenge (PLAIN, continuation form) gets '+ Zm9v': '*', ERR_PROTOCOL",
          auth="PLAIN", password=PW200, sasl=["PLAIN"],
          replies={"AUTH": [("call", script(b"+ Zm9v\r\n", None, OK))]},
          sent_lines=[b"CAPA", b"AUTH PLAIN", b"*"], lib={"AUTH": "ERR_PROTOCOL"}, exit=7, quit=False)
sasl_case(name="sasl_plain_ok_too_early", doc="PLAIN continuation form: +OK before the response was sent",
          auth="PLAIN", password=PW200, sasl=["PLAIN"], replies={"AUTH": OK},
          sent_lines=[b"CAPA", b"AUTH PLAIN"], lib={"AUTH": "ERR_PROTOCOL"}, exit=7, quit=False)
sasl_case(name="sasl_login_ok_too_early", doc="LOGIN: +OK after the user name, before the password",
          auth="LOGIN", sasl=["LOGIN"],
          replies={"AUTH": [("call", script(b"+ " + b64(b"Username:") + b"\r\n", None, OK))]},
          sent_lines=[b"CAPA", b"AUTH LOGIN", b64(USER.encode())], lib={"AUTH": "ERR_PROTOCOL"}, exit=7, quit=False)
sasl_case(name="sasl_login_err_mid", doc="LOGIN: -ERR after the user name: ERR_AUTH, password never sent",
          auth="LOGIN", sasl=["LOGIN"],
          replies={"AUTH": [("call", script(b"+ " + b64(b"Username:") + b"\r\n", None,
                                            b"-ERR [AUTH] no such user\r\n"))]},
          sent_lines=[b"CAPA", b"AUTH LOGIN", b64(USER.encode()), b"QUIT"], lib={"AUTH": "ERR_AUTH"},
          exit=5, quit=True)
sasl_case(name="sasl_cram_junk_challenge", doc="CRAM-MD5 challenge that is not base64: '*', ERR_PROTOCOL",
          auth="CRAM-MD5", sasl=["CRAM-MD5"], replies={"AUTH": [("call", script(b"+ PDE4OTY%%%\r\n", None, OK))]},
          variants=[{"variant": "junk"},
                    {"variant": "bad_padding", "replies": {"AUTH": [("call", script(b"+ PDE4O=TY\r\n", None, OK))]}},
                    {"variant": "inner_space", "replies": {"AUTH": [("call", script(b"+ PDE4 OTY2\r\n", None, OK))]}}],
          sent_lines=[b"CAPA", b"AUTH CRAM-MD5", b"*"], lib={"AUTH": "ERR_PROTOCOL"}, exit=7, quit=False)
sasl_case(name="sasl_cram_overlong_challenge", doc="CRAM-MD5 challenge of 100,000 octets: ERR_PROTOCOL, no hang",
          auth="CRAM-MD5", sasl=["CRAM-MD5"], replies={"AUTH": b"+ " + b"QUFB" * 25000 + b"\r\n"},
          sent_lines=[b"CAPA", b"AUTH CRAM-MD5"], lib={"AUTH": "ERR_PROTOCOL"}, exit=7, quit=False,
          elapsed=(0, 2.0))
sasl_case(name="sasl_err_pipelined_ok", doc="-ERR to AUTH followed by a pipelined +OK: not logged in",
          auth="PLAIN", sasl=["PLAIN"], replies={"AUTH": b"-ERR [AUTH] no\r\n+OK logged in\r\n"},
          sent_lines=[b"CAPA", B64(plain(USER, PASSWORD), b"AUTH PLAIN ")], exit=5, lib={"AUTH": "ERR_AUTH"},
          out_re=[rb"(?m)^SESSION ERR_PROTOCOL"])

sasl_case(name="sasl_cancel_mid_exchange",
          doc="pop3_auth_cancel() while LOGIN waits for the password challenge: '*' instead of the password, "
              "ERR_ABORTED after the server's -ERR, the session still usable (QUIT)",
          auth="LOGIN", sasl=["LOGIN"], cancel_ms=300,
          replies={"AUTH": [("call", script(b"+ " + b64(b"Username:") + b"\r\n", None, 1.0,
                                            b"+ " + b64(b"Password:") + b"\r\n", None, OK))]},
          sent_lines=[b"CAPA", b"AUTH LOGIN", b64(USER.encode()), b"*", b"QUIT"], lib={"AUTH": "ERR_ABORTED"},
          exit=1, quit=True, out_re=[rb"(?m)^CANCEL"])

sasl_case(name="sasl_refused_credentials",
          doc="a token with a space or 0x01 (it would add XOAUTH2 fields), a user with 0x01: pop3_auth() refuses "
              "(BAD_ARG), nothing credential-bearing is sent",
          auth="XOAUTH2", token="ya29.two words", sasl=["XOAUTH2"], replies={"AUTH": OK}, auth_not_queued=True,
          variants=[{"variant": "space_in_token"}, {"variant": "ctl_in_token", "token": "ya29\x01auth=Bearer x"},
                    {"variant": "ctl_in_user", "token": TOKEN, "user": "al\x01ice"}],
          sent_lines=[b"CAPA", b"QUIT"], out_re=[rb"(?m)^QUEUE auth ERR_BAD_ARG"], exit=1, quit=True)

# ===========================================================================
# Choice of mechanism and policy
# ===========================================================================
sasl_case(name="sasl_scram_required_plain_offered",
          doc="SCRAM-SHA-256 asked, the server offers only PLAIN: ERR_SECURITY, no AUTH sent (no fallback)",
          auth=S256, sasl=["PLAIN"], replies={"AUTH": OK}, sent_lines=[b"CAPA", b"QUIT"],
          lib={"AUTH": "ERR_SECURITY"}, exit=9, quit=True, sent_not_re=[rb"(?m)^AUTH"])
sasl_case(name="sasl_best_password", doc="best: SCRAM-SHA-256 among PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256",
          auth="best", auth_wire=S256, sasl=["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", S256, "XOAUTH2"],
          replies={"AUTH": [("call", scram_server(S256))]}, sent_lines=after_auth_ok(scram_lines(S256)),
          out_re=[rb"(?m)^AUTHINFO mech=SCRAM-SHA-256 "], exit=0, lib={"AUTH": "OK"})
sasl_case(name="sasl_best_password_cram", doc="best without SCRAM: CRAM-MD5 before PLAIN and LOGIN",
          auth="best", auth_wire="CRAM-MD5", user="tim", password="tanstaaftanstaaf",
          sasl=["LOGIN", "PLAIN", "CRAM-MD5", "OAUTHBEARER"],
          replies={"AUTH": [("call", script(b"+ " + b64(b"<1896.697170952@postoffice.reston.mci.net>") + b"\r\n",
                                            None, OK))]},
          sent_lines=[b"CAPA", b"AUTH CRAM-MD5", b64(b"tim b913a602c7eda7a495b4e6e7334d3890"), b"QUIT"],
          exit=0, lib={"AUTH": "OK"})
sasl_case(name="sasl_best_token", doc="best with a token: OAUTHBEARER before XOAUTH2, never a password mechanism",
          auth="best", auth_wire="OAUTHBEARER", token=TOKEN, sasl=["PLAIN", "XOAUTH2", "OAUTHBEARER", S256],
          replies={"AUTH": OK}, sent_lines=[b"CAPA", B64(oauthbearer(TOKEN), b"AUTH OAUTHBEARER "), b"QUIT"],
          exit=0, lib={"AUTH": "OK"})
sasl_case(name="sasl_best_token_none_offered", doc="best with a token, server offers only PLAIN: ERR_SECURITY",
          auth="best", token=TOKEN, sasl=["PLAIN", "LOGIN"], replies={"AUTH": OK}, sent_lines=[b"CAPA", b"QUIT"],
          lib={"AUTH": "ERR_SECURITY"}, exit=9, quit=True)
sasl_case(name="sasl_no_sasl_line", doc="CAPA lists no SASL mechanisms: a named one is tried (the server decides)",
          auth="XOAUTH2", token=TOKEN, replies={"AUTH": OK},
          sent_lines=[b"CAPA", B64(xoauth2(USER, TOKEN), b"AUTH XOAUTH2 "), b"QUIT"], exit=0, lib={"AUTH": "OK"})

# ===========================================================================
# The exchange cut at every octet the server sends after the AUTH line: AUTH
# reported once, never OK (ERR_TRANSPORT), the client's lines a prefix.
# ===========================================================================
CUT = dict(sent_lines_prefix=True, lib={"AUTH": "ERR_TRANSPORT"}, exit=3, quit=False, out_re=[rb"(?m)^DONE AUTH ERR_"])


def cut_variants(total):
    return [{"variant": "%03d" % k, "replies_budget": k} for k in range(total)]


_scram_total = scram_server_bytes(S256)
sasl_case(name="sasl_cut_scram_sha_256", doc="SCRAM-SHA-256, connection closed after each server octet",
          auth=S256, sasl=[S256], replies={"AUTH": [("call", scram_server(S256))]},
          sent_lines=scram_lines(S256), variants=cut_variants(_scram_total), **CUT)
_xo_err = b"+ " + b64(GOOGLE_ERR) + b"\r\n"
_xo_final = b"-ERR [AUTH] Invalid credentials\r\n"
sasl_case(name="sasl_cut_xoauth2_error", doc="XOAUTH2 error continuation, cut after each server octet",
          auth="XOAUTH2", token=TOKEN, sasl=["XOAUTH2"],
          replies={"AUTH": [("call", script(_xo_err, None, _xo_final))]},
          sent_lines=[b"CAPA", B64(xoauth2(USER, TOKEN), b"AUTH XOAUTH2 "), b""],
          variants=cut_variants(len(_xo_err) + len(_xo_final)), **CUT)
_login = [b"+ " + b64(b"Username:") + b"\r\n", b"+ " + b64(b"Password:") + b"\r\n", OK]
sasl_case(name="sasl_cut_login", doc="LOGIN, cut after each server octet", auth="LOGIN", sasl=["LOGIN"],
          replies={"AUTH": [("call", script(_login[0], None, _login[1], None, _login[2]))]},
          sent_lines=[b"CAPA", b"AUTH LOGIN", b64(USER.encode()), b64(PASSWORD.encode())],
          variants=cut_variants(sum(len(x) for x in _login)), **CUT)
_plain_cont = [b"+\r\n", OK]
sasl_case(name="sasl_cut_plain_continuation", doc="PLAIN continuation form, cut after each server octet",
          auth="PLAIN", password=PW200, sasl=["PLAIN"],
          replies={"AUTH": [("call", script(_plain_cont[0], None, _plain_cont[1]))]},
          sent_lines=[b"CAPA", b"AUTH PLAIN", B64(plain(USER, PW200))],
          variants=cut_variants(sum(len(x) for x in _plain_cont)), **CUT)


def apply_budgets(cases):
    """A variant's replies_budget: the AUTH script starts with ("budget", k)."""
    for c in cases:
        for v in c.get("variants", []):
            if "replies_budget" in v:
                v["replies"] = {"AUTH": [("budget", v["replies_budget"])] + c["replies"]["AUTH"]}


apply_budgets(SASL_CASES)

SASL_SELFCHECKS = [
    dict(name="selfcheck_sasl_lines", auth="PLAIN", auth_wire="PLAIN", sec="plain", cmds=[], clients=("posix",),
         sasl=["PLAIN"], replies={"AUTH": OK}, exit=0,
         sent_lines=[b"CAPA", B64(plain(USER, "wrong"), b"AUTH PLAIN "), b"QUIT"], selfcheck="client line 2"),
    dict(name="selfcheck_sasl_trace_secret", auth="PLAIN", auth_wire="PLAIN", sec="plain", cmds=[],
         clients=("posix",), greeting=b"+OK hello " + PASSWORD.encode() + b"\r\n", sasl=["PLAIN"],
         replies={"AUTH": OK}, exit=0, selfcheck="the secret appears"),
    dict(name="selfcheck_sasl_status", auth=S256, auth_wire=S256, sec="plain", cmds=[], clients=("posix",),
         sasl=[S256], replies={"AUTH": [("call", scram_server(S256, password="not-the-password"))]},
         exit=0, lib={"AUTH": "OK"}, selfcheck="library: AUTH"),
]
