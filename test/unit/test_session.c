/*
 * Session state machine tests with the scripted fake transport. This file:
 * the full PLAINTEXT session, queueing and pipelining, commands from
 * callbacks, argument checks, several clients side by side, error replies,
 * and the test list. The security policy, timeouts and flow control are in
 * test_session_security.c, test_session_timeout.c and test_session_flow.c.
 */
#include "test_session.h"

#include <stdio.h>
#include <stdlib.h>

/* ======================================================================== */
/* Full PLAINTEXT session                                                    */

static void test_full_session_plaintext(void **state)
{
    (void)state;
    ft_setctx("full PLAINTEXT session");
    harness_t *h = h_new(0, NULL);
    FT_EQ(pop3_state(h->c), POP3_STATE_IDLE);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    FT_EQ(pop3_state(h->c), POP3_STATE_CONNECTING);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_ERR_STATE);
    pop3_on_connected(h->c);
    H_EXPECT_SENT(h, "");
    FT_EQ(pop3_state(h->c), POP3_STATE_GREETING);
    FT_EQ(h->start_tls_calls, 0);
    h_feed_str(h, "+OK POP3 server ready\r\n");
    H_EXPECT_SENT(h, "CAPA\r\n");
    FT_EQ(pop3_state(h->c), POP3_STATE_SETUP);
    FT_EQ(h->ndone, 0);
    h_feed_str(h, "+OK Capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n");
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_CONNECT, POP3_OK);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
    FT_EQ(pop3_caps(h->c), POP3_CAP_USER | POP3_CAP_UIDL | POP3_CAP_TOP | POP3_CAP_KNOWN);
    FT_EQ(pop3_has_apop(h->c), false);

    FT_EQ_ST(pop3_login(h->c, "alice", "secret"), POP3_OK);
    H_EXPECT_SENT(h, "USER alice\r\n"); /* PASS must wait for +OK to USER */
    FT_EQ(h->ndone, 1);
    h_feed_str(h, "+OK alice\r\n");
    H_EXPECT_SENT(h, "PASS secret\r\n");
    FT_EQ(h->ndone, 1);
    h_feed_str(h, "+OK maildrop locked and ready\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_OK);
    FT_EQ_STR(h->done[1].text, h->done[1].text_len, "maildrop locked and ready");
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);

    FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    H_EXPECT_SENT(h, "STAT\r\n");
    h_feed_str(h, "+OK 2 320\r\n");
    H_EXPECT_DONE(h, 2, POP3_CMD_STAT, POP3_OK);
    FT_EQ(h->done[2].count, 2);
    FT_EQ(h->done[2].octets, 320);

    FT_EQ_ST(pop3_list(h->c, 0), POP3_OK);
    H_EXPECT_SENT(h, "LIST\r\n");
    h_feed_str(h, "+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n");
    H_EXPECT_DONE(h, 3, POP3_CMD_LIST, POP3_OK);
    FT_EQ(h->nlist, 2);
    FT_EQ(h->list[0].msg, 1);
    FT_EQ(h->list[0].octets, 120);
    FT_EQ(h->list[1].msg, 2);
    FT_EQ(h->list[1].octets, 200);

    FT_EQ_ST(pop3_uidl(h->c, 0), POP3_OK);
    H_EXPECT_SENT(h, "UIDL\r\n");
    h_feed_str(h, "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n");
    H_EXPECT_DONE(h, 4, POP3_CMD_UIDL, POP3_OK);
    FT_EQ(h->nuidl, 2);
    FT_EQ(h->uidl[0].msg, 1);
    FT_EQ_STR(h->uidl[0].uid, h->uidl[0].len, "whqtswO00WBw418f9t5JxYwZ");
    FT_EQ(h->uidl[1].msg, 2);
    FT_EQ_STR(h->uidl[1].uid, h->uidl[1].len, "QhdPYR:00WBw1Ph7x7");

    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    h_feed_str(h, "+OK 120 octets\r\nSubject: t\r\n\r\n..dot\r\nbody\r\n.\r\n");
    H_EXPECT_DONE(h, 5, POP3_CMD_RETR, POP3_OK);
    FT_EQ_STR(h->body, h->body_len, "Subject: t\r\n\r\n.dot\r\nbody\r\n");
    h->body_len = 0;

    FT_EQ_ST(pop3_top(h->c, 1, 0), POP3_OK);
    H_EXPECT_SENT(h, "TOP 1 0\r\n");
    h_feed_str(h, "+OK\r\nSubject: t\r\n\r\n.\r\n");
    H_EXPECT_DONE(h, 6, POP3_CMD_TOP, POP3_OK);
    FT_EQ_STR(h->body, h->body_len, "Subject: t\r\n\r\n");

    FT_EQ_ST(pop3_top(h->c, 4294967295U, 4294967295U), POP3_OK);
    H_EXPECT_SENT(h, "TOP 4294967295 4294967295\r\n");
    h_feed_str(h, "-ERR no such message\r\n");
    H_EXPECT_DONE(h, 7, POP3_CMD_TOP, POP3_ERR_SERVER);

    FT_EQ_ST(pop3_dele(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "DELE 1\r\n");
    h_feed_str(h, "+OK message 1 deleted\r\n");
    H_EXPECT_DONE(h, 8, POP3_CMD_DELE, POP3_OK);

    FT_EQ_ST(pop3_rset(h->c), POP3_OK);
    H_EXPECT_SENT(h, "RSET\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 9, POP3_CMD_RSET, POP3_OK);

    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 10, POP3_CMD_NOOP, POP3_OK);

    FT_EQ_ST(pop3_list(h->c, 2), POP3_OK);
    H_EXPECT_SENT(h, "LIST 2\r\n");
    h_feed_str(h, "+OK 2 200\r\n");
    H_EXPECT_DONE(h, 11, POP3_CMD_LIST, POP3_OK);
    FT_EQ(h->done[11].msg, 2);
    FT_EQ(h->done[11].octets, 200);

    FT_EQ_ST(pop3_uidl(h->c, 2), POP3_OK);
    H_EXPECT_SENT(h, "UIDL 2\r\n");
    h_feed_str(h, "+OK 2 QhdPYR:00WBw1Ph7x7\r\n");
    H_EXPECT_DONE(h, 12, POP3_CMD_UIDL, POP3_OK);
    FT_EQ(h->done[12].msg, 2);
    FT_EQ_STR(h->done[12].uid, h->done[12].uid_len, "QhdPYR:00WBw1Ph7x7");

    FT_EQ(h->close_calls, 0);
    FT_EQ_ST(pop3_quit(h->c), POP3_OK);
    H_EXPECT_SENT(h, "QUIT\r\n");
    FT_EQ(h->close_calls, 0);
    h_feed_str(h, "+OK dewey POP3 server signing off\r\n");
    H_EXPECT_DONE(h, 13, POP3_CMD_QUIT, POP3_OK);
    FT_EQ(h->ndone, 14);
    FT_EQ(h->close_calls, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), POP3_OK);
    FT_CHECK(!h->send_after_close);
    FT_EQ(h->send_zero_len_calls, 0);

    /* nothing is accepted after the session closed */
    FT_CHECK(pop3_noop(h->c) != POP3_OK);
    FT_EQ(h->ndone, 14);
    pop3_tick(h->c, 999999);
    FT_EQ(h->ndone, 14);
    FT_EQ(h->close_calls, 1);
}

