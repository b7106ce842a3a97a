#!/usr/bin/env python3
"""Seed corpus for fuzz_cmdmail (input format: header of test/fuzz/fuzz_cmdmail.c).

    python3 test/fuzz/seeds_cmdmail.py [OUTDIR]   # default: test/fuzz/corpus/fuzz_cmdmail

Blocks are signed here with hmac/hashlib over FORMAT.md's canonical form, with
the target's key (0x00..0x1f) and device lamp-0042.
"""
import base64
import hashlib
import hmac
import os
import quopri
import struct
import sys

KEY = bytes(range(32))
DEVICE = "lamp-0042"


def block(seq, cmds, device=DEVICE, expires=None, tamper=False):
    canon = "pop3-command-v1\ndevice:%s\nseq:%d\n" % (device, seq)
    if expires is not None:
        canon += "expires:%d\n" % expires
    canon += "".join("cmd:%s\n" % c for c in cmds)
    mac = hmac.new(KEY, canon.encode(), hashlib.sha256).hexdigest()
    lines = ["-----BEGIN POP3 COMMAND-----", "Device: " + device, "Seq: %d" % seq]
    if expires is not None:
        lines.append("Expires: %d" % expires)
    lines += ["Cmd: " + (c + "x" if tamper and i == 0 else c) for i, c in enumerate(cmds)]
    lines += ["Mac: " + mac, "-----END POP3 COMMAND-----"]
    return "\r\n".join(lines) + "\r\n"


def plain(body, extra_headers=""):
    return ("From: operator@example.org\r\nTo: lamp@example.org\r\nSubject: cmd\r\n%s\r\n%s"
            % (extra_headers, body)).encode()


def encode(msg, nv_mode=0, fault_write=0, incomplete=False, clock=False, cuts=()):
    b0 = nv_mode | (0x08 if incomplete else 0) | (0x10 if clock else 0)
    out = bytes([b0, fault_write, len(cuts)])
    for c in cuts:
        out += struct.pack("<H", c)
    return out + msg


def seeds():
    b = block(1017, ["relay 1 on", "report"])
    yield "plain", encode(plain("Hello\r\n" + b + "-- \r\nfooter\r\n"), cuts=(5, 60, 61, 200))
    yield "expires_clock", encode(plain(block(5, ["reboot"], expires=1900000000)), clock=True)
    yield "expired_clock", encode(plain(block(6, ["reboot"], expires=1700000000)), clock=True)
    quoted = "".join("> " + l + "\r\n" for l in b.splitlines())
    yield "quoted_lf", encode(plain("On Monday you wrote:\n" + quoted.replace("\r\n", "\n")))
    qp = quopri.encodestring(("Hi  \r\n" + b + "\r\nSent from my phone\r\n").encode()).decode()
    yield "qp", encode(plain(qp, "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
                                 "Content-Transfer-Encoding: quoted-printable\r\n"))
    b64 = base64.encodebytes(b.encode()).decode().replace("\n", "\r\n")
    mp = ("--XYZ\r\nContent-Type: text/html\r\n\r\n<p>" + block(2000, ["evil"]) + "</p>\r\n"
          "--XYZ\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: base64\r\n\r\n"
          + b64 + "--XYZ--\r\n")
    yield "multipart_b64", encode(plain(mp, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n"
                                            " boundary=\"XYZ\"\r\n"))
    yield "tampered", encode(plain(block(7, ["open door"], tamper=True)))
    yield "wrong_device", encode(plain(block(8, ["open door"], device="lamp-0043")))
    yield "two_blocks", encode(plain(b + "\r\n" + block(9, ["x"])))
    yield "unsigned", encode(plain("Just a note.\r\nSeq: 4\r\n"))
    yield "eight_cmds", encode(plain(block(10, ["c%d" % i for i in range(8)])))
    for mode, name in ((1, "fail"), (2, "torn"), (3, "garbage"), (4, "done_die")):
        for w in (1, 2, 3):
            yield "nv_%s_w%d" % (name, w), encode(plain(b), nv_mode=mode, fault_write=w)
    yield "incomplete", encode(plain(b), incomplete=True)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "fuzz_cmdmail")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("fuzz_cmdmail seeds written to", out)


if __name__ == "__main__":
    main()
