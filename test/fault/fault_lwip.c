/*
 * Fault injection through the lwIP port (port/lwip) on a fake altcp layer:
 * real lwIP pbufs and altcp dispatch, test/lwip/fake_altcp.c standing in for
 * altcp_tcp.c (shared with test/lwip/lwip_fake_test.c). The session of
 * fault_script.c (plaintext; also with a SCRAM-SHA-256 login) is replayed with:
 *   - lwIP's err callback (ERR_RST, pcb already freed) at every stream offset,
 *   - the peer's FIN (recv with a NULL pbuf) at every offset,
 *   - the same with the application pausing (input held, window closed),
 *   - a pbuf-chain boundary at every offset, and one octet per pbuf;
 * each run checked by the oracle (fs_check) plus: no pbuf / pcb leaked,
 * never more acknowledged than delivered, everything acknowledged at the end.
 *
 * Usage: fault_lwip_<pair> [--summary FILE]
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
#include "fault_app.h"
#include "fault_script.h"
#include "heap_guard.h"
#include "pop3.h"
#include "pop3_lwip.h"

static char g_err[512];
static void harness_fail(const char *m)
{
    if (g_err[0] == '\0') snprintf(g_err, sizeof g_err, "%s", m);
}

/* ---- the fake altcp layer (test/lwip/fake_altcp.c) ----------------------------------- */

static fs_obs_t O; /* what the client did; O.sent is the fake wire */

static void fake_check(int line, bool ok, const char *fmt, va_list ap)
{
    char m[256];

    (void)line;
    if (!ok) {
        vsnprintf(m, sizeof m, fmt, ap);
        harness_fail(m);
    }
}

/* lwIP's err callback runs library code: bracketed for the heap guard. */
static void fake_call_err(altcp_err_fn e, void *arg, err_t err)
{
    HG_LIB(e(arg, err));
}

/* ---- the client -------------------------------------------------------------------- */

typedef enum { K_ERR = 0, K_FIN } kind_t;

typedef struct {
    size_t cut;            /* FS_NONE: none */
    kind_t kind;
    size_t split;          /* a pbuf-chain boundary here (0: none) */
    bool bytewise;         /* one octet per pbuf */
    int pause_every;
    u16_t sndbuf;
} fault_t;

static struct {
    pop3_client_t c;
    pop3_lwip_t port;
    char line_buf[POP3_MIN_LINE_BUF_LEN];
    char tx_buf[POP3_MIN_TX_BUF_LEN];
    const fs_session_t *s;
    const fault_t *f;
    int cb_calls;
    pop3_sasl_creds_t creds; /* SASL sessions: kept until AUTH is reported */
    uint32_t rng;
} C;

static pop3_cb_action_t maybe_pause(void)
{
    C.cb_calls++;
    return C.f->pause_every > 0 && C.cb_calls % C.f->pause_every == 0 ? POP3_CB_PAUSE : POP3_CB_CONTINUE;
}

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    (void)ctx;
    hg_cb_enter();
    fa_obs_done(&O, cmd, st, r);
    if (cmd == POP3_CMD_RETR && C.s->dele_mode == FS_DELE_AFTER_RETR_OK) {
        if (st == POP3_OK && pop3_dele(&C.c, 1) != POP3_OK) harness_fail("pop3_dele refused");
        if (pop3_state(&C.c) != POP3_STATE_CLOSED && pop3_quit(&C.c) != POP3_OK) harness_fail("pop3_quit refused");
    }
    hg_cb_leave();
}

static pop3_cb_action_t on_body(void *ctx, const char *d, size_t n)
{
    (void)ctx;
    if (!fa_obs_body(&O, d, n)) return POP3_CB_CONTINUE;
    return maybe_pause();
}

static pop3_cb_action_t on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    (void)ctx;
    fa_obs_list(&O, msg, octets);
    return maybe_pause();
}

static pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t len)
{
    (void)ctx;
    fa_obs_uidl(&O, msg, uid, len);
    return maybe_pause();
}

