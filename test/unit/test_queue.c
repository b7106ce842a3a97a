/*
 * Unit tests of pop3_queue.c alone: command formatting into tx_buf, the
 * command queue and the command table, called directly through
 * pop3_internal.h on a client set up by pop3_init() (the harness of
 * fake_transport.h: exactly-sized heap buffers, so ASan sees any write past
 * tx_buf, and a fake port that counts every call). Nothing here goes through
 * the session: the queue functions must not call the transport at all.
 *
 * The free part of tx_buf is zeroed before each test; every check then
 * requires tx_buf[tx_len..] to be all zero, so text that a refused command,
 * pop3_q_pop() or pop3_tx_drop() should have wiped is caught.
 */
#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>

#include "pop3_internal.h"

static harness_t *q_new(size_t tx_buf_len)
{
    ft_opts_t o = h_plain_opts();
    o.tx_buf_len = tx_buf_len;
    harness_t *h = h_new(0, &o);
    FT_EQ(pop3_state(h->c), POP3_STATE_IDLE);
    memset(h->tx_buf, 0, h->tx_buf_len);
    return h;
}

/* tx_buf holds exactly `text` (tx_len octets), the rest is zero, the port untouched. */
static void q_expect_tx(const char *file, int line, harness_t *h, const void *text, size_t len)
{
    pop3_client_t *c = h->c;
    if (c->tx_len != len) ft_fail_at(file, line, "tx_len is %zu, expected %zu", c->tx_len, len);
    ft_eq_mem(file, line, "tx_buf", c->cfg.tx_buf, c->tx_len, text, len);
    for (size_t i = c->tx_len; i < h->tx_buf_len; i++)
        if (c->cfg.tx_buf[i] != 0)
            ft_fail_at(file, line, "tx_buf[%zu] = 0x%02X past tx_len %zu: not wiped", i,
                       (unsigned char)c->cfg.tx_buf[i], c->tx_len);
    if (h->send_calls || h->close_calls || h->start_tls_calls || h->wake_calls)
        ft_fail_at(file, line, "the queue called the port: send %d close %d start_tls %d wake %d", h->send_calls,
                   h->close_calls, h->start_tls_calls, h->wake_calls);
}
#define Q_EXPECT_TX(h, text, len) q_expect_tx(__FILE__, __LINE__, (h), (text), (len))
#define Q_EXPECT_TX_STR(h, s) q_expect_tx(__FILE__, __LINE__, (h), (s), strlen(s))

static void q_expect_entry(const char *file, int line, const pop3_client_t *c, unsigned idx, pop3_cmd_t cmd,
                           unsigned lines, size_t tx_len, uint32_t msg)
{
    if (idx >= c->q_count) ft_fail_at(file, line, "entry %u of %u queued", idx, (unsigned)c->q_count);
    const pop3_queue_entry_t *e = &c->queue[(c->q_head + idx) % POP3_QUEUE_LEN];
    if (e->cmd != cmd || e->lines != lines || e->tx_len != tx_len || e->msg != msg)
        ft_fail_at(file, line, "entry %u is {%s, lines %u, tx_len %u, msg %lu}, expected {%s, %u, %zu, %lu}", idx,
                   ft_cmd_name((pop3_cmd_t)e->cmd), (unsigned)e->lines, (unsigned)e->tx_len, (unsigned long)e->msg,
                   ft_cmd_name(cmd), lines, tx_len, (unsigned long)msg);
}
#define Q_EXPECT_ENTRY(c, idx, cmd, lines, tx_len, msg) \
    q_expect_entry(__FILE__, __LINE__, (c), (idx), (cmd), (lines), (tx_len), (msg))

/* One line: verb, then `fill` octets of `ch` (in pieces of `piece`), committed. */
static pop3_status_t q_line(pop3_client_t *c, const char *verb, char ch, size_t fill, size_t piece, pop3_cmd_t cmd)
{
    static char junk[1024];
    pop3_fmt_t f;
    FT_CHECK(fill <= sizeof junk && piece > 0);
    if (fill > sizeof junk || piece == 0) {
        return POP3_ERR_BAD_ARG; /* a check that records and goes on must not overrun junk */
    }
    memset(junk, ch, fill);
    pop3_fmt_begin(&f, c, verb);
    for (size_t off = 0; off < fill; off += piece) pop3_fmt_put(&f, junk + off, fill - off < piece ? fill - off : piece);
    return pop3_fmt_commit(&f, cmd, 0);
}

