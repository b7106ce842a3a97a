/**
 * @file cli_advice.c
 * @brief pop3-cli: errors that say what to do. What the session showed (the
 *        lines of the trace, the first octets of the connection, the
 *        capabilities) is kept here and turned into advice when a failure is
 *        reported.
 *
 * The first octets come from the POSIX port's record of what it received
 * (pop3_posix_first_octets(): raw, before TLS or the core saw them), and
 * whether and when TCP connected from pop3_posix_connected().
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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
    if (!w->got_line) {
        cli_watch_first(a); /* a TLS record that held a LF: say so before the core calls it a bad greeting */
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

/* The connection's first octets (at most 8: all the advice looks at); their count. */
static size_t cli_first(const cli_app_t *a, uint8_t first[8])
{
    return pop3_posix_first_octets(&a->port, first, 8U);
}

static bool cli_first_is_tls(const cli_app_t *a)
{
    uint8_t f[8];
    size_t n = cli_first(a, f);
    /* A TLS record: content type 20-23 (change_cipher_spec, alert, handshake, data), version 3.x. */
    return n >= 2U && f[0] >= 0x14U && f[0] <= 0x17U && f[1] == 0x03U;
}

/* "+OK" or "-ERR" first: the length of that word, else 0. */
static int cli_first_pop3_word(const cli_app_t *a)
{
    uint8_t f[8];
    size_t n = cli_first(a, f);
    if (n >= 3U && memcmp(f, "+OK", 3U) == 0) {
        return 3;
    }
    return n >= 4U && memcmp(f, "-ERR", 4U) == 0 ? 4 : 0;
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
    } else if ((st == POP3_ERR_TLS || st == POP3_ERR_CERT) && tls && cli_first_pop3_word(a) > 0) {
        cli_append(out, out_len, " (the server speaks plaintext POP3 on this port: it sent \"%s...\""
                   " where a TLS handshake was due; use --starttls (STLS) or --plain)",
                   cli_first_pop3_word(a) == 3 ? "+OK" : "-ERR");
    } else if ((st == POP3_ERR_TIMEOUT || st == POP3_ERR_CLOSED) && !tls && connecting &&
               pop3_posix_connected(&a->port, NULL) && !w->got_line) {
        uint8_t f[8];
        cli_append(out, out_len, " (connected, but no greeting came%s: the port may expect TLS from the"
                   " first byte (POP3S); try --tls)", cli_first(a, f) > 0U ? " (only non-POP3 octets)" : "");
    }
}

/* Before the greeting: TLS octets where POP3 text was due, or silence on 995. */
void cli_watch_first(cli_app_t *a)
{
    uint32_t up_ms;
    uint8_t f[8];
    if (a->opt.security == POP3_SEC_IMPLICIT_TLS || a->failed || a->watch.got_line ||
        !pop3_posix_connected(&a->port, &up_ms)) {
        return;
    }
    if (cli_first_is_tls(a)) {
        cli_fail(a, EXIT_TLS, "connection to %s:%" PRIu32 " failed: the server sent a TLS record where a"
                 " POP3 greeting was due: this port expects TLS from the first byte (POP3S); use --tls",
                 a->opt.host, a->opt.port);
        a->want_abort = true;
    } else if (cli_first(a, f) == 0U && a->opt.port == 995U &&
               pop3_posix_now_ms() - up_ms >= CLI_FIRST_BOUND_MS && a->opt.timeout_ms > CLI_FIRST_BOUND_MS) {
        cli_fail(a, EXIT_TIMEOUT, "connection to %s:995 failed: no greeting within %u s on the POP3S"
                 " port: it expects TLS from the first byte; use --tls (or -p 110 for STLS)",
                 a->opt.host, CLI_FIRST_BOUND_MS / 1000U);
        a->want_abort = true;
    }
}

int cli_watch_poll(cli_app_t *a)
{
    cli_watch_first(a);
    return (int)POP3_POSIX_TICK_MS;
}
