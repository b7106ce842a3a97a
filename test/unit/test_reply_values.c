/*
 * unit_reply: the UIDL entry parser, the value parsers against a reference
 * on random input, the CAPA keyword table, the APOP timestamp (the test list
 * and main() are in test_reply.c).
 */
#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>

#include "pop3_internal.h"
#include "test_reply.h"

/* ======================================================================== */
/* pop3_parse_uidl                                                          */

static void expect_uidl(const char *text, size_t len, bool ok, uint32_t msg, const char *uid, size_t uid_len)
{
    char buf[256];
    FT_CHECK(len + 1 < sizeof buf);
    memcpy(buf, text, len);
    buf[len] = 'Q'; /* a uid octet just past the length must not be read */
    char esc[512];
    ft_escape(esc, sizeof esc, text, len);
    ft_setctx("parse_uidl '%s' (len %zu)", esc, len);
    uint32_t m = 0xDEADBEEFU;
    const char *u = NULL;
    size_t ul = (size_t)-1;
    bool r = pop3_parse_uidl(buf, len, &m, &u, &ul);
    FT_EQ(r, ok);
    if (ok) {
        FT_EQ(m, msg);
        FT_CHECK(u >= buf && u + ul <= buf + len);
        FT_EQ_MEM(u, ul, uid, uid_len);
    }
}

void test_parse_uidl(void **state)
{
    (void)state;
    expect_uidl(S("1 whqtswO00WBw418f9t5JxYwZ"), true, 1, S("whqtswO00WBw418f9t5JxYwZ"));
    expect_uidl(S("2 QhdPYR:00WBw1Ph7x7"), true, 2, S("QhdPYR:00WBw1Ph7x7"));
    expect_uidl(S("3 abc trailing free text"), true, 3, S("abc"));
    expect_uidl(S("3 abc "), true, 3, S("abc"));
    expect_uidl(S("3  abc"), true, 3, S("abc")); /* several spaces before the uid */
    expect_uidl(S("4294967295 x"), true, 4294967295U, S("x"));
    expect_uidl(S("4294967296 x"), false, 0, NULL, 0);
    expect_uidl(S("1x abc"), false, 0, NULL, 0);
    expect_uidl(S("1"), false, 0, NULL, 0);
    expect_uidl(S("1 "), false, 0, NULL, 0);
    expect_uidl(S("1  "), false, 0, NULL, 0);
    expect_uidl(S(""), false, 0, NULL, 0);
    expect_uidl(S(" 1 abc"), false, 0, NULL, 0);
    expect_uidl(S("1\tabc"), false, 0, NULL, 0);
    expect_uidl(S("abc"), false, 0, NULL, 0);
    /* Octets: 0x21 and 0x7E are the bounds; 0x20 ends the uid. */
    expect_uidl(S("5 !~"), true, 5, S("!~"));
    expect_uidl(S("5 ab cd"), true, 5, S("ab"));
    expect_uidl(S("5 ab\x7F"), false, 0, NULL, 0);
    expect_uidl(S("5 \x7F"), false, 0, NULL, 0);
    expect_uidl(S("5 ab\x80"), false, 0, NULL, 0);
    expect_uidl(S("5 \xFFz"), false, 0, NULL, 0);
    expect_uidl(S("5 a\tb"), false, 0, NULL, 0);
    expect_uidl(S("5 a\x1F"), false, 0, NULL, 0);
    expect_uidl(S("5 a\rb"), false, 0, NULL, 0);
    expect_uidl("5 a\0b", 5, false, 0, NULL, 0);
    /* Length: 1 to 70 octets (RFC 1939 section 7). */
    char line[128];
    for (size_t n = 1; n <= 72; n++) {
        int o = snprintf(line, sizeof line, "9 ");
        memset(line + o, 'u', n);
        bool ok = n <= 70;
        expect_uidl(line, (size_t)o + n, ok, 9, line + o, n);
        memcpy(line + o + n, " more text", 10);
        expect_uidl(line, (size_t)o + n + 10, ok, 9, line + o, n);
    }
    /* Bounded by the length. */
    expect_uidl("7 abcdef", 5, true, 7, S("abc"));
}

/* ---- the same parsers against a reference, on seeded random inputs ------- */

static uint32_t rp_state = 0xC0FFEE11U;
static uint32_t rp_rand(void)
{
    rp_state ^= rp_state << 13;
    rp_state ^= rp_state >> 17;
    rp_state ^= rp_state << 5;
    return rp_state;
}

