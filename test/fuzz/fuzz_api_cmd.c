/*
 * fuzz_api (fuzz_api.h): the command functions of pop3.h called with
 * arguments from the input (numbers, strings, SASL credentials), and what
 * each must accept or refuse.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_api.h"
#include "fuzz_util.h"
#include "pop3.h"

static const uint32_t nums[8] = {0, 1, 2, 3, 10, 0x7FFFFFFFU, 0xFFFFFFFEU, 0xFFFFFFFFU};

/* String arguments; lengths 215/216 bracket APOP's limit, 248/249 USER/PASS's. */
static const struct {
    const char *s; /* NULL with len 0: the NULL pointer; NULL with len > 0: len 'u's */
    size_t len;
} api_strings[16] = {
    {"alice", 5}, {"pw-S3cr3t!x", 11}, {"", 0}, {NULL, 0}, {"a\r\nDELE 1", 9}, {"a\rb", 3}, {"a\nb", 3},
    {"tab\there", 8}, {NULL, 215}, {NULL, 216}, {NULL, 248}, {NULL, 249}, {NULL, 250}, {NULL, 600},
    {NULL, 0} /* raw input octets */, {"\x1b[2J\x7f\x01\xff", 7},
};
/* ------------------------------------------------------------------------ */
/* Commands                                                                 */
/* ------------------------------------------------------------------------ */
/* A string argument: *owned is a heap copy to free after the call (or NULL). */
static const char *str_arg(src_t src, char **owned, size_t *len, bool *bad)
{
    uint8_t s = src();
    unsigned k = s & 15U;
    char *p;
    size_t n, i;

    *owned = NULL;
    if (k == 3) {
        *bad = true;
        *len = 0;
        return NULL;
    }
    if (k == 14) {
        n = src();
        p = malloc(n + 1U);
        for (i = 0; i < n; i++) {
            p[i] = (char)src();
        }
        p[n] = '\0';
    } else {
        n = api_strings[k].len;
        p = malloc(n + 1U);
        if (api_strings[k].s != NULL) {
            memcpy(p, api_strings[k].s, n);
        } else {
            memset(p, 'u', n);
        }
        p[n] = '\0';
    }
    *owned = p;
    *len = strlen(p);
    if (memchr(p, '\r', *len) != NULL || memchr(p, '\n', *len) != NULL) {
        *bad = true; /* pop3.h: CR, LF (or NUL) in a string is refused */
    }
    return p;
}

/* read_secret: the slot's secret string. */
static bool auth_read(void *ctx, size_t off, uint8_t *buf, size_t len)
{
    const char *sec = *(char *const *)ctx;
    size_t n = strlen(sec);

    FZ_CHECK(off <= n && len <= n - off, "read_secret [%zu, +%zu) beyond %zu octets", off, len, n);
    memcpy(buf, sec + off, len);
    return true;
}

/* SCRAM nonce source: deterministic (a test). */
static int api_rng(void *ctx, unsigned char *buf, size_t len)
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

/* A control octet (pop3_sasl.h refuses them in user and authzid). */
static bool has_ctl(const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20U || (unsigned char)*s == 0x7FU) {
            return true;
        }
    }
    return false;
}

static bool token_ok(const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if ((unsigned char)*s < 0x21U || (unsigned char)*s > 0x7EU) {
            return false;
        }
    }
    return true;
}

/*
 * pop3_auth() with arguments from @p src (format in the header). What pop3.h
 * says is refused must be; the exchange itself is checked in sent_bytes().
 */
