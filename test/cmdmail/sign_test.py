#!/usr/bin/env python3
"""cmdmail-sign and the command-mail vectors (ctest label "cmdmail").

1. make_vectors.py regenerates test/cmdmail/vectors/ byte for byte.
2. cmdmail-sign --verify gives every vector its expected verdict, Seq and commands.
3. The FORMAT.md example MAC, computed here with hmac directly from the canonical form
   written out by hand, equals the Mac line of its vector and the value in FORMAT.md.
4. Every option combination of the signer verifies as accepted, and a one-octet change
   of any block line of each makes it fail.
   A message over 1 MiB is "oversized", one of exactly 1 MiB is not.
5. Refusals exit with 2 and say why; --keygen writes 32 octets with mode 0600.
"""
import hashlib
import hmac
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
TOOL = os.path.join(TOP, "examples", "cmdmail", "cmdmail-sign")
VEC = os.path.join(HERE, "vectors")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run([sys.executable, TOOL] + list(args), capture_output=True)


def main():
    tmp = tempfile.mkdtemp(prefix="cmdmail-sign-")
    key_raw = os.path.join(tmp, "key.bin")
    with open(key_raw, "wb") as f:
        f.write(bytes(range(32)))

    # 1. Regeneration is deterministic and matches what is committed.
    regen = os.path.join(tmp, "regen")
    r = subprocess.run([sys.executable, os.path.join(VEC, "make_vectors.py"), "--out", regen])
    check(r.returncode == 0, "make_vectors.py ran")
    committed = sorted(n for n in os.listdir(VEC) if n.endswith((".eml", ".json")))
    check(committed == sorted(os.listdir(regen)), "same vector files after regeneration")
    for n in committed:
        with open(os.path.join(VEC, n), "rb") as a, open(os.path.join(regen, n), "rb") as b:
            check(a.read() == b.read(), "regenerated %s is identical" % n)
    check(len(committed) >= 40, "at least 20 vectors (%d files)" % len(committed))

    # 2. Each vector's verdict from the reference verifier.
    for n in sorted(x[:-5] for x in committed if x.endswith(".json")):
        with open(os.path.join(VEC, n + ".json")) as f:
            m = json.load(f)
        kf = os.path.join(tmp, n + ".key")
        with open(kf, "w") as f:  # hex key files here, raw above: both forms are read
            f.write(m["key_hex"] + "\n")
        now = "none" if m["now"] is None else str(m["now"])
        r = run("--verify", os.path.join(VEC, n + ".eml"), "--key", kf, "--device", m["device"],
                "--last-seq", str(m["last_seq"]), "--now", now, "--json")
        try:
            got = json.loads(r.stdout)
        except ValueError:
            got = {}
        want = {k: m[k] for k in ("verdict", "seq", "cmds")}
        check({k: got.get(k) for k in want} == want, "vector %s: %s, want %s" % (n, got, want))
        check(r.returncode == (0 if m["verdict"] == "accepted" else 1), "vector %s exit status" % n)

    # 3. The FORMAT.md example, independently.
    canon = b"pop3-command-v1\ndevice:lamp-0042\nseq:1017\ncmd:relay 1 on\ncmd:report\n"
    mac = hmac.new(bytes(range(32)), canon, hashlib.sha256).hexdigest()
    with open(os.path.join(VEC, "format_example.eml"), "rb") as f:
        check(b"\r\nMac: " + mac.encode() + b"\r\n" in f.read(), "format_example Mac is " + mac)
    with open(os.path.join(TOP, "examples", "cmdmail", "FORMAT.md")) as f:
        check(mac in f.read(), "FORMAT.md gives the example MAC")

    # 4. Every way of writing the message verifies; any changed block octet does not.
    base = ["--key", key_raw, "--device", "lamp-0042", "--to", "lamp@example.org",
            "--cmd", "relay 1 on", "--cmd", "y" * 128, "--expires", "+1h"]
    seq = 100
    for enc in ("7bit", "quoted-printable", "base64"):
        for extra in ([], ["--footer", "-- \nlist footer a=b"], ["--quote"], ["--multipart"],
                      ["--lf"], ["--multipart", "--quote", "--footer", "f"]):
            seq += 1
            out = os.path.join(tmp, "m%d.eml" % seq)
            r = run(*(base + ["--seq", str(seq), "--encoding", enc, "-o", out] + extra))
            check(r.returncode == 0, "sign %s %s: %s" % (enc, extra, r.stderr))
            r = run("--verify", out, "--key", key_raw, "--device", "lamp-0042", "--last-seq", "100")
            check(r.returncode == 0 and b"verdict: accepted" in r.stdout,
                  "verify %s %s: %s" % (enc, extra, r.stdout))
    with open(os.path.join(tmp, "m101.eml"), "rb") as f:  # 7bit, no options
        msg = f.read()
    lines = msg.split(b"\r\n")
    b0 = lines.index(b"-----BEGIN POP3 COMMAND-----")
    b1 = lines.index(b"-----END POP3 COMMAND-----")
    for i in range(b0, b1 + 1):
        for pos in (0, len(lines[i]) - 1):
            bad = list(lines)
            o = bad[i][pos]
            bad[i] = bad[i][:pos] + bytes([o ^ 0x01 if chr(o ^ 1).isalnum() else 0x5A]) + bad[i][pos + 1:]
            out = os.path.join(tmp, "bad.eml")
            with open(out, "wb") as f:
                f.write(b"\r\n".join(bad))
            r = run("--verify", out, "--key", key_raw, "--device", "lamp-0042", "--last-seq", "100")
            check(r.returncode == 1 and b"verdict: accepted" not in r.stdout,
                  "changed octet %d of %r refused" % (pos, lines[i]))

    # Oversized: over 1 MiB as delivered is refused unread; the same block in a message
    # of exactly 1 MiB is accepted (no committed vector: it would be a 1 MiB file).
    for size, want in ((1024 * 1024, b"accepted"), (1024 * 1024 + 1, b"oversized")):
        pad = size - len(msg)
        out = os.path.join(tmp, "big.eml")
        with open(out, "wb") as f:
            f.write(msg + (b"y" * (pad - 2) + b"\r\n"))
        check(os.path.getsize(out) == size, "big message size")
        r = run("--verify", out, "--key", key_raw, "--device", "lamp-0042", "--last-seq", "100")
        check(b"verdict: " + want in r.stdout, "%d octets: %s (%r)" % (size, want, r.stdout))

    # 5. Refusals.
    key_hex = os.path.join(tmp, "key.hex")
    with open(key_hex, "w") as f:
        f.write(bytes(range(32)).hex().upper() + "\n")
    key_short = os.path.join(tmp, "key.short")
    with open(key_short, "wb") as f:
        f.write(bytes(31))
    key_odd = os.path.join(tmp, "key.odd")
    with open(key_odd, "w") as f:
        f.write("00" * 31 + "\n")
    ok = ["--key", key_raw, "--device", "lamp-0042", "--seq", "5", "--to", "x@example.org", "--cmd", "report"]

    def with_(**kw):
        a = list(ok)
        for k, v in kw.items():
            a[a.index("--" + k) + 1] = v
        return a

    r = run(*ok)
    check(r.returncode == 0 and b"Mac: " in r.stdout, "plain signing works")
    r = run(*with_(key=key_hex))
    check(r.returncode == 0 and b"Mac: " in r.stdout, "hex key accepted")
    refusals = {
        "device with a space": with_(device="lamp 42"),
        "device of 33 octets": with_(device="d" * 33),
        "empty device": with_(device=""),
        "device with a slash": with_(device="lamp/42"),
        "seq 0": with_(seq="0"),
        "seq 2^63": with_(seq=str(2 ** 63)),
        "negative seq": with_(seq="-1"),
        "command with a tab": with_(cmd="relay\t1"),
        "command with CR LF": with_(cmd="relay 1\r\nCmd: reboot"),
        "command with NUL": with_(cmd="a\x01b"),
        "command with DEL": with_(cmd="a\x7fb"),
        "command of 129 octets": with_(cmd="c" * 129),
        "empty command": with_(cmd="   "),
        "nine commands": ok + ["--cmd", "x"] * 8,
        "no command": [a for a in ok if a != "--cmd" and a != "report"],
        "key of 31 octets": with_(key=key_short),
        "key of 62 hex digits": with_(key=key_odd),
        "missing key file": with_(key=os.path.join(tmp, "none")),
        "bad expiry": ok + ["--expires", "tomorrow"],
        "expiry 0": ok + ["--expires", "0"],
    }
    for what, args in refusals.items():
        r = run(*args)
        check(r.returncode == 2 and b"refused" in r.stderr and r.stdout == b"",
              "%s refused with exit 2 (got %d, %r)" % (what, r.returncode, r.stderr))
    r = run(*(ok + ["--cmd", "x"] * 7))
    check(r.returncode == 0, "eight commands accepted")
    r = run(*with_(seq=str(2 ** 63 - 1), cmd="c" * 128))
    check(r.returncode == 0, "seq 2^63-1 and a 128-octet command accepted")

    kg = os.path.join(tmp, "new.key")
    r = run("--keygen", kg)
    check(r.returncode == 0 and os.path.getsize(kg) == 32, "--keygen writes 32 octets")
    check(stat.S_IMODE(os.stat(kg).st_mode) == 0o600, "--keygen file mode 0600")
    with open(kg, "rb") as f:
        k1 = f.read()
    r = run("--keygen", kg)
    check(r.returncode == 2, "--keygen never overwrites a key")
    with open(kg, "rb") as f:
        check(f.read() == k1, "the existing key is unchanged")
    kg2 = os.path.join(tmp, "new2.key")
    run("--keygen", kg2)
    with open(kg2, "rb") as f:
        check(f.read() != k1, "two --keygen runs give different keys")
    r = run(*with_(key=kg))
    check(r.returncode == 0, "a --keygen key signs")
    check(re.search(rb"raw|hex", run("--help").stdout) is not None, "--help names the key forms")

    shutil.rmtree(tmp)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
