/**
 * @file cli_tls.c
 * @brief pop3-cli: TLS details (see cli_tls.h). The adapter's callbacks hand
 *        over certificates valid only during the call, so everything shown
 *        later is formatted here at once; the DER is copied only to tell the
 *        certificates the server sent from the trust anchor taken from the CA
 *        file.
 */
#include "cli_tls.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/asn1.h>
#include <mbedtls/x509.h>

/* GeneralName tags of subjectAltName entries (RFC 5280 section 4.2.1.6). */
#define SAN_EMAIL (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 1)
#define SAN_DNS (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2)
#define SAN_URI (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 6)
#define SAN_IP (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)

static void add(char *out, size_t out_len, const char *s)
{
    size_t used = strlen(out);
    if (used + 1U < out_len) {
        snprintf(out + used, out_len - used, "%s", s);
    }
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;
    y -= m <= 2 ? 1 : 0;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static long long x509_epoch(const mbedtls_x509_time *t)
{
    return (long long)days_from_civil(t->year, t->mon, t->day) * 86400LL +
           (long long)t->hour * 3600LL + (long long)t->min * 60LL + (long long)t->sec;
}

static void fmt_time(char *out, size_t out_len, const mbedtls_x509_time *t)
{
    snprintf(out, out_len, "%04d-%02d-%02d %02d:%02d:%02d UTC", t->year, t->mon, t->day,
             t->hour, t->min, t->sec);
}

static void fmt_dn(char *out, size_t out_len, const mbedtls_x509_name *dn)
{
    char raw[512];
    if (mbedtls_x509_dn_gets(raw, sizeof raw, dn) < 0) {
        snprintf(raw, sizeof raw, "(unreadable name)");
    }
    pop3_sanitize(out, out_len, raw, strlen(raw)); /* a CN may hold terminal escapes */
}

static void fmt_san(char *out, size_t out_len, const mbedtls_x509_crt *crt)
{
    const mbedtls_x509_sequence *s;
    out[0] = '\0';
    for (s = &crt->subject_alt_names; s != NULL; s = s->next) {
        char item[300];
        char text[260];
        const char *kind = NULL;
        if (s->buf.p == NULL) {
            continue;
        }
        if (s->buf.tag == SAN_IP && (s->buf.len == 4U || s->buf.len == 16U)) {
            char ip[INET6_ADDRSTRLEN];
            inet_ntop(s->buf.len == 4U ? AF_INET : AF_INET6, s->buf.p, ip, sizeof ip);
            snprintf(item, sizeof item, "IP:%s", ip);
        } else {
            kind = s->buf.tag == SAN_DNS ? "DNS" : s->buf.tag == SAN_EMAIL ? "email"
                 : s->buf.tag == SAN_URI ? "URI" : "other";
            pop3_sanitize(text, sizeof text, (const char *)s->buf.p, s->buf.len);
            snprintf(item, sizeof item, "%s:%s", kind, strcmp(kind, "other") == 0 ? "..." : text);
        }
        if (out[0] != '\0') {
            add(out, out_len, ", ");
        }
        add(out, out_len, item);
    }
}

static void describe(cli_cert_info_t *ci, const mbedtls_x509_crt *crt)
{
    long long now = (long long)time(NULL);
    long long end = x509_epoch(&crt->valid_to);
    fmt_dn(ci->subject, sizeof ci->subject, &crt->subject);
    fmt_dn(ci->issuer, sizeof ci->issuer, &crt->issuer);
    fmt_san(ci->san, sizeof ci->san, crt);
    fmt_time(ci->not_before, sizeof ci->not_before, &crt->valid_from);
    fmt_time(ci->not_after, sizeof ci->not_after, &crt->valid_to);
    /* Whole days left, rounded down (-1 on the first day after expiry). */
    ci->days_left = (long)((end - now) >= 0 ? (end - now) / 86400LL : -((now - end + 86399LL) / 86400LL));
    ci->not_yet_valid = x509_epoch(&crt->valid_from) > now;
    ci->depth = -1;
    ci->der = NULL;
    ci->der_len = 0U;
    if (crt->raw.p != NULL && crt->raw.len > 0U) {
        ci->der = malloc(crt->raw.len);
        if (ci->der != NULL) {
            memcpy(ci->der, crt->raw.p, crt->raw.len);
            ci->der_len = crt->raw.len;
        }
    }
}

static void keep_sent(cli_tls_seen_t *s, const mbedtls_x509_crt *leaf, bool verified)
{
    const mbedtls_x509_crt *c;
    for (c = leaf; c != NULL && c->raw.p != NULL; c = c->next) {
        if (s->nsent == CLI_TLS_MAX_CERTS) {
            s->more++;
            continue;
        }
        describe(&s->sent[s->nsent], c);
        s->sent[s->nsent].verified = false;
        s->nsent++;
    }
    s->verified = verified;
}

/* pop3_tls_cert_fn: called top of the verified chain first, the server's own last. */
static void on_cert(void *ctx, const mbedtls_x509_crt *crt, int depth, uint32_t flags)
{
    cli_tls_seen_t *s = ctx;
    if (s->nchain < CLI_TLS_MAX_CERTS) {
        cli_cert_info_t *ci = &s->chain[s->nchain++];
        describe(ci, crt);
        ci->depth = depth;
        ci->flags = flags;
        ci->verified = true;
    }
    if (depth == 0 && s->nsent == 0U) {
        keep_sent(s, crt, true);
    }
}

static bool same_der(const cli_cert_info_t *a, const cli_cert_info_t *b)
{
    return a->der != NULL && b->der != NULL && a->der_len == b->der_len &&
           memcmp(a->der, b->der, a->der_len) == 0;
}

/* Which presented certificate is which verified one; the rest came from the CA file. */
static void match_chain(cli_tls_seen_t *s)
{
    size_t i, j;
    for (j = 0U; j < s->nchain; j++) {
        s->chain[j].from_ca_file = true;
        for (i = 0U; i < s->nsent; i++) {
            if (same_der(&s->sent[i], &s->chain[j])) {
                s->sent[i].verified = true;
                s->sent[i].depth = s->chain[j].depth;
                s->sent[i].flags = s->chain[j].flags;
                s->chain[j].from_ca_file = false;
            }
        }
    }
}

static void copy_text(char *out, size_t out_len, const char *in)
{
    pop3_sanitize(out, out_len, in != NULL ? in : "", in != NULL ? strlen(in) : 0U);
}

/* pop3_tls_handshake_fn */
static void on_handshake(void *ctx, const pop3_tls_t *t, pop3_status_t st)
{
    cli_tls_seen_t *s = ctx;
    s->done = true;
    s->status = st;
    copy_text(s->version, sizeof s->version, pop3_tls_version(t));
    copy_text(s->cipher, sizeof s->cipher, pop3_tls_ciphersuite(t));
    copy_text(s->reason, sizeof s->reason, pop3_tls_error_str(t));
    s->verify_flags = pop3_tls_verify_flags(t);
    if (s->nsent == 0U && pop3_tls_peer_cert(t) != NULL) {
        keep_sent(s, pop3_tls_peer_cert(t), false); /* --insecure: nothing was verified */
    }
    match_chain(s);
    if (s->verbose != NULL) {
        cli_tls_print(s->verbose, s);
    }
    if (s->after != NULL) {
        s->after(s->after_arg);
    }
}

void cli_tls_reset(cli_tls_seen_t *s)
{
    FILE *f = s->verbose;
    const char *label = s->label;
    void (*after)(void *) = s->after;
    void *after_arg = s->after_arg;
    size_t i;
    for (i = 0U; i < CLI_TLS_MAX_CERTS; i++) {
        free(s->chain[i].der);
        free(s->sent[i].der);
    }
    memset(s, 0, sizeof *s);
    s->verbose = f;
    s->label = label;
    s->after = after;
    s->after_arg = after_arg;
}

void cli_tls_attach(pop3_tls_config_t *cfg, cli_tls_seen_t *s)
{
    cli_tls_reset(s);
    cfg->on_cert = on_cert;
    cfg->on_handshake = on_handshake;
    cfg->cb_ctx = s;
}

static const struct {
    uint32_t flag;
    const char *text;
} flag_words[] = {
    { MBEDTLS_X509_BADCERT_EXPIRED, "expired" },
    { MBEDTLS_X509_BADCERT_FUTURE, "not yet valid" },
    { MBEDTLS_X509_BADCERT_CN_MISMATCH, "name mismatch" },
    { MBEDTLS_X509_BADCERT_NOT_TRUSTED, "unknown CA (not trusted)" },
    { MBEDTLS_X509_BADCERT_REVOKED, "revoked" },
    { MBEDTLS_X509_BADCERT_MISSING, "no certificate" },
    { MBEDTLS_X509_BADCERT_SKIP_VERIFY, "not verified" },
    { MBEDTLS_X509_BADCERT_KEY_USAGE, "key usage does not allow this use" },
    { MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, "extended key usage lacks serverAuth" },
    { MBEDTLS_X509_BADCERT_NS_CERT_TYPE, "Netscape cert type does not allow this use" },
    { MBEDTLS_X509_BADCERT_BAD_MD, "weak or unacceptable hash" },
    { MBEDTLS_X509_BADCERT_BAD_PK, "unacceptable public key algorithm" },
    { MBEDTLS_X509_BADCERT_BAD_KEY, "key too weak" },
    { MBEDTLS_X509_BADCRL_NOT_TRUSTED | MBEDTLS_X509_BADCRL_EXPIRED | MBEDTLS_X509_BADCRL_FUTURE |
          MBEDTLS_X509_BADCRL_BAD_MD | MBEDTLS_X509_BADCRL_BAD_PK | MBEDTLS_X509_BADCRL_BAD_KEY,
      "CRL problem" },
    { MBEDTLS_X509_BADCERT_OTHER, "other problem" },
};

void cli_tls_flags_text(uint32_t flags, char *out, size_t out_len)
{
    size_t i;
    uint32_t known = 0U;
    out[0] = '\0';
    for (i = 0U; i < sizeof flag_words / sizeof flag_words[0]; i++) {
        known |= flag_words[i].flag;
        if ((flags & flag_words[i].flag) != 0U) {
            if (out[0] != '\0') {
                add(out, out_len, ", ");
            }
            add(out, out_len, flag_words[i].text);
        }
    }
    if ((flags & ~known) != 0U) {
        char hex[32];
        snprintf(hex, sizeof hex, "%sflags 0x%08lx", out[0] != '\0' ? ", " : "",
                 (unsigned long)(flags & ~known));
        add(out, out_len, hex);
    }
    if (out[0] == '\0') {
        snprintf(out, out_len, "ok");
    }
}

static void print_days(FILE *f, const cli_cert_info_t *ci)
{
    if (ci->not_yet_valid) {
        fputs(" (not valid yet)", f);
    } else if (ci->days_left < 0) {
        fprintf(f, " (EXPIRED %ld day%s ago)", -ci->days_left, ci->days_left == -1 ? "" : "s");
    } else {
        fprintf(f, " (%ld day%s left)", ci->days_left, ci->days_left == 1 ? "" : "s");
    }
}

static void print_cert(FILE *f, const char *pre, const char *head, const cli_cert_info_t *ci,
                       bool checked)
{
    char words[256];
    fprintf(f, "%s  %-7s subject: %s\n", pre, head, ci->subject);
    fprintf(f, "%s          issuer:  %s\n", pre, ci->issuer);
    if (ci->san[0] != '\0') {
        fprintf(f, "%s          SAN:     %s\n", pre, ci->san);
    }
    fprintf(f, "%s          valid:   %s to %s", pre, ci->not_before, ci->not_after);
    print_days(f, ci);
    fputc('\n', f);
    if (ci->verified) {
        cli_tls_flags_text(ci->flags, words, sizeof words);
        fprintf(f, "%s          verify:  %s (depth %d)\n", pre, words, ci->depth);
    } else {
        fprintf(f, "%s          verify:  %s\n", pre, checked ? "not part of the verified chain" : "NOT verified");
    }
}

void cli_tls_print(FILE *f, const cli_tls_seen_t *s)
{
    char pre[64];
    char words[256];
    size_t i;
    snprintf(pre, sizeof pre, "pop3-cli: TLS%s%s:", s->label != NULL ? " " : "", s->label != NULL ? s->label : "");
    if (s->status == POP3_OK) {
        fprintf(f, "%s %s, cipher suite %s%s\n", pre, s->version[0] != '\0' ? s->version : "?",
                s->cipher[0] != '\0' ? s->cipher : "?", s->verified ? "" : " (certificate NOT verified)");
    } else {
        fprintf(f, "%s handshake failed: %s\n", pre, s->reason[0] != '\0' ? s->reason : pop3_status_str(s->status));
        if (s->verify_flags != 0U) {
            cli_tls_flags_text(s->verify_flags, words, sizeof words);
            fprintf(f, "%s verification: %s\n", pre, words);
        }
    }
    if (s->nsent == 0U) {
        fprintf(f, "%s no server certificate seen\n", pre);
        return;
    }
    fprintf(f, "%s the server presented %zu certificate%s:\n", pre, s->nsent + s->more,
            s->nsent + s->more == 1U ? "" : "s");
    for (i = 0U; i < s->nsent; i++) {
        char head[32];
        snprintf(head, sizeof head, "#%zu", i);
        print_cert(f, pre, head, &s->sent[i], s->verified);
    }
    if (s->more > 0U) {
        fprintf(f, "%s  (%zu more not shown)\n", pre, s->more);
    }
    for (i = 0U; i < s->nchain; i++) {
        if (s->chain[i].from_ca_file) {
            print_cert(f, pre, "CA file", &s->chain[i], true);
        }
    }
}

const cli_cert_info_t *cli_tls_leaf(const cli_tls_seen_t *s)
{
    return s->nsent > 0U ? &s->sent[0] : NULL;
}