/* ======================================================================== */

static void test_fmt_commands(void **state)
{
    (void)state;
    harness_t *h = q_new(0);
    pop3_client_t *c = h->c;
    pop3_fmt_t f;

    FT_CHECK(pop3_q_head(c) == NULL);
    FT_CHECK(pop3_q_has_room(c, POP3_QUEUE_LEN));
    FT_CHECK(!pop3_q_has_room(c, POP3_QUEUE_LEN + 1));

    pop3_fmt_begin(&f, c, "NOOP");
    FT_EQ(c->tx_len, 0); /* nothing counted before the commit */
    FT_EQ(c->q_count, 0);
    FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_NOOP, 0), POP3_OK);
    Q_EXPECT_TX_STR(h, "NOOP\r\n");
    FT_EQ(c->q_count, 1);
    FT_EQ(c->q_head, 0);
    Q_EXPECT_ENTRY(c, 0, POP3_CMD_NOOP, 1, 6, 0);
    FT_CHECK(pop3_q_head(c) == &c->queue[0]);

    pop3_fmt_begin(&f, c, "RETR");
    pop3_fmt_u32(&f, 42);
    FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_RETR, 42), POP3_OK);
    Q_EXPECT_TX_STR(h, "NOOP\r\nRETR 42\r\n");
    Q_EXPECT_ENTRY(c, 1, POP3_CMD_RETR, 1, 9, 42);

    pop3_fmt_begin(&f, c, "TOP");
    pop3_fmt_u32(&f, 1);
    pop3_fmt_u32(&f, 0);
    FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_TOP, 1), POP3_OK);
    Q_EXPECT_TX_STR(h, "NOOP\r\nRETR 42\r\nTOP 1 0\r\n");
    Q_EXPECT_ENTRY(c, 2, POP3_CMD_TOP, 1, 9, 1);

    pop3_fmt_begin(&f, c, "DELE");
    pop3_fmt_u32(&f, 4294967295U);
    FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_DELE, 4294967295U), POP3_OK);
    Q_EXPECT_TX_STR(h, "NOOP\r\nRETR 42\r\nTOP 1 0\r\nDELE 4294967295\r\n");
    Q_EXPECT_ENTRY(c, 3, POP3_CMD_DELE, 1, 17, 4294967295U);

    pop3_fmt_begin(&f, c, "USER ");
    pop3_fmt_put(&f, "alice", 5);
    pop3_fmt_line(&f, "PASS ");
    pop3_fmt_put(&f, "s3", 2);
    pop3_fmt_put(&f, "cret", 4);
    FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_LOGIN, 0), POP3_OK);
    Q_EXPECT_TX_STR(h, "NOOP\r\nRETR 42\r\nTOP 1 0\r\nDELE 4294967295\r\nUSER alice\r\nPASS s3cret\r\n");
    Q_EXPECT_ENTRY(c, 4, POP3_CMD_LOGIN, 2, 25, 0);

    /* Every digit count of pop3_fmt_u32. */
    uint32_t v = 0;
    char exp[32];
    for (unsigned d = 1; d <= 10; d++) {
        harness_t *h2 = q_new(0);
        pop3_fmt_begin(&f, h2->c, "LIST");
        pop3_fmt_u32(&f, v);
        FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_LIST, v), POP3_OK);
        snprintf(exp, sizeof exp, "LIST %lu\r\n", (unsigned long)v);
        ft_setctx("u32 %lu", (unsigned long)v);
        Q_EXPECT_TX_STR(h2, exp);
        Q_EXPECT_ENTRY(h2->c, 0, POP3_CMD_LIST, 1, strlen(exp), v);
        v = v * 10U + 9U;
    }
    ft_setctx("");
    (void)h;
}

/* A line of exactly POP3_CMD_MAX_LEN octets (CR LF included) is accepted, one
 * more is POP3_ERR_BAD_ARG and nothing of it stays in tx_buf. */
