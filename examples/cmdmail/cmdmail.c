/* The public API of cmdmail.h: NV state in two slots, replay and expiry checks,
 * the seen-UID ring, and the at-most-once hand-over of commands.
 *
 * NV record (little endian), CMDMAIL_NV_RECORD_LEN octets:
 *   0 magic "CMDm"  4 version (1)  5 zero  6 seen count (u16)  8 generation (u32)
 *   12 last_seq (u64)  20 pending_seq (u64)  28 CRC-32 of every other octet
 *   32 seen digests, oldest first, 8 octets each (unused ones zero; the low bit
 *      of each one's last octet: its block was accepted)
 */
#include <string.h>

#include "cmdmail_internal.h"
#include "mbedtls/platform_util.h"

#define NV_VERSION 1U
#define OFF_CRC 28U
#define OFF_SEEN 32U

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xFFFFU);
    put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

/* CRC-32 (IEEE 802.3, reflected), bitwise: a table would cost 1 KB of flash. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    size_t i;
    unsigned b;
    for (i = 0; i < n; i++) {
        crc ^= p[i];
        for (b = 0; b < 8U; b++)
            crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
    return crc;
}

static uint32_t record_crc(const uint8_t *r)
{
    uint32_t c = crc32_update(0xFFFFFFFFU, r, OFF_CRC);
    return ~crc32_update(c, r + OFF_SEEN, CMDMAIL_NV_RECORD_LEN - OFF_SEEN);
}

/* Whether a was written after b (generations wrap). */
static bool newer(uint32_t a, uint32_t b)
{
    return (uint32_t)(a - b) - 1U < 0x7FFFFFFFU;
}

static bool record_valid(const uint8_t *r)
{
    return memcmp(r, "CMDm", 4) == 0 && r[4] == NV_VERSION &&
           (uint32_t)r[6] + ((uint32_t)r[7] << 8) <= CMDMAIL_SEEN_MAX && get32(r + OFF_CRC) == record_crc(r);
}

static void record_load(cmdmail_t *m, const uint8_t *r)
{
    m->seen_count = (uint16_t)(r[6] | (r[7] << 8));
    m->generation = get32(r + 8);
    m->last_seq = get64(r + 12);
    m->pending_seq = get64(r + 20);
    memcpy(m->seen, r + OFF_SEEN, (size_t)m->seen_count * 8U);
    m->seen_next = (uint16_t)(m->seen_count % CMDMAIL_SEEN_MAX);
}

/* Writes the whole state into the slot not holding the current one: a cut
 * write leaves that slot invalid and the other one as it was. */
static bool persist(cmdmail_t *m, uint64_t last_seq, uint64_t pending_seq)
{
    uint8_t r[CMDMAIL_NV_RECORD_LEN];
    unsigned slot = m->slot == 0U ? 1U : 0U, i;
    uint16_t oldest = m->seen_count < CMDMAIL_SEEN_MAX ? 0U : m->seen_next;
    bool ok;
    memset(r, 0, sizeof(r));
    memcpy(r, "CMDm", 4);
    r[4] = NV_VERSION;
    put16(r + 6, m->seen_count);
    put32(r + 8, m->generation + 1U);
    put64(r + 12, last_seq);
    put64(r + 20, pending_seq);
    for (i = 0; i < m->seen_count; i++)
        memcpy(r + OFF_SEEN + 8U * i, m->seen[(oldest + i) % CMDMAIL_SEEN_MAX], 8);
    put32(r + OFF_CRC, record_crc(r));
    ok = m->cfg.nv.write(m->cfg.nv.ctx, slot, r, sizeof(r));
    if (ok) {
        m->slot = (uint8_t)slot;
        m->generation++;
        m->last_seq = last_seq;
        m->pending_seq = pending_seq;
        m->seen_dirty = false;
    }
    return ok;
}

/* SHA-256 of the UID, first 8 octets; the low bit of the last one is not part
 * of the digest but the flag SEEN_ACCEPTED (the message's block ran), so a
 * poll can delete accepted mail whose DELE was not committed. */
#define SEEN_ACCEPTED 1U

static void uid_digest(const char *uid, size_t len, uint8_t out[8])
{
    uint8_t h[32];
    if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)uid, len, h) != 0)
        memset(h, 0, sizeof(h)); /* not reached: SHA-256 is compiled in (cmdmail_setup checked) */
    memcpy(out, h, 8);
    out[7] &= (uint8_t)~SEEN_ACCEPTED;
}

