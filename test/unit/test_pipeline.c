/*
 * PIPELINING (RFC 2449 section 6.6) with the scripted fake transport: what
 * goes out back to back and in one send, replies split and merged at every
 * point, -ERR inside a batch, a close and a timeout with several commands on
 * the wire, DELE never ahead of its message's RETR, pop3_retr_dele(), the
 * depth knob, and the barriers (login, QUIT).
 */
#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>

#define CAPA_PIPE "+OK\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\n.\r\n"

/* Logged in on a server that advertises PIPELINING; records cleared. */
static harness_t *ready_pipe(int slot, uint8_t depth)
{
    harness_t *h = h_new(slot, NULL);
    h->c->cfg.pipeline_depth = depth; /* what pop3_config_t::pipeline_depth sets */
    h_connect(h, "+OK POP3 ready\r\n", CAPA_PIPE);
    FT_EQ(pop3_pipelining(h->c), false); /* AUTHORIZATION: never pipelined here */
    FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
    FT_EQ_ST(pop3_stat(h->c), POP3_OK); /* queued behind the login: waits for it */
    H_EXPECT_SENT(h, "USER u\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS p\r\n");
    h_feed_str(h, "+OK logged in\r\n");
    H_EXPECT_SENT(h, "STAT\r\n");
    h_feed_str(h, "+OK 2 20\r\n");
    H_EXPECT_DONE(h, h->ndone - 1, POP3_CMD_STAT, POP3_OK);
    FT_EQ(pop3_pipelining(h->c), depth != 1);
    h_reset_records(h);
    return h;
}

static const char batch_replies[] = "+OK 2 20\r\n"
                                    "+OK\r\nab\r\n..c\r\n.\r\n"
                                    "-ERR [SYS/TEMP] no such message\r\n"
                                    "+OK\r\n1 u1\r\n2 u2\r\n.\r\n"
                                    "+OK\r\n";

/* STAT, RETR 1, RETR 9 (-ERR), UIDL, NOOP: sent as one, answered in order. */
static harness_t *send_batch(int slot)
{
    harness_t *h = ready_pipe(slot, 0);
    int calls = h->send_calls;
    h->accept_max = 1U << 20; /* a roomy socket: everything in one call */
    /* Queued from outside a callback: the first goes out at once, the rest
     * behind it as each is queued. Queue all within a callback instead to
     * get one send (below). */
    FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    FT_EQ_ST(pop3_retr(h->c, 9), POP3_OK);
    FT_EQ_ST(pop3_uidl(h->c, 0), POP3_OK);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "STAT\r\nRETR 1\r\nRETR 9\r\nUIDL\r\nNOOP\r\n");
    FT_EQ(h->send_calls - calls, 5);
    FT_EQ(h->ndone, 0);
    return h;
}

static void check_batch(harness_t *h)
{
    FT_EQ(h->ndone, 5);
    H_EXPECT_DONE(h, 0, POP3_CMD_STAT, POP3_OK);
    FT_EQ(h->done[0].count, 2);
    H_EXPECT_DONE(h, 1, POP3_CMD_RETR, POP3_OK);
    FT_EQ(h->done[1].body_len_at, 8);
    H_EXPECT_DONE(h, 2, POP3_CMD_RETR, POP3_ERR_SERVER); /* fails alone */
    FT_EQ(h->done[2].code, POP3_RESP_SYS_TEMP);
    H_EXPECT_DONE(h, 3, POP3_CMD_UIDL, POP3_OK);
    H_EXPECT_DONE(h, 4, POP3_CMD_NOOP, POP3_OK);
    FT_EQ_STR(h->body, h->body_len, "ab\r\n.c\r\n");
    FT_EQ(h->nuidl, 2);
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
    H_EXPECT_SENT(h, "");
}

static void test_batch_every_split(void **state)
{
    (void)state;
    for (size_t at = 0; at <= sizeof batch_replies - 1; at++) {
        ft_setctx("pipelined batch, replies split at %zu", at);
        harness_t *h = send_batch(0);
        h_feed_split(h, batch_replies, sizeof batch_replies - 1, FT_AT, at);
        check_batch(h);
        h_free_all();
    }
    ft_setctx("pipelined batch, replies byte by byte");
    harness_t *h = send_batch(0);
    h_feed_split(h, batch_replies, sizeof batch_replies - 1, FT_BYTES, 0);
    check_batch(h);
}

