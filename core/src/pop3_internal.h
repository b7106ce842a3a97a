/* Private declarations shared by the core's source files. Not installed. */
#ifndef POP3_INTERNAL_H
#define POP3_INTERNAL_H

#include "pop3.h"

/* Internal steps share the queue with user commands; they follow the public ids. */
enum {
    POP3_X_CAPA_AUTO = POP3_CMD_COUNT_, /* CAPA sent by the core itself (before/after STLS) */
    POP3_X_STLS,
    POP3_X_USER /* first half of pop3_login(); PASS is reported as POP3_CMD_LOGIN */
};

/* Queue entry flags. */
enum {
    POP3_QF_SECRET = 1U << 0 /* text after `pub_len` octets is a secret: masked in traces, wiped */
};

/* How incoming bytes are parsed now. */
enum {
    POP3_RX_IDLE = 0, /* nothing expected: any byte is a protocol violation */
    POP3_RX_STATUS,   /* a status line (+OK / -ERR) */
    POP3_RX_LINES,    /* lines of a multi-line reply (CAPA, LIST, UIDL) */
    POP3_RX_BODY      /* dot-stuffed body of RETR / TOP (or a dropped multi-line tail) */
};

/* Position in the body automaton; see pop3_body.c. */
enum { POP3_B_BOL = 0, POP3_B_MID, POP3_B_MID_CR, POP3_B_DOT, POP3_B_DOT_CR };

/* Result of classifying a status line. */
typedef enum { POP3_LINE_OK, POP3_LINE_ERR, POP3_LINE_BAD } pop3_line_kind_t;

/* --- pop3_parse.c: pure functions, no client state --- */
pop3_line_kind_t pop3_parse_status(const char *line, size_t len, const char **text, size_t *text_len);
pop3_resp_code_t pop3_parse_resp_code(const char *text, size_t len);
bool pop3_parse_u64(const char **p, const char *end, uint64_t *out);
bool pop3_parse_u32(const char **p, const char *end, uint32_t *out);
bool pop3_skip_spaces(const char **p, const char *end);
uint32_t pop3_capa_bit(const char *line, size_t len);
bool pop3_uid_valid(const char *uid, size_t len);
bool pop3_apop_timestamp(const char *text, size_t len, const char **ts, size_t *ts_len);
bool pop3_arg_valid(const char *s, size_t *len);

/* --- pop3_body.c: input side --- */
size_t pop3_rx_line(pop3_client_t *c, const uint8_t *data, size_t len);
size_t pop3_rx_body(pop3_client_t *c, const uint8_t *data, size_t len);

/* --- pop3_client.c: reply handling called by the input side --- */
void pop3_handle_line(pop3_client_t *c, const char *line, size_t len);
void pop3_body_done(pop3_client_t *c);
void pop3_fail(pop3_client_t *c, pop3_status_t status, bool close_transport);
pop3_cb_action_t pop3_deliver_body(pop3_client_t *c, const char *data, size_t len);

/* --- pop3_apop.c --- */
#if POP3_APOP_ENABLE
/* Writes 32 lower-case hex digits of MD5(timestamp || secret) to out. */
bool pop3_apop_digest(const char *ts, size_t ts_len, const char *secret, size_t secret_len, char out[32]);
#endif

/* Overwrite memory in a way the compiler may not drop. */
void pop3_wipe(void *p, size_t len);

#endif /* POP3_INTERNAL_H */
