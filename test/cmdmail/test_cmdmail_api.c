/* The command-mail module through its public API (cmdmail.h): blocks in every
 * kind of message, each fed whole, in two pieces at every offset and one octet
 * at a time; every field rule of FORMAT.md; the NV state in two RAM slots.
 * Expected MACs: cmdmail_macs.h, written by gen_macs.py with Python's hmac. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdmail.h"
#include "nv_record.h"
#include "cmdmail_macs.h"

static int failures;
#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c)) {                                                                                          \
            printf("FAIL %s:%d: %s [%s]\n", __FILE__, __LINE__, #c, cur);                                    \
            failures++;                                                                                      \
        }                                                                                                    \
    } while (0)
static const char *cur = "";

static const uint8_t KEY[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

typedef struct {
    uint8_t slot[2][CMDMAIL_NV_RECORD_LEN];
    int writes, last_slot, fail_writes, fail_reads;
} ram_nv_t;

static bool nv_read(void *ctx, unsigned slot, uint8_t *buf, size_t len)
{
    ram_nv_t *nv = ctx;
    if (slot > 1 || len != CMDMAIL_NV_RECORD_LEN || nv->fail_reads)
        return false;
    memcpy(buf, nv->slot[slot], len);
    return true;
}

static bool nv_write(void *ctx, unsigned slot, const uint8_t *buf, size_t len)
{
    ram_nv_t *nv = ctx;
    if (slot > 1 || len != CMDMAIL_NV_RECORD_LEN)
        return false;
    if (nv->fail_writes > 0) { /* a cut write: half of it landed, the rest is erased */
        nv->fail_writes--;
        memcpy(nv->slot[slot], buf, len / 2);
        memset(nv->slot[slot] + len / 2, 0xFF, len - len / 2);
        return false;
    }
    memcpy(nv->slot[slot], buf, len);
    nv->writes++;
    nv->last_slot = (int)slot;
    return true;
}

static int64_t clock_now;
static int64_t now_fn(void *ctx)
{
    (void)ctx;
    return clock_now;
}

static void nv_erase(ram_nv_t *nv)
{
    memset(nv, 0, sizeof(*nv));
    memset(nv->slot, 0xFF, sizeof(nv->slot));
    nv->last_slot = -1;
}

static bool setup(cmdmail_t *m, ram_nv_t *nv, bool with_clock, cmdmail_result_t *res)
{
    cmdmail_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.device_id = "lamp-0042";
    cfg.key = KEY;
    cfg.key_len = sizeof(KEY);
    cfg.nv.ctx = nv;
    cfg.nv.read = nv_read;
    cfg.nv.write = nv_write;
    cfg.now = with_clock ? now_fn : NULL;
    cmdmail_init(m);
    return cmdmail_setup(m, &cfg, res);
}

/* mode: 0 whole, 1..len-1 split there, len+1 one octet at a time */
static cmdmail_verdict_t feed(cmdmail_t *m, const char *uid, const char *msg, size_t mode,
                              cmdmail_result_t *res)
{
    size_t len = strlen(msg), i;
    cmdmail_msg_begin(m, uid, uid ? strlen(uid) : 0);
    if (mode > len) {
        for (i = 0; i < len; i++)
            cmdmail_msg_data(m, msg + i, 1);
    } else {
        cmdmail_msg_data(m, msg, mode);
        cmdmail_msg_data(m, msg + mode, len - mode);
    }
    return cmdmail_msg_end(m, true, res);
}

static cmdmail_t m; /* big: not on the stack */

