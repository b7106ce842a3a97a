/*
 * Flow control through the POSIX port against the real Dovecot:
 *
 *   posix_pause MODE HOST PORT CAFILE USER MSG EXPECTED_FILE
 *   (password from POP3_PASSWORD; MODE: plain | stls | tls)
 *
 * RETR MSG with an on_body callback that pauses every few calls. While
 * paused the loop keeps polling and checks that no body byte arrives and
 * that the session does not time out; then it resumes. The delivered bytes
 * must equal EXPECTED_FILE, RETR must end POP3_OK, the session POP3_OK.
 * Over TLS this exercises the adapter's held plaintext (pop3_tls_pump).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"
#include "pop3_posix.h"

#define PAUSE_EVERY 7
#define PAUSED_ROUNDS 3
#define LONG_PAUSE_ROUNDS 600

typedef struct {
    pop3_client_t client;
    pop3_posix_t port;
    pop3_tls_t tls;
    char line_buf[1024];
    char tx_buf[1024];
    const char *user;
    const char *pass;
    uint32_t msg;
    FILE *expected;
    uint64_t delivered;
    unsigned long calls;
    unsigned long pauses;
    bool mismatch;
    bool paused;
    bool data_while_paused;
    pop3_status_t retr_status;
    bool retr_done;
} app_t;

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    app_t *a = ctx;

    (void)r;
    if (cmd == POP3_CMD_CONNECT && st == POP3_OK) {
        pop3_login(&a->client, a->user, a->pass);
        pop3_retr(&a->client, a->msg);
        pop3_quit(&a->client);
    } else if (cmd == POP3_CMD_RETR) {
        a->retr_status = st;
        a->retr_done = true;
    } else if (st != POP3_OK) {
        fprintf(stderr, "posix_pause: %s failed: %s\n", pop3_cmd_name(cmd), pop3_status_str(st));
    }
}

static pop3_cb_action_t on_body(void *ctx, const char *data, size_t len)
{
    app_t *a = ctx;
    char buf[65536];
    size_t done = 0;

    if (a->paused) {
        a->data_while_paused = true;
    }
    while (done < len) {
        size_t n = len - done < sizeof buf ? len - done : sizeof buf;
        if (fread(buf, 1, n, a->expected) != n || memcmp(buf, data + done, n) != 0) {
            a->mismatch = true;
        }
        done += n;
    }
    a->delivered += len;
    a->calls++;
    if (a->calls % PAUSE_EVERY == 0) {
        a->paused = true;
        a->pauses++;
        return POP3_CB_PAUSE;
    }
    return POP3_CB_CONTINUE;
}

static pop3_security_t parse_mode(const char *m)
{
    if (strcmp(m, "plain") == 0) {
        return POP3_SEC_PLAINTEXT;
    }
    return strcmp(m, "tls") == 0 ? POP3_SEC_IMPLICIT_TLS : POP3_SEC_STLS;
}

int main(int argc, char **argv)
{
    static app_t a;
    pop3_tls_config_t tc;
    pop3_config_t cfg;
    pop3_status_t st;
    int rounds = 0;
    char extra;

    if (argc != 8 || getenv("POP3_PASSWORD") == NULL) {
        fprintf(stderr, "usage: POP3_PASSWORD=... posix_pause MODE HOST PORT CAFILE USER MSG EXPECTED\n");
        return 2;
    }
    a.user = argv[5];
    a.pass = getenv("POP3_PASSWORD");
    a.msg = (uint32_t)strtoul(argv[6], NULL, 10);
    a.expected = fopen(argv[7], "rb");
    if (a.expected == NULL) {
        perror(argv[7]);
        return 2;
    }
    memset(&tc, 0, sizeof tc);
    tc.host = argv[2];
    tc.ca_file = argv[4];
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = a.line_buf;
    cfg.line_buf_len = sizeof a.line_buf;
    cfg.tx_buf = a.tx_buf;
    cfg.tx_buf_len = sizeof a.tx_buf;
    cfg.security = parse_mode(argv[1]);
    cfg.allow_plaintext_login = cfg.security == POP3_SEC_PLAINTEXT;
    cfg.reply_timeout_ms = 2000; /* shorter than the pauses below: a paused session must not time out */
    cfg.callbacks.ctx = &a;
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_body = on_body;
    if (pop3_posix_init(&a.port, cfg.security == POP3_SEC_PLAINTEXT ? NULL : &tc,
                        cfg.security == POP3_SEC_PLAINTEXT ? NULL : &a.tls) != POP3_OK) {
        return 1;
    }
    cfg.transport = pop3_posix_transport(&a.port);
    if (pop3_init(&a.client, &cfg) != POP3_OK ||
        pop3_posix_connect(&a.port, &a.client, argv[2], (uint16_t)atoi(argv[3])) != POP3_OK) {
        fprintf(stderr, "posix_pause: connect failed\n");
        return 1;
    }
    for (;;) {
        if (a.paused) {
            /* Stay paused across several poll rounds, longer than the reply timeout. */
            if (++rounds > (a.pauses <= 2 ? LONG_PAUSE_ROUNDS : PAUSED_ROUNDS)) {
                rounds = 0;
                a.paused = false;
                pop3_resume(&a.client);
            }
        }
        /* 5 ms rounds: the first two pauses last ~3 s each, past the 2 s reply timeout. */
        if (pop3_posix_poll(&a.port, 5) != POP3_OK) {
            break;
        }
    }
    st = pop3_session_status(&a.client);
    pop3_posix_cleanup(&a.port);
    if (fread(&extra, 1, 1, a.expected) != 0) {
        a.mismatch = true; /* body shorter than the expected file */
    }
    fclose(a.expected);
    printf("posix_pause %s: %llu octets in %lu callbacks, %lu pauses, retr %s, session %s\n", argv[1],
           (unsigned long long)a.delivered, a.calls, a.pauses, pop3_status_str(a.retr_status),
           pop3_status_str(st));
    if (!a.retr_done || a.retr_status != POP3_OK || st != POP3_OK || a.mismatch || a.data_while_paused ||
        a.pauses == 0) {
        fprintf(stderr, "posix_pause: FAILED (mismatch=%d data_while_paused=%d)\n", a.mismatch,
                a.data_while_paused);
        return 1;
    }
    return 0;
}
