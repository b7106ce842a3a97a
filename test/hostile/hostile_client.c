/*
 * Driver for the hostile-server cases: runs one POP3 session through the
 * core, either on the POSIX port (default build) or on the lwIP port inside
 * this process through libslirp (built with -DHOSTILE_LWIP=1, reusing
 * test/lwip/slirp_netif.c; the server on the host's 127.0.0.1 is reached as
 * 10.0.2.2, the TLS host name stays what -H says).
 *
 *   hostile_client [-m plain|stls|tls] -H HOST -p PORT [-c CAFILE] [-t MS]
 *                  [-o BODYFILE] [-u USER] [-a] [-A MECH [-k] [-z AUTHZID] [-r]]
 *                  [-T TXLEN] [-v] COMMAND [ARG...]...
 *   (password from POP3_PASSWORD; with -k the OAuth token from POP3_TOKEN;
 *    commands as pop3-cli: capa stat list [N] uidl [N] retr N top N L dele N
 *    rset noop)
 *   -A MECH   log in with pop3_auth() (a pop3_sasl_mech_name(), or "best")
 *   -k        the secret is an OAuth token (creds.is_token)
 *   -z ID     authorisation identity (creds.authzid)
 *   -r        hand the secret through read_secret instead of creds.secret
 *   -T TXLEN  transmit buffer size (0: POP3_MIN_TX_BUF_LEN), so a long SASL
 *             response provably streams through it in pieces
 *   -v        print every trace line ("TRACE > ..." sent, "TRACE < ..." received)
 *   -X MS     pop3_auth_cancel() MS milliseconds after CONNECT (from the poll loop)
 *   -P        pipelined: after login queue every command at once (as many as
 *             the queue takes, the rest as completions make room); a -ERR
 *             ends only its own command; "quit" in the list queues QUIT in
 *             the batch (else QUIT goes out once every command is done)
 *   -D N      pipeline_depth N (0: POP3_PIPELINE_DEPTH, 1: pipelining off)
 *   SCRAM gets a deterministic rng (test client only).
 *
 * Same flow as pop3-cli: log in after CONNECT, run the commands one at a time
 * from on_done, stop at the first failure and still send QUIT while the
 * connection is usable; exit status = pop3-cli's mapping of the first failure.
 * stdout: one line per on_done ("DONE CMD STATUS octets=N count=N msg=N"), per
 * streamed entry ("LIST n size", "UIDL n uid", "CAPA <hex>"), then
 * "SESSION STATUS", "UNANSWERED N" (pop3_unanswered()) and "BODY octets=N";
 * with -P first "BATCH pipelining=0|1 queued=N" (pop3_pipelining() when the
 * batch was queued). Body bytes (RETR/TOP) go to BODYFILE.
 * AUTH adds "AUTHINFO mech=M code=N oauth_status=S oauth_scope=S text=T"
 * (text sanitized, "-" for none) and "SECRET reads=N" with -r.
 * Test code: may use malloc.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pop3.h"
#include "pop3_tls.h"

#if HOSTILE_LWIP
#include "lwip/ip_addr.h"
#include "pop3_lwip.h"
#include "slirp_netif.h"
#else
#include "pop3_posix.h"
#endif

#define MAX_JOBS 32
#define HARD_LIMIT_S 60.0

typedef struct {
    const char *name;
    int min_args, max_args;
} cmd_def_t;

static const cmd_def_t cmd_defs[] = {
    {"capa", 0, 0}, {"stat", 0, 0}, {"list", 0, 1}, {"uidl", 0, 1}, {"retr", 1, 1},
    {"top", 2, 2},  {"dele", 1, 1}, {"rset", 0, 0}, {"noop", 0, 0}, {"quit", 0, 0},
};

typedef struct {
    const cmd_def_t *def;
    int nargs;
    uint32_t arg[2];
} job_t;

/* Indexed by value, so a status added to the enum cannot shift the names. */
static const char *const st_names[POP3_STATUS_COUNT_] = {
    [POP3_OK] = "OK", [POP3_ERR_SERVER] = "ERR_SERVER", [POP3_ERR_AUTH] = "ERR_AUTH",
    [POP3_ERR_AUTH_TOKEN] = "ERR_AUTH_TOKEN", [POP3_ERR_PROTOCOL] = "ERR_PROTOCOL",
    [POP3_ERR_TRANSPORT] = "ERR_TRANSPORT", [POP3_ERR_TLS] = "ERR_TLS", [POP3_ERR_CERT] = "ERR_CERT",
    [POP3_ERR_TIMEOUT] = "ERR_TIMEOUT", [POP3_ERR_ABORTED] = "ERR_ABORTED", [POP3_ERR_BAD_ARG] = "ERR_BAD_ARG",
    [POP3_ERR_STATE] = "ERR_STATE", [POP3_ERR_SECURITY] = "ERR_SECURITY",
    [POP3_ERR_QUEUE_FULL] = "ERR_QUEUE_FULL", [POP3_ERR_CLOSED] = "ERR_CLOSED",
};

