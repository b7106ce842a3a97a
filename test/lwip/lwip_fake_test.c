/*
 * In-process tests of port/lwip on a fake altcp layer: real lwIP pbufs and
 * altcp dispatch (altcp.c), with fake_altcp.c standing in for altcp_tcp.c, so a
 * test decides exactly how data arrives (pbuf chains split anywhere), when
 * altcp_write fails (ERR_MEM, no send buffer), and when lwIP reports an error
 * (err callback after the pcb is freed). No network.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"

#include "fake_altcp.h"
#include "pop3.h"
#include "pop3_lwip.h"
#include "test_check.h"

/* ---- the fake altcp layer (fake_altcp.c) and its wire ------------------------------ */

static struct {
    char sent[8192];            /* what the client wrote */
    size_t sent_len;
    size_t sent_seen;           /* consumed by the scripted server */
} W;

/* The fake's own checks count like this file's CHECK()s. */
static void fake_check(int line, bool ok, const char *fmt, va_list ap)
{
    tc_checks++;
    if (!ok) {
        tc_vfail_at(line, fmt, ap);
    }
}

/* ---- a scripted server ---------------------------------------------------------- */

static const char greeting[] = "+OK fake POP3 ready\r\n";
static const char capa_reply[] = "+OK\r\nUSER\r\nTOP\r\nUIDL\r\nSTLS\r\n.\r\n";
/* RETR 1: dot-stuffed lines, a bare "." inside, CRLF splits, a line of dots. */
static const char retr_reply[] =
    "+OK 120 octets\r\n"
    "Subject: dots\r\n\r\n"
    "..leading dot\r\n"
    "...\r\n"
    "..\r\n"
    "no dot . here\r\n"
    "a\rb\nc\r\n"
    "\r\n"
    "..\r\n"
    "last line\r\n"
    ".\r\n";
static const char retr_body[] =
    "Subject: dots\r\n\r\n"
    ".leading dot\r\n"
    "..\r\n"
    ".\r\n"
    "no dot . here\r\n"
    "a\rb\nc\r\n"
    "\r\n"
    ".\r\n"
    "last line\r\n";

typedef struct {
    char out[4096];      /* replies due, not yet delivered */
    size_t out_len;
    bool stls_inject;    /* "+OK" to STLS followed by injected plaintext */
    bool garbage_reply;  /* answer NOOP with something that is not POP3 */
} server_t;

static server_t S;

static void srv_queue(const char *s)
{
    size_t n = strlen(s);

    if (S.out_len + n <= sizeof S.out) {
        memcpy(S.out + S.out_len, s, n);
        S.out_len += n;
    }
}

/** Answer every complete command line the client wrote. */
static void srv_answer(void)
{
    for (;;) {
        char *start = W.sent + W.sent_seen;
        char *eol = memchr(start, '\n', W.sent_len - W.sent_seen);
        char line[300];
        size_t n;

        if (eol == NULL) {
            return;
        }
        n = (size_t)(eol - start + 1);
        memcpy(line, start, n < sizeof line ? n : sizeof line - 1);
        line[n < sizeof line ? n : sizeof line - 1] = '\0';
        W.sent_seen += n;
        if (!strncmp(line, "CAPA", 4)) srv_queue(capa_reply);
        else if (!strncmp(line, "USER", 4) || !strncmp(line, "PASS", 4)) srv_queue("+OK\r\n");
        else if (!strncmp(line, "RETR 1", 6)) srv_queue(retr_reply);
        else if (!strncmp(line, "NOOP", 4)) srv_queue(S.garbage_reply ? "HELLO?\r\n" : "+OK\r\n");
        else if (!strncmp(line, "QUIT", 4)) srv_queue("+OK bye\r\n");
        else if (!strncmp(line, "STLS", 4)) srv_queue(S.stls_inject ? "+OK go\r\n+OK injected\r\n" : "+OK go\r\n");
        else srv_queue("-ERR what\r\n");
    }
}

