/* The session state machine: command queue, transmit buffer, reply handling,
 * security policy and deadlines. No I/O: bytes leave through the port's send. */
#include <string.h>

#include "pop3_internal.h"

/* Command metadata: wire name, reply shape, and the states that allow it. */
#define ST_AUTH (1U << POP3_STATE_AUTH)
#define ST_TRANS (1U << POP3_STATE_TRANSACTION)
#define ST_SETUP (1U << POP3_STATE_SETUP)

typedef struct {
    const char *verb;
    bool multi;      /* multi-line reply (LIST/UIDL only without an argument) */
    uint8_t states;  /* bit mask of pop3_state_t allowed at dispatch */
} cmd_info_t;

static const cmd_info_t cmd_table[] = {
    [POP3_CMD_CAPA] = {"CAPA", true, ST_AUTH | ST_TRANS},
    [POP3_CMD_LOGIN] = {"PASS", false, ST_AUTH},
    [POP3_CMD_APOP] = {"APOP", false, ST_AUTH},
    [POP3_CMD_STAT] = {"STAT", false, ST_TRANS},
    [POP3_CMD_LIST] = {"LIST", true, ST_TRANS},
    [POP3_CMD_UIDL] = {"UIDL", true, ST_TRANS},
    [POP3_CMD_RETR] = {"RETR", true, ST_TRANS},
    [POP3_CMD_TOP] = {"TOP", true, ST_TRANS},
    [POP3_CMD_DELE] = {"DELE", false, ST_TRANS},
    [POP3_CMD_RSET] = {"RSET", false, ST_TRANS},
    [POP3_CMD_NOOP] = {"NOOP", false, ST_TRANS},
    [POP3_CMD_QUIT] = {"QUIT", false, ST_AUTH | ST_TRANS},
    [POP3_X_CAPA_AUTO] = {"CAPA", true, ST_SETUP},
    [POP3_X_STLS] = {"STLS", false, ST_SETUP},
    [POP3_X_USER] = {"USER", false, ST_AUTH},
};

/* Room kept for the core's own CAPA/STLS so user commands can never starve them. */
#define INTERNAL_TX_RESERVE 8U

/* ------------------------------------------------------------------------ */
/* Queue and transmit buffer                                                */
/* ------------------------------------------------------------------------ */

static pop3_queue_entry_t *q_at(pop3_client_t *c, unsigned i)
{
    return &c->queue[(c->q_head + i) % POP3_QUEUE_LEN];
}

static pop3_queue_entry_t *q_head(pop3_client_t *c)
{
    return c->q_count > 0 ? q_at(c, 0) : NULL;
}

/* Removes the first @p n octets of tx_buf and wipes the freed tail (secrets too). */
static void tx_drop_front(pop3_client_t *c, size_t n)
{
    memmove(c->cfg.tx_buf, c->cfg.tx_buf + n, c->tx_len - n);
    pop3_wipe(c->cfg.tx_buf + c->tx_len - n, n);
    c->tx_len -= n;
}

static void q_pop(pop3_client_t *c);

/*
 * Removes the head command as the application sees it: USER takes its PASS
 * along (pop3_login() is one command, PASS is never sent after USER fails).
 * Returns the command to report.
 */
static int q_pop_command(pop3_client_t *c)
{
    int cmd = q_head(c)->cmd;

    q_pop(c);
    if (cmd == POP3_X_USER) {
        cmd = POP3_CMD_LOGIN;
        if (q_head(c) != NULL && q_head(c)->cmd == POP3_CMD_LOGIN) {
            q_pop(c); /* its text (the password) is wiped by q_pop */
        }
    }
    return cmd;
}

static void q_pop(pop3_client_t *c)
{
    pop3_queue_entry_t *e = q_head(c);

    if (e->tx_len > 0) {
        tx_drop_front(c, e->tx_len); /* never sent: e.g. PASS after a failed USER */
        e->tx_len = 0;
    }
    c->q_head = (uint8_t)((c->q_head + 1U) % POP3_QUEUE_LEN);
    c->q_count--;
    c->q_head_sent = false;
    c->tx_sent = 0;
}

/* Formats text into tx_buf at tx_len without committing it. */
typedef struct {
    pop3_client_t *c;
    size_t start;
    size_t len;
    size_t limit;   /* end of the usable part of tx_buf */
    bool too_long;  /* over POP3_CMD_MAX_LEN: the caller's fault */
    bool full;      /* no room behind queued commands: retry later */
} fmt_t;

static void fmt_put(fmt_t *f, const char *s, size_t n)
{
    if (f->too_long || f->full) {
        return;
    }
    if (f->len + n > POP3_CMD_MAX_LEN - 2U) {
        f->too_long = true;
    } else if (f->start + f->len + n + 2U > f->limit) {
        f->full = true;
    } else {
        memcpy(f->c->cfg.tx_buf + f->start + f->len, s, n);
        f->len += n;
    }
}

