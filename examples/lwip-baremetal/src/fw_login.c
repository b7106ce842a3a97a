/**
 * @file fw_login.c
 * @brief The firmware's login. USER/PASS from FW_POP3_USER/FW_POP3_PASS, or,
 *        when an OAuth 2.0 access token is configured, SASL XOAUTH2 (what
 *        Exchange Online, Outlook.com and Gmail take instead of a password).
 *
 * The token is never copied: the core base64-encodes it straight into the
 * last POP3_SASL_PIECE_LEN octets of tx_buf as the connection drains, so a
 * token of any length (Microsoft's exceed 2,500 octets) costs no RAM of its
 * size. From memory (FW_POP3_OAUTH2_TOKEN, a NUL-terminated string), or read
 * piece by piece from wherever the product keeps it (FW_POP3_OAUTH2_TOKEN_READ,
 * a pop3_secret_read_fn, with FW_POP3_OAUTH2_TOKEN_LEN octets): external
 * flash, a secure element. Access tokens expire (about an hour at Microsoft
 * and Google): the product refreshes them with its refresh token (OAuth 2.0
 * device authorization grant, RFC 8628, for a device without a browser) and
 * app_oauth_token_refused() tells it when the server refused one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "board.h"
#include "fw_login.h"

/* Same settings header as main.c (a board's macros may expand to run-time values). */
#ifdef FW_BOARD_CONFIG
#include FW_BOARD_CONFIG
#endif

#ifndef FW_POP3_USER
#define FW_POP3_USER "device-0001" /* also the XOAUTH2 user (the mailbox's address) */
#endif
#ifndef FW_POP3_PASS
#define FW_POP3_PASS "change-me" /* a product reads this from protected storage */
#endif
#ifndef FW_POP3_OAUTH2_TOKEN
#define FW_POP3_OAUTH2_TOKEN "" /* non-empty: log in with XOAUTH2 and this access token */
#endif
#ifndef FW_POP3_OAUTH2_TOKEN_LEN
#define FW_POP3_OAUTH2_TOKEN_LEN 0U /* non-zero: FW_POP3_OAUTH2_TOKEN_READ supplies the token */
#endif

/*
 * Hook: the server refused the OAuth token (POP3_ERR_AUTH_TOKEN): fetch a new
 * access token with the refresh token before the next session; retrying the
 * same one fails again. @p status / @p scope: the server's JSON fields (not
 * NUL-terminated; NULL if it sent none). Weak: replace it.
 */
__attribute__((weak)) void app_oauth_token_refused(const char *status, size_t status_len,
                                                   const char *scope, size_t scope_len)
{
    (void)status;
    (void)status_len;
    (void)scope;
    (void)scope_len;
}

#if POP3_SASL_ENABLE
/* The core reads these until AUTH is reported: they must outlive the call. */
static pop3_sasl_creds_t fw_creds;
#endif

static bool fw_token_set(void)
{
    const char *token = FW_POP3_OAUTH2_TOKEN;

    return (FW_POP3_OAUTH2_TOKEN_LEN) != 0U || token[0] != '\0';
}

pop3_status_t fw_login_start(pop3_client_t *c)
{
    if (fw_token_set()) {
#if POP3_SASL_ENABLE
        memset(&fw_creds, 0, sizeof fw_creds);
        fw_creds.user = FW_POP3_USER;
        fw_creds.is_token = true;
#ifdef FW_POP3_OAUTH2_TOKEN_READ
        if ((FW_POP3_OAUTH2_TOKEN_LEN) != 0U) {
            fw_creds.read_secret = FW_POP3_OAUTH2_TOKEN_READ;
            fw_creds.secret_len = FW_POP3_OAUTH2_TOKEN_LEN;
        } else
#endif
        {
            fw_creds.secret = FW_POP3_OAUTH2_TOKEN;
        }
        fw_log_str("login: AUTH XOAUTH2");
        return pop3_auth(c, POP3_SASL_XOAUTH2, &fw_creds);
#else
        fw_log_str("login: an OAuth token is set, but this build has no SASL (POP3_SASL_ENABLE 0)");
        return POP3_ERR_BAD_ARG; /* never the password instead: the settings asked for the token */
#endif
    }
    /* Formatted into tx_buf now; the core wipes the password once sent. */
    return pop3_login(c, FW_POP3_USER, FW_POP3_PASS);
}

void fw_login_failed(pop3_status_t st, const pop3_reply_t *r)
{
    if (st != POP3_ERR_AUTH_TOKEN) {
        return;
    }
    fw_log_str("  OAuth token refused: refresh it");
    if (r->oauth_status != NULL) {
        fw_log_text("  oauth status", r->oauth_status, r->oauth_status_len);
    }
    if (r->oauth_scope != NULL) {
        fw_log_text("  oauth scope", r->oauth_scope, r->oauth_scope_len);
    }
    app_oauth_token_refused(r->oauth_status, r->oauth_status_len, r->oauth_scope, r->oauth_scope_len);
}