/** Build a pbuf chain of @p data cut at the given offsets (zero-length pieces skipped). */
static struct pbuf *make_chain(const char *data, size_t len, const size_t *cuts, int n_cuts)
{
    struct pbuf *head = NULL;
    size_t from = 0;

    for (int i = 0; i <= n_cuts; i++) {
        size_t to = i < n_cuts ? cuts[i] : len;
        struct pbuf *q;

        if (to > len) to = len;
        if (to <= from) continue;
        q = fake_altcp_pbuf(data + from, (u16_t)(to - from), (i & 1) ? PBUF_RAM : PBUF_POOL);
        if (head == NULL) head = q; else pbuf_cat(head, q);
        from = to;
    }
    return head;
}

/** Hand the pending replies to the port's recv callback as one chain cut at @p cuts. */
static err_t srv_deliver(const size_t *cuts, int n_cuts)
{
    struct altcp_pcb *c = fake.pcb;
    struct pbuf *p;
    err_t r;

    if (S.out_len == 0 || c == NULL || c->recv == NULL) {
        return ERR_OK;
    }
    p = make_chain(S.out, S.out_len, cuts, n_cuts);
    fake.delivered += S.out_len;
    S.out_len = 0;
    r = c->recv(c->arg, c, p, ERR_OK);
    CHECK(r == ERR_OK || r == ERR_ABRT, "recv returned %d", (int)r);
    return r;
}

/* ---- the client under test ------------------------------------------------------- */

typedef struct {
    pop3_client_t client;
    pop3_lwip_t port;
    pop3_tls_t tls;
    pop3_tls_config_t tc;
    char line_buf[600];
    char tx_buf[POP3_MIN_TX_BUF_LEN];
    char body[4096];
    size_t body_len;
    pop3_status_t st[8];
    pop3_cmd_t cmd[8];
    int n_done;
    pop3_status_t connect_st;
    bool connect_done;
    int pause_every;        /* on_body pauses on every Nth call (0: never) */
    int body_calls;
} cli_t;

static cli_t C;

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    cli_t *c = ctx;

    (void)r;
    if (cmd == POP3_CMD_CONNECT) {
        c->connect_done = true;
        c->connect_st = st;
    } else if (c->n_done < 8) {
        c->cmd[c->n_done] = cmd;
        c->st[c->n_done++] = st;
    }
}

static pop3_cb_action_t on_body(void *ctx, const char *d, size_t n)
{
    cli_t *c = ctx;

    if (c->body_len + n <= sizeof c->body) {
        memcpy(c->body + c->body_len, d, n);
    }
    c->body_len += n;
    c->body_calls++;
    return (c->pause_every > 0 && c->body_calls % c->pause_every == 0) ? POP3_CB_PAUSE : POP3_CB_CONTINUE;
}

static void start(pop3_security_t sec, u16_t sndbuf)
{
    pop3_config_t cfg;
    ip_addr_t a;

    fake_altcp_reset(sndbuf);
    memset(&W, 0, sizeof W);
    memset(&S, 0, sizeof S);
    memset(&C, 0, sizeof C);
    fake_altcp_client_config(&cfg, C.line_buf, sizeof C.line_buf, C.tx_buf, sizeof C.tx_buf, sec, true);
    cfg.callbacks.ctx = &C;
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_body = on_body;
    if (sec == POP3_SEC_PLAINTEXT) {
        pop3_lwip_init(&C.port, NULL, NULL);
    } else {
        C.tc.host = "pop.example";
        C.tc.insecure = true; /* no handshake ever completes here: only its start matters */
        pop3_lwip_init(&C.port, &C.tc, &C.tls);
    }
    cfg.transport = pop3_lwip_transport(&C.port);
    if (pop3_init(&C.client, &cfg) != POP3_OK) {
        fprintf(stderr, "pop3_init failed\n");
        exit(1);
    }
    IP_ADDR4(&a, 192, 0, 2, 1);
    CHECK(pop3_lwip_connect_ip(&C.port, &C.client, &a, 110) == POP3_OK, "connect");
    CHECK(fake.pcb != NULL && fake.connects == 1, "no connect");
    fake.pcb->connected(fake.pcb->arg, fake.pcb, ERR_OK);
    srv_queue(greeting);
}

