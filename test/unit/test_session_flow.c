/*
 * unit_session: flow control (pause/resume, pop3_abort from the application
 * and from inside every callback) and short sends
 * (the test list and main() are in test_session.c).
 */
#include "test_session.h"

#include <stdio.h>
#include <stdlib.h>

/* ======================================================================== */
/* Flow control                                                               */

void test_pause_resume(void **state)
{
    (void)state;
    static const char reply[] = "+OK\r\nAAA\r\n..B\r\nCCC\r\n..\r\nDDD\r\n.\r\n";
    static const char body[] = "AAA\r\n.B\r\nCCC\r\n.\r\nDDD\r\n";
    const size_t len = sizeof reply - 1;
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        ft_setctx("pause on every on_body call, %s", bytewise ? "byte-by-byte" : "one chunk");
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        h->body_pause_always = true;
        FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
        H_EXPECT_SENT(h, "RETR 1\r\n");
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        size_t off = 0;
        int pauses = 0;
        while (off < len) {
            size_t want = bytewise ? 1 : len - off;
            int calls = h->body_calls;
            size_t n = h_feed(h, reply + off, want);
            off += n;
            if (pop3_is_paused(h->c)) {
                pauses++;
                FT_CHECK_MSG(pauses < 100, "too many pauses");
                FT_EQ(h->body_calls, calls + 1);
                if (!bytewise) FT_CHECK_MSG(n < want, "paused but consumed all %zu octets", want);
                /* while paused nothing is consumed and nothing delivered */
                calls = h->body_calls;
                if (off < len) FT_EQ(h_feed(h, reply + off, len - off), 0);
                FT_EQ(h->body_calls, calls);
                FT_EQ(h->ndone, 0);
                int w = h->wake_calls;
                pop3_resume(h->c);
                FT_EQ(h->wake_calls, w + 1);
                FT_CHECK(!pop3_is_paused(h->c));
                h_pump(h);
            } else {
                FT_EQ(n, want);
            }
        }
        FT_CHECK(pauses >= 3);
        FT_EQ(h->ndone, 1);
        H_EXPECT_SENT(h, "NOOP\r\n");
        h_feed_str(h, "+OK noop\r\n"); /* its own chunk: sent after NOOP */
        FT_EQ(h->ndone, 2);
        H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
        H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_OK);
        FT_EQ_MEM(h->body, h->body_len, body, sizeof body - 1);
        FT_EQ(h->done[0].octets, sizeof body - 1);
    }

    ft_setctx("pause in on_list");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    h->list_pause_at = 1;
    FT_EQ_ST(pop3_list(h->c, 0), POP3_OK);
    H_EXPECT_SENT(h, "LIST\r\n");
    static const char lr[] = "+OK\r\n1 10\r\n2 20\r\n.\r\n";
    size_t n = h_feed(h, lr, sizeof lr - 1);
    FT_CHECK(n < sizeof lr - 1);
    FT_CHECK(pop3_is_paused(h->c));
    FT_EQ(h->nlist, 1);
    FT_EQ(h->ndone, 0);
    pop3_resume(h->c);
    FT_EQ(h->wake_calls, 1);
    FT_EQ(h_feed(h, lr + n, sizeof lr - 1 - n), sizeof lr - 1 - n);
    FT_EQ(h->nlist, 2);
    FT_EQ(h->list[1].msg, 2);
    FT_EQ(h->list[1].octets, 20);
    H_EXPECT_DONE(h, 0, POP3_CMD_LIST, POP3_OK);
}

void test_abort_from_callback(void **state)
{
    (void)state;
    static const char reply[] = "+OK\r\nAAA\r\n..B\r\nCCC\r\n.\r\n";
    static const char body[] = "AAA\r\n.B\r\nCCC\r\n";
    const size_t len = sizeof reply - 1;
    for (size_t run = 0; run <= len; run++) {
        ft_split_mode_t m = run == 0 ? FT_WHOLE : run == len ? FT_BYTES : FT_AT;
        ft_setctx("on_body returns ABORT, %s at=%zu", m == FT_WHOLE ? "whole" : m == FT_AT ? "split" : "bytes", run);
        harness_t *h = h_new(0, NULL);
        h_ready(h);
        h->body_abort_at = 1;
        FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
        H_EXPECT_SENT(h, "RETR 1\r\n");
        FT_EQ_ST(pop3_noop(h->c), POP3_OK);
        FT_EQ(h_feed_split(h, reply, len, m, run), len);
        H_EXPECT_SENT(h, "NOOP\r\n");
        h_feed_str(h, "+OK noop\r\n");
        FT_EQ(h->body_calls, 1);
        FT_CHECK(h->body_len <= sizeof body - 1 && memcmp(h->body, body, h->body_len) == 0);
        FT_EQ(h->ndone, 2);
        H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_ABORTED);
        H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_OK);
        FT_EQ_STR(h->done[1].text, h->done[1].text_len, "noop");
        FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
        FT_EQ(h->close_calls, 0);
    }
}

