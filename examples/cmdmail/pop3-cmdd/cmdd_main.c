/**
 * @file cmdd_main.c
 * @brief pop3-cmdd: a Linux daemon for signed command mail (issue 10).
 *
 * Each poll is one POP3 session on the POSIX port, driven by cmdmail_poll:
 * login, UIDL, RETR of the messages not seen yet, verification (cmdmail),
 * the accepted commands to the handler (cmdd_run.c), DELE by policy, the
 * seen set to the state file (cmdd_state.c), QUIT. The log goes to stderr,
 * one line per event; server text in it is sanitised (pop3_sanitize), and
 * no secret is ever written (the core masks them in the -v trace).
 *
 * Stopping: SIGTERM or SIGINT between polls ends the daemon at once; during
 * a poll the running handler (and the rest of its block) is waited for,
 * then the session is aborted without QUIT (unless QUIT was on its way, the
 * server commits no DELE of this session); every state write done so far is
 * durable and consistent, messages not yet handled are fetched next time.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmdd.h"

volatile sig_atomic_t cmdd_stop_requested;

static cmdd_app_t cmdd_app;

void cmdd_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n > 0U) {
        v[--n] = 0U;
    }
}

void cmdd_log(const char *fmt, ...)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;
    if (gmtime_r(&now, &tm) == NULL || strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0U) {
        strcpy(stamp, "-");
    }
    fprintf(stderr, "%s " CMDD_NAME "[%ld]: ", stamp, (long)getpid());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void cmdd_on_signal(int sig)
{
    (void)sig;
    cmdd_stop_requested = 1;
}

/** Which exit status a failed poll gives. */
static int cmdd_exit_for(pop3_status_t st)
{
    static const struct { pop3_status_t st; int code; } map[] = {
        { POP3_OK, CMDD_EXIT_OK }, { POP3_ERR_TRANSPORT, CMDD_EXIT_NETWORK },
        { POP3_ERR_CLOSED, CMDD_EXIT_NETWORK }, { POP3_ERR_TLS, CMDD_EXIT_TLS },
        { POP3_ERR_CERT, CMDD_EXIT_TLS }, { POP3_ERR_AUTH, CMDD_EXIT_LOGIN },
        { POP3_ERR_AUTH_TOKEN, CMDD_EXIT_LOGIN }, { POP3_ERR_SERVER, CMDD_EXIT_SERVER },
        { POP3_ERR_PROTOCOL, CMDD_EXIT_PROTOCOL }, { POP3_ERR_TIMEOUT, CMDD_EXIT_TIMEOUT },
        { POP3_ERR_SECURITY, CMDD_EXIT_POLICY },
    };
    size_t i;
    for (i = 0U; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].st == st) {
            return map[i].code;
        }
    }
    return CMDD_EXIT_INTERNAL;
}

static const char *cmdd_security_name(pop3_security_t s)
{
    return s == POP3_SEC_IMPLICIT_TLS ? "tls" : s == POP3_SEC_STLS ? "starttls" : "plain";
}

/* ---- the pop3 trace (beside the driver's callbacks) ---------------------------- */

/* -v: the core has masked the secrets of what it sends already. */
static void cmdd_on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    char buf[1100];
    (void)ctx;
    while (len > 0U && (line[len - 1U] == '\r' || line[len - 1U] == '\n')) {
        len--;
    }
    pop3_sanitize(buf, sizeof buf, line, len);
    cmdd_log("%s %s", dir == POP3_TRACE_SENT ? "C:" : "S:", buf);
}

/* ---- cmdmail_poll hooks ------------------------------------------------------- */

static pop3_status_t cmdd_login(void *ctx, pop3_client_t *c)
{
    cmdd_app_t *a = ctx;
    pop3_status_t st;
    if (a->opt.auth) {
        return pop3_auth(c, a->opt.mech, &a->creds); /* creds kept until AUTH completes (cmdd_hook_done) */
    }
    st = pop3_login(c, a->opt.user, a->sec.text);
    cmdd_secret_wipe(a); /* formatted into tx_buf already */
    return st;
}

static void cmdd_hook_run(void *ctx, uint64_t seq, size_t index, const char *cmd)
{
    cmdd_app_t *a = ctx;
    char uid[CMDD_UID_MAX + 1U] = "?";
    const char *u;
    size_t n;
    uint32_t msg;
    if (cmdmail_poll_current(&a->poll, &msg, &u, &n)) {
        pop3_sanitize(uid, sizeof uid, u, n);
    }
    cmdd_run(a, seq, index, cmd, uid);
}

