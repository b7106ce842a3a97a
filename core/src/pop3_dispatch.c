/* Dispatch: the session's lower half. Sends lines (the core's own set-up
 * commands from constants, queued commands from tx_buf: one line, or when
 * pipelining a run of whole commands in one send), starts queued commands when
 * their turn comes, reports completions and
 * failures, keeps the deadline. pop3_session.c builds the state machine on
 * these; nothing here calls back into it. No I/O: bytes leave through the
 * port's send. */
#include <string.h>

#include "pop3_internal.h"

/* The public state of each phase. */
static const uint8_t phase_state[POP3_P_COUNT_] = {
    [POP3_P_IDLE] = POP3_STATE_IDLE,         [POP3_P_CONNECTING] = POP3_STATE_CONNECTING,
    [POP3_P_TLS] = POP3_STATE_TLS,           [POP3_P_GREETING] = POP3_STATE_GREETING,
    [POP3_P_CAPA] = POP3_STATE_SETUP,        [POP3_P_STLS] = POP3_STATE_SETUP,
    [POP3_P_STLS_TLS] = POP3_STATE_TLS,      [POP3_P_RECAPA] = POP3_STATE_SETUP,
    [POP3_P_AUTH] = POP3_STATE_AUTH,         [POP3_P_TRANSACTION] = POP3_STATE_TRANSACTION,
    [POP3_P_CLOSED] = POP3_STATE_CLOSED,
};

pop3_state_t pop3_phase_state(const pop3_client_t *c)
{
    POP3_ASSERT(c->phase < POP3_P_COUNT_);
    return (pop3_state_t)phase_state[c->phase];
}


/* ---- deadlines ------------------------------------------------------------- */

void pop3_arm(pop3_client_t *c, uint32_t timeout_ms)
{
    c->deadline_ms = c->now_ms + timeout_ms;
    c->deadline_armed = timeout_ms != 0;
}

/* The reply timeout is a silence timeout; the greeting has the connect deadline. */
void pop3_rearm(pop3_client_t *c)
{
    if (c->rx != POP3_RX_NONE && c->phase != POP3_P_GREETING) {
        pop3_arm(c, c->cfg.reply_timeout_ms);
    }
}

/* ---- callbacks: each marks the client as inside a callback ------------------ */

void pop3_report(pop3_client_t *c, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    bool was = c->in_callback;
    pop3_reply_t none;

    if (r == NULL) {
        memset(&none, 0, sizeof none);
        r = &none;
    }
    if (c->cfg.callbacks.on_done != NULL) {
        c->in_callback = true;
        c->cfg.callbacks.on_done(c->cfg.callbacks.ctx, cmd, st, r);
        c->in_callback = was;
    }
}

#if POP3_TRACE_ENABLE
void pop3_trace(pop3_client_t *c, pop3_trace_dir_t dir, const char *line, size_t len)
{
    bool was = c->in_callback;

    if (c->cfg.callbacks.on_trace != NULL) {
        c->in_callback = true;
        c->cfg.callbacks.on_trace(c->cfg.callbacks.ctx, dir, line, len);
        c->in_callback = was;
    }
}

/* Each line of what went out, traced. The secret ends its line (PASS pw of
 * a login or of pop3_pass() / APOP user digest): masked in place with a fixed "***" that does not reveal
 * its length. The secret plus CR LF always leaves room for the 3 octets, and
 * the line is wiped right after. Those commands are never pipelined, so they
 * are the first and only line of what went out. */
static void trace_sent(pop3_client_t *c)
{
    const char *p = c->out, *end = c->out + c->out_len;
    const pop3_queue_entry_t *e =
        c->out == c->cfg.tx_buf ? pop3_q_at(c, (unsigned)(c->q_sent - c->out_entries)) : NULL;

    while (p < end && !POP3_CLOSED(c)) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n, pub;

        POP3_ASSERT(nl != NULL && nl > p);
        n = (size_t)(nl - p) - 1U; /* without CR LF */
        pub = n;
        if (e != NULL && p == c->cfg.tx_buf) {
            if ((e->cmd == POP3_CMD_LOGIN && e->lines == 1U) || e->cmd == POP3_CMD_PASS) {
                pub = 5U; /* "PASS " */
            } else if (e->cmd == POP3_CMD_APOP) {
                pub = n - 32U;
            }
        }
        if (pub < n) {
            memset(c->cfg.tx_buf + pub, '*', 3);
            n = pub + 3U;
        }
        pop3_trace(c, POP3_TRACE_SENT, p, n);
        p = nl + 1;
    }
}
#else
#define trace_sent(c) ((void)0)
#endif

