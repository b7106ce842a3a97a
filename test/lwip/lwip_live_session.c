/*
 * lwip_live's fixture environment (DIR/env, DIR/<file>) and one session of
 * the lwIP port against the Dovecot fixture: set-up, connect, the main loop,
 * what the callbacks record, the checks on it (lwip_live.h). The tests that
 * use it are in lwip_live.c, lwip_live_pause.c and lwip_live_sasl.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#include "lwip_live.h"
#include "pop3.h"
#include "pop3_lwip.h"
#include "slirp_netif.h"
#include "test_check.h"

#include <mbedtls/version.h>

/* ---- fixture environment ------------------------------------------------------ */

char fix_dir[512];
unsigned pop3_port, pop3s_port;
unsigned msg_big;
unsigned msg_small, msg_dots, msg_mid;
char alice_pw[64];
char bob_pw[64];

void load_env(const char *dir)
{
    char path[600], line[600];
    FILE *f;

    snprintf(fix_dir, sizeof fix_dir, "%s", dir);
    snprintf(path, sizeof path, "%s/env", dir);
    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "no %s: Dovecot fixture not started\n", path);
        exit(77);
    }
    while (fgets(line, sizeof line, f) != NULL) {
        char *eq = strchr(line, '=');
        char *v;

        if (eq == NULL) {
            continue;
        }
        *eq = '\0';
        v = eq + 1;
        v[strcspn(v, "\r\n")] = '\0';
        if (!strcmp(line, "POP3_PORT")) pop3_port = (unsigned)atoi(v);
        else if (!strcmp(line, "POP3S_PORT")) pop3s_port = (unsigned)atoi(v);
        else if (!strcmp(line, "POP3_TEST_PASSWORD")) snprintf(alice_pw, sizeof alice_pw, "%s", v);
        else if (!strcmp(line, "POP3_BOB_PASSWORD")) snprintf(bob_pw, sizeof bob_pw, "%s", v);
        else if (!strcmp(line, "MSG_SMALL")) msg_small = (unsigned)atoi(v);
        else if (!strcmp(line, "MSG_DOTS")) msg_dots = (unsigned)atoi(v);
        else if (!strcmp(line, "MSG_MID")) msg_mid = (unsigned)atoi(v);
        else if (!strcmp(line, "MSG_BIG")) msg_big = (unsigned)atoi(v);
    }
    fclose(f);
    if (pop3_port == 0 || pop3s_port == 0 || msg_big == 0 || alice_pw[0] == '\0') {
        fprintf(stderr, "incomplete %s\n", path);
        exit(1);
    }
}

char *read_file(const char *name, size_t *len)
{
    char path[700];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof path, "%s/%s", fix_dir, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1U);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- growable byte buffer (test code) ----------------------------------------- */