/* The verdict at every split point, from a fresh NV state each time. */
static void expect(const char *name, const char *msg, cmdmail_verdict_t want, const char *cmd0, size_t ncmds)
{
    size_t len = strlen(msg), k;
    ram_nv_t nv;
    cmdmail_result_t res;
    int bad = failures;
    cur = name;
    for (k = 0; k <= len + 1 && failures == bad; k++) {
        cmdmail_verdict_t v;
        nv_erase(&nv);
        CHECK(setup(&m, &nv, false, NULL));
        v = feed(&m, "uid", msg, k, &res);
        if (v != want)
            printf("  %s: mode %zu: %s (%s), want %s\n", name, k, cmdmail_verdict_str(v), res.reason,
                   cmdmail_verdict_str(want));
        CHECK(v == want);
        if (want == CMDMAIL_ACCEPTED) {
            CHECK(res.cmd_count == ncmds);
            CHECK(cmdmail_cmd(&m, 0) != NULL && strcmp(cmdmail_cmd(&m, 0), cmd0) == 0);
            CHECK(cmdmail_cmd(&m, ncmds) == NULL);
        } else {
            CHECK(cmdmail_cmd(&m, 0) == NULL);
        }
        cmdmail_free(&m);
    }
    if (failures == bad)
        printf("ok   %s\n", name);
}

#define B "-----BEGIN POP3 COMMAND-----\n"
#define E "-----END POP3 COMMAND-----\n"
#define BASIC B "Device: lamp-0042\nSeq: 1017\nCmd: relay 1 on\nCmd: report\nMac: " MAC_BASIC "\n" E
#define H "From: op@example.org\nSubject: cmd\n\n"
#define MP(ct1, body1)                                                                                       \
    "Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: " ct1 "\r\n\r\n" body1      \
    "--zz--\r\n"

static void b64(const char *in, char *out) /* the tests' own encoder, 60 columns */
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), i, col = 0;
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        *out++ = a[v >> 18];
        *out++ = a[(v >> 12) & 63];
        *out++ = i + 1 < n ? a[(v >> 6) & 63] : '=';
        *out++ = i + 2 < n ? a[v & 63] : '=';
        if ((col += 4) == 60) {
            *out++ = '\r';
            *out++ = '\n';
            col = 0;
        }
    }
    strcpy(out, "\r\n");
}

