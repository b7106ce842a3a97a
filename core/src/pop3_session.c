/* The session state machine: the port's entry points, the set-up steps
 * (greeting, CAPA, STLS, TLS, CAPA again) as phases of one switch, and the
 * handling of every reply line and body. Sending, dispatch, completion and
 * failure are pop3_dispatch.c's. See the state diagram in pop3.h.
 *
 * One command is on the wire at a time, and each goes out only after the
 * previous reply ended. So a byte that follows the end of a reply in the same
 * pop3_on_input() call was sent before the server could have seen the next
 * command: it can only be unsolicited or injected, never that command's reply
 * (after "+OK" to STLS this is the CVE-2021-22947 response injection). Such a
 * reply is refused before it is reported, and the failure names it. */
#include <string.h>

#include "pop3_internal.h"

/* The core's own set-up commands, sent from here rather than from tx_buf. */
static const char capa_line[] = "CAPA\r\n";
#if POP3_STLS_ENABLE
static const char stls_line[] = "STLS\r\n";
#endif

/* A set-up step: the core's own command in phase @p phase. */
static void setup_send(pop3_client_t *c, uint8_t phase, const char *line)
{
    c->phase = phase;
    pop3_expect_status(c, c->cfg.reply_timeout_ms);
    pop3_send_line(c, line, 6);
}

/* Capabilities start again from @p caps (a new CAPA, a new TLS layer). */
static void caps_reset(pop3_client_t *c, uint32_t caps)
{
    c->caps = caps;
#if POP3_SASL_ENABLE
    c->sasl_offered = 0;
#endif
}

/* ---- set-up steps -------------------------------------------------------------- */

static void start_tls(pop3_client_t *c, uint8_t phase)
{
    c->phase = phase;
    c->rx = POP3_RX_NONE;
    pop3_arm(c, c->cfg.tls_timeout_ms);
    if (c->cfg.transport.start_tls(c->cfg.transport.ctx) != 0) {
        pop3_fail(c, POP3_ERR_TLS, true);
    }
}

static void ready(pop3_client_t *c)
{
    c->phase = POP3_P_AUTH;
    pop3_report(c, POP3_CMD_CONNECT, POP3_OK, NULL);
    pop3_pump(c);
}

static void on_greeting(pop3_client_t *c, pop3_line_kind_t kind, const char *text, size_t n)
{
    pop3_reply_t r = {0};

    if (!pop3_ends_clean(c)) {
        return;
    }
    if (kind != POP3_LINE_OK) {
        r.text = text;
        r.text_len = n;
        r.code = pop3_parse_resp_code(text, n);
        /* Closed first, so pop3_abort() from on_done cannot report CONNECT again. */
        pop3_end_session(c, POP3_ERR_SERVER, true);
        pop3_report(c, POP3_CMD_CONNECT, POP3_ERR_SERVER, &r);
        pop3_fail_queue(c, POP3_ERR_CLOSED);
        return;
    }
#if POP3_APOP_ENABLE
    {
        const char *ts;
        size_t ts_len;
        if (pop3_apop_timestamp(text, n, &ts, &ts_len)) {
            memcpy(c->apop_ts, ts, ts_len);
            c->apop_ts_len = (uint8_t)ts_len;
        }
    }
#endif
    setup_send(c, POP3_P_CAPA, capa_line);
}

/* End of the core's CAPA: STLS next if required, else the session is ready. */
static void setup_capa_done(pop3_client_t *c, bool ok)
{
    if (!pop3_ends_clean(c)) {
        return;
    }
    if (!ok) {
        caps_reset(c, 0);
    }
#if POP3_STLS_ENABLE
    if (c->phase == POP3_P_CAPA && c->cfg.security == POP3_SEC_STLS) {
        if ((c->caps & POP3_CAP_STLS) == 0) {
            POP3_LOG_ERROR(("STLS required but not offered"));
            pop3_fail(c, POP3_ERR_SECURITY, true);
        } else {
            setup_send(c, POP3_P_STLS, stls_line);
        }
        return;
    }
    if (c->q_sent > 0) {
        /* The CAPA after a pop3_stls() (its entry on the wire): the upgrade is
         * complete, and the session now counts as encrypted for the logins. */
        c->phase = POP3_P_AUTH;
        c->cfg.security = POP3_SEC_STLS;
        pop3_finish(c, POP3_OK, NULL);
        return;
    }
#endif
    ready(c);
}