static void buf_add(buf_t *b, const void *d, size_t n)
{
    if (b->len + n + 1U > b->cap) {
        size_t cap = b->cap ? b->cap : 4096U;
        while (cap < b->len + n + 1U) {
            cap *= 2U;
        }
        b->data = realloc(b->data, cap);
        if (b->data == NULL) {
            abort();
        }
        b->cap = cap;
    }
    memcpy(b->data + b->len, d, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_free(buf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* ---- one session ------------------------------------------------------------------ */

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    session_t *s = ctx;

    if (cmd == POP3_CMD_CONNECT) {
        s->connect_done = true;
        s->connect_st = st;
        return;
    }
    if (s->n_res < MAX_RESULTS) {
        result_t *x = &s->res[s->n_res++];
        x->cmd = cmd;
        x->st = st;
        x->count = r->count;
        x->octets = r->octets;
        x->data = s->cur;
        memset(&s->cur, 0, sizeof s->cur);
        if (r->oauth_status != NULL) {
            snprintf(x->oauth_status, sizeof x->oauth_status, "%.*s", (int)r->oauth_status_len, r->oauth_status);
        }
        if (r->oauth_scope != NULL) {
            snprintf(x->oauth_scope, sizeof x->oauth_scope, "%.*s", (int)r->oauth_scope_len, r->oauth_scope);
        }
    }
}

static pop3_cb_action_t on_body(void *ctx, const char *d, size_t n)
{
    session_t *s = ctx;

    buf_add(&s->cur, d, n);
    s->body_total += n;
    if (s->next_pause < s->n_pause && s->body_total >= s->pause_at[s->next_pause]) {
        s->next_pause++;
        s->want_pause_now = true;
        return POP3_CB_PAUSE;
    }
    return POP3_CB_CONTINUE;
}

static pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t len)
{
    session_t *s = ctx;
    char line[100];
    int n = snprintf(line, sizeof line, "%u %.*s\n", (unsigned)msg, (int)len, uid);

    buf_add(&s->cur, line, (size_t)n);
    return POP3_CB_CONTINUE;
}

uint32_t next_connect_timeout_ms;

void session_setup(session_t *s, mode_t_ mode, const char *tls_host, const char *ca)
{
    pop3_config_t cfg;
    char ca_path[700];
    static char ca_store[700];

    memset(s, 0, sizeof *s);
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = s->line_buf;
    cfg.line_buf_len = sizeof s->line_buf;
    cfg.tx_buf = s->tx_buf;
    cfg.tx_buf_len = sizeof s->tx_buf;
    cfg.security = mode == M_PLAIN ? POP3_SEC_PLAINTEXT : mode == M_STLS ? POP3_SEC_STLS : POP3_SEC_IMPLICIT_TLS;
    cfg.allow_plaintext_login = mode == M_PLAIN;
    cfg.callbacks.ctx = s;
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_body = on_body;
    cfg.callbacks.on_uidl = on_uidl;
    cfg.reply_timeout_ms = 20000;
    cfg.connect_timeout_ms = next_connect_timeout_ms;
    if (mode == M_PLAIN) {
        CHECK(pop3_lwip_init(&s->port, NULL, NULL) == POP3_OK, "pop3_lwip_init");
    } else {
        snprintf(ca_path, sizeof ca_path, "%s/%s", fix_dir, ca ? ca : "ca.pem");
        memcpy(ca_store, ca_path, sizeof ca_store);
        s->tc.host = tls_host ? tls_host : "localhost";
        s->tc.ca_file = ca_store;
        CHECK(pop3_lwip_init(&s->port, &s->tc, &s->tls) == POP3_OK, "pop3_lwip_init");
    }
    cfg.transport = pop3_lwip_transport(&s->port);
    CHECK(pop3_init(&s->client, &cfg) == POP3_OK, "pop3_init");
}

void session_connect(session_t *s, mode_t_ mode)
{
    ip_addr_t gw;

    IP_ADDR4(&gw, 10, 0, 2, 2);
    CHECK(pop3_lwip_connect_ip(&s->port, &s->client, &gw,
                               (u16_t)(mode == M_TLS ? pop3s_port : pop3_port)) == POP3_OK,
          "connect");
}

void session_run(session_t *s, double limit_s, pause_fn on_paused)
{
    double end = now_s() + limit_s;

    while (now_s() < end) {
        harness_poll(pop3_lwip_needs_service(&s->port) ? 0 : 5);
        if (pop3_is_paused(&s->client) && on_paused != NULL && on_paused(s)) {
            pop3_resume(&s->client); /* from the main loop, outside any callback */
        }
        pop3_lwip_service(&s->port);
        if (pop3_state(&s->client) == POP3_STATE_CLOSED && pop3_lwip_is_idle(&s->port)) {
            break;
        }
    }
    CHECK(pop3_state(&s->client) == POP3_STATE_CLOSED, "session did not end within %.0f s (state %d)",
          limit_s, (int)pop3_state(&s->client));
    pop3_lwip_cleanup(&s->port);
    CHECK(pop3_lwip_is_idle(&s->port), "port not idle after cleanup");
    CHECK(pop3_lwip_held(&s->port) == 0U, "pbufs still held after cleanup");
    /* Let lwIP finish the close handshake; then no pbuf may be left anywhere. */
    for (int i = 0; i < 20; i++) {
        harness_poll(2);
    }
}

void session_free(session_t *s)
{
    for (int i = 0; i < s->n_res; i++) {
        buf_free(&s->res[i].data);
    }
    buf_free(&s->cur);
}

const result_t *result(const session_t *s, int i, pop3_cmd_t cmd)
{
    if (i >= s->n_res) {
        tc_fail_at(__LINE__, "result %d (%s) missing: only %d results", i, pop3_cmd_name(cmd), s->n_res);
        return NULL;
    }
    if (s->res[i].cmd != cmd) {
        tc_fail_at(__LINE__, "result %d is %s, expected %s", i, pop3_cmd_name(s->res[i].cmd), pop3_cmd_name(cmd));
        return NULL;
    }
    return &s->res[i];
}

void expect_ok(const session_t *s, int i, pop3_cmd_t cmd)
{
    const result_t *r = result(s, i, cmd);

    if (r != NULL) {
        CHECK(r->st == POP3_OK, "%s: %s", pop3_cmd_name(cmd), pop3_status_str(r->st));
    }
}

void expect_bytes(const char *what, const buf_t *got, const char *file)
{
    size_t len;
    char *want = read_file(file, &len);

    if (got->len != len || (len > 0 && memcmp(got->data, want, len) != 0)) {
        size_t i = 0;
        while (i < len && i < got->len && got->data[i] == want[i]) {
            i++;
        }
        tc_fail_at(__LINE__, "%s: %zu octets, expected %zu (%s); first difference at %zu", what,
                got->len, len, file, i);
    }
    free(want);
}

void expect_connect(const session_t *s, pop3_status_t want)
{
    CHECK(s->connect_done, "CONNECT never completed");
    CHECK(s->connect_st == want, "CONNECT: %s, expected %s (tls: %s; net: %s)",
          pop3_status_str(s->connect_st), pop3_status_str(want), pop3_lwip_tls_error(&s->port),
          pop3_lwip_net_error(&s->port));
}

size_t pool_used(void)
{
    return (size_t)lwip_stats.memp[MEMP_PBUF_POOL]->used + (size_t)lwip_stats.memp[MEMP_PBUF]->used;
}


void login_alice(session_t *s)
{
    CHECK(pop3_login(&s->client, "alice", alice_pw) == POP3_OK, "queue login");
}
