#!/usr/bin/env python3
"""Seed corpus generator for the POP3 libFuzzer targets (test/fuzz).

    python3 test/fuzz/make_seeds.py [OUTDIR]   # default: test/fuzz/corpus
    python3 test/fuzz/make_seeds.py --show FILE...   # decode inputs (seeds, crashes)

The input format is documented in test/fuzz/fuzz_harness.h. encode() below is
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


def write_all(outdir):
    n = 0
    for target, seeds in (("fuzz_reply", reply_seeds()), ("fuzz_session", session_seeds())):
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


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--show":
        for p in sys.argv[2:]:
            show(p)
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        write_all(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus"))
