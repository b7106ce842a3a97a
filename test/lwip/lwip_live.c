/*
 * lwIP port against the real Dovecot fixture: lwIP (NO_SYS=1) runs in this
 * process and reaches the host's 127.0.0.1 through libslirp (10.0.2.2).
 *
 *   lwip_live FIXTURE_DIR TEST
 *
 * TEST: session-plain session-stls session-tls big-plain big-stls big-tls
 *       dele cert-wrong-ca cert-wrong-name cert-ip name;
 *       pause-plain pause-tls (lwip_live_pause.c);
 *       sasl-stls sasl-tls sasl-oauthbearer (lwip_live_sasl.c)
 * Exit 0 pass, 1 fail, 77 skip. Every comparison is exact, byte for byte.
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
static unsigned msg_small, msg_dots, msg_mid;
char alice_pw[64];
static char bob_pw[64];

static void load_env(const char *dir)
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


static uint32_t next_connect_timeout_ms; /* 0: default */

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

/* ---- tests -------------------------------------------------------------------------- */

static mode_t_ mode_of(const char *name)
{
    if (strstr(name, "plain")) return M_PLAIN;
    if (strstr(name, "stls")) return M_STLS;
    return M_TLS;
}

void login_alice(session_t *s)
{
    CHECK(pop3_login(&s->client, "alice", alice_pw) == POP3_OK, "queue login");
}

static void test_session(mode_t_ mode)
{
    session_t *s = calloc(1, sizeof *s);
    char f_uidl[] = "expected/uidl";
    char f_top[64], f_dots[64], f_small[64];
    size_t pool_before = pool_used();

    session_setup(s, mode, NULL, NULL);
    session_connect(s, mode);
    login_alice(s);
    CHECK(pop3_uidl(&s->client, 0) == POP3_OK, "queue uidl");
    CHECK(pop3_top(&s->client, msg_mid, 0) == POP3_OK, "queue top");
    CHECK(pop3_retr(&s->client, msg_dots) == POP3_OK, "queue retr");
    CHECK(pop3_retr(&s->client, msg_small) == POP3_OK, "queue retr");
    CHECK(pop3_quit(&s->client) == POP3_OK, "queue quit");
    session_run(s, 60, NULL);
    expect_connect(s, POP3_OK);
    CHECK(s->n_res == 6, "%d results, expected 6", s->n_res);
    for (int i = 0; i < s->n_res; i++) {
        CHECK(s->res[i].st == POP3_OK, "%s: %s (net: %s)", pop3_cmd_name(s->res[i].cmd),
              pop3_status_str(s->res[i].st), pop3_lwip_net_error(&s->port));
    }
    if (s->n_res == 6) {
        expect_ok(s, 0, POP3_CMD_LOGIN);
        expect_ok(s, 1, POP3_CMD_UIDL);
        expect_bytes("UIDL", &s->res[1].data, f_uidl);
        expect_ok(s, 2, POP3_CMD_TOP);
        snprintf(f_top, sizeof f_top, "expected/%u.top0", msg_mid);
        expect_bytes("TOP n 0", &s->res[2].data, f_top);
        expect_ok(s, 3, POP3_CMD_RETR);
        snprintf(f_dots, sizeof f_dots, "expected/%u.eml", msg_dots);
        expect_bytes("RETR (dots)", &s->res[3].data, f_dots);
        expect_ok(s, 4, POP3_CMD_RETR);
        snprintf(f_small, sizeof f_small, "expected/%u.eml", msg_small);
        expect_bytes("RETR (small)", &s->res[4].data, f_small);
        expect_ok(s, 5, POP3_CMD_QUIT);
    }
    CHECK(pop3_session_status(&s->client) == POP3_OK, "session status %s",
          pop3_status_str(pop3_session_status(&s->client)));
    CHECK(pool_used() == pool_before, "pbufs leaked: %zu in use, %zu before", pool_used(), pool_before);
    session_free(s);
    free(s);
}

static void test_big(mode_t_ mode)
{
    session_t *s = calloc(1, sizeof *s);
    char f_big[64];
    double t0, dt;

    session_setup(s, mode, NULL, NULL);
    session_connect(s, mode);
    login_alice(s);
    CHECK(pop3_retr(&s->client, msg_big) == POP3_OK, "queue retr");
    CHECK(pop3_quit(&s->client) == POP3_OK, "queue quit");
    t0 = now_s();
    session_run(s, 300, NULL);
    dt = now_s() - t0;
    expect_connect(s, POP3_OK);
    if (s->n_res == 3) {
        expect_ok(s, 1, POP3_CMD_RETR);
        snprintf(f_big, sizeof f_big, "expected/%u.eml", msg_big);
        expect_bytes("RETR (big)", &s->res[1].data, f_big);
        printf("lwip+slirp %s: %zu octets in %.2f s (%.1f MB/s), TCP_WND %u, TCP_MSS %u\n",
               mode == M_PLAIN ? "plain" : mode == M_STLS ? "stls" : "tls", s->res[1].data.len, dt,
               (double)s->res[1].data.len / dt / 1e6, (unsigned)TCP_WND, (unsigned)TCP_MSS);
    } else {
        tc_fail_at(__LINE__, "%d results, expected 3", s->n_res);
    }
    session_free(s);
    free(s);
}

