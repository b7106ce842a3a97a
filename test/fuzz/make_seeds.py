#!/usr/bin/env python3
"""Seed corpus generator for the POP3 libFuzzer targets (test/fuzz).

    python3 test/fuzz/make_seeds.py [OUTDIR]   # default: test/fuzz/corpus
    python3 test/fuzz/make_seeds.py --show FILE...   # decode inputs (seeds, crashes)
    python3 test/fuzz/make_seeds.py --show-api FILE...   # list a fuzz_api program
    python3 test/fuzz/make_seeds.py --regressions   # (re)write regressions/fuzz_api/ (core defects)

The fuzz_reply/fuzz_session format is documented in test/fuzz/fuzz_harness.h, the
fuzz_api format in test/fuzz/fuzz_api.h (api_encode() below).
The SASL AUTH seeds are in seeds_sasl.py, the pipelining ones in seeds_pipe.py. encode() below is
all a colleague needs to add a seed by hand, e.g. from a hostile-server case:

    from make_seeds import encode
    open("corpus/fuzz_session/my_case", "wb").write(
        encode(opt1=STLS, server=b"+OK hi\\r\\n+OK\\r\\nSTLS\\r\\n.\\r\\n+OK go\\r\\n..."))
"""
import os
import sys

# opt0 bits
LB512, LB513, LB600, LB1024 = 0, 1, 2, 3
TX_BIG = 0x04
END_CLOSE, END_TIMEOUT, END_ABORT, END_CLOSED_OK = 0x00, 0x08, 0x10, 0x18
SCRIPT = 0x20
TLS_BOUNDARY = 0x40
EARLY_REPLIES = 0x80
# opt1 bits (fuzz_session)
STLS, IMPLICIT, PLAIN, PLAIN_OK = 0, 1, 2, 3
APOP = 0x04
EARLY = 0x08
TLS_OK, TLS_CERT, TLS_FAIL, TLS_EARLY_BYTES = 0x00, 0x10, 0x20, 0x30
START_TLS_FAILS = 0x40
NO_AUTH = 0x80
# script opcodes (n = (b >> 4) + 1)
OP = dict(STAT=0, LIST=1, LISTN=2, UIDL=3, UIDLN=4, RETR=5, TOP=6, NOOP=7, DELE=8, RSET=9,
          QUIT=10, CAPA=11, LOGIN=12, APOP=13, RETR_MAX=14, TOP_MAXLINES=15)
# ACT values
CONT, PAUSE, ABORT, APP_ABORT = 0, 12, 14, 15
# SEND values
ALL, WOULD_BLOCK, SEND_ERR = 0, 0xFF, 0xFE


def op(name, n=1):
    return OP[name] | ((n - 1) << 4)


def encode(opt0=0, opt1=0, script=b"", split=b"", act=b"", send=b"", server=b""):
    for sec in (script, split, act, send):
        assert len(sec) < 256
    out = bytes([opt0, opt1])
    for sec in (script, split, act, send):
        out += bytes([len(sec)]) + bytes(sec)
    return out + server


def decode(data):
    pos = 2
    secs = []
    for _ in range(4):
        n = data[pos] if pos < len(data) else 0
        pos += 1 if pos < len(data) else 0
        secs.append(data[pos:pos + n])
        pos += n
    return data[0], data[1], secs, data[pos:]


CRLF = b"\r\n"


def lines(*ls):
    return b"".join(l + CRLF for l in ls)


GREET = b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
MSG1 = (b"Return-Path: <bob@example.org>\r\nFrom: bob@example.org\r\nTo: alice@example.org\r\n"
        b"Subject: cmd reboot\r\n\r\nreboot now\r\n.leading dot\r\n..two dots\r\n.\r\n")  # wire form
MSG1_STUFFED = (b"Return-Path: <bob@example.org>\r\nFrom: bob@example.org\r\nTo: alice@example.org\r\n"
                b"Subject: cmd reboot\r\n\r\nreboot now\r\n..leading dot\r\n...two dots\r\n")


def body_reply(stuffed):
    return b"+OK message follows\r\n" + stuffed + b".\r\n"


# ---- fuzz_reply: replies after the fixed prefix, to STAT, LIST, UIDL, LIST 1, UIDL 1,
#      RETR 1, TOP 1 0, NOOP, DELE 1, RSET, QUIT (the default script) ----
REPLY_OK = (b"+OK 2 320\r\n"
            b"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"
            b"+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n"
            b"+OK 1 120\r\n"
            b"+OK 1 whqtswO00WBw418f9t5JxYwZ\r\n"
            + body_reply(MSG1_STUFFED)
            + b"+OK top of message follows\r\nFrom: bob@example.org\r\nSubject: x\r\n\r\n.\r\n"
            b"+OK\r\n+OK message 1 deleted\r\n+OK maildrop has 2 messages\r\n+OK dewey POP3 server signing off\r\n")