/* Everything queued before pop3_start, served by a script in whole / split / byte chunks. */
static void test_queue_before_connect(void **state)
{
    (void)state;
    static const ft_script_t script[] = {
        {NULL, "+OK ready\r\n"},
        {"CAPA\r\n", "+OK\r\nUSER\r\nPIPELINING\r\n.\r\n"},
        {"USER bob\r\n", "+OK\r\n"},
        {"PASS pw\r\n", "+OK\r\n"},
        {"STAT\r\n", "+OK 1 10\r\n"},
        {"RETR 1\r\n", "+OK\r\nhi\r\n.\r\n"},
        {"DELE 1\r\n", "+OK\r\n"},
        {"QUIT\r\n", "+OK bye\r\n"},
    };
    static const pop3_cmd_t order[] = {POP3_CMD_CONNECT, POP3_CMD_LOGIN, POP3_CMD_STAT,
                                       POP3_CMD_RETR,    POP3_CMD_DELE,  POP3_CMD_QUIT};
    for (int m = 0; m < 3; m++) {
        ft_setctx("commands queued before start, replies %s",
                  m == FT_WHOLE ? "whole" : m == FT_AT ? "split in half" : "byte-by-byte");
        harness_t *h = h_new(0, NULL);
        FT_EQ_ST(pop3_login(h->c, "bob", "pw"), POP3_OK);
        FT_EQ_ST(pop3_stat(h->c), POP3_OK);
        FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
        FT_EQ_ST(pop3_dele(h->c, 1), POP3_OK);
        FT_EQ_ST(pop3_quit(h->c), POP3_OK);
        FT_EQ(h->sent_len, 0);
        FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
        FT_EQ(h->sent_len, 0);
        pop3_on_connected(h->c);
        h_pump(h);
        FT_EQ(h->sent_len, 0); /* nothing before the greeting */
        h_serve(h, script, sizeof script / sizeof script[0], (ft_split_mode_t)m);
        FT_EQ(h->ndone, 6);
        for (int i = 0; i < 6; i++) H_EXPECT_DONE(h, i, order[i], POP3_OK);
        FT_EQ_STR(h->body, h->body_len, "hi\r\n");
        FT_EQ(h->close_calls, 1);
        FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    }
}

