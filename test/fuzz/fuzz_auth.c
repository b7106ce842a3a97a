/* SASL AUTH side of the fuzz_session harness: see fuzz_auth.h. Test code: may use the heap. */
#include "fuzz_auth.h"
#include "fuzz_util.h"

#define FA_CAP 16384  /* octets of one exchange kept (responses of the long token fit) */
#define FA_TRACES 32  /* sent-direction trace lines kept per exchange */

static const char FA_USER[] = "alice";
static const char FA_PASS[] = "pw-S3cr3t!x"; /* fuzz_harness.c's FZ_PASS: its checks cover AUTH too */
static const char FA_TOKEN_SHORT[] = "ya29.fuzz-Sh0rt-t0ken";

/* One pop3_auth() call's credentials: the core keeps a pointer to them until
 * AUTH is reported, so a second call (refused while one is queued) uses the
 * other slot and leaves these alone. */
typedef struct {
    pop3_sasl_creds_t creds;
    const char *secret;
    size_t secret_len;
    uint32_t rng;
    int asked;            /* pop3_sasl_mech_t */
} fa_slot_t;

static struct {
    fa_slot_t slot[2];
    fa_slot_t *cur;       /* the AUTH queued and not reported yet, or NULL */
    const char *secret;   /* of the exchange checked (cur's, kept after the report for the buffer checks) */
    size_t secret_len;
    int asked;
    bool is_token;
    bool queueing;        /* inside pop3_auth(): read_secret does not fail there */
    bool ended;           /* an exchange was reported; fa_end() has not checked it yet */
    const char *tx_buf;
    size_t tx_len;
    char token_long[601];
    uint8_t (*decide)(void);
    int mech;             /* on the wire, once line 0 is complete (-1 before) */
    bool active;
    bool ir;              /* line 0 carried the initial response */
    bool cancelled;       /* a "*" line went out */
    uint8_t buf[FA_CAP];
    size_t len;
    size_t line_start;
    int lines;
    char traces[FA_TRACES][80];
    size_t trace_len[FA_TRACES];
    int ntraces;
} fa;

static int fa_rng(void *ctx, unsigned char *buf, size_t len)
{
    uint32_t *x = ctx;
    size_t i;

    for (i = 0; i < len; i++) {
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        buf[i] = (unsigned char)(*x >> 24);
    }
    return 0;
}

static bool fa_read(void *ctx, size_t off, uint8_t *buf, size_t len)
{
    const fa_slot_t *sl = ctx;

    FZ_CHECK(sl == fa.cur || fa.queueing, "read_secret of credentials whose AUTH was reported (or never queued)");
    FZ_CHECK(off <= sl->secret_len && len <= sl->secret_len - off, "read_secret [%zu, +%zu) beyond the %zu-octet secret",
             off, len, sl->secret_len);
    if (!fa.queueing && fa.decide() == 0xA5) {
        return false; /* flash read error while streaming: AUTH must end POP3_ERR_ABORTED */
    }
    memcpy(buf, sl->secret + off, len);
    return true;
}

void fa_set_tx(const char *tx_buf, size_t tx_len)
{
    fa.tx_buf = tx_buf;
    fa.tx_len = tx_len;
}

void fa_reset(uint8_t (*decide)(void))
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/";
    size_t i;

    memset(&fa, 0, sizeof fa);
    fa.decide = decide;
    fa.mech = -1;
    for (i = 0; i < sizeof fa.token_long - 1U; i++) {
        fa.token_long[i] = chars[(i * 7U + i / 13U) % (sizeof chars - 1U)];
    }
}

static bool is_oauth(int m)
{
    return m == POP3_SASL_XOAUTH2 || m == POP3_SASL_OAUTHBEARER;
}

