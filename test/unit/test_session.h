/*
 * unit_session's shared pieces: option presets and checks used by more than
 * one of its files, and the test cases each file defines for main() in
 * test_session.c.
 */
#ifndef TEST_SESSION_H
#define TEST_SESSION_H

#include "fake_transport.h"

static inline ft_opts_t stls_opts(void)
{
    ft_opts_t o;
    memset(&o, 0, sizeof o);
    o.security = POP3_SEC_STLS;
    return o;
}

static inline ft_opts_t implicit_opts(void)
{
    ft_opts_t o;
    memset(&o, 0, sizeof o);
    o.security = POP3_SEC_IMPLICIT_TLS;
    return o;
}

static inline bool sent_contains(const harness_t *h, const char *needle)
{
    return ft_contains(h->sent, h->sent_len, needle);
}

static inline void expect_fatal_connect(harness_t *h, pop3_status_t st, bool login_queued)
{
    FT_EQ(h->ndone, login_queued ? 2 : 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, st);
    if (login_queued) {
        FT_EQ(h->done[1].cmd, POP3_CMD_LOGIN);
        FT_CHECK_MSG(h->done[1].status != POP3_OK, "queued LOGIN completed OK after CONNECT failed");
    }
    FT_EQ(h->close_calls, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), st);
    FT_CHECK_MSG(!sent_contains(h, "USER") && !sent_contains(h, "PASS") && !sent_contains(h, "secret"),
                 "credentials were sent");
    FT_CHECK(!h->send_after_close);
}

/* test_session_security.c, test_session_timeout.c, test_session_flow.c */

void test_plaintext_login_refused(void **state);
void test_stls_missing(void **state);
void test_stls_capa_err(void **state);
void test_stls_refused(void **state);
void test_stls_injection(void **state);
void test_stls_success_caps_reset(void **state);
void test_stls_handshake_fail(void **state);
void test_implicit_tls(void **state);
void test_password_wiped_and_masked(void **state);
void test_apop(void **state);
void test_timeout_connect(void **state);
void test_timeout_reply(void **state);
void test_timeout_rearmed_by_bytes(void **state);
void test_timeout_tls(void **state);
void test_timeout_wrap(void **state);
void test_closed_mid_retr(void **state);
void test_send_error(void **state);
void test_pause_resume(void **state);
void test_abort_from_callback(void **state);
void test_abort_from_any_callback(void **state);
void test_pop3_abort(void **state);
void test_short_send_waits_for_writable(void **state);
void test_short_sends(void **state);

#endif
