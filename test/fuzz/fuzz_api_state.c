/*
 * fuzz_api (fuzz_api.h): the run state, the two input streams (program from
 * the front, decisions from the back), the bookkeeping of library calls in
 * progress and of owed commands with the checks made on it, and the queries.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_api.h"
#include "fuzz_util.h"
#include "pop3.h"

api_state_t A;
const char *const k_names[] = {"pop3_init", "pop3_start", "pop3_on_connected", "pop3_on_input",
                                      "pop3_on_writable", "pop3_on_tls_done", "pop3_on_closed", "pop3_tick",
                                      "a command function", "pop3_resume", "pop3_abort", "a query"};

static int api_debug = -1;
void dbg(const char *fmt, ...)
{
    va_list ap;

    if (api_debug < 0) {
        api_debug = getenv("FZ_TRACE") != NULL;
    }
    if (!api_debug) {
        return;
    }
    va_start(ap, fmt);
    fprintf(stderr, "[api] ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* ------------------------------------------------------------------------ */
/* Input                                                                    */
/* ------------------------------------------------------------------------ */

bool prog_more(void)
{
    return A.front < A.back;
}

uint8_t prog(void)
{
    return A.front < A.back ? A.data[A.front++] : 0;
}

uint8_t dec(void)
{
    return A.back > A.front ? A.data[--A.back] : 0;
}

/* One decision of kind @p k: the policy if set, else the next byte from the back. */
uint8_t decide(int k)
{
    return A.policy[k] != 0 ? A.policy[k] : dec();
}

/* ------------------------------------------------------------------------ */
/* Bookkeeping                                                              */
/* ------------------------------------------------------------------------ */

pop3_client_t *cl(void)
{
    return &A.client;
}

bool is_open(void)
{
    return !A.core_closed && !A.port_closed;
}

bool port_window(void)
{
    return A.init_ok && A.starts_ok > 0 && is_open();
}

void enter(int kind)
{
    FZ_CHECK(A.depth < (int)(sizeof A.stack / sizeof A.stack[0]), "harness: call stack too deep");
    A.stack[A.depth].kind = kind;
    A.stack[A.depth].was_open = false;
    A.depth++;
}

void leave(void)
{
    A.depth--;
}

int innermost(void)
{
    return A.depth > 0 ? A.stack[A.depth - 1].kind : -1;
}

const char *inner_name(void)
{
    return A.depth > 0 ? k_names[A.stack[A.depth - 1].kind] : "(nothing)";
}

/* First command still owed a report (provisional ones included). */
api_q_t *owed(void)
{
    while (A.head < A.nq && (A.q[A.head].done || A.q[A.head].rejected)) {
        A.head++;
    }
    return A.head < A.nq ? &A.q[A.head] : NULL;
}

int owed_count(void)
{
    int i, n = 0;

    for (i = A.head; i < A.nq; i++) {
        n += !A.q[i].done && !A.q[i].rejected;
    }
    return n;
}

void check_state(const char *where)
{
    pop3_state_t s = pop3_state(cl());

    FZ_CHECK((unsigned)s <= (unsigned)POP3_STATE_CLOSED, "pop3_state() = %d (%s)", (int)s, where);
    if (A.closed_seen) {
        FZ_CHECK(s == POP3_STATE_CLOSED, "state %d after CLOSED (%s)", (int)s, where);
    }
}

/* Rules every call from the core into the harness obeys. */
void from_core(const char *what, const void *ctx, const void *want_ctx)
{
    FZ_CHECK(A.touched && A.init_ok, "%s called on a client whose pop3_init() failed (from %s)", what, inner_name());
    FZ_CHECK(ctx == want_ctx, "%s: wrong ctx pointer", what);
    FZ_CHECK(A.depth > 0, "%s called outside any library call", what);
    FZ_CHECK(innermost() != K_INIT && innermost() != K_START, "%s called from inside %s", what, inner_name());
    check_state(what);
}

void touch(const void *p, size_t n)
{
    const volatile uint8_t *v = p;
    uint8_t acc = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        acc ^= v[i];
    }
    (void)acc;
}