static void messages(void)
{
    static char buf[8192], enc[2048];
    char line[400];
    int i;
    expect("plain LF", H BASIC, CMDMAIL_ACCEPTED, "relay 1 on", 2);
    expect("CRLF, greeting, footer, trailing blanks",
           "Subject: x\r\n\r\nHello,\r\n\r\n-----BEGIN POP3 COMMAND-----  \r\nDevice: lamp-0042 \t\r\nSeq: "
           "1017\r\n\r\n"
           "Cmd: relay 1 on\r\nCmd: report   \r\nMac: " MAC_BASIC
           "\r\n-----END POP3 COMMAND-----\r\n-- \r\nfooter\r\n",
           CMDMAIL_ACCEPTED, "relay 1 on", 2);
    expect("quoted",
           H "> " B
             ">> Device: lamp-0042\n> > Seq: 1017\n>\n> Cmd: relay 1 on\n>Cmd: report\n> Mac: " MAC_BASIC
             "\n> " E,
           CMDMAIL_ACCEPTED, "relay 1 on", 2);
    expect("names in any case, blanks collapsed",
           H B "DEVICE:lamp-0042\nseq:    1024\ncmd:  set \t a    b  \nmAc: " MAC_SPACES "\n" E,
           CMDMAIL_ACCEPTED, "set a b", 1);
    expect("quoted-printable with soft breaks",
           "Content-Transfer-Encoding: quoted-printable\r\n\r\n-----BEGIN POP3 "
           "COMMAND=\r\n-----\r\nDevice=3A lamp-0042\r\n"
           "Seq: 10=\r\n17\r\nCmd: relay 1 on=20=20\r\nCmd: report\r\nMac: 3a570f4344b0cfd231556a83f1=\r\n"
           "adfa2442aea08e55ad575204014875bd7e0802\r\n-----END POP3 COMMAND-----\r\n",
           CMDMAIL_ACCEPTED, "relay 1 on", 2);
    b64("Hello\r\n" BASIC "bye\r\n", enc);
    snprintf(buf, sizeof(buf), "Content-Transfer-Encoding: base64\r\n\r\n%s", enc);
    expect("base64", buf, CMDMAIL_ACCEPTED, "relay 1 on", 2);
    enc[100] = '*';
    snprintf(buf, sizeof(buf), "Content-Transfer-Encoding: base64\r\n\r\n%s", enc);
    expect("corrupted base64 in the block", buf, CMDMAIL_INVALID, NULL, 0);
    snprintf(
        buf, sizeof(buf),
        "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n--o\r\nContent-Type: multipart/alternative; "
        "boundary=i\r\n\r\n--i\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--i\r\nContent-Type: "
        "text/plain; "
        "charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s--i--\r\n--o\r\nContent-Type: "
        "application/pdf\r\n\r\nJVBERi0=\r\n--o--\r\n",
        enc);
    expect("broken base64 in a nested text/plain part", buf, CMDMAIL_INVALID, NULL, 0);
    b64(BASIC, enc);
    snprintf(
        buf, sizeof(buf),
        "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n--o\r\nContent-Type: multipart/alternative; "
        "boundary=i\r\n\r\n--i\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
        "base64\r\n\r\n%s--i\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--i--\r\n--o--\r\n",
        enc);
    expect("nested multipart, block in the text/plain part", buf, CMDMAIL_ACCEPTED, "relay 1 on", 2);
    expect("block in a text/html part", MP("text/html", BASIC), CMDMAIL_UNSIGNED, NULL, 0);
    expect("block in an attachment", MP("application/octet-stream; name=cmd.txt", BASIC), CMDMAIL_UNSIGNED,
           NULL, 0);
    expect("block in the headers", "X-Cmd: " BASIC "\n\nhello\n", CMDMAIL_UNSIGNED, NULL, 0);
    expect("block cut by a part boundary",
           "Content-Type: multipart/mixed; boundary=zz\n\n--zz\n\n" B "Device: lamp-0042\nSeq: 1017\n--zz\n\n"
           "Cmd: relay 1 on\nCmd: report\nMac: " MAC_BASIC "\n" E "--zz--\n",
           CMDMAIL_INVALID, NULL, 0);
    expect("two blocks", H BASIC "\n" BASIC, CMDMAIL_INVALID, NULL, 0);
    expect("a second BEGIN inside", H B "Device: lamp-0042\n" BASIC, CMDMAIL_INVALID, NULL, 0);
    expect("no block", H "hello\n", CMDMAIL_UNSIGNED, NULL, 0);
    expect("empty message", "", CMDMAIL_UNSIGNED, NULL, 0);

    /* over-long lines: outside the block harmless, inside fatal */
    for (i = 0; i < 300; i++)
        line[i] = 'q';
    line[300] = '\0';
    snprintf(buf, sizeof(buf), H "%s\n" BASIC "%s\n", line, line);
    expect("over-long lines around the block", buf, CMDMAIL_ACCEPTED, "relay 1 on", 2);
    snprintf(buf, sizeof(buf), H B "Device: lamp-0042\nSeq: 1017\nCmd: %s\nMac: " MAC_BASIC "\n" E, line);
    expect("over-long line in the block", buf, CMDMAIL_INVALID, NULL, 0);
    /* 256 octets after normalisation still count: quotes and trailing blanks do not */
    snprintf(buf, sizeof(buf), H ">>>>   " B "X: %.250s   \t\n", line);
    expect("a 257-octet line in the block (blanks count)", buf, CMDMAIL_INVALID, NULL, 0);
    expect("broken quoted-printable changes the command",
           "Content-Transfer-Encoding: quoted-printable\n\n" B
           "Device: lamp-0042\nSeq: 1017\nCmd: relay 1 on=Z\n"
           "Cmd: report\nMac: " MAC_BASIC "\n" E,
           CMDMAIL_INVALID, NULL, 0);
}

