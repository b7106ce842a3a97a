#!/usr/bin/env python3
"""pop3-cli benchmark suite: measures pop3-cli, curl, a bare recv loop and
Python's poplib side by side against servers it starts on 127.0.0.1, prints
tables with ratios and the goals of issue 11 ("met"/"missed"). Started by
run.sh (which builds what it needs); see the README's "Benchmarks" section.

Timings are reported, never asserted. What is asserted: every client's output
is byte-identical to what the server holds (exit status 1 otherwise), since a
benchmark of wrong bytes measures nothing.
"""
import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import time

MiB = 1024 * 1024
# Replies of fastpop.c, to rebuild the bare loop's expected stream.
GREETING, USER_OK, PASS_OK, QUIT_OK = b"+OK fastpop ready\r\n", b"+OK\r\n", b"+OK logged in\r\n", b"+OK bye\r\n"
HERE = os.path.dirname(os.path.abspath(__file__))
FAILURES = []


class Bench:
    def __init__(self, a):
        self.a = a
        self.tools = a.tools
        self.work = a.work
        self.env = dict(os.environ, POP3_PASSWORD="bench")
        self.servers = []
        os.makedirs(self.work, exist_ok=True)

    # ---- processes -----------------------------------------------------
    def measure(self, cmd, out=os.devnull, env=None, timeout=900):
        """Runs cmd with stdout to out; wall, user+sys CPU and peak RSS from
        wait4() in the small measure helper (see measure.c for why)."""
        err = os.path.join(self.work, "last.err")
        r = subprocess.run([os.path.join(self.tools, "measure"), out, err, str(timeout)] + cmd,
                           stdout=subprocess.PIPE, env=env or self.env, check=True)
        wall, user, sys_, rss, rc = r.stdout.split()
        if int(rc) != 0:
            with open(err, "rb") as fe:
                msg = fe.read()[-600:].decode(errors="replace")
            fail("%s exited %s: %s" % (" ".join(cmd[:3]), rc, msg.strip()))
        return {"wall": float(wall), "cpu": float(user) + float(sys_), "rss": int(rss), "rc": int(rc)}

    def best(self, cmds, reps, out=os.devnull):
        """Runs each named command reps times, interleaved (so the machine's
        load falls on all of them alike); min wall, min CPU, max RSS."""
        res = {k: [] for k in cmds}
        for _ in range(reps):
            for k, c in cmds.items():
                res[k].append(self.measure(c, out))
        return {k: {"wall": min(r["wall"] for r in v), "cpu": min(r["cpu"] for r in v),
                    "rss": max(r["rss"] for r in v)} for k, v in res.items()}

    def rss_runs(self, cmd, reps):
        """Peak RSS (KiB) of reps runs of cmd, sorted."""
        return sorted(self.measure(cmd)["rss"] for _ in range(reps))

    def start(self, cmd):
        """Starts a server that prints its port first; returns the port."""
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.servers.append(p)
        line = p.stdout.readline()
        if not line.strip().isdigit():
            raise SystemExit("bench: %s did not start" % cmd[0])
        return int(line)

    def fastpop(self, spec):
        return self.start([os.path.join(self.tools, "fastpop"), spec])

    def stop_all(self):
        for p in self.servers:
            p.terminate()
        for p in self.servers:
            p.wait()
        self.servers = []

    def tool_hash(self, *args):
        """sha256, length and bytes of what 'fastpop ARGS...' writes."""
        out = subprocess.run([os.path.join(self.tools, "fastpop")] + list(args), check=True,
                             stdout=subprocess.PIPE).stdout
        return hashlib.sha256(out).hexdigest(), len(out), out

    # ---- clients -------------------------------------------------------
    def cli(self, port, *cmds, tls=False, host="127.0.0.1", user="bench", extra=(), binary=None):
        base = [binary or self.a.cli, "-H", host, "-p", str(port), "-u", user]
        base += ["--tls", "--cafile", tls] if tls else ["--plain", "--allow-plaintext-login"]
        return base + list(extra) + list(cmds)

    def curl(self, urls, user="bench:bench", extra=()):
        return ["curl", "-sS", "--max-time", "900", "-u", user] + list(extra) + list(urls)


