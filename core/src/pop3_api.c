/* The application's side of the API: pop3_init(), the commands, flow control
 * and queries. Each command is checked, formatted into tx_buf and queued
 * (pop3_queue.c); the session (pop3_session.c) sends it when its turn comes. */
#include <string.h>

#include "pop3_internal.h"

static bool config_valid(const pop3_config_t *cfg)
{
    return cfg != NULL && cfg->line_buf != NULL && cfg->tx_buf != NULL &&
           cfg->line_buf_len >= POP3_MIN_LINE_BUF_LEN && cfg->tx_buf_len >= POP3_MIN_TX_BUF_LEN &&
           cfg->transport.send != NULL && cfg->transport.close != NULL &&
           (unsigned)cfg->security <= (unsigned)POP3_SEC_PLAINTEXT &&
           (cfg->security == POP3_SEC_PLAINTEXT || cfg->transport.start_tls != NULL) &&
           (POP3_STLS_ENABLE || cfg->security != POP3_SEC_STLS);
}

pop3_status_t pop3_init(pop3_client_t *c, const pop3_config_t *cfg)
{
    if (c == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    memset(c, 0, sizeof *c);
    if (!config_valid(cfg)) {
        /* Unusable: refuse pop3_start() and every command, never call a NULL pointer. */
        c->phase = POP3_P_CLOSED;
        c->session_status = POP3_ERR_BAD_ARG;
        return POP3_ERR_BAD_ARG;
    }
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
    c->phase = POP3_P_IDLE;
    return POP3_OK;
}

/* ---- commands ------------------------------------------------------------- */

/* Common checks before formatting: a usable client with a free queue slot. */
static pop3_status_t can_queue(const pop3_client_t *c)
{
    if (c == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    if (c->phase == POP3_P_CLOSED) {
        return POP3_ERR_CLOSED;
    }
    return pop3_q_has_room(c, 1) ? POP3_OK : POP3_ERR_QUEUE_FULL;
}

/* Queues the formatted command and starts it if the line is free. */
static pop3_status_t enqueue(pop3_fmt_t *f, pop3_cmd_t cmd, uint32_t msg)
{
    pop3_status_t st = pop3_fmt_commit(f, cmd, msg);

    if (st == POP3_OK) {
        pop3_pump(f->c);
    }
    return st;
}

/* A command with @p nargs (0-2) numeric arguments; @p a is the message number. */
static pop3_status_t queue_cmd(pop3_client_t *c, pop3_cmd_t cmd, unsigned nargs, uint32_t a, uint32_t b)
{
    pop3_status_t st = can_queue(c);
    pop3_fmt_t f;

    if (st != POP3_OK) {
        return st;
    }
    pop3_fmt_begin(&f, c, pop3_cmd_info(cmd)->verb);
    if (nargs >= 1U) {
        pop3_fmt_u32(&f, a);
    }
    if (nargs >= 2U) {
        pop3_fmt_u32(&f, b);
    }
    return enqueue(&f, cmd, nargs >= 1U ? a : 0U);
}

/* Commands whose message number must not be 0. */
static pop3_status_t queue_msg(pop3_client_t *c, pop3_cmd_t cmd, unsigned nargs, uint32_t msg, uint32_t b)
{
    return msg == 0 ? POP3_ERR_BAD_ARG : queue_cmd(c, cmd, nargs, msg, b);
}

#if POP3_CAPA_ENABLE
pop3_status_t pop3_capa(pop3_client_t *c)
{
    return queue_cmd(c, POP3_CMD_CAPA, 0, 0, 0);
}
#endif

pop3_status_t pop3_stat(pop3_client_t *c)
{
    return queue_cmd(c, POP3_CMD_STAT, 0, 0, 0);
}

#if POP3_LIST_ENABLE
pop3_status_t pop3_list(pop3_client_t *c, uint32_t msg)
{
    return queue_cmd(c, POP3_CMD_LIST, msg != 0 ? 1U : 0U, msg, 0);
}
#endif

pop3_status_t pop3_uidl(pop3_client_t *c, uint32_t msg)
{
    return queue_cmd(c, POP3_CMD_UIDL, msg != 0 ? 1U : 0U, msg, 0);
}

pop3_status_t pop3_retr(pop3_client_t *c, uint32_t msg)
{
    return queue_msg(c, POP3_CMD_RETR, 1, msg, 0);
}

#if POP3_TOP_ENABLE
pop3_status_t pop3_top(pop3_client_t *c, uint32_t msg, uint32_t lines)
{
    return queue_msg(c, POP3_CMD_TOP, 2, msg, lines);
}
#endif

pop3_status_t pop3_dele(pop3_client_t *c, uint32_t msg)
{
    return queue_msg(c, POP3_CMD_DELE, 1, msg, 0);
}

pop3_status_t pop3_retr_dele(pop3_client_t *c, uint32_t msg)
{
    pop3_status_t st = msg == 0 ? POP3_ERR_BAD_ARG : can_queue(c);
    pop3_fmt_t f;

    if (st != POP3_OK) {
        return st;
    }
    if (!pop3_q_reserve_dele(c)) {
        return POP3_ERR_QUEUE_FULL;
    }
    pop3_fmt_begin(&f, c, "RETR");
    pop3_fmt_u32(&f, msg);
    st = pop3_fmt_commit(&f, POP3_CMD_RETR, msg);
    if (st != POP3_OK) {
        c->dele_reserved--;
        return st;
    }
    c->dele_after |= POP3_SLOT_BIT(c, pop3_q_at(c, c->q_count - 1U)); /* before it can finish */
    pop3_pump(c);
    return POP3_OK;
}

#if POP3_RSET_NOOP_ENABLE
pop3_status_t pop3_rset(pop3_client_t *c)
{
    return queue_cmd(c, POP3_CMD_RSET, 0, 0, 0);
}

pop3_status_t pop3_noop(pop3_client_t *c)
{
    return queue_cmd(c, POP3_CMD_NOOP, 0, 0, 0);
}
#endif

pop3_status_t pop3_quit(pop3_client_t *c)
{
    return queue_cmd(c, POP3_CMD_QUIT, 0, 0, 0);
}

/* Checks shared by the logins: queue room, valid strings (@p pl NULL: one
 * alone, for pop3_user() or pop3_pass()), and credentials only travel
 * encrypted unless the caller opted in twice (a session that pop3_stls()
 * upgraded runs as POP3_SEC_STLS from then on). */
static pop3_status_t login_check(const pop3_client_t *c, const char *user, const char *pass, size_t *ul,
                                 size_t *pl)
{
    pop3_status_t st = can_queue(c);

    if (st != POP3_OK) {
        return st;
    }
    if (!pop3_arg_valid(user, ul) || (pl != NULL && !pop3_arg_valid(pass, pl))) {
        return POP3_ERR_BAD_ARG;
    }
    if (c->cfg.security == POP3_SEC_PLAINTEXT && !c->cfg.allow_plaintext_login) {
        POP3_LOG_ERROR(("plaintext login refused (allow_plaintext_login not set)"));
        return POP3_ERR_SECURITY;
    }
    return POP3_OK;
}

/* One command of two lines: PASS goes out only after +OK to USER. */
pop3_status_t pop3_login(pop3_client_t *c, const char *user, const char *pass)
{
    size_t ul = 0, pl = 0;
    pop3_status_t st = login_check(c, user, pass, &ul, &pl);
    pop3_fmt_t f;

    if (st != POP3_OK) {
        return st;
    }
    pop3_fmt_begin(&f, c, "USER ");
    pop3_fmt_put(&f, user, ul);
    pop3_fmt_line(&f, "PASS ");
    pop3_fmt_put(&f, pass, pl);
    return enqueue(&f, POP3_CMD_LOGIN, 0);
}

#if POP3_APOP_ENABLE
pop3_status_t pop3_apop(pop3_client_t *c, const char *user, const char *pass)
{
    size_t ul = 0, pl = 0;
    char hex[32];
    pop3_status_t st = login_check(c, user, pass, &ul, &pl);
    pop3_fmt_t f;

    if (st != POP3_OK) {
        return st;
    }
    if (c->apop_ts_len == 0) {
        return POP3_ERR_STATE; /* no greeting yet, or it offered no timestamp */
    }
    if (!pop3_apop_digest(c->apop_ts, c->apop_ts_len, pass, pl, hex)) {
        return POP3_ERR_BAD_ARG;
    }
    pop3_fmt_begin(&f, c, "APOP ");
    pop3_fmt_put(&f, user, ul);
    pop3_fmt_put(&f, " ", 1);
    pop3_fmt_put(&f, hex, sizeof hex);
    pop3_wipe(hex, sizeof hex);
    return enqueue(&f, POP3_CMD_APOP, 0);
}
#endif

/* The halves of pop3_login(), typed one at a time. */
pop3_status_t pop3_user(pop3_client_t *c, const char *user)
{
    size_t n = 0;
    pop3_status_t st = login_check(c, user, NULL, &n, NULL);
    pop3_fmt_t f;

    if (st != POP3_OK) {
        return st;
    }
    pop3_fmt_begin(&f, c, "USER ");
    pop3_fmt_put(&f, user, n);
    return enqueue(&f, POP3_CMD_USER, 0);
}

pop3_status_t pop3_pass(pop3_client_t *c, const char *pass)
{
    size_t n = 0;
    pop3_status_t st = login_check(c, pass, NULL, &n, NULL);
    const pop3_queue_entry_t *last;
    pop3_fmt_t f;

    if (st != POP3_OK) {
        return st;
    }
    /* Right behind a queued USER, or after the USER just answered +OK
     * (RFC 1939: PASS only immediately after a successful USER). */
    last = c->q_count > 0 ? pop3_q_at(c, c->q_count - 1U) : NULL;
    if (last != NULL ? last->cmd != POP3_CMD_USER : !c->user_ok) {
        return POP3_ERR_STATE;
    }
    pop3_fmt_begin(&f, c, "PASS ");
    pop3_fmt_put(&f, pass, n); /* wiped from tx_buf once sent or dropped (pop3_tx_drop) */
    return enqueue(&f, POP3_CMD_PASS, 0);
}

#if POP3_RAW_ENABLE
static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f';
}

/* Verbs whose effect the core must follow itself (session state, secrets,
 * TLS, UTF-8 mode): never sent as typed. Compared case-insensitively. */
static bool managed_verb(const char *w, size_t n)
{
    static const char verbs[] = "USERPASSAPOPAUTHSTLSQUITUTF8";
    size_t i, k;

    for (i = 0; n == 4U && i < sizeof verbs - 1U; i += 4U) {
        for (k = 0; k < 4U; k++) {
            unsigned char ch = (unsigned char)w[k];
            if (ch >= (unsigned char)'a' && ch <= (unsigned char)'z') {
                ch = (unsigned char)(ch - 0x20U); /* ASCII upper case */
            }
            if (ch != (unsigned char)verbs[i + k]) {
                break;
            }
        }
        if (k == 4U) {
            return true;
        }
    }
    return false;
}

pop3_status_t pop3_command(pop3_client_t *c, const char *line, bool multiline)
{
    size_t n = 0, i = 0, w;
    pop3_status_t st = can_queue(c);
    pop3_fmt_t f;

    if (st != POP3_OK) {
        return st;
    }
    if (!pop3_arg_valid(line, &n)) {
        return POP3_ERR_BAD_ARG;
    }
    /* The first word as a server that skips leading blanks would see it. */
    while (i < n && is_blank(line[i])) {
        i++;
    }
    for (w = i; w < n && !is_blank(line[w]); w++) {
    }
    if (w == i || managed_verb(line + i, w - i)) {
        return POP3_ERR_BAD_ARG;
    }
    pop3_fmt_begin(&f, c, "");
    pop3_fmt_put(&f, line, n);
    return enqueue(&f, POP3_CMD_RAW, multiline ? 1U : 0U); /* msg 1: a block follows +OK */
}
#endif

#if POP3_STLS_ENABLE
pop3_status_t pop3_stls(pop3_client_t *c)
{
    pop3_status_t st = can_queue(c);

    if (st != POP3_OK) {
        return st;
    }
    /* Only a plaintext session not upgraded (nor being upgraded: those
     * phases come only with a pop3_stls() there), before the login. */
    if (c->cfg.security != POP3_SEC_PLAINTEXT || c->phase == POP3_P_TRANSACTION || c->phase == POP3_P_STLS_TLS ||
        c->phase == POP3_P_RECAPA) {
        return POP3_ERR_STATE;
    }
    if (c->cfg.transport.start_tls == NULL) {
        return POP3_ERR_UNSUPPORTED; /* optional for a plaintext port (pop3_init) */
    }
    return queue_cmd(c, POP3_CMD_STLS, 0, 0, 0);
}
#endif

pop3_status_t pop3_utf8(pop3_client_t *c)
{
    pop3_status_t st = can_queue(c);

    if (st != POP3_OK) {
        return st;
    }
    if ((c->caps & POP3_CAP_UTF8) == 0) {
        return POP3_ERR_UNSUPPORTED; /* RFC 6856: only when CAPA lists it */
    }
    return queue_cmd(c, POP3_CMD_UTF8, 0, 0, 0);
}

bool pop3_utf8_on(const pop3_client_t *c)
{
    return c->utf8_on;
}

#if POP3_SASL_ENABLE
pop3_status_t pop3_auth(pop3_client_t *c, pop3_sasl_mech_t mech, const pop3_sasl_creds_t *creds)
{
    pop3_status_t st = can_queue(c);

    if (st != POP3_OK) {
        return st;
    }
    if (c->sasl.creds != NULL) {
        return POP3_ERR_QUEUE_FULL; /* one AUTH at a time: it owns the SASL state */
    }
    st = pop3_sasl_prepare(c, mech, creds);
    if (st != POP3_OK) {
        return st;
    }
    if (c->cfg.security == POP3_SEC_PLAINTEXT && !c->cfg.allow_plaintext_login) {
        POP3_LOG_ERROR(("plaintext AUTH refused (allow_plaintext_login not set)"));
        pop3_wipe(&c->sasl, sizeof c->sasl);
        return POP3_ERR_SECURITY;
    }
    pop3_q_push_bare(c, POP3_CMD_AUTH);
    pop3_pump(c);
    return POP3_OK;
}

void pop3_auth_cancel(pop3_client_t *c)
{
    if (c != NULL && c->sasl.creds != NULL) {
        c->sasl.cancel = true; /* acted on when AUTH's turn comes or at the next challenge */
    }
}

uint32_t pop3_sasl_mechs(const pop3_client_t *c)
{
    return c->sasl_offered;
}

pop3_sasl_mech_t pop3_auth_mech(const pop3_client_t *c)
{
    return (pop3_sasl_mech_t)c->sasl_used;
}
#endif

/* ---- flow control and queries ------------------------------------------------- */

void pop3_resume(pop3_client_t *c)
{
    if (c == NULL || !c->paused) {
        return;
    }
    c->paused = false;
    pop3_rearm(c);
    if (c->cfg.transport.wake != NULL) {
        c->cfg.transport.wake(c->cfg.transport.ctx);
    }
    pop3_pump(c); /* commands queued during the pause, unless input waits to be fed again */
}

bool pop3_is_paused(const pop3_client_t *c)
{
    return c->paused;
}

bool pop3_wants_write(const pop3_client_t *c)
{
    return c->want_write && c->phase != POP3_P_CLOSED;
}

void pop3_abort(pop3_client_t *c)
{
    if (c != NULL) {
        pop3_fail(c, POP3_ERR_ABORTED, true);
    }
}

pop3_state_t pop3_state(const pop3_client_t *c)
{
    return pop3_phase_state(c);
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
#if POP3_APOP_ENABLE
    return c->apop_ts_len > 0;
#else
    (void)c;
    return false;
#endif
}

bool pop3_pipelining(const pop3_client_t *c)
{
    return pop3_pipelining_on(c);
}

unsigned pop3_unanswered(const pop3_client_t *c)
{
    return c->unanswered;
}