/* Decimal run at *i (at least one digit) within max (a decimal string): false if none or above. */
static bool ref_number(const char *s, size_t len, size_t *i, const char *max, uint64_t *v)
{
    size_t b = *i, z;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') (*i)++;
    if (*i == b) return false;
    for (z = b; z + 1 < *i && s[z] == '0'; z++) {
    }
    size_t n = *i - z, mn = strlen(max);
    if (n > mn || (n == mn && memcmp(s + z, max, mn) > 0)) return false;
    *v = 0;
    for (size_t k = z; k < *i; k++) *v = *v * 10U + (uint64_t)(s[k] - '0');
    return true;
}

static bool ref_spaces(const char *s, size_t len, size_t *i)
{
    size_t b = *i;
    while (*i < len && s[*i] == ' ') (*i)++;
    return *i > b;
}

static bool ref_pair(const char *s, size_t len, uint32_t *a, uint64_t *b)
{
    size_t i = 0;
    uint64_t va;
    if (!ref_number(s, len, &i, "4294967295", &va) || !ref_spaces(s, len, &i) ||
        !ref_number(s, len, &i, "18446744073709551615", b))
        return false;
    *a = (uint32_t)va;
    return i == len || s[i] == ' ';
}

static bool ref_uidl(const char *s, size_t len, uint32_t *m, size_t *uid_at, size_t *uid_len)
{
    size_t i = 0;
    uint64_t v;
    if (!ref_number(s, len, &i, "4294967295", &v) || !ref_spaces(s, len, &i)) return false;
    *m = (uint32_t)v;
    *uid_at = i;
    while (i < len && s[i] != ' ') {
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E) return false;
        i++;
    }
    *uid_len = i - *uid_at;
    return *uid_len >= 1 && *uid_len <= 70;
}

static size_t rp_gen(char *buf, size_t cap, const char *alpha, const char *const *chunks, size_t nchunks)
{
    size_t len = 0, parts = 1 + rp_rand() % 6U;
    for (size_t p = 0; p < parts; p++) {
        unsigned kind = rp_rand() % 4U;
        if (kind == 0 && nchunks > 0) {
            const char *c = chunks[rp_rand() % nchunks];
            size_t n = strlen(c);
            if (len + n < cap) {
                memcpy(buf + len, c, n);
                len += n;
            }
        } else {
            size_t n = rp_rand() % (kind == 1 ? 80U : 6U), na = strlen(alpha);
            char ch = alpha[rp_rand() % na];
            for (size_t k = 0; k < n && len < cap; k++) buf[len++] = kind == 1 ? ch : alpha[rp_rand() % na];
        }
    }
    return len;
}

void test_parse_values_random(void **state)
{
    (void)state;
    static const char *const nums[] = {"18446744073709551615", "18446744073709551616", "4294967295", "4294967296",
                                       "0", "00000000000000000000018446744073709551615", "1 ", " 2 ", "99999999999999999999"};
    static const char *const uids[] = {"1 ", "4294967296 ", "42 ", " x", "\x7F", "\x80", "\x20", "~!"};
    char buf[256];
    unsigned ok_pairs = 0, ok_uidls = 0;
    for (int n = 0; n < 20000; n++) {
        size_t len = rp_gen(buf, sizeof buf - 1, "0159 x", nums, sizeof nums / sizeof nums[0]);
        buf[len] = '5';
        char esc[600];
        ft_escape(esc, sizeof esc, buf, len);
        ft_setctx("random pair #%d '%s'", n, esc);
        uint32_t ea = 0, ga = 0;
        uint64_t eb = 0, gb = 0;
        bool exp = ref_pair(buf, len, &ea, &eb);
        ok_pairs += exp;
        FT_EQ(pop3_parse_pair(buf, len, &ga, &gb), exp);
        if (exp) {
            FT_EQ(ga, ea);
            FT_EQ(gb, eb);
        }

        len = rp_gen(buf, sizeof buf - 1, "1 a~!\x7F\x80\t", uids, sizeof uids / sizeof uids[0]);
        if (rp_rand() & 1U) {
            memmove(buf + 2, buf, len < sizeof buf - 3 ? len : sizeof buf - 3);
            memcpy(buf, "7 ", 2);
            len = len + 2 < sizeof buf - 1 ? len + 2 : sizeof buf - 1;
        }
        buf[len] = 'Q';
        ft_escape(esc, sizeof esc, buf, len);
        ft_setctx("random uidl #%d '%s'", n, esc);
        uint32_t em = 0, gm = 0;
        size_t eat = 0, elen = 0, glen = 0;
        const char *gu = NULL;
        exp = ref_uidl(buf, len, &em, &eat, &elen);
        ok_uidls += exp;
        FT_EQ(pop3_parse_uidl(buf, len, &gm, &gu, &glen), exp);
        if (exp) {
            FT_EQ(gm, em);
            FT_CHECK(gu == buf + eat);
            FT_EQ(glen, elen);
        }
    }
    /* The generator must reach both answers often enough to mean something. */
    FT_CHECK_MSG(ok_pairs > 500 && ok_pairs < 19500, "%u valid pairs of 20000", ok_pairs);
    FT_CHECK_MSG(ok_uidls > 500 && ok_uidls < 19500, "%u valid uidl lines of 20000", ok_uidls);
    ft_setctx("");
}

