/*
 * Unit tests of pop3_body.c alone: pop3_body_decode() against a per-byte
 * reference decoder written here from RFC 1939 section 3, on hand-written
 * inputs, on every input of up to 8 octets over {'.', CR, LF, 'a'}, and on a
 * few thousand pseudo-random ones (fixed seed), each fed whole, split in two
 * at every offset, byte by byte and in random chunk sizes. Every chunk is
 * copied into its own exactly-sized heap block, so ASan sees any read past a
 * chunk's end. Besides the output and the end offset, each call is checked
 * against the contract in pop3_internal.h.
 *
 * Reference rules: a body starts at a line start. Only CR LF ends a line. At
 * a line start, "." CR LF ends the body (the CR LF before it belongs to the
 * message); any other "." there is stuffing and is dropped; ".\r" followed by
 * something other than LF: the dot was stuffing, the CR is data. A bare LF
 * followed by "." is data.
 */
#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>

#include "pop3_internal.h"

#define NO_END ((size_t)-1)
#define MAX_IN 4096

/* ======================================================================== */
/* Reference decoder, one octet at a time                                    */

typedef struct {
    uint8_t out[MAX_IN];
    size_t out_len;
    size_t out_at[MAX_IN + 1]; /* output length once i input octets are read */
    size_t end_at;             /* input octets up to the end of the end marker; NO_END if none */
} ref_t;

static void ref_decode(ref_t *r, const uint8_t *in, size_t len)
{
    enum { R_BOL, R_MID, R_MID_CR, R_DOT, R_DOT_CR } st = R_BOL;
    r->out_len = 0;
    r->end_at = NO_END;
    r->out_at[0] = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = in[i];
        switch (st) {
        case R_BOL:
            if (ch == '.') {
                st = R_DOT;
            } else {
                r->out[r->out_len++] = ch;
                st = ch == '\r' ? R_MID_CR : R_MID;
            }
            break;
        case R_MID:
            r->out[r->out_len++] = ch;
            st = ch == '\r' ? R_MID_CR : R_MID;
            break;
        case R_MID_CR:
            r->out[r->out_len++] = ch;
            st = ch == '\n' ? R_BOL : ch == '\r' ? R_MID_CR : R_MID;
            break;
        case R_DOT:
            if (ch == '\r') {
                st = R_DOT_CR;
            } else {
                r->out[r->out_len++] = ch; /* the dot was stuffing; a LF here is a bare LF */
                st = R_MID;
            }
            break;
        case R_DOT_CR:
            if (ch == '\n') {
                r->end_at = i + 1;
                r->out_at[i + 1] = r->out_len;
                return;
            }
            r->out[r->out_len++] = '\r'; /* the dot was stuffing, the CR is data */
            r->out[r->out_len++] = ch;
            st = ch == '\r' ? R_MID_CR : R_MID;
            break;
        }
        r->out_at[i + 1] = r->out_len;
    }
}

/* ======================================================================== */
/* Driver of the real decoder, with the contract checks                     */

typedef struct {
    uint8_t state;
    uint8_t out[MAX_IN];
    size_t out_len;
    size_t end_at;
    unsigned calls;
    unsigned runs;
    const ref_t *ref;
    const char *name;
} dec_t;

static void dec_init(dec_t *d, const ref_t *ref, const char *name)
{
    d->state = POP3_B_BOL;
    d->out_len = 0;
    d->end_at = NO_END;
    d->calls = 0;
    d->runs = 0;
    d->ref = ref;
    d->name = name;
}

