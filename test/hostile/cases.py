"""Hostile POP3 server cases, as data.

Each case is a dict:
  name, doc
  server side (see hostile_server.py): greeting, replies {KEY: script},
      server_tls ("implicit"), handshake ("silence"), cert (good | wrongname |
      dnsonly | evil), stls_offer, messages, chunk / chunk_delay (split every
      send into chunk-octet segments with a pause between them)
  client side: sec (plain | stls | tls), host, cmds (pop3-cli command words),
      user (None: no login), apop, timeout (ms, all three timeouts), cafile
      ("evil": trust the unrelated CA), verbose
  expectations (checked for every client the case runs on):
      exit          exit status (pop3-cli; the C drivers map the first failure
                    the same way) - an int, or a set only where two statuses are
                    equally right (said in the doc)
      stdout        exact pop3-cli stdout
      body          exact body octets delivered by on_body (drivers; the CLI's
                    stdout too when no "stdout" is given)
      body_prefix_of  delivered body must be a prefix of this, and a failure
      lib           {CMD: STATUS} on_done statuses the drivers must report
      sent_re / sent_not_re   regexes on everything the client sent
                    (plaintext, then "\\n<<TLS>>\\n", then TLS plaintext)
      sent_count    {b"CMD": n}
      quit          True: QUIT must be sent; False: must not
      elapsed       (min, max) seconds; max gets a fixed slack added
      stderr_re     regexes on pop3-cli stderr
  always checked: no sanitizer report; no ESC byte on pop3-cli stdout/stderr;
      with sec != plain no USER/PASS/APOP in plaintext.
  clients: default ("cli", "posix"); lwip: True adds the lwIP drivers.
  SASL AUTH cases and their extra keys: cases_sasl.py.
"""

from cases_pipe import PIPE_CASES, PIPE_KNOWN_BUGS, PIPE_SELFCHECKS
from cases_sasl import SASL_CASES, SASL_SELFCHECKS
from hostile_server import DEFAULT_MESSAGES, stuff

M1 = DEFAULT_MESSAGES[1]
M2 = DEFAULT_MESSAGES[2]
TOTAL = len(M1) + len(M2)
STAT_OUT = b"2 %d\n" % TOTAL
T = 1500                      # ms: timeout for the "stops answering" cases
T_S = T / 1000.0
TIMEOUT_ELAPSED = (T_S - 0.1, T_S)   # runner adds slack to the upper bound

NO_CREDS = [rb"(?im)^(USER|PASS|APOP)\b"]


def ok(text=b""):
    return b"+OK" + (b" " + text if text else b"") + b"\r\n"


def retr(wire):
    """RETR reply: status line + already-stuffed wire bytes (end marker included by caller)."""
    return b"+OK message follows\r\n" + wire


CASES = []


def case(**kw):
    kw.setdefault("cmds", ["stat"])
    CASES.append(kw)


# =========================================================================
# Sanity: the well-behaved server works on every transport.
# =========================================================================
case(name="baseline_plain", doc="well-behaved server, plaintext; every command",
     cmds=["stat", "list", "uidl", "retr", "1", "top", "2", "0"],
     stdout=STAT_OUT + b"1 %d\n2 %d\n" % (len(M1), len(M2)) + b"1 uid-1\n2 uid-2\n" + M1 +
     M2.partition(b"\r\n\r\n")[0] + b"\r\n\r\n",
     exit=0, quit=True, lwip=True)
case(name="baseline_stls", doc="well-behaved server, STLS", sec="stls", cmds=["retr", "1"],
     body=M1, exit=0, quit=True, sent_count={b"STLS": 1, b"CAPA": 2}, lwip=True)
case(name="baseline_tls", doc="well-behaved server, implicit TLS", sec="tls", server_tls="implicit",
     cmds=["retr", "1"], body=M1, exit=0, quit=True, lwip=True)

# =========================================================================
# STARTTLS
# =========================================================================
case(name="stls_inject_same_segment",
     doc="bytes after +OK to STLS in the same segment: protocol violation, nothing else sent",
     sec="stls",
     replies={"STLS": [("send", b"+OK Begin TLS\r\n+OK injected\r\n"), ("starttls",)]},
     exit=7, quit=False, sent_not_re=[rb"<<TLS>>"], lwip=True)
case(name="stls_inject_same_segment_capa",
     doc="a whole fake CAPA after +OK to STLS in the same segment",
     sec="stls",
     replies={"STLS": [("send", b"+OK Begin TLS\r\n+OK\r\nUSER\r\n.\r\n"), ("starttls",)]},
     exit=7, quit=False, sent_not_re=[rb"<<TLS>>"])