static void test_fmt_max_line(void **state)
{
    (void)state;
    const size_t fill_max = POP3_CMD_MAX_LEN - 7U; /* "USER " + fill + CR LF */
    static const size_t pieces[] = {1, 7, 100, 1024};
    for (size_t pi = 0; pi < sizeof pieces / sizeof pieces[0]; pi++) {
        ft_setctx("max line, put in pieces of %zu", pieces[pi]);
        harness_t *h = q_new(0);
        pop3_client_t *c = h->c;
        FT_EQ_ST(q_line(c, "USER ", 'u', fill_max, pieces[pi], POP3_CMD_LOGIN), POP3_OK);
        FT_EQ(c->tx_len, POP3_CMD_MAX_LEN);
        Q_EXPECT_ENTRY(c, 0, POP3_CMD_LOGIN, 1, POP3_CMD_MAX_LEN, 0);
        FT_EQ_MEM(c->cfg.tx_buf + POP3_CMD_MAX_LEN - 2, 2, "\r\n", 2);

        h = q_new(0);
        c = h->c;
        FT_EQ_ST(q_line(c, "USER ", 'u', fill_max + 1, pieces[pi], POP3_CMD_LOGIN), POP3_ERR_BAD_ARG);
        FT_EQ(c->q_count, 0);
        Q_EXPECT_TX(h, "", 0);

        /* Behind a queued command: that one is kept, only the refused text is wiped. */
        FT_EQ_ST(q_line(c, "NOOP", 'x', 0, 1, POP3_CMD_NOOP), POP3_OK);
        FT_EQ_ST(q_line(c, "USER ", 'u', fill_max + 1, pieces[pi], POP3_CMD_LOGIN), POP3_ERR_BAD_ARG);
        FT_EQ_ST(q_line(c, "USER ", 'u', fill_max + 200, pieces[pi], POP3_CMD_LOGIN), POP3_ERR_BAD_ARG);
        FT_EQ(c->q_count, 1);
        Q_EXPECT_TX_STR(h, "NOOP\r\n");
    }

    /* The limit is per line: USER and PASS each at the limit make one 2-line
     * command of 2 * POP3_CMD_MAX_LEN octets (it fills the minimum tx_buf). */
    static char user[300], pass[300], both[600];
    memset(user, 'u', fill_max);
    memset(pass, 'p', fill_max);
    for (int over = 0; over <= 1; over++) {
        ft_setctx("two lines, PASS line %s", over ? "one over" : "at the limit");
        harness_t *h = q_new(POP3_MIN_TX_BUF_LEN);
        pop3_client_t *c = h->c;
        pop3_fmt_t f;
        pop3_fmt_begin(&f, c, "USER ");
        pop3_fmt_put(&f, user, fill_max);
        pop3_fmt_line(&f, "PASS ");
        pop3_fmt_put(&f, pass, fill_max - 1U + (size_t)over);
        pop3_fmt_put(&f, "p", 1);
        if (over) {
            size_t written = f.len;
            FT_CHECK(written > POP3_CMD_MAX_LEN); /* the USER line and part of PASS were written */
            FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_LOGIN, 0), POP3_ERR_BAD_ARG);
            FT_EQ(c->q_count, 0);
            Q_EXPECT_TX(h, "", 0); /* the password is wiped with the rest */
        } else {
            FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_LOGIN, 0), POP3_OK);
            int n = snprintf(both, sizeof both, "USER %.*s\r\nPASS %.*s\r\n", (int)fill_max, user, (int)fill_max, pass);
            Q_EXPECT_TX(h, both, (size_t)n);
            FT_EQ(c->tx_len, 2U * POP3_CMD_MAX_LEN);
            Q_EXPECT_ENTRY(c, 0, POP3_CMD_LOGIN, 2, 2U * POP3_CMD_MAX_LEN, 0);
            FT_CHECK(!pop3_q_has_room(c, 1)); /* tx_buf is full */
        }
    }
    ft_setctx("");
}

