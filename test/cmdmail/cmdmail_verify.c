/* cmdmail_verify: runs one message through the command-mail module.
 *
 *   cmdmail_verify --device ID --key-hex HEX --last-seq N [--now T] [--chunk K] < message.eml
 *
 * Prints "VERDICT SEQ" (VERDICT: the enum's name in lower case, one token, e.g.
 * wrong_device; SEQ: res.seq, the block's Seq or 0), then, if
 * accepted, one command per line; the reason goes to stderr. The state starts
 * at last_seq N: the NV is in RAM, and since its record is private to the
 * module, N is reached through the public API: a block with Seq N signed here
 * with the same key is accepted first. --chunk K feeds the message in pieces
 * of K octets (default: as read). Exit 0 when a verdict was printed, 2 on a
 * usage error, 1 on a setup failure. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdmail.h"
#include "cmdmail_test_msg.h"

typedef struct ram_nv { uint8_t slot[2][CMDMAIL_NV_RECORD_LEN]; } ram_nv_t;

static bool rd(void *ctx, unsigned slot, uint8_t *buf, size_t len)
{
    ram_nv_t *nv = ctx;
    if (slot > 1 || len != CMDMAIL_NV_RECORD_LEN) return false;
    memcpy(buf, nv->slot[slot], len);
    return true;
}

static bool wr(void *ctx, unsigned slot, const uint8_t *buf, size_t len)
{
    ram_nv_t *nv = ctx;
    if (slot > 1 || len != CMDMAIL_NV_RECORD_LEN) return false;
    memcpy(nv->slot[slot], buf, len);
    return true;
}

/* One token per verdict, from the enum (cmdmail_verdict_str() may contain spaces). */
static const char *const verdict_token[CMDMAIL_VERDICT_COUNT_] = {
    [CMDMAIL_ACCEPTED] = "accepted", [CMDMAIL_UNSIGNED] = "unsigned", [CMDMAIL_INVALID] = "invalid",
    [CMDMAIL_WRONG_DEVICE] = "wrong_device", [CMDMAIL_REPLAYED] = "replayed", [CMDMAIL_EXPIRED] = "expired",
    [CMDMAIL_OVERSIZED] = "oversized", [CMDMAIL_INCOMPLETE] = "incomplete", [CMDMAIL_NV_ERROR] = "nv_error",
};

static int64_t now_value;
static int64_t get_now(void *ctx) { (void)ctx; return now_value; }

static int usage(void)
{
    fprintf(stderr, "usage: cmdmail_verify --device ID --key-hex HEX --last-seq N [--now T] [--chunk K] < message.eml\n");
    return 2;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int main(int argc, char **argv)
{
    static ram_nv_t nv;
    static char buf[1 << 16];
    const char *device = NULL, *key_hex = NULL;
    uint8_t key[64];
    size_t key_len = 0, chunk = 0, i, n;
    uint64_t last_seq = 0;
    bool have_last = false, have_now = false;
    cmdmail_t m;
    cmdmail_config_t cfg;
    cmdmail_result_t res;
    cmdmail_verdict_t v;
    int a;

    for (a = 1; a < argc; a++) {
        const char *opt = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;
        if (!val) return usage();
        if (strcmp(opt, "--device") == 0) device = val;
        else if (strcmp(opt, "--key-hex") == 0) key_hex = val;
        else if (strcmp(opt, "--last-seq") == 0) { last_seq = strtoull(val, NULL, 10); have_last = true; }
        else if (strcmp(opt, "--now") == 0) { now_value = strtoll(val, NULL, 10); have_now = true; }
        else if (strcmp(opt, "--chunk") == 0) chunk = (size_t)strtoul(val, NULL, 10);
        else return usage();
        a++;
    }
    if (!device || !key_hex || !have_last) return usage();
    n = strlen(key_hex);
    if (n % 2 || n / 2 > sizeof key) return usage();
    for (i = 0; i < n / 2; i++) {
        int hi = hexval(key_hex[2 * i]), lo = hexval(key_hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return usage();
        key[i] = (uint8_t)(hi * 16 + lo);
    }
    key_len = n / 2;

    memset(&nv, 0xFF, sizeof nv);
    memset(&cfg, 0, sizeof cfg);
    cfg.device_id = device;
    cfg.key = key;
    cfg.key_len = key_len;
    cfg.nv.ctx = &nv;
    cfg.nv.read = rd;
    cfg.nv.write = wr;
    cfg.now = have_now ? get_now : NULL;
    cmdmail_init(&m);
    if (!cmdmail_setup(&m, &cfg, &res)) {
        fprintf(stderr, "cmdmail_verify: setup failed (bad device id or key length?)\n");
        return 1;
    }
    if (last_seq > 0) {
        static char prime[4096];
        const char *c = "prime";
        size_t len = tm_message(prime, sizeof prime, key, key_len, device, last_seq, NULL, &c, 1, 0);
        cmdmail_msg_begin(&m, "prime", 5);
        cmdmail_msg_data(&m, prime, len);
        v = cmdmail_msg_end(&m, true, &res);
        if (v != CMDMAIL_ACCEPTED || !cmdmail_commands_done(&m) || res.last_seq != last_seq) {
            fprintf(stderr, "cmdmail_verify: could not set last_seq %" PRIu64 " (%s: %s)\n", last_seq,
                    cmdmail_verdict_str(v), res.reason ? res.reason : "");
            cmdmail_free(&m);
            return 1;
        }
    }

    cmdmail_msg_begin(&m, "stdin", 5);
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        size_t off = 0;
        while (off < n) {
            size_t k = chunk && chunk < n - off ? chunk : n - off;
            cmdmail_msg_data(&m, buf + off, k);
            off += k;
        }
    }
    memset(&res, 0, sizeof res);
    v = cmdmail_msg_end(&m, true, &res);
    printf("%s %" PRIu64 "\n", (unsigned)v < CMDMAIL_VERDICT_COUNT_ ? verdict_token[v] : "bad_verdict", res.seq);
    if (v == CMDMAIL_ACCEPTED)
        for (i = 0; i < res.cmd_count; i++) {
            const char *c = cmdmail_cmd(&m, i);
            printf("%s\n", c ? c : "(null)");
        }
    fprintf(stderr, "reason: %s\n", res.reason ? res.reason : "(none)");
    cmdmail_free(&m);
    return 0;
}
