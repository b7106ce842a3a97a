/*
 * Shared libFuzzer harness: a fake port driving the POP3 core with fuzzed
 * server bytes, splits, pauses, aborts, short sends and clock ticks, plus a
 * reference model of the reply framing and of dot-unstuffing that the core's
 * results are checked against. Input format: fuzz_harness.h.
 * This file: the checks after every core entry point, and the run; the other
 * pieces are in fuzz_harness_{ref,port,cb}.c (fuzz_harness_int.h).
 *
 * Every invariant failure prints "FUZZ INVARIANT VIOLATED: ..." and abort()s
 * so libFuzzer records the input as a crash.
 */
#include "fuzz_auth.h"
#include "fuzz_harness.h"
#include "fuzz_harness_int.h"
#include "fuzz_util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"

/* ------------------------------------------------------------------------ */
/* Checks after every core entry point                                      */
/* ------------------------------------------------------------------------ */

/* A queued login whose PASS is not sent yet legitimately holds the password in tx_buf. */
static bool login_waiting(void)
{
    int i;

    for (i = fz.ndone; i < fz.nq; i++) {
        if (fz.q[i].cmd == POP3_CMD_LOGIN && !fz.q[i].pass_done) {
            return true;
        }
    }
    return false;
}

static void after_core(void)
{
    pop3_client_t *c = &fz.client;

    fa_end();
    if (!login_waiting()) {
        fa_check_no_secret("tx_buf", fz.tx_buf, fz.tx_buf_len);
    }

    if ((fz.pass_sent || (fz.apop && !fz.login_queued)) && !login_waiting()) {
        FZ_CHECK(!mem_contains(fz.tx_buf, fz.tx_buf_len, FZ_PASS, strlen(FZ_PASS)),
                 "password still in tx_buf after PASS was sent");
    }
    if (pop3_state(c) == POP3_STATE_CLOSED && !fz.closed_seen) {
        int i;
        fz.closed_seen = true;
        FZ_CHECK(fz.connect_done == 1, "session closed without reporting CONNECT");
        for (i = 0; i < fz.nq; i++) {
            FZ_CHECK(fz.q[i].done, "session closed but %s (#%d) never got on_done", pop3_cmd_name((pop3_cmd_t)fz.q[i].cmd), i);
        }
        FZ_CHECK(!mem_contains(fz.tx_buf, fz.tx_buf_len, FZ_PASS, strlen(FZ_PASS)), "password left in tx_buf after close");
        FZ_CHECK(fz.port_closed || fz.close_calls == 1, "session closed but transport close not called");
    }
    if (fz.closed_seen) {
        FZ_CHECK(pop3_state(c) == POP3_STATE_CLOSED, "session left CLOSED");
        FZ_CHECK(!pop3_wants_write(c), "wants write after close");
    }
    if (!fz.paused) {
        FZ_CHECK(!pop3_is_paused(c) || fz.closed_seen, "core paused although no callback asked");
    }
}

static void tick(uint8_t sel)
{
    static const uint32_t deltas[8] = {1, 50, 1000, 29999, 30000, 30001, 60000, 0x7FFFFFFFU};

    fz.now += deltas[sel & 7];
    pop3_tick(&fz.client, fz.now);
    after_core();
}

static void resume(void)
{
    fz.paused = false;
    pop3_resume(&fz.client);
    after_core();
}

/* Feeds server bytes [off, off+len) in one pop3_on_input call. */
static size_t feed(size_t off, size_t len)
{
    uint8_t *blk = malloc(len);
    size_t r;
    bool was_tls_started = fz.tls_started_in_input;

    FZ_CHECK(blk != NULL, "harness: out of memory");
    memcpy(blk, fz.srv + off, len);
    fz.in_input = true;
    fz.chunk = blk;
    fz.chunk_len = len;
    fz.chunk_base = off;
    if (off + len > fz.fed_end) {
        fz.fed_end = off + len;
    }
    dbg("feed [%zu, +%zu)", off, len);
    r = pop3_on_input(&fz.client, blk, len);
    fz.in_input = false;
    dbg("  consumed %zu%s", r, pop3_is_paused(&fz.client) ? " (paused)" : "");
    FZ_CHECK(r <= len, "pop3_on_input returned %zu for %zu octets", r, len);
    if (r < len) {
        FZ_CHECK(pop3_is_paused(&fz.client) || pop3_state(&fz.client) == POP3_STATE_CLOSED,
                 "pop3_on_input consumed %zu of %zu octets while neither paused nor closed", r, len);
    }
    if (!was_tls_started && fz.tls_started_in_input) {
        /* Response injection (CVE-2021-22947 class): TLS only when "+OK" ended the chunk. */
        FZ_CHECK(r == len && blk[len - 1] == '\n', "STLS handshake started with %zu octets after the +OK in the same chunk",
                 len - r);
        FZ_CHECK(fz.srv[off + len - 1] == '\n', "STLS handshake started mid-line");
    }
    fz.consumed = off + r;
    free(blk);
    fz.chunk = NULL;
    after_core();
    return r;
}