/* Single-line values of STAT, LIST n, UIDL n. */
static bool parse_values(pop3_cmd_t cmd, const char *t, size_t n, pop3_reply_t *r)
{
    switch (cmd) {
    case POP3_CMD_STAT:
        return pop3_parse_pair(t, n, &r->count, &r->octets);
#if POP3_LIST_ENABLE
    case POP3_CMD_LIST:
        return pop3_parse_pair(t, n, &r->msg, &r->octets);
#endif
    case POP3_CMD_UIDL:
        return pop3_parse_uidl(t, n, &r->msg, &r->uid, &r->uid_len);
    default:
        return true;
    }
}

#if POP3_SASL_ENABLE
static bool auth_in_flight(pop3_client_t *c)
{
    const pop3_queue_entry_t *e = pop3_q_head(c);

    return c->phase == POP3_P_AUTH && c->q_sent > 0 && e != NULL && e->cmd == POP3_CMD_AUTH;
}

/* A line of the AUTH exchange: a challenge to answer, or the exchange's end. */
static void on_auth_status(pop3_client_t *c, pop3_line_kind_t kind, char *text, size_t n)
{
    pop3_reply_t r = {0};
    char keep[POP3_OAUTH_STATUS_MAX_LEN + POP3_OAUTH_SCOPE_MAX_LEN];
    pop3_status_t fault = (pop3_status_t)c->sasl.fault;

    if (kind == POP3_LINE_CONT) {
        if (pop3_trailing(c)) {
            return; /* bytes after a challenge, before its answer: injected */
        }
        if (fault != POP3_OK) {
            pop3_fail(c, POP3_ERR_PROTOCOL, true); /* a challenge after "*" */
            return;
        }
        (void)pop3_sasl_challenge(c, text, n); /* the answer, or "*" */
        pop3_send_stream(c);
        return;
    }
    r.text = text;
    r.text_len = n;
    if (kind == POP3_LINE_ERR) {
        r.code = pop3_parse_resp_code(text, n);
    }
    if (fault != POP3_OK) {
        /* The answer to "*". A cancel or a refused SCRAM proof leave the session
         * usable; a server that broke the exchange, or took "*" as a success, does not. */
        if (kind == POP3_LINE_ERR && (fault == POP3_ERR_ABORTED || fault == POP3_ERR_AUTH)) {
            pop3_finish(c, fault, &r);
        } else {
            pop3_finish_close(c, fault, kind == POP3_LINE_ERR ? fault : POP3_ERR_PROTOCOL, &r);
        }
        return;
    }
    if (kind == POP3_LINE_OK) {
        pop3_status_t st = pop3_sasl_success(c);
        if (st != POP3_OK) {
            POP3_LOG_ERROR(("SASL: +OK before the exchange was complete"));
            pop3_finish_close(c, st, st, &r);
            return;
        }
        c->phase = POP3_P_TRANSACTION;
        pop3_finish(c, POP3_OK, &r);
        return;
    }
    pop3_finish(c, pop3_sasl_failure(c, r.code, &r, keep), &r);
}
#endif

/* The line the next status answers is still going out: the core's own line or
 * a SASL response (no queue entries), or the head's text at the start of what
 * is being sent. The rest of a pipelined run may be blocked in send while the
 * head's reply comes. */
static bool head_unsent(pop3_client_t *c)
{
    return c->out_len != 0 &&
           (c->out_entries == 0 || (c->q_sent == c->out_entries && c->out_sent < pop3_q_head(c)->tx_len));
}

/* Commands whose -ERR is a refused login. */
static bool is_login(pop3_cmd_t cmd)
{
    return cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP || cmd == POP3_CMD_USER || cmd == POP3_CMD_PASS;
}

