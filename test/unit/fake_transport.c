/* Scripted fake transport and session harness (see fake_transport.h). */
#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>

char ft_ctx[512] = "";

static harness_t *g_slots[FT_SLOTS];

void ft_setctx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ft_ctx, sizeof ft_ctx, fmt, ap);
    va_end(ap);
}

void ft_fail_at(const char *file, int line, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("[case: %s] %s\n", ft_ctx, msg);
    _fail(file, line);
}

const char *ft_status_name(pop3_status_t s)
{
    static const char *const names[] = {
        "POP3_OK", "POP3_ERR_SERVER", "POP3_ERR_AUTH", "POP3_ERR_AUTH_TOKEN", "POP3_ERR_PROTOCOL",
        "POP3_ERR_TRANSPORT", "POP3_ERR_TLS", "POP3_ERR_CERT", "POP3_ERR_TIMEOUT",
        "POP3_ERR_ABORTED", "POP3_ERR_BAD_ARG", "POP3_ERR_STATE", "POP3_ERR_SECURITY",
        "POP3_ERR_QUEUE_FULL", "POP3_ERR_CLOSED", "POP3_ERR_UNSUPPORTED"};
    if ((unsigned)s < sizeof names / sizeof names[0]) return names[s];
    return "<invalid status>";
}

const char *ft_cmd_name(pop3_cmd_t c)
{
    static const char *const names[] = {"CONNECT", "CAPA", "LOGIN", "APOP", "AUTH", "STAT",
                                        "LIST",    "UIDL", "RETR",  "TOP",  "DELE",
                                        "RSET",    "NOOP", "QUIT", "RAW",  "USER",
                                        "PASS",    "STLS", "UTF8"};
    if ((unsigned)c < sizeof names / sizeof names[0]) return names[c];
    return "<invalid cmd>";
}

void ft_escape(char *out, size_t out_len, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t o = 0;
    if (out_len == 0) return;
    for (size_t i = 0; i < len && o + 8 < out_len; i++) {
        unsigned char ch = p[i];
        if (ch == '\r') { out[o++] = '\\'; out[o++] = 'r'; }
        else if (ch == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
        else if (ch == '\\') { out[o++] = '\\'; out[o++] = '\\'; }
        else if (ch < 0x20 || ch >= 0x7F) o += (size_t)snprintf(out + o, out_len - o, "\\x%02X", ch);
        else out[o++] = (char)ch;
    }
    if (o + 8 >= out_len && len > 0) { out[o++] = '.'; out[o++] = '.'; out[o++] = '.'; }
    out[o] = '\0';
}

bool ft_contains(const void *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle);
    const char *h = hay;
    if (n == 0) return true;
    for (size_t i = 0; i + n <= hay_len; i++)
        if (memcmp(h + i, needle, n) == 0) return true;
    return false;
}

void ft_eq_mem(const char *file, int line, const char *what, const void *got, size_t got_len,
               const void *exp, size_t exp_len)
{
    if (got_len == exp_len && (exp_len == 0 || memcmp(got, exp, exp_len) == 0)) return;
    static char g[2048], e[2048];
    size_t first = 0;
    const unsigned char *a = got, *b = exp;
    while (first < got_len && first < exp_len && a[first] == b[first]) first++;
    size_t from = first > 40 ? first - 40 : 0;
    ft_escape(g, sizeof g, a + from, got_len - from > 300 ? 300 : got_len - from);
    ft_escape(e, sizeof e, b + from, exp_len - from > 300 ? 300 : exp_len - from);
    print_error("[case: %s] %s mismatch: got %zu octets, expected %zu; first difference at "
                "offset %zu\n  got      [from %zu]: \"%s\"\n  expected [from %zu]: \"%s\"\n",
                ft_ctx, what, got_len, exp_len, first, from, g, from, e);
    _fail(file, line);
}

/* ------------------------------------------------------------------------ */
/* fake port                                                                  */

static long fake_send(void *ctx, const uint8_t *data, size_t len)
{
    harness_t *h = ctx;
    h->send_calls++;
    if (h->close_calls > 0) h->send_after_close = true;
    if (len == 0) { h->send_zero_len_calls++; return 0; }
    if (h->send_fail) return -1;
    size_t lim = h->budget_mode ? h->budget : h->accept_max;
    size_t n = len < lim ? len : lim;
    if (h->budget_mode) h->budget -= n;
    if (h->sent_len + n > FT_SENT_CAP) FT_FAIL("fake transport: sent buffer full");
    memcpy(h->sent + h->sent_len, data, n);
    h->sent_len += n;
    return (long)n;
}