/* Feeds one chunk (stream offset `base`) until it is used up or the end is found. */
static void dec_feed(dec_t *d, const uint8_t *src, size_t len, size_t base)
{
    if (len == 0 || d->end_at != NO_END) return;
    uint8_t *p = malloc(len); /* exactly the chunk: a read past it is an ASan report */
    FT_CHECK(p != NULL);
    memcpy(p, src, len);
    size_t off = 0;
    bool last_zero = false;
    while (off < len && d->end_at == NO_END) {
        pop3_body_run_t run;
        memset(&run, 0xA5, sizeof run);
        size_t k = pop3_body_decode(&d->state, p + off, len - off, &run);
        d->calls++;
        FT_CHECK_MSG(k <= len - off, "consumed %zu of %zu", k, len - off);
        FT_CHECK_MSG(d->state < POP3_B_COUNT_, "state %u after a call", (unsigned)d->state);
        FT_CHECK_MSG((run.data == NULL) == (run.len == 0), "run data %p with length %zu", (const void *)run.data,
                     run.len);
        if (run.len > 0) {
            bool inside = run.data >= p + off && run.data + run.len <= p + off + k;
            FT_CHECK_MSG(inside || (run.len == 1 && run.data[0] == '\r'),
                         "run of %zu octets at %p is not inside the %zu consumed octets at %p", run.len,
                         (const void *)run.data, k, (const void *)(p + off));
            FT_CHECK_MSG(d->out_len + run.len <= sizeof d->out, "more output than input");
            memcpy(d->out + d->out_len, run.data, run.len);
            d->out_len += run.len;
            d->runs++;
        }
        if (k == 0) {
            FT_CHECK_MSG(run.len == 1 && run.data[0] == '\r' && !run.end,
                         "0 octets consumed without the one-octet CR run (run %zu octets, end %d)", run.len,
                         (int)run.end);
            FT_CHECK_MSG(!last_zero, "two calls in a row consumed nothing");
        }
        last_zero = k == 0;
        if (run.end) {
            FT_CHECK_MSG(k >= 1 && p[off + k - 1] == '\n', "end reported but octet %zu is not the LF", base + off + k);
            FT_CHECK_MSG(d->state == POP3_B_BOL, "state %u after the end, expected BOL", (unsigned)d->state);
            d->end_at = base + off + k;
        }
        off += k;
    }
    free(p);
    /* Whatever was fed so far has given exactly the reference's output for it. */
    size_t fed = d->end_at != NO_END ? d->end_at : base + len;
    FT_CHECK_MSG(d->out_len == d->ref->out_at[fed], "after %zu input octets: %zu output octets, reference %zu", fed,
                 d->out_len, d->ref->out_at[fed]);
}

static void dec_finish(dec_t *d, const uint8_t *in, size_t len)
{
    char e1[512], e2[512];
    if (d->end_at != d->ref->end_at) {
        ft_escape(e1, sizeof e1, in, len);
        FT_FAIL("'%s' input '%s': end at %lld, reference %lld (-1: none)", d->name, e1,
                d->end_at == NO_END ? -1LL : (long long)d->end_at,
                d->ref->end_at == NO_END ? -1LL : (long long)d->ref->end_at);
    }
    if (d->out_len != d->ref->out_len || memcmp(d->out, d->ref->out, d->out_len) != 0) {
        ft_escape(e1, sizeof e1, d->out, d->out_len);
        ft_escape(e2, sizeof e2, d->ref->out, d->ref->out_len);
        FT_FAIL("'%s': output '%s', reference '%s'", d->name, e1, e2);
    }
}

typedef enum { F_WHOLE, F_SPLIT, F_BYTES, F_RANDOM } feed_t;

static uint32_t prng = 0x9E3779B9U;
static uint32_t rnd(void)
{
    /* xorshift32, fixed seed: the same inputs every run */
    prng ^= prng << 13;
    prng ^= prng >> 17;
    prng ^= prng << 5;
    return prng;
}

static void run_feed(const ref_t *ref, const uint8_t *in, size_t len, feed_t how, size_t at, const char *name)
{
    dec_t d;
    dec_init(&d, ref, name);
    switch (how) {
    case F_WHOLE:
        dec_feed(&d, in, len, 0);
        break;
    case F_SPLIT:
        dec_feed(&d, in, at, 0);
        dec_feed(&d, in + at, len - at, at);
        break;
    case F_BYTES:
        for (size_t i = 0; i < len; i++) dec_feed(&d, in + i, 1, i);
        break;
    case F_RANDOM:
        for (size_t i = 0; i < len;) {
            size_t n = 1U + rnd() % 9U;
            if (n > len - i) n = len - i;
            dec_feed(&d, in + i, n, i);
            i += n;
        }
        break;
    }
    dec_finish(&d, in, len);
}

static ref_t g_ref;

/* Every way of feeding one input. */
static void run_all(const uint8_t *in, size_t len, const char *name, bool every_split, int random_feeds)
{
    char esc[256];
    ft_escape(esc, sizeof esc, in, len);
    ref_decode(&g_ref, in, len);
    ft_setctx("%s '%s' whole", name, esc);
    run_feed(&g_ref, in, len, F_WHOLE, 0, name);
    ft_setctx("%s '%s' byte by byte", name, esc);
    run_feed(&g_ref, in, len, F_BYTES, 0, name);
    if (every_split) {
        for (size_t at = 1; at < len; at++) {
            ft_setctx("%s '%s' split at %zu", name, esc, at);
            run_feed(&g_ref, in, len, F_SPLIT, at, name);
        }
    }
    for (int i = 0; i < random_feeds; i++) {
        ft_setctx("%s '%s' random chunks #%d", name, esc, i);
        run_feed(&g_ref, in, len, F_RANDOM, 0, name);
    }
}

/* ======================================================================== */

typedef struct {
    const char *in;
    size_t in_len;
    const char *out; /* expected, written by hand */
    size_t out_len;
    size_t end_at;
} body_case_t;

#define BC(in, out, end) {in, sizeof(in) - 1, out, sizeof(out) - 1, end}

