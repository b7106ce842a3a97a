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

/* ---- tests -------------------------------------------------------------------------- */

static mode_t_ mode_of(const char *name)
{
    if (strstr(name, "plain")) return M_PLAIN;
    if (strstr(name, "stls")) return M_STLS;
    return M_TLS;
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
    if (tc_failures != 0) {
        printf("big-%s: net: \"%s\"; tls: \"%s\"\n", mode == M_PLAIN ? "plain" : mode == M_STLS ? "stls" : "tls",
               pop3_lwip_net_error(&s->port), pop3_lwip_tls_error(&s->port));
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