static int fake_start_tls(void *ctx)
{
    harness_t *h = ctx;
    h->start_tls_calls++;
    h->sent_at_start_tls = h->sent_len;
    return h->start_tls_ret;
}

static void fake_close(void *ctx)
{
    harness_t *h = ctx;
    h->close_calls++;
}

static void fake_wake(void *ctx)
{
    harness_t *h = ctx;
    h->wake_calls++;
    h->wake_pending = true;
}

/* ------------------------------------------------------------------------ */
/* recording callbacks                                                        */

static void cb_done(void *ctx, pop3_cmd_t cmd, pop3_status_t status, const pop3_reply_t *reply)
{
    harness_t *h = ctx;
    if (h->ndone >= FT_MAX_DONE) FT_FAIL("too many on_done calls");
    if (reply == NULL) FT_FAIL("on_done(%s, %s) got reply == NULL", ft_cmd_name(cmd), ft_status_name(status));
    ft_done_t *d = &h->done[h->ndone++];
    memset(d, 0, sizeof *d);
    d->cmd = cmd;
    d->status = status;
    d->text_len = reply->text_len;
    if (reply->text_len > 0) {
        if (reply->text == NULL) FT_FAIL("on_done(%s): text NULL with text_len %zu", ft_cmd_name(cmd), reply->text_len);
        memcpy(d->text, reply->text, reply->text_len < FT_TEXT_CAP ? reply->text_len : FT_TEXT_CAP);
    }
    d->code = reply->code;
    if (reply->oauth_status != NULL)
        memcpy(d->oauth_status, reply->oauth_status,
               reply->oauth_status_len < sizeof d->oauth_status - 1 ? reply->oauth_status_len : sizeof d->oauth_status - 1);
    if (reply->oauth_scope != NULL)
        memcpy(d->oauth_scope, reply->oauth_scope,
               reply->oauth_scope_len < sizeof d->oauth_scope - 1 ? reply->oauth_scope_len : sizeof d->oauth_scope - 1);
    d->msg = reply->msg;
    d->count = reply->count;
    d->octets = reply->octets;
    d->uid_null = reply->uid == NULL;
    d->uid_len = reply->uid_len;
    if (reply->uid != NULL && reply->uid_len > 0)
        memcpy(d->uid, reply->uid, reply->uid_len < sizeof d->uid ? reply->uid_len : sizeof d->uid);
    d->state_at = pop3_state(h->c);
    d->close_calls_at = h->close_calls;
    d->body_len_at = h->body_len;
    if (h->done_hook) h->done_hook(h, d);
}

static pop3_cb_action_t cb_body(void *ctx, const char *data, size_t len)
{
    harness_t *h = ctx;
    h->body_calls++;
    if (h->body_core_abort_at && h->body_calls == h->body_core_abort_at) pop3_abort(h->c);
    if (len == 0) { h->body_zero_calls++; return POP3_CB_CONTINUE; }
    if (data == NULL) FT_FAIL("on_body data NULL");
    if (h->body_len + len > FT_BODY_CAP) FT_FAIL("on_body: more than %u octets delivered", FT_BODY_CAP);
    memcpy(h->body + h->body_len, data, len);
    h->body_len += len;
    if (h->body_abort_at && h->body_calls == h->body_abort_at) return POP3_CB_ABORT;
    if (h->body_pause_always) return POP3_CB_PAUSE;
    if (h->body_pause_at && h->body_calls == h->body_pause_at) return POP3_CB_PAUSE;
    return POP3_CB_CONTINUE;
}

static void entry_abort(harness_t *h)
{
    if (h->entry_core_abort_at && ++h->entry_calls == h->entry_core_abort_at) pop3_abort(h->c);
}

static pop3_cb_action_t cb_list(void *ctx, uint32_t msg, uint64_t octets)
{
    harness_t *h = ctx;
    entry_abort(h);
    if (h->nlist >= FT_MAX_ENTRIES) FT_FAIL("too many on_list calls");
    h->list[h->nlist].msg = msg;
    h->list[h->nlist].octets = octets;
    h->nlist++;
    if (h->list_pause_at && h->nlist == h->list_pause_at) return POP3_CB_PAUSE;
    return POP3_CB_CONTINUE;
}

static pop3_cb_action_t cb_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    harness_t *h = ctx;
    entry_abort(h);
    if (h->nuidl >= FT_MAX_ENTRIES) FT_FAIL("too many on_uidl calls");
    ft_uidl_t *u = &h->uidl[h->nuidl++];
    u->msg = msg;
    u->len = uid_len;
    if (uid_len > 0) {
        if (uid == NULL) FT_FAIL("on_uidl uid NULL");
        memcpy(u->uid, uid, uid_len < sizeof u->uid ? uid_len : sizeof u->uid);
    }
    return POP3_CB_CONTINUE;
}

