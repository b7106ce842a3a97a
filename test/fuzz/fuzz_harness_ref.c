/*
 * fuzz_harness (fuzz_harness_int.h): the run state, small helpers, and the
 * reference model of the server stream: the framing of each reply, the
 * dot-unstuffed bodies and entry counts the core's results are checked
 * against.
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

fz_state_t fz;

uint8_t fz_next(fz_stream_t *s)
{
    uint8_t b;

    if (s->n == 0) {
        return 0;
    }
    b = s->p[s->i];
    s->i = (s->i + 1U) % s->n;
    return b;
}


static int fz_debug = -1; /* FZ_TRACE=1 in the environment: print the run's events to stderr */

void dbg(const char *fmt, ...)
{
    va_list ap;

    if (fz_debug < 0) {
        fz_debug = getenv("FZ_TRACE") != NULL;
    }
    if (!fz_debug) {
        return;
    }
    va_start(ap, fmt);
    fprintf(stderr, "[fz] ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

const char *st_name(pop3_status_t st)
{
    return pop3_status_str(st);
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

/* A decision for fuzz_auth.c (read_secret). */
uint8_t fz_decide(void)
{
    return fz.quiet ? 0 : fz_next(&fz.act);
}

/* Where a callback pointer may point: the chunk being fed or the line buffer. */
long check_rx_ptr(const char *what, const void *p, size_t len)
{
    if (len == 0) {
        return -1;
    }
    FZ_CHECK(p != NULL, "%s: NULL pointer with length %zu", what, len);
    if (fz.in_input && ptr_in(p, len, fz.chunk, fz.chunk_len)) {
        return (long)(fz.chunk_base + (size_t)((const uint8_t *)p - fz.chunk));
    }
    if (len == 1 && *(const char *)p == '\r') {
        return -1; /* the CR of a ".\r" that was stuffing: a constant of the body decoder */
    }
    FZ_CHECK(ptr_in(p, len, fz.line_buf, fz.line_buf_len), "%s: pointer %p (+%zu) outside the input chunk and the line buffer",
             what, p, len);
    return -1;
}

bool is_body_cmd(int cmd)
{
    return cmd == POP3_CMD_RETR || cmd == POP3_CMD_TOP;
}

fz_q_t *head_q(void)
{
    return fz.ndone < fz.nq ? &fz.q[fz.ndone] : NULL;
}


/* A SASL continuation line: "+" alone or "+ " and more ("+OK" is a status). */
bool is_cont(size_t ls, size_t ll)
{
    return ll >= 1 && fz.srv[ls] == '+' && (ll == 1 || fz.srv[ls + 1] == ' ');
}

/* ------------------------------------------------------------------------ */
/* Reference model of the server stream                                     */
/* ------------------------------------------------------------------------ */

/* One line ending in LF (CR before it removed). */
bool ref_line(size_t *pos, size_t *ls, size_t *ll)
{
    const uint8_t *nl;
    size_t e, n;

    if (*pos >= fz.srv_len) {
        return false;
    }
    nl = memchr(fz.srv + *pos, '\n', fz.srv_len - *pos);
    if (nl == NULL) {
        return false;
    }
    e = (size_t)(nl - fz.srv);
    n = e - *pos;
    if (n > 0 && fz.srv[e - 1] == '\r') {
        n--;
    }
    *ls = *pos;
    *ll = n;
    *pos = e + 1U;
    return true;
}

static int ref_kind(size_t ls, size_t ll)
{
    const uint8_t *l = fz.srv + ls;

    if (ll >= 3 && memcmp(l, "+OK", 3) == 0 && (ll == 3 || l[3] == ' ')) {
        return 1;
    }
    if (ll >= 4 && memcmp(l, "-ERR", 4) == 0 && (ll == 4 || l[4] == ' ')) {
        return 2;
    }
    return 3;
}

/*
 * Reference unstuffer (RFC 1939 section 3, the policy in README "Protocol
 * notes"): only CR LF ends a body line; "." CR LF at a line start ends the
 * body; any other '.' at a line start is dropped. The CRLF before the final
 * "." belongs to the message. With @p keep, the output and the stream offset
 * of each output octet go to ref_out/ref_map.
 */
static bool ref_body(size_t *pos, bool keep)
{
    size_t i = *pos;
    bool bol = true, prev_cr = false;

    while (i < fz.srv_len) {
        uint8_t b = fz.srv[i];
        if (bol) {
            bol = false;
            if (b == '.') {
                if (i + 2U < fz.srv_len && fz.srv[i + 1] == '\r' && fz.srv[i + 2] == '\n') {
                    *pos = i + 3U;
                    return true;
                }
                i++;
                prev_cr = false;
                continue;
            }
        }
        if (keep) {
            fz.ref_out[fz.ref_out_len] = b;
            fz.ref_map[fz.ref_out_len] = i;
            fz.ref_out_len++;
        }
        bol = b == '\n' && prev_cr;
        prev_cr = b == '\r';
        i++;
    }
    return false;
}

/* CAPA / LIST / UIDL lines up to "."; after an aborted entry the rest is drained as a body. */
static bool ref_lines(size_t *pos, fz_ref_t *r, bool capa, int abort_entry)
{
    size_t ls, ll;

    while (ref_line(pos, &ls, &ll)) {
        if (ll == 1 && fz.srv[ls] == '.') {
            return true;
        }
        if (ll > 0 && fz.srv[ls] == '.') {
            ls++;
            ll--;
        }
        if (capa && ll == 0) {
            continue;
        }
        r->entries++;
        if (abort_entry > 0 && r->entries == abort_entry) {
            return ref_body(pos, false);
        }
    }
    return false;
}

/*
 * The reply to AUTH: continuation lines, then one status line. A
 * well-behaved server sends element i only after the client's line i (the
 * AUTH line is line 0): with @p limit, where it may have sent up to once the
 * client sent @p lines complete lines. Returns whether framing goes on after it.
 */
static bool ref_auth(size_t *pos, fz_ref_t *r, int lines, size_t *limit)
{
    size_t ls, ll;
    int el = 0;
    bool set = false;

    if (limit != NULL && lines == 0) {
        *limit = *pos;
        set = true;
    }
    while (ref_line(pos, &ls, &ll)) {
        if (is_cont(ls, ll)) {
            r->entries++;
            if (limit != NULL && !set && ++el == lines) {
                *limit = *pos;
                set = true;
            }
            continue;
        }
        r->kind = ref_kind(ls, ll);
        r->complete = true;
        r->end = *pos;
        if (limit != NULL && !set) {
            *limit = *pos;
        }
        return r->kind != 3;
    }
    if (limit != NULL && !set) {
        *limit = fz.srv_len; /* the stream ends inside what the server may send */
    }
    return false;
}

/*
 * Frames the greeting and the replies to the first @p n sent commands. With
 * @p keep the results go to fz.ref / fz.ref_greet / fz.ref_out; otherwise only
 * where the last reply starts and ends is computed (fz.srv_len when unknown).
 */
void ref_frame(int n, bool keep, size_t *last_start, size_t *last_end)
{
    size_t pos = 0, ls, ll;
    int k;
    fz_ref_t scratch;

    *last_start = *last_end = fz.srv_len;
    if (keep) {
        memset(&fz.ref_greet, 0, sizeof fz.ref_greet);
        fz.ref_out_len = 0;
    }
    if (!ref_line(&pos, &ls, &ll)) {
        return;
    }
    if (keep) {
        fz.ref_greet.kind = ref_kind(ls, ll);
        fz.ref_greet.complete = true;
        fz.ref_greet.end = pos;
    }
    if (n == 0) {
        *last_start = *last_end = pos;
        return;
    }
    for (k = 0; k < n; k++) {
        fz_d_t *d = &fz.d[k];
        fz_ref_t *r = keep ? &fz.ref[k] : &scratch;
        bool body = memcmp(d->verb, "RETR", 4) == 0 || memcmp(d->verb, "TOP", 4) == 0;
        bool capa = memcmp(d->verb, "CAPA", 4) == 0;
        bool multi = capa || ((memcmp(d->verb, "LIST", 4) == 0 || memcmp(d->verb, "UIDL", 4) == 0) && !d->has_arg);

        memset(r, 0, sizeof *r);
        r->start = pos;
        if (k == n - 1) {
            *last_start = pos;
        }
        if (memcmp(d->verb, "AUTH", 4) == 0) {
            if (!ref_auth(&pos, r, d->lines, k == n - 1 ? last_end : NULL)) {
                return;
            }
            continue;
        }
        if (!ref_line(&pos, &ls, &ll)) {
            return;
        }
        r->kind = ref_kind(ls, ll);
        if (r->kind == 3) {
            r->complete = true;
            r->end = pos;
            if (k == n - 1) {
                *last_end = pos;
            }
            return; /* the core closes here; nothing after this is framed */
        }
        if (r->kind == 2 || (!body && !multi)) {
            r->complete = true;
            r->end = pos;
        } else {
            if (keep) {
                r->out_start = fz.ref_out_len;
            }
            r->complete = body ? ref_body(&pos, keep) : ref_lines(&pos, r, capa, d->abort_entry);
            if (keep) {
                r->out_len = fz.ref_out_len - r->out_start;
            }
            r->end = pos;
            if (!r->complete) {
                return;
            }
        }
        if (k == n - 1) {
            *last_end = pos;
        }
    }
}

void ref_build(void)
{
    size_t s0, e0;

    ref_frame(fz.nd, true, &s0, &e0);
}

/*
 * A well-behaved server (opt0 bit 7 clear) sends nothing beyond the reply to
 * the last command it has completely received: the stream offset up to which
 * bytes may be fed now. A command whose LF is still in the unsent rest of the
 * offer (several, when pipelined) has not been received.
 */
size_t wb_limit(void)
{
    size_t s0, e0, i;
    bool sent = !fz.pending_valid;
    int lines = fz.nd > 0 ? fz.d[fz.nd - 1].lines : 0;
    bool auth = fz.nd > 0 && memcmp(fz.d[fz.nd - 1].verb, "AUTH", 4) == 0;
    int k = fz.nd;

    if (!sent && !auth) {
        for (i = 0; i < fz.pending_len; i++) { /* each LF left: one command not received */
            k -= fz.pending[i] == '\n';
        }
    }
    if (fz.lim_nd != fz.nd || fz.lim_sent != sent || fz.lim_lines != lines || fz.lim_k != k || !fz.lim_valid) {
        /* Up to the start of the reply to the first command not received
         * (d[k]); all sent: to the end of the last reply (AUTH: by complete
         * lines, ref_auth). */
        ref_frame(sent || auth ? k : k + 1, false, &s0, &e0);
        fz.lim_value = sent || auth ? e0 : s0;
        fz.lim_nd = fz.nd;
        fz.lim_sent = sent;
        fz.lim_lines = lines;
        fz.lim_k = k;
        fz.lim_valid = true;
    }
    return fz.lim_value;
}

/*
 * A necessary condition for pipelining: a capability line "PIPELINING" (the
 * core's rule: first word, any case, a "/..." tail allowed, dot-unstuffed)
 * among the server octets fed since TLS came up (RFC 2595: what was learnt
 * in plaintext is forgotten). Any line counts, not only CAPA replies', so it
 * never fails a correct core; it catches pipelining that no advertisement in
 * force can explain (none at all, or only before STLS).
 */
bool pipelining_evidence(void)
{
    static const char name[] = "PIPELINING";
    size_t pos = fz.tls_off, ls, ll, k, n = sizeof name - 1U;

    while (ref_line(&pos, &ls, &ll) && pos <= fz.fed_end) {
        const uint8_t *l = fz.srv + ls;
        if (ll > 0 && l[0] == '.') {
            l++;
            ll--;
        }
        for (k = 0; k < n && k < ll && (l[k] & 0xDF) == (uint8_t)name[k]; k++) {
        }
        if (k == n && (ll == n || l[n] == ' ' || l[n] == '/')) {
            return true;
        }
    }
    return false;
}