/* Every completion, before the driver acts on it (so the failure text is kept
 * before on_end logs it): the first failure's server text, and the secret
 * wiped once the login is over. */
static void cmdd_hook_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    cmdd_app_t *a = ctx;
    if (st != POP3_OK && !a->have_fail_text && r->text != NULL && r->text_len > 0U) {
        size_t n = r->text_len;
        while (n > 0U && (r->text[n - 1U] == '\r' || r->text[n - 1U] == '\n')) {
            n--;
        }
        pop3_sanitize(a->fail_text, sizeof a->fail_text, r->text, n);
        a->fail_cmd = cmd;
        a->have_fail_text = true;
    }
    if (cmd == POP3_CMD_AUTH || cmd == POP3_CMD_LOGIN) {
        cmdd_secret_wipe(a); /* the core is done with it */
        if (a->opt.verbose && cmd == POP3_CMD_AUTH) {
            cmdd_log("SASL mechanism %s: %s", pop3_sasl_mech_name(pop3_auth_mech(&a->client)),
                     pop3_status_str(st));
        }
    }
}

static void cmdd_on_message(void *ctx, const cmdmail_poll_msg_t *m)
{
    cmdd_app_t *a = ctx;
    char uid[CMDD_UID_MAX + 1U];
    char seq[32] = "-";
    (void)a;
    pop3_sanitize(uid, sizeof uid, m->uid, m->uid_len);
    if (m->res->seq != 0U) {
        snprintf(seq, sizeof seq, "%" PRIu64, m->res->seq);
    }
    cmdd_log("message %" PRIu32 " uid=%s: %s (%s) seq=%s commands=%zu %s%s%s", m->msg, uid,
             cmdmail_verdict_str(m->verdict), m->res->reason != NULL ? m->res->reason : "-", seq,
             m->verdict == CMDMAIL_ACCEPTED ? m->res->cmd_count : (size_t)0U,
             m->deleting ? "delete" : "keep",
             m->retr_status != POP3_OK ? "; RETR: " : "",
             m->retr_status != POP3_OK ? pop3_status_str(m->retr_status) : "");
}

static void cmdd_on_end(void *ctx, const cmdmail_poll_stats_t *s)
{
    cmdd_app_t *a = ctx;
    char detail[400];
    const char *tls = pop3_posix_tls_error(&a->port);
    const char *net = pop3_posix_net_error(&a->port);
    cmdd_log("poll done: listed=%" PRIu32 " skipped=%" PRIu32 " fetched=%" PRIu32 " accepted=%" PRIu32
             " refused=%" PRIu32 " commands=%" PRIu32 " deleted=%" PRIu32 " status=%s%s",
             s->listed, s->skipped, s->fetched, s->accepted, s->refused, s->commands, s->deleted,
             s->status == POP3_OK ? "ok" : pop3_status_str(s->status), s->nv_error ? " NV-ERROR" : "");
    if (s->status == POP3_OK || (s->status == POP3_ERR_ABORTED && cmdd_stop_requested)) {
        return;
    }
    detail[0] = '\0';
    if (a->have_fail_text) {
        snprintf(detail, sizeof detail, "; server said to %s: %s", pop3_cmd_name(a->fail_cmd), a->fail_text);
    } else if ((s->status == POP3_ERR_TLS || s->status == POP3_ERR_CERT) && tls[0] != '\0') {
        char t[200];
        pop3_sanitize(t, sizeof t, tls, strlen(tls));
        snprintf(detail, sizeof detail, " (%s)", t);
    } else if (net[0] != '\0') {
        snprintf(detail, sizeof detail, " (%s)", net);
    }
    cmdd_log("ERROR poll failed at %s: %s%s", pop3_cmd_name(s->failed_cmd), pop3_status_str(s->status), detail);
}

/* ---- one poll ------------------------------------------------------------------ */