static const char *st_name(pop3_status_t st)
{
    return (unsigned)st < (unsigned)POP3_STATUS_COUNT_ && st_names[st] != NULL ? st_names[st] : "UNKNOWN";
}

static struct {
    pop3_client_t client;
    pop3_tls_t tls;
    pop3_tls_config_t tc;
#if HOSTILE_LWIP
    pop3_lwip_t port;
#else
    pop3_posix_t port;
#endif
    char line_buf[1024];
    char tx_buf[1024];
    size_t tx_len;
    const char *user;
    const char *pass;
    bool apop;
    const char *mech_name;   /* -A: log in with pop3_auth() */
    pop3_sasl_creds_t creds;
    unsigned long secret_reads;
    uint32_t rng_state;
    bool verbose;
    long cancel_ms;          /* -X: when to call pop3_auth_cancel() (-1: never) */
    double connected_at;
    bool cancelled;
    job_t jobs[MAX_JOBS];
    int njobs, next_job;
    bool failed, stopping, want_abort;
    bool pipe;               /* -P */
    bool quit_queued;        /* QUIT is in the queue (from the job list or stop()) */
    bool batch_printed;
    int pending;             /* job commands queued, not yet done (-P) */
    int exit_code;
    FILE *body;
    unsigned long long body_total;
} app;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* pop3-cli's exit statuses. */
static int exit_code_of(pop3_status_t st)
{
    switch (st) {
    case POP3_OK: return 0;
    case POP3_ERR_TRANSPORT: case POP3_ERR_CLOSED: return 3;
    case POP3_ERR_TLS: case POP3_ERR_CERT: return 4;
    case POP3_ERR_AUTH: case POP3_ERR_AUTH_TOKEN: return 5;
    case POP3_ERR_SERVER: return 6;
    case POP3_ERR_PROTOCOL: return 7;
    case POP3_ERR_TIMEOUT: return 8;
    case POP3_ERR_SECURITY: return 9;
    default: return 1;
    }
}

static void fail(pop3_status_t st)
{
    if (!app.failed) {
        app.failed = true;
        app.exit_code = exit_code_of(st);
    }
}

static void stop(void)
{
    if (app.stopping) {
        return;
    }
    app.stopping = true;
    if (pop3_state(&app.client) == POP3_STATE_CLOSED || app.quit_queued) {
        return;
    }
    if (pop3_quit(&app.client) == POP3_OK) {
        app.quit_queued = true;
        return;
    }
    app.want_abort = true;
}

static pop3_status_t start_job(const job_t *j)
{
    pop3_client_t *c = &app.client;
    const char *n = j->def->name;
    uint32_t a0 = j->nargs > 0 ? j->arg[0] : 0U;

    if (!strcmp(n, "capa")) return pop3_capa(c);
    if (!strcmp(n, "stat")) return pop3_stat(c);
    if (!strcmp(n, "list")) return pop3_list(c, a0);
    if (!strcmp(n, "uidl")) return pop3_uidl(c, a0);
    if (!strcmp(n, "retr")) return pop3_retr(c, a0);
    if (!strcmp(n, "top")) return pop3_top(c, a0, j->arg[1]);
    if (!strcmp(n, "dele")) return pop3_dele(c, a0);
    if (!strcmp(n, "rset")) return pop3_rset(c);
    if (!strcmp(n, "quit")) {
        pop3_status_t st = pop3_quit(c);
        app.quit_queued = st == POP3_OK;
        return st;
    }
    return pop3_noop(c);
}

