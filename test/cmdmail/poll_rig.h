/* The device of the poll tests: a real cmdmail_t on a two-slot NV in RAM, a
 * pop3 client whose transport is the in-memory server (poll_server.h), and
 * the cmdmail_poll driver between them. Replies reach pop3_on_input() in
 * pieces chosen by a seed. Every step that a power cut can hit is an event
 * (numbered from 1 in one rig's life); when the numbered event is reached the
 * rig cuts the power: it leaves NV as a real cut would and longjmps to the
 * caller's jmp_buf, so nothing after that point runs. Or, with link_cut, the
 * connection is lost at that event and the device lives on. */
#ifndef POLL_RIG_H
#define POLL_RIG_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmdmail.h"
#include "cmdmail_poll.h"
#include "poll_mail.h"
#include "poll_server.h"
#include "pop3.h"

typedef enum {
    EV_NV_BEFORE = 0, /* an NV write is due: cut before it (nothing written) */
    EV_NV_TORN,       /* cut during it: the slot keeps a partial or garbled record */
    EV_RUN_BEFORE,    /* run() is due: cut before the command runs */
    EV_RUN_AFTER,     /* run() returned: cut right after the command ran */
    EV_SEND,          /* the client hands a command line to the transport: cut, the line is lost */
    EV_REPLY,         /* a reply is due: the server acted on the command, nothing of the reply arrived */
    EV_REPLY_MID,     /* half of a reply arrived */
    EV_COUNT
} rig_ev_t;

#define RIG_MAX_RAN 256
#define RIG_MAX_DONE 256
#define RIG_MAX_SEEN 128

typedef struct rig_ran { uint64_t seq; size_t index; char cmd[CMDMAIL_CMD_MAX_LEN + 1]; } rig_ran_t;
typedef struct rig_seen {
    char uid[72];
    cmdmail_verdict_t verdict;
    uint64_t seq;
    pop3_status_t retr_status;
    bool deleting;
} rig_seen_t;

typedef struct rig {
    ps_server_t srv;
    const pm_msg_t *box[PS_MAX_MSGS]; /* what the server was given */
    unsigned nbox;
    cmdmail_poll_policy_t policy;
    /* NV */
    uint8_t nv[2][CMDMAIL_NV_RECORD_LEN];
    unsigned nv_writes;     /* writes that landed */
    unsigned nv_attempts;   /* writes asked for */
    unsigned nv_fail_at;    /* this attempt (1-based) returns false, writing nothing; 0: none */
    /* the device */
    cmdmail_t cm;
    bool cm_up;
    uint64_t boot_pending; /* pending_seq reported by the last cmdmail_setup() */
    uint64_t boot_last;
    pop3_client_t c;
    char line_buf[POP3_MIN_LINE_BUF_LEN];
    char tx_buf[POP3_MIN_TX_BUF_LEN];
    cmdmail_poll_t p;
    bool closed;            /* transport.close was called */
    /* what the world saw, across power cuts */
    rig_ran_t ran[RIG_MAX_RAN];
    unsigned nran;
    bool ran_overflow;
    /* the last poll */
    rig_seen_t seen[RIG_MAX_SEEN];
    unsigned nseen;
    unsigned end_calls;
    cmdmail_poll_stats_t end;
    bool stalled;           /* the poll stopped without on_end */
    bool login_called;
    /* piecing of the replies */
    uint32_t split;         /* 0: each reply in two halves; else a seed for random pieces */
    uint32_t rng;
    /* connection lost after drop_after octets of the reply to "RETR drop_msg" (0: never) */
    unsigned drop_msg;
    size_t drop_after;
    /* power cuts */
    unsigned events, ev_count[EV_COUNT];
    unsigned cut_at;        /* event number that cuts the power; 0: none */
    rig_ev_t cut_kind;
    bool cut_done;
    /* link_cut: at event cut_at the connection is lost instead (send fails, or
     * the reply stops); NV and run events are then not cut points */
    bool link_cut;
    bool link_lost;             /* it happened in the last poll (cut_done: in this life) */
    unsigned link_end_calls;    /* on_end calls of the poll that lost the link */
    cmdmail_poll_stats_t link_end;
    jmp_buf *power;
    /* the poll's completion hook (cfg.on_done) of the next polls; NULL: none */
    void (*hook)(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *reply);
    /* every completion the client reported to the poll in the last poll, recorded
     * between the client and the poll, independent of the hook */
    void (*poll_on_done)(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *reply);
    struct { pop3_cmd_t cmd; pop3_status_t st; } done[RIG_MAX_DONE];
    unsigned ndone;
    bool done_overflow;
    /* the body of each RETR as the client delivered it, compared with the box */
    pop3_cb_action_t (*poll_on_body)(void *ctx, const char *data, size_t len);
    char body[PS_OUT_CAP];
    size_t body_len;
    bool body_overflow;
    unsigned bodies_ok, bodies_bad;
    /* every pending_seq a cmdmail_setup() reported in this life */
    uint64_t pendings[8];
    unsigned npendings;
    char trace[4096];       /* the last lines of the protocol trace, for failure reports */
    size_t trace_len;
} rig_t;

/* A fresh world: empty NV, the server holding box[0..n-1], nothing run. */
void rig_init(rig_t *r, const pm_msg_t *box, unsigned n, cmdmail_poll_policy_t policy);
/* New mail on the server. */
void rig_add(rig_t *r, const pm_msg_t *m);
/* cmdmail_init + cmdmail_setup from NV; false if setup failed. */
bool rig_boot(rig_t *r);
/* One whole poll (connect .. on_end); returns its stats (also in r->end). */
const cmdmail_poll_stats_t *rig_poll(rig_t *r);
/* After a power cut (or at the end): the device's RAM is gone, the connection too. */
void rig_power_off(rig_t *r);
const char *rig_ev_name(rig_ev_t e);
/* What the last poll reported for uid, or NULL. */
const rig_seen_t *rig_seen_uid(const rig_t *r, const char *uid);
/* Commands of block seq run in this life. */
unsigned rig_ran_count(const rig_t *r, uint64_t seq);
/* Whether a cmdmail_setup() of this life reported seq as pending. */
bool rig_was_pending(const rig_t *r, uint64_t seq);

#endif