/* Index of the digest in the seen set, or -1. */
static int seen_find(const cmdmail_t *m, const uint8_t d[8])
{
    unsigned i;
    for (i = 0; i < m->seen_count; i++) {
        if (memcmp(m->seen[i], d, 7) == 0 && (m->seen[i][7] & ~SEEN_ACCEPTED) == d[7])
            return (int)i;
    }
    return -1;
}

/* A ring: when full the oldest digest goes (that message may be downloaded
 * again; its Seq is then refused as a replay). */
static void seen_add(cmdmail_t *m, bool accepted)
{
    int i;
    if (!m->have_uid)
        return;
    i = seen_find(m, m->uid_digest);
    if (i < 0) {
        i = m->seen_next;
        memcpy(m->seen[i], m->uid_digest, 8);
        m->seen_next = (uint16_t)((m->seen_next + 1U) % CMDMAIL_SEEN_MAX);
        if (m->seen_count < CMDMAIL_SEEN_MAX)
            m->seen_count++;
        m->seen_dirty = true;
    }
    if (accepted && (m->seen[i][7] & SEEN_ACCEPTED) == 0) {
        m->seen[i][7] |= SEEN_ACCEPTED;
        m->seen_dirty = true;
    }
}

const char *cmdmail_verdict_str(cmdmail_verdict_t v)
{
    static const char *const names[CMDMAIL_VERDICT_COUNT_] = {"accepted",     "unsigned",   "invalid",
                                                              "wrong_device", "replayed",   "expired",
                                                              "oversized",    "incomplete", "nv_error"};
    return (unsigned)v < (unsigned)CMDMAIL_VERDICT_COUNT_ ? names[v] : "?";
}

void cmdmail_init(cmdmail_t *m)
{
    memset(m, 0, sizeof(*m));
    mbedtls_md_init(&m->md);
    m->slot = 2;
}