/* ---- delivery ------------------------------------------------------------------------ */

static size_t pool_in_use(void)
{
    return fake_altcp_pbufs_in_use() + (size_t)lwip_stats.memp[MEMP_ALTCP_PCB]->used;
}

/* [from, to) of the stream as one chain: pbuf boundaries at f->split, or at every octet.
 * Built back to front, so each pbuf_cat() walks one pbuf only. */
static struct pbuf *make_chain(const fs_session_t *s, const fault_t *f, size_t from, size_t to)
{
    struct pbuf *head = NULL;

    while (to > from) {
        size_t start = f->bytewise ? to - 1 : (f->split > from && f->split < to ? f->split : from);
        struct pbuf *q =
            fake_altcp_pbuf(s->stream + start, (u16_t)(to - start), ((start ^ to) & 1) ? PBUF_RAM : PBUF_POOL);
        if (head != NULL) pbuf_cat(q, head);
        head = q;
        to = start;
    }
    return head;
}

#define SEG 536U

static unsigned long g_runs, g_faults, g_failures;
static const char *g_what;

static void run(const fs_session_t *s, const fault_t *f, const char *label)
{
    pop3_config_t cfg;
    ip_addr_t a;
    size_t pos = 0, avail, read = 0;
    int next = 1;
    pop3_status_t st;
    char why[512];
    bool injected = false;

    fake_altcp_reset(f->sndbuf);
    memset(&O, 0, sizeof O);
    memset(&C, 0, sizeof C);
    g_err[0] = '\0';
    C.s = s;
    C.f = f;
    fake_altcp_client_config(&cfg, C.line_buf, sizeof C.line_buf, C.tx_buf, sizeof C.tx_buf, POP3_SEC_PLAINTEXT,
                             true);
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_body = on_body;
    cfg.callbacks.on_list = on_list;
    cfg.callbacks.on_uidl = on_uidl;
    HG_LIB_RET(st, pop3_lwip_init(&C.port, NULL, NULL));
    cfg.transport = pop3_lwip_transport(&C.port);
    HG_LIB_RET(st, pop3_init(&C.c, &cfg));
    if (st != POP3_OK) harness_fail("pop3_init");
    if (fa_queue_work(&C.c, s, &C.creds, &C.rng) != POP3_OK) harness_fail("queueing refused");
    IP_ADDR4(&a, 192, 0, 2, 1);
    HG_LIB_RET(st, pop3_lwip_connect_ip(&C.port, &C.c, &a, 110));
    if (st != POP3_OK || fake.pcb == NULL) harness_fail("connect");
    else HG_LIB(fake.pcb->connected(fake.pcb->arg, fake.pcb, ERR_OK));
    avail = s->steps[0].end;

    for (int iter = 0; iter < 1000000 && g_err[0] == '\0'; iter++) {
        /* The server: each complete command releases its reply. */
        for (;;) {
            const char *p = O.sent + read;
            size_t left = O.sent_len - read, l = 0;
            while (l + 1 < left && !(p[l] == '\r' && p[l + 1] == '\n')) l++;
            if (l + 1 >= left) break;
            l += 2;
            if (next >= s->nsteps || strlen(s->steps[next].cmd) != l || memcmp(s->steps[next].cmd, p, l) != 0)
                harness_fail("server: unexpected command");
            read += l;
            if (next < s->nsteps) avail = s->steps[next++].end;
        }
        if (pos == f->cut && !injected) {
            injected = true;
            if (f->kind == K_ERR) {
                if (fake.pcb != NULL) fake_altcp_error(ERR_RST);
                break;
            }
            if (fake.pcb != NULL && fake.pcb->recv != NULL) HG_LIB(fake.pcb->recv(fake.pcb->arg, fake.pcb, NULL, ERR_OK));
            continue; /* FIN: held data still goes through, then the port reports the close */
        }
        if (pop3_is_paused(&C.c)) {
            HG_LIB(pop3_resume(&C.c));
            HG_LIB(pop3_lwip_service(&C.port));
            continue;
        }
        if (pop3_lwip_needs_service(&C.port)) {
            HG_LIB(pop3_lwip_service(&C.port));
            continue;
        }
        if (pos < avail && pos < f->cut && fake.pcb != NULL && fake.pcb->recv != NULL) {
            size_t limit = avail < f->cut ? avail : f->cut, end = limit;
            const fs_step_t *r = &s->steps[s->retr_step];
            struct pbuf *p;
            err_t e;
            if (pos >= r->start && pos < r->end) {
                size_t nb = r->start + ((pos - r->start) / SEG + 1U) * SEG;
                if (nb < end) end = nb;
            }
            p = make_chain(s, f, pos, end);
            fake.delivered += end - pos;
            pos = end;
            HG_LIB_RET(e, fake.pcb->recv(fake.pcb->arg, fake.pcb, p, ERR_OK));
            if (e != ERR_OK && e != ERR_ABRT) harness_fail("recv returned an error");
            continue;
        }
        break;
    }
    if (f->cut != FS_NONE && f->cut < s->len && !injected) harness_fail("never reached the cut");
    O.state = pop3_state(&C.c);
    O.session_status = pop3_session_status(&C.c);
    O.delivered = fake.recved;
    if (f->pause_every == 0 && fake.recved != fake.delivered && g_err[0] == '\0') harness_fail("not all delivered octets acknowledged");
    HG_LIB(pop3_lwip_cleanup(&C.port));
    if (!pop3_lwip_is_idle(&C.port)) harness_fail("port not idle after cleanup");
    if (fake.pcb != NULL) harness_fail("pcb leaked");
    if (pool_in_use() != 0) harness_fail("pbufs / lwIP heap / altcp pcbs leaked");
    if (injected && f->cut < s->len && f->kind == K_ERR && (fake.closes || fake.aborts)) harness_fail("pcb touched after err");
    if (!(injected && f->cut < s->len) && fake.closes != 1) harness_fail("QUIT did not close the pcb gracefully");
    g_runs++;
    if ((injected && f->cut < s->len) || f->split || f->bytewise) g_faults++;
    /* Oracle: the client stood where it had consumed (fake.recved), failing with POP3_ERR_TRANSPORT. */
    if (g_err[0] == '\0' &&
        fs_check(s, injected && f->cut < s->len ? fake.recved : FS_NONE, POP3_ERR_TRANSPORT, 0, &O, why, sizeof why))
        return;
    g_failures++;
    if (g_failures <= 10) {
        fprintf(stderr, "FAIL [%s: %s] %s\n", g_what, label, g_err[0] ? g_err : why);
        fprintf(stderr, "  (kind %s, delivered %zu, acknowledged %zu, pause every %d, sndbuf %u)\n",
                f->kind == K_ERR ? "err" : "fin", fake.delivered, fake.recved, f->pause_every, (unsigned)f->sndbuf);
    }
}

