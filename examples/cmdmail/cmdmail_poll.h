/**
 * @file cmdmail_poll.h
 * @brief One poll of a command mailbox, driven by a pop3 client's callbacks:
 *        login (the application's), UIDL, RETR of each message not seen yet,
 *        verification by cmdmail, the accepted commands to the application,
 *        DELE by policy, the seen set to NV, QUIT. No heap, no I/O, no timer:
 *        the pop3 client and its port do the I/O and the deadlines.
 *
 * Use, once per poll:
 * @verbatim
 *   cmdmail_poll_init(&p, &pcfg);             pcfg.cm is set up (cmdmail_setup)
 *   cmdmail_poll_callbacks(&p, &ccfg.callbacks);   before pop3_init(&c, &ccfg)
 *   cmdmail_poll_attach(&p, &c);              after pop3_init()
 *   pop3_start(&c, now) ... the port runs the session ...
 *   until cmdmail_poll_finished(&p); then cmdmail_poll_stats(&p)
 * @endverbatim
 *
 * Order of one message, and what a power cut at each step leaves (the
 * guarantee of cmdmail.h, per step of the fetch):
 *  1. RETR streams the body into cmdmail (nothing written): cut = the
 *     message is fetched again next poll.
 *  2. cmdmail_msg_end(): ACCEPTED writes last Seq, pending Seq and the UID
 *     seen before anything runs; cut before the write = as 1.
 *  3. run() for each command, then cmdmail_commands_done(): cut = those
 *     commands never run again; the next cmdmail_setup() reports the Seq as
 *     pending (maybe not run wholly), never silently.
 *  4. DELE (policy): cut before QUIT = the server keeps the message; it is
 *     seen (accepted or refused), so it is not fetched again, and the next
 *     poll deletes it if the policy for its kind says delete.
 *  5. cmdmail_flush() (refused messages' UIDs), then QUIT: cut before the
 *     flush = refused messages are fetched and refused again.
 *
 * An NV write that fails ends the poll (flush, QUIT): nothing more could be
 * accepted, and a block accepted after it would make the failed one a replay.
 *
 * A UIDL listing is remembered CMDMAIL_POLL_BATCH messages at a time (lowest
 * numbers first); when more were not seen, UIDL is sent again after the batch
 * and only messages numbered above the last one handled are taken, so a poll
 * ends whatever the mailbox size.
 */
#ifndef CMDMAIL_POLL_H
#define CMDMAIL_POLL_H

#include "cmdmail.h"
#include "pop3.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Messages not seen yet remembered from one UIDL listing (each 76 octets). */
#ifndef CMDMAIL_POLL_BATCH
#define CMDMAIL_POLL_BATCH 8U
#endif

/** What to do with a message once it was handled. */
typedef struct cmdmail_poll_policy {
    bool delete_accepted; /**< DELE a message after its commands ran. */
    bool delete_refused;  /**< DELE unsigned, invalid, wrong-device, replayed, expired and oversized messages. */
} cmdmail_poll_policy_t;

/** One message's outcome, for the log (valid during the callback). */
typedef struct cmdmail_poll_msg {
    uint32_t msg;                /**< Message number in this session. */
    const char *uid;             /**< Its UIDL id (not NUL-terminated). */
    size_t uid_len;
    cmdmail_verdict_t verdict;
    const cmdmail_result_t *res; /**< seq, reason, cmd_count, ... */
    pop3_status_t retr_status;   /**< How RETR ended (POP3_OK: the whole message). */
    bool deleting;               /**< A DELE is queued for it. */
} cmdmail_poll_msg_t;

/** Counts of one poll, and how it ended. */
typedef struct cmdmail_poll_stats {
    uint32_t listed;         /**< UIDL entries of the first listing. */
    uint32_t skipped;        /**< Listed entries already seen (not downloaded). */
    uint32_t fetched;        /**< RETRs that ended (whole or not). */
    uint32_t accepted;       /**< Blocks accepted. */
    uint32_t refused;        /**< Messages with any other verdict (INCOMPLETE and NV_ERROR included). */
    uint32_t commands;       /**< Commands handed to run(). */
    uint32_t deleted;        /**< DELEs the server acknowledged (they take effect at QUIT). */
    pop3_status_t status;    /**< POP3_OK: QUIT acknowledged; else why the session failed. */
    pop3_cmd_t failed_cmd;   /**< The command that failed when status is not POP3_OK. */
    bool nv_error;           /**< An NV write failed (a verdict NV_ERROR, which ends the poll, or a flush). */
} cmdmail_poll_stats_t;