/* After every call the harness makes at top level: the state between events. */
void quiescent(const char *after)
{
    pop3_client_t *c = cl();
    int i;

    FZ_CHECK(A.depth == 0, "harness: depth %d", A.depth);
    if (!A.touched || !A.init_ok) {
        return;
    }
    check_state(after);
    if (pop3_state(c) == POP3_STATE_CLOSED) {
        A.closed_seen = true;
        if (A.accounting) {
            for (i = A.head; i < A.nq; i++) {
                FZ_CHECK(A.q[i].done || A.q[i].rejected, "after %s: session CLOSED but %s (#%d, accepted) never got on_done",
                         after, pop3_cmd_name((pop3_cmd_t)A.q[i].cmd), i);
            }
            if (A.starts_ok > 0) {
                FZ_CHECK(A.connect_reports == 1, "after %s: session started and CLOSED, CONNECT reported %d times", after,
                         A.connect_reports);
            }
        }
        if (A.starts_ok > 0) {
            FZ_CHECK(A.core_closed || A.port_closed, "after %s: session CLOSED but transport close not called", after);
        }
        FZ_CHECK(!pop3_wants_write(c), "after %s: wants write while CLOSED", after);
        return;
    }
    if (A.blocked) {
        FZ_CHECK(pop3_wants_write(c), "after %s: send() would-block but pop3_wants_write() is false (no "
                 "pop3_on_writable() would ever come)", after);
    }
    if (pop3_wants_write(c)) {
        FZ_CHECK(A.pending_valid, "after %s: pop3_wants_write() with no unsent octets", after);
    }
    /* Liveness: the set-up always has its CAPA/STLS in flight; a ready session that owes commands
     * has one in flight (sent, its reply not complete) or waiting to be written. */
    if (!A.fr.off && !A.pending_valid && !pop3_is_paused(c) && A.fr.next >= A.fr.nsent) {
        FZ_CHECK(pop3_state(c) != POP3_STATE_SETUP, "after %s: set-up stalled (every reply received, nothing sent)",
                 after);
        if (A.accounting && (pop3_state(c) == POP3_STATE_AUTH || pop3_state(c) == POP3_STATE_TRANSACTION)) {
            FZ_CHECK(owed_count() == 0, "after %s: %d commands owed (%s first), every reply received, nothing sent: "
                     "stalled", after, owed_count(), pop3_cmd_name((pop3_cmd_t)owed()->cmd));
        }
    }
    if (pop3_is_paused(c) && pop3_state(c) != POP3_STATE_CLOSED) {
        FZ_CHECK(A.pause_asked, "after %s: paused although no callback returned PAUSE since the last resume", after);
    }
}


/* ------------------------------------------------------------------------ */
/* Queries                                                                  */
/* ------------------------------------------------------------------------ */

void queries(uint8_t v)
{
    pop3_client_t *c = cl();
    const char *s;
    char *out;
    size_t n, i;
    static const char text[] = "+OK \x1b]0;x\x07 caf\xc3\xa9\r\n\0tail";

    s = pop3_status_str((pop3_status_t)((int)v - 8));
    FZ_CHECK(s != NULL, "pop3_status_str(%d) is NULL", (int)v - 8);
    touch(s, strlen(s));
    s = pop3_cmd_name((pop3_cmd_t)((int)v - 8));
    FZ_CHECK(s != NULL, "pop3_cmd_name(%d) is NULL", (int)v - 8);
    touch(s, strlen(s));
    out = malloc(v > 0 ? v : 1U);
    n = pop3_sanitize(v > 0 ? out : NULL, v, text, sizeof text - 1U);
    if (v > 0) {
        FZ_CHECK(n < v && out[n] == '\0', "pop3_sanitize(%u) wrote %zu octets without room for NUL", (unsigned)v, n);
        for (i = 0; i < n; i++) {
            FZ_CHECK(out[i] >= 0x20 && out[i] <= 0x7E, "pop3_sanitize left octet 0x%02x", (unsigned char)out[i]);
        }
    } else {
        FZ_CHECK(n == 0, "pop3_sanitize into 0 octets wrote %zu", n);
    }
    free(out);
    if (!A.touched) {
        return;
    }
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    if (!A.init_ok) {
        return; /* failed_init_* */
    }
#endif
    enter(K_QUERY);
    check_state("query");
    (void)pop3_is_paused(c);
    (void)pop3_wants_write(c);
    (void)pop3_caps(c);
    (void)pop3_has_apop(c);
    (void)pop3_utf8_on(c);
    FZ_CHECK((unsigned)pop3_session_status(c) < (unsigned)POP3_STATUS_COUNT_, "pop3_session_status() = %d",
             (int)pop3_session_status(c));
    leave();
}
