/* Throughput of the command-mail module on typical mail: 10 MB per case fed
 * through cmdmail_msg_data() in 1460-octet pieces (one TCP segment each, as
 * on_body gives them), as messages of about 500 KB (under
 * CMDMAIL_MAX_MSG_OCTETS, so that every octet is scanned):
 *   plain      text/plain 7bit, quoted lines and "-- " lines, the block at the end
 *   multipart  a short text/plain part with the block, then a base64 attachment
 *   qp         quoted-printable text (soft breaks, escapes), the block at the end
 * Each message's verdict is checked (accepted first, then replayed), so a
 * broken scanner cannot look fast. Prints MB/s per case; not asserted on.
 *
 *   cmdmail_bench [case] [megabytes]      (default: every case, 10 MB)
 * Instructions per octet: valgrind --tool=callgrind --toggle-collect=cmdmail_msg_data
 *   ./cmdmail_bench plain 2   then the total Ir it reports / the octets fed
 *   (messages x octets, as printed: whole messages, so a little over 2 MB).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c99 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmdmail.h"
#include "cmdmail_test_msg.h"

#define MSG_TARGET (500U * 1024U)
#define SEG 1460U

static uint8_t nv_slots[2][CMDMAIL_NV_RECORD_LEN];
static char msg[MSG_TARGET + 16384];
static const uint8_t key[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

static bool nv_read(void *ctx, unsigned slot, uint8_t *buf, size_t len)
{
    (void)ctx;
    memcpy(buf, nv_slots[slot], len);
    return true;
}

static bool nv_write(void *ctx, unsigned slot, const uint8_t *buf, size_t len)
{
    (void)ctx;
    memcpy(nv_slots[slot], buf, len);
    return true;
}

static size_t put(size_t pos, const char *s)
{
    size_t n = strlen(s);
    if (pos + n > sizeof(msg)) {
        fprintf(stderr, "bench message too large\n");
        exit(2);
    }
    memcpy(msg + pos, s, n);
    return pos + n;
}

/* The block (CRLF lines), its MAC from the test-side signer (cmdmail_test_msg.h). */
static size_t put_block(size_t pos)
{
    static const char *const cmds[] = {"relay 1 on", "report"};
    char mac[65], line[128];
    if (!tm_mac(key, sizeof(key), "lamp-0042", 1017, NULL, cmds, 2, mac))
        exit(2);
    pos = put(pos, "-----BEGIN POP3 COMMAND-----\r\nDevice: lamp-0042\r\nSeq: 1017\r\n"
                   "Cmd: relay 1 on\r\nCmd: report\r\n");
    snprintf(line, sizeof(line), "Mac: %s\r\n-----END POP3 COMMAND-----\r\n", mac);
    return put(pos, line);
}

static const char *const words[] = {"the",    "device", "reports", "its",  "state",  "every",
                                    "minute", "and",    "relay",   "lamp", "sensor", "mail"};

/* A line of about 60-76 octets of prose (the octet-level variety of real text). */
static void prose(char *out, size_t cap, unsigned *seed, const char *lead)
{
    size_t n = (size_t)snprintf(out, cap, "%s", lead);
    while (n < 60U) {
        *seed = *seed * 1103515245U + 12345U;
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n > strlen(lead) ? " " : "",
                              words[(*seed >> 16) % (sizeof(words) / sizeof(words[0]))]);
    }
}

static size_t build_plain(void)
{
    char line[128];
    unsigned seed = 1, i = 0;
    size_t pos = put(0, "From: operator@example.org\r\nTo: lamp-0042@example.org\r\nSubject: status\r\n"
                        "Message-ID: <1@example.org>\r\n\r\n");
    while (pos < MSG_TARGET) {
        prose(line, sizeof(line) - 2, &seed, (i % 10U) == 3U ? "> " : (i % 50U) == 7U ? "-- " : "");
        pos = put(pos, line);
        pos = put(pos, (i++ % 8U) == 5U ? "\r\n\r\n" : "\r\n");
    }
    return put_block(pos);
}

