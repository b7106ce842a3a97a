#!/usr/bin/env python3
"""Writes poll_mail.h: the mailboxes of test_poll.c and test_poll_powercut.c as
whole RFC 5322 messages (CRLF), each with the verdict and commands it must
give. The MACs are computed here with Python's hmac from FORMAT.md's canonical
form, independently of the C code under test."""
import base64
import hashlib
import hmac
import quopri
import sys

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
DEVICE = "lamp-0042"


def canonical(device, seq, cmds):
    out = "pop3-command-v1\ndevice:%s\nseq:%d\n" % (device, seq)
    for c in cmds:
        out += "cmd:%s\n" % c
    return out.encode("ascii")


def block(device, seq, cmds, key=KEY, tamper=False):
    mac = hmac.new(key, canonical(device, seq, cmds), hashlib.sha256).hexdigest()
    lines = ["-----BEGIN POP3 COMMAND-----", "Device: " + device, "Seq: %d" % seq]
    for i, c in enumerate(cmds):
        lines.append("Cmd: " + (c + " now" if tamper and i == 0 else c))
    lines += ["Mac: " + mac, "-----END POP3 COMMAND-----"]
    return lines


def message(n, body_lines, headers=()):
    head = ["From: operator@example.org", "To: %s@example.org" % DEVICE,
            "Subject: command mail %d" % n, "Message-ID: <poll-%d@example.org>" % n]
    head += list(headers)
    return "\r\n".join(head + [""] + body_lines) + "\r\n"


# Lines a POP3 server must dot-stuff, around the block.
DOTS = [".", "..", ".leading dot", "...three", "x."]


def plain(n, blk, filler=0):
    body = ["Hello device,", ""] + DOTS + ["q" * 70] * filler + [""] + blk + ["", "-- ", "operator console"]
    return message(n, body)


def qp(n, blk):
    """The block re-encoded in transit: quoted-printable, soft breaks, a footer."""
    text = "\r\n".join(["Hi,", ""] + blk + ["", "-- ", "Sent through a list =)"]) + "\r\n"
    enc = quopri.encodestring(text.encode("ascii"), quotetabs=False).decode("ascii")
    enc = enc.replace("Device: ", "Device=3A =\r\n")  # a soft break inside a field
    return message(n, enc.rstrip("\r\n").split("\r\n") + [".", "..dots after QP"],
                   ["MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii",
                    "Content-Transfer-Encoding: quoted-printable"])


