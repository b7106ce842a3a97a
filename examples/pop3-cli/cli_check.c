/**
 * @file cli_check.c
 * @brief pop3-cli check: the probes. Each is one short session on the POSIX
 *        port, run one after the other:
 *   1. POP3S on --port-tls: handshake (chain, version, cipher), CAPA, a timed CAPA;
 *   2. the plaintext port --port-stls: CAPA, STLS, handshake, CAPA again, a timed CAPA;
 *      with --utf8, the first of 1 and 2 whose timed CAPA came sends UTF8 if
 *      that CAPA lists it (RFC 6856: never when not advertised);
 *   3. TLS versions: one handshake per version on a port that did TLS
 *      (certificate not verified there: only the version is in question);
 *   4. USER before STLS: `USER pop3-cli-check-probe` in plaintext, then QUIT,
 *      never a PASS (the only session with allow_plaintext_login);
 *   5. with --user only: login (USER/PASS, --apop or --auth) over a TLS path
 *      that worked (verified unless --insecure), STAT, UIDL, TOP 1 0.
 * No password goes out unless --user was given, and then only in 5.
 */
#include "cli_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { K_POP3S, K_STLS, K_VERSION, K_USER, K_LOGIN };

typedef struct chk_sess {
    cli_check_t *k;
    chk_path_t *path;          /* K_POP3S, K_STLS: where results go */
    int kind;
    bool tls_up;               /* a handshake succeeded in this session */
    bool connect_done;         /* POP3_CMD_CONNECT was reported */
    bool stopping;
    bool want_abort;
    uint8_t capa_rx;           /* 1: CAPA sent, status due; 2: in its list */
    chk_capa_t *capa;          /* where the current CAPA list goes (scratch: a probe that keeps none) */
    chk_capa_t scratch;
    double t0;
    cli_tls_seen_t probe_tls;  /* K_VERSION, K_USER, K_LOGIN: not kept */
    pop3_tls_config_t tls_cfg;
    pop3_tls_t tls;
    pop3_posix_t port;
    pop3_client_t client;
    char line_buf[CLI_LINE_BUF_LEN];
    char tx_buf[CLI_TX_BUF_LEN];
} chk_sess_t;

static double chk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

const char *chk_capa_find(const chk_capa_t *c, const char *word)
{
    size_t n = strlen(word);
    const char *p = c->lines;
    while (c->known && *p != '\0') {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len >= n && strncasecmp(p, word, n) == 0 && (len == n || p[n] == ' ')) {
            return p;
        }
        p += len + (end != NULL ? 1U : 0U);
    }
    return NULL;
}

static void chk_capa_add(chk_capa_t *c, const char *line, size_t len)
{
    char buf[CLI_LINE_BUF_LEN];
    size_t n;
    if (len > 0U && line[0] == '.') { /* dot-stuffed */
        line++;
        len--;
    }
    n = pop3_sanitize(buf, sizeof buf, line, len);
    if (c->len + n + 2U > sizeof c->lines) {
        c->cut = true;
        return;
    }
    memcpy(c->lines + c->len, buf, n);
    c->len += n;
    c->lines[c->len++] = '\n';
    c->lines[c->len] = '\0';
}

/* Every CAPA of a session, the core's own included: its list, before or after TLS. */
static void chk_on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    chk_sess_t *s = ctx;
    len = cli_chomp_len(line, len);
    if (s->k->a->opt.verbose) {
        char buf[CLI_LINE_BUF_LEN];
        pop3_sanitize(buf, sizeof buf, line, len);
        fprintf(stderr, "%s %s\n", dir == POP3_TRACE_SENT ? "C:" : "S:", buf);
    }
    if (dir == POP3_TRACE_SENT) {
        if (len == 4U && strncmp(line, "CAPA", 4U) == 0) {
            s->capa = s->path == NULL ? &s->scratch
                    : (s->tls_up || s->kind == K_POP3S) ? &s->path->capa_tls : &s->path->capa_plain;
            memset(s->capa, 0, sizeof *s->capa);
            s->capa_rx = 1U;
        }
        return;
    }
    if (s->path != NULL) {
        s->path->greeted = true;
    }
    if (s->capa_rx == 1U) {
        s->capa_rx = (len >= 3U && strncmp(line, "+OK", 3U) == 0) ? 2U : 0U;
    } else if (s->capa_rx == 2U && len == 1U && line[0] == '.') {
        s->capa_rx = 0U;
        s->capa->known = true;
    } else if (s->capa_rx == 2U) {
        chk_capa_add(s->capa, line, len);
    }
}

/* cli_tls_seen_t::after: TLS is up for the CAPA that follows. */
static void chk_watch_tls(void *arg)
{
    chk_sess_t *s = arg;
    const cli_tls_seen_t *t = s->path != NULL ? &s->path->tls : &s->probe_tls;
    s->tls_up = t->done && t->status == POP3_OK;
}

