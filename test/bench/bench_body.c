/*
 * Body-streaming benchmark: a dot-heavy message pushed through the core in
 * TCP-sized and large chunks, against a reference per-byte unstuffer of the
 * kind most POP3 clients use. Prints MB/s and callbacks per MB; asserts only
 * that both produce the same bytes (timings are reported, never asserted).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pop3.h"

#define MSG_LINES 400000U

static char *wire;      /* "+OK\r\n" + stuffed body + ".\r\n" */
static size_t wire_len;
static char *plain;     /* the message as stored */
static size_t plain_len;
static char *out;
static size_t out_len;
static unsigned long calls;

static void build_message(void)
{
    size_t cap = (size_t)MSG_LINES * 100U;
    unsigned i;

    wire = malloc(cap);
    plain = malloc(cap);
    out = malloc(cap);
    if (wire == NULL || plain == NULL || out == NULL) {
        exit(1);
    }
    wire_len = (size_t)sprintf(wire, "+OK message follows\r\n");
    for (i = 0; i < MSG_LINES; i++) {
        char line[96];
        int n;
        if (i % 5 == 0) {
            n = sprintf(line, ".line %u starts with a dot\r\n", i);
        } else {
            n = sprintf(line, "Line %u of a plain body, %.*s\r\n", i, (int)(i % 40), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        }
        memcpy(plain + plain_len, line, (size_t)n);
        plain_len += (size_t)n;
        if (line[0] == '.') {
            wire[wire_len++] = '.';
        }
        memcpy(wire + wire_len, line, (size_t)n);
        wire_len += (size_t)n;
    }
    memcpy(wire + wire_len, ".\r\n", 3);
    wire_len += 3;
}

static long t_send(void *ctx, const uint8_t *d, size_t n)
{
    (void)ctx;
    (void)d;
    return (long)n;
}
static int t_tls(void *ctx)
{
    (void)ctx;
    return 0;
}
static void t_close(void *ctx)
{
    (void)ctx;
}
static pop3_cb_action_t on_body(void *ctx, const char *d, size_t n)
{
    (void)ctx;
    memcpy(out + out_len, d, n);
    out_len += n;
    calls++;
    return POP3_CB_CONTINUE;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One RETR through the core: returns seconds spent in pop3_on_input for the body. */
static double run_core(size_t chunk)
{
    static char lb[512], tb[POP3_MIN_TX_BUF_LEN];
    /* Greeting, CAPA, USER, PASS: one chunk per reply, as a server sends them. */
    static const char *const setup[] = {"+OK hi\r\n", "+OK\r\n.\r\n", "+OK\r\n", "+OK\r\n"};
    pop3_client_t c;
    pop3_config_t cfg;
    size_t off;
    double t0;

    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = lb;
    cfg.line_buf_len = sizeof lb;
    cfg.tx_buf = tb;
    cfg.tx_buf_len = sizeof tb;
    cfg.transport.send = t_send;
    cfg.transport.start_tls = t_tls;
    cfg.transport.close = t_close;
    cfg.callbacks.on_body = on_body;
    cfg.security = POP3_SEC_PLAINTEXT;
    cfg.allow_plaintext_login = true;
    pop3_init(&c, &cfg);
    pop3_start(&c, 0);
    pop3_on_connected(&c);
    pop3_login(&c, "u", "p");
    pop3_retr(&c, 1);
    for (off = 0; off < sizeof setup / sizeof setup[0]; off++) {
        pop3_on_input(&c, (const uint8_t *)setup[off], strlen(setup[off]));
    }
    out_len = 0;
    calls = 0;
    t0 = now_s();
    for (off = 0; off < wire_len; off += chunk) {
        size_t n = wire_len - off < chunk ? wire_len - off : chunk;
        pop3_on_input(&c, (const uint8_t *)wire + off, n);
    }
    return now_s() - t0;
}

/* Reference: the per-byte loop (one state switch and one output byte per input byte). */
static double run_per_byte(size_t chunk)
{
    int st = 0; /* 0 BOL, 1 MID, 2 DOT, 3 DOT_CR */
    size_t off, i;
    double t0 = now_s();

    out_len = 0;
    for (off = strlen("+OK message follows\r\n"); off < wire_len; off += chunk) {
        size_t n = wire_len - off < chunk ? wire_len - off : chunk;
        for (i = 0; i < n; i++) {
            char ch = wire[off + i];
            if (st == 0 && ch == '.') { st = 2; continue; }
            if (st == 2 && ch == '\r') { st = 3; continue; }
            if (st == 3 && ch == '\n') { return now_s() - t0; }
            if (st == 3) { out[out_len++] = '\r'; }
            out[out_len++] = ch;
            st = ch == '\n' ? 0 : 1;
        }
    }
    return now_s() - t0;
}

int main(void)
{
    static const size_t chunks[] = {1460, 16384};
    size_t k;
    double mb;

    build_message();
    mb = (double)wire_len / 1e6;
    printf("bench_body: %.1f MB on the wire, %u lines, every 5th dot-stuffed\n", mb, MSG_LINES);
    for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        double tc = 1e9, tb = 1e9;
        int rep;
        for (rep = 0; rep < 3; rep++) {
            double t = run_core(chunks[k]);
            tc = t < tc ? t : tc;
        }
        if (out_len != plain_len || memcmp(out, plain, plain_len) != 0) {
            fprintf(stderr, "bench_body: core output differs from the message\n");
            return 1;
        }
        for (rep = 0; rep < 3; rep++) {
            double t = run_per_byte(chunks[k]);
            tb = t < tb ? t : tb;
        }
        if (out_len != plain_len || memcmp(out, plain, plain_len) != 0) {
            fprintf(stderr, "bench_body: reference output differs\n");
            return 1;
        }
        printf("  chunk %5zu B: core %7.0f MB/s (%lu on_body calls, %.0f per MB) | per-byte loop %6.0f MB/s\n",
               chunks[k], mb / tc, calls, (double)calls / mb, mb / tb);
    }
    return 0;
}
