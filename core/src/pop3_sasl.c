/* SASL AUTH (RFC 5034): choosing the mechanism, each mechanism's steps as one
 * switch, and the producer that streams a response line piece by piece.
 *
 * A response is a short list of segments (constants, the user name, the
 * secret, values computed by pop3_sasl_crypto.c). pop3_sasl_piece() encodes
 * the next 3-octet-aligned slice of them into base64, so a token of any length
 * goes out through a fixed piece of tx_buf, read from the caller's memory or
 * through read_secret and never copied whole. Knows nothing of sending: the
 * dispatcher asks for pieces, the session hands over challenges. */
#include <string.h>

#include "pop3_internal.h"

#if POP3_SASL_ENABLE

/* pop3_sasl_state_t::line */
enum { L_AUTH = 0, L_RESP, L_CANCEL };
/* pop3_sasl_state_t::resp: the message a line carries */
enum { R_NONE = 0, R_M0, R_M1, R_ONE };
/* pop3_sasl_state_t::emit */
enum { E_PREFIX = 0, E_BODY, E_CRLF, E_DONE };
/* How a segment's octets are produced. */
enum { S_RAW = 0, S_ESC, S_SECRET };

typedef struct {
    const char *p;
    size_t len;
    uint8_t how;
} seg_t;

#define SEG_MAX 6U

typedef char piece_len_check[(POP3_SASL_PIECE_LEN >= 32U && POP3_SCRAM_CNONCE_LEN % 4U == 0) ? 1 : -1];

static bool is_scram(unsigned m)
{
    return m == POP3_SASL_SCRAM_SHA_1 || m == POP3_SASL_SCRAM_SHA_256;
}

static bool is_oauth(unsigned m)
{
    return m == POP3_SASL_XOAUTH2 || m == POP3_SASL_OAUTHBEARER;
}

static bool compiled_in(unsigned m)
{
    if (m == POP3_SASL_CRAM_MD5) {
        return POP3_SASL_CRAM_MD5_ENABLE != 0;
    }
    if (is_scram(m)) {
        return POP3_SASL_SCRAM_ENABLE != 0;
    }
    return m > POP3_SASL_BEST && m < POP3_SASL_MECH_COUNT_;
}

