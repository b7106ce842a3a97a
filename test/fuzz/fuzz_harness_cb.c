/*
 * fuzz_harness (fuzz_harness_int.h): the application callbacks (fuzzed
 * decisions, checks of every pointer and count they get) and the end-of-run
 * checks against the reference model.
 */
#include "fuzz_auth.h"
#include "fuzz_harness_int.h"
#include "fuzz_util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"

/* ------------------------------------------------------------------------ */
/* Application callbacks                                                    */
/* ------------------------------------------------------------------------ */

/* Shared by the streaming callbacks: order, pause and abort rules, then a decision. */
static pop3_cb_action_t stream_cb(const char *what, int want_cmd)
{
    fz_q_t *e = head_q();
    uint8_t b;

    FZ_CHECK(!fz.closed_seen, "%s after the session closed", what);
    FZ_CHECK(fz.in_input, "%s outside pop3_on_input", what);
    FZ_CHECK(!fz.paused, "%s while paused", what);
    FZ_CHECK(e != NULL && fz.connect_done > 0, "%s with no command in flight", what);
    FZ_CHECK(e->cmd == want_cmd || (want_cmd == POP3_CMD_RETR && e->cmd == POP3_CMD_TOP), "%s while %s is due", what,
             pop3_cmd_name((pop3_cmd_t)e->cmd));
    FZ_CHECK(e->last_d >= 0, "%s for a command never sent", what);
    FZ_CHECK(!e->cb_abort, "%s after the callback returned ABORT for this command", what);
    FZ_CHECK(fz.q[fz.ndone].a == 0 || is_body_cmd(e->cmd), "%s for a single-line LIST/UIDL n", what);
    e->entries++;
    dbg("%s entry %d", what, e->entries);
    b = fz.quiet ? 0 : (uint8_t)(fz_next(&fz.act) & 15);
    if (b <= 11) {
        return POP3_CB_CONTINUE;
    }
    if (b <= 13) {
        fz.paused = true;
        return POP3_CB_PAUSE;
    }
    if (b == 14) {
        e->cb_abort = true;
        e->abort_entry = e->entries;
        fz.d[e->last_d].abort_entry = e->entries;
        return POP3_CB_ABORT;
    }
    e->app_abort = true;
    pop3_abort(&fz.client);
    return POP3_CB_CONTINUE;
}

pop3_cb_action_t on_body(void *ctx, const char *data, size_t len)
{
    fz_q_t *e = head_q();
    int qi = fz.ndone;
    long off;
    pop3_cb_action_t act;

    (void)ctx;
    FZ_CHECK(len > 0, "on_body with length 0");
    FZ_CHECK(data != NULL, "on_body with NULL data");
    if (fz.in_input && ptr_in(data, len, fz.chunk, fz.chunk_len)) {
        off = (long)(fz.chunk_base + (size_t)((const uint8_t *)data - fz.chunk));
    } else if (ptr_in(data, len, fz.line_buf, fz.line_buf_len)) {
        off = -1;
    } else {
        /* The core hands a lone CR of ".\rX" from a constant (pop3_body.c). */
        FZ_CHECK(len == 1 && data[0] == '\r', "on_body: pointer %p (+%zu) outside the input chunk and the line buffer",
                 (const void *)data, len);
        off = -1;
    }
    act = stream_cb("on_body", POP3_CMD_RETR);
    if (e->body_len == 0) {
        e->body_start = fz.body_total;
    }
    FZ_CHECK(e->body_start + e->body_len == fz.body_total, "body of two commands interleaved");
    FZ_CHECK(fz.body_total + len <= fz.srv_len, "more body octets than server octets");
    memcpy(fz.body + fz.body_total, data, len);
    if (fz.nruns < FZ_MAXRUNS) {
        fz_run_t *r = &fz.runs[fz.nruns++];
        r->q = qi; /* fz.ndone moves on if the callback called pop3_abort() */
        r->out_index = e->body_len;
        r->len = len;
        r->stream_off = off;
    } else {
        fz.runs_overflow = true;
    }
    fz.body_total += len;
    e->body_len += len;
    return act;
}