pop3_status_t fa_queue(pop3_client_t *c, pop3_sasl_mech_t mech, bool token, bool read)
{
    int m = (int)mech;
    fa_slot_t *sl = fa.cur == &fa.slot[0] ? &fa.slot[1] : &fa.slot[0], *prev;
    pop3_status_t st;

    token = token || is_oauth(m);
    memset(sl, 0, sizeof *sl);
    sl->asked = m;
    sl->secret = token ? (read ? fa.token_long : FA_TOKEN_SHORT) : FA_PASS;
    sl->secret_len = strlen(sl->secret);
    sl->creds.user = FA_USER;
    sl->creds.is_token = token;
    if (read) {
        sl->creds.read_secret = fa_read;
        sl->creds.read_ctx = sl;
        sl->creds.secret_len = sl->secret_len;
    } else {
        sl->creds.secret = sl->secret;
    }
    sl->rng = 0x2545F491U;
    sl->creds.rng = fa_rng;
    sl->creds.rng_ctx = &sl->rng;
    /* In use from the call on: the core may run it, even report it, from inside. */
    prev = fa.cur;
    fa.cur = sl;
    fa.queueing = true;
    st = pop3_auth(c, mech, &sl->creds);
    fa.queueing = false;
    if (st != POP3_OK) {
        fa.cur = prev;
    } else {
        FZ_CHECK(prev == NULL, "pop3_auth accepted a second AUTH while one is queued");
    }
    return st;
}

void fa_reported(void)
{
    fa.cur = NULL; /* the core is done with those credentials */
    fa.ended = fa.active; /* its buffers are checked once the core's call returns (fa_end) */
    fa.active = false;
}

bool fa_active(void)
{
    return fa.active;
}

int fa_lines(void)
{
    return fa.lines;
}

static void end_checks(bool tx);

void fa_begin(void)
{
    FZ_CHECK(!fa.active, "a second AUTH exchange began before the first was reported");
    end_checks(false); /* one reported in this same core call: its traces, before its record goes */
    FZ_CHECK(fa.cur != NULL, "an AUTH exchange began with no AUTH queued");
    fa.active = true;
    fa.secret = fa.cur->secret;
    fa.secret_len = fa.cur->secret_len;
    fa.asked = fa.cur->asked;
    fa.is_token = fa.cur->creds.is_token;
    fa.len = fa.line_start = 0;
    fa.lines = 0;
    fa.mech = -1;
    fa.ir = fa.cancelled = false;
    fa.ntraces = 0;
}