/* ======================================================================== */
/* pop3_capa_bit                                                            */

static const struct {
    const char *name;
    uint32_t bit;
} capa_table[] = {
    {"TOP", POP3_CAP_TOP},
    {"USER", POP3_CAP_USER},
    {"SASL", POP3_CAP_SASL},
    {"RESP-CODES", POP3_CAP_RESP_CODES},
    {"LOGIN-DELAY", POP3_CAP_LOGIN_DELAY},
    {"PIPELINING", POP3_CAP_PIPELINING},
    {"EXPIRE", POP3_CAP_EXPIRE},
    {"UIDL", POP3_CAP_UIDL},
    {"IMPLEMENTATION", POP3_CAP_IMPLEMENTATION},
    {"STLS", POP3_CAP_STLS},
    {"AUTH-RESP-CODE", POP3_CAP_AUTH_RESP_CODE},
    {"UTF8", POP3_CAP_UTF8},
};
#define CAPA_N (sizeof capa_table / sizeof capa_table[0])

static void expect_capa(const char *line, size_t len, uint32_t bit)
{
    char buf[256];
    FT_CHECK(len + 1 < sizeof buf);
    memcpy(buf, line, len);
    buf[len] = 'X'; /* a name octet just past the length must not be read */
    char esc[512];
    ft_escape(esc, sizeof esc, line, len);
    ft_setctx("capa_bit '%s' (len %zu)", esc, len);
    uint32_t got = pop3_capa_bit(buf, len);
    FT_CHECK_MSG(got == bit, "capa_bit is 0x%lx, expected 0x%lx", (unsigned long)got, (unsigned long)bit);
}

void test_capa_bit(void **state)
{
    (void)state;
    uint32_t all = 0;
    for (size_t i = 0; i < CAPA_N; i++) {
        const char *nm = capa_table[i].name;
        size_t n = strlen(nm);
        uint32_t bit = capa_table[i].bit;
        char buf[64];
        /* The bit of name i is 1 << i, the same as the POP3_CAP_* macro. */
        FT_EQ(bit, 1UL << i);
        FT_CHECK((all & bit) == 0);
        all |= bit;
        FT_CHECK(bit != POP3_CAP_KNOWN);
        expect_capa(nm, n, bit);
        /* Case-insensitive (capability names are, RFC 2449). */
        for (size_t k = 0; k < n; k++) buf[k] = (char)((nm[k] >= 'A' && nm[k] <= 'Z') ? nm[k] + 32 : nm[k]);
        expect_capa(buf, n, bit);
        for (size_t k = 0; k < n; k++) buf[k] = (char)((k % 2 && nm[k] >= 'A' && nm[k] <= 'Z') ? nm[k] + 32 : nm[k]);
        expect_capa(buf, n, bit);
        /* Arguments after a space. */
        snprintf(buf, sizeof buf, "%s arg1 ARG2", nm);
        expect_capa(buf, strlen(buf), bit);
        snprintf(buf, sizeof buf, "%s ", nm);
        expect_capa(buf, strlen(buf), bit);
        /* A longer name, or a prefix, is another capability. */
        snprintf(buf, sizeof buf, "%sX", nm);
        expect_capa(buf, strlen(buf), 0);
        snprintf(buf, sizeof buf, "%s-X arg", nm);
        expect_capa(buf, strlen(buf), 0);
        for (size_t k = 0; k < n; k++) {
            memcpy(buf, nm, k);
            expect_capa(buf, k, 0);
            buf[k] = ' ';
            memcpy(buf + k + 1, nm + k, n - k);
            expect_capa(buf, n + 1, 0); /* a space inside the name */
        }
        snprintf(buf, sizeof buf, " %s", nm);
        expect_capa(buf, strlen(buf), 0);
        snprintf(buf, sizeof buf, "%s\targ", nm);
        expect_capa(buf, strlen(buf), 0);
    }
    expect_capa(S("TOPX"), 0);
    expect_capa(S("TO"), 0);
    expect_capa(S("TOP"), POP3_CAP_TOP);
    expect_capa(S("top"), POP3_CAP_TOP);
    expect_capa(S("SASL PLAIN LOGIN"), POP3_CAP_SASL);
    expect_capa(S("EXPIRE 60 USER"), POP3_CAP_EXPIRE);
    expect_capa(S("LOGIN-DELAY 900"), POP3_CAP_LOGIN_DELAY);
    expect_capa(S("IMPLEMENTATION Shlemazle Plotz v302"), POP3_CAP_IMPLEMENTATION);
    expect_capa(S("UID"), 0);
    expect_capa(S("UIDL2"), 0);
    expect_capa(S("X-UNKNOWN"), 0);
    expect_capa(S("RESP-CODE"), 0);
    expect_capa(S("AUTH-RESP-CODES"), 0);
    expect_capa(S("UTF"), 0);
    expect_capa(S("UTF8 USER"), POP3_CAP_UTF8);
    expect_capa(S(""), 0);
    expect_capa(S(" "), 0);
    expect_capa(S("."), 0);
    /* Bounded by the length: "TOPX" with length 3 is TOP. */
    expect_capa("TOPX", 3, POP3_CAP_TOP);
    expect_capa("USERS", 4, POP3_CAP_USER);
    expect_capa("SASL", 3, 0);
}