/** Run the conversation: answer, deliver (cut as asked), resume when paused, service. */
static void run(const size_t *cuts, int n_cuts)
{
    for (int round = 0; round < 10000; round++) {
        srv_answer();
        if (S.out_len > 0 && fake.pcb != NULL) {
            srv_deliver(cuts, n_cuts);
        } else if (pop3_is_paused(&C.client)) {
            size_t held = pop3_lwip_held(&C.port);
            CHECK(fake.recved + held == fake.delivered, "held %zu + acknowledged %zu != delivered %zu", held,
                  fake.recved, fake.delivered);
            pop3_resume(&C.client);
            CHECK(pop3_lwip_needs_service(&C.port), "resume did not ask for service");
            pop3_lwip_service(&C.port);
        } else if (pop3_lwip_needs_service(&C.port)) {
            pop3_lwip_service(&C.port);
        } else {
            break;
        }
        if (pop3_state(&C.client) == POP3_STATE_CLOSED && S.out_len == 0 && !pop3_lwip_needs_service(&C.port)) {
            break;
        }
    }
}

static void finish(void)
{
    pop3_lwip_cleanup(&C.port);
    CHECK(pop3_lwip_is_idle(&C.port), "not idle after cleanup");
    CHECK(fake.pcb == NULL, "pcb leaked (neither closed nor aborted)");
    CHECK(fake_altcp_pbufs_in_use() == 0, "pbufs/heap leaked: %zu", fake_altcp_pbufs_in_use());
    CHECK(lwip_stats.memp[MEMP_ALTCP_PCB]->used == 0, "altcp pcb leaked");
}

/* ---- tests ------------------------------------------------------------------------- */

/** Login, RETR 1, QUIT with every reply cut as @p cuts says; body and acks exact. */
static void session_with_cuts(const size_t *cuts, int n_cuts, int pause_every, const char *what)
{
    start(POP3_SEC_PLAINTEXT, 0xFFFF);
    C.pause_every = pause_every;
    pop3_login(&C.client, "u", "p");
    pop3_retr(&C.client, 1);
    pop3_quit(&C.client);
    run(cuts, n_cuts);
    CHECK(C.connect_done && C.connect_st == POP3_OK, "%s: connect %s", what, pop3_status_str(C.connect_st));
    CHECK(C.n_done == 3 && C.st[0] == POP3_OK && C.st[1] == POP3_OK && C.st[2] == POP3_OK,
          "%s: %d results, RETR %s", what, C.n_done, C.n_done > 1 ? pop3_status_str(C.st[1]) : "-");
    CHECK(C.body_len == sizeof retr_body - 1 && memcmp(C.body, retr_body, C.body_len) == 0,
          "%s: body differs (%zu octets)", what, C.body_len);
    CHECK(fake.recved == fake.delivered, "%s: acknowledged %zu of %zu", what, fake.recved, fake.delivered);
    CHECK(fake.closes == 1 && fake.aborts == 0, "%s: QUIT should close gracefully (closes %d, aborts %d)", what,
          fake.closes, fake.aborts);
    finish();
}