/* RFC 2449 section 6.6: no pipelining unless the server lists PIPELINING. */
static void test_no_pipelining_without_cap(void **state)
{
    (void)state;
    ft_setctx("no PIPELINING capability: one command in flight");
    harness_t *h = h_new(0, NULL);
    h_ready(h); /* CAPA: USER UIDL TOP */
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    FT_EQ_ST(pop3_retr(h->c, 2), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "STAT\r\n");
    h_feed_str(h, "+OK 1 1\r\n");
    H_EXPECT_SENT(h, "RETR 2\r\n");
    h_feed_str(h, "+OK\r\n.\r\n");
    FT_EQ(h->ndone, 3);
    H_EXPECT_DONE(h, 2, POP3_CMD_RETR, POP3_OK);
}

/* on_done may queue the next command. */
static void done_hook_chain(harness_t *h, const ft_done_t *d)
{
    if (d->cmd == POP3_CMD_CONNECT && d->status == POP3_OK) FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
    if (d->cmd == POP3_CMD_LOGIN && d->status == POP3_OK) FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    if (d->cmd == POP3_CMD_STAT && d->status == POP3_OK) FT_EQ_ST(pop3_quit(h->c), POP3_OK);
}

static void test_commands_from_callbacks(void **state)
{
    (void)state;
    static const ft_script_t script[] = {
        {NULL, "+OK ready\r\n"},
        {"CAPA\r\n", "+OK\r\nUSER\r\n.\r\n"},
        {"USER u\r\n", "+OK\r\n"},
        {"PASS p\r\n", "+OK\r\n"},
        {"STAT\r\n", "+OK 0 0\r\n"},
        {"QUIT\r\n", "+OK\r\n"},
    };
    ft_setctx("commands queued from on_done");
    harness_t *h = h_new(0, NULL);
    h->done_hook = done_hook_chain;
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    h_serve(h, script, sizeof script / sizeof script[0], FT_WHOLE);
    FT_EQ(h->ndone, 4);
    H_EXPECT_DONE(h, 3, POP3_CMD_QUIT, POP3_OK);
    FT_EQ(h->close_calls, 1);
}

/* ======================================================================== */
/* Arguments                                                                  */

