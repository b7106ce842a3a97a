/*
 * libFuzzer target: a whole session, STLS and authentication included.
 *
 * The server bytes start at the greeting. Fake TLS is the identity: after
 * start_tls the harness calls pop3_on_tls_done() with the outcome opt1 says,
 * and the following bytes count as decrypted.
 *
 * Input format: see fuzz_harness.h; opt1 (byte 1) here:
 *   bits 0-1  security: 0 STLS, 1 IMPLICIT_TLS, 2 PLAINTEXT,
 *             3 PLAINTEXT + allow_plaintext_login
 *   bit  2    authenticate with APOP (1) or USER/PASS (0)
 *   bit  3    queue the login and script before connecting (1), or from
 *             on_done(CONNECT, OK) (0)
 *   bits 4-5  handshake outcome: 0 OK, 1 POP3_ERR_CERT, 2 POP3_ERR_TLS,
 *             3 one plaintext octet reaches the core before the handshake
 *             ends (then OK)
 *   bit  6    start_tls returns -1
 *   bit  7    no automatic login step (the script alone)
 * pipeline_depth - 1 is the SCRIPT section's length & 7 (with the default
 * script its bytes are not used: a length alone sets the depth).
 * Default script (opt0 bit 5 clear): login or APOP, STAT, LIST, UIDL, RETR 1,
 * DELE 1, QUIT.
 * Seeds: test/fuzz/corpus/fuzz_session/, written by test/fuzz/make_seeds.py.
 *
 * Invariants, beyond those of fuzz_reply: no "USER"/"PASS"/"APOP" (nor the
 * password) in the bytes sent before pop3_on_tls_done(OK) in STLS/IMPLICIT
 * modes, nothing at all sent before it with IMPLICIT_TLS, and never any
 * without allow_plaintext_login in PLAINTEXT; CONNECT/LOGIN/APOP OK never
 * without TLS when TLS is required; start_tls only after STLS was sent, once,
 * from inside pop3_on_input, and only when the "+OK" line ended the chunk
 * (bytes after it in the same chunk never lead to a handshake); no send,
 * start_tls or close after the close; the password never left in tx_buf
 * once PASS was sent (never there with APOP) and never in a trace; every
 * on_done exactly once, CONNECT first.
 * SASL AUTH (script opcode 13 with a high nibble, seeds auth_*): no "AUTH"
 * before TLS either, AUTH OK never without TLS when it is required, and the
 * exchange checks of fuzz_auth.h (lines, decoded credentials, barrier,
 * secrets out of tx_buf and traces, OAuth fields only with
 * POP3_ERR_AUTH_TOKEN).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_run(data, size, FZ_TARGET_SESSION);
}
