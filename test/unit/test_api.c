/* Small API functions: pop3_status_str, pop3_cmd_name, pop3_sanitize, pop3_init checks. */
#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>

static void test_status_str(void **state)
{
    (void)state;
    const char *seen[POP3_STATUS_COUNT_];
    for (int i = 0; i < (int)POP3_STATUS_COUNT_; i++) {
        ft_setctx("pop3_status_str(%d)", i);
        const char *s = pop3_status_str((pop3_status_t)i);
        FT_CHECK(s != NULL);
        FT_CHECK(s[0] != '\0');
        for (int j = 0; j < i; j++)
            FT_CHECK_MSG(strcmp(seen[j], s) != 0, "status %d and %d share the text \"%s\"", j, i, s);
        seen[i] = s;
    }
    ft_setctx("pop3_status_str out of range");
    FT_CHECK(pop3_status_str(POP3_STATUS_COUNT_) != NULL);
    FT_CHECK(pop3_status_str((pop3_status_t)999) != NULL);
    FT_CHECK(pop3_status_str((pop3_status_t)-1) != NULL);
}

static void test_cmd_name(void **state)
{
    (void)state;
    const char *seen[POP3_CMD_COUNT_];
    for (int i = 0; i < (int)POP3_CMD_COUNT_; i++) {
        ft_setctx("pop3_cmd_name(%d)", i);
        const char *s = pop3_cmd_name((pop3_cmd_t)i);
        FT_CHECK(s != NULL);
        for (int j = 0; j < i; j++) FT_CHECK(strcmp(seen[j], s) != 0);
        seen[i] = s;
    }
    ft_setctx("pop3_cmd_name values");
    FT_CHECK(strcmp(pop3_cmd_name(POP3_CMD_CONNECT), "CONNECT") == 0);
    FT_CHECK(strcmp(pop3_cmd_name(POP3_CMD_RETR), "RETR") == 0);
    FT_CHECK(strcmp(pop3_cmd_name(POP3_CMD_TOP), "TOP") == 0);
    FT_CHECK(strcmp(pop3_cmd_name(POP3_CMD_QUIT), "QUIT") == 0);
    FT_CHECK(strcmp(pop3_cmd_name(POP3_CMD_STAT), "STAT") == 0);
    FT_CHECK(pop3_cmd_name(POP3_CMD_COUNT_) != NULL);
}

static void check_sanitize(const char *name, const char *in, size_t in_len, size_t out_len, const char *exp)
{
    char out[256];
    ft_setctx("pop3_sanitize %s", name);
    memset(out, 'Z', sizeof out);
    size_t n = pop3_sanitize(out, out_len, in, in_len);
    FT_EQ(n, strlen(exp));
    FT_EQ_STR(out, n, exp);
    FT_EQ(out[n], '\0');
    if (out_len < sizeof out) FT_CHECK_MSG(out[out_len] == 'Z', "wrote past out_len");
}

static void test_sanitize(void **state)
{
    (void)state;
    check_sanitize("plain", "hello world", 11, 64, "hello world");
    check_sanitize("ESC sequence", "a\x1b[31mred\x1b[0m", 13, 64, "a?[31mred?[0m");
    check_sanitize("C0 controls", "\x01\x07\x08\r\n\x1f", 6, 64, "??????");
    check_sanitize("DEL and non-ASCII", "\x7f\x80\x9b\xc3\xa9\xff", 6, 64, "??????");
    check_sanitize("embedded NUL", "a\0b", 3, 64, "a?b");
    check_sanitize("printable edges", " ~!", 3, 64, " ~!");
    check_sanitize("truncated", "abcdef", 6, 4, "abc");
    check_sanitize("out_len 1", "abcdef", 6, 1, "");
    check_sanitize("empty input", "", 0, 8, "");
    ft_setctx("pop3_sanitize out_len 0");
    char g = 'G';
    FT_EQ(pop3_sanitize(&g, 0, "abc", 3), 0);
    FT_EQ(g, 'G');
}

static long dummy_send(void *ctx, const uint8_t *d, size_t l)
{
    (void)ctx;
    (void)d;
    return (long)l;
}

static void dummy_close(void *ctx) { (void)ctx; }
static int dummy_start_tls(void *ctx) { (void)ctx; return 0; }