static void fmt_u32(fmt_t *f, uint32_t v)
{
    char tmp[10];
    size_t i = sizeof tmp;

    do {
        tmp[--i] = (char)('0' + v % 10U);
        v /= 10U;
    } while (v != 0);
    fmt_put(f, " ", 1);
    fmt_put(f, tmp + i, sizeof tmp - i);
}

/* Starts a command at tx_buf offset @p start: its verb first. */
static void fmt_begin_at(fmt_t *f, pop3_client_t *c, int cmd, size_t start)
{
    f->c = c;
    f->start = start;
    f->len = 0;
    /* User commands leave room for the core's own CAPA/STLS. */
    f->limit = c->cfg.tx_buf_len - (cmd < POP3_CMD_COUNT_ || cmd == POP3_X_USER ? INTERNAL_TX_RESERVE : 0U);
    f->too_long = false;
    f->full = false;
    fmt_put(f, cmd_table[cmd].verb, strlen(cmd_table[cmd].verb));
}

static void fmt_begin(fmt_t *f, pop3_client_t *c, int cmd)
{
    fmt_begin_at(f, c, cmd, c->tx_len);
}

/* Why formatting failed (POP3_OK if it did not); wipes what was written. */
static pop3_status_t fmt_check(fmt_t *f)
{
    if (!f->too_long && !f->full) {
        return POP3_OK;
    }
    pop3_wipe(f->c->cfg.tx_buf + f->start, f->len);
    return f->too_long ? POP3_ERR_BAD_ARG : POP3_ERR_QUEUE_FULL;
}

/*
 * Commits a formatted (and checked) command to the queue. Internal steps go to
 * the front: they run before anything the user queued during set-up.
 */
static void commit(fmt_t *f, int cmd, uint32_t msg, uint8_t flags, bool front)
{
    pop3_client_t *c = f->c;
    pop3_queue_entry_t *e;
    size_t n;

    memcpy(c->cfg.tx_buf + f->start + f->len, "\r\n", 2);
    n = f->len + 2U;
    if (front) {
        /* Only used while nothing is in flight, so every queued text is unsent. */
        char tmp[INTERNAL_TX_RESERVE];
        memcpy(tmp, c->cfg.tx_buf + f->start, n);
        memmove(c->cfg.tx_buf + n, c->cfg.tx_buf, c->tx_len);
        memcpy(c->cfg.tx_buf, tmp, n);
        c->q_head = (uint8_t)((c->q_head + POP3_QUEUE_LEN - 1U) % POP3_QUEUE_LEN);
        e = q_at(c, 0);
    } else {
        e = q_at(c, c->q_count);
    }
    c->q_count++;
    c->tx_len += n;
    e->cmd = (uint8_t)cmd;
    e->msg = msg;
    e->flags = flags;
    e->tx_len = (uint16_t)n;
}

/* ------------------------------------------------------------------------ */
/* Deadlines                                                                */
/* ------------------------------------------------------------------------ */

static void arm(pop3_client_t *c, uint32_t timeout_ms)
{
    c->deadline_ms = c->now_ms + timeout_ms;
    c->deadline_armed = timeout_ms != 0;
}

