/*
 * The POSIX port's record of a connection's first octets (pop3_posix_first_octets(),
 * pop3_posix_connected(), pop3_posix_fd()), against servers this test runs itself on 127.0.0.1:
 * plaintext in pieces, the record's bound, the record inside the greeting's callbacks,
 * raw octets under implicit TLS (a plaintext "+OK" and a TLS alert, both consumed by
 * the TLS layer), and the reset for a new connection.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "pop3.h"
#include "pop3_posix.h"

#define ROUNDS 200 /* poll rounds of 5 ms: 1 s at most for anything to happen */

typedef struct {
    pop3_client_t client;
    pop3_posix_t port;
    pop3_tls_t tls;
    pop3_tls_config_t tls_cfg;
    char line_buf[1024];
    char tx_buf[2048];
    int lfd;                  /* the test's listening socket */
    int sfd;                  /* the server side of the connection */
    uint16_t port_no;
    bool connect_done;
    pop3_status_t connect_st;
    uint8_t in_cb[POP3_POSIX_FIRST_LEN]; /* the record as on_done(CONNECT) saw it */
    size_t in_cb_len;
    bool traced;                         /* a line was received (on_trace) */
    uint8_t in_trace[POP3_POSIX_FIRST_LEN]; /* the record as the trace of the first line saw it */
    size_t in_trace_len;
} t_ctx_t;

static void on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    t_ctx_t *t = ctx;

    (void)line;
    (void)len;
    if (dir == POP3_TRACE_RECEIVED && !t->traced) {
        t->traced = true;
        t->in_trace_len = pop3_posix_first_octets(&t->port, t->in_trace, sizeof t->in_trace);
    }
}

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    t_ctx_t *t = ctx;

    (void)r;
    if (cmd == POP3_CMD_CONNECT && !t->connect_done) {
        t->connect_done = true;
        t->connect_st = st;
        t->in_cb_len = pop3_posix_first_octets(&t->port, t->in_cb, sizeof t->in_cb);
    }
}

static int listen_loopback(uint16_t *port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A session of @p sec to the test's server; returns once TCP is up and accepted. */
static void t_connect(t_ctx_t *t, pop3_security_t sec)
{
    pop3_config_t cfg;
    int i;
    bool tls = sec != POP3_SEC_PLAINTEXT;
    uint8_t out[4];

    memset(&t->tls_cfg, 0, sizeof t->tls_cfg);
    t->tls_cfg.host = "127.0.0.1";
    t->tls_cfg.insecure = true; /* no handshake completes here: no certificate to check */
    assert_int_equal(pop3_posix_init(&t->port, tls ? &t->tls_cfg : NULL, tls ? &t->tls : NULL), POP3_OK);
    /* Nothing recorded before a connection. */
    assert_false(pop3_posix_connected(&t->port, NULL));
    assert_int_equal(pop3_posix_first_octets(&t->port, out, sizeof out), 0);
    assert_int_equal(pop3_posix_fd(&t->port), -1); /* no socket to wait on yet */
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = t->line_buf;
    cfg.line_buf_len = sizeof t->line_buf;
    cfg.tx_buf = t->tx_buf;
    cfg.tx_buf_len = sizeof t->tx_buf;
    cfg.security = sec;
    cfg.allow_plaintext_login = sec == POP3_SEC_PLAINTEXT;
    cfg.callbacks.ctx = t;
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_trace = on_trace;
    cfg.transport = pop3_posix_transport(&t->port);
    t->connect_done = false;
    t->in_cb_len = 0;
    t->traced = false;
    t->in_trace_len = 0;
    assert_int_equal(pop3_init(&t->client, &cfg), POP3_OK);
    assert_int_equal(pop3_posix_connect(&t->port, &t->client, "127.0.0.1", t->port_no), POP3_OK);
    for (i = 0; i < ROUNDS && !pop3_posix_connected(&t->port, NULL); i++) {
        assert_int_equal(pop3_posix_poll(&t->port, 5), POP3_OK);
    }
    assert_true(pop3_posix_connected(&t->port, NULL));
    assert_true(pop3_posix_fd(&t->port) >= 0);
    t->sfd = accept(t->lfd, NULL, NULL);
    assert_true(t->sfd >= 0);
}

static void t_send(t_ctx_t *t, const void *data, size_t len)
{
    assert_int_equal(send(t->sfd, data, len, 0), (ssize_t)len);
}

/* A few rounds, so that what was sent has arrived and the core or TLS has had it. */
static void t_rounds(t_ctx_t *t, int n)
{
    int i;
    for (i = 0; i < n && pop3_posix_poll(&t->port, 5) == POP3_OK; i++) {
    }
}

/* Polls until the session has closed (or ROUNDS passed). */
static void t_until_closed(t_ctx_t *t)
{
    int i;
    for (i = 0; i < ROUNDS && pop3_posix_poll(&t->port, 5) == POP3_OK; i++) {
    }
    assert_true(i < ROUNDS);
}

static void t_end(t_ctx_t *t)
{
    pop3_posix_cleanup(&t->port);
    assert_int_equal(pop3_posix_fd(&t->port), -1); /* closed: nothing to wait on */
    if (t->sfd >= 0) {
        (void)close(t->sfd);
        t->sfd = -1;
    }
}

static int setup(void **state)
{
    static t_ctx_t t;

    memset(&t, 0, sizeof t);
    t.sfd = -1;
    t.lfd = listen_loopback(&t.port_no);
    *state = &t;
    return 0;
}

static int teardown(void **state)
{
    t_ctx_t *t = *state;
    t_end(t);
    (void)close(t->lfd);
    return 0;
}

static void expect_record(const t_ctx_t *t, const char *want, size_t want_len)
{
    uint8_t out[POP3_POSIX_FIRST_LEN + 8U];
    assert_int_equal(pop3_posix_first_octets(&t->port, out, sizeof out), want_len);
    assert_memory_equal(out, want, want_len);
}

/* Plaintext: nothing yet, then octets in two pieces, capped at POP3_POSIX_FIRST_LEN,
 * already there when the greeting's callback fires, kept after the connection ends. */
static void test_plain(void **state)
{
    t_ctx_t *t = *state;
    static const char greeting[] = "+OK POP3 server ready, a greeting longer than the record\r\n";
    uint32_t before = pop3_posix_now_ms(), at = 0;

    t_connect(t, POP3_SEC_PLAINTEXT);
    assert_true(pop3_posix_connected(&t->port, &at));
    assert_true(at - before < 5000U && pop3_posix_now_ms() - at < 5000U);
    t_rounds(t, 4);
    expect_record(t, "", 0); /* connected, nothing sent: nothing recorded */
    t_send(t, greeting, 2);
    t_rounds(t, 4);
    expect_record(t, greeting, 2);
    assert_false(t->traced);
    t_send(t, greeting + 2, sizeof greeting - 3U);
    t_rounds(t, 4);
    assert_true(t->traced); /* the core had the greeting, and the record had it first */
    assert_int_equal(t->in_trace_len, POP3_POSIX_FIRST_LEN);
    assert_memory_equal(t->in_trace, greeting, POP3_POSIX_FIRST_LEN);
    expect_record(t, greeting, POP3_POSIX_FIRST_LEN);
    t_send(t, "-ERR later octets are not recorded\r\n", 36);
    (void)close(t->sfd);
    t->sfd = -1;
    t_until_closed(t);
    expect_record(t, greeting, POP3_POSIX_FIRST_LEN);
    assert_true(pop3_posix_connected(&t->port, NULL));
    t_end(t);
    expect_record(t, greeting, POP3_POSIX_FIRST_LEN); /* cleanup keeps it too */
}

/* The copy never writes past max, whatever max is; NULL answers 0. */
static void test_bounds(void **state)
{
    t_ctx_t *t = *state;
    uint8_t out[POP3_POSIX_FIRST_LEN + 8U];
    static const char greeting[] = "+OK hello there, everyone\r\n";
    size_t max, i;

    t_connect(t, POP3_SEC_PLAINTEXT);
    t_send(t, greeting, sizeof greeting - 1U);
    t_rounds(t, 4);
    for (max = 0; max <= sizeof out; max++) {
        size_t want = max < POP3_POSIX_FIRST_LEN ? max : POP3_POSIX_FIRST_LEN;
        memset(out, 0xA5, sizeof out);
        assert_int_equal(pop3_posix_first_octets(&t->port, out, max), want);
        assert_memory_equal(out, greeting, want);
        for (i = want; i < sizeof out; i++) {
            assert_int_equal(out[i], 0xA5);
        }
    }
    assert_int_equal(pop3_posix_first_octets(&t->port, NULL, 8), 0);
    assert_int_equal(pop3_posix_first_octets(NULL, out, sizeof out), 0);
    assert_false(pop3_posix_connected(NULL, NULL));
    t_end(t);
}

/* Drains what the client sent (its ClientHello) without blocking. */
static void t_drain(t_ctx_t *t)
{
    uint8_t buf[4096];
    struct pollfd pfd = { t->sfd, POLLIN, 0 };
    while (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN) != 0 && recv(t->sfd, buf, sizeof buf, 0) > 0) {
    }
}