def b64(n, blk):
    text = ("\r\n".join(["Hello,"] + blk) + "\r\n").encode("ascii")
    enc = base64.encodebytes(text).decode("ascii").replace("\n", "\r\n").rstrip("\r\n")
    return message(n, ["--b", "Content-Type: text/plain", "Content-Transfer-Encoding: base64", ""] +
                   enc.split("\r\n") + ["--b", "Content-Type: text/html", "", "<p>hi</p>", "--b--"],
                   ["MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b"'])


class Box:
    def __init__(self, name):
        self.name, self.msgs = name, []

    def add(self, text, verdict, seq=0, cmds=()):
        n = len(self.msgs) + 1
        uid = "%s-%02d-%08x" % (self.name.lower(), n, int(hashlib.sha256(text.encode()).hexdigest()[:8], 16))
        self.msgs.append((uid, text, verdict, seq, list(cmds)))

    def valid(self, seq, cmds, kind=plain, **kw):
        self.add(kind(len(self.msgs) + 1, block(DEVICE, seq, cmds), **kw), "ACCEPTED", seq, cmds)


def mixed():
    b = Box("MIXED")
    b.valid(100, ["relay 1 on", "report"])
    b.add(message(2, ["just a note, no block", ".", ""]), "UNSIGNED")
    b.valid(101, ["led blink 3"], kind=qp)
    b.add(plain(4, block(DEVICE, 102, ["relay 2 on"], tamper=True)), "INVALID", 102)
    b.add(plain(5, block("lamp-0043", 103, ["relay 3 on"])), "WRONG_DEVICE", 103)
    b.add(plain(6, block(DEVICE, 100, ["relay 1 on", "report"])), "REPLAYED", 100)
    b.add(plain(7, block(DEVICE, 104, ["format disk"], key=OTHER_KEY)), "INVALID", 104)
    b.valid(105, ["set a=1", "set b=2", "reboot later"], kind=b64)
    b.add(plain(9, block(DEVICE, 99, ["too old"])), "REPLAYED", 99)
    b.valid(106, ["report"], filler=300)  # ~21 KB: many on_body runs
    return b


def big():
    """More messages than CMDMAIL_POLL_BATCH: several UIDL rounds."""
    b = Box("BIG")
    for i in range(30):
        if i % 7 == 3:
            b.add(message(i + 1, ["note %d" % i]), "UNSIGNED")
        else:
            b.valid(1000 + i, ["step %d" % i] + (["check %d" % i] if i % 3 == 0 else []))
    return b


def cut():
    """The power-cut mailbox: valid and refused messages interleaved."""
    b = Box("CUT")
    b.valid(10, ["relay 1 on", "report"])
    b.add(message(2, ["no block here"]), "UNSIGNED")
    b.valid(11, ["a", "b", "c"], kind=qp)
    b.add(plain(4, block(DEVICE, 12, ["evil"], tamper=True)), "INVALID", 12)
    b.valid(13, ["led off"])
    b.add(plain(6, block(DEVICE, 10, ["relay 1 on", "report"])), "REPLAYED", 10)
    b.valid(14, ["x 1", "x 2"], kind=b64)
    b.add(plain(8, block(DEVICE, 12, ["late"])), "REPLAYED", 12)  # out of order: below 14
    b.add(plain(9, block("lamp-0043", 15, ["not mine"])), "WRONG_DEVICE", 15)
    return b


def late():
    """Mail that arrives between two polls."""
    b = Box("LATE")
    b.valid(200, ["late arrival"])
    return b


def over():
    """More messages than the seen-UID table holds (CMDMAIL_SEEN_MAX 64 by default)."""
    b = Box("OVER")
    for i in range(70):
        b.valid(5000 + i, ["o %d" % i])
    return b


def c_str(s):
    out, line = [], ""
    for ch in s:
        if ch == "\r":
            line += "\\r"
        elif ch == "\n":
            line += "\\n"
            out.append('"%s"' % line)
            line = ""
        elif ch in '"\\':
            line += "\\" + ch
        else:
            line += ch
    if line:
        out.append('"%s"' % line)
    return "\n    ".join(out) if out else '""'


def main():
    out = ["/* Generated by gen_poll_mail.py (Python hmac): do not edit. */",
           "#ifndef POLL_MAIL_H", "#define POLL_MAIL_H", '#include "cmdmail.h"',
           "typedef struct pm_msg {", "    const char *uid;", "    const char *text;",
           "    cmdmail_verdict_t verdict;", "    uint64_t seq;", "    unsigned ncmds;",
           "    const char *cmds[CMDMAIL_MAX_CMDS];", "} pm_msg_t;",
           "static const uint8_t PM_KEY[32] = {%s};" % ", ".join(str(x) for x in KEY),
           '#define PM_DEVICE "%s"' % DEVICE]
    for box in (mixed(), big(), cut(), late(), over()):
        out.append("static const pm_msg_t PM_%s[] = {" % box.name)
        for uid, text, verdict, seq, cmds in box.msgs:
            cl = ", ".join('"%s"' % c for c in cmds) if cmds else "NULL"
            out.append('  {"%s",\n    %s,\n    CMDMAIL_%s, %dU, %d, {%s}},' %
                       (uid, c_str(text), verdict, seq, len(cmds), cl))
        out.append("};")
        out.append("#define PM_%s_N %d" % (box.name, len(box.msgs)))
    out.append("#endif")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