static void test_dele(void)
{
    session_t *s = calloc(1, sizeof *s);
    buf_t uidl_before = { 0 };

    session_setup(s, M_STLS, NULL, NULL);
    session_connect(s, M_STLS);
    CHECK(pop3_login(&s->client, "bob", bob_pw) == POP3_OK, "queue login");
    CHECK(pop3_stat(&s->client) == POP3_OK, "queue stat");
    CHECK(pop3_uidl(&s->client, 0) == POP3_OK, "queue uidl");
    CHECK(pop3_dele(&s->client, 2) == POP3_OK, "queue dele");
    CHECK(pop3_quit(&s->client) == POP3_OK, "queue quit");
    session_run(s, 60, NULL);
    expect_connect(s, POP3_OK);
    CHECK(s->n_res == 5, "%d results", s->n_res);
    if (s->n_res == 5) {
        for (int i = 0; i < 5; i++) {
            CHECK(s->res[i].st == POP3_OK, "%s: %s", pop3_cmd_name(s->res[i].cmd), pop3_status_str(s->res[i].st));
        }
        CHECK(s->res[1].count == 3, "bob has %u messages before, expected 3", (unsigned)s->res[1].count);
        uidl_before = s->res[2].data;
        memset(&s->res[2].data, 0, sizeof s->res[2].data);
    }
    session_free(s);

    /* Second session: message 2 is gone, 3 became 2. */
    session_setup(s, M_TLS, NULL, NULL);
    session_connect(s, M_TLS);
    CHECK(pop3_login(&s->client, "bob", bob_pw) == POP3_OK, "queue login");
    CHECK(pop3_stat(&s->client) == POP3_OK, "queue stat");
    CHECK(pop3_uidl(&s->client, 0) == POP3_OK, "queue uidl");
    CHECK(pop3_quit(&s->client) == POP3_OK, "queue quit");
    session_run(s, 60, NULL);
    expect_connect(s, POP3_OK);
    if (s->n_res == 4 && uidl_before.data != NULL) {
        char u1[100], u3[100], want[220];
        unsigned n1, n3;
        const char *l3 = strchr(strchr(uidl_before.data, '\n') + 1, '\n') + 1;

        CHECK(s->res[1].count == 2, "bob has %u messages after DELE+QUIT, expected 2", (unsigned)s->res[1].count);
        if (sscanf(uidl_before.data, "%u %99s", &n1, u1) == 2 && sscanf(l3, "%u %99s", &n3, u3) == 2) {
            snprintf(want, sizeof want, "1 %s\n2 %s\n", u1, u3);
            CHECK(strcmp(s->res[2].data.data ? s->res[2].data.data : "", want) == 0,
                  "UIDL after DELE: '%s', expected '%s'", s->res[2].data.data, want);
        } else {
            tc_fail_at(__LINE__, "cannot parse UIDL '%s'", uidl_before.data);
        }
    } else {
        tc_fail_at(__LINE__, "second session: %d results", s->n_res);
    }
    buf_free(&uidl_before);
    session_free(s);
    free(s);
}

/** TLS must fail with POP3_ERR_CERT, before any credential goes out. */
static void expect_cert_failure(mode_t_ mode, const char *host, const char *ca)
{
    session_t *s = calloc(1, sizeof *s);

    session_setup(s, mode, host, ca);
    session_connect(s, mode);
    login_alice(s);
    CHECK(pop3_quit(&s->client) == POP3_OK, "queue quit");
    session_run(s, 30, NULL);
    expect_connect(s, POP3_ERR_CERT);
    printf("%s host=%s ca=%s: %s (%s)\n", mode == M_TLS ? "tls" : "stls", host, ca,
           pop3_status_str(s->connect_st), pop3_lwip_tls_error(&s->port));
    if (s->n_res >= 1) {
        CHECK(s->res[0].cmd == POP3_CMD_LOGIN && s->res[0].st != POP3_OK, "login went through");
    }
    session_free(s);
    free(s);
}

/** Positive control for the certificate tests: the same set-up with the right CA and name works. */
static void expect_cert_ok(mode_t_ mode, const char *host)
{
    session_t *s = calloc(1, sizeof *s);

    session_setup(s, mode, host, "ca.pem");
    session_connect(s, mode);
    CHECK(pop3_quit(&s->client) == POP3_OK, "queue quit");
    session_run(s, 30, NULL);
    expect_connect(s, POP3_OK);
    session_free(s);
    free(s);
}

