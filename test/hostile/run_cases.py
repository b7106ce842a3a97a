#!/usr/bin/env python3
"""Runs the hostile-server cases (cases.py) against pop3-cli, the core on the
POSIX port (hostile_client) and, for transport cases, the lwIP port
(hostile_client_lwipXXX). Prints one line per run, the failures in detail, and
"hostile: N cases run, N passed, N failed"; writes
"cases_run=N cases_passed=N cases_failed=N runs=N" to --summary.

  run_cases.py --cli PATH --posix PATH [--lwip TAG=PATH]... --work DIR
               [--summary FILE] [-k SUBSTRING]... [--list] [-j N] [-v]
A case counts as passed when every client (and every variant) it runs on passed.
"""

import argparse
import concurrent.futures as cf
import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as case_defs  # noqa: E402
from hostile_server import HostileServer  # noqa: E402

PASSWORD = "secret"
SAN_RE = re.compile(rb"(ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer)")
# Timing: a bound, not a benchmark. Extra allowance over the configured
# timeout for scheduling, ASan and (lwIP) the 500 ms poll timer.
SLACK = {"cli": 1.5, "posix": 1.5}
LWIP_SLACK = 2.0


# ---- PKI -------------------------------------------------------------------------
def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_pki(d):
    """Test CA + server certificates (EC P-256), an unrelated CA. Cached in d."""
    os.makedirs(d, exist_ok=True)
    names = {"good": "DNS:localhost,IP:127.0.0.1", "wrongname": "DNS:wrong.example",
             "dnsonly": "DNS:localhost", "evil": "DNS:localhost,IP:127.0.0.1",
             "escname": "DNS:wrong.example"}
    files = {"ca": os.path.join(d, "ca.pem"), "evil-ca": os.path.join(d, "evil-ca.pem")}
    for n in names:
        files[n + ".pem"] = os.path.join(d, n + ".pem")
        files[n + ".key"] = os.path.join(d, n + ".key")
    if all(os.path.exists(f) for f in files.values()):
        return files
    for ca in ("ca", "evil-ca"):
        openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-sha256", "-days", "3650", "-subj", "/CN=pop3 hostile test " + ca,
                "-keyout", ca + ".key", "-out", ca + ".pem",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    for n, san in names.items():
        signer = "evil-ca" if n == "evil" else "ca"
        with open(os.path.join(d, n + ".ext"), "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth\nsubjectAltName=%s\n" % san)
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=" + {"wrongname": "wrong.example",
                                   "escname": "\x1b[31mevil\x1b]0;pwned\x07"}.get(n, "localhost"),
                "-keyout", n + ".key", "-out", n + ".csr", cwd=d)
        openssl("x509", "-req", "-in", n + ".csr", "-CA", signer + ".pem", "-CAkey", signer + ".key",
                "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", n + ".ext", "-out", n + ".pem",
                cwd=d)
    return files


# ---- one run ---------------------------------------------------------------------
def client_argv(kind, exe, case, port, pki, body_path):
    sec = case.get("sec", "plain")
    host = case.get("host", "localhost")
    timeout = str(case.get("timeout", 5000))
    ca = pki["evil-ca" if case.get("cafile") == "evil" else "ca"]
    user = case.get("user", "alice")
    cmds = list(case.get("cmds", []))
    if kind == "cli":
        argv = [exe, "-H", host, "-p", str(port), "--timeout", timeout]
        argv += {"plain": ["--plain"], "stls": ["--starttls"], "tls": ["--tls"]}[sec]
        if sec != "plain":
            argv += ["--cafile", ca]
        elif user:
            argv += ["--allow-plaintext-login"]
        if user:
            argv += ["-u", user]
        if case.get("apop"):
            argv += ["--apop"]
        if case.get("verbose"):
            argv += ["-v"]
        if case.get("depth") == 1:
            argv += ["--no-pipelining"]
        return argv + cmds
    argv = [exe, "-m", sec, "-H", host, "-p", str(port), "-t", timeout, "-o", body_path]
    if sec != "plain":
        argv += ["-c", ca]
    if user:
        argv += ["-u", user]
    if case.get("apop"):
        argv += ["-a"]
    if case.get("auth"):
        argv += ["-A", case["auth"], "-v"]
        if "token" in case:
            argv += ["-k"]
        if case.get("authzid"):
            argv += ["-z", case["authzid"]]
        if case.get("read_secret"):
            argv += ["-r"]
        if "cancel_ms" in case:
            argv += ["-X", str(case["cancel_ms"])]
    if "txlen" in case:
        argv += ["-T", str(case["txlen"])]
    if case.get("pipe"):
        argv += ["-P"]
    if "depth" in case:
        argv += ["-D", str(case["depth"])]
    return argv + cmds


