/* One poll of a command mailbox (cmdmail_poll.h): one command in flight at a
 * time, each step started from the on_done of the one before, so the order of
 * verify, persist, run, DELE, flush and QUIT is the one the header promises. */
#include <string.h>

#include "cmdmail_poll.h"

enum {
    PH_CONNECT = 0, /* waiting for the session */
    PH_LOGIN,       /* the application's login is queued */
    PH_LIST,        /* UIDL sent */
    PH_RETR,        /* RETR of batch[ibatch] sent */
    PH_DELE,        /* DELE of batch[ibatch] sent */
    PH_QUIT,        /* QUIT sent */
    PH_DONE
};

void cmdmail_poll_init(cmdmail_poll_t *p, const cmdmail_poll_config_t *cfg)
{
    memset(p, 0, sizeof(*p));
    p->cfg = *cfg;
    p->stats.status = POP3_OK;
    p->stats.failed_cmd = POP3_CMD_CONNECT;
    p->first_listing = true;
}

void cmdmail_poll_attach(cmdmail_poll_t *p, pop3_client_t *c)
{
    p->client = c;
}

void *cmdmail_poll_ctx(void *callback_ctx)
{
    return ((cmdmail_poll_t *)callback_ctx)->cfg.ctx;
}

bool cmdmail_poll_current(const cmdmail_poll_t *p, uint32_t *msg, const char **uid, size_t *uid_len)
{
    const cmdmail_poll_entry_t *e;
    if (p->phase != PH_RETR || p->ibatch >= p->nbatch)
        return false;
    e = &p->batch[p->ibatch];
    *msg = e->msg;
    *uid = e->uid;
    *uid_len = e->uid_len;
    return true;
}

bool cmdmail_poll_finished(const cmdmail_poll_t *p)
{
    return p->finished;
}

const cmdmail_poll_stats_t *cmdmail_poll_stats(const cmdmail_poll_t *p)
{
    return &p->stats;
}

/* The first failure names the poll's outcome; later ones (QUIT after it) do not. */
static void fail(cmdmail_poll_t *p, pop3_cmd_t cmd, pop3_status_t st)
{
    if (p->stats.status == POP3_OK) {
        p->stats.status = st;
        p->stats.failed_cmd = cmd;
    }
}

/* The seen marks of refused messages are worth keeping even when the session
 * failed: they are independent of what the server committed. */
static void finish(cmdmail_poll_t *p)
{
    if (!cmdmail_flush(p->cfg.cm))
        p->stats.nv_error = true;
    p->phase = PH_DONE;
    p->finished = true;
    if (p->cfg.on_end != NULL)
        p->cfg.on_end(p->cfg.ctx, &p->stats);
}

static void quit(cmdmail_poll_t *p)
{
    pop3_status_t st = pop3_quit(p->client);
    if (st != POP3_OK) {
        fail(p, POP3_CMD_QUIT, st);
        finish(p);
        return;
    }
    p->phase = PH_QUIT;
}

static void list(cmdmail_poll_t *p)
{
    pop3_status_t st;
    p->nbatch = 0;
    p->ibatch = 0;
    p->more = false;
    st = pop3_uidl(p->client, 0);
    if (st != POP3_OK) {
        fail(p, POP3_CMD_UIDL, st);
        quit(p);
        return;
    }
    p->phase = PH_LIST;
}

/* A message handled before is still listed: its DELE was not committed (a
 * power cut or a lost link before QUIT), or the policy keeps it. */
static bool dele_seen(const cmdmail_poll_t *p, cmdmail_seen_t seen)
{
    return seen == CMDMAIL_SEEN_ACCEPTED ? p->cfg.policy.delete_accepted : p->cfg.policy.delete_refused;
}

static void flush_and_quit(cmdmail_poll_t *p)
{
    if (!cmdmail_flush(p->cfg.cm))
        p->stats.nv_error = true;
    quit(p);
}

/* Sends the next step of the batch: RETR, or DELE of a message seen before;
 * after the batch, UIDL again when it overflowed, else flush and QUIT (the
 * flush before QUIT, so that the DELEs the server commits at QUIT are of
 * messages already recorded as seen). */
