/*
 * The commands an interactive shell types (issue 12): pop3_command() (a line
 * as typed, one-line or with a block) and pop3_user()/pop3_pass() one at a
 * time here; pop3_stls() in a plaintext session and pop3_utf8() (RFC 6856)
 * in test_shell_tls.c. Each with its success, -ERR, every refusal and
 * replies split at every point.
 */
#include "test_shell.h"

#include <stdio.h>
#include <stdlib.h>

/* ======================================================================== */
/* pop3_command                                                               */

static void test_raw_one_line(void **state)
{
    (void)state;
    static const char ok[] = "+OK still here\r\n";
    for (int trans = 0; trans < 2; trans++) {
        for (size_t at = 0; at <= sizeof ok - 1; at++) {
            ft_setctx("raw NOOP in %s, +OK split at %zu", trans ? "TRANSACTION" : "AUTHORIZATION", at);
            harness_t *h = trans ? trans_session(0, CAPA_PLAIN) : auth_session(0, true, CAPA_PLAIN);
            FT_EQ_ST(pop3_command(h->c, "noop", false), POP3_OK);
            H_EXPECT_SENT(h, "noop\r\n");
            h_feed_split(h, ok, sizeof ok - 1, FT_AT, at);
            FT_EQ(h->ndone, 1);
            H_EXPECT_DONE(h, 0, POP3_CMD_RAW, POP3_OK);
            expect_text(&h->done[0], "still here");
            FT_EQ(h->body_len, 0);
            FT_CHECK_MSG(ft_contains(h->trace, h->trace_len, "S:noop\nR:+OK still here\n"),
                         "trace lacks the line sent and the status line");
            FT_EQ(pop3_state(h->c), trans ? POP3_STATE_TRANSACTION : POP3_STATE_AUTH);
        }
    }
    ft_setctx("raw line answered -ERR");
    harness_t *h = trans_session(0, CAPA_PLAIN);
    FT_EQ_ST(pop3_command(h->c, "XTND XMIT", false), POP3_OK);
    H_EXPECT_SENT(h, "XTND XMIT\r\n");
    h_feed_split(h, S("-ERR [SYS/TEMP] unknown command\r\n"), FT_BYTES, 0);
    H_EXPECT_DONE(h, 0, POP3_CMD_RAW, POP3_ERR_SERVER);
    FT_EQ(h->done[0].code, POP3_RESP_SYS_TEMP);
    expect_text(&h->done[0], "[SYS/TEMP] unknown command");
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
    /* The session goes on. */
    FT_EQ_ST(pop3_command(h->c, "STAT", false), POP3_OK);
    H_EXPECT_SENT(h, "STAT\r\n");
    h_feed_str(h, "+OK 1 5\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_RAW, POP3_OK);

    ft_setctx("raw line with blanks and 8-bit octets sent exactly as given");
    h = trans_session(0, CAPA_PLAIN);
    FT_EQ_ST(pop3_command(h->c, "  X-CMD\ta  b \xc3\xa9 ", false), POP3_OK);
    H_EXPECT_SENT(h, "  X-CMD\ta  b \xc3\xa9 \r\n");
}

static void test_raw_block(void **state)
{
    (void)state;
    /* "..x" is unstuffed to ".x"; the CRLF before the end marker belongs to the block. */
    static const char reply[] = "+OK 2 messages\r\n1 10\r\n..dot\r\n\r\n.\r\n";
    static const char body[] = "1 10\r\n.dot\r\n\r\n";
    for (size_t at = 0; at <= sizeof reply - 1; at++) {
        ft_setctx("raw LIST with a block, split at %zu", at);
        harness_t *h = trans_session(0, CAPA_PLAIN);
        FT_EQ_ST(pop3_command(h->c, "LIST", true), POP3_OK);
        H_EXPECT_SENT(h, "LIST\r\n");
        h_feed_split(h, reply, sizeof reply - 1, FT_AT, at);
        FT_EQ(h->ndone, 1);
        H_EXPECT_DONE(h, 0, POP3_CMD_RAW, POP3_OK);
        FT_EQ_MEM(h->body, h->body_len, body, sizeof body - 1);
        FT_EQ(h->done[0].octets, sizeof body - 1);
        FT_EQ(h->done[0].body_len_at, sizeof body - 1);
        expect_text(&h->done[0], "2 messages");
        FT_CHECK_MSG(ft_contains(h->trace, h->trace_len, "R:+OK 2 messages\n"), "status line not traced");
        FT_CHECK_MSG(!ft_contains(h->trace, h->trace_len, "1 10"), "block lines traced");
        FT_EQ(h->close_calls, 0);
    }
    ft_setctx("raw block byte by byte");
    harness_t *h = trans_session(0, CAPA_PLAIN);
    FT_EQ_ST(pop3_command(h->c, "UIDL", true), POP3_OK);
    h_feed_split(h, reply, sizeof reply - 1, FT_BYTES, 0);
    H_EXPECT_DONE(h, 0, POP3_CMD_RAW, POP3_OK);
    FT_EQ_MEM(h->body, h->body_len, body, sizeof body - 1);
    expect_text(&h->done[0], "2 messages");

    ft_setctx("raw block: -ERR has no block, the next reply is read as such");
    h = trans_session(0, CAPA_PLAIN);
    FT_EQ_ST(pop3_command(h->c, "RETR 9", true), POP3_OK);
    FT_EQ_ST(pop3_command(h->c, "NOOP", false), POP3_OK);
    H_EXPECT_SENT(h, "RETR 9\r\n");
    h_feed_str(h, "-ERR no such message\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_RAW, POP3_ERR_SERVER);
    expect_text(&h->done[0], "no such message");
    FT_EQ(h->body_len, 0);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_RAW, POP3_OK);

    ft_setctx("raw block: empty block, status text without space");
    h = auth_session(0, true, CAPA_PLAIN);
    FT_EQ_ST(pop3_command(h->c, "CAPA", true), POP3_OK);
    h_feed_str(h, "+OK\r\n.\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_RAW, POP3_OK);
    FT_EQ(h->done[0].octets, 0);
    FT_EQ(h->done[0].text_len, 0);
    FT_EQ(h->ncapa, 0); /* a raw CAPA is a block, not capability lines */

    ft_setctx("raw block: on_body abort drains to the end marker");
    h = trans_session(0, CAPA_PLAIN);
    h->body_abort_at = 1;
    FT_EQ_ST(pop3_command(h->c, "RETR 1", true), POP3_OK);
    h_feed_split(h, S("+OK\r\nline one\r\n..two\r\n.\r\n"), FT_BYTES, 0);
    H_EXPECT_DONE(h, 0, POP3_CMD_RAW, POP3_ERR_ABORTED);
    FT_EQ(h->close_calls, 0);
}

static void test_raw_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", " ", "\t \t", "NOOP\r", "NO\nOP", "\r\n", "user alice", "USER", "Pass secret", "  APOP a b",
        "auth PLAIN", "AUTH", "StLs", "quit", "QUIT\tnow", "utf8", "UTF8 on", "\tpass x",
    };
    static const char *const good[] = {"USERS", "XUSER", "US ER", "UTF8X", "PAS", "QUITS", "STL S", "CAPA"};
    harness_t *h = trans_session(0, CAPA_PLAIN);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char esc[64];
        ft_escape(esc, sizeof esc, bad[i], strlen(bad[i]));
        ft_setctx("pop3_command(\"%s\") refused", esc);
        FT_EQ_ST(pop3_command(h->c, bad[i], false), POP3_ERR_BAD_ARG);
        FT_EQ_ST(pop3_command(h->c, bad[i], true), POP3_ERR_BAD_ARG);
        H_EXPECT_SENT(h, "");
    }
    ft_setctx("pop3_command(NULL)");
    FT_EQ_ST(pop3_command(h->c, NULL, false), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_command(NULL, "NOOP", false), POP3_ERR_BAD_ARG);
    FT_EQ(h->ndone, 0);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ft_setctx("pop3_command(\"%s\") accepted", good[i]);
        FT_EQ_ST(pop3_command(h->c, good[i], false), POP3_OK);
        char exp[32];
        snprintf(exp, sizeof exp, "%s\r\n", good[i]);
        H_EXPECT_SENT(h, exp);
        h_feed_str(h, "-ERR unknown\r\n");
        H_EXPECT_DONE(h, (int)i, POP3_CMD_RAW, POP3_ERR_SERVER);
    }

    ft_setctx("pop3_command: longest line that fits POP3_CMD_MAX_LEN with CR LF");
    char line[POP3_CMD_MAX_LEN + 8];
    memset(line, 'X', sizeof line);
    line[POP3_CMD_MAX_LEN - 1] = '\0'; /* 254 octets + CR LF = 256 */
    FT_EQ_ST(pop3_command(h->c, line, false), POP3_ERR_BAD_ARG);
    H_EXPECT_SENT(h, "");
    line[POP3_CMD_MAX_LEN - 2] = '\0'; /* 253 + CR LF = 255 */
    FT_EQ_ST(pop3_command(h->c, line, false), POP3_OK);
    FT_EQ(h_unchecked(h), POP3_CMD_MAX_LEN);

    ft_setctx("pop3_command on a closed session");
    h = trans_session(0, CAPA_PLAIN);
    h_closed(h, POP3_ERR_TRANSPORT);
    FT_EQ_ST(pop3_command(h->c, "NOOP", false), POP3_ERR_CLOSED);

    ft_setctx("pop3_command: queue full");
    h = trans_session(0, CAPA_PLAIN);
    pop3_status_t st = POP3_OK;
    int queued = 0;
    while ((st = pop3_command(h->c, "NOOP", false)) == POP3_OK) queued++;
    FT_EQ_ST(st, POP3_ERR_QUEUE_FULL);
    FT_EQ(queued, POP3_QUEUE_LEN);

    ft_setctx("pop3_command before the session is ready waits for CONNECT");
    h = h_new(0, NULL);
    FT_EQ_ST(pop3_command(h->c, "XHELLO", false), POP3_OK);
    h_connect(h, "+OK hi\r\n", CAPA_PLAIN);
    H_EXPECT_SENT(h, "XHELLO\r\n");
}

