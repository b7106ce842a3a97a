/*
 * libFuzzer target for the command-mail module (examples/cmdmail), public API only.
 *
 * Input:
 *   byte 0   NV behaviour: bits 0-2 the fault met by the write numbered by byte 1
 *            (0 none, 1 write fails, 2 torn: half written then power off,
 *            3 garbage then power off, 4 complete then power off, 5-7 none);
 *            bit 3: the first RETR does not complete (complete=false);
 *            bit 4: the device has a clock (now = 1800000000);
 *   byte 1   1-based number of the NV write that meets the fault (0: none)
 *   byte 2   low 4 bits: number of split points that follow
 *   2 bytes  per split point: offset into the message (LE, modulo its length)
 *   the rest the message, fed to cmdmail_msg_data in pieces cut at those points.
 * Key: 32 octets 0x00..0x1f, device "lamp-0042" (seeds_cmdmail.py signs with it).
 *
 * Checked: no crash (ASan/UBSan); the verdict is an enum value; an ACCEPTED
 * block has 1..CMDMAIL_MAX_CMDS commands of 1..CMDMAIL_CMD_MAX_LEN printable
 * octets, and a Seq above the state's last one; the same message fed again, in
 * the same context and after reboots (fresh context, cmdmail_setup on the same
 * NV), is never accepted a second time; last_seq never goes back across boots.
 */
#include "cmdmail.h"
#include "fuzz_util.h"

#define NOW 1800000000

typedef struct fz_nv {
    uint8_t slot[2][CMDMAIL_NV_RECORD_LEN];
    unsigned writes, fault_write, mode;
    bool dead;
} fz_nv_t;

static bool nv_read(void *ctx, unsigned slot, uint8_t *buf, size_t len)
{
    fz_nv_t *nv = ctx;
    FZ_CHECK(slot < 2 && len == CMDMAIL_NV_RECORD_LEN, "NV read slot %u len %zu", slot, len);
    if (nv->dead) return false;
    memcpy(buf, nv->slot[slot], len);
    return true;
}

static bool nv_write(void *ctx, unsigned slot, const uint8_t *buf, size_t len)
{
    fz_nv_t *nv = ctx;
    size_t i;
    FZ_CHECK(slot < 2 && len == CMDMAIL_NV_RECORD_LEN, "NV write slot %u len %zu", slot, len);
    if (nv->dead) return false;
    if (++nv->writes != nv->fault_write) {
        memcpy(nv->slot[slot], buf, len);
        return true;
    }
    switch (nv->mode) {
    case 1: return false;
    case 2: memcpy(nv->slot[slot], buf, len / 2); nv->dead = true; return false;
    case 3:
        for (i = 0; i < len; i++) nv->slot[slot][i] = (uint8_t)(buf[i] ^ (uint8_t)(i * 37u + 1u));
        nv->dead = true;
        return false;
    case 4: memcpy(nv->slot[slot], buf, len); nv->dead = true; return true;
    default: memcpy(nv->slot[slot], buf, len); return true;
    }
}

static int64_t fz_now(void *ctx) { (void)ctx; return NOW; }

static const uint8_t fz_key[32] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                   16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

static void fz_config(cmdmail_config_t *cfg, fz_nv_t *nv, bool clock)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->device_id = "lamp-0042";
    cfg->key = fz_key;
    cfg->key_len = sizeof fz_key;
    cfg->nv.ctx = nv;
    cfg->nv.read = nv_read;
    cfg->nv.write = nv_write;
    cfg->now = clock ? fz_now : NULL;
}

/* Feeds msg cut at the sorted split points; returns the verdict (res filled). */
static cmdmail_verdict_t fz_feed(cmdmail_t *m, const char *uid, const uint8_t *msg, size_t len,
                                 const size_t *cuts, size_t ncuts, bool complete, cmdmail_result_t *res)
{
    size_t pos = 0, i;
    cmdmail_verdict_t v;
    cmdmail_msg_begin(m, uid, strlen(uid));
    for (i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        if (end < pos) end = pos;
        cmdmail_msg_data(m, (const char *)msg + pos, end - pos);
        pos = end;
    }
    memset(res, 0, sizeof *res);
    v = cmdmail_msg_end(m, complete, res);
    FZ_CHECK((unsigned)v < CMDMAIL_VERDICT_COUNT_, "verdict %d", (int)v);
    FZ_CHECK(cmdmail_verdict_str(v) != NULL, "no name for verdict %d", (int)v);
    return v;
}