case(name="stls_inject_later_segment",
     doc="bytes after +OK to STLS in a later segment, before the server's handshake: "
         "the session fails (TLS failure 4, or protocol violation 7: both refuse the bytes)",
     sec="stls",
     replies={"STLS": [("send", b"+OK Begin TLS\r\n"), ("sleep", 0.3),
                       ("send", b"+OK injected\r\n"), ("starttls",)]},
     exit={4, 7}, quit=False, sent_not_re=[rb"<<TLS>>"], lwip=True)
case(name="stls_missing_from_capa", doc="CAPA without STLS: policy refusal, no STLS, no credentials",
     sec="stls", stls_offer=False, exit=9, sent_not_re=[rb"(?m)^STLS"],
     stderr_re=[rb"STLS"])
case(name="stls_capa_err", doc="CAPA -ERR while STLS is required: no downgrade",
     sec="stls", replies={"CAPA": b"-ERR no capabilities\r\n"}, exit=9,
     sent_not_re=[rb"(?m)^STLS"])
case(name="stls_err", doc="STLS -ERR", sec="stls",
     replies={"STLS": b"-ERR [SYS/TEMP] TLS not available\r\n"}, exit=9, sent_not_re=[rb"<<TLS>>"])
case(name="stls_err_pipelined_ok", doc="-ERR to STLS followed by pipelined +OK lines: still refused",
     sec="stls",
     replies={"STLS": [("send", b"-ERR no TLS\r\n+OK Begin TLS\r\n+OK\r\n"), ("starttls",)]},
     exit=9, sent_not_re=[rb"<<TLS>>"])
case(name="stls_ok_silence", doc="+OK to STLS, then silence: TLS timeout within the bound",
     sec="stls", timeout=T, replies={"STLS": [("send", b"+OK\r\n"), ("silence",)]},
     exit=8, elapsed=TIMEOUT_ELAPSED, weight=3, lwip=True)
case(name="stls_ok_garbage", doc="+OK to STLS, then plaintext garbage instead of a handshake "
     "(TLS failure 4 or protocol violation 7)",
     sec="stls", timeout=T,
     replies={"STLS": [("send", b"+OK\r\n"), ("sleep", 0.2),
                       ("send", b"garbage that is not TLS\r\n" * 20), ("silence",)]},
     exit={4, 7}, sent_not_re=[rb"<<TLS>>"], elapsed=(0, 1.0), lwip=True)
case(name="stls_caps_change_after_tls",
     doc="capabilities differ after TLS: pop3-cli capa shows the post-TLS list; STLS not repeated",
     sec="stls", cmds=["capa"],
     replies={"CAPA@plain": ok() + b"STLS\r\nUSER\r\nX-PLAIN-ONLY\r\n.\r\n",
              "CAPA@tls": ok() + b"USER\r\nSTLS\r\nX-AFTER-TLS\r\n.\r\n"},
     stdout=b"USER\nSTLS\nX-AFTER-TLS\n", exit=0, sent_count={b"STLS": 1})
case(name="stls_capa_err_after_tls", doc="CAPA -ERR after TLS: session still works (TLS is up)",
     sec="stls", replies={"CAPA@tls": b"-ERR\r\n"}, stdout=STAT_OUT, exit=0,
     sent_count={b"STLS": 1})
case(name="stls_wrong_name", doc="certificate for another name", sec="stls", cert="wrongname",
     exit=4, sent_not_re=NO_CREDS)
case(name="tls_wrong_name", doc="certificate for another name (implicit TLS)", sec="tls",
     server_tls="implicit", cert="wrongname", exit=4, sent_not_re=NO_CREDS, lwip=True)
case(name="stls_untrusted_ca", doc="server certificate from an untrusted CA", sec="stls", cert="evil",
     exit=4, sent_not_re=NO_CREDS, lwip=True)
case(name="tls_untrusted_ca", doc="untrusted CA (implicit TLS)", sec="tls", server_tls="implicit",
     cert="evil", exit=4, sent_not_re=NO_CREDS)
case(name="tls_by_ip", doc="connect by IP address; certificate has IP:127.0.0.1", sec="tls",
     server_tls="implicit", host="127.0.0.1", stdout=STAT_OUT, exit=0, lwip=True)
case(name="stls_by_ip", doc="STLS by IP address; certificate has IP:127.0.0.1", sec="stls",
     host="127.0.0.1", stdout=STAT_OUT, exit=0)
case(name="tls_by_ip_no_ip_san", doc="connect by IP; certificate names only DNS:localhost: refused",
     sec="tls", server_tls="implicit", host="127.0.0.1", cert="dnsonly", exit=4,
     sent_not_re=NO_CREDS, lwip=True)
