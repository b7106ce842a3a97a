/* Pure decoder of dot-stuffed multi-line bodies (RFC 1939 section 3), in the
 * manner of picohttpparser's phr_decode_chunked: it takes bytes and a state,
 * returns data runs and "end found at n", and calls nothing. memchr finds the
 * line ends, so a run is as long as the input allows: one run per chunk for
 * plain text, one more per stuffed dot.
 *
 * States: BOL (line start), MID / MID_CR (inside a line; the last octet was a
 * CR or not), DOT (a '.' began the line: stuffing or the end), DOT_CR ('.' CR
 * at a line start). Only "." CR LF at a line start ends the body; the CR LF
 * before it belongs to the message. A '.' followed by anything else was
 * stuffing and is dropped. Only CR LF ends a line: a bare LF followed by "."
 * is message data, so a body can never end early and have its tail parsed as
 * replies. */
#include <string.h>

#include "pop3_internal.h"

static const uint8_t cr = '\r';

/*
 * Inside a line from data[i]: scans to the next CR LF that is followed by '.'
 * (or by the end of the input) and returns the run up to it, in state BOL.
 * @p prev_cr: the octet before data[i] was a CR (maybe in an earlier chunk).
 */
static size_t scan_line(uint8_t *state, const uint8_t *data, size_t i, size_t len, bool prev_cr,
                        pop3_body_run_t *run)
{
    size_t from = i;

    run->data = data + from;
    for (;;) {
        const uint8_t *nl = memchr(data + i, '\n', len - i);
        size_t k;

        if (nl == NULL) {
            *state = (data[len - 1U] == '\r' && len > from) ? POP3_B_MID_CR : POP3_B_MID;
            run->len = len - from;
            return len;
        }
        k = (size_t)(nl - data);
        i = k + 1U;
        if ((k > from ? data[k - 1U] == '\r' : prev_cr) && (i == len || data[i] == '.')) {
            *state = POP3_B_BOL;
            run->len = i - from;
            return i;
        }
    }
}

size_t pop3_body_decode(uint8_t *state, const uint8_t *data, size_t len, pop3_body_run_t *run)
{
    size_t i = 0;

    run->data = NULL;
    run->len = 0;
    run->end = false;
    POP3_ASSERT(len > 0 && *state < POP3_B_COUNT_);
    for (;;) {
        switch (*state) {
        case POP3_B_BOL:
            if (data[i] != '.') {
                return scan_line(state, data, i, len, false, run);
            }
            *state = POP3_B_DOT;
            break;
        case POP3_B_MID:
        case POP3_B_MID_CR:
            return scan_line(state, data, i, len, *state == POP3_B_MID_CR, run);
        case POP3_B_DOT:
            if (data[i] != '\r') {
                return scan_line(state, data, i, len, false, run); /* the stuffed dot is dropped */
            }
            *state = POP3_B_DOT_CR;
            break;
        default: /* POP3_B_DOT_CR */
            if (data[i] == '\n') {
                *state = POP3_B_BOL;
                run->end = true;
                return i + 1U;
            }
            /* ".\rX": the dot was stuffing, the CR is data; X is read again in MID. */
            *state = POP3_B_MID;
            run->data = &cr;
            run->len = 1;
            return i;
        }
        if (++i == len) {
            return i;
        }
    }
}