#define F(dev, rest) H B "Device: " dev "\n" rest
static void fields(void)
{
    static char buf[2048];
    char up[65], x128[129];
    int i;
    expect("Device with a bad octet", F("lamp/0042", "Seq: 1\nCmd: x\nMac: " MAC_BASIC "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("Device of 33 octets",
           F("abcdefghijabcdefghijabcdefghijabc", "Seq: 1\nCmd: x\nMac: " MAC_BASIC "\n" E), CMDMAIL_INVALID,
           0, 0);
    expect("Device empty", F("", "Seq: 1\nCmd: x\nMac: " MAC_BASIC "\n" E), CMDMAIL_INVALID, 0, 0);
    expect("Seq 0", F("lamp-0042", "Seq: 0\nCmd: x\nMac: " MAC_BASIC "\n" E), CMDMAIL_INVALID, 0, 0);
    expect("Seq leading zero",
           F("lamp-0042", "Seq: 01017\nCmd: relay 1 on\nCmd: report\nMac: " MAC_BASIC "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("Seq with a sign", F("lamp-0042", "Seq: +1017\nCmd: x\nMac: " MAC_BASIC "\n" E), CMDMAIL_INVALID,
           0, 0);
    expect("Seq 2^63", F("lamp-0042", "Seq: 9223372036854775808\nCmd: x\nMac: " MAC_BASIC "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("Seq 2^63-1", F("lamp-0042", "Seq: 9223372036854775807\nCmd: report\nMac: " MAC_MAXSEQ "\n" E),
           CMDMAIL_ACCEPTED, "report", 1);
    expect("Seq missing", F("lamp-0042", "Cmd: x\nMac: " MAC_BASIC "\n" E), CMDMAIL_INVALID, 0, 0);
    expect("Device not first", H B "Seq: 1017\nDevice: lamp-0042\nCmd: x\nMac: " MAC_BASIC "\n" E,
           CMDMAIL_INVALID, 0, 0);
    expect("Device repeated", F("lamp-0042", "Device: lamp-0042\nSeq: 1\nCmd: x\nMac: " MAC_BASIC "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("Expires after Cmd",
           F("lamp-0042", "Seq: 1020\nCmd: report\nExpires: 1798761599\nMac: " MAC_EXP_FUTURE "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("Expires not decimal",
           F("lamp-0042", "Seq: 1020\nExpires: 17987615x9\nCmd: report\nMac: " MAC_EXP_FUTURE "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("Expires with a leading zero",
           F("lamp-0042", "Seq: 1020\nExpires: 01798761599\nCmd: report\nMac: " MAC_EXP_FUTURE "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("no Cmd", F("lamp-0042", "Seq: 1017\nMac: " MAC_BASIC "\n" E), CMDMAIL_INVALID, 0, 0);
    expect("Expires and no Cmd",
           F("lamp-0042", "Seq: 1020\nExpires: 1798761599\nMac: " MAC_EXP_FUTURE "\n" E), CMDMAIL_INVALID, 0,
           0);
    expect("8 Cmd",
           F("lamp-0042",
             "Seq: 1023\nCmd: c0\nCmd: c1\nCmd: c2\nCmd: c3\nCmd: c4\nCmd: c5\nCmd: c6\nCmd: c7\n"
             "Mac: " MAC_EIGHT "\n" E),
           CMDMAIL_ACCEPTED, "c0", 8);
    expect("9 Cmd",
           F("lamp-0042",
             "Seq: 1023\nCmd: c0\nCmd: c1\nCmd: c2\nCmd: c3\nCmd: c4\nCmd: c5\nCmd: c6\nCmd: c7\n"
             "Cmd: c8\nMac: " MAC_EIGHT "\n" E),
           CMDMAIL_INVALID, 0, 0);
    memset(x128, 'x', 128);
    x128[128] = '\0';
    snprintf(buf, sizeof(buf), F("lamp-0042", "Seq: 1025\nCmd: %s\nMac: " MAC_LONGCMD "\n" E), x128);
    expect("Cmd of 128 octets", buf, CMDMAIL_ACCEPTED, x128, 1);
    snprintf(buf, sizeof(buf), F("lamp-0042", "Seq: 1025\nCmd: %sx\nMac: " MAC_LONGCMD "\n" E), x128);
    expect("Cmd of 129 octets", buf, CMDMAIL_INVALID, 0, 0);
    expect("Cmd empty", F("lamp-0042", "Seq: 1017\nCmd:   \nCmd: report\nMac: " MAC_BASIC "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("Cmd not ASCII", F("lamp-0042", "Seq: 1017\nCmd: relay 1 \xc3\xa9\nMac: " MAC_BASIC "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("unknown field", F("lamp-0042", "Seq: 1017\nNote: hi\nCmd: x\nMac: " MAC_BASIC "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("not a field line", F("lamp-0042", "Seq: 1017\nrelay 1 on\nMac: " MAC_BASIC "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("blank before the colon", F("lamp-0042", "Seq : 1017\nCmd: x\nMac: " MAC_BASIC "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("Mac of 63 digits",
           F("lamp-0042", "Seq: 1017\nCmd: relay 1 on\nCmd: report\nMac: 3a570f4344b0cfd231556a83f1"
                          "adfa2442aea08e55ad575204014875bd7e080\n" E),
           CMDMAIL_INVALID, 0, 0);
    for (i = 0; i < 64; i++) {
        char c = MAC_BASIC[i];
        up[i] = (c >= 'a' && c <= 'f') ? (char)(c - 32) : c;
    }
    up[64] = '\0';
    snprintf(buf, sizeof(buf), F("lamp-0042", "Seq: 1017\nCmd: relay 1 on\nCmd: report\nMac: %s\n" E), up);
    expect("Mac in upper case", buf, CMDMAIL_ACCEPTED, "relay 1 on", 2);
    up[10] = up[10] == '0' ? '1' : '0';
    snprintf(buf, sizeof(buf), F("lamp-0042", "Seq: 1017\nCmd: relay 1 on\nCmd: report\nMac: %s\n" E), up);
    expect("Mac one digit off", buf, CMDMAIL_INVALID, 0, 0);
    expect("a command changed",
           F("lamp-0042", "Seq: 1017\nCmd: relay 1 off\nCmd: report\nMac: " MAC_BASIC "\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("line after Mac",
           F("lamp-0042", "Seq: 1017\nCmd: relay 1 on\nCmd: report\nMac: " MAC_BASIC "\nCmd: x\n" E),
           CMDMAIL_INVALID, 0, 0);
    expect("END missing", F("lamp-0042", "Seq: 1017\nCmd: relay 1 on\nCmd: report\nMac: " MAC_BASIC "\n"),
           CMDMAIL_INVALID, 0, 0);
    expect("END before Mac", F("lamp-0042", "Seq: 1017\nCmd: relay 1 on\n" E), CMDMAIL_INVALID, 0, 0);
    expect("other key", F("lamp-0042", "Seq: 1022\nCmd: report\nMac: " MAC_WRONG_KEY "\n" E), CMDMAIL_INVALID,
           0, 0);
    expect("other device", H B "Device: lamp-0043\nSeq: 1021\nCmd: report\nMac: " MAC_OTHER_DEV "\n" E,
           CMDMAIL_WRONG_DEVICE, 0, 0);
    expect("BEGIN text not exact", H "-----BEGIN POP3 COMMAND ----\nDevice: lamp-0042\n", CMDMAIL_UNSIGNED, 0,
           0);
}

#define NEXT H B "Device: lamp-0042\nSeq: 1018\nCmd: report\nMac: " MAC_NEXT "\n" E
#define EXP(seq, t, mac) H B "Device: lamp-0042\nSeq: " seq "\nExpires: " t "\nCmd: report\nMac: " mac "\n" E

static void policy(void)
{
    static char big[CMDMAIL_MAX_MSG_OCTETS / 4];
    ram_nv_t nv;
    cmdmail_result_t res;
    size_t i;
    cur = "policy";
    nv_erase(&nv);
    CHECK(setup(&m, &nv, true, &res));
    CHECK(res.pending_seq == 0 && res.last_seq == 0);
    clock_now = 5000;
    CHECK(feed(&m, "e1", EXP("1019", "1000", MAC_EXP_PAST), 0, &res) == CMDMAIL_EXPIRED);
    CHECK(res.seq == 1019 && res.last_seq == 0);
    clock_now = -1; /* clock unknown: Expires not checked */
    CHECK(feed(&m, "e2", EXP("1019", "1000", MAC_EXP_PAST), 0, &res) == CMDMAIL_ACCEPTED);
    clock_now = 1798761600; /* one second late */
    CHECK(feed(&m, "e3", EXP("1020", "1798761599", MAC_EXP_FUTURE), 0, &res) == CMDMAIL_EXPIRED);
    clock_now = 1798761599; /* the last second it is valid */
    CHECK(feed(&m, "e3", EXP("1020", "1798761599", MAC_EXP_FUTURE), 0, &res) == CMDMAIL_ACCEPTED);
    CHECK(cmdmail_commands_done(&m));
    /* replayed: same Seq, lower Seq */
    CHECK(feed(&m, "r1", EXP("1020", "1798761599", MAC_EXP_FUTURE), 0, &res) == CMDMAIL_REPLAYED);
    CHECK(res.seq == 1020 && res.last_seq == 1020);
    CHECK(feed(&m, "r2", H BASIC, 0, &res) == CMDMAIL_REPLAYED);
    cmdmail_free(&m);
    nv_erase(&nv);
    CHECK(setup(&m, &nv, false, &res));
    CHECK(feed(&m, "e4", EXP("1019", "1000", MAC_EXP_PAST), 0, &res) == CMDMAIL_ACCEPTED); /* no clock */
    /* incomplete: nothing runs, not seen */
    cmdmail_msg_begin(&m, "i1", 2);
    cmdmail_msg_data(&m, NEXT, strlen(NEXT));
    CHECK(cmdmail_msg_end(&m, false, &res) == CMDMAIL_INCOMPLETE);
    CHECK(cmdmail_cmd(&m, 0) == NULL && !cmdmail_seen(&m, "i1", 2));
    /* oversized: a valid block first, then more than the limit */
    memset(big, 'a', sizeof(big));
    for (i = 80; i < sizeof(big); i += 80)
        big[i] = '\n';
    cmdmail_msg_begin(&m, "o1", 2);
    cmdmail_msg_data(&m, NEXT, strlen(NEXT));
    for (i = 0; i < 4; i++)
        cmdmail_msg_data(&m, big, sizeof(big));
    cmdmail_msg_data(&m, "x", 1);
    CHECK(cmdmail_msg_end(&m, true, &res) == CMDMAIL_OVERSIZED);
    CHECK(cmdmail_seen(&m, "o1", 2));
    /* just at the limit it is scanned */
    cmdmail_msg_begin(&m, "o2", 2);
    cmdmail_msg_data(&m, EXP("1020", "1798761599", MAC_EXP_FUTURE),
                     strlen(EXP("1020", "1798761599", MAC_EXP_FUTURE)));
    for (i = 0; i < 3; i++)
        cmdmail_msg_data(&m, big, sizeof(big));
    cmdmail_msg_data(&m, big, sizeof(big) - strlen(EXP("1020", "1798761599", MAC_EXP_FUTURE)));
    CHECK(cmdmail_msg_end(&m, true, &res) == CMDMAIL_ACCEPTED);
    cmdmail_free(&m);
    for (i = 0; i < CMDMAIL_VERDICT_COUNT_; i++) {
        size_t j;
        CHECK(cmdmail_verdict_str((cmdmail_verdict_t)i)[0] != '?');
        for (j = 0; j < i; j++)
            CHECK(strcmp(cmdmail_verdict_str((cmdmail_verdict_t)i),
                         cmdmail_verdict_str((cmdmail_verdict_t)j)) != 0);
    }
    CHECK(strcmp(cmdmail_verdict_str(CMDMAIL_VERDICT_COUNT_), "?") == 0);
    printf("ok   policy (expiry, replay, incomplete, oversized) if no FAIL above\n");
}

static uint32_t gen_of_rec(const uint8_t *r)
{
    const uint8_t *p = r + 8;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t gen_of(const ram_nv_t *nv, int slot)
{
    const uint8_t *p = nv->slot[slot] + 8;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The record layout of cmdmail.c's comment, checked with the test's own CRC-32. */
static void check_record(const uint8_t *r, uint32_t gen, uint64_t last)
{
    uint32_t crc = 0xFFFFFFFFu, stored;
    uint64_t l = 0;
    size_t i;
    int b;
    for (i = 0; i < CMDMAIL_NV_RECORD_LEN; i++) {
        if (i >= 28 && i < 32)
            continue;
        crc ^= r[i];
        for (b = 0; b < 8; b++)
            crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    stored = (uint32_t)r[28] | (uint32_t)r[29] << 8 | (uint32_t)r[30] << 16 | (uint32_t)r[31] << 24;
    for (i = 0; i < 8; i++)
        l |= (uint64_t)r[12 + i] << (8 * i);
    CHECK(memcmp(r, "CMDm", 4) == 0 && r[4] == 1);
    CHECK(stored == ~crc);
    CHECK(gen_of_rec(r) == gen && l == last);
}


static void nv_generations(void)
{
    ram_nv_t nv;
    cmdmail_result_t res;
    cur = "generations";
    nv_erase(&nv);
    nv_test_record(nv.slot[0], 7, 100, 0);
    nv_test_record(nv.slot[1], 8, 101, 101);
    CHECK(setup(&m, &nv, false, &res) && res.last_seq == 101 && res.pending_seq == 101);
    CHECK(cmdmail_commands_done(&m) && nv.last_slot == 0 && gen_of(&nv, 0) == 9);
    cmdmail_free(&m);
    nv_test_record(nv.slot[0], 0xFFFFFFFFu, 200, 0); /* the generation wraps: 0 is newer */
    nv_test_record(nv.slot[1], 0, 201, 0);
    CHECK(setup(&m, &nv, false, &res) && res.last_seq == 201);
    CHECK(cmdmail_flush(&m) && nv.writes == 1); /* nothing changed: no write */
    cmdmail_free(&m);
    nv.slot[1][5] = 1; /* a field the format says is zero: CRC no longer matches */
    CHECK(setup(&m, &nv, false, &res) && res.last_seq == 200);
    cmdmail_free(&m);
    printf("ok   nv generations if no FAIL above\n");
}

static void nv_state(void)
{
    ram_nv_t nv, keep;
    cmdmail_result_t res;
    char uid[16];
    unsigned i;
    cur = "nv";
    nv_erase(&nv);
    CHECK(setup(&m, &nv, false, &res)); /* fresh */
    CHECK(res.last_seq == 0 && res.pending_seq == 0 && nv.writes == 0);
    CHECK(cmdmail_flush(&m) && nv.writes == 0); /* nothing changed: no write */
    CHECK(feed(&m, "u-accepted", H BASIC, 0, &res) == CMDMAIL_ACCEPTED);
    CHECK(nv.writes == 1 && nv.last_slot == 0 && gen_of(&nv, 0) == 1);
    check_record(nv.slot[0], 1, 1017);
    cmdmail_free(&m);
    /* power cut during the commands: the next boot reports the pending Seq */
    CHECK(setup(&m, &nv, false, &res));
    CHECK(res.pending_seq == 1017 && res.last_seq == 1017);
    CHECK(cmdmail_seen(&m, "u-accepted", 10));
    CHECK(cmdmail_commands_done(&m) && nv.writes == 2 && nv.last_slot == 1 && gen_of(&nv, 1) == 2);
    check_record(nv.slot[1], 2, 1017);
    cmdmail_free(&m);
    CHECK(setup(&m, &nv, false, &res));
    CHECK(res.pending_seq == 0 && res.last_seq == 1017);
    CHECK(feed(&m, "u-again", H BASIC, 0, &res) == CMDMAIL_REPLAYED); /* after a reboot too */
    CHECK(cmdmail_flush(&m) && nv.writes == 3 && nv.last_slot == 0 && gen_of(&nv, 0) == 3);
    CHECK(feed(&m, "u-next", NEXT, 0, &res) == CMDMAIL_ACCEPTED);
    CHECK(nv.last_slot == 1 && gen_of(&nv, 1) == 4);
    CHECK(cmdmail_commands_done(&m) && nv.last_slot == 0 && gen_of(&nv, 0) == 5);
    cmdmail_free(&m);
    /* the newer slot corrupted (CRC): the other one is loaded */
    keep = nv;
    nv.slot[0][40] ^= 1;
    CHECK(setup(&m, &nv, false, &res));
    CHECK(res.last_seq == 1018 && res.pending_seq == 1018); /* slot 1: before commands_done */
    cmdmail_free(&m);
    nv = keep;
    nv.slot[1][12] ^= 0x80;
    CHECK(setup(&m, &nv, false, &res) && res.last_seq == 1018 && res.pending_seq == 0);
    /* a write cut half way leaves the previous state */
    nv.fail_writes = 1;
    CHECK(feed(&m, "u-cut", EXP("1019", "1000", MAC_EXP_PAST), 0, &res) == CMDMAIL_NV_ERROR);
    CHECK(cmdmail_cmd(&m, 0) == NULL && !cmdmail_seen(&m, "u-cut", 5) && res.last_seq == 1018);
    cmdmail_free(&m);
    CHECK(setup(&m, &nv, false, &res) && res.last_seq == 1018 && res.pending_seq == 0);
    CHECK(feed(&m, "u-cut", EXP("1019", "1000", MAC_EXP_PAST), 0, &res) ==
          CMDMAIL_ACCEPTED); /* tried again */
    cmdmail_free(&m);
    /* both slots broken: a fresh state */
    memset(nv.slot[0], 0, sizeof(nv.slot[0]));
    nv.slot[1][3] ^= 1;
    CHECK(setup(&m, &nv, false, &res) && res.last_seq == 0);
    cmdmail_free(&m);
    printf("ok   nv (fresh, alternation, CRC fallback, cut write) if no FAIL above\n");

    /* the seen ring: when full the oldest goes; order survives a reboot */
    cur = "seen ring";
    nv_erase(&nv);
    CHECK(setup(&m, &nv, false, &res));
    for (i = 0; i <= CMDMAIL_SEEN_MAX; i++) {
        snprintf(uid, sizeof(uid), "uid%u", i);
        CHECK(feed(&m, uid, H "hello\n", 0, &res) == CMDMAIL_UNSIGNED);
    }
    CHECK(!cmdmail_seen(&m, "uid0", 4) && cmdmail_seen(&m, "uid1", 4) && cmdmail_seen(&m, "uid64", 5));
    CHECK(nv.writes == 0 && cmdmail_flush(&m) && nv.writes == 1);
    cmdmail_free(&m);
    CHECK(setup(&m, &nv, false, &res));
    CHECK(!cmdmail_seen(&m, "uid0", 4) && cmdmail_seen(&m, "uid1", 4) && cmdmail_seen(&m, "uid64", 5));
    CHECK(feed(&m, "uid65", H "hello\n", 0, &res) == CMDMAIL_UNSIGNED);
    CHECK(!cmdmail_seen(&m, "uid1", 4) && cmdmail_seen(&m, "uid2", 4) && cmdmail_seen(&m, "uid65", 5));
    CHECK(!cmdmail_seen(&m, "", 0) && !cmdmail_seen(&m, NULL, 0));
    cmdmail_free(&m);
    printf("ok   seen ring if no FAIL above\n");
}

static void bad_setup(void)
{
    ram_nv_t nv;
    cmdmail_config_t cfg;
    cur = "setup arguments";
    nv_erase(&nv);
    memset(&cfg, 0, sizeof(cfg));
    cfg.device_id = "lamp-0042";
    cfg.key = KEY;
    cfg.key_len = 15;
    cfg.nv.ctx = &nv;
    cfg.nv.read = nv_read;
    cfg.nv.write = nv_write;
    cmdmail_init(&m);
    CHECK(!cmdmail_setup(&m, &cfg, NULL));
    cfg.key_len = 32;
    cfg.device_id = "bad id";
    CHECK(!cmdmail_setup(&m, &cfg, NULL));
    cfg.device_id = "lamp-0042";
    cfg.nv.write = NULL;
    CHECK(!cmdmail_setup(&m, &cfg, NULL));
    cfg.nv.write = nv_write;
    nv.fail_reads = 1;
    CHECK(!cmdmail_setup(&m, &cfg, NULL)); /* an NV read error is not a first boot */
    nv.fail_reads = 0;
    CHECK(cmdmail_setup(&m, &cfg, NULL));
    cmdmail_free(&m);
}

int main(void)
{
    printf("sizeof(cmdmail_t) = %zu\n", sizeof(cmdmail_t));
    messages();
    fields();
    policy();
    nv_state();
    nv_generations();
    bad_setup();
    printf("%d failure(s)\n", failures);
    return failures != 0;
}