static const body_case_t hand_cases[] = {
    BC(".\r\n", "", 3),
    BC("a\r\n.\r\n", "a\r\n", 6),
    BC("\r\n.\r\n", "\r\n", 5),
    BC("..\r\n.\r\n", ".\r\n", 7),
    BC("...\r\n.\r\n", "..\r\n", 8),
    BC(".a\r\n.\r\n", "a\r\n", 7),
    BC("a.\r\n.\r\n", "a.\r\n", 7),
    BC("a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", 13),
    BC("a\r\n.\r\nTRAILING", "a\r\n", 6),
    BC("a\r\n.\r\n.\r\n", "a\r\n", 6),
    /* Only CR LF ends a line: a bare LF followed by "." is data. */
    BC("a\n.\r\n", "a\n.\r\n", NO_END),
    BC("a\n.\r\n.\r\n", "a\n.\r\n", 8),
    BC(".\n.\r\n", "\n.\r\n", NO_END),
    BC("a\r\r\n.\r\n", "a\r\r\n", 7),
    BC("\r.\r\n.\r\n", "\r.\r\n", 7),
    /* ".\r" then not LF: the dot was stuffing, the CR is data. */
    BC(".\rX\r\n.\r\n", "\rX\r\n", 8),
    BC(".\r\r\n.\r\n", "\r\r\n", 7),
    BC(".\r.\r\n.\r\n", "\r.\r\n", 8),
    BC("x\r\n.\r\r\n.\r\n", "x\r\n\r\r\n", 10),
    BC(".\r.\r.\r\n.\r\n", "\r.\r.\r\n", 10),
    /* Unfinished: a pending dot or dot-CR gives nothing yet. */
    BC("a\r\n.", "a\r\n", NO_END),
    BC("a\r\n.\r", "a\r\n", NO_END),
    BC("a\r", "a\r", NO_END),
    BC("a\r\n", "a\r\n", NO_END),
    BC(".", "", NO_END),
    BC("hello\r\nworld\r\n", "hello\r\nworld\r\n", NO_END),
};

static void test_hand_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof hand_cases / sizeof hand_cases[0]; i++) {
        const body_case_t *bc = &hand_cases[i];
        const uint8_t *in = (const uint8_t *)bc->in;
        char esc[256];
        ft_escape(esc, sizeof esc, in, bc->in_len);
        ft_setctx("hand case %zu '%s': reference", i, esc);
        /* The reference itself against the hand-written answer. */
        ref_decode(&g_ref, in, bc->in_len);
        FT_EQ(g_ref.end_at, bc->end_at);
        FT_EQ_MEM(g_ref.out, g_ref.out_len, bc->out, bc->out_len);
        run_all(in, bc->in_len, "hand", true, 8);
    }
}

/* Every input of 1 to 8 octets over the alphabet (whole and byte by byte; up
 * to 6 octets also split at every offset). */
static void test_exhaustive_small(void **state)
{
    (void)state;
    static const uint8_t alpha[4] = {'.', '\r', '\n', 'a'};
    uint8_t in[8];
    for (size_t len = 1; len <= 8; len++) {
        size_t total = (size_t)1 << (2 * len);
        for (size_t v = 0; v < total; v++) {
            for (size_t i = 0; i < len; i++) in[i] = alpha[(v >> (2 * i)) & 3U];
            run_all(in, len, "exhaustive", len <= 6, 0);
        }
    }
}

static void test_random(void **state)
{
    (void)state;
    static uint8_t in[200];
    static const uint8_t alpha[4] = {'.', '\r', '\n', 'a'};
    unsigned ended = 0;
    for (int n = 0; n < 3000; n++) {
        size_t len = 1U + rnd() % 64U;
        for (size_t i = 0; i < len; i++) in[i] = alpha[rnd() & 3U];
        if (n % 2) {
            /* Half of them end with the marker, so the end is found in most. */
            memcpy(in + len, "\r\n.\r\n", 5);
            len += 5;
        }
        run_all(in, len, "random", true, 4);
        ended += g_ref.end_at != NO_END;
    }
    FT_CHECK_MSG(ended > 1500, "only %u of 3000 random inputs contain an end marker", ended);

    /* Longer, realistic bodies: text lines, some starting with dots. */
    static uint8_t big[MAX_IN];
    for (int n = 0; n < 40; n++) {
        size_t len = 0;
        while (len < MAX_IN - 200) {
            unsigned kind = rnd() % 8U;
            if (kind == 0) big[len++] = '.';
            if (kind == 1) { big[len++] = '.'; big[len++] = '.'; }
            size_t w = 1U + rnd() % 70U; /* never a lone "." line: that would end the body */
            for (size_t i = 0; i < w; i++) big[len++] = (uint8_t)('a' + rnd() % 26U);
            if (kind == 2) big[len++] = '\n';
            if (kind == 3) big[len++] = '\r';
            big[len++] = '\r';
            big[len++] = '\n';
        }
        memcpy(big + len, ".\r\n", 3);
        len += 3;
        ref_decode(&g_ref, big, len);
        ft_setctx("long body #%d (%zu octets)", n, len);
        run_feed(&g_ref, big, len, F_WHOLE, 0, "long");
        run_feed(&g_ref, big, len, F_BYTES, 0, "long");
        for (int i = 0; i < 4; i++) run_feed(&g_ref, big, len, F_RANDOM, 0, "long");
        for (size_t at = 1; at < len; at += 1 + rnd() % 97U) run_feed(&g_ref, big, len, F_SPLIT, at, "long");
        FT_EQ(g_ref.end_at, len);
    }
}