/* ------------------------------------------------------------------------ */
/* The run                                                                  */
/* ------------------------------------------------------------------------ */

static const uint8_t reply_script[] = {0, 1, 3, 2, 4, 5, 6, 7, 8, 9, 10};
/* login (12) / APOP (13) is added in front by the session target */
static const uint8_t session_script[] = {0, 1, 3, 5, 8, 10};

static const char reply_prefix[] = "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n"
                                   "+OK\r\nUSER\r\nTOP\r\nUIDL\r\n.\r\n"
                                   "+OK\r\n"
                                   "+OK logged in\r\n";
/* fuzz_reply with opt1 bit 0: the same, PIPELINING advertised */
static const char reply_prefix_pipe[] = "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n"
                                        "+OK\r\nUSER\r\nTOP\r\nUIDL\r\nPIPELINING\r\n.\r\n"
                                        "+OK\r\n"
                                        "+OK logged in\r\n";

static void free_run(void)
{
    free(fz.line_buf);
    free(fz.tx_buf);
    free(fz.srv);
    free(fz.sent);
    free(fz.body);
    free(fz.ref_out);
    free(fz.ref_map);
}

static const uint8_t *section(const uint8_t *data, size_t size, size_t *pos, fz_stream_t *s)
{
    size_t n = 0;

    memset(s, 0, sizeof *s);
    if (*pos < size) {
        n = data[(*pos)++];
        if (n > size - *pos) {
            n = size - *pos;
        }
        s->p = data + *pos;
        s->n = n;
        *pos += n;
    }
    return s->p;
}

static void handle_tls(void)
{
    pop3_status_t st = POP3_OK;

    fz.tls_requested = false;
    if (fz.tls_outcome == 1) {
        st = POP3_ERR_CERT;
    } else if (fz.tls_outcome == 2) {
        st = POP3_ERR_TLS;
    }
    if (st == POP3_OK) {
        fz.tls_ok = true;
        fz.tls_off = fz.consumed; /* the handshake began where the +OK to STLS ended its chunk */
        fz.sent_pre_tls = fz.sent_len;
        FZ_CHECK(!fz.pending_valid, "bytes still unsent when TLS starts");
    }
    pop3_on_tls_done(&fz.client, st);
    after_core();
    if (st != POP3_OK) {
        FZ_CHECK(pop3_state(&fz.client) == POP3_STATE_CLOSED, "session open after a failed handshake");
        FZ_CHECK(pop3_session_status(&fz.client) == st, "handshake failure %s reported as %s", st_name(st),
                 st_name(pop3_session_status(&fz.client)));
    }
}