static void loop_cut(const fs_session_t *s, const char *what, kind_t kind, int pause_every, bool bytewise,
                     u16_t sndbuf)
{
    unsigned long r0 = g_runs, f0 = g_failures;
    char label[64];

    g_what = what;
    for (size_t k = 0; k <= s->len; k++) {
        fault_t f = {k, kind, 0, bytewise, pause_every, sndbuf};
        snprintf(label, sizeof label, "at offset %zu", k);
        run(s, &f, label);
    }
    fa_report(what, g_runs - r0, g_failures - f0);
}

static void loop_split(const fs_session_t *s, const char *what, int pause_every, u16_t sndbuf)
{
    unsigned long r0 = g_runs, f0 = g_failures;
    char label[64];

    g_what = what;
    for (size_t k = 1; k < s->len; k++) {
        fault_t f = {FS_NONE, K_ERR, k, false, pause_every ? (int)(k % 3) : 0, sndbuf};
        snprintf(label, sizeof label, "chain split at %zu", k);
        run(s, &f, label);
    }
    fa_report(what, g_runs - r0, g_failures - f0);
}

int main(int argc, char **argv)
{
    static fs_session_t full, full_up, scram;
    const char *summary = NULL;
    fs_opts_t o;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--summary") && i + 1 < argc) summary = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--summary FILE]\n", argv[0]);
            return 2;
        }
    }
    if (!hg_self_test()) {
        fprintf(stderr, "FAIL: heap guard self-test: --wrap=malloc/free not in effect\n");
        return 1;
    }
    fake_altcp_configure(O.sent, sizeof O.sent, &O.sent_len, 536, fake_check, fake_call_err);
    lwip_init();
    memset(&o, 0, sizeof o);
    fs_build(&full, &o);
    o.dele_mode = FS_DELE_UP_FRONT;
    fs_build(&full_up, &o);
    printf("fault injection through the lwIP %s port (fake altcp): session of %zu server octets\n",
           LWIP_VERSION_STRING, full.len);

    {
        fault_t f = {FS_NONE, K_ERR, 0, false, 0, 0xFFFF};
        g_what = "baseline";
        run(&full, &f, "no fault");
        fa_report("baseline: full session", 1, g_failures);
    }
    loop_cut(&full, "err callback (ERR_RST) at every offset", K_ERR, 0, false, 0xFFFF);
    loop_cut(&full_up, "err callback at every offset (DELE queued up front)", K_ERR, 0, false, 0xFFFF);
    loop_cut(&full, "err callback at every offset, pausing, sndbuf 5", K_ERR, 1, false, 5);
    loop_cut(&full, "FIN at every offset", K_FIN, 0, false, 0xFFFF);
    loop_cut(&full, "FIN at every offset, pausing (FIN while input held)", K_FIN, 1, false, 0xFFFF);
    loop_cut(&full, "err callback at every offset, one octet per pbuf", K_ERR, 0, true, 0xFFFF);
    loop_split(&full, "pbuf chain split at every offset", 0, 0xFFFF);
    loop_split(&full, "pbuf chain split at every offset, pausing, sndbuf 3", 1, 3);
    {
        unsigned long r0 = g_runs, f0 = g_failures;
        fault_t f1 = {FS_NONE, K_ERR, 0, true, 0, 0xFFFF}, f2 = {FS_NONE, K_ERR, 0, true, 1, 1};
        g_what = "one octet per pbuf";
        run(&full, &f1, "no pause");
        run(&full, &f2, "pausing, sndbuf 1");
        fa_report("one octet per pbuf (and pausing, sndbuf 1)", g_runs - r0, g_failures - f0);
    }
    /* The same with a SASL login: AUTH SCRAM-SHA-256 in its three steps (short message). */
    memset(&o, 0, sizeof o);
    o.short_msg = true;
    o.login = FS_LOGIN_SASL_SCRAM;
    fs_build(&scram, &o);
    loop_cut(&scram, "SCRAM login: err callback at every offset", K_ERR, 0, false, 0xFFFF);
    loop_cut(&scram, "SCRAM login: FIN at every offset, pausing, sndbuf 5", K_FIN, 1, false, 5);
    loop_split(&scram, "SCRAM login: pbuf chain split at every offset, sndbuf 3", 1, 3);

    printf("fault_lwip: %lu runs, %lu faults injected, %lu failed; heap calls by the library: %lu "
           "(by mbedTLS's own allocator: %lu)\n", g_runs, g_faults, g_failures, hg_violations, hg_mbedtls_calls);
    if (summary != NULL && !fa_write_summary(summary, g_faults)) return 1;
    if (hg_violations > 0) {
        fprintf(stderr, "FAIL: the library called the heap %lu times\n", hg_violations);
        return 1;
    }
    return g_failures == 0 ? 0 : 1;
}