pop3_cb_action_t on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    (void)ctx;
    (void)msg;
    (void)octets;
    return stream_cb("on_list", POP3_CMD_LIST);
}

pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    size_t i;

    (void)ctx;
    (void)msg;
    FZ_CHECK(uid_len >= 1 && uid_len <= 70, "on_uidl: uid of %zu octets", uid_len);
    check_rx_ptr("on_uidl uid", uid, uid_len);
    for (i = 0; i < uid_len; i++) {
        FZ_CHECK(uid[i] >= 0x21 && uid[i] <= 0x7E, "on_uidl: uid octet 0x%02x", (unsigned char)uid[i]);
    }
    return stream_cb("on_uidl", POP3_CMD_UIDL);
}

pop3_cb_action_t on_capa(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    FZ_CHECK(len > 0, "on_capa with an empty line");
    check_rx_ptr("on_capa line", line, len);
    FZ_CHECK(memchr(line, '\n', len) == NULL, "on_capa line holds LF");
    return stream_cb("on_capa", POP3_CMD_CAPA);
}

void on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    (void)ctx;
    if (dir == POP3_TRACE_SENT && auth_in_flight()) {
        fa_trace(line, len); /* its masks may be constants: checked for content instead */
    } else if (len > 0) {
        if (dir == POP3_TRACE_SENT) {
            /* Queued commands are traced from tx_buf; the core's own "CAPA"/"STLS" from its constants. */
            FZ_CHECK(ptr_in(line, len, fz.tx_buf, fz.tx_buf_len) ||
                         (len == 4 && (memcmp(line, "CAPA", 4) == 0 || memcmp(line, "STLS", 4) == 0)),
                     "sent trace outside tx_buf and the core's own CAPA/STLS");
        } else {
            check_rx_ptr("received trace", line, len);
        }
    }
    if (dir == POP3_TRACE_SENT) { /* (the server may echo anything back) */
        FZ_CHECK(!mem_contains(line, len, FZ_PASS, strlen(FZ_PASS)), "password in a sent-command trace line");
    }
}