static void on_command_status(pop3_client_t *c, pop3_line_kind_t kind, const char *text, size_t n)
{
    pop3_queue_entry_t *e = pop3_q_head(c);
    pop3_cmd_t cmd = (pop3_cmd_t)e->cmd;
    pop3_reply_kind_t rk = (pop3_reply_kind_t)pop3_cmd_info(cmd)->kind;
    pop3_reply_t r = {0};

#if POP3_SASL_ENABLE
    if (cmd == POP3_CMD_AUTH) {
        on_auth_status(c, kind, c->cfg.line_buf + (text - c->cfg.line_buf), n);
        return;
    }
#endif
    r.text = text;
    r.text_len = n;
    if (kind == POP3_LINE_ERR) {
        r.code = pop3_parse_resp_code(text, n);
        pop3_finish(c, is_login(cmd) ? POP3_ERR_AUTH : POP3_ERR_SERVER, &r);
        return;
    }
#if POP3_STLS_ENABLE
    if (cmd == POP3_CMD_STLS) {
        /* The connect phase's upgrade (reported once the CAPA again ended),
         * only if nothing followed the +OK. */
        if (pop3_ends_clean(c)) {
            start_tls(c, POP3_P_STLS_TLS);
        }
        return;
    }
#endif
    if (rk == POP3_RK_DIALOG && e->lines > 0) {
        /* A dialog: this +OK releases the next line (PASS after USER). A
         * pipelined command still counts its line while the run it is part of
         * is being sent: it is not a dialog. */
        if (!pop3_trailing(c)) {
            pop3_send_queued_line(c);
        }
        return;
    }
    if (rk == POP3_RK_LINES && e->msg != 0) {
        rk = POP3_RK_LINE; /* LIST n, UIDL n */
    }
#if POP3_RAW_ENABLE
    if (cmd == POP3_CMD_RAW && e->msg != 0) {
        /* A block follows. Its status line stays in line_buf for on_done
         * (the body decoder does not use it; nothing is pipelined behind). */
        rk = POP3_RK_BODY;
        c->line_len = (size_t)(text - c->cfg.line_buf) + n;
    }
#endif
    if (rk == POP3_RK_LINES || rk == POP3_RK_BODY) {
        c->rx = rk == POP3_RK_BODY ? POP3_RX_BODY : POP3_RX_LINES;
        c->body_state = POP3_B_BOL;
        c->body_octets = 0;
        c->discarding = false;
        if (cmd == POP3_CMD_CAPA) {
            caps_reset(c, POP3_CAP_KNOWN); /* a fresh list replaces the old one */
        }
        return;
    }
    if (!parse_values(cmd, text, n, &r)) {
        pop3_fail(c, POP3_ERR_PROTOCOL, true);
        return;
    }
    if (cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP || cmd == POP3_CMD_PASS) {
        c->phase = POP3_P_TRANSACTION;
    }
    c->user_ok = cmd == POP3_CMD_USER; /* before the report: its on_done may call pop3_pass() */
    if (cmd == POP3_CMD_UTF8) {
        c->utf8_on = true;
    }
    pop3_finish(c, POP3_OK, &r);
}

static void on_status_line(pop3_client_t *c, const char *line, size_t len)
{
    const char *text = NULL;
    size_t n = 0;
    pop3_line_kind_t kind = pop3_parse_status(line, len, &text, &n);

#if POP3_SASL_ENABLE
    if (kind == POP3_LINE_CONT && auth_in_flight(c) && c->out_len == 0) {
        on_auth_status(c, kind, c->cfg.line_buf + (text - c->cfg.line_buf), n);
        return;
    }
#endif
    if (kind == POP3_LINE_CONT) {
        kind = POP3_LINE_BAD; /* a continuation outside an AUTH exchange */
    }
    if (kind == POP3_LINE_BAD || head_unsent(c)) {
        /* Malformed, or an answer to a line the server has not fully received yet. */
        POP3_LOG_WARN(("malformed or premature status line"));
        pop3_fail(c, POP3_ERR_PROTOCOL, true);
        return;
    }
    switch (c->phase) {
    case POP3_P_GREETING:
        on_greeting(c, kind, text, n);
        break;
    case POP3_P_CAPA:
    case POP3_P_RECAPA:
        if (kind == POP3_LINE_OK) {
            c->rx = POP3_RX_LINES;
            caps_reset(c, POP3_CAP_KNOWN);
        } else {
            setup_capa_done(c, false);
        }
        break;
#if POP3_STLS_ENABLE
    case POP3_P_STLS:
        if (kind != POP3_LINE_OK) {
            POP3_LOG_ERROR(("STLS refused"));
            pop3_fail(c, POP3_ERR_SECURITY, true);
        } else if (pop3_ends_clean(c)) {
            start_tls(c, POP3_P_STLS_TLS); /* nothing followed the +OK: safe to upgrade */
        }
        break;
#endif
    default: /* AUTH, TRANSACTION: a queued command is in flight */
        on_command_status(c, kind, text, n);
        break;
    }
}

