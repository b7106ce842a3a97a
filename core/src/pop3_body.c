/* Input side: status/list lines assembled in the caller's line buffer, and the
 * dot-stuffed body automaton. Both accept input split anywhere and scan with
 * memchr so callbacks get the longest contiguous runs, never a byte at a time. */
#include <string.h>

#include "pop3_internal.h"

/*
 * Collects one line into line_buf. Returns octets consumed; hands a complete
 * line (without CR LF) to pop3_handle_line(). A line that does not fit the
 * buffer is a protocol violation, detected before anything overflows.
 */
size_t pop3_rx_line(pop3_client_t *c, const uint8_t *data, size_t len)
{
    const uint8_t *nl = memchr(data, '\n', len);
    size_t take = nl != NULL ? (size_t)(nl - data) + 1U : len;
    size_t room = c->cfg.line_buf_len - c->line_len;
    size_t n;

    if (take > room) {
        POP3_LOG_WARN(("reply line longer than %u octets", (unsigned)c->cfg.line_buf_len));
        pop3_fail(c, POP3_ERR_PROTOCOL, true);
        return take;
    }
    memcpy(c->cfg.line_buf + c->line_len, data, take);
    c->line_len += take;
    if (nl == NULL) {
        return take;
    }
    n = c->line_len - 1U;           /* drop LF */
    if (n > 0 && c->cfg.line_buf[n - 1U] == '\r') {
        n--;                        /* and CR: a bare LF is tolerated in reply lines */
    }
    c->line_len = 0;
    if (memchr(c->cfg.line_buf, '\0', n) != NULL) {
        pop3_fail(c, POP3_ERR_PROTOCOL, true);
        return take;
    }
    pop3_handle_line(c, c->cfg.line_buf, n);
    return take;
}

/* Emits a run of body data; returns false when the application paused. */
static bool emit(pop3_client_t *c, const uint8_t *p, size_t n)
{
    if (n == 0 || c->discarding) {
        return true;
    }
    switch (pop3_deliver_body(c, (const char *)p, n)) {
    case POP3_CB_PAUSE:
        c->paused = true;
        return false;
    case POP3_CB_ABORT:
        c->discarding = true; /* drain to the end marker, then report ABORTED */
        return true;
    default:
        return true;
    }
}

/*
 * Scans from a position inside a line for CR LF "." (a stuffed dot or the end
 * marker) and emits everything before the dot in one run. Only CR LF ends a
 * line: a bare LF followed by "." is message data, so a body can never end
 * early and have its tail parsed as replies. @p prev_cr: the octet before
 * data[i] was a CR (it may have arrived in the previous chunk).
 * Returns the offset just past that LF (state BOL), or len.
 */
static size_t scan_mid(pop3_client_t *c, const uint8_t *data, size_t i, size_t len, bool prev_cr)
{
    size_t start = i, from = i;

    for (;;) {
        const uint8_t *nl = memchr(data + i, '\n', len - i);
        size_t k;
        if (nl == NULL) {
            c->body_state = data[len - 1U] == '\r' && len > from ? POP3_B_MID_CR : POP3_B_MID;
            emit(c, data + start, len - start);
            return len;
        }
        k = (size_t)(nl - data);
        i = k + 1U;
        if (!(k > from ? data[k - 1U] == '\r' : prev_cr)) {
            continue; /* bare LF: still the same line */
        }
        if (i == len || data[i] == '.') {
            c->body_state = POP3_B_BOL;
            emit(c, data + start, i - start);
            return i;
        }
    }
}

/*
 * The body automaton. States: BOL (line start), MID / MID_CR (inside a line,
 * last octet a CR or not), DOT (a '.' began the line: stuffing or end), DOT_CR
 * ('.' CR at line start). Only "." CR LF at a line start ends the body; the
 * CRLF before it belongs to the message. A '.' followed by anything else was
 * stuffing and is dropped.
 */
size_t pop3_rx_body(pop3_client_t *c, const uint8_t *data, size_t len)
{
    size_t i = 0;

    while (i < len && !c->paused && c->state != POP3_STATE_CLOSED) {
        switch (c->body_state) {
        case POP3_B_BOL:
            if (data[i] == '.') {
                c->body_state = POP3_B_DOT;
                i++;
            } else {
                i = scan_mid(c, data, i, len, false);
            }
            break;
        case POP3_B_MID:
        case POP3_B_MID_CR:
            i = scan_mid(c, data, i, len, c->body_state == POP3_B_MID_CR);
            break;
        case POP3_B_DOT:
            if (data[i] == '\r') {
                c->body_state = POP3_B_DOT_CR;
                i++;
            } else {
                i = scan_mid(c, data, i, len, false); /* stuffed dot already dropped */
            }
            break;
        default: /* POP3_B_DOT_CR */
            if (data[i] == '\n') {
                pop3_body_done(c);
                return i + 1U;
            }
            /* ".\rX": the dot was stuffing, the CR is data (X is not LF). */
            c->body_state = POP3_B_MID;
            emit(c, (const uint8_t *)"\r", 1);
            break;
        }
    }
    return i;
}
