/* The signed command block (FORMAT.md): a line parser that checks each field
 * as it arrives and feeds its canonical form to HMAC-SHA256, so the block is
 * never buffered as text; only its parsed values are kept.
 */
#include <string.h>

#include "cmdmail_internal.h"

#define BEGIN_LINE "-----BEGIN POP3 COMMAND-----"
#define END_LINE "-----END POP3 COMMAND-----"
#define INT63_MAX 9223372036854775807ULL

/* block_state: outside, expecting a field (in order), or finished. */
enum { BS_NONE = 0, BS_DEVICE, BS_SEQ, BS_EXP, BS_CMD1, BS_CMD, BS_END, BS_DONE, BS_INVALID };

static void invalid(cmdmail_t *m, const char *why)
{
    m->block_state = BS_INVALID;
    m->reason = why;
}

static bool mac_feed(cmdmail_t *m, const char *name, const char *v, size_t n)
{
    return mbedtls_md_hmac_update(&m->md, (const unsigned char *)name, strlen(name)) == 0 &&
           mbedtls_md_hmac_update(&m->md, (const unsigned char *)v, n) == 0 &&
           mbedtls_md_hmac_update(&m->md, (const unsigned char *)"\n", 1) == 0;
}

/* Decimal, no sign, at most 2^63-1, no leading zero. */
static bool parse_dec(const char *v, size_t n, uint64_t *out)
{
    uint64_t x = 0;
    size_t i;
    if (n == 0U || (v[0] == '0' && n > 1U))
        return false;
    for (i = 0; i < n; i++) {
        unsigned d;
        if (v[i] < '0' || v[i] > '9')
            return false;
        d = (unsigned)(v[i] - '0');
        if (x > (INT63_MAX - d) / 10U)
            return false;
        x = x * 10U + d;
    }
    *out = x;
    return true;
}