static bool device_id_ok(const char *id)
{
    size_t i;
    for (i = 0; id[i] != '\0'; i++) {
        char c = id[i];
        if (i >= CMDMAIL_DEVICE_MAX_LEN || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return i > 0U;
}

bool cmdmail_setup(cmdmail_t *m, const cmdmail_config_t *cfg, cmdmail_result_t *res)
{
    uint8_t r[CMDMAIL_NV_RECORD_LEN]; /* one slot at a time: stack matters on the target */
    unsigned i;
    if (res != NULL)
        memset(res, 0, sizeof(*res));
    if (m == NULL || cfg == NULL || cfg->device_id == NULL || !device_id_ok(cfg->device_id) ||
        cfg->key == NULL || cfg->key_len < 16U || cfg->key_len > 64U || cfg->nv.read == NULL ||
        cfg->nv.write == NULL)
        return false;
    mbedtls_md_free(&m->md);
    cmdmail_init(m);
    m->cfg = *cfg;
    if (mbedtls_md_setup(&m->md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) != 0)
        return false;
    for (i = 0; i < 2U; i++) { /* the valid slot with the higher generation; slot 0 on a tie */
        if (!cfg->nv.read(cfg->nv.ctx, i, r, sizeof(r)))
            return false;
        if (record_valid(r) && (m->slot == 2U || newer(get32(r + 8), m->generation))) {
            record_load(m, r);
            m->slot = (uint8_t)i;
        }
    }
    m->ready = true;
    if (res != NULL) {
        res->last_seq = m->last_seq;
        res->pending_seq = m->pending_seq;
        res->reason = m->pending_seq != 0U ? "commands of a pending Seq may not have run" : "ok";
    }
    return true;
}

void cmdmail_free(cmdmail_t *m)
{
    if (m == NULL)
        return;
    mbedtls_md_free(&m->md);
    mbedtls_platform_zeroize(m, sizeof(*m));
}

cmdmail_seen_t cmdmail_seen(const cmdmail_t *m, const char *uid, size_t uid_len)
{
    uint8_t d[8];
    int i;
    if (uid == NULL || uid_len == 0U)
        return CMDMAIL_UNSEEN;
    uid_digest(uid, uid_len, d);
    i = seen_find(m, d);
    if (i < 0)
        return CMDMAIL_UNSEEN;
    return (m->seen[i][7] & SEEN_ACCEPTED) != 0 ? CMDMAIL_SEEN_ACCEPTED : CMDMAIL_SEEN_REFUSED;
}

void cmdmail_msg_begin(cmdmail_t *m, const char *uid, size_t uid_len)
{
    m->have_uid = uid != NULL && uid_len > 0U;
    if (m->have_uid)
        uid_digest(uid, uid_len, m->uid_digest);
    m->msg_octets = 0;
    m->accepted = false;
    cmdmail_block_reset(m);
    cmdmail_mime_reset(&m->mime);
}

void cmdmail_msg_data(cmdmail_t *m, const char *data, size_t len)
{
    if (m->msg_octets > CMDMAIL_MAX_MSG_OCTETS)
        return; /* oversized: no longer scanned */
    m->msg_octets += len;
    if (m->msg_octets > CMDMAIL_MAX_MSG_OCTETS)
        return;
    if (m->ready)
        cmdmail_mime_feed(&m->mime, data, len, cmdmail_block_line, m);
}

static cmdmail_verdict_t judge(cmdmail_t *m)
{
    int b;
    if (m->msg_octets > CMDMAIL_MAX_MSG_OCTETS) {
        m->reason = "message too large";
        return CMDMAIL_OVERSIZED;
    }
    cmdmail_mime_end(&m->mime, cmdmail_block_line, m);
    b = cmdmail_block_finish(m);
    if (b == CMDMAIL_BLOCK_NONE) {
        m->reason = "no block in a text/plain part";
        return CMDMAIL_UNSIGNED;
    }
    if (b != CMDMAIL_BLOCK_VALID)
        return CMDMAIL_INVALID;
    if (strcmp(m->device, m->cfg.device_id) != 0) {
        m->reason = "block for another device";
        return CMDMAIL_WRONG_DEVICE;
    }
    if (m->seq <= m->last_seq) {
        m->reason = "Seq not above the last accepted";
        return CMDMAIL_REPLAYED;
    }
    if (m->have_expires && m->cfg.now != NULL) {
        int64_t now = m->cfg.now(m->cfg.now_ctx);
        if (now >= 0 && (uint64_t)now > m->expires) {
            m->reason = "expired";
            return CMDMAIL_EXPIRED;
        }
    }
    return CMDMAIL_ACCEPTED;
}

cmdmail_verdict_t cmdmail_msg_end(cmdmail_t *m, bool complete, cmdmail_result_t *res)
{
    cmdmail_verdict_t v;
    if (!m->ready) {
        v = CMDMAIL_NV_ERROR;
        m->reason = "not set up";
    } else if (!complete) {
        v = CMDMAIL_INCOMPLETE;
        m->reason = "message did not arrive whole";
    } else {
        v = judge(m);
    }
    if (v == CMDMAIL_ACCEPTED) {
        uint16_t count = m->seen_count, next = m->seen_next;
        bool dirty = m->seen_dirty;
        int at = m->have_uid ? seen_find(m, m->uid_digest) : -1;
        unsigned slot = at >= 0 ? (unsigned)at : next; /* the entry seen_add() changes */
        uint8_t old[8];
        memcpy(old, m->seen[slot], 8);
        seen_add(m, true); /* in the same write as the Seq */
        if (persist(m, m->seq, m->seq)) {
            m->accepted = true;
            m->reason = "ok";
        } else { /* nothing runs; the message is tried again next poll */
            m->seen_count = count;
            m->seen_next = next;
            m->seen_dirty = dirty;
            memcpy(m->seen[slot], old, 8);
            v = CMDMAIL_NV_ERROR;
            m->reason = "NV write failed";
        }
    } else if (v != CMDMAIL_INCOMPLETE && v != CMDMAIL_NV_ERROR) {
        seen_add(m, false);
    }
    if (res != NULL) {
        memset(res, 0, sizeof(*res));
        res->seq = m->seq;
        res->last_seq = m->last_seq;
        res->cmd_count = m->accepted ? m->ncmds : 0U;
        res->reason = m->reason;
    }
    return v;
}

const char *cmdmail_cmd(const cmdmail_t *m, size_t i)
{
    return (m->accepted && i < m->ncmds) ? m->cmds[i] : NULL;
}

bool cmdmail_commands_done(cmdmail_t *m)
{
    if (!m->ready)
        return false;
    if (m->pending_seq == 0U)
        return true;
    return persist(m, m->last_seq, 0);
}

bool cmdmail_flush(cmdmail_t *m)
{
    if (!m->ready)
        return false;
    return !m->seen_dirty || persist(m, m->last_seq, m->pending_seq);
}