/* ---- the end -------------------------------------------------------------------- */

/* The session is over: no more input or output; the port is told to close. */
void pop3_end_session(pop3_client_t *c, pop3_status_t st, bool close_transport)
{
    if (st != POP3_OK) {
        POP3_LOG_ERROR(("session failed: %s", pop3_status_str(st)));
    }
    c->phase = POP3_P_CLOSED;
    c->session_status = st;
    c->rx = POP3_RX_NONE;
    c->deadline_armed = false;
    c->paused = false;
    c->want_write = false;
    c->out_len = 0;
    c->out_entries = 0;
#if POP3_SASL_ENABLE
    c->out_stream = false;
#endif
    if (close_transport) {
        c->cfg.transport.close(c->cfg.transport.ctx);
    }
}

/* Commands that never completed end with @p st; then every buffer is wiped. */
void pop3_fail_queue(pop3_client_t *c, pop3_status_t st)
{

    while (c->q_count > 0) {
        pop3_cmd_t cmd = (pop3_cmd_t)pop3_q_head(c)->cmd;
        pop3_q_pop(c);
        pop3_report(c, cmd, st, NULL);
    }
    pop3_wipe(c->cfg.tx_buf, c->cfg.tx_buf_len);
    pop3_wipe(c->cfg.line_buf, c->cfg.line_buf_len);
    c->tx_len = 0;
    c->dele_reserved = 0;
#if POP3_APOP_ENABLE
    pop3_wipe(c->apop_ts, sizeof c->apop_ts);
    c->apop_ts_len = 0;
#endif
}

/* Commands that never ran: the cause if it was the link or the server's
 * bytes, else just "closed" (a -ERR was the answer to another command). */
static pop3_status_t unsent_status(pop3_status_t st)
{
    return (st == POP3_OK || st == POP3_ERR_SERVER || st == POP3_ERR_AUTH) ? POP3_ERR_CLOSED : st;
}

void pop3_fail(pop3_client_t *c, pop3_status_t st, bool close_transport)
{
    /* CONNECT not reported yet: the set-up phases, unless a pop3_stls() runs
     * them again (its entry is on the wire; none is while connecting). */
    bool connecting = c->phase != POP3_P_IDLE && c->phase < POP3_P_AUTH;
#if POP3_STLS_ENABLE
    connecting = connecting && c->q_sent == 0;
#endif
    pop3_status_t rest = unsent_status(st);

    if (POP3_CLOSED(c)) {
        return;
    }
    c->unanswered = c->q_sent;
    pop3_end_session(c, st, close_transport);
    if (connecting) {
        pop3_report(c, POP3_CMD_CONNECT, rest, NULL);
    }
    pop3_fail_queue(c, rest);
}

/* True (and the session failed, naming this reply) if bytes follow the
 * reply that ends here in the same input. */
bool pop3_trailing(pop3_client_t *c)
{
    if (c->more_input) {
        POP3_LOG_WARN(("data after the end of a reply, before the next command"));
        pop3_fail(c, POP3_ERR_PROTOCOL, true);
    }
    return c->more_input;
}

/* A reply ends here: false if it was refused for what followed it. */
bool pop3_ends_clean(pop3_client_t *c)
{
    if (pop3_trailing(c)) {
        return false;
    }
    c->rx = POP3_RX_NONE;
    c->deadline_armed = false;
    return true;
}

/* ---- sending ---------------------------------------------------------------------- */

#if POP3_SASL_ENABLE
/* ---- SASL lines: produced piece by piece in the tail of tx_buf ------------- */

static char *piece_area(const pop3_client_t *c)
{
    return c->cfg.tx_buf + c->cfg.tx_buf_len - POP3_SASL_PIECE_LEN;
}

