/**
 * @file cli.h
 * @brief pop3-cli internals shared by its files: pop3_cli.c (command table,
 *        set-up, main), cli_run.c (session flow, failure reports), cli_print.c
 *        (output), cli_opts.c (command line), cli_auth.c (password, OAuth
 *        token, SCRAM random source), cli_shell.c and cli_shell_io.c (the
 *        interactive session), cli_tty.c (a secret asked without echo),
 *        cli_help.c (--help, --version),
 *        cli_tls.c (-v TLS details), cli_check.c and cli_check_report.c (the
 *        check command); fetch has its own header, cli_fetch.h.
 */
#ifndef POP3_CLI_H
#define POP3_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "pop3.h"
#include "pop3_posix.h"
#include "pop3_tls.h"
#include "cli_tls.h"

#if !POP3_SASL_ENABLE
#error "pop3-cli needs the core built with POP3_SASL_ENABLE (its --auth option)"
#endif

#define CLI_NAME "pop3-cli"
#define CLI_LINE_BUF_LEN 1024U
#define CLI_TX_BUF_LEN 1024U
#define CLI_PASS_BUF_LEN 512U
#define CLI_DEFAULT_CAFILE "/etc/ssl/certs/ca-certificates.crt"
#define CLI_DEFAULT_TIMEOUT_MS 30000U
#define CLI_MAX_ARGS 2U
#define CLI_TEXT_MAX 200U /* server text shown in an error line */

/* Octets a command adds around the user name / password ("USER " + CRLF,
 * "APOP " + " " + 32 hex digits + CRLF). */
#define CLI_USER_OVERHEAD 7U
#define CLI_APOP_OVERHEAD 40U

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* Exit statuses. */
enum {
    EXIT_OK = 0,
    EXIT_INTERNAL = 1,
    EXIT_USAGE = 2,
    EXIT_NETWORK = 3,
    EXIT_TLS = 4,
    EXIT_AUTH = 5,
    EXIT_SERVER = 6,
    EXIT_PROTOCOL = 7,
    EXIT_TIMEOUT = 8,
    EXIT_POLICY = 9,
    EXIT_LOCAL = 10            /* fetch: the Maildir or its state could not be used */
};

struct cli_app;
struct cli_job;

/** Prints the single-line result of a command from its on_done reply. */
typedef bool (*cli_print_fn)(struct cli_app *a, const struct cli_job *job, const pop3_reply_t *r);

/** One CLI command: how to parse it, how to start it, how to show its result. */
typedef struct cli_cmd_def {
    const char *name;
    uint8_t min_args;
    uint8_t max_args;
    const char *arg_name[CLI_MAX_ARGS];
    uint32_t arg_min[CLI_MAX_ARGS];
    /* Exactly one of these is set; f1 also serves optional-argument commands (0 = none). */
    pop3_status_t (*f0)(pop3_client_t *c);
    pop3_status_t (*f1)(pop3_client_t *c, uint32_t a0);
    pop3_status_t (*f2)(pop3_client_t *c, uint32_t a0, uint32_t a1);
    cli_print_fn print; /* NULL: nothing printed at completion */
    bool doc;           /* its output is one document (capa, list, uidl): see cli_doc_begin() */
} cli_cmd_def_t;

typedef struct cli_job {
    const cli_cmd_def_t *def;
    uint8_t nargs;
    uint32_t arg[CLI_MAX_ARGS];
    bool range;                /* arg[0] is the first of arg[0]..last ("1-5", or "all") */
    bool all;                  /* "all": last comes from the STAT before the first job */
    uint32_t last;
    uint32_t n;                /* core commands it expands to (1 unless a range) */
    uint32_t sent;             /* of those, queued */
    uint32_t done;             /* of those, reported OK */
} cli_job_t;