static void test_split_everywhere(void)
{
    size_t len = strlen(retr_reply), cuts[3];
    char what[64];

    /* One cut at every offset of the longest reply (applied to every reply). */
    for (size_t k = 0; k <= len; k++) {
        cuts[0] = k;
        snprintf(what, sizeof what, "cut at %zu", k);
        session_with_cuts(cuts, 1, 0, what);
        snprintf(what, sizeof what, "cut at %zu, pausing", k);
        session_with_cuts(cuts, 1, 1, what);
    }
    /* Two cuts at every pair of offsets (3 pbufs per chain). */
    for (size_t a = 0; a <= len; a += 3) {
        for (size_t b = a; b <= len; b += 5) {
            cuts[0] = a;
            cuts[1] = b;
            snprintf(what, sizeof what, "cuts at %zu,%zu", a, b);
            session_with_cuts(cuts, 2, (int)(a % 3), what);
        }
    }
    /* Every octet its own pbuf. */
    {
        static size_t every[600];
        for (size_t i = 0; i < 600; i++) every[i] = i + 1;
        session_with_cuts(every, 600, 0, "one octet per pbuf");
        session_with_cuts(every, 600, 2, "one octet per pbuf, pausing");
    }
}

/** altcp_write refusing (ERR_MEM, or no send buffer): the command is sent later, whole. */
static void test_err_mem(void)
{
    start(POP3_SEC_PLAINTEXT, 0xFFFF);
    pop3_login(&C.client, "u", "p");
    run(NULL, 0);
    C.n_done = 0;
    CHECK(C.connect_done && C.connect_st == POP3_OK, "connect");
    fake.write_err_mem = true;
    pop3_noop(&C.client);
    CHECK(pop3_wants_write(&C.client), "ERR_MEM not reported as would-block");
    CHECK(W.sent_len == W.sent_seen, "something was written despite ERR_MEM");
    fake.pcb->poll(fake.pcb->arg, fake.pcb); /* still failing: nothing lost, still waiting */
    CHECK(pop3_wants_write(&C.client), "gave up after ERR_MEM");
    fake.write_err_mem = false;
    fake.pcb->sent(fake.pcb->arg, fake.pcb, 1);
    CHECK(W.sent_len - W.sent_seen == 6 && memcmp(W.sent + W.sent_seen, "NOOP\r\n", 6) == 0,
          "NOOP not sent after ERR_MEM cleared");
    run(NULL, 0);
    CHECK(C.n_done == 1 && C.st[0] == POP3_OK, "NOOP result");

    /* No send buffer at all, then 3 octets at a time: the command arrives whole, in order. */
    fake.sndbuf = 0;
    pop3_noop(&C.client);
    CHECK(W.sent_len == W.sent_seen, "written beyond sndbuf 0");
    fake.sndbuf = 3;
    for (int i = 0; i < 4; i++) {
        fake.pcb->poll(fake.pcb->arg, fake.pcb);
    }
    CHECK(W.sent_len - W.sent_seen == 6 && memcmp(W.sent + W.sent_seen, "NOOP\r\n", 6) == 0,
          "NOOP not reassembled from 3-octet writes");
    fake.sndbuf = 0xFFFF;
    pop3_quit(&C.client);
    run(NULL, 0);
    CHECK(C.n_done == 3 && C.st[1] == POP3_OK && C.st[2] == POP3_OK, "after ERR_MEM: %d results", C.n_done);
    CHECK(fake.closes == 1, "QUIT did not close");
    finish();
}