/* The previous piece went out: wipe it, then the next one, or the line is done. */
static void stream_next(pop3_client_t *c)
{
    size_t n;

    pop3_wipe(piece_area(c), POP3_SASL_PIECE_LEN);
    if (pop3_sasl_line_done(c)) {
#if POP3_TRACE_ENABLE
        char text[32];
        pop3_trace(c, POP3_TRACE_SENT, text, pop3_sasl_trace_text(c, text));
        if (POP3_CLOSED(c)) {
            return; /* pop3_abort() from on_trace */
        }
#endif
        c->out_stream = false;
        c->out_len = 0;
        pop3_expect_status(c, c->cfg.reply_timeout_ms);
        return;
    }
    n = pop3_sasl_piece(c, piece_area(c), POP3_SASL_PIECE_LEN);
    if (n == 0) {
        POP3_LOG_ERROR(("SASL: read_secret failed in the middle of a line"));
        pop3_fail(c, POP3_ERR_ABORTED, true);
        return;
    }
    c->out = piece_area(c);
    c->out_len = (uint16_t)n;
    c->out_sent = 0;
}

void pop3_send_stream(pop3_client_t *c)
{
    /* Until the whole line is out the server has nothing to answer: any byte
     * is a violation, and line_buf (where a SCRAM nonce streams from) holds still. */
    c->rx = POP3_RX_NONE;
    pop3_arm(c, c->cfg.reply_timeout_ms);
    c->out_stream = true;
    c->out_len = 0;
    stream_next(c); /* wipes the piece area, then fills it */
    pop3_flush(c);
}
#endif

/* What was being sent went out whole: trace it, and drop it from tx_buf if it
 * came from there (one line of the head, or the whole text of each command of
 * a pipelined run). */
static void line_sent(pop3_client_t *c)
{
    size_t n = c->out_len;

#if POP3_SASL_ENABLE
    if (c->out_stream) {
        stream_next(c);
        return;
    }
#endif
    trace_sent(c);
    if (POP3_CLOSED(c)) {
        return; /* pop3_abort() from on_trace */
    }
    c->out_len = 0;
    if (c->out == c->cfg.tx_buf) {
        unsigned i;
        for (i = (unsigned)(c->q_sent - c->out_entries); i < c->q_sent; i++) {
            pop3_queue_entry_t *e = pop3_q_at(c, i);
            size_t len = e->lines > 1U ? n : e->tx_len; /* a dialog's line, or a whole command */
            POP3_ASSERT(e != NULL && e->lines > 0 && e->tx_len >= len);
            e->lines--;
            e->tx_len = (uint16_t)(e->tx_len - len);
        }
        pop3_tx_drop(c, n);
    }
    c->out_entries = 0;
}

/* Offers the unsent rest of the current line to the port. */
void pop3_flush(pop3_client_t *c)
{
    while (c->out_len != 0 && !POP3_CLOSED(c)) {
        long r = c->cfg.transport.send(c->cfg.transport.ctx, (const uint8_t *)c->out + c->out_sent,
                                       (size_t)(c->out_len - c->out_sent));
        if (r < 0) {
            pop3_fail(c, POP3_ERR_TRANSPORT, true);
            return;
        }
        if (r == 0) {
            c->want_write = true;
            return;
        }
        {
            size_t left = (size_t)(c->out_len - c->out_sent);
            c->out_sent = (uint16_t)(c->out_sent + ((size_t)r < left ? (size_t)r : left));
        }
        if (c->out_sent == c->out_len) {
            line_sent(c);
        }
    }
}

/* @p entries: queue entries whose text this is (0: the core's own line). */
static void send_span(pop3_client_t *c, const char *text, size_t len, unsigned entries)
{
    c->out = text;
    c->out_len = (uint16_t)len;
    c->out_sent = 0;
    c->out_entries = (uint8_t)entries;
    pop3_flush(c);
}

void pop3_send_line(pop3_client_t *c, const char *line, size_t len)
{
    send_span(c, line, len, 0);
}

/* The next line of the last command put on the wire: the text up to the first
 * LF in tx_buf (the text of every command before it is gone). */
void pop3_send_queued_line(pop3_client_t *c)
{
    const char *nl = memchr(c->cfg.tx_buf, '\n', pop3_q_at(c, c->q_sent - 1U)->tx_len);

    POP3_ASSERT(nl != NULL);
    send_span(c, c->cfg.tx_buf, (size_t)(nl - c->cfg.tx_buf) + 1U, 1);
}

/* A status line is awaited from now on. */
void pop3_expect_status(pop3_client_t *c, uint32_t timeout_ms)
{
    c->rx = POP3_RX_STATUS;
    c->line_len = 0;
    pop3_arm(c, timeout_ms);
}