static pop3_status_t cmdd_session_setup(cmdd_app_t *a)
{
    pop3_config_t cfg;
    cmdmail_poll_config_t pc;
    bool tls = a->opt.security != POP3_SEC_PLAINTEXT;
    pop3_status_t st;

    memset(&pc, 0, sizeof pc);
    pc.cm = &a->cm;
    pc.policy.delete_accepted = a->opt.delete_accepted;
    pc.policy.delete_refused = a->opt.delete_refused;
    pc.ctx = a;
    pc.login = cmdd_login;
    pc.run = cmdd_hook_run;
    pc.on_message = cmdd_on_message;
    pc.on_end = cmdd_on_end;
    pc.on_done = cmdd_hook_done;
    cmdmail_poll_init(&a->poll, &pc);

    memset(&a->tls_cfg, 0, sizeof a->tls_cfg);
    a->tls_cfg.host = a->opt.host; /* SNI and the certificate's name (or IP) */
    a->tls_cfg.ca_file = a->opt.cafile != NULL ? a->opt.cafile : CMDD_DEFAULT_CAFILE;
    st = pop3_posix_init(&a->port, tls ? &a->tls_cfg : NULL, tls ? &a->tls : NULL);
    if (st != POP3_OK) {
        return st;
    }
    a->port_ready = true;

    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = a->line_buf;
    cfg.line_buf_len = sizeof a->line_buf;
    cfg.tx_buf = a->tx_buf;
    cfg.tx_buf_len = sizeof a->tx_buf;
    cfg.transport = pop3_posix_transport(&a->port);
    cfg.security = a->opt.security;
    cfg.allow_plaintext_login = a->opt.allow_plaintext_login;
    cfg.connect_timeout_ms = a->opt.timeout_ms;
    cfg.reply_timeout_ms = a->opt.timeout_ms;
    cfg.tls_timeout_ms = a->opt.timeout_ms;
    cmdmail_poll_callbacks(&a->poll, &cfg.callbacks);
    if (a->opt.verbose) {
        cfg.callbacks.on_trace = cmdd_on_trace;
    }
    st = pop3_init(&a->client, &cfg);
    if (st == POP3_OK) {
        cmdmail_poll_attach(&a->poll, &a->client);
    }
    return st;
}

/** One poll; its exit status. */
static int cmdd_poll(cmdd_app_t *a)
{
    const cmdmail_poll_stats_t *s;
    bool aborted = false;
    int rc = cmdd_read_secret(a);
    if (rc != CMDD_EXIT_OK) {
        return rc;
    }
    a->have_fail_text = false;
    if (cmdd_session_setup(a) != POP3_OK) {
        cmdd_log("ERROR cannot set up the client");
        rc = CMDD_EXIT_INTERNAL;
    } else if (pop3_posix_connect(&a->port, &a->client, a->opt.host, (uint16_t)a->opt.port) == POP3_OK ||
               !cmdmail_poll_finished(&a->poll)) {
        while (!cmdmail_poll_finished(&a->poll) && pop3_posix_poll(&a->port, (int)POP3_POSIX_TICK_MS) == POP3_OK) {
            if (cmdd_stop_requested && !aborted) {
                cmdd_log("stop requested: aborting the session (the state file is consistent; "
                         "DELEs no QUIT committed yet stay undone)");
                aborted = true;
                pop3_abort(&a->client);
            }
        }
    }
    if (a->port_ready) {
        pop3_posix_cleanup(&a->port); /* ends the session if still open: the driver finishes */
        a->port_ready = false;
    }
    cmdd_secret_wipe(a);
    if (rc != CMDD_EXIT_OK) {
        return rc;
    }
    s = cmdmail_poll_stats(&a->poll);
    if (!cmdmail_poll_finished(&a->poll)) {
        cmdd_log("ERROR the session ended without the poll finishing: %s",
                 pop3_status_str(pop3_session_status(&a->client)));
        return CMDD_EXIT_INTERNAL;
    }
    if (s->nv_error) {
        return CMDD_EXIT_STATE;
    }
    return aborted ? CMDD_EXIT_OK : cmdd_exit_for(s->status);
}

/* ---- start-up ------------------------------------------------------------------ */