def reply_seeds():
    s = {}
    s["session_whole"] = encode(server=REPLY_OK)
    s["session_bytewise"] = encode(split=b"\x01", server=REPLY_OK)
    s["session_split_mixed"] = encode(split=bytes([3, 7, 1, 13, 0x80 | 2, 64]), act=b"\x00\x01", server=REPLY_OK)
    s["session_pauses"] = encode(split=bytes([5, 9]), act=bytes([CONT, PAUSE, CONT, PAUSE | 0x10]), server=REPLY_OK)
    s["session_abort_list"] = encode(act=bytes([CONT, ABORT]), split=bytes([11]), server=REPLY_OK)
    s["session_abort_body"] = encode(act=bytes([CONT, CONT, CONT, CONT, CONT, ABORT]), split=bytes([17, 3]),
                                     server=REPLY_OK)
    s["session_app_abort"] = encode(act=bytes([CONT, CONT, APP_ABORT]), split=bytes([20]), server=REPLY_OK)
    s["session_short_sends"] = encode(send=bytes([3, WOULD_BLOCK, 1, ALL]), split=bytes([30]), server=REPLY_OK)
    s["session_queue_from_done"] = encode(act=bytes([0x5A, 0x0B, CONT]), server=REPLY_OK + b"+OK\r\n" * 4)
    s["session_ticks"] = encode(opt0=END_TIMEOUT, split=bytes([0x80 | 40, 0x80 | 9]), act=bytes([3, 4, 5, 1]),
                                server=REPLY_OK[:200])
    # RETR / TOP bodies
    retr = bytes([op("RETR"), op("RETR", 2), op("TOP", 1), op("QUIT")])
    body_cases = {
        "body_dot_stuffing": body_reply(b"..\r\n...\r\n.x\r\n..\r\nend\r\n"),
        "body_dot_cr_x": body_reply(b"a\r\n.\rX\r\n.\r\r\n"),
        "body_bare_lf": b"+OK\r\nline\n.\nstill body\n.\r\nnot end\r\n.\r\n",
        "body_no_final_crlf": b"+OK\r\nabc.\r\n",
        "body_empty": b"+OK\r\n.\r\n",
        "body_crlf_before_marker": b"+OK\r\n\r\n\r\n.\r\n",
        "body_long_line": b"+OK\r\n" + b"A" * 3000 + b"\r\n.\r\n",
        "body_nul": b"+OK\r\nnul\x00here\r\n\x00\r\n.\r\n",
        "body_marker_split_everywhere": b"+OK\r\nx\r\n.\r\n" + b"+OK\r\n.\r\n",
        "retr_err_then_quit": b"-ERR no such message\r\n-ERR [SYS/TEMP] later\r\n+OK\r\n.\r\n+OK bye\r\n",
        "retr_cut": b"+OK\r\npartial line\r\n..stuff",
    }
    for name, srv in body_cases.items():
        full = srv + body_reply(b"second\r\n") + b"+OK\r\n.\r\n+OK bye\r\n"
        s[name] = encode(opt0=SCRIPT, script=retr, server=full)
        s[name + "_bytewise"] = encode(opt0=SCRIPT, script=retr, split=b"\x01", server=full)
    s["body_pause_each_run"] = encode(opt0=SCRIPT, script=retr, split=bytes([4, 1, 2]), act=bytes([PAUSE]),
                                      server=body_reply(b"..a\r\n.\r\r\nb\r\n") * 3 + b"+OK\r\n")
    # status-line edge cases
    edge = {
        "stat_above_2_32": b"+OK 4294967296 100\r\n",
        "stat_u64_overflow": b"+OK 1 18446744073709551616\r\n",
        "stat_u64_max": b"+OK 4294967295 18446744073709551615\r\n",
        "list_above_2_32": b"+OK\r\n4294967296 5\r\n.\r\n",
        "status_lower_case": b"+ok 1 2\r\n",
        "status_err_lower": b"-err nope\r\n",
        "status_plus_alone": b"+\r\n",
        "status_okay": b"+OKAY 1 2\r\n",
        "status_600": b"+OK " + b"x" * 596 + b"\r\n",
        "status_nul": b"+OK 1\x00 2\r\n",
        "status_bare_lf": b"+OK 1 2\n+OK\n1 3\n.\n+OK\n1 u1\n.\n",
        "status_stray_dot": b"+OK 1 2\r\n.\r\n",
        "status_resp_codes": b"-ERR [IN-USE] locked\r\n-ERR [SYS/PERM/X] y\r\n-ERR [AUTH\r\n-ERR [] z\r\n",
        "uidl_bad_uid": b"+OK 1 2\r\n+OK\r\n1 " + b"u" * 71 + b"\r\n.\r\n",
        "uidl_ctl_uid": b"+OK 1 2\r\n+OK\r\n+OK\r\n1 a\x7fb\r\n.\r\n",
        "list_junk": b"+OK 1 2\r\n+OK\r\n1 2 3\r\n 1 2\r\n.\r\n",
        "list_empty": b"+OK 0 0\r\n+OK\r\n.\r\n+OK\r\n.\r\n-ERR no 1\r\n-ERR no 1\r\n",
        "unsolicited_after_quit": REPLY_OK + b"+OK extra\r\n",
    }
    for name, srv in edge.items():
        s[name] = encode(opt0=LB512, server=srv + REPLY_OK)
    s["status_600_big_linebuf"] = encode(opt0=LB1024, server=edge["status_600"] + REPLY_OK)
    s["capa_blank_junk"] = encode(opt0=SCRIPT, script=bytes([op("CAPA"), op("CAPA"), op("QUIT")]),
                                  act=bytes([CONT, CONT, ABORT]),
                                  server=b"+OK\r\n\r\nTOP\r\n..dot\r\n\x01junk\r\nSASL PLAIN\r\n.\r\n"
                                         b"+OK\r\nA\r\nB\r\nC\r\n.\r\n+OK bye\r\n")
    s["script_everything"] = encode(opt0=SCRIPT | TX_BIG,
                                    script=bytes(range(16)) + bytes([0x15, 0x26, 0xF2, 0xF4]),
                                    split=bytes([0x80 | 50, 7]), act=bytes([CONT, 0x3A, CONT, PAUSE]),
                                    send=bytes([ALL, 2]),
                                    server=REPLY_OK * 2)
    return s


