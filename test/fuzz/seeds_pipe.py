"""Pipelining (RFC 2449) seeds for fuzz_reply and fuzz_session (make_seeds.py writes them).

fuzz_reply: opt1 bit 0 adds PIPELINING to the fixed prefix's CAPA, bits 1-3 are
pipeline_depth - 1. fuzz_session: pipeline_depth - 1 is the SCRIPT section's length
& 7 (with the default script its bytes are unused, so pad() only sets the depth).
The harness checks the core's rules on every multi-line send (fuzz_harness_port.c
check_pipelined()).
"""
from make_seeds import (ALL, CAPA_STLS, CONT, END_CLOSE, END_TIMEOUT, GREET, MSG1_STUFFED, PAUSE, PLAIN_OK,
                        REPLY_OK, SCRIPT, STLS, TLS_BOUNDARY, TX_BIG, WOULD_BLOCK, AFTER_LOGIN, EARLY_REPLIES,
                        APOP, body_reply, encode, lines, op)

PIPE = 0x01


def depth(n):
    """fuzz_reply opt1: PIPELINING advertised, pipeline_depth n (1..8)."""
    return PIPE | ((n - 1) << 1)


def pad(n):
    """fuzz_session: a SCRIPT section whose length gives pipeline_depth n."""
    return bytes(n - 1)


def reply_seeds():
    s = {}
    s["pipe_whole"] = encode(opt1=depth(8), server=REPLY_OK)
    s["pipe_bytewise"] = encode(opt1=depth(8), split=b"\x01", server=REPLY_OK)
    s["pipe_depth2_mixed"] = encode(opt1=depth(2), split=bytes([3, 17, 1, 0x80 | 40]), act=bytes([1, 2]),
                                    server=REPLY_OK)
    s["pipe_depth3_pauses"] = encode(opt1=depth(3), split=bytes([9, 5]), act=bytes([CONT, PAUSE, CONT]),
                                     server=REPLY_OK)
    s["pipe_short_sends"] = encode(opt1=depth(8), send=bytes([5, WOULD_BLOCK, 2, ALL, 9]), split=bytes([11]),
                                   server=REPLY_OK)
    s["pipe_advertised_depth1"] = encode(opt1=PIPE, server=REPLY_OK)
    s["pipe_depth8_not_advertised"] = encode(opt1=depth(8) & ~PIPE, server=REPLY_OK)
    batch = bytes([op("RETR"), op("RETR", 9), op("RETR", 2), op("STAT"), op("QUIT")])
    two = body_reply(b"second\r\n")
    s["pipe_err_inside"] = encode(opt0=SCRIPT, opt1=depth(8), script=batch,
                                  server=body_reply(MSG1_STUFFED) + b"-ERR no such message\r\n" + two
                                  + b"+OK 2 320\r\n+OK bye\r\n")
    s["pipe_close_mid_body"] = encode(opt0=SCRIPT | END_CLOSE, opt1=depth(8), script=batch,
                                      server=body_reply(MSG1_STUFFED) + b"-ERR no\r\n+OK\r\nsec")
    s["pipe_only_first"] = encode(opt0=SCRIPT | END_TIMEOUT, opt1=depth(8), script=batch,
                                  server=body_reply(MSG1_STUFFED))
    s["pipe_reply_too_many"] = encode(opt0=SCRIPT, opt1=depth(8), script=bytes([op("STAT"), op("NOOP")]),
                                      server=b"+OK 2 320\r\n+OK\r\n+OK one too many\r\n")
    s["pipe_dele_held"] = encode(opt0=SCRIPT, opt1=depth(8),
                                 script=bytes([op("RETR"), op("DELE"), op("TOP", 2), op("DELE", 2), op("QUIT")]),
                                 server=body_reply(b"a\r\n") + b"+OK deleted\r\n" + body_reply(b"b\r\n")
                                 + b"+OK deleted\r\n+OK bye\r\n")
    s["pipe_capa_drops_it"] = encode(opt0=SCRIPT, opt1=depth(8),
                                     script=bytes([op("STAT"), op("CAPA"), op("NOOP"), op("RSET"), op("NOOP"),
                                                   op("QUIT")]),
                                     server=b"+OK 2 320\r\n" + lines(b"+OK", b"USER", b".") + b"+OK\r\n" * 3
                                     + b"+OK bye\r\n")
    s["pipe_queue_refill"] = encode(opt0=SCRIPT | TX_BIG, opt1=depth(8), act=bytes([0x0A, 0x7B, CONT]),
                                    script=bytes([op("NOOP")] * 12 + [op("QUIT")]), split=bytes([6]),
                                    server=b"+OK\r\n" * 16 + b"+OK bye\r\n")
    # A hostile server answering commands not yet sent (opt0 bit 7): the replies
    # to the two on the wire and one more, in one chunk (the reply-after-command check).
    # A well-behaved server answers STAT and LIST while the rest of the batch is still
    # blocked in send: this once ended the session as a protocol violation.
    s["pipe_partial_send_early_answer"] = encode(opt1=depth(8), send=bytes([8, WOULD_BLOCK]), server=REPLY_OK)
    s["pipe_behind_quit"] = encode(opt0=SCRIPT, opt1=depth(8), script=bytes([op("STAT"), op("QUIT"), op("NOOP")]),
                                   server=b"+OK 2 320\r\n+OK bye\r\n+OK\r\n")
    s["pipe_early_inject"] = encode(opt0=SCRIPT | EARLY_REPLIES, opt1=depth(2),
                                    script=bytes([op("STAT"), op("NOOP"), op("DELE"), op("QUIT")]),
                                    server=b"+OK 2 320\r\n+OK\r\n+OK deleted\r\n+OK bye\r\n")
    return s