/** lwIP's err callback in the middle of RETR (pcb already freed): RETR fails, never POP3_OK. */
static void test_err_mid_retr(bool paused)
{
    size_t cut = 40;

    start(POP3_SEC_PLAINTEXT, 0xFFFF);
    C.pause_every = paused ? 1 : 0;
    pop3_login(&C.client, "u", "p");
    run(NULL, 0);
    pop3_retr(&C.client, 1);
    pop3_quit(&C.client);
    srv_answer();
    /* Deliver only the first 40 octets of the RETR reply. */
    {
        size_t len = S.out_len;
        char rest[4096];
        memcpy(rest, S.out + cut, len - cut);
        S.out_len = cut;
        srv_deliver(NULL, 0);
        CHECK(pop3_lwip_held(&C.port) == (paused ? fake.delivered - fake.recved : 0U), "held %zu", pop3_lwip_held(&C.port));
        (void)rest;
    }
    fake_altcp_error(ERR_RST);
    CHECK(pop3_state(&C.client) == POP3_STATE_CLOSED, "session not closed by the err callback");
    CHECK(C.n_done == 3, "%d results", C.n_done);
    CHECK(C.cmd[1] == POP3_CMD_RETR && C.st[1] == POP3_ERR_TRANSPORT, "RETR ended with %s",
          pop3_status_str(C.st[1]));
    CHECK(C.st[2] != POP3_OK, "QUIT reported OK after the connection died");
    CHECK(pop3_lwip_held(&C.port) == 0U, "held pbufs not freed");
    CHECK(fake.closes == 0 && fake.aborts == 0, "pcb touched after the err callback");
    pop3_lwip_service(&C.port); /* must not touch anything */
    finish();
}

/** The peer closes while the application is paused: data first, then the error. */
static void test_remote_close_while_paused(void)
{
    start(POP3_SEC_PLAINTEXT, 0xFFFF);
    pop3_login(&C.client, "u", "p");
    run(NULL, 0);
    C.pause_every = 1;
    pop3_retr(&C.client, 1);
    srv_answer();
    S.out_len -= 5; /* the end marker never comes */
    srv_deliver(NULL, 0);
    CHECK(pop3_is_paused(&C.client), "not paused");
    fake.pcb->recv(fake.pcb->arg, fake.pcb, NULL, ERR_OK); /* FIN */
    CHECK(pop3_state(&C.client) != POP3_STATE_CLOSED, "closed before the held data was delivered");
    C.pause_every = 0;
    pop3_resume(&C.client);
    pop3_lwip_service(&C.port);
    CHECK(pop3_state(&C.client) == POP3_STATE_CLOSED, "peer close not reported after the data");
    CHECK(C.n_done == 2 && C.st[1] == POP3_ERR_TRANSPORT, "RETR without end marker: %s",
          C.n_done > 1 ? pop3_status_str(C.st[1]) : "-");
    CHECK(C.body_len == sizeof retr_body - 1 - 3 - 2 + 2 || C.body_len > 0, "body delivered before close");
    finish();
}

/** A server error (garbage reply) aborts the pcb; a failing close falls back to abort. */
static void test_close_paths(void)
{
    start(POP3_SEC_PLAINTEXT, 0xFFFF);
    pop3_login(&C.client, "u", "p");
    run(NULL, 0);
    C.n_done = 0;
    S.garbage_reply = true;
    pop3_noop(&C.client);
    run(NULL, 0);
    CHECK(pop3_session_status(&C.client) == POP3_ERR_PROTOCOL, "garbage: %s",
          pop3_status_str(pop3_session_status(&C.client)));
    CHECK(fake.aborts == 1 && fake.closes == 0, "fatal error should abort (aborts %d, closes %d)", fake.aborts, fake.closes);
    finish();

    start(POP3_SEC_PLAINTEXT, 0xFFFF);
    fake.close_fails = true;
    pop3_quit(&C.client);
    run(NULL, 0);
    CHECK(pop3_session_status(&C.client) == POP3_OK, "quit: %s", pop3_status_str(pop3_session_status(&C.client)));
    CHECK(fake.aborts == 1, "failed close not followed by abort");
    finish();

    /* pop3_lwip_cleanup() mid-session aborts and ends pending commands. */
    start(POP3_SEC_PLAINTEXT, 0xFFFF);
    pop3_login(&C.client, "u", "p");
    run(NULL, 0);
    C.n_done = 0;
    pop3_retr(&C.client, 1);
    pop3_lwip_cleanup(&C.port);
    CHECK(C.n_done == 1 && C.st[0] == POP3_ERR_ABORTED, "cleanup: RETR %s",
          C.n_done ? pop3_status_str(C.st[0]) : "-");
    CHECK(fake.aborts == 1, "cleanup did not abort");
    finish();
}

