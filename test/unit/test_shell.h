/*
 * unit_shell's shared pieces (test_shell.c, test_shell_tls.c): CAPA replies,
 * sessions in AUTHORIZATION or TRANSACTION, and the checks both use.
 */
#ifndef TEST_SHELL_H
#define TEST_SHELL_H

#include "fake_transport.h"

#define CAPA_PLAIN "+OK\r\nUSER\r\nUIDL\r\n.\r\n"
#define CAPA_PIPE "+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n"
#define CAPA_STLS "+OK\r\nSTLS\r\nUSER\r\n.\r\n"
#define CAPA_UTF8 "+OK\r\nUSER\r\nUTF8 USER\r\n.\r\n"

/* A plaintext session in AUTHORIZATION, records cleared. */
static inline harness_t *auth_session(int slot, bool allow_plain, const char *capa)
{
    ft_opts_t o = h_plain_opts();
    o.allow_plaintext_login = allow_plain;
    harness_t *h = h_new(slot, &o);
    h_connect(h, "+OK POP3 ready\r\n", capa);
    h_reset_records(h);
    return h;
}

/* Logged in (TRANSACTION), records cleared. */
static inline harness_t *trans_session(int slot, const char *capa)
{
    harness_t *h = auth_session(slot, true, capa);
    FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
    H_EXPECT_SENT(h, "USER u\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS p\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_LOGIN, POP3_OK);
    h_reset_records(h);
    return h;
}

static inline void expect_text(const ft_done_t *d, const char *exp)
{
    FT_EQ_STR(d->text, d->text_len, exp);
}

static inline void check_no_secret(harness_t *h)
{
    FT_CHECK_MSG(!ft_contains(h->tx_buf, h->tx_buf_len, "s3cret"), "password left in tx_buf");
    FT_CHECK_MSG(!ft_contains(h->line_buf, h->line_buf_len, "s3cret"), "password in line_buf");
    FT_CHECK_MSG(!ft_contains(h->trace, h->trace_len, "s3cret"), "password in the trace");
}

/* test_shell_tls.c */
void test_stls_then_login(void **state);
void test_stls_failures(void **state);
void test_utf8(void **state);

#endif