static void chk_stop(chk_sess_t *s)
{
    if (s->stopping) {
        return;
    }
    s->stopping = true;
    if (pop3_state(&s->client) != POP3_STATE_CLOSED && pop3_quit(&s->client) != POP3_OK) {
        s->want_abort = true;
    }
}

static void chk_text(char *out, size_t out_len, const pop3_reply_t *r)
{
    out[0] = '\0';
    if (r != NULL && r->text != NULL && r->text_len > 0U) {
        cli_sanitize_cut(out, out_len, r->text, cli_chomp_len(r->text, r->text_len));
    }
}

static void chk_login_step(chk_sess_t *s, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    chk_login_t *L = &s->k->login;
    pop3_status_t next = POP3_OK;
    if (cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP || cmd == POP3_CMD_AUTH) {
        cli_secret_wipe(&s->k->a->sec);
        L->st = st;
        chk_text(L->text, sizeof L->text, r);
        if (st != POP3_OK) {
            chk_stop(s);
            return;
        }
        next = pop3_stat(&s->client);
    } else if (st != POP3_OK) {
        L->cmd_st = st;
        L->cmd_failed = pop3_cmd_name(cmd);
        chk_text(L->text, sizeof L->text, r);
        chk_stop(s);
        return;
    } else if (cmd == POP3_CMD_STAT) {
        L->stat_ok = true;
        L->count = r->count;
        L->octets = r->octets;
        next = pop3_uidl(&s->client, 0U);
    } else if (cmd == POP3_CMD_UIDL) {
        L->uidl_ok = true;
        if (L->count == 0U) {
            chk_stop(s);
            return;
        }
        L->top_tried = true;
        next = pop3_top(&s->client, 1U, 0U);
    } else if (cmd == POP3_CMD_TOP) {
        L->top_ok = true;
        L->top_octets = r->octets;
        chk_stop(s);
        return;
    }
    if (next != POP3_OK) {
        L->cmd_st = next;
        L->cmd_failed = "command";
        chk_stop(s);
    }
}

static void chk_start_login(chk_sess_t *s)
{
    cli_app_t *a = s->k->a;
    pop3_status_t st;
    s->k->login.tried = true;
    if (a->opt.auth) {
        st = pop3_auth(&s->client, a->opt.auth_mech, &a->creds);
    } else {
        st = a->opt.apop ? pop3_apop(&s->client, a->opt.user, a->sec.pass)
                         : pop3_login(&s->client, a->opt.user, a->sec.pass);
        cli_secret_wipe(&a->sec); /* formatted into tx_buf already */
    }
    if (st != POP3_OK) {
        s->k->login.st = st;
        chk_stop(s);
    }
}

/* --utf8, after a path's timed CAPA over TLS: true if UTF8 went out (its on_done ends the session). */
static bool chk_utf8_ask(chk_sess_t *s)
{
    cli_check_t *k = s->k;
    pop3_status_t st;
    if (!k->a->opt.utf8 || k->utf8 != CHK_UTF8_UNTRIED || !(s->tls_up || s->kind == K_POP3S)) {
        return false;
    }
    k->utf8_via = s->kind == K_POP3S ? "POP3S" : "STLS";
    if ((pop3_caps(&s->client) & POP3_CAP_UTF8) == 0U) {
        k->utf8 = CHK_UTF8_UNLISTED;
        return false;
    }
    st = pop3_utf8(&s->client);
    if (st != POP3_OK) {
        k->utf8 = CHK_UTF8_ERROR;
        snprintf(k->utf8_text, sizeof k->utf8_text, "not sent: %s", pop3_status_str(st));
        return false;
    }
    return true;
}