static size_t str_len(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

/* ---- segments of the messages ------------------------------------------------ */

static unsigned add(seg_t *t, unsigned n, const char *p, size_t len, uint8_t how)
{
    t[n].p = p;
    t[n].len = len;
    t[n].how = how;
    return n + 1U;
}

/* The segments of the message the current line carries; returns their count. */
static unsigned segments(const pop3_client_t *c, seg_t *t)
{
    const pop3_sasl_state_t *s = &c->sasl;
    const pop3_sasl_creds_t *cr = s->creds;
    const char *authz = cr->authzid != NULL ? cr->authzid : "";
    unsigned n = 0;

    if (s->resp == R_ONE) {
        return add(t, 0, "\x01", 1, S_RAW); /* RFC 7628 3.2.3: the answer to an error */
    }
    switch (s->mech) {
    case POP3_SASL_LOGIN:
        return s->resp == R_M0 ? add(t, 0, cr->user, strlen(cr->user), S_RAW) : add(t, 0, cr->secret, s->secret_len, S_SECRET);
    case POP3_SASL_PLAIN: /* RFC 4616: [authzid] NUL authcid NUL passwd */
        n = add(t, n, authz, strlen(authz), S_RAW);
        n = add(t, n, "\0", 1, S_RAW);
        n = add(t, n, cr->user, strlen(cr->user), S_RAW);
        n = add(t, n, "\0", 1, S_RAW);
        return add(t, n, cr->secret, s->secret_len, S_SECRET);
#if POP3_SASL_CRAM_MD5_ENABLE
    case POP3_SASL_CRAM_MD5: /* RFC 2195: user SP hex digest */
        n = add(t, n, cr->user, strlen(cr->user), S_RAW);
        n = add(t, n, " ", 1, S_RAW);
        return add(t, n, s->u.cram_hex, sizeof s->u.cram_hex, S_RAW);
#endif
#if POP3_SASL_SCRAM_ENABLE
    case POP3_SASL_SCRAM_SHA_1:
    case POP3_SASL_SCRAM_SHA_256:
        if (s->resp == R_M0) { /* client-first: gs2 header "n,," and client-first-bare */
            n = add(t, n, "n,,n=", 5, S_RAW);
            n = add(t, n, cr->user, strlen(cr->user), S_ESC);
            n = add(t, n, ",r=", 3, S_RAW);
            return add(t, n, s->u.scram.cnonce, sizeof s->u.scram.cnonce, S_RAW);
        }
        n = add(t, n, "c=biws,r=", 9, S_RAW); /* biws: base64 of "n,," */
        n = add(t, n, s->peer, s->peer_len, S_RAW);
        n = add(t, n, ",p=", 3, S_RAW);
        return add(t, n, s->u.scram.proof, s->u.scram.proof_len, S_RAW);
#endif
    case POP3_SASL_XOAUTH2: /* user=U ^A auth=Bearer T ^A ^A */
        n = add(t, n, "user=", 5, S_RAW);
        n = add(t, n, cr->user, strlen(cr->user), S_RAW);
        n = add(t, n, "\x01" "auth=Bearer ", 13, S_RAW);
        n = add(t, n, cr->secret, s->secret_len, S_SECRET);
        return add(t, n, "\x01\x01", 2, S_RAW);
    default: /* OAUTHBEARER, RFC 7628: gs2 header, then the same kvpairs. The
              * authzid defaults to the user: Gmail documents "n,a=user,", and
              * Dovecot takes the user from a= alone. */
        if (authz[0] == '\0') {
            authz = cr->user;
        }
        n = add(t, n, "n,a=", 4, S_RAW);
        n = add(t, n, authz, strlen(authz), S_ESC);
        n = add(t, n, ",", 1, S_RAW);
        n = add(t, n, "\x01" "auth=Bearer ", 13, S_RAW);
        n = add(t, n, cr->secret, s->secret_len, S_SECRET);
        return add(t, n, "\x01\x01", 2, S_RAW);
    }
}

/* RFC 5802 saslname: ',' and '=' become "=2C" and "=3D". */
static size_t esc_len(const char *p, size_t n)
{
    size_t i, len = n;

    for (i = 0; i < n; i++) {
        if (p[i] == ',' || p[i] == '=') {
            len += 2U;
        }
    }
    return len;
}

static size_t message_len(const pop3_client_t *c)
{
    seg_t t[SEG_MAX];
    unsigned i, n = segments(c, t);
    size_t len = 0;

    for (i = 0; i < n; i++) {
        len += t[i].how == S_ESC ? esc_len(t[i].p, t[i].len) : t[i].len;
    }
    return len;
}

/* The next @p want octets of the message into raw; false if read_secret failed. */
static bool produce(pop3_client_t *c, uint8_t *raw, size_t want)
{
    pop3_sasl_state_t *s = &c->sasl;
    seg_t t[SEG_MAX];
    unsigned n = segments(c, t);
    size_t got = 0;

    while (got < want && s->seg < n) {
        const seg_t *g = &t[s->seg];
        if (g->how == S_ESC) {
            while (got < want && s->seg_off < g->len) {
                char ch = g->p[s->seg_off];
                if (ch == ',' || ch == '=') {
                    raw[got++] = (uint8_t)(ch == ',' ? "=2C" : "=3D")[s->esc++];
                    if (s->esc == 3U) {
                        s->esc = 0;
                        s->seg_off++;
                    }
                } else {
                    raw[got++] = (uint8_t)ch;
                    s->seg_off++;
                }
            }
        } else {
            size_t k = g->len - s->seg_off;
            k = k < want - got ? k : want - got;
            if (g->how == S_SECRET && g->p == NULL) {
                if (k > 0 && !s->creds->read_secret(s->creds->read_ctx, s->seg_off, raw + got, k)) {
                    return false;
                }
            } else if (k > 0) {
                memcpy(raw + got, g->p + s->seg_off, k);
            }
            got += k;
            s->seg_off += k;
        }
        if (s->seg_off == g->len) {
            s->seg++;
            s->seg_off = 0;
        }
    }
    return got == want;
}

static void start_line(pop3_client_t *c, uint8_t line, uint8_t resp)
{
    pop3_sasl_state_t *s = &c->sasl;

    s->line = line;
    s->resp = resp;
    s->seg = 0;
    s->seg_off = 0;
    s->esc = 0;
    s->emit = E_PREFIX;
    s->left = resp != R_NONE ? message_len(c) : 0;
}

/* ---- the piece producer ------------------------------------------------------------ */

/* "AUTH <MECH>" into buf (at most 5 + 11 octets); returns its length. */
static size_t auth_verb(const pop3_sasl_state_t *s, char *buf)
{
    const char *name = pop3_sasl_mech_name((pop3_sasl_mech_t)s->mech);
    static const char verb[] = "AUTH ";
    size_t n = 0;

    while (verb[n] != '\0') {
        buf[n] = verb[n];
        n++;
    }
    while (*name != '\0') {
        buf[n++] = *name++;
    }
    return n;
}

size_t pop3_sasl_piece(pop3_client_t *c, char *out, size_t cap)
{
    pop3_sasl_state_t *s = &c->sasl;
    size_t n = 0;

    POP3_ASSERT(cap == POP3_SASL_PIECE_LEN && s->emit != E_DONE);
    if (s->emit == E_PREFIX) {
        if (s->line == L_AUTH) {
            n = auth_verb(s, out);
            if (s->ir) {
                out[n++] = ' ';
            }
        } else if (s->line == L_CANCEL) {
            out[n++] = '*';
        }
        s->emit = s->left > 0 ? E_BODY : E_CRLF;
    }
    if (s->emit == E_BODY) {
        uint8_t raw[(POP3_SASL_PIECE_LEN - 2U) / 4U * 3U];
        size_t want = (cap - n - 2U) / 4U * 3U, k = 0;
        bool ok;
        want = want < s->left ? want : s->left;
        ok = produce(c, raw, want);
        if (ok) {
            k = pop3_b64_encode(out + n, cap - n, raw, want); /* 4/3 of want, + NUL: fits */
            ok = k == (want + 2U) / 3U * 4U;
        }
        pop3_wipe(raw, sizeof raw);
        if (!ok) {
            return 0;
        }
        n += k;
        s->left -= want;
        if (s->left == 0) {
            s->emit = E_CRLF;
        }
    }
    if (s->emit == E_CRLF && cap - n >= 2U) {
        out[n++] = '\r';
        out[n++] = '\n';
        s->emit = E_DONE;
    }
    return n;
}

bool pop3_sasl_line_done(const pop3_client_t *c)
{
    return c->sasl.emit == E_DONE;
}

size_t pop3_sasl_trace_text(const pop3_client_t *c, char *buf)
{
    const pop3_sasl_state_t *s = &c->sasl;
    size_t n = 0;

    if (s->line == L_AUTH) {
        n = auth_verb(s, buf);
    } else if (s->line == L_CANCEL) {
        buf[n++] = '*';
    }
    if ((s->line == L_AUTH && s->ir) || (s->line == L_RESP && s->resp != R_NONE)) {
        /* every response hides its content and length */
        static const char mask[] = " ***";
        size_t i = s->line == L_AUTH ? 0U : 1U;
        while (mask[i] != '\0') {
            buf[n++] = mask[i++];
        }
    }
    return n;
}

/* ---- choosing and starting ------------------------------------------------------- */

/* Whether the credentials can drive @p m: CRAM-MD5 and SCRAM read the password
 * whole as the HMAC key; SCRAM needs a nonce source and takes no authzid here. */
static bool creds_fit(const pop3_sasl_creds_t *cr, size_t secret_len, unsigned m)
{
    if ((m == POP3_SASL_CRAM_MD5 || is_scram(m)) && secret_len > POP3_SASL_PASSWORD_MAX_LEN) {
        return false;
    }
    return !is_scram(m) || (cr->rng != NULL && str_len(cr->authzid) == 0);
}

/* What POP3_SASL_BEST may pick: compiled in, of the secret's family, and fitting. */
static bool usable(const pop3_sasl_state_t *s, unsigned m)
{
    return compiled_in(m) && is_oauth(m) == s->creds->is_token && creds_fit(s->creds, s->secret_len, m);
}

/* No NUL, CR or LF; in a token (RFC 6750's b64token) not even a space or another
 * control octet: XOAUTH2 and OAUTHBEARER separate their fields with 0x01. */
static bool octets_ok(const uint8_t *p, size_t n, bool token)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] == 0 || p[i] == '\r' || p[i] == '\n' || (token && (p[i] < 0x21U || p[i] > 0x7EU))) {
            return false;
        }
    }
    return true;
}