static int64_t cmdd_now(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

static int cmdd_start(cmdd_app_t *a)
{
    cmdmail_config_t cfg;
    cmdmail_result_t res;
    int rc = cmdd_state_open(&a->state, a->opt.state_file, a->opt.init_state);
    if (rc != CMDD_EXIT_OK) {
        return rc;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.device_id = a->opt.device;
    cfg.key = a->key;
    cfg.key_len = a->key_len;
    cfg.nv = cmdd_state_nv(&a->state);
    cfg.now = cmdd_now;
    cmdmail_init(&a->cm);
    memset(&res, 0, sizeof res);
    if (!cmdmail_setup(&a->cm, &cfg, &res)) {
        cmdd_log("ERROR cannot load the state of %s from %s", a->opt.device, a->opt.state_file);
        return CMDD_EXIT_STATE;
    }
    cmdd_log("started: device=%s server=%s:%" PRIu32 " security=%s user=%s state=%s last_seq=%" PRIu64
             " pending_seq=%" PRIu64 " policy=%s%s handler=%s%s%s mode=%s",
             a->opt.device, a->opt.host, a->opt.port, cmdd_security_name(a->opt.security), a->opt.user,
             a->opt.state_file, res.last_seq, res.pending_seq, a->opt.delete_accepted ? "delete" : "keep",
             a->opt.delete_refused ? "+delete-refused" : "", a->opt.exec != NULL ? "exec:" : "",
             a->opt.exec != NULL ? a->opt.exec : "", a->opt.json ? (a->opt.exec != NULL ? "+json" : "json") : "",
             a->opt.once ? "once" : "interval");
    if (res.pending_seq != 0U) {
        cmdd_log("WARNING seq %" PRIu64 " may not have run completely (the daemon stopped between "
                 "accepting it and finishing its commands); it will not run again", res.pending_seq);
    }
    return CMDD_EXIT_OK;
}

/** Sleeps @p seconds unless a stop is requested (checked every 200 ms). */
static void cmdd_sleep(uint32_t seconds)
{
    uint32_t ms = seconds * 1000U;
    while (ms > 0U && !cmdd_stop_requested) {
        struct timespec ts = { 0, 200L * 1000000L };
        (void)nanosleep(&ts, NULL);
        ms = ms > 200U ? ms - 200U : 0U;
    }
}

static int cmdd_main(cmdd_app_t *a, int argc, char **argv)
{
    int rc = cmdd_parse_args(&a->opt, argc, argv);
    if (rc != CMDD_EXIT_OK) {
        return rc < 0 ? CMDD_EXIT_OK : rc;
    }
    if (a->opt.security == POP3_SEC_PLAINTEXT && !a->opt.allow_plaintext_login) {
        fputs(CMDD_NAME ": refusing to send credentials without TLS (add --allow-plaintext-login "
              "to --plain if you really mean it)\n", stderr);
        return CMDD_EXIT_POLICY;
    }
    rc = cmdd_read_key(a);
    if (rc == CMDD_EXIT_OK) {
        rc = cmdd_read_secret(a); /* a bad secret is reported before anything else happens */
        cmdd_secret_wipe(a);
    }
    if (rc == CMDD_EXIT_OK) {
        rc = cmdd_start(a);
    }
    while (rc == CMDD_EXIT_OK && !cmdd_stop_requested) {
        rc = cmdd_poll(a);
        if (a->opt.once) {
            break;
        }
        if (rc != CMDD_EXIT_OK && rc != CMDD_EXIT_USAGE && rc != CMDD_EXIT_POLICY && rc != CMDD_EXIT_STATE &&
            rc != CMDD_EXIT_INTERNAL) {
            cmdd_log("next poll in %" PRIu32 " s", a->opt.interval_s);
            rc = CMDD_EXIT_OK; /* the server may be back by then */
        }
        if (rc == CMDD_EXIT_OK) {
            cmdd_sleep(a->opt.interval_s);
        }
    }
    if (cmdd_stop_requested) {
        cmdd_log("stopped by a signal");
    }
    return rc;
}

int main(int argc, char **argv)
{
    cmdd_app_t *a = &cmdd_app;
    struct sigaction sa;
    int rc;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cmdd_on_signal; /* no SA_RESTART: a sleep or poll() returns at once */
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)signal(SIGPIPE, SIG_IGN); /* a closed peer or stdout is an error, not a death */
    rc = cmdd_main(a, argc, argv);
    if (rc != CMDD_EXIT_OK && rc != CMDD_EXIT_USAGE) {
        cmdd_log("exit status %d", rc);
    }
    cmdmail_free(&a->cm);
    cmdd_state_close(&a->state);
    cmdd_secret_wipe(a);
    cmdd_wipe(a->key, sizeof a->key);
    if (a->rng_ready) {
        mbedtls_ctr_drbg_free(&a->drbg);
        mbedtls_entropy_free(&a->entropy);
    }
    return rc;
}