static int b64v(uint8_t ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Canonical base64 (padded, no line breaks) into out; returns the length or -1. */
static long b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t i, o = 0;

    if (n % 4U != 0) {
        return -1;
    }
    for (i = 0; i < n; i += 4) {
        int v[4], k, pad = 0;
        for (k = 0; k < 4; k++) {
            v[k] = b64v(in[i + k]);
            if (in[i + k] == '=' && i + 4 == n && k >= 2) {
                pad++;
                v[k] = 0;
            } else if (v[k] < 0 || pad > 0) {
                return -1;
            }
        }
        if (o + 3U > cap) {
            return -1;
        }
        out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
        if (pad < 2) out[o++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
        if (pad < 1) out[o++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
    }
    return (long)o;
}

static bool starts(const uint8_t *p, size_t n, const char *s)
{
    return n >= strlen(s) && memcmp(p, s, strlen(s)) == 0;
}

/* The first client message of mechanism m, decoded: is it the credentials? */
static void check_first(const uint8_t *d, size_t n)
{
    char want[1024];
    size_t wl = 0;

    switch (fa.mech) {
    case POP3_SASL_PLAIN:
        wl = (size_t)snprintf(want, sizeof want, "%c%s%c%s", 0, FA_USER, 0, fa.secret);
        break;
    case POP3_SASL_LOGIN:
        wl = (size_t)snprintf(want, sizeof want, "%s", FA_USER);
        break;
    case POP3_SASL_XOAUTH2:
        wl = (size_t)snprintf(want, sizeof want, "user=%s\001auth=Bearer %s\001\001", FA_USER, fa.secret);
        break;
    case POP3_SASL_OAUTHBEARER: /* no authzid: the user as a= (pop3_sasl.h) */
        wl = (size_t)snprintf(want, sizeof want, "n,a=%s,\001auth=Bearer %s\001\001", FA_USER, fa.secret);
        break;
    case POP3_SASL_CRAM_MD5: {
        size_t i, ul = strlen(FA_USER);
        FZ_CHECK(n == ul + 33U && memcmp(d, FA_USER, ul) == 0 && d[ul] == ' ', "CRAM-MD5 response wrong (%zu octets)", n);
        for (i = ul + 1U; i < n; i++) {
            FZ_CHECK((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f'), "CRAM-MD5 digest not lower-case hex");
        }
        return;
    }
    default: /* SCRAM: gs2 header, user, 24-character nonce */
        FZ_CHECK(starts(d, n, "n,,n=alice,r=") && n == 13U + POP3_SCRAM_CNONCE_LEN &&
                     memchr(d + 13, ',', n - 13U) == NULL,
                 "SCRAM client-first wrong: %.*s", (int)n, (const char *)d);
        return;
    }
    FZ_CHECK(n == wl && memcmp(d, want, wl) == 0, "%s response does not decode to the credentials (%zu octets, want %zu)",
             pop3_sasl_mech_name((pop3_sasl_mech_t)fa.mech), n, wl);
}

/* Response number ri (0: the first client message, on the AUTH line or not). */
static void check_response(int ri, const uint8_t *l, size_t n)
{
    static uint8_t d[FA_CAP];
    long dl;
    size_t i;

    FZ_CHECK(!fa.cancelled, "a line after \"*\"");
    if (n == 1 && l[0] == '*') {
        fa.cancelled = true;
        return;
    }
    for (i = 0; i < n; i++) {
        FZ_CHECK(b64v(l[i]) >= 0 || l[i] == '=', "AUTH response line holds 0x%02x (not base64)", l[i]);
    }
    if (n == 0) {
        /* Empty: XOAUTH2's answer to the error challenge, SCRAM's to server-final. */
        FZ_CHECK((fa.mech == POP3_SASL_XOAUTH2 && ri == 1) ||
                     ((fa.mech == POP3_SASL_SCRAM_SHA_1 || fa.mech == POP3_SASL_SCRAM_SHA_256) && ri == 2),
                 "empty response %d from %s", ri, pop3_sasl_mech_name((pop3_sasl_mech_t)fa.mech));
        return;
    }
    dl = b64_decode(l, n, d, sizeof d);
    FZ_CHECK(dl >= 0, "AUTH response %d is not canonical base64", ri);
    if (ri == 0) {
        check_first(d, (size_t)dl);
    } else if (fa.mech == POP3_SASL_LOGIN && ri == 1) {
        FZ_CHECK((size_t)dl == fa.secret_len && memcmp(d, fa.secret, fa.secret_len) == 0, "LOGIN password wrong");
    } else if (fa.mech == POP3_SASL_OAUTHBEARER && ri == 1) {
        FZ_CHECK(dl == 1 && d[0] == 1, "OAUTHBEARER answer to the error challenge is not AQ== (0x01)");
    } else if ((fa.mech == POP3_SASL_SCRAM_SHA_1 || fa.mech == POP3_SASL_SCRAM_SHA_256) && ri == 1) {
        FZ_CHECK(starts(d, (size_t)dl, "c=biws,r=") && mem_contains(d, (size_t)dl, ",p=", 3),
                 "SCRAM client-final malformed");
    } else {
        fz_violation(__FILE__, __LINE__, "%s sent response %d (only \"*\" may follow its last message)",
                     pop3_sasl_mech_name((pop3_sasl_mech_t)fa.mech), ri);
    }
}

static void check_auth_line(const uint8_t *l, size_t n)
{
    const uint8_t *sp;
    pop3_sasl_mech_t m;
    size_t wl;

    FZ_CHECK(starts(l, n, "AUTH "), "first line of the exchange is not AUTH: %.*s", (int)(n < 40 ? n : 40),
             (const char *)l);
    FZ_CHECK(n + 2U <= POP3_CMD_MAX_LEN, "AUTH line of %zu octets (+CRLF) over POP3_CMD_MAX_LEN", n);
    sp = memchr(l + 5, ' ', n - 5U);
    wl = sp != NULL ? (size_t)(sp - (l + 5)) : n - 5U;
    FZ_CHECK(pop3_sasl_mech_parse((const char *)l + 5, wl, &m) && m != POP3_SASL_BEST, "AUTH with mechanism %.*s",
             (int)wl, (const char *)l + 5);
    FZ_CHECK(fa.asked == POP3_SASL_BEST || (int)m == fa.asked, "AUTH %s sent, %s asked for (a fallback)",
             pop3_sasl_mech_name(m), pop3_sasl_mech_name((pop3_sasl_mech_t)fa.asked));
    if (fa.asked == POP3_SASL_BEST) {
        FZ_CHECK(is_oauth((int)m) == fa.is_token, "BEST chose %s for a %s", pop3_sasl_mech_name(m),
                 fa.is_token ? "token" : "password");
    }
    FZ_CHECK(memcmp(l + 5, pop3_sasl_mech_name(m), wl) == 0, "mechanism name not in its wire form");
    fa.mech = (int)m;
    if (sp != NULL) {
        FZ_CHECK(m != POP3_SASL_LOGIN && m != POP3_SASL_CRAM_MD5, "%s with an initial response", pop3_sasl_mech_name(m));
        fa.ir = true;
        check_response(0, sp + 1, n - (size_t)(sp + 1 - l));
    }
}

void fa_sent(const uint8_t *p, size_t n, int conts)
{
    size_t i;

    FZ_CHECK(fa.active, "AUTH bytes before the exchange began");
    FZ_CHECK(fa.len + n <= sizeof fa.buf, "harness: AUTH exchange over %zu octets", sizeof fa.buf);
    fa_check_no_secret("sent AUTH bytes", p, n);
    for (i = 0; i < n; i++) {
        uint8_t b = p[i];
        fa.buf[fa.len++] = b;
        if (b != '\n') {
            FZ_CHECK(b != '\r' || i + 1 == n || p[i + 1] == '\n', "bare CR in an AUTH line");
            continue;
        }
        {
            const uint8_t *l = fa.buf + fa.line_start;
            size_t ll = fa.len - fa.line_start - 1U;
            FZ_CHECK(ll > 0 ? l[ll - 1] == '\r' : false, "AUTH line not ended by CR LF");
            ll--;
            if (fa.lines == 0) {
                check_auth_line(l, ll);
            } else {
                if (fa.lines == 1 && !fa.ir && fa.mech != POP3_SASL_LOGIN && fa.mech != POP3_SASL_CRAM_MD5 &&
                    !(ll == 1 && l[0] == '*')) {
                    /* RFC 5034 section 4: it waited for the continuation only if the line was too long. */
                    FZ_CHECK(5U + strlen(pop3_sasl_mech_name((pop3_sasl_mech_t)fa.mech)) + 1U + ll + 2U > POP3_CMD_MAX_LEN,
                             "initial response of %zu octets sent after a continuation although the AUTH line fits", ll);
                }
                FZ_CHECK(fa.lines <= conts, "response line %d sent after only %d continuation(s) (pipelined)", fa.lines,
                         conts);
                check_response(fa.lines - 1 + (fa.ir ? 1 : 0), l, ll);
            }
            fa.lines++;
            fa.line_start = fa.len;
        }
    }
}

void fa_trace(const char *line, size_t len)
{
    fa_check_no_secret("a sent trace line", line, len);
    if (fa.ntraces < FA_TRACES) {
        size_t n = len < sizeof fa.traces[0] ? len : sizeof fa.traces[0];
        memcpy(fa.traces[fa.ntraces], line, n);
        fa.trace_len[fa.ntraces++] = n;
    }
}

void fa_check_no_secret(const char *what, const void *buf, size_t len)
{
    if (fa.secret != NULL) {
        FZ_CHECK(!mem_contains(buf, len, fa.secret, fa.secret_len < 64 ? fa.secret_len : 64),
                 "the raw secret in %s", what);
    }
}

/* Is a 12-octet run of the response part of any sent line in buf? */
static bool response_run_in(const void *buf, size_t len, size_t *at)
{
    size_t i, s = 0;

    for (i = 0; i < fa.len; i++) {
        if (fa.buf[i] != '\n') {
            continue;
        }
        {
            size_t ls = s, le = i > 0 ? i - 1 : i, k;
            if (s == 0) { /* the AUTH line: only its initial response */
                const uint8_t *sp = memchr(fa.buf + 5, ' ', le > 5 ? le - 5 : 0);
                ls = sp != NULL ? (size_t)(sp - fa.buf) + 1U : le;
            }
            for (k = ls; k + 12U <= le; k += 12U) {
                if (mem_contains(buf, len, fa.buf + k, 12)) {
                    *at = k;
                    return true;
                }
            }
        }
        s = i + 1U;
    }
    return false;
}

/* With @p tx: also tx_buf (not when a new exchange already streams through it). */
static void end_checks(bool tx)
{
    size_t at = 0;
    int t;

    if (!fa.ended) {
        return;
    }
    fa.ended = false;
    FZ_CHECK(!tx || !response_run_in(fa.tx_buf, fa.tx_len, &at),
             "AUTH reported but tx_buf still holds response octets (offset %zu)", at);
    for (t = 0; t < fa.ntraces; t++) {
        FZ_CHECK(!response_run_in(fa.traces[t], fa.trace_len[t], &at), "trace line %d shows response octets: %.*s", t,
                 (int)fa.trace_len[t], fa.traces[t]);
    }
}

void fa_end(void)
{
    end_checks(true);
}
