/**
 * @file cmdmail.h
 * @brief Authenticated command mail: verifies signed command blocks (FORMAT.md)
 *        while a message body streams, refuses replays, and keeps its state in
 *        non-volatile storage the integrator provides. No heap, no I/O, no globals:
 *        the caller owns the context and gives it bytes (from pop3's on_body).
 *
 * Life of one poll:
 * @verbatim
 *   cmdmail_init(&m); cmdmail_setup(&m, &cfg, &res)  once: loads the NV state
 *   for each message (UIDL first):
 *     cmdmail_seen(&m, uid)   -> skip it (already handled), else RETR:
 *     cmdmail_msg_begin(&m, uid)
 *     cmdmail_msg_data(&m, data, len)  ... from on_body, split anywhere
 *     verdict = cmdmail_msg_end(&m, retr_status == POP3_OK, &res)
 *     CMDMAIL_ACCEPTED: the sequence number is already durable (pending);
 *        run cmdmail_cmd(&m, 0 .. res.cmd_count-1), then cmdmail_commands_done(&m)
 *   cmdmail_flush(&m)          once per poll: the seen-UID set to NV
 *   cmdmail_free(&m)
 * @endverbatim
 *
 * Guarantee: a block's commands run at most once (its Seq is persisted before
 * they are handed out) and are never lost silently: a power cut between
 * cmdmail_msg_end() and cmdmail_commands_done() leaves a pending Seq that
 * cmdmail_setup() reports on the next boot (res->pending_seq).
 *
 * Every NV write carries the whole state (last_seq, pending_seq, seen UIDs)
 * into the slot not holding the current state, with generation + 1; a cut
 * write leaves that slot invalid (CRC) and the other one loaded. A power cut:
 *  - before verify (during RETR, or in cmdmail_msg_end() before its write):
 *    nothing was written and nothing ran; the message is not seen, so it is
 *    fetched and verified again, and runs then.
 *  - during the write in cmdmail_msg_end(): either the old state (as above)
 *    or the new one (as below).
 *  - after persist (cmdmail_msg_end() returned ACCEPTED), before or during the
 *    commands: last_seq = pending_seq = Seq and the UID seen are durable; the
 *    next cmdmail_setup() reports pending_seq = Seq. The commands ran wholly,
 *    partly or not at all; they never run again (the Seq is a replay now).
 *  - during cmdmail_commands_done(): the same, or as after done.
 *  - after done: pending_seq = 0; nothing is reported; the Seq stays refused.
 *  - during cmdmail_flush(): the seen UIDs of this poll are lost or written;
 *    lost ones are fetched again and refused (REPLAYED, UNSIGNED, ...).
 *    A flush writes last_seq and pending_seq unchanged, so either slot has them.
 * The seen set holds CMDMAIL_SEEN_MAX digests (with a bit: accepted or not);
 * when full the oldest goes,
 * which costs a download again, never a second run (the Seq check refuses it).
 */
#ifndef CMDMAIL_H
#define CMDMAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/md.h"

#ifdef CMDMAIL_CONFIG_FILE
#include CMDMAIL_CONFIG_FILE
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Longest decoded text line examined, octets (longer ones are never block lines). */
#ifndef CMDMAIL_LINE_MAX_LEN
#define CMDMAIL_LINE_MAX_LEN 256U
#endif
/** Commands per block. */
#ifndef CMDMAIL_MAX_CMDS
#define CMDMAIL_MAX_CMDS 8U
#endif
/** Longest command, octets. */
#ifndef CMDMAIL_CMD_MAX_LEN
#define CMDMAIL_CMD_MAX_LEN 128U
#endif
/** Longest device id, octets. */
#ifndef CMDMAIL_DEVICE_MAX_LEN
#define CMDMAIL_DEVICE_MAX_LEN 32U
#endif
/** UID digests remembered (8 octets each in NV). */
#ifndef CMDMAIL_SEEN_MAX
#define CMDMAIL_SEEN_MAX 64U
#endif
/** Nested multiparts followed. */
#ifndef CMDMAIL_MIME_DEPTH
#define CMDMAIL_MIME_DEPTH 3U
#endif
/** Messages larger than this are not scanned to the end: CMDMAIL_OVERSIZED. */
#ifndef CMDMAIL_MAX_MSG_OCTETS
#define CMDMAIL_MAX_MSG_OCTETS (1024UL * 1024UL)
#endif

/** Octets of one NV slot (two slots are used). */
#define CMDMAIL_NV_RECORD_LEN (32U + 8U * CMDMAIL_SEEN_MAX)