static void test_init_args(void **state)
{
    (void)state;
    static char line[1024], tx[1024];
    pop3_client_t c;
    pop3_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = line;
    cfg.line_buf_len = POP3_MIN_LINE_BUF_LEN;
    cfg.tx_buf = tx;
    cfg.tx_buf_len = POP3_MIN_TX_BUF_LEN;
    cfg.transport.send = dummy_send;
    cfg.transport.close = dummy_close;
    cfg.transport.start_tls = dummy_start_tls;
    ft_setctx("pop3_init minimal valid config (send, close, start_tls; default STLS)");
    FT_EQ_ST(pop3_init(&c, &cfg), POP3_OK);
    FT_EQ(pop3_state(&c), POP3_STATE_IDLE);
    FT_EQ(pop3_caps(&c), 0);
    FT_CHECK(!pop3_is_paused(&c));
    FT_CHECK(!pop3_wants_write(&c));
    FT_CHECK(!pop3_has_apop(&c));

    pop3_config_t b = cfg;
    ft_setctx("pop3_init NULL line_buf");
    b.line_buf = NULL;
    FT_EQ_ST(pop3_init(&c, &b), POP3_ERR_BAD_ARG);
    b = cfg;
    ft_setctx("pop3_init small line_buf");
    b.line_buf_len = POP3_MIN_LINE_BUF_LEN - 1;
    FT_EQ_ST(pop3_init(&c, &b), POP3_ERR_BAD_ARG);
    b = cfg;
    ft_setctx("pop3_init NULL tx_buf");
    b.tx_buf = NULL;
    FT_EQ_ST(pop3_init(&c, &b), POP3_ERR_BAD_ARG);
    b = cfg;
    ft_setctx("pop3_init small tx_buf");
    b.tx_buf_len = POP3_MIN_TX_BUF_LEN - 1;
    FT_EQ_ST(pop3_init(&c, &b), POP3_ERR_BAD_ARG);
    b = cfg;
    ft_setctx("pop3_init PLAINTEXT needs no start_tls");
    b.security = POP3_SEC_PLAINTEXT;
    b.transport.start_tls = NULL;
    FT_EQ_ST(pop3_init(&c, &b), POP3_OK);
    b = cfg;
    ft_setctx("pop3_init STLS without start_tls");
    b.transport.start_tls = NULL;
    FT_EQ_ST(pop3_init(&c, &b), POP3_ERR_BAD_ARG);
    b = cfg;
    ft_setctx("pop3_init no send");
    b.transport.send = NULL;
    FT_EQ_ST(pop3_init(&c, &b), POP3_ERR_BAD_ARG);
    ft_setctx("pop3_init NULL args");
    FT_EQ_ST(pop3_init(NULL, &cfg), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_init(&c, NULL), POP3_ERR_BAD_ARG);
    b = cfg;
    ft_setctx("pop3_init bad security value");
    b.security = (pop3_security_t)7;
    FT_EQ_ST(pop3_init(&c, &b), POP3_ERR_BAD_ARG);
}

/* The minimum-size tx buffer (256) must carry a 255-octet command. */
static void test_min_buffers(void **state)
{
    (void)state;
    ft_opts_t o = h_plain_opts();
    o.tx_buf_len = POP3_MIN_TX_BUF_LEN;
    o.line_buf_len = POP3_MIN_LINE_BUF_LEN;
    ft_setctx("minimum buffers, 255-octet USER command");
    harness_t *h = h_new(0, &o);
    h_connect(h, "+OK\r\n", "+OK\r\nUSER\r\n.\r\n");
    char user[249];
    memset(user, 'x', 248);
    user[248] = '\0';
    pop3_status_t st = pop3_login(h->c, user, "p");
    /* USER (255) and PASS (8) together exceed 256. The queue is empty, so
       QUEUE_FULL ("retry after a completion") can never succeed on retry:
       acceptable answers are OK (format PASS later) or BAD_ARG. */
    FT_CHECK_MSG(st == POP3_OK || st == POP3_ERR_BAD_ARG,
                 "pop3_login(248-octet user) with empty queue and minimum tx_buf returned %s", ft_status_name(st));
    if (st == POP3_OK) {
        char exp[320];
        snprintf(exp, sizeof exp, "USER %s\r\n", user);
        H_EXPECT_SENT(h, exp);
        h_feed_str(h, "+OK\r\n");
        H_EXPECT_SENT(h, "PASS p\r\n");
        h_feed_str(h, "+OK\r\n");
        H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_OK);
    } else {
        H_EXPECT_SENT(h, "");
    }
    ft_setctx("minimum buffers, TOP with max numbers");
    h = h_new(0, &o);
    h_ready(h);
    FT_EQ_ST(pop3_top(h->c, 4294967295U, 4294967295U), POP3_OK);
    H_EXPECT_SENT(h, "TOP 4294967295 4294967295\r\n");
}