typedef struct cli_opts {
    const char *host;
    uint32_t port;             /* 0: default for the security mode */
    pop3_security_t security;
    bool security_set;
    bool allow_plaintext_login;
    bool insecure;
    bool apop;
    bool auth;                 /* --auth given: SASL AUTH instead of USER/PASS */
    pop3_sasl_mech_t auth_mech;
    bool verbose;
    bool no_pipelining;        /* --no-pipelining: pipeline_depth 1 */
    bool json;                 /* --json: capa, stat, list, uidl as JSON lines */
    bool shell;                /* no command, or "shell": the interactive session (cli_shell.c) */
    bool raw;                  /* --raw: the shell shows bodies as on the wire */
    bool utf8;                 /* --utf8: UTF8 (RFC 6856) after CAPA, before the login, if advertised */
    const char *cafile;
    const char *user;
    const char *pass_file;
    const char *token_file;    /* --oauth2-token-file */
    uint32_t timeout_ms;
    bool check;                /* the `check` command (cli_check.c) */
    uint32_t port_tls;         /* check: --port-tls (0: 995) */
    uint32_t port_stls;        /* check: --port-stls (0: 110) */
    cli_job_t *jobs;
    size_t njobs;
    bool fetch;                /* the fetch command (cli_fetch.c) instead of jobs */
    const char *maildir;       /* --maildir */
    const char *state_file;    /* --state; NULL: beside the Maildir */
    bool keep;                 /* --keep: no DELE */
    bool fetch_all;            /* --all: no UIDL, fetch every message */
} cli_opts_t;

/** The secrets of one run (cli_auth.c); wiped by cli_secret_wipe(). */
typedef struct cli_secret {
    char pass[CLI_PASS_BUF_LEN];
    char *token;               /* OAuth token (heap, any length), NULL if none */
    size_t token_len;
    size_t token_cap;
    bool rng_ready;            /* drbg seeded (SCRAM's client nonce) */
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
} cli_secret_t;

/** What the session showed, for advice on failure (cli_advice.c). */
typedef struct cli_watch {
    bool got_line;             /* a line was received (the greeting, at least) */
    bool sent_stls;
    bool logged_in;
    bool have_login_delay;     /* a CAPA before login had "LOGIN-DELAY N" */
    bool last_cut;
    uint8_t capa_rx;           /* a pre-login CAPA: 1 its status line is due, 2 its list */
    uint32_t login_delay;
    char last[84];             /* last line received, sanitized, at most 80 octets */
    size_t last_len;
} cli_watch_t;

typedef struct cli_app {
    cli_opts_t opt;
    size_t next_job;           /* the next job to queue */
    size_t done_job;           /* jobs reported in full; its commands' replies come next */
    uint32_t inflight;         /* job commands queued, not yet reported */
    bool need_count;           /* a range in the jobs: STAT before the first job */
    bool counted;              /* that STAT answered: msg_count holds */
    bool counting;             /* it is in flight */
    uint32_t msg_count;
    int exit_code;             /* set by the first failure */
    bool failed;
    bool stopping;             /* QUIT queued or abort requested */
    bool want_abort;           /* pop3_abort() from the main loop */
    bool port_ready;           /* pop3_posix_init() done: cleanup needed */
    bool doc_open;             /* a job's document is being written (cli_doc_begin()) */
    bool doc_entries;          /* it has an entry already (JSON: the next needs a comma) */
    bool have_before;          /* before[] holds the last pre-login CAPA list, '\n'-separated */
    bool before_cut;           /* some did not fit */
    char before[2048];
    size_t before_len;
    cli_watch_t watch;
    bool fetching;             /* cli_fetch_begin() ran: on_done goes to cli_fetch_done() */
    struct cli_fetch *fetch;   /* fetch's state (cli_fetch.c), NULL without fetch */
    struct cli_shell *shell;   /* the shell's state (cli_shell.c), NULL without it */
    cli_secret_t sec;
    pop3_sasl_creds_t creds;   /* points into sec: kept until AUTH is reported */
    char line_buf[CLI_LINE_BUF_LEN];
    char tx_buf[CLI_TX_BUF_LEN];
    pop3_tls_config_t tls_cfg;
    pop3_tls_t tls;
    cli_tls_seen_t tls_seen;   /* -v: what the handshake showed (cli_tls.c) */
    pop3_posix_t port;
    pop3_client_t client;
} cli_app_t;

/* pop3_cli.c */
const cli_cmd_def_t *cli_find_cmd(const char *name);
bool cli_is_capa(const cli_cmd_def_t *d);
void cli_wipe(void *p, size_t n);
int cli_usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);
size_t cli_chomp_len(const char *s, size_t len);

