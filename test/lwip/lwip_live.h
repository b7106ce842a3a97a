/*
 * One session of the lwIP port against the Dovecot fixture, and the fixture's
 * environment (lwip_live_session.c), used by the tests: lwip_live.c (sessions,
 * DELE, certificates, names, and main()), lwip_live_pause.c (pauses) and
 * lwip_live_sasl.c (the SASL logins).
 */
#ifndef POP3_LWIP_LIVE_H
#define POP3_LWIP_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pop3.h"
#include "pop3_lwip.h"

/* ---- growable byte buffer (test code) ---- */
typedef struct {
    char *data;
    size_t len, cap;
} buf_t;

#define MAX_RESULTS 16

typedef struct {
    pop3_cmd_t cmd;
    pop3_status_t st;
    uint32_t count;
    uint64_t octets;
    buf_t data; /* body (RETR/TOP) or "N UID\n" lines (UIDL) */
    /* AUTH: the refused token's JSON fields, as the reply carried them ("" if none) */
    char oauth_status[96];
    char oauth_scope[96];
} result_t;

typedef struct session {
    pop3_client_t client;
    pop3_lwip_t port;
    pop3_tls_t tls;
    pop3_tls_config_t tc;
    char line_buf[1024];
    char tx_buf[2 * POP3_MIN_TX_BUF_LEN];
    pop3_status_t connect_st;
    bool connect_done;
    result_t res[MAX_RESULTS];
    int n_res;
    buf_t cur;
    /* pause control (pause tests) */
    size_t pause_at[4];
    int n_pause, next_pause;
    size_t body_total;
    bool want_pause_now;
} session_t;

typedef enum { M_PLAIN, M_STLS, M_TLS } mode_t_;

/* the fixture's DIR/env */
extern char fix_dir[512];
extern unsigned pop3_port, pop3s_port;
extern char alice_pw[64];
extern char bob_pw[64];
extern unsigned msg_small, msg_dots, msg_mid;

/** Reads DIR/env into the above (exits 77 without a fixture, 1 if incomplete). */
void load_env(const char *dir);
/** connect_timeout_ms for the next session_setup() (0: the default). */
extern uint32_t next_connect_timeout_ms;

/** DIR/name, whole, NUL-terminated (malloc'd; exits on error). */
char *read_file(const char *name, size_t *len);
void buf_free(buf_t *b);
/** tls_host / ca: NULL for "localhost" / "ca.pem". */
void session_setup(session_t *s, mode_t_ mode, const char *tls_host, const char *ca);
void session_connect(session_t *s, mode_t_ mode);
/** Pause hook: called by the loop while the client is paused; returns true to resume. */
typedef bool (*pause_fn)(session_t *s);
void session_run(session_t *s, double limit_s, pause_fn on_paused);
void session_free(session_t *s);
/** Result i, which must be for cmd (a failed check otherwise, and NULL). */
const result_t *result(const session_t *s, int i, pop3_cmd_t cmd);
void expect_connect(const session_t *s, pop3_status_t want);
/** Result i is cmd with POP3_OK. */
void expect_ok(const session_t *s, int i, pop3_cmd_t cmd);
/** Queues pop3_login() as alice. */
void login_alice(session_t *s);
/** pbufs in use (lwIP's pools). */
size_t pool_used(void);

/** Seconds on the monotonic clock. */
double now_s(void);
/** Body received equals DIR/file, octet for octet (a failed check otherwise). */
void expect_bytes(const char *what, const buf_t *got, const char *file);
extern unsigned msg_big;

/** lwip_live_pause.c: RETR of the big message, paused three times (TEST pause-plain, pause-tls). */
void test_pause(mode_t_ mode);
/** lwip_live_sasl.c: the SASL logins over STLS or POP3S (TEST sasl-stls, sasl-tls). */
void test_sasl(mode_t_ mode, bool oauthbearer);

#endif
