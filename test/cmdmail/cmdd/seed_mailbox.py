#!/usr/bin/env python3
"""Seeds a Dovecot Maildir with command mail for the pop3-cmdd test (cmdd_dovecot.sh).

    seed_mailbox.py CMDMAIL_SIGN KEY DEVICE MAILDIR SCENARIO FIRST

Every signed message is made by cmdmail-sign itself: its main() is called with the
options an operator would type (loaded once, so 200 messages cost one Python start).
Files go to MAILDIR/new named FIRST, FIRST+1, ... (Dovecot numbers new files by the
timestamp prefix, so the mailbox keeps this order). Prints the commands the daemon
must run, in order, one per line: "SEQ INDEX DEVICE CMD"; and on stderr one line per
message: "N KIND SEQ".

Scenarios: main200 (every refusal kind, a 10 MB message, 200 messages), new (one
valid, one replay), kill (a block whose first command is slow, then one more),
term (a block whose first command is slow), crash (60 valid), bigkill (40 MB, then one valid), small (5 valid, 5 unsigned).
"""
import importlib.machinery
import importlib.util
import os
import sys
import tempfile

SIGN, KEY, DEVICE, MAILDIR, SCENARIO, FIRST = sys.argv[1:7]
FIRST = int(FIRST)

_loader = importlib.machinery.SourceFileLoader("cmdmail_sign", SIGN)
_spec = importlib.util.spec_from_loader("cmdmail_sign", _loader)
tool = importlib.util.module_from_spec(_spec)
_loader.exec_module(tool)

expected = []  # (seq, index, cmd) the daemon must run
plan = []      # (kind, message bytes, seq)


def sign(seq, cmds, device=DEVICE, extra=()):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        out = f.name
    argv = ["--key", KEY, "--device", device, "--seq", str(seq), "--to", "dev@localhost", "-o", out]
    for c in cmds:
        argv += ["--cmd", c]
    rc = tool.main(argv + list(extra))
    assert rc == 0, "cmdmail-sign refused %r" % (argv,)
    with open(out, "rb") as f:
        data = f.read()
    os.unlink(out)
    return data


def valid(seq, cmds, extra=()):
    plan.append(("valid", sign(seq, cmds, extra=extra), seq))
    expected.extend((seq, i, c) for i, c in enumerate(cmds))


def refused(kind, data, seq=0):
    plan.append((kind, data, seq))


def unsigned(n):
    body = "From: news@localhost\r\nTo: dev@localhost\r\nSubject: newsletter %d\r\n\r\n" \
           "Nothing to run here: no block.\r\nCmd: reboot\r\n" % n
    refused("unsigned", body.encode())


def tampered(seq, cmd, edited):
    data = sign(seq, [cmd])
    assert data.count(("Cmd: " + cmd).encode()) == 1
    refused("tampered", data.replace(("Cmd: " + cmd).encode(), ("Cmd: " + edited).encode()), seq)


def big(seq, mib=10):
    """A valid block in a message over the 1 MiB limit: refused while it streams past."""
    line = "x" * 76 + "\n"
    refused("oversized", sign(seq, ["format disk"], extra=["--footer", line * (mib * 1024 * 1024 // 77)]), seq)


def scenario_main200():
    valid(1, ["relay 1 on", "report"])
    unsigned(2)
    valid(2, ["fail 3"])                      # the handler exits 3: logged, not retried
    tampered(3, "relay 3 on", "relay 3 off")  # a command edited after signing
    refused("wrong_device", sign(4, ["reboot"], device="other-device"), 4)
    valid(5, ["set level 5"])
    refused("replayed", sign(5, ["set level 99"]), 5)        # the same Seq again
    refused("out_of_order", sign(4, ["reboot now"]), 4)      # lower than 5: refused
    refused("expired", sign(6, ["alarm"], extra=["--date", "1000000000", "--expires", "+60"]), 6)
    valid(7, ["say a=b c", "report"], extra=["--encoding", "quoted-printable",
                                               "--footer", "-- \nList footer added in transit =20 x"])
    valid(8, ["report"], extra=["--multipart", "--encoding", "base64"])
    valid(9, ["relay 1 off"], extra=["--quote", "--lf"])
    big(5000)
    seq = 10
    n = len(plan)
    while n < 200:
        n += 1
        if n % 2 == 0:
            valid(seq, ["tick %d" % seq])
            seq += 1
        else:
            unsigned(n)


def scenario_new():
    refused("replayed", sign(50, ["tick 50 again"]), 50)
    valid(104, ["new one"])


def scenario_kill():
    valid(105, ["slow", "after slow"])
    valid(106, ["after kill"])


def scenario_term():
    valid(107, ["slow", "after slow"])


def scenario_bigkill():
    big(1, 40)  # large enough to be still streaming when the test kills the daemon, however fast it is
    valid(2, ["after big"])


def scenario_crash():
    for i in range(1, 61):
        valid(i, ["crash %d" % i])


def scenario_small():
    for i in range(1, 6):
        valid(i, ["small %d" % i])
        unsigned(i)


{"main200": scenario_main200, "new": scenario_new, "kill": scenario_kill,
 "term": scenario_term, "crash": scenario_crash, "bigkill": scenario_bigkill, "small": scenario_small}[SCENARIO]()

os.makedirs(os.path.join(MAILDIR, "new"), exist_ok=True)
for i, (kind, data, seq) in enumerate(plan):
    n = FIRST + i
    tmp = os.path.join(MAILDIR, "tmp", "seed")
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(MAILDIR, "new", "%d.M%dP1.cmdd" % (1800000000 + n, n)))
    print("%d %s %d" % (n, kind, seq), file=sys.stderr)
for seq, i, c in expected:
    print("%d %d %s %s" % (seq, i, DEVICE, c))