/* The per-client depth can only lower the compiled-in one. */
static unsigned depth(const pop3_client_t *c)
{
    unsigned d = c->cfg.pipeline_depth;
    return (d == 0 || d > POP3_PIPELINE_DEPTH) ? POP3_PIPELINE_DEPTH : d;
}

bool pop3_pipelining_on(const pop3_client_t *c)
{
#if POP3_PIPELINE_DEPTH > 1
    return c->phase == POP3_P_TRANSACTION && (c->caps & POP3_CAP_PIPELINING) != 0 && depth(c) > 1U;
#else
    (void)c;
    return false; /* compiled out: the code behind it goes with it */
#endif
}

/* Commands that go out alone, once every earlier reply came, and nothing
 * behind them before their own reply: QUIT (below), and a line as typed,
 * which may confuse a server. */
static bool solo(unsigned cmd)
{
    return cmd == POP3_CMD_QUIT || cmd == POP3_CMD_RAW;
}

/* Whether entry @p i (>= 1) may go out behind those before it, before their
 * replies: a one-line command allowed in TRANSACTION (the others end when
 * they reach the head), never a solo one nor anything behind it, and never a DELE
 * of a message whose RETR or TOP is still ahead of it. QUIT waits for every
 * reply because Dovecot 2.3 answers a pipelined QUIT by closing with output
 * it still buffers for a slow reader unsent: a RETR's tail is lost
 * (test/lwip big-tls showed it). */
static bool may_follow(pop3_client_t *c, unsigned i)
{
    const pop3_queue_entry_t *e = pop3_q_at(c, i);
    unsigned j;

    if (e == NULL || i >= depth(c) || e->lines != 1U || solo(e->cmd) || solo(pop3_q_at(c, i - 1U)->cmd) ||
        (pop3_cmd_info(e->cmd)->states & POP3_ST_TRANS) == 0) {
        return false;
    }
    for (j = 0; e->cmd == POP3_CMD_DELE && j < i; j++) {
        const pop3_queue_entry_t *q = pop3_q_at(c, j);
        if ((q->cmd == POP3_CMD_RETR || q->cmd == POP3_CMD_TOP) && q->msg == e->msg) {
            return false;
        }
    }
    return true;
}

/* Whether the head may go out now: its states, and what changed since it was
 * queued. */
static pop3_status_t turn_status(const pop3_client_t *c, pop3_cmd_t cmd)
{
    if ((pop3_cmd_info(cmd)->states & (1U << phase_state[c->phase])) == 0) {
        return POP3_ERR_STATE;
    }
    switch (cmd) {
    case POP3_CMD_PASS:
        return c->user_ok ? POP3_OK : POP3_ERR_STATE; /* its USER failed, or another command went between */
#if POP3_STLS_ENABLE
    case POP3_CMD_STLS:
        return c->cfg.security == POP3_SEC_PLAINTEXT ? POP3_OK : POP3_ERR_STATE; /* an earlier one upgraded */
#endif
    case POP3_CMD_UTF8:
        return (c->caps & POP3_CAP_UTF8) != 0 ? POP3_OK : POP3_ERR_UNSUPPORTED; /* e.g. gone after STLS */
    default:
        return POP3_OK;
    }
}

/* Puts queued commands on the wire: the head when nothing is outstanding, and
 * behind it, when pipelining, every command that may follow, as one send.
 * Not while an input is being taken or held back by a pause: those bytes
 * arrived before such a command was sent, so they can never be its reply
 * (pop3_on_input() pumps once it took them all, pop3_resume() if none wait). */