static void chk_on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    chk_sess_t *s = ctx;
    if (cmd == POP3_CMD_QUIT || s->stopping) {
        return;
    }
    if (cmd == POP3_CMD_CONNECT) {
        s->connect_done = true;
        if (s->path != NULL) {
            s->path->st = st;
        }
        if (s->kind == K_LOGIN && st != POP3_OK) {
            s->k->login.tried = true;
            s->k->login.st = st;
        }
        if (st != POP3_OK || s->kind == K_VERSION) {
            chk_stop(s);
        } else if (s->kind == K_USER) {
            st = pop3_user(&s->client, CHK_PROBE_USER);
            if (st != POP3_OK) {
                s->k->user_probe = 2;
                chk_stop(s);
            }
        } else if (s->kind == K_LOGIN) {
            chk_start_login(s);
        } else {
            s->t0 = chk_now_ms();
            if (pop3_capa(&s->client) != POP3_OK) {
                chk_stop(s);
            }
        }
        return;
    }
    if (s->kind == K_USER) {
        s->k->user_probe = st == POP3_OK ? 1 : st == POP3_ERR_AUTH ? 0 : 2;
        chk_text(s->k->user_text, sizeof s->k->user_text, r);
        chk_stop(s);
    } else if (s->kind == K_LOGIN) {
        chk_login_step(s, cmd, st, r);
    } else {
        if (cmd == POP3_CMD_CAPA && st == POP3_OK && s->path != NULL) {
            s->path->have_rtt = true;
            s->path->rtt_ms = chk_now_ms() - s->t0;
            if (chk_utf8_ask(s)) {
                return;
            }
        } else if (cmd == POP3_CMD_UTF8) {
            s->k->utf8 = st == POP3_OK ? CHK_UTF8_ACCEPTED : st == POP3_ERR_SERVER ? CHK_UTF8_REFUSED
                                                                                  : CHK_UTF8_ERROR;
            chk_text(s->k->utf8_text, sizeof s->k->utf8_text, r);
            if (st != POP3_OK && st != POP3_ERR_SERVER && s->k->utf8_text[0] == '\0') {
                snprintf(s->k->utf8_text, sizeof s->k->utf8_text, "%s", pop3_status_str(st));
            }
        }
        chk_stop(s);
    }
}

static pop3_cb_action_t chk_drop_body(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return POP3_CB_CONTINUE;
}

static pop3_cb_action_t chk_count_uid(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    chk_sess_t *s = ctx;
    (void)msg;
    (void)uid;
    (void)uid_len;
    s->k->login.uids++;
    return POP3_CB_CONTINUE;
}

/**
 * One session: @p sec on @p port, @p tls_seen collecting its handshake.
 * @p min_v / @p max_v: TLS versions (0: default). Returns once it ended.
 */
static void chk_session(chk_sess_t *s, int kind, pop3_security_t sec, uint32_t port,
                        cli_tls_seen_t *tls_seen, uint16_t min_v, uint16_t max_v)
{
    cli_app_t *a = s->k->a;
    pop3_config_t cfg;
    pop3_status_t st;
    bool tls = sec != POP3_SEC_PLAINTEXT;

    s->kind = kind;
    s->tls_cfg.host = a->opt.host;
    s->tls_cfg.ca_file = a->opt.cafile != NULL ? a->opt.cafile : CLI_DEFAULT_CAFILE;
    s->tls_cfg.insecure = a->opt.insecure || kind == K_VERSION;
    s->tls_cfg.min_version = min_v;
    s->tls_cfg.max_version = max_v;
    tls_seen->verbose = a->opt.verbose && kind != K_VERSION ? stderr : NULL;
    tls_seen->after = chk_watch_tls;
    tls_seen->after_arg = s;
    cli_tls_attach(&s->tls_cfg, tls_seen);
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = s->line_buf;
    cfg.line_buf_len = sizeof s->line_buf;
    cfg.tx_buf = s->tx_buf;
    cfg.tx_buf_len = sizeof s->tx_buf;
    cfg.callbacks.ctx = s;
    cfg.callbacks.on_done = chk_on_done;
    cfg.callbacks.on_body = chk_drop_body;
    cfg.callbacks.on_uidl = chk_count_uid;
    cfg.callbacks.on_trace = chk_on_trace;
    cfg.security = sec;
    cfg.allow_plaintext_login = kind == K_USER; /* USER without PASS, never a password */
    cfg.reply_timeout_ms = a->opt.timeout_ms;
    cfg.connect_timeout_ms = a->opt.timeout_ms;
    cfg.tls_timeout_ms = a->opt.timeout_ms;
    cfg.pipeline_depth = 1U;
    st = pop3_posix_init(&s->port, tls ? &s->tls_cfg : NULL, tls ? &s->tls : NULL);
    if (st == POP3_OK) {
        cfg.transport = pop3_posix_transport(&s->port);
        st = pop3_init(&s->client, &cfg);
    }
    if (st == POP3_OK) {
        st = pop3_posix_connect(&s->port, &s->client, a->opt.host, (uint16_t)port);
    }
    if (st == POP3_OK) {
        while (pop3_posix_poll(&s->port, 100) == POP3_OK) {
            if (s->want_abort) {
                s->want_abort = false;
                pop3_abort(&s->client);
            }
        }
        st = pop3_session_status(&s->client);
    }
    if (s->path != NULL) {
        if (!s->connect_done) {
            s->path->st = st; /* it never started: resolution or socket failure */
        }
        snprintf(s->path->net, sizeof s->path->net, "%s", pop3_posix_net_error(&s->port));
        snprintf(s->path->err, sizeof s->path->err, "%s", pop3_posix_tls_error(&s->port));
    }
    pop3_posix_cleanup(&s->port);
}

