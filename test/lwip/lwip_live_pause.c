/*
 * Pause test of the lwIP port against the Dovecot fixture (lwip_live TEST
 * pause-plain, pause-tls): RETR of the 20 MB message paused three times;
 * while paused the TCP receive window must close.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "lwip/tcp.h"

#include "lwip_live.h"
#include "test_check.h"

/*
 * Pause test: state observed while paused. The window is closed when every
 * held octet is missing from the receive window (rcv_wnd + held == TCP_WND:
 * nothing held was acknowledged), the window still advertised to the peer
 * (rcv_ann_wnd) is below one MSS (the sender's silly-window avoidance then
 * stops it; it reaches exactly 0 only when the sender fills it to the octet),
 * and no octet arrived during the last 300 ms of a 600 ms pause.
 */
static double pause_started;
static size_t held_max, held_mark;
static unsigned wnd_min_ann = 0xFFFFFFFFU, wnd_min = 0xFFFFFFFFU, pauses_seen, pauses_closed;
static size_t body_at_pause;
static bool mark_taken, invariant_ok;

static bool pause_hook(session_t *s)
{
    struct tcp_pcb *tpcb = s->port.pcb != NULL ? (struct tcp_pcb *)s->port.pcb->state : NULL;
    size_t held = pop3_lwip_held(&s->port);
    double t;

    if (s->want_pause_now) {
        s->want_pause_now = false;
        pause_started = now_s();
        body_at_pause = s->body_total;
        mark_taken = false;
        invariant_ok = true;
        pauses_seen++;
    }
    t = now_s() - pause_started;
    if (held > held_max) {
        held_max = held;
    }
    if (tpcb != NULL) {
        if (tpcb->rcv_ann_wnd < wnd_min_ann) wnd_min_ann = tpcb->rcv_ann_wnd;
        if (tpcb->rcv_wnd < wnd_min) wnd_min = tpcb->rcv_wnd;
        if ((size_t)tpcb->rcv_wnd + held != (size_t)TCP_WND) {
            invariant_ok = false; /* a held octet was acknowledged, or more arrived than the window */
        }
    }
    CHECK(s->body_total == body_at_pause, "body data delivered while paused (%zu -> %zu)", body_at_pause,
          s->body_total);
    CHECK(held <= (size_t)TCP_WND, "held %zu octets while paused, more than TCP_WND %u", held, (unsigned)TCP_WND);
    if (t >= 0.3 && !mark_taken) {
        mark_taken = true;
        held_mark = held;
    }
    if (t >= 0.6) {
        bool closed = tpcb != NULL && invariant_ok && held == held_mark && tpcb->rcv_ann_wnd < TCP_MSS;
        if (closed) {
            pauses_closed++;
        } else {
            printf("pause %u not closed: held %zu (at 300 ms %zu), rcv_wnd %u, rcv_ann_wnd %u, invariant %d\n",
                   pauses_seen, held, held_mark, tpcb ? (unsigned)tpcb->rcv_wnd : 0U,
                   tpcb ? (unsigned)tpcb->rcv_ann_wnd : 0U, (int)invariant_ok);
        }
        return true;
    }
    return false;
}

void test_pause(mode_t_ mode)
{
    session_t *s = calloc(1, sizeof *s);
    char f_big[64];

    session_setup(s, mode, NULL, NULL);
    s->pause_at[0] = 100000;
    s->pause_at[1] = 5000000;
    s->pause_at[2] = 15000000;
    s->n_pause = 3;
    session_connect(s, mode);
    login_alice(s);
    CHECK(pop3_retr(&s->client, msg_big) == POP3_OK, "queue retr");
    CHECK(pop3_quit(&s->client) == POP3_OK, "queue quit");
    session_run(s, 300, pause_hook);
    expect_connect(s, POP3_OK);
    CHECK(pauses_seen == 3, "%u pauses, expected 3", pauses_seen);
    CHECK(pauses_closed == pauses_seen, "window closed (held = unacknowledged, stalled, < 1 MSS advertised) in %u of %u pauses",
          pauses_closed, pauses_seen);
    if (s->n_res == 3) {
        expect_ok(s, 1, POP3_CMD_RETR);
        snprintf(f_big, sizeof f_big, "expected/%u.eml", msg_big);
        expect_bytes("RETR (big, paused 3x)", &s->res[1].data, f_big);
    } else {
        tc_fail_at(__LINE__, "%d results, expected 3", s->n_res);
    }
    printf("pause %s: %u pauses, window closed in %u, held max %zu octets (TCP_WND %u), "
           "smallest rcv_wnd %u, smallest advertised window %u\n",
           mode == M_PLAIN ? "plain" : "tls", pauses_seen, pauses_closed, held_max, (unsigned)TCP_WND,
           wnd_min, wnd_min_ann);
    session_free(s);
    free(s);
}