/* Issue 7, defects 3 and 4: pop3_abort() is allowed from every callback, on_trace
 * included, at any point of a session; each accepted command (and CONNECT) is
 * then reported exactly once, nothing is sent after close, nothing crashes. */
static void abort_done_hook(harness_t *h, const ft_done_t *d)
{
    (void)d;
    if (h->ndone == *(const int *)h->user) pop3_abort(h->c);
}

void test_abort_from_any_callback(void **state)
{
    (void)state;
    static const char *const replies[] = {
        "+OK hi\r\n", "+OK\r\nUSER\r\nUIDL\r\n.\r\n", "+OK\r\n", "+OK in\r\n", "+OK\r\nTOP\r\nUIDL\r\n.\r\n",
        "+OK 2 10\r\n", "+OK\r\n1 5\r\n2 5\r\n.\r\n", "+OK\r\n1 a\r\n2 b\r\n.\r\n", "+OK\r\nbo\r\n..dy\r\n.\r\n",
        "+OK bye\r\n"};
    static const pop3_cmd_t cmds[] = {POP3_CMD_CONNECT, POP3_CMD_LOGIN, POP3_CMD_CAPA, POP3_CMD_STAT,
                                      POP3_CMD_LIST, POP3_CMD_UIDL, POP3_CMD_RETR, POP3_CMD_QUIT};
    static const char *const kinds[] = {"on_trace", "on_done", "on_body", "on_list/on_uidl/on_capa"};
    for (int kind = 0; kind < 4; kind++) {
        for (int k = 1; k <= 24; k++) {
            ft_setctx("pop3_abort() from %s call %d", kinds[kind], k);
            harness_t *h = h_new(0, NULL);
            int at = k;
            h->user = &at;
            if (kind == 0) h->trace_core_abort_at = k;
            if (kind == 1) h->done_hook = abort_done_hook;
            if (kind == 2) h->body_core_abort_at = k;
            if (kind == 3) h->entry_core_abort_at = k;
            FT_EQ_ST(pop3_start(h->c, 0), POP3_OK);
            FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
            FT_EQ_ST(pop3_capa(h->c), POP3_OK);
            FT_EQ_ST(pop3_stat(h->c), POP3_OK);
            FT_EQ_ST(pop3_list(h->c, 0), POP3_OK);
            FT_EQ_ST(pop3_uidl(h->c, 0), POP3_OK);
            FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
            FT_EQ_ST(pop3_quit(h->c), POP3_OK);
            pop3_on_connected(h->c);
            for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
                if (pop3_state(h->c) == POP3_STATE_CLOSED) break;
                h_feed_str(h, replies[i]);
            }
            FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
            FT_EQ(h->ndone, 8);
            for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
                int n = 0;
                for (int j = 0; j < h->ndone; j++) n += h->done[j].cmd == cmds[i];
                FT_CHECK_MSG(n == 1, "%s reported %d times", pop3_cmd_name(cmds[i]), n);
            }
            FT_CHECK(h->close_calls <= 1);
            FT_CHECK(!h->send_after_close);
            pop3_abort(h->c); /* closed: does nothing */
            FT_EQ(h->ndone, 8);
            h_free_all();
        }
    }
}

void test_pop3_abort(void **state)
{
    (void)state;
    ft_setctx("pop3_abort with RETR in flight and NOOP queued");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    h_feed_str(h, "+OK\r\nabc");
    pop3_abort(h->c);
    h_pump(h);
    FT_EQ(h->ndone, 2);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_ABORTED);
    H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_ERR_ABORTED);
    FT_EQ(h->close_calls, 1);
    FT_EQ(pop3_state(h->c), POP3_STATE_CLOSED);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_ABORTED);
    FT_CHECK_MSG(!sent_contains(h, "QUIT"), "pop3_abort sent QUIT");
}

