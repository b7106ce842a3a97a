/**
 * @file cli_advice.c
 * @brief pop3-cli: errors that say what to do. What the session showed (the
 *        lines of the trace, the first octets on the socket, the capabilities)
 *        is kept here and turned into advice when a failure is reported.
 *
 * The first octets are read with MSG_PEEK on the port's socket before the
 * port reads them (cli_watch_poll()): the POSIX port keeps no copy of what it
 * handed to TLS, and the CLI may not change the port. What is peeked stays in
 * the kernel for the port to read as usual.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "cli.h"

#define CLI_FIRST_BOUND_MS 2000U /* no octet in this long on port 995: it waits for a ClientHello */

static bool cli_starts(const char *line, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && strncasecmp(line, word, n) == 0;
}

/* The last CAPA list before the login (the core's own, after STLS if any), read off the
 * trace so that a capa after the login can show it without a CAPA of its own. */
static void cli_watch_capa(cli_app_t *a, const char *line, size_t len)
{
    cli_watch_t *w = &a->watch;
    if (w->capa_rx == 1U) {
        w->capa_rx = cli_starts(line, len, "+OK") ? 2U : 0U;
    } else if (len == 1U && line[0] == '.') {
        w->capa_rx = 0U;
        a->have_before = true;
    } else {
        cli_keep_before(a, line[0] == '.' ? line + 1 : line, line[0] == '.' ? len - 1U : len);
    }
}

void cli_watch_trace(cli_app_t *a, pop3_trace_dir_t dir, const char *line, size_t len)
{
    cli_watch_t *w = &a->watch;
    len = cli_chomp_len(line, len);
    if (dir == POP3_TRACE_SENT) {
        w->sent_stls = w->sent_stls || cli_starts(line, len, "STLS");
        if (!w->logged_in && len == 4U && cli_starts(line, len, "CAPA")) {
            w->capa_rx = 1U;
            a->have_before = a->before_cut = false;
            a->before_len = 0U;
        }
        return;
    }
    if (w->capa_rx != 0U) {
        cli_watch_capa(a, line, len);
    }
    w->got_line = true;
    w->last_len = pop3_sanitize(w->last, sizeof w->last, line, len < 80U ? len : 80U);
    w->last_cut = len > 80U;
    /* "LOGIN-DELAY 900" of a CAPA before the login: the wait to name if a login is refused. */
    if (!w->logged_in && cli_starts(line, len, "LOGIN-DELAY ")) {
        uint32_t v = 0U;
        size_t i;
        for (i = 12U; i < len && line[i] >= '0' && line[i] <= '9' && v < 100000000U; i++) {
            v = v * 10U + (uint32_t)(line[i] - '0');
        }
        w->login_delay = v;
        w->have_login_delay = i > 12U;
    }
}

/* Capability names from the bits the core learned, for "its CAPA lists: ...". */
static void cli_cap_names(uint32_t caps, char *out, size_t out_len)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        { POP3_CAP_USER, "USER" }, { POP3_CAP_SASL, "SASL" }, { POP3_CAP_STLS, "STLS" },
        { POP3_CAP_TOP, "TOP" }, { POP3_CAP_UIDL, "UIDL" }, { POP3_CAP_PIPELINING, "PIPELINING" },
        { POP3_CAP_RESP_CODES, "RESP-CODES" }, { POP3_CAP_LOGIN_DELAY, "LOGIN-DELAY" },
        { POP3_CAP_EXPIRE, "EXPIRE" }, { POP3_CAP_IMPLEMENTATION, "IMPLEMENTATION" },
        { POP3_CAP_UTF8, "UTF8" },
    };
    size_t i;
    out[0] = '\0';
    for (i = 0U; i < sizeof names / sizeof names[0]; i++) {
        if ((caps & names[i].bit) != 0U) {
            size_t used = strlen(out);
            snprintf(out + used, out_len - used, "%s%s", used > 0U ? " " : "", names[i].name);
        }
    }
    if (out[0] == '\0') {
        snprintf(out, out_len, "nothing this client knows");
    }
}

static bool cli_first_is_tls(const cli_watch_t *w)
{
    /* A TLS record: content type 20-23 (change_cipher_spec, alert, handshake, data), version 3.x. */
    return w->first_len >= 2U && w->first[0] >= 0x14U && w->first[0] <= 0x17U && w->first[1] == 0x03U;
}

static bool cli_first_is_pop3(const cli_watch_t *w)
{
    return (w->first_len >= 3U && memcmp(w->first, "+OK", 3U) == 0) ||
           (w->first_len >= 4U && memcmp(w->first, "-ERR", 4U) == 0);
}

static void cli_append(char *out, size_t out_len, const char *fmt, ...) CLI_PRINTF(3, 4);

static void cli_append(char *out, size_t out_len, const char *fmt, ...)
{
    size_t used = strlen(out);
    va_list ap;
    if (used + 1U >= out_len) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(out + used, out_len - used, fmt, ap);
    va_end(ap);
}

/* Exit 9 in STLS mode before the login: what the server offered, and the choices. */
static void cli_advise_stls(const cli_app_t *a, char *out, size_t out_len)
{
    const cli_watch_t *w = &a->watch;
    uint32_t caps = pop3_caps(&a->client);
    char names[160];
    if (w->sent_stls) {
        cli_append(out, out_len, " (the server offered STLS but refused it: \"%s%s\"; if it has POP3S,"
                   " try --tls, port 995)", w->last, w->last_cut ? "..." : "");
        return;
    }
    if ((caps & POP3_CAP_KNOWN) != 0U) {
        cli_cap_names(caps, names, sizeof names);
        cli_append(out, out_len, " (the server does not offer STLS on this port; its CAPA lists: %s."
                   " Choices: --tls if it has POP3S (port 995); --plain --allow-plaintext-login sends"
                   " the password in clear)", names);
        return;
    }
    cli_append(out, out_len, " (the server did not answer CAPA, so it offered no STLS. Choices: --tls if"
               " it has POP3S (port 995); --plain --allow-plaintext-login sends the password in clear)");
}