/* A user name or authzid: non-empty, no control octet (they frame the payloads). */
static bool name_ok(const char *s, size_t *len)
{
    size_t i, n = str_len(s);

    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20U || (unsigned char)s[i] == 0x7FU) {
            return false;
        }
    }
    *len = n;
    return n > 0;
}

/* The secret's length, once every octet passed octets_ok(); 0 if one did not.
 * Through read_secret in constant memory, so a bad octet never reaches the wire. */
static size_t secret_check(const pop3_sasl_creds_t *cr, bool token)
{
    uint8_t chunk[64];
    size_t off, len = cr->secret != NULL ? strlen(cr->secret) : cr->secret_len;

    if (cr->secret != NULL) {
        return octets_ok((const uint8_t *)cr->secret, len, token) ? len : 0;
    }
    if (cr->read_secret == NULL) {
        return 0;
    }
    for (off = 0; off < len; off += sizeof chunk) {
        size_t k = len - off < sizeof chunk ? len - off : sizeof chunk;
        bool ok = cr->read_secret(cr->read_ctx, off, chunk, k) && octets_ok(chunk, k, token);
        pop3_wipe(chunk, sizeof chunk);
        if (!ok) {
            return 0;
        }
    }
    return len;
}

pop3_status_t pop3_sasl_prepare(pop3_client_t *c, pop3_sasl_mech_t mech, const pop3_sasl_creds_t *cr)
{
    pop3_sasl_state_t *s = &c->sasl;
    size_t len = 0;

    if (cr == NULL || (unsigned)mech >= (unsigned)POP3_SASL_MECH_COUNT_ ||
        (mech != POP3_SASL_BEST && !compiled_in(mech)) || !name_ok(cr->user, &len) ||
        (str_len(cr->authzid) > 0 && !name_ok(cr->authzid, &len))) {
        return POP3_ERR_BAD_ARG;
    }
    len = secret_check(cr, is_oauth(mech) || (mech == POP3_SASL_BEST && cr->is_token));
    if (len == 0) {
        return POP3_ERR_BAD_ARG;
    }
    if (!creds_fit(cr, len, mech)) {
        return POP3_ERR_BAD_ARG; /* a named mechanism these credentials cannot drive */
    }
    memset(s, 0, sizeof *s);
    s->creds = cr;
    s->secret_len = len;
    s->asked = (uint8_t)mech;
    return POP3_OK;
}

