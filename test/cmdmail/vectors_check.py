#!/usr/bin/env python3
"""The C module against every vector of test/cmdmail/vectors/ (made by the
signing tool's make_vectors.py): the verdict, Seq and commands its .json
names, with the message fed whole, in 1-, 7- and 64-octet pieces."""
import json
import os
import subprocess
import sys

driver, vec = sys.argv[1], sys.argv[2]
bad = 0
names = sorted(n[:-5] for n in os.listdir(vec) if n.endswith(".json"))
for name in names:
    with open(os.path.join(vec, name + ".json")) as f:
        want = json.load(f)
    now = "-" if want.get("now") is None else str(want["now"])
    for step in (0, 1, 7, 64):
        out = subprocess.run([driver, want["key_hex"], want["device"], str(want.get("last_seq", 0)), now,
                              os.path.join(vec, name + ".eml"), str(step)], capture_output=True, text=True)
        got = out.stdout.rstrip("\n").split(" ", 2) if out.returncode == 0 else ["rc=%d" % out.returncode, "", ""]
        ok = got[0] == want["verdict"]
        if ok and want.get("seq") is not None:
            ok = got[1] == str(want["seq"])
        if ok and want["verdict"] == "accepted":
            ok = got[2] == "|".join(want["cmds"])
        if not ok:
            print("FAIL %s (pieces of %d): got %s, want %s %s %s" % (name, step, got, want["verdict"],
                                                                     want.get("seq"), want["cmds"]))
            bad += 1
            break
    else:
        print("ok   %s: %s" % (name, want["verdict"]))
if not names:
    print("no vectors in " + vec)
    bad = 1
print("%d of %d vectors failed" % (bad, len(names)))
sys.exit(1 if bad else 0)
