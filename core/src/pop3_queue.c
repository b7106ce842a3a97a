/* Command table, command queue and transmit buffer. Commands are formatted
 * into tx_buf when they are queued (so the caller's strings need not outlive
 * the call) and wait there in queue order: the head command's text always
 * starts at tx_buf[0]. Knows nothing of the session: no I/O, no callbacks. */
#include <string.h>

#include "pop3_internal.h"

/* Verb, reply kind and allowed states of each command. LIST and UIDL read a
 * single line when given a message number (the session decides). */
static const pop3_cmd_info_t cmd_table[POP3_CMD_COUNT_] = {
    [POP3_CMD_CONNECT] = {"", POP3_RK_LINE, 0},
    [POP3_CMD_CAPA] = {"CAPA", POP3_RK_LINES, POP3_ST_AUTH | POP3_ST_TRANS},
    [POP3_CMD_LOGIN] = {"USER", POP3_RK_DIALOG, POP3_ST_AUTH},
    [POP3_CMD_APOP] = {"APOP", POP3_RK_LINE, POP3_ST_AUTH},
    [POP3_CMD_AUTH] = {"AUTH", POP3_RK_DIALOG, POP3_ST_AUTH},
    [POP3_CMD_STAT] = {"STAT", POP3_RK_LINE, POP3_ST_TRANS},
    [POP3_CMD_LIST] = {"LIST", POP3_RK_LINES, POP3_ST_TRANS},
    [POP3_CMD_UIDL] = {"UIDL", POP3_RK_LINES, POP3_ST_TRANS},
    [POP3_CMD_RETR] = {"RETR", POP3_RK_BODY, POP3_ST_TRANS},
    [POP3_CMD_TOP] = {"TOP", POP3_RK_BODY, POP3_ST_TRANS},
    [POP3_CMD_DELE] = {"DELE", POP3_RK_LINE, POP3_ST_TRANS},
    [POP3_CMD_RSET] = {"RSET", POP3_RK_LINE, POP3_ST_TRANS},
    [POP3_CMD_NOOP] = {"NOOP", POP3_RK_LINE, POP3_ST_TRANS},
    [POP3_CMD_QUIT] = {"QUIT", POP3_RK_LINE, POP3_ST_AUTH | POP3_ST_TRANS},
    [POP3_CMD_RAW] = {"", POP3_RK_LINE, POP3_ST_AUTH | POP3_ST_TRANS}, /* its entry's msg 1: a block */
    [POP3_CMD_USER] = {"USER", POP3_RK_LINE, POP3_ST_AUTH},
    [POP3_CMD_PASS] = {"PASS", POP3_RK_LINE, POP3_ST_AUTH},
    [POP3_CMD_STLS] = {"STLS", POP3_RK_LINE, POP3_ST_AUTH},
    [POP3_CMD_UTF8] = {"UTF8", POP3_RK_LINE, POP3_ST_AUTH},
};

const pop3_cmd_info_t *pop3_cmd_info(unsigned cmd)
{
    POP3_ASSERT(cmd < (unsigned)POP3_CMD_COUNT_);
    return &cmd_table[cmd];
}

const char *pop3_cmd_name(pop3_cmd_t cmd)
{
    if (cmd == POP3_CMD_CONNECT) {
        return "CONNECT";
    }
    if (cmd == POP3_CMD_LOGIN) {
        return "LOGIN"; /* its wire verbs are USER and PASS */
    }
    if (cmd == POP3_CMD_RAW) {
        return "RAW"; /* its verb is whatever was typed */
    }
    if ((unsigned)cmd >= (unsigned)POP3_CMD_COUNT_) {
        return "?";
    }
    return cmd_table[cmd].verb;
}

/* ---- formatting ---------------------------------------------------------- */

/* Octets of tx_buf for queued text: the last POP3_SASL_TX_RESERVE_LEN are
 * where SASL responses stream (pop3_dispatch.c), and room is kept for the
 * DELE each pop3_retr_dele() queues when its RETR succeeds. */
static size_t tx_cap(const pop3_client_t *c)
{
    return c->cfg.tx_buf_len - POP3_SASL_TX_RESERVE_LEN - (size_t)c->dele_reserved * POP3_DELE_LINE_LEN;
}

void pop3_fmt_put(pop3_fmt_t *f, const char *s, size_t n)
{
    if (f->too_long) {
        return;
    }
    /* Lengths are counted even once tx_buf is full, so a line over the limit
     * is always the caller's fault (BAD_ARG), never "retry later". Each check
     * keeps room for the CR LF that ends the line. */
    if (f->len - f->line_start + n > POP3_CMD_MAX_LEN - 2U) {
        f->too_long = true;
        return;
    }
    if (!f->full && f->c->tx_len + f->len + n + 2U > tx_cap(f->c)) {
        f->full = true;
    }
    if (!f->full) {
        memcpy(f->c->cfg.tx_buf + f->c->tx_len + f->len, s, n);
    }
    f->len += n;
}