def as_set(v):
    return set(v) if isinstance(v, (set, frozenset, list, tuple)) else {v}


def check_run(kind, case, rc, out, err, elapsed, body, srv):
    """Returns a list of failure strings."""
    f = []
    allb, plain, tls = srv.transcript()
    is_lwip = kind.startswith("lwip")
    exp_exit = as_set(case["exit"])
    if rc not in exp_exit:
        f.append("exit %s, expected %s" % (rc, "/".join(str(x) for x in sorted(exp_exit))))
    if SAN_RE.search(err) or SAN_RE.search(out):
        f.append("sanitizer report on stderr")
    if kind != "cli" and b"HANG" in out:
        f.append("session did not end (driver hard limit)")
    # Never credentials before TLS, unless the case is plaintext by choice.
    if case.get("sec", "plain") != "plain" and re.search(rb"(?im)^(USER|PASS|APOP|AUTH)\b", plain):
        f.append("credentials sent before TLS")
    for rx in case.get("sent_re", []):
        if not re.search(rx, allb):
            f.append("client bytes do not match %r" % rx)
    for rx in case.get("sent_not_re", []):
        if re.search(rx, allb):
            f.append("client bytes match %r (must not)" % rx)
    for cmd, n in case.get("sent_count", {}).items():
        got = len(re.findall(rb"(?im)^" + cmd + rb"\b", allb))
        if got != n:
            f.append("%s sent %d times, expected %d" % (cmd.decode(), got, n))
    if "batches" in case and srv.batches != case["batches"]:
        f.append("command lines per recv %s, expected %s" % (srv.batches, case["batches"]))
    if "max_batch" in case:
        lo, hi = case["max_batch"]
        got = max(srv.batches or [0])
        if not (lo <= got <= hi):
            f.append("max batch %d command lines in one recv, bound [%d, %d] (%s)" % (got, lo, hi, srv.batches))
    if "quit" in case:
        has_quit = re.search(rb"(?im)^QUIT\r\n", allb) is not None
        if has_quit != case["quit"]:
            f.append("QUIT %s" % ("not sent" if case["quit"] else "sent"))
    if "elapsed" in case:
        lo, hi = case["elapsed"]
        hi += LWIP_SLACK if is_lwip else SLACK[kind]
        if not (lo <= elapsed <= hi):
            f.append("elapsed %.2f s, bound [%.2f, %.2f]" % (elapsed, lo, hi))
    # What the client delivered.
    delivered = out if kind == "cli" else body
    if kind == "cli":
        if b"\x1b" in err:
            f.append("ESC byte on stderr")
        if b"\x1b" in out and not case.get("stdout_may_have_esc"):
            f.append("ESC byte on stdout")
        if "stdout" in case and out != case["stdout"]:
            f.append("stdout %s, expected %s" % (short(out), short(case["stdout"])))
        for rx in case.get("stderr_re", []):
            if not re.search(rx, err):
                f.append("stderr does not match %r" % rx)
    if "body" in case and (kind != "cli" or "stdout" not in case):
        if delivered != case["body"]:
            f.append("body %s, expected %s" % (short(delivered), short(case["body"])))
    if "body_prefix_of" in case:
        full = case["body_prefix_of"]
        if not full.startswith(delivered):
            f.append("delivered body is not a prefix of the message: %s" % short(delivered))
        elif delivered == full and rc == 0:
            f.append("whole message delivered and reported complete (expected an error)")
    if kind != "cli":
        for rx in case.get("out_re", []):
            if not re.search(rx, out):
                f.append("driver output does not match %r" % rx)
    if "sent_lines" in case:
        f += check_lines(plain + tls, case["sent_lines"], case.get("sent_lines_prefix", False))
    if case.get("auth") and kind != "cli":
        f += check_auth(case, out, plain + tls)
    if kind != "cli":
        dones = re.findall(rb"^DONE (\S+) (\S+)", out, re.M)
        for cmd, st in case.get("lib", {}).items():
            got = [s.decode() for c, s in dones if c.decode() == cmd]
            if st not in got:
                f.append("library: %s %s, expected %s" % (cmd, ",".join(got) or "never done", st))
        if "dones" in case:
            got = [(c + b" " + s).decode() for c, s in dones]
            if got != case["dones"]:
                f.append("on_done sequence %s, expected %s" % (got, case["dones"]))
        for c, s in dones:
            if c in (b"RETR", b"TOP") and s == b"OK" and "body_prefix_of" in case:
                f.append("RETR reported OK for a partial body")
    return f