static bool awaiting_reply(const pop3_client_t *c)
{
    return c->rx_mode != POP3_RX_IDLE && c->q_head_sent;
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                  */
/* ------------------------------------------------------------------------ */

static void trace_sent(pop3_client_t *c, const pop3_queue_entry_t *e)
{
    char *t = c->cfg.tx_buf;
    size_t n = (size_t)e->tx_len - 2U;

    if (c->cfg.callbacks.on_trace == NULL) {
        return;
    }
    if (e->flags & POP3_QF_SECRET) {
        /* The secret ends the line (PASS pw / APOP user digest). Mask it in
         * place with a fixed-width mask that does not reveal its length: the
         * secret plus CRLF always leaves room for 3 octets, and the text is
         * wiped right after anyway. */
        size_t pub = e->cmd == POP3_CMD_APOP ? n - 32U : 5U;
        memset(t + pub, '*', 3);
        n = pub + 3U;
    }
    c->cfg.callbacks.on_trace(c->cfg.callbacks.ctx, POP3_TRACE_SENT, t, n);
}

/* Offers the head command's unsent bytes to the port. */
static void flush(pop3_client_t *c)
{
    pop3_queue_entry_t *e = q_head(c);

    while (e != NULL && c->q_head_sent && e->tx_len > 0 && c->state != POP3_STATE_CLOSED) {
        long r = c->cfg.transport.send(c->cfg.transport.ctx, (const uint8_t *)c->cfg.tx_buf + c->tx_sent,
                                       e->tx_len - c->tx_sent);
        if (r < 0) {
            pop3_fail(c, POP3_ERR_TRANSPORT, true);
            return;
        }
        if (r == 0) {
            c->want_write = true;
            return;
        }
        c->tx_sent += (size_t)r < e->tx_len - c->tx_sent ? (size_t)r : e->tx_len - c->tx_sent;
        if (c->tx_sent == e->tx_len) {
            trace_sent(c, e);
            tx_drop_front(c, e->tx_len);
            e->tx_len = 0;
            c->tx_sent = 0;
        }
    }
}

static bool dispatch_allowed(const pop3_client_t *c, const pop3_queue_entry_t *e)
{
    return (cmd_table[e->cmd].states & (1U << c->state)) != 0;
}

static void complete(pop3_client_t *c, int cmd, pop3_status_t st, const pop3_reply_t *r);

/* Starts the next queued command if nothing is in flight. */
static void pump(pop3_client_t *c)
{
    pop3_queue_entry_t *e;

    /* Inside pop3_on_input() the next command waits until the whole chunk is
     * parsed: bytes after a reply's end must be refused before anything is sent. */
    while (!c->in_callback && !c->in_input && !c->q_head_sent && (e = q_head(c)) != NULL) {
        if (c->state != POP3_STATE_AUTH && c->state != POP3_STATE_TRANSACTION &&
            c->state != POP3_STATE_SETUP) {
            return; /* not ready yet: commands wait */
        }
        if (c->state == POP3_STATE_SETUP && (cmd_table[e->cmd].states & ST_SETUP) == 0) {
            return; /* the user's commands wait for the set-up to finish */
        }
        if (!dispatch_allowed(c, e)) {
            pop3_reply_t r = {0};
            complete(c, q_pop_command(c), POP3_ERR_STATE, &r);
            continue;
        }
        c->q_head_sent = true;
        c->tx_sent = 0;
        c->rx_mode = POP3_RX_STATUS;
        c->line_len = 0;
        arm(c, c->cfg.reply_timeout_ms);
        flush(c);
    }
}

/* ------------------------------------------------------------------------ */
/* Completion and failure                                                   */
/* ------------------------------------------------------------------------ */

static void complete(pop3_client_t *c, int cmd, pop3_status_t st, const pop3_reply_t *r)
{
    if (cmd < POP3_CMD_COUNT_ && c->cfg.callbacks.on_done != NULL) {
        bool was = c->in_callback;
        c->in_callback = true;
        c->cfg.callbacks.on_done(c->cfg.callbacks.ctx, (pop3_cmd_t)cmd, st, r);
        c->in_callback = was;
    }
}

/* Ends the in-flight command and starts the next. */
static void finish(pop3_client_t *c, pop3_status_t st, const pop3_reply_t *r)
{
    int cmd = q_head(c)->cmd;

    if (cmd == POP3_X_USER && st != POP3_OK) {
        cmd = q_pop_command(c);
    } else {
        q_pop(c); /* a successful USER leaves its PASS queued */
    }
    c->rx_mode = POP3_RX_IDLE;
    c->deadline_armed = false;
    c->reply_ended = true;
    complete(c, cmd, st, r);
    pump(c);
}

static void ready(pop3_client_t *c)
{
    pop3_reply_t r = {0};

    c->state = POP3_STATE_AUTH;
    c->rx_mode = POP3_RX_IDLE;
    c->deadline_armed = false;
    complete(c, POP3_CMD_CONNECT, POP3_OK, &r);
    pump(c);
}

/* The session is over: no more input or output, the port is told to close. */
static void end_session(pop3_client_t *c, pop3_status_t st, bool close_transport)
{
    if (st != POP3_OK) {
        POP3_LOG_ERROR(("session failed: %s", pop3_status_str(st)));
    }
    c->state = POP3_STATE_CLOSED;
    c->session_status = st;
    c->rx_mode = POP3_RX_IDLE;
    c->deadline_armed = false;
    c->paused = false;
    c->want_write = false;
    c->stls_pending = false;
    if (close_transport) {
        c->cfg.transport.close(c->cfg.transport.ctx);
    }
}

/* Commands that never ran end with @p st; then every buffer is wiped. */
static void fail_queue(pop3_client_t *c, pop3_status_t st)
{
    pop3_reply_t r = {0};

    while (c->q_count > 0) {
        complete(c, q_pop_command(c), st, &r);
    }
    pop3_wipe(c->cfg.tx_buf, c->cfg.tx_buf_len);
    pop3_wipe(c->cfg.line_buf, c->cfg.line_buf_len);
    pop3_wipe(c->apop_ts, sizeof c->apop_ts);
    c->apop_ts_len = 0;
    c->tx_len = 0;
}

void pop3_fail(pop3_client_t *c, pop3_status_t st, bool close_transport)
{
    pop3_reply_t r = {0};
    bool connecting = c->state < POP3_STATE_AUTH;
    /* Commands that never ran: the cause if it was the link or the server's
     * bytes, else just "closed" (a -ERR was the answer to another command). */
    pop3_status_t rest = (st == POP3_OK || st == POP3_ERR_SERVER || st == POP3_ERR_AUTH) ? POP3_ERR_CLOSED : st;

    if (c->state == POP3_STATE_CLOSED) {
        return;
    }
    end_session(c, st, close_transport);
    if (connecting) {
        complete(c, POP3_CMD_CONNECT, rest, &r);
    }
    fail_queue(c, rest);
}

/* ------------------------------------------------------------------------ */
/* Replies                                                                  */
/* ------------------------------------------------------------------------ */

static void send_internal(pop3_client_t *c, int cmd)
{
    fmt_t f;

    fmt_begin(&f, c, cmd);
    commit(&f, cmd, 0, 0, true); /* fits: room was reserved for it */
    pump(c);
}

static void on_greeting(pop3_client_t *c, pop3_line_kind_t kind, const char *text, size_t n)
{
    const char *ts;
    size_t ts_len;
    pop3_reply_t r = {0};

    if (kind != POP3_LINE_OK) {
        r.text = text;
        r.text_len = n;
        r.code = pop3_parse_resp_code(text, n);
        /* Closed first, so pop3_abort() from on_done cannot report CONNECT again. */
        end_session(c, POP3_ERR_SERVER, true);
        complete(c, POP3_CMD_CONNECT, POP3_ERR_SERVER, &r);
        fail_queue(c, POP3_ERR_CLOSED);
        return;
    }
    if (pop3_apop_timestamp(text, n, &ts, &ts_len)) {
        memcpy(c->apop_ts, ts, ts_len);
        c->apop_ts_len = (uint8_t)ts_len;
    }
    c->state = POP3_STATE_SETUP;
    c->reply_ended = true;
    send_internal(c, POP3_X_CAPA_AUTO);
}

/* End of the automatic CAPA: decide on STLS, or the session is ready. */
static void setup_capa_done(pop3_client_t *c, bool ok)
{
    bool need_stls = c->cfg.security == POP3_SEC_STLS && !c->tls_active;

    finish(c, POP3_OK, NULL);
    if (!ok) {
        c->caps = 0;
    }
    if (!need_stls) {
        ready(c);
    } else if (ok && (c->caps & POP3_CAP_STLS)) {
        send_internal(c, POP3_X_STLS);
    } else {
        POP3_LOG_ERROR(("STLS required but not offered"));
        pop3_fail(c, POP3_ERR_SECURITY, true);
    }
}

/* Single-line values of STAT, LIST n, UIDL n. */
static pop3_status_t parse_single(int cmd, const char *t, size_t n, pop3_reply_t *r)
{
    const char *p = t, *end = t + n;

    if (cmd == POP3_CMD_STAT) {
        if (!pop3_parse_u32(&p, end, &r->count) || !pop3_skip_spaces(&p, end) ||
            !pop3_parse_u64(&p, end, &r->octets)) {
            return POP3_ERR_PROTOCOL;
        }
    } else if (cmd == POP3_CMD_LIST || cmd == POP3_CMD_UIDL) {
        if (!pop3_parse_u32(&p, end, &r->msg) || !pop3_skip_spaces(&p, end)) {
            return POP3_ERR_PROTOCOL;
        }
        if (cmd == POP3_CMD_LIST) {
            if (!pop3_parse_u64(&p, end, &r->octets)) {
                return POP3_ERR_PROTOCOL;
            }
        } else {
            const char *sp = memchr(p, ' ', (size_t)(end - p));
            r->uid = p;
            r->uid_len = (size_t)((sp != NULL ? sp : end) - p);
            if (!pop3_uid_valid(r->uid, r->uid_len)) {
                return POP3_ERR_PROTOCOL;
            }
            p += r->uid_len;
        }
    } else {
        return POP3_OK;
    }
    /* Anything after the values must be separated by a space (free text). */
    return (p == end || *p == ' ') ? POP3_OK : POP3_ERR_PROTOCOL;
}

/* QUIT answered: report it, then end the session (whatever was queued after it gets CLOSED). */
static void quit_done(pop3_client_t *c, pop3_status_t st, const pop3_reply_t *r)
{
    /* Closed before QUIT is reported, so pop3_abort() from that callback
     * cannot turn a committed QUIT into an abort. */
    q_pop(c);
    end_session(c, st, true);
    complete(c, POP3_CMD_QUIT, st, r);
    fail_queue(c, POP3_ERR_CLOSED);
}

static void on_status(pop3_client_t *c, pop3_line_kind_t kind, const char *text, size_t n)
{
    pop3_queue_entry_t *e = q_head(c);
    int cmd = e->cmd;
    pop3_reply_t r = {0};
    pop3_status_t st;

    if (e->tx_len > 0) {
        /* An answer to a command the server has not fully received yet. */
        POP3_LOG_WARN(("reply before the command was sent"));
        pop3_fail(c, POP3_ERR_PROTOCOL, true);
        return;
    }
    r.text = text;
    r.text_len = n;
    if (kind == POP3_LINE_ERR) {
        r.code = pop3_parse_resp_code(text, n);
        if (cmd == POP3_X_CAPA_AUTO) {
            setup_capa_done(c, false);
        } else if (cmd == POP3_X_STLS) {
            POP3_LOG_ERROR(("STLS refused"));
            pop3_fail(c, POP3_ERR_SECURITY, true);
        } else if (cmd == POP3_CMD_QUIT) {
            quit_done(c, POP3_ERR_SERVER, &r);
        } else {
            bool auth = cmd == POP3_X_USER || cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP;
            finish(c, auth ? POP3_ERR_AUTH : POP3_ERR_SERVER, &r);
        }
        return;
    }
    if (cmd == POP3_CMD_RETR || cmd == POP3_CMD_TOP || (cmd_table[cmd].multi && e->msg == 0)) {
        c->rx_mode = cmd == POP3_CMD_RETR || cmd == POP3_CMD_TOP ? POP3_RX_BODY : POP3_RX_LINES;
        c->body_state = POP3_B_BOL;
        c->body_octets = 0;
        c->discarding = false;
        if (cmd == POP3_CMD_CAPA || cmd == POP3_X_CAPA_AUTO) {
            c->caps = POP3_CAP_KNOWN; /* a fresh list replaces the old one */
        }
        return;
    }
    st = parse_single(cmd, text, n, &r);
    if (st != POP3_OK) {
        pop3_fail(c, st, true);
        return;
    }
    switch (cmd) {
    case POP3_X_STLS:
        finish(c, POP3_OK, NULL);
        c->state = POP3_STATE_TLS;
        c->stls_pending = true; /* started by pop3_on_input once the chunk is known to end here */
        return;
    case POP3_CMD_LOGIN:
    case POP3_CMD_APOP:
        c->state = POP3_STATE_TRANSACTION;
        break;
    case POP3_CMD_QUIT:
        quit_done(c, POP3_OK, &r);
        return;
    default:
        break;
    }
    finish(c, POP3_OK, &r);
}

/* One line of a multi-line CAPA / LIST / UIDL reply (dot-unstuffed). */
static pop3_cb_action_t on_entry(pop3_client_t *c, int cmd, const char *l, size_t n)
{
    const pop3_callbacks_t *cb = &c->cfg.callbacks;
    const char *p = l, *end = l + n;
    uint32_t msg;
    uint64_t size;

    if (cmd == POP3_CMD_CAPA || cmd == POP3_X_CAPA_AUTO) {
        if (n == 0) {
            return POP3_CB_CONTINUE; /* blank lines carry nothing */
        }
        c->caps |= pop3_capa_bit(l, n);
        return (cmd == POP3_CMD_CAPA && cb->on_capa != NULL) ? cb->on_capa(cb->ctx, l, n) : POP3_CB_CONTINUE;
    }
    if (!pop3_parse_u32(&p, end, &msg) || !pop3_skip_spaces(&p, end)) {
        pop3_fail(c, POP3_ERR_PROTOCOL, true);
        return POP3_CB_ABORT;
    }
    if (cmd == POP3_CMD_LIST) {
        if (!pop3_parse_u64(&p, end, &size) || (p != end && *p != ' ')) {
            pop3_fail(c, POP3_ERR_PROTOCOL, true);
            return POP3_CB_ABORT;
        }
        return cb->on_list != NULL ? cb->on_list(cb->ctx, msg, size) : POP3_CB_CONTINUE;
    }
    {
        /* Same rule as "UIDL n": the uid is one token; text after a space is ignored. */
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        size_t ulen = (size_t)((sp != NULL ? sp : end) - p);
        if (!pop3_uid_valid(p, ulen)) {
            pop3_fail(c, POP3_ERR_PROTOCOL, true);
            return POP3_CB_ABORT;
        }
        return cb->on_uidl != NULL ? cb->on_uidl(cb->ctx, msg, p, ulen) : POP3_CB_CONTINUE;
    }
}

static void on_multi_line(pop3_client_t *c, const char *l, size_t n)
{
    int cmd = q_head(c)->cmd;
    pop3_cb_action_t act;

    if (n == 1 && l[0] == '.') {
        if (cmd == POP3_X_CAPA_AUTO) {
            setup_capa_done(c, true);
        } else {
            pop3_reply_t r = {0};
            finish(c, POP3_OK, &r);
        }
        return;
    }
    if (n > 0 && l[0] == '.') {
        l++;
        n--;
    }
    c->in_callback = true;
    act = on_entry(c, cmd, l, n);
    c->in_callback = false;
    if (c->state == POP3_STATE_CLOSED) {
        return;
    }
    if (act == POP3_CB_PAUSE) {
        c->paused = true;
    } else if (act == POP3_CB_ABORT) {
        c->rx_mode = POP3_RX_BODY; /* drain the rest through the body automaton */
        c->body_state = POP3_B_BOL;
        c->discarding = true;
    }
}

static void trace_received(pop3_client_t *c, const char *line, size_t len)
{
    if (c->cfg.callbacks.on_trace != NULL) {
        c->cfg.callbacks.on_trace(c->cfg.callbacks.ctx, POP3_TRACE_RECEIVED, line, len);
    }
}

void pop3_handle_line(pop3_client_t *c, const char *line, size_t len)
{
    const char *text = NULL;
    size_t n = 0;
    pop3_line_kind_t kind;

    trace_received(c, line, len);
    if (c->rx_mode == POP3_RX_LINES) {
        on_multi_line(c, line, len);
        return;
    }
    kind = pop3_parse_status(line, len, &text, &n);
    if (kind == POP3_LINE_BAD) {
        POP3_LOG_WARN(("malformed status line"));
        pop3_fail(c, POP3_ERR_PROTOCOL, true);
        return;
    }
    if (c->state == POP3_STATE_GREETING) {
        on_greeting(c, kind, text, n);
    } else {
        on_status(c, kind, text, n);
    }
}

pop3_cb_action_t pop3_deliver_body(pop3_client_t *c, const char *data, size_t len)
{
    pop3_cb_action_t act = POP3_CB_CONTINUE;

    c->body_octets += len;
    if (c->cfg.callbacks.on_body != NULL) {
        bool was = c->in_callback;
        c->in_callback = true;
        act = c->cfg.callbacks.on_body(c->cfg.callbacks.ctx, data, len);
        c->in_callback = was;
    }
    return act;
}

void pop3_body_done(pop3_client_t *c)
{
    pop3_reply_t r = {0};

    r.octets = c->body_octets;
    finish(c, c->discarding ? POP3_ERR_ABORTED : POP3_OK, &r);
    c->discarding = false;
}

/* ------------------------------------------------------------------------ */
/* Port entry points                                                        */
/* ------------------------------------------------------------------------ */

pop3_status_t pop3_init(pop3_client_t *c, const pop3_config_t *cfg)
{
    if (c == NULL || cfg == NULL || cfg->line_buf == NULL || cfg->tx_buf == NULL ||
        cfg->line_buf_len < POP3_MIN_LINE_BUF_LEN || cfg->tx_buf_len < POP3_MIN_TX_BUF_LEN ||
        cfg->transport.send == NULL || cfg->transport.close == NULL ||
        (unsigned)cfg->security > (unsigned)POP3_SEC_PLAINTEXT) {
        return POP3_ERR_BAD_ARG;
    }
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    if (c->cfg.connect_timeout_ms == 0) {
        c->cfg.connect_timeout_ms = POP3_CONNECT_TIMEOUT_MS;
    }
    if (c->cfg.reply_timeout_ms == 0) {
        c->cfg.reply_timeout_ms = POP3_REPLY_TIMEOUT_MS;
    }
    if (c->cfg.tls_timeout_ms == 0) {
        c->cfg.tls_timeout_ms = POP3_TLS_TIMEOUT_MS;
    }
    if (c->cfg.security != POP3_SEC_PLAINTEXT && c->cfg.transport.start_tls == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    c->state = POP3_STATE_IDLE;
    return POP3_OK;
}

pop3_status_t pop3_start(pop3_client_t *c, uint32_t now_ms)
{
    if (c->state != POP3_STATE_IDLE) {
        return POP3_ERR_STATE;
    }
    c->now_ms = now_ms;
    c->state = POP3_STATE_CONNECTING;
    arm(c, c->cfg.connect_timeout_ms);
    return POP3_OK;
}

static void start_tls(pop3_client_t *c)
{
    c->state = POP3_STATE_TLS;
    c->rx_mode = POP3_RX_IDLE;
    arm(c, c->cfg.tls_timeout_ms);
    if (c->cfg.transport.start_tls(c->cfg.transport.ctx) != 0) {
        pop3_fail(c, POP3_ERR_TLS, true);
    }
}

void pop3_on_connected(pop3_client_t *c)
{
    if (c->state != POP3_STATE_CONNECTING) {
        return;
    }
    if (c->cfg.security == POP3_SEC_IMPLICIT_TLS) {
        start_tls(c);
        return;
    }
    c->state = POP3_STATE_GREETING;
    c->rx_mode = POP3_RX_STATUS;
}

void pop3_on_tls_done(pop3_client_t *c, pop3_status_t status)
{
    if (c->state != POP3_STATE_TLS) {
        return;
    }
    if (status != POP3_OK) {
        pop3_fail(c, status == POP3_ERR_CERT ? POP3_ERR_CERT : POP3_ERR_TLS, true);
        return;
    }
    c->tls_active = true;
    c->caps = 0; /* RFC 2595 section 4: forget what was learned in plaintext */
    if (c->cfg.security == POP3_SEC_IMPLICIT_TLS) {
        c->state = POP3_STATE_GREETING;
        c->rx_mode = POP3_RX_STATUS;
        arm(c, c->cfg.connect_timeout_ms);
        return;
    }
    c->state = POP3_STATE_SETUP;
    send_internal(c, POP3_X_CAPA_AUTO);
}

size_t pop3_on_input(pop3_client_t *c, const uint8_t *data, size_t len)
{
    size_t off = 0;

    if (len > 0 && awaiting_reply(c) && !c->paused) {
        arm(c, c->cfg.reply_timeout_ms); /* the reply timeout is a silence timeout */
    }
    c->reply_ended = false;
    c->in_input = true;
    while (off < len && !c->paused && c->state != POP3_STATE_CLOSED) {
        if (c->reply_ended) {
            /*
             * Commands go out one at a time, each only after the previous reply
             * ended, so bytes that came in the same chunk as that end were sent
             * before the server could have seen the next command: they can
             * only be unsolicited (or injected) lines, never its reply. After
             * "+OK" to STLS this is the CVE-2021-22947 response injection, and
             * start_tls is then never called.
             */
            POP3_LOG_WARN(("data after the end of a reply, before the next command"));
            pop3_fail(c, POP3_ERR_PROTOCOL, true);
            break;
        }
        switch (c->rx_mode) {
        case POP3_RX_STATUS:
        case POP3_RX_LINES:
            off += pop3_rx_line(c, data + off, len - off);
            break;
        case POP3_RX_BODY:
            off += pop3_rx_body(c, data + off, len - off);
            break;
        default:
            POP3_LOG_WARN(("unsolicited data from server"));
            pop3_fail(c, POP3_ERR_PROTOCOL, true);
            break;
        }
    }
    c->in_input = false;
    if (c->stls_pending && c->state == POP3_STATE_TLS) {
        c->stls_pending = false;
        start_tls(c);
    } else {
        pump(c); /* the reply that ended here was the chunk's last byte: go on */
    }
    return off;
}

void pop3_on_writable(pop3_client_t *c)
{
    c->want_write = false;
    flush(c);
}

void pop3_on_closed(pop3_client_t *c, pop3_status_t status)
{
    pop3_fail(c, status == POP3_OK ? POP3_ERR_TRANSPORT : status, false);
}

void pop3_tick(pop3_client_t *c, uint32_t now_ms)
{
    c->now_ms = now_ms;
    if (c->deadline_armed && !c->paused && (int32_t)(now_ms - c->deadline_ms) >= 0) {
        POP3_LOG_ERROR(("timeout in state %d", (int)c->state));
        pop3_fail(c, POP3_ERR_TIMEOUT, true);
    }
}

/* ------------------------------------------------------------------------ */
/* Commands                                                                 */
/* ------------------------------------------------------------------------ */

/* Common checks before formatting: a usable client with a free queue slot. */
static pop3_status_t can_queue(const pop3_client_t *c, unsigned slots)
{
    if (c == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    if (c->state == POP3_STATE_CLOSED) {
        return POP3_ERR_CLOSED;
    }
    /* One slot and a few octets stay free for the core's own CAPA/STLS. */
    if (c->q_count + slots > POP3_QUEUE_LEN - 1U ||
        c->tx_len + INTERNAL_TX_RESERVE >= c->cfg.tx_buf_len) {
        return POP3_ERR_QUEUE_FULL;
    }
    return POP3_OK;
}

/* Commits a user command and starts it if the line is free. */
static pop3_status_t enqueue(fmt_t *f, int cmd, uint32_t msg, uint8_t flags)
{
    pop3_status_t st = fmt_check(f);

    if (st == POP3_OK) {
        commit(f, cmd, msg, flags, false);
        pump(f->c);
    }
    return st;
}

/* Queues a command with up to two numeric arguments (nargs of them). */
static pop3_status_t queue_simple(pop3_client_t *c, int cmd, unsigned nargs, uint32_t a, uint32_t b)
{
    pop3_status_t st = can_queue(c, 1);
    fmt_t f;

    if (st != POP3_OK) {
        return st;
    }
    fmt_begin(&f, c, cmd);
    if (nargs >= 1) {
        fmt_u32(&f, a);
    }
    if (nargs >= 2) {
        fmt_u32(&f, b);
    }
    return enqueue(&f, cmd, a, 0);
}

static pop3_status_t queue_msg(pop3_client_t *c, int cmd, uint32_t msg)
{
    if (msg == 0) {
        return POP3_ERR_BAD_ARG;
    }
    return queue_simple(c, cmd, 1, msg, 0);
}

pop3_status_t pop3_capa(pop3_client_t *c)
{
    return queue_simple(c, POP3_CMD_CAPA, 0, 0, 0);
}

pop3_status_t pop3_stat(pop3_client_t *c)
{
    return queue_simple(c, POP3_CMD_STAT, 0, 0, 0);
}

pop3_status_t pop3_list(pop3_client_t *c, uint32_t msg)
{
    return queue_simple(c, POP3_CMD_LIST, msg != 0 ? 1U : 0U, msg, 0);
}

pop3_status_t pop3_uidl(pop3_client_t *c, uint32_t msg)
{
    return queue_simple(c, POP3_CMD_UIDL, msg != 0 ? 1U : 0U, msg, 0);
}

pop3_status_t pop3_retr(pop3_client_t *c, uint32_t msg)
{
    return queue_msg(c, POP3_CMD_RETR, msg);
}

pop3_status_t pop3_top(pop3_client_t *c, uint32_t msg, uint32_t lines)
{
    if (msg == 0) {
        return POP3_ERR_BAD_ARG;
    }
    return queue_simple(c, POP3_CMD_TOP, 2, msg, lines);
}

pop3_status_t pop3_dele(pop3_client_t *c, uint32_t msg)
{
    return queue_msg(c, POP3_CMD_DELE, msg);
}

pop3_status_t pop3_rset(pop3_client_t *c)
{
    return queue_simple(c, POP3_CMD_RSET, 0, 0, 0);
}

pop3_status_t pop3_noop(pop3_client_t *c)
{
    return queue_simple(c, POP3_CMD_NOOP, 0, 0, 0);
}

pop3_status_t pop3_quit(pop3_client_t *c)
{
    return queue_simple(c, POP3_CMD_QUIT, 0, 0, 0);
}

/* Credentials only travel encrypted unless the caller opted in twice. */
static pop3_status_t login_allowed(const pop3_client_t *c)
{
    if (c->cfg.security == POP3_SEC_PLAINTEXT && !c->cfg.allow_plaintext_login) {
        POP3_LOG_ERROR(("plaintext login refused (allow_plaintext_login not set)"));
        return POP3_ERR_SECURITY;
    }
    return POP3_OK;
}

pop3_status_t pop3_login(pop3_client_t *c, const char *user, const char *pass)
{
    size_t ul, pl;
    pop3_status_t st = can_queue(c, 2);
    fmt_t f, g;

    if (st != POP3_OK) {
        return st;
    }
    if (!pop3_arg_valid(user, &ul) || !pop3_arg_valid(pass, &pl)) {
        return POP3_ERR_BAD_ARG;
    }
    st = login_allowed(c);
    if (st != POP3_OK) {
        return st;
    }
    /* Format both before committing either, so a failure leaves nothing queued. */
    fmt_begin(&f, c, POP3_X_USER);
    fmt_put(&f, " ", 1);
    fmt_put(&f, user, ul);
    st = fmt_check(&f);
    if (st != POP3_OK) {
        return st;
    }
    fmt_begin_at(&g, c, POP3_CMD_LOGIN, f.start + f.len + 2U);
    fmt_put(&g, " ", 1);
    fmt_put(&g, pass, pl);
    st = fmt_check(&g);
    if (st != POP3_OK) {
        pop3_wipe(c->cfg.tx_buf + f.start, f.len);
        return st;
    }
    commit(&f, POP3_X_USER, 0, 0, false);
    commit(&g, POP3_CMD_LOGIN, 0, POP3_QF_SECRET, false);
    pump(c);
    return POP3_OK;
}

pop3_status_t pop3_apop(pop3_client_t *c, const char *user, const char *pass)
{
#if POP3_APOP_ENABLE
    size_t ul, pl;
    char hex[32];
    pop3_status_t st = can_queue(c, 1);
    fmt_t f;

    if (st != POP3_OK) {
        return st;
    }
    if (!pop3_arg_valid(user, &ul) || !pop3_arg_valid(pass, &pl)) {
        return POP3_ERR_BAD_ARG;
    }
    if (c->apop_ts_len == 0) {
        return POP3_ERR_STATE; /* no greeting yet, or it offered no timestamp */
    }
    st = login_allowed(c);
    if (st != POP3_OK) {
        return st;
    }
    if (!pop3_apop_digest(c->apop_ts, c->apop_ts_len, pass, pl, hex)) {
        return POP3_ERR_BAD_ARG;
    }
    fmt_begin(&f, c, POP3_CMD_APOP);
    fmt_put(&f, " ", 1);
    fmt_put(&f, user, ul);
    fmt_put(&f, " ", 1);
    fmt_put(&f, hex, sizeof hex);
    pop3_wipe(hex, sizeof hex);
    return enqueue(&f, POP3_CMD_APOP, 0, POP3_QF_SECRET);
#else
    (void)c;
    (void)user;
    (void)pass;
    return POP3_ERR_BAD_ARG;
#endif
}

/* ------------------------------------------------------------------------ */
/* Flow control and queries                                                 */
/* ------------------------------------------------------------------------ */

void pop3_resume(pop3_client_t *c)
{
    if (c == NULL || !c->paused) {
        return;
    }
    c->paused = false;
    if (awaiting_reply(c)) {
        arm(c, c->cfg.reply_timeout_ms);
    }
    if (c->cfg.transport.wake != NULL) {
        c->cfg.transport.wake(c->cfg.transport.ctx);
    }
}

bool pop3_is_paused(const pop3_client_t *c)
{
    return c->paused;
}

bool pop3_wants_write(const pop3_client_t *c)
{
    return c->want_write && c->state != POP3_STATE_CLOSED;
}

void pop3_abort(pop3_client_t *c)
{
    if (c != NULL) {
        pop3_fail(c, POP3_ERR_ABORTED, true);
    }
}

pop3_state_t pop3_state(const pop3_client_t *c)
{
    return c->state;
}

pop3_status_t pop3_session_status(const pop3_client_t *c)
{
    return c->session_status;
}

uint32_t pop3_caps(const pop3_client_t *c)
{
    return c->caps;
}

bool pop3_has_apop(const pop3_client_t *c)
{
    return c->apop_ts_len > 0;
}
