/**
 * @file pop3_sasl.h
 * @brief SASL AUTH (RFC 5034) of the POP3 client: mechanisms, credentials and
 *        pop3_auth(). Included by pop3.h (include that one).
 */
#ifndef POP3_SASL_H
#define POP3_SASL_H

#ifndef POP3_H
#error "include pop3.h, not pop3_sasl.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct pop3_client;

/* ---- SASL (RFC 5034 AUTH) types ------------------------------------------ */

/**
 * SASL mechanisms, weakest first within each family. Bit (1 << mech) of
 * pop3_sasl_mechs() says the server offered it in CAPA's SASL line.
 */
typedef enum pop3_sasl_mech {
    POP3_SASL_BEST = 0,        /**< The strongest one the server offers that fits the secret (see pop3_auth()). */
    POP3_SASL_LOGIN,           /**< Password: user and password each in a reply to a challenge. */
    POP3_SASL_PLAIN,           /**< Password: RFC 4616. */
    POP3_SASL_CRAM_MD5,        /**< Password: RFC 2195 (HMAC-MD5). Needs POP3_SASL_CRAM_MD5_ENABLE. */
    POP3_SASL_SCRAM_SHA_1,     /**< Password: RFC 5802, server signature verified. Needs POP3_SASL_SCRAM_ENABLE. */
    POP3_SASL_SCRAM_SHA_256,   /**< Password: RFC 7677, server signature verified. Needs POP3_SASL_SCRAM_ENABLE. */
    POP3_SASL_XOAUTH2,         /**< OAuth 2.0 bearer token: Google's and Microsoft's XOAUTH2. */
    POP3_SASL_OAUTHBEARER,     /**< OAuth 2.0 bearer token: RFC 7628. */
    POP3_SASL_MECH_COUNT_      /**< Number of values (not a mechanism). */
} pop3_sasl_mech_t;

/**
 * Reads octets [@p offset, @p offset + @p len) of a secret kept elsewhere
 * (flash, a secure element). Must fill all @p len octets; returns false if it
 * cannot (the exchange then ends, see pop3_auth()). Called only from the
 * core's own calls into the port's send path and from pop3_auth().
 */
typedef bool (*pop3_secret_read_fn)(void *ctx, size_t offset, uint8_t *buf, size_t len);

/**
 * What a SASL login needs. The caller owns this structure and everything it
 * points to, and keeps them unchanged until on_done reports POP3_CMD_AUTH:
 * unlike other commands, a secret of any length is streamed from here to the
 * wire in pieces instead of being copied into tx_buf.
 */
typedef struct pop3_sasl_creds {
    const char *user;         /**< Authentication identity (NUL-terminated; required). */
    const char *authzid;      /**< Authorisation identity to act as (PLAIN, OAUTHBEARER); NULL or "" for none
                                   (OAUTHBEARER then sends the user as a=, as Gmail and Dovecot expect). */
    const char *secret;       /**< Password or OAuth 2.0 access token (NUL-terminated); NULL to use read_secret. */
    pop3_secret_read_fn read_secret; /**< Used when secret is NULL. */
    void *read_ctx;           /**< First argument of read_secret. */
    size_t secret_len;        /**< With read_secret: the secret's length in octets. */
    bool is_token;            /**< The secret is an OAuth token: POP3_SASL_BEST then picks only OAuth mechanisms. */
    /** Random octets for the SCRAM client nonce (mbedtls_ctr_drbg_random fits); returns 0 on success. */
    int (*rng)(void *ctx, unsigned char *buf, size_t len);
    void *rng_ctx;            /**< First argument of rng. */
} pop3_sasl_creds_t;

#if POP3_SASL_ENABLE
/** @cond PRIVATE: the one SASL exchange (pop3_sasl.c). */
typedef struct pop3_sasl_state {
    const pop3_sasl_creds_t *creds; /* the caller's, until AUTH is reported */
    const char *peer;  /* SCRAM: the combined nonce, inside line_buf while client-final streams */
    size_t peer_len;
    size_t secret_len; /* octets of the password or token */
    size_t left;       /* raw octets of the response still to encode */
    size_t seg_off;    /* octets of the current segment done */
    uint8_t asked;     /* pop3_sasl_mech_t the application named */
    uint8_t mech;      /* the one in use */
    uint8_t step;      /* responses sent so far (the AUTH line's initial response counts) */
    uint8_t line;      /* the line being sent: the AUTH line, a response, or "*" */
    uint8_t resp;      /* the message it carries in base64 (none: an empty line) */
    uint8_t emit;      /* position in that line: prefix, base64, CR LF, done */
    uint8_t seg;       /* segment of the message being encoded */
    uint8_t esc;       /* octets of a "=2C"/"=3D" escape already emitted */
    uint8_t fault;     /* pop3_status_t to report once the server answered "*" (0: none) */
    bool ir;           /* the AUTH line carried the initial response */
    bool cancel;       /* pop3_auth_cancel(): answer the next challenge with "*" */
    bool rejected;     /* OAuth: the server sent its error challenge */
    union {
        char cram_hex[32];
        struct {
            char cnonce[POP3_SCRAM_CNONCE_LEN];
            char proof[44];        /* base64 ClientProof (28 for SHA-1) */
            uint8_t proof_len;
            uint8_t server_sig[32]; /* expected ServerSignature */
        } scram;
        struct {
            char status[POP3_OAUTH_STATUS_MAX_LEN];
            char scope[POP3_OAUTH_SCOPE_MAX_LEN];
            uint8_t status_len;
            uint8_t scope_len;
        } oauth;
    } u;
} pop3_sasl_state_t;
/** @endcond */
#endif

