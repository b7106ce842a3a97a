/**
 * @file cli_check_report.c
 * @brief pop3-cli check: from what the probes saw (cli_check_t) to findings,
 *        one line each (ok / info / warn / FAIL, and what to do), or one JSON
 *        object with --json; the exit status: 0, CHK_EXIT_WARN, CHK_EXIT_FAIL.
 */
#include "cli_check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/x509.h>

enum { L_OK, L_INFO, L_WARN, L_FAIL };
static const char *const level_name[] = { "ok", "info", "warn", "FAIL" };
static const char *const level_json[] = { "ok", "info", "warn", "fail" };

#define CHK_MAX_FINDINGS 40U

typedef struct chk_find {
    const char *id;
    int level;
    char text[1600];
    char advice[320];
} chk_find_t;

typedef struct chk_list {
    chk_find_t f[CHK_MAX_FINDINGS];
    size_t n;
} chk_list_t;

static void CLI_PRINTF(5, 6) add(chk_list_t *L, const char *id, int level, const char *advice,
                                 const char *fmt, ...)
{
    chk_find_t *f;
    va_list ap;
    if (L->n == CHK_MAX_FINDINGS) {
        return;
    }
    f = &L->f[L->n++];
    f->id = id;
    f->level = level;
    va_start(ap, fmt);
    (void)vsnprintf(f->text, sizeof f->text, fmt, ap);
    va_end(ap);
    snprintf(f->advice, sizeof f->advice, "%s", advice != NULL ? advice : "");
}

static bool tls_ok(const chk_path_t *p)
{
    return p->tried && p->tls.done && p->tls.status == POP3_OK && p->st == POP3_OK;
}

/* The network's or the TLS adapter's reason, else the status. */
static const char *why(const chk_path_t *p)
{
    if (p->tls.done && p->tls.status != POP3_OK && p->tls.reason[0] != '\0') {
        return p->tls.reason;
    }
    if (p->err[0] != '\0') {
        return p->err;
    }
    if (p->net[0] != '\0') {
        return p->net;
    }
    return pop3_status_str(p->st);
}

/* All verification problems of the chain as received. */
static uint32_t chain_flags(const cli_tls_seen_t *t)
{
    uint32_t f = t->verify_flags;
    size_t i;
    for (i = 0U; i < t->nchain; i++) {
        f |= t->chain[i].flags;
    }
    return f;
}

static long chain_min_days(const cli_tls_seen_t *t)
{
    long d = t->nsent > 0U ? t->sent[0].days_left : 0L;
    size_t i;
    for (i = 1U; i < t->nsent; i++) {
        d = t->sent[i].days_left < d ? t->sent[i].days_left : d;
    }
    return d;
}

