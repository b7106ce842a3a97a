/**
 * @file fw_cmdmail.c
 * @brief The firmware's command mail (fw_cmdmail.h): device id and key from
 *        the settings, the NV state through the board's hooks, one
 *        cmdmail_poll per session, and the UART log of what it decided.
 *
 * The context lives only during a session (cmdmail_setup() at its start,
 * cmdmail_free() at its end), so between sessions mbedTLS's heap is empty and
 * the state is what NV holds.
 */
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "cmdmail.h"
#include "cmdmail_poll.h"
#include "fw_cmdmail.h"
#include "fw_login.h"

/* Same settings header as main.c (a board's macros may expand to run-time values). */
#ifdef FW_BOARD_CONFIG
#include FW_BOARD_CONFIG
#endif

#ifndef FW_CMDMAIL_DEVICE
#define FW_CMDMAIL_DEVICE "device-0001"
#endif
#ifndef FW_CMDMAIL_KEY_HEX
#define FW_CMDMAIL_KEY_HEX "" /* no key: no command mail (a product provisions one per device) */
#endif
#ifndef FW_DELETE_AFTER_FETCH
#define FW_DELETE_AFTER_FETCH 0
#endif
#ifndef FW_DELETE_ACCEPTED
#define FW_DELETE_ACCEPTED FW_DELETE_AFTER_FETCH
#endif
#ifndef FW_DELETE_REFUSED
#define FW_DELETE_REFUSED FW_DELETE_AFTER_FETCH
#endif

#define KEY_MAX 64U /* cmdmail.h: 16 to 64 octets */
#define LOG_LINE_LEN 160U /* the longest line below, with 20-digit numbers, fits */

/* Named apart: test/qemu/report.py finds their sizes among the image's symbols. */
static cmdmail_t fw_cm;
static cmdmail_poll_t fw_cm_poll;
static uint8_t fw_cm_key[KEY_MAX];
static bool cm_set_up;

/* Weak hooks: the application replaces them. */
__attribute__((weak)) void app_command(uint64_t seq, size_t index, const char *cmd)
{
    (void)seq;
    (void)index;
    (void)cmd;
}

__attribute__((weak)) void app_mail_end(const char *uid, size_t uid_len, bool complete)
{
    fw_log_text(complete ? "mail done" : "mail incomplete", uid, uid_len);
}

/* ---- Settings --------------------------------------------------------------------- */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* FW_CMDMAIL_KEY_HEX into fw_cm_key[]: its length in octets, or 0 if absent or malformed. */
static size_t key_load(void)
{
    const char *hex = FW_CMDMAIL_KEY_HEX;
    size_t n = strlen(hex);

    if (n % 2U != 0U || n / 2U > sizeof fw_cm_key) {
        return 0;
    }
    for (size_t i = 0; i < n / 2U; i++) {
        int hi = hex_digit(hex[2U * i]);
        int lo = hex_digit(hex[2U * i + 1U]);
        if (hi < 0 || lo < 0) {
            memset(fw_cm_key, 0, sizeof fw_cm_key);
            return 0;
        }
        fw_cm_key[i] = (uint8_t)((hi << 4) | lo);
    }
    return n / 2U;
}

static bool nv_read(void *ctx, unsigned slot, uint8_t *buf, size_t len)
{
    (void)ctx;
    return board_nv_read(slot, buf, len);
}

static bool nv_write(void *ctx, unsigned slot, const uint8_t *buf, size_t len)
{
    (void)ctx;
    return board_nv_write(slot, buf, len);
}

/* Expires is checked only once the wall clock is known (board_unix_time() != 0). */
static int64_t clock_now(void *ctx)
{
    time_t t = board_unix_time();

    (void)ctx;
    return t != 0 ? (int64_t)t : -1;
}

/* cmdmail_setup() with this device's settings; logs why not. */
static bool setup(cmdmail_result_t *res)
{
    cmdmail_config_t cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.device_id = FW_CMDMAIL_DEVICE;
    cfg.key = fw_cm_key;
    cfg.key_len = key_load();
    cfg.nv.read = nv_read;
    cfg.nv.write = nv_write;
    cfg.now = clock_now;
    if (cfg.key_len == 0U) {
        fw_log_str("cmdmail: no key (FW_CMDMAIL_KEY_HEX): no command mail");
        return false;
    }
    cmdmail_init(&fw_cm);
    if (!cmdmail_setup(&fw_cm, &cfg, res)) {
        fw_log_str("cmdmail: setup failed (NV read error, or a bad device id or key)");
        cmdmail_free(&fw_cm);
        memset(fw_cm_key, 0, sizeof fw_cm_key);
        return false;
    }
    cm_set_up = true;
    return true;
}