/* ======================================================================== */
/* pop3_apop_timestamp                                                      */

static void expect_ts(const char *text, size_t len, const char *ts)
{
    char buf[512];
    FT_CHECK(len + 1 < sizeof buf);
    memcpy(buf, text, len);
    buf[len] = '>'; /* a '>' just past the length must not be used */
    char esc[1024];
    ft_escape(esc, sizeof esc, text, len);
    ft_setctx("apop_timestamp '%s' (len %zu)", esc, len);
    const char *t = NULL;
    size_t tl = (size_t)-1;
    bool r = pop3_apop_timestamp(buf, len, &t, &tl);
    FT_EQ(r, ts != NULL);
    if (ts != NULL) {
        FT_CHECK(t >= buf && t + tl <= buf + len);
        FT_EQ_STR(t, tl, ts);
    }
}

void test_apop_timestamp(void **state)
{
    (void)state;
    expect_ts(S("POP3 server ready <1896.697170952@dbc.mtview.ca.us>"), "<1896.697170952@dbc.mtview.ca.us>");
    expect_ts(S("<1896.697170952@dbc.mtview.ca.us>"), "<1896.697170952@dbc.mtview.ca.us>");
    expect_ts(S("ready <a@b> and more text"), "<a@b>");
    expect_ts(S("first <a@b> second <c@d>"), "<a@b>");
    expect_ts(S("x> <a@b>"), "<a@b>"); /* a '>' before the '<' does not count */
    expect_ts(S("POP3 server ready"), NULL);
    expect_ts(S(""), NULL);
    expect_ts(S("ready <1896.697170952@dbc"), NULL);        /* unterminated */
    expect_ts(S("ready 1896.697170952@dbc>"), NULL);         /* no '<' */
    expect_ts(S("ready <1896.697170952.dbc>"), NULL);        /* no '@' */
    expect_ts(S("ready <>"), NULL);
    expect_ts(S("ready <a @b>"), NULL);                      /* space inside */
    expect_ts(S("ready <a\t@b>"), NULL);
    expect_ts(S("ready <a@b\x7F>"), NULL);
    expect_ts(S("ready <a@b\x80>"), NULL);
    expect_ts(S("ready <a<b@c>"), NULL);                     /* nested '<' */
    /* Bounded by the length: the '>' is just outside. */
    expect_ts("<a@b>", 4, NULL);
    /* Length: up to POP3_APOP_TIMESTAMP_MAX_LEN octets with the brackets. */
    char buf[POP3_APOP_TIMESTAMP_MAX_LEN + 8];
    for (size_t n = POP3_APOP_TIMESTAMP_MAX_LEN - 2; n <= POP3_APOP_TIMESTAMP_MAX_LEN + 2; n++) {
        buf[0] = '<';
        memset(buf + 1, 'z', n - 2);
        buf[1] = '@';
        buf[n - 1] = '>';
        buf[n] = '\0';
        expect_ts(buf, n, n <= POP3_APOP_TIMESTAMP_MAX_LEN ? buf : NULL);
    }
}