typedef struct cmdmail_poll_config {
    cmdmail_t *cm;                   /**< Set up by the caller (cmdmail_setup()); the caller's. */
    cmdmail_poll_policy_t policy;
    void *ctx;                       /**< Given back to the hooks below. */
    /** The session is ready: queue the login (pop3_login/apop/auth). Not POP3_OK: the poll ends with it. */
    pop3_status_t (*login)(void *ctx, pop3_client_t *c);
    /** Run one accepted command (NUL-terminated), index 0..n-1 of block @p seq. Returns when done. */
    void (*run)(void *ctx, uint64_t seq, size_t index, const char *cmd);
    /** A message was handled (optional). */
    void (*on_message)(void *ctx, const cmdmail_poll_msg_t *m);
    /** The poll ended (optional): QUIT done or the session lost. Fires once. */
    void (*on_end)(void *ctx, const cmdmail_poll_stats_t *s);
    /**
     * Every completion the pop3 client reports to the poll (optional): for
     * logging the server's text of a failure, wiping a secret once the login
     * is over, and the like, without wrapping the poll's on_done.
     *
     * When: once for each on_done the pop3 client makes on this poll's
     * callbacks, in the client's order: successes, failures (POP3_ERR_STATE
     * of a cancelled command included), the completion that reports a lost
     * connection, and completions the poll itself ignores (after it
     * finished, or of a command it did not send).
     *
     * Order: BEFORE the poll acts on the completion. So when the hook sees a
     * RETR's or the last completion, that message's on_message and the
     * poll's on_end have not fired yet (they may fire right after the hook
     * returns, within the same on_done); what the hook records is there for
     * them. The poll decides (next command, failure, end) as it would
     * without the hook.
     *
     * Pointers: @p reply (never NULL) and what it points to (text, uid,
     * oauth_*) are the client's, valid only during the call: copy what you
     * need; reply->text is server text, not NUL-terminated, unsanitised.
     *
     * Calls allowed: the pop3 queries on the attached client (pop3_state(),
     * pop3_session_status(), pop3_auth_mech(), ...) and the poll's own
     * (cmdmail_poll_stats(), ...). It must not queue commands, call
     * pop3_abort(), or free the client or the poll: the poll keeps one command
     * of its own in flight and queues the next right after the hook returns.
     *
     * @param ctx    cfg.ctx (the application's, not the poll).
     * @param cmd    The command that completed (POP3_CMD_CONNECT: the session start).
     * @param status POP3_OK, or why it failed.
     */
    void (*on_done)(void *ctx, pop3_cmd_t cmd, pop3_status_t status, const pop3_reply_t *reply);
} cmdmail_poll_config_t;

/** @cond PRIVATE */
typedef struct cmdmail_poll_entry {
    uint32_t msg;
    uint8_t uid_len;
    bool dele_only;             /* seen already, still on the server, policy says delete: DELE it */
    char uid[70];
} cmdmail_poll_entry_t;
/** @endcond */

/** One poll. Treat every field as private. */
typedef struct cmdmail_poll {
    cmdmail_poll_config_t cfg;
    pop3_client_t *client;
    cmdmail_poll_stats_t stats;
    cmdmail_poll_entry_t batch[CMDMAIL_POLL_BATCH];
    uint8_t nbatch, ibatch;     /* entries listed; the one being handled */
    uint8_t phase;
    bool more;                  /* the listing had unseen messages beyond the batch */
    bool first_listing;
    bool finished;
    uint32_t last_msg;          /* highest message number handled in this session */
} cmdmail_poll_t;

/** Copies @p cfg and zeroes the poll. */
void cmdmail_poll_init(cmdmail_poll_t *p, const cmdmail_poll_config_t *cfg);
/**
 * Sets cb->ctx = p and cb->on_done, on_body, on_uidl to the poll's. The
 * caller's other callbacks (on_trace, ...) then receive p as ctx:
 * cmdmail_poll_ctx() gives them the application's ctx back. To see the
 * completions, set cfg.on_done rather than replacing cb->on_done.
 */
void cmdmail_poll_callbacks(cmdmail_poll_t *p, pop3_callbacks_t *cb);
/** The client the callbacks belong to (after pop3_init()). */
void cmdmail_poll_attach(cmdmail_poll_t *p, pop3_client_t *c);
/** cfg.ctx of the poll whose pointer a pop3 callback received. */
void *cmdmail_poll_ctx(void *callback_ctx);
/**
 * The message being handled (inside run() and on_message: the one whose block
 * runs): its number and UIDL id, valid until the hook returns. False if none.
 */
bool cmdmail_poll_current(const cmdmail_poll_t *p, uint32_t *msg, const char **uid, size_t *uid_len);
/** Whether the poll ended (on_end fired). */
bool cmdmail_poll_finished(const cmdmail_poll_t *p);
/** Counts so far; final once finished. */
const cmdmail_poll_stats_t *cmdmail_poll_stats(const cmdmail_poll_t *p);

#ifdef __cplusplus
}
#endif

#endif /* CMDMAIL_POLL_H */