/** What became of a message. */
typedef enum cmdmail_verdict {
    CMDMAIL_ACCEPTED = 0,  /**< Valid, new: its commands are to run (already recorded as pending). */
    CMDMAIL_UNSIGNED,      /**< No block in a text/plain part. */
    CMDMAIL_INVALID,       /**< A block, but malformed, two blocks, or the MAC does not match. */
    CMDMAIL_WRONG_DEVICE,  /**< Valid MAC, but for another device id. */
    CMDMAIL_REPLAYED,      /**< Valid, but Seq not above the last accepted one. */
    CMDMAIL_EXPIRED,       /**< Valid, but Expires is in the past (device with a clock). */
    CMDMAIL_OVERSIZED,     /**< Over CMDMAIL_MAX_MSG_OCTETS. */
    CMDMAIL_INCOMPLETE,    /**< The message did not arrive whole (RETR failed): nothing runs. */
    CMDMAIL_NV_ERROR,      /**< Valid and new, but the state could not be written: nothing runs. */
    CMDMAIL_VERDICT_COUNT_
} cmdmail_verdict_t;

/** Constant name of a verdict ("accepted", "replayed", ...). */
const char *cmdmail_verdict_str(cmdmail_verdict_t v);

/**
 * Non-volatile storage: two slots of CMDMAIL_NV_RECORD_LEN octets each (flash
 * pages, EEPROM, a file). write must return only once the data is durable;
 * a write cut by a power loss may leave its slot with any content. Both
 * return false on an error.
 */
typedef struct cmdmail_nv {
    void *ctx;
    bool (*read)(void *ctx, unsigned slot, uint8_t *buf, size_t len);
    bool (*write)(void *ctx, unsigned slot, const uint8_t *buf, size_t len);
} cmdmail_nv_t;

typedef struct cmdmail_config {
    const char *device_id;    /**< This device's id (FORMAT.md: 1-32 of A-Z a-z 0-9 . _ -). */
    const uint8_t *key;       /**< HMAC-SHA256 key (the caller's; kept until cmdmail_free()). */
    size_t key_len;           /**< 16 to 64 octets (32 recommended). */
    cmdmail_nv_t nv;
    /** Current Unix time in seconds, or a negative value when unknown (then Expires is not checked). NULL: no clock. */
    int64_t (*now)(void *ctx);
    void *now_ctx;
} cmdmail_config_t;

/** Result of cmdmail_setup() and cmdmail_msg_end(). */
typedef struct cmdmail_result {
    uint64_t seq;          /**< The block's Seq as parsed, also when the block was refused (0 if none was parsed). */
    uint64_t last_seq;     /**< Last accepted Seq after this message. */
    size_t cmd_count;      /**< CMDMAIL_ACCEPTED: commands to run. */
    uint64_t pending_seq;  /**< cmdmail_setup(): a Seq whose commands may not have run (power cut), else 0. */
    const char *reason;    /**< Short constant text for the log ("bad MAC", "line too long in block", ...). */
} cmdmail_result_t;

/** @cond PRIVATE */
/* Longest raw body line kept to test for a boundary: "--" 70 "--" and padding. */
#define CMDMAIL_MIME_RAW_MAX 80U
typedef struct cmdmail_mime {
    uint8_t state, kind, depth, te;      /* header/body; text or skipped; boundaries stacked; encoding */
    uint8_t ctype, hseen;                /* Content-Type of the entity whose headers are read; headers had */
    bool bol, raw_stream, qp_run;        /* at a line start; raw line not kept; quoted-printable: in blanks */
    uint8_t qp_state, qp_x;              /* after '=', its first digit */
    uint32_t cr_pend, raw_cr, qp_cr;     /* CRs held back (header, raw body, quoted-printable line) */
    uint32_t qp_eq, qp_ws;               /* line_n at the '=' and at the run of blanks */
    uint32_t qp_eq_cr, qp_ws_cr;         /* cr_run there */
    uint8_t b64_n, b64_pad;
    uint32_t b64_acc;
    uint32_t line_n;                     /* decoded line (or unfolded header) length; line[] keeps the start */
    uint32_t cr_run;                     /* how many CRs the decoded line ends in */
    uint8_t raw_len;
    uint8_t want, lead;                  /* CMDMAIL_WANT_ of the line consumer; the decoded line's start */
    char line[CMDMAIL_LINE_MAX_LEN];
    char raw[CMDMAIL_MIME_RAW_MAX];
    char boundary[CMDMAIL_MIME_DEPTH][70];
    uint8_t boundary_len[CMDMAIL_MIME_DEPTH];
} cmdmail_mime_t;
/** @endcond */