static chk_sess_t *chk_new(cli_check_t *k, chk_path_t *path)
{
    chk_sess_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        fprintf(stderr, CLI_NAME ": out of memory\n");
        exit(EXIT_INTERNAL);
    }
    s->k = k;
    s->path = path;
    if (path != NULL) {
        path->tried = true;
        path->st = POP3_ERR_CLOSED;
    }
    return s;
}

static void chk_free(chk_sess_t *s)
{
    cli_tls_reset(&s->probe_tls);
    free(s);
}

static void chk_path(cli_check_t *k, chk_path_t *p, int kind, pop3_security_t sec, uint32_t port)
{
    chk_sess_t *s = chk_new(k, p);
    p->tls.label = kind == K_POP3S ? "POP3S" : "STLS";
    chk_session(s, kind, sec, port, &p->tls, 0U, 0U);
    chk_free(s);
}

/* 3: a handshake per version, where TLS worked at least up to the certificate. */
static void chk_versions(cli_check_t *k)
{
    static const uint16_t v[2] = { POP3_TLS_VERSION_1_2, POP3_TLS_VERSION_1_3 };
    int *res[2] = { &k->v12, &k->v13 };
    bool use_tls = k->pop3s.tls.done;
    size_t i;
    if (!use_tls && !k->stls.tls.done) {
        return;
    }
    k->version_via = use_tls ? "POP3S" : "STLS";
    for (i = 0U; i < 2U; i++) {
        chk_sess_t *s;
        if (!pop3_tls_version_supported(v[i])) {
            *res[i] = CHK_V_NO_BUILD;
            continue;
        }
        s = chk_new(k, NULL);
        chk_session(s, K_VERSION, use_tls ? POP3_SEC_IMPLICIT_TLS : POP3_SEC_STLS,
                    use_tls ? k->port_tls : k->port_stls, &s->probe_tls, v[i], v[i]);
        if (s->probe_tls.done) {
            *res[i] = s->probe_tls.status == POP3_OK ? CHK_V_ACCEPTED : CHK_V_REFUSED;
        }
        chk_free(s);
    }
}

static bool chk_tls_good(const chk_path_t *p)
{
    return p->tried && p->st == POP3_OK && p->tls.done && p->tls.status == POP3_OK;
}

int cli_check_usage(const cli_opts_t *o)
{
    /* Options of other commands: taking them silently would suggest they did something. */
    const struct {
        bool given;
        const char *name;
        const char *owner;
    } other[] = {
        { o->maildir != NULL, "--maildir", "fetch" }, { o->keep, "--keep", "fetch" },
        { o->state_file != NULL, "--state", "fetch" }, { o->fetch_all, "--all", "fetch" },
        { o->raw, "--raw", "the shell" },
    };
    size_t i;
    for (i = 0U; i < sizeof other / sizeof other[0]; i++) {
        if (other[i].given) {
            return cli_usage_error("%s is an option of %s, not of check", other[i].name, other[i].owner);
        }
    }
    if (o->no_pipelining) {
        return cli_usage_error("check sends one command at a time anyway: drop --no-pipelining");
    }
    return EXIT_OK;
}

int cli_check_run(cli_app_t *a)
{
    cli_check_t *k = calloc(1, sizeof *k);
    chk_sess_t *s;
    int rc;
    if (k == NULL) {
        fprintf(stderr, CLI_NAME ": out of memory\n");
        return EXIT_INTERNAL;
    }
    k->a = a;
    k->port_tls = a->opt.port_tls != 0U ? a->opt.port_tls : 995U;
    k->port_stls = a->opt.port_stls != 0U ? a->opt.port_stls : 110U;
    k->user_probe = -1;
    chk_path(k, &k->pop3s, K_POP3S, POP3_SEC_IMPLICIT_TLS, k->port_tls);
    chk_path(k, &k->stls, K_STLS, POP3_SEC_STLS, k->port_stls);
    chk_versions(k);
    if (k->stls.greeted) {
        s = chk_new(k, NULL);
        chk_session(s, K_USER, POP3_SEC_PLAINTEXT, k->port_stls, &s->probe_tls, 0U, 0U);
        chk_free(s);
    }
    if (a->opt.user != NULL && (chk_tls_good(&k->pop3s) || chk_tls_good(&k->stls))) {
        bool tls = chk_tls_good(&k->pop3s);
        s = chk_new(k, NULL);
        k->login.via = tls ? "POP3S" : "STLS";
        chk_session(s, K_LOGIN, tls ? POP3_SEC_IMPLICIT_TLS : POP3_SEC_STLS,
                    tls ? k->port_tls : k->port_stls, &s->probe_tls, 0U, 0U);
        chk_free(s);
    }
    cli_secret_wipe(&a->sec);
    rc = chk_report(k);
    cli_tls_reset(&k->pop3s.tls);
    cli_tls_reset(&k->stls.tls);
    free(k);
    return rc;
}
