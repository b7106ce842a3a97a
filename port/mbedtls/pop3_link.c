/**
 * @file pop3_link.c
 * @brief The byte pipe under the core, plain or TLS (see pop3_link.h).
 *
 * No OS or lwIP headers: everything the port does goes through pop3_link_ops_t.
 */
#include "pop3_link.h"

#include <string.h>

/** Tell the core once and let go of the connection. */
static void link_end(pop3_link_t *l, pop3_status_t status, bool graceful)
{
    if (l->closed) {
        return;
    }
    l->closed = true;
    if (l->client != NULL) {
        pop3_on_closed(l->client, status);
    }
    l->ops->close(l->ctx, graceful);
}

/* ---- the core's transport ----------------------------------------------------- */

static long link_send(void *ctx, const uint8_t *data, size_t len)
{
    pop3_link_t *l = ctx;

    if (l->closed) {
        return -1;
    }
    return l->tls_on ? pop3_tls_send(l->tls, data, len) : l->ops->send(l->ctx, data, len);
}

/** First use sets TLS up (lazily: a plaintext session never loads trust anchors). */
static int link_start_tls(void *ctx)
{
    pop3_link_t *l = ctx;
    pop3_tls_ip_t ip;

    if (l->tls == NULL || l->tls_on || l->closed) {
        return -1;
    }
    memset(&ip, 0, sizeof ip);
    if (l->tls_cfg->host != NULL) {
        l->ops->parse_ip(l->tls_cfg->host, &ip);
    }
    if (pop3_tls_setup(l->tls, l->tls_cfg, &ip, l->ops->send, l->ctx) != POP3_OK ||
        pop3_tls_start(l->tls, l->client) != POP3_OK) {
        return -1; /* the core ends the session (POP3_ERR_TLS); the reason stays in tls */
    }
    l->tls_on = true;
    return 0;
}

/** The core is done: graceful after a normal end (QUIT), else abort. */
static void link_close(void *ctx)
{
    pop3_link_t *l = ctx;
    bool graceful = l->client != NULL && pop3_session_status(l->client) == POP3_OK;

    if (l->closed) {
        return;
    }
    l->closed = true;
    if (l->tls_on && graceful) {
        pop3_tls_close_notify(l->tls);
    }
    l->ops->close(l->ctx, graceful);
}

/** Never calls the core (pop3.h contract): the port's loop acts on the flag. */
static void link_wake(void *ctx)
{
    pop3_link_t *l = ctx;

    l->wake = true;
}

/* ---- set-up ----------------------------------------------------------------------- */

pop3_status_t pop3_link_init(pop3_link_t *l, const pop3_link_ops_t *ops, void *ctx,
                             const pop3_tls_config_t *tls_cfg, pop3_tls_t *tls)
{
    if (l == NULL) {
        return POP3_ERR_BAD_ARG;
    }
    memset(l, 0, sizeof *l);
    if (ops == NULL || (tls_cfg == NULL) != (tls == NULL)) {
        l->closed = true; /* unusable: every entry point does nothing, cleanup included */
        return POP3_ERR_BAD_ARG;
    }
    l->ops = ops;
    l->ctx = ctx;
    l->tls = tls;
    l->tls_cfg = tls_cfg;
    pop3_tls_init(tls);
    return POP3_OK;
}

pop3_transport_t pop3_link_transport(pop3_link_t *l)
{
    pop3_transport_t tr;

    tr.ctx = l;
    tr.send = link_send;
    tr.start_tls = link_start_tls;
    tr.close = link_close;
    tr.wake = link_wake;
    return tr;
}

pop3_status_t pop3_link_start(pop3_link_t *l, pop3_client_t *c, uint32_t now_ms)
{
    pop3_status_t st;

    if (l->client != NULL || l->closed) {
        return POP3_ERR_STATE;
    }
    st = pop3_start(c, now_ms);
    if (st == POP3_OK) {
        l->client = c;
    }
    return st;
}