/* Commands queued inside one callback leave in one send. */
static void queue_four(harness_t *h, const ft_done_t *d)
{
    if (d->cmd == POP3_CMD_NOOP) {
        for (uint32_t m = 1; m <= 4; m++) FT_EQ_ST(pop3_retr(h->c, m), POP3_OK);
    }
}

static void test_one_send_from_callback(void **state)
{
    (void)state;
    ft_setctx("commands queued in on_done go out in one send");
    harness_t *h = ready_pipe(0, 0);
    h->accept_max = 1U << 20;
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h->done_hook = queue_four;
    int calls = h->send_calls;
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "RETR 1\r\nRETR 2\r\nRETR 3\r\nRETR 4\r\n");
    FT_EQ(h->send_calls - calls, 1);
    h->done_hook = NULL;
    h_feed_str(h, "+OK\r\nA\r\n.\r\n+OK\r\nB\r\n.\r\n+OK\r\nC\r\n.\r\n+OK\r\nD\r\n.\r\n");
    FT_EQ(h->ndone, 5);
    for (int i = 1; i <= 4; i++) H_EXPECT_DONE(h, i, POP3_CMD_RETR, POP3_OK);
    FT_EQ_STR(h->body, h->body_len, "A\r\nB\r\nC\r\nD\r\n");
}

/* The injection rule keeps its strength: bytes after a reply with nothing
 * else on the wire are still a protocol violation. */
static void test_trailing_bytes_without_outstanding(void **state)
{
    (void)state;
    ft_setctx("bytes after the only outstanding reply");
    harness_t *h = ready_pipe(0, 0);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_feed_str(h, "+OK\r\n+OK forged\r\n");
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, POP3_ERR_PROTOCOL);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_PROTOCOL);

    ft_setctx("one reply too many in a pipelined batch");
    h = ready_pipe(1, 0);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\nNOOP\r\n");
    h_feed_str(h, "+OK\r\n+OK\r\n+OK forged\r\n");
    FT_EQ(h->ndone, 2);
    H_EXPECT_DONE(h, 0, POP3_CMD_NOOP, POP3_OK);
    H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_ERR_PROTOCOL);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_PROTOCOL);
}

static void test_close_mid_batch(void **state)
{
    (void)state;
    static const char replies[] = "+OK\r\nX\r\n.\r\n+OK\r\nYY\r\nZ";
    for (size_t cut = 0; cut <= sizeof replies - 1; cut++) {
        ft_setctx("connection lost mid-batch after %zu octets", cut);
        harness_t *h = ready_pipe(0, 0);
        FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
        FT_EQ_ST(pop3_retr(h->c, 2), POP3_OK);
        FT_EQ_ST(pop3_dele(h->c, 1), POP3_OK);
        FT_EQ_ST(pop3_quit(h->c), POP3_OK);
        h_feed(h, replies, cut);
        h_closed(h, POP3_ERR_TRANSPORT);
        FT_EQ(h->ndone, 4); /* each once */
        bool first_ok = cut >= 11; /* "+OK\r\nX\r\n.\r\n" */
        H_EXPECT_DONE(h, 0, POP3_CMD_RETR, first_ok ? POP3_OK : POP3_ERR_TRANSPORT);
        FT_EQ(h->done[1].cmd, POP3_CMD_RETR);
        FT_CHECK(h->done[1].status != POP3_OK); /* a partial body is never complete */
        FT_EQ(h->done[2].cmd, POP3_CMD_DELE);
        FT_CHECK(h->done[2].status != POP3_OK);
        FT_EQ(h->done[3].cmd, POP3_CMD_QUIT);
        FT_CHECK(h->done[3].status != POP3_OK);
        FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_TRANSPORT);
        FT_EQ(pop3_unanswered(h->c), 2U); /* DELE 1 waits for RETR 1, QUIT for every reply */
        h_free_all();
    }
}

