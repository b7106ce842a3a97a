#!/usr/bin/env python3
"""Writes the command-mail test vectors (NAME.eml + NAME.json) with cmdmail-sign.

Deterministic (fixed keys, dates and Message-IDs), so `make_vectors.py --out DIR` must
reproduce the committed files byte for byte. Each .eml is what RETR delivers: CRLF line
ends, dot-unstuffed. The cases that a correct signer cannot produce (tampered, two
blocks, fields out of order, MIME structures, ...) are made by editing or wrapping a
signed message afterwards.
In NAME.json, seq is the block's Seq when its MAC matched (else null) and cmds are the
commands to run (only for "accepted"). lf_line_ends.eml alone has LF line ends.
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "..", "examples", "cmdmail", "cmdmail-sign")


def load_tool():
    loader = importlib.machinery.SourceFileLoader("cmdmail_sign", TOOL)
    spec = importlib.util.spec_from_loader("cmdmail_sign", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


cs = load_tool()

KEY = bytes(range(32))                      # the FORMAT.md example key
KEY2 = bytes((0xA5 ^ i) for i in range(32))  # a second device's key
DATE = 1796000000                           # 2026-11-29 (fixed, so the Date header is)
NOW = DATE + 600                            # the device's clock when it reads the mail
DEV = "lamp-0042"


def sign(key=KEY, device=DEV, seq=1017, expires=None, cmds=("relay 1 on", "report"),
         encoding="7bit", footer=None, quote=False, multipart=False, lf=False):
    """A message as cmdmail-sign writes it: CRLF (as RETR delivers it) unless lf."""
    a = argparse.Namespace(sender="operator <operator@example.org>", to=DEV + "@example.org",
                           subject=None, date=DATE, message_id=None, device=device, seq=seq,
                           encoding=encoding, footer=footer, quote=quote, multipart=multipart,
                           line_end="lf" if lf else "crlf")
    lines = cs.block_lines(key, device.encode(), seq, expires, cs.check_fields(device, seq, expires, list(cmds)))
    return cs.build_message(a, lines)


def replace_once(msg, old, new):
    assert msg.count(old) == 1, old
    return msg.replace(old, new)


def body_lines(msg, fn):
    """Applies fn to every line of the body (after the header's empty line)."""
    head, sep, body = msg.partition(b"\r\n\r\n")
    return head + sep + b"\r\n".join(fn(ln) for ln in body.split(b"\r\n"))


def cases():
    """(name, message, json fields) for every case."""
    def c(name, msg, verdict, seq=None, cmds=(), key=KEY, device=DEV, last_seq=1000, now=None):
        return name, msg, {"key_hex": key.hex(), "device": device, "last_seq": last_seq, "now": now,
                           "verdict": verdict, "seq": seq, "cmds": list(cmds)}

    std = ["relay 1 on", "report"]
    valid = sign()
    yield c("format_example", valid, "accepted", 1017, std, last_seq=0)
    yield c("valid", sign(seq=1001), "accepted", 1001, std, now=NOW)
    yield c("valid_expiry_future", sign(seq=1002, expires=NOW + 3600), "accepted", 1002, std, now=NOW)
    # Expires equal to now is not yet in the past.
    yield c("valid_expiry_now", sign(seq=1003, expires=NOW), "accepted", 1003, std, now=NOW)
    # A device without a clock does not check Expires.
    yield c("expired_no_clock", sign(seq=1004, expires=NOW - 1), "accepted", 1004, std, now=None)
    yield c("tampered", replace_once(valid, b"Cmd: relay 1 on", b"Cmd: relay 1 off"), "invalid")
    mac_line = [ln for ln in valid.split(b"\r\n") if ln.startswith(b"Mac: ")][0]
    bad = mac_line[:-1] + (b"0" if mac_line[-1:] != b"0" else b"1")
    yield c("bad_mac", replace_once(valid, mac_line, bad), "invalid")
    yield c("wrong_key", sign(key=KEY2), "invalid")
    yield c("wrong_device", sign(device="lamp-0043"), "wrong_device", 1017)
    yield c("replayed", sign(), "replayed", 1017, last_seq=1017)
    yield c("replayed_older", sign(seq=999), "replayed", 999, last_seq=1017)
    yield c("expired", sign(seq=1005, expires=NOW - 1), "expired", 1005, now=NOW)
    unsigned = sign()
    start, end = unsigned.index(cs.BEGIN), unsigned.index(cs.END) + len(cs.END) + 2
    yield c("unsigned", unsigned[:start] + b"relay 1 on, please.\r\n" + unsigned[end:], "unsigned")
    footer = ("-- \nlamp-ops mailing list: https://lists.example.org/?list=lamp-ops&id=42 "
              "(unsubscribe: write to lamp-ops-leave@lists.example.org) =3D not an escape")
    yield c("qp_footer", sign(seq=1006, encoding="quoted-printable", footer=footer,
                              cmds=("set schedule " + "mon-fri 07:00-08:15 " * 5 + "end", "report")),
            "accepted", 1006, ["set schedule " + "mon-fri 07:00-08:15 " * 5 + "end", "report"])
    yield c("base64", sign(seq=1007, encoding="base64"), "accepted", 1007, std)
    yield c("lf_line_ends", sign(seq=1008, lf=True), "accepted", 1008, std)
    yield c("trailing_spaces", body_lines(sign(seq=1009), lambda ln: ln + b" \t  "), "accepted", 1009, std)
    yield c("quoted_reply", sign(seq=1010, quote=True), "accepted", 1010, std)
    yield c("nested_multipart", sign(seq=1011, multipart=True, encoding="quoted-printable"),
            "accepted", 1011, std)
    mp = sign(seq=1012, multipart=True)
    plain = mp[mp.index(b"Content-Type: text/plain"):mp.index(b"--=_alt_", mp.index(b"Content-Type: text/plain"))]
    html_only = replace_once(mp, plain, b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
                             b"See the HTML part.\r\n")
    yield c("html_only", html_only, "unsigned")
    second = sign(seq=1014)
    blk2 = second[second.index(cs.BEGIN):second.index(cs.END) + len(cs.END) + 2]
    yield c("two_blocks", sign(seq=1013, footer="Forwarded:") + blk2, "invalid")
    # A Cmd line of 300 octets, correctly signed: only the line length refuses it.
    long_cmd = b"x" * 295
    lines = cs.block_lines(KEY, DEV.encode(), 1015, None, [long_cmd])
    long_msg = replace_once(sign(seq=1015, cmds=["placeholder"]), b"\r\n".join(
        cs.block_lines(KEY, DEV.encode(), 1015, None, [b"placeholder"])), b"\r\n".join(lines))
    yield c("long_line", long_msg, "invalid")
    yield c("unknown_field", replace_once(valid, b"Seq: 1017\r\n", b"Seq: 1017\r\nNote: hello\r\n"), "invalid")
    yield c("out_of_order", replace_once(valid, b"Device: lamp-0042\r\nSeq: 1017\r\n",
                                         b"Seq: 1017\r\nDevice: lamp-0042\r\n"), "invalid")
    # Field names in any case, spaces inside values, upper-case Mac: all normalised away.
    relaxed = replace_once(valid, b"Cmd: relay 1 on", b"cMD:\t relay   1\ton ")
    relaxed = replace_once(relaxed, b"Device: ", b"DEVICE:")
    relaxed = replace_once(relaxed, mac_line, mac_line[:5] + mac_line[5:].upper())
    yield c("relaxed_syntax", relaxed, "accepted", 1017, std)
    yield c("leading_zero_seq", replace_once(valid, b"Seq: 1017", b"Seq: 01017"), "invalid")
    yield c("unterminated", valid[:valid.index(cs.END)], "invalid")
    # Line length is counted before the quote marks are stripped: 256 octets pass, 257 do not.
    mac_q256 = b">" * (256 - len(mac_line)) + mac_line
    yield c("line_256_quoted", replace_once(valid, mac_line, mac_q256), "accepted", 1017, std)
    yield c("line_257_quoted", replace_once(valid, mac_line, b">" + mac_q256), "invalid")
    # A block in a header is not a block.
    hdr = replace_once(unsigned[:start] + b"relay 1 on, please.\r\n" + unsigned[end:], b"MIME-Version",
                       b"X-Note: " + cs.BEGIN + b"\r\nMIME-Version")
    yield c("block_in_header", hdr, "unsigned")
    blk = valid[valid.index(cs.BEGIN):valid.index(cs.END) + len(cs.END) + 2]
    cut = blk.index(b"Cmd: report")

    def mime(ctype, body, extra=b""):
        return b"Content-Type: " + ctype + b"\r\n" + extra + b"\r\n" + body

    def multi(bnd, parts):
        return b"".join(b"--" + bnd + b"\r\n" + p_ for p_ in parts) + b"--" + bnd + b"--\r\n"

    head = valid[:valid.index(b"Content-Type:")]
    # A block must not span two text/plain parts.
    yield c("split_across_parts", head + mime(b'multipart/mixed; boundary="s1"', multi(b"s1", [
        mime(b"text/plain", blk[:cut]), mime(b"text/plain", blk[cut:])])), "invalid")
    # Three nested multiparts are followed, a fourth is not.
    def nest(n, inner):
        for i in range(n, 0, -1):
            inner = mime(b'multipart/mixed; boundary="d%d"' % i, multi(b"d%d" % i, [inner]))
        return inner
    yield c("depth_3", head + nest(3, mime(b"text/plain", blk)), "accepted", 1017, std)
    yield c("depth_4", head + nest(4, mime(b"text/plain", blk)), "unsigned")
    # A forwarded message (message/rfc822) is not a text/plain part.
    yield c("rfc822_part", head + mime(b"multipart/mixed; boundary=f1", multi(b"f1", [
        mime(b"text/plain", b"Forwarded, see attached.\r\n"),
        mime(b"message/rfc822", b"Subject: old\r\n\r\n" + blk)])), "unsigned")
    # The block in the preamble of a multipart is not in a part.
    yield c("preamble", head + mime(b"multipart/mixed; boundary=p1", blk + multi(b"p1", [
        mime(b"text/plain", b"nothing here\r\n")])), "unsigned")
    # Base64 with its lines cut differently and no padding still decodes.
    b64 = sign(seq=1016, encoding="base64")
    hb, _, bb = b64.partition(b"\r\n\r\n")
    flat = bb.replace(b"\r\n", b"").rstrip(b"=")
    yield c("base64_rewrapped", hb + b"\r\n\r\n" + b"\r\n".join(
        flat[i:i + 50] for i in range(0, len(flat), 50)) + b"\r\n", "accepted", 1016, std)
    yield from edge_cases(c, valid, blk, head, mime, multi)


def edge_cases(c, valid, blk, head, mime, multi):
    """The rules FORMAT.md states for CRs, blank lines in a block and boundary lengths."""
    std = ["relay 1 on", "report"]
    # All CRs directly before an LF are no part of the line, in headers, body and decoded text.
    yield c("cr_cr_lf", sign(seq=1018).replace(b"\r\n", b"\r\r\n"), "accepted", 1018, std)
    qp = sign(seq=1019, encoding="quoted-printable").replace(b"\r\n", b"\r\r\n")
    yield c("cr_cr_lf_qp", replace_once(qp, b"Cmd: report\r\r\n", b"Cmd: report=0D=0D\r\r\n"),
            "accepted", 1019, std)
    # Any other CR is an octet of the line: not printable, so not in a Cmd.
    yield c("bare_cr_in_cmd", replace_once(valid, b"Cmd: report", b"Cmd: rep\rort"), "invalid")
    # A line over 256 octets inside a block makes it invalid, even a blank one; the CRs
    # before the LF do not count.
    dev = b"Device: lamp-0042\r\n"
    yield c("blank_257_in_block", replace_once(valid, dev, dev + b" " * 257 + b"\r\n"), "invalid")
    yield c("blank_256_in_block", replace_once(valid, dev, dev + b">" + b" \t" * 127 + b" \r\r\r\n"),
            "accepted", 1017, std)
    # Boundaries: 70 octets are followed, 71 leave the multipart without parts.
    for n, verdict in ((70, "accepted"), (71, "unsigned")):
        bnd = (b"=_" + b"0123456789" * 8)[:n]
        yield c("boundary_%d" % n, head + mime(b'multipart/mixed; boundary="' + bnd + b'"', multi(bnd, [
            mime(b"text/plain", blk)])), verdict, 1017 if verdict == "accepted" else None,
            std if verdict == "accepted" else ())
    # Only the first 256 octets of an unfolded header count: a boundary past them is lost.
    yield c("boundary_past_256", head + mime(b"multipart/mixed;\r\n x-filler=" + b"f" * 240 + b";\r\n"
                                             b" boundary=h1", multi(b"h1", [mime(b"text/plain", blk)])),
            "unsigned")
    # A delimiter line is at most 80 octets: past that, it is text of the part before it.
    for n, verdict in ((80, "unsigned"), (81, "accepted")):
        pad = b" " * (n - len(b"--p1"))
        yield c("delimiter_%d" % n, head + mime(b"multipart/mixed; boundary=p1",
                                                b"--p1\r\n" + mime(b"text/plain", b"see below\r\n") +
                                                b"--p1" + pad + b"\r\n" + mime(b"text/html", blk) + b"--p1--\r\n"),
                verdict, 1017 if verdict == "accepted" else None, std if verdict == "accepted" else ())
    # A line that is a delimiter of two nested multiparts belongs to the outermost: here
    # "--s--" closes the outer one, and the text/plain part after it is epilogue.
    inner = mime(b"multipart/mixed; boundary=s", b"")
    yield c("same_boundary_nested", head + mime(b"multipart/mixed; boundary=s", b"--s\r\n" + inner +
                                                b"--s\r\n" + mime(b"text/html", blk) + b"--s--\r\n" +
                                                b"--s\r\n" + mime(b"text/plain", blk) + b"--s--\r\n"),
            "unsigned")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=HERE)
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    for name, msg, meta in cases():
        with open(os.path.join(out, name + ".eml"), "wb") as f:
            f.write(msg)
        with open(os.path.join(out, name + ".json"), "w") as f:
            f.write(json.dumps(meta, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