CAPA_TLS_PIPE = lines(b"+OK", b"TOP", b"UIDL", b"USER", b"PIPELINING", b".")
CAPA_PLAIN_PIPE = lines(b"+OK", b"TOP", b"UIDL", b"USER", b"pipelining", b".")


def session_seeds():
    s = {}
    # CAPA_STLS advertises PIPELINING, make_seeds.CAPA_TLS does not: never pipelined after TLS.
    s["pipe_stls_plain_only"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, script=pad(8),
                                       server=GREET + CAPA_STLS + b"+OK go\r\n"
                                       + lines(b"+OK", b"USER", b".") + b"+OK\r\n+OK\r\n" + AFTER_LOGIN)
    s["pipe_stls_both"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, script=pad(8),
                                 server=GREET + CAPA_STLS + b"+OK go\r\n" + CAPA_TLS_PIPE + b"+OK\r\n+OK\r\n"
                                 + AFTER_LOGIN)
    s["pipe_stls_both_bytewise"] = encode(opt0=TLS_BOUNDARY, opt1=STLS, script=pad(3), split=b"\x01",
                                          server=GREET + CAPA_STLS + b"+OK go\r\n" + CAPA_TLS_PIPE
                                          + b"+OK\r\n+OK\r\n" + AFTER_LOGIN)
    s["pipe_plain_login"] = encode(opt1=PLAIN_OK, script=pad(8),
                                   server=GREET + CAPA_PLAIN_PIPE + b"+OK\r\n+OK\r\n" + AFTER_LOGIN)
    # APOP is one line: it must still go out alone (AUTHORIZATION), the batch after its +OK.
    s["pipe_plain_apop"] = encode(opt1=PLAIN_OK | APOP, script=pad(5), split=bytes([7, 30]),
                                              server=GREET + CAPA_PLAIN_PIPE + b"+OK\r\n" + AFTER_LOGIN)
    s["pipe_plain_login_err"] = encode(opt1=PLAIN_OK, script=pad(8),
                                       server=GREET + CAPA_PLAIN_PIPE + b"+OK\r\n-ERR [AUTH] no\r\n")
    return s