case(name="stls_by_ip_no_ip_san", doc="STLS by IP; certificate names only DNS:localhost: refused",
     sec="stls", host="127.0.0.1", cert="dnsonly", exit=4, sent_not_re=NO_CREDS)

# =========================================================================
# Parsing
# =========================================================================
DOT_WIRE = (b"..\r\n...\r\n..x\r\n.y\r\n. z\r\n.\rq\r\nnormal\r\n\r\n.\r\r\n..\r\n.\r\n")
DOT_BODY = b".\r\n..\r\n.x\r\ny\r\n z\r\n\rq\r\nnormal\r\n\r\n\r\r\n.\r\n"
case(name="dot_stuffing", doc="dot-stuffing variants (incl. '.y' and '.\\rq' unstuffed by the dot rule)",
     cmds=["retr", "1"], replies={"RETR": retr(DOT_WIRE)}, body=DOT_BODY, exit=0, quit=True)
case(name="dot_stuffing_bytewise", doc="dot-stuffing variants, one byte per segment",
     cmds=["retr", "1"], replies={"RETR": [("send", retr(DOT_WIRE), {"chunk": 1, "delay": 0.002})]},
     body=DOT_BODY, exit=0, lwip=True)
case(name="end_marker_split", doc="end marker split CR | LF . | CR LF across segments",
     cmds=["retr", "1"],
     replies={"RETR": [("send", b"+OK\r\nline\r"), ("sleep", 0.05), ("send", b"\n."), ("sleep", 0.05),
                       ("send", b"\r"), ("sleep", 0.05), ("send", b"\n")]},
     body=b"line\r\n", exit=0, lwip=True)
case(name="all_bytewise", doc="every reply of a whole session delivered one byte at a time",
     chunk=1, chunk_delay=0.001, cmds=["stat", "list", "uidl", "retr", "1"],
     stdout=STAT_OUT + b"1 %d\n2 %d\n" % (len(M1), len(M2)) + b"1 uid-1\n2 uid-2\n" + M1,
     body=M1, exit=0, weight=3, lwip=True)
case(name="all_bytewise_stls", doc="STLS session, every reply (and TLS record) one byte at a time",
     sec="stls", chunk=1, chunk_delay=0.001, cmds=["retr", "1"], body=M1, exit=0, weight=3)
case(name="empty_multiline", doc="empty LIST, UIDL, CAPA, RETR, TOP replies",
     cmds=["list", "uidl", "capa", "retr", "1", "top", "1", "0"],
     replies={"LIST": b"+OK\r\n.\r\n", "UIDL": b"+OK\r\n.\r\n", "CAPA#2": b"+OK\r\n.\r\n",
              "RETR": b"+OK\r\n.\r\n", "TOP": b"+OK\r\n.\r\n"},
     stdout=b"", body=b"", exit=0, quit=True, lib={"RETR": "OK", "TOP": "OK"})
case(name="stat_count_over_2_32", doc="STAT count 2^32: protocol violation (no wrap)",
     replies={"STAT": b"+OK 4294967296 10\r\n"}, exit=7, stdout=b"")
case(name="stat_octets_over_2_32", doc="STAT octets above 2^32 are 64-bit",
     replies={"STAT": b"+OK 3 4294967301\r\n"}, stdout=b"3 4294967301\n", exit=0)
case(name="stat_octets_over_2_64", doc="STAT octets 2^64: protocol violation",
     replies={"STAT": b"+OK 3 18446744073709551616\r\n"}, exit=7, stdout=b"")
case(name="list_msg_over_2_32", doc="LIST entry number 2^32: protocol violation", cmds=["list"],
     replies={"LIST": b"+OK\r\n1 10\r\n4294967297 10\r\n.\r\n"}, exit=7, stdout=b"1 10\n")
case(name="list_size_over_2_32", doc="LIST n with a size above 2^32", cmds=["list", "1"],
     replies={"LIST": b"+OK 1 99999999999\r\n"}, stdout=b"1 99999999999\n", exit=0)
case(name="plus_alone", doc="'+' alone as a status line", replies={"STAT": b"+\r\n"}, exit=7)
case(name="plus_alone_greeting", doc="'+' alone as the greeting", greeting=b"+\r\n", exit=7,
     sent_not_re=NO_CREDS)
case(name="lowercase_ok", doc="lower-case +ok", replies={"STAT": b"+ok 2 10\r\n"}, exit=7)
case(name="lowercase_err", doc="lower-case -err to PASS", replies={"PASS": b"-err nope\r\n"}, exit=7)
case(name="lowercase_greeting", doc="lower-case +ok greeting", greeting=b"+ok hello\r\n", exit=7,
     sent_not_re=NO_CREDS)