/* Deterministic SCRAM nonce source (xorshift32): a test client only, never for real use. */
static int test_rng(void *ctx, unsigned char *buf, size_t len)
{
    uint32_t *x = ctx;

    for (size_t i = 0; i < len; i++) {
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        buf[i] = (unsigned char)(*x >> 24);
    }
    return 0;
}

/* -r: the secret read in pieces, as from flash. */
static bool read_secret(void *ctx, size_t off, uint8_t *buf, size_t len)
{
    const char *sec = ctx;

    app.secret_reads++;
    if (off > strlen(sec) || len > strlen(sec) - off) {
        return false;
    }
    memcpy(buf, sec + off, len);
    return true;
}

static pop3_status_t queue_auth(void)
{
    pop3_sasl_mech_t mech;

    if (!pop3_sasl_mech_parse(app.mech_name, strlen(app.mech_name), &mech)) {
        return POP3_ERR_BAD_ARG;
    }
    return pop3_auth(&app.client, mech, &app.creds);
}

static void run_next(void)
{
    pop3_status_t st;

    if (app.next_job >= app.njobs) {
        stop();
        return;
    }
    st = start_job(&app.jobs[app.next_job++]);
    if (st != POP3_OK) {
        printf("QUEUE %s %s\n", app.jobs[app.next_job - 1].def->name, st_name(st));
        fail(st);
        stop();
    }
}

/* -P: queue what fits; QUIT (stop()) once every job is done. */
static void fill(void)
{
    int queued = 0;

    while (!app.stopping && pop3_state(&app.client) != POP3_STATE_CLOSED && app.next_job < app.njobs) {
        const job_t *j = &app.jobs[app.next_job];
        pop3_status_t st = start_job(j);
        if (st == POP3_ERR_QUEUE_FULL) {
            break; /* retried from the next on_done */
        }
        app.next_job++;
        if (st != POP3_OK) {
            printf("QUEUE %s %s\n", j->def->name, st_name(st));
            fail(st);
            stop();
            return;
        }
        queued++;
        if (strcmp(j->def->name, "quit") != 0) {
            app.pending++;
        }
    }
    if (!app.batch_printed) {
        app.batch_printed = true;
        printf("BATCH pipelining=%d queued=%d\n", pop3_pipelining(&app.client) ? 1 : 0, queued);
    }
    if (app.next_job >= app.njobs && app.pending == 0) {
        stop();
    }
}

static bool is_setup(pop3_cmd_t cmd)
{
    return cmd == POP3_CMD_CONNECT || cmd == POP3_CMD_LOGIN || cmd == POP3_CMD_APOP || cmd == POP3_CMD_AUTH;
}

/* Server text for stdout: sanitized (no terminal escapes), "-" for none. */
static void print_field(const char *name, const char *text, size_t len)
{
    char buf[600];

    if (text == NULL) {
        printf(" %s=-", name);
        return;
    }
    pop3_sanitize(buf, sizeof buf, text, len);
    printf(" %s=%s", name, buf);
}

