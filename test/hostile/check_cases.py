#!/usr/bin/env python3
"""`pop3-cli check` against hostile servers set up well and badly.

Each case starts two HostileServers on 127.0.0.1 (hostile_server.py): one with
implicit TLS (the POP3S port) and one plaintext with STLS, with certificates from
the hostile PKI (run_cases.make_pki) plus two made here the same way with openssl:
"expired" (validity in 2020, through `openssl ca`, which can backdate) and
"expiring" (10 days left). Every case runs check twice, as text and with --json
(parsed), and asserts the exit status, the level of the findings it is about, and
words of the text report. Also -v TLS details: an expired certificate, a chain
through an intermediate CA, and the same leaf without its intermediate (the
reason and the presented chain).

  check_cases.py --cli PATH --work DIR [-k NAME] [-v]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_server import HostileServer  # noqa: E402
from run_cases import make_pki, openssl  # noqa: E402

CA_CNF = """[ca]
default_ca = c
[c]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[p]
commonName = supplied
"""
EXT = ("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
       "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")


EXTRA = ("expired", "expiring", "chain", "leafonly")


def make_check_pki(d):
    """The hostile PKI plus an expired and a soon-expiring localhost certificate, and one
    issued by an intermediate CA: "chain" sends leaf and intermediate, "leafonly" the leaf
    alone (the intermediate missing: a common mistake)."""
    files = make_pki(d)
    for n in EXTRA:
        files[n + ".pem"] = os.path.join(d, n + ".pem")
        files[n + ".key"] = os.path.join(d, n + ".key")
    if all(os.path.exists(files[n + s]) for n in EXTRA for s in (".pem", ".key")):
        return files
    with open(os.path.join(d, "check.ext"), "w") as f:
        f.write(EXT)
    with open(os.path.join(d, "check-ca.cnf"), "w") as f:
        f.write(CA_CNF)
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    for n in ("expired", "expiring"):
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=localhost", "-keyout", n + ".key", "-out", n + ".csr", cwd=d)
    openssl("ca", "-batch", "-notext", "-config", "check-ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
            "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-extfile", "check.ext",
            "-in", "expired.csr", "-out", "expired.pem", cwd=d)
    openssl("x509", "-req", "-in", "expiring.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "10", "-sha256", "-extfile", "check.ext", "-out", "expiring.pem", cwd=d)
    with open(os.path.join(d, "inter.ext"), "w") as f:
        f.write("basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=pop3 hostile intermediate", "-keyout", "inter.key", "-out", "inter.csr", cwd=d)
    openssl("x509", "-req", "-in", "inter.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "3650", "-sha256", "-extfile", "inter.ext", "-out", "inter.pem", cwd=d)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=localhost", "-keyout", "leafonly.key", "-out", "leafonly.csr", cwd=d)
    openssl("x509", "-req", "-in", "leafonly.csr", "-CA", "inter.pem", "-CAkey", "inter.key",
            "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", "check.ext", "-out", "leafonly.pem",
            cwd=d)
    with open(os.path.join(d, "chain.pem"), "wb") as out:
        for n in ("leafonly.pem", "inter.pem"):
            with open(os.path.join(d, n), "rb") as f:
                out.write(f.read())
    shutil.copyfile(os.path.join(d, "leafonly.key"), os.path.join(d, "chain.key"))
    return files


REFUSE_USER = {"USER@plain": b"-ERR [AUTH] Plaintext authentication disallowed on non-secure connections\r\n"}

# name: (implicit-TLS server case or None (port closed), STLS server case,
#        want exit, {finding id: level}, words in the text report)
CASES = {
    "good": ({"server_tls": "implicit"}, {"replies": REFUSE_USER}, 0,
             {"pop3s": "ok", "stls": "ok", "certificate": "ok", "user-before-tls": "ok", "tls-versions": "ok"},
             ["ok    certificate valid, name matches, chain trusted", "USER refused before STLS",
              "CAPA before STLS: USER, UIDL, TOP, STLS", "CAPA after STLS: USER, UIDL, TOP",
              "summary: ", "0 warnings, 0 failures (exit 0)"]),
    "expired": ({"server_tls": "implicit", "cert": "expired"}, {"cert": "expired", "replies": REFUSE_USER}, 12,
                {"pop3s": "fail", "stls": "fail", "certificate": "fail"},
                ["FAIL  certificate expired: POP3S: CN=localhost", "valid until 2020-02-01 00:00:00 UTC",
                 "renew the certificate", "(exit 12)"]),
    "wrongname": ({"server_tls": "implicit", "cert": "wrongname"}, {"cert": "wrongname", "replies": REFUSE_USER},
                  12, {"pop3s": "fail", "certificate": "fail"},
                  ["FAIL  certificate name mismatch: POP3S: CN=wrong.example", "SAN DNS:wrong.example",
                   "put 'localhost' in the certificate's subjectAltName"]),
    "untrusted": ({"server_tls": "implicit", "cert": "evil"}, {"cert": "evil", "replies": REFUSE_USER}, 12,
                  {"certificate": "fail"},
                  ["FAIL  certificate unknown CA (not trusted)", "issued by CN=pop3 hostile test evil-ca"]),
    "expiring": ({"server_tls": "implicit", "cert": "expiring"}, {"cert": "expiring", "replies": REFUSE_USER}, 11,
                 {"pop3s": "ok", "certificate": "warn"},
                 ["warn  certificate expires in 9 days", "renew the certificate soon", "(exit 11)"]),
    "no_stls": ({"server_tls": "implicit"}, {"stls_offer": False, "replies": REFUSE_USER}, 11,
                {"pop3s": "ok", "stls": "warn", "user-before-tls": "ok"},
                ["warn  port", "offers no STLS", "enable STLS on this port"]),
    "no_stls_no_pop3s": (None, {"stls_offer": False, "replies": REFUSE_USER}, 12,
                         {"pop3s": "fail", "stls": "fail"},
                         ["not usable: connect: Connection refused", "offers no STLS"]),
    "chain": ({"server_tls": "implicit", "cert": "chain"}, {"cert": "chain", "replies": REFUSE_USER}, 0,
              {"pop3s": "ok", "stls": "ok", "certificate": "ok"},
              ["issued by CN=pop3 hostile intermediate", "2 sent", "(exit 0)"]),
    "chain_missing": ({"server_tls": "implicit", "cert": "leafonly"}, {"cert": "leafonly", "replies": REFUSE_USER},
                      12, {"pop3s": "fail", "certificate": "fail"},
                      ["FAIL  certificate unknown CA (not trusted)", "1 sent",
                       "serve the whole chain (intermediate certificates)"]),
    "user_plain": ({"server_tls": "implicit"}, {}, 11,
                   {"pop3s": "ok", "stls": "ok", "user-before-tls": "warn"},
                   ["warn  port", "accepts USER before STLS (+OK)", "refuse logins before TLS"]),
}


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run_check(cli, ports, pki, extra):
    argv = [cli, "-H", "localhost", "--port-tls", str(ports[0]), "--port-stls", str(ports[1]),
            "--cafile", pki["ca"], "--timeout", "3000"] + extra + ["check"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def servers(case_tls, case_stls, pki):
    srvs = []
    if case_tls is not None:
        srvs.append(HostileServer(case_tls, pki).start())
    srvs.append(HostileServer(case_stls, pki).start())
    ports = (srvs[0].port if case_tls is not None else closed_port(), srvs[-1].port)
    return srvs, ports


def run_case(name, cli, pki, verbose):
    case_tls, case_stls, want_rc, levels, words = CASES[name]
    errs = []
    srvs, ports = servers(case_tls, case_stls, pki)
    try:
        rc, out, err = run_check(cli, ports, pki, [])
        if verbose:
            print(out + err)
        if rc != want_rc:
            errs.append("text: exit %d, want %d" % (rc, want_rc))
        for w in words:
            if w not in out:
                errs.append("text: missing %r" % w)
        rc, out, err = run_check(cli, ports, pki, ["--json"])
        if verbose:
            print(out + err)
        try:
            doc = json.loads(out)
        except ValueError as e:
            errs.append("json: does not parse (%s): %r" % (e, out[:300]))
            doc = None
        if doc is not None:
            got = {f["id"]: f["level"] for f in doc["findings"]}
            for fid, lvl in levels.items():
                if got.get(fid) != lvl:
                    errs.append("json: finding %s is %r, want %r" % (fid, got.get(fid), lvl))
            want_result = {0: "ok", 11: "warn", 12: "fail"}[want_rc]
            if doc["result"] != want_result or doc["exit"] != rc or rc != want_rc:
                errs.append("json: result %r exit %r (rc %d), want %r %d" % (doc["result"], doc["exit"], rc,
                                                                          want_result, want_rc))
            if any(f["level"] == "fail" for f in doc["findings"]) != (want_rc == 12):
                errs.append("json: fail findings do not match exit %d" % want_rc)
        # No password may ever go out: no credentials were given.
        for s in srvs:
            allb, _, _ = s.transcript()
            if b"PASS" in allb or b"AUTH " in allb:
                errs.append("server saw a login command: %r" % allb[:200])
            users = [l for l in allb.split(b"\r\n") if l.upper().startswith(b"USER")]
            if any(u != b"USER pop3-cli-check-probe" for u in users):
                errs.append("unexpected USER lines: %r" % users)
    finally:
        for s in srvs:
            s.stop()
    return errs


# -v TLS details (pop3-cli -v --tls capa): cert, want exit, words on stderr ("!": must not be there).
DETAILS = {
    "details_expired": ("expired", 4, [
        "TLS POP3S: handshake failed: certificate expired", "TLS POP3S: verification: expired",
        "TLS POP3S: the server presented 1 certificate:", "subject: CN=localhost",
        "issuer:  CN=pop3 hostile test ca",
        "valid:   2020-01-01 00:00:00 UTC to 2020-02-01 00:00:00 UTC (EXPIRED", "verify:  expired (depth 0)"]),
    "details_chain": ("chain", 0, [
        "TLS POP3S: the server presented 2 certificates:", "#0      subject: CN=localhost",
        "issuer:  CN=pop3 hostile intermediate", "verify:  ok (depth 0)",
        "#1      subject: CN=pop3 hostile intermediate", "verify:  ok (depth 1)",
        "CA file subject: CN=pop3 hostile test ca", "verify:  ok (depth 2)"]),
    "details_leafonly": ("leafonly", 4, [
        "TLS POP3S: handshake failed: certificate not trusted (unknown CA)",
        "TLS POP3S: the server presented 1 certificate:", "issuer:  CN=pop3 hostile intermediate",
        "verify:  unknown CA (not trusted) (depth 0)", "!CA file subject", "!#1"]),
}


def tls_details(name, cli, pki, verbose):
    """-v after a handshake: version or the reason in words, and the chain presented."""
    cert, want_rc, words = DETAILS[name]
    srv = HostileServer({"server_tls": "implicit", "cert": cert}, pki).start()
    try:
        p = subprocess.run([cli, "-v", "-H", "localhost", "-p", str(srv.port), "--tls", "--cafile", pki["ca"],
                            "--timeout", "3000", "capa"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
    finally:
        srv.stop()
    err = p.stderr.decode("utf-8", "replace")
    if verbose:
        print(err)
    errs = [] if p.returncode == want_rc else ["exit %d, want %d" % (p.returncode, want_rc)]
    for w in words:
        if w.startswith("!") and w[1:] in err:
            errs.append("unexpected %r" % w[1:])
        elif not w.startswith("!") and w not in err:
            errs.append("missing %r" % w)
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("-k", action="append")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    pki = make_check_pki(os.path.join(a.work, "pki"))
    names = [n for n in list(CASES) + list(DETAILS) if not a.k or any(k in n for k in a.k)]
    failed = 0
    for n in names:
        errs = tls_details(n, a.cli, pki, a.v) if n in DETAILS else run_case(n, a.cli, pki, a.v)
        print("%-20s %s" % (n, "ok" if not errs else "FAILED"))
        for e in errs:
            print("    " + e)
        failed += 1 if errs else 0
    print("check cases: %d run, %d failed" % (len(names), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