int cli_advise_exit(const cli_app_t *a, pop3_status_t st, const pop3_reply_t *r, int code)
{
    (void)a;
    /* Not a credential problem: a script must not treat it as a wrong password. */
    if (st == POP3_ERR_AUTH && r != NULL &&
        (r->code == POP3_RESP_LOGIN_DELAY || r->code == POP3_RESP_IN_USE)) {
        return EXIT_SERVER;
    }
    return code;
}

void cli_advise(const cli_app_t *a, pop3_status_t st, const pop3_reply_t *r, char *out, size_t out_len)
{
    const cli_watch_t *w = &a->watch;
    bool connecting = pop3_state(&a->client) != POP3_STATE_TRANSACTION && !w->logged_in;
    bool tls = a->opt.security == POP3_SEC_IMPLICIT_TLS;
    bool has_text = r != NULL && r->text != NULL && r->text_len > 0U;

    if (r != NULL && r->code == POP3_RESP_LOGIN_DELAY) {
        if (w->have_login_delay) {
            cli_append(out, out_len, " (the credentials may be right: the server refuses logins that"
                       " come sooner than %" PRIu32 " s after the last one (LOGIN-DELAY %" PRIu32
                       "); wait and retry)", w->login_delay, w->login_delay);
        } else {
            cli_append(out, out_len, " (the credentials may be right: the server asks to wait between"
                       " logins; it advertised no LOGIN-DELAY value; wait and retry)");
        }
    } else if (r != NULL && r->code == POP3_RESP_IN_USE) {
        cli_append(out, out_len, " (the credentials may be right: another session holds the mailbox"
                   " (another client, or one that did not QUIT); wait until it ends and retry)");
    } else if (st == POP3_ERR_SECURITY && a->opt.security == POP3_SEC_STLS && connecting) {
        cli_advise_stls(a, out, out_len);
    } else if (st == POP3_ERR_PROTOCOL && !has_text && w->got_line) {
        cli_append(out, out_len, " (last line received: \"%s%s\")", w->last, w->last_cut ? "..." : "");
    } else if ((st == POP3_ERR_TLS || st == POP3_ERR_CERT) && tls && cli_first_is_pop3(w)) {
        cli_append(out, out_len, " (the server speaks plaintext POP3 on this port: it sent \"%.*s...\""
                   " where a TLS handshake was due; use --starttls (STLS) or --plain)",
                   w->first[0] == '+' ? 3 : 4, (const char *)w->first);
    } else if ((st == POP3_ERR_TIMEOUT || st == POP3_ERR_CLOSED) && !tls && connecting && w->tcp_up &&
               !w->got_line) {
        cli_append(out, out_len, " (connected, but no greeting came%s: the port may expect TLS from the"
                   " first byte (POP3S); try --tls)", w->first_len > 0U ? " (only non-POP3 octets)" : "");
    }
}

/* Before the greeting: TLS octets where POP3 text was due, or silence on 995. */
static void cli_watch_check(cli_app_t *a, uint32_t now)
{
    cli_watch_t *w = &a->watch;
    if (a->opt.security == POP3_SEC_IMPLICIT_TLS || a->failed || w->got_line) {
        return;
    }
    if (cli_first_is_tls(w)) {
        cli_fail(a, EXIT_TLS, "connection to %s:%" PRIu32 " failed: the server sent a TLS record where a"
                 " POP3 greeting was due: this port expects TLS from the first byte (POP3S); use --tls",
                 a->opt.host, a->opt.port);
        a->want_abort = true;
    } else if (w->first_len == 0U && a->opt.port == 995U && now - w->up_ms >= CLI_FIRST_BOUND_MS &&
               a->opt.timeout_ms > CLI_FIRST_BOUND_MS) {
        cli_fail(a, EXIT_TIMEOUT, "connection to %s:995 failed: no greeting within %u s on the POP3S"
                 " port: it expects TLS from the first byte; use --tls (or -p 110 for STLS)",
                 a->opt.host, CLI_FIRST_BOUND_MS / 1000U);
        a->want_abort = true;
    }
}

int cli_watch_poll(cli_app_t *a)
{
    cli_watch_t *w = &a->watch;
    pop3_posix_t *p = &a->port;
    struct pollfd pfd;
    uint32_t now = pop3_posix_now_ms();
    ssize_t n;

    if (w->done || p->fd < 0 || p->connecting || w->got_line) {
        w->done = w->done || w->got_line;
        return (int)POP3_POSIX_TICK_MS; /* the port's own poll, as usual */
    }
    if (!w->tcp_up) {
        w->tcp_up = true;
        w->up_ms = now;
    }
    pfd.fd = p->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    (void)poll(&pfd, 1, (int)POP3_POSIX_TICK_MS);
    n = recv(p->fd, w->first, sizeof w->first, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) { /* once: by the next round the port has read these and later octets show */
        w->first_len = (size_t)n;
        w->done = true;
    }
    cli_watch_check(a, now);
    return 0; /* the port's poll without waiting: this one waited */
}