case(name="okay_not_ok", doc="'+OKAY' is not '+OK'", replies={"STAT": b"+OKAY 2 10\r\n"}, exit=7)
case(name="nul_in_status", doc="NUL inside a status line", replies={"STAT": b"+OK 2 10\x00junk\r\n"},
     exit=7)
case(name="nul_in_greeting", doc="NUL inside the greeting", greeting=b"+OK hel\x00lo\r\n", exit=7)
case(name="nul_in_capa", doc="NUL inside a CAPA line", sec="stls",
     replies={"CAPA@plain": b"+OK\r\nSTLS\r\nX\x00Y\r\n.\r\n"}, exit=7, sent_not_re=[rb"<<TLS>>"])
case(name="nul_in_body", doc="NUL inside a body is message data", cmds=["retr", "1"],
     replies={"RETR": retr(b"a\x00b\r\n\x00\r\n.\r\n")}, body=b"a\x00b\r\n\x00\r\n", exit=0)
case(name="status_600", doc="600-octet status line (over RFC's 512, within the 1024 line buffer)",
     replies={"STAT": b"+OK 2 10 " + b"x" * 589 + b"\r\n"}, stdout=b"2 10\n", exit=0)
case(name="status_100k", doc="100,000-octet status line: protocol violation, no overflow, no hang",
     replies={"STAT": b"+OK 2 10 " + b"x" * 100000 + b"\r\n"}, exit=7, stdout=b"",
     elapsed=(0, 2.0), lwip=True)
case(name="greeting_100k", doc="100,000-octet greeting", greeting=b"+OK " + b"g" * 100000 + b"\r\n",
     exit=7, elapsed=(0, 2.0), sent_not_re=NO_CREDS)
case(name="list_line_100k", doc="100,000-octet LIST entry", cmds=["list"],
     replies={"LIST": b"+OK\r\n1 " + b"9" * 100000 + b"\r\n.\r\n"}, exit=7, stdout=b"")
case(name="capa_line_100k", doc="100,000-octet CAPA line during set-up", sec="stls",
     replies={"CAPA@plain": b"+OK\r\nSTLS\r\nX-" + b"c" * 100000 + b"\r\n.\r\n"}, exit=7,
     sent_not_re=[rb"<<TLS>>"])
BIG = b"A" * (10 * 1024 * 1024)
case(name="body_10mb_no_newline", doc="10 MB body without a line break", cmds=["retr", "1"],
     replies={"RETR": retr(BIG + b"\r\n.\r\n")}, body=BIG + b"\r\n", exit=0, weight=5, lwip=True,
     hard_limit=120)
case(name="bare_lf_replies", doc="status, CAPA and LIST lines ending in bare LF are accepted",
     greeting=b"+OK hi\n", cmds=["stat", "list", "capa"],
     replies={"CAPA": b"+OK\nUSER\nTOP\n.\n", "STAT": b"+OK 2 10\n", "LIST": b"+OK\n1 4\n2 6\n.\n",
              "USER": b"+OK\n", "PASS": b"+OK\n"},
     stdout=b"2 10\n1 4\n2 6\nUSER\nTOP\n", exit=0)
case(name="bare_lf_body_then_silence",
     doc="body with bare LFs and a bare-LF '.' line: not an end marker; ends by timeout",
     cmds=["retr", "1", "dele", "1"], timeout=T,
     replies={"RETR": [("send", b"+OK\nline one\nline two\n.\n"), ("silence",)]},
     exit=8, body=b"line one\nline two\n.\n", elapsed=TIMEOUT_ELAPSED,
     sent_not_re=[rb"(?m)^DELE"], lib={"RETR": "ERR_TIMEOUT"}, weight=3, lwip=True)
case(name="bare_lf_body_then_crlf_end",
     doc="body with bare LFs ends at the real CRLF.CRLF; bare-LF lines are data",
     cmds=["retr", "1"], replies={"RETR": b"+OK\r\na\n.\nb\n..\r\n..c\r\n.\r\n"},
     body=b"a\n.\nb\n..\r\n.c\r\n", exit=0)
case(name="capa_blank_and_junk", doc="CAPA with blank lines, junk, escapes, stuffed dot",
     sec="stls", cmds=["capa"],
     replies={"CAPA@plain": b"+OK\r\n\r\n   \r\n\x01junk\r\nSTLS\r\n\r\n.\r\n",
              "CAPA@tls": b"+OK\r\n\r\nUSER\r\n\x1b[31mX-JUNK\x07\r\n..DOT\r\n\r\n.\r\n"},
     stdout=b"USER\n?[31mX-JUNK?\n.DOT\n", exit=0)