# ---- fuzz_session: whole sessions from the greeting ----
CAPA_STLS = lines(b"+OK Capability list follows", b"TOP", b"UIDL", b"USER", b"STLS", b"PIPELINING", b".")
CAPA_TLS = lines(b"+OK", b"TOP", b"UIDL", b"USER", b"SASL PLAIN", b"RESP-CODES", b".")
AFTER_LOGIN = (b"+OK 2 320\r\n"
               b"+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n"
               b"+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n"
               + body_reply(MSG1_STUFFED)
               + b"+OK deleted\r\n+OK bye\r\n")
STLS_SESSION = GREET + CAPA_STLS + b"+OK Begin TLS negotiation\r\n" + CAPA_TLS + b"+OK\r\n+OK logged in\r\n" + AFTER_LOGIN


def session_seeds():
    s = {}
    s["stls_login"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, server=STLS_SESSION)
    s["stls_login_bytewise"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, split=b"\x01", server=STLS_SESSION)
    s["stls_apop"] = encode(opt0=TLS_BOUNDARY, opt1=STLS | APOP,
                            server=GREET + CAPA_STLS + b"+OK go\r\n" + CAPA_TLS + b"+OK mailbox locked\r\n" + AFTER_LOGIN)
    s["stls_early_queue"] = encode(opt0=TLS_BOUNDARY, opt1=STLS | EARLY, split=bytes([9, 40]), server=STLS_SESSION)
    s["stls_short_sends"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, send=bytes([1, WOULD_BLOCK, 4]), split=bytes([13]),
                                   server=STLS_SESSION)
    s["stls_pause_abort"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, act=bytes([CONT, PAUSE, CONT, ABORT, CONT]),
                                   split=bytes([25, 3]), server=STLS_SESSION)
    # STARTTLS attacks and failures
    s["stls_injection_same_chunk"] = encode(opt1=STLS, server=GREET + CAPA_STLS + b"+OK go\r\n+OK injected\r\n"
                                            + CAPA_TLS + b"+OK\r\n+OK\r\n" + AFTER_LOGIN)
    s["stls_injection_later_segment"] = encode(opt0=TLS_BOUNDARY, opt1=STLS | TLS_EARLY_BYTES,
                                               server=GREET + CAPA_STLS + b"+OK go\r\n-ERR injected\r\n" + CAPA_TLS)
    s["stls_missing"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, server=GREET + lines(b"+OK", b"USER", b".") + AFTER_LOGIN)
    s["stls_capa_err"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, server=GREET + b"-ERR what?\r\n+OK\r\n+OK\r\n" + AFTER_LOGIN)
    s["stls_err"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, server=GREET + CAPA_STLS + b"-ERR not now\r\n+OK\r\n")
    s["stls_err_pipelined_ok"] = encode(opt1=STLS, server=GREET + CAPA_STLS + b"-ERR no\r\n+OK\r\n+OK\r\n+OK\r\n")
    s["stls_ok_then_silence"] = encode(opt0=TLS_BOUNDARY | END_TIMEOUT, opt1=STLS | TLS_EARLY_BYTES,
                                       server=GREET + CAPA_STLS + b"+OK go\r\n")
    s["stls_cert_fail"] = encode(opt0=TLS_BOUNDARY, opt1=STLS | TLS_CERT, server=STLS_SESSION)
    s["stls_tls_fail"] = encode(opt0=TLS_BOUNDARY, opt1=STLS | TLS_FAIL, server=STLS_SESSION)
    s["stls_start_fails"] = encode(opt0=TLS_BOUNDARY, opt1=STLS | START_TLS_FAILS, server=STLS_SESSION)
    s["stls_caps_change"] = encode(opt0=TLS_BOUNDARY, opt1=STLS,
                                   server=GREET + CAPA_STLS + b"+OK\r\n" + lines(b"+OK", b"STLS", b"IMPLEMENTATION x", b".")
                                   + b"+OK\r\n+OK\r\n" + AFTER_LOGIN)
    s["stls_capa_lower"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, server=GREET + lines(b"+OK", b"stls", b".") + b"+OK\r\n"
                                  + CAPA_TLS + b"+OK\r\n+OK\r\n" + AFTER_LOGIN)
    # implicit TLS
    implicit = GREET + CAPA_TLS + b"+OK\r\n+OK\r\n" + AFTER_LOGIN
    s["implicit_login"] = encode(opt1=IMPLICIT, server=implicit)
    s["implicit_apop_split"] = encode(opt1=IMPLICIT | APOP, split=bytes([7, 0x80 | 3, 1]), act=bytes([1, 2]),
                                      server=GREET + CAPA_TLS + b"+OK\r\n" + AFTER_LOGIN)
    s["implicit_early_bytes"] = encode(opt1=IMPLICIT | TLS_EARLY_BYTES, server=implicit)
    s["implicit_cert_fail"] = encode(opt1=IMPLICIT | TLS_CERT, server=implicit)
    # plaintext
    s["plain_no_optin"] = encode(opt1=PLAIN, server=GREET + CAPA_TLS + AFTER_LOGIN)
    s["plain_no_optin_apop"] = encode(opt1=PLAIN | APOP | EARLY, server=GREET + CAPA_TLS + AFTER_LOGIN)
    s["plain_optin_login"] = encode(opt1=PLAIN_OK, server=GREET + CAPA_TLS + b"+OK\r\n+OK\r\n" + AFTER_LOGIN)
    s["plain_optin_apop"] = encode(opt1=PLAIN_OK | APOP, server=GREET + CAPA_TLS + b"+OK\r\n" + AFTER_LOGIN)
    s["plain_wrong_password"] = encode(opt1=PLAIN_OK, server=GREET + CAPA_TLS + b"+OK\r\n-ERR [AUTH] invalid\r\n+OK\r\n")
    s["plain_user_rejected"] = encode(opt1=PLAIN_OK, server=GREET + CAPA_TLS + b"-ERR [IN-USE] busy\r\n+OK\r\n")
    s["greeting_err"] = encode(opt1=PLAIN_OK, server=b"-ERR [SYS/TEMP] go away\r\n")
    s["greeting_escapes"] = encode(opt1=PLAIN_OK, server=b"+OK \x1b[2J\x1b]0;pwn\x07 hi\r\n" + CAPA_TLS + b"+OK\r\n+OK\r\n")
    s["apop_no_timestamp"] = encode(opt1=PLAIN_OK | APOP, server=b"+OK hello\r\n" + CAPA_TLS + AFTER_LOGIN)
    s["apop_ts_without_at"] = encode(opt1=PLAIN_OK | APOP, server=b"+OK <1896.697170952>\r\n" + CAPA_TLS + AFTER_LOGIN)
    s["apop_ts_long"] = encode(opt0=LB1024, opt1=PLAIN_OK | APOP, server=b"+OK <" + b"a" * 300 + b"@b>\r\n" + CAPA_TLS
                               + b"+OK\r\n" + AFTER_LOGIN)
    s["unsolicited_after_greeting"] = encode(opt1=PLAIN_OK, server=GREET + b"+OK surprise\r\n" + CAPA_TLS)
    s["script_all_ops"] = encode(opt0=SCRIPT | TLS_BOUNDARY, opt1=STLS | NO_AUTH,
                                 script=bytes([op("LOGIN"), op("STAT"), op("LIST"), op("UIDLN", 2), op("APOP"),
                                               op("TOP", 3), op("CAPA"), op("RSET"), op("NOOP"), op("QUIT")]),
                                 server=STLS_SESSION)
    return s