static void next(cmdmail_poll_t *p)
{
    pop3_status_t st;
    const cmdmail_poll_entry_t *e;
    if (p->ibatch >= p->nbatch) {
        if (p->more)
            list(p);
        else
            flush_and_quit(p);
        return;
    }
    e = &p->batch[p->ibatch];
    if (e->dele_only) {
        st = pop3_dele(p->client, e->msg);
        p->phase = PH_DELE;
    } else {
        cmdmail_msg_begin(p->cfg.cm, e->uid, e->uid_len);
        st = pop3_retr(p->client, e->msg);
        p->phase = PH_RETR;
    }
    if (st != POP3_OK) {
        fail(p, e->dele_only ? POP3_CMD_DELE : POP3_CMD_RETR, st);
        quit(p);
    }
}

static void entry_done(cmdmail_poll_t *p)
{
    p->last_msg = p->batch[p->ibatch].msg;
    p->ibatch++;
    next(p);
}

/* Commands run inside this callback, after cmdmail_msg_end() made the Seq durable. */
static void retr_done(cmdmail_poll_t *p, pop3_status_t st, bool session_lost)
{
    cmdmail_result_t res;
    cmdmail_poll_msg_t m;
    const cmdmail_poll_entry_t *e = &p->batch[p->ibatch];
    cmdmail_verdict_t v = cmdmail_msg_end(p->cfg.cm, st == POP3_OK, &res);
    size_t i;
    p->stats.fetched++;
    if (v == CMDMAIL_ACCEPTED) {
        p->stats.accepted++;
        for (i = 0; i < res.cmd_count; i++) {
            p->stats.commands++;
            if (p->cfg.run != NULL)
                p->cfg.run(p->cfg.ctx, res.seq, i, cmdmail_cmd(p->cfg.cm, i));
        }
        if (!cmdmail_commands_done(p->cfg.cm))
            p->stats.nv_error = true;
    } else {
        p->stats.refused++;
        if (v == CMDMAIL_NV_ERROR)
            p->stats.nv_error = true;
    }
    memset(&m, 0, sizeof(m));
    m.msg = e->msg;
    m.uid = e->uid;
    m.uid_len = e->uid_len;
    m.verdict = v;
    m.res = &res;
    m.retr_status = st;
    if (!session_lost) {
        if (v == CMDMAIL_ACCEPTED)
            m.deleting = p->cfg.policy.delete_accepted;
        else if (v != CMDMAIL_INCOMPLETE && v != CMDMAIL_NV_ERROR)
            m.deleting = p->cfg.policy.delete_refused;
    }
    if (p->cfg.on_message != NULL)
        p->cfg.on_message(p->cfg.ctx, &m);
    if (session_lost)
        return;
    if (v == CMDMAIL_NV_ERROR) {
        /* Storage failed: nothing more can be accepted, and a later block
         * accepted in this poll would make this one a replay next time. */
        flush_and_quit(p);
        return;
    }
    if (m.deleting) {
        st = pop3_dele(p->client, e->msg);
        if (st == POP3_OK) {
            p->phase = PH_DELE;
            return;
        }
        fail(p, POP3_CMD_DELE, st);
        quit(p);
        return;
    }
    entry_done(p);
}

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *reply)
{
    cmdmail_poll_t *p = ctx;
    /* First, so that what it records is there for on_message and on_end below. */
    if (p->cfg.on_done != NULL)
        p->cfg.on_done(p->cfg.ctx, cmd, st, reply);
    if (p->finished || p->client == NULL)
        return;
    if (pop3_state(p->client) == POP3_STATE_CLOSED && cmd != POP3_CMD_QUIT) {
        if (cmd == POP3_CMD_RETR && p->phase == PH_RETR)
            retr_done(p, st, true); /* INCOMPLETE: nothing runs */
        fail(p, cmd, st != POP3_OK ? st : pop3_session_status(p->client));
        finish(p);
        return;
    }
    switch (cmd) {
    case POP3_CMD_CONNECT:
        if (st != POP3_OK) {
            fail(p, cmd, st);
            finish(p);
            break;
        }
        st = p->cfg.login != NULL ? p->cfg.login(p->cfg.ctx, p->client) : POP3_ERR_BAD_ARG;
        if (st != POP3_OK) {
            fail(p, POP3_CMD_LOGIN, st);
            quit(p);
            break;
        }
        p->phase = PH_LOGIN;
        break;
    case POP3_CMD_LOGIN:
    case POP3_CMD_APOP:
    case POP3_CMD_AUTH:
        if (p->phase != PH_LOGIN)
            break;
        if (st != POP3_OK) {
            fail(p, cmd, st);
            quit(p);
        } else if (pop3_state(p->client) == POP3_STATE_TRANSACTION) {
            list(p);
        }
        break;
    case POP3_CMD_UIDL:
        if (p->phase != PH_LIST)
            break;
        p->first_listing = false;
        if (st != POP3_OK) {
            fail(p, cmd, st);
            quit(p);
        } else {
            next(p);
        }
        break;
    case POP3_CMD_RETR:
        if (p->phase == PH_RETR)
            retr_done(p, st, false);
        break;
    case POP3_CMD_DELE:
        if (p->phase != PH_DELE)
            break;
        if (st == POP3_OK)
            p->stats.deleted++;
        entry_done(p); /* a refused DELE leaves the message on the server: seen, not fetched again */
        break;
    case POP3_CMD_QUIT:
        if (st != POP3_OK)
            fail(p, cmd, st);
        finish(p);
        break;
    default:
        break;
    }
}

