#!/usr/bin/env python3
"""SCRAM-SHA-256 exchange of the fault-injection session (fault_script.c), computed
independently of the library with Python's hashlib/hmac (RFC 5802/7677):

    python3 test/fault/scram_vectors.py      # prints the C constants fault_script.c holds

The client nonce is what the library makes from the harnesses' deterministic rng
(fs_scram_rng in fault_script.c: xorshift32 from 0x2545F491, top octet of each step): POP3_SCRAM_CNONCE_LEN (24)
base64 characters from 18 random octets.
"""
import base64
import hashlib
import hmac

USER, PASSWORD = b"alice", b"secret"
SALT, SNONCE, ITERS = b"fault-injection-salt", b"%hvYDpWUa2RaTCAfuxFIlj", 4096


def rng_bytes(n, x=0x2545F491):
    out = []
    for _ in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out.append(x >> 24)
    return bytes(out)


def vectors():
    b64 = base64.b64encode
    cnonce = b64(rng_bytes(18))
    bare = b"n=" + USER + b",r=" + cnonce
    nonce = cnonce + SNONCE
    sfirst = b"r=%s,s=%s,i=%d" % (nonce, b64(SALT), ITERS)
    final_wo = b"c=biws,r=" + nonce
    salted = hashlib.pbkdf2_hmac("sha256", PASSWORD, SALT, ITERS)
    h = lambda k, m: hmac.new(k, m, "sha256").digest()  # noqa: E731
    auth = bare + b"," + sfirst + b"," + final_wo
    ck = h(salted, b"Client Key")
    proof = bytes(a ^ b for a, b in zip(ck, h(hashlib.sha256(ck).digest(), auth)))
    ssig = h(h(salted, b"Server Key"), auth)
    return {
        "auth_line": b"AUTH SCRAM-SHA-256 " + b64(b"n,," + bare) + b"\r\n",
        "server_first": b"+ " + b64(sfirst) + b"\r\n",
        "client_final": b64(final_wo + b",p=" + b64(proof)) + b"\r\n",
        "server_final": b"+ " + b64(b"v=" + b64(ssig)) + b"\r\n",
    }


if __name__ == "__main__":
    for k, v in vectors().items():
        print('static const char scram_%s[] = "%s";' % (k, v.decode().replace("\r\n", "\\r\\n")))