# ---- fuzz_api: programs of API calls (format: test/fuzz/fuzz_api.h) ----
A_NOP, A_INIT, A_START, A_CONNECTED, A_TLS_DONE, A_CLOSED, A_TICK, A_WRITABLE, A_FEED, A_FEED_SPLIT, \
    A_CANNED, A_DELIVER, A_CMD, A_RESUME, A_ABORT, A_QUERY, A_BURST, A_POLICY = range(18)
A_OP_NAMES = ["nop", "init", "start", "connected", "tls_done", "closed", "tick", "writable", "feed", "feed_split",
              "canned", "deliver", "command", "resume", "abort", "query", "burst", "policy"]
# decision kinds for A_POLICY
K_SEND, K_STREAM, K_DONE, K_TRACE, K_START_TLS = range(5)
# canned server replies (canned[] in fuzz_api.c)
C_GREET, C_CAPA_STLS, C_CAPA_TLS, C_OK, C_ERR, C_STAT, C_LIST, C_UIDL, C_BODY, C_LISTN, C_UIDLN, C_BYE, \
    C_BODY_PART, C_DOT_END, C_LONG_LINE, C_ERR_AUTH = range(16)
# command functions (selector & 15)
# RAW: a string and a byte (bit 0: a block); USER: a byte (bit 0: PASS) and a string; STLS: a byte (bit 0: UTF8)
F = dict(CAPA=0, LOGIN=1, APOP=2, STAT=3, LIST=4, UIDL=5, RETR=6, TOP=7, DELE=8, RSET=9, NOOP=10, QUIT=11, AUTH=12,
         RAW=13, USER=14, STLS=15)
# numbers and strings for non-plain arguments (index into nums[] / api_strings[])
N0, N1, N2, N3, N10, N_2_31M1, N_MAXM1, N_MAX = range(8)
S_ALICE, S_PASS, S_EMPTY, S_NULL, S_CRLF, S_CR, S_LF, S_TAB, S_215, S_216, S_248, S_249, S_250, S_600, S_RAW, \
    S_CTL = range(16)
# decisions: callbacks (action | effect << 2), send, start_tls
D_CONT, D_PAUSE, D_ABORT = 0, 2, 3
P_CONT = 1  # a policy value meaning "continue, no side effect" (0 switches the policy off)
E_QUEUE, E_APP_ABORT, E_RESUME, E_QUEUE2, E_QUERY, E_RESUME_QUEUE = (2 << 2), (3 << 2), (4 << 2), (5 << 2), \
    (6 << 2), (7 << 2)
D_WOULD_BLOCK, D_SEND_ERR, D_TLS_FAIL, D_SEND_ALL = 0xF0, 0xF8, 0xF0, 0xFC


def api_encode(program, decisions=b"", pad=256):
    """Program from the front; decisions from the back (first decision = last byte); zero padding
    between them so a run that takes more decisions than listed gets defaults, not program bytes."""
    return bytes(program) + b"\0" * pad + bytes(reversed(bytes(decisions)))


def a_init(sec=PLAIN, allow=False, start_tls_null=False, wake_null=False, trace=False, null_stream=0,
           done_null=False, lb=0, tx=0, fault=0, send_null=False, close_null=False, tmo=0, garbage=False,
           badsec=0):
    c1 = sec | (4 if allow else 0) | (8 if start_tls_null else 0) | (16 if wake_null else 0) | \
        (32 if trace else 0) | (64 if null_stream else 0) | (128 if done_null else 0)
    c2 = lb | (tx << 2) | (fault << 4) | (128 if send_null or close_null else 0)
    c3 = tmo | (128 if close_null else 0)
    c5 = null_stream | (badsec << 4) | (128 if garbage else 0)
    return bytes([A_INIT, c1, c2, c3, 0, c5])


def a_cmd(name, *args, null_client=False):
    """A command: plain arguments when none are given, else one byte per argument (nums / strings)."""
    if null_client:
        return bytes([A_CMD, F[name] | 0xF0])
    if not args:
        return bytes([A_CMD, F[name]])
    out = bytes([A_CMD, F[name] | 0x10])
    for a in args:
        out += bytes(a) if isinstance(a, (bytes, list)) else bytes([a])
    return out