static void release(void)
{
    if (cm_set_up) {
        cmdmail_free(&fw_cm);
        cm_set_up = false;
    }
    memset(fw_cm_key, 0, sizeof fw_cm_key);
}

void fw_cmdmail_boot(void)
{
    cmdmail_result_t res;
    char line[LOG_LINE_LEN];

    memset(&res, 0, sizeof res);
    if (!setup(&res)) {
        return;
    }
    (void)snprintf(line, sizeof line, "cmdmail: device %s, last seq %llu, pending seq %llu", FW_CMDMAIL_DEVICE,
                   (unsigned long long)res.last_seq, (unsigned long long)res.pending_seq);
    fw_log_str(line);
    if (res.pending_seq != 0U) {
        /* A reset came between persisting this Seq and finishing its commands: they ran
         * wholly, partly or not at all, and will not run again. The application decides. */
        fw_log_str("cmdmail: WARNING: a reset interrupted the commands of the pending seq");
    }
    release();
}

/* ---- The poll's hooks --------------------------------------------------------------- */

static pop3_status_t poll_login(void *ctx, pop3_client_t *c)
{
    (void)ctx;
    return fw_login_start(c); /* USER/PASS, or AUTH XOAUTH2 with the token */
}

static void poll_run(void *ctx, uint64_t seq, size_t index, const char *cmd)
{
    char label[48];

    (void)ctx;
    (void)snprintf(label, sizeof label, "cmd seq=%llu #%u: ", (unsigned long long)seq, (unsigned)index);
    /* The module passes only printable ASCII (FORMAT.md): written as it is, whole. */
    board_log_write(label, strlen(label));
    board_log_write(cmd, strlen(cmd));
    board_log_write("\r\n", 2);
    app_command(seq, index, cmd);
}

/* The module's texts (verdicts, reasons) are constants: whole lines through fw_log_str(). */
static void poll_message(void *ctx, const cmdmail_poll_msg_t *m)
{
    char line[LOG_LINE_LEN];

    (void)ctx;
    app_mail_end(m->uid, m->uid_len, m->retr_status == POP3_OK);
    if (m->verdict == CMDMAIL_ACCEPTED) {
        (void)snprintf(line, sizeof line, "  accepted: seq %llu, %u command(s)%s", (unsigned long long)m->res->seq,
                       (unsigned)m->res->cmd_count, m->deleting ? ", deleting" : "");
    } else {
        (void)snprintf(line, sizeof line, "  refused: %s (%s), seq %llu%s", cmdmail_verdict_str(m->verdict),
                       m->res->reason != NULL ? m->res->reason : "-", (unsigned long long)m->res->seq,
                       m->deleting ? ", deleting" : "");
    }
    fw_log_str(line);
}

static void poll_end(void *ctx, const cmdmail_poll_stats_t *s)
{
    char line[LOG_LINE_LEN];

    (void)ctx;
    (void)snprintf(line, sizeof line,
                   "cmdmail: poll: listed %lu, seen %lu, fetched %lu, accepted %lu, refused %lu, commands %lu",
                   (unsigned long)s->listed, (unsigned long)s->skipped, (unsigned long)s->fetched,
                   (unsigned long)s->accepted, (unsigned long)s->refused, (unsigned long)s->commands);
    fw_log_str(line);
    if (s->deleted != 0U) {
        fw_log_u32("cmdmail: deleted", s->deleted);
    }
    if (s->nv_error) {
        fw_log_str("cmdmail: NV write failed");
    }
}

bool fw_cmdmail_begin(pop3_callbacks_t *cb, fw_cmdmail_done_fn on_done)
{
    cmdmail_poll_config_t pcfg;
    cmdmail_result_t res;

    memset(&res, 0, sizeof res);
    release(); /* a session that never ended cleanly */
    if (!setup(&res)) {
        return false;
    }
    memset(&pcfg, 0, sizeof pcfg);
    pcfg.cm = &fw_cm;
    pcfg.policy.delete_accepted = FW_DELETE_ACCEPTED;
    pcfg.policy.delete_refused = FW_DELETE_REFUSED;
    pcfg.login = poll_login;
    pcfg.run = poll_run;
    pcfg.on_message = poll_message;
    pcfg.on_end = poll_end;
    pcfg.on_done = on_done;
    cmdmail_poll_init(&fw_cm_poll, &pcfg);
    cmdmail_poll_callbacks(&fw_cm_poll, cb);
    return true;
}

void fw_cmdmail_attach(pop3_client_t *c)
{
    cmdmail_poll_attach(&fw_cm_poll, c);
}

void fw_cmdmail_end(void)
{
    release();
}
