"""SASL AUTH seeds for fuzz_session (script opcodes 12/13 with a high nibble, fuzz_harness.h)
and fuzz_api (command selector 12), written by make_seeds.py. SCRAM seeds carry a real
server-first and server-final for the nonce the core makes from the harnesses' rng.
"""
import base64
import hashlib
import hmac

from make_seeds import (CRLF, EARLY, EARLY_REPLIES, END_ABORT, END_TIMEOUT, F, GREET, IMPLICIT, LB513, NO_AUTH,
                        PLAIN, PLAIN_OK, QUIT, SCRIPT, STLS, STLS_LOGIN, S_215, S_600, S_ALICE, S_CRLF, S_EMPTY, S_PASS,
                        TLS_BOUNDARY, TRANSACTION, WOULD_BLOCK, A_ABORT, A_CMD, A_CONNECTED, A_START, C_ERR, C_ERR_AUTH,
                        C_GREET, C_OK, D_WOULD_BLOCK, a_canned, a_cmd, a_feed, a_init, a_ops, api_encode, encode,
                        lines, op)

MECH = dict(BEST=0, LOGIN=1, PLAIN=2, CRAM_MD5=3, SCRAM_SHA_1=4, SCRAM_SHA_256=5, XOAUTH2=6, OAUTHBEARER=7)
FZ_USER, FZ_PASS = b"alice", b"pw-S3cr3t!x"
FZ_TOKEN_SHORT = b"ya29.fuzz-Sh0rt-t0ken"


def auth_op(mech, alt=False):
    """pop3_auth() of MECH (fuzz_harness.h, opcodes 12/13): alt = BEST with a token, else the
    secret through read_secret (OAuth: the 600-octet token)."""
    if mech == "BEST":
        return 12 | (1 << 4) if alt else 13 | (8 << 4)
    return 13 | ((MECH[mech] + (8 if alt else 0)) << 4)


def b64(x):
    return base64.b64encode(x)