def a_raw_str(text):
    """A raw string argument: S_RAW, its length, its octets."""
    return bytes([S_RAW, len(text)]) + text


def a_feed(data, piece=None):
    out = b""
    for i in range(0, len(data), 255):
        part = data[i:i + 255]
        out += bytes([A_FEED, len(part)]) + part if piece is None else bytes([A_FEED_SPLIT, len(part), piece]) + part
    return out


def a_canned(i, split=0):
    return bytes([A_CANNED, i, split])


def a_policy(kind, value):
    """From now on every decision of this kind is value (0: per call from the back again)."""
    return bytes([A_POLICY, kind, value])


def a_resume_deliver(n):
    return bytes([A_RESUME, A_DELIVER, 0]) * n


def a_ops(*ops):
    return b"".join(bytes([o]) if isinstance(o, int) else o for o in ops)


PLAIN_LOGIN = a_ops(a_init(sec=PLAIN, allow=True), A_START, 0, A_CONNECTED, a_canned(C_GREET), a_canned(C_CAPA_TLS),
                    a_cmd("LOGIN"), a_canned(C_OK), a_canned(C_OK))
STLS_LOGIN = a_ops(a_init(sec=STLS), A_START, 0, A_CONNECTED, a_canned(C_GREET), a_canned(C_CAPA_STLS),
                   a_canned(C_OK), A_TLS_DONE, 0, a_canned(C_CAPA_TLS), a_cmd("LOGIN"), a_canned(C_OK), a_canned(C_OK))
IMPLICIT_LOGIN = a_ops(a_init(sec=IMPLICIT), A_START, 0, A_CONNECTED, A_TLS_DONE, 0, a_canned(C_GREET),
                       a_canned(C_CAPA_TLS), a_cmd("LOGIN"), a_canned(C_OK), a_canned(C_OK))
TRANSACTION = a_ops(a_cmd("STAT"), a_canned(C_STAT), a_cmd("LIST"), a_canned(C_LIST), a_cmd("UIDL"), a_canned(C_UIDL),
                    a_cmd("LIST", N1), a_canned(C_LISTN), a_cmd("UIDL", N1), a_canned(C_UIDLN), a_cmd("RETR"),
                    a_canned(C_BODY), a_cmd("TOP"), a_canned(C_BODY), a_cmd("DELE"), a_canned(C_OK), a_cmd("NOOP"),
                    a_canned(C_OK), a_cmd("RSET"), a_canned(C_OK), a_cmd("CAPA"), a_canned(C_CAPA_TLS))
QUIT = a_ops(a_cmd("QUIT"), a_canned(C_BYE))
BODY = b"+OK\r\nFrom: bob\r\n\r\n..dot\r\n.\rX\r\nline\nbare\r\n" + b"y" * 300 + b"\r\n.\r\n"