void pop3_pump(pop3_client_t *c)
{
    while (!c->in_callback && !c->input_held && c->out_len == 0 && (c->phase == POP3_P_AUTH || c->phase == POP3_P_TRANSACTION)) {
        unsigned base = c->q_sent, k = 0;
        size_t len = 0;

        if (base == 0) {
            pop3_queue_entry_t *e = pop3_q_head(c);
            pop3_cmd_t cmd;
            pop3_status_t st;
            if (e == NULL) {
                break;
            }
            cmd = (pop3_cmd_t)e->cmd;
            st = turn_status(c, cmd);
            if (st != POP3_OK) {
                pop3_q_pop(c);
                pop3_report(c, cmd, st, NULL);
                continue;
            }
            c->user_ok = false; /* this goes out: PASS may follow only the USER right before it */
#if POP3_SASL_ENABLE
            if (cmd == POP3_CMD_AUTH) {
                st = pop3_sasl_begin(c);
                if (st != POP3_OK) {
                    pop3_q_pop(c);
                    pop3_report(c, cmd, st, NULL);
                    continue;
                }
                c->q_sent = 1;
                pop3_send_stream(c);
                continue;
            }
#endif
            pop3_expect_status(c, c->cfg.reply_timeout_ms);
            if (e->lines != 1U || !pop3_pipelining_on(c)) {
                c->q_sent = 1;
                pop3_send_queued_line(c);
                continue;
            }
            k = 1;
            len = e->tx_len;
        } else if (!pop3_pipelining_on(c)) {
            break;
        }
        while (may_follow(c, base + k)) {
            len += pop3_q_at(c, base + k)->tx_len;
            k++;
        }
        if (k == 0) {
            break;
        }
        c->q_sent = (uint8_t)(base + k);
        send_span(c, c->cfg.tx_buf, len, k);
    }
}

void pop3_finish_close(pop3_client_t *c, pop3_status_t st, pop3_status_t session_st, const pop3_reply_t *r)
{
    pop3_cmd_t cmd = (pop3_cmd_t)pop3_q_head(c)->cmd;

    c->unanswered = (uint8_t)(c->q_sent > 0 ? c->q_sent - 1U : 0U); /* this one was answered */

    pop3_q_pop(c);
    /* Closed before the report, so pop3_abort() from that callback cannot
     * turn a committed QUIT into an abort. */
    pop3_end_session(c, session_st, true);
    pop3_report(c, cmd, st, r);
    pop3_fail_queue(c, unsent_status(session_st));
}

/* DELE of a message whose pop3_retr_dele() RETR succeeded: into the room kept. */
static void queue_dele(pop3_client_t *c, uint32_t msg)
{
    pop3_fmt_t f;
    pop3_status_t st;

    pop3_fmt_begin(&f, c, "DELE");
    pop3_fmt_u32(&f, msg);
    st = pop3_fmt_commit(&f, POP3_CMD_DELE, msg);
    POP3_ASSERT(st == POP3_OK);
    (void)st;
}

/* Ends the command at the head and starts the next. */
void pop3_finish(pop3_client_t *c, pop3_status_t st, const pop3_reply_t *r)
{
    const pop3_queue_entry_t *e = pop3_q_head(c);
    pop3_cmd_t cmd = (pop3_cmd_t)e->cmd;
    uint32_t msg = e->msg;
    bool dele_after = (c->dele_after & POP3_SLOT_BIT(c, e)) != 0;
    /* Bytes after this reply (see pop3_session.c) are the start of the next
     * reply only if the next command is on the wire already (pipelining);
     * otherwise this reply is never reported as a success, a -ERR keeps its
     * meaning, and the session ends. After QUIT's reply nothing more is read. */
    bool junk = c->more_input && cmd != POP3_CMD_QUIT && c->q_sent < 2U;

    c->rx = POP3_RX_NONE;
    c->deadline_armed = false;
    if (junk) {
        POP3_LOG_WARN(("data after the end of a reply, before the next command"));
        pop3_finish_close(c, st == POP3_OK ? POP3_ERR_PROTOCOL : st, POP3_ERR_PROTOCOL, r);
        return;
    }
    if (cmd == POP3_CMD_QUIT) {
        pop3_finish_close(c, st, st, r);
        return;
    }
    if (c->out_len != 0 && c->out == c->cfg.tx_buf && c->out_entries > 1U && c->q_sent == c->out_entries) {
        /* The head went out whole, but the run it leads is still being sent:
         * its octets leave tx_buf with the run (line_sent), not now. */
        pop3_q_head(c)->tx_len = 0;
        pop3_q_head(c)->lines = 0;
        c->out_entries--;
    }
    pop3_q_pop(c);
    if (dele_after) {
        c->dele_reserved--;
        if (st == POP3_OK) {
            queue_dele(c, msg); /* before the report: on_done sees the DELE queued */
        }
    }
    if (c->q_sent > 0) {
        pop3_expect_status(c, c->cfg.reply_timeout_ms); /* the next reply is on its way */
    }
    pop3_report(c, cmd, st, r);
    pop3_pump(c);
}