void pop3_link_connected(pop3_link_t *l)
{
    if (l->closed || l->client == NULL || l->up) {
        return;
    }
    l->up = true;
    pop3_on_connected(l->client);
    if (!l->closed && pop3_wants_write(l->client)) {
        pop3_on_writable(l->client);
    }
}

/* ---- moving bytes ----------------------------------------------------------------------- */

void pop3_link_deliver(pop3_link_t *l)
{
    pop3_status_t st = POP3_OK;
    size_t avail = 0;

    if (l->closed || !l->up) {
        return;
    }
    if (l->tls_on) {
        st = pop3_tls_pump(l->tls); /* plaintext held by TLS comes before new ciphertext */
    }
    while (st == POP3_OK && !l->closed) {
        bool was_tls = l->tls_on;
        const uint8_t *data = l->ops->rx_peek(l->ctx, &avail);
        size_t n = 0;

        if (avail == 0U) {
            break;
        }
        if (was_tls) {
            st = pop3_tls_feed(l->tls, data, avail, &n);
        } else {
            n = pop3_on_input(l->client, data, avail);
        }
        if (l->closed) {
            return; /* the core closed: the port dropped what it held */
        }
        l->ops->rx_take(l->ctx, n);
        if (!was_tls && l->tls_on) {
            /* TLS started inside that call: what is still held came in plaintext
             * after "+OK" to STLS and must never reach TLS (response injection). */
            (void)l->ops->rx_peek(l->ctx, &avail);
            st = avail != 0U ? POP3_ERR_PROTOCOL : POP3_OK;
            break;
        }
        if (n < avail) {
            break; /* the core paused, or TLS wants no more now */
        }
    }
    if (st != POP3_OK) {
        link_end(l, st, false);
        return;
    }
    if (l->eof && !l->closed) {
        (void)l->ops->rx_peek(l->ctx, &avail);
        if (avail == 0U && !(l->tls_on && pop3_tls_has_pending(l->tls))) {
            link_end(l, POP3_ERR_TRANSPORT, true);
        }
    }
}

void pop3_link_eof(pop3_link_t *l)
{
    l->eof = true;
}

void pop3_link_writable(pop3_link_t *l)
{
    pop3_status_t st = POP3_OK;

    if (l->closed || !l->up) {
        return;
    }
    if (l->tls_on) {
        st = pop3_tls_on_writable(l->tls);
    }
    if (st != POP3_OK) {
        link_end(l, st, false);
    } else if (!l->closed && pop3_wants_write(l->client)) {
        pop3_on_writable(l->client);
    }
}

void pop3_link_service(pop3_link_t *l)
{
    l->wake = false;
    pop3_link_writable(l);
    pop3_link_deliver(l);
}

bool pop3_link_busy(const pop3_link_t *l)
{
    if (l->closed || l->client == NULL) {
        return false;
    }
    return l->wake || l->eof || pop3_wants_write(l->client) ||
           (l->tls_on && (pop3_tls_wants_write(l->tls) || pop3_tls_has_pending(l->tls)));
}

bool pop3_link_wants_write(const pop3_link_t *l)
{
    if (l->closed || !l->up) {
        return false;
    }
    /* During the handshake only TLS itself writes (the core's sends return 0). */
    return (pop3_wants_write(l->client) && pop3_state(l->client) != POP3_STATE_TLS) ||
           (l->tls_on && pop3_tls_wants_write(l->tls));
}

void pop3_link_fail(pop3_link_t *l, pop3_status_t status)
{
    link_end(l, status, false);
}

void pop3_link_cleanup(pop3_link_t *l)
{
    if (!l->closed && l->client != NULL && pop3_state(l->client) != POP3_STATE_CLOSED) {
        pop3_abort(l->client); /* the core's close() comes back through link_close() */
    }
    if (!l->closed) {
        l->closed = true;
        l->ops->close(l->ctx, false);
    }
    pop3_tls_free(l->tls); /* keeps the failure text */
    l->tls_on = false;
    l->wake = false;
}

const char *pop3_link_tls_error(const pop3_link_t *l)
{
    return l->tls != NULL ? pop3_tls_error_str(l->tls) : "";
}