static void on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r)
{
    (void)ctx;
    printf("DONE %s %s octets=%llu count=%lu msg=%lu\n", pop3_cmd_name(cmd), st_name(st),
           (unsigned long long)r->octets, (unsigned long)r->count, (unsigned long)r->msg);
    if (cmd == POP3_CMD_AUTH) {
        printf("AUTHINFO mech=%s code=%d", pop3_sasl_mech_name(pop3_auth_mech(&app.client)), (int)r->code);
        print_field("oauth_status", r->oauth_status, r->oauth_status_len);
        print_field("oauth_scope", r->oauth_scope, r->oauth_scope_len);
        print_field("text", r->text_len > 0 ? r->text : NULL, r->text_len);
        printf("\n");
    }
    if (app.pipe && !is_setup(cmd) && cmd != POP3_CMD_QUIT) {
        app.pending--;
    }
    if (st != POP3_OK) {
        fail(st);
        if (!app.pipe || is_setup(cmd) || st != POP3_ERR_SERVER) {
            stop();
            return;
        }
    }
    if (cmd == POP3_CMD_QUIT || app.stopping) {
        return;
    }
    if (cmd == POP3_CMD_CONNECT) {
        app.connected_at = now_s();
    }
    if (cmd == POP3_CMD_CONNECT && app.user != NULL) {
        pop3_status_t q = app.mech_name != NULL ? queue_auth()
                          : app.apop            ? pop3_apop(&app.client, app.user, app.pass)
                                                : pop3_login(&app.client, app.user, app.pass);
        if (q != POP3_OK) {
            printf("QUEUE %s %s\n", app.mech_name != NULL ? "auth" : app.apop ? "apop" : "login", st_name(q));
            fail(q);
            stop();
        }
        return;
    }
    if (app.pipe) {
        fill();
        return;
    }
    run_next();
}

static pop3_cb_action_t on_body(void *ctx, const char *d, size_t n)
{
    (void)ctx;
    if (app.body != NULL && fwrite(d, 1, n, app.body) != n) {
        return POP3_CB_ABORT;
    }
    app.body_total += n;
    return POP3_CB_CONTINUE;
}

static pop3_cb_action_t on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    (void)ctx;
    printf("LIST %lu %llu\n", (unsigned long)msg, (unsigned long long)octets);
    return POP3_CB_CONTINUE;
}

static pop3_cb_action_t on_uidl(void *ctx, uint32_t msg, const char *uid, size_t len)
{
    (void)ctx;
    printf("UIDL %lu %.*s\n", (unsigned long)msg, (int)len, uid);
    return POP3_CB_CONTINUE;
}

static pop3_cb_action_t on_capa(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    printf("CAPA ");
    for (size_t i = 0; i < len; i++) {
        printf("%02x", (unsigned char)line[i]);
    }
    printf("\n");
    return POP3_CB_CONTINUE;
}

static void on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    char buf[1100];

    (void)ctx;
    pop3_sanitize(buf, sizeof buf, line, len);
    printf("TRACE %c %s\n", dir == POP3_TRACE_SENT ? '>' : '<', buf);
}

/* -X: the application gives up on the login while the exchange runs. */
static void maybe_cancel(void)
{
    if (app.cancel_ms >= 0 && !app.cancelled && app.connected_at > 0 &&
        now_s() - app.connected_at >= (double)app.cancel_ms / 1000.0) {
        app.cancelled = true;
        printf("CANCEL\n");
        pop3_auth_cancel(&app.client);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: hostile_client [-m plain|stls|tls] -H HOST -p PORT [-c CA] [-t MS] [-o BODY] "
                    "[-u USER] [-a] [-A MECH [-k] [-z AUTHZID] [-r] [-X MS]] [-T TXLEN] [-P] [-D DEPTH] [-v] COMMAND...\n");
    return 2;
}

static const cmd_def_t *find_cmd(const char *s)
{
    for (size_t i = 0; i < sizeof cmd_defs / sizeof cmd_defs[0]; i++) {
        if (!strcmp(cmd_defs[i].name, s)) {
            return &cmd_defs[i];
        }
    }
    return NULL;
}