def fz_token_long():
    chars = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/"
    return bytes(chars[(i * 7 + i // 13) % len(chars)] for i in range(600))


def fa_rng_bytes(n, x=0x2545F491):
    """fuzz_auth.c's fa_rng (xorshift32, top octet)."""
    out = []
    for _ in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out.append(x >> 24)
    return bytes(out)


def scram_cnonce():
    """The client nonce the core makes from that rng: POP3_SCRAM_CNONCE_LEN (24) base64
    characters from 18 random octets."""
    return b64(fa_rng_bytes(18))


def scram_server(hname, password=FZ_PASS, salt=b"QSXCR+Q6sek8bf92", iters=4096, badsig=False):
    """(server-first continuation, server-final continuation) for the harness's client."""
    cn = scram_cnonce()
    nonce = cn + b"3rfcNHYJY1ZVvWVs7j"
    bare = b"n=" + FZ_USER + b",r=" + cn
    sfirst = b"r=%s,s=%s,i=%d" % (nonce, b64(salt), iters)
    salted = hashlib.pbkdf2_hmac(hname, password, salt, iters)
    auth_msg = bare + b"," + sfirst + b",c=biws,r=" + nonce
    sig = hmac.new(hmac.new(salted, b"Server Key", hname).digest(), auth_msg, hname).digest()
    if badsig:
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    return b"+ " + b64(sfirst) + CRLF, b"+ " + b64(b"v=" + b64(sig)) + CRLF


SASL_ALL = b"SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER"
CAPA_SASL = lines(b"+OK", b"TOP", b"UIDL", b"USER", SASL_ALL, b"RESP-CODES", b".")
CAPA_STLS_SASL = lines(b"+OK", b"USER", b"STLS", SASL_ALL, b".")
AFTER_AUTH = b"+OK 2 320\r\n+OK bye\r\n"
GOOGLE_ERR = b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'
CRAM_CHALLENGE = b"+ " + b64(b"<1896.697170952@postoffice.reston.mci.net>") + CRLF


def auth_seeds():
    s = {}
    after = bytes([op("STAT"), op("QUIT")])

    def sess(name, mech, exchange, alt=False, opt0=SCRIPT, opt1=PLAIN_OK | NO_AUTH, capa=CAPA_SASL, tail=AFTER_AUTH,
             **kw):
        s["auth_" + name] = encode(opt0=opt0, opt1=opt1, script=bytes([auth_op(mech, alt)]) + after,
                                   server=GREET + capa + exchange + tail, **kw)

    ok = b"+OK logged in\r\n"
    sess("plain", "PLAIN", ok)
    sess("plain_read_secret_bytewise", "PLAIN", ok, alt=True, split=b"\x01")
    sess("login", "LOGIN", b"+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n" + ok)
    sess("login_err_mid", "LOGIN", b"+ VXNlcm5hbWU6\r\n-ERR [AUTH] no\r\n")
    sess("cram_md5", "CRAM_MD5", CRAM_CHALLENGE + ok)
    sess("cram_md5_junk", "CRAM_MD5", b"+ PDE4%%%\r\n-ERR cancelled\r\n")
    sess("cram_md5_long_challenge", "CRAM_MD5", b"+ " + b"QUFB" * 300 + b"\r\n" + ok, opt0=SCRIPT | LB513)
    for h, m in (("sha1", "SCRAM_SHA_1"), ("sha256", "SCRAM_SHA_256")):
        first, final = scram_server(h)
        sess("scram_%s" % h, m, first + final + ok)
        sess("scram_%s_split_short_sends" % h, m, first + final + ok, split=bytes([5, 17, 0x80 | 2]),
             send=bytes([9, WOULD_BLOCK, 3]))
    first, final = scram_server("sha256", badsig=True)
    sess("scram_bad_signature", "SCRAM_SHA_256", first + final + b"-ERR cancelled\r\n")
    first, final = scram_server("sha256")
    sess("scram_ok_before_signature", "SCRAM_SHA_256", first + ok)
    sess("scram_continuation_after_final", "SCRAM_SHA_256", first + final + b"+ \r\n-ERR cancelled\r\n")
    sess("scram_junk_first", "SCRAM_SHA_256", b"+ cj1!!!\r\n-ERR cancelled\r\n")
    sess("scram_nonce_mismatch", "SCRAM_SHA_256", b"+ " + b64(b"r=XYZ,s=QSXCR+Q6sek8bf92,i=4096") + b"\r\n-ERR no\r\n")
    sess("xoauth2_ir", "XOAUTH2", ok)
    sess("xoauth2_error_continuation", "XOAUTH2", b"+ " + b64(GOOGLE_ERR) + b"\r\n-ERR [AUTH] bad token\r\n")
    sess("xoauth2_long_plus", "XOAUTH2", b"+\r\n" + ok, alt=True)
    sess("xoauth2_long_plus_space_would_block", "XOAUTH2", b"+ \r\n" + ok, alt=True,
         send=bytes([100, WOULD_BLOCK, 7, WOULD_BLOCK, 0]))
    sess("xoauth2_long_error", "XOAUTH2", b"+\r\n+ " + b64(GOOGLE_ERR) + b"\r\n-ERR\r\n", alt=True)
    sess("oauthbearer_ir", "OAUTHBEARER", ok)
    sess("oauthbearer_error_continuation", "OAUTHBEARER",
         b"+ " + b64(b'{"status":"invalid_token","scope":"s"}') + b"\r\n-ERR\r\n")
    sess("oauthbearer_long", "OAUTHBEARER", b"+ \r\n" + ok, alt=True, split=bytes([3]))
    sess("best_password", "BEST", scram_server("sha256")[0] + scram_server("sha256")[1] + ok)
    sess("best_token", "BEST", ok, alt=True)
    sess("policy_scram_plain_only", "SCRAM_SHA_256", b"", capa=lines(b"+OK", b"SASL PLAIN", b"."))
    sess("plain_ok_then_ok_pipelined", "PLAIN", b"-ERR [AUTH] no\r\n+OK\r\n")
    sess("plain_continuation_after_ir", "PLAIN", b"+ \r\n-ERR cancelled\r\n")
    sess("timeout_mid_exchange", "LOGIN", b"+ VXNlcm5hbWU6\r\n", opt0=SCRIPT | END_TIMEOUT, tail=b"")
    sess("abort_mid_exchange", "XOAUTH2", b"+\r\n", alt=True, opt0=SCRIPT | END_ABORT, send=bytes([40, WOULD_BLOCK]),
         tail=b"")
    sess("no_optin", "PLAIN", ok, opt1=PLAIN | NO_AUTH)
    s["auth_stls_scram"] = encode(opt0=SCRIPT | TLS_BOUNDARY, opt1=STLS | NO_AUTH,
                                  script=bytes([auth_op("SCRAM_SHA_256")]) + after,
                                  server=GREET + CAPA_STLS_SASL + b"+OK go\r\n" + CAPA_SASL + first + final + ok
                                  + AFTER_AUTH)
    s["auth_implicit_early_queue_xoauth2"] = encode(opt0=SCRIPT, opt1=IMPLICIT | NO_AUTH | EARLY,
                                                    script=bytes([auth_op("XOAUTH2")]) + after,
                                                    server=GREET + CAPA_SASL + ok + AFTER_AUTH)
    # The server answers while the long response is still going out (the greeting and CAPA in their own chunks).
    s["auth_hostile_early_reply"] = encode(opt0=SCRIPT | EARLY_REPLIES, opt1=PLAIN_OK | NO_AUTH,
                                           script=bytes([auth_op("XOAUTH2", True)]) + after, send=bytes([50, WOULD_BLOCK]),
                                           split=bytes([len(GREET), len(CAPA_SASL), 3, 2]),
                                           server=GREET + CAPA_SASL + b"+\r\n" + ok + AFTER_AUTH)
    return s



def a_auth(mech, flags=0, user=None, secret=None, authzid=None):
    """pop3_auth() (fuzz_api.h): a mechanism byte, then user, secret (and authzid) strings."""
    out = bytes([A_CMD, F["AUTH"] | 0x10, MECH[mech] | (flags << 4)])
    out += user if user is not None else bytes([S_ALICE])
    out += secret if secret is not None else bytes([S_PASS])
    if flags & 8:
        out += authzid if authzid is not None else bytes([S_ALICE])
    return out


def api_auth_seeds():
    s = {}
    greet = a_ops(a_init(sec=PLAIN, allow=True, trace=True), A_START, 0, A_CONNECTED, a_canned(C_GREET))
    capa = a_feed(lines(b"+OK", b"USER", SASL_ALL, b"."))
    s["auth_plain"] = api_encode(greet + capa + a_cmd("AUTH") + a_canned(C_OK) + TRANSACTION + QUIT)
    s["auth_login_read_secret"] = api_encode(greet + capa + a_auth("LOGIN", flags=2) + a_feed(b"+ VXNlcm5hbWU6\r\n")
                                             + a_feed(b"+ UGFzc3dvcmQ6\r\n") + a_canned(C_OK) + QUIT)
    s["auth_xoauth2_error"] = api_encode(greet + capa + a_auth("XOAUTH2", flags=1, secret=bytes([S_600]))
                                         + a_feed(b"+\r\n") + a_feed(b"+ " + b64(GOOGLE_ERR) + b"\r\n")
                                         + a_canned(C_ERR_AUTH) + QUIT)
    s["auth_scram_refused_args"] = api_encode(greet + capa + a_auth("SCRAM_SHA_256", flags=4)
                                              + a_auth("SCRAM_SHA_1", flags=8) + a_auth("PLAIN", user=bytes([S_EMPTY]))
                                              + a_auth("CRAM_MD5", secret=bytes([S_215])) + a_auth("PLAIN", secret=bytes([S_CRLF]))
                                              + a_auth("PLAIN", flags=15) + a_cmd("AUTH", null_client=True)
                                              + a_cmd("AUTH") + a_cmd("AUTH") + a_canned(C_OK) + QUIT)
    s["auth_cram_junk_abort"] = api_encode(greet + capa + a_auth("CRAM_MD5") + a_feed(b"+ %%%\r\n") + a_canned(C_ERR)
                                           + a_ops(A_ABORT))
    s["auth_plaintext_no_optin"] = api_encode(a_ops(a_init(sec=PLAIN), A_START, 0, A_CONNECTED, a_canned(C_GREET))
                                              + capa + a_cmd("AUTH") + a_auth("XOAUTH2", flags=1) + QUIT)
    s["auth_stls_short_sends"] = api_encode(STLS_LOGIN[:-len(a_cmd("LOGIN") + a_canned(C_OK) + a_canned(C_OK))]
                                            + a_auth("OAUTHBEARER", flags=1, secret=bytes([S_600])) + a_feed(b"+ \r\n")
                                            + a_canned(C_OK) + QUIT, decisions=bytes([7, 0, 3, D_WOULD_BLOCK, 0]))
    return s
