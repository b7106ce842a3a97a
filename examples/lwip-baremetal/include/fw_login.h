/**
 * @file fw_login.h
 * @brief The firmware's login (src/fw_login.c): USER/PASS, or SASL XOAUTH2
 *        with an OAuth 2.0 access token when the settings hold one.
 */
#ifndef FW_LOGIN_H
#define FW_LOGIN_H

#include "pop3.h"

/**
 * Queues the login on a connected client: pop3_auth(POP3_SASL_XOAUTH2) when
 * a token is set (FW_POP3_OAUTH2_TOKEN, or FW_POP3_OAUTH2_TOKEN_READ with
 * FW_POP3_OAUTH2_TOKEN_LEN), else pop3_login() with FW_POP3_USER/FW_POP3_PASS.
 * Its completion is POP3_CMD_AUTH or POP3_CMD_LOGIN.
 */
pop3_status_t fw_login_start(pop3_client_t *c);

/** From on_done when POP3_CMD_LOGIN/POP3_CMD_AUTH failed (after the generic log line). */
void fw_login_failed(pop3_status_t st, const pop3_reply_t *r);

#endif /* FW_LOGIN_H */