/* tx_buf full: POP3_ERR_QUEUE_FULL, nothing committed, the partial text wiped. */
static void test_fmt_tx_full(void **state)
{
    (void)state;
    const size_t cap = POP3_MIN_TX_BUF_LEN;
    const size_t fill_max = POP3_CMD_MAX_LEN - 7U;

    harness_t *h = q_new(cap);
    pop3_client_t *c = h->c;
    static char first[POP3_CMD_MAX_LEN + 1];
    FT_EQ_ST(q_line(c, "USER ", 'a', fill_max, 1024, POP3_CMD_LOGIN), POP3_OK);
    memcpy(first, c->cfg.tx_buf, POP3_CMD_MAX_LEN);

    /* A dialog command whose first line fits but not its second. */
    static char pw[300];
    memset(pw, 'S', sizeof pw);
    pop3_fmt_t f;
    pop3_fmt_begin(&f, c, "USER ");
    pop3_fmt_put(&f, "abcdef", 6);
    pop3_fmt_line(&f, "PASS ");
    /* fits, but leaves 1 octet too few for CR LF (the SASL piece area is not for queued text) */
    pop3_fmt_put(&f, pw, cap - POP3_SASL_TX_RESERVE_LEN - POP3_CMD_MAX_LEN - 13U - 5U - 1U);
    FT_CHECK(f.full);
    FT_CHECK(f.len >= 13U);
    FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_LOGIN, 0), POP3_ERR_QUEUE_FULL);
    FT_EQ(c->q_count, 1);
    Q_EXPECT_TX(h, first, POP3_CMD_MAX_LEN);

    /* Filling tx_buf to the last octet is fine; then nothing fits. */
    FT_EQ_ST(q_line(c, "USER ", 'b', cap - POP3_SASL_TX_RESERVE_LEN - POP3_CMD_MAX_LEN - 7U, 1024, POP3_CMD_LOGIN),
             POP3_OK);
    FT_EQ(c->tx_len, cap - POP3_SASL_TX_RESERVE_LEN);
    FT_EQ(c->q_count, 2);
    FT_CHECK(!pop3_q_has_room(c, 1));
    FT_EQ_ST(q_line(c, "NOOP", 'x', 0, 1, POP3_CMD_NOOP), POP3_ERR_QUEUE_FULL);
    FT_EQ_ST(q_line(c, "", 'x', 0, 1, POP3_CMD_NOOP), POP3_ERR_QUEUE_FULL);
    FT_EQ(c->q_count, 2);
    FT_EQ(c->tx_len, cap - POP3_SASL_TX_RESERVE_LEN);
    FT_EQ_MEM(c->cfg.tx_buf, POP3_CMD_MAX_LEN, first, POP3_CMD_MAX_LEN);

    const size_t avail = cap - POP3_SASL_TX_RESERVE_LEN; /* the rest is SASL's piece area */
    /* The exact boundary for every amount of room left: a command of R octets
     * fits, one of R + 1 does not (and leaves nothing behind). */
    for (size_t l1 = 2; l1 <= POP3_CMD_MAX_LEN; l1++) {
        ft_setctx("room boundary, first command %zu octets", l1);
        h = q_new(cap);
        c = h->c;
        FT_EQ_ST(q_line(c, "", '1', l1 - 2U, 1024, POP3_CMD_NOOP), POP3_OK);
        size_t l2 = avail - l1 < POP3_CMD_MAX_LEN ? avail - l1 : POP3_CMD_MAX_LEN;
        FT_EQ_ST(q_line(c, "", '2', l2 - 2U, 1024, POP3_CMD_NOOP), POP3_OK);
        size_t room = avail - l1 - l2;
        FT_EQ(c->tx_len, l1 + l2);
        FT_EQ(pop3_q_has_room(c, 1), room >= 6U);
        if (room >= 2U) {
            /* R + 1 octets first: refused, then R octets: accepted. */
            FT_EQ_ST(q_line(c, "", '3', room - 1U, 7, POP3_CMD_NOOP), POP3_ERR_QUEUE_FULL);
            FT_EQ(c->q_count, 2);
            for (size_t i = c->tx_len; i < avail; i++) FT_EQ(c->cfg.tx_buf[i], 0);
            FT_EQ_ST(q_line(c, "", '3', room - 2U, 7, POP3_CMD_NOOP), POP3_OK);
            FT_EQ(c->tx_len, avail);
            FT_EQ(c->q_count, 3);
            Q_EXPECT_ENTRY(c, 2, POP3_CMD_NOOP, 1, room, 0);
        }
    }
    ft_setctx("");
}

