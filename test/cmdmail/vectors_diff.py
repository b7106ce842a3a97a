#!/usr/bin/env python3
"""Differential run: the C module (vector_driver) against the reference verifier
(cmdmail-sign --verify, imported) on random variations of signed messages.

    vectors_diff.py VECTOR_DRIVER [COUNT] [SEED]

Variations: line ends (CRLF, LF, CR CR LF, bare CR), quoting, trailing blanks,
long blank lines, quoted-printable re-encoding (soft breaks, escapes), base64
re-wrapping, nested multiparts (boundary lengths around 70, quoting, folding,
transport padding), long, folded, repeated and colon-less headers, and random
damage (octets changed, inserted or removed, a message cut short, an extra
BEGIN line). Both must
give the same verdict, Seq and commands (the C module fed whole or in pieces
of 1, 3, 7 or 64 octets). Deterministic for a given seed; the
first disagreements are written to $TMPDIR/cmdmail-diff-N.eml for a look.
Exit 0 all agree, 1 a disagreement.
"""
import base64
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "vectors"))
import make_vectors as mv  # noqa: E402  (loads cmdmail-sign as mv.cs)

cs = mv.cs
KEY, DEV = mv.KEY, mv.DEV


def py_verdict(msg):
    v, seq, cmds, _ = cs.verify(msg, KEY, DEV, 1000, None)
    return "%s %s %s" % (v, seq if seq is not None else 0, "|".join(cmds))


def c_verdict(driver, path, step):
    r = subprocess.run([driver, KEY.hex(), DEV, "1000", "-", path, str(step)], capture_output=True, text=True)
    if r.returncode != 0:
        return "rc=%d %s" % (r.returncode, r.stderr.strip()[:200])
    v, seq, cmds = (r.stdout.rstrip("\n").split(" ", 2) + ["", ""])[:3]
    if v != "accepted":
        cmds = ""
        if v in ("unsigned", "invalid"):
            seq = "0"  # res.seq of a refused block is left open (cmdmail.h)
    return "%s %s %s" % (v, seq, cmds)


def norm_py(s):
    v, seq, cmds = (s.split(" ", 2) + ["", ""])[:3]
    if v in ("unsigned", "invalid"):
        seq = "0"
    return "%s %s %s" % (v, seq, cmds)


# ------------------------------------------------------------------ variations

def block_text(rng):
    """(LF text with a block among other lines, the block's line indices)."""
    cmds = rng.choice([["relay 1 on", "report"], ["x"], ["set a b", "y" * 100], ["c%d" % i for i in range(8)]])
    exp = rng.choice([None, None, 1796000000 + 9999])
    lines = cs.block_lines(KEY, DEV.encode(), rng.randint(1001, 1100), exp,
                           cs.check_fields(DEV, 1001, exp, [c for c in cmds]))
    lines = [bytes(ln) for ln in lines]
    pre = [b"Hello,", b"", b"-- not a boundary", b"=3D and = signs"][: rng.randint(0, 4)]
    post = [b"", b"-- ", b"footer line"][: rng.randint(0, 3)]
    return pre, lines, post


def vary_block_lines(rng, lines):
    out = []
    for i, ln in enumerate(lines):
        r = rng.random()
        if r < 0.1:
            ln = b"> " * rng.randint(1, 3) + ln
        elif r < 0.2:
            ln = ln + rng.choice([b" ", b"\t", b" \t "])
        elif r < 0.25 and b": " in ln:
            ln = ln.replace(b": ", rng.choice([b":", b":\t", b":   "]), 1)
        out.append(ln)
        if 0 < i < len(lines) - 1 and rng.random() < 0.08:
            out.append(rng.choice([b"", b"   ", b">", b" " * rng.choice([255, 256, 257, 300]),
                                   b">" * rng.choice([256, 257])]))
    return out


def line_end(rng):
    r = rng.random()
    if r < 0.75:
        return b"\r\n"
    if r < 0.85:
        return b"\n"
    if r < 0.93:
        return b"\r\r\n"
    return rng.choice([b"\r\r\r\n", b" \r\n", b"\r \r\n"])


def join_lines(rng, lines, mixed):
    if not mixed:
        return b"".join(ln + b"\r\n" for ln in lines)
    return b"".join(ln + line_end(rng) for ln in lines)