void pop3_fmt_begin(pop3_fmt_t *f, pop3_client_t *c, const char *verb)
{
    f->c = c;
    f->len = 0;
    f->line_start = 0;
    f->lines = 0;
    f->too_long = false;
    f->full = false;
    pop3_fmt_put(f, verb, strlen(verb));
}

void pop3_fmt_u32(pop3_fmt_t *f, uint32_t v)
{
    char tmp[11];
    size_t i = sizeof tmp;

    do {
        tmp[--i] = (char)('0' + v % 10U);
        v /= 10U;
    } while (v != 0);
    tmp[--i] = ' ';
    pop3_fmt_put(f, tmp + i, sizeof tmp - i);
}

static void fmt_crlf(pop3_fmt_t *f)
{
    if (!f->too_long && !f->full) {
        /* Room for it was kept by every pop3_fmt_put() of this line. */
        memcpy(f->c->cfg.tx_buf + f->c->tx_len + f->len, "\r\n", 2);
    }
    f->len += 2U;
    f->line_start = f->len;
    f->lines++;
}

void pop3_fmt_line(pop3_fmt_t *f, const char *verb)
{
    fmt_crlf(f);
    pop3_fmt_put(f, verb, strlen(verb));
}

pop3_status_t pop3_fmt_commit(pop3_fmt_t *f, pop3_cmd_t cmd, uint32_t msg)
{
    pop3_client_t *c = f->c;
    pop3_queue_entry_t *e;

    fmt_crlf(f);
    if (f->too_long || f->full) {
        /* What was written may hold a password; the free tail is zero otherwise. */
        pop3_wipe(c->cfg.tx_buf + c->tx_len, tx_cap(c) - c->tx_len);
        return f->too_long ? POP3_ERR_BAD_ARG : POP3_ERR_QUEUE_FULL;
    }
    POP3_ASSERT(c->q_count < POP3_QUEUE_LEN);
    e = &c->queue[(c->q_head + c->q_count) % POP3_QUEUE_LEN];
    e->cmd = (uint8_t)cmd;
    e->lines = f->lines;
    e->tx_len = (uint16_t)f->len;
    e->msg = msg;
    c->q_count++;
    c->tx_len += f->len;
    POP3_ASSERT(c->tx_len <= tx_cap(c));
    return POP3_OK;
}

#if POP3_SASL_ENABLE
void pop3_q_push_bare(pop3_client_t *c, pop3_cmd_t cmd)
{
    pop3_queue_entry_t *e;

    POP3_ASSERT(c->q_count < POP3_QUEUE_LEN);
    e = &c->queue[(c->q_head + c->q_count) % POP3_QUEUE_LEN];
    e->cmd = (uint8_t)cmd;
    e->lines = 0;
    e->tx_len = 0;
    e->msg = 0;
    c->q_count++;
}
#endif

/* ---- queue ----------------------------------------------------------------- */

bool pop3_q_has_room(const pop3_client_t *c, unsigned slots)
{
    /* A command needs at least a 4-letter verb and CR LF in tx_buf. */
    return c->q_count + slots <= POP3_QUEUE_LEN && c->tx_len + 6U <= tx_cap(c);
}

pop3_queue_entry_t *pop3_q_head(pop3_client_t *c)
{
    return c->q_count > 0 ? &c->queue[c->q_head] : NULL;
}

void pop3_tx_drop(pop3_client_t *c, size_t n)
{
    POP3_ASSERT(n <= c->tx_len);
    memmove(c->cfg.tx_buf, c->cfg.tx_buf + n, c->tx_len - n);
    pop3_wipe(c->cfg.tx_buf + c->tx_len - n, n);
    c->tx_len -= n;
}

void pop3_q_pop(pop3_client_t *c)
{
    pop3_queue_entry_t *e = pop3_q_head(c);

    POP3_ASSERT(e != NULL);
    pop3_tx_drop(c, e->tx_len); /* never sent: e.g. PASS after a refused USER */
    e->tx_len = 0;
    c->dele_after &= ~POP3_SLOT_BIT(c, e);
#if POP3_SASL_ENABLE
    if (e->cmd == POP3_CMD_AUTH) {
        /* Keys, proof, the credentials pointer: gone before AUTH is reported,
         * so on_done may queue a new AUTH. */
        pop3_wipe(&c->sasl, sizeof c->sasl);
    }
#endif
    c->q_head = (uint8_t)((c->q_head + 1U) % POP3_QUEUE_LEN);
    c->q_count--;
    if (c->q_sent > 0) {
        c->q_sent--;
    }
}

bool pop3_q_reserve_dele(pop3_client_t *c)
{
    /* The RETR line is no longer than the DELE it keeps room for. */
    if (c->tx_len + 2U * (size_t)POP3_DELE_LINE_LEN > tx_cap(c)) {
        return false;
    }
    c->dele_reserved++;
    return true;
}

pop3_queue_entry_t *pop3_q_at(pop3_client_t *c, unsigned i)
{
    return i < c->q_count ? &c->queue[(c->q_head + i) % POP3_QUEUE_LEN] : NULL;
}
