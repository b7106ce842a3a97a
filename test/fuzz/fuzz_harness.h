/*
 * Shared libFuzzer harness for the POP3 core (test/fuzz).
 *
 * INPUT FORMAT (both targets; test/fuzz/make_seeds.py writes it):
 *
 *   byte 0      opt0  bits 0-1  line_buf_len: 512, 513, 600, 1024 (heap, exact size)
 *                     bit  2    tx_buf_len: POP3_MIN_TX_BUF_LEN, or +100
 *                     bits 3-4  when the server bytes run out: 0 peer close
 *                               (pop3_on_closed TRANSPORT), 1 clock jumps far
 *                               (timeouts), 2 pop3_abort(), 3 pop3_on_closed(OK)
 *                     bit  5    command script from the input (1) or the target's
 *                               default script (0)
 *                     bit  6    fuzz_session: after STLS is sent, a chunk ends at
 *                               the first LF (a well-behaved server whose TLS
 *                               data follows the handshake); clear = chunks as
 *                               SPLIT says, so bytes after the "+OK" to STLS
 *                               may share its chunk (response injection)
 *                     bit  7    the server may answer before the command was
 *                               completely sent (hostile); clear = while the
 *                               core has unsent bytes (send returned 0), no
 *                               server bytes arrive, and if they stay unsent
 *                               the server waits for ever
 *   byte 1      opt1  target specific (see fuzz_reply.c / fuzz_session.c; the
 *                     pipeline_depth: fuzz_reply's opt1, fuzz_session's SCRIPT
 *                     section length)
 *   then four sections, each one length byte L followed by L bytes
 *   (a section cut short by the end of the input is simply shorter):
 *     SCRIPT    command opcodes (only with opt0 bit 5), queued in order as the
 *               queue has room: op = b & 15, n = (b >> 4) + 1:
 *               0 STAT  1 LIST  2 LIST n  3 UIDL  4 UIDL n  5 RETR n
 *               6 TOP n n-1  7 NOOP  8 DELE n  9 RSET  10 QUIT  11 CAPA
 *               12 login (USER/PASS); b > 12: pop3_auth(BEST) with a token
 *               13 APOP; b > 13, h = b >> 4: pop3_auth(), h 1-7 the
 *               pop3_sasl_mech_t h, 8 BEST with a password, 9-15 the
 *               mechanism h - 8 with the secret through read_secret
 *               (fuzz_auth.h)
 *               14 RETR 4294967295  15 TOP n 4294967295
 *     SPLIT     chunk pattern, cycled; empty = all remaining bytes at once.
 *               b = 0: all remaining bytes; else (b & 0x7F) octets (0 -> 128);
 *               b & 0x80: tick the clock first (delta from the ACT stream).
 *     ACT       decisions, cycled; empty = always "continue". One byte per
 *               streaming callback (on_body/on_list/on_uidl/on_capa), on_done,
 *               resume and tick. Callbacks: b & 15: 0-11 continue, 12-13 pause,
 *               14 return POP3_CB_ABORT, 15 call pop3_abort(). on_done:
 *               b & 15: 0-9 nothing, 10-13 queue the command (b >> 4) as an
 *               extra, 14 pop3_abort(), 15 pop3_resume(). Tick delta:
 *               {1, 50, 1000, 29999, 30000, 30001, 60000, 2^31-1}[b & 7] ms.
 *     SEND      what the fake transport's send accepts, cycled; empty = all.
 *               0: everything, 0xFF: 0 (would-block; pop3_on_writable comes
 *               later), 0xFE: -1 (transport error), else min(b, len).
 *   rest        the server's bytes, fed to pop3_on_input() in SPLIT chunks,
 *               each chunk copied into its own exactly sized heap block.
 *
 * PIPELINING (RFC 2449): the well-behaved fake server answers every command it has
 * completely received, in order, however many are on the wire; the core may
 * offer several command lines in one send only while pipelining is in force
 * (a login succeeded, a PIPELINING line among the server octets since TLS
 * came up, depth > 1, pop3_pipelining() true), at most depth on the wire, no
 * login command, QUIT or raw command among them, nothing behind QUIT, no DELE n behind an
 * unanswered RETR/TOP n (fuzz_harness_port.c check_pipelined()).
 * Every reply-based report is also checked to come from a reply that began
 * after its command was offered (it caught a core bug: a pipelined command
 * sent in the middle of pop3_on_input() took the already received octets
 * behind the current reply as its own reply; seed fuzz_reply/pipe_early_inject).
 */
#ifndef FUZZ_HARNESS_H
#define FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

enum { FZ_TARGET_REPLY = 0, FZ_TARGET_SESSION = 1 };

/* Runs one input; returns 0. Any invariant violation prints a report and abort()s. */
int fz_run(const uint8_t *data, size_t size, int target);

#endif