def qp_encode(rng, text):
    """Quoted-printable with random soft breaks and needless escapes."""
    out = []
    for line in text.split(b"\n"):
        enc = []
        for i, o in enumerate(line):
            last = i == len(line) - 1
            if o == 0x3D or o > 0x7E or (o < 0x20 and o != 0x09) or (last and o in (0x20, 0x09)):
                enc.append(b"=%02X" % o)
            elif rng.random() < 0.05:
                enc.append((b"=%02X" if rng.random() < 0.5 else b"=%02x") % o)
            else:
                enc.append(bytes([o]))
        cur = b""
        for e in enc:
            if cur and (len(cur) + len(e) > 75 or rng.random() < 0.03):
                out.append(cur + rng.choice([b"=", b"=", b"= ", b" =", b"=\t"]))
                cur = b""
            cur += e
        out.append(cur + rng.choice([b"", b"", b"", b"  ", b"\t"]))
    return b"\n".join(out)


def b64_encode(rng, text):
    raw = text.replace(b"\n", rng.choice([b"\r\n", b"\n", b"\r\r\n"]))
    flat = base64.b64encode(raw)
    if rng.random() < 0.3:
        flat = flat.rstrip(b"=")
    w = rng.choice([76, 76, 4, 50, 64, 1000])
    return b"\n".join(flat[i:i + w] for i in range(0, len(flat), w))


def text_part(rng, mixed):
    """(headers list, body bytes with line ends) of a text/plain part."""
    pre, blk, post = block_text(rng)
    lines = pre + vary_block_lines(rng, blk) + post
    enc = rng.choice(["7bit", "7bit", "qp", "b64"])
    text = b"\n".join(lines) + b"\n"
    ctype = rng.choice([b"text/plain; charset=us-ascii", b"TEXT/Plain", b"text/plain", None])
    hdrs = [] if ctype is None else [b"Content-Type: " + ctype]
    if enc == "7bit":
        body = join_lines(rng, lines, mixed)
    elif enc == "qp":
        hdrs.append(b"Content-Transfer-Encoding: " + rng.choice([b"quoted-printable", b"Quoted-Printable"]))
        body = join_lines(rng, qp_encode(rng, text).split(b"\n"), mixed)
    else:
        hdrs.append(b"Content-Transfer-Encoding: base64")
        body = join_lines(rng, b64_encode(rng, text).split(b"\n"), mixed)
    return hdrs, body


def boundary(rng):
    n = rng.choice([1, 5, 20, 68, 69, 70, 70, 71, 72, 80])
    alpha = b"abcXYZ0123456789'()+_,-./:=? "
    b = bytes(rng.choice(alpha) for _ in range(n)).strip(b" ") or b"b"
    return b.replace(b"=", b"_") if rng.random() < 0.5 else b


def header_lines(rng, name, value):
    """A header, folded at a random blank when it has one."""
    ln = name + b": " + value
    if b" " in value and rng.random() < 0.3:
        i = ln.index(b" ", len(name) + 2) if b" " in ln[len(name) + 2:] else -1
        if i > 0:
            return [ln[:i], rng.choice([b" ", b"\t", b"  "]) + ln[i + 1:]]
    return [ln]


def entity(rng, depth, mixed):
    """(header lines, body) of a random entity holding the block somewhere."""
    if depth < 5 and rng.random() < 0.45:
        bnd = boundary(rng)
        q = rng.random() < 0.6 or b" " in bnd or b":" in bnd
        val = b"multipart/" + rng.choice([b"mixed", b"alternative"]) + b"; " + \
            (b"filler=" + b"x" * rng.choice([10, 200, 260]) + b"; " if rng.random() < 0.1 else b"") + \
            b"boundary=" + (b'"' + bnd + b'"' if q else bnd)
        hdrs = header_lines(rng, b"Content-Type", val)
        parts = []
        n = rng.randint(1, 3)
        hold = rng.randrange(n)
        for i in range(n):
            if i == hold:
                h, b = entity(rng, depth + 1, mixed)
                h = vary_headers(rng, h)
            else:
                h, b = [b"Content-Type: text/html"], b"<p>x</p>\r\n"
            parts.append(b"".join(x + b"\r\n" for x in h) + b"\r\n" + b)
        pad = rng.choice([b"", b"", b"  ", b"\t", b" " * 10])
        body = (b"preamble\r\n" if rng.random() < 0.5 else b"")
        for p in parts:
            body += b"--" + bnd + pad + b"\r\n" + p
        body += b"--" + bnd + b"--" + pad + b"\r\n" + (b"epilogue\r\n" if rng.random() < 0.3 else b"")
        return hdrs, body
    return text_part(rng, mixed)