case(name="stray_dot_after_single_line",
     doc="a stray '.' line after STAT's single-line reply, same segment: STAT itself fails "
         "(its values are not shown) and the error names STAT, not the NOOP never sent",
     cmds=["stat", "noop"], replies={"STAT": ok(b"2 10") + b".\r\n"}, stdout=b"", exit=7,
     lib={"STAT": "ERR_PROTOCOL"}, stderr_re=[rb"STAT failed: protocol violation"],
     sent_not_re=[rb"(?m)^NOOP"])
case(name="stray_dot_later_segment", doc="a stray '.' after STAT, in a later segment",
     cmds=["stat", "noop"],
     replies={"STAT": [("send", ok(b"2 10")), ("sleep", 0.1), ("send", b".\r\n")],
              "NOOP": [("sleep", 0.2), ("default",)]},
     stdout=b"2 10\n", exit=7)
case(name="unsolicited_err_after_greeting",
     doc="an unsolicited -ERR line in the greeting's segment, before CAPA was sent",
     greeting=b"+OK hi\r\n-ERR unsolicited\r\n", exit=7, stdout=b"")
case(name="unsolicited_ok_after_greeting",
     doc="unsolicited +OK lines in the greeting's segment, before CAPA was sent: protocol violation",
     greeting=b"+OK hi\r\n+OK unsolicited\r\n+OK more\r\n", exit=7, stdout=b"")
case(name="unsolicited_after_reply",
     doc="an unsolicited line after STAT's reply, same segment: STAT fails, named in the error",
     cmds=["stat", "noop"], replies={"STAT": ok(b"2 10") + b"+OK unsolicited\r\n",
                                     "NOOP": [("sleep", 0.2), ("default",)]},
     stdout=b"", exit=7, lib={"STAT": "ERR_PROTOCOL"}, stderr_re=[rb"STAT failed: protocol violation"])

# =========================================================================
# Protocol
# =========================================================================
case(name="err_greeting", doc="-ERR greeting", greeting=b"-ERR [SYS/TEMP] go away\r\n", exit=6,
     stderr_re=[rb"go away"], sent_not_re=NO_CREDS + [rb"(?m)^CAPA"])
case(name="greeting_escapes_verbose", doc="greeting with terminal escapes, -v trace",
     greeting=b"+OK \x1b]0;pwned\x07\x1b[2J\x1b[31mhello\x9b31m\r\n", verbose=True,
     stdout=STAT_OUT, exit=0)
case(name="err_greeting_escapes", doc="-ERR greeting with escapes",
     greeting=b"-ERR \x1b[31mred\x1b[0m \x1b]0;title\x07\r\n", exit=6, stderr_re=[rb"\?\[31mred\?\[0m"])
case(name="retr_err_escapes", doc="RETR -ERR text with escapes; QUIT still sent; no DELE",
     cmds=["retr", "1", "dele", "1"], replies={"RETR": b"-ERR \x1b[2J\x1b[1;1Hno such message\r\n"},
     exit=6, quit=True, sent_not_re=[rb"(?m)^DELE"], stderr_re=[rb"no such message"],
     lib={"RETR": "ERR_SERVER"})
case(name="verbose_escapes_everywhere", doc="-v trace of replies full of escapes", verbose=True,
     cmds=["stat", "list"],
     replies={"USER": b"+OK \x1b[5m\r\n", "STAT": b"+OK 2 10 \x1b[2J\r\n",
              "LIST": b"+OK \x1b[H\r\n1 4\r\n.\r\n"},
     stdout=b"2 10\n1 4\n", exit=0)
case(name="apop_ok", doc="APOP with the RFC 1939 example timestamp: exact digest sent",
     greeting=b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", apop=True,
     user="mrose", password="tanstaaf",
     sent_re=[rb"(?m)^APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"], sent_not_re=[rb"(?m)^(USER|PASS)"],
     stdout=STAT_OUT, exit=0)
APOP_REFUSED = dict(apop=True, exit=1, quit=True, sent_not_re=[rb"(?m)^(APOP|USER|PASS)"],
                    stderr_re=[rb"timestamp"])
case(name="apop_no_timestamp", doc="APOP asked, greeting has no timestamp: refused locally "
     "(pop3-cli exit 1 per its --help)", greeting=b"+OK hello\r\n", **APOP_REFUSED)
case(name="apop_timestamp_no_at", doc="timestamp without '@'",
     greeting=b"+OK hello <1896.697170952.dbc.mtview.ca.us>\r\n", **APOP_REFUSED)