static void test_raw_never_pipelined(void **state)
{
    (void)state;
    for (int multi = 0; multi < 2; multi++) {
        ft_setctx("raw (%s) with PIPELINING: alone on the wire", multi ? "block" : "one line");
        harness_t *h = trans_session(0, CAPA_PIPE);
        FT_EQ(pop3_pipelining(h->c), true);
        h->accept_max = 1U << 20;
        FT_EQ_ST(pop3_stat(h->c), POP3_OK);
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        H_EXPECT_SENT(h, "STAT\r\nNOOP\r\n"); /* pipelined as usual */
        FT_EQ_ST(pop3_command(h->c, "XFOO", multi != 0), POP3_OK);
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        FT_EQ_ST(pop3_stat(h->c), POP3_OK);
        H_EXPECT_SENT(h, ""); /* nothing goes out while STAT and NOOP are outstanding */
        h_feed_str(h, "+OK 1 5\r\n");
        H_EXPECT_SENT(h, "");
        h_feed_str(h, "+OK\r\n");
        H_EXPECT_SENT(h, "XFOO\r\n"); /* alone: nothing behind it */
        h_feed_str(h, multi ? "+OK\r\nab\r\n.\r\n" : "+OK\r\n");
        H_EXPECT_DONE(h, 2, POP3_CMD_RAW, POP3_OK);
        H_EXPECT_SENT(h, "NOOP\r\nSTAT\r\n"); /* pipelining resumes behind it */
        h_feed_str(h, "+OK\r\n+OK 1 5\r\n");
        FT_EQ(h->ndone, 5);
        H_EXPECT_DONE(h, 4, POP3_CMD_STAT, POP3_OK);
    }

    ft_setctx("raw: bytes after its reply, nothing else on the wire: refused");
    harness_t *h = trans_session(0, CAPA_PIPE);
    FT_EQ_ST(pop3_command(h->c, "XFOO", false), POP3_OK);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "XFOO\r\n");
    h_feed_str(h, "+OK\r\n+OK\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_RAW, POP3_ERR_PROTOCOL);
    H_EXPECT_SENT(h, "");
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_PROTOCOL);

    ft_setctx("raw block: bytes after its end marker: refused");
    h = trans_session(0, CAPA_PIPE);
    FT_EQ_ST(pop3_command(h->c, "XLIST", true), POP3_OK);
    h_feed_str(h, "+OK\r\na\r\n.\r\n-ERR\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_RAW, POP3_ERR_PROTOCOL);
    FT_EQ(h->close_calls, 1);
}