static void test_q_has_room(void **state)
{
    (void)state;
    harness_t *h = q_new(0);
    pop3_client_t *c = h->c;
    for (unsigned n = 0; n < POP3_QUEUE_LEN; n++) {
        FT_CHECK(pop3_q_has_room(c, POP3_QUEUE_LEN - n));
        FT_CHECK(!pop3_q_has_room(c, POP3_QUEUE_LEN - n + 1));
        FT_EQ_ST(q_line(c, "NOOP", 'x', 0, 1, POP3_CMD_NOOP), POP3_OK);
    }
    FT_CHECK(!pop3_q_has_room(c, 1));
    FT_CHECK(pop3_q_has_room(c, 0));
    /* Room in tx_buf: at least a 4-letter verb and CR LF. */
    h = q_new(0);
    c = h->c;
    FT_EQ_ST(q_line(c, "", 'x', POP3_CMD_MAX_LEN - 2U, 1024, POP3_CMD_NOOP), POP3_OK);
    FT_EQ_ST(q_line(c, "", 'y', h->tx_buf_len - POP3_SASL_TX_RESERVE_LEN - POP3_CMD_MAX_LEN - 8U, 1024, POP3_CMD_NOOP),
             POP3_OK);
    FT_EQ(h->tx_buf_len - POP3_SASL_TX_RESERVE_LEN - c->tx_len, 6);
    FT_CHECK(pop3_q_has_room(c, 1));
    FT_EQ_ST(q_line(c, "NOOP", 'x', 0, 1, POP3_CMD_NOOP), POP3_OK);
    FT_CHECK(!pop3_q_has_room(c, 1));
}

/* ======================================================================== */
/* Ring wrap-around against a model FIFO                                    */

typedef struct {
    char text[64];
    size_t len;
    pop3_cmd_t cmd;
    unsigned lines;
    uint32_t msg;
} q_model_t;

static uint32_t q_rng = 12345U;
static uint32_t q_rand(void)
{
    q_rng = q_rng * 1103515245U + 12345U;
    return q_rng >> 16;
}

static void q_check_model(harness_t *h, const q_model_t *m, unsigned head, unsigned count, unsigned pops)
{
    pop3_client_t *c = h->c;
    char all[POP3_QUEUE_LEN * 64];
    size_t n = 0;
    FT_EQ(c->q_count, count);
    FT_EQ(c->q_head, pops % POP3_QUEUE_LEN);
    for (unsigned i = 0; i < count; i++) {
        const q_model_t *e = &m[(head + i) % POP3_QUEUE_LEN];
        Q_EXPECT_ENTRY(c, i, e->cmd, e->lines, e->len, e->msg);
        memcpy(all + n, e->text, e->len);
        n += e->len;
    }
    Q_EXPECT_TX(h, all, n);
    if (count == 0) FT_CHECK(pop3_q_head(c) == NULL);
    else FT_CHECK(pop3_q_head(c) == &c->queue[c->q_head]);
}

static void test_queue_wrap(void **state)
{
    (void)state;
    harness_t *h = q_new(POP3_QUEUE_LEN * 64 + POP3_SASL_TX_RESERVE_LEN);
    pop3_client_t *c = h->c;
    q_model_t m[POP3_QUEUE_LEN];
    unsigned head = 0, count = 0, pops = 0, pushes = 0;
    for (unsigned step = 0; step < 5000; step++) {
        ft_setctx("wrap step %u (pushes %u, pops %u, queued %u)", step, pushes, pops, count);
        bool push = count == 0 || (count < POP3_QUEUE_LEN && (q_rand() % 3U) != 0);
        if (step > 2500) push = count == 0 || (count < POP3_QUEUE_LEN && (q_rand() % 3U) == 0);
        FT_EQ(pop3_q_has_room(c, 1), count < POP3_QUEUE_LEN);
        if (push) {
            q_model_t *e = &m[(head + count) % POP3_QUEUE_LEN];
            pop3_fmt_t f;
            uint32_t msg = q_rand() * 65536U + q_rand();
            if (q_rand() % 4U == 0) {
                int n = snprintf(e->text, sizeof e->text, "USER u%lu\r\nPASS p%lu\r\n", (unsigned long)msg,
                                 (unsigned long)pushes);
                char tmp[16];
                pop3_fmt_begin(&f, c, "USER u");
                snprintf(tmp, sizeof tmp, "%lu", (unsigned long)msg);
                pop3_fmt_put(&f, tmp, strlen(tmp));
                pop3_fmt_line(&f, "PASS p");
                snprintf(tmp, sizeof tmp, "%lu", (unsigned long)pushes);
                pop3_fmt_put(&f, tmp, strlen(tmp));
                e->len = (size_t)n;
                e->cmd = POP3_CMD_LOGIN;
                e->lines = 2;
                e->msg = 0;
            } else {
                int n = snprintf(e->text, sizeof e->text, "RETR %lu\r\n", (unsigned long)msg);
                pop3_fmt_begin(&f, c, "RETR");
                pop3_fmt_u32(&f, msg);
                e->len = (size_t)n;
                e->cmd = POP3_CMD_RETR;
                e->lines = 1;
                e->msg = msg;
            }
            FT_EQ_ST(pop3_fmt_commit(&f, e->cmd, e->msg), POP3_OK);
            count++;
            pushes++;
        } else {
            q_model_t *e = &m[head];
            pop3_queue_entry_t *qe = pop3_q_head(c);
            FT_CHECK(qe != NULL);
            if (e->lines == 2 && (q_rand() & 1U)) {
                /* The USER line went out as the session sends it (pop3_dispatch.c). */
                size_t l1 = (size_t)((const char *)memchr(e->text, '\n', e->len) - e->text) + 1U;
                qe->lines--;
                qe->tx_len = (uint16_t)(qe->tx_len - l1);
                pop3_tx_drop(c, l1);
                memmove(e->text, e->text + l1, e->len - l1);
                e->len -= l1;
                e->lines = 1;
                q_check_model(h, m, head, count, pops);
            }
            c->q_sent = 1;
            pop3_q_pop(c);
            FT_CHECK(c->q_sent == 0);
            head = (head + 1U) % POP3_QUEUE_LEN;
            count--;
            pops++;
        }
        q_check_model(h, m, head, count, pops);
    }
    FT_CHECK(pops > 10U * POP3_QUEUE_LEN);
    ft_setctx("");
}

