/*
 * SASL AUTH side of the fuzz_session harness (fuzz_harness*.c): queues
 * pop3_auth() for script opcodes 12 and 13 with a non-zero high nibble (see
 * fuzz_harness.h), owns the credentials, and checks every octet the client sends in the exchange:
 *
 *   - line 0 is "AUTH <MECH>[ <base64>|=]" with the mechanism asked for (a
 *     real one for POP3_SASL_BEST), at most POP3_CMD_MAX_LEN octets, and the
 *     initial response is on it exactly when the whole line fits;
 *   - each further line is base64, empty or "*", nothing after "*", and the
 *     k-th one only once k continuations were offered (no pipelining into the
 *     exchange: AUTH is a barrier);
 *   - the decoded responses of PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER are the
 *     credentials exactly, however the sends were split;
 *   - the raw secret never goes out, never sits in tx_buf, and neither it nor
 *     any part of a response line shows up in a trace line;
 *   - once AUTH is reported, no 12-octet run of a response line is left in
 *     tx_buf (pieces wiped).
 */
#ifndef FUZZ_AUTH_H
#define FUZZ_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pop3.h"

/* A new run. @p decide returns the next ACT decision byte (read_secret failures). */
void fa_reset(uint8_t (*decide)(void));

/* Queues pop3_auth(@p mech): a password, or with @p token an OAuth token
 * (OAuth mechanisms always get one); @p read: the secret through read_secret
 * (the OAuth token is then 600 octets long). */
pop3_status_t fa_queue(pop3_client_t *c, pop3_sasl_mech_t mech, bool token, bool read);

/* on_done(AUTH): the credentials are free again, the exchange is over. */
void fa_reported(void);
/* The AUTH in flight starts sending. */
void fa_begin(void);
/* @p n octets of it were accepted by the port; @p conts: continuations
 * offered to the core so far in this exchange. */
void fa_sent(const uint8_t *p, size_t n, int conts);
/* Complete lines sent in the current exchange (the AUTH line included). */
int fa_lines(void);
/* A sent-direction trace line while AUTH is the head command. */
void fa_trace(const char *line, size_t len);
/* The client's tx_buf (checked for response octets once AUTH is reported). */
void fa_set_tx(const char *tx_buf, size_t tx_len);
/* After a core call in which AUTH was reported: the exchange's octets are gone
 * from tx_buf and were never in a trace. */
void fa_end(void);
/* The raw secret of this run is nowhere in @p buf. */
void fa_check_no_secret(const char *what, const void *buf, size_t len);
/* Whether the current exchange began (an AUTH line went out). */
bool fa_active(void);

#endif