/* cli_print.c */
/** Sanitized copy of server text; "..." marks a cut. */
void cli_sanitize_cut(char *out, size_t out_len, const char *text, size_t len);
/** Records a failure; only the first one is reported and decides the exit status. */
void cli_fail(cli_app_t *a, int code, const char *fmt, ...) CLI_PRINTF(3, 4);
void cli_stdout_failed(cli_app_t *a);
bool cli_write(cli_app_t *a, const char *data, size_t len);
/** Writes @p v in decimal just before @p end (at most 20 octets); returns its first octet. */
char *cli_fmt_u64(char *end, uint64_t v);
bool cli_print_stat(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r);
bool cli_print_list1(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r);
bool cli_print_uidl1(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r);
/** JSON string body of server text: sanitized, then '"' and '\\' escaped; returns its length. */
size_t cli_json_text(char *out, size_t out_len, const char *text, size_t len);
/**
 * Opens the document of the job being reported (JSON: its head; text, for a
 * capa after login: the pre-login list, labelled) unless open already.
 */
bool cli_doc_begin(cli_app_t *a, const cli_job_t *job);
/** Closes the open document, if any (JSON: "complete" says whether the job succeeded). */
bool cli_doc_end(cli_app_t *a, bool complete);
/** Keeps a line of a pre-login CAPA reply (sanitized) in a->before. */
void cli_keep_before(cli_app_t *a, const char *line, size_t len);
pop3_cb_action_t cli_on_body(void *ctx, const char *data, size_t len);
pop3_cb_action_t cli_on_list(void *ctx, uint32_t msg, uint64_t octets);
pop3_cb_action_t cli_on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len);
pop3_cb_action_t cli_on_capa(void *ctx, const char *line, size_t len);
void cli_on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len);

/* cli_opts.c */
typedef enum cli_range_kind {
    CLI_RANGE_NO,    /* not a range: a plain message number, or not a message argument */
    CLI_RANGE_YES,   /* job->range set: arg[0]..last, or "all" (job->all, resolved after STAT) */
    CLI_RANGE_WHOLE, /* "list all" / "uidl all": the command without argument */
    CLI_RANGE_BAD    /* a malformed "FIRST-LAST": the message is in why */
} cli_range_kind_t;
/**
 * Parses @p arg as the first argument of job->def ("FIRST-LAST" or "all",
 * for a command whose first argument is a message number) into @p job.
 * Shared by the command line and the shell.
 */
cli_range_kind_t cli_job_range(cli_job_t *job, const char *arg, char *why, size_t why_len);

/* cli_run.c */
/** Queues command number job->sent of @p job (a range: message arg[0] + sent). */
pop3_status_t cli_job_start(pop3_client_t *c, const cli_job_t *job);
/** "RETR 7", "TOP 7 0", "LIST": the label of command @p k of @p job. */
void cli_job_label(const cli_job_t *job, uint32_t k, char *out, size_t out_len);
/**
 * After a STAT answered @p count: "all" becomes 1..count; a range past the
 * last message is refused with the reason in @p why.
 * @return false if refused (nothing of the range may run).
 */
bool cli_job_resolve(cli_job_t *job, uint32_t count, char *why, size_t why_len);
/** Reports the failure @p st of @p what (first failure only), with advice. */
void cli_fail_status(cli_app_t *a, const char *what, pop3_status_t st, const pop3_reply_t *r);
/** Ends the session: QUIT if the connection is usable, else abort from the main loop. */
void cli_stop(cli_app_t *a);
/** The exit status of a failure status. */
int cli_exit_code(pop3_status_t st);
/** Starts the login of -u (USER/PASS, APOP or AUTH); failures are recorded and QUIT queued. */
void cli_login(cli_app_t *a);
void cli_on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r);
/** Connects and runs the session to its end (failures recorded in @p a). */
void cli_run(cli_app_t *a);

/* cli_advice.c */
/** Every traced line (with or without -v): STLS sent, the last line, LOGIN-DELAY. */
void cli_watch_trace(cli_app_t *a, pop3_trace_dir_t dir, const char *line, size_t len);
/**
 * Before the greeting, from the port's record of the first octets: fails at once
 * on a TLS record in a plaintext mode, or on 2 s of silence on port 995.
 */
void cli_watch_first(cli_app_t *a);
/**
 * One round of the loop: cli_watch_first(), then
 * @return how long pop3_posix_poll() may wait this round (ms).
 */