static void test_timeout_says_outstanding(void **state)
{
    (void)state;
    ft_setctx("server answers only the first command of a batch");
    harness_t *h = ready_pipe(0, 0);
    h->now = 1000;
    pop3_tick(h->c, 1000);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    FT_EQ_ST(pop3_retr(h->c, 2), POP3_OK);
    FT_EQ_ST(pop3_retr(h->c, 3), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\nRETR 2\r\nRETR 3\r\n");
    h_feed_str(h, "+OK\r\n1\r\n.\r\n");
    FT_EQ(h->ndone, 1);
    h_tick(h, 1000 + POP3_REPLY_TIMEOUT_MS + 1);
    FT_EQ(h->ndone, 3);
    H_EXPECT_DONE(h, 1, POP3_CMD_RETR, POP3_ERR_TIMEOUT);
    FT_EQ_ST(pop3_session_status(h->c), POP3_ERR_TIMEOUT);
    FT_EQ(pop3_unanswered(h->c), 2U);
}

/* A DELE never goes out before the RETR of the same message completed. */
static void test_dele_waits_for_its_retr(void **state)
{
    (void)state;
    ft_setctx("DELE 1 held behind RETR 1");
    harness_t *h = ready_pipe(0, 0);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    FT_EQ_ST(pop3_dele(h->c, 2), POP3_OK); /* another message: may follow */
    FT_EQ_ST(pop3_dele(h->c, 1), POP3_OK);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);     /* behind the held DELE: order is kept */
    H_EXPECT_SENT(h, "RETR 1\r\nDELE 2\r\n");
    h_feed_str(h, "+OK\r\nbody\r\n");
    H_EXPECT_SENT(h, "");
    h_feed_str(h, ".\r\n");
    H_EXPECT_SENT(h, "DELE 1\r\nNOOP\r\n");
    h_feed_str(h, "+OK\r\n+OK\r\n+OK\r\n");
    FT_EQ(h->ndone, 4);
    H_EXPECT_DONE(h, 3, POP3_CMD_NOOP, POP3_OK);
}

static void test_retr_dele(void **state)
{
    (void)state;
    ft_setctx("pop3_retr_dele: DELE only after a whole body");
    harness_t *h = ready_pipe(0, 0);
    FT_EQ_ST(pop3_retr_dele(h->c, 0), POP3_ERR_BAD_ARG);
    FT_EQ_ST(pop3_retr_dele(h->c, 1), POP3_OK);
    FT_EQ_ST(pop3_retr_dele(h->c, 2), POP3_OK);
    FT_EQ_ST(pop3_retr_dele(h->c, 3), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\nRETR 2\r\nRETR 3\r\n");
    h_feed_str(h, "+OK\r\none\r\n.\r\n");
    H_EXPECT_SENT(h, "DELE 1\r\n"); /* queued from RETR 1's end, behind RETR 3 */
    h_feed_str(h, "-ERR gone\r\n");  /* RETR 2: no DELE */
    h_feed_str(h, "+OK\r\nthr");
    h_closed(h, POP3_ERR_TRANSPORT); /* RETR 3 cut: no DELE either */
    FT_EQ(h->ndone, 4);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    H_EXPECT_DONE(h, 1, POP3_CMD_RETR, POP3_ERR_SERVER);
    H_EXPECT_DONE(h, 2, POP3_CMD_RETR, POP3_ERR_TRANSPORT);
    FT_EQ(h->done[3].cmd, POP3_CMD_DELE);
    FT_CHECK(h->done[3].status != POP3_OK);
    H_EXPECT_SENT(h, "");

    ft_setctx("pop3_retr_dele without pipelining");
    h = ready_pipe(1, 1);
    FT_EQ_ST(pop3_retr_dele(h->c, 4), POP3_OK);
    FT_EQ_ST(pop3_quit(h->c), POP3_OK);
    H_EXPECT_SENT(h, "RETR 4\r\n");
    h_feed_str(h, "+OK\r\nx\r\n.\r\n");
    H_EXPECT_SENT(h, "QUIT\r\n"); /* the DELE went in behind QUIT, which was queued first */
    h_feed_str(h, "+OK bye\r\n");
    FT_EQ(h->ndone, 3);
    H_EXPECT_DONE(h, 1, POP3_CMD_QUIT, POP3_OK);
    FT_EQ(h->done[2].cmd, POP3_CMD_DELE);
    FT_CHECK(h->done[2].status != POP3_OK);
}

/* The DELE of a pop3_retr_dele() always finds a queue slot and room, however
 * full the queue was (the RETR's own slot; the room kept for it). */
static void test_retr_dele_room(void **state)
{
    (void)state;
    ft_setctx("retr_dele keeps room for its DELE");
    harness_t *h = ready_pipe(0, 1); /* one at a time: the rest waits in tx_buf */
    int queued = 0;
    FT_EQ_ST(pop3_retr_dele(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    while (pop3_retr_dele(h->c, 4000000000U) == POP3_OK) queued++;
    FT_CHECK(queued >= 1);
    h_feed_str(h, "+OK\r\n.\r\n"); /* RETR 1 done: its DELE must fit */
    FT_EQ(h->ndone, 1);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_OK);
    H_EXPECT_SENT(h, "RETR 4000000000\r\n");
    for (int i = 0; i < queued; i++) h_feed_str(h, "+OK\r\n.\r\n");
    h_feed_str(h, "+OK\r\n"); /* DELE 1 */
    FT_EQ(h->done[h->ndone - 1].cmd, POP3_CMD_DELE);
}

static void test_depth(void **state)
{
    (void)state;
    ft_setctx("pipeline_depth = 1: one at a time");
    harness_t *h = ready_pipe(0, 1);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "NOOP\r\n");

    ft_setctx("pipeline_depth = 3");
    h = ready_pipe(1, 3);
    for (int i = 0; i < 5; i++) FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\nNOOP\r\nNOOP\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "NOOP\r\n");
    h_feed_str(h, "+OK\r\n+OK\r\n");
    H_EXPECT_SENT(h, "NOOP\r\n");

    ft_setctx("default depth: the whole queue");
    h = ready_pipe(2, 0);
    for (unsigned i = 0; i < POP3_QUEUE_LEN; i++) FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_EQ(h_unchecked(h), 6U * POP3_QUEUE_LEN);
}