/* Strongest first: what POP3_SASL_BEST tries, in order. */
static const uint8_t best_order[] = {
    POP3_SASL_OAUTHBEARER, POP3_SASL_XOAUTH2, POP3_SASL_SCRAM_SHA_256, POP3_SASL_SCRAM_SHA_1,
    POP3_SASL_CRAM_MD5,    POP3_SASL_PLAIN,   POP3_SASL_LOGIN,
};

static unsigned choose(const pop3_client_t *c)
{
    const pop3_sasl_state_t *s = &c->sasl;
    unsigned i;

    if (s->asked != POP3_SASL_BEST) {
        /* Named: used as asked, unless CAPA lists mechanisms without it. Never another one. */
        return (c->sasl_offered == 0 || (c->sasl_offered & (1U << s->asked)) != 0) ? s->asked : 0U;
    }
    for (i = 0; i < sizeof best_order; i++) {
        if ((c->sasl_offered & (1U << best_order[i])) != 0 && usable(s, best_order[i])) {
            return best_order[i];
        }
    }
    return 0; /* nothing offered that fits */
}

pop3_status_t pop3_sasl_begin(pop3_client_t *c)
{
    pop3_sasl_state_t *s = &c->sasl;
    unsigned m = choose(c);
    size_t line;

    if (s->cancel) {
        return POP3_ERR_ABORTED;
    }
    if (m == 0) {
        POP3_LOG_ERROR(("SASL: the mechanism asked for is not offered"));
        return POP3_ERR_SECURITY;
    }
    s->mech = (uint8_t)m;
    c->sasl_used = (uint8_t)m;
#if POP3_SASL_SCRAM_ENABLE
    if (is_scram(m)) {
        uint8_t rnd[POP3_SCRAM_CNONCE_LEN / 4U * 3U];
        char b64[POP3_SCRAM_CNONCE_LEN + 1U];
        bool ok = s->creds->rng(s->creds->rng_ctx, rnd, sizeof rnd) == 0 &&
                  pop3_b64_encode(b64, sizeof b64, rnd, sizeof rnd) == POP3_SCRAM_CNONCE_LEN;
        memcpy(s->u.scram.cnonce, b64, sizeof s->u.scram.cnonce);
        pop3_wipe(rnd, sizeof rnd);
        if (!ok) {
            return POP3_ERR_ABORTED;
        }
    }
#endif
    /* RFC 5034 section 4: the initial response only if the whole line fits. */
    start_line(c, L_AUTH, (m == POP3_SASL_LOGIN || m == POP3_SASL_CRAM_MD5) ? R_NONE : R_M0);
    line = 6U + strlen(pop3_sasl_mech_name((pop3_sasl_mech_t)m)) + (s->left + 2U) / 3U * 4U + 2U;
    s->ir = s->resp != R_NONE && line <= POP3_CMD_MAX_LEN;
    if (s->ir) {
        s->step = 1;
    } else {
        start_line(c, L_AUTH, R_NONE);
    }
    return POP3_OK;
}

