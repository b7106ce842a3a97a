"""Pipelining (RFC 2449) cases: the server advertises PIPELINING and the driver
(hostile_client -P) queues its whole command list at once after login, so the
core puts the batch on the wire in one send; the server answers it, replies
merged into one segment ("merge") and cut as the case says.

Extra keys (run_cases.py):
  pipelining   True: PIPELINING in the default CAPA; "plain": only before TLS
  merge        hold the replies to a batch and send them together
  split_at     cut the first merged output after that many octets (a pause between)
  pipe, depth  hostile_client -P / -D DEPTH (pop3-cli: depth 1 = --no-pipelining)
  dones        the drivers' exact on_done sequence, "CMD STATUS" each
  batches      exact command lines completed per server recv (CAPA, USER, PASS, ...)
  max_batch    (lo, hi) bound on the largest of those
"""

from hostile_server import DEFAULT_MESSAGES, stuff

M1 = DEFAULT_MESSAGES[1]
M2 = DEFAULT_MESSAGES[2]
TOTAL = len(M1) + len(M2)
T = 1500
T_S = T / 1000.0
LOGIN = ["CONNECT OK", "LOGIN OK"]


def retr_reply(body):
    return b"+OK %d octets\r\n" % len(body) + stuff(body)


# What the well-behaved server answers to the batch of the split cases.
BATCH = ["retr", "1", "retr", "2", "stat", "list", "1", "quit"]
BATCH_REPLIES = [retr_reply(M1), retr_reply(M2), b"+OK 2 %d\r\n" % TOTAL, b"+OK 1 %d\r\n" % len(M1),
                 b"+OK bye\r\n"]
BATCH_DONES = LOGIN + ["RETR OK", "RETR OK", "STAT OK", "LIST OK", "QUIT OK"]


def cut_points():
    """Around every reply boundary (inside the CR LF before it, at it, just
    after it, inside the status word) and inside the first body."""
    pts, off = set(), 0
    for r in BATCH_REPLIES[:-1]:
        off += len(r)
        pts.update((off - 1, off, off + 1, off + 3))
    pts.update((2, 20, len(BATCH_REPLIES[0]) - 3))
    return sorted(pts)


PIPE_CASES = []


def pcase(**kw):
    kw.setdefault("pipelining", True)
    kw.setdefault("pipe", True)
    kw.setdefault("merge", True)
    kw.setdefault("clients", ("posix",))
    PIPE_CASES.append(kw)


pcase(name="pipe_merged", doc="a batch of four in one send, all replies in one segment; QUIT "
      "alone after them",
      cmds=BATCH, body=M1 + M2, dones=BATCH_DONES, exit=0, quit=True,
      batches=[1, 1, 1, 4, 1], out_re=[rb"(?m)^BATCH pipelining=1 queued=5$", rb"(?m)^UNANSWERED 0$"])
pcase(name="pipe_every_octet", doc="the batch's replies one octet per segment",
      cmds=BATCH, chunk=1, chunk_delay=0.001, body=M1 + M2, dones=BATCH_DONES, exit=0,
      batches=[1, 1, 1, 4, 1], weight=3)
pcase(name="pipe_split", doc="the merged replies cut once, at and around every reply boundary",
      cmds=BATCH, body=M1 + M2, dones=BATCH_DONES, exit=0, batches=[1, 1, 1, 4, 1],
      variants=[{"split_at": k, "variant": "cut%d" % k} for k in cut_points()])
pcase(name="pipe_cli_merged", doc="pop3-cli pipelines its job list: merged replies, exact output",
      clients=("cli",), pipe=False, cmds=["retr", "1", "retr", "2", "stat"],
      stdout=M1 + M2 + b"2 %d\n" % TOTAL, exit=0, quit=True, max_batch=(3, 4))
pcase(name="pipe_cli_every_octet", doc="pop3-cli, the replies one octet per segment",
      clients=("cli",), pipe=False, cmds=["retr", "1", "retr", "2", "stat"], chunk=1, chunk_delay=0.001,
      stdout=M1 + M2 + b"2 %d\n" % TOTAL, exit=0, quit=True, max_batch=(3, 4), weight=2)

pcase(name="pipe_err_inside", doc="-ERR to the middle command of a batch: only that command fails",
      cmds=["retr", "1", "retr", "9", "retr", "2", "quit"], body=M1 + M2, exit=6,
      dones=LOGIN + ["RETR OK", "RETR ERR_SERVER", "RETR OK", "QUIT OK"], batches=[1, 1, 1, 3, 1])