static pop3_cb_action_t cb_capa(void *ctx, const char *line, size_t len)
{
    harness_t *h = ctx;
    entry_abort(h);
    if (h->ncapa >= FT_MAX_ENTRIES) FT_FAIL("too many on_capa calls");
    ft_capa_t *k = &h->capa[h->ncapa++];
    k->len = len;
    if (len > 0) memcpy(k->line, line, len < FT_TEXT_CAP ? len : FT_TEXT_CAP);
    return POP3_CB_CONTINUE;
}

static void cb_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    harness_t *h = ctx;
    h->trace_calls++;
    if (h->trace_len + len + 4 < FT_TRACE_CAP) {
        h->trace[h->trace_len++] = dir == POP3_TRACE_SENT ? 'S' : 'R';
        h->trace[h->trace_len++] = ':';
        if (len) memcpy(h->trace + h->trace_len, line, len);
        h->trace_len += len;
        h->trace[h->trace_len++] = '\n';
    }
    if (h->trace_core_abort_at && h->trace_calls == h->trace_core_abort_at) pop3_abort(h->c);
}

/* ------------------------------------------------------------------------ */
/* life cycle                                                                 */

static void slot_free(int slot)
{
    harness_t *h = g_slots[slot];
    if (!h) return;
    free(h->c);
    free(h->line_buf);
    free(h->tx_buf);
    free(h->sent);
    free(h->body);
    free(h);
    g_slots[slot] = NULL;
}

void h_free_all(void)
{
    for (int i = 0; i < FT_SLOTS; i++) slot_free(i);
}

int ft_teardown(void **state)
{
    (void)state;
    h_free_all();
    ft_ctx[0] = '\0';
    return 0;
}

ft_opts_t h_plain_opts(void)
{
    ft_opts_t o;
    memset(&o, 0, sizeof o);
    o.security = POP3_SEC_PLAINTEXT;
    o.allow_plaintext_login = true;
    return o;
}

harness_t *h_new(int slot, const ft_opts_t *opts)
{
    ft_opts_t o = opts ? *opts : h_plain_opts();
    if (slot < 0 || slot >= FT_SLOTS) FT_FAIL("bad slot");
    slot_free(slot);
    harness_t *h = calloc(1, sizeof *h);
    if (!h) FT_FAIL("oom");
    g_slots[slot] = h;
    h->slot = slot;
    h->line_buf_len = o.line_buf_len ? o.line_buf_len : 512;
    h->tx_buf_len = o.tx_buf_len ? o.tx_buf_len : POP3_MIN_TX_BUF_LEN;
    h->c = malloc(sizeof *h->c);
    h->line_buf = malloc(h->line_buf_len);
    h->tx_buf = malloc(h->tx_buf_len);
    h->sent = malloc(FT_SENT_CAP);
    h->body = malloc(FT_BODY_CAP);
    if (!h->c || !h->line_buf || !h->tx_buf || !h->sent || !h->body) FT_FAIL("oom");
    memset(h->c, 0xA5, sizeof *h->c); /* pop3_init must not rely on zeroed memory */
    memset(h->line_buf, 0xA5, h->line_buf_len);
    memset(h->tx_buf, 0xA5, h->tx_buf_len);
    h->accept_max = SIZE_MAX;
    h->auto_pump = true;
    h->now = 1000;

    pop3_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = h->line_buf;
    cfg.line_buf_len = h->line_buf_len;
    cfg.tx_buf = h->tx_buf;
    cfg.tx_buf_len = h->tx_buf_len;
    cfg.transport.ctx = h;
    cfg.transport.send = fake_send;
    cfg.transport.start_tls = fake_start_tls;
    cfg.transport.close = fake_close;
    cfg.transport.wake = fake_wake;
    cfg.callbacks.ctx = h;
    cfg.callbacks.on_done = cb_done;
    cfg.callbacks.on_body = cb_body;
    cfg.callbacks.on_list = cb_list;
    cfg.callbacks.on_uidl = cb_uidl;
    cfg.callbacks.on_capa = cb_capa;
    cfg.callbacks.on_trace = cb_trace;
    cfg.security = o.security;
    cfg.allow_plaintext_login = o.allow_plaintext_login;
    cfg.connect_timeout_ms = o.connect_timeout_ms;
    cfg.reply_timeout_ms = o.reply_timeout_ms;
    cfg.tls_timeout_ms = o.tls_timeout_ms;
    pop3_status_t st = pop3_init(h->c, &cfg);
    if (st != POP3_OK) FT_FAIL("pop3_init returned %s", ft_status_name(st));
    return h;
}