case(name="apop_timestamp_500", doc="500-octet timestamp (fits the line, over the APOP limit)",
     greeting=b"+OK hello <" + b"t" * 480 + b"@example.org>\r\n", **APOP_REFUSED)
case(name="apop_timestamp_10000", doc="10,000-octet timestamp: over-long greeting, protocol violation",
     greeting=b"+OK hello <" + b"t" * 9980 + b"@example.org>\r\n", apop=True, exit=7,
     sent_not_re=[rb"(?m)^(APOP|USER|PASS)"])
case(name="retr_err_quit", doc="RETR -ERR: QUIT still sent, DELE never",
     cmds=["retr", "1", "dele", "1"], replies={"RETR": b"-ERR no such message\r\n"},
     exit=6, quit=True, sent_not_re=[rb"(?m)^DELE"], lib={"RETR": "ERR_SERVER", "QUIT": "OK"})
case(name="list_err_quit", doc="LIST -ERR: QUIT still sent", cmds=["list", "stat"],
     replies={"LIST": b"-ERR [SYS/TEMP] busy\r\n"}, exit=6, quit=True, sent_not_re=[rb"(?m)^STAT"],
     stdout=b"", lib={"LIST": "ERR_SERVER", "QUIT": "OK"})
case(name="wrong_password", doc="PASS -ERR [AUTH]: exit 5, QUIT sent, no command after",
     replies={"PASS": b"-ERR [AUTH] invalid login\r\n"}, exit=5, quit=True,
     sent_not_re=[rb"(?m)^STAT"], stderr_re=[rb"\[AUTH\] invalid login"], lib={"LOGIN": "ERR_AUTH"})
case(name="pass_err_pipelined_ok", doc="-ERR to PASS followed by a pipelined +OK", 
     replies={"PASS": b"-ERR [AUTH] no\r\n+OK logged in\r\n"}, exit=5, sent_not_re=[rb"(?m)^STAT"])
MID = stuff(M1)
CUT = len(b"+OK\r\n") + 60
case(name="close_mid_retr", doc="server closes mid-RETR: transport error, prefix only, no DELE",
     cmds=["retr", "1", "dele", "1"],
     replies={"RETR": [("send", b"+OK\r\n" + MID[:60]), ("sleep", 0.1), ("close",)]},
     exit=3, body_prefix_of=M1, lib={"RETR": "ERR_TRANSPORT"}, sent_not_re=[rb"(?m)^DELE"], lwip=True)
case(name="close_before_end_marker_dot", doc="closes after the body and CRLF '.', before CR LF",
     cmds=["retr", "1", "dele", "1"],
     replies={"RETR": [("send", b"+OK\r\n" + MID[:-2]), ("sleep", 0.1), ("close",)]},
     exit=3, body_prefix_of=M1, lib={"RETR": "ERR_TRANSPORT"}, sent_not_re=[rb"(?m)^DELE"], lwip=True)
case(name="close_before_end_marker_lf", doc="closes after CRLF '.' CR, before the final LF",
     cmds=["retr", "1", "dele", "1"],
     replies={"RETR": [("send", b"+OK\r\n" + MID[:-1]), ("sleep", 0.1), ("close",)]},
     exit=3, body_prefix_of=M1, lib={"RETR": "ERR_TRANSPORT"}, sent_not_re=[rb"(?m)^DELE"])
case(name="rst_mid_retr", doc="connection reset mid-RETR", cmds=["retr", "1", "dele", "1"],
     replies={"RETR": [("send", b"+OK\r\n" + MID[:60]), ("sleep", 0.1), ("rst",)]},
     exit=3, body_prefix_of=M1, lib={"RETR": "ERR_TRANSPORT"}, sent_not_re=[rb"(?m)^DELE"], lwip=True)
case(name="close_mid_retr_tls", doc="TLS: server closes mid-RETR (no close_notify)", sec="tls",
     server_tls="implicit", cmds=["retr", "1", "dele", "1"],
     replies={"RETR": [("send", b"+OK\r\n" + MID[:60]), ("sleep", 0.1), ("close",)]},
     exit={3, 4}, body_prefix_of=M1, sent_not_re=[rb"(?m)^DELE"], lwip=True)
case(name="close_after_greeting", doc="server closes right after the greeting",
     replies={"CAPA": [("close",)]}, exit=3, sent_not_re=NO_CREDS)
case(name="close_instead_of_greeting", doc="server closes without a greeting",
     greeting=[("close",)], exit=3, sent_not_re=NO_CREDS + [rb"(?m)^CAPA"])

