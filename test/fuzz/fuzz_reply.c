/*
 * libFuzzer target: reply parser and body stream.
 *
 * The client runs PLAINTEXT with allow_plaintext_login. A fixed server prefix
 * (greeting with an APOP timestamp, CAPA, +OK to USER and PASS) is fed first
 * without fuzzed decisions, so every input starts in TRANSACTION; then a
 * command script runs (default: STAT, LIST, UIDL, LIST 1, UIDL 1, RETR 1,
 * TOP 1 0, NOOP, DELE 1, RSET, QUIT) against the fuzzed server bytes, split,
 * paused, aborted and ticked as the input says.
 *
 * Input format: see fuzz_harness.h; opt1 (byte 1) here: bit 0 the fixed
 * prefix's CAPA advertises PIPELINING, bits 1-3 pipeline_depth - 1 (so 0:
 * one command at a time, as before pipelining), bits 4-7 unused (keep 0).
 * Seeds: test/fuzz/corpus/fuzz_reply/, written by test/fuzz/make_seeds.py.
 *
 * Invariants (abort() on violation): every command's on_done exactly once,
 * in queue order, none after the session closed except those the close
 * reports; RETR/TOP POP3_OK only when the end marker arrived, with the body
 * equal to a reference unstuffer's output, and every delivered body a prefix
 * of it, each run mapping to the right stream octets; no on_body of length 0;
 * no streaming callback while paused or after ABORT; callback pointers inside
 * the input chunk or the line buffer; pop3_on_input never returns more than
 * it was given, nor less unless paused or closed; the send contract (same
 * bytes again after a short send / would-block); sent commands equal the
 * queued ones; +OK/-ERR reports match the reply; LIST/UIDL/CAPA entry
 * counts; line_buf / tx_buf / each input chunk are exactly sized heap blocks.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_run(data, size, FZ_TARGET_REPLY);
}