void h_reset_records(harness_t *h)
{
    h->ndone = 0;
    h->body_len = 0;
    h->body_calls = 0;
    h->body_zero_calls = 0;
    h->nlist = 0;
    h->nuidl = 0;
    h->ncapa = 0;
    h->trace_len = 0;
    h->trace_calls = 0;
}

/* ------------------------------------------------------------------------ */
/* port side                                                                  */

void h_pump(harness_t *h)
{
    for (int iter = 0; iter < 200000; iter++) {
        if (h->close_calls > 0 || h->port_closed) return;
        bool ww = pop3_wants_write(h->c);
        bool can = (h->budget_mode ? h->budget_per_writable > 0 : h->accept_max > 0) && !h->send_fail;
        if (!(h->wake_pending || (ww && can))) return;
        h->wake_pending = false;
        size_t before = h->sent_len;
        if (h->budget_mode) h->budget = h->budget_per_writable;
        pop3_on_writable(h->c);
        if (!h->wake_pending && h->sent_len == before) return; /* no progress */
    }
    FT_FAIL("h_pump: core keeps asking to write without progress");
}

void h_writable(harness_t *h)
{
    h->budget = h->budget_per_writable;
    h->wake_pending = false;
    pop3_on_writable(h->c);
}

size_t h_feed(harness_t *h, const void *data, size_t len)
{
    if (h->close_calls > 0 || h->port_closed) return 0; /* port contract: nothing after close */
    if (len == 0) return 0;
    size_t n = pop3_on_input(h->c, data, len);
    if (n > len) FT_FAIL("pop3_on_input returned %zu > len %zu", n, len);
    if (n < len && !pop3_is_paused(h->c) && h->close_calls == 0 &&
        pop3_state(h->c) != POP3_STATE_CLOSED)
        FT_FAIL("pop3_on_input consumed %zu of %zu but is neither paused nor closed", n, len);
    if (h->auto_pump) h_pump(h);
    return n;
}

size_t h_feed_str(harness_t *h, const char *s) { return h_feed(h, s, strlen(s)); }

size_t h_feed_split(harness_t *h, const void *data, size_t len, ft_split_mode_t mode, size_t at)
{
    const uint8_t *p = data;
    size_t done = 0;
    if (mode == FT_WHOLE) return h_feed(h, p, len);
    if (mode == FT_AT) {
        if (at > len) at = len;
        if (at > 0) {
            done = h_feed(h, p, at);
            if (done < at) return done;
        }
        if (len > at) done += h_feed(h, p + at, len - at);
        return done;
    }
    for (size_t i = 0; i < len; i++) {
        size_t n = h_feed(h, p + i, 1);
        done += n;
        if (n == 0) break;
    }
    return done;
}

void h_tick(harness_t *h, uint32_t now)
{
    h->now = now;
    pop3_tick(h->c, now);
    if (h->auto_pump) h_pump(h);
}

void h_closed(harness_t *h, pop3_status_t st)
{
    h->port_closed = true;
    pop3_on_closed(h->c, st);
}

size_t h_unchecked(const harness_t *h) { return h->sent_len - h->sent_mark; }

void h_expect_sent_at(const char *file, int line, harness_t *h, const char *exp)
{
    if (h->auto_pump) h_pump(h);
    ft_eq_mem(file, line, "bytes sent by the core", h->sent + h->sent_mark, h->sent_len - h->sent_mark,
              exp, strlen(exp));
    h->sent_mark = h->sent_len;
}

void h_expect_sent(harness_t *h, const char *exp) { h_expect_sent_at(__FILE__, __LINE__, h, exp); }

const ft_done_t *h_done(harness_t *h, int idx)
{
    if (idx < 0 || idx >= h->ndone) FT_FAIL("on_done #%d not fired (only %d on_done calls)", idx, h->ndone);
    return &h->done[idx];
}