/* memchr-class behaviour: plain text without a dot at a line start comes back as one run per
 * chunk, whatever state the chunk starts in and however it is cut. */
static void test_plain_one_run_per_chunk(void **state)
{
    (void)state;
    static const char text[] =
        "Received: from mail.example.org\r\nSubject: no dots here\r\n\r\n"
        "Line one of the body\r\nline two\r\n\r\nand a bare\nLF and a bare\rCR\r\n";
    const size_t len = sizeof text - 1;
    for (size_t at = 1; at < len; at++) {
        ft_setctx("plain text split at %zu", at);
        uint8_t st = POP3_B_BOL;
        pop3_body_run_t run;
        size_t k = pop3_body_decode(&st, (const uint8_t *)text, at, &run);
        FT_EQ(k, at);
        FT_CHECK(run.data == (const uint8_t *)text);
        FT_EQ(run.len, at);
        FT_CHECK(!run.end);
        k = pop3_body_decode(&st, (const uint8_t *)text + at, len - at, &run);
        FT_EQ(k, len - at);
        FT_CHECK(run.data == (const uint8_t *)text + at);
        FT_EQ(run.len, len - at);
        FT_CHECK(!run.end);
        FT_EQ(st, POP3_B_BOL); /* the text ends with CR LF */
    }
    /* A long body in 1460-octet segments (a TCP MSS): one call per segment. */
    static uint8_t big[64 * 1024];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (i % 78U == 76U) ? '\r' : (i % 78U == 77U) ? '\n' : 'x';
    uint8_t st = POP3_B_BOL;
    unsigned calls = 0, segs = 0;
    for (size_t off = 0; off < sizeof big; off += 1460) {
        size_t n = sizeof big - off < 1460 ? sizeof big - off : 1460;
        pop3_body_run_t run;
        size_t k = pop3_body_decode(&st, big + off, n, &run);
        calls++;
        segs++;
        ft_setctx("MSS segment at %zu", off);
        FT_EQ(k, n);
        FT_EQ(run.len, n);
        FT_CHECK(run.data == big + off);
    }
    FT_EQ(calls, segs);
    /* With stuffed dots, each costs at most one more run (and the dot). */
    static const char dotted[] = "a\r\n..b\r\nc\r\n.d\r\ne\r\n";
    ref_decode(&g_ref, (const uint8_t *)dotted, sizeof dotted - 1);
    dec_t d;
    dec_init(&d, &g_ref, "dotted");
    ft_setctx("dotted runs");
    dec_feed(&d, (const uint8_t *)dotted, sizeof dotted - 1, 0);
    dec_finish(&d, (const uint8_t *)dotted, sizeof dotted - 1);
    FT_CHECK_MSG(d.runs <= 3, "%u runs for a chunk with 2 stuffed dots", d.runs);
    ft_setctx("");
}

/* The end state is BOL and a new body can start from it. */
static void test_end_then_next_body(void **state)
{
    (void)state;
    static const char two[] = "a\r\n.\r\n..b\r\n.\r\n";
    uint8_t st = POP3_B_BOL;
    pop3_body_run_t run;
    const uint8_t *p = (const uint8_t *)two;
    size_t len = sizeof two - 1, off = 0;
    uint8_t out[32];
    size_t out_len = 0;
    int ends = 0;
    while (off < len) {
        size_t k = pop3_body_decode(&st, p + off, len - off, &run);
        if (run.len) {
            memcpy(out + out_len, run.data, run.len);
            out_len += run.len;
        }
        off += k;
        if (run.end) {
            FT_EQ(st, POP3_B_BOL);
            ends++;
            out[out_len++] = '|';
        }
    }
    FT_EQ(ends, 2);
    FT_EQ_STR(out, out_len, "a\r\n|.b\r\n|");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_exhaustive_small),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_plain_one_run_per_chunk),
        cmocka_unit_test(test_end_then_next_body),
    };
    return cmocka_run_group_tests_name("unit_body", tests, NULL, NULL);
}