/* ======================================================================== */
/* Short sends                                                                */

/* Port contract: a short send is re-offered at once; after 0 (would-block) the
 * core sends nothing until pop3_on_writable(), then offers the same bytes. */
void test_short_send_waits_for_writable(void **state)
{
    (void)state;
    ft_setctx("would-block: no send before pop3_on_writable");
    harness_t *h = h_new(0, NULL);
    h_ready(h);
    h->auto_pump = false;
    h->accept_max = 1;
    int calls = h->send_calls;
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_CHECK_MSG(h->send_calls - calls == 6, "1 octet per call: expected 6 sends for NOOP, got %d",
                 h->send_calls - calls);
    H_EXPECT_SENT(h, "NOOP\r\n");
    FT_CHECK(!pop3_wants_write(h->c));
    h_feed_str(h, "+OK\r\n");
    h->accept_max = 0; /* would-block */
    calls = h->send_calls;
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_CHECK_MSG(h->send_calls - calls == 1, "would-block: expected one send attempt, got %d",
                 h->send_calls - calls);
    FT_CHECK(pop3_wants_write(h->c));
    FT_EQ_ST(pop3_stat(h->c), POP3_OK); /* queued behind: must not trigger a send */
    FT_CHECK_MSG(h->send_calls - calls == 1, "send retried before pop3_on_writable");
    h->accept_max = 2;
    int guard = 0;
    while (pop3_wants_write(h->c) && guard++ < 100) {
        pop3_on_writable(h->c);
    }
    H_EXPECT_SENT(h, "NOOP\r\n");
}

static void drain_writable(harness_t *h, const size_t *pattern, size_t np)
{
    for (size_t i = 0; i < 2000 && (pop3_wants_write(h->c) || h->wake_pending); i++) {
        h->budget_per_writable = pattern[i % np];
        h_writable(h);
    }
}

void test_short_sends(void **state)
{
    (void)state;
    static const size_t one[] = {1};
    ft_setctx("socket with room for one octet per writable event");
    harness_t *h = h_new(0, NULL);
    h_connect(h, "+OK hi\r\n", "+OK\r\nUSER\r\n.\r\n");
    h->auto_pump = false;
    h->budget_mode = true;
    h->budget = 1;
    h->budget_per_writable = 1;
    FT_EQ_ST(pop3_login(h->c, "alice", "secret"), POP3_OK);
    FT_CHECK_MSG(h_unchecked(h) == 1, "%zu octets sent with room for 1", h_unchecked(h));
    FT_CHECK(pop3_wants_write(h->c));
    drain_writable(h, one, 1);
    H_EXPECT_SENT(h, "USER alice\r\n");
    FT_CHECK(!pop3_wants_write(h->c));
    h->budget = 0; /* reply arrives while the socket is full */
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "");
    FT_CHECK(pop3_wants_write(h->c));
    drain_writable(h, one, 1);
    H_EXPECT_SENT(h, "PASS secret\r\n");
    FT_CHECK_MSG(!ft_contains(h->tx_buf, h->tx_buf_len, "secret"), "password still in tx_buf after PASS was sent");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_LOGIN, POP3_OK);
    FT_CHECK(!ft_contains(h->tx_buf, h->tx_buf_len, "secret"));

    ft_setctx("would-block then irregular partial sends");
    h = h_new(0, NULL);
    h_ready(h);
    h->auto_pump = false;
    h->budget_mode = true;
    h->budget = 0;
    h->budget_per_writable = 0;
    FT_EQ_ST(pop3_retr(h->c, 12345), POP3_OK);
    FT_EQ_ST(pop3_dele(h->c, 12345), POP3_OK);
    h_writable(h);
    h_writable(h);
    H_EXPECT_SENT(h, "");
    FT_CHECK(pop3_wants_write(h->c));
    static const size_t pattern[] = {3, 0, 0, 1, 0, 2, 7, 0, 1};
    drain_writable(h, pattern, sizeof pattern / sizeof pattern[0]);
    H_EXPECT_SENT(h, "RETR 12345\r\n"); /* no PIPELINING: DELE waits for the reply */
    h->budget_per_writable = 2;
    h->budget = 2;
    h_feed_str(h, "+OK\r\nx\r\n.\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    drain_writable(h, pattern, sizeof pattern / sizeof pattern[0]);
    H_EXPECT_SENT(h, "DELE 12345\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_DONE(h, 1, POP3_CMD_DELE, POP3_OK);
}