void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    uint8_t b;

    (void)ctx;
    dbg("on_done(%s, %s) text \"%.*s\"", pop3_cmd_name(cmd), st_name(st), (int)(r != NULL && r->text_len < 80 ? r->text_len : 0),
        r != NULL && r->text != NULL ? r->text : "");
    FZ_CHECK(r != NULL, "on_done with a NULL reply");
    FZ_CHECK((unsigned)st < (unsigned)POP3_STATUS_COUNT_, "on_done with status %d", (int)st);
    FZ_CHECK(!fz.closed_seen, "on_done(%s, %s) after the session closed", pop3_cmd_name(cmd), st_name(st));
    if (r->text_len > 0) {
        check_rx_ptr("reply text", r->text, r->text_len);
    }
    if (r->uid_len > 0) {
        check_rx_ptr("reply uid", r->uid, r->uid_len);
    }
    if (cmd != POP3_CMD_AUTH || st != POP3_ERR_AUTH_TOKEN) {
        FZ_CHECK(r->oauth_status == NULL && r->oauth_scope == NULL, "on_done(%s, %s) with OAuth fields",
                 pop3_cmd_name(cmd), st_name(st));
    } else {
        /* Copied out of the server's JSON into the client (not line_buf): in range, and readable (ASan). */
        FZ_CHECK(r->oauth_status == NULL || (r->oauth_status_len <= POP3_OAUTH_STATUS_MAX_LEN &&
                                             !mem_contains(r->oauth_status, r->oauth_status_len, "\r", 1)),
                 "oauth_status of %zu octets", r->oauth_status_len);
        FZ_CHECK(r->oauth_scope == NULL || (r->oauth_scope_len <= POP3_OAUTH_SCOPE_MAX_LEN &&
                                            !mem_contains(r->oauth_scope, r->oauth_scope_len, "\r", 1)),
                 "oauth_scope of %zu octets", r->oauth_scope_len);
    }
    if (cmd == POP3_CMD_AUTH) {
        fa_reported(); /* tx_buf is checked once the core's call returned (wiping) */
    }
    if (cmd == POP3_CMD_CONNECT) {
        FZ_CHECK(fz.connect_done == 0, "CONNECT reported twice");
        FZ_CHECK(fz.ndone == 0, "CONNECT reported after a command");
        fz.connect_done = 1;
        fz.connect_st = st;
        if (st == POP3_OK) {
            FZ_CHECK(fz.security == POP3_SEC_PLAINTEXT || fz.tls_ok, "session ready without TLS (downgrade)");
        }
    } else {
        fz_q_t *e = head_q();
        FZ_CHECK(fz.connect_done > 0, "on_done(%s) before CONNECT", pop3_cmd_name(cmd));
        FZ_CHECK(e != NULL, "on_done(%s, %s) with nothing queued (extra report)", pop3_cmd_name(cmd), st_name(st));
        FZ_CHECK(e->cmd == (int)cmd, "on_done(%s) while %s is due (order)", pop3_cmd_name(cmd),
                 pop3_cmd_name((pop3_cmd_t)e->cmd));
        e->done = true;
        e->st = st;
        e->octets = r->octets;
        e->offered_end = fz.in_input ? fz.chunk_base + fz.chunk_len : fz.consumed;
        e->consumed_before = fz.in_input ? fz.chunk_base : fz.consumed;
        if ((cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP || cmd == POP3_CMD_AUTH) && st == POP3_OK) {
            FZ_CHECK(fz.security == POP3_SEC_PLAINTEXT || fz.tls_ok, "logged in without TLS");
            fz.trans = true;
        }
        if (st == POP3_OK && is_body_cmd((int)cmd)) {
            FZ_CHECK(r->octets == e->body_len, "%s OK: reply octets %llu but %zu delivered", pop3_cmd_name(cmd),
                     (unsigned long long)r->octets, e->body_len);
        }
        fz.ndone++;
    }
    if (fz.quiet) {
        return;
    }
    b = fz_next(&fz.act);
    if ((b & 15) >= 10 && (b & 15) <= 13) {
        (void)queue_op((uint8_t)(b >> 4));
    } else if ((b & 15) == 14) {
        fz_q_t *e = head_q();
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
        if (cmd == POP3_CMD_CONNECT && st != POP3_OK) {
            return; /* connect_reported_twice_abort_in_greeting_err */
        }
#endif
        if (e != NULL) {
            e->app_abort = true;
        }
        pop3_abort(&fz.client);
    } else if ((b & 15) == 15) {
        pop3_resume(&fz.client);
    }
    pump_script();
}


/* ------------------------------------------------------------------------ */
/* End-of-run checks against the reference                                  */
/* ------------------------------------------------------------------------ */