/* One entry of a multi-line reply, dot-unstuffed; calls the application. */
static pop3_cb_action_t on_entry(pop3_client_t *c, const char *l, size_t n)
{
    const pop3_callbacks_t *cb = &c->cfg.callbacks;
    uint32_t msg;

    /* The core's own CAPA during set-up, else the queued command's lines. */
    bool setup = c->phase != POP3_P_AUTH && c->phase != POP3_P_TRANSACTION;

    switch (setup ? (unsigned)POP3_CMD_CAPA : pop3_q_head(c)->cmd) {
    case POP3_CMD_CAPA:
        c->caps |= pop3_capa_bit(l, n);
#if POP3_SASL_ENABLE
        c->sasl_offered = (uint16_t)(c->sasl_offered | pop3_sasl_offered(l, n));
#endif
#if POP3_CAPA_ENABLE
        if (!setup && n > 0 && cb->on_capa != NULL) {
            return cb->on_capa(cb->ctx, l, n); /* only for an explicit pop3_capa() */
        }
#endif
        return POP3_CB_CONTINUE;
#if POP3_LIST_ENABLE
    case POP3_CMD_LIST: {
        uint64_t size;
        if (!pop3_parse_pair(l, n, &msg, &size)) {
            break;
        }
        return cb->on_list != NULL ? cb->on_list(cb->ctx, msg, size) : POP3_CB_CONTINUE;
    }
#endif
    default: { /* UIDL */
        const char *uid;
        size_t ulen;
        if (!pop3_parse_uidl(l, n, &msg, &uid, &ulen)) {
            break;
        }
        return cb->on_uidl != NULL ? cb->on_uidl(cb->ctx, msg, uid, ulen) : POP3_CB_CONTINUE;
    }
    }
    pop3_fail(c, POP3_ERR_PROTOCOL, true);
    return POP3_CB_ABORT;
}

/* What a streaming callback asked for. */
static void obey(pop3_client_t *c, pop3_cb_action_t act)
{
    if (POP3_CLOSED(c)) {
        return; /* pop3_abort() from the callback */
    }
    if (act == POP3_CB_PAUSE) {
        c->paused = true;
    } else if (act == POP3_CB_ABORT) {
        if (c->rx == POP3_RX_LINES) {
            c->rx = POP3_RX_BODY; /* drain the rest of a list through the body decoder */
            c->body_state = POP3_B_BOL;
        }
        c->discarding = true; /* to the end marker, then report ABORTED */
    }
}

static void on_list_line(pop3_client_t *c, const char *l, size_t n)
{
    pop3_cb_action_t act;
    bool was = c->in_callback;

    if (n == 1 && l[0] == '.') {
        if (c->phase == POP3_P_CAPA || c->phase == POP3_P_RECAPA) {
            setup_capa_done(c, true);
        } else {
            pop3_finish(c, POP3_OK, NULL);
        }
        return;
    }
    if (n > 0 && l[0] == '.') {
        l++;
        n--;
    }
    c->in_callback = true;
    act = on_entry(c, l, n);
    c->in_callback = was;
    obey(c, act);
}

/* ---- input --------------------------------------------------------------------------- */

static size_t line_input(pop3_client_t *c, const uint8_t *data, size_t len)
{
    size_t taken = 0, n = 0;
    pop3_line_result_t res =
        pop3_line_take(c->cfg.line_buf, c->cfg.line_buf_len, &c->line_len, data, len, &taken, &n);

    if (res == POP3_LINE_INVALID) {
        POP3_LOG_WARN(("reply line too long or with a NUL"));
        pop3_fail(c, POP3_ERR_PROTOCOL, true);
    } else if (res == POP3_LINE_COMPLETE) {
        c->more_input = taken < len;
        pop3_trace(c, POP3_TRACE_RECEIVED, c->cfg.line_buf, n);
        if (POP3_CLOSED(c)) {
            return taken;
        }
        if (c->rx == POP3_RX_LINES) {
            on_list_line(c, c->cfg.line_buf, n);
        } else {
            on_status_line(c, c->cfg.line_buf, n);
        }
    }
    return taken;
}