/* ======================================================================== */

static void test_q_pop_wipes(void **state)
{
    (void)state;
    static const char *const pw = "Tr0ub4dor&3";
    pop3_fmt_t f;

    /* Never sent: the whole text goes, the password with it. */
    harness_t *h = q_new(0);
    pop3_client_t *c = h->c;
    pop3_fmt_begin(&f, c, "USER ");
    pop3_fmt_put(&f, "alice", 5);
    pop3_fmt_line(&f, "PASS ");
    pop3_fmt_put(&f, pw, strlen(pw));
    FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_LOGIN, 0), POP3_OK);
    FT_EQ_ST(q_line(c, "NOOP", 'x', 0, 1, POP3_CMD_NOOP), POP3_OK);
    pop3_q_pop(c);
    Q_EXPECT_TX_STR(h, "NOOP\r\n");
    FT_CHECK(!ft_contains(c->cfg.tx_buf, h->tx_buf_len, pw));
    FT_EQ(c->q_count, 1);
    Q_EXPECT_ENTRY(c, 0, POP3_CMD_NOOP, 1, 6, 0);
    pop3_q_pop(c);
    Q_EXPECT_TX(h, "", 0);
    FT_EQ(c->q_count, 0);
    FT_CHECK(pop3_q_head(c) == NULL);

    /* USER sent, PASS not (USER refused): the unsent PASS line is wiped. */
    h = q_new(0);
    c = h->c;
    pop3_fmt_begin(&f, c, "USER ");
    pop3_fmt_put(&f, "bob", 3);
    pop3_fmt_line(&f, "PASS ");
    pop3_fmt_put(&f, pw, strlen(pw));
    FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_LOGIN, 0), POP3_OK);
    FT_EQ_ST(q_line(c, "STAT", 'x', 0, 1, POP3_CMD_STAT), POP3_OK);
    pop3_queue_entry_t *e = pop3_q_head(c);
    e->lines--;
    e->tx_len = (uint16_t)(e->tx_len - 10U);
    pop3_tx_drop(c, 10); /* "USER bob\r\n" */
    Q_EXPECT_TX_STR(h, "PASS Tr0ub4dor&3\r\nSTAT\r\n");
    pop3_q_pop(c);
    Q_EXPECT_TX_STR(h, "STAT\r\n");
    FT_CHECK(!ft_contains(c->cfg.tx_buf, h->tx_buf_len, pw));
    FT_EQ(e->tx_len, 0); /* the popped entry counts no text any more */
}