static void test_bad_args(void **state)
{
    (void)state;
    ft_setctx("bad arguments");
    harness_t *h = h_new(0, NULL);
    h_connect(h, "+OK hi\r\n", "+OK\r\nUSER\r\n.\r\n");
    static const char *const bad[] = {"a\rb", "a\nb", "ab\r\n", "\r", "\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char e[32];
        ft_escape(e, sizeof e, bad[i], strlen(bad[i]));
        ft_setctx("bad user \"%s\"", e);
        FT_EQ_ST(pop3_login(h->c, bad[i], "p"), POP3_ERR_BAD_ARG);
        ft_setctx("bad password \"%s\"", e);
        FT_EQ_ST(pop3_login(h->c, "u", bad[i]), POP3_ERR_BAD_ARG);
    }
    ft_setctx("NULL user/password");
    FT_EQ_ST(pop3_login(h->c, NULL, "p"), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_login(h->c, "u", NULL), POP3_ERR_BAD_ARG);

    char user[300];
    memset(user, 'u', sizeof user);
    user[249] = '\0'; /* "USER " + 249 + CRLF = 256 > 255 */
    ft_setctx("user of 249 octets (USER command 256 octets)");
    FT_EQ_ST(pop3_login(h->c, user, "p"), POP3_ERR_BAD_ARG);
    ft_setctx("password of 249 octets (PASS command 256 octets)");
    FT_EQ_ST(pop3_login(h->c, "u", user), POP3_ERR_BAD_ARG);
    user[299] = '\0';
    ft_setctx("user of 299 octets");
    FT_EQ_ST(pop3_login(h->c, user, "p"), POP3_ERR_BAD_ARG);
    ft_setctx("nothing sent after refused logins");
    H_EXPECT_SENT(h, "");
    FT_EQ(h->ndone, 1);

    ft_setctx("user of 248 octets (USER command exactly 255 octets) is accepted");
    user[248] = '\0';
    FT_EQ_ST(pop3_login(h->c, user, "p"), POP3_OK);
    char exp[320];
    snprintf(exp, sizeof exp, "USER %s\r\n", user);
    FT_EQ(strlen(exp), 255);
    H_EXPECT_SENT(h, exp);
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS p\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_OK);

    ft_setctx("message number 0");
    FT_EQ_ST(pop3_retr(h->c, 0), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_dele(h->c, 0), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_top(h->c, 0, 3), POP3_ERR_BAD_ARG);
    H_EXPECT_SENT(h, "");
    FT_EQ(h->ndone, 2);
    ft_setctx("queue still sane after refused commands");
    FT_EQ_ST(pop3_retr(h->c, 4294967295U), POP3_OK);
    H_EXPECT_SENT(h, "RETR 4294967295\r\n");
    h_feed_str(h, "+OK\r\n.\r\n");
    H_EXPECT_DONE(h, 2, POP3_CMD_RETR, POP3_OK);
    FT_EQ(h->ndone, 3);
}

static void test_queue_full(void **state)
{
    (void)state;
    ft_setctx("queue full");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    h->accept_max = 0; /* keep everything queued */
    int accepted = 0;
    pop3_status_t st = POP3_OK;
    for (int i = 0; i < 100; i++) {
        st = pop3_noop(h->c);
        if (st != POP3_OK) break;
        accepted++;
    }
    FT_EQ_ST(st, POP3_ERR_QUEUE_FULL);
    FT_CHECK_MSG(accepted >= 1 && accepted <= (int)POP3_QUEUE_LEN, "accepted %d commands", accepted);
    FT_EQ(h->ndone, 0);
    h->accept_max = SIZE_MAX;
    ft_script_t script[100];
    for (int i = 0; i < accepted; i++) {
        script[i].cmd = "NOOP\r\n";
        script[i].reply = "+OK\r\n";
    }
    h_serve(h, script, (size_t)accepted, FT_WHOLE);
    FT_EQ(h->ndone, accepted); /* exactly once per accepted command */
    for (int i = 0; i < accepted; i++) H_EXPECT_DONE(h, i, POP3_CMD_NOOP, POP3_OK);
}

/* ======================================================================== */
/* Several clients, error replies                                             */