def vary_headers(rng, hdrs):
    """Repeated, colon-less, folded-at-start and oddly written header lines."""
    r = rng.random()
    if r < 0.05:
        hdrs = hdrs + [b"Content-Type: text/html"]  # the first counts
    elif r < 0.1:
        hdrs = [b"Content-Type: text/html"] + hdrs
    elif r < 0.15 and hdrs:
        hdrs = [hdrs[0], b"no colon", b" continued"] + hdrs[1:]
    elif r < 0.2:
        hdrs = [b" starts folded: x"] + hdrs
    elif r < 0.25:
        hdrs = [h.replace(b"boundary=", rng.choice([b"BOUNDARY = ", b"boundary=x; boundary=", b"boundary=\"",
                                                    b"charset=a;boundary="]), 1) for h in hdrs]
    elif r < 0.3:
        hdrs = [h.replace(b"base64", rng.choice([b"base64 x", b" BASE64 ", b"x-unknown"]), 1) for h in hdrs]
    return hdrs


def mutate(rng, msg):
    """A few random edits: octets changed, inserted or removed; line ends rewritten."""
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        if not msg:
            break
        i = rng.randrange(len(msg))
        op = rng.random()
        ch = bytes([rng.choice(b"\r\n =-\t>:x\x80\"")])
        if op < 0.35:
            msg = msg[:i] + ch + msg[i + 1:]
        elif op < 0.6:
            msg = msg[:i] + ch + msg[i:]
        elif op < 0.75:
            msg = msg[:i] + msg[i + rng.randint(1, 8):]
        elif op < 0.85:
            msg = msg[:i]  # cut short
        elif op < 0.93:
            msg = msg[:i] + b"\r\n" + cs.BEGIN + b"\r\n" + msg[i:]
        else:
            j = msg.find(b"\n", i)
            if j > 0:
                msg = msg[:j] + rng.choice([b"\r\r", b"", b" \r"]) + msg[j:]
    return msg


def message(rng):
    mixed = rng.random() < 0.5
    hdrs, body = entity(rng, 0, mixed)
    top = [b"From: a@example.org", b"Subject: s"]
    if rng.random() < 0.1:
        top.append(b"X-Long: " + b"y" * rng.choice([250, 300]))
    if rng.random() < 0.1:
        top.append(b"No colon here")
    msg = b"".join(x + b"\r\n" for x in top + vary_headers(rng, hdrs)) + b"\r\n" + body
    if rng.random() < 0.15:
        msg = msg.replace(b"\r\n", b"\n")
    return mutate(rng, msg)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    driver = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261201
    rng = random.Random(seed)
    bad, seen = 0, {}
    fd, path = tempfile.mkstemp(suffix=".eml", prefix="cmdmail-diff-")
    os.close(fd)
    try:
        for i in range(count):
            msg = message(rng)
            with open(path, "wb") as f:
                f.write(msg)
            step = rng.choice([0, 0, 1, 3, 7, 64])  # the C module is fed in pieces of step octets
            p, c = norm_py(py_verdict(msg)), c_verdict(driver, path, step)
            seen[p.split(" ")[0]] = seen.get(p.split(" ")[0], 0) + 1
            if p != c:
                bad += 1
                if bad <= 5:
                    keep = os.path.join(tempfile.gettempdir(), "cmdmail-diff-%d.eml" % bad)
                    with open(keep, "wb") as f:
                        f.write(msg)
                    print("DIFF case %d: python %r, C %r (pieces of %d; %s)" % (i, p, c, step, keep))
    finally:
        os.unlink(path)
    print("verdicts (python): %s" % ", ".join("%s %d" % kv for kv in sorted(seen.items())))
    print("%d of %d cases disagree (seed %d)" % (bad, count, seed))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