static void test_tx_drop(void **state)
{
    (void)state;
    harness_t *h = q_new(0);
    pop3_client_t *c = h->c;
    FT_EQ_ST(q_line(c, "AAAA", 'x', 0, 1, POP3_CMD_NOOP), POP3_OK);
    FT_EQ_ST(q_line(c, "BBBBBB", 'x', 0, 1, POP3_CMD_NOOP), POP3_OK);
    pop3_queue_entry_t before[POP3_QUEUE_LEN];
    memcpy(before, c->queue, sizeof before);
    pop3_tx_drop(c, 0);
    Q_EXPECT_TX_STR(h, "AAAA\r\nBBBBBB\r\n");
    pop3_tx_drop(c, 3);
    Q_EXPECT_TX_STR(h, "A\r\nBBBBBB\r\n");
    pop3_tx_drop(c, 3);
    Q_EXPECT_TX_STR(h, "BBBBBB\r\n");
    FT_CHECK(memcmp(before, c->queue, sizeof before) == 0); /* entries are the caller's business */
    pop3_tx_drop(c, 8);
    Q_EXPECT_TX(h, "", 0);

    /* Overlapping move of a long text, one octet at a time and in steps. */
    static const size_t steps[] = {1, 2, 7, 100};
    for (size_t si = 0; si < sizeof steps / sizeof steps[0]; si++) {
        ft_setctx("tx_drop by %zu", steps[si]);
        h = q_new(0);
        c = h->c;
        char text[POP3_CMD_MAX_LEN];
        pop3_fmt_t f;
        for (size_t i = 0; i < sizeof text - 2U; i++) text[i] = (char)('!' + (char)(i % 90U));
        memcpy(text + sizeof text - 2U, "\r\n", 2);
        pop3_fmt_begin(&f, c, "");
        pop3_fmt_put(&f, text, sizeof text - 2U);
        FT_EQ_ST(pop3_fmt_commit(&f, POP3_CMD_NOOP, 0), POP3_OK);
        size_t off = 0;
        while (off < sizeof text) {
            size_t n = steps[si] < sizeof text - off ? steps[si] : sizeof text - off;
            pop3_tx_drop(c, n);
            off += n;
            Q_EXPECT_TX(h, text + off, sizeof text - off);
        }
    }
    ft_setctx("");
}

/* Regression (found by this file, fixed in pop3_fmt_put): once a put set
 * `full`, later puts were ignored without their line length being checked, so a command with a
 * line over POP3_CMD_MAX_LEN is answered POP3_ERR_QUEUE_FULL ("retry after a
 * completion": it can never succeed) instead of POP3_ERR_BAD_ARG, as pop3.h
 * promises for every command longer than POP3_CMD_MAX_LEN. Which one comes
 * back depends on the queue occupancy and on the other arguments' lengths.
 * Public-API reproduction (tx_buf 510 octets, client IDLE so commands wait):
 *   pop3_login(c, "u", <240 x 'p'>)   -> POP3_OK  (255 octets queued)
 *   pop3_noop(c)                      -> POP3_OK  (261)
 *   pop3_login(c, <246 x 'u'>, <300 x 'p'>) -> POP3_ERR_QUEUE_FULL  (expected BAD_ARG)
 *   pop3_login(c, "u", <300 x 'p'>)   -> POP3_ERR_BAD_ARG (same password)
 * Lengths are now counted even when tx_buf is full. */
static void test_bug_overlong_line_after_tx_full(void **state)
{
    (void)state;
    harness_t *h = q_new(POP3_MIN_TX_BUF_LEN);
    pop3_client_t *c = h->c;
    FT_EQ_ST(q_line(c, "USER ", 'a', POP3_CMD_MAX_LEN - 7U, 1024, POP3_CMD_LOGIN), POP3_OK);
    FT_EQ_ST(q_line(c, "NOOP", 'x', 0, 1, POP3_CMD_NOOP), POP3_OK);
    static char user[246], pass[300];
    memset(user, 'u', sizeof user);
    memset(pass, 'p', sizeof pass);
    pop3_fmt_t f;
    pop3_fmt_begin(&f, c, "USER ");
    pop3_fmt_put(&f, user, sizeof user); /* a valid line (253 octets) that does not fit: full */
    pop3_fmt_line(&f, "PASS ");
    pop3_fmt_put(&f, pass, sizeof pass); /* a line of 307 octets: over POP3_CMD_MAX_LEN */
    pop3_status_t st = pop3_fmt_commit(&f, POP3_CMD_LOGIN, 0);
    FT_EQ(c->q_count, 2);
    FT_EQ(c->tx_len, POP3_CMD_MAX_LEN + 6U);
    FT_EQ_ST(st, POP3_ERR_BAD_ARG);
}

/* ======================================================================== */
/* The command table, from RFC 1939 / 2449 independently of the code.        */

