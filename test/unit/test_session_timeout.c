/*
 * unit_session: the connect / reply / TLS timeouts, their re-arming and
 * wrap-around, the connection lost mid-reply, send errors
 * (the test list and main() are in test_session.c).
 */
#include "test_session.h"

#include <stdio.h>
#include <stdlib.h>

/* ======================================================================== */
/* Timeouts                                                                   */

void test_timeout_connect(void **state)
{
    (void)state;
    ft_setctx("connect timeout, no greeting");
    ft_opts_t o = h_plain_opts();
    o.connect_timeout_ms = 5000;
    harness_t *h = h_new(0, &o);
    FT_EQ_ST(pop3_login(h->c, "u", "secret"), POP3_OK);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    h_tick(h, 2000);
    pop3_on_connected(h->c);
    h_tick(h, 5900);
    FT_EQ(h->ndone, 0);
    FT_EQ(h->close_calls, 0);
    h_tick(h, 6100);
    expect_fatal_connect(h, POP3_ERR_TIMEOUT, true);

    ft_setctx("connect timeout, TCP never connects");
    h = h_new(0, &o);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    h_tick(h, 5900);
    FT_EQ(h->ndone, 0);
    h_tick(h, 6100);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TIMEOUT);
    FT_EQ(h->close_calls, 1);

    ft_setctx("default connect timeout (cfg 0 = POP3_CONNECT_TIMEOUT_MS)");
    h = h_new(0, NULL);
    FT_EQ_ST(pop3_start(h->c, 0), POP3_OK);
    pop3_on_connected(h->c);
    h_tick(h, POP3_CONNECT_TIMEOUT_MS - 100);
    FT_EQ(h->ndone, 0);
    h_tick(h, POP3_CONNECT_TIMEOUT_MS + 100);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TIMEOUT);
}

void test_timeout_reply(void **state)
{
    (void)state;
    ft_setctx("reply timeout");
    ft_opts_t o = h_plain_opts();
    o.reply_timeout_ms = 3000;
    harness_t *h = h_new(0, &o);
    h_ready(h);
    h_tick(h, 2000);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    h_tick(h, 4900);
    FT_EQ(h->ndone, 0);
    h_tick(h, 5100);
    FT_EQ(h->ndone, 2);
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, POP3_ERR_TIMEOUT);
    FT_CHECK(h->done[1].status != POP3_OK);
    FT_EQ(h->close_calls, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_TIMEOUT);

    ft_setctx("no reply timeout while idle");
    h = h_new(0, &o);
    h_ready(h);
    h_tick(h, 2000);
    h_tick(h, 100000);
    h_tick(h, 2000000);
    FT_EQ(h->ndone, 0);
    FT_EQ(h->close_calls, 0);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_tick(h, 2002000);
    FT_EQ(h->ndone, 0);
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, POP3_OK);

    ft_setctx("reply timeout while a multi-line reply stalls");
    h = h_new(0, &o);
    h_ready(h);
    h_tick(h, 2000);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    h_feed_str(h, "+OK\r\npartial");
    h_tick(h, 4500);
    FT_EQ(h->ndone, 0);
    h_tick(h, 5100);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_TIMEOUT);
}

void test_timeout_rearmed_by_bytes(void **state)
{
    (void)state;
    ft_setctx("slow but steady RETR does not time out");
    ft_opts_t o = h_plain_opts();
    o.reply_timeout_ms = 3000;
    harness_t *h = h_new(0, &o);
    h_ready(h);
    uint32_t t = 2000;
    h_tick(h, t);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    static const char reply[] = "+OK\r\nabcdefghijklmnopqrstuvwxyz\r\n.\r\n";
    for (size_t i = 0; i < sizeof reply - 1; i++) {
        t += 2000; /* each byte arrives 2 s after the previous, total far above 3 s */
        h_tick(h, t);
        FT_CHECK_MSG(h->ndone == 0, "RETR ended (%s) after byte %zu", ft_status_name(h->done[0].status), i);
        h_feed(h, reply + i, 1);
    }
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    FT_EQ_STR(h->body, h->body_len, "abcdefghijklmnopqrstuvwxyz\r\n");
    FT_EQ(h->close_calls, 0);
}