static void cert_finding(chk_list_t *L, const cli_check_t *k, const char *id, const chk_path_t *p,
                         const char *label)
{
    const cli_tls_seen_t *t = &p->tls;
    const cli_cert_info_t *leaf = cli_tls_leaf(t);
    uint32_t flags = chain_flags(t);
    long days = chain_min_days(t);
    char words[256];
    char advice[320];
    char desc[1200];
    char left[48];
    if (leaf == NULL) {
        return;
    }
    if (leaf->days_left < 0) {
        snprintf(left, sizeof left, "expired %ld day%s ago", -leaf->days_left, leaf->days_left == -1 ? "" : "s");
    } else {
        snprintf(left, sizeof left, "%ld day%s left", leaf->days_left, leaf->days_left == 1 ? "" : "s");
    }
    snprintf(desc, sizeof desc, "%s: %s, issued by %s, SAN %s, valid until %s (%s), %zu sent",
             label, leaf->subject, leaf->issuer, leaf->san[0] != '\0' ? leaf->san : "(none)",
             leaf->not_after, left, t->nsent + t->more);
    if (!t->verified) {
        add(L, id, L_WARN, "drop --insecure to verify it", "certificate NOT verified (--insecure): %s", desc);
        return;
    }
    if (flags != 0U) {
        cli_tls_flags_text(flags, words, sizeof words);
        advice[0] = '\0';
        if ((flags & MBEDTLS_X509_BADCERT_EXPIRED) != 0U) {
            strcat(advice, "renew the certificate; ");
        }
        if ((flags & MBEDTLS_X509_BADCERT_FUTURE) != 0U) {
            strcat(advice, "check the server's clock and the certificate's start date; ");
        }
        if ((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0U) {
            snprintf(advice + strlen(advice), sizeof advice - strlen(advice),
                     "put '%.80s' in the certificate's subjectAltName (or connect with a name it has); ",
                     k->a->opt.host);
        }
        if ((flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0U) {
            strcat(advice, "serve the whole chain (intermediate certificates), or give the private CA "
                           "with --cafile; ");
        }
        if (strlen(advice) >= 2U) {
            advice[strlen(advice) - 2U] = '\0';
        }
        add(L, id, L_FAIL, advice, "certificate %s: %s", words, desc);
    } else if (days < CHK_EXPIRY_WARN_DAYS) {
        add(L, id, L_WARN, "renew the certificate soon", "certificate expires in %ld day%s: %s", days,
            days == 1 ? "" : "s", desc);
    } else {
        add(L, id, L_OK, NULL, "certificate valid, name matches, chain trusted: %s", desc);
    }
}

static bool same_leaf(const cli_tls_seen_t *a, const cli_tls_seen_t *b)
{
    const cli_cert_info_t *x = cli_tls_leaf(a);
    const cli_cert_info_t *y = cli_tls_leaf(b);
    return x != NULL && y != NULL && x->der_len == y->der_len && x->der != NULL && y->der != NULL &&
           memcmp(x->der, y->der, x->der_len) == 0;
}

static void paths_findings(chk_list_t *L, const cli_check_t *k)
{
    const chk_path_t *s = &k->pop3s;
    const chk_path_t *t = &k->stls;
    bool stls_offered = chk_capa_find(&t->capa_plain, "STLS") != NULL;
    if (tls_ok(s)) {
        add(L, "pop3s", L_OK, NULL, "POP3S port %" PRIu32 ": %s, %s", k->port_tls, s->tls.version, s->tls.cipher);
    } else if (s->tls.done && s->tls.status != POP3_OK) {
        add(L, "pop3s", L_FAIL, "see the certificate finding, or the reason", "POP3S port %" PRIu32
            ": TLS handshake failed: %s", k->port_tls, why(s));
    } else if (s->tls.done || s->greeted) {
        add(L, "pop3s", L_FAIL, "check the server's log", "POP3S port %" PRIu32
            ": TLS up but the POP3 session failed: %s", k->port_tls, why(s));
    } else {
        add(L, "pop3s", tls_ok(t) ? L_WARN : L_FAIL,
            tls_ok(t) ? "offer implicit TLS on 995 (RFC 8314 prefers it)" : "check the host name, the ports and the firewall",
            "POP3S port %" PRIu32 " not usable: %s", k->port_tls, why(s));
    }
    if (!t->greeted) {
        if (tls_ok(s)) {
            add(L, "stls", L_INFO, NULL, "plaintext port %" PRIu32 " not reachable (%s): POP3S only, fine",
                k->port_stls, why(t));
        } else {
            add(L, "stls", L_FAIL, "check the host name, the ports and the firewall",
                "plaintext port %" PRIu32 " not reachable either: %s", k->port_stls, why(t));
        }
    } else if (!stls_offered) {
        add(L, "stls", tls_ok(s) ? L_WARN : L_FAIL,
            "enable STLS on this port, or close it if POP3S serves every client",
            "port %" PRIu32 " offers no STLS: logins there can only go without TLS", k->port_stls);
    } else if (tls_ok(t)) {
        add(L, "stls", L_OK, NULL, "STLS on port %" PRIu32 ": %s, %s", k->port_stls, t->tls.version, t->tls.cipher);
        if (!t->capa_tls.known) {
            add(L, "capa-after-stls", L_WARN, "answer CAPA after STLS (RFC 2595 section 4)",
                "no CAPA list after STLS");
        }
    } else {
        add(L, "stls", L_FAIL, "see the certificate finding, or the reason",
            "STLS on port %" PRIu32 " failed: %s", k->port_stls, why(t));
    }
    cert_finding(L, k, "certificate", s->tls.done ? s : t, s->tls.done ? "POP3S" : "STLS");
    if (s->tls.done && t->tls.done && !same_leaf(&s->tls, &t->tls)) {
        cert_finding(L, k, "certificate-stls", t, "STLS");
    }
}

static const char *vname(int v)
{
    static const char *const n[] = { "untested", "unsupported", "refused", "accepted" };
    return n[v];
}

static void version_findings(chk_list_t *L, const cli_check_t *k)
{
    if (k->version_via == NULL) {
        return;
    }
    if (k->v12 != CHK_V_ACCEPTED && k->v13 != CHK_V_ACCEPTED) {
        add(L, "tls-versions", L_WARN, "enable TLS 1.2 and 1.3", "%s: neither TLS 1.2 nor 1.3 accepted",
            k->version_via);
    } else if (k->v13 == CHK_V_REFUSED) {
        add(L, "tls-versions", L_INFO, "consider enabling TLS 1.3", "%s: TLS 1.2 accepted, TLS 1.3 refused",
            k->version_via);
    } else {
        add(L, "tls-versions", L_OK, NULL, "%s: TLS 1.2 %s, TLS 1.3 %s%s", k->version_via, vname(k->v12),
            vname(k->v13), k->v13 == CHK_V_NO_BUILD ? " (this build's mbedTLS has no TLS 1.3)" : "");
    }
}

static void user_finding(chk_list_t *L, const cli_check_t *k)
{
    if (k->user_probe == 1) {
        add(L, "user-before-tls", L_WARN,
            "refuse logins before TLS (Dovecot: disable_plaintext_auth = yes; Cyrus: allowplaintext: no)",
            "port %" PRIu32 " accepts USER before STLS (+OK%s%s): a client that skips STLS sends its "
            "password in clear", k->port_stls, k->user_text[0] != '\0' ? " " : "", k->user_text);
    } else if (k->user_probe == 0) {
        add(L, "user-before-tls", L_OK, NULL, "USER refused before STLS (-ERR%s%s)",
            k->user_text[0] != '\0' ? " " : "", k->user_text);
    } else if (k->user_probe == 2) {
        add(L, "user-before-tls", L_INFO, NULL, "USER probe inconclusive (%s)", k->user_text);
    }
}

/* The CAPA that counts: over TLS, POP3S first. */
static const chk_capa_t *tls_capa(const cli_check_t *k)
{
    if (k->pop3s.capa_tls.known) {
        return &k->pop3s.capa_tls;
    }
    if (k->stls.capa_tls.known) {
        return &k->stls.capa_tls;
    }
    return k->stls.capa_plain.known ? &k->stls.capa_plain : NULL;
}

static void one_line(char *out, size_t out_len, const chk_capa_t *c)
{
    const char *p = c->lines;
    size_t used = 0U;
    out[0] = '\0';
    while (*p != '\0' && used + 1U < out_len) {
        size_t n = strcspn(p, "\n");
        int w = snprintf(out + used, out_len - used, "%s%.*s", used == 0U ? "" : ", ", (int)n, p);
        used += w > 0 ? (size_t)w : 0U;
        p += n + (p[n] == '\n' ? 1U : 0U);
    }
}

/* The value after the capability's name, or "" */
static const char *capa_arg(const chk_capa_t *c, const char *word, char *buf, size_t len)
{
    const char *p = chk_capa_find(c, word);
    size_t n;
    buf[0] = '\0';
    if (p == NULL) {
        return NULL;
    }
    p += strlen(word);
    p += *p == ' ' ? 1 : 0;
    n = strcspn(p, "\n");
    snprintf(buf, len, "%.*s", (int)(n < 200U ? n : 200U), p);
    return buf;
}

static void capa_findings(chk_list_t *L, const cli_check_t *k)
{
    const chk_capa_t *c = tls_capa(k);
    char buf[2100];
    char v[256];
    if (k->stls.capa_plain.known) {
        one_line(buf, sizeof buf, &k->stls.capa_plain);
        add(L, "capa-before-stls", L_INFO, NULL, "CAPA before STLS: %s", buf);
    }
    if (k->stls.capa_tls.known) {
        one_line(buf, sizeof buf, &k->stls.capa_tls);
        add(L, "capa-after-stls", L_INFO, NULL, "CAPA after STLS: %s", buf);
    }
    if (k->pop3s.capa_tls.known) {
        one_line(buf, sizeof buf, &k->pop3s.capa_tls);
        add(L, "capa-pop3s", L_INFO, NULL, "CAPA over POP3S: %s", buf);
    }
    if (c == NULL) {
        if (k->pop3s.greeted || k->stls.greeted) {
            add(L, "capa", L_WARN, "support CAPA (RFC 2449)", "no CAPA list received");
        }
        return;
    }
    if (capa_arg(c, "SASL", v, sizeof v) != NULL) {
        add(L, "sasl", L_INFO, NULL, "SASL mechanisms: %s", v);
    } else {
        add(L, "sasl", L_INFO, NULL, "no SASL advertised (USER/PASS%s only)",
            chk_capa_find(c, "USER") != NULL ? "" : " not advertised either; APOP");
    }
    add(L, "pipelining", chk_capa_find(c, "PIPELINING") != NULL ? L_OK : L_INFO, NULL, "PIPELINING %s",
        chk_capa_find(c, "PIPELINING") != NULL ? "advertised" : "not advertised (one command at a time)");
    add(L, "resp-codes", chk_capa_find(c, "RESP-CODES") != NULL ? L_OK : L_INFO, NULL, "RESP-CODES %s",
        chk_capa_find(c, "RESP-CODES") != NULL ? "advertised" : "not advertised (errors carry no [codes])");
    add(L, "login-delay", L_INFO, NULL, "LOGIN-DELAY %s",
        capa_arg(c, "LOGIN-DELAY", v, sizeof v) != NULL ? v : "not advertised");
    add(L, "expire", L_INFO, NULL, "EXPIRE %s", capa_arg(c, "EXPIRE", v, sizeof v) != NULL ? v : "not advertised");
    add(L, "implementation", L_INFO, NULL, "IMPLEMENTATION %s",
        capa_arg(c, "IMPLEMENTATION", v, sizeof v) != NULL ? v : "not advertised");
    if (chk_capa_find(c, "UIDL") == NULL) {
        add(L, "uidl", L_WARN, "enable UIDL", "UIDL not advertised: clients cannot leave mail on the server reliably");
    }
}

static const char *utf8_name(int u)
{
    static const char *const n[] = { "untested", "not advertised", "accepted", "refused", "error" };
    return n[u];
}

/* --utf8 only: whether RFC 6856 UTF-8 mode is offered and works. */
static void utf8_finding(chk_list_t *L, const cli_check_t *k)
{
    const char *t = k->utf8_text;
    const char *sp = t[0] != '\0' ? " " : "";
    if (!k->a->opt.utf8) {
        return;
    }
    switch (k->utf8) {
    case CHK_UTF8_UNLISTED:
        add(L, "utf8", L_INFO, NULL, "UTF8 (RFC 6856) not advertised over %s: no UTF-8 mode for user names "
            "and headers", k->utf8_via);
        break;
    case CHK_UTF8_ACCEPTED:
        add(L, "utf8", L_OK, NULL, "UTF8 (RFC 6856) advertised and accepted over %s (+OK%s%s)", k->utf8_via, sp, t);
        break;
    case CHK_UTF8_REFUSED:
        add(L, "utf8", L_WARN, "accept UTF8 in AUTHORIZATION, or stop listing it in CAPA (RFC 6856)",
            "UTF8 advertised over %s but refused (-ERR%s%s)", k->utf8_via, sp, t);
        break;
    case CHK_UTF8_ERROR:
        add(L, "utf8", L_WARN, "check the server's log", "UTF8 advertised over %s, no usable answer (%s)",
            k->utf8_via, t);
        break;
    default:
        add(L, "utf8", L_INFO, NULL, "UTF8 (RFC 6856) not probed: no TLS session got as far as CAPA");
        break;
    }
}

static void rtt_finding(chk_list_t *L, const cli_check_t *k)
{
    const chk_path_t *p = k->pop3s.have_rtt ? &k->pop3s : k->stls.have_rtt ? &k->stls : NULL;
    if (p == NULL) {
        return;
    }
    add(L, "rtt", p->rtt_ms > 1000.0 ? L_WARN : L_INFO, p->rtt_ms > 1000.0 ? "check server load and network" : NULL,
        "round trip (CAPA over %s): %.1f ms", p == &k->pop3s ? "POP3S" : "STLS", p->rtt_ms);
}

static void login_findings(chk_list_t *L, const cli_check_t *k)
{
    const chk_login_t *g = &k->login;
    if (k->a->opt.user == NULL) {
        add(L, "login", L_INFO, NULL, "login not tested (give --user to test login, STAT, UIDL and TOP)");
        return;
    }
    if (!g->tried) {
        add(L, "login", L_FAIL, "fix the TLS findings first", "login not tried: no verified TLS connection");
        return;
    }
    if (g->st != POP3_OK) {
        add(L, "login", L_FAIL, "check the user name and password", "login via %s failed: %s%s%s", g->via,
            pop3_status_str(g->st), g->text[0] != '\0' ? ": " : "", g->text);
        return;
    }
    add(L, "login", L_OK, NULL, "login via %s works", g->via);
    if (g->cmd_failed != NULL) {
        add(L, "commands", L_FAIL, NULL, "%s failed: %s%s%s", g->cmd_failed, pop3_status_str(g->cmd_st),
            g->text[0] != '\0' ? ": " : "", g->text);
    }
    if (g->stat_ok) {
        add(L, "stat", L_OK, NULL, "STAT: %" PRIu32 " messages, %" PRIu64 " octets", g->count, g->octets);
    }
    if (g->uidl_ok) {
        add(L, "uidl-answer", g->uids == g->count ? L_OK : L_WARN, NULL, "UIDL: %" PRIu32 " unique ids%s",
            g->uids, g->uids == g->count ? "" : " (STAT counted otherwise)");
    }
    if (g->top_ok) {
        add(L, "top", L_OK, NULL, "TOP 1 0: %" PRIu64 " octets of headers", g->top_octets);
    } else if (g->uidl_ok && !g->top_tried) {
        add(L, "top", L_INFO, NULL, "TOP not tried: the mailbox is empty");
    }
}

/* ---- output ------------------------------------------------------------- */

static void jstr(const char *s)
{
    char buf[2 * 2100];
    size_t n = cli_json_text(buf, sizeof buf, s, strlen(s));
    printf("\"%.*s\"", (int)n, buf);
}

static void jcapa(const char *name, const chk_capa_t *c, bool last)
{
    const char *p = c->lines;
    bool first = true;
    printf("\"%s\":", name);
    if (!c->known) {
        printf("null%s", last ? "" : ",");
        return;
    }
    putchar('[');
    while (*p != '\0') {
        size_t n = strcspn(p, "\n");
        char item[CLI_LINE_BUF_LEN];
        snprintf(item, sizeof item, "%.*s", (int)n, p);
        printf("%s", first ? "" : ",");
        jstr(item);
        first = false;
        p += n + (p[n] == '\n' ? 1U : 0U);
    }
    printf("]%s", last ? "" : ",");
}

static void jcert(const cli_cert_info_t *c, bool last)
{
    char words[256];
    printf("{\"subject\":");
    jstr(c->subject);
    printf(",\"issuer\":");
    jstr(c->issuer);
    printf(",\"san\":");
    jstr(c->san);
    printf(",\"not_before\":");
    jstr(c->not_before);
    printf(",\"not_after\":");
    jstr(c->not_after);
    cli_tls_flags_text(c->flags, words, sizeof words);
    printf(",\"days_left\":%ld,\"verify\":", c->days_left);
    jstr(c->verified ? words : "not verified");
    printf("}%s", last ? "" : ",");
}

static void jtls(const char *name, const chk_path_t *p)
{
    const cli_tls_seen_t *t = &p->tls;
    char words[256];
    size_t i;
    printf("\"%s\":", name);
    if (!t->done) {
        printf("null,");
        return;
    }
    printf("{\"ok\":%s,\"version\":", t->status == POP3_OK ? "true" : "false");
    jstr(t->version);
    printf(",\"cipher\":");
    jstr(t->cipher);
    printf(",\"error\":");
    jstr(t->status == POP3_OK ? "" : t->reason);
    cli_tls_flags_text(chain_flags(t), words, sizeof words);
    printf(",\"verified\":%s,\"verify\":", t->verified ? "true" : "false");
    jstr(t->verified ? words : "not verified");
    printf(",\"certificates\":[");
    for (i = 0U; i < t->nsent; i++) {
        jcert(&t->sent[i], i + 1U == t->nsent);
    }
    printf("]},");
}

static void print_json(const cli_check_t *k, const chk_list_t *L, int worst, int rc)
{
    size_t i;
    printf("{\"host\":");
    jstr(k->a->opt.host);
    printf(",\"port_tls\":%" PRIu32 ",\"port_stls\":%" PRIu32 ",\"result\":\"%s\",\"exit\":%d,",
           k->port_tls, k->port_stls, worst == L_FAIL ? "fail" : worst == L_WARN ? "warn" : "ok", rc);
    printf("\"findings\":[");
    for (i = 0U; i < L->n; i++) {
        printf("%s{\"id\":\"%s\",\"level\":\"%s\",\"message\":", i == 0U ? "" : ",", L->f[i].id,
               level_json[L->f[i].level]);
        jstr(L->f[i].text);
        printf(",\"advice\":");
        jstr(L->f[i].advice);
        putchar('}');
    }
    printf("],\"tls\":{");
    jtls("pop3s", &k->pop3s);
    jtls("stls", &k->stls);
    printf("\"versions_via\":");
    if (k->version_via != NULL) {
        jstr(k->version_via);
    } else {
        printf("null");
    }
    printf(",\"TLSv1.2\":\"%s\",\"TLSv1.3\":\"%s\"},\"capa\":{", vname(k->v12), vname(k->v13));
    jcapa("pop3s", &k->pop3s.capa_tls, false);
    jcapa("before_stls", &k->stls.capa_plain, false);
    jcapa("after_stls", &k->stls.capa_tls, true);
    printf("},\"user_before_stls\":\"%s\",\"rtt_ms\":",
           k->user_probe == 1 ? "accepted" : k->user_probe == 0 ? "refused" : k->user_probe == 2 ? "unknown" : "untested");
    if (k->pop3s.have_rtt || k->stls.have_rtt) {
        printf("%.3f", k->pop3s.have_rtt ? k->pop3s.rtt_ms : k->stls.rtt_ms);
    } else {
        printf("null");
    }
    printf(",\"utf8\":");
    if (!k->a->opt.utf8) {
        printf("null");
    } else {
        printf("{\"via\":");
        if (k->utf8_via != NULL) {
            jstr(k->utf8_via);
        } else {
            printf("null");
        }
        printf(",\"advertised\":%s,\"result\":\"%s\",\"text\":",
               k->utf8 >= CHK_UTF8_ACCEPTED ? "true" : k->utf8 == CHK_UTF8_UNLISTED ? "false" : "null",
               utf8_name(k->utf8));
        jstr(k->utf8_text);
        putchar('}');
    }
    printf(",\"login\":");
    if (!k->login.tried) {
        printf("null}\n");
        return;
    }
    printf("{\"via\":\"%s\",\"ok\":%s,\"stat\":%s,\"messages\":%" PRIu32 ",\"octets\":%" PRIu64
           ",\"uidl\":%s,\"uids\":%" PRIu32 ",\"top\":%s}}\n", k->login.via,
           k->login.st == POP3_OK ? "true" : "false", k->login.stat_ok ? "true" : "false", k->login.count,
           k->login.octets, k->login.uidl_ok ? "true" : "false", k->login.uids,
           k->login.top_ok ? "true" : k->login.top_tried ? "false" : "null");
}

static void print_text(const cli_check_t *k, const chk_list_t *L, int rc)
{
    size_t i, n[4] = { 0U, 0U, 0U, 0U };
    printf("check %s (POP3S port %" PRIu32 ", STLS port %" PRIu32 ")\n", k->a->opt.host, k->port_tls,
           k->port_stls);
    for (i = 0U; i < L->n; i++) {
        n[L->f[i].level]++;
        printf("%-4s  %s%s%s\n", level_name[L->f[i].level], L->f[i].text,
               L->f[i].advice[0] != '\0' && L->f[i].level >= L_WARN ? " -> " : "",
               L->f[i].level >= L_WARN ? L->f[i].advice : "");
    }
    printf("summary: %zu ok, %zu info, %zu warning%s, %zu failure%s (exit %d)\n", n[L_OK], n[L_INFO],
           n[L_WARN], n[L_WARN] == 1U ? "" : "s", n[L_FAIL], n[L_FAIL] == 1U ? "" : "s", rc);
}

int chk_report(const cli_check_t *k)
{
    chk_list_t *L = calloc(1, sizeof *L);
    int worst = L_OK;
    int rc;
    size_t i;
    if (L == NULL) {
        fprintf(stderr, CLI_NAME ": out of memory\n");
        return EXIT_INTERNAL;
    }
    paths_findings(L, k);
    version_findings(L, k);
    user_finding(L, k);
    capa_findings(L, k);
    utf8_finding(L, k);
    rtt_finding(L, k);
    login_findings(L, k);
    for (i = 0U; i < L->n; i++) {
        worst = L->f[i].level > worst ? L->f[i].level : worst;
    }
    rc = worst == L_FAIL ? CHK_EXIT_FAIL : worst == L_WARN ? CHK_EXIT_WARN : EXIT_OK;
    if (k->a->opt.json) {
        print_json(k, L, worst, rc);
    } else {
        print_text(k, L, rc);
    }
    free(L);
    return rc;
}
