#!/usr/bin/env python3
"""Does a file (a pop3-cli -v trace) reveal a secret?

    secret_scan.py FILE VAR...

Each VAR names an environment variable holding a secret (a password or a
token; passing names keeps the secrets off command lines).  A secret counts
as revealed when the file holds it, or any 16-octet piece of it, either as
is or inside base64 (every run of base64 characters is decoded at each of the
four character alignments, so a secret inside a SASL payload is found
whatever its offset in the payload).  Prints each finding (never the secret)
and exits 1 if there is one; 0 otherwise; 2 on a usage error.
"""
import binascii
import os
import re
import sys

PIECE = 16


def pieces(secret):
    if len(secret) <= PIECE:
        return [secret]
    return [secret[i:i + PIECE] for i in range(0, len(secret) - PIECE + 1, PIECE // 2)]


def decoded_runs(text):
    for run in re.findall(rb"[A-Za-z0-9+/=]{8,}", text):
        run = run.rstrip(b"=")
        for start in range(4):
            chunk = run[start:]
            if len(chunk) % 4 == 1:  # not a whole octet: drop it
                chunk = chunk[:-1]
            chunk += b"=" * (-len(chunk) % 4)  # the run's last octets too
            if chunk:
                try:
                    yield binascii.a2b_base64(chunk)
                except binascii.Error:
                    pass


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: secret_scan.py FILE VAR...\n")
        return 2
    with open(sys.argv[1], "rb") as f:
        text = f.read()
    decoded = list(decoded_runs(text))
    found = 0
    for var in sys.argv[2:]:
        secret = os.environ.get(var, "").encode()
        if not secret:
            sys.stderr.write("secret_scan: %s is empty or unset\n" % var)
            return 2
        ps = pieces(secret)
        if any(p in text for p in ps):
            print("%s: %s (or a piece of it) appears as is" % (sys.argv[1], var))
            found += 1
        if any(p in d for d in decoded for p in ps):
            print("%s: %s (or a piece of it) appears base64-encoded" % (sys.argv[1], var))
            found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