/* Issue 7, defect 2: POP3_CAP_KNOWN is bit 31 and must not be an int enumerator
 * (-pedantic); checked at compile time. */
typedef char ft_cap_known_is_bit31[(POP3_CAP_KNOWN == 0x80000000UL && POP3_CAP_KNOWN > 0) ? 1 : -1];

static int inert_sends, inert_closes, inert_tls;
static long inert_send(void *ctx, const uint8_t *d, size_t l) { (void)ctx; (void)d; inert_sends++; return (long)l; }
static void inert_close(void *ctx) { (void)ctx; inert_closes++; }
static void inert_on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    (void)ctx; (void)cmd; (void)st; (void)r;
    FT_FAIL("on_done called on a client whose pop3_init() failed");
}

/* Issue 7, defect 1: after pop3_init() failed, the client is CLOSED: start is
 * refused and no entry point calls a NULL pointer (it used to call start_tls). */
static void test_failed_init_is_inert(void **state)
{
    (void)state;
    static char line[1024], tx[1024];
    pop3_client_t c;
    pop3_config_t cfg;
    for (int variant = 0; variant < 3; variant++) {
        memset(&cfg, 0, sizeof cfg);
        cfg.line_buf = line;
        cfg.line_buf_len = sizeof line;
        cfg.tx_buf = tx;
        cfg.tx_buf_len = sizeof tx;
        cfg.transport.send = inert_send;
        cfg.transport.close = inert_close;
        cfg.callbacks.on_done = inert_on_done;
        cfg.security = variant == 0 ? POP3_SEC_STLS : POP3_SEC_IMPLICIT_TLS; /* no start_tls */
        ft_setctx("failed pop3_init, variant %d", variant);
        memset(&c, 0xA5, sizeof c); /* garbage before init */
        FT_EQ_ST(pop3_init(&c, variant == 2 ? NULL : &cfg), POP3_ERR_BAD_ARG);
        FT_EQ(pop3_state(&c), POP3_STATE_CLOSED);
        FT_EQ_ST(pop3_session_status(&c), POP3_ERR_BAD_ARG);
        FT_EQ_ST(pop3_start(&c, 0), POP3_ERR_STATE);
        pop3_on_connected(&c);
        FT_EQ(pop3_on_input(&c, (const uint8_t *)"+OK\r\n", 5), 0);
        pop3_on_tls_done(&c, POP3_OK);
        pop3_on_writable(&c);
        pop3_tick(&c, 1000000U);
        pop3_on_closed(&c, POP3_ERR_TRANSPORT);
        pop3_resume(&c);
        FT_EQ_ST(pop3_stat(&c), POP3_ERR_CLOSED);
        FT_EQ_ST(pop3_login(&c, "u", "p"), POP3_ERR_CLOSED);
        pop3_abort(&c);
        FT_EQ(pop3_state(&c), POP3_STATE_CLOSED);
        FT_EQ(inert_sends + inert_closes + inert_tls, 0);
    }
}

/* Header: POP3_MIN_TX_BUF_LEN holds "one command of 255 octets (RFC 2449)". */
static void test_min_tx_buf_holds_255_octet_command(void **state)
{
    (void)state;
    ft_opts_t o = h_plain_opts();
    o.tx_buf_len = POP3_MIN_TX_BUF_LEN;
    o.line_buf_len = POP3_MIN_LINE_BUF_LEN;
    ft_setctx("minimum buffers (tx_buf %u), 255-octet APOP command, empty queue", POP3_MIN_TX_BUF_LEN);
    harness_t *h = h_new(0, &o);
    h_connect(h, "+OK <1896.697170952@dbc.mtview.ca.us>\r\n", "+OK\r\n.\r\n");
    char au[216];
    memset(au, 'a', 215);
    au[215] = '\0'; /* "APOP " + 215 + " " + 32 + CRLF = 255 */
    FT_EQ_ST(pop3_apop(h->c, au, "tanstaaf"), POP3_OK);
    FT_EQ(h_unchecked(h), 255);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_status_str, ft_teardown),
        cmocka_unit_test_teardown(test_cmd_name, ft_teardown),
        cmocka_unit_test_teardown(test_sanitize, ft_teardown),
        cmocka_unit_test_teardown(test_init_args, ft_teardown),
        cmocka_unit_test_teardown(test_failed_init_is_inert, ft_teardown),
        cmocka_unit_test_teardown(test_min_buffers, ft_teardown),
        cmocka_unit_test_teardown(test_min_tx_buf_holds_255_octet_command, ft_teardown),
    };
    return cmocka_run_group_tests_name("unit_api", tests, NULL, NULL);
}