static void auth_command(src_t src, bool plain, pop3_client_t *c)
{
    uint8_t m = plain ? (uint8_t)POP3_SASL_PLAIN : src();
    unsigned flags = (unsigned)m >> 4;
    int mech = plain ? POP3_SASL_PLAIN : m % 9;
    bool bad = false, may_accept;
    size_t ul = 5, pl = 11, zl = 0;
    pop3_sasl_creds_t *cr = NULL;
    api_q_t *e = NULL;
    int idx, k;
    pop3_status_t st;

    if (!A.accounting || A.nauth >= API_MAXAUTH) {
        return; /* without on_done the end of the exchange is unknown; creds slots used up */
    }
    k = A.nauth++;
    cr = &A.auth[k].creds;
    memset(cr, 0, sizeof *cr);
    if (plain) {
        A.auth[k].strs[0] = strdup("alice");
        A.auth[k].strs[1] = strdup("pw-S3cr3t!x");
        flags = 0;
    } else {
        A.auth[k].strs[0] = (char *)str_arg(src, &A.auth[k].strs[0], &ul, &bad);
        A.auth[k].strs[1] = (char *)str_arg(src, &A.auth[k].strs[1], &pl, &bad);
        if (flags & 8U) {
            bool zbad = false; /* a NULL authzid means none: only CR/LF make it bad */
            A.auth[k].strs[2] = (char *)str_arg(src, &A.auth[k].strs[2], &zl, &zbad);
            bad = bad || (zbad && A.auth[k].strs[2] != NULL);
        }
    }
    cr->user = A.auth[k].strs[0];
    cr->authzid = A.auth[k].strs[2];
    cr->is_token = (flags & 1U) != 0;
    if (flags & 2U) {
        cr->read_secret = auth_read;
        cr->read_ctx = &A.auth[k].strs[1];
        cr->secret_len = pl;
        bad = bad || A.auth[k].strs[1] == NULL;
    } else {
        cr->secret = A.auth[k].strs[1];
    }
    if (!(flags & 4U)) {
        A.auth[k].rng = 0x2545F491U;
        cr->rng = api_rng;
        cr->rng_ctx = &A.auth[k].rng;
    }
    bad = bad || ul == 0 || mech >= POP3_SASL_MECH_COUNT_ || pl == 0 || has_ctl(cr->user) || has_ctl(cr->authzid);
    if (mech == POP3_SASL_XOAUTH2 || mech == POP3_SASL_OAUTHBEARER || (mech == POP3_SASL_BEST && cr->is_token)) {
        bad = bad || !token_ok(A.auth[k].strs[1]); /* pop3_sasl.h: printable ASCII, no space (0x01 frames the payload) */
    }
    if (mech == POP3_SASL_SCRAM_SHA_1 || mech == POP3_SASL_SCRAM_SHA_256) {
        bad = bad || cr->rng == NULL || zl > 0;
    }
    if (mech == POP3_SASL_CRAM_MD5 || mech == POP3_SASL_SCRAM_SHA_1 || mech == POP3_SASL_SCRAM_SHA_256) {
        bad = bad || pl > POP3_SASL_PASSWORD_MAX_LEN;
    }
    may_accept = c != NULL && A.init_ok && !bad && flags != 15U && pop3_state(c) != POP3_STATE_CLOSED;
    if (A.security == POP3_SEC_PLAINTEXT && !A.allow_plain && !A.tls_up) {
        may_accept = false; /* (tls_up: upgraded by pop3_stls()) */
    }
    if (A.nq >= API_MAXQ) {
        return;
    }
    idx = A.nq++;
    e = &A.q[idx];
    memset(e, 0, sizeof *e);
    e->cmd = POP3_CMD_AUTH;
    e->provisional = true;
    dbg("command AUTH %s flags %x user %zu secret %zu authzid %zu%s", pop3_sasl_mech_name((pop3_sasl_mech_t)mech), flags,
        ul, pl, zl, bad ? " (bad)" : "");
    enter(K_CMD);
    st = pop3_auth(c, (pop3_sasl_mech_t)mech, flags == 15U ? NULL : cr);
    leave();
    dbg("  -> %s", pop3_status_str(st));
    FZ_CHECK((unsigned)st < (unsigned)POP3_STATUS_COUNT_, "pop3_auth returned status %d", (int)st);
    if (st == POP3_OK) {
        FZ_CHECK(may_accept, "pop3_auth accepted what pop3_sasl.h says is refused (bad creds: empty, control octets, a "
                 "token not printable ASCII; SCRAM without rng or with an authzid, long CRAM/SCRAM password, mechanism "
                 "out of range, plaintext without the opt-in, closed)");
    }
    e->provisional = false;
    if (st != POP3_OK) {
        FZ_CHECK(!e->done, "pop3_auth returned %s but on_done reported it", pop3_status_str(st));
        e->rejected = true;
    }
}

/* What pop3.h says pop3_command() refuses beyond NULL/CR/LF: nothing but
 * blanks, over POP3_CMD_MAX_LEN with CR LF, or a first word the core manages. */