# ---- a server that stops answering, in each state -----------------------------------
SILENT = [("silence",)]
TO = dict(timeout=T, exit=8, elapsed=TIMEOUT_ELAPSED, weight=3)
case(name="silent_greeting", doc="no greeting: connect/greeting timeout", greeting=SILENT,
     sent_not_re=NO_CREDS, lwip=True, **TO)
case(name="silent_capa", doc="no answer to CAPA", replies={"CAPA": SILENT}, sent_not_re=NO_CREDS, **TO)
case(name="silent_stls", doc="no answer to STLS", sec="stls", replies={"STLS": SILENT}, **TO)
case(name="silent_tls_handshake_stls", doc="+OK to STLS, server never answers the ClientHello",
     sec="stls", replies={"STLS": [("send", b"+OK\r\n"), ("silence",)]}, lwip=True, **TO)
case(name="silent_tls_handshake_implicit", doc="implicit TLS, no ServerHello", sec="tls",
     server_tls="implicit", handshake="silence", lwip=True, **TO)
case(name="silent_user", doc="no answer to USER", replies={"USER": SILENT}, **TO)
case(name="silent_pass", doc="no answer to PASS", replies={"PASS": SILENT}, **TO)
case(name="silent_stat", doc="no answer to STAT", replies={"STAT": SILENT}, quit=False, **TO)
case(name="silent_mid_retr", doc="server stops mid-RETR: timeout, prefix only, no DELE",
     cmds=["retr", "1", "dele", "1"], replies={"RETR": [("send", b"+OK\r\n" + MID[:60]), ("silence",)]},
     body_prefix_of=M1, lib={"RETR": "ERR_TIMEOUT"}, sent_not_re=[rb"(?m)^DELE"], lwip=True, **TO)
case(name="silent_mid_retr_tls", doc="TLS: server stops mid-RETR", sec="tls", server_tls="implicit",
     cmds=["retr", "1"], replies={"RETR": [("send", b"+OK\r\n" + MID[:60]), ("silence",)]},
     body_prefix_of=M1, lib={"RETR": "ERR_TIMEOUT"}, **TO)
case(name="silent_quit", doc="no answer to QUIT: the session still ends within the bound",
     replies={"QUIT": SILENT}, stdout=STAT_OUT, **dict(TO, exit=8))
case(name="slow_drip_no_timeout",
     doc="a reply trickling one byte every 300 ms (reply timeout 1500 ms) is not a timeout",
     timeout=T, cmds=["stat"], replies={"STAT": [("send", ok(b"2 10"), {"chunk": 1, "delay": 0.3})]},
     stdout=b"2 10\n", exit=0, weight=3)

# ---- more hostile replies ---------------------------------------------------------------
case(name="user_err_no_pass", doc="USER -ERR: the password is never sent",
     replies={"USER": b"-ERR no such user\r\n"}, exit=5, quit=True, sent_not_re=[rb"(?m)^PASS"],
     lib={"LOGIN": "ERR_AUTH"})
case(name="tls_close_notify_mid_retr",
     doc="TLS close_notify mid-RETR (a clean TLS end is still a truncated body: 3, or 4)",
     sec="tls", server_tls="implicit", cmds=["retr", "1", "dele", "1"],
     replies={"RETR": [("send", b"+OK\r\n" + MID[:60]), ("sleep", 0.1), ("tls_close",)]},
     exit={3, 4}, body_prefix_of=M1, sent_not_re=[rb"(?m)^DELE"], lwip=True)
case(name="uidl_uid_71", doc="UIDL entry with a 71-character uid", cmds=["uidl"],
     replies={"UIDL": b"+OK\r\n1 " + b"u" * 71 + b"\r\n.\r\n"}, exit=7, stdout=b"")
case(name="uidl_uid_escape", doc="UIDL entry with an ESC in the uid", cmds=["uidl"],
     replies={"UIDL": b"+OK\r\n1 ab\x1b[2Jcd\r\n.\r\n"}, exit=7, stdout=b"")
case(name="uidl1_empty_uid", doc="UIDL n with no uid", cmds=["uidl", "1"],
     replies={"UIDL": b"+OK 1\r\n"}, exit=7, stdout=b"")
case(name="uidl1_uid_escape", doc="UIDL n with an ESC in the uid", cmds=["uidl", "1"],
     replies={"UIDL": b"+OK 1 a\x1b[2Jb\r\n"}, exit=7, stdout=b"")
case(name="cert_cn_escape", doc="wrong-name certificate whose CN carries terminal escapes",
     sec="tls", server_tls="implicit", cert="escname", exit=4, sent_not_re=NO_CREDS)