static pop3_cb_action_t on_body(void *ctx, const char *data, size_t len)
{
    cmdmail_poll_t *p = ctx;
    if (p->phase == PH_RETR)
        cmdmail_msg_data(p->cfg.cm, data, len);
    return POP3_CB_CONTINUE;
}

/* Keeps the CMDMAIL_POLL_BATCH lowest message numbers above last_msg, in
 * order, whatever order the server lists them in. */
static void batch_add(cmdmail_poll_t *p, uint32_t msg, const char *uid, size_t uid_len, bool dele_only)
{
    size_t i = p->nbatch, j;
    for (j = 0; j < p->nbatch; j++) {
        if (p->batch[j].msg == msg)
            return; /* listed twice: the first entry stands */
    }
    while (i > 0U && p->batch[i - 1U].msg > msg)
        i--;
    if (p->nbatch == CMDMAIL_POLL_BATCH) {
        p->more = true;
        if (i == CMDMAIL_POLL_BATCH)
            return;
        p->nbatch--; /* the highest goes; the next listing takes it */
    }
    memmove(&p->batch[i + 1U], &p->batch[i], (p->nbatch - i) * sizeof(p->batch[0]));
    p->batch[i].msg = msg;
    p->batch[i].uid_len = (uint8_t)uid_len;
    p->batch[i].dele_only = dele_only;
    memcpy(p->batch[i].uid, uid, uid_len);
    p->nbatch++;
}

static pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    cmdmail_poll_t *p = ctx;
    cmdmail_seen_t seen;
    if (p->phase != PH_LIST || uid_len == 0U || uid_len > sizeof(p->batch[0].uid))
        return POP3_CB_CONTINUE; /* the core bounds UIDs to 70 octets; a larger buffer is not ours */
    seen = cmdmail_seen(p->cfg.cm, uid, uid_len);
    if (p->first_listing) {
        p->stats.listed++;
        if (seen != CMDMAIL_UNSEEN)
            p->stats.skipped++;
    }
    if (msg <= p->last_msg || (seen != CMDMAIL_UNSEEN && !dele_seen(p, seen)))
        return POP3_CB_CONTINUE;
    batch_add(p, msg, uid, uid_len, seen != CMDMAIL_UNSEEN);
    return POP3_CB_CONTINUE;
}

void cmdmail_poll_callbacks(cmdmail_poll_t *p, pop3_callbacks_t *cb)
{
    cb->ctx = p;
    cb->on_done = on_done;
    cb->on_body = on_body;
    cb->on_uidl = on_uidl;
}