void h_expect_done_at(const char *file, int line, harness_t *h, int idx, pop3_cmd_t cmd,
                      pop3_status_t st)
{
    if (idx >= h->ndone) {
        print_error("[case: %s] expected on_done #%d (%s, %s) but only %d on_done calls\n", ft_ctx,
                    idx, ft_cmd_name(cmd), ft_status_name(st), h->ndone);
        for (int i = 0; i < h->ndone; i++)
            print_error("    on_done #%d: %s %s\n", i, ft_cmd_name(h->done[i].cmd),
                        ft_status_name(h->done[i].status));
        _fail(file, line);
    }
    const ft_done_t *d = &h->done[idx];
    if (d->cmd != cmd || d->status != st) {
        char t[256];
        ft_escape(t, sizeof t, d->text, d->text_len < FT_TEXT_CAP ? d->text_len : FT_TEXT_CAP);
        print_error("[case: %s] on_done #%d is (%s, %s, text \"%s\"), expected (%s, %s)\n", ft_ctx, idx,
                    ft_cmd_name(d->cmd), ft_status_name(d->status), t, ft_cmd_name(cmd),
                    ft_status_name(st));
        _fail(file, line);
    }
}

void h_connect(harness_t *h, const char *greeting, const char *capa_reply)
{
    int before = h->ndone;
    FT_EQ_ST(pop3_start(h->c, h->now), POP3_OK);
    pop3_on_connected(h->c);
    h_pump(h);
    H_EXPECT_SENT(h, "");
    h_feed_str(h, greeting);
    H_EXPECT_SENT(h, "CAPA\r\n");
    h_feed_str(h, capa_reply);
    H_EXPECT_DONE(h, before, POP3_CMD_CONNECT, POP3_OK);
}

void h_ready(harness_t *h)
{
    h_connect(h, "+OK POP3 ready\r\n", "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n");
    FT_EQ_ST(pop3_login(h->c, "u", "p"), POP3_OK);
    H_EXPECT_SENT(h, "USER u\r\n");
    h_feed_str(h, "+OK\r\n");
    H_EXPECT_SENT(h, "PASS p\r\n");
    h_feed_str(h, "+OK logged in\r\n");
    H_EXPECT_DONE(h, h->ndone - 1, POP3_CMD_LOGIN, POP3_OK);
    FT_EQ(pop3_state(h->c), POP3_STATE_TRANSACTION);
    h_reset_records(h);
}

void h_serve(harness_t *h, const ft_script_t *script, size_t n, ft_split_mode_t mode)
{
    static char replies[FT_SENT_CAP];
    size_t idx = 0;
    for (int rounds = 0; rounds < 1000; rounds++) {
        size_t rl = 0;
        if (h->auto_pump) h_pump(h);
        while (idx < n && script[idx].cmd == NULL) {
            size_t l = strlen(script[idx].reply);
            memcpy(replies + rl, script[idx].reply, l);
            rl += l;
            idx++;
        }
        for (;;) {
            const uint8_t *p = h->sent + h->sent_mark;
            size_t avail = h->sent_len - h->sent_mark, eol = 0;
            while (eol + 1 < avail && !(p[eol] == '\r' && p[eol + 1] == '\n')) eol++;
            if (eol + 1 >= avail) break;
            size_t ll = eol + 2;
            char got[600];
            ft_escape(got, sizeof got, p, ll);
            if (idx >= n) FT_FAIL("server script: unexpected command \"%s\" after the script ended", got);
            if (script[idx].cmd == NULL || strlen(script[idx].cmd) != ll || memcmp(script[idx].cmd, p, ll) != 0) {
                char e[600];
                ft_escape(e, sizeof e, script[idx].cmd ? script[idx].cmd : "(unprompted)",
                          script[idx].cmd ? strlen(script[idx].cmd) : 12);
                FT_FAIL("server script step %zu: core sent \"%s\", expected \"%s\"", idx, got, e);
            }
            h->sent_mark += ll;
            size_t l = strlen(script[idx].reply);
            memcpy(replies + rl, script[idx].reply, l);
            rl += l;
            idx++;
            while (idx < n && script[idx].cmd == NULL) {
                l = strlen(script[idx].reply);
                memcpy(replies + rl, script[idx].reply, l);
                rl += l;
                idx++;
            }
        }
        if (rl == 0) break;
        h_feed_split(h, replies, rl, mode, rl / 2);
    }
    if (idx != n) {
        char e[600];
        ft_escape(e, sizeof e, script[idx].cmd ? script[idx].cmd : "-", script[idx].cmd ? strlen(script[idx].cmd) : 1);
        FT_FAIL("server script stopped at step %zu of %zu: core never sent \"%s\"", idx, n, e);
    }
    if (h_unchecked(h) != 0) {
        char g[600];
        ft_escape(g, sizeof g, h->sent + h->sent_mark, h_unchecked(h));
        FT_FAIL("server script: core sent extra bytes \"%s\"", g);
    }
}