def api_seeds():
    from seeds_sasl import api_auth_seeds
    s = api_auth_seeds()
    s["plain_session"] = api_encode(PLAIN_LOGIN + TRANSACTION + QUIT)
    s["stls_session"] = api_encode(STLS_LOGIN + TRANSACTION + QUIT)
    s["implicit_session"] = api_encode(IMPLICIT_LOGIN + TRANSACTION + QUIT)
    s["plain_session_trace"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True, trace=True), PLAIN_LOGIN[6:])
                                          + TRANSACTION + QUIT)
    s["plain_queued_ahead"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True), a_cmd("LOGIN"), a_cmd("STAT"),
                                               a_cmd("LIST"), a_cmd("RETR"), a_cmd("QUIT"), A_START, 0, A_CONNECTED,
                                               a_canned(C_GREET), a_canned(C_CAPA_TLS), a_canned(C_OK), a_canned(C_OK),
                                               a_canned(C_STAT), a_canned(C_LIST), a_canned(C_BODY), a_canned(C_BYE)))
    s["retr_bytewise"] = api_encode(PLAIN_LOGIN + a_policy(K_STREAM, P_CONT) + a_cmd("RETR") + a_feed(BODY, piece=1)
                                    + QUIT)
    s["retr_split_3"] = api_encode(PLAIN_LOGIN + a_policy(K_STREAM, P_CONT) + a_cmd("RETR") + a_feed(BODY, piece=3)
                                   + QUIT)
    # body pauses: on_body pauses, the port stops reading; resume, the held rest is offered again
    s["retr_pause_resume"] = api_encode(PLAIN_LOGIN + a_policy(K_STREAM, D_PAUSE) + a_cmd("RETR") + a_feed(BODY, piece=7)
                                        + a_resume_deliver(24) + a_policy(K_STREAM, 0) + QUIT)
    s["retr_resume_in_callback"] = api_encode(PLAIN_LOGIN + a_policy(K_STREAM, D_PAUSE | E_RESUME) + a_cmd("RETR")
                                              + a_feed(BODY, piece=5) + a_resume_deliver(24) + QUIT)
    s["retr_abort_from_body"] = api_encode(PLAIN_LOGIN + a_cmd("RETR") + a_cmd("STAT") + a_policy(K_STREAM, E_APP_ABORT)
                                           + a_feed(BODY, piece=9))
    s["retr_cb_abort"] = api_encode(PLAIN_LOGIN + a_policy(K_STREAM, D_ABORT) + a_cmd("RETR") + a_feed(BODY, piece=9)
                                    + a_policy(K_STREAM, 0) + a_cmd("TOP") + a_canned(C_BODY, 30) + QUIT)
    s["retr_queue_from_body"] = api_encode(PLAIN_LOGIN + a_policy(K_STREAM, E_QUEUE) + a_cmd("RETR")
                                           + a_feed(BODY, piece=40) + a_policy(K_STREAM, 0)
                                           + a_canned(C_CAPA_TLS) * 7 + QUIT)
    s["list_abort_and_pause"] = api_encode(PLAIN_LOGIN + a_policy(K_STREAM, D_PAUSE) + a_cmd("LIST")
                                           + a_canned(C_LIST, 20) + a_resume_deliver(4) + a_policy(K_STREAM, D_ABORT)
                                           + a_cmd("UIDL") + a_canned(C_UIDL) + a_policy(K_STREAM, 0) + QUIT)
    s["capa_callbacks"] = api_encode(PLAIN_LOGIN + a_policy(K_STREAM, D_PAUSE | E_RESUME) + a_cmd("CAPA")
                                     + a_canned(C_CAPA_STLS, 9) + a_resume_deliver(4) + a_policy(K_STREAM, D_ABORT)
                                     + a_cmd("CAPA") + a_canned(C_CAPA_TLS) + a_policy(K_STREAM, 0) + QUIT)
    # callbacks queue commands, abort, resume
    s["queue_from_done"] = api_encode(PLAIN_LOGIN + a_policy(K_DONE, E_QUEUE) + a_cmd("NOOP") + a_canned(C_OK)
                                      + a_canned(C_CAPA_TLS) + a_canned(C_CAPA_TLS) + a_policy(K_DONE, 0) + QUIT)
    s["queue2_from_done"] = api_encode(PLAIN_LOGIN + a_policy(K_DONE, E_QUEUE2) + a_cmd("NOOP") + a_canned(C_OK)
                                       + a_policy(K_DONE, 0) + a_canned(C_CAPA_TLS) * 2 + QUIT)
    s["abort_from_done"] = api_encode(PLAIN_LOGIN + a_cmd("STAT") + a_cmd("NOOP") + a_policy(K_DONE, E_APP_ABORT)
                                      + a_canned(C_STAT))
    s["abort_from_connect"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True), a_cmd("LOGIN"), A_START, 0, A_CONNECTED,
                                               a_canned(C_GREET), a_policy(K_DONE, E_APP_ABORT), a_canned(C_CAPA_TLS)))
    s["resume_from_done"] = api_encode(PLAIN_LOGIN + a_policy(K_DONE, E_RESUME_QUEUE) + a_cmd("STAT")
                                       + a_canned(C_STAT) + a_policy(K_DONE, 0) + a_canned(C_CAPA_TLS) + QUIT)
    s["trace_side_effects"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True, trace=True), a_policy(K_TRACE, E_QUERY),
                                               PLAIN_LOGIN[6:]) + TRANSACTION + a_policy(K_TRACE, E_RESUME) + QUIT)
    # the port: short sends, would-block + writable, send errors, start_tls failing, timeouts, peer close
    s["short_sends"] = api_encode(a_ops(a_policy(K_SEND, 1), PLAIN_LOGIN, a_policy(K_SEND, 3)) + TRANSACTION
                                  + a_policy(K_SEND, 0) + QUIT)
    s["would_block"] = api_encode(PLAIN_LOGIN + a_policy(K_SEND, D_WOULD_BLOCK) + a_cmd("STAT") + a_ops(A_WRITABLE)
                                  + a_policy(K_SEND, 2) + a_ops(A_WRITABLE) + a_canned(C_STAT) + a_policy(K_SEND, 0)
                                  + a_policy(K_SEND, D_WOULD_BLOCK) + a_cmd("RETR") + a_policy(K_SEND, 0)
                                  + a_ops(A_WRITABLE, A_WRITABLE) + a_canned(C_BODY) + QUIT)
    s["send_error"] = api_encode(PLAIN_LOGIN + a_cmd("STAT") + a_policy(K_SEND, D_SEND_ERR) + a_cmd("LIST")
                                 + a_cmd("NOOP"))
    s["stls_start_tls_fails"] = api_encode(a_policy(K_START_TLS, D_TLS_FAIL) + STLS_LOGIN)
    s["implicit_start_tls_fails"] = api_encode(a_policy(K_START_TLS, D_TLS_FAIL) + IMPLICIT_LOGIN)
    s["stls_cert_fail"] = api_encode(a_ops(a_init(sec=STLS), A_START, 0, A_CONNECTED, a_canned(C_GREET),
                                           a_canned(C_CAPA_STLS), a_cmd("LOGIN"), a_canned(C_OK), A_TLS_DONE, 1))
    s["timeouts"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True, tmo=0x1B), A_START, 0, A_TICK, 0, A_CONNECTED,
                                     a_canned(C_GREET), a_canned(C_CAPA_TLS), a_cmd("LOGIN"), A_TICK, 1, A_TICK, 1,
                                     a_canned(C_OK)))
    s["timeout_while_paused"] = api_encode(PLAIN_LOGIN + a_policy(K_STREAM, D_PAUSE) + a_cmd("RETR")
                                           + a_feed(BODY, piece=50) + a_ops(A_TICK, 7, A_TICK, 7, A_RESUME, A_TICK, 7))
    s["peer_close_mid_body"] = api_encode(PLAIN_LOGIN + a_cmd("RETR") + a_cmd("QUIT") + a_feed(BODY[:60])
                                          + a_ops(A_CLOSED, 3))
    s["peer_close_paused"] = api_encode(PLAIN_LOGIN + a_policy(K_STREAM, D_PAUSE) + a_cmd("RETR") + a_feed(BODY)
                                        + a_ops(A_CLOSED, 0, A_RESUME, A_DELIVER, 0))
    s["misuse_order"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True), A_RESUME, a_cmd("STAT"), A_TICK, 7, A_START, 0,
                                         A_START, 1, A_TLS_DONE, 0, A_WRITABLE, A_CONNECTED, A_CONNECTED,
                                         a_canned(C_GREET), A_TLS_DONE, 0, A_RESUME, a_canned(C_CAPA_TLS), A_START, 0,
                                         a_cmd("LOGIN"), a_canned(C_OK), a_canned(C_OK), a_canned(C_STAT), A_RESUME,
                                         A_QUERY, 0, A_QUERY, 30, QUIT, A_ABORT, A_RESUME, a_cmd("NOOP"), A_TICK, 7))
    s["bad_arguments"] = api_encode(PLAIN_LOGIN + a_ops(
        a_cmd("RETR", N0), a_cmd("TOP", N0, N1), a_cmd("DELE", N0), a_cmd("LOGIN", S_NULL, S_PASS),
        a_cmd("LOGIN", S_ALICE, S_CRLF), a_cmd("LOGIN", S_CR, S_PASS), a_cmd("LOGIN", S_LF, S_PASS),
        a_cmd("LOGIN", S_249, S_PASS), a_cmd("LOGIN", S_ALICE, S_600), a_cmd("APOP", S_216, S_PASS),
        a_cmd("APOP", S_ALICE, S_NULL), a_cmd("LOGIN", a_raw_str(b"ev\r\nil"), S_PASS), a_cmd("STAT", null_client=True),
        a_cmd("LOGIN", null_client=True), a_cmd("RETR", N_MAX), a_canned(C_ERR), a_cmd("TOP", N_MAX, N_MAX),
        a_canned(C_ERR), a_cmd("LIST", N_2_31M1), a_canned(C_ERR), a_cmd("LOGIN", S_248, S_248), a_canned(C_ERR_AUTH),
        a_cmd("APOP", S_215, S_CTL), a_canned(C_ERR_AUTH)) + QUIT)
    s["plaintext_no_optin"] = api_encode(a_ops(a_init(sec=PLAIN), A_START, 0, A_CONNECTED, a_canned(C_GREET),
                                               a_canned(C_CAPA_TLS), a_cmd("LOGIN"), a_cmd("APOP"), a_cmd("STAT"),
                                               a_canned(C_ERR)) + QUIT)
    s["apop_session"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True), A_START, 0, A_CONNECTED, a_canned(C_GREET),
                                         a_canned(C_CAPA_TLS), a_cmd("APOP"), a_canned(C_OK)) + TRANSACTION + QUIT)
    s["queue_full"] = api_encode(PLAIN_LOGIN + a_ops(A_BURST, 7, A_BURST, 7, a_canned(C_STAT), a_canned(C_STAT)))
    s["reinit_after_close"] = api_encode(PLAIN_LOGIN + QUIT + STLS_LOGIN + a_cmd("STAT") + a_canned(C_STAT) + QUIT)
    s["null_callbacks"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True, null_stream=0x0F, wake_null=True),
                                           PLAIN_LOGIN[6:]) + TRANSACTION + QUIT)
    s["server_junk"] = api_encode(PLAIN_LOGIN + a_cmd("STAT") + a_canned(C_LONG_LINE) + a_ops(A_START, 0))
    # the shell's commands (pop3_command, pop3_user/pop3_pass, pop3_stls, pop3_utf8)
    plain_capa = a_ops(a_init(sec=PLAIN), A_START, 0, A_CONNECTED, a_canned(C_GREET), a_canned(C_CAPA_STLS))
    s["shell_stls_login"] = api_encode(plain_capa + a_ops(
        a_cmd("USER"), a_cmd("STLS"), a_canned(C_OK), A_TLS_DONE, 0, a_canned(C_CAPA_TLS), a_cmd("STLS"),
        a_cmd("USER"), a_canned(C_OK), a_cmd("USER", 1, S_PASS), a_canned(C_OK)) + TRANSACTION + QUIT)
    s["shell_stls_refused"] = api_encode(plain_capa + a_ops(a_cmd("STLS"), a_canned(C_ERR), a_cmd("RAW"),
                                                            a_canned(C_ERR)) + QUIT)
    s["shell_stls_injection"] = api_encode(plain_capa + a_cmd("STLS") + a_cmd("RAW") + a_feed(b"+OK\r\n+OK\r\n"))
    s["shell_utf8"] = api_encode(plain_capa + a_ops(
        a_cmd("STLS", 1), a_canned(C_OK), a_cmd("STLS", 1), a_canned(C_ERR), a_cmd("STLS"), a_cmd("STLS", 1),
        a_canned(C_OK), A_TLS_DONE, 0, a_canned(C_CAPA_TLS)) + QUIT)
    s["shell_raw"] = api_encode(PLAIN_LOGIN + a_ops(
        a_cmd("RAW"), a_canned(C_ERR), a_cmd("RAW", a_raw_str(b"LIST"), 1), a_canned(C_LIST),
        a_cmd("RAW", a_raw_str(b"RETR 1"), 1), a_canned(C_BODY, 11), a_cmd("RAW", a_raw_str(b"  uSeR x"), 0),
        a_cmd("RAW", a_raw_str(b"UTF8"), 0), a_cmd("RAW", a_raw_str(b" \t "), 0), a_cmd("RAW", S_600, 0),
        a_cmd("RAW", S_CRLF, 0), a_cmd("RAW", a_raw_str(b"XTND XMIT"), 1), a_canned(C_ERR)) + QUIT)
    s["shell_raw_pipelined"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True), A_START, 0, A_CONNECTED,
                                                a_canned(C_GREET), a_canned(C_CAPA_STLS), a_cmd("LOGIN"), a_canned(C_OK),
                                                a_canned(C_OK), a_cmd("STAT"), a_cmd("RAW", a_raw_str(b"XTND LIST"), 1),
                                                a_cmd("NOOP"), a_cmd("STAT"), a_canned(C_STAT), a_canned(C_LIST),
                                                a_canned(C_OK), a_canned(C_STAT)) + QUIT)
    s["shell_user_pass"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True, trace=True), A_START, 0, A_CONNECTED,
                                            a_canned(C_GREET), a_canned(C_CAPA_TLS), a_cmd("USER", 1, S_PASS),
                                            a_cmd("USER"), a_canned(C_ERR_AUTH), a_cmd("USER", 1, S_PASS), a_cmd("USER"),
                                            a_cmd("USER", 1, S_PASS), a_canned(C_OK), a_canned(C_ERR_AUTH),
                                            a_cmd("USER"), a_canned(C_OK), a_cmd("USER", 1, S_PASS), a_canned(C_OK))
                                      + TRANSACTION + QUIT)
    s["good_inits"] = api_encode(a_ops(a_init(sec=PLAIN, lb=1, tx=1), a_init(sec=IMPLICIT, lb=2, tx=2, tmo=0x3F),
                                       a_init(sec=PLAIN, start_tls_null=True)) + PLAIN_LOGIN + QUIT)
    return s