/* ---- the server's challenges and the end of the exchange ---------------------- */

static void respond(pop3_client_t *c, uint8_t resp)
{
    start_line(c, L_RESP, resp);
    c->sasl.step++;
}

/* Copies a JSON value, cut to @p cap, with every octet outside 0x20-0x7E made
 * '?': it came base64-encoded, so it may hold anything, and it is for logs. */
static uint8_t keep_printable(char *dst, size_t cap, const char *v, size_t vl)
{
    size_t i;

    vl = vl < cap ? vl : cap;
    for (i = 0; i < vl; i++) {
        dst[i] = v[i];
        if (v[i] < 0x20 || v[i] > 0x7E) {
            dst[i] = '?';
        }
    }
    return (uint8_t)vl;
}

/* Keeps what the application needs of a refused token's JSON error. */
static void oauth_error(pop3_sasl_state_t *s, const char *json, size_t n)
{
    const char *v;
    size_t vl;

    if (pop3_json_str(json, n, "status", &v, &vl)) {
        s->u.oauth.status_len = keep_printable(s->u.oauth.status, sizeof s->u.oauth.status, v, vl);
    }
    if (pop3_json_str(json, n, "scope", &v, &vl)) {
        s->u.oauth.scope_len = keep_printable(s->u.oauth.scope, sizeof s->u.oauth.scope, v, vl);
    }
}

/* The mechanism's answer to a decoded challenge of @p n octets at @p d; one
 * case per mechanism, s->step counting the messages already sent. */