/** Plaintext after "+OK" to STLS never reaches TLS, whatever the pbuf layout. */
static void test_stls_injection(void)
{
    for (int layout = 0; layout < 3; layout++) {
        start(POP3_SEC_STLS, 0xFFFF);
        pop3_login(&C.client, "u", "p");
        S.stls_inject = true;
        /* layout 0: one pbuf; 1: cut right after "+OK go\r\n"; 2: one octet per pbuf */
        size_t cut8[] = { 8 };
        static size_t every[64];
        for (size_t i = 0; i < 64; i++) every[i] = i + 1;
        for (int r = 0; r < 10 && pop3_state(&C.client) != POP3_STATE_CLOSED; r++) {
            size_t before = W.sent_len;
            srv_answer();
            if (layout == 0) srv_deliver(NULL, 0);
            else if (layout == 1) srv_deliver(cut8, 1);
            else srv_deliver(every, 64);
            if (W.sent_len == before && S.out_len == 0) {
                break;
            }
        }
        CHECK(pop3_session_status(&C.client) == POP3_ERR_PROTOCOL, "layout %d: injection gave %s", layout,
              pop3_status_str(pop3_session_status(&C.client)));
        CHECK(C.n_done >= 1 && C.st[0] != POP3_OK, "layout %d: login went through", layout);
        CHECK(strstr(W.sent, "PASS") == NULL, "layout %d: password sent", layout);
        finish();
    }
}

/** Address literals: IPv6 gets an IPv6 pcb, IPv4 an IPv4 one; the port reaches the connect. */
static void test_ip_types(void)
{
    static const char *hosts[] = { "2001:db8::25", "192.0.2.25" };
    static const u8_t types[] = { IPADDR_TYPE_V6, IPADDR_TYPE_V4 };

    for (int i = 0; i < 2; i++) {
        pop3_config_t cfg;

        fake_altcp_reset(0);
        memset(&W, 0, sizeof W);
        memset(&C, 0, sizeof C);
        fake_altcp_client_config(&cfg, C.line_buf, sizeof C.line_buf, C.tx_buf, sizeof C.tx_buf, POP3_SEC_PLAINTEXT,
                                 false);
        cfg.callbacks.ctx = &C;
        cfg.callbacks.on_done = on_done;
        pop3_lwip_init(&C.port, NULL, NULL);
        cfg.transport = pop3_lwip_transport(&C.port);
        pop3_init(&C.client, &cfg);
        CHECK(pop3_lwip_connect(&C.port, &C.client, hosts[i], 110) == POP3_OK, "connect %s", hosts[i]);
        CHECK(fake.connects == 1 && fake.ip_type == types[i], "%s: pcb type %u", hosts[i], (unsigned)fake.ip_type);
        finish();
        CHECK(C.connect_done && C.connect_st == POP3_ERR_ABORTED, "%s: cleanup while connecting: %s", hosts[i],
              pop3_status_str(C.connect_st));
    }
}

int main(void)
{
    tc_max_failures = 20;
    fake_altcp_configure(W.sent, sizeof W.sent, &W.sent_len, 1460, fake_check, NULL);
    lwip_init();
    printf("lwIP %s, fake altcp\n", LWIP_VERSION_STRING);
    test_split_everywhere();
    test_err_mem();
    test_err_mid_retr(false);
    test_err_mid_retr(true);
    test_remote_close_while_paused();
    test_close_paths();
    test_stls_injection();
    test_ip_types();
    if (tc_failures > 0) {
        fprintf(stderr, "%d of %d checks failed\n", tc_failures, tc_checks);
        return 1;
    }
    printf("all %d checks passed\n", tc_checks);
    return 0;
}