def api_regressions():
    """Minimal fuzz_api reproducers of core defects, one per file, named by the defect."""
    r = {}
    # pop3_init() refuses the config (TLS security, no start_tls) but leaves the client IDLE with the
    # config copied: pop3_start() succeeds and pop3_on_connected() calls the NULL start_tls.
    r["failed_init_startable_null_start_tls"] = api_encode(a_ops(a_init(sec=IMPLICIT, start_tls_null=True),
                                                                 A_START, 0, A_CONNECTED))
    # pop3_init() refuses a config before touching the (zeroed, static) client: pop3_abort() then
    # calls the NULL transport.close of the never-copied config.
    r["failed_init_abort_calls_null_close"] = api_encode(a_ops(a_init(sec=PLAIN, fault=6), A_ABORT))
    # ... and on a client initialised before (not started), the refused re-init leaves it startable:
    # it runs on with the old config.
    r["failed_reinit_startable_with_old_config"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True),
                                                                    a_init(sec=PLAIN, fault=6), A_START, 0))
    # pop3_abort() on an initialised client that was never started reports POP3_CMD_CONNECT.
    r["abort_before_start_reports_connect"] = api_encode(a_ops(a_init(sec=PLAIN, allow=True), A_ABORT))
    # on_body calls pop3_abort() and returns PAUSE: the core marks the closed session paused, and a
    # later pop3_resume() calls transport.wake after transport.close.
    r["pause_after_abort_in_callback_wakes_closed_port"] = api_encode(
        PLAIN_LOGIN + a_cmd("RETR") + a_policy(K_STREAM, D_PAUSE | E_APP_ABORT) + a_canned(C_BODY)
        + a_policy(K_STREAM, 0) + a_ops(A_RESUME))
    return r


