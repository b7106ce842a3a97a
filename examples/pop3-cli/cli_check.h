/**
 * @file cli_check.h
 * @brief pop3-cli check: a one-shot report on a server's set-up. cli_check.c
 *        runs the probes (one short session each) and fills cli_check_t;
 *        cli_check_report.c turns it into findings and prints them (text or
 *        --json) and picks the exit status.
 */
#ifndef POP3_CLI_CHECK_H
#define POP3_CLI_CHECK_H

#include "cli.h"

/** The name the USER probe sends: never a real user, never followed by PASS. */
#define CHK_PROBE_USER "pop3-cli-check-probe"
/** A certificate expiring sooner than this many days is a warning. */
#define CHK_EXPIRY_WARN_DAYS 30L
/** Exit statuses of check (also in --help and the README). */
#define CHK_EXIT_WARN 11
#define CHK_EXIT_FAIL 12

/** A CAPA list as received: sanitized lines, '\n'-separated. */
typedef struct chk_capa {
    bool known;                /* a complete +OK list was received */
    bool cut;                  /* some did not fit */
    size_t len;
    char lines[2048];
} chk_capa_t;

/** One way in: POP3S (implicit TLS) or the plaintext port with STLS. */
typedef struct chk_path {
    bool tried;
    bool greeted;              /* a POP3 line came (over TLS for POP3S) */
    pop3_status_t st;          /* how its session start ended */
    char net[96];              /* the network's reason, if any */
    char err[200];             /* a short reason for people, if st != POP3_OK */
    cli_tls_seen_t tls;        /* its handshake */
    chk_capa_t capa_plain;     /* STLS path: before STLS */
    chk_capa_t capa_tls;       /* after the handshake */
    bool have_rtt;
    double rtt_ms;             /* an explicit CAPA's round trip */
} chk_path_t;

/** --utf8: what UTF8 (RFC 6856) got on the first TLS path whose CAPA came. */
enum { CHK_UTF8_UNTRIED = 0, CHK_UTF8_UNLISTED, CHK_UTF8_ACCEPTED, CHK_UTF8_REFUSED, CHK_UTF8_ERROR };

/** TLS version probe result. */
enum { CHK_V_UNTRIED = 0, CHK_V_NO_BUILD, CHK_V_REFUSED, CHK_V_ACCEPTED };

typedef struct chk_login {
    bool tried;
    const char *via;           /* "POP3S" or "STLS" */
    pop3_status_t st;
    char text[160];            /* server's text of a refusal */
    bool stat_ok, uidl_ok, top_ok, top_tried;
    pop3_status_t cmd_st;      /* the first STAT/UIDL/TOP failure */
    const char *cmd_failed;    /* its name */
    uint32_t count;
    uint64_t octets;
    uint32_t uids;
    uint64_t top_octets;
} chk_login_t;

typedef struct cli_check {
    cli_app_t *a;
    uint32_t port_tls;
    uint32_t port_stls;
    chk_path_t pop3s;
    chk_path_t stls;
    const char *version_via;   /* which path the version probes used, NULL if none */
    int v12, v13;              /* CHK_V_* */
    int user_probe;            /* -1 not run, 0 refused, 1 accepted, 2 error */
    char user_text[160];       /* the server's reply text */
    int utf8;                  /* CHK_UTF8_* (--utf8 only) */
    const char *utf8_via;      /* "POP3S" or "STLS": where it was asked; NULL if untried */
    char utf8_text[160];       /* the server's reply text, or the reason it was not sent */
    chk_login_t login;
} cli_check_t;

/* cli_check.c (cli_check_run() is in cli.h) */
/** The CAPA line whose first word is @p word (any case), or NULL. */
const char *chk_capa_find(const chk_capa_t *c, const char *word);

/* cli_check_report.c */
/** Prints the report (text or --json on stdout); returns the exit status. */
int chk_report(const cli_check_t *k);

#endif /* POP3_CLI_CHECK_H */