def line_ok(want, got):
    """want: exact bytes, or an object with .match(bytes) (cases_sasl.B64, Re)."""
    return got == want if isinstance(want, bytes) else want.match(got)


def check_lines(sent, want, prefix_ok):
    """The client's lines, exactly (prefix_ok: the session may have been cut short,
    so a prefix of them; the last one may be incomplete)."""
    lines = sent.split(b"\r\n")
    tail = lines.pop()  # after the last CRLF: empty unless a line was cut
    if tail and not prefix_ok:
        return ["client sent an unterminated line %s" % short(tail)]
    if len(lines) > len(want) or (not prefix_ok and len(lines) != len(want)):
        return ["client sent %d lines, expected %s%d: %s" % (
            len(lines), "at most " if prefix_ok else "", len(want), short(sent, 400))]
    for i, (w, g) in enumerate(zip(want, lines)):
        if not line_ok(w, g):
            return ["client line %d is %s, expected %s" % (i + 1, short(g), w if not isinstance(w, bytes) else short(w))]
    if tail and (len(lines) >= len(want) or not (want[len(lines)].startswith(tail) if isinstance(
            want[len(lines)], bytes) else True)):
        return ["client's cut line %s is not a prefix of the next expected one" % short(tail)]
    return []


def check_auth(case, out, sent):
    """AUTH: reported exactly once; no secret in the trace (stdout) - neither the
    secret itself nor any response line the client sent after its AUTH command."""
    f = []
    dones = re.findall(rb"^DONE AUTH (\S+)", out, re.M)
    if len(dones) != 1 and not case.get("auth_not_queued"):
        f.append("AUTH reported %d times" % len(dones))
    secret = (case["token"] if "token" in case else case.get("password", PASSWORD)).encode()
    if secret in out:
        f.append("the secret appears in the client's output (trace)")
    lines = sent.split(b"\r\n")
    for i, l in enumerate(lines):
        if re.match(rb"(?i)AUTH ", l):
            words = l.split(b" ")
            if len(words) > 2 and len(words[2]) > 1 and words[2] in out:
                f.append("the AUTH line's initial response appears in the trace")
            for r in lines[i + 1:]:
                if r in (b"QUIT", b"STAT", b"NOOP", b"CAPA"):
                    break  # the exchange is over: commands follow
                if len(r) > 1 and r in out:
                    f.append("response line %s appears in the trace" % short(r, 60))
    if case.get("auth_trace", True) and not case.get("auth_not_queued") and \
            not re.search(rb"(?m)^TRACE > AUTH " + case["auth_wire"].encode() + rb"\b", out):
        if re.search(rb"(?m)^AUTH ", sent):
            f.append("no \"AUTH %s\" line in the trace" % case["auth_wire"])
    return f


def short(b, n=120):
    r = repr(bytes(b))
    return r if len(r) <= n else r[:n] + "...(%d octets)" % len(b)