static bool raw_refused(const char *l, size_t n)
{
    static const char *const managed[] = {"USER", "PASS", "APOP", "AUTH", "STLS", "QUIT", "UTF8"};
    size_t lead, word, i;

    if (l == NULL || n + 2U > POP3_CMD_MAX_LEN) {
        return true;
    }
    lead = strspn(l, " \t\v\f");
    word = strcspn(l + lead, " \t\v\f");
    if (word == 0) {
        return true;
    }
    for (i = 0; i < sizeof managed / sizeof managed[0]; i++) {
        if (word == 4U && strncasecmp(l + lead, managed[i], 4) == 0) {
            return true;
        }
    }
    return false;
}

/* Queues one command chosen by a selector from @p src, checking what pop3.h promises. */
void command(src_t src)
{
    static const uint8_t fns[16] = {POP3_CMD_CAPA, POP3_CMD_LOGIN, POP3_CMD_APOP, POP3_CMD_STAT,
                                    POP3_CMD_LIST, POP3_CMD_UIDL,  POP3_CMD_RETR, POP3_CMD_TOP,
                                    POP3_CMD_DELE, POP3_CMD_RSET,  POP3_CMD_NOOP, POP3_CMD_QUIT,
                                    POP3_CMD_AUTH, POP3_CMD_RAW,  POP3_CMD_USER, POP3_CMD_STLS};
    uint8_t s = src();
    int cmd = fns[s & 15];
    bool plain = (s >> 4) == 0, null_client = (s >> 4) == 15;
    uint32_t msg = 1, lines = 0;
    const char *user = "alice", *pass = "pw-S3cr3t!x", *line = "XTND";
    char *uo = NULL, *po = NULL;
    size_t ul = 5, pl = 11, ll = 4;
    bool bad = false, was_closed, may_accept, multi = false, plaintext;
    pop3_client_t *c = null_client ? NULL : cl();
    api_q_t *e = NULL;
    int idx = -1;
    pop3_status_t st;

    if (!plain && !null_client) {
        switch (cmd) {
        case POP3_CMD_LIST:
        case POP3_CMD_UIDL:
        case POP3_CMD_RETR:
        case POP3_CMD_DELE:
            msg = nums[src() & 7];
            break;
        case POP3_CMD_TOP:
            msg = nums[src() & 7];
            lines = nums[src() & 7];
            break;
        case POP3_CMD_LOGIN:
        case POP3_CMD_APOP:
            user = str_arg(src, &uo, &ul, &bad);
            pass = str_arg(src, &po, &pl, &bad);
            break;
        case POP3_CMD_RAW:
            line = str_arg(src, &uo, &ll, &bad);
            multi = (src() & 1U) != 0;
            break;
        case POP3_CMD_USER:
            if (src() & 1U) {
                cmd = POP3_CMD_PASS; /* its string is the password */
            }
            user = str_arg(src, &uo, &ul, &bad);
            break;
        case POP3_CMD_STLS:
            if (src() & 1U) {
                cmd = POP3_CMD_UTF8;
            }
            break;
        default:
            break;
        }
    }
    if (cmd == POP3_CMD_LIST || cmd == POP3_CMD_UIDL) {
        msg = plain ? 0 : msg; /* plain LIST/UIDL: the multi-line form */
    }
    if (cmd == POP3_CMD_RETR || cmd == POP3_CMD_TOP || cmd == POP3_CMD_DELE) {
        bad = bad || msg == 0;
    }
    if (cmd == POP3_CMD_LOGIN) {
        bad = bad || 5U + ul + 2U > POP3_CMD_MAX_LEN || 5U + pl + 2U > POP3_CMD_MAX_LEN;
    }
    if (cmd == POP3_CMD_APOP) {
        bad = bad || 5U + ul + 1U + 32U + 2U > POP3_CMD_MAX_LEN;
    }
    if (cmd == POP3_CMD_USER || cmd == POP3_CMD_PASS) {
        bad = bad || 5U + ul + 2U > POP3_CMD_MAX_LEN;
    }
    if (cmd == POP3_CMD_RAW) {
        bad = bad || raw_refused(line, ll);
        msg = multi ? 1U : 0U;
        if (!A.accounting && c != NULL) {
            A.fr.off = true; /* without the queue its line cannot be told from others: framing unknown */
        }
    }
    if (c != NULL && !A.touched) {
        goto out; /* the application never called pop3_init() on it: uninitialised memory */
    }
    if (cmd == POP3_CMD_AUTH) {
        auth_command(src, plain, c);
        goto out;
    }
#ifdef FZ_EXPLORE_AROUND_KNOWN_BUGS
    if (c != NULL && !A.init_ok) {
        goto out; /* failed_init_* */
    }
#endif
    was_closed = c != NULL && A.init_ok && pop3_state(c) == POP3_STATE_CLOSED;
    may_accept = c != NULL && A.init_ok && !bad && !was_closed;
    /* Credentials need the opt-in over plaintext, unless pop3_stls() upgraded it. */
    plaintext = A.security == POP3_SEC_PLAINTEXT && !A.allow_plain && !A.tls_up;
    if ((cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP || cmd == POP3_CMD_USER || cmd == POP3_CMD_PASS) && plaintext) {
        may_accept = false;
    }
    if (cmd == POP3_CMD_STLS && (A.security != POP3_SEC_PLAINTEXT || A.tls_up || A.start_tls_null ||
                                 (c != NULL && A.init_ok && pop3_state(c) == POP3_STATE_TRANSACTION))) {
        may_accept = false; /* pop3.h: only a plaintext session not upgraded, before the login, with start_tls */
    }
    if (cmd == POP3_CMD_UTF8 && (c == NULL || !A.init_ok || (pop3_caps(c) & POP3_CAP_UTF8) == 0)) {
        may_accept = false; /* RFC 6856: only when the CAPA in force lists UTF8 */
    }
    if (c != NULL && A.accounting) {
        if (A.nq >= API_MAXQ) {
            goto out;
        }
        /* The entry exists before the call: the core may report it from inside. */
        idx = A.nq++;
        e = &A.q[idx];
        memset(e, 0, sizeof *e);
        e->cmd = (uint8_t)cmd;
        e->msg = msg;
        e->provisional = true;
    }
    dbg("command %s msg %u%s", pop3_cmd_name((pop3_cmd_t)cmd), (unsigned)msg, c == NULL ? " (NULL client)" : "");
    enter(K_CMD);
    switch (cmd) {
    case POP3_CMD_CAPA: st = pop3_capa(c); break;
    case POP3_CMD_LOGIN: st = pop3_login(c, user, pass); break;
    case POP3_CMD_APOP: st = pop3_apop(c, user, pass); break;
    case POP3_CMD_STAT: st = pop3_stat(c); break;
    case POP3_CMD_LIST: st = pop3_list(c, msg); break;
    case POP3_CMD_UIDL: st = pop3_uidl(c, msg); break;
    case POP3_CMD_RETR: st = pop3_retr(c, msg); break;
    case POP3_CMD_TOP: st = pop3_top(c, msg, lines); break;
    case POP3_CMD_DELE: st = pop3_dele(c, msg); break;
    case POP3_CMD_RSET: st = pop3_rset(c); break;
    case POP3_CMD_NOOP: st = pop3_noop(c); break;
    case POP3_CMD_RAW: st = pop3_command(c, line, multi); break;
    case POP3_CMD_USER: st = pop3_user(c, user); break;
    case POP3_CMD_PASS: st = pop3_pass(c, user); break;
    case POP3_CMD_STLS: st = pop3_stls(c); break;
    case POP3_CMD_UTF8: st = pop3_utf8(c); break;
    default: st = pop3_quit(c); break;
    }
    leave();
    dbg("  -> %s", pop3_status_str(st));
    FZ_CHECK((unsigned)st < (unsigned)POP3_STATUS_COUNT_, "%s returned status %d", pop3_cmd_name((pop3_cmd_t)cmd), (int)st);
    if (st == POP3_OK) {
        FZ_CHECK(c != NULL, "%s accepted a NULL client", pop3_cmd_name((pop3_cmd_t)cmd));
        FZ_CHECK(A.init_ok, "%s accepted by a client whose pop3_init() failed", pop3_cmd_name((pop3_cmd_t)cmd));
        FZ_CHECK(!was_closed, "%s accepted by a CLOSED client", pop3_cmd_name((pop3_cmd_t)cmd));
        FZ_CHECK(may_accept, "%s accepted with an argument pop3.h says is refused (NULL, CR/LF, too long, message 0,"
                 " a managed verb typed raw) or a plaintext login without the opt-in, STLS out of place, UTF8 not"
                 " advertised", pop3_cmd_name((pop3_cmd_t)cmd));
    }
    if (e != NULL) {
        e->provisional = false;
        if (st != POP3_OK) {
            FZ_CHECK(!e->done, "%s returned %s but on_done reported it", pop3_cmd_name((pop3_cmd_t)cmd), pop3_status_str(st));
            e->rejected = true;
        }
    }
out:
    free(uo);
    free(po);
}