static void test_cmd_info(void **state)
{
    (void)state;
    static const struct {
        pop3_cmd_t cmd;
        const char *verb;
        pop3_reply_kind_t kind;
        unsigned states;
    } exp[] = {
        {POP3_CMD_CONNECT, "", POP3_RK_LINE, 0},
        {POP3_CMD_CAPA, "CAPA", POP3_RK_LINES, POP3_ST_AUTH | POP3_ST_TRANS},
        {POP3_CMD_LOGIN, "USER", POP3_RK_DIALOG, POP3_ST_AUTH},
        {POP3_CMD_APOP, "APOP", POP3_RK_LINE, POP3_ST_AUTH},
        {POP3_CMD_AUTH, "AUTH", POP3_RK_DIALOG, POP3_ST_AUTH},
        {POP3_CMD_STAT, "STAT", POP3_RK_LINE, POP3_ST_TRANS},
        {POP3_CMD_LIST, "LIST", POP3_RK_LINES, POP3_ST_TRANS},
        {POP3_CMD_UIDL, "UIDL", POP3_RK_LINES, POP3_ST_TRANS},
        {POP3_CMD_RETR, "RETR", POP3_RK_BODY, POP3_ST_TRANS},
        {POP3_CMD_TOP, "TOP", POP3_RK_BODY, POP3_ST_TRANS},
        {POP3_CMD_DELE, "DELE", POP3_RK_LINE, POP3_ST_TRANS},
        {POP3_CMD_RSET, "RSET", POP3_RK_LINE, POP3_ST_TRANS},
        {POP3_CMD_NOOP, "NOOP", POP3_RK_LINE, POP3_ST_TRANS},
        {POP3_CMD_QUIT, "QUIT", POP3_RK_LINE, POP3_ST_AUTH | POP3_ST_TRANS},
        {POP3_CMD_RAW, "", POP3_RK_LINE, POP3_ST_AUTH | POP3_ST_TRANS},
        {POP3_CMD_USER, "USER", POP3_RK_LINE, POP3_ST_AUTH},
        {POP3_CMD_PASS, "PASS", POP3_RK_LINE, POP3_ST_AUTH},
        {POP3_CMD_STLS, "STLS", POP3_RK_LINE, POP3_ST_AUTH},
        {POP3_CMD_UTF8, "UTF8", POP3_RK_LINE, POP3_ST_AUTH},
    };
    FT_EQ(sizeof exp / sizeof exp[0], POP3_CMD_COUNT_);
    FT_CHECK(POP3_ST_AUTH != POP3_ST_TRANS);
    for (size_t i = 0; i < sizeof exp / sizeof exp[0]; i++) {
        FT_EQ(exp[i].cmd, i);
        ft_setctx("cmd_info %s", ft_cmd_name(exp[i].cmd));
        const pop3_cmd_info_t *ci = pop3_cmd_info((unsigned)exp[i].cmd);
        FT_CHECK(ci != NULL);
        FT_CHECK(memchr(ci->verb, '\0', sizeof ci->verb) != NULL);
        FT_EQ_STR(ci->verb, strlen(ci->verb), exp[i].verb);
        FT_EQ(ci->kind, exp[i].kind);
        FT_CHECK_MSG(ci->states == exp[i].states, "states 0x%x, expected 0x%x", ci->states, exp[i].states);
        /* Never allowed before AUTH or once CLOSED. */
        FT_EQ(ci->states & ~(POP3_ST_AUTH | POP3_ST_TRANS), 0);
        if (exp[i].cmd != POP3_CMD_CONNECT && exp[i].cmd != POP3_CMD_LOGIN && exp[i].cmd != POP3_CMD_RAW)
            FT_EQ_STR(pop3_cmd_name(exp[i].cmd), strlen(pop3_cmd_name(exp[i].cmd)), exp[i].verb);
    }
    ft_setctx("");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fmt_commands, ft_teardown),
        cmocka_unit_test_teardown(test_fmt_max_line, ft_teardown),
        cmocka_unit_test_teardown(test_fmt_tx_full, ft_teardown),
        cmocka_unit_test_teardown(test_q_has_room, ft_teardown),
        cmocka_unit_test_teardown(test_queue_wrap, ft_teardown),
        cmocka_unit_test_teardown(test_q_pop_wipes, ft_teardown),
        cmocka_unit_test_teardown(test_tx_drop, ft_teardown),
        cmocka_unit_test_teardown(test_cmd_info, ft_teardown),
        cmocka_unit_test_teardown(test_bug_overlong_line_after_tx_full, ft_teardown),
    };
    return cmocka_run_group_tests_name("unit_queue", tests, NULL, NULL);
}