pcase(name="pipe_err_inside_cli", doc="pop3-cli: -ERR inside a batch: the CLI stops at its first failure, as without pipelining",
      clients=("cli",), pipe=False, cmds=["retr", "1", "retr", "9", "retr", "2"],
      replies={"RETR#2": b"-ERR [SYS/PERM] no such message\r\n"}, exit=6, max_batch=(3, 4),
      stdout=M1, stderr_re=[rb"RETR 9 failed: server said: -ERR"])

# A close in the middle of a batch: the commands still on the wire are each
# reported once, with the cause; the cut body is never reported complete.
_CUT = retr_reply(M2)[:30]
pcase(name="pipe_close_mid_body", doc="FIN inside the second RETR's body: every outstanding command failed once",
      cmds=["retr", "1", "retr", "2", "stat", "quit"],
      replies={"RETR#2": [("send", _CUT), ("close",)]},
      body=M1 + _CUT[_CUT.index(b"\n") + 1:], exit=3, batches=[1, 1, 1, 3],
      dones=LOGIN + ["RETR OK", "RETR ERR_TRANSPORT", "STAT ERR_TRANSPORT", "QUIT ERR_TRANSPORT"],
      out_re=[rb"(?m)^UNANSWERED 2$"])
pcase(name="pipe_close_at_boundary", doc="FIN right after the first reply of the batch",
      cmds=["retr", "1", "retr", "2", "stat", "quit"], replies={"RETR#2": [("close",)]},
      body=M1, exit=3,
      dones=LOGIN + ["RETR OK", "RETR ERR_TRANSPORT", "STAT ERR_TRANSPORT", "QUIT ERR_TRANSPORT"],
      out_re=[rb"(?m)^UNANSWERED 2$"])
pcase(name="pipe_rst_mid_batch", doc="RST after the first reply of the batch",
      cmds=["retr", "1", "stat", "noop", "quit"], replies={"STAT": [("rst",)]},
      body=M1, exit=3,
      dones=LOGIN + ["RETR OK", "STAT ERR_TRANSPORT", "NOOP ERR_TRANSPORT", "QUIT ERR_TRANSPORT"],
      out_re=[rb"(?m)^UNANSWERED 2$"])

pcase(name="pipe_only_first", doc="a server that answers only the first command of the batch: "
      "timeout, the rest unanswered",
      cmds=["retr", "1", "retr", "2", "stat", "quit"], timeout=T, first_only=True,
      body=M1, exit=8, elapsed=(T_S - 0.1, T_S), weight=3,
      dones=LOGIN + ["RETR OK", "RETR ERR_TIMEOUT", "STAT ERR_TIMEOUT", "QUIT ERR_TIMEOUT"],
      out_re=[rb"(?m)^UNANSWERED 2$"])
pcase(name="pipe_only_first_cli", doc="pop3-cli: the timeout with several unanswered names --no-pipelining",
      clients=("cli",), pipe=False, cmds=["retr", "1", "retr", "2", "stat"], timeout=T,
      first_only=True, exit=8, elapsed=(T_S - 0.1, T_S), weight=3,
      stdout=M1, stderr_re=[rb"--no-pipelining"])
pcase(name="pipe_only_first_depth1", doc="the same server with pipelining off (-D 1 / --no-pipelining): "
      "one command at a time, so the session works",
      clients=("posix", "cli"), cmds=["retr", "1", "retr", "2", "stat"], depth=1, first_only=True,
      exit=0, body=M1 + M2, batches=[1] * 7, stdout=M1 + M2 + b"2 %d\n" % TOTAL)

pcase(name="pipe_reply_too_many", doc="one reply more than the batch had commands (same segment): "
      "protocol violation, the last reply not a success, no QUIT",
      cmds=["retr", "1", "stat", "noop"], replies={"NOOP": b"+OK\r\n+OK one too many\r\n"},
      body=M1, exit=7, quit=False, dones=LOGIN + ["RETR OK", "STAT OK", "NOOP ERR_PROTOCOL"])
pcase(name="pipe_reply_too_many_after_err", doc="a reply too many behind a -ERR at the batch's end",
      cmds=["stat", "dele", "9"], replies={"DELE": b"-ERR no such message\r\n+OK deleted\r\n"},
      exit=6, quit=False, dones=LOGIN + ["STAT OK", "DELE ERR_SERVER"],
      out_re=[rb"(?m)^SESSION ERR_PROTOCOL$"])
