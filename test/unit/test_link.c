/*
 * The plain/TLS link both ports share (port/mbedtls/pop3_link.c), on a fake
 * raw connection (a pop3_link_ops_t that records sends and closes and holds
 * scripted server bytes in runs, like a pbuf chain) with the real core and
 * the real TLS adapter: backpressure, end of stream only once drained, the
 * STLS refusal of plaintext held when TLS started, failure reported once,
 * cleanup, the TLS failure text, fail-closed IP hosts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pop3.h"
#include "pop3_link.h"

#define MAX_CUTS 8
#define MAX_DONE 16

typedef struct {
    uint8_t rx[2048];            /* server bytes; rx_off..rx_len held by the "port" */
    size_t rx_len, rx_off;
    size_t cut[MAX_CUTS];        /* run boundaries: a peek never crosses one */
    size_t n_cut;
    uint8_t sent[8192];
    size_t sent_len, seen;       /* seen: sent octets the script already answered */
    bool block;                  /* send would block */
    int closes;
    bool graceful;
    uint8_t ip_len;              /* what parse_ip reports for any host */
    const char *stls_reply;
    bool cut_after_stls_ok;      /* put a run boundary right after "+OK go\r\n" */
    bool pause_list;
    int list_entries;
    int n_done;
    pop3_cmd_t cmd[MAX_DONE];
    pop3_status_t st[MAX_DONE];
    pop3_link_t link;
    pop3_tls_t tls;
    pop3_tls_config_t tc;
    pop3_client_t c;
    char line_buf[POP3_MIN_LINE_BUF_LEN];
    char tx_buf[1024];
} fx_t;

static fx_t F;

/* ---- the fake raw connection ------------------------------------------------ */

static long fk_send(void *ctx, const uint8_t *data, size_t len)
{
    fx_t *f = ctx;

    if (f->block) {
        return 0;
    }
    assert_true(f->sent_len + len <= sizeof f->sent);
    memcpy(f->sent + f->sent_len, data, len);
    f->sent_len += len;
    return (long)len;
}

static void fk_close(void *ctx, bool graceful)
{
    fx_t *f = ctx;

    f->closes++;
    f->graceful = graceful;
    f->rx_off = f->rx_len; /* the port lets go of what it held */
}

static const uint8_t *fk_peek(void *ctx, size_t *len)
{
    fx_t *f = ctx;
    size_t end = f->rx_len;
    size_t i;

    for (i = 0; i < f->n_cut; i++) {
        if (f->cut[i] > f->rx_off && f->cut[i] < end) {
            end = f->cut[i];
        }
    }
    *len = end - f->rx_off;
    return f->rx + f->rx_off;
}

static void fk_take(void *ctx, size_t n)
{
    fx_t *f = ctx;

    assert_true(n <= f->rx_len - f->rx_off);
    f->rx_off += n;
}

static void fk_parse_ip(const char *host, pop3_tls_ip_t *ip)
{
    static const uint8_t lo[4] = { 127, 0, 0, 1 };

    (void)host;
    ip->len = F.ip_len;
    memcpy(ip->octets, lo, sizeof lo);
}

static const pop3_link_ops_t fk_ops = { fk_send, fk_close, fk_peek, fk_take, fk_parse_ip };

/* ---- a scripted server ------------------------------------------------------------ */

static void srv_put(const char *s)
{
    size_t n = strlen(s);

    assert_true(F.rx_len + n <= sizeof F.rx);
    memcpy(F.rx + F.rx_len, s, n);
    F.rx_len += n;
}

/** Answer every complete command line sent in plaintext since the last call. */
static void srv_answer(void)
{
    for (;;) {
        const uint8_t *start = F.sent + F.seen;
        const uint8_t *crlf;

        if (F.link.tls_on) {
            F.seen = F.sent_len; /* handshake records now: not ours to answer */
            return;
        }
        crlf = memchr(start, '\n', F.sent_len - F.seen);
        if (crlf == NULL) {
            return;
        }
        F.seen = (size_t)(crlf + 1 - F.sent);
        if (!memcmp(start, "CAPA", 4)) {
            srv_put("+OK\r\nUSER\r\nSTLS\r\n.\r\n");
        } else if (!memcmp(start, "STLS", 4)) {
            if (F.cut_after_stls_ok) {
                F.cut[F.n_cut++] = F.rx_len + 8; /* after "+OK go\r\n" */
            }
            srv_put(F.stls_reply != NULL ? F.stls_reply : "+OK go\r\n");
        } else if (!memcmp(start, "USER", 4) || !memcmp(start, "PASS", 4)) {
            srv_put("+OK\r\n");
        } else if (!memcmp(start, "STAT", 4)) {
            srv_put("+OK 2 320\r\n");
        } else if (!memcmp(start, "LIST", 4)) {
            srv_put("+OK\r\n1 120\r\n2 200\r\n.\r\n");
        } else if (!memcmp(start, "QUIT", 4)) {
            srv_put("+OK bye\r\n");
        } else {
            srv_put("-ERR unknown\r\n");
        }
    }
}

