#!/usr/bin/env python3
"""Measurement table of a test/qemu/run.sh run (markdown on stdout).

    report.py BUILD_DIR

Reads BUILD_DIR/NAME.insn (insn_count.c: "PHASE CATEGORY COUNT"), BUILD_DIR/NAME.log
(the firmware's UART log) and the image's symbols (arm-none-eabi-nm).
"""
import os
import re
import subprocess
import sys

GOAL_TLS, GOAL_PLAIN, GOAL_RAM = 70, 15, 32 * 1024
ROWS = [
    ("TLS record crypto: AES-GCM", ["tls-aes-gcm"]),
    ("TLS record crypto: ChaCha20-Poly1305", ["tls-chachapoly"]),
    ("TLS: other crypto (cipher layer, constant-time helpers)", ["tls-crypto-other"]),
    ("TLS: record layer (mbedTLS ssl)", ["tls-ssl"]),
    ("TLS: public key, hashes, x509", ["tls-pk", "tls-x509"]),
    ("netif copy (LAN9118 FIFO, word-wide)", ["netif"]),
    ("lwIP (IP, TCP, checksums, pbufs)", ["lwip"]),
    ("POP3 core", ["pop3-core"]),
    ("POP3 ports (lwIP port + TLS adapter)", ["pop3-port"]),
    ("command-mail module (MIME decoding, block parser; examples/cmdmail)", ["cmdmail"]),
    ("application (main loop, command-mail glue, board)", ["app"]),
    ("libc (memcpy, memset, ...)", ["libc"]),
    ("other", ["other"]),
]
RUNS = [("pop3s", "POP3S, ChaCha20-Poly1305 first (default)"),
        ("pop3s-aesgcm", "POP3S, AES-128-GCM first"),
        ("plain", "plaintext POP3")]


def insn(bdir, name):
    counts = {}
    path = os.path.join(bdir, name + ".insn")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            p, cat, n = line.split()
            counts[(int(p), cat)] = int(n)
    return counts


def log_value(bdir, name, label):
    path = os.path.join(bdir, name + ".log")
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(re.escape(label) + r": (\d+)\s*$", line.rstrip("\r\n"))
            if m:
                return int(m.group(1))
    return None


def sym_sizes(elf, names):
    out = subprocess.run(["arm-none-eabi-nm", "-S", "-t", "d", elf], capture_output=True, text=True,
                         check=True).stdout
    sizes = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[3] in names:
            sizes[f[3]] = int(f[1])
    return sizes


def main(bdir):
    octets, msgs = (int(x) for x in open(os.path.join(bdir, "body-octets")).read().split())
    print("### Firmware under QEMU (mps2-an386, Cortex-M4 at 25 MHz, LAN9118; QEMU 7.2 TCG)")
    print()
    print("Guest instructions per body octet while %d messages (%d octets, RETR of each) stream in:"
          % (msgs, octets))
    print("counted by test/qemu/insn_count.c from the first body octet to the end of the last")
    print("message, attributed by code address (link map). QEMU has no cycle model: these are")
    print("instructions, not cycles (flash wait states, bus stalls and the real MAC are not modelled).")
    cache = os.path.join(bdir, "fw", "CMakeCache.txt")
    fast = "?"
    if os.path.exists(cache):
        m = re.search(r"^FW_FAST_RECORD_CRYPTO:BOOL=(\w+)", open(cache).read(), re.M)
        fast = m.group(1) if m else "?"
    print("Image: board qemu-mps2-an386, -Os, FW_FAST_RECORD_CRYPTO=%s (mbedTLS aes.c, gcm.c, chacha20.c,"
          % fast)
    print("poly1305.c, chachapoly.c at -O2).")
    print()
    data = {name: insn(bdir, name) for name, _ in RUNS}
    print("| component | " + " | ".join(title for _, title in RUNS) + " |")
    print("|---|" + "---:|" * len(RUNS))
    totals = {}
    for label, cats in ROWS:
        cells = []
        for name, _ in RUNS:
            c = data[name]
            if c is None:
                cells.append("-")
                continue
            n = sum(c.get((1, k), 0) for k in cats)
            cells.append("%.1f" % (n / octets))
        if all(x in ("0.0", "-") for x in cells):
            continue
        print("| %s | %s |" % (label, " | ".join(cells)))
    cells = []
    for name, _ in RUNS:
        c = data[name]
        t = sum(v for (p, _), v in c.items() if p == 1) if c else 0
        totals[name] = t / octets if c else None
        cells.append("**%.1f**" % (t / octets) if c else "-")
    print("| **total per body octet** | %s |" % " | ".join(cells))
    cells = []
    for name, _ in RUNS:
        c = data[name]
        cells.append("%.1f M" % (sum(v for (p, _), v in c.items() if p == 0) / 1e6) if c else "-")
    print("| before the first body octet (boot, DHCP, connect, TLS handshake, login, UIDL), instructions | %s |"
          % " | ".join(cells))
    print()

    elf = os.path.join(bdir, "fw", "pop3-fw.elf")
    objs = ["client", "port", "tls", "line_buf", "tx_buf", "fw_cm", "fw_cm_poll", "fw_cm_key"]
    sizes = sym_sizes(elf, objs)
    print("RAM of one session (bytes; objects from the image's symbols, high-water marks from the run):")
    print()
    print("| run | client + port + TLS objects + line/tx buffers + command-mail context, poll, key | mbedTLS heap high-water | stack high-water | **total** |")
    print("|---|---:|---:|---:|---:|")
    static = sum(sizes.get(o, 0) for o in objs)
    ram = {}
    for name, title in [("pop3s", "POP3S (ChaCha20-Poly1305)"), ("pop3s-aesgcm", "POP3S (AES-128-GCM)"),
                        ("stls", "STLS"), ("plain", "plaintext")]:
        # plaintext: only the command-mail HMAC state (and the allocator's headers)
        heap = log_value(bdir, name, "qemu-run: mbedTLS heap high-water") or 0
        stack = log_value(bdir, name, "qemu-run: stack high-water") or 0
        ram[name] = static + heap + stack
        print("| %s | %d | %d | %d | **%d** |" % (title, static, heap, stack, static + heap + stack))
    print()
    print("Objects: " + ", ".join("`%s` %d" % (o, sizes.get(o, 0)) for o in objs) +
          ". The heap figure is the highest octet of the static mbedTLS heap ever touched (an upper")
    print("bound of its peak; painted at start). lwIP's pools and heap (about 25 KB) are not counted:")
    print("they serve every connection. The TLS input buffer (MBEDTLS_SSL_IN_CONTENT_LEN) is 4 KiB with")
    print("FW_TLS_MAX_FRAG=ON (the default: the adapter asks for RFC 6066 max_fragment_length 4096, and")
    print("this Dovecot agrees), 16 KiB with OFF (a full record must fit).")
    print()
    print("Goals: POP3S <= %d instructions/octet: %s; plaintext <= %d: %s; one POP3S session <= %d bytes of RAM: %s."
          % (GOAL_TLS, verdict(totals["pop3s"], GOAL_TLS, "default image %.1f"),
             GOAL_PLAIN, verdict(totals["plain"], GOAL_PLAIN, "%.1f"),
             GOAL_RAM, verdict(ram["pop3s"], GOAL_RAM, "%d")))


def verdict(value, goal, fmt):
    if value is None:
        return "not measured"
    text = fmt % value
    return ("met (%s)" if value <= goal else "NOT met (%s)") % text


if __name__ == "__main__":
    main(sys.argv[1])