pcase(name="pipe_dele_held", doc="DELE 1 behind RETR 1 waits for its reply; the rest goes with it",
      cmds=["retr", "1", "dele", "1", "retr", "2", "quit"], body=M1 + M2, exit=0,
      batches=[1, 1, 1, 1, 2, 1], dones=LOGIN + ["RETR OK", "DELE OK", "RETR OK", "QUIT OK"])
pcase(name="pipe_depth_2", doc="-D 2: at most two on the wire",
      cmds=["stat", "noop", "rset", "noop", "quit"], depth=2, exit=0, max_batch=(2, 2),
      dones=LOGIN + ["STAT OK", "NOOP OK", "RSET OK", "NOOP OK", "QUIT OK"])
pcase(name="pipe_not_advertised", doc="no PIPELINING in CAPA: one command at a time",
      pipelining=False, cmds=["stat", "noop", "quit"], exit=0, batches=[1, 1, 1, 1, 1, 1],
      out_re=[rb"(?m)^BATCH pipelining=0 queued=3$"])
pcase(name="pipe_stls_plain_only", doc="PIPELINING only in the CAPA before STLS: never pipelined after TLS",
      sec="stls", pipelining="plain", cmds=["retr", "1", "retr", "2", "stat", "quit"],
      body=M1 + M2, exit=0, max_batch=(1, 1), out_re=[rb"(?m)^BATCH pipelining=0 queued=4$"])
pcase(name="pipe_stls_plain_only_cli", doc="pop3-cli: PIPELINING only before STLS",
      clients=("cli",), pipe=False, sec="stls", pipelining="plain",
      cmds=["retr", "1", "retr", "2", "stat"], stdout=M1 + M2 + b"2 %d\n" % TOTAL, exit=0, max_batch=(1, 1))
pcase(name="pipe_stls_both", doc="PIPELINING before and after STLS: pipelined inside TLS",
      sec="stls", cmds=["retr", "1", "retr", "2", "stat", "quit"], body=M1 + M2, exit=0,
      max_batch=(3, 3), out_re=[rb"(?m)^BATCH pipelining=1 queued=4$"])

# Replies to commands not yet sent when they arrived: the core sends nothing
# while it takes an input, so the bytes behind a reply are judged against the
# commands on the wire when they arrived (these found that bug).
PIPE_KNOWN_BUGS = []  # none open: run_cases.py --known-bugs runs this list


pcase(name="pipe_inject_unsent", doc="depth 2: replies to the two commands on the wire plus one for a "
      "command not yet sent, in one segment: refused, the unsent command's answer never accepted",
      cmds=["stat", "noop", "dele", "1", "uidl", "1"], depth=2,
      replies={"NOOP": b"+OK\r\n+OK deleted\r\n"}, exit=7, max_batch=(2, 2),
      dones=LOGIN + ["STAT OK", "NOOP ERR_PROTOCOL", "DELE ERR_PROTOCOL", "UIDL ERR_PROTOCOL"],
      quit=False, sent_not_re=[rb"(?m)^DELE"])

pcase(
    name="pipe_inject_dele_held", doc="RETR 1, RETR 2 on the wire, DELE 1 held: their replies plus a "
    "'+OK' for DELE 1 (not yet sent) in one segment; the DELE must not be confirmed by it",
    cmds=["retr", "1", "retr", "2", "dele", "1"], replies={"RETR#2": retr_reply(M2) + b"+OK deleted\r\n"},
    body=M1 + M2, exit=7, quit=False, batches=[1, 1, 1, 2], sent_not_re=[rb"(?m)^DELE"],
    dones=LOGIN + ["RETR OK", "RETR ERR_PROTOCOL", "DELE ERR_PROTOCOL"])

# Each must be caught as a failure by the checks above.
PIPE_SELFCHECKS = [
    dict(name="selfcheck_pipe_batches", pipe=True, merge=True, clients=("posix",),
         cmds=["stat", "noop", "quit"], exit=0, batches=[1, 1, 1, 3], selfcheck="command lines per recv"),
    dict(name="selfcheck_pipe_max_batch", pipe=True, pipelining=True, merge=True, clients=("posix",),
         depth=1, cmds=["stat", "noop", "quit"], exit=0, max_batch=(3, 3), selfcheck="max batch"),
    dict(name="selfcheck_pipe_dones", pipe=True, pipelining=True, merge=True, clients=("posix",),
         cmds=["retr", "1", "retr", "9", "quit"], exit=6,
         dones=LOGIN + ["RETR OK", "RETR OK", "QUIT OK"], selfcheck="on_done sequence"),
]