static void run(int rounds)
{
    for (int i = 0; i < rounds && !F.link.closed; i++) {
        srv_answer();
        pop3_link_deliver(&F.link);
    }
}

static int done_index(pop3_cmd_t cmd)
{
    for (int i = 0; i < F.n_done; i++) {
        if (F.cmd[i] == cmd) {
            return i;
        }
    }
    return -1;
}

static pop3_status_t done_status(pop3_cmd_t cmd)
{
    int i = done_index(cmd);

    assert_true(i >= 0);
    return F.st[i];
}

static bool sent_has(const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i + n <= F.sent_len; i++) {
        if (!memcmp(F.sent + i, s, n)) {
            return true;
        }
    }
    return false;
}

/* ---- client callbacks ------------------------------------------------------------------ */

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    (void)ctx;
    (void)r;
    assert_true(F.n_done < MAX_DONE);
    F.cmd[F.n_done] = cmd;
    F.st[F.n_done] = st;
    F.n_done++;
}

static pop3_cb_action_t on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    (void)ctx;
    (void)msg;
    (void)octets;
    F.list_entries++;
    return F.pause_list && F.list_entries == 1 ? POP3_CB_PAUSE : POP3_CB_CONTINUE;
}

/** A client on a link over the fake, greeted; @p tls: with a TLS session (insecure: no CA needed). */
static void start(pop3_security_t sec, bool tls)
{
    pop3_config_t cfg;

    memset(&F, 0, sizeof F);
    F.tc.host = "localhost";
    F.tc.insecure = true;
    assert_int_equal(pop3_link_init(&F.link, &fk_ops, &F, tls ? &F.tc : NULL, tls ? &F.tls : NULL), POP3_OK);
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = F.line_buf;
    cfg.line_buf_len = sizeof F.line_buf;
    cfg.tx_buf = F.tx_buf;
    cfg.tx_buf_len = sizeof F.tx_buf;
    cfg.transport = pop3_link_transport(&F.link);
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_list = on_list;
    cfg.security = sec;
    cfg.allow_plaintext_login = true;
    assert_int_equal(pop3_init(&F.c, &cfg), POP3_OK);
    assert_int_equal(pop3_link_start(&F.link, &F.c, 0), POP3_OK);
    assert_int_equal(pop3_link_start(&F.link, &F.c, 0), POP3_ERR_STATE);
    pop3_link_connected(&F.link);
    srv_put("+OK hi\r\n");
}

/** Greeted, CAPA done, logged in (USER/PASS): ready for STAT, LIST, QUIT. */
static void ready(void)
{
    assert_int_equal(pop3_login(&F.c, "u", "p"), POP3_OK);
    run(8);
    assert_int_equal(done_status(POP3_CMD_CONNECT), POP3_OK);
    assert_int_equal(pop3_state(&F.c), POP3_STATE_TRANSACTION);
}