void test_timeout_tls(void **state)
{
    (void)state;
    ft_setctx("implicit TLS handshake timeout");
    ft_opts_t o = implicit_opts();
    o.tls_timeout_ms = 4000;
    o.connect_timeout_ms = 60000;
    harness_t *h = h_new(0, &o);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    FT_EQ(h->start_tls_calls, 1);
    h_tick(h, 4900);
    FT_EQ(h->ndone, 0);
    h_tick(h, 5100);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TIMEOUT);
    FT_EQ(h->close_calls, 1);

    ft_setctx("STLS handshake timeout");
    o = stls_opts();
    o.tls_timeout_ms = 4000;
    o.connect_timeout_ms = 60000;
    h = h_new(0, &o);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "CAPA\r\n");
    h_feed_str(h, "+OK\r\nSTLS\r\n.\r\n");
    H_EXPECT_SENT(h, "STLS\r\n");
    h_tick(h, 2000);
    h_feed_str(h, "+OK\r\n");
    FT_EQ(h->start_tls_calls, 1);
    h_tick(h, 5900);
    FT_EQ(h->ndone, 0);
    h_tick(h, 6100);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TIMEOUT);
    FT_EQ(h->close_calls, 1);
}

void test_timeout_wrap(void **state)
{
    (void)state;
    ft_setctx("connect timeout across uint32 wrap");
    ft_opts_t o = h_plain_opts();
    o.connect_timeout_ms = 1000;
    o.reply_timeout_ms = 3000;
    harness_t *h = h_new(0, &o);
    const uint32_t t0 = 0xFFFFFFF0U;
    h->now = t0;
    FT_EQ_ST(pop3_start(h->c, t0), POP3_OK);
    h_tick(h, t0);
    h_tick(h, t0 + 500U); /* wraps to 0x1E4 */
    h_tick(h, t0 + 999U);
    FT_EQ(h->ndone, 0);
    FT_EQ(h->close_calls, 0);
    h_tick(h, t0 + 1100U);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TIMEOUT);

    ft_setctx("reply timeout across uint32 wrap");
    h = h_new(0, &o);
    const uint32_t t1 = 0xFFFFF000U;
    h->now = t1;
    h_ready(h);
    h_tick(h, 0xFFFFFF00U);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_tick(h, 0xFFFFFFFFU);
    h_tick(h, 0x00000100U);
    h_tick(h, 0xFFFFFF00U + 2900U);
    FT_EQ(h->ndone, 0);
    h_tick(h, 0xFFFFFF00U + 3100U);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, POP3_ERR_TIMEOUT);
}

/* ======================================================================== */
/* Connection lost                                                            */

void test_closed_mid_retr(void **state)
{
    (void)state;
    static const char full[] = "+OK\r\nline1\r\n..line2\r\n.\r\n";
    static const char body[] = "line1\r\n.line2\r\n";
    /* close after every prefix that is not the complete reply */
    for (size_t cut = 0; cut < sizeof full - 1; cut++) {
        ft_setctx("server closes mid-RETR after %zu octets", cut);
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
        H_EXPECT_SENT(h, "RETR 1\r\n");
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        h_feed(h, full, cut);
        FT_EQ(h->ndone, 0);
        h_closed(h, POP3_ERR_TRANSPORT);
        FT_EQ(h->ndone, 2);
        H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_TRANSPORT);
        FT_EQ(h->done[1].cmd, POP3_CMD_NOOP);
        FT_CHECK(h->done[1].status != POP3_OK);
        FT_CHECK_MSG(h->body_len <= sizeof body - 1 && memcmp(h->body, body, h->body_len) == 0,
                     "delivered body (%zu octets) is not a prefix of the message", h->body_len);
        FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
        FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_TRANSPORT);
        FT_CHECK(pop3_noop(h->c) != POP3_OK);
        FT_EQ(h->ndone, 2);
    }

    ft_setctx("server closes while idle");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    h_closed(h, POP3_ERR_TRANSPORT);
    FT_EQ(h->ndone, 0);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_TRANSPORT);

    ft_setctx("connection fails before greeting");
    h = h_new(0, NULL);
    FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    h_closed(h, POP3_ERR_TRANSPORT);
    FT_EQ(h->ndone, 2);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_ERR_TRANSPORT);
    FT_CHECK(h->done[1].status != POP3_OK);
    H_EXPECT_SENT(h, "");
}

void test_send_error(void **state)
{
    (void)state;
    ft_setctx("send returns a fatal error");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    h->send_fail = true;
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    h_pump(h);
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, POP3_ERR_TRANSPORT);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ(h->close_calls, 1);
}
