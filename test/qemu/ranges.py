#!/usr/bin/env python3
"""Address ranges of the firmware's code by component, from its GNU ld link map.

    ranges.py pop3-fw.map > ranges.txt      (lines "START END CATEGORY", hex)
    ranges.py --by-function pop3-fw.map     (CATEGORY = category/function, for a closer look)

Each code input section the linker kept (.text.*, with -ffunction-sections one per
function) is attributed to the archive member it came from. Categories:
  tls-aes-gcm tls-chachapoly tls-crypto-other  record cipher code (mbedTLS crypto)
  tls-pk       bignum, ECC, RSA, hashes, DRBG (handshake)
  tls-ssl      mbedTLS record/handshake layer;  tls-x509  certificate parsing
  pop3-core    core/src;  pop3-port  port/lwip + port/mbedtls adapter
  cmdmail      examples/cmdmail (MIME decoding, block parser, NV state, poll driver)
  lwip         lwIP;  netif  the LAN9118 driver;  app  main.c, board, logging
  libc         newlib-nano + libgcc (memcpy, memset, division)
"""
import re
import sys

CRYPTO = {
    "aes": "tls-aes-gcm", "gcm": "tls-aes-gcm",
    "chacha20": "tls-chachapoly", "poly1305": "tls-chachapoly", "chachapoly": "tls-chachapoly",
    "cipher": "tls-crypto-other", "cipher_wrap": "tls-crypto-other", "constant_time": "tls-crypto-other",
    "platform_util": "tls-crypto-other", "memory_buffer_alloc": "tls-crypto-other",
}


def category(origin):
    m = re.search(r"lib(\w+)\.a\((\w+)\.c\.obj\)", origin)
    if m:
        lib, obj = m.group(1), m.group(2)
        if lib == "fw_mbedcrypto":
            return CRYPTO.get(obj, "tls-pk")
        return {"fw_mbedtls": "tls-ssl", "fw_mbedtls_aesgcm_suites": "tls-ssl", "fw_mbedx509": "tls-x509", "pop3_core": "pop3-core",
                "pop3_lwip": "pop3-port", "pop3_tls": "pop3-port", "fw_lwip": "lwip",
                "fw_cmdmail": "cmdmail"}.get(lib, "other")
    if re.search(r"lib(c|c_nano|g|g_nano|gcc|m)\.a\(", origin):
        return "libc"
    if "fw_mbedtls_aesgcm_suites.dir" in origin:
        return "tls-ssl"
    if "lan9118_netif.c.obj" in origin:
        return "netif"
    if "fw_app.dir" in origin:
        return "app"
    return "other"


def main(path, by_function=False):
    on = False
    pending = None
    out = []
    sec_re = re.compile(r"^ (\.text\S*)\s*(?:(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(.*))?$")
    cont_re = re.compile(r"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S.*)$")
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("Linker script and memory map"):
                on = True
                continue
            if not on:
                continue
            m = sec_re.match(line)
            if m:
                if m.group(2):
                    out.append((int(m.group(2), 16), int(m.group(3), 16), m.group(4), m.group(1)))
                    pending = None
                else:
                    pending = m.group(1)
                continue
            if pending:
                m = cont_re.match(line)
                if m:
                    out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), pending))
                pending = None
    for start, size, origin, section in sorted(out):
        if size:
            cat = category(origin)
            if by_function:
                obj = re.search(r"\((?:lib_a-)?([\w-]+)\.(?:c\.)?o(?:bj)?\)|/(\w+)\.c\.obj$", origin)
                fn = section[len(".text."):] if section.startswith(".text.") else \
                    (obj.group(1) or obj.group(2) if obj else "?")
                cat = cat + "/" + fn
            print("%x %x %s" % (start, start + size, cat))


if __name__ == "__main__":
    if sys.argv[1] == "--by-function":
        main(sys.argv[2], True)
    else:
        main(sys.argv[1])