static pop3_status_t step(pop3_client_t *c, char *d, size_t n)
{
    pop3_sasl_state_t *s = &c->sasl;
#if POP3_SASL_CRAM_MD5_ENABLE || POP3_SASL_SCRAM_ENABLE
    pop3_status_t st;
#endif

    switch (s->mech) {
    case POP3_SASL_LOGIN: /* "Username:", "Password:" (texts vary: not checked) */
        if (s->step > 1U) {
            return POP3_ERR_PROTOCOL;
        }
        respond(c, s->step == 0 ? R_M0 : R_M1);
        return POP3_OK;
#if POP3_SASL_CRAM_MD5_ENABLE
    case POP3_SASL_CRAM_MD5: /* one challenge, the server's timestamp */
        if (s->step != 0 || n == 0) {
            return POP3_ERR_PROTOCOL;
        }
        st = pop3_cram_digest(c, d, n);
        if (st == POP3_OK) {
            respond(c, R_M0);
        }
        return st;
#endif
#if POP3_SASL_SCRAM_ENABLE
    case POP3_SASL_SCRAM_SHA_1:
    case POP3_SASL_SCRAM_SHA_256:
        switch (s->step) {
        case 0: /* client-first was too long for the AUTH line: asked for with "+" */
            st = n == 0 ? POP3_OK : POP3_ERR_PROTOCOL;
            if (st == POP3_OK) {
                respond(c, R_M0);
            }
            return st;
        case 1: /* server-first, answered by client-final */
            st = pop3_scram_first(c, d, n);
            if (st == POP3_OK) {
                respond(c, R_M1);
            }
            return st;
        case 2: /* server-final: only a right signature gets the empty answer */
            st = pop3_scram_final(c, d, n);
            if (st == POP3_OK) {
                respond(c, R_NONE);
            }
            return st;
        default:
            return POP3_ERR_PROTOCOL;
        }
#endif
    case POP3_SASL_XOAUTH2:
    case POP3_SASL_OAUTHBEARER:
        if (s->step == 1U && !s->rejected) {
            /* The token was refused (RFC 7628 3.2.2): answered so that -ERR follows. */
            oauth_error(s, d, n);
            s->rejected = true;
            respond(c, s->mech == POP3_SASL_OAUTHBEARER ? R_ONE : R_NONE);
            return POP3_OK;
        }
        /* fall through - otherwise like PLAIN */
    default: /* PLAIN: the one message, asked for with an empty challenge */
        if (s->step != 0 || n != 0) {
            return POP3_ERR_PROTOCOL;
        }
        respond(c, R_M0);
        return POP3_OK;
    }
}

pop3_status_t pop3_sasl_challenge(pop3_client_t *c, char *text, size_t n)
{
    pop3_sasl_state_t *s = &c->sasl;
    pop3_status_t st = POP3_ERR_ABORTED;
    size_t d = 0;

    if (!s->cancel) {
        st = pop3_b64_decode_inplace(text, n, &d) ? step(c, text, d) : POP3_ERR_PROTOCOL;
    }
    if (st != POP3_OK) {
        POP3_LOG_WARN(("SASL exchange cancelled: %s", pop3_status_str(st)));
        s->fault = (uint8_t)st;
        start_line(c, L_CANCEL, R_NONE);
    }
    return st;
}

pop3_status_t pop3_sasl_success(const pop3_client_t *c)
{
    const pop3_sasl_state_t *s = &c->sasl;
    unsigned need = s->mech == POP3_SASL_LOGIN ? 2U : is_scram(s->mech) ? 3U : 1U;

    if (s->step == need && !s->rejected) {
        return POP3_OK;
    }
    /* +OK too early: SCRAM's server never proved it knows the password. */
    return is_scram(s->mech) ? POP3_ERR_SECURITY : POP3_ERR_PROTOCOL;
}

pop3_status_t pop3_sasl_failure(const pop3_client_t *c, pop3_resp_code_t code, pop3_reply_t *r, char *keep)
{
    const pop3_sasl_state_t *s = &c->sasl;

    if (!is_oauth(s->mech) || s->step == 0 || (!s->rejected && code != POP3_RESP_AUTH)) {
        return POP3_ERR_AUTH;
    }
    /* Copied out: the state is wiped before AUTH is reported. */
    memcpy(keep, s->u.oauth.status, s->u.oauth.status_len);
    memcpy(keep + POP3_OAUTH_STATUS_MAX_LEN, s->u.oauth.scope, s->u.oauth.scope_len);
    if (s->u.oauth.status_len > 0) {
        r->oauth_status = keep;
        r->oauth_status_len = s->u.oauth.status_len;
    }
    if (s->u.oauth.scope_len > 0) {
        r->oauth_scope = keep + POP3_OAUTH_STATUS_MAX_LEN;
        r->oauth_scope_len = s->u.oauth.scope_len;
    }
    return POP3_ERR_AUTH_TOKEN;
}
#endif /* POP3_SASL_ENABLE */