void check_against_reference(void)
{
    int i;

    ref_build();
    if (fz.connect_done && fz.connect_st == POP3_OK) {
        FZ_CHECK(fz.ref_greet.kind == 1, "CONNECT OK without a +OK greeting");
    }
    for (i = 0; i < fz.nq; i++) {
        fz_q_t *e = &fz.q[i];
        const char *name = pop3_cmd_name((pop3_cmd_t)e->cmd);
        fz_ref_t *r = e->last_d >= 0 ? &fz.ref[e->last_d] : NULL;
        bool reply_based = e->st == POP3_OK || e->st == POP3_ERR_SERVER || e->st == POP3_ERR_AUTH ||
                           (e->st == POP3_ERR_ABORTED && e->cb_abort && !e->app_abort) ||
                           (e->cmd == POP3_CMD_AUTH && e->st == POP3_ERR_AUTH_TOKEN);

#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
        if (r == NULL && e->st == POP3_ERR_SERVER) {
            continue; /* unsent_command_reported_server_err_after_quit_err */
        }
#endif
        if (reply_based) {
            FZ_CHECK(r != NULL, "#%d %s reported %s but was never sent", i, name, st_name(e->st));
            FZ_CHECK(r->complete && r->end <= e->offered_end,
                     "#%d %s reported %s before its reply was complete (reference: %s, end %zu, offered %zu)", i, name,
                     st_name(e->st), r->complete ? "complete" : "incomplete", r->end, e->offered_end);
            FZ_CHECK(e->cmd == POP3_CMD_AUTH || r->start >= fz.d[e->last_d].arrived,
                     "#%d %s reported %s from a reply that had arrived (offset %zu) before the command was sent (%zu)",
                     i, name, st_name(e->st), r->start, fz.d[e->last_d].arrived);
            if (e->st == POP3_OK) {
                FZ_CHECK(r->kind == 1, "#%d %s reported OK but the reply was not +OK", i, name);
            } else if (e->st != POP3_ERR_ABORTED && e->st != POP3_ERR_AUTH_TOKEN) {
                FZ_CHECK(r->kind == 2, "#%d %s reported %s but the reply was not -ERR", i, name, st_name(e->st));
            }
            if (e->st == POP3_OK && (e->cmd == POP3_CMD_LIST || e->cmd == POP3_CMD_UIDL || e->cmd == POP3_CMD_CAPA) &&
                e->a == 0) {
                FZ_CHECK(e->entries == r->entries, "#%d %s OK with %d entries, reference %d", i, name, e->entries, r->entries);
            }
        } else if (r != NULL && r->complete && r->kind != 3 && e->st != POP3_ERR_ABORTED) {
            FZ_CHECK(r->end > e->consumed_before,
                     "#%d %s reported %s although its whole reply had been consumed earlier (end %zu <= %zu)", i, name,
                     st_name(e->st), r->end, e->consumed_before);
        }
        if (is_body_cmd(e->cmd)) {
            size_t ref_len = r != NULL && r->kind == 1 ? r->out_len : 0;
            const uint8_t *ref = r != NULL ? fz.ref_out + r->out_start : NULL;
            FZ_CHECK(e->body_len <= ref_len && (e->body_len == 0 || memcmp(fz.body + e->body_start, ref, e->body_len) == 0),
                     "#%d %s: delivered body (%zu octets) is not a prefix of the reference body (%zu octets)", i, name,
                     e->body_len, ref_len);
            if (e->st == POP3_OK) {
                FZ_CHECK(r != NULL && r->complete && e->body_len == ref_len,
                         "#%d %s OK with %zu octets, reference body %zu octets%s", i, name, e->body_len, ref_len,
                         r != NULL && r->complete ? "" : " (no end marker)");
            }
            if (e->st == POP3_ERR_ABORTED && e->cb_abort && !e->app_abort) {
                FZ_CHECK(e->octets == e->body_len, "#%d %s ABORTED: octets %llu, delivered %zu", i, name,
                         (unsigned long long)e->octets, e->body_len);
            }
        }
    }
    if (!fz.runs_overflow) {
        for (i = 0; i < fz.nruns; i++) {
            const fz_run_t *run = &fz.runs[i];
            const fz_q_t *e = &fz.q[run->q];
            const fz_ref_t *r = &fz.ref[e->last_d];
            size_t t;
            if (run->stream_off < 0) {
                continue;
            }
            for (t = 0; t < run->len; t++) {
                FZ_CHECK(run->out_index + t < r->out_len &&
                             fz.ref_map[r->out_start + run->out_index + t] == (size_t)run->stream_off + t,
                         "body run %d of #%d: octet %zu comes from stream offset %zu, reference says otherwise", i, run->q,
                         run->out_index + t, (size_t)run->stream_off + t);
            }
        }
    }
}