def fail(msg):
    FAILURES.append(msg)
    print("  MISMATCH/ERROR: " + msg, flush=True)


def file_hash(path):
    h, n = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MiB)
            if not b:
                break
            h.update(b)
            n += len(b)
    return h.hexdigest(), n


def check(what, path, want_hash, want_len, transform=None):
    if transform is not None:
        with open(path, "rb") as f:
            data = transform(f.read())
        got, n = hashlib.sha256(data).hexdigest(), len(data)
    else:
        got, n = file_hash(path)
    if got != want_hash:
        fail("%s: output (%d octets) differs from the server's bytes (%d octets); see %s" % (what, n, want_len, path))
        return False
    return True


def ratio(a, b):
    return "%.2fx" % (a / b) if a is not None and b else "-"


def goal(ok):
    return "n/a" if ok is None else ("met" if ok else "missed")


def table(title, head, rows, note=None):
    print("\n" + title)
    w = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    line = lambda r: "  " + "  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r))
    print(line(head))
    print("  " + "  ".join("-" * x for x in w))
    for r in rows:
        print(line(r))
    if note:
        for n in note if isinstance(note, list) else [note]:
            print("  " + n)


def kib(rss):
    return "%d KiB" % rss


def callgrind_ir(b, cmd, tag):
    """Total instructions (Ir) of cmd under callgrind."""
    outf = os.path.join(b.work, "callgrind.%s.out" % tag)
    b.measure(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + outf] + cmd)
    with open(outf) as f:
        for line in f:
            m = re.match(r"(?:totals|summary):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    fail("no callgrind totals in " + outf)
    return None


# ---- sections -----------------------------------------------------------
def bulk(b, s):
    sizes = [s["bulk"], MiB, 64] + ([s["cg"]] if s["cg"] and s["cg"] != s["bulk"] else [])
    spec = ",".join("1x%d" % z for z in sizes)
    port = b.fastpop(spec)
    big, one, tiny, cg = 1, 2, 3, (4 if len(sizes) == 4 else 1)
    want = {n: b.tool_hash("--dump", spec, str(n))[:2] for n in (big, one, cg)}
    wire = b.tool_hash("--wire", spec, str(big))[2]
    bare_want = hashlib.sha256(GREETING + USER_OK + PASS_OK + wire + QUIT_OK).hexdigest()
    size = want[big][1]
    mk = {"bare": lambda m: [os.path.join(b.tools, "bareloop"), str(port), str(m)],
          "pop3-cli": lambda m: b.cli(port, "retr", str(m)),
          "curl": lambda m: b.curl(["pop3://127.0.0.1:%d/%d" % (port, m)])}
    cmds = {k: f(big) for k, f in mk.items()}
    # One run each into a file, checked, then the timed runs into /dev/null.
    for k, c in cmds.items():
        out = os.path.join(b.work, "bulk.%s.out" % k)
        b.measure(c, out)
        if k == "bare":
            check("bulk bare loop", out, bare_want, len(wire))
        else:
            check("bulk RETR %s" % k, out, *want[big])
        os.unlink(out)
    r = b.best(cmds, s["reps"])
    one_cmd = {"cli1": b.cli(port, "retr", str(one))}
    out = os.path.join(b.work, "bulk.1mib.out")
    b.measure(one_cmd["cli1"], out)
    check("RETR 1 MiB pop3-cli", out, *want[one])
    s["res"]["mem_retr"] = (b.rss_runs(one_cmd["cli1"], s["mem_reps"]), b.rss_runs(cmds["pop3-cli"], s["mem_reps"]))
    ir = {}
    if s["cg"]:
        for k, f in mk.items():
            ir[k] = (callgrind_ir(b, f(cg), k), callgrind_ir(b, f(tiny), k + "-tiny"))
    cg_size = want[cg][1]
    tiny_size = b.tool_hash("--dump", spec, str(tiny))[1]
    rows = []
    names = {"bare": "bare recv loop (16 KiB)", "pop3-cli": "pop3-cli", "curl": "curl"}
    for k in ("bare", "pop3-cli", "curl"):
        x = r[k]
        irb = irm = "-"
        if k in ir and ir[k][0] is not None and ir[k][1] is not None:
            irb = "%.2f" % (ir[k][0] / cg_size)
            irm = "%.2f" % ((ir[k][0] - ir[k][1]) / max(1, cg_size - tiny_size))
        rows.append([names[k], "%.3f" % x["wall"], ratio(x["wall"], r["bare"]["wall"]), ratio(x["wall"], r["curl"]["wall"]),
                     "%.4f" % x["cpu"], ratio(x["cpu"], r["curl"]["cpu"]), "%.0f" % (size / MiB / x["wall"]), kib(x["rss"]), irb, irm])
    table("Bulk: RETR of one %.1f MiB message from fastpop (plain POP3, 127.0.0.1; best of %d)" % (size / MiB, s["reps"]),
          ["client", "wall s", "x bare", "x curl", "CPU s", "CPU x curl", "MiB/s", "peak RSS", "Ir/B", "Ir/B marg."], rows,
          ["CPU = user+sys; peak RSS from wait4(). Ir/B: callgrind's total instructions / message octets, "
           "for a %.1f MiB message%s;" % (cg_size / MiB, " (smaller than the timed one: --quick)" if cg_size != size else ""),
           "Ir/B marg.: (Ir of that RETR - Ir of a %d-octet RETR) / the difference in octets (start-up excluded)." % tiny_size
           if s["cg"] else "Ir/B: callgrind skipped (--smoke)."])
    s["res"]["bulk"] = r
    s["res"]["ir"] = {k: (v[0] / cg_size if v[0] else None) for k, v in ir.items()}


def pop3s(b, s):
    if s["smoke"] or b.a.no_dovecot:
        print("\nPOP3S against Dovecot: skipped (%s)" % ("--smoke" if s["smoke"] else "--no-dovecot"))
        return
    if os.geteuid() != 0 or not shutil.which("dovecot", path=os.environ.get("PATH", "") + ":/usr/sbin"):
        print("\nPOP3S against Dovecot: skipped (needs root and dovecot-pop3d: test/install-deps.sh)")
        return
    d = os.path.join(b.work, "dovecot")
    fixture = os.path.join(HERE, "..", "integration", "dovecot.sh")
    t0 = time.monotonic()
    st = subprocess.run(["bash", fixture, "start", d], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if st.returncode != 0:
        fail("dovecot.sh start: " + st.stderr.decode(errors="replace")[-400:])
        return
    try:
        env = dict(l.split("=", 1) for l in open(os.path.join(d, "env")).read().splitlines() if "=" in l)
        n, port, ca = env["MSG_BIG"], env["POP3S_PORT"], env["POP3_CAFILE"]
        user, pw = env["POP3_TEST_USER"], env["POP3_TEST_PASSWORD"]
        exp = os.path.join(d, "expected", n + ".eml")
        want = file_hash(exp)
        saved = b.env
        b.env = dict(os.environ, POP3_PASSWORD=pw)
        cmds = {"pop3-cli": b.cli(port, "retr", n, tls=ca, user=user),
                "curl": b.curl(["pop3s://127.0.0.1:%s/%s" % (port, n)], user="%s:%s" % (user, pw), extra=["--cacert", ca])}
        if b.a.cli3:
            cmds["pop3-cli mbedTLS 3"] = b.cli(port, "retr", n, tls=ca, user=user, binary=b.a.cli3)
        for k, c in cmds.items():
            out = os.path.join(b.work, "pop3s.%s.out" % k)
            b.measure(c, out)
            check("POP3S RETR %s" % k, out, *want)
            os.unlink(out)
        r = b.best(cmds, s["reps"])
        ir = {k: callgrind_ir(b, c, "pop3s-" + k.replace(" ", "-")) for k, c in cmds.items()} if s["cg"] else {}
        b.env = saved
    finally:
        subprocess.run(["bash", fixture, "stop", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = [[k, "%.3f" % r[k]["wall"], ratio(r[k]["wall"], r["curl"]["wall"]), "%.4f" % r[k]["cpu"],
             ratio(r[k]["cpu"], r["curl"]["cpu"]), "%.2f" % (ir[k] / want[1]) if ir.get(k) else "-",
             ratio(ir.get(k), ir.get("curl")) if ir.get(k) else "-", kib(r[k]["rss"])] for k in cmds]
    table("POP3S: RETR of a %.1f MiB message from Dovecot (implicit TLS, 127.0.0.1; best of %d; fixture start %.0f s)"
          % (want[1] / MiB, s["reps"], time.monotonic() - t0),
          ["client", "wall s", "x curl", "CPU s", "CPU x curl", "Ir/B", "Ir x curl", "peak RSS"], rows,
          ["CPU and Ir (callgrind, whole session incl. handshake) are the client's only, not Dovecot's. Ir counts",
           "instructions, not cycles, and the two TLS libraries' ciphers differ in work per instruction: the goal uses CPU s.",
           "pop3-cli: %s%s, curl: OpenSSL (see above)."
           % (b.a.cli_build.split(", ")[-1], ", pop3-cli mbedTLS 3: " + b.a.cli3_build.split(", ")[-1] if b.a.cli3 else "")])
    s["res"]["pop3s"] = r


def listings(b, s):
    res, res_t, ir = {}, {}, {}
    for n in (s["list_n"], 10):
        spec = "%dx200" % n
        port = b.fastpop(spec)
        url = "pop3://127.0.0.1:%d/" % port
        if n != 10:
            # The fixed cost (start-up, connect, login, QUIT), to tell it from the listing's own.
            noop = {"pop3-cli": b.cli(port, "noop"), "curl": b.curl([url], extra=["-X", "NOOP", "-I"])}
            res_t["noop"] = b.best(noop, s["list_reps"])
            if s["cg"]:
                ir[("noop", n)] = {k: callgrind_ir(b, c, "noop-" + k) for k, c in noop.items()}
        for cmd in ("uidl", "list"):
            want = b.tool_hash("--" + cmd, spec)
            cmds = {"pop3-cli": b.cli(port, cmd), "curl": b.curl([url], extra=["-X", "UIDL"] if cmd == "uidl" else [])}
            if n == 10:
                del cmds["curl"]
            for k, c in cmds.items():
                out = os.path.join(b.work, "list.%s.out" % k)
                b.measure(c, out)
                # curl passes the server's lines through (CR LF); pop3-cli prints "N X\n".
                check("%s %d %s" % (cmd.upper(), n, k), out, want[0], want[1],
                      (lambda d: d.replace(b"\r\n", b"\n")) if k == "curl" else None)
            res[(cmd, n)] = b.rss_runs(cmds["pop3-cli"], s["mem_reps"])
            if n != 10:
                res_t[cmd] = b.best(cmds, s["list_reps"])
                if s["cg"]:
                    ir[(cmd, n)] = {k: callgrind_ir(b, c, cmd + "-" + k) for k, c in cmds.items()}
    rows = []
    for cmd in ("noop", "uidl", "list"):
        r, z = res_t[cmd], res_t["noop"]
        for k in ("pop3-cli", "curl"):
            own = r[k]["wall"] - z[k]["wall"]
            own_curl = r["curl"]["wall"] - z["curl"]["wall"]
            irs = ir.get((cmd, s["list_n"]))
            irn = ir.get(("noop", s["list_n"]))
            ir_own = "%.0f" % ((irs[k] - irn[k]) / s["list_n"]) if irs and irn and cmd != "noop" else "-"
            rows.append([cmd.upper(), k, "%.3f" % r[k]["wall"], ratio(r[k]["wall"], r["curl"]["wall"]),
                         "%.3f" % own if cmd != "noop" else "-",
                         ratio(own, own_curl) if cmd != "noop" and own > 0 and own_curl > 0 else "-",
                         "%.4f" % r[k]["cpu"], "%.1fM" % (irs[k] / 1e6) if irs else "-", ir_own, kib(r[k]["rss"])])
    table("Listings of %s messages from fastpop (plain POP3; best of %d)" % (format(s["list_n"], ","), s["list_reps"]),
          ["command", "client", "wall s", "x curl", "beyond NOOP s", "x curl", "CPU s", "Ir", "Ir/entry", "peak RSS"], rows,
          ["NOOP: one session with no listing (start-up, connect, login, QUIT); 'beyond NOOP' = wall - that.",
           "Ir: callgrind's instructions for the session; Ir/entry: (Ir - NOOP's Ir) / entries" +
           ("." if s["cg"] else " (callgrind skipped).")])
    s["res"]["list"] = res  # pop3-cli's peak RSS runs by (command, count)
    s["res"]["list_t"] = res_t  # timings of the large listing by command, and of NOOP


def python_poplib(port, n):
    code = ("import poplib,sys\n"
            "p=poplib.POP3('127.0.0.1',%d)\np.user('bench');p.pass_('bench')\n"
            "o=sys.stdout.buffer\n"
            "for i in range(1,%d):\n  r,lines,_=p.retr(i);o.write(b''.join(l+b'\\r\\n' for l in lines))\n"
            "p.quit()\n" % (port, n + 1))
    return [sys.executable, "-c", code]


def pipelining_flags(b):
    """(args for pipelined, args for unpipelined) from the CLI's --help, or
    (None, []) when the CLI has no pipelining switch yet."""
    h = subprocess.run([b.a.cli, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode(errors="replace")
    if "--no-pipelining" in h:
        return [], ["--no-pipelining"]
    if re.search(r"--pipelining\b", h):
        return ["--pipelining"], []
    return None, []


def latency(b, s):
    n = s["lat_n"]
    spec = "%dx10240" % n
    port = b.fastpop(spec)
    data = b"".join(b.tool_hash("--dump", spec, str(i))[2] for i in range(1, n + 1))
    want = (hashlib.sha256(data).hexdigest(), len(data))
    piped, unpiped = pipelining_flags(b)
    rows, res = [], {}
    for rtt in s["rtts"]:
        log = os.path.join(b.work, "proxy.%d.log" % rtt)
        open(log, "w").close()
        pport = b.start([sys.executable, os.path.join(HERE, "delayproxy.py"), str(port), "%g" % (rtt / 2.0), log])
        retrs = [a for i in range(1, n + 1) for a in ("retr", str(i))]
        cmds = {"cli": b.cli(pport, *retrs, extra=unpiped),
                "curl": b.curl(["pop3://127.0.0.1:%d/%d" % (pport, i) for i in range(1, n + 1)]),
                "poplib": python_poplib(pport, n)}
        if piped is not None:
            cmds["cli-pipe"] = b.cli(pport, *retrs, extra=piped)
        r, conns = {}, {}
        for k, c in cmds.items():
            out = os.path.join(b.work, "lat.%s.out" % k)
            before = len(open(log).readlines())
            reps = s["reps"] if rtt <= 10 else 1
            runs = [b.measure(c, out) for _ in range(reps)]
            conns[k] = (len(open(log).readlines()) - before) // reps
            check("latency RTT %d ms %s" % (rtt, k), out, *want)
            r[k] = {"wall": min(x["wall"] for x in runs), "cpu": min(x["cpu"] for x in runs)}
        res[rtt] = r
        p = r.get("cli-pipe")
        rows.append([str(rtt), "%.2f" % r["cli"]["wall"],
                     "%.2f" % p["wall"] if p else "n/a (not built)",
                     "%.2f" % r["curl"]["wall"], "%.2f" % r["poplib"]["wall"],
                     ratio(r["cli"]["wall"], r["curl"]["wall"]),
                     ratio(p["wall"], r["cli"]["wall"]) if p else "-", ratio(p["wall"], r["curl"]["wall"]) if p else "-",
                     "%.0f" % (r["cli"]["wall"] / (rtt / 1000.0)) if rtt else "-",
                     "/".join(str(conns[k]) for k in ("cli", "curl", "poplib", "cli-pipe") if k in conns)])
        b.servers[-1].terminate()
        b.servers[-1].wait()
        b.servers.pop()
    table("Latency: %d messages of 10 KiB through the delay proxy (plain POP3; wall s)" % n,
          ["RTT ms", "pop3-cli", "pop3-cli pipelined", "curl", "poplib", "cli x curl", "piped x unpiped",
           "piped x curl", "cli RTTs", "conns cli/curl/py" + ("/piped" if piped is not None else "")], rows,
          ["cli RTTs: pop3-cli's wall / RTT (about the round trips it waited for). conns: connections each "
           "client opened through the proxy.",
           "The proxy (Python asyncio) delays each direction by RTT/2; at RTT 0 it is pure forwarding."
           + ("" if 200 in s["rtts"] else " RTT 200 ms skipped (--quick)." if not s["smoke"] else "")])
    s["res"]["lat"] = res


def memory(b, s):
    r = s["res"]
    rows = []
    oks = []
    med = lambda v: v[len(v) // 2]

    def line(what, small, large):
        d = med(large) - med(small)
        oks.append(abs(d) <= 512)
        rows.append([what, kib(med(small)), kib(med(large)), "%+d KiB" % d,
                     "%d-%d" % (min(small + large), max(small + large)), goal(oks[-1])])

    line("RETR 1 MiB vs %.0f MiB" % (s["bulk"] / MiB), *r["mem_retr"])
    for cmd, what in (("uidl", "UIDs"), ("list", "LIST entries")):
        line("%s 10 vs %s %s" % (cmd.upper(), format(s["list_n"], ","), what),
             r["list"][(cmd, 10)], r["list"][(cmd, s["list_n"])])
    true = b.rss_runs(["true"], s["mem_reps"])
    table("Memory: pop3-cli peak RSS (median of %d runs each)" % s["mem_reps"],
          ["case", "small", "large", "difference", "all runs KiB", "constant?"], rows,
          ["constant: the medians differ by at most 512 KiB: pop3-cli's 256 KiB stdout buffer (static; a short",
           "listing touches only its first pages, a long one all of them) plus the run-to-run spread ('all runs'),",
           "which even true(1) shows here (%d-%d KiB). Memory that grew with the data would show as its size." % (true[0], true[-1])])
    r["mem_ok"] = all(oks)


def goals(s):
    r = s["res"]
    rows = []
    bk = r["bulk"]
    x = bk["pop3-cli"]["wall"] / bk["bare"]["wall"]
    rows.append(["RETR wall <= 1.2x bare loop", "%.3fx" % x, goal(x <= 1.2)])
    ir = r["ir"].get("pop3-cli")
    rows.append(["RETR <= 0.5 instructions/byte", "%.2f Ir/B" % ir if ir else "not measured", goal(ir <= 0.5 if ir else None)])
    if "pop3s" in r:
        x = r["pop3s"]["pop3-cli"]["cpu"] / r["pop3s"]["curl"]["cpu"]
        rows.append(["POP3S CPU <= 1.0x curl", "%.3fx" % x, goal(x <= 1.0)])
        if "pop3-cli mbedTLS 3" in r["pop3s"]:
            x = r["pop3s"]["pop3-cli mbedTLS 3"]["cpu"] / r["pop3s"]["curl"]["cpu"]
            rows.append(["POP3S CPU <= 1.0x curl (mbedTLS 3 build)", "%.3fx" % x, goal(x <= 1.0)])
    else:
        rows.append(["POP3S CPU <= 1.0x curl", "not measured", "n/a"])
    u = r["list_t"]["uidl"]
    x = u["pop3-cli"]["wall"] / u["curl"]["wall"]
    rows.append(["UIDL %s wall <= 0.5x curl" % format(s["list_n"], ","), "%.3fx" % x, goal(x <= 0.5)])
    lat = r["lat"].get(50)
    p = lat.get("cli-pipe") if lat else None
    for what, lim, base in (("unpipelined", 0.2, "cli"), ("curl", 0.15, "curl")):
        if p:
            x = p["wall"] / lat[base]["wall"]
            rows.append(["50 ms RTT: pipelined <= %gx %s" % (lim, what), "%.3fx" % x, goal(x <= lim)])
        else:
            rows.append(["50 ms RTT: pipelined <= %gx %s" % (lim, what),
                         "n/a (not built)" if lat else "not measured (no 50 ms run)", "n/a"])
    rows.append(["peak RSS constant (message, mailbox size)", "see Memory", goal(r["mem_ok"])])
    table("Goals (issue 11)", ["goal", "measured", "status"], rows)


def machine(b):
    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ver = lambda c: (subprocess.run(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode(errors="replace")
                     .splitlines() or ["?"])[0]
    print("Machine: %s, %s, %d CPUs online, load average %s" % (
        platform.platform(), cpu, os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3])))
    print("pop3-cli: %s (%s)" % (b.a.cli, b.a.cli_build))
    if b.a.cli3:
        print("pop3-cli mbedTLS 3: %s (%s)" % (b.a.cli3, b.a.cli3_build))
    print("curl: %s" % ver(["curl", "--version"]))
    print("valgrind: %s; python: %s" % (ver(["valgrind", "--version"]) if shutil.which("valgrind") else "absent",
                                        platform.python_version()))
    print("Timings on a shared machine are noisy; best-of-N is reported. Nothing here asserts a timing.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--cli-build", default="?")
    ap.add_argument("--cli3", help="a second pop3-cli (built against mbedTLS 3), measured in the POP3S table")
    ap.add_argument("--cli3-build", default="?")
    ap.add_argument("--tools", required=True, help="directory with fastpop and bareloop")
    ap.add_argument("--work", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--no-dovecot", action="store_true")
    a = ap.parse_args()
    if a.smoke:
        s = {"bulk": 2 * MiB, "cg": 0, "reps": 1, "list_n": 2000, "lat_n": 10, "rtts": [0, 10], "mem_reps": 3, "list_reps": 1}
    elif a.quick:
        s = {"bulk": 100 * MiB, "cg": 5 * MiB, "reps": 1, "list_n": 100000, "lat_n": 100, "rtts": [0, 10, 50], "mem_reps": 5, "list_reps": 3}
    else:
        s = {"bulk": 100 * MiB, "cg": 100 * MiB, "reps": 5, "list_n": 100000, "lat_n": 100, "rtts": [0, 10, 50, 200],
             "mem_reps": 7, "list_reps": 7}
    if s["cg"] and not shutil.which("valgrind"):
        print("valgrind not installed: instructions per byte not measured")
        s["cg"] = 0
    s["smoke"], s["res"] = a.smoke, {}
    b = Bench(a)
    t0 = time.monotonic()
    machine(b)
    try:
        bulk(b, s)
        b.stop_all()
        pop3s(b, s)
        listings(b, s)
        b.stop_all()
        latency(b, s)
        memory(b, s)
        goals(s)
    finally:
        b.stop_all()
    print("\nbench: %.0f s in all; load average now %s" % (time.monotonic() - t0, " ".join(open("/proc/loadavg").read().split()[:3])))
    if FAILURES:
        print("bench: %d check(s) FAILED (outputs not identical to the server's bytes or a client failed)" % len(FAILURES))
        return 1
    print("bench: every client's output matched the server's bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
