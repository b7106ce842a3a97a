#!/usr/bin/env python3
"""Checks what GNU Mailutils pop3d served against what mailutils.sh seeded.

    mailutils_check.py DIR USER COUNT

DIR/expected/USER/N.eml: RETR N as fetched; DIR/expected/USER/list: LIST;
DIR/seed/USER/N: message N as generated (LF); DIR/again/USER/N.eml: a later
fetch of some of them.  For each message: LIST gives the octets RETR sent; a
later session sent the same bytes; the served message is the seed in CRLF
plus the headers Mailutils adds (X-UIDL, X-IMAPbase, X-UID, Status) and with
the two rewrites described at the top of mailutils.sh.  Writes N.top0 (the
header and its empty line: what TOP N 0 must send).  Exit 1 on the first
mismatch, with a message naming it.
"""
import os
import re
import sys

ADDED = re.compile(rb"^(X-UIDL|X-IMAPbase|X-UID|Status): ")
EMPTY_VALUE = re.compile(rb"^([!-9;-~]+):$")


def die(msg):
    sys.stderr.write("mailutils_check: %s\n" % msg)
    sys.exit(1)


def header_end(lines):
    return lines.index(b"") if b"" in lines else len(lines)


def expected_from_seed(seed):
    lines = seed.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    h = header_end(lines)
    # a header whose value starts on a folded line is stored as "Name: "
    for i in range(h):
        lines[i] = EMPTY_VALUE.sub(rb"\1: ", lines[i])
    # the mbox separator after an empty body is served as a body line
    if h == len(lines) - 1:
        lines.append(b"")
    return b"".join(l + b"\r\n" for l in lines)


def main():
    d, user, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ex = os.path.join(d, "expected", user)
    sizes = {}
    with open(os.path.join(ex, "list"), "rb") as f:
        for line in f:
            n, size = line.split()
            sizes[int(n)] = int(size)
    for n in range(1, count + 1):
        with open(os.path.join(ex, "%d.eml" % n), "rb") as f:
            served = f.read()
        if sizes.get(n) != len(served):
            die("%s: LIST %d says %s, RETR sent %d octets" % (user, n, sizes.get(n), len(served)))
        again = os.path.join(d, "again", user, "%d.eml" % n)
        if os.path.exists(again):
            with open(again, "rb") as f:
                if f.read() != served:
                    die("%s: RETR %d differs between two sessions (see %s)" % (user, n, again))
        lines = served.split(b"\r\n")
        h = header_end(lines)
        head = lines[:h]
        if not any(l.startswith(b"X-UIDL: ") for l in head) or b"Status: OR" not in head:
            die("%s: RETR %d lacks the X-UIDL / Status: OR headers this fixture expects" % (user, n))
        stripped = [l for i, l in enumerate(lines) if i >= h or not ADDED.match(l)]
        with open(os.path.join(d, "seed", user, str(n)), "rb") as f:
            want = expected_from_seed(f.read())
        if b"\r\n".join(stripped) != want:
            die("%s: RETR %d changed more than the added headers" % (user, n))
        with open(os.path.join(ex, "%d.top0" % n), "wb") as f:
            f.write(b"".join(l + b"\r\n" for l in head) + b"\r\n")


if __name__ == "__main__":
    main()