/* ======================================================================== */
/* pop3_user / pop3_pass                                                      */

static void test_user_pass(void **state)
{
    (void)state;
    static const char ok_user[] = "+OK send PASS\r\n";
    static const char ok_pass[] = "+OK 2 messages\r\n";
    for (size_t at = 0; at <= sizeof ok_pass - 1; at++) {
        ft_setctx("USER then PASS, replies split at %zu", at);
        harness_t *h = auth_session(0, true, CAPA_PLAIN);
        FT_EQ_ST(pop3_user(h->c, "alice"), POP3_OK);
        H_EXPECT_SENT(h, "USER alice\r\n");
        h_feed_split(h, ok_user, sizeof ok_user - 1, FT_AT, at);
        H_EXPECT_DONE(h, 0, POP3_CMD_USER, POP3_OK);
        expect_text(&h->done[0], "send PASS");
        FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
        FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_OK);
        H_EXPECT_SENT(h, "PASS s3cret\r\n");
        FT_CHECK_MSG(!ft_contains(h->tx_buf, h->tx_buf_len, "s3cret"), "password in tx_buf right after it was sent");
        h_feed_split(h, ok_pass, sizeof ok_pass - 1, FT_AT, at);
        H_EXPECT_DONE(h, 1, POP3_CMD_PASS, POP3_OK);
        FT_EQ(h->done[1].state_at, POP3_STATE_TRANSACTION);
        FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
        FT_CHECK_MSG(ft_contains(h->trace, h->trace_len, "S:USER alice\nR:+OK send PASS\nS:PASS ***\n"),
                     "trace lacks USER alice / PASS *** ");
        check_no_secret(h);
        /* TRANSACTION commands go out now, as after pop3_login(). */
        FT_EQ_ST(pop3_stat(h->c), POP3_OK);
        H_EXPECT_SENT(h, "STAT\r\n");
        h_feed_str(h, "+OK 2 30\r\n");
        H_EXPECT_DONE(h, 2, POP3_CMD_STAT, POP3_OK);
        ft_setctx("USER in TRANSACTION: refused when its turn comes");
        FT_EQ_ST(pop3_user(h->c, "bob"), POP3_OK);
        H_EXPECT_DONE(h, 3, POP3_CMD_USER, POP3_ERR_STATE);
        H_EXPECT_SENT(h, "");
    }

    ft_setctx("USER and PASS queued together, PASS from USER's on_done");
    harness_t *h = auth_session(0, true, CAPA_PLAIN);
    FT_EQ_ST(pop3_user(h->c, "alice"), POP3_OK);
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_OK); /* right behind its USER */
    H_EXPECT_SENT(h, "USER alice\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS s3cret\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_PASS, POP3_OK);
    check_no_secret(h);
}