int fz_run(const uint8_t *data, size_t size, int target)
{
    pop3_config_t cfg;
    size_t pos = 2, srv_off = 0, prefix_len = 0;
    const char *prefix = reply_prefix;
    static const size_t lbl[4] = {512, 513, 600, 1024};
    unsigned long iter, max_iter, stalled = 0;

    if (size < 2 || size > FZ_MAX_INPUT) {
        return 0;
    }
    memset(&fz, 0, sizeof fz);
    fa_reset(fz_decide);
    fz.target = target;
    fz.opt0 = data[0];
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    /* Development only, never in the ctest build: steer around library bugs
     * already reported (regressions/) while exploring for others. */
    fz.opt0 &= (uint8_t)~0x80U; /* early_reply_while_command_unsent */
#endif
    fz.opt1 = data[1];
    section(data, size, &pos, &fz.script);
    section(data, size, &pos, &fz.split);
    section(data, size, &pos, &fz.act);
    section(data, size, &pos, &fz.sendp);
    fz.script_from_input = (fz.opt0 & 0x20) != 0;
    fz.sent_pre_tls = (size_t)-1;
    if (target == FZ_TARGET_REPLY) {
        fz.security = POP3_SEC_PLAINTEXT;
        fz.allow_plain = true;
        fz.default_script = reply_script;
        fz.default_script_len = sizeof reply_script;
        if (fz.opt1 & 1U) {
            prefix = reply_prefix_pipe;
        }
        prefix_len = strlen(prefix);
        fz.depth = 1U + ((fz.opt1 >> 1) & 7U);
    } else {
        static const pop3_security_t modes[4] = {POP3_SEC_STLS, POP3_SEC_IMPLICIT_TLS, POP3_SEC_PLAINTEXT,
                                                 POP3_SEC_PLAINTEXT};
        fz.security = modes[fz.opt1 & 3];
        fz.allow_plain = (fz.opt1 & 3) == 3;
        fz.apop = (fz.opt1 & 4) != 0;
        fz.early_queue = (fz.opt1 & 8) != 0;
        fz.tls_outcome = (fz.opt1 >> 4) & 3;
        fz.start_tls_fails = (fz.opt1 & 0x40) != 0;
        fz.no_auth = (fz.opt1 & 0x80) != 0;
        fz.tls_boundary = (fz.opt0 & 0x40) != 0;
        fz.default_script = session_script;
        fz.default_script_len = sizeof session_script;
        fz.depth = 1U + (unsigned)(fz.script.n & 7U); /* opt1 is full: the SCRIPT section's length */
    }

    /* Server stream: [fixed prefix] + fuzzed bytes. */
    fz.srv_len = prefix_len + (size - pos);
    fz.srv = malloc(fz.srv_len + 1U);
    memcpy(fz.srv, prefix, prefix_len);
    memcpy(fz.srv + prefix_len, data + pos, size - pos);
    fz.body = malloc(fz.srv_len + 1U);
    fz.ref_out = malloc(fz.srv_len + 1U);
    fz.ref_map = malloc((fz.srv_len + 1U) * sizeof *fz.ref_map);

    /* Exactly sized heap buffers so ASan sees any write past them. */
    fz.line_buf_len = lbl[fz.opt0 & 3];
    fz.tx_buf_len = POP3_MIN_TX_BUF_LEN + ((fz.opt0 & 4) ? 100U : 0U);
    fz.line_buf = malloc(fz.line_buf_len);
    fz.tx_buf = malloc(fz.tx_buf_len);
    fa_set_tx(fz.tx_buf, fz.tx_buf_len);
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = fz.line_buf;
    cfg.line_buf_len = fz.line_buf_len;
    cfg.tx_buf = fz.tx_buf;
    cfg.tx_buf_len = fz.tx_buf_len;
    cfg.transport.send = fz_send;
    cfg.transport.start_tls = fz_start_tls;
    cfg.transport.close = fz_close;
    cfg.transport.wake = fz_wake;
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_body = on_body;
    cfg.callbacks.on_list = on_list;
    cfg.callbacks.on_uidl = on_uidl;
    cfg.callbacks.on_capa = on_capa;
    cfg.callbacks.on_trace = on_trace;
    cfg.security = fz.security;
    cfg.allow_plaintext_login = fz.allow_plain;
    cfg.pipeline_depth = (uint8_t)fz.depth; /* 1..8 = POP3_QUEUE_LEN: as the core applies it */
    FZ_CHECK(pop3_init(&fz.client, &cfg) == POP3_OK, "pop3_init failed");

    fz.now = 1000U;
    FZ_CHECK(pop3_start(&fz.client, fz.now) == POP3_OK, "pop3_start failed");
    if (target == FZ_TARGET_SESSION) {
        pump_script(); /* only with opt1 bit 3: commands queued before the connection */
    }
    pop3_on_connected(&fz.client);
    after_core();

    if (target == FZ_TARGET_REPLY) {
        /* Fixed prefix, quietly: greeting, CAPA, USER, PASS; then TRANSACTION. */
        fz.quiet = true;
        /* One reply per chunk: a server answers only what it was asked. */
        static const char *const ends[] = {"\r\n", "\n.\r\n", "+OK\r\n", "logged in\r\n"};
        size_t k, at = 0;
        for (k = 0; k < 4; k++) {
            size_t end = (size_t)(strstr(prefix + at, ends[k]) - prefix) + strlen(ends[k]);
            FZ_CHECK(feed(at, end - at) == end - at, "fixed prefix: reply %zu not consumed", k);
            at = end;
            if (k == 1) {
                FZ_CHECK(fz.connect_done == 1 && fz.connect_st == POP3_OK, "fixed prefix: CONNECT failed");
                (void)queue_op(12);
            }
        }
        FZ_CHECK(at == prefix_len, "fixed prefix: length");
        srv_off = at;
        FZ_CHECK(pop3_state(&fz.client) == POP3_STATE_TRANSACTION && fz.ndone == 1 && fz.q[0].st == POP3_OK,
                 "fixed prefix: not in TRANSACTION");
        fz.quiet = false;
        pump_script();
    }

    max_iter = 4UL * fz.srv_len + 256UL;
    for (iter = 0; iter < max_iter && !fz.closed_seen; iter++) {
        uint8_t b;
        size_t len, wb_cut = (size_t)-1;

        pump_script();
        if (fz.tls_requested) {
            if (fz.tls_outcome == 3 && srv_off < fz.srv_len) {
                /* Plaintext arriving before the handshake ended: a conforming port
                 * drops it and fails; here it reaches the core, which must not
                 * treat it as a reply. */
                fz.tls_outcome = 0;
                srv_off += feed(srv_off, 1);
                if (fz.closed_seen) {
                    break;
                }
            }
            handle_tls();
            continue;
        }
        if (pop3_is_paused(&fz.client)) {
            b = fz_next(&fz.act);
            if (b & 0x10) {
                tick(b);
            }
            resume();
            continue;
        }
        if (pop3_wants_write(&fz.client)) {
            pop3_on_writable(&fz.client);
            after_core();
        }
        if (srv_off >= fz.srv_len || fz.closed_seen) {
            break;
        }
        if (!(fz.opt0 & 0x80)) {
            /* A well-behaved server answers only what it has received. */
            size_t lim = wb_limit();
            if (srv_off >= lim) {
                if (fz.pending_valid) {
                    if (++stalled > 64) {
                        break; /* the client cannot send: the server waits (end action follows) */
                    }
                    continue;
                }
                lim = fz.srv_len; /* nothing more was asked: the rest is unsolicited */
            }
            stalled = 0;
            if (lim < fz.srv_len) {
                wb_cut = lim - srv_off;
            }
        }
        b = fz_next(&fz.split);
        len = b == 0 ? fz.srv_len - srv_off : ((b & 0x7FU) == 0 ? 128U : (size_t)(b & 0x7FU));
        if (len > fz.srv_len - srv_off) {
            len = fz.srv_len - srv_off;
        }
        if (len > wb_cut) {
            len = wb_cut;
        }
        if (fz.tls_boundary && fz.stls_sent && !fz.tls_ok) {
            /* A well-behaved server: its TLS records follow the handshake, so
             * the plaintext reply to STLS ends its segment. */
            const uint8_t *nl = memchr(fz.srv + srv_off, '\n', len);
            if (nl != NULL) {
                len = (size_t)(nl - (fz.srv + srv_off)) + 1U;
            }
        }
        if (b & 0x80) {
            tick(fz_next(&fz.act));
            if (fz.closed_seen) {
                break;
            }
        }
        srv_off += feed(srv_off, len);
    }

    /* The server's bytes are exhausted (or the session ended). */
    if (!fz.closed_seen) {
        switch ((fz.opt0 >> 3) & 3) {
        case 0:
            fz.port_closed = true;
            pop3_on_closed(&fz.client, POP3_ERR_TRANSPORT);
            break;
        case 1:
            fz.now += 0x7FFFFFFFU;
            pop3_tick(&fz.client, fz.now);
            break;
        case 2:
            if (head_q() != NULL) {
                head_q()->app_abort = true;
            }
            pop3_abort(&fz.client);
            break;
        default:
            fz.port_closed = true;
            pop3_on_closed(&fz.client, POP3_OK);
            break;
        }
        after_core();
        if (!fz.closed_seen) {
            fz.port_closed = true;
            pop3_on_closed(&fz.client, POP3_ERR_TRANSPORT);
            after_core();
        }
    }
    FZ_CHECK(fz.closed_seen, "session not closed after the port reported the close");
    check_against_reference();
    dbg("at most %d commands on the wire at once (depth %u)", fz.max_wire > 0 ? fz.max_wire : 1, fz.depth);
    free_run();
    return 0;
}