static bool device_ok(const char *v, size_t n)
{
    size_t i;
    if (n == 0U || n > CMDMAIL_DEVICE_MAX_LEN)
        return false;
    for (i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void check_mac(cmdmail_t *m, const char *v, size_t n)
{
    uint8_t want[32], got[32], diff = 0;
    size_t i;
    if (n != 64U) {
        invalid(m, "bad Mac value");
        return;
    }
    for (i = 0; i < 32U; i++) {
        int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            invalid(m, "bad Mac value");
            return;
        }
        want[i] = (uint8_t)(hi * 16 + lo);
    }
    if (mbedtls_md_hmac_finish(&m->md, got) != 0) {
        invalid(m, "HMAC error");
        return;
    }
    for (i = 0; i < 32U; i++) /* constant time: no early exit */
        diff |= (uint8_t)(want[i] ^ got[i]);
    m->mac_ok = diff == 0U;
    m->block_state = BS_END;
}

/* One field line "Name: value" of an open block, value normalised into v. */
static void field(cmdmail_t *m, const char *name, size_t nlen, const char *v, size_t n)
{
    uint8_t st = m->block_state;
    if (word_eq(name, nlen, "device") && st == BS_DEVICE) {
        if (!device_ok(v, n)) {
            invalid(m, "bad Device value");
            return;
        }
        memcpy(m->device, v, n);
        m->device[n] = '\0';
        m->block_state = mac_feed(m, "device:", v, n) ? BS_SEQ : BS_INVALID;
    } else if (word_eq(name, nlen, "seq") && st == BS_SEQ) {
        if (!parse_dec(v, n, &m->seq) || m->seq == 0U) {
            invalid(m, "bad Seq value");
            return;
        }
        m->block_state = mac_feed(m, "seq:", v, n) ? BS_EXP : BS_INVALID;
    } else if (word_eq(name, nlen, "expires") && st == BS_EXP) {
        if (!parse_dec(v, n, &m->expires) || m->expires == 0U) {
            invalid(m, "bad Expires value");
            return;
        }
        m->have_expires = true;
        m->block_state = mac_feed(m, "expires:", v, n) ? BS_CMD1 : BS_INVALID;
    } else if (word_eq(name, nlen, "cmd") && (st == BS_EXP || st == BS_CMD1 || st == BS_CMD)) {
        size_t i;
        if (m->ncmds >= CMDMAIL_MAX_CMDS) {
            invalid(m, "too many Cmd lines");
            return;
        }
        if (n == 0U || n > CMDMAIL_CMD_MAX_LEN) {
            invalid(m, "bad Cmd length");
            return;
        }
        for (i = 0; i < n; i++) {
            if (v[i] < 0x20 || v[i] > 0x7E) {
                invalid(m, "bad Cmd octet");
                return;
            }
        }
        memcpy(m->cmds[m->ncmds], v, n);
        m->cmds[m->ncmds++][n] = '\0';
        m->block_state = mac_feed(m, "cmd:", v, n) ? BS_CMD : BS_INVALID;
    } else if (word_eq(name, nlen, "mac") && st == BS_CMD) {
        check_mac(m, v, n);
    } else if (word_eq(name, nlen, "device") || word_eq(name, nlen, "seq") ||
               word_eq(name, nlen, "expires") || word_eq(name, nlen, "cmd") || word_eq(name, nlen, "mac")) {
        {
            invalid(m, "field out of order or repeated");
            return;
        }
    } else {
        {
            invalid(m, "unknown field");
            return;
        }
    }
    if (m->block_state == BS_INVALID && m->reason == NULL)
        m->reason = "HMAC error";
}

static void block_begin(cmdmail_t *m)
{
    static const char v1[] = "pop3-command-v1\n";
    if (mbedtls_md_hmac_starts(&m->md, m->cfg.key, m->cfg.key_len) != 0 ||
        mbedtls_md_hmac_update(&m->md, (const unsigned char *)v1, sizeof(v1) - 1U) != 0) {
        invalid(m, "HMAC error");
        return;
    }
    m->block_state = BS_DEVICE;
}

static void block_line(cmdmail_t *m, const char *line, size_t len, bool too_long)
{
    bool open;
    char v[CMDMAIL_LINE_MAX_LEN];
    size_t i, k, n = 0;
    if (m->block_state == BS_INVALID)
        return;
    open = m->block_state >= BS_DEVICE && m->block_state <= BS_END;
    if (line == NULL) {
        if (open)
            invalid(m, "block cut by end of part");
        return;
    }
    if (too_long) {
        if (open)
            invalid(m, "line too long in block");
        return;
    }
    /* FORMAT.md: strip leading spaces, tabs, '>' and trailing spaces, tabs */
    while (len > 0U && (is_ws(*line) || *line == '>')) {
        line++;
        len--;
    }
    while (len > 0U && is_ws(line[len - 1U]))
        len--;
    if (len == sizeof(BEGIN_LINE) - 1U && memcmp(line, BEGIN_LINE, len) == 0) {
        if (m->block_state == BS_NONE)
            block_begin(m);
        else
            invalid(m, "second BEGIN line");
        return;
    }
    if (!open || len == 0U)
        return; /* text around the block; empty lines inside it */
    if (len == sizeof(END_LINE) - 1U && memcmp(line, END_LINE, len) == 0) {
        if (m->block_state != BS_END) {
            invalid(m, "END before Mac");
            return;
        }
        m->block_state = BS_DONE;
        return;
    }
    if (m->block_state == BS_END) {
        invalid(m, "line after Mac");
        return;
    }
    for (k = 0; k < len && line[k] != ':'; k++)
        ;
    if (k == len || k == 0U) {
        invalid(m, "not a field line");
        return;
    }
    /* the value: outer blanks removed, inner runs of blanks become one space */
    for (i = k + 1U; i < len; i++) {
        if (is_ws(line[i])) {
            if (n > 0U && v[n - 1U] != ' ')
                v[n++] = ' ';
        } else {
            v[n++] = line[i];
        }
    }
    if (n > 0U && v[n - 1U] == ' ')
        n--;
    field(m, line, k, v, n);
}

/* Outside a block (none yet, or one complete) only a BEGIN line changes
 * anything; an invalid block is final. */
int cmdmail_block_line(void *ctx, const char *line, size_t len, bool too_long)
{
    cmdmail_t *m = ctx;
    block_line(m, line, len, too_long);
    if (m->block_state == BS_INVALID)
        return CMDMAIL_WANT_NONE;
    return (m->block_state == BS_NONE || m->block_state == BS_DONE) ? CMDMAIL_WANT_BEGIN : CMDMAIL_WANT_ALL;
}

void cmdmail_block_reset(cmdmail_t *m)
{
    m->block_state = BS_NONE;
    m->ncmds = 0;
    m->have_expires = false;
    m->mac_ok = false;
    m->seq = 0;
    m->expires = 0;
    m->device[0] = '\0';
    m->reason = NULL;
}

int cmdmail_block_finish(cmdmail_t *m)
{
    switch (m->block_state) {
    case BS_NONE:
        return CMDMAIL_BLOCK_NONE;
    case BS_DONE:
        if (m->mac_ok)
            return CMDMAIL_BLOCK_VALID;
        m->reason = "bad MAC";
        return CMDMAIL_BLOCK_INVALID;
    case BS_INVALID:
        return CMDMAIL_BLOCK_INVALID;
    default:
        m->reason = "no END line";
        m->block_state = BS_INVALID;
        return CMDMAIL_BLOCK_INVALID;
    }
}