static size_t build_multipart(void)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned seed = 7, i;
    size_t pos = put(0, "From: operator@example.org\r\nSubject: logs\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: multipart/mixed; boundary=\"=_part_0042\"\r\n\r\n"
                        "This is a multi-part message in MIME format.\r\n--=_part_0042\r\n"
                        "Content-Type: text/plain; charset=us-ascii\r\n\r\nHello device,\r\n\r\n");
    pos = put_block(pos);
    pos = put(pos, "\r\n--=_part_0042\r\nContent-Type: application/octet-stream; name=\"log.bin\"\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\n");
    while (pos < MSG_TARGET) {
        char line[80];
        for (i = 0; i < 76U; i++) {
            seed = seed * 1103515245U + 12345U;
            line[i] = b64[(seed >> 16) & 63U];
        }
        line[76] = '\0';
        pos = put(pos, line);
        pos = put(pos, "\r\n");
    }
    return put(pos, "--=_part_0042--\r\n");
}

static size_t build_qp(void)
{
    char line[160];
    unsigned seed = 3, i = 0;
    size_t pos = put(0, "From: operator@example.org\r\nSubject: =?utf-8?q?r=C3=A9sum=C3=A9?=\r\n"
                        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    while (pos < MSG_TARGET) {
        prose(line, 100, &seed, (i % 10U) == 3U ? "> caf=C3=A9 " : "");
        /* every other line is soft-broken as a long paragraph would be */
        pos = put(pos, line);
        pos = put(pos, (i++ % 2U) == 0U ? " =\r\n" : " a=3Db\r\n");
    }
    return put_block(pos);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_case(const char *name, size_t (*build)(void), double mb)
{
    static cmdmail_t m;
    cmdmail_config_t cfg;
    cmdmail_result_t res;
    size_t len = build(), off;
    double total = mb * 1048576.0, fed = 0, t0;
    unsigned k = 0;
    memset(nv_slots, 0, sizeof(nv_slots));
    memset(&cfg, 0, sizeof(cfg));
    cfg.device_id = "lamp-0042";
    cfg.key = key;
    cfg.key_len = sizeof(key);
    cfg.nv.read = nv_read;
    cfg.nv.write = nv_write;
    cmdmail_init(&m);
    if (!cmdmail_setup(&m, &cfg, &res)) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    t0 = now_s();
    while (fed < total) {
        cmdmail_verdict_t v, want = k == 0U ? CMDMAIL_ACCEPTED : CMDMAIL_REPLAYED;
        cmdmail_msg_begin(&m, NULL, 0);
        for (off = 0; off < len; off += SEG)
            cmdmail_msg_data(&m, msg + off, len - off < SEG ? len - off : SEG);
        v = cmdmail_msg_end(&m, true, &res);
        if (v != want) {
            fprintf(stderr, "%s: message %u: %s (%s), want %s\n", name, k, cmdmail_verdict_str(v),
                    res.reason ? res.reason : "-", cmdmail_verdict_str(want));
            return 1;
        }
        if (v == CMDMAIL_ACCEPTED && !cmdmail_commands_done(&m))
            return 1;
        fed += (double)len;
        k++;
    }
    t0 = now_s() - t0;
    printf("%-10s %6.1f MB in %3u messages of %6zu octets: %8.1f MB/s\n", name, fed / 1048576.0, k, len,
           fed / 1048576.0 / t0);
    cmdmail_free(&m);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        size_t (*build)(void);
    } cases[] = {{"plain", build_plain}, {"multipart", build_multipart}, {"qp", build_qp}};
    double mb = argc > 2 ? atof(argv[2]) : 10.0;
    int rc = 0;
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (argc > 1 && strcmp(argv[1], "all") != 0 && strcmp(argv[1], cases[i].name) != 0)
            continue;
        rc |= run_case(cases[i].name, cases[i].build, mb);
    }
    return rc;
}