def run_one(case, kind, exe, pki, work):
    srv = HostileServer(case, pki).start()
    tag = "%s%s.%s" % (case["name"], "@" + case["variant"] if "variant" in case else "", kind)
    body_path = os.path.join(work, tag + ".body")
    if os.path.exists(body_path):
        os.unlink(body_path)
    argv = client_argv("cli" if kind == "cli" else "drv", exe, case, srv.port, pki, body_path)
    env = dict(os.environ, POP3_PASSWORD=case.get("password", PASSWORD), POP3_TOKEN=case.get("token", ""),
               ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98")
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=case.get("hard_limit", 45))
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "hang", e.stdout or b"", (e.stderr or b"") + b"\n[killed: hard limit]"
    elapsed = time.monotonic() - t0
    time.sleep(0.05)  # let the server thread record the last bytes
    srv.stop()
    body = b""
    if os.path.exists(body_path):
        with open(body_path, "rb") as fh:
            body = fh.read()
    fails = check_run(kind, case, rc, out, err, elapsed, body, srv)
    if "selfcheck" in case:  # must be caught, with this text
        caught = any(case["selfcheck"] in x for x in fails)
        fails = [] if caught else ["harness self-check not caught (%r): %s" % (case["selfcheck"], fails)]
    detail = ""
    if fails:
        allb, _, _ = srv.transcript()
        detail = ("    argv: %s\n    exit %s, %.2f s\n    client sent: %s\n    stdout: %s\n    stderr: %s\n%s" % (
            " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(argv)), rc, elapsed,
            short(allb, 400), short(out, 600), short(err, 600),
            "".join("    %s\n" % n for n in srv.notes)))
    return tag, case["name"], kind, fails, elapsed, detail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--posix", required=True)
    ap.add_argument("--lwip", action="append", default=[], help="TAG=PATH")
    ap.add_argument("--work", required=True)
    ap.add_argument("--summary")
    ap.add_argument("-k", action="append", default=[], help="only cases whose name contains this")
    ap.add_argument("-j", type=int, default=4)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--no-selfcheck", action="store_true", help="skip the harness self-checks")
    ap.add_argument("--known-bugs", action="store_true",
                    help="also run the cases of known, unfixed core bugs (they fail)")
    a = ap.parse_args()

    cases = case_defs.CASES + ([] if a.no_selfcheck else case_defs.SELFCHECKS) + (
        case_defs.KNOWN_BUGS if a.known_bugs else [])
    names = [c["name"] for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit("duplicate case names: %s" % ", ".join(sorted(dup)))
    if a.k:
        cases = [c for c in cases if any(k in c["name"] for k in a.k)]
    if a.list:
        for c in cases:
            print("%-40s %s" % (c["name"], c.get("doc", "")))
        return 0
    os.makedirs(a.work, exist_ok=True)
    pki = make_pki(os.path.join(a.work, "pki"))
    lwips = [x.split("=", 1) for x in a.lwip]
    jobs = []
    # A case with "variants" runs once per variant (its dict overrides the
    # case's fields); it passes when every variant passed.
    cases = [dict(c, **v) for c in cases for v in c.get("variants", [{}])]
    for c in cases:
        clients = c.get("clients", ("cli", "posix"))
        for k in clients:
            jobs.append((c, k, a.cli if k == "cli" else a.posix))
        if c.get("lwip"):
            for tag, exe in lwips:
                jobs.append((c, tag, exe))
    # Longest first (timeouts, big bodies) so the pool drains evenly.
    jobs.sort(key=lambda j: -j[0].get("weight", 1))
    t0 = time.monotonic()
    results = []
    with cf.ThreadPoolExecutor(max_workers=a.j) as ex:
        futs = [ex.submit(run_one, c, k, exe, pki, a.work) for c, k, exe in jobs]
        for fu in cf.as_completed(futs):
            r = fu.result()
            results.append(r)
            tag, _, _, fails, el, detail = r
            if fails or a.v:
                print("%s %-48s %5.2f s%s" % ("FAIL" if fails else "ok  ", tag, el,
                                             "".join("\n    - " + x for x in fails)), flush=True)
                if detail:
                    print(detail, end="", flush=True)
    by_case = {}
    self_total = self_bad = 0
    for tag, name, kind, fails, el, _ in results:
        if name.startswith("selfcheck_"):
            self_total += 1
            self_bad += 1 if fails else 0
            continue
        by_case.setdefault(name, []).append((kind, fails))
    if self_total:
        print("hostile: %d harness self-checks, %d caught as failures, %d missed" % (
            self_total, self_total - self_bad, self_bad))
    failed_cases = sorted(n for n, rs in by_case.items() if any(f for _, f in rs))
    n_run = len(by_case)
    n_fail = len(failed_cases)
    runs = len(results) - self_total
    runs_failed = sum(1 for r in results if r[3] and not r[1].startswith("selfcheck_"))
    print("hostile: failed cases: %s" % (", ".join(
        "%s[%s]" % (n, ",".join(k for k, f in by_case[n] if f)) for n in failed_cases) or "none"))
    print("hostile: %d runs (%s), %d failed, %.1f s" % (
        runs, ", ".join(sorted({k for _, _, k, _, _, _ in results})), runs_failed, time.monotonic() - t0))
    print("hostile: %d cases run, %d passed, %d failed" % (n_run, n_run - n_fail, n_fail))
    if a.summary:
        os.makedirs(os.path.dirname(a.summary), exist_ok=True)
        with open(a.summary, "w") as fh:
            fh.write("cases_run=%d cases_passed=%d cases_failed=%d runs=%d runs_failed=%d\n" % (
                n_run, n_run - n_fail, n_fail, runs, runs_failed))
    return 1 if n_fail or self_bad else 0


if __name__ == "__main__":
    sys.exit(main())