static void test_user_pass_failures(void **state)
{
    (void)state;
    ft_setctx("pop3_pass without USER");
    harness_t *h = auth_session(0, true, CAPA_PLAIN);
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_ERR_STATE);
    H_EXPECT_SENT(h, "");
    check_no_secret(h);

    ft_setctx("-ERR to USER: POP3_ERR_AUTH, PASS refused after it");
    h = auth_session(0, true, CAPA_PLAIN);
    FT_EQ_ST(pop3_user(h->c, "mallory"), POP3_OK);
    h_feed_split(h, S("-ERR [AUTH] no such user\r\n"), FT_BYTES, 0);
    H_EXPECT_DONE(h, 0, POP3_CMD_USER, POP3_ERR_AUTH);
    FT_EQ(h->done[0].code, POP3_RESP_AUTH);
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_ERR_STATE);
    H_EXPECT_SENT(h, "USER mallory\r\n");

    ft_setctx("PASS queued behind a USER that fails: never sent, wiped");
    h = auth_session(0, true, CAPA_PLAIN);
    FT_EQ_ST(pop3_user(h->c, "mallory"), POP3_OK);
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_OK);
    h_feed_str(h, "-ERR no\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_USER, POP3_ERR_AUTH);
    H_EXPECT_DONE(h, 1, POP3_CMD_PASS, POP3_ERR_STATE);
    H_EXPECT_SENT(h, "USER mallory\r\n");
    check_no_secret(h);

    ft_setctx("-ERR to PASS: POP3_ERR_AUTH, still AUTHORIZATION, USER needed again");
    h = auth_session(0, true, CAPA_PLAIN);
    FT_EQ_ST(pop3_user(h->c, "alice"), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_OK);
    h_feed_str(h, "-ERR [AUTH] wrong password\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_PASS, POP3_ERR_AUTH);
    FT_EQ(pop3_state(h->c), POP3_STATE_AUTH);
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_ERR_STATE);
    check_no_secret(h);
    FT_EQ_ST(pop3_user(h->c, "alice"), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 3, POP3_CMD_PASS, POP3_OK);
    H_EXPECT_SENT(h, "USER alice\r\nPASS s3cret\r\nUSER alice\r\nPASS s3cret\r\n");
    check_no_secret(h);

    ft_setctx("another command between USER and PASS: PASS refused");
    h = auth_session(0, true, CAPA_PLAIN);
    FT_EQ_ST(pop3_user(h->c, "alice"), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    FT_EQ_ST(pop3_command(h->c, "XNOOP", false), POP3_OK);
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_ERR_STATE); /* not right behind a USER */
    h_feed_str(h, "+OK\r\n");
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_ERR_STATE); /* XNOOP went between */
    H_EXPECT_SENT(h, "USER alice\r\nXNOOP\r\n");
    check_no_secret(h);

    ft_setctx("plaintext policy: USER and PASS refused without allow_plaintext_login");
    h = auth_session(0, false, CAPA_PLAIN);
    FT_EQ_ST(pop3_user(h->c, "alice"), POP3_ERR_SECURITY);
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_ERR_SECURITY);
    H_EXPECT_SENT(h, "");
    check_no_secret(h);

    ft_setctx("bad arguments");
    h = auth_session(0, true, CAPA_PLAIN);
    FT_EQ_ST(pop3_user(h->c, NULL), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_user(h->c, ""), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_user(h->c, "a\r\nDELE 1"), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_user(NULL, "a"), POP3_ERR_BAD_ARG);
    char longname[POP3_CMD_MAX_LEN];
    memset(longname, 'a', sizeof longname);
    longname[sizeof longname - 1] = '\0';
    FT_EQ_ST(pop3_user(h->c, longname), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_user(h->c, "alice"), POP3_OK);
    FT_EQ_ST(pop3_pass(h->c, NULL), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_pass(h->c, ""), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_pass(h->c, "s3cret\r\nDELE 1"), POP3_ERR_BAD_ARG);
    H_EXPECT_SENT(h, "USER alice\r\n");
    check_no_secret(h);

    ft_setctx("session closes with PASS queued: reported, wiped");
    h = auth_session(0, true, CAPA_PLAIN);
    FT_EQ_ST(pop3_user(h->c, "alice"), POP3_OK);
    FT_EQ_ST(pop3_pass(h->c, "s3cret"), POP3_OK);
    h_closed(h, POP3_ERR_TRANSPORT);
    H_EXPECT_DONE(h, 0, POP3_CMD_USER, POP3_ERR_TRANSPORT);
    H_EXPECT_DONE(h, 1, POP3_CMD_PASS, POP3_ERR_TRANSPORT);
    check_no_secret(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_raw_one_line, ft_teardown),
        cmocka_unit_test_teardown(test_raw_block, ft_teardown),
        cmocka_unit_test_teardown(test_raw_refused, ft_teardown),
        cmocka_unit_test_teardown(test_raw_never_pipelined, ft_teardown),
        cmocka_unit_test_teardown(test_user_pass, ft_teardown),
        cmocka_unit_test_teardown(test_user_pass_failures, ft_teardown),
        cmocka_unit_test_teardown(test_stls_then_login, ft_teardown),
        cmocka_unit_test_teardown(test_stls_failures, ft_teardown),
        cmocka_unit_test_teardown(test_utf8, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