int cli_watch_poll(cli_app_t *a);
/** Appends to @p out what the user can do about the failure @p st, if anything is known. */
void cli_advise(const cli_app_t *a, pop3_status_t st, const pop3_reply_t *r, char *out, size_t out_len);
/** The exit status for the failure: @p code, or 6 for a login refused with [LOGIN-DELAY]/[IN-USE]. */
int cli_advise_exit(const cli_app_t *a, pop3_status_t st, const pop3_reply_t *r, int code);

/* cli_check.c */
/** `pop3-cli check`: runs the probes, prints the report; returns 0, 11 (warnings) or 12 (failures). */
int cli_check_run(cli_app_t *a);
/** The options check cannot use (fetch's, the shell's, --no-pipelining): a usage error, else EXIT_OK. */
int cli_check_usage(const cli_opts_t *o);

/* cli_utf8.c */
/** --utf8 at CONNECT: true if UTF8 was queued (go on at its on_done); else a note on stderr. */
bool cli_utf8_start(cli_app_t *a);
/** UTF8's outcome: a -ERR is a note on stderr and POP3_OK is returned (the session goes on). */
pop3_status_t cli_utf8_done(cli_app_t *a, pop3_status_t st, const pop3_reply_t *r);

/* cli_opts.c */
/** Parses the command line; returns EXIT_OK, an exit status, or -1 (help shown). */
int cli_parse_args(cli_opts_t *o, int argc, char **argv);
/** Prints --help (cli_help.c). */
void cli_help(void);
/** Prints --version: library, mbedTLS (run-time and headers), build options (cli_help.c). */
void cli_version(void);
/** True for XOAUTH2 and OAUTHBEARER. */
bool cli_mech_is_oauth(pop3_sasl_mech_t m);

/* cli_auth.c */
/**
 * Reads what the login needs (password, or OAuth token) and fills a->creds
 * for --auth. Returns EXIT_OK or EXIT_USAGE (message printed). Nothing is
 * read from the network, nothing secret is printed.
 */
int cli_get_secrets(cli_app_t *a);
void cli_secret_wipe(cli_secret_t *s);
/** "login (AUTH SCRAM-SHA-256)": the mechanism in use, else the one asked for. */
void cli_auth_label(const cli_app_t *a, char *out, size_t out_len);
/** -v: which mechanism AUTH used (the trace shows only "AUTH <MECH>" and masks). */
void cli_verbose_auth(const cli_app_t *a, pop3_status_t st);
/** -v, after CAPA: of the server's SASL line, the mechanisms this client can use. */
void cli_verbose_capa(const cli_app_t *a);
/** Names of the mechanisms in @p bits (1 << pop3_sasl_mech_t), space-separated; "none". */
void cli_mech_names(uint32_t bits, char *out, size_t out_len);
/**
 * DETAIL of a failed AUTH: for POP3_ERR_AUTH_TOKEN that the token was refused
 * (with the JSON's status and scope) and must be refreshed; for
 * POP3_ERR_SECURITY the server's usable mechanisms.
 */
void cli_auth_describe(const cli_app_t *a, pop3_status_t st, const pop3_reply_t *r,
                       char *out, size_t out_len);

/* cli_tty.c */
typedef enum cli_secret_read {
    CLI_SECRET_OK = 0,
    CLI_SECRET_EOF,            /* end of input before anything was typed */
    CLI_SECRET_TOO_LONG,       /* longer than the buffer (what was read is wiped) */
    CLI_SECRET_NO_TTY          /* stdin is not a terminal: nothing was read */
} cli_secret_read_t;
/**
 * Shows @p prompt on stderr and reads one line from stdin (a terminal) with
 * echo off, into @p out (NUL-terminated, CR/LF removed). On anything but
 * CLI_SECRET_OK, @p out is wiped.
 */
cli_secret_read_t cli_tty_secret(const char *prompt, char *out, size_t out_len);

/* cli_shell.c */
/** Runs the interactive session (stdin: a terminal or a pipe) to its end. */
void cli_shell(cli_app_t *a);
/** The shell's part of --help: its directives and examples. */
void cli_shell_help(FILE *out);
void cli_shell_on_done(void *ctx, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r);
pop3_cb_action_t cli_shell_on_body(void *ctx, const char *data, size_t len);
void cli_shell_on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len);

#endif /* POP3_CLI_H */