/* Implicit TLS against plaintext: the TLS layer consumes "+OK ..." and fails; the record has it raw. */
static void test_tls_plaintext_server(void **state)
{
    t_ctx_t *t = *state;
    static const char greeting[] = "+OK POP3 server ready (not TLS)\r\n";

    t_connect(t, POP3_SEC_IMPLICIT_TLS);
    t_rounds(t, 4);
    t_drain(t);
    t_send(t, greeting, sizeof greeting - 1U);
    t_until_closed(t);
    assert_true(t->connect_done);
    assert_int_equal(t->connect_st, POP3_ERR_TLS);
    assert_int_equal(t->in_cb_len, POP3_POSIX_FIRST_LEN); /* recorded before TLS failed on it */
    expect_record(t, greeting, POP3_POSIX_FIRST_LEN);
    t_end(t);
}

/* Implicit TLS, the server answers with a fatal alert record: its raw octets are recorded. */
static void test_tls_alert(void **state)
{
    t_ctx_t *t = *state;
    static const char alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 }; /* handshake_failure */

    t_connect(t, POP3_SEC_IMPLICIT_TLS);
    t_rounds(t, 4);
    t_drain(t);
    t_send(t, alert, sizeof alert);
    t_until_closed(t);
    assert_true(t->connect_done);
    assert_int_not_equal(t->connect_st, POP3_OK);
    expect_record(t, alert, sizeof alert);
    t_end(t);
}

/* A new connection on the same port struct starts a new record, not mixed with the last. */
static void test_reset(void **state)
{
    t_ctx_t *t = *state;

    t_connect(t, POP3_SEC_PLAINTEXT);
    t_send(t, "+OK first connection\r\n", 22);
    t_rounds(t, 4);
    expect_record(t, "+OK first connecti", POP3_POSIX_FIRST_LEN);
    t_end(t);
    t_connect(t, POP3_SEC_PLAINTEXT); /* asserts that init left nothing recorded */
    t_rounds(t, 2);
    expect_record(t, "", 0);
    t_send(t, "-ERR busy\r\n", 11);
    t_until_closed(t);
    expect_record(t, "-ERR busy\r\n", 11);
    t_end(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_plaintext_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_alert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