/* QUIT goes out alone once every reply came (Dovecot 2.3 drops output it
 * still buffers when a pipelined QUIT closes); commands behind it end when
 * it closes. */
static void test_quit_is_last(void **state)
{
    (void)state;
    ft_setctx("QUIT waits for every reply, nothing behind it");
    harness_t *h = ready_pipe(0, 0);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_EQ_ST(pop3_quit(h->c), POP3_OK);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\nNOOP\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "QUIT\r\n");
    h_feed_str(h, "+OK bye\r\n");
    FT_EQ(h->ndone, 4);
    H_EXPECT_DONE(h, 2, POP3_CMD_QUIT, POP3_OK);
    FT_EQ(h->done[3].cmd, POP3_CMD_NOOP);
    FT_CHECK(h->done[3].status != POP3_OK);
    FT_EQ_ST(pop3_session_status(h->c), POP3_OK);
    FT_EQ(pop3_unanswered(h->c), 0U);
    H_EXPECT_SENT(h, "");
}

/* A blocked socket: what was queued meanwhile goes out after writable. */
static void test_blocked_socket(void **state)
{
    (void)state;
    ft_setctx("pipelined commands queued while the socket is full");
    harness_t *h = ready_pipe(0, 0);
    h->accept_max = 3;
    h->auto_pump = false;
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    h->accept_max = 0;
    FT_EQ_ST(pop3_uidl(h->c, 0), POP3_OK);
    FT_CHECK(pop3_wants_write(h->c));
    h->accept_max = 1U << 20;
    pop3_on_writable(h->c);
    H_EXPECT_SENT(h, "NOOP\r\nSTAT\r\nRETR 1\r\nUIDL\r\n");
    h_feed_str(h, "+OK\r\n+OK 1 1\r\n+OK\r\n.\r\n+OK\r\n.\r\n");
    FT_EQ(h->ndone, 4);
    H_EXPECT_DONE(h, 3, POP3_CMD_UIDL, POP3_OK);
}

/* Bytes that arrived in the same input as a reply can only answer commands
 * already on the wire when they arrived, never one that reply released. */