static void test_two_clients(void **state)
{
    (void)state;
    ft_setctx("two clients side by side");
    harness_t *a = h_new(0, NULL);
    harness_t *b = h_new(1, NULL);
    FT_EQ_ST(pop3_start(a->c, 1000), POP3_OK);
    FT_EQ_ST(pop3_start(b->c, 1000), POP3_OK);
    pop3_on_connected(a->c);
    pop3_on_connected(b->c);
    h_feed_str(a, "+OK a <1.1@a>\r\n");
    h_feed_str(b, "+OK b\r\n");
    H_EXPECT_SENT(a, "CAPA\r\n");
    H_EXPECT_SENT(b, "CAPA\r\n");
    h_feed_str(b, "+OK\r\nUSER\r\nUIDL\r\n.\r\n");
    FT_EQ(a->ndone, 0);
    h_feed_str(a, "+OK\r\nUSER\r\nTOP\r\n.\r\n");
    FT_EQ(pop3_caps(a->c), POP3_CAP_USER | POP3_CAP_TOP | POP3_CAP_KNOWN);
    FT_EQ(pop3_caps(b->c), POP3_CAP_USER | POP3_CAP_UIDL | POP3_CAP_KNOWN);
    FT_CHECK(pop3_has_apop(a->c));
    FT_CHECK(!pop3_has_apop(b->c));
    FT_EQ_ST(pop3_login(a->c, "alice", "pa"), POP3_OK);
    FT_EQ_ST(pop3_login(b->c, "bob", "pb"), POP3_OK);
    H_EXPECT_SENT(a, "USER alice\r\n");
    H_EXPECT_SENT(b, "USER bob\r\n");
    h_feed_str(a, "+OK\r\n");
    h_feed_str(b, "+OK\r\n");
    H_EXPECT_SENT(a, "PASS pa\r\n");
    H_EXPECT_SENT(b, "PASS pb\r\n");
    h_feed_str(b, "+OK\r\n");
    h_feed_str(a, "+OK\r\n");
    FT_EQ_ST(pop3_retr(a->c, 1), POP3_OK);
    FT_EQ_ST(pop3_retr(b->c, 2), POP3_OK);
    H_EXPECT_SENT(a, "RETR 1\r\n");
    H_EXPECT_SENT(b, "RETR 2\r\n");
    static const char ra[] = "+OK\r\naaaa\r\n..a\r\n.\r\n";
    static const char rb[] = "+OK\r\nbbbbbbbb\r\n.\r\n";
    for (size_t i = 0; i < sizeof ra - 1 || i < sizeof rb - 1; i++) {
        if (i < sizeof ra - 1) h_feed(a, ra + i, 1);
        if (i < sizeof rb - 1) h_feed(b, rb + i, 1);
    }
    FT_EQ_STR(a->body, a->body_len, "aaaa\r\n.a\r\n");
    FT_EQ_STR(b->body, b->body_len, "bbbbbbbb\r\n");
    H_EXPECT_DONE(a, 2, POP3_CMD_RETR, POP3_OK);
    H_EXPECT_DONE(b, 2, POP3_CMD_RETR, POP3_OK);
    /* one closes, the other goes on */
    h_closed(a, POP3_ERR_TRANSPORT);
    FT_EQ(pop3_state(a->c), POP3_STATE_CLOSED);
    FT_EQ(pop3_state(b->c), POP3_STATE_TRANSACTION);
    FT_EQ_ST(pop3_noop(b->c), POP3_OK);
    H_EXPECT_SENT(b, "NOOP\r\n");
    H_EXPECT_SENT(a, "");
}

