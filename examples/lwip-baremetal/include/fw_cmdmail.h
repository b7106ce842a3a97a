/**
 * @file fw_cmdmail.h
 * @brief The firmware's command mail: each session is one cmdmail_poll
 *        (examples/cmdmail/cmdmail_poll.h) that fetches the messages not seen
 *        yet, verifies their signed command blocks with this device's id and
 *        key, and hands the accepted commands to app_command(). The state
 *        (last Seq, pending Seq, seen UIDs) lives in the board's NV slots
 *        (board_nv_read/board_nv_write), so it survives resets.
 *
 * Settings (macros, -D or the board's FW_BOARD_CONFIG header):
 *   FW_CMDMAIL_DEVICE    this device's id (FORMAT.md: 1-32 of A-Z a-z 0-9 . _ -)
 *   FW_CMDMAIL_KEY_HEX   its HMAC-SHA256 key, 32-128 hex digits (16-64 octets); empty:
 *                        no key, no command mail. A product provisions a key of its own
 *                        per device (PORTING.md, "Command mail").
 *   FW_DELETE_ACCEPTED   1: DELE a message once its commands ran
 *   FW_DELETE_REFUSED    1: DELE unsigned, invalid, wrong-device, replayed, expired, oversized
 *                        (both default to FW_DELETE_AFTER_FETCH, default 0: leave on server)
 */
#ifndef FW_CMDMAIL_H
#define FW_CMDMAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pop3.h"

/** At boot: loads the NV state once and logs it (last Seq, and a pending Seq a reset interrupted). */
void fw_cmdmail_boot(void);

/** Sees every completion of the session (cmdmail_poll_config_t::on_done; ctx is NULL). */
typedef void (*fw_cmdmail_done_fn)(void *ctx, pop3_cmd_t cmd, pop3_status_t status, const pop3_reply_t *reply);

/**
 * Before pop3_init(): sets up the command-mail context (NV state, key) and the
 * poll, and fills @p cb with the poll's callbacks; their ctx is the poll. The
 * caller may wrap cb->on_body, forwarding with the same ctx.
 * @param on_done The poll's completion hook (NULL: none): called for every
 *                completion before the poll acts on it (cmdmail_poll.h).
 * @return false (logged): no session now (no key, NV read failed).
 */
bool fw_cmdmail_begin(pop3_callbacks_t *cb, fw_cmdmail_done_fn on_done);

/** After pop3_init(): the poll drives this client. */
void fw_cmdmail_attach(pop3_client_t *c);

/** The session is over: frees the context (the HMAC state goes back to mbedTLS's heap). */
void fw_cmdmail_end(void);

/**
 * Hook: run one accepted command (printable ASCII, NUL-terminated), number
 * @p index of the block with sequence number @p seq; return when it is done.
 * It runs at most once, ever (cmdmail.h). It is logged before this is
 * called ("cmd seq=N #i: text"); the weak default does nothing more.
 */
void app_command(uint64_t seq, size_t index, const char *cmd);

/** Hook: a message was fetched and judged (@p complete: its whole body arrived). Weak. */
void app_mail_end(const char *uid, size_t uid_len, bool complete);

#endif /* FW_CMDMAIL_H */