static void test_reply_before_its_command(void **state)
{
    (void)state;
    ft_setctx("a reply to a command not yet sent, in the same input");
    harness_t *h = ready_pipe(0, 2);
    FT_EQ_ST(pop3_stat(h->c), POP3_OK);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    FT_EQ_ST(pop3_dele(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "STAT\r\nNOOP\r\n");
    h_feed_str(h, "+OK 2 20\r\n+OK\r\n+OK deleted\r\n");
    FT_EQ(h->ndone, 3);
    H_EXPECT_DONE(h, 0, POP3_CMD_STAT, POP3_OK);
    H_EXPECT_DONE(h, 1, POP3_CMD_NOOP, POP3_ERR_PROTOCOL);
    FT_CHECK(h->done[2].cmd == POP3_CMD_DELE && h->done[2].status != POP3_OK);
    H_EXPECT_SENT(h, ""); /* DELE never went out */

    ft_setctx("the held DELE's reply forged behind its RETR's body");
    h = ready_pipe(1, 0);
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    FT_EQ_ST(pop3_dele(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    h_feed_str(h, "+OK\r\nx\r\n.\r\n+OK deleted\r\n");
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_PROTOCOL);
    H_EXPECT_SENT(h, "");

    ft_setctx("commands queued while paused input waits go out after it");
    h = ready_pipe(2, 0);
    h->body_pause_at = 1;
    FT_EQ_ST(pop3_retr(h->c, 1), POP3_OK);
    H_EXPECT_SENT(h, "RETR 1\r\n");
    static const char in[] = "+OK\r\nab\r\n.\r\n+OK\r\n";
    size_t took = h_feed(h, in, sizeof in - 1);
    FT_CHECK(pop3_is_paused(h->c) && took < sizeof in - 1);
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, ""); /* the withheld bytes came before it */
    h->body_pause_at = 0;
    pop3_resume(h->c);
    h_feed(h, in + took, sizeof in - 1 - took);
    FT_EQ(h->ndone, 2);
    H_EXPECT_DONE(h, 0, POP3_CMD_RETR, POP3_ERR_PROTOCOL); /* "+OK" after the body: nothing was on the wire */
    FT_CHECK(h->done[1].cmd == POP3_CMD_NOOP && h->done[1].status != POP3_OK);
    H_EXPECT_SENT(h, "");
}

/* A pipelined run blocked in send does not make the head's reply premature. */
static void test_reply_while_batch_blocked(void **state)
{
    (void)state;
    ft_setctx("head's reply while the run behind it is blocked");
    harness_t *h = ready_pipe(0, 0);
    h->auto_pump = false;
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    H_EXPECT_SENT(h, "NOOP\r\n");
    h->done_hook = queue_four;
    h->budget_mode = true; /* a socket with room for 10 octets, then full */
    h->budget = 10;
    h_feed_str(h, "+OK\r\n");
    h->done_hook = NULL;
    FT_CHECK(pop3_wants_write(h->c));
    H_EXPECT_SENT(h, "RETR 1\r\nRE");
    h_feed_str(h, "+OK\r\nA\r\n.\r\n"); /* RETR 1 was sent whole: its reply is fine */
    FT_EQ(h->ndone, 2);
    H_EXPECT_DONE(h, 1, POP3_CMD_RETR, POP3_OK);
    h->budget = 1U << 20;
    pop3_on_writable(h->c);
    h_feed_str(h, "+OK\r\nB\r\n.\r\n+OK\r\nC\r\n.\r\n+OK\r\nD\r\n.\r\n");
    FT_EQ(h->ndone, 5);
    H_EXPECT_DONE(h, 4, POP3_CMD_RETR, POP3_OK);
}

/* PASS is masked in the trace; pipelined lines are traced one by one. */
static void test_trace_lines(void **state)
{
    (void)state;
    ft_setctx("each pipelined line traced");
    harness_t *h = ready_pipe(0, 0);
    h->done_hook = queue_four;
    FT_EQ_ST(pop3_noop(h->c), POP3_OK);
    h_feed_str(h, "+OK\r\n");
    FT_CHECK(ft_contains(h->trace, h->trace_len, "S:RETR 1\nS:RETR 2\nS:RETR 3\nS:RETR 4\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_batch_every_split, ft_teardown),
        cmocka_unit_test_teardown(test_one_send_from_callback, ft_teardown),
        cmocka_unit_test_teardown(test_trailing_bytes_without_outstanding, ft_teardown),
        cmocka_unit_test_teardown(test_close_mid_batch, ft_teardown),
        cmocka_unit_test_teardown(test_timeout_says_outstanding, ft_teardown),
        cmocka_unit_test_teardown(test_dele_waits_for_its_retr, ft_teardown),
        cmocka_unit_test_teardown(test_retr_dele, ft_teardown),
        cmocka_unit_test_teardown(test_retr_dele_room, ft_teardown),
        cmocka_unit_test_teardown(test_depth, ft_teardown),
        cmocka_unit_test_teardown(test_quit_is_last, ft_teardown),
        cmocka_unit_test_teardown(test_blocked_socket, ft_teardown),
        cmocka_unit_test_teardown(test_trace_lines, ft_teardown),
        cmocka_unit_test_teardown(test_reply_before_its_command, ft_teardown),
        cmocka_unit_test_teardown(test_reply_while_batch_blocked, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