static bool is_num(const char *s)
{
    if (*s == '\0') {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    const char *mode = "stls", *host = NULL, *ca = NULL, *body_path = NULL, *authzid = NULL;
    bool is_token = false, use_read = false;
    unsigned port = 0, timeout = 30000;
    int depth = 0;
    pop3_config_t cfg;
    pop3_security_t sec;
    pop3_status_t st;
    double t0, limit;
    int i = 1;

    setvbuf(stdout, NULL, _IOLBF, 0);
    app.cancel_ms = -1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-a")) { app.apop = true; continue; }
        if (!strcmp(o, "-k")) { is_token = true; continue; }
        if (!strcmp(o, "-r")) { use_read = true; continue; }
        if (!strcmp(o, "-v")) { app.verbose = true; continue; }
        if (!strcmp(o, "-P")) { app.pipe = true; continue; }
        if (i + 1 >= argc) return usage();
        if (!strcmp(o, "-m")) mode = argv[++i];
        else if (!strcmp(o, "-H")) host = argv[++i];
        else if (!strcmp(o, "-p")) port = (unsigned)atoi(argv[++i]);
        else if (!strcmp(o, "-c")) ca = argv[++i];
        else if (!strcmp(o, "-t")) timeout = (unsigned)atoi(argv[++i]);
        else if (!strcmp(o, "-o")) body_path = argv[++i];
        else if (!strcmp(o, "-u")) app.user = argv[++i];
        else if (!strcmp(o, "-A")) app.mech_name = argv[++i];
        else if (!strcmp(o, "-z")) authzid = argv[++i];
        else if (!strcmp(o, "-X")) app.cancel_ms = atol(argv[++i]);
        else if (!strcmp(o, "-D")) depth = atoi(argv[++i]);
        else if (!strcmp(o, "-T")) {
            app.tx_len = (size_t)atol(argv[++i]);
            app.tx_len = app.tx_len == 0 ? POP3_MIN_TX_BUF_LEN : app.tx_len;
        }
        else return usage();
    }
    while (i < argc) {
        job_t *j;
        if (app.njobs >= MAX_JOBS) return usage();
        j = &app.jobs[app.njobs];
        j->def = find_cmd(argv[i++]);
        if (j->def == NULL) return usage();
        while (j->nargs < j->def->max_args && i < argc && is_num(argv[i])) {
            j->arg[j->nargs++] = (uint32_t)strtoul(argv[i++], NULL, 10);
        }
        if (j->nargs < j->def->min_args) return usage();
        app.njobs++;
    }
    if (host == NULL || port == 0) return usage();
    app.pass = getenv(is_token ? "POP3_TOKEN" : "POP3_PASSWORD");
    if (app.user != NULL && app.pass == NULL) return usage();
    if (app.tx_len == 0 || app.tx_len > sizeof app.tx_buf) {
        app.tx_len = sizeof app.tx_buf;
    }
    app.creds.user = app.user;
    app.creds.authzid = authzid;
    app.creds.is_token = is_token;
    if (use_read) {
        app.creds.read_secret = read_secret;
        app.creds.read_ctx = (void *)app.pass;
        app.creds.secret_len = app.pass != NULL ? strlen(app.pass) : 0;
    } else {
        app.creds.secret = app.pass;
    }
    app.rng_state = 0x2545F491U;
    app.creds.rng = test_rng;
    app.creds.rng_ctx = &app.rng_state;
    if (body_path != NULL && (app.body = fopen(body_path, "wb")) == NULL) {
        perror(body_path);
        return 2;
    }
    sec = !strcmp(mode, "plain") ? POP3_SEC_PLAINTEXT : !strcmp(mode, "tls") ? POP3_SEC_IMPLICIT_TLS : POP3_SEC_STLS;
    memset(&cfg, 0, sizeof cfg);
    cfg.line_buf = app.line_buf;
    cfg.line_buf_len = sizeof app.line_buf;
    cfg.tx_buf = app.tx_buf;
    cfg.tx_buf_len = app.tx_len;
    cfg.security = sec;
    cfg.allow_plaintext_login = sec == POP3_SEC_PLAINTEXT;
    cfg.reply_timeout_ms = timeout;
    cfg.connect_timeout_ms = timeout;
    cfg.tls_timeout_ms = timeout;
    if (depth < 0 || depth > 255) return usage();
    cfg.pipeline_depth = (uint8_t)depth;
    cfg.callbacks.on_done = on_done;
    cfg.callbacks.on_body = on_body;
    cfg.callbacks.on_list = on_list;
    cfg.callbacks.on_uidl = on_uidl;
    cfg.callbacks.on_capa = on_capa;
    cfg.callbacks.on_trace = app.verbose ? on_trace : NULL;
    app.tc.host = host;
    app.tc.ca_file = ca;
    t0 = now_s();
    limit = HARD_LIMIT_S;

#if HOSTILE_LWIP
    harness_init();
    if (pop3_lwip_init(&app.port, sec == POP3_SEC_PLAINTEXT ? NULL : &app.tc,
                       sec == POP3_SEC_PLAINTEXT ? NULL : &app.tls) != POP3_OK) {
        return 1;
    }
    cfg.transport = pop3_lwip_transport(&app.port);
    if (pop3_init(&app.client, &cfg) != POP3_OK) {
        return 1;
    }
    {
        ip_addr_t gw;
        IP_ADDR4(&gw, 10, 0, 2, 2); /* slirp: the host's 127.0.0.1 */
        if (pop3_lwip_connect_ip(&app.port, &app.client, &gw, (u16_t)port) != POP3_OK) {
            printf("CONNECT-CALL failed\n");
        }
    }
    while (now_s() - t0 < limit) {
        harness_poll(pop3_lwip_needs_service(&app.port) ? 0 : 5);
        maybe_cancel();
        if (app.want_abort) {
            app.want_abort = false;
            pop3_abort(&app.client);
        }
        pop3_lwip_service(&app.port);
        if (pop3_state(&app.client) == POP3_STATE_CLOSED && pop3_lwip_is_idle(&app.port)) {
            break;
        }
    }
    st = pop3_session_status(&app.client);
    if (pop3_state(&app.client) != POP3_STATE_CLOSED) {
        printf("HANG session not closed after %.0f s\n", limit);
        fail(POP3_ERR_TIMEOUT);
        app.exit_code = 100;
    }
    printf("NETERR %s\nTLSERR %s\n", pop3_lwip_net_error(&app.port), pop3_lwip_tls_error(&app.port));
    pop3_lwip_cleanup(&app.port);
    for (int k = 0; k < 20; k++) {
        harness_poll(2);
    }
    harness_shutdown();
#else
    if (pop3_posix_init(&app.port, sec == POP3_SEC_PLAINTEXT ? NULL : &app.tc,
                        sec == POP3_SEC_PLAINTEXT ? NULL : &app.tls) != POP3_OK) {
        return 1;
    }
    cfg.transport = pop3_posix_transport(&app.port);
    if (pop3_init(&app.client, &cfg) != POP3_OK) {
        return 1;
    }
    if (pop3_posix_connect(&app.port, &app.client, host, (uint16_t)port) != POP3_OK) {
        printf("CONNECT-CALL failed\n");
    }
    while (pop3_posix_poll(&app.port, app.cancel_ms >= 0 ? 20 : 100) == POP3_OK) {
        maybe_cancel();
        if (app.want_abort) {
            app.want_abort = false;
            pop3_abort(&app.client);
        }
        if (now_s() - t0 > limit) {
            printf("HANG session not closed after %.0f s\n", limit);
            fail(POP3_ERR_TIMEOUT);
            app.exit_code = 100;
            break;
        }
    }
    st = pop3_session_status(&app.client);
    printf("NETERR %s\nTLSERR %s\n", pop3_posix_net_error(&app.port), pop3_posix_tls_error(&app.port));
    pop3_posix_cleanup(&app.port);
#endif
    if (st != POP3_OK) {
        fail(st);
    }
    printf("SESSION %s\nUNANSWERED %u\nBODY octets=%llu\n", st_name(st), pop3_unanswered(&app.client),
           app.body_total);
    if (use_read) {
        printf("SECRET reads=%lu\n", app.secret_reads);
    }
    if (app.body != NULL) {
        fclose(app.body);
    }
    return app.failed ? app.exit_code : 0;
}