#if POP3_SASL_ENABLE
/**
 * SASL AUTH (RFC 5034), one command for the whole exchange: reported once, as
 * POP3_CMD_AUTH. Needs POP3_SASL_ENABLE.
 *
 * The mechanism is chosen when the command's turn comes (CAPA known):
 * - a named @p mech is used if the server's CAPA lists it, or if the server
 *   listed no SASL mechanisms at all (it then answers for itself); if CAPA
 *   lists others but not this one, AUTH ends with POP3_ERR_SECURITY, nothing
 *   sent. There is never a fallback to another mechanism.
 * - POP3_SASL_BEST takes the strongest offered: for a token (creds->is_token)
 *   OAUTHBEARER, then XOAUTH2; for a password SCRAM-SHA-256, SCRAM-SHA-1,
 *   CRAM-MD5, PLAIN, LOGIN (those compiled in). None offered: POP3_ERR_SECURITY.
 *
 * Every mechanism follows pop3_login()'s plaintext policy: with
 * POP3_SEC_PLAINTEXT it needs allow_plaintext_login, else POP3_ERR_SECURITY.
 * The initial response goes on the AUTH line when the whole line fits in
 * POP3_CMD_MAX_LEN; otherwise after the server's empty "+" continuation
 * (with or without a trailing space). No mechanism here has an empty initial
 * response, so "=" is never sent.
 * Responses of any length are base64-encoded straight from @p creds into the
 * last POP3_SASL_PIECE_LEN octets of tx_buf, piece by piece, each piece wiped
 * once sent. The trace shows "AUTH <MECH>" and "***" for every response.
 * AUTH is a barrier: commands queued behind it wait until it completed.
 *
 * on_done(POP3_CMD_AUTH, status):
 * - POP3_OK: logged in (SCRAM: the server's signature was verified first).
 * - POP3_ERR_AUTH: -ERR (text and response code such as [AUTH], [SYS/TEMP]
 *   in the reply). POP3_ERR_AUTH_TOKEN: an OAuth token was refused (the
 *   server's error challenge, or -ERR [AUTH] after the token): reply.oauth_status / oauth_scope carry the JSON's fields when
 *   sent. Both leave the session in AUTHORIZATION, usable.
 * - POP3_ERR_PROTOCOL (invalid base64, a challenge the mechanism cannot
 *   take, a continuation after the last step, +OK before the last step) or
 *   POP3_ERR_SECURITY (a wrong SCRAM server signature, a SCRAM nonce or
 *   iteration count refused, +OK before the signature): if the exchange was
 *   still open "*" is sent first and the server's answer awaited; no
 *   credential octet is sent after the fault. The session then ends with the
 *   same status. A challenge longer than line_buf ends it at once
 *   (POP3_ERR_PROTOCOL).
 * - POP3_ERR_ABORTED: pop3_auth_cancel(), or read_secret, rng or an mbedTLS
 *   computation failed (if a response line was already under way the
 *   session ends: a line cannot be taken back).
 *
 * @param creds see pop3_sasl_creds_t (kept by the caller until on_done).
 * @return POP3_OK if queued; POP3_ERR_BAD_ARG: NULL or invalid strings (an
 *         empty user; a control octet in user or authzid; an empty secret or
 *         CR, LF or NUL in it; for an OAuth token, XOAUTH2/OAUTHBEARER or BEST
 *         with is_token, anything but printable ASCII without spaces: 0x01
 *         frames those payloads. The secret is checked now, also through
 *         read_secret), a mechanism not compiled in, a CRAM-MD5/SCRAM
 *         password over POP3_SASL_PASSWORD_MAX_LEN, SCRAM without rng or with
 *         an authzid; POP3_ERR_SECURITY: plaintext policy; POP3_ERR_QUEUE_FULL
 *         also while another AUTH is queued.
 */
pop3_status_t pop3_auth(struct pop3_client *c, pop3_sasl_mech_t mech, const pop3_sasl_creds_t *creds);
/**
 * Cancels the AUTH exchange: if it has not started it ends with
 * POP3_ERR_ABORTED unsent; if it is waiting for the server's next challenge,
 * that challenge is answered with "*" and AUTH ends POP3_ERR_ABORTED after the
 * server's -ERR (the session stays usable). A response line already being
 * sent is finished first. Does nothing without an AUTH in the queue.
 */
void pop3_auth_cancel(struct pop3_client *c);
/** Bits (1 << pop3_sasl_mech_t) of the mechanisms in the CAPA in force. */
uint32_t pop3_sasl_mechs(const struct pop3_client *c);
/** The mechanism the current (or last) AUTH uses: POP3_SASL_BEST until chosen. */
pop3_sasl_mech_t pop3_auth_mech(const struct pop3_client *c);
#endif
/** Wire name of a mechanism ("SCRAM-SHA-256"; "BEST" for POP3_SASL_BEST; "?" if out of range). */
const char *pop3_sasl_mech_name(pop3_sasl_mech_t mech);
/**
 * Mechanism of a name, case-insensitive ("best" gives POP3_SASL_BEST).
 * @return true if known (also when compiled out: pop3_auth() then refuses it).
 */
bool pop3_sasl_mech_parse(const char *name, size_t len, pop3_sasl_mech_t *mech);

#ifdef __cplusplus
}
#endif

#endif /* POP3_SASL_H */
