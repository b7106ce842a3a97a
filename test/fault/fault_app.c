/* The application side of the fault harnesses (fault_app.h). */
#include "fault_app.h"

#include <stdio.h>
#include <string.h>

#include "heap_guard.h"

pop3_status_t fa_queue_work(pop3_client_t *c, const fs_session_t *s, pop3_sasl_creds_t *creds, uint32_t *rng)
{
    pop3_status_t st;

    /* The application queues its work before connecting (allowed: it waits for CONNECT). */
    if (s->login == FS_LOGIN_USER_PASS) {
        HG_LIB_RET(st, pop3_login(c, "alice", "secret"));
    } else {
        creds->user = "alice";
        creds->secret = "secret";
        *rng = FS_SCRAM_RNG_SEED;
        creds->rng = fs_scram_rng;
        creds->rng_ctx = rng;
        HG_LIB_RET(st, pop3_auth(c, s->login == FS_LOGIN_SASL_PLAIN ? POP3_SASL_PLAIN : POP3_SASL_SCRAM_SHA_256,
                                 creds));
    }
    if (st == POP3_OK) HG_LIB_RET(st, pop3_list(c, 0));
    if (st == POP3_OK) HG_LIB_RET(st, pop3_uidl(c, 0));
    if (st == POP3_OK) HG_LIB_RET(st, pop3_retr(c, 1));
    if (st == POP3_OK && s->pipelined) HG_LIB_RET(st, pop3_noop(c)); /* pipelined behind the body */
    if (st == POP3_OK && s->dele_mode == FS_DELE_UP_FRONT) {
        HG_LIB_RET(st, pop3_dele(c, 1));
        if (st == POP3_OK) HG_LIB_RET(st, pop3_quit(c));
    }
    return st;
}

void fa_obs_done(fs_obs_t *o, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    if (o->ndone >= FS_MAX_DONE) {
        o->done_overflow = true;
        return;
    }
    o->done_cmd[o->ndone] = (int)cmd;
    o->done_st[o->ndone] = st;
    o->done_octets[o->ndone] = r->octets;
    o->done_sent_at[o->ndone] = o->sent_len;
    o->ndone++;
}

bool fa_obs_body(fs_obs_t *o, const char *data, size_t len)
{
    if (o->body_len + len > sizeof o->body) {
        o->body_overflow = true;
        return false;
    }
    memcpy(o->body + o->body_len, data, len);
    o->body_len += len;
    return true;
}

void fa_obs_list(fs_obs_t *o, uint32_t msg, uint64_t octets)
{
    if (o->nlist < 4) {
        o->list_msg[o->nlist] = msg;
        o->list_size[o->nlist] = octets;
    }
    o->nlist++;
}

void fa_obs_uidl(fs_obs_t *o, uint32_t msg, const char *uid, size_t len)
{
    if (o->nuidl < 4) {
        o->uidl_msg[o->nuidl] = msg;
        o->uidl_len[o->nuidl] = len < sizeof o->uidl[0] ? len : sizeof o->uidl[0];
        memcpy(o->uidl[o->nuidl], uid, o->uidl_len[o->nuidl]);
    }
    o->nuidl++;
}

void fa_report(const char *what, unsigned long runs, unsigned long fails)
{
    printf("  %-62s %7lu runs%s\n", what, runs, fails ? "  <-- FAILURES" : "");
    fflush(stdout);
}

bool fa_write_summary(const char *path, unsigned long faults)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL || fprintf(fp, "faults_injected=%lu\n", faults) < 0 || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return false;
    }
    return true;
}