def write_all(outdir):
    n = 0
    from seeds_sasl import auth_seeds
    import seeds_pipe
    for target, seeds in (("fuzz_reply", {**reply_seeds(), **seeds_pipe.reply_seeds()}),
                          ("fuzz_session", {**session_seeds(), **auth_seeds(), **seeds_pipe.session_seeds()}),
                          ("fuzz_api", api_seeds())):
        d = os.path.join(outdir, target)
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(seeds.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            n += 1
    print(f"make_seeds: {n} seeds under {outdir}")


def show(path):
    data = open(path, "rb").read()
    opt0, opt1, (script, split, act, send), srv = decode(data)
    print(f"== {path} ({len(data)} octets)")
    print(f"opt0=0x{opt0:02x} opt1=0x{opt1:02x}")
    print(f"script={script.hex(' ')}\nsplit={split.hex(' ')}\nact={act.hex(' ')}\nsend={send.hex(' ')}")
    print(f"server ({len(srv)} octets): {srv!r}")


def show_api(path):
    """Lists the program ops of a fuzz_api input, reading it as the target does as long as the
    decisions (taken from the back while it runs) do not reach the ops; those are listed raw."""
    data = open(path, "rb").read()
    nargs = {A_INIT: 5, A_START: 1, A_TLS_DONE: 1, A_CLOSED: 1, A_TICK: 1, A_CANNED: 2, A_DELIVER: 1, A_QUERY: 1,
             A_POLICY: 2}
    print(f"== {path} ({len(data)} octets)")
    i = 0
    while i < len(data):
        op = data[i] % 18
        if op == A_NOP and not any(data[i:i + 32]):
            print(f"  {i:5}: ... zeros / decisions from here: {data[i:][::-1][:48].hex(' ')} (last byte first)")
            break
        j = i + 1
        if op in (A_FEED, A_FEED_SPLIT):
            n = data[j] if j < len(data) else 0
            j += 2 if op == A_FEED_SPLIT else 1
            j += n
        elif op in (A_CMD, A_BURST):
            j += 1 if op == A_CMD else 2
        else:
            j += nargs.get(op, 0)
        print(f"  {i:5}: {A_OP_NAMES[op]:10} {data[i + 1:j][:60]!r}")
        i = j


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--show-api":
        for p in sys.argv[2:]:
            show_api(p)
    elif len(sys.argv) > 1 and sys.argv[1] == "--regressions":
        d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions", "fuzz_api")
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(api_regressions().items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"make_seeds: {len(api_regressions())} fuzz_api regression inputs under {d}")
    elif len(sys.argv) > 1 and sys.argv[1] == "--show":
        for p in sys.argv[2:]:
            show(p)
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        write_all(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus"))
