/* An in-memory POP3 server (RFC 1939) for the poll tests: a maildrop that
 * outlives sessions, and one session at a time fed the client's command
 * lines (through ps_send as the client's transport.send) and answering into
 * a reply buffer the harness hands to pop3_on_input() in pieces.
 * Greeting, CAPA, USER/PASS, STAT, LIST, UIDL, RETR (dot-stuffed), DELE
 * (marked; applied only when QUIT succeeds: a session that ends any other way
 * deletes nothing), RSET, NOOP, QUIT. Commands are answered one at a time:
 * a line that arrives while a reply is still undelivered is a client bug. */
#ifndef POLL_SERVER_H
#define POLL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PS_MAX_MSGS 96
#define PS_OUT_CAP (64U * 1024U)

typedef struct ps_msg {
    const char *uid;
    const char *text; /* CRLF lines, ends with CRLF */
    bool present;     /* false once a committed DELE removed it */
} ps_msg_t;

typedef enum { PS_OFF = 0, PS_USER, PS_PASS, PS_TRANS, PS_DONE } ps_state_t;

typedef struct ps_server {
    ps_msg_t msg[PS_MAX_MSGS];
    unsigned n;
    const char *user, *pass;
    unsigned retr_err; /* maildrop index + 1 whose RETR gets -ERR; 0: none */
    unsigned dele_err; /* maildrop index + 1 whose DELE gets -ERR; 0: none */
    bool uidl_err;     /* UIDL gets -ERR */
    bool uidl_reverse; /* the UIDL listing comes highest number first */
    bool quit_err;     /* QUIT in TRANSACTION gets -ERR and removes nothing */
    /* the session */
    ps_state_t state;
    unsigned map[PS_MAX_MSGS]; /* session message number - 1 -> maildrop index */
    bool marked[PS_MAX_MSGS];
    unsigned nmap;
    char line[512];
    size_t line_len;
    char out[PS_OUT_CAP];
    size_t out_len, out_pos; /* the reply being delivered: [out_pos, out_len) */
    char last_cmd[8];        /* verb of the last command line ("RETR", ...) */
    unsigned last_arg;
    /* counts over the server's life */
    unsigned lines, uidls, retrs, deles_committed, sessions, protocol_errors;
} ps_server_t;

void ps_init(ps_server_t *s, const char *user, const char *pass);
void ps_add(ps_server_t *s, const char *uid, const char *text);
/* A connection opens: the session starts and the greeting is queued. */
void ps_connect(ps_server_t *s);
/* The connection is gone without a successful QUIT: the marks are dropped. */
void ps_drop(ps_server_t *s);
/* transport.send: takes every octet; each complete line is answered. */
long ps_send(void *ctx, const uint8_t *data, size_t len);
/* The reply not yet delivered. */
static inline size_t ps_pending(const ps_server_t *s) { return s->out_len - s->out_pos; }
static inline const char *ps_pending_data(const ps_server_t *s) { return s->out + s->out_pos; }
void ps_consumed(ps_server_t *s, size_t n);
/* Messages still in the maildrop, and whether one (by UID) is. */
unsigned ps_count(const ps_server_t *s);
bool ps_has(const ps_server_t *s, const char *uid);

#endif