static void test_name(void)
{
    session_t *s = calloc(1, sizeof *s);
    ip_addr_t gw;

    IP_ADDR4(&gw, 10, 0, 2, 2);
    CHECK(dns_local_addhost("pop3.test", &gw) == ERR_OK, "dns_local_addhost");
    session_setup(s, M_STLS, "localhost", NULL);
    CHECK(pop3_lwip_connect(&s->port, &s->client, "pop3.test", (u16_t)pop3_port) == POP3_OK, "connect by name");
    login_alice(s);
    CHECK(pop3_stat(&s->client) == POP3_OK, "queue stat");
    CHECK(pop3_quit(&s->client) == POP3_OK, "queue quit");
    session_run(s, 60, NULL);
    expect_connect(s, POP3_OK);
    for (int i = 0; i < s->n_res; i++) {
        CHECK(s->res[i].st == POP3_OK, "%s: %s", pop3_cmd_name(s->res[i].cmd), pop3_status_str(s->res[i].st));
    }
    session_free(s);

    /* A literal address through the by-name entry point. */
    session_setup(s, M_PLAIN, NULL, NULL);
    CHECK(pop3_lwip_connect(&s->port, &s->client, "10.0.2.2", (u16_t)pop3_port) == POP3_OK, "connect literal");
    CHECK(pop3_quit(&s->client) == POP3_OK, "queue quit");
    session_run(s, 60, NULL);
    expect_connect(s, POP3_OK);
    session_free(s);

    /* A name nobody knows: DNS goes out (to 10.0.2.3, which slirp does not serve) and the
     * session ends with a transport error or the connect timeout, never hangs. */
    next_connect_timeout_ms = 1500;
    session_setup(s, M_PLAIN, NULL, NULL);
    next_connect_timeout_ms = 0;
    {
        ip_addr_t dns;
        IP_ADDR4(&dns, 10, 0, 2, 3);
        dns_setserver(0, &dns);
    }
    CHECK(pop3_lwip_connect(&s->port, &s->client, "nowhere.invalid", (u16_t)pop3_port) == POP3_OK ||
              pop3_state(&s->client) == POP3_STATE_CLOSED,
          "connect unknown name");
    CHECK(pop3_quit(&s->client) == POP3_OK || pop3_state(&s->client) == POP3_STATE_CLOSED, "queue quit");
    {
        double end = now_s() + 20;
        while (now_s() < end && !(pop3_state(&s->client) == POP3_STATE_CLOSED && pop3_lwip_is_idle(&s->port))) {
            harness_poll(5);
            pop3_lwip_service(&s->port);
        }
    }
    expect_connect(s, pop3_session_status(&s->client));
    CHECK(s->connect_st == POP3_ERR_TIMEOUT || s->connect_st == POP3_ERR_TRANSPORT, "unknown name: %s",
          pop3_status_str(s->connect_st));
    printf("unknown name: %s (%s)\n", pop3_status_str(s->connect_st), pop3_lwip_net_error(&s->port));
    CHECK(pop3_lwip_is_idle(&s->port), "DNS query still pending after 20 s");
    pop3_lwip_cleanup(&s->port);
    session_free(s);
    free(s);
}

int main(int argc, char **argv)
{
    const char *t;

    if (argc != 3) {
        fprintf(stderr, "usage: %s FIXTURE_DIR TEST\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    load_env(argv[1]);
    t = argv[2];
    harness_init();
    printf("lwIP %s, mbedTLS %s, TCP_WND %u\n", LWIP_VERSION_STRING, MBEDTLS_VERSION_STRING, (unsigned)TCP_WND);
    if (!strncmp(t, "session-", 8)) {
        test_session(mode_of(t + 8));
    } else if (!strncmp(t, "big-", 4)) {
        test_big(mode_of(t + 4));
    } else if (!strcmp(t, "dele")) {
        test_dele();
    } else if (!strcmp(t, "cert-wrong-ca")) {
        expect_cert_ok(M_TLS, "localhost");
        expect_cert_failure(M_TLS, "localhost", "wrong-ca.pem");
        expect_cert_failure(M_STLS, "localhost", "wrong-ca.pem");
    } else if (!strcmp(t, "cert-wrong-name")) {
        expect_cert_ok(M_TLS, "localhost");
        expect_cert_failure(M_TLS, "wrong.example", "ca.pem");
        expect_cert_failure(M_STLS, "wrong.example", "ca.pem");
    } else if (!strcmp(t, "cert-ip")) {
        expect_cert_ok(M_STLS, "localhost");
        expect_cert_failure(M_TLS, "10.0.2.2", "ca.pem");
        expect_cert_failure(M_STLS, "10.0.2.2", "ca.pem");
    } else if (!strncmp(t, "pause-", 6)) {
        test_pause(mode_of(t + 6));
    } else if (!strcmp(t, "name")) {
        test_name();
    } else if (!strcmp(t, "sasl-oauthbearer")) {
        test_sasl(M_STLS, true);
        test_sasl(M_TLS, true);
    } else if (!strncmp(t, "sasl-", 5)) {
        test_sasl(mode_of(t + 5), false);
    } else {
        fprintf(stderr, "unknown test %s\n", t);
        return 2;
    }
    harness_shutdown();
    if (tc_failures > 0) {
        fprintf(stderr, "%s: %d failure(s)\n", t, tc_failures);
        return 1;
    }
    printf("%s: pass\n", t);
    return 0;
}