/** The context. Treat every field as private. */
typedef struct cmdmail {
    cmdmail_config_t cfg;
    mbedtls_md_context_t md;   /* HMAC-SHA256, set up by cmdmail_setup() */
    uint32_t generation;       /* of the NV slot last written or loaded */
    uint8_t slot;              /* that slot: 0, 1, or 2 = none valid yet */
    bool ready;                /* cmdmail_setup() succeeded */
    uint64_t last_seq;
    uint64_t pending_seq;
    uint8_t seen[CMDMAIL_SEEN_MAX][8];
    uint16_t seen_count, seen_next;
    bool seen_dirty;
    uint64_t msg_octets;
    uint8_t uid_digest[8];
    bool have_uid, accepted;
    /* the block being read */
    uint8_t block_state;
    uint8_t ncmds;
    bool have_expires, mac_ok;
    uint64_t seq, expires;
    char device[CMDMAIL_DEVICE_MAX_LEN + 1];
    char cmds[CMDMAIL_MAX_CMDS][CMDMAIL_CMD_MAX_LEN + 1];
    const char *reason;
    cmdmail_mime_t mime;
} cmdmail_t;

/** Zeroes the context (like mbedTLS's _init: always safe to _free afterwards). */
void cmdmail_init(cmdmail_t *m);
/**
 * Checks @p cfg, copies it, and loads the state from NV: the slot with a valid
 * CRC and the higher generation; none valid (first boot) is a fresh state.
 * @return true, or false on a bad argument or an NV read error. @p res may be
 *         NULL; else res->pending_seq reports a Seq interrupted by a power cut.
 */
bool cmdmail_setup(cmdmail_t *m, const cmdmail_config_t *cfg, cmdmail_result_t *res);
/** Wipes the context (key pointer, commands). */
void cmdmail_free(cmdmail_t *m);

/** What cmdmail_seen() knows of a message. */
typedef enum cmdmail_seen {
    CMDMAIL_UNSEEN = 0,     /**< Not handled (or forgotten: the seen set is a ring). */
    CMDMAIL_SEEN_REFUSED,   /**< Handled, refused (any verdict but ACCEPTED, INCOMPLETE, NV_ERROR). */
    CMDMAIL_SEEN_ACCEPTED   /**< Handled, its block accepted. */
} cmdmail_seen_t;

/**
 * Whether the message with this UIDL id was handled before (skip downloading
 * it), and how: a message still on the server though its policy says delete
 * (the DELE was not committed: power cut or lost link before QUIT) is deleted
 * without downloading it again. Nonzero means seen.
 */
cmdmail_seen_t cmdmail_seen(const cmdmail_t *m, const char *uid, size_t uid_len);
/** A message starts (its UIDL id; NULL/0 if unknown). */
void cmdmail_msg_begin(cmdmail_t *m, const char *uid, size_t uid_len);
/** Body octets as on_body gives them (dot-unstuffed, CRLF), split anywhere. */
void cmdmail_msg_data(cmdmail_t *m, const char *data, size_t len);
/**
 * The message ended. @p complete: RETR reported POP3_OK. For
 * CMDMAIL_ACCEPTED the new last Seq and a pending mark are written to NV
 * before this returns, with the UID marked seen (CMDMAIL_NV_ERROR if that
 * failed: nothing runs, the UID is not marked, the message is fetched again).
 * Every other verdict but INCOMPLETE marks the UID as seen (persisted by
 * cmdmail_flush()). A message fetched again after INCOMPLETE or NV_ERROR is
 * refused as replayed if a block with a higher Seq was accepted in between
 * (cmdmail_poll ends a poll at NV_ERROR so that this cannot happen there;
 * a RETR the server keeps refusing is skipped, logged INCOMPLETE).
 */
cmdmail_verdict_t cmdmail_msg_end(cmdmail_t *m, bool complete, cmdmail_result_t *res);
/** Command @p i of the accepted block (NUL-terminated), or NULL. */
const char *cmdmail_cmd(const cmdmail_t *m, size_t i);
/** The accepted block's commands were run: clears the pending mark (one NV write). */
bool cmdmail_commands_done(cmdmail_t *m);
/** Writes the seen-UID set if it changed (call once per poll). */
bool cmdmail_flush(cmdmail_t *m);

#ifdef __cplusplus
}
#endif

#endif /* CMDMAIL_H */