/* An ACCEPTED block: commands within the limits and printable. */
static void fz_check_accepted(const cmdmail_t *m, const cmdmail_result_t *res, uint64_t last_before)
{
    size_t i, j;
    FZ_CHECK(res->cmd_count >= 1 && res->cmd_count <= CMDMAIL_MAX_CMDS, "cmd_count %zu", res->cmd_count);
    FZ_CHECK(res->seq > last_before, "accepted Seq %llu not above last %llu", (unsigned long long)res->seq,
             (unsigned long long)last_before);
    FZ_CHECK(res->last_seq == res->seq, "last_seq %llu after accepting %llu", (unsigned long long)res->last_seq,
             (unsigned long long)res->seq);
    for (i = 0; i < res->cmd_count; i++) {
        const char *c = cmdmail_cmd(m, i);
        size_t n;
        FZ_CHECK(c != NULL, "cmd %zu NULL", i);
        n = strlen(c);
        FZ_CHECK(n >= 1 && n <= CMDMAIL_CMD_MAX_LEN, "cmd %zu length %zu", i, n);
        for (j = 0; j < n; j++) FZ_CHECK(c[j] >= 0x20 && c[j] <= 0x7e, "cmd %zu octet 0x%02x", i, (unsigned)(uint8_t)c[j]);
    }
    FZ_CHECK(cmdmail_cmd(m, res->cmd_count) == NULL, "a command past cmd_count");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fz_nv_t nv;
    cmdmail_t m;
    cmdmail_config_t cfg;
    cmdmail_result_t res;
    cmdmail_verdict_t v;
    size_t cuts[16], ncuts, i, j, len;
    const uint8_t *msg;
    uint64_t accepted_seq = 0, last = 0;
    bool clock, ok;
    unsigned boot;

    if (size < 3) return 0;
    ncuts = data[2] & 15u;
    if (size < 3 + 2 * ncuts) return 0;
    msg = data + 3 + 2 * ncuts;
    len = size - 3 - 2 * ncuts;
    for (i = 0; i < ncuts; i++) {
        size_t c = (size_t)data[3 + 2 * i] | (size_t)data[4 + 2 * i] << 8;
        cuts[i] = len ? c % (len + 1) : 0;
    }
    for (i = 1; i < ncuts; i++) /* insertion sort: at most 15 */
        for (j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
            size_t t = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
    clock = (data[0] & 0x10) != 0;
    memset(&nv, 0xFF, sizeof nv.slot);
    nv.writes = 0;
    nv.fault_write = data[1];
    nv.mode = data[0] & 7u;
    nv.dead = false;

    /* boot 0 with the fault; boots 1 and 2 on the same NV, no fault */
    for (boot = 0; boot < 3; boot++) {
        cmdmail_init(&m);
        fz_config(&cfg, &nv, clock);
        memset(&res, 0, sizeof res);
        ok = cmdmail_setup(&m, &cfg, &res);
        if (!ok) {
            /* only an NV fault may make setup fail (a write it does, cut or refused) */
            FZ_CHECK(boot == 0 && nv.writes >= nv.fault_write && nv.fault_write, "setup failed at boot %u", boot);
            cmdmail_free(&m);
            nv.dead = false;
            nv.fault_write = 0;
            continue;
        }
        if (nv.dead) goto reboot;
        FZ_CHECK(res.last_seq >= last, "boot %u: last_seq %llu went back from %llu", boot,
                 (unsigned long long)res.last_seq, (unsigned long long)last);
        FZ_CHECK(res.pending_seq == 0 || res.pending_seq == res.last_seq, "boot %u: pending %llu, last %llu", boot,
                 (unsigned long long)res.pending_seq, (unsigned long long)res.last_seq);
        last = res.last_seq;
        FZ_CHECK(cmdmail_cmd(&m, 0) == NULL, "a command right after setup");
        /* the message, then the same again in the same context */
        for (i = 0; i < 2; i++) {
            bool complete = !(boot == 0 && i == 0 && (data[0] & 0x08));
            v = fz_feed(&m, i ? "uid-again" : "uid-1", msg, len, cuts, i ? 0 : ncuts, complete, &res);
            if (nv.dead) goto reboot;
            if (!complete) FZ_CHECK(v == CMDMAIL_INCOMPLETE, "incomplete message: %s", cmdmail_verdict_str(v));
            if (v != CMDMAIL_ACCEPTED) {
                FZ_CHECK(cmdmail_cmd(&m, 0) == NULL, "%s, yet a command", cmdmail_verdict_str(v));
                continue;
            }
            FZ_CHECK(accepted_seq == 0, "Seq %llu accepted again (first accepted %llu)", (unsigned long long)res.seq,
                     (unsigned long long)accepted_seq);
            fz_check_accepted(&m, &res, last);
            accepted_seq = res.seq;
            last = res.seq;
            (void)cmdmail_commands_done(&m);
            if (nv.dead) goto reboot;
        }
        (void)cmdmail_flush(&m);
    reboot:
        cmdmail_free(&m);
        nv.dead = false; /* power back: the fault was one-shot */
        nv.fault_write = 0;
    }
    return 0;
}