static void test_error_replies(void **state)
{
    (void)state;
    ft_setctx("-ERR greeting");
    harness_t *h = h_new(0, NULL);
    FT_EQ_ST(pop3_login(h->c, "u", "secret"), POP3_OK);
    FT_EQ_ST(pop3_start(h->c, 1000), POP3_OK);
    pop3_on_connected(h->c);
    h_feed_str(h, "-ERR [SYS/TEMP] too busy\r\n");
    H_EXPECT_SENT(h, "");
    expect_fatal_connect(h, POP3_ERR_SERVER, true);
    FT_EQ_STR(h->done[0].text, h->done[0].text_len, "[SYS/TEMP] too busy");
    FT_EQ(h->done[0].code, POP3_RESP_SYS_TEMP);

    ft_setctx("wrong password");
    h = h_new(0, NULL);
    h_connect(h, "+OK\r\n", "+OK\r\nUSER\r\n.\r\n");
    FT_EQ_ST(pop3_login(h->c, "alice", "wrong"), POP3_OK);
    H_EXPECT_SENT(h, "USER alice\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS wrong\r\n");
    h_feed_str(h, "-ERR [AUTH] invalid password\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_ERR_AUTH);
    FT_EQ_STR(h->done[1].text, h->done[1].text_len, "[AUTH] invalid password");
    FT_EQ(h->done[1].code, POP3_RESP_AUTH);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
    FT_EQ(h->close_calls, 0);
    ft_setctx("login retry after wrong password");
    FT_EQ_ST(pop3_login(h->c, "alice", "right"), POP3_OK);
    H_EXPECT_SENT(h, "USER alice\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS right\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 2, POP3_CMD_LOGIN, POP3_OK);
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);

    ft_setctx("USER rejected: PASS never sent");
    h = h_new(0, NULL);
    h_connect(h, "+OK\r\n", "+OK\r\nUSER\r\n.\r\n");
    FT_EQ_ST(pop3_login(h->c, "mallory", "secret"), POP3_OK);
    H_EXPECT_SENT(h, "USER mallory\r\n");
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    h_feed_str(h, "-ERR [IN-USE] locked\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_ERR_AUTH);
    FT_EQ(h->done[1].code, POP3_RESP_IN_USE);
    FT_CHECK(!sent_contains(h, "PASS"));
    /* NOOP is a TRANSACTION command: it cannot run after the failed login */
    H_EXPECT_DONE(h, 2, POP3_CMD_NOOP, POP3_ERR_STATE);
    H_EXPECT_SENT(h, "");
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);

    ft_setctx("QUIT -ERR still closes");
    h = h_new(0, NULL);
    h_ready(h);
    FT_EQ_ST(pop3_quit(h->c), POP3_OK);
    H_EXPECT_SENT(h, "QUIT\r\n");
    h_feed_str(h, "-ERR some deleted messages not removed\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_QUIT, POP3_ERR_SERVER);
    FT_EQ(h->close_calls, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);

    ft_setctx("QUIT in AUTH state");
    h = h_new(0, NULL);
    h_connect(h, "+OK\r\n", "+OK\r\n.\r\n");
    FT_EQ_ST(pop3_quit(h->c), POP3_OK);
    H_EXPECT_SENT(h, "QUIT\r\n");
    h_feed_str(h, "+OK bye\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_QUIT, POP3_OK);
    FT_EQ(h->close_calls, 1);
    FT_EQ_ST(pop3_session_status(h->c), POP3_OK);

    ft_setctx("unsolicited bytes while idle");
    h = h_new(0, NULL);
    h_ready(h);
    h_feed_str(h, "+OK surprise\r\n");
    FT_EQ(h->ndone, 0);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_PROTOCOL);
    FT_EQ(h->close_calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_full_session_plaintext, ft_teardown),
        cmocka_unit_test_teardown(test_queue_before_connect, ft_teardown),
        cmocka_unit_test_teardown(test_no_pipelining_without_cap, ft_teardown),
        cmocka_unit_test_teardown(test_commands_from_callbacks, ft_teardown),
        cmocka_unit_test_teardown(test_plaintext_login_refused, ft_teardown),
        cmocka_unit_test_teardown(test_stls_missing, ft_teardown),
        cmocka_unit_test_teardown(test_stls_capa_err, ft_teardown),
        cmocka_unit_test_teardown(test_stls_refused, ft_teardown),
        cmocka_unit_test_teardown(test_stls_injection, ft_teardown),
        cmocka_unit_test_teardown(test_stls_success_caps_reset, ft_teardown),
        cmocka_unit_test_teardown(test_stls_handshake_fail, ft_teardown),
        cmocka_unit_test_teardown(test_implicit_tls, ft_teardown),
        cmocka_unit_test_teardown(test_bad_args, ft_teardown),
        cmocka_unit_test_teardown(test_queue_full, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_connect, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_reply, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_rearmed_by_bytes, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_tls, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_wrap, ft_teardown),
        cmocka_unit_test_teardown(test_closed_mid_retr, ft_teardown),
        cmocka_unit_test_teardown(test_send_error, ft_teardown),
        cmocka_unit_test_teardown(test_pause_resume, ft_teardown),
        cmocka_unit_test_teardown(test_abort_from_callback, ft_teardown),
        cmocka_unit_test_teardown(test_pop3_abort, ft_teardown),
        cmocka_unit_test_teardown(test_abort_from_any_callback, ft_teardown),
        cmocka_unit_test_teardown(test_short_send_waits_for_writable, ft_teardown),
        cmocka_unit_test_teardown(test_short_sends, ft_teardown),
        cmocka_unit_test_teardown(test_password_wiped_and_masked, ft_teardown),
        cmocka_unit_test_teardown(test_apop, ft_teardown),
        cmocka_unit_test_teardown(test_two_clients, ft_teardown),
        cmocka_unit_test_teardown(test_error_replies, ft_teardown),
    };
    return cmocka_run_group_tests_name("unit_session", tests, NULL, NULL);
}