static size_t body_input(pop3_client_t *c, const uint8_t *data, size_t len)
{
    size_t off = 0;

    while (off < len && !c->paused && !POP3_CLOSED(c)) {
        pop3_body_run_t run;
        off += pop3_body_decode(&c->body_state, data + off, len - off, &run);
        if (run.len > 0 && !c->discarding) {
            pop3_cb_action_t act = POP3_CB_CONTINUE;
            bool was = c->in_callback;
            c->body_octets += run.len;
            if (c->cfg.callbacks.on_body != NULL) {
                c->in_callback = true;
                act = c->cfg.callbacks.on_body(c->cfg.callbacks.ctx, (const char *)run.data, run.len);
                c->in_callback = was;
            }
            obey(c, act);
        }
        if (run.end && !POP3_CLOSED(c)) {
            pop3_reply_t r = {0};
            pop3_status_t st = c->discarding ? POP3_ERR_ABORTED : POP3_OK;
            r.octets = c->body_octets;
#if POP3_RAW_ENABLE
            if (pop3_q_head(c)->cmd == POP3_CMD_RAW) {
                (void)pop3_parse_status(c->cfg.line_buf, c->line_len, &r.text, &r.text_len);
                c->line_len = 0;
            }
#endif
            c->discarding = false;
            c->more_input = off < len;
            pop3_finish(c, st, &r);
            break;
        }
    }
    return off;
}

size_t pop3_on_input(pop3_client_t *c, const uint8_t *data, size_t len)
{
    size_t off = 0;

    if (len > 0 && !c->paused) {
        pop3_rearm(c);
    }
    c->input_held = true; /* no command goes out until this input is used up (pop3_pump) */
    while (off < len && !c->paused && !POP3_CLOSED(c)) {
        switch (c->rx) {
        case POP3_RX_STATUS:
        case POP3_RX_LINES:
            off += line_input(c, data + off, len - off);
            break;
        case POP3_RX_BODY:
            off += body_input(c, data + off, len - off);
            break;
        default:
            POP3_LOG_WARN(("unsolicited data from server"));
            pop3_fail(c, POP3_ERR_PROTOCOL, true);
            break;
        }
    }
    c->more_input = false;
    c->input_held = off < len && !POP3_CLOSED(c); /* paused: the port feeds the rest again */
    pop3_pump(c); /* what replies and callbacks released */
    return off;
}

/* ---- other port entry points -------------------------------------------------------- */

pop3_status_t pop3_start(pop3_client_t *c, uint32_t now_ms)
{
    if (c->phase != POP3_P_IDLE) {
        return POP3_ERR_STATE;
    }
    c->now_ms = now_ms;
    c->phase = POP3_P_CONNECTING;
    pop3_arm(c, c->cfg.connect_timeout_ms);
    return POP3_OK;
}

void pop3_on_connected(pop3_client_t *c)
{
    if (c->phase != POP3_P_CONNECTING) {
        return;
    }
    if (c->cfg.security == POP3_SEC_IMPLICIT_TLS) {
        start_tls(c, POP3_P_TLS);
        return;
    }
    c->phase = POP3_P_GREETING;
    c->rx = POP3_RX_STATUS;
    c->line_len = 0; /* the connect deadline covers the greeting */
}

void pop3_on_tls_done(pop3_client_t *c, pop3_status_t status)
{
    if (c->phase != POP3_P_TLS && c->phase != POP3_P_STLS_TLS) {
        return;
    }
    if (status != POP3_OK) {
        pop3_fail(c, status == POP3_ERR_CERT ? POP3_ERR_CERT : POP3_ERR_TLS, true);
        return;
    }
    caps_reset(c, 0); /* RFC 2595 section 4: forget what was learned in plaintext */
    c->utf8_on = false; /* and what was agreed there: after pop3_stls() UTF8 is needed again */
    if (c->phase == POP3_P_TLS) {
        c->phase = POP3_P_GREETING;
        pop3_expect_status(c, c->cfg.connect_timeout_ms);
        return;
    }
    setup_send(c, POP3_P_RECAPA, capa_line);
}

void pop3_on_writable(pop3_client_t *c)
{
    c->want_write = false;
    pop3_flush(c);
    pop3_pump(c); /* pipelined commands queued while the line was blocked */
}

void pop3_on_closed(pop3_client_t *c, pop3_status_t status)
{
    pop3_fail(c, status == POP3_OK ? POP3_ERR_TRANSPORT : status, false);
}

void pop3_tick(pop3_client_t *c, uint32_t now_ms)
{
    c->now_ms = now_ms;
    if (c->deadline_armed && !c->paused && (int32_t)(now_ms - c->deadline_ms) >= 0) {
        POP3_LOG_ERROR(("timeout in state %d, %u commands on the wire", (int)pop3_phase_state(c), (unsigned)c->q_sent));
        pop3_fail(c, POP3_ERR_TIMEOUT, true);
    }
}