case(name="multiline_for_single",
     doc="LIST n answered with a multi-line reply in one segment: LIST fails and the error names "
         "it, not the QUIT that was never sent",
     cmds=["list", "1"], replies={"LIST": b"+OK 1 10\r\n1 10\r\n.\r\n"}, stdout=b"", exit=7,
     lib={"LIST": "ERR_PROTOCOL"}, stderr_re=[rb"LIST 1 failed: protocol violation"],
     sent_not_re=[rb"(?m)^QUIT"])
case(name="greeting_late_within_bound", doc="greeting after 1.0 s with a 1.5 s timeout is not a timeout",
     timeout=T, greeting=[("sleep", 1.0), ("send", b"+OK late\r\n")], stdout=STAT_OUT, exit=0,
     elapsed=(1.0, 1.0), weight=2)
case(name="tls_client_plain_server", doc="implicit TLS client, server speaks plaintext", sec="tls",
     exit=4, sent_not_re=NO_CREDS)
case(name="list_100k_entries", doc="LIST of 100,000 entries streams through", cmds=["list"],
     replies={"LIST": b"+OK\r\n" + b"".join(b"%d %d\r\n" % (i, i * 7) for i in range(1, 100001)) + b".\r\n"},
     stdout=b"".join(b"%d %d\n" % (i, i * 7) for i in range(1, 100001)), exit=0, weight=2)
case(name="quit_err", doc="-ERR to QUIT after a successful session (UPDATE failed): reported",
     replies={"QUIT": [("send", b"-ERR [SYS/PERM] update failed\r\n"), ("close",)]},
     stdout=STAT_OUT, exit=6, stderr_re=[rb"update failed"])

case(name="unsolicited_ok_masks_dele_err",
     doc="an unsolicited '+OK' after STAT's reply (same segment) must not become DELE's answer "
         "when the server really refuses DELE",
     cmds=["stat", "dele", "1"],
     replies={"STAT": ok(b"2 10") + b"+OK deleted\r\n", "DELE": b"-ERR [SYS/PERM] cannot delete\r\n"},
     stdout=b"", exit=7, sent_not_re=[rb"(?m)^DELE"], lib={"STAT": "ERR_PROTOCOL"})
case(name="bare_lf_then_dot_crlf",
     doc="'line' LF '.' CR LF: the LF is not a line end inside a body, so this is data, not the end",
     cmds=["retr", "1"], timeout=T,
     replies={"RETR": [("send", b"+OK\r\nline\n.\r\n"), ("silence",)]},
     exit=8, body=b"line\n.\r\n", lib={"RETR": "ERR_TIMEOUT"}, elapsed=TIMEOUT_ELAPSED, weight=3)


# =========================================================================
# SASL AUTH (cases_sasl.py)
# =========================================================================
CASES += SASL_CASES

# =========================================================================
# PIPELINING (cases_pipe.py)
# =========================================================================
CASES += PIPE_CASES
KNOWN_BUGS = PIPE_KNOWN_BUGS  # cases of open core bugs, not run by default: run_cases.py --known-bugs


# =========================================================================
# Harness self-checks: each must be reported as failing (with this text) -
# proof that the checks above are not vacuous. Not counted as cases.
# =========================================================================
SELFCHECKS = [
    dict(name="selfcheck_exit", cmds=["stat"], exit=7, selfcheck="exit 0, expected 7"),
    dict(name="selfcheck_sent_not", cmds=["stat"], exit=0, sent_not_re=[rb"(?m)^QUIT"],
         selfcheck="(must not)"),
    dict(name="selfcheck_quit", cmds=["stat"], exit=0, quit=False, selfcheck="QUIT sent"),
    dict(name="selfcheck_cert", sec="tls", server_tls="implicit", cert="wrongname", cmds=["stat"],
         exit=0, selfcheck="exit 4"),
    dict(name="selfcheck_elapsed", greeting=[("sleep", 0.5), ("send", b"+OK\r\n")], cmds=["stat"],
         exit=0, elapsed=(0, -1.4), selfcheck="elapsed"),
    dict(name="selfcheck_body", cmds=["retr", "1"], exit=0, body=M2, selfcheck="body"),
    dict(name="selfcheck_prefix", cmds=["retr", "1"], exit=0, body_prefix_of=M1,
         selfcheck="reported"),
    dict(name="selfcheck_esc_stdout", cmds=["retr", "1"], clients=("cli",),
         replies={"RETR": retr(b"\x1b[2J\r\n.\r\n")}, exit=0, selfcheck="ESC byte on stdout"),
    dict(name="selfcheck_lib", cmds=["retr", "1"], exit=0, lib={"RETR": "ERR_TIMEOUT"},
         clients=("posix",), selfcheck="library: RETR OK"),
]
SELFCHECKS += SASL_SELFCHECKS + PIPE_SELFCHECKS
