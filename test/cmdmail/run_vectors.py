#!/usr/bin/env python3
"""Runs cmdmail_verify over every test vector in a directory and compares.

    run_vectors.py CMDMAIL_VERIFY VECTORS_DIR

A vector is NAME.eml (the message) + NAME.json:
{"key_hex", "device", "last_seq", "now" (null/absent: no clock), "verdict", "seq", "cmds"}.
"seq" null: not compared (cmdmail.h leaves res.seq of a refused block open: the
parsed Seq or 0); "cmds" are compared for "accepted" only.
Each message is fed whole and in pieces of 1 and 7 octets: the outcome must not
depend on the split. Exit 0 all match, 1 a mismatch, 77 no vector present (skipped).
"""
import json
import os
import subprocess
import sys


def run(tool, vec, eml, chunk):
    args = [tool, "--device", vec["device"], "--key-hex", vec["key_hex"],
            "--last-seq", str(vec.get("last_seq", 0))]
    if vec.get("now") is not None:
        args += ["--now", str(vec["now"])]
    if chunk:
        args += ["--chunk", str(chunk)]
    p = subprocess.run(args, input=eml, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode("ascii", "replace").splitlines(), p.stderr.decode("ascii", "replace").strip()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    tool, vdir = sys.argv[1], sys.argv[2]
    names = sorted(f[:-5] for f in os.listdir(vdir) if f.endswith(".json")) if os.path.isdir(vdir) else []
    if not names:
        print("cmdmail vectors: none in %s: skipped" % vdir)
        return 77
    bad = 0
    for name in names:
        with open(os.path.join(vdir, name + ".json")) as f:
            vec = json.load(f)
        emlpath = os.path.join(vdir, name + ".eml")
        if not os.path.exists(emlpath):
            print("FAIL %s: %s.eml missing" % (name, name))
            bad += 1
            continue
        with open(emlpath, "rb") as f:
            eml = f.read()
        seq = vec.get("seq")
        want = ["%s %s" % (vec["verdict"], "*" if seq is None else seq)] + \
            (list(vec.get("cmds") or []) if vec["verdict"] == "accepted" else [])
        for chunk in (0, 1, 7):
            rc, got, err = run(tool, vec, eml, chunk)
            if got and seq is None and got[0].startswith(vec["verdict"] + " "):
                got = [vec["verdict"] + " *"] + got[1:]
            if rc != 0 or got != want:
                print("FAIL %s (chunk %d): rc %d, got %r, expected %r (%s)" % (name, chunk, rc, got, want, err))
                bad += 1
                break
        else:
            print("ok   %s: %s" % (name, want[0]))
    print("cmdmail vectors: %d of %d match" % (len(names) - bad, len(names)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