static int teardown(void **state)
{
    (void)state;
    pop3_link_cleanup(&F.link); /* frees TLS: ASan reports what would leak */
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_plain_session(void **state)
{
    (void)state;
    start(POP3_SEC_PLAINTEXT, false);
    ready();
    assert_int_equal(pop3_stat(&F.c), POP3_OK);
    run(4);
    assert_int_equal(done_status(POP3_CMD_STAT), POP3_OK);
    assert_int_equal(pop3_quit(&F.c), POP3_OK);
    run(4);
    assert_int_equal(done_status(POP3_CMD_QUIT), POP3_OK);
    assert_int_equal(F.closes, 1);
    assert_true(F.graceful); /* a normal end: the port closes, it does not abort */
    assert_true(F.link.closed);
    assert_int_equal(pop3_link_transport(&F.link).send(&F.link, (const uint8_t *)"x", 1), -1);
}

/* A paused reply keeps its bytes with the port; the peer's close waits for them. */
static void test_pause_then_eof(void **state)
{
    (void)state;
    start(POP3_SEC_PLAINTEXT, false);
    ready();
    F.pause_list = true;
    assert_int_equal(pop3_list(&F.c, 0), POP3_OK);
    srv_answer();
    pop3_link_eof(&F.link);
    pop3_link_deliver(&F.link);
    assert_int_equal(F.list_entries, 1);
    assert_true(F.rx_off < F.rx_len);      /* backpressure: the rest is still held */
    assert_false(F.link.closed);           /* end of stream not reported over held bytes */
    assert_int_equal(done_index(POP3_CMD_LIST), -1);
    pop3_link_deliver(&F.link);            /* still paused: nothing moves */
    assert_false(F.link.closed);
    assert_true(pop3_link_busy(&F.link));

    pop3_resume(&F.c);
    assert_true(F.link.wake);
    pop3_link_service(&F.link);
    assert_false(F.link.wake);
    assert_int_equal(F.list_entries, 2);
    assert_int_equal(done_status(POP3_CMD_LIST), POP3_OK);
    assert_true(F.link.closed);
    assert_int_equal(pop3_session_status(&F.c), POP3_ERR_TRANSPORT);
    assert_int_equal(F.closes, 1);
    assert_true(F.graceful);
}

static void test_writable(void **state)
{
    (void)state;
    start(POP3_SEC_PLAINTEXT, false);
    ready();
    F.block = true;
    assert_int_equal(pop3_stat(&F.c), POP3_OK);
    assert_false(sent_has("STAT"));
    assert_true(pop3_link_wants_write(&F.link));
    F.block = false;
    pop3_link_writable(&F.link);
    assert_true(sent_has("STAT\r\n"));
    assert_false(pop3_link_wants_write(&F.link));
}

/* "+OK" to STLS and injected plaintext in two runs held together: never fed to TLS. */
static void test_stls_held_plaintext_refused(void **state)
{
    (void)state;
    start(POP3_SEC_STLS, true);
    assert_int_equal(pop3_login(&F.c, "u", "p"), POP3_OK);
    F.stls_reply = "+OK go\r\n+OK injected\r\n";
    F.cut_after_stls_ok = true;
    run(8);
    assert_true(F.link.tls_on);                  /* TLS did start (ClientHello after STLS) */
    assert_true(sent_has("STLS\r\n\x16\x03"));
    assert_int_equal(pop3_session_status(&F.c), POP3_ERR_PROTOCOL);
    assert_false(sent_has("USER"));
    assert_int_equal(F.closes, 1);
    assert_false(F.graceful);
}

/* The same bytes in one run: the core refuses them itself, TLS never starts. */
static void test_stls_same_run_refused(void **state)
{
    (void)state;
    start(POP3_SEC_STLS, true);
    F.stls_reply = "+OK go\r\n+OK injected\r\n";
    run(8);
    assert_false(F.link.tls_on);
    assert_int_equal(pop3_session_status(&F.c), POP3_ERR_PROTOCOL);
    assert_int_equal(F.closes, 1);
}

/* Bytes that arrive after the switch are TLS input: garbage fails the handshake, not the STLS rule. */
static void test_stls_later_bytes_go_to_tls(void **state)
{
    (void)state;
    start(POP3_SEC_STLS, true);
    run(8);
    assert_true(F.link.tls_on);
    assert_false(F.link.closed);
    srv_put("+OK injected\r\n");
    pop3_link_deliver(&F.link);
    assert_int_equal(pop3_session_status(&F.c), POP3_ERR_TLS);
    assert_int_equal(done_status(POP3_CMD_CONNECT), POP3_ERR_TLS);
    assert_int_equal(F.closes, 1);
    assert_string_not_equal(pop3_link_tls_error(&F.link), "");
}

static void test_tls_setup_failure_text(void **state)
{
    (void)state;
    start(POP3_SEC_STLS, true);
    F.tc.host = "bad host";
    run(8);
    assert_int_equal(done_status(POP3_CMD_CONNECT), POP3_ERR_TLS);
    assert_false(F.link.tls_on);
    assert_string_equal(pop3_link_tls_error(&F.link), "missing or invalid host name");
    pop3_link_cleanup(&F.link);
    assert_string_equal(pop3_link_tls_error(&F.link), "missing or invalid host name");
}

/* An IP host the port could not parse is refused, never checked as a name; parsed, it starts TLS. */
static void test_ip_host_fail_closed(void **state)
{
    (void)state;
    /* implicit TLS starts inside pop3_link_connected(): the host is set before */
    memset(&F, 0, sizeof F);
    F.tc.host = "127.0.0.1";
    F.tc.insecure = true;
    for (int parsed = 0; parsed < 2; parsed++) {
        pop3_config_t cfg;

        F.ip_len = parsed ? 4U : 0U;
        F.closes = 0;
        F.sent_len = 0;
        assert_int_equal(pop3_link_init(&F.link, &fk_ops, &F, &F.tc, &F.tls), POP3_OK);
        memset(&cfg, 0, sizeof cfg);
        cfg.line_buf = F.line_buf;
        cfg.line_buf_len = sizeof F.line_buf;
        cfg.tx_buf = F.tx_buf;
        cfg.tx_buf_len = sizeof F.tx_buf;
        cfg.transport = pop3_link_transport(&F.link);
        cfg.callbacks.on_done = on_done;
        cfg.security = POP3_SEC_IMPLICIT_TLS;
        assert_int_equal(pop3_init(&F.c, &cfg), POP3_OK);
        assert_int_equal(pop3_link_start(&F.link, &F.c, 0), POP3_OK);
        pop3_link_connected(&F.link);
        if (parsed) {
            assert_true(F.link.tls_on);
            assert_true(F.sent_len > 0U && F.sent[0] == 0x16); /* a ClientHello went out */
        } else {
            assert_false(F.link.tls_on);
            assert_int_equal(pop3_session_status(&F.c), POP3_ERR_TLS);
            assert_string_equal(pop3_link_tls_error(&F.link), "missing or invalid host name");
            assert_int_equal(F.sent_len, 0);
        }
        pop3_link_cleanup(&F.link);
    }
}

static void test_fail_reported_once(void **state)
{
    (void)state;
    start(POP3_SEC_PLAINTEXT, false);
    ready();
    F.block = true;
    assert_int_equal(pop3_stat(&F.c), POP3_OK);
    pop3_link_fail(&F.link, POP3_ERR_TRANSPORT);
    pop3_link_fail(&F.link, POP3_ERR_TLS);
    pop3_link_deliver(&F.link);
    pop3_link_writable(&F.link);
    assert_int_equal(done_status(POP3_CMD_STAT), POP3_ERR_TRANSPORT);
    assert_int_equal(F.n_done, 3); /* CONNECT, LOGIN, STAT: each once */
    assert_int_equal(pop3_session_status(&F.c), POP3_ERR_TRANSPORT);
    assert_int_equal(F.closes, 1);
    assert_false(F.graceful);
    assert_false(pop3_link_busy(&F.link));
}

/* Cleanup of a running session: the application stopped it (ABORTED), not the network. */
static void test_cleanup_aborts(void **state)
{
    (void)state;
    start(POP3_SEC_PLAINTEXT, false);
    ready();
    F.block = true;
    assert_int_equal(pop3_stat(&F.c), POP3_OK);
    pop3_link_cleanup(&F.link);
    assert_int_equal(done_status(POP3_CMD_STAT), POP3_ERR_ABORTED);
    assert_int_equal(pop3_session_status(&F.c), POP3_ERR_ABORTED);
    assert_int_equal(F.closes, 1);
    assert_false(F.graceful);
    pop3_link_cleanup(&F.link);
    assert_int_equal(F.closes, 1);
    assert_string_equal(pop3_link_tls_error(&F.link), "");
}

static void test_bad_init_is_inert(void **state)
{
    pop3_link_t l;

    (void)state;
    memset(&F, 0, sizeof F);
    assert_int_equal(pop3_link_init(NULL, &fk_ops, &F, NULL, NULL), POP3_ERR_BAD_ARG);
    assert_int_equal(pop3_link_init(&l, NULL, &F, NULL, NULL), POP3_ERR_BAD_ARG);
    assert_int_equal(pop3_link_init(&l, &fk_ops, &F, &F.tc, NULL), POP3_ERR_BAD_ARG);
    assert_int_equal(pop3_link_start(&l, &F.c, 0), POP3_ERR_STATE);
    pop3_link_connected(&l);
    pop3_link_deliver(&l);
    pop3_link_writable(&l);
    pop3_link_service(&l);
    pop3_link_cleanup(&l);
    assert_int_equal(F.closes, 0);
    assert_string_equal(pop3_link_tls_error(&l), "");
    memset(&F.link, 0, sizeof F.link);
    F.link.closed = true; /* nothing for teardown() to do */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_plain_session, teardown),
        cmocka_unit_test_teardown(test_pause_then_eof, teardown),
        cmocka_unit_test_teardown(test_writable, teardown),
        cmocka_unit_test_teardown(test_stls_held_plaintext_refused, teardown),
        cmocka_unit_test_teardown(test_stls_same_run_refused, teardown),
        cmocka_unit_test_teardown(test_stls_later_bytes_go_to_tls, teardown),
        cmocka_unit_test_teardown(test_tls_setup_failure_text, teardown),
        cmocka_unit_test_teardown(test_ip_host_fail_closed, teardown),
        cmocka_unit_test_teardown(test_fail_reported_once, teardown),
        cmocka_unit_test_teardown(test_cleanup_aborts, teardown),
        cmocka_unit_test_teardown(test_bad_init_is_inert, teardown),
    };
    return cmocka_run_group_tests_name("unit_link", tests, NULL, NULL);
}
